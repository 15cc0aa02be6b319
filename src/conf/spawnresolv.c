/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spawnresolv.c - vde_stackspawn_resolv(3): start a program in a stack
 * with the stack's DNS as its /etc/resolv.conf.
 *
 * Theory of operation: a program finds its DNS servers in
 * /etc/resolv.conf, which is the host's.  Where the stack's DNS differs
 * (servers given with dns=, learned from DHCP or router advertisements),
 * the program gets a mount namespace of its own in which a file naming
 * the stack's servers is bound over /etc/resolv.conf, and nothing else
 * changes.  The text goes to the helper with the spawn request
 * (vds_stack_spawn, core/stack.c: a bind whose source is a content); the
 * spawner, root of the stack's user namespace, unshares the mount
 * namespace, writes the file into a tmpfs of that namespace only, binds
 * it and detaches the tmpfs, then starts the program (serve.c).  So
 * nothing is written on the host, nothing stays behind whatever happens,
 * and the file keeps a name: a program may bind over /etc/resolv.conf in
 * turn (a nested vdestack, a test harness), which a deleted file would
 * forbid.  Files given by path are bound as they are (by path: a
 * descriptor would name a mount of the caller's namespace, which
 * mount(2) will not bind from in a new one).  A stack whose DNS data is
 * the host's file alone (dns=host) keeps the host's file, options and
 * all: it works there unchanged.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "base/alloc.h"
#include "base/internal.h"
#include "base/proto.h"
#include "core/stack.h"

#define RESOLV_TARGET "/etc/resolv.conf"
#define HOSTS_TARGET "/etc/hosts"

/* stack_text - the stack's DNS as the content of a bind's source
 * (VDS_SPAWN_TEXT, then the text) in a new string at *ret, when the
 * program needs one: the stack has DNS data and it is not the host's
 * file alone.  Return: 1 with *ret set, 0 when none is needed, or
 * -ENOMEM. */
static int stack_text(struct vdestack *stack, char **ret)
{
	size_t len, size;
	bool host;
	char *text;

	len = vds_conf_resolv(stack, NULL, 0, &host);
	if (len == 0 || host)
		return 0;
	size = len + 2;
	text = vds_malloc(size);
	if (!text)
		return -ENOMEM;
	text[0] = VDS_SPAWN_TEXT;
	/* the data may have changed meanwhile: what fits is one whole copy
	 * (vds_dns_format writes whole lines only when it all fits, else a
	 * prefix, which is still a valid resolv.conf) */
	vds_conf_resolv(stack, text + 1, size - 1, &host);
	*ret = text;
	return 1;
}

/* file_path - the absolute path of file (which must exist) into path
 * (PATH_MAX bytes).  Return: 0 or -errno (-EINVAL for ""). */
static int file_path(const char *file, char *path)
{
	if (!file[0])
		return -EINVAL;
	return realpath(file, path) ? 0 : -errno;
}

/* The files of one call and what they cover. */
struct binds {
	char *text;             /* the stack's file's content, or NULL */
	char resolv[PATH_MAX];
	char hosts[PATH_MAX];
	char *vec[2 * 2 + 1];   /* pairs, NULL-ended */
	unsigned n;
};

/* add - a pair of vec.  Return: nothing. */
static void add(struct binds *b, char *file, const char *target)
{
	b->vec[b->n++] = file;
	b->vec[b->n++] = (char *)target;
	b->vec[b->n] = NULL;
}

/* spawn_resolv - the work of vde_stackspawn_resolv.
 * Return: the process descriptor, or -errno. */
static int spawn_resolv(struct vdestack *stack, char *const argv[],
			char *const envp[], const char *resolv,
			const char *hosts, struct binds *b)
{
	int err = 0, pd;

	if (!resolv) {
		err = stack_text(stack, &b->text);
		if (err == 1)
			add(b, b->text, RESOLV_TARGET);
	} else if (resolv[0]) {
		err = file_path(resolv, b->resolv);
		if (err == 0)
			add(b, b->resolv, RESOLV_TARGET);
	}
	if (err >= 0 && hosts) {
		err = file_path(hosts, b->hosts);
		if (err == 0)
			add(b, b->hosts, HOSTS_TARGET);
	}
	pd = err < 0 ? err : vds_stack_spawn(stack, argv, envp, b->vec);
	vds_free(b->text);
	return pd;
}

/* vde_stackspawn_resolv - vde_stackspawn() with the stack's DNS (or the
 * files given) seen by the program as /etc/resolv.conf and /etc/hosts.
 * Return: a process descriptor, or -1 with errno. */
VDS_EXPORT int vde_stackspawn_resolv(struct vdestack *stack,
				     char *const argv[], char *const envp[],
				     const char *resolv, const char *hosts)
{
	struct binds *b;
	int pd;

	if (!stack || !argv || !argv[0] || argv[0][0] != '/') {
		errno = EINVAL;
		return -1;
	}
	b = vds_calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return -1;
	}
	pd = spawn_resolv(stack, argv, envp, resolv, hosts, b);
	vds_free(b);
	if (pd < 0) {
		errno = -pd;
		return -1;
	}
	return pd;
}
