/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ndisc.h - IPv6 router discovery for vde_stackconf (ndisc.c). */
#ifndef VDS_NDISC_H
#define VDS_NDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf_parse.h"

/* ------------------------------------------------------------------ */

#define VDS_RA_MAX_PREFIXES 8

/* What a router advertisement says. */
struct vds_ra {
	bool router;                   /* router lifetime > 0 */
	unsigned nprefixes;            /* autonomous prefixes (SLAAC) */
	struct vds_ipaddr prefixes[VDS_RA_MAX_PREFIXES];
	struct vds_dns dns;            /* RDNSS and DNSSL */
	unsigned mtu;                  /* option 5, or 0 */
};

/* Parse an ICMPv6 router advertisement (from the ICMPv6 header on).
 * Return: 0, -EAGAIN if it is not one, -EBADMSG if malformed. */
int vds_ndisc_parse_ra(const unsigned char *msg, size_t len,
		       struct vds_ra *ret);

/* A router solicitation from :: to ff02::2, as a whole IPv6 packet.
 * Return: its length, or 0 if size is too small. */
size_t vds_ndisc_build_rs(unsigned char *buf, size_t size);

/* Solicit routers on link ifindex through fd (a raw ICMPv6 socket of the
 * stack; while the link has no usable link-local address, from :: through
 * pfd, an AF_PACKET datagram socket of the stack, if pfd >= 0) and wait
 * until deadline_ms for the first advertisement.
 * Return: 0 with it in *ret, -ETIMEDOUT, or -errno. */
int vds_ndisc_run(int fd, int pfd, unsigned ifindex, int64_t deadline_ms,
		  struct vds_ra *ret);

#endif /* VDS_NDISC_H */
