/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_segment.c - mem:// segments: members on the veth link joined by a
 * bridge in the kernel, members pumped by the in-process switch (taps,
 * VDESTACK_BRIDGE=off), and the two kinds mixed on one segment. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define VDS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The kinds of member a test makes; each sets the environment that
 * vde_addstack reads at every call. */
enum member {
	KERNEL,     /* veth link, joined to the bridge */
	SWITCH,     /* a tap where /dev/net/tun opens, else a veth on the switch */
	VETH_PUMP,  /* veth link on the switch (VDESTACK_BRIDGE=off) */
};

/* url - a mem:// URL of this test process named name. */
static const char *url(const char *name)
{
	static char buf[4][96];
	static unsigned k;
	char *u = buf[k++ % 4];

	snprintf(u, sizeof(buf[0]), "mem://%s-%d", name, (int)getpid());
	return u;
}

/* add - a stack of kind m on mem URL u, its vde0 up with address cidr
 * (NULL: none) and IPv6 without duplicate address detection.
 * Return: the stack. */
static struct vdestack *add(const char *u, enum member m, const char *cidr)
{
	struct vdestack *s;

	if (m == SWITCH && it_tun_opens()) {
		setenv("VDESTACK_LINK", "tap", 1);
		unsetenv("VDESTACK_BRIDGE");
	} else {
		setenv("VDESTACK_LINK", "veth", 1);
		if (m == KERNEL)
			unsetenv("VDESTACK_BRIDGE");
		else
			setenv("VDESTACK_BRIDGE", "off", 1);
	}
	s = it_addstack(u, NULL);
	it_stackcmd_ok(s, "/sbin/sysctl -q -w net.ipv6.conf.vde0.accept_dad=0");
	if (cidr)
		it_config_addr(s, "vde0", cidr);
	return s;
}

/* link_kind - "veth" or "tun": the driver of the stack's vde0, as ip -d
 * shows it.  Return: the kind, or "?". */
static const char *link_kind(struct vdestack *s)
{
	char out[4096];

	IT_CHECK(it_stackcmd_capture(s, "/bin/ip -d -o link show dev vde0",
				     false, out, sizeof(out)) == 0);
	if (strstr(out, " veth "))
		return "veth";
	if (strstr(out, " tun "))
		return "tun";
	return "?";
}

/* reaches_in - whether stack s gets an answer to a ping of ip within
 * tries pings of a second each.  Return: true when it does. */
static bool reaches_in(struct vdestack *s, const char *ip, int tries)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "/bin/ping -q -n -c 1 -W 1 %s", ip);
	for (int i = 0; i < tries; i++) {
		char out[2048];

		if (it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0)
			return true;
	}
	return false;
}

/* reaches - reaches_in with 5 tries. */
static bool reaches(struct vdestack *s, const char *ip)
{
	return reaches_in(s, ip, 5);
}

/* helper_links - how many interfaces whose name starts with prefix the
 * helper's base namespace has now (/proc/PID/net/dev of the helper,
 * which is in that namespace between requests).  Return: the count. */
static int helper_links(const char *prefix)
{
	char path[64], line[512];
	pid_t h = it_helper_pid(0);
	int n = 0;
	FILE *f;

	IT_CHECK(h > 0);
	/* any request is answered only after the previous one's work, the
	 * deletion of an empty bridge included: one makes it settle */
	vde_delstack(it_addstack("", NULL));
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)h);
	f = fopen(path, "r");
	IT_CHECKF(f, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
	}
	fclose(f);
	return n;
}

/* wait_links - wait (bounded) for the helper's count of prefix links to
 * become want (uplinks go with their namespace, in the kernel's time).
 * Return: the last count. */
static int wait_links(const char *prefix, int want)
{
	int n = -1;

	for (int i = 0; i < 200 && (n = helper_links(prefix)) != want; i++)
		it_sleep_ms(50);
	return n;
}

/* udp_jumbo - send one datagram of len bytes from stack a to b's ip
 * (port 7000) and check that it arrives whole (a few tries: the first may
 * wait for ARP).  Fails the test otherwise. */
static void udp_jumbo(struct vdestack *a, struct vdestack *b, const char *ip,
		      size_t len)
{
	static unsigned char out[65536], in[65536];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7000) };
	int rx = vde_msocket(b, AF_INET, SOCK_DGRAM, 0);
	int tx = vde_msocket(a, AF_INET, SOCK_DGRAM, 0);
	bool got = false;
	struct it_gen g;

	IT_CHECK(rx >= 0 && tx >= 0);
	IT_CHECK(inet_pton(AF_INET, ip, &to.sin_addr) == 1);
	IT_CHECK(bind(rx, (struct sockaddr *)&to, sizeof(to)) == 0);
	it_set_timeouts(rx, 500);
	it_gen_init(&g, len);
	it_gen_fill(&g, out, len);
	for (int i = 0; i < 10 && !got; i++) {
		ssize_t n;

		IT_CHECK(sendto(tx, out, len, 0, (struct sockaddr *)&to,
				sizeof(to)) == (ssize_t)len);
		n = recv(rx, in, sizeof(in), 0);
		if (n >= 0) {
			IT_CHECKF(n == (ssize_t)len && !memcmp(in, out, len),
				  "datagram of %zu bytes came as %zd", len, n);
			got = true;
		}
	}
	IT_CHECKF(got, "no datagram of %zu bytes to %s", len, ip);
	close(rx);
	close(tx);
}

/* test_mem_veth_members_are_joined_in_the_kernel - in auto mode (and as
 * root) a mem:// stack gets the veth link; its frames never reach the
 * application: no descriptor, no thread; TCP, ARP and IPv6 work. */
static void test_mem_veth_members_are_joined_in_the_kernel(void)
{
	const char *u = url("kern");
	struct vdestack *s[3];
	int fds, threads;

	it_require_stacks();
	vde_delstack(it_addstack("", NULL)); /* the helper, once */
	unsetenv("VDESTACK_LINK");
	unsetenv("VDESTACK_BRIDGE");
	fds = it_count_fds();
	threads = it_count_threads();
	s[0] = it_addstack((char *)u, NULL);
	s[1] = it_addstack((char *)u, NULL);
	s[2] = it_addstack((char *)u, NULL);
	IT_CHECKF(it_count_fds() == fds && it_count_threads() == threads,
		  "fds %d -> %d, threads %d -> %d", fds, it_count_fds(),
		  threads, it_count_threads());
	IT_CHECKF(!strcmp(link_kind(s[0]), "veth"), "%s", link_kind(s[0]));
	IT_CHECK(helper_links("vdsbr") == 1);
	for (int i = 0; i < 3; i++) {
		char cidr[32];

		it_stackcmd_ok(s[i], "/sbin/sysctl -q -w net.ipv6.conf.vde0.accept_dad=0");
		snprintf(cidr, sizeof(cidr), "10.0.0.%d/24", i + 1);
		it_config_addr(s[i], "vde0", cidr);
		snprintf(cidr, sizeof(cidr), "fd00::%d/64", i + 1);
		it_stackcmd_ok(s[i], "/bin/ip addr add %s dev vde0 nodad", cidr);
	}
	it_tcp_exchange(s[0], s[1], "10.0.0.1", 4u << 20, 11);
	it_tcp_exchange(s[2], s[0], "10.0.0.3", 1u << 20, 12);
	IT_CHECK(reaches(s[1], "fd00::3"));
	IT_CHECK(reaches(s[2], "10.0.0.2")); /* ARP broadcast to all */
	for (int i = 0; i < 3; i++)
		vde_delstack(s[i]);
}

/* test_mem_mixed_segment_carries_data_between_both_kinds - kernel members
 * and a member on the switch (a tap where /dev/net/tun opens) share one
 * segment through the uplink, both ways, every byte checked. */
static void test_mem_mixed_segment_carries_data_between_both_kinds(void)
{
	const char *u = url("mixed");
	struct vdestack *a, *b, *c;

	it_require_stacks();
	a = add(u, KERNEL, "10.0.0.1/24");
	b = add(u, SWITCH, "10.0.0.2/24");
	c = add(u, KERNEL, "10.0.0.3/24");
	IT_CHECKF(!strcmp(link_kind(b), it_tun_opens() ? "tun" : "veth"), "%s",
		  link_kind(b));
	IT_CHECK(helper_links("vdsu") == 1); /* one uplink */
	it_tcp_exchange(a, b, "10.0.0.1", 4u << 20, 21);
	it_tcp_exchange(b, c, "10.0.0.2", 4u << 20, 22);
	it_tcp_exchange(c, a, "10.0.0.3", 1u << 20, 23);
	it_stackcmd_ok(b, "/bin/ip addr add fd00::2/64 dev vde0 nodad");
	it_stackcmd_ok(c, "/bin/ip addr add fd00::3/64 dev vde0 nodad");
	IT_CHECK(reaches(b, "fd00::3"));
	vde_delstack(b);
	IT_CHECK(wait_links("vdsu", 0) == 0); /* the uplink goes with it */
	IT_CHECK(reaches(a, "10.0.0.3"));
	/* a switch member again: a new uplink (a new address: the old one's
	 * neighbour entries would name the old member's MAC for seconds) */
	b = add(u, SWITCH, "10.0.0.12/24");
	it_tcp_exchange(b, a, "10.0.0.12", 1u << 20, 24);
	vde_delstack(a);
	vde_delstack(c);
	IT_CHECK(wait_links("vdsu", 0) == 0 && helper_links("vdsbr") == 0);
	vde_delstack(b);
}

/* test_mem_switch_members_made_with_bridge_off_join_kernel_members - a
 * veth member left on the switch (VDESTACK_BRIDGE=off) reaches the kernel
 * members, whoever came first. */
static void test_mem_switch_members_made_with_bridge_off_join_kernel_members(void)
{
	const char *u = url("off");
	struct vdestack *a, *b, *c;

	it_require_stacks();
	a = add(u, VETH_PUMP, "10.0.0.1/24");
	b = add(u, KERNEL, "10.0.0.2/24");
	c = add(u, VETH_PUMP, "10.0.0.3/24");
	IT_CHECK(helper_links("vdsbr") == 1 && helper_links("vdsu") == 1);
	it_tcp_exchange(a, b, "10.0.0.1", 4u << 20, 31);
	it_tcp_exchange(b, c, "10.0.0.2", 1u << 20, 32);
	it_tcp_exchange(c, a, "10.0.0.3", 1u << 20, 33);
	vde_delstack(b);
	IT_CHECK(helper_links("vdsbr") == 0);
	IT_CHECK(reaches(a, "10.0.0.3")); /* the switch alone again */
	vde_delstack(a);
	vde_delstack(c);
	IT_CHECK(setenv("VDESTACK_BRIDGE", "maybe", 1) == 0);
	IT_CHECK_ERRNO(vde_addstack((char *)u, NULL) == NULL, EINVAL);
}

/* test_mem_segments_of_different_names_stay_apart - two names, the same
 * addresses, every kind of member: nothing crosses. */
static void test_mem_segments_of_different_names_stay_apart(void)
{
	const char *u1 = url("iso1"), *u2 = url("iso2");
	struct vdestack *a1, *b1, *a2, *b2;

	it_require_stacks();
	a1 = add(u1, KERNEL, "10.0.0.1/24");
	b1 = add(u1, SWITCH, "10.0.0.2/24");
	a2 = add(u2, KERNEL, "10.0.0.3/24");
	b2 = add(u2, KERNEL, "10.0.0.4/24");
	IT_CHECK(helper_links("vdsbr") == 2);
	IT_CHECK(reaches(a1, "10.0.0.2"));
	IT_CHECK(reaches(a2, "10.0.0.4"));
	/* (one try: a ping that answers, answers at once here) */
	IT_CHECK(!reaches_in(a1, "10.0.0.3", 1) && !reaches_in(a1, "10.0.0.4", 1));
	IT_CHECK(!reaches_in(b1, "10.0.0.3", 1) && !reaches_in(b2, "10.0.0.2", 1));
	vde_delstack(a1);
	vde_delstack(b1);
	vde_delstack(a2);
	vde_delstack(b2);
}

/* test_mem_segment_outlives_some_of_its_members - the first members go,
 * the others still talk, and a newcomer joins them. */
static void test_mem_segment_outlives_some_of_its_members(void)
{
	const char *u = url("outlive");
	struct vdestack *s[4], *n;

	it_require_stacks();
	s[0] = add(u, KERNEL, "10.0.0.1/24");
	s[1] = add(u, SWITCH, "10.0.0.2/24");
	s[2] = add(u, KERNEL, "10.0.0.3/24");
	s[3] = add(u, SWITCH, "10.0.0.4/24");
	vde_delstack(s[0]);
	vde_delstack(s[1]);
	it_tcp_exchange(s[2], s[3], "10.0.0.3", 1u << 20, 41);
	n = add(u, KERNEL, "10.0.0.5/24");
	it_tcp_exchange(n, s[2], "10.0.0.5", 1u << 20, 42);
	it_tcp_exchange(s[3], n, "10.0.0.4", 1u << 20, 43);
	IT_CHECK(helper_links("vdsbr") == 1);
	vde_delstack(s[2]);
	vde_delstack(s[3]);
	vde_delstack(n);
}

/* test_mem_bridges_go_with_their_last_member - many segments made and
 * deleted leave no bridge, uplink, descriptor or thread behind. */
static void test_mem_bridges_go_with_their_last_member(void)
{
	int fds, threads;

	it_require_stacks();
	vde_delstack(add(url("warm"), SWITCH, NULL)); /* helper, loop */
	fds = it_count_fds();
	threads = it_count_threads();
	for (int i = 0; i < 20; i++) {
		char name[32];
		const char *u;
		struct vdestack *a, *b, *c;

		snprintf(name, sizeof(name), "many%d", i);
		u = url(name);
		a = add(u, KERNEL, NULL);
		b = add(u, i % 2 ? SWITCH : KERNEL, NULL);
		c = add(u, KERNEL, NULL);
		IT_CHECK(helper_links("vdsbr") == 1);
		vde_delstack(a);
		vde_delstack(b);
		vde_delstack(c);
		IT_CHECK(helper_links("vdsbr") == 0);
	}
	IT_CHECK(wait_links("vdsu", 0) == 0);
	IT_CHECKF(it_count_fds() == fds && it_count_threads() == threads,
		  "fds %d -> %d, threads %d -> %d", fds, it_count_fds(),
		  threads, it_count_threads());
}

/* test_mem_jumbo_frames_cross_both_kinds_of_member - MTU 65520 on every
 * member: a 65000-byte datagram crosses bridge, uplink, switch and the
 * veth link's packet socket whole. */
static void test_mem_jumbo_frames_cross_both_kinds_of_member(void)
{
	const char *u = url("jumbo");
	struct vdestack *s[4];

	it_require_stacks();
	s[0] = add(u, KERNEL, "10.0.0.1/24");
	s[1] = add(u, KERNEL, "10.0.0.2/24");
	s[2] = add(u, SWITCH, "10.0.0.3/24");
	s[3] = add(u, VETH_PUMP, "10.0.0.4/24");
	for (int i = 0; i < 4; i++)
		it_stackcmd_ok(s[i], "/bin/ip link set vde0 mtu 65520");
	udp_jumbo(s[0], s[1], "10.0.0.2", 65000);
	udp_jumbo(s[0], s[2], "10.0.0.3", 65000);
	udp_jumbo(s[2], s[1], "10.0.0.2", 65000);
	udp_jumbo(s[1], s[3], "10.0.0.4", 65000);
	udp_jumbo(s[3], s[2], "10.0.0.3", 65000);
	it_tcp_exchange(s[2], s[0], "10.0.0.3", 4u << 20, 51);
	it_tcp_exchange(s[3], s[1], "10.0.0.4", 4u << 20, 52);
	for (int i = 0; i < 4; i++)
		vde_delstack(s[i]);
}

/* test_mem_kernel_members_made_now_and_then_take_pairs_made_ahead - once a
 * stack has joined a bridge, the helper's worker keeps namespaces whose
 * vde0 and peer are made ahead (peers vdsq*, vdestack(3) "the pool"): the
 * next member takes one (no new vdsp* peer is made for it) and carries
 * TCP and IPv6 like the others; a member with another interface name
 * gets a pair made for it; deleting them leaves no pair behind but the
 * pool's. */
static void test_mem_kernel_members_made_now_and_then_take_pairs_made_ahead(void)
{
	const char *u = url("ahead");
	struct vdestack *s[3];
	int made, spares;
	char out[4096];

	it_require_stacks();
	unsetenv("VDESTACK_NSPOOL"); /* the default pool, of 2 */
	s[0] = add(u, KERNEL, "10.0.0.1/24");
	spares = wait_links("vdsq", 2);
	IT_CHECKF(spares == 2, "%d pairs made ahead, not 2", spares);
	made = helper_links("vdsp");
	s[1] = add(u, KERNEL, "10.0.0.2/24");
	IT_CHECKF(helper_links("vdsp") == made, "a pair was made: %d -> %d",
		  made, helper_links("vdsp"));
	IT_CHECKF(!strcmp(link_kind(s[1]), "veth"), "%s", link_kind(s[1]));
	/* another name: not from the pool */
	setenv("VDESTACK_LINK", "veth", 1);
	s[2] = it_addstack((char *)u, "eth7");
	IT_CHECKF(helper_links("vdsp") == made + 1, "%d pairs, %d before",
		  helper_links("vdsp"), made);
	IT_CHECK(it_stackcmd_capture(s[2], "/bin/ip -o link show dev eth7",
				     false, out, sizeof(out)) == 0);
	it_stackcmd_ok(s[2], "/sbin/sysctl -q -w net.ipv6.conf.eth7.accept_dad=0");
	it_config_addr(s[2], "eth7", "10.0.0.3/24");
	it_stackcmd_ok(s[0], "/bin/ip addr add fd00::1/64 dev vde0 nodad");
	it_stackcmd_ok(s[1], "/bin/ip addr add fd00::2/64 dev vde0 nodad");
	it_tcp_exchange(s[0], s[1], "10.0.0.1", 4u << 20, 61);
	it_tcp_exchange(s[1], s[2], "10.0.0.2", 1u << 20, 62);
	IT_CHECK(reaches(s[0], "fd00::2"));
	IT_CHECK(reaches(s[2], "10.0.0.1"));
	for (int i = 0; i < 3; i++)
		vde_delstack(s[i]);
	/* the deleted stacks' pairs go with their namespaces, in the
	 * kernel's own time; the pool's stay */
	spares = wait_links("vdsq", 2);
	IT_CHECKF(spares == 2, "%d pairs made ahead, not 2", spares);
	spares = wait_links("vdsp", made - 1);
	IT_CHECKF(spares == made - 1, "%d pairs made for stacks, not %d",
		  spares, made - 1);
}

/* test_mem_stacks_beyond_a_full_bridge_still_share_the_segment - a bridge
 * takes 1022 stacks (vdestack(3)), with no descriptor in the application;
 * the next ones go on the switch, with one each and one for the uplink,
 * and reach the others. */
static void test_mem_stacks_beyond_a_full_bridge_still_share_the_segment(void)
{
	enum { N = 1030, FULL = 1022 };
	static struct vdestack *s[N];
	static const int pick[] = { 0, FULL - 1, FULL, N - 1 };
	const char *u = url("full");
	int fds;

	it_require_stacks();
	vde_delstack(it_addstack("", NULL));
	fds = it_count_fds();
	setenv("VDESTACK_LINK", "veth", 1);
	unsetenv("VDESTACK_BRIDGE");
	for (int i = 0; i < FULL; i++)
		s[i] = it_addstack(u, NULL);
	IT_CHECKF(it_count_fds() == fds, "fds %d -> %d", fds, it_count_fds());
	for (int i = FULL; i < N; i++)
		s[i] = it_addstack(u, NULL);
	/* one per stack on the switch, one for the uplink (and the loop's) */
	IT_CHECKF(it_count_fds() >= fds + (N - FULL) + 1, "fds %d -> %d", fds,
		  it_count_fds());
	for (unsigned k = 0; k < VDS_ARRAY_LEN(pick); k++) {
		char cidr[32];

		snprintf(cidr, sizeof(cidr), "10.0.%d.%d/16", pick[k] / 250,
			 pick[k] % 250 + 1);
		it_config_addr(s[pick[k]], "vde0", cidr);
	}
	for (unsigned a = 0; a < VDS_ARRAY_LEN(pick); a++) {
		for (unsigned b = 0; b < VDS_ARRAY_LEN(pick); b++) {
			char ip[32];

			if (a == b)
				continue;
			snprintf(ip, sizeof(ip), "10.0.%d.%d", pick[b] / 250,
				 pick[b] % 250 + 1);
			/* 1030 new interfaces each send IPv6 solicitations
			 * and reports that the bridge floods to all the
			 * others: on a loaded machine the segment takes
			 * seconds to calm down, so more tries (bounded) */
			IT_CHECKF(reaches_in(s[pick[a]], ip, 30), "%d -> %d",
				  pick[a], pick[b]);
		}
	}
	for (int i = 0; i < N; i++)
		vde_delstack(s[i]);
	IT_CHECK(helper_links("vdsbr") == 0);
}

#define T(name) { #name, test_##name }
static const struct it_test tests[] = {
	T(mem_veth_members_are_joined_in_the_kernel),
	T(mem_mixed_segment_carries_data_between_both_kinds),
	T(mem_switch_members_made_with_bridge_off_join_kernel_members),
	T(mem_segments_of_different_names_stay_apart),
	T(mem_segment_outlives_some_of_its_members),
	T(mem_bridges_go_with_their_last_member),
	T(mem_jumbo_frames_cross_both_kinds_of_member),
	T(mem_kernel_members_made_now_and_then_take_pairs_made_ahead),
	T(mem_stacks_beyond_a_full_bridge_still_share_the_segment),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
