/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dhcp.h - the DHCPv4 client of vde_stackconf (dhcp.c). */
#ifndef VDS_DHCP_H
#define VDS_DHCP_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "conf_parse.h"

#define VDS_DHCP_MAX_ROUTERS 4

/* ------------------------------------------------------------------ */

/* DHCP message types (option 53). */
enum {
	VDS_DHCP_DISCOVER = 1,
	VDS_DHCP_OFFER = 2,
	VDS_DHCP_REQUEST = 3,
	VDS_DHCP_ACK = 5,
	VDS_DHCP_NAK = 6,
};

/* What a server's message says. */
struct vds_dhcp_msg {
	int type;                      /* VDS_DHCP_* */
	struct in_addr yiaddr;         /* your address */
	struct in_addr server;         /* option 54, or 0 */
	struct in_addr mask;           /* option 1, or 0 */
	unsigned nrouters;
	struct in_addr routers[VDS_DHCP_MAX_ROUTERS];
	struct vds_dns dns;            /* options 6, 15, 119 */
	unsigned mtu;                  /* option 26, or 0 */
	uint32_t lease_s;              /* option 51, or 0 */
};

/* Build a DHCP message (type DISCOVER or REQUEST) from chaddr mac, as a
 * whole IPv4 packet from 0.0.0.0:68 to 255.255.255.255:67.  For a
 * REQUEST, offer gives the requested address and the server.
 * Return: its length, or 0 if size is too small. */
size_t vds_dhcp_build(unsigned char *buf, size_t size, int type,
		      uint32_t xid, const unsigned char mac[6],
		      const struct vds_dhcp_msg *offer, uint16_t secs);

/* Parse an IPv4 packet: a BOOTREPLY to UDP port 68 for xid and mac.
 * Return: 0 with *ret filled; -EAGAIN when it is not for us; -EBADMSG
 * for a malformed reply. */
int vds_dhcp_parse(const unsigned char *pkt, size_t len, uint32_t xid,
		   const unsigned char mac[6], struct vds_dhcp_msg *ret);

/* Run DISCOVER/OFFER/REQUEST/ACK on fd (an AF_PACKET SOCK_DGRAM socket
 * for ETH_P_IP in the stack) until deadline_ms (vds_now_ms clock).
 * Return: 0 with the ACK in *ret, -ETIMEDOUT, or -errno. */
int vds_dhcp_run(int fd, unsigned ifindex, const unsigned char mac[6],
		 int64_t deadline_ms, struct vds_dhcp_msg *ret);

/* The prefix length of a netmask; a missing (0) mask gives the classful
 * length of addr.  Return: 0..32, or -EINVAL for a non-contiguous mask. */
int vds_dhcp_prefix(struct in_addr addr, struct in_addr mask);

#endif /* VDS_DHCP_H */
