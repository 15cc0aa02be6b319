/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * proto.c - the control protocol between the application and its helper.
 *
 * Theory of operation: the helper listens on one SOCK_SEQPACKET socket.
 * Every request is one message that carries, as its first passed
 * descriptor, one end of a fresh socketpair: the helper answers there
 * (struct vds_rep, plus a descriptor for NEWSTACK, ADDIF, SOCKET, UPLINK,
 * PUMP and SPAWN).  Messages on a seqpacket socket are atomic, so any number of
 * threads, and forked children of the application, can talk to the
 * helper at once without a lock and without replies crossing.  A reply
 * channel that reads end-of-file means the helper is gone.
 *
 * A request with keep set asks the helper to keep its reply channel:
 * later requests of the same thread travel on that channel itself (no
 * descriptor to pass, no socketpair to make), one at a time, and are
 * answered there.  Only the requests the helper answers itself may do so;
 * the table of ops below says which those are, who answers each op (the
 * helper, a runner, a spawner), and how each is packed and checked.
 *
 * The wire format is this file's alone.  A message is a header (op, with
 * OP_KEEP or'ed in for keep, the stack id, and the length of what
 * follows), then the op's fixed part (a wire_* struct below), then its
 * variable part: NEWSTACK's (and ADDIF's) optional segment key and
 * UPLINK's key as one NUL-ended string, SYSCTL's path and value as two, CMD's commands and SPAWN's argv and envp as word
 * vectors in the packed form of cmdline.h (one packer and one reader for
 * all of them).  Both ends are the same build of the library (the helper
 * is forked from it), so the integers travel in host order.  The
 * application packs (vds_proto_pack), the helper checks everything
 * before it acts (vds_proto_unpack, with bounds): a request that passes
 * cannot make a handler read outside the message, and carries the
 * descriptors its op says.  fuzz/fuzz_proto.c runs the check on
 * arbitrary bytes.
 *
 * The spawner's channel (vde_stackspawn()'s process descriptor) has two
 * messages of its own, a kill request and a status report.
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
#include "cmdline.h"
#include "internal.h"

/* The one byte above 0x7f that the kernel's isspace() takes for white
 * space (its ctype table is Latin-1's: no-break space), so that
 * dev_valid_name() refuses a name holding it. */
#define IFNAME_KERNEL_NBSP 0xa0

#define VDS_MAX_FDS 4

/* Or'ed into the op of a request sent on the control socket: struct
 * vds_req's keep. */
#define OP_KEEP 0x100u
#define OP_MASK 0xffu

/* The message header. */
struct wire_hdr {
	uint32_t op;
	uint32_t id;
	uint32_t len;    /* bytes after the header */
};

/* NEWSTACK's fixed part; the key (NUL-ended), if any, follows. */
struct wire_newstack {
	uint32_t flags;
	uint32_t mtu;
	char ifname[VDS_IFNAME_MAX + 1]; /* NUL-padded */
};

struct wire_socket {
	int32_t domain, type, protocol;
};

/* CMD's and SPAWN's fixed part; the word vectors follow. */
struct wire_stdio {
	uint32_t stdio;
	int32_t pgid;
};

/* UPLINK's fixed part; the key (NUL-ended) follows. */
struct wire_uplink {
	uint32_t flags;
};

/* DELIF's whole body. */
struct wire_delif {
	char ifname[VDS_IFNAME_MAX + 1]; /* NUL-padded */
};

/* PUMP's whole body. */
struct wire_pump {
	uint32_t flags;
	char ifname[VDS_IFNAME_MAX + 1]; /* NUL-padded */
};

/* A message being packed: bytes are counted always, written only while
 * they fit. */
struct out {
	char *buf;
	size_t size, len;
};

/* out_put - append n bytes to o. */
static void out_put(struct out *o, const void *data, size_t n)
{
	if (n && o->len <= o->size && n <= o->size - o->len)
		memcpy(o->buf + o->len, data, n);
	o->len += n;
}

/* out_str - append a string with its NUL; nothing for NULL. */
static void out_str(struct out *o, const char *s)
{
	if (s)
		out_put(o, s, strlen(s) + 1);
}

/* tail_key - the variable part of a message as a key: one non-empty
 * NUL-ended string that ends the message.
 * Return: 0 with *ret, or -EBADMSG. */
static int tail_key(const char *tail, size_t len, const char **ret)
{
	if (len < 2 || tail[len - 1] != '\0' || strlen(tail) != len - 1)
		return -EBADMSG;
	*ret = tail;
	return 0;
}

/* stdio_check - a CMD's or SPAWN's descriptor mask, against the nfds
 * descriptors that came.  Return: 0 or -EBADMSG. */
static int stdio_check(uint32_t stdio, unsigned nfds)
{
	if ((stdio & ~VDS_STDIO_ALL) ||
	    (unsigned)__builtin_popcount(stdio) != nfds)
		return -EBADMSG;
	return 0;
}

/* pack_newstack - NEWSTACK's fixed part and key into o. */
static void pack_newstack(const struct vds_req *req, struct out *o)
{
	struct wire_newstack w = {
		.flags = req->newstack.flags,
		.mtu = req->newstack.mtu,
	};

	/* a longer name fills the field without a NUL: refused at the other
	 * end (the application checks it first) */
	memcpy(w.ifname, req->newstack.ifname,
	       strnlen(req->newstack.ifname, sizeof(w.ifname)));
	out_put(o, &w, sizeof(w));
	out_str(o, req->newstack.key);
}

/* unpack_newstack - NEWSTACK: the name checked as the kernel would, and
 * a key where the flags need one.  Return: 0, -EINVAL, -EBADMSG. */
static int unpack_newstack(struct vds_req *req, const char *body, size_t len,
			   unsigned nfds)
{
	struct vds_req_newstack *r = &req->newstack;
	const char *ifname = body + offsetof(struct wire_newstack, ifname);
	struct wire_newstack w;

	if (nfds || len < sizeof(w))
		return -EBADMSG;
	memcpy(&w, body, sizeof(w));
	if (!memchr(w.ifname, '\0', sizeof(w.ifname)))
		return -EINVAL; /* too long */
	*r = (struct vds_req_newstack){
		.flags = w.flags, .mtu = w.mtu, .ifname = ifname,
	};
	if (len > sizeof(w) &&
	    tail_key(body + sizeof(w), len - sizeof(w), &r->key) < 0)
		return -EBADMSG;
	if ((r->flags & VDS_NEWSTACK_BRIDGE) && !r->key)
		return -EBADMSG;
	return vds_ifname_check(r->ifname);
}

/* unpack_delstack - DELSTACK: nothing but the id, and at most one
 * descriptor (the application's copy of the stack's interface, given for
 * the helper's worker to close).  Return: 0 or -EBADMSG. */
static int unpack_delstack(struct vds_req *req, const char *body, size_t len,
			   unsigned nfds)
{
	(void)req;
	(void)body;
	return nfds > 1 || len ? -EBADMSG : 0;
}

/* pack_socket - SOCKET's three integers into o. */
static void pack_socket(const struct vds_req *req, struct out *o)
{
	struct wire_socket w = {
		.domain = req->socket.domain,
		.type = req->socket.type,
		.protocol = req->socket.protocol,
	};

	out_put(o, &w, sizeof(w));
}

/* unpack_socket - SOCKET: the three integers (socket(2) checks them).
 * Return: 0 or -EBADMSG. */
static int unpack_socket(struct vds_req *req, const char *body, size_t len,
			 unsigned nfds)
{
	struct wire_socket w;

	if (nfds || len != sizeof(w))
		return -EBADMSG;
	memcpy(&w, body, sizeof(w));
	req->socket = (struct vds_req_socket){
		.domain = w.domain, .type = w.type, .protocol = w.protocol,
	};
	return 0;
}

/* pack_cmd - CMD's mask and group, then its commands, into o. */
static void pack_cmd(const struct vds_req *req, struct out *o)
{
	struct wire_stdio w = { .stdio = req->cmd.stdio,
				.pgid = req->cmd.pgid };

	out_put(o, &w, sizeof(w));
	out_put(o, req->cmd.cmds.buf, req->cmd.cmds.len);
}

/* unpack_cmd - CMD: descriptors as the mask says, and one or more
 * commands, every one well formed, VDS_CMD_MAX bytes at most.
 * Return: 0 or -EBADMSG. */
static int unpack_cmd(struct vds_req *req, const char *body, size_t len,
		      unsigned nfds)
{
	char *argv[VDS_CMD_MAXARGS];
	struct wire_stdio w;
	const char *cmds = body + sizeof(w);
	size_t clen = len - sizeof(w), pos = 0;
	int n;

	if (len < sizeof(w))
		return -EBADMSG;
	memcpy(&w, body, sizeof(w));
	if (stdio_check(w.stdio, nfds) < 0 || clen == 0 || clen > VDS_CMD_MAX)
		return -EBADMSG;
	/* the walk the runner makes, before anything runs */
	while ((n = vds_cmdline_next(cmds, clen, &pos, argv,
				     VDS_ARRAY_SIZE(argv), 0)) > 0)
		;
	if (n < 0)
		return -EBADMSG;
	req->cmd = (struct vds_req_cmd){
		.stdio = w.stdio, .pgid = w.pgid,
		.cmds = { .buf = cmds, .len = clen },
	};
	return 0;
}

/* pack_spawn - SPAWN's mask and group, then argv and envp, into o. */
static void pack_spawn(const struct vds_req *req, struct out *o)
{
	struct wire_stdio w = { .stdio = req->spawn.stdio,
				.pgid = req->spawn.pgid };

	out_put(o, &w, sizeof(w));
	out_put(o, req->spawn.argv.buf, req->spawn.argv.len);
	out_put(o, req->spawn.envp.buf, req->spawn.envp.len);
	out_put(o, req->spawn.binds.buf, req->spawn.binds.len);
}

/* binds_check - SPAWN's optional vector of binds at *pos of vecs (vlen
 * bytes): pairs of a source (an absolute path, or VDS_SPAWN_TEXT and a
 * file's content) and an absolute target, up to VDS_SPAWN_MAXBINDS,
 * ending the message.  Return: 0 or -EBADMSG. */
static int binds_check(const char *vecs, size_t vlen, size_t *pos)
{
	char *w[2 * VDS_SPAWN_MAXBINDS + 1];
	int n = vds_cmdline_words(vecs, vlen, pos, w, VDS_ARRAY_SIZE(w));

	if (n < 2 || n % 2 || *pos != vlen)
		return -EBADMSG;
	for (int i = 0; i < n; i++)
		if (w[i][0] != '/' && (i % 2 || w[i][0] != VDS_SPAWN_TEXT))
			return -EBADMSG;
	return 0;
}

/* unpack_spawn - SPAWN: descriptors as the mask says, argv (1 to
 * VDS_SPAWN_MAXARGS words, the first an absolute path), envp (up to
 * VDS_SPAWN_MAXENV strings), optionally the binds (binds_check), and
 * nothing after.
 * Return: 0 or -EBADMSG. */
static int unpack_spawn(struct vds_req *req, const char *body, size_t len,
			unsigned nfds)
{
	struct wire_stdio w;
	const char *vecs = body + sizeof(w);
	size_t vlen = len - sizeof(w), argv_end = 0, pos, env_end;
	int argc, envc;

	if (len < sizeof(w))
		return -EBADMSG;
	memcpy(&w, body, sizeof(w));
	if (stdio_check(w.stdio, nfds) < 0)
		return -EBADMSG;
	argc = vds_cmdline_words(vecs, vlen, &argv_end, NULL,
				 VDS_SPAWN_MAXARGS + 1);
	if (argc < 1 || vecs[sizeof(uint16_t)] != '/')
		return -EBADMSG; /* the first word follows the count */
	pos = argv_end;
	envc = vds_cmdline_words(vecs, vlen, &pos, NULL, VDS_SPAWN_MAXENV + 1);
	if (envc < 0)
		return -EBADMSG;
	env_end = pos;
	if (pos != vlen && binds_check(vecs, vlen, &pos) < 0)
		return -EBADMSG;
	req->spawn = (struct vds_req_spawn){
		.stdio = w.stdio, .pgid = w.pgid,
		.argv = { .buf = vecs, .len = argv_end },
		.envp = { .buf = vecs + argv_end, .len = env_end - argv_end },
		.binds = { .buf = vecs + env_end, .len = vlen - env_end },
	};
	return 0;
}

/* pack_uplink - UPLINK's flags and key into o. */
static void pack_uplink(const struct vds_req *req, struct out *o)
{
	struct wire_uplink w = { .flags = req->uplink.flags };

	out_put(o, &w, sizeof(w));
	out_str(o, req->uplink.key);
}

/* unpack_uplink - UPLINK: the flags (VNET at most) and a key.
 * Return: 0 or -EBADMSG. */
static int unpack_uplink(struct vds_req *req, const char *body, size_t len,
			 unsigned nfds)
{
	struct wire_uplink w;

	if (nfds || len < sizeof(w))
		return -EBADMSG;
	memcpy(&w, body, sizeof(w));
	if (w.flags & ~VDS_NEWSTACK_VNET)
		return -EBADMSG;
	req->uplink = (struct vds_req_uplink){ .flags = w.flags };
	return tail_key(body + sizeof(w), len - sizeof(w), &req->uplink.key);
}

/* pack_delif - DELIF's interface name into o. */
static void pack_delif(const struct vds_req *req, struct out *o)
{
	struct wire_delif w = { .ifname = { 0 } };

	/* a longer name fills the field without a NUL: refused there */
	memcpy(w.ifname, req->delif.ifname,
	       strnlen(req->delif.ifname, sizeof(w.ifname)));
	out_put(o, &w, sizeof(w));
}

/* unpack_delif - DELIF: one interface name, checked as the kernel would.
 * Return: 0, -EINVAL, -EBADMSG. */
static int unpack_delif(struct vds_req *req, const char *body, size_t len,
			unsigned nfds)
{
	const char *ifname = body + offsetof(struct wire_delif, ifname);

	if (nfds || len != sizeof(struct wire_delif))
		return -EBADMSG;
	if (!memchr(ifname, '\0', sizeof(((struct wire_delif *)0)->ifname)))
		return -EINVAL;
	req->delif = (struct vds_req_delif){ .ifname = ifname };
	return vds_ifname_check(ifname);
}

/* pack_sysctl - SYSCTL's path and value, each NUL-ended, into o. */
static void pack_sysctl(const struct vds_req *req, struct out *o)
{
	out_str(o, req->sysctl.path);
	out_str(o, req->sysctl.value);
}

/* unpack_sysctl - SYSCTL: two NUL-ended strings that end the message,
 * the path and value vds_sysctl_check() takes.
 * Return: 0, -EINVAL, -EBADMSG. */
static int unpack_sysctl(struct vds_req *req, const char *body, size_t len,
			 unsigned nfds)
{
	size_t plen = strnlen(body, len);

	if (nfds || plen + 1 >= len)
		return -EBADMSG;
	req->sysctl = (struct vds_req_sysctl){ .path = body,
					       .value = body + plen + 1 };
	if (tail_key(req->sysctl.value, len - plen - 1, &req->sysctl.value) < 0)
		return -EBADMSG;
	return vds_sysctl_check(req->sysctl.path, req->sysctl.value);
}

/* pack_pump - PUMP's flags and interface name into o. */
static void pack_pump(const struct vds_req *req, struct out *o)
{
	struct wire_pump w = { .flags = req->pump.flags, .ifname = { 0 } };

	/* a longer name fills the field without a NUL: refused there */
	memcpy(w.ifname, req->pump.ifname,
	       strnlen(req->pump.ifname, sizeof(w.ifname)));
	out_put(o, &w, sizeof(w));
}

/* unpack_pump - PUMP: its flags (ON and VNET at most) and an interface
 * name, checked as the kernel would.  Return: 0, -EINVAL or -EBADMSG. */
static int unpack_pump(struct vds_req *req, const char *body, size_t len,
		       unsigned nfds)
{
	const char *ifname = body + offsetof(struct wire_pump, ifname);
	uint32_t flags;

	if (nfds || len != sizeof(struct wire_pump))
		return -EBADMSG;
	memcpy(&flags, body + offsetof(struct wire_pump, flags),
	       sizeof(flags));
	if (flags & ~(VDS_PUMP_ON | VDS_NEWSTACK_VNET))
		return -EBADMSG;
	if (!memchr(ifname, '\0', sizeof(((struct wire_pump *)0)->ifname)))
		return -EINVAL;
	req->pump = (struct vds_req_pump){ .flags = flags, .ifname = ifname };
	return vds_ifname_check(ifname);
}

/* The table of ops: who answers each, whether it may use a cached
 * channel, how it is packed (NULL: nothing but the header) and checked. */
static const struct op_entry {
	struct vds_op_info info;
	void (*pack)(const struct vds_req *req, struct out *o);
	int (*unpack)(struct vds_req *req, const char *body, size_t len,
		      unsigned nfds);
} ops[VDS_OP_COUNT] = {
	[VDS_OP_NEWSTACK] = {
		.info = { .name = "NEWSTACK", .by = VDS_BY_HELPER,
			  .cached = true },
		.pack = pack_newstack, .unpack = unpack_newstack,
	},
	[VDS_OP_DELSTACK] = {
		.info = { .name = "DELSTACK", .by = VDS_BY_HELPER,
			  .cached = true },
		.pack = NULL, .unpack = unpack_delstack,
	},
	[VDS_OP_SOCKET] = {
		.info = { .name = "SOCKET", .by = VDS_BY_HELPER,
			  .cached = true },
		.pack = pack_socket, .unpack = unpack_socket,
	},
	[VDS_OP_CMD] = {
		.info = { .name = "CMD", .by = VDS_BY_RUNNER, .cached = false },
		.pack = pack_cmd, .unpack = unpack_cmd,
	},
	[VDS_OP_SPAWN] = {
		.info = { .name = "SPAWN", .by = VDS_BY_SPAWNER,
			  .cached = false },
		.pack = pack_spawn, .unpack = unpack_spawn,
	},
	[VDS_OP_UPLINK] = {
		.info = { .name = "UPLINK", .by = VDS_BY_HELPER,
			  .cached = false },
		.pack = pack_uplink, .unpack = unpack_uplink,
	},
	/* ADDIF's struct is NEWSTACK's (the union's addif and newstack are
	 * the same type at the same place), and so is its wire form */
	[VDS_OP_ADDIF] = {
		.info = { .name = "ADDIF", .by = VDS_BY_HELPER,
			  .cached = true },
		.pack = pack_newstack, .unpack = unpack_newstack,
	},
	[VDS_OP_DELIF] = {
		.info = { .name = "DELIF", .by = VDS_BY_HELPER,
			  .cached = true },
		.pack = pack_delif, .unpack = unpack_delif,
	},
	[VDS_OP_SYSCTL] = {
		.info = { .name = "SYSCTL", .by = VDS_BY_HELPER,
			  .cached = true },
		.pack = pack_sysctl, .unpack = unpack_sysctl,
	},
	[VDS_OP_PUMP] = {
		.info = { .name = "PUMP", .by = VDS_BY_HELPER,
			  .cached = false },
		.pack = pack_pump, .unpack = unpack_pump,
	},
};

/* vds_proto_op - the table's entry for op.
 * Return: its info, or NULL when there is no such op. */
const struct vds_op_info *vds_proto_op(unsigned op)
{
	if (op >= VDS_ARRAY_SIZE(ops) || !ops[op].unpack)
		return NULL;
	return &ops[op].info;
}

/* vds_proto_pack - serialise a request (see proto.h).
 * Return: the message length, -E2BIG, -EINVAL. */
ssize_t vds_proto_pack(const struct vds_req *req, void *buf, size_t size)
{
	struct wire_hdr h = { .op = (uint32_t)req->op, .id = req->id };
	struct out o = { .buf = buf, .size = size, .len = sizeof(h) };

	if (!vds_proto_op(req->op))
		return -EINVAL;
	if (ops[req->op].pack)
		ops[req->op].pack(req, &o);
	if (o.len > VDS_MSG_MAX)
		return -E2BIG;
	if (req->keep)
		h.op |= OP_KEEP;
	h.len = (uint32_t)(o.len - sizeof(h));
	if (o.len <= size)
		memcpy(buf, &h, sizeof(h));
	return (ssize_t)o.len;
}

/* vds_proto_unpack - check and decode a received request (see proto.h).
 * Return: 0, -EOPNOTSUPP, -EINVAL, -EBADMSG. */
int vds_proto_unpack(const void *buf, size_t len, unsigned nfds,
		     struct vds_req *ret)
{
	struct wire_hdr h;
	unsigned op;

	if (len < sizeof(h) || len > VDS_MSG_MAX)
		return -EBADMSG;
	memcpy(&h, buf, sizeof(h));
	if (h.len != len - sizeof(h) || (h.op & ~(OP_MASK | OP_KEEP)))
		return -EBADMSG;
	op = h.op & OP_MASK;
	if (!vds_proto_op(op))
		return -EOPNOTSUPP;
	*ret = (struct vds_req){ .op = (enum vds_op)op, .id = h.id,
				 .keep = h.op & OP_KEEP };
	return ops[op].unpack(ret, (const char *)buf + sizeof(h), h.len, nfds);
}

/* vds_proto_kill_send - a kill request on a process descriptor.
 * Return: 0 or -errno. */
int vds_proto_kill_send(int pd, int sig)
{
	struct vds_spawn_kill k = { .sig = sig };

	return vds_proto_send(pd, &k, sizeof(k), NULL, 0);
}

/* vds_proto_kill_recv - the spawner's next kill request.
 * Return: 1 with *ret_sig, 0 when the channel is closed, -EBADMSG. */
int vds_proto_kill_recv(int chan, int *ret_sig)
{
	struct vds_spawn_kill k;
	unsigned nfds;
	ssize_t n = vds_proto_recv(chan, &k, sizeof(k), NULL, 0, &nfds);

	if (n == sizeof(k)) {
		*ret_sig = k.sig;
		return 1;
	}
	if (n == -EMSGSIZE || n > 0)
		return -EBADMSG;
	return 0;
}

/* vds_proto_status_send - the status report.  Return: 0 or -errno. */
int vds_proto_status_send(int chan, int wstatus)
{
	struct vds_spawn_status st = { .wstatus = wstatus };

	return vds_proto_send(chan, &st, sizeof(st), NULL, 0);
}

/* vds_proto_status_recv - wait for the status report on pd.
 * Return: 0 with *ret_wstatus, -ESRCH, -EBADMSG or recv's -errno. */
int vds_proto_status_recv(int pd, int *ret_wstatus)
{
	struct vds_spawn_status st;
	unsigned nfds;
	ssize_t n = vds_proto_recv(pd, &st, sizeof(st), NULL, 0, &nfds);

	if (n < 0 && n != -ECONNRESET)
		return (int)n;
	if (n == 0 || n == -ECONNRESET)
		return -ESRCH;
	if (n != sizeof(st))
		return -EBADMSG;
	*ret_wstatus = st.wstatus;
	return 0;
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

/* vds_ifname_check - validate an interface name by the kernel's rules
 * (dev_valid_name(): not empty, under IFNAMSIZ, not "." or "..", no '/',
 * ':' or white space by the kernel's isspace(), which counts the byte 0xa0
 * too), and without control characters, which the kernel would take.
 * Other bytes (UTF-8 text) are valid, whatever the signedness of char.
 * Return: 0, or -EINVAL (a name too long is never truncated). */
int vds_ifname_check(const char *name)
{
	size_t len = strnlen(name, VDS_IFNAME_MAX + 1);

	if (len == 0 || len > VDS_IFNAME_MAX)
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c == '/' || *c == ':' || *c <= ' ' || *c == 0x7f ||
		    *c == IFNAME_KERNEL_NBSP)
			return -EINVAL;
	return 0;
}

/* sysctl_component_ok - one component of a SYSCTL path (n bytes at c):
 * not empty, not "." or "..", no control character.  Return: true if ok. */
static bool sysctl_component_ok(const char *c, size_t n)
{
	if (n == 0 || (n == 1 && c[0] == '.') ||
	    (n == 2 && c[0] == '.' && c[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c[i] < ' ' || c[i] == 0x7f)
			return false;
	return true;
}

/* vds_sysctl_check - a SYSCTL's path (under net/, see proto.h) and value
 * (printable ASCII, not empty).  Return: 0 or -EINVAL. */
int vds_sysctl_check(const char *path, const char *value)
{
	size_t plen = strnlen(path, VDS_SYSCTL_PATH_MAX + 1);
	size_t vlen = strnlen(value, VDS_SYSCTL_VALUE_MAX + 1);
	const char *c = path;

	if (plen > VDS_SYSCTL_PATH_MAX || strncmp(path, "net/", 4) != 0 ||
	    vlen == 0 || vlen > VDS_SYSCTL_VALUE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < vlen; i++)
		if ((unsigned char)value[i] < ' ' ||
		    (unsigned char)value[i] >= 0x7f)
			return -EINVAL;
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);

		if (!sysctl_component_ok(c, n))
			return -EINVAL;
		if (!slash)
			return 0;
		c = slash + 1;
	}
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
