/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_transport.c - two stacks exchanging TCP data over libvdeplug
 * backends (hub, vde_switch, udp) and the stream backend ("=command"). */
#include <signal.h>
#include <unistd.h>

#include "common.h"

#define BYTES (4u << 20) /* each exchange: 4 MiB one way, 1 MiB back */

/* pair_exchange - address two stacks (10.0.0.1 and .2 on vde0), check a
 * TCP exchange both ways, delete both. */
static void pair_exchange(struct vdestack *a, struct vdestack *b,
			  uint64_t seed)
{
	it_config_addr(a, "vde0", "10.0.0.1/24");
	it_config_addr(b, "vde0", "10.0.0.2/24");
	it_tcp_exchange(a, b, "10.0.0.1", BYTES, seed);
	/* and the other way round: B serves, A connects */
	it_tcp_exchange(b, a, "10.0.0.2", BYTES / 4, seed + 100);
	vde_delstack(b);
	vde_delstack(a);
}

/* test_two_stacks_exchange_tcp_data_over_a_hub - the first stack opens
 * an in-process hub, the second joins it: no daemon. */
static void test_two_stacks_exchange_tcp_data_over_a_hub(void)
{
	char hub[600], vde[600];
	struct vdestack *a, *b;

	it_require_network();
	snprintf(hub, sizeof(hub), "hub://%s/hub", it_tmpdir());
	snprintf(vde, sizeof(vde), "vde://%s/hub", it_tmpdir());
	a = it_addstack(hub, NULL);
	b = it_addstack(vde, NULL);
	pair_exchange(a, b, 1);
}

/* test_three_stacks_on_one_hub_reach_each_other */
static void test_three_stacks_on_one_hub_reach_each_other(void)
{
	char hub[600], vde[600];
	struct vdestack *a, *b, *c;

	it_require_network();
	snprintf(hub, sizeof(hub), "hub://%s/hub", it_tmpdir());
	snprintf(vde, sizeof(vde), "vde://%s/hub", it_tmpdir());
	a = it_addstack(hub, NULL);
	b = it_addstack(vde, "eth0");
	c = it_addstack(vde, NULL);
	it_config_addr(a, "vde0", "10.0.0.1/24");
	it_config_addr(b, "eth0", "10.0.0.2/24");
	it_config_addr(c, "vde0", "10.0.0.3/24");
	it_tcp_exchange(a, b, "10.0.0.1", 256 << 10, 7);
	it_tcp_exchange(b, c, "10.0.0.2", 256 << 10, 8);
	it_tcp_exchange(c, a, "10.0.0.3", 256 << 10, 9);
	vde_delstack(c);
	vde_delstack(b);
	vde_delstack(a);
}

/* test_two_stacks_exchange_tcp_data_over_a_vde_switch - a vde_switch
 * daemon started by the test. */
static void test_two_stacks_exchange_tcp_data_over_a_vde_switch(void)
{
	struct it_switch sw;
	struct vdestack *a, *b;
	char url[600];

	it_require_network();
	it_require_program("vde_switch");
	it_switch_start(&sw, it_tmpdir(), "switch");
	snprintf(url, sizeof(url), "vde://%s", sw.path);
	a = it_addstack(url, NULL);
	b = it_addstack(url, NULL);
	pair_exchange(a, b, 2);
	it_switch_stop(&sw);
}

/* test_two_stacks_exchange_tcp_data_over_udp - udp:// between two ports
 * of 127.0.0.1. */
static void test_two_stacks_exchange_tcp_data_over_udp(void)
{
	char ua[128], ub[128];
	struct vdestack *a, *b;
	uint16_t pa, pb;

	it_require_network();
	it_free_udp_ports(&pa, &pb);
	snprintf(ua, sizeof(ua), "udp://127.0.0.1:%u->127.0.0.1:%u", pa, pb);
	snprintf(ub, sizeof(ub), "udp://127.0.0.1:%u->127.0.0.1:%u", pb, pa);
	a = it_addstack(ua, NULL);
	b = it_addstack(ub, NULL);
	pair_exchange(a, b, 3);
}

/* stream_child - the pid of the stream command (our child that is not
 * the helper and not skip).  Return: it, or -1. */
static pid_t stream_child(pid_t skip)
{
	pid_t kids[16], helper = it_helper_pid(0);
	int n = it_children(0, kids, 16);

	for (int i = 0; i < n && i < 16; i++)
		if (kids[i] != helper && kids[i] != skip &&
		    it_pid_alive(kids[i]))
			return kids[i];
	return -1;
}

/* left_child - a child of ours, zombie or not, other than the helper
 * (a stream command not reaped is not gone).  Return: its pid, or -1. */
static pid_t left_child(void)
{
	pid_t kids[16], helper = it_helper_pid(0);
	int n = it_children(0, kids, 16);

	for (int i = 0; i < n && i < 16; i++)
		if (kids[i] != helper)
			return kids[i];
	return -1;
}

/* test_stream_backend_exchanges_tcp_data_through_vde_plug - one stack on
 * a hub, the other through "=vde_plug vde://hub". */
static void test_stream_backend_exchanges_tcp_data_through_vde_plug(void)
{
	char hub[600], url[700];
	struct vdestack *a, *b;

	it_require_network();
	it_require_program("vde_plug");
	snprintf(hub, sizeof(hub), "hub://%s/hub", it_tmpdir());
	snprintf(url, sizeof(url), "=vde_plug vde://%s/hub", it_tmpdir());
	a = it_addstack(hub, NULL);
	b = it_addstack(url, NULL);
	pair_exchange(a, b, 4);
}

/* test_stream_backend_exchanges_tcp_data_with_a_vde_switch - both ends
 * on a vde_switch, one of them through vde_plug. */
static void test_stream_backend_exchanges_tcp_data_with_a_vde_switch(void)
{
	char url[700], plug[800];
	struct it_switch sw;
	struct vdestack *a, *b;

	it_require_network();
	it_require_program("vde_switch");
	it_require_program("vde_plug");
	it_switch_start(&sw, it_tmpdir(), "switch");
	snprintf(url, sizeof(url), "vde://%s", sw.path);
	snprintf(plug, sizeof(plug), "=/usr/bin/vde_plug %s", url);
	a = it_addstack(plug, NULL);
	b = it_addstack(url, NULL);
	pair_exchange(a, b, 5);
	it_switch_stop(&sw);
}

/* test_stream_backend_with_a_missing_command_fails_with_enoent */
static void test_stream_backend_with_a_missing_command_fails_with_enoent(void)
{
	int before;

	it_require_stacks();
	vde_delstack(it_addstack(NULL, NULL)); /* warm up: the helper stays */
	before = it_count_fds();
	/* a PATH of readable directories: one we may not search says EACCES */
	setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	IT_CHECK_ERRNO(vde_addstack("=vdestack-no-such-command-xyz", NULL) == NULL,
		       ENOENT);
	IT_CHECK_ERRNO(vde_addstack("=/nonexistent/command arg", NULL) == NULL,
		       ENOENT);
	IT_CHECK_ERRNO(vde_addstack("=", NULL) == NULL, EINVAL);
	IT_CHECKF(it_count_fds() == before, "%d descriptors before, %d after",
		  before, it_count_fds());
	IT_CHECKF(left_child() == -1, "a child is left: %d",
		  (int)left_child());
}

/* test_stream_backend_command_is_gone_after_delstack */
static void test_stream_backend_command_is_gone_after_delstack(void)
{
	char hub[600], url[700];
	struct vdestack *a, *b;
	pid_t plug;

	it_require_network();
	it_require_program("vde_plug");
	snprintf(hub, sizeof(hub), "hub://%s/hub", it_tmpdir());
	snprintf(url, sizeof(url), "=vde_plug vde://%s/hub", it_tmpdir());
	a = it_addstack(hub, NULL);
	b = it_addstack(url, NULL);
	plug = stream_child(-1);
	IT_CHECKF(plug > 0, "no vde_plug child");
	vde_delstack(b);
	IT_CHECKF(!it_pid_alive(plug), "vde_plug %d still runs", (int)plug);
	/* and reaped: no zombie either */
	IT_CHECKF(left_child() == -1, "a child is left: %d",
		  (int)left_child());

	/* a command that ignores SIGTERM is killed too (after a second) */
	b = it_addstack("=/bin/sh -c 'trap \"\" TERM; exec /bin/sleep 30'", NULL);
	plug = stream_child(-1);
	IT_CHECKF(plug > 0, "no sh child");
	vde_delstack(b);
	IT_CHECKF(!it_pid_alive(plug), "the stream command %d still runs",
		  (int)plug);
	IT_CHECKF(left_child() == -1, "a child is left: %d",
		  (int)left_child());
	vde_delstack(a);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(two_stacks_exchange_tcp_data_over_a_hub),
	T(three_stacks_on_one_hub_reach_each_other),
	T(two_stacks_exchange_tcp_data_over_a_vde_switch),
	T(two_stacks_exchange_tcp_data_over_udp),
	T(stream_backend_exchanges_tcp_data_through_vde_plug),
	T(stream_backend_exchanges_tcp_data_with_a_vde_switch),
	T(stream_backend_with_a_missing_command_fails_with_enoent),
	T(stream_backend_command_is_gone_after_delstack),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
