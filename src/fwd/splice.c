/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * splice.c - TCP forwards: accepting on the host, and moving the bytes of
 * each connection between the host and the stack with splice(2).
 *
 * Theory of operation
 *
 * The listener accepts at most FWD_ACCEPT_BATCH connections per wake-up,
 * and only while fewer than FWD_WAITING_MAX of its connections wait for
 * their peer sockets at the maker (maker.c); at that bound, or when
 * descriptors run out (a rest of FWD_PAUSE_MS, on a timer), its watch
 * asks for no event and new connections wait in the kernel's listen
 * backlog (SOMAXCONN), where the kernel completes their handshakes;
 * beyond the backlog the kernel drops the SYNs and the clients send them
 * again.  Each accepted socket goes to the maker as a job; when the
 * maker's eventfd says its peer socket is made, the connection gets its
 * pipes and connects, non-blocking, to the guest address.  A failure
 * there resets the client; one that says descriptors ran out rests the
 * listener too.
 *
 * Then a connection is two "halves", half d moving fd[d] -> pipe ->
 * fd[!d], both sockets watches of the forward's loop, level-triggered.
 * A half reads only while its pipe has room, so the buffering per
 * connection is bounded by the pipe size, and each wake-up moves at most
 * FWD_BUDGET bytes per half so that one busy connection does not starve
 * the loop.  A pipe starts at the kernel's default size (64 KiB: no
 * system call, and little of the per-user pipe allowance for the many
 * connections that stay small); the first time a read fills it, data
 * was waiting beyond it, and the half asks for FWD_PIPE_MAX.  A bulk
 * transfer then moves 1 MiB per pair of splices: in bench/run_fwd (8
 * runs each way, turn about, on a loaded machine) a tenth more Gbit/s
 * than a fixed 256 KiB pipe, for the same CPU per byte; 4 MiB pipes (as
 * root) were no faster.  The data stays in the kernel, as with pasta's spliced
 * connections.  End-of-file on one side becomes shutdown(SHUT_WR) on the
 * other once the pipe is empty (half-close); the connection is closed
 * when both halves are shut, or at once, with a reset (SO_LINGER 0) on
 * both sides, on an error.  A socket that needs no event leaves the
 * epoll set's interest list, so a hung-up socket cannot make the loop
 * spin.
 *
 * Accepting, setting up a connection and closing one happen under the
 * maker's lock (the fork guard, see maker.c): a forked child finds each
 * descriptor either in a job or in f->conns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "splice.h"
#include "base/alloc.h"
#include "core/loop.h"

#define FWD_PIPE_MAX (1 << 20)     /* a busy half's pipe, asked (the
				    * default pipe-max-size): the kernel
				    * may give less */
#define FWD_BUDGET (2 << 20)       /* bytes per half per wake-up */
#define FWD_ACCEPT_BATCH 32        /* connections per wake-up */
#define FWD_PAUSE_MS 100           /* listener rest when out of fds */

/* One direction of a TCP connection: fd[d] -> pipe -> fd[!d]. */
struct half {
	int pipe[2];
	size_t cap;       /* the pipe's capacity */
	bool grown;       /* asked for FWD_PIPE_MAX already */
	size_t pending;   /* bytes in the pipe */
	bool eof;         /* fd[d] read end-of-file */
	bool full;        /* the last read found the pipe full (or no data) */
	bool shut;        /* shutdown(fd[!d], SHUT_WR) done */
};

/* A forwarded TCP connection.  Until its peer socket is made it is only
 * its job's (at the maker); then it is on f->conns. */
struct vds_splice {
	struct vds_maker_job job;  /* first: its peer socket */
	struct vds_fwd *fwd;
	const struct vds_fwd_listener *l; /* that accepted it */
	int fd[2];                 /* 0: accepted, 1: its peer */
	struct vds_watch *w[2];
	uint32_t ev[2];            /* events the watches ask for now */
	struct half dir[2];
	bool connecting;
	bool linked;               /* on f->conns */
	struct vds_splice *prev, *next;
};

/* job_conn - Return: the connection whose job j is. */
static struct vds_splice *job_conn(struct vds_maker_job *j)
{
	return (struct vds_splice *)((char *)j -
				     offsetof(struct vds_splice, job));
}

/* close_reset - close a TCP socket with a reset rather than a FIN (the
 * peer sees the failure of the other side); accepts -1. */
static void close_reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Connections                                                          */
/* ------------------------------------------------------------------ */

static void conn_event(struct vds_splice *c, int side, uint32_t events);

/* conn_event0 - watch callback of the host side socket. */
static void conn_event0(void *arg, uint32_t events)
{
	conn_event(arg, 0, events);
}

/* conn_event1 - watch callback of the socket in the stack. */
static void conn_event1(void *arg, uint32_t events)
{
	conn_event(arg, 1, events);
}

/* conn_close_locked - end a connection: its watches gone, every
 * descriptor closed (with a reset to both peers when reset is set), off
 * f->conns.  The maker's lock held; c is not freed. */
static void conn_close_locked(struct vds_splice *c, bool reset)
{
	struct vds_fwd *f = c->fwd;

	for (int i = 0; i < 2; i++) {
		vds_loop_watch_del(c->w[i]);
		c->w[i] = NULL;
		if (reset)
			close_reset(c->fd[i]);
		else if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
		for (int j = 0; j < 2; j++) {
			if (c->dir[i].pipe[j] >= 0)
				close(c->dir[i].pipe[j]);
			c->dir[i].pipe[j] = -1;
		}
	}
	if (!c->linked)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		f->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->linked = false;
}

/* conn_close - conn_close_locked under the lock, then free c. */
static void conn_close(struct vds_splice *c, bool reset)
{
	vds_maker_lock();
	conn_close_locked(c, reset);
	vds_maker_unlock();
	vds_free(c);
}

/* splice_in - read up to want bytes of fd[d] into half d's pipe.
 * Return: the bytes moved, 0 at end-of-file, -EAGAIN when there is
 * nothing now (or the pipe filled first), -EINTR, or -errno. */
static ssize_t splice_in(struct vds_splice *c, int d, size_t want)
{
	ssize_t n = splice(c->fd[d], NULL, c->dir[d].pipe[1], NULL, want,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	return n < 0 ? -errno : n;
}

/* splice_out - write what half d's pipe holds into fd[!d].
 * Return: the bytes moved, -EAGAIN, -EINTR, or -errno. */
static ssize_t splice_out(struct vds_splice *c, int d)
{
	ssize_t n = splice(c->dir[d].pipe[0], NULL, c->fd[!d], NULL,
			   c->dir[d].pending,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	return n < 0 ? -errno : n;
}

/* half_grow - a read filled half h's pipe: ask once for FWD_PIPE_MAX
 * (refused past the user's pipe allowance: the half keeps its size). */
static void half_grow(struct half *h)
{
	int size;

	if (h->grown)
		return;
	h->grown = true;
	if (fcntl(h->pipe[1], F_SETPIPE_SZ, FWD_PIPE_MAX) < 0)
		return;
	size = fcntl(h->pipe[1], F_GETPIPE_SZ);
	if (size > 0 && (size_t)size > h->cap)
		h->cap = (size_t)size;
}

/* half_move - move what can be moved now through half d: read fd[d]
 * (when readable says it may have data) into the pipe, write the pipe
 * into fd[!d].  A short read or write means that side is done for now
 * (the level-triggered watch says when it is ready again), which saves a
 * system call that would only fail with EAGAIN.
 * Return: 0, or -errno when the connection must end. */
static int half_move(struct vds_splice *c, int d, bool readable)
{
	struct half *h = &c->dir[d];
	size_t budget = FWD_BUDGET;
	bool can_read = readable, can_write = true;

	while (budget) {
		bool progress = false;
		ssize_t n;

		if (can_read && !h->eof && h->pending < h->cap) {
			size_t want = h->cap - h->pending;

			if (want > budget)
				want = budget;
			n = splice_in(c, d, want);
			if (n > 0) {
				h->pending += (size_t)n;
				budget -= (size_t)n;
				h->full = false;
				progress = true;
				can_read = (size_t)n == want;
				if (can_read && h->pending == h->cap)
					half_grow(h);
			} else if (n == 0) {
				h->eof = true;
				can_read = false;
			} else if (n == -EAGAIN) {
				/* no data, or a pipe full before its size */
				h->full = h->pending > 0;
				can_read = false;
			} else if (n != -EINTR) {
				return (int)n;
			}
		}
		if (can_write && h->pending) {
			n = splice_out(c, d);
			if (n > 0) {
				h->pending -= (size_t)n;
				h->full = false;
				progress = true;
				can_write = h->pending == 0;
			} else if (n == -EAGAIN) {
				can_write = false;
			} else if (n < 0 && n != -EINTR) {
				return (int)n;
			}
		}
		if (!progress || (!can_read && (!can_write || !h->pending)))
			break;
	}
	if (h->eof && !h->pending && !h->shut) {
		shutdown(c->fd[!d], SHUT_WR);
		h->shut = true;
	}
	return 0;
}

/* conn_interest - Return: the events socket i of c needs now. */
static uint32_t conn_interest(const struct vds_splice *c, int i)
{
	const struct half *in = &c->dir[i], *out = &c->dir[!i];
	uint32_t ev = 0;

	if (c->connecting)
		return i == 1 ? EPOLLOUT : 0;
	if (!in->eof && !in->full && in->pending < in->cap)
		ev |= EPOLLIN;
	if (out->pending)
		ev |= EPOLLOUT;
	return ev;
}

/* conn_rewatch - give the watches of c the events it needs; a socket that
 * needs none leaves the interest list (a hung-up socket would report
 * EPOLLHUP at every wait otherwise).  Return: 0 or -errno. */
static int conn_rewatch(struct vds_splice *c)
{
	static vds_watch_cb const cbs[2] = { conn_event0, conn_event1 };

	for (int i = 0; i < 2; i++) {
		uint32_t ev = conn_interest(c, i);
		int err = 0;

		if (ev == c->ev[i] && (ev || !c->w[i]))
			continue;
		if (!ev) {
			vds_loop_watch_del(c->w[i]);
			c->w[i] = NULL;
		} else if (!c->w[i]) {
			err = vds_loop_watch_add(c->fwd->loop, c->fd[i], ev,
						 cbs[i], c, &c->w[i]);
		} else {
			err = vds_loop_watch_mod(c->w[i], ev);
		}
		if (err < 0)
			return err;
		c->ev[i] = ev;
	}
	return 0;
}

/* conn_event - socket side of c (-1: both) is ready for events: finish
 * the connect, or move data both ways; close when done or on an error. */
static void conn_event(struct vds_splice *c, int side, uint32_t events)
{
	bool ready;
	int err = 0;

	if (c->connecting) {
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0 && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (err) {
			conn_close(c, true);
			return;
		}
		c->connecting = false;
		events = EPOLLIN; /* both sides may have data already */
		side = -1;
	}
	/* an error or hang-up shows when reading */
	ready = events & (EPOLLIN | EPOLLERR | EPOLLHUP);
	err = half_move(c, 0, ready && side != 1);
	if (err == 0)
		err = half_move(c, 1, ready && side != 0);
	if (err == 0 && c->dir[0].shut && c->dir[1].shut) {
		conn_close(c, false);
		return;
	}
	if (err == 0)
		err = conn_rewatch(c);
	if (err < 0)
		conn_close(c, true);
}

/* conn_pipes - the two pipes of c, of the kernel's default size (each
 * half's cap; see half_grow).  Return: 0 or -errno. */
static int conn_pipes(struct vds_splice *c)
{
	for (int i = 0; i < 2; i++) {
		int size;

		if (pipe2(c->dir[i].pipe, O_NONBLOCK | O_CLOEXEC) < 0)
			return -errno;
		size = fcntl(c->dir[i].pipe[1], F_GETPIPE_SZ);
		if (size <= 0)
			return size < 0 ? -errno : -EINVAL;
		c->dir[i].cap = (size_t)size;
	}
	return 0;
}

/* conn_setup - c's peer socket came back from the maker (or was made on
 * the host, for a direct forward): its pipes, the non-blocking connect to
 * the listener's peer address, its watches, and c on f->conns; on
 * failure c is closed with a reset and freed.  The maker's lock held.
 * Return: 0 or -errno. */
static int conn_setup(struct vds_splice *c)
{
	struct vds_fwd *f = c->fwd;
	int err = c->job.fd;

	c->job.fd = -1;
	if (err < 0)
		goto fail;
	c->fd[1] = err;
	err = conn_pipes(c);
	if (err < 0)
		goto fail;
	if (connect(c->fd[1], (const struct sockaddr *)&c->l->peer,
		    fwd_addrlen(&c->l->peer)) < 0) {
		err = -errno;
		if (err != -EINPROGRESS)
			goto fail;
		c->connecting = true;
	}
	c->next = f->conns;
	if (c->next)
		c->next->prev = c;
	f->conns = c;
	c->linked = true;
	/* connected or not, the watches say when there is work */
	err = conn_rewatch(c);
	if (err < 0)
		goto fail;
	return 0;
fail:
	conn_close_locked(c, true);
	vds_free(c);
	return err;
}

/* ------------------------------------------------------------------ */
/* The listener                                                         */
/* ------------------------------------------------------------------ */

/* listener_update - the listeners' watches ask for connections unless
 * the forward rests or has FWD_WAITING_MAX at the maker. */
static void listener_update(struct vds_fwd *f)
{
	bool want = !f->paused && f->waiting < FWD_WAITING_MAX;
	int err = 0;

	if (want == f->listening)
		return;
	for (unsigned i = 0; i < f->nls; i++)
		if (vds_loop_watch_mod(f->ls[i].w, want ? EPOLLIN : 0) < 0)
			err = -1;
	if (err == 0)
		f->listening = want;
}

/* listener_pause - rest the listener for FWD_PAUSE_MS (level-triggered:
 * rest rather than spin while descriptors are short). */
static void listener_pause(struct vds_fwd *f)
{
	f->paused = true;
	vds_loop_timer_arm(f->timer, FWD_PAUSE_MS);
	listener_update(f);
}

/* vds_splice_resume - see splice.h. */
void vds_splice_resume(void *arg)
{
	struct vds_fwd *f = arg;

	f->paused = false;
	listener_update(f);
}

/* peer_start - the peer socket of a connection just accepted: queued at
 * the maker (host -> stack), or, for a direct forward, made here on the
 * host and connected at once (non-blocking: nothing waits).  The maker's
 * lock held.  Return: 0, or -errno when descriptors or memory ran out
 * (c then closed with a reset and freed). */
static int peer_start(struct vds_splice *c)
{
	struct vds_fwd *f = c->fwd;
	int err;

	if (!f->direct) {
		vds_maker_submit(&c->job);
		f->waiting++;
		return 0;
	}
	c->job.fd = fwd_host_peer(c->l, SOCK_STREAM);
	err = conn_setup(c);
	return fwd_out_of_fds(err) ? err : 0;
}

/* accept_one - accept one connection on listener l and start its peer
 * socket, both under the maker's lock.  Return: 0 or -errno (accept's:
 * -EAGAIN when there is none; -ENOMEM; a direct peer's out of
 * descriptors). */
static int accept_one(struct vds_fwd_listener *l)
{
	struct vds_fwd *f = l->fwd;
	struct vds_splice *c = vds_calloc(1, sizeof(*c));
	int fd, err = 0;

	if (!c)
		return -ENOMEM;
	vds_maker_lock();
	fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		vds_free(c);
	} else {
		*c = (struct vds_splice){
			.job = { .client = &f->mk },
			.fwd = f,
			.l = l,
			.fd = { fd, -1 },
			.dir = { { .pipe = { -1, -1 } }, { .pipe = { -1, -1 } } },
		};
		err = peer_start(c);
	}
	vds_maker_unlock();
	return err;
}

/* vds_splice_accept - see splice.h. */
void vds_splice_accept(void *arg, uint32_t events)
{
	struct vds_fwd_listener *l = arg;
	struct vds_fwd *f = l->fwd;

	(void)events;
	for (int i = 0; i < FWD_ACCEPT_BATCH && f->waiting < FWD_WAITING_MAX;
	     i++) {
		int err = accept_one(l);

		if (err == 0 || err == -EINTR || err == -ECONNABORTED)
			continue;
		if (fwd_out_of_fds(err))
			listener_pause(f);
		break;
	}
	listener_update(f);
}

/* vds_splice_made - see splice.h. */
void vds_splice_made(void *arg, uint32_t events)
{
	struct vds_fwd *f = arg;
	struct vds_maker_job *j, *next;
	bool short_of_fds = false;

	(void)events;
	vds_maker_lock();
	for (j = vds_maker_collect(&f->mk); j; j = next) {
		next = j->next;
		f->waiting--;
		if (fwd_out_of_fds(conn_setup(job_conn(j))))
			short_of_fds = true;
	}
	vds_maker_unlock();
	if (short_of_fds)
		listener_pause(f);
	listener_update(f);
}

/* vds_splice_close_all - see splice.h. */
void vds_splice_close_all(struct vds_fwd *f)
{
	while (f->conns)
		conn_close(f->conns, true);
}

/* vds_splice_drop - see splice.h. */
void vds_splice_drop(struct vds_maker_job *job, bool in_child)
{
	struct vds_splice *c = job_conn(job);

	/* in a child, a reset (SO_LINGER) would reach the parent's socket */
	if (in_child && c->fd[0] >= 0)
		close(c->fd[0]);
	else
		close_reset(c->fd[0]);
	if (job->fd >= 0)
		close(job->fd);
	vds_free(c);
}

/* vds_splice_forget_all - see splice.h. */
void vds_splice_forget_all(struct vds_fwd *f)
{
	for (struct vds_splice *c = f->conns, *next; c; c = next) {
		next = c->next;
		for (int i = 0; i < 2; i++) {
			if (c->fd[i] >= 0)
				close(c->fd[i]);
			for (int j = 0; j < 2; j++)
				if (c->dir[i].pipe[j] >= 0)
					close(c->dir[i].pipe[j]);
		}
		vds_free(c);
	}
	f->conns = NULL;
}
