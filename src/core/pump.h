/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pump.h - a port (pump.c): one stack's interface descriptor and its
 * backend, as the core sees them. */
#ifndef VDS_PUMP_H
#define VDS_PUMP_H

#include <stdbool.h>

#include "backend.h"

struct vds_linkspec;

/* Open the backend of url (before any namespace exists, so that a bad URL
 * costs nothing).  Return: 0 or -errno. */
int vds_port_open(const char *url, struct vds_port **ret);
/* Start pumping between the interface fd (non-blocking; owned by the port
 * from now on, also on failure) and the backend, on a loop of the pool.
 * Return: 0 or -errno. */
int vds_port_start(struct vds_port *port, int ifd);
/* What a port counted since it opened. */
struct vds_port_counts {
	unsigned long rx_frames;    /* from the interface, given to send() */
	unsigned long rx_oversize;  /* from the interface, over max_frame */
	unsigned long tx_frames;    /* delivered, written to the interface */
	unsigned long tx_drops;     /* delivered, refused by the interface */
	unsigned long rx_bytes;     /* of rx_frames and rx_oversize (no
				     * virtio-net header) */
	unsigned long tx_bytes;     /* of tx_frames (no virtio-net header) */
	unsigned long rx_dropped;   /* given to send(), which could not */
	unsigned long reconnects;   /* the backend's (vds_port_reconnected) */
	unsigned long link_out_drops, link_in_drops; /* by link conditions */
	unsigned long link_out_dups, link_in_dups;   /* copies they made */
};
/* The port's counters (relaxed reads).  Return: nothing. */
void vds_port_counts(const struct vds_port *port, struct vds_port_counts *ret);
/* VDS_BACKEND_* flags of the port's backend. */
unsigned vds_port_flags(const struct vds_port *port);
/* The backend's kernel_segment key (see struct vds_backend_ops), or NULL. */
const char *vds_port_kernel_segment(const struct vds_port *port);
/* The forwards the port's backend asks for (struct vds_backend's fwds),
 * *ret_n of them.  Return: the array (NULL when none). */
const struct vds_fwdspec *vds_port_forwards(const struct vds_port *port,
					    unsigned *ret_n);
/* The MTU the port's backend asks for (0: kernel default). */
unsigned vds_port_mtu(const struct vds_port *port);
/* Stop pumping (the interface descriptor is closed; the backend stays
 * open, and vds_port_start may start the port again on another one).
 * Accepts a port not started. */
void vds_port_stop(struct vds_port *port);
/* The link conditions of a vde_stacklink() spec, or a capture into fd
 * (owned by the port from now on; -1: stop and flush), on a running
 * port.  Return: 0 or -errno (-ENOTCONN: not running; the capture's
 * write error when stopping). */
int vds_port_link(struct vds_port *port, const struct vds_linkspec *spec);
int vds_port_pcap(struct vds_port *port, int fd);
/* Whether the port has conditions, a cut or a capture (it takes the
 * slow path).  Return: true if so. */
bool vds_port_link_busy(const struct vds_port *port);
/* In a forked child: release the child's copies only (the parent still
 * runs the pump and owns the backend).  Accepts NULL. */
void vds_port_forget(struct vds_port *port);
/* Stop, close the backend and the fd, free.  Accepts NULL. */
void vds_port_close(struct vds_port *port);
/* As vds_port_close, but the interface's descriptor is returned, not
 * closed (-1: none). */
int vds_port_close_but_fd(struct vds_port *port);

#endif /* VDS_PUMP_H */
