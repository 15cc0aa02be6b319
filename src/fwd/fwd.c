/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwd.c - port forwarding from the host into a stack, for every backend:
 * vde_stackfwd(3), vde_stackunfwd(3) and slirp's tcpfwd=/udpfwd=.
 *
 * Theory of operation
 *
 * A forward never crosses the stack's interface.  The library listens on
 * the host (the application's own network stack) and, for each accepted
 * connection, makes the peer socket INSIDE the stack exactly as
 * vde_msocket() does (one request to the namespace helper), connects it to
 * the guest address there, and then moves bytes between the two sockets
 * with splice(2) through a pair of pipes, one per direction: the data stays
 * in the kernel, as with pasta's spliced connections.  A guest address that
 * is local to the stack is therefore reached over the stack's loopback at
 * kernel speed, whatever the backend (mem://, vde://, slirp://...).
 *
 * Each forward runs on one loop of the pool (vds_loop_acquire): its
 * listening socket and the sockets of its connections are watches there,
 * all non-blocking and level-triggered.  A connection is two "halves",
 * half d moving fd[d] -> pipe -> fd[!d]; it reads only while its pipe has
 * room, so the buffering per connection is bounded by the pipe size, and
 * each wake-up moves at most FWD_BUDGET bytes per half so that one busy
 * connection does not starve the loop.  End-of-file on one side becomes
 * shutdown(SHUT_WR) on the other once the pipe is empty (half-close); the
 * connection is closed when both halves are shut, or at once, with a reset
 * (SO_LINGER 0) on the surviving side, on an error.  A socket that needs
 * no event leaves the epoll set's interest list, so a hung-up socket
 * cannot make the loop spin.
 *
 * UDP forwards keep one socket in the stack per client address (a
 * "flow"), connected to the guest address; datagrams go both ways through
 * it, and a flow idle for FWD_UDP_IDLE_MS is closed by a periodic sweep.
 *
 * The forwards are kept here in one list keyed by the stack pointer, so
 * struct vdestack needs no field.  This file adds its stack hooks
 * (vds_stack_hooks_add) when the library is loaded: vde_delstack() calls
 * the gone hook first, which removes the stack's forwards on their loop
 * (vds_loop_call) before the stack's namespace goes away.  Forwards that a
 * backend's URL names reach this file as data (struct vds_backend's
 * fwds): the opened hook binds them once the backend is open and before
 * the namespace exists (so a port in use fails vde_addstack early), and
 * they start serving at the ready hook, once the stack exists.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "fwd.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/fwdspec.h"
#include "base/internal.h"
#include "base/sys.h"
#include "core/loop.h"
#include "core/pump.h"
#include "core/stack.h"

#define FWD_PIPE_SIZE (256 << 10)  /* asked; the kernel may give less */
#define FWD_BUDGET (1 << 20)       /* bytes per half per wake-up */
#define FWD_ACCEPT_BATCH 32
#define FWD_PAUSE_MS 100           /* listener rest when out of fds */
#define FWD_UDP_BATCH 64
#define FWD_UDP_BUF 65536
#define FWD_UDP_IDLE_MS (180 * 1000)
#define FWD_UDP_SWEEP_MS (10 * 1000)
#define FWD_UDP_MAXFLOWS 1024

struct fwd;

/* One direction of a TCP connection: fd[d] -> pipe -> fd[!d]. */
struct half {
	int pipe[2];
	size_t pending;   /* bytes in the pipe */
	bool eof;         /* fd[d] read end-of-file */
	bool full;        /* the last read found the pipe full (or no data) */
	bool shut;        /* shutdown(fd[!d], SHUT_WR) done */
};

/* A forwarded TCP connection. */
struct conn {
	struct fwd *fwd;
	int fd[2];                /* 0: accepted on the host, 1: in the stack */
	struct vds_watch *w[2];
	uint32_t ev[2];           /* events the watches ask for now */
	struct half dir[2];
	size_t cap;               /* pipe capacity */
	bool connecting;
	struct conn *prev, *next;
};

/* A UDP client of a forward. */
struct flow {
	struct fwd *fwd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int fd;                   /* in the stack, connected to the guest */
	struct vds_watch *w;
	int64_t last;             /* ms, last datagram either way */
	struct flow *next;
};

struct fwd {
	struct vds_fwdspec spec;
	struct vdestack *stack;
	pid_t owner;
	int lfd;                  /* listening (tcp) or bound (udp) socket */
	struct vds_loop *loop;
	struct vds_watch *lw;
	struct vds_timer *timer;  /* tcp: listener pause; udp: sweep */
	bool started;
	bool starting;            /* taken by stack_ready to start */
	bool timer_armed;
	struct conn *conns;
	struct flow *flows;
	unsigned nflows;
	unsigned char *buf;       /* udp: one datagram */
	struct fwd *next;
};

static pthread_mutex_t fwd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fwd *fwds;

/* ------------------------------------------------------------------ */
/* Addresses                                                            */
/* ------------------------------------------------------------------ */

/* sa_len - Return: the length of the sockaddr of ss's family. */
static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

/* sa_port - Return: the port of ss, host order. */
static int sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* sa_is_any - Return: whether ss is a wildcard address (either family). */
static bool sa_is_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((const struct sockaddr_in6 *)ss)->sin6_addr);
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return false;
}

/* sa_equal - Return: whether a and b are the same address and port. */
static bool sa_equal(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family || sa_port(a) != sa_port(b))
		return false;
	if (a->ss_family == AF_INET6)
		return IN6_ARE_ADDR_EQUAL(
			&((const struct sockaddr_in6 *)a)->sin6_addr,
			&((const struct sockaddr_in6 *)b)->sin6_addr);
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

/* spec_matches - whether forward f is the one sel names (for removal):
 * same protocol and host port, same host address (a selector without one
 * names the wildcard of either family), and the same guest when given. */
static bool spec_matches(const struct vds_fwdspec *f,
			 const struct vds_fwdspec *sel)
{
	if (f->proto != sel->proto || sa_port(&f->host) != sa_port(&sel->host))
		return false;
	if (sel->host.ss_family == AF_UNSPEC) {
		if (!sa_is_any(&f->host))
			return false;
	} else if (!sa_equal(&f->host, &sel->host)) {
		return false;
	}
	return sel->guest.ss_family == AF_UNSPEC ||
	       sa_equal(&f->guest, &sel->guest);
}

/* close_reset - close a TCP socket with a reset rather than a FIN (the
 * peer sees the failure of the other side). */
static void close_reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* TCP connections (loop thread)                                        */
/* ------------------------------------------------------------------ */

static void conn_event(struct conn *c, int side, uint32_t events);

/* conn_event0 - watch callback of the host side socket. */
static void conn_event0(void *arg, uint32_t events)
{
	conn_event(arg, 0, events);
}

/* conn_event1 - watch callback of the socket in the stack. */
static void conn_event1(void *arg, uint32_t events)
{
	conn_event(arg, 1, events);
}

/* conn_close - end a connection: every descriptor closed, with a reset
 * to both peers when reset is set. */
static void conn_close(struct conn *c, bool reset)
{
	struct fwd *f = c->fwd;

	for (int i = 0; i < 2; i++) {
		vds_loop_watch_del(c->w[i]);
		if (reset)
			close_reset(c->fd[i]);
		else if (c->fd[i] >= 0)
			close(c->fd[i]);
		for (int j = 0; j < 2; j++)
			if (c->dir[i].pipe[j] >= 0)
				close(c->dir[i].pipe[j]);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		f->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	vds_free(c);
}

/* half_move - move what can be moved now through half d: read fd[d]
 * (when readable says it may have data) into the pipe, write the pipe
 * into fd[!d].  A short read or write means that side is done for now
 * (the level-triggered watch says when it is ready again), which saves a
 * system call that would only fail with EAGAIN.
 * Return: 0, or -errno when the connection must end. */
static int half_move(struct conn *c, int d, bool readable)
{
	struct half *h = &c->dir[d];
	int in = c->fd[d], out = c->fd[!d];
	size_t budget = FWD_BUDGET;
	bool can_read = readable, can_write = true;

	while (budget) {
		bool progress = false;
		ssize_t n;

		if (can_read && !h->eof && h->pending < c->cap) {
			size_t want = c->cap - h->pending;

			if (want > budget)
				want = budget;
			n = splice(in, NULL, h->pipe[1], NULL, want,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				h->pending += (size_t)n;
				budget -= (size_t)n;
				h->full = false;
				progress = true;
				can_read = (size_t)n == want;
			} else if (n == 0) {
				h->eof = true;
				can_read = false;
			} else if (errno == EAGAIN) {
				/* no data, or a pipe full before its size */
				h->full = h->pending > 0;
				can_read = false;
			} else if (errno != EINTR) {
				return -errno;
			}
		}
		if (can_write && h->pending) {
			n = splice(h->pipe[0], NULL, out, NULL, h->pending,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				h->pending -= (size_t)n;
				h->full = false;
				progress = true;
				can_write = h->pending == 0;
			} else if (n < 0 && errno == EAGAIN) {
				can_write = false;
			} else if (n < 0 && errno != EINTR) {
				return -errno;
			}
		}
		if (!progress || (!can_read && (!can_write || !h->pending)))
			break;
	}
	if (h->eof && !h->pending && !h->shut) {
		shutdown(out, SHUT_WR);
		h->shut = true;
	}
	return 0;
}

/* conn_interest - the events socket i needs now. */
static uint32_t conn_interest(const struct conn *c, int i)
{
	const struct half *in = &c->dir[i], *out = &c->dir[!i];
	uint32_t ev = 0;

	if (c->connecting)
		return i == 1 ? EPOLLOUT : 0;
	if (!in->eof && !in->full && in->pending < c->cap)
		ev |= EPOLLIN;
	if (out->pending)
		ev |= EPOLLOUT;
	return ev;
}

/* conn_rewatch - give the watches of c the events it needs; a socket that
 * needs none leaves the interest list (a hung-up socket would report
 * EPOLLHUP at every wait otherwise).  Return: 0 or -errno. */
static int conn_rewatch(struct conn *c)
{
	static vds_watch_cb const cbs[2] = { conn_event0, conn_event1 };

	for (int i = 0; i < 2; i++) {
		uint32_t ev = conn_interest(c, i);
		int err = 0;

		if (ev == c->ev[i] && (ev || !c->w[i]))
			continue;
		if (!ev) {
			vds_loop_watch_del(c->w[i]);
			c->w[i] = NULL;
		} else if (!c->w[i]) {
			err = vds_loop_watch_add(c->fwd->loop, c->fd[i], ev,
						 cbs[i], c, &c->w[i]);
		} else {
			err = vds_loop_watch_mod(c->w[i], ev);
		}
		if (err < 0)
			return err;
		c->ev[i] = ev;
	}
	return 0;
}

/* conn_event - socket side of c (-1: both) is ready for events: finish
 * the connect, or move data both ways; close when done or on an error. */
static void conn_event(struct conn *c, int side, uint32_t events)
{
	bool ready;
	int err = 0;

	if (c->connecting) {
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0 && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (err) {
			conn_close(c, true);
			return;
		}
		c->connecting = false;
		events = EPOLLIN; /* both sides may have data already */
		side = -1;
	}
	/* an error or hang-up shows when reading */
	ready = events & (EPOLLIN | EPOLLERR | EPOLLHUP);
	err = half_move(c, 0, ready && side != 1);
	if (err == 0)
		err = half_move(c, 1, ready && side != 0);
	if (err == 0 && c->dir[0].shut && c->dir[1].shut) {
		conn_close(c, false);
		return;
	}
	if (err == 0)
		err = conn_rewatch(c);
	if (err < 0)
		conn_close(c, true);
}

/* conn_new - connect the accepted socket hfd to the guest address, from
 * inside the stack; hfd is consumed (closed with a reset on failure). */
static void conn_new(struct fwd *f, int hfd)
{
	struct conn *c = vds_calloc(1, sizeof(*c));
	int family = f->spec.guest.ss_family, pipe_size, err;

	if (!c) {
		close_reset(hfd);
		return;
	}
	*c = (struct conn){ .fwd = f, .fd = { hfd, -1 },
			    .dir = { { .pipe = { -1, -1 } },
				     { .pipe = { -1, -1 } } } };
	c->next = f->conns;
	if (c->next)
		c->next->prev = c;
	f->conns = c;
	c->fd[1] = vde_msocket(f->stack, family,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd[1] < 0)
		goto fail;
	for (int i = 0; i < 2; i++) {
		if (pipe2(c->dir[i].pipe, O_NONBLOCK | O_CLOEXEC) < 0)
			goto fail;
		fcntl(c->dir[i].pipe[1], F_SETPIPE_SZ, FWD_PIPE_SIZE);
	}
	pipe_size = fcntl(c->dir[0].pipe[1], F_GETPIPE_SZ);
	err = fcntl(c->dir[1].pipe[1], F_GETPIPE_SZ);
	if (pipe_size <= 0 || err <= 0)
		goto fail;
	c->cap = (size_t)(pipe_size < err ? pipe_size : err);
	if (connect(c->fd[1], (const struct sockaddr *)&f->spec.guest,
		    sa_len(&f->spec.guest)) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		c->connecting = true;
	}
	if (conn_rewatch(c) < 0)
		goto fail;
	if (!c->connecting)
		conn_event(c, -1, EPOLLIN | EPOLLOUT);
	return;
fail:
	conn_close(c, true);
}

/* listener_resume - the pause after running out of descriptors is over. */
static void listener_resume(void *arg)
{
	struct fwd *f = arg;

	f->timer_armed = false;
	vds_loop_watch_mod(f->lw, EPOLLIN);
}

/* on_accept - accept the pending connections of a TCP forward. */
static void on_accept(void *arg, uint32_t events)
{
	struct fwd *f = arg;

	for (int i = 0; i < FWD_ACCEPT_BATCH; i++) {
		int fd = accept4(f->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_new(f, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* level-triggered: rest rather than spin */
			vds_loop_watch_mod(f->lw, 0);
			vds_loop_timer_arm(f->timer, FWD_PAUSE_MS);
			f->timer_armed = true;
		}
		return;
	}
}

/* ------------------------------------------------------------------ */
/* UDP flows (loop thread)                                              */
/* ------------------------------------------------------------------ */

/* flow_free - close a flow and unlink it from its forward. */
static void flow_free(struct flow *fl)
{
	struct fwd *f = fl->fwd;
	struct flow **p;

	for (p = &f->flows; *p && *p != fl; p = &(*p)->next)
		;
	if (*p)
		*p = fl->next;
	f->nflows--;
	vds_loop_watch_del(fl->w);
	if (fl->fd >= 0)
		close(fl->fd);
	vds_free(fl);
}

/* flow_readable - datagrams from the guest, back to the client. */
static void flow_readable(void *arg, uint32_t events)
{
	struct flow *fl = arg;
	struct fwd *f = fl->fwd;

	for (int i = 0; i < FWD_UDP_BATCH; i++) {
		ssize_t n = recv(fl->fd, f->buf, FWD_UDP_BUF, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			continue; /* an ICMP error, reported once: go on */
		}
		fl->last = vds_now_ms();
		sendto(f->lfd, f->buf, (size_t)n, MSG_DONTWAIT,
		       (struct sockaddr *)&fl->peer, fl->peerlen);
	}
}

/* sweep - close the flows idle for FWD_UDP_IDLE_MS; re-arm while any is
 * left. */
static void sweep(void *arg)
{
	struct fwd *f = arg;
	int64_t now = vds_now_ms();
	struct flow *fl, *next;

	f->timer_armed = false;
	for (fl = f->flows; fl; fl = next) {
		next = fl->next;
		if (now - fl->last >= FWD_UDP_IDLE_MS)
			flow_free(fl);
	}
	if (f->flows) {
		vds_loop_timer_arm(f->timer, FWD_UDP_SWEEP_MS);
		f->timer_armed = true;
	}
}

/* flow_get - the flow of a client address, made when it is new (the
 * least recently used one goes when there are too many).
 * Return: the flow, or NULL on failure. */
static struct flow *flow_get(struct fwd *f, const struct sockaddr_storage *peer,
			     socklen_t peerlen)
{
	struct flow *fl, **p, *lru = NULL;

	for (p = &f->flows; (fl = *p); p = &fl->next) {
		if (fl->peerlen == peerlen &&
		    !memcmp(&fl->peer, peer, peerlen)) {
			/* to the front: the busy clients are found first */
			*p = fl->next;
			fl->next = f->flows;
			f->flows = fl;
			return fl;
		}
		if (!lru || fl->last < lru->last)
			lru = fl;
	}
	if (f->nflows >= FWD_UDP_MAXFLOWS && lru)
		flow_free(lru);
	fl = vds_calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	*fl = (struct flow){ .fwd = f, .peerlen = peerlen, .fd = -1,
			     .last = vds_now_ms() };
	memcpy(&fl->peer, peer, peerlen);
	fl->next = f->flows;
	f->flows = fl;
	f->nflows++;
	fl->fd = vde_msocket(f->stack, f->spec.guest.ss_family,
			     SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fl->fd < 0 ||
	    connect(fl->fd, (const struct sockaddr *)&f->spec.guest,
		    sa_len(&f->spec.guest)) < 0 ||
	    vds_loop_watch_add(f->loop, fl->fd, EPOLLIN, flow_readable, fl,
			       &fl->w) < 0) {
		flow_free(fl);
		return NULL;
	}
	if (!f->timer_armed) {
		vds_loop_timer_arm(f->timer, FWD_UDP_SWEEP_MS);
		f->timer_armed = true;
	}
	return fl;
}

/* on_datagram - datagrams from clients on the host, into the stack. */
static void on_datagram(void *arg, uint32_t events)
{
	struct fwd *f = arg;

	for (int i = 0; i < FWD_UDP_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		struct flow *fl;
		ssize_t n = recvfrom(f->lfd, f->buf, FWD_UDP_BUF, MSG_DONTWAIT,
				     (struct sockaddr *)&peer, &plen);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			continue;
		}
		if (plen > sizeof(peer))
			continue;
		fl = flow_get(f, &peer, plen);
		if (!fl)
			continue;
		fl->last = vds_now_ms();
		send(fl->fd, f->buf, (size_t)n, MSG_DONTWAIT);
	}
}

/* ------------------------------------------------------------------ */
/* Forwards                                                             */
/* ------------------------------------------------------------------ */

/* start_on_loop - register a forward's socket and timer (loop thread).
 * Return: 0 or -errno. */
static int start_on_loop(void *arg)
{
	struct fwd *f = arg;
	bool tcp = f->spec.proto == IPPROTO_TCP;
	int err;

	err = vds_loop_timer_add(f->loop, tcp ? listener_resume : sweep, f,
				 &f->timer);
	if (err < 0)
		return err;
	err = vds_loop_watch_add(f->loop, f->lfd, EPOLLIN,
				 tcp ? on_accept : on_datagram, f, &f->lw);
	if (err < 0) {
		vds_loop_timer_del(f->timer);
		f->timer = NULL;
	}
	return err;
}

/* stop_on_loop - close every connection and flow of a forward and
 * unregister it (loop thread).  Return: 0. */
static int stop_on_loop(void *arg)
{
	struct fwd *f = arg;

	while (f->conns)
		conn_close(f->conns, true);
	while (f->flows)
		flow_free(f->flows);
	vds_loop_watch_del(f->lw);
	f->lw = NULL;
	vds_loop_timer_del(f->timer);
	f->timer = NULL;
	return 0;
}

/* fwd_new - a forward bound to its host address (listening for TCP), in
 * the host's stack, not serving yet.  Return: 0 or -errno. */
static int stack_opened(struct vdestack *stack, struct vds_port *port);
static int stack_ready(struct vdestack *stack, struct vds_port *port);
static void stack_gone(struct vdestack *stack);

/* How stack.c reaches this file (fwd_init adds them at load). */
static const struct vds_stack_hooks fwd_hooks = {
	.opened = stack_opened,
	.ready = stack_ready,
	.gone = stack_gone,
};

static int fwd_new(const struct vds_fwdspec *spec, struct fwd **ret)
{
	bool tcp = spec->proto == IPPROTO_TCP;
	int family = spec->host.ss_family, one = 1, err;
	struct fwd *f;

	if ((family != AF_INET && family != AF_INET6) ||
	    (spec->guest.ss_family != AF_INET &&
	     spec->guest.ss_family != AF_INET6) ||
	    sa_port(&spec->host) == 0 || sa_port(&spec->guest) == 0)
		return -EINVAL;
	f = vds_calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	*f = (struct fwd){ .spec = *spec, .owner = getpid(), .lfd = -1 };
	if (!tcp) {
		f->buf = vds_malloc(FWD_UDP_BUF);
		if (!f->buf) {
			err = -ENOMEM;
			goto fail;
		}
	}
	f->lfd = vds_sys_socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) |
					SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->lfd < 0) {
		err = f->lfd;
		goto fail;
	}
	/* a TCP port comes back at once after its forward is removed; a
	 * UDP one must stay exclusive, so no SO_REUSEADDR there */
	if (tcp)
		setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(f->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			   sizeof(one));
	if (bind(f->lfd, (const struct sockaddr *)&spec->host,
		 sa_len(&spec->host)) < 0 ||
	    (tcp && listen(f->lfd, SOMAXCONN) < 0)) {
		err = -errno;
		goto fail;
	}
	*ret = f;
	return 0;
fail:
	if (f->lfd >= 0)
		close(f->lfd);
	vds_free(f->buf);
	vds_free(f);
	return err;
}

/* fwd_start - serve the forward for stack on a loop of the pool.
 * Return: 0 or -errno. */
static int fwd_start(struct fwd *f, struct vdestack *stack)
{
	int err;

	f->stack = stack;
	err = vds_loop_acquire(&f->loop);
	if (err < 0)
		return err;
	err = vds_loop_call(f->loop, start_on_loop, f);
	if (err < 0) {
		vds_loop_release(f->loop);
		f->loop = NULL;
		return err;
	}
	f->started = true;
	return 0;
}

/* fwd_forget - in a forked child, close the child's copies of a forward's
 * descriptors and free it, without touching the loops (the parent's). */
static void fwd_forget(struct fwd *f)
{
	for (struct conn *c = f->conns, *next; c; c = next) {
		next = c->next;
		for (int i = 0; i < 2; i++) {
			if (c->fd[i] >= 0)
				close(c->fd[i]);
			for (int j = 0; j < 2; j++)
				if (c->dir[i].pipe[j] >= 0)
					close(c->dir[i].pipe[j]);
		}
		vds_free(c);
	}
	for (struct flow *fl = f->flows, *next; fl; fl = next) {
		next = fl->next;
		if (fl->fd >= 0)
			close(fl->fd);
		vds_free(fl);
	}
	if (f->lfd >= 0)
		close(f->lfd);
	vds_free(f->buf);
	vds_free(f);
}

/* fwd_free - stop a forward (closing its connections) and free it;
 * accepts one that never started. */
static void fwd_free(struct fwd *f)
{
	if (f->owner != getpid()) {
		fwd_forget(f);
		return;
	}
	if (f->started) {
		vds_loop_call(f->loop, stop_on_loop, f);
		vds_loop_release(f->loop);
	}
	if (f->lfd >= 0)
		close(f->lfd);
	vds_free(f->buf);
	vds_free(f);
}

/* vds_fwd_add - add a forward to stack.  Return: 0 or -errno. */
int vds_fwd_add(struct vdestack *stack, const struct vds_fwdspec *spec)
{
	struct fwd *f;
	int err;

	if (!stack)
		return -EINVAL;
	err = fwd_new(spec, &f);
	if (err < 0)
		return err;
	err = fwd_start(f, stack);
	if (err < 0) {
		fwd_free(f);
		return err;
	}
	pthread_mutex_lock(&fwd_lock);
	f->next = fwds;
	fwds = f;
	pthread_mutex_unlock(&fwd_lock);
	return 0;
}

/* take - unlink from the list every forward that pick() selects.
 * Return: the list of them (linked by next). */
static struct fwd *take(bool (*pick)(const struct fwd *f, const void *arg),
			const void *arg)
{
	struct fwd **p, *f, *out = NULL;

	pthread_mutex_lock(&fwd_lock);
	for (p = &fwds; (f = *p);) {
		if (pick(f, arg)) {
			*p = f->next;
			f->next = out;
			out = f;
		} else {
			p = &f->next;
		}
	}
	pthread_mutex_unlock(&fwd_lock);
	return out;
}

/* free_all - fwd_free every forward of a list made by take(). */
static void free_all(struct fwd *f)
{
	while (f) {
		struct fwd *next = f->next;

		fwd_free(f);
		f = next;
	}
}

/* Selector for vds_fwd_del: a stack and a spec. */
struct del_sel {
	struct vdestack *stack;
	const struct vds_fwdspec *spec;
};

/* pick_del - Return: whether f is a forward of the stack matching spec. */
static bool pick_del(const struct fwd *f, const void *arg)
{
	const struct del_sel *sel = arg;

	return f->stack == sel->stack && spec_matches(&f->spec, sel->spec);
}

/* vds_fwd_del - remove the forwards of stack that spec names.
 * Return: 0, -EINVAL, or -ENOENT when there is none. */
int vds_fwd_del(struct vdestack *stack, const struct vds_fwdspec *spec)
{
	struct del_sel sel = { .stack = stack, .spec = spec };
	struct fwd *list;

	if (!stack)
		return -EINVAL;
	list = take(pick_del, &sel);
	if (!list)
		return -ENOENT;
	free_all(list);
	return 0;
}

/* pick_stack - Return: whether f serves the stack arg. */
static bool pick_stack(const struct fwd *f, const void *arg)
{
	return f->stack == arg;
}

/* stack_gone - the gone hook: remove every forward of a stack. */
static void stack_gone(struct vdestack *stack)
{
	int saved = errno;

	if (stack)
		free_all(take(pick_stack, stack));
	errno = saved;
}

/* stack_opened - the opened hook: bind the forwards that the stack's
 * backend asks for (slirp's tcpfwd=/udpfwd=), before its namespace
 * exists, so that a port in use fails vde_addstack() early; they start
 * at the ready hook.  Return: 0 or -errno (the caller then destroys the
 * stack, whose gone hook removes the ones bound). */
static int stack_opened(struct vdestack *stack, struct vds_port *port)
{
	const struct vds_fwdspec *specs;
	unsigned n;
	struct fwd *f;
	int err;

	specs = vds_port_forwards(port, &n);
	for (unsigned i = 0; i < n; i++) {
		err = fwd_new(&specs[i], &f);
		if (err < 0)
			return err;
		f->stack = stack; /* stack_gone's from now on */
		pthread_mutex_lock(&fwd_lock);
		f->next = fwds;
		fwds = f;
		pthread_mutex_unlock(&fwd_lock);
	}
	return 0;
}

/* stack_ready - the ready hook: start the forwards bound for stack at its
 * opened hook.  Return: 0 or -errno (the caller then destroys the stack,
 * which removes them all). */
static int stack_ready(struct vdestack *stack, struct vds_port *port)
{
	struct fwd *todo[64];
	unsigned n;
	int err = 0;

	do {
		n = 0;
		pthread_mutex_lock(&fwd_lock);
		for (struct fwd *f = fwds; f && n < VDS_ARRAY_SIZE(todo);
		     f = f->next) {
			if (f->stack == stack && !f->started && !f->starting) {
				f->starting = true;
				todo[n++] = f;
			}
		}
		pthread_mutex_unlock(&fwd_lock);
		for (unsigned i = 0; i < n && err == 0; i++)
			err = fwd_start(todo[i], stack);
	} while (n == VDS_ARRAY_SIZE(todo) && err == 0);
	return err;
}

/* fwd_init - at load: the hooks through which stack.c reaches this file,
 * there before any stack is made, since a URL may name forwards. */
__attribute__((constructor)) static void fwd_init(void)
{
	vds_stack_hooks_add(&fwd_hooks);
}

/* vde_stackfwd - forward a host address and port into the stack.
 * Return: 0, or -1 with errno (see vde_stackfwd(3)). */
VDS_EXPORT int vde_stackfwd(struct vdestack *stack, const char *spec)
{
	struct vds_fwdspec fs;
	int err = stack ? vds_fwd_parse(spec, false, &fs) : -EINVAL;

	if (err == 0)
		err = vds_fwd_add(stack, &fs);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* vde_stackunfwd - remove a forward of the stack.
 * Return: 0, or -1 with errno (ENOENT when there is no such forward). */
VDS_EXPORT int vde_stackunfwd(struct vdestack *stack, const char *spec)
{
	struct vds_fwdspec fs;
	int err = stack ? vds_fwd_parse(spec, true, &fs) : -EINVAL;

	if (err == 0)
		err = vds_fwd_del(stack, &fs);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}
