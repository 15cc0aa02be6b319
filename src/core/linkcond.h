/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* linkcond.h - one direction of a conditioned link (linkcond.c): loss,
 * duplication, corruption, MTU, a delay line and a rate limit, on frames,
 * with no thread, no clock and no loop of its own. */
#ifndef VDS_LINKCOND_H
#define VDS_LINKCOND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "linkspec.h"

/* The delay line's room per direction (frames beyond it are dropped, as
 * by a link's full queue), and what a release may take early: frames
 * due this close together go out in one batch. */
#define VDS_LINKCOND_RING_BYTES (16u * 1024 * 1024)
#define VDS_LINKCOND_SLACK_NS 20000
/* The largest frame a conditioner takes (the pump's largest). */
#define VDS_LINKCOND_FRAME_MAX (65536 + 64)

/* Where frames that go on are handed: n frames valid during the call. */
typedef void (*vds_linkcond_emit)(void *ctx, const struct vds_frame *f,
				  unsigned n);

struct vds_linkcond {
	struct vds_linkdir c;
	bool down;              /* the cable cut: every frame dropped */
	bool active;            /* c changes something, or down */
	size_t hdr_len;         /* bytes before the Ethernet header (vnet) */
	uint64_t rng;           /* xorshift64* state */
	bool bad;               /* two-state loss: in the bad state */
	/* the queue: records (a release time, a length, the frame) in a
	 * ring, released in order; release times never go backwards */
	unsigned char *ring;
	size_t size, head, tail;
	unsigned count;
	int64_t last_ns;        /* release time of the last record queued */
	int64_t arrive_ns;      /* the last frame's end of its delay */
	int64_t busy_ns;        /* rate: the link is sending until then */
	unsigned char *scratch; /* a corrupted copy that goes at once */
	atomic_ulong drops;     /* frames dropped by the conditions */
	atomic_ulong dups;      /* extra copies made */
};

/* A plain wire for frames with hdr_len bytes before their Ethernet
 * header, random choices seeded from seed.  Return: nothing. */
void vds_linkcond_init(struct vds_linkcond *lc, size_t hdr_len,
		       uint64_t seed);
/* The memory conditions need, allocated before they are applied, so that
 * applying them cannot fail. */
struct vds_linkcond_res {
	unsigned char *ring, *scratch;
	size_t size;
};
/* Allocate what lc lacks for conditions c.  Return: 0 or -ENOMEM
 * (nothing allocated). */
int vds_linkcond_reserve(const struct vds_linkcond *lc,
			 const struct vds_linkdir *c,
			 struct vds_linkcond_res *ret);
/* Free a reservation not applied.  Return: nothing. */
void vds_linkcond_unreserve(struct vds_linkcond_res *res);
/* Replace the conditions by c and the cut by down, with res from
 * vds_linkcond_reserve() for c (consumed): frames queued stay queued
 * when c queues too, go out now through emit when it does not, and are
 * dropped by a cut.  Return: nothing. */
void vds_linkcond_apply(struct vds_linkcond *lc, const struct vds_linkdir *c,
			bool down, struct vds_linkcond_res *res,
			int64_t now_ns, vds_linkcond_emit emit, void *ctx);
/* Frames arriving at now_ns: those that go now are passed to emit (in
 * batches, in order), the others queued.  Return: nothing. */
void vds_linkcond_input(struct vds_linkcond *lc, const struct vds_frame *f,
			unsigned n, int64_t now_ns, vds_linkcond_emit emit,
			void *ctx);
/* The release time of the first frame queued.  Return: it (ns), or -1
 * when none is. */
int64_t vds_linkcond_due(const struct vds_linkcond *lc);
/* Pass the frames due by now_ns (and VDS_LINKCOND_SLACK_NS) to emit.
 * Return: nothing. */
void vds_linkcond_release(struct vds_linkcond *lc, int64_t now_ns,
			  vds_linkcond_emit emit, void *ctx);
/* Free the queue; frames in it are dropped.  Return: nothing. */
void vds_linkcond_fini(struct vds_linkcond *lc);

/* What a frame stands for on a wire (a segmentation-offloaded one for
 * several): *ret_wire the bytes of its Ethernet frames, *ret_ip the size
 * of its largest IP packet.  vnet: f starts with a virtio-net header.
 * Return: nothing. */
void vds_linkcond_measure(const unsigned char *f, size_t len, bool vnet,
			  uint64_t *ret_wire, uint32_t *ret_ip);

#endif /* VDS_LINKCOND_H */
