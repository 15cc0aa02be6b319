/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_hostdns.c - unit tests of dns=host's reading of the host's
 * resolv.conf (conf/hostdns.c): a table of files and what the C library
 * would take from each, the read through the system-call seam (replaced
 * here with -Wl,--wrap=vds_sys_read_file: the file says what the test
 * wants, missing or unreadable included), loopback addresses, and the
 * dns=host key of the configuration string.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vdestack.h"
#include "base/alloc.h"
#include "base/internal.h"
#include "base/sys.h"
#include "conf/conf_parse.h"
#include "conf/hostdns.h"
#include "unit.h"

/* ------------------------------------------------------------------ */
/* The fake host file                                                   */
/* ------------------------------------------------------------------ */

static const char *fake_text; /* NULL: the read fails with fake_err */
static int fake_err;
static char fake_path[256];

/* __wrap_vds_sys_read_file - the host's file is fake_text.
 * Return: its length, or -fake_err. */
int __wrap_vds_sys_read_file(const char *path, char *buf, size_t size);
int __wrap_vds_sys_read_file(const char *path, char *buf, size_t size)
{
	size_t len;

	snprintf(fake_path, sizeof(fake_path), "%s", path);
	if (!fake_text)
		return -fake_err;
	len = strlen(fake_text);
	if (len >= size)
		return -EFBIG;
	memcpy(buf, fake_text, len + 1);
	return (int)len;
}

/* ------------------------------------------------------------------ */
/* Parsing, table-driven                                                */
/* ------------------------------------------------------------------ */

/* One file and what it gives: servers (space-separated, as inet_ntop
 * writes them) and search domains (the same). */
struct case_ {
	const char *what;
	const char *text;
	const char *servers;
	const char *domains;
};

static const struct case_ cases[] = {
	{ "systemd-resolved's stub",
	  "# This is /run/systemd/resolve/stub-resolv.conf\n"
	  "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n",
	  "127.0.0.53", "" },
	{ "several servers, both families, tabs",
	  "nameserver\t127.0.0.1\nnameserver 192.0.2.1\n"
	  "nameserver  2001:db8::1\nnameserver ::1\n",
	  "127.0.0.1 192.0.2.1 2001:db8::1 ::1", "" },
	{ "IPv6 with a scope: dropped; link-local left out",
	  "nameserver ::1%lo\nnameserver fe80::1%eth0\n"
	  "nameserver fe80::2\nnameserver 2001:db8::2%2\n",
	  "::1 2001:db8::2", "" },
	{ "comments, also after an address",
	  "; a comment\n# another\nnameserver 192.0.2.2#x\n"
	  "nameserver 192.0.2.3 ; y\n#nameserver 192.0.2.4\n",
	  "192.0.2.2 192.0.2.3", "" },
	{ "malformed lines are ignored",
	  "nameserver\nnameserver 300.1.1.1\nnameserver 192.0.2\n"
	  "nameserver  \n nameserver 192.0.2.5\nnameserver192.0.2.6\n"
	  "nameservers 192.0.2.7\nnameserver not-an-address\n"
	  "garbage\n\n\nnameserver 192.0.2.8\n",
	  "192.0.2.8", "" },
	{ "options and sortlist are not servers",
	  "options use-vc ndots:2 timeout:1\nsortlist 130.155.160.0\n"
	  "nameserver 127.0.0.1\n",
	  "127.0.0.1", "" },
	{ "search list; the last of search and domain wins",
	  "search a.test b.test\nnameserver 192.0.2.1\n"
	  "domain c.test\nsearch d.test\te.test  f.test # g.test\n",
	  "192.0.2.1", "d.test e.test f.test" },
	{ "domain after search replaces it; bad names skipped",
	  "search a.test\ndomain b..test\ndomain c.test\n"
	  "search x.test bad_\x01name y.test\ndomain z.test\n",
	  "127.0.0.1", "z.test" },
	{ "no server at all means the local one, as the C library",
	  "search a.test\noptions ndots:1\n", "127.0.0.1", "a.test" },
	{ "empty file", "", "127.0.0.1", "" },
	{ "CRLF line ends",
	  "nameserver 192.0.2.9\r\nsearch a.test\r\n", "192.0.2.9", "a.test" },
	{ "duplicates collapse, more than the limit are dropped",
	  "nameserver 192.0.2.1\nnameserver 192.0.2.1\n"
	  "nameserver 192.0.2.2\nnameserver 192.0.2.3\n"
	  "nameserver 192.0.2.4\nnameserver 192.0.2.5\n"
	  "nameserver 192.0.2.6\nnameserver 192.0.2.7\n"
	  "nameserver 192.0.2.8\nnameserver 192.0.2.9\n",
	  "192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5 192.0.2.6 "
	  "192.0.2.7 192.0.2.8", "" },
	{ "no newline at the end", "nameserver ::1", "::1", "" },
};

/* servers_text - the servers of dns, space-separated, into buf. */
static void servers_text(const struct vds_dns *dns, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < dns->nservers; i++) {
		char t[INET6_ADDRSTRLEN];

		inet_ntop(dns->servers[i].family, dns->servers[i].addr, t,
			  sizeof(t));
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? " " : "", t);
	}
}

/* domains_text - the search domains of dns, space-separated. */
static void domains_text(const struct vds_dns *dns, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < dns->ndomains; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? " " : "", dns->domains[i]);
}

/* test_hostdns_parses_each_file_as_the_c_library - the table. */
static void test_hostdns_parses_each_file_as_the_c_library(void **state)
{
	for (size_t i = 0; i < VDS_ARRAY_SIZE(cases); i++) {
		struct vds_dns dns;
		char got[1024];

		vds_hostdns_parse(cases[i].text, &dns);
		servers_text(&dns, got, sizeof(got));
		if (strcmp(got, cases[i].servers))
			fail_msg("%s: servers \"%s\", want \"%s\"",
				 cases[i].what, got, cases[i].servers);
		domains_text(&dns, got, sizeof(got));
		if (strcmp(got, cases[i].domains))
			fail_msg("%s: domains \"%s\", want \"%s\"",
				 cases[i].what, got, cases[i].domains);
	}
}

/* test_hostdns_loopback_addresses - 127.0.0.0/8 and ::1 only. */
static void test_hostdns_loopback_addresses(void **state)
{
	static const struct {
		const char *addr;
		bool loopback;
	} t[] = {
		{ "127.0.0.1", true }, { "127.0.0.53", true },
		{ "127.255.255.254", true }, { "::1", true },
		{ "128.0.0.1", false }, { "10.127.0.1", false },
		{ "::", false }, { "::2", false }, { "::ffff:127.0.0.1", false },
		{ "fe80::1", false }, { "192.0.2.1", false },
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(t); i++) {
		struct vds_ipaddr a = { 0 };

		assert_int_equal(vds_conf_parse_ip(t[i].addr, strlen(t[i].addr),
						   false, &a), 0);
		if (vds_ip_is_loopback(&a) != t[i].loopback)
			fail_msg("%s: loopback %d", t[i].addr, !t[i].loopback);
	}
}

/* test_hostdns_reads_etc_resolv_conf_through_the_seam - the path read,
 * and what comes of it. */
static void test_hostdns_reads_etc_resolv_conf_through_the_seam(void **state)
{
	struct vds_dns dns;
	char got[256];

	fake_text = "nameserver 127.0.0.53\nnameserver 192.0.2.1\n"
		    "search a.test\n";
	assert_int_equal(vds_hostdns_read(&dns), 0);
	assert_string_equal(fake_path, "/etc/resolv.conf");
	servers_text(&dns, got, sizeof(got));
	assert_string_equal(got, "127.0.0.53 192.0.2.1");
	domains_text(&dns, got, sizeof(got));
	assert_string_equal(got, "a.test");
}

/* test_hostdns_missing_file_is_the_local_server - ENOENT is an empty
 * file; any other error is the call's. */
static void test_hostdns_missing_file_is_the_local_server(void **state)
{
	static const int errs[] = { EACCES, EFBIG, EIO, EISDIR };
	struct vds_dns dns;
	char got[256];

	fake_text = NULL;
	fake_err = ENOENT;
	assert_int_equal(vds_hostdns_read(&dns), 0);
	servers_text(&dns, got, sizeof(got));
	assert_string_equal(got, "127.0.0.1");
	for (size_t i = 0; i < VDS_ARRAY_SIZE(errs); i++) {
		fake_err = errs[i];
		assert_int_equal(vds_hostdns_read(&dns), -errs[i]);
	}
}

/* test_hostdns_key_of_the_configuration_string - dns=host is a key of
 * its own; look-alikes are EINVAL. */
static void test_hostdns_key_of_the_configuration_string(void **state)
{
	static const char *const bad[] = {
		"dns=hosts", "dns=HOST", "dns=host:53", "dns=host/32",
		"dns", "dns=", "dns=ho st", "dns=127.0.0.1/8",
	};
	static struct vds_conf c;

	assert_int_equal(vds_conf_parse("dns=host", &c), 0);
	assert_true(c.dns_host);
	assert_int_equal(c.dns.nservers, 0);
	assert_int_equal(vds_conf_parse("eth,dns=host,dns=192.0.2.1", &c), 0);
	assert_true(c.dns_host && c.eth);
	assert_int_equal(c.dns.nservers, 1);
	assert_int_equal(vds_conf_parse("dns=192.0.2.1", &c), 0);
	assert_false(c.dns_host);
	for (size_t i = 0; i < VDS_ARRAY_SIZE(bad); i++)
		if (vds_conf_parse(bad[i], &c) != -EINVAL)
			fail_msg("%s is not EINVAL", bad[i]);
}

/* test_dns_host_fails_cleanly_at_every_allocation - vde_stackconf with
 * dns=host (the fake host file names two loopback servers: no query is
 * ever sent) fails with ENOMEM at each allocation, leaving the DNS data,
 * the descriptors and no forward behind: the call that finally succeeds
 * could not bind port 53 again otherwise. */
static void test_dns_host_fails_cleanly_at_every_allocation(void **state)
{
	struct vdestack *s = vde_addstack(NULL, NULL);
	char buf[256];
	int fds, n, ok = 0;

	if (!s)
		UNIT_SKIP("no stack can be made here (user namespaces off?)");
	fake_text = "nameserver 127.0.0.53\nnameserver ::1\n";
	assert_int_equal(vde_stackconf(s, "dns=192.0.2.1"), 0);
	fds = unit_count_fds();
	for (n = 1; n < 200; n++) {
		int r, e;

		vds_alloc_fail_at((unsigned long)n);
		r = vde_stackconf(s, "dns=host");
		e = errno;
		vds_alloc_fail_at(0);
		if (r == 0) {
			ok = 1;
			break;
		}
		assert_int_equal(e, ENOMEM);
		assert_int_equal(vde_stackresolv(s, buf, sizeof(buf)), 21);
		assert_string_equal(buf, "nameserver 192.0.2.1\n");
		assert_int_equal(unit_wait_count(unit_count_fds, fds), fds);
	}
	assert_true(ok);
	/* the file's buffer, the DNS data and four forwards' (21 here) */
	assert_true(n > 8);
	assert_int_equal(vde_stackresolv(s, buf, sizeof(buf)), 37);
	assert_string_equal(buf, "nameserver 127.0.0.53\nnameserver ::1\n");
	vde_delstack(s);
	assert_int_equal(unit_wait_count(unit_count_fds, fds), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostdns_parses_each_file_as_the_c_library),
		cmocka_unit_test(test_hostdns_loopback_addresses),
		cmocka_unit_test(test_hostdns_reads_etc_resolv_conf_through_the_seam),
		cmocka_unit_test(test_hostdns_missing_file_is_the_local_server),
		cmocka_unit_test(test_hostdns_key_of_the_configuration_string),
		cmocka_unit_test(test_dns_host_fails_cleanly_at_every_allocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
