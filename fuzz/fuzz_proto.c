/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_proto.c - libFuzzer target: what the helper reads from its control
 * socket, decoded as the helper does (vds_proto_unpack, with each number
 * of descriptors a request may come with), then read as its handlers and
 * its runners and spawners read it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/cmdline.h"
#include "base/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* in_message - whether [p, p + len) lies within the message.
 * Return: true when it does. */
static int in_message(const void *p, size_t len, const uint8_t *data,
		      size_t size)
{
	const uint8_t *b = p;

	return b >= data && len <= size && b - data <= (ptrdiff_t)(size - len);
}

/* read_request - read every part of a decoded request, as the helper's
 * handlers would; traps on a part outside the message. */
static void read_request(const struct vds_req *req, const uint8_t *data,
			 size_t size)
{
	static char *vec[VDS_SPAWN_MAXENV + 1];
	size_t pos = 0;

	switch (req->op) {
	case VDS_OP_NEWSTACK:
	case VDS_OP_ADDIF: /* the same struct (the union's addif) */
		if (!in_message(req->newstack.ifname,
				strlen(req->newstack.ifname) + 1, data, size) ||
		    (req->newstack.key &&
		     !in_message(req->newstack.key,
				 strlen(req->newstack.key) + 1, data, size)))
			__builtin_trap();
		break;
	case VDS_OP_UPLINK:
		if (!in_message(req->uplink.key, strlen(req->uplink.key) + 1,
				data, size))
			__builtin_trap();
		break;
	case VDS_OP_DELIF:
		if (!in_message(req->delif.ifname,
				strlen(req->delif.ifname) + 1, data, size) ||
		    vds_ifname_check(req->delif.ifname) < 0)
			__builtin_trap();
		break;
	case VDS_OP_SYSCTL:
		/* what the helper writes under /proc/sys: checked, in bounds */
		if (!in_message(req->sysctl.path, strlen(req->sysctl.path) + 1,
				data, size) ||
		    !in_message(req->sysctl.value,
				strlen(req->sysctl.value) + 1, data, size) ||
		    vds_sysctl_check(req->sysctl.path, req->sysctl.value) < 0)
			__builtin_trap();
		break;
	case VDS_OP_CMD:
		if (!in_message(req->cmd.cmds.buf, req->cmd.cmds.len, data, size))
			__builtin_trap();
		while (vds_cmdline_next(req->cmd.cmds.buf, req->cmd.cmds.len,
					&pos, vec, VDS_CMD_MAXARGS, 0) > 0)
			;
		if (pos != req->cmd.cmds.len)
			__builtin_trap(); /* checked, yet not read to its end */
		break;
	case VDS_OP_SPAWN:
		if (vds_cmdline_words(req->spawn.argv.buf, req->spawn.argv.len,
				      &pos, vec, VDS_SPAWN_MAXARGS + 1) < 1 ||
		    vec[0][0] != '/')
			__builtin_trap();
		pos = 0;
		if (vds_cmdline_words(req->spawn.envp.buf, req->spawn.envp.len,
				      &pos, vec, VDS_SPAWN_MAXENV + 1) < 0)
			__builtin_trap();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned nfds = 0; nfds <= 3; nfds++) {
		struct vds_req req;

		if (vds_proto_unpack(data, size, nfds, &req) < 0)
			continue;
		if (!vds_proto_op(req.op))
			__builtin_trap(); /* accepted an op with no entry */
		read_request(&req, data, size);
	}
	return 0;
}
