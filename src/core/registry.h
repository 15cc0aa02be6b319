/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* registry.h - which backend serves a URL (registry.c). */
#ifndef VDS_REGISTRY_H
#define VDS_REGISTRY_H

#include "backend.h"

/* Pick the backend for a URL and split the URL for its open() (the
 * parts point into url).  Return: 0 with *ret_url and *ret_ops, or
 * -EINVAL (a control character) or -EPROTONOSUPPORT (no backend). */
int vds_registry_lookup(const char *url, struct vds_url *ret_url,
			const struct vds_backend_ops **ret_ops);

/* The built-in backends (each file ends with its table). */
extern const struct vds_backend_ops vds_backend_vdeplug; /* VDS_HAVE_VDEPLUG */
extern const struct vds_backend_ops vds_backend_stream;
extern const struct vds_backend_ops vds_backend_mem;
extern const struct vds_backend_ops vds_backend_slirp;   /* VDS_HAVE_SLIRP */

#endif /* VDS_REGISTRY_H */
