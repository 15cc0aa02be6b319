/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwdspec.h - a port forward as data (fwdspec.c): what vde_stackfwd(3)
 * and slirp://'s tcpfwd=/udpfwd= say, parsed. */
#ifndef VDS_FWDSPEC_H
#define VDS_FWDSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One forward with its protocol and direction.  Host -> stack ("tcp:",
 * "udp:"): "[HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT", listening on the
 * host.  Stack -> host ("tcp-ns:", "udp-ns:", to_host): "[GUESTADDR:]
 * GUESTPORT:HOSTADDR:HOSTPORT", listening in the stack.  IPv6 addresses
 * in brackets.  A port may be a range "FIRST-LAST": the listening side
 * listens on span + 1 ports from its port on, and the connection to
 * listening port port + i goes to the other side's port + i, or to its
 * one port when one_port (to_host forwards only).  A zeroed struct with
 * the two addresses set is a forward of one port each way. */
struct vds_fwdspec {
	int proto;                    /* IPPROTO_TCP or IPPROTO_UDP */
	bool to_host;                 /* listens in the stack (-ns) */
	bool one_port;                /* the range goes to one port */
	uint16_t span;                /* ports of the range after the first */
	struct sockaddr_storage host; /* AF_INET/AF_INET6, address and port */
	struct sockaddr_storage guest;
};

/* Parse one host -> stack forward of a slirp:// URL's tcpfwd=/udpfwd=
 * list, proto given, as libvdeplug_slirp(1) reads it: text[0..len) is
 * "[HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT", single ports; an empty or
 * missing HOSTADDR is 0.0.0.0 (:: for an IPv6 guest).  With only_host,
 * "[HOSTADDR:]HOSTPORT" is accepted too (guest family AF_UNSPEC).
 * Return: 0 or -EINVAL. */
int vds_fwd_parse_item(const char *text, size_t len, int proto,
		       bool only_host, struct vds_fwdspec *ret);
/* Parse a forward of vde_stackfwd(3): "tcp:", "udp:", "tcp-ns:" or
 * "udp-ns:" then the item, with port ranges.  A missing listening address
 * is the wildcard (host -> stack) or the loopback (stack -> host) of the
 * other side's family.  With only_listen (vde_stackunfwd), the listening
 * side alone is accepted too, "[ADDR:]PORT[-LAST]": the other side's
 * family is AF_UNSPEC, and so is the listening side's when ADDR is
 * missing (it then names the default of either family).
 * Return: 0 or -EINVAL. */
int vds_fwd_parse(const char *spec, bool only_listen,
		  struct vds_fwdspec *ret);

/* Return: the listening side of f (the host, or the guest for to_host),
 * and the side it connects to. */
static inline const struct sockaddr_storage *
vds_fwd_listen_side(const struct vds_fwdspec *f)
{
	return f->to_host ? &f->guest : &f->host;
}
static inline const struct sockaddr_storage *
vds_fwd_peer_side(const struct vds_fwdspec *f)
{
	return f->to_host ? &f->host : &f->guest;
}

#endif /* VDS_FWDSPEC_H */
