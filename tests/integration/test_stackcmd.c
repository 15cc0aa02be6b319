/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_stackcmd.c - vde_stackcmd: sequences, quoting, status, descriptors,
 * environment. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common.h"

/* read_file - a small file's contents into buf (NUL-terminated).
 * Return: its length, or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* test_stackcmd_returns_the_first_failing_status_and_stops_there */
static void test_stackcmd_returns_the_first_failing_status_and_stops_there(void)
{
	struct vdestack *s;
	char cmd[2048], before[512], after[512];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	snprintf(before, sizeof(before), "%s/before", it_tmpdir());
	snprintf(after, sizeof(after), "%s/after", it_tmpdir());
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/touch %s; /bin/sh -c 'exit 3'; /usr/bin/touch %s; "
		 "/bin/sh -c 'exit 4'", before, after);
	IT_CHECK(vde_stackcmd(s, cmd) == 3);
	IT_CHECK(it_exists(before));
	IT_CHECKF(!it_exists(after), "a command after the failing one ran");
	IT_CHECK(vde_stackcmd(s, "/bin/true; /bin/true;/bin/true") == 0);
	IT_CHECK(vde_stackcmd(s, "/bin/false") == 1);
	vde_delstack(s);
}

/* test_stackcmd_with_a_relative_path_runs_nothing - EINVAL, and the
 * commands before the bad one did not run either. */
static void test_stackcmd_with_a_relative_path_runs_nothing(void)
{
	struct vdestack *s;
	char cmd[2048], first[512];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	snprintf(first, sizeof(first), "%s/first", it_tmpdir());
	snprintf(cmd, sizeof(cmd), "/usr/bin/touch %s; touch %s.2", first,
		 first);
	IT_CHECK_ERRNO(vde_stackcmd(s, cmd) == -1, EINVAL);
	IT_CHECKF(!it_exists(first), "a command ran before the relative one");
	IT_CHECK_ERRNO(vde_stackcmd(s, "ip link") == -1, EINVAL);
	IT_CHECK_ERRNO(vde_stackcmd(s, "./true") == -1, EINVAL);
	vde_delstack(s);
}

/* test_stackcmd_rejects_malformed_sequences */
static void test_stackcmd_rejects_malformed_sequences(void)
{
	static const char *const einval[] = {
		"", "   ", ";", "/bin/true 'unterminated", "/bin/true \"open",
		"/bin/true trailing\\",
	};
	char *big;
	size_t off = 0;
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	for (size_t i = 0; i < sizeof(einval) / sizeof(einval[0]); i++) {
		errno = 0;
		int r = vde_stackcmd(s, (char *)einval[i]);

		IT_CHECKF(r == -1 && errno == EINVAL, "\"%s\" gave %d", einval[i],
			  r);
	}
	/* 300 words: more than the 255 allowed */
	big = malloc(300 * 3 + 16);
	IT_CHECK(big);
	off += (size_t)sprintf(big, "/bin/true");
	for (int i = 0; i < 300; i++)
		off += (size_t)sprintf(big + off, " x");
	IT_CHECK_ERRNO(vde_stackcmd(s, big) == -1, E2BIG);
	free(big);
	/* 40 KiB of command line: more than 32 KiB */
	big = malloc(40 * 1024 + 32);
	IT_CHECK(big);
	strcpy(big, "/bin/true ");
	memset(big + 10, 'a', 40 * 1024);
	big[10 + 40 * 1024] = '\0';
	IT_CHECK_ERRNO(vde_stackcmd(s, big) == -1, E2BIG);
	free(big);
	/* and a normal one still works */
	IT_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	vde_delstack(s);
}

/* test_stackcmd_passes_quoted_words_exactly - single quotes literal,
 * double quotes with \" and \\, backslash outside quotes. */
static void test_stackcmd_passes_quoted_words_exactly(void)
{
	static const struct {
		const char *arg; /* as written in the command */
		const char *want;
	} cases[] = {
		{ "'a b  c'", "a b  c" },
		{ "'x\"y'", "x\"y" },
		{ "'a\\b'", "a\\b" },
		{ "\"a b\"", "a b" },
		{ "\"q\\\"q\"", "q\"q" },
		{ "\"back\\\\slash\"", "back\\slash" },
		{ "\"semi;colon\"", "semi;colon" },
		{ "'semi;colon'", "semi;colon" },
		{ "a\\ b", "a b" },
		{ "a\\;b", "a;b" },
		{ "pre'mid dle'post", "premid dlepost" },
		{ "\"\"", "" },
	};
	struct vdestack *s;
	char cmd[1024], out[512], path[512];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	snprintf(path, sizeof(path), "%s/arg", it_tmpdir());
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		snprintf(cmd, sizeof(cmd),
			 "/bin/sh -c 'printf %%s \"$1\" > %s; test $# = 1' sh %s",
			 path, cases[i].arg);
		r = vde_stackcmd(s, cmd);
		IT_CHECKF(r == 0, "%s: status %d", cmd, r);
		IT_CHECK(read_file(path, out, sizeof(out)) >= 0);
		IT_CHECKF(!strcmp(out, cases[i].want),
			  "%s gave [%s], want [%s]", cases[i].arg, out,
			  cases[i].want);
	}
	IT_CHECK(vde_stackcmd(s, "/bin/sh -c 'exit 5'") == 5);
	IT_CHECK(vde_stackcmd(s, "/bin/sh -c \"exit 6\"") == 6);
	vde_delstack(s);
}

/* test_stackcmd_reports_128_plus_signal_for_a_killed_command */
static void test_stackcmd_reports_128_plus_signal_for_a_killed_command(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(vde_stackcmd(s, "/bin/sh -c 'kill -9 $$'") == 128 + SIGKILL);
	IT_CHECK(vde_stackcmd(s, "/bin/sh -c 'kill -TERM $$'") == 128 + SIGTERM);
	vde_delstack(s);
}

/* test_stackcmd_reports_127_for_a_missing_program */
static void test_stackcmd_reports_127_for_a_missing_program(void)
{
	struct vdestack *s;
	char cmd[1024], after[512];

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	snprintf(after, sizeof(after), "%s/after", it_tmpdir());
	snprintf(cmd, sizeof(cmd), "/nonexistent/program; /usr/bin/touch %s",
		 after);
	IT_CHECK(vde_stackcmd(s, cmd) == 127);
	IT_CHECK(!it_exists(after));
	/* a directory cannot be executed */
	IT_CHECK(vde_stackcmd(s, "/tmp") == 126);
	vde_delstack(s);
}

/* test_stackcmd_command_sees_no_descriptor_of_the_application - only
 * 0, 1 and 2 (plus the one ls uses to read the directory). */
static void test_stackcmd_command_sees_no_descriptor_of_the_application(void)
{
	struct vdestack *s, *net = NULL;
	int extra[8], p[2], sp[2], n = 0;
	char out[8192], *line, *save;
	int found = 0;
	unsigned stdio = 0; /* which of 0, 1, 2 ls listed */

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	/* descriptors without close-on-exec, of several kinds */
	for (int i = 0; i < 3; i++)
		extra[n++] = open("/dev/null", O_RDONLY);
	IT_CHECK(pipe(p) == 0);
	extra[n++] = p[0];
	extra[n++] = p[1];
	IT_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	extra[n++] = sp[0];
	extra[n++] = sp[1];
	extra[n++] = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < n; i++)
		IT_CHECK(extra[i] >= 0 && !(fcntl(extra[i], F_GETFD) & FD_CLOEXEC));
	/* and a stack with a network: its tap and backend are ours too */
	if (it_network_available())
		net = it_addstack("null://", NULL);

	IT_CHECK(it_stackcmd_capture(s, "/bin/ls -l /proc/self/fd", false, out,
				     sizeof(out)) == 0);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(line, " -> ");
		char *name;

		if (!arrow)
			continue; /* "total 0" */
		*arrow = '\0';
		name = strrchr(line, ' ');
		IT_CHECK(name);
		name++;
		if (!strcmp(name, "0") || !strcmp(name, "1") ||
		    !strcmp(name, "2")) {
			stdio |= 1u << (name[0] - '0');
			continue;
		}
		/* ls's own directory descriptor: /proc/<pid>/fd */
		IT_CHECKF(!strncmp(arrow + 4, "/proc/", 6) &&
			  strstr(arrow + 4, "/fd") && found++ == 0,
			  "the command has descriptor %s -> %s", name, arrow + 4);
	}
	/* the listing was read: it had the command's own 0, 1 and 2 */
	IT_CHECKF(stdio == 7, "ls listed 0, 1, 2 as the mask %#x", stdio);
	for (int i = 0; i < n; i++)
		close(extra[i]);
	vde_delstack(net);
	vde_delstack(s);
}

/* test_stackcmd_output_reaches_the_callers_stdout_at_call_time - and
 * stdin and stderr are the caller's too. */
static void test_stackcmd_output_reaches_the_callers_stdout_at_call_time(void)
{
	struct vdestack *s;
	char out[1024], path[512];
	int in[2], saved;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(it_stackcmd_capture(s, "/bin/echo hello stdout", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "hello stdout\n"), "got [%s]", out);
	IT_CHECK(it_stackcmd_capture(s, "/bin/sh -c 'echo to stderr >&2'", true,
				     out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "to stderr\n"), "got [%s]", out);

	/* stdin: a pipe with one line in it */
	IT_CHECK(pipe2(in, O_CLOEXEC) == 0);
	IT_CHECK(write(in[1], "line-in\n", 8) == 8);
	close(in[1]);
	saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
	IT_CHECK(saved >= 0 && dup2(in[0], 0) == 0);
	snprintf(path, sizeof(path), "%s/stdin", it_tmpdir());
	snprintf(out, sizeof(out), "/bin/sh -c 'read x; echo \"$x\" > %s'",
		 path);
	IT_CHECK(vde_stackcmd(s, out) == 0);
	dup2(saved, 0);
	close(saved);
	close(in[0]);
	IT_CHECK(read_file(path, out, sizeof(out)) > 0);
	IT_CHECKF(!strcmp(out, "line-in\n"), "stdin gave [%s]", out);
	vde_delstack(s);
}

/* test_stackcmd_gives_dev_null_for_closed_stdio - each of 0, 1 and 2
 * closed in the caller is /dev/null for the command (the shell, $$,
 * reports which is not with its exit status: 10 + the descriptor). */
static void test_stackcmd_gives_dev_null_for_closed_stdio(void)
{
	static const char cmd[] =
		"/bin/sh -c 'for f in 0 1 2; do "
		"test \"$(readlink /proc/$$/fd/$f)\" = /dev/null || "
		"exit $((10 + f)); done'";
	struct vdestack *s;
	int saved[3], status;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 3; i++) {
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
		IT_CHECK(saved[i] >= 0);
	}
	for (int i = 0; i < 3; i++)
		close(i);
	status = vde_stackcmd(s, (char *)cmd);
	for (int i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	IT_CHECKF(status == 0, "descriptor %d of the command is not /dev/null "
		  "(status %d)", status - 10, status);
	vde_delstack(s);
}

/* test_stackcmd_runs_with_the_documented_environment_only - nothing of
 * the application's, neither of its environment when the helper started
 * (before its first stack) nor of the one at the call. */
static void test_stackcmd_runs_with_the_documented_environment_only(void)
{
	struct vdestack *s;
	char out[4096];

	setenv("VDESTACK_TEST_SECRET", "must-not-leak", 1);
	it_require_stacks();
	setenv("VDESTACK_TEST_SECRET2", "must-not-leak", 1);
	s = it_addstack(NULL, NULL);
	IT_CHECK(it_stackcmd_capture(s, "/usr/bin/env", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out,
			  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
			  "/usr/bin:/sbin:/bin\nHOME=/\nLC_ALL=C\n"),
		  "environment:\n%s", out);
	vde_delstack(s);
}

/* test_stackcmd_runs_as_root_of_the_stack_with_ip_working - /bin/ip
 * configures the namespace, and a socket of the stack sees the result. */
static void test_stackcmd_runs_as_root_of_the_stack_with_ip_working(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct vdestack *s;
	char out[4096];
	int fd;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(it_stackcmd_capture(s, "/usr/bin/id -u", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "0\n"), "id -u: %s", out);
	it_stackcmd_ok(s, "/bin/ip addr add 10.123.45.67/32 dev lo");
	IT_CHECK(it_stackcmd_capture(s, "/bin/ip -o -4 addr show dev lo", false,
				     out, sizeof(out)) == 0);
	IT_CHECKF(strstr(out, "10.123.45.67/32"), "ip addr: %s", out);

	inet_pton(AF_INET, "10.123.45.67", &sin.sin_addr);
	fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	close(fd);
	/* the host has no such address */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK_ERRNO(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1,
		       EADDRNOTAVAIL);
	close(fd);
	vde_delstack(s);
}

/* test_stackcmd_skips_empty_commands - ";;" and blank commands */
static void test_stackcmd_skips_empty_commands(void)
{
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(vde_stackcmd(s, "/bin/true;; ; /bin/sh -c 'exit 2';") == 2);
	IT_CHECK(vde_stackcmd(s, ";/bin/true;") == 0);
	vde_delstack(s);
}

/* status_field - the value of "name:" in a /proc status text.
 * Return: it (trimmed), or "" when absent. */
static const char *status_field(const char *text, const char *name,
				char *buf, size_t size)
{
	const char *p = strstr(text, name);

	buf[0] = '\0';
	if (!p)
		return buf;
	p += strlen(name);
	p += strspn(p, " \t");
	snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

/* stackcmd_to_closed_pipe - cmd with its standard output on a pipe
 * whose reading end is closed.  Return: vde_stackcmd()'s value. */
static int stackcmd_to_closed_pipe(struct vdestack *s, const char *cmd)
{
	int p[2], saved, status;

	IT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	close(p[0]);
	fflush(stdout);
	saved = fcntl(1, F_DUPFD_CLOEXEC, 3);
	IT_CHECK(saved >= 0 && dup2(p[1], 1) == 1);
	close(p[1]);
	status = vde_stackcmd(s, (char *)cmd);
	dup2(saved, 1);
	close(saved);
	return status;
}

/* test_stackcmd_command_has_default_signals_and_an_empty_mask - whatever
 * the application ignores or blocks (SIGPIPE included), from before its
 * first stack (the helper starts then, as the application's child) to
 * the command's run. */
static void test_stackcmd_command_has_default_signals_and_an_empty_mask(void)
{
	struct vdestack *s;
	char out[4096], v[64];
	sigset_t block, old;

	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	it_require_stacks();
	s = it_addstack(NULL, NULL);
	IT_CHECK(it_stackcmd_capture(s, "/bin/grep -E ^Sig /proc/self/status",
				     false, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(status_field(out, "SigBlk:", v, sizeof(v)),
			  "0000000000000000"), "blocked: %s", v);
	IT_CHECKF(!strcmp(status_field(out, "SigIgn:", v, sizeof(v)),
			  "0000000000000000"), "ignored: %s", v);
	/* a command writing to a closed pipe dies of SIGPIPE (one that
	 * ignored it would get EPIPE and exit 1) */
	IT_CHECKF(stackcmd_to_closed_pipe(s, "/usr/bin/yes") ==
		  128 + SIGPIPE, "yes to a closed pipe: not killed by "
		  "SIGPIPE");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	vde_delstack(s);
}

/* test_stackcmd_command_is_in_the_callers_process_group - so that a
 * Ctrl-C for the application reaches its commands too. */
static void test_stackcmd_command_is_in_the_callers_process_group(void)
{
	struct vdestack *s;
	char out[4096], want[32];
	int status;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	/* field 5 of /proc/PID/stat: the process group of the shell */
	status = it_stackcmd_capture(s, "/bin/sh -c 'read -r p c st pp g r "
				     "< /proc/$$/stat; echo $g'", false, out,
				     sizeof(out));
	IT_CHECK(status == 0);
	snprintf(want, sizeof(want), "%d\n", (int)getpgrp());
	IT_CHECKF(!strcmp(out, want), "process group %s, the caller's %s", out,
		  want);
	vde_delstack(s);
}

struct cmd_thread {
	struct vdestack *s;
	int index, bad;
};

/* cmd_thread - run numbered commands and check each status. */
static void *cmd_thread(void *arg)
{
	struct cmd_thread *t = arg;
	char cmd[128];

	for (int i = 0; i < 10; i++) {
		int want = (t->index * 10 + i) % 100 + 1;

		snprintf(cmd, sizeof(cmd), "/bin/true; /bin/sh -c 'exit %d'",
			 want);
		if (vde_stackcmd(t->s, cmd) != want)
			t->bad++;
	}
	return NULL;
}

/* test_stackcmd_runs_from_several_threads_at_once - every caller gets
 * its own command's status. */
static void test_stackcmd_runs_from_several_threads_at_once(void)
{
	enum { N = 6 };
	struct cmd_thread t[N];
	pthread_t th[N];
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	for (int i = 0; i < N; i++) {
		t[i] = (struct cmd_thread){ .s = s, .index = i };
		IT_CHECK(pthread_create(&th[i], NULL, cmd_thread, &t[i]) == 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		IT_CHECKF(t[i].bad == 0, "thread %d: %d wrong statuses", i,
			  t[i].bad);
	}
	vde_delstack(s);
}

/* test_stackcmd_works_in_a_forked_child - a child of the application
 * runs commands in the parent's stack. */
static void test_stackcmd_works_in_a_forked_child(void)
{
	struct vdestack *s;
	int status;
	pid_t pid;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	it_stackcmd_ok(s, "/bin/ip addr add 10.55.0.1/32 dev lo");
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		alarm(30);
		_exit(vde_stackcmd(s, "/bin/sh -c '/bin/ip -o addr show dev lo |"
				      " /bin/grep -q 10.55.0.1'"));
	}
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child: status 0x%x", status);
	/* the parent's stack still works: the address is still there (a
	 * command run anywhere but in the stack would not find it) */
	IT_CHECKF(vde_stackcmd(s, "/bin/sh -c '/bin/ip -o addr show dev lo |"
				  " /bin/grep -q \"inet 10.55.0.1/32\"'") == 0,
		  "the parent's stack lost its address after the fork");
	vde_delstack(s);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(stackcmd_returns_the_first_failing_status_and_stops_there),
	T(stackcmd_with_a_relative_path_runs_nothing),
	T(stackcmd_rejects_malformed_sequences),
	T(stackcmd_passes_quoted_words_exactly),
	T(stackcmd_reports_128_plus_signal_for_a_killed_command),
	T(stackcmd_reports_127_for_a_missing_program),
	T(stackcmd_command_sees_no_descriptor_of_the_application),
	T(stackcmd_output_reaches_the_callers_stdout_at_call_time),
	T(stackcmd_gives_dev_null_for_closed_stdio),
	T(stackcmd_runs_with_the_documented_environment_only),
	T(stackcmd_skips_empty_commands),
	T(stackcmd_command_has_default_signals_and_an_empty_mask),
	T(stackcmd_command_is_in_the_callers_process_group),
	T(stackcmd_runs_as_root_of_the_stack_with_ip_working),
	T(stackcmd_runs_from_several_threads_at_once),
	T(stackcmd_works_in_a_forked_child),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
