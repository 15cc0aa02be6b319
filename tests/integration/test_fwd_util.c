/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_fwd_util.c - helpers of the slirp:// and port forwarding integration
 * tests (public API only). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "test_fwd_util.h"

#define FU_WAIT_MS 60000 /* a bound only reached when something hangs */

/* fu_family - Return: AF_INET6 when ip has a ':', AF_INET otherwise. */
int fu_family(const char *ip)
{
	return strchr(ip, ':') ? AF_INET6 : AF_INET;
}

/* fu_addr - ss = ip:port.  Return: the length of the address. */
socklen_t fu_addr(const char *ip, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (fu_family(ip) == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		IT_CHECKF(inet_pton(AF_INET6, ip, &a->sin6_addr) == 1, "%s", ip);
		return sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		IT_CHECKF(inet_pton(AF_INET, ip, &a->sin_addr) == 1, "%s", ip);
		return sizeof(*a);
	}
}

/* new_socket - a socket of type for family in s (NULL: host).
 * Return: its descriptor or -1. */
static int new_socket(struct vdestack *s, int family, int type)
{
	return s ? vde_msocket(s, family, type | SOCK_CLOEXEC, 0)
		 : socket(family, type | SOCK_CLOEXEC, 0);
}

/* fu_bound - a bound (and listening) socket.  Return: it. */
int fu_bound(struct vdestack *s, int type, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fu_addr(ip, port, &ss);
	int one = 1, fd = new_socket(s, fu_family(ip), type);

	IT_CHECK(fd >= 0);
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fu_family(ip) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	IT_CHECKF(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s:%u %s",
		  ip, port, s ? "in the stack" : "on the host");
	if (type == SOCK_STREAM)
		IT_CHECK(listen(fd, 64) == 0);
	return fd;
}

/* fu_bound_any - a host socket on ip, port chosen by the kernel.
 * Return: it, *ret_port set. */
int fu_bound_any(int type, const char *ip, uint16_t *ret_port)
{
	int fd = fu_bound(NULL, type, ip, 0);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	IT_CHECK(getsockname(fd, (struct sockaddr *)&ss, &len) == 0);
	*ret_port = ntohs(ss.ss_family == AF_INET6 ?
			  ((struct sockaddr_in6 *)&ss)->sin6_port :
			  ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* fu_port_is_free - Return: true when ip:port binds on the host. */
bool fu_port_is_free(int type, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fu_addr(ip, port, &ss);
	int one = 1, fd = socket(fu_family(ip), type | SOCK_CLOEXEC, 0);
	bool ok;

	IT_CHECK(fd >= 0);
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fu_family(ip) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&ss, len) == 0 &&
	     (type != SOCK_STREAM || listen(fd, 1) == 0);
	close(fd);
	return ok;
}

/* fu_free_port - a port bind(2) finds free on ip now.  Return: it. */
uint16_t fu_free_port(int type, const char *ip)
{
	struct sockaddr_storage ss;
	socklen_t len = fu_addr(ip, 0, &ss);
	int fd = socket(fu_family(ip), type | SOCK_CLOEXEC, 0);
	uint16_t port;

	IT_CHECK(fd >= 0);
	IT_CHECK(bind(fd, (struct sockaddr *)&ss, len) == 0);
	IT_CHECK(getsockname(fd, (struct sockaddr *)&ss, &len) == 0);
	port = ntohs(ss.ss_family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&ss)->sin6_port :
		     ((struct sockaddr_in *)&ss)->sin_port);
	close(fd);
	return port;
}

/* fu_connect - connect with retries.  Return: the fd or -errno. */
int fu_connect(struct vdestack *s, int type, const char *ip, uint16_t port,
	       int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len = fu_addr(ip, port, &ss);
	int64_t end = it_now_ms() + timeout_ms;
	int err = ETIMEDOUT;

	for (;;) {
		int fd = new_socket(s, fu_family(ip), type), fl;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		socklen_t elen = sizeof(err);
		int left = (int)(end - it_now_ms());

		IT_CHECK(fd >= 0);
		fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
			err = 0;
		} else {
			err = errno;
			if (err == EINPROGRESS) {
				if (poll(&p, 1, left > 0 ? left : 0) <= 0)
					err = ETIMEDOUT;
				else
					getsockopt(fd, SOL_SOCKET, SO_ERROR,
						   &err, &elen);
			}
		}
		if (err == 0) {
			fcntl(fd, F_SETFL, fl);
			return fd;
		}
		close(fd);
		if (it_now_ms() >= end ||
		    (err != ECONNREFUSED && err != EHOSTUNREACH &&
		     err != ENETUNREACH && err != ECONNRESET &&
		     err != EADDRNOTAVAIL))
			return -err;
		it_sleep_ms(50);
	}
}

struct fu_server {
	pthread_t thread;
	int lfd;
	size_t bytes;
	uint64_t seed;
	int err;
	size_t off;
	const char *step;
};

/* server_thread - fu_server's body. */
static void *server_thread(void *arg)
{
	struct fu_server *srv = arg;
	struct pollfd p = { .fd = srv->lfd, .events = POLLIN };
	int c;

	srv->step = "accept";
	if (poll(&p, 1, FU_WAIT_MS) <= 0) {
		srv->err = -ETIMEDOUT;
		return NULL;
	}
	c = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		srv->err = -errno;
		return NULL;
	}
	it_set_timeouts(c, FU_WAIT_MS);
	srv->step = "receive and compare";
	srv->err = it_recv_stream(c, srv->bytes, srv->seed, true, &srv->off);
	if (srv->err == 0) {
		srv->step = "send back";
		srv->err = it_send_stream(c, srv->bytes / 4, srv->seed + 1);
	}
	close(c);
	return NULL;
}

/* fu_server_start - Return: a running server on lfd. */
struct fu_server *fu_server_start(int lfd, size_t bytes, uint64_t seed)
{
	struct fu_server *srv = calloc(1, sizeof(*srv));

	IT_CHECK(srv);
	*srv = (struct fu_server){ .lfd = lfd, .bytes = bytes, .seed = seed };
	IT_CHECK(pthread_create(&srv->thread, NULL, server_thread, srv) == 0);
	return srv;
}

/* fu_server_join - wait for the server; fail on its error. */
void fu_server_join(struct fu_server *srv)
{
	pthread_join(srv->thread, NULL);
	IT_CHECKF(srv->err == 0, "server: %s: error %d (%s) at byte %zu",
		  srv->step, srv->err, strerror(-srv->err), srv->off);
	free(srv);
}

/* fu_client_exchange - the client's side of an fu_server exchange. */
void fu_client_exchange(int fd, size_t bytes, uint64_t seed)
{
	size_t off = 0;
	int err;

	it_set_timeouts(fd, FU_WAIT_MS);
	err = it_send_stream(fd, bytes, seed);
	IT_CHECKF(err == 0, "client: send: %s", strerror(-err));
	IT_CHECK(shutdown(fd, SHUT_WR) == 0);
	err = it_recv_stream(fd, bytes / 4, seed + 1, true, &off);
	IT_CHECKF(err == 0, "client: receive: error %d (%s) at byte %zu", err,
		  strerror(-err), off);
	close(fd);
}

struct fu_echo {
	pthread_t thread;
	int fd;
	atomic_bool stop;
	atomic_uint count;
};

/* echo_thread - fu_echo's body: every datagram back to its sender. */
static void *echo_thread(void *arg)
{
	struct fu_echo *e = arg;
	unsigned char buf[65536];

	while (!atomic_load(&e->stop)) {
		struct pollfd p = { .fd = e->fd, .events = POLLIN };
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(e->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			continue;
		atomic_fetch_add(&e->count, 1);
		sendto(e->fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
	}
	return NULL;
}

/* fu_echo_start - Return: a UDP echo thread on fd. */
struct fu_echo *fu_echo_start(int fd)
{
	struct fu_echo *e = calloc(1, sizeof(*e));

	IT_CHECK(e);
	e->fd = fd;
	IT_CHECK(pthread_create(&e->thread, NULL, echo_thread, e) == 0);
	return e;
}

/* fu_echo_count - Return: datagrams received so far. */
unsigned fu_echo_count(struct fu_echo *e)
{
	return atomic_load(&e->count);
}

/* fu_echo_stop - stop the thread, close its socket, free. */
void fu_echo_stop(struct fu_echo *e)
{
	atomic_store(&e->stop, true);
	pthread_join(e->thread, NULL);
	close(e->fd);
	free(e);
}

/* fu_udp_roundtrips - n checked datagram echoes on fd. */
void fu_udp_roundtrips(int fd, unsigned n, size_t max)
{
	static unsigned char out[65536], in[65536];
	struct it_gen g;

	IT_CHECK(max <= sizeof(out) && max >= 8);
	for (unsigned i = 0; i < n; i++) {
		size_t len = 8 + (size_t)i * 7919 % (max - 7);
		bool ok = false;

		it_gen_init(&g, 1000 + i);
		it_gen_fill(&g, out, len);
		memcpy(out, &i, sizeof(i));
		for (int tries = 0; tries < 50 && !ok; tries++) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int64_t end = it_now_ms() + 1000;

			IT_CHECKF(send(fd, out, len, 0) == (ssize_t)len,
				  "send datagram %u (%zu bytes)", i, len);
			while (!ok && it_now_ms() < end &&
			       poll(&p, 1, (int)(end - it_now_ms())) > 0) {
				ssize_t r = recv(fd, in, sizeof(in),
						 MSG_DONTWAIT);

				if (r == (ssize_t)len && !memcmp(in, out, len))
					ok = true;
				/* else: an older echo, or a refusal */
			}
		}
		IT_CHECKF(ok, "datagram %u (%zu bytes) never came back", i,
			  len);
	}
}

/* fu_udp_any_reply - Return: true when fd gets a datagram within ms. */
bool fu_udp_any_reply(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char b[16];

	if (poll(&p, 1, ms) <= 0)
		return false;
	return recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0;
}

/* fu_slirp_config - the static configuration of a slirp stack. */
void fu_slirp_config(struct vdestack *s)
{
	it_stackcmd_ok(s, "/bin/ip link set vde0 up; "
			  "/bin/ip addr add 10.0.2.15/24 dev vde0; "
			  "/bin/ip route add default via 10.0.2.2; "
			  "/bin/ip -6 addr add fd00::15/64 dev vde0 nodad; "
			  "/bin/ip -6 route add default via fd00::2");
}
