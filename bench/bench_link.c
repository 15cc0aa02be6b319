/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_link.c - link conditions measured (vde_stacklink, vde_stackpcap,
 * vde_stackstats): what each spec gives against what it says, and what
 * the feature costs a stack that does not use it.  This library only.
 *
 * Two stacks A (10.0.0.1) and B (10.0.0.2) on URL (mem:// by default),
 * IPv6 off and permanent neighbour entries, so that only the
 * benchmark's own frames cross.  Modes (one result line each, "link
 * mode=MODE key=value ...", for bench/run):
 *   rr URL COUNT [--spec S] [--pcap F]   UDP 1-byte round trips
 *   tcp URL SECS [--spec S] [--pcap F]   one TCP stream A -> B, Gbit/s
 *   delay URL US COUNT                   dir=out,delay=US: the median
 *                                        round trip less the one with a
 *                                        condition that does nothing
 *   chance URL KEY PCT N                 loss=, dup= or reorder= over N
 *                                        datagrams: the share seen, and
 *                                        the 99 % binomial interval
 *   rate URL RATE SECS                   one TCP stream at rate=RATE
 *   downup URL CUT_S                     a TCP stream across a cut
 * Specs go on A, both ways unless they say dir=.  Every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <vdestack.h>

#define TCP_PORT 5301
#define UDP_PORT 5302
#define Z_99 2.576        /* two-sided 99 % normal quantile */
#define WINDOW 64         /* datagrams in flight, at most */
#define TCP_WARM_S 1.0    /* a stream's start, not measured */
/* The goodput of a TCP stream on a link of rate R, MTU 1500: payload
 * 1448 bytes (timestamps on) per Ethernet frame of 1514. */
#define TCP_PAYLOAD_SHARE (1448.0 / 1514.0)

/* die - print a message and exit with status 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_link: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* now_s - the monotonic clock.  Return: seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* cmp_double - qsort order.  Return: <0, 0, >0. */
static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* The two stacks and a connected UDP socket each. */
struct pair {
	struct vdestack *a, *b;
	int ua, ub;
};

/* cmd - vde_stackcmd of a formatted command that must succeed. */
static void __attribute__((format(printf, 2, 3)))
cmd(struct vdestack *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (vde_stackcmd(s, line) != 0)
		die("%s: failed", line);
}

/* setup - vde0 of s as 10.0.0.me, IPv6 off, a permanent neighbour. */
static void setup(struct vdestack *s, int me, int peer)
{
	cmd(s, "/sbin/sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 "
	    "net.ipv6.conf.default.disable_ipv6=1 "
	    "net.ipv6.conf.vde0.disable_ipv6=1");
	cmd(s, "/bin/ip link set vde0 address 02:00:00:00:00:%02x", me);
	cmd(s, "/bin/ip addr add 10.0.0.%d/24 dev vde0", me);
	cmd(s, "/bin/ip link set vde0 up");
	cmd(s, "/bin/ip neigh replace 10.0.0.%d lladdr 02:00:00:00:00:%02x "
	    "dev vde0 nud permanent", peer, peer);
}

/* sin_of - 10.0.0.id:port (id 0: any).  Return: the address. */
static struct sockaddr_in sin_of(int id, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };

	sin.sin_addr.s_addr = htonl(id ? 0x0a000000u | (uint32_t)id : 0);
	return sin;
}

/* udp - a UDP socket of s bound to 10.0.0.me, connected to peer.
 * Return: it. */
static int udp(struct vdestack *s, int me, int peer)
{
	struct sockaddr_in here = sin_of(me, UDP_PORT), there = sin_of(peer, UDP_PORT);
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&here, sizeof(here)) < 0 ||
	    connect(fd, (struct sockaddr *)&there, sizeof(there)) < 0)
		die("udp socket: %s", strerror(errno));
	return fd;
}

/* pair_open - A and B on url.  Return: the pair. */
static struct pair pair_open(const char *url)
{
	struct pair p;

	p.a = vde_addstack((char *)url, NULL);
	p.b = vde_addstack((char *)url, NULL);
	if (!p.a || !p.b)
		die("vde_addstack %s: %s", url, strerror(errno));
	setup(p.a, 1, 2);
	setup(p.b, 2, 1);
	p.ua = udp(p.a, 1, 2);
	p.ub = udp(p.b, 2, 1);
	return p;
}

/* pair_close - everything of p. */
static void pair_close(struct pair *p)
{
	close(p->ua);
	close(p->ub);
	vde_delstack(p->b);
	vde_delstack(p->a);
}

/* link - vde_stacklink on A that must succeed. */
static void link_set(struct pair *p, const char *spec)
{
	if (spec && vde_stacklink(p->a, spec) < 0)
		die("vde_stacklink %s: %s", spec, strerror(errno));
}

/* opt - the value of "--name VALUE" in argv, or NULL.  Return: it. */
static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

/* stats - A's or B's counters.  Return: them. */
static struct vde_stackstats stats(struct vdestack *s)
{
	struct vde_stackstats st;

	if (vde_stackstats(s, &st, sizeof(st)) < 0)
		die("vde_stackstats: %s", strerror(errno));
	return st;
}

/* ------------------------------------------------------------------ */
/* Round trips                                                          */
/* ------------------------------------------------------------------ */

/* rtt_us - one datagram A -> B -> A.  Return: the round trip (us), or
 * -1 when lost (a second without an answer). */
static double rtt_us(struct pair *p, uint32_t tag)
{
	struct pollfd pb = { .fd = p->ub, .events = POLLIN };
	struct pollfd pa = { .fd = p->ua, .events = POLLIN };
	uint32_t got = tag + 1;
	double t0 = now_s();

	if (send(p->ua, &tag, sizeof(tag), 0) < 0)
		return -1;
	while (got != tag) {
		if (poll(&pb, 1, 1000) != 1 ||
		    recv(p->ub, &got, sizeof(got), MSG_DONTWAIT) < 0)
			return -1;
	}
	if (send(p->ub, &got, sizeof(got), 0) < 0)
		return -1;
	for (got = tag + 1; got != tag;) {
		if (poll(&pa, 1, 1000) != 1 ||
		    recv(p->ua, &got, sizeof(got), MSG_DONTWAIT) < 0)
			return -1;
	}
	return (now_s() - t0) * 1e6;
}

/* rtts - count round trips after count/10 of warm-up; sorted into v.
 * Return: how many came back. */
static long rtts(struct pair *p, long count, double *v)
{
	long warm = count / 10 > 50 ? count / 10 : 50, done = 0;
	static uint32_t tag;

	for (long i = 0; i < warm + count; i++) {
		double t = rtt_us(p, tag++);

		if (t >= 0 && i >= warm)
			v[done++] = t;
	}
	qsort(v, (size_t)done, sizeof(*v), cmp_double);
	return done;
}

/* mode_rr - rr URL COUNT [--spec S] [--pcap F].  Return: exit status. */
static int mode_rr(int argc, char **argv)
{
	const char *spec = opt(argc, argv, "--spec"), *pcap = opt(argc, argv, "--pcap");
	long count = argc > 1 ? atol(argv[1]) : 0, done;
	struct pair p;
	double *v;

	if (argc < 2 || count < 10 || count > 10000000)
		die("usage: rr URL COUNT [--spec SPEC] [--pcap FILE]");
	v = calloc((size_t)count, sizeof(*v));
	if (!v)
		die("out of memory");
	p = pair_open(argv[0]);
	link_set(&p, spec);
	if (pcap && vde_stackpcap(p.a, pcap) < 0)
		die("vde_stackpcap: %s", strerror(errno));
	done = rtts(&p, count, v);
	printf("link mode=rr url=%s spec=%s pcap=%d count=%ld median_us=%.1f "
	       "p99_us=%.1f\n", argv[0], spec ? spec : "none", pcap != NULL,
	       done, done ? v[done / 2] : 0, done ? v[done * 99 / 100] : 0);
	if (pcap)
		vde_stackpcap(p.a, NULL);
	pair_close(&p);
	free(v);
	return done == count ? 0 : 1;
}

/* mode_delay - delay URL US COUNT: the median round trip with
 * dir=out,delay=US less the one without, in one process.
 * Return: exit status. */
static int mode_delay(int argc, char **argv)
{
	long us = argc > 1 ? atol(argv[1]) : 0, count = argc > 2 ? atol(argv[2]) : 0;
	double *v, base, with;
	char spec[64];
	struct pair p;
	long n0, n1;

	if (argc < 3 || us <= 0 || count < 10)
		die("usage: delay URL US COUNT");
	v = calloc((size_t)count, sizeof(*v));
	if (!v)
		die("out of memory");
	p = pair_open(argv[0]);
	/* the base on the same path: a condition that changes nothing (a
	 * mem:// stack on the bridge is pumped from the first condition) */
	link_set(&p, "dir=out,loss=0.000001%");
	n0 = rtts(&p, count, v);
	base = v[n0 / 2];
	snprintf(spec, sizeof(spec), "dir=out,delay=%ldus", us);
	link_set(&p, spec);
	n1 = rtts(&p, count, v);
	with = v[n1 / 2];
	printf("link mode=delay url=%s spec=%s count=%ld base_us=%.1f "
	       "median_us=%.1f measured_us=%.1f error_us=%.1f p99_us=%.1f\n",
	       argv[0], spec, n1, base, with, with - base, with - base - us,
	       v[n1 * 99 / 100] - base);
	pair_close(&p);
	free(v);
	return n0 == count && n1 == count ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* Counted datagrams                                                    */
/* ------------------------------------------------------------------ */

/* What N datagrams A -> B gave: arrivals per tag and their order. */
struct count_run {
	long n;
	unsigned char *seen;
	uint32_t *order;
	long arrivals;
};

/* drain - read B's datagrams, waiting ms at most for the first.
 * Return: how many. */
static long drain(struct pair *p, struct count_run *r, int ms)
{
	struct pollfd pb = { .fd = p->ub, .events = POLLIN };
	long got = 0;
	uint32_t tag;

	if (poll(&pb, 1, ms) != 1)
		return 0;
	while (recv(p->ub, &tag, sizeof(tag), MSG_DONTWAIT) == sizeof(tag)) {
		if (tag < (uint32_t)r->n) {
			if (r->seen[tag] < 255)
				r->seen[tag]++;
			if (r->arrivals < 2 * r->n)
				r->order[r->arrivals] = tag;
			r->arrivals++;
		}
		got++;
	}
	return got;
}

/* in_flight - datagrams sent whose fate is not known yet (arrived, or
 * dropped or copied by A's conditions).  Return: how many. */
static long in_flight(struct pair *p, const struct count_run *r, long sent,
		      const struct vde_stackstats *a0)
{
	struct vde_stackstats a = stats(p->a);

	return sent - r->arrivals - (long)(a.out_link_drops - a0->out_link_drops) +
	       (long)(a.out_dups - a0->out_dups);
}

/* count_send - n datagrams, at most WINDOW in flight, then time for the
 * last ones (delay + 1 s).  Return: nothing (r filled). */
static void count_send(struct pair *p, struct count_run *r, double tail_s)
{
	struct vde_stackstats a0 = stats(p->a);
	double end;

	for (long i = 0; i < r->n; i++) {
		uint32_t tag = (uint32_t)i;

		while (send(p->ua, &tag, sizeof(tag), 0) < 0)
			usleep(100);
		drain(p, r, 0);
		end = now_s() + 0.05;
		while (i % 16 == 15 && in_flight(p, r, i + 1, &a0) > WINDOW &&
		       now_s() < end)
			drain(p, r, 1);
	}
	for (end = now_s() + tail_s; now_s() < end;)
		drain(p, r, 10);
}

/* ahead - datagrams that arrived before one sent earlier.
 * Return: how many. */
static long ahead(const struct count_run *r)
{
	uint32_t low = UINT32_MAX;
	long k = 0, n = r->arrivals < 2 * r->n ? r->arrivals : 2 * r->n;

	for (long i = n; i-- > 0;) {
		if (r->order[i] > low)
			k++;
		if (r->order[i] < low)
			low = r->order[i];
	}
	return k;
}

/* mode_chance - chance URL KEY PCT N (KEY: loss, dup or reorder; reorder
 * with delay=10ms).  Return: exit status. */
static int mode_chance(int argc, char **argv)
{
	const char *key = argc > 1 ? argv[1] : "";
	double pct = argc > 2 ? atof(argv[2]) : -1, prob, sd, got = 0;
	struct count_run r = { .n = argc > 3 ? atol(argv[3]) : 0 };
	char spec[128];
	struct pair p;
	long k = 0;

	if (argc < 4 || pct < 0 || pct > 100 || r.n < 100)
		die("usage: chance URL loss|dup|reorder PCT N");
	r.seen = calloc((size_t)r.n, 1);
	r.order = calloc(2 * (size_t)r.n, sizeof(*r.order));
	if (!r.seen || !r.order)
		die("out of memory");
	if (!strcmp(key, "reorder"))
		snprintf(spec, sizeof(spec), "dir=out,delay=10ms,reorder=%g%%", pct);
	else if (!strcmp(key, "loss") || !strcmp(key, "dup"))
		snprintf(spec, sizeof(spec), "dir=out,%s=%g%%", key, pct);
	else
		die("chance: KEY is loss, dup or reorder");
	p = pair_open(argv[0]);
	link_set(&p, spec);
	count_send(&p, &r, 1.0);
	for (long i = 0; i < r.n; i++) {
		if (!strcmp(key, "loss"))
			k += r.seen[i] == 0;
		else if (!strcmp(key, "dup"))
			k += r.seen[i] >= 2;
	}
	if (!strcmp(key, "reorder"))
		k = ahead(&r);
	prob = pct / 100;
	sd = Z_99 * 100 * sqrt(prob * (1 - prob) / (double)r.n);
	got = 100.0 * (double)k / (double)r.n;
	printf("link mode=chance url=%s spec=%s n=%ld measured_pct=%.3f "
	       "error_pct=%.3f lo_pct=%.3f hi_pct=%.3f inside=%d\n", argv[0],
	       spec, r.n, got, got - pct, pct - sd, pct + sd,
	       got >= pct - sd && got <= pct + sd);
	pair_close(&p);
	free(r.seen);
	free(r.order);
	return 0;
}

/* ------------------------------------------------------------------ */
/* TCP streams                                                          */
/* ------------------------------------------------------------------ */

/* A stream A -> B: the sender's thread, B's end read by the caller. */
struct stream {
	int lfd, afd, bfd;
	pthread_t th;
	atomic_bool stop;
	uint64_t sent;
};

/* sender - A's thread: a counted byte pattern until told to stop. */
static void *sender(void *arg)
{
	struct stream *st = arg;
	static unsigned char buf[128 * 1024];

	while (!atomic_load(&st->stop)) {
		size_t off = st->sent % sizeof(buf);
		ssize_t n;

		if (st->sent == 0)
			for (size_t i = 0; i < sizeof(buf); i++)
				buf[i] = (unsigned char)(i % 251);
		n = send(st->afd, buf + off, sizeof(buf) - off, MSG_NOSIGNAL);
		if (n > 0)
			st->sent += (uint64_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	return NULL;
}

/* set_timeouts - receive and send timeouts of ms on fd. */
static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* stream_open - a connection A -> B and its sender.  Return: nothing. */
static void stream_open(struct pair *p, struct stream *st)
{
	struct sockaddr_in any = sin_of(0, TCP_PORT), to = sin_of(2, TCP_PORT);
	struct pollfd pl;
	int one = 1, tries = 0;

	*st = (struct stream){ .sent = 0 };
	st->lfd = vde_msocket(p->b, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	st->afd = vde_msocket(p->a, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (st->lfd < 0 || st->afd < 0)
		die("tcp sockets: %s", strerror(errno));
	setsockopt(st->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(st->lfd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    listen(st->lfd, 1) < 0)
		die("tcp listen: %s", strerror(errno));
	while (connect(st->afd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (++tries > 50)
			die("tcp connect: %s", strerror(errno));
		usleep(100000);
	}
	pl = (struct pollfd){ .fd = st->lfd, .events = POLLIN };
	if (poll(&pl, 1, 10000) != 1)
		die("tcp accept: timed out");
	st->bfd = accept(st->lfd, NULL, NULL);
	if (st->bfd < 0)
		die("tcp accept: %s", strerror(errno));
	set_timeouts(st->afd, 1000);
	set_timeouts(st->bfd, 1000);
	if (pthread_create(&st->th, NULL, sender, st) != 0)
		die("pthread_create");
}

/* stream_close - stop and join the sender, close everything. */
static void stream_close(struct stream *st)
{
	atomic_store(&st->stop, true);
	shutdown(st->afd, SHUT_RDWR);
	shutdown(st->bfd, SHUT_RDWR);
	pthread_join(st->th, NULL);
	close(st->afd);
	close(st->bfd);
	close(st->lfd);
}

/* stream_read - read B's end for secs after TCP_WARM_S (check: every
 * byte compared with the pattern, which costs the reader CPU time: not
 * for throughput figures).  Return: the goodput in bit/s (-1: stalled
 * or damaged). */
static double stream_read(struct stream *st, double secs, bool check)
{
	static unsigned char buf[256 * 1024];
	uint64_t got = 0, counted = 0;
	double first = 0, start = 0, hard = now_s() + secs + 60;

	for (;;) {
		ssize_t n = recv(st->bfd, buf, sizeof(buf), 0);
		double t = now_s();

		if (t > hard || (n < 0 && errno != EAGAIN && errno != EINTR) ||
		    n == 0)
			return -1;
		if (n < 0)
			continue;
		for (ssize_t i = 0; check && i < n; i++)
			if (buf[i] != (unsigned char)((got + (uint64_t)i) %
						      (128 * 1024) % 251))
				return -1;
		got += (uint64_t)n;
		if (!first)
			first = t;
		if (!start && t - first >= TCP_WARM_S) {
			start = t;
			continue;
		}
		if (start)
			counted += (uint64_t)n;
		if (start && t - start >= secs)
			return (double)counted * 8 / (t - start);
	}
}

/* mode_tcp - tcp URL SECS [--spec S] [--pcap F].  Return: exit status. */
static int mode_tcp(int argc, char **argv)
{
	const char *spec = opt(argc, argv, "--spec"), *pcap = opt(argc, argv, "--pcap");
	double secs = argc > 1 ? atof(argv[1]) : 0, bps;
	struct stream st;
	struct pair p;

	if (argc < 2 || secs <= 0 || secs > 600)
		die("usage: tcp URL SECS [--spec SPEC] [--pcap FILE]");
	p = pair_open(argv[0]);
	link_set(&p, spec);
	if (pcap && vde_stackpcap(p.a, pcap) < 0)
		die("vde_stackpcap: %s", strerror(errno));
	stream_open(&p, &st);
	bps = stream_read(&st, secs, false);
	stream_close(&st);
	printf("link mode=tcp url=%s spec=%s pcap=%d gbps=%.3f\n", argv[0],
	       spec ? spec : "none", pcap != NULL, bps / 1e9);
	if (pcap)
		vde_stackpcap(p.a, NULL);
	pair_close(&p);
	return bps > 0 ? 0 : 1;
}

/* rate_bps - RATE ("10mbit") in bit/s.  Return: it (0: malformed). */
static double rate_bps(const char *rate)
{
	char *end;
	double v = strtod(rate, &end);

	if (!strcasecmp(end, "kbit"))
		return v * 1e3;
	if (!strcasecmp(end, "mbit"))
		return v * 1e6;
	if (!strcasecmp(end, "gbit"))
		return v * 1e9;
	return 0;
}

/* mode_rate - rate URL RATE SECS: one TCP stream at rate=RATE,dir=out;
 * its goodput, against the spec and against a real link's goodput of
 * that rate (TCP_PAYLOAD_SHARE).  Return: exit status. */
static int mode_rate(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 0, want, bps, ideal;
	char spec[64];
	struct stream st;
	struct pair p;

	want = argc > 1 ? rate_bps(argv[1]) : 0;
	if (argc < 3 || want <= 0 || secs <= 0)
		die("usage: rate URL RATE SECS");
	snprintf(spec, sizeof(spec), "dir=out,rate=%s", argv[1]);
	p = pair_open(argv[0]);
	link_set(&p, spec);
	stream_open(&p, &st);
	bps = stream_read(&st, secs, false);
	stream_close(&st);
	ideal = want * TCP_PAYLOAD_SHARE;
	printf("link mode=rate url=%s spec=%s rate_mbps=%.3f goodput_mbps=%.3f "
	       "of_spec=%.4f ideal_mbps=%.3f error_pct=%.2f\n", argv[0], spec,
	       want / 1e6, bps / 1e6, bps / want, ideal / 1e6,
	       100 * (bps - ideal) / ideal);
	pair_close(&p);
	return bps > 0 ? 0 : 1;
}

/* A reading of B's end: bytes so far, all as sent. */
struct reading {
	uint64_t got;
	bool intact;
};

/* read_until - read B's end until the time end (or, with stop_after,
 * until stop_after seconds after the first byte); check every byte.
 * Return: when the first byte came (-1: none). */
static double read_until(struct stream *st, struct reading *r, double end,
			 double stop_after)
{
	static unsigned char buf[256 * 1024];
	double first = -1;

	while (now_s() < end && (first < 0 || stop_after <= 0 ||
				 now_s() < first + stop_after)) {
		ssize_t n = recv(st->bfd, buf, sizeof(buf), 0);

		if (n <= 0)
			continue;
		if (first < 0)
			first = now_s();
		for (ssize_t i = 0; i < n; i++)
			r->intact &= buf[i] == (unsigned char)
				((r->got + (uint64_t)i) % (128 * 1024) % 251);
		r->got += (uint64_t)n;
	}
	return first;
}

/* mode_downup - downup URL CUT_S: a TCP stream, cut for CUT_S, back up:
 * what crossed during the cut (the frames in flight at it), when data
 * flows again after it, and whether every byte is as sent until 1 s
 * later.  Return: exit status. */
static int mode_downup(int argc, char **argv)
{
	double cut = argc > 1 ? atof(argv[1]) : 0, t_up, first;
	struct reading r = { .intact = true };
	uint64_t at_cut, at_up;
	struct stream st;
	struct pair p;

	if (argc < 2 || cut <= 0 || cut > 60)
		die("usage: downup URL CUT_S");
	p = pair_open(argv[0]);
	stream_open(&p, &st);
	read_until(&st, &r, now_s() + 0.5, 0);
	link_set(&p, "down");
	at_cut = r.got;
	/* the first 100 ms: what was in flight at the cut */
	read_until(&st, &r, now_s() + 0.1, 0);
	at_cut = r.got;
	read_until(&st, &r, now_s() + cut - 0.1, 0);
	at_up = r.got;
	link_set(&p, "up");
	t_up = now_s();
	first = read_until(&st, &r, t_up + 30, 1.0);
	stream_close(&st);
	printf("link mode=downup url=%s cut_s=%.1f bytes_during_cut=%llu "
	       "resumed_after_up_ms=%.0f bytes_after_up=%llu intact=%d\n",
	       argv[0], cut, (unsigned long long)(at_up - at_cut),
	       first < 0 ? -1 : (first - t_up) * 1e3,
	       (unsigned long long)(r.got - at_up), r.intact && first >= 0);
	pair_close(&p);
	return r.intact && first >= 0 && at_up == at_cut ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} modes[] = {
		{ "rr", mode_rr }, { "tcp", mode_tcp }, { "delay", mode_delay },
		{ "chance", mode_chance }, { "rate", mode_rate },
		{ "downup", mode_downup },
	};

	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "usage: vdestack-bench-link rr|tcp|delay|chance|rate|"
		"downup ... (see bench_link.c)\n");
	return 2;
}
