/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proto.h - the control protocol between the application and its helper
 * (proto.c): the ops and who answers them, a typed struct per request,
 * replies, the spawner's channel, their descriptors, and what both ends
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

/* The requests.  The wire format (a header, then each op's fixed part and
 * its variable part) is proto.c's alone: both ends see the typed structs
 * below, packed by vds_proto_pack() and checked by vds_proto_unpack(). */
enum vds_op {
	VDS_OP_NEWSTACK = 1, /* flags, mtu, ifname, [key] -> id, [interface] */
	VDS_OP_DELSTACK,     /* id -> status */
	VDS_OP_SOCKET,       /* id, domain, type, protocol -> [socket] */
	VDS_OP_CMD,          /* id, stdio, pgid, commands -> exit status */
	VDS_OP_SPAWN,        /* id, stdio, pgid, argv, envp -> pid, [pd] */
	VDS_OP_UPLINK,       /* flags, key -> [AF_PACKET socket] */
	VDS_OP_ADDIF,        /* id, as NEWSTACK -> [interface] */
	VDS_OP_DELIF,        /* id, ifname -> status */
	VDS_OP_SYSCTL,       /* id, path, value -> status */
	VDS_OP_PUMP,         /* id, ifname, flags -> [AF_PACKET socket] */
	VDS_OP_COUNT
};

/* Who answers a request: the helper itself, at once, or a process it
 * forks for the request, which owns the reply channel from then on. */
enum vds_answerer {
	VDS_BY_HELPER,
	VDS_BY_RUNNER,  /* vde_stackcmd(): runs the commands, replies, exits */
	VDS_BY_SPAWNER, /* vde_stackspawn(): starts the program, replies,
			 * then serves its process descriptor */
};

/* What the table of ops (proto.c) says of one op. */
struct vds_op_info {
	const char *name;
	enum vds_answerer by;
	/* may travel on a thread's cached reply channel: only what the
	 * helper answers itself (a runner that dies before it replies must
	 * leave a channel that reads end-of-file, which a channel the
	 * helper also holds would not) */
	bool cached;
};

/* The table's entry for op.  Return: it, or NULL for no such op. */
const struct vds_op_info *vds_proto_op(unsigned op);

#define VDS_NEWSTACK_TAP 0x1u  /* create the tap interface */
#define VDS_NEWSTACK_VNET 0x2u /* ... with IFF_VNET_HDR and offloads */
#define VDS_NEWSTACK_LINK_TAP 0x4u  /* the interface may be a tap */
#define VDS_NEWSTACK_LINK_VETH 0x8u /* ... or a veth (tap tried first) */
/* With LINK_VETH, first try a veth whose peer joins the bridge of the
 * request's key (bridge.c).  A reply without a descriptor says it did:
 * the stack's frames never reach the application. */
#define VDS_NEWSTACK_BRIDGE 0x10u

/* The kinds of link vde_addstack may make, from VDESTACK_LINK ("tap",
 * "veth", "auto" or unset).  Return: VDS_NEWSTACK_LINK_* or -EINVAL. */
int vds_link_choice(const char *env);

/* Validate an interface name.  Return: 0 or -EINVAL. */
int vds_ifname_check(const char *name);

/* Largest request: commands, or argv + environment of a process. */
#define VDS_MSG_MAX (128 * 1024)

/* Which of the caller's standard descriptors a CMD or SPAWN passes, in
 * order, after the reply channel: bit i for descriptor i. */
#define VDS_STDIO_ALL 0x7u

/* vde_stackspawn()'s limits: words of argv, strings of envp. */
#define VDS_SPAWN_MAXARGS 256
#define VDS_SPAWN_MAXENV 4096
/* ... and the files bound for it (vde_stackspawn_resolv): pairs. */
#define VDS_SPAWN_MAXBINDS 4
/* A bind's source that starts with this is a file's content, not a path. */
#define VDS_SPAWN_TEXT '='

/* Word vectors in the packed form of cmdline.h: in the caller's memory
 * when packed, in the received message when unpacked. */
struct vds_req_words {
	const char *buf;
	size_t len;
};

struct vds_req_newstack {
	uint32_t flags;     /* VDS_NEWSTACK_* */
	uint32_t mtu;       /* 0: the kernel's default */
	const char *ifname; /* passes vds_ifname_check() */
	const char *key;    /* the kernel segment's key (kseg.c), or NULL;
			     * required by VDS_NEWSTACK_BRIDGE */
};

struct vds_req_socket {
	int32_t domain, type, protocol; /* as socket(2) takes them */
};

struct vds_req_cmd {
	uint32_t stdio;     /* VDS_STDIO_ALL bits */
	int32_t pgid;       /* the caller's process group */
	struct vds_req_words cmds; /* one vector per command (cmdline.c):
				    * each absolute, VDS_CMD_MAX bytes */
};

struct vds_req_spawn {
	uint32_t stdio;     /* VDS_STDIO_ALL bits */
	int32_t pgid;       /* the caller's process group */
	struct vds_req_words argv; /* one vector, argv[0] absolute */
	struct vds_req_words envp; /* one vector, maybe empty */
	struct vds_req_words binds; /* len 0: none; else one vector of
				     * pairs, a file and the absolute path
				     * it is bound over in a mount
				     * namespace of the program's own; the
				     * file is an absolute path, or
				     * VDS_SPAWN_TEXT then its content */
};

struct vds_req_uplink {
	uint32_t flags;     /* VDS_NEWSTACK_VNET or 0 */
	const char *key;    /* the segment's key */
};

/* DELIF: the interface to remove from the stack. */
struct vds_req_delif {
	const char *ifname; /* passes vds_ifname_check() */
};

/* SYSCTL: a network setting of the stack's namespace, written as
 * /proc/sys/PATH: PATH starts with "net/", its components separated by
 * '/' (an interface name may hold a dot), none empty, "." or "..". */
#define VDS_SYSCTL_PATH_MAX 128
#define VDS_SYSCTL_VALUE_MAX 64
struct vds_req_sysctl {
	const char *path;   /* passes vds_sysctl_check() */
	const char *value;  /* printable, 1 to VDS_SYSCTL_VALUE_MAX bytes */
};

/* Validate a SYSCTL's path and value.  Return: 0 or -EINVAL. */
int vds_sysctl_check(const char *path, const char *value);

/* PUMP: an interface of a stack, joined to its segment's bridge, taken
 * off it to be pumped by the application (its link conditions and
 * captures live in the pump), or put back.  The reply to VDS_PUMP_ON
 * brings an AF_PACKET socket on the interface's veth peer
 * (VDS_NEWSTACK_VNET: with virtio-net headers). */
#define VDS_PUMP_ON 0x1u
struct vds_req_pump {
	uint32_t flags;     /* VDS_PUMP_ON, VDS_NEWSTACK_VNET */
	const char *ifname; /* the interface; passes vds_ifname_check() */
};

/* A request: op says which member of the union holds. */
struct vds_req {
	enum vds_op op;
	uint32_t id;        /* the stack (all but NEWSTACK and UPLINK) */
	bool keep;          /* sent on the control socket: the helper keeps
			     * the reply channel after replying and serves the
			     * requests that later arrive on it (a thread's
			     * cached channel, helper.c); cached ops only */
	union {
		struct vds_req_newstack newstack;
		struct vds_req_socket socket;
		struct vds_req_cmd cmd;
		struct vds_req_spawn spawn;
		struct vds_req_uplink uplink;
		struct vds_req_newstack addif; /* ADDIF: as NEWSTACK's */
		struct vds_req_delif delif;
		struct vds_req_sysctl sysctl;
		struct vds_req_pump pump;
	};
};

/* The reply (and the helper's hello, with id 0): for SPAWN, id is the
 * program's pid. */
struct vds_rep {
	int32_t status;  /* >= 0 result, -errno failure */
	uint32_t id;
};

/* Pack a request into buf, as snprintf() does: nothing is written unless
 * the whole message fits in size.  Return: the message's length, or
 * -E2BIG beyond VDS_MSG_MAX, -EINVAL for an unknown op. */
ssize_t vds_proto_pack(const struct vds_req *req, void *buf, size_t size);

/* Check and decode a received request, which came with nfds descriptors
 * after its reply channel; *ret's pointers point into buf.
 * Return: 0, -EOPNOTSUPP for an unknown op, -EINVAL for a bad interface
 * name, -EBADMSG for anything else malformed. */
int vds_proto_unpack(const void *buf, size_t len, unsigned nfds,
		     struct vds_req *ret);

/* The spawner's channel: vde_stackspawn()'s process descriptor is one
 * end of a SOCK_SEQPACKET pair the helper makes, the program's spawner
 * holds the other.  The application sends kill requests on it; the
 * spawner sends one status report when the program has ended, then
 * closes its end (as it does, killing the program, when the
 * application's end closes). */
struct vds_spawn_kill {
	int32_t sig;     /* 1 to _NSIG - 1 */
};
struct vds_spawn_status {
	int32_t wstatus; /* as waitpid(2) gives it */
};

/* Ask the spawner at the other end of pd to send sig to its program.
 * Return: 0 or -errno (-EPIPE, -ECONNRESET: the spawner is gone). */
int vds_proto_kill_send(int pd, int sig);
/* The spawner's next kill request.  Return: 1 with *ret_sig, 0 when the
 * application's end is closed (or cannot be read), -EBADMSG for a
 * message that is not one (ignored). */
int vds_proto_kill_recv(int chan, int *ret_sig);
/* Report the program's end.  Return: 0 or -errno. */
int vds_proto_status_send(int chan, int wstatus);
/* Wait for the status report on pd.  Return: 0 with *ret_wstatus, -ESRCH
 * when the channel closed without one (collected already, or the helper
 * died), or -errno. */
int vds_proto_status_recv(int pd, int *ret_wstatus);

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
