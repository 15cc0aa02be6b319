/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_ifname.c - unit tests of interface name validation
 * (vds_ifname_check in base/proto.c): the kernel's rules, as
 * vde_addstack(3) states them. */
#include <errno.h>
#include <stddef.h>

#include "base/internal.h"
#include "base/proto.h"
#include "unit.h"

struct ifname_case {
	const char *name;
	int want;
};

static const struct ifname_case ifname_cases[] = {
	{ "vde0", 0 },
	{ "a", 0 },
	{ "eth-0_x.y", 0 },
	{ "...", 0 },
	{ ".a", 0 },
	{ "123456789012345", 0 },        /* 15 bytes: the most */
	{ "1234567890123456", -EINVAL }, /* 16: never truncated */
	{ "12345678901234567890", -EINVAL },
	{ "", -EINVAL },
	{ ".", -EINVAL },
	{ "..", -EINVAL },
	{ "a/b", -EINVAL },
	{ "/", -EINVAL },
	{ "a:b", -EINVAL },
	{ "vde0:1", -EINVAL },
	{ "a b", -EINVAL },
	{ " a", -EINVAL },
	{ "a ", -EINVAL },
	{ "a\tb", -EINVAL },
	{ "a\nb", -EINVAL },
	{ "a\rb", -EINVAL },
	{ "a\vb", -EINVAL },
	{ "a\fb", -EINVAL },
	{ "a\x01", -EINVAL },
	{ "\x1f", -EINVAL },
	{ "a\x7f", -EINVAL },
	{ "a\xa0", -EINVAL },           /* the kernel's isspace(0xa0) */
	{ "\xc3\xa0", -EINVAL },        /* U+00E0: its second byte is 0xa0 */
	{ "a\xa1", 0 },
	{ "\xff", 0 },
};

/* test_ifname_check_table - names accepted and refused. */
static void test_ifname_check_table(void **state)
{
	for (size_t i = 0; i < VDS_ARRAY_SIZE(ifname_cases); i++) {
		int rc = vds_ifname_check(ifname_cases[i].name);

		if (rc != ifname_cases[i].want)
			fail_msg("\"%s\": %d, want %d", ifname_cases[i].name, rc,
				 ifname_cases[i].want);
	}
}

/* test_ifname_check_accepts_utf8_names - bytes of 0x80 and above are
 * neither blanks nor control characters in UTF-8 text, and the kernel
 * takes them ("vdé0"); the answer must not depend on whether plain char
 * is signed on the machine. */
static void test_ifname_check_accepts_utf8_names(void **state)
{
	assert_int_equal(vds_ifname_check("vd\xc3\xa9" "0"), 0);
	assert_int_equal(vds_ifname_check("\xe2\x82\xac"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ifname_check_table),
		cmocka_unit_test(test_ifname_check_accepts_utf8_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
