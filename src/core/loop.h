/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* loop.h - the event loops that run the frame pumps (loop.c): fd watches,
 * one-shot timers, GSource-like sources, calls on a loop's thread. */
#ifndef VDS_LOOP_H
#define VDS_LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/clock.h"

/*
 * One loop is one thread with an epoll set.  Stacks are spread over a
 * small pool of loops (see loop.c, Theory of operation).  All the calls
 * below that take a loop must run on that loop's thread, except
 * vds_loop_acquire, vds_loop_release and vds_loop_call.
 */
#define VDS_LOOP_FILL 64 /* stacks on a loop before another one starts */

struct vds_loop;
struct vds_watch;
struct vds_timer;
struct vds_source;

typedef void (*vds_watch_cb)(void *arg, uint32_t events);
typedef void (*vds_timer_cb)(void *arg);

/* Per-iteration hooks, modelled on GLib's GSource. */
struct vds_source_ops {
	/* Before the wait: may add/modify watches; lowers *timeout_ms
	 * (-1 = infinite) to what the source needs. */
	void (*prepare)(void *arg, int *timeout_ms);
	/* After the wait, every iteration, after the fd callbacks ran. */
	void (*check)(void *arg);
};

/* Take a loop from the pool for one more user (starts its thread when
 * needed).  Return: 0 or -errno. */
int vds_loop_acquire(struct vds_loop **ret);
/* The same from the pool of loops without the seccomp filter, for a
 * backend that starts programs on its loop.  Return: 0 or -errno. */
int vds_loop_acquire_exec(struct vds_loop **ret);
/* Return: true when the loop's thread runs under the seccomp filter. */
bool vds_loop_sandboxed(const struct vds_loop *loop);

/* Give the loop back; its thread ends when nobody uses it. */
void vds_loop_release(struct vds_loop *loop);
/* Run fn(arg) on the loop's thread and wait for it (runs inline when
 * called from that thread).  Return: fn's return value. */
int vds_loop_call(struct vds_loop *loop, int (*fn)(void *arg), void *arg);

int vds_loop_watch_add(struct vds_loop *loop, int fd, uint32_t events,
		       vds_watch_cb cb, void *arg, struct vds_watch **ret);
int vds_loop_watch_mod(struct vds_watch *w, uint32_t events);
void vds_loop_watch_del(struct vds_watch *w);

/* One-shot timer, due in ms from now (_us: in microseconds, to that
 * precision where the kernel has epoll_pwait2(), else rounded up to the
 * next millisecond). */
int vds_loop_timer_add(struct vds_loop *loop, vds_timer_cb cb, void *arg,
		       struct vds_timer **ret);
void vds_loop_timer_arm(struct vds_timer *t, int64_t due_ms_from_now);
void vds_loop_timer_arm_us(struct vds_timer *t, int64_t due_us_from_now);
void vds_loop_timer_disarm(struct vds_timer *t);
void vds_loop_timer_del(struct vds_timer *t);

int vds_loop_source_add(struct vds_loop *loop,
			const struct vds_source_ops *ops, void *arg,
			struct vds_source **ret);
void vds_loop_source_del(struct vds_source *s);

/* A buffer of size bytes per thread that asks for it (a loop thread's
 * batch buffer), made at first use and freed when the thread ends, so
 * that idle stacks cost nothing.  Define one per use with
 * VDS_THREAD_BUF(size). */
struct vds_thread_buf {
	atomic_bool ready;  /* key made */
	pthread_key_t key;
	size_t size;
};
#define VDS_THREAD_BUF(bytes) { .size = (bytes) }
/* The calling thread's buffer of tb.  Return: it, or NULL when out of
 * memory. */
void *vds_thread_buf(struct vds_thread_buf *tb);

#endif /* VDS_LOOP_H */
