/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmdline.c - parsing of vde_stackcmd() command sequences into argv lists.
 *
 * Theory of operation: there is no shell.  A sequence is split on ';' into
 * commands and each command on blanks into words.  'single quotes' keep
 * everything literally, "double quotes" group words and let a backslash
 * escape '"' and '\', and outside quotes a backslash escapes any character.
 * Every command must name its program by absolute path (unless the caller
 * allows otherwise, as the stream backend does for "=ssh ..."): the whole sequence
 * is refused before anything runs otherwise, so a typo never turns into a
 * PATH search.  The result is packed into one buffer, the form in which it
 * travels to the helper.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cmdline.h"
#include "alloc.h"

/* A growing output buffer. */
struct packer {
	char *buf;
	size_t len, size;
	int err;
};

/* put - append n bytes; records -E2BIG/-ENOMEM in p->err. */
static void put(struct packer *p, const void *data, size_t n)
{
	if (p->err)
		return;
	if (p->len + n > VDS_CMD_MAX) {
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

/* is_blank - word separators. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* vds_cmdline_parse - parse a command sequence (see Theory of operation).
 * Return: 0, or -EINVAL (empty, unterminated quote, relative path, trailing
 * backslash), -E2BIG (too long, too many words), -ENOMEM. */
int vds_cmdline_parse(const char *text, unsigned flags, struct vds_cmdseq *ret)
{
	struct packer p = { 0 };
	const char *s = text;
	bool one = flags & VDS_CMDLINE_ONE;
	bool relative = flags & VDS_CMDLINE_RELATIVE;
	unsigned ncmds = 0;
	int err = 0;

	*ret = (struct vds_cmdseq){ 0 };
	while (*s && !err) {
		size_t count_at = p.len;
		uint16_t nwords = 0;

		put(&p, &nwords, sizeof(nwords));
		/* one command: words until ';' or the end */
		for (;;) {
			size_t word_at = p.len;

			while (is_blank(*s))
				s++;
			if (*s == '\0' || (*s == ';' && !one))
				break;
			while (*s && !is_blank(*s) && (*s != ';' || one)) {
				char c = *s++;

				if (c == '\'') {
					const char *end = strchr(s, '\'');

					if (!end) {
						err = -EINVAL;
						break;
					}
					put(&p, s, (size_t)(end - s));
					s = end + 1;
				} else if (c == '"') {
					while (*s && *s != '"') {
						if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
							s++;
						put(&p, s++, 1);
					}
					if (*s != '"') {
						err = -EINVAL;
						break;
					}
					s++;
				} else if (c == '\\') {
					if (*s == '\0') {
						err = -EINVAL;
						break;
					}
					put(&p, s++, 1);
				} else {
					put(&p, &c, 1);
				}
			}
			if (err)
				break;
			put(&p, "", 1);
			if (nwords == 0 && (p.err || p.buf[word_at] == '\0' ||
					    (!relative && p.buf[word_at] != '/')))
				err = p.err ? p.err : -EINVAL;
			if (++nwords >= VDS_CMD_MAXARGS)
				err = -E2BIG;
			if (err)
				break;
		}
		if (*s == ';')
			s++;
		if (!err && p.err)
			err = p.err;
		if (err)
			break;
		if (nwords == 0) {
			p.len = count_at; /* empty command between ';' */
			continue;
		}
		memcpy(p.buf + count_at, &nwords, sizeof(nwords));
		ncmds++;
	}
	if (!err && p.err)
		err = p.err;
	if (!err && ncmds == 0)
		err = -EINVAL;
	if (err) {
		vds_free(p.buf);
		return err;
	}
	*ret = (struct vds_cmdseq){ .buf = p.buf, .len = p.len, .ncmds = ncmds };
	return 0;
}

/* vds_cmdline_free - release a parsed sequence; accepts an empty one. */
void vds_cmdline_free(struct vds_cmdseq *seq)
{
	if (!seq)
		return;
	vds_free(seq->buf);
	*seq = (struct vds_cmdseq){ 0 };
}

/* vds_cmdline_next - take the next command of a packed sequence.
 * Return: its number of words, 0 at the end, -EBADMSG for a malformed
 * buffer, -E2BIG when argv (max slots, one kept for NULL) is too small. */
int vds_cmdline_next(const char *buf, size_t len, size_t *pos, char **argv,
		     unsigned max, unsigned flags)
{
	uint16_t nwords;
	size_t at = *pos;

	if (at == len)
		return 0;
	if (at > len || len - at < sizeof(nwords))
		return -EBADMSG;
	memcpy(&nwords, buf + at, sizeof(nwords));
	at += sizeof(nwords);
	if (nwords == 0)
		return -EBADMSG;
	if (nwords >= max)
		return -E2BIG;
	for (unsigned i = 0; i < nwords; i++) {
		const char *end = memchr(buf + at, '\0', len - at);

		if (!end)
			return -EBADMSG;
		argv[i] = (char *)(buf + at);
		at = (size_t)(end - buf) + 1;
	}
	if (argv[0][0] == '\0' ||
	    (!(flags & VDS_CMDLINE_RELATIVE) && argv[0][0] != '/'))
		return -EBADMSG;
	argv[nwords] = NULL;
	*pos = at;
	return nwords;
}
