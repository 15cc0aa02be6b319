/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stream.c - backend for "=command args": frames over a command's standard
 * input and output, in the VDE stream encoding.
 *
 * The encoding is that of vde_plug(1) on a pipe: each frame is preceded by
 * its length as two bytes, most significant first.  The command is started
 * on the host side (a PATH search is allowed, as in "=ssh host vde_plug"),
 * with one end of a socketpair as both its standard input and output, its
 * standard error the application's, and no other descriptor (vds_spawn(),
 * which reports exec's error).  It ends when the stack is deleted
 * (end-of-file, then SIGTERM, then SIGKILL after STREAM_TERM_GRACE_MS),
 * or by itself when the application dies and its input closes.
 *
 * Sending appends the batch's encoded frames to one output buffer and
 * writes it in one call; what the command does not take now waits for
 * EPOLLOUT, and frames that do not fit in the buffer meanwhile are
 * dropped.  A frame is never cut: the stream would lose its framing.
 * Receiving decodes the complete frames of each read and delivers them to
 * the interface in one call (STREAM_DELIVER_BATCH at most per call).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/ethernet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stream.h"

#define STREAM_LEN_BYTES 2          /* the length before each frame */
#define STREAM_FRAME_MAX 65535      /* the most those 2 bytes say */
#define STREAM_RXBUF (2 * (STREAM_FRAME_MAX + STREAM_LEN_BYTES))
#define STREAM_TXBUF (512 * 1024)
/* Frames delivered per call: a read's worth of full-size Ethernet frames
 * (STREAM_RXBUF / 1516 = 86) go in one. */
#define STREAM_DELIVER_BATCH 128
#define STREAM_READS_PER_WAKE 16    /* then the loop serves the others */

struct stream_backend {
	struct vds_backend hdr;
	int fd;
	pid_t pid;
	struct vds_watch *w;
	bool out_pending;   /* EPOLLOUT requested */
	size_t rx_len;
	size_t tx_off, tx_len;
	unsigned char rx[STREAM_RXBUF];
	unsigned char tx[STREAM_TXBUF];
};

/* vds_stream_decode - split complete frames out of a stream buffer into
 * f[0..max); frames shorter than an Ethernet header are skipped.
 * Return: the number of bytes consumed (a partial frame stays, and so
 * does what follows the max-th frame), *ret_n the frames in f. */
size_t vds_stream_decode(const unsigned char *buf, size_t len,
			 struct vds_frame *f, unsigned max, unsigned *ret_n)
{
	size_t pos = 0;
	unsigned n = 0;

	while (n < max && len - pos >= STREAM_LEN_BYTES) {
		size_t flen = vds_get16(buf + pos);

		if (len - pos - STREAM_LEN_BYTES < flen)
			break;
		if (flen >= ETH_HLEN)
			f[n++] = (struct vds_frame){
				.data = (void *)(buf + pos + STREAM_LEN_BYTES),
				.len = flen,
			};
		pos += STREAM_LEN_BYTES + flen;
	}
	*ret_n = n;
	return pos;
}

/* How long the command has to end after SIGTERM before it gets SIGKILL
 * (stream_close waits that long at most), and, without a pidfd, how often
 * the wait looks whether it has ended. */
#define STREAM_TERM_GRACE_MS 1000
#define STREAM_REAP_POLL_MS 10

/* child_setup - vds_spawn()'s setup of the command: the default SIGPIPE
 * disposition (the application may ignore it).  Return: 0. */
static int child_setup(void *arg)
{
	signal(SIGPIPE, SIG_DFL);
	return 0;
}

/* spawn - start the command (a PATH search allowed) with sock as its
 * stdin and stdout, the application's stderr, and no other descriptor.
 * Return: its pid, or -errno (the exec's own error, such as -ENOENT,
 * reported through vds_spawn()'s close-on-exec pipe). */
static pid_t spawn(char **argv, int sock)
{
	struct vds_spawn sp = {
		.argv = argv, .path_search = true,
		.stdio = { sock, sock, -1 },
		.setup = child_setup,
	};

	return vds_spawn(&sp, NULL);
}

/* reap - end the command: SIGTERM, wait up to STREAM_TERM_GRACE_MS, then
 * SIGKILL. */
static void reap(pid_t pid)
{
	int pidfd = vds_sys_pidfd_open(pid);

	kill(pid, SIGTERM);
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		if (poll(&p, 1, STREAM_TERM_GRACE_MS) == 0)
			kill(pid, SIGKILL);
		close(pidfd);
	} else {
		/* no pidfd (old kernel, seccomp, valgrind): poll the wait */
		for (int i = 0; i < STREAM_TERM_GRACE_MS / STREAM_REAP_POLL_MS;
		     i++) {
			if (waitpid(pid, NULL, WNOHANG) == pid)
				return;
			usleep(STREAM_REAP_POLL_MS * 1000);
		}
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* stream_open - start the command of "=command args" (url->rest: what
 * follows the '=').
 * Return: 0, or -EINVAL for an empty or malformed command line, or the
 * error of starting it. */
static int stream_open(const struct vds_url *url, struct vds_port *port,
		       struct vds_backend **ret)
{
	struct stream_backend *b = NULL;
	struct vds_cmdseq seq = { 0 };
	char *argv[VDS_CMD_MAXARGS];
	int sv[2] = { -1, -1 }, err;
	size_t pos = 0;

	err = vds_cmdline_parse(url->rest,
				VDS_CMDLINE_ONE | VDS_CMDLINE_RELATIVE, &seq);
	if (err < 0)
		return err;
	err = vds_cmdline_next(seq.buf, seq.len, &pos, argv,
			       VDS_ARRAY_SIZE(argv), VDS_CMDLINE_RELATIVE);
	if (err < 0)
		goto fail;
	b = vds_malloc(sizeof(*b));
	if (!b) {
		err = -ENOMEM;
		goto fail;
	}
	*b = (struct stream_backend){ .fd = -1, .pid = -1 };
	err = vds_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	if (err < 0)
		goto fail;
	b->pid = spawn(argv, sv[1]);
	close(sv[1]);
	if (b->pid < 0) {
		err = b->pid;
		close(sv[0]);
		goto fail;
	}
	b->fd = sv[0];
	fcntl(b->fd, F_SETFL, O_NONBLOCK);
	vds_cmdline_free(&seq);
	*ret = &b->hdr;
	return 0;
fail:
	vds_cmdline_free(&seq);
	vds_free(b);
	return err;
}

/* deliver_decoded - the complete frames of the input buffer to the
 * interface, STREAM_DELIVER_BATCH per call; a partial frame stays.
 * Return: nothing. */
static void deliver_decoded(struct stream_backend *b)
{
	struct vds_frame f[STREAM_DELIVER_BATCH];
	size_t pos = 0;
	unsigned n;

	do {
		pos += vds_stream_decode(b->rx + pos, b->rx_len - pos, f,
					 STREAM_DELIVER_BATCH, &n);
		if (n)
			vds_port_deliver(b->hdr.port, f, n);
	} while (n == STREAM_DELIVER_BATCH);
	memmove(b->rx, b->rx + pos, b->rx_len - pos);
	b->rx_len -= pos;
}

/* update_events - watch for output room only while output waits. */
static void update_events(struct stream_backend *b)
{
	bool want = b->tx_len > b->tx_off;

	if (want != b->out_pending && b->w) {
		vds_loop_watch_mod(b->w, EPOLLIN | (want ? EPOLLOUT : 0));
		b->out_pending = want;
	}
}

/* flush - write what the output buffer holds. */
static void flush(struct stream_backend *b)
{
	while (b->tx_off < b->tx_len) {
		ssize_t n = send(b->fd, b->tx + b->tx_off, b->tx_len - b->tx_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				b->tx_off = b->tx_len; /* command gone: drop */
			break;
		}
		b->tx_off += (size_t)n;
	}
	if (b->tx_off == b->tx_len)
		b->tx_off = b->tx_len = 0;
	update_events(b);
}

/* stream_event - input from the command, or room for output. */
static void stream_event(void *arg, uint32_t events)
{
	struct stream_backend *b = arg;

	if (events & EPOLLOUT)
		flush(b);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (int rounds = 0; rounds < STREAM_READS_PER_WAKE; rounds++) {
		ssize_t n = read(b->fd, b->rx + b->rx_len,
				 sizeof(b->rx) - b->rx_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				/* the command is gone: the wire is cut */
				vds_loop_watch_del(b->w);
				b->w = NULL;
			}
			return;
		}
		b->rx_len += (size_t)n;
		deliver_decoded(b);
	}
}

/* stream_start - watch the command's socket.  Return: 0 or -errno. */
static int stream_start(struct vds_backend *be, struct vds_loop *loop)
{
	struct stream_backend *b = (struct stream_backend *)be;

	return vds_loop_watch_add(loop, b->fd, EPOLLIN, stream_event, b, &b->w);
}

/* stream_send - encode frames into the output buffer and write it.
 * Return: frames consumed (all; those that did not fit are dropped). */
static unsigned stream_send(struct vds_backend *be, const struct vds_frame *f,
			    unsigned n)
{
	struct stream_backend *b = (struct stream_backend *)be;

	if (!b->w)
		return n;
	for (unsigned i = 0; i < n; i++) {
		size_t len = f[i].len;

		/* (the pump keeps frames within max_frame, STREAM_FRAME_MAX) */
		if (len > STREAM_FRAME_MAX ||
		    b->tx_len + STREAM_LEN_BYTES + len > sizeof(b->tx))
			continue;
		vds_put16(b->tx + b->tx_len, (uint16_t)len);
		memcpy(b->tx + b->tx_len + STREAM_LEN_BYTES, f[i].data, len);
		b->tx_len += STREAM_LEN_BYTES + len;
	}
	flush(b);
	return n;
}

/* stream_stop - stop watching (loop thread). */
static void stream_stop(struct vds_backend *be)
{
	struct stream_backend *b = (struct stream_backend *)be;

	vds_loop_watch_del(b->w);
	b->w = NULL;
}

/* stream_close - close the stream and end the command. */
static void stream_close(struct vds_backend *be)
{
	struct stream_backend *b = (struct stream_backend *)be;

	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	if (b->pid > 0)
		reap(b->pid);
	vds_free(b);
}

const struct vds_backend_ops vds_backend_stream = {
	.scheme = NULL, /* selected by a leading '=' */
	.open = stream_open,
	.start = stream_start,
	.send = stream_send,
	.stop = stream_stop,
	.close = stream_close,
	.max_frame = STREAM_FRAME_MAX,
};
