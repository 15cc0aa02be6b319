/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_cmdline.c - libFuzzer target: vde_stackcmd and stream command-line
 * parsing, and reading back what the parser packed (as the helper does). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[] = {
		0, VDS_CMDLINE_ONE | VDS_CMDLINE_RELATIVE,
	};
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		struct vds_cmdseq seq;
		char *argv[VDS_CMD_MAXARGS];
		size_t pos = 0;
		unsigned n = 0;
		int words;

		if (vds_cmdline_parse(text, flags[f], &seq) < 0)
			continue;
		while ((words = vds_cmdline_next(seq.buf, seq.len, &pos, argv,
						 VDS_CMD_MAXARGS, flags[f])) > 0) {
			/* every word is a string inside the buffer */
			for (int i = 0; i < words; i++)
				if (strlen(argv[i]) >= seq.len)
					abort();
			n++;
		}
		if (words < 0 || n != seq.ncmds)
			abort(); /* the parser's own output must read back */
		vds_cmdline_free(&seq);
	}
	free(text);
	return 0;
}
