/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_fwd_range.c - port ranges of vde_stackfwd(3), both ways
 * ("tcp:8000-8009:10.0.0.1:9000-9009", "udp-ns:5000-5009:127.0.0.1:53"):
 * each port of the range lands on its own port on the other side (or on
 * the one port), a range is added whole or not at all, and
 * vde_stackunfwd(3) of a range removes it.  Host sockets only on
 * 127.0.0.1 and ::1. */
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_fwd_util.h"

/* Ports in the ranges of these tests. */
#define N 4
/* Bases tried to find N consecutive free ports on the host. */
#define RANGE_TRIES 200
/* How long a datagram or a connection may take to arrive (not a bound
 * on speed). */
#define WAIT_MS 30000

/* try_bind - a socket of type bound to ip:port in s (NULL: the host),
 * listening for TCP.  Return: it, or -1 when the port is taken. */
static int try_bind(struct vdestack *s, int type, const char *ip,
		    uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fu_addr(ip, port, &ss);
	int one = 1, fd = s ? vde_msocket(s, fu_family(ip), type, 0)
			    : socket(fu_family(ip), type | SOCK_CLOEXEC, 0);

	IT_CHECK(fd >= 0);
	if (fu_family(ip) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* bind_range - n consecutive ports of ip bound on the host, in fds.
 * Return: the first port. */
static uint16_t bind_range(int type, const char *ip, int n, int *fds)
{
	for (int t = 0; t < RANGE_TRIES; t++) {
		uint16_t base = fu_free_port(type, ip);
		int i;

		if (base > 65535 - n)
			continue;
		for (i = 0; i < n; i++) {
			fds[i] = try_bind(NULL, type, ip, (uint16_t)(base + i));
			if (fds[i] < 0)
				break;
		}
		if (i == n)
			return base;
		while (i-- > 0)
			close(fds[i]);
	}
	it_fail(__FILE__, __LINE__, "no %d consecutive free ports", n);
}

/* free_range - n consecutive ports of ip free on the host just now.
 * Return: the first. */
static uint16_t free_range(int type, const char *ip, int n)
{
	int fds[N];
	uint16_t base = bind_range(type, ip, n, fds);

	for (int i = 0; i < n; i++)
		close(fds[i]);
	return base;
}

/* bind_in - n sockets of type on ip:port.. in s, in fds. */
static void bind_in(struct vdestack *s, int type, const char *ip,
		    uint16_t port, int n, int *fds)
{
	for (int i = 0; i < n; i++) {
		fds[i] = try_bind(s, type, ip, (uint16_t)(port + i));
		IT_CHECKF(fds[i] >= 0, "bind %s:%d in the stack", ip, port + i);
	}
}

/* which_ready - wait for one of the n sockets to be readable.
 * Return: its index (fails the test when none is, or several are). */
static int which_ready(const int *fds, int n)
{
	struct pollfd p[N];
	int got = -1, ready;

	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	ready = poll(p, (nfds_t)n, WAIT_MS);
	IT_CHECKF(ready == 1, "%d of %d servers have a client", ready, n);
	for (int i = 0; i < n; i++)
		if (p[i].revents & POLLIN)
			got = i;
	return got;
}

/* tcp_lands - a client in cs (NULL: the host) connects to ip:port, and
 * must arrive at server want of srv (n listeners); a byte goes each
 * way. */
static void tcp_lands(struct vdestack *cs, const char *ip, uint16_t port,
		      const int *srv, int n, int want)
{
	int fd = fu_connect(cs, SOCK_STREAM, ip, port, 10000), got, c;
	char b = (char)('a' + want);

	IT_CHECKF(fd >= 0, "connect %s:%u: %s", ip, port, strerror(-fd));
	got = which_ready(srv, n);
	IT_CHECKF(got == want, "port %u reached server %d, not %d", port, got,
		  want);
	c = accept(srv[got], NULL, NULL);
	IT_CHECK(c >= 0);
	IT_CHECK(send(c, &b, 1, 0) == 1);
	IT_CHECK(send(fd, &b, 1, 0) == 1);
	b = 0;
	IT_CHECK(recv(fd, &b, 1, MSG_WAITALL) == 1 && b == 'a' + want);
	IT_CHECK(recv(c, &b, 1, MSG_WAITALL) == 1 && b == 'a' + want);
	close(c);
	close(fd);
}

/* udp_lands - a client in cs (NULL: the host) sends to ip:port, and its
 * datagram must arrive at socket want of srv (n), whose answer comes
 * back to the client. */
static void udp_lands(struct vdestack *cs, const char *ip, uint16_t port,
		      const int *srv, int n, int want)
{
	int fd = fu_connect(cs, SOCK_DGRAM, ip, port, 1000), got;
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b = (char)('a' + want);

	IT_CHECK(fd >= 0);
	IT_CHECK(send(fd, &b, 1, 0) == 1);
	got = which_ready(srv, n);
	IT_CHECKF(got == want, "port %u reached socket %d, not %d", port, got,
		  want);
	IT_CHECK(recvfrom(srv[got], &b, 1, 0, (struct sockaddr *)&from,
			  &flen) == 1 && b == 'a' + want);
	IT_CHECK(sendto(srv[got], &b, 1, 0, (struct sockaddr *)&from,
			flen) == 1);
	IT_CHECK(poll(&p, 1, WAIT_MS) == 1);
	b = 0;
	IT_CHECK(recv(fd, &b, 1, 0) == 1 && b == 'a' + want);
	close(fd);
}

/* close_all - close the n descriptors of fds. */
static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* test_fwd_range_host_to_stack_maps_each_port_to_its_own - tcp: and
 * udp: ranges: host port base + i reaches the server on 8000 + i in the
 * stack, IPv4 and IPv6. */
static void test_fwd_range_host_to_stack_maps_each_port_to_its_own(void)
{
	static const char *const ips[] = { "127.0.0.1", "::1" };
	struct vdestack *s;
	int srv[N];
	char spec[200];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	for (int f = 0; f < 2; f++) {
		const char *ip = ips[f];
		bool v6 = f == 1;
		uint16_t base = free_range(SOCK_STREAM, ip, N);

		bind_in(s, SOCK_STREAM, ip, 8000, N, srv);
		snprintf(spec, sizeof(spec), "tcp:%s%s%s:%u-%u:%s%s%s:8000-%d",
			 v6 ? "[" : "", ip, v6 ? "]" : "", base, base + N - 1,
			 v6 ? "[" : "", ip, v6 ? "]" : "", 8000 + N - 1);
		IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s): %s",
			  spec, strerror(errno));
		for (int i = N - 1; i >= 0; i--)
			tcp_lands(NULL, ip, (uint16_t)(base + i), srv, N, i);
		IT_CHECK(vde_stackunfwd(s, spec) == 0);
		close_all(srv, N);

		base = free_range(SOCK_DGRAM, ip, N);
		bind_in(s, SOCK_DGRAM, ip, 5300, N, srv);
		snprintf(spec, sizeof(spec), "udp:%s%s%s:%u-%u:%s%s%s:5300-%d",
			 v6 ? "[" : "", ip, v6 ? "]" : "", base, base + N - 1,
			 v6 ? "[" : "", ip, v6 ? "]" : "", 5300 + N - 1);
		IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s): %s",
			  spec, strerror(errno));
		for (int i = 0; i < N; i++)
			udp_lands(NULL, ip, (uint16_t)(base + i), srv, N, i);
		IT_CHECK(vde_stackunfwd(s, spec) == 0);
		close_all(srv, N);
	}
	vde_delstack(s);
}

/* test_fwd_range_stack_to_host_maps_each_port_to_its_own - tcp-ns: and
 * udp-ns: ranges: port 6000 + i of the stack's loopback reaches the host
 * server on base + i. */
static void test_fwd_range_stack_to_host_maps_each_port_to_its_own(void)
{
	struct vdestack *s;
	int srv[N];
	char spec[200];
	uint16_t base;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	base = bind_range(SOCK_STREAM, "127.0.0.1", N, srv);
	snprintf(spec, sizeof(spec), "tcp-ns:6000-%d:127.0.0.1:%u-%u",
		 6000 + N - 1, base, base + N - 1);
	IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s): %s", spec,
		  strerror(errno));
	for (int i = 0; i < N; i++)
		tcp_lands(s, "127.0.0.1", (uint16_t)(6000 + i), srv, N, i);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	close_all(srv, N);

	base = bind_range(SOCK_DGRAM, "::1", N, srv);
	snprintf(spec, sizeof(spec), "udp-ns:[::1]:6000-%d:[::1]:%u-%u",
		 6000 + N - 1, base, base + N - 1);
	IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s): %s", spec,
		  strerror(errno));
	for (int i = N - 1; i >= 0; i--)
		udp_lands(s, "::1", (uint16_t)(6000 + i), srv, N, i);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	close_all(srv, N);
	vde_delstack(s);
}

/* test_fwd_range_in_the_stack_goes_to_one_host_port - tcp-ns: and
 * udp-ns: from a range of the stack to one host port: every port of the
 * range reaches the one server. */
static void test_fwd_range_in_the_stack_goes_to_one_host_port(void)
{
	struct vdestack *s;
	uint16_t hport;
	char spec[200];
	int srv;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	srv = fu_bound_any(SOCK_STREAM, "127.0.0.1", &hport);
	snprintf(spec, sizeof(spec), "tcp-ns:7000-%d:127.0.0.1:%u",
		 7000 + N - 1, hport);
	IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s): %s", spec,
		  strerror(errno));
	for (int i = 0; i < N; i++)
		tcp_lands(s, "127.0.0.1", (uint16_t)(7000 + i), &srv, 1, 0);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	close(srv);

	srv = fu_bound_any(SOCK_DGRAM, "127.0.0.1", &hport);
	snprintf(spec, sizeof(spec), "udp-ns:7000-%d:127.0.0.1:%u",
		 7000 + N - 1, hport);
	IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s): %s", spec,
		  strerror(errno));
	for (int i = 0; i < N; i++)
		udp_lands(s, "127.0.0.1", (uint16_t)(7000 + i), &srv, 1, 0);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	close(srv);
	vde_delstack(s);
}

/* test_fwd_range_is_added_whole_or_not_at_all - ranges of different
 * lengths, or one port to a range (and a host -> stack range to one
 * port), are EINVAL; a port of the range taken fails the call with
 * EADDRINUSE and leaves every other port of it free. */
static void test_fwd_range_is_added_whole_or_not_at_all(void)
{
	static const char *const bad[] = {
		"tcp:8000-8009:127.0.0.1:9000-9008",
		"tcp:8000-8009:127.0.0.1:9000", "tcp:8000:127.0.0.1:9000-9009",
		"udp:8000-8009:127.0.0.1:9000",
		"tcp-ns:8000:127.0.0.1:9000-9009",
		"udp-ns:8000-8001:127.0.0.1:9000-9002",
		"tcp:8009-8000:127.0.0.1:9009-9000",
		"tcp:65530-65536:127.0.0.1:1-7",
	};
	struct vdestack *s;
	uint16_t base;
	char spec[200];
	int busy;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		IT_CHECKF(vde_stackfwd(s, bad[i]) < 0 && errno == EINVAL,
			  "vde_stackfwd(%s): %s", bad[i], strerror(errno));
	}
	/* host side: the third port of the range is taken */
	base = free_range(SOCK_STREAM, "127.0.0.1", N);
	busy = try_bind(NULL, SOCK_STREAM, "127.0.0.1", (uint16_t)(base + 2));
	IT_CHECK(busy >= 0);
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u-%u:127.0.0.1:80-%d",
		 base, base + N - 1, 80 + N - 1);
	IT_CHECK_ERRNO(vde_stackfwd(s, spec) < 0, EADDRINUSE);
	close(busy);
	for (int i = 0; i < N; i++)
		IT_CHECKF(fu_port_is_free(SOCK_STREAM, "127.0.0.1",
					  (uint16_t)(base + i)),
			  "port %d left bound", base + i);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	/* stack side: the last port is taken */
	busy = try_bind(s, SOCK_DGRAM, "127.0.0.1", 5000 + N - 1);
	IT_CHECK(busy >= 0);
	snprintf(spec, sizeof(spec), "udp-ns:5000-%d:127.0.0.1:53", 5000 + N - 1);
	IT_CHECK_ERRNO(vde_stackfwd(s, spec) < 0, EADDRINUSE);
	close(busy);
	for (int i = 0; i < N; i++) {
		int fd = try_bind(s, SOCK_DGRAM, "127.0.0.1",
				  (uint16_t)(5000 + i));

		IT_CHECKF(fd >= 0, "port %d left bound in the stack", 5000 + i);
		close(fd);
	}
	vde_delstack(s);
}

/* test_fwd_range_unfwd_removes_the_range - vde_stackunfwd of the range
 * (full spec, or its listening side) frees every port of it and refuses
 * its connections; one port inside a range names no forward (ENOENT); a
 * wider range removes every forward inside it, and no other. */
static void test_fwd_range_unfwd_removes_the_range(void)
{
	struct vdestack *s;
	uint16_t base;
	char spec[200], sel[100];
	int fd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	base = free_range(SOCK_STREAM, "127.0.0.1", N);
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u-%u:127.0.0.1:80-%d",
		 base, base + N - 1, 80 + N - 1);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	snprintf(sel, sizeof(sel), "tcp:127.0.0.1:%u", base + 1);
	IT_CHECK_ERRNO(vde_stackunfwd(s, sel) < 0, ENOENT);
	snprintf(sel, sizeof(sel), "tcp:127.0.0.1:%u-%u", base, base + N - 2);
	IT_CHECK_ERRNO(vde_stackunfwd(s, sel) < 0, ENOENT);
	snprintf(sel, sizeof(sel), "tcp:127.0.0.1:%u-%u", base, base + N - 1);
	IT_CHECK(vde_stackunfwd(s, sel) == 0);
	for (int i = 0; i < N; i++) {
		IT_CHECK(fu_port_is_free(SOCK_STREAM, "127.0.0.1",
					 (uint16_t)(base + i)));
		fd = fu_connect(NULL, SOCK_STREAM, "127.0.0.1",
				(uint16_t)(base + i), 0);
		IT_CHECKF(fd == -ECONNREFUSED, "connect after removal: %d", fd);
	}
	IT_CHECK_ERRNO(vde_stackunfwd(s, spec) < 0, ENOENT);

	/* stack side: two ranges and a single port, then a wider range */
	IT_CHECK(vde_stackfwd(s, "tcp-ns:6000-6003:127.0.0.1:9") == 0);
	IT_CHECK(vde_stackfwd(s, "tcp-ns:6010-6013:127.0.0.1:19-22") == 0);
	IT_CHECK(vde_stackfwd(s, "tcp-ns:6020:127.0.0.1:9") == 0);
	IT_CHECK(vde_stackfwd(s, "udp-ns:6000-6003:127.0.0.1:9") == 0);
	IT_CHECK_ERRNO(vde_stackunfwd(s, "tcp-ns:6010-6013:127.0.0.1:19") < 0,
		       ENOENT);
	IT_CHECK(vde_stackunfwd(s, "tcp-ns:6000-6019") == 0);
	for (int i = 0; i < 4; i++) {
		fd = fu_connect(s, SOCK_STREAM, "127.0.0.1",
				(uint16_t)(6000 + i), 0);
		IT_CHECKF(fd == -ECONNREFUSED, "connect after removal: %d", fd);
		fd = fu_connect(s, SOCK_STREAM, "127.0.0.1",
				(uint16_t)(6010 + i), 0);
		IT_CHECKF(fd == -ECONNREFUSED, "connect after removal: %d", fd);
	}
	IT_CHECK_ERRNO(vde_stackunfwd(s, "tcp-ns:6000-6019") < 0, ENOENT);
	IT_CHECK(vde_stackunfwd(s, "tcp-ns:6020:127.0.0.1:9") == 0);
	IT_CHECK(vde_stackunfwd(s, "udp-ns:6000-6003:127.0.0.1:9") == 0);
	vde_delstack(s);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(fwd_range_host_to_stack_maps_each_port_to_its_own),
	T(fwd_range_stack_to_host_maps_each_port_to_its_own),
	T(fwd_range_in_the_stack_goes_to_one_host_port),
	T(fwd_range_is_added_whole_or_not_at_all),
	T(fwd_range_unfwd_removes_the_range),
#undef T
};

/* main - run the test named by argv[1], or all.  Return: it_main's. */
int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
