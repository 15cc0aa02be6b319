/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dhcpd_test.h - a minimal DHCPv4 server of the integration tests (one
 * lease, served in a stack of the test's own) and the reading of DHCP
 * options (public API only). */
#ifndef IT_DHCPD_TEST_H
#define IT_DHCPD_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* What the server gives; addresses as text, NULL leaves an option out. */
struct td_lease {
	const char *server;  /* its own address: siaddr and option 54 */
	const char *addr;    /* the one address it leases (yiaddr) */
	unsigned prefix;     /* option 1, the netmask's length (1..32) */
	const char *router;  /* option 3 */
	const char *dns;     /* option 6 */
	unsigned mtu;        /* option 26 when not 0 */
	uint32_t lease_s;    /* option 51 */
};

/* The magic cookie before a DHCP message's options (RFC 2131, 3). */
extern const unsigned char td_cookie[4];

/* Option code in the options o[0..len) of a DHCP message (after the
 * cookie).  Return: its value (length in *ret_len), or NULL when it is
 * absent or the options are malformed. */
const unsigned char *td_option(const unsigned char *o, size_t len,
			       unsigned code, size_t *ret_len);

/* A running server (dhcpd_test.c). */
struct td_server;

/* Serve lease on the interface ifname of stack s, which already has the
 * server's address and is up: a UDP socket of the stack on port 67,
 * answered by a thread of its own until td_stop().
 * Return: the server (every step checked: the test fails on error). */
struct td_server *td_start(struct vdestack *s, const char *ifname,
			   const struct td_lease *lease);

/* Return: how many OFFERs the server has sent so far. */
unsigned td_offers(struct td_server *d);

/* Return: how many ACKs the server has sent so far. */
unsigned td_acks(struct td_server *d);

/* Stop the thread, close the socket, free d (the stack stays); NULL is
 * accepted. */
void td_stop(struct td_server *d);

#endif /* IT_DHCPD_TEST_H */
