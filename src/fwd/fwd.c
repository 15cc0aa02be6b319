/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwd.c - port forwarding between the host and a stack, both ways, for
 * every backend: vde_stackfwd(3), vde_stackunfwd(3) and slirp's
 * tcpfwd=/udpfwd=; the lifecycle of a forward and the public calls.
 *
 * Theory of operation
 *
 * A forward never crosses the stack's interface.  The library listens on
 * the host (the application's own network stack) and, for each client,
 * makes a peer socket INSIDE the stack, connected to the guest address
 * there; a guest address local to the stack is therefore reached over the
 * stack's loopback at kernel speed, whatever the backend (mem://, vde://,
 * slirp://...), and a stack without a network can be reached too.
 *
 * How a TCP connection travels (splice.c, maker.c):
 *  1. The forward's listening socket is a watch of one loop of the pool
 *     (vds_loop_acquire).  The loop thread accepts the connection and
 *     queues a job for its peer socket at the maker, then goes on with
 *     whatever else it pumps: a loop thread never waits for the helper.
 *     While FWD_WAITING_MAX of a forward's connections wait there, or
 *     for FWD_PAUSE_MS after descriptors ran out, it accepts no more: the
 *     next ones wait in the kernel's listen backlog.
 *  2. The maker, one thread of this module, makes the peer socket in the
 *     stack (vds_stack_socket: one request to the namespace helper),
 *     serving the forwards with jobs in turn, and writes the forward's
 *     eventfd, another watch of the same loop.
 *  3. Woken by it, the loop thread gives the connection its two pipes and
 *     connects the peer socket, non-blocking, to the guest address.
 *  4. From then on, splice(2) moves the bytes both ways through the pipes
 *     on that loop; the data stays in the kernel.
 * A UDP client travels the same way (flow.c): its first datagrams are
 * held while the maker makes its socket.
 *
 * The other way (tcp-ns:, udp-ns:, spec.to_host): the listeners are made
 * INSIDE the stack by vde_stackfwd() itself (vds_stack_socket, on the
 * calling thread), and each client's peer is a socket of the host, which
 * costs no round trip to anyone: the loop thread makes it at once
 * (socket(2) through the seam, never the default stack's) and connects
 * it non-blocking, so such a forward is "direct" and uses no maker.  The
 * rest (splicing, flows, half-closes, resets) is the same code.  A stack
 * without a network has lo, so its 127.0.0.1 reaches the host's servers
 * and nothing else.
 *
 * Ranges: a forward of a port range is ONE forward with a listener per
 * port (struct vds_fwd_listener, each a watch with its own peer
 * address: the other side's port + index, or its one port), sharing one
 * maker client, timer and UDP buffer; it is added and removed as a whole
 * (vde_stackunfwd of the listening side alone removes every forward whose
 * range lies inside the one named).
 *
 * State: a stack's forwards are a list in the stack's slot VDS_SLOT_FWD
 * (vds_stack_slot), under fwd_lock, so struct vdestack needs no field of
 * ours.  This file adds its stack hooks (vds_stack_hooks_add) when the
 * library is loaded.  Forwards that a backend's URL names reach this file
 * as data (struct vds_backend's fwds): the opened hook binds them once the
 * backend is open and before the namespace exists (so a port in use
 * fails vde_addstack early), and they start serving at the ready hook.
 *
 * Removal (vde_stackunfwd, and vde_delstack through the gone hook, which
 * runs before the stack's namespace goes): first on the forward's loop
 * (vds_loop_call), the listener and the eventfd leave the loop and every
 * connection and flow with both sockets is closed (TCP with a reset);
 * then, on the calling thread, the forward takes its jobs back from the
 * maker, waiting for the one being made if it is the forward's (one
 * round trip to the helper at most), and closes what they hold; then the
 * loop and the maker are released (the maker's thread ends with the last
 * forward).
 *
 * Fork: fork() takes fwd_lock and the maker's lock (pthread_atfork), which
 * the loops hold while they make or close a forward's descriptors.  So a
 * forked child that deletes its copy of a stack (fwd_forget) finds every
 * descriptor of the copied forwards, the jobs at the maker included, and
 * closes the child's copies only: the parent's loops, maker and sockets
 * keep serving.  A fork while another thread of the application is in
 * vde_stackfwd() may leave the child a copy of that forward's socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "fwd.h"
#include "flow.h"
#include "forward.h"
#include "maker.h"
#include "splice.h"
#include "base/alloc.h"
#include "base/fwdspec.h"
#include "base/internal.h"
#include "base/sys.h"
#include "core/loop.h"
#include "core/pump.h"
#include "core/stack.h"

/* What differs between a TCP and a UDP forward. */
struct fwd_ops {
	int type;                          /* SOCK_STREAM or SOCK_DGRAM */
	vds_watch_cb host_ready;           /* a listener readable */
	vds_watch_cb made;                 /* the maker's eventfd readable */
	vds_timer_cb timer;
	void (*close_all)(struct vds_fwd *f);
	void (*drop)(struct vds_maker_job *job, bool in_child);
	void (*forget_all)(struct vds_fwd *f);
};

static const struct fwd_ops tcp_ops = {
	.type = SOCK_STREAM,
	.host_ready = vds_splice_accept,
	.made = vds_splice_made,
	.timer = vds_splice_resume,
	.close_all = vds_splice_close_all,
	.drop = vds_splice_drop,
	.forget_all = vds_splice_forget_all,
};

static const struct fwd_ops udp_ops = {
	.type = SOCK_DGRAM,
	.host_ready = vds_flow_datagram,
	.made = vds_flow_made,
	.timer = vds_flow_sweep,
	.close_all = vds_flow_close_all,
	.drop = vds_flow_drop,
	.forget_all = vds_flow_forget_all,
};

/* Serialises every stack's slot of forwards. */
static pthread_mutex_t fwd_lock = PTHREAD_MUTEX_INITIALIZER;

/* ops_of - Return: the operations of f's protocol. */
static const struct fwd_ops *ops_of(const struct vds_fwd *f)
{
	return f->spec.proto == IPPROTO_TCP ? &tcp_ops : &udp_ops;
}

/* stack_fwds - Return: the head of the stack's list of forwards, its
 * slot (fwd_lock held to use it). */
static struct vds_fwd **stack_fwds(struct vdestack *s)
{
	return (struct vds_fwd **)vds_stack_slot(s, VDS_SLOT_FWD);
}

/* ------------------------------------------------------------------ */
/* Addresses                                                            */
/* ------------------------------------------------------------------ */

/* sa_port - Return: the port of ss, host order. */
static int sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* sa_is_any - Return: whether ss is a wildcard address (either family). */
static bool sa_is_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((const struct sockaddr_in6 *)ss)->sin6_addr);
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return false;
}

/* sa_is_loopback - Return: whether ss is 127.0.0.1 or ::1. */
static bool sa_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)ss)->sin6_addr);
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_LOOPBACK);
	return false;
}

/* sa_same_addr - Return: whether a and b are the same address (ports
 * aside). */
static bool sa_same_addr(const struct sockaddr_storage *a,
			 const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return IN6_ARE_ADDR_EQUAL(
			&((const struct sockaddr_in6 *)a)->sin6_addr,
			&((const struct sockaddr_in6 *)b)->sin6_addr);
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

/* sa_equal - Return: whether a and b are the same address and port. */
static bool sa_equal(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	return sa_port(a) == sa_port(b) && sa_same_addr(a, b);
}

/* sa_set_port - set the port of ss (either family), host order. */
static void sa_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

/* ports_match - whether f's listening ports are the ones sel names: the
 * same range, or, for a selector of the listening side alone, a range
 * that lies inside sel's.  Return: true when they are. */
static bool ports_match(const struct vds_fwdspec *f,
			const struct vds_fwdspec *sel, bool listen_only)
{
	int first = sa_port(vds_fwd_listen_side(f));
	int sfirst = sa_port(vds_fwd_listen_side(sel));

	if (listen_only)
		return first >= sfirst && first + f->span <= sfirst + sel->span;
	return first == sfirst && f->span == sel->span;
}

/* spec_matches - whether forward f is one that sel names (for removal):
 * same protocol, direction and listening ports (see ports_match), same
 * listening address (a selector without one names the default of either
 * family: the wildcard on the host, the loopback in a stack), and the
 * same other side when sel has one.  Return: true when it is. */
static bool spec_matches(const struct vds_fwdspec *f,
			 const struct vds_fwdspec *sel)
{
	const struct sockaddr_storage *fl = vds_fwd_listen_side(f);
	const struct sockaddr_storage *sl = vds_fwd_listen_side(sel);
	const struct sockaddr_storage *sp = vds_fwd_peer_side(sel);
	bool listen_only = sp->ss_family == AF_UNSPEC;

	if (f->proto != sel->proto || f->to_host != sel->to_host ||
	    !ports_match(f, sel, listen_only))
		return false;
	if (sl->ss_family == AF_UNSPEC) {
		if (f->to_host ? !sa_is_loopback(fl) : !sa_is_any(fl))
			return false;
	} else if (!sa_same_addr(fl, sl)) {
		return false;
	}
	return listen_only || (f->one_port == sel->one_port &&
			       sa_equal(vds_fwd_peer_side(f), sp));
}

/* ------------------------------------------------------------------ */
/* One forward                                                          */
/* ------------------------------------------------------------------ */

/* family_ok - Return: whether ss is of a family a forward can use. */
static bool family_ok(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET || ss->ss_family == AF_INET6;
}

/* spec_valid - Return: whether spec names a forward (both addresses of
 * a known family, no port 0, both ranges within 65535, one_port only
 * for stack -> host). */
static bool spec_valid(const struct vds_fwdspec *spec)
{
	const struct sockaddr_storage *l = vds_fwd_listen_side(spec);
	const struct sockaddr_storage *p = vds_fwd_peer_side(spec);

	if (!family_ok(l) || !family_ok(p) || sa_port(l) == 0 ||
	    sa_port(p) == 0 || sa_port(l) + spec->span > 65535)
		return false;
	if (spec->one_port)
		return spec->to_host;
	return sa_port(p) + spec->span <= 65535;
}

/* listen_socket - listener i of forward f, bound to its address and port
 * (listening, for TCP): on the host, or in stack for a stack -> host
 * forward (as vde_msocket(), a round trip to the helper: an application
 * thread's, never a loop's).  Return: the descriptor or -errno. */
static int listen_socket(const struct vds_fwd *f, struct vdestack *stack,
			 unsigned i)
{
	bool tcp = f->spec.proto == IPPROTO_TCP;
	struct sockaddr_storage addr = *vds_fwd_listen_side(&f->spec);
	int type = (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
		   SOCK_CLOEXEC;
	int one = 1, fd, err;

	sa_set_port(&addr, sa_port(&addr) + (int)i);
	fd = f->spec.to_host ? vds_stack_socket(stack, addr.ss_family, type, 0)
			     : vds_sys_socket(addr.ss_family, type, 0);
	if (fd < 0)
		return fd;
	/* a TCP port comes back at once after its forward is removed; a
	 * UDP one must stay exclusive, so no SO_REUSEADDR there */
	if (tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&addr, fwd_addrlen(&addr)) < 0 ||
	    (tcp && listen(fd, SOMAXCONN) < 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* listeners_open - the listeners of f, one per port of its range, each
 * with the address its clients go to.  Return: 0 or -errno (those made
 * are f->nls, closed by fwd_free). */
static int listeners_open(struct vds_fwd *f, struct vdestack *stack)
{
	unsigned n = (unsigned)f->spec.span + 1;

	f->ls = vds_calloc(n, sizeof(*f->ls));
	if (!f->ls)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct vds_fwd_listener *l = &f->ls[i];
		int port = sa_port(vds_fwd_peer_side(&f->spec));
		int fd = listen_socket(f, stack, i);

		if (fd < 0)
			return fd;
		*l = (struct vds_fwd_listener){ .fwd = f, .fd = fd, .index = i,
						.peer = *vds_fwd_peer_side(
							&f->spec) };
		sa_set_port(&l->peer, f->spec.one_port ? port : port + (int)i);
		f->nls++;
	}
	return 0;
}

/* listeners_close - close the listeners of f (the child's copies, in a
 * forked child) and free them. */
static void listeners_close(struct vds_fwd *f)
{
	for (unsigned i = 0; i < f->nls; i++)
		close(f->ls[i].fd);
	vds_free(f->ls);
	f->ls = NULL;
	f->nls = 0;
}

static void fwd_free(struct vds_fwd *f);
static void drop_jobs(const struct vds_fwd *f, struct vds_maker_job *j,
		      bool in_child);

/* fwd_new - a forward bound to its listening addresses (listening for
 * TCP), on the host or, stack -> host, in stack; not serving yet.
 * Return: 0 or -errno. */
static int fwd_new(const struct vds_fwdspec *spec, struct vdestack *stack,
		   struct vds_fwd **ret)
{
	struct vds_fwd *f;
	int err;

	if (!spec_valid(spec))
		return -EINVAL;
	f = vds_calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	*f = (struct vds_fwd){ .spec = *spec, .owner = getpid(),
			       .direct = spec->to_host,
			       .mk = VDS_MAKER_CLIENT_NONE };
	if (spec->proto != IPPROTO_TCP) {
		f->buf = vds_malloc(FWD_UDP_BUF);
		if (!f->buf) {
			err = -ENOMEM;
			goto fail;
		}
	}
	err = listeners_open(f, stack);
	if (err < 0)
		goto fail;
	*ret = f;
	return 0;
fail:
	fwd_free(f);
	return err;
}

/* unwatch - unregister a forward's watches and timer (loop thread). */
static void unwatch(struct vds_fwd *f)
{
	for (unsigned i = 0; i < f->nls; i++) {
		vds_loop_watch_del(f->ls[i].w);
		f->ls[i].w = NULL;
	}
	vds_loop_watch_del(f->mw);
	f->mw = NULL;
	vds_loop_timer_del(f->timer);
	f->timer = NULL;
}

/* start_on_loop - register a forward's timer and watches (loop thread).
 * Return: 0 or -errno (nothing left registered). */
static int start_on_loop(void *arg)
{
	struct vds_fwd *f = arg;
	const struct fwd_ops *ops = ops_of(f);
	int err;

	err = vds_loop_timer_add(f->loop, ops->timer, f, &f->timer);
	if (err < 0)
		return err;
	if (!f->direct) {
		err = vds_loop_watch_add(f->loop, f->mk.efd, EPOLLIN, ops->made,
					 f, &f->mw);
		if (err < 0)
			goto fail;
	}
	for (unsigned i = 0; i < f->nls; i++) {
		struct vds_fwd_listener *l = &f->ls[i];

		err = vds_loop_watch_add(f->loop, l->fd, EPOLLIN,
					 ops->host_ready, l, &l->w);
		if (err < 0)
			goto fail;
	}
	f->listening = true;
	return 0;
fail:
	unwatch(f);
	return err;
}

/* stop_on_loop - close every connection and flow of a forward that has
 * both sockets, and unregister it (loop thread).  Return: 0. */
static int stop_on_loop(void *arg)
{
	struct vds_fwd *f = arg;

	ops_of(f)->close_all(f);
	unwatch(f);
	return 0;
}

/* maker_open - a host -> stack forward's maker client and a use of the
 * maker's thread (a direct forward has neither).  Return: 0 or -errno. */
static int maker_open(struct vds_fwd *f, struct vdestack *stack)
{
	int err;

	if (f->direct)
		return 0;
	err = vds_maker_client_open(&f->mk, stack, f->spec.guest.ss_family,
				    ops_of(f)->type);
	if (err < 0)
		return err;
	err = vds_maker_acquire();
	if (err < 0)
		vds_maker_client_close(&f->mk);
	return err;
}

/* maker_close - undo maker_open, taking the forward's jobs back first
 * (the loop queues no more). */
static void maker_close(struct vds_fwd *f)
{
	if (f->direct)
		return;
	drop_jobs(f, vds_maker_detach(&f->mk), false);
	vds_maker_client_close(&f->mk);
	vds_maker_release();
}

/* fwd_start - serve the forward for stack: its maker client and the
 * maker's thread (host -> stack), a loop of the pool.
 * Return: 0 or -errno (f as it was). */
static int fwd_start(struct vds_fwd *f, struct vdestack *stack)
{
	int err;

	f->stack = stack;
	err = maker_open(f, stack);
	if (err < 0)
		return err;
	err = vds_loop_acquire(&f->loop);
	if (err < 0)
		goto fail_maker;
	err = vds_loop_call(f->loop, start_on_loop, f);
	if (err < 0)
		goto fail_loop;
	f->started = true;
	return 0;
fail_loop:
	vds_loop_release(f->loop);
	f->loop = NULL;
fail_maker:
	maker_close(f);
	return err;
}

/* drop_jobs - close and free what a list of the forward's jobs holds. */
static void drop_jobs(const struct vds_fwd *f, struct vds_maker_job *j,
		      bool in_child)
{
	while (j) {
		struct vds_maker_job *next = j->next;

		ops_of(f)->drop(j, in_child);
		j = next;
	}
}

/* fwd_forget - in a forked child, close the child's copies of a forward's
 * descriptors (its jobs at the maker included) and free it, without
 * touching the loops or the maker's thread (the parent's). */
static void fwd_forget(struct vds_fwd *f)
{
	const struct fwd_ops *ops = ops_of(f);

	ops->forget_all(f);
	if (!f->direct)
		drop_jobs(f, vds_maker_forget(&f->mk), true);
	vds_maker_client_close(&f->mk);
	listeners_close(f);
	vds_free(f->buf);
	vds_free(f);
}

/* fwd_free - stop a forward (closing its connections, those waiting for
 * the maker included) and free it; accepts one that never started. */
static void fwd_free(struct vds_fwd *f)
{
	if (f->owner != getpid()) {
		fwd_forget(f);
		return;
	}
	if (f->started) {
		vds_loop_call(f->loop, stop_on_loop, f);
		/* the loop no longer queues jobs: take them back */
		maker_close(f);
		vds_loop_release(f->loop);
	}
	listeners_close(f);
	vds_free(f->buf);
	vds_free(f);
}

/* free_all - fwd_free every forward of a list (linked by next). */
static void free_all(struct vds_fwd *f)
{
	while (f) {
		struct vds_fwd *next = f->next;

		fwd_free(f);
		f = next;
	}
}

/* ------------------------------------------------------------------ */
/* A stack's forwards                                                   */
/* ------------------------------------------------------------------ */

/* stack_push - put f on the stack's list. */
static void stack_push(struct vdestack *stack, struct vds_fwd *f)
{
	struct vds_fwd **head;

	pthread_mutex_lock(&fwd_lock);
	head = stack_fwds(stack);
	f->next = *head;
	*head = f;
	pthread_mutex_unlock(&fwd_lock);
}

/* stack_take - unlink from the stack's list the forwards that spec names
 * (NULL: all).  Return: them (linked by next), or NULL. */
static struct vds_fwd *stack_take(struct vdestack *stack,
				  const struct vds_fwdspec *spec)
{
	struct vds_fwd **p, *f, *out = NULL;

	pthread_mutex_lock(&fwd_lock);
	for (p = stack_fwds(stack); (f = *p);) {
		if (!spec || spec_matches(&f->spec, spec)) {
			*p = f->next;
			f->next = out;
			out = f;
		} else {
			p = &f->next;
		}
	}
	pthread_mutex_unlock(&fwd_lock);
	return out;
}

/* vds_fwd_add - add a forward to stack.  Return: 0 or -errno. */
int vds_fwd_add(struct vdestack *stack, const struct vds_fwdspec *spec)
{
	struct vds_fwd *f;
	int err;

	if (!stack || !spec)
		return -EINVAL;
	err = fwd_new(spec, stack, &f);
	if (err < 0)
		return err;
	err = fwd_start(f, stack);
	if (err < 0) {
		fwd_free(f);
		return err;
	}
	stack_push(stack, f);
	return 0;
}

/* vds_fwd_del - remove the forwards of stack that spec names.
 * Return: 0, -EINVAL, or -ENOENT when there is none. */
int vds_fwd_del(struct vdestack *stack, const struct vds_fwdspec *spec)
{
	struct vds_fwd *list;

	if (!stack || !spec)
		return -EINVAL;
	list = stack_take(stack, spec);
	if (!list)
		return -ENOENT;
	free_all(list);
	return 0;
}

/* stack_gone - the gone hook: remove every forward of a stack (in a
 * forked child, forget the child's copies). */
static void stack_gone(struct vdestack *stack)
{
	int saved = errno;

	if (stack)
		free_all(stack_take(stack, NULL));
	errno = saved;
}

/* stack_opened - the opened hook: bind the forwards that the stack's
 * backend asks for (slirp's tcpfwd=/udpfwd=), before its namespace
 * exists, so that a port in use fails vde_addstack() early; they start
 * at the ready hook.  Return: 0 or -errno (the caller then destroys the
 * stack, whose gone hook removes the ones bound). */
static int stack_opened(struct vdestack *stack, struct vds_port *port)
{
	const struct vds_fwdspec *specs;
	unsigned n;
	struct vds_fwd *f;
	int err;

	specs = vds_port_forwards(port, &n);
	for (unsigned i = 0; i < n; i++) {
		err = fwd_new(&specs[i], stack, &f);
		if (err < 0)
			return err;
		f->stack = stack;
		stack_push(stack, f);
	}
	return 0;
}

/* stack_ready - the ready hook: start the forwards bound for stack at its
 * opened hook.  They are off the slot meanwhile, and back on it after,
 * started or not.  Return: 0 or -errno (the caller then destroys the
 * stack, which removes them all). */
static int stack_ready(struct vdestack *stack, struct vds_port *port)
{
	struct vds_fwd *list, *last = NULL, **head;
	int err = 0;

	(void)port;
	list = stack_take(stack, NULL);
	for (struct vds_fwd *f = list; f; f = f->next) {
		if (err == 0 && !f->started)
			err = fwd_start(f, stack);
		last = f;
	}
	if (!last)
		return 0;
	pthread_mutex_lock(&fwd_lock);
	head = stack_fwds(stack);
	last->next = *head;
	*head = list;
	pthread_mutex_unlock(&fwd_lock);
	return err;
}

/* How stack.c reaches this file (fwd_init adds them at load). */
static const struct vds_stack_hooks fwd_hooks = {
	.opened = stack_opened,
	.ready = stack_ready,
	.gone = stack_gone,
};

/* fork_prepare - before fork(): no slot nor maker queue is changing. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&fwd_lock);
	vds_maker_fork_prepare();
}

/* fork_parent - after fork(), in the parent. */
static void fork_parent(void)
{
	vds_maker_fork_parent();
	pthread_mutex_unlock(&fwd_lock);
}

/* fork_child - after fork(), in the child. */
static void fork_child(void)
{
	vds_maker_fork_child();
	pthread_mutex_unlock(&fwd_lock);
}

/* fwd_init - at load: the hooks through which stack.c reaches this file,
 * there before any stack is made, since a URL may name forwards; the
 * fork handlers, in the order the locks are taken. */
__attribute__((constructor)) static void fwd_init(void)
{
	vds_stack_hooks_add(&fwd_hooks);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* vde_stackfwd - forward a host address and port into the stack.
 * Return: 0, or -1 with errno (see vde_stackfwd(3)). */
VDS_EXPORT int vde_stackfwd(struct vdestack *stack, const char *spec)
{
	struct vds_fwdspec fs;
	int err = stack ? vds_fwd_parse(spec, false, &fs) : -EINVAL;

	if (err == 0)
		err = vds_fwd_add(stack, &fs);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* vde_stackunfwd - remove a forward of the stack.
 * Return: 0, or -1 with errno (ENOENT when there is no such forward). */
VDS_EXPORT int vde_stackunfwd(struct vdestack *stack, const char *spec)
{
	struct vds_fwdspec fs;
	int err = stack ? vds_fwd_parse(spec, true, &fs) : -EINVAL;

	if (err == 0)
		err = vds_fwd_del(stack, &fs);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}
