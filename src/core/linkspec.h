/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* linkspec.h - the text of vde_stacklink() (linkspec.c): a stack's link
 * conditions as data. */
#ifndef VDS_LINKSPEC_H
#define VDS_LINKSPEC_H

#include <stdbool.h>
#include <stdint.h>

/* The directions of a link: out is from the stack to its network. */
#define VDS_LINK_OUT 0x1u
#define VDS_LINK_IN 0x2u
#define VDS_LINK_BOTH (VDS_LINK_OUT | VDS_LINK_IN)

/* A probability, as the share of 2^32 that a uniform 32-bit random
 * number falls under (VDS_LINK_ALWAYS: every time). */
#define VDS_LINK_ALWAYS (UINT64_C(1) << 32)

/* Bounds of the values a spec may give (anything else is malformed). */
#define VDS_LINK_DELAY_MAX_US (60LL * 1000 * 1000)  /* 60 s */
#define VDS_LINK_RATE_MIN_BPS 1000ULL               /* 1 kbit/s */
#define VDS_LINK_RATE_MAX_BPS 1000000000000ULL      /* 1000 gbit/s */
#define VDS_LINK_QUEUE_DEFAULT (256u * 1024)
#define VDS_LINK_QUEUE_MIN 1024u
#define VDS_LINK_QUEUE_MAX (1024u * 1024 * 1024)
#define VDS_LINK_MTU_MIN 68u
#define VDS_LINK_MTU_MAX 65535u
#define VDS_LINK_BURST_MAX 1000000u                 /* frames */
#define VDS_LINK_SPEC_MAX 1024                      /* characters */

/* The conditions of one direction; all zero is a plain wire. */
struct vds_linkdir {
	int64_t delay_us;
	int64_t jitter_us;     /* uniform in [-jitter, +jitter], <= delay */
	uint64_t loss;         /* VDS_LINK_ALWAYS scale */
	/* loss=PCT/BURST, a two-state (Gilbert) model: the chances of going
	 * from the good state to the bad one and back, per frame; every
	 * frame in the bad state is lost.  Both 0: independent loss. */
	uint64_t burst_enter, burst_leave;
	uint64_t dup, reorder, corrupt;
	uint64_t rate_bps;     /* 0: no limit */
	uint32_t queue_bytes;  /* with rate: the queue in front of it */
	uint32_t mtu;          /* 0: no limit; else the largest IP packet */
};

/* What one vde_stacklink() call says. */
struct vds_linkspec {
	unsigned dirs;         /* VDS_LINK_* the call names (dir=) */
	bool set;              /* the conditions of dirs are replaced by cond
				* (condition keys given, or clear) */
	int cut;               /* 1: down, 0: up, -1: unchanged */
	struct vds_linkdir cond;
	char ifname[16];       /* if=NAME, or "" */
};

/* Parse spec, a comma-separated list of key=value items and the words
 * down, up and clear (see vde_stacklink(3)); nothing is applied.
 * Return: 0 with *ret, or -EINVAL for a malformed spec. */
int vds_linkspec_parse(const char *spec, struct vds_linkspec *ret);

/* Whether a direction's conditions need a queue (delay or rate), and
 * whether it has any condition at all.  Return: true if so. */
bool vds_linkdir_queues(const struct vds_linkdir *c);
bool vds_linkdir_active(const struct vds_linkdir *c);

#endif /* VDS_LINKSPEC_H */
