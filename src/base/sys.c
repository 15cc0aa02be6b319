/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sys.c - the system-call seam.
 *
 * The calls that create helpers, namespaces and taps go through these thin
 * wrappers, each returning -errno on failure; so does pidfd_open(2), which
 * libc may not wrap and which the helper, its spawners and the stream
 * backend all use to wait for a process, and so do the reads of
 * /proc/sys and /proc/self that explain a failed stack (core/diag.c), so
 * that a test can make the machine say anything.  Unit tests link the core
 * statically with -Wl,--wrap=vds_sys_<name> to make any step fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "sys.h"

/* Older headers lack the number (Linux 5.3). */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* vds_sys_fork - fork(2).  Return: pid (0 in the child) or -errno. */
pid_t vds_sys_fork(void)
{
	pid_t pid = fork();

	return pid < 0 ? -errno : pid;
}

/* vds_sys_unshare - unshare(2).  Return: 0 or -errno. */
int vds_sys_unshare(int flags)
{
	return unshare(flags) < 0 ? -errno : 0;
}

/* vds_sys_setns - setns(2).  Return: 0 or -errno. */
int vds_sys_setns(int fd, int nstype)
{
	return setns(fd, nstype) < 0 ? -errno : 0;
}

/* vds_sys_open - open(2), always with O_CLOEXEC.  Return: fd or -errno. */
int vds_sys_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* vds_sys_ioctl - ioctl(2) with a pointer argument.  Return: 0 or -errno. */
int vds_sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

/* vds_sys_ifindex - if_nametoindex(3) in the current network namespace.
 * Return: the index (> 0), or -errno (-ENODEV: no such interface). */
int vds_sys_ifindex(const char *name)
{
	unsigned ifindex = if_nametoindex(name);

	return ifindex ? (int)ifindex : (errno ? -errno : -ENODEV);
}

/* vds_sys_userns_of - ioctl(ns, NS_GET_USERNS): the owner of a namespace,
 * so that the helper keeps one descriptor a stack (its network namespace)
 * and gets the user namespace back only when a command enters the stack.
 * The kernel opens it close-on-exec.  Return: fd or -errno. */
int vds_sys_userns_of(int ns)
{
	int fd = ioctl(ns, NS_GET_USERNS);

	return fd < 0 ? -errno : fd;
}

/* vds_sys_socketpair - socketpair(2), always close-on-exec.
 * Return: 0 or -errno. */
int vds_sys_socketpair(int domain, int type, int protocol, int sv[2])
{
	return socketpair(domain, type | SOCK_CLOEXEC, protocol, sv) < 0 ?
		-errno : 0;
}

/* vds_sys_socket - socket(2) straight to the kernel, never through the
 * library's own socket() interposition.  Return: fd or -errno. */
int vds_sys_socket(int domain, int type, int protocol)
{
	long fd = syscall(SYS_socket, domain, type, protocol);

	return fd < 0 ? -errno : (int)fd;
}

/* vds_sys_write_file - write text to a file (uid_map and friends) in one
 * write(2), as the kernel requires for those files.  Return: 0 or -errno. */
int vds_sys_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	err = n < 0 ? -errno : ((size_t)n == len ? 0 : -EIO);
	close(fd);
	return err;
}

/* vds_sys_mount - mount(2) without data.  Return: 0 or -errno. */
int vds_sys_mount(const char *source, const char *target,
		  const char *fstype, unsigned long flags)
{
	return mount(source, target, fstype, flags, NULL) < 0 ? -errno : 0;
}

/* vds_sys_umount2 - umount2(2).  Return: 0 or -errno. */
int vds_sys_umount2(const char *target, int flags)
{
	return umount2(target, flags) < 0 ? -errno : 0;
}

/* vds_sys_pidfd_open - pidfd_open(2): a descriptor that polls readable
 * when process pid has ended; always close-on-exec.
 * Return: the descriptor or -errno (-ENOSYS without pidfd_open). */
int vds_sys_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

/* vds_sys_read_file - read the small file path whole into buf (size - 1
 * bytes at most) and NUL-terminate it: /proc files are read until end of
 * file, since a read may return less than there is.
 * Return: the length, or -errno (-EFBIG: it does not fit in buf). */
int vds_sys_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd, err = 0;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			char more;

			if (read(fd, &more, 1) > 0)
				err = -EFBIG;
			break;
		}
	}
	close(fd);
	buf[err < 0 ? 0 : len] = '\0';
	return err < 0 ? err : (int)len;
}
