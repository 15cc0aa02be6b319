/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_fwd_util.c - helpers of the slirp:// and port forwarding integration
 * tests (public API only). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
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
	/* per thread: concurrent clients (one thread each) would overwrite
	 * each other's datagram before comparing its echo */
	static __thread unsigned char out[65536], in[65536];
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

/* fu_scaled - see test_fwd_util.h.  Return: n scaled, at least 1. */
unsigned fu_scaled(unsigned n)
{
	return (unsigned)it_scaled((long)n);
}

/* fu_fd_room - see test_fwd_util.h. */
void fu_fd_room(unsigned n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)it_count_fds() + n;

	IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_cur >= want)
		return;
	IT_CHECKF(rl.rlim_max >= want, "RLIMIT_NOFILE: %lu descriptors "
		  "needed, the hard limit is %lu", (unsigned long)want,
		  (unsigned long)rl.rlim_max);
	rl.rlim_cur = want;
	IT_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

/* One connection of fu_tcp_echo: what it read and has not sent back. */
struct echo_conn {
	int fd;
	size_t len, off;
	unsigned char buf[16384];
};

struct fu_tcp_echo {
	pthread_t thread;
	int lfd;
	unsigned n, accepted, ended;
	struct echo_conn *c;
	int err;
	const char *step;
};

/* echo_accept - accept what is pending on the listener (up to e->n).
 * Return: 0 or -errno. */
static int echo_accept(struct fu_tcp_echo *e)
{
	while (e->accepted < e->n) {
		int fd = accept4(e->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		e->c[e->accepted++] = (struct echo_conn){ .fd = fd };
	}
	return 0;
}

/* echo_serve - one step of connection c: send back what it holds, or
 * read more; at its end close it.  Return: 0 or -errno. */
static int echo_serve(struct fu_tcp_echo *e, struct echo_conn *c)
{
	ssize_t r;

	if (c->off < c->len) {
		r = send(c->fd, c->buf + c->off, c->len - c->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		c->off += (size_t)r;
		return 0;
	}
	r = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (r == 0) {
		close(c->fd);
		c->fd = -1;
		e->ended++;
		return 0;
	}
	c->len = (size_t)r;
	c->off = 0;
	return 0;
}

/* tcp_echo_thread - fu_tcp_echo's body: one poll over the listener and
 * every connection.  Return: NULL (the outcome in e->err). */
static void *tcp_echo_thread(void *arg)
{
	struct fu_tcp_echo *e = arg;
	struct pollfd *p = calloc(e->n + 1, sizeof(*p));
	unsigned *idx = calloc(e->n + 1, sizeof(*idx));

	e->step = "poll";
	while (e->err == 0 && e->ended < e->n && p && idx) {
		unsigned k = 0;
		int r;

		if (e->accepted < e->n)
			p[k++] = (struct pollfd){ .fd = e->lfd, .events = POLLIN };
		for (unsigned i = 0; i < e->accepted; i++) {
			struct echo_conn *c = &e->c[i];

			if (c->fd < 0)
				continue;
			idx[k] = i;
			p[k++] = (struct pollfd){ .fd = c->fd,
				.events = c->off < c->len ? POLLOUT : POLLIN };
		}
		r = poll(p, k, FU_WAIT_MS);
		if (r <= 0) {
			e->err = r == 0 ? -ETIMEDOUT : -errno;
			break;
		}
		for (unsigned j = 0; j < k && e->err == 0; j++) {
			if (!p[j].revents)
				continue;
			if (p[j].fd == e->lfd) {
				e->step = "accept";
				e->err = echo_accept(e);
			} else {
				e->step = "echo";
				e->err = echo_serve(e, &e->c[idx[j]]);
			}
		}
	}
	if (!p || !idx)
		e->err = -ENOMEM;
	free(p);
	free(idx);
	return NULL;
}

/* fu_tcp_echo_start - Return: a running echo on lfd for n connections. */
struct fu_tcp_echo *fu_tcp_echo_start(int lfd, unsigned n)
{
	struct fu_tcp_echo *e = calloc(1, sizeof(*e));

	IT_CHECK(e);
	/* accept what is there, never wait for more than poll said */
	IT_CHECK(fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) == 0);
	*e = (struct fu_tcp_echo){ .lfd = lfd, .n = n,
				   .c = calloc(n, sizeof(struct echo_conn)) };
	IT_CHECK(e->c);
	IT_CHECK(pthread_create(&e->thread, NULL, tcp_echo_thread, e) == 0);
	return e;
}

/* fu_tcp_echo_join - wait for the echo; fail on its error. */
void fu_tcp_echo_join(struct fu_tcp_echo *e)
{
	pthread_join(e->thread, NULL);
	for (unsigned i = 0; i < e->accepted; i++)
		if (e->c[i].fd >= 0)
			close(e->c[i].fd);
	IT_CHECKF(e->err == 0, "echo server: %s: %s (%u of %u connections "
		  "accepted, %u ended)", e->step, strerror(-e->err),
		  e->accepted, e->n, e->ended);
	free(e->c);
	free(e);
}

/* fu_burst_open - see test_fwd_util.h. */
void fu_burst_open(const char *ip, uint16_t port, unsigned n, int *fds)
{
	struct sockaddr_storage ss;
	socklen_t len = fu_addr(ip, port, &ss);
	unsigned up = 0;

	for (unsigned i = 0; i < n; i++) {
		fds[i] = socket(fu_family(ip),
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		IT_CHECK(fds[i] >= 0);
		IT_CHECKF(connect(fds[i], (struct sockaddr *)&ss, len) == 0 ||
			  errno == EINPROGRESS, "connect %u of %u", i, n);
	}
	for (unsigned i = 0; i < n; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLOUT };
		socklen_t elen = sizeof(int);
		int err = 0;

		IT_CHECKF(poll(&p, 1, FU_WAIT_MS) == 1, "connection %u of %u "
			  "never established (%u were)", i, n, up);
		IT_CHECK(getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err,
				    &elen) == 0);
		IT_CHECKF(err == 0, "connection %u of %u: %s", i, n,
			  strerror(err));
		up++;
	}
}

/* One connection of fu_burst_echo. */
struct burst_conn {
	struct it_gen out, in;
	size_t made, got;        /* bytes generated to send, checked back */
	size_t olen, ooff;
	bool shut, done;
	unsigned char obuf[16384];
};

/* burst_send - send more of connection b on fd; half-close after the
 * last byte.  Return: 0 or -errno. */
static int burst_send(struct burst_conn *b, int fd, size_t bytes)
{
	ssize_t w;

	if (b->ooff == b->olen && b->made < bytes) {
		b->olen = bytes - b->made < sizeof(b->obuf) ?
			  bytes - b->made : sizeof(b->obuf);
		b->ooff = 0;
		it_gen_fill(&b->out, b->obuf, b->olen);
		b->made += b->olen;
	}
	if (b->ooff < b->olen) {
		w = send(fd, b->obuf + b->ooff, b->olen - b->ooff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		b->ooff += (size_t)w;
	}
	if (b->made == bytes && b->ooff == b->olen && !b->shut) {
		b->shut = true;
		return shutdown(fd, SHUT_WR) == 0 ? 0 : -errno;
	}
	return 0;
}

/* burst_recv - read what came back on connection b and check it against
 * what it sent.  Return: 0, -EBADMSG on a difference, -ENODATA on an
 * early end, -E2BIG for bytes beyond, or -errno. */
static int burst_recv(struct burst_conn *b, int fd, size_t bytes)
{
	unsigned char buf[16384], want[16384];
	ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (r == 0) {
		b->done = true;
		return b->got == bytes ? 0 : -ENODATA;
	}
	if (b->got + (size_t)r > bytes)
		return -E2BIG;
	it_gen_fill(&b->in, want, (size_t)r);
	if (memcmp(buf, want, (size_t)r))
		return -EBADMSG;
	b->got += (size_t)r;
	return 0;
}

/* fu_burst_echo - see test_fwd_util.h. */
void fu_burst_echo(int *fds, unsigned n, size_t bytes, uint64_t seed)
{
	struct burst_conn *b = calloc(n, sizeof(*b));
	struct pollfd *p = calloc(n, sizeof(*p));
	unsigned left = n;

	IT_CHECK(b && p);
	for (unsigned i = 0; i < n; i++) {
		it_gen_init(&b[i].out, seed + i);
		it_gen_init(&b[i].in, seed + i);
	}
	while (left) {
		for (unsigned i = 0; i < n; i++) {
			bool more = !b[i].shut || b[i].ooff < b[i].olen;

			p[i] = (struct pollfd){ .fd = b[i].done ? -1 : fds[i],
				.events = POLLIN | (more ? POLLOUT : 0) };
		}
		IT_CHECKF(poll(p, n, FU_WAIT_MS) > 0, "burst: nothing moved "
			  "for %d ms, %u of %u connections not done",
			  FU_WAIT_MS, left, n);
		for (unsigned i = 0; i < n; i++) {
			int err = 0;

			if (p[i].revents & POLLOUT)
				err = burst_send(&b[i], fds[i], bytes);
			if (err == 0 && (p[i].revents & (POLLIN | POLLHUP |
							 POLLERR)))
				err = burst_recv(&b[i], fds[i], bytes);
			IT_CHECKF(err == 0, "burst: connection %u of %u: %s "
				  "(%zu of %zu bytes back)", i, n,
				  strerror(-err), b[i].got, bytes);
			if (b[i].done && p[i].fd >= 0) {
				close(fds[i]);
				left--;
			}
		}
	}
	free(b);
	free(p);
}

/* fu_burst_wait_closed - see test_fwd_util.h. */
void fu_burst_wait_closed(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		char c;
		ssize_t r;

		IT_CHECKF(poll(&p, 1, FU_WAIT_MS) == 1, "connection %u of %u "
			  "still open", i, n);
		r = recv(fds[i], &c, 1, MSG_DONTWAIT);
		IT_CHECKF(r == 0 || (r < 0 && errno == ECONNRESET),
			  "connection %u of %u: recv %zd (%s)", i, n, r,
			  r < 0 ? strerror(errno) : "data");
		close(fds[i]);
	}
}

/* fu_stream_pair - see test_fwd_util.h. */
void fu_stream_pair(struct vdestack *srv, struct vdestack *cli,
		    const char *srv_ip, uint16_t port, int *ret_srv,
		    int *ret_cli)
{
	int lfd = fu_bound(srv, SOCK_STREAM, srv_ip, port);
	int fd = fu_connect(cli, SOCK_STREAM, srv_ip, port, FU_WAIT_MS);
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	IT_CHECKF(fd >= 0, "connect to %s:%u: %s", srv_ip, port,
		  strerror(-fd));
	IT_CHECK(poll(&p, 1, FU_WAIT_MS) == 1);
	*ret_srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(*ret_srv >= 0);
	close(lfd);
	*ret_cli = fd;
	it_set_timeouts(*ret_srv, FU_WAIT_MS);
	it_set_timeouts(*ret_cli, FU_WAIT_MS);
}

/* What the sending thread of fu_stream_check sends. */
struct stream_send {
	int fd;
	size_t bytes;
	uint64_t seed;
	int err;
};

/* stream_send_thread - the sending side of fu_stream_check.
 * Return: NULL (the outcome in err). */
static void *stream_send_thread(void *arg)
{
	struct stream_send *a = arg;

	a->err = it_send_stream(a->fd, a->bytes, a->seed);
	return NULL;
}

/* fu_stream_check - see test_fwd_util.h. */
void fu_stream_check(int srv, int cli, size_t bytes, uint64_t seed)
{
	struct stream_send a = { .fd = cli, .bytes = bytes, .seed = seed };
	pthread_t th;
	size_t off = 0;
	int err;

	IT_CHECK(pthread_create(&th, NULL, stream_send_thread, &a) == 0);
	err = it_recv_stream(srv, bytes, seed, false, &off);
	pthread_join(th, NULL);
	IT_CHECKF(err == 0, "stream between stacks: %s at byte %zu of %zu",
		  strerror(-err), off, bytes);
	IT_CHECKF(a.err == 0, "stream between stacks: send: %s",
		  strerror(-a.err));
}

/* proc_state - Return: the state letter of process pid (/proc), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* fu_helper_stop - see test_fwd_util.h.  Return: the helper's pid. */
pid_t fu_helper_stop(void)
{
	pid_t helper = it_helper_pid(0);
	int64_t end = it_now_ms() + FU_WAIT_MS;

	IT_CHECK(helper > 0);
	IT_CHECK(kill(helper, SIGSTOP) == 0);
	while (proc_state(helper) != 'T') {
		IT_CHECKF(it_now_ms() < end, "the helper %d never stopped",
			  (int)helper);
		it_sleep_ms(5);
	}
	return helper;
}

/* fu_helper_cont - see test_fwd_util.h. */
void fu_helper_cont(pid_t helper)
{
	IT_CHECK(kill(helper, SIGCONT) == 0);
}

struct fu_cont {
	pthread_t thread;
	pid_t helper;
	int ms;
};

/* cont_thread - fu_helper_cont_later's body.  Return: NULL. */
static void *cont_thread(void *arg)
{
	struct fu_cont *c = arg;

	it_sleep_ms(c->ms);
	kill(c->helper, SIGCONT);
	return NULL;
}

/* fu_helper_cont_later - Return: the thread that will send SIGCONT. */
struct fu_cont *fu_helper_cont_later(pid_t helper, int ms)
{
	struct fu_cont *c = calloc(1, sizeof(*c));

	IT_CHECK(c);
	*c = (struct fu_cont){ .helper = helper, .ms = ms };
	IT_CHECK(pthread_create(&c->thread, NULL, cont_thread, c) == 0);
	return c;
}

/* fu_helper_cont_join - wait for it (it has sent SIGCONT), free it. */
void fu_helper_cont_join(struct fu_cont *c)
{
	pthread_join(c->thread, NULL);
	free(c);
}

/* fu_accept_queue - see test_fwd_util.h.  Return: the queue or -1. */
int fu_accept_queue(uint16_t port)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/net/tcp", "re");
	int queue = -1;

	IT_CHECK(f);
	/* local address 127.0.0.1 as the kernel prints it, then st 0A */
	snprintf(want, sizeof(want), "0100007F:%04X", port);
	while (queue < 0 && fgets(line, sizeof(line), f)) {
		char local[64], remote[64], st[8];
		unsigned tx, rx;

		if (sscanf(line, " %*s %63s %63s %7s %x:%x", local, remote, st,
			   &tx, &rx) == 5 &&
		    !strcmp(local, want) && !strcmp(st, "0A"))
			queue = (int)rx;
	}
	fclose(f);
	return queue;
}

/* fu_wait_accepted - see test_fwd_util.h. */
void fu_wait_accepted(uint16_t port, int n)
{
	int64_t end = it_now_ms() + FU_WAIT_MS;
	int q;

	while ((q = fu_accept_queue(port)) >= n || q < 0) {
		IT_CHECKF(it_now_ms() < end, "127.0.0.1:%u: %d connections "
			  "still in the accept queue", port, q);
		it_sleep_ms(5);
	}
}
