/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwd.h - port forwards from the host into a stack (fwd.c). */
#ifndef VDS_FWD_H
#define VDS_FWD_H

#include "base/fwdspec.h"
#include "vdestack.h"

struct vds_port;

/* Forwards asked for by a backend's URL (slirp's tcpfwd=/udpfwd=) before
 * the stack exists: bound and listening at once, in the host's stack, so
 * that EADDRINUSE comes from vde_addstack before any namespace is made;
 * they start serving when the stack is ready (fwd.c's stack hooks).
 * Return: 0 or -errno (on failure none of them stays). */
int vds_fwd_port_request(struct vds_port *port,
			 const struct vds_fwdspec *specs, unsigned n);
/* Drop the forwards port asked for that no stack took (backend close). */
void vds_fwd_port_cancel(struct vds_port *port);
/* Add or remove a forward (the work of vde_stackfwd/vde_stackunfwd).
 * Return: 0, -EINVAL, -EADDRINUSE, -ENOENT (remove), -errno. */
int vds_fwd_add(struct vdestack *stack, const struct vds_fwdspec *spec);
int vds_fwd_del(struct vdestack *stack, const struct vds_fwdspec *spec);

#endif /* VDS_FWD_H */
