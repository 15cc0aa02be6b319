/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_ndisc.c - libFuzzer target: router advertisements as they come
 * from the network (ndisc.c), and the resolv.conf text of their RDNSS and
 * DNSSL options. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ndisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[16384];
	unsigned char *msg;
	struct vds_ra ra;
	size_t len;

	/* exactly size bytes: ASan sees a read past the message */
	msg = malloc(size ? size : 1);
	if (!msg)
		return 0;
	memcpy(msg, data, size);
	if (vds_ndisc_parse_ra(msg, size, &ra) == 0) {
		if (ra.nprefixes > VDS_RA_MAX_PREFIXES ||
		    ra.dns.nservers > VDS_CONF_MAX_DNS ||
		    ra.dns.ndomains > VDS_CONF_MAX_DOMAINS ||
		    (ra.mtu && ra.mtu < 1280))
			abort();
		for (unsigned i = 0; i < ra.nprefixes; i++)
			if (ra.prefixes[i].family != AF_INET6 ||
			    ra.prefixes[i].prefix != 64)
				abort();
		for (unsigned i = 0; i < ra.dns.ndomains; i++) {
			const char *d = ra.dns.domains[i];

			if (vds_conf_check_domain(d, strnlen(d, sizeof(
					ra.dns.domains[i]))) < 0)
				abort(); /* only valid names are kept */
		}
		len = vds_dns_format(&ra.dns, text, sizeof(text));
		if (len >= sizeof(text) || strlen(text) != len)
			abort();
	}
	free(msg);
	return 0;
}
