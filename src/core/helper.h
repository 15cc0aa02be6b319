/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* helper.h - the application's side of the namespace helper (helper.c):
 * start it, hand out references, call it. */
#ifndef VDS_HELPER_H
#define VDS_HELPER_H

#include <stdint.h>

#include "base/proto.h"

struct vds_helper;

/* The process-wide helper, started at first use (a new one after the
 * old one died).  Returns a new reference.  Return: 0 or -errno. */
int vds_helper_get(struct vds_helper **ret);
void vds_helper_put(struct vds_helper *h);

/* One call of the helper: the request, the descriptors that go with it,
 * and where the reply and its descriptor go. */
struct vds_call {
	const struct vds_req *req;
	const int *fds;       /* passed with the request: at most 3 */
	unsigned nfds;
	unsigned opts;        /* VDS_CALL_* */
	struct vds_rep *rep;  /* the reply; NULL: not wanted */
	int *ret_fd;          /* the reply's descriptor, -1 when none came;
			       * NULL: not wanted (closed) */
};

/* The reply's descriptor is received without close-on-exec
 * (vde_msocket without SOCK_CLOEXEC). */
#define VDS_CALL_INHERIT 0x1u
/* The request's descriptors are given: closed here once the request is
 * sent (or could not be), so that while it is on its way the helper's
 * copy, not the caller's, is the one that stays.  They are a courtesy:
 * when they alone keep it from going (no descriptor here for a reply
 * channel, too many in flight), the request goes without them. */
#define VDS_CALL_GIVE 0x2u

/* One request and its reply: on the calling thread's cached reply channel
 * when the op allows it, else on a private one.  Return: the reply's
 * status (>= 0) or -errno; -ESRCH when the helper is gone, -EIO when the
 * runner or spawner that was to answer died first. */
int vds_helper_call(struct vds_helper *h, const struct vds_call *call);

/* Undo what the request made made and the helper carried out: DELSTACK
 * of id (the stack its reply named) for a NEWSTACK, DELIF of its
 * interface for an ADDIF.  What the helper says is not looked at: the
 * stack or interface it named goes, or was already gone.  Inline, so
 * that the unit tests' mock of vds_helper_call sees the request. */
static inline void vds_helper_unmake(struct vds_helper *h,
				     const struct vds_req *made, uint32_t id)
{
	struct vds_req req = { .op = VDS_OP_DELSTACK, .id = id };

	if (made->op == VDS_OP_ADDIF)
		req = (struct vds_req){ .op = VDS_OP_DELIF, .id = made->id,
					.delif = { made->addif.ifname } };
	vds_helper_call(h, &(struct vds_call){ .req = &req });
}

/* The calling thread's cached reply channel, or -1 (for tests). */
int vds_helper_thread_chan(void);

/* Whether pd is a process descriptor of vde_stackspawn(): the end of a
 * seqpacket pair that a helper of this process (or of the parent it was
 * forked from) made.  Return: 0, or -EBADF for any other descriptor. */
int vds_helper_pd_check(int pd);

#endif /* VDS_HELPER_H */
