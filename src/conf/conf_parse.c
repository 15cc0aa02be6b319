/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conf_parse.c - the configuration string of vde_stackconf(3), parsed into
 * a struct vds_conf, and the DNS data's resolv.conf text.
 *
 * Theory of operation: the string is a comma-separated list of items,
 * each a key or key=value, in the style of VirtualSquare's iothconf
 * ("eth,ip=10.0.0.1/24,gw=10.0.0.254").  One table lists every key with
 * whether it takes a value and the function that records it.  Parsing is
 * pure (no system call, no allocation) and complete before anything is
 * applied: a malformed string changes nothing in the stack.  Blanks
 * around an item are ignored; an empty item is malformed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_parse.h"
#include "base/internal.h"
#include "base/proto.h"

/* The value of dns= that names the host's resolv.conf. */
#define DNS_HOST "host"

/* Whether a key takes a value. */
enum key_arg {
	ARG_NONE,      /* key */
	ARG_VALUE,     /* key=value */
	ARG_OPTIONAL,  /* key or key=value */
};

/* One key of the configuration string. */
struct key {
	const char *name;
	enum key_arg arg;
	/* Record the item; val is NULL for a bare key, else not
	 * NUL-terminated: len bytes.  Return: 0 or -errno. */
	int (*fn)(struct vds_conf *c, const char *val, size_t len);
	unsigned flag; /* for keys sharing a function */
};

/* set_ifname - record the interface name, once.
 * Return: 0 or -EINVAL (bad name, or a second, different one). */
static int set_ifname(struct vds_conf *c, const char *val, size_t len)
{
	char name[sizeof(c->ifname)];

	if (len == 0 || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, val, len);
	name[len] = '\0';
	if (vds_ifname_check(name) < 0)
		return -EINVAL;
	if (c->ifname[0] && strcmp(c->ifname, name) != 0)
		return -EINVAL;
	memcpy(c->ifname, name, len + 1);
	return 0;
}

/* key_eth - "eth" (bring the interface up) or "eth=NAME".
 * Return: 0 or -EINVAL. */
static int key_eth(struct vds_conf *c, const char *val, size_t len)
{
	c->eth = true;
	return val ? set_ifname(c, val, len) : 0;
}

/* key_iface - "iface=NAME": the interface (brought up, as by every key
 * that touches it: conf.c).  Return: 0 or -EINVAL. */
static int key_iface(struct vds_conf *c, const char *val, size_t len)
{
	return set_ifname(c, val, len);
}

/* key_ip - "ip=ADDR[/PREFIX]", repeatable.  Return: 0 or -EINVAL. */
static int key_ip(struct vds_conf *c, const char *val, size_t len)
{
	struct vds_ipaddr a;
	int err = vds_conf_parse_ip(val, len, true, &a);

	if (err < 0)
		return err;
	for (unsigned i = 0; i < c->naddrs; i++)
		if (!memcmp(&c->addrs[i], &a, sizeof(a)))
			return 0;
	if (c->naddrs == VDS_CONF_MAX_ADDRS)
		return -EINVAL;
	c->addrs[c->naddrs++] = a;
	return 0;
}

/* key_gw - "gw=ADDR": the default route of ADDR's family, one per
 * family.  Return: 0 or -EINVAL. */
static int key_gw(struct vds_conf *c, const char *val, size_t len)
{
	struct vds_ipaddr a;
	int err = vds_conf_parse_ip(val, len, false, &a);

	if (err < 0)
		return err;
	for (unsigned i = 0; i < c->ngws; i++) {
		if (c->gws[i].family != a.family)
			continue;
		return memcmp(&c->gws[i], &a, sizeof(a)) ? -EINVAL : 0;
	}
	c->gws[c->ngws++] = a; /* at most one per family: room for both */
	return 0;
}

/* parse_uint - a decimal number of len bytes in [min, max].
 * Return: 0 or -EINVAL. */
static int parse_uint(const char *val, size_t len, unsigned min,
		      unsigned max, unsigned *ret)
{
	unsigned long n = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (val[i] < '0' || val[i] > '9')
			return -EINVAL;
		n = n * 10 + (unsigned long)(val[i] - '0');
	}
	if (n < min || n > max)
		return -EINVAL;
	*ret = (unsigned)n;
	return 0;
}

/* key_mtu - "mtu=N", once.  Return: 0 or -EINVAL. */
static int key_mtu(struct vds_conf *c, const char *val, size_t len)
{
	unsigned mtu;

	if (parse_uint(val, len, 1, 65535, &mtu) < 0)
		return -EINVAL;
	if (c->mtu && c->mtu != mtu)
		return -EINVAL;
	c->mtu = mtu;
	return 0;
}

/* hexval - the value of a hexadecimal digit.  Return: 0..15 or -1. */
static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* key_mac - "mac=XX:XX:XX:XX:XX:XX", once.  Return: 0 or -EINVAL. */
static int key_mac(struct vds_conf *c, const char *val, size_t len)
{
	unsigned char mac[6];

	if (len != 17)
		return -EINVAL;
	for (unsigned i = 0; i < 6; i++) {
		int hi = hexval(val[3 * i]), lo = hexval(val[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && val[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	if (c->have_mac && memcmp(c->mac, mac, 6) != 0)
		return -EINVAL;
	memcpy(c->mac, mac, 6);
	c->have_mac = true;
	return 0;
}

/* key_dhcp - "dhcp" (also dhcp4, dhcpv4).  Return: 0. */
static int key_dhcp(struct vds_conf *c, const char *val, size_t len)
{
	c->dhcp = true;
	return 0;
}

/* key_dhcp6 - "dhcp6": known, not done by this library.
 * Return: -EOPNOTSUPP. */
static int key_dhcp6(struct vds_conf *c, const char *val, size_t len)
{
	return -EOPNOTSUPP;
}

/* key_rd - "rd" (also rd6, slaac): IPv6 router discovery.  Return: 0. */
static int key_rd(struct vds_conf *c, const char *val, size_t len)
{
	c->rd = true;
	return 0;
}

/* key_forward - "forward" or "forward=1" (on), "forward=0" (off), once.
 * Return: 0 or -EINVAL. */
static int key_forward(struct vds_conf *c, const char *val, size_t len)
{
	enum vds_conf_forward f = VDS_CONF_FORWARD_ON;

	if (val && len == 1 && val[0] == '0')
		f = VDS_CONF_FORWARD_OFF;
	else if (val && !(len == 1 && val[0] == '1'))
		return -EINVAL;
	if (c->forward && c->forward != f)
		return -EINVAL;
	c->forward = f;
	return 0;
}

/* key_auto - "auto", "auto4", "auto6" (flag in the table: which one);
 * what they mean is decided with the stack's backend (conf.c).
 * Return: 0. */
static int key_auto(struct vds_conf *c, const char *val, size_t len)
{
	return 0; /* the flag is recorded by the caller */
}

/* key_dns - "dns=ADDR", repeatable, or "dns=host" (the host's
 * resolv.conf, read and applied by conf.c).  Return: 0 or -EINVAL. */
static int key_dns(struct vds_conf *c, const char *val, size_t len)
{
	struct vds_ipaddr a;
	int err;

	if (len == strlen(DNS_HOST) && !memcmp(val, DNS_HOST, len)) {
		c->dns_host = true;
		return 0;
	}
	err = vds_conf_parse_ip(val, len, false, &a);
	if (err < 0)
		return err;
	return vds_dns_add_server(&c->dns, &a) < 0 ? -EINVAL : 0;
}

/* key_domain - "domain=NAME" (also search=), repeatable.
 * Return: 0 or -EINVAL. */
static int key_domain(struct vds_conf *c, const char *val, size_t len)
{
	char name[VDS_CONF_DOMAIN_MAX + 1];

	if (vds_conf_check_domain(val, len) < 0)
		return -EINVAL;
	memcpy(name, val, len);
	name[len] = '\0';
	return vds_dns_add_domain(&c->dns, name) < 0 ? -EINVAL : 0;
}

/* key_timeout - "timeout=SECONDS" for dhcp and rd, once.
 * Return: 0 or -EINVAL. */
static int key_timeout(struct vds_conf *c, const char *val, size_t len)
{
	unsigned s;

	if (parse_uint(val, len, 1, VDS_CONF_TIMEOUT_MAX_S, &s) < 0)
		return -EINVAL;
	c->timeout_ms = s * 1000;
	return 0;
}

static const struct key keys[] = {
	{ .name = "eth", .arg = ARG_OPTIONAL, .fn = key_eth },
	{ .name = "iface", .arg = ARG_VALUE, .fn = key_iface },
	{ .name = "ip", .arg = ARG_VALUE, .fn = key_ip },
	{ .name = "gw", .arg = ARG_VALUE, .fn = key_gw },
	{ .name = "mtu", .arg = ARG_VALUE, .fn = key_mtu },
	{ .name = "mac", .arg = ARG_VALUE, .fn = key_mac },
	{ .name = "macaddr", .arg = ARG_VALUE, .fn = key_mac },
	{ .name = "dhcp", .arg = ARG_NONE, .fn = key_dhcp },
	{ .name = "dhcp4", .arg = ARG_NONE, .fn = key_dhcp },
	{ .name = "dhcpv4", .arg = ARG_NONE, .fn = key_dhcp },
	{ .name = "dhcp6", .arg = ARG_NONE, .fn = key_dhcp6 },
	{ .name = "dhcpv6", .arg = ARG_NONE, .fn = key_dhcp6 },
	{ .name = "rd", .arg = ARG_NONE, .fn = key_rd },
	{ .name = "rd6", .arg = ARG_NONE, .fn = key_rd },
	{ .name = "slaac", .arg = ARG_NONE, .fn = key_rd },
	{ .name = "auto", .arg = ARG_NONE, .fn = key_auto,
	  .flag = VDS_CONF_AUTO },
	{ .name = "auto4", .arg = ARG_NONE, .fn = key_auto,
	  .flag = VDS_CONF_AUTO4 },
	{ .name = "autov4", .arg = ARG_NONE, .fn = key_auto,
	  .flag = VDS_CONF_AUTO4 },
	{ .name = "auto6", .arg = ARG_NONE, .fn = key_auto,
	  .flag = VDS_CONF_AUTO6 },
	{ .name = "autov6", .arg = ARG_NONE, .fn = key_auto,
	  .flag = VDS_CONF_AUTO6 },
	{ .name = "dns", .arg = ARG_VALUE, .fn = key_dns },
	{ .name = "domain", .arg = ARG_VALUE, .fn = key_domain },
	{ .name = "search", .arg = ARG_VALUE, .fn = key_domain },
	{ .name = "timeout", .arg = ARG_VALUE, .fn = key_timeout },
	{ .name = "forward", .arg = ARG_OPTIONAL, .fn = key_forward },
};

/* is_blank - a blank that may surround an item.  Return: true if so. */
static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* parse_item - record one item of len bytes (blanks trimmed).
 * Return: 0, -EINVAL, or -EOPNOTSUPP. */
static int parse_item(struct vds_conf *c, const char *item, size_t len)
{
	const char *eq = memchr(item, '=', len);
	size_t klen = eq ? (size_t)(eq - item) : len;

	for (size_t i = 0; i < VDS_ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];

		if (strlen(k->name) != klen || memcmp(k->name, item, klen))
			continue;
		if ((eq && k->arg == ARG_NONE) || (!eq && k->arg == ARG_VALUE))
			return -EINVAL;
		c->autos |= k->flag;
		if (!eq)
			return k->fn(c, NULL, 0);
		return k->fn(c, eq + 1, len - klen - 1);
	}
	return -EINVAL;
}

/* vds_conf_parse - parse a whole configuration string into *ret.
 * Return: 0, -EINVAL (malformed, or beyond a limit), -EOPNOTSUPP. */
int vds_conf_parse(const char *text, struct vds_conf *ret)
{
	const char *p = text;
	unsigned items = 0;
	int err;

	*ret = (struct vds_conf){ .timeout_ms = VDS_CONF_TIMEOUT_MS };
	if (!text)
		return -EINVAL;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && is_blank(*p)) {
			p++;
			len--;
		}
		while (len && is_blank(p[len - 1]))
			len--;
		if (len == 0)
			return -EINVAL; /* an empty item, or an empty string */
		for (size_t i = 0; i < len; i++)
			if (iscntrl((unsigned char)p[i]) || p[i] == ' ')
				return -EINVAL;
		err = parse_item(ret, p, len);
		if (err < 0)
			return err;
		items++;
		if (!end)
			break;
		p = end + 1;
	}
	return items ? 0 : -EINVAL;
}

/* vds_conf_parse_ip - "ADDR" or "ADDR/PREFIX" of len bytes.
 * Return: 0 or -EINVAL. */
int vds_conf_parse_ip(const char *text, size_t len, bool allow_prefix,
		      struct vds_ipaddr *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(text, '/', len);
	size_t alen = slash ? (size_t)(slash - text) : len;
	unsigned max;

	if (alen == 0 || alen >= sizeof(buf) || (slash && !allow_prefix))
		return -EINVAL;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	*ret = (struct vds_ipaddr){ .family = AF_INET };
	if (inet_pton(AF_INET, buf, ret->addr) != 1) {
		ret->family = AF_INET6;
		if (inet_pton(AF_INET6, buf, ret->addr) != 1)
			return -EINVAL;
	}
	max = ret->family == AF_INET ? 32 : 128;
	ret->prefix = max;
	if (slash)
		return parse_uint(slash + 1, len - alen - 1, 0, max,
				  &ret->prefix);
	return 0;
}

/* vds_conf_check_domain - a domain name of len bytes, host-name rules
 * (plus '_'), at most VDS_CONF_DOMAIN_MAX bytes with its final dot if it
 * has one: what a struct vds_dns keeps, as it was given.
 * Return: 0 or -EINVAL. */
int vds_conf_check_domain(const char *name, size_t len)
{
	size_t label = 0;

	if (len > VDS_CONF_DOMAIN_MAX)
		return -EINVAL;
	if (len && name[len - 1] == '.')
		len--; /* a final dot is allowed */
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_')
			return -EINVAL;
		if (++label > 63)
			return -EINVAL;
	}
	return label ? 0 : -EINVAL;
}

/* vds_dns_add_domain - append name unless present.
 * Return: 0 or -E2BIG. */
int vds_dns_add_domain(struct vds_dns *dns, const char *name)
{
	size_t len = strlen(name);

	if (len > VDS_CONF_DOMAIN_MAX)
		return -E2BIG;
	for (unsigned i = 0; i < dns->ndomains; i++)
		if (!strcmp(dns->domains[i], name))
			return 0;
	if (dns->ndomains == VDS_CONF_MAX_DOMAINS)
		return -E2BIG;
	memcpy(dns->domains[dns->ndomains++], name, len + 1);
	return 0;
}

/* vds_dns_add_server - append a server unless present.
 * Return: 0 or -E2BIG. */
int vds_dns_add_server(struct vds_dns *dns, const struct vds_ipaddr *a)
{
	size_t alen = a->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < dns->nservers; i++)
		if (dns->servers[i].family == a->family &&
		    !memcmp(dns->servers[i].addr, a->addr, alen))
			return 0;
	if (dns->nservers == VDS_CONF_MAX_DNS)
		return -E2BIG;
	dns->servers[dns->nservers] = *a;
	dns->servers[dns->nservers].prefix = (unsigned)alen * 8;
	dns->nservers++;
	return 0;
}

/* append - snprintf-style append of text at *len in buf (size).
 * Return: nothing; *len grows by the text's length in any case. */
static void append(char *buf, size_t size, size_t *len, const char *text)
{
	size_t n = strlen(text);

	if (*len < size) {
		size_t room = size - *len - 1;

		memcpy(buf + *len, text, n < room ? n : room);
		buf[*len + (n < room ? n : room)] = '\0';
	}
	*len += n;
}

/* vds_dns_format - resolv.conf(5) text: "nameserver" lines, then one
 * "search" line.  Return: the text's length (snprintf-like). */
size_t vds_dns_format(const struct vds_dns *dns, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	if (!dns)
		return 0;
	for (unsigned i = 0; i < dns->nservers; i++) {
		const struct vds_ipaddr *a = &dns->servers[i];
		char text[INET6_ADDRSTRLEN];
		bool scoped = a->family == AF_INET6 && a->addr[0] == 0xfe &&
			      (a->addr[1] & 0xc0) == 0x80 && dns->ifname[0];

		if (!inet_ntop(a->family, a->addr, text, sizeof(text)))
			continue;
		append(buf, size, &len, "nameserver ");
		append(buf, size, &len, text);
		if (scoped) {
			append(buf, size, &len, "%");
			append(buf, size, &len, dns->ifname);
		}
		append(buf, size, &len, "\n");
	}
	if (dns->ndomains) {
		append(buf, size, &len, "search");
		for (unsigned i = 0; i < dns->ndomains; i++) {
			append(buf, size, &len, " ");
			append(buf, size, &len, dns->domains[i]);
		}
		append(buf, size, &len, "\n");
	}
	return len;
}
