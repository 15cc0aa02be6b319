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

/* One request/response with the helper over a private channel.
 * fds: descriptors to pass with the request; ret_fd: receives one
 * descriptor from the reply (or NULL).  Return: reply status (>= 0)
 * or -errno; -ESRCH when the helper is gone. */
int vds_helper_call(struct vds_helper *h, const struct vds_req *req,
		    const void *payload, const int *fds, unsigned nfds,
		    struct vds_rep *rep, int *ret_fd);

/* As vds_helper_call; with VDS_CALL_INHERIT the reply's descriptor is
 * received without close-on-exec (vde_msocket without SOCK_CLOEXEC). */
#define VDS_CALL_INHERIT 0x1u
int vds_helper_call_opt(struct vds_helper *h, const struct vds_req *req,
			const void *payload, const int *fds, unsigned nfds,
			struct vds_rep *rep, int *ret_fd, unsigned opts);

/* The calling thread's cached reply channel, or -1 (for tests). */
int vds_helper_thread_chan(void);

/* As vds_helper_call, keeping the reply channel open in *ret_chan. */
int vds_helper_call_chan(struct vds_helper *h, const struct vds_req *req,
			 const void *payload, const int *fds, unsigned nfds,
			 struct vds_rep *rep, int *ret_chan);

#endif /* VDS_HELPER_H */
