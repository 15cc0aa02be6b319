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

/* What the switch delivered, in order. */
static struct {
	unsigned n;
	struct vds_port *to[32];
	unsigned char tag[32];
} got;

/* record - the switch's deliver function in these tests. */
static void record(struct vds_port *port, const struct vds_frame *f,
		   unsigned n)
{
	for (unsigned i = 0; i < n && got.n < 32; i++) {
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

	assert_int_equal(vds_memsw_forward(*state, PORT(0), frame(&t, 0xff, 1, 7),
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

	assert_int_equal(vds_memsw_forward(*state, PORT(0), frame(&t, 2, 1, 1),
					   0), 2);
	got.n = 0;
	assert_int_equal(vds_memsw_forward(*state, PORT(2), frame(&t, 1, 2, 2),
					   0), 1);
	assert_int_equal(got.n, 1);
	assert_true(delivered_to(PORT(0), 2));
	got.n = 0;
	assert_int_equal(vds_memsw_forward(*state, PORT(0), frame(&t, 2, 1, 3),
					   0), 1);
	assert_true(delivered_to(PORT(2), 3));
}

/* test_memsw_multicast_floods_even_when_its_unicast_twin_is_known - the
 * group bit decides, not the table. */
static void test_memsw_multicast_floods_even_when_its_unicast_twin_is_known(void **state)
{
	struct test_frame t;

	vds_memsw_forward(*state, PORT(2), frame(&t, 0xff, 5, 1), 0);
	frame(&t, 5, 9, 2);
	t.b[VDS_VNET_HDR_LEN] |= 0x01; /* 03:00:00:00:00:05, multicast */
	got.n = 0;
	assert_int_equal(vds_memsw_forward(*state, PORT(1), &t.f, 0), 2);
	assert_true(delivered_to(PORT(0), 2));
	assert_true(delivered_to(PORT(2), 2));
}

/* test_memsw_address_moves_to_the_port_it_is_last_seen_on - a station
 * that moves is found at its new port. */
static void test_memsw_address_moves_to_the_port_it_is_last_seen_on(void **state)
{
	struct test_frame t;

	vds_memsw_forward(*state, PORT(0), frame(&t, 0xff, 1, 1), 0);
	vds_memsw_forward(*state, PORT(1), frame(&t, 0xff, 1, 2), 10);
	got.n = 0;
	assert_int_equal(vds_memsw_forward(*state, PORT(2), frame(&t, 1, 3, 3),
					   20), 1);
	assert_true(delivered_to(PORT(1), 3));
}

/* test_memsw_aged_address_floods_again - beyond age_ms the entry reads as
 * unknown. */
static void test_memsw_aged_address_floods_again(void **state)
{
	struct vds_memsw *sw = *state;
	struct test_frame t;

	vds_memsw_forward(sw, PORT(0), frame(&t, 0xff, 1, 1), 0);
	got.n = 0;
	assert_int_equal(vds_memsw_forward(sw, PORT(1), frame(&t, 1, 2, 2),
					   sw->age_ms), 1);
	assert_int_equal(vds_memsw_forward(sw, PORT(1), frame(&t, 1, 2, 3),
					   sw->age_ms + 1), 2);
}

/* test_memsw_frame_for_the_senders_own_side_is_dropped - destination
 * learned on the sending port: delivered nowhere. */
static void test_memsw_frame_for_the_senders_own_side_is_dropped(void **state)
{
	struct test_frame t;

	vds_memsw_forward(*state, PORT(0), frame(&t, 0xff, 1, 1), 0);
	got.n = 0;
	assert_int_equal(vds_memsw_forward(*state, PORT(0), frame(&t, 1, 4, 2),
					   0), 0);
	assert_int_equal(got.n, 0);
}

/* test_memsw_deleted_port_gets_nothing_and_its_addresses_are_forgotten -
 * floods skip it, and what was learned on it floods again. */
static void test_memsw_deleted_port_gets_nothing_and_its_addresses_are_forgotten(void **state)
{
	struct vds_memsw *sw = *state;
	struct test_frame t;

	vds_memsw_forward(sw, PORT(2), frame(&t, 0xff, 3, 1), 0);
	vds_memsw_del_port(sw, PORT(2));
	got.n = 0;
	assert_int_equal(vds_memsw_forward(sw, PORT(0), frame(&t, 3, 1, 2), 0), 1);
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
	assert_int_equal(vds_memsw_forward(*state, PORT(0), &t.f, 0), 0);
	t.f.len = VDS_VNET_HDR_LEN + 14;
	assert_int_equal(vds_memsw_forward(*state, PORT(0), &t.f, 0), 2);
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
	assert_int_equal(vds_memsw_forward(sw, PORT(0), frame(&t, 0xff, 1, 1), 0),
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
		T(test_memsw_add_port_grows_and_fails_cleanly_without_memory),
		cmocka_unit_test(test_memsw_init_fails_cleanly_without_memory),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
