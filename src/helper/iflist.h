/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iflist.h - the interfaces of one stack as the helper keeps them
 * (iflist.c): each one's name, the helper's copy of its descriptor, and
 * the bridge its veth's peer joined. */
#ifndef VDS_IFLIST_H
#define VDS_IFLIST_H

#include <stdbool.h>

#include "base/proto.h"

struct vds_hif {
	char name[VDS_IFNAME_MAX + 1];
	int link;      /* the helper's copy of its descriptor, or -1 */
	int bridge;    /* the bridge its veth's peer joined, or -1 */
	unsigned peer; /* that peer's ifindex (vds_veth_cut), with bridge */
	bool pumped;   /* ... off the bridge, pumped by the application (PUMP) */
};

/* A stack's interfaces, in the order they were added.  Zeroed: empty. */
struct vds_iflist {
	struct vds_hif *v;
	unsigned n, size;
};

/* Room for one more, so that adding the one being made cannot fail.
 * Return: 0 or -ENOMEM. */
int vds_iflist_reserve(struct vds_iflist *l);
/* Add an interface (after vds_iflist_reserve).  Return: it. */
struct vds_hif *vds_iflist_add(struct vds_iflist *l, const char *name,
			       int bridge, unsigned peer);
/* The interface named name.  Return: it, or NULL. */
struct vds_hif *vds_iflist_find(struct vds_iflist *l, const char *name);
/* Take hif off the list (its descriptors are the caller's). */
void vds_iflist_remove(struct vds_iflist *l, struct vds_hif *hif);
/* Free the list's memory (its descriptors are the caller's); empty. */
void vds_iflist_free(struct vds_iflist *l);

#endif /* VDS_IFLIST_H */
