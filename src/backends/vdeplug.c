/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vdeplug.c - backend for every URL libvdeplug understands (vde://, hub://,
 * switch://, ptp://, udp://, vxvde://, null://, cmd://, plugins).
 *
 * Theory of operation: libvdeplug gives one data descriptor per connection
 * and a control descriptor that reads end-of-file when the switch goes
 * away.  A plugin's vde_recv() may block whatever the descriptor's flags
 * (the hub and switch plugins wait in their own epoll set), so it is called
 * only while the data descriptor polls readable: once per frame a
 * zero-timeout poll(), bounded per wake-up.  Some calls consume an internal
 * event (a new connection to an in-process hub) and return no frame.  The
 * frames of one wake-up are packed into a buffer of the loop thread and
 * written to the interface in one vds_port_deliver().  A frame that
 * vde_send() cannot take now is dropped like on a congested wire.
 *
 * Reconnection: when the connection is lost (end-of-file or an error on
 * the control descriptor, a hang-up or a connection error on the data
 * descriptor) the backend closes it and opens the URL again from a loop
 * timer: the first attempt after VDEPLUG_RETRY_MIN_MS, then twice as long
 * after every failure, never more than VDEPLUG_RETRY_MAX_MS apart, for as
 * long as the stack exists.  Meanwhile the interface stays up and its
 * frames are dropped, as on an unplugged cable.  Nothing sleeps on the
 * loop thread: an attempt is one vde_open(), which for a local switch
 * connects or fails at once.  A restarted switch on the same path thus
 * gets its stacks back without the application doing anything.  A
 * plugin that forks in vde_open() (cmd://) would give its command the
 * loop thread's mask, every signal blocked: a fork handler clears the
 * mask in a child forked during a reconnection.
 *
 * Close-on-exec: the descriptors libvdeplug hands out are marked so when
 * opened.  The netnode plugins (hub://, switch://, multi://, bonding://)
 * also accept(2) their nodes' connections inside vde_recv(), without
 * SOCK_CLOEXEC, into the epoll set that is their data descriptor; after a
 * vde_recv() that gave no frame (the sign of such an internal event) the
 * members of that set, which /proc/self/fdinfo lists, are marked too, so
 * that a program the application execs does not inherit them.  Until
 * then (one call) a fork and exec in another thread would.
 *
 * Closing: libvdeplug 4.0.1's vxvde:// plugin never closes the epoll set
 * that is its data descriptor, one descriptor lost per connection (per
 * stack, and per reconnection).  A newer libvdeplug may close it, so the
 * backend may not simply close the number after vde_close(): another
 * thread may have been given it meanwhile.  Instead the number is first
 * made (dup3) the read end of a pipe of the backend's own, which also
 * releases the plugin's epoll set, and after vde_close() closed only if
 * it still holds that pipe (same inode): whatever else now has the
 * number is someone else's file and stays.
 *
 * null://: the plugin keeps no state (its send takes every frame, its
 * data descriptor is an eventfd that never becomes readable, it has no
 * control descriptor), so every null:// port of the process shares one
 * connection, counted, and nothing is watched: a null:// stack costs the
 * application its interface's descriptor alone, which lets ten thousand
 * of them fit under a limit of 20,000.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <net/ethernet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/backend.h"

#define VDEPLUG_RECV_BATCH 64   /* frames received per wake-up, at most */
#define VDEPLUG_RETRY_MIN_MS 100
#define VDEPLUG_RETRY_MAX_MS 2000
#define VDEPLUG_ALIGN 16         /* each frame of the batch starts aligned */
/* A batch of full-size frames (ETH_FRAME_LEN, aligned), and room for one
 * receive of the largest frame a plugin gives after that. */
#define VDEPLUG_BATCH_BUF \
	(VDEPLUG_RECV_BATCH * ((ETH_FRAME_LEN + VDEPLUG_ALIGN - 1) & \
			       ~(VDEPLUG_ALIGN - 1)) + VDE_ETHBUFSIZE)

struct vdeplug_backend {
	struct vds_backend hdr;
	VDECONN *conn;             /* NULL while disconnected */
	char *url;                 /* to open it again */
	struct vds_loop *loop;     /* set by start */
	struct vds_watch *data_w, *ctl_w;
	struct vds_timer *retry;   /* reconnection attempts */
	int retry_ms;              /* delay before the next attempt */
	bool keeps_datafd;         /* vde_close() leaves the data fd open */
	bool shared;               /* conn is the process's null:// one */
};

/* The one null:// connection of the process, and its users. */
static pthread_mutex_t null_lock = PTHREAD_MUTEX_INITIALIZER;
static VDECONN *null_conn;
static unsigned null_users;

/* Set while this thread reopens a URL (see reopen_child). */
static __thread bool reopening;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* The batch buffer of each loop thread (VDEPLUG_BATCH_BUF bytes), freed when the
 * thread ends: a thousand idle stacks cost nothing. */
static struct vds_thread_buf batch_buf = VDS_THREAD_BUF(VDEPLUG_BATCH_BUF);

/* thread_buf - this loop thread's batch buffer, made at first use.
 * Return: the buffer, or NULL when out of memory. */
static unsigned char *thread_buf(void)
{
	return vds_thread_buf(&batch_buf);
}

/* reopen_child - fork handler: a process forked by a plugin during a
 * reconnection on a loop thread starts with no signal blocked, as the
 * application's own would, not with the loop thread's mask. */
static void reopen_child(void)
{
	sigset_t none;

	if (!reopening)
		return;
	reopening = false;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
}

/* atfork_init - register reopen_child once per process. */
static void atfork_init(void)
{
	pthread_atfork(NULL, NULL, reopen_child);
}

/* conn_open - vde_open() url, data descriptor non-blocking, both
 * descriptors close-on-exec.
 * Return: 0, or -errno: libvdeplug's (EPROTONOSUPPORT for an unknown
 * scheme, ENOENT for a missing switch), EINVAL when it gives none. */
static int conn_open(const char *url, VDECONN **ret)
{
	VDECONN *conn;
	int fd, fl;

	errno = 0;
	conn = vde_open((char *)url, "vdestack", NULL);
	if (!conn)
		return errno ? -errno : -EINVAL;
	fd = vde_datafd(conn);
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (vde_ctlfd(conn) >= 0)
		fcntl(vde_ctlfd(conn), F_SETFD, FD_CLOEXEC);
	*ret = conn;
	return 0;
}

/* conn_close - vde_close() conn; when keeps_datafd (the plugin leaves its
 * data descriptor open), release that descriptor too, without ever
 * closing a number someone else has reopened (see "Closing" above).
 * Return: nothing. */
static void conn_close(VDECONN *conn, bool keeps_datafd)
{
	int fd = keeps_datafd ? vde_datafd(conn) : -1, p[2] = { -1, -1 };
	struct stat mine, now;

	if (fd >= 0 && pipe2(p, O_CLOEXEC) == 0) {
		close(p[1]);
		if (fstat(p[0], &mine) < 0 || dup3(p[0], fd, O_CLOEXEC) < 0)
			fd = -1;
	} else {
		fd = -1;
	}
	vde_close(conn);
	if (fd >= 0 && fstat(fd, &now) == 0 && now.st_ino == mine.st_ino &&
	    now.st_dev == mine.st_dev)
		close(fd);
	if (p[0] >= 0)
		close(p[0]);
}

/* null_get - the process's null:// connection, opened with url by its
 * first user.  Return: 0 with *ret, or -errno (see conn_open). */
static int null_get(const char *url, VDECONN **ret)
{
	int err = 0;

	pthread_mutex_lock(&null_lock);
	if (!null_conn)
		err = conn_open(url, &null_conn);
	if (err == 0) {
		null_users++;
		*ret = null_conn;
	}
	pthread_mutex_unlock(&null_lock);
	return err;
}

/* null_put - one user less of the null:// connection; the last closes
 * it.  Return: nothing. */
static void null_put(void)
{
	pthread_mutex_lock(&null_lock);
	if (--null_users == 0) {
		conn_close(null_conn, false);
		null_conn = NULL;
	}
	pthread_mutex_unlock(&null_lock);
}

/* backend_conn_close - b's connection released: its own closed, or its
 * share of the null:// one given back.  Return: nothing. */
static void backend_conn_close(struct vdeplug_backend *b)
{
	if (b->shared)
		null_put();
	else
		conn_close(b->conn, b->keeps_datafd);
	b->conn = NULL;
}

/* plugin_may_exec - whether the plugin serving url may start a program
 * when it is opened, which a reconnection does on the loop thread: true
 * for cmd:// and for any plugin not known to use sockets only.  Such a
 * stack goes to a loop without the seccomp filter (loop.c). */
static bool plugin_may_exec(const struct vds_url *url)
{
	static const char *const sockets_only[] = {
		"vde", "hub", "switch", "ptp", "udp", "vxvde", "vxlan", "null",
		"tap", "seqpacket",
	};

	if (!url->scheme)
		return false; /* a plain path: vde:// */
	for (size_t i = 0; i < VDS_ARRAY_SIZE(sockets_only); i++)
		if (vds_url_scheme_is(url, sockets_only[i]))
			return false;
	return true;
}

/* vdeplug_open - open the URL and keep a copy of it for reconnections.
 * Return: 0, or -errno (see conn_open; ENOMEM). */
static int vdeplug_open(const struct vds_url *url, struct vds_port *port,
			struct vds_backend **ret)
{
	struct vdeplug_backend *b = vds_calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	b->url = vds_strdup(url->full);
	if (!b->url) {
		vds_free(b);
		return -ENOMEM;
	}
	b->shared = vds_url_scheme_is(url, "null");
	err = b->shared ? null_get(url->full, &b->conn)
			: conn_open(url->full, &b->conn);
	if (err < 0) {
		vds_free(b->url);
		vds_free(b);
		return err;
	}
	b->retry_ms = VDEPLUG_RETRY_MIN_MS;
	b->hdr.execs = plugin_may_exec(url);
	b->keeps_datafd = vds_url_scheme_is(url, "vxvde");
	*ret = &b->hdr;
	return 0;
}

/* cloexec_line - mark close-on-exec the descriptor a "tfd:" line of an
 * epoll descriptor's fdinfo names (other lines: nothing).
 * Return: nothing. */
static void cloexec_line(const char *line)
{
	int fd, fl;

	if (sscanf(line, "tfd: %d", &fd) != 1)
		return;
	fl = fcntl(fd, F_GETFD);
	if (fl >= 0 && !(fl & FD_CLOEXEC))
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* cloexec_members - mark close-on-exec every member of the epoll set epfd
 * (for another kind of descriptor, fdinfo has no "tfd:" line).
 * Return: nothing (best effort: without /proc nothing is marked). */
static void cloexec_members(int epfd)
{
	char path[64], buf[1024];
	size_t have = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line = buf, *nl;

		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			cloexec_line(line);
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0; /* no line is that long: drop it */
	}
	if (have) {
		buf[have] = '\0';
		cloexec_line(buf);
	}
	close(fd);
}

/* unwatch - stop watching the connection's descriptors (loop thread). */
static void unwatch(struct vdeplug_backend *b)
{
	vds_loop_watch_del(b->data_w);
	vds_loop_watch_del(b->ctl_w);
	b->data_w = b->ctl_w = NULL;
}

/* connection_lost - close the connection and schedule an attempt to open
 * it again (loop thread). */
static void connection_lost(struct vdeplug_backend *b)
{
	unwatch(b);
	if (b->conn)
		backend_conn_close(b);
	if (b->retry)
		vds_loop_timer_arm(b->retry, b->retry_ms);
}

/* recv_lost - whether vde_recv()'s errno means the connection is gone
 * (rather than nothing to read now, or a datagram refused on the way).
 * Return: true when it is gone. */
static bool recv_lost(int err)
{
	return err == ECONNRESET || err == ENOTCONN || err == EPIPE ||
	       err == ESHUTDOWN || err == EBADF;
}

/* data_readable - frames from the network to the interface: those the
 * connection has now, VDEPLUG_RECV_BATCH at most, packed into the loop
 * thread's buffer and delivered in one call (runts skipped); a hang-up or
 * a connection error loses the connection.  (vde_recv() is called here,
 * not in a helper: tests/valgrind.supp names this function as the caller
 * of the hub plugin's known uninitialised write.) */
static void data_readable(void *arg, uint32_t events)
{
	struct vdeplug_backend *b = arg;
	struct pollfd p = { .fd = vde_datafd(b->conn), .events = POLLIN };
	struct vds_frame f[VDEPLUG_RECV_BATCH];
	unsigned char *buf;
	size_t used = 0;
	unsigned n = 0;
	bool failed = false;
	int err = 0;

	if ((events & (EPOLLHUP | EPOLLRDHUP)) && !(events & EPOLLIN)) {
		connection_lost(b);
		return;
	}
	buf = thread_buf();
	if (!buf)
		return; /* level-triggered: tried again at the next wake */
	for (int i = 0; i < VDEPLUG_RECV_BATCH; i++) {
		ssize_t len;

		/* a plugin's vde_recv may block: only while it polls readable */
		if (i > 0 && (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)))
			break;
		len = vde_recv(b->conn, buf + used, VDE_ETHBUFSIZE, 0);
		if (len < 0) {
			failed = true;
			err = errno;
			break;
		}
		if (len < ETH_HLEN) {
			/* an internal event: maybe a new connection */
			cloexec_members(vde_datafd(b->conn));
			continue;
		}
		f[n++] = (struct vds_frame){ .data = buf + used,
					     .len = (size_t)len };
		used += ((size_t)len + VDEPLUG_ALIGN - 1) &
			~(size_t)(VDEPLUG_ALIGN - 1);
		if (VDEPLUG_BATCH_BUF - used < VDE_ETHBUFSIZE)
			break;
	}
	if (n)
		vds_port_deliver(b->hdr.port, f, n);
	if (failed ? recv_lost(err) : (events & (EPOLLHUP | EPOLLRDHUP)))
		connection_lost(b);
}

/* ctl_event - the control descriptor: end-of-file or an error means the
 * switch closed the connection. */
static void ctl_event(void *arg, uint32_t events)
{
	struct vdeplug_backend *b = arg;
	char c;

	ssize_t n = read(vde_ctlfd(b->conn), &c, 1);

	(void)events;
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	connection_lost(b);
}

/* watch - watch the connection's data and control descriptors (loop
 * thread).  Return: 0 or -errno (nothing watched then). */
static int watch(struct vdeplug_backend *b)
{
	int err, data = vde_datafd(b->conn), ctl = vde_ctlfd(b->conn);

	if (b->shared)
		return 0; /* null:// never has a frame, nor goes away */
	err = vds_loop_watch_add(b->loop, data, EPOLLIN | EPOLLRDHUP,
				 data_readable, b, &b->data_w);
	if (err < 0)
		return err;
	if (ctl >= 0 && ctl != data) {
		err = vds_loop_watch_add(b->loop, ctl, EPOLLIN, ctl_event, b,
					 &b->ctl_w);
		if (err < 0)
			unwatch(b);
	}
	return err;
}

/* retry_open - timer: open the URL again; on failure, try again later,
 * waiting twice as long (bounded). */
static void retry_open(void *arg)
{
	struct vdeplug_backend *b = arg;
	int err;

	if (b->conn)
		return;
	reopening = true;
	err = conn_open(b->url, &b->conn);
	reopening = false;
	if (err == 0 && watch(b) == 0) {
		b->retry_ms = VDEPLUG_RETRY_MIN_MS;
		vds_port_reconnected(b->hdr.port);
		return;
	}
	if (b->conn)
		backend_conn_close(b);
	b->retry_ms *= 2;
	if (b->retry_ms > VDEPLUG_RETRY_MAX_MS)
		b->retry_ms = VDEPLUG_RETRY_MAX_MS;
	vds_loop_timer_arm(b->retry, b->retry_ms);
}

/* vdeplug_start - the reconnection timer, and watches on the data and
 * control descriptors.  Return: 0 or -errno. */
static int vdeplug_start(struct vds_backend *be, struct vds_loop *loop)
{
	struct vdeplug_backend *b = (struct vdeplug_backend *)be;
	int err;

	b->loop = loop;
	pthread_once(&atfork_once, atfork_init);
	err = vds_loop_timer_add(loop, retry_open, b, &b->retry);
	if (err < 0)
		return err;
	err = watch(b);
	if (err < 0) {
		vds_loop_timer_del(b->retry);
		b->retry = NULL;
	}
	return err;
}

/* vdeplug_send - frames from the interface to the network (dropped while
 * disconnected, or when the connection cannot take them now: counted).
 * Return: the number of frames consumed (all: unsent ones are dropped). */
static unsigned vdeplug_send(struct vds_backend *be, const struct vds_frame *f,
			     unsigned n)
{
	struct vdeplug_backend *b = (struct vdeplug_backend *)be;
	unsigned unsent = 0;

	for (unsigned i = 0; i < n; i++)
		if (!b->conn || vde_send(b->conn, f[i].data, f[i].len, 0) < 0)
			unsent++;
	if (unsent)
		vds_port_dropped(be->port, unsent);
	return n;
}

/* vdeplug_stop - stop watching and reconnecting (loop thread). */
static void vdeplug_stop(struct vds_backend *be)
{
	struct vdeplug_backend *b = (struct vdeplug_backend *)be;

	unwatch(b);
	vds_loop_timer_del(b->retry);
	b->retry = NULL;
}

/* vdeplug_close - vde_close() and free; accepts NULL. */
static void vdeplug_close(struct vds_backend *be)
{
	struct vdeplug_backend *b = (struct vdeplug_backend *)be;

	if (!b)
		return;
	if (b->conn)
		backend_conn_close(b);
	vds_free(b->url);
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
