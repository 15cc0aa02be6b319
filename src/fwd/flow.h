/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* flow.h - UDP forwards (flow.c): one socket on the other side per
 * client address and listener, a "flow". */
#ifndef VDS_FLOW_H
#define VDS_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "forward.h"
#include "maker.h"

/* Loop thread.  The watch on a bound socket (arg: the vds_fwd_listener):
 * datagrams from its clients, to its peer address on the other side. */
void vds_flow_datagram(void *arg, uint32_t events);
/* The watch on the maker's eventfd (arg: the forward): flows whose
 * sockets are made connect to the guest and send what they held. */
void vds_flow_made(void *arg, uint32_t events);
/* The forward's timer (arg: the forward): close the idle flows. */
void vds_flow_sweep(void *arg);
/* Close every flow of f with a socket; the waiting ones leave f->flows
 * and stay their jobs' (the forward stops). */
void vds_flow_close_all(struct vds_fwd *f);

/* Any thread.  Free a waiting flow the maker gave back (the socket made
 * for it closed); in_child as for vds_splice_drop. */
void vds_flow_drop(struct vds_maker_job *job, bool in_child);
/* In a forked child: close the child's copies of f's flows with a socket
 * and free them; the waiting ones are their jobs' (vds_maker_forget). */
void vds_flow_forget_all(struct vds_fwd *f);

#endif /* VDS_FLOW_H */
