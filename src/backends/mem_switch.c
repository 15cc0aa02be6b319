/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mem_switch.c - learning, aging and flooding for mem:// segments.
 *
 * The forwarding table is a direct-mapped cache indexed by a hash of the
 * MAC address: learning overwrites the slot, so the table never grows and
 * a lookup is one probe.  An entry older than age_ms, or a slot taken by
 * another address, reads as unknown, and an unknown destination floods:
 * the cost of a collision is bandwidth, never a lost frame.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mem_switch.h"

/* slot_of - the table slot of a MAC address. */
static unsigned slot_of(const uint8_t *mac)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return (h ^ (h >> 16)) & (VDS_MEMSW_FDB_SLOTS - 1);
}

/* vds_memsw_init - an empty switch for vnet-header frames.
 * Return: 0 or -ENOMEM. */
int vds_memsw_init(struct vds_memsw *sw)
{
	*sw = (struct vds_memsw){
		.age_ms = VDS_MEMSW_AGE_MS,
		.hdr_len = VDS_VNET_HDR_LEN,
		.deliver = vds_port_deliver,
	};
	sw->fdb = vds_calloc(VDS_MEMSW_FDB_SLOTS, sizeof(*sw->fdb));
	if (!sw->fdb)
		return -ENOMEM;
	pthread_mutex_init(&sw->fdb_lock, NULL);
	return 0;
}

/* vds_memsw_fini - free the switch's memory. */
void vds_memsw_fini(struct vds_memsw *sw)
{
	pthread_mutex_destroy(&sw->fdb_lock);
	vds_free(sw->fdb);
	vds_free(sw->ports);
	*sw = (struct vds_memsw){ 0 };
}

/* vds_memsw_add_port - attach a port.  Return: 0 or -ENOMEM. */
int vds_memsw_add_port(struct vds_memsw *sw, struct vds_port *port)
{
	if (sw->nports == sw->cap) {
		unsigned cap = sw->cap ? sw->cap * 2 : 8;
		struct vds_port **p = vds_realloc(sw->ports, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		sw->ports = p;
		sw->cap = cap;
	}
	sw->ports[sw->nports++] = port;
	return 0;
}

/* vds_memsw_del_port - detach a port and forget what was learned on it. */
void vds_memsw_del_port(struct vds_memsw *sw, struct vds_port *port)
{
	for (unsigned i = 0; i < sw->nports; i++) {
		if (sw->ports[i] == port) {
			sw->ports[i] = sw->ports[--sw->nports];
			break;
		}
	}
	pthread_mutex_lock(&sw->fdb_lock);
	for (unsigned i = 0; i < VDS_MEMSW_FDB_SLOTS; i++)
		if (sw->fdb[i].used && sw->fdb[i].port == port)
			sw->fdb[i].used = false;
	pthread_mutex_unlock(&sw->fdb_lock);
}

/* vds_memsw_forward - learn and forward one frame (see the header).
 * Return: the number of ports the frame was given to. */
unsigned vds_memsw_forward(struct vds_memsw *sw, struct vds_port *from,
			   const struct vds_frame *f, int64_t now)
{
	const uint8_t *dst, *src;
	struct vds_port *to = NULL;
	unsigned sent = 0;

	if (f->len < sw->hdr_len + 14)
		return 0;
	dst = (const uint8_t *)f->data + sw->hdr_len;
	src = dst + 6;
	pthread_mutex_lock(&sw->fdb_lock);
	if (!(src[0] & 1)) {
		struct vds_memsw_entry *e = &sw->fdb[slot_of(src)];

		if (!e->used || e->port != from || memcmp(e->mac, src, 6) ||
		    now - e->seen > 1000) {
			memcpy(e->mac, src, 6);
			e->port = from;
			e->used = true;
			e->seen = now;
		}
	}
	if (!(dst[0] & 1)) {
		struct vds_memsw_entry *e = &sw->fdb[slot_of(dst)];

		if (e->used && !memcmp(e->mac, dst, 6) &&
		    now - e->seen <= sw->age_ms)
			to = e->port;
	}
	pthread_mutex_unlock(&sw->fdb_lock);
	if (to) {
		if (to == from)
			return 0; /* it is on the sender's own side */
		sw->deliver(to, f, 1);
		return 1;
	}
	for (unsigned i = 0; i < sw->nports; i++) {
		if (sw->ports[i] != from) {
			sw->deliver(sw->ports[i], f, 1);
			sent++;
		}
	}
	return sent;
}
