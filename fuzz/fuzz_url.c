/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_url.c - libFuzzer target: URL to backend lookup and the split of
 * the URL for the backend, and the checks of interface names and link
 * choices made before any namespace exists. */
#include <errno.h>
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
	const struct vds_backend_ops *ops;
	struct vds_url url;
	int err;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err = vds_registry_lookup(text, &url, &ops);
	if (err > 0 || (err < 0 && err != -EINVAL && err != -EPROTONOSUPPORT))
		abort();
	/* the parts lie in the URL, in order: scheme, "://", rest */
	if (err == 0 && (url.full != text || url.rest < text ||
			 url.rest > text + size ||
			 (url.scheme && (url.scheme != text ||
					 url.rest != text + url.scheme_len + 3 ||
					 memcmp(url.scheme + url.scheme_len,
						"://", 3)))))
		abort();
	vds_ifname_check(text);
	vds_link_choice(text);
	free(text);
	return 0;
}
