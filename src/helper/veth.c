/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * veth.c - the veth link: a stack's interface without /dev/net/tun.
 *
 * Theory of operation
 *
 * A tap needs /dev/net/tun, which containers and hardened hosts often do
 * not give (here it is mode 0600: closed to unprivileged users).  A user
 * and a network namespace are enough for a veth pair instead: the stack's
 * end carries the stack's interface name, and its peer is created directly
 * in the helper's base namespace, which is private to the library and
 * never visible inside a stack.  There the pump's descriptor is an
 * AF_PACKET socket bound to the peer: one read() is one frame that the
 * stack sent, one write() one frame that the stack receives, exactly as
 * on a tap.  PACKET_IGNORE_OUTGOING keeps our own writes out of our reads.
 *
 * With a vnet-header backend (mem://), PACKET_VNET_HDR puts the same
 * virtio-net header in front of each frame as IFF_VNET_HDR does on a tap,
 * and the veth keeps its TSO and checksum offloads: 64 KiB segments cross
 * whole.  Otherwise the stack's end has its transmit checksum offload (and
 * with it TSO) turned off, so that every frame read is a finished,
 * MTU-sized frame, as a tap without IFF_VNET_HDR gives.
 *
 * The base namespace has IPv6 disabled (serve.c), so the peers send
 * nothing of their own (no DAD, no router solicitation) into a stack.
 * Deleting a stack's namespace deletes both ends of its pair.
 *
 * For a segment joined in the kernel (bridge.c) the pair is made the other
 * way round, from the base namespace: the peer is the first end, born up
 * as a port of the segment's bridge (IFLA_MASTER in the same request), and
 * the stack's end is sent to the stack's namespace.  No socket is needed.
 * The uplink between such a bridge and a backend's own switch is one more
 * pair, from the bridge to a namespace of its own where the pump's
 * AF_PACKET socket sits; that socket is all that keeps the namespace, so
 * closing it removes the pair with no netlink request.  Every end in the
 * base namespace has the largest MTU a veth takes: only the stacks' MTUs
 * limit a frame.  The uplink's bridge end is born up before its far end,
 * so its carrier comes on later, and the kernel acts on that in its link
 * watch, a work item of its own: until then the bridge port is disabled
 * and the end's queue discards, so the uplink is handed over only once
 * the bridge says the port forwards (a stack moved to the pump while its
 * first frames are on their way would lose them otherwise).
 *
 * Every pair is one RTM_NEWLINK, built here and sent by the rtnetlink
 * engine (rtnl.c) on a socket of the namespace the helper is in at the
 * time (vds_rtnl_call), as are the requests that enslave a spare's peer
 * and cut a stack off its bridge.  An end brought up after the fact (a
 * peer in the base namespace, an uplink's far end) goes up the one way
 * the helper brings interfaces up, vds_link_set (link.c).  Nothing on
 * these paths allocates.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "veth.h"
#include "base/clock.h"
#include "base/proto.h"
#include "base/rtnl.h"
#include "base/sys.h"
#include "link.h"

/* MTU of every end in the base namespace, and of an uplink's: the largest
 * a veth takes, so that only the stacks' own MTUs limit a frame. */
#define BASE_END_MTU 65535
/* The wait for an uplink's bridge port to forward: the link watch runs
 * within milliseconds; the bound is only reached when it never does. */
#define UPLINK_READY_MS 5000
#define UPLINK_POLL_US 200
/* The protocol a packet socket is opened with: none, so that it hears
 * nothing until bind() names its interface and ETH_P_ALL. */
#define PACKET_UNHOOKED 0
/* Socket buffers of a packet socket: room for bursts of 64 KiB segments. */
#define PACKET_BUF_BYTES (4 * 1024 * 1024)

static unsigned peer_counter; /* names the peers: vdsp0, vdsp1... */

/* Where a new pair goes: the first end in the current namespace, its peer
 * in peer_ns; an end's mtu 0 is the kernel's default. */
struct pair_spec {
	const char *name;  /* first end, here */
	unsigned mtu;
	unsigned master;   /* ifindex of a bridge to join here, or 0 */
	bool up;           /* bring the first end up at once */
	const char *peer;  /* second end, in peer_ns */
	int peer_ns;
	unsigned peer_mtu;
};

/* make_veth - create a veth pair over rtnetlink, in one request (so that
 * a failure to join the master leaves nothing behind).
 * Return: 0 or -errno (-EOPNOTSUPP without veth support, -EEXIST, and the
 * bridge's own error, e.g. -EXFULL, when it takes no more ports). */
static int make_veth(const struct pair_spec *p)
{
	union vds_rtnl_req req;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_NEWLINK,
						 NLM_F_CREATE | NLM_F_EXCL,
						 AF_UNSPEC, 0, &ifm);
	struct nlattr *linkinfo, *data, *peerinfo;
	int err;

	if (p->up) {
		ifm->ifi_flags = IFF_UP;
		ifm->ifi_change = IFF_UP;
	}
	mnl_attr_put_strz(nlh, IFLA_IFNAME, p->name);
	if (p->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, p->mtu);
	if (p->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, p->master);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peerinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, p->peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)p->peer_ns);
	if (p->peer_mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, p->peer_mtu);
	mnl_attr_nest_end(nlh, peerinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);

	err = vds_rtnl_call(nlh);
	if (!p->master && (err == -ENOENT || err == -EINVAL))
		err = -EOPNOTSUPP; /* no "veth" link kind in this kernel */
	return err;
}

/* make_pair - create the veth pair ifname (here, with the given MTU, 0:
 * default) / peer (in base_ns, with the largest MTU: a frame the pump
 * writes there is limited only by the stack's own MTU, which the stack
 * may raise up to 65520 later).
 * Return: 0 or -errno (-EOPNOTSUPP without veth support, -EEXIST). */
static int make_pair(const char *ifname, const char *peer, int base_ns,
		     unsigned mtu)
{
	const struct pair_spec p = {
		.name = ifname, .mtu = mtu,
		.peer = peer, .peer_ns = base_ns, .peer_mtu = BASE_END_MTU,
	};

	return make_veth(&p);
}

/* no_tx_offload - make ifname hand over finished frames only (ethtool's
 * ETHTOOL_STXCSUM off, on a throwaway socket of the current namespace).
 * Return: 0 or -errno. */
static int no_tx_offload(const char *ifname)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	int fd = vds_sys_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return fd;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	err = vds_sys_ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	return err;
}

/* packet_socket - an AF_PACKET socket bound to ifindex, for the pump.
 * The socket is opened with protocol 0, which hooks it nowhere, and bind()
 * hooks it on ifindex for ETH_P_ALL: opened with ETH_P_ALL, it would be
 * hooked on every interface at once, and bind() would unhook it first and
 * wait for an RCU grace period (packet_do_bind's synchronize_net), about
 * 11 ms of a veth stack's 14 ms in vde_addstack() (issue 18).
 * Return: the descriptor (non-blocking, close-on-exec) or -errno. */
static int packet_socket(unsigned ifindex, bool vnet)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)ifindex,
	};
	int one = 1, size = PACKET_BUF_BYTES;
	int fd = vds_sys_socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
				PACKET_UNHOOKED);

	if (fd < 0)
		return fd;
	if ((vnet && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one,
				sizeof(one)) < 0) ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* best effort: the default buffers hold fewer such bursts */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return fd;
}

/* vds_veth_new - make the stack's interface ifname as a veth whose peer is
 * in base_ns, and the pump's socket on the peer.  Called in the stack's
 * namespace; returns in base_ns.  flags: VDS_NEWSTACK_*.
 * Return: the socket or -errno. */
int vds_veth_new(int base_ns, const char *ifname, unsigned flags,
		 unsigned mtu)
{
	char peer[IFNAMSIZ];
	bool vnet = flags & VDS_NEWSTACK_VNET;
	unsigned ifindex;
	int err;

	snprintf(peer, sizeof(peer), "vdsp%u", peer_counter++);
	err = make_pair(ifname, peer, base_ns, mtu);
	if (err == 0 && !vnet)
		err = no_tx_offload(ifname);
	if (err < 0)
		return err;
	err = vds_sys_setns(base_ns, CLONE_NEWNET);
	if (err < 0)
		return err;
	err = vds_sys_ifindex(peer);
	if (err < 0)
		return err;
	ifindex = (unsigned)err;
	err = vds_link_set(peer, 0, true);
	if (err < 0)
		return err;
	return packet_socket(ifindex, vnet);
}

/* make_indexed - make_veth(p), and the ifindex of its first end (p->name,
 * in the current namespace).  Return: 0 with *ret_ifindex, or -errno (a
 * pair made stays, and goes with the stack's namespace). */
static int make_indexed(const struct pair_spec *p, unsigned *ret_ifindex)
{
	unsigned ifindex;
	int err = make_veth(p);

	if (err < 0)
		return err;
	err = vds_sys_ifindex(p->name);
	if (err < 0)
		return err;
	ifindex = (unsigned)err;
	*ret_ifindex = ifindex;
	return 0;
}

/* vds_veth_join - make the stack's interface ifname (in stack_ns) as a
 * veth whose peer is born in base_ns as a port of the bridge master, up:
 * frames between the stack and the bridge stay in the kernel, and nothing
 * of the pair needs a descriptor.  Called in base_ns (and stays there).
 * Return: 0 or -errno (-EXFULL from a bridge with no free port). */
int vds_veth_join(int stack_ns, const char *ifname, unsigned master,
		  unsigned mtu, unsigned *ret_peer)
{
	char peer[IFNAMSIZ];
	const struct pair_spec p = {
		.name = peer, .mtu = BASE_END_MTU, .master = master, .up = true,
		.peer = ifname, .peer_ns = stack_ns, .peer_mtu = mtu,
	};

	snprintf(peer, sizeof(peer), "vdsp%u", peer_counter++);
	return make_indexed(&p, ret_peer);
}

/* vds_veth_spare - see veth.h.  The peers are named vdsq0, vdsq1...:
 * the worker that makes them is a fork of the helper, whose vdsp counter
 * it must not share. */
int vds_veth_spare(int stack_ns, const char *ifname, unsigned *ret_peer)
{
	static atomic_uint spare_counter;
	char peer[IFNAMSIZ];
	const struct pair_spec p = {
		.name = peer, .mtu = BASE_END_MTU,
		.peer = ifname, .peer_ns = stack_ns,
	};

	snprintf(peer, sizeof(peer), "vdsq%u",
		 atomic_fetch_add(&spare_counter, 1));
	return make_indexed(&p, ret_peer);
}

/* vds_veth_enslave - see veth.h: one RTM_SETLINK that sets the master
 * and brings the link up (the kernel joins the bridge first). */
int vds_veth_enslave(unsigned peer, unsigned master)
{
	union vds_rtnl_req req;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_SETLINK, 0,
						 AF_UNSPEC, peer, &ifm);

	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	return vds_rtnl_call(nlh);
}

/* port_state - set the bridge port state of peer (RTM_SETLINK,
 * AF_BRIDGE, IFLA_BRPORT_STATE).  Return: 0 or -errno. */
static int port_state(unsigned peer, uint8_t state)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_SETLINK, 0,
						 AF_BRIDGE, peer, NULL);
	struct nlattr *info;

	info = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_STATE, state);
	mnl_attr_nest_end(nlh, info);
	return vds_rtnl_call(nlh);
}

/* vds_veth_cut - see veth.h: the peer's bridge port is disabled, which
 * the bridge honours at once in both directions; cheaper than taking the
 * link down, which waits for the network stack to quiesce.  Called in
 * the base namespace. */
int vds_veth_cut(unsigned peer)
{
	return port_state(peer, BR_STATE_DISABLED);
}

/* bridge_flush - forget every address the bridge master learned
 * (IFLA_BR_FDB_FLUSH): after a member moved between the bridge and the
 * uplink, its address must not stay learned where it no longer is
 * (frames to it would go there until it spoke again); until relearned,
 * frames are flooded.  Return: 0 or -errno. */
static int bridge_flush(unsigned master)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_NEWLINK, 0,
						 AF_UNSPEC, master, NULL);
	struct nlattr *linkinfo, *data;

	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put(nlh, IFLA_BR_FDB_FLUSH, 0, NULL);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return vds_rtnl_call(nlh);
}

/* vds_veth_pump - see veth.h: a packet socket on a disabled bridge port
 * still reads every frame the stack sends (packet taps run before the
 * bridge's receive handler), and what it writes goes into the stack.
 * Called in the base namespace.  Return: the socket or -errno. */
int vds_veth_pump(unsigned peer, unsigned master, bool vnet)
{
	int fd, err = port_state(peer, BR_STATE_DISABLED);

	if (err == 0)
		err = bridge_flush(master);
	fd = err < 0 ? err : packet_socket(peer, vnet);
	if (fd < 0)
		port_state(peer, BR_STATE_FORWARDING);
	return fd;
}

/* vds_veth_unpump - see veth.h.  Return: 0 or -errno. */
int vds_veth_unpump(unsigned peer, unsigned master)
{
	int err = port_state(peer, BR_STATE_FORWARDING);

	return err < 0 ? err : bridge_flush(master);
}

/* A bridge port's state, as a dump of the links says it. */
struct brport_query {
	unsigned ifindex;
	int state;         /* BR_STATE_*, or -1: not seen */
};

/* brport_state_cb - from one link of a dump, the bridge port state of
 * the link asked for (IFLA_LINKINFO, IFLA_INFO_SLAVE_DATA,
 * IFLA_BRPORT_STATE).  Return: MNL_CB_OK. */
static int brport_state_cb(const struct nlmsghdr *nlh, void *data)
{
	struct brport_query *q = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *info = NULL, *slave = NULL;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    (unsigned)ifm->ifi_index != q->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifm))
		if (mnl_attr_get_type(a) == IFLA_LINKINFO)
			info = a;
	if (info)
		mnl_attr_for_each_nested(a, info)
			if (mnl_attr_get_type(a) == IFLA_INFO_SLAVE_DATA)
				slave = a;
	if (slave)
		mnl_attr_for_each_nested(a, slave)
			if (mnl_attr_get_type(a) == IFLA_BRPORT_STATE)
				q->state = mnl_attr_get_u8(a);
	return MNL_CB_OK;
}

/* port_forwards - wait until the bridge port ifindex of master (in the
 * current namespace) forwards, for UPLINK_READY_MS at most; a dump that
 * the links' changes interrupted is asked again.
 * Return: 0, -ETIMEDOUT, or -errno (the query failed). */
static int port_forwards(unsigned ifindex, unsigned master)
{
	struct brport_query q = { .ifindex = ifindex };
	int64_t end = vds_now_us() + UPLINK_READY_MS * 1000LL;
	struct vds_rtnl nl;
	int err = vds_rtnl_open(&nl);

	while (err == 0) {
		union vds_rtnl_req req;
		struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_GETLINK, 0,
							 AF_UNSPEC, 0, NULL);

		mnl_attr_put_u32(nlh, IFLA_MASTER, master); /* its ports only */
		q.state = -1;
		err = vds_rtnl_dump(&nl, nlh, brport_state_cb, &q);
		/* -EINTR: the links changed during the dump (libmnl's
		 * NLM_F_DUMP_INTR; namespaces going away delete theirs in
		 * the kernel's own time): ask again */
		if (err == -EINTR)
			err = 0;
		else if (err < 0 || q.state == BR_STATE_FORWARDING)
			break;
		if (vds_now_us() >= end)
			err = -ETIMEDOUT;
		else
			usleep(UPLINK_POLL_US);
	}
	vds_rtnl_close(&nl);
	return err;
}

/* vds_veth_uplink - a veth pair from the bridge master (in base_ns, where
 * the helper is) to a namespace of its own, and an AF_PACKET socket on
 * the far end: the port by which a backend's own switch reaches the
 * bridge.  The socket alone keeps that namespace alive, so closing it
 * takes the pair away too, in the kernel's own time (no synchronous
 * deletion).  vnet: PACKET_VNET_HDR.  Returns in base_ns.
 * Return: the socket (non-blocking, close-on-exec) or -errno. */
int vds_veth_uplink(int base_ns, unsigned master, bool vnet)
{
	char name[IFNAMSIZ];
	struct pair_spec p = {
		.name = name, .mtu = BASE_END_MTU, .master = master, .up = true,
		.peer = "uplink0", .peer_mtu = BASE_END_MTU,
	};
	unsigned ifindex, near = 0; /* near: the bridge's end */
	int ns = -1, fd = -1, err, back;

	err = vds_sys_unshare(CLONE_NEWNET);
	if (err < 0)
		return err;
	/* the far end must not speak IPv6 (DAD, solicitations) into the
	 * segment: off before it exists */
	err = vds_sys_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	if (err == 0 || err == -ENOENT) /* ENOENT: no IPv6 at all */
		err = vds_sys_write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	if (err == -ENOENT)
		err = 0;
	if (err == 0) {
		ns = vds_sys_open("/proc/thread-self/ns/net", O_RDONLY);
		err = ns < 0 ? ns : 0;
	}
	if (err == 0)
		err = vds_sys_setns(base_ns, CLONE_NEWNET);
	if (err < 0)
		goto out;
	snprintf(name, sizeof(name), "vdsu%u", peer_counter++);
	p.peer_ns = ns;
	err = make_veth(&p);
	if (err == 0) {
		err = vds_sys_ifindex(name);
		near = err > 0 ? (unsigned)err : 0;
		if (err > 0)
			err = vds_sys_setns(ns, CLONE_NEWNET);
	}
	if (err < 0)
		goto out;
	err = vds_sys_ifindex(p.peer);
	ifindex = err > 0 ? (unsigned)err : 0;
	if (err > 0)
		err = vds_link_set(p.peer, 0, true);
	if (err == 0) {
		fd = packet_socket(ifindex, vnet);
		err = fd < 0 ? fd : 0;
	}
out:
	back = vds_sys_setns(base_ns, CLONE_NEWNET);
	if (err == 0 && back < 0)
		err = back;
	/* a port that never forwards is a broken uplink; a query that
	 * failed (netlink's own trouble) leaves the uplink as good as it
	 * was without the wait */
	if (err == 0 && port_forwards(near, master) == -ETIMEDOUT)
		err = -ETIMEDOUT;
	if (ns >= 0)
		close(ns);
	if (err < 0) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}
