/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dhcp.c - a DHCPv4 client (RFC 2131) for vde_stackconf(3): one lease,
 * obtained and handed back, not renewed.
 *
 * Theory of operation: before it has an address a client cannot use an
 * ordinary UDP socket (the kernel drops replies to an address it does not
 * have yet), so, as udhcpc does, this one speaks through an AF_PACKET
 * datagram socket of the stack bound to its interface: it builds whole
 * IPv4/UDP packets from 0.0.0.0:68 to 255.255.255.255:67, sent to the
 * Ethernet broadcast address, and reads every IPv4 packet of the
 * interface, keeping the BOOTREPLYs for its transaction and hardware
 * address.  UDP checksums of received packets are not checked: on an
 * interface with checksum offload (a vnet-header tap) a local sender's
 * checksum is legitimately partial.  DISCOVER, OFFER, REQUEST, ACK; a NAK
 * starts over; a message without an answer is sent again after 1, 2, 4,
 * 4... seconds; everything ends at the caller's deadline.
 *
 * The building and parsing functions are pure, for the unit tests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "dhcp.h"
#include "base/clock.h"
#include "base/inet.h"

#define BOOTP_MIN 300         /* smallest BOOTP message (RFC 951) */
#define BOOTP_REQUEST 1       /* op */
#define BOOTP_REPLY 2
#define BOOTP_HTYPE_ETHER 1
#define BOOTP_FLAG_BROADCAST 0x8000 /* replies broadcast: no address yet */
#define DHCP_MAGIC 0x63825363u
#define DHCP_OPTS_ROOM 64     /* options beyond the BOOTP minimum */
#define DHCP_MAX_SIZE 1500    /* option 57: the largest reply we read */
#define DHCP_TTL 64
#define DHCP_MTU_MIN 68       /* option 26 below this is ignored */
#define DHCP_SEARCH_MAX 1024  /* option 119, all instances together */
#define DHCP_RX_MAX 2048      /* a received packet, at most */
#define DNS_MAX_JUMPS 32      /* compression pointers followed per name */
#define PORT_SERVER 67
#define PORT_CLIENT 68
#define RTO_FIRST_MS 1000
#define RTO_MAX_MS 4000
#define RTO_AFTER_NAK_MS (RTO_FIRST_MS / 4)

/* The fixed part of a BOOTP message (RFC 2131 2), fields big-endian. */
struct bootp {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	struct in_addr ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	char sname[64];
	char file[128];
};
_Static_assert(sizeof(struct bootp) == 236, "BOOTP's fixed part");

#define IP_HDR sizeof(struct ip)
#define UDP_HDR sizeof(struct udphdr)
#define BOOTP_FIXED sizeof(struct bootp)

/* DHCP option codes. */
enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_DOMAIN = 15,
	OPT_MTU = 26,
	OPT_REQ_ADDR = 50,
	OPT_LEASE = 51,
	OPT_TYPE = 53,
	OPT_SERVER = 54,
	OPT_PARAMS = 55,
	OPT_MAX_SIZE = 57,
	OPT_CLIENT_ID = 61,
	OPT_SEARCH = 119,
	OPT_END = 255,
};

/* put_option - one option (code, length, value) at o.
 * Return: the byte after it. */
static unsigned char *put_option(unsigned char *o, unsigned code,
				 const void *v, size_t len)
{
	*o++ = (unsigned char)code;
	*o++ = (unsigned char)len;
	memcpy(o, v, len);
	return o + len;
}

/* put_options - the magic cookie and options of a DISCOVER or REQUEST at
 * o.  Return: the byte after OPT_END. */
static unsigned char *put_options(unsigned char *o, int type,
				  const unsigned char mac[6],
				  const struct vds_dhcp_msg *offer)
{
	static const unsigned char params[] = {
		OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_DOMAIN, OPT_MTU,
		OPT_LEASE, OPT_SERVER, OPT_SEARCH,
	};
	unsigned char t = (unsigned char)type, id[7] = { BOOTP_HTYPE_ETHER };
	unsigned char max[2];

	vds_put32(o, DHCP_MAGIC);
	o = put_option(o + 4, OPT_TYPE, &t, 1);
	memcpy(id + 1, mac, 6);
	o = put_option(o, OPT_CLIENT_ID, id, sizeof(id));
	if (type == VDS_DHCP_REQUEST) {
		o = put_option(o, OPT_REQ_ADDR, &offer->yiaddr, 4);
		if (offer->server.s_addr)
			o = put_option(o, OPT_SERVER, &offer->server, 4);
	}
	vds_put16(max, DHCP_MAX_SIZE);
	o = put_option(o, OPT_MAX_SIZE, max, sizeof(max));
	o = put_option(o, OPT_PARAMS, params, sizeof(params));
	*o++ = OPT_END;
	return o;
}

/* put_headers - the IPv4 and UDP headers, from 0.0.0.0:68 to
 * 255.255.255.255:67, of a BOOTP message of blen bytes at buf +
 * IP_HDR + UDP_HDR.  Return: nothing. */
static void put_headers(unsigned char *buf, size_t blen)
{
	struct ip ip = {
		.ip_v = 4,
		.ip_hl = IP_HDR / 4,
		.ip_len = htons((uint16_t)(IP_HDR + UDP_HDR + blen)),
		.ip_ttl = DHCP_TTL,
		.ip_p = IPPROTO_UDP,
		.ip_dst.s_addr = htonl(INADDR_BROADCAST),
	};
	struct udphdr udp = {
		.uh_sport = htons(PORT_CLIENT),
		.uh_dport = htons(PORT_SERVER),
		.uh_ulen = htons((uint16_t)(UDP_HDR + blen)),
	};
	uint16_t sum;

	ip.ip_sum = htons(vds_csum_finish(vds_csum_add(0, &ip, IP_HDR)));
	sum = vds_csum_pseudo4(ip.ip_src, ip.ip_dst, IPPROTO_UDP,
			       (uint32_t)(UDP_HDR + blen));
	sum = vds_csum_add(sum, &udp, UDP_HDR);
	sum = vds_csum_finish(vds_csum_add(sum, buf + IP_HDR + UDP_HDR, blen));
	udp.uh_sum = htons(sum ? sum : 0xffff); /* 0: no checksum */
	memcpy(buf, &ip, IP_HDR);
	memcpy(buf + IP_HDR, &udp, UDP_HDR);
}

/* vds_dhcp_build - a DISCOVER or REQUEST as a whole IPv4 packet.
 * Return: its length, or 0 when size is too small or type is wrong. */
size_t vds_dhcp_build(unsigned char *buf, size_t size, int type,
		      uint32_t xid, const unsigned char mac[6],
		      const struct vds_dhcp_msg *offer, uint16_t secs)
{
	unsigned char *bp = buf + IP_HDR + UDP_HDR;
	struct bootp fixed = {
		.op = BOOTP_REQUEST,
		.htype = BOOTP_HTYPE_ETHER,
		.hlen = 6,
		.xid = htonl(xid),
		.secs = htons(secs),
		.flags = htons(BOOTP_FLAG_BROADCAST),
	};
	size_t blen;

	if (size < IP_HDR + UDP_HDR + BOOTP_MIN + DHCP_OPTS_ROOM ||
	    (type != VDS_DHCP_DISCOVER && type != VDS_DHCP_REQUEST) ||
	    (type == VDS_DHCP_REQUEST && !offer))
		return 0;
	memset(buf, 0, IP_HDR + UDP_HDR + BOOTP_MIN + DHCP_OPTS_ROOM);
	memcpy(fixed.chaddr, mac, 6);
	memcpy(bp, &fixed, BOOTP_FIXED);
	blen = (size_t)(put_options(bp + BOOTP_FIXED, type, mac, offer) - bp);
	if (blen < BOOTP_MIN)
		blen = BOOTP_MIN;
	put_headers(buf, blen);
	return IP_HDR + UDP_HDR + blen;
}

/* name_decode - one domain name in DNS wire format at *pos of buf (len),
 * compression pointers allowed (RFC 1035 4.1.4), into text (size).
 * Return: 0 with *pos past the name, or -EBADMSG. */
static int name_decode(const unsigned char *buf, size_t len, size_t *pos,
		       char *text, size_t size)
{
	size_t at = *pos, out = 0, next = 0;
	unsigned jumps = 0;
	bool jumped = false;

	for (;;) {
		unsigned l;

		if (at >= len)
			return -EBADMSG;
		l = buf[at];
		if ((l & 0xc0) == 0xc0) {
			if (at + 1 >= len || ++jumps > DNS_MAX_JUMPS)
				return -EBADMSG;
			if (!jumped)
				next = at + 2;
			jumped = true;
			at = (size_t)((l & 0x3f) << 8 | buf[at + 1]);
			continue;
		}
		if (l & 0xc0)
			return -EBADMSG;
		if (l == 0) {
			if (!jumped)
				next = at + 1;
			break;
		}
		if (at + 1 + l > len || out + l + 2 > size)
			return -EBADMSG;
		if (out)
			text[out++] = '.';
		memcpy(text + out, buf + at + 1, l);
		out += l;
		at += 1 + l;
	}
	if (out == 0)
		return -EBADMSG; /* the root: no search domain */
	text[out] = '\0';
	*pos = next;
	return 0;
}

/* add_search - the domain names of an option 119 (all its instances,
 * concatenated) to dns; names that are not valid domains are skipped.
 * Return: 0 or -EBADMSG. */
static int add_search(struct vds_dns *dns, const unsigned char *buf,
		      size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		char name[VDS_CONF_DOMAIN_MAX + 2];
		int err = name_decode(buf, len, &pos, name, sizeof(name));

		if (err < 0)
			return err;
		if (vds_conf_check_domain(name, strlen(name)) == 0)
			vds_dns_add_domain(dns, name);
	}
	return 0;
}

/* add_domain - option 15 (v, l bytes: a name, maybe NUL-ended, trailing
 * blanks and dots allowed) to dns when it is a valid domain.
 * Return: nothing. */
static void add_domain(struct vds_dns *dns, const unsigned char *v,
		       unsigned l)
{
	size_t n = strnlen((const char *)v, l);
	char name[VDS_CONF_DOMAIN_MAX + 1];

	while (n && (v[n - 1] == ' ' || v[n - 1] == '.'))
		n--;
	if (vds_conf_check_domain((const char *)v, n) < 0)
		return;
	memcpy(name, v, n);
	name[n] = '\0';
	vds_dns_add_domain(dns, name);
}

/* Option 119's instances, gathered (RFC 3396: they are one value). */
struct search_buf {
	unsigned char data[DHCP_SEARCH_MAX];
	size_t len;
};

/* parse_option - one option (code, l bytes of value at v) into *m; an
 * option of a length it cannot have, or unknown, is ignored; option 119
 * is gathered in search.  Return: nothing. */
static void parse_option(unsigned code, const unsigned char *v, unsigned l,
			 struct vds_dhcp_msg *m, struct search_buf *search)
{
	switch (code) {
	case OPT_TYPE:
		if (l == 1)
			m->type = v[0];
		break;
	case OPT_MASK:
		if (l == 4)
			memcpy(&m->mask, v, 4);
		break;
	case OPT_SERVER:
		if (l == 4)
			memcpy(&m->server, v, 4);
		break;
	case OPT_LEASE:
		if (l == 4)
			m->lease_s = vds_get32(v);
		break;
	case OPT_MTU:
		if (l == 2 && vds_get16(v) >= DHCP_MTU_MIN)
			m->mtu = vds_get16(v);
		break;
	case OPT_ROUTER:
		for (unsigned i = 0; i + 4 <= l; i += 4)
			if (m->nrouters < VDS_DHCP_MAX_ROUTERS)
				memcpy(&m->routers[m->nrouters++], v + i, 4);
		break;
	case OPT_DNS:
		for (unsigned i = 0; i + 4 <= l; i += 4) {
			struct vds_ipaddr a = { .family = AF_INET };

			memcpy(a.addr, v + i, 4);
			vds_dns_add_server(&m->dns, &a);
		}
		break;
	case OPT_DOMAIN:
		add_domain(&m->dns, v, l);
		break;
	case OPT_SEARCH:
		if (search->len + l <= sizeof(search->data)) {
			memcpy(search->data + search->len, v, l);
			search->len += l;
		}
		break;
	}
}

/* parse_options - the options of a BOOTREPLY into *m.
 * Return: 0 or -EBADMSG. */
static int parse_options(const unsigned char *o, size_t len,
			 struct vds_dhcp_msg *m)
{
	struct search_buf search = { .len = 0 };
	size_t at = 0;

	while (at < len) {
		unsigned code = o[at], l;

		if (code == OPT_PAD) {
			at++;
			continue;
		}
		if (code == OPT_END)
			break;
		if (at + 2 > len || at + 2 + o[at + 1] > len)
			return -EBADMSG;
		l = o[at + 1];
		parse_option(code, o + at + 2, l, m, &search);
		at += 2 + l;
	}
	if (search.len) /* best effort */
		add_search(&m->dns, search.data, search.len);
	return 0;
}

/* vds_dhcp_parse - a BOOTREPLY for (xid, mac) in an IPv4 packet.
 * Return: 0, -EAGAIN (not ours), or -EBADMSG. */
int vds_dhcp_parse(const unsigned char *pkt, size_t len, uint32_t xid,
		   const unsigned char mac[6], struct vds_dhcp_msg *ret)
{
	struct ip ip;
	struct udphdr udp;
	struct bootp bp;
	size_t ihl, tot, ulen;
	const unsigned char *opts;
	int err;

	if (len < IP_HDR)
		return -EAGAIN;
	memcpy(&ip, pkt, IP_HDR);
	ihl = (size_t)ip.ip_hl * 4;
	tot = ntohs(ip.ip_len);
	if (ip.ip_v != 4 || ihl < IP_HDR || tot < ihl + UDP_HDR || tot > len ||
	    ip.ip_p != IPPROTO_UDP ||
	    (ntohs(ip.ip_off) & (IP_MF | IP_OFFMASK)))
		return -EAGAIN; /* not UDP, or a fragment */
	memcpy(&udp, pkt + ihl, UDP_HDR);
	if (ntohs(udp.uh_dport) != PORT_CLIENT ||
	    ntohs(udp.uh_sport) != PORT_SERVER)
		return -EAGAIN;
	ulen = ntohs(udp.uh_ulen);
	if (ulen < UDP_HDR || ihl + ulen > tot)
		return -EBADMSG;
	ulen -= UDP_HDR;
	if (ulen < BOOTP_FIXED + 4)
		return -EAGAIN;
	memcpy(&bp, pkt + ihl + UDP_HDR, BOOTP_FIXED);
	if (bp.op != BOOTP_REPLY || ntohl(bp.xid) != xid || bp.hlen != 6 ||
	    memcmp(bp.chaddr, mac, 6))
		return -EAGAIN; /* not a reply to our transaction */
	opts = pkt + ihl + UDP_HDR + BOOTP_FIXED;
	if (vds_get32(opts) != DHCP_MAGIC)
		return -EBADMSG;
	*ret = (struct vds_dhcp_msg){ .yiaddr = bp.yiaddr };
	err = parse_options(opts + 4, ulen - BOOTP_FIXED - 4, ret);
	if (err < 0)
		return err;
	return ret->type ? 0 : -EBADMSG;
}

/* vds_dhcp_prefix - prefix length of mask, or classful for addr.
 * Return: 0..32 or -EINVAL. */
int vds_dhcp_prefix(struct in_addr addr, struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr), a = ntohl(addr.s_addr);
	int len = 0;

	if (m == 0) {
		if (a >> 31 == 0)
			return 8;
		if (a >> 30 == 2)
			return 16;
		return 24;
	}
	while (m & 0x80000000u) {
		len++;
		m <<= 1;
	}
	return m ? -EINVAL : len;
}

/* new_xid - a random transaction id.  Return: it. */
static uint32_t new_xid(void)
{
	uint32_t xid;

	if (getrandom(&xid, sizeof(xid), GRND_NONBLOCK) != sizeof(xid))
		xid = (uint32_t)vds_now_ms() ^ (uint32_t)getpid() << 16;
	return xid;
}

/* send_msg - build and broadcast a DISCOVER or REQUEST.
 * Return: 0 or -errno. */
static int send_msg(int fd, unsigned ifindex, int type, uint32_t xid,
		    const unsigned char mac[6],
		    const struct vds_dhcp_msg *offer, int64_t start)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)ifindex,
		.sll_halen = 6,
		.sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	unsigned char buf[IP_HDR + UDP_HDR + BOOTP_MIN + 2 * DHCP_OPTS_ROOM];
	int64_t secs = (vds_now_ms() - start) / 1000;
	size_t len = vds_dhcp_build(buf, sizeof(buf), type, xid, mac, offer,
				    (uint16_t)(secs > 0xffff ? 0xffff : secs));

	if (len == 0)
		return -EINVAL;
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* vds_dhcp_run - obtain a lease, until deadline_ms.
 * Return: 0 with the ACK in *ret, -ETIMEDOUT, or -errno. */
int vds_dhcp_run(int fd, unsigned ifindex, const unsigned char mac[6],
		 int64_t deadline_ms, struct vds_dhcp_msg *ret)
{
	struct sockaddr_ll me = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)ifindex,
	};
	struct vds_dhcp_msg offer = { .type = 0 };
	int64_t start = vds_now_ms(), resend = start;
	int type = VDS_DHCP_DISCOVER, rto = RTO_FIRST_MS, err;
	uint32_t xid = new_xid();

	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		return -errno;
	for (;;) {
		int64_t now = vds_now_ms(), wait;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		if (now >= resend) {
			err = send_msg(fd, ifindex, type, xid, mac, &offer,
				       start);
			if (err < 0)
				return err;
			resend = now + rto;
			rto = rto * 2 > RTO_MAX_MS ? RTO_MAX_MS : rto * 2;
		}
		wait = (resend < deadline_ms ? resend : deadline_ms) - now;
		if (poll(&p, 1, (int)(wait > 0 ? wait : 0)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!(p.revents & POLLIN))
			continue;
		for (;;) {
			unsigned char pkt[DHCP_RX_MAX];
			struct vds_dhcp_msg m;
			ssize_t n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT);

			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return -errno;
			}
			if (vds_dhcp_parse(pkt, (size_t)n, xid, mac, &m) < 0)
				continue;
			if (type == VDS_DHCP_DISCOVER &&
			    m.type == VDS_DHCP_OFFER && m.yiaddr.s_addr) {
				offer = m;
				type = VDS_DHCP_REQUEST;
				resend = vds_now_ms(); /* send it now */
				rto = RTO_FIRST_MS;
				break;
			}
			if (type != VDS_DHCP_REQUEST)
				continue;
			if (offer.server.s_addr && m.server.s_addr &&
			    m.server.s_addr != offer.server.s_addr)
				continue; /* another server's answer */
			if (m.type == VDS_DHCP_ACK && m.yiaddr.s_addr) {
				*ret = m;
				return 0;
			}
			if (m.type == VDS_DHCP_NAK) {
				type = VDS_DHCP_DISCOVER;
				xid = new_xid();
				resend = vds_now_ms() + RTO_AFTER_NAK_MS;
				rto = RTO_FIRST_MS;
				break;
			}
		}
	}
}
