/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * registry.c - which backend serves a URL.
 *
 * The URL is split here, once, into the parts a backend's open() gets
 * (struct vds_url), so that no backend reads a scheme itself.
 * "=command args" is the stream backend; then the built-in schemes; any
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

#define URL_SEP "://"
#define URL_STREAM '='    /* "=command args" */
#define ASCII_DEL 0x7f    /* refused, as the control characters */

/* Built-in backends, switched by meson options. */
static const struct vds_backend_ops *const builtin[] = {
	&vds_backend_mem,
#if VDS_HAVE_SLIRP
	&vds_backend_slirp,
#endif
};

/* url_split - split url into its parts (see struct vds_url): the stream
 * backend's "=command" first; otherwise the scheme is what comes before
 * the first "://", as libvdeplug reads it.  Return: nothing. */
static void url_split(const char *url, struct vds_url *ret)
{
	const char *sep = strstr(url, URL_SEP);

	*ret = (struct vds_url){ .full = url, .rest = url };
	if (url[0] == URL_STREAM) {
		ret->rest = url + 1;
	} else if (sep) {
		ret->scheme = url;
		ret->scheme_len = (size_t)(sep - url);
		ret->rest = sep + strlen(URL_SEP);
	}
}

/* vds_registry_lookup - the backend for a (non-empty) URL, and the URL
 * split for it.  Return: 0, or -EINVAL (control characters in the URL)
 * or -EPROTONOSUPPORT (no backend can serve it). */
int vds_registry_lookup(const char *url, struct vds_url *ret_url,
			const struct vds_backend_ops **ret_ops)
{
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c < ' ' || *c == ASCII_DEL)
			return -EINVAL;
	url_split(url, ret_url);
	if (url[0] == URL_STREAM) {
		*ret_ops = &vds_backend_stream;
		return 0;
	}
	for (size_t i = 0; i < VDS_ARRAY_SIZE(builtin); i++) {
		if (builtin[i]->scheme &&
		    vds_url_scheme_is(ret_url, builtin[i]->scheme)) {
			*ret_ops = builtin[i];
			return 0;
		}
	}
#if VDS_HAVE_VDEPLUG
	*ret_ops = &vds_backend_vdeplug;
	return 0;
#else
	return -EPROTONOSUPPORT;
#endif
}
