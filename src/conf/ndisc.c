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
#include <netinet/ip6.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ndisc.h"
#include "base/clock.h"
#include "base/inet.h"

#define RS_INTERVAL_MS 2000     /* no answer yet */
#define RS_RETRY_NOT_READY_MS (RS_INTERVAL_MS / 10) /* IPv6 not up yet */
#define ND_HOP_LIMIT 255        /* RFC 4861: on-link messages only */
#define SLAAC_PREFIX_LEN 64     /* what the kernel configures from */
#define IPV6_MTU_MIN 1280
#define NDISC_RX_MAX 1500       /* a received message, at most */
#define IP6_HDR sizeof(struct ip6_hdr)
#define RS_LEN sizeof(struct nd_router_solicit)

/* RFC 8106's options (RDNSS, DNSSL): their fixed part, fields big-endian;
 * addresses or names follow. */
struct nd_opt_dns {
	uint8_t type, len;
	uint16_t reserved;
	uint32_t lifetime;      /* seconds; 0: withdrawn */
};

/* ND option types glibc does not name. */
enum {
	OPT_RDNSS = 25,
	OPT_DNSSL = 31,
};

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

/* parse_option - one option (opt, olen bytes, the length its header
 * says, within the message) of an advertisement into *ra.
 * Return: 0, or -EBADMSG for a malformed option. */
static int parse_option(const unsigned char *opt, size_t olen,
			struct vds_ra *ra)
{
	struct nd_opt_prefix_info pi;
	struct nd_opt_mtu mtu;
	struct nd_opt_dns dns;

	switch (opt[0]) {
	case ND_OPT_PREFIX_INFORMATION:
		if (olen != sizeof(pi))
			return -EBADMSG;
		memcpy(&pi, opt, sizeof(pi));
		/* autonomous, valid, /64: what the kernel configures an
		 * address for */
		if (!(pi.nd_opt_pi_flags_reserved & ND_OPT_PI_FLAG_AUTO) ||
		    pi.nd_opt_pi_valid_time == 0 ||
		    pi.nd_opt_pi_prefix_len != SLAAC_PREFIX_LEN ||
		    ra->nprefixes == VDS_RA_MAX_PREFIXES)
			break;
		ra->prefixes[ra->nprefixes] = (struct vds_ipaddr){
			.family = AF_INET6, .prefix = SLAAC_PREFIX_LEN };
		memcpy(ra->prefixes[ra->nprefixes++].addr,
		       &pi.nd_opt_pi_prefix, 16);
		break;
	case ND_OPT_MTU:
		if (olen != sizeof(mtu))
			break;
		memcpy(&mtu, opt, sizeof(mtu));
		if (ntohl(mtu.nd_opt_mtu_mtu) >= IPV6_MTU_MIN)
			ra->mtu = ntohl(mtu.nd_opt_mtu_mtu);
		break;
	case OPT_RDNSS:
		if (olen < sizeof(dns) + 16)
			break;
		memcpy(&dns, opt, sizeof(dns));
		if (dns.lifetime == 0)
			break; /* withdrawn */
		for (size_t i = sizeof(dns); i + 16 <= olen; i += 16) {
			struct vds_ipaddr a = { .family = AF_INET6 };

			memcpy(a.addr, opt + i, 16);
			vds_dns_add_server(&ra->dns, &a);
		}
		break;
	case OPT_DNSSL:
		if (olen < sizeof(dns) + 8)
			break;
		memcpy(&dns, opt, sizeof(dns));
		if (dns.lifetime == 0)
			break;
		return add_dnssl(&ra->dns, opt + sizeof(dns),
				 olen - sizeof(dns));
	}
	return 0;
}

/* vds_ndisc_parse_ra - a router advertisement's useful content.
 * Return: 0, -EAGAIN (not an RA), or -EBADMSG. */
int vds_ndisc_parse_ra(const unsigned char *msg, size_t len,
		       struct vds_ra *ret)
{
	struct nd_router_advert ra;
	size_t at = sizeof(ra);

	if (len < sizeof(ra))
		return -EAGAIN;
	memcpy(&ra, msg, sizeof(ra));
	if (ra.nd_ra_type != ND_ROUTER_ADVERT || ra.nd_ra_code != 0)
		return -EAGAIN;
	*ret = (struct vds_ra){ .router = ra.nd_ra_router_lifetime != 0 };
	while (at < len) {
		size_t olen;
		int err;

		if (at + 2 > len || msg[at + 1] == 0)
			return -EBADMSG;
		olen = (size_t)msg[at + 1] * 8; /* in units of 8 bytes */
		if (at + olen > len)
			return -EBADMSG;
		err = parse_option(msg + at, olen, ret);
		if (err < 0)
			return err;
		at += olen;
	}
	return 0;
}

/* setup - the socket options: only RAs in, hop limit 255 out, the
 * interface and hop limit of what comes in.  Return: 0 or -errno. */
static int setup(int fd, unsigned ifindex)
{
	struct icmp6_filter filter;
	int hops = ND_HOP_LIMIT, one = 1, zero = 0, idx = (int)ifindex;

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
	struct ip6_hdr ip6 = {
		.ip6_flow = htonl(6u << 28),    /* version 6 */
		.ip6_plen = htons(RS_LEN),
		.ip6_nxt = IPPROTO_ICMPV6,
		.ip6_hlim = ND_HOP_LIMIT,
		.ip6_dst.s6_addr = { 0xff, 0x02, [15] = 0x02 }, /* source :: */
	};
	struct nd_router_solicit rs = { .nd_rs_type = ND_ROUTER_SOLICIT };
	uint16_t sum;

	if (size < IP6_HDR + RS_LEN)
		return 0;
	sum = vds_csum_pseudo6(&ip6.ip6_src, &ip6.ip6_dst, IPPROTO_ICMPV6,
			       RS_LEN);
	sum = vds_csum_add(sum, &rs, RS_LEN);
	rs.nd_rs_cksum = htons(vds_csum_finish(sum));
	memcpy(buf, &ip6, IP6_HDR);
	memcpy(buf + IP6_HDR, &rs, RS_LEN);
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
	unsigned char msg[NDISC_RX_MAX];
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
	if (idx != ifindex || hops != ND_HOP_LIMIT ||
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
			resend = now + (err < 0 ? RS_RETRY_NOT_READY_MS
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
