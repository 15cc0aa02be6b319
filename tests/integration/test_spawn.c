/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_spawn.c - vde_stackspawn, vde_stackwait, vde_stackkill: status,
 * signals, the process descriptor and what is not one, standard
 * descriptors (docs/vde_stackspawn.3). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* How long a test waits for something that must happen (a program's
 * end, a file), at most: a bound against hangs, not a measure. */
#define WAIT_MS 20000

/* spawn_sh - vde_stackspawn of /bin/sh -c script, which must start.
 * Return: its process descriptor. */
static int spawn_sh(struct vdestack *s, const char *script)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	int pd = vde_stackspawn(s, argv, NULL);

	IT_CHECKF(pd >= 0, "vde_stackspawn(%s): %s", script, strerror(errno));
	return pd;
}

/* wait_status - vde_stackwait on pd, which must succeed.
 * Return: the wait status. */
static int wait_status(int pd)
{
	int status = -1;

	IT_CHECKF(vde_stackwait(pd, &status) == 0, "vde_stackwait: %s",
		  strerror(errno));
	return status;
}

/* test_stackwait_gives_the_exit_status_once - as waitpid(2) gives it; a
 * second wait is ESRCH. */
static void test_stackwait_gives_the_exit_status_once(void)
{
	struct vdestack *s;
	int pd, status;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	pd = spawn_sh(s, "exit 3");
	status = wait_status(pd);
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 3,
		  "status %#x", status);
	IT_CHECK_ERRNO(vde_stackwait(pd, &status) == -1, ESRCH);
	IT_CHECK_ERRNO(vde_stackwait(pd, NULL) == -1, EINVAL);
	close(pd);
	vde_delstack(s);
}

/* test_stackspawn_pd_is_close_on_exec_and_readable_at_the_end */
static void test_stackspawn_pd_is_close_on_exec_and_readable_at_the_end(void)
{
	struct vdestack *s;
	struct pollfd p;
	int pd, status;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	pd = spawn_sh(s, "exit 0");
	IT_CHECK(fcntl(pd, F_GETFD) & FD_CLOEXEC);
	p = (struct pollfd){ .fd = pd, .events = POLLIN };
	IT_CHECKF(poll(&p, 1, WAIT_MS) == 1 && (p.revents & POLLIN),
		  "the descriptor of an ended program is not readable");
	status = wait_status(pd);
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x", status);
	close(pd);
	vde_delstack(s);
}

/* test_stackkill_delivers_the_signal - and takes every signal up to
 * _NSIG - 1 (which a spawner running under valgrind cannot send: valgrind
 * keeps it for itself; SIGKILL follows it, and finds the program gone
 * where the signal was delivered). */
static void test_stackkill_delivers_the_signal(void)
{
	const int sigs[] = { SIGTERM, SIGUSR1, SIGRTMIN, _NSIG - 1 };
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int pd = spawn_sh(s, "exec /bin/sleep 600"), status;
		bool last = sigs[i] == _NSIG - 1;

		IT_CHECKF(vde_stackkill(pd, sigs[i]) == 0, "signal %d: %s",
			  sigs[i], strerror(errno));
		/* _NSIG - 1 may already have ended the program (it does
		 * unless valgrind kept it): then SIGKILL finds it gone. */
		if (last)
			IT_CHECKF(vde_stackkill(pd, SIGKILL) == 0 ||
				  errno == ESRCH, "SIGKILL: %s", strerror(errno));
		status = wait_status(pd);
		IT_CHECKF(WIFSIGNALED(status) && (WTERMSIG(status) == sigs[i] ||
			  (last && WTERMSIG(status) == SIGKILL)),
			  "signal %d: status %#x", sigs[i], status);
		close(pd);
	}
	vde_delstack(s);
}

/* test_stackkill_refuses_signals_outside_1_to_nsig_with_einval */
static void test_stackkill_refuses_signals_outside_1_to_nsig_with_einval(void)
{
	struct vdestack *s;
	int pd, status;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	pd = spawn_sh(s, "exec /bin/sleep 600");
	IT_CHECK_ERRNO(vde_stackkill(pd, 0) == -1, EINVAL);
	IT_CHECK_ERRNO(vde_stackkill(pd, -1) == -1, EINVAL);
	IT_CHECK_ERRNO(vde_stackkill(pd, _NSIG) == -1, EINVAL);
	IT_CHECK(vde_stackkill(pd, SIGKILL) == 0);
	status = wait_status(pd);
	IT_CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "status %#x", status);
	close(pd);
	vde_delstack(s);
}

/* test_stackkill_after_the_end_fails_with_esrch - once the spawner has
 * closed its end (after the status report). */
static void test_stackkill_after_the_end_fails_with_esrch(void)
{
	struct vdestack *s;
	struct pollfd p;
	int pd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	pd = spawn_sh(s, "exit 0");
	wait_status(pd);
	p = (struct pollfd){ .fd = pd, .events = POLLIN };
	IT_CHECKF(poll(&p, 1, WAIT_MS) == 1 && (p.revents & POLLHUP),
		  "the spawner did not close its end");
	IT_CHECK_ERRNO(vde_stackkill(pd, SIGTERM) == -1, ESRCH);
	close(pd);
	vde_delstack(s);
}

/* Descriptors that are not process descriptors, made by other_fds(). */
struct others {
	int fd[8];
	const char *what[8];
	int n;
};

/* other_add - record a descriptor that must succeed. */
static void other_add(struct others *o, int fd, const char *what)
{
	IT_CHECKF(fd >= 0, "%s: %s", what, strerror(errno));
	o->fd[o->n] = fd;
	o->what[o->n++] = what;
}

/* other_fds - one of each kind of descriptor that is not a process
 * descriptor: socketpair ends (seqpacket, as the real one, and stream),
 * a pipe, /dev/null, sockets the helper made in the stack; the other
 * ends stay open in keep. */
static void other_fds(struct vdestack *s, struct others *o, int keep[3])
{
	int sv[2], p[2];

	o->n = 0;
	IT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	other_add(o, sv[0], "a seqpacket socketpair's end");
	keep[0] = sv[1];
	IT_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	other_add(o, sv[0], "a stream socketpair's end");
	keep[1] = sv[1];
	IT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	other_add(o, p[0], "a pipe's read end");
	keep[2] = p[1];
	other_add(o, open("/dev/null", O_RDWR | O_CLOEXEC), "/dev/null");
	other_add(o, vde_msocket(s, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0),
		  "a seqpacket socket of the stack");
	other_add(o, vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
		  "a UDP socket of the stack");
}

/* test_stackkill_on_other_descriptors_fails_with_ebadf */
static void test_stackkill_on_other_descriptors_fails_with_ebadf(void)
{
	struct vdestack *s;
	struct others o;
	int keep[3];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	other_fds(s, &o, keep);
	for (int i = 0; i < o.n; i++) {
		errno = 0;
		IT_CHECKF(vde_stackkill(o.fd[i], SIGTERM) == -1 && errno == EBADF,
			  "%s: not EBADF (%s)", o.what[i], strerror(errno));
		close(o.fd[i]);
	}
	IT_CHECK_ERRNO(vde_stackkill(-1, SIGTERM) == -1, EBADF);
	for (int i = 0; i < 3; i++)
		close(keep[i]);
	vde_delstack(s);
}

/* test_stackwait_on_other_descriptors_fails_with_ebadf_at_once - it must
 * not read them (a read on most would block for ever: the alarm ends
 * the test then). */
static void test_stackwait_on_other_descriptors_fails_with_ebadf_at_once(void)
{
	struct vdestack *s;
	struct others o;
	int keep[3], status;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	other_fds(s, &o, keep);
	alarm(WAIT_MS / 1000); /* the harness's watchdog, sooner */
	for (int i = 0; i < o.n; i++) {
		errno = 0;
		IT_CHECKF(vde_stackwait(o.fd[i], &status) == -1 && errno == EBADF,
			  "%s: not EBADF (%s)", o.what[i], strerror(errno));
		close(o.fd[i]);
	}
	IT_CHECK_ERRNO(vde_stackwait(-1, &status) == -1, EBADF);
	alarm(IT_WATCHDOG_S);
	for (int i = 0; i < 3; i++)
		close(keep[i]);
	vde_delstack(s);
}

/* spawn_sleeper - start a program in s that writes its pid to a file,
 * then sleeps for ten minutes; wait (bounded) until it has.
 * Return: its process descriptor, its pid in *ret_pid. */
static int spawn_sleeper(struct vdestack *s, pid_t *ret_pid)
{
	char script[2048], path[512], buf[32];
	int pd, fd = -1;
	int64_t end;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/pid", it_tmpdir());
	unlink(path);
	snprintf(script, sizeof(script),
		 "echo $$ > %s.tmp; mv %s.tmp %s; exec /bin/sleep 600", path,
		 path, path);
	pd = spawn_sh(s, script);
	for (end = it_now_ms() + WAIT_MS; fd < 0 && it_now_ms() < end;
	     it_sleep_ms(10))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	IT_CHECKF(fd >= 0, "the program did not start");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	IT_CHECK(n > 0);
	buf[n] = '\0';
	*ret_pid = (pid_t)atoi(buf);
	return pd;
}

/* test_closing_the_pd_kills_the_program */
static void test_closing_the_pd_kills_the_program(void)
{
	struct vdestack *s;
	pid_t prog;
	int pd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	pd = spawn_sleeper(s, &prog);
	IT_CHECK(it_pid_alive(prog));
	close(pd);
	IT_CHECKF(it_wait_gone(prog, WAIT_MS),
		  "the program lives on after its descriptor closed");
	vde_delstack(s);
}

/* test_stackspawn_refuses_bad_argv_with_einval_and_e2big - NULL stack or
 * argv, an empty argv, a relative or empty argv[0]: EINVAL; more than 256
 * words, or more than 4096 environment strings: E2BIG; nothing starts. */
static void test_stackspawn_refuses_bad_argv_with_einval_and_e2big(void)
{
	static char *empty[] = { NULL };
	static char *relative[] = { "sh", "-c", "true", NULL };
	static char *blank[] = { "", NULL };
	static char *sh[] = { "/bin/sh", "-c", "true", NULL };
	static char *words[258], *env[4098];
	struct it_counts before;
	struct vdestack *s;
	int pd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	before = it_take_counts();
	IT_CHECK_ERRNO(vde_stackspawn(NULL, sh, NULL) == -1, EINVAL);
	IT_CHECK_ERRNO(vde_stackspawn(s, NULL, NULL) == -1, EINVAL);
	IT_CHECK_ERRNO(vde_stackspawn(s, empty, NULL) == -1, EINVAL);
	IT_CHECK_ERRNO(vde_stackspawn(s, relative, NULL) == -1, EINVAL);
	IT_CHECK_ERRNO(vde_stackspawn(s, blank, NULL) == -1, EINVAL);
	words[0] = "/bin/true";
	for (int i = 1; i < 257; i++)
		words[i] = "x";
	words[257] = NULL;
	IT_CHECK_ERRNO(vde_stackspawn(s, words, NULL) == -1, E2BIG);
	words[256] = NULL; /* 256 words: the most */
	pd = vde_stackspawn(s, words, NULL);
	IT_CHECKF(pd >= 0, "256 words: %s", strerror(errno));
	IT_CHECK(WIFEXITED(wait_status(pd)));
	close(pd);
	for (int i = 0; i < 4097; i++)
		env[i] = "A=1";
	env[4097] = NULL;
	IT_CHECK_ERRNO(vde_stackspawn(s, sh, env) == -1, E2BIG);
	it_check_counts(&before, "after refused spawns");
	vde_delstack(s);
}

/* make_file - create path with text and mode mode. */
static void make_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	IT_CHECKF(fd >= 0, "open %s", path);
	IT_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	IT_CHECK(close(fd) == 0);
	IT_CHECK(chmod(path, mode) == 0);
}

/* test_stackspawn_reports_exec_errors - a program that does not exist
 * (ENOENT), a file without execute permission (EACCES), a file that is no
 * executable (ENOEXEC: execve(2)'s own errors, not a shell's). */
static void test_stackspawn_reports_exec_errors(void)
{
	char noexec[512], junk[512];
	char *missing[] = { "/nonexistent/vdestack-test-program", NULL };
	char *argv_noexec[] = { noexec, NULL };
	char *argv_junk[] = { junk, NULL };
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	snprintf(noexec, sizeof(noexec), "%s/noexec", it_tmpdir());
	snprintf(junk, sizeof(junk), "%s/junk", it_tmpdir());
	make_file(noexec, "#!/bin/sh\nexit 0\n", 0644);
	make_file(junk, "\x01\x02 this is not a program\n", 0755);
	IT_CHECK_ERRNO(vde_stackspawn(s, missing, NULL) == -1, ENOENT);
	/* execve needs an x bit for root too, and this file has none */
	IT_CHECK_ERRNO(vde_stackspawn(s, argv_noexec, NULL) == -1, EACCES);
	IT_CHECK_ERRNO(vde_stackspawn(s, argv_junk, NULL) == -1, ENOEXEC);
	vde_delstack(s);
}

/* test_a_pd_copy_inherited_by_fork_keeps_the_program_alive - the parent
 * closes its copy, the forked child still holds one: the program lives
 * until the child's copy closes too (the last copy). */
static void test_a_pd_copy_inherited_by_fork_keeps_the_program_alive(void)
{
	struct vdestack *s;
	int pd, go[2], status;
	pid_t child, prog;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	pd = spawn_sleeper(s, &prog);
	IT_CHECK(pipe(go) == 0);
	child = fork();
	IT_CHECK(child >= 0);
	if (child == 0) {
		char c;

		close(go[1]);
		/* holds its copy of pd until the parent says so */
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	close(pd);
	/* the child's copy keeps it: give a wrong kill the time to act */
	it_sleep_ms(300);
	IT_CHECKF(it_pid_alive(prog), "the program died while a forked "
		  "child still held a copy of its descriptor");
	IT_CHECK(write(go[1], "x", 1) == 1);
	close(go[1]);
	IT_CHECK(waitpid(child, &status, 0) == child);
	IT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	IT_CHECKF(it_wait_gone(prog, WAIT_MS),
		  "the program lives on after the last copy closed");
	vde_delstack(s);
}

/* closed_stdout_checks - with the caller's descriptor 1 closed, a
 * command and then a spawned program check that their standard output is
 * /dev/null; when s is NULL, on a stack made after the close (the
 * library's own descriptors would take the place of 1 then).
 * Return: 0 when both saw /dev/null; else 1 for the command, 2 for the
 * program, 3 when no stack or program could be made. */
static int closed_stdout_checks(struct vdestack *s)
{
	static const char check[] =
		"l=$(readlink /proc/$$/fd/1); test \"$l\" = /dev/null";
	char *argv[] = { "/bin/sh", "-c", (char *)check, NULL };
	char cmd[sizeof(check) + 32];
	struct vdestack *own = NULL;
	int pd, status = -1, ret = 0;

	snprintf(cmd, sizeof(cmd), "/bin/sh -c '%s'", check);
	close(1);
	if (!s)
		s = own = vde_addstack(NULL, NULL);
	if (!s)
		return 3;
	/* the command first: the process descriptor may take 1 (it is
	 * the caller's, as a socket() of its own would be) */
	if (vde_stackcmd(s, cmd) != 0)
		ret |= 1;
	pd = vde_stackspawn(s, argv, NULL);
	if (pd < 0)
		ret = 3;
	else if (vde_stackwait(pd, &status) < 0 || !WIFEXITED(status) ||
		 WEXITSTATUS(status) != 0)
		ret |= 2;
	if (pd >= 0)
		close(pd);
	vde_delstack(own);
	return ret;
}

/* test_stackspawn_gives_dev_null_for_a_closed_stdout - and vde_stackcmd
 * too. */
static void test_stackspawn_gives_dev_null_for_a_closed_stdout(void)
{
	struct vdestack *s;
	int saved, r;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	fflush(stdout);
	saved = fcntl(1, F_DUPFD_CLOEXEC, 3);
	IT_CHECK(saved >= 0);
	r = closed_stdout_checks(s);
	dup2(saved, 1);
	close(saved);
	IT_CHECKF(r == 0, "stdout is not /dev/null (%s)", r == 1 ? "command" :
		  r == 2 ? "program" : "no program");
	vde_delstack(s);
}

/* test_stackspawn_gives_dev_null_for_stdout_closed_before_the_first_stack
 * - the helper's control socket and the thread's cached channel must not
 * take descriptor 1 and be passed on as the program's stdout: in a forked
 * child, which starts a helper of its own. */
static void test_stackspawn_gives_dev_null_for_stdout_closed_before_the_first_stack(void)
{
	int status;
	pid_t pid;

	it_require_stacks();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		alarm(WAIT_MS / 1000);
		_exit(closed_stdout_checks(NULL));
	}
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "stdout is not /dev/null (%s, status %#x)",
		  !WIFEXITED(status) ? "hung" : WEXITSTATUS(status) == 1 ?
		  "command" : WEXITSTATUS(status) == 2 ? "program" :
		  "no program", status);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(stackwait_gives_the_exit_status_once),
	T(stackspawn_pd_is_close_on_exec_and_readable_at_the_end),
	T(stackkill_delivers_the_signal),
	T(stackkill_refuses_signals_outside_1_to_nsig_with_einval),
	T(stackkill_after_the_end_fails_with_esrch),
	T(stackkill_on_other_descriptors_fails_with_ebadf),
	T(stackwait_on_other_descriptors_fails_with_ebadf_at_once),
	T(closing_the_pd_kills_the_program),
	T(stackspawn_refuses_bad_argv_with_einval_and_e2big),
	T(stackspawn_reports_exec_errors),
	T(a_pd_copy_inherited_by_fork_keeps_the_program_alive),
	T(stackspawn_gives_dev_null_for_a_closed_stdout),
	T(stackspawn_gives_dev_null_for_stdout_closed_before_the_first_stack),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
