/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwdspec.h - a port forward as data (fwdspec.c): what vde_stackfwd(3)
 * and slirp://'s tcpfwd=/udpfwd= say, parsed. */
#ifndef VDS_FWDSPEC_H
#define VDS_FWDSPEC_H

#include <stdbool.h>
#include <stddef.h>
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

#endif /* VDS_FWDSPEC_H */
