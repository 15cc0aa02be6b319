/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_alloc_faults.c - every allocation failing in turn over the public
 * life cycle: vde_addstack(NULL, NULL), vde_stackcmd, vde_msocket,
 * vde_stackspawn/vde_stackwait, vde_delstack.  Each failure must be a clean ENOMEM and leave no
 * descriptor, process or allocated block behind (vds_alloc_live).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vdestack.h"
#include "base/alloc.h"
#include "core/helper.h"
#include "unit.h"

/* A command line over 256 bytes: its request needs an allocation. */
static char long_cmd[600];

/* argv of vde_stackspawn: a process that ends at once, with status 0. */
static char *const true_argv[] = { "/bin/true", NULL };

/* Outcome of one run of the life cycle. */
enum outcome {
	RAN_OK,      /* everything succeeded */
	RAN_ENOMEM,  /* something failed, cleanly, with ENOMEM */
	RAN_BAD,     /* another error */
};

/* life_cycle - create, use and delete one stack; stop at the first
 * failure, which must be ENOMEM.  Return: the outcome. */
static enum outcome life_cycle(const char *url, char *what, size_t size)
{
	struct vdestack *s;
	int r, fd, status = -1;

	errno = 0;
	s = vde_addstack((char *)url, NULL);
	if (!s) {
		snprintf(what, size, "vde_addstack: %s", strerror(errno));
		return errno == ENOMEM ? RAN_ENOMEM : RAN_BAD;
	}
	r = vde_stackcmd(s, "/bin/true; /bin/true x 'y z'");
	if (r == 0)
		r = vde_stackcmd(s, long_cmd);
	if (r != 0) {
		int e = errno;

		vde_delstack(s);
		snprintf(what, size, "vde_stackcmd: %d %s", r, strerror(e));
		return r == -1 && e == ENOMEM ? RAN_ENOMEM : RAN_BAD;
	}
	fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		int e = errno;

		vde_delstack(s);
		snprintf(what, size, "vde_msocket: %s", strerror(e));
		return e == ENOMEM ? RAN_ENOMEM : RAN_BAD;
	}
	close(fd);
	fd = vde_stackspawn(s, true_argv, NULL);
	if (fd < 0) {
		int e = errno;

		vde_delstack(s);
		snprintf(what, size, "vde_stackspawn: %s", strerror(e));
		return e == ENOMEM ? RAN_ENOMEM : RAN_BAD;
	}
	r = vde_stackwait(fd, &status);
	close(fd);
	vde_delstack(s);
	if (r != 0 || status != 0) {
		snprintf(what, size, "vde_stackwait: %d, status %#x", r, status);
		return RAN_BAD;
	}
	return RAN_OK;
}

/* warm_cycle - the life cycle with the helper already running. */
static void warm_cycle(void *arg)
{
	const char *url = arg;
	char what[128] = "";
	int fds, kids;
	long live;
	unsigned long n;
	bool done = false;

	CHILD_CHECK(life_cycle(NULL, what, sizeof(what)) == RAN_OK);
	live = vds_alloc_live();
	fds = unit_count_fds();
	kids = unit_count_children(NULL);
	CHILD_CHECK(kids == 1);
	for (n = 1; n < 200 && !done; n++) {
		enum outcome o;
		unsigned long made;

		vds_alloc_fail_at(n);
		o = life_cycle(url, what, sizeof(what));
		made = vds_alloc_fail_at(0);
		if (made < n) {
			CHILD_CHECK_MSG(o == RAN_OK, "no fault, yet %s", what);
			done = true;
		} else {
			CHILD_CHECK_MSG(o == RAN_ENOMEM, "allocation %lu: %s",
					n, what);
		}
		CHILD_CHECK_MSG(unit_count_fds() == fds,
				"allocation %lu: %d fds, had %d", n,
				unit_count_fds(), fds);
		CHILD_CHECK_MSG(unit_count_children(NULL) == kids,
				"allocation %lu: %d children", n,
				unit_count_children(NULL));
		CHILD_CHECK_MSG(vds_alloc_live() == live,
				"allocation %lu: %ld blocks allocated, had %ld",
				n, vds_alloc_live(), live);
	}
	CHILD_CHECK(done);
	CHILD_CHECK_MSG(n > 3, "only %lu allocations", n - 2);
}

/* test_alloc_failure_at_every_step_of_a_stack_life_is_clean - with the
 * helper running (warmed up), allocation n fails for every n. */
static void test_alloc_failure_at_every_step_of_a_stack_life_is_clean(void **state)
{
	assert_int_equal(unit_run_in_child(warm_cycle, NULL), 0);
}

/* test_alloc_failure_with_an_empty_url_is_clean - "" is NULL. */
static void test_alloc_failure_with_an_empty_url_is_clean(void **state)
{
	assert_int_equal(unit_run_in_child(warm_cycle, ""), 0);
}

struct cold {
	unsigned long n;
};

/* cold_cycle - allocation n failing from the very first call, before
 * the helper exists: the helper is forked with the same plan and fails
 * its own nth allocation too.  Exits 0 when no fault was reached, 3
 * otherwise (a clean failure, or one the library absorbed), 1 for a bad
 * one. */
static void cold_cycle(void *arg)
{
	struct cold *c = arg;
	char what[128] = "";
	int fds = unit_count_fds(), kids;
	enum outcome o;
	unsigned long made;

	CHILD_CHECK(unit_count_children(NULL) == 0);
	vds_alloc_fail_at(c->n);
	o = life_cycle(NULL, what, sizeof(what));
	made = vds_alloc_fail_at(0);
	CHILD_CHECK_MSG(o != RAN_BAD, "allocation %lu: %s", c->n, what);
	kids = unit_count_children(NULL);
	CHILD_CHECK_MSG(kids <= 1, "%d children", kids);
	/* a helper that started stays, with its control socket, and the
	 * thread's reply channel once a request was answered */
	CHILD_CHECK_MSG(unit_count_fds() == fds + kids +
			(vds_helper_thread_chan() >= 0),
			"allocation %lu: %d fds, had %d and %d helper", c->n,
			unit_count_fds(), fds, kids);
	CHILD_CHECK(kids == 1 || vds_helper_thread_chan() < 0);
	_exit(o == RAN_OK && made < c->n ? 0 : 3);
}

/* test_alloc_failure_while_starting_the_helper_is_clean - allocation n
 * failing in a process with no helper yet, for every n. */
static void test_alloc_failure_while_starting_the_helper_is_clean(void **state)
{
	struct cold c;
	int status = -1;

	for (c.n = 1; c.n < 200; c.n++) {
		status = unit_run_in_child(cold_cycle, &c);
		if (status != (3 << 8))
			break;
	}
	if (status != 0)
		fail_msg("allocation %lu: status %#x", c.n, status);
	assert_true(c.n > 2);
}

/* group_setup - the long command line.  Return: 0. */
static int group_setup(void **state)
{
	strcpy(long_cmd, "/bin/true ");
	memset(long_cmd + strlen(long_cmd), 'a', 400);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_failure_at_every_step_of_a_stack_life_is_clean),
		cmocka_unit_test(test_alloc_failure_with_an_empty_url_is_clean),
		cmocka_unit_test(test_alloc_failure_while_starting_the_helper_is_clean),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
