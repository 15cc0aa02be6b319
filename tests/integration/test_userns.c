/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_userns.c - where user namespaces are refused, for real: the cause
 * named by vde_stackerror(), vde_stackcheck() and the vdestack command
 * (VDESTACK_BIN), and vdestack --check passing on the machine itself.
 *
 * The refusal is made, not mocked: a fresh child makes a user namespace
 * of its own, maps itself to root there, and writes 0 to
 * /proc/sys/user/max_user_namespaces, which is that namespace's own limit
 * (writable by its root); from then on unshare(CLONE_NEWUSER) fails with
 * ENOSPC in it.  The library starts its helper at the first
 * vde_addstack() of a process, with fork(): this process makes no stack
 * before it forks the child, so the child's helper is made inside the
 * restricted namespace (and vdestack, exec'd there, is a new process).
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define WAIT_MS 60000 /* upper bound of every wait: reached only on a hang */
#define SETTING "user.max_user_namespaces is 0"
#define OUT_MAX 16384

/* What a program run by run_bin() printed. */
struct output {
	char out[OUT_MAX], err[OUT_MAX];
	size_t outlen, errlen;
};

/* bin - the vdestack command under test.  Return: its path. */
static const char *bin(void)
{
	const char *b = getenv("VDESTACK_BIN");

	if (!b || !b[0])
		it_skip("VDESTACK_BIN not set (run through meson test)");
	return b;
}

/* write_id_map - text into /proc/self/FILE.  Return: true when written. */
static bool write_id_map(const char *file, unsigned id)
{
	char path[64], text[64];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	snprintf(text, sizeof(text), "0 %u 1\n", id);
	return it_write_file(path, text);
}

/* restrict_userns - in a fresh single-threaded child: a user namespace of
 * its own with us as root, whose max_user_namespaces is 0.
 * Return: 0, or an errno (the step's). */
static int restrict_userns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER) < 0)
		return errno;
	errno = 0;
	it_write_file("/proc/self/setgroups", "deny");
	if (!write_id_map("gid_map", gid) || !write_id_map("uid_map", uid))
		return errno ? errno : EIO;
	if (!it_write_file("/proc/sys/user/max_user_namespaces", "0"))
		return errno ? errno : EIO;
	/* the limit holds: no user namespace can be made any more */
	if (unshare(CLONE_NEWUSER) == 0 || errno != ENOSPC)
		return EPROTO;
	return 0;
}

/* The exit status of a child that could not make its restricted
 * namespace (the test then skips outside CI, fails in CI). */
#define NO_USERNS_STATUS 77

/* wait_child - reap pid.  Return: its wait status. */
static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		IT_CHECK(errno == EINTR);
	return status;
}

/* check_child_status - the status of a child of in_restricted(): 0, or a
 * skip when this machine has no user namespaces to restrict. */
static void check_child_status(int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == NO_USERNS_STATUS)
		it_skip("no user namespace could be made to restrict");
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the restricted child failed (status 0x%x)", status);
}

/* in_restricted - run fn in a fresh child inside a restricted user
 * namespace; its checks fail the test. */
static void in_restricted(void (*fn)(void))
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		int err = restrict_userns();

		if (err) {
			fprintf(stderr, "restricting: %s\n", strerror(err));
			_exit(err == EPROTO ? 1 : NO_USERNS_STATUS);
		}
		fn();
		exit(0);
	}
	check_child_status(wait_child(pid));
}

/* drain - read from fd into buf (len so far) what is there.
 * Return: false at end of file. */
static bool drain(int fd, char *buf, size_t *len)
{
	ssize_t n = read(fd, buf + *len, OUT_MAX - 1 - *len);

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	*len += (size_t)n;
	buf[*len] = '\0';
	return *len < OUT_MAX - 1;
}

/* collect - read both pipes to their end (bounded). */
static void collect(int out, int err, struct output *o)
{
	int64_t end = it_now_ms() + WAIT_MS;
	bool out_open = true, err_open = true;

	while (out_open || err_open) {
		struct pollfd p[2] = {
			{ .fd = out_open ? out : -1, .events = POLLIN },
			{ .fd = err_open ? err : -1, .events = POLLIN },
		};
		int left = (int)(end - it_now_ms());

		IT_CHECKF(left > 0, "no end of output: %s%s", o->out, o->err);
		if (poll(p, 2, left) < 0) {
			IT_CHECK(errno == EINTR);
			continue;
		}
		if (p[0].revents)
			out_open = drain(out, o->out, &o->outlen);
		if (p[1].revents)
			err_open = drain(err, o->err, &o->errlen);
	}
}

/* run_bin - vdestack with args (NULL-ended), inside a restricted user
 * namespace when restricted.  Return: its wait status, output in *o. */
static int run_bin(bool restricted, const char *const *args,
		   struct output *o)
{
	char *argv[16];
	int out[2], err[2];
	size_t n = 0;
	pid_t pid;

	argv[n++] = (char *)bin();
	while (*args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	memset(o, 0, sizeof(*o));
	IT_CHECK(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	fflush(NULL);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		int e = restricted ? restrict_userns() : 0;

		if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(99);
		if (e) {
			fprintf(stderr, "restricting: %s\n", strerror(e));
			_exit(e == EPROTO ? 1 : NO_USERNS_STATUS);
		}
		execv(argv[0], argv);
		_exit(98);
	}
	close(out[1]);
	close(err[1]);
	collect(out[0], err[0], o);
	close(out[0]);
	close(err[0]);
	return wait_child(pid);
}

/* exited - whether status is a normal exit with code. */
static bool exited(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

/* skip_if_unrestricted - a child that could not make its namespace. */
static void skip_if_unrestricted(int status, const struct output *o)
{
	if (exited(status, NO_USERNS_STATUS) && strstr(o->err, "restricting"))
		it_skip("no user namespace could be made to restrict: %s",
			o->err);
}

/* addstack_refused - in the restricted namespace: vde_addstack() fails
 * with the kernel's ENOSPC, no helper is left, and the explanation names
 * the setting. */
static void addstack_refused(void)
{
	static const char *const urls[] = { "", "mem://it-userns" };
	char why[1024];

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		IT_CHECK_ERRNO(!vde_addstack((char *)urls[i], NULL), ENOSPC);
		IT_CHECKF(vde_stackerror(why, sizeof(why)) > 0, "%s",
			  strerror(errno));
		IT_CHECKF(strstr(why, SETTING) && strstr(why, "fix: "),
			  "\"%s\": %s", urls[i], why);
		IT_CHECKF(it_children(getpid(), NULL, 0) == 0,
			  "a process is left after the failure");
	}
}

/* test_addstack_fails_with_enospc_naming_max_user_namespaces */
static void test_addstack_fails_with_enospc_naming_max_user_namespaces(void)
{
	in_restricted(addstack_refused);
}

/* check_refused - in the restricted namespace: every vde_stackcheck()
 * item fails with ENOSPC, naming the setting. */
static void check_refused(void)
{
	char why[1024];

	for (int item = VDE_CHECK_USERNS; item <= VDE_CHECK_VETH; item++) {
		errno = 0;
		IT_CHECKF(vde_stackcheck(item, why, sizeof(why)) > 0 &&
			  errno == ENOSPC, "item %d: errno %s", item,
			  strerror(errno));
		IT_CHECKF(strstr(why, SETTING), "item %d: %s", item, why);
	}
	IT_CHECKF(it_children(getpid(), NULL, 0) == 0,
		  "a process is left after the checks");
}

/* test_stackcheck_fails_naming_max_user_namespaces */
static void test_stackcheck_fails_naming_max_user_namespaces(void)
{
	in_restricted(check_refused);
}

/* test_vdestack_exits_125_naming_max_user_namespaces - one line on
 * stderr naming the setting and its fix; the command never runs. */
static void test_vdestack_exits_125_naming_max_user_namespaces(void)
{
	static const char *const urls[] = { "", "mem://it-userns" };
	struct output o;

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		int status = run_bin(true, (const char *[]){ urls[i], "--",
					     "/bin/echo", "ran", NULL }, &o);

		skip_if_unrestricted(status, &o);
		IT_CHECKF(exited(status, 125), "status 0x%x: %s", status, o.err);
		IT_CHECKF(strstr(o.err, SETTING) && strstr(o.err, "fix: ") &&
			  strchr(o.err, '\n') == o.err + o.errlen - 1,
			  "stderr: %s", o.err);
		IT_CHECKF(o.outlen == 0, "stdout: %s", o.out);
	}
}

/* test_vdestack_check_fails_naming_max_user_namespaces - non-zero, the
 * user namespace's line naming the setting. */
static void test_vdestack_check_fails_naming_max_user_namespaces(void)
{
	struct output o;
	int status = run_bin(true, (const char *[]){ "--check", NULL }, &o);

	skip_if_unrestricted(status, &o);
	IT_CHECKF(exited(status, 1), "status 0x%x: %s%s", status, o.out,
		  o.err);
	IT_CHECKF(strstr(o.out, "user namespace: FAIL: " SETTING), "%s",
		  o.out);
	IT_CHECKF(strstr(o.out, "\nstack: FAIL"), "%s", o.out);
	IT_CHECKF(!strstr(o.out, ": ok"), "%s", o.out);
}

/* tap_expected - what --check must say of the tap (as this user, with
 * this VDESTACK_LINK) when /dev/net/tun opens (tun) or not.
 * Return: the beginning of its line. */
static const char *tap_expected(bool tun)
{
	if (tun)
		return "\ntap: ok";
	if (!strcmp(it_link_mode(), "tap"))
		return "\ntap: FAIL: /dev/net/tun";
	return "\ntap: not available (/dev/net/tun";
}

/* check_tap_line - the tap's line of out, for the device's mode before
 * and after the run (another run of tests/run on this machine may change
 * it meanwhile: then either line is right). */
static void check_tap_line(const char *out, bool before, bool after)
{
	bool as_before = strstr(out, tap_expected(before));
	bool as_after = strstr(out, tap_expected(after));

	IT_CHECKF(before == after ? as_before : as_before || as_after,
		  "no \"%s\": %s", tap_expected(before), out);
	if (!strstr(out, "\ntap: ok") && strcmp(it_link_mode(), "tap"))
		IT_CHECKF(strstr(out, "; veth used\n"), "%s", out);
}

/* test_vdestack_check_passes_here - exit 0 on this machine, as this
 * user: every item ok, the tap at most "not available" with the veth
 * used (an unprivileged user where /dev/net/tun is 0600). */
static void test_vdestack_check_passes_here(void)
{
	static const char *const ok[] = {
		"user namespace: ok\n", "\nnetwork namespace: ok\n",
		"\nhelper: ok\n", "\nveth: ok",
	};
	bool tap_only = !strcmp(it_link_mode(), "tap"), tun, tun_after;
	struct output o;
	int status;

	it_require_stacks();
	tun = it_tun_opens();
	status = run_bin(false, (const char *[]){ "--check", NULL }, &o);
	tun_after = it_tun_opens();
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		IT_CHECKF(strstr(o.out, ok[i]), "no \"%s\": %s", ok[i], o.out);
	check_tap_line(o.out, tun, tun_after);
	IT_CHECKF(o.errlen == 0, "stderr: %s", o.err);
	if (tun != tun_after)
		return; /* the device changed under the run */
	/* VDESTACK_LINK=tap without the device: rightly no stack */
	IT_CHECKF(strstr(o.out, tap_only && !tun ? "\nstack: FAIL" :
			 "\nstack: ok"), "%s", o.out);
	IT_CHECKF(exited(status, tap_only && !tun ? 1 : 0),
		  "status 0x%x: %s%s", status, o.out, o.err);
}

/* test_stackcheck_items_work_here - each item as this user: the tap
 * exactly when /dev/net/tun opens; nothing left behind. */
static void test_stackcheck_items_work_here(void)
{
	struct it_counts before;
	char why[1024];

	it_require_stacks();
	before = it_take_counts();
	for (int item = VDE_CHECK_USERNS; item <= VDE_CHECK_VETH; item++) {
		bool tun = it_tun_opens();
		int n = vde_stackcheck(item, why, sizeof(why));
		bool want = item != VDE_CHECK_TAP || tun;

		if (item == VDE_CHECK_TAP && tun != it_tun_opens())
			continue; /* the device changed meanwhile */
		IT_CHECKF(want ? n == 0 && !why[0] : n > 0, "item %d: %d %s",
			  item, n, why);
		if (!want)
			IT_CHECKF(strstr(why, "/dev/net/tun"), "%s", why);
	}
	it_check_counts(&before, "vde_stackcheck");
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(addstack_fails_with_enospc_naming_max_user_namespaces),
	T(stackcheck_fails_naming_max_user_namespaces),
	T(vdestack_exits_125_naming_max_user_namespaces),
	T(vdestack_check_fails_naming_max_user_namespaces),
	T(vdestack_check_passes_here),
	T(stackcheck_items_work_here),
#undef T
};

/* main - run one case (argv[1]) or all.  Return: the exit status. */
int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
