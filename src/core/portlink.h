/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* portlink.h - a port's link conditions and capture (portlink.c): the
 * slow path of the pump, taken only while a stack has either. */
#ifndef VDS_PORTLINK_H
#define VDS_PORTLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "linkspec.h"
#include "loop.h"

/* Where frames go once through the link: out to the backend (on the
 * port's loop thread), in to the interface (any thread). */
struct vds_portlink_ops {
	void (*send)(void *port, const struct vds_frame *f, unsigned n);
	void (*write)(void *port, const struct vds_frame *f, unsigned n);
};

struct vds_portlink;

/* What the link did, each way. */
struct vds_portlink_counts {
	unsigned long out_drops, in_drops;  /* dropped by the conditions */
	unsigned long out_dups, in_dups;    /* extra copies made */
};

/* A link with no condition and no capture for port, whose frames have
 * hdr_len bytes before their Ethernet header.  Return: 0 or -ENOMEM. */
int vds_portlink_new(const struct vds_portlink_ops *ops, void *port,
		     size_t hdr_len, struct vds_portlink **ret);
/* Free; frames queued are dropped, a capture stopped.  Accepts NULL. */
void vds_portlink_free(struct vds_portlink *pl);
/* In a forked child: close the child's copies of the descriptors and free
 * the memory, taking no lock (another thread may have held one at the
 * fork).  Accepts NULL. */
void vds_portlink_forget(struct vds_portlink *pl);
/* Bind to / unbind from the port's loop (its timers; loop thread).
 * Return: 0 or -errno. */
int vds_portlink_attach(struct vds_portlink *pl, struct vds_loop *loop);
void vds_portlink_detach(struct vds_portlink *pl);
/* Apply what a vde_stacklink() spec says (loop thread, attached).
 * Return: 0 or -ENOMEM (nothing changed). */
int vds_portlink_set(struct vds_portlink *pl, const struct vds_linkspec *ls);
/* Start capturing into fd (owned from now on), or stop (fd < 0).
 * Return: 0, or -errno (starting: the file could not be written;
 * stopping: the first write that failed). */
int vds_portlink_pcap(struct vds_portlink *pl, int fd);
/* Whether the link has anything to do (conditions, a cut or a capture):
 * the port takes the slow path while it has.  Return: true if so. */
bool vds_portlink_busy(struct vds_portlink *pl);
/* Frames from the interface, before out conditions (loop thread). */
void vds_portlink_out(struct vds_portlink *pl, const struct vds_frame *f,
		      unsigned n);
/* Frames from the network, before in conditions (any thread). */
void vds_portlink_in(struct vds_portlink *pl, const struct vds_frame *f,
		     unsigned n);
/* The link's counters (relaxed reads).  Return: nothing. */
void vds_portlink_counts(struct vds_portlink *pl,
			 struct vds_portlink_counts *ret);

#endif /* VDS_PORTLINK_H */
