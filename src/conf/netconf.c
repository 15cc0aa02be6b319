/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netconf.c - a stack's links, addresses and routes over rtnetlink, with
 * libmnl.
 *
 * Theory of operation: the netlink socket comes from vde_msocket(), so it
 * lives in the stack's network namespace and carries the credentials of
 * its opener, the helper, which is root in the user namespace that owns
 * the stack: the kernel allows every change there, and the application
 * configures the stack in-process, without running ip(8).  conf.c adopts
 * that socket into the rtnetlink engine (rtnl.c, vds_rtnl_adopt), and
 * this file only builds messages and reads what a dump hands it: each
 * change is one request acknowledged before the next one is sent
 * (vds_rtnl_request), each lookup a dump read through a callback to its
 * end (vds_rtnl_dump); the engine checks sequence numbers and bounds
 * every wait (-ETIMEDOUT on a broken socket rather than a hang).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "netconf.h"
#include "base/rtnl.h"

/* Address lengths of the two families, as the kernel's attributes carry
 * them. */
#define ADDR4_LEN 4
#define ADDR6_LEN 16
/* From this IPv4 prefix length on, a subnet has no broadcast address
 * (RFC 3021's /31 and a host's /32). */
#define NO_BROADCAST_FROM 31

/* addr_len - the length of an address of family (AF_INET or AF_INET6).
 * Return: it. */
static size_t addr_len(int family)
{
	return family == AF_INET ? ADDR4_LEN : ADDR6_LEN;
}

/* Search state of vds_nl_link_get. */
struct link_search {
	const char *name;      /* NULL: first non-loopback */
	struct vds_link *ret;
	bool found;
};

/* link_attr - store the attributes of one link we care about.
 * Return: MNL_CB_OK. */
static int link_attr(const struct nlattr *attr, void *data)
{
	struct vds_link *l = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(l->name, sizeof(l->name), "%s",
				 mnl_attr_get_str(attr));
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(attr) == ETH_ALEN)
			memcpy(l->mac, mnl_attr_get_payload(attr), ETH_ALEN);
		break;
	}
	return MNL_CB_OK;
}

/* link_cb - one link of the dump: keep it if it is the one searched.
 * Return: MNL_CB_OK. */
static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_search *s = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct vds_link l = {
		.index = (unsigned)ifi->ifi_index,
		.flags = ifi->ifi_flags,
		.type = ifi->ifi_type,
	};

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, &l);
	if (s->name) {
		if (strcmp(l.name, s->name) != 0)
			return MNL_CB_OK;
	} else if ((l.flags & IFF_LOOPBACK) ||
		   (s->found && s->ret->index < l.index)) {
		return MNL_CB_OK;
	}
	*s->ret = l;
	s->found = true;
	return MNL_CB_OK;
}

/* vds_nl_link_get - find a link by name, or the first non-loopback one.
 * Return: 0, -ENODEV, or -errno. */
int vds_nl_link_get(struct vds_rtnl *nl, const char *name,
		    struct vds_link *ret)
{
	struct link_search s = { .name = name && name[0] ? name : NULL,
				 .ret = ret };
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_GETLINK, 0,
						 AF_UNSPEC, 0, NULL);
	int err;

	err = vds_rtnl_dump(nl, nlh, link_cb, &s);
	if (err < 0)
		return err;
	return s.found ? 0 : -ENODEV;
}

/* vds_nl_link_set - MAC, MTU and up, in one RTM_NEWLINK.
 * Return: 0 or -errno. */
int vds_nl_link_set(struct vds_rtnl *nl, unsigned index,
		    const unsigned char *mac, unsigned mtu)
{
	union vds_rtnl_req req;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_NEWLINK, 0,
						 AF_UNSPEC, index, &ifi);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, mac);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return vds_rtnl_request(nl, nlh);
}

/* vds_nl_addr_add - add an address; EEXIST is success.
 * Return: 0 or -errno. */
int vds_nl_addr_add(struct vds_rtnl *nl, unsigned index,
		    const struct vds_ipaddr *a)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_msg(&req, RTM_NEWADDR,
					    NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t alen = addr_len(a->family);
	int err;

	ifa->ifa_family = (unsigned char)a->family;
	ifa->ifa_prefixlen = (unsigned char)a->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = index;
	mnl_attr_put(nlh, IFA_LOCAL, alen, a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->addr);
	if (a->family == AF_INET && a->prefix < NO_BROADCAST_FROM) {
		uint32_t host = a->prefix ? 0xffffffffu >> a->prefix
					  : 0xffffffffu;
		uint32_t bcast;

		memcpy(&bcast, a->addr, ADDR4_LEN);
		bcast |= htonl(host);
		mnl_attr_put(nlh, IFA_BROADCAST, ADDR4_LEN, &bcast);
	}
	if (a->family == AF_INET6) {
		/* usable at once: a stack's segment is private */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	err = vds_rtnl_request(nl, nlh);
	return err == -EEXIST ? 0 : err;
}

/* vds_nl_route_default - replace the default route of gw's family.
 * Return: 0 or -errno. */
int vds_nl_route_default(struct vds_rtnl *nl, unsigned index,
			 const struct vds_ipaddr *gw, bool onlink)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_msg(&req, RTM_NEWROUTE,
					    NLM_F_CREATE | NLM_F_REPLACE);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (unsigned char)gw->family;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	if (onlink)
		rtm->rtm_flags = RTNH_F_ONLINK;
	mnl_attr_put(nlh, RTA_GATEWAY, addr_len(gw->family), gw->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, index);
	return vds_rtnl_request(nl, nlh);
}

/* Search state of vds_nl_addr6_in. */
struct addr_search {
	unsigned index;
	const struct vds_ipaddr *prefix;
	int result;             /* as vds_nl_addr6_in returns */
};

/* in_prefix - whether addr (16 bytes) is inside prefix p.
 * Return: true if so. */
static bool in_prefix(const unsigned char *addr, const struct vds_ipaddr *p)
{
	unsigned full = p->prefix / 8, rest = p->prefix % 8;

	if (memcmp(addr, p->addr, full) != 0)
		return false;
	if (rest) {
		unsigned char m = (unsigned char)(0xff << (8 - rest));

		return (addr[full] & m) == (p->addr[full] & m);
	}
	return true;
}

/* addr_cb - one IPv6 address of the dump: is it in the prefix?
 * Return: MNL_CB_OK. */
static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_search *s = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	uint32_t flags;
	const unsigned char *addr = NULL;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != s->index ||
	    ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	flags = ifa->ifa_flags;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) == IFA_ADDRESS &&
		    mnl_attr_get_payload_len(attr) == ADDR6_LEN)
			addr = mnl_attr_get_payload(attr);
		else if (mnl_attr_get_type(attr) == IFA_FLAGS &&
			 mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			flags = mnl_attr_get_u32(attr);
	}
	if (!addr || !in_prefix(addr, s->prefix))
		return MNL_CB_OK;
	if (!(flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
		s->result = 1;
	else if (s->result == 0)
		s->result = 2;
	return MNL_CB_OK;
}

/* vds_nl_addr6_in - look for an IPv6 address of link index in a prefix.
 * Return: 1 usable, 2 tentative, 0 none, or -errno. */
int vds_nl_addr6_in(struct vds_rtnl *nl, unsigned index,
		    const struct vds_ipaddr *p)
{
	struct addr_search s = { .index = index, .prefix = p };
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_msg(&req, RTM_GETADDR, 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	int err;

	ifa->ifa_family = AF_INET6;
	ifa->ifa_index = index;
	err = vds_rtnl_dump(nl, nlh, addr_cb, &s);
	return err < 0 ? err : s.result;
}
