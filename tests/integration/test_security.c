/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_security.c - what commands of vde_stackcmd and vde_stackspawn get:
 * capabilities (and VDESTACK_CMD_CAPS), no way into other stacks, working
 * network tools, descriptors, environment, descriptor limit.  The probe
 * program run inside stacks is named by IT_NSPROBE. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* The capability sets a command shows in /proc/self/status by default:
 * CAP_NET_BIND_SERVICE, CAP_NET_BROADCAST, CAP_NET_ADMIN, CAP_NET_RAW. */
#define NET_CAPS "0000000000003c00"

/* probe - the probe program's path. */
static const char *probe(void)
{
	const char *p = getenv("IT_NSPROBE");

	IT_CHECKF(p && p[0] == '/', "IT_NSPROBE is not set");
	return p;
}

/* spawn_capture - vde_stackspawn() with standard output to a temporary
 * file, wait for the process, read the output into out.
 * Return: the wait status, or -1 with errno when the spawn failed. */
static int spawn_capture(struct vdestack *s, char *const argv[],
			 char *const envp[], char *out, size_t size)
{
	char path[512];
	int fd, saved, pd, status = -1, err;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/spawn-XXXXXX", it_tmpdir());
	fd = mkostemp(path, O_CLOEXEC);
	IT_CHECK(fd >= 0);
	unlink(path);
	fflush(stdout);
	saved = fcntl(1, F_DUPFD_CLOEXEC, 3);
	IT_CHECK(saved >= 0 && dup2(fd, 1) == 1);
	pd = vde_stackspawn(s, argv, envp);
	err = errno;
	dup2(saved, 1);
	close(saved);
	if (pd >= 0) {
		IT_CHECK(vde_stackwait(pd, &status) == 0);
		close(pd);
	}
	n = pread(fd, out, size - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	errno = err;
	return pd < 0 ? -1 : status;
}

/* cap_field - the value of a "CapXxx:" line of a /proc status text. */
static void cap_field(const char *text, const char *name, char *buf,
		      size_t size)
{
	const char *p = strstr(text, name);

	buf[0] = '\0';
	if (!p)
		return;
	p += strlen(name);
	p += strspn(p, " \t");
	snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
}

/* check_caps - the capability lines of out are the ones wanted. */
static void check_caps(const char *who, const char *out, const char *want)
{
	static const char *const zero[] = { "CapInh:", "CapAmb:" };
	static const char *const set[] = { "CapPrm:", "CapEff:", "CapBnd:" };
	char v[64];

	for (size_t i = 0; i < 3; i++) {
		cap_field(out, set[i], v, sizeof(v));
		IT_CHECKF(!strcmp(v, want), "%s: %s %s, want %s", who, set[i], v,
			  want);
	}
	for (size_t i = 0; i < 2; i++) {
		cap_field(out, zero[i], v, sizeof(v));
		IT_CHECKF(!strcmp(v, "0000000000000000"), "%s: %s %s", who,
			  zero[i], v);
	}
}

/* test_command_keeps_only_the_network_capabilities - in vde_stackcmd and
 * vde_stackspawn alike, whatever the program. */
static void test_command_keeps_only_the_network_capabilities(void)
{
	char *argv[] = { "/bin/grep", "^Cap", "/proc/self/status", NULL };
	struct vdestack *s;
	char out[4096];

	unsetenv("VDESTACK_CMD_CAPS");
	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(it_stackcmd_capture(s, "/bin/grep ^Cap /proc/self/status",
				     false, out, sizeof(out)) == 0);
	check_caps("vde_stackcmd", out, NET_CAPS);
	/* a shell started by the command cannot get more back either */
	IT_CHECK(it_stackcmd_capture(s, "/bin/sh -c '/bin/grep ^Cap "
				     "/proc/self/status'", false, out,
				     sizeof(out)) == 0);
	check_caps("vde_stackcmd, child", out, NET_CAPS);
	IT_CHECK(spawn_capture(s, argv, NULL, out, sizeof(out)) == 0);
	check_caps("vde_stackspawn", out, NET_CAPS);
	vde_delstack(s);
}

/* test_command_keeps_every_capability_with_cmd_caps_all - the opt-out. */
static void test_command_keeps_every_capability_with_cmd_caps_all(void)
{
	struct vdestack *s;
	char out[4096], bnd[64], eff[64];

	/* read when the helper starts: before the first stack */
	setenv("VDESTACK_CMD_CAPS", "all", 1);
	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(it_stackcmd_capture(s, "/bin/grep ^Cap /proc/self/status",
				     false, out, sizeof(out)) == 0);
	cap_field(out, "CapBnd:", bnd, sizeof(bnd));
	cap_field(out, "CapEff:", eff, sizeof(eff));
	/* CAP_SYS_ADMIN (21) among them */
	IT_CHECKF(strtoull(bnd, NULL, 16) & (1ULL << 21), "CapBnd %s", bnd);
	IT_CHECKF(!strcmp(bnd, eff), "CapBnd %s, CapEff %s", bnd, eff);
	vde_delstack(s);
}

/* test_bad_cmd_caps_value_fails_with_einval - and nothing runs. */
static void test_bad_cmd_caps_value_fails_with_einval(void)
{
	char *argv[] = { "/bin/true", NULL };
	struct vdestack *s;
	char cmd[1024], mark[512];

	setenv("VDESTACK_CMD_CAPS", "sys_admin", 1);
	it_require_stacks();
	s = it_addstack(NULL, NULL);
	snprintf(mark, sizeof(mark), "%s/ran", it_tmpdir());
	snprintf(cmd, sizeof(cmd), "/usr/bin/touch %s", mark);
	IT_CHECK_ERRNO(vde_stackcmd(s, cmd) == -1, EINVAL);
	IT_CHECK(!it_exists(mark));
	IT_CHECK_ERRNO(vde_stackspawn(s, argv, NULL) == -1, EINVAL);
	vde_delstack(s);
}

struct victim {
	int pd;
	pid_t pid;     /* a process living in the other stack */
	pid_t spawner; /* its parent, the library's spawner */
};

/* start_victim - a long-running process in stack s; its pid and its
 * parent's.  Ended by closing v->pd. */
static void start_victim(struct vdestack *s, struct victim *v)
{
	char path[512], script[2048], buf[512];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	int64_t until;
	FILE *f;

	snprintf(path, sizeof(path), "%s/victim", it_tmpdir());
	snprintf(script, sizeof(script),
		 "echo $$ > %s.tmp && mv %s.tmp %s && exec /bin/sleep 120", path,
		 path, path);
	v->pd = vde_stackspawn(s, argv, NULL);
	IT_CHECK(v->pd >= 0);
	until = it_now_ms() + 30000;
	while (!it_exists(path)) {
		IT_CHECKF(it_now_ms() < until, "the victim did not start");
		it_sleep_ms(10);
	}
	f = fopen(path, "r");
	IT_CHECK(f && fscanf(f, "%d", &v->pid) == 1);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)v->pid);
	f = fopen(path, "r");
	IT_CHECK(f && fgets(buf, sizeof(buf), f));
	fclose(f);
	/* "pid (comm) state ppid ...": comm is sleep or sh, no ')' in it */
	IT_CHECK(sscanf(strrchr(buf, ')') + 2, "%*c %d", &v->spawner) == 1);
}

/* probe_command - the probe's setns command line for the victim's
 * namespace, its spawner's, the helper's and every descriptor the helper
 * holds (its base namespace and every stack's). */
static void probe_command(const struct victim *v, char *cmd, size_t size)
{
	pid_t helper = it_helper_pid(0);
	char dir[64];
	struct dirent *e;
	size_t len;
	DIR *d;

	IT_CHECK(helper > 0);
	len = (size_t)snprintf(cmd, size,
			       "%s setns /proc/%d/ns/net /proc/%d/ns/net "
			       "/proc/%d/ns/net", probe(), (int)v->pid,
			       (int)v->spawner, (int)helper);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)helper);
	d = opendir(dir);
	IT_CHECK(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		len += (size_t)snprintf(cmd + len, size - len, " %s/%s", dir,
					e->d_name);
		IT_CHECK(len < size);
	}
	closedir(d);
}

/* check_no_entry - no line of out says "entered", and the victim's
 * namespace could not be opened (EACCES: it belongs to another stack's
 * user namespace) or not entered (EPERM). */
static void check_no_entry(const char *who, const char *out, pid_t victim)
{
	char open_refused[128], setns_refused[128];

	IT_CHECKF(!strstr(out, " entered"), "%s entered a namespace:\n%s", who,
		  out);
	snprintf(open_refused, sizeof(open_refused), "/proc/%d/ns/net open %d\n",
		 (int)victim, EACCES);
	snprintf(setns_refused, sizeof(setns_refused),
		 "/proc/%d/ns/net setns %d\n", (int)victim, EPERM);
	IT_CHECKF(strstr(out, open_refused) || strstr(out, setns_refused),
		  "%s: want [%s] or [%s] in:\n%s", who, open_refused,
		  setns_refused, out);
}

/* test_command_cannot_enter_another_stack_or_the_helper - neither the
 * namespace of a process in another stack, nor the spawner's, nor the
 * helper's base namespace or any namespace descriptor it holds. */
static void test_command_cannot_enter_another_stack_or_the_helper(void)
{
	static char cmd[16384];
	struct vdestack *a, *b;
	struct victim v;
	char out[16384];

	unsetenv("VDESTACK_CMD_CAPS");
	it_require_stacks();
	a = it_addstack(NULL, NULL);
	b = it_addstack(NULL, NULL);
	start_victim(a, &v);
	probe_command(&v, cmd, sizeof(cmd));
	IT_CHECK(it_stackcmd_capture(b, cmd, false, out, sizeof(out)) == 0);
	check_no_entry("vde_stackcmd", out, v.pid);
	/* the same from a process started with vde_stackspawn */
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		IT_CHECK(spawn_capture(b, argv, NULL, out, sizeof(out)) == 0);
		check_no_entry("vde_stackspawn", out, v.pid);
	}
	close(v.pd);
	vde_delstack(b);
	vde_delstack(a);
}

/* test_cmd_caps_all_lets_a_command_enter_its_own_stack_only - with every
 * capability (VDESTACK_CMD_CAPS=all) a command may enter a namespace of its
 * own stack (so the probe above would see an entry), and still not one of
 * another stack: each stack has a user namespace of its own. */
static void test_cmd_caps_all_lets_a_command_enter_its_own_stack_only(void)
{
	struct vdestack *a, *b;
	char cmd[1024], out[4096], want[128];
	struct victim v;

	/* read when the helper starts: before the first stack */
	setenv("VDESTACK_CMD_CAPS", "all", 1);
	it_require_stacks();
	a = it_addstack(NULL, NULL);
	b = it_addstack(NULL, NULL);
	start_victim(a, &v);
	snprintf(cmd, sizeof(cmd), "%s setns /proc/%d/ns/net", probe(),
		 (int)v.pid);
	IT_CHECK(it_stackcmd_capture(a, cmd, false, out, sizeof(out)) == 0);
	snprintf(want, sizeof(want), "/proc/%d/ns/net entered\n", (int)v.pid);
	IT_CHECKF(!strcmp(out, want), "got [%s], want [%s]", out, want);
	IT_CHECK(it_stackcmd_capture(b, cmd, false, out, sizeof(out)) == 0);
	check_no_entry("vde_stackcmd with every capability", out, v.pid);
	close(v.pd);
	vde_delstack(b);
	vde_delstack(a);
}

/* test_command_cannot_put_an_interface_in_another_stack_or_the_helper -
 * a command keeps CAP_NET_ADMIN, but only over its own stack: it cannot
 * make a veth pair with an end in another stack's network namespace or
 * the helper's base one, named by path or by pid. */
static void test_command_cannot_put_an_interface_in_another_stack_or_the_helper(void)
{
	struct vdestack *a, *b;
	pid_t helper;
	char cmd[1024], out[4096];
	struct victim v;

	unsetenv("VDESTACK_CMD_CAPS");
	it_require_stacks();
	a = it_addstack(NULL, NULL);
	b = it_addstack(NULL, NULL);
	start_victim(a, &v);
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	/* the same command, run on the stack's own namespace first (named
	 * by path, then by pid), works: so a refusal after it is the other
	 * namespace's, not a command that cannot work */
	snprintf(cmd, sizeof(cmd),
		 "/bin/sh -c 'i=0; for t in /proc/$$/ns/net $$ /proc/%d/ns/net "
		 "%d /proc/%d/ns/net %d; do i=$((i + 1)); "
		 "/bin/ip link add vdsx$i type veth peer name vdsy$i netns $t "
		 "2>/dev/null && echo made $i; done; echo done'",
		 (int)v.pid, (int)v.pid, (int)helper, (int)helper);
	IT_CHECK(it_stackcmd_capture(b, cmd, false, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "made 1\nmade 2\ndone\n"), "want the pairs "
		  "made in its own stack only (1 and 2):\n%s", out);
	IT_CHECK(it_stackcmd_capture(a, "/bin/ip -o link show", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(!strstr(out, "vdsx") && !strstr(out, "vdsy"),
		  "stack a has: %s", out);
	close(v.pd);
	vde_delstack(b);
	vde_delstack(a);
}

/* test_network_tools_work_with_the_network_capabilities - ip (address,
 * route, link), ping, sysctl -w net.*, nft, and a port below 1024. */
static void test_network_tools_work_with_the_network_capabilities(void)
{
	struct vdestack *s;
	char cmd[1024], out[4096];

	it_require_stacks();
	it_require_program("ping");
	it_require_program("nft");
	it_require_program("sysctl");
	unsetenv("VDESTACK_CMD_CAPS");
	s = it_addstack(NULL, NULL);
	it_stackcmd_ok(s, "/bin/ip addr add 10.77.0.1/24 dev lo; "
			  "/bin/ip route add 10.78.0.0/16 via 10.77.0.1; "
			  "/bin/ip link set lo mtu 1400");
	IT_CHECK(it_stackcmd_capture(s, "/bin/ip route show 10.78.0.0/16",
				     false, out, sizeof(out)) == 0);
	IT_CHECKF(strstr(out, "via 10.77.0.1"), "ip route: %s", out);
	/* raw ICMP (ping_group_range is "1 0" in a new namespace) */
	IT_CHECK(it_stackcmd_capture(s, "/bin/ping -n -c 1 -W 10 10.77.0.1",
				     true, out, sizeof(out)) == 0);
	it_stackcmd_ok(s, "/sbin/sysctl -q -w net.ipv4.ip_forward=1 "
			  "net.ipv6.conf.all.forwarding=1");
	IT_CHECK(it_stackcmd_capture(s, "/bin/cat /proc/sys/net/ipv4/ip_forward",
				     false, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "1\n"), "ip_forward: %s", out);
	it_stackcmd_ok(s, "/usr/sbin/nft add table inet t; "
			  "/usr/sbin/nft add chain inet t c "
			  "'{ type filter hook input priority 0; }'; "
			  "/usr/sbin/nft add rule inet t c tcp dport 9 drop");
	IT_CHECK(it_stackcmd_capture(s, "/usr/sbin/nft list ruleset", false,
				     out, sizeof(out)) == 0);
	IT_CHECKF(strstr(out, "tcp dport 9 drop"), "nft: %s", out);
	snprintf(cmd, sizeof(cmd), "%s bind 80", probe());
	IT_CHECK(it_stackcmd_capture(s, cmd, false, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "bind ok\n"), "port 80: %s", out);
	vde_delstack(s);
}

/* test_spawned_process_sees_no_descriptor_of_the_application - only 0,
 * 1 and 2, whatever the application holds without close-on-exec. */
static void test_spawned_process_sees_no_descriptor_of_the_application(void)
{
	char *argv[] = { (char *)probe(), "fds", NULL };
	struct vdestack *s, *net = NULL;
	int extra[4], p[2];
	char out[4096];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	if (it_network_available())
		net = it_addstack("null://", NULL);
	IT_CHECK(pipe(p) == 0);
	extra[0] = p[0];
	extra[1] = p[1];
	extra[2] = open("/dev/null", O_RDONLY);
	extra[3] = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 4; i++)
		IT_CHECK(extra[i] >= 0 && !(fcntl(extra[i], F_GETFD) & FD_CLOEXEC));
	IT_CHECK(spawn_capture(s, argv, NULL, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, ""), "the process has descriptors:\n%s", out);
	for (int i = 0; i < 4; i++)
		close(extra[i]);
	vde_delstack(net);
	vde_delstack(s);
}

/* test_spawned_process_gets_exactly_its_environment - envp as given, and
 * the fixed one of vde_stackcmd for NULL; nothing of the application's. */
static void test_spawned_process_gets_exactly_its_environment(void)
{
	char *argv[] = { (char *)probe(), "env", NULL };
	char *envp[] = { "ONE=1", "TWO=two words", NULL };
	struct vdestack *s;
	char out[4096];

	setenv("VDESTACK_TEST_SECRET", "must-not-leak", 1);
	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(spawn_capture(s, argv, envp, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "ONE=1\nTWO=two words\n"), "env:\n%s", out);
	IT_CHECK(spawn_capture(s, argv, NULL, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out,
			  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
			  "/usr/bin:/sbin:/bin\nHOME=/\nLC_ALL=C\n"),
		  "env:\n%s", out);
	vde_delstack(s);
}

/* test_command_gets_the_applications_descriptor_limit - not the raised
 * one of the helper. */
static void test_command_gets_the_applications_descriptor_limit(void)
{
	char *argv[] = { "/bin/sh", "-c", "ulimit -n", NULL };
	struct rlimit rl;
	struct vdestack *s;
	char out[256];

	/* before the helper starts (it raises its own) */
	IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 300)
		it_skip("descriptor hard limit %lu", (unsigned long)rl.rlim_max);
	rl.rlim_cur = 256;
	IT_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(it_stackcmd_capture(s, "/bin/sh -c 'ulimit -n'", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "256\n"), "vde_stackcmd: ulimit -n %s", out);
	IT_CHECK(spawn_capture(s, argv, NULL, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "256\n"), "vde_stackspawn: ulimit -n %s", out);
	vde_delstack(s);
}

/* seccomp_threads - threads of this process in seccomp filter mode, and
 * how many threads in all (*ret_all). */
static int seccomp_threads(int *ret_all)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0, all = 0;

	IT_CHECK(d);
	while ((e = readdir(d))) {
		char path[300], text[4096];
		ssize_t len;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* the thread ended meanwhile */
		len = read(fd, text, sizeof(text) - 1);
		close(fd);
		text[len > 0 ? len : 0] = '\0';
		all++;
		if (strstr(text, "\nSeccomp:\t2\n"))
			n++;
	}
	closedir(d);
	*ret_all = all;
	return n;
}

/* test_pump_threads_run_under_seccomp - the thread that pumps a mem://
 * stack is in seccomp filter mode, the application's are not; and the
 * stacks still carry traffic.  VDESTACK_BRIDGE=off keeps the stacks on
 * the userspace switch on either link (a bridged veth member has no pump
 * thread at all). */
static void test_pump_threads_run_under_seccomp(void)
{
	struct vdestack *a, *b;
	int all, before;

	unsetenv("VDESTACK_PUMP_SECCOMP");
	setenv("VDESTACK_BRIDGE", "off", 1);
	it_require_network();
	before = seccomp_threads(&all);
	IT_CHECKF(before == 0, "%d filtered threads before any stack", before);
	a = it_addstack("mem://sec-pump", NULL);
	b = it_addstack("mem://sec-pump", NULL);
	IT_CHECKF(seccomp_threads(&all) >= 1 && seccomp_threads(&all) < all,
		  "%d of %d threads filtered", seccomp_threads(&all), all);
	it_config_addr(a, "vde0", "10.91.0.1/24");
	it_config_addr(b, "vde0", "10.91.0.2/24");
	it_tcp_exchange(a, b, "10.91.0.1", 256 * 1024, 5);
	vde_delstack(b);
	vde_delstack(a);
}

/* test_pump_seccomp_off_with_the_variable - VDESTACK_PUMP_SECCOMP=0. */
static void test_pump_seccomp_off_with_the_variable(void)
{
	struct vdestack *a;
	int all, before;

	setenv("VDESTACK_PUMP_SECCOMP", "0", 1);
	setenv("VDESTACK_BRIDGE", "off", 1);
	it_require_network();
	before = it_count_threads();
	a = it_addstack("mem://sec-off", NULL);
	/* the stack has its pump thread (which would be filtered) */
	IT_CHECKF(it_count_threads() > before, "no pump thread: %d threads, "
		  "%d before", it_count_threads(), before);
	IT_CHECKF(seccomp_threads(&all) == 0, "%d of %d threads filtered",
		  seccomp_threads(&all), all);
	vde_delstack(a);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(command_keeps_only_the_network_capabilities),
	T(command_keeps_every_capability_with_cmd_caps_all),
	T(bad_cmd_caps_value_fails_with_einval),
	T(command_cannot_enter_another_stack_or_the_helper),
	T(cmd_caps_all_lets_a_command_enter_its_own_stack_only),
	T(command_cannot_put_an_interface_in_another_stack_or_the_helper),
	T(network_tools_work_with_the_network_capabilities),
	T(spawned_process_sees_no_descriptor_of_the_application),
	T(spawned_process_gets_exactly_its_environment),
	T(command_gets_the_applications_descriptor_limit),
	T(pump_threads_run_under_seccomp),
	T(pump_seccomp_off_with_the_variable),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
