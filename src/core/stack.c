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
#include <stdlib.h>
#include <string.h>
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
#include "kseg.h"
#include "pump.h"

struct vdestack {
	atomic_int refs;
	struct vds_helper *helper;
	uint32_t id;              /* in the helper; 0 = none */
	struct vds_port *port;    /* NULL: no network */
	pid_t owner;              /* process that made the stack */
	void *slots[VDS_SLOTS];   /* modules' data (vds_stack_slot) */
	struct vds_kseg *kseg;    /* its kernel-joinable segment (kseg.c) */
	bool joined;              /* ... joined there: the port never runs */
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

/* hooks_opened - the opened hooks, in the order added: the stack's
 * backend is open, its namespace not made yet.
 * Return: 0 or the first one's -errno. */
static int hooks_opened(struct vdestack *s)
{
	for (unsigned i = 0; i < VDS_STACK_HOOKS_MAX; i++) {
		const struct vds_stack_hooks *h = atomic_load(&hooks[i]);
		int err;

		if (!h)
			break;
		if (h->opened && (err = h->opened(s, s->port)) < 0)
			return err;
	}
	return 0;
}

/* hooks_ready - the ready hooks, in the order added.
 * Return: 0 or the first one's -errno. */
static int hooks_ready(struct vdestack *s)
{
	for (unsigned i = 0; i < VDS_STACK_HOOKS_MAX; i++) {
		const struct vds_stack_hooks *h = atomic_load(&hooks[i]);
		int err;

		if (!h)
			break;
		if (h->ready && (err = h->ready(s, s->port)) < 0)
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

/* stack_destroy - release everything a stack holds; accepts a stack that
 * was only partly built.  In a forked child only the child's copies are
 * released: the namespace and the pump belong to the parent. */
static void stack_destroy(struct vdestack *s)
{
	int saved = errno;

	hooks_gone(s); /* its host port forwards (fwd.c), its DNS data... */
	if (s->owner != getpid()) {
		vds_port_forget(s->port);
		vds_free(s);
		errno = saved;
		return;
	}
	vds_port_close(s->port);
	if (s->id && s->kseg) {
		vds_kseg_delstack(s->kseg, s->joined, s->helper, s->id);
	} else if (s->id) {
		struct vds_req req = { .op = VDS_OP_DELSTACK, .id = s->id };

		vds_helper_call(s->helper, &(struct vds_call){ .req = &req });
	}
	vds_helper_put(s->helper);
	vds_free(s);
	errno = saved;
}

/* stack_unref - drop a reference; the last one destroys the stack. */
static void stack_unref(struct vdestack *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		stack_destroy(s);
}

/* newstack_flags - the NEWSTACK flags of stack s (made on a URL when net)
 * and, when its segment may be joined in the kernel, the segment's key
 * (VDESTACK_LINK, VDESTACK_BRIDGE and the backend decide).
 * Return: the flags with *ret_key (NULL: not a kernel segment's), or
 * -EINVAL for a bad VDESTACK_LINK or VDESTACK_BRIDGE. */
static int newstack_flags(struct vdestack *s, bool net, const char **ret_key)
{
	unsigned flags;
	int err;

	*ret_key = NULL;
	if (!net)
		return 0;
	err = vds_link_choice(getenv("VDESTACK_LINK"));
	if (err < 0)
		return err;
	flags = VDS_NEWSTACK_TAP | (unsigned)err;
	/* a segment that may be joined in the kernel: the veth link first,
	 * whatever /dev/net/tun allows (kseg.c) */
	*ret_key = vds_port_kernel_segment(s->port);
	err = vds_kseg_allowed(getenv("VDESTACK_BRIDGE"));
	if (err < 0)
		return err;
	if (*ret_key && err && (flags & VDS_NEWSTACK_LINK_VETH))
		flags |= VDS_NEWSTACK_BRIDGE;
	if (vds_port_flags(s->port) & VDS_BACKEND_VNET_HDR)
		flags |= VDS_NEWSTACK_VNET;
	return (int)flags;
}

/* newstack_undo - delete stack id, which the helper made but whose
 * interface this process could not receive (it is out of descriptors):
 * vde_addstack() fails with EMFILE and leaves nothing in the helper. */
static void newstack_undo(struct vds_helper *h, uint32_t id)
{
	struct vds_req req = { .op = VDS_OP_DELSTACK, .id = id };

	vds_helper_call(h, &(struct vds_call){ .req = &req });
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

/* newstack - the stack's namespaces and interface in the helper.
 * Return: 0 with s->id, s->kseg, s->joined and *ret_tap (the interface,
 * or -1: none, or joined in the kernel), or -errno. */
static int newstack(struct vdestack *s, const char *url, const char *ifname,
		    int *ret_tap)
{
	bool net = url && url[0];
	struct vds_req req = {
		.op = VDS_OP_NEWSTACK,
		.newstack = { .ifname = ifname,
			      .mtu = net ? vds_port_mtu(s->port) : 0 },
	};
	struct vds_rep rep = { .status = 0 };
	struct vds_call call = { .req = &req, .rep = &rep, .ret_fd = ret_tap };
	const char *key;
	int err = newstack_flags(s, net, &key);

	*ret_tap = -1;
	if (err < 0)
		return err;
	req.newstack.flags = (uint32_t)err;
	if (key)
		err = vds_kseg_newstack(s->helper, &call, url, key, &s->kseg);
	else
		err = vds_helper_call(s->helper, &call);
	if (err == -EMFILE && !key && rep.status >= 0 && rep.id)
		newstack_undo(s->helper, rep.id);
	if (err < 0)
		return err;
	s->id = rep.id;
	s->joined = s->kseg && *ret_tap < 0;
	if (*ret_tap >= 0) {
		/* the library's own: never taken for the caller's stdio */
		*ret_tap = vds_fd_above_stdio(*ret_tap);
		if (*ret_tap < 0)
			return *ret_tap;
		if (!key && fd_in_reserve(*ret_tap)) {
			close(*ret_tap);
			*ret_tap = -1;
			newstack_undo(s->helper, s->id);
			s->id = 0;
			return -EMFILE;
		}
	}
	return 0;
}

/* stack_create - the work of vde_addstack(); *ret_helper tells whether
 * a failure came from the helper's namespaces and links (for
 * vde_stackerror()).  Return: 0 or -errno. */
static int stack_create(const char *url, const char *ifname,
			struct vdestack **ret, bool *ret_helper)
{
	struct vdestack *s;
	bool net = url && url[0];
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
	s->owner = getpid();
	if (net) {
		err = vds_port_open(url, &s->port);
		if (err < 0)
			goto fail;
		/* what the URL asks of the modules above (slirp's tcpfwd=),
		 * before any namespace exists: a port in use fails here */
		err = hooks_opened(s);
		if (err < 0)
			goto fail;
	}
	*ret_helper = true;
	err = vds_helper_get(&s->helper);
	if (err < 0)
		goto fail;
	err = newstack(s, url, ifname, &tap);
	if (err < 0)
		goto fail;
	*ret_helper = false;
	if (net) {
		if (tap < 0 && !s->joined) {
			err = -EBADMSG;
			goto fail;
		}
		if (!s->joined) {
			err = vds_port_start(s->port, tap);
			tap = -1; /* the port's now */
			if (err < 0)
				goto fail;
		}
		/* the forwards the URL named (slirp's tcpfwd=) serve now */
		err = hooks_ready(s);
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

/* spawn - the work of vde_stackspawn().
 * Return: the process descriptor, or -errno. */
static int spawn(struct vdestack *stack, char *const argv[],
		 char *const envp[])
{
	struct vds_cmdseq words = { 0 };
	struct vds_req req = { .op = VDS_OP_SPAWN };
	struct vds_call call = { .req = &req };
	int fds[3], pd = -1, err;
	size_t argv_len;

	/* argv then envp, in cmdline.c's packed form; the whole request is
	 * bounded again by VDS_MSG_MAX when it is packed */
	err = vds_cmdline_pack(&words, argv, VDS_SPAWN_MAXARGS, VDS_MSG_MAX);
	argv_len = words.len;
	if (err >= 0)
		err = vds_cmdline_pack(&words, envp ? envp :
				       vds_spawn_default_env,
				       VDS_SPAWN_MAXENV, VDS_MSG_MAX);
	if (err < 0)
		goto out;
	req.id = stack->id;
	req.spawn = (struct vds_req_spawn){
		.stdio = stdio_fds(fds, &call.nfds),
		.pgid = getpgrp(),
		.argv = { .buf = words.buf, .len = argv_len },
		.envp = { .buf = words.buf + argv_len,
			  .len = words.len - argv_len },
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
	pd = spawn(stack, argv, envp);
	if (pd < 0) {
		errno = -pd;
		return -1;
	}
	return pd;
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
 * Return: true if it was made on a URL. */
bool vds_stack_has_net(const struct vdestack *s)
{
	return s->port != NULL;
}

/* vds_stack_has_dhcp - whether the stack's network has a DHCPv4 server.
 * Return: true when its backend says so (VDS_BACKEND_DHCP). */
bool vds_stack_has_dhcp(const struct vdestack *s)
{
	return s->port && (vds_port_flags(s->port) & VDS_BACKEND_DHCP);
}

/* vds_stack_slot - see stack.h.  Return: the slot's address. */
void **vds_stack_slot(struct vdestack *s, enum vds_stack_slot which)
{
	return &s->slots[which];
}
