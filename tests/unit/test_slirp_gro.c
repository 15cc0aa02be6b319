/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_slirp_gro.c - unit tests of the slirp backend's reading of TCP
 * frames (slirp_gro.h): which segments merge, what a merged frame says,
 * pure ACKs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/slirp_gro.h"
#include "unit.h"

#define MAXF 80

/* What vds_slirp_merge gave its input(), copied. */
static struct {
	unsigned n;
	size_t len[MAXF];
	unsigned char *data[MAXF];
	bool merged[MAXF];
	const unsigned char *gro;
} out;

static unsigned char gro[VDS_SLIRP_GRO_BUF];

/* collect - vds_slirp_merge's input: keep a copy of the frame. */
static void collect(void *arg, const void *buf, size_t len)
{
	assert_true(out.n < MAXF);
	out.data[out.n] = malloc(len);
	assert_non_null(out.data[out.n]);
	memcpy(out.data[out.n], buf, len);
	out.len[out.n] = len;
	out.merged[out.n] = buf == out.gro;
	out.n++;
}

/* reset - forget what was collected. */
static void reset(void)
{
	for (unsigned i = 0; i < out.n; i++)
		free(out.data[i]);
	memset(&out, 0, sizeof(out));
	out.gro = gro;
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

/* sum - the unfolded sum of p[0..n) as big-endian words, odd n padded. */
static uint32_t sum(const unsigned char *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += be16(p + i);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

/* fold - Return: the 16-bit one's complement sum of acc. */
static unsigned fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

/* tcp_ok - whether frame f's TCP checksum verifies.  Return: true if so. */
static bool tcp_ok(const unsigned char *f)
{
	const unsigned char *ip = f + 14;
	bool v6 = f[12] == 0x86;
	size_t hl = v6 ? 40 : 20;
	size_t tlen = v6 ? be16(ip + 4) : be16(ip + 2) - hl;
	uint32_t acc = v6 ? sum(ip + 8, 32, 6 + (uint32_t)tlen)
			  : sum(ip + 12, 8, 6 + (uint32_t)tlen);

	return fold(sum(ip + hl, tlen, acc)) == 0xffff;
}

/* segment - a TCP data segment of one connection (IPv4 10.0.2.15:40000 to
 * 10.0.2.2:80, or IPv6 fd00::15 to fd00::2) with plen bytes of fill,
 * its checksums right.  Return: the frame (malloc), *len its length. */
static unsigned char *segment(bool v6, uint32_t seq, size_t plen,
			      unsigned char fill, size_t *len)
{
	size_t hl = v6 ? 40 : 20;
	unsigned char *f = calloc(1, 14 + hl + 20 + plen), *ip = f + 14;
	unsigned char *tcp = ip + hl;
	uint32_t acc;

	assert_non_null(f);
	memset(f, 0x02, 12);
	if (v6) {
		f[12] = 0x86, f[13] = 0xdd;
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)(20 + plen));
		ip[6] = 6, ip[7] = 64;
		ip[8] = ip[24] = 0xfd;
		ip[23] = 0x15, ip[39] = 0x02;
	} else {
		f[12] = 0x08, f[13] = 0x00;
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(hl + 20 + plen));
		ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
		memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
		put16(ip + 10, ~fold(sum(ip, 20, 0)) & 0xffff);
	}
	put16(tcp, 40000);
	put16(tcp + 2, 80);
	put16(tcp + 4, seq >> 16);
	put16(tcp + 6, seq & 0xffff);
	put16(tcp + 10, 77);
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;
	put16(tcp + 14, 65535);
	memset(tcp + 20, fill, plen);
	acc = v6 ? sum(ip + 8, 32, 6 + (uint32_t)(20 + plen))
		 : sum(ip + 12, 8, 6 + (uint32_t)(20 + plen));
	put16(tcp + 16, ~fold(sum(tcp, 20 + plen, acc)) & 0xffff);
	*len = 14 + hl + 20 + plen;
	return f;
}

/* run - merge frames f[0..n) (then free them).  Return: nothing. */
static void run(unsigned char **f, const size_t *len, unsigned n,
		unsigned mtu)
{
	struct vds_frame fr[MAXF];

	reset();
	for (unsigned i = 0; i < n; i++)
		fr[i] = (struct vds_frame){ .data = f[i], .len = len[i] };
	vds_slirp_merge(gro, mtu, fr, n, collect, NULL);
	for (unsigned i = 0; i < n; i++)
		free(f[i]);
}

/* test_slirp_gro_merges_in_order_segments_with_valid_sums - consecutive
 * segments of odd lengths become one frame: data in order, lengths of
 * the whole, both checksums valid. */
static void test_slirp_gro_merges_in_order_segments_with_valid_sums(
	void **state)
{
	static const size_t plens[] = { 101, 33, 1448, 7 + 20 };
	unsigned char *f[4];
	size_t len[4], total = 0;
	uint32_t seq = 1000;

	for (unsigned i = 0; i < 4; i++) {
		f[i] = segment(false, seq, plens[i], (unsigned char)('a' + i),
			       &len[i]);
		assert_true(tcp_ok(f[i]));
		seq += (uint32_t)plens[i];
		total += plens[i];
	}
	run(f, len, 4, 1500);
	assert_int_equal(out.n, 1);
	assert_true(out.merged[0]);
	assert_int_equal(out.len[0], 14 + 20 + 20 + total);
	assert_int_equal(be16(out.data[0] + 14 + 2), 20 + 20 + total);
	assert_int_equal(fold(sum(out.data[0] + 14, 20, 0)), 0xffff);
	assert_true(tcp_ok(out.data[0]));
	assert_int_equal(out.data[0][14 + 40 + 101 + 33], 'c');
	assert_int_equal(out.data[0][14 + 40 + total - 1], 'd');
	reset();
}

/* test_slirp_gro_bad_part_makes_a_bad_merge - one part with a wrong
 * checksum: the merged frame's checksum is wrong too, so libslirp drops
 * it as it would have dropped the part. */
static void test_slirp_gro_bad_part_makes_a_bad_merge(void **state)
{
	unsigned char *f[3];
	size_t len[3];

	for (unsigned i = 0; i < 3; i++)
		f[i] = segment(false, 1000 + 100 * i, 100, 'x', &len[i]);
	f[1][14 + 20 + 16] ^= 0x40;
	run(f, len, 3, 1500);
	assert_int_equal(out.n, 1);
	assert_true(out.merged[0]);
	assert_false(tcp_ok(out.data[0]));
	reset();
}

/* test_slirp_gro_keeps_apart_what_does_not_continue - a gap in the
 * sequence, another port, a SYN: passed on as they are, in order.  Each
 * follows its predecessor in sequence, so that only what the comment
 * names keeps it apart (the SYN is on the other port's connection). */
static void test_slirp_gro_keeps_apart_what_does_not_continue(void **state)
{
	unsigned char *f[4];
	size_t len[4];

	f[0] = segment(false, 1000, 100, 'a', &len[0]);
	f[1] = segment(false, 1101, 100, 'b', &len[1]);  /* a gap */
	f[2] = segment(false, 1201, 100, 'c', &len[2]);
	f[2][14 + 20 + 1] = 81;                          /* another port */
	f[3] = segment(false, 1301, 100, 'd', &len[3]);
	f[3][14 + 20 + 1] = 81;                          /* the same one */
	f[3][14 + 20 + 13] |= 0x02;                      /* SYN */
	run(f, len, 4, 1500);
	assert_int_equal(out.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_false(out.merged[i]);
		assert_int_equal(out.data[i][14 + 40], 'a' + i);
	}
	reset();
}

/* test_slirp_gro_ipv6_merges_stay_within_the_mtu - IPv6 segments merge
 * up to an IPv6 packet of mtu bytes, no further. */
static void test_slirp_gro_ipv6_merges_stay_within_the_mtu(void **state)
{
	unsigned char *f[3];
	size_t len[3];

	for (unsigned i = 0; i < 3; i++)
		f[i] = segment(true, 5000 + 700 * i, 700, 'q', &len[i]);
	run(f, len, 3, 40 + 20 + 1400);
	assert_int_equal(out.n, 2);
	assert_true(out.merged[0]);
	assert_int_equal(be16(out.data[0] + 14 + 4), 20 + 1400);
	assert_true(tcp_ok(out.data[0]));
	assert_false(out.merged[1]);
	reset();
}

/* test_slirp_gro_pure_ack_is_recognised - an empty ACK is one, with its
 * connection's key; data or a second flag is not. */
static void test_slirp_gro_pure_ack_is_recognised(void **state)
{
	unsigned char key[VDS_SLIRP_ACK_KEY];
	unsigned keylen;
	uint32_t ack;
	size_t len;
	unsigned char *f = segment(false, 1, 0, 0, &len);

	assert_true(vds_slirp_pure_ack(f, len, key, &keylen, &ack));
	assert_int_equal(keylen, 12);
	assert_int_equal(ack, 77);
	assert_memory_equal(key, f + 14 + 12, 8);
	f[14 + 20 + 13] |= 0x08;
	assert_false(vds_slirp_pure_ack(f, len, key, &keylen, &ack));
	free(f);
	f = segment(false, 1, 1, 0, &len);
	assert_false(vds_slirp_pure_ack(f, len, key, &keylen, &ack));
	free(f);
	f = segment(true, 1, 0, 0, &len);
	assert_true(vds_slirp_pure_ack(f, len, key, &keylen, &ack));
	assert_int_equal(keylen, 36);
	free(f);
}

/* test_slirp_gro_merges_short_ipv4_segments_and_drops_their_padding -
 * segments of a few bytes (frames under 74 bytes, Ethernet padding after
 * the IP packet) merge like any other: one parser, one set of rules. */
static void test_slirp_gro_merges_short_ipv4_segments_and_drops_their_padding(
	void **state)
{
	unsigned char *f[3];
	size_t len[3];

	for (unsigned i = 0; i < 3; i++) {
		size_t l;
		unsigned char *seg = segment(false, 100 + i, 1,
					     (unsigned char)('k' + i), &l);

		/* padded to the Ethernet minimum of 60 bytes */
		f[i] = calloc(1, 60);
		assert_non_null(f[i]);
		memcpy(f[i], seg, l);
		len[i] = 60;
		free(seg);
	}
	run(f, len, 3, 1500);
	assert_int_equal(out.n, 1);
	assert_true(out.merged[0]);
	assert_int_equal(out.len[0], 14 + 20 + 20 + 3);
	assert_memory_equal(out.data[0] + 14 + 40, "klm", 3);
	assert_true(tcp_ok(out.data[0]));
	reset();
}

/* ipv4_with_option - a segment like segment()'s with 4 bytes of IPv4
 * options (NOPs) before its TCP header, both checksums right.
 * Return: the frame (malloc), *len its length. */
static unsigned char *ipv4_with_option(uint32_t seq, size_t plen,
				       unsigned char fill, size_t *len)
{
	unsigned char *f = segment(false, seq, plen + 4, fill, len);
	unsigned char *ip = f + 14, *tcp = ip + 24;
	size_t tlen = 20 + plen;

	memmove(tcp, ip + 20, tlen);
	memset(ip + 20, 1, 4);
	ip[0] = 0x46;
	put16(ip + 10, 0);
	put16(ip + 10, ~fold(sum(ip, 24, 0)) & 0xffff);
	put16(tcp + 16, 0);
	put16(tcp + 16, ~fold(sum(tcp, tlen, sum(ip + 12, 8,
						 6 + (uint32_t)tlen))) & 0xffff);
	return f;
}

/* test_slirp_gro_options_keep_a_segment_apart - an IPv4 option or a TCP
 * option: passed on as it is, and it ends the merge before it.  Each
 * continues the segment before it, well formed, so that only its option
 * keeps it apart. */
static void test_slirp_gro_options_keep_a_segment_apart(void **state)
{
	unsigned char *f[5];
	size_t len[5];

	f[0] = segment(false, 1000, 100, 'a', &len[0]);
	f[1] = segment(false, 1100, 100, 'b', &len[1]);
	f[2] = segment(false, 1200, 100, 'c', &len[2]);
	f[2][14 + 20 + 12] = 6 << 4;          /* 4 bytes of TCP options */
	f[3] = segment(false, 1296, 100, 'd', &len[3]);
	f[4] = ipv4_with_option(1396, 100, 'e', &len[4]);
	assert_true(tcp_ok(f[3]));
	run(f, len, 5, 1500);
	assert_int_equal(out.n, 4);
	assert_true(out.merged[0]);
	assert_int_equal(out.len[0], 14 + 40 + 200);
	for (unsigned i = 1; i < 4; i++)
		assert_false(out.merged[i]);
	assert_int_equal(out.len[3], 14 + 24 + 20 + 100);
	reset();
}

/* test_slirp_gro_what_is_not_tcp_passes_untouched - a VLAN tag, UDP, a
 * fragment, a TCP header longer than the packet, a cut frame. */
static void test_slirp_gro_what_is_not_tcp_passes_untouched(void **state)
{
	unsigned char *f[10];
	size_t len[10];

	for (unsigned i = 0; i < 10; i += 2) {
		f[i] = segment(false, 1000, 100, 'a', &len[i]);
		f[i + 1] = segment(false, 1100, 100, 'b', &len[i + 1]);
	}
	f[1][12] = 0x81;                          /* 802.1Q */
	f[3][14 + 9] = 17;                        /* UDP */
	f[5][14 + 6] = 0x20;                      /* more fragments */
	f[7][14 + 20 + 12] = 15 << 4;             /* 60-byte TCP header */
	len[9] = 14 + 20 + 19;                    /* TCP header cut */
	run(f, len, 10, 1500);
	assert_int_equal(out.n, 10);
	for (unsigned i = 0; i < 10; i++)
		assert_false(out.merged[i]);
	reset();
}

/* test_slirp_gro_pure_ack_rules - TCP and IPv4 options allowed, PSH or a
 * payload not, nor a frame over VDS_SLIRP_ACK_FRAME_MAX bytes. */
static void test_slirp_gro_pure_ack_rules(void **state)
{
	unsigned char key[VDS_SLIRP_ACK_KEY], *f, *g;
	unsigned keylen;
	uint32_t ack;
	size_t len;

	/* 12 bytes of TCP options (timestamps) after the header */
	f = segment(false, 1, 12, 1, &len);
	f[14 + 20 + 12] = 8 << 4;
	assert_true(vds_slirp_pure_ack(f, len, key, &keylen, &ack));
	assert_memory_equal(key + 8, f + 14 + 20, 4);
	free(f);
	/* an IPv4 option (4 bytes): the TCP header moves after it */
	f = segment(false, 1, 4, 0, &len);
	memmove(f + 14 + 24, f + 14 + 20, 20);
	f[14] = 0x46;
	memset(f + 14 + 20, 1, 4);                 /* NOP options */
	assert_true(vds_slirp_pure_ack(f, len, key, &keylen, &ack));
	assert_int_equal(ack, 77);
	free(f);
	/* too long a frame */
	g = segment(false, 1, 0, 0, &len);
	f = calloc(1, VDS_SLIRP_ACK_FRAME_MAX + 1);
	assert_non_null(f);
	memcpy(f, g, len);
	assert_true(vds_slirp_pure_ack(f, VDS_SLIRP_ACK_FRAME_MAX, key,
				       &keylen, &ack));
	assert_false(vds_slirp_pure_ack(f, VDS_SLIRP_ACK_FRAME_MAX + 1, key,
					&keylen, &ack));
	free(f);
	free(g);
}

/* main - run the tests.  Return: cmocka's count of failures. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_slirp_gro_merges_in_order_segments_with_valid_sums),
		cmocka_unit_test(test_slirp_gro_bad_part_makes_a_bad_merge),
		cmocka_unit_test(
			test_slirp_gro_keeps_apart_what_does_not_continue),
		cmocka_unit_test(test_slirp_gro_ipv6_merges_stay_within_the_mtu),
		cmocka_unit_test(test_slirp_gro_pure_ack_is_recognised),
		cmocka_unit_test(
			test_slirp_gro_merges_short_ipv4_segments_and_drops_their_padding),
		cmocka_unit_test(test_slirp_gro_options_keep_a_segment_apart),
		cmocka_unit_test(test_slirp_gro_what_is_not_tcp_passes_untouched),
		cmocka_unit_test(test_slirp_gro_pure_ack_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
