/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stack.c - the public entry points: stack lifecycle, commands, sockets and
 * the default stack.
 *
 * Theory of operation: a struct vdestack ties together a namespace kept by
 * the helper (helper.c, named by an id), and, when the stack has a
 * network, the port that pumps frames between its interface and its
 * backend (pump.c).  Internally everything returns -errno; these functions
 * are the only place where that becomes the original's contract of NULL
 * or -1 with errno set.
 *
 * A stack is reference counted so that socket() on the default stack can
 * run without holding a lock while vde_delstack() runs in another thread:
 * the default stack holds a reference of its own, and the stack is torn
 * down when the last reference goes.
 *
 * Requests to the helper are the typed structs of base/proto.h, one
 * vds_helper_call() each.  vde_stackcmd() and vde_stackspawn() pass the
 * caller's open descriptors 0, 1 and 2 (the helper gives /dev/null for
 * the closed ones), so the descriptors the library keeps are moved above
 * 2 (the interface here, the helper's channels in helper.c): a closed
 * standard descriptor is never taken for one of ours.  vde_stackspawn()'s
 * argv and envp travel as two word vectors in the packed form of
 * base/cmdline.h, the form of vde_stackcmd()'s commands.  vde_stackwait()
 * and vde_stackkill() speak the spawner's channel (proto.h) only on a
 * descriptor vds_helper_pd_check() recognises: any other is EBADF, never
 * read (it could block) nor written.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "stack.h"
#include "base/alloc.h"
#include "base/cmdline.h"
#include "base/internal.h"
#include "base/proto.h"
#include "base/spawn.h"
#include "base/sys.h"
#include "backend.h"
#include "diag.h"
#include "helper.h"
#include "ifstats.h"
#include "kseg.h"
#include "linkspec.h"
#include "pump.h"

/* One interface of a stack: its name in the stack, and its network. */
struct vds_iface {
	char name[VDS_IFNAME_MAX + 1];
	struct vds_port *port;    /* the backend, pumped unless joined */
	struct vds_kseg *kseg;    /* its kernel-joinable segment (kseg.c) */
	bool joined;              /* ... joined there: the port never runs */
	bool moved;               /* ... but off the bridge, pumped, while
				   * its link has conditions or a capture */
	struct vds_iface *next;
};

struct vdestack {
	atomic_int refs;
	struct vds_helper *helper;
	uint32_t id;              /* in the helper; 0 = none */
	pid_t owner;              /* process that made the stack */
	void *slots[VDS_SLOTS];   /* modules' data (vds_stack_slot) */
	/* its interfaces, the one made with the stack first (none: no
	 * network); vde_stackaddif() and vde_stackdelif() change the list
	 * under ifs_lock, held across their requests */
	struct vds_iface *ifs;
	pthread_mutex_t ifs_lock;
};

__thread int vds_bypass_default;

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vdestack *default_stack; /* holds a reference */
static atomic_bool have_default;

/* stack_ref - take a reference.  Return: s. */
static struct vdestack *stack_ref(struct vdestack *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

/* Hooks of the modules above this file (vds_stack_hooks_add); a fixed
 * table filled once per module, read without a lock once published. */
#define VDS_STACK_HOOKS_MAX 4

/* A stack's interface may not take one of the application's last this
 * many descriptors: the stacks made until then must still be able to make
 * a socket and run a command (a private reply channel is two), so the
 * stack that would take them fails with EMFILE instead. */
#define VDS_APP_FD_RESERVE 8
static const struct vds_stack_hooks *_Atomic hooks[VDS_STACK_HOOKS_MAX];
static pthread_mutex_t hooks_lock = PTHREAD_MUTEX_INITIALIZER;

/* vds_stack_hooks_add - see stack.h; adding the same hooks twice adds
 * them once. */
void vds_stack_hooks_add(const struct vds_stack_hooks *h)
{
	pthread_mutex_lock(&hooks_lock);
	for (unsigned i = 0; i < VDS_STACK_HOOKS_MAX; i++) {
		const struct vds_stack_hooks *cur = atomic_load(&hooks[i]);

		if (cur == h)
			break;
		if (!cur) {
			atomic_store(&hooks[i], h);
			break;
		}
	}
	pthread_mutex_unlock(&hooks_lock);
}

/* hooks_opened - the opened hooks, in the order added: the backend of
 * port, one of the stack's, is open, its interface not made yet.
 * Return: 0 or the first one's -errno. */
static int hooks_opened(struct vdestack *s, struct vds_port *port)
{
	for (unsigned i = 0; i < VDS_STACK_HOOKS_MAX; i++) {
		const struct vds_stack_hooks *h = atomic_load(&hooks[i]);
		int err;

		if (!h)
			break;
		if (h->opened && (err = h->opened(s, port)) < 0)
			return err;
	}
	return 0;
}

/* hooks_ready - the ready hooks, in the order added, for port.
 * Return: 0 or the first one's -errno. */
static int hooks_ready(struct vdestack *s, struct vds_port *port)
{
	for (unsigned i = 0; i < VDS_STACK_HOOKS_MAX; i++) {
		const struct vds_stack_hooks *h = atomic_load(&hooks[i]);
		int err;

		if (!h)
			break;
		if (h->ready && (err = h->ready(s, port)) < 0)
			return err;
	}
	return 0;
}

/* hooks_gone - every gone hook. */
static void hooks_gone(struct vdestack *s)
{
	for (unsigned i = 0; i < VDS_STACK_HOOKS_MAX; i++) {
		const struct vds_stack_hooks *h = atomic_load(&hooks[i]);

		if (!h)
			break;
		if (h->gone)
			h->gone(s);
	}
}

/* hooks_closed - every closed hook, for port: one interface of s goes. */
static void hooks_closed(struct vdestack *s, struct vds_port *port)
{
	for (unsigned i = 0; i < VDS_STACK_HOOKS_MAX; i++) {
		const struct vds_stack_hooks *h = atomic_load(&hooks[i]);

		if (!h)
			break;
		if (h->closed)
			h->closed(s, port);
	}
}

/* iface_unlink - take interface i off s's list, close its backend (and
 * descriptor) and free it: what the application holds of it; the closed
 * hooks first, unless the whole stack goes (alone: false; the gone hooks
 * took everything then). */
static void iface_unlink(struct vdestack *s, struct vds_iface *i, bool alone)
{
	struct vds_iface **p;

	if (alone && i->port)
		hooks_closed(s, i->port);
	for (p = &s->ifs; *p && *p != i; p = &(*p)->next)
		;
	if (*p)
		*p = i->next;
	vds_port_close(i->port);
	vds_free(i);
}

/* iface_drop - remove interface i from stack s: the application's side
 * first (the pump stops before its interface goes), then the helper's
 * (DELIF, through kseg.c for a kernel segment's member, which counts it);
 * alone: as iface_unlink's.  Return: 0 or the helper's -errno. */
static int iface_drop(struct vdestack *s, struct vds_iface *i, bool alone)
{
	struct vds_req req = { .op = VDS_OP_DELIF, .id = s->id,
			       .delif = { .ifname = i->name } };
	/* what made it, for kseg.c's undo: an ADDIF of this name */
	struct vds_req made = { .op = VDS_OP_ADDIF, .id = s->id,
				.addif = { .ifname = i->name } };
	struct vds_kseg *kseg = i->kseg;
	bool joined = i->joined && !i->moved; /* pumped: not the kernel's */
	char name[sizeof(i->name)];
	int err = 0;

	memcpy(name, i->name, sizeof(name));
	req.delif.ifname = made.addif.ifname = name;
	iface_unlink(s, i, alone);
	if (!s->id)
		return 0;
	if (kseg)
		vds_kseg_leave(kseg, joined, s->helper, &made, s->id);
	else
		err = vds_helper_call(s->helper, &(struct vds_call){ .req = &req });
	return err < 0 ? err : 0;
}

/* iface_find - the interface of s named name (ifs_lock held, or the
 * stack not shared yet).  Return: it or NULL. */
static struct vds_iface *iface_find(struct vdestack *s, const char *name)
{
	for (struct vds_iface *i = s->ifs; i; i = i->next)
		if (!strcmp(i->name, name))
			return i;
	return NULL;
}

/* stack_destroy - release everything a stack holds; accepts a stack that
 * was only partly built.  In a forked child only the child's copies are
 * released: the namespace and the pump belong to the parent. */
static void stack_destroy(struct vdestack *s)
{
	int saved = errno, give = -1;

	hooks_gone(s); /* its host port forwards (fwd.c), its DNS data... */
	if (s->owner != getpid()) {
		while (s->ifs) {
			struct vds_iface *i = s->ifs;

			s->ifs = i->next;
			vds_port_forget(i->port);
			vds_free(i);
		}
		pthread_mutex_destroy(&s->ifs_lock);
		vds_free(s);
		errno = saved;
		return;
	}
	/* every interface but the last goes alone (its segment's accounting
	 * with it); the last one with the stack's DELSTACK */
	while (s->ifs && s->ifs->next)
		iface_drop(s, s->ifs, false);
	if (s->ifs && s->ifs->kseg && s->id) {
		vds_port_close(s->ifs->port);
		vds_kseg_delstack(s->ifs->kseg,
				  s->ifs->joined && !s->ifs->moved, s->helper,
				  s->id);
	} else if (s->ifs) {
		give = vds_port_close_but_fd(s->ifs->port);
	}
	if (s->id && !(s->ifs && s->ifs->kseg)) {
		/* the interface goes with the request: the helper's worker
		 * closes it last, and waits for the kernel there (a tap's or
		 * packet socket's close waits out an RCU grace period) */
		struct vds_req req = { .op = VDS_OP_DELSTACK, .id = s->id };

		vds_helper_call(s->helper, &(struct vds_call){
			.req = &req, .fds = &give, .nfds = give >= 0 ? 1 : 0,
			.opts = VDS_CALL_GIVE });
	} else if (give >= 0) {
		close(give);
	}
	vds_free(s->ifs);
	vds_helper_put(s->helper);
	pthread_mutex_destroy(&s->ifs_lock);
	vds_free(s);
	errno = saved;
}

/* stack_unref - drop a reference; the last one destroys the stack. */
static void stack_unref(struct vdestack *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		stack_destroy(s);
}

/* newstack_flags - the NEWSTACK (or ADDIF) flags of an interface on
 * port (NULL: none, a stack without a network) and, when its segment may
 * be joined in the kernel, the segment's key (VDESTACK_LINK,
 * VDESTACK_BRIDGE and the backend decide).
 * Return: the flags with *ret_key (NULL: not a kernel segment's), or
 * -EINVAL for a bad VDESTACK_LINK or VDESTACK_BRIDGE. */
static int newstack_flags(const struct vds_port *port, const char **ret_key)
{
	unsigned flags;
	int err;

	*ret_key = NULL;
	if (!port)
		return 0;
	err = vds_link_choice(getenv("VDESTACK_LINK"));
	if (err < 0)
		return err;
	flags = VDS_NEWSTACK_TAP | (unsigned)err;
	/* a segment that may be joined in the kernel: the veth link first,
	 * whatever /dev/net/tun allows (kseg.c) */
	*ret_key = vds_port_kernel_segment(port);
	err = vds_kseg_allowed(getenv("VDESTACK_BRIDGE"));
	if (err < 0)
		return err;
	if (*ret_key && err && (flags & VDS_NEWSTACK_LINK_VETH))
		flags |= VDS_NEWSTACK_BRIDGE;
	if (vds_port_flags(port) & VDS_BACKEND_VNET_HDR)
		flags |= VDS_NEWSTACK_VNET;
	return (int)flags;
}

/* fd_in_reserve - whether the descriptor fd, just received, is one of the
 * application's last VDS_APP_FD_RESERVE (the kernel gives the lowest free
 * number, so every one below it is in use).  Return: true when it is. */
static bool fd_in_reserve(int fd)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return false;
	return (rlim_t)fd + VDS_APP_FD_RESERVE >= rl.rlim_cur;
}

/* made_fd - the interface descriptor *fd a NEWSTACK or ADDIF reply
 * brought (-1: none), moved above the standard descriptors (the
 * library's own: never taken for the caller's stdio).
 * Return: 0, or -errno with *fd -1 (closed). */
static int made_fd(int *fd)
{
	int high;

	if (*fd < 0)
		return 0;
	high = vds_fd_above_stdio(*fd);
	*fd = high < 0 ? -1 : high;
	return high < 0 ? high : 0;
}

/* newstack - the stack's namespaces and first interface i (NULL: none)
 * in the helper.  Return: 0 with s->id, i's kseg and joined, and *ret_tap
 * (the interface, or -1: none, or joined in the kernel), or -errno. */
static int newstack(struct vdestack *s, const char *url, struct vds_iface *i,
		    const char *ifname, int *ret_tap)
{
	struct vds_port *port = i ? i->port : NULL;
	struct vds_req req = {
		.op = VDS_OP_NEWSTACK,
		.newstack = { .ifname = ifname,
			      .mtu = port ? vds_port_mtu(port) : 0 },
	};
	struct vds_rep rep = { .status = 0 };
	struct vds_call call = { .req = &req, .rep = &rep, .ret_fd = ret_tap };
	const char *key;
	int err = newstack_flags(port, &key);

	*ret_tap = -1;
	if (err < 0)
		return err;
	req.newstack.flags = (uint32_t)err;
	if (key)
		err = vds_kseg_newstack(s->helper, &call, url, key, &i->kseg);
	else
		err = vds_helper_call(s->helper, &call);
	/* made, but its interface found no free descriptor here */
	if (err == -EMFILE && !key && rep.status >= 0 && rep.id)
		vds_helper_unmake(s->helper, &req, rep.id);
	if (err < 0)
		return err;
	s->id = rep.id;
	if (i)
		i->joined = i->kseg && *ret_tap < 0;
	err = made_fd(ret_tap);
	if (err < 0)
		return err;
	if (*ret_tap >= 0 && fd_in_reserve(*ret_tap)) {
		close(*ret_tap);
		*ret_tap = -1;
		if (key) { /* a member of a kernel segment's, pumped */
			vds_kseg_delstack(i->kseg, false, s->helper, s->id);
			i->kseg = NULL;
		} else {
			vds_helper_unmake(s->helper, &req, s->id);
		}
		s->id = 0;
		return -EMFILE;
	}
	return 0;
}

/* iface_open - a new interface named name on url, its backend open (no
 * namespace, no helper involved yet); the stack's opened hooks run for
 * it, so a port in use that the URL names fails here.
 * Return: 0 with *ret (on s->ifs' end), or -errno (nothing stays but
 * what the hooks keep in the stack, which its gone hooks free). */
static int iface_open(struct vdestack *s, const char *url, const char *name,
		      struct vds_iface **ret)
{
	struct vds_iface *i = vds_calloc(1, sizeof(*i)), **p;
	int err;

	if (!i)
		return -ENOMEM;
	snprintf(i->name, sizeof(i->name), "%s", name);
	err = vds_port_open(url, &i->port);
	if (err < 0) {
		vds_free(i);
		return err;
	}
	for (p = &s->ifs; *p; p = &(*p)->next)
		;
	*p = i; /* before the hooks: a failure's destroy closes its port */
	/* what the URL asks of the modules above (slirp's tcpfwd=) */
	err = hooks_opened(s, i->port);
	*ret = i;
	return err;
}

/* iface_start - pump interface i on tap, its descriptor (-1 when joined
 * in the kernel), then the ready hooks: forwards its URL named serve now.
 * Return: 0 or -errno. */
static int iface_start(struct vdestack *s, struct vds_iface *i, int tap)
{
	int err;

	if (tap < 0 && !i->joined)
		return -EBADMSG;
	if (!i->joined) {
		err = vds_port_start(i->port, tap); /* the port's now */
		if (err < 0)
			return err;
	}
	return hooks_ready(s, i->port);
}

/* stack_create - the work of vde_addstack(); *ret_helper tells whether
 * a failure came from the helper's namespaces and links (for
 * vde_stackerror()).  Return: 0 or -errno. */
static int stack_create(const char *url, const char *ifname,
			struct vdestack **ret, bool *ret_helper)
{
	struct vds_iface *i = NULL;
	struct vdestack *s;
	int err, tap = -1;

	if (!ifname)
		ifname = VDS_DEFAULT_IFNAME;
	err = vds_ifname_check(ifname);
	if (err < 0)
		return err;
	s = vds_calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->ifs_lock, NULL);
	s->owner = getpid();
	/* before any namespace exists: a bad URL costs nothing */
	if (url && url[0] && (err = iface_open(s, url, ifname, &i)) < 0)
		goto fail;
	*ret_helper = true;
	err = vds_helper_get(&s->helper);
	if (err < 0)
		goto fail;
	err = newstack(s, url, i, ifname, &tap);
	if (err < 0)
		goto fail;
	*ret_helper = false;
	if (i) {
		err = iface_start(s, i, tap);
		if (err < 0)
			goto fail;
	} else if (tap >= 0) {
		close(tap);
	}
	*ret = s;
	return 0;
fail:
	stack_destroy(s);
	return err;
}

/* The names vde_stackaddif() gives when it is given none: vde0, vde1...
 * (the first not in use; a name taken inside the stack, by a command,
 * moves on to the next, this many times). */
#define IFACE_AUTO_FMT "vde%u"
#define IFACE_AUTO_TRIES 16

/* iface_auto_name - the first vdeN from n on that s has not (ifs_lock
 * held).  Return: N, with the name in buf. */
static unsigned iface_auto_name(struct vdestack *s, unsigned n, char *buf,
				size_t size)
{
	for (;; n++) {
		snprintf(buf, size, IFACE_AUTO_FMT, n);
		if (!iface_find(s, buf))
			return n;
	}
}

/* addif_call - the ADDIF request for interface i, just opened: through
 * kseg.c (url: to open the segment's uplink) when its segment may be
 * joined in the kernel.  auto_n >= 0: i's
 * name was chosen (vdeN), and a name taken inside the stack moves on.
 * Return: 0 with i's kseg and joined and *ret_tap (-1: joined), or -errno. */
static int addif_call(struct vdestack *s, struct vds_iface *i,
		      const char *url, int auto_n, int *ret_tap)
{
	struct vds_req req = {
		.op = VDS_OP_ADDIF, .id = s->id,
		.addif = { .ifname = i->name, .mtu = vds_port_mtu(i->port) },
	};
	struct vds_rep rep = { .status = 0 };
	struct vds_call call = { .req = &req, .rep = &rep, .ret_fd = ret_tap };
	const char *key;
	int err = newstack_flags(i->port, &key);

	if (err < 0)
		return err;
	req.addif.flags = (uint32_t)err;
	for (unsigned tries = 0;; tries++) {
		*ret_tap = -1;
		if (key)
			err = vds_kseg_newstack(s->helper, &call, url, key,
						&i->kseg);
		else
			err = vds_helper_call(s->helper, &call);
		if (err != -EEXIST || auto_n < 0 || tries == IFACE_AUTO_TRIES)
			break;
		auto_n = (int)iface_auto_name(s, (unsigned)auto_n + 1, i->name,
					      sizeof(i->name));
	}
	/* made, but its interface found no free descriptor here */
	if (err == -EMFILE && !key && rep.status >= 0)
		vds_helper_unmake(s->helper, &req, s->id);
	if (err < 0)
		return err;
	i->joined = i->kseg && *ret_tap < 0;
	return made_fd(ret_tap);
}

/* stack_addif - the work of vde_stackaddif() (ifs_lock held).
 * Return: 0 or -errno (nothing of the interface stays). */
static int stack_addif(struct vdestack *s, const char *url, const char *name)
{
	char autoname[VDS_IFNAME_MAX + 1];
	struct vds_iface *i = NULL;
	int err, tap = -1, auto_n = -1;

	if (!name) {
		auto_n = (int)iface_auto_name(s, 0, autoname, sizeof(autoname));
		name = autoname;
	}
	if (vds_ifname_check(name) < 0)
		return -EINVAL;
	if (iface_find(s, name))
		return -EEXIST;
	err = iface_open(s, url, name, &i);
	if (err == 0)
		err = addif_call(s, i, url, auto_n, &tap);
	if (err < 0) {
		if (i)
			iface_unlink(s, i, true); /* the helper made nothing */
		return err;
	}
	if (tap >= 0 && fd_in_reserve(tap)) {
		/* one of the application's last descriptors: refused, as
		 * vde_addstack() refuses it */
		close(tap);
		iface_drop(s, i, true);
		return -EMFILE;
	}
	err = iface_start(s, i, tap);
	if (err < 0)
		iface_drop(s, i, true);
	return err;
}

/* vde_stackaddif - one more interface, ifname (NULL: the first free
 * vdeN), in stack, on network vdenet (any URL vde_addstack takes).
 * Return: 0 or -1 with errno (see vde_stackaddif(3)). */
VDS_EXPORT int vde_stackaddif(struct vdestack *stack, char *vdenet,
			      char *ifname)
{
	int err;

	if (!stack || !stack->id || !vdenet || !vdenet[0] ||
	    stack->owner != getpid()) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&stack->ifs_lock);
	err = stack_addif(stack, vdenet, ifname);
	pthread_mutex_unlock(&stack->ifs_lock);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* vde_stackdelif - remove interface ifname (the first one too) from
 * stack.  Return: 0 or -1 with errno (EINVAL, ENODEV: none of that name). */
VDS_EXPORT int vde_stackdelif(struct vdestack *stack, char *ifname)
{
	struct vds_iface *i;
	int err = -ENODEV;

	if (!stack || !stack->id || !ifname || vds_ifname_check(ifname) < 0 ||
	    stack->owner != getpid()) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&stack->ifs_lock);
	i = iface_find(stack, ifname);
	if (i)
		err = iface_drop(stack, i, true);
	pthread_mutex_unlock(&stack->ifs_lock);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* vde_addstack - a new stack on network vdenet, interface ifname.
 * Return: the stack, or NULL with errno set (see vde_addstack(3)). */
VDS_EXPORT struct vdestack *vde_addstack(char *vdenet, char *ifname)
{
	struct vdestack *s = NULL;
	bool in_helper = false;
	int err = stack_create(vdenet, ifname, &s, &in_helper);

	/* for vde_stackerror(): why this thread's call failed */
	vds_diag_note(-err, vdenet && vdenet[0], in_helper);
	if (err < 0) {
		errno = -err;
		return NULL;
	}
	return s;
}

/* vde_delstack - delete a stack; NULL is ignored. */
VDS_EXPORT void vde_delstack(struct vdestack *stack)
{
	struct vdestack *old = NULL;

	if (!stack)
		return;
	pthread_mutex_lock(&default_lock);
	if (default_stack == stack) {
		old = default_stack;
		default_stack = NULL;
		atomic_store(&have_default, false);
	}
	pthread_mutex_unlock(&default_lock);
	if (old)
		stack_unref(old);
	stack_unref(stack);
}

/* vde_default_stack - make socket(2) use stack (NULL: the host's). */
VDS_EXPORT void vde_default_stack(struct vdestack *stack)
{
	struct vdestack *old;

	if (stack)
		stack_ref(stack);
	pthread_mutex_lock(&default_lock);
	old = default_stack;
	default_stack = stack;
	atomic_store(&have_default, stack != NULL);
	pthread_mutex_unlock(&default_lock);
	if (old)
		stack_unref(old);
}

/* The calling thread's stack (vde_thread_stack), over the process's
 * default; it holds a reference, which the key's destructor drops when
 * the thread ends.  Only the thread itself reads or changes it, so it
 * needs no lock. */
static __thread struct vdestack *thread_stack;
static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static int thread_key_err; /* pthread_key_create's error, 0: made */

/* thread_stack_end - key destructor: an ending thread's reference. */
static void thread_stack_end(void *arg)
{
	thread_stack = NULL;
	stack_unref(arg);
}

/* thread_key_init - once per process: the key of thread stacks. */
static void thread_key_init(void)
{
	thread_key_err = pthread_key_create(&thread_key, thread_stack_end);
}

/* vde_thread_stack - make the calling thread's socket(2) calls use
 * stack (NULL: the process's default again).  On failure (EAGAIN: no
 * thread key, ENOMEM) the thread's setting is unchanged and errno says
 * why; see vde_thread_stack(3). */
VDS_EXPORT void vde_thread_stack(struct vdestack *stack)
{
	struct vdestack *old = thread_stack;
	int err;

	pthread_once(&thread_once, thread_key_init);
	if (thread_key_err) {
		errno = thread_key_err;
		return;
	}
	if (stack == old)
		return;
	if (stack)
		stack_ref(stack);
	err = pthread_setspecific(thread_key, stack);
	if (err) {
		if (stack)
			stack_unref(stack);
		errno = err;
		return;
	}
	thread_stack = stack;
	if (old)
		stack_unref(old);
}

/* stdio_fds - the caller's open standard descriptors.
 * Return: a mask of which of 0, 1, 2 are open; fds gets them in order. */
static unsigned stdio_fds(int fds[3], unsigned *ret_n)
{
	unsigned mask = 0, n = 0;

	for (int i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) >= 0) {
			mask |= 1u << i;
			fds[n++] = i;
		}
	}
	*ret_n = n;
	return mask;
}

/* vde_stackcmd - run a command sequence in the stack and wait for it.
 * Return: 0 when every command exited with 0, the first non-zero exit
 * status otherwise, or -1 with errno (see vde_stackcmd(3)). */
VDS_EXPORT int vde_stackcmd(struct vdestack *stack, char *stackcmd)
{
	struct vds_cmdseq seq;
	struct vds_req req = { .op = VDS_OP_CMD };
	struct vds_call call = { .req = &req };
	int fds[3], err;

	if (!stack || !stackcmd || !stack->id) {
		errno = EINVAL;
		return -1;
	}
	err = vds_cmdline_parse(stackcmd, 0, &seq);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	req.id = stack->id;
	req.cmd = (struct vds_req_cmd){
		.stdio = stdio_fds(fds, &call.nfds),
		.pgid = getpgrp(),
		.cmds = { .buf = seq.buf, .len = seq.len },
	};
	call.fds = fds;
	err = vds_helper_call(stack->helper, &call);
	vds_cmdline_free(&seq);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return err;
}

/* vds_stack_socket - socket(2) in the stack's network namespace, for the
 * modules above (src/conf, src/fwd) and vde_msocket().  The descriptor is
 * close-on-exec only if type has SOCK_CLOEXEC, as socket(2) makes it.
 * Return: the descriptor, or -errno (socket(2)'s, -EINVAL, -ESRCH when
 * the helper is gone). */
int vds_stack_socket(struct vdestack *s, int domain, int type, int protocol)
{
	struct vds_req req = {
		.op = VDS_OP_SOCKET,
		.socket = { .domain = domain, .type = type,
			    .protocol = protocol },
	};
	int fd, err;

	if (!s || !s->id)
		return -EINVAL;
	req.id = s->id;
	err = vds_helper_call(s->helper, &(struct vds_call){
		.req = &req, .ret_fd = &fd,
		.opts = (type & SOCK_CLOEXEC) ? 0 : VDS_CALL_INHERIT,
	});
	if (err < 0)
		return err;
	return fd < 0 ? -EBADMSG : fd;
}

/* vde_msocket - socket(2) in the stack's network namespace.
 * Return: the descriptor, or -1 with errno (socket(2)'s, or EINVAL,
 * ESRCH when the helper is gone). */
VDS_EXPORT int vde_msocket(struct vdestack *stack, int domain, int type,
			   int protocol)
{
	int fd = vds_stack_socket(stack, domain, type, protocol);

	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

/* socket - socket(2), made in the calling thread's stack when it has
 * one (vde_thread_stack(3)), else in the default stack when one is set
 * (vde_default_stack(3)); the library's own sockets never are.
 * Return: the descriptor, or -1 with errno. */
VDS_EXPORT int socket(int domain, int type, int protocol)
{
	struct vdestack *s = NULL;
	int fd;

	if (thread_stack && !vds_bypass_default) {
		s = stack_ref(thread_stack);
	} else if (atomic_load(&have_default) && !vds_bypass_default) {
		pthread_mutex_lock(&default_lock);
		if (default_stack)
			s = stack_ref(default_stack);
		pthread_mutex_unlock(&default_lock);
	}
	if (!s) {
		fd = vds_sys_socket(domain, type, protocol);
		if (fd < 0) {
			errno = -fd;
			return -1;
		}
		return fd;
	}
	fd = vde_msocket(s, domain, type, protocol);
	stack_unref(s);
	return fd;
}

/* spawn - the work of vde_stackspawn(), and of vds_stack_spawn() with
 * binds (NULL: none).  Return: the process descriptor, or -errno. */
static int spawn(struct vdestack *stack, char *const argv[],
		 char *const envp[], char *const binds[])
{
	struct vds_cmdseq words = { 0 };
	struct vds_req req = { .op = VDS_OP_SPAWN };
	struct vds_call call = { .req = &req };
	int fds[3], pd = -1, err;
	size_t argv_len, env_end;

	/* argv then envp, in cmdline.c's packed form; the whole request is
	 * bounded again by VDS_MSG_MAX when it is packed */
	err = vds_cmdline_pack(&words, argv, VDS_SPAWN_MAXARGS, VDS_MSG_MAX);
	argv_len = words.len;
	if (err >= 0)
		err = vds_cmdline_pack(&words, envp ? envp :
				       vds_spawn_default_env,
				       VDS_SPAWN_MAXENV, VDS_MSG_MAX);
	env_end = words.len;
	if (err >= 0 && binds && binds[0])
		err = vds_cmdline_pack(&words, binds, 2 * VDS_SPAWN_MAXBINDS,
				       VDS_MSG_MAX);
	if (err < 0)
		goto out;
	req.id = stack->id;
	req.spawn = (struct vds_req_spawn){
		.stdio = stdio_fds(fds, &call.nfds),
		.pgid = getpgrp(),
		.argv = { .buf = words.buf, .len = argv_len },
		.envp = { .buf = words.buf + argv_len,
			  .len = env_end - argv_len },
		.binds = { .buf = words.buf + env_end,
			   .len = words.len - env_end },
	};
	call.fds = fds;
	call.ret_fd = &pd;
	err = vds_helper_call(stack->helper, &call);
	if (err >= 0 && pd < 0)
		err = -EBADMSG;
out:
	vds_cmdline_free(&words);
	return err < 0 ? err : pd;
}

/* vde_stackspawn - start a process in the stack without waiting for it.
 * Return: a process descriptor (close-on-exec), or -1 with errno. */
VDS_EXPORT int vde_stackspawn(struct vdestack *stack, char *const argv[],
			      char *const envp[])
{
	int pd;

	if (!stack || !stack->id || !argv || !argv[0] || argv[0][0] != '/') {
		errno = EINVAL;
		return -1;
	}
	pd = spawn(stack, argv, envp, NULL);
	if (pd < 0) {
		errno = -pd;
		return -1;
	}
	return pd;
}

/* vds_stack_spawn - vde_stackspawn() with files bound for the program.
 * Return: the process descriptor or -errno. */
int vds_stack_spawn(struct vdestack *stack, char *const argv[],
		    char *const envp[], char *const binds[])
{
	if (!stack || !stack->id || !argv || !argv[0] || argv[0][0] != '/')
		return -EINVAL;
	return spawn(stack, argv, envp, binds);
}

/* vde_stackwait - wait for the end of a process started by
 * vde_stackspawn; pd becomes readable when it has ended.
 * Return: 0 with *wstatus as waitpid(2) gives it, or -1 with errno
 * (EBADF, not a process descriptor; ESRCH, collected already or the
 * helper is gone; EINVAL for NULL). */
VDS_EXPORT int vde_stackwait(int pd, int *wstatus)
{
	int err;

	if (!wstatus) {
		errno = EINVAL;
		return -1;
	}
	/* before any read: another socket's read could block for ever */
	err = vds_helper_pd_check(pd);
	if (err == 0)
		err = vds_proto_status_recv(pd, wstatus);
	if (err < 0) {
		errno = err == -EBADMSG ? ESRCH : -err;
		return -1;
	}
	return 0;
}

/* vde_stackkill - send signal sig to a process started by vde_stackspawn.
 * Return: 0 or -1 with errno (EINVAL bad signal, EBADF not a process
 * descriptor, ESRCH gone). */
VDS_EXPORT int vde_stackkill(int pd, int sig)
{
	int err;

	if (sig <= 0 || sig >= _NSIG) {
		errno = EINVAL;
		return -1;
	}
	err = vds_helper_pd_check(pd);
	if (err == 0)
		err = vds_proto_kill_send(pd, sig);
	if (err == -EPIPE || err == -ECONNRESET)
		err = -ESRCH; /* the spawner is gone with its program */
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* vds_stack_has_net - whether the stack has a network.
 * Return: true if it has an interface (vde_addstack's, or added). */
bool vds_stack_has_net(const struct vdestack *s)
{
	pthread_mutex_t *lock = (pthread_mutex_t *)&s->ifs_lock;
	bool net;

	pthread_mutex_lock(lock); /* against vde_stackaddif/delif */
	net = s->ifs != NULL;
	pthread_mutex_unlock(lock);
	return net;
}

/* vds_stack_has_dhcp - whether the stack's network has a DHCPv4 server.
 * Return: true when its first interface's backend says so
 * (VDS_BACKEND_DHCP). */
bool vds_stack_has_dhcp(const struct vdestack *s)
{
	pthread_mutex_t *lock = (pthread_mutex_t *)&s->ifs_lock;
	bool dhcp;

	pthread_mutex_lock(lock); /* against vde_stackaddif/delif */
	dhcp = s->ifs && (vds_port_flags(s->ifs->port) & VDS_BACKEND_DHCP);
	pthread_mutex_unlock(lock);
	return dhcp;
}

/* vds_stack_slot - see stack.h.  Return: the slot's address. */
void **vds_stack_slot(struct vdestack *s, enum vds_stack_slot which)
{
	return &s->slots[which];
}

/* vds_stack_sysctl - see stack.h: a SYSCTL request.
 * Return: 0 or -errno. */
int vds_stack_sysctl(struct vdestack *s, const char *path, const char *value)
{
	struct vds_req req = { .op = VDS_OP_SYSCTL,
			       .sysctl = { .path = path, .value = value } };
	int err;

	if (!s || !s->id || vds_sysctl_check(path, value) < 0)
		return -EINVAL;
	req.id = s->id;
	err = vds_helper_call(s->helper, &(struct vds_call){ .req = &req });
	return err < 0 ? err : 0;
}

/* ------------------------------------------------------------------ */
/* Test networks: link conditions, captures, counters (issue 16)        */
/* ------------------------------------------------------------------ */

/* link_pump - interface i of s, joined to its segment's bridge, taken
 * off it and pumped, as it must be while its link has conditions or a
 * capture (they live in the pump); ifs_lock held.  Return: 0 or -errno. */
static int link_pump(struct vdestack *s, struct vds_iface *i)
{
	unsigned flags = vds_port_flags(i->port) & VDS_BACKEND_VNET_HDR ?
			 VDS_NEWSTACK_VNET : 0;
	int fd, err;

	if (!i->joined || i->moved)
		return 0;
	err = vds_kseg_pump(i->kseg, s->helper, s->id, i->name, true, flags,
			    &fd);
	if (err < 0)
		return err;
	err = vds_port_start(i->port, fd); /* the port owns fd now */
	if (err < 0) {
		vds_kseg_pump(i->kseg, s->helper, s->id, i->name, false, flags,
			      &fd);
		return err;
	}
	i->moved = true;
	return 0;
}

/* link_unpump - interface i back on its bridge once its link has
 * nothing left to do (ifs_lock held): no pump, the fast path again. */
static void link_unpump(struct vdestack *s, struct vds_iface *i)
{
	int fd;

	if (!i->moved || vds_port_link_busy(i->port))
		return;
	vds_port_stop(i->port);
	if (vds_kseg_pump(i->kseg, s->helper, s->id, i->name, false, 0,
			  &fd) == 0)
		i->moved = false;
}

/* link_stack_check - a stack whose link may be set: one with a network,
 * made by this process.  Return: 0, -EINVAL, -ENODEV (no network),
 * -ESRCH (a forked child's copy: its pump is the parent's). */
static int link_stack_check(const struct vdestack *s)
{
	if (!s)
		return -EINVAL;
	if (!vds_stack_has_net(s))
		return -ENODEV;
	if (s->owner != getpid())
		return -ESRCH;
	return 0;
}

/* link_iface - the interface a link call is for: name (if=NAME), or
 * the stack's first one when name is empty (ifs_lock held).
 * Return: it, or NULL (no network, or no such interface). */
static struct vds_iface *link_iface(struct vdestack *s, const char *name)
{
	return name[0] ? iface_find(s, name) : s->ifs;
}

/* spec_busies - whether a spec leaves its directions something to do
 * (conditions or a cut).  Return: true if so. */
static bool spec_busies(const struct vds_linkspec *ls)
{
	return ls->cut == 1 || (ls->set && vds_linkdir_active(&ls->cond));
}

/* stack_link - the work of vde_stacklink().  Return: 0 or -errno. */
static int stack_link(struct vdestack *s, const char *spec)
{
	struct vds_linkspec ls;
	struct vds_iface *i;
	int err = link_stack_check(s);

	if (err < 0)
		return err;
	err = vds_linkspec_parse(spec, &ls);
	if (err < 0)
		return err;
	pthread_mutex_lock(&s->ifs_lock);
	i = link_iface(s, ls.ifname);
	if (!i) {
		err = -ENODEV;
	} else if (i->joined && !i->moved && !spec_busies(&ls)) {
		err = 0; /* a joined interface without conditions: as asked */
	} else {
		err = link_pump(s, i);
		if (err == 0)
			err = vds_port_link(i->port, &ls);
		link_unpump(s, i);
	}
	pthread_mutex_unlock(&s->ifs_lock);
	return err;
}

/* vde_stacklink - set the conditions of the stack's link.
 * Return: 0, or -1 with errno (see vde_stacklink(3)). */
VDS_EXPORT int vde_stacklink(struct vdestack *stack, const char *spec)
{
	int err = stack_link(stack, spec);

	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* pcap_open - the capture file path, new or emptied, the library's own
 * descriptor.  Return: it, or -errno. */
static int pcap_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		      O_NOCTTY, 0666);

	if (fd < 0)
		return -errno;
	return vds_fd_above_stdio(fd);
}

/* stack_pcap - the work of vde_stackpcap().  Return: 0 or -errno. */
static int stack_pcap(struct vdestack *s, const char *path)
{
	struct vds_iface *i;
	int err = link_stack_check(s), fd = -1;

	if (err < 0)
		return err;
	if (path && !*path)
		return -EINVAL;
	if (path) {
		fd = pcap_open(path);
		if (fd < 0)
			return fd;
	}
	pthread_mutex_lock(&s->ifs_lock);
	i = s->ifs;
	if (!i) {
		err = -ENODEV;
		if (fd >= 0)
			close(fd);
	} else if (!path && i->joined && !i->moved) {
		err = 0; /* no capture runs */
	} else {
		err = fd >= 0 ? link_pump(s, i) : 0;
		if (err == 0)
			err = vds_port_pcap(i->port, fd); /* owns fd */
		else
			close(fd);
		link_unpump(s, i);
	}
	pthread_mutex_unlock(&s->ifs_lock);
	return err;
}

/* vde_stackpcap - capture the stack's frames into path; NULL stops.
 * Return: 0, or -1 with errno (see vde_stackpcap(3)). */
VDS_EXPORT int vde_stackpcap(struct vdestack *stack, const char *path)
{
	int err = stack_pcap(stack, path);

	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* stats_of - the public counters from the port's.  Return: nothing. */
static void stats_of(const struct vds_port *port, struct vde_stackstats *st)
{
	struct vds_port_counts c;

	vds_port_counts(port, &c);
	*st = (struct vde_stackstats){
		.out_frames = c.rx_frames + c.rx_oversize,
		.out_bytes = c.rx_bytes,
		.in_frames = c.tx_frames,
		.in_bytes = c.tx_bytes,
		.out_link_drops = c.link_out_drops,
		.in_link_drops = c.link_in_drops,
		.out_drops = c.rx_oversize + c.rx_dropped,
		.in_drops = c.tx_drops,
		.out_dups = c.link_out_dups,
		.in_dups = c.link_in_dups,
		.reconnects = c.reconnects,
	};
}

/* joined_stats - a stack joined to its segment's bridge: its frames
 * cross the kernel, so the counters of frames, bytes and other drops are
 * its interface's own (they cover the times it was pumped too); those of
 * the link's conditions are the port's.  An interface renamed since
 * keeps the port's counters.  Return: 0 or -errno. */
static int joined_stats(struct vdestack *s, const struct vds_iface *i,
			struct vde_stackstats *st)
{
	struct rtnl_link_stats64 k;
	int fd = vds_stack_socket(s, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
				  NETLINK_ROUTE);
	int err = fd < 0 ? fd : vds_ifstats_get(fd, i->name, &k);

	if (err == -ENODEV)
		return 0;
	if (err < 0)
		return err;
	st->out_frames = k.tx_packets;
	st->out_bytes = k.tx_bytes;
	st->in_frames = k.rx_packets;
	st->in_bytes = k.rx_bytes;
	st->out_drops = k.tx_dropped;
	st->in_drops = k.rx_dropped;
	return 0;
}

/* vde_stackstats - the stack's counters, the first size bytes of them
 * (bytes beyond what this library knows are zeroed).
 * Return: the bytes filled, or -1 with errno (EINVAL; ESRCH, the helper
 * gone, for a stack joined in the kernel). */
VDS_EXPORT int vde_stackstats(struct vdestack *stack,
			      struct vde_stackstats *st, size_t size)
{
	struct vde_stackstats all = { 0 };
	size_t n = size < sizeof(all) ? size : sizeof(all);
	struct vds_iface *i;
	int err;

	if (!stack || !st || size == 0 || size > INT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&stack->ifs_lock);
	i = stack->ifs; /* the first interface's */
	if (i)
		stats_of(i->port, &all);
	err = i && i->joined ? joined_stats(stack, i, &all) : 0;
	pthread_mutex_unlock(&stack->ifs_lock);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	memcpy(st, &all, n);
	if (size > n)
		memset((char *)st + n, 0, size - n);
	return (int)n;
}
