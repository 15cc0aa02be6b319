/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsops.c - user namespace, network namespaces and taps, inside the helper.
 *
 * Theory of operation: the helper unshares a user namespace and maps the
 * application's user to root in it ("0 uid 1": the only mapping an
 * unprivileged process may write for itself, and the same one when the
 * application is real root), after denying setgroups(2) as the kernel
 * requires for the gid map.  It then unshares a first network namespace,
 * the base, which stays empty and is where the helper returns after each
 * operation.  Every stack is a pair of namespaces more: a user namespace
 * of its own, a child of the helper's, mapped "0 0 1" (root to root),
 * and the network namespace it owns, both made by a short-lived child
 * (make_pair), lo up, and kept alive by one descriptor, the network
 * namespace's (a network namespace holds a reference to the user namespace
 * that owns it; a runner gets that one back with NS_GET_USERNS): one
 * descriptor a stack, so that ten thousand stacks fit in the helper under
 * a limit of 20,000.  The helper, root of
 * the parent user namespace, has every capability over each pair; a
 * command, root of its stack's user namespace only, has none over the
 * other stacks or the base.  The stack's interface is made with a setns()
 * into its network namespace and back: a tap (which belongs to the
 * namespace it is opened in), or, where /dev/net/tun cannot be opened, a
 * veth whose peer sits in the base namespace (veth.c); VDESTACK_LINK can
 * ask for one kind only.  For a backend whose segment may be joined in the
 * kernel, the veth comes first and its peer is a port of the segment's
 * bridge (vds_ns_new_joined, bridge.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsops.h"
#include "base/proto.h"
#include "base/sys.h"
#include "link.h"
#include "veth.h"

/* The loopback interface, in every network namespace. */
#define LOOPBACK_NAME "lo"

/* vds_ns_setup_user - enter a new user namespace with uid/gid as root.
 * Return: 0 or -errno (EPERM/ENOSPC/EINVAL from unshare as the kernel
 * says when unprivileged user namespaces are off). */
int vds_ns_setup_user(uid_t uid, gid_t gid)
{
	int err = vds_sys_unshare(CLONE_NEWUSER);

	return err < 0 ? err : vds_ns_map_root(uid, gid);
}

/* vds_ns_map_root - in a new user namespace: deny setgroups and map root
 * to uid/gid of the parent namespace.  Return: 0 or -errno. */
int vds_ns_map_root(uid_t uid, gid_t gid)
{
	char map[64];
	int err;

	err = vds_sys_write_file("/proc/self/setgroups", "deny");
	if (err < 0 && err != -ENOENT)
		return err;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	err = vds_sys_write_file("/proc/self/gid_map", map);
	if (err < 0)
		return err;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	return vds_sys_write_file("/proc/self/uid_map", map);
}

/* open_tap - create the tap interface ifname in the current namespace;
 * with vnet, frames carry a virtio-net header and the tap may hand over
 * TCP segments up to 64 KiB with the checksum left to do (the reader
 * forwards them whole to another tap, which accepts them as they are).
 * Return: its descriptor (non-blocking, close-on-exec) or -errno:
 * -ENOENT/-EACCES/-EPERM from /dev/net/tun, -EBUSY for a name in use. */
static int open_tap(const char *ifname, bool vnet)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = vds_sys_open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	int err;

	if (fd < 0)
		return fd;
	if (vnet)
		ifr.ifr_flags |= IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	err = vds_sys_ioctl(fd, TUNSETIFF, &ifr);
	/* persistent: closing the descriptor no longer unregisters the
	 * device synchronously (about 20 ms); it goes with its namespace,
	 * in the kernel's own time (tun devices never leave their
	 * namespace, so nothing is left behind on the host) */
	if (err == 0)
		err = vds_sys_ioctl(fd, TUNSETPERSIST, (void *)1UL);
	if (err == 0 && vnet) {
		err = vds_sys_ioctl(fd, TUNSETOFFLOAD,
				    (void *)(unsigned long)(TUN_F_CSUM |
							    TUN_F_TSO4 |
							    TUN_F_TSO6));
	}
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}

/* tun_unavailable - whether a tap failed for want of the tun device
 * (missing, closed to us, or not in this kernel), so that a veth can
 * stand in for it. */
static bool tun_unavailable(int err)
{
	return err == -ENOENT || err == -EACCES || err == -EPERM ||
	       err == -ENODEV || err == -ENXIO;
}

/* How a stack's namespaces are made (make_pair): a child, sharing the
 * caller's memory until it exits (CLONE_VM, with the caller suspended:
 * CLONE_VFORK, as posix_spawn does), unshares a user namespace and a
 * network namespace together, maps root to root, brings lo up and sends
 * the network namespace back as a descriptor.  The helper cannot do it itself: a process
 * that unshares a user namespace stays in it, and could not make the next
 * stack's beside it.  A child of its own keeps each stack's namespaces
 * apart from the others': a command, root in its stack's user namespace,
 * has no capability over another stack's network namespace, nor over the
 * helper's base one. */
#define PAIR_STACK_SIZE (64 << 10)

struct pair_child {
	int sock; /* the child's end: status and descriptors */
};

/* pair_made - what the child sends. */
struct pair_made {
	int32_t status;
};

/* pair_child - the child of make_pair: only system calls through the
 * seam and the protocol's send (no allocation, no lock: it runs in the
 * caller's memory while the caller's other threads go on). */
static int pair_child(void *arg)
{
	const struct pair_child *c = arg;
	struct pair_made m = { 0 };
	int fd = -1;

	m.status = vds_sys_unshare(CLONE_NEWUSER | CLONE_NEWNET);
	if (m.status == 0)
		m.status = vds_ns_map_root(0, 0);
	if (m.status == 0) {
		fd = vds_sys_open("/proc/self/ns/net", O_RDONLY);
		m.status = fd < 0 ? fd : 0;
	}
	if (m.status == 0)
		m.status = vds_link_set(LOOPBACK_NAME, 0, true);
	vds_proto_send(c->sock, &m, sizeof(m), &fd, m.status == 0 ? 1 : 0);
	/* a return, not _exit(): clone's own code then ends the child with
	 * no call to a noreturn function (ASan would take the switch to this
	 * stack for a stack overflow) */
	return 0;
}

/* make_pair - a new stack's namespaces (see pair_child), lo up; the caller
 * stays where it is.  Return: 0 with *ret, or -errno. */
static int make_pair(struct vds_stackns *ret)
{
	static __thread char *stack; /* one per thread, kept */
	struct pair_child c;
	struct pair_made m;
	sigset_t all, old;
	int sv[2], fd = -1, status, err;
	unsigned nfds = 0;
	ssize_t n;
	pid_t pid;

	if (!stack) {
		void *p = mmap(NULL, PAIR_STACK_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (p == MAP_FAILED)
			return -errno;
		stack = p;
	}
	err = vds_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	if (err < 0)
		return err;
	c.sock = sv[1];
	/* the child runs with every signal blocked: no handler of the
	 * caller's may run on its stack, in the caller's memory */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(pair_child, stack + PAIR_STACK_SIZE,
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	err = pid < 0 ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (err == 0) {
		n = vds_proto_recv(sv[0], &m, sizeof(m), &fd, 1, &nfds);
		if (n != (ssize_t)sizeof(m))
			err = n < 0 ? (int)n : -ECHILD; /* it died early */
		else if (m.status < 0)
			err = m.status;
		else if (nfds != 1)
			err = -EBADMSG;
		if (err < 0 && nfds)
			close(fd);
	}
	close(sv[0]);
	if (err < 0)
		return err;
	*ret = (struct vds_stackns){ .net = fd };
	return 0;
}

/* vds_stackns_close - close the descriptor of ns (-1: none). */
void vds_stackns_close(struct vds_stackns *ns)
{
	if (ns->net >= 0)
		close(ns->net);
	*ns = VDS_STACKNS_NONE;
}

/* vds_ns_make - a new stack's namespaces, lo up, kept by descriptor (made
 * ahead of its stack, nspool.c); the caller stays where it is.
 * Return: 0 with *ret, or -errno; nothing stays open on failure. */
int vds_ns_make(struct vds_stackns *ret)
{
	return make_pair(ret);
}

/* make_link - the interface ifname in the current (the stack's)
 * namespace, as flags VDS_NEWSTACK_* allow: a tap first, where allowed
 * (with the noqueue qdisc where the kernel takes it), else (or where
 * /dev/net/tun cannot be opened) a veth (veth.c, which returns in
 * base_ns).  Return: its descriptor or -errno. */
static int make_link(int base_ns, const char *ifname, unsigned flags,
		     unsigned mtu)
{
	int fd = -ENODEV, err;

	if (flags & VDS_NEWSTACK_LINK_TAP) {
		fd = open_tap(ifname, flags & VDS_NEWSTACK_VNET);
		if (fd >= 0 && mtu) {
			err = vds_link_set(ifname, mtu, false);
			if (err < 0) {
				close(fd);
				return err;
			}
		}
		/* noqueue while the tap is down, kept when it comes up: 24 KiB
		 * of pfifo_fast a stack saved (link.c).  Best effort: a
		 * kernel that refuses it leaves the default, and the tap
		 * works the same either way, so no error of it fails the
		 * stack */
		if (fd >= 0)
			(void)vds_link_noqueue(ifname);
	}
	if (fd < 0 && (flags & VDS_NEWSTACK_LINK_VETH) &&
	    (!(flags & VDS_NEWSTACK_LINK_TAP) || tun_unavailable(fd)))
		fd = vds_veth_new(base_ns, ifname, flags, mtu);
	return fd;
}

/* link_in - a setns() into net, the interface (make_link), and back to
 * base_ns; with excl, a name in use there is -EEXIST before anything is
 * made (TUNSETIFF would attach to a tap of that name).
 * Return: the interface's descriptor or -errno. */
static int link_in(int base_ns, int net, const char *ifname, unsigned flags,
		   unsigned mtu, bool excl)
{
	int fd, back;

	fd = vds_sys_setns(net, CLONE_NEWNET);
	if (fd < 0)
		return fd;
	if (excl && vds_sys_ifindex(ifname) > 0)
		fd = -EEXIST;
	else
		fd = make_link(base_ns, ifname, flags, mtu);
	back = vds_sys_setns(base_ns, CLONE_NEWNET);
	if (back < 0 && fd >= 0) {
		close(fd);
		fd = back;
	}
	return fd;
}

/* vds_ns_add_link - see nsops.h.  Return: the descriptor or -errno. */
int vds_ns_add_link(int base_ns, int net, const char *ifname, unsigned flags,
		    unsigned mtu)
{
	return link_in(base_ns, net, ifname, flags, mtu, true);
}

/* vds_ns_new_stack - make the namespaces of a new stack, or take *ns,
 * made ahead by vds_ns_make (VDS_STACKNS_NONE: make them now), and make
 * its interface.  base_ns: the helper's base namespace, where it is on
 * return.  Return: 0 with *ret (and *ret_tap with a tap, else -1) set, or
 * -errno; nothing stays open on failure (*ns included). */
int vds_ns_new_stack(int base_ns, struct vds_stackns *ns, const char *ifname,
		     unsigned flags, unsigned mtu, struct vds_stackns *ret,
		     int *ret_tap)
{
	struct vds_stackns made = *ns;
	int tapfd = -1, err = 0;

	*ns = VDS_STACKNS_NONE;
	if (made.net < 0)
		err = make_pair(&made);
	if (err == 0 && (flags & VDS_NEWSTACK_TAP)) {
		tapfd = link_in(base_ns, made.net, ifname, flags, mtu, false);
		if (tapfd < 0)
			err = tapfd;
	}
	if (err < 0) {
		vds_stackns_close(&made);
		return err;
	}
	*ret = made;
	*ret_tap = tapfd;
	return 0;
}

/* vds_ns_make_spare - as vds_ns_make, with the interface ifname already
 * in the network namespace: a veth whose peer waits, down, in base_ns (the
 * caller's namespace) to join a bridge (vds_veth_spare).  Return: 0 with
 * *ret and *ret_peer (the peer's ifindex), or -errno; nothing stays on
 * failure. */
int vds_ns_make_spare(const char *ifname, struct vds_stackns *ret,
		      unsigned *ret_peer)
{
	struct vds_stackns ns;
	int err;

	err = make_pair(&ns);
	if (err < 0)
		return err;
	err = vds_veth_spare(ns.net, ifname, ret_peer);
	if (err < 0) {
		vds_stackns_close(&ns); /* the pair, if any, goes with it */
		return err;
	}
	*ret = ns;
	return 0;
}

/* vds_ns_new_joined - make the namespaces of a new stack, or take *ns,
 * made ahead (VDS_STACKNS_NONE: make them now; spare: the ifindex of the
 * peer of its interface when it was made by vds_ns_make_spare, else 0),
 * whose interface ifname is a veth with its peer a port of bridge master
 * in base_ns (veth.c), where the helper is on return.
 * Return: 0 with *ret set, or -errno; nothing stays on failure (*ns
 * included). */
int vds_ns_new_joined(int base_ns, struct vds_stackns *ns, unsigned spare,
		      const char *ifname, unsigned master, unsigned mtu,
		      struct vds_stackns *ret, unsigned *ret_peer)
{
	struct vds_stackns made = *ns;
	int err = 0, back;

	*ns = VDS_STACKNS_NONE;
	if (made.net < 0) {
		spare = 0;
		err = make_pair(&made);
	} else if (spare && mtu) {
		err = vds_sys_setns(made.net, CLONE_NEWNET);
		if (err == 0)
			err = vds_link_set(ifname, mtu, false);
		back = vds_sys_setns(base_ns, CLONE_NEWNET);
		if (err == 0 && back < 0)
			err = back;
	}
	if (err == 0 && spare) {
		err = vds_veth_enslave(spare, master);
		*ret_peer = spare;
	} else if (err == 0) {
		err = vds_veth_join(made.net, ifname, master, mtu, ret_peer);
	}
	if (err < 0) {
		vds_stackns_close(&made);
		return err;
	}
	*ret = made;
	return 0;
}
