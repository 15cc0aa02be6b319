/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_spawn.c - unit tests of vds_spawn() and vds_fd_above_stdio()
 * (spawn.c): exec's errno back, the child's descriptors, its setup, its
 * environment.  Cases that move standard descriptors run in a forked
 * child. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/internal.h"
#include "base/spawn.h"
#include "unit.h"

/* run - vds_spawn of argv (envp; stdio as given) and its wait status.
 * Return: the status, or vds_spawn's -errno (*ret_child set). */
static int run(char *const *argv, char *const *envp, const int stdio[3],
	       bool *ret_child)
{
	struct vds_spawn sp = {
		.argv = argv, .envp = envp,
		.stdio = { stdio[0], stdio[1], stdio[2] },
	};
	pid_t pid = vds_spawn(&sp, ret_child);
	int status;

	if (pid < 0)
		return pid;
	if (waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	return status;
}

/* read_all - what a pipe's read end gives until end-of-file, into buf
 * (NUL-ended).  Return: its length. */
static size_t read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static const int inherit[3] = { -1, -1, -1 };

/* test_spawn_reports_the_exec_error_and_reaps_the_child - ENOENT for a
 * missing program, EACCES for a directory, and no zombie is left. */
static void test_spawn_reports_the_exec_error_and_reaps_the_child(void **state)
{
	char *missing[] = { "/nonexistent/program", NULL };
	char *dir[] = { "/", NULL };
	bool child = false;

	assert_int_equal(run(missing, NULL, inherit, &child), -ENOENT);
	assert_true(child);
	child = false;
	assert_int_equal(run(dir, NULL, inherit, &child), -EACCES);
	assert_true(child);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* test_spawn_runs_the_program_with_its_environment - envp exactly, or
 * the parent's with NULL; the exit status as waitpid gives it. */
static void test_spawn_runs_the_program_with_its_environment(void **state)
{
	char *env_argv[] = { "/usr/bin/env", NULL };
	char *sh_argv[] = { "/bin/sh", "-c", "test \"$UNIT_SPAWN\" = yes",
			    NULL };
	char *envp[] = { "A=1", "B=two words", NULL };
	char out[256];
	int p[2], status;
	bool child = true;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	status = run(env_argv, envp, (int[3]){ -1, p[1], -1 }, &child);
	close(p[1]);
	read_all(p[0], out, sizeof(out));
	close(p[0]);
	assert_false(child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(out, "A=1\nB=two words\n");
	setenv("UNIT_SPAWN", "yes", 1);
	status = run(sh_argv, NULL, inherit, NULL);
	unsetenv("UNIT_SPAWN");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	status = run(sh_argv, NULL, inherit, NULL);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

/* test_spawn_searches_path_only_when_asked */
static void test_spawn_searches_path_only_when_asked(void **state)
{
	char *argv[] = { "true", NULL };
	struct vds_spawn sp = { .argv = argv, .stdio = { -1, -1, -1 },
				.path_search = true };
	int status;
	pid_t pid = vds_spawn(&sp, NULL);

	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sp.path_search = false;
	assert_int_equal(vds_spawn(&sp, NULL), -ENOENT);
}

/* failing_setup - a setup that fails.  Return: -EPERM. */
static int failing_setup(void *arg)
{
	*(int *)arg = 1; /* the child's copy: the parent's stays 0 */
	return -EPERM;
}

/* test_spawn_reports_a_failed_setup_as_the_child_error */
static void test_spawn_reports_a_failed_setup_as_the_child_error(void **state)
{
	char *argv[] = { "/bin/true", NULL };
	int touched = 0;
	struct vds_spawn sp = { .argv = argv, .stdio = { -1, -1, -1 },
				.setup = failing_setup, .arg = &touched };
	bool child = false;

	assert_int_equal(vds_spawn(&sp, &child), -EPERM);
	assert_true(child);
	assert_int_equal(touched, 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

/* swapped - in a child: descriptor 0 is a pipe's write end, 1 /dev/null;
 * the program gets them the other way round and sees no other
 * descriptor of the parent (an inheritable one at 7 among them). */
static void swapped(void *arg)
{
	char *argv[] = { "/bin/sh", "-c",
			 "test ! -e /proc/$$/fd/7 || exit 3; read x; echo ok:$x",
			 NULL };
	int p[2], status;
	char out[64];

	CHILD_CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHILD_CHECK(dup2(p[1], 0) == 0 && close(p[1]) == 0);
	CHILD_CHECK(dup2(open("/dev/null", O_RDONLY), 1) == 1);
	CHILD_CHECK(dup2(1, 7) == 7); /* inheritable */
	status = run(argv, NULL, (int[3]){ 1, 0, -1 }, NULL);
	close(0);
	read_all(p[0], out, sizeof(out));
	CHILD_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"status %#x", status);
	CHILD_CHECK_MSG(!strcmp(out, "ok:\n"), "output [%s]", out);
}

/* test_spawn_puts_descriptors_in_place_whatever_their_numbers - sources
 * among 0..2 are not overwritten, nothing else is inherited. */
static void test_spawn_puts_descriptors_in_place_whatever_their_numbers(void **state)
{
	assert_int_equal(unit_run_in_child(swapped, NULL), 0);
}

/* above - in a child: descriptors 0..2 moved above 2, others kept. */
static void above(void *arg)
{
	int fd, high;
	struct stat a, b;

	CHILD_CHECK(vds_fd_above_stdio(-1) == -EBADF);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(fd > 2 && vds_fd_above_stdio(fd) == fd);
	close(fd);
	close(1);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(fd == 1 && fstat(fd, &a) == 0);
	high = vds_fd_above_stdio(fd);
	CHILD_CHECK(high > 2);
	CHILD_CHECK(fcntl(1, F_GETFD) < 0); /* the original is closed */
	CHILD_CHECK(fcntl(high, F_GETFD) & FD_CLOEXEC);
	CHILD_CHECK(fstat(high, &b) == 0 && a.st_ino == b.st_ino);
}

/* test_fd_above_stdio_moves_only_standard_descriptors */
static void test_fd_above_stdio_moves_only_standard_descriptors(void **state)
{
	assert_int_equal(unit_run_in_child(above, NULL), 0);
}

/* test_default_env_is_the_documented_one - vde_stackcmd(3). */
static void test_default_env_is_the_documented_one(void **state)
{
	assert_string_equal(vds_spawn_default_env[0],
			    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
			    "/usr/bin:/sbin:/bin");
	assert_string_equal(vds_spawn_default_env[1], "HOME=/");
	assert_string_equal(vds_spawn_default_env[2], "LC_ALL=C");
	assert_null(vds_spawn_default_env[3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_reports_the_exec_error_and_reaps_the_child),
		cmocka_unit_test(test_spawn_runs_the_program_with_its_environment),
		cmocka_unit_test(test_spawn_searches_path_only_when_asked),
		cmocka_unit_test(test_spawn_reports_a_failed_setup_as_the_child_error),
		cmocka_unit_test(test_spawn_puts_descriptors_in_place_whatever_their_numbers),
		cmocka_unit_test(test_fd_above_stdio_moves_only_standard_descriptors),
		cmocka_unit_test(test_default_env_is_the_documented_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
