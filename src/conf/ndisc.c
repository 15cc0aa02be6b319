/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ndisc.c - IPv6 router discovery for vde_stackconf(3): solicit, and read
 * the advertisement's prefixes and DNS options.
 *
 * Theory of operation: the kernel already does stateless address
 * autoconfiguration in a stack: a new network namespace starts with IPv6
 * defaults (accept_ra 1, autoconf 1, forwarding 0), so when a router
 * advertisement arrives on the interface the kernel adds the address of
 * each autonomous prefix and the default route by itself.  What it does
 * not do is tell anybody about DNS (RDNSS, DNSSL: RFC 8106), or make a
 * router answer now rather than at its next periodic advertisement.  So
 * this module sends a router solicitation through a raw ICMPv6 socket of
 * the stack (made by the helper, which may), and reads the first
 * advertisement from the same socket: a raw socket gets its copy of every
 * ICMPv6 message the kernel processes.  conf.c then waits, over
 * rtnetlink, for the kernel's address of each autonomous prefix to finish
 * duplicate address detection.
 *
 * Until the interface's link-local address has finished its own detection
 * (about one second after the link comes up) the kernel has no source
 * address for a solicitation and refuses to send it (EADDRNOTAVAIL).
 * RFC 4861 (6.3.7) allows a solicitation from the unspecified address
 * then, so this one is built whole (IPv6 header, ICMPv6 checksum) and sent
 * through an AF_PACKET socket of the stack to 33:33:00:00:00:02: the
 * router answers to all nodes, and a second is saved.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ndisc.h"
#include "base/clock.h"

#define RA_HDR 16               /* ICMPv6 header + RA fixed part */
#define RS_INTERVAL_MS 2000     /* no answer yet */
#define IP6_HDR 40
#define RS_LEN 8

/* ND option types. */
enum {
	OPT_PREFIX = 3,
	OPT_MTU = 5,
	OPT_RDNSS = 25,
	OPT_DNSSL = 31,
};

/* get32 - load a 32-bit big-endian value.  Return: it. */
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* add_dnssl - the names of a DNSSL option body (uncompressed wire
 * format, zero padded) to dns; invalid names are skipped.
 * Return: 0 or -EBADMSG. */
static int add_dnssl(struct vds_dns *dns, const unsigned char *p, size_t len)
{
	size_t at = 0;

	while (at < len) {
		char name[VDS_CONF_DOMAIN_MAX + 2];
		size_t out = 0;

		if (p[at] == 0) {
			at++; /* padding, or an empty name */
			continue;
		}
		while (at < len && p[at] != 0) {
			unsigned l = p[at];

			if ((l & 0xc0) || at + 1 + l > len ||
			    out + l + 2 > sizeof(name))
				return -EBADMSG;
			if (out)
				name[out++] = '.';
			memcpy(name + out, p + at + 1, l);
			out += l;
			at += 1 + l;
		}
		name[out] = '\0';
		if (vds_conf_check_domain(name, out) == 0)
			vds_dns_add_domain(dns, name);
	}
	return 0;
}

/* vds_ndisc_parse_ra - a router advertisement's useful content.
 * Return: 0, -EAGAIN (not an RA), or -EBADMSG. */
int vds_ndisc_parse_ra(const unsigned char *msg, size_t len,
		       struct vds_ra *ret)
{
	size_t at = RA_HDR;

	if (len < RA_HDR || msg[0] != ND_ROUTER_ADVERT || msg[1] != 0)
		return -EAGAIN;
	*ret = (struct vds_ra){ .router = (msg[6] << 8 | msg[7]) != 0 };
	while (at < len) {
		const unsigned char *o = msg + at;
		size_t olen;

		if (at + 2 > len || o[1] == 0)
			return -EBADMSG;
		olen = (size_t)o[1] * 8;
		if (at + olen > len)
			return -EBADMSG;
		at += olen;
		switch (o[0]) {
		case OPT_PREFIX: {
			struct vds_ipaddr *p;

			if (olen != 32)
				return -EBADMSG;
			/* autonomous, valid, /64: what the kernel
			 * configures an address for */
			if (!(o[3] & 0x40) || get32(o + 4) == 0 || o[2] != 64 ||
			    ret->nprefixes == VDS_RA_MAX_PREFIXES)
				break;
			p = &ret->prefixes[ret->nprefixes++];
			*p = (struct vds_ipaddr){ .family = AF_INET6,
						  .prefix = o[2] };
			memcpy(p->addr, o + 16, 16);
			break;
		}
		case OPT_MTU:
			if (olen == 8 && get32(o + 4) >= 1280)
				ret->mtu = get32(o + 4);
			break;
		case OPT_RDNSS:
			if (olen < 24 || get32(o + 4) == 0)
				break; /* lifetime 0: withdrawn */
			for (size_t i = 8; i + 16 <= olen; i += 16) {
				struct vds_ipaddr a = { .family = AF_INET6 };

				memcpy(a.addr, o + i, 16);
				vds_dns_add_server(&ret->dns, &a);
			}
			break;
		case OPT_DNSSL:
			if (olen < 16 || get32(o + 4) == 0)
				break;
			if (add_dnssl(&ret->dns, o + 8, olen - 8) < 0)
				return -EBADMSG;
			break;
		}
	}
	return 0;
}

/* setup - the socket options: only RAs in, hop limit 255 out, the
 * interface and hop limit of what comes in.  Return: 0 or -errno. */
static int setup(int fd, unsigned ifindex)
{
	struct icmp6_filter filter;
	int hops = 255, one = 1, zero = 0, idx = (int)ifindex;

	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &filter);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter,
		       sizeof(filter)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
		       sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx,
		       sizeof(idx)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero,
		       sizeof(zero)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one,
		       sizeof(one)) < 0)
		return -errno;
	return 0;
}

/* vds_ndisc_build_rs - a router solicitation from :: to ff02::2 as a
 * whole IPv6 packet.  Return: its length, or 0 if size is too small. */
size_t vds_ndisc_build_rs(unsigned char *buf, size_t size)
{
	unsigned char *icmp = buf + IP6_HDR;
	uint32_t sum = RS_LEN + IPPROTO_ICMPV6; /* pseudo-header */

	if (size < IP6_HDR + RS_LEN)
		return 0;
	memset(buf, 0, IP6_HDR + RS_LEN);
	buf[0] = 0x60;
	buf[5] = RS_LEN;
	buf[6] = IPPROTO_ICMPV6;
	buf[7] = 255;                       /* hop limit */
	buf[24] = 0xff;                     /* ff02::2; source :: */
	buf[25] = 0x02;
	buf[39] = 0x02;
	icmp[0] = ND_ROUTER_SOLICIT;
	for (size_t i = 8; i < IP6_HDR; i += 2)  /* addresses */
		sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
	for (size_t i = 0; i < RS_LEN; i += 2)
		sum += (uint32_t)(icmp[i] << 8 | icmp[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	icmp[2] = (unsigned char)(~sum >> 8);
	icmp[3] = (unsigned char)~sum;
	return IP6_HDR + RS_LEN;
}

/* solicit_unspecified - a router solicitation from :: through pfd, an
 * AF_PACKET datagram socket.  Return: 0 or -errno. */
static int solicit_unspecified(int pfd, unsigned ifindex)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IPV6),
		.sll_ifindex = (int)ifindex,
		.sll_halen = 6,
		.sll_addr = { 0x33, 0x33, 0, 0, 0, 0x02 },
	};
	unsigned char pkt[IP6_HDR + RS_LEN];
	size_t len = vds_ndisc_build_rs(pkt, sizeof(pkt));

	if (sendto(pfd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* not_ready - whether a send error means that IPv6 is not ready on a
 * link that has just come up: no usable link-local address yet, or the
 * link's IPv6 set-up waiting for its operational state (a veth's comes a
 * moment after it is up).  Return: true if so. */
static bool not_ready(int err)
{
	return err == -EADDRNOTAVAIL || err == -ENETUNREACH ||
	       err == -ENETDOWN;
}

/* solicit - send one router solicitation to all routers, from the
 * link-local address, or from :: through pfd (when >= 0) while IPv6 is
 * not ready on the link.  Return: 0 or -errno (not_ready() ones: try
 * again soon). */
static int solicit(int fd, int pfd, unsigned ifindex)
{
	struct nd_router_solicit rs = { .nd_rs_type = ND_ROUTER_SOLICIT };
	struct sockaddr_in6 to = {
		.sin6_family = AF_INET6,
		.sin6_scope_id = ifindex,
	};

	inet_pton(AF_INET6, "ff02::2", &to.sin6_addr);
	if (sendto(fd, &rs, sizeof(rs), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0) {
		int err = -errno;

		if (not_ready(err) && pfd >= 0 &&
		    solicit_unspecified(pfd, ifindex) == 0)
			return 0;
		return err;
	}
	return 0;
}

/* receive - read one message; keep it if it is a valid RA on ifindex.
 * Return: 0 with *ret, 1 for a message that is not one, -EAGAIN when
 * there is nothing to read, or -errno. */
static int receive(int fd, unsigned ifindex, struct vds_ra *ret)
{
	unsigned char msg[1500];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			 CMSG_SPACE(sizeof(int))];
	} ctl;
	struct sockaddr_in6 from;
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
	unsigned idx = 0;
	int hops = -1;

	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		if (c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			idx = pi.ipi6_ifindex;
		} else if (c->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(&hops, CMSG_DATA(c), sizeof(hops));
		}
	}
	/* RFC 4861 6.1.2: from a link-local address, hop limit 255 */
	if (idx != ifindex || hops != 255 ||
	    !IN6_IS_ADDR_LINKLOCAL(&from.sin6_addr))
		return 1;
	return vds_ndisc_parse_ra(msg, (size_t)n, ret) < 0 ? 1 : 0;
}

/* vds_ndisc_run - solicit and wait for the first advertisement.
 * Return: 0 with it in *ret, -ETIMEDOUT, or -errno. */
int vds_ndisc_run(int fd, int pfd, unsigned ifindex, int64_t deadline_ms,
		  struct vds_ra *ret)
{
	int64_t resend = vds_now_ms();
	int err = setup(fd, ifindex);

	if (err < 0)
		return err;
	for (;;) {
		int64_t now = vds_now_ms(), wait;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		if (now >= resend) {
			err = solicit(fd, pfd, ifindex);
			if (err < 0 && !not_ready(err))
				return err;
			/* IPv6 not ready on the link yet: again soon */
			resend = now + (err < 0 ? RS_INTERVAL_MS / 10
						: RS_INTERVAL_MS);
		}
		wait = (resend < deadline_ms ? resend : deadline_ms) - now;
		if (poll(&p, 1, (int)(wait > 0 ? wait : 0)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (p.revents & POLLIN) {
			err = receive(fd, ifindex, ret);
			if (err == 0)
				return 0;
			if (err == -EAGAIN)
				break;
			if (err < 0)
				return err;
		}
	}
}
