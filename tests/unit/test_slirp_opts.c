/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_slirp_opts.c - unit tests of the slirp:// option parser
 * (slirp_opts.c): every option of libvdeplug_slirp(1), table-driven, and
 * every malformed one refused with EINVAL. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fwdspec.h"
#include "base/internal.h"
#include "backends/slirp_opts.h"
#include "core/backend.h"
#include "core/registry.h"
#include "unit.h"

/* ip4 - Return: the text of an IPv4 address (static buffer, 4 slots). */
static const char *ip4(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	return inet_ntop(AF_INET, &a, buf[i], sizeof(buf[i]));
}

/* ip6 - Return: the text of an IPv6 address (static buffer, 4 slots). */
static const char *ip6(const struct in6_addr *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	return inet_ntop(AF_INET6, a, buf[i], sizeof(buf[i]));
}

/* opts_parse - parse url as the backend gets it: split by the registry,
 * which must give it to slirp://.  Return: the parser's result. */
static int opts_parse(const char *url, struct vds_slirp_opts *o)
{
	const struct vds_backend_ops *ops = NULL;
	struct vds_url parts;

	assert_int_equal(vds_registry_lookup(url, &parts, &ops), 0);
	assert_ptr_equal(ops, &vds_backend_slirp);
	return vds_slirp_opts_parse(parts.rest, o);
}

/* parse_ok - parse url, which must succeed. */
static void parse_ok(const char *url, struct vds_slirp_opts *o)
{
	int err = opts_parse(url, o);

	if (err != 0)
		fail_msg("%s: %d, expected success", url, err);
}

/* test_slirp_defaults_are_the_plugins - slirp:// alone. */
static void test_slirp_defaults_are_the_plugins(void **state)
{
	static const char *const same[] = { "slirp://", "slirp:///",
					    "slirp:////", "slirp:///''" };

	for (size_t i = 0; i < VDS_ARRAY_SIZE(same); i++) {
		struct vds_slirp_opts o;

		parse_ok(same[i], &o);
		assert_true(o.in_enabled);
		assert_true(o.in6_enabled);
		assert_false(o.restricted);
		assert_false(o.disable_host_loopback);
		assert_false(o.verbose);
		assert_string_equal(ip4(o.vnetwork), "10.0.2.0");
		assert_string_equal(ip4(o.vnetmask), "255.255.255.0");
		assert_string_equal(ip4(o.vhost), "10.0.2.2");
		assert_string_equal(ip4(o.vdhcp_start), "10.0.2.15");
		assert_string_equal(ip4(o.vnameserver), "10.0.2.3");
		assert_string_equal(ip6(&o.vprefix_addr6), "fd00::");
		assert_int_equal(o.vprefix_len, 64);
		assert_string_equal(ip6(&o.vhost6), "fd00::2");
		assert_string_equal(ip6(&o.vnameserver6), "fd00::3");
		assert_string_equal(o.vhostname, "slirp");
		assert_null(o.tftp_server_name);
		assert_null(o.tftp_path);
		assert_null(o.bootfile);
		assert_null(o.vdomainname);
		assert_null(o.vdnssearch);
		assert_int_equal(o.mtu, VDS_SLIRP_MTU_DEFAULT);
		assert_int_equal(o.mru, VDS_SLIRP_MTU_DEFAULT);
		assert_int_equal(o.nfwds, 0);
		assert_int_equal(o.ngfwds, 0);
		vds_slirp_opts_free(&o);
	}
}

/* test_slirp_every_option_is_understood - each option of the plugin,
 * with the value the plugin would give it. */
static void test_slirp_every_option_is_understood(void **state)
{
	struct vds_slirp_opts o;

	parse_ok("slirp:///v4", &o);
	assert_true(o.in_enabled);
	assert_false(o.in6_enabled);
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///v6", &o);
	assert_false(o.in_enabled);
	assert_true(o.in6_enabled);
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///v4/v6", &o);
	assert_true(o.in_enabled && o.in6_enabled);
	vds_slirp_opts_free(&o);

	/* addr= moves the network, the DHCP start and the DNS with it */
	parse_ok("slirp:///addr='192.168.7.1/16'", &o);
	assert_string_equal(ip4(o.vhost), "192.168.7.1");
	assert_string_equal(ip4(o.vnetwork), "192.168.0.0");
	assert_string_equal(ip4(o.vnetmask), "255.255.0.0");
	assert_string_equal(ip4(o.vdhcp_start), "192.168.2.15");
	assert_string_equal(ip4(o.vnameserver), "192.168.2.3");
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///host=172.16.5.9", &o); /* /24 by default */
	assert_string_equal(ip4(o.vnetwork), "172.16.5.0");
	assert_string_equal(ip4(o.vdhcp_start), "172.16.5.15");
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///addr6=\"fd12:3456::1/48\"", &o);
	assert_string_equal(ip6(&o.vhost6), "fd12:3456::1");
	assert_string_equal(ip6(&o.vprefix_addr6), "fd12:3456::");
	assert_int_equal(o.vprefix_len, 48);
	assert_string_equal(ip6(&o.vnameserver6), "fd12:3456::3");
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///host6=fd99::7", &o);
	assert_int_equal(o.vprefix_len, 64);
	assert_string_equal(ip6(&o.vprefix_addr6), "fd99::");
	vds_slirp_opts_free(&o);

	/* dhcp= and vnameserver= win over addr=, wherever they are */
	parse_ok("slirp:///dhcp=10.1.0.50/vnameserver=10.1.0.53/"
		 "addr=10.1.0.1\\/24/vnameserver6=fd00::53", &o);
	assert_string_equal(ip4(o.vdhcp_start), "10.1.0.50");
	assert_string_equal(ip4(o.vnameserver), "10.1.0.53");
	assert_string_equal(ip6(&o.vnameserver6), "fd00::53");
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///hostname=box-1/tftp_server_name=tftp.example/"
		 "tftp_path='/srv/tftp'/bootfile=pxelinux.0/"
		 "vdomainname=example.org/vdnssearch=a.example,b.example.", &o);
	assert_string_equal(o.vhostname, "box-1");
	assert_string_equal(o.tftp_server_name, "tftp.example");
	assert_string_equal(o.tftp_path, "/srv/tftp");
	assert_string_equal(o.bootfile, "pxelinux.0");
	assert_string_equal(o.vdomainname, "example.org");
	assert_non_null(o.vdnssearch);
	assert_string_equal(o.vdnssearch[0], "a.example");
	assert_string_equal(o.vdnssearch[1], "b.example.");
	assert_null(o.vdnssearch[2]);
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///mtu=1500", &o);
	assert_int_equal(o.mtu, 1500);
	assert_int_equal(o.mru, 1500); /* libslirp gets the same MRU */
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///mru=9000/mtu=65521", &o);
	assert_int_equal(o.mtu, 65521);
	assert_int_equal(o.mru, 9000);
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///restricted/disable_host_loopback/verbose", &o);
	assert_true(o.restricted);
	assert_true(o.disable_host_loopback);
	assert_true(o.verbose);
	vds_slirp_opts_free(&o);
}

/* fwd_is - forward f is proto from host:hport to guest:gport. */
static void fwd_is(const struct vds_fwdspec *f, int proto, const char *host,
		   int hport, const char *guest, int gport)
{
	char h[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	const void *ha, *ga;
	int hp, gp;

	if (f->host.ss_family == AF_INET6) {
		ha = &((const struct sockaddr_in6 *)&f->host)->sin6_addr;
		hp = ntohs(((const struct sockaddr_in6 *)&f->host)->sin6_port);
	} else {
		ha = &((const struct sockaddr_in *)&f->host)->sin_addr;
		hp = ntohs(((const struct sockaddr_in *)&f->host)->sin_port);
	}
	if (f->guest.ss_family == AF_INET6) {
		ga = &((const struct sockaddr_in6 *)&f->guest)->sin6_addr;
		gp = ntohs(((const struct sockaddr_in6 *)&f->guest)->sin6_port);
	} else {
		ga = &((const struct sockaddr_in *)&f->guest)->sin_addr;
		gp = ntohs(((const struct sockaddr_in *)&f->guest)->sin_port);
	}
	assert_int_equal(f->proto, proto);
	assert_string_equal(inet_ntop(f->host.ss_family, ha, h, sizeof(h)),
			    host);
	assert_int_equal(hp, hport);
	assert_string_equal(inet_ntop(f->guest.ss_family, ga, g, sizeof(g)),
			    guest);
	assert_int_equal(gp, gport);
}

/* test_slirp_forwards_are_parsed - tcpfwd=/udpfwd= lists, IPv4 and
 * bracketed IPv6; cmdfwd=/unixfwd=. */
static void test_slirp_forwards_are_parsed(void **state)
{
	struct vds_slirp_opts o;

	parse_ok("slirp:///tcpfwd=8080:10.0.2.15:80,127.0.0.1:2222:"
		 "10.0.2.15:22/udpfwd=:5353:10.0.2.15:53/"
		 "tcpfwd=[::1]:8080:[fd00::15]:80,9090:[fd00::15]:90", &o);
	assert_int_equal(o.nfwds, 5);
	fwd_is(&o.fwds[0], IPPROTO_TCP, "0.0.0.0", 8080, "10.0.2.15", 80);
	fwd_is(&o.fwds[1], IPPROTO_TCP, "127.0.0.1", 2222, "10.0.2.15", 22);
	fwd_is(&o.fwds[2], IPPROTO_UDP, "0.0.0.0", 5353, "10.0.2.15", 53);
	fwd_is(&o.fwds[3], IPPROTO_TCP, "::1", 8080, "fd00::15", 80);
	fwd_is(&o.fwds[4], IPPROTO_TCP, "::", 9090, "fd00::15", 90);
	vds_slirp_opts_free(&o);

	/* the plugin's own example: quotes keep the '/' and the ':' */
	parse_ok("slirp:///tcpfwd=8080:10.0.2.15:80/cmdfwd=10.0.2.5:6000:"
		 "'socat STDIO UNIX:\"/tmp/.X11-unix/X0\"'", &o);
	assert_int_equal(o.nfwds, 1);
	assert_int_equal(o.ngfwds, 1);
	assert_true(o.gfwds[0].is_cmd);
	assert_string_equal(ip4(o.gfwds[0].addr), "10.0.2.5");
	assert_int_equal(o.gfwds[0].port, 6000);
	assert_string_equal(o.gfwds[0].target,
			    "socat STDIO UNIX:\"/tmp/.X11-unix/X0\"");
	vds_slirp_opts_free(&o);

	parse_ok("slirp:///unixfwd=6001:\\/tmp\\/sock,:6002:\\/x/cmdfwd=7:cat",
		 &o);
	assert_int_equal(o.ngfwds, 3);
	assert_false(o.gfwds[0].is_cmd);
	assert_string_equal(ip4(o.gfwds[0].addr), "0.0.0.0");
	assert_int_equal(o.gfwds[0].port, 6001);
	assert_string_equal(o.gfwds[0].target, "/tmp/sock");
	assert_int_equal(o.gfwds[1].port, 6002);
	assert_string_equal(o.gfwds[1].target, "/x");
	assert_true(o.gfwds[2].is_cmd);
	assert_int_equal(o.gfwds[2].port, 7);
	assert_string_equal(o.gfwds[2].target, "cat");
	vds_slirp_opts_free(&o);
}

/* test_slirp_malformed_options_are_einval - everything the plugin does
 * not define, or defines otherwise, is refused. */
static void test_slirp_malformed_options_are_einval(void **state)
{
	static const char *const bad[] = {
		/* something before the options */
		"slirp://x", "slirp://host/v4",
		/* unknown names, abbreviations, case */
		"slirp:///v5", "slirp:///foo", "slirp:///foo=1", "slirp:///v",
		"slirp:///rest", "slirp:///V4", "slirp:///mtu_=1500",
		"slirp:///=1500", "slirp:///hostnam=x",
		/* flags with a value, values missing */
		"slirp:///v4=1", "slirp:///restricted=yes", "slirp:///verbose=",
		"slirp:///disable_host_loopback=1", "slirp:///mtu",
		"slirp:///mtu=", "slirp:///addr", "slirp:///tcpfwd",
		"slirp:///tcpfwd=", "slirp:///hostname=",
		/* quoting */
		"slirp:///'v4", "slirp:///\"v4", "slirp:///v4\\",
		/* addresses and prefixes */
		"slirp:///addr=10.0.2", "slirp:///addr=10.0.2.256",
		"slirp:///addr='10.0.2.2/'", "slirp:///addr='10.0.2.2/33'",
		"slirp:///addr='10.0.2.2/0'", "slirp:///addr='10.0.2.2/31'",
		"slirp:///addr='10.0.2.2/24x'", "slirp:///addr='10.0.2.0/24'",
		"slirp:///addr='10.0.2.255/24'", "slirp:///addr=fd00::2",
		"slirp:///host= 10.0.2.2", "slirp:///addr6=10.0.2.2",
		"slirp:///addr6='fd00::2/129'", "slirp:///addr6='fd00::2/127'",
		"slirp:///addr6=fd00:::2", "slirp:///addr6=[fd00::2]",
		"slirp:///dhcp=10.0.2", "slirp:///dhcp=10.0.3.15",
		"slirp:///dhcp=10.0.2.2", "slirp:///dhcp='10.0.2.15/24'",
		"slirp:///vnameserver=fd00::3", "slirp:///vnameserver=10.9.2.3",
		"slirp:///vnameserver6=10.0.2.3", "slirp:///vnameserver6=x",
		/* numbers */
		"slirp:///mtu=67", "slirp:///mtu=65522", "slirp:///mtu=1500x",
		"slirp:///mtu=-1500", "slirp:///mtu=0x5dc", "slirp:///mtu=+1500",
		"slirp:///mtu= 1500", "slirp:///mru=0", "slirp:///mru=99999999",
		/* names */
		"slirp:///hostname=a b", "slirp:///hostname=a@b",
		"slirp:///hostname=123456789012345678901234567890123",
		"slirp:///vdomainname=a..b", "slirp:///vdomainname=.a",
		"slirp:///vdomainname=a b", "slirp:///vdnssearch=a,,b",
		"slirp:///vdnssearch=,a", "slirp:///vdnssearch=a,",
		"slirp:///vdnssearch=a/b",
		"slirp:///vdomainname=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaa.b",
		"slirp:///bootfile=", "slirp:///tftp_path=",
		"slirp:///tftp_server_name=", "slirp:///tftp_server_name="
		"0123456789012345678901234567890123456789012345678901234567890123",
		/* forwards */
		"slirp:///tcpfwd=8080", "slirp:///tcpfwd=8080:10.0.2.15",
		"slirp:///tcpfwd=8080:10.0.2.15:",
		"slirp:///tcpfwd=:8080:10.0.2.15:80:",
		"slirp:///tcpfwd=1:2:3:4:5", "slirp:///tcpfwd=0:10.0.2.15:80",
		"slirp:///tcpfwd=8080:10.0.2.15:0",
		"slirp:///tcpfwd=65536:10.0.2.15:80",
		"slirp:///tcpfwd=8080:10.0.2.15:65536",
		"slirp:///tcpfwd=80a:10.0.2.15:80",
		"slirp:///tcpfwd=8080::80", "slirp:///tcpfwd=8080:host:80",
		"slirp:///tcpfwd=8080:fd00::15:80",
		"slirp:///tcpfwd=::1:8080:10.0.2.15:80",
		"slirp:///tcpfwd=[::1:8080:[fd00::15]:80",
		"slirp:///tcpfwd=[::1]8080:[fd00::15]:80",
		"slirp:///tcpfwd=[127.0.0.1]:8080:10.0.2.15:80",
		"slirp:///tcpfwd=[]:8080:[fd00::15]:80",
		"slirp:///tcpfwd=[::1]:[8080]:[fd00::15]:80",
		"slirp:///tcpfwd=8080:10.0.2.15:80,",
		"slirp:///tcpfwd=,8080:10.0.2.15:80",
		"slirp:///udpfwd=8080:10.0.2.15:80,,9:10.0.2.15:9",
		"slirp:///udpfwd=1.2.3:8080:10.0.2.15:80",
		"slirp:///cmdfwd=cat", "slirp:///cmdfwd=6000:",
		"slirp:///cmdfwd=0:cat", "slirp:///cmdfwd=70000:cat",
		"slirp:///cmdfwd=10.0.2.5:x:cat", "slirp:///unixfwd=6000",
		"slirp:///unixfwd=10.0.2:6000:/x",
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(bad); i++) {
		struct vds_slirp_opts o;
		int err = opts_parse(bad[i], &o);

		if (err != -EINVAL) {
			if (err == 0)
				vds_slirp_opts_free(&o);
			fail_msg("\"%s\": %d, expected -EINVAL", bad[i], err);
		}
	}
}

/* test_slirp_only_slirp_urls_reach_the_parser - the registry gives a URL
 * to slirp:// by its scheme, exactly "slirp"; the parser gets what
 * follows "slirp://". */
static void test_slirp_only_slirp_urls_reach_the_parser(void **state)
{
	static const char *const other[] = {
		"slirp:/", "slirp:", "slirpx://", "SLIRP://", "xslirp://",
		"=slirp://",
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(other); i++) {
		const struct vds_backend_ops *ops = NULL;
		struct vds_url parts;

		if (vds_registry_lookup(other[i], &parts, &ops) == 0 &&
		    ops == &vds_backend_slirp)
			fail_msg("\"%s\" went to slirp://", other[i]);
	}
}

/* test_slirp_parser_survives_every_allocation_failure - each allocation
 * of a parse made to fail in turn: -ENOMEM, nothing leaked (the
 * allocator's count of live blocks, and valgrind and the sanitizers). */
static void test_slirp_parser_survives_every_allocation_failure(void **state)
{
	const char *url = "slirp:///hostname=h/tftp_server_name=t/tftp_path=\\/p"
			  "/bootfile=b/vdomainname=d.e/vdnssearch=a.b,c.d,e.f/"
			  "tcpfwd=1:10.0.2.15:1,2:10.0.2.15:2/udpfwd=3:"
			  "10.0.2.15:3/cmdfwd=4:cat/unixfwd=5:\\/x";
	struct vds_slirp_opts o;
	long live = vds_alloc_live();
	unsigned long n;
	int err;

	vds_alloc_fail_at(0);
	parse_ok(url, &o);
	vds_slirp_opts_free(&o);
	n = vds_alloc_fail_at(0);
	assert_true(n > 5);
	assert_int_equal(vds_alloc_live(), live);
	for (unsigned long i = 1; i <= n; i++) {
		vds_alloc_fail_at(i);
		err = opts_parse(url, &o);
		vds_alloc_fail_at(0);
		if (err == 0) {
			vds_slirp_opts_free(&o);
			fail_msg("allocation %lu of %lu failed: parse succeeded",
				 i, n);
		}
		assert_int_equal(err, -ENOMEM);
		if (vds_alloc_live() != live)
			fail_msg("allocation %lu of %lu failed: %ld blocks "
				 "left", i, n, vds_alloc_live() - live);
	}
}

/* main - run the tests.  Return: cmocka's count of failures. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slirp_defaults_are_the_plugins),
		cmocka_unit_test(test_slirp_every_option_is_understood),
		cmocka_unit_test(test_slirp_forwards_are_parsed),
		cmocka_unit_test(test_slirp_malformed_options_are_einval),
		cmocka_unit_test(test_slirp_only_slirp_urls_reach_the_parser),
		cmocka_unit_test(
			test_slirp_parser_survives_every_allocation_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
