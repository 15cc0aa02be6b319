/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * flow.c - UDP forwards: one socket on the other side per client.
 *
 * Theory of operation
 *
 * A UDP forward reads the datagrams of its bound sockets (one per port of
 * its range; on the host, or in the stack for udp-ns) and keeps, per
 * client address and bound socket, a "flow": a socket on the other side
 * (in the stack, or on the host for udp-ns) connected to that socket's
 * peer address, through which datagrams go both ways; the answers go
 * back to the client from the bound socket it wrote to.  On the host,
 * the flow's socket is made at once.  In a stack, a new client's
 * flow starts "waiting": its socket is a job at the maker (maker.c), so
 * the loop does not wait for the helper; meanwhile its datagrams are held,
 * in order, up to FWD_UDP_HOLD_BYTES (at least one, whatever its size),
 * and sent when the socket comes.  While FWD_WAITING_MAX flows of the
 * forward wait, the datagrams of further new clients are dropped (they
 * send again, as over any lossy path); known clients are served as
 * before.  At most FWD_UDP_MAXFLOWS flows: the least recently used one
 * with a socket goes for a new client.  A flow idle for FWD_UDP_IDLE_MS
 * is closed by a sweep every FWD_UDP_SWEEP_MS while flows exist.
 *
 * f->flows changes under the maker's lock (the fork guard, see maker.c),
 * so that a forked child finds each flow's descriptor there or in a job.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "flow.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "core/loop.h"

#define FWD_UDP_BATCH 64                 /* datagrams per wake-up */
#define FWD_UDP_IDLE_MS (180 * 1000)     /* a flow without traffic ends */
#define FWD_UDP_SWEEP_MS (10 * 1000)     /* how often idle flows are sought */
#define FWD_UDP_MAXFLOWS 1024
#define FWD_UDP_HOLD_BYTES 65536         /* held per waiting flow */

/* A datagram held for a flow whose socket is being made. */
struct held {
	struct held *next;
	size_t len;
	unsigned char data[];
};

/* A UDP client of a forward. */
struct vds_flow {
	struct vds_maker_job job;  /* first: its socket in the stack */
	struct vds_fwd *fwd;
	const struct vds_fwd_listener *l; /* the socket the client writes to */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int fd;                    /* connected to l->peer */
	struct vds_watch *w;
	int64_t last;              /* ms, last datagram either way */
	bool waiting;              /* its socket is a job at the maker */
	struct held *held, **held_tail;
	size_t held_bytes;
	struct vds_flow *next;
};

/* job_flow - Return: the flow whose job j is. */
static struct vds_flow *job_flow(struct vds_maker_job *j)
{
	return (struct vds_flow *)((char *)j - offsetof(struct vds_flow, job));
}

/* held_free - free the datagrams a flow holds. */
static void held_free(struct vds_flow *fl)
{
	while (fl->held) {
		struct held *h = fl->held;

		fl->held = h->next;
		vds_free(h);
	}
	fl->held_tail = &fl->held;
	fl->held_bytes = 0;
}

/* flow_unlink - take fl off its forward's list (lock held). */
static void flow_unlink(struct vds_flow *fl)
{
	struct vds_fwd *f = fl->fwd;
	struct vds_flow **p;

	for (p = &f->flows; *p && *p != fl; p = &(*p)->next)
		;
	if (*p) {
		*p = fl->next;
		f->nflows--;
	}
	fl->next = NULL;
}

/* flow_free_locked - close a flow with a socket and free it (lock held). */
static void flow_free_locked(struct vds_flow *fl)
{
	flow_unlink(fl);
	vds_loop_watch_del(fl->w);
	if (fl->fd >= 0)
		close(fl->fd);
	held_free(fl);
	vds_free(fl);
}

/* flow_free - flow_free_locked under the maker's lock. */
static void flow_free(struct vds_flow *fl)
{
	vds_maker_lock();
	flow_free_locked(fl);
	vds_maker_unlock();
}

/* flow_readable - datagrams from the guest, back to the client. */
static void flow_readable(void *arg, uint32_t events)
{
	struct vds_flow *fl = arg;
	struct vds_fwd *f = fl->fwd;

	(void)events;
	for (int i = 0; i < FWD_UDP_BATCH; i++) {
		ssize_t n = recv(fl->fd, f->buf, FWD_UDP_BUF, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			continue; /* an ICMP error, reported once: go on */
		}
		fl->last = vds_now_ms();
		sendto(fl->l->fd, f->buf, (size_t)n, MSG_DONTWAIT,
		       (struct sockaddr *)&fl->peer, fl->peerlen);
	}
}

/* sweep_arm - have the sweep run in FWD_UDP_SWEEP_MS unless it is due. */
static void sweep_arm(struct vds_fwd *f)
{
	if (f->timer_armed)
		return;
	vds_loop_timer_arm(f->timer, FWD_UDP_SWEEP_MS);
	f->timer_armed = true;
}

/* vds_flow_sweep - see flow.h: re-armed while any flow is left. */
void vds_flow_sweep(void *arg)
{
	struct vds_fwd *f = arg;
	int64_t now = vds_now_ms();
	struct vds_flow *fl, *next;

	f->timer_armed = false;
	for (fl = f->flows; fl; fl = next) {
		next = fl->next;
		if (!fl->waiting && now - fl->last >= FWD_UDP_IDLE_MS)
			flow_free(fl);
	}
	if (f->flows)
		sweep_arm(f);
}

static int flow_setup(struct vds_flow *fl);

/* flow_new - a flow for a new client of listener l: waiting, its socket
 * queued at the maker, or, for a direct forward, with its socket made on
 * the host at once.  Return: the flow, or NULL (no memory; a direct
 * flow whose socket failed). */
static struct vds_flow *flow_new(const struct vds_fwd_listener *l,
				 const struct sockaddr_storage *peer,
				 socklen_t peerlen)
{
	struct vds_fwd *f = l->fwd;
	struct vds_flow *fl = vds_calloc(1, sizeof(*fl));

	if (!fl)
		return NULL;
	*fl = (struct vds_flow){
		.job = { .client = &f->mk },
		.fwd = f,
		.l = l,
		.peerlen = peerlen,
		.fd = -1,
		.last = vds_now_ms(),
		.waiting = true,
		.held_tail = &fl->held,
	};
	memcpy(&fl->peer, peer, peerlen);
	vds_maker_lock();
	fl->next = f->flows;
	f->flows = fl;
	f->nflows++;
	if (f->direct) {
		fl->job.fd = fwd_host_peer(l, SOCK_DGRAM);
		if (flow_setup(fl) < 0)
			fl = NULL; /* freed */
	} else {
		vds_maker_submit(&fl->job);
		f->waiting++;
	}
	vds_maker_unlock();
	sweep_arm(f);
	return fl;
}

/* flow_get - the flow of a client address on listener l, made when it is
 * new and the forward can take one.  Return: the flow, or NULL. */
static struct vds_flow *flow_get(const struct vds_fwd_listener *l,
				 const struct sockaddr_storage *peer,
				 socklen_t peerlen)
{
	struct vds_fwd *f = l->fwd;
	struct vds_flow *fl, **p, *lru = NULL;

	for (p = &f->flows; (fl = *p); p = &fl->next) {
		if (fl->l == l && fl->peerlen == peerlen &&
		    !memcmp(&fl->peer, peer, peerlen)) {
			if (p != &f->flows) {
				/* to the front: busy clients are found first */
				vds_maker_lock();
				*p = fl->next;
				fl->next = f->flows;
				f->flows = fl;
				vds_maker_unlock();
			}
			return fl;
		}
		if (!fl->waiting && (!lru || fl->last < lru->last))
			lru = fl;
	}
	if (f->waiting >= FWD_WAITING_MAX)
		return NULL;
	if (f->nflows >= FWD_UDP_MAXFLOWS) {
		if (!lru)
			return NULL;
		flow_free(lru);
	}
	return flow_new(l, peer, peerlen);
}

/* flow_hold - keep a copy of a datagram for a waiting flow, within
 * FWD_UDP_HOLD_BYTES (one is always kept); drop it otherwise. */
static void flow_hold(struct vds_flow *fl, const unsigned char *data,
		      size_t len)
{
	struct held *h;

	if (fl->held && fl->held_bytes + len > FWD_UDP_HOLD_BYTES)
		return;
	h = vds_malloc(sizeof(*h) + len);
	if (!h)
		return;
	*h = (struct held){ .len = len };
	memcpy(h->data, data, len);
	*fl->held_tail = h;
	fl->held_tail = &h->next;
	fl->held_bytes += len;
}

/* vds_flow_datagram - see flow.h. */
void vds_flow_datagram(void *arg, uint32_t events)
{
	struct vds_fwd_listener *l = arg;
	struct vds_fwd *f = l->fwd;

	(void)events;
	for (int i = 0; i < FWD_UDP_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		struct vds_flow *fl;
		ssize_t n = recvfrom(l->fd, f->buf, FWD_UDP_BUF, MSG_DONTWAIT,
				     (struct sockaddr *)&peer, &plen);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			continue;
		}
		if (plen > sizeof(peer))
			continue;
		fl = flow_get(l, &peer, plen);
		if (!fl)
			continue;
		if (fl->waiting) {
			flow_hold(fl, f->buf, (size_t)n);
			continue;
		}
		fl->last = vds_now_ms();
		send(fl->fd, f->buf, (size_t)n, MSG_DONTWAIT);
	}
}

/* flow_setup - fl's socket came back from the maker (or was made on the
 * host): connect it to its listener's peer address, watch it and send
 * what fl held; on failure fl is freed (its datagrams dropped).  The
 * maker's lock held.  Return: 0, or -1 when fl was freed. */
static int flow_setup(struct vds_flow *fl)
{
	struct vds_fwd *f = fl->fwd;

	fl->waiting = false;
	fl->fd = fl->job.fd;
	fl->job.fd = -1;
	if (fl->fd < 0 ||
	    connect(fl->fd, (const struct sockaddr *)&fl->l->peer,
		    fwd_addrlen(&fl->l->peer)) < 0 ||
	    vds_loop_watch_add(f->loop, fl->fd, EPOLLIN, flow_readable, fl,
			       &fl->w) < 0) {
		flow_free_locked(fl);
		return -1;
	}
	for (struct held *h = fl->held; h; h = h->next)
		send(fl->fd, h->data, h->len, MSG_DONTWAIT);
	held_free(fl);
	fl->last = vds_now_ms();
	return 0;
}

/* vds_flow_made - see flow.h. */
void vds_flow_made(void *arg, uint32_t events)
{
	struct vds_fwd *f = arg;
	struct vds_maker_job *j, *next;

	(void)events;
	vds_maker_lock();
	for (j = vds_maker_collect(&f->mk); j; j = next) {
		next = j->next;
		f->waiting--;
		flow_setup(job_flow(j));
	}
	vds_maker_unlock();
}

/* vds_flow_close_all - see flow.h. */
void vds_flow_close_all(struct vds_fwd *f)
{
	vds_maker_lock();
	while (f->flows) {
		struct vds_flow *fl = f->flows;

		if (fl->waiting)
			flow_unlink(fl);
		else
			flow_free_locked(fl);
	}
	vds_maker_unlock();
}

/* vds_flow_drop - see flow.h. */
void vds_flow_drop(struct vds_maker_job *job, bool in_child)
{
	struct vds_flow *fl = job_flow(job);

	(void)in_child; /* a UDP socket has no reset to avoid */
	if (job->fd >= 0)
		close(job->fd);
	held_free(fl);
	vds_free(fl);
}

/* vds_flow_forget_all - see flow.h. */
void vds_flow_forget_all(struct vds_fwd *f)
{
	for (struct vds_flow *fl = f->flows, *next; fl; fl = next) {
		next = fl->next;
		if (fl->waiting)
			continue;
		if (fl->fd >= 0)
			close(fl->fd);
		held_free(fl);
		vds_free(fl);
	}
	f->flows = NULL;
}
