/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_fwd_parse.c - unit tests of the forward specification parser of
 * vde_stackfwd(3) and slirp's tcpfwd=/udpfwd= (fwd.c), table-driven. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "vdestack.h"
#include "base/fwdspec.h"
#include "base/internal.h"
#include "fwd/fwd.h"
#include "unit.h"

/* to_text - "proto listen:port>peer:port" for a parsed forward, the
 * listening side first (the host's, the guest's for "-ns"), a range as
 * "first-last", IPv6 in brackets, "*" for an unspecified family.
 * Return: buf. */
static const char *to_text(const struct vds_fwdspec *f, char *buf, size_t n)
{
	char h[INET6_ADDRSTRLEN] = "*", g[INET6_ADDRSTRLEN] = "*";
	const struct sockaddr_storage *ss[2] = {
		vds_fwd_listen_side(f), vds_fwd_peer_side(f)
	};
	char *txt[2] = { h, g }, range[2][16] = { "", "" };
	int port[2] = { 0, 0 };

	for (int i = 0; i < 2; i++) {
		if (ss[i]->ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const void *)ss[i];

			inet_ntop(AF_INET6, &a->sin6_addr, txt[i] + 1,
				  INET6_ADDRSTRLEN - 2);
			txt[i][0] = '[';
			strcat(txt[i], "]");
			port[i] = ntohs(a->sin6_port);
		} else if (ss[i]->ss_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)ss[i];

			inet_ntop(AF_INET, &a->sin_addr, txt[i],
				  INET6_ADDRSTRLEN);
			port[i] = ntohs(a->sin_port);
		} else {
			port[i] = i == 0 ?
				  ntohs(((const struct sockaddr_in *)ss[i])
						->sin_port) : 0;
		}
		if (f->span && port[i] && (i == 0 || !f->one_port))
			snprintf(range[i], sizeof(range[i]), "-%d",
				 port[i] + f->span);
	}
	snprintf(buf, n, "%s%s %s:%d%s>%s:%d%s",
		 f->proto == IPPROTO_TCP ? "tcp" : "udp",
		 f->to_host ? "-ns" : "", h, port[0], range[0], g, port[1],
		 range[1]);
	return buf;
}

struct good_case {
	const char *spec;
	bool only_host;
	const char *want;
};

/* test_fwd_spec_parses_every_form - accepted specifications and what
 * they mean. */
static void test_fwd_spec_parses_every_form(void **state)
{
	static const struct good_case cases[] = {
		{ "tcp:127.0.0.1:8080:10.0.2.15:80", false,
		  "tcp 127.0.0.1:8080>10.0.2.15:80" },
		{ "udp:127.0.0.1:5353:10.0.2.15:53", false,
		  "udp 127.0.0.1:5353>10.0.2.15:53" },
		{ "tcp:8080:10.0.2.15:80", false, "tcp 0.0.0.0:8080>10.0.2.15:80" },
		{ "tcp::8080:10.0.2.15:80", false,
		  "tcp 0.0.0.0:8080>10.0.2.15:80" },
		{ "tcp:[::1]:8080:[fd00::15]:80", false,
		  "tcp [::1]:8080>[fd00::15]:80" },
		{ "tcp:8080:[fd00::15]:80", false, "tcp [::]:8080>[fd00::15]:80" },
		{ "tcp:[::1]:1:10.0.2.15:65535", false,
		  "tcp [::1]:1>10.0.2.15:65535" },
		{ "tcp:127.0.0.1:8080:[::1]:80", false,
		  "tcp 127.0.0.1:8080>[::1]:80" },
		{ "udp:[::ffff:127.0.0.1]:53:[fd00::1]:53", false,
		  "udp [::ffff:127.0.0.1]:53>[fd00::1]:53" },
		/* removal: the host side alone */
		{ "tcp:127.0.0.1:8080", true, "tcp 127.0.0.1:8080>*:0" },
		{ "tcp:[::1]:8080", true, "tcp [::1]:8080>*:0" },
		{ "udp:8080", true, "udp *:8080>*:0" },
		{ "tcp:8080:10.0.2.15:80", true, "tcp 0.0.0.0:8080>10.0.2.15:80" },
		/* stack -> host: the listening side (the guest's) first, the
		 * stack's loopback of the host's family by default */
		{ "tcp-ns:5432:127.0.0.1:5432", false,
		  "tcp-ns 127.0.0.1:5432>127.0.0.1:5432" },
		{ "tcp-ns::5432:127.0.0.1:15432", false,
		  "tcp-ns 127.0.0.1:5432>127.0.0.1:15432" },
		{ "udp-ns:53:[::1]:5353", false, "udp-ns [::1]:53>[::1]:5353" },
		{ "tcp-ns:10.0.2.15:80:[::1]:8080", false,
		  "tcp-ns 10.0.2.15:80>[::1]:8080" },
		{ "tcp-ns:[fd00::15]:80:127.0.0.1:8080", false,
		  "tcp-ns [fd00::15]:80>127.0.0.1:8080" },
		{ "tcp-ns:0.0.0.0:80:127.0.0.1:8080", false,
		  "tcp-ns 0.0.0.0:80>127.0.0.1:8080" },
		{ "tcp-ns:5432", true, "tcp-ns *:5432>*:0" },
		{ "udp-ns:[::1]:53", true, "udp-ns [::1]:53>*:0" },
		{ "tcp-ns:5432:127.0.0.1:5432", true,
		  "tcp-ns 127.0.0.1:5432>127.0.0.1:5432" },
		/* ranges: the same length, or -ns to one port */
		{ "tcp:8000-8009:10.0.0.1:9000-9009", false,
		  "tcp 0.0.0.0:8000-8009>10.0.0.1:9000-9009" },
		{ "udp:[::1]:1-2:[fd00::1]:65534-65535", false,
		  "udp [::1]:1-2>[fd00::1]:65534-65535" },
		{ "tcp:8000-8000:10.0.0.1:9000-9000", false,
		  "tcp 0.0.0.0:8000>10.0.0.1:9000" },
		{ "tcp-ns:5432-5439:127.0.0.1:6432-6439", false,
		  "tcp-ns 127.0.0.1:5432-5439>127.0.0.1:6432-6439" },
		{ "udp-ns:5000-5009:127.0.0.1:53", false,
		  "udp-ns 127.0.0.1:5000-5009>127.0.0.1:53" },
		{ "tcp:8000-8009", true, "tcp *:8000-8009>*:0" },
		{ "tcp-ns:1-65535", true, "tcp-ns *:1-65535>*:0" },
	};
	char buf[256];

	for (size_t i = 0; i < VDS_ARRAY_SIZE(cases); i++) {
		struct vds_fwdspec f;
		int err = vds_fwd_parse(cases[i].spec, cases[i].only_host, &f);

		if (err != 0)
			fail_msg("\"%s\": %d", cases[i].spec, err);
		assert_string_equal(to_text(&f, buf, sizeof(buf)),
				    cases[i].want);
	}
}

/* test_fwd_malformed_spec_is_einval - every refused form. */
static void test_fwd_malformed_spec_is_einval(void **state)
{
	static const char *const bad[] = {
		"", "tcp", "tcp:", "sctp:8080:10.0.2.15:80",
		"TCP:8080:10.0.2.15:80", "tcp 8080:10.0.2.15:80",
		"tcp:8080", "tcp:127.0.0.1:8080", "tcp:8080:10.0.2.15",
		"tcp:8080:10.0.2.15:", "tcp:8080:10.0.2.15:80:",
		"tcp:1.2.3.4:8080:10.0.2.15:80:1", "tcp:0:10.0.2.15:80",
		"tcp:8080:10.0.2.15:0", "tcp:65536:10.0.2.15:80",
		"tcp:8080:10.0.2.15:123456", "tcp:-1:10.0.2.15:80",
		"tcp:8o80:10.0.2.15:80", "tcp: 8080:10.0.2.15:80",
		"tcp:8080:10.0.2.15:80 ", "tcp:8080::80",
		"tcp:8080:localhost:80", "tcp:8080:10.0.2.1500:80",
		"tcp:8080:fd00::15:80", "tcp:::1:8080:10.0.2.15:80",
		"tcp:[::1:8080:[fd00::15]:80", "tcp:[::1]8080:[fd00::15]:80",
		"tcp:[::1]:8080:[fd00::15]80", "tcp:[::1]:8080:[fd00::15]",
		"tcp:[127.0.0.1]:8080:10.0.2.15:80", "tcp:[]:8080:10.0.2.15:80",
		"tcp:[::1]:[8080]:10.0.2.15:80", "tcp:8080:[10.0.2.15]:80",
		"tcp:[fe80::1%lo]:8080:10.0.2.15:80", "tcp:8080:[]:80",
		"tcp:127.0.0.1:8080:10.0.2.15:[80]", "tcp:]::1[:80:10.0.2.15:80",
		/* stack -> host */
		"tcp-ns", "tcp-ns:", "tcp-ns:80", "tcp-ns:127.0.0.1:80",
		"tcp-ns:0:127.0.0.1:80", "tcp-ns:80:127.0.0.1:0",
		"tcp-ns:80:localhost:80", "tcp-ns:80:::1:80",
		"tcp-ns:[::1]:80:[::1]", "tcp-ns:80:127.0.0.1:80:",
		"TCP-NS:80:127.0.0.1:80", "tcp_ns:80:127.0.0.1:80",
		"tcp-nss:80:127.0.0.1:80", "tcp-:80:127.0.0.1:80",
		"ns:80:127.0.0.1:80", "udp-ns:1:2:3:4",
		/* ranges */
		"tcp:8000-8009:10.0.0.1:9000", "tcp:8000:10.0.0.1:9000-9009",
		"tcp:8000-8009:10.0.0.1:9000-9008",
		"tcp-ns:8000:127.0.0.1:9000-9009",
		"tcp-ns:8000-8009:127.0.0.1:9000-9010",
		"tcp:8009-8000:10.0.0.1:9009-9000", "tcp:8000-:10.0.0.1:9000-",
		"tcp:-8000:10.0.0.1:-9000", "tcp:8000--8009:10.0.0.1:1--10",
		"tcp:8000-8009-8010:10.0.0.1:1-10-11",
		"tcp:8000-65536:10.0.0.1:1-57537", "tcp:0-9:10.0.0.1:1-10",
		"tcp:65535-65535:10.0.0.1:65534-65535",
		"tcp:1-2:10.0.0.1:65535-65536", "tcp:[1-2]:10.0.0.1:3-4",
		"tcp:1- 2:10.0.0.1:3-4",
	};
	static const char *const bad_host[] = {
		"tcp:", "tcp:0", "tcp:x", "tcp:[::1]", "tcp:127.0.0.1:",
		"tcp:127.0.0.1:0", "tcp:[::1]:8080:", "tcp:1:2:3:4:5",
		"tcp-ns:", "tcp-ns:0", "tcp-ns:[::1]", "tcp:9-8", "tcp-ns:1-",
		"udp-ns:127.0.0.1:0-4",
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(bad); i++) {
		struct vds_fwdspec f;
		int err = vds_fwd_parse(bad[i], false, &f);

		if (err != -EINVAL)
			fail_msg("\"%s\": %d, expected -EINVAL", bad[i], err);
	}
	for (size_t i = 0; i < VDS_ARRAY_SIZE(bad_host); i++) {
		struct vds_fwdspec f;
		int err = vds_fwd_parse(bad_host[i], true, &f);

		if (err != -EINVAL)
			fail_msg("\"%s\" (host only): %d, expected -EINVAL",
				 bad_host[i], err);
	}
	{
		struct vds_fwdspec f;

		assert_int_equal(vds_fwd_parse(NULL, false, &f), -EINVAL);
	}
}

/* test_fwd_slirp_items_take_no_range_nor_direction - slirp://'s
 * tcpfwd=/udpfwd= items are libvdeplug_slirp(1)'s: single ports only. */
static void test_fwd_slirp_items_take_no_range_nor_direction(void **state)
{
	static const char *const bad[] = {
		"8000-8009:10.0.2.15:80-89", "8000-8009:10.0.2.15:80",
		"1-1:10.0.2.15:1-1",
	};
	struct vds_fwdspec f;

	for (size_t i = 0; i < VDS_ARRAY_SIZE(bad); i++)
		if (vds_fwd_parse_item(bad[i], strlen(bad[i]), IPPROTO_TCP,
				       false, &f) != -EINVAL)
			fail_msg("\"%s\" accepted as a slirp item", bad[i]);
	assert_int_equal(vds_fwd_parse_item("8080:10.0.2.15:80", 17,
					    IPPROTO_TCP, false, &f), 0);
	assert_false(f.to_host);
	assert_int_equal(f.span, 0);
}

/* test_fwd_public_calls_refuse_bad_arguments - vde_stackfwd and
 * vde_stackunfwd with a NULL stack or spec: -1/EINVAL, nothing else. */
static void test_fwd_public_calls_refuse_bad_arguments(void **state)
{
	errno = 0;
	assert_int_equal(vde_stackfwd(NULL, "tcp:8080:10.0.2.15:80"), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(vde_stackunfwd(NULL, "tcp:8080"), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(vds_fwd_del(NULL, NULL), -EINVAL);
}

/* main - run the tests.  Return: cmocka's count of failures. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fwd_spec_parses_every_form),
		cmocka_unit_test(test_fwd_malformed_spec_is_einval),
		cmocka_unit_test(test_fwd_slirp_items_take_no_range_nor_direction),
		cmocka_unit_test(test_fwd_public_calls_refuse_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
