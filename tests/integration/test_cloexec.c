/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_cloexec.c - close-on-exec: with every backend up in one process
 * (no network, mem://, hub:// and vde://, udp://, slirp:// with a NAT
 * connection open, =command, vde:// on a vde_switch, a forward with a
 * connection open), a program the application execs gets no descriptor
 * of the library or of a libvdeplug plugin, only those passed on
 * purpose; a vde_msocket() socket made without SOCK_CLOEXEC still works
 * there, in its stack.  Host traffic only on 127.0.0.1.
 *
 * Theory of operation: the test forks and its child execs it-fdprobe
 * (IT_FDPROBE), which lists /proc/self/fd on a pipe the test reads.  The
 * descriptors a program may get are 0, 1 and 2, the socket the test
 * passes, and any the test process itself inherited without
 * close-on-exec from whatever started it (noted before the first stack,
 * so that a test runner's descriptor is not called the library's). */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_fwd_util.h"

#define BYTES (64u << 10)
#define MAX_FDS 64

extern char **environ;

/* Descriptors an exec'd program may have. */
struct fdset {
	int fd[MAX_FDS];
	int n;
};

/* fdset_add - add fd to s.  Return: nothing. */
static void fdset_add(struct fdset *s, int fd)
{
	IT_CHECK(s->n < MAX_FDS);
	s->fd[s->n++] = fd;
}

/* fdset_has - Return: true when fd is in s. */
static bool fdset_has(const struct fdset *s, int fd)
{
	for (int i = 0; i < s->n; i++)
		if (s->fd[i] == fd)
			return true;
	return false;
}

/* allowed_fds - 0, 1, 2 and the descriptors this process has now that an
 * exec keeps (before any stack: what started the test gave them).
 * Return: the set. */
static struct fdset allowed_fds(void)
{
	struct fdset s = { .n = 0 };
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	IT_CHECK(d);
	fdset_add(&s, 0);
	fdset_add(&s, 1);
	fdset_add(&s, 2);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), fl;

		if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			fdset_add(&s, fd);
	}
	closedir(d);
	return s;
}

/* read_all - read fd until end of file into out (NUL-terminated,
 * truncated to size), each wait bounded to 30 s.  Return: nothing. */
static void read_all(int fd, char *out, size_t size)
{
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		ssize_t n;

		IT_CHECKF(poll(&p, 1, 30000) == 1, "the probe says nothing");
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		IT_CHECK(n >= 0);
		if (n == 0)
			break;
		if (len + 1 < size) {
			size_t take = (size_t)n < size - 1 - len ? (size_t)n
								  : size - 1 - len;

			memcpy(out + len, buf, take);
			len += take;
		}
	}
	out[len] = '\0';
}

/* run_probe - fork, and exec it-fdprobe in the child with its standard
 * output on a pipe; args (NULL-ended, at most 3) follow the program's
 * name.  The probe's report goes to out.  Return: nothing (the test
 * fails unless the probe exits 0). */
static void run_probe(char *const *args, char *out, size_t size)
{
	const char *probe = getenv("IT_FDPROBE");
	char *argv[5] = { (char *)probe };
	int p[2], status;
	pid_t pid;

	IT_CHECKF(probe && *probe, "IT_FDPROBE is not set");
	for (int i = 0; args && args[i]; i++) {
		IT_CHECK(i < 3);
		argv[i + 1] = args[i];
	}
	IT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		/* dup2 clears close-on-exec on 1; p[0] and p[1] go */
		if (dup2(p[1], 1) == 1)
			execve(probe, argv, environ);
		_exit(127);
	}
	close(p[1]);
	read_all(p[0], out, size);
	close(p[0]);
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the probe ended with status 0x%x:\n%s", status, out);
}

/* next_line - Return: the line after l, or NULL at the end. */
static const char *next_line(const char *l)
{
	const char *nl = strchr(l, '\n');

	return nl && nl[1] ? nl + 1 : NULL;
}

/* check_only_allowed - every "fd N TARGET" line of report names a
 * descriptor of allowed; the others are listed in the failure.
 * Return: nothing. */
static void check_only_allowed(const char *report, const struct fdset *allowed)
{
	char leaked[2048] = "";
	size_t used = 0;
	int listed = 0;

	for (const char *l = report; l; l = next_line(l)) {
		int fd, len = (int)strcspn(l, "\n");

		if (sscanf(l, "fd %d", &fd) != 1)
			continue;
		listed++;
		if (!fdset_has(allowed, fd) && used < sizeof(leaked))
			used += (size_t)snprintf(leaked + used,
						 sizeof(leaked) - used,
						 "\n  %.*s", len, l);
	}
	IT_CHECKF(listed >= 3, "the probe listed %d descriptors:\n%s", listed,
		  report);
	IT_CHECKF(!leaked[0], "descriptors kept across exec:%s", leaked);
}

/* has_line - Return: true when report has a line starting with prefix
 * and ending there or at a blank. */
static bool has_line(const char *report, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *l = report; l; l = next_line(l))
		if (!strncmp(l, prefix, n) &&
		    (l[n] == ' ' || l[n] == '\n' || l[n] == '\0'))
			return true;
	return false;
}

/* Everything the first test brings up, and what it holds open. */
struct rig {
	struct vdestack *nonet, *mem[2], *hub, *vde, *stream, *udp[2];
	struct vdestack *slirp, *on_switch;
	struct it_switch sw;
	int nat_lfd, nat_cli, nat_srv; /* a NAT connection, both ends */
	int fwd_lfd, fwd_cli, fwd_srv; /* a connection through a forward */
};

/* accept_one - accept a connection on lfd (bounded).  Return: it. */
static int accept_one(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	IT_CHECKF(poll(&p, 1, 30000) == 1, "no connection in 30 s");
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(fd >= 0);
	return fd;
}

/* ping - a byte from a to b and back, checked.  Return: nothing. */
static void ping(int a, int b)
{
	char c = 0;

	it_set_timeouts(a, 30000);
	it_set_timeouts(b, 30000);
	IT_CHECK(write(a, "p", 1) == 1 && read(b, &c, 1) == 1 && c == 'p');
	IT_CHECK(write(b, "q", 1) == 1 && read(a, &c, 1) == 1 && c == 'q');
}

/* rig_links - the stacks on frame backends, each pair exchanging data.
 * Return: nothing. */
static void rig_links(struct rig *r)
{
	char url[600], url2[700];
	uint16_t pa, pb;

	r->mem[0] = it_addstack("mem://cloexec", NULL);
	r->mem[1] = it_addstack("mem://cloexec", NULL);
	it_config_addr(r->mem[0], "vde0", "10.9.0.1/24");
	it_config_addr(r->mem[1], "vde0", "10.9.0.2/24");
	it_tcp_exchange(r->mem[0], r->mem[1], "10.9.0.1", BYTES, 1);

	snprintf(url, sizeof(url), "hub://%s/hub", it_tmpdir());
	r->hub = it_addstack(url, NULL);
	snprintf(url, sizeof(url), "vde://%s/hub", it_tmpdir());
	r->vde = it_addstack(url, NULL);
	snprintf(url2, sizeof(url2), "=/usr/bin/vde_plug %s", url);
	r->stream = it_addstack(url2, NULL);
	it_config_addr(r->hub, "vde0", "10.9.1.1/24");
	it_config_addr(r->vde, "vde0", "10.9.1.2/24");
	it_config_addr(r->stream, "vde0", "10.9.1.3/24");
	it_tcp_exchange(r->hub, r->vde, "10.9.1.1", BYTES, 2);
	it_tcp_exchange(r->hub, r->stream, "10.9.1.1", BYTES, 3);

	it_free_udp_ports(&pa, &pb);
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u->127.0.0.1:%u", pa, pb);
	r->udp[0] = it_addstack(url, NULL);
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u->127.0.0.1:%u", pb, pa);
	r->udp[1] = it_addstack(url, NULL);
	it_config_addr(r->udp[0], "vde0", "10.9.2.1/24");
	it_config_addr(r->udp[1], "vde0", "10.9.2.2/24");
	it_tcp_exchange(r->udp[0], r->udp[1], "10.9.2.1", BYTES, 4);

	it_switch_start(&r->sw, it_tmpdir(), "sw");
	snprintf(url, sizeof(url), "vde://%s", r->sw.path);
	r->on_switch = it_addstack(url, NULL);
}

/* rig_up - every backend up in this process, with a NAT connection of
 * slirp:// and a connection through a forward open.  Return: nothing. */
static void rig_up(struct rig *r)
{
	uint16_t port;
	char spec[100];

	it_require_network();
	it_require_program("vde_switch");
	it_require_program("vde_plug");
	r->nonet = it_addstack(NULL, NULL);
	rig_links(r);

	r->slirp = vde_addstack("slirp://", NULL);
	if (!r->slirp && errno == EPROTONOSUPPORT)
		it_skip("this build has no slirp:// backend");
	IT_CHECKF(r->slirp, "vde_addstack(slirp://)");
	fu_slirp_config(r->slirp);
	r->nat_lfd = fu_bound_any(SOCK_STREAM, "127.0.0.1", &port);
	r->nat_cli = fu_connect(r->slirp, SOCK_STREAM, "10.0.2.2", port, 30000);
	IT_CHECKF(r->nat_cli >= 0, "NAT connect: %s", strerror(-r->nat_cli));
	r->nat_srv = accept_one(r->nat_lfd);
	ping(r->nat_cli, r->nat_srv);

	r->fwd_lfd = fu_bound(r->nonet, SOCK_STREAM, "127.0.0.1", 8080);
	port = fu_free_port(SOCK_STREAM, "127.0.0.1");
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u:127.0.0.1:8080", port);
	IT_CHECKF(vde_stackfwd(r->nonet, spec) == 0, "vde_stackfwd(%s)", spec);
	r->fwd_cli = fu_connect(NULL, SOCK_STREAM, "127.0.0.1", port, 10000);
	IT_CHECKF(r->fwd_cli >= 0, "connect to the forward: %s",
		  strerror(-r->fwd_cli));
	r->fwd_srv = accept_one(r->fwd_lfd);
	ping(r->fwd_cli, r->fwd_srv);
}

/* rig_down - close and delete everything rig_up made.  Return: nothing. */
static void rig_down(struct rig *r)
{
	const int fds[] = { r->fwd_srv, r->fwd_cli, r->fwd_lfd, r->nat_srv,
			    r->nat_cli, r->nat_lfd };
	struct vdestack *const stacks[] = {
		r->on_switch, r->slirp, r->udp[1], r->udp[0], r->stream,
		r->vde, r->hub, r->mem[1], r->mem[0], r->nonet,
	};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	for (size_t i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++)
		vde_delstack(stacks[i]);
	it_switch_stop(&r->sw);
}

/* udp_in - a UDP socket of s bound to ip:port, close-on-exec or not.
 * Return: the descriptor. */
static int udp_in(struct vdestack *s, const char *ip, uint16_t port,
		  bool cloexec)
{
	struct sockaddr_storage ss;
	socklen_t len = fu_addr(ip, port, &ss);
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM |
			     (cloexec ? SOCK_CLOEXEC : 0), 0);

	IT_CHECK(fd >= 0);
	IT_CHECKF(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s:%u",
		  ip, port);
	return fd;
}

/* check_datagram - the probe's datagram arrives on fd from from_ip:port.
 * Return: nothing. */
static void check_datagram(int fd, const char *from_ip, uint16_t port)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	char buf[64], ip[INET_ADDRSTRLEN];
	ssize_t n;

	IT_CHECKF(poll(&p, 1, 10000) == 1, "no datagram from the probe");
	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		     (struct sockaddr *)&from, &len);
	IT_CHECK(n == 7 && !memcmp(buf, "fdprobe", 7));
	inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
	IT_CHECKF(!strcmp(ip, from_ip) && ntohs(from.sin_port) == port,
		  "the datagram came from %s:%u", ip, ntohs(from.sin_port));
}

/* probe_with_socket - exec the probe with u (bound to ip:7000 in its
 * stack) to send to ip:7001 (r, read here); check that u works there and
 * that the probe has only the descriptors of allowed and u.
 * Return: nothing. */
static void probe_with_socket(struct fdset *allowed, int u, int r,
			      const char *ip)
{
	char num[16], name[64], report[8192];
	char *args[] = { num, (char *)ip, (char *)"7001", NULL };

	snprintf(num, sizeof(num), "%d", u);
	snprintf(name, sizeof(name), "name %s:7000", ip);
	fdset_add(allowed, u);
	run_probe(args, report, sizeof(report));
	check_only_allowed(report, allowed);
	IT_CHECKF(has_line(report, name), "the socket passed is not %s:7000 "
		  "in the new program:\n%s", ip, report);
	IT_CHECKF(has_line(report, "sent 7"), "the new program could not "
		  "send:\n%s", report);
	check_datagram(r, ip, 7000);
}

/* test_execd_program_gets_no_descriptor_of_the_library_with_every_backend_up
 * - every backend up at once, connections open through libslirp and a
 * forward: the exec'd probe has only 0, 1, 2 and the socket passed on
 * purpose, which works there. */
static void test_execd_program_gets_no_descriptor_of_the_library_with_every_backend_up(void)
{
	struct fdset allowed = allowed_fds();
	struct rig r = { .nonet = NULL };
	int u, rcv;

	rig_up(&r);
	u = udp_in(r.hub, "10.9.1.1", 7000, false);
	rcv = udp_in(r.hub, "10.9.1.1", 7001, true);
	probe_with_socket(&allowed, u, rcv, "10.9.1.1");
	close(rcv);
	close(u);
	rig_down(&r);
}

/* test_msocket_without_sock_cloexec_keeps_its_stack_in_an_execd_program -
 * a UDP socket of a stack, made without SOCK_CLOEXEC, is open in the
 * exec'd program at the same number, named by the stack's own address,
 * and its datagram reaches a socket of the stack; one made with
 * SOCK_CLOEXEC is not there. */
static void test_msocket_without_sock_cloexec_keeps_its_stack_in_an_execd_program(void)
{
	struct fdset allowed = allowed_fds();
	struct vdestack *s;
	char url[600];
	int u, rcv;

	it_require_network();
	snprintf(url, sizeof(url), "hub://%s/hub", it_tmpdir());
	s = it_addstack(url, NULL);
	it_config_addr(s, "vde0", "10.9.3.1/24");
	u = udp_in(s, "10.9.3.1", 7000, false);
	rcv = udp_in(s, "10.9.3.1", 7001, true);
	IT_CHECK(!fdset_has(&allowed, rcv));
	probe_with_socket(&allowed, u, rcv, "10.9.3.1");
	close(rcv);
	close(u);
	vde_delstack(s);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(execd_program_gets_no_descriptor_of_the_library_with_every_backend_up),
	T(msocket_without_sock_cloexec_keeps_its_stack_in_an_execd_program),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
