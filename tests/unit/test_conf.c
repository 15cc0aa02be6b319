/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_conf.c - unit tests of vde_stackconf's pure parts: the
 * configuration string (conf_parse.c), the resolv.conf text, DHCP
 * messages built and parsed (dhcp.c), router advertisements parsed
 * (ndisc.c); and vde_stackconf failing cleanly at every allocation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vdestack.h"
#include "base/alloc.h"
#include "conf/conf_parse.h"
#include "conf/dhcp.h"
#include "conf/ndisc.h"
#include "unit.h"

/* ------------------------------------------------------------------ */
/* The configuration string                                            */
/* ------------------------------------------------------------------ */

/* parse - vds_conf_parse into a static struct.  Return: its result. */
static int parse(const char *text, struct vds_conf **ret)
{
	static struct vds_conf c;

	*ret = &c;
	return vds_conf_parse(text, &c);
}

/* ip_is - whether a parsed address is text/prefix.  Return: true if so. */
static bool ip_is(const struct vds_ipaddr *a, const char *text,
		  unsigned prefix)
{
	unsigned char want[16] = { 0 };
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;

	inet_pton(family, text, want);
	return a->family == family && a->prefix == prefix &&
	       !memcmp(a->addr, want, family == AF_INET ? 4 : 16);
}

/* test_conf_parses_the_iothconf_examples - the strings of iothconf's README. */
static void test_conf_parses_the_iothconf_examples(void **state)
{
	struct vds_conf *c;

	assert_int_equal(parse("eth,ip=10.0.0.1/24,gw=10.0.0.254", &c), 0);
	assert_true(c->eth);
	assert_int_equal(c->naddrs, 1);
	assert_true(ip_is(&c->addrs[0], "10.0.0.1", 24));
	assert_int_equal(c->ngws, 1);
	assert_true(ip_is(&c->gws[0], "10.0.0.254", 32));
	assert_string_equal(c->ifname, "");
	assert_false(c->dhcp || c->rd || c->have_mac || c->mtu);

	assert_int_equal(parse("ip=fd00::1/64,mtu=9000", &c), 0);
	assert_false(c->eth);
	assert_true(ip_is(&c->addrs[0], "fd00::1", 64));
	assert_int_equal(c->mtu, 9000);

	assert_int_equal(parse("eth,dhcp", &c), 0);
	assert_true(c->eth && c->dhcp);
	assert_int_equal(parse("auto", &c), 0);
	assert_int_equal(c->autos, VDS_CONF_AUTO);
	assert_false(c->dhcp); /* decided with the backend, in conf.c */
}

/* test_conf_parses_every_key_and_synonym - each key and its other names
 * record what they say. */
static void test_conf_parses_every_key_and_synonym(void **state)
{
	struct vds_conf *c;

	assert_int_equal(parse("eth=net1", &c), 0);
	assert_true(c->eth);
	assert_string_equal(c->ifname, "net1");
	assert_int_equal(parse("iface=net2", &c), 0);
	assert_false(c->eth);
	assert_string_equal(c->ifname, "net2");
	assert_int_equal(parse("eth,iface=net3,eth=net3", &c), 0);
	assert_string_equal(c->ifname, "net3");

	assert_int_equal(parse("mac=02:AB:cd:01:23:45", &c), 0);
	assert_true(c->have_mac);
	assert_memory_equal(c->mac, "\x02\xab\xcd\x01\x23\x45", 6);
	assert_int_equal(parse("macaddr=02:00:00:00:00:01", &c), 0);
	assert_true(c->have_mac);
	assert_memory_equal(c->mac, "\x02\x00\x00\x00\x00\x01", 6);

	for (const char *const *k = (const char *const[]){ "dhcp", "dhcp4",
			"dhcpv4", NULL }; *k; k++) {
		assert_int_equal(parse(*k, &c), 0);
		assert_true(c->dhcp);
	}
	for (const char *const *k = (const char *const[]){ "rd", "rd6",
			"slaac", NULL }; *k; k++) {
		assert_int_equal(parse(*k, &c), 0);
		assert_true(c->rd);
	}
	assert_int_equal(parse("auto4", &c), 0);
	assert_int_equal(c->autos, VDS_CONF_AUTO4);
	assert_int_equal(parse("autov4,autov6", &c), 0);
	assert_int_equal(c->autos, VDS_CONF_AUTO4 | VDS_CONF_AUTO6);
	assert_int_equal(parse("auto6", &c), 0);
	assert_int_equal(c->autos, VDS_CONF_AUTO6);

	assert_int_equal(parse("dns=10.0.0.53,dns=fd00::53,domain=a.org,"
			       "search=b.a.org.", &c), 0);
	assert_int_equal(c->dns.nservers, 2);
	assert_true(ip_is(&c->dns.servers[0], "10.0.0.53", 32));
	assert_true(ip_is(&c->dns.servers[1], "fd00::53", 128));
	assert_int_equal(c->dns.ndomains, 2);
	assert_string_equal(c->dns.domains[0], "a.org");
	assert_string_equal(c->dns.domains[1], "b.a.org.");

	assert_int_equal(c->timeout_ms, VDS_CONF_TIMEOUT_MS);
	assert_int_equal(parse("dhcp,timeout=3", &c), 0);
	assert_int_equal(c->timeout_ms, 3000);
}

/* test_conf_addresses_gateways_and_prefixes - full length without a
 * prefix, /0 allowed, one gateway per family. */
static void test_conf_addresses_gateways_and_prefixes(void **state)
{
	struct vds_conf *c;

	assert_int_equal(parse("ip=10.0.0.7,ip=fd00::7,ip=10.0.0.8/0,"
			       "ip=fd00::8/128,gw=fd00::1,gw=10.0.0.1", &c), 0);
	assert_int_equal(c->naddrs, 4);
	assert_true(ip_is(&c->addrs[0], "10.0.0.7", 32));
	assert_true(ip_is(&c->addrs[1], "fd00::7", 128));
	assert_true(ip_is(&c->addrs[2], "10.0.0.8", 0));
	assert_true(ip_is(&c->addrs[3], "fd00::8", 128));
	assert_int_equal(c->ngws, 2);
	assert_true(ip_is(&c->gws[0], "fd00::1", 128));
	assert_true(ip_is(&c->gws[1], "10.0.0.1", 32));
}

/* test_conf_repeated_items_collapse - the same item twice is one. */
static void test_conf_repeated_items_collapse(void **state)
{
	struct vds_conf *c;

	assert_int_equal(parse("ip=10.0.0.1/24,ip=10.0.0.1/24,gw=10.0.0.9,"
			       "gw=10.0.0.9,mtu=1400,mtu=1400,dns=1.1.1.1,"
			       "dns=1.1.1.1,domain=x.org,domain=x.org,eth,eth",
			       &c), 0);
	assert_int_equal(c->naddrs, 1);
	assert_int_equal(c->ngws, 1);
	assert_int_equal(c->dns.nservers, 1);
	assert_int_equal(c->dns.ndomains, 1);
	/* the same address with another prefix is another address */
	assert_int_equal(parse("ip=10.0.0.1/24,ip=10.0.0.1/16", &c), 0);
	assert_int_equal(c->naddrs, 2);
}

/* test_conf_blanks_around_items_are_ignored - spaces and tabs. */
static void test_conf_blanks_around_items_are_ignored(void **state)
{
	struct vds_conf *c;

	assert_int_equal(parse("  eth , ip=10.0.0.1/24\t,\tgw=10.0.0.254 ", &c),
			 0);
	assert_true(c->eth);
	assert_int_equal(c->naddrs, 1);
	assert_int_equal(c->ngws, 1);
}

/* test_conf_refuses_malformed_strings_with_einval - every kind of
 * malformed item, and NULL. */
static void test_conf_refuses_malformed_strings_with_einval(void **state)
{
	static const char *const bad[] = {
		"", " ", ",", ",,", "eth,", ",eth", "eth,,dhcp", "ETH",
		"nosuchkey", "eth=", "eth=a/b", "eth=a:b", "eth=.", "eth=..",
		"eth=0123456789abcdef", "eth=a,eth=b", "iface", "iface=",
		"ip", "ip=", "ip=/24", "ip=10.0.0.1/", "ip=10.0.0.1/33",
		"ip=fd00::1/129", "ip=10.0.0.256", "ip=10.0.0.1/2a",
		"ip=10.0.0.1/+1", "ip=10.0.0.1/-1", "ip=10.0.0", "ip=fd00:::1",
		"ip=10.0.0.1 /24", "ip=10.0.0.1/24/24", "gw", "gw=",
		"gw=10.0.0.1/32", "gw=10.0.0.1,gw=10.0.0.2", "gw=fd00::1,gw=fd00::2",
		"mtu", "mtu=", "mtu=0", "mtu=65536", "mtu=-1", "mtu=1e3",
		"mtu=4294967297", "mtu=1400,mtu=1500", "mac", "mac=",
		"mac=02:00:00:00:00", "mac=02:00:00:00:00:00:00",
		"mac=2:0:0:0:0:1", "mac=02-00-00-00-00-01",
		"mac=02:00:00:00:00:0g", "mac=02:00:00:00:00:01,mac=02:00:00:00:00:02",
		"dhcp=1", "rd=1", "slaac=x", "auto=", "dns", "dns=", "dns=x",
		"dns=10.0.0.1/32", "domain", "domain=", "domain=.", "domain=a..b",
		"domain=a b", "domain=a/b", "search=-_-,",
		"domain=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
		"timeout", "timeout=", "timeout=0", "timeout=3601", "timeout=1.5",
		"eth\n", "eth\x01", "ip=10.0.0.1/24\r",
	};
	struct vds_conf c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = vds_conf_parse(bad[i], &c);

		if (r != -EINVAL)
			fail_msg("\"%s\": %d, not -EINVAL", bad[i], r);
	}
	assert_int_equal(vds_conf_parse(NULL, &c), -EINVAL);
}

/* test_conf_dhcp6_is_known_but_unsupported - EOPNOTSUPP, unless the
 * string is malformed before it. */
static void test_conf_dhcp6_is_known_but_unsupported(void **state)
{
	struct vds_conf c;

	assert_int_equal(vds_conf_parse("dhcp6", &c), -EOPNOTSUPP);
	assert_int_equal(vds_conf_parse("eth,dhcpv6", &c), -EOPNOTSUPP);
	/* a malformed item before it wins */
	assert_int_equal(vds_conf_parse("bogus,dhcp6", &c), -EINVAL);
}

/* test_conf_limits_are_einval_beyond - addresses, DNS servers and
 * domains up to their limits, EINVAL past them. */
static void test_conf_limits_are_einval_beyond(void **state)
{
	char text[2048];
	size_t len = 0;
	struct vds_conf c;

	for (unsigned i = 0; i < VDS_CONF_MAX_ADDRS; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%sip=10.0.0.%u/24", i ? "," : "", i + 1);
	assert_int_equal(vds_conf_parse(text, &c), 0);
	assert_int_equal(c.naddrs, VDS_CONF_MAX_ADDRS);
	snprintf(text + len, sizeof(text) - len, ",ip=10.0.1.1/24");
	assert_int_equal(vds_conf_parse(text, &c), -EINVAL);

	len = 0;
	for (unsigned i = 0; i < VDS_CONF_MAX_DNS; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%sdns=10.0.0.%u", i ? "," : "", i + 1);
	assert_int_equal(vds_conf_parse(text, &c), 0);
	snprintf(text + len, sizeof(text) - len, ",dns=10.0.1.1");
	assert_int_equal(vds_conf_parse(text, &c), -EINVAL);

	len = 0;
	for (unsigned i = 0; i < VDS_CONF_MAX_DOMAINS; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%sdomain=d%u.org", i ? "," : "", i);
	assert_int_equal(vds_conf_parse(text, &c), 0);
	snprintf(text + len, sizeof(text) - len, ",domain=more.org");
	assert_int_equal(vds_conf_parse(text, &c), -EINVAL);
}

/* test_conf_domain_names - labels of 1..63 bytes, 253 in all. */
static void test_conf_domain_names(void **state)
{
	char longest[VDS_CONF_DOMAIN_MAX + 2];

	assert_int_equal(vds_conf_check_domain("a", 1), 0);
	assert_int_equal(vds_conf_check_domain("a.", 2), 0);
	assert_int_equal(vds_conf_check_domain("x-1_2.example.org", 17), 0);
	assert_int_equal(vds_conf_check_domain("", 0), -EINVAL);
	assert_int_equal(vds_conf_check_domain(".", 1), -EINVAL);
	assert_int_equal(vds_conf_check_domain(".a", 2), -EINVAL);
	assert_int_equal(vds_conf_check_domain("a..b", 4), -EINVAL);
	assert_int_equal(vds_conf_check_domain("a b", 3), -EINVAL);
	/* 253 characters of 63-byte labels: the longest allowed */
	memset(longest, 'a', sizeof(longest));
	for (size_t i = 63; i < VDS_CONF_DOMAIN_MAX; i += 64)
		longest[i] = '.';
	assert_int_equal(vds_conf_check_domain(longest, VDS_CONF_DOMAIN_MAX), 0);
	assert_int_equal(vds_conf_check_domain(longest, VDS_CONF_DOMAIN_MAX + 1),
			 -EINVAL);
}

/* test_conf_longest_domain_with_final_dot_is_einval - 253 characters and
 * a final dot do not fit what a struct vds_dns keeps: EINVAL, not a
 * copy past the end of domain='s buffer (found by fuzz_conf). */
static void test_conf_longest_domain_with_final_dot_is_einval(void **state)
{
	char text[sizeof("domain=") + VDS_CONF_DOMAIN_MAX + 1];
	char *name = text + strlen("domain=");
	struct vds_conf c;

	memcpy(text, "domain=", strlen("domain="));
	memset(name, 'a', VDS_CONF_DOMAIN_MAX);
	for (size_t i = 63; i < VDS_CONF_DOMAIN_MAX; i += 64)
		name[i] = '.';
	name[VDS_CONF_DOMAIN_MAX] = '\0';
	assert_int_equal(vds_conf_parse(text, &c), 0);
	assert_int_equal(strlen(c.dns.domains[0]), VDS_CONF_DOMAIN_MAX);
	name[VDS_CONF_DOMAIN_MAX] = '.';
	name[VDS_CONF_DOMAIN_MAX + 1] = '\0';
	assert_int_equal(vds_conf_check_domain(name, VDS_CONF_DOMAIN_MAX + 1),
			 -EINVAL);
	assert_int_equal(vds_conf_parse(text, &c), -EINVAL);
	/* shorter, with its final dot: kept as given */
	memcpy(name + VDS_CONF_DOMAIN_MAX - 2, ".", 2);
	assert_int_equal(vds_conf_parse(text, &c), 0);
	assert_int_equal(strlen(c.dns.domains[0]), VDS_CONF_DOMAIN_MAX - 1);
}

/* ------------------------------------------------------------------ */
/* resolv.conf text                                                    */
/* ------------------------------------------------------------------ */

/* test_dns_format_is_resolv_conf_text - nameserver lines (scoped
 * link-local), one search line; duplicates dropped. */
static void test_dns_format_is_resolv_conf_text(void **state)
{
	struct vds_dns dns = { .ifname = "vde0" };
	struct vds_ipaddr a;
	char buf[256];
	const char *want = "nameserver 10.0.2.3\n"
			   "nameserver fe80::1%vde0\n"
			   "nameserver fd00::3\n"
			   "search example.org b.example.org\n";

	assert_int_equal(vds_dns_format(NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(vds_dns_format(&dns, buf, sizeof(buf)), 0);
	vds_conf_parse_ip("10.0.2.3", 8, false, &a);
	assert_int_equal(vds_dns_add_server(&dns, &a), 0);
	assert_int_equal(vds_dns_add_server(&dns, &a), 0); /* once */
	vds_conf_parse_ip("fe80::1", 7, false, &a);
	vds_dns_add_server(&dns, &a);
	vds_conf_parse_ip("fd00::3", 7, false, &a);
	vds_dns_add_server(&dns, &a);
	vds_dns_add_domain(&dns, "example.org");
	vds_dns_add_domain(&dns, "b.example.org");
	vds_dns_add_domain(&dns, "example.org");
	assert_int_equal(vds_dns_format(&dns, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

/* test_dns_format_truncates_like_snprintf - the length of the whole
 * text, a NUL-terminated prefix. */
static void test_dns_format_truncates_like_snprintf(void **state)
{
	struct vds_dns dns = { .nservers = 0 };
	struct vds_ipaddr a;
	char buf[16];

	vds_conf_parse_ip("192.0.2.1", 9, false, &a);
	vds_dns_add_server(&dns, &a);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(vds_dns_format(&dns, buf, 10), 21);
	assert_string_equal(buf, "nameserve");
	assert_int_equal(buf[10], 'x');
	assert_int_equal(vds_dns_format(&dns, NULL, 0), 21);
	assert_int_equal(vds_dns_format(&dns, buf, 1), 21);
	assert_string_equal(buf, "");
}

/* ------------------------------------------------------------------ */
/* DHCP messages                                                       */
/* ------------------------------------------------------------------ */

static const unsigned char mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* csum - the Internet checksum over len bytes (plus a start sum).
 * Return: the folded sum (0xffff when the data carry a valid checksum). */
static uint16_t csum(uint32_t sum, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* find_opt - an option in a built message's options.  Return: its value
 * (after code and length) or NULL. */
static const unsigned char *find_opt(const unsigned char *pkt, size_t len,
				     unsigned code)
{
	size_t at = 20 + 8 + 240;

	while (at + 1 < len && pkt[at] != 255) {
		if (pkt[at] == code)
			return pkt + at + 2;
		at += pkt[at] ? 2u + pkt[at + 1] : 1u;
	}
	return NULL;
}

/* test_dhcp_discover_is_a_valid_broadcast_packet - IPv4 and UDP
 * checksums, addresses, ports, BOOTP fields, options. */
static void test_dhcp_discover_is_a_valid_broadcast_packet(void **state)
{
	unsigned char pkt[1024];
	size_t len = vds_dhcp_build(pkt, sizeof(pkt), VDS_DHCP_DISCOVER,
				    0x12345678, mac, NULL, 3);
	size_t ulen;
	const unsigned char *o;

	assert_true(len >= 20 + 8 + 300);
	assert_int_equal(pkt[0], 0x45);
	assert_int_equal(pkt[2] << 8 | pkt[3], len);
	assert_int_equal(pkt[9], 17);
	assert_memory_equal(pkt + 12, "\0\0\0\0\xff\xff\xff\xff", 8);
	assert_int_equal(csum(0, pkt, 20), 0xffff);
	/* UDP 68 -> 67, checksum over the pseudo-header */
	assert_int_equal(pkt[20] << 8 | pkt[21], 68);
	assert_int_equal(pkt[22] << 8 | pkt[23], 67);
	ulen = (size_t)(pkt[24] << 8 | pkt[25]);
	assert_int_equal(ulen, len - 20);
	assert_int_equal(csum(csum(17 + (uint32_t)ulen, pkt + 12, 8) ^ 0,
			      pkt + 20, ulen), 0xffff);
	/* BOOTP */
	assert_int_equal(pkt[28], 1);
	assert_memory_equal(pkt + 32, "\x12\x34\x56\x78", 4);
	assert_int_equal(pkt[36] << 8 | pkt[37], 3);
	assert_int_equal(pkt[38], 0x80); /* broadcast flag */
	assert_memory_equal(pkt + 56, mac, 6);
	assert_memory_equal(pkt + 264, "\x63\x82\x53\x63", 4);
	o = find_opt(pkt, len, 53);
	assert_non_null(o);
	assert_int_equal(o[0], VDS_DHCP_DISCOVER);
	assert_non_null(find_opt(pkt, len, 55));
	assert_non_null(find_opt(pkt, len, 61));
	assert_null(find_opt(pkt, len, 50));
}

/* test_dhcp_request_names_address_and_server - options 50 and 54; no
 * room, a wrong type, no offer give 0. */
static void test_dhcp_request_names_address_and_server(void **state)
{
	struct vds_dhcp_msg offer = { .type = VDS_DHCP_OFFER };
	unsigned char pkt[1024];
	size_t len;
	const unsigned char *o;

	inet_pton(AF_INET, "10.0.2.15", &offer.yiaddr);
	inet_pton(AF_INET, "10.0.2.2", &offer.server);
	len = vds_dhcp_build(pkt, sizeof(pkt), VDS_DHCP_REQUEST, 1, mac,
			     &offer, 0);
	assert_true(len > 0);
	o = find_opt(pkt, len, 53);
	assert_int_equal(o[0], VDS_DHCP_REQUEST);
	o = find_opt(pkt, len, 50);
	assert_memory_equal(o, &offer.yiaddr, 4);
	o = find_opt(pkt, len, 54);
	assert_memory_equal(o, &offer.server, 4);
	/* refused: no room, another type, a REQUEST without an offer */
	assert_int_equal(vds_dhcp_build(pkt, 100, VDS_DHCP_DISCOVER, 1, mac,
					NULL, 0), 0);
	assert_int_equal(vds_dhcp_build(pkt, sizeof(pkt), VDS_DHCP_ACK, 1, mac,
					NULL, 0), 0);
	assert_int_equal(vds_dhcp_build(pkt, sizeof(pkt), VDS_DHCP_REQUEST, 1,
					mac, NULL, 0), 0);
}

/* reply - a server's IPv4/UDP/BOOTP reply with the given options (opts,
 * olen bytes, END added) into pkt.  Return: its length. */
static size_t reply(unsigned char *pkt, uint32_t xid, const unsigned char *opts,
		    size_t olen)
{
	size_t blen = 240 + olen + 1, len = 20 + 8 + blen;

	memset(pkt, 0, len);
	pkt[0] = 0x45;
	pkt[2] = (unsigned char)(len >> 8);
	pkt[3] = (unsigned char)len;
	pkt[9] = 17;
	pkt[21] = 67;
	pkt[23] = 68;
	pkt[24] = (unsigned char)((8 + blen) >> 8);
	pkt[25] = (unsigned char)(8 + blen);
	pkt[28] = 2;
	pkt[30] = 6;
	pkt[32] = (unsigned char)(xid >> 24);
	pkt[33] = (unsigned char)(xid >> 16);
	pkt[34] = (unsigned char)(xid >> 8);
	pkt[35] = (unsigned char)xid;
	memcpy(pkt + 44, "\x0a\x00\x02\x0f", 4); /* yiaddr 10.0.2.15 */
	memcpy(pkt + 56, mac, 6);
	memcpy(pkt + 264, "\x63\x82\x53\x63", 4);
	memcpy(pkt + 268, opts, olen);
	pkt[268 + olen] = 255;
	return len;
}

/* test_dhcp_parses_an_ack - every option used, option 119 in two
 * parts with a compression pointer. */
static void test_dhcp_parses_an_ack(void **state)
{
	static const unsigned char opts[] = {
		53, 1, 5,
		54, 4, 10, 0, 2, 2,
		1, 4, 255, 255, 255, 0,
		3, 8, 10, 0, 2, 2, 10, 0, 2, 1,
		6, 8, 10, 0, 2, 3, 10, 0, 2, 4,
		51, 4, 0, 1, 0x51, 0x80,
		26, 2, 0x05, 0xdc,
		15, 12, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g', 0,
		/* option 119 in two parts, with a pointer back to offset 2 */
		119, 8, 1, 'a', 7, 'e', 'x', 'a', 'm', 'p',
		119, 11, 'l', 'e', 3, 'o', 'r', 'g', 0, 1, 'b', 0xc0, 2,
		0, 0, /* padding */
	};
	unsigned char pkt[1024];
	size_t len = reply(pkt, 42, opts, sizeof(opts));
	struct vds_dhcp_msg m;
	char text[32];

	assert_int_equal(vds_dhcp_parse(pkt, len, 42, mac, &m), 0);
	assert_int_equal(m.type, VDS_DHCP_ACK);
	assert_string_equal(inet_ntop(AF_INET, &m.yiaddr, text, sizeof(text)),
			    "10.0.2.15");
	assert_string_equal(inet_ntop(AF_INET, &m.server, text, sizeof(text)),
			    "10.0.2.2");
	assert_int_equal(vds_dhcp_prefix(m.yiaddr, m.mask), 24);
	assert_int_equal(m.nrouters, 2);
	assert_string_equal(inet_ntop(AF_INET, &m.routers[0], text,
				      sizeof(text)), "10.0.2.2");
	assert_int_equal(m.dns.nservers, 2);
	assert_int_equal(m.lease_s, 86400);
	assert_int_equal(m.mtu, 1500);
	assert_int_equal(m.dns.ndomains, 3);
	assert_string_equal(m.dns.domains[0], "example.org");
	assert_string_equal(m.dns.domains[1], "a.example.org");
	assert_string_equal(m.dns.domains[2], "b.example.org");
}

/* test_dhcp_ignores_what_is_not_for_us - another transaction or
 * address, ports, protocol, fragments, requests, IPv6. */
static void test_dhcp_ignores_what_is_not_for_us(void **state)
{
	static const unsigned char opts[] = { 53, 1, 2 };
	unsigned char pkt[1024], other[6] = { 2, 0, 0, 0, 0, 9 };
	size_t len = reply(pkt, 7, opts, sizeof(opts));
	struct vds_dhcp_msg m;

	assert_int_equal(vds_dhcp_parse(pkt, len, 7, mac, &m), 0);
	assert_int_equal(m.type, VDS_DHCP_OFFER);
	assert_int_equal(vds_dhcp_parse(pkt, len, 8, mac, &m), -EAGAIN);
	assert_int_equal(vds_dhcp_parse(pkt, len, 7, other, &m), -EAGAIN);
	pkt[23] = 67; /* to the server port */
	assert_int_equal(vds_dhcp_parse(pkt, len, 7, mac, &m), -EAGAIN);
	pkt[23] = 68;
	pkt[9] = 6; /* TCP */
	assert_int_equal(vds_dhcp_parse(pkt, len, 7, mac, &m), -EAGAIN);
	pkt[9] = 17;
	pkt[6] = 0x20; /* more fragments */
	assert_int_equal(vds_dhcp_parse(pkt, len, 7, mac, &m), -EAGAIN);
	pkt[6] = 0;
	pkt[28] = 1; /* a request, not a reply */
	assert_int_equal(vds_dhcp_parse(pkt, len, 7, mac, &m), -EAGAIN);
	pkt[28] = 2;
	pkt[0] = 0x60; /* IPv6 */
	assert_int_equal(vds_dhcp_parse(pkt, len, 7, mac, &m), -EAGAIN);
	assert_int_equal(vds_dhcp_parse(pkt, 10, 7, mac, &m), -EAGAIN);
}

/* test_dhcp_refuses_malformed_replies - bad option lengths, no type,
 * no magic cookie. */
static void test_dhcp_refuses_malformed_replies(void **state)
{
	static const unsigned char bad_len[] = { 53, 1, 5, 6, 200, 1, 2 };
	static const unsigned char no_type[] = { 1, 4, 255, 255, 255, 0 };
	unsigned char pkt[1024];
	size_t len;
	struct vds_dhcp_msg m;

	len = reply(pkt, 1, bad_len, sizeof(bad_len));
	assert_int_equal(vds_dhcp_parse(pkt, len, 1, mac, &m), -EBADMSG);
	len = reply(pkt, 1, no_type, sizeof(no_type));
	assert_int_equal(vds_dhcp_parse(pkt, len, 1, mac, &m), -EBADMSG);
	len = reply(pkt, 1, no_type, sizeof(no_type));
	pkt[264] = 0; /* no magic cookie */
	assert_int_equal(vds_dhcp_parse(pkt, len, 1, mac, &m), -EBADMSG);
	/* IP total length beyond the data */
	len = reply(pkt, 1, no_type, sizeof(no_type));
	assert_int_equal(vds_dhcp_parse(pkt, len - 1, 1, mac, &m), -EAGAIN);
}

/* test_dhcp_search_option_loops_and_garbage_are_survived - a pointer
 * loop and a cut pointer give no domain, and no hang. */
static void test_dhcp_search_option_loops_and_garbage_are_survived(void **state)
{
	static const unsigned char loop[] = {
		53, 1, 5, 119, 4, 1, 'a', 0xc0, 0, /* pointer to itself */
	};
	static const unsigned char wild[] = {
		53, 1, 5, 119, 3, 1, 'a', 0xc0, /* pointer cut short */
	};
	unsigned char pkt[1024];
	struct vds_dhcp_msg m;
	size_t len;

	len = reply(pkt, 1, loop, sizeof(loop));
	assert_int_equal(vds_dhcp_parse(pkt, len, 1, mac, &m), 0);
	assert_int_equal(m.dns.ndomains, 0);
	len = reply(pkt, 1, wild, sizeof(wild));
	assert_int_equal(vds_dhcp_parse(pkt, len, 1, mac, &m), 0);
	assert_int_equal(m.dns.ndomains, 0);
}

/* test_dhcp_random_bytes_are_parsed_safely - random options do not
 * read out of bounds (run under ASan/valgrind). */
static void test_dhcp_random_bytes_are_parsed_safely(void **state)
{
	static const unsigned char opts[] = { 53, 1, 5 };
	unsigned char pkt[1024], copy[1024];
	size_t len = reply(pkt, 1, opts, sizeof(opts));
	struct vds_dhcp_msg m;
	unsigned seed = 1;

	for (int i = 0; i < 20000; i++) {
		memcpy(copy, pkt, len);
		/* random bytes in the options, sometimes a random length */
		for (size_t j = 268; j < len; j++)
			copy[j] = (unsigned char)rand_r(&seed);
		vds_dhcp_parse(copy, len - (size_t)(rand_r(&seed) % 4), 1, mac,
			       &m);
	}
}

/* test_dhcp_prefix_of_masks - contiguous masks, classful defaults,
 * EINVAL for a hole. */
static void test_dhcp_prefix_of_masks(void **state)
{
	struct in_addr a, m;

	inet_pton(AF_INET, "10.1.2.3", &a);
	m.s_addr = 0;
	assert_int_equal(vds_dhcp_prefix(a, m), 8);
	inet_pton(AF_INET, "172.16.0.1", &a);
	assert_int_equal(vds_dhcp_prefix(a, m), 16);
	inet_pton(AF_INET, "192.168.0.1", &a);
	assert_int_equal(vds_dhcp_prefix(a, m), 24);
	inet_pton(AF_INET, "255.255.255.252", &m);
	assert_int_equal(vds_dhcp_prefix(a, m), 30);
	inet_pton(AF_INET, "255.255.255.255", &m);
	assert_int_equal(vds_dhcp_prefix(a, m), 32);
	inet_pton(AF_INET, "255.0.255.0", &m);
	assert_int_equal(vds_dhcp_prefix(a, m), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* Router advertisements                                               */
/* ------------------------------------------------------------------ */

/* A router advertisement: lifetime 1800, prefixes fd00:1::/64 (A),
 * fd00:2::/64 (not A), fd00:3::/48 (A, not /64), MTU 1400, RDNSS
 * fd00::53 and fd00::54, RDNSS lifetime 0 fd00::99, DNSSL a.test b.test. */
static const unsigned char ra_msg[] = {
	134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0,
	3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0,
	0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	3, 4, 64, 0x80, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0,
	0xfd, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	3, 4, 48, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0,
	0xfd, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	5, 1, 0, 0, 0, 0, 0x05, 0x78,
	25, 5, 0, 0, 0, 0, 0x02, 0x58,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x54,
	25, 3, 0, 0, 0, 0, 0, 0,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99,
	31, 3, 0, 0, 0, 0, 0x02, 0x58,
	1, 'a', 4, 't', 'e', 's', 't', 0, 1, 'b', 4, 't', 'e', 's', 't', 0,
};

/* test_ndisc_parses_prefixes_mtu_and_dns - autonomous /64 prefixes
 * only, MTU, RDNSS (not withdrawn ones), DNSSL. */
static void test_ndisc_parses_prefixes_mtu_and_dns(void **state)
{
	struct vds_ra ra;
	char text[64];

	assert_int_equal(vds_ndisc_parse_ra(ra_msg, sizeof(ra_msg), &ra), 0);
	assert_true(ra.router);
	assert_int_equal(ra.nprefixes, 1);
	assert_int_equal(ra.prefixes[0].prefix, 64);
	assert_string_equal(inet_ntop(AF_INET6, ra.prefixes[0].addr, text,
				      sizeof(text)), "fd00:1::");
	assert_int_equal(ra.mtu, 1400);
	assert_int_equal(ra.dns.nservers, 2);
	assert_string_equal(inet_ntop(AF_INET6, ra.dns.servers[1].addr, text,
				      sizeof(text)), "fd00::54");
	assert_int_equal(ra.dns.ndomains, 2);
	assert_string_equal(ra.dns.domains[0], "a.test");
	assert_string_equal(ra.dns.domains[1], "b.test");
}

/* test_ndisc_refuses_malformed_and_other_messages - not an RA,
 * zero-length and overlong options; lifetime 0 is still an RA. */
static void test_ndisc_refuses_malformed_and_other_messages(void **state)
{
	unsigned char msg[sizeof(ra_msg)];
	struct vds_ra ra;

	memcpy(msg, ra_msg, sizeof(msg));
	msg[0] = 133; /* a solicitation */
	assert_int_equal(vds_ndisc_parse_ra(msg, sizeof(msg), &ra), -EAGAIN);
	assert_int_equal(vds_ndisc_parse_ra(ra_msg, 15, &ra), -EAGAIN);
	memcpy(msg, ra_msg, sizeof(msg));
	msg[17] = 0; /* an option of length 0 */
	assert_int_equal(vds_ndisc_parse_ra(msg, sizeof(msg), &ra), -EBADMSG);
	memcpy(msg, ra_msg, sizeof(msg));
	msg[17] = 40; /* beyond the message */
	assert_int_equal(vds_ndisc_parse_ra(msg, sizeof(msg), &ra), -EBADMSG);
	/* cut inside the last option */
	assert_int_equal(vds_ndisc_parse_ra(ra_msg, sizeof(ra_msg) - 4, &ra),
			 -EBADMSG);
	/* router lifetime 0: not a default router, still an RA */
	memcpy(msg, ra_msg, sizeof(msg));
	msg[6] = msg[7] = 0;
	assert_int_equal(vds_ndisc_parse_ra(msg, sizeof(msg), &ra), 0);
	assert_false(ra.router);
}

/* test_ndisc_solicitation_from_unspecified_is_valid - header fields
 * and the ICMPv6 checksum over the pseudo-header. */
static void test_ndisc_solicitation_from_unspecified_is_valid(void **state)
{
	unsigned char pkt[64];
	size_t len = vds_ndisc_build_rs(pkt, sizeof(pkt));
	uint32_t pseudo;

	assert_int_equal(len, 48);
	assert_int_equal(pkt[0] >> 4, 6);
	assert_int_equal(pkt[4] << 8 | pkt[5], 8);   /* payload length */
	assert_int_equal(pkt[6], IPPROTO_ICMPV6);
	assert_int_equal(pkt[7], 255);               /* hop limit */
	assert_memory_equal(pkt + 8, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_memory_equal(pkt + 24, "\xff\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\x02",
			    16);
	assert_int_equal(pkt[40], ND_ROUTER_SOLICIT);
	/* the checksum covers the pseudo-header: addresses, length, 58 */
	pseudo = csum(8 + IPPROTO_ICMPV6, pkt + 8, 32);
	assert_int_equal(csum(pseudo, pkt + 40, 8), 0xffff);
	assert_int_equal(vds_ndisc_build_rs(pkt, 47), 0);
}

/* ------------------------------------------------------------------ */
/* vde_stackconf under allocation failures                             */
/* ------------------------------------------------------------------ */

/* test_stackconf_fails_cleanly_at_every_allocation - ENOMEM at
 * every allocation, no descriptor left, DNS data unchanged. */
static void test_stackconf_fails_cleanly_at_every_allocation(void **state)
{
	struct vdestack *s = vde_addstack(NULL, NULL);
	char buf[256];
	int fds, n, ok = 0;

	if (!s)
		UNIT_SKIP("no stack can be made here (user namespaces off?)");
	assert_int_equal(vde_stackconf(s, "auto,dns=192.0.2.1"), 0);
	fds = unit_count_fds();
	for (n = 1; n < 100; n++) {
		int r, e;

		vds_alloc_fail_at((unsigned long)n);
		r = vde_stackconf(s, "auto,dns=192.0.2.2,domain=x.org");
		e = errno;
		vds_alloc_fail_at(0);
		if (r == 0) {
			ok = 1;
			break;
		}
		assert_int_equal(e, ENOMEM);
		/* a failed call leaves the DNS data as it was */
		assert_int_equal(vde_stackresolv(s, buf, sizeof(buf)), 21);
		assert_string_equal(buf, "nameserver 192.0.2.1\n");
		assert_int_equal(unit_count_fds(), fds);
	}
	assert_true(ok);
	assert_true(n > 2); /* conf and DNS data at least */
	assert_int_equal(vde_stackresolv(s, buf, sizeof(buf)), 34);
	assert_string_equal(buf, "nameserver 192.0.2.2\nsearch x.org\n");
	assert_int_equal(unit_count_fds(), fds);
	vde_delstack(s);
}

/* main - run the cases.  Return: cmocka's exit status. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_parses_the_iothconf_examples),
		cmocka_unit_test(test_conf_parses_every_key_and_synonym),
		cmocka_unit_test(test_conf_addresses_gateways_and_prefixes),
		cmocka_unit_test(test_conf_repeated_items_collapse),
		cmocka_unit_test(test_conf_blanks_around_items_are_ignored),
		cmocka_unit_test(test_conf_refuses_malformed_strings_with_einval),
		cmocka_unit_test(test_conf_dhcp6_is_known_but_unsupported),
		cmocka_unit_test(test_conf_limits_are_einval_beyond),
		cmocka_unit_test(test_conf_domain_names),
		cmocka_unit_test(test_conf_longest_domain_with_final_dot_is_einval),
		cmocka_unit_test(test_dns_format_is_resolv_conf_text),
		cmocka_unit_test(test_dns_format_truncates_like_snprintf),
		cmocka_unit_test(test_dhcp_discover_is_a_valid_broadcast_packet),
		cmocka_unit_test(test_dhcp_request_names_address_and_server),
		cmocka_unit_test(test_dhcp_parses_an_ack),
		cmocka_unit_test(test_dhcp_ignores_what_is_not_for_us),
		cmocka_unit_test(test_dhcp_refuses_malformed_replies),
		cmocka_unit_test(test_dhcp_search_option_loops_and_garbage_are_survived),
		cmocka_unit_test(test_dhcp_random_bytes_are_parsed_safely),
		cmocka_unit_test(test_dhcp_prefix_of_masks),
		cmocka_unit_test(test_ndisc_parses_prefixes_mtu_and_dns),
		cmocka_unit_test(test_ndisc_refuses_malformed_and_other_messages),
		cmocka_unit_test(test_ndisc_solicitation_from_unspecified_is_valid),
		cmocka_unit_test(test_stackconf_fails_cleanly_at_every_allocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
