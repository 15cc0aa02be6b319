/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_vdestack_cmd.c - the vdestack command, run as a person runs it (the
 * built program, named by VDESTACK_BIN): exit status, signals passed on,
 * standard input and output, environment, the stack it makes, its
 * forwards (-t, -u, -T, -U), cleanup, one-line errors. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define WAIT_MS 60000 /* upper bound of every wait: reached only on a hang */

/* A running vdestack. */
struct run {
	pid_t pid;         /* also its process group */
	int in, out, err;  /* our ends of its stdin, stdout, stderr */
	char outbuf[8192], errbuf[8192];
	size_t outlen, errlen;
};

/* bin - the program under test.  Return: its path. */
static const char *bin(void)
{
	const char *b = getenv("VDESTACK_BIN");

	if (!b || !b[0])
		it_skip("VDESTACK_BIN not set (run through meson test)");
	return b;
}

/* start - run vdestack with args (NULL-ended, without argv[0]) and env
 * (NULL: ours), in a process group of its own, with pipes for its
 * standard descriptors. */
static void start(struct run *r, const char *const *args, char **env)
{
	extern char **environ;
	char *argv[32];
	int in[2], out[2], err[2];
	size_t n = 0;

	argv[n++] = (char *)bin();
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	IT_CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
		 pipe2(err, O_CLOEXEC) == 0);
	memset(r, 0, sizeof(*r));
	fflush(NULL);
	r->pid = fork();
	IT_CHECK(r->pid >= 0);
	if (r->pid == 0) {
		setpgid(0, 0);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0)
			_exit(99);
		execve(argv[0], argv, env ? env : environ);
		_exit(98);
	}
	setpgid(r->pid, r->pid); /* no race with the child's own call */
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->in = in[1];
	r->out = out[0];
	r->err = err[0];
}

/* pump - read what is there from stdout and stderr, waiting up to ms.
 * Return: false when both are at end of file. */
static bool pump(struct run *r, int ms)
{
	struct pollfd p[2] = {
		{ .fd = r->out, .events = POLLIN },
		{ .fd = r->err, .events = POLLIN },
	};

	if (r->out < 0 && r->err < 0)
		return false;
	if (poll(p, 2, ms) <= 0)
		return true;
	for (int i = 0; i < 2; i++) {
		int *fd = i ? &r->err : &r->out;
		char *buf = i ? r->errbuf : r->outbuf;
		size_t *len = i ? &r->errlen : &r->outlen;
		ssize_t n;

		if (*fd < 0 || !p[i].revents)
			continue;
		n = read(*fd, buf + *len, sizeof(r->outbuf) - 1 - *len);
		if (n <= 0) {
			close(*fd);
			*fd = -1;
		} else {
			*len += (size_t)n;
			buf[*len] = '\0';
		}
	}
	return true;
}

/* wait_output - read until text appears on stdout (bounded). */
static void wait_output(struct run *r, const char *text)
{
	int64_t end = it_now_ms() + WAIT_MS;

	while (!strstr(r->outbuf, text)) {
		IT_CHECKF(it_now_ms() < end && pump(r, 100),
			  "no \"%s\" on stdout; stderr: %s", text, r->errbuf);
	}
}

/* reap_group - reap what vdestack left to us (we are a subreaper: its
 * namespace helper, the command and anything the command started) until
 * nothing of its process group exists and we have no child left.
 * Return: true if so within the bound. */
static bool reap_group(pid_t pgid)
{
	int64_t end = it_now_ms() + WAIT_MS;

	for (;;) {
		pid_t p;

		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0 && errno == ECHILD && kill(-pgid, 0) < 0 &&
		    errno == ESRCH)
			return true;
		if (it_now_ms() > end)
			return false;
		it_sleep_ms(20);
	}
}

/* finish - close stdin, read everything, wait for the exit, and check
 * that nothing of the process group is left.  Return: the wait status. */
static int finish(struct run *r)
{
	int64_t end = it_now_ms() + WAIT_MS;
	int status;

	if (r->in >= 0)
		close(r->in);
	r->in = -1;
	while (pump(r, 100))
		IT_CHECKF(it_now_ms() < end, "vdestack does not end; "
			  "stdout: %s; stderr: %s", r->outbuf, r->errbuf);
	while (waitpid(r->pid, &status, 0) < 0)
		IT_CHECK(errno == EINTR);
	IT_CHECKF(reap_group(r->pid), "processes of vdestack remain");
	return status;
}

/* run - start, give it stdin text (may be NULL), finish.
 * Return: the wait status. */
static int run(struct run *r, const char *const *args, char **env,
	       const char *stdin_text)
{
	start(r, args, env);
	if (stdin_text)
		IT_CHECK(write(r->in, stdin_text, strlen(stdin_text)) ==
			 (ssize_t)strlen(stdin_text));
	return finish(r);
}

/* exited - whether status is an exit with code.  Return: true if so. */
static bool exited(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

/* one_line - whether text is exactly one line.  Return: true if so. */
static bool one_line(const char *text)
{
	const char *nl = strchr(text, '\n');

	return nl && nl != text && nl[1] == '\0';
}

/* CHECK_EXIT - the run ended with exit code. */
#define CHECK_EXIT(r, status, code)                                         \
	IT_CHECKF(exited(status, code), "status %#x, want exit %d; "         \
		  "stdout: %s; stderr: %s", status, code, (r)->outbuf,        \
		  (r)->errbuf)

/* setup - every case: orphans of vdestack's group come to us. */
static void setup(void)
{
	IT_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
}

/* test_vdestack_passes_the_exit_status */
static void test_vdestack_passes_the_exit_status(void)
{
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "--", "/bin/sh", "-c",
						 "exit 42", NULL }, NULL, NULL), 42);
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "/bin/true", NULL },
			   NULL, NULL), 0);
	IT_CHECK(r.errlen == 0);
}

/* test_vdestack_searches_path_for_the_command */
static void test_vdestack_searches_path_for_the_command(void)
{
	char *env[] = { "PATH=/nonexistent:/usr/bin:/bin", NULL };
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "sh", "-c", "exit 3",
						 NULL }, env, NULL), 3);
}

/* test_vdestack_reports_a_missing_command - 127, one line, no stack. */
static void test_vdestack_reports_a_missing_command(void)
{
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "--",
			   "no-such-command-vdestack-test", NULL }, NULL, NULL),
		   127);
	IT_CHECKF(one_line(r.errbuf) && strstr(r.errbuf, "not found"), "%s",
		  r.errbuf);
	IT_CHECK(r.outlen == 0);
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "/nonexistent/prog",
						 NULL }, NULL, NULL), 127);
	IT_CHECK(one_line(r.errbuf));
}

/* test_vdestack_reports_a_command_that_cannot_run - 126, one line. */
static void test_vdestack_reports_a_command_that_cannot_run(void)
{
	char path[512];
	struct run r;
	int fd;

	setup();
	snprintf(path, sizeof(path), "%s/not-executable", it_tmpdir());
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	IT_CHECK(fd >= 0);
	close(fd);
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", path, NULL }, NULL, NULL),
		   126);
	IT_CHECKF(one_line(r.errbuf), "%s", r.errbuf);
}

/* test_vdestack_reports_a_bad_url - 125, one line naming the URL. */
static void test_vdestack_reports_a_bad_url(void)
{
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "nosuchscheme://x", "--",
						 "/bin/true", NULL }, NULL, NULL),
		   125);
	IT_CHECKF(one_line(r.errbuf) && strstr(r.errbuf, "nosuchscheme://x"),
		  "%s", r.errbuf);
	CHECK_EXIT(&r, run(&r, (const char *[]){ "-i", "a/b", "", "/bin/true",
						 NULL }, NULL, NULL), 125);
	IT_CHECKF(one_line(r.errbuf), "%s", r.errbuf);
}

/* test_vdestack_reports_a_bad_conf - 125, one line naming it. */
static void test_vdestack_reports_a_bad_conf(void)
{
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "-c", "ip=bogus", "", "--",
						 "/bin/true", NULL }, NULL, NULL),
		   125);
	IT_CHECKF(one_line(r.errbuf) && strstr(r.errbuf, "ip=bogus"), "%s",
		  r.errbuf);
	/* well-formed, refused by the kernel's view: no such interface */
	CHECK_EXIT(&r, run(&r, (const char *[]){ "-c", "eth", "", "--",
						 "/bin/true", NULL }, NULL, NULL),
		   125);
	IT_CHECKF(one_line(r.errbuf), "%s", r.errbuf);
}

/* test_vdestack_help_and_usage_errors */
static void test_vdestack_help_and_usage_errors(void)
{
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "--help", NULL }, NULL, NULL),
		   0);
	IT_CHECK(!strncmp(r.outbuf, "Usage: vdestack ", 16) && r.errlen == 0);
	CHECK_EXIT(&r, run(&r, (const char *[]){ NULL }, NULL, NULL), 125);
	IT_CHECK(strstr(r.errbuf, "missing URL") && r.outlen == 0);
	CHECK_EXIT(&r, run(&r, (const char *[]){ "--bogus", "", NULL }, NULL,
			   NULL), 125);
	CHECK_EXIT(&r, run(&r, (const char *[]){ "--version", NULL }, NULL,
			   NULL), 0);
	IT_CHECK(!strncmp(r.outbuf, "vdestack ", 9));
}

/* test_vdestack_passes_stdin_stdout_and_stderr */
static void test_vdestack_passes_stdin_stdout_and_stderr(void)
{
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "--", "/bin/cat", NULL },
			   NULL, "hello\nworld\n"), 0);
	IT_CHECK(!strcmp(r.outbuf, "hello\nworld\n"));
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "--", "/bin/sh", "-c",
						 "read x; echo \"$x\" >&2", NULL },
			   NULL, "to-stderr\n"), 0);
	IT_CHECK(!strcmp(r.errbuf, "to-stderr\n") && r.outlen == 0);
}

/* test_vdestack_passes_the_environment */
static void test_vdestack_passes_the_environment(void)
{
	char *env[] = { "PATH=/usr/bin:/bin", "VDESTACK_TEST_VAR=some value",
			"HOME=/nonexistent-home", NULL };
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "--", "/bin/sh", "-c",
			   "echo \"$VDESTACK_TEST_VAR|$HOME\"", NULL }, env, NULL),
		   0);
	IT_CHECKF(!strcmp(r.outbuf, "some value|/nonexistent-home\n"), "%s",
		  r.outbuf);
}

/* test_vdestack_runs_the_default_shell - $SHELL, else /bin/sh. */
static void test_vdestack_runs_the_default_shell(void)
{
	char *with[] = { "PATH=/usr/bin:/bin", "SHELL=/bin/sh", NULL };
	char *without[] = { "PATH=/usr/bin:/bin", NULL };
	struct run r;

	setup();
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", NULL }, with,
			   "echo from-shell; exit 5\n"), 5);
	IT_CHECK(!strcmp(r.outbuf, "from-shell\n"));
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", NULL }, without,
			   "exit 6\n"), 6);
}

/* test_vdestack_runs_the_command_in_a_new_configured_stack - -i names
 * the interface, -c configures it; only lo and it are there. */
static void test_vdestack_runs_the_command_in_a_new_configured_stack(void)
{
	char url[64];
	struct run r;

	setup();
	snprintf(url, sizeof(url), "mem://cmd-%d", (int)getpid());
	CHECK_EXIT(&r, run(&r, (const char *[]){ "-i", "net0", "-c",
			   "ip=10.9.0.1/24,mtu=1400", url, "--", "/bin/sh", "-c",
			   "/bin/ip -o addr && /bin/ip -o link show dev net0",
			   NULL }, NULL, NULL), 0);
	IT_CHECKF(strstr(r.outbuf, "net0    inet 10.9.0.1/24"), "%s", r.outbuf);
	/* every key of -c applied, the MTU too */
	IT_CHECKF(strstr(r.outbuf, "net0") && strstr(r.outbuf, "> mtu 1400 "),
		  "%s", r.outbuf);
	CHECK_EXIT(&r, run(&r, (const char *[]){ "-i", "net0", url, "--",
			   "/bin/ip", "-o", "link", NULL }, NULL, NULL), 0);
	/* (a third line, not "@if3: ", the peer of a veth link) */
	IT_CHECKF(strstr(r.outbuf, "1: lo:") && strstr(r.outbuf, "2: net0") &&
		  !strstr(r.outbuf, "\n3: "), "%s", r.outbuf);
	/* no URL: only lo */
	CHECK_EXIT(&r, run(&r, (const char *[]){ "", "/bin/ip", "-o", "link",
						 NULL }, NULL, NULL), 0);
	IT_CHECKF(strstr(r.outbuf, "1: lo:") && !strstr(r.outbuf, "2: "),
		  "%s", r.outbuf);
}

/* test_vdestack_configures_slirp_with_dhcp_by_default */
static void test_vdestack_configures_slirp_with_dhcp_by_default(void)
{
	struct run r;
	int status;

	setup();
	status = run(&r, (const char *[]){ "slirp://", "/bin/ip", "-o", "-4",
					   "addr", "show", "dev", "vde0", NULL },
		     NULL, NULL);
	if (exited(status, 125) && strstr(r.errbuf, "not supported"))
		it_skip("no slirp:// backend");
	CHECK_EXIT(&r, status, 0);
	IT_CHECKF(strstr(r.outbuf, "inet 10.0.2.15/24"), "%s", r.outbuf);
}

/* A shell that reports a signal and exits with code. */
#define TRAPPER(sig, code)                                                  \
	"trap 'echo got-" sig "; exit " code "' " sig "; echo ready; "      \
	"while :; do sleep 0.05; done"

/* test_vdestack_passes_signals_on_to_the_command - INT, TERM, HUP and
 * QUIT sent to vdestack alone reach the command once. */
static void test_vdestack_passes_signals_on_to_the_command(void)
{
	static const struct {
		int sig;
		const char *script, *said;
	} cases[] = {
		{ SIGINT, TRAPPER("INT", "11"), "got-INT\n" },
		{ SIGTERM, TRAPPER("TERM", "12"), "got-TERM\n" },
		{ SIGHUP, TRAPPER("HUP", "13"), "got-HUP\n" },
		{ SIGQUIT, TRAPPER("QUIT", "14"), "got-QUIT\n" },
	};

	setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;
		int status;

		start(&r, (const char *[]){ "", "--", "/bin/sh", "-c",
					    cases[i].script, NULL }, NULL);
		wait_output(&r, "ready\n");
		IT_CHECK(kill(r.pid, cases[i].sig) == 0);
		status = finish(&r);
		CHECK_EXIT(&r, status, 11 + (int)i);
		IT_CHECKF(!strncmp(r.outbuf, "ready\n", 6) &&
			  !strcmp(r.outbuf + 6, cases[i].said), "%s", r.outbuf);
	}
}

/* test_vdestack_dies_of_the_signal_that_killed_the_command - and leaves
 * nothing behind. */
static void test_vdestack_dies_of_the_signal_that_killed_the_command(void)
{
	struct run r;
	int status;

	setup();
	start(&r, (const char *[]){ "", "--", "/bin/sh", "-c",
				    "echo ready; exec sleep 600", NULL }, NULL);
	wait_output(&r, "ready\n");
	IT_CHECK(kill(r.pid, SIGTERM) == 0);
	status = finish(&r);
	IT_CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		  "status %#x", status);
	status = run(&r, (const char *[]){ "", "/bin/sh", "-c", "kill -USR1 $$",
					   NULL }, NULL, NULL);
	IT_CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1 &&
		  !WCOREDUMP(status), "status %#x", status);
}

/* test_vdestack_killed_leaves_nothing_behind - SIGKILL to vdestack: the
 * helper, the command and the stack go with it. */
static void test_vdestack_killed_leaves_nothing_behind(void)
{
	struct run r;
	int status;

	setup();
	start(&r, (const char *[]){ "", "--", "/bin/sh", "-c",
				    "echo ready; exec sleep 600", NULL }, NULL);
	wait_output(&r, "ready\n");
	IT_CHECK(kill(r.pid, SIGKILL) == 0);
	status = finish(&r);
	IT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* test_vdestack_group_sigint_ends_the_command - SIGINT sent with kill(2)
 * to the whole group (vdestack and the command; the helper has a group of
 * its own): the command handles it and vdestack passes its exit status
 * on.  A kill(2) to the group cannot be told from one to vdestack alone,
 * so vdestack forwards it too and the command may see it twice; a real
 * terminal's ^C (SI_KERNEL) is not forwarded. */
static void test_vdestack_group_sigint_ends_the_command(void)
{
	struct run r;
	int status;

	setup();
	start(&r, (const char *[]){ "", "--", "/bin/sh", "-c",
				    TRAPPER("INT", "21"), NULL }, NULL);
	wait_output(&r, "ready\n");
	IT_CHECK(kill(-r.pid, SIGINT) == 0);
	status = finish(&r);
	CHECK_EXIT(&r, status, 21);
	IT_CHECKF(!strncmp(r.outbuf, "ready\ngot-INT\n", 14), "%s", r.outbuf);
}

/* ------------------------------------------------------------------ */
/* Forwards: -t, -u, -T, -U                                             */
/* ------------------------------------------------------------------ */

/* probe - the program that serves and asks inside the stack
 * (echoprobe.c).  Return: its path. */
static const char *probe(void)
{
	const char *p = getenv("IT_ECHOPROBE");

	if (!p || !p[0])
		it_skip("IT_ECHOPROBE not set (run through meson test)");
	return p;
}

/* host_addr - ip ("127.0.0.1", "::1") and port into ss.
 * Return: its length. */
static socklen_t host_addr(const char *ip, uint16_t port,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &a->sin_addr) == 1) {
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		return sizeof(*a);
	}
	IT_CHECK(inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1);
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	return sizeof(*a6);
}

/* host_socket - a socket of type on the host bound to ip:port (0: the
 * kernel's choice), listening for TCP; *ret_port its port.
 * Return: the descriptor, or -1 when the port is taken. */
static int host_socket(int type, const char *ip, uint16_t port,
		       uint16_t *ret_port)
{
	struct sockaddr_storage ss;
	socklen_t len = host_addr(ip, port, &ss);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);

	IT_CHECK(fd >= 0);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 8) < 0)) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	IT_CHECK(getsockname(fd, (struct sockaddr *)&ss, &len) == 0);
	*ret_port = ntohs(ss.ss_family == AF_INET6 ?
			  ((struct sockaddr_in6 *)&ss)->sin6_port :
			  ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* free_port - Return: a port of ip free for type on the host just now. */
static uint16_t free_port(int type, const char *ip)
{
	uint16_t port;
	int fd = host_socket(type, ip, 0, &port);

	IT_CHECK(fd >= 0);
	close(fd);
	return port;
}

/* host_ask - send text from the host to ip:port (a TCP connection,
 * half-closed after it, or a datagram), and the reply must be text. */
static void host_ask(int type, const char *ip, uint16_t port,
		     const char *text)
{
	struct sockaddr_storage ss;
	socklen_t len = host_addr(ip, port, &ss);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];
	size_t got = 0;
	ssize_t n;

	IT_CHECK(fd >= 0);
	IT_CHECKF(connect(fd, (struct sockaddr *)&ss, len) == 0,
		  "connect %s:%u: %s", ip, port, strerror(errno));
	IT_CHECK(send(fd, text, strlen(text), 0) == (ssize_t)strlen(text));
	if (type == SOCK_STREAM)
		IT_CHECK(shutdown(fd, SHUT_WR) == 0);
	do {
		IT_CHECKF(poll(&p, 1, WAIT_MS) == 1, "no reply from %s:%u",
			  ip, port);
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		IT_CHECKF(n >= 0, "recv from %s:%u: %s", ip, port,
			  strerror(errno));
		got += (size_t)n;
	} while (type == SOCK_STREAM && n > 0);
	buf[got] = '\0';
	IT_CHECKF(!strcmp(buf, text), "%s:%u answered \"%s\", not \"%s\"", ip,
		  port, buf, text);
	close(fd);
}

/* host_answer - the host's server: take one TCP connection on lfd (or
 * one datagram on a UDP socket), read all of it, and answer it in
 * capitals; the text read must be want. */
static void host_answer(int type, int fd, const char *want)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[256];
	size_t got = 0;
	ssize_t n;
	int c = fd;

	IT_CHECKF(poll(&p, 1, WAIT_MS) == 1, "no client for \"%s\"", want);
	if (type == SOCK_STREAM) {
		c = accept(fd, NULL, NULL);
		IT_CHECK(c >= 0);
	}
	do {
		n = recvfrom(c, buf + got, sizeof(buf) - 1 - got, 0,
			     (struct sockaddr *)&from, &flen);
		IT_CHECK(n >= 0);
		got += (size_t)n;
	} while (type == SOCK_STREAM && n > 0);
	buf[got] = '\0';
	IT_CHECKF(!strcmp(buf, want), "the host got \"%s\", not \"%s\"", buf,
		  want);
	for (size_t i = 0; i < got; i++)
		buf[i] = (char)(buf[i] - 'a' + 'A');
	if (type == SOCK_STREAM) {
		IT_CHECK(send(c, buf, got, 0) == (ssize_t)got);
		close(c);
	} else {
		IT_CHECK(sendto(fd, buf, got, 0, (struct sockaddr *)&from,
				flen) == (ssize_t)got);
	}
}

/* test_vdestack_t_and_u_forward_the_host_into_the_stack - two -t (IPv4
 * and IPv6) and a -u: clients on the host reach the program's servers in
 * a stack without a network; the ports are free once vdestack ends. */
static void test_vdestack_t_and_u_forward_the_host_into_the_stack(void)
{
	uint16_t t4 = free_port(SOCK_STREAM, "127.0.0.1");
	uint16_t t6 = free_port(SOCK_STREAM, "::1");
	uint16_t u4 = free_port(SOCK_DGRAM, "127.0.0.1"), port;
	char a[64], b[64], c[64];
	struct run r;
	int fd;

	setup();
	snprintf(a, sizeof(a), "127.0.0.1:%u:127.0.0.1:7", t4);
	snprintf(b, sizeof(b), "[::1]:%u:[::1]:7", t6);
	snprintf(c, sizeof(c), "127.0.0.1:%u:127.0.0.1:7", u4);
	start(&r, (const char *[]){ "-t", a, "--tcp", b, "-u", c, "", "--",
				    probe(), "serve", "tcp", "127.0.0.1", "7",
				    "tcp", "::1", "7", "udp", "127.0.0.1", "7",
				    NULL }, NULL);
	wait_output(&r, "ready\n");
	host_ask(SOCK_STREAM, "127.0.0.1", t4, "over ipv4");
	host_ask(SOCK_STREAM, "::1", t6, "over ipv6");
	host_ask(SOCK_DGRAM, "127.0.0.1", u4, "a datagram");
	CHECK_EXIT(&r, finish(&r), 0);
	fd = host_socket(SOCK_STREAM, "127.0.0.1", t4, &port);
	IT_CHECKF(fd >= 0, "port %u still taken after vdestack", t4);
	close(fd);
}

/* test_vdestack_T_and_U_forward_the_stack_to_the_host - -T (one port,
 * and a range to one port) and -U: the program in a stack without a
 * network reaches the host's servers through its loopback. */
static void test_vdestack_T_and_U_forward_the_stack_to_the_host(void)
{
	uint16_t tp, up;
	int tfd = host_socket(SOCK_STREAM, "127.0.0.1", 0, &tp);
	int ufd = host_socket(SOCK_DGRAM, "::1", 0, &up);
	char a[64], b[64], c[64];
	struct run r;

	setup();
	IT_CHECK(tfd >= 0 && ufd >= 0);
	snprintf(a, sizeof(a), "5432:127.0.0.1:%u", tp);
	snprintf(b, sizeof(b), "127.0.0.1:6000-6009:127.0.0.1:%u", tp);
	snprintf(c, sizeof(c), "53:[::1]:%u", up);
	start(&r, (const char *[]){ "-T", a, "--tcp-ns", b, "-U", c, "", "--",
				    probe(), "ask", "tcp", "127.0.0.1", "5432",
				    "hello", "tcp", "127.0.0.1", "6007", "again",
				    "udp", "::1", "53", "dns", NULL }, NULL);
	host_answer(SOCK_STREAM, tfd, "hello");
	host_answer(SOCK_STREAM, tfd, "again");
	host_answer(SOCK_DGRAM, ufd, "dns");
	CHECK_EXIT(&r, finish(&r), 0);
	IT_CHECKF(!strcmp(r.outbuf, "tcp 5432 HELLO\ntcp 6007 AGAIN\n"
				    "udp 53 DNS\n"), "%s", r.outbuf);
	close(tfd);
	close(ufd);
}

/* test_vdestack_reports_a_bad_or_busy_forward - 125 and one line naming
 * the forward, the command never run: malformed specs of each option,
 * and a host port that is taken. */
static void test_vdestack_reports_a_bad_or_busy_forward(void)
{
	static const char *const bad[][2] = {
		{ "-t", "bogus" }, { "-u", "53" },
		{ "-T", "5000:127.0.0.1:80-81" }, { "-U", "[::1]:53:[::1]" },
		{ "-t", "8000-8009:127.0.0.1:80" },
	};
	uint16_t port;
	int busy = host_socket(SOCK_STREAM, "127.0.0.1", 0, &port);
	char spec[64], named[80];
	struct run r;

	setup();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EXIT(&r, run(&r, (const char *[]){ bad[i][0], bad[i][1],
				   "", "--", "/bin/sh", "-c", "echo ran",
				   NULL }, NULL, NULL), 125);
		IT_CHECKF(one_line(r.errbuf) && strstr(r.errbuf, bad[i][1]) &&
			  r.outlen == 0, "%s: %s", bad[i][1], r.errbuf);
	}
	IT_CHECK(busy >= 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u:127.0.0.1:7", port);
	snprintf(named, sizeof(named), "'tcp:%s'", spec);
	CHECK_EXIT(&r, run(&r, (const char *[]){ "-t", spec, "", "--",
			   "/bin/sh", "-c", "echo ran", NULL }, NULL, NULL),
		   125);
	IT_CHECKF(one_line(r.errbuf) && strstr(r.errbuf, named) &&
		  strstr(r.errbuf, strerror(EADDRINUSE)) && r.outlen == 0,
		  "%s", r.errbuf);
	close(busy);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(vdestack_passes_the_exit_status),
	T(vdestack_searches_path_for_the_command),
	T(vdestack_reports_a_missing_command),
	T(vdestack_reports_a_command_that_cannot_run),
	T(vdestack_reports_a_bad_url),
	T(vdestack_reports_a_bad_conf),
	T(vdestack_help_and_usage_errors),
	T(vdestack_passes_stdin_stdout_and_stderr),
	T(vdestack_passes_the_environment),
	T(vdestack_runs_the_default_shell),
	T(vdestack_runs_the_command_in_a_new_configured_stack),
	T(vdestack_configures_slirp_with_dhcp_by_default),
	T(vdestack_passes_signals_on_to_the_command),
	T(vdestack_dies_of_the_signal_that_killed_the_command),
	T(vdestack_killed_leaves_nothing_behind),
	T(vdestack_group_sigint_ends_the_command),
	T(vdestack_t_and_u_forward_the_host_into_the_stack),
	T(vdestack_T_and_U_forward_the_stack_to_the_host),
	T(vdestack_reports_a_bad_or_busy_forward),
#undef T
};

/* main - run one case (argv[1]) or all.  Return: the exit status. */
int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
