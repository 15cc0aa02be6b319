/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_stream.c - libFuzzer target: the VDE stream decoder, fed the input
 * in the chunks a socket might deliver, decoding a few frames per call or
 * many. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/stream.h"
#include "core/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned char touched;

/* check - a decoded frame lies inside what was consumed, after its
 * length, and is long enough. */
static void check(const unsigned char *buf, size_t used,
		  const struct vds_frame *f)
{
	const unsigned char *d = f->data;

	if (f->len < 14 || f->len > 65535 || d < buf + 2 ||
	    d + f->len > buf + used ||
	    ((size_t)d[-2] << 8 | d[-1]) != f->len)
		abort();
	/* touch every byte, so that ASan sees an overrun */
	for (size_t i = 0; i < f->len; i++)
		touched += d[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* first byte: chunk size (low 6 bits) and frames per decode (high
	 * 2 bits: 1, 2, 16, 64); the rest: the stream */
	static const unsigned maxes[4] = { 1, 2, 16, 64 };
	struct vds_frame f[64];
	size_t chunk, have = 0, off = 1;
	unsigned char *buf;
	unsigned max;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] & 0x3f) * 4 + 1;
	max = maxes[data[0] >> 6];
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	while (off < size) {
		size_t take = size - off < chunk ? size - off : chunk;
		size_t used;
		unsigned n;

		memcpy(buf + have, data + off, take);
		have += take;
		off += take;
		used = 0;
		do {
			size_t u = vds_stream_decode(buf + used, have - used,
						     f, max, &n);

			if (u > have - used || n > max)
				abort();
			for (unsigned i = 0; i < n; i++)
				check(buf + used, u, &f[i]);
			used += u;
		} while (n == max);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	free(buf);
	return 0;
}
