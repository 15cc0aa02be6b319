/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_msocket.c - vde_msocket and vde_default_stack: isolation, lo,
 * fork, threads, close-on-exec, the default stack. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* loopback - 127.0.0.1:port.  Return: the address. */
static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/* bound_port - a TCP socket of s (NULL: host) bound to 127.0.0.1 on an
 * ephemeral port, not listening.  Return: the socket; *port set. */
static int bound_port(struct vdestack *s, uint16_t *port)
{
	struct sockaddr_in sin = loopback(0);
	socklen_t len = sizeof(sin);
	int fd = s ? vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
		   : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	IT_CHECK(fd >= 0);
	IT_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	IT_CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* connect_errno - connect a new socket of s (NULL: host, through
 * socket(), so the default stack applies) to 127.0.0.1:port.
 * Return: 0 or the errno of connect. */
static int connect_errno(struct vdestack *s, uint16_t port)
{
	struct sockaddr_in sin = loopback(port);
	int fd = s ? vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
		   : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int err = 0;

	IT_CHECK(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		err = errno;
	close(fd);
	return err;
}

/* netns_ino - the inode of the network namespace of socket fd.
 * Return: it (fails the test when the kernel cannot say). */
static ino_t netns_ino(int fd)
{
	struct stat st;
	int ns = ioctl(fd, SIOCGSKNS);

	IT_CHECKF(ns >= 0, "SIOCGSKNS: %s", strerror(errno));
	IT_CHECK(fstat(ns, &st) == 0);
	close(ns);
	return st.st_ino;
}

/* ns_of_new_socket - the namespace inode of a new socket of s.
 * Return: it. */
static ino_t ns_of_new_socket(struct vdestack *s)
{
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ino_t ino;

	IT_CHECK(fd >= 0);
	ino = netns_ino(fd);
	close(fd);
	return ino;
}

/* host_ns_ino - the inode of this process's own network namespace (the
 * host's), from /proc: no capability needed, unlike SIOCGSKNS on a host
 * socket.  Return: it. */
static ino_t host_ns_ino(void)
{
	struct stat st;

	IT_CHECKF(stat("/proc/self/ns/net", &st) == 0, "/proc/self/ns/net");
	return st.st_ino;
}

/* test_msocket_listener_is_not_reachable_from_the_host - and a host
 * listener is not reachable from the stack: the same port is bound in
 * both, each connection lands in its own stack. */
static void test_msocket_listener_is_not_reachable_from_the_host(void)
{
	struct vdestack *s;
	uint16_t p1, p2;
	int host_bound, stack_bound, lfd, c;

	it_require_stacks();
	s = it_addstack(NULL, NULL);

	/* p1: bound (not listening) on the host, listening in the stack */
	host_bound = bound_port(NULL, &p1);
	lfd = it_tcp_listen(s, "127.0.0.1", p1);
	IT_CHECK(connect_errno(NULL, p1) == ECONNREFUSED);
	IT_CHECK(connect_errno(s, p1) == 0);
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	IT_CHECK(poll(&p, 1, 10000) == 1); /* the stack's connection */
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	IT_CHECK(c >= 0);
	close(c);
	close(lfd);
	close(host_bound);

	/* p2: bound (not listening) in the stack, listening on the host */
	stack_bound = bound_port(s, &p2);
	lfd = it_tcp_listen(NULL, "127.0.0.1", p2);
	IT_CHECK(connect_errno(s, p2) == ECONNREFUSED);
	IT_CHECK(connect_errno(NULL, p2) == 0);
	close(lfd);
	close(stack_bound);

	vde_delstack(s);
}

/* test_msocket_two_stacks_do_not_see_each_other */
static void test_msocket_two_stacks_do_not_see_each_other(void)
{
	struct vdestack *a, *b;
	uint16_t port;
	int lfd, probe;

	ino_t ia, ib;

	it_require_stacks();
	a = it_addstack(NULL, NULL);
	b = it_addstack(NULL, NULL);
	/* two namespaces, neither the host's: a refusal below is b's own */
	ia = ns_of_new_socket(a);
	ib = ns_of_new_socket(b);
	IT_CHECK(ia != ib && ia != host_ns_ino() && ib != host_ns_ino());
	probe = bound_port(a, &port);
	close(probe);
	lfd = it_tcp_listen(a, "127.0.0.1", port);
	IT_CHECK(connect_errno(a, port) == 0);
	IT_CHECK(connect_errno(b, port) == ECONNREFUSED);
	close(lfd);
	vde_delstack(a);
	vde_delstack(b);
}

/* test_msocket_sockets_of_one_stack_talk_over_its_lo - TCP and UDP. */
static void test_msocket_sockets_of_one_stack_talk_over_its_lo(void)
{
	struct sockaddr_in sin = loopback(0);
	socklen_t len = sizeof(sin);
	struct vdestack *s;
	char buf[64];
	int u1, u2;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	it_tcp_exchange(s, s, "127.0.0.1", 1 << 20, 42);

	u1 = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	u2 = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(u1 >= 0 && u2 >= 0);
	/* the stack's lo, not the host's: both in one namespace of its own */
	IT_CHECK(netns_ino(u1) == netns_ino(u2) &&
		 netns_ino(u1) != host_ns_ino());
	IT_CHECK(bind(u1, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	IT_CHECK(getsockname(u1, (struct sockaddr *)&sin, &len) == 0);
	IT_CHECK(sendto(u2, "datagram", 8, 0, (struct sockaddr *)&sin,
			sizeof(sin)) == 8);
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(u1, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	IT_CHECK(recv(u1, buf, sizeof(buf), 0) == 8 && !memcmp(buf, "datagram", 8));
	close(u1);
	close(u2);

	/* IPv6 on lo too */
	u1 = vde_msocket(s, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(u1 >= 0);
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	IT_CHECK(bind(u1, (struct sockaddr *)&s6, sizeof(s6)) == 0);
	close(u1);
	vde_delstack(s);
}

/* test_msocket_fd_is_inherited_by_a_forked_child - the child connects
 * with the parent's socket and also makes its own in the stack. */
static void test_msocket_fd_is_inherited_by_a_forked_child(void)
{
	struct vdestack *s;
	uint16_t port;
	int lfd, fd, probe, status, c;
	char buf[16] = "";
	ino_t ino;
	pid_t pid;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	probe = bound_port(s, &port);
	close(probe);
	lfd = it_tcp_listen(s, "127.0.0.1", port);
	fd = vde_msocket(s, AF_INET, SOCK_STREAM, 0);
	IT_CHECK(fd >= 0);
	ino = netns_ino(fd);
	IT_CHECK(ino != host_ns_ino());
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sin = loopback(port);
		struct stat st;
		int own, ns;

		alarm(30);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    write(fd, "child", 5) != 5)
			_exit(1);
		/* a socket the child makes itself is in the stack as well */
		own = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (own < 0 || connect(own, (struct sockaddr *)&sin,
				       sizeof(sin)) < 0)
			_exit(2);
		ns = ioctl(own, SIOCGSKNS);
		if (ns < 0 || fstat(ns, &st) < 0 || st.st_ino != ino)
			_exit(3);
		_exit(0);
	}
	close(fd);
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child status 0x%x", status);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(c >= 0);
	IT_CHECK(read(c, buf, sizeof(buf)) == 5 && !memcmp(buf, "child", 5));
	close(c);
	/* the child's own connection, then the child's exit */
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(c >= 0);
	close(c);
	/* the parent's stack still works after the child's exit: a new
	 * socket of the parent is in the stack's namespace (not the
	 * host's) and reaches the listener there */
	fd = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECKF(netns_ino(fd) == ino, "the parent's new socket is not in "
		  "its stack");
	IT_CHECK(it_tcp_connect(fd, "127.0.0.1", port, 10000) == 0);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(c >= 0);
	IT_CHECK(write(fd, "parent", 6) == 6);
	IT_CHECK(read(c, buf, sizeof(buf)) == 6 && !memcmp(buf, "parent", 6));
	close(c);
	close(fd);
	close(lfd);
	vde_delstack(s);
}

struct sock_thread {
	struct vdestack *s;
	int failures;
	int first_errno;
};

/* is_socket_of - whether fd is a socket of that domain and type (so that
 * a reply meant for another call is caught).  Return: true if so. */
static bool is_socket_of(int fd, int domain, int type)
{
	int d = -1, t = -1;
	socklen_t l = sizeof(d);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l) < 0)
		return false;
	l = sizeof(t);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) < 0)
		return false;
	return d == domain && t == type;
}

/* sock_thread - 50 sockets, each checked (domain and type) and closed. */
static void *sock_thread(void *arg)
{
	struct sock_thread *t = arg;

	for (int i = 0; i < 50; i++) {
		int domain = i % 2 ? AF_INET : AF_INET6;
		int type = i % 3 ? SOCK_STREAM : SOCK_DGRAM;
		int fd = vde_msocket(t->s, domain, type | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			if (!t->failures++)
				t->first_errno = errno;
			continue;
		}
		if (!is_socket_of(fd, domain, type) && !t->failures++)
			t->first_errno = EBADMSG;
		close(fd);
	}
	return NULL;
}

/* test_msocket_sockets_land_in_the_stack_asked_for_when_calls_alternate -
 * the helper stays in the last stack it made a socket in: sockets made
 * one after the other in two stacks, and after a command and a new stack
 * in between, are each in the namespace of their own stack. */
static void test_msocket_sockets_land_in_the_stack_asked_for_when_calls_alternate(void)
{
	static const char order[] = "AABABBAABBBA";
	struct vdestack *a, *b, *c;
	ino_t ia, ib, ic;

	it_require_stacks();
	a = it_addstack(NULL, NULL);
	b = it_addstack(NULL, NULL);
	ia = ns_of_new_socket(a);
	ib = ns_of_new_socket(b);
	IT_CHECK(ia != ib);
	for (const char *o = order; *o; o++) {
		ino_t want = *o == 'A' ? ia : ib;

		IT_CHECK(ns_of_new_socket(*o == 'A' ? a : b) == want);
	}
	IT_CHECK(vde_stackcmd(a, "/bin/true") == 0);
	IT_CHECK(ns_of_new_socket(a) == ia);
	c = it_addstack(NULL, NULL);
	ic = ns_of_new_socket(c);
	IT_CHECK(ic != ia && ic != ib);
	IT_CHECK(ns_of_new_socket(b) == ib);
	vde_delstack(c);
	vde_delstack(b);
	vde_delstack(a);
}

/* helper_ns_ino - the inode of the helper's current network namespace.
 * Return: it, or 0 when /proc does not say (not our process). */
static ino_t helper_ns_ino(pid_t helper)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)helper);
	if (stat(path, &st) < 0)
		return 0;
	return st.st_ino;
}

/* test_msocket_helper_leaves_a_deleted_stacks_namespace - after sockets
 * in a stack, the helper sits in its namespace; deleting the stack moves
 * it out, so that nothing keeps the deleted namespace alive. */
static void test_msocket_helper_leaves_a_deleted_stacks_namespace(void)
{
	struct vdestack *s;
	pid_t helper;
	ino_t ino, now;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	ino = ns_of_new_socket(s);
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	now = helper_ns_ino(helper);
	IT_CHECKF(now != 0, "cannot read /proc/%d/ns/net: %s", (int)helper,
		  strerror(errno));
	IT_CHECK(now == ino);
	vde_delstack(s);
	/* 0 would be a helper gone, not one that moved out */
	now = helper_ns_ino(helper);
	IT_CHECKF(now != 0 && now != ino, "the helper's namespace: %lu (the "
		  "deleted stack's: %lu)", (unsigned long)now,
		  (unsigned long)ino);
}

/* A sock_thread that, its sockets made, says so on made[1] and waits on
 * go[0] before it exits. */
struct held_thread {
	struct sock_thread t;
	int made[2], go[2];
};

/* held_thread - sock_thread, then held until told to go.  Return: NULL. */
static void *held_thread(void *arg)
{
	struct held_thread *h = arg;
	char c = 'm';

	sock_thread(&h->t);
	if (write(h->made[1], &c, 1) == 1)
		(void)!read(h->go[0], &c, 1);
	return NULL;
}

/* wait_fds_of - wait (bounded) until pid holds want descriptors.
 * Return: the last count (-1: /proc does not say). */
static int wait_fds_of(pid_t pid, int want)
{
	int n = it_count_fds_of(pid);

	for (int64_t end = it_now_ms() + 10000; n != want && it_now_ms() < end;
	     it_sleep_ms(5))
		n = it_count_fds_of(pid);
	return n;
}

/* test_msocket_thread_exit_releases_its_reply_channel - a thread that
 * made sockets keeps a reply channel to the helper (one descriptor more
 * on each side while it lives); when it exits, the application and the
 * helper both close their ends. */
static void test_msocket_thread_exit_releases_its_reply_channel(void)
{
	struct held_thread ht;
	struct vdestack *s;
	struct pollfd p;
	pthread_t th;
	int before, hbefore, h;
	pid_t helper;
	char c = 'g';

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	IT_CHECK(pipe2(ht.made, O_CLOEXEC) == 0 && pipe2(ht.go, O_CLOEXEC) == 0);
	before = it_count_fds();
	hbefore = it_count_fds_of(helper);
	IT_CHECKF(hbefore > 0, "cannot read /proc/%d/fd", (int)helper);
	for (int round = 0; round < 3; round++) {
		ht.t = (struct sock_thread){ .s = s };
		IT_CHECK(pthread_create(&th, NULL, held_thread, &ht) == 0);
		p = (struct pollfd){ .fd = ht.made[0], .events = POLLIN };
		IT_CHECKF(poll(&p, 1, 30000) == 1 && read(ht.made[0], &c, 1) == 1,
			  "the thread did not make its sockets");
		/* while it lives: its channel, an end on each side */
		IT_CHECKF(it_count_fds() == before + 1, "with the thread: %d "
			  "descriptors, had %d", it_count_fds(), before);
		h = wait_fds_of(helper, hbefore + 1);
		IT_CHECKF(h == hbefore + 1, "helper with the thread: %d "
			  "descriptors, had %d", h, hbefore);
		IT_CHECK(write(ht.go[1], &c, 1) == 1);
		IT_CHECK(pthread_join(th, NULL) == 0);
		IT_CHECKF(ht.t.failures == 0, "%d failures, first %s",
			  ht.t.failures, strerror(ht.t.first_errno));
		IT_CHECKF(it_count_fds() == before, "%d descriptors, had %d",
			  it_count_fds(), before);
		/* the helper closes its end when it sees the hang-up */
		h = wait_fds_of(helper, hbefore);
		IT_CHECKF(h == hbefore, "helper: %d descriptors, had %d", h,
			  hbefore);
	}
	for (int i = 0; i < 2; i++) {
		close(ht.made[i]);
		close(ht.go[i]);
	}
	vde_delstack(s);
}

/* test_msocket_parent_and_forked_child_never_share_a_reply_channel - the
 * parent's thread has a cached reply channel when it forks; parent and
 * child then make sockets of different kinds at the same time on the
 * same stack, and each gets only its own. */
static void test_msocket_parent_and_forked_child_never_share_a_reply_channel(void)
{
	struct vdestack *s;
	int fd, status = -1, bad = 0;
	pid_t pid, w = 0;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
	IT_CHECK(fd >= 0);
	close(fd);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 300; i++) {
			fd = vde_msocket(s, AF_INET6, SOCK_STREAM, 0);
			if (fd < 0 || !is_socket_of(fd, AF_INET6, SOCK_STREAM))
				_exit(1);
			close(fd);
		}
		vde_delstack(s);
		_exit(0);
	}
	for (int i = 0; i < 300; i++) {
		fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || !is_socket_of(fd, AF_INET, SOCK_DGRAM))
			bad++;
		if (fd >= 0)
			close(fd);
	}
	for (int64_t end = it_now_ms() + 30000; it_now_ms() < end; it_sleep_ms(5)) {
		w = waitpid(pid, &status, WNOHANG);
		if (w != 0)
			break;
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	IT_CHECKF(bad == 0, "parent: %d bad sockets", bad);
	IT_CHECKF(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child: status %#x", status);
	vde_delstack(s);
}

/* test_msocket_is_usable_from_many_threads_at_once - 8 x 50 calls. */
static void test_msocket_is_usable_from_many_threads_at_once(void)
{
	enum { N = 8 };
	struct sock_thread t[N];
	pthread_t th[N];
	struct vdestack *s;
	int before;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	before = it_count_fds();
	for (int i = 0; i < N; i++) {
		t[i] = (struct sock_thread){ .s = s };
		IT_CHECK(pthread_create(&th[i], NULL, sock_thread, &t[i]) == 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		IT_CHECKF(t[i].failures == 0, "thread %d: %d failures, first %s",
			  i, t[i].failures, strerror(t[i].first_errno));
	}
	IT_CHECKF(it_count_fds() == before, "%d descriptors before, %d after",
		  before, it_count_fds());
	vde_delstack(s);
}

/* test_msocket_is_close_on_exec_only_with_sock_cloexec */
static void test_msocket_is_close_on_exec_only_with_sock_cloexec(void)
{
	struct vdestack *s;
	int a, b, c;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	a = vde_msocket(s, AF_INET, SOCK_STREAM, 0);
	b = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	IT_CHECK(a >= 0 && b >= 0 && c >= 0);
	IT_CHECK(!(fcntl(a, F_GETFD) & FD_CLOEXEC));
	IT_CHECK(fcntl(b, F_GETFD) & FD_CLOEXEC);
	IT_CHECK(!(fcntl(c, F_GETFD) & FD_CLOEXEC));
	IT_CHECK(fcntl(c, F_GETFL) & O_NONBLOCK);
	IT_CHECK(!(fcntl(a, F_GETFL) & O_NONBLOCK));
	close(a);
	close(b);
	close(c);
	vde_delstack(s);
}

/* test_msocket_reports_socket_errors - socket(2)'s own errno. */
static void test_msocket_reports_socket_errors(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK_ERRNO(vde_msocket(s, 12345, SOCK_STREAM, 0) == -1,
		       EAFNOSUPPORT);
	IT_CHECK_ERRNO(vde_msocket(s, AF_INET, 12345, 0) == -1, EINVAL);
	IT_CHECK_ERRNO(vde_msocket(s, AF_INET, SOCK_STREAM, IPPROTO_UDP) == -1,
		       EPROTONOSUPPORT);
	/* and still works */
	int fd = vde_msocket(s, AF_INET, SOCK_STREAM, 0);
	IT_CHECK(fd >= 0);
	close(fd);
	vde_delstack(s);
}

/* test_default_stack_sends_socket_calls_to_the_stack - NULL restores the
 * host's stack. */
static void test_default_stack_sends_socket_calls_to_the_stack(void)
{
	struct sockaddr_in sin;
	struct vdestack *s;
	uint16_t port;
	int host_bound, lfd, fd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	host_bound = bound_port(NULL, &port);
	sin = loopback(port);

	vde_default_stack(s);
	/* socket() is the stack's: the port bound on the host is free here */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(lfd >= 0);
	IT_CHECK(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	IT_CHECK(listen(lfd, 4) == 0);
	IT_CHECK(connect_errno(NULL, port) == 0); /* socket() again */
	IT_CHECK(connect_errno(s, port) == 0);

	vde_default_stack(NULL);
	IT_CHECK(connect_errno(NULL, port) == ECONNREFUSED);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK_ERRNO(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1,
		       EADDRINUSE);
	close(fd);
	close(lfd);
	close(host_bound);
	vde_delstack(s);
}

/* test_deleting_the_default_stack_restores_host_sockets */
static void test_deleting_the_default_stack_restores_host_sockets(void)
{
	struct sockaddr_in sin;
	struct vdestack *s, *other;
	uint16_t port;
	int host_bound, fd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	other = it_addstack(NULL, NULL);
	host_bound = bound_port(NULL, &port);
	sin = loopback(port);

	vde_default_stack(other);
	vde_default_stack(s); /* replaces other */
	vde_delstack(other);  /* not the default: changes nothing */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	close(fd);

	vde_delstack(s); /* the default: socket() is the host's again */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK_ERRNO(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1,
		       EADDRINUSE);
	close(fd);
	close(host_bound);
}

/* test_socket_of_a_deleted_stack_keeps_working - a socket holds its
 * namespace: deleting the stack does not break an open connection. */
static void test_socket_of_a_deleted_stack_keeps_working(void)
{
	struct vdestack *s;
	uint16_t port;
	int lfd, cfd, afd, probe;
	char buf[8];
	ino_t ino;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	probe = bound_port(s, &port);
	close(probe);
	lfd = it_tcp_listen(s, "127.0.0.1", port);
	cfd = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(cfd >= 0 && it_tcp_connect(cfd, "127.0.0.1", port, 5000) == 0);
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(afd >= 0);
	ino = netns_ino(cfd);
	IT_CHECK(ino != host_ns_ino());
	vde_delstack(s);
	/* the connection lives on in the deleted stack's namespace */
	IT_CHECK(netns_ino(cfd) == ino && netns_ino(afd) == ino);
	IT_CHECK(write(cfd, "after", 5) == 5);
	IT_CHECK(read(afd, buf, sizeof(buf)) == 5 && !memcmp(buf, "after", 5));
	close(afd);
	close(cfd);
	close(lfd);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(msocket_listener_is_not_reachable_from_the_host),
	T(msocket_two_stacks_do_not_see_each_other),
	T(msocket_sockets_of_one_stack_talk_over_its_lo),
	T(msocket_fd_is_inherited_by_a_forked_child),
	T(msocket_is_usable_from_many_threads_at_once),
	T(msocket_sockets_land_in_the_stack_asked_for_when_calls_alternate),
	T(msocket_helper_leaves_a_deleted_stacks_namespace),
	T(msocket_thread_exit_releases_its_reply_channel),
	T(msocket_parent_and_forked_child_never_share_a_reply_channel),
	T(msocket_is_close_on_exec_only_with_sock_cloexec),
	T(msocket_reports_socket_errors),
	T(default_stack_sends_socket_calls_to_the_stack),
	T(deleting_the_default_stack_restores_host_sockets),
	T(socket_of_a_deleted_stack_keeps_working),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
