/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_linkcond.c - unit tests of one direction of a conditioned link
 * (linkcond.c), driven with a clock of the test's own: what each
 * condition does to frames, counted over 10,000 frames where it is a
 * matter of chance (bounds: the 99.99 % binomial interval, so that a
 * correct conditioner fails one run in ten thousand at most). */
#include <errno.h>
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/inet.h"
#include "base/internal.h"
#include "core/backend.h"
#include "core/linkcond.h"
#include "core/linkspec.h"
#include "unit.h"

#define MS 1000000LL   /* ns */
#define US 1000LL
#define T0 (1000 * MS) /* the test clock's start */
#define N_CHANCE 10000
#define Z_9999 3.891   /* two-sided 99.99 % normal quantile */
#define MAX_SEEN 20000
#define ETH_IP_UDP (14 + 20 + 8)

/* What emit saw: each frame's tag (its first payload word), length,
 * and a copy of the last frame. */
struct seen {
	unsigned n, batches;
	uint32_t tag[MAX_SEEN];
	size_t len[MAX_SEEN];
	unsigned char last[70000];
	size_t last_len;
};

static struct seen seen;

/* collect - emit: record the frames. */
static void collect(void *ctx, const struct vds_frame *f, unsigned n)
{
	size_t off = ctx ? VDS_VNET_HDR_LEN : 0;

	seen.batches++;
	for (unsigned i = 0; i < n; i++) {
		const unsigned char *d = f[i].data;

		if (seen.n < MAX_SEEN) {
			seen.tag[seen.n] = f[i].len >= off + ETH_IP_UDP + 4 ?
				vds_get32(d + off + ETH_IP_UDP) : UINT32_MAX;
			seen.len[seen.n] = f[i].len;
		}
		seen.n++;
		memcpy(seen.last, d, f[i].len < sizeof(seen.last) ?
		       f[i].len : sizeof(seen.last));
		seen.last_len = f[i].len;
	}
}

/* udp_frame - an Ethernet/IPv4/UDP frame of ip_len bytes of IP packet
 * (at least 32) into buf, its payload starting with tag.
 * Return: the frame's length. */
static size_t udp_frame(unsigned char *buf, size_t ip_len, uint32_t tag)
{
	size_t len = 14 + ip_len;

	memset(buf, 0, len);
	memcpy(buf, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	buf[14] = 0x45;
	vds_put16(buf + 16, (uint16_t)ip_len);
	buf[22] = 64;
	buf[23] = IPPROTO_UDP;
	memcpy(buf + 26, "\x0a\0\0\x01\x0a\0\0\x02", 8);
	vds_put16(buf + 34, 1000);
	vds_put16(buf + 36, 2000);
	vds_put16(buf + 38, (uint16_t)(ip_len - 20));
	vds_put32(buf + ETH_IP_UDP, tag);
	for (size_t i = ETH_IP_UDP + 4; i < len; i++)
		buf[i] = (unsigned char)(i * 7);
	return len;
}

/* setup - a conditioner with conditions c (no vnet header), nothing seen
 * yet.  Return: nothing. */
static void setup(struct vds_linkcond *lc, const struct vds_linkdir *c,
		  bool down)
{
	struct vds_linkcond_res res;

	memset(&seen, 0, sizeof(seen));
	vds_linkcond_init(lc, 0, 12345);
	assert_int_equal(vds_linkcond_reserve(lc, c, &res), 0);
	vds_linkcond_apply(lc, c, down, &res, T0, collect, NULL);
}

/* feed - n frames of ip_len bytes, tags from first, all at time t. */
static void feed(struct vds_linkcond *lc, unsigned n, size_t ip_len,
		 uint32_t first, int64_t t)
{
	static unsigned char buf[1500];
	struct vds_frame f = { .data = buf };

	for (unsigned i = 0; i < n; i++) {
		f.len = udp_frame(buf, ip_len, first + i);
		vds_linkcond_input(lc, &f, 1, t, collect, NULL);
	}
}

/* root - the square root of x > 0 (Newton's method: no libm here).
 * Return: it. */
static double root(double x)
{
	double r = x > 1 ? x : 1;

	for (int i = 0; i < 60; i++)
		r = (r + x / r) / 2;
	return r;
}

/* within - whether k of n events of chance p lie in the 99.99 % normal
 * approximation of the binomial interval.  Return: true if so. */
static bool within(unsigned long k, unsigned n, double p)
{
	double mean = n * p, sd = root(n * p * (1 - p));

	return k >= mean - Z_9999 * sd - 1 && k <= mean + Z_9999 * sd + 1;
}

/* test_linkcond_plain_wire_passes_the_batch - no condition: the very
 * frames, in one call. */
static void test_linkcond_plain_wire_passes_the_batch(void **state)
{
	struct vds_linkcond lc;
	unsigned char a[100], b[100];
	struct vds_frame f[2] = { { a, udp_frame(a, 60, 1) },
				  { b, udp_frame(b, 60, 2) } };

	setup(&lc, &(struct vds_linkdir){ 0 }, false);
	vds_linkcond_input(&lc, f, 2, T0, collect, NULL);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.batches, 1);
	assert_int_equal(seen.tag[1], 2);
	assert_int_equal(vds_linkcond_due(&lc), -1);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_down_drops_everything_and_up_passes - a cut, counted. */
static void test_linkcond_down_drops_everything_and_up_passes(void **state)
{
	struct vds_linkdir c = { .delay_us = 0 };
	struct vds_linkcond_res res;
	struct vds_linkcond lc;

	setup(&lc, &c, true);
	feed(&lc, 50, 100, 0, T0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(atomic_load(&lc.drops), 50);
	assert_int_equal(vds_linkcond_reserve(&lc, &c, &res), 0);
	vds_linkcond_apply(&lc, &c, false, &res, T0, collect, NULL);
	feed(&lc, 5, 100, 0, T0);
	assert_int_equal(seen.n, 5);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_mtu_drops_larger_packets - mtu= compares IP packets. */
static void test_linkcond_mtu_drops_larger_packets(void **state)
{
	struct vds_linkcond lc;

	setup(&lc, &(struct vds_linkdir){ .mtu = 1000 }, false);
	feed(&lc, 3, 1000, 0, T0);
	feed(&lc, 4, 1001, 10, T0);
	feed(&lc, 1, 68, 20, T0);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.tag[3], 20);
	assert_int_equal(atomic_load(&lc.drops), 4);
	vds_linkcond_fini(&lc);
}

/* gso_frame - a virtio-net header and an Ethernet/IPv4/TCP frame of
 * payload bytes, TSO with segments of mss (0: not segmented).
 * Return: the frame's length. */
static size_t gso_frame(unsigned char *buf, size_t payload, unsigned mss)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = mss ? VIRTIO_NET_HDR_GSO_TCPV4 : 0,
		.gso_size = (uint16_t)mss, .hdr_len = 54,
		.csum_start = 34, .csum_offset = 16,
	};
	unsigned char *e = buf + VDS_VNET_HDR_LEN;

	memcpy(buf, &vh, sizeof(vh));
	memset(e, 0, 54 + payload);
	memcpy(e, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	e[14] = 0x45;
	vds_put16(e + 16, (uint16_t)(40 + payload));
	e[23] = IPPROTO_TCP;
	e[34 + 12] = 5 << 4;
	return VDS_VNET_HDR_LEN + 54 + payload;
}

/* test_linkcond_measures_an_offloaded_frame_as_its_segments - a TSO
 * frame counts as its segments with their headers, and its IP packets
 * as one segment's. */
static void test_linkcond_measures_an_offloaded_frame_as_its_segments(
	void **state)
{
	static unsigned char buf[70000];
	uint64_t wire;
	uint32_t ip;
	size_t len = gso_frame(buf, 14480, 1448);

	vds_linkcond_measure(buf, len, true, &wire, &ip);
	assert_int_equal(wire, 54 + 14480 + 9 * 54);
	assert_int_equal(ip, 20 + 20 + 1448);
	len = gso_frame(buf, 1000, 0);
	vds_linkcond_measure(buf, len, true, &wire, &ip);
	assert_int_equal(wire, 1054);
	assert_int_equal(ip, 1040);
	/* the last segment short: 3000 = 1448 + 1448 + 104 */
	len = gso_frame(buf, 3000, 1448);
	vds_linkcond_measure(buf, len, true, &wire, &ip);
	assert_int_equal(wire, 54 + 3000 + 2 * 54);
	/* truncated headers: the frame as it is */
	vds_linkcond_measure(buf, 30, true, &wire, &ip);
	assert_int_equal(wire, 20);
	vds_linkcond_measure(buf, 4, true, &wire, &ip);
	assert_int_equal(wire, 0);
}

/* test_linkcond_mtu_sees_the_segments_of_an_offloaded_frame - mtu= drops
 * a TSO frame whose segments would be larger, not one that is merely
 * long. */
static void test_linkcond_mtu_sees_the_segments_of_an_offloaded_frame(
	void **state)
{
	static unsigned char buf[70000];
	struct vds_linkdir c = { .mtu = 1400 };
	struct vds_linkcond_res res;
	struct vds_linkcond lc;
	struct vds_frame f = { .data = buf };

	memset(&seen, 0, sizeof(seen));
	vds_linkcond_init(&lc, VDS_VNET_HDR_LEN, 1);
	assert_int_equal(vds_linkcond_reserve(&lc, &c, &res), 0);
	vds_linkcond_apply(&lc, &c, false, &res, T0, collect, buf);
	f.len = gso_frame(buf, 60000, 1448);
	vds_linkcond_input(&lc, &f, 1, T0, collect, buf);
	assert_int_equal(seen.n, 0);
	f.len = gso_frame(buf, 60000, 1300);
	vds_linkcond_input(&lc, &f, 1, T0, collect, buf);
	assert_int_equal(seen.n, 1);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_loss_and_dup_follow_their_chances - 10,000 frames. */
static void test_linkcond_loss_and_dup_follow_their_chances(void **state)
{
	struct vds_linkspec ls;
	struct vds_linkcond lc;

	assert_int_equal(vds_linkspec_parse("loss=30%", &ls), 0);
	setup(&lc, &ls.cond, false);
	feed(&lc, N_CHANCE, 100, 0, T0);
	assert_true(within(atomic_load(&lc.drops), N_CHANCE, 0.30));
	assert_int_equal(seen.n + atomic_load(&lc.drops), N_CHANCE);
	vds_linkcond_fini(&lc);

	assert_int_equal(vds_linkspec_parse("dup=10%", &ls), 0);
	setup(&lc, &ls.cond, false);
	feed(&lc, N_CHANCE, 100, 0, T0);
	assert_true(within(atomic_load(&lc.dups), N_CHANCE, 0.10));
	assert_int_equal(seen.n, N_CHANCE + atomic_load(&lc.dups));
	/* a duplicate follows its original */
	for (unsigned i = 1; i < seen.n && i < MAX_SEEN; i++)
		assert_true(seen.tag[i] == seen.tag[i - 1] ||
			    seen.tag[i] == seen.tag[i - 1] + 1);
	vds_linkcond_fini(&lc);

	assert_int_equal(vds_linkspec_parse("loss=100", &ls), 0);
	setup(&lc, &ls.cond, false);
	feed(&lc, 100, 100, 0, T0);
	assert_int_equal(seen.n, 0);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_burst_loss_has_its_mean_burst - loss=20%/5: about a
 * fifth of the frames lost, in runs of five on average. */
static void test_linkcond_burst_loss_has_its_mean_burst(void **state)
{
	static bool got[N_CHANCE * 10];
	unsigned long lost = 0, runs = 0;
	struct vds_linkspec ls;
	struct vds_linkcond lc;
	double mean;

	assert_int_equal(vds_linkspec_parse("loss=20%/5", &ls), 0);
	setup(&lc, &ls.cond, false);
	memset(got, 0, sizeof(got));
	for (unsigned i = 0; i < VDS_ARRAY_SIZE(got); i++) {
		unsigned before = seen.n;

		feed(&lc, 1, 100, i, T0);
		got[i] = seen.n > before;
	}
	for (unsigned i = 0; i < VDS_ARRAY_SIZE(got); i++) {
		if (got[i])
			continue;
		lost++;
		if (i == 0 || got[i - 1])
			runs++;
	}
	mean = (double)lost / (double)runs;
	/* correlated losses: wider bounds than a binomial's */
	assert_true(lost > 0.17 * VDS_ARRAY_SIZE(got) &&
		    lost < 0.23 * VDS_ARRAY_SIZE(got));
	assert_true(mean > 4.5 && mean < 5.5);
	vds_linkcond_fini(&lc);
}

/* one_bit_apart - whether a and b (len bytes) differ in exactly one bit.
 * Return: true if so. */
static bool one_bit_apart(const unsigned char *a, const unsigned char *b,
			  size_t len)
{
	unsigned bits = 0;

	for (size_t i = 0; i < len; i++)
		bits += (unsigned)__builtin_popcount(a[i] ^ b[i]);
	return bits == 1;
}

/* test_linkcond_corrupt_flips_one_bit - every frame comes out one bit
 * away from what went in, at once or after a delay. */
static void test_linkcond_corrupt_flips_one_bit(void **state)
{
	unsigned char want[200];
	struct vds_linkcond lc;
	size_t len;

	setup(&lc, &(struct vds_linkdir){ .corrupt = VDS_LINK_ALWAYS }, false);
	for (unsigned i = 0; i < 200; i++) {
		len = udp_frame(want, 150, i);
		feed(&lc, 1, 150, i, T0);
		assert_int_equal(seen.last_len, len);
		assert_true(one_bit_apart(seen.last, want, len));
	}
	vds_linkcond_fini(&lc);
	setup(&lc, &(struct vds_linkdir){ .corrupt = VDS_LINK_ALWAYS,
					  .delay_us = 1000 }, false);
	feed(&lc, 1, 150, 7, T0);
	assert_int_equal(seen.n, 0);
	vds_linkcond_release(&lc, T0 + MS, collect, NULL);
	assert_int_equal(seen.n, 1);
	len = udp_frame(want, 150, 7);
	assert_true(one_bit_apart(seen.last, want, len));
	vds_linkcond_fini(&lc);
}

/* test_linkcond_corrupt_finishes_an_offloaded_checksum - a frame whose
 * checksum was left to the receiver gets it computed before its bit is
 * flipped (so the receiver can see the damage); an offloaded segment
 * train that would be corrupted is dropped. */
static void test_linkcond_corrupt_finishes_an_offloaded_checksum(
	void **state)
{
	static unsigned char buf[70000], ref[70000];
	struct vds_linkdir c = { .corrupt = VDS_LINK_ALWAYS };
	struct vds_linkcond_res res;
	struct virtio_net_hdr vh;
	struct vds_linkcond lc;
	struct vds_frame f = { .data = buf };
	unsigned char *e = ref + VDS_VNET_HDR_LEN;
	size_t tcp_len = 20 + 500;
	uint16_t sum;

	memset(&seen, 0, sizeof(seen));
	vds_linkcond_init(&lc, VDS_VNET_HDR_LEN, 3);
	assert_int_equal(vds_linkcond_reserve(&lc, &c, &res), 0);
	vds_linkcond_apply(&lc, &c, false, &res, T0, collect, buf);
	f.len = gso_frame(buf, 500, 0);
	for (size_t i = 0; i < 500; i++)
		buf[VDS_VNET_HDR_LEN + 54 + i] = (unsigned char)i;
	/* what a finished checksum is: computed here, independently */
	memcpy(ref, buf, f.len);
	sum = vds_csum_finish(vds_csum_add(0, e + 34, tcp_len));
	vds_put16(e + 34 + 16, sum);
	assert_int_equal(vds_csum_fold(vds_csum_add(0, e + 34, tcp_len)),
			 0xffff);
	vds_linkcond_input(&lc, &f, 1, T0, collect, buf);
	assert_int_equal(seen.n, 1);
	memcpy(&vh, seen.last, sizeof(vh));
	assert_false(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_true(one_bit_apart(seen.last + VDS_VNET_HDR_LEN, e,
				  f.len - VDS_VNET_HDR_LEN));
	f.len = gso_frame(buf, 20000, 1448);
	vds_linkcond_input(&lc, &f, 1, T0, collect, buf);
	assert_int_equal(seen.n, 1);
	assert_int_equal(atomic_load(&lc.drops), 1);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_delay_holds_frames_until_due - delay=5ms: nothing before
 * its time (less the slack), everything at it, in order. */
static void test_linkcond_delay_holds_frames_until_due(void **state)
{
	struct vds_linkcond lc;

	setup(&lc, &(struct vds_linkdir){ .delay_us = 5000 }, false);
	feed(&lc, 10, 100, 0, T0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(vds_linkcond_due(&lc), T0 + 5 * MS);
	vds_linkcond_release(&lc, T0 + 5 * MS - 100 * US, collect, NULL);
	assert_int_equal(seen.n, 0);
	vds_linkcond_release(&lc, T0 + 5 * MS, collect, NULL);
	assert_int_equal(seen.n, 10);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(seen.tag[i], i);
	assert_int_equal(vds_linkcond_due(&lc), -1);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_jitter_spreads_delays_and_keeps_order - delay=10ms,
 * jitter=5ms: frames 1 ms apart come out in their order; frames far
 * apart get delays spread over [5, 15] ms. */
static void test_linkcond_jitter_spreads_delays_and_keeps_order(void **state)
{
	struct vds_linkcond lc;
	int64_t lo = INT64_MAX, hi = 0;

	setup(&lc, &(struct vds_linkdir){ .delay_us = 10000,
					  .jitter_us = 5000 }, false);
	for (unsigned i = 0; i < 1000; i++) {
		vds_linkcond_release(&lc, T0 + i * MS, collect, NULL);
		feed(&lc, 1, 100, i, T0 + i * MS);
	}
	vds_linkcond_release(&lc, T0 + 1100 * MS, collect, NULL);
	assert_int_equal(seen.n, 1000);
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(seen.tag[i], i);
	vds_linkcond_fini(&lc);
	setup(&lc, &(struct vds_linkdir){ .delay_us = 10000,
					  .jitter_us = 5000 }, false);
	for (unsigned i = 0; i < 200; i++) {
		int64_t t = T0 + (int64_t)i * 100 * MS, d;

		feed(&lc, 1, 100, i, t);
		d = vds_linkcond_due(&lc) - t;
		vds_linkcond_release(&lc, t + 50 * MS, collect, NULL);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	assert_true(lo >= 5 * MS && hi <= 15 * MS);
	assert_true(lo < 7 * MS && hi > 13 * MS); /* it does spread */
	vds_linkcond_fini(&lc);
}

/* test_linkcond_reorder_sends_a_share_at_once - reorder=50%: about half
 * the frames go at once, ahead of those delayed. */
static void test_linkcond_reorder_sends_a_share_at_once(void **state)
{
	struct vds_linkspec ls;
	struct vds_linkcond lc;

	assert_int_equal(vds_linkspec_parse("delay=10ms,reorder=50", &ls), 0);
	setup(&lc, &ls.cond, false);
	feed(&lc, N_CHANCE, 100, 0, T0);
	assert_true(within(seen.n, N_CHANCE, 0.5));
	vds_linkcond_release(&lc, T0 + 10 * MS, collect, NULL);
	assert_int_equal(seen.n, N_CHANCE);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_rate_spaces_frames_and_tail_drops - rate=1mbit,
 * queue=4k, frames of 1250 bytes: one every 10 ms, and a queue that
 * takes what it has room for. */
static void test_linkcond_rate_spaces_frames_and_tail_drops(void **state)
{
	struct vds_linkcond lc;

	setup(&lc, &(struct vds_linkdir){ .rate_bps = 1000000,
					  .queue_bytes = 4096 }, false);
	feed(&lc, 5, 1250 - 14, 0, T0);
	/* the first always; then 1250 + 1250 and 2500 + 1250 fit in 4096,
	 * 3750 + 1250 does not */
	assert_int_equal(atomic_load(&lc.drops), 2);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(vds_linkcond_due(&lc), T0 + i * 10 * MS);
		vds_linkcond_release(&lc, T0 + i * 10 * MS, collect, NULL);
		assert_int_equal(seen.n, i);
	}
	/* idle since: the next goes after its own sending only */
	feed(&lc, 1, 1250 - 14, 9, T0 + 100 * MS);
	assert_int_equal(vds_linkcond_due(&lc), T0 + 110 * MS);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_full_delay_line_drops - a delay line full of 64 KiB
 * frames drops the next ones, and gives back every one it took. */
static void test_linkcond_full_delay_line_drops(void **state)
{
	static unsigned char big[65000];
	struct vds_frame f = { .data = big, .len = sizeof(big) };
	struct vds_linkcond lc;
	unsigned n = 2 * VDS_LINKCOND_RING_BYTES / sizeof(big);

	setup(&lc, &(struct vds_linkdir){ .delay_us = 1000 }, false);
	udp_frame(big, 1400, 0);
	for (unsigned i = 0; i < n; i++)
		vds_linkcond_input(&lc, &f, 1, T0 + i, collect, NULL);
	assert_true(atomic_load(&lc.drops) >= n / 2 - 1);
	vds_linkcond_release(&lc, T0 + 2 * MS, collect, NULL);
	assert_int_equal(seen.n + atomic_load(&lc.drops), n);
	/* and the ring works on, wrapping */
	for (unsigned i = 0; i < n; i++) {
		vds_linkcond_input(&lc, &f, 1, T0 + 3 * MS + i * 100 * US,
				   collect, NULL);
		vds_linkcond_release(&lc, T0 + 3 * MS + i * 100 * US, collect,
				     NULL);
	}
	vds_linkcond_release(&lc, T0 + 100 * MS + n * 100 * US, collect, NULL);
	assert_int_equal(seen.n + atomic_load(&lc.drops), 2 * n);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_clear_releases_and_down_drops_the_queue - frames queued
 * go out at once when the conditions stop queueing, and are lost when
 * the cable is cut. */
static void test_linkcond_clear_releases_and_down_drops_the_queue(
	void **state)
{
	struct vds_linkdir delay = { .delay_us = 50000 }, none = { 0 };
	struct vds_linkcond_res res;
	struct vds_linkcond lc;

	setup(&lc, &delay, false);
	feed(&lc, 20, 100, 0, T0);
	assert_int_equal(vds_linkcond_reserve(&lc, &none, &res), 0);
	vds_linkcond_apply(&lc, &none, false, &res, T0, collect, NULL);
	assert_int_equal(seen.n, 20);
	assert_int_equal(seen.tag[19], 19);
	assert_int_equal(vds_linkcond_due(&lc), -1);
	assert_null(lc.ring);
	assert_int_equal(vds_linkcond_reserve(&lc, &delay, &res), 0);
	vds_linkcond_apply(&lc, &delay, false, &res, T0, collect, NULL);
	feed(&lc, 7, 100, 0, T0);
	assert_int_equal(vds_linkcond_reserve(&lc, &delay, &res), 0);
	vds_linkcond_apply(&lc, &delay, true, &res, T0, collect, NULL);
	assert_int_equal(atomic_load(&lc.drops), 7);
	assert_int_equal(vds_linkcond_due(&lc), -1);
	vds_linkcond_fini(&lc);
}

/* test_linkcond_reserve_fails_cleanly_without_memory - every allocation
 * of a reservation made to fail in turn: -ENOMEM, nothing changed. */
static void test_linkcond_reserve_fails_cleanly_without_memory(void **state)
{
	struct vds_linkdir c = { .delay_us = 1000, .corrupt = 1 };
	struct vds_linkcond_res res;
	struct vds_linkcond lc;
	long live = vds_alloc_live();

	vds_linkcond_init(&lc, 0, 1);
	for (unsigned long n = 1; n <= 2; n++) {
		vds_alloc_fail_at(n);
		assert_int_equal(vds_linkcond_reserve(&lc, &c, &res), -ENOMEM);
		vds_alloc_fail_at(0);
		assert_int_equal(vds_alloc_live(), live);
		assert_null(lc.ring);
		assert_false(lc.active);
	}
	assert_int_equal(vds_linkcond_reserve(&lc, &c, &res), 0);
	vds_linkcond_apply(&lc, &c, false, &res, T0, collect, NULL);
	assert_true(lc.active);
	vds_linkcond_fini(&lc);
	assert_int_equal(vds_alloc_live(), live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linkcond_plain_wire_passes_the_batch),
		cmocka_unit_test(test_linkcond_down_drops_everything_and_up_passes),
		cmocka_unit_test(test_linkcond_mtu_drops_larger_packets),
		cmocka_unit_test(test_linkcond_measures_an_offloaded_frame_as_its_segments),
		cmocka_unit_test(test_linkcond_mtu_sees_the_segments_of_an_offloaded_frame),
		cmocka_unit_test(test_linkcond_loss_and_dup_follow_their_chances),
		cmocka_unit_test(test_linkcond_burst_loss_has_its_mean_burst),
		cmocka_unit_test(test_linkcond_corrupt_flips_one_bit),
		cmocka_unit_test(test_linkcond_corrupt_finishes_an_offloaded_checksum),
		cmocka_unit_test(test_linkcond_delay_holds_frames_until_due),
		cmocka_unit_test(test_linkcond_jitter_spreads_delays_and_keeps_order),
		cmocka_unit_test(test_linkcond_reorder_sends_a_share_at_once),
		cmocka_unit_test(test_linkcond_rate_spaces_frames_and_tail_drops),
		cmocka_unit_test(test_linkcond_full_delay_line_drops),
		cmocka_unit_test(test_linkcond_clear_releases_and_down_drops_the_queue),
		cmocka_unit_test(test_linkcond_reserve_fails_cleanly_without_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
