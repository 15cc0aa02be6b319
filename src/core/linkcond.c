/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linkcond.c - one direction of a conditioned link: what a misbehaving
 * cable does to the frames that cross it.
 *
 * Theory of operation
 *
 * Each frame that arrives is judged in the order a wire would: a cut
 * cable (down) drops everything; a frame whose IP packets are larger than
 * mtu= is dropped, as a link with a smaller MTU does; then loss, either
 * independent or from a two-state (Gilbert) model whose bad state loses
 * every frame and lasts BURST frames on average; then dup= makes a second
 * copy, which goes the rest of the way on its own (its own corruption,
 * its own jitter).  corrupt= flips one random bit of the Ethernet frame;
 * on a frame with a virtio-net header whose checksum the receiver was to
 * trust (NEEDS_CSUM) the checksum is finished first, so that the receiver
 * finds the damage as it would on a wire.  A segmentation-offloaded frame
 * (one frame for many on the wire) that is to be corrupted is dropped
 * whole: flipping a bit in it would reach the receiver unchecked, and a
 * wire would have lost at least the segment.
 *
 * Timing is a release time per frame.  delay= and jitter= (uniform in
 * +-jitter) give the end of its delay, never earlier than the previous
 * frame's, so frames keep their order; reorder= sends that share of
 * frames at once, ahead of the delayed ones.  rate= is a link that sends
 * at RATE after the delay: a virtual clock (busy_ns) says until when it is
 * busy, and a frame is admitted while what waits for it (busy time times
 * rate, in bytes) leaves room for the frame in queue= bytes (an empty
 * queue always takes one: tail drop in bytes, since a frame may be 64
 * KiB).  A frame counts on the link as the Ethernet frames it stands for
 * (vds_linkcond_measure: a 64 KiB TCP segment is ~45 frames with their
 * headers), so that a TCP stream sees the goodput of a real link of that
 * rate whatever the offloads.  The release is at the end of its sending.
 *
 * A frame due now (or within VDS_LINKCOND_SLACK_NS) with nothing queued
 * before it goes straight to emit, in the caller's batch, without a copy;
 * any other is copied into a ring of records (release time, length,
 * frame) allocated when the conditions are set, never per frame.  Release
 * times in the ring never go backwards, so the ring is a FIFO: the caller
 * asks when its first frame is due (vds_linkcond_due), arms one timer for
 * it, and releases what is due (vds_linkcond_release) in batches.  A full
 * ring drops the frame, as a link's full queue does.
 *
 * Nothing here locks, reads a clock or knows a loop: the caller passes
 * the time and serialises the calls (portlink.c).  The random choices
 * come from a xorshift64* generator per direction.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "linkcond.h"
#include "base/alloc.h"
#include "base/inet.h"
#include "backend.h"

#define REC_ALIGN 16
#define REC_WRAP UINT32_MAX         /* a record's len: go back to 0 */
#define EMIT_BATCH 64
#define NS_PER_S 1000000000ULL
#define XORSHIFT_MUL 0x2545F4914F6CDD1DULL
#define SEED_DEFAULT 0x9E3779B97F4A7C15ULL
#define IPV4_HLEN_MIN 20
#define IPV6_HLEN 40
#define TCP_HLEN_MIN 20
#define UDP_HLEN 8
#define VLAN_HLEN 4

/* One queued frame; the frame's bytes follow, padded to REC_ALIGN. */
struct rec {
	int64_t t;       /* release time, ns */
	uint32_t len;    /* the frame's, or REC_WRAP */
	uint32_t pad;
};

/* Frames that go now, handed to emit in batches. */
struct outq {
	struct vds_frame f[EMIT_BATCH];
	unsigned n;
	vds_linkcond_emit emit;
	void *ctx;
};

/* out_flush - hand the batch so far to emit. */
static void out_flush(struct outq *o)
{
	if (o->n)
		o->emit(o->ctx, o->f, o->n);
	o->n = 0;
}

/* out_add - one more frame for emit (the batch handed on when full). */
static void out_add(struct outq *o, void *data, size_t len)
{
	if (o->n == EMIT_BATCH)
		out_flush(o);
	o->f[o->n++] = (struct vds_frame){ .data = data, .len = len };
}

/* next_rand - the direction's next 64 random bits.  Return: them. */
static uint64_t next_rand(struct vds_linkcond *lc)
{
	uint64_t x = lc->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	lc->rng = x;
	return x * XORSHIFT_MUL;
}

/* hit - an event of chance p (VDS_LINK_ALWAYS scale).
 * Return: true when it happens. */
static bool hit(struct vds_linkcond *lc, uint64_t p)
{
	if (p == 0)
		return false;
	if (p >= VDS_LINK_ALWAYS)
		return true;
	return (next_rand(lc) >> 32) < p;
}

/* lost - the loss model's verdict on the next frame: the two-state model
 * moves first, then loses the frame in its bad state.
 * Return: true when the frame is lost. */
static bool lost(struct vds_linkcond *lc)
{
	if (!lc->c.burst_enter)
		return hit(lc, lc->c.loss);
	if (lc->bad)
		lc->bad = !hit(lc, lc->c.burst_leave);
	else
		lc->bad = hit(lc, lc->c.burst_enter);
	return lc->bad;
}

/* l3l4_len - the IP and transport headers' length of the packet p
 * (len bytes, ethertype type).  Return: it, or 0 when not TCP or UDP
 * over IP, or truncated. */
static size_t l3l4_len(const unsigned char *p, size_t len, uint16_t type)
{
	size_t l3;
	unsigned proto;

	if (type == ETHERTYPE_IP && len >= IPV4_HLEN_MIN) {
		l3 = (size_t)(p[0] & 0xf) * 4;
		proto = p[9];
	} else if (type == ETHERTYPE_IPV6 && len >= IPV6_HLEN) {
		l3 = IPV6_HLEN;
		proto = p[6];
	} else {
		return 0;
	}
	if (proto == IPPROTO_TCP && len >= l3 + TCP_HLEN_MIN)
		return l3 + (size_t)(p[l3 + 12] >> 4) * 4;
	if (proto == IPPROTO_UDP && len >= l3 + UDP_HLEN)
		return l3 + UDP_HLEN;
	return 0;
}

/* vnet_gso - the virtio-net header of f (len bytes).  Return: its GSO
 * segment size, 0 for a frame that stands for itself only. */
static unsigned vnet_gso(const unsigned char *f, size_t len)
{
	struct virtio_net_hdr vh;

	if (len < sizeof(vh))
		return 0;
	memcpy(&vh, f, sizeof(vh));
	if ((vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	return vh.gso_size;
}

/* vds_linkcond_measure - see linkcond.h. */
void vds_linkcond_measure(const unsigned char *f, size_t len, bool vnet,
			  uint64_t *ret_wire, uint32_t *ret_ip)
{
	unsigned gso = vnet ? vnet_gso(f, len) : 0;
	size_t l2 = ETH_HLEN, hdrs, payload, nseg;
	uint16_t type;

	if (vnet) {
		f += len < VDS_VNET_HDR_LEN ? len : VDS_VNET_HDR_LEN;
		len -= len < VDS_VNET_HDR_LEN ? len : VDS_VNET_HDR_LEN;
	}
	*ret_wire = len;
	*ret_ip = 0;
	if (len < ETH_HLEN)
		return;
	type = vds_get16(f + 12);
	if (type == ETHERTYPE_VLAN && len >= ETH_HLEN + VLAN_HLEN) {
		l2 += VLAN_HLEN;
		type = vds_get16(f + 16);
	}
	*ret_ip = (uint32_t)(len - l2);
	hdrs = gso ? l3l4_len(f + l2, len - l2, type) : 0;
	if (!hdrs || len - l2 <= hdrs)
		return;
	payload = len - l2 - hdrs;
	if (payload <= gso)
		return;
	nseg = (payload + gso - 1) / gso;
	*ret_wire = len + (nseg - 1) * (l2 + hdrs);
	*ret_ip = (uint32_t)(hdrs + gso);
}

/* finish_csum - a frame with a virtio-net header whose checksum was left
 * to the receiver (NEEDS_CSUM): the checksum computed and stored, the
 * flag cleared, so that the receiver checks it. */
static void finish_csum(unsigned char *f, size_t len)
{
	struct virtio_net_hdr vh;
	size_t start, field;
	uint16_t sum;

	memcpy(&vh, f, sizeof(vh));
	if (!(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return;
	start = VDS_VNET_HDR_LEN + (size_t)vh.csum_start;
	field = start + vh.csum_offset;
	if (start >= len || field + 2 > len)
		return; /* a frame the receiver refuses anyway */
	sum = vds_csum_add(0, f + start, len - start);
	sum = vds_csum_finish(sum);
	vds_put16(f + field, sum ? sum : 0xffff);
	vh.flags &= (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
	memcpy(f, &vh, sizeof(vh));
}

/* corrupt - flip one random bit of the Ethernet frame in f (after its
 * virtio-net header, whose checksum is finished first). */
static void corrupt(struct vds_linkcond *lc, unsigned char *f, size_t len)
{
	size_t h = lc->hdr_len;
	uint64_t bit;

	if (len <= h)
		return;
	if (h)
		finish_csum(f, len);
	bit = next_rand(lc) % ((uint64_t)(len - h) * 8);
	f[h + bit / 8] ^= (unsigned char)(1u << (bit % 8));
}

/* rec_at - the ring's record at offset pos, skipping a wrap.
 * Return: the offset of the record there. */
static size_t rec_at(const struct vds_linkcond *lc, size_t pos)
{
	const struct rec *r = (const void *)(lc->ring + pos);

	if (pos == lc->size || r->len == REC_WRAP)
		return 0;
	return pos;
}

/* rec_size - a record's room in the ring.  Return: bytes. */
static size_t rec_size(size_t len)
{
	return sizeof(struct rec) + ((len + REC_ALIGN - 1) &
				     ~(size_t)(REC_ALIGN - 1));
}

/* ring_room - where a record of need bytes goes (a wrap marked).
 * Return: true with *ret_at, or false when the ring is full. */
static bool ring_room(struct vds_linkcond *lc, size_t need, size_t *ret_at)
{
	if (lc->count == 0)
		lc->head = lc->tail = 0;
	if (lc->count && lc->tail == lc->head)
		return false;
	if (lc->count == 0 || lc->tail > lc->head) {
		if (lc->size - lc->tail >= need) {
			*ret_at = lc->tail;
			return true;
		}
		if (need > lc->head)
			return false;
		if (lc->size > lc->tail)
			((struct rec *)(void *)(lc->ring + lc->tail))->len = REC_WRAP;
		*ret_at = 0;
		return true;
	}
	if (lc->head - lc->tail < need)
		return false;
	*ret_at = lc->tail;
	return true;
}

/* push - queue a copy of fr, due at t (not before the last one), bad:
 * corrupt the copy.  Return: false when the ring is full. */
static bool push(struct vds_linkcond *lc, const struct vds_frame *fr,
		 int64_t t, bool bad)
{
	size_t need = rec_size(fr->len), at;
	struct rec *r;

	if (!lc->ring || !ring_room(lc, need, &at))
		return false;
	r = (void *)(lc->ring + at);
	if (t < lc->last_ns)
		t = lc->last_ns;
	*r = (struct rec){ .t = t, .len = (uint32_t)fr->len };
	memcpy(r + 1, fr->data, fr->len);
	if (bad)
		corrupt(lc, (unsigned char *)(r + 1), fr->len);
	lc->tail = at + need;
	lc->last_ns = t;
	lc->count++;
	return true;
}

/* rate_admit - the rate limit's verdict on a frame of wire bytes that
 * reaches the link at *t: admitted while the queue has room for it (an
 * empty one always has), *t then the end of its sending.
 * Return: false when it is dropped (the queue is full). */
static bool rate_admit(struct vds_linkcond *lc, uint64_t wire, int64_t *t)
{
	uint64_t bps = lc->c.rate_bps;
	int64_t start = *t;

	if (lc->busy_ns > *t) {
		unsigned __int128 waiting =
			(unsigned __int128)(lc->busy_ns - *t) * bps /
			(8 * NS_PER_S);

		if (waiting + wire > lc->c.queue_bytes)
			return false;
		start = lc->busy_ns;
	}
	lc->busy_ns = start + (int64_t)((unsigned __int128)wire * 8 *
					NS_PER_S / bps);
	*t = lc->busy_ns;
	return true;
}

/* schedule - the release time of a frame of wire bytes arriving at now:
 * its delay and jitter (no earlier than the frame before), then the
 * rate limit.  Return: true with *ret_t, false when the rate limit's
 * queue drops it. */
static bool schedule(struct vds_linkcond *lc, uint64_t wire, int64_t now,
		     int64_t *ret_t)
{
	int64_t t = now, arrive = lc->arrive_ns;

	if (lc->c.delay_us) {
		int64_t j = lc->c.jitter_us * 1000;

		t = now + lc->c.delay_us * 1000;
		if (j)
			t += (int64_t)(next_rand(lc) % (uint64_t)(2 * j + 1)) - j;
		if (t < arrive)
			t = arrive;
		arrive = t;
	}
	if (lc->c.rate_bps && !rate_admit(lc, wire, &t))
		return false;
	lc->arrive_ns = arrive;
	*ret_t = t;
	return true;
}

/* one_copy - one copy of fr on its way: corrupted or not, reordered or
 * scheduled, then out now or queued (a drop counted where it goes no
 * further). */
static void one_copy(struct vds_linkcond *lc, const struct vds_frame *fr,
		     uint64_t wire, int64_t now, struct outq *o)
{
	bool bad = hit(lc, lc->c.corrupt);
	bool reordered = hit(lc, lc->c.reorder);
	int64_t t = now;

	if (bad && lc->hdr_len && vnet_gso(fr->data, fr->len)) {
		atomic_fetch_add_explicit(&lc->drops, 1, memory_order_relaxed);
		return;
	}
	if (!reordered && !schedule(lc, wire, now, &t)) {
		atomic_fetch_add_explicit(&lc->drops, 1, memory_order_relaxed);
		return;
	}
	if (t <= now + VDS_LINKCOND_SLACK_NS && (reordered || !lc->count)) {
		if (!bad) {
			out_add(o, fr->data, fr->len);
			return;
		}
		out_flush(o);
		memcpy(lc->scratch, fr->data, fr->len);
		corrupt(lc, lc->scratch, fr->len);
		o->emit(o->ctx, &(struct vds_frame){ .data = lc->scratch,
						     .len = fr->len }, 1);
		return;
	}
	if (!push(lc, fr, t, bad))
		atomic_fetch_add_explicit(&lc->drops, 1, memory_order_relaxed);
}

/* one_frame - the verdicts on one arriving frame, in a wire's order. */
static void one_frame(struct vds_linkcond *lc, const struct vds_frame *fr,
		      int64_t now, struct outq *o)
{
	uint64_t wire;
	uint32_t ip;
	unsigned copies = 1;

	vds_linkcond_measure(fr->data, fr->len, lc->hdr_len != 0, &wire, &ip);
	if (lc->down || fr->len > VDS_LINKCOND_FRAME_MAX ||
	    (lc->c.mtu && ip > lc->c.mtu) || lost(lc)) {
		atomic_fetch_add_explicit(&lc->drops, 1, memory_order_relaxed);
		return;
	}
	if (hit(lc, lc->c.dup)) {
		copies = 2;
		atomic_fetch_add_explicit(&lc->dups, 1, memory_order_relaxed);
	}
	while (copies--)
		one_copy(lc, fr, wire, now, o);
}

/* vds_linkcond_input - see linkcond.h. */
void vds_linkcond_input(struct vds_linkcond *lc, const struct vds_frame *f,
			unsigned n, int64_t now_ns, vds_linkcond_emit emit,
			void *ctx)
{
	struct outq o = { .emit = emit, .ctx = ctx };

	if (!lc->active) {
		emit(ctx, f, n);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		one_frame(lc, &f[i], now_ns, &o);
	out_flush(&o);
}

/* vds_linkcond_due - see linkcond.h.  Return: ns, or -1. */
int64_t vds_linkcond_due(const struct vds_linkcond *lc)
{
	if (!lc->count)
		return -1;
	return ((const struct rec *)(const void *)
		(lc->ring + rec_at(lc, lc->head)))->t;
}

/* vds_linkcond_release - see linkcond.h: batches of EMIT_BATCH, the ring's
 * room given back only once emit has returned. */
void vds_linkcond_release(struct vds_linkcond *lc, int64_t now_ns,
			  vds_linkcond_emit emit, void *ctx)
{
	struct vds_frame f[EMIT_BATCH];
	int64_t until = now_ns > INT64_MAX - VDS_LINKCOND_SLACK_NS ?
			INT64_MAX : now_ns + VDS_LINKCOND_SLACK_NS;

	while (lc->count) {
		size_t pos = lc->head;
		unsigned k = 0;

		while (k < EMIT_BATCH && k < lc->count) {
			struct rec *r;

			pos = rec_at(lc, pos);
			r = (void *)(lc->ring + pos);
			if (r->t > until)
				break;
			f[k++] = (struct vds_frame){ .data = r + 1, .len = r->len };
			pos += rec_size(r->len);
		}
		if (!k)
			break;
		emit(ctx, f, k);
		lc->head = pos;
		lc->count -= k;
	}
}

/* ring_bytes - the ring conditions c need: the whole delay line with a
 * delay; else twice the rate's queue (records have headers) and room for
 * the frames an empty queue always takes.  Return: bytes (0: none). */
static size_t ring_bytes(const struct vds_linkdir *c)
{
	size_t b;

	if (c->delay_us)
		return VDS_LINKCOND_RING_BYTES;
	if (!c->rate_bps)
		return 0;
	b = 2 * (size_t)c->queue_bytes + 4 * rec_size(VDS_LINKCOND_FRAME_MAX);
	return b < VDS_LINKCOND_RING_BYTES ? b : VDS_LINKCOND_RING_BYTES;
}

/* vds_linkcond_init - see linkcond.h. */
void vds_linkcond_init(struct vds_linkcond *lc, size_t hdr_len,
		       uint64_t seed)
{
	*lc = (struct vds_linkcond){ .hdr_len = hdr_len,
				     .rng = seed ? seed : SEED_DEFAULT };
	atomic_init(&lc->drops, 0);
	atomic_init(&lc->dups, 0);
}

/* vds_linkcond_reserve - see linkcond.h: a ring when lc has none, or a
 * larger one while lc's is empty; a scratch frame for corrupt=.
 * Return: 0 or -ENOMEM. */
int vds_linkcond_reserve(const struct vds_linkcond *lc,
			 const struct vds_linkdir *c,
			 struct vds_linkcond_res *ret)
{
	size_t want = ring_bytes(c);

	*ret = (struct vds_linkcond_res){ 0 };
	if (want && (!lc->ring || (lc->size < want && !lc->count))) {
		ret->ring = vds_malloc(want);
		ret->size = want;
		if (!ret->ring)
			return -ENOMEM;
	}
	if (c->corrupt && !lc->scratch) {
		ret->scratch = vds_malloc(VDS_LINKCOND_FRAME_MAX);
		if (!ret->scratch) {
			vds_linkcond_unreserve(ret);
			return -ENOMEM;
		}
	}
	return 0;
}

/* vds_linkcond_unreserve - see linkcond.h. */
void vds_linkcond_unreserve(struct vds_linkcond_res *res)
{
	vds_free(res->ring);
	vds_free(res->scratch);
	*res = (struct vds_linkcond_res){ 0 };
}

/* ring_apply - the ring conditions that need want bytes keep: the one
 * reserved (lc's had to be empty, or absent), lc's own (frames may have
 * been queued since the reservation: they stay), or none (frames queued
 * go out now, or are dropped by a cut). */
static void ring_apply(struct vds_linkcond *lc, size_t want, bool down,
		       struct vds_linkcond_res *res, vds_linkcond_emit emit,
		       void *ctx)
{
	if (down) {
		atomic_fetch_add_explicit(&lc->drops, lc->count,
					  memory_order_relaxed);
		lc->count = 0;
	}
	if (!want) {
		if (lc->count)
			vds_linkcond_release(lc, INT64_MAX, emit, ctx);
		vds_free(lc->ring);
		lc->ring = NULL;
		lc->size = 0;
		lc->count = 0;
	} else if (res->ring && (!lc->ring || !lc->count)) {
		vds_free(lc->ring);
		lc->ring = res->ring;
		lc->size = res->size;
		lc->count = 0;
		res->ring = NULL;
	}
}

/* vds_linkcond_apply - see linkcond.h. */
void vds_linkcond_apply(struct vds_linkcond *lc, const struct vds_linkdir *c,
			bool down, struct vds_linkcond_res *res,
			int64_t now_ns, vds_linkcond_emit emit, void *ctx)
{
	ring_apply(lc, ring_bytes(c), down, res, emit, ctx);
	if (res->scratch && !lc->scratch) {
		lc->scratch = res->scratch;
		res->scratch = NULL;
	} else if (!c->corrupt) {
		vds_free(lc->scratch);
		lc->scratch = NULL;
	}
	vds_linkcond_unreserve(res);
	lc->c = *c;
	lc->down = down;
	lc->active = down || vds_linkdir_active(c);
	lc->bad = false;
	if (lc->busy_ns < now_ns)
		lc->busy_ns = now_ns;
}

/* vds_linkcond_fini - see linkcond.h. */
void vds_linkcond_fini(struct vds_linkcond *lc)
{
	vds_free(lc->ring);
	vds_free(lc->scratch);
	lc->ring = lc->scratch = NULL;
	lc->size = 0;
	lc->count = 0;
}
