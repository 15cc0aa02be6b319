/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwd.h - port forwards from the host into a stack (fwd.c). */
#ifndef VDS_FWD_H
#define VDS_FWD_H

#include "base/fwdspec.h"
#include <vdestack.h>

/* Add or remove a forward (the work of vde_stackfwd/vde_stackunfwd).
 * Return: 0, -EINVAL, -EADDRINUSE, -ENOENT (remove), -errno. */
int vds_fwd_add(struct vdestack *stack, const struct vds_fwdspec *spec);
int vds_fwd_del(struct vdestack *stack, const struct vds_fwdspec *spec);

#endif /* VDS_FWD_H */
