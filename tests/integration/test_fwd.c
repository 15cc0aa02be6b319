/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_fwd.c - host -> stack port forwarding with vde_stackfwd(3) and
 * vde_stackunfwd(3), on stacks of every kind (no network, mem://), IPv4 and
 * IPv6, TCP and UDP.  Host sockets only on 127.0.0.1 and ::1. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_fwd_util.h"

#define BYTES (16u << 20)
/* How long the helper stays stopped while a call waits for it: long
 * enough for that call to be waiting (not a bound on anything). */
#define CONT_AFTER_MS 200
/* How long the forward's listener goes without descriptors. */
#define STARVE_MS 300

/* fwd_spec - "proto:HOST:HPORT:GUEST:GPORT" with brackets for IPv6.
 * Return: buf. */
static const char *fwd_spec(char *buf, size_t n, const char *proto,
			    const char *host, uint16_t hport,
			    const char *guest, uint16_t gport)
{
	bool h6 = fu_family(host) == AF_INET6, g6 = fu_family(guest) == AF_INET6;

	snprintf(buf, n, "%s:%s%s%s:%u:%s%s%s:%u", proto, h6 ? "[" : "", host,
		 h6 ? "]" : "", hport, g6 ? "[" : "", guest, g6 ? "]" : "",
		 gport);
	return buf;
}

/* tcp_through_forward - a server in s on guest:gport, a forward from
 * host:hport, a checked exchange through it. */
static void tcp_through_forward(struct vdestack *s, const char *host,
				const char *guest, uint16_t gport, size_t bytes,
				uint64_t seed)
{
	uint16_t hport = fu_free_port(SOCK_STREAM, host);
	int lfd = fu_bound(s, SOCK_STREAM, guest, gport), fd;
	struct fu_server *srv = fu_server_start(lfd, bytes, seed);
	char spec[200];

	IT_CHECKF(vde_stackfwd(s, fwd_spec(spec, sizeof(spec), "tcp", host,
					   hport, guest, gport)) == 0,
		  "vde_stackfwd(%s)", spec);
	fd = fu_connect(NULL, SOCK_STREAM, host, hport, 10000);
	IT_CHECKF(fd >= 0, "connect to the forward %s: %s", spec,
		  strerror(-fd));
	fu_client_exchange(fd, bytes, seed);
	fu_server_join(srv);
	close(lfd);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
}

/* test_fwd_tcp_reaches_a_server_in_a_stack_without_network - the stack
 * has only lo: the forward does not need an interface at all. */
static void test_fwd_tcp_reaches_a_server_in_a_stack_without_network(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	tcp_through_forward(s, "127.0.0.1", "127.0.0.1", 8080, BYTES, 1);
	vde_delstack(s);
}

/* test_fwd_tcp_over_ipv6_and_across_families - [::1] -> [::1], and
 * 127.0.0.1 -> [::1], [::1] -> 127.0.0.1. */
static void test_fwd_tcp_over_ipv6_and_across_families(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	tcp_through_forward(s, "::1", "::1", 8080, BYTES / 4, 2);
	tcp_through_forward(s, "127.0.0.1", "::1", 8081, BYTES / 4, 3);
	tcp_through_forward(s, "::1", "127.0.0.1", 8082, BYTES / 4, 4);
	vde_delstack(s);
}

/* test_fwd_udp_reaches_an_echo_server_in_a_stack - datagrams both ways
 * through a UDP forward, IPv4 and IPv6. */
static void test_fwd_udp_reaches_an_echo_server_in_a_stack(void)
{
	static const char *const ips[] = { "127.0.0.1", "::1" };
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	for (int i = 0; i < 2; i++) {
		uint16_t hport = fu_free_port(SOCK_DGRAM, ips[i]);
		struct fu_echo *e = fu_echo_start(fu_bound(s, SOCK_DGRAM,
							   ips[i], 5353));
		char spec[200];
		int fd;

		fwd_spec(spec, sizeof(spec), "udp", ips[i], hport, ips[i],
			 5353);
		IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s)", spec);
		fd = fu_connect(NULL, SOCK_DGRAM, ips[i], hport, 1000);
		IT_CHECK(fd >= 0);
		fu_udp_roundtrips(fd, 200, 8000);
		close(fd);
		/* a second client is a second flow */
		fd = fu_connect(NULL, SOCK_DGRAM, ips[i], hport, 1000);
		IT_CHECK(fd >= 0);
		fu_udp_roundtrips(fd, 20, 60000);
		close(fd);
		IT_CHECK(vde_stackunfwd(s, spec) == 0);
		fu_echo_stop(e);
	}
	vde_delstack(s);
}

/* test_fwd_removed_forward_frees_its_port - after vde_stackunfwd the host
 * port refuses connections and can be bound again; removing it again, or
 * one never added, is ENOENT; the short form names the same forward. */
static void test_fwd_removed_forward_frees_its_port(void)
{
	struct vdestack *s;
	uint16_t hport;
	char spec[200], shortspec[100];
	int fd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	hport = fu_free_port(SOCK_STREAM, "127.0.0.1");
	fwd_spec(spec, sizeof(spec), "tcp", "127.0.0.1", hport, "127.0.0.1",
		 80);
	snprintf(shortspec, sizeof(shortspec), "tcp:127.0.0.1:%u", hport);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK(!fu_port_is_free(SOCK_STREAM, "127.0.0.1", hport));
	IT_CHECK(vde_stackunfwd(s, shortspec) == 0);
	IT_CHECK(fu_port_is_free(SOCK_STREAM, "127.0.0.1", hport));
	fd = fu_connect(NULL, SOCK_STREAM, "127.0.0.1", hport, 0);
	IT_CHECKF(fd == -ECONNREFUSED, "connect after removal: %d", fd);
	IT_CHECK_ERRNO(vde_stackunfwd(s, spec) < 0, ENOENT);
	IT_CHECK_ERRNO(vde_stackunfwd(s, "udp:127.0.0.1:1") < 0, ENOENT);
	/* added again, removed with the full spec; udp the same way */
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	hport = fu_free_port(SOCK_DGRAM, "::1");
	fwd_spec(spec, sizeof(spec), "udp", "::1", hport, "::1", 53);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK(!fu_port_is_free(SOCK_DGRAM, "::1", hport));
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	IT_CHECK(fu_port_is_free(SOCK_DGRAM, "::1", hport));
	vde_delstack(s);
}

/* test_fwd_refuses_a_port_in_use_and_bad_specs - EADDRINUSE for a port
 * taken (by the host or by another forward), EINVAL for a malformed spec
 * or a NULL argument. */
static void test_fwd_refuses_a_port_in_use_and_bad_specs(void)
{
	static const char *const bad[] = {
		"", "tcp", "tcp:80", "tcp:127.0.0.1:80", "sctp:1:127.0.0.1:1",
		"tcp:127.0.0.1:0:127.0.0.1:80", "tcp:127.0.0.1:8080:x:80",
		"tcp:::1:8080:[::1]:80", "tcp:[::1]:8080:[::1]",
		"tcp:127.0.0.1:8080:127.0.0.1:80:", "udp:1:2:3:4",
	};
	struct vdestack *s, *t;
	uint16_t hport;
	char spec[200];
	int busy;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	t = it_addstack(NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		IT_CHECK_ERRNO(vde_stackfwd(s, bad[i]) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackfwd(s, NULL) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackfwd(NULL, "tcp:1:127.0.0.1:1") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackunfwd(s, NULL) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackunfwd(s, "tcp:") < 0, EINVAL);

	hport = fu_free_port(SOCK_STREAM, "127.0.0.1");
	busy = fu_bound(NULL, SOCK_STREAM, "127.0.0.1", hport);
	fwd_spec(spec, sizeof(spec), "tcp", "127.0.0.1", hport, "127.0.0.1",
		 80);
	IT_CHECK_ERRNO(vde_stackfwd(s, spec) < 0, EADDRINUSE);
	close(busy);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK_ERRNO(vde_stackfwd(s, spec) < 0, EADDRINUSE);
	IT_CHECK_ERRNO(vde_stackfwd(t, spec) < 0, EADDRINUSE);
	/* a forward belongs to its stack */
	IT_CHECK_ERRNO(vde_stackunfwd(t, spec) < 0, ENOENT);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	vde_delstack(t);
	vde_delstack(s);
}

/* test_fwd_delstack_removes_the_stacks_forwards - ports free again and
 * no descriptor left once the stack is deleted, connections included. */
static void test_fwd_delstack_removes_the_stacks_forwards(void)
{
	struct vdestack *s;
	uint16_t p1, p2;
	char spec[200];
	int fds0, lfd, open_conn;

	it_require_stacks();
	s = it_addstack(NULL, NULL); /* warm-up: the helper */
	vde_delstack(s);
	fds0 = it_count_fds();
	s = it_addstack(NULL, NULL);
	p1 = fu_free_port(SOCK_STREAM, "127.0.0.1");
	p2 = fu_free_port(SOCK_DGRAM, "::1");
	IT_CHECK(vde_stackfwd(s, fwd_spec(spec, sizeof(spec), "tcp",
					  "127.0.0.1", p1, "127.0.0.1",
					  7)) == 0);
	IT_CHECK(vde_stackfwd(s, fwd_spec(spec, sizeof(spec), "udp", "::1", p2,
					  "::1", 7)) == 0);
	/* one connection still open through the forward */
	lfd = fu_bound(s, SOCK_STREAM, "127.0.0.1", 7);
	open_conn = fu_connect(NULL, SOCK_STREAM, "127.0.0.1", p1, 10000);
	IT_CHECK(open_conn >= 0);
	IT_CHECK(send(open_conn, "x", 1, 0) == 1);
	{
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		IT_CHECK(poll(&p, 1, 30000) == 1);
	}
	close(lfd);
	vde_delstack(s);
	IT_CHECK(fu_port_is_free(SOCK_STREAM, "127.0.0.1", p1));
	IT_CHECK(fu_port_is_free(SOCK_DGRAM, "::1", p2));
	{
		/* the open connection was closed by the library */
		char c;
		struct pollfd p = { .fd = open_conn, .events = POLLIN };

		IT_CHECK(poll(&p, 1, 30000) == 1);
		IT_CHECK(recv(open_conn, &c, 1, 0) <= 0);
	}
	close(open_conn);
	IT_CHECKF(it_count_fds() == fds0, "fds: %d, before: %d",
		  it_count_fds(), fds0);
}

/* test_fwd_half_close_reaches_both_ends - the client's shutdown(SHUT_WR)
 * reaches the server as end-of-file while the server's reply still
 * flows back, then the server's end reaches the client. */
static void test_fwd_half_close_reaches_both_ends(void)
{
	struct vdestack *s;
	uint16_t hport;
	char spec[200], buf[64];
	int lfd, fd, c;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	hport = fu_free_port(SOCK_STREAM, "127.0.0.1");
	lfd = fu_bound(s, SOCK_STREAM, "127.0.0.1", 9);
	IT_CHECK(vde_stackfwd(s, fwd_spec(spec, sizeof(spec), "tcp",
					  "127.0.0.1", hport, "127.0.0.1",
					  9)) == 0);
	fd = fu_connect(NULL, SOCK_STREAM, "127.0.0.1", hport, 10000);
	IT_CHECK(fd >= 0);
	c = accept(lfd, NULL, NULL);
	IT_CHECK(c >= 0);
	IT_CHECK(send(fd, "question", 8, 0) == 8);
	IT_CHECK(shutdown(fd, SHUT_WR) == 0);
	IT_CHECK(recv(c, buf, sizeof(buf), MSG_WAITALL) == 8);
	IT_CHECK(!memcmp(buf, "question", 8));
	IT_CHECK(recv(c, buf, sizeof(buf), 0) == 0); /* the end */
	IT_CHECK(send(c, "answer", 6, 0) == 6);      /* still open back */
	close(c);
	IT_CHECK(recv(fd, buf, sizeof(buf), MSG_WAITALL) == 6);
	IT_CHECK(!memcmp(buf, "answer", 6));
	IT_CHECK(recv(fd, buf, sizeof(buf), 0) == 0);
	close(fd);
	close(lfd);
	vde_delstack(s);
}

/* test_fwd_to_a_closed_port_closes_the_client - nothing listens in the
 * stack: the client's connection ends at once (reset or end-of-file). */
static void test_fwd_to_a_closed_port_closes_the_client(void)
{
	struct vdestack *s;
	uint16_t hport;
	char spec[200], c;
	int fd;
	ssize_t n;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	hport = fu_free_port(SOCK_STREAM, "127.0.0.1");
	IT_CHECK(vde_stackfwd(s, fwd_spec(spec, sizeof(spec), "tcp",
					  "127.0.0.1", hport, "127.0.0.1",
					  1)) == 0);
	fd = fu_connect(NULL, SOCK_STREAM, "127.0.0.1", hport, 10000);
	IT_CHECK(fd >= 0);
	{
		struct timeval tv = { .tv_sec = 60 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	n = recv(fd, &c, 1, 0);
	IT_CHECKF(n == 0 || (n < 0 && errno == ECONNRESET),
		  "recv: %zd", n);
	close(fd);
	vde_delstack(s);
}

/* udp_client - one UDP client of a forward, on its own socket (so its
 * own flow): datagrams of varied sizes, each echoed and checked. */
static void *udp_client(void *arg)
{
	const uint16_t *hport = arg;
	int fd = fu_connect(NULL, SOCK_DGRAM, "127.0.0.1", *hport, 30000);

	IT_CHECK(fd >= 0);
	fu_udp_roundtrips(fd, 64, 1400);
	close(fd);
	return NULL;
}

/* test_fwd_many_concurrent_connections_keep_their_data - 16 clients at
 * once through ONE forward to ONE server: TCP, each connection's 1 MiB
 * echoed back and checked against its own generator; and UDP, 16 clients
 * of one forward (a flow each) to one echo server, every datagram checked. */
static void test_fwd_many_concurrent_connections_keep_their_data(void)
{
	enum { N = 16 };
	struct vdestack *s;
	struct fu_tcp_echo *echo;
	struct fu_echo *uecho;
	pthread_t th[N];
	uint16_t hport, uport;
	char spec[200];
	int lfd, ufd, fds[N];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	lfd = fu_bound(s, SOCK_STREAM, "127.0.0.1", 1000);
	echo = fu_tcp_echo_start(lfd, N);
	hport = fu_free_port(SOCK_STREAM, "127.0.0.1");
	IT_CHECK(vde_stackfwd(s, fwd_spec(spec, sizeof(spec), "tcp",
					  "127.0.0.1", hport, "127.0.0.1",
					  1000)) == 0);
	fu_burst_open("127.0.0.1", hport, N, fds);
	fu_burst_echo(fds, N, 1u << 20, 500);
	fu_tcp_echo_join(echo);

	ufd = fu_bound(s, SOCK_DGRAM, "127.0.0.1", 1001);
	uecho = fu_echo_start(ufd);
	uport = fu_free_port(SOCK_DGRAM, "127.0.0.1");
	IT_CHECK(vde_stackfwd(s, fwd_spec(spec, sizeof(spec), "udp",
					  "127.0.0.1", uport, "127.0.0.1",
					  1001)) == 0);
	for (int i = 0; i < N; i++)
		IT_CHECK(pthread_create(&th[i], NULL, udp_client,
					&uport) == 0);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	IT_CHECK(fu_echo_count(uecho) >= N * 64);
	fu_echo_stop(uecho);
	vde_delstack(s);
}

/* test_fwd_serves_a_mem_stack_across_its_segment - a forward into stack A
 * (mem://) to a server in stack B on the same segment: the peer socket is
 * made in A and its traffic crosses the backend. */
static void test_fwd_serves_a_mem_stack_across_its_segment(void)
{
	struct vdestack *a, *b;
	char url[200];

	it_require_network();
	snprintf(url, sizeof(url), "mem://fwd-%d", (int)getpid());
	a = it_addstack(url, NULL);
	b = it_addstack(url, NULL);
	it_config_addr(a, "vde0", "10.0.0.1/24");
	it_config_addr(b, "vde0", "10.0.0.2/24");
	{
		uint16_t hport = fu_free_port(SOCK_STREAM, "127.0.0.1");
		int lfd = fu_bound(b, SOCK_STREAM, "10.0.0.2", 80), fd;
		struct fu_server *srv = fu_server_start(lfd, BYTES, 77);
		char spec[200];

		IT_CHECK(vde_stackfwd(a, fwd_spec(spec, sizeof(spec), "tcp",
						  "127.0.0.1", hport,
						  "10.0.0.2", 80)) == 0);
		fd = fu_connect(NULL, SOCK_STREAM, "127.0.0.1", hport, 10000);
		IT_CHECK(fd >= 0);
		fu_client_exchange(fd, BYTES, 77);
		fu_server_join(srv);
		close(lfd);
	}
	vde_delstack(b);
	vde_delstack(a);
}

/* tcp_spec - "tcp:127.0.0.1:hport:127.0.0.1:gport" in buf.  Return: buf. */
static const char *tcp_spec(char *buf, size_t n, uint16_t hport,
			    uint16_t gport)
{
	return fwd_spec(buf, n, "tcp", "127.0.0.1", hport, "127.0.0.1", gport);
}

/* test_fwd_burst_waits_for_the_helper_while_other_stacks_flow - 200
 * connections opened at once through one forward while the namespace
 * helper is stopped, so that none can have its peer socket yet: two other
 * stacks on a mem:// segment pumped by the loops (not on a bridge) move a
 * checked stream meanwhile, which they could not if a loop thread waited
 * for the helper; then the helper goes on, and every connection gets its
 * own bytes back through the forward, each byte checked. */
static void test_fwd_burst_waits_for_the_helper_while_other_stacks_flow(void)
{
	unsigned n = fu_scaled(200);
	struct vdestack *s, *b1, *b2;
	struct fu_tcp_echo *echo;
	uint16_t hport;
	char spec[200], url[200];
	int lfd, sfd, cfd, *fds = calloc(n, sizeof(int));
	pid_t helper;

	IT_CHECK(fds);
	it_require_network();
	/* a connection: the client, the echo's end, the forward's two
	 * sockets and four pipe ends */
	fu_fd_room(n * 8 + 64);
	setenv("VDESTACK_BRIDGE", "off", 1);
	snprintf(url, sizeof(url), "mem://burst-%d", (int)getpid());
	b1 = it_addstack(url, NULL);
	b2 = it_addstack(url, NULL);
	it_config_addr(b1, "vde0", "10.0.0.1/24");
	it_config_addr(b2, "vde0", "10.0.0.2/24");
	s = it_addstack(NULL, NULL);
	lfd = fu_bound(s, SOCK_STREAM, "127.0.0.1", 7);
	IT_CHECK(listen(lfd, 4096) == 0);
	echo = fu_tcp_echo_start(lfd, n);
	hport = fu_free_port(SOCK_STREAM, "127.0.0.1");
	IT_CHECK(vde_stackfwd(s, tcp_spec(spec, sizeof(spec), hport, 7)) == 0);
	fu_stream_pair(b2, b1, "10.0.0.2", 5001, &sfd, &cfd);

	helper = fu_helper_stop();
	fu_burst_open("127.0.0.1", hport, n, fds);
	fu_stream_check(sfd, cfd, 8u << 20, 41);
	fu_helper_cont(helper);

	fu_burst_echo(fds, n, 64u << 10, 1000);
	fu_tcp_echo_join(echo);
	fu_stream_check(sfd, cfd, 1u << 20, 42); /* and still flowing */
	close(sfd);
	close(cfd);
	close(lfd);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	vde_delstack(s);
	vde_delstack(b2);
	vde_delstack(b1);
	free(fds);
}

/* tcp_forward - a forward from a free host port to 127.0.0.1:7 in s, its
 * spec in spec.  Return: the host port. */
static uint16_t tcp_forward(struct vdestack *s, char *spec, size_t size)
{
	uint16_t hport = fu_free_port(SOCK_STREAM, "127.0.0.1");

	IT_CHECK(vde_stackfwd(s, tcp_spec(spec, size, hport, 7)) == 0);
	return hport;
}

/* in_flight - n connections to the forward on hport, made while the
 * helper is stopped, once the forward has accepted some: their peer
 * sockets wait at the library's maker (the first one in a request to the
 * helper).  The helper is left stopped.  Return: its pid. */
static pid_t in_flight(uint16_t hport, unsigned n, int *fds)
{
	pid_t helper = fu_helper_stop();

	fu_burst_open("127.0.0.1", hport, n, fds);
	fu_wait_accepted(hport, (int)n);
	return helper;
}

/* test_fwd_unfwd_closes_connections_waiting_for_the_helper - removing a
 * forward whose connections wait for their peer sockets (the helper
 * stopped, and going on only while vde_stackunfwd waits for the one
 * being made): it succeeds, every client sees its connection end, the
 * port is free, and no descriptor or thread of the forward is left. */
static void test_fwd_unfwd_closes_connections_waiting_for_the_helper(void)
{
	enum { N = 48 };
	struct vdestack *s;
	struct it_counts before;
	struct fu_cont *cont;
	char spec[200];
	uint16_t hport;
	int fds[N], lfd;
	pid_t helper;

	it_require_stacks();
	s = it_addstack(NULL, NULL); /* warm-up: the helper */
	vde_delstack(s);
	s = it_addstack(NULL, NULL);
	lfd = fu_bound(s, SOCK_STREAM, "127.0.0.1", 7); /* never accepts */
	before = it_take_counts();
	hport = tcp_forward(s, spec, sizeof(spec));
	helper = in_flight(hport, N, fds);
	cont = fu_helper_cont_later(helper, CONT_AFTER_MS);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	fu_helper_cont_join(cont);
	fu_burst_wait_closed(fds, N);
	IT_CHECK(fu_port_is_free(SOCK_STREAM, "127.0.0.1", hport));
	it_check_counts(&before, "after vde_stackunfwd");
	close(lfd);
	vde_delstack(s);
}

/* test_fwd_delstack_closes_connections_waiting_for_the_helper - the same
 * through vde_delstack: the stack goes with its forward, every client
 * sees its connection end, nothing is left. */
static void test_fwd_delstack_closes_connections_waiting_for_the_helper(void)
{
	enum { N = 48 };
	struct vdestack *s;
	struct it_counts before;
	struct fu_cont *cont;
	char spec[200];
	uint16_t hport;
	int fds[N];
	pid_t helper;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	vde_delstack(s);
	before = it_take_counts();
	s = it_addstack(NULL, NULL);
	close(fu_bound(s, SOCK_STREAM, "127.0.0.1", 7));
	hport = tcp_forward(s, spec, sizeof(spec));
	helper = in_flight(hport, N, fds);
	cont = fu_helper_cont_later(helper, CONT_AFTER_MS);
	vde_delstack(s);
	fu_helper_cont_join(cont);
	fu_burst_wait_closed(fds, N);
	IT_CHECK(fu_port_is_free(SOCK_STREAM, "127.0.0.1", hport));
	it_check_counts(&before, "after vde_delstack");
}

/* child_fds - the descriptors of a child forked now, right after the
 * fork (the library's fork handlers have run).  Return: their count. */
static int child_fds(void)
{
	int status;
	pid_t pid = fork();

	IT_CHECK(pid >= 0);
	if (pid == 0)
		_exit(it_count_fds());
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	IT_CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* test_fwd_forked_child_closes_its_copies_of_connections_in_flight - a
 * child forked while a forward's connections wait for the helper deletes
 * its copy of the stack: it is left with exactly the descriptors of a
 * child forked before the stack existed, plus the test's own; and in
 * the parent the same connections then get their bytes back.  One
 * connection goes through first, so that the library's thread that
 * makes the peer sockets has its own channel to the helper (a thread's
 * first request travels on a channel that a child forked meanwhile
 * would keep a copy of: helper.c). */
static void test_fwd_forked_child_closes_its_copies_of_connections_in_flight(void)
{
	enum { N = 32 };
	struct vdestack *s;
	struct it_counts before;
	struct fu_tcp_echo *echo;
	char spec[200];
	int fds[N], lfd, base, status;
	uint16_t hport;
	pid_t helper, pid;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	vde_delstack(s);
	before = it_take_counts();
	base = child_fds();
	s = it_addstack(NULL, NULL);
	lfd = fu_bound(s, SOCK_STREAM, "127.0.0.1", 7);
	echo = fu_tcp_echo_start(lfd, N + 1);
	hport = tcp_forward(s, spec, sizeof(spec));
	fu_burst_open("127.0.0.1", hport, 1, fds);
	fu_burst_echo(fds, 1, 16u << 10, 1999);
	helper = in_flight(hport, N, fds);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		int n;

		vde_delstack(s);
		n = it_count_fds();
		if (n != base + N + 1)
			fprintf(stderr, "child: %d descriptors, want %d\n", n,
				base + N + 1);
		/* ends by exec: under valgrind, memcheck would call the
		 * parent's loop objects that the forwards used (watches,
		 * timers) lost in the child, which has no loop to free
		 * them with */
		execl(n == base + N + 1 ? "/bin/true" : "/bin/false", "x",
		      (char *)NULL);
		_exit(1);
	}
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	fu_helper_cont(helper);
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the child's descriptors (status %d)", status);
	fu_burst_echo(fds, N, 16u << 10, 2000);
	fu_tcp_echo_join(echo);
	close(lfd);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	vde_delstack(s);
	it_check_counts(&before, "after the stack");
}

/* test_fwd_udp_clients_in_a_burst_are_all_answered - 200 UDP clients
 * send their first datagram at once while the helper is stopped (none
 * can have its socket in the stack yet): once it goes on, what the
 * forward held reaches the echo server, and every client's checked
 * round trips succeed (datagrams dropped meanwhile are sent again). */
static void test_fwd_udp_clients_in_a_burst_are_all_answered(void)
{
	unsigned n = fu_scaled(200);
	struct vdestack *s;
	struct fu_echo *e;
	uint16_t hport;
	char spec[200];
	int *fds = calloc(n, sizeof(int));
	int64_t end;
	pid_t helper;

	IT_CHECK(fds);
	it_require_stacks();
	fu_fd_room(n * 2 + 64);
	s = it_addstack(NULL, NULL);
	e = fu_echo_start(fu_bound(s, SOCK_DGRAM, "127.0.0.1", 5353));
	hport = fu_free_port(SOCK_DGRAM, "127.0.0.1");
	IT_CHECK(vde_stackfwd(s, fwd_spec(spec, sizeof(spec), "udp",
					  "127.0.0.1", hport, "127.0.0.1",
					  5353)) == 0);
	helper = fu_helper_stop();
	for (unsigned i = 0; i < n; i++) {
		fds[i] = fu_connect(NULL, SOCK_DGRAM, "127.0.0.1", hport, 0);
		IT_CHECK(fds[i] >= 0);
		IT_CHECK(send(fds[i], &i, sizeof(i), 0) == sizeof(i));
	}
	fu_helper_cont(helper);
	end = it_now_ms() + 60000;
	while (fu_echo_count(e) == 0) {
		IT_CHECKF(it_now_ms() < end, "no held datagram reached the "
			  "echo server");
		it_sleep_ms(10);
	}
	for (unsigned i = 0; i < n; i++) {
		fu_udp_roundtrips(fds[i], 3, 1000);
		close(fds[i]);
	}
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	fu_echo_stop(e);
	vde_delstack(s);
	free(fds);
}

/* highest_fd - Return: the highest open descriptor below the soft
 * RLIMIT_NOFILE (valgrind keeps its own above it). */
static int highest_fd(void)
{
	struct rlimit rl;
	struct dirent *e;
	DIR *d;
	int max = -1;

	IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	d = opendir("/proc/self/fd");
	IT_CHECK(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(d) &&
		    (rlim_t)fd < rl.rlim_cur && fd > max)
			max = fd;
	}
	closedir(d);
	return max;
}

/* test_fwd_listener_out_of_descriptors_serves_once_they_are_back - a
 * client connects while the process has no descriptor left (the soft
 * RLIMIT_NOFILE at the highest one, every one below it taken): the
 * forward cannot accept it then, rests, and once descriptors are back
 * the same connection goes through, every byte checked.  Nothing goes
 * through the forward before, so that no descriptor of the library
 * closes (leaving a hole below the limit) while they are short. */
static void test_fwd_listener_out_of_descriptors_serves_once_they_are_back(void)
{
	enum { MAX_FILLERS = 256 };
	struct vdestack *s;
	struct fu_server *srv;
	struct rlimit rl, low;
	int lfd, fd, fillers[MAX_FILLERS], nfill = 0;
	uint16_t hport;
	char spec[200];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	lfd = fu_bound(s, SOCK_STREAM, "127.0.0.1", 7);
	srv = fu_server_start(lfd, 1u << 20, 61);
	hport = tcp_forward(s, spec, sizeof(spec));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);

	IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	low = (struct rlimit){ .rlim_cur = (rlim_t)highest_fd() + 1,
			       .rlim_max = rl.rlim_max };
	IT_CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (nfill < MAX_FILLERS &&
	       (fillers[nfill] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		nfill++;
	IT_CHECKF(nfill < MAX_FILLERS && errno == EMFILE, "descriptors left "
		  "after %d fillers", nfill);
	IT_CHECK(it_tcp_connect(fd, "127.0.0.1", hport, 10000) == 0);
	it_sleep_ms(STARVE_MS);
	IT_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while (nfill > 0)
		close(fillers[--nfill]);

	fu_client_exchange(fd, 1u << 20, 61);
	fu_server_join(srv);
	close(lfd);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	vde_delstack(s);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(fwd_tcp_reaches_a_server_in_a_stack_without_network),
	T(fwd_tcp_over_ipv6_and_across_families),
	T(fwd_udp_reaches_an_echo_server_in_a_stack),
	T(fwd_removed_forward_frees_its_port),
	T(fwd_refuses_a_port_in_use_and_bad_specs),
	T(fwd_delstack_removes_the_stacks_forwards),
	T(fwd_half_close_reaches_both_ends),
	T(fwd_to_a_closed_port_closes_the_client),
	T(fwd_many_concurrent_connections_keep_their_data),
	T(fwd_serves_a_mem_stack_across_its_segment),
	T(fwd_burst_waits_for_the_helper_while_other_stacks_flow),
	T(fwd_unfwd_closes_connections_waiting_for_the_helper),
	T(fwd_delstack_closes_connections_waiting_for_the_helper),
	T(fwd_forked_child_closes_its_copies_of_connections_in_flight),
	T(fwd_udp_clients_in_a_burst_are_all_answered),
	T(fwd_listener_out_of_descriptors_serves_once_they_are_back),
#undef T
};

/* main - run the test named by argv[1], or all.  Return: it_main's. */
int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
