/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwdspec.c - the text of a port forward ("tcp:[HOSTADDR:]HOSTPORT:
 * GUESTADDR:GUESTPORT", the other way "tcp-ns:[GUESTADDR:]GUESTPORT:
 * HOSTADDR:HOSTPORT", ports or ranges), read by vde_stackfwd(3) and, in
 * the first form with single ports, by slirp://'s tcpfwd=/udpfwd=, into
 * a struct vds_fwdspec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fwdspec.h"

/* A field of a forward item: text, and whether it was in brackets. */
struct field {
	const char *s;
	size_t len;
	bool bracket;
};

/* parse_port - a decimal port, 1..65535, in s[0..len).
 * Return: the port, or -EINVAL. */
static int parse_port(const struct field *f)
{
	unsigned v = 0;

	if (f->bracket || f->len == 0 || f->len > 5)
		return -EINVAL;
	for (size_t i = 0; i < f->len; i++) {
		if (f->s[i] < '0' || f->s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(f->s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -EINVAL;
}

/* parse_addr - an IPv4 address, or an IPv6 one in brackets, into ss with
 * port.  Return: 0 or -EINVAL. */
static int parse_addr(const struct field *f, int port,
		      struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (f->len == 0 || f->len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, f->s, f->len);
	buf[f->len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (f->bracket) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, buf, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, buf, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
	}
	return 0;
}

/* default_addr - the wildcard address of family (the loopback one when
 * loopback), with port. */
static void default_addr(int family, int port, bool loopback,
			 struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = loopback ? in6addr_loopback : in6addr_any;
		a->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK
						    : INADDR_ANY);
		a->sin_port = htons((uint16_t)port);
	}
}

/* A port field: its first port and the ports after it. */
struct ports {
	int first;
	int span;
};

/* parse_ports - a port, or with ranges a range "FIRST-LAST" (LAST not
 * below FIRST), into *ret.  Return: 0 or -EINVAL. */
static int parse_ports(const struct field *f, bool ranges, struct ports *ret)
{
	const char *dash = memchr(f->s, '-', f->len);
	struct field a = *f, b;
	int last;

	if (!dash) {
		ret->first = parse_port(f);
		ret->span = 0;
		return ret->first < 0 ? ret->first : 0;
	}
	if (!ranges || f->bracket)
		return -EINVAL;
	a.len = (size_t)(dash - f->s);
	b = (struct field){ dash + 1, f->len - a.len - 1, false };
	ret->first = parse_port(&a);
	last = parse_port(&b);
	if (ret->first < 0 || last < ret->first)
		return -EINVAL;
	ret->span = last - ret->first;
	return 0;
}

/* split_fields - cut text[0..len) at ':' into at most max fields; a field
 * may be "[...]" (an IPv6 address), which must end the text or be
 * followed by ':'.  Return: the number of fields, or -EINVAL. */
static int split_fields(const char *text, size_t len, struct field *f,
			int max)
{
	size_t i = 0;
	int n = 0;

	for (;;) {
		if (n == max)
			return -EINVAL;
		if (i < len && text[i] == '[') {
			const char *end = memchr(text + i, ']', len - i);

			if (!end)
				return -EINVAL;
			f[n] = (struct field){ text + i + 1,
					       (size_t)(end - text) - i - 1,
					       true };
			i = (size_t)(end - text) + 1;
			if (i < len && text[i] != ':')
				return -EINVAL;
		} else {
			const char *end = memchr(text + i, ':', len - i);
			size_t e = end ? (size_t)(end - text) : len;

			f[n] = (struct field){ text + i, e - i, false };
			if (memchr(f[n].s, '[', f[n].len) ||
			    memchr(f[n].s, ']', f[n].len))
				return -EINVAL;
			i = e;
		}
		n++;
		if (i == len)
			return n;
		i++; /* the ':' */
		if (i == len) {
			/* a trailing ':' leaves an empty last field */
			if (n == max)
				return -EINVAL;
			f[n++] = (struct field){ text + i, 0, false };
			return n;
		}
	}
}

/* How an item is read (flags of parse_item). */
enum {
	ITEM_RANGES = 1,      /* ports may be ranges */
	ITEM_TO_HOST = 2,     /* stack -> host: the guest side listens */
	ITEM_ONLY_LISTEN = 4, /* the listening side alone is accepted */
};

/* item_fields - which of the n fields of an item are the listening
 * address and port and the other side's address and port (NULL: absent).
 * Return: 0 or -EINVAL (a field count the flags do not allow). */
static int item_fields(const struct field *f, int n, unsigned flags,
		       const struct field **ret)
{
	switch (n) {
	case 4:
		ret[0] = &f[0], ret[1] = &f[1], ret[2] = &f[2], ret[3] = &f[3];
		return 0;
	case 3:
		ret[0] = NULL, ret[1] = &f[0], ret[2] = &f[1], ret[3] = &f[2];
		return 0;
	case 2:
		ret[0] = &f[0], ret[1] = &f[1], ret[2] = ret[3] = NULL;
		break;
	case 1:
		ret[0] = NULL, ret[1] = &f[0], ret[2] = ret[3] = NULL;
		break;
	default:
		return -EINVAL;
	}
	return flags & ITEM_ONLY_LISTEN ? 0 : -EINVAL;
}

/* parse_item - "[LADDR:]LPORT:CADDR:CPORT" in text[0..len), the listening
 * side first (the host's, or the guest's with ITEM_TO_HOST), read as
 * flags say.  Ranges: the same length on both sides, or (ITEM_TO_HOST
 * only) one port on the connecting side.  Return: 0 or -EINVAL. */
static int parse_item(const char *text, size_t len, int proto,
		      unsigned flags, struct vds_fwdspec *ret)
{
	bool ranges = flags & ITEM_RANGES, to_host = flags & ITEM_TO_HOST;
	const struct field *fld[4]; /* laddr, lport, caddr, cport */
	struct sockaddr_storage *lss, *css;
	struct field f[4];
	struct ports lp, cp;
	int n, err;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EINVAL;
	n = split_fields(text, len, f, 4);
	if (n < 0 || item_fields(f, n, flags, fld) < 0)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->proto = proto;
	ret->to_host = to_host;
	lss = to_host ? &ret->guest : &ret->host;
	css = to_host ? &ret->host : &ret->guest;
	if (parse_ports(fld[1], ranges, &lp) < 0)
		return -EINVAL;
	ret->span = (uint16_t)lp.span;
	if (fld[2]) {
		if (parse_ports(fld[3], ranges, &cp) < 0)
			return -EINVAL;
		/* a range to one port: only where many listeners going to
		 * one service make sense, a stack's ports to the host's */
		if (cp.span != lp.span && (cp.span || !to_host))
			return -EINVAL;
		ret->one_port = lp.span && !cp.span;
		err = parse_addr(fld[2], cp.first, css);
		if (err < 0)
			return err;
	} else {
		css->ss_family = AF_UNSPEC;
	}
	if (fld[0] && (fld[0]->len || fld[0]->bracket))
		return parse_addr(fld[0], lp.first, lss);
	default_addr(fld[2] ? css->ss_family : AF_INET, lp.first, to_host, lss);
	if (!fld[2])
		lss->ss_family = AF_UNSPEC; /* either family, for matching */
	return 0;
}

/* vds_fwd_parse_item - see fwdspec.h.  Return: 0 or -EINVAL. */
int vds_fwd_parse_item(const char *text, size_t len, int proto,
		       bool only_host, struct vds_fwdspec *ret)
{
	return parse_item(text, len, proto, only_host ? ITEM_ONLY_LISTEN : 0,
			  ret);
}

/* The prefixes of vde_stackfwd(3)'s forwards. */
static const struct {
	const char *prefix;
	int proto;
	unsigned flags;
} forms[] = {
	{ "tcp:", IPPROTO_TCP, ITEM_RANGES },
	{ "udp:", IPPROTO_UDP, ITEM_RANGES },
	{ "tcp-ns:", IPPROTO_TCP, ITEM_RANGES | ITEM_TO_HOST },
	{ "udp-ns:", IPPROTO_UDP, ITEM_RANGES | ITEM_TO_HOST },
};

/* vds_fwd_parse - see fwdspec.h.  Return: 0 or -EINVAL. */
int vds_fwd_parse(const char *spec, bool only_listen,
		  struct vds_fwdspec *ret)
{
	if (!spec)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t n = strlen(forms[i].prefix);
		unsigned flags = forms[i].flags;

		if (strncmp(spec, forms[i].prefix, n))
			continue;
		if (only_listen)
			flags |= ITEM_ONLY_LISTEN;
		return parse_item(spec + n, strlen(spec + n), forms[i].proto,
				  flags, ret);
	}
	return -EINVAL;
}
