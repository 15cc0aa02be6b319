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
 * Requests come decoded and checked by proto.c (vds_proto_unpack), whose
 * table of ops also says who answers each: serve() looks the op up there
 * and calls this file's handler for it, one function per op (handlers[]);
 * the helper replies for the ops it answers itself, then does the work
 * the reply need not wait for (after_reply(): a new stack's interface
 * kept, a deleted stack's descriptors handed to the worker, the pool
 * refilled; then empty bridges reaped).
 *
 * vde_stackcmd() must not stall the helper: for each command sequence the
 * helper forks a runner that enters the stack's namespaces, runs the
 * commands one after the other with the caller's standard descriptors,
 * replies and exits.  vde_stackspawn() forks a spawner that does the same
 * for one program, but replies as soon as it runs, with one end of a
 * socketpair the helper made before the fork: the process descriptor.
 * The helper makes it, not the application, so that its peer credentials
 * name the helper (core/helper.c tells a process descriptor from other
 * sockets that way).  The spawner then relays the kill requests that
 * arrive on it, sends the status report when the program ends, and kills
 * the program if the application closes its end first.  Both start their
 * programs with vds_spawn() (base/spawn.c).  Runners, spawners and their
 * programs die with the helper (PR_SET_PDEATHSIG, safe there because the
 * helper is single-threaded).
 */
#include <dirent.h>
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"
#include "base/alloc.h"
#include "base/busypoll.h"
#include "base/clock.h"
#include "base/cmdline.h"
#include "base/internal.h"
#include "base/proto.h"
#include "base/spawn.h"
#include "base/sys.h"
#include "bridge.h"
#include "iflist.h"
#include "link.h"
#include "nsops.h"
#include "nspool.h"
#include "veth.h"

/* After a request the helper polls this long for the next one
 * (VDESTACK_BUSY_POLL=0 turns it off: base/busypoll.c). */
#define VDS_HELPER_SPIN_US 50

/* Without a pidfd of the application (old kernels, valgrind), the helper
 * looks this often whether the application is still its parent. */
#define VDS_HELPER_PARENT_CHECK_MS 500

/* Without a pidfd of its program, a spawner looks this often whether the
 * program has ended. */
#define VDS_SPAWNER_POLL_MS 200

/* The capabilities a command keeps by default: documented in
 * vde_stackcmd(3) (VDESTACK_CMD_CAPS). */
#define CMD_NET_CAPS ((1ULL << CAP_NET_BIND_SERVICE) |                    \
		      (1ULL << CAP_NET_BROADCAST) | (1ULL << CAP_NET_ADMIN) | \
		      (1ULL << CAP_NET_RAW))
#define CMD_ALL_CAPS (~0ULL)

/* ------------------------------------------------------------------ */
/* Helper side                                                         */
/* ------------------------------------------------------------------ */

/* The helper's table of stacks: slot i holds the namespace of id i + 1.
 * One descriptor a stack: its network namespace, which keeps the stack's
 * user namespace alive (a runner gets it with vds_sys_userns_of()).
 * Each interface of a stack (iflist.h) has the helper's copy of its
 * descriptor, kept only while the helper has descriptors to spare
 * (keep_below), else -1: the application's close is then not the last
 * one, whose wait for the kernel the worker takes (DELSTACK also brings
 * the application's copy, so that, kept or not, the worker's
 * close is the last; DELIF does not); and the bridge its veth's peer
 * joined (bridge.c), or -1. */
struct slot {
	int ns;   /* its network namespace; -1 when free */
	struct vds_iflist ifs; /* its interfaces, the first one's first */
};

#define SLOT_FREE ((struct slot){ .ns = -1 })

static struct slot *slots;
static unsigned nslots;
static unsigned nlive; /* slots in use */
static unsigned nlinks; /* interfaces whose copy the helper keeps */
static unsigned first_free; /* no free slot below this one */

/* The descriptors a NEWSTACK refuses to take (EMFILE): what the requests
 * of the stacks already made need for a while (a request's descriptors
 * and reply channel, a new socket, a spawner's pair, a tap and a netlink
 * socket while an interface is made), so that the helper answers EMFILE
 * for the next stack well before any system call of its own would. */
#define FD_RESERVE 16
static unsigned nfd_fixed; /* the helper's own: stdio, control socket,
			    * pidfd, epoll set, base namespace, worker */
static rlim_t nofile_cur = 1024; /* the helper's descriptor limit */
static int base_ns = -1;
static int helper_ctl = -1, app_pidfd = -1, helper_ep = -1;
static struct rlimit app_nofile = { RLIM_INFINITY, RLIM_INFINITY };
static bool app_nofile_saved;
static int cur_ns = -1; /* the stack namespace the helper is in; -1: base */
static int keep_below = 1024; /* interfaces kept only under this number:
			       * half the descriptor limit */

/* Where requests are received: the largest, and one byte more to tell a
 * message that is too long (its handlers' pointers point into it; a
 * runner or spawner reads its copy). */
static char req_buf[VDS_MSG_MAX + 1];

/* The reply channels the helper keeps (the application's threads' cached
 * channels), each watched by helper_ep. */
static int *chans;
static unsigned nchans, chans_size;

/* A request being served. */
struct request {
	struct vds_req req; /* as vds_proto_unpack() checked it */
	int chan;           /* its reply channel */
	const int *in;      /* the descriptors that came with it */
	unsigned nin;
	uint32_t id;        /* the reply's id (NEWSTACK: the new stack) */
	int out_fd;         /* the reply's descriptor, or -1 */
	int discard[3];     /* closed after the reply (DELSTACK) */
};

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
		for (unsigned k = 0; k < slots[i].ifs.n; k++) {
			if (slots[i].ifs.v[k].link >= 0)
				close(slots[i].ifs.v[k].link);
			slots[i].ifs.v[k].link = -1;
		}
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

/* reply - answer a request on its channel, with one descriptor or none
 * (fd < 0). */
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

/* fds_held - the descriptors the helper holds now, besides what requests
 * hold for a while: its own, one per stack, the interfaces it keeps and
 * the threads' channels.  Return: the count. */
static rlim_t fds_held(void)
{
	return (rlim_t)nfd_fixed + nlive + nlinks + nchans;
}

/* slot_free - a free slot, the table grown when it has none (the search
 * starts at first_free: a stack made costs the same with ten thousand
 * alive as with ten).  Return: its index, or -ENOMEM. */
static int slot_free(void)
{
	unsigned i, n;
	struct slot *s;

	for (i = first_free; i < nslots && slots[i].ns >= 0; i++)
		;
	first_free = i;
	if (i < nslots)
		return (int)i;
	n = nslots ? nslots * 2 : 64;
	s = vds_realloc(slots, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (unsigned j = nslots; j < n; j++)
		s[j] = SLOT_FREE;
	slots = s;
	nslots = n;
	return (int)i;
}

/* newstack_joined - a stack namespace whose interface's peer joins the
 * bridge of the request's key (made now when it is the first member).
 * Return: the bridge's handle with *ret_ns, or -errno (-EXFULL for a
 * full bridge). */
static int newstack_joined(const struct vds_req_newstack *q,
			   struct vds_stackns *ret_ns, unsigned *ret_peer)
{
	struct vds_stackns ns;
	unsigned spare;
	int br, err;

	br = vds_bridge_get(q->key);
	if (br < 0)
		return br;
	if (vds_bridge_full(br))
		return -EXFULL;
	spare = 0;
	ns = vds_nspool_take_spare(q->ifname, &spare);
	if (ns.net < 0)
		ns = vds_nspool_take(nlive >= VDS_NSPOOL_WAIT_FROM);
	err = vds_ns_new_joined(base_ns, &ns, spare, q->ifname,
				vds_bridge_ifindex(br), q->mtu, ret_ns,
				ret_peer);
	if (err < 0)
		return err; /* an empty new bridge goes after the reply */
	vds_bridge_hold(br);
	return br;
}

/* do_newstack - NEWSTACK: a stack's namespaces and its interface, joined
 * to its segment's bridge when the request allows it and that works.
 * Return: 0 with r->id and r->out_fd (none when joined), or -errno. */
static int do_newstack(struct request *r)
{
	const struct vds_req_newstack *q = &r->req.newstack;
	struct vds_stackns ns, made;
	int i, err;

	if (fds_held() + FD_RESERVE > nofile_cur)
		return -EMFILE;
	i = slot_free();
	if (i < 0)
		return i;
	err = vds_iflist_reserve(&slots[i].ifs);
	if (err < 0)
		return err;
	if ((q->flags & VDS_NEWSTACK_BRIDGE) &&
	    (q->flags & VDS_NEWSTACK_LINK_VETH)) {
		unsigned peer = 0;
		int br = newstack_joined(q, &ns, &peer);

		if (br >= 0) {
			slots[i].ns = ns.net;
			vds_iflist_add(&slots[i].ifs, q->ifname, br, peer);
			nlive++;
			r->id = (uint32_t)i + 1;
			return 0;
		}
		if (br == -EBADMSG)
			return br;
		/* no bridge here, or a full one: a link of the usual kinds */
	}
	made = vds_nspool_take(nlive >= VDS_NSPOOL_WAIT_FROM);
	err = vds_ns_new_stack(base_ns, &made, q->ifname, q->flags, q->mtu,
			       &ns, &r->out_fd);
	if (err < 0)
		return err;
	slots[i].ns = ns.net;
	if (q->flags & VDS_NEWSTACK_TAP)
		vds_iflist_add(&slots[i].ifs, q->ifname, -1, 0);
	nlive++;
	r->id = (uint32_t)i + 1;
	return 0;
}

/* do_delstack - DELSTACK: the stack's slot freed; its descriptors, and the
 * one that came with the request (the application's copy of its
 * interface), are closed after the reply (after_reply), by the worker if
 * there is one: the last close of a tap or packet socket waits for the
 * kernel, and it is then the worker's.
 * Return: 0, or -EBADF for no such stack. */
static int do_delstack(struct request *r)
{
	struct slot *s = slot_of(r->req.id);

	if (!s)
		return -EBADF;
	for (unsigned k = 0; k < s->ifs.n; k++) {
		struct vds_hif *h = &s->ifs.v[k];

		/* sockets may keep the namespace, and so the pair, alive:
		 * cut the peer off the bridge first */
		if (h->bridge >= 0) {
			vds_veth_cut(h->peer);
			vds_bridge_put(h->bridge);
		}
		if (h->link >= 0)
			nlinks--;
		if (k == 0)
			r->discard[0] = h->link;
		else
			vds_nspool_discard(h->link);
	}
	r->discard[1] = s->ns;
	if (r->nin == 1) { /* the application's copy of its interface */
		r->discard[2] = r->in[0];
		r->nin = 0;
	}
	vds_iflist_free(&s->ifs);
	*s = SLOT_FREE;
	nlive--;
	if (r->req.id - 1 < first_free)
		first_free = r->req.id - 1;
	return 0;
}

/* addif_joined - ADDIF on a kernel-joinable segment: the interface a
 * veth whose peer joins the bridge of the request's key.
 * Return: the bridge's handle with *ret_peer, or -errno (-EXFULL). */
static int addif_joined(const struct slot *s, const struct vds_req_newstack *q,
			unsigned *ret_peer)
{
	int br = vds_bridge_get(q->key), err;

	if (br < 0)
		return br;
	if (vds_bridge_full(br))
		return -EXFULL;
	err = vds_veth_join(s->ns, q->ifname, vds_bridge_ifindex(br), q->mtu,
			    ret_peer);
	if (err < 0)
		return err; /* an empty new bridge goes after the reply */
	vds_bridge_hold(br);
	return br;
}

/* do_addif - ADDIF: one more interface in stack id's namespace, as
 * NEWSTACK makes its first (joined to a bridge, else a tap or a veth).
 * Return: 0 with r->id and r->out_fd (none when joined), or -errno
 * (-EBADF no such stack, -EEXIST name in use). */
static int do_addif(struct request *r)
{
	const struct vds_req_newstack *q = &r->req.addif;
	struct slot *s = slot_of(r->req.id);
	unsigned peer = 0;
	int err, fd;

	if (!s)
		return -EBADF;
	if (fds_held() + FD_RESERVE > nofile_cur)
		return -EMFILE; /* as NEWSTACK: before the helper runs out */
	if (vds_iflist_find(&s->ifs, q->ifname))
		return -EEXIST;
	err = vds_iflist_reserve(&s->ifs);
	if (err < 0)
		return err;
	r->id = r->req.id;
	if ((q->flags & VDS_NEWSTACK_BRIDGE) &&
	    (q->flags & VDS_NEWSTACK_LINK_VETH)) {
		int br = addif_joined(s, q, &peer);

		if (br >= 0) {
			vds_iflist_add(&s->ifs, q->ifname, br, peer);
			return 0;
		}
		if (br == -EBADMSG || br == -EEXIST)
			return br;
	}
	fd = vds_ns_add_link(base_ns, s->ns, q->ifname,
			     q->flags | VDS_NEWSTACK_TAP, q->mtu);
	if (fd < 0)
		return fd;
	vds_iflist_add(&s->ifs, q->ifname, -1, 0);
	r->out_fd = fd;
	return 0;
}

/* do_delif - DELIF: interface ifname of stack id deleted in its
 * namespace (a veth with its peer, which leaves its bridge), and the
 * helper's copy of its descriptor closed.  It leaves the stack's list
 * even when the kernel refused the deletion (the application has let go
 * of it already).  Return: 0 or -errno (-EBADF no such stack, -ENODEV no
 * such interface of the stack's). */
static int do_delif(struct request *r)
{
	struct slot *s = slot_of(r->req.id);
	struct vds_hif *h;
	int err;

	if (!s)
		return -EBADF;
	h = vds_iflist_find(&s->ifs, r->req.delif.ifname);
	if (!h)
		return -ENODEV;
	err = enter_ns(s->ns);
	if (err == 0)
		err = vds_link_del(h->name);
	go_home();
	if (err == -ENODEV)
		err = 0; /* deleted from inside the stack (ip link del) */
	if (h->bridge >= 0)
		vds_bridge_put(h->bridge);
	if (h->link >= 0)
		nlinks--;
	r->discard[0] = h->link;
	vds_iflist_remove(&s->ifs, h);
	return err;
}

/* do_sysctl - SYSCTL: /proc/sys/PATH written with the value, from inside
 * the stack's namespace, whose net/ settings /proc/sys shows the helper
 * there (the helper has every capability over the stack's user
 * namespace, which the application, as nobody, has not).
 * Return: 0 or -errno (-EBADF no such stack; the write's). */
static int do_sysctl(struct request *r)
{
	struct slot *s = slot_of(r->req.id);
	char path[sizeof("/proc/sys/") + VDS_SYSCTL_PATH_MAX];
	int err;

	if (!s)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/sys/%s", r->req.sysctl.path);
	err = enter_ns(s->ns);
	if (err == 0)
		err = vds_sys_write_file(path, r->req.sysctl.value);
	go_home();
	return err;
}

/* do_uplink - UPLINK: the AF_PACKET end of a new uplink to the bridge of
 * the request's key.  Return: 0 with r->out_fd, or -errno (-ENOENT when
 * that segment has no bridge). */
static int do_uplink(struct request *r)
{
	int br = vds_bridge_find(r->req.uplink.key), fd;

	if (br < 0)
		return br;
	fd = vds_veth_uplink(base_ns, vds_bridge_ifindex(br),
			     r->req.uplink.flags & VDS_NEWSTACK_VNET);
	if (fd < 0)
		return fd;
	r->out_fd = fd;
	return 0;
}

/* do_pump - PUMP: a joined interface's peer off its bridge, with a
 * packet socket on it for the application's pump (VDS_PUMP_ON), or back
 * on the bridge.  Return: 0 (with r->out_fd when on), or -errno
 * (-ENODEV: no such interface; -EINVAL: not joined, or already where
 * asked). */
static int do_pump(struct request *r)
{
	struct slot *s = slot_of(r->req.id);
	bool on = r->req.pump.flags & VDS_PUMP_ON;
	struct vds_hif *h;
	unsigned master;
	int fd;

	if (!s)
		return -EBADF;
	h = vds_iflist_find(&s->ifs, r->req.pump.ifname);
	if (!h)
		return -ENODEV;
	if (h->bridge < 0 || h->pumped == on)
		return -EINVAL;
	master = vds_bridge_ifindex(h->bridge);
	if (on) {
		fd = vds_veth_pump(h->peer, master,
				   r->req.pump.flags & VDS_NEWSTACK_VNET);
		if (fd < 0)
			return fd;
		r->out_fd = fd;
	} else {
		fd = vds_veth_unpump(h->peer, master);
		if (fd < 0)
			return fd;
	}
	h->pumped = on;
	return 0;
}

/* do_socket - SOCKET: a socket made inside the stack's namespace; the
 * helper stays there until a request for another namespace.
 * Return: 0 with r->out_fd, or -errno. */
static int do_socket(struct request *r)
{
	const struct vds_req_socket *q = &r->req.socket;
	struct slot *s = slot_of(r->req.id);
	int err, fd;

	if (!s)
		return -EBADF;
	err = enter_ns(s->ns);
	if (err < 0)
		return err;
	fd = vds_sys_socket(q->domain, q->type | SOCK_CLOEXEC, q->protocol);
	if (fd < 0)
		return fd;
	r->out_fd = fd;
	return 0;
}

/* exit_code - vde_stackcmd's value for a wait status: the exit status, or
 * 128 + the signal for a command killed by one.  Return: it. */
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

/* What a runner's or spawner's programs get besides their descriptors. */
struct command {
	pid_t pgid;    /* the caller's process group */
	uint64_t caps; /* the capabilities they keep */
};

/* command_setup - vds_spawn()'s setup of a command (arg: its struct
 * command), in the child about to exec: death with its runner or spawner,
 * the default signal dispositions the helper changed, the caller's
 * process group (so that a Ctrl-C for the application reaches its
 * commands too, ignored when that group is gone), the application's
 * descriptor limit, and only the capabilities in caps.
 * Return: 0 or -errno. */
static int command_setup(void *arg)
{
	const struct command *cmd = arg;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (cmd->pgid > 0)
		setpgid(0, cmd->pgid);
	if (app_nofile_saved)
		setrlimit(RLIMIT_NOFILE, &app_nofile);
	return limit_caps(cmd->caps);
}

/* command_start - start argv (with envp, and stdio as 0/1/2 and nothing
 * else) as cmd says.  Return: as vds_spawn(). */
static pid_t command_start(char *const *argv, char *const *envp,
			   const int stdio[3], struct command *cmd,
			   bool *ret_child)
{
	struct vds_spawn sp = {
		.argv = argv, .envp = envp,
		.stdio = { stdio[0], stdio[1], stdio[2] },
		.setup = command_setup, .arg = cmd,
	};

	return vds_spawn(&sp, ret_child);
}

/* run_one - run one command of a sequence and wait for it.
 * Return: its exit code (127/126 when it cannot be executed), or -errno
 * when no process could be made. */
static int run_one(char **argv, const int stdio[3], struct command *cmd)
{
	bool in_child;
	int status;
	pid_t pid = command_start(argv, vds_spawn_default_env, stdio,
				  cmd, &in_child);

	if (pid < 0 && in_child)
		return pid == -ENOENT || pid == -ENOTDIR ? 127 : 126;
	if (pid < 0)
		return pid;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return exit_code(status);
}

/* enter_stack - in a runner or spawner: tie its life to the helper's,
 * drop the helper's descriptors, enter the stack's namespace and gather
 * the standard descriptors the caller passed (mask: which of 0, 1, 2;
 * /dev/null for the others) into stdio, and into *ret_caps the
 * capabilities its commands keep.  Replies with the error and exits on
 * failure. */
static void enter_stack(int chan, const struct slot *s, const int *stdio_in,
			unsigned mask, int stdio[3], uint64_t *ret_caps)
{
	int null = -1, user = -1, err;
	unsigned k = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	drop_helper_fds();
	signal(SIGCHLD, SIG_DFL);
	err = cmd_caps(ret_caps);
	/* the network namespace first, while the helper's capabilities
	 * hold; then the stack's user namespace, which owns it and nothing
	 * else: its commands are root of their stack only */
	if (err == 0) {
		user = vds_sys_userns_of(s->ns);
		err = user < 0 ? user : 0;
	}
	if (err == 0)
		err = vds_sys_setns(s->ns, CLONE_NEWNET);
	if (err == 0)
		err = vds_sys_setns(user, CLONE_NEWUSER);
	if (user >= 0)
		close(user);
	for (int i = 0; i < 3 && err == 0; i++) {
		if (mask & (1u << i)) {
			stdio[i] = stdio_in[k++];
			continue;
		}
		if (null < 0)
			null = open("/dev/null", O_RDWR | O_CLOEXEC);
		stdio[i] = null;
		if (null < 0)
			err = -EMFILE;
	}
	if (err < 0) {
		reply(chan, err, 0, -1);
		_exit(0);
	}
}

/* runner - the process that runs one command sequence (never returns). */
static void runner(const struct request *r, const struct slot *s)
{
	const struct vds_req_cmd *q = &r->req.cmd;
	struct command cmd = { .pgid = q->pgid };
	char *argv[VDS_CMD_MAXARGS];
	int stdio[3], status = 0, n;
	size_t pos = 0;

	enter_stack(r->chan, s, r->in, q->stdio, stdio, &cmd.caps);
	while ((n = vds_cmdline_next(q->cmds.buf, q->cmds.len, &pos, argv,
				     VDS_ARRAY_SIZE(argv), 0)) > 0) {
		status = run_one(argv, stdio, &cmd);
		if (status != 0)
			break;
	}
	if (n < 0)
		status = n;
	reply(r->chan, status, 0, -1);
	_exit(0);
}

/* do_cmd - CMD: start a runner for the sequence; it replies itself.
 * Return: 0 when the runner took over, or -errno to reply now. */
static int do_cmd(struct request *r)
{
	struct slot *s = slot_of(r->req.id);
	pid_t pid;

	if (!s)
		return -EBADF;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		runner(r, s);
	return 0;
}

/* spawner_watch - a spawner's life once its program runs: relay the kill
 * requests that arrive on pd to it, send the status report when it ends,
 * and kill it if the application closes its end first.  Never returns. */
static void spawner_watch(int pd, pid_t pid)
{
	int pidfd = vds_sys_pidfd_open(pid), status;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = pd, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN }, /* -1: ignored */
		};
		int sig, n;

		if (poll(p, 2, pidfd < 0 ? VDS_SPAWNER_POLL_MS : -1) < 0 &&
		    errno != EINTR)
			break;
		if (p[0].revents) {
			n = vds_proto_kill_recv(pd, &sig);
			if (n > 0)
				kill(pid, sig);
			else if (n == 0)
				break; /* the caller closed: end the program */
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			vds_proto_status_send(pd, status);
			_exit(0);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	_exit(0);
}

/* Where a spawner stages the files it writes for its program: a tmpfs
 * mounted over this directory in the program's mount namespace only,
 * and detached again once its files are bound. */
#define STAGE_DIR "/tmp"
#define STAGE_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define STAGE_MODE 0644

/* stage_text - write text into file i of the staging tmpfs (mounted
 * over STAGE_DIR now, if *staged is not yet set), its path into path.
 * Return: 0 or -errno. */
static int stage_text(const char *text, int i, bool *staged, char *path,
		      size_t size)
{
	size_t len = strlen(text);
	int fd, err = 0;

	if (!*staged) {
		err = vds_sys_mount("tmpfs", STAGE_DIR, "tmpfs", STAGE_FLAGS);
		if (err < 0)
			return err;
		*staged = true;
	}
	snprintf(path, size, "%s/vdestack-%d", STAGE_DIR, i);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, STAGE_MODE);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = -EIO;
	close(fd);
	return err;
}

/* own_files - in a spawner: a mount namespace for its program, a slave
 * of the one it came from (the rest of the file system stays as it is,
 * and follows the host's later mounts), with each source of the packed
 * pairs in binds bound over its target.  Files given by path first; then
 * those given by content, written to a tmpfs staged over STAGE_DIR and
 * detached after (their binds keep them, under a name: a program may
 * mount over them in turn, and nothing of them is left on the host).
 * The spawner is root of the stack's user namespace here, which owns
 * the new mount namespace: the host's mounts stay locked under it.
 * Return: 0 or -errno. */
static int own_files(const struct vds_req_words *binds)
{
	char *w[2 * VDS_SPAWN_MAXBINDS + 1], path[64];
	bool staged = false;
	size_t pos = 0;
	int n, err;

	if (binds->len == 0)
		return 0;
	n = vds_cmdline_words(binds->buf, binds->len, &pos, w,
			      VDS_ARRAY_SIZE(w));
	if (n < 0)
		return -EBADMSG; /* checked by vds_proto_unpack */
	err = vds_sys_unshare(CLONE_NEWNS);
	if (err == 0)
		err = vds_sys_mount(NULL, "/", NULL, MS_REC | MS_SLAVE);
	for (int i = 0; err == 0 && i + 1 < n; i += 2)
		if (w[i][0] != VDS_SPAWN_TEXT)
			err = vds_sys_mount(w[i], w[i + 1], NULL, MS_BIND);
	for (int i = 0; err == 0 && i + 1 < n; i += 2) {
		if (w[i][0] != VDS_SPAWN_TEXT)
			continue;
		err = stage_text(w[i] + 1, i, &staged, path, sizeof(path));
		if (err == 0)
			err = vds_sys_mount(path, w[i + 1], NULL, MS_BIND);
	}
	if (staged && err == 0)
		err = vds_sys_umount2(STAGE_DIR, MNT_DETACH);
	return err;
}

/* spawner - the process that runs the program of a SPAWN request r in
 * stack s: starts it, replies (its pid and pd[0], the application's end
 * of the process descriptor, or the start's error), then watches it on
 * pd[1].  Never returns. */
static void spawner(const struct request *r, const struct slot *s,
		    const int pd[2])
{
	const struct vds_req_spawn *q = &r->req.spawn;
	struct command cmd = { .pgid = q->pgid };
	char *argv[VDS_SPAWN_MAXARGS + 1], *envp[VDS_SPAWN_MAXENV + 1];
	size_t apos = 0, epos = 0;
	int stdio[3];
	pid_t pid;

	enter_stack(r->chan, s, r->in, q->stdio, stdio, &cmd.caps);
	/* checked by vds_proto_unpack: these cannot fail */
	if (vds_cmdline_words(q->argv.buf, q->argv.len, &apos, argv,
			      VDS_ARRAY_SIZE(argv)) < 1 ||
	    vds_cmdline_words(q->envp.buf, q->envp.len, &epos, envp,
			      VDS_ARRAY_SIZE(envp)) < 0) {
		reply(r->chan, -EBADMSG, 0, -1);
		_exit(0);
	}
	pid = own_files(&q->binds);
	if (pid == 0)
		pid = command_start(argv, envp, stdio, &cmd, NULL);
	if (pid < 0) {
		reply(r->chan, pid, 0, -1);
		_exit(0);
	}
	reply(r->chan, 0, (uint32_t)pid, pd[0]);
	close(pd[0]);
	close(r->chan);
	/* the program has its copies: the spawner keeps none of the
	 * caller's descriptors (a pipe on its stdout ends with the program) */
	for (unsigned i = 0; i < r->nin; i++)
		close(r->in[i]);
	for (int i = 0; i < 3; i++) {
		if (!(q->stdio & (1u << i))) {
			close(stdio[i]); /* /dev/null, one for all */
			break;
		}
	}
	spawner_watch(pd[1], pid);
}

/* do_spawn - SPAWN: the process descriptor's socketpair (made here, so
 * that its peer credentials name the helper), and a spawner forked to
 * start the program and reply itself.
 * Return: 0 when the spawner took over, or -errno to reply now. */
static int do_spawn(struct request *r)
{
	struct slot *s = slot_of(r->req.id);
	int pd[2], err;
	pid_t pid;

	if (!s)
		return -EBADF;
	err = vds_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pd);
	if (err < 0)
		return err;
	pid = fork();
	if (pid == 0)
		spawner(r, s, pd);
	err = pid < 0 ? -errno : 0;
	close(pd[0]);
	close(pd[1]);
	return err;
}

/* The handler of each op: 0 (or an id) or -errno to reply; for the ops
 * a runner or spawner answers, 0 means that it took over. */
static int (*const handlers[VDS_OP_COUNT])(struct request *r) = {
	[VDS_OP_NEWSTACK] = do_newstack,
	[VDS_OP_DELSTACK] = do_delstack,
	[VDS_OP_SOCKET] = do_socket,
	[VDS_OP_CMD] = do_cmd,
	[VDS_OP_SPAWN] = do_spawn,
	[VDS_OP_UPLINK] = do_uplink,
	[VDS_OP_ADDIF] = do_addif,
	[VDS_OP_DELIF] = do_delif,
	[VDS_OP_SYSCTL] = do_sysctl,
	[VDS_OP_PUMP] = do_pump,
};

/* request_channel - where a request just received (n: its length or
 * -errno, with nfds descriptors in fds) is answered: from the control
 * socket, on its first descriptor; from a kept channel sock, there.
 * Return: 1 to serve it (r's channel and descriptors set), 0 when there
 * is nothing to serve (nothing came, nowhere to reply, or a kept channel
 * whose thread is gone, dropped now), -1 when the control socket is
 * closed. */
static int request_channel(int sock, bool from_ctl, ssize_t n, int *fds,
			   unsigned nfds, struct request *r)
{
	if (from_ctl) {
		if (n < 0)
			return n == -EMSGSIZE || n == -EAGAIN || n == -EINTR ?
				0 : -1;
		if (n == 0)
			return -1;
		if (nfds == 0)
			return 0; /* nowhere to reply */
		r->chan = fds[0];
		r->in = fds + 1;
		r->nin = nfds - 1;
		return 1;
	}
	if (n == -EAGAIN || n == -EINTR)
		return 0;
	if (n == 0 || (n < 0 && n != -EMSGSIZE)) {
		chan_del(sock); /* the thread is gone */
		return 0;
	}
	r->chan = sock;
	hot_chan = sock;
	r->in = fds;
	r->nin = nfds;
	return 1;
}

/* handle - check and run the request r (n bytes or -errno in req_buf,
 * from_ctl: from the control socket).
 * Return: its status; *ret_keep whether its channel is to be kept. */
static int handle(struct request *r, ssize_t n, bool from_ctl, bool *ret_keep)
{
	const struct vds_op_info *op;
	int err;

	*ret_keep = false;
	if (n < 0)
		return -EBADMSG;
	err = vds_proto_unpack(req_buf, (size_t)n, r->nin, &r->req);
	if (err < 0)
		return err;
	op = vds_proto_op(r->req.op);
	/* only what the helper answers itself goes on a kept channel */
	if ((r->req.keep || !from_ctl) && !op->cached)
		return -EBADMSG;
	*ret_keep = from_ctl && r->req.keep;
	if (r->req.op != VDS_OP_SOCKET)
		go_home();
	return handlers[r->req.op](r);
}

/* after_reply - what a request's reply need not wait for: a new stack's
 * interface kept in its slot (see struct slot), a deleted stack's
 * descriptors closed (by the worker, if there is one), the pool's
 * namespaces ordered again after a NEWSTACK. */
static void after_reply(struct request *r, int status)
{
	if ((r->req.op == VDS_OP_NEWSTACK || r->req.op == VDS_OP_ADDIF) &&
	    status >= 0 && r->out_fd >= 0 && r->out_fd < keep_below) {
		struct slot *s = &slots[r->id - 1];
		struct vds_hif *h = vds_iflist_find(&s->ifs,
						    r->req.newstack.ifname);

		if (h) {
			h->link = r->out_fd;
			r->out_fd = -1;
			nlinks++;
		}
	}
	vds_nspool_discard_n(r->discard, VDS_ARRAY_SIZE(r->discard));
	if (r->req.op == VDS_OP_NEWSTACK)
		vds_nspool_refill();
}

/* request_done - close what a request brought (its descriptors, and its
 * reply channel unless keep and it can be kept), then remove the bridges
 * it left empty, now that the caller has its answer (bridges live in the
 * base namespace: not after SOCKET, which stays out). */
static void request_done(struct request *r, bool from_ctl, bool keep)
{
	if (r->out_fd >= 0)
		close(r->out_fd);
	for (unsigned i = 0; i < r->nin; i++)
		close(r->in[i]);
	if (from_ctl && !(keep && chan_add(r->chan) == 0))
		close(r->chan);
	if (cur_ns < 0)
		vds_bridge_reap();
}

/* serve - handle one request, from the control socket (from_ctl: its
 * first descriptor is the reply channel, kept when the request asks) or
 * from a kept channel sock (answered there).  *got (if not NULL) tells
 * whether a message came.
 * Return: false when the control socket is closed. */
static bool serve(int sock, bool from_ctl, bool *got)
{
	struct request r = { .out_fd = -1, .discard = { -1, -1, -1 } };
	const struct vds_op_info *op;
	unsigned nfds = 0;
	bool keep;
	int fds[4], status, k;
	ssize_t n;

	n = vds_proto_recv_flags(sock, req_buf, sizeof(req_buf), fds, 4,
				 MSG_CMSG_CLOEXEC | MSG_DONTWAIT, &nfds);
	if (got)
		*got = n != -EAGAIN && n != -EINTR;
	k = request_channel(sock, from_ctl, n, fds, nfds, &r);
	if (k <= 0)
		return k == 0;
	status = handle(&r, n, from_ctl, &keep);
	op = status >= 0 ? vds_proto_op(r.req.op) : NULL;
	if (!op || op->by == VDS_BY_HELPER || status < 0) {
		reply(r.chan, status, r.id, r.out_fd);
		after_reply(&r, status);
	} /* else the runner or spawner answers */
	request_done(&r, from_ctl, keep);
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

/* raise_nofile - the helper's descriptor limit up to its hard limit (it
 * holds descriptors for every stack), the application's kept for its
 * commands, and the bound under which interfaces are kept (keep_below). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		app_nofile = rl; /* commands get it back */
		app_nofile_saved = true;
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	nofile_cur = rl.rlim_cur;
	keep_below = rl.rlim_cur / 2 > INT_MAX ? INT_MAX
					       : (int)(rl.rlim_cur / 2);
}

/* helper_detach - the helper's own process: apart from the application
 * (its descriptors, signals, process group), tied to its life (a pidfd
 * of it, in app_pidfd, or else a parent-death signal), with the helper's
 * signal dispositions and descriptor limit.  Exits when the application
 * is gone already.  Return: the control socket's new number. */
static int helper_detach(int ctl, pid_t parent)
{
	int pidfd;

	ctl = detach_from_app(ctl);
	/* out of the application's process group: a Ctrl-C meant for the
	 * application (which it may ignore) must not end the helper */
	setpgid(0, 0);
	pidfd = vds_sys_pidfd_open(parent);
	helper_ctl = ctl;
	app_pidfd = pidfd < 0 ? -1 : pidfd;
	/* without a pidfd (old kernels; valgrind 3.19 does not know
	 * pidfd_open), die with the application by signal: SIGTERM, which
	 * ends the helper as surely as SIGKILL (its handlers are the defaults
	 * and its mask is empty, see detach_from_app) but lets a memory
	 * checker that runs it see its end */
	if (app_pidfd < 0)
		prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* runners are reaped by the kernel */
	raise_nofile();
	return ctl;
}

/* helper_setup - the helper's user namespace (root mapped to the
 * application's uid/gid), its base network namespace, and its worker.
 * Return: 0 or -errno. */
static int helper_setup(uid_t uid, gid_t gid)
{
	int err = vds_ns_setup_user(uid, gid);

	if (err == 0)
		err = vds_sys_unshare(CLONE_NEWNET);
	if (err == 0) {
		base_ns = vds_sys_open("/proc/thread-self/ns/net", O_RDONLY);
		err = base_ns < 0 ? base_ns : 0;
	}
	if (err < 0)
		return err;
	/* veth peers live here: they must not speak IPv6 into stacks */
	vds_sys_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	vds_sys_write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	vds_nspool_start(); /* without a worker if it fails */
	return 0;
}

/* watch - add fd to the helper's epoll set.  Return: 0 or -errno. */
static int watch(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(helper_ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* handle_events - what epoll_wait() returned: a request on the control
 * socket or on a kept channel, a kept channel closed, or the end of the
 * application (the pidfd, the control socket hung up): then exits. */
static void handle_events(const struct epoll_event *ev, int n, int ctl)
{
	for (int i = 0; i < n; i++) {
		int fd = ev[i].data.fd;

		if (fd == app_pidfd)
			_exit(0); /* the application is gone */
		if (fd == ctl) {
			if (!(ev[i].events & EPOLLIN))
				_exit(0); /* hung up */
			if (!serve(ctl, true, NULL))
				_exit(0);
		} else if (ev[i].events & EPOLLIN) {
			serve(fd, false, NULL);
		} else {
			chan_del(fd);
		}
	}
}

/* serve_forever - the helper's loop: requests until the application ends,
 * polling for a while after each (while busy_until, the last request's
 * channel directly, see hot_chan), the pool's orders when idle.  Never
 * returns. */
static void __attribute__((noreturn)) serve_forever(int ctl, pid_t parent)
{
	bool spin = vds_busy_poll();
	int64_t busy_until = 0;

	for (unsigned round = 0;; round++) {
		struct epoll_event ev[16];
		int timeout = app_pidfd < 0 ? VDS_HELPER_PARENT_CHECK_MS : -1, n;
		bool quiet, got = false;

		if (busy_until && vds_now_us() < busy_until)
			timeout = 0;
		else
			busy_until = 0;
		if (timeout == 0 && hot_chan >= 0 && round % VDS_HOT_EVERY) {
			serve(hot_chan, false, &got);
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
		if (app_pidfd < 0 && getppid() != parent)
			_exit(0); /* the application is gone */
		handle_events(ev, n, ctl);
	}
}

/* count_fds - the descriptors open in the helper now (once, at its start:
 * what it holds of its own).  Return: the count, or a generous guess when
 * /proc cannot say. */
static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return FD_RESERVE;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0; /* ".", ".." and the directory's own */
}

/* vds_helper_main - the helper process: set up, report, serve until the
 * application ends.  Never returns. */
void vds_helper_main(int ctl, uid_t uid, gid_t gid, pid_t parent)
{
	struct vds_rep hello = { .status = 0 };

	ctl = helper_detach(ctl, parent);
	hello.status = helper_setup(uid, gid);
	vds_proto_send(ctl, &hello, sizeof(hello), NULL, 0);
	if (hello.status < 0)
		_exit(0);
	helper_ep = epoll_create1(EPOLL_CLOEXEC);
	if (helper_ep < 0 || watch(ctl) < 0 ||
	    (app_pidfd >= 0 && watch(app_pidfd) < 0))
		_exit(1);
	nfd_fixed = count_fds();
	serve_forever(ctl, parent);
}
