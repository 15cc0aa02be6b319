/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* serve.h - the helper process's one entry point (serve.c). */
#ifndef VDS_SERVE_H
#define VDS_SERVE_H

#include <sys/types.h>

/* The server side, run in the helper process (forked by helper.c): ctl
 * is the control socket, uid/gid the application's, parent its pid.
 * Never returns. */
void vds_helper_main(int ctl, uid_t uid, gid_t gid, pid_t parent)
	__attribute__((noreturn));

#endif /* VDS_SERVE_H */
