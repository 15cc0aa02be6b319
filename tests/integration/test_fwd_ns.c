/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_fwd_ns.c - stack -> host port forwarding (vde_stackfwd(3)'s
 * tcp-ns: and udp-ns:): a listener inside the stack whose clients reach a
 * server of the host, on stacks without a network, on mem:// and on
 * slirp://, IPv4 and IPv6, TCP and UDP.  Host sockets only on 127.0.0.1
 * and ::1. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_fwd_util.h"

#define BYTES (16u << 20)
/* Clients at once through one forward. */
#define CLIENTS 16
/* How long a client waits for what must come (not a bound on speed). */
#define WAIT_MS 30000

/* ns_spec - "proto:GUEST:GPORT:HOST:HPORT" (guest NULL: left out, the
 * default), brackets for IPv6.  Return: buf. */
static const char *ns_spec(char *buf, size_t n, const char *proto,
			   const char *guest, uint16_t gport,
			   const char *host, uint16_t hport)
{
	bool g6 = guest && fu_family(guest) == AF_INET6;
	bool h6 = fu_family(host) == AF_INET6;
	char g[100] = "";

	if (guest)
		snprintf(g, sizeof(g), "%s%s%s:", g6 ? "[" : "", guest,
			 g6 ? "]" : "");
	snprintf(buf, n, "%s:%s%u:%s%s%s:%u", proto, g, gport, h6 ? "[" : "",
		 host, h6 ? "]" : "", hport);
	return buf;
}

/* tcp_to_host - a server on the host on host:*, a tcp-ns forward from
 * guest:gport in s (guest NULL: the default address, reached on dial),
 * a checked exchange from a client in client (s itself, or another stack
 * on its network) through it, and the forward removed. */
static void tcp_to_host(struct vdestack *s, struct vdestack *client,
			const char *guest, const char *dial, uint16_t gport,
			const char *host, size_t bytes, uint64_t seed)
{
	uint16_t hport;
	int lfd = fu_bound_any(SOCK_STREAM, host, &hport), fd;
	struct fu_server *srv = fu_server_start(lfd, bytes, seed);
	char spec[200];

	ns_spec(spec, sizeof(spec), "tcp-ns", guest, gport, host, hport);
	IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s): %s", spec,
		  strerror(errno));
	fd = fu_connect(client, SOCK_STREAM, dial, gport, 10000);
	IT_CHECKF(fd >= 0, "connect to %s:%u in the stack (%s): %s", dial,
		  gport, spec, strerror(-fd));
	fu_client_exchange(fd, bytes, seed);
	fu_server_join(srv);
	close(lfd);
	IT_CHECKF(vde_stackunfwd(s, spec) == 0, "vde_stackunfwd(%s)", spec);
}

/* udp_to_host - an echo server on the host on host:*, a udp-ns forward
 * from guest:gport in s, two clients in s (two flows) whose datagrams
 * are echoed and checked, and the forward removed. */
static void udp_to_host(struct vdestack *s, const char *guest,
			const char *dial, uint16_t gport, const char *host)
{
	uint16_t hport;
	struct fu_echo *e = fu_echo_start(fu_bound_any(SOCK_DGRAM, host,
						       &hport));
	char spec[200];
	int fd;

	ns_spec(spec, sizeof(spec), "udp-ns", guest, gport, host, hport);
	IT_CHECKF(vde_stackfwd(s, spec) == 0, "vde_stackfwd(%s): %s", spec,
		  strerror(errno));
	fd = fu_connect(s, SOCK_DGRAM, dial, gport, 1000);
	IT_CHECK(fd >= 0);
	fu_udp_roundtrips(fd, 200, 8000);
	close(fd);
	fd = fu_connect(s, SOCK_DGRAM, dial, gport, 1000);
	IT_CHECK(fd >= 0);
	fu_udp_roundtrips(fd, 20, 60000);
	close(fd);
	IT_CHECKF(vde_stackunfwd(s, spec) == 0, "vde_stackunfwd(%s)", spec);
	fu_echo_stop(e);
}

/* port_free_in - Return: whether ip:port of type can be bound in s. */
static bool port_free_in(struct vdestack *s, int type, const char *ip,
			 uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fu_addr(ip, port, &ss);
	int fd = vde_msocket(s, fu_family(ip), type, 0);
	bool ok;

	IT_CHECK(fd >= 0);
	ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

/* test_fwd_ns_tcp_reaches_a_host_server_from_a_stack_without_network -
 * the stack has only lo: its 127.0.0.1:5432 is the host's server. */
static void test_fwd_ns_tcp_reaches_a_host_server_from_a_stack_without_network(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	tcp_to_host(s, s, NULL, "127.0.0.1", 5432, "127.0.0.1", BYTES, 1);
	tcp_to_host(s, s, "127.0.0.1", "127.0.0.1", 5432, "127.0.0.1",
		    BYTES / 4, 2);
	vde_delstack(s);
}

/* test_fwd_ns_tcp_over_ipv6_and_across_families - [::1] -> [::1] (the
 * default guest address of an IPv6 host is ::1), 127.0.0.1 -> [::1],
 * [::1] -> 127.0.0.1. */
static void test_fwd_ns_tcp_over_ipv6_and_across_families(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	tcp_to_host(s, s, NULL, "::1", 8080, "::1", BYTES / 4, 3);
	tcp_to_host(s, s, "127.0.0.1", "127.0.0.1", 8081, "::1", BYTES / 4, 4);
	tcp_to_host(s, s, "::1", "::1", 8082, "127.0.0.1", BYTES / 4, 5);
	vde_delstack(s);
}

/* test_fwd_ns_udp_reaches_a_host_echo_server - datagrams both ways
 * through a udp-ns forward, IPv4 and IPv6, default guest address too. */
static void test_fwd_ns_udp_reaches_a_host_echo_server(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	udp_to_host(s, NULL, "127.0.0.1", 53, "127.0.0.1");
	udp_to_host(s, "::1", "::1", 53, "::1");
	udp_to_host(s, "127.0.0.1", "127.0.0.1", 5353, "::1");
	vde_delstack(s);
}

/* test_fwd_ns_removed_forward_refuses_connections - after
 * vde_stackunfwd, connections to the port in the stack are refused and
 * the port can be bound there again; removing it again is ENOENT; the
 * short form "tcp-ns:PORT" names the forward from the stack's loopback,
 * "tcp-ns:ADDR:PORT" the one from ADDR; UDP the same way. */
static void test_fwd_ns_removed_forward_refuses_connections(void)
{
	struct vdestack *s;
	uint16_t hport;
	char spec[200];
	int lfd, fd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	lfd = fu_bound_any(SOCK_STREAM, "127.0.0.1", &hport);
	ns_spec(spec, sizeof(spec), "tcp-ns", NULL, 7000, "127.0.0.1", hport);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK(!port_free_in(s, SOCK_STREAM, "127.0.0.1", 7000));
	IT_CHECK(vde_stackunfwd(s, "tcp-ns:7000") == 0);
	IT_CHECK(port_free_in(s, SOCK_STREAM, "127.0.0.1", 7000));
	fd = fu_connect(s, SOCK_STREAM, "127.0.0.1", 7000, 0);
	IT_CHECKF(fd == -ECONNREFUSED, "connect after removal: %d", fd);
	IT_CHECK_ERRNO(vde_stackunfwd(s, "tcp-ns:7000") < 0, ENOENT);
	IT_CHECK_ERRNO(vde_stackunfwd(s, spec) < 0, ENOENT);
	/* a host -> stack forward of the same port is another forward */
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK_ERRNO(vde_stackunfwd(s, "tcp:7000") < 0, ENOENT);
	IT_CHECK_ERRNO(vde_stackunfwd(s, "tcp-ns:[::1]:7000") < 0, ENOENT);
	IT_CHECK(vde_stackunfwd(s, "tcp-ns:127.0.0.1:7000") == 0);
	/* with the full spec; on IPv6 */
	ns_spec(spec, sizeof(spec), "tcp-ns", "::1", 7001, "127.0.0.1", hport);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	fd = fu_connect(s, SOCK_STREAM, "::1", 7001, 0);
	IT_CHECKF(fd == -ECONNREFUSED, "connect after removal: %d", fd);
	close(lfd);
	/* udp */
	ns_spec(spec, sizeof(spec), "udp-ns", "::1", 53, "::1", 5353);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK(!port_free_in(s, SOCK_DGRAM, "::1", 53));
	IT_CHECK(vde_stackunfwd(s, "udp-ns:53") == 0);
	IT_CHECK(port_free_in(s, SOCK_DGRAM, "::1", 53));
	IT_CHECK_ERRNO(vde_stackunfwd(s, "udp-ns:53") < 0, ENOENT);
	vde_delstack(s);
}

/* test_fwd_ns_refuses_a_port_in_use_and_bad_specs - EADDRINUSE for a
 * port taken in the stack (by a socket there or another forward), not
 * for the same port in another stack; EINVAL for malformed specs. */
static void test_fwd_ns_refuses_a_port_in_use_and_bad_specs(void)
{
	static const char *const bad[] = {
		"tcp-ns", "tcp-ns:", "tcp-ns:80", "tcp-ns:127.0.0.1:80",
		"tcp-ns:0:127.0.0.1:80", "tcp-ns:80:127.0.0.1:0",
		"tcp-ns:80:localhost:80", "tcp-ns:80:::1:80",
		"tcp-ns:[::1]:80:[::1]", "udp-ns:1:2:3:4", "tcp_ns:80:1.2.3.4:80",
		"tcp-ns:80:127.0.0.1:80:", "TCP-NS:80:127.0.0.1:80",
		"tcp-ns:80-79:127.0.0.1:80", "tcp-ns:80:127.0.0.1:80-81",
	};
	struct vdestack *s, *t;
	char spec[200];
	int busy;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	t = it_addstack(NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		IT_CHECKF(vde_stackfwd(s, bad[i]) < 0 && errno == EINVAL,
			  "vde_stackfwd(%s): %s", bad[i], strerror(errno));
	}
	IT_CHECK_ERRNO(vde_stackunfwd(s, "tcp-ns:") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackunfwd(s, "udp-ns:x") < 0, EINVAL);
	busy = fu_bound(s, SOCK_STREAM, "127.0.0.1", 6000);
	ns_spec(spec, sizeof(spec), "tcp-ns", NULL, 6000, "127.0.0.1", 9);
	IT_CHECK_ERRNO(vde_stackfwd(s, spec) < 0, EADDRINUSE);
	close(busy);
	IT_CHECK(vde_stackfwd(s, spec) == 0);
	IT_CHECK_ERRNO(vde_stackfwd(s, spec) < 0, EADDRINUSE);
	/* another stack has ports of its own */
	IT_CHECK(vde_stackfwd(t, spec) == 0);
	IT_CHECK(vde_stackunfwd(t, spec) == 0);
	IT_CHECK_ERRNO(vde_stackunfwd(t, spec) < 0, ENOENT);
	IT_CHECK(vde_stackunfwd(s, spec) == 0);
	/* an address the stack does not have */
	ns_spec(spec, sizeof(spec), "tcp-ns", "10.9.9.9", 6000, "127.0.0.1", 9);
	IT_CHECK_ERRNO(vde_stackfwd(s, spec) < 0, EADDRNOTAVAIL);
	vde_delstack(t);
	vde_delstack(s);
}

/* test_fwd_ns_half_close_reaches_both_ends - the stack client's
 * shutdown(SHUT_WR) reaches the host server as end-of-file while its
 * reply still flows back, then the server's end reaches the client. */
static void test_fwd_ns_half_close_reaches_both_ends(void)
{
	struct vdestack *s;
	uint16_t hport;
	char spec[200], buf[64];
	int lfd, fd, c;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	lfd = fu_bound_any(SOCK_STREAM, "127.0.0.1", &hport);
	IT_CHECK(vde_stackfwd(s, ns_spec(spec, sizeof(spec), "tcp-ns", NULL, 9,
					 "127.0.0.1", hport)) == 0);
	fd = fu_connect(s, SOCK_STREAM, "127.0.0.1", 9, 10000);
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

/* test_fwd_ns_to_a_closed_host_port_closes_the_client - nothing listens
 * on the host: the stack client's connection ends at once (reset or
 * end-of-file). */
static void test_fwd_ns_to_a_closed_host_port_closes_the_client(void)
{
	struct vdestack *s;
	uint16_t hport = fu_free_port(SOCK_STREAM, "127.0.0.1");
	struct timeval tv = { .tv_sec = 60 };
	char spec[200], c;
	int fd;
	ssize_t n;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(vde_stackfwd(s, ns_spec(spec, sizeof(spec), "tcp-ns", NULL, 1,
					 "127.0.0.1", hport)) == 0);
	fd = fu_connect(s, SOCK_STREAM, "127.0.0.1", 1, 10000);
	IT_CHECK(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, &c, 1, 0);
	IT_CHECKF(n == 0 || (n < 0 && errno == ECONNRESET), "recv: %zd", n);
	close(fd);
	vde_delstack(s);
}

/* udp_client - one UDP client in a stack of a udp-ns forward, on its own
 * socket (its own flow): datagrams of varied sizes, echoed and checked. */
struct udp_client {
	struct vdestack *s;
	uint16_t port;
};

/* udp_client_main - the thread of a udp_client.  Return: NULL. */
static void *udp_client_main(void *arg)
{
	const struct udp_client *u = arg;
	int fd = fu_connect(u->s, SOCK_DGRAM, "127.0.0.1", u->port, WAIT_MS);

	IT_CHECK(fd >= 0);
	fu_udp_roundtrips(fd, 64, 1400);
	close(fd);
	return NULL;
}

/* stack_clients - n TCP connections from s to ip:port, non-blocking, in
 * fds (for fu_burst_echo). */
static void stack_clients(struct vdestack *s, const char *ip, uint16_t port,
			  unsigned n, int *fds)
{
	for (unsigned i = 0; i < n; i++) {
		fds[i] = fu_connect(s, SOCK_STREAM, ip, port, 10000);
		IT_CHECKF(fds[i] >= 0, "client %u: %s", i, strerror(-fds[i]));
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	}
}

/* test_fwd_ns_many_concurrent_clients_keep_their_data - CLIENTS at once
 * in the stack through ONE tcp-ns forward to ONE host server, each
 * connection's 1 MiB echoed back and checked against its own generator;
 * and CLIENTS UDP clients of one udp-ns forward (a flow each) to one
 * host echo server, every datagram checked. */
static void test_fwd_ns_many_concurrent_clients_keep_their_data(void)
{
	struct vdestack *s;
	struct fu_tcp_echo *echo;
	struct fu_echo *uecho;
	struct udp_client u;
	pthread_t th[CLIENTS];
	uint16_t hport;
	char spec[200];
	int fds[CLIENTS];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	echo = fu_tcp_echo_start(fu_bound_any(SOCK_STREAM, "127.0.0.1",
					      &hport), CLIENTS);
	IT_CHECK(vde_stackfwd(s, ns_spec(spec, sizeof(spec), "tcp-ns", NULL,
					 1000, "127.0.0.1", hport)) == 0);
	stack_clients(s, "127.0.0.1", 1000, CLIENTS, fds);
	fu_burst_echo(fds, CLIENTS, 1u << 20, 600);
	fu_tcp_echo_join(echo);

	uecho = fu_echo_start(fu_bound_any(SOCK_DGRAM, "127.0.0.1", &hport));
	IT_CHECK(vde_stackfwd(s, ns_spec(spec, sizeof(spec), "udp-ns", NULL,
					 1001, "127.0.0.1", hport)) == 0);
	u = (struct udp_client){ .s = s, .port = 1001 };
	for (int i = 0; i < CLIENTS; i++)
		IT_CHECK(pthread_create(&th[i], NULL, udp_client_main, &u) == 0);
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	IT_CHECK(fu_echo_count(uecho) >= CLIENTS * 64);
	fu_echo_stop(uecho);
	vde_delstack(s);
}

/* test_fwd_ns_serves_a_mem_stack_and_its_segment - a stack on mem://
 * (10.0.0.1) forwards its loopback and its address on the segment to the
 * host: a client in the stack itself, and one in a second stack of the
 * segment, whose connection crosses the backend, reach the host server. */
static void test_fwd_ns_serves_a_mem_stack_and_its_segment(void)
{
	struct vdestack *a, *b;
	char url[200];

	it_require_network();
	snprintf(url, sizeof(url), "mem://fwdns-%d", (int)getpid());
	a = it_addstack(url, NULL);
	b = it_addstack(url, NULL);
	it_config_addr(a, "vde0", "10.0.0.1/24");
	it_config_addr(b, "vde0", "10.0.0.2/24");
	tcp_to_host(a, a, NULL, "127.0.0.1", 80, "127.0.0.1", BYTES / 4, 7);
	tcp_to_host(a, b, "10.0.0.1", "10.0.0.1", 80, "127.0.0.1", BYTES, 8);
	udp_to_host(a, NULL, "::1", 53, "::1");
	vde_delstack(b);
	vde_delstack(a);
}

/* test_fwd_ns_serves_a_slirp_stack - on slirp:// the forward needs no
 * NAT: the stack's 127.0.0.1:8080 and its 10.0.2.15:8081 are the host's
 * server, TCP and UDP. */
static void test_fwd_ns_serves_a_slirp_stack(void)
{
	struct vdestack *s;

	it_require_network();
	s = vde_addstack("slirp://", NULL);
	if (!s && errno == EPROTONOSUPPORT)
		it_skip("no slirp:// in this build");
	IT_CHECKF(s, "vde_addstack(slirp://): %s", strerror(errno));
	fu_slirp_config(s);
	tcp_to_host(s, s, NULL, "127.0.0.1", 8080, "127.0.0.1", BYTES, 9);
	tcp_to_host(s, s, "10.0.2.15", "10.0.2.15", 8081, "::1", BYTES / 4,
		    10);
	udp_to_host(s, "10.0.2.15", "10.0.2.15", 5353, "127.0.0.1");
	vde_delstack(s);
}

/* test_fwd_ns_delstack_removes_its_forwards - a stack with tcp-ns and
 * udp-ns forwards and a connection open through one is deleted: the host
 * server sees the connection end, and no descriptor is left. */
static void test_fwd_ns_delstack_removes_its_forwards(void)
{
	struct vdestack *s;
	uint16_t hport;
	char spec[200], c;
	int fds0, lfd, cli, srv;

	it_require_stacks();
	s = it_addstack(NULL, NULL); /* warm-up: the helper */
	vde_delstack(s);
	lfd = fu_bound_any(SOCK_STREAM, "127.0.0.1", &hport);
	fds0 = it_count_fds();
	s = it_addstack(NULL, NULL);
	IT_CHECK(vde_stackfwd(s, ns_spec(spec, sizeof(spec), "tcp-ns", NULL, 7,
					 "127.0.0.1", hport)) == 0);
	IT_CHECK(vde_stackfwd(s, ns_spec(spec, sizeof(spec), "udp-ns", "::1", 7,
					 "::1", 7)) == 0);
	cli = fu_connect(s, SOCK_STREAM, "127.0.0.1", 7, 10000);
	IT_CHECK(cli >= 0);
	IT_CHECK(send(cli, "x", 1, 0) == 1);
	srv = accept(lfd, NULL, NULL);
	IT_CHECK(srv >= 0);
	IT_CHECK(recv(srv, &c, 1, MSG_WAITALL) == 1);
	vde_delstack(s);
	{
		/* the library closed its side of the connection, still open
		 * in the stack */
		struct pollfd p = { .fd = srv, .events = POLLIN };

		IT_CHECK(poll(&p, 1, WAIT_MS) == 1);
		IT_CHECK(recv(srv, &c, 1, 0) <= 0);
	}
	close(cli);
	close(srv);
	IT_CHECKF(it_count_fds() == fds0, "fds: %d, before: %d",
		  it_count_fds(), fds0);
	close(lfd);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(fwd_ns_tcp_reaches_a_host_server_from_a_stack_without_network),
	T(fwd_ns_tcp_over_ipv6_and_across_families),
	T(fwd_ns_udp_reaches_a_host_echo_server),
	T(fwd_ns_removed_forward_refuses_connections),
	T(fwd_ns_refuses_a_port_in_use_and_bad_specs),
	T(fwd_ns_half_close_reaches_both_ends),
	T(fwd_ns_to_a_closed_host_port_closes_the_client),
	T(fwd_ns_many_concurrent_clients_keep_their_data),
	T(fwd_ns_serves_a_mem_stack_and_its_segment),
	T(fwd_ns_serves_a_slirp_stack),
	T(fwd_ns_delstack_removes_its_forwards),
#undef T
};

/* main - run the test named by argv[1], or all.  Return: it_main's. */
int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
