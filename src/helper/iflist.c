/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iflist.c - the interfaces of one stack in the helper: a small array in
 * the order they were added (a stack has a handful; lookups by name). */
#include <errno.h>
#include <string.h>

#include "iflist.h"
#include "base/alloc.h"

/* The first allocation: most stacks have one interface, a router two. */
#define IFLIST_FIRST 2

/* vds_iflist_reserve - see iflist.h.  Return: 0 or -ENOMEM. */
int vds_iflist_reserve(struct vds_iflist *l)
{
	unsigned size;
	struct vds_hif *v;

	if (l->n < l->size)
		return 0;
	size = l->size ? l->size * 2 : IFLIST_FIRST;
	v = vds_realloc(l->v, size * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->size = size;
	return 0;
}

/* vds_iflist_add - see iflist.h; the name is checked already (it fits).
 * Return: the new entry. */
struct vds_hif *vds_iflist_add(struct vds_iflist *l, const char *name,
			       int bridge, unsigned peer)
{
	struct vds_hif *h = &l->v[l->n++];

	*h = (struct vds_hif){ .link = -1, .bridge = bridge, .peer = peer };
	strncpy(h->name, name, sizeof(h->name) - 1);
	return h;
}

/* vds_iflist_find - see iflist.h.  Return: the entry or NULL. */
struct vds_hif *vds_iflist_find(struct vds_iflist *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* vds_iflist_remove - see iflist.h: the order of the others is kept. */
void vds_iflist_remove(struct vds_iflist *l, struct vds_hif *hif)
{
	unsigned i = (unsigned)(hif - l->v);

	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*hif));
	l->n--;
}

/* vds_iflist_free - see iflist.h. */
void vds_iflist_free(struct vds_iflist *l)
{
	vds_free(l->v);
	*l = (struct vds_iflist){ .v = NULL };
}
