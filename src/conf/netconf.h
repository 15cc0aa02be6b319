/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netconf.h - links, addresses and routes of a stack over rtnetlink
 * (netconf.c). */
#ifndef VDS_NETCONF_H
#define VDS_NETCONF_H

#include <stdbool.h>

#include "conf_parse.h"
#include "base/rtnl.h"

/* Every call takes nl, a NETLINK_ROUTE socket of the stack adopted into
 * the rtnetlink engine (vds_rtnl_adopt, base/rtnl.h). */

/* A stack's link as the kernel reports it. */
struct vds_link {
	unsigned index;
	unsigned flags;          /* IFF_* */
	unsigned mtu;
	unsigned type;           /* ARPHRD_* */
	unsigned char mac[6];
	char name[16];
};

/* Find the link named name, or, for NULL or "", the first one (lowest
 * index) that is not a loopback.  Return: 0, -ENODEV when there is none,
 * or -errno. */
int vds_nl_link_get(struct vds_rtnl *nl, const char *name,
		    struct vds_link *ret);

/* Set the MAC address (mac may be NULL), the MTU (0: unchanged) and bring
 * the link up, in one request.  Return: 0 or -errno. */
int vds_nl_link_set(struct vds_rtnl *nl, unsigned index,
		    const unsigned char *mac, unsigned mtu);

/* Add an address (IPv6: without duplicate address detection); an address
 * that is there already counts as added.  Return: 0 or -errno. */
int vds_nl_addr_add(struct vds_rtnl *nl, unsigned index,
		    const struct vds_ipaddr *a);

/* Make gw the default route of its family through link index (replacing
 * the previous default).  onlink: gw need not be on a local subnet.
 * Return: 0 or -errno. */
int vds_nl_route_default(struct vds_rtnl *nl, unsigned index,
			 const struct vds_ipaddr *gw, bool onlink);

/* Look for an IPv6 address of link index inside prefix p.
 * Return: 1 found and usable (not tentative), 2 found but tentative,
 * 0 none, or -errno. */
int vds_nl_addr6_in(struct vds_rtnl *nl, unsigned index,
		    const struct vds_ipaddr *p);

#endif /* VDS_NETCONF_H */
