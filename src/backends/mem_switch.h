/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mem_switch.h - the learning switch of a mem:// segment, apart from any
 * namespace or thread so that unit tests can drive it directly. */
#ifndef VDS_MEM_SWITCH_H
#define VDS_MEM_SWITCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"

#define VDS_MEMSW_FDB_SLOTS 4096 /* power of two */
#define VDS_MEMSW_AGE_MS (300 * 1000)
/* A source seen again is written to its entry at most this often (the
 * entry's age is refreshed, its cache line not dirtied per frame). */
#define VDS_MEMSW_REFRESH_MS 1000
/* Frames switched under one lock of the table (the pump's batch). */
#define VDS_MEMSW_BATCH 64

struct vds_memsw_entry {
	uint8_t mac[6];
	bool used;
	struct vds_port *port;
	int64_t seen;     /* ms, vds_now_ms() clock */
};

struct vds_memsw {
	struct vds_port **ports;
	unsigned nports, cap;
	pthread_mutex_t fdb_lock;
	struct vds_memsw_entry *fdb;
	int64_t age_ms;
	size_t hdr_len;   /* bytes before the Ethernet header */
	void (*deliver)(struct vds_port *port, const struct vds_frame *f,
			unsigned n);
};

/* Set up an empty switch (vnet header, vds_port_deliver).
 * Return: 0 or -ENOMEM. */
int vds_memsw_init(struct vds_memsw *sw);
void vds_memsw_fini(struct vds_memsw *sw);
/* Return: 0 or -ENOMEM. */
int vds_memsw_add_port(struct vds_memsw *sw, struct vds_port *port);
/* Remove a port and forget every address learned on it. */
void vds_memsw_del_port(struct vds_memsw *sw, struct vds_port *port);
/* Learn the sources of frames f[0..n) from port from, and pass each on:
 * to the port its destination was learned on, or to all others
 * (broadcast, multicast, unknown destination); a frame for the sender's
 * own side, or shorter than an Ethernet header, goes nowhere.  The table
 * is locked once per VDS_MEMSW_BATCH frames, and each destination port
 * gets the frames for it in one call of deliver, in their order: what
 * every port receives is what it would receive from the frames passed
 * one at a time.
 * Return: the number of deliveries (a frame given to k ports counts k). */
unsigned vds_memsw_forward(struct vds_memsw *sw, struct vds_port *from,
			   const struct vds_frame *f, unsigned n, int64_t now);

#endif /* VDS_MEM_SWITCH_H */
