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
 * operation.  Every stack is one more network namespace: unshare, open it
 * from /proc/thread-self/ns/net to keep it alive by descriptor, bring lo
 * up, make the interface, and setns() back to the base.  The interface is
 * a tap (which belongs to the namespace it is opened in), or, where
 * /dev/net/tun cannot be opened, a veth whose peer sits in the base
 * namespace (veth.c); VDESTACK_LINK can ask for one kind only.  For a
 * backend whose segment may be joined in the kernel, the veth comes first
 * and its peer is a port of the segment's bridge (vds_ns_new_joined,
 * bridge.c).  All of these moves are allowed because the helper is root
 * in the user namespace that owns all of these namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* vds_ifname_check - validate an interface name as the kernel would.
 * Return: 0, or -EINVAL for an empty, too long (over 15 bytes, never
 * truncated), "." or ".." name, or one with '/', ':' or blanks. */
int vds_ifname_check(const char *name)
{
	size_t len = strnlen(name, VDS_IFNAME_MAX + 1);

	if (len == 0 || len > VDS_IFNAME_MAX)
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c == '/' || *c == ':' || *c <= ' ' || *c == 0x7f)
			return -EINVAL;
	return 0;
}

/* vds_ns_setup_user - enter a new user namespace with uid/gid as root.
 * Return: 0 or -errno (EPERM/ENOSPC/EINVAL from unshare as the kernel
 * says when unprivileged user namespaces are off). */
int vds_ns_setup_user(uid_t uid, gid_t gid)
{
	char map[64];
	int err;

	err = vds_sys_unshare(CLONE_NEWUSER);
	if (err < 0)
		return err;
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

/* lo_up - bring the loopback interface of the current namespace up.
 * Return: 0 or -errno. */
static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = vds_sys_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return fd;
	err = vds_sys_ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (err == 0) {
		ifr.ifr_flags |= IFF_UP;
		err = vds_sys_ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return err;
}

/* set_mtu - set the MTU of interface ifname in the current namespace.
 * Return: 0 or -errno (-EINVAL for a value the device refuses). */
static int set_mtu(const char *ifname, unsigned mtu)
{
	struct ifreq ifr = { .ifr_mtu = (int)mtu };
	int fd = vds_sys_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return fd;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	err = vds_sys_ioctl(fd, SIOCSIFMTU, &ifr);
	close(fd);
	return err;
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

/* vds_link_choice - the link kinds VDESTACK_LINK allows.
 * Return: VDS_NEWSTACK_LINK_* flags, or -EINVAL for another value. */
int vds_link_choice(const char *env)
{
	if (!env || !*env || !strcmp(env, "auto"))
		return VDS_NEWSTACK_LINK_TAP | VDS_NEWSTACK_LINK_VETH;
	if (!strcmp(env, "tap"))
		return VDS_NEWSTACK_LINK_TAP;
	if (!strcmp(env, "veth"))
		return VDS_NEWSTACK_LINK_VETH;
	return -EINVAL;
}

/* make_here - unshare a new network namespace, keep it by descriptor and
 * bring its lo up; the caller stays inside.  Return: 0 with *ret_ns, or
 * -errno (the caller may be in the new namespace or not). */
static int make_here(int *ret_ns)
{
	int ns, err;

	err = vds_sys_unshare(CLONE_NEWNET);
	if (err < 0)
		return err;
	ns = vds_sys_open("/proc/thread-self/ns/net", O_RDONLY);
	if (ns < 0)
		return ns;
	err = lo_up();
	if (err < 0) {
		close(ns);
		return err;
	}
	*ret_ns = ns;
	return 0;
}

/* vds_ns_make - a new network namespace with lo up, kept by descriptor
 * (a namespace made ahead of its stack, nspool.c); base_ns: where the
 * caller is on return.  Return: 0 with *ret_ns, or -errno; nothing stays
 * open on failure. */
int vds_ns_make(int base_ns, int *ret_ns)
{
	int ns = -1, err, back;

	err = make_here(&ns);
	back = vds_sys_setns(base_ns, CLONE_NEWNET);
	if (err == 0 && back < 0) {
		close(ns);
		err = back;
	}
	if (err < 0)
		return err;
	*ret_ns = ns;
	return 0;
}

/* vds_ns_new_stack - make the network namespace of a new stack, or take
 * ns, one made ahead by vds_ns_make (-1: make it now), and make its
 * interface.  base_ns: the helper's base namespace, where it is on
 * return.  Return: 0 with *ret_ns (and *ret_tap with a tap, else -1)
 * set, or -errno; nothing stays open on failure (ns included). */
int vds_ns_new_stack(int base_ns, int ns, const char *ifname, unsigned flags,
		     unsigned mtu, int *ret_ns, int *ret_tap)
{
	int tapfd = -1, err = 0, back = 0;
	bool inside = true; /* maybe away from base_ns */

	if (ns < 0)
		err = make_here(&ns);
	else if (flags & VDS_NEWSTACK_TAP)
		err = vds_sys_setns(ns, CLONE_NEWNET);
	else
		inside = false; /* a namespace made ahead, nothing to add */
	if (err < 0)
		goto out;
	if (flags & VDS_NEWSTACK_TAP) {
		tapfd = -ENODEV;
		if (flags & VDS_NEWSTACK_LINK_TAP) {
			tapfd = open_tap(ifname, flags & VDS_NEWSTACK_VNET);
			if (tapfd >= 0 && mtu) {
				err = set_mtu(ifname, mtu);
				if (err < 0)
					goto out;
			}
		}
		if (tapfd < 0 && (flags & VDS_NEWSTACK_LINK_VETH) &&
		    (!(flags & VDS_NEWSTACK_LINK_TAP) || tun_unavailable(tapfd)))
			tapfd = vds_veth_new(base_ns, ifname, flags, mtu);
		if (tapfd < 0) {
			err = tapfd;
			goto out;
		}
	}
out:
	if (inside)
		back = vds_sys_setns(base_ns, CLONE_NEWNET);
	if (err == 0 && back < 0)
		err = back;
	if (err < 0) {
		if (ns >= 0)
			close(ns);
		if (tapfd >= 0)
			close(tapfd);
		return err;
	}
	*ret_ns = ns;
	*ret_tap = tapfd;
	return 0;
}

/* vds_ns_make_spare - as vds_ns_make, with the interface ifname already
 * in the namespace: a veth whose peer waits, down, in base_ns to join a
 * bridge (vds_veth_spare).  Return: 0 with *ret_ns and *ret_peer (the
 * peer's ifindex), or -errno; nothing stays on failure. */
int vds_ns_make_spare(int base_ns, const char *ifname, int *ret_ns,
		      unsigned *ret_peer)
{
	int ns, err;

	err = vds_ns_make(base_ns, &ns);
	if (err < 0)
		return err;
	err = vds_veth_spare(ns, ifname, ret_peer);
	if (err < 0) {
		close(ns); /* the pair, if any, goes with it */
		return err;
	}
	*ret_ns = ns;
	return 0;
}

/* vds_ns_new_joined - make the network namespace of a new stack, or take
 * ns, one made ahead (-1: make it now; spare: the ifindex of the peer of
 * its interface when it was made by vds_ns_make_spare, else 0), whose
 * interface ifname is a veth with its peer a port of bridge master in
 * base_ns (veth.c), where the helper is on return.
 * Return: 0 with *ret_ns set, or -errno; nothing stays on failure (ns
 * included). */
int vds_ns_new_joined(int base_ns, int ns, unsigned spare, const char *ifname,
		      unsigned master, unsigned mtu, int *ret_ns,
		      unsigned *ret_peer)
{
	int err = 0, back;

	if (ns < 0) {
		spare = 0;
		err = make_here(&ns);
		back = vds_sys_setns(base_ns, CLONE_NEWNET);
		if (err == 0 && back < 0)
			err = back;
	} else if (spare && mtu) {
		err = vds_sys_setns(ns, CLONE_NEWNET);
		if (err == 0)
			err = set_mtu(ifname, mtu);
		back = vds_sys_setns(base_ns, CLONE_NEWNET);
		if (err == 0 && back < 0)
			err = back;
	}
	if (err == 0 && spare) {
		err = vds_veth_enslave(spare, master);
		*ret_peer = spare;
	} else if (err == 0) {
		err = vds_veth_join(ns, ifname, master, mtu, ret_peer);
	}
	if (err < 0) {
		if (ns >= 0)
			close(ns);
		return err;
	}
	*ret_ns = ns;
	return 0;
}
