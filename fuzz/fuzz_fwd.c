/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_fwd.c - libFuzzer target: port-forward specifications, as
 * vde_stackfwd/vde_stackunfwd ("tcp:..."/"udp:...") and slirp's
 * tcpfwd=/udpfwd= items (not NUL-terminated) give them to fwd.c. */
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

/* check - what a successful parse gave must be a forward, and its text
 * must parse back to the same forward. */
static void check(const struct vds_fwdspec *f, int proto, bool only_host)
{
	char h[INET6_ADDRSTRLEN + 2], g[INET6_ADDRSTRLEN + 2], text[128];
	struct vds_fwdspec back;
	int hp = 0, gp = 0;

	if (f->proto != proto)
		abort();
	if (f->guest.ss_family == AF_UNSPEC) {
		if (!only_host)
			abort(); /* a full forward names its guest */
		return;
	}
	if (!addr_text(&f->host, h, sizeof(h), &hp) ||
	    !addr_text(&f->guest, g, sizeof(g), &gp))
		abort();
	if (hp < 1 || hp > 65535 || gp < 1 || gp > 65535)
		abort();
	snprintf(text, sizeof(text), "%s:%d:%s:%d", h, hp, g, gp);
	if (vds_fwd_parse_item(text, strlen(text), proto, false, &back) < 0 ||
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
			check(&f, f.proto, only_host);
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
			check(&f, IPPROTO_UDP, only_host);
	}
	free(item);
	return 0;
}
