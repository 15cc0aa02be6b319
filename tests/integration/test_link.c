/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_link.c - test networks through the public API: link conditions
 * (vde_stacklink), captures (vde_stackpcap, read back by Debian's
 * tcpdump) and counters (vde_stackstats), each on three links: mem://
 * with both stacks joined on the kernel bridge (conditions move a stack
 * to the pump while they last), mem:// on the in-process switch (taps
 * where /dev/net/tun opens, else veth pumped), and udp:// between two
 * ports of 127.0.0.1 (a tap or a veth as the environment gives).
 *
 * Effects are measured, not assumed: UDP round trips for delay and
 * jitter (lower bounds that no load can break, generous upper ones),
 * counted datagrams for loss, duplication, reordering and corruption
 * (the 99.99 % binomial interval), a TCP stream for rate (loose bounds)
 * and MTU, a burst of datagrams for a rate's queue, a TCP connection
 * across a 3 s cut.  Stacks have IPv6 off and
 * permanent neighbour entries, so that only the test's own frames cross
 * and the counters can be checked exactly. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define A_ID 1
#define B_ID 2
#define UDP_PORT 5000
#define TCP_PORT 6000
#define FENCE UINT32_MAX        /* a datagram's tag: the end of a run */
#define FENCE_EVERY_MS 100
#define WAIT_MS 30000           /* bound of every wait (a hang) */
#define PACE_WINDOW 64          /* datagrams in flight, at most */
#define PACE_STALL_MS 20
#define Z_9999 3.891            /* two-sided 99.99 % normal quantile */
#define ETH_IP_UDP (14 + 20 + 8)
#define N_CHANCE 2000
#define WARM_EVERY_MS 100       /* a new pair's warm-up datagrams */

enum kind { MEM_KERNEL, MEM_SWITCH, UDP_LINK, KINDS };

static const char *const kind_name[KINDS] = {
	[MEM_KERNEL] = "mem:// on the bridge",
	[MEM_SWITCH] = "mem:// on the switch",
	[UDP_LINK] = "udp://",
};

/* The environment's VDESTACK_LINK, which the udp:// pairs keep. */
static char env_link[32];
static bool env_link_set;

/* Two stacks a (10.0.0.1) and b (10.0.0.2) on one link, and a UDP
 * socket each, connected to the other. */
struct pair {
	enum kind kind;
	struct vdestack *a, *b;
	int ua, ub;
};

/* save_env - remember VDESTACK_LINK as the test started. */
static void save_env(void)
{
	const char *v = getenv("VDESTACK_LINK");

	env_link_set = v != NULL;
	snprintf(env_link, sizeof(env_link), "%s", v ? v : "");
}

/* link_env - the environment vde_addstack reads for a stack of kind k. */
static void link_env(enum kind k)
{
	unsetenv("VDESTACK_BRIDGE");
	if (k == MEM_KERNEL) {
		setenv("VDESTACK_LINK", "veth", 1);
	} else if (k == MEM_SWITCH && it_tun_opens()) {
		setenv("VDESTACK_LINK", "tap", 1);
	} else if (k == MEM_SWITCH) {
		setenv("VDESTACK_LINK", "veth", 1);
		setenv("VDESTACK_BRIDGE", "off", 1);
	} else if (env_link_set) {
		setenv("VDESTACK_LINK", env_link, 1);
	} else {
		unsetenv("VDESTACK_LINK");
	}
}

/* stack_setup - vde0 of s as 10.0.0.me with MAC 02::me, IPv6 off, and
 * (neigh) a permanent neighbour entry for 10.0.0.peer: no ARP, no
 * neighbour discovery, nothing crosses but what the test sends. */
static void stack_setup(struct vdestack *s, int me, int peer, bool neigh)
{
	it_stackcmd_ok(s, "/sbin/sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 "
		       "net.ipv6.conf.default.disable_ipv6=1 "
		       "net.ipv6.conf.vde0.disable_ipv6=1");
	it_stackcmd_ok(s, "/bin/ip link set vde0 address 02:00:00:00:00:%02x",
		       me);
	it_stackcmd_ok(s, "/bin/ip addr add 10.0.0.%d/24 dev vde0", me);
	it_stackcmd_ok(s, "/bin/ip link set vde0 up");
	if (neigh)
		it_stackcmd_ok(s, "/bin/ip neigh replace 10.0.0.%d lladdr "
			       "02:00:00:00:00:%02x dev vde0 nud permanent",
			       peer, peer);
}

/* sin_of - 10.0.0.id:port.  Return: the address. */
static struct sockaddr_in sin_of(int id, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(0x0a000000u | (uint32_t)id);
	return sin;
}

/* udp_socket - a UDP socket of s on 10.0.0.me, connected to peer, non-
 * blocking.  Return: it (checked). */
static int udp_socket(struct vdestack *s, int me, int peer)
{
	struct sockaddr_in here = sin_of(me, UDP_PORT), there = sin_of(peer, UDP_PORT);
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	IT_CHECK(fd >= 0);
	IT_CHECK(bind(fd, (struct sockaddr *)&here, sizeof(here)) == 0);
	IT_CHECK(connect(fd, (struct sockaddr *)&there, sizeof(there)) == 0);
	return fd;
}

/* warm_one - datagrams of one byte, a sequence number, from the socket
 * from to to, a new one every WARM_EVERY_MS until the last one sent
 * arrives: the path is first in, first out, so nothing of the warm-up
 * is left on its way after that. */
static void warm_one(int from, int to)
{
	struct pollfd pfd = { .fd = to, .events = POLLIN };
	int64_t end = it_now_ms() + WAIT_MS;
	unsigned char seq = 0, got[2];
	bool last = false;

	while (!last) {
		IT_CHECKF(it_now_ms() < end, "nothing crossed a new pair in "
			  "%d ms", WAIT_MS);
		seq++;
		IT_CHECK(send(from, &seq, 1, 0) == 1);
		if (poll(&pfd, 1, WARM_EVERY_MS) != 1)
			continue;
		while (recv(to, got, sizeof(got), 0) == 1)
			last = last || got[0] == seq;
	}
}

/* warm_up - a datagram each way before the test's own: a bridge port
 * forwards once the kernel's link watch (a work item) has seen the
 * stack's end of a veth come up, so the first frames after
 * "ip link set vde0 up" may be lost on a loaded machine, before any
 * condition is set: not what the tests measure. */
static void warm_up(struct pair *p)
{
	warm_one(p->ua, p->ub);
	warm_one(p->ub, p->ua);
}

/* pair_make - two stacks on a link of kind k, set up (neigh: permanent
 * neighbour entries, and a datagram each way already crossed; without
 * them the first frames are the test's, ARP's, which resends).
 * Return: the pair. */
static struct pair pair_make(enum kind k, bool neigh)
{
	static unsigned serial;
	struct pair p = { .kind = k };
	char ua[128], ub[128];

	if (k == UDP_LINK) {
		uint16_t pa, pb;

		it_free_udp_ports(&pa, &pb);
		snprintf(ua, sizeof(ua), "udp://127.0.0.1:%u->127.0.0.1:%u",
			 pa, pb);
		snprintf(ub, sizeof(ub), "udp://127.0.0.1:%u->127.0.0.1:%u",
			 pb, pa);
	} else {
		snprintf(ua, sizeof(ua), "mem://link-%d-%u", (int)getpid(),
			 serial++);
		snprintf(ub, sizeof(ub), "%s", ua);
	}
	link_env(k);
	p.a = it_addstack(ua, NULL);
	p.b = it_addstack(ub, NULL);
	stack_setup(p.a, A_ID, B_ID, neigh);
	stack_setup(p.b, B_ID, A_ID, neigh);
	p.ua = udp_socket(p.a, A_ID, B_ID);
	p.ub = udp_socket(p.b, B_ID, A_ID);
	if (neigh)
		warm_up(&p);
	return p;
}

/* pair_free - close and delete everything of p. */
static void pair_free(struct pair *p)
{
	close(p->ua);
	close(p->ub);
	vde_delstack(p->b);
	vde_delstack(p->a);
}

/* link_ok - vde_stacklink that must succeed. */
static void link_ok(struct vdestack *s, const char *spec)
{
	IT_CHECKF(vde_stacklink(s, spec) == 0, "vde_stacklink \"%s\": %s",
		  spec, strerror(errno));
}

/* stats - the counters of s (checked).  Return: them. */
static struct vde_stackstats stats(struct vdestack *s)
{
	struct vde_stackstats st;

	IT_CHECKF(vde_stackstats(s, &st, sizeof(st)) == (int)sizeof(st),
		  "vde_stackstats: %s", strerror(errno));
	return st;
}

/* ------------------------------------------------------------------ */
/* Datagrams                                                            */
/* ------------------------------------------------------------------ */

/* dgram_fill - a datagram of size bytes: its tag, then bytes that
 * depend on it (so that damage shows). */
static void dgram_fill(unsigned char *buf, size_t size, uint32_t tag)
{
	memcpy(buf, &tag, sizeof(tag));
	for (size_t i = sizeof(tag); i < size; i++)
		buf[i] = (unsigned char)(tag * 31 + i * 7);
}

/* dgram_intact - whether buf (len bytes) is a datagram as dgram_fill
 * made it.  Return: true with *ret_tag if so. */
static bool dgram_intact(const unsigned char *buf, size_t len, size_t size,
			 uint32_t *ret_tag)
{
	uint32_t tag;

	if (len != size || len < sizeof(tag))
		return false;
	memcpy(&tag, buf, sizeof(tag));
	for (size_t i = sizeof(tag); i < size; i++)
		if (buf[i] != (unsigned char)(tag * 31 + i * 7))
			return false;
	*ret_tag = tag;
	return true;
}

/* What a run of datagrams from a to b gave. */
struct run {
	unsigned n;             /* datagrams sent, fences apart */
	size_t size;
	unsigned char *count;   /* arrivals of each tag (capped) */
	uint32_t *order;        /* tags in arrival order */
	unsigned arrivals;      /* of datagrams, duplicates included */
	unsigned bad;           /* damaged ones that got through */
	unsigned fences_sent, fences_got;
	struct vde_stackstats a0, b0; /* the counters before */
};

/* drain - read what b has now (wait_ms at most for the first).
 * Return: the datagrams read. */
static unsigned drain(struct pair *p, struct run *r, int wait_ms)
{
	static unsigned char buf[70000];
	struct pollfd pfd = { .fd = p->ub, .events = POLLIN };
	unsigned got = 0;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return 0;
	for (;;) {
		ssize_t len = recv(p->ub, buf, sizeof(buf), 0);
		uint32_t tag;

		if (len < 0)
			break;
		got++;
		if (!dgram_intact(buf, (size_t)len, r->size, &tag)) {
			r->bad++;
		} else if (tag == FENCE) {
			r->fences_got++;
		} else if (tag < r->n) {
			if (r->count[tag] < 255)
				r->count[tag]++;
			r->order[r->arrivals++ % (2 * r->n)] = tag;
		} else {
			r->bad++;
		}
	}
	return got;
}

/* accounted - datagrams whose fate the counters or b know: arrived, or
 * dropped by a's out or b's in conditions, less the copies made.
 * Return: how many. */
static long accounted(struct pair *p, const struct run *r)
{
	struct vde_stackstats a = stats(p->a), b = stats(p->b);

	return (long)r->arrivals + r->bad +
	       (long)(a.out_link_drops - r->a0.out_link_drops) +
	       (long)(b.in_link_drops - r->b0.in_link_drops) -
	       (long)(a.out_dups - r->a0.out_dups) -
	       (long)(b.in_dups - r->b0.in_dups);
}

/* send_one - one datagram of a (retried while the socket is full). */
static void send_one(struct pair *p, const struct run *r, uint32_t tag)
{
	static unsigned char buf[70000];
	int64_t end = it_now_ms() + WAIT_MS;

	dgram_fill(buf, r->size, tag);
	while (send(p->ua, buf, r->size, 0) < 0) {
		IT_CHECKF(errno == EAGAIN || errno == ENOBUFS, "send: %s",
			  strerror(errno));
		IT_CHECK(it_now_ms() < end);
		it_sleep_ms(1);
	}
}

/* pace - wait (briefly) while more than PACE_WINDOW datagrams are on
 * their way: bounded in-flight keeps the interfaces' queues from
 * dropping what the test would take for the link's doing.  Only a pace:
 * a datagram lost where nothing counts it stalls it PACE_STALL_MS. */
static void pace(struct pair *p, struct run *r, unsigned sent)
{
	int64_t end = it_now_ms() + PACE_STALL_MS;

	drain(p, r, 0);
	if (sent % 16)
		return;
	while ((long)sent - accounted(p, r) > PACE_WINDOW &&
	       it_now_ms() < end)
		drain(p, r, 2);
}

/* run_dgrams - n datagrams of size bytes from a to b, paced, then a
 * fence every FENCE_EVERY_MS until one arrives, then quiet_ms for
 * stragglers (delayed frames a reordered fence overtook).
 * Return: the run (free with run_free). */
static struct run run_dgrams(struct pair *p, unsigned n, size_t size,
			     int quiet_ms)
{
	struct run r = { .n = n, .size = size };
	int64_t end;

	r.count = calloc(n, 1);
	r.order = calloc(2 * (size_t)n, sizeof(*r.order));
	IT_CHECK(r.count && r.order);
	r.a0 = stats(p->a);
	r.b0 = stats(p->b);
	for (unsigned i = 0; i < n; i++) {
		send_one(p, &r, i);
		pace(p, &r, i + 1);
	}
	end = it_now_ms() + WAIT_MS;
	while (!r.fences_got) {
		IT_CHECKF(it_now_ms() < end, "no fence arrived in %d ms",
			  WAIT_MS);
		send_one(p, &r, FENCE);
		r.fences_sent++;
		drain(p, &r, FENCE_EVERY_MS);
	}
	end = it_now_ms() + quiet_ms;
	while (it_now_ms() < end)
		drain(p, &r, 10);
	return r;
}

/* run_free - what run_dgrams allocated. */
static void run_free(struct run *r)
{
	free(r->count);
	free(r->order);
}

/* unique - datagrams of r that arrived at least once.  Return: count. */
static unsigned unique(const struct run *r)
{
	unsigned u = 0;

	for (unsigned i = 0; i < r->n; i++)
		u += r->count[i] > 0;
	return u;
}

/* root - a square root (Newton's method: no libm).  Return: it. */
static double root(double x)
{
	double y = x > 1 ? x : 1;

	for (int i = 0; i < 60; i++)
		y = (y + x / y) / 2;
	return y;
}

/* check_binomial - k events of n, each of chance prob: within the 99.99 %
 * interval (and slack events more either way). */
static void check_binomial(const char *what, unsigned long k, unsigned n,
			   double prob, double slack)
{
	double mean = n * prob, sd = root(n * prob * (1 - prob));
	double lo = mean - Z_9999 * sd - slack, hi = mean + Z_9999 * sd + slack;

	IT_CHECKF(k >= lo && k <= hi, "%s: %lu of %u, expected %.0f (%.0f to "
		  "%.0f)", what, k, n, mean, lo, hi);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                          */
/* ------------------------------------------------------------------ */

/* rtt_us - one datagram from a to b and back (b answers at once).
 * Return: the round trip in microseconds. */
static int64_t rtt_us(struct pair *p)
{
	static uint32_t probe = 0x70000000;
	unsigned char buf[64];
	struct pollfd pb = { .fd = p->ub, .events = POLLIN };
	struct pollfd pa = { .fd = p->ua, .events = POLLIN };
	uint32_t tag = probe++, got;
	struct timespec t0, t1;
	ssize_t len;

	dgram_fill(buf, sizeof(buf), tag);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	IT_CHECK(send(p->ua, buf, sizeof(buf), 0) == sizeof(buf));
	do {
		IT_CHECKF(poll(&pb, 1, WAIT_MS) == 1, "%s: no probe arrived",
			  kind_name[p->kind]);
		len = recv(p->ub, buf, sizeof(buf), 0);
	} while (len < 0 || !dgram_intact(buf, (size_t)len, sizeof(buf), &got) ||
		 got != tag);
	IT_CHECK(send(p->ub, buf, sizeof(buf), 0) == sizeof(buf));
	do {
		IT_CHECKF(poll(&pa, 1, WAIT_MS) == 1, "%s: no answer arrived",
			  kind_name[p->kind]);
		len = recv(p->ua, buf, sizeof(buf), 0);
	} while (len < 0 || !dgram_intact(buf, (size_t)len, sizeof(buf), &got) ||
		 got != tag);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) * 1000000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000;
}

/* cmp64 - qsort order of int64_t. */
static int cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* rtts - n round trips, sorted, into out.  Return: the median. */
static int64_t rtts(struct pair *p, int64_t *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = rtt_us(p);
	qsort(out, n, sizeof(*out), cmp64);
	return out[n / 2];
}

/* each_kind - run fn on a fresh pair of every kind (neigh: permanent
 * neighbour entries), reporting which kind it is on. */
static void each_kind(void (*fn)(struct pair *p), bool neigh)
{
	it_require_network();
	save_env();
	for (int k = 0; k < KINDS; k++) {
		struct pair p = pair_make((enum kind)k, neigh);

		fprintf(stderr, "-- on %s (VDESTACK_LINK=%s)\n", kind_name[k],
			getenv("VDESTACK_LINK") ? getenv("VDESTACK_LINK") : "");
		fn(&p);
		pair_free(&p);
	}
}

/* ------------------------------------------------------------------ */
/* Timing: delay, jitter                                                */
/* ------------------------------------------------------------------ */

/* Generous upper bound of a round trip on a loaded machine (a stall is
 * not the link's): lower bounds are the checks. */
#define RTT_SLACK_US (3 * 1000 * 1000)
/* What a release may come early by (VDS_LINKCOND_SLACK_NS), per delay. */
#define EARLY_US 20

/* delay_on - delay=200ms both ways on a: every round trip at least
 * 400 ms; then dir=out,delay=100ms replaces out only: at least 300 ms;
 * and b, unconditioned, adds nothing. */
static void delay_on(struct pair *p)
{
	int64_t t[5], med;

	link_ok(p->a, "delay=200ms");
	med = rtts(p, t, 5);
	IT_CHECKF(t[0] >= 400000 - 2 * EARLY_US, "round trip %lld us < 400 ms",
		  (long long)t[0]);
	IT_CHECKF(med <= 400000 + RTT_SLACK_US, "median %lld us",
		  (long long)med);
	fprintf(stderr, "   delay=200ms: median round trip %lld us\n",
		(long long)med);
	link_ok(p->a, "dir=out,delay=100ms");
	med = rtts(p, t, 5);
	IT_CHECKF(t[0] >= 300000 - 2 * EARLY_US, "round trip %lld us < 300 ms",
		  (long long)t[0]);
	IT_CHECKF(med <= 300000 + RTT_SLACK_US, "median %lld us",
		  (long long)med);
	link_ok(p->a, "clear");
}

/* test_link_delay_lengthens_round_trips_on_every_link */
static void test_link_delay_lengthens_round_trips_on_every_link(void)
{
	each_kind(delay_on, true);
}

/* jitter_on - delay=40ms,jitter=30ms both ways: round trips of at least
 * 2 x 10 ms, spread out; and frames sent back to back keep their order. */
static void jitter_on(struct pair *p)
{
	int64_t t[15];
	struct run r;

	link_ok(p->a, "delay=40ms,jitter=30ms");
	rtts(p, t, 15);
	IT_CHECKF(t[0] >= 20000 - 2 * EARLY_US, "round trip %lld us < 20 ms",
		  (long long)t[0]);
	IT_CHECKF(t[14] <= 140000 + RTT_SLACK_US, "round trip %lld us",
		  (long long)t[14]);
	IT_CHECKF(t[14] - t[0] >= 5000, "no spread: %lld to %lld us",
		  (long long)t[0], (long long)t[14]);
	fprintf(stderr, "   jitter: round trips %lld to %lld us\n",
		(long long)t[0], (long long)t[14]);
	r = run_dgrams(p, 500, 64, 0);
	IT_CHECK(r.arrivals == 500 && unique(&r) == 500);
	for (unsigned i = 0; i < r.arrivals; i++)
		IT_CHECKF(r.order[i] == i, "datagram %u arrived %u-th",
			  r.order[i], i);
	run_free(&r);
	link_ok(p->a, "clear");
}

/* test_link_jitter_spreads_round_trips_and_keeps_order */
static void test_link_jitter_spreads_round_trips_and_keeps_order(void)
{
	each_kind(jitter_on, true);
}

/* ------------------------------------------------------------------ */
/* Chance: loss, bursts, dup, reorder, corrupt                          */
/* ------------------------------------------------------------------ */

/* loss_on - loss=30%,dir=out: what arrives within the interval, each
 * datagram once, and every missing one counted as a drop. */
static void loss_on(struct pair *p)
{
	struct vde_stackstats a;
	struct run r;

	link_ok(p->a, "loss=30%,dir=out");
	r = run_dgrams(p, N_CHANCE, 64, 200);
	a = stats(p->a);
	check_binomial("lost", N_CHANCE - unique(&r), N_CHANCE, 0.30, 0);
	IT_CHECK(r.arrivals == unique(&r) && r.bad == 0);
	IT_CHECKF(a.out_link_drops - r.a0.out_link_drops ==
		  N_CHANCE - r.arrivals + r.fences_sent - r.fences_got,
		  "drops counted %llu, lost %u",
		  (unsigned long long)(a.out_link_drops - r.a0.out_link_drops),
		  N_CHANCE - r.arrivals + r.fences_sent - r.fences_got);
	fprintf(stderr, "   loss=30%%: %u of %u lost\n",
		N_CHANCE - unique(&r), N_CHANCE);
	run_free(&r);
	link_ok(p->a, "clear");
}

/* test_link_loss_drops_its_share_of_datagrams */
static void test_link_loss_drops_its_share_of_datagrams(void)
{
	each_kind(loss_on, true);
}

/* burst_on - loss=20%/4, in: losses come in runs of four on average. */
static void burst_on(struct pair *p)
{
	unsigned lost = 0, runs = 0, n = 2 * N_CHANCE;
	struct run r;
	double mean;

	link_ok(p->b, "loss=20%/4,dir=in");
	r = run_dgrams(p, n, 64, 200);
	for (unsigned i = 0; i < n; i++) {
		if (r.count[i])
			continue;
		lost++;
		runs += i == 0 || r.count[i - 1];
	}
	mean = runs ? (double)lost / runs : 0;
	fprintf(stderr, "   loss=20%%/4: %u lost in %u bursts (%.2f)\n", lost,
		runs, mean);
	/* correlated losses: wider bounds than independent ones' */
	IT_CHECKF(lost > n / 10 && lost < n * 3 / 10, "lost %u of %u", lost, n);
	IT_CHECKF(mean > 2.5 && mean < 6.5, "mean burst %.2f", mean);
	run_free(&r);
	link_ok(p->b, "clear");
}

/* test_link_burst_loss_loses_runs_of_datagrams */
static void test_link_burst_loss_loses_runs_of_datagrams(void)
{
	each_kind(burst_on, true);
}

/* dup_on - dup=10%,dir=out: that share arrives twice, and the copies
 * are the counter's. */
static void dup_on(struct pair *p)
{
	unsigned twice = 0;
	struct vde_stackstats a;
	struct run r;

	link_ok(p->a, "dup=10%,dir=out");
	r = run_dgrams(p, N_CHANCE, 64, 200);
	for (unsigned i = 0; i < N_CHANCE; i++)
		twice += r.count[i] == 2;
	a = stats(p->a);
	IT_CHECK(unique(&r) == N_CHANCE && r.bad == 0);
	check_binomial("duplicated", twice, N_CHANCE, 0.10, 0);
	IT_CHECKF(a.out_dups - r.a0.out_dups ==
		  r.arrivals - N_CHANCE + r.fences_got - r.fences_sent,
		  "copies counted %llu, arrived %u",
		  (unsigned long long)(a.out_dups - r.a0.out_dups),
		  r.arrivals - N_CHANCE + r.fences_got - r.fences_sent);
	fprintf(stderr, "   dup=10%%: %u of %u twice\n", twice, N_CHANCE);
	run_free(&r);
	link_ok(p->a, "clear");
}

/* test_link_dup_delivers_its_share_twice */
static void test_link_dup_delivers_its_share_twice(void)
{
	each_kind(dup_on, true);
}

/* early - datagrams of r that arrived ahead of one sent before them.
 * Return: how many. */
static unsigned early(const struct run *r)
{
	uint32_t low = UINT32_MAX;
	unsigned k = 0;

	for (unsigned i = r->arrivals; i-- > 0;) {
		if (r->order[i] > low)
			k++;
		if (r->order[i] < low)
			low = r->order[i];
	}
	return k;
}

/* reorder_on - delay=20ms,reorder=25%,dir=out: a quarter of the
 * datagrams overtake delayed ones; all arrive. */
static void reorder_on(struct pair *p)
{
	struct run r;
	unsigned k;

	link_ok(p->a, "delay=20ms,reorder=25%,dir=out");
	r = run_dgrams(p, N_CHANCE, 64, 500);
	k = early(&r);
	fprintf(stderr, "   reorder=25%%: %u of %u ahead\n", k, N_CHANCE);
	IT_CHECK(unique(&r) == N_CHANCE && r.arrivals == N_CHANCE);
	/* a reordered datagram with nothing delayed to overtake is not
	 * seen: a little slack below */
	check_binomial("ahead", k, N_CHANCE, 0.25, 0.02 * N_CHANCE);
	run_free(&r);
	link_ok(p->a, "clear");
}

/* test_link_reorder_sends_a_share_ahead */
static void test_link_reorder_sends_a_share_ahead(void)
{
	each_kind(reorder_on, true);
}

/* corrupt_on - corrupt=20%,dir=out: a corrupted datagram fails its
 * checksum at b (all but the few bits no checksum covers: the source
 * MAC), so that share is missing; none arrives damaged; no drop is
 * counted (the link delivered them). */
static void corrupt_on(struct pair *p)
{
	const size_t size = 200;
	double harmless = 48.0 / ((ETH_IP_UDP + size) * 8);
	struct vde_stackstats a;
	struct run r;
	unsigned missing;

	link_ok(p->a, "corrupt=20%,dir=out");
	r = run_dgrams(p, N_CHANCE, size, 200);
	a = stats(p->a);
	missing = N_CHANCE - unique(&r);
	fprintf(stderr, "   corrupt=20%%: %u of %u missing, %u damaged\n",
		missing, N_CHANCE, r.bad);
	IT_CHECKF(r.bad == 0, "%u damaged datagrams got through", r.bad);
	check_binomial("corrupted away", missing, N_CHANCE,
		       0.20 * (1 - harmless), 0.01 * N_CHANCE);
	IT_CHECK(a.out_link_drops == r.a0.out_link_drops);
	run_free(&r);
	link_ok(p->a, "clear");
}

/* test_link_corrupt_damages_its_share_of_frames */
static void test_link_corrupt_damages_its_share_of_frames(void)
{
	each_kind(corrupt_on, true);
}

/* ------------------------------------------------------------------ */
/* TCP: rate, mtu, partitions                                           */
/* ------------------------------------------------------------------ */

/* A TCP stream from a to b: a's sender thread, b's end read here. */
struct stream {
	int lfd, afd, bfd;        /* b's listener, a's end, b's end */
	size_t bytes;
	uint64_t seed;
	pthread_t th;
	int err;                  /* the sender's: 0 or -errno */
	atomic_size_t got;        /* bytes b has read */
};

/* sender - a's thread: the stream, then its end. */
static void *sender(void *arg)
{
	struct stream *st = arg;

	st->err = it_send_stream(st->afd, st->bytes, st->seed);
	shutdown(st->afd, SHUT_WR);
	return NULL;
}

/* stream_open - a connection from a to b, and its sender started.
 * Return: nothing (st filled). */
static void stream_open(struct pair *p, struct stream *st, size_t bytes,
			uint64_t seed)
{
	struct pollfd pl;

	*st = (struct stream){ .bytes = bytes, .seed = seed };
	st->lfd = it_tcp_listen(p->b, "10.0.0.2", TCP_PORT);
	st->afd = vde_msocket(p->a, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(st->afd >= 0);
	IT_CHECK(it_tcp_connect(st->afd, "10.0.0.2", TCP_PORT, WAIT_MS) == 0);
	pl = (struct pollfd){ .fd = st->lfd, .events = POLLIN };
	IT_CHECK(poll(&pl, 1, WAIT_MS) == 1);
	st->bfd = accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(st->bfd >= 0);
	it_set_timeouts(st->afd, 60000);
	it_set_timeouts(st->bfd, 60000);
	IT_CHECK(pthread_create(&st->th, NULL, sender, st) == 0);
}

/* stream_read - read b's end until mark bytes (the whole stream and its
 * end: SIZE_MAX), checking every byte; g carries the generator on.
 * Return: 0 or -errno (-EBADMSG: a byte differs). */
static int stream_read(struct stream *st, struct it_gen *g, size_t mark)
{
	static unsigned char buf[65536], want[65536];

	while (mark == SIZE_MAX || atomic_load(&st->got) < mark) {
		ssize_t r = recv(st->bfd, buf, sizeof(buf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return atomic_load(&st->got) == st->bytes ? 0 : -ENODATA;
		it_gen_fill(g, want, (size_t)r);
		if (memcmp(buf, want, (size_t)r))
			return -EBADMSG;
		atomic_fetch_add(&st->got, (size_t)r);
	}
	return 0;
}

/* stream_close - join the sender (its end must have gone), close all. */
static void stream_close(struct stream *st)
{
	shutdown(st->bfd, SHUT_RDWR);
	pthread_join(st->th, NULL);
	close(st->afd);
	close(st->bfd);
	close(st->lfd);
}

/* now_us - the monotonic clock.  Return: microseconds. */
static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* rate_on - rate=10mbit,dir=out: a TCP stream's goodput after its first
 * 256 KiB no more than the link's rate (a tenth more for the moment the
 * reads are taken at), and not far below it. */
static void rate_on(struct pair *p)
{
	const size_t bytes = 2u << 20, mark = 256u << 10;
	const double bps = 10e6;
	struct stream st;
	struct it_gen g;
	int64_t t0, t1;
	double goodput;
	size_t from;

	link_ok(p->a, "rate=10mbit,dir=out");
	stream_open(p, &st, bytes, 11);
	it_gen_init(&g, 11);
	IT_CHECK(stream_read(&st, &g, mark) == 0);
	t0 = now_us();
	from = atomic_load(&st.got);
	IT_CHECK(stream_read(&st, &g, SIZE_MAX) == 0);
	t1 = now_us();
	goodput = (double)(bytes - from) * 8 * 1e6 / (double)(t1 - t0);
	stream_close(&st);
	IT_CHECK(st.err == 0);
	fprintf(stderr, "   rate=10mbit: goodput %.2f Mbit/s\n", goodput / 1e6);
	IT_CHECKF(goodput <= 1.1 * bps, "goodput %.0f bit/s over the rate",
		  goodput);
	IT_CHECKF(goodput >= 0.5 * bps, "goodput %.0f bit/s", goodput);
	link_ok(p->a, "clear");
}

/* test_link_rate_limits_a_tcp_stream */
static void test_link_rate_limits_a_tcp_stream(void)
{
	each_kind(rate_on, true);
}

/* queue_burst - a burst of QUEUE_N datagrams of QUEUE_SIZE bytes from a
 * under spec, sent back to back, then read until each has arrived or
 * been dropped by a's out conditions (no fences: a rate's queue would
 * hold them too).  Return: the datagrams dropped. */
#define QUEUE_N 50
#define QUEUE_SIZE 1000
static unsigned long queue_burst(struct pair *p, const char *spec)
{
	struct run r = { .n = QUEUE_N, .size = QUEUE_SIZE };
	int64_t end = it_now_ms() + WAIT_MS;
	unsigned long drops;

	r.count = calloc(QUEUE_N, 1);
	r.order = calloc(2 * QUEUE_N, sizeof(*r.order));
	IT_CHECK(r.count && r.order);
	link_ok(p->a, spec);
	r.a0 = stats(p->a);
	for (uint32_t i = 0; i < QUEUE_N; i++)
		send_one(p, &r, i);
	for (;;) {
		drops = stats(p->a).out_link_drops - r.a0.out_link_drops;
		if (r.arrivals + drops >= QUEUE_N)
			break;
		IT_CHECKF(it_now_ms() < end, "%s: %u arrived, %lu dropped of "
			  "%u", spec, r.arrivals, drops, QUEUE_N);
		drain(p, &r, 100);
	}
	IT_CHECKF(r.arrivals + drops == QUEUE_N && r.arrivals == unique(&r) &&
		  r.bad == 0, "%s: %u arrived (%u once), %lu dropped, %u bad",
		  spec, r.arrivals, unique(&r), drops, r.bad);
	run_free(&r);
	link_ok(p->a, "clear");
	return drops;
}

/* queue_on - the rate's queue, in bytes, tail drop: a burst of 50 frames
 * of about 1 KB fits a 64 KiB queue whole (none lost), and a 4 KiB one
 * keeps about four of them at 100 kbit/s, where each takes 83 ms on the
 * wire (most lost: fewer only if the burst took seconds to send). */
static void queue_on(struct pair *p)
{
	unsigned long big = queue_burst(p, "rate=1mbit,queue=64k,dir=out");
	unsigned long small = queue_burst(p, "rate=100kbit,queue=4k,dir=out");

	fprintf(stderr, "   %u datagrams: queue=64k lost %lu, queue=4k lost "
		"%lu\n", QUEUE_N, big, small);
	IT_CHECK(big == 0);
	IT_CHECKF(small >= QUEUE_N / 2, "queue=4k lost %lu of %u", small,
		  QUEUE_N);
}

/* test_link_queue_bounds_the_rate_s_backlog */
static void test_link_queue_bounds_the_rate_s_backlog(void)
{
	each_kind(queue_on, true);
}

/* send_sized - n datagrams of a whose IP packets are ip_len bytes, one
 * at a time, each waited for at b until copies of it arrived (0: none
 * may).  Return: nothing. */
static void send_sized(struct pair *p, unsigned n, size_t ip_len,
		       unsigned copies)
{
	struct run r = { .n = 1, .size = ip_len - 28 };
	unsigned char one = 0;
	uint32_t order[2];

	r.count = &one;
	r.order = order;
	for (unsigned i = 0; i < n; i++) {
		int64_t end = it_now_ms() + WAIT_MS;

		send_one(p, &r, 0);
		while (r.arrivals < (i + 1) * copies) {
			IT_CHECKF(it_now_ms() < end, "%s: %u of %u datagrams",
				  kind_name[p->kind], r.arrivals,
				  (i + 1) * copies);
			drain(p, &r, 100);
		}
	}
	drain(p, &r, 50);
	IT_CHECKF(r.arrivals == n * copies && r.bad == 0,
		  "%s: %u datagrams arrived, %u expected", kind_name[p->kind],
		  r.arrivals, n * copies);
}

/* wait_drops - until a's out link drops reach want (bounded).
 * Return: nothing. */
static void wait_drops(struct vdestack *a, uint64_t want)
{
	int64_t end = it_now_ms() + WAIT_MS;

	while (stats(a).out_link_drops < want) {
		IT_CHECKF(it_now_ms() < end, "drops %llu, expected %llu",
			  (unsigned long long)stats(a).out_link_drops,
			  (unsigned long long)want);
		it_sleep_ms(10);
	}
}

/* mtu_on - mtu=1000 on a: IP packets of 1000 bytes cross, of 1001 are
 * dropped (counted); a TCP stream between stacks of MTU 1500 stalls
 * (what it sends is larger), one between stacks of MTU 1000 completes. */
static void mtu_on(struct pair *p)
{
	uint64_t d0;
	struct stream st;
	struct it_gen g;

	link_ok(p->a, "mtu=1000");
	d0 = stats(p->a).out_link_drops;
	send_sized(p, 10, 1000, 1);
	send_sized(p, 10, 1001, 0);
	wait_drops(p->a, d0 + 10);
	IT_CHECK(stats(p->a).out_link_drops == d0 + 10);
	stream_open(p, &st, 300u << 10, 21);
	it_sleep_ms(3000);
	IT_CHECK(stats(p->a).out_link_drops > d0 + 10);
	shutdown(st.afd, SHUT_RDWR); /* end the sender, whatever it sent */
	stream_close(&st);
	IT_CHECKF(atomic_load(&st.got) < st.bytes, "the stream crossed");
	it_stackcmd_ok(p->a, "/bin/ip link set vde0 mtu 1000");
	it_stackcmd_ok(p->b, "/bin/ip link set vde0 mtu 1000");
	stream_open(p, &st, 300u << 10, 22);
	it_gen_init(&g, 22);
	IT_CHECK(stream_read(&st, &g, SIZE_MAX) == 0);
	stream_close(&st);
	IT_CHECK(st.err == 0);
	link_ok(p->a, "clear");
}

/* test_link_mtu_drops_larger_packets */
static void test_link_mtu_drops_larger_packets(void)
{
	each_kind(mtu_on, true);
}

/* partition_on - a TCP stream under way; down for 3 s: nothing crosses
 * (b reads nothing new after the first second); up: the same connection
 * completes, every byte as sent. */
static void partition_on(struct pair *p)
{
	const size_t bytes = 8u << 20;
	struct stream st;
	struct it_gen g;
	struct pollfd pb;
	int64_t end;
	size_t at1;

	stream_open(p, &st, bytes, 31);
	it_gen_init(&g, 31);
	IT_CHECK(stream_read(&st, &g, 512u << 10) == 0);
	link_ok(p->a, "down");
	it_sleep_ms(1000);
	/* what was in flight at the cut is read now; then nothing comes */
	pb = (struct pollfd){ .fd = st.bfd, .events = POLLIN };
	while (poll(&pb, 1, 0) == 1)
		IT_CHECK(stream_read(&st, &g, atomic_load(&st.got) + 1) == 0);
	at1 = atomic_load(&st.got);
	end = it_now_ms() + 2000;
	while (it_now_ms() < end)
		IT_CHECKF(poll(&pb, 1, 100) == 0, "%s: data crossed a cut link",
			  kind_name[p->kind]);
	IT_CHECK(at1 < bytes);
	link_ok(p->a, "up");
	IT_CHECKF(stream_read(&st, &g, SIZE_MAX) == 0,
		  "%s: the stream did not complete after the cut",
		  kind_name[p->kind]);
	stream_close(&st);
	IT_CHECK(st.err == 0);
}

/* test_link_partition_stalls_a_connection_that_heals_intact */
static void test_link_partition_stalls_a_connection_that_heals_intact(void)
{
	each_kind(partition_on, true);
}

/* ------------------------------------------------------------------ */
/* clear, counters                                                      */
/* ------------------------------------------------------------------ */

/* helper_links - interfaces named prefix* in the helper's base namespace
 * (/proc/HELPER/net/dev: the helper is there between requests).
 * Return: how many. */
static int helper_links(const char *prefix)
{
	char path[64], line[512];
	pid_t h = it_helper_pid(0);
	int n = 0;
	FILE *f;

	IT_CHECK(h > 0);
	/* a request makes the helper finish the work of the previous one */
	vde_delstack(it_addstack("", NULL));
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)h);
	f = fopen(path, "r");
	IT_CHECKF(f, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		const char *q = line + strspn(line, " ");

		n += !strncmp(q, prefix, strlen(prefix));
	}
	fclose(f);
	return n;
}

/* uplinks_become - wait (bounded) until the helper has want uplinks: a
 * closed one goes with its namespace, in the kernel's own time. */
static void uplinks_become(int want)
{
	int64_t end = it_now_ms() + WAIT_MS;
	int n;

	while ((n = helper_links("vdsu")) != want) {
		IT_CHECKF(it_now_ms() < end, "%d uplinks, expected %d", n, want);
		it_sleep_ms(50);
	}
}

/* clear_on - conditions, then clear: round trips short again, nothing
 * lost; on the bridge, the stack moved to the pump (an uplink appears)
 * while conditioned, and back (it goes) once cleared. */
static void clear_on(struct pair *p)
{
	int64_t t[5];
	struct run r;

	if (p->kind == MEM_KERNEL)
		uplinks_become(0);
	link_ok(p->a, "delay=100ms");
	if (p->kind == MEM_KERNEL)
		uplinks_become(1);
	rtts(p, t, 3);
	IT_CHECK(t[0] >= 200000 - 2 * EARLY_US);
	link_ok(p->a, "loss=50%,dir=out");
	r = run_dgrams(p, 200, 64, 200);
	IT_CHECK(unique(&r) < 200);
	run_free(&r);
	link_ok(p->a, "clear");
	if (p->kind == MEM_KERNEL)
		uplinks_become(0);
	/* 100 ms: far more than any unconditioned round trip here, far
	 * less than the conditions gave */
	IT_CHECKF(rtts(p, t, 5) < 100000, "median round trip %lld us after "
		  "clear", (long long)t[2]);
	r = run_dgrams(p, 500, 64, 0);
	IT_CHECK(unique(&r) == 500 && r.arrivals == 500);
	IT_CHECK(stats(p->a).out_link_drops == r.a0.out_link_drops);
	run_free(&r);
}

/* test_link_clear_removes_every_condition */
static void test_link_clear_removes_every_condition(void)
{
	each_kind(clear_on, true);
}

/* counters_on - exact counts: 100 datagrams, 50 into a cut, 100 again,
 * 20 duplicated: a sent 270 (142 bytes each), 50 dropped by the link, 20
 * copies; b received 240; nothing else moved. */
static void counters_on(struct pair *p)
{
	const uint64_t frame = ETH_IP_UDP + 100;
	struct vde_stackstats a0 = stats(p->a), b0 = stats(p->b), a, b;

	send_sized(p, 100, 128, 1);
	link_ok(p->a, "dir=out,down");
	send_sized(p, 50, 128, 0);
	wait_drops(p->a, a0.out_link_drops + 50);
	link_ok(p->a, "dir=out,up");
	send_sized(p, 100, 128, 1);
	link_ok(p->a, "dup=100%,dir=out");
	send_sized(p, 20, 128, 2);
	link_ok(p->a, "clear");
	a = stats(p->a);
	b = stats(p->b);
	fprintf(stderr, "   a: out %llu frames %llu bytes, link drops %llu, "
		"dups %llu; b: in %llu frames %llu bytes\n",
		(unsigned long long)(a.out_frames - a0.out_frames),
		(unsigned long long)(a.out_bytes - a0.out_bytes),
		(unsigned long long)(a.out_link_drops - a0.out_link_drops),
		(unsigned long long)(a.out_dups - a0.out_dups),
		(unsigned long long)(b.in_frames - b0.in_frames),
		(unsigned long long)(b.in_bytes - b0.in_bytes));
	IT_CHECK(a.out_frames - a0.out_frames == 270);
	IT_CHECK(a.out_bytes - a0.out_bytes == 270 * frame);
	IT_CHECK(a.out_link_drops - a0.out_link_drops == 50);
	IT_CHECK(a.out_dups - a0.out_dups == 20);
	IT_CHECK(b.in_frames - b0.in_frames == 240);
	IT_CHECK(b.in_bytes - b0.in_bytes == 240 * frame);
	IT_CHECKF(a.in_frames == a0.in_frames && b.out_frames == b0.out_frames,
		  "a received %llu frames, b sent %llu",
		  (unsigned long long)(a.in_frames - a0.in_frames),
		  (unsigned long long)(b.out_frames - b0.out_frames));
	IT_CHECK(a.out_drops == a0.out_drops && b.in_drops == b0.in_drops);
	IT_CHECK(b.in_link_drops == b0.in_link_drops &&
		 a.in_link_drops == a0.in_link_drops);
}

/* test_link_counters_match_what_was_sent_and_dropped */
static void test_link_counters_match_what_was_sent_and_dropped(void)
{
	each_kind(counters_on, true);
}

/* ------------------------------------------------------------------ */
/* Captures                                                             */
/* ------------------------------------------------------------------ */

/* tcpdump_text - what Debian's tcpdump reads in the capture file path
 * (tcpdump -n -r: a real reader of the format), into a buffer of its
 * own that the next call overwrites; its exit status must be 0.
 * Return: the text. */
static const char *tcpdump_text(const char *path)
{
	static char out[1 << 20];
	char cmd[700];
	size_t len = 0, n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tcpdump -n -r '%s' 2>&1", path);
	f = popen(cmd, "r");
	IT_CHECK(f);
	while (len < sizeof(out) - 1 &&
	       (n = fread(out + len, 1, sizeof(out) - 1 - len, f)) > 0)
		len += n;
	out[len] = '\0';
	IT_CHECKF(pclose(f) == 0, "tcpdump -r %s:\n%s", path, out);
	return out;
}

/* occurrences - how many times needle is in text.  Return: the count. */
static unsigned occurrences(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *q = text; (q = strstr(q, needle)); q++)
		n++;
	return n;
}

#define IT_CHECK_HAS(text, needle)                                          \
	IT_CHECKF(strstr(text, needle), "capture lacks \"%s\":\n%.4000s",   \
		  needle, text)

/* pcap_on - a's capture while it pings b (ARP first: no neighbour
 * entries here) and exchanges TCP data with it: tcpdump reads ARP, ICMP
 * and TCP both ways. */
static void pcap_on(struct pair *p)
{
	char path[600];
	const char *text;

	snprintf(path, sizeof(path), "%s/a-%d.pcap", it_tmpdir(), p->kind);
	IT_CHECK(vde_stackpcap(p->a, path) == 0);
	it_stackcmd_ok(p->a, "/bin/ping -q -n -c 2 -i 0.2 -W 10 10.0.0.2");
	it_tcp_exchange(p->b, p->a, "10.0.0.2", 64 << 10, 41);
	IT_CHECK(vde_stackpcap(p->a, NULL) == 0);
	text = tcpdump_text(path);
	IT_CHECK_HAS(text, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1");
	IT_CHECK_HAS(text, "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02");
	IT_CHECK_HAS(text, "10.0.0.1 > 10.0.0.2: ICMP echo request");
	IT_CHECK_HAS(text, "10.0.0.2 > 10.0.0.1: ICMP echo reply");
	IT_CHECK_HAS(text, " > 10.0.0.2.5001: Flags [S], ");
	IT_CHECK_HAS(text, "IP 10.0.0.2.5001 > 10.0.0.1.");
	IT_CHECK_HAS(text, "Flags [S.], ");
	IT_CHECK_HAS(text, "Flags [F");
	fprintf(stderr, "   capture: %u lines\n", occurrences(text, "\n"));
}

/* test_link_capture_is_read_by_tcpdump_both_ways */
static void test_link_capture_is_read_by_tcpdump_both_ways(void)
{
	it_require_program("tcpdump");
	each_kind(pcap_on, false);
}

/* send_from - n datagrams of 64 bytes on the UDP socket fd. */
static void send_from(int fd, unsigned n)
{
	unsigned char buf[64];

	for (unsigned i = 0; i < n; i++) {
		dgram_fill(buf, sizeof(buf), i);
		IT_CHECK(send(fd, buf, sizeof(buf), 0) == sizeof(buf));
	}
}

/* pcap_side_on - a capture is the stack's side of the link: what a
 * sends into a cut out direction is in a's capture (before the out
 * conditions), not in b's; what a cut in direction keeps from a is in
 * b's capture, not in a's (after the in conditions). */
static void pcap_side_on(struct pair *p)
{
	char pa[600], pb[600];
	const char *text;
	uint64_t d0 = stats(p->a).out_link_drops;

	snprintf(pa, sizeof(pa), "%s/sa-%d.pcap", it_tmpdir(), p->kind);
	snprintf(pb, sizeof(pb), "%s/sb-%d.pcap", it_tmpdir(), p->kind);
	IT_CHECK(vde_stackpcap(p->a, pa) == 0);
	IT_CHECK(vde_stackpcap(p->b, pb) == 0);
	link_ok(p->a, "dir=out,down");
	send_from(p->ua, 5);
	wait_drops(p->a, d0 + 5);
	link_ok(p->a, "dir=out,up");
	d0 = stats(p->a).in_link_drops;
	link_ok(p->a, "dir=in,down");
	send_from(p->ub, 7);
	{
		int64_t end = it_now_ms() + WAIT_MS;

		while (stats(p->a).in_link_drops < d0 + 7) {
			IT_CHECK(it_now_ms() < end);
			it_sleep_ms(10);
		}
	}
	link_ok(p->a, "clear");
	IT_CHECK(vde_stackpcap(p->a, NULL) == 0);
	IT_CHECK(vde_stackpcap(p->b, NULL) == 0);
	text = tcpdump_text(pa);
	IT_CHECKF(occurrences(text, "10.0.0.1.5000 > 10.0.0.2.5000: UDP") == 5 &&
		  occurrences(text, "10.0.0.2.5000 > 10.0.0.1.5000: UDP") == 0,
		  "a's capture:\n%s", text);
	text = tcpdump_text(pb);
	IT_CHECKF(occurrences(text, "10.0.0.1.5000 > 10.0.0.2.5000: UDP") == 0 &&
		  occurrences(text, "10.0.0.2.5000 > 10.0.0.1.5000: UDP") == 7,
		  "b's capture:\n%s", text);
}

/* test_link_capture_sees_the_stacks_side_of_the_conditions */
static void test_link_capture_sees_the_stacks_side_of_the_conditions(void)
{
	it_require_program("tcpdump");
	each_kind(pcap_side_on, true);
}

/* ------------------------------------------------------------------ */
/* Bad input, reconnections, leaks                                      */
/* ------------------------------------------------------------------ */

/* test_link_bad_calls_fail_with_their_errno_and_change_nothing - malformed
 * specs (EINVAL), stacks without a network or another interface named
 * (ENODEV), captures that cannot be written, counters asked badly; the
 * conditions set before a refused call still hold. */
static void test_link_bad_calls_fail_with_their_errno_and_change_nothing(void)
{
	struct vde_stackstats st;
	unsigned char raw[sizeof(st) + 16];
	struct vdestack *none;
	struct pair p;
	uint64_t d0;

	it_require_network();
	save_env();
	p = pair_make(MEM_KERNEL, true);
	none = it_addstack("", NULL);
	IT_CHECK_ERRNO(vde_stacklink(NULL, "delay=1ms") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stacklink(p.a, NULL) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stacklink(none, "delay=1ms") < 0, ENODEV);
	IT_CHECK_ERRNO(vde_stacklink(p.a, "if=eth9,delay=1ms") < 0, ENODEV);
	link_ok(p.a, "if=vde0,loss=100%,dir=out");
	IT_CHECK_ERRNO(vde_stacklink(p.a, "loss=0,bogus") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stacklink(p.a, "clear,delay=1ms") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stacklink(p.a, "") < 0, EINVAL);
	d0 = stats(p.a).out_link_drops;
	send_sized(&p, 3, 100, 0);
	wait_drops(p.a, d0 + 3); /* still lost: nothing changed */
	link_ok(p.a, "clear");
	send_sized(&p, 3, 100, 1);

	IT_CHECK_ERRNO(vde_stackpcap(NULL, "/tmp/x.pcap") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackpcap(p.a, "") < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackpcap(none, "/tmp/x.pcap") < 0, ENODEV);
	IT_CHECK_ERRNO(vde_stackpcap(p.a, "/nonexistent/dir/x.pcap") < 0,
		       ENOENT);
	IT_CHECK(vde_stackpcap(p.a, NULL) == 0); /* none runs: nothing */

	IT_CHECK_ERRNO(vde_stackstats(NULL, &st, sizeof(st)) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackstats(p.a, NULL, sizeof(st)) < 0, EINVAL);
	IT_CHECK_ERRNO(vde_stackstats(p.a, &st, 0) < 0, EINVAL);
	/* an older program's smaller struct: that prefix, no more */
	memset(raw, 0x5a, sizeof(raw));
	IT_CHECK(vde_stackstats(p.a, (void *)raw, 8) == 8);
	IT_CHECK(raw[8] == 0x5a);
	memcpy(&st, raw, sizeof(st));
	IT_CHECK(st.out_frames > 0);
	/* a newer program's larger one: the rest zeroed */
	memset(raw, 0x5a, sizeof(raw));
	IT_CHECK(vde_stackstats(p.a, (void *)raw, sizeof(raw)) ==
		 (int)sizeof(st));
	for (size_t i = sizeof(st); i < sizeof(raw); i++)
		IT_CHECK(raw[i] == 0);
	/* no network: nothing crossed */
	IT_CHECK(vde_stackstats(none, &st, sizeof(st)) == (int)sizeof(st));
	IT_CHECK(st.out_frames == 0 && st.in_frames == 0);
	vde_delstack(none);
	pair_free(&p);
}

/* test_link_counters_count_reconnections_and_drops_while_gone - a stack on a
 * vde_switch that goes away: frames sent meanwhile are dropped (and
 * counted); when the switch is back, the reconnection is counted and
 * datagrams cross again. */
static void test_link_counters_count_reconnections_and_drops_while_gone(void)
{
	struct it_switch sw;
	struct pair p = { .kind = UDP_LINK };
	char url[600];
	int64_t end;

	it_require_network();
	it_require_program("vde_switch");
	save_env();
	link_env(UDP_LINK);
	it_switch_start(&sw, it_tmpdir(), "sw");
	snprintf(url, sizeof(url), "vde://%s", sw.path);
	p.a = it_addstack(url, NULL);
	p.b = it_addstack(url, NULL);
	stack_setup(p.a, A_ID, B_ID, true);
	stack_setup(p.b, B_ID, A_ID, true);
	p.ua = udp_socket(p.a, A_ID, B_ID);
	p.ub = udp_socket(p.b, B_ID, A_ID);
	send_sized(&p, 3, 100, 1);
	IT_CHECK(stats(p.a).reconnects == 0 && stats(p.a).out_drops == 0);
	it_switch_stop(&sw);
	end = it_now_ms() + WAIT_MS;
	while (stats(p.a).out_drops == 0) {
		IT_CHECK(it_now_ms() < end);
		send_from(p.ua, 1);
		it_sleep_ms(50);
	}
	it_switch_start(&sw, it_tmpdir(), "sw");
	end = it_now_ms() + WAIT_MS;
	while (stats(p.a).reconnects < 1 || stats(p.b).reconnects < 1) {
		IT_CHECK(it_now_ms() < end);
		it_sleep_ms(50);
	}
	fprintf(stderr, "   a: %llu dropped while gone, %llu reconnections\n",
		(unsigned long long)stats(p.a).out_drops,
		(unsigned long long)stats(p.a).reconnects);
	{
		struct run r = { .n = 1, .size = 64 };
		unsigned char one = 0;
		uint32_t order[2];

		r.count = &one;
		r.order = order;
		end = it_now_ms() + WAIT_MS;
		while (drain(&p, &r, 0), !r.arrivals) { /* the switch learns */
			IT_CHECK(it_now_ms() < end);
			send_one(&p, &r, 0);
			drain(&p, &r, 100);
		}
	}
	pair_free(&p);
	it_switch_stop(&sw);
}

/* leak_round - a pair of kind k with queued delayed frames and a capture
 * running, deleted as it is. */
static void leak_round(enum kind k)
{
	char path[600];
	struct pair p = pair_make(k, true);

	snprintf(path, sizeof(path), "%s/leak-%d.pcap", it_tmpdir(), k);
	IT_CHECK(vde_stackpcap(p.a, path) == 0);
	link_ok(p.a, "delay=1s,rate=1mbit,loss=1%,dup=1,corrupt=1");
	link_ok(p.b, "dir=in,delay=500ms");
	send_from(p.ua, 50);
	send_from(p.ub, 50);
	pair_free(&p);
}

/* test_link_stacks_with_conditions_and_captures_leave_nothing - descriptors,
 * threads and children back to their counts after stacks deleted with
 * frames still queued and captures running, on every link. */
static void test_link_stacks_with_conditions_and_captures_leave_nothing(void)
{
	struct it_counts before;

	it_require_network();
	save_env();
	for (int k = 0; k < KINDS; k++)
		leak_round((enum kind)k); /* warm up: helper, pool, loops */
	before = it_take_counts();
	for (int k = 0; k < KINDS; k++)
		leak_round((enum kind)k);
	it_check_counts(&before, "stacks with conditions and captures");
}

/* ------------------------------------------------------------------ */
/* The vdestack command                                                 */
/* ------------------------------------------------------------------ */

/* run_vdestack - the vdestack command (VDESTACK_BIN) with args (NULL-
 * ended), its stdout and stderr into out (NUL-ended), bounded in time.
 * Return: its wait status. */
static int run_vdestack(const char *const *args, char *out, size_t size)
{
	const char *bin = getenv("VDESTACK_BIN");
	char path[600], *argv[32];
	int fd, status = -1;
	size_t n = 0;
	ssize_t len;
	pid_t pid;

	if (!bin || !bin[0])
		it_skip("VDESTACK_BIN not set (run through meson test)");
	argv[n++] = (char *)bin;
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	snprintf(path, sizeof(path), "%s/vdestack.out", it_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	IT_CHECK(fd >= 0);
	fflush(NULL);
	pid = fork();
	IT_CHECK(pid >= 0);
	if (pid == 0) {
		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(99);
		execv(argv[0], argv);
		_exit(98);
	}
	for (int64_t end = it_now_ms() + WAIT_MS; ; it_sleep_ms(20)) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (it_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			it_fail(__FILE__, __LINE__, "vdestack hung");
		}
	}
	len = pread(fd, out, size - 1, 0);
	out[len > 0 ? len : 0] = '\0';
	close(fd);
	return status;
}

/* test_link_vdestack_command_sets_link_conditions_and_captures - the
 * command's --link and --pcap: a ping from its stack to one of ours over
 * udp:// takes the delay twice, the capture holds both ways; a bad spec
 * is its usage failure (125) before the program runs. */
static void test_link_vdestack_command_sets_link_conditions_and_captures(void)
{
	char ua[128], ub[128], pcap[600], out[8192];
	double rmin = 0;
	struct vdestack *b;
	uint16_t pa, pb;
	const char *text, *rtt;
	int st;

	it_require_network();
	it_require_program("tcpdump");
	save_env();
	link_env(UDP_LINK);
	it_free_udp_ports(&pa, &pb);
	snprintf(ua, sizeof(ua), "udp://127.0.0.1:%u->127.0.0.1:%u", pa, pb);
	snprintf(ub, sizeof(ub), "udp://127.0.0.1:%u->127.0.0.1:%u", pb, pa);
	snprintf(pcap, sizeof(pcap), "%s/cmd.pcap", it_tmpdir());
	b = it_addstack(ub, NULL);
	stack_setup(b, B_ID, A_ID, false);
	st = run_vdestack((const char *const[]){ "-c", "ip=10.0.0.1/24",
		"--link", "dir=out,delay=100ms", "-l", "dir=in,delay=50ms",
		"--pcap", pcap, ua, "--", "/bin/ping", "-q", "-n", "-c", "3",
		"-i", "0.2", "-W", "10", "10.0.0.2", NULL }, out, sizeof(out));
	IT_CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vdestack: %d\n%s",
		  st, out);
	rtt = strstr(out, "rtt min/avg/max/mdev = ");
	IT_CHECKF(rtt && sscanf(rtt, "rtt min/avg/max/mdev = %lf", &rmin) == 1,
		  "%s", out);
	IT_CHECKF(rmin >= 150.0 - 0.1, "ping round trip %.3f ms", rmin);
	fprintf(stderr, "   vdestack --link: ping min %.3f ms\n", rmin);
	text = tcpdump_text(pcap);
	IT_CHECK_HAS(text, "10.0.0.1 > 10.0.0.2: ICMP echo request");
	IT_CHECK_HAS(text, "10.0.0.2 > 10.0.0.1: ICMP echo reply");
	IT_CHECK_HAS(text, "ARP, Reply 10.0.0.2 is-at");
	st = run_vdestack((const char *const[]){ "-l", "delay=1", ua, "--",
		"/bin/true", NULL }, out, sizeof(out));
	IT_CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 125 &&
		  strstr(out, "invalid link conditions 'delay=1'"),
		  "vdestack: %d\n%s", st, out);
	st = run_vdestack((const char *const[]){ "-w", "/nonexistent/x.pcap",
		ua, "--", "/bin/true", NULL }, out, sizeof(out));
	IT_CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 125 &&
		  strstr(out, "cannot capture into"), "vdestack: %d\n%s", st,
		  out);
	vde_delstack(b);
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(link_delay_lengthens_round_trips_on_every_link),
	T(link_jitter_spreads_round_trips_and_keeps_order),
	T(link_loss_drops_its_share_of_datagrams),
	T(link_burst_loss_loses_runs_of_datagrams),
	T(link_dup_delivers_its_share_twice),
	T(link_reorder_sends_a_share_ahead),
	T(link_corrupt_damages_its_share_of_frames),
	T(link_rate_limits_a_tcp_stream),
	T(link_queue_bounds_the_rate_s_backlog),
	T(link_mtu_drops_larger_packets),
	T(link_partition_stalls_a_connection_that_heals_intact),
	T(link_clear_removes_every_condition),
	T(link_counters_match_what_was_sent_and_dropped),
	T(link_capture_is_read_by_tcpdump_both_ways),
	T(link_capture_sees_the_stacks_side_of_the_conditions),
	T(link_bad_calls_fail_with_their_errno_and_change_nothing),
	T(link_counters_count_reconnections_and_drops_while_gone),
	T(link_stacks_with_conditions_and_captures_leave_nothing),
	T(link_vdestack_command_sets_link_conditions_and_captures),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
