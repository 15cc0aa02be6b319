/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmdline.h - command lines (cmdline.c): the parser of vde_stackcmd()
 * sequences and of "=command args", and the packed form in which they
 * travel to the helper. */
#ifndef VDS_CMDLINE_H
#define VDS_CMDLINE_H

#include <stddef.h>

/* A parsed command sequence, packed in one buffer that is sent as is to
 * the helper: for each command, its word count (2 bytes, host order) and
 * then its words, each ending with a NUL. */
struct vds_cmdseq {
	char *buf;       /* "argv0\0arg1\0\0argv0\0\0" */
	size_t len;      /* bytes used in buf */
	unsigned ncmds;  /* number of commands */
};

/* Parse "cmd args;cmd args" (quotes group words, backslash escapes).
 * flags: VDS_CMDLINE_* below.
 * Return: 0; -EINVAL for an empty sequence, an unterminated quote or a
 * relative command path; -E2BIG beyond VDS_CMD_MAX; -ENOMEM. */
int vds_cmdline_parse(const char *text, unsigned flags, struct vds_cmdseq *ret);

#define VDS_CMDLINE_ONE 0x1u      /* one command: ';' is an ordinary char */
#define VDS_CMDLINE_RELATIVE 0x2u /* allow a program name without '/' */
void vds_cmdline_free(struct vds_cmdseq *seq);

/* Iterate: *pos starts at 0; fills argv (up to max-1 words, NULL-ended)
 * with pointers into buf.  Return: number of words, 0 at the end,
 * -EBADMSG for a malformed buffer (or a relative program name unless
 * flags has VDS_CMDLINE_RELATIVE), -E2BIG if argv is too small. */
int vds_cmdline_next(const char *buf, size_t len, size_t *pos, char **argv,
		     unsigned max, unsigned flags);

#define VDS_CMD_MAX 32768 /* longest packed sequence, bytes */
#define VDS_CMD_MAXARGS 256

#endif /* VDS_CMDLINE_H */
