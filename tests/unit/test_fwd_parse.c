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

/* to_text - "proto host:port>guest:port" for a parsed forward (IPv6 in
 * brackets, "*" for an unspecified family).  Return: buf. */
static const char *to_text(const struct vds_fwdspec *f, char *buf, size_t n)
{
	char h[INET6_ADDRSTRLEN] = "*", g[INET6_ADDRSTRLEN] = "*";
	const struct sockaddr_storage *ss[2] = { &f->host, &f->guest };
	char *txt[2] = { h, g };
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
			port[i] = ss[i] == &f->host ?
				  ntohs(((const struct sockaddr_in *)ss[i])
						->sin_port) : 0;
		}
	}
	snprintf(buf, n, "%s %s:%d>%s:%d",
		 f->proto == IPPROTO_TCP ? "tcp" : "udp", h, port[0], g,
		 port[1]);
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
	};
	static const char *const bad_host[] = {
		"tcp:", "tcp:0", "tcp:x", "tcp:[::1]", "tcp:127.0.0.1:",
		"tcp:127.0.0.1:0", "tcp:[::1]:8080:", "tcp:1:2:3:4:5",
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
		cmocka_unit_test(test_fwd_public_calls_refuse_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
