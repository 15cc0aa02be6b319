/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_ifaces.c - several interfaces per stack: vde_stackaddif(),
 * vde_stackdelif(), vde_stackconf()'s forward, a router stack between two
 * mem:// segments, and the vdestack command's -n. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* Bytes sent client to server through the router (a quarter come back). */
#define ROUTED_BYTES (4u << 20)
/* How long a connection attempt is given once the path is cut. */
#define CUT_CONNECT_MS 3000
/* Add/remove cycles of the leak test. */
#define CYCLES 50

/* url - a mem:// URL of this test process named name.  Return: it, in
 * one of four buffers used in turn. */
static const char *url(const char *name)
{
	static char buf[4][96];
	static unsigned k;
	char *u = buf[k++ % 4];

	snprintf(u, sizeof(buf[0]), "mem://%s-%d", name, (int)getpid());
	return u;
}

/* addif_ok - vde_stackaddif() that must succeed. */
static void addif_ok(struct vdestack *s, const char *net, const char *ifname)
{
	IT_CHECKF(vde_stackaddif(s, (char *)net, (char *)ifname) == 0,
		  "vde_stackaddif(%s, %s): %s", net, ifname ? ifname : "NULL",
		  strerror(errno));
}

/* has_iface - whether stack s has interface name (ip link shows it).
 * Return: true if it has. */
static bool has_iface(struct vdestack *s, const char *name)
{
	char out[8192], cmd[128];

	snprintf(cmd, sizeof(cmd), "/bin/ip -o link show dev %s", name);
	return it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0;
}

/* sysctl_read - the first byte of /proc/sys/PATH inside stack s.
 * Return: it ('0', '1'...). */
static char sysctl_read(struct vdestack *s, const char *path)
{
	char out[256], cmd[256];

	snprintf(cmd, sizeof(cmd), "/bin/cat /proc/sys/%s", path);
	IT_CHECKF(it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0,
		  "%s: %s", cmd, out);
	return out[0];
}

/* connects_within - whether a TCP connection from stack cli to ip:port
 * is established within ms (new attempts after each failure).  Unlike a
 * poll() that returns, only getpeername() says a connection is made: a
 * socket whose SYN drew an ICMP error while it was busy stays in SYN-SENT
 * with no error to read.  Return: true when one was. */
static bool connects_within(struct vdestack *cli, const char *ip,
			    uint16_t port, int ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	int64_t end = it_now_ms() + ms;

	IT_CHECK(inet_pton(AF_INET, ip, &sin.sin_addr) == 1);
	while (it_now_ms() < end) {
		int fd = vde_msocket(cli, AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
				     SOCK_NONBLOCK, 0);
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int left = (int)(end - it_now_ms());
		bool made;

		IT_CHECK(fd >= 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
		    errno == EINPROGRESS)
			poll(&p, 1, left > 0 ? left : 0);
		made = getpeername(fd, (struct sockaddr *)&peer, &len) == 0;
		close(fd);
		if (made)
			return true;
		it_sleep_ms(100);
	}
	return false;
}

/* The three stacks of the topology: client on A, router on A and B,
 * server on B. */
struct topo {
	struct vdestack *client, *router, *server;
};

/* topo_make - client 10.0.1.2 on segment A, router 10.0.1.1 (vde0, on A)
 * and 10.0.2.1 (vde1, on B, added) forwarding, server 10.0.2.2 on B, each
 * end's default route through the router (gw=). */
static void topo_make(struct topo *t)
{
	const char *a = url("A"), *b = url("B");

	t->client = it_addstack(a, NULL);
	t->router = it_addstack(a, NULL);
	t->server = it_addstack(b, NULL);
	addif_ok(t->router, b, "vde1");
	it_stackconf_ok(t->client, "eth,ip=10.0.1.2/24,gw=10.0.1.1");
	it_stackconf_ok(t->server, "eth,ip=10.0.2.2/24,gw=10.0.2.1");
	it_stackconf_ok(t->router, "eth=vde0,ip=10.0.1.1/24,forward");
	it_stackconf_ok(t->router, "eth=vde1,ip=10.0.2.1/24");
}

/* topo_free - delete the three stacks. */
static void topo_free(struct topo *t)
{
	vde_delstack(t->client);
	vde_delstack(t->router);
	vde_delstack(t->server);
}

/* routed_then_cut - TCP data from client to server through the router,
 * every byte checked both ways; then the router's vde1 removed, and a
 * new connection must fail within a bounded time. */
static void routed_then_cut(void)
{
	struct topo t;
	int lfd;

	topo_make(&t);
	it_tcp_exchange(t.server, t.client, "10.0.2.2", ROUTED_BYTES, 17);
	lfd = it_tcp_listen(t.server, "10.0.2.2", 5002);
	/* the check of the cut can tell: before, it connects */
	IT_CHECK(connects_within(t.client, "10.0.2.2", 5002, 10000));
	IT_CHECK(vde_stackdelif(t.router, "vde1") == 0);
	IT_CHECK(!has_iface(t.router, "vde1"));
	IT_CHECKF(!connects_within(t.client, "10.0.2.2", 5002, CUT_CONNECT_MS),
		  "connected to the server through a removed interface");
	close(lfd);
	topo_free(&t);
}

/* Kernel-joined members (the default for mem://: veth ends on a bridge of
 * the helper's): the router forwards between two bridges. */
static void test_router_stack_forwards_tcp_between_two_segments_until_its_interface_goes(void)
{
	unsetenv("VDESTACK_BRIDGE");
	routed_then_cut();
}

/* Every interface pumped by the library (taps as root, veth links as a
 * user without /dev/net/tun): each of the router's interfaces has its
 * own port on the mem:// switch. */
static void test_pumped_router_interfaces_forward_tcp_until_one_goes(void)
{
	setenv("VDESTACK_BRIDGE", "off", 1);
	routed_then_cut();
}

/* A router whose first interface goes: vde0 removed, the path is cut,
 * its vde1 still carries traffic to the server's segment. */
static void test_first_interface_can_be_removed(void)
{
	struct topo t;
	int lfd;

	topo_make(&t);
	lfd = it_tcp_listen(t.server, "10.0.2.2", 5003);
	IT_CHECK(connects_within(t.client, "10.0.2.2", 5003, 10000));
	IT_CHECK(vde_stackdelif(t.router, "vde0") == 0);
	IT_CHECK(!has_iface(t.router, "vde0"));
	IT_CHECK(has_iface(t.router, "vde1"));
	IT_CHECK(!connects_within(t.client, "10.0.2.2", 5003, CUT_CONNECT_MS));
	close(lfd);
	/* the router itself still reaches the server on vde1 */
	it_tcp_exchange(t.server, t.router, "10.0.2.2", 1u << 20, 23);
	topo_free(&t);
}

/* Names: NULL takes the first free vdeN; a removed name is free again. */
static void test_addif_without_a_name_takes_the_next_free_vdeN(void)
{
	struct vdestack *s = it_addstack(url("N"), NULL);

	addif_ok(s, url("N1"), NULL);
	addif_ok(s, url("N2"), NULL);
	IT_CHECK(has_iface(s, "vde1") && has_iface(s, "vde2"));
	IT_CHECK(vde_stackdelif(s, "vde1") == 0);
	addif_ok(s, url("N3"), NULL);
	IT_CHECK(has_iface(s, "vde1"));
	addif_ok(s, url("N4"), "uplink7");
	IT_CHECK(has_iface(s, "uplink7"));
	vde_delstack(s);
}

/* A stack made without a network gets interfaces, and talks on them. */
static void test_stack_without_network_gains_an_interface(void)
{
	struct vdestack *a = it_addstack(NULL, NULL);
	struct vdestack *b = it_addstack(url("W"), NULL);

	IT_CHECK(!has_iface(a, "vde0"));
	addif_ok(a, url("W"), NULL);
	IT_CHECK(has_iface(a, "vde0"));
	it_stackconf_ok(a, "eth,ip=10.0.3.1/24");
	it_stackconf_ok(b, "eth,ip=10.0.3.2/24");
	it_tcp_exchange(b, a, "10.0.3.2", 1u << 20, 29);
	vde_delstack(a);
	vde_delstack(b);
}

/* An interface on a vde_switch (vde://, libvdeplug) beside one on
 * mem://: TCP data checked with a stack on the switch. */
static void test_interface_on_a_vde_switch_carries_tcp(void)
{
	struct vdestack *a, *b;
	struct it_switch sw;
	char net[600];

	it_require_program("vde_switch");
	it_switch_start(&sw, it_tmpdir(), "switch");
	snprintf(net, sizeof(net), "vde://%s", sw.path);
	a = it_addstack(net, NULL);
	b = it_addstack(url("V"), NULL);
	addif_ok(b, net, "vde1");
	it_stackconf_ok(a, "eth,ip=10.0.4.1/24");
	it_stackconf_ok(b, "eth=vde1,ip=10.0.4.2/24");
	it_tcp_exchange(a, b, "10.0.4.1", 1u << 20, 31);
	vde_delstack(b);
	vde_delstack(a);
	it_switch_stop(&sw);
}

/* listener - a TCP socket of stack s listening on ip:port.
 * Return: its descriptor. */
static int listener(struct vdestack *s, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	int fd = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	IT_CHECK(fd >= 0);
	IT_CHECK(inet_pton(AF_INET, ip, &sin.sin_addr) == 1);
	IT_CHECKF(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		  listen(fd, 64) == 0, "%s:%u: %s", ip, port, strerror(errno));
	return fd;
}

/* vde_stacklink()'s if=NAME picks one interface of a stack: a cut of the
 * added vde1 (bridged mem://, so it is moved to the pump for as long as
 * it lasts) stops connections over vde1 and heals with up, a cut of
 * vde0 leaves vde1 alone, and a name the stack does not have is ENODEV
 * with nothing changed. */
static void test_link_conditions_apply_to_the_interface_if_names(void)
{
	struct vdestack *a, *b;
	int lfd;

	a = it_addstack(url("K0"), NULL);
	b = it_addstack(url("K1"), NULL);
	addif_ok(a, url("K1"), "vde1");
	it_stackconf_ok(a, "eth=vde1,ip=10.0.6.1/24");
	it_stackconf_ok(b, "eth,ip=10.0.6.2/24");
	lfd = listener(b, "10.0.6.2", 7600);
	IT_CHECK(connects_within(a, "10.0.6.2", 7600, CUT_CONNECT_MS));
	IT_CHECK_ERRNO(vde_stacklink(a, "if=vde9,down") == -1, ENODEV);
	IT_CHECK(connects_within(a, "10.0.6.2", 7600, CUT_CONNECT_MS));
	IT_CHECKF(vde_stacklink(a, "if=vde0,down") == 0, "%s",
		  strerror(errno));
	IT_CHECK(connects_within(a, "10.0.6.2", 7600, CUT_CONNECT_MS));
	IT_CHECKF(vde_stacklink(a, "if=vde1,down") == 0, "%s",
		  strerror(errno));
	IT_CHECK(!connects_within(a, "10.0.6.2", 7600, CUT_CONNECT_MS / 2));
	IT_CHECKF(vde_stacklink(a, "if=vde1,up") == 0, "%s", strerror(errno));
	IT_CHECK(connects_within(a, "10.0.6.2", 7600, CUT_CONNECT_MS));
	IT_CHECK(vde_stacklink(a, "if=vde1,clear") == 0);
	IT_CHECK(vde_stacklink(a, "if=vde0,clear") == 0);
	IT_CHECK(connects_within(a, "10.0.6.2", 7600, CUT_CONNECT_MS));
	close(lfd);
	vde_delstack(a);
	vde_delstack(b);
}

/* An interface on slirp:// (libslirp inside the library) added to a
 * mem:// stack gets libslirp's DHCP lease on that interface (the lease
 * stays inside the process: nothing leaves the host). */
static void test_interface_on_slirp_gets_its_dhcp_lease(void)
{
	struct vdestack *s = it_addstack(url("S"), NULL);
	const char *out;

	if (vde_stackaddif(s, "slirp://", "vde1") < 0) {
		if (errno == EPROTONOSUPPORT)
			it_skip("no slirp:// in this build");
		it_fail(__FILE__, __LINE__, "vde_stackaddif slirp://: %s",
			strerror(errno));
	}
	it_stackconf_ok(s, "eth=vde1,dhcp");
	out = it_ip_show(s, "-4 -o addr show dev vde1");
	IT_CHECKF(strstr(out, "10.0.2.15/24"), "vde1: %s", out);
	out = it_ip_show(s, "-4 -o addr show dev vde0");
	IT_CHECKF(!strstr(out, "10.0.2.15"), "vde0: %s", out);
	IT_CHECK(vde_stackdelif(s, "vde1") == 0);
	vde_delstack(s);
}

/* free_tcp_port - a TCP port of 127.0.0.1 free when asked.
 * Return: it. */
static uint16_t free_tcp_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	IT_CHECK(fd >= 0);
	IT_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	IT_CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* port_taken - whether a TCP bind of 127.0.0.1:port fails: someone (a
 * forward's listener) holds it.  Return: true if taken. */
static bool port_taken(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool taken;

	IT_CHECK(fd >= 0);
	taken = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0;
	close(fd);
	return taken;
}

/* The forwards an added interface's URL names (slirp's tcpfwd=) live and
 * die with that interface: bound while it is there, released by
 * vde_stackdelif, and by a vde_stackaddif that fails on a later one. */
static void test_forwards_of_an_added_interface_go_with_it(void)
{
	struct vdestack *s = it_addstack(url("P"), NULL);
	uint16_t p1 = free_tcp_port(), p2 = free_tcp_port();
	char u1[160], u12[200];

	snprintf(u1, sizeof(u1), "slirp:///tcpfwd=127.0.0.1:%u:10.0.2.15:80",
		 p1);
	snprintf(u12, sizeof(u12), "slirp:///tcpfwd=127.0.0.1:%u:10.0.2.15:80"
		 ",127.0.0.1:%u:10.0.2.15:81", p2, p1);
	if (vde_stackaddif(s, u1, "vde1") < 0) {
		if (errno == EPROTONOSUPPORT)
			it_skip("no slirp:// in this build");
		it_fail(__FILE__, __LINE__, "vde_stackaddif %s: %s", u1,
			strerror(errno));
	}
	IT_CHECK(port_taken(p1));
	/* p2 binds, then p1 is in use: the call fails and p2 goes again */
	IT_CHECK_ERRNO(vde_stackaddif(s, u12, "vde2") < 0, EADDRINUSE);
	IT_CHECK(!port_taken(p2));
	IT_CHECK(port_taken(p1));
	IT_CHECK(!has_iface(s, "vde2"));
	IT_CHECK(vde_stackdelif(s, "vde1") == 0);
	IT_CHECK(!port_taken(p1));
	/* again, and gone with the stack */
	addif_ok(s, u1, "vde1");
	IT_CHECK(port_taken(p1));
	vde_delstack(s);
	IT_CHECK(!port_taken(p1));
}

#define THREADS 4

/* An argument of adder(): the stack, and the result. */
struct adder_arg {
	struct vdestack *s;
	int err; /* 0, or the errno of the first failure */
};

/* adder - 5 interfaces added on a thread's own segment names, with
 * names chosen by the library, then removed.  Return: NULL. */
static void *adder(void *arg)
{
	struct adder_arg *a = arg;
	char net[96];

	for (int i = 0; i < 5 && !a->err; i++) {
		snprintf(net, sizeof(net), "mem://T%p-%d-%d", arg, i,
			 (int)getpid());
		if (vde_stackaddif(a->s, net, NULL) < 0)
			a->err = errno;
	}
	return NULL;
}

/* Threads adding interfaces to one stack at once: every call succeeds,
 * each interface gets a name of its own (vde1 to vde20). */
static void test_threads_add_interfaces_to_one_stack_at_once(void)
{
	struct vdestack *s = it_addstack(url("T"), NULL);
	struct adder_arg a[THREADS];
	pthread_t th[THREADS];
	char name[16];

	for (int i = 0; i < THREADS; i++) {
		a[i] = (struct adder_arg){ .s = s };
		IT_CHECK(pthread_create(&th[i], NULL, adder, &a[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++) {
		IT_CHECK(pthread_join(th[i], NULL) == 0);
		IT_CHECKF(a[i].err == 0, "thread %d: %s", i,
			  strerror(a[i].err));
	}
	for (int n = 1; n <= THREADS * 5; n++) {
		snprintf(name, sizeof(name), "vde%d", n);
		IT_CHECKF(vde_stackdelif(s, name) == 0, "%s: %s", name,
			  strerror(errno));
	}
	vde_delstack(s);
}

/* Bad calls: documented errors, nothing made. */
static void test_bad_addif_and_delif_calls_fail_with_their_errors(void)
{
	struct vdestack *s = it_addstack(url("E"), NULL);
	char long_name[] = "abcdefghijklmnop"; /* 16: one too many */

	IT_CHECK_ERRNO(vde_stackaddif(NULL, (char *)url("E"), NULL) < 0,
		       EINVAL);
	IT_CHECK_ERRNO(vde_stackaddif(s, NULL, NULL) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackaddif(s, "", NULL) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackaddif(s, (char *)url("E2"), "a/b") < 0,
		       EINVAL);
	IT_CHECK_ERRNO(vde_stackaddif(s, (char *)url("E2"), long_name) < 0,
		       EINVAL);
	IT_CHECK_ERRNO(vde_stackaddif(s, (char *)url("E2"), "vde0") < 0,
		       EEXIST);
	/* taken inside the stack, not by the library: lo */
	IT_CHECK_ERRNO(vde_stackaddif(s, (char *)url("E2"), "lo") < 0, EEXIST);
	/* a backend's own errors, as vde_addstack gives them */
	IT_CHECK_ERRNO(vde_stackaddif(s, "nosuchscheme://x", NULL) < 0,
		       EPROTONOSUPPORT);
	IT_CHECK_ERRNO(vde_stackaddif(s, "vde:///nonexistent/switch", NULL) < 0,
		       ENOENT);
	IT_CHECK(!has_iface(s, "vde1"));
	IT_CHECK_ERRNO(vde_stackdelif(NULL, "vde0") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackdelif(s, NULL) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackdelif(s, long_name) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackdelif(s, "vde9") < 0, ENODEV);
	IT_CHECK_ERRNO(vde_stackdelif(s, "lo") < 0, ENODEV);
	IT_CHECK(vde_stackdelif(s, "vde0") == 0);
	IT_CHECK_ERRNO(vde_stackdelif(s, "vde0") < 0, ENODEV);
	/* the stack lives on without interfaces */
	IT_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	vde_delstack(s);
}

/* forward, forward=1, forward=0: both sysctls of the stack follow. */
static void test_stackconf_forward_turns_ipv4_and_ipv6_forwarding_on_and_off(void)
{
	struct vdestack *s = it_addstack(url("F"), NULL);

	IT_CHECK(sysctl_read(s, "net/ipv4/ip_forward") == '0');
	it_stackconf_ok(s, "forward");
	IT_CHECK(sysctl_read(s, "net/ipv4/ip_forward") == '1');
	IT_CHECK(sysctl_read(s, "net/ipv6/conf/all/forwarding") == '1');
	it_stackconf_ok(s, "forward=0");
	IT_CHECK(sysctl_read(s, "net/ipv4/ip_forward") == '0');
	IT_CHECK(sysctl_read(s, "net/ipv6/conf/all/forwarding") == '0');
	it_stackconf_ok(s, "eth,forward=1");
	IT_CHECK(sysctl_read(s, "net/ipv4/ip_forward") == '1');
	IT_CHECK_ERRNO(vde_stackconf(s, "forward=2") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackconf(s, "forward=1,forward=0") < 0, EINVAL);
	vde_delstack(s);
}

/* cycle - CYCLES times: an interface added on net to s, then removed. */
static void cycle(struct vdestack *s, const char *net)
{
	for (int i = 0; i < CYCLES; i++) {
		addif_ok(s, net, "vde1");
		IT_CHECK(vde_stackdelif(s, "vde1") == 0);
	}
}

/* Add/remove cycles on kernel-joined and pumped members, and on a
 * stream backend (a process per interface): descriptors, threads and
 * children back to where they were. */
static void test_addif_delif_cycles_leak_nothing(void)
{
	struct vdestack *s = it_addstack(url("L"), NULL);
	struct it_counts before;

	/* warm up: the helper, the loops, the first bridge */
	addif_ok(s, url("L1"), "vde1");
	IT_CHECK(vde_stackdelif(s, "vde1") == 0);
	before = it_take_counts();
	unsetenv("VDESTACK_BRIDGE");
	cycle(s, url("L1"));
	it_check_counts(&before, "kernel-joined interfaces");
	setenv("VDESTACK_BRIDGE", "off", 1);
	cycle(s, url("L1"));
	it_check_counts(&before, "pumped interfaces");
	cycle(s, "=/bin/cat");
	it_check_counts(&before, "stream interfaces");
	unsetenv("VDESTACK_BRIDGE");
	vde_delstack(s);
}

/* vde_delstack of a stack with several interfaces of each kind removes
 * them all: counts back to before. */
static void test_delstack_removes_every_interface(void)
{
	struct it_counts before;
	struct vdestack *s = it_addstack(url("D"), NULL);

	vde_delstack(s); /* warm up */
	before = it_take_counts();
	for (int k = 0; k < 5; k++) {
		s = it_addstack(url("D"), NULL);
		addif_ok(s, url("D1"), NULL);
		setenv("VDESTACK_BRIDGE", "off", 1);
		addif_ok(s, url("D2"), NULL);
		unsetenv("VDESTACK_BRIDGE");
		addif_ok(s, "=/bin/cat", NULL);
		IT_CHECK(has_iface(s, "vde3"));
		vde_delstack(s);
	}
	it_check_counts(&before, "stacks with four interfaces");
}

/* run_vdestack - the vdestack command with argv (argv[0] replaced by the
 * built program), its stdout in out.  Return: its exit status. */
static int run_vdestack(char **argv, char *out, size_t size)
{
	const char *bin = getenv("VDESTACK_BIN");
	int p[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (!bin)
		it_skip("VDESTACK_BIN not set (run through meson test)");
	IT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		argv[0] = (char *)bin;
		execv(bin, argv);
		_exit(127);
	}
	close(p[1]);
	while (len + 1 < size && (n = read(p[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* vdestack -n URL -n URL: the command's stack has vde0, vde1, vde2; a bad
 * -n URL is the command's failure (125), with nothing run. */
static void test_vdestack_command_adds_an_interface_per_net_option(void)
{
	char out[8192], a[96], b[96], c[96];
	char *ok[] = { "vdestack", "-n", a, "-n", b, c, "--", "/bin/ip", "-o",
		       "link", "show", NULL };
	char *bad[] = { "vdestack", "-n", "nosuchscheme://x", c, "--",
			"/bin/echo", "ran", NULL };

	snprintf(a, sizeof(a), "%s", url("CA"));
	snprintf(b, sizeof(b), "%s", url("CB"));
	snprintf(c, sizeof(c), "%s", url("CC"));
	IT_CHECK(run_vdestack(ok, out, sizeof(out)) == 0);
	IT_CHECKF(strstr(out, " vde0") && strstr(out, " vde1") &&
		  strstr(out, " vde2"), "interfaces: %s", out);
	IT_CHECK(run_vdestack(bad, out, sizeof(out)) == 125);
	IT_CHECK(!strstr(out, "ran"));
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(router_stack_forwards_tcp_between_two_segments_until_its_interface_goes),
	T(pumped_router_interfaces_forward_tcp_until_one_goes),
	T(first_interface_can_be_removed),
	T(addif_without_a_name_takes_the_next_free_vdeN),
	T(stack_without_network_gains_an_interface),
	T(interface_on_a_vde_switch_carries_tcp),
	T(interface_on_slirp_gets_its_dhcp_lease),
	T(link_conditions_apply_to_the_interface_if_names),
	T(forwards_of_an_added_interface_go_with_it),
	T(threads_add_interfaces_to_one_stack_at_once),
	T(bad_addif_and_delif_calls_fail_with_their_errors),
	T(stackconf_forward_turns_ipv4_and_ipv6_forwarding_on_and_off),
	T(addif_delif_cycles_leak_nothing),
	T(delstack_removes_every_interface),
	T(vdestack_command_adds_an_interface_per_net_option),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
