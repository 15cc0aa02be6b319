/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nspool.c - inside the helper: a worker process that makes network
 * namespaces ahead of their stacks and closes the descriptors whose close
 * waits for the kernel.
 *
 * Theory of operation
 *
 * Most of vde_addstack() is the kernel making a network namespace (about
 * 200 µs here: every subsystem registers its per-namespace sysctls) and
 * bringing its lo up; most of vde_delstack() with an interface is the
 * close of the tap or packet socket, which waits for an RCU grace period
 * (synchronize_net) even on a persistent tap.  Neither needs to happen on
 * the request path, and neither can happen in parallel inside the helper,
 * which is single-threaded (its runners rely on PR_SET_PDEATHSIG).  So the
 * helper forks one worker when it starts, joined by a SOCK_SEQPACKET pair,
 * and waits for its first message, sent once it has closed everything of
 * the helper's (until then it holds the helper's control socket, whose
 * hang-up tells the application that the helper died):
 *
 *  - the helper orders namespaces (struct order, one per namespace); the
 *    worker makes each with vds_ns_make() (unshare, lo up, back to the
 *    base) and sends it back (struct made, plus the namespace descriptor),
 *    or the error.  It has VDS_NSPOOL_THREADS threads reading the same
 *    socket (each message goes to one of them), so that one waits out a
 *    close while another makes a namespace; the kernel makes namespaces
 *    in parallel, each thread in its own (/proc/thread-self/ns/net).  The
 *    namespaces wait in the socket's queue: that queue is the pool.  The
 *    helper keeps ready + ordered at the pool size (VDESTACK_NSPOOL,
 *    default VDS_NSPOOL_DEFAULT, at most VDS_NSPOOL_MAX, 0: no worker at
 *    all), ordering one more for each one it takes, after its reply (an
 *    order sent before it woke the worker on the helper's CPU, where its
 *    unshare held the reply back for as long as it took).  A request that
 *    finds no namespace ready never waits for one being made: the helper
 *    makes its own, as it always did, and the worker's serves a later
 *    request.  The worker runs at the helper's priority: a lower one
 *    (measured at nice 10) starves it on a busy machine while it holds
 *    rtnl_lock (a tap's close, a namespace's lo), and every rtnl user of
 *    the machine waits for it.
 *  - an order may carry descriptors (make = 0): the helper's copies of a
 *    deleted stack's interface and namespace.  The worker closes them, so
 *    the grace period is waited for there; the helper's reply went first.
 *
 * The pool is bounded (a few namespaces, a few hundred KiB of kernel
 * memory), made from the helper's start, and released with the helper:
 * its descriptors close when it exits, and the worker, a child of the
 * single-threaded helper with PR_SET_PDEATHSIG, dies with it.  A forked
 * application child gets a helper of its own and so a worker of its own.
 * If the worker dies, the helper sees the socket hang up and goes on
 * without a pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef VDS_NSPOOL_DEFAULT
#define VDS_NSPOOL_DEFAULT 2
#endif
#define VDS_NSPOOL_MAX 8
#define VDS_NSPOOL_THREADS 2
/* how long the helper waits for its worker to start */
#define VDS_NSPOOL_START_MS 5000

/* helper -> worker: make this many namespaces; the message's descriptors
 * are to be closed. */
struct order {
	uint32_t make;
};

/* worker -> helper: 0 and a namespace descriptor, or -errno. */
struct made {
	int32_t status;
};

static int worker = -1;     /* the helper's end; -1: no worker */
static unsigned pool_size;  /* ready + ordered, kept at this */
static unsigned ordered;    /* asked of the worker, not yet received */
static bool refill_due;     /* taken from the pool since the last order */

/* pool_size_of - the pool size VDESTACK_NSPOOL asks for.
 * Return: 0..VDS_NSPOOL_MAX (VDS_NSPOOL_DEFAULT when unset or not a
 * number). */
static unsigned pool_size_of(const char *env)
{
	char *end;
	long n;

	if (!env || !*env)
		return VDS_NSPOOL_DEFAULT;
	n = strtol(env, &end, 10);
	if (*end || n < 0)
		return VDS_NSPOOL_DEFAULT;
	return n > VDS_NSPOOL_MAX ? VDS_NSPOOL_MAX : (unsigned)n;
}

/* close_all_but - close every descriptor from 3 up but a and b. */
static void close_all_but(int a, int b)
{
	unsigned lo = (unsigned)(a < b ? a : b), hi = (unsigned)(a < b ? b : a);

	if (lo > 3)
		syscall(SYS_close_range, 3U, lo - 1, 0U);
	if (hi > lo + 1)
		syscall(SYS_close_range, lo + 1, hi - 1, 0U);
	syscall(SYS_close_range, hi + 1, ~0U, 0U);
}

struct worker_ctx {
	int sock, base_ns;
};

/* worker_serve - one thread of the worker: take orders from the shared
 * socket (each message goes to one thread) until the helper goes.
 * Never returns. */
static void *worker_serve(void *arg)
{
	const struct worker_ctx *w = arg;
	int sock = w->sock, base_ns = w->base_ns;

	for (;;) {
		struct order o;
		int fds[4];
		unsigned nfds;
		ssize_t n = vds_proto_recv(sock, &o, sizeof(o), fds, 4, &nfds);

		if (n == 0 || (n < 0 && n != -EMSGSIZE && n != -EINTR))
			_exit(0); /* the helper is gone */
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]); /* the slow part of a delete */
		if (n != sizeof(o))
			continue;
		for (uint32_t i = 0; i < o.make && i < VDS_NSPOOL_MAX; i++) {
			struct made m;
			int ns = -1;

			m.status = vds_ns_make(base_ns, &ns);
			if (vds_proto_send(sock, &m, sizeof(m), &ns,
					   ns >= 0 ? 1 : 0) < 0)
				_exit(0); /* the helper is gone */
			if (ns >= 0)
				close(ns);
		}
	}
}

/* worker_main - the worker: VDS_NSPOOL_THREADS threads serving orders, so
 * that one waits out a close while another makes a namespace (the kernel
 * makes namespaces in parallel).  Never returns. */
static void __attribute__((noreturn)) worker_main(int sock, int base_ns,
						  pid_t helper)
{
	static struct worker_ctx w;
	struct made ready = { .status = 0 };
	sigset_t all;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != helper)
		_exit(0);
	close_all_but(sock, base_ns);
	/* the helper waits for this: until now the worker held the helper's
	 * control socket, and the application must see that socket hang up
	 * as soon as the helper dies */
	if (vds_proto_send(sock, &ready, sizeof(ready), NULL, 0) < 0)
		_exit(0);
	w = (struct worker_ctx){ .sock = sock, .base_ns = base_ns };
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* SIGKILL stays */
	for (int i = 1; i < VDS_NSPOOL_THREADS; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, worker_serve, &w) != 0)
			break; /* fewer threads, same work */
	}
	worker_serve(&w);
	_exit(0);
}

/* worker_gone - forget the worker (it died, or its socket failed). */
static void worker_gone(void)
{
	close(worker);
	worker = -1;
	ordered = 0;
}

/* order_more - order what brings ready + ordered back to the pool size,
 * one namespace per order, so that the worker's threads share them. */
static void order_more(void)
{
	struct order o = { .make = 1 };

	while (worker >= 0 && ordered < pool_size) {
		int err = vds_proto_send(worker, &o, sizeof(o), NULL, 0);

		if (err == -EAGAIN)
			return; /* the worker is behind: later */
		if (err < 0) {
			worker_gone();
			return;
		}
		ordered++;
	}
}

/* worker_ready - wait (bounded) for the worker's first message, sent once
 * it has closed the helper's descriptors.  Return: true when it came. */
static bool worker_ready(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct made m;
	unsigned nfds;
	int n;

	do
		n = poll(&p, 1, VDS_NSPOOL_START_MS);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	return vds_proto_recv(sock, &m, sizeof(m), NULL, 0, &nfds) ==
	       (ssize_t)sizeof(m);
}

/* vds_nspool_start - fork the worker (unless VDESTACK_NSPOOL is 0) and
 * order the first pool.  base_ns: the helper's base namespace.
 * Return: 0, or -errno (the helper works without a worker then). */
int vds_nspool_start(int base_ns)
{
	int sv[2], err;
	pid_t helper = getpid(), pid;

	pool_size = pool_size_of(getenv("VDESTACK_NSPOOL"));
	if (pool_size == 0)
		return 0;
	err = vds_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	if (err < 0)
		return err;
	pid = vds_sys_fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return pid;
	}
	if (pid == 0)
		worker_main(sv[1], base_ns, helper);
	close(sv[1]);
	if (!worker_ready(sv[0])) {
		close(sv[0]); /* it reads end-of-file and exits */
		return -ECHILD;
	}
	/* non-blocking: a worker that falls behind never stalls the helper
	 * (a discard it cannot take now is closed by the helper) */
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		err = -errno;
		close(sv[0]);
		return err; /* the worker reads end-of-file and exits */
	}
	worker = sv[0];
	order_more();
	return 0;
}

/* vds_nspool_take - a namespace of the pool, if one is ready: never
 * waits for the worker (a request does not wait behind work meant for a
 * later one).  Return: its descriptor, or -1 when none is ready, there is
 * no worker, or it could not make one (the caller makes it, and sees the
 * error itself). */
int vds_nspool_take(void)
{
	struct made m;
	unsigned nfds;
	ssize_t n;
	int ns = -1;

	if (worker < 0 || ordered == 0)
		return -1;
	n = vds_proto_recv(worker, &m, sizeof(m), &ns, 1, &nfds);
	if (n == -EAGAIN)
		return -1; /* still being made: it serves a later request */
	if (n <= 0) {
		worker_gone();
		return -1;
	}
	ordered--;
	if (n != sizeof(m) || m.status < 0 || nfds != 1) {
		if (nfds == 1)
			close(ns);
		ns = -1;
	}
	return ns;
}

/* vds_nspool_refill - note that the pool lacks namespaces; called after
 * the reply to a request.  The order goes out from vds_nspool_idle(). */
void vds_nspool_refill(void)
{
	refill_due = true;
}

/* vds_nspool_due - whether the pool lacks namespaces that are not
 * ordered yet: the helper then sleeps at most VDS_NSPOOL_QUIET_MS and
 * calls vds_nspool_idle() if nothing came meanwhile. */
bool vds_nspool_due(void)
{
	return refill_due && worker >= 0;
}

/* vds_nspool_idle - the helper has been idle VDS_NSPOOL_QUIET_MS: order
 * what the pool lacks.  Not earlier: a worker making a namespace while
 * requests still come (the rest of a vde_addstack(), then its
 * vde_delstack()) takes a CPU from them, and its unshare() held the next
 * reply back for as long as it took (about 250 µs of the 260 a pair took,
 * stacks made 2 ms apart). */
void vds_nspool_idle(void)
{
	if (refill_due) {
		refill_due = false;
		order_more();
	}
}

/* vds_nspool_discard - close fd, through the worker when there is one: a
 * tap's or packet socket's close waits for the kernel there, not here. */
void vds_nspool_discard(int fd)
{
	struct order o = { .make = 0 };

	if (fd < 0)
		return;
	if (worker >= 0 && vds_proto_send(worker, &o, sizeof(o), &fd, 1) < 0)
		worker_gone();
	close(fd); /* the last reference, when the worker did not get it */
}

/* vds_nspool_drop_fds - in a runner or spawner: the worker's socket is
 * the helper's alone. */
void vds_nspool_drop_fds(void)
{
	if (worker >= 0)
		close(worker);
	worker = -1;
}
