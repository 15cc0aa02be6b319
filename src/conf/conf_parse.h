/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conf_parse.h - vde_stackconf's configuration string, parsed completely
 * before anything is applied, and the DNS data of a stack with its
 * resolv.conf text (conf_parse.c). */
#ifndef VDS_CONF_PARSE_H
#define VDS_CONF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* Limits of one configuration string. */
#define VDS_CONF_MAX_ADDRS 16
#define VDS_CONF_MAX_GWS 2          /* one per family */
#define VDS_CONF_MAX_DNS 8
#define VDS_CONF_MAX_DOMAINS 8
#define VDS_CONF_DOMAIN_MAX 253        /* longest domain name, text */
#define VDS_CONF_TIMEOUT_MS 10000      /* dhcp and rd, unless timeout= */
#define VDS_CONF_TIMEOUT_MAX_S 3600

/* An IPv4 or IPv6 address, with a prefix length where it has one. */
struct vds_ipaddr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network order; 4 bytes used for AF_INET */
	unsigned prefix;         /* 0..32 / 0..128 */
};

/* DNS data of a stack: servers and search domains, given or learned. */
struct vds_dns {
	unsigned nservers;
	struct vds_ipaddr servers[VDS_CONF_MAX_DNS];
	unsigned ndomains;
	char domains[VDS_CONF_MAX_DOMAINS][VDS_CONF_DOMAIN_MAX + 1];
	char ifname[16];         /* scope of link-local servers */
};

/* The auto keys seen (vds_conf.autos). */
#define VDS_CONF_AUTO 0x1u   /* "auto": what the backend implies */
#define VDS_CONF_AUTO4 0x2u  /* "auto4": eth + dhcp */
#define VDS_CONF_AUTO6 0x4u  /* "auto6": eth + rd */

/* One parsed configuration string. */
/* forward, forward=1 / forward=0: routing between the stack's
 * interfaces turned on or off; unset: left as it is. */
enum vds_conf_forward {
	VDS_CONF_FORWARD_UNSET,
	VDS_CONF_FORWARD_ON,
	VDS_CONF_FORWARD_OFF,
};

struct vds_conf {
	char ifname[16];          /* "" = the stack's interface */
	bool eth;                 /* bring the interface up */
	bool dhcp;                /* DHCPv4 */
	bool rd;                  /* IPv6 router discovery, wait for SLAAC */
	enum vds_conf_forward forward; /* IPv4 and IPv6 forwarding */
	unsigned autos;           /* VDS_CONF_AUTO* seen */
	bool have_mac;
	unsigned char mac[6];
	unsigned mtu;             /* 0: unchanged */
	unsigned timeout_ms;      /* budget of dhcp and rd together */
	unsigned naddrs;
	struct vds_ipaddr addrs[VDS_CONF_MAX_ADDRS];
	unsigned ngws;
	struct vds_ipaddr gws[VDS_CONF_MAX_GWS];
	struct vds_dns dns;       /* dns= and domain= of the string */
	bool dns_host;            /* dns=host: the host's resolv.conf */
};

/* ------------------------------------------------------------------ */
/* conf_parse.c: the configuration string (pure, no system calls)       */
/* ------------------------------------------------------------------ */

/* Parse text ("eth,ip=10.0.0.1/24,gw=10.0.0.254", see vde_stackconf(3))
 * into *ret.  Return: 0; -EINVAL for a malformed string or a limit
 * exceeded; -EOPNOTSUPP for a key this library knows but does not do
 * (dhcp6). */
int vds_conf_parse(const char *text, struct vds_conf *ret);

/* Parse "ADDR" or "ADDR/PREFIX" (v4 or v6) of len bytes; without a
 * prefix the full length.  allow_prefix: "/PREFIX" may be given (ip=),
 * else it must not be (gw=, dns=).  Return: 0 or -EINVAL. */
int vds_conf_parse_ip(const char *text, size_t len, bool allow_prefix,
		      struct vds_ipaddr *ret);

/* Check a domain name (letters, digits, '-', '_', dots; labels of 1..63
 * bytes; a final dot allowed; VDS_CONF_DOMAIN_MAX bytes in all, that dot
 * included).  Return: 0 or -EINVAL. */
int vds_conf_check_domain(const char *name, size_t len);

/* Append a domain to dns, unless it is there already.
 * Return: 0, or -E2BIG when dns is full. */
int vds_dns_add_domain(struct vds_dns *dns, const char *name);

/* Append a server to dns, unless it is there already.
 * Return: 0, or -E2BIG when dns is full. */
int vds_dns_add_server(struct vds_dns *dns, const struct vds_ipaddr *a);

/* resolv.conf(5) text of dns into buf (NUL-terminated when size > 0),
 * like snprintf.  Return: the length of the whole text. */
size_t vds_dns_format(const struct vds_dns *dns, char *buf, size_t size);

#endif /* VDS_CONF_PARSE_H */
