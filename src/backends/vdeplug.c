/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vdeplug.c - backend for every URL libvdeplug understands (vde://, hub://,
 * switch://, ptp://, udp://, vxvde://, null://, cmd://, plugins).
 *
 * libvdeplug gives one data descriptor per connection and a control
 * descriptor that reads end-of-file when the switch goes away.  A plugin's
 * vde_recv() may block whatever the descriptor's flags (the hub and switch
 * plugins wait in their own epoll set), so it is called only while the
 * data descriptor polls readable: once per frame a zero-timeout poll(),
 * bounded per wake-up.  Some calls consume an internal event (a new
 * connection to an in-process hub) and return no frame.  A frame that
 * vde_send() cannot take now is dropped like on a congested wire.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

#define VDEPLUG_RECV_BATCH 64

struct vdeplug_backend {
	struct vds_backend hdr;
	VDECONN *conn;
	struct vds_watch *data_w, *ctl_w;
	unsigned char buf[VDE_ETHBUFSIZE];
};

/* vdeplug_open - vde_open() the URL.
 * Return: 0, or -errno: libvdeplug's (EPROTONOSUPPORT for an unknown
 * scheme, ENOENT for a missing switch), EINVAL when it gives none. */
static int vdeplug_open(const char *url, struct vds_port *port,
			struct vds_backend **ret)
{
	struct vdeplug_backend *b = vds_calloc(1, sizeof(*b));
	int fd, fl;

	if (!b)
		return -ENOMEM;
	errno = 0;
	b->conn = vde_open((char *)url, "vdestack", NULL);
	if (!b->conn) {
		int err = errno ? -errno : -EINVAL;

		vds_free(b);
		return err;
	}
	fd = vde_datafd(b->conn);
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (vde_ctlfd(b->conn) >= 0)
		fcntl(vde_ctlfd(b->conn), F_SETFD, FD_CLOEXEC);
	*ret = &b->hdr;
	return 0;
}

/* data_readable - frames from the network to the interface. */
static void data_readable(void *arg, uint32_t events)
{
	struct vdeplug_backend *b = arg;

	struct pollfd p = { .fd = vde_datafd(b->conn), .events = POLLIN };

	for (int i = 0; i < VDEPLUG_RECV_BATCH; i++) {
		ssize_t n;
		struct vds_frame f = { .data = b->buf };

		if (i > 0 && (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)))
			break;
		n = vde_recv(b->conn, b->buf, sizeof(b->buf), 0);
		if (n < 0)
			break;
		f.len = (size_t)n;
		if (n >= 14)
			vds_port_deliver(b->hdr.port, &f, 1);
	}
}

/* ctl_event - the switch closed the connection: stop listening to it (the
 * stack stays, with its interface cut off, until it is deleted). */
static void ctl_event(void *arg, uint32_t events)
{
	struct vdeplug_backend *b = arg;
	char c;

	ssize_t n = read(vde_ctlfd(b->conn), &c, 1);

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	vds_loop_watch_del(b->ctl_w);
	b->ctl_w = NULL;
	vds_loop_watch_del(b->data_w);
	b->data_w = NULL;
}

/* vdeplug_start - watch the data and control descriptors.
 * Return: 0 or -errno. */
static int vdeplug_start(struct vds_backend *be, struct vds_loop *loop)
{
	struct vdeplug_backend *b = (struct vdeplug_backend *)be;
	int err, ctl = vde_ctlfd(b->conn);

	err = vds_loop_watch_add(loop, vde_datafd(b->conn), EPOLLIN,
				 data_readable, b, &b->data_w);
	if (err < 0)
		return err;
	if (ctl >= 0 && ctl != vde_datafd(b->conn)) {
		err = vds_loop_watch_add(loop, ctl, EPOLLIN, ctl_event, b,
					 &b->ctl_w);
		if (err < 0) {
			vds_loop_watch_del(b->data_w);
			b->data_w = NULL;
		}
	}
	return err;
}

/* vdeplug_send - frames from the interface to the network.
 * Return: the number of frames consumed (all: unsent ones are dropped). */
static unsigned vdeplug_send(struct vds_backend *be, const struct vds_frame *f,
			     unsigned n)
{
	struct vdeplug_backend *b = (struct vdeplug_backend *)be;

	for (unsigned i = 0; i < n; i++)
		vde_send(b->conn, f[i].data, f[i].len, 0);
	return n;
}

/* vdeplug_stop - stop watching (loop thread). */
static void vdeplug_stop(struct vds_backend *be)
{
	struct vdeplug_backend *b = (struct vdeplug_backend *)be;

	vds_loop_watch_del(b->data_w);
	vds_loop_watch_del(b->ctl_w);
	b->data_w = b->ctl_w = NULL;
}

/* vdeplug_close - vde_close() and free. */
static void vdeplug_close(struct vds_backend *be)
{
	struct vdeplug_backend *b = (struct vdeplug_backend *)be;

	if (!b)
		return;
	vde_close(b->conn);
	vds_free(b);
}

const struct vds_backend_ops vds_backend_vdeplug = {
	.scheme = NULL,
	.open = vdeplug_open,
	.start = vdeplug_start,
	.send = vdeplug_send,
	.stop = vdeplug_stop,
	.close = vdeplug_close,
	.max_frame = VDE_ETHBUFSIZE,
};
