/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conf.h - vde_stackconf's modules: the configuration string, rtnetlink,
 * the DHCPv4 client, IPv6 router discovery, DNS data. */
#ifndef VDS_CONF_H
#define VDS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>


/* Limits of one configuration string. */
#define VDS_CONF_MAX_ADDRS 16
#define VDS_CONF_MAX_GWS 2          /* one per family */
#define VDS_DHCP_MAX_ROUTERS 4
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
struct vds_conf {
	char ifname[16];          /* "" = the stack's interface */
	bool eth;                 /* bring the interface up */
	bool dhcp;                /* DHCPv4 */
	bool rd;                  /* IPv6 router discovery, wait for SLAAC */
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

/* ------------------------------------------------------------------ */
/* netconf.c: rtnetlink through libmnl                                 */
/* ------------------------------------------------------------------ */

struct vds_nl;

/* A stack's link as the kernel reports it. */
struct vds_link {
	unsigned index;
	unsigned flags;          /* IFF_* */
	unsigned mtu;
	unsigned type;           /* ARPHRD_* */
	unsigned char mac[6];
	char name[16];
};

/* Take over fd (an AF_NETLINK NETLINK_ROUTE socket, of any namespace).
 * fd is closed on failure too.  Return: 0 or -errno. */
int vds_nl_open(int fd, struct vds_nl **ret);
/* Close; accepts NULL. */
void vds_nl_close(struct vds_nl *nl);

/* Find the link named name, or, for NULL or "", the first one (lowest
 * index) that is not a loopback.  Return: 0, -ENODEV when there is none,
 * or -errno. */
int vds_nl_link_get(struct vds_nl *nl, const char *name,
		    struct vds_link *ret);

/* Set the MAC address (mac may be NULL), the MTU (0: unchanged) and bring
 * the link up, in one request.  Return: 0 or -errno. */
int vds_nl_link_set(struct vds_nl *nl, unsigned index,
		    const unsigned char *mac, unsigned mtu);

/* Add an address (IPv6: without duplicate address detection); an address
 * that is there already counts as added.  Return: 0 or -errno. */
int vds_nl_addr_add(struct vds_nl *nl, unsigned index,
		    const struct vds_ipaddr *a);

/* Make gw the default route of its family through link index (replacing
 * the previous default).  onlink: gw need not be on a local subnet.
 * Return: 0 or -errno. */
int vds_nl_route_default(struct vds_nl *nl, unsigned index,
			 const struct vds_ipaddr *gw, bool onlink);

/* Look for an IPv6 address of link index inside prefix p.
 * Return: 1 found and usable (not tentative), 2 found but tentative,
 * 0 none, or -errno. */
int vds_nl_addr6_in(struct vds_nl *nl, unsigned index,
		    const struct vds_ipaddr *p);

/* ------------------------------------------------------------------ */
/* dhcp.c: DHCPv4 client                                               */
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

/* ------------------------------------------------------------------ */
/* ndisc.c: IPv6 router discovery                                      */
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

#endif /* VDS_CONF_H */
