/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_memsw.c - libFuzzer target: the mem:// learning switch fed batches
 * of frames of any length and content from any of four ports, with joins
 * and leaves in between.  Two switches get the same input: one in
 * batches, the other frame by frame; every port must receive the same
 * frames from both, in the same order, never its own, and only while it
 * is a member.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "backends/mem_switch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPORTS 4
#define GOT_MAX (VDS_MEMSW_BATCH * NPORTS)

/* The two switches' ports: batch[i] and single[i] stand for port i. */
static char tokens[2][NPORTS];
#define BATCH_PORT(i) ((struct vds_port *)&tokens[0][i])
#define SINGLE_PORT(i) ((struct vds_port *)&tokens[1][i])

/* What each port of each switch got since the last comparison. */
static struct {
	const void *frame[GOT_MAX];
	unsigned n;
} got[2][NPORTS];
static bool member[NPORTS];
static int sender = -1;

/* deliver - record frames delivered to a port; it must be a member other
 * than the sender, and be given some frames. */
static void deliver(struct vds_port *port, const struct vds_frame *f,
		    unsigned n)
{
	const char *t = (const char *)port;
	int sw = t >= tokens[1] && t < tokens[1] + NPORTS;
	int i = (int)(t - tokens[sw]);

	if (i < 0 || i >= NPORTS || !member[i] || i == sender || n == 0)
		abort();
	for (unsigned k = 0; k < n; k++) {
		if (got[sw][i].n == GOT_MAX || !f[k].len)
			abort();
		got[sw][i].frame[got[sw][i].n++] = f[k].data;
	}
}

/* compare - both switches gave every port the same frames; forget them. */
static void compare(void)
{
	for (int i = 0; i < NPORTS; i++) {
		if (got[0][i].n != got[1][i].n)
			abort();
		for (unsigned k = 0; k < got[0][i].n; k++)
			if (got[0][i].frame[k] != got[1][i].frame[k])
				abort();
		got[0][i].n = got[1][i].n = 0;
	}
}

/* toggle - port p joins or leaves both switches. */
static void toggle(struct vds_memsw *sw, int p)
{
	if (member[p]) {
		vds_memsw_del_port(&sw[0], BATCH_PORT(p));
		vds_memsw_del_port(&sw[1], SINGLE_PORT(p));
	} else if (vds_memsw_add_port(&sw[0], BATCH_PORT(p)) < 0 ||
		   vds_memsw_add_port(&sw[1], SINGLE_PORT(p)) < 0) {
		abort();
	}
	member[p] = !member[p];
}

/* run - one batch from port p to both switches, then compare. */
static void run(struct vds_memsw *sw, int p, const struct vds_frame *f,
		unsigned n, int64_t now)
{
	unsigned a, b = 0;

	sender = p;
	a = vds_memsw_forward(&sw[0], BATCH_PORT(p), f, n, now);
	for (unsigned k = 0; k < n; k++)
		b += vds_memsw_forward(&sw[1], SINGLE_PORT(p), &f[k], 1, now);
	sender = -1;
	if (a != b || a > n * (NPORTS - 1))
		abort();
	compare();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vds_memsw sw[2];
	struct vds_frame f[VDS_MEMSW_BATCH];
	unsigned n = 0;
	int from = -1;
	size_t off = 0;
	int64_t now = 0;

	if (vds_memsw_init(&sw[0]) < 0)
		return 0;
	if (vds_memsw_init(&sw[1]) < 0) {
		vds_memsw_fini(&sw[0]);
		return 0;
	}
	sw[0].deliver = sw[1].deliver = deliver;
	for (int i = 0; i < NPORTS; i++) {
		member[i] = false;
		toggle(sw, i);
	}
	/* records: op byte, length byte, frame bytes.  op: bits 0-1 the
	 * port; bits 2-3: 3 = the port joins or leaves, 1 = the batch ends
	 * after this frame; bits 4-7 the time that passes before a batch.
	 * A batch also ends with a record from another port. */
	while (off + 2 <= size) {
		unsigned op = data[off], len = data[off + 1];
		int p = (int)(op & 3);

		off += 2;
		if (len > size - off)
			len = (unsigned)(size - off);
		if (n && (p != from || (op & 0x0c) == 0x0c)) {
			run(sw, from, f, n, now);
			n = 0;
		}
		if ((op & 0x0c) == 0x0c) {
			toggle(sw, p);
			off += len;
			continue;
		}
		if (n == 0)
			now += (op >> 4) * 20000;
		from = p;
		f[n++] = (struct vds_frame){ .data = (void *)(data + off),
					     .len = len };
		off += len;
		if (!member[p] || (op & 0x0c) == 0x04 || n == VDS_MEMSW_BATCH) {
			if (member[p])
				run(sw, from, f, n, now);
			n = 0;
		}
	}
	if (n && member[from])
		run(sw, from, f, n, now);
	vds_memsw_fini(&sw[0]);
	vds_memsw_fini(&sw[1]);
	return 0;
}
