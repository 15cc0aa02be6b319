/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * proto.c - the control protocol between the application and its helper.
 *
 * Theory of operation: the helper listens on one SOCK_SEQPACKET socket.
 * Every request is one message (struct vds_req, then a payload) that
 * carries, as its first passed descriptor, one end of a fresh socketpair:
 * the helper answers there (struct vds_rep, plus a descriptor for
 * NEWSTACK and SOCKET).  Messages on a seqpacket socket are atomic, so any
 * number of threads, and forked children of the application, can talk to
 * the helper at once without a lock and without replies crossing.  A
 * reply channel that reads end-of-file means the helper is gone.
 *
 * A request whose op carries VDS_OP_KEEP asks the helper to keep its reply
 * channel: later requests of the same thread travel on that channel itself
 * (no descriptor to pass, no socketpair to make), one at a time, and are
 * answered there.  Only the requests the helper answers itself may do so
 * (vds_proto_op_cached): a runner that dies before it replies must leave
 * a channel that reads end-of-file, which a channel the helper also holds
 * would not.
 *
 * Also here, since both ends check them: the interface names a NEWSTACK
 * may carry, and the link kinds VDESTACK_LINK lets it ask for.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "proto.h"

#define VDS_MAX_FDS 4

/* vds_proto_pack - serialise a request and its payload into buf.
 * Return: the message length, or -E2BIG when it does not fit. */
ssize_t vds_proto_pack(void *buf, size_t size, const struct vds_req *req,
		       const void *payload)
{
	size_t total = sizeof(*req) + req->len;

	if (req->len > VDS_MSG_MAX - sizeof(*req) || total > size)
		return -E2BIG;
	memcpy(buf, req, sizeof(*req));
	if (req->len)
		memcpy((char *)buf + sizeof(*req), payload, req->len);
	return (ssize_t)total;
}

/* vds_proto_unpack - check a received message and split it.
 * Return: 0, or -EBADMSG when the lengths do not add up. */
int vds_proto_unpack(const void *buf, size_t len, struct vds_req *req,
		     const void **payload)
{
	if (len < sizeof(*req))
		return -EBADMSG;
	memcpy(req, buf, sizeof(*req));
	if (req->len != len - sizeof(*req))
		return -EBADMSG;
	*payload = (const char *)buf + sizeof(*req);
	return 0;
}

/* vds_proto_op_cached - whether requests of op (VDS_OP_KEEP aside) may
 * travel on a cached reply channel.  Return: true for NEWSTACK, DELSTACK
 * and SOCKET. */
bool vds_proto_op_cached(uint32_t op)
{
	switch (op & VDS_OP_MASK) {
	case VDS_OP_NEWSTACK:
	case VDS_OP_DELSTACK:
	case VDS_OP_SOCKET:
		return true;
	default:
		return false;
	}
}

/* vds_proto_send - send one message with up to VDS_MAX_FDS descriptors.
 * Return: 0 or -errno (-EPIPE when the peer is gone). */
int vds_proto_send(int sock, const void *buf, size_t len, const int *fds,
		   unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VDS_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds > VDS_MAX_FDS)
		return -EINVAL;
	if (nfds == 0) {
		/* send(2): no message header to copy in */
		do
			n = send(sock, buf, len, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return (size_t)n == len ? 0 : -EMSGSIZE;
	}
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	/* ETOOMANYREFS: the user already has as many descriptors in flight
	 * as RLIMIT_NOFILE allows (the kernel counts them against it): to
	 * the caller, the descriptor limit it hit */
	if (n < 0 && errno == ETOOMANYREFS)
		return -EMFILE;
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* vds_proto_recv - receive one message and the descriptors it carries,
 * close-on-exec.  Return: as vds_proto_recv_flags. */
ssize_t vds_proto_recv(int sock, void *buf, size_t len, int *fds,
		       unsigned max, unsigned *ret_nfds)
{
	return vds_proto_recv_flags(sock, buf, len, fds, max, MSG_CMSG_CLOEXEC,
				    ret_nfds);
}

/* vds_proto_recv_flags - receive one message and the descriptors it
 * carries; flags: MSG_CMSG_CLOEXEC (else the descriptors are
 * inheritable), MSG_DONTWAIT.
 * Descriptors beyond max, and all of them on a truncated message, are
 * closed.  Return: bytes received (0 when the peer is gone) or -errno
 * (-EMSGSIZE for a truncated message, -EMFILE when the descriptors sent
 * could not be received). */
ssize_t vds_proto_recv_flags(int sock, void *buf, size_t len, int *fds,
			     unsigned max, int flags, unsigned *ret_nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VDS_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	unsigned got = 0, total = 0;
	ssize_t n;

	*ret_nfds = 0;
	do
		n = recvmsg(sock, &msg, flags & (MSG_CMSG_CLOEXEC | MSG_DONTWAIT));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm;
	     cm = CMSG_NXTHDR(&msg, cm)) {
		size_t count;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			total++;
			if (got < max && !(msg.msg_flags & MSG_TRUNC))
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (unsigned i = 0; i < got; i++)
			close(fds[i]);
		/* a control part cut short with room left in the buffer: the
		 * kernel could not install the descriptors here (it closed
		 * them): this process is out of descriptors.  A full buffer
		 * means more descriptors than a message may carry. */
		if (!(msg.msg_flags & MSG_TRUNC) && total < VDS_MAX_FDS)
			return -EMFILE;
		return -EMSGSIZE;
	}
	*ret_nfds = got;
	return n;
}

/* vds_ifname_check - validate an interface name as the kernel would.
 * Return: 0, or -EINVAL for an empty, too long (over 15 bytes, never
 * truncated), "." or ".." name, or one with '/', ':' or blanks. */
int vds_ifname_check(const char *name)
{
	size_t len = strnlen(name, VDS_IFNAME_MAX + 1);

	if (len == 0 || len > VDS_IFNAME_MAX)
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c == '/' || *c == ':' || *c <= ' ' || *c == 0x7f)
			return -EINVAL;
	return 0;
}

/* vds_link_choice - the link kinds VDESTACK_LINK allows.
 * Return: VDS_NEWSTACK_LINK_* flags, or -EINVAL for another value. */
int vds_link_choice(const char *env)
{
	if (!env || !*env || !strcmp(env, "auto"))
		return VDS_NEWSTACK_LINK_TAP | VDS_NEWSTACK_LINK_VETH;
	if (!strcmp(env, "tap"))
		return VDS_NEWSTACK_LINK_TAP;
	if (!strcmp(env, "veth"))
		return VDS_NEWSTACK_LINK_VETH;
	return -EINVAL;
}
