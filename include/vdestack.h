/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vdestack.h - private network stacks for a process, in user and network
 * namespaces, without root.
 *
 * The first five declarations are the API of VirtualSquare's libvdestack
 * 0.1.2, unchanged (prototypes included), so that programs built against the
 * original run on this library.  See vdestack(3).
 */
#ifndef VDESTACK_H
#define VDESTACK_H

#ifdef __cplusplus
extern "C" {
#endif

struct vdestack;

struct vdestack *vde_addstack(char *vdenet, char *ifname);

void vde_delstack(struct vdestack *stack);

void vde_default_stack(struct vdestack *stack);

int vde_stackcmd(struct vdestack *stack, char *stackcmd);

int vde_msocket(struct vdestack *stack, int domain, int type, int protocol);

/*
 * Extensions of this library (not in the original).
 */

/* Start argv (argv[0] an absolute path) in the stack, with the caller's
 * standard descriptors and envp (NULL: a minimal environment), without
 * waiting.  Returns a process descriptor: readable when the process has
 * ended; closing it kills a process still running.  See vde_stackspawn(3). */
int vde_stackspawn(struct vdestack *stack, char *const argv[],
		   char *const envp[]);

/* Wait for the end of the process of pd; *wstatus as waitpid(2) sets it. */
int vde_stackwait(int pd, int *wstatus);

/* Send signal sig to the process of pd. */
int vde_stackkill(int pd, int sig);

#ifdef __cplusplus
}
#endif

#endif /* VDESTACK_H */
