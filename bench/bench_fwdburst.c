/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_fwdburst.c - does a burst of forwarded connections stall the other
 * stacks of the loop?  The UDP round trip of two stacks, alone and while a
 * third stack's forward accepts connections as fast as clients open them.
 *
 * Usage: vdestack-bench-fwdburst A B [--count N] [--rounds R]
 *                                [--clients K] [--ramp-ms MS] [--control 0|1]
 *   A, B         vde_addstack() URLs of the two round-trip stacks; their
 *                frames must go through the application's loop (the pump):
 *                mem://NAME with VDESTACK_LINK=tap, or with
 *                VDESTACK_LINK=veth VDESTACK_BRIDGE=off
 *   --count N    round trips measured in each condition (default 20000)
 *   --rounds R   turns of the conditions the count is split over (4)
 *   --clients K  client threads of the burst (default 2)
 *   --ramp-ms MS at most this long for the clients to get going (1000)
 *   --control 0  leave out the control condition (see below)
 *
 * Built only against this library (vde_stackconf, vde_stackfwd): bench.c
 * keeps to the original's five calls, this program does not.
 *
 * Theory of operation
 *
 * Stacks A and B (10.0.0.1/24, 10.0.0.2/24 through vde_stackconf) exchange
 * 1-byte UDP datagrams as bench.c's rr mode does: a client socket in A, an
 * echo thread in B, one datagram in flight, a tag byte to skip late
 * replies, nearest-rank median and p99.  Stack C has no network
 * (vde_addstack(NULL, NULL)); a server thread listens on C's loopback,
 * writes one byte to every connection it accepts and closes it.  A forward
 * from 127.0.0.1:PORT (a free port of the calling process's loopback) into
 * C's 127.0.0.1 makes each client connection cross the library's forward
 * module.  A burst client connects, reads the byte and the end of file
 * (the connection really went through the forward, half-close included)
 * and closes, in a loop, as fast as it can: that is the burst.
 *
 * The control ("direct"): the same clients against the same kind of
 * server listening on the calling process's own loopback, no forward in
 * between.  On a machine with few CPUs the burst takes CPU time from the
 * round trip whoever serves it; the control shows how much of the
 * slowdown that is, and the rest is the forward's (a loop that cannot
 * pump while it waits for the namespace helper, for instance).
 *
 * The conditions take turns R times (alone, direct, burst, alone...),
 * each with COUNT/R round trips, and the samples of a condition are
 * pooled: a machine whose load drifts (other builds) hits all alike.
 * During a burst the clients start first and the round trips begin once
 * they have completed connections (at most ramp-ms later); the
 * connections counted are those completed during the round trips of the
 * condition, over their time.
 *
 * One loop: the loop pool (src/core/loop.c) puts up to VDS_LOOP_FILL (64)
 * users on a running loop before it starts another.  In this fresh process
 * A's pump starts the first loop, B's pump joins it, C (no network) has no
 * pump, and the forward joins the same loop: every frame of the round trip
 * and every accept of the forward are served by one thread.  The program
 * checks the part it can see: vde_stackfwd must start no thread
 * (fwd_new_threads=0 in the result line), i.e. the forward went to a
 * running loop, which can only be the pumps' one (a warning otherwise:
 * A and B were not pumped, e.g. plain mem:// joins them in a kernel
 * bridge, or the pool's placement changed).
 *
 * Network rule: the round trips stay between A and B (a segment inside the
 * process), the burst on the loopback of the calling process and of C.
 * bench/run runs this program in a network namespace of its own, so that
 * the port and the TIME_WAIT sockets of the burst stay there.  Every wait
 * is bounded (socket timeouts, poll timeouts, deadlines).
 *
 * Output: one line, "fwdburst key=value ...", for bench/run: for each
 * condition its count, median_us and p99_us (and conns, conns_per_s), the
 * ratios burst/alone, direct/alone and burst/direct of the medians and
 * of the p99s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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

#define UDP_PORT 5202
#define GUEST_PORT 7000
#define ADDR_B "10.0.0.2"
#define MAX_CLIENTS 8
#define RR_WAIT_MS 1000     /* a round trip lost after this */
#define SOCK_WAIT_MS 2000   /* connect/recv timeout of a burst client */
#define HARD_S 600.0        /* the whole run, at most */

static const char *lib_path = "?";
static double deadline;     /* now_s() after which every loop gives up */

/* die - print a message and exit with status 1.  Return: never. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_fwdburst: ");
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

/* cmp_double - qsort comparator.  Return: <0, 0, >0. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* quantile - the q-quantile (0..1) of n sorted values (nearest rank, as
 * bench.c).  Return: the value, 0 for n == 0. */
static double quantile(const double *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* find_lib - the path of the libvdestack mapped in this process.
 * Return: a static string, "?" when none is mapped. */
static const char *find_lib(void)
{
	static char path[PATH_MAX];
	char line[PATH_MAX + 256];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return "?";
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (p && strstr(p, "/libvdestack.so")) {
			p[strcspn(p, "\n")] = 0;
			snprintf(path, sizeof(path), "%s", p);
			fclose(f);
			return path;
		}
	}
	fclose(f);
	return "?";
}

/* thread_count - the threads of this process (/proc/self/status).
 * Return: the count, -1 if unreadable. */
static long thread_count(void)
{
	char line[256];
	long n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8)) {
			n = atol(line + 8);
			break;
		}
	fclose(f);
	return n;
}

/* set_timeouts - receive and send timeouts of ms on fd (connect() uses
 * the send timeout).  Return: nothing. */
static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* sin_of - an IPv4 socket address (addr NULL: any).  Return: it. */
static struct sockaddr_in sin_of(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };

	if (addr)
		inet_pton(AF_INET, addr, &sin.sin_addr);
	else
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
	return sin;
}

/* opt_long - the value of "--name N" in argv, or def.  Return: it. */
static long opt_long(int argc, char **argv, const char *name, long def)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return atol(argv[i + 1]);
	return def;
}

/* ------------------------------------------------------------------ */
/* The round trip between A and B                                       */
/* ------------------------------------------------------------------ */

struct rr {
	struct vdestack *a, *b;
	int fd;                 /* client socket in A, connected to B */
	int echo_fd;            /* bound in B */
	pthread_t echo_th;
	bool echo_started;
	atomic_bool stop;
	long lost;
};

/* udp_echo - send every datagram back until told to stop (the socket's
 * 200 ms timeout bounds each wait).  Return: NULL. */
static void *udp_echo(void *arg)
{
	struct rr *r = arg;
	char buf[2048];

	while (!atomic_load(&r->stop) && now_s() < deadline) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(r->echo_fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n >= 0)
			sendto(r->echo_fd, buf, (size_t)n, 0,
			       (struct sockaddr *)&from, fl);
	}
	return NULL;
}

/* rr_stack - a stack on url with cidr on its interface.
 * Return: the stack; exits on failure. */
static struct vdestack *rr_stack(const char *url, const char *cidr)
{
	struct vdestack *s = vde_addstack((char *)url, NULL);
	char conf[64];

	if (!s)
		die("vde_addstack(%s): %s", url, strerror(errno));
	snprintf(conf, sizeof(conf), "ip=%s", cidr);
	if (vde_stackconf(s, conf) < 0)
		die("vde_stackconf(%s): %s", conf, strerror(errno));
	return s;
}

/* rr_open - stacks A and B, the echo thread in B and the client socket
 * in A.  Exits on failure.  Return: nothing. */
static void rr_open(struct rr *r, const char *url_a, const char *url_b)
{
	struct sockaddr_in sin = sin_of(NULL, UDP_PORT);

	r->a = rr_stack(url_a, "10.0.0.1/24");
	r->b = rr_stack(url_b, ADDR_B "/24");
	r->echo_fd = vde_msocket(r->b, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->echo_fd < 0 ||
	    bind(r->echo_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("rr: echo socket: %s", strerror(errno));
	set_timeouts(r->echo_fd, 200);
	if (pthread_create(&r->echo_th, NULL, udp_echo, r) != 0)
		die("rr: pthread_create");
	r->echo_started = true;
	r->fd = vde_msocket(r->a, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sin = sin_of(ADDR_B, UDP_PORT);
	if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("rr: client socket: %s", strerror(errno));
}

/* rr_close - stop the echo thread, close the sockets, delete A and B.
 * Return: nothing. */
static void rr_close(struct rr *r)
{
	atomic_store(&r->stop, true);
	if (r->echo_started)
		pthread_join(r->echo_th, NULL);
	r->echo_started = false;
	if (r->fd >= 0)
		close(r->fd);
	if (r->echo_fd >= 0)
		close(r->echo_fd);
	r->fd = r->echo_fd = -1;
	if (r->a)
		vde_delstack(r->a);
	if (r->b)
		vde_delstack(r->b);
	r->a = r->b = NULL;
}

/* rr_run - n round trips of one byte, their times (µs) appended to out
 * (when out is not NULL).  A lost one (no reply in RR_WAIT_MS) is counted
 * in r->lost and not retried.  Return: how many were stored. */
static long rr_run(struct rr *r, long n, double *out)
{
	static unsigned char seq;
	long done = 0;

	for (long i = 0; i < n && now_s() < deadline; i++) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		char tag = (char)++seq, in[64];
		bool got = false;
		double t0 = now_s();

		if (send(r->fd, &tag, 1, 0) < 0) {
			r->lost++;
			usleep(1000);
			continue;
		}
		while (!got && poll(&p, 1, RR_WAIT_MS) == 1) {
			ssize_t k = recv(r->fd, in, sizeof(in), MSG_DONTWAIT);

			got = k > 0 && in[0] == tag; /* else a late reply */
		}
		if (!got) {
			r->lost++;
			continue;
		}
		if (out)
			out[done] = (now_s() - t0) * 1e6;
		done++;
	}
	return done;
}

/* ------------------------------------------------------------------ */
/* The forwarded burst into C                                           */
/* ------------------------------------------------------------------ */

/* A server thread: accept, write one byte, close. */
struct server {
	int lfd;
	pthread_t th;
	bool started;
	atomic_bool stop;
};

struct burst {
	struct vdestack *c;
	struct server in_c;     /* on C's loopback, behind the forward */
	struct server direct;   /* on our loopback: the control */
	pthread_t client_th[MAX_CLIENTS];
	int nclients, running;  /* client threads asked for, and started */
	int fwd_port;           /* the forward's port on 127.0.0.1 */
	int direct_port;        /* the direct server's port on 127.0.0.1 */
	int port;               /* where the clients connect now */
	long fwd_new_threads;   /* threads vde_stackfwd started */
	atomic_bool stop_clients;
	atomic_long conns;      /* completed: byte and end of file read */
	atomic_long errors;     /* failed connections */
};

/* serve - accept, write one byte, close, until told to stop (each wait
 * at most 200 ms).  Return: NULL. */
static void *serve(void *arg)
{
	struct server *s = arg;

	while (!atomic_load(&s->stop) && now_s() < deadline) {
		struct pollfd p = { .fd = s->lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 200) != 1)
			continue;
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		send(fd, "x", 1, MSG_NOSIGNAL);
		close(fd);
	}
	return NULL;
}

/* server_start - listen on lfd (bound) and start its thread.  lfd is the
 * server's from here on.  Exits on failure.  Return: nothing. */
static void server_start(struct server *s, int lfd)
{
	s->lfd = lfd;
	if (listen(lfd, 4096) < 0)
		die("listen: %s", strerror(errno));
	if (pthread_create(&s->th, NULL, serve, s) != 0)
		die("pthread_create");
	s->started = true;
}

/* server_stop - stop the thread and close the listener.
 * Return: nothing. */
static void server_stop(struct server *s)
{
	atomic_store(&s->stop, true);
	if (s->started)
		pthread_join(s->th, NULL);
	s->started = false;
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
}

/* one_conn - one forwarded connection: connect to the forward, read the
 * server's byte and the end of file, close.  Return: 0, or -1 on any
 * failure (refused, timed out, wrong data). */
static int one_conn(const struct sockaddr_in *to)
{
	char buf[8];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok = -1;

	if (fd < 0)
		return -1;
	set_timeouts(fd, SOCK_WAIT_MS);
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		goto out;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n != 1 || buf[0] != 'x')
		goto out;
	if (recv(fd, buf, sizeof(buf), 0) == 0)
		ok = 0;
out:
	close(fd);
	return ok;
}

/* client - open forwarded connections back to back until told to stop;
 * a failure costs a millisecond's rest (no spinning on a refusal).
 * Return: NULL. */
static void *client(void *arg)
{
	struct burst *b = arg;
	struct sockaddr_in to = sin_of("127.0.0.1", b->port);

	while (!atomic_load(&b->stop_clients) && now_s() < deadline) {
		if (one_conn(&to) == 0) {
			atomic_fetch_add(&b->conns, 1);
		} else {
			atomic_fetch_add(&b->errors, 1);
			usleep(1000);
		}
	}
	return NULL;
}

/* loopback_socket - a TCP socket bound to 127.0.0.1:port of this
 * process's network (port 0: any free one).  Return: the descriptor, or
 * -1 with errno. */
static int loopback_socket(int port)
{
	struct sockaddr_in sin = sin_of("127.0.0.1", port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* port_of - the local port of a bound socket.  Return: it; exits on
 * failure. */
static int port_of(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		die("getsockname: %s", strerror(errno));
	return ntohs(sin.sin_port);
}

/* fwd_open - the forward from a free port of 127.0.0.1 into C's
 * GUEST_PORT, counting the threads vde_stackfwd starts.  A port found
 * free (bound to 0, then closed) may be taken before vde_stackfwd binds
 * it: then another one, 20 times at most.  Exits on failure.
 * Return: nothing. */
static void fwd_open(struct burst *b)
{
	char spec[96] = "";
	int err = EADDRINUSE;

	for (int tries = 0; err == EADDRINUSE && tries < 20; tries++) {
		int fd = loopback_socket(0);
		long t0;

		if (fd < 0)
			die("a loopback port: %s (is lo up?)", strerror(errno));
		b->fwd_port = port_of(fd);
		close(fd);
		snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d:127.0.0.1:%d",
			 b->fwd_port, GUEST_PORT);
		t0 = thread_count();
		err = vde_stackfwd(b->c, spec) == 0 ? 0 : errno;
		b->fwd_new_threads = thread_count() - t0;
	}
	if (err)
		die("vde_stackfwd(%s): %s", spec, strerror(err));
	if (b->fwd_new_threads != 0)
		fprintf(stderr, "bench_fwdburst: warning: vde_stackfwd started %ld "
			"thread(s): the forward does not share a loop with A and B's "
			"pumps (are they pumped?)\n",
			b->fwd_new_threads);
}

/* burst_open - stack C with its server and the forward into it, and the
 * direct server on our loopback.  Exits on failure.  Return: nothing. */
static void burst_open(struct burst *b)
{
	struct sockaddr_in sin = sin_of("127.0.0.1", GUEST_PORT);
	int one = 1, fd;

	b->c = vde_addstack(NULL, NULL);
	if (!b->c)
		die("vde_addstack(NULL): %s", strerror(errno));
	fd = vde_msocket(b->c, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("server socket in C: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		die("bind in C: %s", strerror(errno));
	}
	server_start(&b->in_c, fd);
	fwd_open(b);
	fd = loopback_socket(0);
	if (fd < 0)
		die("direct server socket: %s", strerror(errno));
	b->direct_port = port_of(fd);
	server_start(&b->direct, fd);
}

/* clients_stop - stop and join the client threads.  Return: nothing. */
static void clients_stop(struct burst *b)
{
	atomic_store(&b->stop_clients, true);
	for (int i = 0; i < b->running; i++)
		pthread_join(b->client_th[i], NULL);
	b->running = 0;
}

/* clients_start - start the client threads and wait (at most ramp_ms)
 * until each has had time to complete connections.  Exits on failure.
 * Return: nothing. */
static void clients_start(struct burst *b, long ramp_ms)
{
	long c0 = atomic_load(&b->conns);
	double until = now_s() + (double)ramp_ms / 1000;

	atomic_store(&b->stop_clients, false);
	for (; b->running < b->nclients; b->running++)
		if (pthread_create(&b->client_th[b->running], NULL, client, b) != 0) {
			clients_stop(b);
			die("burst: pthread_create");
		}
	while (atomic_load(&b->conns) - c0 < 10L * b->nclients && now_s() < until)
		usleep(1000);
}

/* burst_close - stop every thread, delete C (and with it the forward).
 * Return: nothing. */
static void burst_close(struct burst *b)
{
	clients_stop(b);
	server_stop(&b->direct);
	server_stop(&b->in_c);
	if (b->c)
		vde_delstack(b->c);
	b->c = NULL;
}

/* ------------------------------------------------------------------ */
/* The measurement                                                      */
/* ------------------------------------------------------------------ */

/* The conditions of a round trip, in the order each round runs them. */
enum cond { ALONE, DIRECT, FWD, NCOND };

static const char *const cond_name[NCOND] = { "alone", "direct", "burst" };

/* What one condition gathered over the rounds. */
struct sample {
	double *rtt;            /* round trips (µs) */
	long n;
	long conns;             /* connections completed in its windows */
	double secs;            /* the time of its windows */
};

/* run_cond - per round trips under condition c, appended to s: alone, or
 * while the clients open connections directly to our loopback's server
 * (DIRECT) or through the forward into C (FWD).  Return: nothing. */
static void run_cond(struct rr *r, struct burst *b, enum cond c, long per,
		     long ramp_ms, struct sample *s)
{
	long c0;
	double t0;

	if (c != ALONE) {
		b->port = c == FWD ? b->fwd_port : b->direct_port;
		clients_start(b, ramp_ms);
	}
	c0 = atomic_load(&b->conns);
	t0 = now_s();
	s->n += rr_run(r, per, s->rtt + s->n);
	s->secs += now_s() - t0;
	s->conns += atomic_load(&b->conns) - c0;
	clients_stop(b);
}

/* measure - rounds times each condition in turn (the control, DIRECT,
 * only when asked), per round trips each, pooled by condition.
 * Return: nothing. */
static void measure(struct rr *r, struct burst *b, long per, long rounds,
		    long ramp_ms, bool control, struct sample *s)
{
	for (long i = 0; i < rounds && now_s() < deadline; i++)
		for (int c = 0; c < NCOND; c++)
			if (c != DIRECT || control)
				run_cond(r, b, (enum cond)c, per, ramp_ms, &s[c]);
}

/* print_cond - the key=value pairs of one condition (sorts its samples);
 * *ret_median and *ret_p99 get its quantiles.  Return: nothing. */
static void print_cond(struct sample *s, enum cond c, double *ret_median,
		       double *ret_p99)
{
	qsort(s->rtt, (size_t)s->n, sizeof(double), cmp_double);
	*ret_median = quantile(s->rtt, (size_t)s->n, 0.5);
	*ret_p99 = quantile(s->rtt, (size_t)s->n, 0.99);
	printf(" %s_count=%ld %s_median_us=%.1f %s_p99_us=%.1f", cond_name[c],
	       s->n, cond_name[c], *ret_median, cond_name[c], *ret_p99);
	if (c != ALONE)
		printf(" %s_conns=%ld %s_conns_per_s=%.0f", cond_name[c], s->conns,
		       cond_name[c], s->secs > 0 ? (double)s->conns / s->secs : 0);
}

/* report - print the result line.  Return: the exit status (1 when round
 * trips are missing or the forward passed no connection). */
static int report(const char *url_a, const char *url_b, struct sample *s,
		  const struct burst *b, const struct rr *r, long count,
		  long rounds, bool control)
{
	double med[NCOND] = { 0 }, p99[NCOND] = { 0 };

	printf("fwdburst lib=%s a=%s b=%s rounds=%ld clients=%d", lib_path,
	       url_a, url_b, rounds, b->nclients);
	for (int c = 0; c < NCOND; c++)
		if (c != DIRECT || control)
			print_cond(&s[c], (enum cond)c, &med[c], &p99[c]);
	printf(" median_ratio=%.3f p99_ratio=%.3f",
	       med[ALONE] > 0 ? med[FWD] / med[ALONE] : 0,
	       p99[ALONE] > 0 ? p99[FWD] / p99[ALONE] : 0);
	if (control)
		printf(" direct_median_ratio=%.3f direct_p99_ratio=%.3f"
		       " burst_direct_median_ratio=%.3f burst_direct_p99_ratio=%.3f",
		       med[ALONE] > 0 ? med[DIRECT] / med[ALONE] : 0,
		       p99[ALONE] > 0 ? p99[DIRECT] / p99[ALONE] : 0,
		       med[DIRECT] > 0 ? med[FWD] / med[DIRECT] : 0,
		       p99[DIRECT] > 0 ? p99[FWD] / p99[DIRECT] : 0);
	printf(" conn_errors=%ld lost=%ld fwd_new_threads=%ld\n",
	       atomic_load(&b->errors), r->lost, b->fwd_new_threads);
	for (int c = 0; c < NCOND; c++)
		if ((c != DIRECT || control) && s[c].n != count)
			return 1;
	return s[FWD].conns > 0 ? 0 : 1;
}

/* usage - print how to call the program and exit 2.  Return: never. */
static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: vdestack-bench-fwdburst A B [--count N] "
		"[--rounds R] [--clients K] [--ramp-ms MS] [--control 0|1]\n");
	exit(2);
}

/* main - fwdburst A B [options]: see the top of the file.
 * Return: the exit status. */
int main(int argc, char **argv)
{
	struct rr r = { .fd = -1, .echo_fd = -1 };
	struct burst b = { .in_c.lfd = -1, .direct.lfd = -1 };
	struct sample s[NCOND] = { { 0 } };
	long count, rounds, ramp_ms, per;
	bool control;
	int status;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	lib_path = find_lib();
	if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-')
		usage();
	count = opt_long(argc, argv, "--count", 20000);
	rounds = opt_long(argc, argv, "--rounds", 4);
	b.nclients = (int)opt_long(argc, argv, "--clients", 2);
	ramp_ms = opt_long(argc, argv, "--ramp-ms", 1000);
	control = opt_long(argc, argv, "--control", 1) != 0;
	if (rounds < 1 || rounds > 100 || count < rounds * 10 ||
	    count > 1000000 || b.nclients < 1 || b.nclients > MAX_CLIENTS ||
	    ramp_ms < 0 || ramp_ms > 10000)
		usage();
	per = count / rounds;
	count = per * rounds;
	for (int c = 0; c < NCOND; c++) {
		s[c].rtt = calloc((size_t)count, sizeof(double));
		if (!s[c].rtt)
			die("out of memory");
	}
	deadline = now_s() + HARD_S;
	/* A first, then B, then the forward: one loop (see the top) */
	rr_open(&r, argv[1], argv[2]);
	burst_open(&b);
	rr_run(&r, count / 10 > 200 ? count / 10 : 200, NULL); /* warm-up */
	r.lost = 0;
	measure(&r, &b, per, rounds, ramp_ms, control, s);
	status = report(argv[1], argv[2], s, &b, &r, count, rounds, control);
	burst_close(&b);
	rr_close(&r);
	for (int c = 0; c < NCOND; c++)
		free(s[c].rtt);
	return status;
}
