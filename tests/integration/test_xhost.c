/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_xhost.c - networks across hosts: stacks in programs on two
 * "machines" share one Ethernet through VDE in each way README.md names
 * (vxvde:// multicast, a vde_switch reached through a command as over
 * ssh, a switch on each machine joined by a vde_plug cable), and carry
 * TCP whose every byte is checked; stacks made and deleted on vxvde://
 * leave nothing behind.
 *
 * Theory of operation.  A machine is a forked child of the test in a
 * network namespace of its own whose only interfaces are lo and one end
 * of a veth pair, the other end being the other machine's.  The ends have
 * addresses in a private subnet and a multicast route, and nothing else:
 * no default route, no gateway, so whatever the machines send (the vxvde
 * multicast included) stays on that pair; each machine checks this in its
 * /proc/self/net before it starts.  As root, each machine unshares a
 * network namespace.  Unprivileged, machine A first makes a user
 * namespace, mapped to root, that owns its network namespace; machine B
 * joins that user namespace (setns(), which the test's user may do, since
 * it owns it) and unshares its network namespace there, so that A's root
 * may make the veth pair with its peer in B's namespace ("ip link add ...
 * netns PID").
 *
 * Each machine then uses the library as any program would: its first
 * vde_addstack() forks the helper, whose user namespace nests in the
 * machine's (checked with NS_GET_PARENT), and its backends are opened in
 * the program's network namespace, the machine's: the vxvde socket and
 * the stream backend's command live there.  This is how nobody runs
 * everything: namespaces of the test's own, stacks nested inside.
 *
 * The command that "connects across, as ssh would" is socat: in A
 * "socat - TCP:B:PORT", in B a listener that runs "vde_plug SWITCH" on the
 * connection it accepts (ssh would run that vde_plug on the remote side).
 * The machines talk over a socketpair from the test, in steps (enum
 * step); every wait, on that socketpair, a connection or a process, is
 * bounded.  Processes a machine starts get a process group of their own,
 * with the machine a child subreaper, so that what they start in turn
 * (socat's vde_plug, vde_plug's socat) is reaped too; each machine ends
 * with the descriptors, children and threads it had before its role.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define WAIT_MS 60000          /* a step, a connection: reached on a hang */
#define PROC_WAIT_MS 10000     /* a short command, a process asked to end */
#define MACHINES_WAIT_MS 200000 /* both machines, under the watchdog */

/* The veth pair between the machines, and its private subnet. */
#define VETH_A "xhost-a"
#define VETH_B "xhost-b"
#define LINK_A "10.231.0.1"
#define LINK_B "10.231.0.2"
#define LINK_NET "10.231.0.0"
#define LINK_MASK "255.255.255.0"
#define LINK_PREFIX 24
/* Multicast goes out of the veth end, nowhere else. */
#define MCAST_NET "224.0.0.0"
#define MCAST_MASK "240.0.0.0"
#define MCAST_ROUTE "224.0.0.0/4"

/* The stacks' own Ethernet, another subnet. */
#define STACK_IF "vde0"
#define STACK_A "10.232.0.1/24"
#define STACK_B_IP "10.232.0.2"
#define STACK_B STACK_B_IP "/24"
#define VXVDE_URL "vxvde://239.193.23.17"

/* B's listener that plugs a TCP connection into B's switch. */
#define PLUG_PORT 7300
#define STR_(x) #x
#define STR(x) STR_(x)
/* A's end of the connection across: what ssh B would be. */
#define ACROSS_ARGS "socat", "-", "TCP:" LINK_B ":" STR(PLUG_PORT)
/* The stacks' checked TCP. */
#define DATA_PORT 5001
#define DATA_BYTES (1024 * 1024)
#define DATA_SEED 0x17a5c0ffeeull

#define VXVDE_CYCLES 8 /* stacks made and deleted in turn on vxvde:// */
#define TCP_LISTEN_STATE 0x0a /* TCP_LISTEN in /proc/net/tcp */

/* What one machine tells the other, in this order. */
enum step {
	STEP_USERNS = 1, /* A: its namespaces exist (B may join them) */
	STEP_NETNS,      /* B: its network namespace exists (value: pid) */
	STEP_LINKED,     /* A: the veth pair exists, A's end configured */
	STEP_CONFIGURED, /* B: B's end configured */
	STEP_READY,      /* B: its listener waits for A */
	STEP_DONE,       /* A: its data went and came back checked */
};

struct step_msg {
	int step;
	int value;
};

/* One machine, as its role sees it. */
struct machine {
	char name;            /* 'A' or 'B' */
	int peer;             /* the socketpair end to the other machine */
	pid_t first;          /* machine A's pid (B joins its namespaces) */
	const char *dir;      /* the test's temporary directory */
	const char *veth;     /* this machine's end of the pair */
	const char *link_ip;  /* and its address */
	const char *stack_ip; /* this machine's stack's address (cidr) */
};

typedef void (*role_fn)(struct machine *m);

/* say - tell the other machine that step is done (value: what it needs). */
static void say(struct machine *m, enum step step, int value)
{
	struct step_msg msg = { .step = step, .value = value };

	IT_CHECKF(send(m->peer, &msg, sizeof(msg), MSG_NOSIGNAL) ==
		  (ssize_t)sizeof(msg), "machine %c: telling step %d",
		  m->name, step);
}

/* await_step - wait (bounded) for the other machine's step.
 * Return: the value it came with. */
static int await_step(struct machine *m, enum step step)
{
	struct pollfd p = { .fd = m->peer, .events = POLLIN };
	struct step_msg msg;
	ssize_t n;

	IT_CHECKF(poll(&p, 1, WAIT_MS) == 1, "machine %c: no step %d in %d ms",
		  m->name, step, WAIT_MS);
	n = recv(m->peer, &msg, sizeof(msg), 0);
	IT_CHECKF(n != 0, "machine %c: the other machine ended before step %d",
		  m->name, step);
	IT_CHECKF(n == (ssize_t)sizeof(msg) && msg.step == (int)step,
		  "machine %c: step %d expected, got %d", m->name, step,
		  n == (ssize_t)sizeof(msg) ? msg.step : -1);
	return msg.value;
}

/* wait_bounded - reap pid within ms, SIGKILLing it when it takes longer.
 * Return: its wait status, or -1 when it had to be killed. */
static int wait_bounded(pid_t pid, int ms)
{
	int64_t end = it_now_ms() + ms;
	int status;
	pid_t r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (it_now_ms() > end) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		it_sleep_ms(10);
	}
	IT_CHECKF(r == pid, "waitpid %d", (int)pid);
	return status;
}

/* run_ip - run "/bin/ip ARGS" (printf-formatted, words split at blanks)
 * in this machine; it must succeed. */
static void run_ip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run_ip(const char *fmt, ...)
{
	char line[256], words[256], *argv[16], *save = NULL;
	int argc = 0, status;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	memcpy(words, line, sizeof(words));
	argv[argc++] = "ip";
	for (char *w = strtok_r(words, " ", &save); w && argc < 15;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		execv("/bin/ip", argv);
		_exit(127);
	}
	status = wait_bounded(pid, PROC_WAIT_MS);
	IT_CHECKF(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "ip %s: status 0x%x", line, status);
}

/* lo_up - bring this network namespace's loopback up. */
static void lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	IT_CHECK(fd >= 0);
	IT_CHECK(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	IT_CHECKF(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0, "lo up");
	close(fd);
}

/* map_root - in a fresh user namespace, map this process's ids to root. */
static void map_root(uid_t uid, gid_t gid)
{
	char map[64];

	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	IT_CHECK(it_write_file("/proc/self/uid_map", map));
	IT_CHECK(it_write_file("/proc/self/setgroups", "deny"));
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	IT_CHECK(it_write_file("/proc/self/gid_map", map));
}

/* enter_first - machine A: a network namespace (owned by a user namespace
 * of its own when not root), lo up; then B may join. */
static void enter_first(struct machine *m)
{
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (uid != 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
			if (errno == EPERM || errno == ENOSPC ||
			    errno == EINVAL || errno == EACCES)
				it_skip("no user namespaces here: %s",
					strerror(errno));
			it_fail(__FILE__, __LINE__, "unshare user+net");
		}
		map_root(uid, gid);
	} else {
		IT_CHECKF(unshare(CLONE_NEWNET) == 0, "unshare net");
	}
	lo_up();
	say(m, STEP_USERNS, 0);
}

/* enter_second - machine B: into A's user namespace when not root, then a
 * network namespace of its own there, lo up. */
static void enter_second(struct machine *m)
{
	char path[64];
	int fd;

	await_step(m, STEP_USERNS);
	if (getuid() != 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)m->first);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		IT_CHECKF(fd >= 0, "open %s", path);
		IT_CHECKF(setns(fd, CLONE_NEWUSER) == 0,
			  "setns into machine A's user namespace");
		close(fd);
	}
	IT_CHECKF(unshare(CLONE_NEWNET) == 0, "unshare net");
	lo_up();
	say(m, STEP_NETNS, (int)getpid());
}

/* configure_end - this machine's veth end: its address, up, the
 * multicast route through it. */
static void configure_end(struct machine *m)
{
	run_ip("addr add %s/%d dev %s", m->link_ip, LINK_PREFIX, m->veth);
	run_ip("link set %s up", m->veth);
	run_ip("route add %s dev %s", MCAST_ROUTE, m->veth);
}

/* link_machines - the veth pair, made by A with B's end in B's network
 * namespace, each end configured by its machine. */
static void link_machines(struct machine *m)
{
	if (m->name == 'A') {
		int pid_b = await_step(m, STEP_NETNS);

		run_ip("link add %s type veth peer name %s netns %d", VETH_A,
		       VETH_B, pid_b);
		configure_end(m);
		say(m, STEP_LINKED, 0);
		await_step(m, STEP_CONFIGURED);
	} else {
		await_step(m, STEP_LINKED);
		configure_end(m);
		say(m, STEP_CONFIGURED, 0);
	}
}

/* check_interfaces - this network namespace has lo and the veth end,
 * nothing else (/proc/self/net/dev). */
static void check_interfaces(struct machine *m)
{
	FILE *f = fopen("/proc/self/net/dev", "re");
	bool lo = false, veth = false;
	char line[512];
	int n = 0;

	IT_CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		char name[IFNAMSIZ + 1];

		if (!strchr(line, ':') || sscanf(line, " %16[^:]:", name) != 1)
			continue; /* the two header lines */
		n++;
		lo |= !strcmp(name, "lo");
		veth |= !strcmp(name, m->veth);
	}
	fclose(f);
	IT_CHECKF(lo && veth && n == 2,
		  "machine %c: %d interfaces, not just lo and %s", m->name, n,
		  m->veth);
}

/* check_routes - the IPv4 routes are the veth's subnet and the multicast
 * route, both on the veth, without a gateway: no route out. */
static void check_routes(struct machine *m)
{
	FILE *f = fopen("/proc/self/net/route", "re");
	in_addr_t net = inet_addr(LINK_NET), mask = inet_addr(LINK_MASK);
	in_addr_t mnet = inet_addr(MCAST_NET), mmask = inet_addr(MCAST_MASK);
	char line[512], dev[IFNAMSIZ + 1];
	unsigned dst, gw, flags, msk;
	int subnet = 0, mcast = 0, other = 0;

	IT_CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", dev, &dst, &gw,
			   &flags, &msk) != 5)
			continue; /* the header */
		if (strcmp(dev, m->veth) || gw != 0)
			other++;
		else if (dst == net && msk == mask)
			subnet++;
		else if (dst == mnet && msk == mmask)
			mcast++;
		else
			other++;
	}
	fclose(f);
	IT_CHECKF(subnet == 1 && mcast == 1 && other == 0,
		  "machine %c: routes: %d subnet, %d multicast, %d other",
		  m->name, subnet, mcast, other);
}

/* check_stacks_nest - the library's helper (made by the warm-up stack)
 * lives in a user namespace whose parent is this machine's. */
static void check_stacks_nest(struct machine *m)
{
	pid_t helper = it_helper_pid(0);
	struct stat mine, theirs;
	char path[64];
	int fd, parent;

	IT_CHECKF(helper > 0, "machine %c: no helper in a user namespace "
		  "of its own", m->name);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)helper);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	IT_CHECKF(fd >= 0, "open %s", path);
	parent = ioctl(fd, NS_GET_PARENT);
	IT_CHECKF(parent >= 0, "NS_GET_PARENT of the helper's user namespace");
	IT_CHECK(fstat(parent, &theirs) == 0);
	IT_CHECK(stat("/proc/self/ns/user", &mine) == 0);
	close(parent);
	close(fd);
	IT_CHECKF(mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev,
		  "machine %c: the helper's user namespace is not a child of "
		  "the machine's", m->name);
}

/* machine_main - a machine's life: namespaces, link, checks, then its
 * role, ending with the counts it started the role with.
 * Return: never (exits). */
static void machine_main(struct machine *m, role_fn role)
	__attribute__((noreturn));
static void machine_main(struct machine *m, role_fn role)
{
	struct it_counts before;
	char what[32];

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a machine dies with its test */
	IT_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	if (m->name == 'A')
		enter_first(m);
	else
		enter_second(m);
	link_machines(m);
	check_interfaces(m);
	check_routes(m);
	it_require_network(); /* also the warm-up: the helper is made */
	check_stacks_nest(m);
	before = it_take_counts();
	role(m);
	snprintf(what, sizeof(what), "machine %c", m->name);
	it_check_counts(&before, what);
	fflush(NULL);
	exit(0);
}

/* status_ok - Return: true when a machine's wait status is a success. */
static bool status_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* await_machines - reap both machines (bounded); the first to fail ends
 * the other.  Fails, or skips, the test as they did. */
static void await_machines(pid_t a, pid_t b)
{
	int64_t end = it_now_ms() + MACHINES_WAIT_MS;
	pid_t pid[2] = { a, b };
	int status[2] = { 0, 0 }, left = 2;

	while (left) {
		bool late = it_now_ms() > end;

		for (int i = 0; i < 2; i++) {
			if (pid[i] <= 0)
				continue;
			if (late)
				kill(pid[i], SIGKILL);
			if (waitpid(pid[i], &status[i], late ? 0 : WNOHANG) !=
			    pid[i])
				continue;
			pid[i] = 0;
			left--;
			if (!status_ok(status[i]) && pid[1 - i] > 0)
				kill(pid[1 - i], SIGKILL);
		}
		if (left)
			it_sleep_ms(20);
	}
	for (int i = 0; i < 2; i++)
		if (WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == IT_SKIP)
			it_skip("machine %c skipped", 'A' + i);
	IT_CHECKF(status_ok(status[0]) && status_ok(status[1]),
		  "machine A status 0x%x, machine B status 0x%x%s", status[0],
		  status[1], it_now_ms() > end ? " (killed: too late)" : "");
}

/* run_machines - machines A and B, linked, each running its role. */
static void run_machines(role_fn role_a, role_fn role_b)
{
	struct machine m = { .dir = it_tmpdir() };
	pid_t a, b;
	int sv[2];

	IT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			    sv) == 0);
	fflush(NULL);
	a = fork();
	IT_CHECK(a >= 0);
	if (a == 0) {
		close(sv[1]);
		m = (struct machine){ .name = 'A', .peer = sv[0], .dir = m.dir,
				      .veth = VETH_A, .link_ip = LINK_A,
				      .stack_ip = STACK_A };
		machine_main(&m, role_a);
	}
	b = fork();
	if (b == 0) {
		close(sv[0]);
		m = (struct machine){ .name = 'B', .peer = sv[1], .first = a,
				      .dir = m.dir, .veth = VETH_B,
				      .link_ip = LINK_B, .stack_ip = STACK_B };
		machine_main(&m, role_b);
	}
	close(sv[0]);
	close(sv[1]);
	if (b < 0) {
		kill(a, SIGKILL);
		waitpid(a, NULL, 0);
		it_fail(__FILE__, __LINE__, "fork machine B");
	}
	await_machines(a, b);
}

/* machine_stack - this machine's stack on url, its interface up with the
 * machine's stack address.  Return: the stack. */
static struct vdestack *machine_stack(struct machine *m, const char *url)
{
	struct vdestack *s = it_addstack(url, STACK_IF);

	it_config_addr(s, STACK_IF, m->stack_ip);
	return s;
}

/* serve_checked - accept one connection on lfd (bounded), read DATA_BYTES
 * of the generator to the client's end of stream, every byte compared,
 * then answer with a quarter of that of the next seed. */
static void serve_checked(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	size_t off = 0;
	int c, err;

	IT_CHECKF(poll(&p, 1, WAIT_MS) == 1, "no connection in %d ms", WAIT_MS);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(c >= 0);
	it_set_timeouts(c, WAIT_MS);
	err = it_recv_stream(c, DATA_BYTES, DATA_SEED, true, &off);
	IT_CHECKF(err == 0, "server: receiving: %s at byte %zu of %d",
		  strerror(-err), off, DATA_BYTES);
	err = it_send_stream(c, DATA_BYTES / 4, DATA_SEED + 1);
	IT_CHECKF(err == 0, "server: answering: %s", strerror(-err));
	close(c);
}

/* client_checked - from stack s, connect to the other machine's stack,
 * send DATA_BYTES of the generator, end the stream, and read the answer
 * to its end, every byte compared. */
static void client_checked(struct vdestack *s)
{
	int fd = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t off = 0;
	int err;

	IT_CHECK(fd >= 0);
	err = it_tcp_connect(fd, STACK_B_IP, DATA_PORT, WAIT_MS);
	IT_CHECKF(err == 0, "connect to %s:%d: %s", STACK_B_IP, DATA_PORT,
		  strerror(-err));
	it_set_timeouts(fd, WAIT_MS);
	err = it_send_stream(fd, DATA_BYTES, DATA_SEED);
	IT_CHECKF(err == 0, "client: sending: %s", strerror(-err));
	IT_CHECK(shutdown(fd, SHUT_WR) == 0);
	err = it_recv_stream(fd, DATA_BYTES / 4, DATA_SEED + 1, true, &off);
	IT_CHECKF(err == 0, "client: receiving the answer: %s at byte %zu",
		  strerror(-err), off);
	close(fd);
}

/* start_group - run argv (PATH search) in a process group of its own,
 * dying with this machine.  Return: its pid (= its group). */
static pid_t start_group(char *const argv[])
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setpgid(0, 0);
		if (null >= 0)
			dup2(null, 0);
		dup2(2, 1); /* its chatter goes to the test's log */
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid); /* either of the two calls comes first */
	return pid;
}

/* stop_group - SIGTERM the process group pgid, then reap every process
 * of it (this machine is their subreaper), SIGKILL after PROC_WAIT_MS. */
static void stop_group(pid_t pgid)
{
	int64_t end = it_now_ms() + PROC_WAIT_MS;
	bool killed = false;

	kill(-pgid, SIGTERM);
	for (;;) {
		pid_t r = waitpid(-pgid, NULL, WNOHANG);

		if (r < 0 && errno == ECHILD)
			return;
		IT_CHECKF(r >= 0, "waitpid for group %d", (int)pgid);
		if (r > 0)
			continue;
		if (!killed && it_now_ms() > end) {
			kill(-pgid, SIGKILL);
			killed = true;
		}
		IT_CHECKF(it_now_ms() < end + PROC_WAIT_MS,
			  "group %d not gone after SIGKILL", (int)pgid);
		it_sleep_ms(10);
	}
}

/* wait_listening - wait (bounded) for a TCP listener on port in this
 * network namespace (/proc/self/net/tcp). */
static void wait_listening(unsigned port)
{
	int64_t end = it_now_ms() + PROC_WAIT_MS;

	for (;;) {
		FILE *f = fopen("/proc/self/net/tcp", "re");
		unsigned p, st;
		char line[256];
		bool found = false;

		IT_CHECK(f);
		while (!found && fgets(line, sizeof(line), f))
			found = sscanf(line, " %*u: %*x:%x %*x:%*x %x", &p,
				       &st) == 2 &&
				p == port && st == TCP_LISTEN_STATE;
		fclose(f);
		if (found)
			return;
		IT_CHECKF(it_now_ms() < end, "no listener on port %u", port);
		it_sleep_ms(20);
	}
}

/* start_plug_listener - in B, the remote end of a connection made "as ssh
 * would": a listener on B's veth address that runs vde_plug on sw for
 * the connection it accepts.  Return: its process group. */
static pid_t start_plug_listener(const struct it_switch *sw)
{
	char listen[64], exec[600];
	char *argv[] = { "socat", listen, exec, NULL };
	pid_t pgid;

	snprintf(listen, sizeof(listen), "TCP-LISTEN:%d,bind=%s,reuseaddr",
		 PLUG_PORT, LINK_B);
	/* a plain path is vde:// to vde_plug; socat's address syntax
	 * reserves ':' and ',' (mkdtemp's names have neither) */
	snprintf(exec, sizeof(exec), "EXEC:vde_plug %s", sw->path);
	pgid = start_group(argv);
	wait_listening(PLUG_PORT);
	return pgid;
}

/* switch_machine_b - B: a vde_switch, the listener that plugs A's
 * connection into it, a stack on it serving A's checked data. */
static void switch_machine_b(struct machine *m)
{
	struct it_switch sw;
	struct vdestack *s;
	char url[600];
	pid_t plug;
	int lfd;

	it_switch_start(&sw, m->dir, "switch-b");
	plug = start_plug_listener(&sw);
	snprintf(url, sizeof(url), "vde://%s", sw.path);
	s = machine_stack(m, url);
	lfd = it_tcp_listen(s, STACK_B_IP, DATA_PORT);
	say(m, STEP_READY, 0);
	serve_checked(lfd);
	close(lfd);
	await_step(m, STEP_DONE);
	vde_delstack(s);
	stop_group(plug);
	it_switch_stop(&sw);
}

/* vxvde_machine_a - A: a stack on the vxvde network, sending to B's. */
static void vxvde_machine_a(struct machine *m)
{
	struct vdestack *s = machine_stack(m, VXVDE_URL);

	await_step(m, STEP_READY);
	client_checked(s);
	vde_delstack(s);
	say(m, STEP_DONE, 0);
}

/* vxvde_machine_b - B: a stack on the same vxvde network, serving. */
static void vxvde_machine_b(struct machine *m)
{
	struct vdestack *s = machine_stack(m, VXVDE_URL);
	int lfd = it_tcp_listen(s, STACK_B_IP, DATA_PORT);

	say(m, STEP_READY, 0);
	serve_checked(lfd);
	close(lfd);
	await_step(m, STEP_DONE);
	vde_delstack(s);
}

/* vxvde_cycles_machine_a - A: stacks on the vxvde network made and
 * deleted in turn, each leaving the machine's counts as they were
 * (libvdeplug 4.0.1's vxvde plugin alone would lose its epoll set). */
static void vxvde_cycles_machine_a(struct machine *m)
{
	struct it_counts before = it_take_counts();
	char what[64];

	for (int i = 0; i < VXVDE_CYCLES; i++) {
		vde_delstack(machine_stack(m, VXVDE_URL));
		snprintf(what, sizeof(what), "vxvde:// stack %d of %d", i + 1,
			 VXVDE_CYCLES);
		it_check_counts(&before, what);
	}
	say(m, STEP_DONE, 0);
}

/* idle_machine_b - B: nothing but waiting for A to be done. */
static void idle_machine_b(struct machine *m)
{
	await_step(m, STEP_DONE);
}

/* stream_machine_a - A: a stack whose stream backend runs a command that
 * connects across to B's vde_plug, as "=ssh B vde_plug SWITCH" would. */
static void stream_machine_a(struct machine *m)
{
	struct vdestack *s;

	await_step(m, STEP_READY);
	s = machine_stack(m, "=socat - TCP:" LINK_B ":" STR(PLUG_PORT));
	client_checked(s);
	vde_delstack(s);
	say(m, STEP_DONE, 0);
}

/* How machine A joins its switch to B's. */
enum cable {
	CABLE_VDE_PLUG, /* vde_plug SWITCH_A = CONNECT-ACROSS */
	CABLE_DPIPE,    /* dpipe vde_plug SWITCH_A = CONNECT-ACROSS */
};

/* cable_machine_a - A: a switch of its own joined to B's by a cable of
 * the kind asked, a stack on it sending to B's stack. */
static void cable_machine_a(struct machine *m, enum cable kind)
{
	char *across[] = { ACROSS_ARGS };
	char *argv[8];
	struct it_switch sw;
	struct vdestack *s;
	char url[600];
	pid_t cable;
	int argc = 0;

	await_step(m, STEP_READY);
	it_switch_start(&sw, m->dir, "switch-a");
	if (kind == CABLE_DPIPE)
		argv[argc++] = "dpipe";
	argv[argc++] = "vde_plug";
	argv[argc++] = sw.path;
	argv[argc++] = "=";
	for (size_t i = 0; i < sizeof(across) / sizeof(across[0]); i++)
		argv[argc++] = across[i];
	argv[argc] = NULL;
	cable = start_group(argv);
	snprintf(url, sizeof(url), "vde://%s", sw.path);
	s = machine_stack(m, url);
	client_checked(s);
	vde_delstack(s);
	stop_group(cable);
	it_switch_stop(&sw);
	say(m, STEP_DONE, 0);
}

/* cable_vde_plug_machine_a - A, joined by vde_plug's own "= command". */
static void cable_vde_plug_machine_a(struct machine *m)
{
	cable_machine_a(m, CABLE_VDE_PLUG);
}

/* cable_dpipe_machine_a - A, joined by dpipe between two commands. */
static void cable_dpipe_machine_a(struct machine *m)
{
	cable_machine_a(m, CABLE_DPIPE);
}

/* require_cable_tools - skip (outside CI) without the programs the cases
 * over switches run. */
static void require_cable_tools(void)
{
	it_require_program("socat");
	it_require_program("vde_plug");
	it_require_program("vde_switch");
}

/* Two stacks in programs on two machines share vxvde://, its multicast
 * kept on the machines' veth pair: checked TCP both ways. */
static void test_xhost_vxvde_carries_checked_tcp_between_machines(void)
{
	run_machines(vxvde_machine_a, vxvde_machine_b);
}

/* Stacks made and deleted on vxvde:// leave no descriptor, child or
 * thread behind. */
static void test_xhost_vxvde_stacks_leave_nothing_behind(void)
{
	run_machines(vxvde_cycles_machine_a, idle_machine_b);
}

/* A stack on one machine reaches a vde_switch on the other through the
 * stream backend's command that connects across (as ssh would), to a
 * vde_plug there; B's stack is on that switch: checked TCP both ways. */
static void test_xhost_stream_backend_reaches_a_switch_on_another_machine(void)
{
	require_cable_tools();
	run_machines(stream_machine_a, switch_machine_b);
}

/* A switch on each machine, joined by "vde_plug SWITCH = command" that
 * connects across; a stack on each switch: checked TCP both ways. */
static void test_xhost_switches_joined_by_vde_plug_carry_checked_tcp(void)
{
	require_cable_tools();
	run_machines(cable_vde_plug_machine_a, switch_machine_b);
}

/* The same with "dpipe vde_plug SWITCH = command" as the cable. */
static void test_xhost_switches_joined_by_dpipe_carry_checked_tcp(void)
{
	require_cable_tools();
	it_require_program("dpipe");
	run_machines(cable_dpipe_machine_a, switch_machine_b);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(xhost_vxvde_carries_checked_tcp_between_machines),
	T(xhost_vxvde_stacks_leave_nothing_behind),
	T(xhost_stream_backend_reaches_a_switch_on_another_machine),
	T(xhost_switches_joined_by_vde_plug_carry_checked_tcp),
	T(xhost_switches_joined_by_dpipe_carry_checked_tcp),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
