/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_iface_faults.c - every allocation failing in turn while a stack
 * gets a second interface (vde_stackaddif), loses it and its first one
 * (vde_stackdelif), gets one again and is deleted with it: on mem://
 * segments joined in the kernel, on pumped ones, and on a = command.  Each
 * run must end in a clean ENOMEM, or succeed (a failure the library
 * absorbed), and leave no descriptor, process, thread or allocated block
 * behind.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdestack.h"
#include "base/alloc.h"
#include "unit.h"

/* Runs before giving up: far more allocations than one life makes. */
#define MAX_FAULTS 600

enum outcome {
	RAN_OK,      /* everything succeeded */
	RAN_ENOMEM,  /* something failed, cleanly, with ENOMEM */
	RAN_BAD,     /* another error */
};

/* failed - the outcome of a call that failed (what: its name).
 * Return: RAN_ENOMEM for ENOMEM, else RAN_BAD. */
static enum outcome failed(const char *call, char *what, size_t size)
{
	int e = errno;

	snprintf(what, size, "%s: %s", call, strerror(e));
	return e == ENOMEM ? RAN_ENOMEM : RAN_BAD;
}

/* steps - the interface calls of one life on s (second: the URL of the
 * added interfaces).  Return: the outcome. */
static enum outcome steps(struct vdestack *s, const char *second, char *what,
			  size_t size)
{
	if (vde_stackaddif(s, (char *)second, NULL) < 0)
		return failed("vde_stackaddif", what, size);
	if (vde_stackdelif(s, "vde1") < 0)
		return failed("vde_stackdelif vde1", what, size);
	if (vde_stackaddif(s, (char *)second, "vde2") < 0)
		return failed("vde_stackaddif vde2", what, size);
	if (vde_stackdelif(s, "vde0") < 0)
		return failed("vde_stackdelif vde0", what, size);
	if (vde_stackaddif(s, (char *)second, NULL) < 0)
		return failed("vde_stackaddif again", what, size);
	return RAN_OK;
}

/* life - a stack on first, then steps(); deleted with what it has.
 * Return: the outcome. */
static enum outcome life(const char *first, const char *second, char *what,
			 size_t size)
{
	struct vdestack *s;
	enum outcome o;

	errno = 0;
	s = vde_addstack((char *)first, NULL);
	if (!s)
		return failed("vde_addstack", what, size);
	o = steps(s, second, what, size);
	vde_delstack(s);
	return o;
}

/* wait_live - the allocated blocks back to want (bounded wait).
 * Return: the last count. */
static long wait_live(long want)
{
	for (int i = 0; i < UNIT_WAIT_MS / 10 && vds_alloc_live() != want; i++)
		usleep(10000);
	return vds_alloc_live();
}

/* The URLs of one case. */
struct urls {
	const char *first, *second;
	const char *bridge; /* VDESTACK_BRIDGE, or NULL: unset */
};

/* check_counts - after allocation n failed: everything as before. */
static void check_counts(const struct urls *u, unsigned long n, int fds,
			 int kids, int threads, long live, const char *what)
{
	CHILD_CHECK_MSG(unit_count_fds() == fds, "%s, allocation %lu: %d "
			"fds, had %d", u->second, n, unit_count_fds(), fds);
	CHILD_CHECK_MSG(unit_count_children(NULL) == kids, "%s, allocation "
			"%lu: %d children, had %d", u->second, n,
			unit_count_children(NULL), kids);
	CHILD_CHECK_MSG(unit_wait_threads(threads) == threads, "%s, "
			"allocation %lu: %d threads, had %d", u->second, n,
			unit_count_threads(), threads);
	CHILD_CHECK_MSG(wait_live(live) == live, "%s, allocation %lu (%s): "
			"%ld blocks allocated, had %ld", u->second, n, what,
			vds_alloc_live(), live);
}

/* fault_every_allocation - after a warm-up, allocation n fails for every
 * n until a run makes fewer than n: each run clean, counts unchanged. */
static void fault_every_allocation(void *arg)
{
	const struct urls *u = arg;
	char what[160] = "";
	int fds, kids, threads;
	unsigned long n, enomem = 0;
	bool done = false;
	long live;

	if (u->bridge)
		setenv("VDESTACK_BRIDGE", u->bridge, 1);
	CHILD_CHECK_MSG(life(u->first, u->second, what, sizeof(what)) ==
			RAN_OK, "%s: %s", u->second, what);
	fds = unit_count_fds();
	kids = unit_count_children(NULL);
	threads = unit_wait_threads(1);
	live = vds_alloc_live();
	for (n = 1; n < MAX_FAULTS && !done; n++) {
		enum outcome o;
		unsigned long made;

		vds_alloc_fail_at(n);
		o = life(u->first, u->second, what, sizeof(what));
		made = vds_alloc_fail_at(0);
		if (made < n) {
			CHILD_CHECK_MSG(o == RAN_OK, "%s: no fault, yet %s",
					u->second, what);
			done = true;
		} else {
			CHILD_CHECK_MSG(o != RAN_BAD, "%s, allocation %lu: %s",
					u->second, n, what);
			enomem += o == RAN_ENOMEM;
		}
		check_counts(u, n, fds, kids, threads, live,
			     o == RAN_OK ? "absorbed" : what);
	}
	CHILD_CHECK_MSG(done, "%s: still faulting after %d", u->second,
			MAX_FAULTS);
	CHILD_CHECK_MSG(enomem > 2, "%s: only %lu ENOMEM", u->second, enomem);
	printf("%s: %lu allocations, each failing in turn: %lu ENOMEM, "
	       "%lu absorbed\n", u->second, n - 2, enomem, n - 2 - enomem);
}

/* test_addif_alloc_failure_on_kernel_joined_mem_is_clean - mem:// members
 * on the helper's bridges (the default). */
static void test_addif_alloc_failure_on_kernel_joined_mem_is_clean(void **state)
{
	struct urls u = { "mem://if-a", "mem://if-b", NULL };

	assert_int_equal(unit_run_in_child(fault_every_allocation, &u), 0);
}

/* test_addif_alloc_failure_on_pumped_mem_is_clean - every interface
 * pumped by the library (VDESTACK_BRIDGE=off). */
static void test_addif_alloc_failure_on_pumped_mem_is_clean(void **state)
{
	struct urls u = { "mem://if-c", "mem://if-d", "off" };

	assert_int_equal(unit_run_in_child(fault_every_allocation, &u), 0);
}

/* test_addif_alloc_failure_on_a_stream_command_is_clean - "=/bin/cat"
 * interfaces, each with a process of its own. */
static void test_addif_alloc_failure_on_a_stream_command_is_clean(void **state)
{
	struct urls u = { "=/bin/cat", "=/bin/cat", NULL };

	assert_int_equal(unit_run_in_child(fault_every_allocation, &u), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addif_alloc_failure_on_kernel_joined_mem_is_clean),
		cmocka_unit_test(test_addif_alloc_failure_on_pumped_mem_is_clean),
		cmocka_unit_test(test_addif_alloc_failure_on_a_stream_command_is_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
