/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spawn.c - the one way the library starts a program: fork, set up the
 * child, exec, and tell the parent whether the exec happened.
 *
 * Theory of operation: three places start programs, the stream backend
 * (the command of "=command args", in the application), a helper's
 * runner (each command of vde_stackcmd()) and a spawner (the program of
 * vde_stackspawn()).  All want the program's own exec error back (ENOENT,
 * EACCES...) rather than a bare exit status, and all give it exactly three
 * descriptors.  So before fork() a pipe is made close-on-exec; the child
 * puts its descriptors in place, moves the pipe's write end to 3, closes
 * everything above it, runs the caller's setup and execs.  A successful
 * exec closes the pipe, and the parent's read() sees end-of-file; a
 * failure writes errno there first.  The parent then reaps the child
 * itself, so a failed start leaves no zombie behind.
 *
 * The child runs after fork() of a process that may have threads (the
 * application, for the stream backend): from fork() to exec it calls
 * only async-signal-safe functions, and the caller's setup must too.
 * Descriptors are first lifted out of 0..2, so that dup2() into place
 * never overwrites a descriptor still to be placed, whatever numbers the
 * caller's descriptors have (an application may run with 0, 1 or 2
 * closed, so that a socket of its own is 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

/* The environment of commands: documented in vde_stackcmd(3). */
char *const vds_spawn_default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/",
	"LC_ALL=C",
	NULL,
};

/* The descriptor on which the child reports exec's errno. */
#define SPAWN_REPORT_FD 3

/* report - in the child: write err (a positive errno) to the report pipe
 * fd and end.  Never returns. */
static void __attribute__((noreturn)) report(int fd, int err)
{
	if (write(fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* lift - in the child: fd moved to 3 or above (the copy close-on-exec)
 * when it is a standard descriptor.  Return: the descriptor, or -1. */
static int lift(int fd)
{
	return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

/* child - after fork(): descriptors in place, setup, exec (see Theory of
 * operation); pipe is the report pipe's write end.  Never returns. */
static void __attribute__((noreturn)) child(const struct vds_spawn *sp,
					    int pipe)
{
	int fds[3], high, err;

	/* the caller's registers onto this frame: a memory checker that
	 * follows the child to its _exit() (valgrind) then still finds the
	 * parent's blocks that only a register pointed to */
	__builtin_unwind_init();
	high = lift(pipe);
	if (high < 0)
		report(pipe, errno);
	pipe = high;
	for (int i = 0; i < 3; i++) {
		fds[i] = lift(sp->stdio[i]);
		if (sp->stdio[i] >= 0 && fds[i] < 0)
			report(pipe, errno);
	}
	/* every source is above 2 now: none is overwritten */
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			report(pipe, errno);
	if (pipe != SPAWN_REPORT_FD) {
		if (dup3(pipe, SPAWN_REPORT_FD, O_CLOEXEC) < 0)
			report(pipe, errno);
		pipe = SPAWN_REPORT_FD;
	}
	syscall(SYS_close_range, SPAWN_REPORT_FD + 1U, ~0U, 0U);
	if (sp->setup && (err = sp->setup(sp->arg)) < 0)
		report(pipe, -err);
	if (sp->path_search && !sp->envp)
		execvp(sp->argv[0], sp->argv);
	else
		execve(sp->argv[0], sp->argv, sp->envp ? sp->envp : environ);
	report(pipe, errno);
}

/* vds_spawn - start sp's program (see Theory of operation).
 * Return: its pid, or -errno (pipe2's, fork's, or the child's setup or
 * exec error, the child reaped: *ret_child says which). */
pid_t vds_spawn(const struct vds_spawn *sp, bool *ret_child)
{
	int pipefd[2], err = 0;
	ssize_t n;
	pid_t pid;

	if (ret_child)
		*ret_child = false;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0)
		child(sp, pipefd[1]);
	close(pipefd[1]);
	do
		n = read(pipefd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(err)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (ret_child)
			*ret_child = true;
		return -(err > 0 ? err : ECHILD);
	}
	return pid;
}

/* vds_fd_above_stdio - see spawn.h.
 * Return: the descriptor, or -errno (fd closed then). */
int vds_fd_above_stdio(int fd)
{
	int high;

	if (fd < 0)
		return -EBADF;
	if (fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (high < 0)
		high = -errno;
	close(fd);
	return high;
}
