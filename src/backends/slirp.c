/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slirp.c - backend for slirp://: user-mode NAT on libslirp, run inside the
 * stack's own event loop.
 *
 * Theory of operation
 *
 * libslirp is a TCP/IP stack in user space: it takes the stack's frames
 * (slirp_input), terminates TCP and UDP itself and talks to the rest of the
 * world through ordinary sockets of the application, so the stack reaches
 * the host's network with no privilege.  libvdeplug's slirp plugin runs it
 * in a thread of its own and passes every frame through a socketpair; here
 * it runs on the loop thread that pumps the stack, with no other thread,
 * queue or copy:
 *
 *  - frames from the interface: the pump's batch goes to slirp_input() one
 *    frame after the other, on the loop thread;
 *  - frames to the interface: libslirp's send_packet callback writes them
 *    with vds_port_deliver(), also on the loop thread, one frame a call:
 *    libslirp's callbacks mark no end of a burst, and the frame's buffer
 *    is valid only during the call, so a batch would cost a copy of every
 *    frame (up to 64 KiB each); only the pure ACKs held back (below) go
 *    out together;
 *  - libslirp's sockets: its set changes with every connection, so it is
 *    asked again before each wait, as GLib's GSource would: the backend is
 *    a loop source whose prepare() calls slirp_pollfds_fill() and whose
 *    check() calls slirp_pollfds_poll() with what the wait found.  The
 *    sockets live in an epoll set of the backend's own, which is a single
 *    watch of the loop: the fill only changes that set where libslirp's
 *    interest changed (one epoll_ctl per change, none in the steady state),
 *    the readiness of the wait is collected when the watch fires (one
 *    epoll_wait, only when something is ready), and a socket closed by
 *    libslirp without telling us can never touch a registration of the
 *    loop's other users;
 *  - libslirp's timers: vds_loop timers (one-shot, re-armed by timer_mod);
 *    its clock is CLOCK_MONOTONIC, like the loop's.  libslirp also lowers
 *    the wait's timeout for its TCP timers (2 ms for a delayed ACK, 0.5 s
 *    while connections exist, 1 s at most: an idle slirp stack costs one
 *    wake-up a second).
 *
 * libslirp itself is created on the loop thread (start) and destroyed there
 * (stop), so it is only ever touched by that thread (its few process-wide
 * variables, a clock and a DNS cache, hold the same values for every
 * instance; its one-time initialisation is serialised here).  The
 * interface gets a large MTU (65520 unless mtu= says otherwise) and
 * libslirp the same MTU and MRU: a relay through a tap at 1500 bytes per
 * frame is held near one gigabit per second.
 *
 * Acknowledgements: libslirp acknowledges every TCP segment at once, and
 * each acknowledgement written to the interface costs a write(2) and the
 * stack's own processing (which then sends its next segments, in this
 * thread).  libslirp advertises 64 KiB windows at most (no window
 * scaling), so with either MTU a burst is a few segments to a few dozen.
 * While a burst read by the pump goes through libslirp, its pure ACKs are
 * held and only the newest of each connection is written, in check() once
 * the pump has drained the interface (a duplicate ACK, which signals a
 * loss, is never merged; any other frame releases what is held first, so
 * a connection's frames keep their order).
 *
 * Segments: for the same reason, consecutive data segments of one
 * connection in the pump's burst (in order, same acknowledgement and
 * window, no flag but ACK/PSH, no TCP option) are merged into one before
 * libslirp sees them, as the kernel's GRO does: one slirp_input(), one
 * send(2) to the host socket and one ACK for up to 64 KiB instead of one
 * per 1448 bytes at MTU 1500.  The merged checksum is computed from the
 * parts' own checksums, without a pass over the data, so a corrupt part
 * still makes libslirp drop the whole.  IPv6 merges stay within
 * libslirp's MTU, which it enforces on IPv6 input.  Both readings of TCP
 * frames, and their one parser, are in slirp_gro.c.  With both, the NAT
 * runs several times faster than a separate libslirp process (measured
 * here: see bench/run_slirp).
 *
 * tcpfwd=/udpfwd= do not use libslirp's host forwarding: the backend
 * hands them to the core as data (struct vds_backend's fwds), and the
 * forward module (src/fwd) binds them before the stack's namespace exists
 * and serves them as soon as the stack does, splicing the bytes to the
 * stack's own sockets without crossing the interface.  cmdfwd= and unixfwd= are
 * libslirp's guest forwards.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <slirp/libslirp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "slirp_gro.h"
#include "slirp_opts.h"
#include "core/backend.h"

#define SLIRP_EVENTS 256 /* readiness collected per epoll_wait */
#define ACKQ_MAX 32       /* pure ACKs held back during one batch */
#define POS_FIRST 64      /* fd -> entry map, first size (doubles) */
#define PFDS_FIRST 32     /* entries, first room (doubles) */
#define SLIRP_CONFIG_VERSION 4 /* the SlirpConfig fields set here */
#define NS_PER_S 1000000000
#define NS_PER_MS 1000000

/* A pure TCP acknowledgement held back until the end of a batch: key
 * (addresses and ports), cumulative ack number, the frame itself. */
struct held_ack {
	unsigned char key[VDS_SLIRP_ACK_KEY];
	unsigned keylen;
	uint32_t ack;
	unsigned len;
	unsigned char frame[VDS_SLIRP_ACK_FRAME_MAX];
};

/* A socket libslirp polls. */
struct pfd {
	int fd;
	uint32_t ev;       /* epoll events registered (0: none now) */
	int revents;       /* SLIRP_POLL_* found by the last wait */
	unsigned gen;      /* the fill that last asked for it */
};

struct slirp_backend;

/* A libslirp timer on the loop. */
struct stimer {
	struct slirp_backend *b;
	struct vds_timer *t;
	SlirpTimerCb cb;
	void *opaque;
};

struct slirp_backend {
	struct vds_backend hdr;
	struct vds_slirp_opts opts;
	Slirp *slirp;
	struct vds_loop *loop;
	struct vds_source *src;
	int epfd;                  /* libslirp's sockets */
	struct vds_watch *epw;     /* epfd in the loop */
	struct pfd *pfds;          /* dense */
	unsigned npfds, pfds_cap;
	int *pos;                  /* fd -> index in pfds, or -1 */
	unsigned npos;
	unsigned gen;              /* fills so far */
	bool filled;
	unsigned char *gro;        /* a merged segment (VDS_SLIRP_GRO_BUF) */
	bool batching;             /* in slirp_send: ACKs may be held */
	unsigned nheld;
	struct held_ack held[ACKQ_MAX];
};

static void release_acks(struct slirp_backend *b);

static pthread_mutex_t new_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ */
/* libslirp's sockets                                                   */
/* ------------------------------------------------------------------ */

/* to_epoll - SLIRP_POLL_* to EPOLL*.  Return: the epoll events. */
static uint32_t to_epoll(int events)
{
	uint32_t ev = 0;

	if (events & SLIRP_POLL_IN)
		ev |= EPOLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= EPOLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= EPOLLPRI;
	return ev; /* EPOLLERR and EPOLLHUP are always reported */
}

/* to_slirp - EPOLL* to SLIRP_POLL_*.  Return: the slirp events. */
static int to_slirp(uint32_t ev)
{
	int r = 0;

	if (ev & EPOLLIN)
		r |= SLIRP_POLL_IN;
	if (ev & EPOLLOUT)
		r |= SLIRP_POLL_OUT;
	if (ev & EPOLLPRI)
		r |= SLIRP_POLL_PRI;
	if (ev & EPOLLERR)
		r |= SLIRP_POLL_ERR;
	if (ev & EPOLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

/* pfd_find - Return: the entry of fd, or NULL. */
static struct pfd *pfd_find(struct slirp_backend *b, int fd)
{
	if (fd < 0 || (unsigned)fd >= b->npos || b->pos[fd] < 0)
		return NULL;
	return &b->pfds[b->pos[fd]];
}

/* pfd_new - a new entry for fd (not registered yet).
 * Return: it, or NULL when out of memory. */
static struct pfd *pfd_new(struct slirp_backend *b, int fd)
{
	if ((unsigned)fd >= b->npos) {
		unsigned n = b->npos ? b->npos : POS_FIRST;
		int *pos;

		while (n <= (unsigned)fd)
			n *= 2;
		pos = vds_realloc(b->pos, n * sizeof(*pos));
		if (!pos)
			return NULL;
		for (unsigned i = b->npos; i < n; i++)
			pos[i] = -1;
		b->pos = pos;
		b->npos = n;
	}
	if (b->npfds == b->pfds_cap) {
		unsigned n = b->pfds_cap ? b->pfds_cap * 2 : PFDS_FIRST;
		struct pfd *p = vds_realloc(b->pfds, n * sizeof(*p));

		if (!p)
			return NULL;
		b->pfds = p;
		b->pfds_cap = n;
	}
	b->pos[fd] = (int)b->npfds;
	b->pfds[b->npfds] = (struct pfd){ .fd = fd };
	return &b->pfds[b->npfds++];
}

/* pfd_drop - forget fd: out of the epoll set, entry removed (the last
 * entry takes its place). */
static void pfd_drop(struct slirp_backend *b, int fd)
{
	struct pfd *e = pfd_find(b, fd);
	unsigned i;

	if (!e)
		return;
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL);
	i = (unsigned)b->pos[fd];
	b->pos[fd] = -1;
	if (i != b->npfds - 1) {
		b->pfds[i] = b->pfds[b->npfds - 1];
		b->pos[b->pfds[i].fd] = (int)i;
	}
	b->npfds--;
}

/* pfd_set - register fd for ev in the backend's epoll set (ADD or MOD,
 * whichever the set needs: libslirp may have closed and reused a number).
 * Return: 0 or -errno. */
static int pfd_set(struct slirp_backend *b, int fd, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.u32 = (uint32_t)fd };

	if (epoll_ctl(b->epfd, EPOLL_CTL_MOD, fd, &e) == 0)
		return 0;
	if (errno == ENOENT && epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &e) == 0)
		return 0;
	return -errno;
}

/* add_poll - libslirp's SlirpAddPollCb: fd is to be polled for events in
 * this wait.  Return: the index for get_revents (the fd), or -1. */
static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_backend *b = opaque;
	struct pfd *e = pfd_find(b, fd);
	uint32_t ev = to_epoll(events);

	if (!e) {
		struct epoll_event ee = { .events = ev,
					  .data.u32 = (uint32_t)fd };

		e = pfd_new(b, fd);
		if (!e)
			return -1;
		if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ee) < 0 &&
		    (errno != EEXIST || pfd_set(b, fd, ev) < 0)) {
			pfd_drop(b, fd);
			return -1;
		}
	} else if (e->ev != ev && pfd_set(b, fd, ev) < 0) {
		pfd_drop(b, fd);
		return -1;
	}
	e->ev = ev;
	e->gen = b->gen;
	e->revents = 0;
	return fd;
}

/* get_revents - libslirp's SlirpGetREventsCb.  Return: the SLIRP_POLL_*
 * events the wait found on the fd of idx. */
static int get_revents(int idx, void *opaque)
{
	struct pfd *e = pfd_find(opaque, idx);

	return e ? e->revents : 0;
}

/* ready - the backend's epoll set has ready sockets: note what they are
 * ready for, for check().  A socket libslirp did not ask about in this
 * wait (only an error or hang-up reaches here) leaves the set until it
 * asks again, or it would wake the loop at every wait. */
static void ready(void *arg, uint32_t events)
{
	struct slirp_backend *b = arg;
	struct epoll_event ev[SLIRP_EVENTS];
	int n = epoll_wait(b->epfd, ev, SLIRP_EVENTS, 0);

	for (int i = 0; i < n; i++) {
		int fd = (int)ev[i].data.u32;
		struct pfd *e = pfd_find(b, fd);

		if (!e) {
			epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL);
			continue;
		}
		if (e->gen != b->gen || !e->ev) {
			pfd_drop(b, fd);
			continue;
		}
		e->revents |= to_slirp(ev[i].events);
	}
}

/* prepare - loop source hook, before the wait: libslirp's sockets and
 * timeout for this wait; the sockets it no longer asks about stay in the
 * set with no events. */
static void prepare(void *arg, int *timeout_ms)
{
	struct slirp_backend *b = arg;
	uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;

	release_acks(b);
	b->gen++;
	slirp_pollfds_fill(b->slirp, &t, add_poll, b);
	for (unsigned i = 0; i < b->npfds; i++) {
		struct pfd *e = &b->pfds[i];

		if (e->gen != b->gen && e->ev) {
			pfd_set(b, e->fd, 0);
			e->ev = 0;
		}
	}
	if (t != UINT32_MAX && (*timeout_ms < 0 || t < (uint32_t)*timeout_ms))
		*timeout_ms = t > INT32_MAX ? INT32_MAX : (int)t;
	b->filled = true;
}

/* check - loop source hook, after the wait and the callbacks: libslirp
 * handles its ready sockets and its TCP timers. */
static void check(void *arg)
{
	struct slirp_backend *b = arg;

	if (b->filled)
		slirp_pollfds_poll(b->slirp, 0, get_revents, b);
	release_acks(b);
}

static const struct vds_source_ops source_ops = {
	.prepare = prepare,
	.check = check,
};

/* ------------------------------------------------------------------ */
/* libslirp's callbacks                                                 */
/* ------------------------------------------------------------------ */

/* release_acks - deliver the acknowledgements held back. */
static void release_acks(struct slirp_backend *b)
{
	struct vds_frame f[ACKQ_MAX];

	for (unsigned i = 0; i < b->nheld; i++)
		f[i] = (struct vds_frame){ .data = b->held[i].frame,
					   .len = b->held[i].len };
	if (b->nheld)
		vds_port_deliver(b->hdr.port, f, b->nheld);
	b->nheld = 0;
}

/* hold_ack - during a burst, keep a pure ACK back; a later one of the same
 * connection that acknowledges more replaces it (a duplicate ACK, which
 * signals a loss, is kept as it is).  Return: true when held. */
static bool hold_ack(struct slirp_backend *b, const void *buf, size_t len)
{
	struct held_ack h;

	if (!vds_slirp_pure_ack(buf, len, h.key, &h.keylen, &h.ack))
		return false;
	for (unsigned i = 0; i < b->nheld; i++) {
		struct held_ack *o = &b->held[i];

		if (o->keylen == h.keylen && !memcmp(o->key, h.key, h.keylen) &&
		    (int32_t)(h.ack - o->ack) > 0) {
			o->ack = h.ack;
			o->len = (unsigned)len;
			memcpy(o->frame, buf, len);
			return true;
		}
	}
	if (b->nheld == ACKQ_MAX)
		release_acks(b);
	h.len = (unsigned)len;
	memcpy(h.frame, buf, len);
	b->held[b->nheld++] = h;
	return true;
}

/* send_packet - a frame from libslirp to the stack's interface.  While
 * libslirp digests frames from the stack (slirp_send), its pure ACKs are
 * held (see Theory of operation) until check(); any other frame first
 * releases what is held, so the order of a connection's frames is kept.
 * Return: len (a frame the interface cannot take is dropped). */
static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_backend *b = opaque;
	struct vds_frame f = { .data = (void *)buf, .len = len };

	if (b->batching && hold_ack(b, buf, len))
		return (ssize_t)len;
	release_acks(b);
	vds_port_deliver(b->hdr.port, &f, 1);
	return (ssize_t)len;
}

/* guest_error - the stack sent something libslirp finds wrong: the
 * library prints nothing on its own. */
static void guest_error(const char *msg, void *opaque)
{
}

/* clock_get_ns - libslirp's clock.  Return: CLOCK_MONOTONIC in ns. */
static int64_t clock_get_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* timer_fire - a libslirp timer is due. */
static void timer_fire(void *arg)
{
	struct stimer *st = arg;

	st->cb(st->opaque);
}

/* timer_new - libslirp's timer_new, on the loop.
 * Return: the timer, or NULL when out of memory. */
static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct slirp_backend *b = opaque;
	struct stimer *st = vds_calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	*st = (struct stimer){ .b = b, .cb = cb, .opaque = cb_opaque };
	if (vds_loop_timer_add(b->loop, timer_fire, st, &st->t) < 0) {
		vds_free(st);
		return NULL;
	}
	return st;
}

/* timer_free - libslirp's timer_free; accepts NULL. */
static void timer_free(void *timer, void *opaque)
{
	struct stimer *st = timer;

	if (!st)
		return;
	vds_loop_timer_del(st->t);
	vds_free(st);
}

/* timer_mod - libslirp's timer_mod: fire at expire_ms on its clock. */
static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct stimer *st = timer;

	if (st)
		vds_loop_timer_arm(st->t,
				   expire_ms - clock_get_ns(opaque) / NS_PER_MS);
}

/* register_poll_fd - libslirp made a socket: it is polled through
 * add_poll when libslirp asks. */
static void register_poll_fd(int fd, void *opaque)
{
}

/* unregister_poll_fd - libslirp is about to close fd: forget it before its
 * number can be reused. */
static void unregister_poll_fd(int fd, void *opaque)
{
	pfd_drop(opaque, fd);
}

/* notify - libslirp can take more data: every iteration asks it again. */
static void notify(void *opaque)
{
}

static const SlirpCb callbacks = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = clock_get_ns,
	.timer_new = timer_new,
	.timer_free = timer_free,
	.timer_mod = timer_mod,
	.register_poll_fd = register_poll_fd,
	.unregister_poll_fd = unregister_poll_fd,
	.notify = notify,
};

/* ------------------------------------------------------------------ */
/* The backend                                                          */
/* ------------------------------------------------------------------ */

/* sa_text - the address of ss as text in buf.  Return: its port. */
static int sa_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, buf, (socklen_t)size);
		return ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, buf, (socklen_t)size);
		return ntohs(a->sin_port);
	}
}

/* print_config - verbose: the configuration table, as libvdeplug_slirp
 * prints it, on stderr. */
static void print_config(const struct vds_slirp_opts *o)
{
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

	fprintf(stderr, "SLIRP configuration\n");
	fprintf(stderr, "ipv4-enable   %d\n", o->in_enabled);
	fprintf(stderr, "ipv4-network  %s\n",
		inet_ntop(AF_INET, &o->vnetwork, a, sizeof(a)));
	fprintf(stderr, "ipv4-netmask  %s\n",
		inet_ntop(AF_INET, &o->vnetmask, a, sizeof(a)));
	fprintf(stderr, "ipv4-host     %s\n",
		inet_ntop(AF_INET, &o->vhost, a, sizeof(a)));
	fprintf(stderr, "ipv6-enabled  %d\n", o->in6_enabled);
	fprintf(stderr, "ipv6-prefix   %s\n",
		inet_ntop(AF_INET6, &o->vprefix_addr6, a, sizeof(a)));
	fprintf(stderr, "ipv6-preflen  %u\n", o->vprefix_len);
	fprintf(stderr, "ipv6-host     %s\n",
		inet_ntop(AF_INET6, &o->vhost6, a, sizeof(a)));
	fprintf(stderr, "hostname      %s\n", o->vhostname);
	fprintf(stderr, "tftp-servname %s\n",
		o->tftp_server_name ? o->tftp_server_name : "(null)");
	fprintf(stderr, "tftp-path     %s\n",
		o->tftp_path ? o->tftp_path : "(null)");
	fprintf(stderr, "bootfile      %s\n",
		o->bootfile ? o->bootfile : "(null)");
	fprintf(stderr, "dhcp-start    %s\n",
		inet_ntop(AF_INET, &o->vdhcp_start, a, sizeof(a)));
	fprintf(stderr, "ipv4-vDNS     %s\n",
		inet_ntop(AF_INET, &o->vnameserver, a, sizeof(a)));
	fprintf(stderr, "ipv6-vDNS     %s\n",
		inet_ntop(AF_INET6, &o->vnameserver6, a, sizeof(a)));
	fprintf(stderr, "vDNS-search   ");
	for (char **d = o->vdnssearch; d && *d; d++)
		fprintf(stderr, "%s ", *d);
	fprintf(stderr, "\n");
	fprintf(stderr, "vdomainname   %s\n",
		o->vdomainname ? o->vdomainname : "(null)");
	fprintf(stderr, "MTU           %u\n", o->mtu);
	fprintf(stderr, "MRU           %u\n", o->mru);
	fprintf(stderr, "disable-lback %d\n", o->disable_host_loopback);
	fprintf(stderr, "restricted    %d\n", o->restricted);
	for (unsigned i = 0; i < o->nfwds; i++) {
		const struct vds_fwdspec *f = &o->fwds[i];
		int hp = sa_text(&f->host, a, sizeof(a));
		int gp = sa_text(&f->guest, g, sizeof(g));

		fprintf(stderr, "%sfwd host   %s %d -> guest %s %d\n",
			f->proto == IPPROTO_UDP ? "udp" : "tcp", a, hp, g, gp);
	}
	for (unsigned i = 0; i < o->ngfwds; i++)
		fprintf(stderr, "%s       gw %s %d -> %s\n",
			o->gfwds[i].is_cmd ? "cmdfwd " : "unixfwd",
			inet_ntop(AF_INET, &o->gfwds[i].addr, a, sizeof(a)),
			o->gfwds[i].port, o->gfwds[i].target);
}

/* slirp_open - parse the URL's options and bind its host forwards.
 * Return: 0, -EINVAL (unknown or malformed option), -EADDRINUSE and the
 * other errors of bind(2) for a forward, -ENOMEM. */
static int slirp_open(const struct vds_url *url, struct vds_port *port,
		      struct vds_backend **ret)
{
	struct slirp_backend *b = vds_calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	b->epfd = -1;
	b->gro = vds_malloc(VDS_SLIRP_GRO_BUF);
	if (!b->gro) {
		vds_free(b);
		return -ENOMEM;
	}
	err = vds_slirp_opts_parse(url->rest, &b->opts);
	if (err < 0) {
		vds_free(b->gro);
		vds_free(b);
		return err;
	}
	for (unsigned i = 0; i < b->opts.ngfwds; i++)
		if (b->opts.gfwds[i].is_cmd)
			b->hdr.execs = true; /* libslirp forks and execs */
	/* tcpfwd=, udpfwd=: the forward module serves them (as data) */
	b->hdr.fwds = b->opts.fwds;
	b->hdr.nfwds = b->opts.nfwds;
	if (b->opts.verbose)
		print_config(&b->opts);
	b->hdr.mtu = b->opts.mtu;
	*ret = &b->hdr;
	return 0;
}

/* slirp_stop - destroy libslirp and unregister (loop thread); also undoes
 * a start that failed half way. */
static void slirp_stop(struct vds_backend *be)
{
	struct slirp_backend *b = (struct slirp_backend *)be;

	vds_loop_source_del(b->src);
	b->src = NULL;
	vds_loop_watch_del(b->epw);
	b->epw = NULL;
	if (b->slirp)
		slirp_cleanup(b->slirp); /* its sockets and timers go */
	b->slirp = NULL;
	b->filled = false;
	b->nheld = 0;
	if (b->epfd >= 0)
		close(b->epfd);
	b->epfd = -1;
	vds_free(b->pfds);
	vds_free(b->pos);
	b->pfds = NULL;
	b->pos = NULL;
	b->npfds = b->pfds_cap = b->npos = 0;
}

/* add_guestfwds - cmdfwd= and unixfwd=, libslirp's guest forwards.
 * Return: 0 or -EINVAL (an address libslirp refuses, a port taken). */
static int add_guestfwds(struct slirp_backend *b)
{
	for (unsigned i = 0; i < b->opts.ngfwds; i++) {
		struct vds_slirp_guestfwd *g = &b->opts.gfwds[i];
		struct in_addr addr = g->addr;
		int r = g->is_cmd ?
			slirp_add_exec(b->slirp, g->target, &addr, g->port) :
			slirp_add_unix(b->slirp, g->target, &addr, g->port);

		if (r < 0)
			return -EINVAL;
	}
	return 0;
}

/* slirp_start - create libslirp on the loop thread and hook it to the
 * loop.  Return: 0 or -errno (-EINVAL when libslirp refuses the
 * configuration). */
static int slirp_start(struct vds_backend *be, struct vds_loop *loop)
{
	struct slirp_backend *b = (struct slirp_backend *)be;
	const struct vds_slirp_opts *o = &b->opts;
	SlirpConfig cfg = {
		.version = SLIRP_CONFIG_VERSION,
		.restricted = o->restricted,
		.in_enabled = o->in_enabled,
		.vnetwork = o->vnetwork,
		.vnetmask = o->vnetmask,
		.vhost = o->vhost,
		.in6_enabled = o->in6_enabled,
		.vprefix_addr6 = o->vprefix_addr6,
		.vprefix_len = (uint8_t)o->vprefix_len,
		.vhost6 = o->vhost6,
		.vhostname = o->vhostname,
		.tftp_server_name = o->tftp_server_name,
		.tftp_path = o->tftp_path,
		.bootfile = o->bootfile,
		.vdhcp_start = o->vdhcp_start,
		.vnameserver = o->vnameserver,
		.vnameserver6 = o->vnameserver6,
		.vdnssearch = (const char **)o->vdnssearch,
		.vdomainname = o->vdomainname,
		.if_mtu = o->mtu,
		.if_mru = o->mru,
		.disable_host_loopback = o->disable_host_loopback,
	};
	int err;

	b->loop = loop;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0)
		return -errno;
	err = vds_loop_watch_add(loop, b->epfd, EPOLLIN, ready, b, &b->epw);
	if (err < 0)
		goto fail;
	/* libslirp initialises process-wide state in its first slirp_new():
	 * stacks on other loop threads must not race it */
	pthread_mutex_lock(&new_lock);
	b->slirp = slirp_new(&cfg, &callbacks, b);
	pthread_mutex_unlock(&new_lock);
	if (!b->slirp) {
		err = -EINVAL;
		goto fail;
	}
	err = add_guestfwds(b);
	if (err < 0)
		goto fail;
	err = vds_loop_source_add(loop, &source_ops, b, &b->src);
	if (err < 0)
		goto fail;
	return 0;
fail:
	slirp_stop(be);
	return err;
}

/* to_slirp_input - vds_slirp_merge's input: one frame into libslirp. */
static void to_slirp_input(void *arg, const void *buf, size_t len)
{
	struct slirp_backend *b = arg;

	slirp_input(b->slirp, buf, (int)len);
}

/* slirp_send - frames from the interface into libslirp.
 * Return: n (libslirp drops what it cannot use). */
static unsigned slirp_send(struct vds_backend *be, const struct vds_frame *f,
			   unsigned n)
{
	struct slirp_backend *b = (struct slirp_backend *)be;

	b->batching = true;
	vds_slirp_merge(b->gro, b->opts.mtu, f, n, to_slirp_input, b);
	b->batching = false;
	return n; /* the ACKs held go out in check(), after the pump's burst */
}

/* slirp_close - free everything. */
static void slirp_close(struct vds_backend *be)
{
	struct slirp_backend *b = (struct slirp_backend *)be;

	if (!b)
		return;
	vds_slirp_opts_free(&b->opts);
	vds_free(b->gro);
	vds_free(b);
}

const struct vds_backend_ops vds_backend_slirp = {
	.scheme = "slirp",
	.open = slirp_open,
	.start = slirp_start,
	.send = slirp_send,
	.stop = slirp_stop,
	.close = slirp_close,
	.max_frame = 0,
	.flags = VDS_BACKEND_DHCP,
};
