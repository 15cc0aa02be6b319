/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * helper.c - the application's side of the namespace helper: starting
 * it, handing out references, and calling it.
 *
 * Theory of operation
 *
 * An unprivileged process cannot enter a network namespace it made in a
 * user namespace of its own without leaving its own user namespace, which
 * a multi-threaded process cannot do.  So the library forks one helper per
 * process, at the first vde_addstack(), and the helper (src/helper/) owns
 * every stack's namespaces; it hands taps and sockets back with
 * SCM_RIGHTS.  The frame pump stays in the application (loop.c, pump.c),
 * where in-memory backends need it, and a crash of the helper cannot
 * corrupt the application.  fork() rather than clone(CLONE_VM): valgrind
 * and the sanitizers follow a fork, and nothing is shared by accident.
 *
 * One helper serves all stacks: the number of tasks does not grow with the
 * number of stacks.  A call is one request on the control socket with a
 * reply channel of its own, or, for the requests the helper answers
 * itself, one on the calling thread's cached channel (struct chan), which
 * the helper keeps watching.
 *
 * A call is described by a struct vds_call (the typed request of proto.h,
 * the descriptors it passes, where the reply and its descriptor go);
 * proto.c's table says whether its op may use the cached channel.
 *
 * If the helper dies, every pending and later call on its stacks fails
 * at once with ESRCH (its reply channels read end-of-file), and the next
 * vde_addstack() starts a new helper.
 *
 * The descriptors the library keeps here (the control socket, the cached
 * channels) are moved above 2 when the application runs with a standard
 * descriptor closed: vde_stackcmd() and vde_stackspawn() pass the
 * caller's open descriptors 0, 1 and 2, and must never take one of ours
 * for one of them.
 *
 * vde_stackspawn()'s process descriptor is the end of a socketpair that
 * the helper made (serve.c), so its peer credentials (SO_PEERCRED) name
 * the helper: vds_helper_pd_check() tells such a descriptor from any
 * other socket by that pid, among those of the helpers this process (or
 * the parent it was forked from) started.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "base/alloc.h"
#include "base/busypoll.h"
#include "base/clock.h"
#include "base/internal.h"
#include "base/proto.h"
#include "base/spawn.h"
#include "base/sys.h"
#include "helper/serve.h"

/* Busy-polling (VDESTACK_BUSY_POLL=0 turns it off): a thread waiting for
 * a reply on its cached channel polls this long before it sleeps (the
 * helper polls too: src/helper/serve.c).  A wake-up of a sleeping process
 * on an idle CPU costs tens of µs on a virtual machine, more than the
 * request itself; both poll with sched_yield() in between, so that
 * neither keeps the other, or anything else, from its CPU. */
#define VDS_CALL_SPIN_US 20

/* How long a thread whose cached channel hung up waits for the helper's
 * control socket to hang up too (the helper is exiting). */
#define VDS_HELPER_EXIT_MS 2000

/* How long a private reply channel that read end-of-file looks for the
 * helper's death (helper_gone_after_eof), once a millisecond: the
 * helper's runners die during its exit, a little before its control
 * socket hangs up. */
#define VDS_HELPER_DEATH_CHECK_MS 100

/* The helpers whose process descriptors vds_helper_pd_check() knows: the
 * last this many started by this process or by the parent it was forked
 * from. */
#define VDS_HELPER_PIDS_MAX 32

struct vds_helper {
	int refs;          /* protected by helper_lock */
	int ctl;           /* our end of the control socket */
	pid_t pid;         /* the helper process */
	pid_t owner;       /* the process that forked it */
	atomic_bool dead;
	atomic_flag reaped;
	uint64_t serial;   /* unique in the process: names it for the
			    * threads' cached channels */
};

static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vds_helper *current; /* holds one reference */
static atomic_uint_fast64_t helper_serial; /* the last one given */
static pid_t helper_pids[VDS_HELPER_PIDS_MAX]; /* under helper_lock */
static unsigned helper_pids_next;              /* ... the next to fill */

/* ------------------------------------------------------------------ */
/* Application side                                                    */
/* ------------------------------------------------------------------ */

/* helper_free - close and free a helper object with no references. */
static void helper_free(struct vds_helper *h)
{
	close(h->ctl);
	vds_free(h);
}

/* helper_mark_dead - record that the helper is gone, reap it if it is our
 * child, and forget it as the current helper. */
static void helper_mark_dead(struct vds_helper *h)
{
	bool drop = false;

	atomic_store(&h->dead, true);
	if (h->owner == getpid() && !atomic_flag_test_and_set(&h->reaped)) {
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_lock(&helper_lock);
	if (current == h) {
		current = NULL;
		drop = --h->refs == 0;
	}
	pthread_mutex_unlock(&helper_lock);
	if (drop)
		helper_free(h);
}

/* helper_gone - whether the helper has closed its end (it died): a
 * seqpacket socket whose peer is gone polls POLLHUP.
 * Return: true when it has. */
static bool helper_gone(struct vds_helper *h)
{
	struct pollfd p = { .fd = h->ctl, .events = 0 };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

/* helper_gone_after_eof - a reply channel read end-of-file: tell whether
 * the helper died, or only the process that was to answer.  The helper's
 * death kills its runners (PR_SET_PDEATHSIG) during its exit, so a
 * runner's channel may close before the control socket shows the hang-up
 * (a runner just forked still holds the helper's end) and before the
 * helper is a zombie: look again for a short bounded while, in this rare
 * path only.  Return: true when the helper is gone. */
static bool helper_gone_after_eof(struct vds_helper *h)
{
	for (int i = 0; i < VDS_HELPER_DEATH_CHECK_MS; i++) {
		siginfo_t si = { .si_pid = 0 };

		if (atomic_load(&h->dead) || helper_gone(h))
			return true;
		if (h->owner == getpid() &&
		    waitid(P_PID, (id_t)h->pid, &si,
			   WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == h->pid)
			return true;
		usleep(1000);
	}
	return false;
}

/* helper_start - fork and set up a new helper (helper_lock held).
 * Return: 0 with *ret (one reference), or -errno: the helper's own error
 * (EPERM/ENOSPC when user namespaces are off), or fork/socketpair's. */
static int helper_start(struct vds_helper **ret)
{
	struct vds_helper *h = vds_calloc(1, sizeof(*h));
	int sv[2] = { -1, -1 };
	struct vds_rep rep;
	unsigned nfds;
	ssize_t n;
	pid_t pid;
	int err;

	if (!h)
		return -ENOMEM;
	err = vds_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	if (err < 0)
		goto fail;
	sv[0] = vds_fd_above_stdio(sv[0]); /* ours for the process's life */
	if (sv[0] < 0) {
		err = sv[0];
		goto fail;
	}
	uid_t uid = geteuid();
	gid_t gid = getegid();
	pid_t parent = getpid();

	pid = vds_sys_fork();
	if (pid < 0) {
		err = pid;
		goto fail;
	}
	if (pid == 0) {
		close(sv[0]);
		vds_free(h); /* the application's, not the helper's */
		vds_helper_main(sv[1], uid, gid, parent);
	}
	close(sv[1]);
	sv[1] = -1;
	h->pid = pid;
	h->owner = parent;
	h->ctl = sv[0];
	h->refs = 1;
	h->serial = atomic_fetch_add(&helper_serial, 1) + 1;
	helper_pids[helper_pids_next++ % VDS_HELPER_PIDS_MAX] = pid;
	n = vds_proto_recv(h->ctl, &rep, sizeof(rep), NULL, 0, &nfds);
	if (n != (ssize_t)sizeof(rep) || rep.status < 0) {
		err = n < 0 ? (int)n : (n == sizeof(rep) ? rep.status : -ECHILD);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto fail;
	}
	*ret = h;
	return 0;
fail:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	vds_free(h);
	return err;
}

/* vds_helper_get - a reference to the process's helper, started if there
 * is none or the last one died.  Return: 0 or -errno. */
int vds_helper_get(struct vds_helper **ret)
{
	int err = 0;

	pthread_mutex_lock(&helper_lock);
	if (current && !atomic_load(&current->dead) && helper_gone(current)) {
		struct vds_helper *h = current;

		pthread_mutex_unlock(&helper_lock);
		helper_mark_dead(h);
		pthread_mutex_lock(&helper_lock);
	}
	if (current && atomic_load(&current->dead))
		current = NULL; /* its owner of the reference is mark_dead */
	if (current && current->owner != getpid()) {
		/* a forked child: its new stacks get a helper of its own, which
		 * dies with it; the parent's stays with the inherited stacks,
		 * which hold their own references to it (current's goes) */
		struct vds_helper *old = current;

		current = NULL;
		if (--old->refs == 0)
			helper_free(old); /* the child's copy: its descriptor */
	}
	if (!current)
		err = helper_start(&current);
	if (err == 0) {
		current->refs++;
		*ret = current;
	}
	pthread_mutex_unlock(&helper_lock);
	return err;
}

/* vds_helper_put - drop a reference; accepts NULL. */
void vds_helper_put(struct vds_helper *h)
{
	bool drop;

	if (!h)
		return;
	pthread_mutex_lock(&helper_lock);
	drop = --h->refs == 0;
	pthread_mutex_unlock(&helper_lock);
	if (drop)
		helper_free(h);
}

/* A thread's cached reply channel (see "How a request travels" in
 * docs/ARCHITECTURE.md): registered with one helper by the first request
 * that asks the helper to keep it, then used for every cacheable request
 * of the thread.  Every channel of the process is on a list, so that a
 * forked child closes them all (it must never talk on its parent's
 * channels), and a thread's exit closes its own (pthread key destructor). */
struct chan {
	int fd;             /* -1: none */
	uint64_t serial;    /* the helper it is registered with */
	volatile bool busy; /* a call is using it (a signal handler's call
			     * made meanwhile takes a private channel) */
	struct chan *next, *prev;
};

static __thread struct chan tls_chan = { .fd = -1 };
static pthread_mutex_t chan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chan *chan_list;      /* under chan_lock */
static pthread_key_t chan_key;
static pthread_once_t chan_once = PTHREAD_ONCE_INIT;
static bool chan_key_ok;
static int chan_spin_us; /* VDS_CALL_SPIN_US, 0 with VDESTACK_BUSY_POLL=0 */

/* chan_unlink - take c off the list; chan_lock held. */
static void chan_unlink(struct chan *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (chan_list == c)
		chan_list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

/* chan_drop - close the calling thread's channel c and forget it. */
static void chan_drop(struct chan *c)
{
	pthread_mutex_lock(&chan_lock);
	chan_unlink(c);
	pthread_mutex_unlock(&chan_lock);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* chan_thread_exit - pthread key destructor: an exiting thread closes its
 * channel (the helper sees it hang up and closes its end). */
static void chan_thread_exit(void *arg)
{
	chan_drop(arg);
}

/* chan_atfork_prepare - before fork(): no thread is changing the list. */
static void chan_atfork_prepare(void)
{
	pthread_mutex_lock(&chan_lock);
}

/* chan_atfork_parent - after fork(), in the parent. */
static void chan_atfork_parent(void)
{
	pthread_mutex_unlock(&chan_lock);
}

/* chan_atfork_child - after fork(), in the child: close every inherited
 * channel, so that the child's requests never share the parent's
 * channels, and the helper sees a parent's thread exit as before. */
static void chan_atfork_child(void)
{
	for (struct chan *c = chan_list, *next; c; c = next) {
		next = c->next;
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->next = c->prev = NULL;
	}
	chan_list = NULL;
	pthread_mutex_unlock(&chan_lock);
}

/* chan_init - once per process: the key, the fork handlers, the spin. */
static void chan_init(void)
{
	chan_spin_us = vds_busy_poll() ? VDS_CALL_SPIN_US : 0;
	if (pthread_key_create(&chan_key, chan_thread_exit) != 0)
		return;
	if (pthread_atfork(chan_atfork_prepare, chan_atfork_parent,
			   chan_atfork_child) != 0)
		return; /* the key stays unused: private channels only */
	chan_key_ok = true;
}

/* chan_take - the calling thread's channel for a call to h, marked busy
 * (a channel registered with another helper is dropped first).
 * Return: it, or NULL when the call must take a private channel (no
 * thread key, or the channel is in use by the call this one
 * interrupted). */
static struct chan *chan_take(struct vds_helper *h)
{
	struct chan *c = &tls_chan;

	pthread_once(&chan_once, chan_init);
	if (!chan_key_ok || c->busy)
		return NULL;
	c->busy = true;
	if (c->fd >= 0 && c->serial != h->serial)
		chan_drop(c); /* another (or a dead) helper's */
	return c;
}

/* chan_keep - make fd, a channel the helper h has just registered, the
 * calling thread's cached one (moved above 2 first).  Return: 0, or
 * -errno when it cannot be kept (fd is closed then: the helper sees it
 * hang up). */
static int chan_keep(struct chan *c, struct vds_helper *h, int fd)
{
	fd = vds_fd_above_stdio(fd);
	if (fd < 0)
		return fd;
	if (pthread_setspecific(chan_key, c) != 0) {
		close(fd);
		return -ENOMEM;
	}
	pthread_mutex_lock(&chan_lock);
	c->fd = fd;
	c->serial = h->serial;
	c->prev = NULL;
	c->next = chan_list;
	if (chan_list)
		chan_list->prev = c;
	chan_list = c;
	pthread_mutex_unlock(&chan_lock);
	return 0;
}

/* reply_error - the error of a reply channel that read end-of-file or
 * was reset: the helper died (ESRCH), or only the process that was to
 * answer (a command runner killed from outside: EIO).
 * Return: -ESRCH or -EIO. */
static int reply_error(struct vds_helper *h)
{
	if (helper_gone_after_eof(h)) {
		helper_mark_dead(h);
		return -ESRCH;
	}
	return -EIO;
}

/* A packed request: in a small buffer of its own, or an allocated one. */
struct msg {
	char small[256];
	char *buf;
	size_t len;
};

/* msg_pack - pack req into m.  Return: 0, or -E2BIG, -ENOMEM, -EINVAL
 * (m needs msg_free() either way). */
static int msg_pack(struct msg *m, const struct vds_req *req)
{
	ssize_t n = vds_proto_pack(req, m->small, sizeof(m->small));

	m->buf = m->small;
	if (n > (ssize_t)sizeof(m->small)) {
		m->buf = vds_malloc((size_t)n);
		if (!m->buf) {
			m->buf = m->small;
			return -ENOMEM;
		}
		n = vds_proto_pack(req, m->buf, (size_t)n);
	}
	if (n < 0)
		return (int)n;
	m->len = (size_t)n;
	return 0;
}

/* msg_free - release what msg_pack allocated. */
static void msg_free(struct msg *m)
{
	if (m->buf != m->small)
		vds_free(m->buf);
	m->buf = m->small;
}

/* recv_try - one receive of a reply on chan.  Return: as
 * vds_proto_recv_flags (flags: MSG_CMSG_CLOEXEC, MSG_DONTWAIT). */
static ssize_t recv_try(int chan, struct vds_rep *rep, int *got, bool want_fd,
			int flags, unsigned *ret_ngot)
{
	return vds_proto_recv_flags(chan, rep, sizeof(*rep), got,
				    want_fd ? 1 : 0, flags, ret_ngot);
}

/* recv_reply - receive the reply to call c on chan, polling spin_us
 * first (flags: MSG_CMSG_CLOEXEC or 0).
 * Return: the reply's status, or -errno as vds_helper_call; the reply in
 * *c->rep, its descriptor in *c->ret_fd (when the status is >= 0), and
 * in *ret_replied whether a well-formed reply came. */
static int recv_reply(struct vds_helper *h, int chan, const struct vds_call *c,
		      int flags, int spin_us, bool *ret_replied)
{
	struct vds_rep rep = { .status = 0 };
	unsigned ngot = 0;
	int got[1], err;
	ssize_t n = -EAGAIN;

	*ret_replied = false;
	if (spin_us > 0) {
		/* the helper busy-polls as well: its answer usually comes
		 * before a sleep and a wake-up would; yielding lets it run
		 * here if the scheduler put it on this CPU */
		int64_t until = vds_now_us() + spin_us;

		do {
			n = recv_try(chan, &rep, got, c->ret_fd != NULL, flags |
				     MSG_DONTWAIT, &ngot);
			if (n != -EAGAIN)
				break;
			sched_yield();
		} while (vds_now_us() < until);
	}
	if (n == -EAGAIN)
		n = recv_try(chan, &rep, got, c->ret_fd != NULL, flags,
			     &ngot);
	if (n == 0 || n == -ECONNRESET)
		return reply_error(h);
	/* EMFILE: the reply came whole (zeroed if it was short), only its
	 * descriptor could not: the caller may have to undo what the helper
	 * did (a NEWSTACK's stack) */
	if (n == -EMFILE && c->rep)
		*c->rep = rep;
	if (n < 0)
		return (int)n;
	if (n != sizeof(rep)) {
		if (ngot)
			close(got[0]);
		return -EBADMSG;
	}
	*ret_replied = true;
	if (c->rep)
		*c->rep = rep;
	err = rep.status;
	if (ngot == 1 && err >= 0)
		*c->ret_fd = got[0];
	else if (ngot == 1)
		close(got[0]);
	return err;
}

/* cached_chan_error - the error of a cached channel that read end-of-file
 * or was reset.  The helper closes a kept channel only when it dies (no
 * runner answers on one), but its exit may release that channel before
 * the control socket: wait for the control socket to hang up too, a
 * bounded while.  Return: -ESRCH, or -EIO if it does not. */
static int cached_chan_error(struct vds_helper *h)
{
	struct pollfd p = { .fd = h->ctl, .events = 0 };
	int n;

	do
		n = poll(&p, 1, VDS_HELPER_EXIT_MS);
	while (n < 0 && errno == EINTR);
	if (n > 0 && (p.revents & (POLLHUP | POLLERR))) {
		helper_mark_dead(h);
		return -ESRCH;
	}
	return -EIO;
}

/* give_fds - with VDS_CALL_GIVE, close c's descriptors, once (*given). */
static void give_fds(const struct vds_call *c, bool *given)
{
	if (!(c->opts & VDS_CALL_GIVE) || *given)
		return;
	for (unsigned i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	*given = true;
}

/* call_cached - call c on the thread's channel ch, which is registered
 * with h (m: its request, packed).  Return: as vds_helper_call, or
 * -EAGAIN when the request could not be sent but the helper lives (send
 * it again on a new channel); the channel is dropped when it cannot be
 * trusted any more (the helper closed it, or a reply went missing). */
static int call_cached(struct vds_helper *h, struct chan *ch,
		       const struct msg *m, const struct vds_call *c, int flags,
		       bool *given)
{
	int err = vds_proto_send(ch->fd, m->buf, m->len, c->fds, c->nfds);
	bool replied;

	if (err == -EPIPE || err == -ECONNREFUSED || err == -ECONNRESET) {
		/* nothing was asked: if the helper is there, it dropped the
		 * channel (it never should), and the call goes on a new one */
		chan_drop(ch);
		return helper_gone(h) ? cached_chan_error(h) : -EAGAIN;
	}
	if (err < 0)
		return err;
	give_fds(c, given);
	err = recv_reply(h, ch->fd, c, flags, chan_spin_us, &replied);
	/* EMFILE: the whole reply was read, only its descriptor could not
	 * come (the kernel closed it): the channel is still in step */
	if (!replied && err != -EMFILE)
		chan_drop(ch);
	if (err == -EIO)
		err = cached_chan_error(h);
	return err;
}

/* call_private - call c over a new reply channel sent on the control
 * socket (m: its request, packed); the channel becomes the thread's
 * cached one ch (when not NULL) once the helper replied on it.
 * Return: as vds_helper_call. */
static int call_private(struct vds_helper *h, struct chan *ch,
			const struct msg *m, const struct vds_call *c,
			int flags, bool *given)
{
	int sv[2] = { -1, -1 }, pass[4];
	bool replied;
	int err;

	err = vds_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	if (err < 0)
		return err;
	pass[0] = sv[1];
	if (c->nfds)
		memcpy(pass + 1, c->fds, c->nfds * sizeof(int));
	err = vds_proto_send(h->ctl, m->buf, m->len, pass, c->nfds + 1);
	close(sv[1]);
	if (err >= 0)
		give_fds(c, given);
	if (err == -EPIPE || err == -ECONNREFUSED || err == -ECONNRESET) {
		helper_mark_dead(h);
		err = -ESRCH;
	}
	if (err >= 0) {
		err = recv_reply(h, sv[0], c, flags, 0, &replied);
		if (replied && ch) {
			/* a reply came: the helper keeps the other end */
			chan_keep(ch, h, sv[0]);
			sv[0] = -1;
		}
	}
	if (sv[0] >= 0)
		close(sv[0]);
	return err;
}

/* call_once - one request and its reply: on the calling thread's cached
 * channel when the op allows it (registering one when the thread has none
 * for h yet), else over a private channel; *given once it was sent with
 * VDS_CALL_GIVE's descriptors (which are then closed).
 * Return: as vds_helper_call. */
static int call_once(struct vds_helper *h, const struct vds_call *c,
		     bool *given)
{
	const struct vds_op_info *op = vds_proto_op(c->req->op);
	int flags = (c->opts & VDS_CALL_INHERIT) ? 0 : MSG_CMSG_CLOEXEC;
	struct vds_req keep;
	struct chan *ch = NULL;
	struct msg m;
	int err;

	if (c->ret_fd)
		*c->ret_fd = -1;
	if (!op || c->nfds > 3)
		return -EINVAL;
	if (atomic_load(&h->dead))
		return -ESRCH;
	if (op->cached)
		ch = chan_take(h);
	if (ch && ch->fd >= 0) {
		err = msg_pack(&m, c->req);
		if (err == 0)
			err = call_cached(h, ch, &m, c, flags, given);
		msg_free(&m);
		if (err != -EAGAIN)
			goto out;
	}
	/* a thread's first request: the helper keeps its reply channel */
	keep = *c->req;
	keep.keep = ch != NULL;
	err = msg_pack(&m, &keep);
	if (err == 0)
		err = call_private(h, ch, &m, c, flags, given);
	msg_free(&m);
out:
	if (ch)
		ch->busy = false;
	return err;
}

/* vds_helper_call - call_once; descriptors given (VDS_CALL_GIVE) that
 * could not go for want of descriptors (a reply channel at this process's
 * limit, or as many in flight in Unix sockets as its RLIMIT_NOFILE) are
 * closed, and the request goes once more without them: they are the
 * helper's to close, not something it needs.
 * Return: the reply's status (>= 0) or -errno; -ESRCH when the helper is
 * gone, -EINVAL for an unknown op or more than 3 descriptors. */
int vds_helper_call(struct vds_helper *h, const struct vds_call *c)
{
	bool given = false;
	int err = call_once(h, c, &given);

	if (!given && (c->opts & VDS_CALL_GIVE) && c->nfds &&
	    (err == -EMFILE || err == -ENFILE || err == -ETOOMANYREFS)) {
		struct vds_call alone = *c;

		give_fds(c, &given);
		alone.fds = NULL;
		alone.nfds = 0;
		err = call_once(h, &alone, &given);
	}
	give_fds(c, &given); /* not sent: closed all the same */
	return err;
}

/* vds_helper_thread_chan - the calling thread's cached reply channel.
 * Return: its descriptor, or -1 when the thread has none. */
int vds_helper_thread_chan(void)
{
	return tls_chan.fd;
}

/* vds_helper_pd_check - see helper.h (and the Theory of operation).
 * Return: 0, or -EBADF. */
int vds_helper_pd_check(int pd)
{
	struct ucred cred = { .pid = 0 };
	socklen_t len = sizeof(int);
	bool found = false;
	int type = 0;

	if (getsockopt(pd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET)
		return -EBADF;
	len = sizeof(cred);
	if (getsockopt(pd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.pid <= 0)
		return -EBADF;
	pthread_mutex_lock(&helper_lock);
	for (unsigned i = 0; i < VDS_HELPER_PIDS_MAX && !found; i++)
		found = helper_pids[i] == cred.pid;
	pthread_mutex_unlock(&helper_lock);
	return found ? 0 : -EBADF;
}
