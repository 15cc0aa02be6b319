/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * loop.c - the event loops that run the frame pumps.
 *
 * Theory of operation
 *
 * A loop is one thread waiting in epoll_wait() on the descriptors of the
 * stacks it serves: their interfaces and whatever their backends watch.
 * Stacks are spread over a pool of at most one loop per CPU (capped at
 * VDS_LOOP_MAX), the least loaded first, so one stack gets a whole thread
 * and a thousand stacks share a handful.  A loop's thread starts with its
 * first user and is joined when its last user leaves, so nothing of the
 * pump outlives the last vde_delstack().
 *
 * Each iteration: every source's prepare() (where a backend such as
 * libslirp refreshes its descriptors and asks for a timeout), the wait,
 * the callbacks of ready descriptors, expired timers, every source's
 * check(), and then the calls queued by other threads with
 * vds_loop_call().  Watches, timers and sources are only changed on the
 * loop's own thread; other threads get there through vds_loop_call(),
 * which also serialises starting and stopping a stack against the pump.
 * A watch deleted while its events are being dispatched is only marked,
 * and freed at the end of the iteration.
 *
 * Timers keep microseconds: a wait whose timeout is not a whole number of
 * milliseconds is an epoll_pwait2(), so that a link's delay (linkcond.c)
 * holds to the microsecond instead of being rounded to the next
 * millisecond; where the kernel lacks it, waits round up as before.
 *
 * Latency: while frames flow, a loop that just handled events polls again
 * without sleeping for VDS_LOOP_BUSY_US, so that a request/response
 * exchange does not pay a sleep and a wake-up per frame (on a quiet 2-CPU
 * machine: UDP round trip over mem:// 57 -> 40 us median, TCP 8.2 -> 9
 * Gbit/s); the first quiet period that long puts it back to sleep, so an
 * idle stack costs nothing.  On a machine whose CPUs are all busy the
 * spinning competes with the application's threads:
 * VDESTACK_BUSY_POLL=0 turns it off.
 *
 * Placement: a stack goes to a running loop while one has fewer than
 * VDS_LOOP_FILL users, and only then starts another: starting and joining
 * a thread per stack is what made a lone vde_addstack/vde_delstack slow,
 * and two stacks of one segment on one loop switch context less.
 *
 * Seccomp: every loop thread installs the pump's filter (sandbox.c) when
 * it starts, unless VDESTACK_PUMP_SECCOMP=0 was in the environment then.
 * The few stacks whose backend starts programs from its loop (libslirp's
 * cmdfwd=; libvdeplug plugins that may exec when a reconnection opens
 * them again, such as cmd://) take their loops from a second pool, of the
 * same size, whose threads have no filter; no stack of the first pool
 * ever shares a thread with them.  A filter that cannot be installed (an architecture the
 * filter does not know, a kernel without seccomp) leaves the loop as it
 * was: the filter is a second line, the pump works without it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "base/alloc.h"
#include "base/busypoll.h"
#include "base/clock.h"
#include "base/internal.h"
#include "sandbox.h"
#include "stack.h"

#define VDS_LOOP_MAX 8
#define LOOP_WAIT_MAX_US (1000LL * 1000 * 1000) /* a wait, at most */
#define LOOP_TIMER_SLACK_NS 1000UL /* how late a timer may fire */
#define VDS_LOOP_EVENTS 64
#ifndef VDS_LOOP_BUSY_US
#define VDS_LOOP_BUSY_US 50 /* busy-poll this long after the last event */
#endif

struct vds_watch {
	struct vds_loop *loop;
	int fd;
	vds_watch_cb cb;
	void *arg;
	bool deleted;
	struct vds_watch *next_dead;
};

struct vds_timer {
	struct vds_loop *loop;
	vds_timer_cb cb;
	void *arg;
	int64_t due; /* us on the monotonic clock, -1 disarmed */
	bool deleted;
	struct vds_timer *next;
};

struct vds_source {
	struct vds_loop *loop;
	const struct vds_source_ops *ops;
	void *arg;
	bool deleted;
	struct vds_source *next;
};

/* A call queued for the loop's thread by vds_loop_call(). */
struct call {
	int (*fn)(void *arg);
	void *arg;
	int result;
	bool done;
	struct call *next;
};

struct vds_loop {
	pthread_t thread;
	bool running;      /* thread started (pool_lock) */
	int users;         /* pool_lock */
	int epfd, wakefd;
	atomic_bool stop;
	pid_t pid;         /* process that started the thread */
	bool execs;        /* of the pool without the filter (pool_lock) */
	atomic_bool sandboxed; /* the thread's filter is in place */

	pthread_mutex_t lock; /* calls */
	pthread_cond_t cond;
	struct call *calls, **calls_tail;

	struct vds_timer *timers;
	struct vds_source *sources;
	struct vds_watch *dead_watches;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
/* [0, VDS_LOOP_MAX): loops with the filter; the rest: loops without */
static struct vds_loop pool[2 * VDS_LOOP_MAX];
static unsigned pool_size;

/* on_loop_thread - whether the caller is the loop's own thread. */
static bool on_loop_thread(const struct vds_loop *loop)
{
	return loop->running && loop->pid == getpid() &&
	       pthread_equal(loop->thread, pthread_self());
}

/* run_calls - run the calls queued by other threads, in order. */
static void run_calls(struct vds_loop *loop)
{
	struct call *c;

	pthread_mutex_lock(&loop->lock);
	while ((c = loop->calls)) {
		loop->calls = c->next;
		if (!loop->calls)
			loop->calls_tail = &loop->calls;
		pthread_mutex_unlock(&loop->lock);
		c->result = c->fn(c->arg);
		pthread_mutex_lock(&loop->lock);
		c->done = true;
		pthread_cond_broadcast(&loop->cond);
	}
	pthread_mutex_unlock(&loop->lock);
}

/* reap - free what was deleted during the iteration. */
static void reap(struct vds_loop *loop)
{
	struct vds_watch *w;
	struct vds_timer **tp = &loop->timers, *t;
	struct vds_source **sp = &loop->sources, *s;

	while ((w = loop->dead_watches)) {
		loop->dead_watches = w->next_dead;
		vds_free(w);
	}
	while ((t = *tp)) {
		if (t->deleted) {
			*tp = t->next;
			vds_free(t);
		} else {
			tp = &t->next;
		}
	}
	while ((s = *sp)) {
		if (s->deleted) {
			*sp = s->next;
			vds_free(s);
		} else {
			sp = &s->next;
		}
	}
}

/* prepare_all - run the sources' prepare hooks and fold in the timers.
 * Return: the wait's timeout in us (-1 for none). */
static int64_t prepare_all(struct vds_loop *loop)
{
	int timeout_ms = -1;
	int64_t timeout, now = -1;

	for (struct vds_source *s = loop->sources; s; s = s->next)
		if (!s->deleted && s->ops->prepare)
			s->ops->prepare(s->arg, &timeout_ms);
	timeout = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000;
	for (struct vds_timer *t = loop->timers; t; t = t->next) {
		int64_t left;

		if (t->deleted || t->due < 0)
			continue;
		if (now < 0)
			now = vds_now_us();
		left = t->due > now ? t->due - now : 0;
		if (timeout < 0 || left < timeout)
			timeout = left > LOOP_WAIT_MAX_US ? LOOP_WAIT_MAX_US : left;
	}
	return timeout;
}

/* Set once epoll_pwait2() is found missing (old kernels, valgrind 3.19):
 * waits are then rounded up to whole milliseconds. */
static atomic_bool no_pwait2;

/* loop_wait - epoll_wait() for at most timeout_us (-1: no limit): to the
 * microsecond with epoll_pwait2() when the timeout is not whole
 * milliseconds (a timer of vds_loop_timer_arm_us), else in ms.
 * Return: as epoll_wait(). */
static int loop_wait(struct vds_loop *loop, struct epoll_event *ev,
		     int64_t timeout_us)
{
	if (timeout_us > 0 && timeout_us % 1000 &&
	    !atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
		struct timespec ts = { .tv_sec = timeout_us / 1000000,
				       .tv_nsec = timeout_us % 1000000 * 1000 };
		int n = epoll_pwait2(loop->epfd, ev, VDS_LOOP_EVENTS, &ts, NULL);

		if (n >= 0 || errno != ENOSYS)
			return n;
		atomic_store(&no_pwait2, true);
	}
	return epoll_wait(loop->epfd, ev, VDS_LOOP_EVENTS,
			  timeout_us < 0 ? -1 : (int)((timeout_us + 999) / 1000));
}

/* fire_timers - run the callbacks of expired timers (each disarmed first,
 * so that it may re-arm itself). */
static void fire_timers(struct vds_loop *loop)
{
	int64_t now = vds_now_us();

	for (struct vds_timer *t = loop->timers; t; t = t->next) {
		if (t->deleted || t->due < 0 || t->due > now)
			continue;
		t->due = -1;
		t->cb(t->arg);
	}
}

/* sandbox_wanted - whether loop threads get the seccomp filter: unless
 * VDESTACK_PUMP_SECCOMP is "0". */
static bool sandbox_wanted(void)
{
	const char *v = getenv("VDESTACK_PUMP_SECCOMP");

	return !v || strcmp(v, "0") != 0;
}

/* vds_loop_sandboxed - Return: true when the loop's thread runs under the
 * pump's seccomp filter. */
bool vds_loop_sandboxed(const struct vds_loop *loop)
{
	return atomic_load(&loop->sandboxed);
}

/* loop_thread - the loop's thread body. */
static void *loop_thread(void *arg)
{
	struct vds_loop *loop = arg;
	struct epoll_event ev[VDS_LOOP_EVENTS];
	sigset_t all;

	/* signals belong to the application's own threads */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	vds_bypass_default = 1;
	/* timers to the microsecond (a link's delay): the kernel's default
	 * slack would let each expiry come up to 50 us late */
	prctl(PR_SET_TIMERSLACK, LOOP_TIMER_SLACK_NS, 0, 0, 0);
	if (!loop->execs && sandbox_wanted())
		atomic_store(&loop->sandboxed, vds_sandbox_thread() == 0);

	int64_t busy_until = 0;
	bool busy_poll = vds_busy_poll();

	while (!atomic_load(&loop->stop)) {
		int64_t timeout = prepare_all(loop);
		int n;

		/* traffic flowing: poll without sleeping for a short while,
		 * saving a sleep and a wake-up per frame; idle: sleep */
		if (busy_poll && timeout != 0 && busy_until &&
		    vds_now_us() < busy_until)
			timeout = 0;
		n = loop_wait(loop, ev, timeout);
		if (n > 0) {
			busy_until = vds_now_us() + VDS_LOOP_BUSY_US;
		} else if (n == 0 && timeout == 0) {
			if (vds_now_us() >= busy_until)
				busy_until = 0;
			else /* a thread this loop woke may wait for this CPU */
				sched_yield();
		}

		for (int i = 0; i < n; i++) {
			struct vds_watch *w = ev[i].data.ptr;

			if (!w) {
				uint64_t v;

				if (read(loop->wakefd, &v, sizeof(v)) < 0) {
					/* nothing to read: spurious wake */
				}
				continue;
			}
			if (!w->deleted)
				w->cb(w->arg, ev[i].events);
		}
		fire_timers(loop);
		for (struct vds_source *s = loop->sources; s; s = s->next)
			if (!s->deleted && s->ops->check)
				s->ops->check(s->arg);
		run_calls(loop);
		reap(loop);
	}
	run_calls(loop);
	reap(loop);
	return NULL;
}

/* loop_start - create the loop's descriptors and thread.
 * Return: 0 or -errno. */
static int loop_start(struct vds_loop *loop)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int err;

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return -errno;
	loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->wakefd < 0) {
		err = -errno;
		goto fail_ep;
	}
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	pthread_mutex_init(&loop->lock, NULL);
	pthread_cond_init(&loop->cond, NULL);
	loop->calls = NULL;
	loop->calls_tail = &loop->calls;
	loop->timers = NULL;
	loop->sources = NULL;
	loop->dead_watches = NULL;
	atomic_store(&loop->stop, false);
	atomic_store(&loop->sandboxed, false);
	loop->pid = getpid();
	err = -pthread_create(&loop->thread, NULL, loop_thread, loop);
	if (err < 0)
		goto fail_sync;
	loop->running = true;
	return 0;
fail_sync:
	pthread_cond_destroy(&loop->cond);
	pthread_mutex_destroy(&loop->lock);
fail:
	close(loop->wakefd);
fail_ep:
	close(loop->epfd);
	return err;
}

/* wake - interrupt the loop's wait. */
static void wake(struct vds_loop *loop)
{
	uint64_t one = 1;

	if (write(loop->wakefd, &one, sizeof(one)) < 0) {
		/* counter saturated: the loop is awake anyway */
	}
}

/* loop_stop - end the loop's thread and close its descriptors. */
static void loop_stop(struct vds_loop *loop)
{
	if (loop->pid == getpid()) {
		atomic_store(&loop->stop, true);
		wake(loop);
		pthread_join(loop->thread, NULL);
	}
	/* in a forked child the thread does not exist: just release */
	close(loop->wakefd);
	close(loop->epfd);
	pthread_cond_destroy(&loop->cond);
	pthread_mutex_destroy(&loop->lock);
	loop->running = false;
}

/* pool_reset_in_child - after fork(), the child has none of the loop
 * threads: start it from an empty pool (the parent's stacks in the child
 * never touch their loops, see vds_port_forget). */
static void pool_reset_in_child(void)
{
	for (unsigned i = 0; i < VDS_ARRAY_SIZE(pool); i++) {
		if (pool[i].running) {
			close(pool[i].wakefd);
			close(pool[i].epfd);
		}
		pool[i] = (struct vds_loop){ .running = false };
	}
	pthread_mutex_init(&pool_lock, NULL);
}

/* pool_atfork_init - register pool_reset_in_child, once. */
static void pool_atfork_init(void)
{
	pthread_atfork(NULL, NULL, pool_reset_in_child);
}

/* acquire - the least used loop of one pool (execs: the one without the
 * filter), for one more user.  Return: 0 or -errno. */
static int acquire(bool execs, struct vds_loop **ret)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct vds_loop *best = NULL, *loops;
	int err = 0;

	pthread_once(&once, pool_atfork_init);
	pthread_mutex_lock(&pool_lock);
	if (pool_size == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		pool_size = n < 1 ? 1 : (n > VDS_LOOP_MAX ? VDS_LOOP_MAX : (unsigned)n);
	}
	loops = pool + (execs ? VDS_LOOP_MAX : 0);
	for (unsigned i = 0; i < pool_size; i++)
		if (loops[i].running && loops[i].users < VDS_LOOP_FILL &&
		    (!best || loops[i].users < best->users))
			best = &loops[i];
	if (!best) {
		for (unsigned i = 0; i < pool_size; i++)
			if (!best || loops[i].users < best->users)
				best = &loops[i];
	}
	if (best->users == 0 && !best->running) {
		best->execs = execs;
		err = loop_start(best);
	}
	if (err == 0) {
		best->users++;
		*ret = best;
	}
	pthread_mutex_unlock(&pool_lock);
	return err;
}

/* vds_loop_acquire - the least used loop of the pool with the seccomp
 * filter, for one more user.  Return: 0 or -errno. */
int vds_loop_acquire(struct vds_loop **ret)
{
	return acquire(false, ret);
}

/* vds_loop_acquire_exec - the least used loop of the pool without the
 * filter, for a backend that starts programs.  Return: 0 or -errno. */
int vds_loop_acquire_exec(struct vds_loop **ret)
{
	return acquire(true, ret);
}

/* vds_loop_release - one user fewer; the last one stops the thread. */
void vds_loop_release(struct vds_loop *loop)
{
	if (!loop)
		return;
	pthread_mutex_lock(&pool_lock);
	if (--loop->users == 0)
		loop_stop(loop);
	pthread_mutex_unlock(&pool_lock);
}

/* vds_loop_call - run fn(arg) on the loop's thread and wait for it.
 * Return: what fn returned; -ESRCH in a forked child, where the thread
 * does not exist. */
int vds_loop_call(struct vds_loop *loop, int (*fn)(void *arg), void *arg)
{
	struct call c = { .fn = fn, .arg = arg };

	if (on_loop_thread(loop))
		return fn(arg);
	if (loop->pid != getpid())
		return -ESRCH;
	pthread_mutex_lock(&loop->lock);
	*loop->calls_tail = &c;
	loop->calls_tail = &c.next;
	wake(loop);
	while (!c.done)
		pthread_cond_wait(&loop->cond, &loop->lock);
	pthread_mutex_unlock(&loop->lock);
	return c.result;
}

/* vds_loop_watch_add - watch fd for events (EPOLLIN/EPOLLOUT...).
 * Return: 0 or -errno. */
int vds_loop_watch_add(struct vds_loop *loop, int fd, uint32_t events,
		       vds_watch_cb cb, void *arg, struct vds_watch **ret)
{
	struct vds_watch *w = vds_calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOMEM;
	*w = (struct vds_watch){ .loop = loop, .fd = fd, .cb = cb, .arg = arg };
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		vds_free(w);
		return err;
	}
	*ret = w;
	return 0;
}

/* vds_loop_watch_mod - change the events of a watch.  Return: 0/-errno. */
int vds_loop_watch_mod(struct vds_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ?
		-errno : 0;
}

/* vds_loop_watch_del - stop watching; the fd stays open.  Accepts NULL. */
void vds_loop_watch_del(struct vds_watch *w)
{
	if (!w)
		return;
	epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->deleted = true;
	w->next_dead = w->loop->dead_watches;
	w->loop->dead_watches = w;
}

/* vds_loop_timer_add - a disarmed timer.  Return: 0 or -ENOMEM. */
int vds_loop_timer_add(struct vds_loop *loop, vds_timer_cb cb, void *arg,
		       struct vds_timer **ret)
{
	struct vds_timer *t = vds_calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	*t = (struct vds_timer){ .loop = loop, .cb = cb, .arg = arg,
				 .due = -1, .next = loop->timers };
	loop->timers = t;
	*ret = t;
	return 0;
}

/* vds_loop_timer_arm - fire once, ms from now (re-arming moves it). */
void vds_loop_timer_arm(struct vds_timer *t, int64_t ms)
{
	t->due = vds_now_us() + (ms < 0 ? 0 : ms) * 1000;
}

/* vds_loop_timer_arm_us - fire once, us from now (re-arming moves it). */
void vds_loop_timer_arm_us(struct vds_timer *t, int64_t us)
{
	t->due = vds_now_us() + (us < 0 ? 0 : us);
}

/* vds_loop_timer_disarm - cancel a pending expiry. */
void vds_loop_timer_disarm(struct vds_timer *t)
{
	t->due = -1;
}

/* vds_loop_timer_del - delete a timer; accepts NULL. */
void vds_loop_timer_del(struct vds_timer *t)
{
	if (t)
		t->deleted = true;
}

/* vds_loop_source_add - add per-iteration hooks.  Return: 0 or -ENOMEM. */
int vds_loop_source_add(struct vds_loop *loop,
			const struct vds_source_ops *ops, void *arg,
			struct vds_source **ret)
{
	struct vds_source *s = vds_calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	*s = (struct vds_source){ .loop = loop, .ops = ops, .arg = arg,
				  .next = loop->sources };
	loop->sources = s;
	*ret = s;
	return 0;
}

/* vds_loop_source_del - remove a source; accepts NULL. */
void vds_loop_source_del(struct vds_source *s)
{
	if (s)
		s->deleted = true;
}

/* Serialises the making of the buffers' keys (once per buffer). */
static pthread_mutex_t thread_buf_lock = PTHREAD_MUTEX_INITIALIZER;

/* vds_thread_buf - see loop.h: the key is made once (the first call takes
 * a lock, the others one atomic load).  Return: the calling thread's
 * buffer of tb, made at first use, or NULL when out of memory. */
void *vds_thread_buf(struct vds_thread_buf *tb)
{
	void *buf;

	if (!atomic_load_explicit(&tb->ready, memory_order_acquire)) {
		bool made = true;

		pthread_mutex_lock(&thread_buf_lock);
		if (!atomic_load_explicit(&tb->ready, memory_order_relaxed))
			made = pthread_key_create(&tb->key, vds_free) == 0;
		if (made)
			atomic_store_explicit(&tb->ready, true,
					      memory_order_release);
		pthread_mutex_unlock(&thread_buf_lock);
		if (!made)
			return NULL;
	}
	buf = pthread_getspecific(tb->key);
	if (!buf) {
		buf = vds_malloc(tb->size);
		if (buf && pthread_setspecific(tb->key, buf) != 0) {
			vds_free(buf);
			buf = NULL;
		}
	}
	return buf;
}
