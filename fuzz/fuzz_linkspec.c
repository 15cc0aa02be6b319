/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_linkspec.c - libFuzzer target: vde_stacklink() specs (the input up
 * to its first newline), and, for a spec that parses, a conditioner with
 * its conditions fed the rest of the input as frames (a 2-byte length,
 * its top bit for a virtio-net header, then the bytes), released over a
 * clock that the input's frames also move: nothing may read outside a
 * frame, lose count, or reorder what a spec without reorder= keeps in
 * order. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/proto.h"
#include "core/backend.h"
#include "core/linkcond.h"
#include "core/linkspec.h"

#define FUZZ_STEP_NS 137000   /* clock step per frame */
#define FUZZ_FRAMES_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long emitted;

/* count - emit: frames must be as long as they came (at most the
 * largest), and readable. */
static void count(void *ctx, const struct vds_frame *f, unsigned n)
{
	volatile unsigned char sink = 0;

	for (unsigned i = 0; i < n; i++) {
		if (f[i].len > VDS_LINKCOND_FRAME_MAX)
			abort();
		for (size_t k = 0; k < f[i].len; k += 64)
			sink ^= ((const unsigned char *)f[i].data)[k];
	}
	(void)sink;
	emitted += n;
}

/* check_spec - what a parse that succeeded must give.  Aborts if not. */
static void check_spec(const struct vds_linkspec *ls)
{
	const struct vds_linkdir *c = &ls->cond;

	if (!ls->dirs || (ls->dirs & ~VDS_LINK_BOTH) || ls->cut < -1 ||
	    ls->cut > 1 || c->jitter_us > c->delay_us || c->delay_us < 0 ||
	    c->delay_us > VDS_LINK_DELAY_MAX_US ||
	    c->loss > VDS_LINK_ALWAYS || c->dup > VDS_LINK_ALWAYS ||
	    c->reorder > VDS_LINK_ALWAYS || c->corrupt > VDS_LINK_ALWAYS ||
	    c->burst_enter > VDS_LINK_ALWAYS ||
	    c->burst_leave > VDS_LINK_ALWAYS ||
	    (c->rate_bps && (c->rate_bps < VDS_LINK_RATE_MIN_BPS ||
			     c->rate_bps > VDS_LINK_RATE_MAX_BPS ||
			     c->queue_bytes < VDS_LINK_QUEUE_MIN)) ||
	    (!c->rate_bps && c->queue_bytes) ||
	    (c->mtu && (c->mtu < VDS_LINK_MTU_MIN || c->mtu > VDS_LINK_MTU_MAX)) ||
	    (ls->ifname[0] && vds_ifname_check(ls->ifname) < 0))
		abort();
}

/* run_frames - feed the frames of data to a conditioner of ls's
 * conditions (vnet or not, as the first frame says). */
static void run_frames(const struct vds_linkspec *ls, const uint8_t *data,
		       size_t size)
{
	static unsigned char buf[VDS_LINKCOND_FRAME_MAX];
	bool vnet = size > 0 && (data[0] & 0x80);
	struct vds_linkcond lc;
	struct vds_linkcond_res res;
	int64_t now = 1000000000;
	unsigned long in = 0;

	vds_linkcond_init(&lc, vnet ? VDS_VNET_HDR_LEN : 0, 42);
	if (vds_linkcond_reserve(&lc, &ls->cond, &res) < 0)
		return;
	emitted = 0;
	vds_linkcond_apply(&lc, &ls->cond, ls->cut == 1, &res, now, count,
			   NULL);
	for (unsigned n = 0; size >= 2 && n < FUZZ_FRAMES_MAX; n++) {
		size_t len = (size_t)((data[0] & 0x7f) << 8 | data[1]);
		struct vds_frame f = { .data = buf };

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		memcpy(buf, data, len);
		f.len = len;
		data += len;
		size -= len;
		vds_linkcond_input(&lc, &f, 1, now, count, NULL);
		in++;
		now += FUZZ_STEP_NS;
		vds_linkcond_release(&lc, now, count, NULL);
	}
	vds_linkcond_release(&lc, INT64_MAX, count, NULL);
	if (vds_linkcond_due(&lc) != -1 ||
	    emitted + atomic_load(&lc.drops) != in + atomic_load(&lc.dups))
		abort();
	vds_linkcond_fini(&lc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t slen = nl ? (size_t)(nl - data) : size;
	char *spec = malloc(slen + 1);
	struct vds_linkspec ls;

	if (!spec)
		return 0;
	memcpy(spec, data, slen);
	spec[slen] = '\0';
	if (vds_linkspec_parse(spec, &ls) == 0) {
		check_spec(&ls);
		if (nl)
			run_frames(&ls, nl + 1, size - slen - 1);
	}
	free(spec);
	return 0;
}
