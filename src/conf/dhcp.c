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

#define IP_HDR 20
#define UDP_HDR 8
#define BOOTP_FIXED 236       /* op .. file */
#define BOOTP_MIN 300         /* smallest BOOTP message (RFC 951) */
#define DHCP_MAGIC 0x63825363u
#define PORT_SERVER 67
#define PORT_CLIENT 68
#define RTO_FIRST_MS 1000
#define RTO_MAX_MS 4000

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

/* csum_add - add len bytes to a ones' complement running sum.
 * Return: the new sum (not folded). */
static uint32_t csum_add(uint32_t sum, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

/* csum_fold - fold a running sum to the 16-bit Internet checksum.
 * Return: the checksum, in host order. */
static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* put16 - store a 16-bit value big-endian. */
static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* put32 - store a 32-bit value big-endian. */
static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* get16 - load a 16-bit big-endian value.  Return: it. */
static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* get32 - load a 32-bit big-endian value.  Return: it. */
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* vds_dhcp_build - a DISCOVER or REQUEST as a whole IPv4 packet.
 * Return: its length, or 0 when size is too small or type is wrong. */
size_t vds_dhcp_build(unsigned char *buf, size_t size, int type,
		      uint32_t xid, const unsigned char mac[6],
		      const struct vds_dhcp_msg *offer, uint16_t secs)
{
	static const unsigned char params[] = {
		OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_DOMAIN, OPT_MTU,
		OPT_LEASE, OPT_SERVER, OPT_SEARCH,
	};
	unsigned char *ip = buf, *udp = buf + IP_HDR, *bp = udp + UDP_HDR;
	unsigned char *o = bp + BOOTP_FIXED;
	size_t blen, total;
	uint32_t sum;

	if (size < IP_HDR + UDP_HDR + BOOTP_MIN + 64 ||
	    (type != VDS_DHCP_DISCOVER && type != VDS_DHCP_REQUEST) ||
	    (type == VDS_DHCP_REQUEST && !offer))
		return 0;
	memset(buf, 0, IP_HDR + UDP_HDR + BOOTP_MIN + 64);

	bp[0] = 1; /* BOOTREQUEST */
	bp[1] = 1; /* Ethernet */
	bp[2] = 6;
	put32(bp + 4, xid);
	put16(bp + 8, secs);
	put16(bp + 10, 0x8000); /* broadcast replies: we have no address */
	memcpy(bp + 28, mac, 6);
	put32(o, DHCP_MAGIC);
	o += 4;
	*o++ = OPT_TYPE;
	*o++ = 1;
	*o++ = (unsigned char)type;
	*o++ = OPT_CLIENT_ID;
	*o++ = 7;
	*o++ = 1;
	memcpy(o, mac, 6);
	o += 6;
	if (type == VDS_DHCP_REQUEST) {
		*o++ = OPT_REQ_ADDR;
		*o++ = 4;
		memcpy(o, &offer->yiaddr, 4);
		o += 4;
		if (offer->server.s_addr) {
			*o++ = OPT_SERVER;
			*o++ = 4;
			memcpy(o, &offer->server, 4);
			o += 4;
		}
	}
	*o++ = OPT_MAX_SIZE;
	*o++ = 2;
	put16(o, 1500);
	o += 2;
	*o++ = OPT_PARAMS;
	*o++ = sizeof(params);
	memcpy(o, params, sizeof(params));
	o += sizeof(params);
	*o++ = OPT_END;
	blen = (size_t)(o - bp);
	if (blen < BOOTP_MIN)
		blen = BOOTP_MIN;
	total = IP_HDR + UDP_HDR + blen;

	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)total);
	ip[8] = 64;             /* TTL */
	ip[9] = IPPROTO_UDP;
	put32(ip + 16, 0xffffffffu);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_HDR)));

	put16(udp, PORT_CLIENT);
	put16(udp + 2, PORT_SERVER);
	put16(udp + 4, (uint16_t)(UDP_HDR + blen));
	/* pseudo-header: addresses, protocol, UDP length */
	sum = csum_add(0, ip + 12, 8);
	sum += IPPROTO_UDP + (uint32_t)(UDP_HDR + blen);
	sum = csum_add(sum, udp, UDP_HDR + blen);
	put16(udp + 6, csum_fold(sum) ? csum_fold(sum) : 0xffff);
	return total;
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
			if (at + 1 >= len || ++jumps > 32)
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

/* parse_options - the options of a BOOTREPLY into *m.
 * Return: 0 or -EBADMSG. */
static int parse_options(const unsigned char *o, size_t len,
			 struct vds_dhcp_msg *m)
{
	unsigned char search[1024];
	size_t nsearch = 0, at = 0;

	while (at < len) {
		unsigned code = o[at], l;
		const unsigned char *v;

		if (code == OPT_PAD) {
			at++;
			continue;
		}
		if (code == OPT_END)
			break;
		if (at + 2 > len || at + 2 + o[at + 1] > len)
			return -EBADMSG;
		l = o[at + 1];
		v = o + at + 2;
		at += 2 + l;
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
				m->lease_s = get32(v);
			break;
		case OPT_MTU:
			if (l == 2 && get16(v) >= 68)
				m->mtu = get16(v);
			break;
		case OPT_ROUTER:
			for (unsigned i = 0; i + 4 <= l; i += 4)
				if (m->nrouters < VDS_DHCP_MAX_ROUTERS)
					memcpy(&m->routers[m->nrouters++],
					       v + i, 4);
			break;
		case OPT_DNS:
			for (unsigned i = 0; i + 4 <= l; i += 4) {
				struct vds_ipaddr a = { .family = AF_INET };

				memcpy(a.addr, v + i, 4);
				vds_dns_add_server(&m->dns, &a);
			}
			break;
		case OPT_DOMAIN: {
			size_t n = strnlen((const char *)v, l);

			while (n && (v[n - 1] == ' ' || v[n - 1] == '.'))
				n--;
			if (vds_conf_check_domain((const char *)v, n) == 0) {
				char name[VDS_CONF_DOMAIN_MAX + 1];

				memcpy(name, v, n);
				name[n] = '\0';
				vds_dns_add_domain(&m->dns, name);
			}
			break;
		}
		case OPT_SEARCH:
			if (nsearch + l <= sizeof(search)) {
				memcpy(search + nsearch, v, l);
				nsearch += l;
			}
			break;
		}
	}
	if (nsearch)
		add_search(&m->dns, search, nsearch); /* best effort */
	return 0;
}

/* vds_dhcp_parse - a BOOTREPLY for (xid, mac) in an IPv4 packet.
 * Return: 0, -EAGAIN (not ours), or -EBADMSG. */
int vds_dhcp_parse(const unsigned char *pkt, size_t len, uint32_t xid,
		   const unsigned char mac[6], struct vds_dhcp_msg *ret)
{
	size_t ihl, tot, ulen;
	const unsigned char *udp, *bp;
	int err;

	if (len < IP_HDR || (pkt[0] >> 4) != 4)
		return -EAGAIN;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	tot = get16(pkt + 2);
	if (ihl < IP_HDR || tot < ihl + UDP_HDR || tot > len ||
	    pkt[9] != IPPROTO_UDP || (get16(pkt + 6) & 0x3fff))
		return -EAGAIN; /* not UDP, or a fragment */
	udp = pkt + ihl;
	if (get16(udp + 2) != PORT_CLIENT || get16(udp) != PORT_SERVER)
		return -EAGAIN;
	ulen = get16(udp + 4);
	if (ulen < UDP_HDR || ihl + ulen > tot)
		return -EBADMSG;
	bp = udp + UDP_HDR;
	ulen -= UDP_HDR;
	if (ulen < BOOTP_FIXED + 4 || bp[0] != 2)
		return -EAGAIN;
	if (get32(bp + 4) != xid || bp[2] != 6 || memcmp(bp + 28, mac, 6))
		return -EAGAIN; /* another client's transaction */
	if (get32(bp + BOOTP_FIXED) != DHCP_MAGIC)
		return -EBADMSG;
	*ret = (struct vds_dhcp_msg){ .type = 0 };
	memcpy(&ret->yiaddr, bp + 16, 4);
	err = parse_options(bp + BOOTP_FIXED + 4, ulen - BOOTP_FIXED - 4, ret);
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
	unsigned char buf[IP_HDR + UDP_HDR + BOOTP_MIN + 128];
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
			unsigned char pkt[2048];
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
				resend = vds_now_ms() + RTO_FIRST_MS / 4;
				rto = RTO_FIRST_MS;
				break;
			}
		}
	}
}
