/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_dns.c - DNS tests: a "host" of the test's own with its own resolver. */

/*
 * Theory of operation
 *
 * No query of these tests may reach the machine's resolvers.  So each case
 * first makes its own "host": a network and mount namespace (inside a user
 * namespace of its own when not root), with only lo, up.  A responder
 * process of the test's answers one fixed name (TEST_NAME) with fixed
 * addresses on 127.0.0.53 or ::1, over UDP and TCP, and a resolv.conf
 * naming it is bound over /etc/resolv.conf in that mount namespace only.
 * Every other name gets NXDOMAIN, so a lookup that succeeds was answered
 * by this responder and by nothing else.  The addresses handed out are
 * documentation prefixes that nothing ever connects to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define TEST_NAME "dns-test.vdestack.test"
#define TEST_A "198.51.100.53"
#define TEST_AAAA "2001:db8::53"
#define DNS_PORT 53
#define DNS_HDR 12
#define DNS_MAX 512
#define TYPE_A 1
#define TYPE_AAAA 28
#define RCODE_NXDOMAIN 3
#define TTL_S 60
/* The responder ends on its own after this, whatever happens. */
#define RESPONDER_LIFE_MS 120000
/* How long a TCP client may keep the responder waiting. */
#define TCP_WAIT_MS 2000

/* enter_test_host - make this (single-threaded) process the test's own
 * host: network and mount namespaces, a user namespace first when not
 * root, lo up, mounts private so that nothing leaks to the machine's. */
static void enter_test_host(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];
	int fd;

	if (uid != 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS) < 0) {
			if (errno == EPERM || errno == ENOSPC)
				it_skip("no user namespaces here: %s",
					strerror(errno));
			IT_CHECKF(false, "unshare");
		}
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
		IT_CHECK(it_write_file("/proc/self/uid_map", map));
		IT_CHECK(it_write_file("/proc/self/setgroups", "deny"));
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
		IT_CHECK(it_write_file("/proc/self/gid_map", map));
	} else {
		IT_CHECKF(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare");
	}
	IT_CHECKF(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0,
		  "mount private");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	IT_CHECKF(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0, "lo up");
	close(fd);
	/* only now: the library's helper is forked by the first stack, and
	 * must be born in this host, not the machine's */
	it_require_stacks();
}

/* The files bound over /etc/resolv.conf, removed when the test ends: a
 * file bound over must keep its name, or nothing more can be mounted on
 * top of it (a program's own resolv.conf, a second binding). */
#define MAX_BOUND 4
static char bound[MAX_BOUND][64];

/* remove_bound - at exit: remove the files bound (the mounts go with
 * the test's mount namespace). */
static void remove_bound(void)
{
	for (int i = 0; i < MAX_BOUND; i++)
		if (bound[i][0])
			unlink(bound[i]);
}

/* bind_resolv_conf - bind a file holding text over /etc/resolv.conf (in
 * the test's own mount namespace only). */
static void bind_resolv_conf(const char *text)
{
	char path[] = "/tmp/it-dns-resolv-XXXXXX";
	int fd = mkstemp(path), i;

	IT_CHECK(fd >= 0);
	IT_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	for (i = 0; i < MAX_BOUND && bound[i][0]; i++)
		;
	IT_CHECK(i < MAX_BOUND);
	if (i == 0)
		atexit(remove_bound);
	snprintf(bound[i], sizeof(bound[i]), "%s", path);
	IT_CHECKF(mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0,
		  "bind %s over /etc/resolv.conf", path);
}

/* read_qname - decode the question's name at q (len bytes left) into
 * name as dotted text.  Return: bytes of the wire name, or -1. */
static int read_qname(const uint8_t *q, size_t len, char *name, size_t size)
{
	size_t i = 0, out = 0;

	while (i < len && q[i] != 0) {
		size_t l = q[i];

		if (l > 63 || i + 1 + l > len || out + l + 2 > size)
			return -1;
		if (out)
			name[out++] = '.';
		memcpy(name + out, q + i + 1, l);
		out += l;
		i += 1 + l;
	}
	if (i >= len)
		return -1;
	name[out] = '\0';
	return (int)i + 1;
}

/* put_answer - append an answer record (name by pointer to the question)
 * of type and its address to msg at off.  Return: the new length. */
static size_t put_answer(uint8_t *msg, size_t off, int type)
{
	uint8_t addr[16];
	size_t alen = type == TYPE_A ? 4 : 16;

	inet_pton(type == TYPE_A ? AF_INET : AF_INET6,
		  type == TYPE_A ? TEST_A : TEST_AAAA, addr);
	msg[off++] = 0xc0;
	msg[off++] = DNS_HDR;
	msg[off++] = 0;
	msg[off++] = (uint8_t)type;
	msg[off++] = 0;
	msg[off++] = 1;
	msg[off++] = 0;
	msg[off++] = 0;
	msg[off++] = 0;
	msg[off++] = TTL_S;
	msg[off++] = 0;
	msg[off++] = (uint8_t)alen;
	memcpy(msg + off, addr, alen);
	return off + alen;
}

/* answer - turn the query in msg (len bytes) into its reply, in place.
 * Return: the reply's length, or 0 for a message not worth a reply. */
static size_t answer(uint8_t *msg, size_t len)
{
	char name[256];
	int qlen, type;
	size_t end;

	if (len < DNS_HDR + 5 || (msg[2] & 0x80) || msg[5] != 1 || msg[4])
		return 0;
	qlen = read_qname(msg + DNS_HDR, len - DNS_HDR - 4, name,
			  sizeof(name));
	if (qlen < 0)
		return 0;
	end = DNS_HDR + (size_t)qlen + 4;
	type = msg[end - 3];
	msg[2] = 0x84 | (msg[2] & 0x01);	/* reply, authoritative, RD */
	msg[3] = 0x80;				/* RA */
	memset(msg + 6, 0, 6);
	if (strcasecmp(name, TEST_NAME) != 0) {
		msg[3] |= RCODE_NXDOMAIN;
		return end;
	}
	if (msg[end - 4] == 0 && (type == TYPE_A || type == TYPE_AAAA)) {
		msg[7] = 1;
		end = put_answer(msg, end, type);
	}
	return end;
}

/* serve_udp - answer one datagram on fd. */
static void serve_udp(int fd)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	uint8_t msg[DNS_MAX];
	ssize_t n;
	size_t r;

	n = recvfrom(fd, msg, sizeof(msg) - 64, 0, (struct sockaddr *)&from,
		     &flen);
	if (n <= 0)
		return;
	r = answer(msg, (size_t)n);
	if (r)
		sendto(fd, msg, r, 0, (struct sockaddr *)&from, flen);
}

/* read_full - read len bytes from fd, waiting at most TCP_WAIT_MS for
 * each piece.  Return: true when all came. */
static bool read_full(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (poll(&p, 1, TCP_WAIT_MS) != 1)
			return false;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* serve_tcp - answer the queries of one connection accepted on lfd,
 * each with its two-byte length, until the client closes. */
static void serve_tcp(int lfd)
{
	uint8_t msg[2 + DNS_MAX];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (;;) {
		size_t len, r;

		if (!read_full(fd, msg, 2))
			break;
		len = (size_t)msg[0] << 8 | msg[1];
		if (len > DNS_MAX - 64 || !read_full(fd, msg + 2, len))
			break;
		r = answer(msg + 2, len);
		if (!r)
			break;
		msg[0] = (uint8_t)(r >> 8);
		msg[1] = (uint8_t)r;
		if (write(fd, msg, r + 2) != (ssize_t)(r + 2))
			break;
	}
	close(fd);
}

/* open_socket - a socket of type bound to addr (text), port 53, in stack
 * (NULL: the test's host).  Return: the descriptor; fails the test on
 * error. */
static int open_socket(struct vdestack *stack, const char *addr, int type)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	socklen_t len;
	int one = 1, fd;

	if (family == AF_INET) {
		in->sin_family = AF_INET;
		in->sin_port = htons(DNS_PORT);
		IT_CHECK(inet_pton(AF_INET, addr, &in->sin_addr) == 1);
		len = sizeof(*in);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(DNS_PORT);
		IT_CHECK(inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1);
		len = sizeof(*in6);
	}
	fd = stack ? vde_msocket(stack, family, type | SOCK_CLOEXEC, 0)
		   : socket(family, type | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	IT_CHECKF(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s", addr);
	if (type == SOCK_STREAM)
		IT_CHECK(listen(fd, 8) == 0);
	return fd;
}

/* serve_fds - fork the test's resolver on a bound UDP socket and a
 * listening TCP one (both closed here); it dies with the test, or after
 * RESPONDER_LIFE_MS.  Return: its pid. */
static pid_t serve_fds(int udp, int tcp)
{
	struct pollfd p[2] = {
		{ .fd = udp, .events = POLLIN },
		{ .fd = tcp, .events = POLLIN },
	};
	int64_t end = it_now_ms() + RESPONDER_LIFE_MS;
	pid_t pid = fork();

	IT_CHECK(pid >= 0);
	if (pid > 0) {
		close(p[0].fd);
		close(p[1].fd);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (it_now_ms() < end) {
		if (poll(p, 2, 1000) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			serve_udp(p[0].fd);
		if (p[1].revents & POLLIN)
			serve_tcp(p[1].fd);
	}
	_exit(0);
}

/* start_responder - the test's resolver on addr (UDP and TCP, port 53)
 * of the test's host.  Return: its pid. */
static pid_t start_responder(const char *addr)
{
	int udp = open_socket(NULL, addr, SOCK_DGRAM);

	return serve_fds(udp, open_socket(NULL, addr, SOCK_STREAM));
}

/* stop_responder - end the responder pid and reap it. */
static void stop_responder(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* resolve - look name up for family through the C library.
 * Return: its first address as text in out, or false. */
static bool resolve(const char *name, int family, char *out, size_t size)
{
	struct addrinfo hints = { .ai_family = family,
				  .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai = NULL;
	bool ok;

	if (getaddrinfo(name, NULL, &hints, &ai) != 0)
		return false;
	ok = getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)size,
			 NULL, 0, NI_NUMERICHOST) == 0;
	freeaddrinfo(ai);
	return ok;
}

/* check_host_resolves - on the test's host, the fixed name resolves for
 * family to want and any other name does not. */
static void check_host_resolves(int family, const char *want)
{
	char got[INET6_ADDRSTRLEN];

	IT_CHECKF(resolve(TEST_NAME, family, got, sizeof(got)),
		  "%s does not resolve", TEST_NAME);
	IT_CHECKF(strcmp(got, want) == 0, "%s is %s, not %s", TEST_NAME, got,
		  want);
	IT_CHECKF(!resolve("other.vdestack.test", family, got, sizeof(got)),
		  "a name the responder does not know resolved to %s", got);
}

/* The harness itself: the test's resolver answers over UDP. */
static void test_harness_resolver_answers_over_udp(void)
{
	pid_t r;

	enter_test_host();
	r = start_responder("127.0.0.53");
	bind_resolv_conf("nameserver 127.0.0.53\n"
			 "options timeout:1 attempts:3\n");
	check_host_resolves(AF_INET, TEST_A);
	stop_responder(r);
}

/* The harness itself: the test's resolver answers over TCP (use-vc makes
 * the C library query over TCP only). */
static void test_harness_resolver_answers_over_tcp(void)
{
	pid_t r;

	enter_test_host();
	r = start_responder("127.0.0.53");
	bind_resolv_conf("nameserver 127.0.0.53\n"
			 "options use-vc timeout:1 attempts:3\n");
	check_host_resolves(AF_INET, TEST_A);
	stop_responder(r);
}

/* The harness itself: a resolver on ::1 answers AAAA queries. */
static void test_harness_resolver_answers_on_ipv6_loopback(void)
{
	pid_t r;

	enter_test_host();
	r = start_responder("::1");
	bind_resolv_conf("nameserver ::1\noptions timeout:1 attempts:3\n");
	check_host_resolves(AF_INET6, TEST_AAAA);
	stop_responder(r);
}

/* ------------------------------------------------------------------ */
/* Queries and programs, from inside stacks                             */
/* ------------------------------------------------------------------ */

/* How long one query, or one program of a test, may take. */
#define QUERY_WAIT_MS 3000
#define PROGRAM_WAIT_MS 60000
#define QUERY_ID 0x5353

/* fill_sa - addr (text), port 53, into *ss.  Return: its length. */
static socklen_t fill_sa(const char *addr, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!strchr(addr, ':')) {
		in->sin_family = AF_INET;
		in->sin_port = htons(DNS_PORT);
		IT_CHECK(inet_pton(AF_INET, addr, &in->sin_addr) == 1);
		return sizeof(*in);
	}
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(DNS_PORT);
	IT_CHECK(inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1);
	return sizeof(*in6);
}

/* make_query - an A query for TEST_NAME into msg.  Return: its length. */
static size_t make_query(uint8_t *msg)
{
	static const char name[] = TEST_NAME;
	size_t off = DNS_HDR, label = 0;

	memset(msg, 0, DNS_HDR);
	msg[0] = QUERY_ID >> 8;
	msg[1] = QUERY_ID & 0xff;
	msg[2] = 0x01; /* RD */
	msg[5] = 1;
	for (size_t i = 0; i <= strlen(name); i++) {
		if (name[i] == '.' || name[i] == '\0') {
			msg[off++] = (uint8_t)(i - label);
			memcpy(msg + off, name + label, i - label);
			off += i - label;
			label = i + 1;
		}
	}
	msg[off++] = 0;
	msg[off++] = 0;
	msg[off++] = TYPE_A;
	msg[off++] = 0;
	msg[off++] = 1;
	return off;
}

/* reply_ok - whether msg (len bytes) answers our query with TEST_A.
 * Return: true if so. */
static bool reply_ok(const uint8_t *msg, size_t len)
{
	uint8_t want[4];

	inet_pton(AF_INET, TEST_A, want);
	return len >= DNS_HDR + 4 && msg[0] == QUERY_ID >> 8 &&
	       msg[1] == (QUERY_ID & 0xff) && (msg[2] & 0x80) &&
	       msg[7] == 1 && !memcmp(msg + len - 4, want, 4);
}

/* query_over - one query for TEST_NAME to addr port 53, over UDP or TCP
 * (tcp), from a socket of stack (NULL: socket(2), i.e. the default
 * stack if one is set).  Return: 0 when answered right, else -errno
 * (-EBADMSG: a wrong answer). */
static int query_over(struct vdestack *stack, const char *addr, bool tcp)
{
	struct sockaddr_storage ss;
	socklen_t sl = fill_sa(addr, &ss);
	int type = (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
	uint8_t msg[2 + DNS_MAX];
	size_t qlen = make_query(msg + 2);
	ssize_t n;
	int fd, err = 0;

	fd = stack ? vde_msocket(stack, ss.ss_family, type, 0)
		   : socket(ss.ss_family, type, 0);
	IT_CHECK(fd >= 0);
	it_set_timeouts(fd, QUERY_WAIT_MS);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		err = -errno;
		goto out;
	}
	msg[0] = (uint8_t)(qlen >> 8);
	msg[1] = (uint8_t)qlen;
	n = tcp ? write(fd, msg, qlen + 2) : send(fd, msg + 2, qlen, 0);
	if (n >= 0)
		n = tcp ? (read_full(fd, msg, 2) ?
			   (read_full(fd, msg + 2, (size_t)(msg[0] << 8 |
							     msg[1])) ?
			    (msg[0] << 8 | msg[1]) : -1) : -1)
			: recv(fd, msg + 2, DNS_MAX, 0);
	if (n < 0)
		err = errno ? -errno : -EIO;
	else if (!reply_ok(msg + 2, (size_t)n))
		err = -EBADMSG;
out:
	close(fd);
	return err;
}

/* check_queries - DNS to addr works over UDP and TCP from stack. */
static void check_queries(struct vdestack *stack, const char *addr)
{
	int err = query_over(stack, addr, false);

	IT_CHECKF(err == 0, "UDP query to %s: %s", addr, strerror(-err));
	err = query_over(stack, addr, true);
	IT_CHECKF(err == 0, "TCP query to %s: %s", addr, strerror(-err));
}

/* check_no_udp_dns - nothing answers DNS on addr from stack: the
 * kernel's port unreachable, at once (no waiting on a timeout). */
static void check_no_udp_dns(struct vdestack *stack, const char *addr)
{
	int err = query_over(stack, addr, false);

	IT_CHECKF(err == -ECONNREFUSED, "UDP query to %s in the stack: %s",
		  addr, err ? strerror(-err) : "answered");
}

/* read_all - read fd to its end into out (NUL-terminated), at most
 * PROGRAM_WAIT_MS in all.  Return: nothing. */
static void read_all(int fd, char *out, size_t size)
{
	int64_t end = it_now_ms() + PROGRAM_WAIT_MS;
	size_t got = 0;

	out[0] = '\0';
	while (got + 1 < size && it_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(fd, out + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		out[got] = '\0';
	}
}

/* run_out - run argv (a program of the test's host) with its output in
 * out.  Return: its wait status. */
static int run_out(char *const argv[], char *out, size_t size)
{
	int p[2], status;
	pid_t pid;

	IT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	read_all(p[0], out, size);
	close(p[0]);
	IT_CHECK(waitpid(pid, &status, 0) == pid);
	return status;
}

/* vdestack_bin - Return: the vdestack command under test. */
static const char *vdestack_bin(void)
{
	const char *bin = getenv("VDESTACK_BIN");

	IT_CHECKF(bin && bin[0], "VDESTACK_BIN is not set");
	return bin;
}

/* spawn_out - vde_stackspawn_resolv(stack, argv, resolv, hosts) with the
 * program's output in out (resolved NULL: plain vde_stackspawn).
 * Return: its wait status. */
static int spawn_out(struct vdestack *stack, char *const argv[], bool with,
		     const char *resolv, char *out, size_t size)
{
	int p[2], saved = dup(1), pd, status;

	IT_CHECK(saved >= 0 && pipe2(p, O_CLOEXEC) == 0);
	IT_CHECK(dup2(p[1], 1) == 1);
	pd = with ? vde_stackspawn_resolv(stack, argv, NULL, resolv, NULL)
		  : vde_stackspawn(stack, argv, NULL);
	IT_CHECK(dup2(saved, 1) == 1);
	close(saved);
	close(p[1]);
	IT_CHECKF(pd >= 0, "spawn %s: %s", argv[0], strerror(errno));
	read_all(p[0], out, size);
	close(p[0]);
	IT_CHECK(vde_stackwait(pd, &status) == 0);
	close(pd);
	return status;
}

/* check_resolved - out (getent's) names TEST_NAME's address and status
 * is a success. */
static void check_resolved(int status, const char *out)
{
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "getent failed (status %#x): %s", status, out);
	IT_CHECKF(strstr(out, TEST_A) || strstr(out, TEST_AAAA),
		  "getent printed no address of %s: %s", TEST_NAME, out);
}

/* The host's resolver for the test: 127.0.0.53, as systemd-resolved. */
#define HOST_RESOLV "nameserver 127.0.0.53\noptions timeout:1 attempts:2\n"

/* ------------------------------------------------------------------ */
/* dns=host                                                             */
/* ------------------------------------------------------------------ */

/* dns=host: a mem:// stack's DNS to the host's loopback resolver reaches
 * it over UDP and TCP, where before the call nothing answered there. */
static void test_dns_host_reaches_a_loopback_resolver_from_a_mem_stack(void)
{
	struct vdestack *s;
	pid_t r;

	enter_test_host();
	r = start_responder("127.0.0.53");
	bind_resolv_conf(HOST_RESOLV);
	s = it_addstack("mem://it-dns-host", NULL);
	check_no_udp_dns(s, "127.0.0.53");
	it_stackconf_ok(s, "eth,dns=host");
	check_queries(s, "127.0.0.53");
	IT_CHECKF(strstr(it_resolv(s), "nameserver 127.0.0.53\n"),
		  "vde_stackresolv: %s", it_resolv(s));
	vde_delstack(s);
	stop_responder(r);
}

/* dns=host on a stack without a network: its lo reaches the host's
 * resolver too. */
static void test_dns_host_works_in_a_stack_without_network(void)
{
	struct vdestack *s;
	pid_t r;

	enter_test_host();
	r = start_responder("127.0.0.53");
	bind_resolv_conf(HOST_RESOLV);
	s = it_addstack("", NULL);
	it_stackconf_ok(s, "dns=host");
	check_queries(s, "127.0.0.53");
	vde_delstack(s);
	stop_responder(r);
}

/* dns=host with the host's resolver on ::1. */
static void test_dns_host_reaches_an_ipv6_loopback_resolver(void)
{
	struct vdestack *s;
	pid_t r;

	enter_test_host();
	r = start_responder("::1");
	bind_resolv_conf("nameserver ::1\n");
	s = it_addstack("mem://it-dns-v6", NULL);
	it_stackconf_ok(s, "eth,dns=host");
	check_queries(s, "::1");
	vde_delstack(s);
	stop_responder(r);
}

/* dns=host records the host file's servers and search list (no query is
 * sent to the documentation address: nothing resolves here). */
static void test_dns_host_records_the_host_servers_and_search(void)
{
	struct vdestack *s;

	enter_test_host();
	bind_resolv_conf("# the host's\nnameserver 127.0.0.53\n"
			 "nameserver 192.0.2.7 # another\n"
			 "search a.test b.test\noptions ndots:2\n");
	s = it_addstack("", NULL);
	it_stackconf_ok(s, "dns=host");
	IT_CHECKF(!strcmp(it_resolv(s), "nameserver 127.0.0.53\n"
			  "nameserver 192.0.2.7\nsearch a.test b.test\n"),
		  "vde_stackresolv: %s", it_resolv(s));
	vde_delstack(s);
}

/* A second dns=host reads the host's file again: the forward of a server
 * that is gone is removed, a new one added. */
static void test_dns_host_called_again_rereads_the_host_file(void)
{
	struct vdestack *s;
	pid_t r4, r6;

	enter_test_host();
	r4 = start_responder("127.0.0.53");
	r6 = start_responder("::1");
	bind_resolv_conf(HOST_RESOLV);
	s = it_addstack("", NULL);
	it_stackconf_ok(s, "dns=host");
	check_queries(s, "127.0.0.53");
	bind_resolv_conf("nameserver ::1\n");
	it_stackconf_ok(s, "dns=host");
	check_no_udp_dns(s, "127.0.0.53");
	check_queries(s, "::1");
	IT_CHECKF(!strcmp(it_resolv(s), "nameserver ::1\n"),
		  "vde_stackresolv: %s", it_resolv(s));
	vde_delstack(s);
	stop_responder(r6);
	stop_responder(r4);
}

/* The forwards of dns=host go with the stack: nothing stays behind. */
static void test_dns_host_leaves_nothing_after_the_stack(void)
{
	struct it_counts before;
	struct vdestack *s;
	pid_t r;

	enter_test_host();
	r = start_responder("127.0.0.53");
	bind_resolv_conf(HOST_RESOLV);
	for (int i = 0; i < 3; i++) {
		if (i == 1)
			before = it_take_counts(); /* after a warm-up */
		s = it_addstack("mem://it-dns-leak", NULL);
		it_stackconf_ok(s, "eth,dns=host");
		check_queries(s, "127.0.0.53");
		vde_delstack(s);
	}
	it_check_counts(&before, "stacks with dns=host");
	stop_responder(r);
}

/* Malformed dns= values are EINVAL and change nothing. */
static void test_dns_malformed_values_are_einval(void)
{
	static const char *const bad[] = {
		"dns=", "dns=hostx", "dns=HOST", "dns=host:53", "dns=1.2.3",
		"dns=::1/128", "dns=10.0.0.1/24", "dns=999.0.0.1",
		"dns=host,dns=", "dns=[::1]", "dns=localhost",
	};
	struct vdestack *s;

	it_require_stacks();
	s = it_addstack("", NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		IT_CHECKF(vde_stackconf(s, bad[i]) == -1 && errno == EINVAL,
			  "vde_stackconf(%s): %s", bad[i], strerror(errno));
	}
	IT_CHECK(vde_stackresolv(s, NULL, 0) == 0);
	vde_delstack(s);
}

/* ------------------------------------------------------------------ */
/* The vdestack command and vde_stackspawn_resolv                       */
/* ------------------------------------------------------------------ */

/* getent through vdestack on mem:// with dns=host. */
static void test_vdestack_getent_on_mem_with_dns_host(void)
{
	char *argv[] = { (char *)vdestack_bin(), "-c", "eth,dns=host",
			 "mem://it-dns-cmd", "--", "/usr/bin/getent", "hosts",
			 TEST_NAME, NULL };
	char out[4096];
	pid_t r;

	enter_test_host();
	r = start_responder("127.0.0.53");
	bind_resolv_conf(HOST_RESOLV);
	check_resolved(run_out(argv, out, sizeof(out)), out);
	stop_responder(r);
}

/* DNS over TCP only (options use-vc) through vdestack and dns=host. */
static void test_vdestack_tcp_dns_with_dns_host(void)
{
	/* hosts, not ahosts: getaddrinfo's AI_ADDRCONFIG counts no
	 * loopback address, and this stack has nothing else */
	char *argv[] = { (char *)vdestack_bin(), "-c", "dns=host", "", "--",
			 "/usr/bin/getent", "hosts", TEST_NAME, NULL };
	char out[4096];
	pid_t r;

	enter_test_host();
	r = start_responder("127.0.0.53");
	bind_resolv_conf("nameserver 127.0.0.53\n"
			 "options use-vc timeout:1 attempts:2\n");
	check_resolved(run_out(argv, out, sizeof(out)), out);
	stop_responder(r);
}

/* getent through vdestack on slirp:// with no option: libslirp's proxy
 * 10.0.2.3 (learned by DHCP, in the program's resolv.conf) forwards to
 * the host's resolver. */
static void test_vdestack_getent_on_slirp_with_no_option(void)
{
	char *argv[] = { (char *)vdestack_bin(), "slirp://", "--",
			 "/usr/bin/getent", "hosts", TEST_NAME, NULL };
	char *cat[] = { (char *)vdestack_bin(), "slirp://", "--", "/bin/cat",
			"/etc/resolv.conf", NULL };
	struct vdestack *probe;
	char out[4096];
	pid_t r;

	enter_test_host();
	probe = vde_addstack("slirp://", NULL);
	if (!probe && errno == EPROTONOSUPPORT)
		it_skip("no slirp:// in this build");
	IT_CHECK(probe);
	vde_delstack(probe);
	r = start_responder("127.0.0.53");
	bind_resolv_conf(HOST_RESOLV);
	IT_CHECK(run_out(cat, out, sizeof(out)) == 0);
	IT_CHECKF(strstr(out, "nameserver 10.0.2.3"), "resolv.conf: %s", out);
	check_resolved(run_out(argv, out, sizeof(out)), out);
	stop_responder(r);
}

/* An application's own resolution with a default stack after dns=host:
 * a query over socket(2) (which the default stack takes) reaches the
 * host's resolver through the forward, where before it reached the
 * stack's empty lo; getaddrinfo() resolves too (glibc's resolver makes
 * its sockets with its own internal socket call, on the host). */
static void test_app_resolves_with_the_default_stack_after_dns_host(void)
{
	char got[INET6_ADDRSTRLEN];
	struct vdestack *s;
	pid_t r;

	enter_test_host();
	r = start_responder("127.0.0.53");
	bind_resolv_conf(HOST_RESOLV);
	s = it_addstack("", NULL);
	vde_default_stack(s);
	check_no_udp_dns(NULL, "127.0.0.53");
	it_stackconf_ok(s, "dns=host");
	check_queries(NULL, "127.0.0.53");
	IT_CHECKF(resolve(TEST_NAME, AF_INET, got, sizeof(got)) &&
		  !strcmp(got, TEST_A), "getaddrinfo(%s)", TEST_NAME);
	vde_default_stack(NULL);
	vde_delstack(s);
	stop_responder(r);
}

/* A stack whose DNS server is given with dns=: a responder in a second
 * stack on the same mem:// segment.  Its program sees a resolv.conf
 * naming that server (vde_stackspawn_resolv), where plain
 * vde_stackspawn's sees the host's, whose server does not answer. */
static void test_spawn_resolv_names_a_server_given_with_dns(void)
{
	char *argv[] = { "/usr/bin/getent", "ahostsv4", TEST_NAME, NULL };
	char *cat[] = { "/bin/cat", "/etc/resolv.conf", NULL };
	char *links[] = { "/usr/bin/stat", "-L", "-c", "%h", "/etc/resolv.conf",
			  NULL };
	struct vdestack *srv, *cli;
	char out[4096];
	pid_t r;
	int status;

	enter_test_host();
	bind_resolv_conf(HOST_RESOLV); /* no responder on the host */
	srv = it_addstack("mem://it-dns-seg", NULL);
	cli = it_addstack("mem://it-dns-seg", NULL);
	it_stackconf_ok(srv, "ip=10.53.0.2/24");
	it_stackconf_ok(cli, "ip=10.53.0.1/24,dns=10.53.0.2");
	r = serve_fds(open_socket(srv, "10.53.0.2", SOCK_DGRAM),
		      open_socket(srv, "10.53.0.2", SOCK_STREAM));
	status = spawn_out(cli, cat, true, NULL, out, sizeof(out));
	IT_CHECKF(status == 0 && !strcmp(out, "nameserver 10.53.0.2\n"),
		  "the program's resolv.conf: %s", out);
	check_resolved(spawn_out(cli, argv, true, NULL, out, sizeof(out)),
		       out);
	/* the program's file has a name (a program may bind over it in
	 * turn), and no file of it is on the host */
	status = spawn_out(cli, links, true, NULL, out, sizeof(out));
	IT_CHECKF(status == 0 && !strcmp(out, "1\n"),
		  "links of the program's resolv.conf: %s", out);
	IT_CHECK(!it_exists("/tmp/vdestack-0"));
	status = spawn_out(cli, argv, false, NULL, out, sizeof(out));
	IT_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		  "getent with the host's resolv.conf: status %#x, %s",
		  status, out);
	/* "" leaves the host's file */
	status = spawn_out(cli, cat, true, "", out, sizeof(out));
	IT_CHECKF(status == 0 && strstr(out, "nameserver 127.0.0.53"),
		  "resolv \"\": %s", out);
	vde_delstack(cli);
	vde_delstack(srv);
	stop_responder(r);
}

/* vdestack --dns, --resolv and --hosts: what the program's files say. */
static void test_vdestack_dns_resolv_and_hosts_options(void)
{
	char hosts[] = "/tmp/it-dns-hosts-XXXXXX";
	char *dns[] = { (char *)vdestack_bin(), "--dns", "192.0.2.1", "--dns",
			"2001:db8::1", "", "--", "/bin/cat", "/etc/resolv.conf",
			NULL };
	char *res[] = { (char *)vdestack_bin(), "--resolv", hosts, "", "--",
			"/bin/cat", "/etc/resolv.conf", NULL };
	char *hst[] = { (char *)vdestack_bin(), "--hosts", hosts, "", "--",
			"/usr/bin/getent", "hosts", "pinned.test", NULL };
	char *bad[] = { (char *)vdestack_bin(), "--dns", "nonsense", "", "--",
			"/bin/true", NULL };
	const char *text = "198.51.100.77 pinned.test\n";
	char out[4096];
	int fd;

	enter_test_host();
	bind_resolv_conf(HOST_RESOLV);
	IT_CHECK(run_out(dns, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, "nameserver 192.0.2.1\n"
			  "nameserver 2001:db8::1\n"), "--dns: %s", out);
	fd = mkstemp(hosts);
	IT_CHECK(fd >= 0 && write(fd, text, strlen(text)) ==
		 (ssize_t)strlen(text));
	close(fd);
	IT_CHECK(run_out(res, out, sizeof(out)) == 0);
	IT_CHECKF(!strcmp(out, text), "--resolv: %s", out);
	IT_CHECK(run_out(hst, out, sizeof(out)) == 0);
	IT_CHECKF(strstr(out, "198.51.100.77"), "--hosts: %s", out);
	unlink(hosts);
	IT_CHECK(WEXITSTATUS(run_out(res, out, sizeof(out))) == 125);
	IT_CHECK(WEXITSTATUS(run_out(bad, out, sizeof(out))) == 125);
	/* an /etc/resolv.conf that cannot be covered (a bind of a removed
	 * file): the command is not started, and says so */
	IT_CHECK(unlink(bound[0]) == 0);
	bound[0][0] = '\0';
	dns[7] = "/bin/true";
	dns[8] = NULL;
	IT_CHECK(WEXITSTATUS(run_out(dns, out, sizeof(out))) == 125);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(harness_resolver_answers_over_udp),
	T(harness_resolver_answers_over_tcp),
	T(harness_resolver_answers_on_ipv6_loopback),
	T(dns_host_reaches_a_loopback_resolver_from_a_mem_stack),
	T(dns_host_works_in_a_stack_without_network),
	T(dns_host_reaches_an_ipv6_loopback_resolver),
	T(dns_host_records_the_host_servers_and_search),
	T(dns_host_called_again_rereads_the_host_file),
	T(dns_host_leaves_nothing_after_the_stack),
	T(dns_malformed_values_are_einval),
	T(vdestack_getent_on_mem_with_dns_host),
	T(vdestack_tcp_dns_with_dns_host),
	T(vdestack_getent_on_slirp_with_no_option),
	T(app_resolves_with_the_default_stack_after_dns_host),
	T(spawn_resolv_names_a_server_given_with_dns),
	T(vdestack_dns_resolv_and_hosts_options),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
