/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmdline.h - command lines and word vectors (cmdline.c): the parser of
 * vde_stackcmd() sequences and of "=command args", and the one packed
 * form in which word vectors travel to the helper, with its packer and
 * its reader. */
#ifndef VDS_CMDLINE_H
#define VDS_CMDLINE_H

#include <stddef.h>

/* Word vectors packed in one buffer, sent as is to the helper: for each
 * vector, its word count (2 bytes, host order) and then its words, each
 * ending with a NUL.  A vde_stackcmd() sequence is one vector per command;
 * a vde_stackspawn() request carries two, argv and envp. */
struct vds_cmdseq {
	char *buf;       /* "\2\0argv0\0arg1\0\1\0argv0\0" */
	size_t len;      /* bytes used in buf */
	size_t size;     /* bytes allocated */
	unsigned ncmds;  /* number of vectors (commands) */
};

/* Parse "cmd args;cmd args" (quotes group words, backslash escapes).
 * flags: VDS_CMDLINE_* below.
 * Return: 0; -EINVAL for an empty sequence, an unterminated quote or a
 * relative command path; -E2BIG beyond VDS_CMD_MAX; -ENOMEM. */
int vds_cmdline_parse(const char *text, unsigned flags, struct vds_cmdseq *ret);

#define VDS_CMDLINE_ONE 0x1u      /* one command: ';' is an ordinary char */
#define VDS_CMDLINE_RELATIVE 0x2u /* allow a program name without '/' */

/* Release a sequence (parsed or packed); accepts NULL and an empty one. */
void vds_cmdline_free(struct vds_cmdseq *seq);

/* Append the NULL-ended vector vec (NULL: no word) to seq, which starts
 * as { 0 }: at most max words, and seq at most limit bytes in all.
 * Return: its number of words, or -E2BIG, -ENOMEM (seq unchanged but for
 * its buffer, which vds_cmdline_free releases). */
int vds_cmdline_pack(struct vds_cmdseq *seq, char *const *vec, unsigned max,
		     size_t limit);

/* The reader: the vector at *pos of a packed buffer, its words put in vec
 * (up to max - 1 of them, then NULL) as pointers into buf; with vec NULL,
 * only checked.  *pos moves past it.  Return: its number of words (0 for
 * an empty vector), -EBADMSG for a malformed buffer (or at its end),
 * -E2BIG when it has max words or more; *pos does not move then. */
int vds_cmdline_words(const char *buf, size_t len, size_t *pos, char **vec,
		      unsigned max);

/* Iterate over the commands of a sequence: *pos starts at 0; fills argv
 * as vds_cmdline_words.  Return: number of words, 0 at the end, -EBADMSG
 * for a malformed buffer (an empty command, or a relative program name
 * unless flags has VDS_CMDLINE_RELATIVE), -E2BIG if argv is too small. */
int vds_cmdline_next(const char *buf, size_t len, size_t *pos, char **argv,
		     unsigned max, unsigned flags);

#define VDS_CMD_MAX 32768 /* longest packed sequence, bytes */
#define VDS_CMD_MAXARGS 256

#endif /* VDS_CMDLINE_H */
