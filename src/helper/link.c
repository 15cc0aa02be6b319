/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* link.c - the helper's one way to set an interface's MTU and bring it up
 * (lo, taps, veth ends and peers), by ioctl through the system-call seam,
 * so that the fault tests fail each of its steps; to give a tap the
 * noqueue qdisc; and to delete one. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
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

/* The qdisc that queues nothing: what a veth gets by itself. */
#define NOQUEUE_KIND "noqueue"

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

/* vds_link_noqueue - give interface ifname of the current namespace the
 * noqueue root qdisc (one RTM_NEWQDISC, made or replacing the one there),
 * while it is down: the kernel keeps a root qdisc set by hand when the
 * interface comes up, where it would attach pfifo_fast.  Why: a tap's
 * pfifo_fast holds three rings of tx_queue_len (1000) pointers, 24 KiB
 * of kmalloc-8k a stack (measured, issue 18), for nothing: a tun device
 * never stops its queue (tun_net_xmit drops a frame itself when its own
 * ring is full), so the qdisc never holds a packet and an empty
 * pfifo_fast is bypassed anyway.  A veth has noqueue already
 * (IFF_NO_QUEUE).
 * Return: 0 or -errno (-ENODEV for no such interface; -EINVAL,
 * -EOPNOTSUPP or -ENOENT from a kernel that refuses noqueue as a root
 * qdisc or does not know it: the caller keeps the default then). */
int vds_link_noqueue(const char *ifname)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	int ifindex = vds_sys_ifindex(ifname);

	if (ifindex < 0)
		return ifindex;
	nlh = vds_rtnl_msg(&req, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = (int)ifindex;
	tcm->tcm_handle = 0; /* the kernel picks one */
	tcm->tcm_parent = TC_H_ROOT;
	mnl_attr_put_strz(nlh, TCA_KIND, NOQUEUE_KIND);
	return vds_rtnl_call(nlh);
}
