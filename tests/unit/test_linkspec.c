/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_linkspec.c - unit tests of the vde_stacklink() spec parser
 * (linkspec.c), table-driven: what each accepted spec means, and that
 * every malformed one is EINVAL with nothing returned. */
#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/internal.h"
#include "core/linkspec.h"
#include "unit.h"

/* PCT(p): the chance of p percent, as the parser rounds it. */
#define PCT(p) ((uint64_t)((p) / 100.0 * (double)VDS_LINK_ALWAYS + 0.5))

struct good_case {
	const char *spec;
	struct vds_linkspec want; /* queue_bytes and cut as the parser sets */
};

/* W - a wanted result: both directions, cut unchanged, conditions set. */
#define W(...) { .dirs = VDS_LINK_BOTH, .set = true, .cut = -1, \
		  .cond = { __VA_ARGS__ } }

/* test_linkspec_parses_every_key - accepted specs and their meaning. */
static void test_linkspec_parses_every_key(void **state)
{
	static const struct good_case cases[] = {
		{ "delay=100ms", W(.delay_us = 100000) },
		{ "delay=1.5ms", W(.delay_us = 1500) },
		{ "delay=250us", W(.delay_us = 250) },
		{ "delay=2s", W(.delay_us = 2000000) },
		{ "delay=.5s", W(.delay_us = 500000) },
		{ "delay=0ms", W(.delay_us = 0) },
		{ "delay=60s", W(.delay_us = 60000000) },
		{ "delay=10MS", W(.delay_us = 10000) },
		{ "delay=100ms,jitter=10ms",
		  W(.delay_us = 100000, .jitter_us = 10000) },
		{ "delay=10ms,jitter=10ms",
		  W(.delay_us = 10000, .jitter_us = 10000) },
		{ "loss=1.5%", W(.loss = PCT(1.5)) },
		{ "loss=1.5", W(.loss = PCT(1.5)) },
		{ "loss=0", W(.loss = 0) },
		{ "loss=100%", W(.loss = VDS_LINK_ALWAYS) },
		{ "loss=0.000001%", W(.loss = PCT(0.000001)) },
		{ "dup=5%", W(.dup = PCT(5)) },
		{ "corrupt=0.1", W(.corrupt = PCT(0.1)) },
		{ "delay=10ms,reorder=25%",
		  W(.delay_us = 10000, .reorder = PCT(25)) },
		{ "rate=10mbit", W(.rate_bps = 10000000,
				   .queue_bytes = VDS_LINK_QUEUE_DEFAULT) },
		{ "rate=1.5Mbit", W(.rate_bps = 1500000,
				    .queue_bytes = VDS_LINK_QUEUE_DEFAULT) },
		{ "rate=64kbit,queue=16k", W(.rate_bps = 64000,
					     .queue_bytes = 16384) },
		{ "rate=1gbit,queue=2m", W(.rate_bps = 1000000000,
					   .queue_bytes = 2 * 1024 * 1024) },
		{ "rate=1kbit,queue=1024", W(.rate_bps = 1000,
					     .queue_bytes = 1024) },
		{ "mtu=1280", W(.mtu = 1280) },
		{ "mtu=68", W(.mtu = 68) },
		{ "mtu=65535", W(.mtu = 65535) },
		{ "dir=out,delay=1ms",
		  { .dirs = VDS_LINK_OUT, .set = true, .cut = -1,
		    .cond = { .delay_us = 1000 } } },
		{ "loss=2,dir=in",
		  { .dirs = VDS_LINK_IN, .set = true, .cut = -1,
		    .cond = { .loss = PCT(2) } } },
		{ "dir=both,dup=1", W(.dup = PCT(1)) },
		{ "down", { .dirs = VDS_LINK_BOTH, .cut = 1 } },
		{ "up", { .dirs = VDS_LINK_BOTH, .cut = 0 } },
		{ "dir=in,down", { .dirs = VDS_LINK_IN, .cut = 1 } },
		{ "down,delay=5ms", { .dirs = VDS_LINK_BOTH, .set = true,
				      .cut = 1, .cond = { .delay_us = 5000 } } },
		{ "clear", { .dirs = VDS_LINK_BOTH, .set = true, .cut = 0 } },
		{ "dir=out,clear", { .dirs = VDS_LINK_OUT, .set = true,
				     .cut = 0 } },
		{ "if=vde0,delay=1ms", { .dirs = VDS_LINK_BOTH, .set = true,
					 .cut = -1, .ifname = "vde0",
					 .cond = { .delay_us = 1000 } } },
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(cases); i++) {
		struct vds_linkspec got;
		const struct vds_linkspec *w = &cases[i].want;
		int err = vds_linkspec_parse(cases[i].spec, &got);

		if (err != 0)
			fail_msg("\"%s\": %d", cases[i].spec, err);
		if (got.dirs != w->dirs || got.set != w->set ||
		    got.cut != w->cut || strcmp(got.ifname, w->ifname) ||
		    memcmp(&got.cond, &w->cond, sizeof(got.cond)))
			fail_msg("\"%s\": parsed otherwise (dirs %u set %d "
				 "cut %d delay %lld loss %llu rate %llu "
				 "queue %u)", cases[i].spec, got.dirs, got.set,
				 got.cut, (long long)got.cond.delay_us,
				 (unsigned long long)got.cond.loss,
				 (unsigned long long)got.cond.rate_bps,
				 got.cond.queue_bytes);
	}
}

/* test_linkspec_burst_model_gives_the_loss_and_burst - loss=PCT/BURST:
 * the bad state is left with chance 1/BURST, and the share of frames in
 * it is PCT. */
static void test_linkspec_burst_model_gives_the_loss_and_burst(void **state)
{
	struct vds_linkspec ls;
	double enter, leave;

	assert_int_equal(vds_linkspec_parse("loss=10%/4", &ls), 0);
	enter = (double)ls.cond.burst_enter / (double)VDS_LINK_ALWAYS;
	leave = (double)ls.cond.burst_leave / (double)VDS_LINK_ALWAYS;
	assert_true(leave > 0.2499 && leave < 0.2501);
	assert_true(enter / (enter + leave) > 0.0999 &&
		    enter / (enter + leave) < 0.1001);
	assert_int_equal(ls.cond.loss, 0);
	/* a burst of 1 at 50 %: every other frame on average */
	assert_int_equal(vds_linkspec_parse("loss=50/1", &ls), 0);
	assert_int_equal(ls.cond.burst_enter, VDS_LINK_ALWAYS);
	/* 100 %: every frame, no model needed */
	assert_int_equal(vds_linkspec_parse("loss=100%/3", &ls), 0);
	assert_int_equal(ls.cond.loss, VDS_LINK_ALWAYS);
	assert_int_equal(ls.cond.burst_enter, 0);
	/* 0 %: none, whatever the burst */
	assert_int_equal(vds_linkspec_parse("loss=0/3", &ls), 0);
	assert_false(vds_linkdir_active(&ls.cond));
}

/* test_linkspec_refuses_malformed_specs - EINVAL, and *ret untouched. */
static void test_linkspec_refuses_malformed_specs(void **state)
{
	static const char *const bad[] = {
		"", ",", "delay=100ms,", ",delay=100ms", "delay=1ms,,loss=1",
		"delay", "delay=", "delay=100", "delay=100m", "delay=ms",
		"delay=1.ms", "delay=-1ms", "delay=61s", "delay=1e3ms",
		"delay=100 ms", " delay=1ms", "delay=1ms ", "Delay=1ms",
		"delay=1ms,delay=2ms", "delay=0x10ms", "delay=1.0000000001s",
		"delay=9999999999999s",
		"jitter=1ms", "delay=1ms,jitter=2ms",
		"loss", "loss=", "loss=101", "loss=100.0001%", "loss=1%%",
		"loss=%", "loss=-1", "loss=1/", "loss=1/0", "loss=1/0.5",
		"loss=60/1", "loss=1/2/3", "loss=/2", "loss=abc",
		"loss=1,loss=2",
		"dup=200", "corrupt=x",
		"reorder=10%", "delay=0ms,reorder=10",
		"rate=10", "rate=10mb", "rate=10 mbit", "rate=0kbit",
		"rate=0.5kbit", "rate=1001gbit", "rate=mbit",
		"queue=64k", "rate=1mbit,queue=512", "rate=1mbit,queue=2g",
		"rate=1mbit,queue=1.5k", "rate=1mbit,queue=k",
		"rate=1mbit,queue=1025m",
		"mtu=67", "mtu=65536", "mtu=1500b", "mtu=", "mtu=1.5k",
		"dir=out", "dir=", "dir=up", "dir=OUT,delay=1ms",
		"dir=in,dir=out,loss=1", "if=vde0", "if=,delay=1ms",
		"if=a/b,delay=1ms", "if=0123456789abcdef,delay=1ms",
		"down,up", "up,down", "down=1", "up=", "clear=yes",
		"clear,delay=1ms", "clear,down", "clear,up", "clear,clear",
		"down,down", "nonsense", "delay=1ms,nonsense",
		"delay=1ms\n", "delay=1ms;loss=1",
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(bad); i++) {
		struct vds_linkspec ls, before;

		memset(&ls, 0x5a, sizeof(ls));
		before = ls;
		if (vds_linkspec_parse(bad[i], &ls) != -EINVAL)
			fail_msg("\"%s\" was not refused", bad[i]);
		if (memcmp(&ls, &before, sizeof(ls)))
			fail_msg("\"%s\": the result was written", bad[i]);
	}
	assert_int_equal(vds_linkspec_parse(NULL, &(struct vds_linkspec){ 0 }),
			 -EINVAL);
}

/* test_linkspec_refuses_an_over_long_spec - more than VDS_LINK_SPEC_MAX
 * characters is malformed, read no further than that. */
static void test_linkspec_refuses_an_over_long_spec(void **state)
{
	static char spec[4 * VDS_LINK_SPEC_MAX];
	struct vds_linkspec ls;

	memset(spec, '0', sizeof(spec) - 1);
	memcpy(spec, "delay=", 6);
	assert_int_equal(vds_linkspec_parse(spec, &ls), -EINVAL);
	spec[VDS_LINK_SPEC_MAX + 1] = '\0';
	assert_int_equal(vds_linkspec_parse(spec, &ls), -EINVAL);
}

/* test_linkspec_ignores_the_locale - numbers are read the same whatever
 * LC_NUMERIC says (a decimal comma in the application's locale). */
static void test_linkspec_ignores_the_locale(void **state)
{
	struct vds_linkspec ls;

	if (setlocale(LC_NUMERIC, "de_DE.UTF-8") == NULL &&
	    setlocale(LC_NUMERIC, "fr_FR.UTF-8") == NULL)
		print_message("no decimal-comma locale here: C locale only\n");
	assert_int_equal(vds_linkspec_parse("loss=1.5%", &ls), 0);
	assert_int_equal(ls.cond.loss, PCT(1.5));
	setlocale(LC_NUMERIC, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linkspec_parses_every_key),
		cmocka_unit_test(test_linkspec_burst_model_gives_the_loss_and_burst),
		cmocka_unit_test(test_linkspec_refuses_malformed_specs),
		cmocka_unit_test(test_linkspec_refuses_an_over_long_spec),
		cmocka_unit_test(test_linkspec_ignores_the_locale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
