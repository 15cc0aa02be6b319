/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kseg.h - the application's side of kernel-joined segments (kseg.c):
 * stacks of a mem:// segment on a bridge in the helper, and the uplink. */
#ifndef VDS_KSEG_H
#define VDS_KSEG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/proto.h"
#include "helper.h"

/* A struct vds_kseg is one segment key of one helper. */
struct vds_kseg;
/* The NEWSTACK call c (its request's flags set, VDS_NEWSTACK_BRIDGE among
 * them when the stack may be joined in the kernel) for a stack whose
 * backend gave the kernel-segment key key (every such stack comes here),
 * and the accounting that keeps the segment's uplink, a port of the
 * backend opened on url, present exactly while it has members of both
 * kinds.  *c->ret_fd (which must not be NULL): the interface descriptor,
 * or -1 when the stack was joined in the kernel (nothing to pump).
 * Return: 0 with *ret_seg, or -errno (nothing of the stack stays). */
int vds_kseg_newstack(struct vds_helper *h, const struct vds_call *c,
		      const char *url, const char *key,
		      struct vds_kseg **ret_seg);
/* The DELSTACK of stack id, which vds_kseg_newstack made as kernel (joined)
 * or not, and its accounting; the stack's port is closed already. */
void vds_kseg_delstack(struct vds_kseg *seg, bool kernel,
		       struct vds_helper *h, uint32_t id);
/* As vds_kseg_delstack, for what the request made made (NEWSTACK, or
 * ADDIF: its interface goes with a DELIF; vds_kseg_newstack takes either). */
void vds_kseg_leave(struct vds_kseg *seg, bool kernel, struct vds_helper *h,
		    const struct vds_req *made, uint32_t id);

/* Move interface ifname of stack id, joined to seg's bridge, off it to
 * be pumped (on: the helper's PUMP, *ret_fd the AF_PACKET socket to
 * pump, flags VDS_NEWSTACK_VNET or 0) or back (on false, its port
 * stopped already), the counts and so the uplink following: while off
 * the bridge, the interface counts as a member the backend pumps.
 * Return: 0 or -errno (nothing changed). */
int vds_kseg_pump(struct vds_kseg *seg, struct vds_helper *h, uint32_t id,
		  const char *ifname, bool on, unsigned flags, int *ret_fd);
/* VDESTACK_BRIDGE: whether stacks may be joined in the kernel at all.
 * Return: true or false, -EINVAL for another value than on/off/auto. */
int vds_kseg_allowed(const char *env);

#endif /* VDS_KSEG_H */
