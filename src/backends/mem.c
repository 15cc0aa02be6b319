/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mem.c - backend for mem://NAME: an in-process Ethernet segment joining
 * every stack of the process opened on the same NAME.
 *
 * Theory of operation
 *
 * A segment is a learning switch in memory: no daemon, no file, no socket.
 * It exists while at least one stack is on it.  When a stack's pump reads a
 * batch from its interface, it calls mem_send() on its own loop thread,
 * which learns the source address of each frame and writes the frame
 * straight into the interface of the port the destination was learned on
 * (vds_port_deliver, safe from any thread), or into every other port's
 * interface for broadcast, multicast and unknown destinations.  So a
 * frame is copied once, from one tap into the other, with no queue and no
 * thread hop in between.  The whole batch is switched at once
 * (mem_switch.c): one reading of the clock, one hold of the locks, and one
 * vds_port_deliver() per destination port with the batch's frames for it.
 *
 * Interfaces on a segment are made with IFF_VNET_HDR and TSO/checksum
 * offloads (VDS_BACKEND_VNET_HDR): every member is such a tap, so a 64 KiB
 * TCP segment with its checksum still to do crosses as one frame and the
 * receiving kernel accepts it as it is, as veth does.
 *
 * The core may keep most members off this switch: mem_kernel_segment()
 * says that the stacks of a segment may be joined in the kernel (its key,
 * "mem:NAME", names the segment among every backend's), and the
 * core then links those on the veth link to one bridge of its own (see
 * bridge.c and kseg.c), where their frames never reach this file.  The
 * switch then serves the other members (taps), and reaches the bridge
 * through one more port, the uplink, which the core opens on the same URL
 * like any member: nothing here needs to know.
 *
 * Locking: the member list is under a writer-preferring rwlock, read-held
 * while forwarding, so a port that leaves (on its own loop thread, in
 * stop) waits until no other thread is writing into its interface.  The
 * forwarding table is a direct-mapped cache of MAC -> port under a mutex;
 * a collision or an aged entry only makes a frame flood, never lose it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mem_switch.h"
#include "core/backend.h"

#define MEM_SCHEME "mem"
#define MEM_KEY_PREFIX MEM_SCHEME ":" /* kernel_segment: "mem:NAME" */
#define MEM_NAME_MAX 255

struct mem_segment {
	char *key;                 /* "mem:NAME", the kernel_segment key */
	const char *name;          /* NAME, in key */
	unsigned users;            /* open backends (segments_lock) */
	pthread_rwlock_t lock;     /* ports */
	struct vds_memsw sw;       /* forwarding logic and table */
	struct mem_segment *next;
};

struct mem_backend {
	struct vds_backend hdr;
	struct mem_segment *seg;
	bool joined;
};

static pthread_mutex_t segments_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mem_segment *segments;

/* segment_get - find or create the segment name, one more user.
 * Return: 0 or -ENOMEM. */
static int segment_get(const char *name, struct mem_segment **ret)
{
	struct mem_segment *seg;
	pthread_rwlockattr_t attr;
	int err = 0;

	pthread_mutex_lock(&segments_lock);
	for (seg = segments; seg; seg = seg->next)
		if (!strcmp(seg->name, name))
			break;
	if (!seg) {
		size_t plen = strlen(MEM_KEY_PREFIX), nlen = strlen(name);

		seg = vds_calloc(1, sizeof(*seg));
		if (seg)
			seg->key = vds_malloc(plen + nlen + 1);
		if (!seg || !seg->key || vds_memsw_init(&seg->sw) < 0) {
			if (seg)
				vds_free(seg->key);
			vds_free(seg);
			err = -ENOMEM;
			goto out;
		}
		memcpy(seg->key, MEM_KEY_PREFIX, plen);
		memcpy(seg->key + plen, name, nlen + 1);
		seg->name = seg->key + plen;
		pthread_rwlockattr_init(&attr);
		pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&seg->lock, &attr);
		pthread_rwlockattr_destroy(&attr);
		seg->next = segments;
		segments = seg;
	}
	seg->users++;
	*ret = seg;
out:
	pthread_mutex_unlock(&segments_lock);
	return err;
}

/* segment_put - one user fewer; the last one frees the segment. */
static void segment_put(struct mem_segment *seg)
{
	struct mem_segment **p;

	pthread_mutex_lock(&segments_lock);
	if (--seg->users == 0) {
		for (p = &segments; *p != seg; p = &(*p)->next)
			;
		*p = seg->next;
		pthread_rwlock_destroy(&seg->lock);
		vds_memsw_fini(&seg->sw);
		vds_free(seg->key);
		vds_free(seg);
	}
	pthread_mutex_unlock(&segments_lock);
}

/* mem_open - join (or create) the segment named after "mem://".
 * Return: 0, -EINVAL for an empty or over-long name, -ENOMEM. */
static int mem_open(const struct vds_url *url, struct vds_port *port,
		    struct vds_backend **ret)
{
	const char *name = url->rest;
	struct mem_backend *b;
	int err;

	if (!*name || strlen(name) > MEM_NAME_MAX)
		return -EINVAL;
	b = vds_calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	err = segment_get(name, &b->seg);
	if (err < 0) {
		vds_free(b);
		return err;
	}
	*ret = &b->hdr;
	return 0;
}

/* mem_start - become a port of the segment.  Return: 0 or -ENOMEM. */
static int mem_start(struct vds_backend *be, struct vds_loop *loop)
{
	struct mem_backend *b = (struct mem_backend *)be;
	int err;

	pthread_rwlock_wrlock(&b->seg->lock);
	err = vds_memsw_add_port(&b->seg->sw, be->port);
	pthread_rwlock_unlock(&b->seg->lock);
	b->joined = err == 0;
	return err;
}

/* mem_send - switch a batch of frames to the other ports.
 * Return: n (frames with no destination are dropped, as on a wire). */
static unsigned mem_send(struct vds_backend *be, const struct vds_frame *f,
			 unsigned n)
{
	struct mem_backend *b = (struct mem_backend *)be;
	int64_t now = vds_now_ms();

	pthread_rwlock_rdlock(&b->seg->lock);
	vds_memsw_forward(&b->seg->sw, be->port, f, n, now);
	pthread_rwlock_unlock(&b->seg->lock);
	return n;
}

/* mem_stop - leave the segment; returns once no other thread writes into
 * this port's interface. */
static void mem_stop(struct vds_backend *be)
{
	struct mem_backend *b = (struct mem_backend *)be;

	if (!b->joined)
		return;
	pthread_rwlock_wrlock(&b->seg->lock);
	vds_memsw_del_port(&b->seg->sw, be->port);
	pthread_rwlock_unlock(&b->seg->lock);
	b->joined = false;
}

/* mem_close - release the segment; accepts NULL. */
static void mem_close(struct vds_backend *be)
{
	struct mem_backend *b = (struct mem_backend *)be;

	if (!b)
		return;
	mem_stop(be);
	segment_put(b->seg);
	vds_free(b);
}

/* mem_kernel_segment - the key under which the core may join this
 * segment's stacks in the kernel: "mem:" and the segment's name (unique
 * in the process, as the segment is).  Return: the key. */
static const char *mem_kernel_segment(struct vds_backend *be)
{
	return ((struct mem_backend *)be)->seg->key;
}

const struct vds_backend_ops vds_backend_mem = {
	.scheme = MEM_SCHEME,
	.open = mem_open,
	.start = mem_start,
	.send = mem_send,
	.stop = mem_stop,
	.close = mem_close,
	.max_frame = 0,
	.flags = VDS_BACKEND_VNET_HDR,
	.kernel_segment = mem_kernel_segment,
};
