/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_conf.c - libFuzzer target: vde_stackconf's configuration string
 * (conf_parse.c), and the resolv.conf text of what it parsed; the same
 * bytes read as the host's resolv.conf of dns=host (hostdns.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/proto.h"
#include "conf/conf_parse.h"
#include "conf/hostdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_dns - the DNS data stays inside its limits, and its text is
 * the same whatever the room given for it (snprintf's contract). */
static void check_dns(const struct vds_dns *dns, size_t room)
{
	static char full[16384];
	char *part;
	size_t len, plen;

	if (dns->nservers > VDS_CONF_MAX_DNS ||
	    dns->ndomains > VDS_CONF_MAX_DOMAINS)
		abort();
	for (unsigned i = 0; i < dns->ndomains; i++)
		if (strnlen(dns->domains[i], sizeof(dns->domains[i])) >
		    VDS_CONF_DOMAIN_MAX)
			abort();
	len = vds_dns_format(dns, full, sizeof(full));
	if (len >= sizeof(full) || strlen(full) != len)
		abort();
	part = malloc(room ? room : 1);
	if (!part)
		return;
	plen = vds_dns_format(dns, part, room);
	if (plen != len)
		abort();
	if (room && (strlen(part) != (len < room ? len : room - 1) ||
		     memcmp(part, full, strlen(part))))
		abort();
	free(part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vds_conf c;
	char *text;

	if (size < 1)
		return 0;
	/* first byte: the room given to the resolv.conf text */
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (vds_conf_parse(text, &c) == 0) {
		if (c.naddrs > VDS_CONF_MAX_ADDRS || c.ngws > VDS_CONF_MAX_GWS ||
		    strnlen(c.ifname, sizeof(c.ifname)) >= sizeof(c.ifname) ||
		    (c.ifname[0] && vds_ifname_check(c.ifname) < 0) ||
		    c.mtu > 65535 || c.timeout_ms == 0 ||
		    c.timeout_ms > VDS_CONF_TIMEOUT_MAX_S * 1000)
			abort();
		for (unsigned i = 0; i < c.naddrs; i++)
			if (c.addrs[i].prefix >
			    (c.addrs[i].family == AF_INET ? 32u : 128u))
				abort();
		check_dns(&c.dns, data[0]);
	}
	/* as a host file: at least one server, none link-local */
	vds_hostdns_parse(text, &c.dns);
	if (c.dns.nservers == 0)
		abort();
	for (unsigned i = 0; i < c.dns.nservers; i++)
		if (c.dns.servers[i].family == AF_INET6 &&
		    c.dns.servers[i].addr[0] == 0xfe &&
		    (c.dns.servers[i].addr[1] & 0xc0) == 0x80)
			abort();
	check_dns(&c.dns, data[0]);
	free(text);
	return 0;
}
