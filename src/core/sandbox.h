/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sandbox.h - the frame pump's seccomp filter (sandbox.c). */
#ifndef VDS_SANDBOX_H
#define VDS_SANDBOX_H


/* Install the filter (and no_new_privs) on the calling thread only.
 * Return: 0, -ENOSYS (unknown architecture) or -errno. */
int vds_sandbox_thread(void);

#endif /* VDS_SANDBOX_H */
