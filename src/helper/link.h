/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* link.h - an interface's MTU and up flag, set in the helper, and its
 * deletion (link.c). */
#ifndef VDS_LINK_H
#define VDS_LINK_H

#include <stdbool.h>

/* Interface ifname of the current namespace: its MTU set (0: left as it
 * is), then, with up, brought up.  Return: 0 or -errno. */
int vds_link_set(const char *ifname, unsigned mtu, bool up);
/* Delete interface ifname of the current namespace.  Return: 0/-errno. */
int vds_link_del(const char *ifname);

#endif /* VDS_LINK_H */
