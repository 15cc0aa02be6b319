/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_slirpopts.c - libFuzzer target: the options of a slirp:// URL
 * (slirp_opts.c), with their forward lists; what a successful parse
 * gives must be what libslirp can be configured with, and be freed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/slirp_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - the limits a parsed configuration must keep. */
static void check(const struct vds_slirp_opts *o)
{
	if (o->mtu < VDS_SLIRP_MTU_MIN || o->mtu > VDS_SLIRP_MTU_MAX ||
	    o->mru < VDS_SLIRP_MTU_MIN || o->mru > VDS_SLIRP_MTU_MAX ||
	    o->vprefix_len < 1 || o->vprefix_len > 126 || !o->vhostname ||
	    strlen(o->vhostname) > 32 || (o->nfwds && !o->fwds) ||
	    (o->ngfwds && !o->gfwds))
		abort();
	/* the network holds the host, the DHCP start and the DNS server */
	if ((o->vhost.s_addr & o->vnetmask.s_addr) != o->vnetwork.s_addr ||
	    (o->vdhcp_start.s_addr & o->vnetmask.s_addr) !=
		    o->vnetwork.s_addr ||
	    (o->vnameserver.s_addr & o->vnetmask.s_addr) != o->vnetwork.s_addr)
		abort();
	for (unsigned i = 0; i < o->nfwds; i++) {
		int h = o->fwds[i].host.ss_family, g = o->fwds[i].guest.ss_family;

		if ((h != AF_INET && h != AF_INET6) ||
		    (g != AF_INET && g != AF_INET6))
			abort();
	}
	for (unsigned i = 0; i < o->ngfwds; i++)
		if (!o->gfwds[i].target || !o->gfwds[i].target[0] ||
		    o->gfwds[i].port < 1 || o->gfwds[i].port > 65535)
			abort();
	for (char **d = o->vdnssearch; d && *d; d++)
		if (!**d)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vds_slirp_opts o;
	char *rest = malloc(size + 1);

	if (!rest)
		return 0;
	/* what follows "slirp://", as the registry hands it over */
	memcpy(rest, data, size);
	rest[size] = '\0';
	if (vds_slirp_opts_parse(rest, &o) == 0) {
		check(&o);
		vds_slirp_opts_free(&o);
	}
	free(rest);
	return 0;
}
