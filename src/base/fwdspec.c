/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwdspec.c - the text of a port forward ("tcp:[HOSTADDR:]HOSTPORT:
 * GUESTADDR:GUESTPORT"), read by vde_stackfwd(3) and by slirp://'s
 * tcpfwd=/udpfwd= alike, into a struct vds_fwdspec.
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

/* any_addr - the wildcard address of family, with port. */
static void any_addr(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_any;
		a->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		a->sin_port = htons((uint16_t)port);
	}
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

/* vds_fwd_parse_item - "[HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT" (or, with
 * only_host, "[HOSTADDR:]HOSTPORT") in text[0..len).
 * Return: 0 or -EINVAL. */
int vds_fwd_parse_item(const char *text, size_t len, int proto,
		       bool only_host, struct vds_fwdspec *ret)
{
	struct field f[4];
	const struct field *haddr = NULL, *hport, *gaddr = NULL, *gport = NULL;
	int n, hp, gp = 0, err;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EINVAL;
	n = split_fields(text, len, f, 4);
	if (n < 0)
		return n;
	switch (n) {
	case 4:
		haddr = &f[0], hport = &f[1], gaddr = &f[2], gport = &f[3];
		break;
	case 3:
		hport = &f[0], gaddr = &f[1], gport = &f[2];
		break;
	case 2:
		if (!only_host)
			return -EINVAL;
		haddr = &f[0], hport = &f[1];
		break;
	case 1:
		if (!only_host)
			return -EINVAL;
		hport = &f[0];
		break;
	default:
		return -EINVAL;
	}
	memset(ret, 0, sizeof(*ret));
	ret->proto = proto;
	hp = parse_port(hport);
	if (hp < 0)
		return hp;
	if (gaddr) {
		gp = parse_port(gport);
		if (gp < 0)
			return gp;
		err = parse_addr(gaddr, gp, &ret->guest);
		if (err < 0)
			return err;
	} else {
		ret->guest.ss_family = AF_UNSPEC;
	}
	if (haddr && (haddr->len || haddr->bracket))
		return parse_addr(haddr, hp, &ret->host);
	if (gaddr) {
		any_addr(ret->guest.ss_family, hp, &ret->host);
	} else {
		/* a wildcard of either family, for matching only */
		any_addr(AF_INET, hp, &ret->host);
		ret->host.ss_family = AF_UNSPEC;
	}
	return 0;
}

/* vds_fwd_parse - "tcp:ITEM" or "udp:ITEM".  Return: 0 or -EINVAL. */
int vds_fwd_parse(const char *spec, bool only_host, struct vds_fwdspec *ret)
{
	int proto;

	if (!spec)
		return -EINVAL;
	if (!strncmp(spec, "tcp:", 4))
		proto = IPPROTO_TCP;
	else if (!strncmp(spec, "udp:", 4))
		proto = IPPROTO_UDP;
	else
		return -EINVAL;
	return vds_fwd_parse_item(spec + 4, strlen(spec + 4), proto, only_host,
				  ret);
}
