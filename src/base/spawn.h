/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spawn.h - starting a program (spawn.c): fork, set up the child, exec,
 * and exec's errno back to the parent; the default environment of the
 * programs the library starts in stacks. */
#ifndef VDS_SPAWN_H
#define VDS_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * struct vds_spawn - what the child does before exec.
 *
 * The child gets stdio[i] as its descriptor i (-1: leaves descriptor i as
 * the parent has it), and no other descriptor: everything above 2 is
 * closed, the parent's close-on-exec flags do not matter.  Then setup (if
 * not NULL) runs in the child, after fork() of a process that may have
 * threads: it must call only async-signal-safe functions.  A negative
 * return of setup fails the spawn as an exec error would.
 */
struct vds_spawn {
	char *const *argv;  /* argv[0] is the program */
	char *const *envp;  /* NULL: the parent's environment */
	bool path_search;   /* execvp(3)'s PATH search for a name without
			     * '/' (with envp NULL only) */
	int stdio[3];       /* the child's 0, 1, 2; -1: as inherited */
	int (*setup)(void *arg); /* Return: 0 or -errno */
	void *arg;
};

/* Start sp's program.  Return: its pid, or -errno: pipe2's or fork's
 * (*ret_child false), or the errno with which the child's setup or exec
 * failed (*ret_child true; the child is reaped then).  ret_child may be
 * NULL. */
pid_t vds_spawn(const struct vds_spawn *sp, bool *ret_child);

/* The environment of every command of vde_stackcmd(), and of a program of
 * vde_stackspawn() given no envp: documented in vde_stackcmd(3). */
extern char *const vds_spawn_default_env[];

/* Move a descriptor the library keeps to 3 or above (close-on-exec), so
 * that it never takes the place of a closed standard descriptor of the
 * application, which vde_stackcmd() and vde_stackspawn() would then pass
 * on as the caller's.  Return: the descriptor (fd itself when it is 3 or
 * above already) or -errno; fd is closed either way when it moved. */
int vds_fd_above_stdio(int fd);

#endif /* VDS_SPAWN_H */
