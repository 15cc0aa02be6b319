/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stack.h - what modules above the stacks (src/conf, src/fwd) use of a
 * stack (stack.c): hooks at its start and end, a slot for their data. */
#ifndef VDS_STACK_H
#define VDS_STACK_H

#include <stdbool.h>

#include <vdestack.h>

struct vds_port;

/* What a module above the stacks (fwd.c, conf.c) does when a stack's
 * backend is open but no namespace exists yet (opened: what the URL asks
 * of the module, e.g. slirp's tcpfwd=; a failure fails vde_addstack),
 * when it is ready (its port started; a failure fails vde_addstack) and
 * before it goes (in vde_delstack, in a failed vde_addstack after
 * opened, and in a forked child for its copy).  A module adds its hooks
 * once, before it keeps anything of a stack (at load, for one that acts
 * on URLs); stack.c calls them without knowing the module. */
struct vds_stack_hooks {
	int (*opened)(struct vdestack *s, struct vds_port *port);
	int (*ready)(struct vdestack *s, struct vds_port *port);
	void (*gone)(struct vdestack *s);
	/* (optional) one interface of the stack, on port, goes alone
	 * (vde_stackdelif, a failed vde_stackaddif): what its opened hook
	 * made for it goes too; never called for the stack's end (gone) */
	void (*closed)(struct vdestack *s, struct vds_port *port);
};
void vds_stack_hooks_add(const struct vds_stack_hooks *h);
/* Per-stack data of a module (NULL until set), which its gone
 * hook frees.  Callers serialise with their own lock. */
enum vds_stack_slot { VDS_SLOT_CONF, VDS_SLOT_FWD, VDS_SLOTS };
void **vds_stack_slot(struct vdestack *s, enum vds_stack_slot which);
/* Whether the stack has a network, and whether that network has a
 * DHCPv4 server (vde_stackconf's "auto"). */
bool vds_stack_has_net(const struct vdestack *s);
bool vds_stack_has_dhcp(const struct vdestack *s);

/* socket(2) in the stack (what vde_msocket() does, with -errno): close-
 * on-exec only with SOCK_CLOEXEC in type.  Return: the descriptor or
 * -errno. */
int vds_stack_socket(struct vdestack *s, int domain, int type, int protocol);

/* Write a network setting of the stack's namespace through the helper,
 * as /proc/sys/PATH (path and value as vds_sysctl_check() takes them:
 * "net/ipv4/ip_forward", "1"), which an application without privileges
 * cannot write itself.  Return: 0 or -errno. */
int vds_stack_sysctl(struct vdestack *s, const char *path, const char *value);

/* Inside the library, sockets are made in the host stack even when a
 * default stack is set: thread-local switch used by the socket()
 * interposition. */
extern __thread int vds_bypass_default;

/* vde_stackspawn() with binds: a NULL-ended vector of pairs of absolute
 * paths (at most VDS_SPAWN_MAXBINDS), each file bound over the other in
 * a mount namespace of the program's own; NULL or empty: none, as
 * vde_stackspawn().  Return: the process descriptor or -errno (-E2BIG
 * beyond the limit). */
int vds_stack_spawn(struct vdestack *stack, char *const argv[],
		    char *const envp[], char *const binds[]);

#endif /* VDS_STACK_H */
