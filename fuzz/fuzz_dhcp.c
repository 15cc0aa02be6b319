/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_dhcp.c - libFuzzer target: IPv4 packets read by the DHCP client
 * (dhcp.c), as a server or anybody on the segment may send them, then
 * what the client does with a reply: the prefix of its netmask, a REQUEST
 * built from an offer, the resolv.conf text of its DNS options. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* get32 - a 32-bit big-endian value.  Return: it. */
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char mac0[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static char text[16384];
	unsigned char mac[6], *pkt, out[1024];
	struct vds_dhcp_msg m;
	uint32_t xid = 0x12345678;
	size_t bp;

	/* exactly size bytes: ASan sees a read past the packet */
	pkt = malloc(size ? size : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data, size);
	/* the transaction and hardware address the packet names, when it
	 * has them, so that every reply reaches the option parser */
	memcpy(mac, mac0, 6);
	bp = size ? (size_t)(pkt[0] & 0xf) * 4 + 8 : 0;
	if (bp >= 28 && bp + 34 <= size) {
		xid = get32(pkt + bp + 4);
		memcpy(mac, pkt + bp + 28, 6);
	}
	if (vds_dhcp_parse(pkt, size, xid, mac, &m) == 0) {
		int prefix = vds_dhcp_prefix(m.yiaddr, m.mask);
		size_t len;

		if (m.type == 0 || m.nrouters > VDS_DHCP_MAX_ROUTERS ||
		    m.dns.nservers > VDS_CONF_MAX_DNS ||
		    m.dns.ndomains > VDS_CONF_MAX_DOMAINS ||
		    (m.mtu && m.mtu < 68) || m.mtu > 65535 ||
		    (prefix < 0 && prefix != -EINVAL) || prefix > 32)
			abort();
		if (prefix < 0 &&
		    vds_dhcp_prefix(m.yiaddr, (struct in_addr){ 0 }) < 8)
			abort();
		for (unsigned i = 0; i < m.dns.ndomains; i++) {
			const char *d = m.dns.domains[i];

			if (vds_conf_check_domain(d, strnlen(d, sizeof(
					m.dns.domains[i]))) < 0)
				abort(); /* only valid names are kept */
		}
		len = vds_dns_format(&m.dns, text, sizeof(text));
		if (len >= sizeof(text) || strlen(text) != len)
			abort();
		/* as the client answers an offer */
		len = vds_dhcp_build(out, sizeof(out), VDS_DHCP_REQUEST, xid,
				     mac, &m, 1);
		if (len == 0 || len > sizeof(out) ||
		    vds_dhcp_parse(out, len, xid, mac, &m) != -EAGAIN)
			abort();
	}
	free(pkt);
	return 0;
}
