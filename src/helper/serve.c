/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * serve.c - the namespace helper process: the stacks' namespaces, the
 * requests, and the runners and spawners of commands.
 *
 * Theory of operation
 *
 * vds_helper_main() runs in the process helper.c forks.  The helper
 * unshares a user namespace in which it is root (nsops.c) and a base
 * network namespace, and from then on makes every stack's pair of
 * namespaces and interface, moving between them with setns(); a table of
 * slots keeps each stack's descriptors.  It lives until the application
 * ends (it may outlive vde_delstack(), holding no stack's resources), and
 * it ends with the application: it polls a pidfd of the application,
 * which becomes readable when the whole process exits, so a thread that
 * exits after creating the first stack does not take the helper with it
 * (as PR_SET_PDEATHSIG would).  Right after fork() it closes every
 * descriptor it inherited except its control socket, so the helper and
 * the commands it starts hold nothing of the application's.
 *
 * vde_stackcmd() must not stall the helper: for each command sequence the
 * helper forks a runner that enters the stack's namespaces, runs the
 * commands one after the other with the caller's standard descriptors,
 * replies and exits.  Runners and their commands die with the helper
 * (PR_SET_PDEATHSIG, safe there because the helper is single-threaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/cmdline.h"
#include "base/internal.h"
#include "base/proto.h"
#include "base/sys.h"
#include "bridge.h"
#include "nsops.h"
#include "nspool.h"
#include "veth.h"

/* After a request the helper polls this long for the next one
 * (VDESTACK_BUSY_POLL=0 turns it off; see helper.c). */
#define VDS_HELPER_SPIN_US 50

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

/* The capabilities a command keeps by default: documented in
 * vde_stackcmd(3) (VDESTACK_CMD_CAPS). */
#define CMD_NET_CAPS ((1ULL << CAP_NET_BIND_SERVICE) |                    \
		      (1ULL << CAP_NET_BROADCAST) | (1ULL << CAP_NET_ADMIN) | \
		      (1ULL << CAP_NET_RAW))
#define CMD_ALL_CAPS (~0ULL)

/* ------------------------------------------------------------------ */
/* Helper side                                                         */
/* ------------------------------------------------------------------ */

/* The helper's table of stacks: slot i holds the namespace of id i + 1. */
struct slot {
	int ns;   /* its network namespace; -1 when free */
	int user; /* its user namespace, which owns ns */
	int link; /* the helper's copy of its interface, or -1: the
		   * application's close is then not the last one, whose
		   * wait for the kernel the worker takes at DELSTACK */
	int bridge; /* the bridge its veth's peer joined (bridge.c), or -1 */
	unsigned peer; /* that peer's ifindex (vds_veth_cut), when bridge >= 0 */
};

static struct slot *slots;
static unsigned nslots;
static unsigned nlive; /* slots in use */
static int base_ns = -1;
static int helper_ctl = -1, app_pidfd = -1, helper_ep = -1;
static struct rlimit app_nofile = { RLIM_INFINITY, RLIM_INFINITY };
static bool app_nofile_saved;
static int cur_ns = -1; /* the stack namespace the helper is in; -1: base */
static int keep_below = 1024; /* interfaces kept only under this number:
			       * half the descriptor limit */

/* The reply channels the helper keeps (the application's threads' cached
 * channels), each watched by helper_ep. */
static int *chans;
static unsigned nchans, chans_size;

/* drop_helper_fds - in a runner or spawner: close the helper's control
 * socket, pidfd, epoll set and kept channels, so that the application
 * sees the helper's ends close exactly when the helper dies, whatever
 * its children do. */
static void drop_helper_fds(void)
{
	close(helper_ctl);
	if (app_pidfd >= 0)
		close(app_pidfd);
	if (helper_ep >= 0)
		close(helper_ep);
	for (unsigned i = 0; i < nchans; i++)
		close(chans[i]);
	nchans = 0;
	for (unsigned i = 0; i < nslots; i++) {
		if (slots[i].link >= 0)
			close(slots[i].link);
		slots[i].link = -1;
	}
	vds_nspool_drop_fds();
}

/* chan_add - keep fd as a channel on which requests arrive.
 * Return: 0 or -errno (fd is not kept then). */
static int chan_add(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (nchans == chans_size) {
		unsigned n = chans_size ? chans_size * 2 : 16;
		int *c = vds_realloc(chans, n * sizeof(*c));

		if (!c)
			return -ENOMEM;
		chans = c;
		chans_size = n;
	}
	if (epoll_ctl(helper_ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	chans[nchans++] = fd;
	return 0;
}

/* The kept channel of the last request: while the helper busy-polls, it
 * reads this one directly, and looks at the others through epoll only
 * every VDS_HOT_EVERY rounds (a thread asking again is the common case,
 * and an epoll_wait() less per request is a tenth of vde_msocket()). */
#define VDS_HOT_EVERY 8
static int hot_chan = -1;

/* chan_del - stop serving the kept channel fd (its thread exited, or the
 * application closed it) and close it. */
static void chan_del(int fd)
{
	if (fd == hot_chan)
		hot_chan = -1;
	for (unsigned i = 0; i < nchans; i++) {
		if (chans[i] == fd) {
			chans[i] = chans[--nchans];
			break;
		}
	}
	epoll_ctl(helper_ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

/* enter_ns - move the helper into the network namespace ns, unless it is
 * there already (sockets made one after the other in a stack need no
 * setns() at all).  Return: 0 or -errno. */
static int enter_ns(int ns)
{
	int err;

	if (cur_ns == ns)
		return 0;
	err = vds_sys_setns(ns, CLONE_NEWNET);
	if (err < 0)
		return err;
	cur_ns = ns;
	return 0;
}

/* go_home - back to the base namespace, where every request but SOCKET
 * starts (and from where no deleted stack's namespace is kept alive).
 * Exits if that fails: nothing else could be trusted. */
static void go_home(void)
{
	if (cur_ns < 0)
		return;
	if (vds_sys_setns(base_ns, CLONE_NEWNET) < 0)
		_exit(1);
	cur_ns = -1;
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

/* newstack_joined - a stack namespace whose interface's peer joins the
 * bridge of the key that follows the name in the payload (made now when
 * it is the first member).  Return: the bridge's handle with *ret_ns, or
 * -errno (-EBADMSG for a bad key, -EXFULL for a full bridge). */
static int newstack_joined(const struct vds_req *req, const char *payload,
			   struct vds_stackns *ret_ns, unsigned *ret_peer)
{
	size_t at = strlen(payload) + 1;
	struct vds_stackns ns;
	unsigned spare;
	int br, err;

	if (at >= req->len)
		return -EBADMSG; /* no key, or an empty one */
	br = vds_bridge_get(payload + at);
	if (br < 0)
		return br;
	if (vds_bridge_full(br))
		return -EXFULL;
	spare = 0;
	ns = vds_nspool_take_spare(payload, &spare);
	if (ns.net < 0)
		ns = vds_nspool_take(nlive >= VDS_NSPOOL_WAIT_FROM);
	err = vds_ns_new_joined(base_ns, &ns, spare, payload,
				vds_bridge_ifindex(br), (unsigned)req->arg[1],
				ret_ns, ret_peer);
	if (err < 0)
		return err; /* an empty new bridge goes after the reply */
	vds_bridge_hold(br);
	return br;
}

/* do_newstack - NEWSTACK: make a namespace (and tap).
 * Return: the new id or -errno; *ret_tap set. */
static int do_newstack(const struct vds_req *req, const char *payload,
		       int *ret_tap)
{
	unsigned flags = (unsigned)req->arg[0];
	bool tap = flags & VDS_NEWSTACK_TAP;
	struct vds_stackns ns, made;
	unsigned i;
	int err;

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
			s[j] = (struct slot){ .ns = -1, .user = -1, .link = -1,
					      .bridge = -1 };
		slots = s;
		nslots = n;
	}
	if ((flags & VDS_NEWSTACK_BRIDGE) && (flags & VDS_NEWSTACK_LINK_VETH)) {
		unsigned peer = 0;
		int br = newstack_joined(req, payload, &ns, &peer);

		if (br >= 0) {
			slots[i] = (struct slot){ .ns = ns.net, .user = ns.user,
						  .link = -1, .bridge = br,
						  .peer = peer };
			nlive++;
			return (int)(i + 1);
		}
		if (br == -EBADMSG)
			return br;
		/* no bridge here, or a full one: a link of the usual kinds */
	}
	made = vds_nspool_take(nlive >= VDS_NSPOOL_WAIT_FROM);
	err = vds_ns_new_stack(base_ns, &made, payload, flags,
			       (unsigned)req->arg[1], &ns, ret_tap);
	if (err < 0)
		return err;
	slots[i] = (struct slot){ .ns = ns.net, .user = ns.user, .link = -1,
				  .bridge = -1 };
	nlive++;
	return (int)(i + 1);
}

/* do_uplink - UPLINK: the AF_PACKET end of a new uplink to the bridge of
 * the key in the payload.  Return: its descriptor, or -errno (-ENOENT
 * when that segment has no bridge). */
static int do_uplink(const struct vds_req *req, const char *payload)
{
	int br;

	if (req->len == 0 || payload[req->len - 1] != '\0')
		return -EBADMSG;
	br = vds_bridge_find(payload);
	if (br < 0)
		return br;
	return vds_veth_uplink(base_ns, vds_bridge_ifindex(br),
			       (unsigned)req->arg[0] & VDS_NEWSTACK_VNET);
}

/* do_socket - SOCKET: a socket made inside the stack's namespace; the
 * helper stays there until a request for another namespace.
 * Return: its descriptor or -errno. */
static int do_socket(const struct vds_req *req)
{
	struct slot *s = slot_of(req->id);
	int err;

	if (!s)
		return -EBADF;
	err = enter_ns(s->ns);
	if (err < 0)
		return err;
	return vds_sys_socket(req->arg[0], req->arg[1] | SOCK_CLOEXEC,
			      req->arg[2]);
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

/* cmd_caps - the capabilities commands keep, from VDESTACK_CMD_CAPS in
 * the environment the helper inherited: unset, empty or "net" for
 * CMD_NET_CAPS, "all" for every one.
 * Return: 0 with *ret, or -EINVAL for any other value. */
static int cmd_caps(uint64_t *ret)
{
	const char *v = getenv("VDESTACK_CMD_CAPS");

	if (!v || !*v || !strcmp(v, "net"))
		*ret = CMD_NET_CAPS;
	else if (!strcmp(v, "all"))
		*ret = CMD_ALL_CAPS;
	else
		return -EINVAL;
	return 0;
}

/* limit_caps - before execve(): keep only the capabilities in keep, in
 * the bounding set (which caps what the exec of a root-owned program can
 * give), the inheritable set and the ambient set; the permitted and
 * effective sets after the exec follow from those.
 * Return: 0 or -errno. */
static int limit_caps(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (keep == CMD_ALL_CAPS)
		return 0;
	for (unsigned cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* past the kernel's last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	data[0].inheritable &= (uint32_t)keep;
	data[1].inheritable &= (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* command_setup - in the child about to exec a command: the default
 * signal dispositions the helper changed, the caller's process group
 * (so that a Ctrl-C for the application reaches its commands too,
 * ignored when that group is gone), the application's descriptor limit,
 * and only the capabilities in caps.  Return: 0 or -errno. */
static int command_setup(pid_t pgid, uint64_t caps)
{
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (pgid > 0)
		setpgid(0, pgid);
	if (app_nofile_saved)
		setrlimit(RLIMIT_NOFILE, &app_nofile);
	return limit_caps(caps);
}

/* run_one - fork, exec one command with stdio as 0/1/2 and nothing else
 * and only the capabilities in caps, wait.  Return: its exit code (127/126 when it cannot be executed). */
static int run_one(char **argv, const int stdio[3], pid_t pgid,
		   uint64_t caps)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (command_setup(pgid, caps) < 0)
			_exit(126);
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
 * /dev/null for the others), each moved above 2 into stdio, and the
 * capabilities its commands keep into *ret_caps.  Replies with the error
 * and exits on failure. */
static void enter_stack(int chan, const struct slot *s, const int *stdio_in,
			unsigned mask, int stdio[3], uint64_t *ret_caps)
{
	int null = -1, err;
	unsigned k = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	drop_helper_fds();
	signal(SIGCHLD, SIG_DFL);
	err = cmd_caps(ret_caps);
	if (err < 0) {
		reply(chan, err, 0, -1);
		_exit(0);
	}
	/* the network namespace first, while the helper's capabilities
	 * hold; then the stack's user namespace, which owns it and nothing
	 * else: its commands are root of their stack only */
	err = vds_sys_setns(s->ns, CLONE_NEWNET);
	if (err == 0)
		err = vds_sys_setns(s->user, CLONE_NEWUSER);
	if (err < 0) {
		reply(chan, err, 0, -1);
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
static void runner(int chan, const struct slot *s, const char *buf, size_t len,
		   const int *stdio_in, unsigned mask, pid_t pgid)
{
	char *argv[VDS_CMD_MAXARGS];
	int stdio[3], status = 0, n;
	size_t pos = 0;
	uint64_t caps;

	enter_stack(chan, s, stdio_in, mask, stdio, &caps);
	while ((n = vds_cmdline_next(buf, len, &pos, argv,
				     VDS_ARRAY_SIZE(argv), 0)) > 0) {
		status = run_one(argv, stdio, pgid, caps);
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
		runner(chan, s, payload, req->len, stdio, mask,
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
static void spawner(int chan, const struct slot *s, char **argv, char **envp,
		    const int *stdio_in, unsigned mask, pid_t pgid)
{
	int stdio[3], report[2], status, e = 0, pidfd;
	uint64_t caps;
	ssize_t n;
	pid_t pid;

	enter_stack(chan, s, stdio_in, mask, stdio, &caps);
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
		for (int i = 0; i < 3; i++)
			if (dup2(stdio[i], i) < 0)
				_exit(127);
		if (dup3(report[1], 3, O_CLOEXEC) < 0)
			_exit(127);
		syscall(SYS_close_range, 4U, ~0U, 0U);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		e = -command_setup(pgid, caps);
		if (e == 0) {
			execve(argv[0], argv, envp);
			e = errno;
		}
		if (write(3, &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(report[1]);
	vds_free(argv); /* the block of argv and envp (do_spawn's vec) */
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
		spawner(chan, s, vec, vec + argc + 1, stdio, mask,
			(pid_t)(req->arg[0] >> 3));
	vds_free(vec);
	return pid < 0 ? -errno : 0;
}

/* serve - handle one request, from the control socket (from_ctl: its
 * first descriptor is the reply channel, kept when the op asks
 * VDS_OP_KEEP) or from a kept channel sock (answered there).  *got (if
 * not NULL) tells whether a message came.
 * Return: false when the control socket is closed. */
static bool serve(int sock, bool from_ctl, char *buf, size_t size,
		  bool *got)
{
	int fds[4], status = 0, out_fd = -1, chan, discard[3] = { -1, -1, -1 };
	const int *in;
	struct vds_req req;
	const void *payload;
	unsigned nfds = 0, nin, op = 0;
	uint32_t id = 0;
	bool keep = false;
	ssize_t n;

	n = vds_proto_recv_flags(sock, buf, size, fds, 4,
				 MSG_CMSG_CLOEXEC | MSG_DONTWAIT, &nfds);
	if (got)
		*got = n != -EAGAIN && n != -EINTR;
	if (from_ctl) {
		if (n < 0)
			return n == -EMSGSIZE || n == -EAGAIN || n == -EINTR;
		if (n == 0)
			return false;
		if (nfds == 0)
			return true; /* nowhere to reply */
		chan = fds[0];
		in = fds + 1;
		nin = nfds - 1;
	} else {
		if (n == -EAGAIN || n == -EINTR)
			return true;
		if (n == 0 || (n < 0 && n != -EMSGSIZE)) {
			chan_del(sock); /* the thread is gone */
			return true;
		}
		chan = sock;
		hot_chan = sock;
		in = fds;
		nin = nfds;
	}
	if (n < 0 || vds_proto_unpack(buf, (size_t)n, &req, &payload) < 0) {
		status = -EBADMSG;
		goto out;
	}
	op = req.op & ~VDS_OP_KEEP;
	if ((req.op & VDS_OP_KEEP) || !from_ctl) {
		/* only what the helper answers itself goes on a kept channel */
		if (!vds_proto_op_cached(op)) {
			status = -EBADMSG;
			goto out;
		}
		keep = from_ctl;
	}
	if (op != VDS_OP_SOCKET)
		go_home();
	switch (op) {
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
			/* sockets may keep the namespace, and so the pair,
			 * alive: cut the peer off the bridge first */
			if (s->bridge >= 0) {
				vds_veth_cut(s->peer);
				vds_bridge_put(s->bridge);
			}
			/* closed after the reply, by the worker if there is one */
			discard[0] = s->link;
			discard[1] = s->ns;
			discard[2] = s->user;
			*s = (struct slot){ .ns = -1, .user = -1, .link = -1,
					    .bridge = -1 };
			nlive--;
		} else {
			status = -EBADF;
		}
		break;
	}
	case VDS_OP_UPLINK:
		out_fd = do_uplink(&req, payload);
		status = out_fd < 0 ? out_fd : 0;
		break;
	case VDS_OP_SOCKET:
		out_fd = do_socket(&req);
		status = out_fd < 0 ? out_fd : 0;
		break;
	case VDS_OP_SPAWN:
		status = do_spawn(&req, payload, chan, in, nin);
		if (status == 0)
			goto close_fds; /* the spawner answers */
		break;
	case VDS_OP_CMD:
		if (req.len == 0 || req.len > VDS_CMD_MAX) {
			status = -EBADMSG;
			break;
		}
		status = do_cmd(&req, payload, chan, in, nin);
		if (status == 0)
			goto close_fds; /* the runner answers */
		break;
	default:
		status = -EOPNOTSUPP;
		break;
	}
out:
	reply(chan, status, id, out_fd);
	if (op == VDS_OP_NEWSTACK && out_fd >= 0 && status == 0 &&
	    out_fd < keep_below) {
		slots[id - 1].link = out_fd; /* see struct slot */
		out_fd = -1;
	}
	for (unsigned k = 0; k < VDS_ARRAY_SIZE(discard); k++)
		vds_nspool_discard(discard[k]);
	if (op == VDS_OP_NEWSTACK)
		vds_nspool_refill();
close_fds:
	if (out_fd >= 0)
		close(out_fd);
	for (unsigned i = 0; i < nin; i++)
		close(in[i]);
	if (from_ctl && !(keep && chan_add(chan) == 0))
		close(chan);
	/* a bridge left empty goes now, the caller already answered (bridges
	 * live in the base namespace: not after SOCKET, which stays out) */
	if (cur_ns < 0)
		vds_bridge_reap();
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

/* watch - add fd to the helper's epoll set.  Return: 0 or -errno. */
static int watch(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(helper_ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* vds_helper_main - the helper process: set up, report, serve until the
 * application ends.  Never returns. */
void vds_helper_main(int ctl, uid_t uid, gid_t gid, pid_t parent)
{
	static char buf[VDS_MSG_MAX + 1];
	struct vds_rep hello = { .status = 0 };
	int64_t busy_until = 0;
	const char *bp;
	struct rlimit rl;
	int pidfd, err;
	bool spin;

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
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			app_nofile = rl; /* commands get it back */
			app_nofile_saved = true;
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		keep_below = rl.rlim_cur / 2 > INT_MAX ? INT_MAX
						       : (int)(rl.rlim_cur / 2);
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
	if (err == 0)
		vds_nspool_start(); /* without a worker if it fails */
	hello.status = err;
	vds_proto_send(ctl, &hello, sizeof(hello), NULL, 0);
	if (err < 0)
		_exit(0);

	helper_ep = epoll_create1(EPOLL_CLOEXEC);
	if (helper_ep < 0 || watch(ctl) < 0 || (pidfd >= 0 && watch(pidfd) < 0))
		_exit(1);
	bp = getenv("VDESTACK_BUSY_POLL");
	spin = !bp || strcmp(bp, "0") != 0;
	for (unsigned round = 0;; round++) {
		struct epoll_event ev[16];
		int timeout = pidfd < 0 ? 500 : -1, n;
		bool quiet;

		if (busy_until && vds_now_us() < busy_until)
			timeout = 0;
		else
			busy_until = 0;
		if (timeout == 0 && hot_chan >= 0 && round % VDS_HOT_EVERY) {
			bool got = false;

			serve(hot_chan, false, buf, sizeof(buf), &got);
			if (got)
				busy_until = vds_now_us() + VDS_HELPER_SPIN_US;
			else
				sched_yield();
			continue;
		}
		quiet = timeout != 0 && vds_nspool_due();
		if (quiet)
			timeout = VDS_NSPOOL_QUIET_MS;
		n = epoll_wait(helper_ep, ev, VDS_ARRAY_SIZE(ev), timeout);
		if (n == 0 && quiet)
			vds_nspool_idle();
		if (n < 0 && errno != EINTR)
			_exit(1);
		if (n > 0 && spin)
			busy_until = vds_now_us() + VDS_HELPER_SPIN_US;
		else if (n == 0 && timeout == 0)
			sched_yield();
		if (pidfd < 0 && getppid() != parent)
			_exit(0); /* the application is gone */
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == pidfd)
				_exit(0); /* the application is gone */
			if (fd == ctl) {
				if (ev[i].events & EPOLLIN) {
					if (!serve(ctl, true, buf, sizeof(buf), NULL))
						_exit(0);
				} else {
					_exit(0); /* hung up */
				}
			} else if (ev[i].events & EPOLLIN) {
				serve(fd, false, buf, sizeof(buf), NULL);
			} else {
				chan_del(fd);
			}
		}
	}
}
