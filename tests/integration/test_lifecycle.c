/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_lifecycle.c - vde_addstack/vde_delstack: interfaces, names, errors. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* count_lines - Return: the number of lines of text. */
static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* check_only_lo_up - the stack has exactly one interface, lo, and it is
 * up (the original library's stackcmd hangs on such a stack). */
static void check_only_lo_up(struct vdestack *s)
{
	char out[4096];
	int status;

	status = it_stackcmd_capture(s, "/bin/ip -o link show", false, out,
				     sizeof(out));
	IT_CHECKF(status == 0, "ip link show: %d", status);
	IT_CHECKF(count_lines(out) == 1, "interfaces: %s", out);
	IT_CHECKF(strstr(out, ": lo:") != NULL, "no lo: %s", out);
	IT_CHECKF(strstr(out, ",UP") != NULL || strstr(out, "<UP") != NULL,
		  "lo is not up: %s", out);
	/* and the command runs again, promptly (the watchdog bounds it) */
	IT_CHECK(vde_stackcmd(s, "/bin/ip link show dev lo; /bin/true") == 0);
}

/* test_addstack_with_null_url_has_only_lo_up - no URL: no tap. */
static void test_addstack_with_null_url_has_only_lo_up(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	check_only_lo_up(s);
	vde_delstack(s);
}

/* test_addstack_with_empty_url_has_only_lo_up - "" is the same as NULL. */
static void test_addstack_with_empty_url_has_only_lo_up(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack("", "ignored0");
	check_only_lo_up(s);
	vde_delstack(s);
}

/* test_addstack_names_the_interface_vde0_by_default */
static void test_addstack_names_the_interface_vde0_by_default(void)
{
	struct vdestack *s;
	char out[4096];

	it_require_network();
	s = it_addstack("null://", NULL);
	IT_CHECK(it_stackcmd_capture(s, "/bin/ip link show dev vde0", true,
				     out, sizeof(out)) == 0);
	IT_CHECK(it_stackcmd_capture(s, "/bin/ip -o link show", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(count_lines(out) == 2, "interfaces: %s", out);
	vde_delstack(s);
}

/* test_addstack_uses_the_given_interface_name */
static void test_addstack_uses_the_given_interface_name(void)
{
	static const char *const names[] = { "it0", "eth1",
					     "abcdefghijklmno" /* 15 */ };
	char out[4096], cmd[256];

	it_require_network();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct vdestack *s = it_addstack("null://", names[i]);

		snprintf(cmd, sizeof(cmd), "/bin/ip link show dev %s", names[i]);
		IT_CHECKF(it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0,
			  "%s: %s", cmd, out);
		IT_CHECKF(it_stackcmd_capture(s, "/bin/ip link show dev vde0",
					      true, out, sizeof(out)) != 0,
			  "vde0 exists beside %s", names[i]);
		vde_delstack(s);
	}
}

/* test_addstack_rejects_a_16_byte_ifname_without_truncating - a name the
 * kernel cannot hold is refused, never cut to 15 bytes. */
static void test_addstack_rejects_a_16_byte_ifname_without_truncating(void)
{
	it_require_stacks();
	IT_CHECK_ERRNO(vde_addstack(NULL, "abcdefghijklmnop") == NULL, EINVAL);
	IT_CHECK_ERRNO(vde_addstack("null://", "abcdefghijklmnop") == NULL,
		       EINVAL);
	IT_CHECK_ERRNO(vde_addstack("null://", "a-very-long-interface-name")
		       == NULL, EINVAL);
}

/* test_addstack_rejects_bad_ifnames - empty, ".", "..", '/', ':',
 * blanks, control characters. */
static void test_addstack_rejects_bad_ifnames(void)
{
	static const char *const bad[] = {
		"", ".", "..", "a/b", "/", "a:b", "a b", " ", "a\tb", "a\nb",
		"a\x01", "a\x7f",
	};

	it_require_stacks();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		struct vdestack *s = vde_addstack("null://", (char *)bad[i]);

		IT_CHECKF(!s && errno == EINVAL, "ifname #%zu \"%s\" accepted "
			  "or wrong errno", i, bad[i]);
		s = vde_addstack(NULL, (char *)bad[i]);
		IT_CHECKF(!s && errno == EINVAL, "ifname #%zu \"%s\" (no url) "
			  "accepted or wrong errno", i, bad[i]);
	}
}

/* test_calls_with_null_arguments_fail_with_einval - and nothing crashes */
static void test_calls_with_null_arguments_fail_with_einval(void)
{
	struct vdestack *s;

	it_require_stacks();
	IT_CHECK_ERRNO(vde_stackcmd(NULL, "/bin/true") == -1, EINVAL);
	IT_CHECK_ERRNO(vde_stackcmd(NULL, NULL) == -1, EINVAL);
	IT_CHECK_ERRNO(vde_msocket(NULL, AF_INET, SOCK_STREAM, 0) == -1, EINVAL);
	vde_delstack(NULL);
	vde_default_stack(NULL);
	s = it_addstack(NULL, NULL);
	IT_CHECK_ERRNO(vde_stackcmd(s, NULL) == -1, EINVAL);
	IT_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	vde_delstack(s);
}

/* test_addstack_with_unknown_scheme_fails_with_eprotonosupport */
static void test_addstack_with_unknown_scheme_fails_with_eprotonosupport(void)
{
	it_require_stacks();
	IT_CHECK_ERRNO(vde_addstack("foo://x", NULL) == NULL, EPROTONOSUPPORT);
	IT_CHECK_ERRNO(vde_addstack("nosuchplugin://", "x0") == NULL,
		       EPROTONOSUPPORT);
}

/* test_addstack_with_missing_switch_fails_with_enoent */
static void test_addstack_with_missing_switch_fails_with_enoent(void)
{
	it_require_stacks();
	IT_CHECK_ERRNO(vde_addstack("vde:///nonexistent/path", NULL) == NULL,
		       ENOENT);
}

/* test_addstack_rejects_control_characters_in_url */
static void test_addstack_rejects_control_characters_in_url(void)
{
	it_require_stacks();
	IT_CHECK_ERRNO(vde_addstack("null://\n", NULL) == NULL, EINVAL);
	IT_CHECK_ERRNO(vde_addstack("vde:///tmp/x\x1b", NULL) == NULL, EINVAL);
}

/* test_failed_addstack_leaves_no_descriptor - every error path above
 * closes what it opened. */
static void test_failed_addstack_leaves_no_descriptor(void)
{
	int before;

	it_require_stacks();
	vde_delstack(it_addstack(NULL, NULL)); /* the helper stays: warm up */
	before = it_count_fds();
	for (int i = 0; i < 10; i++) {
		IT_CHECK(vde_addstack("foo://x", NULL) == NULL);
		IT_CHECK(vde_addstack("vde:///nonexistent/path", NULL) == NULL);
		IT_CHECK(vde_addstack(NULL, "abcdefghijklmnop") == NULL);
		IT_CHECK(vde_addstack("=/nonexistent/command", NULL) == NULL);
	}
	IT_CHECKF(it_count_fds() == before, "%d descriptors before, %d after",
		  before, it_count_fds());
}

/* test_many_stacks_coexist_and_each_has_its_own_lo - 32 stacks at once,
 * each with an address on its lo that no other stack has. */
static void test_many_stacks_coexist_and_each_has_its_own_lo(void)
{
	enum { N = 32 };
	struct vdestack *s[N];
	char out[4096];

	it_require_stacks();
	for (int i = 0; i < N; i++) {
		s[i] = it_addstack(NULL, NULL);
		it_stackcmd_ok(s[i], "/bin/ip addr add 10.77.0.%d/32 dev lo",
			       i + 1);
	}
	for (int i = 0; i < N; i++) {
		char want[64];

		IT_CHECK(it_stackcmd_capture(s[i], "/bin/ip -o -4 addr show",
					     false, out, sizeof(out)) == 0);
		snprintf(want, sizeof(want), "10.77.0.%d/32", i + 1);
		IT_CHECKF(strstr(out, want) != NULL, "stack %d: %s", i, out);
		/* 127.0.0.1 and its own address: nothing of the others */
		IT_CHECKF(count_lines(out) == 2, "stack %d: %s", i, out);
	}
	for (int i = 0; i < N; i++)
		vde_delstack(s[i]);
}

/* ns_ino_of - the inode of the network namespace of a new socket of s.
 * Return: it. */
static ino_t ns_ino_of(struct vdestack *s)
{
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ns;
	struct stat st;

	IT_CHECK(fd >= 0);
	ns = ioctl(fd, SIOCGSKNS);
	IT_CHECKF(ns >= 0, "SIOCGSKNS: %s", strerror(errno));
	IT_CHECK(fstat(ns, &st) == 0);
	close(ns);
	close(fd);
	return st.st_ino;
}

/* lo_is_up - whether lo of s is up, asked through a socket of s.
 * Return: true if so. */
static bool lo_is_up(struct vdestack *s)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up;

	IT_CHECK(fd >= 0);
	up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	close(fd);
	return up;
}

/* pool_round - n stacks made back to back (more than a pool holds), each
 * with its own namespace and lo up, then deleted. */
static void pool_round(int n, const char *url)
{
	struct vdestack *s[16];
	ino_t ino[16];

	IT_CHECK(n <= 16);
	for (int i = 0; i < n; i++) {
		s[i] = it_addstack(url, NULL);
		ino[i] = ns_ino_of(s[i]);
		IT_CHECKF(lo_is_up(s[i]), "stack %d: lo is down", i);
		for (int j = 0; j < i; j++)
			IT_CHECKF(ino[j] != ino[i], "stacks %d and %d share a "
				  "namespace", j, i);
	}
	for (int i = 0; i < n; i++)
		vde_delstack(s[i]);
}

/* helper_kids - the children of the process's helper (its pool worker,
 * and runners while commands run).  Return: their number; *ret_helper
 * and *ret_kid (the first) set. */
static int helper_kids(pid_t *ret_helper, pid_t *ret_kid)
{
	pid_t helper = it_helper_pid(0), kids[8] = { -1 };
	int n;

	IT_CHECK(helper > 0);
	n = it_children(helper, kids, 8);
	*ret_helper = helper;
	*ret_kid = kids[0];
	return n;
}

/* pool_case - in a fresh process (so a fresh helper) with
 * VDESTACK_NSPOOL=pool: the worker is there (or not, for 0), and rounds
 * of stacks beyond the pool all come out right. */
static void pool_case(const char *pool, bool worker)
{
	pid_t helper, kid;
	struct vdestack *first;

	setenv("VDESTACK_NSPOOL", pool, 1);
	first = it_addstack(NULL, NULL);
	IT_CHECKF(helper_kids(&helper, &kid) == (worker ? 1 : 0),
		  "VDESTACK_NSPOOL=%s: the helper has %d children", pool,
		  helper_kids(&helper, &kid));
	for (int round = 0; round < 3; round++) {
		pool_round(10, NULL);
		pool_round(3, "mem://pool");
	}
	vde_delstack(first);
}

/* test_addstack_beyond_the_namespace_pool_makes_every_stack_right -
 * stacks made back to back empty the pool (of 1, 2 by default, 8, or no
 * pool), are each in their own namespace with lo up, and the pool
 * refills for the next round. */
static void test_addstack_beyond_the_namespace_pool_makes_every_stack_right(void)
{
	static const struct {
		const char *pool;
		bool worker;
	} sizes[] = { { "1", true }, { "", true }, { "8", true },
		      { "0", false }, { "junk", true } };

	it_require_stacks();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int status = -1;
		pid_t pid = fork();

		IT_CHECK(pid >= 0);
		if (pid == 0) {
			pool_case(sizes[i].pool, sizes[i].worker);
			_exit(0);
		}
		IT_CHECK(waitpid(pid, &status, 0) == pid);
		IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "VDESTACK_NSPOOL=%s: status %#x", sizes[i].pool,
			  status);
	}
}

/* wait_fds - wait (bounded) for pid to hold want descriptors (at most
 * want with at_most).  Return: the last count (-1 at once when /proc
 * does not say: pid is gone). */
static int wait_fds(pid_t pid, int want, bool at_most)
{
	int n = it_count_fds_of(pid);

	for (int64_t end = it_now_ms() + 10000;
	     n >= 0 && (at_most ? n > want : n != want) && it_now_ms() < end;
	     it_sleep_ms(5))
		n = it_count_fds_of(pid);
	return n;
}

/* test_delstack_releases_the_interface_in_the_helper_and_its_worker - the
 * helper keeps a copy of a stack's interface (so that the application's
 * close is quick) and hands it to its worker at vde_delstack: afterwards
 * neither holds anything of the stack. */
static void test_delstack_releases_the_interface_in_the_helper_and_its_worker(void)
{
	struct vdestack *anchor, *s;
	pid_t helper, worker;
	int hfds, wfds, n;

	/* on the switch, so that each stack has an interface descriptor
	 * (a bridged one has none) */
	setenv("VDESTACK_BRIDGE", "off", 1);
	it_require_stacks();
	anchor = it_addstack("mem://release", NULL);
	IT_CHECK(helper_kids(&helper, &worker) == 1);
	hfds = it_count_fds_of(helper);
	/* the worker holds a namespace for a moment while it sends it */
	wfds = it_count_fds_of(worker);
	for (int i = 0; i < 20; i++, it_sleep_ms(5)) {
		n = it_count_fds_of(worker);
		wfds = n < wfds ? n : wfds;
	}
	IT_CHECKF(hfds > 0 && wfds > 0, "cannot read /proc/%d/fd or /proc/%d/fd",
		  (int)helper, (int)worker);
	for (int i = 0; i < 5; i++) {
		s = it_addstack("mem://release", NULL);
		/* the network namespace (which holds the stack's user
		 * namespace) and the interface: two */
		IT_CHECKF((n = it_count_fds_of(helper)) == hfds + 2,
			  "helper: %d descriptors with the stack, %d before", n,
			  hfds);
		vde_delstack(s);
		n = wait_fds(helper, hfds, false);
		IT_CHECKF(n == hfds, "helper: %d descriptors, %d before", n, hfds);
		/* -1 would be a worker gone, which holds nothing either */
		n = wait_fds(worker, wfds, true);
		IT_CHECKF(n >= 0 && n <= wfds, "worker: %d descriptors, %d before",
			  n, wfds);
	}
	vde_delstack(anchor);
}

/* test_the_namespace_pool_worker_goes_with_the_application - an
 * application that ends without deleting its stacks takes its helper
 * and the helper's worker with it. */
static void test_the_namespace_pool_worker_goes_with_the_application(void)
{
	pid_t pid, pids[2] = { -1, -1 };
	int p[2], status = -1;

	it_require_stacks();
	IT_CHECK(pipe(p) == 0);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		struct vdestack *s = it_addstack("mem://gone", NULL);
		pid_t out[2];

		(void)s;
		if (helper_kids(&out[0], &out[1]) != 1)
			_exit(2);
		if (write(p[1], out, sizeof(out)) != sizeof(out))
			_exit(3);
		_exit(0); /* no vde_delstack */
	}
	close(p[1]);
	IT_CHECK(read(p[0], pids, sizeof(pids)) == sizeof(pids));
	close(p[0]);
	IT_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		 WEXITSTATUS(status) == 0);
	IT_CHECKF(it_wait_gone(pids[0], 10000), "helper %d stays", (int)pids[0]);
	IT_CHECKF(it_wait_gone(pids[1], 10000), "worker %d stays", (int)pids[1]);
}

/* test_addstack_goes_on_when_the_pool_worker_is_killed - the helper makes
 * the namespaces itself once its worker is gone. */
static void test_addstack_goes_on_when_the_pool_worker_is_killed(void)
{
	struct vdestack *first;
	pid_t helper, worker;

	it_require_stacks();
	first = it_addstack(NULL, NULL);
	IT_CHECK(helper_kids(&helper, &worker) == 1);
	IT_CHECK(kill(worker, SIGKILL) == 0);
	IT_CHECK(it_wait_gone(worker, 10000));
	pool_round(6, NULL);
	pool_round(3, "mem://killed");
	IT_CHECK(it_pid_alive(helper));
	vde_delstack(first);
}

/* test_the_pool_worker_stays_through_deletes_back_to_back - stacks with an
 * interface deleted back to back hand the worker two descriptors each,
 * faster than it may be scheduled to take them: the helper keeps its
 * worker (once, a full queue lost it, and the helper then waited out
 * every interface's close itself), and the worker is there to make the
 * next stacks' namespaces. */
static void test_the_pool_worker_stays_through_deletes_back_to_back(void)
{
	enum { MAX = 400 };
	static struct vdestack *s[MAX];
	long n = it_scaled(MAX);
	pid_t helper, worker, now;

	if (n > MAX)
		n = MAX;
	it_require_network();
	vde_delstack(it_addstack("null://", NULL));
	IT_CHECK(helper_kids(&helper, &worker) == 1);
	for (int round = 0; round < 3; round++) {
		for (long i = 0; i < n; i++)
			s[i] = it_addstack("null://", NULL);
		for (long i = 0; i < n; i++)
			vde_delstack(s[i]);
		IT_CHECKF(helper_kids(&helper, &now) == 1 && now == worker,
			  "round %d: the helper's worker %d is gone", round,
			  (int)worker);
	}
}

/* link_kind - the kind of ifname in s.  Return: "tap", "veth" or "?". */
static const char *link_kind(struct vdestack *s, const char *ifname)
{
	char cmd[128], out[4096];

	snprintf(cmd, sizeof(cmd), "/bin/ip -d -o link show dev %s", ifname);
	IT_CHECKF(it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0,
		  "%s: %s", cmd, out);
	if (strstr(out, " tun type tap "))
		return "tap";
	if (strstr(out, " veth "))
		return "veth";
	return "?";
}

/* test_addstack_makes_the_link_vdestack_link_and_dev_net_tun_allow - a
 * tap when /dev/net/tun opens, a veth pair otherwise; VDESTACK_LINK=tap
 * or veth asks for one kind only. */
static void test_addstack_makes_the_link_vdestack_link_and_dev_net_tun_allow(void)
{
	bool tun = it_tun_opens();
	struct vdestack *s;

	it_require_stacks();
	setenv("VDESTACK_LINK", "auto", 1);
	s = it_addstack("null://", NULL);
	IT_CHECKF(!strcmp(link_kind(s, "vde0"), tun ? "tap" : "veth"),
		  "auto, /dev/net/tun %s: the link is %s",
		  tun ? "usable" : "unusable", link_kind(s, "vde0"));
	vde_delstack(s);

	setenv("VDESTACK_LINK", "veth", 1);
	s = it_addstack("null://", "veth-it0");
	IT_CHECK(!strcmp(link_kind(s, "veth-it0"), "veth"));
	vde_delstack(s);

	setenv("VDESTACK_LINK", "tap", 1);
	if (tun) {
		s = it_addstack("null://", NULL);
		IT_CHECK(!strcmp(link_kind(s, "vde0"), "tap"));
		vde_delstack(s);
	} else {
		errno = 0;
		s = vde_addstack("null://", NULL);
		IT_CHECKF(!s && (errno == EACCES || errno == EPERM ||
				 errno == ENOENT),
			  "VDESTACK_LINK=tap without /dev/net/tun");
	}

	/* no network: no link of either kind, whatever VDESTACK_LINK says */
	s = it_addstack(NULL, NULL);
	IT_CHECK(vde_stackcmd(s, "/bin/ip link show dev vde0") != 0);
	vde_delstack(s);
	unsetenv("VDESTACK_LINK");
}

/* test_addstack_rejects_an_unknown_vdestack_link */
static void test_addstack_rejects_an_unknown_vdestack_link(void)
{
	it_require_stacks();
	setenv("VDESTACK_LINK", "bogus", 1);
	IT_CHECK_ERRNO(vde_addstack("null://", NULL) == NULL, EINVAL);
	setenv("VDESTACK_LINK", "", 1); /* empty: auto */
	vde_delstack(it_addstack("null://", NULL));
	unsetenv("VDESTACK_LINK");
}

/* hidden_tun_child - in a user and mount namespace of its own, with a
 * tmpfs over /dev/net: stacks with a network get a veth link and talk
 * over a hub; VDESTACK_LINK=tap fails with ENOENT.  Exits 0 on success,
 * 77 when it cannot hide the device, 1 on failure. */
static void hidden_tun_child(void) __attribute__((noreturn));
static void hidden_tun_child(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64], hub[600], vde[600];
	struct vdestack *a, *b;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		_exit(IT_SKIP);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	it_write_file("/proc/self/setgroups", "deny");
	if (!it_write_file("/proc/self/uid_map", map))
		_exit(IT_SKIP);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (!it_write_file("/proc/self/gid_map", map) ||
	    mount("none", "/dev/net", "tmpfs", 0, "mode=0755") < 0)
		_exit(IT_SKIP);
	IT_CHECKF(!it_exists("/dev/net/tun"), "/dev/net/tun still there");

	unsetenv("VDESTACK_LINK");
	snprintf(hub, sizeof(hub), "hub://%s/hub", it_tmpdir());
	snprintf(vde, sizeof(vde), "vde://%s/hub", it_tmpdir());
	a = it_addstack(hub, NULL);
	b = it_addstack(vde, "eth0");
	IT_CHECK(!strcmp(link_kind(a, "vde0"), "veth"));
	IT_CHECK(!strcmp(link_kind(b, "eth0"), "veth"));
	it_config_addr(a, "vde0", "10.0.0.1/24");
	it_config_addr(b, "eth0", "10.0.0.2/24");
	it_tcp_exchange(a, b, "10.0.0.1", 1 << 20, 11);

	setenv("VDESTACK_LINK", "tap", 1);
	IT_CHECK_ERRNO(vde_addstack("null://", NULL) == NULL, ENOENT);
	unsetenv("VDESTACK_LINK");
	vde_delstack(b);
	vde_delstack(a);
	exit(0);
}

/* test_addstack_falls_back_to_veth_when_dev_net_tun_is_missing - the
 * application runs where /dev/net/tun does not exist (hidden by a tmpfs
 * in a mount namespace of its own, so that even root cannot open it). */
static void test_addstack_falls_back_to_veth_when_dev_net_tun_is_missing(void)
{
	int status;
	pid_t pid;

	/* no stack in this process: the child must start its own helper,
	 * in its namespaces, not use ours */
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0)
		hidden_tun_child();
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == IT_SKIP)
		it_skip("cannot hide /dev/net/tun (no user or mount namespace)");
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child status 0x%x", status);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(addstack_with_null_url_has_only_lo_up),
	T(addstack_with_empty_url_has_only_lo_up),
	T(addstack_names_the_interface_vde0_by_default),
	T(addstack_uses_the_given_interface_name),
	T(addstack_rejects_a_16_byte_ifname_without_truncating),
	T(addstack_rejects_bad_ifnames),
	T(calls_with_null_arguments_fail_with_einval),
	T(addstack_with_unknown_scheme_fails_with_eprotonosupport),
	T(addstack_with_missing_switch_fails_with_enoent),
	T(addstack_rejects_control_characters_in_url),
	T(failed_addstack_leaves_no_descriptor),
	T(many_stacks_coexist_and_each_has_its_own_lo),
	T(addstack_beyond_the_namespace_pool_makes_every_stack_right),
	T(delstack_releases_the_interface_in_the_helper_and_its_worker),
	T(the_namespace_pool_worker_goes_with_the_application),
	T(addstack_goes_on_when_the_pool_worker_is_killed),
	T(the_pool_worker_stays_through_deletes_back_to_back),
	T(addstack_makes_the_link_vdestack_link_and_dev_net_tun_allow),
	T(addstack_rejects_an_unknown_vdestack_link),
	T(addstack_falls_back_to_veth_when_dev_net_tun_is_missing),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
