/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * helper.c - the namespace helper: one process that owns every stack's
 * namespaces, and the application's side of talking to it.
 *
 * Theory of operation
 *
 * An unprivileged process cannot enter a network namespace it made in a
 * user namespace of its own without leaving its own user namespace, which
 * a multi-threaded process cannot do.  So the library forks one helper per
 * process, at the first vde_addstack().  The helper unshares a user
 * namespace in which it is root (nsops.c), and from then on creates the
 * network namespace of every stack, moving between them with setns(); it
 * hands taps and sockets back to the application with SCM_RIGHTS.  The
 * frame pump stays in the application (loop.c, pump.c), where in-memory
 * backends need it, and a crash of the helper cannot corrupt the
 * application.  fork() rather than clone(CLONE_VM): valgrind and the
 * sanitizers follow a fork, and nothing is shared by accident.
 *
 * One helper serves all stacks: the number of tasks does not grow with the
 * number of stacks.  It lives until the application ends (it may outlive
 * vde_delstack(), holding no stack's resources), and it ends with the
 * application: it polls a pidfd of the application, which becomes
 * readable when the whole process exits, so a thread that exits after
 * creating the first stack does not take the helper with it (as
 * PR_SET_PDEATHSIG would).  Right after fork() it closes every descriptor
 * it inherited except its control socket, so the helper and the commands
 * it starts hold nothing of the application's.
 *
 * vde_stackcmd() must not stall the helper: for each command sequence the
 * helper forks a runner that enters the stack's namespace, runs the
 * commands one after the other with the caller's standard descriptors,
 * replies and exits.  Runners and their commands die with the helper
 * (PR_SET_PDEATHSIG, safe there because the helper is single-threaded).
 *
 * If the helper dies, every pending and later call on its stacks fails
 * at once with ESRCH (its reply channels read end-of-file), and the next
 * vde_addstack() starts a new helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* The environment of every command run by vde_stackcmd(): documented in
 * vde_stackcmd(3). */
static char *const cmd_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/",
	"LC_ALL=C",
	NULL,
};

struct vds_helper {
	int refs;          /* protected by helper_lock */
	int ctl;           /* our end of the control socket */
	pid_t pid;         /* the helper process */
	pid_t owner;       /* the process that forked it */
	atomic_bool dead;
	atomic_flag reaped;
};

static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vds_helper *current; /* holds one reference */

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
 * seqpacket socket whose peer is gone polls POLLHUP. */
static bool helper_gone(struct vds_helper *h)
{
	struct pollfd p = { .fd = h->ctl, .events = 0 };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

/* helper_start - fork and set up a new helper.
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
		vds_helper_main(sv[1], uid, gid, parent);
	}
	close(sv[1]);
	sv[1] = -1;
	h->pid = pid;
	h->owner = parent;
	h->ctl = sv[0];
	h->refs = 1;
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
		 * dies with it; the parent's stays with the inherited stacks */
		current = NULL;
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

/* call - one request and its reply, over a private channel, which is
 * closed, or kept in *ret_chan when ret_chan is not NULL.
 * Return: as vds_helper_call. */
static int call(struct vds_helper *h, const struct vds_req *req,
		const void *payload, const int *fds, unsigned nfds,
		struct vds_rep *rep, int *ret_fd, int *ret_chan)
{
	char small[256], *buf = small;
	int sv[2] = { -1, -1 }, pass[4], got[1];
	unsigned ngot = 0;
	ssize_t len, n;
	int err;

	if (ret_fd)
		*ret_fd = -1;
	if (atomic_load(&h->dead))
		return -ESRCH;
	if (nfds > 3)
		return -EINVAL;
	if (sizeof(*req) + req->len > sizeof(small)) {
		buf = vds_malloc(sizeof(*req) + req->len);
		if (!buf)
			return -ENOMEM;
	}
	len = vds_proto_pack(buf, sizeof(*req) + req->len, req, payload);
	if (len < 0) {
		err = (int)len;
		goto out;
	}
	err = vds_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	if (err < 0)
		goto out;
	pass[0] = sv[1];
	if (nfds)
		memcpy(pass + 1, fds, nfds * sizeof(int));
	err = vds_proto_send(h->ctl, buf, (size_t)len, pass, nfds + 1);
	close(sv[1]);
	sv[1] = -1;
	if (err == -EPIPE || err == -ECONNREFUSED || err == -ECONNRESET) {
		helper_mark_dead(h);
		err = -ESRCH;
	}
	if (err < 0)
		goto out;
	n = vds_proto_recv(sv[0], rep, sizeof(*rep), got, ret_fd ? 1 : 0,
			   &ngot);
	if (n == 0 || n == -ECONNRESET) {
		/* the helper died, or only the process that was to answer
		 * (a command runner killed from outside) */
		if (helper_gone(h)) {
			helper_mark_dead(h);
			err = -ESRCH;
		} else {
			err = -EIO;
		}
		goto out;
	}
	if (n < 0) {
		err = (int)n;
		goto out;
	}
	if (n != sizeof(*rep)) {
		err = -EBADMSG;
		goto out;
	}
	err = rep->status;
	if (ret_fd && ngot == 1) {
		if (err >= 0)
			*ret_fd = got[0];
		else
			close(got[0]);
	}
	if (ret_chan && err >= 0) {
		*ret_chan = sv[0];
		sv[0] = -1;
	}
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (buf != small)
		vds_free(buf);
	return err;
}

/* vds_helper_call - one request and its reply, over a private channel.
 * Return: the reply's status (>= 0) or -errno; -ESRCH when the helper is
 * gone.  *ret_fd gets the descriptor of the reply, or -1. */
int vds_helper_call(struct vds_helper *h, const struct vds_req *req,
		    const void *payload, const int *fds, unsigned nfds,
		    struct vds_rep *rep, int *ret_fd)
{
	return call(h, req, payload, fds, nfds, rep, ret_fd, NULL);
}

/* vds_helper_call_chan - a request whose channel stays open after the
 * first reply (for a process started with VDS_OP_SPAWN).
 * Return: as vds_helper_call; *ret_chan is the channel on success. */
int vds_helper_call_chan(struct vds_helper *h, const struct vds_req *req,
			 const void *payload, const int *fds, unsigned nfds,
			 struct vds_rep *rep, int *ret_chan)
{
	*ret_chan = -1;
	return call(h, req, payload, fds, nfds, rep, NULL, ret_chan);
}

/* ------------------------------------------------------------------ */
/* Helper side                                                         */
/* ------------------------------------------------------------------ */

/* The helper's table of stacks: slot i holds the namespace of id i + 1. */
struct slot {
	int ns; /* -1 when free */
};

static struct slot *slots;
static unsigned nslots;
static int base_ns = -1;
static int helper_ctl = -1, app_pidfd = -1;

/* drop_helper_fds - in a runner or spawner: close the helper's control
 * socket and pidfd, so that the application sees the helper's end close
 * exactly when the helper dies, whatever its children do. */
static void drop_helper_fds(void)
{
	close(helper_ctl);
	if (app_pidfd >= 0)
		close(app_pidfd);
}

/* reply - answer a request on its private channel, with one descriptor
 * or none (fd < 0). */
static void reply(int chan, int status, uint32_t id, int fd)
{
	struct vds_rep rep = { .status = status, .id = id };

	vds_proto_send(chan, &rep, sizeof(rep), &fd, fd >= 0 ? 1 : 0);
}

/* slot_of - the slot of a stack id.  Return: it, or NULL for a bad id. */
static struct slot *slot_of(uint32_t id)
{
	if (id == 0 || id > nslots || slots[id - 1].ns < 0)
		return NULL;
	return &slots[id - 1];
}

/* do_newstack - NEWSTACK: make a namespace (and tap).
 * Return: the new id or -errno; *ret_tap set. */
static int do_newstack(const struct vds_req *req, const char *payload,
		       int *ret_tap)
{
	unsigned flags = (unsigned)req->arg[0];
	bool tap = flags & VDS_NEWSTACK_TAP;
	unsigned i;
	int ns, err;

	*ret_tap = -1;
	if (tap && (req->len == 0 || payload[req->len - 1] != '\0' ||
		    vds_ifname_check(payload) < 0))
		return -EINVAL;
	for (i = 0; i < nslots && slots[i].ns >= 0; i++)
		;
	if (i == nslots) {
		unsigned n = nslots ? nslots * 2 : 64;
		struct slot *s = vds_realloc(slots, n * sizeof(*s));

		if (!s)
			return -ENOMEM;
		for (unsigned j = nslots; j < n; j++)
			s[j].ns = -1;
		slots = s;
		nslots = n;
	}
	err = vds_ns_new_stack(base_ns, payload, flags, (unsigned)req->arg[1],
			       &ns, ret_tap);
	if (err < 0)
		return err;
	slots[i].ns = ns;
	return (int)(i + 1);
}

/* do_socket - SOCKET: a socket made inside the stack's namespace.
 * Return: its descriptor or -errno. */
static int do_socket(const struct vds_req *req)
{
	struct slot *s = slot_of(req->id);
	int fd, err;

	if (!s)
		return -EBADF;
	err = vds_sys_setns(s->ns, CLONE_NEWNET);
	if (err < 0)
		return err;
	fd = vds_sys_socket(req->arg[0], req->arg[1] | SOCK_CLOEXEC,
			    req->arg[2]);
	err = vds_sys_setns(base_ns, CLONE_NEWNET);
	if (err < 0) {
		/* cannot go home: nothing else can be trusted */
		_exit(1);
	}
	return fd;
}

/* exit_code - vde_stackcmd's value for a wait status: the exit status, or
 * 128 + the signal for a command killed by one. */
static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* command_setup - in the child about to exec a command: the default
 * signal dispositions the helper changed, and the caller's process group
 * (so that a Ctrl-C for the application reaches its commands too, as for
 * a child of its own; ignored when that group is gone). */
static void command_setup(pid_t pgid)
{
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (pgid > 0)
		setpgid(0, pgid);
}

/* run_one - fork, exec one command with stdio as 0/1/2 and nothing else,
 * wait.  Return: its exit code (127/126 when it cannot be executed). */
static int run_one(char **argv, const int stdio[3], pid_t pgid)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		command_setup(pgid);
		for (int i = 0; i < 3; i++) {
			/* move our descriptors above 2 first, then into place */
			if (dup2(stdio[i], i) < 0)
				_exit(126);
		}
		syscall(SYS_close_range, 3U, ~0U, 0U);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execve(argv[0], argv, cmd_env);
		_exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return exit_code(status);
}

/* lift - move a descriptor to 3 or above, so that dup2() into 0..2 of
 * one never clobbers another.  Return: the new descriptor or -1. */
static int lift(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* enter_stack - in a runner or spawner: tie its life to the helper's,
 * drop the helper's descriptors, enter the stack's namespace and gather
 * the standard descriptors the caller passed (mask: which of 0, 1, 2;
 * /dev/null for the others), each moved above 2 into stdio.  Replies
 * with the error and exits on failure. */
static void enter_stack(int chan, int ns, const int *stdio_in, unsigned mask,
			int stdio[3])
{
	int null = -1;
	unsigned k = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	drop_helper_fds();
	signal(SIGCHLD, SIG_DFL);
	if (vds_sys_setns(ns, CLONE_NEWNET) < 0) {
		reply(chan, -errno, 0, -1);
		_exit(0);
	}
	for (int i = 0; i < 3; i++) {
		if (mask & (1u << i)) {
			stdio[i] = lift(stdio_in[k++]);
		} else {
			if (null < 0)
				null = lift(open("/dev/null", O_RDWR | O_CLOEXEC));
			stdio[i] = null;
		}
		if (stdio[i] < 0) {
			reply(chan, -EMFILE, 0, -1);
			_exit(0);
		}
	}
}

/* runner - the process that runs one command sequence (never returns). */
static void runner(int chan, int ns, const char *buf, size_t len,
		   const int *stdio_in, unsigned mask, pid_t pgid)
{
	char *argv[VDS_CMD_MAXARGS];
	int stdio[3], status = 0, n;
	size_t pos = 0;

	enter_stack(chan, ns, stdio_in, mask, stdio);
	while ((n = vds_cmdline_next(buf, len, &pos, argv,
				     VDS_ARRAY_SIZE(argv), 0)) > 0) {
		status = run_one(argv, stdio, pgid);
		if (status != 0)
			break;
	}
	if (n < 0)
		status = n;
	reply(chan, status, 0, -1);
	_exit(0);
}

/* do_cmd - CMD: start a runner for the sequence; it replies itself.
 * Return: 0 when the runner took over, or -errno to reply now. */
static int do_cmd(const struct vds_req *req, const void *payload, int chan,
		  const int *stdio, unsigned nstdio)
{
	struct slot *s = slot_of(req->id);
	unsigned mask = (unsigned)req->arg[0] & 7u;
	pid_t pid;

	if (!s)
		return -EBADF;
	if ((unsigned)__builtin_popcount(mask) != nstdio)
		return -EBADMSG;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		runner(chan, s->ns, payload, req->len, stdio, mask,
		       (pid_t)req->arg[1]);
	return 0;
}

/* unpack_words - split n NUL-ended words off buf into vec (NULL-ended).
 * Return: bytes used, or -EBADMSG. */
static ssize_t unpack_words(const char *buf, size_t len, unsigned n,
			    char **vec)
{
	size_t at = 0;

	for (unsigned i = 0; i < n; i++) {
		const char *end = memchr(buf + at, '\0', len - at);

		if (!end)
			return -EBADMSG;
		vec[i] = (char *)(buf + at);
		at = (size_t)(end - buf) + 1;
	}
	vec[n] = NULL;
	return (ssize_t)at;
}

/* spawner - the runner of a process started with VDS_OP_SPAWN: starts it,
 * reports the start (or the exec's errno), relays signals written to the
 * channel, reports the wait status, and kills the process if the channel
 * closes first.  Never returns. */
static void spawner(int chan, int ns, char **argv, char **envp,
		    const int *stdio_in, unsigned mask, pid_t pgid)
{
	int stdio[3], report[2], status, e = 0, pidfd;
	ssize_t n;
	pid_t pid;

	enter_stack(chan, ns, stdio_in, mask, stdio);
	if (pipe2(report, O_CLOEXEC) < 0) {
		reply(chan, -errno, 0, -1);
		_exit(0);
	}
	pid = fork();
	if (pid < 0) {
		reply(chan, -errno, 0, -1);
		_exit(0);
	}
	if (pid == 0) {
		command_setup(pgid);
		for (int i = 0; i < 3; i++)
			if (dup2(stdio[i], i) < 0)
				_exit(127);
		if (dup3(report[1], 3, O_CLOEXEC) < 0)
			_exit(127);
		syscall(SYS_close_range, 4U, ~0U, 0U);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execve(argv[0], argv, envp);
		e = errno;
		if (write(3, &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(report[1]);
	n = read(report[0], &e, sizeof(e));
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		reply(chan, -e, 0, -1);
		_exit(0);
	}
	reply(chan, 0, (uint32_t)pid, -1);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = chan, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		int sig;

		if (poll(p, 2, pidfd < 0 ? 200 : -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			n = recv(chan, &sig, sizeof(sig), 0);
			if (n == sizeof(sig))
				kill(pid, sig);
			else if (n <= 0)
				break; /* the caller closed: end the process */
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			reply(chan, status, (uint32_t)pid, -1);
			_exit(0);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	_exit(0);
}

/* do_spawn - SPAWN: fork a spawner; it replies itself.
 * Return: 0 when it took over, or -errno to reply now. */
static int do_spawn(const struct vds_req *req, const char *payload, int chan,
		    const int *stdio, unsigned nstdio)
{
	struct slot *s = slot_of(req->id);
	unsigned mask = (unsigned)req->arg[0] & 7u;
	unsigned argc = (unsigned)req->arg[1], envc = (unsigned)req->arg[2];
	char **vec;
	ssize_t used;
	pid_t pid;

	if (!s)
		return -EBADF;
	if ((unsigned)__builtin_popcount(mask) != nstdio || argc == 0 ||
	    argc > VDS_CMD_MAXARGS || envc > VDS_SPAWN_MAXENV)
		return -EBADMSG;
	vec = vds_calloc(argc + envc + 2, sizeof(*vec));
	if (!vec)
		return -ENOMEM;
	used = unpack_words(payload, req->len, argc, vec);
	if (used >= 0)
		used = unpack_words(payload + used, req->len - (size_t)used, envc,
				    vec + argc + 1);
	if (used < 0 || vec[0][0] != '/') {
		vds_free(vec);
		return -EBADMSG;
	}
	pid = fork();
	if (pid == 0)
		spawner(chan, s->ns, vec, vec + argc + 1, stdio, mask,
			(pid_t)(req->arg[0] >> 3));
	vds_free(vec);
	return pid < 0 ? -errno : 0;
}

/* serve - handle one request from the control socket.
 * Return: false when the control socket is closed. */
static bool serve(int ctl, char *buf, size_t size)
{
	int fds[4], status = 0, out_fd = -1;
	struct vds_req req;
	const void *payload;
	unsigned nfds = 0;
	uint32_t id = 0;
	ssize_t n;

	n = vds_proto_recv(ctl, buf, size, fds, 4, &nfds);
	if (n < 0)
		return n == -EMSGSIZE || n == -EAGAIN || n == -EINTR;
	if (n == 0)
		return false;
	if (nfds == 0)
		return true; /* nowhere to reply */
	if (vds_proto_unpack(buf, (size_t)n, &req, &payload) < 0) {
		status = -EBADMSG;
		goto out;
	}
	switch (req.op) {
	case VDS_OP_NEWSTACK:
		status = do_newstack(&req, payload, &out_fd);
		if (status > 0) {
			id = (uint32_t)status;
			status = 0;
		}
		break;
	case VDS_OP_DELSTACK: {
		struct slot *s = slot_of(req.id);

		if (s) {
			close(s->ns);
			s->ns = -1;
		} else {
			status = -EBADF;
		}
		break;
	}
	case VDS_OP_SOCKET:
		out_fd = do_socket(&req);
		status = out_fd < 0 ? out_fd : 0;
		break;
	case VDS_OP_SPAWN:
		status = do_spawn(&req, payload, fds[0], fds + 1, nfds - 1);
		if (status == 0)
			goto close_fds; /* the spawner answers */
		break;
	case VDS_OP_CMD:
		if (req.len == 0 || req.len > VDS_CMD_MAX) {
			status = -EBADMSG;
			break;
		}
		status = do_cmd(&req, payload, fds[0], fds + 1, nfds - 1);
		if (status == 0)
			goto close_fds; /* the runner answers */
		break;
	default:
		status = -EOPNOTSUPP;
		break;
	}
out:
	reply(fds[0], status, id, out_fd);
close_fds:
	if (out_fd >= 0)
		close(out_fd);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return true;
}

/* detach_from_app - drop everything inherited from the application but
 * the control socket: descriptors, signal handlers, blocked signals.
 * Return: the control socket's new number (3). */
static int detach_from_app(int ctl)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int null;

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (ctl != 3) {
		if (dup3(ctl, 3, O_CLOEXEC) < 0)
			_exit(1);
		ctl = 3;
	}
	syscall(SYS_close_range, 4U, ~0U, 0U);
	null = open("/dev/null", O_RDWR);
	for (int i = 0; i < 3; i++)
		if (null != i)
			dup2(null, i);
	if (null > 2)
		close(null);
	return ctl;
}

/* vds_helper_main - the helper process: set up, report, serve until the
 * application ends.  Never returns. */
void vds_helper_main(int ctl, uid_t uid, gid_t gid, pid_t parent)
{
	static char buf[VDS_MSG_MAX + 1];
	struct vds_rep hello = { .status = 0 };
	struct rlimit rl;
	int pidfd, err;

	ctl = detach_from_app(ctl);
	/* out of the application's process group: a Ctrl-C meant for the
	 * application (which it may ignore) must not end the helper */
	setpgid(0, 0);
	pidfd = (int)syscall(SYS_pidfd_open, parent, 0);
	helper_ctl = ctl;
	app_pidfd = pidfd;
	/* without a pidfd (old kernels; valgrind 3.19 does not know
	 * pidfd_open), die with the application by signal: SIGTERM, which
	 * ends the helper as surely as SIGKILL (its handlers are the defaults
	 * and its mask is empty, see detach_from_app) but lets a memory
	 * checker that runs it see its end */
	if (pidfd < 0)
		prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* runners are reaped by the kernel */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	err = vds_ns_setup_user(uid, gid);
	if (err == 0)
		err = vds_sys_unshare(CLONE_NEWNET);
	if (err == 0) {
		base_ns = vds_sys_open("/proc/thread-self/ns/net", O_RDONLY);
		err = base_ns < 0 ? base_ns : 0;
	}
	if (err == 0) {
		/* veth peers live here: they must not speak IPv6 into stacks */
		vds_sys_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
		vds_sys_write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	}
	hello.status = err;
	vds_proto_send(ctl, &hello, sizeof(hello), NULL, 0);
	if (err < 0)
		_exit(0);

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = ctl, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		int timeout = pidfd < 0 ? 500 : -1;

		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			_exit(1);
		if (pfd[1].revents || getppid() != parent)
			_exit(0); /* the application is gone */
		if (pfd[0].revents & POLLIN) {
			if (!serve(ctl, buf, sizeof(buf)))
				_exit(0);
		} else if (pfd[0].revents & (POLLHUP | POLLERR)) {
			_exit(0);
		}
	}
}
