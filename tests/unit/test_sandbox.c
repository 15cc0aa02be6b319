/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_sandbox.c - unit tests of the pump's seccomp filter (sandbox.c)
 * and of the loop pools that do and do not install it (loop.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "core/loop.h"
#include "core/sandbox.h"
#include "unit.h"

/* What a filtered thread saw; checked on the test's thread. */
struct seen {
	int install;
	int execve, execveat, unshare, setns, ptrace, mount, clone_ns, clone3;
	int socketpair, io, fork_status;
};

/* fail_errno - run a call's result through errno.  Return: errno when
 * the call failed, 0 when it succeeded. */
static int fail_errno(long r)
{
	return r < 0 ? errno : 0;
}

/* filtered_thread - install the filter, then try what it denies and what
 * it must not deny.  Return: NULL. */
static void *filtered_thread(void *arg)
{
	struct seen *s = arg;
	/* paths that do not exist: without the filter ENOENT, never a
	 * program replacing the test */
	char *argv[] = { "/nonexistent/vds-sandbox", NULL }, *envp[] = { NULL };
	char c = 'x';
	int sv[2];
	pid_t pid;

	s->install = vds_sandbox_thread();
	if (s->install < 0)
		return NULL;
	s->execve = fail_errno(execve(argv[0], argv, envp));
	s->execveat = fail_errno(syscall(SYS_execveat, AT_FDCWD, argv[0],
					 argv, envp, 0));
	s->unshare = fail_errno(unshare(CLONE_NEWUSER));
	/* -1: without the filter this is EBADF */
	s->setns = fail_errno(setns(-1, CLONE_NEWNET));
	s->ptrace = fail_errno(ptrace(PTRACE_PEEKDATA, getppid(), NULL, NULL));
	s->mount = fail_errno(mount("none", "/nonexistent/vds-sandbox", "tmpfs",
				    0, NULL));
	/* a clone into a new user namespace; a child, if it came, leaves */
	{
		long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL,
				 NULL, NULL);

		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((pid_t)r, NULL, 0);
		s->clone_ns = r < 0 ? errno : 0;
	}
#ifdef SYS_clone3
	s->clone3 = fail_errno(syscall(SYS_clone3, NULL, 0));
#else
	s->clone3 = ENOSYS;
#endif
	/* what a pump does */
	s->socketpair = fail_errno(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
					      0, sv));
	if (s->socketpair == 0) {
		s->io = write(sv[0], &c, 1) == 1 && read(sv[1], &c, 1) == 1 ?
			0 : errno;
		close(sv[0]);
		close(sv[1]);
	}
	/* a plain fork still works (clone without namespace flags) */
	pid = fork();
	if (pid == 0)
		_exit(7);
	s->fork_status = -1;
	if (pid > 0)
		waitpid(pid, &s->fork_status, 0);
	return NULL;
}

/* skip_no_filter - the filter could not be installed (-ENOSYS): under
 * valgrind, which runs the system calls itself and installs no seccomp
 * filter, a plain skip; elsewhere UNIT_SKIP (a failure with CI=true: an
 * architecture the filter does not know). */
#define skip_no_filter()                                                   \
	do {                                                               \
		const char *pre = getenv("LD_PRELOAD");                    \
		if (pre && strstr(pre, "vgpreload"))                       \
			skip(); /* valgrind: no seccomp filters */          \
		UNIT_SKIP("an architecture the filter does not know");     \
	} while (0)

/* test_filter_denies_what_a_pump_never_needs - and allows what it does. */
static void test_filter_denies_what_a_pump_never_needs(void **state)
{
	struct seen s = { 0 };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, filtered_thread, &s), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (s.install == -ENOSYS)
		skip_no_filter();
	assert_int_equal(s.install, 0);
	assert_int_equal(s.execve, EPERM);
	assert_int_equal(s.execveat, EPERM);
	assert_int_equal(s.unshare, EPERM);
	assert_int_equal(s.setns, EPERM);
	assert_int_equal(s.ptrace, EPERM);
	assert_int_equal(s.mount, EPERM);
	assert_int_equal(s.clone_ns, EPERM);
	assert_int_equal(s.clone3, ENOSYS);
	assert_int_equal(s.socketpair, 0);
	assert_int_equal(s.io, 0);
	assert_true(WIFEXITED(s.fork_status) && WEXITSTATUS(s.fork_status) == 7);
}

/* test_filter_stays_on_its_thread - the thread that did not install it
 * still execs, and its no_new_privs is what it was (a sandbox around the
 * tests, bwrap for one, may have set it for the whole process). */
static void test_filter_stays_on_its_thread(void **state)
{
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	struct seen s = { 0 };
	pthread_t t;
	int status;
	pid_t pid;

	assert_int_equal(pthread_create(&t, NULL, filtered_thread, &s), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (s.install == -ENOSYS)
		skip_no_filter();
	/* it was installed and held on its own thread */
	assert_int_equal(s.install, 0);
	assert_int_equal(s.execve, EPERM);
	assert_int_equal(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), nnp);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };

		execv(argv[0], argv);
		_exit(100);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
}

/* try_setns - on a loop thread: setns(-1): EPERM under the filter, EBADF
 * without.  Return: -errno. */
static int try_setns(void *arg)
{
	return setns(-1, CLONE_NEWNET) < 0 ? -errno : 0;
}

/* test_loop_threads_run_under_the_filter - a loop of the default pool is
 * filtered, one of the exec pool is not, and VDESTACK_PUMP_SECCOMP=0
 * turns the filter off for loops started afterwards. */
static void test_loop_threads_run_under_the_filter(void **state)
{
	struct vds_loop *loop, *exec_loop;
	int want = -EPERM;
	struct seen probe = { 0 };
	pthread_t t;

	/* is the filter available at all here? */
	assert_int_equal(pthread_create(&t, NULL, filtered_thread, &probe), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (probe.install == -ENOSYS)
		want = -EBADF;

	unsetenv("VDESTACK_PUMP_SECCOMP");
	assert_int_equal(vds_loop_acquire(&loop), 0);
	assert_int_equal(vds_loop_acquire_exec(&exec_loop), 0);
	assert_true(loop != exec_loop);
	assert_int_equal(vds_loop_call(loop, try_setns, NULL), want);
	assert_int_equal(vds_loop_sandboxed(loop), want == -EPERM);
	assert_int_equal(vds_loop_call(exec_loop, try_setns, NULL), -EBADF);
	assert_false(vds_loop_sandboxed(exec_loop));
	vds_loop_release(exec_loop);
	vds_loop_release(loop);

	/* the threads are gone; new ones read the variable again */
	setenv("VDESTACK_PUMP_SECCOMP", "0", 1);
	assert_int_equal(vds_loop_acquire(&loop), 0);
	assert_int_equal(vds_loop_call(loop, try_setns, NULL), -EBADF);
	assert_false(vds_loop_sandboxed(loop));
	vds_loop_release(loop);
	unsetenv("VDESTACK_PUMP_SECCOMP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_denies_what_a_pump_never_needs),
		cmocka_unit_test(test_filter_stays_on_its_thread),
		cmocka_unit_test(test_loop_threads_run_under_the_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
