/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_slirp.c - the slirp:// backend: NAT to servers the test runs on the
 * host's loopback (reached at 10.0.2.2 / fd00::2), forwards from the URL,
 * disable_host_loopback, restricted, the options, the interface MTU,
 * cmdfwd=/unixfwd=, DHCP, and the DNS proxy against a resolver the test runs
 * itself in namespaces of its own.  The options end to end: each URL's
 * stack is configured by vde_stackconf ("eth,dhcp", "rd") and looked at
 * from inside (ip(8), vde_stackresolv, TCP_MAXSEG), and TCP through its
 * gateway reaches the host's loopback; what the stack's DHCP client does
 * not apply (host name, boot file) is read from a raw offer.  No traffic
 * leaves 127.0.0.1/::1 or the test's namespaces. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dhcpd_test.h"
#include "test_fwd_util.h"

#define BYTES (16u << 20)

/* slirp_stack - a configured slirp stack on url.  Return: it. */
static struct vdestack *slirp_stack(const char *url)
{
	struct vdestack *s;

	it_require_network();
	s = it_addstack(url, NULL);
	fu_slirp_config(s);
	return s;
}

/* nat_exchange - a server on the host's host_ip, a client in s connecting
 * to nat_ip (the slirp host address), a checked exchange. */
static void nat_exchange(struct vdestack *s, const char *host_ip,
			 const char *nat_ip, size_t bytes, uint64_t seed)
{
	uint16_t port;
	int lfd = fu_bound_any(SOCK_STREAM, host_ip, &port), fd;
	struct fu_server *srv = fu_server_start(lfd, bytes, seed);

	fd = fu_connect(s, SOCK_STREAM, nat_ip, port, 30000);
	IT_CHECKF(fd >= 0, "connect from the stack to %s:%u: %s", nat_ip,
		  port, strerror(-fd));
	fu_client_exchange(fd, bytes, seed);
	fu_server_join(srv);
	close(lfd);
}

/* test_slirp_stack_reaches_a_host_tcp_server_through_the_nat - IPv4 and
 * IPv6, data checked both ways; no descriptor left after delstack. */
static void test_slirp_stack_reaches_a_host_tcp_server_through_the_nat(void)
{
	struct vdestack *s;
	int fds0;

	it_require_network();
	s = it_addstack("slirp://", NULL); /* warm-up: the helper */
	vde_delstack(s);
	fds0 = it_count_fds();
	s = slirp_stack("slirp://");
	nat_exchange(s, "127.0.0.1", "10.0.2.2", BYTES, 1);
	nat_exchange(s, "::1", "fd00::2", BYTES / 4, 2);
	vde_delstack(s);
	IT_CHECKF(it_count_fds() == fds0, "fds: %d, before: %d",
		  it_count_fds(), fds0);
}

/* test_slirp_stack_exchanges_udp_with_a_host_server - datagrams to an
 * echo server on the host, IPv4 and IPv6, checked. */
static void test_slirp_stack_exchanges_udp_with_a_host_server(void)
{
	static const char *const host[] = { "127.0.0.1", "::1" };
	static const char *const nat[] = { "10.0.2.2", "fd00::2" };
	struct vdestack *s = slirp_stack("slirp://");

	for (int i = 0; i < 2; i++) {
		uint16_t port;
		struct fu_echo *e = fu_echo_start(fu_bound_any(SOCK_DGRAM,
							       host[i], &port));
		int fd = fu_connect(s, SOCK_DGRAM, nat[i], port, 1000);

		IT_CHECK(fd >= 0);
		fu_udp_roundtrips(fd, 200, 8000);
		fu_udp_roundtrips(fd, 5, 60000);
		close(fd);
		fu_echo_stop(e);
	}
	vde_delstack(s);
}

/* test_slirp_interface_mtu_is_65520_unless_mtu_says_otherwise - and a
 * NAT exchange still works at 1500. */
static void test_slirp_interface_mtu_is_65520_unless_mtu_says_otherwise(void)
{
	struct vdestack *s = slirp_stack("slirp://");
	char out[4096];

	IT_CHECK(it_stackcmd_capture(s, "/bin/ip link show vde0", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(strstr(out, " mtu 65520 "), "%s", out);
	vde_delstack(s);
	s = slirp_stack("slirp:///mtu=1500");
	IT_CHECK(it_stackcmd_capture(s, "/bin/ip link show vde0", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(strstr(out, " mtu 1500 "), "%s", out);
	nat_exchange(s, "127.0.0.1", "10.0.2.2", BYTES / 4, 4);
	nat_exchange(s, "::1", "fd00::2", BYTES / 8, 5);
	vde_delstack(s);
}

/* test_slirp_url_forwards_serve_as_soon_as_addstack_returns - tcpfwd=
 * (IPv4 and IPv6) and udpfwd= of the URL: bound when vde_addstack
 * returns, and working once the stack has its addresses. */
static void test_slirp_url_forwards_serve_as_soon_as_addstack_returns(void)
{
	uint16_t p1 = fu_free_port(SOCK_STREAM, "127.0.0.1");
	uint16_t p2 = fu_free_port(SOCK_STREAM, "::1");
	uint16_t p3 = fu_free_port(SOCK_DGRAM, "127.0.0.1");
	struct vdestack *s;
	struct fu_server *srv;
	struct fu_echo *e;
	char url[300];
	int lfd, fd;

	it_require_network();
	snprintf(url, sizeof(url), "slirp:///tcpfwd=127.0.0.1:%u:10.0.2.15:80"
		 ",[::1]:%u:[fd00::15]:81/udpfwd=127.0.0.1:%u:10.0.2.15:53",
		 p1, p2, p3);
	s = it_addstack(url, NULL);
	IT_CHECK(!fu_port_is_free(SOCK_STREAM, "127.0.0.1", p1));
	IT_CHECK(!fu_port_is_free(SOCK_STREAM, "::1", p2));
	IT_CHECK(!fu_port_is_free(SOCK_DGRAM, "127.0.0.1", p3));
	fu_slirp_config(s);

	lfd = fu_bound(s, SOCK_STREAM, "10.0.2.15", 80);
	srv = fu_server_start(lfd, BYTES, 5);
	fd = fu_connect(NULL, SOCK_STREAM, "127.0.0.1", p1, 10000);
	IT_CHECK(fd >= 0);
	fu_client_exchange(fd, BYTES, 5);
	fu_server_join(srv);
	close(lfd);

	lfd = fu_bound(s, SOCK_STREAM, "fd00::15", 81);
	srv = fu_server_start(lfd, BYTES / 4, 6);
	fd = fu_connect(NULL, SOCK_STREAM, "::1", p2, 10000);
	IT_CHECK(fd >= 0);
	fu_client_exchange(fd, BYTES / 4, 6);
	fu_server_join(srv);
	close(lfd);

	e = fu_echo_start(fu_bound(s, SOCK_DGRAM, "10.0.2.15", 53));
	fd = fu_connect(NULL, SOCK_DGRAM, "127.0.0.1", p3, 1000);
	IT_CHECK(fd >= 0);
	fu_udp_roundtrips(fd, 100, 4000);
	close(fd);
	fu_echo_stop(e);

	/* URL forwards are removed like the others, and by delstack */
	snprintf(url, sizeof(url), "tcp:127.0.0.1:%u", p1);
	IT_CHECK(vde_stackunfwd(s, url) == 0);
	IT_CHECK(fu_port_is_free(SOCK_STREAM, "127.0.0.1", p1));
	vde_delstack(s);
	IT_CHECK(fu_port_is_free(SOCK_STREAM, "::1", p2));
	IT_CHECK(fu_port_is_free(SOCK_DGRAM, "127.0.0.1", p3));
}

/* test_slirp_url_forward_on_a_busy_port_fails_with_eaddrinuse */
static void test_slirp_url_forward_on_a_busy_port_fails_with_eaddrinuse(void)
{
	uint16_t port;
	int busy = fu_bound_any(SOCK_STREAM, "127.0.0.1", &port);
	char url[200];

	it_require_network();
	snprintf(url, sizeof(url), "slirp:///tcpfwd=127.0.0.1:%u:10.0.2.15:80",
		 port);
	IT_CHECK_ERRNO(vde_addstack(url, NULL) == NULL, EADDRINUSE);
	close(busy);
}

/* test_slirp_run_time_forward_is_added_and_removed - vde_stackfwd on a
 * live slirp stack, IPv4 and IPv6. */
static void test_slirp_run_time_forward_is_added_and_removed(void)
{
	static const char *const host[] = { "127.0.0.1", "::1" };
	static const char *const guest[] = { "10.0.2.15", "fd00::15" };
	struct vdestack *s = slirp_stack("slirp://");

	for (int i = 0; i < 2; i++) {
		uint16_t hp = fu_free_port(SOCK_STREAM, host[i]);
		int lfd = fu_bound(s, SOCK_STREAM, guest[i], 8000), fd;
		struct fu_server *srv = fu_server_start(lfd, BYTES / 2, 7);
		char spec[200];

		snprintf(spec, sizeof(spec), i ? "tcp:[%s]:%u:[%s]:8000" :
			 "tcp:%s:%u:%s:8000", host[i], hp, guest[i]);
		IT_CHECKF(vde_stackfwd(s, spec) == 0, "%s", spec);
		fd = fu_connect(NULL, SOCK_STREAM, host[i], hp, 10000);
		IT_CHECK(fd >= 0);
		fu_client_exchange(fd, BYTES / 2, 7);
		fu_server_join(srv);
		close(lfd);
		IT_CHECK(vde_stackunfwd(s, spec) == 0);
		IT_CHECK(fu_port_is_free(SOCK_STREAM, host[i], hp));
		IT_CHECK_ERRNO(vde_stackunfwd(s, spec) < 0, ENOENT);
	}
	vde_delstack(s);
}

/* refused - a stack in s must not reach host servers through the NAT:
 * TCP fails, UDP gets no answer, the servers see nothing. */
static void refused(struct vdestack *s)
{
	uint16_t tport, uport;
	int lfd = fu_bound_any(SOCK_STREAM, "127.0.0.1", &tport);
	struct fu_echo *e = fu_echo_start(fu_bound_any(SOCK_DGRAM, "127.0.0.1",
						       &uport));
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	fd = fu_connect(s, SOCK_STREAM, "10.0.2.2", tport, 2000);
	IT_CHECKF(fd < 0, "the stack reached the host's TCP server");
	fd = fu_connect(s, SOCK_DGRAM, "10.0.2.2", uport, 1000);
	IT_CHECK(fd >= 0);
	IT_CHECK(send(fd, "ping", 4, 0) == 4);
	IT_CHECK(!fu_udp_any_reply(fd, 1000));
	close(fd);
	IT_CHECK(poll(&p, 1, 0) == 0);
	IT_CHECK(fu_echo_count(e) == 0);
	fu_echo_stop(e);
	close(lfd);
}

/* test_slirp_disable_host_loopback_refuses_the_host - without the
 * rewrite of 10.0.2.2 to the host's loopback, libslirp would send the
 * connection to 10.0.2.2 out by the host's routes: the test first moves
 * itself into a network namespace with only lo, so nothing leaves. */
static void test_slirp_disable_host_loopback_refuses_the_host(void)
{
	struct vdestack *s;

	it_isolate_host_network();
	s = slirp_stack("slirp:///disable_host_loopback");

	refused(s);
	vde_delstack(s);
}

/* test_slirp_restricted_refuses_outbound_but_serves_forwards - libslirp's
 * restricted mode drops every connection the stack opens (TCP gets a
 * reset, UDP nothing), while forwards into the stack still work. */
static void test_slirp_restricted_refuses_outbound_but_serves_forwards(void)
{
	uint16_t hp = fu_free_port(SOCK_STREAM, "127.0.0.1");
	struct vdestack *s;
	struct fu_server *srv;
	char url[200];
	int lfd, fd;

	snprintf(url, sizeof(url),
		 "slirp:///restricted/tcpfwd=127.0.0.1:%u:10.0.2.15:80", hp);
	s = slirp_stack(url);
	refused(s);
	lfd = fu_bound(s, SOCK_STREAM, "10.0.2.15", 80);
	srv = fu_server_start(lfd, 1u << 20, 8);
	fd = fu_connect(NULL, SOCK_STREAM, "127.0.0.1", hp, 10000);
	IT_CHECK(fd >= 0);
	fu_client_exchange(fd, 1u << 20, 8);
	fu_server_join(srv);
	close(lfd);
	vde_delstack(s);
}

/* test_slirp_malformed_url_fails_with_einval - through vde_addstack (the
 * parser's own table is in the unit tests). */
static void test_slirp_malformed_url_fails_with_einval(void)
{
	static const char *const bad[] = {
		"slirp:///nosuchoption", "slirp:///v4=1", "slirp:///mtu=65522",
		"slirp:///mtu=10", "slirp:///addr=10.0.2", "slirp:///tcpfwd=1:2",
		"slirp:///udpfwd=127.0.0.1:0:10.0.2.15:53",
		"slirp:///tcpfwd=[::1]:8080:fd00::15:80", "slirp://path/v4",
		"slirp:///'v4", "slirp:///hostname=",
	};

	it_require_stacks();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		IT_CHECK_ERRNO(vde_addstack((char *)bad[i], NULL) == NULL,
			       EINVAL);
}

/* test_slirp_cmdfwd_connects_the_stack_to_a_command - a connection to
 * 10.0.2.5:7000 in the stack talks to cat(1) on the host. */
static void test_slirp_cmdfwd_connects_the_stack_to_a_command(void)
{
	struct vdestack *s;
	char buf[32];
	int fd;

	it_require_program("cat");
	s = slirp_stack("slirp:///cmdfwd=10.0.2.5:7000:cat");
	fd = fu_connect(s, SOCK_STREAM, "10.0.2.5", 7000, 30000);
	IT_CHECKF(fd >= 0, "connect to the command: %s", strerror(-fd));
	{
		struct timeval tv = { .tv_sec = 60 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	IT_CHECK(send(fd, "echo me", 7, 0) == 7);
	for (size_t got = 0; got < 7;) {
		/* libslirp forks to start the command: SIGCHLD may come */
		ssize_t n = recv(fd, buf + got, 7 - got, 0);

		IT_CHECK(n > 0 || (n < 0 && errno == EINTR));
		got += n > 0 ? (size_t)n : 0;
	}
	IT_CHECK(!memcmp(buf, "echo me", 7));
	close(fd);
	vde_delstack(s);
}

/* Arguments of the PF_UNIX server of the unixfwd test. */
struct unix_srv {
	int lfd;
	bool ok;
};

/* unix_server - accept one connection, answer "ping" with "pong". */
static void *unix_server(void *arg)
{
	struct unix_srv *u = arg;
	struct pollfd p = { .fd = u->lfd, .events = POLLIN };
	char buf[4];
	int c;

	if (poll(&p, 1, 60000) <= 0)
		return NULL;
	c = accept(u->lfd, NULL, NULL);
	if (c < 0)
		return NULL;
	if (recv(c, buf, 4, MSG_WAITALL) == 4 && !memcmp(buf, "ping", 4))
		u->ok = send(c, "pong", 4, 0) == 4;
	close(c);
	return NULL;
}

/* test_slirp_unixfwd_connects_the_stack_to_a_unix_socket - 10.0.2.6:7001
 * in the stack reaches a PF_UNIX server of the test. */
static void test_slirp_unixfwd_connects_the_stack_to_a_unix_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct unix_srv u = { 0 };
	struct vdestack *s;
	pthread_t th;
	char url[400], buf[4];
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/x11", it_tmpdir());
	u.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(u.lfd >= 0);
	IT_CHECK(bind(u.lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	IT_CHECK(listen(u.lfd, 4) == 0);
	IT_CHECK(pthread_create(&th, NULL, unix_server, &u) == 0);
	snprintf(url, sizeof(url), "slirp:///unixfwd='10.0.2.6:7001:%s'",
		 sun.sun_path);
	s = slirp_stack(url);
	fd = fu_connect(s, SOCK_STREAM, "10.0.2.6", 7001, 30000);
	IT_CHECKF(fd >= 0, "connect to the unix forward: %s", strerror(-fd));
	{
		struct timeval tv = { .tv_sec = 60 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	IT_CHECK(send(fd, "ping", 4, 0) == 4);
	IT_CHECK(recv(fd, buf, 4, MSG_WAITALL) == 4);
	IT_CHECK(!memcmp(buf, "pong", 4));
	pthread_join(th, NULL);
	IT_CHECK(u.ok);
	close(fd);
	close(u.lfd);
	vde_delstack(s);
}

/* ------------------------------------------------------------------ */
/* DHCP                                                                 */
/* ------------------------------------------------------------------ */

/* parse_mac - the link address of "link/ether xx:xx:..." in text.
 * Return: true when found. */
static bool parse_mac(const char *text, unsigned char mac[6])
{
	const char *p = strstr(text, "link/ether ");

	return p && sscanf(p + 11, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0],
			   &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6;
}

/* raw_offer - a DHCPDISCOVER sent from s as a raw BOOTP request on UDP
 * port 68 (vde0 first gets 10.0.2.200/24, outside the DHCP range, so that
 * the offer's broadcast passes the source check), repeated until libslirp
 * answers or 20 tries.  Return: the offer's length in rep (size bytes),
 * or 0 when none came. */
static size_t raw_offer(struct vdestack *s, unsigned char *rep, size_t size)
{
	unsigned char req[300] = { 0 }, mac[6];
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(67),
				  .sin_addr = { htonl(INADDR_BROADCAST) } };
	struct sockaddr_in me = { .sin_family = AF_INET,
				  .sin_port = htons(68) };
	char out[4096];
	size_t got = 0;
	int fd, one = 1;

	it_stackcmd_ok(s, "/bin/ip link set vde0 up; "
			  "/bin/ip addr add 10.0.2.200/24 dev vde0");
	IT_CHECK(it_stackcmd_capture(s, "/bin/ip link show vde0", false, out,
				     sizeof(out)) == 0);
	IT_CHECKF(parse_mac(out, mac), "%s", out);
	fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK(setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one,
			    sizeof(one)) == 0);
	IT_CHECK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "vde0", 5) == 0);
	IT_CHECK(bind(fd, (struct sockaddr *)&me, sizeof(me)) == 0);
	req[0] = 1;                   /* BOOTREQUEST */
	req[1] = 1;                   /* Ethernet */
	req[2] = 6;
	memcpy(req + 4, "\x12\x34\x56\x78", 4); /* xid */
	req[10] = 0x80;               /* broadcast reply */
	memcpy(req + 28, mac, 6);     /* chaddr */
	memcpy(req + 236, td_cookie, 4);
	memcpy(req + 240, "\x35\x01\x01\xff", 4); /* DISCOVER, end */
	for (int tries = 0; tries < 20 && !got; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		IT_CHECK(sendto(fd, req, sizeof(req), 0,
				(struct sockaddr *)&to, sizeof(to)) ==
			 (ssize_t)sizeof(req));
		while (!got && poll(&p, 1, 1000) > 0) {
			ssize_t n = recv(fd, rep, size, 0);

			if (n >= 240 && rep[0] == 2 &&
			    !memcmp(rep + 4, req + 4, 4) &&
			    !memcmp(rep + 236, td_cookie, 4))
				got = (size_t)n;
		}
	}
	close(fd);
	return got;
}

/* test_slirp_dhcp_server_offers_the_first_address - a DHCPDISCOVER sent
 * from the stack gets an offer of 10.0.2.15 with router 10.0.2.2 and DNS
 * 10.0.2.3 (a raw BOOTP exchange on UDP port 68). */
static void test_slirp_dhcp_server_offers_the_first_address(void)
{
	unsigned char rep[1500];
	const unsigned char *o;
	struct vdestack *s;
	char yi[INET_ADDRSTRLEN];
	size_t n, olen;

	it_require_network();
	s = it_addstack("slirp://", NULL);
	n = raw_offer(s, rep, sizeof(rep));
	IT_CHECKF(n, "no DHCP offer");
	inet_ntop(AF_INET, rep + 16, yi, sizeof(yi));
	IT_CHECKF(!strcmp(yi, "10.0.2.15"), "offered %s", yi);
	o = td_option(rep + 240, n - 240, 53, &olen);
	IT_CHECK(o && olen == 1 && o[0] == 2); /* OFFER */
	o = td_option(rep + 240, n - 240, 3, &olen);
	IT_CHECK(o && olen >= 4 && !memcmp(o, "\x0a\x00\x02\x02", 4));
	o = td_option(rep + 240, n - 240, 6, &olen);
	IT_CHECK(o && olen >= 4 && !memcmp(o, "\x0a\x00\x02\x03", 4));
	vde_delstack(s);
}

/* offer_on - libslirp's DHCP offer to a new stack on url (raw_offer),
 * checked to come.  Return: its length in rep (size bytes). */
static size_t offer_on(const char *url, unsigned char *rep, size_t size)
{
	struct vdestack *s;
	size_t n;

	it_require_network();
	s = it_addstack(url, NULL);
	n = raw_offer(s, rep, size);
	IT_CHECKF(n, "no DHCP offer on %s", url);
	vde_delstack(s);
	return n;
}

/* offered_text - option code of the offer rep[0..n) as text in out (size
 * bytes).  Return: true when the offer has it. */
static bool offered_text(const unsigned char *rep, size_t n, unsigned code,
			 char *out, size_t size)
{
	size_t olen;
	const unsigned char *o = td_option(rep + 240, n - 240, code, &olen);

	if (!o || olen >= size)
		return false;
	memcpy(out, o, olen);
	out[olen] = '\0';
	return true;
}

/* test_slirp_hostname_is_the_host_name_option_of_the_dhcp_offer - option
 * 12 of libslirp's offer says hostname= (default "slirp").  Read from the
 * raw offer: vde_stackconf's client does not apply a host name, since a
 * stack shares the application's UTS namespace and has none to set. */
static void test_slirp_hostname_is_the_host_name_option_of_the_dhcp_offer(void)
{
	unsigned char rep[1500];
	size_t n = offer_on("slirp:///hostname=vds-box.test", rep, sizeof(rep));
	char name[64];

	IT_CHECK(offered_text(rep, n, 12, name, sizeof(name)));
	IT_CHECKF(!strcmp(name, "vds-box.test"), "host name %s", name);
	n = offer_on("slirp://", rep, sizeof(rep));
	IT_CHECK(offered_text(rep, n, 12, name, sizeof(name)));
	IT_CHECKF(!strcmp(name, "slirp"), "default host name %s", name);
}

/* test_slirp_bootfile_and_tftp_server_name_are_in_the_dhcp_offer - the
 * BOOTP file field says bootfile=, option 66 tftp_server_name=; neither
 * is there by default. */
static void test_slirp_bootfile_and_tftp_server_name_are_in_the_dhcp_offer(void)
{
	unsigned char rep[1500];
	size_t n = offer_on("slirp:///bootfile=pxelinux.0"
			    "/tftp_server_name=boot.test", rep, sizeof(rep));
	char name[64];

	IT_CHECKF(!strncmp((const char *)rep + 108, "pxelinux.0", 11),
		  "file %.128s", rep + 108);
	IT_CHECK(offered_text(rep, n, 66, name, sizeof(name)));
	IT_CHECKF(!strcmp(name, "boot.test"), "TFTP server %s", name);
	n = offer_on("slirp://", rep, sizeof(rep));
	IT_CHECK(rep[108] == '\0');
	IT_CHECK(!offered_text(rep, n, 66, name, sizeof(name)));
}

/* ------------------------------------------------------------------ */
/* DNS through libslirp's proxy, against the test's own resolver        */
/* ------------------------------------------------------------------ */

#define DNS_NAME "vdestack-test.example"

/* own_namespaces - move this (single-threaded) test process into a user,
 * mount and network namespace of its own, with lo up and a resolv.conf
 * naming 127.0.0.1 and ::1 bind-mounted on /etc/resolv.conf: libslirp,
 * which runs in this process, then asks the test's resolver, and no query
 * can reach the machine's real resolvers. */
static void own_namespaces(void)
{
	char map[64], conf[512];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	snprintf(conf, sizeof(conf), "%s/resolv.conf", it_tmpdir());
	fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	IT_CHECK(fd >= 0);
	IT_CHECK(write(fd, "nameserver 127.0.0.1\nnameserver ::1\n", 36) == 36);
	close(fd);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) < 0)
		it_skip("cannot unshare user, mount and network namespaces: %s",
			strerror(errno));
	IT_CHECK(it_write_file("/proc/self/setgroups", "deny"));
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid, (unsigned)uid);
	IT_CHECK(it_write_file("/proc/self/uid_map", map));
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid, (unsigned)gid);
	IT_CHECK(it_write_file("/proc/self/gid_map", map));
	IT_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	IT_CHECKF(mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0,
		  "bind-mount %s on /etc/resolv.conf", conf);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	IT_CHECK(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
	close(fd);
}

/* The test's resolver: 127.0.0.1:53 and [::1]:53 in its own namespace. */
struct resolver {
	pthread_t thread;
	int fd[2];
	atomic_bool stop;
	atomic_uint queries;
};

/* qname_is - whether the question at q (len bytes left) is name.
 * Return: the question's length (name, type, class) when it matches,
 * 0 otherwise. */
static size_t qname_is(const unsigned char *q, size_t len, const char *name)
{
	size_t i = 0, n = 0;

	while (i < len && q[i]) {
		size_t l = q[i];

		if (i + 1 + l > len)
			return 0;
		if (n && name[n++] != '.')
			return 0;
		if (strncmp((const char *)q + i + 1, name + n, l))
			return 0;
		n += l;
		i += 1 + l;
	}
	if (i + 5 > len || name[n])
		return 0;
	return i + 5;
}

/* resolver_thread - answer A queries for DNS_NAME with 192.0.2.77 (a
 * documentation address, data only), NXDOMAIN for anything else. */
static void *resolver_thread(void *arg)
{
	struct resolver *r = arg;

	while (!atomic_load(&r->stop)) {
		struct pollfd p[2] = { { .fd = r->fd[0], .events = POLLIN },
				       { .fd = r->fd[1], .events = POLLIN } };

		if (poll(p, 2, 100) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			unsigned char b[512];
			struct sockaddr_storage peer;
			socklen_t plen = sizeof(peer);
			ssize_t n;
			size_t ql;

			if (!(p[i].revents & POLLIN))
				continue;
			n = recvfrom(r->fd[i], b, sizeof(b) - 16, 0,
				     (struct sockaddr *)&peer, &plen);
			if (n < 12)
				continue;
			atomic_fetch_add(&r->queries, 1);
			ql = qname_is(b + 12, (size_t)n - 12, DNS_NAME);
			b[2] = 0x81;       /* response, recursion desired */
			b[3] = 0x80;       /* recursion available */
			b[6] = b[7] = 0;   /* answers */
			b[8] = b[9] = b[10] = b[11] = 0;
			if (ql && b[12 + ql - 3] == 1) { /* type A */
				static const unsigned char ans[] = {
					0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60,
					0, 4, 192, 0, 2, 77 };

				b[7] = 1;
				memcpy(b + 12 + ql, ans, sizeof(ans));
				n = (ssize_t)(12 + ql + sizeof(ans));
			} else {
				b[3] |= 3; /* NXDOMAIN */
			}
			sendto(r->fd[i], b, (size_t)n, 0,
			       (struct sockaddr *)&peer, plen);
		}
	}
	return NULL;
}

/* dns_query - ask the stack's DNS proxy at server for name (type A).
 * Return: the first A answer as text in out, or false. */
static bool dns_query(struct vdestack *s, const char *server,
		      const char *name, char *out, size_t size)
{
	unsigned char q[256] = { 0x42, 0x17, 0x01, 0x00, 0, 1 }, a[512];
	size_t len = 12;
	int fd = fu_connect(s, SOCK_DGRAM, server, 53, 1000);

	IT_CHECK(fd >= 0);
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, ".");

		q[len++] = (unsigned char)l;
		memcpy(q + len, p, l);
		len += l;
		p += l + (p[l] == '.');
	}
	q[len++] = 0;
	memcpy(q + len, "\x00\x01\x00\x01", 4);
	len += 4;
	for (int tries = 0; tries < 20; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		IT_CHECK(send(fd, q, len, 0) == (ssize_t)len);
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = recv(fd, a, sizeof(a), 0);
		if (n < 12 || a[0] != 0x42 || a[1] != 0x17)
			continue;
		close(fd);
		if ((a[3] & 0x0f) != 0 || a[7] == 0 || n < (ssize_t)len + 16)
			return false;
		inet_ntop(AF_INET, a + n - 4, out, (socklen_t)size);
		return true;
	}
	close(fd);
	return false;
}

/* test_slirp_dns_proxy_answers_from_the_hosts_resolver - a query to
 * 10.0.2.3 (and fd00::3) is answered by the resolver named in the host's
 * resolv.conf, here the test's own in namespaces of its own. */
static void test_slirp_dns_proxy_answers_from_the_hosts_resolver(void)
{
	struct resolver r = { .fd = { -1, -1 } };
	struct vdestack *s;
	char addr[INET_ADDRSTRLEN];

	own_namespaces(); /* first: unshare needs a single thread */
	it_require_network();
	r.fd[0] = fu_bound(NULL, SOCK_DGRAM, "127.0.0.1", 53);
	r.fd[1] = fu_bound(NULL, SOCK_DGRAM, "::1", 53);
	IT_CHECK(pthread_create(&r.thread, NULL, resolver_thread, &r) == 0);
	s = slirp_stack("slirp://");
	IT_CHECKF(dns_query(s, "10.0.2.3", DNS_NAME, addr, sizeof(addr)),
		  "no answer for %s through 10.0.2.3", DNS_NAME);
	IT_CHECKF(!strcmp(addr, "192.0.2.77"), "answer %s", addr);
	IT_CHECKF(dns_query(s, "fd00::3", DNS_NAME, addr, sizeof(addr)),
		  "no answer for %s through fd00::3", DNS_NAME);
	IT_CHECKF(!strcmp(addr, "192.0.2.77"), "answer %s", addr);
	IT_CHECK(!dns_query(s, "10.0.2.3", "other.example", addr,
			    sizeof(addr)));
	IT_CHECK(atomic_load(&r.queries) >= 3);
	vde_delstack(s);
	atomic_store(&r.stop, true);
	pthread_join(r.thread, NULL);
	close(r.fd[0]);
	close(r.fd[1]);
}

/* ------------------------------------------------------------------ */
/* The options end to end: what a stack sees after vde_stackconf        */
/* ------------------------------------------------------------------ */

/* An address plan: what a stack on url has after vde_stackconf(conf). */
struct plan {
	const char *url;
	const char *conf;  /* NULL: "eth,dhcp" */
	const char *inet;  /* the leased address, as "ip addr" shows it */
	const char *gw;    /* the default route's gateway: libslirp, the host */
	const char *dns;   /* the first DNS server of vde_stackresolv() */
};

/* leased_stack - a stack on p->url configured by vde_stackconf, checked
 * against p from inside it: the address and prefix, the default route,
 * the first DNS server; then TCP to a server on the host's 127.0.0.1
 * through the gateway carries checked data both ways.
 * Return: the stack. */
static struct vdestack *leased_stack(const struct plan *p)
{
	char route[128], ns[128];
	struct vdestack *s;

	it_require_network();
	s = it_addstack(p->url, NULL);
	it_stackconf_ok(s, p->conf ? p->conf : "eth,dhcp");
	IT_CHECK_SHOWS(s, "-4 addr show dev vde0", p->inet);
	snprintf(route, sizeof(route), "default via %s dev vde0", p->gw);
	IT_CHECK_SHOWS(s, "-4 route show default", route);
	snprintf(ns, sizeof(ns), "nameserver %s\n", p->dns);
	IT_CHECKF(!strncmp(it_resolv(s), ns, strlen(ns)), "resolv.conf:\n%s",
		  it_resolv(s));
	nat_exchange(s, "127.0.0.1", p->gw, BYTES / 16, 11);
	return s;
}

/* test_slirp_default_lease_is_10_0_2_15_via_10_0_2_2_with_dns_10_0_2_3 */
static void test_slirp_default_lease_is_10_0_2_15_via_10_0_2_2_with_dns_10_0_2_3(void)
{
	static const struct plan p = {
		"slirp://", NULL, "inet 10.0.2.15/24 ", "10.0.2.2", "10.0.2.3",
	};

	vde_delstack(leased_stack(&p));
}

/* test_slirp_addr_moves_the_lease_gateway_and_dns_into_its_network -
 * addr=10.5.0.1/16: libslirp is 10.5.0.1, the lease and the DNS proxy
 * keep their host part (2.15, 2.3) in 10.5.0.0/16. */
static void test_slirp_addr_moves_the_lease_gateway_and_dns_into_its_network(void)
{
	static const struct plan p = {
		"slirp:///addr='10.5.0.1/16'", NULL, "inet 10.5.2.15/16 ",
		"10.5.0.1", "10.5.2.3",
	};

	vde_delstack(leased_stack(&p));
}

/* test_slirp_host_is_the_gateway_of_a_lease_in_its_network - host=
 * (addr='s other name) 172.20.9.9/26: gateway 172.20.9.9, lease
 * 172.20.9.15/26, DNS 172.20.9.3. */
static void test_slirp_host_is_the_gateway_of_a_lease_in_its_network(void)
{
	static const struct plan p = {
		"slirp:///host='172.20.9.9/26'", NULL, "inet 172.20.9.15/26 ",
		"172.20.9.9", "172.20.9.3",
	};

	vde_delstack(leased_stack(&p));
}

/* test_slirp_dhcp_is_the_first_address_leased_wherever_it_is_given -
 * dhcp=10.7.0.200 before addr=10.7.0.2 in the URL still wins over the
 * start that addr= moves. */
static void test_slirp_dhcp_is_the_first_address_leased_wherever_it_is_given(void)
{
	static const struct plan p = {
		"slirp:///dhcp=10.7.0.200/addr=10.7.0.2", NULL,
		"inet 10.7.0.200/24 ", "10.7.0.2", "10.7.0.3",
	};

	vde_delstack(leased_stack(&p));
}

/* test_slirp_restricted_lease_names_no_router_and_no_dns - libslirp's
 * restricted mode leases an address but gives no way out. */
static void test_slirp_restricted_lease_names_no_router_and_no_dns(void)
{
	struct vdestack *s;

	it_require_network();
	s = it_addstack("slirp:///restricted", NULL);
	it_stackconf_ok(s, "eth,dhcp");
	IT_CHECK_SHOWS(s, "-4 addr show dev vde0", "inet 10.0.2.15/24 ");
	IT_CHECK_LACKS(s, "-4 route show default", "default");
	IT_CHECKF(!strcmp(it_resolv(s), ""), "resolv.conf:\n%s",
		  it_resolv(s));
	vde_delstack(s);
}

/* test_slirp_vdnssearch_and_vdomainname_are_the_search_list_of_the_lease
 * - options 15 and 119 of the lease, in vde_stackresolv(). */
static void test_slirp_vdnssearch_and_vdomainname_are_the_search_list_of_the_lease(void)
{
	static const struct plan p = {
		"slirp:///vdnssearch=a.example,b.test.example"
		"/vdomainname=corp.example", NULL, "inet 10.0.2.15/24 ",
		"10.0.2.2", "10.0.2.3",
	};
	struct vdestack *s = leased_stack(&p);
	const char *r = it_resolv(s);

	IT_CHECKF(!strcmp(r, "nameserver 10.0.2.3\n"
			     "search corp.example a.example b.test.example\n"),
		  "resolv.conf:\n%s", r);
	vde_delstack(s);
}

/* test_slirp_vnameserver_and_vnameserver6_are_the_dns_the_stack_learns -
 * vnameserver= is the lease's DNS server, vnameserver6= the RDNSS of
 * libslirp's router advertisement (sent when the host's resolv.conf names
 * an IPv6 server: the test's own does), and each answers from the host's
 * resolver (the test's own, in namespaces of its own). */
static void test_slirp_vnameserver_and_vnameserver6_are_the_dns_the_stack_learns(void)
{
	static const struct plan p = {
		"slirp:///vnameserver=10.0.2.53/vnameserver6=fd00::53",
		"eth,dhcp,rd", "inet 10.0.2.15/24 ", "10.0.2.2", "10.0.2.53",
	};
	struct resolver r = { .fd = { -1, -1 } };
	struct vdestack *s;
	char addr[INET_ADDRSTRLEN];

	own_namespaces(); /* first: unshare needs a single thread */
	it_require_network();
	r.fd[0] = fu_bound(NULL, SOCK_DGRAM, "127.0.0.1", 53);
	r.fd[1] = fu_bound(NULL, SOCK_DGRAM, "::1", 53);
	IT_CHECK(pthread_create(&r.thread, NULL, resolver_thread, &r) == 0);
	s = leased_stack(&p);
	IT_CHECKF(!strcmp(it_resolv(s), "nameserver 10.0.2.53\n"
					"nameserver fd00::53\n"),
		  "resolv.conf:\n%s", it_resolv(s));
	IT_CHECKF(dns_query(s, "10.0.2.53", DNS_NAME, addr, sizeof(addr)),
		  "no answer for %s through 10.0.2.53", DNS_NAME);
	IT_CHECKF(!strcmp(addr, "192.0.2.77"), "answer %s", addr);
	IT_CHECKF(dns_query(s, "fd00::53", DNS_NAME, addr, sizeof(addr)),
		  "no answer for %s through fd00::53", DNS_NAME);
	IT_CHECKF(!strcmp(addr, "192.0.2.77"), "answer %s", addr);
	vde_delstack(s);
	atomic_store(&r.stop, true);
	pthread_join(r.thread, NULL);
	close(r.fd[0]);
	close(r.fd[1]);
}

/* test_slirp_v4_only_leases_ipv4_and_ignores_ipv6 - slirp:///v4: the
 * lease works; router discovery gets no advertisement and leaves no
 * global IPv6 address; even configured by hand, IPv6 to libslirp goes
 * nowhere and the host's ::1 server sees nothing. */
static void test_slirp_v4_only_leases_ipv4_and_ignores_ipv6(void)
{
	static const struct plan p = {
		"slirp:///v4", NULL, "inet 10.0.2.15/24 ", "10.0.2.2",
		"10.0.2.3",
	};
	struct vdestack *s = leased_stack(&p);
	uint16_t port;
	int lfd = fu_bound_any(SOCK_STREAM, "::1", &port), fd;
	struct pollfd pl = { .fd = lfd, .events = POLLIN };

	IT_CHECK_ERRNO(vde_stackconf(s, "rd,timeout=2") < 0, ETIMEDOUT);
	IT_CHECK_LACKS(s, "-6 addr show dev vde0 scope global", "inet6");
	it_stackconf_ok(s, "ip=fd00::15/64,gw=fd00::2");
	fd = fu_connect(s, SOCK_STREAM, "fd00::2", port, 2000);
	IT_CHECKF(fd < 0, "IPv6 reached the host through slirp:///v4");
	IT_CHECK(poll(&pl, 1, 0) == 0);
	close(lfd);
	vde_delstack(s);
}

/* test_slirp_v6_only_advertises_its_prefix_and_answers_no_dhcp -
 * slirp:///v6: DHCP gets no lease; router discovery gives an address in
 * fd00::/64 and a default route, and TCP reaches the host's ::1 through
 * fd00::2. */
static void test_slirp_v6_only_advertises_its_prefix_and_answers_no_dhcp(void)
{
	struct vdestack *s;

	it_require_network();
	s = it_addstack("slirp:///v6", NULL);
	IT_CHECK_ERRNO(vde_stackconf(s, "eth,dhcp,timeout=2") < 0, ETIMEDOUT);
	IT_CHECK_LACKS(s, "-4 addr show dev vde0", "inet ");
	it_stackconf_ok(s, "rd");
	IT_CHECK_SHOWS(s, "-6 addr show dev vde0 scope global", "inet6 fd00::");
	IT_CHECK_SHOWS(s, "-6 route show default", "default via fe80::");
	nat_exchange(s, "::1", "fd00::2", BYTES / 16, 12);
	vde_delstack(s);
}

/* test_slirp_host6_is_the_prefix_and_gateway_of_router_discovery -
 * host6=fd12:3456:789a:1::1/64: libslirp advertises that prefix, and TCP
 * to fd12:3456:789a:1::1 reaches the host's ::1. */
static void test_slirp_host6_is_the_prefix_and_gateway_of_router_discovery(void)
{
	struct vdestack *s;

	it_require_network();
	s = it_addstack("slirp:///host6='fd12:3456:789a:1::1/64'", NULL);
	it_stackconf_ok(s, "eth,rd");
	IT_CHECK_SHOWS(s, "-6 addr show dev vde0 scope global",
		       "inet6 fd12:3456:789a:1:");
	IT_CHECK_LACKS(s, "-6 addr show dev vde0 scope global",
		       "inet6 fd00:");
	nat_exchange(s, "::1", "fd12:3456:789a:1::1", BYTES / 16, 13);
	vde_delstack(s);
}

/* mss_to_host - a TCP connection from s to a server on the host's
 * host_ip through nat_ip, and a checked exchange on it.
 * Return: the connection's MSS in the stack (TCP_MAXSEG once connected:
 * the smaller of the interface's and the one libslirp offered). */
static int mss_to_host(struct vdestack *s, const char *host_ip,
		       const char *nat_ip)
{
	uint16_t port;
	int lfd = fu_bound_any(SOCK_STREAM, host_ip, &port), fd, mss = 0;
	struct fu_server *srv = fu_server_start(lfd, BYTES / 16, 14);
	socklen_t len = sizeof(mss);

	fd = fu_connect(s, SOCK_STREAM, nat_ip, port, 30000);
	IT_CHECKF(fd >= 0, "connect from the stack to %s:%u: %s", nat_ip,
		  port, strerror(-fd));
	IT_CHECK(getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) == 0);
	fu_client_exchange(fd, BYTES / 16, 14);
	fu_server_join(srv);
	close(lfd);
	return mss;
}

/* test_slirp_mru_lowers_the_mss_libslirp_offers_not_the_interface_mtu -
 * mru=1200: the interface keeps 65520, libslirp's segments carry at most
 * 1200 - 40 (IPv4) and 1200 - 60 (IPv6) bytes. */
static void test_slirp_mru_lowers_the_mss_libslirp_offers_not_the_interface_mtu(void)
{
	static const struct plan p = {
		"slirp:///mru=1200", "eth,dhcp,rd", "inet 10.0.2.15/24 ",
		"10.0.2.2", "10.0.2.3",
	};
	struct vdestack *s = leased_stack(&p);
	int mtu = it_iface_mtu(s, "vde0"), mss;

	IT_CHECKF(mtu == 65520, "MTU %d", mtu);
	mss = mss_to_host(s, "127.0.0.1", "10.0.2.2");
	IT_CHECKF(mss == 1160, "IPv4 MSS %d", mss);
	mss = mss_to_host(s, "::1", "fd00::2");
	IT_CHECKF(mss == 1140, "IPv6 MSS %d", mss);
	vde_delstack(s);
}

/* test_slirp_mtu_is_the_interface_mtu_and_the_mss_after_dhcp - mtu=1400:
 * the lease (libslirp sends no MTU option) leaves the interface at 1400,
 * and connections to the host use 1400 - 40 byte segments. */
static void test_slirp_mtu_is_the_interface_mtu_and_the_mss_after_dhcp(void)
{
	static const struct plan p = {
		"slirp:///mtu=1400", NULL, "inet 10.0.2.15/24 ", "10.0.2.2",
		"10.0.2.3",
	};
	struct vdestack *s = leased_stack(&p);
	int mtu = it_iface_mtu(s, "vde0"), mss;

	IT_CHECKF(mtu == 1400, "MTU %d", mtu);
	mss = mss_to_host(s, "127.0.0.1", "10.0.2.2");
	IT_CHECKF(mss == 1360, "IPv4 MSS %d", mss);
	vde_delstack(s);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(slirp_stack_reaches_a_host_tcp_server_through_the_nat),
	T(slirp_stack_exchanges_udp_with_a_host_server),
	T(slirp_interface_mtu_is_65520_unless_mtu_says_otherwise),
	T(slirp_url_forwards_serve_as_soon_as_addstack_returns),
	T(slirp_url_forward_on_a_busy_port_fails_with_eaddrinuse),
	T(slirp_run_time_forward_is_added_and_removed),
	T(slirp_disable_host_loopback_refuses_the_host),
	T(slirp_restricted_refuses_outbound_but_serves_forwards),
	T(slirp_malformed_url_fails_with_einval),
	T(slirp_cmdfwd_connects_the_stack_to_a_command),
	T(slirp_unixfwd_connects_the_stack_to_a_unix_socket),
	T(slirp_dhcp_server_offers_the_first_address),
	T(slirp_hostname_is_the_host_name_option_of_the_dhcp_offer),
	T(slirp_bootfile_and_tftp_server_name_are_in_the_dhcp_offer),
	T(slirp_dns_proxy_answers_from_the_hosts_resolver),
	T(slirp_default_lease_is_10_0_2_15_via_10_0_2_2_with_dns_10_0_2_3),
	T(slirp_addr_moves_the_lease_gateway_and_dns_into_its_network),
	T(slirp_host_is_the_gateway_of_a_lease_in_its_network),
	T(slirp_dhcp_is_the_first_address_leased_wherever_it_is_given),
	T(slirp_restricted_lease_names_no_router_and_no_dns),
	T(slirp_vdnssearch_and_vdomainname_are_the_search_list_of_the_lease),
	T(slirp_vnameserver_and_vnameserver6_are_the_dns_the_stack_learns),
	T(slirp_v4_only_leases_ipv4_and_ignores_ipv6),
	T(slirp_v6_only_advertises_its_prefix_and_answers_no_dhcp),
	T(slirp_host6_is_the_prefix_and_gateway_of_router_discovery),
	T(slirp_mru_lowers_the_mss_libslirp_offers_not_the_interface_mtu),
	T(slirp_mtu_is_the_interface_mtu_and_the_mss_after_dhcp),
#undef T
};

/* main - run the test named by argv[1], or all.  Return: it_main's. */
int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
