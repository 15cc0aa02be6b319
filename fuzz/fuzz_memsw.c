/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_memsw.c - libFuzzer target: the mem:// learning switch fed frames
 * of any length and content from any of four ports, with joins and
 * leaves in between. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "backends/mem_switch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vds_port *const ports[4] = {
	(struct vds_port *)0x1000, (struct vds_port *)0x2000,
	(struct vds_port *)0x3000, (struct vds_port *)0x4000,
};
static unsigned delivered;

/* deliver - count, and check the destination is a member. */
static void deliver(struct vds_port *port, const struct vds_frame *f,
		    unsigned n)
{
	if ((uintptr_t)port % 0x1000 || !f->len)
		abort();
	delivered += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vds_memsw sw;
	bool member[4] = { true, true, true, true };
	size_t off = 0;
	int64_t now = 0;

	if (vds_memsw_init(&sw) < 0)
		return 0;
	sw.deliver = deliver;
	for (int i = 0; i < 4; i++)
		vds_memsw_add_port(&sw, ports[i]);
	/* records: op byte, length byte, frame bytes */
	while (off + 2 <= size) {
		unsigned op = data[off], len = data[off + 1];
		struct vds_port *p = ports[op & 3];
		struct vds_frame f;

		off += 2;
		if (len > size - off)
			len = (unsigned)(size - off);
		f.data = (void *)(data + off);
		f.len = len;
		off += len;
		now += (op >> 4) * 20000;
		if ((op & 0x0c) == 0x0c) {
			if (member[op & 3])
				vds_memsw_del_port(&sw, p);
			else
				vds_memsw_add_port(&sw, p);
			member[op & 3] = !member[op & 3];
			continue;
		}
		if (member[op & 3] && vds_memsw_forward(&sw, p, &f, now) > sw.nports)
			abort();
	}
	vds_memsw_fini(&sw);
	return 0;
}
