/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * registry.c - which backend serves a URL.
 *
 * Built-in schemes come first; "=command args" is the stream backend; any
 * other URL goes to libvdeplug, which knows its own schemes and loads
 * plugins for the rest (and says EPROTONOSUPPORT when it has none).  A
 * built-in scheme therefore takes precedence over a libvdeplug plugin of
 * the same name.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "registry.h"
#include "base/internal.h"
#include "backend.h"

/* Built-in backends, switched by meson options. */
static const struct vds_backend_ops *const builtin[] = {
	&vds_backend_mem,
#if VDS_HAVE_SLIRP
	&vds_backend_slirp,
#endif
};

/* scheme_len - length of a URL's "scheme" before "://".
 * Return: the length, or 0 when the URL has no scheme. */
static size_t scheme_len(const char *url)
{
	size_t n = strspn(url, "abcdefghijklmnopqrstuvwxyz"
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

	return n > 0 && !strncmp(url + n, "://", 3) ? n : 0;
}

/* vds_registry_lookup - the backend for a (non-empty) URL.
 * Return: its ops, or NULL with *err = -EINVAL (control characters in the
 * URL) or -EPROTONOSUPPORT (no backend can serve it). */
const struct vds_backend_ops *vds_registry_lookup(const char *url, int *err)
{
	size_t n;

	for (const char *c = url; *c; c++) {
		if ((unsigned char)*c < ' ' || *c == 0x7f) {
			*err = -EINVAL;
			return NULL;
		}
	}
	if (url[0] == '=')
		return &vds_backend_stream;
	n = scheme_len(url);
	for (size_t i = 0; n && i < VDS_ARRAY_SIZE(builtin); i++) {
		const char *s = builtin[i]->scheme;

		if (s && strlen(s) == n && !strncmp(url, s, n))
			return builtin[i];
	}
#if VDS_HAVE_VDEPLUG
	return &vds_backend_vdeplug;
#else
	*err = -EPROTONOSUPPORT;
	return NULL;
#endif
}
