/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_fwd.c - libFuzzer target: port-forward specifications, as
 * vde_stackfwd/vde_stackunfwd ("tcp:", "udp:", "tcp-ns:", "udp-ns:",
 * with port ranges) and slirp's tcpfwd=/udpfwd= items (not
 * NUL-terminated) give them to fwd.c. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fwdspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* addr_text - ss as a forward field ("1.2.3.4", "[::1]"), its port in
 * *port.  Return: false for a family that has no text. */
static bool addr_text(const struct sockaddr_storage *ss, char *buf,
		      size_t size, int *port)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s", a);
		*port = ntohs(in->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]", a);
		*port = ntohs(in6->sin6_port);
		return true;
	}
	return false;
}

/* ports_text - "PORT" or "FIRST-LAST" (span ports after the first). */
static void ports_text(char *buf, size_t size, int port, int span)
{
	if (span)
		snprintf(buf, size, "%d-%d", port, port + span);
	else
		snprintf(buf, size, "%d", port);
}

/* check - what a successful parse gave must be a forward (a slirp item
 * one host -> stack of single ports), and its text must parse back to
 * the same forward. */
static void check(const struct vds_fwdspec *f, int proto, bool only_listen,
		  bool item)
{
	const struct sockaddr_storage *l = f->to_host ? &f->guest : &f->host;
	const struct sockaddr_storage *p = f->to_host ? &f->host : &f->guest;
	char la[INET6_ADDRSTRLEN + 2], pa[INET6_ADDRSTRLEN + 2];
	char lp[16], pp[16], text[160];
	struct vds_fwdspec back;
	int lport = 0, pport = 0;

	if (f->proto != proto || (item && (f->to_host || f->span)) ||
	    (f->one_port && (!f->to_host || !f->span)))
		abort();
	if (p->ss_family == AF_UNSPEC) {
		if (!only_listen)
			abort(); /* a full forward names its other side */
		return;
	}
	if (!addr_text(l, la, sizeof(la), &lport) ||
	    !addr_text(p, pa, sizeof(pa), &pport))
		abort();
	if (lport < 1 || lport + f->span > 65535 || pport < 1 ||
	    (!f->one_port && pport + f->span > 65535))
		abort();
	ports_text(lp, sizeof(lp), lport, f->span);
	ports_text(pp, sizeof(pp), pport, f->one_port ? 0 : f->span);
	snprintf(text, sizeof(text), "%s%s:%s:%s:%s:%s",
		 proto == IPPROTO_TCP ? "tcp" : "udp", f->to_host ? "-ns" : "",
		 la, lp, pa, pp);
	if (vds_fwd_parse(text, false, &back) < 0 ||
	    memcmp(&back, f, sizeof(back)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vds_fwdspec f;
	char *text, *item;

	/* NUL-terminated, as vde_stackfwd gets it */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (int only_host = 0; only_host < 2; only_host++) {
		if (vds_fwd_parse(text, only_host, &f) == 0)
			check(&f, f.proto, only_host, false);
	}
	free(text);

	/* an item of a slirp:// list: exactly size bytes, nothing after it,
	 * so that ASan sees any read past the end */
	item = malloc(size ? size : 1);
	if (!item)
		return 0;
	memcpy(item, data, size);
	for (int only_host = 0; only_host < 2; only_host++) {
		if (vds_fwd_parse_item(item, size, IPPROTO_UDP, only_host,
				       &f) == 0)
			check(&f, IPPROTO_UDP, only_host, true);
	}
	free(item);
	return 0;
}
