/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnl.h - the one rtnetlink engine (rtnl.c): requests acknowledged and
 * dumps read through a callback, on a socket of its own or one handed
 * over; what the helper and src/conf both use. */
#ifndef VDS_RTNL_H
#define VDS_RTNL_H

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdint.h>

/* A NETLINK_ROUTE socket and its exchanges.  A plain value (the caller
 * holds it, on its stack or in its own object): nothing is allocated. */
struct vds_rtnl {
	int fd;          /* -1: none */
	uint32_t portid; /* the socket's netlink address */
	uint32_t seq;    /* of the last request sent (never 0) */
};
#define VDS_RTNL_NONE ((struct vds_rtnl){ .fd = -1 })

/* Room for one request: every request of the library is a few hundred
 * bytes (names are at most IFNAMSIZ, addresses 16 bytes). */
#define VDS_RTNL_REQ_SIZE 1024
/* The buffer a request is built in, aligned for its header. */
union vds_rtnl_req {
	struct nlmsghdr nlh;
	char buf[VDS_RTNL_REQ_SIZE];
};

/* A new NETLINK_ROUTE socket in the current network namespace (through
 * vds_sys_socket), bound.  Return: 0 with *ret, or -errno. */
int vds_rtnl_open(struct vds_rtnl *ret);
/* Take over fd, a NETLINK_ROUTE socket of any namespace (vde_msocket),
 * and bind it.  fd is closed on failure too.  Return: 0 or -errno. */
int vds_rtnl_adopt(int fd, struct vds_rtnl *ret);
/* Close the socket (*nl becomes VDS_RTNL_NONE); accepts VDS_RTNL_NONE. */
void vds_rtnl_close(struct vds_rtnl *nl);

/* Start a request of type with flags (NLM_F_CREATE...; NLM_F_REQUEST and
 * NLM_F_ACK or NLM_F_DUMP are the engine's) in *req, zeroed first: the
 * caller adds its header and attributes with libmnl's helpers.
 * Return: the message. */
struct nlmsghdr *vds_rtnl_msg(union vds_rtnl_req *req, uint16_t type,
			      uint16_t flags);
/* vds_rtnl_msg, and a struct ifinfomsg of family for link ifindex (0:
 * none, e.g. a new link or one named by IFLA_IFNAME); *ret_ifm (if not
 * NULL) for its flags.  Return: the message. */
struct nlmsghdr *vds_rtnl_link_msg(union vds_rtnl_req *req, uint16_t type,
				   uint16_t flags, unsigned char family,
				   unsigned ifindex, struct ifinfomsg **ret_ifm);

/* Send the request nlh with NLM_F_ACK and wait for its acknowledgement.
 * Return: 0 or -errno (the kernel's error, or the socket's; -ETIMEDOUT
 * when no answer came). */
int vds_rtnl_request(struct vds_rtnl *nl, struct nlmsghdr *nlh);
/* Send the dump request nlh (NLM_F_DUMP) and pass each message of the
 * answer to cb(message, data).  cb returns MNL_CB_OK for more,
 * MNL_CB_STOP for no more, or MNL_CB_ERROR with errno set for no more
 * and that error; the dump is read to its end either way, so the socket
 * serves on.  Return: 0 or -errno (cb's, the kernel's, the socket's). */
int vds_rtnl_dump(struct vds_rtnl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		  void *data);
/* vds_rtnl_request on a socket of the current namespace made for it and
 * closed after: the helper's way, which allocates nothing (the helper may
 * be ended at any point).  Return: as vds_rtnl_request. */
int vds_rtnl_call(struct nlmsghdr *nlh);

#endif /* VDS_RTNL_H */
