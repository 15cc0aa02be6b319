/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_stream.c - libFuzzer target: the VDE stream decoder, fed the input
 * in the chunks a socket might deliver. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/stream.h"
#include "core/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - a delivered frame lies inside the buffer and is long enough. */
static void check(void *arg, const struct vds_frame *f)
{
	const unsigned char *buf = arg;

	if (f->len < 14 || f->len > 65535 || (const unsigned char *)f->data < buf)
		abort();
	/* touch every byte, so that ASan sees an overrun */
	volatile unsigned char sum = 0;
	for (size_t i = 0; i < f->len; i++)
		sum += ((const unsigned char *)f->data)[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* first byte: chunk size; the rest: the stream */
	size_t chunk, have = 0, off = 1;
	unsigned char *buf;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		size_t used;

		memcpy(buf + have, data + off, n);
		have += n;
		off += n;
		used = vds_stream_decode(buf, have, check, buf);
		if (used > have)
			abort();
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	free(buf);
	return 0;
}
