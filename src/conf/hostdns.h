/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hostdns.h - the host's resolv.conf read and parsed for vde_stackconf's
 * dns=host (hostdns.c). */
#ifndef VDS_HOSTDNS_H
#define VDS_HOSTDNS_H

#include <stdbool.h>

#include "conf_parse.h"

/* The file dns=host reads. */
#define VDS_HOSTDNS_PATH "/etc/resolv.conf"
/* The largest host file read (a resolv.conf is a few hundred bytes). */
#define VDS_HOSTDNS_MAX (64 * 1024)

/* Parse resolv.conf(5) text as the C library does: "nameserver ADDR"
 * lines (IPv4, IPv6 with an optional %scope, which is dropped; link-local
 * servers are left out: they are on the host's own links), "domain" and
 * "search" lines (the last one of them wins), comments ('#', ';'),
 * anything else (options, malformed lines) ignored.  No server at all
 * means 127.0.0.1, as for the C library.  Servers beyond
 * VDS_CONF_MAX_DNS and domains beyond VDS_CONF_MAX_DOMAINS are dropped.
 * Return: nothing; *ret is filled. */
void vds_hostdns_parse(const char *text, struct vds_dns *ret);

/* Read VDS_HOSTDNS_PATH through the seam (vds_sys_read_file) and parse
 * it; a missing file is an empty one.
 * Return: 0, -ENOMEM, -EFBIG (over VDS_HOSTDNS_MAX), or the read's
 * -errno. */
int vds_hostdns_read(struct vds_dns *ret);

/* Whether a is a loopback address (127.0.0.0/8, ::1).
 * Return: true if so. */
bool vds_ip_is_loopback(const struct vds_ipaddr *a);

#endif /* VDS_HOSTDNS_H */
