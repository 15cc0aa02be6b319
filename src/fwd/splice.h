/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* splice.h - TCP forwards (splice.c): the listeners (on the host, or in
 * the stack for tcp-ns) and the connections spliced between the two. */
#ifndef VDS_SPLICE_H
#define VDS_SPLICE_H

#include <stdbool.h>
#include <stdint.h>

#include "forward.h"
#include "maker.h"

/* Loop thread.  The watch on a listener (arg: the vds_fwd_listener):
 * accept, and queue each connection's peer socket at the maker (or, for
 * a direct forward, make it on the host and connect it). */
void vds_splice_accept(void *arg, uint32_t events);
/* The watch on the maker's eventfd (arg: the forward): the connections
 * whose peer sockets are made connect to the guest. */
void vds_splice_made(void *arg, uint32_t events);
/* The forward's timer (arg: the forward): the listener's rest is over. */
void vds_splice_resume(void *arg);
/* Close every connection of f, with a reset (the forward stops). */
void vds_splice_close_all(struct vds_fwd *f);

/* Any thread.  Close and free a connection the maker gave back
 * (vds_maker_detach: with a reset to the client; vds_maker_forget, in a
 * forked child: only the child's copies). */
void vds_splice_drop(struct vds_maker_job *job, bool in_child);
/* In a forked child: close the child's copies of f's connections, free
 * them (the loop is the parent's). */
void vds_splice_forget_all(struct vds_fwd *f);

#endif /* VDS_SPLICE_H */
