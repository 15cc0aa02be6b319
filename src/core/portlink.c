/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * portlink.c - a port's link conditions and capture: the slow path of
 * the pump, between the interface and the backend.
 *
 * Theory of operation
 *
 * The pump (pump.c) hands a port's frames here only while the port has
 * conditions, a cut or a capture; otherwise it takes its usual path, one
 * test of a flag per batch.  Each direction has its conditioner
 * (linkcond.c); the capture (pcap.c) sees the stack's side of the link:
 * out frames before the out conditions, in frames after the in ones, as
 * a capture on the stack's interface would.
 *
 * Threads: out frames come from the interface on the port's loop thread,
 * and go to the backend's send() there.  In frames come from whichever
 * thread delivers them (a mem:// segment delivers from the sender's
 * loop), so the in conditioner is under a lock of its own; it is never
 * held while calling the backend, so that two ports delivering to each
 * other never wait for each other's lock.  Frames that must wait are
 * released by one timer on the port's loop, armed for the first frame
 * due of either direction (microseconds: vds_loop_timer_arm_us).  A
 * frame that another thread queues into an empty in queue may be due
 * before the timer: that thread writes an eventfd whose watch, on the
 * loop, re-arms the timer.  A long wait is cut in two, most of it, then
 * the last millisecond: the kernel lets a wait end late by a thousandth
 * of its length.  Conditions change on the loop thread too
 * (vds_loop_call from the public call), memory allocated before anything
 * changes, so a failure leaves the link as it was.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "portlink.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "backend.h"
#include "linkcond.h"
#include "linkspec.h"
#include "loop.h"
#include "pcap.h"

#define NS_PER_US 1000
/* A wait longer than PORTLINK_LONG_NS ends PORTLINK_EARLY_NS early, and
 * the rest is waited for then (see rearm). */
#define PORTLINK_LONG_NS 2000000
#define PORTLINK_EARLY_NS 1000000

struct vds_portlink {
	const struct vds_portlink_ops *ops;
	void *port;
	size_t hdr_len;
	struct vds_linkcond out;       /* the loop thread's */
	pthread_mutex_t in_lock;
	struct vds_linkcond in;        /* in_lock */
	struct vds_pcap pcap;
	struct vds_loop *loop;         /* while attached */
	pthread_t thread;              /* the loop's thread, then */
	atomic_bool attached;
	struct vds_timer *release;     /* the first frame due */
	struct vds_timer *flush;       /* the capture's buffer */
	int efd;                       /* another thread queued in frames */
	struct vds_watch *ew;
};

/* out_emit - out frames through the link: to the backend. */
static void out_emit(void *ctx, const struct vds_frame *f, unsigned n)
{
	struct vds_portlink *pl = ctx;

	pl->ops->send(pl->port, f, n);
}

/* in_emit - in frames through the link: captured, then to the
 * interface. */
static void in_emit(void *ctx, const struct vds_frame *f, unsigned n)
{
	struct vds_portlink *pl = ctx;

	if (vds_pcap_on(&pl->pcap))
		vds_pcap_frames(&pl->pcap, f, n);
	pl->ops->write(pl->port, f, n);
}

/* rearm - arm the release timer for the first frame due of either
 * direction, or disarm it (loop thread). */
static void rearm(struct vds_portlink *pl)
{
	int64_t due = vds_linkcond_due(&pl->out), in, now;

	pthread_mutex_lock(&pl->in_lock);
	in = vds_linkcond_due(&pl->in);
	pthread_mutex_unlock(&pl->in_lock);
	if (in >= 0 && (due < 0 || in < due))
		due = in;
	if (due < 0) {
		vds_loop_timer_disarm(pl->release);
		return;
	}
	now = vds_now_ns();
	due = due > now ? due - now : 0;
	/* the kernel lets a long wait end late by a thousandth of it (a
	 * 100 ms delay: 100 us more): wake a little early, then wait the
	 * rest, which is short */
	if (due > PORTLINK_LONG_NS)
		due -= PORTLINK_EARLY_NS;
	vds_loop_timer_arm_us(pl->release, (due + NS_PER_US - 1) / NS_PER_US);
}

/* on_release - the timer: what is due goes, each way. */
static void on_release(void *arg)
{
	struct vds_portlink *pl = arg;
	int64_t now = vds_now_ns();

	vds_linkcond_release(&pl->out, now, out_emit, pl);
	pthread_mutex_lock(&pl->in_lock);
	vds_linkcond_release(&pl->in, now, in_emit, pl);
	pthread_mutex_unlock(&pl->in_lock);
	rearm(pl);
}

/* on_kick - the eventfd: in frames were queued by another thread. */
static void on_kick(void *arg, uint32_t events)
{
	struct vds_portlink *pl = arg;
	uint64_t v;

	if (read(pl->efd, &v, sizeof(v)) < 0) {
		/* nothing to read: another wake took it */
	}
	rearm(pl);
}

/* on_flush - the capture's timer: write what is buffered. */
static void on_flush(void *arg)
{
	struct vds_portlink *pl = arg;

	if (!vds_pcap_on(&pl->pcap))
		return;
	vds_pcap_flush(&pl->pcap);
	vds_loop_timer_arm(pl->flush, VDS_PCAP_FLUSH_MS);
}

/* vds_portlink_new - see portlink.h.  Return: 0 or -errno. */
int vds_portlink_new(const struct vds_portlink_ops *ops, void *port,
		     size_t hdr_len, struct vds_portlink **ret)
{
	struct vds_portlink *pl = vds_calloc(1, sizeof(*pl));
	uint64_t seed = (uint64_t)vds_now_ns() ^ (uint64_t)(uintptr_t)pl;

	if (!pl)
		return -ENOMEM;
	pl->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pl->efd < 0) {
		int err = -errno;

		vds_free(pl);
		return err;
	}
	pl->ops = ops;
	pl->port = port;
	pl->hdr_len = hdr_len;
	vds_linkcond_init(&pl->out, hdr_len, seed);
	vds_linkcond_init(&pl->in, hdr_len, seed * 31 + 7);
	pthread_mutex_init(&pl->in_lock, NULL);
	vds_pcap_init(&pl->pcap);
	atomic_init(&pl->attached, false);
	*ret = pl;
	return 0;
}

/* vds_portlink_free - see portlink.h. */
void vds_portlink_free(struct vds_portlink *pl)
{
	if (!pl)
		return;
	vds_pcap_fini(&pl->pcap);
	vds_linkcond_fini(&pl->out);
	vds_linkcond_fini(&pl->in);
	pthread_mutex_destroy(&pl->in_lock);
	close(pl->efd);
	vds_free(pl);
}

/* vds_portlink_forget - see portlink.h: the capture's descriptor closed
 * without a flush (the buffer is the parent's to write). */
void vds_portlink_forget(struct vds_portlink *pl)
{
	if (!pl)
		return;
	if (pl->pcap.fd >= 0)
		close(pl->pcap.fd);
	vds_free(pl->pcap.buf);
	vds_linkcond_fini(&pl->out);
	vds_linkcond_fini(&pl->in);
	close(pl->efd);
	vds_free(pl);
}

/* vds_portlink_attach - see portlink.h: the timers and the eventfd's
 * watch on loop (its thread).  Return: 0 or -errno. */
int vds_portlink_attach(struct vds_portlink *pl, struct vds_loop *loop)
{
	int err = vds_loop_timer_add(loop, on_release, pl, &pl->release);

	if (err == 0)
		err = vds_loop_timer_add(loop, on_flush, pl, &pl->flush);
	if (err == 0)
		err = vds_loop_watch_add(loop, pl->efd, EPOLLIN, on_kick, pl,
					 &pl->ew);
	if (err < 0) {
		vds_portlink_detach(pl);
		return err;
	}
	pl->loop = loop;
	pl->thread = pthread_self();
	atomic_store(&pl->attached, true);
	rearm(pl);
	if (vds_pcap_on(&pl->pcap))
		vds_loop_timer_arm(pl->flush, VDS_PCAP_FLUSH_MS);
	return 0;
}

/* vds_portlink_detach - see portlink.h (loop thread; accepts a link
 * half attached). */
void vds_portlink_detach(struct vds_portlink *pl)
{
	atomic_store(&pl->attached, false);
	vds_loop_timer_del(pl->release);
	vds_loop_timer_del(pl->flush);
	vds_loop_watch_del(pl->ew);
	pl->release = pl->flush = NULL;
	pl->ew = NULL;
	pl->loop = NULL;
}

/* next_conditions - what a spec leaves to direction lc: its conditions
 * replaced or kept, its cut set or kept. */
static void next_conditions(const struct vds_linkcond *lc,
			    const struct vds_linkspec *ls,
			    struct vds_linkdir *ret_c, bool *ret_down)
{
	*ret_c = ls->set ? ls->cond : lc->c;
	*ret_down = ls->cut < 0 ? lc->down : ls->cut == 1;
}

/* vds_portlink_set - see portlink.h: both directions' memory reserved
 * first; the in lock is not held while out frames may be emitted.
 * Return: 0 or -ENOMEM. */
int vds_portlink_set(struct vds_portlink *pl, const struct vds_linkspec *ls)
{
	struct vds_linkcond_res rout = { 0 }, rin = { 0 };
	struct vds_linkdir cout, cin;
	bool dout, din;
	int err = 0;

	next_conditions(&pl->out, ls, &cout, &dout);
	pthread_mutex_lock(&pl->in_lock);
	next_conditions(&pl->in, ls, &cin, &din);
	if (ls->dirs & VDS_LINK_IN)
		err = vds_linkcond_reserve(&pl->in, &cin, &rin);
	pthread_mutex_unlock(&pl->in_lock);
	if (err == 0 && (ls->dirs & VDS_LINK_OUT))
		err = vds_linkcond_reserve(&pl->out, &cout, &rout);
	if (err < 0) {
		vds_linkcond_unreserve(&rin);
		return err;
	}
	if (ls->dirs & VDS_LINK_OUT)
		vds_linkcond_apply(&pl->out, &cout, dout, &rout, vds_now_ns(),
				   out_emit, pl);
	if (ls->dirs & VDS_LINK_IN) {
		pthread_mutex_lock(&pl->in_lock);
		vds_linkcond_apply(&pl->in, &cin, din, &rin, vds_now_ns(),
				   in_emit, pl);
		pthread_mutex_unlock(&pl->in_lock);
	}
	if (atomic_load(&pl->attached))
		rearm(pl);
	return 0;
}

/* vds_portlink_pcap - see portlink.h (loop thread).  Return: 0 or
 * -errno. */
int vds_portlink_pcap(struct vds_portlink *pl, int fd)
{
	int err;

	if (fd < 0) {
		if (pl->flush)
			vds_loop_timer_disarm(pl->flush);
		return vds_pcap_stop(&pl->pcap);
	}
	err = vds_pcap_start(&pl->pcap, fd, pl->hdr_len);
	if (err == 0 && pl->flush)
		vds_loop_timer_arm(pl->flush, VDS_PCAP_FLUSH_MS);
	return err;
}

/* vds_portlink_busy - see portlink.h.  Return: true while the link
 * conditions, cuts or captures. */
bool vds_portlink_busy(struct vds_portlink *pl)
{
	bool in;

	pthread_mutex_lock(&pl->in_lock);
	in = pl->in.active || pl->in.count;
	pthread_mutex_unlock(&pl->in_lock);
	return in || pl->out.active || pl->out.count ||
	       vds_pcap_on(&pl->pcap);
}

/* vds_portlink_out - see portlink.h: captured, then through the out
 * conditions; the timer armed when the queue was empty. */
void vds_portlink_out(struct vds_portlink *pl, const struct vds_frame *f,
		      unsigned n)
{
	unsigned before = pl->out.count;

	if (vds_pcap_on(&pl->pcap))
		vds_pcap_frames(&pl->pcap, f, n);
	vds_linkcond_input(&pl->out, f, n, vds_now_ns(), out_emit, pl);
	if (!before && pl->out.count)
		rearm(pl);
}

/* vds_portlink_in - see portlink.h: through the in conditions (which
 * capture what goes on); a frame queued into an empty queue has the
 * loop re-arm its timer, directly on its own thread, else through the
 * eventfd. */
void vds_portlink_in(struct vds_portlink *pl, const struct vds_frame *f,
		     unsigned n)
{
	unsigned before;
	bool kick;

	pthread_mutex_lock(&pl->in_lock);
	before = pl->in.count;
	vds_linkcond_input(&pl->in, f, n, vds_now_ns(), in_emit, pl);
	kick = !before && pl->in.count;
	pthread_mutex_unlock(&pl->in_lock);
	if (!kick || !atomic_load(&pl->attached))
		return;
	if (pthread_equal(pl->thread, pthread_self())) {
		rearm(pl);
	} else {
		uint64_t one = 1;

		if (write(pl->efd, &one, sizeof(one)) < 0) {
			/* counter saturated: the loop is woken anyway */
		}
	}
}

/* vds_portlink_counts - see portlink.h. */
void vds_portlink_counts(struct vds_portlink *pl,
			 struct vds_portlink_counts *ret)
{
	*ret = (struct vds_portlink_counts){
		.out_drops = atomic_load_explicit(&pl->out.drops,
						  memory_order_relaxed),
		.in_drops = atomic_load_explicit(&pl->in.drops,
						 memory_order_relaxed),
		.out_dups = atomic_load_explicit(&pl->out.dups,
						 memory_order_relaxed),
		.in_dups = atomic_load_explicit(&pl->in.dups,
						memory_order_relaxed),
	};
}
