/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * maker.c - the peer-socket maker of the forwards: one thread that makes
 * sockets inside stacks on behalf of the loop threads.
 *
 * Theory of operation
 *
 * A socket inside a stack costs a round trip to the namespace helper
 * (vds_stack_socket): tens of microseconds when it is idle, far more when
 * it is busy making namespaces for other stacks.  A loop thread serves
 * many stacks, so it must never wait for that.  A loop that needs a
 * socket for a new connection or UDP client queues a job here and goes
 * on; this thread makes the socket and hands it back through the
 * client's eventfd, a watch on the forward's loop.
 *
 * Queues: each client (a forward) has its own FIFO of queued jobs, and
 * the clients that have some wait in a ring, served one job each in
 * turn, so that a burst on one forward delays the first connection of
 * another by one round trip, not by the burst.  The forwards bound their
 * own queues (forward.h: FWD_WAITING_MAX).  A job made goes to its
 * client's done list, in order, and the eventfd is written (the kernel
 * adds the writes up: one wake-up may collect several).
 *
 * Lifetime: one thread for the process, started (vds_maker_acquire) by
 * the first forward that starts and joined (vds_maker_release) when the
 * last one goes, so that no thread of the module outlives the forwards.
 * It is created with every signal blocked (the signals are the
 * application's threads'), and sets vds_bypass_default as the loop
 * threads do, although vds_stack_socket never goes through socket().
 *
 * Removal: a forward stops on its loop first (no new jobs), then takes
 * its jobs back with vds_maker_detach, which waits for the one being
 * made, if it is the forward's: the stack stays alive until then, since
 * the gone hook runs before the stack is freed.  The wait is one request
 * to the helper at most, made on the thread calling vde_stackunfwd() or
 * vde_delstack(), never on a loop thread.
 *
 * Lock and fork: maker.lock protects the queues, and the loop threads also
 * hold it while they make or close a forward's descriptors (accept, the
 * set-up of a connection whose socket came back, closing one), so that it
 * is the module's fork guard: the prepare handler takes it, and a forked
 * child finds every descriptor of a forward in its lists, where
 * fwd_forget closes the child's copies.  The job being made at the fork
 * is kept as the child's orphan for vds_maker_forget.  The one copy a
 * child cannot see is a socket whose reply from the helper arrived on
 * this thread in the instant before the fork, before it was stored.
 * maker.life serialises starting and joining the thread; it is taken
 * before maker.lock, and nothing that holds maker.lock waits for it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "maker.h"
#include "core/stack.h"

static struct {
	pthread_mutex_t life;          /* users, running, thread */
	unsigned users;
	bool running;
	pthread_t thread;
	pthread_mutex_t lock;          /* the rest; the fork guard */
	pthread_cond_t work;           /* a job queued, or stop */
	pthread_cond_t idle;           /* a job made */
	struct vds_maker_client *ring, **ring_tail;
	struct vds_maker_job *busy;    /* being made by the thread */
	struct vds_maker_job *orphan;  /* in a child: busy at the fork */
	bool stop;
} maker = {
	.life = PTHREAD_MUTEX_INITIALIZER,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
	.ring_tail = &maker.ring,
};

/* vds_maker_client_open - see maker.h.  Return: 0 or -errno. */
int vds_maker_client_open(struct vds_maker_client *c, struct vdestack *s,
			  int domain, int type)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (efd < 0)
		return -errno;
	*c = (struct vds_maker_client){
		.stack = s,
		.domain = domain,
		.type = type,
		.efd = efd,
		.queued_tail = &c->queued,
		.done_tail = &c->done,
	};
	return 0;
}

/* vds_maker_client_close - see maker.h. */
void vds_maker_client_close(struct vds_maker_client *c)
{
	if (c->efd >= 0)
		close(c->efd);
	c->efd = -1;
}

/* vds_maker_lock - take the maker's lock (the fork guard). */
void vds_maker_lock(void)
{
	pthread_mutex_lock(&maker.lock);
}

/* vds_maker_unlock - release it. */
void vds_maker_unlock(void)
{
	pthread_mutex_unlock(&maker.lock);
}

/* ring_append - put c at the end of the ring of clients with queued jobs
 * (lock held). */
static void ring_append(struct vds_maker_client *c)
{
	c->ring_next = NULL;
	*maker.ring_tail = c;
	maker.ring_tail = &c->ring_next;
	c->in_ring = true;
}

/* ring_remove - take c out of the ring, if it is there (lock held). */
static void ring_remove(struct vds_maker_client *c)
{
	struct vds_maker_client **p;

	for (p = &maker.ring; *p && *p != c; p = &(*p)->ring_next)
		;
	if (*p) {
		*p = c->ring_next;
		if (!*p)
			maker.ring_tail = p;
	}
	c->ring_next = NULL;
	c->in_ring = false;
}

/* vds_maker_submit - see maker.h (lock held). */
void vds_maker_submit(struct vds_maker_job *job)
{
	struct vds_maker_client *c = job->client;

	job->fd = -1;
	job->next = NULL;
	*c->queued_tail = job;
	c->queued_tail = &job->next;
	if (!c->in_ring) {
		ring_append(c);
		pthread_cond_signal(&maker.work);
	}
}

/* next_job - the first job of the first client of the ring, which goes
 * to the end of the ring if it has more (lock held, ring not empty).
 * Return: the job. */
static struct vds_maker_job *next_job(void)
{
	struct vds_maker_client *c = maker.ring;
	struct vds_maker_job *j = c->queued;

	c->queued = j->next;
	if (!c->queued)
		c->queued_tail = &c->queued;
	maker.ring = c->ring_next;
	if (!maker.ring)
		maker.ring_tail = &maker.ring;
	c->in_ring = false;
	if (c->queued)
		ring_append(c);
	j->next = NULL;
	return j;
}

/* job_done - record what the thread made for j and wake its client's
 * loop (lock held). */
static void job_done(struct vds_maker_job *j, int fd)
{
	struct vds_maker_client *c = j->client;
	uint64_t one = 1;

	j->fd = fd;
	*c->done_tail = j;
	c->done_tail = &j->next;
	if (write(c->efd, &one, sizeof(one)) < 0) {
		/* the counter is full: the loop is woken anyway */
	}
	pthread_cond_broadcast(&maker.idle);
}

/* maker_main - the thread: make the sockets of queued jobs, in turn,
 * until told to stop.  Return: NULL. */
static void *maker_main(void *arg)
{
	(void)arg;
	vds_bypass_default = 1;
	pthread_mutex_lock(&maker.lock);
	while (!maker.stop) {
		struct vds_maker_job *j;
		struct vds_maker_client *c;
		int fd;

		if (!maker.ring) {
			pthread_cond_wait(&maker.work, &maker.lock);
			continue;
		}
		j = next_job();
		c = j->client;
		maker.busy = j;
		pthread_mutex_unlock(&maker.lock);
		fd = vds_stack_socket(c->stack, c->domain,
				      c->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		pthread_mutex_lock(&maker.lock);
		maker.busy = NULL;
		job_done(j, fd);
	}
	pthread_mutex_unlock(&maker.lock);
	return NULL;
}

/* vds_maker_acquire - see maker.h: the thread starts with every signal
 * blocked (it inherits the mask of its creator, set for the moment).
 * Return: 0 or -errno. */
int vds_maker_acquire(void)
{
	sigset_t all, old;
	int err = 0;

	pthread_mutex_lock(&maker.life);
	if (!maker.running) {
		maker.stop = false;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		err = -pthread_create(&maker.thread, NULL, maker_main, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		maker.running = err == 0;
	}
	if (err == 0)
		maker.users++;
	pthread_mutex_unlock(&maker.life);
	return err;
}

/* vds_maker_release - see maker.h. */
void vds_maker_release(void)
{
	pthread_mutex_lock(&maker.life);
	if (maker.users > 0 && --maker.users == 0 && maker.running) {
		pthread_mutex_lock(&maker.lock);
		maker.stop = true;
		pthread_cond_signal(&maker.work);
		pthread_mutex_unlock(&maker.lock);
		pthread_join(maker.thread, NULL);
		maker.running = false;
	}
	pthread_mutex_unlock(&maker.life);
}

/* vds_maker_collect - see maker.h (lock held).  Return: the jobs done. */
struct vds_maker_job *vds_maker_collect(struct vds_maker_client *c)
{
	struct vds_maker_job *list = c->done;
	uint64_t n;

	if (read(c->efd, &n, sizeof(n)) < 0) {
		/* nothing to read: woken by an earlier write */
	}
	c->done = NULL;
	c->done_tail = &c->done;
	return list;
}

/* take_all - the client's queued jobs followed by its done ones, taken
 * off both lists (lock held).  Return: the list. */
static struct vds_maker_job *take_all(struct vds_maker_client *c)
{
	struct vds_maker_job *list;

	*c->queued_tail = c->done; /* c->queued itself when none is queued */
	list = c->queued;
	c->queued = c->done = NULL;
	c->queued_tail = &c->queued;
	c->done_tail = &c->done;
	return list;
}

/* vds_maker_detach - see maker.h.  Return: the client's jobs. */
struct vds_maker_job *vds_maker_detach(struct vds_maker_client *c)
{
	struct vds_maker_job *list;

	pthread_mutex_lock(&maker.lock);
	ring_remove(c);
	while (maker.busy && maker.busy->client == c)
		pthread_cond_wait(&maker.idle, &maker.lock);
	list = take_all(c);
	pthread_mutex_unlock(&maker.lock);
	return list;
}

/* vds_maker_forget - see maker.h.  Return: the client's jobs. */
struct vds_maker_job *vds_maker_forget(struct vds_maker_client *c)
{
	struct vds_maker_job *list;

	pthread_mutex_lock(&maker.lock);
	ring_remove(c);
	list = take_all(c);
	if (maker.orphan && maker.orphan->client == c) {
		maker.orphan->next = list;
		list = maker.orphan;
		maker.orphan = NULL;
	}
	pthread_mutex_unlock(&maker.lock);
	return list;
}

/* vds_maker_fork_prepare - before fork(): no thread is changing the
 * queues, or a forward's descriptors, or starting the thread. */
void vds_maker_fork_prepare(void)
{
	pthread_mutex_lock(&maker.life);
	pthread_mutex_lock(&maker.lock);
}

/* vds_maker_fork_parent - after fork(), in the parent. */
void vds_maker_fork_parent(void)
{
	pthread_mutex_unlock(&maker.lock);
	pthread_mutex_unlock(&maker.life);
}

/* vds_maker_fork_child - after fork(), in the child, which has no maker
 * thread: nothing queued is made there (the queues are the parent's
 * forwards', which the child only forgets), the job being made is kept
 * for vds_maker_forget, and a forward of the child's own starts a thread
 * of its own. */
void vds_maker_fork_child(void)
{
	if (maker.busy)
		maker.orphan = maker.busy;
	maker.busy = NULL;
	maker.ring = NULL;
	maker.ring_tail = &maker.ring;
	maker.running = false;
	maker.users = 0;
	maker.stop = false;
	pthread_cond_init(&maker.work, NULL);
	pthread_cond_init(&maker.idle, NULL);
	pthread_mutex_unlock(&maker.lock);
	pthread_mutex_unlock(&maker.life);
}
