/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmdline.c - parsing of vde_stackcmd() command sequences into argv lists,
 * and the packed form of word vectors.
 *
 * Theory of operation: there is no shell.  A sequence is split on ';' into
 * commands and each command on blanks into words.  'single quotes' keep
 * everything literally, "double quotes" group words and let a backslash
 * escape '"' and '\', and outside quotes a backslash escapes any character.
 * Every command must name its program by absolute path (unless the caller
 * allows otherwise, as the stream backend does for "=ssh ..."): the whole sequence
 * is refused before anything runs otherwise, so a typo never turns into a
 * PATH search.
 *
 * The result is packed into one buffer, the form in which it travels to
 * the helper: per vector (command), a 2-byte word count, then the words,
 * each ending with a NUL.  The same form carries vde_stackspawn()'s argv
 * and envp (vds_cmdline_pack), so there is one packer (the struct packer
 * below, which the parser feeds byte by byte and vds_cmdline_pack word
 * by word) and one reader (vds_cmdline_words), on which the walk over a
 * command sequence (vds_cmdline_next) is built.  Nothing in the format
 * marks the kind of vector: the request that carries it (proto.c) says
 * how many there are and what they mean.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cmdline.h"
#include "alloc.h"

/* A growing output buffer of packed vectors. */
struct packer {
	char *buf;
	size_t len, size;
	size_t limit;     /* most bytes allowed */
	int err;          /* the first error: -E2BIG, -ENOMEM */
	size_t count_at;  /* where the open vector's count goes */
	unsigned nwords;  /* words of the open vector so far */
};

/* put - append n bytes; records -E2BIG/-ENOMEM in p->err. */
static void put(struct packer *p, const void *data, size_t n)
{
	if (p->err)
		return;
	if (p->len + n > p->limit) {
		p->err = -E2BIG;
		return;
	}
	if (p->len + n > p->size) {
		size_t size = p->size ? p->size * 2 : 256;
		char *nbuf;

		while (size < p->len + n)
			size *= 2;
		nbuf = vds_realloc(p->buf, size);
		if (!nbuf) {
			p->err = -ENOMEM;
			return;
		}
		p->buf = nbuf;
		p->size = size;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
}

/* vec_begin - open a vector: room for its count. */
static void vec_begin(struct packer *p)
{
	uint16_t none = 0;

	p->count_at = p->len;
	p->nwords = 0;
	put(p, &none, sizeof(none));
}

/* word_end - end the open vector's current word (its bytes were put). */
static void word_end(struct packer *p)
{
	put(p, "", 1);
	p->nwords++;
}

/* vec_end - close the open vector: write its count (callers keep it
 * within UINT16_MAX). */
static void vec_end(struct packer *p)
{
	uint16_t n = (uint16_t)p->nwords;

	if (!p->err)
		memcpy(p->buf + p->count_at, &n, sizeof(n));
}

/* is_blank - word separators.  Return: true for a blank. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* parse_word - the word at *sp (quotes, backslashes) into p, up to a
 * blank, a ';' (unless one) or the end; *sp moves past it.
 * Return: 0, or -EINVAL for an unterminated quote or a trailing
 * backslash (p->err holds a packing error). */
static int parse_word(struct packer *p, const char **sp, bool one)
{
	const char *s = *sp;

	while (*s && !is_blank(*s) && (*s != ';' || one)) {
		char c = *s++;

		if (c == '\'') {
			const char *end = strchr(s, '\'');

			if (!end)
				return -EINVAL;
			put(p, s, (size_t)(end - s));
			s = end + 1;
		} else if (c == '"') {
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				put(p, s++, 1);
			}
			if (*s != '"')
				return -EINVAL;
			s++;
		} else if (c == '\\') {
			if (*s == '\0')
				return -EINVAL;
			put(p, s++, 1);
		} else {
			put(p, &c, 1);
		}
	}
	*sp = s;
	return 0;
}

/* parse_command - the command at *sp, up to ';' (unless VDS_CMDLINE_ONE)
 * or the end, as one more vector of p; *sp moves past it and its ';'.
 * Return: 1, 0 for an empty command (nothing packed), or -EINVAL (a
 * quote, an empty or relative program name), -E2BIG, -ENOMEM. */
static int parse_command(struct packer *p, const char **sp, unsigned flags)
{
	bool one = flags & VDS_CMDLINE_ONE;
	bool relative = flags & VDS_CMDLINE_RELATIVE;
	size_t start = p->len;
	const char *s = *sp;
	int err = 0;

	vec_begin(p);
	for (;;) {
		size_t word_at = p->len;

		while (is_blank(*s))
			s++;
		if (*s == '\0' || (*s == ';' && !one))
			break;
		err = parse_word(p, &s, one);
		if (err == 0)
			word_end(p);
		if (err == 0 && p->err)
			err = p->err; /* too long fails as soon as it is */
		if (err == 0 && p->nwords == 1 &&
		    (p->buf[word_at] == '\0' ||
		     (!relative && p->buf[word_at] != '/')))
			err = -EINVAL;
		if (err == 0 && p->nwords >= VDS_CMD_MAXARGS)
			err = -E2BIG;
		if (err)
			return err;
	}
	if (*s == ';')
		s++;
	*sp = s;
	if (p->err)
		return p->err;
	if (p->nwords == 0) {
		p->len = start; /* an empty command between ';' */
		return 0;
	}
	vec_end(p);
	return 1;
}

/* vds_cmdline_parse - parse a command sequence (see Theory of operation).
 * Return: 0, or -EINVAL (empty, unterminated quote, relative path, trailing
 * backslash), -E2BIG (too long, too many words), -ENOMEM. */
int vds_cmdline_parse(const char *text, unsigned flags, struct vds_cmdseq *ret)
{
	struct packer p = { .limit = VDS_CMD_MAX };
	const char *s = text;
	unsigned ncmds = 0;
	int n = 0;

	*ret = (struct vds_cmdseq){ 0 };
	while (*s && n >= 0) {
		n = parse_command(&p, &s, flags);
		if (n > 0)
			ncmds++;
	}
	if (n >= 0 && ncmds == 0)
		n = -EINVAL;
	if (n < 0) {
		vds_free(p.buf);
		return n;
	}
	*ret = (struct vds_cmdseq){ .buf = p.buf, .len = p.len, .size = p.size,
				    .ncmds = ncmds };
	return 0;
}

/* vds_cmdline_free - release a sequence; accepts NULL and an empty one. */
void vds_cmdline_free(struct vds_cmdseq *seq)
{
	if (!seq)
		return;
	vds_free(seq->buf);
	*seq = (struct vds_cmdseq){ 0 };
}

/* vds_cmdline_pack - append a NULL-ended vector to seq (see cmdline.h).
 * Return: its number of words, or -E2BIG (more than max words, or seq
 * beyond limit bytes), -ENOMEM. */
int vds_cmdline_pack(struct vds_cmdseq *seq, char *const *vec, unsigned max,
		     size_t limit)
{
	struct packer p = { .buf = seq->buf, .len = seq->len,
			    .size = seq->size, .limit = limit };
	unsigned n;

	if (max > UINT16_MAX)
		max = UINT16_MAX;
	vec_begin(&p);
	for (n = 0; vec && vec[n] && !p.err; n++) {
		if (n == max) {
			p.err = -E2BIG;
			break;
		}
		put(&p, vec[n], strlen(vec[n]));
		word_end(&p);
	}
	vec_end(&p);
	seq->buf = p.buf; /* moved or grown even when it failed */
	seq->size = p.size;
	if (p.err)
		return p.err;
	seq->len = p.len;
	seq->ncmds++;
	return (int)n;
}

/* vds_cmdline_words - read one packed vector (see cmdline.h).
 * Return: its number of words, -EBADMSG (malformed, or no vector left),
 * -E2BIG (max words or more). */
int vds_cmdline_words(const char *buf, size_t len, size_t *pos, char **vec,
		      unsigned max)
{
	uint16_t nwords;
	size_t at = *pos;

	if (at > len || len - at < sizeof(nwords))
		return -EBADMSG;
	memcpy(&nwords, buf + at, sizeof(nwords));
	at += sizeof(nwords);
	if (nwords >= max)
		return -E2BIG;
	for (unsigned i = 0; i < nwords; i++) {
		const char *end = memchr(buf + at, '\0', len - at);

		if (!end)
			return -EBADMSG;
		if (vec)
			vec[i] = (char *)(buf + at);
		at = (size_t)(end - buf) + 1;
	}
	if (vec)
		vec[nwords] = NULL;
	*pos = at;
	return nwords;
}

/* vds_cmdline_next - take the next command of a packed sequence.
 * Return: its number of words, 0 at the end, -EBADMSG for a malformed
 * buffer, -E2BIG when argv (max slots, one kept for NULL) is too small. */
int vds_cmdline_next(const char *buf, size_t len, size_t *pos, char **argv,
		     unsigned max, unsigned flags)
{
	size_t at = *pos;
	int n;

	if (at == len)
		return 0;
	n = vds_cmdline_words(buf, len, &at, argv, max);
	if (n == 0)
		return -EBADMSG; /* a command has a program */
	if (n < 0)
		return n;
	if (argv[0][0] == '\0' ||
	    (!(flags & VDS_CMDLINE_RELATIVE) && argv[0][0] != '/'))
		return -EBADMSG;
	*pos = at;
	return n;
}
