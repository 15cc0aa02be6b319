/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_stackconf.c - vde_stackconf and vde_stackresolv: every key checked
 * against the kernel's own view of the stack (ip(8), run in the stack
 * only to look), DHCP against a server of the test's own on mem:// and
 * against slirp's, router discovery against the test's own router,
 * malformed strings refused with nothing applied. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

/* ------------------------------------------------------------------ */
/* Looking at the kernel's view                                        */
/* ------------------------------------------------------------------ */

/* show - the output of "/bin/ip ARGS" in s (checked to succeed).
 * Return: a static buffer. */
static const char *show(struct vdestack *s, const char *args)
{
	static char out[16384];
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "/bin/ip %s", args);
	IT_CHECKF(it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0,
		  "%s: %s", cmd, out);
	return out;
}

/* has - whether "/bin/ip ARGS" in s prints text.  Return: true if so. */
static bool has(struct vdestack *s, const char *args, const char *text)
{
	return strstr(show(s, args), text) != NULL;
}

/* CHECK_HAS / CHECK_LACKS - the kernel's view must (not) show text. */
#define CHECK_HAS(s, args, text)                                            \
	IT_CHECKF(has(s, args, text), "ip %s lacks \"%s\":\n%s", args, text, \
		  show(s, args))
#define CHECK_LACKS(s, args, text)                                          \
	IT_CHECKF(!has(s, args, text), "ip %s shows \"%s\":\n%s", args, text,\
		  show(s, args))

/* count_of - Return: how many times text occurs in out. */
static int count_of(const char *out, const char *text)
{
	int n = 0;

	for (const char *p = strstr(out, text); p; p = strstr(p + 1, text))
		n++;
	return n;
}

/* conf_ok - vde_stackconf that must succeed. */
static void conf_ok(struct vdestack *s, const char *config)
{
	IT_CHECKF(vde_stackconf(s, config) == 0, "vde_stackconf(\"%s\")",
		  config);
}

/* resolv - the stack's resolv.conf text.  Return: a static buffer. */
static const char *resolv(struct vdestack *s)
{
	static char buf[4096];
	int n = vde_stackresolv(s, buf, sizeof(buf));

	IT_CHECK(n >= 0 && (size_t)n == strlen(buf));
	return buf;
}

/* segment - a mem:// URL private to this test process. */
static char *segment(const char *name)
{
	static char url[2][64];
	static int k;

	k ^= 1;
	snprintf(url[k], sizeof(url[k]), "mem://%s-%d", name, (int)getpid());
	return url[k];
}

/* ifindex_of - the index of ifname in stack s.  Return: it. */
static unsigned ifindex_of(struct vdestack *s, const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	IT_CHECK(fd >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	IT_CHECK(ioctl(fd, SIOCGIFINDEX, &ifr) == 0);
	close(fd);
	return (unsigned)ifr.ifr_ifindex;
}

/* ------------------------------------------------------------------ */
/* A DHCP server of the test's own, in another stack on the segment     */
/* ------------------------------------------------------------------ */

struct dhcpd {
	struct vdestack *stack;
	int fd;
	pthread_t thread;
	atomic_bool stop;
	atomic_int naks_left;     /* NAK this many REQUESTs first */
	atomic_int acks;
};

/* opt_find - option code in the options of a BOOTP message.
 * Return: its value and *len, or NULL. */
static const unsigned char *opt_find(const unsigned char *o, size_t len,
				     unsigned code, unsigned *ret_len)
{
	size_t at = 0;

	while (at + 2 <= len && o[at] != 255) {
		if (o[at] == 0) {
			at++;
			continue;
		}
		if (at + 2 + o[at + 1] > len)
			return NULL;
		if (o[at] == code) {
			*ret_len = o[at + 1];
			return o + at + 2;
		}
		at += 2 + o[at + 1];
	}
	return NULL;
}

/* dhcpd_reply - answer one request (type 1 DISCOVER or 3 REQUEST) from
 * req (len bytes) on ifindex. */
static void dhcpd_reply(struct dhcpd *d, const unsigned char *req,
			size_t len, unsigned ifindex)
{
	static const unsigned char search[] = {
		/* "a.test.example", then "b" + pointer to "test.example" */
		1, 'a', 4, 't', 'e', 's', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l',
		'e', 0, 1, 'b', 0xc0, 2,
	};
	unsigned char rep[600] = { 0 }, *o;
	const unsigned char *v;
	unsigned vlen, type;
	struct in_addr yi, me;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(68) };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl = { 0 };
	struct iovec iov;
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to),
			     .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	struct in_pktinfo pi = { .ipi_ifindex = (int)ifindex };

	if (len < 240 || req[0] != 1)
		return;
	v = opt_find(req + 240, len - 240, 53, &vlen);
	if (!v || vlen != 1)
		return;
	type = v[0];
	inet_pton(AF_INET, "10.5.0.100", &yi);
	inet_pton(AF_INET, "10.5.0.1", &me);
	if (type == 3) {
		v = opt_find(req + 240, len - 240, 50, &vlen);
		if (atomic_load(&d->naks_left) > 0) {
			atomic_fetch_sub(&d->naks_left, 1);
			type = 6; /* NAK */
		} else if (v && vlen == 4 && !memcmp(v, &yi, 4)) {
			type = 5; /* ACK */
			atomic_fetch_add(&d->acks, 1);
		} else {
			type = 6;
		}
	} else if (type == 1) {
		type = 2; /* OFFER */
	} else {
		return;
	}
	rep[0] = 2;
	rep[1] = 1;
	rep[2] = 6;
	memcpy(rep + 4, req + 4, 4);    /* xid */
	memcpy(rep + 10, req + 10, 2);  /* flags */
	if (type != 6)
		memcpy(rep + 16, &yi, 4);
	memcpy(rep + 20, &me, 4);
	memcpy(rep + 28, req + 28, 16); /* chaddr */
	rep[236] = 0x63;
	rep[237] = 0x82;
	rep[238] = 0x53;
	rep[239] = 0x63;
	o = rep + 240;
	*o++ = 53; *o++ = 1; *o++ = (unsigned char)type;
	*o++ = 54; *o++ = 4; memcpy(o, &me, 4); o += 4;
	if (type != 6) {
		*o++ = 51; *o++ = 4; *o++ = 0; *o++ = 0; *o++ = 0x0e; *o++ = 0x10;
		*o++ = 1; *o++ = 4; *o++ = 255; *o++ = 255; *o++ = 255; *o++ = 0;
		*o++ = 3; *o++ = 4; memcpy(o, &me, 4); o += 4;
		*o++ = 6; *o++ = 8;
		inet_pton(AF_INET, "10.5.0.53", o);
		inet_pton(AF_INET, "10.5.0.54", o + 4);
		o += 8;
		*o++ = 15; *o++ = 12; memcpy(o, "test.example", 12); o += 12;
		*o++ = 119; *o++ = sizeof(search);
		memcpy(o, search, sizeof(search));
		o += sizeof(search);
	}
	*o++ = 255;
	iov.iov_base = rep;
	iov.iov_len = (size_t)(o - rep) < 300 ? 300 : (size_t)(o - rep);
	to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	sendmsg(d->fd, &mh, 0);
}

/* dhcpd_main - the server's thread: answer until stopped.
 * Return: NULL. */
static void *dhcpd_main(void *arg)
{
	struct dhcpd *d = arg;

	while (!atomic_load(&d->stop)) {
		unsigned char buf[1500];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		unsigned ifindex = 0;
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvmsg(d->fd, &mh, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c)) {
			struct in_pktinfo pi;

			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO) {
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = (unsigned)pi.ipi_ifindex;
			}
		}
		dhcpd_reply(d, buf, (size_t)n, ifindex);
	}
	return NULL;
}

/* dhcpd_start - a server at 10.5.0.1 on the mem:// segment url, leasing
 * 10.5.0.100/24, router 10.5.0.1, DNS 10.5.0.53 and .54, domain
 * test.example, search a.test.example b.test.example.  The server's own
 * stack is set up with ip(8), not with the code under test. */
static void dhcpd_start(struct dhcpd *d, const char *url)
{
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(67) };
	int one = 1;

	d->stack = it_addstack(url, NULL);
	it_config_addr(d->stack, "vde0", "10.5.0.1/24");
	d->fd = vde_msocket(d->stack, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(d->fd >= 0);
	IT_CHECK(setsockopt(d->fd, SOL_SOCKET, SO_BROADCAST, &one,
			    sizeof(one)) == 0);
	IT_CHECK(setsockopt(d->fd, IPPROTO_IP, IP_PKTINFO, &one,
			    sizeof(one)) == 0);
	IT_CHECK(bind(d->fd, (struct sockaddr *)&any, sizeof(any)) == 0);
	atomic_store(&d->stop, false);
	IT_CHECK(pthread_create(&d->thread, NULL, dhcpd_main, d) == 0);
}

/* dhcpd_stop - stop the server and delete its stack. */
static void dhcpd_stop(struct dhcpd *d)
{
	atomic_store(&d->stop, true);
	pthread_join(d->thread, NULL);
	close(d->fd);
	vde_delstack(d->stack);
}

/* ------------------------------------------------------------------ */
/* A router of the test's own: periodic advertisements                  */
/* ------------------------------------------------------------------ */

struct radvd {
	struct vdestack *stack;
	int fd;
	unsigned ifindex;
	pthread_t thread;
	atomic_bool stop;
};

/* radvd_main - advertise fd00:1::/64 (autonomous), RDNSS fd00:1::53,
 * DNSSL ra.test, every 300 ms until stopped.  Return: NULL. */
static void *radvd_main(void *arg)
{
	struct radvd *r = arg;
	unsigned char ra[16 + 32 + 24 + 24] = {
		ND_ROUTER_ADVERT, 0, 0, 0, 64, 0, 0x07, 0x08, /* 1800 s */
	};
	unsigned char *o = ra + 16;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6,
				   .sin6_scope_id = r->ifindex };

	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	/* prefix information: /64, on-link + autonomous */
	o[0] = 3; o[1] = 4; o[2] = 64; o[3] = 0xc0;
	o[4] = 0; o[5] = 1; o[6] = 0x51; o[7] = 0x80;   /* valid 86400 */
	o[8] = 0; o[9] = 0; o[10] = 0x38; o[11] = 0x40; /* preferred 14400 */
	inet_pton(AF_INET6, "fd00:1::", o + 16);
	o += 32;
	/* RDNSS */
	o[0] = 25; o[1] = 3; o[6] = 0x02; o[7] = 0x58;  /* 600 s */
	inet_pton(AF_INET6, "fd00:1::53", o + 8);
	o += 24;
	/* DNSSL: ra.test */
	o[0] = 31; o[1] = 3; o[6] = 0x02; o[7] = 0x58;
	memcpy(o + 8, "\x02ra\x04test", 8);
	while (!atomic_load(&r->stop)) {
		sendto(r->fd, ra, sizeof(ra), 0, (struct sockaddr *)&to,
		       sizeof(to));
		poll(NULL, 0, 300);
	}
	return NULL;
}

/* radvd_start - a router fe80::1 on the mem:// segment url (its stack
 * set up with ip(8)). */
static void radvd_start(struct radvd *r, const char *url)
{
	int hops = 255;

	r->stack = it_addstack(url, NULL);
	it_stackcmd_ok(r->stack, "/bin/ip link set vde0 up; "
		       "/bin/ip addr add fe80::1/64 dev vde0 nodad");
	r->ifindex = ifindex_of(r->stack, "vde0");
	r->fd = vde_msocket(r->stack, AF_INET6, SOCK_RAW | SOCK_CLOEXEC,
			    IPPROTO_ICMPV6);
	IT_CHECK(r->fd >= 0);
	IT_CHECK(setsockopt(r->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
			    sizeof(hops)) == 0);
	atomic_store(&r->stop, false);
	IT_CHECK(pthread_create(&r->thread, NULL, radvd_main, r) == 0);
}

/* radvd_stop - stop the router and delete its stack. */
static void radvd_stop(struct radvd *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	close(r->fd);
	vde_delstack(r->stack);
}

/* slirp_stack - a stack on slirp://, or skip when there is no slirp
 * backend here.  Return: the stack. */
static struct vdestack *slirp_stack(void)
{
	struct vdestack *s = vde_addstack("slirp://", NULL);

	if (!s && errno == EPROTONOSUPPORT)
		it_skip("no slirp:// backend");
	IT_CHECK(s != NULL);
	return s;
}

/* ------------------------------------------------------------------ */
/* Static keys                                                         */
/* ------------------------------------------------------------------ */

/* test_stackconf_sets_ipv4_address_and_gateway - and brings lo and the
 * interface up. */
static void test_stackconf_sets_ipv4_address_and_gateway(void)
{
	struct vdestack *s = it_addstack(segment("v4"), NULL);

	it_stackcmd_ok(s, "/bin/ip link set lo down");
	conf_ok(s, "eth,ip=10.0.0.1/24,gw=10.0.0.254");
	CHECK_HAS(s, "-4 -o addr show dev vde0", "inet 10.0.0.1/24 brd 10.0.0.255");
	CHECK_HAS(s, "-4 route show default", "default via 10.0.0.254 dev vde0");
	CHECK_HAS(s, "-o link show dev vde0", ",UP");
	CHECK_HAS(s, "-o link show dev lo", ",UP");
	vde_delstack(s);
}

/* test_stackconf_sets_ipv6_address_and_gateway - usable at once
 * (no duplicate address detection), several addresses. */
static void test_stackconf_sets_ipv6_address_and_gateway(void)
{
	struct vdestack *s = it_addstack(segment("v6"), NULL);

	conf_ok(s, "ip=fd00::1/64,ip=fd00:2::1/48,gw=fd00::fe");
	CHECK_HAS(s, "-6 -o addr show dev vde0", "inet6 fd00::1/64");
	CHECK_HAS(s, "-6 -o addr show dev vde0", "inet6 fd00:2::1/48");
	CHECK_LACKS(s, "-6 -o addr show dev vde0 scope global", "tentative");
	CHECK_HAS(s, "-6 route show default", "default via fd00::fe dev vde0");
	CHECK_HAS(s, "-o link show dev vde0", ",UP");
	vde_delstack(s);
}

/* test_stackconf_address_without_prefix_is_a_host_address */
static void test_stackconf_address_without_prefix_is_a_host_address(void)
{
	struct vdestack *s = it_addstack(segment("host"), NULL);

	conf_ok(s, "ip=10.0.0.7,ip=fd00::7");
	CHECK_HAS(s, "-o addr show dev vde0", "inet 10.0.0.7/32");
	CHECK_HAS(s, "-o addr show dev vde0", "inet6 fd00::7/128");
	vde_delstack(s);
}

/* test_stackconf_sets_mtu */
static void test_stackconf_sets_mtu(void)
{
	struct vdestack *s = it_addstack(segment("mtu"), NULL);

	conf_ok(s, "mtu=1280");
	CHECK_HAS(s, "-o link show dev vde0", "mtu 1280 ");
	CHECK_HAS(s, "-o link show dev vde0", ",UP");
	conf_ok(s, "mtu=9000");
	CHECK_HAS(s, "-o link show dev vde0", "mtu 9000 ");
	vde_delstack(s);
}

/* test_stackconf_sets_mac_address - mac= and its synonym macaddr=. */
static void test_stackconf_sets_mac_address(void)
{
	struct vdestack *s = it_addstack(segment("mac"), NULL);

	conf_ok(s, "eth,mac=02:12:34:56:78:9a");
	CHECK_HAS(s, "-o link show dev vde0", "link/ether 02:12:34:56:78:9a ");
	conf_ok(s, "macaddr=02:AB:cd:00:00:01");
	CHECK_HAS(s, "-o link show dev vde0", "link/ether 02:ab:cd:00:00:01 ");
	vde_delstack(s);
}

/* test_stackconf_eth_names_the_interface - eth=NAME and iface=NAME pick
 * a stack's interface of another name; a missing one is ENODEV with
 * nothing applied. */
static void test_stackconf_eth_names_the_interface(void)
{
	struct vdestack *s = it_addstack(segment("name"), "net1");

	conf_ok(s, "eth=net1,ip=10.1.0.1/16");
	CHECK_HAS(s, "-o addr show dev net1", "inet 10.1.0.1/16");
	conf_ok(s, "iface=net1,ip=10.2.0.1/16");
	CHECK_HAS(s, "-o addr show dev net1", "inet 10.2.0.1/16");
	conf_ok(s, "ip=10.3.0.1/16"); /* default: the stack's interface */
	CHECK_HAS(s, "-o addr show dev net1", "inet 10.3.0.1/16");
	it_stackcmd_ok(s, "/bin/ip link set lo down");
	IT_CHECK_ERRNO(vde_stackconf(s, "eth=vde0,ip=10.4.0.1/16") < 0, ENODEV);
	CHECK_LACKS(s, "-o addr", "10.4.0.1");
	CHECK_LACKS(s, "-o link show dev lo", ",UP");
	vde_delstack(s);
}

/* test_stackconf_brings_lo_and_interface_up */
static void test_stackconf_brings_lo_and_interface_up(void)
{
	struct vdestack *s = it_addstack(segment("up"), NULL);

	it_stackcmd_ok(s, "/bin/ip link set lo down; /bin/ip link set vde0 down");
	CHECK_LACKS(s, "-o link show dev vde0", ",UP");
	conf_ok(s, "eth");
	CHECK_HAS(s, "-o link show dev vde0", ",UP");
	CHECK_HAS(s, "-o link show dev lo", ",UP");
	CHECK_HAS(s, "-o addr show dev lo", "inet 127.0.0.1/8");
	vde_delstack(s);
}

/* test_stackconf_is_idempotent - the same string twice, and an address
 * already there, succeed and leave one copy. */
static void test_stackconf_is_idempotent(void)
{
	const char *c = "eth,ip=10.0.0.1/24,ip=fd00::1/64,gw=10.0.0.254,"
			"gw=fd00::fe,mtu=1400,dns=10.0.0.53";
	struct vdestack *s = it_addstack(segment("idem"), NULL);
	const char *out;

	conf_ok(s, c);
	conf_ok(s, c);
	out = show(s, "-4 -o addr show dev vde0");
	IT_CHECKF(count_of(out, "10.0.0.1/24") == 1, "%s", out);
	out = show(s, "-6 -o addr show dev vde0");
	IT_CHECKF(count_of(out, "fd00::1/64") == 1, "%s", out);
	out = show(s, "-4 route show default");
	IT_CHECKF(count_of(out, "default") == 1 &&
		  strstr(out, "default via 10.0.0.254"), "%s", out);
	out = show(s, "-6 route show default");
	IT_CHECKF(count_of(out, "default") == 1 &&
		  strstr(out, "default via fd00::fe"), "%s", out);
	IT_CHECK(!strcmp(resolv(s), "nameserver 10.0.0.53\n"));
	vde_delstack(s);
}

/* test_stackconf_gw_replaces_the_default_route */
static void test_stackconf_gw_replaces_the_default_route(void)
{
	struct vdestack *s = it_addstack(segment("gw"), NULL);

	conf_ok(s, "ip=10.0.0.1/24,gw=10.0.0.254");
	conf_ok(s, "gw=10.0.0.253");
	CHECK_HAS(s, "-4 route show default", "default via 10.0.0.253");
	CHECK_LACKS(s, "-4 route show default", "10.0.0.254");
	vde_delstack(s);
}

/* test_stackconf_refuses_malformed_strings_and_applies_nothing */
static void test_stackconf_refuses_malformed_strings_and_applies_nothing(void)
{
	static const char *const bad[] = {
		"", " ", ",", "eth,", ",eth", "eth,,ip=10.0.0.1/24",
		"nosuchkey", "ip", "ip=", "ip=10.0.0.1/33", "ip=fd00::1/129",
		"ip=10.0.0.256/24", "ip=10.0.0.1/24x", "ip=10.0.0.1/-1",
		"ip=bogus", "gw=10.0.0.1/24", "gw=x", "mtu=", "mtu=abc",
		"mtu=0", "mtu=65536", "mtu=99999999999", "mac=02:00:00:00:00",
		"mac=02:00:00:00:00:0g", "mac=02-00-00-00-00-01",
		"dhcp=yes", "eth=", "eth=a/b", "eth=waytoolonginterfacename",
		"eth=a,eth=b", "mtu=1400,mtu=1500", "gw=10.0.0.1,gw=10.0.0.2",
		"dns=10.0.0.1/8", "dns=x", "domain=", "domain=a..b",
		"domain=-a b", "search=a_b c", "timeout=0", "timeout=x",
		"ip=10.0.0.1 /24", "ip=10.0.0.1/24\n", "auto=1",
		"ip=10.0.0.1/24,gw=10.0.0.254,bogus",
	};
	struct vdestack *s = it_addstack(segment("bad"), NULL);

	it_stackcmd_ok(s, "/bin/ip link set lo down");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		IT_CHECKF(vde_stackconf(s, bad[i]) < 0 && errno == EINVAL,
			  "\"%s\" not refused with EINVAL", bad[i]);
	CHECK_LACKS(s, "-o link show dev vde0", ",UP");
	CHECK_LACKS(s, "-o link show dev lo", ",UP");
	CHECK_LACKS(s, "-4 -o addr", "10.0.0.1");
	CHECK_LACKS(s, "route", "default");
	IT_CHECK(!strcmp(resolv(s), ""));
	IT_CHECK_ERRNO(vde_stackconf(NULL, "eth") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackconf(s, NULL) < 0, EINVAL);
	vde_delstack(s);
}

/* test_stackconf_dhcp6_is_refused_as_unsupported - before anything. */
static void test_stackconf_dhcp6_is_refused_as_unsupported(void)
{
	struct vdestack *s = it_addstack(segment("d6"), NULL);

	IT_CHECK_ERRNO(vde_stackconf(s, "ip=10.0.0.1/24,dhcp6") < 0,
		       EOPNOTSUPP);
	CHECK_LACKS(s, "-4 -o addr", "10.0.0.1");
	vde_delstack(s);
}

/* test_stackconf_reports_the_kernel_errno_and_keeps_earlier_steps - the
 * documented rule: the steps before the failing one stay applied. */
static void test_stackconf_reports_the_kernel_errno_and_keeps_earlier_steps(void)
{
	struct vdestack *s = it_addstack(segment("kerr"), NULL);

	/* a gateway on no local subnet: the route step fails */
	IT_CHECK_ERRNO(vde_stackconf(s, "ip=10.0.0.1/24,gw=10.9.9.9,"
					"dns=10.0.0.53") < 0, ENETUNREACH);
	CHECK_HAS(s, "-4 -o addr show dev vde0", "10.0.0.1/24");
	CHECK_LACKS(s, "route", "default");
	IT_CHECK(!strcmp(resolv(s), "")); /* DNS only when all succeeded */
	/* the kernel's minimum MTU */
	IT_CHECK_ERRNO(vde_stackconf(s, "mtu=50") < 0, EINVAL);
	CHECK_LACKS(s, "-o link show dev vde0", "mtu 50 ");
	/* a multicast MAC address */
	IT_CHECK_ERRNO(vde_stackconf(s, "mac=01:00:00:00:00:01") < 0,
		       EADDRNOTAVAIL);
	vde_delstack(s);
}

/* test_stackconf_records_dns_and_search_domains - and resolv.conf text
 * through vde_stackresolv, with ERANGE for a short buffer. */
static void test_stackconf_records_dns_and_search_domains(void)
{
	struct vdestack *s = it_addstack(segment("dns"), "net0");
	const char *want = "nameserver 10.0.0.53\n"
			   "nameserver fd00::53\n"
			   "nameserver fe80::53%net0\n"
			   "search example.org lab.example.org\n";
	char small[8];

	IT_CHECK(vde_stackresolv(s, NULL, 0) == 0);
	conf_ok(s, "dns=10.0.0.53,dns=fd00::53,dns=fe80::53,"
		   "domain=example.org,search=lab.example.org");
	IT_CHECKF(!strcmp(resolv(s), want), "%s", resolv(s));
	IT_CHECK(vde_stackresolv(s, NULL, 0) == (int)strlen(want));
	IT_CHECK_ERRNO(vde_stackresolv(s, small, sizeof(small)) < 0, ERANGE);
	IT_CHECK_ERRNO(vde_stackresolv(NULL, small, sizeof(small)) < 0,
		       EINVAL);
	/* a new list replaces the old one; an absent list stays */
	conf_ok(s, "dns=10.0.0.54");
	IT_CHECKF(!strcmp(resolv(s), "nameserver 10.0.0.54\n"
				     "search example.org lab.example.org\n"),
		  "%s", resolv(s));
	vde_delstack(s);
}

/* test_stackconf_without_network_configures_lo_only */
static void test_stackconf_without_network_configures_lo_only(void)
{
	struct vdestack *s = it_addstack(NULL, NULL);

	it_stackcmd_ok(s, "/bin/ip link set lo down");
	conf_ok(s, "auto");
	CHECK_HAS(s, "-o link show dev lo", ",UP");
	IT_CHECK_ERRNO(vde_stackconf(s, "eth") < 0, ENODEV);
	IT_CHECK_ERRNO(vde_stackconf(s, "ip=10.0.0.1/24") < 0, ENODEV);
	conf_ok(s, "dns=192.0.2.53");
	IT_CHECK(!strcmp(resolv(s), "nameserver 192.0.2.53\n"));
	vde_delstack(s);
}

/* test_stackconf_auto_on_mem_brings_the_interface_up - and nothing
 * else: a mem:// segment implies no server. */
static void test_stackconf_auto_on_mem_brings_the_interface_up(void)
{
	struct vdestack *s = it_addstack(segment("auto"), NULL);

	conf_ok(s, "auto");
	CHECK_HAS(s, "-o link show dev vde0", ",UP");
	CHECK_LACKS(s, "-4 -o addr show dev vde0", "inet ");
	vde_delstack(s);
}

/* test_stackconf_works_as_static_addressing_between_two_stacks - two
 * stacks on one segment, configured by vde_stackconf only, talk TCP. */
static void test_stackconf_works_as_static_addressing_between_two_stacks(void)
{
	char *url = segment("pair");
	struct vdestack *a = it_addstack(url, NULL);
	struct vdestack *b = it_addstack(url, NULL);

	conf_ok(a, "ip=10.0.0.1/24,ip=fd00::1/64");
	conf_ok(b, "ip=10.0.0.2/24,ip=fd00::2/64");
	it_tcp_exchange(a, b, "10.0.0.1", 65536, 1);
	vde_delstack(b);
	vde_delstack(a);
}

/* ------------------------------------------------------------------ */
/* DHCP                                                                 */
/* ------------------------------------------------------------------ */

/* test_stackconf_dhcp_applies_the_lease_of_a_server_on_mem - address,
 * prefix, router, DNS, domain and search list (compressed option 119). */
static void test_stackconf_dhcp_applies_the_lease_of_a_server_on_mem(void)
{
	char *url = segment("dhcp");
	struct dhcpd d = { .fd = -1 };
	struct vdestack *s;

	dhcpd_start(&d, url);
	s = it_addstack(url, NULL);
	conf_ok(s, "dhcp,timeout=60");
	CHECK_HAS(s, "-4 -o addr show dev vde0", "inet 10.5.0.100/24");
	CHECK_HAS(s, "-4 route show default", "default via 10.5.0.1 dev vde0");
	IT_CHECKF(!strcmp(resolv(s), "nameserver 10.5.0.53\n"
				     "nameserver 10.5.0.54\n"
				     "search test.example a.test.example "
				     "b.test.example\n"), "%s", resolv(s));
	IT_CHECK(atomic_load(&d.acks) == 1);
	/* again: the same lease, nothing doubled */
	conf_ok(s, "dhcp4,timeout=60");
	IT_CHECKF(count_of(show(s, "-4 -o addr show dev vde0"),
			   "inet 10.5.0.100/24") == 1, "%s",
		  show(s, "-4 -o addr show dev vde0"));
	IT_CHECKF(count_of(show(s, "-4 route show default"), "default") == 1,
		  "%s", show(s, "-4 route show default"));
	IT_CHECKF(!strcmp(resolv(s), "nameserver 10.5.0.53\n"
				     "nameserver 10.5.0.54\n"
				     "search test.example a.test.example "
				     "b.test.example\n"), "%s", resolv(s));
	vde_delstack(s);
	dhcpd_stop(&d);
}

/* test_stackconf_dhcp_starts_over_after_a_nak */
static void test_stackconf_dhcp_starts_over_after_a_nak(void)
{
	char *url = segment("nak");
	struct dhcpd d = { .fd = -1 };
	struct vdestack *s;

	atomic_store(&d.naks_left, 1);
	dhcpd_start(&d, url);
	s = it_addstack(url, NULL);
	conf_ok(s, "dhcpv4,timeout=60");
	CHECK_HAS(s, "-4 -o addr show dev vde0", "inet 10.5.0.100/24");
	IT_CHECK(atomic_load(&d.naks_left) == 0);
	vde_delstack(s);
	dhcpd_stop(&d);
}

/* test_stackconf_dhcp_times_out_without_a_server - ETIMEDOUT; the
 * interface stays up (the step before). */
static void test_stackconf_dhcp_times_out_without_a_server(void)
{
	struct vdestack *s = it_addstack(segment("nodhcp"), NULL);

	IT_CHECK_ERRNO(vde_stackconf(s, "dhcp,timeout=1") < 0, ETIMEDOUT);
	CHECK_HAS(s, "-o link show dev vde0", ",UP");
	CHECK_LACKS(s, "-4 -o addr show dev vde0", "inet ");
	vde_delstack(s);
}

/* test_stackconf_static_gw_wins_over_the_dhcp_router */
static void test_stackconf_static_gw_wins_over_the_dhcp_router(void)
{
	char *url = segment("gwdhcp");
	struct dhcpd d = { .fd = -1 };
	struct vdestack *s;

	dhcpd_start(&d, url);
	s = it_addstack(url, NULL);
	conf_ok(s, "dhcp,gw=10.5.0.9,dns=10.5.0.99,timeout=60");
	CHECK_HAS(s, "-4 route show default", "default via 10.5.0.9 dev vde0");
	IT_CHECKF(!strncmp(resolv(s), "nameserver 10.5.0.99\n"
				      "nameserver 10.5.0.53\n", 42),
		  "%s", resolv(s));
	vde_delstack(s);
	dhcpd_stop(&d);
}

/* test_stackconf_dhcp_gets_the_slirp_lease */
static void test_stackconf_dhcp_gets_the_slirp_lease(void)
{
	struct vdestack *s = slirp_stack();

	conf_ok(s, "dhcp,timeout=60");
	CHECK_HAS(s, "-4 -o addr show dev vde0", "inet 10.0.2.15/24");
	CHECK_HAS(s, "-4 route show default", "default via 10.0.2.2 dev vde0");
	IT_CHECKF(strstr(resolv(s), "nameserver 10.0.2.3\n"), "%s", resolv(s));
	vde_delstack(s);
}

/* test_stackconf_auto_on_slirp_reaches_the_host - a listener on the
 * host's loopback is reached through slirp's 10.0.2.2. */
static void test_stackconf_auto_on_slirp_reaches_the_host(void)
{
	struct vdestack *s = slirp_stack();
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd = it_tcp_listen(NULL, "127.0.0.1", 0), cfd, afd;
	char byte = 'x';

	conf_ok(s, "auto");
	CHECK_HAS(s, "-4 -o addr show dev vde0", "inet 10.0.2.15/24");
	IT_CHECK(strstr(resolv(s), "nameserver 10.0.2.3\n") != NULL);
	IT_CHECK(getsockname(lfd, (struct sockaddr *)&sin, &len) == 0);
	cfd = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(cfd >= 0);
	IT_CHECK(it_tcp_connect(cfd, "10.0.2.2", ntohs(sin.sin_port),
				20000) == 0);
	afd = accept(lfd, NULL, NULL);
	IT_CHECK(afd >= 0);
	IT_CHECK(write(cfd, &byte, 1) == 1);
	byte = 0;
	IT_CHECK(read(afd, &byte, 1) == 1 && byte == 'x');
	close(afd);
	close(cfd);
	close(lfd);
	vde_delstack(s);
}

/* ------------------------------------------------------------------ */
/* IPv6 router discovery                                               */
/* ------------------------------------------------------------------ */

/* test_stackconf_rd_gets_slaac_address_route_and_dns_from_a_router */
static void test_stackconf_rd_gets_slaac_address_route_and_dns_from_a_router(void)
{
	char *url = segment("rd");
	struct radvd r = { .fd = -1 };
	struct vdestack *s;

	radvd_start(&r, url);
	s = it_addstack(url, NULL);
	conf_ok(s, "mac=02:00:00:00:00:0a,rd,timeout=60");
	CHECK_HAS(s, "-6 -o addr show dev vde0",
		  "inet6 fd00:1::ff:fe00:a/64 scope global");
	CHECK_LACKS(s, "-6 -o addr show dev vde0 scope global", "tentative");
	CHECK_HAS(s, "-6 route show default", "default via fe80::1 dev vde0");
	IT_CHECKF(!strcmp(resolv(s), "nameserver fd00:1::53\nsearch ra.test\n"),
		  "%s", resolv(s));
	vde_delstack(s);
	radvd_stop(&r);
}

/* test_stackconf_slaac_and_auto6_are_router_discovery */
static void test_stackconf_slaac_and_auto6_are_router_discovery(void)
{
	char *url = segment("slaac");
	struct radvd r = { .fd = -1 };
	struct vdestack *a, *b;

	radvd_start(&r, url);
	a = it_addstack(url, NULL);
	b = it_addstack(url, NULL);
	conf_ok(a, "slaac,timeout=60");
	conf_ok(b, "auto6,timeout=60");
	CHECK_HAS(a, "-6 -o addr show dev vde0", "inet6 fd00:1::");
	CHECK_HAS(b, "-6 -o addr show dev vde0", "inet6 fd00:1::");
	vde_delstack(b);
	vde_delstack(a);
	radvd_stop(&r);
}

/* test_stackconf_rd_times_out_without_a_router */
static void test_stackconf_rd_times_out_without_a_router(void)
{
	struct vdestack *s = it_addstack(segment("nord"), NULL);

	IT_CHECK_ERRNO(vde_stackconf(s, "rd,timeout=1") < 0, ETIMEDOUT);
	CHECK_HAS(s, "-o link show dev vde0", ",UP");
	vde_delstack(s);
}

/* test_stackconf_rd_on_slirp_gets_its_prefix */
static void test_stackconf_rd_on_slirp_gets_its_prefix(void)
{
	struct vdestack *s = slirp_stack();

	conf_ok(s, "dhcp,rd,timeout=60");
	CHECK_HAS(s, "-4 -o addr show dev vde0", "inet 10.0.2.15/24");
	CHECK_HAS(s, "-6 -o addr show dev vde0 scope global", "inet6 ");
	CHECK_HAS(s, "-6 route show default", "default via fe80::");
	vde_delstack(s);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(stackconf_sets_ipv4_address_and_gateway),
	T(stackconf_sets_ipv6_address_and_gateway),
	T(stackconf_address_without_prefix_is_a_host_address),
	T(stackconf_sets_mtu),
	T(stackconf_sets_mac_address),
	T(stackconf_eth_names_the_interface),
	T(stackconf_brings_lo_and_interface_up),
	T(stackconf_is_idempotent),
	T(stackconf_gw_replaces_the_default_route),
	T(stackconf_refuses_malformed_strings_and_applies_nothing),
	T(stackconf_dhcp6_is_refused_as_unsupported),
	T(stackconf_reports_the_kernel_errno_and_keeps_earlier_steps),
	T(stackconf_records_dns_and_search_domains),
	T(stackconf_without_network_configures_lo_only),
	T(stackconf_auto_on_mem_brings_the_interface_up),
	T(stackconf_works_as_static_addressing_between_two_stacks),
	T(stackconf_dhcp_applies_the_lease_of_a_server_on_mem),
	T(stackconf_dhcp_starts_over_after_a_nak),
	T(stackconf_dhcp_times_out_without_a_server),
	T(stackconf_static_gw_wins_over_the_dhcp_router),
	T(stackconf_dhcp_gets_the_slirp_lease),
	T(stackconf_auto_on_slirp_reaches_the_host),
	T(stackconf_rd_gets_slaac_address_route_and_dns_from_a_router),
	T(stackconf_slaac_and_auto6_are_router_discovery),
	T(stackconf_rd_times_out_without_a_router),
	T(stackconf_rd_on_slirp_gets_its_prefix),
#undef T
};

/* main - run one test case (argv[1]) or all.  Return: exit status. */
int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
