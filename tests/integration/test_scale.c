/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_scale.c - ten thousand stacks alive in one process, each used,
 * under a descriptor limit of 20,000; EMFILE, cleanly, when the limit is
 * lowered, before the helper runs out; and what each costs the kernel
 * cut where it gives the user nothing (a tap's qdisc).
 *
 * Counts are scaled by VDESTACK_TEST_SCALE, a percentage (default 100; CI
 * sets 10 under valgrind and the sanitizers).  Every loop is bounded by
 * its count; no test measures speed (the times printed are for reading:
 * bench/run's scale section measures them).
 */
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

/* The descriptor limit the issue names: 10,000 stacks must fit under it. */
#define SCALE_NOFILE 20000
/* The limit of the EMFILE cases: low enough to reach in a few hundred
 * stacks. */
#define LOW_NOFILE 300
/* At that limit, at least this many stacks without a network must fit
 * (the helper keeps one descriptor a stack and a reserve of 16). */
#define LOW_MIN_EMPTY 250
/* ... and this many on null:// (the application keeps one a stack, the
 * interface; the helper one and, below half its limit, a copy of it). */
#define LOW_MIN_NULL 180
/* ... on mem:// off the kernel's bridge, as null:// (its port's
 * descriptor in the application) ... */
#define LOW_MIN_MEM_SWITCH 150
/* ... and joined to it (the helper keeps the namespace and the peer's
 * descriptor a stack). */
#define LOW_MIN_MEM_BRIDGE 100
/* Ceiling on the stacks the EMFILE cases make: a limit that is not
 * enforced fails the test instead of running on. */
#define LOW_MAX 1000

/* set_nofile - RLIMIT_NOFILE to limit, soft and hard (the helper, forked
 * at the first vde_addstack, inherits both and may not raise them).
 * Lowering the hard limit cannot be undone: each case is its own
 * process. */
static void set_nofile(rlim_t limit)
{
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };

	IT_CHECKF(setrlimit(RLIMIT_NOFILE, &rl) == 0, "RLIMIT_NOFILE %lu: %s",
		  (unsigned long)limit, strerror(errno));
}

/* use_stack - a socket made in s and closed; i: its index, for the
 * message. */
static void use_stack(struct vdestack *s, long i)
{
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);

	IT_CHECKF(fd >= 0, "vde_msocket in stack %ld: %s", i, strerror(errno));
	close(fd);
}

/* How long the helper may take to let go of what the last requests
 * left: its worker closes deleted stacks' descriptors, and a thread's
 * channel goes when the helper sees it closed. */
#define HELPER_SETTLE_MS 5000

/* helper_settles - whether the helper's descriptors come down to at most
 * fds within HELPER_SETTLE_MS.  Return: true if they do. */
static bool helper_settles(pid_t helper, int fds)
{
	int64_t end = it_now_ms() + HELPER_SETTLE_MS;

	while (it_count_fds_of(helper) > fds) {
		if (it_now_ms() >= end)
			return false;
		it_sleep_ms(20);
	}
	return true;
}

/* ten_thousand_alive - under RLIMIT_NOFILE 20,000 (or the machine's
 * hard limit if lower and still enough), count stacks on url (NULL: no
 * network) made, a socket made in each, a command run in the first and
 * the last; the application holds per_stack descriptors a stack (none
 * without a network, the interface's on null://) and the helper about
 * one (its copies of interfaces stop at half its limit); every stack
 * deleted, the descriptor, child and thread counts back to those after
 * the warm-up, and the helper down to what it held then. */
static void ten_thousand_alive(const char *url, long count, int per_stack)
{
	long n = it_scaled(count);
	struct vdestack **s = calloc((size_t)n, sizeof(*s));
	struct it_counts before;
	struct rlimit rl;
	int64_t t0, t_make, t_use, t_del;
	int helper_fds0, helper_fds, fds;
	pid_t helper;

	IT_CHECK(s);
	IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max > SCALE_NOFILE)
		set_nofile(SCALE_NOFILE); /* before the helper is forked */
	IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (url)
		it_require_network();
	else
		it_require_stacks();
	IT_CHECKF(rl.rlim_max >= (rlim_t)n + 100,
		  "hard RLIMIT_NOFILE %lu: too low for %ld stacks",
		  (unsigned long)rl.rlim_max, n);
	vde_delstack(it_addstack(url, NULL)); /* warm-up: the helper */
	before = it_take_counts();
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	helper_fds0 = it_count_fds_of(helper);
	t0 = it_now_ms();
	for (long i = 0; i < n; i++) {
		s[i] = vde_addstack((char *)url, NULL);
		IT_CHECKF(s[i], "stack %ld of %ld: %s", i, n, strerror(errno));
	}
	t_make = it_now_ms() - t0;
	/* with a network, the loops' own few (their epoll sets and wake-up
	 * descriptors) and the one null:// plug of the process come too */
	fds = it_count_fds();
	IT_CHECKF(fds >= before.fds + (int)n * per_stack &&
		  fds <= before.fds + (int)n * per_stack + (per_stack ? 16 : 0),
		  "the application holds %d descriptors with %ld stacks, "
		  "%d without", fds, n, before.fds);
	helper_fds = it_count_fds_of(helper);
	IT_CHECKF(helper_fds <= helper_fds0 + n * (per_stack + 1) + 16,
		  "the helper holds %d descriptors for %ld stacks (%d before)",
		  helper_fds, n, helper_fds0);
	t0 = it_now_ms();
	for (long i = 0; i < n; i++)
		use_stack(s[i], i);
	it_stackcmd_ok(s[0], "/bin/true");
	it_stackcmd_ok(s[n - 1], "/bin/true");
	t_use = it_now_ms() - t0;
	t0 = it_now_ms();
	for (long i = 0; i < n; i++)
		vde_delstack(s[i]);
	t_del = it_now_ms() - t0;
	free(s);
	it_check_counts(&before, "after deleting every stack");
	IT_CHECKF(helper_settles(helper, helper_fds0),
		  "the helper holds %d descriptors after, %d before",
		  it_count_fds_of(helper), helper_fds0);
	printf("\"%s\": %ld stacks under RLIMIT_NOFILE %lu: made in %lld ms, used in "
	       "%lld ms, deleted in %lld ms; helper descriptors %d -> %d -> "
	       "%d\n", url ? url : "", n, (unsigned long)rl.rlim_cur, (long long)t_make,
	       (long long)t_use, (long long)t_del, helper_fds0, helper_fds,
	       it_count_fds_of(helper));
}

/* test_ten_thousand_stacks_without_network_alive_at_once_each_used - as
 * ten_thousand_alive: the helper holds about one descriptor a stack, the
 * application none. */
static void test_ten_thousand_stacks_without_network_alive_at_once_each_used(void)
{
	ten_thousand_alive(NULL, 10000, 0);
}

/* null:// stacks each have a link, made in about 1.5 ms (a tap, as
 * root) to 2.5 ms (a veth pair, as nobody): 10,000 take 20 to 40 s on each
 * of CI's three integration passes, within their budget. */
#define NULL_STACKS 10000

/* test_null_stacks_cost_the_application_one_descriptor_each - as
 * ten_thousand_alive on null://: the application holds one descriptor a
 * stack (its interface; the null:// plug is one for the process). */
static void test_null_stacks_cost_the_application_one_descriptor_each(void)
{
	ten_thousand_alive("null://", NULL_STACKS, 1);
}

/* emfile_then_all_work - (RLIMIT_NOFILE at LOW_NOFILE already) stacks on url
 * made until one fails: it must fail with EMFILE, after at least min
 * stacks; then a socket in each of them, a command in the first and the
 * last, each deleted, and a new stack made again; the helper alive
 * throughout, the counts back to those after the warm-up. */
static void emfile_then_all_work(const char *url, long min)
{
	struct vdestack *s[LOW_MAX];
	struct it_counts before;
	pid_t helper;
	long n = 0;

	int helper_fds;

	vde_delstack(it_addstack(url, NULL)); /* warm-up */
	before = it_take_counts();
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	IT_CHECK(helper_settles(helper, INT_MAX));
	helper_fds = it_count_fds_of(helper);
	for (;;) {
		IT_CHECKF(n < LOW_MAX, "%ld stacks under RLIMIT_NOFILE %d",
			  n, LOW_NOFILE);
		errno = 0;
		s[n] = vde_addstack((char *)url, NULL);
		if (!s[n])
			break;
		n++;
	}
	IT_CHECKF(errno == EMFILE, "stack %ld on \"%s\": %s, not EMFILE", n,
		  url ? url : "", strerror(errno));
	IT_CHECKF(n >= min, "only %ld stacks on \"%s\" under RLIMIT_NOFILE "
		  "%d (want %ld)", n, url ? url : "", LOW_NOFILE, min);
	IT_CHECK(it_pid_alive(helper));
	IT_CHECK(it_helper_pid(0) == helper);
	for (long i = 0; i < n; i++)
		use_stack(s[i], i);
	it_stackcmd_ok(s[0], "/bin/true");
	it_stackcmd_ok(s[n - 1], "/bin/true");
	IT_CHECK(it_helper_pid(0) == helper);
	for (long i = 0; i < n; i++)
		vde_delstack(s[i]);
	it_check_counts(&before, "after deleting every stack");
	/* the refused stack left nothing in the helper either */
	IT_CHECKF(helper_settles(helper, helper_fds),
		  "the helper holds %d descriptors, %d before the stacks",
		  it_count_fds_of(helper), helper_fds);
	vde_delstack(it_addstack(url, NULL));
	IT_CHECK(it_helper_pid(0) == helper);
	printf("\"%s\": %ld stacks under RLIMIT_NOFILE %d, then EMFILE; "
	       "every one used and deleted\n", url ? url : "", n, LOW_NOFILE);
}

/* test_emfile_without_network_before_the_helper_runs_out - the helper
 * (one descriptor a stack) answers EMFILE while it still has descriptors
 * to serve the stacks it holds. */
static void test_emfile_without_network_before_the_helper_runs_out(void)
{
	set_nofile(LOW_NOFILE); /* before the helper is forked */
	it_require_stacks();
	emfile_then_all_work(NULL, LOW_MIN_EMPTY);
}

/* test_emfile_on_null_before_the_application_runs_out - the application
 * (the interface and the plug's descriptor a stack) refuses the stack
 * that would take its last few descriptors, and the helper deletes the
 * stack it made for it. */
static void test_emfile_on_null_before_the_application_runs_out(void)
{
	set_nofile(LOW_NOFILE);
	it_require_network();
	emfile_then_all_work("null://", LOW_MIN_NULL);
}

/* test_emfile_on_mem_switch_before_the_application_runs_out - mem://
 * stacks kept off the kernel's bridge (VDESTACK_BRIDGE=off: the segment's
 * in-process switch, which kseg.c still counts) hold their interface in
 * the application, as null:// ones: refused with EMFILE before its last
 * descriptors, the helper's stack deleted again. */
static void test_emfile_on_mem_switch_before_the_application_runs_out(void)
{
	set_nofile(LOW_NOFILE);
	IT_CHECK(setenv("VDESTACK_BRIDGE", "off", 1) == 0);
	it_require_network();
	emfile_then_all_work("mem://scale-switch", LOW_MIN_MEM_SWITCH);
}

/* test_emfile_on_the_kernel_bridge_before_the_helper_runs_out - mem://
 * stacks joined to the kernel's bridge hold nothing in the application:
 * the helper refuses them while it can still serve those it holds. */
static void test_emfile_on_the_kernel_bridge_before_the_helper_runs_out(void)
{
	set_nofile(LOW_NOFILE);
	it_require_network();
	emfile_then_all_work("mem://scale-bridge", LOW_MIN_MEM_BRIDGE);
}

/* vdes_present - whether s has vde0 .. vde(n - 1) and no vde(n)
 * (SIOCGIFINDEX on a socket of s).  Return: true when it does. */
static bool vdes_present(struct vdestack *s, long n)
{
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0;

	for (long k = 0; ok && k <= n; k++) {
		struct ifreq ifr = { .ifr_ifindex = 0 };

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vde%ld", k);
		ok = (ioctl(fd, SIOCGIFINDEX, &ifr) == 0) == (k < n);
		if (!ok)
			fprintf(stderr, "%s: %s\n", ifr.ifr_name,
				k < n ? "missing" : "there");
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

/* test_emfile_on_added_interfaces_before_the_application_runs_out -
 * vde_stackaddif() on null:// until it fails: EMFILE, with every
 * interface added until then in the stack, none of the refused one in
 * the helper; one removed makes room for another. */
static void test_emfile_on_added_interfaces_before_the_application_runs_out(void)
{
	struct it_counts before;
	struct vdestack *s;
	int helper_fds;
	pid_t helper;
	long n = 0;

	set_nofile(LOW_NOFILE);
	it_require_network();
	vde_delstack(it_addstack("null://", NULL)); /* warm-up */
	before = it_take_counts();
	helper = it_helper_pid(0);
	IT_CHECK(helper_settles(helper, INT_MAX));
	helper_fds = it_count_fds_of(helper);
	s = it_addstack(NULL, NULL);
	for (;; n++) {
		IT_CHECKF(n < LOW_MAX, "%ld interfaces under RLIMIT_NOFILE %d",
			  n, LOW_NOFILE);
		errno = 0;
		if (vde_stackaddif(s, (char *)"null://", NULL) < 0)
			break;
	}
	IT_CHECKF(errno == EMFILE, "interface %ld: %s, not EMFILE", n,
		  strerror(errno));
	IT_CHECKF(n >= LOW_MIN_NULL, "only %ld interfaces under "
		  "RLIMIT_NOFILE %d (want %d)", n, LOW_NOFILE, LOW_MIN_NULL);
	IT_CHECK(vdes_present(s, n));
	it_stackcmd_ok(s, "/bin/ip link set vde%ld up", n - 1);
	/* one removed makes room for one more, which takes its name */
	IT_CHECK(vde_stackdelif(s, (char *)"vde0") == 0);
	IT_CHECK(vde_stackaddif(s, (char *)"null://", NULL) == 0);
	IT_CHECK(vdes_present(s, n));
	use_stack(s, 0);
	vde_delstack(s);
	it_check_counts(&before, "after deleting the stack");
	IT_CHECKF(helper_settles(helper, helper_fds),
		  "the helper holds %d descriptors, %d before the stack",
		  it_count_fds_of(helper), helper_fds);
	printf("%ld interfaces on null:// under RLIMIT_NOFILE %d, then "
	       "EMFILE\n", n, LOW_NOFILE);
}

/* The traffic control program of iproute2 (tools/install-deps). */
#define TC_PATH "/sbin/tc"

/* check_noqueue - ifname of s, up, has the noqueue root qdisc, not the
 * default pfifo_fast that a tap would get at up; and, where the tap
 * link is what a stack gets here, it is a tap (so that the check is of
 * the tap's qdisc, which the helper sets: a veth has noqueue itself). */
static void check_noqueue(struct vdestack *s, const char *ifname)
{
	char cmd[128], out[1024];
	bool tap = it_tun_opens() && strcmp(it_link_mode(), "veth") != 0;

	snprintf(cmd, sizeof(cmd), "/bin/ip -d link show %s", ifname);
	IT_CHECK(it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0);
	IT_CHECKF(strstr(out, "state UP") || strstr(out, ",UP"),
		  "%s is not up:\n%s", ifname, out);
	if (tap)
		IT_CHECKF(strstr(out, "tun type tap"),
			  "%s is not a tap:\n%s", ifname, out);
	snprintf(cmd, sizeof(cmd), TC_PATH " qdisc show dev %s", ifname);
	IT_CHECK(it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0);
	IT_CHECKF(strstr(out, "qdisc noqueue") && !strstr(out, "pfifo_fast"),
		  "%s (%s): %s", ifname, tap ? "tap" : "veth", out);
	printf("%s (%s): %s", ifname, tap ? "tap" : "veth", out);
}

/* test_interfaces_come_up_with_noqueue_and_no_pfifo_fast - a stack's
 * interface on null://, configured up, and one added with
 * vde_stackaddif() and brought up: both have the noqueue root qdisc, on
 * the tap link (the helper sets it, issue 18: pfifo_fast cost 24 KiB a
 * stack and never held a packet) and on the veth link alike. */
static void test_interfaces_come_up_with_noqueue_and_no_pfifo_fast(void)
{
	struct vdestack *s;

	it_require_network();
	if (!it_exists(TC_PATH))
		it_skip("%s missing (iproute2)", TC_PATH);
	s = it_addstack("null://", NULL);
	it_stackconf_ok(s, "ip=10.0.0.2/24");
	check_noqueue(s, "vde0");
	IT_CHECK(vde_stackaddif(s, (char *)"null://", NULL) == 0);
	it_stackcmd_ok(s, "/bin/ip link set vde1 up");
	check_noqueue(s, "vde1");
	vde_delstack(s);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(ten_thousand_stacks_without_network_alive_at_once_each_used),
	T(null_stacks_cost_the_application_one_descriptor_each),
	T(emfile_without_network_before_the_helper_runs_out),
	T(emfile_on_null_before_the_application_runs_out),
	T(emfile_on_mem_switch_before_the_application_runs_out),
	T(emfile_on_the_kernel_bridge_before_the_helper_runs_out),
	T(emfile_on_added_interfaces_before_the_application_runs_out),
	T(interfaces_come_up_with_noqueue_and_no_pfifo_fast),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
