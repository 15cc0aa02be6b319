/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_msocket.c - vde_msocket and vde_default_stack: isolation, lo,
 * fork, threads, close-on-exec, the default stack. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
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

	it_require_stacks();
	a = it_addstack(NULL, NULL);
	b = it_addstack(NULL, NULL);
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
	pid_t pid;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	probe = bound_port(s, &port);
	close(probe);
	lfd = it_tcp_listen(s, "127.0.0.1", port);
	fd = vde_msocket(s, AF_INET, SOCK_STREAM, 0);
	IT_CHECK(fd >= 0);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sin = loopback(port);
		int own;

		alarm(30);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    write(fd, "child", 5) != 5)
			_exit(1);
		/* a socket the child makes itself is in the stack as well */
		own = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (own < 0 || connect(own, (struct sockaddr *)&sin,
				       sizeof(sin)) < 0)
			_exit(2);
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
	close(lfd);
	/* the parent's stack still works after the child's exit */
	IT_CHECK(connect_errno(s, port) == ECONNREFUSED);
	vde_delstack(s);
}

struct sock_thread {
	struct vdestack *s;
	int failures;
	int first_errno;
};

/* sock_thread - 50 sockets, each checked and closed. */
static void *sock_thread(void *arg)
{
	struct sock_thread *t = arg;

	for (int i = 0; i < 50; i++) {
		int fd = vde_msocket(t->s, i % 2 ? AF_INET : AF_INET6,
				     (i % 3 ? SOCK_STREAM : SOCK_DGRAM) |
				     SOCK_CLOEXEC, 0);

		if (fd < 0) {
			if (!t->failures++)
				t->first_errno = errno;
			continue;
		}
		close(fd);
	}
	return NULL;
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

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	probe = bound_port(s, &port);
	close(probe);
	lfd = it_tcp_listen(s, "127.0.0.1", port);
	cfd = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(cfd >= 0 && it_tcp_connect(cfd, "127.0.0.1", port, 5000) == 0);
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(afd >= 0);
	vde_delstack(s);
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
