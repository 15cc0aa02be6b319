/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mem_switch.c - learning, aging and flooding for mem:// segments.
 *
 * The forwarding table is a direct-mapped cache indexed by a hash of the
 * MAC address: learning overwrites the slot, so the table never grows and
 * a lookup is one probe.  An entry older than age_ms, or a slot taken by
 * another address, reads as unknown, and an unknown destination floods:
 * the cost of a collision is bandwidth, never a lost frame.
 *
 * A batch is switched in two passes: under the table's lock each frame
 * learns its source and finds its route, in order (so a frame sees what
 * the earlier ones of the batch taught the table); then, lock released,
 * each port that anything is for gets its frames, floods included, in
 * one delivery, in their order.  A port thus receives what it would from
 * the frames passed one by one, with one lock and one write call per
 * port and batch instead of per frame.
 */
#include <errno.h>
#include <net/ethernet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mem_switch.h"

#define FNV_OFFSET 2166136261u   /* FNV-1a, 32 bits */
#define FNV_PRIME 16777619u
#define ETH_GROUP_BIT 0x01       /* first octet: multicast, broadcast */
#define PORTS_FIRST 8            /* room for ports at first */

/* slot_of - the table slot of a MAC address (FNV-1a, folded).
 * Return: the slot. */
static unsigned slot_of(const uint8_t *mac)
{
	uint32_t h = FNV_OFFSET;

	for (int i = 0; i < ETH_ALEN; i++)
		h = (h ^ mac[i]) * FNV_PRIME;
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
		unsigned cap = sw->cap ? sw->cap * 2 : PORTS_FIRST;
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

/* Where route() sends a frame. */
enum route {
	ROUTE_NOWHERE,
	ROUTE_ONE,      /* to the port its destination was learned on */
	ROUTE_FLOOD,    /* to every port but the sender */
};

/* route - learn the source of frame f from port from, and look up its
 * destination (fdb_lock held).  Return: the route, *ret_to the port for
 * ROUTE_ONE. */
static enum route route(struct vds_memsw *sw, struct vds_port *from,
			const struct vds_frame *f, int64_t now,
			struct vds_port **ret_to)
{
	struct ether_header eth;
	struct vds_memsw_entry *e;

	if (f->len < sw->hdr_len + sizeof(eth))
		return ROUTE_NOWHERE;
	memcpy(&eth, (const uint8_t *)f->data + sw->hdr_len, sizeof(eth));
	if (!(eth.ether_shost[0] & ETH_GROUP_BIT)) {
		e = &sw->fdb[slot_of(eth.ether_shost)];
		if (!e->used || e->port != from ||
		    memcmp(e->mac, eth.ether_shost, ETH_ALEN) ||
		    now - e->seen > VDS_MEMSW_REFRESH_MS) {
			memcpy(e->mac, eth.ether_shost, ETH_ALEN);
			e->port = from;
			e->used = true;
			e->seen = now;
		}
	}
	if (eth.ether_dhost[0] & ETH_GROUP_BIT)
		return ROUTE_FLOOD;
	e = &sw->fdb[slot_of(eth.ether_dhost)];
	if (!e->used || memcmp(e->mac, eth.ether_dhost, ETH_ALEN) ||
	    now - e->seen > sw->age_ms)
		return ROUTE_FLOOD;
	if (e->port == from)
		return ROUTE_NOWHERE; /* it is on the sender's own side */
	*ret_to = e->port;
	return ROUTE_ONE;
}

/* A batch routed: each frame's route and port. */
struct routed {
	const struct vds_frame *f;
	unsigned n;
	enum route r[VDS_MEMSW_BATCH];
	struct vds_port *to[VDS_MEMSW_BATCH];
};

/* deliver_one_port - give port p the frames of rt routed to it, and the
 * floods, in their order.  Return: the number given. */
static unsigned deliver_one_port(struct vds_memsw *sw, const struct routed *rt,
				 struct vds_port *p)
{
	struct vds_frame out[VDS_MEMSW_BATCH];
	unsigned k = 0;

	for (unsigned i = 0; i < rt->n; i++)
		if (rt->r[i] == ROUTE_FLOOD ||
		    (rt->r[i] == ROUTE_ONE && rt->to[i] == p))
			out[k++] = rt->f[i];
	if (k)
		sw->deliver(p, out, k);
	return k;
}

/* forward_batch - route and deliver at most VDS_MEMSW_BATCH frames (see
 * vds_memsw_forward).  Return: the number of deliveries. */
static unsigned forward_batch(struct vds_memsw *sw, struct vds_port *from,
			      const struct vds_frame *f, unsigned n,
			      int64_t now)
{
	struct routed rt = { .f = f, .n = n };
	struct vds_port *dests[VDS_MEMSW_BATCH];
	unsigned ndests = 0, sent = 0;
	bool floods = false;

	pthread_mutex_lock(&sw->fdb_lock);
	for (unsigned i = 0; i < n; i++)
		rt.r[i] = route(sw, from, &f[i], now, &rt.to[i]);
	pthread_mutex_unlock(&sw->fdb_lock);
	for (unsigned i = 0; i < n; i++) {
		unsigned d = 0;

		floods |= rt.r[i] == ROUTE_FLOOD;
		if (rt.r[i] != ROUTE_ONE)
			continue;
		while (d < ndests && dests[d] != rt.to[i])
			d++;
		if (d == ndests)
			dests[ndests++] = rt.to[i];
	}
	/* the ports a frame is for, then the others for the floods */
	for (unsigned d = 0; d < ndests; d++)
		sent += deliver_one_port(sw, &rt, dests[d]);
	for (unsigned i = 0; floods && i < sw->nports; i++) {
		struct vds_port *p = sw->ports[i];
		unsigned d = 0;

		while (d < ndests && dests[d] != p)
			d++;
		if (p != from && d == ndests)
			sent += deliver_one_port(sw, &rt, p);
	}
	return sent;
}

/* vds_memsw_forward - learn and forward a batch of frames (see the
 * header).  Return: the number of deliveries. */
unsigned vds_memsw_forward(struct vds_memsw *sw, struct vds_port *from,
			   const struct vds_frame *f, unsigned n, int64_t now)
{
	unsigned sent = 0;

	for (unsigned i = 0; i < n; i += VDS_MEMSW_BATCH)
		sent += forward_batch(sw, from, f + i,
				      n - i < VDS_MEMSW_BATCH ?
				      n - i : VDS_MEMSW_BATCH, now);
	return sent;
}
