/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_default.c - the default stack (vde_default_stack(3)) beside stacks
 * on networked backends: the library's own sockets (udp://, hub://,
 * vde://, slirp://, a reconnection to a restarted vde_switch, forwards)
 * stay on the host while the application's socket() calls, from any
 * thread or shared library, go to the default stack, also while it is
 * being deleted.  Host traffic only on 127.0.0.1.
 *
 * Theory of operation: a socket's network namespace is told by its
 * SO_NETNS_COOKIE (Linux 5.14), compared with that of a socket made with
 * the raw system call (the host's) and of one made by vde_msocket() (the
 * stack's).  SIOCGSKNS would do too, but it asks for CAP_NET_ADMIN over
 * the socket's namespace, which the user nobody lacks on the host.  The
 * library's sockets are found by scanning the process's own descriptor
 * table: no socket of the process may be in the default stack but those
 * the test made there itself.  A scan finds a leak that traffic alone
 * would hide: a unix socket connects across namespaces by path, and two
 * udp:// ends moved together would still meet on the other loopback. */
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_fwd_util.h"

#define BYTES (256u << 10)

/* A default stack the test set, and the cookie of its namespace. */
struct deflt {
	struct vdestack *s;
	uint64_t ns;
};

/* netns_of - the network namespace cookie of socket fd.
 * Return: the cookie (the test fails when it cannot be read). */
static uint64_t netns_of(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	IT_CHECKF(getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie,
			     &len) == 0, "SO_NETNS_COOKIE of fd %d", fd);
	return cookie;
}

/* host_socket - a socket made with the raw system call, which the
 * library's socket() never sees: always the host's.
 * Return: the descriptor (checked), close-on-exec. */
static int host_socket(int domain, int type)
{
	long fd = syscall(SYS_socket, domain, type | SOCK_CLOEXEC, 0);

	IT_CHECKF(fd >= 0, "syscall(SYS_socket, %d, %d)", domain, type);
	return (int)fd;
}

/* host_ns - Return: the cookie of the host's network namespace. */
static uint64_t host_ns(void)
{
	int fd = host_socket(AF_INET, SOCK_DGRAM);
	uint64_t ns = netns_of(fd);

	close(fd);
	return ns;
}

/* stack_ns - Return: the cookie of stack s's network namespace. */
static uint64_t stack_ns(struct vdestack *s)
{
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint64_t ns;

	IT_CHECK(fd >= 0);
	ns = netns_of(fd);
	close(fd);
	return ns;
}

/* sockets_in - the sockets of this process in namespace ns, their
 * numbers written to list (truncated to size).  Descriptors that other
 * threads close meanwhile are skipped.  Return: how many there are. */
static int sockets_in(uint64_t ns, char *list, size_t size)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t used = 0;
	int n = 0;

	IT_CHECK(d);
	list[0] = '\0';
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		uint64_t cookie = 0;
		socklen_t len = sizeof(cookie);
		struct stat st;

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie,
			       &len) < 0 || cookie != ns)
			continue;
		n++;
		if (used < size)
			used += (size_t)snprintf(list + used, size - used,
						 " %d", fd);
	}
	closedir(d);
	return n;
}

/* check_no_socket_in - fail when a socket of the process (the library's:
 * the test holds none there now) is in the default stack d; what names
 * the step. */
static void check_no_socket_in(const struct deflt *d, const char *what)
{
	char list[256];
	int n = sockets_in(d->ns, list, sizeof(list));

	IT_CHECKF(n == 0, "%s: %d socket(s) of the process in the default "
		  "stack, fd%s", what, n, list);
}

/* check_socket_goes_to - socket() now makes its socket in namespace ns.
 * Return: nothing (fails the test otherwise). */
static void check_socket_goes_to(uint64_t ns, const char *what)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	IT_CHECKF(fd >= 0, "%s: socket()", what);
	IT_CHECKF(netns_of(fd) == ns, "%s: socket() made its socket in the "
		  "wrong namespace", what);
	close(fd);
}

/* set_default - a stack without a network made the default, checked:
 * socket() goes there, and the scan of the descriptors finds that
 * socket there (the scan works).  Return: the stack and its cookie. */
static struct deflt set_default(void)
{
	struct deflt d = { .s = it_addstack(NULL, NULL) };
	char list[256];
	int fd;

	d.ns = stack_ns(d.s);
	IT_CHECK(d.ns != host_ns());
	vde_default_stack(d.s);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECKF(netns_of(fd) == d.ns, "socket() is not in the default");
	IT_CHECKF(sockets_in(d.ns, list, sizeof(list)) == 1, "the scan finds"
		  "%s in the default stack, not fd %d alone", list, fd);
	close(fd);
	check_no_socket_in(&d, "a new default stack");
	return d;
}

/* end_default - delete the default stack; socket() is the host's again.
 * Return: nothing. */
static void end_default(struct deflt *d)
{
	vde_delstack(d->s);
	d->s = NULL;
	check_socket_goes_to(host_ns(), "after deleting the default");
}

/* host_bound - a host socket of type on 127.0.0.1:port (0: any),
 * listening when it is a stream.  Return: it; *ret_port its port. */
static int host_bound(int type, uint16_t port, uint16_t *ret_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = host_socket(AF_INET, type);

	IT_CHECKF(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
		  "bind 127.0.0.1:%u on the host", port);
	IT_CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	if (type == SOCK_STREAM)
		IT_CHECK(listen(fd, 16) == 0);
	if (ret_port)
		*ret_port = ntohs(sin.sin_port);
	return fd;
}

/* host_free_port - Return: a port of 127.0.0.1 free on the host now. */
static uint16_t host_free_port(int type)
{
	uint16_t port;

	close(host_bound(type, 0, &port));
	return port;
}

/* host_port_taken - Return: true when bind(2) of 127.0.0.1:port (UDP)
 * on the host fails with EADDRINUSE. */
static bool host_port_taken(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = host_socket(AF_INET, SOCK_DGRAM);
	bool taken = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
		     errno == EADDRINUSE;

	close(fd);
	return taken;
}

/* host_connect - a host socket of type connected to 127.0.0.1:port,
 * retrying refusals for up to 10 s (a forward that is starting).
 * Return: the descriptor (the test fails after the last attempt). */
static int host_connect(int type, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int64_t end = it_now_ms() + 10000;

	for (;;) {
		int fd = host_socket(AF_INET, type);

		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
		IT_CHECKF(errno == ECONNREFUSED && it_now_ms() < end,
			  "connect to 127.0.0.1:%u from the host", port);
		close(fd);
		it_sleep_ms(50);
	}
}

/* pair_exchange - address stacks a and b (10.0.0.1 and .2 on vde0) and
 * check TCP data both ways.  Return: nothing. */
static void pair_exchange(struct vdestack *a, struct vdestack *b,
			  uint64_t seed)
{
	it_config_addr(a, "vde0", "10.0.0.1/24");
	it_config_addr(b, "vde0", "10.0.0.2/24");
	it_tcp_exchange(a, b, "10.0.0.1", BYTES, seed);
	it_tcp_exchange(b, a, "10.0.0.2", BYTES / 4, seed + 100);
}

/* test_udp_backends_stay_on_the_host_with_a_default_stack_set - two
 * stacks made after the default on udp:// between two ports of the
 * host's 127.0.0.1: the host's ports are theirs (not the default
 * stack's), they exchange data, and socket() still goes to the
 * default. */
static void test_udp_backends_stay_on_the_host_with_a_default_stack_set(void)
{
	char ua[128], ub[128];
	struct vdestack *a, *b;
	struct deflt d;
	uint16_t pa, pb;

	it_require_network();
	it_free_udp_ports(&pa, &pb); /* before the default: the host's */
	d = set_default();
	snprintf(ua, sizeof(ua), "udp://127.0.0.1:%u->127.0.0.1:%u", pa, pb);
	snprintf(ub, sizeof(ub), "udp://127.0.0.1:%u->127.0.0.1:%u", pb, pa);
	a = it_addstack(ua, NULL);
	b = it_addstack(ub, NULL);
	IT_CHECKF(host_port_taken(pa) && host_port_taken(pb), "udp:// did "
		  "not bind 127.0.0.1:%u and :%u on the host", pa, pb);
	check_no_socket_in(&d, "udp:// stacks made");
	pair_exchange(a, b, 1);
	check_no_socket_in(&d, "udp:// stacks exchanged data");
	check_socket_goes_to(d.ns, "beside udp:// stacks");
	vde_delstack(b);
	vde_delstack(a);
	end_default(&d);
}

/* test_hub_and_vde_backends_stay_on_the_host_with_a_default_stack_set -
 * the first stack opens an in-process hub, the second joins it on
 * vde:// of the same path, both made after the default. */
static void test_hub_and_vde_backends_stay_on_the_host_with_a_default_stack_set(void)
{
	char hub[600], vde[600];
	struct vdestack *a, *b;
	struct deflt d;

	it_require_network();
	d = set_default();
	snprintf(hub, sizeof(hub), "hub://%s/hub", it_tmpdir());
	snprintf(vde, sizeof(vde), "vde://%s/hub", it_tmpdir());
	a = it_addstack(hub, NULL);
	b = it_addstack(vde, NULL);
	pair_exchange(a, b, 2);
	check_no_socket_in(&d, "hub:// and vde:// stacks exchanged data");
	check_socket_goes_to(d.ns, "beside hub:// and vde:// stacks");
	vde_delstack(b);
	vde_delstack(a);
	end_default(&d);
}

/* test_slirp_nat_reaches_the_hosts_loopback_with_a_default_stack_set -
 * a slirp:// stack made after the default connects through libslirp's
 * NAT (10.0.2.2) to a listener on the host's 127.0.0.1: libslirp's
 * socket for it is the host's, not the default stack's (where nothing
 * listens). */
static void test_slirp_nat_reaches_the_hosts_loopback_with_a_default_stack_set(void)
{
	struct fu_server *srv;
	struct vdestack *s;
	struct deflt d;
	uint16_t port;
	int lfd, fd;

	it_require_network();
	d = set_default();
	s = vde_addstack("slirp://", NULL);
	if (!s && errno == EPROTONOSUPPORT)
		it_skip("this build has no slirp:// backend");
	IT_CHECKF(s, "vde_addstack(slirp://)");
	fu_slirp_config(s);
	lfd = host_bound(SOCK_STREAM, 0, &port);
	srv = fu_server_start(lfd, BYTES, 3);
	fd = fu_connect(s, SOCK_STREAM, "10.0.2.2", port, 30000);
	IT_CHECKF(fd >= 0, "connect from the stack to 10.0.2.2:%u: %s", port,
		  strerror(-fd));
	check_no_socket_in(&d, "a NAT connection open");
	fu_client_exchange(fd, BYTES, 3);
	fu_server_join(srv);
	close(lfd);
	check_no_socket_in(&d, "a NAT connection done");
	check_socket_goes_to(d.ns, "beside a slirp:// stack");
	vde_delstack(s);
	end_default(&d);
}

/* kill_switch - SIGKILL to a vde_switch of it_switch_start(), reaped.
 * Return: nothing. */
static void kill_switch(struct it_switch *sw)
{
	IT_CHECK(kill(sw->pid, SIGKILL) == 0);
	IT_CHECK(waitpid(sw->pid, NULL, 0) == sw->pid);
	close(sw->stdin_w);
	sw->pid = -1;
}

/* test_reconnection_to_a_restarted_switch_stays_on_the_host_with_a_default_stack_set
 * - two stacks on vde:// of a vde_switch, made after the default; the
 * switch is killed and started again, twice: the stacks reconnect (on
 * the loop thread) and exchange data again, and none of their new
 * sockets is in the default stack. */
static void test_reconnection_to_a_restarted_switch_stays_on_the_host_with_a_default_stack_set(void)
{
	struct it_switch sw;
	struct vdestack *a, *b;
	struct deflt d;
	char url[600];

	it_require_network();
	it_require_program("vde_switch");
	it_switch_start(&sw, it_tmpdir(), "sw");
	d = set_default();
	snprintf(url, sizeof(url), "vde://%s", sw.path);
	a = it_addstack(url, NULL);
	b = it_addstack(url, NULL);
	pair_exchange(a, b, 4);
	check_no_socket_in(&d, "vde:// stacks on a switch");
	for (int round = 0; round < 2; round++) {
		kill_switch(&sw);
		it_sleep_ms(300); /* let a reconnection attempt or two fail */
		it_switch_start(&sw, it_tmpdir(), "sw");
		/* the connects retry while the stacks reconnect */
		it_tcp_exchange(a, b, "10.0.0.1", BYTES, 10 + round);
		it_tcp_exchange(b, a, "10.0.0.2", BYTES / 4, 20 + round);
		check_no_socket_in(&d, "vde:// stacks reconnected");
	}
	check_socket_goes_to(d.ns, "beside reconnected vde:// stacks");
	vde_delstack(b);
	vde_delstack(a);
	end_default(&d);
	it_switch_stop(&sw);
}

/* tcp_forward - a forward from the host's 127.0.0.1 to a server on lfd
 * (127.0.0.1:gport of s), a checked exchange from a host socket.
 * Return: the host port of the forward (still in place). */
static uint16_t tcp_forward(struct vdestack *s, int lfd, uint16_t gport,
			    uint64_t seed)
{
	uint16_t hport = host_free_port(SOCK_STREAM);
	struct fu_server *srv = fu_server_start(lfd, BYTES, seed);
	char spec[100];
	int fd;

	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u:127.0.0.1:%u", hport,
		 gport);
	IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s)", spec);
	fd = host_connect(SOCK_STREAM, hport);
	fu_client_exchange(fd, BYTES, seed);
	fu_server_join(srv);
	return hport;
}

/* test_forwards_listen_on_the_host_with_a_default_stack_set - a server
 * the application makes with socket() lands in the default stack; a TCP
 * forward into it (and one into another stack) listens on the host: a
 * host socket's data arrives, while socket(), in the default stack,
 * finds nothing on that port; a UDP forward echoes too. */
static void test_forwards_listen_on_the_host_with_a_default_stack_set(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(8080),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct fu_echo *echo;
	struct vdestack *f;
	struct deflt d;
	uint16_t hport, uport;
	char spec[100];
	int lfd, fd, one = 1;

	it_require_stacks();
	d = set_default();
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(lfd >= 0 && netns_of(lfd) == d.ns);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	IT_CHECK(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	IT_CHECK(listen(lfd, 16) == 0);
	hport = tcp_forward(d.s, lfd, 8080, 5);
	close(lfd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	sin.sin_port = htons(hport);
	IT_CHECK_ERRNO(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0,
		       ECONNREFUSED);
	close(fd);

	f = it_addstack(NULL, NULL);
	lfd = fu_bound(f, SOCK_STREAM, "127.0.0.1", 8080);
	tcp_forward(f, lfd, 8080, 6);
	close(lfd);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0 && netns_of(fd) == d.ns);
	sin.sin_port = htons(5353);
	IT_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	echo = fu_echo_start(fd);
	uport = host_free_port(SOCK_DGRAM);
	snprintf(spec, sizeof(spec), "udp:127.0.0.1:%u:127.0.0.1:5353", uport);
	IT_CHECKF(vde_stackfwd(d.s, spec) == 0, "vde_stackfwd(%s)", spec);
	fd = host_connect(SOCK_DGRAM, uport);
	fu_udp_roundtrips(fd, 20, 2000);
	close(fd);
	fu_echo_stop(echo);
	vde_delstack(f);
	end_default(&d);
}

/* The sockets of another thread: their namespaces. */
struct thread_sockets {
	pthread_barrier_t *start; /* NULL: at once */
	uint64_t ns[5];
	int err;
};

/* thread_sockets_body - wait for start (when set), then socket() of five
 * kinds, each one's namespace in ns[].  Return: NULL. */
static void *thread_sockets_body(void *arg)
{
	static const int kinds[5][2] = {
		{ AF_INET, SOCK_STREAM }, { AF_INET, SOCK_DGRAM },
		{ AF_INET6, SOCK_STREAM }, { AF_INET6, SOCK_DGRAM },
		{ AF_UNIX, SOCK_DGRAM },
	};
	struct thread_sockets *t = arg;

	if (t->start)
		pthread_barrier_wait(t->start);
	for (int i = 0; i < 5; i++) {
		int fd = socket(kinds[i][0], kinds[i][1] | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			t->err = errno;
			return NULL;
		}
		t->ns[i] = netns_of(fd);
		close(fd);
	}
	return NULL;
}

/* check_thread_sockets - join t's thread and check that its sockets are
 * all in namespace ns; what names the case.  Return: nothing. */
static void check_thread_sockets(pthread_t th, struct thread_sockets *t,
				 uint64_t ns, const char *what)
{
	IT_CHECK(pthread_join(th, NULL) == 0);
	IT_CHECKF(t->err == 0, "%s: socket(): %s", what, strerror(t->err));
	for (int i = 0; i < 5; i++)
		IT_CHECKF(t->ns[i] == ns, "%s: its socket of kind %d is in the "
			  "wrong namespace", what, i);
}

/* test_socket_from_another_thread_goes_to_the_default_stack - IPv4,
 * IPv6 and unix sockets of a thread started before the default was set
 * and of one started after are the default stack's; without a default,
 * a thread's are the host's, as the raw system call's always are. */
static void test_socket_from_another_thread_goes_to_the_default_stack(void)
{
	struct thread_sockets early, late = { .err = 0 };
	pthread_barrier_t start;
	uint64_t host = host_ns();
	pthread_t th_early, th;
	struct deflt d;

	it_require_stacks();
	IT_CHECK(pthread_barrier_init(&start, NULL, 2) == 0);
	early = (struct thread_sockets){ .start = &start };
	IT_CHECK(pthread_create(&th_early, NULL, thread_sockets_body,
				&early) == 0);
	d = set_default();
	pthread_barrier_wait(&start);
	check_thread_sockets(th_early, &early, d.ns, "a thread started before");
	IT_CHECK(pthread_barrier_destroy(&start) == 0);
	IT_CHECK(pthread_create(&th, NULL, thread_sockets_body, &late) == 0);
	check_thread_sockets(th, &late, d.ns, "a thread started after");
	IT_CHECK(host_ns() == host);

	vde_default_stack(NULL);
	late = (struct thread_sockets){ .err = 0 };
	IT_CHECK(pthread_create(&th, NULL, thread_sockets_body, &late) == 0);
	check_thread_sockets(th, &late, host, "a thread without a default");
	vde_default_stack(d.s);
	check_socket_goes_to(d.ns, "the default set again");
	end_default(&d);
}

/* test_socket_from_a_dlopened_library_goes_to_the_default_stack - a
 * shared module (IT_SOCKMOD) loaded with dlopen() calls socket(): its
 * socket is the host's without a default, the default stack's with
 * one. */
static void test_socket_from_a_dlopened_library_goes_to_the_default_stack(void)
{
	const char *path = getenv("IT_SOCKMOD");
	int (*mod_socket)(int, int, int);
	uint64_t host = host_ns();
	struct deflt d;
	void *mod;
	int fd;

	IT_CHECKF(path && *path, "IT_SOCKMOD is not set");
	it_require_stacks();
	mod = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	IT_CHECKF(mod, "dlopen(%s): %s", path, dlerror());
	*(void **)&mod_socket = dlsym(mod, "it_sockmod_socket");
	IT_CHECKF(mod_socket, "dlsym: %s", dlerror());
	fd = mod_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0 && netns_of(fd) == host);
	close(fd);
	d = set_default();
	fd = mod_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECKF(netns_of(fd) == d.ns, "the module's socket() is not in the "
		  "default stack");
	close(fd);
	vde_default_stack(NULL);
	fd = mod_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0 && netns_of(fd) == host);
	close(fd);
	IT_CHECK(dlclose(mod) == 0);
	vde_delstack(d.s);
}

enum { DEL_THREADS = 4, DEL_ROUNDS = 3, DEL_IN_STACK = 10, DEL_ON_HOST = 5 };

/* What the main thread and the socket() threads of the delete test
 * share.  phase 2r: stack r is (being made) the default; 2r + 1: it has
 * been deleted (vde_delstack returned). */
struct del_shared {
	atomic_int phase;
	_Atomic uint64_t ns[DEL_ROUNDS]; /* 0 until stack r exists */
	uint64_t host;
	atomic_bool stop;
};

/* One socket() thread: what it found. */
struct del_thread {
	struct del_shared *sh;
	pthread_t th;
	atomic_int in_stack[DEL_ROUNDS]; /* sockets in stack r */
	atomic_int on_host[DEL_ROUNDS];  /* host sockets asked in 2r + 1 */
	atomic_bool failed;
	char why[160];
};

/* del_fail - record a thread's first failure.  Return: NULL. */
static void *del_fail(struct del_thread *t, const char *why, int err)
{
	snprintf(t->why, sizeof(t->why), "%s (errno %d: %s)", why, err,
		 strerror(err));
	atomic_store(&t->failed, true);
	return NULL;
}

/* del_classify - file a working socket fd asked for in phase p.
 * Return: NULL when it is where it may be, else the reason. */
static const char *del_classify(struct del_thread *t, int fd, int p)
{
	uint64_t ns = netns_of(fd);

	if (ns == t->sh->host) {
		if (p % 2 == 1)
			atomic_fetch_add(&t->on_host[p / 2], 1);
		return NULL;
	}
	for (int k = 0; k < DEL_ROUNDS; k++) {
		if (ns != atomic_load(&t->sh->ns[k]))
			continue;
		/* stacks 0 .. (p + 1) / 2 - 1 were deleted before the call */
		if (k < (p + 1) / 2)
			return "socket() made its socket in a default stack "
			       "deleted before the call";
		atomic_fetch_add(&t->in_stack[k], 1);
		return NULL;
	}
	return "a socket neither on the host nor in a default stack";
}

/* del_thread_body - socket() in a loop, each socket bound and named
 * (a working socket), then filed.  Return: NULL. */
static void *del_thread_body(void *arg)
{
	struct del_thread *t = arg;

	while (!atomic_load(&t->sh->stop)) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(sin);
		int p = atomic_load(&t->sh->phase), fd;
		const char *why;

		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return del_fail(t, "socket()", errno);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
		    sin.sin_port == 0) {
			int err = errno;

			close(fd);
			return del_fail(t, "bind/getsockname of a new socket",
					err);
		}
		why = del_classify(t, fd, p);
		close(fd);
		if (why)
			return del_fail(t, why, 0);
	}
	return NULL;
}

/* del_wait - wait (60 s at most) until every thread's counter of round
 * r (on_host when host, else in_stack) reaches want, or until a thread
 * fails.  Return: nothing (the test fails on a timeout). */
static void del_wait(struct del_thread *t, int r, bool host, int want)
{
	int64_t end = it_now_ms() + 60000;

	for (;;) {
		int low = want;

		for (int i = 0; i < DEL_THREADS; i++) {
			int n = host ? atomic_load(&t[i].on_host[r])
				     : atomic_load(&t[i].in_stack[r]);

			if (atomic_load(&t[i].failed))
				return;
			low = n < low ? n : low;
		}
		if (low >= want)
			return;
		IT_CHECKF(it_now_ms() < end, "round %d: a thread made only %d "
			  "socket(s) %s in 60 s", r, low,
			  host ? "on the host" : "in the default stack");
		it_sleep_ms(5);
	}
}

/* test_deleting_the_default_stack_under_socket_calls_leaves_only_working_sockets
 * - four threads call socket() in a loop while the default stack is
 * deleted, three times over: no crash, no failed call, every socket a
 * working one (it binds and has a name) on the host or in a default
 * stack, none in a stack deleted before the call began; no descriptor,
 * thread or child left behind. */
static void test_deleting_the_default_stack_under_socket_calls_leaves_only_working_sockets(void)
{
	struct del_shared sh = { .phase = 0 };
	struct del_thread t[DEL_THREADS];
	struct it_counts before;

	it_require_stacks();
	vde_delstack(it_addstack(NULL, NULL)); /* warm up: the helper stays */
	before = it_take_counts();
	sh.host = host_ns();
	for (int r = 0; r < DEL_ROUNDS; r++) {
		struct vdestack *s = it_addstack(NULL, NULL);

		atomic_store(&sh.ns[r], stack_ns(s));
		atomic_store(&sh.phase, 2 * r);
		vde_default_stack(s);
		if (r == 0) {
			for (int i = 0; i < DEL_THREADS; i++) {
				t[i] = (struct del_thread){ .sh = &sh };
				IT_CHECK(pthread_create(&t[i].th, NULL,
							del_thread_body,
							&t[i]) == 0);
			}
		}
		del_wait(t, r, false, DEL_IN_STACK);
		vde_delstack(s);
		atomic_store(&sh.phase, 2 * r + 1);
		del_wait(t, r, true, DEL_ON_HOST);
	}
	atomic_store(&sh.stop, true);
	for (int i = 0; i < DEL_THREADS; i++)
		IT_CHECK(pthread_join(t[i].th, NULL) == 0);
	for (int i = 0; i < DEL_THREADS; i++)
		IT_CHECKF(!atomic_load(&t[i].failed), "thread %d: %s", i,
			  t[i].why);
	check_socket_goes_to(sh.host, "after the last default was deleted");
	it_check_counts(&before, "three default stacks deleted under calls");
}

/* ---- a stack per thread (vde_thread_stack(3)) ---- */

/* A thread that takes a stack of its own, makes sockets, and after the
 * main thread's step goes back to the process's rule with NULL, or ends
 * holding its stack (keep). */
struct own_thread {
	struct vdestack *s;       /* its stack */
	const char *net;          /* a stack it makes meanwhile, or NULL */
	struct vdestack *made;    /* ... that stack */
	pthread_barrier_t *sync;  /* its steps with the main thread's */
	struct thread_sockets own, after; /* its sockets, then after NULL */
	int errno_after_set;      /* errno after a successful call: 0 */
	bool keep;                /* end holding the stack, no NULL */
};

/* own_thread_body - take the stack, make sockets of five kinds (own)
 * and the stack on net, wait twice for the main thread, then go back
 * with NULL and make them again (after), unless keep.  Return: NULL. */
static void *own_thread_body(void *arg)
{
	struct own_thread *t = arg;

	errno = 0;
	vde_thread_stack(t->s);
	t->errno_after_set = errno;
	thread_sockets_body(&t->own);
	if (t->net)
		t->made = vde_addstack((char *)t->net, NULL);
	pthread_barrier_wait(t->sync); /* 1: the main thread checks */
	pthread_barrier_wait(t->sync); /* 2: the main thread has changed */
	if (t->keep)
		return NULL;
	vde_thread_stack(NULL);
	thread_sockets_body(&t->after);
	return NULL;
}

/* check_sockets - t's five sockets are in ns; what names the case. */
static void check_sockets(const struct thread_sockets *t, uint64_t ns,
			  const char *what)
{
	IT_CHECKF(t->err == 0, "%s: socket(): %s", what, strerror(t->err));
	for (int i = 0; i < 5; i++)
		IT_CHECKF(t->ns[i] == ns, "%s: its socket of kind %d is in the "
			  "wrong namespace", what, i);
}

/* test_each_thread_its_own_stack_over_the_process_default - a thread on
 * stack A, another on stack B, the main thread on the process default
 * D: each socket() lands in its thread's stack (IPv4, IPv6 and unix
 * sockets); a hub:// stack made by A's thread keeps the library's own
 * socket on the host; NULL sends a thread back to the default, which is
 * the host once the default is gone. */
static void test_each_thread_its_own_stack_over_the_process_default(void)
{
	struct own_thread ta = { 0 }, tb = { 0 };
	char hub[600], list[256];
	pthread_barrier_t sync;
	uint64_t host = host_ns(), na, nb;
	pthread_t tha, thb;
	struct deflt d;

	it_require_stacks();
	snprintf(hub, sizeof(hub), "hub://%s/hub", it_tmpdir());
	ta.s = it_addstack(NULL, NULL);
	tb.s = it_addstack(NULL, NULL);
	na = stack_ns(ta.s);
	nb = stack_ns(tb.s);
	IT_CHECK(na != nb && na != host && nb != host);
	d = set_default();
	IT_CHECK(pthread_barrier_init(&sync, NULL, 3) == 0);
	ta.sync = tb.sync = &sync;
	ta.net = hub;
	IT_CHECK(pthread_create(&tha, NULL, own_thread_body, &ta) == 0);
	IT_CHECK(pthread_create(&thb, NULL, own_thread_body, &tb) == 0);
	pthread_barrier_wait(&sync); /* 1 */
	check_sockets(&ta.own, na, "the thread on stack A");
	check_sockets(&tb.own, nb, "the thread on stack B");
	IT_CHECKF(ta.errno_after_set == 0 && tb.errno_after_set == 0,
		  "vde_thread_stack() set errno on success");
	IT_CHECKF(ta.made, "A's thread could not make a hub:// stack: %s",
		  strerror(errno));
	IT_CHECKF(sockets_in(na, list, sizeof(list)) == 0, "the library's "
		  "own socket followed A's thread into its stack: fd%s", list);
	check_no_socket_in(&d, "threads on their own stacks");
	check_socket_goes_to(d.ns, "the main thread, on the default");
	vde_default_stack(NULL);
	pthread_barrier_wait(&sync); /* 2: no default now */
	IT_CHECK(pthread_join(tha, NULL) == 0);
	IT_CHECK(pthread_join(thb, NULL) == 0);
	check_sockets(&ta.after, host, "A's thread after NULL, no default");
	check_sockets(&tb.after, host, "B's thread after NULL, no default");
	IT_CHECK(pthread_barrier_destroy(&sync) == 0);
	vde_delstack(ta.made);
	vde_delstack(ta.s);
	vde_delstack(tb.s);
	vde_default_stack(d.s);
	end_default(&d);
}

/* test_thread_back_to_null_goes_to_the_default_stack - a thread that
 * leaves its own stack with NULL follows the process default again. */
static void test_thread_back_to_null_goes_to_the_default_stack(void)
{
	struct own_thread t = { 0 };
	pthread_barrier_t sync;
	pthread_t th;
	struct deflt d;

	it_require_stacks();
	t.s = it_addstack(NULL, NULL);
	d = set_default();
	IT_CHECK(pthread_barrier_init(&sync, NULL, 2) == 0);
	t.sync = &sync;
	IT_CHECK(pthread_create(&th, NULL, own_thread_body, &t) == 0);
	pthread_barrier_wait(&sync);
	check_sockets(&t.own, stack_ns(t.s), "the thread on its stack");
	pthread_barrier_wait(&sync);
	IT_CHECK(pthread_join(th, NULL) == 0);
	check_sockets(&t.after, d.ns, "the thread after NULL");
	IT_CHECK(pthread_barrier_destroy(&sync) == 0);
	vde_delstack(t.s);
	end_default(&d);
}

/* helper_fds_settle - wait (up to 10 s) until the helper holds want
 * descriptors, or with want -1 until its count holds still for 100 ms.
 * Return: the last count. */
static int helper_fds_settle(pid_t helper, int want)
{
	int n = it_count_fds_of(helper), last = -2;

	for (int i = 0; i < 200; i++) {
		if (want >= 0 ? n == want : n == last)
			break;
		last = n;
		it_sleep_ms(50);
		n = it_count_fds_of(helper);
	}
	return n;
}

/* test_deleting_a_threads_stack_waits_for_the_thread - vde_delstack()
 * from the main thread while a thread has the stack as its own: the
 * stack lives on for that thread (its sockets are still made there, the
 * helper still holds its namespaces), and goes when the thread leaves
 * it with NULL, or when a thread holding one ends. */
static void test_deleting_a_threads_stack_waits_for_the_thread(void)
{
	struct own_thread t[2] = { { 0 }, { 0 } };
	pthread_barrier_t sync;
	pthread_t th[2];
	pid_t helper;
	int base, held;

	it_require_stacks();
	vde_delstack(it_addstack(NULL, NULL)); /* the helper is up */
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	base = helper_fds_settle(helper, -1);
	t[1].keep = true;
	for (int k = 0; k < 2; k++) {
		uint64_t ns;

		t[k].s = it_addstack(NULL, NULL);
		ns = stack_ns(t[k].s);
		IT_CHECK(it_count_fds_of(helper) > base);
		IT_CHECK(pthread_barrier_init(&sync, NULL, 2) == 0);
		t[k].sync = &sync;
		IT_CHECK(pthread_create(&th[k], NULL, own_thread_body,
					&t[k]) == 0);
		pthread_barrier_wait(&sync);
		/* counted now: the thread's own reply channel is in it */
		held = helper_fds_settle(helper, -1);
		vde_delstack(t[k].s); /* the thread still has it */
		check_sockets(&t[k].own, ns, "the thread before the delete");
		IT_CHECKF(it_count_fds_of(helper) == held, "case %d: the stack "
			  "went while its thread still had it", k);
		pthread_barrier_wait(&sync);
		IT_CHECK(pthread_join(th[k], NULL) == 0);
		IT_CHECK(pthread_barrier_destroy(&sync) == 0);
		IT_CHECKF(helper_fds_settle(helper, base) == base, "case %d: "
			  "the stack stayed after its thread %s", k,
			  k ? "ended" : "left it");
	}
}

/* test_forked_child_keeps_its_threads_stack - fork() from a thread on
 * a stack: the child's socket() goes to that stack. */
static void test_forked_child_keeps_its_threads_stack(void)
{
	struct vdestack *s;
	uint64_t ns;
	int status;
	pid_t pid;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	ns = stack_ns(s);
	vde_thread_stack(s);
	check_socket_goes_to(ns, "the thread on its stack");
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		uint64_t cookie = 0;
		socklen_t len = sizeof(cookie);

		if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE,
					 &cookie, &len) < 0)
			_exit(2);
		_exit(cookie == ns ? 0 : 1);
	}
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's "
		  "socket() was not in its thread's stack (status %#x)", status);
	vde_thread_stack(NULL);
	check_socket_goes_to(host_ns(), "the thread back to the host");
	vde_delstack(s);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(udp_backends_stay_on_the_host_with_a_default_stack_set),
	T(hub_and_vde_backends_stay_on_the_host_with_a_default_stack_set),
	T(slirp_nat_reaches_the_hosts_loopback_with_a_default_stack_set),
	T(reconnection_to_a_restarted_switch_stays_on_the_host_with_a_default_stack_set),
	T(forwards_listen_on_the_host_with_a_default_stack_set),
	T(socket_from_another_thread_goes_to_the_default_stack),
	T(socket_from_a_dlopened_library_goes_to_the_default_stack),
	T(deleting_the_default_stack_under_socket_calls_leaves_only_working_sockets),
	T(each_thread_its_own_stack_over_the_process_default),
	T(thread_back_to_null_goes_to_the_default_stack),
	T(deleting_a_threads_stack_waits_for_the_thread),
	T(forked_child_keeps_its_threads_stack),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
