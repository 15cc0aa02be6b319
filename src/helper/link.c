/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* link.c - the helper's one way to set an interface's MTU and bring it up
 * (lo, taps, veth ends and peers), by ioctl through the system-call seam,
 * so that the fault tests fail each of its steps; and to delete one. */
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link.h"
#include "base/rtnl.h"
#include "base/sys.h"

/* vds_link_set - the one way the helper sets an interface of the
 * current namespace: the MTU (mtu 0: left as it is), then, with up, the
 * IFF_UP flag (read, then written back with it), by ioctl on a throwaway
 * socket, all through the system-call seam.
 * Return: 0 or -errno (-ENODEV for no such interface, -EINVAL for an MTU
 * the device refuses). */
int vds_link_set(const char *ifname, unsigned mtu, bool up)
{
	struct ifreq ifr = { .ifr_mtu = (int)mtu };
	int fd = vds_sys_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return fd;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (mtu)
		err = vds_sys_ioctl(fd, SIOCSIFMTU, &ifr);
	if (err == 0 && up)
		err = vds_sys_ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (err == 0 && up) {
		ifr.ifr_flags |= IFF_UP;
		err = vds_sys_ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return err;
}

/* vds_link_del - delete interface ifname of the current namespace (one
 * RTM_DELLINK naming it): a tap goes even though it is persistent, a veth
 * with its peer, a bridge's port with it.
 * Return: 0 or -errno (-ENODEV for no such interface). */
int vds_link_del(const char *ifname)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_DELLINK, 0,
						 AF_UNSPEC, 0, NULL);

	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return vds_rtnl_call(nlh);
}
