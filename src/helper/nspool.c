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
 * helper forks one worker when it starts, joined by two SOCK_SEQPACKET
 * pairs, and waits for its first message, sent once it has closed
 * everything of the helper's (until then it holds the helper's control
 * socket, whose hang-up tells the application that the helper died):
 *
 *  - the helper orders namespaces (struct order, one per namespace, of a
 *    kind) on the first pair; the worker makes each and sends it back
 *    (struct made, plus the descriptor of the stack's network namespace,
 *    which keeps its user namespace alive), or the error, on the pair of its kind.  PLAIN:
 *    vds_ns_make() (a child unshares both, lo up).  SPARE, for mem://
 *    stacks joined to a bridge: the same with vde0 already in it, one end
 *    of a veth pair whose peer waits down in the base namespace
 *    (vds_ns_make_spare); joining is then one RTM_SETLINK instead of making
 *    two netdevs, most of such a stack's vde_addstack().  Spares are
 *    ordered only once a stack has joined a bridge.  The worker has
 *    VDS_NSPOOL_THREADS threads reading the order socket (each message goes
 *    to one of them), so that one waits out a close while another makes a
 *    namespace; the kernel makes namespaces in parallel, each thread
 *    through a child of its own.  The namespaces wait in the queue of their
 *    kind's socket: those queues are the pool, and nothing of it sits in
 *    the helper's descriptor table.  The helper keeps ready + ordered at
 *    the pool size for each kind (VDESTACK_NSPOOL, default
 *    VDS_NSPOOL_DEFAULT, at most VDS_NSPOOL_MAX, 0: no worker at all).  It
 *    orders what it took once it has had no request for
 *    VDS_NSPOOL_QUIET_MS: a worker woken earlier (at the reply, or when the
 *    helper's busy-poll ended) shared the CPUs with the rest of that
 *    vde_addstack() and the vde_delstack() that often follows it, and its
 *    unshare held their replies back for as long as it took.  So stacks
 *    made now and then find the pool full.  A kind with nothing left is
 *    ordered at once instead: stacks made back to back drain the pool, and
 *    the worker then makes namespaces on the CPU the helper leaves idle
 *    (1000 stacks: 0.32 -> 0.21 s).  A request that finds none ready has
 *    the helper make them itself, which saves waking the worker, as long
 *    as the helper holds fewer than VDS_NSPOOL_WAIT_FROM stacks; from
 *    there on it waits for the worker's next (wait_for): the child that
 *    makes a stack's namespaces copies its parent's descriptor table, and
 *    the helper's has one descriptor a stack (two while it keeps their
 *    interfaces) where the worker's has a handful.  The worker runs at the helper's priority: a lower one (measured
 *    at nice 10) starves it on a busy machine while it holds rtnl_lock (a
 *    tap's close, a namespace's lo), and every rtnl user of the machine
 *    waits for it.
 *  - an order may carry descriptors (make = 0): the helper's copies of a
 *    deleted stack's interface and namespaces.  The worker closes them, so
 *    the grace period is waited for there; the helper's reply went first.
 *
 * The pool is bounded (a few namespaces, a few hundred KiB of kernel
 * memory; a spare's pair goes with its namespace), made from the helper's
 * start, and released with the helper:
 * its descriptors close when it exits, and the worker, a child of the
 * single-threaded helper with PR_SET_PDEATHSIG, dies with it.  A forked
 * application child gets a helper of its own and so a worker of its own.
 * If the worker dies, the helper sees a socket hang up and goes on
 * without a pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "nspool.h"
#include "base/proto.h"
#include "base/sys.h"
#include "nsops.h"

#ifndef VDS_NSPOOL_DEFAULT
#define VDS_NSPOOL_DEFAULT 2
#endif
#define VDS_NSPOOL_MAX 8
#define VDS_NSPOOL_THREADS 2
/* how long the helper waits for the namespaces of a request it ordered */
#define VDS_NSPOOL_WAIT_MS 5000
/* how long the helper waits for its worker to start */
#define VDS_NSPOOL_START_MS 5000

/* What the pool holds: namespaces with lo up only, and namespaces whose
 * interface is already there, VDS_DEFAULT_IFNAME as one end of a veth
 * pair whose other end waits (down) in the base namespace to join a
 * bridge (nsops.c vds_ns_make_spare): a mem:// stack on the kernel's
 * bridge saves making the pair, the longest part of its vde_addstack().
 * The second kind is made only once a stack has asked for one. */
enum { PLAIN, SPARE, KINDS };

/* The worker's sockets: the pool's two, and a third on which the helper
 * hands over what deleted stacks leave, read by a thread of its own that
 * only queues it for the closers: the order socket's threads can both be
 * making namespaces, and a socket pair's queue holds 10 messages
 * (net.unix.max_dgram_qlen), which deletes back to back filled. */
enum { DISCARD = KINDS, SOCKS };

/* helper -> worker, on the order socket: make this many namespaces of
 * this kind.  On the discard socket: make 0, and the message's descriptors
 * (at most ORDER_MAX_FDS) are to be closed once the helper has let go of
 * discard number seq. */
#define ORDER_MAX_FDS 4
struct order {
	uint32_t make;
	uint32_t kind;
	uint32_t seq; /* with descriptors: the helper's discard number */
};

/* worker -> helper: status 0 and the stack's network namespace
 * descriptor, which holds its user namespace too (with the peer's ifindex
 * for SPARE), or -errno. */
struct made {
	int32_t status;
	uint32_t kind;
	uint32_t peer;
};

/* The helper's ends: orders go out on the first, and each kind comes back
 * on its own socket, whose queue is the pool of that kind (nothing waits
 * in the helper's own descriptor table).  -1: no worker. */
static int worker[SOCKS] = { -1, -1, -1 };
static unsigned pool_size;       /* per kind: ready + ordered, kept at this */
static unsigned ordered[KINDS];  /* asked of the worker, not yet received */
static bool wanted[KINDS] = { [PLAIN] = true };
static bool refill_due;          /* taken from the pool since the last order */

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

/* close_all_but - close every descriptor from 3 up but the n in keep
 * (sorted, ascending). */
static void close_all_but(const int *keep, unsigned n)
{
	unsigned from = 3;

	for (unsigned i = 0; i < n; i++) {
		if ((unsigned)keep[i] > from)
			syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0U);
		from = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0U);
}

struct worker_ctx {
	int sock, spare_sock, discard_sock;
};

/* What the helper has let go of, shared with the worker (a page mapped
 * before the fork): the helper numbers each descriptor it hands over
 * (struct order's seq) and, once it has closed its own copy, stores that
 * number in released.  A closer closes a descriptor only once the helper
 * has let go of it: the close that comes last is the one that waits for
 * the kernel, and the helper's, right after its send, was often the last
 * (the worker's closer is quicker on the other CPU), which held a
 * vde_delstack() up for the grace period, 10 to 30 ms, one stack in
 * eight of 1,000 veth stacks.  A helper that never says so (it died, or
 * is starved) costs a closer at most VDS_NSPOOL_RELEASE_MS. */
struct released {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
};
static struct released *released;
#define VDS_NSPOOL_RELEASE_MS 100

/* seq_reached - whether the helper has let go of discard seq (0: nothing
 * to wait for).  Serial numbers: they wrap. */
static bool seq_reached(uint32_t seq)
{
	return seq == 0 || !released ||
	       (int32_t)(atomic_load(&released->seq) - seq) >= 0;
}

/* wait_released - (a closer) until the helper has let go of seq, at most
 * VDS_NSPOOL_RELEASE_MS. */
static void wait_released(uint32_t seq)
{
	for (int i = 0; i < VDS_NSPOOL_RELEASE_MS / 10 && !seq_reached(seq);
	     i++) {
		struct timespec ts = { .tv_nsec = 10 * 1000000L };
		uint32_t now = atomic_load(&released->seq);

		atomic_fetch_add(&released->waiters, 1);
		if (!seq_reached(seq))
			syscall(SYS_futex, &released->seq, FUTEX_WAIT, now,
				&ts, NULL, 0);
		atomic_fetch_sub(&released->waiters, 1);
	}
}

/* The worker's closers: the descriptors it is given to close wait in a
 * list that up to VDS_NSPOOL_CLOSERS threads empty, so that their closes
 * wait for the kernel side by side.  A packet socket's close waits for an
 * RCU grace period (synchronize_net, a few ms), and waits started together
 * end together: one closer at a time took a veth stack's delete to the
 * length of a grace period (the helper's queue to the worker filled, and
 * the helper closed the rest itself), where these take the deletes of a
 * batch through one.  The threads that take orders only queue, and so
 * drain the helper's socket at once.  A closer starts when a descriptor
 * is queued and none is idle to take it: a helper whose stacks are never
 * deleted in bursts runs one or two. */
#define VDS_NSPOOL_CLOSERS 16
struct closing_fd {
	int fd;
	uint32_t seq; /* the helper's discard number, 0: none */
};
static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct closing_fd *q;
	size_t n, cap;
	unsigned threads, idle;
} closing = { .lock = PTHREAD_MUTEX_INITIALIZER,
	       .more = PTHREAD_COND_INITIALIZER };

/* closer_main - a closer thread: close what is queued, forever, each once
 * the helper has let go of it. */
static void *closer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&closing.lock);
	for (;;) {
		struct closing_fd c;

		closing.idle++;
		while (!closing.n)
			pthread_cond_wait(&closing.more, &closing.lock);
		closing.idle--;
		c = closing.q[--closing.n];
		pthread_mutex_unlock(&closing.lock);
		wait_released(c.seq);
		close(c.fd);
		pthread_mutex_lock(&closing.lock);
	}
	return NULL;
}

/* close_later - fd (the helper's discard seq) queued for a closer, one
 * started when none is idle to take it; closed here when the queue cannot
 * grow or no closer runs. */
static void close_later(int fd, uint32_t seq)
{
	pthread_mutex_lock(&closing.lock);
	if (closing.n == closing.cap) {
		size_t cap = closing.cap ? 2 * closing.cap : 64;
		struct closing_fd *p = realloc(closing.q, cap * sizeof(*p));

		if (p) {
			closing.q = p;
			closing.cap = cap;
		}
	}
	if (closing.n < closing.cap) {
		closing.q[closing.n++] = (struct closing_fd){ fd, seq };
		fd = -1;
		if (closing.idle < closing.n &&
		    closing.threads < VDS_NSPOOL_CLOSERS) {
			pthread_t t;

			if (pthread_create(&t, NULL, closer_main, NULL) == 0)
				closing.threads++;
		}
		if (!closing.threads) /* none could start: close it here */
			fd = closing.q[--closing.n].fd;
		pthread_cond_signal(&closing.more);
	}
	pthread_mutex_unlock(&closing.lock);
	if (fd >= 0) {
		wait_released(seq);
		close(fd);
	}
}

/* send_made - m (and ns, when m says it was made) to the helper: its
 * error instead when the descriptor cannot go (ETOOMANYREFS: the user has
 * as many descriptors in flight in Unix sockets as its RLIMIT_NOFILE).
 * Return: >= 0, or -errno when the helper is gone. */
static ssize_t send_made(int sock, struct made *m, int ns)
{
	ssize_t n = vds_proto_send(sock, m, sizeof(*m), &ns,
				   m->status == 0 ? 1 : 0);

	if (n == -ETOOMANYREFS) {
		m->status = -ETOOMANYREFS;
		n = vds_proto_send(sock, m, sizeof(*m), NULL, 0);
	}
	return n;
}

/* worker_serve - one thread of the worker: take orders from the shared
 * socket (each message goes to one thread) until the helper goes.
 * Never returns. */
static void *worker_serve(void *arg)
{
	const struct worker_ctx *w = arg;
	int sock = w->sock;

	for (;;) {
		struct order o;
		unsigned nfds;
		ssize_t n = vds_proto_recv(sock, &o, sizeof(o), NULL, 0, &nfds);

		if (n == 0 || (n < 0 && n != -EMSGSIZE && n != -EINTR))
			_exit(0); /* the helper is gone */
		if (n != sizeof(o))
			continue;
		for (uint32_t i = 0; i < o.make && i < VDS_NSPOOL_MAX; i++) {
			struct made m = { .kind = o.kind };
			struct vds_stackns ns = VDS_STACKNS_NONE;

			if (o.kind == SPARE)
				m.status = vds_ns_make_spare(VDS_DEFAULT_IFNAME,
							     &ns, &m.peer);
			else
				m.status = vds_ns_make(&ns);
			n = send_made(o.kind == SPARE ? w->spare_sock : sock, &m,
				      ns.net);
			if (n < 0)
				_exit(0); /* the helper is gone */
			vds_stackns_close(&ns);
		}
	}
}

/* discard_serve - the worker's thread that takes what the helper lets go
 * of (struct order with make 0 and descriptors) and queues it for the
 * closers, until the helper goes.  Never returns. */
static void *discard_serve(void *arg)
{
	const struct worker_ctx *w = arg;

	for (;;) {
		struct order o;
		int fds[ORDER_MAX_FDS];
		unsigned nfds;
		ssize_t n = vds_proto_recv(w->discard_sock, &o, sizeof(o), fds,
					   ORDER_MAX_FDS, &nfds);

		/* EMFILE: this table is full of closes to come; the kernel
		 * closed what it could not install */
		if (n == 0 || (n < 0 && n != -EMSGSIZE && n != -EINTR &&
			       n != -EMFILE))
			_exit(0); /* the helper is gone */
		for (unsigned i = 0; i < nfds; i++)
			close_later(fds[i], n == sizeof(o) ? o.seq : 0);
	}
}

/* fd_cmp - qsort order of descriptors. */
static int fd_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* worker_main - the worker: VDS_NSPOOL_THREADS threads serving orders, so
 * that one waits out a close while another makes a namespace (the kernel
 * makes namespaces in parallel).  Never returns. */
static void __attribute__((noreturn)) worker_main(const int *socks,
						  pid_t helper)
{
	static struct worker_ctx w;
	struct made hello = { .status = 0 };
	int sock = socks[PLAIN], keep[SOCKS];
	sigset_t all;
	pthread_t t;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != helper)
		_exit(0);
	prctl(PR_SET_NAME, VDS_NSPOOL_NAME); /* in ps, and for the tests */
	memcpy(keep, socks, sizeof(keep));
	qsort(keep, SOCKS, sizeof(keep[0]), fd_cmp);
	close_all_but(keep, SOCKS);
	/* the helper waits for this: until now the worker held the helper's
	 * control socket, and the application must see that socket hang up
	 * as soon as the helper dies */
	if (vds_proto_send(sock, &hello, sizeof(hello), NULL, 0) < 0)
		_exit(0);
	w = (struct worker_ctx){ .sock = sock, .spare_sock = socks[SPARE],
				 .discard_sock = socks[DISCARD] };
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* SIGKILL stays */
	if (pthread_create(&t, NULL, discard_serve, &w) != 0)
		_exit(0); /* the helper sees its sockets hang up: no worker */
	for (int i = 1; i < VDS_NSPOOL_THREADS; i++) {
		if (pthread_create(&t, NULL, worker_serve, &w) != 0)
			break; /* fewer threads, same work */
	}
	worker_serve(&w);
	_exit(0);
}

/* worker_gone - forget the worker (it died, or its socket failed). */
static void worker_gone(void)
{
	for (unsigned k = 0; k < SOCKS; k++) {
		if (worker[k] >= 0)
			close(worker[k]);
		worker[k] = -1;
	}
	for (unsigned k = 0; k < KINDS; k++)
		ordered[k] = 0;
}

/* order_more - order what brings ready + ordered back to the pool size,
 * for each kind wanted, one namespace per order, so that the worker's
 * threads share them. */
static void order_more(void)
{
	for (uint32_t k = 0; k < KINDS; k++) {
		struct order o = { .make = 1, .kind = k };

		while (wanted[k] && worker[PLAIN] >= 0 && ordered[k] < pool_size) {
			int err = vds_proto_send(worker[PLAIN], &o, sizeof(o),
						 NULL, 0);

			if (err == -EAGAIN)
				return; /* the worker is behind: later */
			if (err < 0) {
				worker_gone();
				return;
			}
			ordered[k]++;
		}
	}
}

/* take - the namespaces of a stack of kind k, if ready (never waits).
 * Return: them (with *ret_peer for SPARE), or VDS_STACKNS_NONE. */
static struct vds_stackns take(unsigned k, unsigned *ret_peer)
{
	struct made m;
	unsigned nfds = 0;
	ssize_t n;
	int fd = -1;

	if (worker[k] < 0 || ordered[k] == 0)
		return VDS_STACKNS_NONE;
	n = vds_proto_recv(worker[k], &m, sizeof(m), &fd, 1, &nfds);
	if (n == -EAGAIN)
		return VDS_STACKNS_NONE; /* still being made: a later request's */
	if (n <= 0) {
		worker_gone();
		return VDS_STACKNS_NONE;
	}
	ordered[k]--;
	if (n != sizeof(m) || m.status < 0 || m.kind != k || nfds != 1) {
		if (nfds)
			close(fd);
		return VDS_STACKNS_NONE; /* the caller makes them, and sees
					   * the error itself */
	}
	if (ret_peer)
		*ret_peer = m.peer;
	return (struct vds_stackns){ .net = fd };
}

/* wait_for - wait (bounded by VDS_NSPOOL_WAIT_MS) for the next stack's
 * namespaces of kind k from the worker, ordering them if none are on
 * their way.  Return: them, or VDS_STACKNS_NONE (no worker, it failed, or
 * took too long: the caller makes them). */
static struct vds_stackns wait_for(unsigned k)
{
	struct order o = { .make = 1, .kind = k };
	struct pollfd p;
	int n;

	if (worker[k] < 0)
		return VDS_STACKNS_NONE;
	if (ordered[k] == 0) {
		n = vds_proto_send(worker[PLAIN], &o, sizeof(o), NULL, 0);
		if (n < 0) {
			if (n != -EAGAIN)
				worker_gone();
			return VDS_STACKNS_NONE;
		}
		ordered[k]++;
	}
	p = (struct pollfd){ .fd = worker[k], .events = POLLIN };
	do
		n = poll(&p, 1, VDS_NSPOOL_WAIT_MS);
	while (n < 0 && errno == EINTR);
	return n > 0 ? take(k, NULL) : VDS_STACKNS_NONE;
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
 * order the first pool.  Called in the helper's base namespace, where the
 * worker stays: the children that make its namespaces never move it.
 * Return: 0, or -errno (the helper works without a worker then). */
int vds_nspool_start(void)
{
	int sv[SOCKS][2], ends[SOCKS], err = 0;
	pid_t helper = getpid(), pid;
	unsigned made = 0;

	pool_size = pool_size_of(getenv("VDESTACK_NSPOOL"));
	if (pool_size == 0)
		return 0;
	for (; made < SOCKS && err == 0; made++)
		err = vds_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[made]);
	if (err < 0) {
		for (unsigned k = 0; k + 1 < made; k++) {
			close(sv[k][0]);
			close(sv[k][1]);
		}
		return err;
	}
	if (!released) { /* kept for the helper's life, as the worker is */
		void *p = mmap(NULL, sizeof(*released), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		released = p == MAP_FAILED ? NULL : p; /* NULL: closes wait not */
	}
	for (unsigned k = 0; k < SOCKS; k++)
		ends[k] = sv[k][1];
	pid = vds_sys_fork();
	if (pid == 0)
		worker_main(ends, helper);
	for (unsigned k = 0; k < SOCKS; k++)
		close(sv[k][1]);
	if (pid < 0) {
		for (unsigned k = 0; k < SOCKS; k++)
			close(sv[k][0]);
		return pid;
	}
	if (!worker_ready(sv[PLAIN][0])) {
		for (unsigned k = 0; k < SOCKS; k++)
			close(sv[k][0]); /* it reads end-of-file and exits */
		return -ECHILD;
	}
	/* non-blocking: a worker that falls behind never stalls the helper
	 * (a discard it cannot take now is closed by the helper) */
	for (unsigned k = 0; k < SOCKS; k++) {
		if (fcntl(sv[k][0], F_SETFL, O_NONBLOCK) < 0) {
			err = -errno;
			for (unsigned j = 0; j < SOCKS; j++)
				close(sv[j][0]); /* the worker exits */
			for (unsigned j = 0; j < SOCKS; j++)
				worker[j] = -1;
			return err;
		}
		worker[k] = sv[k][0];
	}
	order_more();
	return 0;
}

/* vds_nspool_take - a stack's namespaces from the pool (lo up, nothing
 * else), or, when none are ready and wait is set, the next the worker
 * makes (wait_for).  Return: them, or VDS_STACKNS_NONE when none are
 * ready (without wait), there is no worker or it could not make them (the
 * caller makes them, and sees the error itself). */
struct vds_stackns vds_nspool_take(bool wait)
{
	struct vds_stackns ns = take(PLAIN, NULL);

	return ns.net >= 0 || !wait ? ns : wait_for(PLAIN);
}

/* vds_nspool_take_spare - as vds_nspool_take, namespaces whose interface
 * ifname is a veth with its peer, *ret_peer (ifindex), down in the base
 * namespace; only for VDS_DEFAULT_IFNAME.  The first call makes the pool
 * keep such namespaces from then on. */
struct vds_stackns vds_nspool_take_spare(const char *ifname, unsigned *ret_peer)
{
	if (strcmp(ifname, VDS_DEFAULT_IFNAME) != 0 || pool_size == 0)
		return VDS_STACKNS_NONE;
	wanted[SPARE] = true;
	return take(SPARE, ret_peer);
}

/* vds_nspool_refill - note that the pool lacks namespaces; called after
 * the reply to a request.  The order goes out from vds_nspool_idle(),
 * or now when a kind has none left. */
void vds_nspool_refill(void)
{
	/* an empty pool: requests come faster than the quiet rule refills it
	 * (stacks made back to back): order now, so that the worker makes
	 * namespaces beside the helper; its CPU would be idle otherwise */
	for (unsigned k = 0; k < KINDS; k++) {
		if (wanted[k] && ordered[k] == 0) {
			refill_due = false;
			order_more();
			return;
		}
	}
	refill_due = true;
}

/* vds_nspool_due - whether the pool lacks namespaces that are not
 * ordered yet: the helper then sleeps at most VDS_NSPOOL_QUIET_MS and
 * calls vds_nspool_idle() if nothing came meanwhile. */
bool vds_nspool_due(void)
{
	return refill_due && worker[PLAIN] >= 0;
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

/* vds_nspool_discard_n - close the n descriptors of fds (-1s skipped, at
 * most ORDER_MAX_FDS), through the worker when there is one, in one
 * message: a tap's or packet socket's close waits for the kernel there,
 * not here. */
void vds_nspool_discard_n(const int *fds, unsigned n)
{
	static uint32_t seq;
	struct order o = { .make = 0 };
	int give[ORDER_MAX_FDS];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (fds[i] >= 0 && k < ORDER_MAX_FDS)
			give[k++] = fds[i];
		else if (fds[i] >= 0)
			close(fds[i]); /* more than one message holds */
	}
	if (k == 0)
		return;
	if (++seq == 0)
		seq = 1; /* 0: nothing to wait for */
	o.seq = seq;
	if (worker[DISCARD] >= 0) {
		ssize_t r = vds_proto_send(worker[DISCARD], &o, sizeof(o), give,
					   k);

		/* a full queue, or too many descriptors in flight: these
		 * closed here, and the worker stays */
		if (r < 0 && r != -EAGAIN && r != -ENOBUFS &&
		    r != -ETOOMANYREFS)
			worker_gone();
	}
	for (unsigned i = 0; i < k; i++)
		close(give[i]); /* the last references, if the worker got none */
	if (released) { /* the worker's closers may close them now */
		atomic_store(&released->seq, seq);
		if (atomic_load(&released->waiters))
			syscall(SYS_futex, &released->seq, FUTEX_WAKE, INT32_MAX,
				NULL, NULL, 0);
	}
}

/* vds_nspool_discard - vds_nspool_discard_n of one descriptor. */
void vds_nspool_discard(int fd)
{
	vds_nspool_discard_n(&fd, 1);
}

/* vds_nspool_drop_fds - in a runner or spawner: the worker's socket is
 * the helper's alone. */
void vds_nspool_drop_fds(void)
{
	for (unsigned k = 0; k < SOCKS; k++) {
		if (worker[k] >= 0)
			close(worker[k]);
		worker[k] = -1;
	}
}
