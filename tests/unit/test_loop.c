/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_loop.c - unit tests of the event loop pool (loop.c). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "base/clock.h"
#include "core/loop.h"
#include "unit.h"

/* Every test takes one loop; the fixture gives it back. */
struct fix {
	struct vds_loop *loop;
	int threads_before;
	struct unit_counter *hits;
};

/* setup - a loop of the pool and a counter.  Return: 0. */
static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->threads_before = unit_count_threads();
	assert_int_equal(vds_loop_acquire(&f->loop), 0);
	f->hits = unit_counter_new();
	*state = f;
	return 0;
}

/* teardown - give the loop back; its thread must end.  Return: 0. */
static int teardown(void **state)
{
	struct fix *f = *state;

	vds_loop_release(f->loop);
	assert_int_equal(unit_wait_threads(f->threads_before), f->threads_before);
	unit_counter_free(f->hits);
	free(f);
	return 0;
}

/* nop - a call that does nothing.  Return: 0. */
static int nop(void *arg)
{
	return 0;
}

/* sync_loop - let the loop finish the iteration in progress and run one
 * more (two calls: the first may run in the current iteration). */
static void sync_loop(struct vds_loop *loop)
{
	assert_int_equal(vds_loop_call(loop, nop, NULL), 0);
	assert_int_equal(vds_loop_call(loop, nop, NULL), 0);
}

/* gettid_now - the calling thread's id.  Return: it. */
static pid_t gettid_now(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* ------------------------------------------------------------------ */
/* Pool and threads                                                     */
/* ------------------------------------------------------------------ */

/* test_loop_acquire_starts_a_thread_and_last_release_ends_it - the
 * thread count goes up with the first user, back with the last one. */
static void test_loop_acquire_starts_a_thread_and_last_release_ends_it(void **state)
{
	int base = unit_count_threads();
	struct vds_loop *loop;

	assert_int_equal(vds_loop_acquire(&loop), 0);
	assert_int_equal(unit_count_threads(), base + 1);
	vds_loop_release(loop);
	assert_int_equal(unit_wait_threads(base), base);
	/* and again: a loop can be started anew */
	assert_int_equal(vds_loop_acquire(&loop), 0);
	assert_int_equal(unit_count_threads(), base + 1);
	vds_loop_release(loop);
	assert_int_equal(unit_wait_threads(base), base);
	vds_loop_release(NULL);
}

/* test_loop_pool_spreads_users_then_shares_loops - users fill a running
 * loop up to VDS_LOOP_FILL before another loop (one per CPU, at most 8)
 * starts; the thread lives while any user of its loop does. */
static void test_loop_pool_spreads_users_then_shares_loops(void **state)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned size = cpus < 1 ? 1 : (cpus > 8 ? 8 : (unsigned)cpus);
	static struct vds_loop *loops[VDS_LOOP_FILL + 1];
	int base = unit_count_threads();

	for (unsigned i = 0; i < VDS_LOOP_FILL; i++) {
		assert_int_equal(vds_loop_acquire(&loops[i]), 0);
		assert_ptr_equal(loops[i], loops[0]);
	}
	assert_int_equal(unit_count_threads(), base + 1);
	assert_int_equal(vds_loop_acquire(&loops[VDS_LOOP_FILL]), 0);
	if (size > 1) {
		assert_ptr_not_equal(loops[VDS_LOOP_FILL], loops[0]);
		assert_int_equal(unit_count_threads(), base + 2);
	} else {
		assert_ptr_equal(loops[VDS_LOOP_FILL], loops[0]);
	}
	/* the first loop keeps its thread while it has a user */
	for (unsigned i = 1; i < VDS_LOOP_FILL; i++)
		vds_loop_release(loops[i]);
	assert_int_equal(unit_count_threads(), base + (size > 1 ? 2 : 1));
	vds_loop_release(loops[VDS_LOOP_FILL]);
	vds_loop_release(loops[0]);
	(void)state;
	assert_int_equal(unit_wait_threads(base), base);
}

/* ------------------------------------------------------------------ */
/* vds_loop_call                                                        */
/* ------------------------------------------------------------------ */

struct where {
	pthread_t thread;
	pid_t tid;
	struct vds_loop *loop;
	int inner;
};

/* record_thread - note the thread it runs on.  Return: 42. */
static int record_thread(void *arg)
{
	struct where *w = arg;

	w->thread = pthread_self();
	w->tid = gettid_now();
	return 42;
}

/* nested_call - a call made from the loop thread itself runs inline.
 * Return: 7 plus what the inner call returned. */
static int nested_call(void *arg)
{
	struct where *w = arg;
	struct where inner = { 0 };

	w->inner = vds_loop_call(w->loop, record_thread, &inner);
	w->thread = pthread_self();
	return pthread_equal(inner.thread, w->thread) ? 7 + w->inner : -1;
}

/* test_loop_call_runs_on_the_loop_thread_and_returns_its_value - not on
 * the caller's thread, always the same thread, inline when nested. */
static void test_loop_call_runs_on_the_loop_thread_and_returns_its_value(void **state)
{
	struct fix *f = *state;
	struct where a = { 0 }, b = { 0 }, n = { .loop = f->loop };

	assert_int_equal(vds_loop_call(f->loop, record_thread, &a), 42);
	assert_false(pthread_equal(a.thread, pthread_self()));
	assert_int_not_equal(a.tid, gettid_now());
	assert_int_equal(vds_loop_call(f->loop, record_thread, &b), 42);
	assert_true(pthread_equal(a.thread, b.thread));
	assert_int_equal(vds_loop_call(f->loop, nested_call, &n), 49);
	assert_true(pthread_equal(n.thread, a.thread));
}

struct caller {
	struct vds_loop *loop;
	int sum;
};

/* add_one - increment, on the loop thread.  Return: 1. */
static int add_one(void *arg)
{
	struct caller *c = arg;

	c->sum++;
	return 1;
}

/* calling_thread - many vds_loop_call()s from another thread.
 * Return: NULL. */
static void *calling_thread(void *arg)
{
	struct caller *c = arg;

	for (int i = 0; i < 200; i++)
		vds_loop_call(c->loop, add_one, c);
	return NULL;
}

/* test_loop_call_from_many_threads_runs_every_call_once - calls are
 * serialised on the loop thread (the sum needs no lock). */
static void test_loop_call_from_many_threads_runs_every_call_once(void **state)
{
	struct fix *f = *state;
	struct caller c = { .loop = f->loop };
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, calling_thread, &c), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(c.sum, 800);
}

/* child_calls_parent_loop - in a forked child, the parent's loop thread
 * does not exist: vds_loop_call() says -ESRCH, at once. */
static void child_calls_parent_loop(void *arg)
{
	struct fix *f = arg;
	struct where w = { 0 };

	CHILD_CHECK(vds_loop_call(f->loop, record_thread, &w) == -ESRCH);
}

/* test_loop_call_in_a_forked_child_fails_with_esrch - no hang. */
static void test_loop_call_in_a_forked_child_fails_with_esrch(void **state)
{
	assert_int_equal(unit_run_in_child(child_calls_parent_loop, *state), 0);
}

/* child_acquires_a_loop - a forked child takes a loop and uses it. */
static void child_acquires_a_loop(void *arg)
{
	struct vds_loop *loop;
	struct where w = { 0 };

	CHILD_CHECK(vds_loop_acquire(&loop) == 0);
	CHILD_CHECK_MSG(vds_loop_call(loop, record_thread, &w) == 42,
			"the loop handed to the child has no thread");
	vds_loop_release(loop);
}

/* test_loop_acquire_in_a_forked_child_gives_a_working_loop - a child
 * forked while the parent uses every loop of the pool (as an application
 * with a few stacks does) must still get a loop whose thread runs: the
 * parent's threads do not exist in the child. */
static void test_loop_acquire_in_a_forked_child_gives_a_working_loop(void **state)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned size = cpus < 1 ? 1 : (cpus > 8 ? 8 : (unsigned)cpus);
	static struct vds_loop *loops[8 * VDS_LOOP_FILL];
	struct vds_loop *seen[8];
	unsigned n = size * VDS_LOOP_FILL, nseen = 0;
	int status;

	/* occupy every loop of the pool, each to its fill: each has its
	 * thread, and the child's acquire finds no loop of its own */
	for (unsigned i = 0; i < n; i++) {
		unsigned k = 0;

		assert_int_equal(vds_loop_acquire(&loops[i]), 0);
		while (k < nseen && seen[k] != loops[i])
			k++;
		if (k == nseen) {
			assert_true(nseen < size);
			seen[nseen++] = loops[i];
		}
	}
	assert_int_equal(nseen, size);
	status = unit_run_in_child(child_acquires_a_loop, NULL);
	for (unsigned i = 0; i < n; i++)
		vds_loop_release(loops[i]);
	assert_int_equal(status, 0);
}

/* ------------------------------------------------------------------ */
/* Watches                                                              */
/* ------------------------------------------------------------------ */

struct evwatch {
	struct fix *f;
	int fd;
	struct vds_watch *w;
	uint32_t events;
};

/* on_eventfd - drain the eventfd and count. */
static void on_eventfd(void *arg, uint32_t events)
{
	struct evwatch *e = arg;
	uint64_t v;

	e->events = events;
	if (read(e->fd, &v, sizeof(v)) != sizeof(v))
		return;
	unit_counter_add(e->f->hits, 1);
}

/* add_evwatch - register e's watch (loop thread).  Return: 0/-errno. */
static int add_evwatch(void *arg)
{
	struct evwatch *e = arg;

	return vds_loop_watch_add(e->f->loop, e->fd, EPOLLIN, on_eventfd, e,
				  &e->w);
}

/* del_evwatch - remove e's watch (loop thread).  Return: 0. */
static int del_evwatch(void *arg)
{
	struct evwatch *e = arg;

	vds_loop_watch_del(e->w);
	e->w = NULL;
	return 0;
}

/* test_loop_watch_fires_when_its_eventfd_is_readable - once per write
 * (the callback drains it), not after deletion. */
static void test_loop_watch_fires_when_its_eventfd_is_readable(void **state)
{
	struct fix *f = *state;
	struct evwatch e = { .f = f, .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	uint64_t one = 1;

	assert_true(e.fd >= 0);
	assert_int_equal(vds_loop_call(f->loop, add_evwatch, &e), 0);
	assert_int_equal(write(e.fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(unit_counter_wait(f->hits, 1), 1);
	assert_true(e.events & EPOLLIN);
	assert_int_equal(write(e.fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(unit_counter_wait(f->hits, 2), 2);
	assert_int_equal(vds_loop_call(f->loop, del_evwatch, &e), 0);
	assert_int_equal(write(e.fd, &one, sizeof(one)), sizeof(one));
	sync_loop(f->loop);
	assert_int_equal(unit_counter_get(f->hits), 2);
	close(e.fd);
}

/* add_bad_watch - watch descriptor -1 (loop thread).  Return: -errno. */
static int add_bad_watch(void *arg)
{
	struct evwatch *e = arg;

	return vds_loop_watch_add(e->f->loop, -1, EPOLLIN, on_eventfd, e, &e->w);
}

/* test_loop_watch_add_of_a_bad_fd_is_ebadf - the error of epoll_ctl. */
static void test_loop_watch_add_of_a_bad_fd_is_ebadf(void **state)
{
	struct fix *f = *state;
	struct evwatch e = { .f = f };

	assert_int_equal(vds_loop_call(f->loop, add_bad_watch, &e), -EBADF);
	assert_null(e.w);
}

struct pair {
	struct fix *f;
	int fd[2];
	struct vds_watch *w[2];
	int calls[2];
};

/* on_pair - whichever watch runs first deletes the other one. */
static void on_pair(struct pair *p, int i)
{
	uint64_t v;

	p->calls[i]++;
	if (read(p->fd[i], &v, sizeof(v)) < 0) {
		/* drained already */
	}
	if (p->w[1 - i]) {
		vds_loop_watch_del(p->w[1 - i]);
		p->w[1 - i] = NULL;
	}
	unit_counter_add(p->f->hits, 1);
}

/* on_pair0 - callback of the first watch. */
static void on_pair0(void *arg, uint32_t events)
{
	on_pair(arg, 0);
}

/* on_pair1 - callback of the second watch. */
static void on_pair1(void *arg, uint32_t events)
{
	on_pair(arg, 1);
}

/* arm_pair - add both watches and make both fds readable before the next
 * wait, so that their events come in the same iteration.  Return: 0. */
static int arm_pair(void *arg)
{
	struct pair *p = arg;
	uint64_t one = 1;

	if (vds_loop_watch_add(p->f->loop, p->fd[0], EPOLLIN, on_pair0, p,
			       &p->w[0]) < 0 ||
	    vds_loop_watch_add(p->f->loop, p->fd[1], EPOLLIN, on_pair1, p,
			       &p->w[1]) < 0)
		return -1;
	if (write(p->fd[0], &one, sizeof(one)) != sizeof(one) ||
	    write(p->fd[1], &one, sizeof(one)) != sizeof(one))
		return -1;
	return 0;
}

/* del_pair - remove the watch left.  Return: 0. */
static int del_pair(void *arg)
{
	struct pair *p = arg;

	for (int i = 0; i < 2; i++) {
		vds_loop_watch_del(p->w[i]);
		p->w[i] = NULL;
	}
	return 0;
}

/* test_loop_watch_deleted_by_another_callback_in_the_same_iteration_is_not_called
 * - its pending event is skipped and its memory is freed only after the
 * iteration (use-after-free shows under valgrind/ASan). */
static void test_loop_watch_deleted_by_another_callback_in_the_same_iteration_is_not_called(void **state)
{
	struct fix *f = *state;
	struct pair p = { .f = f };

	for (int i = 0; i < 2; i++) {
		p.fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		assert_true(p.fd[i] >= 0);
	}
	assert_int_equal(vds_loop_call(f->loop, arm_pair, &p), 0);
	assert_int_equal(unit_counter_wait(f->hits, 1), 1);
	sync_loop(f->loop);
	assert_int_equal(p.calls[0] + p.calls[1], 1);
	assert_int_equal(vds_loop_call(f->loop, del_pair, &p), 0);
	for (int i = 0; i < 2; i++)
		close(p.fd[i]);
}

struct sockwatch {
	struct fix *f;
	int sv[2];
	struct vds_watch *w;
	uint32_t seen;
};

/* on_sock - record the events and stop watching. */
static void on_sock(void *arg, uint32_t events)
{
	struct sockwatch *s = arg;

	s->seen |= events;
	vds_loop_watch_mod(s->w, 0);
	unit_counter_add(s->f->hits, 1);
}

/* add_sock_in - watch for input only.  Return: 0/-errno. */
static int add_sock_in(void *arg)
{
	struct sockwatch *s = arg;

	return vds_loop_watch_add(s->f->loop, s->sv[0], EPOLLIN, on_sock, s,
				  &s->w);
}

/* mod_sock_out - switch to output.  Return: 0/-errno. */
static int mod_sock_out(void *arg)
{
	struct sockwatch *s = arg;

	return vds_loop_watch_mod(s->w, EPOLLOUT);
}

/* del_sock - stop watching.  Return: 0. */
static int del_sock(void *arg)
{
	struct sockwatch *s = arg;

	vds_loop_watch_del(s->w);
	return 0;
}

/* test_loop_watch_mod_changes_the_events_watched - a writable, silent
 * socket fires only once EPOLLOUT is asked for. */
static void test_loop_watch_mod_changes_the_events_watched(void **state)
{
	struct fix *f = *state;
	struct sockwatch s = { .f = f };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s.sv), 0);
	assert_int_equal(vds_loop_call(f->loop, add_sock_in, &s), 0);
	sync_loop(f->loop);
	assert_int_equal(unit_counter_get(f->hits), 0);
	assert_int_equal(vds_loop_call(f->loop, mod_sock_out, &s), 0);
	assert_int_equal(unit_counter_wait(f->hits, 1), 1);
	assert_true(s.seen & EPOLLOUT);
	assert_false(s.seen & EPOLLIN);
	assert_int_equal(vds_loop_call(f->loop, del_sock, &s), 0);
	close(s.sv[0]);
	close(s.sv[1]);
}

/* ------------------------------------------------------------------ */
/* Timers                                                               */
/* ------------------------------------------------------------------ */

struct tim {
	struct fix *f;
	struct vds_timer *t;
	int fired;
	int rearm;              /* re-arm until fired reaches this */
	struct tim *victim;     /* deleted by this timer's callback */
};

/* on_timer - count; re-arm or delete another timer as asked. */
static void on_timer(void *arg)
{
	struct tim *t = arg;

	t->fired++;
	if (t->fired < t->rearm)
		vds_loop_timer_arm(t->t, 0);
	if (t->victim && t->victim->t) {
		vds_loop_timer_del(t->victim->t);
		t->victim->t = NULL;
		t->victim->victim = NULL;
	}
	unit_counter_add(t->f->hits, 1);
}

struct timers {
	struct tim *tim;
	int n;
	int64_t due[8]; /* ms; -1 added disarmed; -2 armed then disarmed;
			 * -3 armed then deleted */
};

/* add_timers - add and arm the timers of a set (loop thread).
 * Return: 0 or -errno. */
static int add_timers(void *arg)
{
	struct timers *s = arg;

	for (int i = 0; i < s->n; i++) {
		struct tim *t = &s->tim[i];
		int err = vds_loop_timer_add(t->f->loop, on_timer, t, &t->t);

		if (err < 0)
			return err;
		if (s->due[i] >= 0 || s->due[i] <= -2)
			vds_loop_timer_arm(t->t, s->due[i] >= 0 ? s->due[i] : 0);
		if (s->due[i] == -2)
			vds_loop_timer_disarm(t->t);
		if (s->due[i] == -3) {
			vds_loop_timer_del(t->t);
			t->t = NULL;
		}
	}
	return 0;
}

/* del_timers - delete the timers of a set (loop thread).  Return: 0. */
static int del_timers(void *arg)
{
	struct timers *s = arg;

	for (int i = 0; i < s->n; i++) {
		vds_loop_timer_del(s->tim[i].t);
		s->tim[i].t = NULL;
	}
	return 0;
}

/* test_loop_timer_fires_once - a one-shot timer does not come back. */
static void test_loop_timer_fires_once(void **state)
{
	struct fix *f = *state;
	struct tim t = { .f = f };
	struct timers s = { .tim = &t, .n = 1, .due = { 0 } };

	assert_int_equal(vds_loop_call(f->loop, add_timers, &s), 0);
	assert_int_equal(unit_counter_wait(f->hits, 1), 1);
	for (int i = 0; i < 5; i++)
		sync_loop(f->loop);
	assert_int_equal(t.fired, 1);
	assert_int_equal(vds_loop_call(f->loop, del_timers, &s), 0);
}

/* test_loop_timer_fires_after_its_delay - a timer due in 20 ms fires
 * (the loop computes its wait from it: nothing else wakes it). */
static void test_loop_timer_fires_after_its_delay(void **state)
{
	struct fix *f = *state;
	struct tim t = { .f = f };
	struct timers s = { .tim = &t, .n = 1, .due = { 20 } };
	int64_t start = vds_now_ms();

	assert_int_equal(vds_loop_call(f->loop, add_timers, &s), 0);
	assert_int_equal(unit_counter_wait(f->hits, 1), 1);
	assert_true(vds_now_ms() - start >= 20);
	assert_int_equal(vds_loop_call(f->loop, del_timers, &s), 0);
}

/* test_loop_timer_can_rearm_itself_from_its_callback - three shots. */
static void test_loop_timer_can_rearm_itself_from_its_callback(void **state)
{
	struct fix *f = *state;
	struct tim t = { .f = f, .rearm = 3 };
	struct timers s = { .tim = &t, .n = 1, .due = { 1 } };

	assert_int_equal(vds_loop_call(f->loop, add_timers, &s), 0);
	assert_int_equal(unit_counter_wait(f->hits, 3), 3);
	for (int i = 0; i < 3; i++)
		sync_loop(f->loop);
	assert_int_equal(t.fired, 3);
	assert_int_equal(vds_loop_call(f->loop, del_timers, &s), 0);
}

/* test_loop_timer_disarmed_deleted_or_unarmed_does_not_fire - only the
 * witness timer fires. */
static void test_loop_timer_disarmed_deleted_or_unarmed_does_not_fire(void **state)
{
	struct fix *f = *state;
	struct tim t[5] = {
		{ .f = f }, { .f = f }, { .f = f }, { .f = f }, { .f = f },
	};
	/* witness, never armed, disarmed, deleted, an hour away */
	struct timers s = { .tim = t, .n = 5,
			    .due = { 0, -1, -2, -3, 3600 * 1000 } };

	assert_int_equal(vds_loop_call(f->loop, add_timers, &s), 0);
	assert_int_equal(unit_counter_wait(f->hits, 1), 1);
	for (int i = 0; i < 3; i++)
		sync_loop(f->loop);
	assert_int_equal(t[0].fired, 1);
	for (int i = 1; i < 5; i++)
		assert_int_equal(t[i].fired, 0);
	assert_int_equal(vds_loop_call(f->loop, del_timers, &s), 0);
}

/* test_loop_timer_deleted_by_another_timer_in_the_same_pass_is_not_called
 * - two timers due together, the first to run deletes the other. */
static void test_loop_timer_deleted_by_another_timer_in_the_same_pass_is_not_called(void **state)
{
	struct fix *f = *state;
	struct tim t[2] = { { .f = f }, { .f = f } };
	struct timers s = { .tim = t, .n = 2, .due = { 0, 0 } };

	t[0].victim = &t[1];
	t[1].victim = &t[0];
	assert_int_equal(vds_loop_call(f->loop, add_timers, &s), 0);
	assert_int_equal(unit_counter_wait(f->hits, 1), 1);
	for (int i = 0; i < 3; i++)
		sync_loop(f->loop);
	assert_int_equal(t[0].fired + t[1].fired, 1);
	assert_int_equal(vds_loop_call(f->loop, del_timers, &s), 0);
}

/* ------------------------------------------------------------------ */
/* Sources                                                              */
/* ------------------------------------------------------------------ */

struct src {
	struct fix *f;
	struct vds_source *s;
	int prepares, checks;
	int timeout_ms;         /* asked by prepare (-1: none) */
	int seen_timeout;       /* *timeout_ms prepare was given, last */
	bool order_bad;         /* a check without a prepare before it */
	bool last_was_prepare;
	int delete_after;       /* check deletes the source after n */
};

/* src_prepare - count, ask for a timeout. */
static void src_prepare(void *arg, int *timeout_ms)
{
	struct src *s = arg;

	s->prepares++;
	s->seen_timeout = *timeout_ms;
	s->last_was_prepare = true;
	if (s->timeout_ms >= 0 && (*timeout_ms < 0 || *timeout_ms > s->timeout_ms))
		*timeout_ms = s->timeout_ms;
}

/* src_check - count, check the order, maybe delete itself. */
static void src_check(void *arg)
{
	struct src *s = arg;

	s->checks++;
	if (!s->last_was_prepare)
		s->order_bad = true;
	s->last_was_prepare = false;
	if (s->delete_after && s->checks == s->delete_after) {
		vds_loop_source_del(s->s);
		s->s = NULL;
	}
	unit_counter_add(s->f->hits, 1);
}

static const struct vds_source_ops src_ops = {
	.prepare = src_prepare,
	.check = src_check,
};

/* add_src - register the source (loop thread).  Return: 0/-errno. */
static int add_src(void *arg)
{
	struct src *s = arg;

	return vds_loop_source_add(s->f->loop, &src_ops, s, &s->s);
}

/* del_src - delete the source (loop thread).  Return: 0. */
static int del_src(void *arg)
{
	struct src *s = arg;

	vds_loop_source_del(s->s);
	s->s = NULL;
	return 0;
}

/* test_loop_source_prepare_timeout_is_honoured - nothing else wakes the
 * loop, yet check keeps running: the wait ends when prepare asked; and
 * every check follows a prepare. */
static void test_loop_source_prepare_timeout_is_honoured(void **state)
{
	struct fix *f = *state;
	struct src s = { .f = f, .timeout_ms = 1 };

	assert_int_equal(vds_loop_call(f->loop, add_src, &s), 0);
	assert_true(unit_counter_wait(f->hits, 20) >= 20);
	assert_int_equal(vds_loop_call(f->loop, del_src, &s), 0);
	assert_false(s.order_bad);
	assert_true(s.prepares >= s.checks);
	assert_true(s.checks >= 20);
}

/* test_loop_source_prepare_is_offered_an_infinite_wait_without_timers -
 * with no timer and no other source, prepare starts from -1. */
static void test_loop_source_prepare_is_offered_an_infinite_wait_without_timers(void **state)
{
	struct fix *f = *state;
	struct src s = { .f = f, .timeout_ms = -1, .seen_timeout = 99 };

	assert_int_equal(vds_loop_call(f->loop, add_src, &s), 0);
	sync_loop(f->loop);
	assert_int_equal(vds_loop_call(f->loop, del_src, &s), 0);
	assert_true(s.checks >= 1);
	assert_int_equal(s.seen_timeout, -1);
	assert_false(s.order_bad);
}

/* test_loop_source_deleted_from_its_check_is_not_called_again - neither
 * prepare nor check after deletion.  (With no timeout asked, the loop
 * sleeps until woken: check runs after each wait, so the test wakes it
 * with calls.) */
static void test_loop_source_deleted_from_its_check_is_not_called_again(void **state)
{
	struct fix *f = *state;
	struct src s = { .f = f, .timeout_ms = -1, .delete_after = 1 };
	int prepares;

	assert_int_equal(vds_loop_call(f->loop, add_src, &s), 0);
	sync_loop(f->loop);
	assert_int_equal(unit_counter_get(f->hits), 1);
	prepares = s.prepares;
	for (int i = 0; i < 3; i++)
		sync_loop(f->loop);
	assert_int_equal(s.checks, 1);
	assert_int_equal(s.prepares, prepares);
	assert_null(s.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_acquire_starts_a_thread_and_last_release_ends_it),
		cmocka_unit_test(test_loop_pool_spreads_users_then_shares_loops),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_loop_call_runs_on_the_loop_thread_and_returns_its_value),
		T(test_loop_call_from_many_threads_runs_every_call_once),
		T(test_loop_call_in_a_forked_child_fails_with_esrch),
		T(test_loop_watch_fires_when_its_eventfd_is_readable),
		T(test_loop_watch_add_of_a_bad_fd_is_ebadf),
		T(test_loop_watch_deleted_by_another_callback_in_the_same_iteration_is_not_called),
		T(test_loop_watch_mod_changes_the_events_watched),
		T(test_loop_timer_fires_once),
		T(test_loop_timer_fires_after_its_delay),
		T(test_loop_timer_can_rearm_itself_from_its_callback),
		T(test_loop_timer_disarmed_deleted_or_unarmed_does_not_fire),
		T(test_loop_timer_deleted_by_another_timer_in_the_same_pass_is_not_called),
		T(test_loop_source_prepare_timeout_is_honoured),
		T(test_loop_source_prepare_is_offered_an_infinite_wait_without_timers),
		T(test_loop_source_deleted_from_its_check_is_not_called_again),
#undef T
		cmocka_unit_test(test_loop_acquire_in_a_forked_child_gives_a_working_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
