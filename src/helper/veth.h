/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* veth.h - veth links in the helper (veth.c): a stack's interface read
 * through a packet socket, bridge members, uplinks. */
#ifndef VDS_VETH_H
#define VDS_VETH_H

#include <stdbool.h>

/* The stack's interface as a veth whose peer is in base_ns, read
 * through an AF_PACKET socket.  Return: that socket, or -errno. */
int vds_veth_new(int base_ns, const char *ifname, unsigned flags,
		 unsigned mtu);
/* The stack's interface ifname in stack_ns as a veth whose peer
 * is born up, in the current (base) namespace, as a port of bridge
 * master; *ret_peer: the peer's ifindex, for vds_veth_cut().
 * Return: 0 or -errno. */
int vds_veth_join(int stack_ns, const char *ifname, unsigned master,
		  unsigned mtu, unsigned *ret_peer);
/* Made ahead of a stack that joins a bridge: ifname in stack_ns
 * (default MTU, down) as a veth whose peer (*ret_peer: its ifindex) waits
 * down, with no master, in the current (base) namespace.
 * Return: 0 or -errno. */
int vds_veth_spare(int stack_ns, const char *ifname, unsigned *ret_peer);
/* The spare peer (ifindex) up as a port of bridge master.
 * Return: 0 or -errno (-EXFULL from a full bridge). */
int vds_veth_enslave(unsigned peer, unsigned master);
/* Disable the bridge port of a joined stack's peer (ifindex; its
 * namespace may live on, held by sockets): the stack is cut off from the
 * bridge both ways.
 * Return: 0 or -errno. */
int vds_veth_cut(unsigned peer);
/* A joined stack's peer (ifindex) taken off the bridge master: its port
 * disabled, the bridge's learned addresses flushed, and an AF_PACKET
 * socket on it (vnet: PACKET_VNET_HDR), so that the application pumps
 * the stack.  Return: the socket or -errno (nothing changed). */
int vds_veth_pump(unsigned peer, unsigned master, bool vnet);
/* The peer back on the bridge (forwarding, addresses flushed), once the
 * application has closed its socket.  Return: 0 or -errno. */
int vds_veth_unpump(unsigned peer, unsigned master);
/* An uplink from bridge master (in base_ns) to an AF_PACKET
 * socket in a namespace of its own, which the socket keeps alive.
 * Return: the socket or -errno. */
int vds_veth_uplink(int base_ns, unsigned master, bool vnet);

#endif /* VDS_VETH_H */
