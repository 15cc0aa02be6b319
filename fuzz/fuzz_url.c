/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_url.c - libFuzzer target: URL to backend lookup, and the checks of
 * interface names and link choices made before any namespace exists. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/proto.h"
#include "core/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	int err = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!vds_registry_lookup(text, &err) && err >= 0)
		abort();
	vds_ifname_check(text);
	vds_link_choice(text);
	free(text);
	return 0;
}
