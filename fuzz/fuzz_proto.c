/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_proto.c - libFuzzer target: what the helper reads from its control
 * socket (request header, then packed commands or argv/envp). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/cmdline.h"
#include "base/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vds_req req;
	const void *payload;
	char *argv[VDS_CMD_MAXARGS];
	size_t pos = 0;

	if (vds_proto_unpack(data, size, &req, &payload) < 0)
		return 0;
	if (req.len > size)
		__builtin_trap();
	while (vds_cmdline_next(payload, req.len, &pos, argv, VDS_CMD_MAXARGS,
				0) > 0)
		;
	return 0;
}
