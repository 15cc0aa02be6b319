/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_mem_switch.c - unit tests of the mem:// learning switch
 * (mem_switch.c), driven directly with token ports and a recording
 * deliver function. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "backends/mem_switch.h"
#include "unit.h"

/* The ports are never dereferenced by the switch: tokens will do. */
static char port_tokens[4];
#define PORT(i) ((struct vds_port *)&port_tokens[i])

#define GOT_MAX 256

/* What the switch delivered, in order, and in how many calls. */
static struct {
	unsigned n;
	struct vds_port *to[GOT_MAX];
	unsigned char tag[GOT_MAX];
	unsigned calls;
	struct vds_port *call_to[GOT_MAX];
	unsigned call_n[GOT_MAX];
} got;

/* record - the switch's deliver function in these tests. */
static void record(struct vds_port *port, const struct vds_frame *f,
		   unsigned n)
{
	if (got.calls < GOT_MAX) {
		got.call_to[got.calls] = port;
		got.call_n[got.calls++] = n;
	}
	for (unsigned i = 0; i < n && got.n < GOT_MAX; i++) {
		got.to[got.n] = port;
		got.tag[got.n] = ((const unsigned char *)f[i].data)[f[i].len - 1];
		got.n++;
	}
}

/* A frame: vnet header, dst, src, ethertype, one byte of payload (tag). */
struct test_frame {
	unsigned char b[VDS_VNET_HDR_LEN + 14 + 1];
	struct vds_frame f;
};

/* mac - a unicast address ending in x (ff..: broadcast). */
static void mac(unsigned char *p, unsigned char x)
{
	const unsigned char m[6] = { 0x02, 0, 0, 0, 0, x };

	if (x == 0xff)
		memset(p, 0xff, 6);
	else
		memcpy(p, m, 6);
}

/* frame - fill t with a frame from src to dst carrying tag.
 * Return: &t->f. */
static const struct vds_frame *frame(struct test_frame *t, unsigned char dst,
				     unsigned char src, unsigned char tag)
{
	memset(t->b, 0, sizeof(t->b));
	mac(t->b + VDS_VNET_HDR_LEN, dst);
	mac(t->b + VDS_VNET_HDR_LEN + 6, src);
	t->b[VDS_VNET_HDR_LEN + 12] = 0x08;
	t->b[sizeof(t->b) - 1] = tag;
	t->f = (struct vds_frame){ .data = t->b, .len = sizeof(t->b) };
	return &t->f;
}

/* fwd1 - forward one frame (a batch of one).  Return: deliveries. */
static unsigned fwd1(struct vds_memsw *sw, struct vds_port *from,
		     const struct vds_frame *f, int64_t now)
{
	return vds_memsw_forward(sw, from, f, 1, now);
}

/* tags_to - the tags delivered to port p, in order, as a string.
 * Return: buf. */
static const char *tags_to(struct vds_port *p, char *buf, size_t size)
{
	size_t k = 0;

	for (unsigned i = 0; i < got.n && k + 1 < size; i++)
		if (got.to[i] == p)
			buf[k++] = (char)got.tag[i];
	buf[k] = '\0';
	return buf;
}

/* calls_to - how many deliver calls port p got.  Return: the count. */
static unsigned calls_to(struct vds_port *p)
{
	unsigned c = 0;

	for (unsigned i = 0; i < got.calls; i++)
		c += got.call_to[i] == p;
	return c;
}

/* setup - a switch with three ports.  Return: 0. */
static int setup(void **state)
{
	static struct vds_memsw sw;

	assert_int_equal(vds_memsw_init(&sw), 0);
	sw.deliver = record;
	for (int i = 0; i < 3; i++)
		assert_int_equal(vds_memsw_add_port(&sw, PORT(i)), 0);
	memset(&got, 0, sizeof(got));
	*state = &sw;
	return 0;
}

/* teardown - free the switch.  Return: 0. */
static int teardown(void **state)
{
	vds_memsw_fini(*state);
	return 0;
}

/* delivered_to - whether got has a frame with tag to port p. */
static bool delivered_to(struct vds_port *p, unsigned char tag)
{
	for (unsigned i = 0; i < got.n; i++)
		if (got.to[i] == p && got.tag[i] == tag)
			return true;
	return false;
}

/* test_memsw_broadcast_floods_every_other_port - never back to the
 * sender. */
static void test_memsw_broadcast_floods_every_other_port(void **state)
{
	struct test_frame t;

	assert_int_equal(fwd1(*state, PORT(0), frame(&t, 0xff, 1, 7),
					   0), 2);
	assert_int_equal(got.n, 2);
	assert_true(delivered_to(PORT(1), 7));
	assert_true(delivered_to(PORT(2), 7));
}

/* test_memsw_unknown_unicast_floods_and_learned_goes_to_one_port - the
 * reply to a learned address goes only where it was learned. */
static void test_memsw_unknown_unicast_floods_and_learned_goes_to_one_port(void **state)
{
	struct test_frame t;

	assert_int_equal(fwd1(*state, PORT(0), frame(&t, 2, 1, 1),
					   0), 2);
	got.n = 0;
	assert_int_equal(fwd1(*state, PORT(2), frame(&t, 1, 2, 2),
					   0), 1);
	assert_int_equal(got.n, 1);
	assert_true(delivered_to(PORT(0), 2));
	got.n = 0;
	assert_int_equal(fwd1(*state, PORT(0), frame(&t, 2, 1, 3),
					   0), 1);
	assert_true(delivered_to(PORT(2), 3));
}

/* test_memsw_multicast_floods_even_when_its_unicast_twin_is_known - the
 * group bit decides, not the table. */
static void test_memsw_multicast_floods_even_when_its_unicast_twin_is_known(void **state)
{
	struct test_frame t;

	fwd1(*state, PORT(2), frame(&t, 0xff, 5, 1), 0);
	frame(&t, 5, 9, 2);
	t.b[VDS_VNET_HDR_LEN] |= 0x01; /* 03:00:00:00:00:05, multicast */
	got.n = 0;
	assert_int_equal(fwd1(*state, PORT(1), &t.f, 0), 2);
	assert_true(delivered_to(PORT(0), 2));
	assert_true(delivered_to(PORT(2), 2));
}

/* test_memsw_address_moves_to_the_port_it_is_last_seen_on - a station
 * that moves is found at its new port. */
static void test_memsw_address_moves_to_the_port_it_is_last_seen_on(void **state)
{
	struct test_frame t;

	fwd1(*state, PORT(0), frame(&t, 0xff, 1, 1), 0);
	fwd1(*state, PORT(1), frame(&t, 0xff, 1, 2), 10);
	got.n = 0;
	assert_int_equal(fwd1(*state, PORT(2), frame(&t, 1, 3, 3),
					   20), 1);
	assert_true(delivered_to(PORT(1), 3));
}

/* test_memsw_aged_address_floods_again - beyond age_ms the entry reads as
 * unknown. */
static void test_memsw_aged_address_floods_again(void **state)
{
	struct vds_memsw *sw = *state;
	struct test_frame t;

	fwd1(sw, PORT(0), frame(&t, 0xff, 1, 1), 0);
	got.n = 0;
	assert_int_equal(fwd1(sw, PORT(1), frame(&t, 1, 2, 2),
					   sw->age_ms), 1);
	assert_int_equal(fwd1(sw, PORT(1), frame(&t, 1, 2, 3),
					   sw->age_ms + 1), 2);
}

/* test_memsw_frame_for_the_senders_own_side_is_dropped - destination
 * learned on the sending port: delivered nowhere. */
static void test_memsw_frame_for_the_senders_own_side_is_dropped(void **state)
{
	struct test_frame t;

	fwd1(*state, PORT(0), frame(&t, 0xff, 1, 1), 0);
	got.n = 0;
	assert_int_equal(fwd1(*state, PORT(0), frame(&t, 1, 4, 2),
					   0), 0);
	assert_int_equal(got.n, 0);
}

/* test_memsw_deleted_port_gets_nothing_and_its_addresses_are_forgotten -
 * floods skip it, and what was learned on it floods again. */
static void test_memsw_deleted_port_gets_nothing_and_its_addresses_are_forgotten(void **state)
{
	struct vds_memsw *sw = *state;
	struct test_frame t;

	fwd1(sw, PORT(2), frame(&t, 0xff, 3, 1), 0);
	vds_memsw_del_port(sw, PORT(2));
	got.n = 0;
	assert_int_equal(fwd1(sw, PORT(0), frame(&t, 3, 1, 2), 0), 1);
	assert_int_equal(got.n, 1);
	assert_true(delivered_to(PORT(1), 2));
	assert_false(delivered_to(PORT(2), 2));
}

/* test_memsw_runt_frames_are_dropped - shorter than the vnet header plus
 * an Ethernet header. */
static void test_memsw_runt_frames_are_dropped(void **state)
{
	struct test_frame t;

	frame(&t, 0xff, 1, 1);
	t.f.len = VDS_VNET_HDR_LEN + 13;
	assert_int_equal(fwd1(*state, PORT(0), &t.f, 0), 0);
	t.f.len = VDS_VNET_HDR_LEN + 14;
	assert_int_equal(fwd1(*state, PORT(0), &t.f, 0), 2);
}

/* test_memsw_batch_gives_each_port_its_frames_in_one_call_in_order - a
 * batch mixing learned unicast, broadcast and unknown destinations: each
 * port gets what it would get frame by frame, in one call. */
static void test_memsw_batch_gives_each_port_its_frames_in_one_call_in_order(void **state)
{
	struct vds_memsw *sw = *state;
	struct test_frame t[6];
	struct vds_frame f[6];
	char buf[16];

	fwd1(sw, PORT(1), frame(&t[0], 0xff, 1, 0), 0);
	fwd1(sw, PORT(2), frame(&t[0], 0xff, 2, 0), 0);
	memset(&got, 0, sizeof(got));
	frame(&t[0], 1, 3, 'a');     /* to port 1 */
	frame(&t[1], 0xff, 3, 'b');  /* everybody else */
	frame(&t[2], 2, 3, 'c');     /* to port 2 */
	frame(&t[3], 9, 3, 'd');     /* unknown: flooded */
	frame(&t[4], 1, 3, 'e');     /* to port 1 */
	frame(&t[5], 3, 4, 'f');     /* learned on port 0 by 'a': nowhere */
	for (int i = 0; i < 6; i++)
		f[i] = t[i].f;
	assert_int_equal(vds_memsw_forward(sw, PORT(0), f, 6, 0), 4 + 3);
	assert_string_equal(tags_to(PORT(1), buf, sizeof(buf)), "abde");
	assert_string_equal(tags_to(PORT(2), buf, sizeof(buf)), "bcd");
	assert_string_equal(tags_to(PORT(0), buf, sizeof(buf)), "");
	assert_int_equal(calls_to(PORT(1)), 1);
	assert_int_equal(calls_to(PORT(2)), 1);
	assert_int_equal(got.calls, 2);
}

/* test_memsw_batch_of_unicast_to_one_port_is_one_call - no flood: the
 * other ports are not called at all. */
static void test_memsw_batch_of_unicast_to_one_port_is_one_call(void **state)
{
	struct vds_memsw *sw = *state;
	struct test_frame t[3];
	struct vds_frame f[3];
	char buf[16];

	fwd1(sw, PORT(2), frame(&t[0], 0xff, 2, 0), 0);
	memset(&got, 0, sizeof(got));
	for (int i = 0; i < 3; i++) {
		frame(&t[i], 2, 1, (unsigned char)('x' + i));
		f[i] = t[i].f;
	}
	assert_int_equal(vds_memsw_forward(sw, PORT(0), f, 3, 0), 3);
	assert_string_equal(tags_to(PORT(2), buf, sizeof(buf)), "xyz");
	assert_int_equal(got.calls, 1);
}

/* test_memsw_long_batch_is_switched_in_chunks_in_order - more than
 * VDS_MEMSW_BATCH frames: all delivered, in order, a call per chunk. */
static void test_memsw_long_batch_is_switched_in_chunks_in_order(void **state)
{
	struct vds_memsw *sw = *state;
	static struct test_frame t[VDS_MEMSW_BATCH + 36];
	static struct vds_frame f[VDS_MEMSW_BATCH + 36];
	const unsigned n = VDS_MEMSW_BATCH + 36;
	unsigned k[2] = { 0, 0 };

	for (unsigned i = 0; i < n; i++) {
		frame(&t[i], 0xff, 1, (unsigned char)i);
		f[i] = t[i].f;
	}
	assert_true(2 * n <= GOT_MAX); /* every delivery recorded */
	assert_int_equal(vds_memsw_forward(sw, PORT(0), f, n, 0), 2 * n);
	assert_int_equal(calls_to(PORT(1)), 2);
	assert_int_equal(calls_to(PORT(2)), 2);
	assert_int_equal(got.n, 2 * n);
	for (unsigned i = 0; i < got.n; i++) {
		unsigned p = got.to[i] == PORT(1) ? 0 : 1;

		assert_true(got.to[i] == PORT(1) || got.to[i] == PORT(2));
		assert_int_equal(got.tag[i], (unsigned char)k[p]);
		k[p]++;
	}
	/* all of them, to each port, in order */
	assert_int_equal(k[0], n);
	assert_int_equal(k[1], n);
}

/* test_memsw_add_port_grows_and_fails_cleanly_without_memory - many
 * ports; a failed growth leaves the switch as it was. */
static void test_memsw_add_port_grows_and_fails_cleanly_without_memory(void **state)
{
	static char many[40];
	struct vds_memsw *sw = *state;
	struct test_frame t;
	unsigned n = sw->nports;

	while (sw->nports < sw->cap)
		assert_int_equal(vds_memsw_add_port(sw, (struct vds_port *)
						    &many[sw->nports]), 0);
	n = sw->nports;
	vds_alloc_fail_at(1);
	assert_int_equal(vds_memsw_add_port(sw, (struct vds_port *)&many[39]),
			 -ENOMEM);
	vds_alloc_fail_at(0);
	assert_int_equal(sw->nports, n);
	assert_int_equal(vds_memsw_add_port(sw, (struct vds_port *)&many[39]), 0);
	assert_int_equal(fwd1(sw, PORT(0), frame(&t, 0xff, 1, 1), 0),
			 n);
}

/* test_memsw_init_fails_cleanly_without_memory - -ENOMEM. */
static void test_memsw_init_fails_cleanly_without_memory(void **state)
{
	struct vds_memsw sw;

	vds_alloc_fail_at(1);
	assert_int_equal(vds_memsw_init(&sw), -ENOMEM);
	vds_alloc_fail_at(0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_memsw_broadcast_floods_every_other_port),
		T(test_memsw_unknown_unicast_floods_and_learned_goes_to_one_port),
		T(test_memsw_multicast_floods_even_when_its_unicast_twin_is_known),
		T(test_memsw_address_moves_to_the_port_it_is_last_seen_on),
		T(test_memsw_aged_address_floods_again),
		T(test_memsw_frame_for_the_senders_own_side_is_dropped),
		T(test_memsw_deleted_port_gets_nothing_and_its_addresses_are_forgotten),
		T(test_memsw_runt_frames_are_dropped),
		T(test_memsw_batch_gives_each_port_its_frames_in_one_call_in_order),
		T(test_memsw_batch_of_unicast_to_one_port_is_one_call),
		T(test_memsw_long_batch_is_switched_in_chunks_in_order),
		T(test_memsw_add_port_grows_and_fails_cleanly_without_memory),
		cmocka_unit_test(test_memsw_init_fails_cleanly_without_memory),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
