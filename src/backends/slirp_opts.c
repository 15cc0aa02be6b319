/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slirp_opts.c - the options of a slirp:// URL: libvdeplug_slirp(1)'s
 * syntax and meaning, every value checked.
 *
 * Theory of operation: the URL is cut into options at each '/' that is
 * neither quoted ('...' or "...") nor escaped (backslash), as libvdeplug's
 * vde_parseparms() does, quotes and escapes removed.  Each option is looked
 * up by its exact name in one table that says what its value must be, and
 * checked at once; nothing is ignored, so a typo fails vde_addstack() with
 * EINVAL instead of running a stack configured otherwise.  The values are
 * then applied in the order libvdeplug_slirp applies them, whatever their
 * order in the URL: addr= moves the network (and the DHCP start and the DNS
 * address with it, keeping their host part), then dhcp= and vnameserver=
 * override.  Differences with the plugin, all of them refusals of what it
 * accepted silently: abbreviated option names, a value on a flag, a
 * missing value, junk after a number, forwards it could not parse (it
 * skipped them), a path before the options.  tcpfwd=, udpfwd=, cmdfwd= and
 * unixfwd= given more than once add up (the plugin kept the last).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "slirp_opts.h"

#define HOSTNAME_MAX 32     /* libslirp keeps 32 bytes of it */
#define DOMAIN_MAX 253      /* RFC 1035, in text, without the final dot */
#define LABEL_MAX 63
#define PORT_MAX 65535
#define SNAME_MAX 63        /* tftp_server_name: BOOTP's sname field */
#define FILE_MAX 127        /* bootfile: BOOTP's file field */
#define TFTP_PATH_MAX 4095  /* a path */
/* An addr= (addr6=) without /prefix: 24 (64); the longest prefix that
 * leaves room for the host, the DHCP start and the DNS address. */
#define NET4_PREFIX_DEFAULT 24
#define NET4_PREFIX_MAX 30
#define NET6_PREFIX_DEFAULT 64
#define NET6_PREFIX_MAX 126

/* What an option's value must be. */
enum kind {
	K_FLAG,     /* no value */
	K_NET4,     /* IPv4 address, optional /prefix */
	K_NET6,     /* IPv6 address, optional /prefix */
	K_IP4,      /* IPv4 address */
	K_IP6,      /* IPv6 address */
	K_HOSTNAME, /* 1..32 characters of a host name */
	K_DOMAIN,   /* a domain name */
	K_DOMAINS,  /* comma-separated domain names */
	K_TEXT,     /* non-empty text, at most max bytes */
	K_MTU,      /* 68..65521 */
	K_FWD,      /* [hostIP:]hostport:guestIP:guestport[,...] */
	K_GFWD,     /* [slirpIP:]slirpport:target[,...] */
};

enum opt_id {
	O_RESTRICTED, O_V4, O_V6, O_HOST, O_HOST6, O_HOSTNAME, O_TFTP_NAME,
	O_TFTP_PATH, O_BOOTFILE, O_DHCP, O_VNS, O_VNS6, O_DNSSEARCH,
	O_DOMAIN, O_MTU, O_MRU, O_NOLOOP, O_TCPFWD, O_UDPFWD, O_UNIXFWD,
	O_CMDFWD, O_VERBOSE, O_COUNT
};

struct optdef {
	const char *name;
	enum kind kind;
	enum opt_id id;
	size_t max; /* K_TEXT: longest value */
};

/* Every option of libvdeplug_slirp(1) (Debian 12), and "restricted". */
static const struct optdef optdefs[] = {
	{ "restricted", K_FLAG, O_RESTRICTED, 0 },
	{ "v4", K_FLAG, O_V4, 0 },
	{ "v6", K_FLAG, O_V6, 0 },
	{ "host", K_NET4, O_HOST, 0 },
	{ "addr", K_NET4, O_HOST, 0 },
	{ "host6", K_NET6, O_HOST6, 0 },
	{ "addr6", K_NET6, O_HOST6, 0 },
	{ "hostname", K_HOSTNAME, O_HOSTNAME, 0 },
	{ "tftp_server_name", K_TEXT, O_TFTP_NAME, SNAME_MAX },
	{ "tftp_path", K_TEXT, O_TFTP_PATH, TFTP_PATH_MAX },
	{ "bootfile", K_TEXT, O_BOOTFILE, FILE_MAX },
	{ "dhcp", K_IP4, O_DHCP, 0 },
	{ "vnameserver", K_IP4, O_VNS, 0 },
	{ "vnameserver6", K_IP6, O_VNS6, 0 },
	{ "vdnssearch", K_DOMAINS, O_DNSSEARCH, 0 },
	{ "vdomainname", K_DOMAIN, O_DOMAIN, 0 },
	{ "mtu", K_MTU, O_MTU, 0 },
	{ "mru", K_MTU, O_MRU, 0 },
	{ "disable_host_loopback", K_FLAG, O_NOLOOP, 0 },
	{ "tcpfwd", K_FWD, O_TCPFWD, 0 },
	{ "udpfwd", K_FWD, O_UDPFWD, 0 },
	{ "unixfwd", K_GFWD, O_UNIXFWD, 0 },
	{ "cmdfwd", K_GFWD, O_CMDFWD, 0 },
	{ "verbose", K_FLAG, O_VERBOSE, 0 },
};

/* The parser's scratch state: the last value of each option. */
struct scratch {
	const char *val[O_COUNT];
	bool seen[O_COUNT];
};

/* tokenize - unquote s into buf (at least strlen(s) + 1 bytes), one NUL
 * after each option (unquoted '/' separates them, empty ones vanish).
 * Return: the bytes used in buf, or -EINVAL for an unterminated quote or
 * a trailing backslash. */
static int tokenize(const char *s, char *buf)
{
	enum { CHAR, QUOTE, DQUOTE, ESC } st = CHAR;
	char *to = buf, *start = buf;

	for (; *s; s++) {
		char c = *s;

		switch (st) {
		case CHAR:
			if (c == '\'')
				st = QUOTE;
			else if (c == '"')
				st = DQUOTE;
			else if (c == '\\')
				st = ESC;
			else if (c == '/') {
				if (to > start) {
					*to++ = '\0';
					start = to;
				}
			} else {
				*to++ = c;
			}
			break;
		case QUOTE:
			if (c == '\'')
				st = CHAR;
			else
				*to++ = c;
			break;
		case DQUOTE:
			if (c == '"')
				st = CHAR;
			else
				*to++ = c;
			break;
		case ESC:
			*to++ = c;
			st = CHAR;
			break;
		}
	}
	if (st != CHAR)
		return -EINVAL;
	if (to > start)
		*to++ = '\0';
	return (int)(to - buf);
}

/* parse_uint - a decimal number in [min, max], nothing else.
 * Return: it, or -EINVAL. */
static long parse_uint(const char *s, size_t len, long min, long max)
{
	long v = 0;

	if (len == 0 || len > 9)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	return v >= min && v <= max ? v : -EINVAL;
}

/* parse_ip - an address of family af in s[0..len).  Return: 0/-EINVAL. */
static int parse_ip(int af, const char *s, size_t len, void *ret)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(af, buf, ret) == 1 ? 0 : -EINVAL;
}

/* parse_net - "ADDR[/PREFIX]" of family af, prefix in [1, max_prefix]
 * (def when absent).  Return: 0 or -EINVAL. */
static int parse_net(int af, const char *s, void *addr, unsigned def,
		     unsigned max_prefix, unsigned *prefix)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	long p = def;

	if (parse_ip(af, s, alen, addr) < 0)
		return -EINVAL;
	if (slash) {
		p = parse_uint(slash + 1, strlen(slash + 1), 1, max_prefix);
		if (p < 0)
			return -EINVAL;
	}
	*prefix = (unsigned)p;
	return 0;
}

/* check_hostname - 1..32 letters, digits, '-', '.', '_' (libslirp keeps
 * 32 bytes).  Return: 0 or -EINVAL. */
static int check_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HOSTNAME_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-._") != n)
		return -EINVAL;
	return 0;
}

/* check_domain - a domain name in s[0..len): labels of 1..63 letters,
 * digits, '-', '_', separated by single dots (one trailing dot allowed),
 * 253 characters at most.  Return: 0 or -EINVAL. */
static int check_domain(const char *s, size_t len)
{
	size_t label = 0;

	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -EINVAL;
		if (++label > LABEL_MAX)
			return -EINVAL;
	}
	return label ? 0 : -EINVAL;
}

/* each_item - call fn on each comma-separated item of list (none may be
 * empty).  Return: 0, or the first error. */
static int each_item(const char *list,
		     int (*fn)(const char *s, size_t len, void *arg), void *arg)
{
	if (!*list)
		return -EINVAL;
	for (;;) {
		const char *comma = strchr(list, ',');
		size_t len = comma ? (size_t)(comma - list) : strlen(list);
		int err;

		if (len == 0)
			return -EINVAL;
		err = fn(list, len, arg);
		if (err < 0)
			return err;
		if (!comma)
			return 0;
		list = comma + 1;
	}
}

/* domain_item - each_item callback: check one domain.  Return: 0/-EINVAL. */
static int domain_item(const char *s, size_t len, void *arg)
{
	unsigned *count = arg;

	(*count)++;
	return check_domain(s, len);
}

/* Accumulator for forward lists. */
struct fwd_acc {
	struct vds_slirp_opts *o;
	int proto;     /* K_FWD */
	bool is_cmd;   /* K_GFWD */
};

/* fwd_item - each_item callback: one tcpfwd=/udpfwd= forward, appended.
 * Return: 0, -EINVAL, -ENOMEM. */
static int fwd_item(const char *s, size_t len, void *arg)
{
	struct fwd_acc *a = arg;
	struct vds_slirp_opts *o = a->o;
	struct vds_fwdspec spec, *p;
	int err = vds_fwd_parse_item(s, len, a->proto, false, &spec);

	if (err < 0)
		return err;
	p = vds_realloc(o->fwds, (o->nfwds + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	o->fwds = p;
	p[o->nfwds++] = spec;
	return 0;
}

/* gfwd_item - each_item callback: one cmdfwd=/unixfwd= item,
 * "[slirpIP:]slirpport:target", appended.  Return: 0/-EINVAL/-ENOMEM. */
static int gfwd_item(const char *s, size_t len, void *arg)
{
	struct fwd_acc *a = arg;
	struct vds_slirp_opts *o = a->o;
	struct vds_slirp_guestfwd g = { .is_cmd = a->is_cmd }, *p;
	const char *c1 = memchr(s, ':', len), *c2, *port, *target;
	long v;

	if (!c1)
		return -EINVAL;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - s));
	/* "ADDR:PORT:TARGET" (ADDR may be empty), or "PORT:TARGET" */
	if (c2 && (c1 == s || parse_ip(AF_INET, s, (size_t)(c1 - s),
					&g.addr) == 0)) {
		port = c1 + 1;
		target = c2 + 1;
		v = parse_uint(port, (size_t)(c2 - port), 1, PORT_MAX);
	} else {
		g.addr.s_addr = htonl(INADDR_ANY);
		target = c1 + 1;
		v = parse_uint(s, (size_t)(c1 - s), 1, PORT_MAX);
	}
	if (v < 0 || target >= s + len)
		return -EINVAL;
	g.port = (int)v;
	g.target = vds_malloc((size_t)(s + len - target) + 1);
	if (!g.target)
		return -ENOMEM;
	memcpy(g.target, target, (size_t)(s + len - target));
	g.target[s + len - target] = '\0';
	p = vds_realloc(o->gfwds, (o->ngfwds + 1) * sizeof(*p));
	if (!p) {
		vds_free(g.target);
		return -ENOMEM;
	}
	o->gfwds = p;
	p[o->ngfwds++] = g;
	return 0;
}

/* check_value - check one option's value by its kind (forward lists are
 * parsed and added to o here).  Return: 0, -EINVAL, -ENOMEM. */
static int check_value(const struct optdef *d, const char *v,
		       struct vds_slirp_opts *o)
{
	union {
		struct in_addr a4;
		struct in6_addr a6;
	} tmp;
	unsigned prefix, count = 0;

	switch (d->kind) {
	case K_FLAG:
		return 0;
	case K_NET4:
		return parse_net(AF_INET, v, &tmp.a4, NET4_PREFIX_DEFAULT,
				 NET4_PREFIX_MAX, &prefix);
	case K_NET6:
		return parse_net(AF_INET6, v, &tmp.a6, NET6_PREFIX_DEFAULT,
				 NET6_PREFIX_MAX, &prefix);
	case K_IP4:
		return parse_ip(AF_INET, v, strlen(v), &tmp.a4);
	case K_IP6:
		return parse_ip(AF_INET6, v, strlen(v), &tmp.a6);
	case K_HOSTNAME:
		return check_hostname(v);
	case K_DOMAIN:
		return check_domain(v, strlen(v));
	case K_DOMAINS:
		return each_item(v, domain_item, &count);
	case K_TEXT:
		return *v && strlen(v) <= d->max ? 0 : -EINVAL;
	case K_MTU:
		return parse_uint(v, strlen(v), VDS_SLIRP_MTU_MIN,
				  VDS_SLIRP_MTU_MAX) < 0 ? -EINVAL : 0;
	case K_FWD: {
		struct fwd_acc a = { .o = o, .proto = d->id == O_TCPFWD ?
				     IPPROTO_TCP : IPPROTO_UDP };

		return each_item(v, fwd_item, &a);
	}
	case K_GFWD: {
		struct fwd_acc a = { .o = o, .is_cmd = d->id == O_CMDFWD };

		return each_item(v, gfwd_item, &a);
	}
	}
	return -EINVAL;
}

/* mask4 - Return: the IPv4 netmask of prefix, network order. */
static struct in_addr mask4(unsigned prefix)
{
	struct in_addr m = {
		.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0)
	};

	return m;
}

/* move_host_part - dst gets net's network part and keeps its own host
 * part (mask: len bytes, 1 bits for the network). */
static void move_host_part(void *dst, const void *net, const void *mask,
			   size_t len)
{
	unsigned char *d = dst;
	const unsigned char *n = net, *m = mask;

	for (size_t i = 0; i < len; i++)
		d[i] = (unsigned char)((n[i] & m[i]) | (d[i] & ~m[i]));
}

/* in_net4 - Return: whether a is in the network of o. */
static bool in_net4(const struct vds_slirp_opts *o, struct in_addr a)
{
	return (a.s_addr & o->vnetmask.s_addr) == o->vnetwork.s_addr;
}

/* strdup_opt - *dst = a copy of src (NULL stays NULL).
 * Return: 0 or -ENOMEM. */
static int strdup_opt(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = vds_strdup(src);
	return *dst ? 0 : -ENOMEM;
}

/* split_domains - the NULL-ended array of a comma-separated list.
 * Return: 0 or -ENOMEM. */
static int split_domains(const char *list, char ***ret)
{
	size_t n = 1;
	char **v;

	for (const char *p = list; *p; p++)
		n += *p == ',';
	v = vds_calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*ret = v;
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(list, ",");

		v[i] = vds_malloc(len + 1);
		if (!v[i])
			return -ENOMEM;
		memcpy(v[i], list, len);
		v[i][len] = '\0';
		list += len + (list[len] == ',');
	}
	return 0;
}

/* apply - set o from the checked values, in libvdeplug_slirp's order.
 * Return: 0, -EINVAL (an address outside the network), -ENOMEM. */
static int apply(const struct scratch *sc, struct vds_slirp_opts *o)
{
	unsigned prefix;
	int err;

	o->restricted = sc->seen[O_RESTRICTED];
	if (sc->seen[O_V4] && !sc->seen[O_V6])
		o->in6_enabled = false;
	if (sc->seen[O_V6] && !sc->seen[O_V4])
		o->in_enabled = false;
	if (sc->val[O_HOST]) {
		struct in_addr bcast;

		parse_net(AF_INET, sc->val[O_HOST], &o->vhost,
			  NET4_PREFIX_DEFAULT, NET4_PREFIX_MAX, &prefix);
		o->vnetmask = mask4(prefix);
		o->vnetwork.s_addr = o->vhost.s_addr & o->vnetmask.s_addr;
		bcast.s_addr = o->vnetwork.s_addr | ~o->vnetmask.s_addr;
		if (o->vhost.s_addr == o->vnetwork.s_addr ||
		    o->vhost.s_addr == bcast.s_addr)
			return -EINVAL;
		move_host_part(&o->vdhcp_start, &o->vhost, &o->vnetmask, 4);
		move_host_part(&o->vnameserver, &o->vhost, &o->vnetmask, 4);
	}
	if (sc->val[O_HOST6]) {
		struct in6_addr m6 = IN6ADDR_ANY_INIT;

		parse_net(AF_INET6, sc->val[O_HOST6], &o->vhost6,
			  NET6_PREFIX_DEFAULT, NET6_PREFIX_MAX, &prefix);
		o->vprefix_len = prefix;
		for (unsigned i = 0; i < prefix; i++)
			m6.s6_addr[i / 8] |= (unsigned char)(0x80 >> (i % 8));
		o->vprefix_addr6 = in6addr_any;
		move_host_part(&o->vprefix_addr6, &o->vhost6, &m6, 16);
		move_host_part(&o->vnameserver6, &o->vhost6, &m6, 16);
	}
	if (sc->val[O_DHCP])
		inet_pton(AF_INET, sc->val[O_DHCP], &o->vdhcp_start);
	if (sc->val[O_VNS])
		inet_pton(AF_INET, sc->val[O_VNS], &o->vnameserver);
	if (sc->val[O_VNS6])
		inet_pton(AF_INET6, sc->val[O_VNS6], &o->vnameserver6);
	if (!in_net4(o, o->vdhcp_start) || !in_net4(o, o->vnameserver) ||
	    o->vdhcp_start.s_addr == o->vhost.s_addr)
		return -EINVAL;
	if (sc->val[O_MTU])
		o->mtu = (unsigned)parse_uint(sc->val[O_MTU],
					      strlen(sc->val[O_MTU]), 0,
					      VDS_SLIRP_MTU_MAX);
	o->mru = o->mtu;
	if (sc->val[O_MRU])
		o->mru = (unsigned)parse_uint(sc->val[O_MRU],
					      strlen(sc->val[O_MRU]), 0,
					      VDS_SLIRP_MTU_MAX);
	o->disable_host_loopback = sc->seen[O_NOLOOP];
	o->verbose = sc->seen[O_VERBOSE];
	if (sc->val[O_HOSTNAME]) {
		vds_free(o->vhostname);
		o->vhostname = NULL;
	}
	err = strdup_opt(&o->vhostname, sc->val[O_HOSTNAME]);
	if (!err)
		err = strdup_opt(&o->tftp_server_name, sc->val[O_TFTP_NAME]);
	if (!err)
		err = strdup_opt(&o->tftp_path, sc->val[O_TFTP_PATH]);
	if (!err)
		err = strdup_opt(&o->bootfile, sc->val[O_BOOTFILE]);
	if (!err)
		err = strdup_opt(&o->vdomainname, sc->val[O_DOMAIN]);
	if (!err && sc->val[O_DNSSEARCH])
		err = split_domains(sc->val[O_DNSSEARCH], &o->vdnssearch);
	return err;
}

/* set_defaults - libvdeplug_slirp's defaults (libvdeslirp's
 * VDE_INIT_DEFAULT), with our interface MTU.  Return: 0 or -ENOMEM. */
static int set_defaults(struct vds_slirp_opts *o)
{
	*o = (struct vds_slirp_opts){
		.in_enabled = true,
		.in6_enabled = true,
		.vprefix_len = NET6_PREFIX_DEFAULT,
		.mtu = VDS_SLIRP_MTU_DEFAULT,
		.mru = VDS_SLIRP_MTU_DEFAULT,
	};
	inet_pton(AF_INET, "10.0.2.0", &o->vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &o->vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &o->vhost);
	inet_pton(AF_INET, "10.0.2.15", &o->vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &o->vnameserver);
	inet_pton(AF_INET6, "fd00::", &o->vprefix_addr6);
	inet_pton(AF_INET6, "fd00::2", &o->vhost6);
	inet_pton(AF_INET6, "fd00::3", &o->vnameserver6);
	o->vhostname = vds_strdup("slirp");
	return o->vhostname ? 0 : -ENOMEM;
}

/* vds_slirp_opts_parse - a slirp:// URL's configuration, every option
 * checked.  Return: 0, -EINVAL, -ENOMEM (nothing to free on failure). */
int vds_slirp_opts_parse(const char *rest, struct vds_slirp_opts *ret)
{
	struct scratch sc = { 0 };
	struct vds_slirp_opts o;
	char *buf = NULL;
	int used, err;

	if (!rest)
		return -EINVAL;
	if (*rest && *rest != '/')
		return -EINVAL; /* nothing may come before the options */
	err = set_defaults(&o);
	if (err < 0)
		goto fail;
	buf = vds_malloc(strlen(rest) + 1);
	if (!buf) {
		err = -ENOMEM;
		goto fail;
	}
	used = tokenize(rest, buf);
	if (used < 0) {
		err = used;
		goto fail;
	}
	for (char *t = buf; t < buf + used; t += strlen(t) + 1) {
		char *eq = strchr(t, '=');
		size_t nlen = eq ? (size_t)(eq - t) : strlen(t);
		const struct optdef *d = NULL;

		for (size_t i = 0; i < VDS_ARRAY_SIZE(optdefs); i++) {
			if (strlen(optdefs[i].name) == nlen &&
			    !strncmp(optdefs[i].name, t, nlen)) {
				d = &optdefs[i];
				break;
			}
		}
		err = -EINVAL;
		if (!d || (d->kind == K_FLAG) != !eq)
			goto fail;
		err = check_value(d, eq ? eq + 1 : "", &o);
		if (err < 0)
			goto fail;
		sc.seen[d->id] = true;
		sc.val[d->id] = eq ? eq + 1 : NULL;
	}
	err = apply(&sc, &o);
	if (err < 0)
		goto fail;
	vds_free(buf);
	*ret = o;
	return 0;
fail:
	vds_free(buf);
	vds_slirp_opts_free(&o);
	return err;
}

/* vds_slirp_opts_free - free a parsed configuration; accepts a zeroed
 * one. */
void vds_slirp_opts_free(struct vds_slirp_opts *o)
{
	if (!o)
		return;
	vds_free(o->vhostname);
	vds_free(o->tftp_server_name);
	vds_free(o->tftp_path);
	vds_free(o->bootfile);
	vds_free(o->vdomainname);
	for (char **d = o->vdnssearch; d && *d; d++)
		vds_free(*d);
	vds_free(o->vdnssearch);
	vds_free(o->fwds);
	for (unsigned i = 0; i < o->ngfwds; i++)
		vds_free(o->gfwds[i].target);
	vds_free(o->gfwds);
	memset(o, 0, sizeof(*o));
}
