/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostdns.c - the host's resolv.conf, for vde_stackconf's dns=host: read
 * through the system-call seam and parsed into a struct vds_dns.
 *
 * Theory of operation: dns=host makes a stack resolve as the host does.
 * The servers the host's C library would ask are the ones to reach, so
 * the file is read the way glibc's res_init reads it: a keyword at the
 * very start of a line, followed by a blank; '#' and ';' start comments,
 * also after a nameserver's address; "domain" and "search" replace each
 * other's list; everything else is ignored, malformed lines included
 * (the C library ignores them too, and a stack should not fail where the
 * host works).  A file without any server means the local one,
 * 127.0.0.1.  The file is read once per call (vds_sys_read_file, which
 * unit tests replace), so the caller sees one consistent copy of it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "hostdns.h"
#include "base/alloc.h"
#include "base/sys.h"

#define LOOPBACK4_FIRST_OCTET 127
#define TOKEN_END ";# \t\r\n"   /* what ends a nameserver's address */
#define BLANKS " \t"

/* keyword_len - whether line (len bytes) starts with keyword and a blank.
 * Return: the keyword's length, or 0. */
static size_t keyword_len(const char *line, size_t len, const char *keyword)
{
	size_t k = strlen(keyword);

	if (len <= k || memcmp(line, keyword, k) != 0)
		return 0;
	return line[k] == ' ' || line[k] == '\t' ? k : 0;
}

/* skip_blanks - Return: the number of blanks at the start of p (len). */
static size_t skip_blanks(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

/* is_link_local6 - Return: true for an fe80::/10 address. */
static bool is_link_local6(const struct vds_ipaddr *a)
{
	return a->family == AF_INET6 && a->addr[0] == 0xfe &&
	       (a->addr[1] & 0xc0) == 0x80;
}

/* nameserver - the address after "nameserver" (p, len bytes), with an
 * IPv6 %scope dropped; kept unless link-local or beyond the limit. */
static void nameserver(const char *p, size_t len, struct vds_dns *dns)
{
	char text[INET6_ADDRSTRLEN + 1];
	struct vds_ipaddr a = { .family = AF_INET };
	size_t n = 0;

	while (n < len && !strchr(TOKEN_END, p[n]) && p[n] != '%')
		n++;
	if (n == 0 || n >= sizeof(text))
		return;
	memcpy(text, p, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, a.addr) != 1) {
		a.family = AF_INET6;
		if (!strchr(text, ':') || inet_pton(AF_INET6, text, a.addr) != 1)
			return;
	}
	a.prefix = a.family == AF_INET ? 32 : 128;
	if (!is_link_local6(&a))
		vds_dns_add_server(dns, &a); /* beyond the limit: dropped */
}

/* search - the names after "search" or "domain" (p, len bytes): they
 * replace the list so far; malformed names are skipped. */
static void search(const char *p, size_t len, struct vds_dns *dns)
{
	size_t i = 0;

	dns->ndomains = 0;
	while (i < len) {
		size_t n = 0;
		char name[VDS_CONF_DOMAIN_MAX + 1];

		i += skip_blanks(p + i, len - i);
		while (i + n < len && !strchr(BLANKS "\r", p[i + n]))
			n++;
		if (n && vds_conf_check_domain(p + i, n) == 0) {
			memcpy(name, p + i, n);
			name[n] = '\0';
			vds_dns_add_domain(dns, name);
		}
		i += n ? n : 1;
	}
}

/* one_line - read one line of len bytes (no newline) into dns. */
static void one_line(const char *line, size_t len, struct vds_dns *dns)
{
	size_t k;

	if (len == 0 || line[0] == '#' || line[0] == ';')
		return;
	if ((k = keyword_len(line, len, "nameserver"))) {
		k += skip_blanks(line + k, len - k);
		nameserver(line + k, len - k, dns);
		return;
	}
	k = keyword_len(line, len, "search");
	if (!k)
		k = keyword_len(line, len, "domain");
	if (k) {
		size_t end = k;

		/* a comment ends the list, as in the C library */
		while (end < len && line[end] != '#' && line[end] != ';')
			end++;
		search(line + k, end - k, dns);
	}
}

/* vds_hostdns_parse - resolv.conf text into *ret (see hostdns.h). */
void vds_hostdns_parse(const char *text, struct vds_dns *ret)
{
	const char *p = text ? text : "";

	*ret = (struct vds_dns){ 0 };
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		one_line(p, len, ret);
		p += len + (nl ? 1 : 0);
	}
	if (ret->nservers == 0) {
		struct vds_ipaddr lo = { .family = AF_INET, .prefix = 32,
					 .addr = { LOOPBACK4_FIRST_OCTET, 0, 0,
						   1 } };

		vds_dns_add_server(ret, &lo);
	}
}

/* vds_hostdns_read - the host's file, read once and parsed.
 * Return: 0 or -errno. */
int vds_hostdns_read(struct vds_dns *ret)
{
	char *buf = vds_malloc(VDS_HOSTDNS_MAX);
	int n;

	if (!buf)
		return -ENOMEM;
	n = vds_sys_read_file(VDS_HOSTDNS_PATH, buf, VDS_HOSTDNS_MAX);
	if (n == -ENOENT) {
		buf[0] = '\0'; /* no file: the local server, as libc */
		n = 0;
	}
	if (n >= 0)
		vds_hostdns_parse(buf, ret);
	vds_free(buf);
	return n < 0 ? n : 0;
}

/* vds_ip_is_loopback - 127.0.0.0/8 or ::1.  Return: true if so. */
bool vds_ip_is_loopback(const struct vds_ipaddr *a)
{
	static const unsigned char lo6[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->addr[0] == LOOPBACK4_FIRST_OCTET;
	return a->family == AF_INET6 && !memcmp(a->addr, lo6, sizeof(lo6));
}
