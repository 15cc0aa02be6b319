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
 * changes.  The file is written here, by the application, as a private
 * temporary file (mkostemp under $TMPDIR or /tmp), and its path goes to
 * the helper with the spawn request (vds_stack_spawn, core/stack.c); the
 * spawner, root of the stack's user namespace, unshares the mount
 * namespace and binds it by path (a descriptor would name a mount of the
 * namespace it came from, which mount(2) refuses to bind from in a new
 * one), then starts the program.  Once the spawn has answered, the bind
 * holds the file and its name is removed, so nothing stays behind on the
 * host.  A stack whose DNS data is the host's file alone (dns=host) keeps
 * the host's file, options and all: it works there unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "base/alloc.h"
#include "base/internal.h"
#include "core/stack.h"

#define RESOLV_TARGET "/etc/resolv.conf"
#define HOSTS_TARGET "/etc/hosts"
#define TMP_DEFAULT "/tmp"
#define TMP_TEMPLATE "vdestack-resolv-XXXXXX"
#define RESOLV_MODE 0644  /* as the file it covers: a program may drop
			   * privileges and still read it */

/* write_all - write len bytes of text to fd.  Return: 0 or -errno. */
static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* stack_file - the stack's DNS as a private temporary file named in path
 * (PATH_MAX bytes), when the program needs one: the stack has DNS data
 * and it is not the host's file alone.
 * Return: 1 with the file made, 0 when none is needed, or -errno. */
static int stack_file(struct vdestack *stack, char *path)
{
	const char *dir = secure_getenv("TMPDIR");
	size_t len, size;
	char *text;
	bool host;
	int fd, err;

	len = vds_conf_resolv(stack, NULL, 0, &host);
	if (len == 0 || host)
		return 0;
	if (!dir || dir[0] != '/')
		dir = TMP_DEFAULT;
	if ((size_t)snprintf(path, PATH_MAX, "%s/%s", dir, TMP_TEMPLATE) >=
	    PATH_MAX)
		return -ENAMETOOLONG;
	size = len + 1;
	text = vds_malloc(size);
	if (!text)
		return -ENOMEM;
	/* the data may have grown meanwhile: what fits is one whole copy */
	len = vds_conf_resolv(stack, text, size, &host);
	fd = mkostemp(path, O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	if (err == 0 && fchmod(fd, RESOLV_MODE) < 0)
		err = -errno;
	if (err == 0)
		err = write_all(fd, text, len < size ? len : size - 1);
	if (fd >= 0 && close(fd) < 0 && err == 0)
		err = -errno;
	if (fd >= 0 && err < 0)
		unlink(path);
	vds_free(text);
	return err < 0 ? err : 1;
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
	char tmp[PATH_MAX];     /* the stack's file, "" if none */
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
		err = stack_file(stack, b->tmp);
		if (err == 1)
			add(b, b->tmp, RESOLV_TARGET);
		else
			b->tmp[0] = '\0';
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
	if (b->tmp[0])
		unlink(b->tmp); /* the program's bind holds the file */
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
