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

	it_require_stacks();
	if (uid != 0) {
		IT_CHECKF(unshare(CLONE_NEWUSER | CLONE_NEWNET |
				  CLONE_NEWNS) == 0, "unshare");
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
}

/* bind_resolv_conf - bind a file holding text over /etc/resolv.conf (in
 * the test's own mount namespace only). */
static void bind_resolv_conf(const char *text)
{
	char path[] = "/tmp/it-dns-resolv-XXXXXX";
	int fd = mkstemp(path);

	IT_CHECK(fd >= 0);
	IT_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	IT_CHECKF(mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0,
		  "bind %s over /etc/resolv.conf", path);
	/* The mount holds the file; its name is no longer needed. */
	unlink(path);
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

/* open_socket - a socket of type bound to addr (text), port 53.
 * Return: the descriptor; fails the test on error. */
static int open_socket(const char *addr, int type)
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
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	IT_CHECKF(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s", addr);
	if (type == SOCK_STREAM)
		IT_CHECK(listen(fd, 8) == 0);
	return fd;
}

/* start_responder - fork the test's resolver on addr (UDP and TCP, port
 * 53); it dies with the test, or after RESPONDER_LIFE_MS.
 * Return: its pid. */
static pid_t start_responder(const char *addr)
{
	struct pollfd p[2] = {
		{ .fd = open_socket(addr, SOCK_DGRAM), .events = POLLIN },
		{ .fd = open_socket(addr, SOCK_STREAM), .events = POLLIN },
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

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(harness_resolver_answers_over_udp),
	T(harness_resolver_answers_over_tcp),
	T(harness_resolver_answers_on_ipv6_loopback),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
