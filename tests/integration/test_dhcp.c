/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_dhcp.c - vde_stackconf(3)'s DHCP client against a server that is
 * not libslirp: the test's own (dhcpd_test.c), in a second stack on a
 * private mem:// segment.  The lease's address, router, DNS server and
 * interface MTU (option 26) are read back from inside the client's
 * stack, and the lease carries traffic to the server's stack. */
#include <unistd.h>

#include "dhcpd_test.h"

#define MEM_MTU 1500    /* a mem:// interface's MTU (the kernel's default) */
#define SERVER_MTU 1400 /* the MTU the server sends */

/* The lease of these tests: 10.9.0.50/24 from 10.9.0.1, which is also the
 * router; DNS 10.9.0.53. */
static const struct td_lease lease = {
	.server = "10.9.0.1",
	.addr = "10.9.0.50",
	.prefix = 24,
	.router = "10.9.0.1",
	.dns = "10.9.0.53",
	.mtu = SERVER_MTU,
	.lease_s = 3600,
};

/* Two stacks on one private segment: the server's and the client's. */
struct pair {
	struct vdestack *srv, *cli;
	struct td_server *dhcpd;
};

/* pair_start - the server's stack, set up with ip(8) (not with the code
 * under test) and serving l, and the client's stack, unconfigured.
 * Return: nothing (every step checked). */
static void pair_start(struct pair *p, const struct td_lease *l)
{
	char url[64];

	it_require_network();
	snprintf(url, sizeof(url), "mem://dhcp-%d", (int)getpid());
	p->srv = it_addstack(url, NULL);
	it_config_addr(p->srv, "vde0", "10.9.0.1/24");
	p->dhcpd = td_start(p->srv, "vde0", l);
	p->cli = it_addstack(url, NULL);
}

/* pair_stop - the server, then both stacks.  Return: nothing. */
static void pair_stop(struct pair *p)
{
	td_stop(p->dhcpd);
	vde_delstack(p->cli);
	vde_delstack(p->srv);
}

/* test_dhcp_lease_of_another_server_sets_address_route_dns_and_mtu - the
 * server's MTU 1400 (option 26) becomes the interface's, and the address,
 * default route and DNS server are the lease's; TCP both ways between the
 * leased address and the server's stack. */
static void test_dhcp_lease_of_another_server_sets_address_route_dns_and_mtu(void)
{
	struct pair p;
	int mtu;

	pair_start(&p, &lease);
	IT_CHECK(it_iface_mtu(p.cli, "vde0") == MEM_MTU);
	it_stackconf_ok(p.cli, "dhcp");
	IT_CHECK(td_offers(p.dhcpd) >= 1);
	IT_CHECK(td_acks(p.dhcpd) >= 1);
	mtu = it_iface_mtu(p.cli, "vde0");
	IT_CHECKF(mtu == SERVER_MTU, "MTU %d after the lease", mtu);
	IT_CHECK_SHOWS(p.cli, "-4 addr show dev vde0", "inet 10.9.0.50/24 ");
	IT_CHECK_SHOWS(p.cli, "-4 route show default",
		       "default via 10.9.0.1 dev vde0");
	IT_CHECKF(!strcmp(it_resolv(p.cli), "nameserver 10.9.0.53\n"),
		  "resolv: %s", it_resolv(p.cli));
	it_tcp_exchange(p.srv, p.cli, "10.9.0.1", 1u << 20, 31);
	it_tcp_exchange(p.cli, p.srv, "10.9.0.50", 1u << 20, 32);
	pair_stop(&p);
}

/* test_dhcp_mtu_item_wins_over_the_mtu_the_server_sends - "dhcp,mtu=1300"
 * keeps 1300 whatever option 26 says. */
static void test_dhcp_mtu_item_wins_over_the_mtu_the_server_sends(void)
{
	struct pair p;
	int mtu;

	pair_start(&p, &lease);
	it_stackconf_ok(p.cli, "dhcp,mtu=1300");
	IT_CHECK(td_acks(p.dhcpd) >= 1);
	mtu = it_iface_mtu(p.cli, "vde0");
	IT_CHECKF(mtu == 1300, "MTU %d", mtu);
	IT_CHECK_SHOWS(p.cli, "-4 addr show dev vde0", "inet 10.9.0.50/24 ");
	it_tcp_exchange(p.srv, p.cli, "10.9.0.1", 1u << 20, 33);
	pair_stop(&p);
}

/* test_dhcp_lease_without_an_mtu_keeps_the_interface_mtu - no option 26:
 * the interface keeps the MTU it had, the rest of the lease applies. */
static void test_dhcp_lease_without_an_mtu_keeps_the_interface_mtu(void)
{
	struct td_lease l = lease;
	struct pair p;
	int mtu;

	l.mtu = 0;
	pair_start(&p, &l);
	it_stackconf_ok(p.cli, "dhcp");
	IT_CHECK(td_acks(p.dhcpd) >= 1);
	mtu = it_iface_mtu(p.cli, "vde0");
	IT_CHECKF(mtu == MEM_MTU, "MTU %d", mtu);
	IT_CHECK_SHOWS(p.cli, "-4 route show default",
		       "default via 10.9.0.1 dev vde0");
	it_tcp_exchange(p.srv, p.cli, "10.9.0.1", 1u << 20, 34);
	pair_stop(&p);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(dhcp_lease_of_another_server_sets_address_route_dns_and_mtu),
	T(dhcp_mtu_item_wins_over_the_mtu_the_server_sends),
	T(dhcp_lease_without_an_mtu_keeps_the_interface_mtu),
#undef T
};

/* main - run the test named by argv[1], or all.  Return: it_main's. */
int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
