/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_stream_decode.c - unit tests of the VDE stream decoder
 * (vds_stream_decode in stream.c). */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "backends/stream.h"
#include "base/internal.h"
#include "core/backend.h"
#include "unit.h"

/* A frame of the tests is len bytes where byte i is (tag + i) & 0xff, so
 * the collector can check each frame whole from its first byte. */
#define MAX_FRAMES 64

struct collector {
	unsigned n;
	size_t len[MAX_FRAMES];
	unsigned char tag[MAX_FRAMES];
	bool corrupt;
};

/* collect - check and record one decoded frame. */
static void collect(struct collector *c, const struct vds_frame *f)
{
	const unsigned char *d = f->data;

	if (c->n == MAX_FRAMES || f->len == 0) {
		c->corrupt = true;
		return;
	}
	for (size_t i = 0; i < f->len; i++)
		if (d[i] != (unsigned char)(d[0] + i))
			c->corrupt = true;
	c->len[c->n] = f->len;
	c->tag[c->n] = d[0];
	c->n++;
}

/* Frames the tests decode per call: a small batch, so that every test
 * crosses its limit too. */
#define BATCH 3

/* decode - decode buf[0..len) as the stream backend does, in batches of
 * BATCH frames until one comes short, into c.  Return: the bytes
 * consumed. */
static size_t decode(const unsigned char *buf, size_t len,
		     struct collector *c)
{
	struct vds_frame f[BATCH];
	size_t pos = 0;
	unsigned n;

	do {
		size_t used = vds_stream_decode(buf + pos, len - pos, f, BATCH,
						&n);

		assert_true(n <= BATCH);
		assert_true(used <= len - pos);
		for (unsigned i = 0; i < n; i++) {
			const unsigned char *d = f[i].data;

			/* inside what was consumed, after its length */
			assert_true(d >= buf + pos + 2);
			assert_true(d + f[i].len <= buf + pos + used);
			collect(c, &f[i]);
		}
		pos += used;
	} while (n == BATCH);
	return pos;
}

/* put_frame - append one encoded frame to buf at *len. */
static void put_frame(unsigned char *buf, size_t *len, size_t flen,
		      unsigned char tag)
{
	buf[(*len)++] = (unsigned char)(flen >> 8);
	buf[(*len)++] = (unsigned char)flen;
	for (size_t i = 0; i < flen; i++)
		buf[(*len)++] = (unsigned char)(tag + i);
}

/* A stream of frames of assorted lengths, some under 14 bytes. */
static const size_t sample_lens[] = { 60, 14, 0, 1500, 13, 1, 64, 255, 256,
				      9000, 15 };

/* sample - encode sample_lens into buf (tag = index * 16 + 1).
 * Return: the stream's length. */
static size_t sample(unsigned char *buf)
{
	size_t len = 0;

	for (size_t i = 0; i < VDS_ARRAY_SIZE(sample_lens); i++)
		put_frame(buf, &len, sample_lens[i], (unsigned char)(i * 16 + 1));
	return len;
}

/* check_sample - c holds exactly the frames of sample() of 14 bytes and
 * more, in order. */
static void check_sample(const struct collector *c)
{
	unsigned k = 0;

	assert_false(c->corrupt);
	for (size_t i = 0; i < VDS_ARRAY_SIZE(sample_lens); i++) {
		if (sample_lens[i] < 14)
			continue;
		assert_true(k < c->n);
		assert_int_equal(c->len[k], sample_lens[i]);
		assert_int_equal(c->tag[k], (unsigned char)(i * 16 + 1));
		k++;
	}
	assert_int_equal(c->n, k);
}

/* test_stream_decode_delivers_whole_frames_in_order - a buffer of
 * complete frames is consumed whole. */
static void test_stream_decode_delivers_whole_frames_in_order(void **state)
{
	unsigned char *buf = malloc(20000);
	struct collector c = { 0 };
	size_t len;

	assert_non_null(buf);
	len = sample(buf);
	assert_int_equal(decode(buf, len, &c), len);
	check_sample(&c);
	free(buf);
}

/* test_stream_decode_skips_frames_under_14_bytes - runts are consumed but
 * not delivered; 14 bytes is delivered. */
static void test_stream_decode_skips_frames_under_14_bytes(void **state)
{
	unsigned char buf[256];
	struct collector c = { 0 };
	size_t len = 0;

	for (size_t l = 0; l < 14; l++)
		put_frame(buf, &len, l, 1);
	assert_int_equal(decode(buf, len, &c), len);
	assert_int_equal(c.n, 0);
	put_frame(buf, &len, 14, 2);
	assert_int_equal(decode(buf, len, &c), len);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], 14);
	assert_false(c.corrupt);
}

/* test_stream_decode_keeps_a_partial_frame - an incomplete frame (or a
 * lone length byte) is left for later. */
static void test_stream_decode_keeps_a_partial_frame(void **state)
{
	unsigned char buf[512] = { 0 };
	struct collector c = { 0 };
	size_t len = 0, first;

	assert_int_equal(decode(buf, 0, &c), 0);
	put_frame(buf, &len, 60, 5);
	first = len;
	put_frame(buf, &len, 100, 9);
	for (size_t cut = first; cut < len; cut++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(decode(buf, cut, &c), first);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.len[0], 60);
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(decode(buf, 1, &c), 0);
	assert_int_equal(c.n, 0);
}

/* test_stream_decode_handles_the_largest_frame - 65535 bytes, the most a
 * 2-byte length says. */
static void test_stream_decode_handles_the_largest_frame(void **state)
{
	unsigned char *buf = malloc(65535 + 2);
	struct collector c = { 0 };
	size_t len = 0;

	assert_non_null(buf);
	put_frame(buf, &len, 65535, 3);
	assert_int_equal(decode(buf, len - 1, &c), 0);
	assert_int_equal(decode(buf, len, &c), len);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], 65535);
	assert_false(c.corrupt);
	free(buf);
}

/* feed - append data to a receive buffer and decode it as the stream
 * backend does (consumed bytes removed, the rest kept). */
static void feed(unsigned char *rx, size_t *rx_len, const unsigned char *data,
		 size_t n, struct collector *c)
{
	size_t used;

	memcpy(rx + *rx_len, data, n);
	*rx_len += n;
	used = decode(rx, *rx_len, c);
	assert_true(used <= *rx_len);
	memmove(rx, rx + used, *rx_len - used);
	*rx_len -= used;
}

/* test_stream_decode_frames_split_at_every_byte_boundary - the stream
 * arriving in two pieces, cut anywhere, gives the same frames. */
static void test_stream_decode_frames_split_at_every_byte_boundary(void **state)
{
	unsigned char *buf = malloc(20000), *rx = malloc(20000);
	size_t len;

	assert_non_null(buf);
	assert_non_null(rx);
	len = sample(buf);
	for (size_t cut = 0; cut <= len; cut++) {
		struct collector c = { 0 };
		size_t rx_len = 0;

		feed(rx, &rx_len, buf, cut, &c);
		feed(rx, &rx_len, buf + cut, len - cut, &c);
		assert_int_equal(rx_len, 0);
		check_sample(&c);
	}
	free(rx);
	free(buf);
}

/* test_stream_decode_frames_arriving_one_byte_at_a_time - the worst
 * split of all. */
static void test_stream_decode_frames_arriving_one_byte_at_a_time(void **state)
{
	unsigned char *buf = malloc(20000), *rx = malloc(20000);
	struct collector c = { 0 };
	size_t len, rx_len = 0;

	assert_non_null(buf);
	assert_non_null(rx);
	len = sample(buf);
	for (size_t i = 0; i < len; i++)
		feed(rx, &rx_len, buf + i, 1, &c);
	assert_int_equal(rx_len, 0);
	check_sample(&c);
	free(rx);
	free(buf);
}

/* test_stream_decode_stops_after_max_frames_and_resumes_there - the
 * bytes consumed end with the last frame returned; runts before it are
 * consumed, what follows is left for the next call. */
static void test_stream_decode_stops_after_max_frames_and_resumes_there(void **state)
{
	unsigned char buf[512];
	struct vds_frame f[2];
	size_t len = 0, used, first_two;
	unsigned n;

	put_frame(buf, &len, 20, 1);
	put_frame(buf, &len, 5, 2);      /* a runt */
	put_frame(buf, &len, 30, 3);
	first_two = len;
	put_frame(buf, &len, 3, 4);      /* a runt */
	put_frame(buf, &len, 40, 5);
	used = vds_stream_decode(buf, len, f, 2, &n);
	assert_int_equal(n, 2);
	assert_int_equal(used, first_two);
	assert_int_equal(f[0].len, 20);
	assert_int_equal(f[1].len, 30);
	assert_ptr_equal(f[1].data, buf + 2 + 20 + 2 + 5 + 2);
	used += vds_stream_decode(buf + used, len - used, f, 2, &n);
	assert_int_equal(n, 1);
	assert_int_equal(used, len);
	assert_int_equal(f[0].len, 40);
	assert_int_equal(vds_stream_decode(buf, len, f, 0, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_decode_delivers_whole_frames_in_order),
		cmocka_unit_test(test_stream_decode_skips_frames_under_14_bytes),
		cmocka_unit_test(test_stream_decode_keeps_a_partial_frame),
		cmocka_unit_test(test_stream_decode_handles_the_largest_frame),
		cmocka_unit_test(test_stream_decode_frames_split_at_every_byte_boundary),
		cmocka_unit_test(test_stream_decode_frames_arriving_one_byte_at_a_time),
		cmocka_unit_test(test_stream_decode_stops_after_max_frames_and_resumes_there),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
