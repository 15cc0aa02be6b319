/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* link.h - an interface's MTU and up flag, set in the helper, a tap's
 * noqueue qdisc, and an interface's deletion (link.c). */
#ifndef VDS_LINK_H
#define VDS_LINK_H

#include <stdbool.h>

/* Interface ifname of the current namespace: its MTU set (0: left as it
 * is), then, with up, brought up.  Return: 0 or -errno. */
int vds_link_set(const char *ifname, unsigned mtu, bool up);
/* Give interface ifname of the current namespace the noqueue root qdisc
 * (a tap's pfifo_fast costs 24 KiB and never holds a packet).
 * Return: 0 or -errno (-ENODEV: no such interface; -EINVAL, -EOPNOTSUPP,
 * -ENOENT: the kernel refuses it). */
int vds_link_noqueue(const char *ifname);
/* Delete interface ifname of the current namespace.  Return: 0/-errno. */
int vds_link_del(const char *ifname);

#endif /* VDS_LINK_H */
