/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bridge.c - inside the helper: one Linux bridge per segment whose members
 * may be joined in the kernel.
 *
 * Theory of operation
 *
 * A backend may say that the members of one of its segments may be joined
 * in the kernel (kernel_segment in struct vds_backend_ops; mem:// does, with
 * its segment's name).  Then a stack on the veth link has its peer born as
 * a port of a bridge in the helper's base namespace (veth.c), and frames
 * between two such stacks go from one namespace's stack through two veth
 * pairs and the bridge to the other, never reaching the application: no
 * pump, no loop thread, no copy to user space.
 *
 * This file keeps the table of those bridges, one per key (the backend's
 * scheme and key, as the application sends them), with the number of
 * stacks joined to each.  A bridge is made when the first member comes,
 * with STP off, forward delay 0, learning and ageing (300 s) on, multicast
 * snooping off (so that IPv6 neighbour discovery is flooded like any
 * multicast, as the backend's own switch does) and the link-local group
 * addresses the kernel allows forwarded.  Its MTU follows its ports, all
 * made with the largest veth MTU, so only the stacks' own MTUs limit a
 * frame.  The base namespace has IPv6 off, so neither the bridge nor the
 * peers send anything of their own.
 *
 * A stack's pair goes with its namespace, asynchronously, when the stack
 * is deleted; the bridge goes when its last member goes.  Deleting a
 * netdev is synchronous (tens of milliseconds), so the helper does it only
 * after it has answered the request that left the bridge empty
 * (vds_bridge_reap, called after each reply).
 *
 * A bridge takes at most 1023 ports (numbered 1 to 1023); one is kept for
 * the uplink, the port by which the backend's own switch reaches the
 * bridge when the segment also has members it pumps itself (taps, or
 * stacks beyond the limit).
 *
 * Making and deleting a bridge are rtnetlink requests built here and sent
 * by the engine (rtnl.c, vds_rtnl_call) in the base namespace.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bridge.h"
#include "base/alloc.h"
#include "base/rtnl.h"
#include "base/sys.h"

/* How long a bridge remembers where a MAC address was seen (the
 * kernel counts IFLA_BR_AGEING_TIME in hundredths of a second). */
#define BRIDGE_AGEING_S 300
/* The link-local groups 01:80:c2:00:00:0X the bridge forwards: every one
 * but the three it must keep (0: STP, 1: pause frames, 2: LACP). */
#define BRIDGE_GROUP_FWD_MASK 0xfff8
/* Entries of the first table of bridges; it doubles when full. */
#define BRIDGES_FIRST 8

struct bridge {
	char *key;         /* NULL: a free entry */
	unsigned ifindex;  /* in the base namespace */
	unsigned members;  /* stacks joined */
};

static struct bridge *bridges;
static unsigned nbridges;
static unsigned empty;    /* entries with a key and no member */
static unsigned counter;  /* names the bridges: vdsbr0, vdsbr1... */

/* make_bridge - create and bring up the bridge name in the current
 * namespace.  Return: its ifindex, or -errno. */
static int make_bridge(const char *name)
{
	union vds_rtnl_req req;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_NEWLINK,
						 NLM_F_CREATE | NLM_F_EXCL,
						 AF_UNSPEC, 0, &ifm);
	struct nlattr *linkinfo, *data;
	int err;

	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, 0);
	mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, 0);
	mnl_attr_put_u32(nlh, IFLA_BR_AGEING_TIME, BRIDGE_AGEING_S * 100);
	mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, 0);
	mnl_attr_put_u16(nlh, IFLA_BR_GROUP_FWD_MASK, BRIDGE_GROUP_FWD_MASK);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	err = vds_rtnl_call(nlh);
	if (err < 0)
		return err;
	return vds_sys_ifindex(name);
}

/* delete_link - delete interface ifindex of the current namespace.
 * Return: 0 or -errno. */
static int delete_link(unsigned ifindex)
{
	union vds_rtnl_req req;

	return vds_rtnl_call(vds_rtnl_link_msg(&req, RTM_DELLINK, 0, AF_UNSPEC,
					       ifindex, NULL));
}

/* vds_bridge_find - the bridge of key.
 * Return: its handle (>= 0), or -ENOENT. */
int vds_bridge_find(const char *key)
{
	for (unsigned i = 0; i < nbridges; i++)
		if (bridges[i].key && !strcmp(bridges[i].key, key))
			return (int)i;
	return -ENOENT;
}

/* vds_bridge_get - the bridge of key, made now (with no member) if there
 * is none.  Called in the base namespace.
 * Return: its handle (>= 0), or -errno. */
int vds_bridge_get(const char *key)
{
	char name[IFNAMSIZ];
	unsigned i;
	int ifindex, found = vds_bridge_find(key);

	if (found >= 0)
		return found;
	for (i = 0; i < nbridges && bridges[i].key; i++)
		;
	if (i == nbridges) {
		unsigned n = nbridges ? nbridges * 2 : BRIDGES_FIRST;
		struct bridge *b = vds_realloc(bridges, n * sizeof(*b));

		if (!b)
			return -ENOMEM;
		for (unsigned j = nbridges; j < n; j++)
			b[j] = (struct bridge){ .key = NULL };
		bridges = b;
		nbridges = n;
	}
	bridges[i].key = vds_strdup(key);
	if (!bridges[i].key)
		return -ENOMEM;
	snprintf(name, sizeof(name), "vdsbr%u", counter++);
	ifindex = make_bridge(name);
	if (ifindex < 0) {
		vds_free(bridges[i].key);
		bridges[i].key = NULL;
		return ifindex;
	}
	bridges[i].ifindex = (unsigned)ifindex;
	bridges[i].members = 0;
	empty++;
	return (int)i;
}

/* vds_bridge_ifindex - the interface index of bridge br. */
unsigned vds_bridge_ifindex(int br)
{
	return bridges[br].ifindex;
}

/* vds_bridge_full - whether bridge br takes no more stacks (one port
 * stays free for the uplink). */
bool vds_bridge_full(int br)
{
	return bridges[br].members >= VDS_BRIDGE_MAX_MEMBERS;
}

/* vds_bridge_hold - one more stack joined to bridge br. */
void vds_bridge_hold(int br)
{
	if (bridges[br].members++ == 0)
		empty--;
}

/* vds_bridge_put - one stack fewer on bridge br; the bridge goes at the
 * next vds_bridge_reap when it was the last. */
void vds_bridge_put(int br)
{
	if (--bridges[br].members == 0)
		empty++;
}

/* vds_bridge_reap - delete every bridge with no member left (called by
 * the helper after its reply, since deleting a netdev is synchronous).
 * A failure leaves the device to the base namespace, which goes with the
 * helper. */
void vds_bridge_reap(void)
{
	for (unsigned i = 0; empty && i < nbridges; i++) {
		if (!bridges[i].key || bridges[i].members)
			continue;
		delete_link(bridges[i].ifindex);
		vds_free(bridges[i].key);
		bridges[i].key = NULL;
		empty--;
	}
}
