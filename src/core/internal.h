/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* internal.h - declarations shared by the core modules and the backends. */
#ifndef VDS_INTERNAL_H
#define VDS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "vdestack.h"

#define VDS_EXPORT __attribute__((visibility("default")))

#define VDS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Default interface name inside a stack, and the longest name the kernel
 * takes (IFNAMSIZ - 1). */
#define VDS_DEFAULT_IFNAME "vde0"
#define VDS_IFNAME_MAX 15

/* ------------------------------------------------------------------ */
/* alloc.c: the one allocator entry point (fault injection in tests)   */
/* ------------------------------------------------------------------ */

void *vds_malloc(size_t size);
void *vds_calloc(size_t n, size_t size);
void *vds_realloc(void *ptr, size_t size);
char *vds_strdup(const char *s);
void vds_free(void *ptr);

/* Make the Nth allocation from now fail (1 = the next one); 0 disables.
 * Return: the number of allocations made since the last call. */
unsigned long vds_alloc_fail_at(unsigned long n);
/* Blocks allocated and not freed yet (leak tests).  Return: the count. */
long vds_alloc_live(void);

/* ------------------------------------------------------------------ */
/* sys.c: the system-call seam (unit tests --wrap these)               */
/* ------------------------------------------------------------------ */
/* Each returns >= 0 on success, -errno on failure. */

pid_t vds_sys_fork(void);
int vds_sys_unshare(int flags);
int vds_sys_setns(int fd, int nstype);
int vds_sys_open(const char *path, int flags);
int vds_sys_ioctl(int fd, unsigned long req, void *arg);
int vds_sys_socketpair(int domain, int type, int protocol, int sv[2]);
int vds_sys_socket(int domain, int type, int protocol);
int vds_sys_write_file(const char *path, const char *text);

/* ------------------------------------------------------------------ */
/* cmdline.c: vde_stackcmd parsing                                     */
/* ------------------------------------------------------------------ */

/* A parsed command sequence, packed in one buffer that is sent as is to
 * the helper: for each command, its word count (2 bytes, host order) and
 * then its words, each ending with a NUL. */
struct vds_cmdseq {
	char *buf;       /* "argv0\0arg1\0\0argv0\0\0" */
	size_t len;      /* bytes used in buf */
	unsigned ncmds;  /* number of commands */
};

/* Parse "cmd args;cmd args" (quotes group words, backslash escapes).
 * flags: VDS_CMDLINE_* below.
 * Return: 0; -EINVAL for an empty sequence, an unterminated quote or a
 * relative command path; -E2BIG beyond VDS_CMD_MAX; -ENOMEM. */
int vds_cmdline_parse(const char *text, unsigned flags, struct vds_cmdseq *ret);

#define VDS_CMDLINE_ONE 0x1u      /* one command: ';' is an ordinary char */
#define VDS_CMDLINE_RELATIVE 0x2u /* allow a program name without '/' */
void vds_cmdline_free(struct vds_cmdseq *seq);

/* Iterate: *pos starts at 0; fills argv (up to max-1 words, NULL-ended)
 * with pointers into buf.  Return: number of words, 0 at the end,
 * -EBADMSG for a malformed buffer (or a relative program name unless
 * flags has VDS_CMDLINE_RELATIVE), -E2BIG if argv is too small. */
int vds_cmdline_next(const char *buf, size_t len, size_t *pos, char **argv,
		     unsigned max, unsigned flags);

#define VDS_CMD_MAX 32768 /* longest packed sequence, bytes */
#define VDS_CMD_MAXARGS 256

/* ------------------------------------------------------------------ */
/* loop.c: the event loop that runs the frame pumps                    */
/* ------------------------------------------------------------------ */
/*
 * One loop is one thread with an epoll set.  Stacks are spread over a
 * small pool of loops (see loop.c, Theory of operation).  All the calls
 * below that take a loop must run on that loop's thread, except
 * vds_loop_acquire, vds_loop_release and vds_loop_call.
 */
#define VDS_LOOP_FILL 64 /* stacks on a loop before another one starts */

struct vds_loop;
struct vds_watch;
struct vds_timer;
struct vds_source;

typedef void (*vds_watch_cb)(void *arg, uint32_t events);
typedef void (*vds_timer_cb)(void *arg);

/* Per-iteration hooks, modelled on GLib's GSource. */
struct vds_source_ops {
	/* Before the wait: may add/modify watches; lowers *timeout_ms
	 * (-1 = infinite) to what the source needs. */
	void (*prepare)(void *arg, int *timeout_ms);
	/* After the wait, every iteration, after the fd callbacks ran. */
	void (*check)(void *arg);
};

/* Take a loop from the pool for one more user (starts its thread when
 * needed).  Return: 0 or -errno. */
int vds_loop_acquire(struct vds_loop **ret);
/* The same from the pool of loops without the seccomp filter, for a
 * backend that starts programs on its loop.  Return: 0 or -errno. */
int vds_loop_acquire_exec(struct vds_loop **ret);
/* Return: true when the loop's thread runs under the seccomp filter. */
bool vds_loop_sandboxed(const struct vds_loop *loop);

/* sandbox.c: install the frame pump's seccomp filter on the calling
 * thread.  Return: 0, -ENOSYS (unknown architecture) or -errno. */
int vds_sandbox_thread(void);
/* Give the loop back; its thread ends when nobody uses it. */
void vds_loop_release(struct vds_loop *loop);
/* Run fn(arg) on the loop's thread and wait for it (runs inline when
 * called from that thread).  Return: fn's return value. */
/* loop.c: the monotonic clock in microseconds. */
int64_t vds_now_us(void);
int vds_loop_call(struct vds_loop *loop, int (*fn)(void *arg), void *arg);

int vds_loop_watch_add(struct vds_loop *loop, int fd, uint32_t events,
		       vds_watch_cb cb, void *arg, struct vds_watch **ret);
int vds_loop_watch_mod(struct vds_watch *w, uint32_t events);
void vds_loop_watch_del(struct vds_watch *w);

/* One-shot timer, due in ms from now. */
int vds_loop_timer_add(struct vds_loop *loop, vds_timer_cb cb, void *arg,
		       struct vds_timer **ret);
void vds_loop_timer_arm(struct vds_timer *t, int64_t due_ms_from_now);
void vds_loop_timer_disarm(struct vds_timer *t);
void vds_loop_timer_del(struct vds_timer *t);

int vds_loop_source_add(struct vds_loop *loop,
			const struct vds_source_ops *ops, void *arg,
			struct vds_source **ret);
void vds_loop_source_del(struct vds_source *s);

/* Monotonic clock in ms. */
int64_t vds_now_ms(void);

/* ------------------------------------------------------------------ */
/* Frames and the backend vtable                                        */
/* ------------------------------------------------------------------ */

/* One Ethernet frame (no FCS).  Buffers belong to the caller and are
 * valid only during the call that passes them. */
struct vds_frame {
	void *data;
	size_t len;
};

struct vds_port;
struct vds_backend;

/*
 * struct vds_backend_ops - the frame transport behind a stack's interface.
 *
 * A backend's state struct starts with a struct vds_backend header.  The
 * core calls open and close from the application's thread, and start,
 * send and stop on the loop thread that pumps the stack.
 */
struct vds_backend_ops {
	/* URL scheme ("mem" for mem://NAME); NULL for the fallback entry. */
	const char *scheme;

	/* Open from the full URL.  port is the core's handle for this
	 * stack, to pass to vds_port_deliver.  Return: 0 or -errno
	 * (-EINVAL for a malformed URL). */
	int (*open)(const char *url, struct vds_port *port,
		    struct vds_backend **ret);

	/* Register fds, timers and sources on the loop.  Return: 0/-errno. */
	int (*start)(struct vds_backend *be, struct vds_loop *loop);

	/* Frames read from the interface, to send out.  Must not block:
	 * drop what cannot be sent now.  Return: frames consumed. */
	unsigned (*send)(struct vds_backend *be, const struct vds_frame *f,
			 unsigned n);

	/* Undo start (on the loop thread). */
	void (*stop)(struct vds_backend *be);

	/* Release everything; accepts a backend that was never started. */
	void (*close)(struct vds_backend *be);

	/* Largest frame (Ethernet header included) the backend carries;
	 * 0 = no limit the core needs to know. */
	size_t max_frame;

	/* VDS_BACKEND_* */
	unsigned flags;

	/* Optional (NULL: never).  After open(): the key of the segment
	 * this backend's stack is on, when the members of that segment may
	 * be joined in the kernel instead of through send() and
	 * vds_port_deliver(): every stack of the process whose backend has
	 * these ops and returns the same key is on one Ethernet segment.
	 * The core then links such stacks with veth pairs to one bridge in
	 * the helper (bridge.c) and never starts their ports; a member it
	 * cannot join there (a tap, a full bridge) is pumped as usual, and
	 * the core adds one more port of the backend (opened on the same URL)
	 * as the uplink between the two.  The string lives as long as the
	 * backend.  Return: the key, or NULL for a stack that must not be
	 * joined in the kernel. */
	const char *(*kernel_segment)(struct vds_backend *be);
};

/* The backend takes and gives frames that start with a struct
 * virtio_net_hdr (10 bytes: checksum and segmentation offload data, see
 * <linux/virtio_net.h>), so the interface is made with IFF_VNET_HDR and
 * TSO/checksum offloads: a 64 KiB TCP segment crosses as one frame. */
#define VDS_BACKEND_VNET_HDR 0x1u
#define VDS_VNET_HDR_LEN 10

/* Common header of every backend's state. */
struct vds_backend {
	const struct vds_backend_ops *ops;
	struct vds_port *port;
	/* MTU for the stack's interface, set by open(); 0 = the kernel's
	 * default (1500). */
	unsigned mtu;
	/* set by open() when the backend starts programs from its loop
	 * thread (libslirp's cmdfwd=): its loop gets no seccomp filter */
	bool execs;
};

/* Frames arriving from the network, to write to the stack's interface.
 * Safe from any thread (an in-memory segment delivers from the sender's
 * loop thread).  Never blocks; drops on congestion. */
void vds_port_deliver(struct vds_port *port, const struct vds_frame *f,
		      unsigned n);

/* registry.c: pick the backend for a URL.  Return: the ops, or NULL with
 * *err = -EPROTONOSUPPORT / -EINVAL. */
const struct vds_backend_ops *vds_registry_lookup(const char *url, int *err);

/* stream.c: decode the VDE stream encoding (2-byte big-endian length, then
 * the frame); frames under 14 bytes are skipped.  Return: bytes consumed. */
size_t vds_stream_decode(const unsigned char *buf, size_t len,
			 void (*deliver)(void *arg, const struct vds_frame *f),
			 void *arg);

/* The backends (each file ends with its table). */
extern const struct vds_backend_ops vds_backend_vdeplug;
extern const struct vds_backend_ops vds_backend_stream;
extern const struct vds_backend_ops vds_backend_mem;

/* ------------------------------------------------------------------ */
/* pump.c: connects a stack's interface fd to its backend               */
/* ------------------------------------------------------------------ */

/* Open the backend of url (before any namespace exists, so that a bad URL
 * costs nothing).  Return: 0 or -errno. */
int vds_port_open(const char *url, struct vds_port **ret);
/* Start pumping between the interface fd (non-blocking; owned by the port
 * from now on, also on failure) and the backend, on a loop of the pool.
 * Return: 0 or -errno. */
int vds_port_start(struct vds_port *port, int ifd);
/* VDS_BACKEND_* flags of the port's backend. */
unsigned vds_port_flags(const struct vds_port *port);
/* The backend's kernel_segment key (see struct vds_backend_ops), or NULL. */
const char *vds_port_kernel_segment(const struct vds_port *port);
/* The MTU the port's backend asks for (0: kernel default). */
unsigned vds_port_mtu(const struct vds_port *port);
/* In a forked child: release the child's copies only (the parent still
 * runs the pump and owns the backend).  Accepts NULL. */
void vds_port_forget(struct vds_port *port);
/* Stop, close the backend and the fd, free.  Accepts NULL. */
void vds_port_close(struct vds_port *port);

/* ------------------------------------------------------------------ */
/* proto.c, helper.c, src/helper/: the namespace helper and its protocol */
/* ------------------------------------------------------------------ */

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

struct vds_helper;

/* The process-wide helper, started at first use (a new one after the
 * old one died).  Returns a new reference.  Return: 0 or -errno. */
int vds_helper_get(struct vds_helper **ret);
void vds_helper_put(struct vds_helper *h);

/* One request/response with the helper over a private channel.
 * fds: descriptors to pass with the request; ret_fd: receives one
 * descriptor from the reply (or NULL).  Return: reply status (>= 0)
 * or -errno; -ESRCH when the helper is gone. */
int vds_helper_call(struct vds_helper *h, const struct vds_req *req,
		    const void *payload, const int *fds, unsigned nfds,
		    struct vds_rep *rep, int *ret_fd);

/* As vds_helper_call; with VDS_CALL_INHERIT the reply's descriptor is
 * received without close-on-exec (vde_msocket without SOCK_CLOEXEC). */
#define VDS_CALL_INHERIT 0x1u
int vds_helper_call_opt(struct vds_helper *h, const struct vds_req *req,
			const void *payload, const int *fds, unsigned nfds,
			struct vds_rep *rep, int *ret_fd, unsigned opts);

/* The calling thread's cached reply channel, or -1 (for tests). */
int vds_helper_thread_chan(void);

/* As vds_helper_call, keeping the reply channel open in *ret_chan. */
int vds_helper_call_chan(struct vds_helper *h, const struct vds_req *req,
			 const void *payload, const int *fds, unsigned nfds,
			 struct vds_rep *rep, int *ret_chan);

/* The server side, run in the helper process.  Never returns. */
void vds_helper_main(int ctl, uid_t uid, gid_t gid, pid_t parent)
	__attribute__((noreturn));

/* nsops.c: inside the helper. */
int vds_ns_setup_user(uid_t uid, gid_t gid);
/* In a new user namespace: setgroups denied, root mapped to uid/gid. */
int vds_ns_map_root(uid_t uid, gid_t gid);
/* A stack's namespaces: a user namespace of its own (a child of the
 * helper's), and the network namespace it owns.  -1: none. */
struct vds_stackns {
	int user, net;
};
#define VDS_STACKNS_NONE ((struct vds_stackns){ .user = -1, .net = -1 })
void vds_stackns_close(struct vds_stackns *ns);
/* Make a stack's namespaces (or take *ns, made by vds_ns_make; NONE:
 * none), and a tap named ifname in it, as flags VDS_NEWSTACK_* say, with
 * lo up; back in base_ns.  Return: 0/-errno (*ns closed on failure). */
int vds_ns_new_stack(int base_ns, struct vds_stackns *ns, const char *ifname,
		     unsigned flags, unsigned mtu, struct vds_stackns *ret,
		     int *ret_tap);
/* A stack's namespaces with lo up, made ahead of it; the caller stays
 * where it is.  Return: 0/-errno. */
int vds_ns_make(struct vds_stackns *ret);

/* stack.c: what a module above the stacks (fwd.c, conf.c) does when a
 * stack is ready (its port started; a failure fails vde_addstack) and
 * before it goes (in vde_delstack, and in a forked child for its copy).
 * A module adds its hooks once, before it keeps anything of a stack;
 * stack.c calls them without knowing the module. */
struct vds_stack_hooks {
	int (*ready)(struct vdestack *s, struct vds_port *port);
	void (*gone)(struct vdestack *s);
};
void vds_stack_hooks_add(const struct vds_stack_hooks *h);
/* stack.c: per-stack data of a module (NULL until set), which its gone
 * hook frees.  Callers serialise with their own lock. */
enum vds_stack_slot { VDS_SLOT_CONF, VDS_SLOTS };
void **vds_stack_slot(struct vdestack *s, enum vds_stack_slot which);
/* stack.c: the URL the stack was made on ("" for no network). */
const char *vds_stack_url(const struct vdestack *s);

/* nspool.c: inside the helper, the worker process that does slow kernel
 * work off the request path: network namespaces made ahead (a bounded
 * pool) and descriptors whose close waits for the kernel (taps, packet
 * sockets). */
/* The worker's name (prctl PR_SET_NAME; its children have it too). */
#define VDS_NSPOOL_NAME "vdestack-pool"
/* Start the worker (VDESTACK_NSPOOL: pool size, 0 = no worker).
 * Return: 0 or -errno (the helper then works without it). */
int vds_nspool_start(void);
/* A stack's namespaces made ahead (or, none being ready and with wait,
 * the next the worker makes), or VDS_STACKNS_NONE (make them now).  The
 * helper waits from VDS_NSPOOL_WAIT_FROM stacks on: its child's copy of
 * its descriptor table then costs more than a wake-up of the worker. */
#define VDS_NSPOOL_WAIT_FROM 256
struct vds_stackns vds_nspool_take(bool wait);
/* Ones made ahead with ifname a veth whose peer (*ret_peer) waits in the
 * base namespace, or VDS_STACKNS_NONE (take plain ones then). */
struct vds_stackns vds_nspool_take_spare(const char *ifname,
					  unsigned *ret_peer);
/* Note that the pool lacks namespaces (after the reply to a request). */
void vds_nspool_refill(void);
/* How long the helper waits without a request before it orders what the
 * pool lacks. */
#define VDS_NSPOOL_QUIET_MS 1
/* Whether the pool lacks namespaces not yet ordered. */
bool vds_nspool_due(void);
/* The helper was idle VDS_NSPOOL_QUIET_MS: the pool's orders go out. */
void vds_nspool_idle(void);
/* Close fd, in the worker when there is one (after the helper's reply),
 * else now. */
void vds_nspool_discard(int fd);
/* In a runner or spawner: close the worker's socket. */
void vds_nspool_drop_fds(void);

/* veth.c: the stack's interface as a veth whose peer is in base_ns, read
 * through an AF_PACKET socket.  Return: that socket, or -errno. */
int vds_veth_new(int base_ns, const char *ifname, unsigned flags,
		 unsigned mtu);

/* nsops.c: as vds_ns_new_stack (*ns: made ahead, or NONE; spare: its
 * interface's peer when made by vds_ns_make_spare, else 0), the interface
 * a veth whose peer is a port of bridge master in base_ns (no descriptor
 * for it).  *ret_peer: the peer's ifindex.  Return: 0/-errno. */
int vds_ns_new_joined(int base_ns, struct vds_stackns *ns, unsigned spare,
		      const char *ifname, unsigned master, unsigned mtu,
		      struct vds_stackns *ret, unsigned *ret_peer);
/* nsops.c: as vds_ns_make, with ifname a veth whose peer (*ret_peer, its
 * ifindex) waits down in the caller's (base) namespace.  Return: 0/-errno. */
int vds_ns_make_spare(const char *ifname, struct vds_stackns *ret,
		      unsigned *ret_peer);

struct nlmsghdr;
/* veth.c: one rtnetlink request in the current namespace, acknowledged.
 * Return: 0 or -errno. */
int vds_rtnl_call(struct nlmsghdr *nlh);
struct ifinfomsg;
/* veth.c: the header of a link request (RTM_SETLINK, RTM_DELLINK...) for
 * ifindex in buf (zeroed, large enough for what the caller adds), with
 * *ret_ifm (if not NULL) for its flags.  Return: the message. */
struct nlmsghdr *vds_rtnl_link_msg(char *buf, uint16_t type,
				   unsigned char family, unsigned ifindex,
				   struct ifinfomsg **ret_ifm);
/* veth.c: the stack's interface ifname in stack_ns as a veth whose peer
 * is born up, in the current (base) namespace, as a port of bridge
 * master; *ret_peer: the peer's ifindex, for vds_veth_cut().
 * Return: 0 or -errno. */
int vds_veth_join(int stack_ns, const char *ifname, unsigned master,
		  unsigned mtu, unsigned *ret_peer);
/* veth.c: made ahead of a stack that joins a bridge: ifname in stack_ns
 * (default MTU, down) as a veth whose peer (*ret_peer: its ifindex) waits
 * down, with no master, in the current (base) namespace.
 * Return: 0 or -errno. */
int vds_veth_spare(int stack_ns, const char *ifname, unsigned *ret_peer);
/* veth.c: the spare peer (ifindex) up as a port of bridge master.
 * Return: 0 or -errno (-EXFULL from a full bridge). */
int vds_veth_enslave(unsigned peer, unsigned master);
/* veth.c: disable the bridge port of a joined stack's peer (ifindex; its
 * namespace may live on, held by sockets): the stack is cut off from the
 * bridge both ways.
 * Return: 0 or -errno. */
int vds_veth_cut(unsigned peer);
/* veth.c: an uplink from bridge master (in base_ns) to an AF_PACKET
 * socket in a namespace of its own, which the socket keeps alive.
 * Return: the socket or -errno. */
int vds_veth_uplink(int base_ns, unsigned master, bool vnet);

/* bridge.c: the helper's bridges, one per segment key (handles >= 0). */
#define VDS_BRIDGE_MAX_MEMBERS 1022 /* the kernel's 1023 ports, less one */
int vds_bridge_find(const char *key);
int vds_bridge_get(const char *key);
unsigned vds_bridge_ifindex(int br);
bool vds_bridge_full(int br);
void vds_bridge_hold(int br);
void vds_bridge_put(int br);
void vds_bridge_reap(void);

/* kseg.c (application side): stacks of kernel-joined segments.  A
 * struct vds_kseg is one segment key of one helper. */
struct vds_kseg;
/* The NEWSTACK request req (flags set, VDS_NEWSTACK_BRIDGE among them when
 * the stack may be joined in the kernel) for a stack whose backend gave
 * the kernel-segment key key (every such stack comes here), and
 * the accounting that keeps the segment's uplink present exactly while
 * it has members of both kinds.  *ret_fd: the interface descriptor, or
 * -1 when the stack was joined in the kernel (nothing to pump).
 * Return: 0 with *ret_seg, or -errno (nothing of the stack stays). */
int vds_kseg_newstack(struct vds_helper *h, struct vds_req *req,
		      const char *ifname, const char *url, const char *key,
		      struct vds_rep *rep, int *ret_fd,
		      struct vds_kseg **ret_seg);
/* The DELSTACK of stack id, which vds_kseg_newstack made as kernel (joined)
 * or not, and its accounting; the stack's port is closed already. */
void vds_kseg_delstack(struct vds_kseg *seg, bool kernel,
		       struct vds_helper *h, uint32_t id);
/* VDESTACK_BRIDGE: whether stacks may be joined in the kernel at all.
 * Return: true or false, -EINVAL for another value than on/off/auto. */
int vds_kseg_allowed(const char *env);

/* Validate an interface name.  Return: 0 or -EINVAL. */
int vds_ifname_check(const char *name);

/* Inside the library, sockets are made in the host stack even when a
 * default stack is set: thread-local switch used by the socket()
 * interposition. */
extern __thread int vds_bypass_default;

/* ------------------------------------------------------------------ */
/* slirp.c, fwd.c: the slirp:// backend and the host port forwarder     */
/* ------------------------------------------------------------------ */

extern const struct vds_backend_ops vds_backend_slirp; /* VDS_HAVE_SLIRP */

#include <sys/socket.h>

/* One host -> stack forward: "[HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT"
 * (IPv6 addresses in brackets) with its protocol. */
struct vds_fwdspec {
	int proto;                    /* IPPROTO_TCP or IPPROTO_UDP */
	struct sockaddr_storage host; /* AF_INET/AF_INET6, address and port */
	struct sockaddr_storage guest;
};

/* Parse one forward of a URL list or of vde_stackfwd, proto given.
 * text[0..len) is "[HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT"; an empty or
 * missing HOSTADDR is 0.0.0.0 (:: for an IPv6 guest).  With only_host,
 * "[HOSTADDR:]HOSTPORT" is accepted too (guest family AF_UNSPEC).
 * Return: 0 or -EINVAL. */
int vds_fwd_parse_item(const char *text, size_t len, int proto,
		       bool only_host, struct vds_fwdspec *ret);
/* Parse "tcp:ITEM" or "udp:ITEM" (see vds_fwd_parse_item).
 * Return: 0 or -EINVAL. */
int vds_fwd_parse(const char *spec, bool only_host, struct vds_fwdspec *ret);

/* Forwards asked for by a backend's URL (slirp's tcpfwd=/udpfwd=) before
 * the stack exists: bound and listening at once, in the host's stack, so
 * that EADDRINUSE comes from vde_addstack before any namespace is made;
 * they start serving when the stack is ready (fwd.c's stack hooks).
 * Return: 0 or -errno (on failure none of them stays). */
int vds_fwd_port_request(struct vds_port *port,
			 const struct vds_fwdspec *specs, unsigned n);
/* Drop the forwards port asked for that no stack took (backend close). */
void vds_fwd_port_cancel(struct vds_port *port);
/* Add or remove a forward (the work of vde_stackfwd/vde_stackunfwd).
 * Return: 0, -EINVAL, -EADDRINUSE, -ENOENT (remove), -errno. */
int vds_fwd_add(struct vdestack *stack, const struct vds_fwdspec *spec);
int vds_fwd_del(struct vdestack *stack, const struct vds_fwdspec *spec);

#endif /* VDS_INTERNAL_H */
