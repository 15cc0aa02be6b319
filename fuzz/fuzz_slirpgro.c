/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_slirpgro.c - libFuzzer target: the slirp backend's reading of the
 * frames a stack sends (slirp.c, vds_slirp_merge): TCP segments over IPv4
 * and IPv6, merged into one frame when they continue each other, with
 * their lengths and checksums recomputed; and its recognition of pure
 * ACKs (vds_slirp_pure_ack).  A stack runs any program, which may send
 * any frame: these are the parsers of that input.
 *
 * The input describes one connection (family, addresses, ports, numbers,
 * from the first bytes) and then records, each a segment of it with
 * checksums computed here, maybe spoiled (bad checksum, a gap, another
 * window, another connection, Ethernet padding), or a raw frame of the
 * record's bytes (a long segment repeats 16 of them).  What must hold:
 * every frame comes out once, in order, untouched, or as part of a merge;
 * a merged frame has the first part's headers, the parts' data one after
 * the other, the lengths of the whole, a valid IPv4 header checksum, a
 * valid TCP checksum when every part had one and a bad one when exactly
 * one part had a bad one, and it stays within 64 KiB (IPv4) or the MTU
 * (IPv6).  And the library reads frames by the rules slirp_gro.c states,
 * written again here on raw offsets: every merge is of segments that may
 * merge and continue each other, none stops before one that would
 * continue it, and a pure ACK is one exactly when the rules say so.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/slirp_gro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 80
#define TEMPLATE (1 + 14 + 40 + 20) /* input bytes that describe it */

/* One frame given, and a copy of it. */
struct in_frame {
	unsigned char *data;
	size_t len;
	unsigned char *copy;     /* to check that nothing writes into it */
};

/* What came out, in order. */
struct sink {
	const struct vds_frame *in;
	unsigned n, next;        /* inputs given, the next one expected */
	const unsigned char *gro;
	unsigned mtu;
	unsigned ngroups;        /* outputs: each the inputs from first on */
	unsigned first[MAX_FRAMES], parts[MAX_FRAMES];
};

static unsigned char gro[VDS_SLIRP_GRO_BUF];

/* fail - say what broke, abort. */
static void fail(const char *what)
{
	fprintf(stderr, "fuzz_slirpgro: %s\n", what);
	abort();
}

/* be16 - Return: the big-endian 16-bit number at p. */
static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* put16 - store v big-endian at p. */
static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* sum - add p[0..n) as 16-bit big-endian words (odd n: zero padded).
 * Return: the new unfolded sum. */
static uint64_t sum(const unsigned char *p, size_t n, uint64_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += be16(p + i);
	if (n & 1)
		acc += (unsigned)p[n - 1] << 8;
	return acc;
}

/* fold - Return: the 16-bit one's complement sum of acc. */
static unsigned fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (unsigned)acc;
}

/* tcp_layout - where the IP header and TCP segment of frame f are, for
 * a plain TCP frame (IPv4 header of any length, IPv6 without extension
 * headers).  Return: the TCP segment's length, or 0 when f is not one. */
static size_t tcp_layout(const unsigned char *f, size_t len, size_t *hl,
			 bool *v6)
{
	const unsigned char *ip = f + 14;
	size_t iplen;

	if (len < 14 + 20)
		return 0;
	if (f[12] == 0x08 && f[13] == 0x00 && (ip[0] >> 4) == 4) {
		*hl = (size_t)(ip[0] & 0xf) * 4;
		iplen = be16(ip + 2);
		*v6 = false;
		if (ip[9] != 6)
			return 0;
	} else if (f[12] == 0x86 && f[13] == 0xdd && len >= 14 + 40 &&
		   (ip[0] >> 4) == 6) {
		*hl = 40;
		iplen = 40 + be16(ip + 4);
		*v6 = true;
		if (ip[6] != 6)
			return 0;
	} else {
		return 0;
	}
	if (*hl < 20 || iplen > len - 14 || iplen < *hl + 20)
		return 0;
	return iplen - *hl;
}

/* The rules of slirp_gro.c, written again here from its Theory of
 * operation, on raw offsets, to check the library's reading against. */

/* be32 - Return: the big-endian 32-bit number at p. */
static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

/* rule_tcp - whether f is a TCP segment by the rules: TCP over IPv4 not
 * fragmented, or over IPv6 without extension header, its TCP header
 * (data offset 5 or more) within the packet.  Return: the payload
 * length, or -1; *hl the IP header length, *thl the TCP one. */
static long rule_tcp(const unsigned char *f, size_t len, size_t *hl,
		     size_t *thl, bool *v6)
{
	size_t tlen = tcp_layout(f, len, hl, v6);
	const unsigned char *ip = f + 14;

	if (!tlen || (!*v6 && (be16(ip + 6) & 0x3fff)))
		return -1;
	*thl = (size_t)(f[14 + *hl + 12] >> 4) * 4;
	if (*thl < 20 || *thl > tlen)
		return -1;
	return (long)(tlen - *thl);
}

/* rule_mergeable - no IPv4 or TCP option, ACK and maybe PSH only, some
 * payload.  Return: the payload length, or 0 when f may not merge. */
static size_t rule_mergeable(const unsigned char *f, size_t len)
{
	size_t hl, thl;
	bool v6;
	long plen = rule_tcp(f, len, &hl, &thl, &v6);

	if (plen <= 0 || hl != (v6 ? 40u : 20u) || thl != 20 ||
	    (f[14 + hl + 13] & ~0x08) != 0x10)
		return 0;
	return (size_t)plen;
}

/* rule_follows - whether b continues a at sequence number next: same
 * family, Ethernet header, ports, ack, window, addresses, IPv4 TOS or
 * IPv6 version/class/flow.  Return: true if so. */
static bool rule_follows(const unsigned char *a, uint32_t next,
			 const unsigned char *b)
{
	bool v6 = a[12] == 0x86;
	size_t hl = v6 ? 40 : 20;
	const unsigned char *ta = a + 14 + hl, *tb = b + 14 + hl;

	if ((b[12] == 0x86) != v6 || memcmp(a, b, 14) ||
	    be32(tb + 4) != next || memcmp(ta, tb, 4) ||
	    memcmp(ta + 8, tb + 8, 4) || memcmp(ta + 14, tb + 14, 2))
		return false;
	if (v6)
		return !memcmp(a + 14, b + 14, 4) &&
		       !memcmp(a + 14 + 8, b + 14 + 8, 32);
	return a[14 + 1] == b[14 + 1] && !memcmp(a + 14 + 12, b + 14 + 12, 8);
}

/* rule_pure_ack - ACK only, no payload, a frame of
 * VDS_SLIRP_ACK_FRAME_MAX bytes at most.  Return: true for one. */
static bool rule_pure_ack(const unsigned char *f, size_t len)
{
	size_t hl, thl;
	bool v6;

	return rule_tcp(f, len, &hl, &thl, &v6) == 0 &&
	       f[14 + hl + 13] == 0x10 && len <= VDS_SLIRP_ACK_FRAME_MAX;
}

/* tcp_sum - the TCP checksum computation over frame f (checksum field
 * included).  Return: 0xffff when it verifies. */
static unsigned tcp_sum(const unsigned char *f, size_t len)
{
	const unsigned char *ip = f + 14;
	size_t hl, tlen;
	bool v6;
	uint64_t acc;

	tlen = tcp_layout(f, len, &hl, &v6);
	if (!tlen)
		return 0;
	acc = v6 ? sum(ip + 8, 32, 6 + tlen) : sum(ip + 12, 8, 6 + tlen);
	return fold(sum(ip + hl, tlen, acc));
}

/* set_sums - compute frame f's IPv4 header and TCP checksums. */
static void set_sums(unsigned char *f, size_t len)
{
	unsigned char *ip = f + 14, *tcp;
	size_t hl, tlen;
	bool v6;

	tlen = tcp_layout(f, len, &hl, &v6);
	if (!tlen)
		return;
	if (!v6) {
		put16(ip + 10, 0);
		put16(ip + 10, ~fold(sum(ip, hl, 0)) & 0xffff);
	}
	tcp = ip + hl;
	put16(tcp + 16, 0);
	put16(tcp + 16, ~tcp_sum(f, len) & 0xffff);
}

/* check_merge - a merged frame m (len bytes) made of the inputs from
 * s->next on: which ones, and whether it says what they said.
 * Return: the number of parts. */
static unsigned check_merge(const struct sink *s, const unsigned char *m,
			    size_t len)
{
	const struct vds_frame *first = &s->in[s->next];
	const unsigned char *f0 = first->data;
	size_t hl, tlen, off = 0, plen, h0;
	unsigned k = 0, bad = 0;
	unsigned char flags = 0;
	bool v6, v6_0;

	tlen = tcp_layout(m, len, &hl, &v6);
	if (!tlen || tlen < 20 || tcp_layout(f0, first->len, &h0, &v6_0) == 0 ||
	    v6 != v6_0 || hl != h0 || hl != (v6 ? 40u : 20u))
		fail("a merged frame is not a TCP frame of its first part");
	plen = tlen - 20;
	if (plen > (v6 ? s->mtu - 60 : 65535u - 40) || len != 14 + hl + tlen)
		fail("a merged frame is too long");
	while (off < plen) {
		const struct vds_frame *p = &s->in[s->next + k];
		size_t phl, ptlen;
		bool pv6;

		if (s->next + k >= s->n)
			fail("a merged frame holds more than was given");
		ptlen = tcp_layout(p->data, p->len, &phl, &pv6);
		if (!ptlen || ptlen <= 20 || phl != hl || pv6 != v6 ||
		    off + ptlen - 20 > plen ||
		    memcmp(m + 14 + hl + 20 + off,
			   (const unsigned char *)p->data + 14 + hl + 20,
			   ptlen - 20))
			fail("a merged frame's data is not its parts'");
		off += ptlen - 20;
		flags |= ((const unsigned char *)p->data)[14 + hl + 13];
		bad += tcp_sum(p->data, p->len) != 0xffff;
		k++;
	}
	if (k < 2 || k > 64)
		fail("a merge of fewer than 2 or more than 64 parts");
	/* the first part's headers, but for lengths, flags, checksums */
	{
		unsigned char want[14 + 40 + 20];

		memcpy(want, f0, 14 + hl + 20);
		if (v6) {
			put16(want + 14 + 4, (unsigned)tlen);
		} else {
			put16(want + 14 + 2, (unsigned)(hl + tlen));
			memcpy(want + 14 + 10, m + 14 + 10, 2);
		}
		want[14 + hl + 13] = flags;
		memcpy(want + 14 + hl + 16, m + 14 + hl + 16, 2);
		if (memcmp(want, m, 14 + hl + 20))
			fail("a merged frame's headers are not its first part's");
	}
	if (!v6 && fold(sum(m + 14, 20, 0)) != 0xffff)
		fail("a merged frame's IPv4 header checksum is wrong");
	if (bad == 0 && tcp_sum(m, len) != 0xffff)
		fail("parts with good checksums merged into a bad one");
	if (bad == 1 && tcp_sum(m, len) == 0xffff)
		fail("a part with a bad checksum merged into a good one");
	return k;
}

/* input - vds_slirp_merge's output: check it against what was given. */
static void input(void *arg, const void *buf, size_t len)
{
	struct sink *s = arg;

	unsigned k = 1;

	if (s->next >= s->n)
		fail("more frames came out than went in");
	if (buf == s->in[s->next].data) {
		if (len != s->in[s->next].len)
			fail("a frame came out with another length");
	} else if (buf == s->gro) {
		k = check_merge(s, buf, len);
	} else {
		fail("a frame came out from nowhere");
	}
	s->first[s->ngroups] = s->next;
	s->parts[s->ngroups++] = k;
	s->next += k;
}

/* check_groups - every merge is of mergeable segments that continue each
 * other, and none stopped before a segment that would have continued it
 * (the rules of slirp_gro.c, from rule_* here).  Return: nothing. */
static void check_groups(const struct sink *s)
{
	for (unsigned g = 0; g < s->ngroups; g++) {
		const struct vds_frame *in = &s->in[s->first[g]];
		const unsigned char *f0 = in[0].data;
		size_t total = rule_mergeable(f0, in[0].len), max, plen;
		uint32_t next;
		unsigned k = s->parts[g];
		bool v6;

		if (!total) {
			if (k > 1)
				fail("a merge starts with an unmergeable frame");
			continue;
		}
		v6 = f0[12] == 0x86;
		next = be32(f0 + 14 + (v6 ? 40 : 20) + 4) + (uint32_t)total;
		for (unsigned i = 1; i < k; i++) {
			plen = rule_mergeable(in[i].data, in[i].len);
			if (!plen || !rule_follows(f0, next, in[i].data))
				fail("a merge of segments that do not follow");
			next += (uint32_t)plen;
			total += plen;
		}
		if (s->first[g] + k >= s->n || k == 64)
			continue;
		max = v6 ? s->mtu - 60 : 65535 - 40;
		plen = rule_mergeable(in[k].data, in[k].len);
		if (plen && rule_follows(f0, next, in[k].data) &&
		    total + plen <= max)
			fail("a segment that continues a merge was left out");
	}
}

/* check_ack - vds_slirp_pure_ack on f: a yes must be a TCP frame with
 * only ACK set and no data, its key its addresses and ports. */
static void check_ack(const unsigned char *f, size_t len)
{
	unsigned char key[VDS_SLIRP_ACK_KEY];
	unsigned keylen = 0;
	uint32_t ack;
	size_t hl, tlen;
	bool v6;

	if (!vds_slirp_pure_ack(f, len, key, &keylen, &ack)) {
		if (rule_pure_ack(f, len))
			fail("a pure ACK not recognised");
		return;
	}
	if (!rule_pure_ack(f, len))
		fail("a pure ACK against the rules");
	tlen = tcp_layout(f, len, &hl, &v6);
	if (len > VDS_SLIRP_ACK_FRAME_MAX || !tlen ||
	    f[14 + hl + 13] != 0x10 || tlen != (size_t)(f[14 + hl + 12] >> 4) * 4 ||
	    keylen != (v6 ? 36u : 12u) ||
	    memcmp(key, f + 14 + (v6 ? 8 : 12), keylen - 4) ||
	    memcmp(key + keylen - 4, f + 14 + hl, 4))
		fail("a pure ACK that is not one");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned mtus[8] = { 1500, 65520, 68, 1280, 9000, 65521,
					  128, 4000 };
	struct in_frame fr[MAX_FRAMES];
	struct vds_frame f[MAX_FRAMES];
	unsigned char tmpl[14 + 40 + 20];
	unsigned n = 0, mtu;
	size_t off = TEMPLATE, hl;
	uint32_t seq;
	bool v6;
	struct sink s;

	if (size < TEMPLATE)
		return 0;
	/* the connection: byte 0 picks the family and the MTU, the rest
	 * are its header fields */
	v6 = data[0] & 1;
	mtu = mtus[(data[0] >> 1) & 7];
	hl = v6 ? 40 : 20;
	memcpy(tmpl, data + 1, sizeof(tmpl));
	if (v6) {
		tmpl[12] = 0x86, tmpl[13] = 0xdd;
		tmpl[14] = (unsigned char)(0x60 | (tmpl[14] & 0x0f));
		tmpl[14 + 6] = 6;
	} else {
		tmpl[12] = 0x08, tmpl[13] = 0x00;
		tmpl[14] = 0x45;
		tmpl[14 + 6] &= 0x40; /* DF at most: no fragment */
		tmpl[14 + 7] = 0;
		tmpl[14 + 9] = 6;
	}
	tmpl[14 + hl + 12] = 5 << 4;
	tmpl[14 + hl + 13] = 0x10;
	seq = (uint32_t)be16(tmpl + 14 + hl + 4) << 16 |
	      be16(tmpl + 14 + hl + 6);

	/* records: ctl, length (1 byte, or 2 with ctl bit 7), data */
	while (off + 2 <= size && n < MAX_FRAMES) {
		unsigned ctl = data[off++], plen = data[off++];
		size_t take, len;
		unsigned char *p;

		if (ctl & 0x80) {
			if (off >= size)
				break;
			plen = plen << 8 | data[off++];
		}
		/* a 2-byte length takes 16 bytes at most, repeated */
		take = plen < size - off ? plen : size - off;
		if ((ctl & 0x80) && take > 16)
			take = 16;
		if ((ctl & 0x03) == 0x03) {
			/* a raw frame: the record's bytes */
			len = take;
			p = malloc(len ? len : 1);
			if (!p)
				break;
			memcpy(p, data + off, take);
		} else {
			/* a segment: plen bytes of data (the record's,
			 * repeated), maybe Ethernet padding after it */
			size_t pad = (ctl & 0x40) ? 1 + (ctl & 0x0c) : 0;
			unsigned char *ip, *tcp;

			len = 14 + hl + 20 + plen + pad;
			p = calloc(1, len);
			if (!p)
				break;
			memcpy(p, tmpl, 14 + hl + 20);
			ip = p + 14;
			tcp = ip + hl;
			for (size_t i = 0; i < plen; i++)
				tcp[20 + i] = take ? data[off + i % take]
						   : (unsigned char)i;
			if (v6)
				put16(ip + 4, 20 + plen);
			else
				put16(ip + 2, (unsigned)(hl + 20 + plen));
			if (ctl & 0x04)
				seq += 1 + (ctl >> 4);  /* a gap */
			tcp[4] = (unsigned char)(seq >> 24);
			tcp[5] = (unsigned char)(seq >> 16);
			tcp[6] = (unsigned char)(seq >> 8);
			tcp[7] = (unsigned char)seq;
			seq += plen;
			if (ctl & 0x08)
				tcp[13] |= 0x08;        /* PSH */
			if ((ctl & 0x30) == 0x10)
				tcp[14] ^= 1;           /* another window */
			if ((ctl & 0x30) == 0x20)
				tcp[1] ^= 1;            /* another port */
			set_sums(p, len);
			if (ctl & 0x01)
				tcp[16] ^= (unsigned char)(1 + (ctl >> 4));
		}
		off += take;
		fr[n] = (struct in_frame){ .data = p, .len = len };
		fr[n].copy = malloc(len ? len : 1);
		if (!fr[n].copy) {
			free(p);
			break;
		}
		memcpy(fr[n].copy, p, len);
		f[n] = (struct vds_frame){ .data = p, .len = len };
		n++;
	}
	s = (struct sink){ .in = f, .n = n, .gro = gro, .mtu = mtu };
	vds_slirp_merge(gro, mtu, f, n, input, &s);
	if (s.next != n)
		fail("frames went in and never came out");
	check_groups(&s);
	for (unsigned i = 0; i < n; i++) {
		if (memcmp(fr[i].copy, fr[i].data, fr[i].len))
			fail("a frame given was written into");
		check_ack(fr[i].data, fr[i].len);
		free(fr[i].data);
		free(fr[i].copy);
	}
	return 0;
}
