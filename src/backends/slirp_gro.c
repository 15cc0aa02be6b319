/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slirp_gro.c - the slirp backend's reading of TCP frames: data segments
 * merged on their way into libslirp, pure ACKs recognised on their way
 * out (slirp.c says why), apart from libslirp for the fuzz target.
 *
 * Theory of operation
 *
 * One parser, tcp_parse(), reads every frame, into copies of its
 * <net/ethernet.h>, <netinet/ip.h>, <netinet/ip6.h> and <netinet/tcp.h>
 * headers (a frame's IP header sits at any alignment), and accepts a TCP
 * segment exactly when:
 *
 *  - the frame is Ethernet II, type IPv4 or IPv6 (no VLAN tag);
 *  - IPv4: version 4, a header of 20 bytes or more (options allowed),
 *    a total length that covers the header and lies within the frame
 *    (Ethernet padding after it is ignored), protocol TCP, not a fragment
 *    (MF clear, offset 0);
 *  - IPv6: version 6, the fixed header within the frame, next header TCP
 *    (no extension header), the payload length within the frame;
 *  - TCP: a data offset of 5 words or more, the header with its options
 *    within the IP payload; what follows is the payload.
 *
 * Anything else is not TCP here and goes through untouched.  On that one
 * reading, two questions:
 *
 *  - mergeable (seg_mergeable): no IPv4 option, no TCP option, flags ACK
 *    and maybe PSH and nothing else, some payload.  Consecutive mergeable
 *    segments of one connection that continue each other (seg_follows:
 *    the next sequence number; the same Ethernet header, addresses, ports,
 *    acknowledgement and window; the same IPv4 TOS or IPv6 class and flow)
 *    become one, as the kernel's GRO does, within 64 parts, an IPv4
 *    packet's 64 KiB, or for IPv6 libslirp's MTU;
 *  - pure ACK (seg_pure_ack): flags ACK only, no payload (options
 *    allowed), the frame within VDS_SLIRP_ACK_FRAME_MAX bytes.
 *
 * A merged segment has the first part's headers with the lengths of the
 * whole, the parts' flags together, and its checksums recomputed: the IPv4
 * header's from the header, the TCP one from the parts' own checksums
 * (each part's payload sum is what its checksum leaves once its
 * pseudo-header and header are taken out), without a pass over the data:
 * a part with a bad checksum makes a bad merge, which libslirp drops as it
 * would have dropped the part.
 */
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "slirp_gro.h"

#define IP4_HDR sizeof(struct ip)          /* without options */
#define IP6_HDR sizeof(struct ip6_hdr)
#define TCP_HDR sizeof(struct tcphdr)      /* without options */
#define GRO_MAX_PARTS 64                   /* segments in one merge */
/* The payload of an IPv4 merge: an IP packet's 64 KiB at most. */
#define GRO_V4_MAX_PAYLOAD (IP_MAXPACKET - IP4_HDR - TCP_HDR)

/* A TCP segment of a frame, as tcp_parse() read it. */
struct tcp_seg {
	const unsigned char *f;  /* the frame */
	bool v6;
	unsigned iphl;           /* IP header bytes (IPv4 options included) */
	unsigned tcphl;          /* TCP header bytes (options included) */
	unsigned plen;           /* payload bytes */
	union {
		struct ip v4;
		struct ip6_hdr v6;
	} ip;                    /* copies of the fixed headers */
	struct tcphdr tcp;
};

/* parse_ip4 - the IPv4 header at ip (room bytes of frame after it) of a
 * TCP segment, into s.  Return: the IP packet's length, or 0 when it is
 * not one (see Theory of operation). */
static size_t parse_ip4(const unsigned char *ip, size_t room,
			struct tcp_seg *s)
{
	size_t tot;

	if (room < IP4_HDR)
		return 0;
	memcpy(&s->ip.v4, ip, IP4_HDR);
	s->iphl = s->ip.v4.ip_hl * 4u;
	tot = ntohs(s->ip.v4.ip_len);
	if (s->ip.v4.ip_v != 4 || s->iphl < IP4_HDR || tot < s->iphl ||
	    tot > room || s->ip.v4.ip_p != IPPROTO_TCP ||
	    (ntohs(s->ip.v4.ip_off) & (IP_MF | IP_OFFMASK)))
		return 0;
	return tot;
}

/* parse_ip6 - the IPv6 header at ip (room bytes of frame after it) of a
 * TCP segment, into s.  Return: the IP packet's length, or 0 when it is
 * not one (see Theory of operation). */
static size_t parse_ip6(const unsigned char *ip, size_t room,
			struct tcp_seg *s)
{
	size_t tot;

	if (room < IP6_HDR)
		return 0;
	memcpy(&s->ip.v6, ip, IP6_HDR);
	s->iphl = IP6_HDR;
	tot = IP6_HDR + ntohs(s->ip.v6.ip6_plen);
	if ((ntohl(s->ip.v6.ip6_flow) >> 28) != 6 ||
	    s->ip.v6.ip6_nxt != IPPROTO_TCP || tot > room)
		return 0;
	return tot;
}

/* tcp_parse - read frame f (len bytes) as a TCP segment, by the rules of
 * the Theory of operation.  Return: true, with *s filled, for one. */
static bool tcp_parse(const unsigned char *f, size_t len, struct tcp_seg *s)
{
	struct ether_header eth;
	size_t tot;

	if (len < ETH_HLEN)
		return false;
	memcpy(&eth, f, ETH_HLEN);
	s->f = f;
	if (eth.ether_type == htons(ETHERTYPE_IP)) {
		s->v6 = false;
		tot = parse_ip4(f + ETH_HLEN, len - ETH_HLEN, s);
	} else if (eth.ether_type == htons(ETHERTYPE_IPV6)) {
		s->v6 = true;
		tot = parse_ip6(f + ETH_HLEN, len - ETH_HLEN, s);
	} else {
		return false;
	}
	if (tot < s->iphl + TCP_HDR)
		return false; /* not TCP, or no room for its header */
	memcpy(&s->tcp, f + ETH_HLEN + s->iphl, TCP_HDR);
	s->tcphl = s->tcp.th_off * 4u;
	if (s->tcphl < TCP_HDR || s->tcphl > tot - s->iphl)
		return false;
	s->plen = (unsigned)(tot - s->iphl - s->tcphl);
	return true;
}

/* payload - Return: where segment s's payload starts. */
static const unsigned char *payload(const struct tcp_seg *s)
{
	return s->f + ETH_HLEN + s->iphl + s->tcphl;
}

/* seg_mergeable - whether s may be part of a merge: no IPv4 or TCP
 * option, ACK and maybe PSH and no other flag, some payload.
 * Return: true if so. */
static bool seg_mergeable(const struct tcp_seg *s)
{
	return (s->v6 || s->iphl == IP4_HDR) && s->tcphl == TCP_HDR &&
	       (s->tcp.th_flags & ~TH_PUSH) == TH_ACK && s->plen > 0;
}

/* seg_pure_ack - whether s, of a frame of len bytes, is a pure
 * acknowledgement: ACK only, no payload, a short frame.
 * Return: true if so. */
static bool seg_pure_ack(const struct tcp_seg *s, size_t len)
{
	return s->tcp.th_flags == TH_ACK && s->plen == 0 &&
	       len <= VDS_SLIRP_ACK_FRAME_MAX;
}

/* seg_follows - whether b continues a's connection right at next_seq,
 * with the same acknowledgement and window (a merged segment says the
 * same as its parts).  Return: true if so. */
static bool seg_follows(const struct tcp_seg *a, uint32_t next_seq,
			const struct tcp_seg *b)
{
	if (a->v6 != b->v6 || memcmp(a->f, b->f, ETH_HLEN) ||
	    ntohl(b->tcp.th_seq) != next_seq ||
	    b->tcp.th_ack != a->tcp.th_ack ||
	    b->tcp.th_sport != a->tcp.th_sport ||
	    b->tcp.th_dport != a->tcp.th_dport ||
	    b->tcp.th_win != a->tcp.th_win)
		return false;
	if (a->v6) /* version, class (ECN) and flow label too */
		return a->ip.v6.ip6_flow == b->ip.v6.ip6_flow &&
		       !memcmp(&a->ip.v6.ip6_src, &b->ip.v6.ip6_src, 16) &&
		       !memcmp(&a->ip.v6.ip6_dst, &b->ip.v6.ip6_dst, 16);
	return a->ip.v4.ip_src.s_addr == b->ip.v4.ip_src.s_addr &&
	       a->ip.v4.ip_dst.s_addr == b->ip.v4.ip_dst.s_addr &&
	       a->ip.v4.ip_tos == b->ip.v4.ip_tos;
}

/* seg_pseudo - the sum of s's pseudo-header for a TCP length of len.
 * Return: it, folded. */
static uint16_t seg_pseudo(const struct tcp_seg *s, unsigned len)
{
	if (s->v6)
		return vds_csum_pseudo6(&s->ip.v6.ip6_src, &s->ip.v6.ip6_dst,
					IPPROTO_TCP, len);
	return vds_csum_pseudo4(s->ip.v4.ip_src, s->ip.v4.ip_dst,
				IPPROTO_TCP, len);
}

/* payload_sum - the one's complement sum of s's payload, from the
 * checksum its sender computed (no pass over the data): the checksum's
 * complement less the pseudo-header and the header.  Return: it. */
static uint16_t payload_sum(const struct tcp_seg *s)
{
	struct tcphdr h = s->tcp;
	uint16_t all = (uint16_t)~ntohs(h.th_sum), hdr;

	h.th_sum = 0;
	hdr = vds_csum_add(0, &h, TCP_HDR);
	return vds_csum_sub(vds_csum_sub(all, seg_pseudo(s, TCP_HDR + s->plen)),
			    hdr);
}

/* gro_merge - merge the data segments s[0..n) of one connection into one
 * frame in out (VDS_SLIRP_GRO_BUF bytes): headers of the first, PSH if
 * any had it, lengths and checksums recomputed from the parts' checksums.
 * Return: the merged frame's length. */
static size_t gro_merge(unsigned char *out, const struct tcp_seg *s,
			unsigned n)
{
	struct tcp_seg m = s[0];
	size_t off = ETH_HLEN + m.iphl + TCP_HDR;
	uint32_t dsum = 0;
	uint8_t flags = 0;

	memcpy(out, s[0].f, ETH_HLEN);
	m.plen = 0;
	for (unsigned i = 0; i < n; i++) {
		dsum += vds_csum_at(payload_sum(&s[i]), m.plen);
		memcpy(out + off + m.plen, payload(&s[i]), s[i].plen);
		m.plen += s[i].plen;
		flags |= s[i].tcp.th_flags;
	}
	if (m.v6) {
		m.ip.v6.ip6_plen = htons((uint16_t)(TCP_HDR + m.plen));
		memcpy(out + ETH_HLEN, &m.ip.v6, IP6_HDR);
	} else {
		m.ip.v4.ip_len = htons((uint16_t)(IP4_HDR + TCP_HDR + m.plen));
		m.ip.v4.ip_sum = 0;
		m.ip.v4.ip_sum = htons(vds_csum_finish(
			vds_csum_add(0, &m.ip.v4, IP4_HDR)));
		memcpy(out + ETH_HLEN, &m.ip.v4, IP4_HDR);
	}
	m.tcp.th_flags = flags;
	m.tcp.th_sum = 0;
	m.tcp.th_sum = htons(vds_csum_finish(
		(uint32_t)seg_pseudo(&m, TCP_HDR + m.plen) +
		vds_csum_add(0, &m.tcp, TCP_HDR) + vds_csum_fold(dsum)));
	memcpy(out + ETH_HLEN + m.iphl, &m.tcp, TCP_HDR);
	return off + m.plen;
}

/* vds_slirp_merge - hand frames f[0..n) from the interface to input(),
 * consecutive data segments of one connection merged into one frame in
 * gro (VDS_SLIRP_GRO_BUF bytes; IPv6 merges within mtu).
 * Return: nothing. */
void vds_slirp_merge(unsigned char *gro, unsigned mtu,
		     const struct vds_frame *f, unsigned n,
		     void (*input)(void *arg, const void *buf, size_t len),
		     void *arg)
{
	struct tcp_seg segs[GRO_MAX_PARTS];

	for (unsigned i = 0; i < n;) {
		unsigned k = 1, max;
		uint32_t next;

		if (!tcp_parse(f[i].data, f[i].len, &segs[0]) ||
		    !seg_mergeable(&segs[0])) {
			input(arg, f[i].data, f[i].len);
			i++;
			continue;
		}
		/* IPv4: an IP packet's 64 KiB; IPv6: libslirp's MTU */
		max = segs[0].v6 ? mtu - IP6_HDR - TCP_HDR : GRO_V4_MAX_PAYLOAD;
		next = ntohl(segs[0].tcp.th_seq) + segs[0].plen;
		for (unsigned total = segs[0].plen;
		     i + k < n && k < GRO_MAX_PARTS &&
		     tcp_parse(f[i + k].data, f[i + k].len, &segs[k]) &&
		     seg_mergeable(&segs[k]) &&
		     seg_follows(&segs[0], next, &segs[k]) &&
		     total + segs[k].plen <= max; k++) {
			total += segs[k].plen;
			next += segs[k].plen;
		}
		if (k == 1)
			input(arg, f[i].data, f[i].len);
		else
			input(arg, gro, gro_merge(gro, segs, k));
		i += k;
	}
}

/* vds_slirp_pure_ack - whether frame f (len bytes) is a pure ACK; if so
 * its connection's key (addresses, then ports, as on the wire) and its
 * ack number.  Return: true for a pure ACK. */
bool vds_slirp_pure_ack(const unsigned char *f, size_t len,
			unsigned char key[VDS_SLIRP_ACK_KEY], unsigned *keylen,
			uint32_t *ack)
{
	struct tcp_seg s;
	size_t alen;

	if (!tcp_parse(f, len, &s) || !seg_pure_ack(&s, len))
		return false;
	if (s.v6) {
		alen = sizeof(s.ip.v6.ip6_src);
		memcpy(key, &s.ip.v6.ip6_src, alen);
		memcpy(key + alen, &s.ip.v6.ip6_dst, alen);
	} else {
		alen = sizeof(s.ip.v4.ip_src);
		memcpy(key, &s.ip.v4.ip_src, alen);
		memcpy(key + alen, &s.ip.v4.ip_dst, alen);
	}
	memcpy(key + 2 * alen, &s.tcp.th_sport, sizeof(s.tcp.th_sport));
	memcpy(key + 2 * alen + sizeof(s.tcp.th_sport), &s.tcp.th_dport,
	       sizeof(s.tcp.th_dport));
	*keylen = (unsigned)(2 * alen + sizeof(s.tcp.th_sport) +
			     sizeof(s.tcp.th_dport));
	*ack = ntohl(s.tcp.th_ack);
	return true;
}
