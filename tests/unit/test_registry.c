/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_registry.c - unit tests of URL -> backend selection (registry.c). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "base/internal.h"
#include "core/backend.h"
#include "core/registry.h"
#include "unit.h"

#if VDS_HAVE_VDEPLUG
#define FALLBACK (&vds_backend_vdeplug)
#define FALLBACK_ERR 0
#else
#define FALLBACK NULL
#define FALLBACK_ERR (-EPROTONOSUPPORT)
#endif

#if defined(VDS_HAVE_SLIRP) && VDS_HAVE_SLIRP
#define SLIRP(u) TO(u, &vds_backend_slirp)
#else
#define SLIRP(u) FB(u)
#endif

/* A URL served by backend b; by the fallback; refused. */
#define TO(u, b) { .url = u, .want = b }
#define FB(u) { .url = u, .want = FALLBACK, .err = FALLBACK_ERR }
#define BAD(u) { .url = u, .err = -EINVAL }

struct lookup_case {
	const char *url;
	const struct vds_backend_ops *want;
	int err; /* when want is NULL */
};

/* test_registry_lookup_table - which backend serves which URL. */
static void test_registry_lookup_table(void **state)
{
	const struct lookup_case cases[] = {
		TO("=cmd", &vds_backend_stream),
		TO("=/usr/bin/vde_plug vde:///tmp/x", &vds_backend_stream),
		TO("=", &vds_backend_stream),
		TO("= ssh host", &vds_backend_stream),
		TO("=a://b", &vds_backend_stream),
		TO("mem://seg", &vds_backend_mem),
		TO("mem://", &vds_backend_mem),

		FB("vde:///tmp/switch"),
		FB("null://"),
		FB("hub:///tmp/hub"),
		SLIRP("slirp://"),
		FB("/tmp/switch"),
		FB("memory://x"),
		FB("me://x"),
		FB("mem:/x"),
		FB("xmem://x"),
		FB("nosuchscheme://x"),
		FB("vde:///tmp/\xc3\xa9"),
		FB("x=y"),

		BAD("vde:///tmp/x\n"),
		BAD("\tvde://"),
		BAD("null://\x01"),
		BAD("null://\x1f"),
		BAD("null://\x7f"),
		BAD("=cmd\narg"),
		BAD("=cmd\r"),
		BAD("mem://a\tb"),
		BAD("\x1b[0m"),
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(cases); i++) {
		const struct vds_backend_ops *ops = NULL;
		struct vds_url url;
		int err = vds_registry_lookup(cases[i].url, &url, &ops);

		if (err < 0)
			ops = NULL;
		if (ops != cases[i].want)
			fail_msg("case %zu: wrong backend %s", i,
				 ops && ops->scheme ? ops->scheme : "(none)");
		if (!ops && err != cases[i].err)
			fail_msg("case %zu: err %d, want %d", i, err,
				 cases[i].err);
	}
}

/* A URL and the parts the registry hands to open(). */
struct split_case {
	const char *url;
	const char *scheme; /* NULL: none */
	const char *rest;
};

/* test_registry_splits_the_url_once_for_the_backend - the scheme is what
 * comes before the first "://" (as libvdeplug reads it), the rest what
 * follows; "=command" has none and its rest follows the '='; a path is
 * all rest.  Every part points into the URL given. */
static void test_registry_splits_the_url_once_for_the_backend(void **state)
{
	static const struct split_case cases[] = {
		{ "mem://seg", "mem", "seg" },
		{ "mem://", "mem", "" },
		{ "slirp:///mtu=1500/a=b://c", "slirp", "/mtu=1500/a=b://c" },
		{ "vde:///tmp/sw", "vde", "/tmp/sw" },
		{ "cmd://ssh host vde_plug", "cmd", "ssh host vde_plug" },
		{ "x/y://z", "x/y", "z" },
		{ "://z", "", "z" },
		{ "=cmd a", NULL, "cmd a" },
		{ "=a://b", NULL, "a://b" },
		{ "/tmp/switch", NULL, "/tmp/switch" },
		{ "mem:/x", NULL, "mem:/x" },
		{ "", NULL, "" },
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(cases); i++) {
		const struct split_case *c = &cases[i];
		const struct vds_backend_ops *ops;
		struct vds_url url;
		int err = vds_registry_lookup(c->url, &url, &ops);

		if (err == -EPROTONOSUPPORT)
			continue; /* no libvdeplug: nothing to split for */
		assert_int_equal(err, 0);
		assert_ptr_equal(url.full, c->url);
		assert_string_equal(url.rest, c->rest);
		assert_true(url.rest >= c->url &&
			    url.rest <= c->url + strlen(c->url));
		if (!c->scheme) {
			assert_null(url.scheme);
			assert_int_equal(url.scheme_len, 0);
			continue;
		}
		assert_ptr_equal(url.scheme, c->url);
		assert_int_equal(url.scheme_len, strlen(c->scheme));
		assert_memory_equal(url.scheme, c->scheme, url.scheme_len);
		assert_true(vds_url_scheme_is(&url, c->scheme));
		assert_false(vds_url_scheme_is(&url, "me"));
	}
}

/* test_registry_builtin_tables_are_complete - every table the registry
 * hands out has all its operations. */
static void test_registry_builtin_tables_are_complete(void **state)
{
	const struct vds_backend_ops *tables[] = {
		&vds_backend_stream, &vds_backend_mem,
#if VDS_HAVE_VDEPLUG
		&vds_backend_vdeplug,
#endif
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(tables); i++) {
		const struct vds_backend_ops *o = tables[i];

		assert_non_null(o->open);
		assert_non_null(o->start);
		assert_non_null(o->send);
		assert_non_null(o->stop);
		assert_non_null(o->close);
	}
	assert_null(vds_backend_stream.scheme);
	assert_string_equal(vds_backend_mem.scheme, "mem");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_lookup_table),
		cmocka_unit_test(test_registry_splits_the_url_once_for_the_backend),
		cmocka_unit_test(test_registry_builtin_tables_are_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
