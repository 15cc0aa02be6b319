/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proto.h - the control protocol between the application and its helper
 * (proto.c): requests and replies, their descriptors, and what both ends
 * check (interface names, the link kinds of VDESTACK_LINK). */
#ifndef VDS_PROTO_H
#define VDS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Default interface name inside a stack, and the longest name the kernel
 * takes (IFNAMSIZ - 1). */
#define VDS_DEFAULT_IFNAME "vde0"
#define VDS_IFNAME_MAX 15

enum vds_op {
	VDS_OP_HELLO = 1,  /* helper -> app at start: status */
	VDS_OP_NEWSTACK,   /* ifname, flags, mtu -> id, [tap fd] */
	VDS_OP_DELSTACK,   /* id -> status */
	VDS_OP_SOCKET,     /* id, domain, type, protocol -> [fd] */
	VDS_OP_CMD,        /* id, packed commands, [stdio] -> exit status */
	VDS_OP_SPAWN,      /* id, argv, envp, [stdio] -> pid; later status */
	VDS_OP_UPLINK,     /* flags (VNET), segment key -> [AF_PACKET fd] */
};

/* Or'ed into the op of a request sent on the control socket: the helper
 * keeps its reply channel after replying and serves the requests that
 * later arrive on it (a thread's cached channel, helper.c).  Only the
 * requests the helper answers itself may use it (vds_proto_op_cached). */
#define VDS_OP_KEEP 0x100u
#define VDS_OP_MASK 0xffu

/* Whether requests of op may travel on a cached reply channel: those the
 * helper answers itself, never those a runner or spawner answers. */
bool vds_proto_op_cached(uint32_t op);

#define VDS_SPAWN_MAXENV 4096

#define VDS_NEWSTACK_TAP 0x1u  /* create the tap interface */
#define VDS_NEWSTACK_VNET 0x2u /* ... with IFF_VNET_HDR and offloads */
#define VDS_NEWSTACK_LINK_TAP 0x4u  /* the interface may be a tap */
#define VDS_NEWSTACK_LINK_VETH 0x8u /* ... or a veth (tap tried first) */
/* The payload is "ifname\0key\0": with LINK_VETH, first try a veth
 * whose peer joins the bridge of key (bridge.c).  A reply without a
 * descriptor says it did: the stack's frames never reach the application. */
#define VDS_NEWSTACK_BRIDGE 0x10u

/* The kinds of link vde_addstack may make, from VDESTACK_LINK ("tap",
 * "veth", "auto" or unset).  Return: VDS_NEWSTACK_LINK_* or -EINVAL. */
int vds_link_choice(const char *env);

/* Validate an interface name.  Return: 0 or -EINVAL. */
int vds_ifname_check(const char *name);

/* Largest request: commands, or argv + environment of a process. */
#define VDS_MSG_MAX (128 * 1024)

/* Request header; a variable payload (ifname or commands) follows. */
struct vds_req {
	uint32_t op;
	uint32_t id;     /* stack id in the helper */
	int32_t arg[3];  /* op specific */
	uint32_t len;    /* payload bytes */
};

struct vds_rep {
	int32_t status;  /* >= 0 result, -errno failure */
	uint32_t id;
};

/* Pack a request into buf (size at least sizeof(req) + len).
 * Return: bytes used or -E2BIG. */
ssize_t vds_proto_pack(void *buf, size_t size, const struct vds_req *req,
		       const void *payload);
/* Check and split a received request.  Return: 0 or -EBADMSG. */
int vds_proto_unpack(const void *buf, size_t len, struct vds_req *req,
		     const void **payload);

/* Send a message with up to 4 descriptors.  Return: 0 or -errno. */
int vds_proto_send(int sock, const void *buf, size_t len, const int *fds,
		   unsigned nfds);
/* Receive a message; descriptors beyond max are closed.
 * Return: bytes (0 = peer gone) or -errno; *ret_nfds set. */
ssize_t vds_proto_recv(int sock, void *buf, size_t len, int *fds,
		       unsigned max, unsigned *ret_nfds);
/* As vds_proto_recv, with recvmsg flags MSG_CMSG_CLOEXEC (without it the
 * descriptors received are inheritable) and MSG_DONTWAIT. */
ssize_t vds_proto_recv_flags(int sock, void *buf, size_t len, int *fds,
			     unsigned max, int flags, unsigned *ret_nfds);

#endif /* VDS_PROTO_H */
