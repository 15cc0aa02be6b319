/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slirp_opts.h - the options of a slirp:// URL, parsed and checked. */
#ifndef VDS_SLIRP_OPTS_H
#define VDS_SLIRP_OPTS_H

#include <stdbool.h>
#include <netinet/in.h>

#include "core/backend.h"

/* Interface MTU of a slirp stack unless mtu= says otherwise (as
 * rootlesskit's default: a tap relay at 1500 is held near 1 Gbit/s). */
#define VDS_SLIRP_MTU_DEFAULT 65520
/* libslirp's bounds (IF_MTU_MIN, IF_MTU_MAX; the same for the MRU). */
#define VDS_SLIRP_MTU_MIN 68
#define VDS_SLIRP_MTU_MAX 65521

/* A forward from a port of the virtual network to something on the host:
 * cmdfwd= (a command, its stdin/stdout the connection) or unixfwd= (a
 * PF_UNIX socket). */
struct vds_slirp_guestfwd {
	struct in_addr addr;   /* 0.0.0.0: libslirp picks (x.x.x.4) */
	int port;
	bool is_cmd;
	char *target;          /* command line or socket path */
};

/* The configuration a slirp:// URL asks for.  Defaults as
 * libvdeplug_slirp(1): 10.0.2.2/24 (DHCP from .15, DNS .3), fd00::2/64
 * (DNS fd00::3), hostname "slirp", both IPv4 and IPv6. */
struct vds_slirp_opts {
	bool in_enabled, in6_enabled;
	bool restricted;
	bool disable_host_loopback;
	bool verbose;
	struct in_addr vnetwork, vnetmask, vhost, vdhcp_start, vnameserver;
	struct in6_addr vprefix_addr6, vhost6, vnameserver6;
	unsigned vprefix_len;
	char *vhostname, *tftp_server_name, *tftp_path, *bootfile;
	char *vdomainname;
	char **vdnssearch;          /* NULL-ended, or NULL */
	unsigned mtu;               /* interface and libslirp's if_mtu */
	unsigned mru;               /* libslirp's if_mru */
	struct vds_fwdspec *fwds;   /* tcpfwd=, udpfwd= */
	unsigned nfwds;
	struct vds_slirp_guestfwd *gfwds; /* cmdfwd=, unixfwd= */
	unsigned ngfwds;
};

/* Parse rest, what follows "slirp://" in a URL ("" or "/OPT/OPT...",
 * libvdeplug's syntax: '/' separates options, '...' and "..." quote,
 * backslash escapes) into ret, defaults first.  Every option must be
 * known and well formed.
 * Return: 0, -EINVAL (ret then holds nothing to free), -ENOMEM. */
int vds_slirp_opts_parse(const char *rest, struct vds_slirp_opts *ret);

/* Free what a successful parse allocated.  Accepts a zeroed struct. */
void vds_slirp_opts_free(struct vds_slirp_opts *o);

#endif /* VDS_SLIRP_OPTS_H */
