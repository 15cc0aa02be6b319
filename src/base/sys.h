/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sys.h - the system-call seam (sys.c): the calls that make helpers,
 * namespaces and links, each returning >= 0 on success and -errno on
 * failure.  Unit tests replace them with -Wl,--wrap=vds_sys_<name>. */
#ifndef VDS_SYS_H
#define VDS_SYS_H

#include <sys/types.h>

pid_t vds_sys_fork(void);
int vds_sys_unshare(int flags);
int vds_sys_setns(int fd, int nstype);
int vds_sys_open(const char *path, int flags);
int vds_sys_ioctl(int fd, unsigned long req, void *arg);
int vds_sys_socketpair(int domain, int type, int protocol, int sv[2]);
int vds_sys_socket(int domain, int type, int protocol);
/* if_nametoindex(3) in the current network namespace: > 0 or -errno. */
int vds_sys_ifindex(const char *name);
int vds_sys_write_file(const char *path, const char *text);
/* mount(2): the spawner's binds in a program's own mount namespace. */
int vds_sys_mount(const char *source, const char *target,
		  const char *fstype, unsigned long flags);
int vds_sys_umount2(const char *target, int flags);

/* The user namespace that owns the namespace ns (NS_GET_USERNS): a new
 * descriptor, close-on-exec, or -errno. */
int vds_sys_userns_of(int ns);
/* A process descriptor of pid (close-on-exec), or -errno: -ENOSYS where
 * the kernel (or a seccomp filter, or valgrind) has no pidfd_open(2). */
int vds_sys_pidfd_open(pid_t pid);
/* A small file (a sysctl under /proc/sys, /proc/self/status) read whole
 * into buf, NUL-terminated: at most size - 1 bytes.  Return: its length,
 * or -errno (-EFBIG when it does not fit; -EINVAL for size 0). */
int vds_sys_read_file(const char *path, char *buf, size_t size);

#endif /* VDS_SYS_H */
