/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* registry.h - which backend serves a URL (registry.c). */
#ifndef VDS_REGISTRY_H
#define VDS_REGISTRY_H

#include "backend.h"

/* Pick the backend for a URL.  Return: the ops, or NULL with
 * *err = -EPROTONOSUPPORT / -EINVAL. */
const struct vds_backend_ops *vds_registry_lookup(const char *url, int *err);

/* The built-in backends (each file ends with its table). */
extern const struct vds_backend_ops vds_backend_vdeplug; /* VDS_HAVE_VDEPLUG */
extern const struct vds_backend_ops vds_backend_stream;
extern const struct vds_backend_ops vds_backend_mem;
extern const struct vds_backend_ops vds_backend_slirp;   /* VDS_HAVE_SLIRP */

#endif /* VDS_REGISTRY_H */
