/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pump.c - the frame pump: moves frames between a stack's interface and its
 * backend.
 *
 * Theory of operation: a port owns the interface descriptor (a tap,
 * non-blocking) and the backend.  When the interface is readable, the pump
 * reads frames until EAGAIN or until its batch is full, packing them into
 * one buffer of the loop (no allocation per frame), and hands the whole
 * batch to the backend's send().  A frame longer than the backend's
 * max_frame is dropped there and counted (rx_oversize): a backend that
 * cannot carry it would cut it, or fail, further on (a vde_switch reads
 * VDE_ETHBUFSIZE bytes at most; the stream encoding cannot say more than
 * 65535), and a frame cut short is worse than one lost.  Frames from the
 * backend come back through vds_port_deliver(), which writes them to the
 * interface and drops what the interface cannot take now, as a wire
 * would: a tap takes one write(2) per frame; a socket (the veth link's
 * AF_PACKET socket, the unit tests' socketpair) takes the whole batch in
 * one sendmmsg(2).  There is no poll per frame: the loop wakes once per
 * burst.
 *
 * Link conditions and captures (vde_stacklink, vde_stackpcap) live in a
 * struct vds_portlink (portlink.c), made at the first such call and kept
 * until the port closes, so that a thread delivering into the port never
 * finds it freed.  The pump turns to it only while the port's slow flag
 * is set (conditions, a cut or a capture): a port without them costs one
 * test of that flag per batch, each way.  The counters of vde_stackstats
 * are the port's: frames and bytes each way (bytes of the Ethernet
 * frames, without a virtio-net header), drops, reconnections.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pump.h"
#include "base/alloc.h"
#include "backend.h"
#include "linkspec.h"
#include "loop.h"
#include "portlink.h"
#include "registry.h"
#include "stack.h"

/* Frames read per wake-up at most, and the room for them.  The buffer is
 * per port thread (thread-local), so a thousand idle stacks cost nothing. */
#define PUMP_BATCH 64
#define PUMP_FRAME_MAX (65536 + 64)
#define PUMP_BUF (16 * 1024 + PUMP_FRAME_MAX)
#define PUMP_ALIGN 16     /* each frame of the buffer starts aligned */
/* The largest MTU a backend may ask for: a frame within 65535 bytes. */
#define PUMP_MTU_MAX (65535 - 14)

struct vds_port {
	int fd;
	bool is_socket;   /* fd takes sendmmsg(2) (set by start) */
	struct vds_backend *be;
	struct vds_loop *loop;
	struct vds_watch *watch;
	bool started;
	size_t hdr_len;   /* bytes before the Ethernet header (vnet) */
	atomic_ulong rx_frames, rx_oversize, tx_frames, tx_drops;
	atomic_ulong rx_bytes, tx_bytes, rx_dropped, reconnects;
	/* conditions and capture: made at the first call, kept until the
	 * port closes; used while slow is set */
	struct vds_portlink *_Atomic link; /* read by vds_port_counts too */
	atomic_bool slow;
};

/* The batch buffer of each loop thread (PUMP_BUF bytes), freed when the
 * thread ends: a thousand idle stacks cost nothing. */
static struct vds_thread_buf batch_buf = VDS_THREAD_BUF(PUMP_BUF);

/* thread_buf - this loop thread's batch buffer, made at first use.
 * Return: the buffer, or NULL when out of memory. */
static unsigned char *thread_buf(void)
{
	return vds_thread_buf(&batch_buf);
}

/* port_send - a batch from the interface to the backend, through the
 * link's conditions while it has any, and counted. */
static void port_send(struct vds_port *port, struct vds_frame *f,
		      unsigned n, size_t bytes)
{
	atomic_fetch_add_explicit(&port->rx_frames, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&port->rx_bytes, bytes - n * port->hdr_len,
				  memory_order_relaxed);
	if (atomic_load_explicit(&port->slow, memory_order_relaxed))
		vds_portlink_out(port->link, f, n);
	else
		port->be->ops->send(port->be, f, n);
}

/* port_readable - drain the interface into the backend; frames longer
 * than the backend's max_frame are dropped and counted. */
static void port_readable(void *arg, uint32_t events)
{
	struct vds_port *port = arg;
	size_t max = port->be->ops->max_frame, used = 0, bytes = 0;
	struct vds_frame f[PUMP_BATCH];
	unsigned n = 0;
	bool more = true;
	unsigned char *pump_buf = thread_buf();

	if (!pump_buf)
		return; /* level-triggered: tried again at the next wake */
	while (more) {
		ssize_t len = read(port->fd, pump_buf + used, PUMP_BUF - used);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			more = false; /* EAGAIN, or an error: wait for the next wake */
		} else if (len == 0) {
			more = false;
		} else if (max && (size_t)len > max) {
			atomic_fetch_add_explicit(&port->rx_oversize, 1,
						  memory_order_relaxed);
			atomic_fetch_add_explicit(&port->rx_bytes,
						  (size_t)len - port->hdr_len,
						  memory_order_relaxed);
		} else {
			f[n].data = pump_buf + used;
			f[n].len = (size_t)len;
			bytes += (size_t)len;
			n++;
			used += ((size_t)len + PUMP_ALIGN - 1) &
				~(size_t)(PUMP_ALIGN - 1);
		}
		if (n == PUMP_BATCH || PUMP_BUF - used < PUMP_FRAME_MAX ||
		    (!more && n)) {
			port_send(port, f, n, bytes);
			n = 0;
			used = 0;
			bytes = 0;
		}
	}
}

/* deliver_writes - one write(2) per frame (a tap); *bytes: the lengths
 * of those written.  Return: the number of frames dropped. */
static unsigned deliver_writes(int fd, const struct vds_frame *f, unsigned n,
			       size_t *bytes)
{
	unsigned drops = 0;

	for (unsigned i = 0; i < n; i++) {
		ssize_t len;

		do
			len = write(fd, f[i].data, f[i].len);
		while (len < 0 && errno == EINTR);
		if (len < 0)
			drops++;
		else
			*bytes += f[i].len;
	}
	return drops;
}

/* deliver_socket - the frames in sendmmsg(2) calls of PUMP_BATCH (a
 * socket).  A frame the socket refuses is dropped; once it is full
 * (EAGAIN, ENOBUFS) the rest of the batch is too; *bytes: the lengths of
 * those sent.  Return: the number of frames dropped. */
static unsigned deliver_socket(int fd, const struct vds_frame *f, unsigned n,
			       size_t *bytes)
{
	struct mmsghdr m[PUMP_BATCH];
	struct iovec iov[PUMP_BATCH];
	unsigned i = 0, drops = 0;

	while (i < n) {
		unsigned k = n - i < PUMP_BATCH ? n - i : PUMP_BATCH;
		int sent;

		for (unsigned j = 0; j < k; j++) {
			iov[j] = (struct iovec){ .iov_base = f[i + j].data,
						 .iov_len = f[i + j].len };
			m[j] = (struct mmsghdr){
				.msg_hdr = { .msg_iov = &iov[j], .msg_iovlen = 1 },
			};
		}
		sent = sendmmsg(fd, m, k, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent > 0) {
			for (int j = 0; j < sent; j++)
				*bytes += f[i + (unsigned)j].len;
			i += (unsigned)sent;
		} else if (sent < 0 && errno == EINTR) {
			continue;
		} else if (sent < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			drops += n - i;
			break;
		} else {
			drops++; /* this one refused (EMSGSIZE...): the next */
			i++;
		}
	}
	return drops;
}

/* port_write - write frames to the interface, counted; frames the
 * interface cannot take now are dropped and counted.  They are counted
 * as written before the write, and those refused taken back after: the
 * write may wake a reader of the frame (on another CPU) before it
 * returns, and that reader must find the frame counted already. */
static void port_write(struct vds_port *port, const struct vds_frame *f,
		       unsigned n)
{
	size_t total = 0, bytes = 0;
	unsigned drops;

	for (unsigned i = 0; i < n; i++)
		total += f[i].len;
	atomic_fetch_add_explicit(&port->tx_frames, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&port->tx_bytes, total - n * port->hdr_len,
				  memory_order_relaxed);
	drops = port->is_socket ? deliver_socket(port->fd, f, n, &bytes) :
				  deliver_writes(port->fd, f, n, &bytes);
	if (!drops)
		return;
	atomic_fetch_sub_explicit(&port->tx_frames, drops,
				  memory_order_relaxed);
	atomic_fetch_sub_explicit(&port->tx_bytes,
				  total - bytes - drops * port->hdr_len,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&port->tx_drops, drops,
				  memory_order_relaxed);
}

/* vds_port_deliver - frames from the backend to the interface, through
 * the link's conditions while it has any. */
void vds_port_deliver(struct vds_port *port, const struct vds_frame *f,
		      unsigned n)
{
	if (atomic_load_explicit(&port->slow, memory_order_acquire))
		vds_portlink_in(port->link, f, n);
	else
		port_write(port, f, n);
}

/* vds_port_reconnected - see backend.h. */
void vds_port_reconnected(struct vds_port *port)
{
	atomic_fetch_add_explicit(&port->reconnects, 1, memory_order_relaxed);
}

/* vds_port_dropped - see backend.h. */
void vds_port_dropped(struct vds_port *port, unsigned n)
{
	atomic_fetch_add_explicit(&port->rx_dropped, n, memory_order_relaxed);
}

/* vds_port_counts - the port's frame counters.  Return: nothing. */
void vds_port_counts(const struct vds_port *port, struct vds_port_counts *ret)
{
	struct vds_portlink *pl;

	*ret = (struct vds_port_counts){
		.rx_frames = atomic_load_explicit(&port->rx_frames,
						  memory_order_relaxed),
		.rx_oversize = atomic_load_explicit(&port->rx_oversize,
						    memory_order_relaxed),
		.tx_frames = atomic_load_explicit(&port->tx_frames,
						  memory_order_relaxed),
		.tx_drops = atomic_load_explicit(&port->tx_drops,
						 memory_order_relaxed),
		.rx_bytes = atomic_load_explicit(&port->rx_bytes,
						 memory_order_relaxed),
		.tx_bytes = atomic_load_explicit(&port->tx_bytes,
						 memory_order_relaxed),
		.rx_dropped = atomic_load_explicit(&port->rx_dropped,
						   memory_order_relaxed),
		.reconnects = atomic_load_explicit(&port->reconnects,
						   memory_order_relaxed),
	};
	pl = atomic_load(&port->link);
	if (pl) {
		struct vds_portlink_counts lc;

		vds_portlink_counts(pl, &lc);
		ret->link_out_drops = lc.out_drops;
		ret->link_in_drops = lc.in_drops;
		ret->link_out_dups = lc.out_dups;
		ret->link_in_dups = lc.in_dups;
	}
}

/* vds_port_open - a port with the backend of url, not yet pumping.
 * Return: 0 or -errno (the registry's or the backend's). */
int vds_port_open(const char *url, struct vds_port **ret)
{
	const struct vds_backend_ops *ops;
	struct vds_port *port;
	struct vds_url parts;
	int err;

	err = vds_registry_lookup(url, &parts, &ops);
	if (err < 0)
		return err;
	port = vds_calloc(1, sizeof(*port));
	if (!port)
		return -ENOMEM;
	port->fd = -1;
	vds_bypass_default++;
	err = ops->open(&parts, port, &port->be);
	vds_bypass_default--;
	if (err < 0) {
		port->be = NULL;
		vds_port_close(port);
		return err;
	}
	port->be->ops = ops;
	port->be->port = port;
	port->hdr_len = ops->flags & VDS_BACKEND_VNET_HDR ? VDS_VNET_HDR_LEN : 0;
	if (port->be->mtu > PUMP_MTU_MAX) {
		vds_port_close(port);
		return -EINVAL;
	}
	*ret = port;
	return 0;
}

/* start_on_loop - register the port and its backend (loop thread). */
static int start_on_loop(void *arg)
{
	struct vds_port *port = arg;
	int err;

	err = vds_loop_watch_add(port->loop, port->fd, EPOLLIN,
				 port_readable, port, &port->watch);
	if (err < 0)
		return err;
	if (port->link)
		err = vds_portlink_attach(port->link, port->loop);
	if (err == 0)
		err = port->be->ops->start(port->be, port->loop);
	if (err < 0) {
		if (port->link)
			vds_portlink_detach(port->link);
		vds_loop_watch_del(port->watch);
		port->watch = NULL;
	}
	return err;
}

/* attach_on_loop - bind the port's new link to its loop (loop thread).
 * Return: 0 or -errno. */
static int attach_on_loop(void *arg)
{
	struct vds_port *port = arg;

	return vds_portlink_attach(port->link, port->loop);
}

/* stop_on_loop - unregister the port and its backend (loop thread). */
static int stop_on_loop(void *arg)
{
	struct vds_port *port = arg;

	port->be->ops->stop(port->be);
	if (port->link)
		vds_portlink_detach(port->link);
	vds_loop_watch_del(port->watch);
	port->watch = NULL;
	return 0;
}

/* vds_port_start - start pumping between ifd and the backend on a loop
 * of the pool; the port owns ifd from now on.  Return: 0 or -errno. */
int vds_port_start(struct vds_port *port, int ifd)
{
	struct stat st;
	int err;

	port->fd = ifd;
	port->is_socket = fstat(ifd, &st) == 0 && S_ISSOCK(st.st_mode);
	err = port->be && port->be->execs ? vds_loop_acquire_exec(&port->loop) :
				vds_loop_acquire(&port->loop);

	if (err < 0)
		return err;
	err = vds_loop_call(port->loop, start_on_loop, port);
	if (err < 0) {
		vds_loop_release(port->loop);
		port->loop = NULL;
		return err;
	}
	port->started = true;
	return 0;
}

/* vds_port_close_but_fd - stop the pump, close the backend, free the
 * port.  Accepts NULL and a port that never started.  Return: the
 * interface's descriptor, now the caller's, or -1. */
int vds_port_close_but_fd(struct vds_port *port)
{
	int fd;

	if (!port)
		return -1;
	if (port->started)
		vds_loop_call(port->loop, stop_on_loop, port);
	if (port->loop)
		vds_loop_release(port->loop);
	if (port->be)
		port->be->ops->close(port->be);
	fd = port->fd;
	vds_portlink_free(port->link);
	vds_free(port);
	return fd;
}

/* vds_port_close - vds_port_close_but_fd, and the interface closed. */
void vds_port_close(struct vds_port *port)
{
	int fd = vds_port_close_but_fd(port);

	if (fd >= 0)
		close(fd);
}

/* vds_port_flags - the VDS_BACKEND_* flags of the port's backend. */
unsigned vds_port_flags(const struct vds_port *port)
{
	return port->be->ops->flags;
}

/* vds_port_kernel_segment - the key under which the port's stack may be
 * joined in the kernel.  Return: it, or NULL when the backend has none. */
const char *vds_port_kernel_segment(const struct vds_port *port)
{
	const struct vds_backend_ops *ops = port->be->ops;

	return ops->kernel_segment ? ops->kernel_segment(port->be) : NULL;
}

/* vds_port_mtu - the interface MTU the port's backend asks for. */
unsigned vds_port_mtu(const struct vds_port *port)
{
	return port->be->mtu;
}

/* vds_port_forwards - the host -> stack forwards of the port's backend.
 * Return: the array, *ret_n entries (NULL and 0 when none). */
const struct vds_fwdspec *vds_port_forwards(const struct vds_port *port,
					    unsigned *ret_n)
{
	*ret_n = port->be->nfwds;
	return port->be->nfwds ? port->be->fwds : NULL;
}

/* vds_port_forget - in a forked child, free the child's copy of a port
 * without touching the pump or the backend, which are the parent's. */
void vds_port_forget(struct vds_port *port)
{
	if (!port)
		return;
	if (port->fd >= 0)
		close(port->fd);
	vds_portlink_forget(port->link);
	vds_free(port);
}

/* vds_port_stop - see pump.h.  Accepts a port not started. */
void vds_port_stop(struct vds_port *port)
{
	if (!port->started)
		return;
	vds_loop_call(port->loop, stop_on_loop, port);
	vds_loop_release(port->loop);
	port->loop = NULL;
	port->started = false;
	close(port->fd);
	port->fd = -1;
}

/* The ports' link operations: a link's frames go on as the pump's own. */
static void link_send(void *arg, const struct vds_frame *f, unsigned n)
{
	struct vds_port *port = arg;

	port->be->ops->send(port->be, f, n);
}

/* link_write - in frames through the link, to the interface. */
static void link_write(void *arg, const struct vds_frame *f, unsigned n)
{
	port_write(arg, f, n);
}

static const struct vds_portlink_ops link_ops = {
	.send = link_send,
	.write = link_write,
};

/* A change of a port's link, carried to its loop thread. */
struct link_call {
	struct vds_port *port;
	const struct vds_linkspec *spec; /* or: */
	int pcap_fd;                     /* a capture's file, -1: stop */
};

/* link_on_loop - apply a link call, then take the slow path exactly
 * while the link has anything to do (loop thread).
 * Return: 0 or -errno. */
static int link_on_loop(void *arg)
{
	struct link_call *c = arg;
	struct vds_portlink *pl = c->port->link;
	int err;

	if (c->spec)
		err = vds_portlink_set(pl, c->spec);
	else
		err = vds_portlink_pcap(pl, c->pcap_fd);
	atomic_store_explicit(&c->port->slow, vds_portlink_busy(pl),
			      memory_order_release);
	return err;
}

/* link_call - c on the port's loop, its link made (and attached) first.
 * Return: 0 or -errno (-ENOTCONN: the port does not run). */
static int link_call(struct link_call *c)
{
	struct vds_port *port = c->port;
	int err;

	if (!port->started)
		return -ENOTCONN;
	if (!port->link) {
		struct vds_portlink *pl;

		err = vds_portlink_new(&link_ops, port, port->hdr_len, &pl);
		if (err < 0)
			return err;
		port->link = pl;
		err = vds_loop_call(port->loop, attach_on_loop, port);
		if (err < 0) {
			port->link = NULL;
			vds_portlink_free(pl);
			return err;
		}
	}
	return vds_loop_call(port->loop, link_on_loop, c);
}

/* vds_port_link - see pump.h.  Return: 0 or -errno. */
int vds_port_link(struct vds_port *port, const struct vds_linkspec *spec)
{
	struct link_call c = { .port = port, .spec = spec, .pcap_fd = -1 };

	return link_call(&c);
}

/* vds_port_pcap - see pump.h: fd is the port's from now on.
 * Return: 0 or -errno. */
int vds_port_pcap(struct vds_port *port, int fd)
{
	struct link_call c = { .port = port, .pcap_fd = fd };
	int err;

	if (fd < 0 && !port->link)
		return 0; /* no capture ever ran */
	err = link_call(&c);
	if (err == -ENOTCONN && fd >= 0)
		close(fd);
	return err;
}

/* vds_port_link_busy - see pump.h.  Return: true if so. */
bool vds_port_link_busy(const struct vds_port *port)
{
	return atomic_load(&port->slow);
}
