/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ifstats.h - the kernel's counters of an interface (ifstats.c), read
 * over a netlink socket of its namespace. */
#ifndef VDS_IFSTATS_H
#define VDS_IFSTATS_H

#include <linux/if_link.h>

/* The counters of interface ifname, over fd, a NETLINK_ROUTE socket of
 * its namespace (taken over: closed before returning).
 * Return: 0 with *ret, -ENODEV when no interface has that name, or
 * -errno. */
int vds_ifstats_get(int fd, const char *ifname,
		    struct rtnl_link_stats64 *ret);

#endif /* VDS_IFSTATS_H */
