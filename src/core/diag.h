/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* diag.h - why a stack cannot be made here, and how to fix it (diag.c):
 * the machine's settings read through the seam, the helper's own steps
 * tried in a child, one line of explanation; vde_stackerror(3),
 * vde_stackcheck(3). */
#ifndef VDS_DIAG_H
#define VDS_DIAG_H

#include <stdbool.h>
#include <stddef.h>

/* What keeps a stack from being made. */
enum vds_cause {
	VDS_CAUSE_NONE,         /* nothing failed */
	VDS_CAUSE_MAX_USERNS,   /* user.max_user_namespaces is 0 (ENOSPC) */
	VDS_CAUSE_MAX_NETNS,    /* user.max_net_namespaces is 0 (ENOSPC) */
	VDS_CAUSE_NS_LIMIT,     /* a namespace limit above 0 is reached */
	VDS_CAUSE_USERNS_CLONE, /* Debian's kernel.unprivileged_userns_clone=0 */
	VDS_CAUSE_APPARMOR,     /* kernel.apparmor_restrict_unprivileged_userns=1 */
	VDS_CAUSE_SECCOMP,      /* a seccomp filter refuses new namespaces */
	VDS_CAUSE_NO_USERNS,    /* a kernel without user namespaces */
	VDS_CAUSE_NO_TUN,       /* a tap was asked for: /dev/net/tun fails */
	VDS_CAUSE_NO_VETH,      /* a veth pair cannot be made */
	VDS_CAUSE_NO_LINK,      /* neither a tap nor a veth can be made */
	VDS_CAUSE_NOFILE,       /* EMFILE: RLIMIT_NOFILE reached */
	VDS_CAUSE_NFILE,        /* ENFILE: fs.file-max reached */
	VDS_CAUSE_DEPTH,        /* EUSERS: user namespaces nest too deep */
	VDS_CAUSE_OTHER,        /* an error no setting explains */
};

/* Where the failure happened: anywhere in vde_addstack(), or at one step
 * that vde_stackcheck() tries (the values of VDE_CHECK_*). */
enum vds_diag_step {
	VDS_DIAG_STACK = 0,
	VDS_DIAG_USERNS = 1,
	VDS_DIAG_NETNS = 2,
	VDS_DIAG_TAP = 3,
	VDS_DIAG_VETH = 4,
};

/* A failure to explain. */
struct vds_diag_in {
	int err;                 /* its errno (positive) */
	enum vds_diag_step step;
	bool net;                /* VDS_DIAG_STACK: the stack had a network */
	bool tap_only;           /* ... and VDESTACK_LINK=tap */
	bool before_helper;      /* ... failed before the helper was asked
				  * (the URL's backend, the arguments) */
};

/* Its cause, with the values the explanation names. */
struct vds_diag {
	enum vds_cause cause;
	int err;          /* the errno explained */
	int tun_err;      /* NO_TUN, NO_LINK: why /dev/net/tun failed */
	long value;       /* the setting's value: NS_LIMIT (users), NFILE
			   * (-1: unknown) */
	long value2;      /* NS_LIMIT: user.max_net_namespaces */
};

/* The cause of failure in, from the machine's settings (/proc/sys, the
 * calling thread's status, /dev/net/tun), read now through the seam. */
void vds_diag_find(const struct vds_diag_in *in, struct vds_diag *ret);

/* The longest explanation's bound: lines are shorter. */
#define VDS_DIAG_LINE_MAX 1024

/* One line (no newline) naming the cause of d, its setting and the fix,
 * in buf as snprintf(3) does.  Return: the length of the whole line. */
int vds_diag_format(const struct vds_diag *d, char *buf, size_t size);

/* Try step (VDS_DIAG_USERNS to VDS_DIAG_VETH) in a new child process as
 * the helper does it, each step before it first.  *ret_step: the step
 * that failed.  Return: 0 when it works, or -errno. */
int vds_diag_try(enum vds_diag_step step, enum vds_diag_step *ret_step);

/* Record the result of the calling thread's vde_addstack() (err 0: it
 * worked; net: the URL asked for a network; in_helper: the failure came
 * from the helper or from starting it), for vde_stackerror(). */
void vds_diag_note(int err, bool net, bool in_helper);

#endif /* VDS_DIAG_H */
