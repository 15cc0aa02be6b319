/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtnl.c - the rtnetlink engine: the one place that sends netlink
 * requests and reads the kernel's answers (acknowledgements, errors,
 * dumps), for the helper and for src/conf alike.
 *
 * Theory of operation
 *
 * Every other file builds its messages with libmnl's helpers in a
 * union vds_rtnl_req (vds_rtnl_msg, vds_rtnl_link_msg) and hands them
 * here.  There are two users, with two kinds of socket:
 *
 *  - the helper (veth.c, bridge.c) moves between network namespaces with
 *    setns(), and a netlink socket speaks for the namespace it was made
 *    in, so each of its requests is one vds_rtnl_call(): a socket made in
 *    the current namespace through the system-call seam (vds_sys_socket,
 *    which the unit tests make fail), one request, closed.  That path
 *    allocates nothing: no struct mnl_socket (mnl_socket_open() and
 *    mnl_socket_fdopen() allocate it), the engine's state a plain value
 *    and both buffers on the stack, since the helper may be ended at any
 *    point and a block it held would then show as a leak;
 *  - src/conf (netconf.c) gets its socket from vde_msocket(): made by the
 *    helper inside the stack's namespace and handed over, it is adopted
 *    (vds_rtnl_adopt) and serves every step of a vde_stackconf() call.
 *
 * An exchange is one request with the next sequence number (never 0,
 * which libmnl would not check), then datagrams read until its end: the
 * acknowledgement of a request sent with NLM_F_ACK (an NLMSG_ERROR whose
 * error is 0, or the -errno it carries), or the NLMSG_DONE of a dump,
 * whose payload carries the dump's own error.  libmnl's mnl_cb_run2()
 * walks each datagram, checks the sequence number and port of every
 * message and passes a dump's messages to the caller's callback; the two
 * control messages are read by this file's own callbacks.  A dump is
 * always read to its end, even once the caller's callback has failed (its
 * error is returned then): the kernel refuses a new dump on a socket
 * (-EBUSY) until the last one has been read.
 *
 * Answers that are not ours are skipped, never taken for ours: a datagram
 * from another socket than the kernel's (in a stack, a command that is
 * root there may send to our port), or one answering another sequence
 * number (the rest of a dump abandoned on a receive error, or anything
 * sent on the socket outside the engine).  The kernel handles a request inside the
 * sender's sendmsg() and queues its answer before that returns (the next
 * part of a dump is made as the previous one is read), so a receive waits
 * only on a broken socket: SO_RCVTIMEO bounds each wait, and a deadline
 * the whole exchange, to VDS_RTNL_TIMEOUT_MS (-ETIMEDOUT).
 *
 * The receive buffer, VDS_RTNL_RECV_SIZE on the stack, is bounded: the
 * kernel sizes a dump's datagrams by the reader's buffer (the first one
 * at a page at most), and one that does not fit comes back MSG_TRUNC,
 * reported as -EMSGSIZE rather than read in part.  NETLINK_CAP_ACK keeps
 * error answers to the request's header.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rtnl.h"
#include "clock.h"
#include "internal.h"
#include "sys.h"

/* Bound of each receive and of a whole exchange: the kernel answers
 * before send() returns, so only a broken socket reaches it. */
#define VDS_RTNL_TIMEOUT_MS 5000
/* The receive buffer: a datagram of a dump is at most this (the kernel
 * sizes them by the reader's buffer). */
#define VDS_RTNL_RECV_SIZE 8192

/* setup - bound receives, short error answers, bind fd to a port of its
 * own, and record it in *ret.  Return: 0 or -errno. */
static int setup(int fd, struct vds_rtnl *ret)
{
	const struct timeval tv = {
		.tv_sec = VDS_RTNL_TIMEOUT_MS / 1000,
		.tv_usec = (VDS_RTNL_TIMEOUT_MS % 1000) * 1000,
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(sa);
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	/* best effort: without it (before Linux 4.3) an error answer holds
	 * a copy of the request, which fits the receive buffer too */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	if (sa.nl_family != AF_NETLINK)
		return -EAFNOSUPPORT;
	*ret = (struct vds_rtnl){
		.fd = fd,
		.portid = sa.nl_pid,
		.seq = (uint32_t)vds_now_ms(), /* apart from a past user's */
	};
	return 0;
}

/* vds_rtnl_open - a socket of the current namespace, through the seam.
 * Return: 0 with *ret, or -errno. */
int vds_rtnl_open(struct vds_rtnl *ret)
{
	int fd = vds_sys_socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
				NETLINK_ROUTE);
	int err;

	if (fd < 0)
		return fd;
	err = setup(fd, ret);
	if (err < 0)
		close(fd);
	return err;
}

/* vds_rtnl_adopt - take over fd (closed on failure too).
 * Return: 0 with *ret, or -errno. */
int vds_rtnl_adopt(int fd, struct vds_rtnl *ret)
{
	int err;

	if (fd < 0)
		return -EBADF;
	err = setup(fd, ret);
	if (err < 0)
		close(fd);
	return err;
}

/* vds_rtnl_close - close nl's socket, if any; nl becomes
 * VDS_RTNL_NONE. */
void vds_rtnl_close(struct vds_rtnl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	*nl = VDS_RTNL_NONE;
}

/* vds_rtnl_msg - see rtnl.h: *req zeroed (libmnl's attribute helpers
 * may leave padding as they find it), then the header.
 * Return: the message. */
struct nlmsghdr *vds_rtnl_msg(union vds_rtnl_req *req, uint16_t type,
			      uint16_t flags)
{
	struct nlmsghdr *nlh;

	*req = (union vds_rtnl_req){ .buf = { 0 } };
	nlh = mnl_nlmsg_put_header(req->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

/* vds_rtnl_link_msg - see rtnl.h.  Return: the message. */
struct nlmsghdr *vds_rtnl_link_msg(union vds_rtnl_req *req, uint16_t type,
				   uint16_t flags, unsigned char family,
				   unsigned ifindex, struct ifinfomsg **ret_ifm)
{
	struct nlmsghdr *nlh = vds_rtnl_msg(req, type, flags);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = family;
	ifm->ifi_index = (int)ifindex;
	if (ret_ifm)
		*ret_ifm = ifm;
	return nlh;
}

/* error_cb - an NLMSG_ERROR: the acknowledgement (error 0) or the
 * kernel's error.  Return: MNL_CB_STOP, or MNL_CB_ERROR with errno. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

/* done_cb - the NLMSG_DONE that ends a dump, with the dump's error (an
 * int, 0 when it went through).  Return: MNL_CB_STOP, or MNL_CB_ERROR
 * with errno. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return MNL_CB_STOP; /* no error given */
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err == 0)
		return MNL_CB_STOP;
	errno = err < 0 ? -err : err;
	return MNL_CB_ERROR;
}

/* next_seq - the sequence number of nl's next request (never 0).
 * Return: it. */
static uint32_t next_seq(struct vds_rtnl *nl)
{
	if (++nl->seq == 0)
		nl->seq = 1;
	return nl->seq;
}

/* send_request - send nlh to the kernel.  Return: 0 or -errno. */
static int send_request(int fd, const struct nlmsghdr *nlh)
{
	const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(fd, nlh, nlh->nlmsg_len, 0,
			   (const struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == nlh->nlmsg_len ? 0 : -EIO;
}

/* receive - one datagram into buf (size bytes), with *ret_kernel set to
 * whether the kernel sent it.  Return: its length, or -errno (-ETIMEDOUT
 * after VDS_RTNL_TIMEOUT_MS without one, -EMSGSIZE for one larger than
 * buf). */
static ssize_t receive(int fd, void *buf, size_t size, bool *ret_kernel)
{
	struct sockaddr_nl from = { .nl_family = AF_UNSPEC };
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	do
		n = recvmsg(fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT
							       : -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	*ret_kernel = msg.msg_namelen >= sizeof(from) &&
		      from.nl_family == AF_NETLINK && from.nl_pid == 0;
	return n;
}

/* exchange - send nlh (with NLM_F_REQUEST, flags and the next sequence
 * number) and read the answer until its acknowledgement or the end of
 * its dump, each message of a dump passed to cb.  Skips what answers
 * something else (see Theory of operation).
 * Return: 0 or -errno. */
static int exchange(struct vds_rtnl *nl, struct nlmsghdr *nlh,
		    uint16_t flags, mnl_cb_t cb, void *data)
{
	/* not const: mnl_cb_run2() takes a plain pointer */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	union {
		struct nlmsghdr nlh;
		char buf[VDS_RTNL_RECV_SIZE];
	} rx;
	int64_t deadline = vds_now_ms() + VDS_RTNL_TIMEOUT_MS;
	uint32_t seq = next_seq(nl);
	int err;

	nlh->nlmsg_flags |= NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	err = send_request(nl->fd, nlh);
	if (err < 0)
		return err;
	for (;;) {
		bool kernel = false;
		ssize_t n = receive(nl->fd, rx.buf, sizeof(rx.buf), &kernel);

		if (n < 0)
			return (int)n;
		if (kernel && mnl_nlmsg_ok(&rx.nlh, (int)n) &&
		    rx.nlh.nlmsg_seq == seq) {
			errno = 0;
			err = mnl_cb_run2(rx.buf, (size_t)n, seq, nl->portid,
					  cb, data, ctl, VDS_ARRAY_SIZE(ctl));
			if (err < 0)
				return errno ? -errno : -EPROTO;
			if (err == MNL_CB_STOP)
				return 0;
		}
		if (vds_now_ms() > deadline)
			return -ETIMEDOUT;
	}
}

/* vds_rtnl_request - see rtnl.h.  Return: 0 or -errno. */
int vds_rtnl_request(struct vds_rtnl *nl, struct nlmsghdr *nlh)
{
	return exchange(nl, nlh, NLM_F_ACK, NULL, NULL);
}

/* A dump being read: the caller's callback, called until it fails or
 * asks for no more. */
struct dump {
	mnl_cb_t cb;
	void *data;
	bool over;  /* the callback is done with this dump */
	int err;    /* its -errno, or 0 */
};

/* dump_cb - pass one message of a dump to the caller's callback, unless
 * that one is done with it: the rest is read all the same, since the
 * kernel starts no other dump on the socket until this one has ended.
 * Return: MNL_CB_OK. */
static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;
	int ret;

	if (d->over)
		return MNL_CB_OK;
	errno = 0;
	ret = d->cb(nlh, d->data);
	if (ret == MNL_CB_OK)
		return MNL_CB_OK;
	d->over = true;
	if (ret < 0)
		d->err = errno ? -errno : -EPROTO;
	return MNL_CB_OK;
}

/* vds_rtnl_dump - see rtnl.h: the whole dump is read, whatever cb says.
 * Return: 0 or -errno. */
int vds_rtnl_dump(struct vds_rtnl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		  void *data)
{
	struct dump d = { .cb = cb, .data = data };
	int err = exchange(nl, nlh, NLM_F_DUMP, dump_cb, &d);

	return err < 0 ? err : d.err;
}

/* vds_rtnl_call - see rtnl.h: open, request, close.
 * Return: 0 or -errno. */
int vds_rtnl_call(struct nlmsghdr *nlh)
{
	struct vds_rtnl nl;
	int err = vds_rtnl_open(&nl);

	if (err < 0)
		return err;
	err = vds_rtnl_request(&nl, nlh);
	vds_rtnl_close(&nl);
	return err;
}
