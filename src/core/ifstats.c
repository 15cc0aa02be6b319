/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ifstats.c - an interface's counters as its kernel keeps them: what
 * vde_stackstats() reports for a stack joined to its segment's bridge,
 * whose frames never reach the application (kseg.c).  One RTM_GETLINK
 * dump on a socket of the stack (there are a few links at most), read by
 * the rtnetlink engine (base/rtnl.c), IFLA_STATS64 of the link named.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "ifstats.h"
#include "base/rtnl.h"

/* What the dump looks for, and what it found. */
struct search {
	const char *name;
	bool found;
	struct rtnl_link_stats64 *ret;
};

/* One link's attributes as they come. */
struct attrs {
	const char *name;
	const struct nlattr *stats;
};

/* link_attr - keep the name and the counters of a link.
 * Return: MNL_CB_OK. */
static int link_attr(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		a->name = mnl_attr_get_str(attr);
	else if (mnl_attr_get_type(attr) == IFLA_STATS64 &&
		 mnl_attr_get_payload_len(attr) >=
		 sizeof(struct rtnl_link_stats64))
		a->stats = attr;
	return MNL_CB_OK;
}

/* link_cb - one link of the dump: its counters if it is the one
 * searched.  Return: MNL_CB_OK. */
static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct search *s = data;
	struct attrs a = { NULL, NULL };

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr, &a);
	if (!a.name || !a.stats || strcmp(a.name, s->name))
		return MNL_CB_OK;
	memcpy(s->ret, mnl_attr_get_payload(a.stats), sizeof(*s->ret));
	s->found = true;
	return MNL_CB_OK;
}

/* vds_ifstats_get - see ifstats.h.  Return: 0, -ENODEV or -errno. */
int vds_ifstats_get(int fd, const char *ifname,
		    struct rtnl_link_stats64 *ret)
{
	struct search s = { .name = ifname, .ret = ret };
	struct vds_rtnl nl;
	union vds_rtnl_req req;
	struct nlmsghdr *nlh;
	int err = vds_rtnl_adopt(fd, &nl);

	if (err < 0)
		return err;
	nlh = vds_rtnl_link_msg(&req, RTM_GETLINK, 0, AF_UNSPEC, 0, NULL);
	err = vds_rtnl_dump(&nl, nlh, link_cb, &s);
	vds_rtnl_close(&nl);
	if (err < 0)
		return err;
	return s.found ? 0 : -ENODEV;
}
