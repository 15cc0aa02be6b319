/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * backend.h - what a backend author needs, and all a file of src/backends/
 * includes besides system headers and its own: frames, the table of
 * operations, delivery to the stack's interface (the port), the loop's
 * watches, timers and sources, the clock, the allocator.
 */
#ifndef VDS_BACKEND_H
#define VDS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/cmdline.h"
#include "base/fwdspec.h"
#include "base/inet.h"
#include "base/internal.h"
#include "base/spawn.h"
#include "base/sys.h"
#include "loop.h"

/* One Ethernet frame (no FCS).  Buffers belong to the caller and are
 * valid only during the call that passes them. */
struct vds_frame {
	void *data;
	size_t len;
};

struct vds_port;
struct vds_backend;

/* A URL as the registry split it (vds_registry_lookup), once, for the
 * backend's open(): a backend uses these parts and parses no scheme
 * itself.  The scheme is libvdeplug's: whatever comes before the first
 * "://".  The strings are the application's and valid during open()
 * only: a backend that needs them later copies them. */
struct vds_url {
	const char *full;      /* the whole URL, as given */
	const char *scheme;    /* scheme_len bytes, not NUL-ended; NULL for a
				* URL without one (a path, "=command") */
	size_t scheme_len;
	const char *rest;      /* after "://"; after the '=' of "=command";
				* else the whole URL */
};

/* vds_url_scheme_is - whether url's scheme is scheme (compared as
 * libvdeplug does, case and all).  Return: true if so. */
static inline bool vds_url_scheme_is(const struct vds_url *url,
				     const char *scheme)
{
	return url->scheme && strlen(scheme) == url->scheme_len &&
	       !memcmp(url->scheme, scheme, url->scheme_len);
}

/*
 * struct vds_backend_ops - the frame transport behind a stack's interface.
 *
 * A backend's state struct starts with a struct vds_backend header.  The
 * core calls open and close from the application's thread, and start,
 * send and stop on the loop thread that pumps the stack.
 */
struct vds_backend_ops {
	/* URL scheme ("mem" for mem://NAME); NULL for the fallback entry. */
	const char *scheme;

	/* Open from the URL, as the registry split it (the scheme is this
	 * backend's).  port is the core's handle for this stack, to pass
	 * to vds_port_deliver.  Return: 0 or -errno (-EINVAL for a
	 * malformed URL). */
	int (*open)(const struct vds_url *url, struct vds_port *port,
		    struct vds_backend **ret);

	/* Register fds, timers and sources on the loop.  Return: 0/-errno. */
	int (*start)(struct vds_backend *be, struct vds_loop *loop);

	/* Frames read from the interface, to send out.  Must not block:
	 * drop what cannot be sent now.  Return: frames consumed. */
	unsigned (*send)(struct vds_backend *be, const struct vds_frame *f,
			 unsigned n);

	/* Undo start (on the loop thread). */
	void (*stop)(struct vds_backend *be);

	/* Release everything; accepts a backend that was never started. */
	void (*close)(struct vds_backend *be);

	/* Largest frame the backend carries, as send() gets it (Ethernet
	 * header included, and the virtio-net header of a
	 * VDS_BACKEND_VNET_HDR backend); the pump drops longer frames
	 * from the interface and counts them.  0 = no limit. */
	size_t max_frame;

	/* VDS_BACKEND_* */
	unsigned flags;

	/* Optional (NULL: never).  After open(): the key of the segment
	 * this backend's stack is on, when the members of that segment may
	 * be joined in the kernel instead of through send() and
	 * vds_port_deliver(): every stack of the process whose backend
	 * returns the same key is on one Ethernet segment.  The key is
	 * whole and unique among backends: the backend's scheme, a colon,
	 * then what names the segment (mem://NAME gives "mem:NAME"); the
	 * core uses it as it is.
	 * The core then links such stacks with veth pairs to one bridge in
	 * the helper (bridge.c) and never starts their ports; a member it
	 * cannot join there (a tap, a full bridge) is pumped as usual, and
	 * the core adds one more port of the backend (opened on the same URL)
	 * as the uplink between the two.  The string lives as long as the
	 * backend.  Return: the key, or NULL for a stack that must not be
	 * joined in the kernel. */
	const char *(*kernel_segment)(struct vds_backend *be);
};

/* The backend takes and gives frames that start with a struct
 * virtio_net_hdr (10 bytes: checksum and segmentation offload data, see
 * <linux/virtio_net.h>), so the interface is made with IFF_VNET_HDR and
 * TSO/checksum offloads: a 64 KiB TCP segment crosses as one frame. */
#define VDS_BACKEND_VNET_HDR 0x1u
#define VDS_VNET_HDR_LEN 10
/* The network has a DHCPv4 server (libslirp's): vde_stackconf's "auto"
 * then means "eth,dhcp" rather than "eth". */
#define VDS_BACKEND_DHCP 0x2u

/* Common header of every backend's state. */
struct vds_backend {
	const struct vds_backend_ops *ops;
	struct vds_port *port;
	/* MTU for the stack's interface, set by open(); 0 = the kernel's
	 * default (1500). */
	unsigned mtu;
	/* set by open() when the backend starts programs from its loop
	 * thread (libslirp's cmdfwd=): its loop gets no seccomp filter */
	bool execs;
	/* Host -> stack forwards the URL asks for (slirp's tcpfwd= and
	 * udpfwd=), set by open(), as data: the forward module (src/fwd)
	 * binds them before the stack's namespace exists and serves them
	 * from when the stack is ready.  They live as long as the backend. */
	const struct vds_fwdspec *fwds;
	unsigned nfwds;
};

/* Frames arriving from the network, to write to the stack's interface.
 * Safe from any thread (an in-memory segment delivers from the sender's
 * loop thread).  Never blocks; drops on congestion. */
void vds_port_deliver(struct vds_port *port, const struct vds_frame *f,
		      unsigned n);

/* What a backend tells the core for vde_stackstats(3): it connected
 * again after losing its network (vdeplug's reconnection), or it could
 * not send n frames it was given (dropped).  Any thread. */
void vds_port_reconnected(struct vds_port *port);
void vds_port_dropped(struct vds_port *port, unsigned n);

#endif /* VDS_BACKEND_H */
