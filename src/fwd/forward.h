/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* forward.h - one forward as the files of src/fwd share it (fwd.c makes
 * and removes it, splice.c serves TCP, flow.c UDP), either way: host ->
 * stack (peer sockets made in the stack by the maker) or stack -> host
 * (tcp-ns/udp-ns: listening in the stack, peer sockets on the host). */
#ifndef VDS_FORWARD_H
#define VDS_FORWARD_H

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "maker.h"
#include "base/fwdspec.h"
#include "base/sys.h"
#include "core/loop.h"
#include <vdestack.h>

/* Jobs a forward may have at the maker at once: a TCP listener stops
 * accepting there (the connections wait in the kernel's listen backlog),
 * a UDP forward drops the datagrams of further new clients. */
#define FWD_WAITING_MAX 64
/* The largest UDP datagram (the size of vds_fwd's buf). */
#define FWD_UDP_BUF 65536

struct vds_splice;
struct vds_flow;
struct vds_fwd;

/* One listening (tcp) or bound (udp) socket of a forward: the listening
 * port spec's + index, whose clients go to peer. */
struct vds_fwd_listener {
	struct vds_fwd *fwd;
	int fd;
	unsigned index;
	struct sockaddr_storage peer; /* where its connections go */
	struct vds_watch *w;          /* loop thread */
};

/* One forward: its host socket and what it serves.  Fields below "loop
 * thread" belong to the loop's thread once the forward has started;
 * the lists that hold descriptors change under the maker's lock too
 * (vds_maker_lock: the fork guard). */
struct vds_fwd {
	struct vds_fwdspec spec;
	struct vdestack *stack;
	pid_t owner;              /* the process that made it */
	struct vds_fwd_listener *ls; /* spec.span + 1 of them */
	unsigned nls;             /* how many have a socket */
	struct vds_loop *loop;
	bool started;
	bool direct;              /* peers on the host: no maker (to_host) */
	struct vds_maker_client mk;
	struct vds_fwd *next;     /* in its stack's slot (fwd.c's lock) */
	/* loop thread */
	struct vds_watch *mw;     /* on the maker's eventfd (mk.efd) */
	struct vds_timer *timer;  /* tcp: listener pause; udp: sweep */
	bool timer_armed;         /* udp: the sweep is due */
	bool paused;              /* tcp: resting, out of descriptors */
	bool listening;           /* tcp: the listeners ask for EPOLLIN */
	unsigned waiting;         /* its jobs at the maker */
	struct vds_splice *conns; /* tcp: connections with both sockets */
	struct vds_flow *flows;   /* udp: clients, waiting ones included */
	unsigned nflows;
	unsigned char *buf;       /* udp: one datagram */
};

/* fwd_addrlen - Return: the length of the sockaddr of ss's family. */
static inline socklen_t fwd_addrlen(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

/* fwd_host_peer - a peer socket on the host for a direct forward (to_host),
 * made on the loop thread: a plain socket(2), no round trip to anyone.
 * Return: the descriptor (non-blocking, close-on-exec) or -errno. */
static inline int fwd_host_peer(const struct vds_fwd_listener *l, int type)
{
	return vds_sys_socket(l->peer.ss_family,
			      type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* fwd_out_of_fds - Return: whether -errno err says that descriptors or
 * memory ran out (the listener then rests: splice.c). */
static inline bool fwd_out_of_fds(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOBUFS ||
	       err == -ENOMEM;
}

#endif /* VDS_FORWARD_H */
