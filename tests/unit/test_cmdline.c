/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_cmdline.c - unit tests of the vde_stackcmd parser and of the packed
 * form of word vectors, its packer and its reader (cmdline.c). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cmdline.h"
#include "base/internal.h"
#include "unit.h"

/* ------------------------------------------------------------------ */
/* Allocation tracking: the allocator is wrapped to count live blocks   */
/* ------------------------------------------------------------------ */

void *__real_vds_malloc(size_t size);
void *__real_vds_calloc(size_t n, size_t size);
void *__real_vds_realloc(void *ptr, size_t size);
void __real_vds_free(void *ptr);
void *__wrap_vds_malloc(size_t size);
void *__wrap_vds_calloc(size_t n, size_t size);
void *__wrap_vds_realloc(void *ptr, size_t size);
void __wrap_vds_free(void *ptr);

static long live_blocks;

/* __wrap_vds_malloc - count a new block.  Return: as vds_malloc. */
void *__wrap_vds_malloc(size_t size)
{
	void *p = __real_vds_malloc(size);

	if (p)
		live_blocks++;
	return p;
}

/* __wrap_vds_calloc - count a new block.  Return: as vds_calloc. */
void *__wrap_vds_calloc(size_t n, size_t size)
{
	void *p = __real_vds_calloc(n, size);

	if (p)
		live_blocks++;
	return p;
}

/* __wrap_vds_realloc - count a block made from NULL.
 * Return: as vds_realloc. */
void *__wrap_vds_realloc(void *ptr, size_t size)
{
	void *p = __real_vds_realloc(ptr, size);

	if (p && !ptr)
		live_blocks++;
	return p;
}

/* __wrap_vds_free - count a released block. */
void __wrap_vds_free(void *ptr)
{
	if (ptr)
		live_blocks--;
	__real_vds_free(ptr);
}

/* ------------------------------------------------------------------ */
/* Table-driven parsing                                                 */
/* ------------------------------------------------------------------ */

#define MAX_CMDS 4
#define MAX_WORDS 8

struct parse_case {
	const char *name;
	const char *text;
	unsigned flags;
	int err;                              /* expected result */
	const char *cmds[MAX_CMDS][MAX_WORDS]; /* NULL-ended words */
};

/* A case that parses into cmds, and one that fails with err. */
#define OK(n, t, f, ...) { .name = n, .text = t, .flags = f, .cmds = { __VA_ARGS__ } }
#define ERR(n, t, f, e) { .name = n, .text = t, .flags = f, .err = e }

static const struct parse_case parse_cases[] = {
	OK("one word", "/bin/true", 0, { "/bin/true" }),
	OK("words split on blanks", " \t/bin/echo  a\tb\r\nc  ", 0,
	   { "/bin/echo", "a", "b", "c" }),
	OK("commands split on ';'", "/bin/a x;/bin/b y", 0,
	   { "/bin/a", "x" }, { "/bin/b", "y" }),
	OK("blanks around ';'", "/bin/a ; /bin/b ;", 0,
	   { "/bin/a" }, { "/bin/b" }),
	OK("empty segments skipped", ";; ;/bin/a;;\t;/bin/b;;", 0,
	   { "/bin/a" }, { "/bin/b" }),
	OK("single quotes group words", "/bin/echo 'a b' c", 0,
	   { "/bin/echo", "a b", "c" }),
	OK("double quotes group words", "/bin/echo \"a b\" c", 0,
	   { "/bin/echo", "a b", "c" }),
	OK("';' inside single quotes", "/bin/echo 'a;b'", 0,
	   { "/bin/echo", "a;b" }),
	OK("';' inside double quotes", "/bin/echo \"a;b\"", 0,
	   { "/bin/echo", "a;b" }),
	OK("backslash escapes ';' outside quotes", "/bin/echo a\\;b", 0,
	   { "/bin/echo", "a;b" }),
	OK("backslash escapes a blank", "/bin/echo a\\ b", 0,
	   { "/bin/echo", "a b" }),
	OK("backslash escapes a quote", "/bin/echo \\'x\\\"", 0,
	   { "/bin/echo", "'x\"" }),
	OK("backslash escapes any character", "/bin/echo \\a\\\\", 0,
	   { "/bin/echo", "a\\" }),
	OK("backslash literal in single quotes", "/bin/echo 'a\\b\\'", 0,
	   { "/bin/echo", "a\\b\\" }),
	OK("backslash escapes \" and \\ in double quotes",
	   "/bin/echo \"a\\\"b\\\\c\"", 0, { "/bin/echo", "a\"b\\c" }),
	OK("other backslashes kept in double quotes",
	   "/bin/echo \"a\\b\\;\"", 0, { "/bin/echo", "a\\b\\;" }),
	OK("double quote inside single quotes", "/bin/echo '\"'", 0,
	   { "/bin/echo", "\"" }),
	OK("single quote inside double quotes", "/bin/echo \"'\"", 0,
	   { "/bin/echo", "'" }),
	OK("adjacent quoted parts make one word", "/bin/echo a'b c'\"d\"e", 0,
	   { "/bin/echo", "ab cde" }),
	OK("empty single-quoted word", "/bin/echo '' x", 0,
	   { "/bin/echo", "", "x" }),
	OK("empty double-quoted word", "/bin/echo \"\"", 0,
	   { "/bin/echo", "" }),
	OK("quoted program path", "'/bin/my prog' x", 0,
	   { "/bin/my prog", "x" }),
	OK("escaped slash starts an absolute path", "\\/bin/true", 0,
	   { "/bin/true" }),
	OK("three commands", "/a;/b 1 2;/c", 0,
	   { "/a" }, { "/b", "1", "2" }, { "/c" }),

	ERR("empty text", "", 0, -EINVAL),
	ERR("only blanks", " \t\n ", 0, -EINVAL),
	ERR("only separators", ";", 0, -EINVAL),
	ERR("only separators and blanks", " ; ;; ", 0, -EINVAL),
	ERR("relative program", "echo hi", 0, -EINVAL),
	ERR("dot-relative program", "./run", 0, -EINVAL),
	ERR("relative later command refuses all", "/bin/true; echo hi", 0,
	    -EINVAL),
	ERR("relative last command refuses all", "/bin/a;/bin/b;c", 0, -EINVAL),
	ERR("empty program name", "'' /bin/true", 0, -EINVAL),
	ERR("empty program name in double quotes", "\"\"", 0, -EINVAL),
	ERR("unterminated single quote", "/bin/echo 'abc", 0, -EINVAL),
	ERR("unterminated double quote", "/bin/echo \"abc", 0, -EINVAL),
	ERR("escaped closing double quote", "/bin/echo \"abc\\\"", 0, -EINVAL),
	ERR("unterminated quote in a later command", "/bin/a;/bin/b 'x", 0,
	    -EINVAL),
	ERR("trailing backslash", "/bin/echo a\\", 0, -EINVAL),
	ERR("lone trailing backslash", "/bin/echo \\", 0, -EINVAL),

	OK("ONE: ';' is an ordinary character", "/bin/echo a;b ;",
	   VDS_CMDLINE_ONE, { "/bin/echo", "a;b", ";" }),
	ERR("ONE: a relative program is still refused", "echo a",
	    VDS_CMDLINE_ONE, -EINVAL),
	OK("RELATIVE: program name without '/'", "ssh host vde_plug",
	   VDS_CMDLINE_RELATIVE, { "ssh", "host", "vde_plug" }),
	OK("RELATIVE: several commands", "a; b 1", VDS_CMDLINE_RELATIVE,
	   { "a" }, { "b", "1" }),
	ERR("RELATIVE: empty program name refused", "'' x",
	    VDS_CMDLINE_RELATIVE, -EINVAL),
	OK("ONE|RELATIVE: stream backend command line", "ssh h 'a b';c",
	   VDS_CMDLINE_ONE | VDS_CMDLINE_RELATIVE, { "ssh", "h", "a b;c" }),
	ERR("ONE|RELATIVE: empty", "  ", VDS_CMDLINE_ONE | VDS_CMDLINE_RELATIVE,
	    -EINVAL),
};

/* expected_ncmds - commands in a case's expectation.  Return: count. */
static unsigned expected_ncmds(const struct parse_case *c)
{
	unsigned n = 0;

	while (n < MAX_CMDS && c->cmds[n][0])
		n++;
	return n;
}

/* check_seq - walk a packed sequence and compare it with cmds; fails the
 * test with the case name on a difference. */
static void check_seq(const char *name, const struct vds_cmdseq *seq,
		      unsigned flags, const char *const cmds[][MAX_WORDS],
		      unsigned ncmds)
{
	char *argv[VDS_CMD_MAXARGS];
	size_t pos = 0;
	unsigned i = 0;
	int n;

	if (seq->ncmds != ncmds)
		fail_msg("%s: %u commands, want %u", name, seq->ncmds, ncmds);
	while ((n = vds_cmdline_next(seq->buf, seq->len, &pos, argv,
				     VDS_ARRAY_SIZE(argv),
				     flags & VDS_CMDLINE_RELATIVE)) > 0) {
		int want = 0;

		if (i >= ncmds)
			fail_msg("%s: extra command %s", name, argv[0]);
		while (want < MAX_WORDS && cmds[i][want])
			want++;
		if (n != want)
			fail_msg("%s: command %u has %d words, want %d", name,
				 i, n, want);
		for (int w = 0; w < n; w++)
			if (strcmp(argv[w], cmds[i][w]))
				fail_msg("%s: command %u word %d is \"%s\", "
					 "want \"%s\"", name, i, w, argv[w],
					 cmds[i][w]);
		if (argv[n] != NULL)
			fail_msg("%s: argv not NULL-ended", name);
		i++;
	}
	if (n < 0)
		fail_msg("%s: vds_cmdline_next failed: %d", name, n);
	if (i != ncmds)
		fail_msg("%s: %u commands walked, want %u", name, i, ncmds);
	if (pos != seq->len)
		fail_msg("%s: walk ended at %zu of %zu bytes", name, pos,
			 seq->len);
}

/* test_cmdline_parse_table - every case of parse_cases. */
static void test_cmdline_parse_table(void **state)
{
	for (size_t k = 0; k < VDS_ARRAY_SIZE(parse_cases); k++) {
		const struct parse_case *c = &parse_cases[k];
		struct vds_cmdseq seq = { .buf = (char *)1 };
		int rc = vds_cmdline_parse(c->text, c->flags, &seq);

		if (rc != c->err)
			fail_msg("%s: \"%s\" gave %d, want %d", c->name, c->text,
				 rc, c->err);
		if (rc < 0) {
			if (seq.buf || seq.len || seq.ncmds)
				fail_msg("%s: output not cleared on error",
					 c->name);
		} else {
			check_seq(c->name, &seq, c->flags, c->cmds,
				  expected_ncmds(c));
		}
		vds_cmdline_free(&seq);
		if (live_blocks != 0)
			fail_msg("%s: %ld blocks leaked", c->name, live_blocks);
	}
}

/* test_cmdline_free_accepts_null_and_empty - the destructor's contract. */
static void test_cmdline_free_accepts_null_and_empty(void **state)
{
	struct vds_cmdseq seq = { 0 };

	vds_cmdline_free(NULL);
	vds_cmdline_free(&seq);
	assert_int_equal(vds_cmdline_parse("/bin/true", 0, &seq), 0);
	vds_cmdline_free(&seq);
	assert_null(seq.buf);
	assert_int_equal(seq.len, 0);
	vds_cmdline_free(&seq); /* twice is harmless */
	assert_int_equal(live_blocks, 0);
}

/* ------------------------------------------------------------------ */
/* Limits                                                               */
/* ------------------------------------------------------------------ */

/* make_words - "/bin/echo" followed by n one-letter words.
 * Return: a malloc'd string. */
static char *make_words(unsigned n)
{
	char *s = malloc(strlen("/bin/echo") + 2 * n + 1);
	char *p = s;

	assert_non_null(s);
	p += sprintf(p, "/bin/echo");
	for (unsigned i = 0; i < n; i++)
		p += sprintf(p, " x");
	return s;
}

/* test_cmdline_accepts_255_words_and_refuses_256 - VDS_CMD_MAXARGS. */
static void test_cmdline_accepts_255_words_and_refuses_256(void **state)
{
	char *argv[VDS_CMD_MAXARGS];
	struct vds_cmdseq seq;
	char *ok = make_words(VDS_CMD_MAXARGS - 2);  /* 255 words */
	char *big = make_words(VDS_CMD_MAXARGS - 1); /* 256 words */
	size_t pos = 0;

	assert_int_equal(vds_cmdline_parse(ok, 0, &seq), 0);
	assert_int_equal(vds_cmdline_next(seq.buf, seq.len, &pos, argv,
					  VDS_ARRAY_SIZE(argv), 0),
			 VDS_CMD_MAXARGS - 1);
	assert_null(argv[VDS_CMD_MAXARGS - 1]);
	vds_cmdline_free(&seq);
	assert_int_equal(vds_cmdline_parse(big, 0, &seq), -E2BIG);
	assert_null(seq.buf);
	free(ok);
	free(big);
	assert_int_equal(live_blocks, 0);
}

/* make_long - "/bin/echo " and a word of n 'y's.  Return: malloc'd. */
static char *make_long(size_t n)
{
	char *s = malloc(strlen("/bin/echo ") + n + 1);

	assert_non_null(s);
	strcpy(s, "/bin/echo ");
	memset(s + strlen(s), 'y', n);
	s[strlen("/bin/echo ") + n] = '\0';
	return s;
}

/* test_cmdline_accepts_exactly_32k_packed_and_refuses_more - the packed
 * size limit is VDS_CMD_MAX bytes, count and NULs included. */
static void test_cmdline_accepts_exactly_32k_packed_and_refuses_more(void **state)
{
	/* packed: 2 (count) + "/bin/echo\0" (10) + word + NUL */
	size_t fit = VDS_CMD_MAX - 2 - 10 - 1;
	char *ok = make_long(fit), *big = make_long(fit + 1);
	struct vds_cmdseq seq;

	assert_int_equal(vds_cmdline_parse(ok, 0, &seq), 0);
	assert_int_equal(seq.len, VDS_CMD_MAX);
	vds_cmdline_free(&seq);
	assert_int_equal(vds_cmdline_parse(big, 0, &seq), -E2BIG);
	assert_null(seq.buf);
	free(ok);
	free(big);
	assert_int_equal(live_blocks, 0);
}

/* test_cmdline_refuses_too_many_commands_with_e2big - many short commands
 * beyond VDS_CMD_MAX packed bytes. */
static void test_cmdline_refuses_too_many_commands_with_e2big(void **state)
{
	unsigned n = VDS_CMD_MAX / 5 + 1; /* "/a" packs in 5 bytes */
	char *s = malloc(3 * n + 1), *p = s;
	struct vds_cmdseq seq;

	assert_non_null(s);
	for (unsigned i = 0; i < n; i++)
		p += sprintf(p, "/a;");
	assert_int_equal(vds_cmdline_parse(s, 0, &seq), -E2BIG);
	assert_null(seq.buf);
	s[3 * (n - 1)] = '\0'; /* one command fewer: 32765 bytes */
	assert_int_equal(vds_cmdline_parse(s, 0, &seq), 0);
	assert_int_equal(seq.ncmds, n - 1);
	vds_cmdline_free(&seq);
	free(s);
	assert_int_equal(live_blocks, 0);
}

/* test_cmdline_e2big_wins_over_a_later_relative_command - a too long
 * sequence fails as soon as it is too long. */
static void test_cmdline_e2big_wins_over_a_later_relative_command(void **state)
{
	char *big = make_long(VDS_CMD_MAX);
	size_t len = strlen(big);
	struct vds_cmdseq seq;

	big = realloc(big, len + 16);
	assert_non_null(big);
	strcpy(big + len, "; relative");
	assert_int_equal(vds_cmdline_parse(big, 0, &seq), -E2BIG);
	free(big);
	assert_int_equal(live_blocks, 0);
}

/* ------------------------------------------------------------------ */
/* vds_cmdline_next on packed buffers                                   */
/* ------------------------------------------------------------------ */

struct next_case {
	const char *name;
	const char *bytes; /* after the 2-byte count */
	size_t nbytes;
	uint16_t count;
	size_t len_override; /* 0: 2 + nbytes; else the whole length */
	unsigned max;
	unsigned flags;
	int want;
};

#define B(s) s, sizeof(s) - 1

static const struct next_case next_cases[] = {
	{ "well formed", B("/bin/a\0x\0"), 2, 0, 8, 0, 2 },
	{ "count without words", B(""), 1, 0, 8, 0, -EBADMSG },
	{ "zero count", B("/bin/a\0"), 0, 0, 8, 0, -EBADMSG },
	{ "fewer words than counted", B("/bin/a\0"), 2, 0, 8, 0, -EBADMSG },
	{ "word without NUL", B("/bin/a"), 1, 0, 8, 0, -EBADMSG },
	{ "empty program name", B("\0x\0"), 2, 0, 8, 0, -EBADMSG },
	{ "relative program name", B("ls\0"), 1, 0, 8, 0, -EBADMSG },
	{ "relative program name allowed", B("ls\0"), 1, 0, 8,
	  VDS_CMDLINE_RELATIVE, 1 },
	{ "empty program name even if relative allowed", B("\0"), 1, 0, 8,
	  VDS_CMDLINE_RELATIVE, -EBADMSG },
	{ "half a count", B(""), 0, 1, 8, 0, -EBADMSG },
	{ "argv exactly big enough", B("/a\0b\0c\0"), 3, 0, 4, 0, 3 },
	{ "argv one slot short", B("/a\0b\0c\0"), 3, 0, 3, 0, -E2BIG },
	{ "count larger than any argv", B("/a\0"), 0xffff, 0, VDS_CMD_MAXARGS,
	  0, -E2BIG },
};

/* test_cmdline_next_table - vds_cmdline_next on hand-made buffers; on an
 * error the position does not move. */
static void test_cmdline_next_table(void **state)
{
	for (size_t k = 0; k < VDS_ARRAY_SIZE(next_cases); k++) {
		const struct next_case *c = &next_cases[k];
		char buf[64];
		char *argv[VDS_CMD_MAXARGS];
		size_t len = c->len_override ? c->len_override : 2 + c->nbytes;
		size_t pos = 0;
		int rc;

		memcpy(buf, &c->count, 2);
		memcpy(buf + 2, c->bytes, c->nbytes);
		rc = vds_cmdline_next(buf, len, &pos, argv, c->max, c->flags);
		if (rc != c->want)
			fail_msg("%s: got %d, want %d", c->name, rc, c->want);
		if (rc < 0 && pos != 0)
			fail_msg("%s: position moved on error", c->name);
		if (rc > 0) {
			if (pos != len)
				fail_msg("%s: position %zu, want %zu", c->name,
					 pos, len);
			if (argv[rc] != NULL)
				fail_msg("%s: argv not NULL-ended", c->name);
			rc = vds_cmdline_next(buf, len, &pos, argv, c->max,
					      c->flags);
			if (rc != 0)
				fail_msg("%s: end gave %d", c->name, rc);
		}
	}
}

/* test_cmdline_next_is_zero_on_an_empty_buffer_and_ebadmsg_past_its_end -
 * position handling. */
static void test_cmdline_next_is_zero_on_an_empty_buffer_and_ebadmsg_past_its_end(void **state)
{
	char *argv[4];
	size_t pos = 0;

	assert_int_equal(vds_cmdline_next("", 0, &pos, argv, 4, 0), 0);
	pos = 5;
	assert_int_equal(vds_cmdline_next("\1\0/a\0", 3, &pos, argv, 4, 0),
			 -EBADMSG);
	assert_int_equal(pos, 5);
}

/* test_cmdline_next_reports_a_bad_second_command_after_a_good_first - the
 * walk stops at the malformed part. */
static void test_cmdline_next_reports_a_bad_second_command_after_a_good_first(void **state)
{
	static const char buf[] = "\1\0/a\0\1\0rel\0";
	char *argv[4];
	size_t pos = 0;
	uint16_t one = 1;

	assert_int_equal(memcmp(buf, &one, 2), 0); /* little-endian host */
	assert_int_equal(vds_cmdline_next(buf, sizeof(buf) - 1, &pos, argv, 4,
					  0), 1);
	assert_string_equal(argv[0], "/a");
	assert_int_equal(pos, 5);
	assert_int_equal(vds_cmdline_next(buf, sizeof(buf) - 1, &pos, argv, 4,
					  0), -EBADMSG);
	assert_int_equal(pos, 5);
}

/* ------------------------------------------------------------------ */
/* vds_cmdline_pack and vds_cmdline_words: the one packed form         */
/* ------------------------------------------------------------------ */

/* test_cmdline_pack_and_words_round_trip - vectors packed one after the
 * other read back in order, an empty one (NULL or {NULL}) included. */
static void test_cmdline_pack_and_words_round_trip(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo 'a b'", NULL };
	char *empty[] = { NULL };
	char *vec[8];
	struct vds_cmdseq seq = { 0 };
	size_t pos = 0;

	assert_int_equal(vds_cmdline_pack(&seq, argv, 8, 1024), 3);
	assert_int_equal(vds_cmdline_pack(&seq, NULL, 8, 1024), 0);
	assert_int_equal(vds_cmdline_pack(&seq, empty, 8, 1024), 0);
	assert_int_equal(seq.ncmds, 3);
	assert_int_equal(vds_cmdline_words(seq.buf, seq.len, &pos, vec, 8), 3);
	assert_string_equal(vec[0], "/bin/sh");
	assert_string_equal(vec[2], "echo 'a b'");
	assert_null(vec[3]);
	assert_int_equal(vds_cmdline_words(seq.buf, seq.len, &pos, vec, 8), 0);
	assert_null(vec[0]);
	assert_int_equal(vds_cmdline_words(seq.buf, seq.len, &pos, NULL, 8), 0);
	assert_int_equal(pos, seq.len);
	/* past the end: no vector left */
	assert_int_equal(vds_cmdline_words(seq.buf, seq.len, &pos, vec, 8),
			 -EBADMSG);
	vds_cmdline_free(&seq);
	assert_int_equal(live_blocks, 0);
}

/* test_cmdline_parse_and_pack_write_the_same_bytes - one format for
 * command lines and argv vectors. */
static void test_cmdline_parse_and_pack_write_the_same_bytes(void **state)
{
	char *a[] = { "/bin/ip", "link", "set", "lo up", NULL };
	char *b[] = { "/bin/true", NULL };
	struct vds_cmdseq parsed, packed = { 0 };

	assert_int_equal(vds_cmdline_parse("/bin/ip link set 'lo up'; /bin/true",
					   0, &parsed), 0);
	assert_int_equal(vds_cmdline_pack(&packed, a, 8, VDS_CMD_MAX), 4);
	assert_int_equal(vds_cmdline_pack(&packed, b, 8, VDS_CMD_MAX), 1);
	assert_int_equal(packed.len, parsed.len);
	assert_int_equal(packed.ncmds, parsed.ncmds);
	assert_memory_equal(packed.buf, parsed.buf, parsed.len);
	vds_cmdline_free(&parsed);
	vds_cmdline_free(&packed);
	assert_int_equal(live_blocks, 0);
}

/* test_cmdline_pack_refuses_too_many_words_or_bytes_with_e2big - and the
 * sequence keeps what it had. */
static void test_cmdline_pack_refuses_too_many_words_or_bytes_with_e2big(void **state)
{
	char *three[] = { "/a", "b", "c", NULL };
	struct vds_cmdseq seq = { 0 };
	size_t len;

	assert_int_equal(vds_cmdline_pack(&seq, three, 3, 64), 3);
	len = seq.len; /* 2 + 3 + 2 + 2 = 9 */
	assert_int_equal(len, 9);
	assert_int_equal(vds_cmdline_pack(&seq, three, 2, 64), -E2BIG);
	assert_int_equal(seq.len, len);
	assert_int_equal(seq.ncmds, 1);
	assert_int_equal(vds_cmdline_pack(&seq, three, 3, 2 * len - 1), -E2BIG);
	assert_int_equal(seq.len, len);
	assert_int_equal(vds_cmdline_pack(&seq, three, 3, 2 * len), 3);
	assert_int_equal(seq.len, 2 * len);
	vds_cmdline_free(&seq);
	assert_int_equal(live_blocks, 0);
}

/* test_cmdline_words_refuses_a_vector_of_max_words_with_e2big - one slot
 * of vec stays for the NULL; the position does not move on errors. */
static void test_cmdline_words_refuses_a_vector_of_max_words_with_e2big(void **state)
{
	static const char buf[] = "\3\0/a\0b\0c\0";
	char *vec[4];
	size_t pos = 0;

	assert_int_equal(vds_cmdline_words(buf, sizeof(buf) - 1, &pos, vec, 3),
			 -E2BIG);
	assert_int_equal(pos, 0);
	assert_int_equal(vds_cmdline_words(buf, sizeof(buf) - 2, &pos, vec, 4),
			 -EBADMSG);
	assert_int_equal(pos, 0);
	assert_int_equal(vds_cmdline_words(buf, sizeof(buf) - 1, &pos, vec, 4),
			 3);
	assert_int_equal(pos, sizeof(buf) - 1);
}

/* test_cmdline_pack_fails_cleanly_at_every_allocation */
static void test_cmdline_pack_fails_cleanly_at_every_allocation(void **state)
{
	char *words[64];
	char word[100];
	bool done = false;

	memset(word, 'w', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	for (size_t i = 0; i < VDS_ARRAY_SIZE(words) - 1; i++)
		words[i] = word;
	words[VDS_ARRAY_SIZE(words) - 1] = NULL;
	for (unsigned long n = 1; n < 100 && !done; n++) {
		struct vds_cmdseq seq = { 0 };
		unsigned long made;
		int rc;

		vds_alloc_fail_at(n);
		rc = vds_cmdline_pack(&seq, words, 64, VDS_CMD_MAX);
		if (rc >= 0)
			rc = vds_cmdline_pack(&seq, words, 64, VDS_CMD_MAX);
		made = vds_alloc_fail_at(0);
		if (made < n) {
			assert_int_equal(rc, 63);
			assert_int_equal(seq.ncmds, 2);
			done = true;
		} else if (rc != -ENOMEM) {
			fail_msg("allocation %lu: %d", n, rc);
		}
		vds_cmdline_free(&seq);
		if (live_blocks != 0)
			fail_msg("allocation %lu: %ld blocks", n, live_blocks);
	}
	assert_true(done);
}

/* ------------------------------------------------------------------ */
/* Fault injection                                                      */
/* ------------------------------------------------------------------ */

/* test_cmdline_parse_fails_cleanly_at_every_allocation - the nth
 * allocation failing, for every n until the parse succeeds, gives -ENOMEM,
 * a cleared result and no leaked block. */
static void test_cmdline_parse_fails_cleanly_at_every_allocation(void **state)
{
	char *long_word = make_long(3000); /* several reallocations */
	const char *texts[] = {
		"/bin/true",
		"/bin/a 1 2; /bin/b 'x y'; /bin/c \"z\"",
		long_word,
	};

	for (size_t k = 0; k < VDS_ARRAY_SIZE(texts); k++) {
		struct vds_cmdseq ref, seq;
		unsigned long n;
		bool done = false;

		assert_int_equal(vds_cmdline_parse(texts[k], 0, &ref), 0);
		for (n = 1; n < 100 && !done; n++) {
			unsigned long made;
			int rc;

			vds_alloc_fail_at(n);
			rc = vds_cmdline_parse(texts[k], 0, &seq);
			made = vds_alloc_fail_at(0);
			if (made < n) {
				/* the fault was not reached: a full success */
				assert_int_equal(rc, 0);
				assert_int_equal(seq.len, ref.len);
				assert_memory_equal(seq.buf, ref.buf, ref.len);
				vds_cmdline_free(&seq);
				done = true;
			} else {
				if (rc != -ENOMEM)
					fail_msg("text %zu, allocation %lu: %d",
						 k, n, rc);
				assert_null(seq.buf);
			}
			if (live_blocks != 1) /* ref only */
				fail_msg("text %zu, allocation %lu: %ld blocks",
					 k, n, live_blocks - 1);
		}
		assert_true(done);
		assert_true(n > 2); /* at least one fault was injected */
		vds_cmdline_free(&ref);
	}
	free(long_word);
	assert_int_equal(live_blocks, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_parse_table),
		cmocka_unit_test(test_cmdline_free_accepts_null_and_empty),
		cmocka_unit_test(test_cmdline_accepts_255_words_and_refuses_256),
		cmocka_unit_test(test_cmdline_accepts_exactly_32k_packed_and_refuses_more),
		cmocka_unit_test(test_cmdline_refuses_too_many_commands_with_e2big),
		cmocka_unit_test(test_cmdline_e2big_wins_over_a_later_relative_command),
		cmocka_unit_test(test_cmdline_next_table),
		cmocka_unit_test(test_cmdline_next_is_zero_on_an_empty_buffer_and_ebadmsg_past_its_end),
		cmocka_unit_test(test_cmdline_next_reports_a_bad_second_command_after_a_good_first),
		cmocka_unit_test(test_cmdline_parse_fails_cleanly_at_every_allocation),
		cmocka_unit_test(test_cmdline_pack_and_words_round_trip),
		cmocka_unit_test(test_cmdline_parse_and_pack_write_the_same_bytes),
		cmocka_unit_test(test_cmdline_pack_refuses_too_many_words_or_bytes_with_e2big),
		cmocka_unit_test(test_cmdline_words_refuses_a_vector_of_max_words_with_e2big),
		cmocka_unit_test(test_cmdline_pack_fails_cleanly_at_every_allocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
