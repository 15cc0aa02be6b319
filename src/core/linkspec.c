/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linkspec.c - the parser of vde_stacklink() specs: "delay=100ms,
 * jitter=10ms,loss=1.5%,rate=10mbit,dir=out", "down", "up", "clear".
 *
 * Theory of operation: the spec is split at commas into items, each a
 * key=value pair or a bare word, looked up in one table (keys[]) that
 * names the value's parser and where its result goes.  Numbers are read
 * here, digit by digit, as fixed-point decimals (micro-units): strtod()
 * would follow the application's LC_NUMERIC, and "1.5%" must not mean
 * something else in a program that called setlocale().  Everything is
 * parsed and cross-checked (jitter within delay, queue only with rate,
 * a burst model that exists) before anything is returned, so a caller
 * that gets -EINVAL has nothing to undo.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "linkspec.h"
#include "base/internal.h"
#include "base/proto.h"

#define MICRO 1000000ULL          /* fixed-point decimals: micro-units */
#define INT_DIGITS_MAX 12         /* integer part: no overflow below */
#define FRAC_DIGITS_MAX 9         /* read; beyond 6 they are dropped */
#define PCT_MAX (100 * MICRO)     /* 100 %, in micro-percent */

/* The keys, as bits: each may appear once. */
enum {
	K_DELAY = 1u << 0, K_JITTER = 1u << 1, K_LOSS = 1u << 2,
	K_DUP = 1u << 3, K_REORDER = 1u << 4, K_CORRUPT = 1u << 5,
	K_RATE = 1u << 6, K_QUEUE = 1u << 7, K_MTU = 1u << 8,
	K_DIR = 1u << 9, K_IF = 1u << 10, K_DOWN = 1u << 11,
	K_UP = 1u << 12, K_CLEAR = 1u << 13,
};
/* The keys that set conditions (and so replace those of dirs). */
#define K_CONDITIONS (K_DELAY | K_JITTER | K_LOSS | K_DUP | K_REORDER | \
		      K_CORRUPT | K_RATE | K_QUEUE | K_MTU)

/* One item's value: text, len bytes (not NUL-ended). */
struct value {
	const char *s;
	size_t len;
};

/* decimal - the leading decimal number of v ("12", "1.5", ".25") in
 * micro-units; *ret_end: the bytes it took.
 * Return: 0 or -EINVAL (no digit, too many digits). */
static int decimal(const struct value *v, uint64_t *ret, size_t *ret_end)
{
	uint64_t ip = 0, fp = 0, scale = MICRO;
	size_t i = 0, idigits = 0, fdigits = 0;

	for (; i < v->len && v->s[i] >= '0' && v->s[i] <= '9'; i++) {
		if (++idigits > INT_DIGITS_MAX)
			return -EINVAL;
		ip = ip * 10 + (uint64_t)(v->s[i] - '0');
	}
	if (i < v->len && v->s[i] == '.') {
		for (i++; i < v->len && v->s[i] >= '0' && v->s[i] <= '9'; i++) {
			if (++fdigits > FRAC_DIGITS_MAX)
				return -EINVAL;
			if (scale > 1) {
				scale /= 10;
				fp += (uint64_t)(v->s[i] - '0') * scale;
			}
		}
		if (fdigits == 0)
			return -EINVAL; /* "1." */
	}
	if (idigits + fdigits == 0)
		return -EINVAL;
	*ret = ip * MICRO + fp;
	*ret_end = i;
	return 0;
}

/* number_unit - a decimal followed by exactly one of the units of
 * names (matched without case), whose multipliers are mults.
 * Return: 0 with the micro-units times the unit's multiplier divided by
 * MICRO (rounded) in *ret, or -EINVAL. */
static int number_unit(const struct value *v, const char *const *names,
		       const uint64_t *mults, unsigned n, uint64_t *ret)
{
	uint64_t micro;
	size_t end;
	int err = decimal(v, &micro, &end);

	if (err < 0)
		return err;
	for (unsigned i = 0; i < n; i++) {
		size_t ul = strlen(names[i]);

		if (v->len - end == ul &&
		    !strncasecmp(v->s + end, names[i], ul)) {
			unsigned __int128 x = (unsigned __int128)micro * mults[i];

			x = (x + MICRO / 2) / MICRO;
			if (x > UINT64_MAX)
				return -EINVAL;
			*ret = (uint64_t)x;
			return 0;
		}
	}
	return -EINVAL;
}

/* duration - DUR: a number with "us", "ms" or "s", at most
 * VDS_LINK_DELAY_MAX_US.  Return: 0 with *ret in us, or -EINVAL. */
static int duration(const struct value *v, int64_t *ret)
{
	static const char *const names[] = { "us", "ms", "s" };
	static const uint64_t mults[] = { 1, 1000, 1000000 };
	uint64_t us;
	int err = number_unit(v, names, mults, VDS_ARRAY_SIZE(names), &us);

	if (err < 0 || us > VDS_LINK_DELAY_MAX_US)
		return -EINVAL;
	*ret = (int64_t)us;
	return 0;
}

/* percent_micro - PCT: a number from 0 to 100, "%" optional.
 * Return: 0 with *ret in micro-percent, or -EINVAL. */
static int percent_micro(const struct value *v, uint64_t *ret)
{
	uint64_t micro;
	size_t end;
	int err = decimal(v, &micro, &end);

	if (err < 0)
		return err;
	if (end < v->len && v->s[end] == '%')
		end++;
	if (end != v->len || micro > PCT_MAX)
		return -EINVAL;
	*ret = micro;
	return 0;
}

/* chance - a probability p (0 to 1) on the VDS_LINK_ALWAYS scale.
 * Return: it. */
static uint64_t chance(double p)
{
	if (p <= 0)
		return 0;
	if (p >= 1)
		return VDS_LINK_ALWAYS;
	return (uint64_t)(p * (double)VDS_LINK_ALWAYS + 0.5);
}

/* percent - PCT as a chance.  Return: 0 with *ret, or -EINVAL. */
static int percent(const struct value *v, uint64_t *ret)
{
	uint64_t micro;
	int err = percent_micro(v, &micro);

	if (err == 0)
		*ret = chance((double)micro / (double)PCT_MAX);
	return err;
}

/* burst_model - loss=PCT/BURST: the chances of the two-state model whose
 * bad state holds for BURST frames on average (leave = 1/BURST) and whose
 * share of frames in it is PCT (enter = leave * P / (1 - P)); a PCT that
 * so short a burst cannot give (enter > 1) is malformed.
 * Return: 0 or -EINVAL. */
static int burst_model(uint64_t pct_micro, const struct value *bv,
		       struct vds_linkdir *c)
{
	uint64_t burst;
	size_t end;
	double p = (double)pct_micro / (double)PCT_MAX, leave, enter;

	if (decimal(bv, &burst, &end) < 0 || end != bv->len ||
	    burst < MICRO || burst > VDS_LINK_BURST_MAX * MICRO)
		return -EINVAL;
	if (pct_micro == 0)
		return 0; /* no loss, whatever the bursts */
	if (pct_micro == PCT_MAX) {
		c->loss = VDS_LINK_ALWAYS;
		return 0;
	}
	leave = (double)MICRO / (double)burst;
	enter = leave * p / (1 - p);
	if (enter > 1)
		return -EINVAL;
	c->burst_enter = chance(enter);
	c->burst_leave = chance(leave);
	if (c->burst_enter == 0)
		c->burst_enter = 1; /* a share too small to round to: rare */
	return 0;
}

/* loss - loss=PCT or loss=PCT/BURST.  Return: 0 or -EINVAL. */
static int loss(const struct value *v, struct vds_linkspec *ls)
{
	const char *slash = memchr(v->s, '/', v->len);
	struct value pv = *v, bv;
	uint64_t micro;

	if (!slash)
		return percent(v, &ls->cond.loss);
	pv.len = (size_t)(slash - v->s);
	bv = (struct value){ .s = slash + 1, .len = v->len - pv.len - 1 };
	if (percent_micro(&pv, &micro) < 0)
		return -EINVAL;
	return burst_model(micro, &bv, &ls->cond);
}

/* rate - RATE: a number with "kbit", "mbit" or "gbit".
 * Return: 0 with *ret in bit/s, or -EINVAL. */
static int rate(const struct value *v, uint64_t *ret)
{
	static const char *const names[] = { "kbit", "mbit", "gbit" };
	static const uint64_t mults[] = { 1000ULL, 1000000ULL, 1000000000ULL };
	int err = number_unit(v, names, mults, VDS_ARRAY_SIZE(names), ret);

	if (err < 0 || *ret < VDS_LINK_RATE_MIN_BPS ||
	    *ret > VDS_LINK_RATE_MAX_BPS)
		return -EINVAL;
	return 0;
}

/* integer - a whole number of v, then one of "", "k", "m" (x1024,
 * x1048576) when sized, within [min, max].
 * Return: 0 with *ret, or -EINVAL. */
static int integer(const struct value *v, bool sized, uint64_t min,
		   uint64_t max, uint32_t *ret)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < v->len && v->s[i] >= '0' && v->s[i] <= '9'; i++) {
		if (i >= INT_DIGITS_MAX)
			return -EINVAL;
		x = x * 10 + (uint64_t)(v->s[i] - '0');
	}
	if (i == 0)
		return -EINVAL;
	if (sized && v->len == i + 1 && (v->s[i] == 'k' || v->s[i] == 'K')) {
		x *= 1024;
		i++;
	} else if (sized && v->len == i + 1 &&
		   (v->s[i] == 'm' || v->s[i] == 'M')) {
		x *= 1024 * 1024;
		i++;
	}
	if (i != v->len || x < min || x > max)
		return -EINVAL;
	*ret = (uint32_t)x;
	return 0;
}

/* direction - dir=out|in|both.  Return: 0 or -EINVAL. */
static int direction(const struct value *v, unsigned *ret)
{
	static const struct { const char *name; unsigned dirs; } dirs[] = {
		{ "out", VDS_LINK_OUT }, { "in", VDS_LINK_IN },
		{ "both", VDS_LINK_BOTH },
	};

	for (unsigned i = 0; i < VDS_ARRAY_SIZE(dirs); i++) {
		if (v->len == strlen(dirs[i].name) &&
		    !memcmp(v->s, dirs[i].name, v->len)) {
			*ret = dirs[i].dirs;
			return 0;
		}
	}
	return -EINVAL;
}

/* interface - if=NAME, a name the kernel takes.  Return: 0 or -EINVAL. */
static int interface(const struct value *v, char *ret)
{
	if (v->len == 0 || v->len > VDS_IFNAME_MAX)
		return -EINVAL;
	memcpy(ret, v->s, v->len);
	ret[v->len] = '\0';
	return vds_ifname_check(ret);
}

/* key_value - store the value of key k (one of K_*) in ls.
 * Return: 0 or -EINVAL. */
static int key_value(unsigned k, const struct value *v, struct vds_linkspec *ls)
{
	struct vds_linkdir *c = &ls->cond;

	switch (k) {
	case K_DELAY: return duration(v, &c->delay_us);
	case K_JITTER: return duration(v, &c->jitter_us);
	case K_LOSS: return loss(v, ls);
	case K_DUP: return percent(v, &c->dup);
	case K_REORDER: return percent(v, &c->reorder);
	case K_CORRUPT: return percent(v, &c->corrupt);
	case K_RATE: return rate(v, &c->rate_bps);
	case K_QUEUE:
		return integer(v, true, VDS_LINK_QUEUE_MIN, VDS_LINK_QUEUE_MAX,
			       &c->queue_bytes);
	case K_MTU:
		return integer(v, false, VDS_LINK_MTU_MIN, VDS_LINK_MTU_MAX,
			       &c->mtu);
	case K_DIR: return direction(v, &ls->dirs);
	case K_IF: return interface(v, ls->ifname);
	}
	return -EINVAL;
}

/* The items a spec may hold: keys with a value, and words without. */
static const struct {
	const char *name;
	unsigned key;
	bool word;
} keys[] = {
	{ .name = "delay", .key = K_DELAY },
	{ .name = "jitter", .key = K_JITTER },
	{ .name = "loss", .key = K_LOSS },
	{ .name = "dup", .key = K_DUP },
	{ .name = "reorder", .key = K_REORDER },
	{ .name = "corrupt", .key = K_CORRUPT },
	{ .name = "rate", .key = K_RATE },
	{ .name = "queue", .key = K_QUEUE },
	{ .name = "mtu", .key = K_MTU },
	{ .name = "dir", .key = K_DIR },
	{ .name = "if", .key = K_IF },
	{ .name = "down", .key = K_DOWN, .word = true },
	{ .name = "up", .key = K_UP, .word = true },
	{ .name = "clear", .key = K_CLEAR, .word = true },
};

/* item - one item of the spec (len bytes at s), recorded in *seen.
 * Return: 0 or -EINVAL (unknown, repeated, a word with a value or a key
 * without one, a bad value). */
static int item(const char *s, size_t len, unsigned *seen,
		struct vds_linkspec *ls)
{
	const char *eq = memchr(s, '=', len);
	size_t nlen = eq ? (size_t)(eq - s) : len;

	for (unsigned i = 0; i < VDS_ARRAY_SIZE(keys); i++) {
		struct value v;

		if (nlen != strlen(keys[i].name) ||
		    memcmp(s, keys[i].name, nlen))
			continue;
		if ((*seen & keys[i].key) || keys[i].word == (eq != NULL))
			return -EINVAL;
		*seen |= keys[i].key;
		if (keys[i].word)
			return 0;
		v = (struct value){ .s = eq + 1, .len = len - nlen - 1 };
		return key_value(keys[i].key, &v, ls);
	}
	return -EINVAL;
}

/* cross_check - what the items say together: something besides dir= and
 * if=; clear alone; down or up, not both; jitter within delay; reorder
 * only with a delay; queue only with a rate.  Return: 0 or -EINVAL. */
static int cross_check(unsigned seen, const struct vds_linkdir *c)
{
	if (!(seen & ~(K_DIR | K_IF)))
		return -EINVAL;
	if ((seen & K_CLEAR) && (seen & (K_CONDITIONS | K_DOWN | K_UP)))
		return -EINVAL;
	if ((seen & K_DOWN) && (seen & K_UP))
		return -EINVAL;
	if (c->jitter_us > c->delay_us)
		return -EINVAL;
	if ((seen & K_REORDER) && c->delay_us == 0)
		return -EINVAL;
	if ((seen & K_QUEUE) && !(seen & K_RATE))
		return -EINVAL;
	return 0;
}

/* vds_linkspec_parse - see linkspec.h.  Return: 0 or -EINVAL. */
int vds_linkspec_parse(const char *spec, struct vds_linkspec *ret)
{
	struct vds_linkspec ls = { .dirs = VDS_LINK_BOTH, .cut = -1 };
	size_t len = spec ? strnlen(spec, VDS_LINK_SPEC_MAX + 1) : 0;
	unsigned seen = 0;
	size_t start = 0;

	if (len == 0 || len > VDS_LINK_SPEC_MAX)
		return -EINVAL;
	ls.cond.queue_bytes = VDS_LINK_QUEUE_DEFAULT;
	while (start <= len) {
		const char *comma = memchr(spec + start, ',', len - start);
		size_t end = comma ? (size_t)(comma - spec) : len;

		if (end == start ||
		    item(spec + start, end - start, &seen, &ls) < 0)
			return -EINVAL;
		start = end + 1;
	}
	if (cross_check(seen, &ls.cond) < 0)
		return -EINVAL;
	ls.set = seen & (K_CONDITIONS | K_CLEAR);
	if (seen & K_DOWN)
		ls.cut = 1;
	else if (seen & (K_UP | K_CLEAR))
		ls.cut = 0;
	if (!(seen & K_RATE))
		ls.cond.queue_bytes = 0;
	*ret = ls;
	return 0;
}

/* vds_linkdir_queues - whether frames of c wait in a queue (a delay or a
 * rate).  Return: true if so. */
bool vds_linkdir_queues(const struct vds_linkdir *c)
{
	return c->delay_us > 0 || c->rate_bps > 0;
}

/* vds_linkdir_active - whether c changes anything on the wire.
 * Return: true if so. */
bool vds_linkdir_active(const struct vds_linkdir *c)
{
	return vds_linkdir_queues(c) || c->loss || c->burst_enter ||
	       c->dup || c->corrupt || c->mtu;
}
