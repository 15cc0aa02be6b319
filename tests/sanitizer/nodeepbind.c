// SPDX-License-Identifier: LGPL-2.1-or-later
/* nodeepbind.c - LD_PRELOAD shim for the sanitizer pass: dlopen() without
 * RTLD_DEEPBIND, so that libvdeplug's plugins load under AddressSanitizer.
 *
 * Theory of operation: libvdeplug 4 opens each plugin (hub://, vde://,
 * null://, udp://...) with dlopen(path, RTLD_NOW | RTLD_DEEPBIND).  A deep-
 * bound object looks symbols up in its own dependencies (libc) before the
 * global scope, so its malloc() and free() would skip the sanitizer's
 * interceptors; the sanitizer runtime therefore refuses such a dlopen() and
 * aborts the process.  Preloaded ahead of libasan, this dlopen() clears the
 * flag and passes the call on to the next definition (the sanitizer's
 * interceptor, then glibc's).  Clearing it changes nothing else here: the
 * plugins define only vdeplug_ops, porttab_add/del and *_ops, which no
 * object of the global scope defines, and the one global definition that
 * shadows libc's for them, libvdestack's socket(), passes straight to the
 * system call while a backend runs (vds_bypass_default).
 *
 * Built without sanitizer flags (it runs before libasan is initialised in
 * the symbol order) and used only by tests/run's sanitizer pass, with
 * ASAN_OPTIONS=verify_asan_link_order=0 since libasan is no longer first. */

#include <dlfcn.h>
#include <stddef.h>

typedef void *dlopen_fn(const char *file, int mode);

/* next_dlopen - the dlopen() after this one in the lookup order.
 * Return: the function, or NULL when there is none (never expected). */
static dlopen_fn *next_dlopen(void)
{
	static dlopen_fn *next;

	if (!next)
		next = (dlopen_fn *)dlsym(RTLD_NEXT, "dlopen");
	return next;
}

/* dlopen - dlopen(3) with RTLD_DEEPBIND taken out of the flags.
 * Return: the handle, or NULL as dlopen(3). */
__attribute__((visibility("default")))
void *dlopen(const char *file, int mode)
{
	dlopen_fn *next = next_dlopen();

	if (!next)
		return NULL;
	return next(file, mode & ~RTLD_DEEPBIND);
}
