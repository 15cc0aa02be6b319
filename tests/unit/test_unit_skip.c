/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_unit_skip.c - the unit suite's skip: a success outside CI, a
 * failure with CI=true (tests/unit/meson.build runs this test both ways,
 * expecting the second to fail). */
#include <stdbool.h>
#include <stddef.h>

#include "unit.h"

/* test_a_skip_is_a_failure_under_ci - always skips. */
static void test_a_skip_is_a_failure_under_ci(void **state)
{
	(void)state;
	UNIT_SKIP("this test always skips");
	fail_msg("UNIT_SKIP returned");
}

/* main - run the one test.  Return: cmocka's status. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_skip_is_a_failure_under_ci),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
