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

#ifdef __cplusplus
}
#endif

#endif /* VDESTACK_H */
