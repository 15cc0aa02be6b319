/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nspool.h - the helper's worker process (nspool.c): namespaces made
 * ahead, and closes that wait for the kernel. */
#ifndef VDS_NSPOOL_H
#define VDS_NSPOOL_H

#include <stdbool.h>

#include "nsops.h"

/* The worker process that does slow kernel
 * work off the request path: network namespaces made ahead (a bounded
 * pool) and descriptors whose close waits for the kernel (taps, packet
 * sockets). */
/* The worker's name (prctl PR_SET_NAME; its children have it too). */
#define VDS_NSPOOL_NAME "vdestack-pool"
/* Start the worker (VDESTACK_NSPOOL: pool size, 0 = no worker).
 * Return: 0 or -errno (the helper then works without it). */
int vds_nspool_start(void);
/* A stack's namespaces made ahead (or, none being ready and with wait,
 * the next the worker makes), or VDS_STACKNS_NONE (make them now).  The
 * helper waits from VDS_NSPOOL_WAIT_FROM stacks on: its child's copy of
 * its descriptor table then costs more than a wake-up of the worker. */
#define VDS_NSPOOL_WAIT_FROM 256
struct vds_stackns vds_nspool_take(bool wait);
/* Ones made ahead with ifname a veth whose peer (*ret_peer) waits in the
 * base namespace, or VDS_STACKNS_NONE (take plain ones then). */
struct vds_stackns vds_nspool_take_spare(const char *ifname,
					  unsigned *ret_peer);
/* Note that the pool lacks namespaces (after the reply to a request). */
void vds_nspool_refill(void);
/* How long the helper waits without a request before it orders what the
 * pool lacks. */
#define VDS_NSPOOL_QUIET_MS 1
/* Whether the pool lacks namespaces not yet ordered. */
bool vds_nspool_due(void);
/* The helper was idle VDS_NSPOOL_QUIET_MS: the pool's orders go out. */
void vds_nspool_idle(void);
/* Close fd, in the worker when there is one (after the helper's reply),
 * else now. */
void vds_nspool_discard(int fd);
/* The same for the n descriptors of fds (-1s skipped), in one message to
 * the worker (at most 4; more are closed here). */
void vds_nspool_discard_n(const int *fds, unsigned n);
/* In a runner or spawner: close the worker's socket. */
void vds_nspool_drop_fds(void);

#endif /* VDS_NSPOOL_H */
