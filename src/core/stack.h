/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stack.h - what modules above the stacks (src/conf, src/fwd) use of a
 * stack (stack.c): hooks at its start and end, a slot for their data. */
#ifndef VDS_STACK_H
#define VDS_STACK_H

#include "vdestack.h"

struct vds_port;

/* What a module above the stacks (fwd.c, conf.c) does when a
 * stack is ready (its port started; a failure fails vde_addstack) and
 * before it goes (in vde_delstack, and in a forked child for its copy).
 * A module adds its hooks once, before it keeps anything of a stack;
 * stack.c calls them without knowing the module. */
struct vds_stack_hooks {
	int (*ready)(struct vdestack *s, struct vds_port *port);
	void (*gone)(struct vdestack *s);
};
void vds_stack_hooks_add(const struct vds_stack_hooks *h);
/* Per-stack data of a module (NULL until set), which its gone
 * hook frees.  Callers serialise with their own lock. */
enum vds_stack_slot { VDS_SLOT_CONF, VDS_SLOTS };
void **vds_stack_slot(struct vdestack *s, enum vds_stack_slot which);
/* The URL the stack was made on ("" for no network). */
const char *vds_stack_url(const struct vdestack *s);

/* Inside the library, sockets are made in the host stack even when a
 * default stack is set: thread-local switch used by the socket()
 * interposition. */
extern __thread int vds_bypass_default;

#endif /* VDS_STACK_H */
