/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench.c - the vdestack benchmark: throughput, latency, stack lifecycle
 * and many stacks at once, through the public API only.
 *
 * The same source builds against this library (meson target
 * vdestack-bench) and against Debian's libvdestack0 (bench/run compiles it
 * a second time with -lvdestack), so it uses nothing but the five calls
 * of the original vdestack.h.  Every result line names the libvdestack
 * the process really mapped (lib=, from /proc/self/maps), so that a
 * comparison cannot silently measure one library twice.
 *
 * Endpoints: a mode that needs two ends (tcp, rr) takes two endpoint
 * specs.  A spec is a vde_addstack() URL (a new stack whose vde0 gets
 * 10.0.0.1/24 or 10.0.0.2/24 through vde_stackcmd and /bin/ip), or
 * "netns:PATH", an existing network namespace (e.g. /run/netns/x, set up
 * by bench/run with a veth pair) where sockets are made by setns() on the
 * calling thread, or "host".  So the kernel's own path (veth) is measured
 * by the very code that measures the stacks.
 *
 * Output: one line per result, "MODE key=value ...", for bench/run.
 * Every wait is bounded (socket timeouts and deadlines).  With
 * BENCH_STATS set, tcp and rr also print the interface and TCP/UDP
 * counters of both ends and a "task" line per thread of the process and
 * of its helpers (CPU time, context switches).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vdestack.h>

#ifndef KCMP_VM
#define KCMP_VM 1
#endif

#define TCP_PORT 5201
#define UDP_PORT 5202
#define ADDR_A "10.0.0.1"
#define ADDR_B "10.0.0.2"

static const char *lib_path = "?";

/* die - print a message and exit with status 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* now_s - the monotonic clock in seconds.  Return: seconds. */
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

/* quantile - the q-quantile (0..1) of n sorted values (nearest rank).
 * Return: the value, 0 for n == 0. */
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

/* raise_nofile - soft RLIMIT_NOFILE up to the hard limit (every stack
 * costs descriptors). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ------------------------------------------------------------------ */
/* Endpoints                                                           */
/* ------------------------------------------------------------------ */

struct ep {
	const char *spec;
	struct vdestack *stack; /* a stack made from a URL */
	int nsfd;               /* netns:PATH, else -1 */
};

/* ep_open - make or open the endpoint of spec; a new stack gets cidr on
 * vde0.  Return: 0, or -1 with a message printed. */
static int ep_open(struct ep *e, const char *spec, const char *cidr)
{
	char cmd[256];
	int st;

	e->spec = spec;
	e->stack = NULL;
	e->nsfd = -1;
	if (!strcmp(spec, "host"))
		return 0;
	if (!strncmp(spec, "netns:", 6)) {
		e->nsfd = open(spec + 6, O_RDONLY | O_CLOEXEC);
		if (e->nsfd < 0) {
			fprintf(stderr, "bench: %s: %s\n", spec + 6, strerror(errno));
			return -1;
		}
		return 0;
	}
	e->stack = vde_addstack((char *)spec, NULL);
	if (!e->stack) {
		fprintf(stderr, "bench: vde_addstack(%s): %s\n", spec,
			strerror(errno));
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "/bin/ip addr add %s dev vde0; /bin/ip link set vde0 up", cidr);
	st = vde_stackcmd(e->stack, cmd);
	if (st != 0) {
		fprintf(stderr, "bench: vde_stackcmd(%s): status %d (%s)\n",
			cmd, st, strerror(errno));
		return -1;
	}
	return 0;
}

/* ep_socket - a socket in the endpoint's network.
 * Return: the descriptor or -1 (errno set). */
static int ep_socket(struct ep *e, int domain, int type, int protocol)
{
	int self, fd, saved;

	if (e->stack)
		return vde_msocket(e->stack, domain, type, protocol);
	if (e->nsfd < 0)
		return socket(domain, type, protocol);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -1;
	if (setns(e->nsfd, CLONE_NEWNET) < 0) {
		saved = errno;
		close(self);
		errno = saved;
		return -1;
	}
	fd = socket(domain, type, protocol);
	saved = errno;
	if (setns(self, CLONE_NEWNET) < 0)
		die("setns back to our own namespace: %s", strerror(errno));
	close(self);
	errno = saved;
	return fd;
}

/* ep_close - delete the endpoint's stack or close its namespace. */
static void ep_close(struct ep *e)
{
	if (e->stack)
		vde_delstack(e->stack);
	if (e->nsfd >= 0)
		close(e->nsfd);
	e->stack = NULL;
	e->nsfd = -1;
}

#define NSTAT_KEYS "IpInReceives IpOutRequests TcpInSegs TcpOutSegs " \
	"TcpRetransSegs TcpExtTCPLossProbes UdpInDatagrams UdpOutDatagrams " \
	"UdpRcvbufErrors"

/* ep_stats - with BENCH_STATS set in the environment, print the
 * endpoint's interface counters and TCP/UDP counters (for finding where
 * frames go): vde_stackcmd in a stack, a forked setns() child in a
 * namespace. */
static void ep_stats(struct ep *e, const char *what)
{
	static const char cmd[] =
		"/bin/ip -s link show; /bin/nstat -a -z -s " NSTAT_KEYS;
	pid_t pid;

	if (!getenv("BENCH_STATS") || (!e->stack && e->nsfd < 0))
		return;
	printf("== stats of %s (%s) ==\n", what, e->spec);
	fflush(stdout);
	if (e->stack) {
		vde_stackcmd(e->stack, (char *)cmd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (setns(e->nsfd, CLONE_NEWNET) == 0)
			execl("/bin/sh", "sh", "-c",
			      "ip -s link show; nstat -a -z -s " NSTAT_KEYS,
			      (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static size_t descendants(pid_t *out, size_t max);
static long status_field(const char *path, const char *key);

/* task_report - with BENCH_STATS set, one line per task of the process
 * and of its descendants (the original's helpers): CPU time and context
 * switches, to tell which thread does the work and how often it sleeps. */
static void task_report(const char *mode, long units)
{
	static pid_t pids[4096];
	size_t n;

	if (!getenv("BENCH_STATS"))
		return;
	n = descendants(pids, 4096);
	for (size_t i = 0; i < n; i++) {
		char dir[64];
		DIR *d;
		struct dirent *de;

		snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pids[i]);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char path[512], comm[64] = "?", stat[1024], *p;
			unsigned long ut = 0, st = 0;
			long vol, invol;
			FILE *f;

			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "%s/%s/stat", dir, de->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(stat, sizeof(stat), f) && (p = strrchr(stat, ')'))) {
				char *c = strchr(stat, '(');

				if (c && p > c)
					snprintf(comm, sizeof(comm), "%.*s", (int)(p - c - 1), c + 1);
				/* fields 14, 15 (utime, stime) after ") S" = 3rd */
				sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				       &ut, &st);
			}
			fclose(f);
			snprintf(path, sizeof(path), "%s/%s/status", dir, de->d_name);
			vol = status_field(path, "voluntary_ctxt_switches:");
			invol = status_field(path, "nonvoluntary_ctxt_switches:");
			printf("task mode=%s pid=%d tid=%s comm=%s cpu_ms=%lu vol_cs=%ld invol_cs=%ld vol_cs_per_unit=%.2f\n",
			       mode, (int)pids[i], de->d_name, comm,
			       (ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK),
			       vol, invol, units ? (double)vol / (double)units : 0);
		}
		closedir(d);
	}
}

/* set_timeouts - receive and send timeouts of ms on fd. */
static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* sin_of - an IPv4 socket address.  Return: the address. */
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

/* ------------------------------------------------------------------ */
/* tcp: one stream A -> B for a fixed time                              */
/* ------------------------------------------------------------------ */

struct tcp_rx {
	int lfd;
	double warm, secs;
	atomic_bool stop;      /* receiver -> sender: window over */
	uint64_t bytes;        /* in the window */
	double elapsed;        /* of the window */
	int err;
};

/* tcp_receiver - accept one connection and count what arrives in the
 * measuring window (after warm seconds from the first byte).
 * Return: NULL (the result is in *arg). */
static void *tcp_receiver(void *arg)
{
	struct tcp_rx *rx = arg;
	struct pollfd p = { .fd = rx->lfd, .events = POLLIN };
	size_t bufsz = 256 * 1024;
	char *buf = malloc(bufsz);
	double first = 0, start = 0, last = 0, hard;
	bool counting = false;
	int c;

	rx->err = 1;
	if (!buf || poll(&p, 1, 10000) != 1)
		goto out;
	c = accept(rx->lfd, NULL, NULL);
	if (c < 0)
		goto out;
	set_timeouts(c, 1000);
	hard = now_s() + rx->warm + rx->secs + 20;
	for (;;) {
		ssize_t n = recv(c, buf, bufsz, 0);
		double t = now_s();

		if (t > hard)
			break; /* stalled: leave err set */
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		if (first == 0) {
			first = t;
			start = first + rx->warm;
		}
		if (!counting && t >= start) {
			counting = true;
			start = t;
			continue;
		}
		if (counting) {
			rx->bytes += (uint64_t)n;
			last = t;
			if (t - start >= rx->secs) {
				rx->err = 0;
				break;
			}
		}
	}
	rx->elapsed = last - start;
	atomic_store(&rx->stop, true);
	close(c);
out:
	atomic_store(&rx->stop, true);
	free(buf);
	return NULL;
}

/* mode_tcp - tcp A B SECONDS.  Return: exit status. */
static int mode_tcp(int argc, char **argv)
{
	struct ep a, b;
	struct tcp_rx rx = { .warm = 1.0 };
	struct sockaddr_in sin;
	pthread_t th;
	size_t bufsz = 128 * 1024;
	char *buf;
	int one = 1, fd, status = 1;
	double hard;

	if (argc < 3)
		die("usage: tcp A B SECONDS");
	rx.secs = atof(argv[2]);
	if (rx.secs <= 0 || rx.secs > 600)
		die("tcp: SECONDS out of range");
	if (ep_open(&a, argv[0], ADDR_A "/24") < 0 ||
	    ep_open(&b, argv[1], ADDR_B "/24") < 0)
		return 1;
	rx.lfd = ep_socket(&b, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rx.lfd < 0)
		die("tcp: server socket: %s", strerror(errno));
	setsockopt(rx.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin = sin_of(NULL, TCP_PORT);
	if (bind(rx.lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(rx.lfd, 1) < 0)
		die("tcp: bind/listen: %s", strerror(errno));
	if (pthread_create(&th, NULL, tcp_receiver, &rx) != 0)
		die("tcp: pthread_create");
	fd = ep_socket(&a, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("tcp: client socket: %s", strerror(errno));
	set_timeouts(fd, 1000);
	sin = sin_of(ADDR_B, TCP_PORT);
	buf = calloc(1, bufsz);
	hard = now_s() + rx.warm + rx.secs + 30;
	if (!buf)
		die("out of memory");
	for (int tries = 0; connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0; tries++) {
		if (tries > 5)
			die("tcp: connect: %s", strerror(errno));
		usleep(100000);
	}
	while (!atomic_load(&rx.stop) && now_s() < hard) {
		ssize_t n = send(fd, buf, bufsz, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	task_report("tcp", 0);
	close(fd);
	pthread_join(th, NULL);
	close(rx.lfd);
	if (!rx.err && rx.elapsed > 0) {
		printf("tcp lib=%s a=%s b=%s gbps=%.3f bytes=%llu secs=%.3f\n",
		       lib_path, a.spec, b.spec,
		       (double)rx.bytes * 8 / rx.elapsed / 1e9,
		       (unsigned long long)rx.bytes, rx.elapsed);
		status = 0;
	} else {
		printf("tcp lib=%s a=%s b=%s error=stalled bytes=%llu\n",
		       lib_path, a.spec, b.spec, (unsigned long long)rx.bytes);
	}
	free(buf);
	ep_stats(&a, "A, sender");
	ep_stats(&b, "B, receiver");
	ep_close(&a);
	ep_close(&b);
	return status;
}

/* ------------------------------------------------------------------ */
/* rr: UDP request/response round trips A -> B -> A                     */
/* ------------------------------------------------------------------ */

struct echo {
	int fd;
	atomic_bool stop;
};

/* udp_echo - send every datagram back until told to stop.
 * Return: NULL. */
static void *udp_echo(void *arg)
{
	struct echo *e = arg;
	char buf[65536];

	while (!atomic_load(&e->stop)) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(e->fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n >= 0)
			sendto(e->fd, buf, (size_t)n, 0,
			       (struct sockaddr *)&from, fl);
	}
	return NULL;
}

/* mode_rr - rr A B COUNT [SIZE].  Return: exit status. */
static int mode_rr(int argc, char **argv)
{
	struct ep a, b;
	struct echo ech = { 0 };
	struct sockaddr_in sin;
	pthread_t th;
	long count, warm, size = 1, lost = 0, done = 0;
	double *rtt, hard;
	char out[65536], in[65536];
	int fd;

	if (argc < 3)
		die("usage: rr A B COUNT [SIZE]");
	count = atol(argv[2]);
	if (argc > 3)
		size = atol(argv[3]);
	if (count < 10 || count > 10000000 || size < 1 || size > 65000)
		die("rr: COUNT or SIZE out of range");
	warm = count / 10 > 200 ? count / 10 : 200;
	rtt = calloc((size_t)count, sizeof(*rtt));
	if (!rtt)
		die("out of memory");
	if (ep_open(&a, argv[0], ADDR_A "/24") < 0 ||
	    ep_open(&b, argv[1], ADDR_B "/24") < 0)
		return 1;
	ech.fd = ep_socket(&b, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ech.fd < 0)
		die("rr: server socket: %s", strerror(errno));
	sin = sin_of(NULL, UDP_PORT);
	if (bind(ech.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("rr: bind: %s", strerror(errno));
	set_timeouts(ech.fd, 200);
	if (pthread_create(&th, NULL, udp_echo, &ech) != 0)
		die("rr: pthread_create");
	fd = ep_socket(&a, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("rr: client socket: %s", strerror(errno));
	sin = sin_of(ADDR_B, UDP_PORT);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("rr: connect: %s", strerror(errno));
	memset(out, 'x', sizeof(out));
	hard = now_s() + 120;
	for (long i = 0; i < warm + count && now_s() < hard; i++) {
		unsigned char tag = (unsigned char)i;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double t0, t1;
		bool got = false;

		out[0] = (char)tag;
		t0 = now_s();
		if (send(fd, out, (size_t)size, 0) < 0) {
			lost++;
			usleep(1000);
			continue;
		}
		while (!got && poll(&p, 1, 1000) == 1) {
			ssize_t n = recv(fd, in, sizeof(in), MSG_DONTWAIT);

			if (n > 0 && (unsigned char)in[0] == tag)
				got = true; /* else a late reply: skip it */
		}
		t1 = now_s();
		if (!got) {
			lost++;
			continue;
		}
		if (i >= warm)
			rtt[done++] = (t1 - t0) * 1e6;
	}
	task_report("rr", warm + count);
	atomic_store(&ech.stop, true);
	pthread_join(th, NULL);
	close(fd);
	close(ech.fd);
	qsort(rtt, (size_t)done, sizeof(*rtt), cmp_double);
	printf("rr lib=%s a=%s b=%s size=%ld count=%ld median_us=%.1f p99_us=%.1f min_us=%.1f p90_us=%.1f lost=%ld\n",
	       lib_path, a.spec, b.spec, size, done, quantile(rtt, (size_t)done, 0.5),
	       quantile(rtt, (size_t)done, 0.99), done ? rtt[0] : 0,
	       quantile(rtt, (size_t)done, 0.9), lost);
	free(rtt);
	ep_stats(&a, "A, client");
	ep_stats(&b, "B, echo server");
	ep_close(&a);
	ep_close(&b);
	return done == count ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* lifecycle: addstack+delstack and msocket times                        */
/* ------------------------------------------------------------------ */

/* opt_value - the value of "--name VALUE" in argv, or def.
 * Return: the value. */
static const char *opt_value(int argc, char **argv, const char *name,
			     const char *def)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

/* mode_lifecycle - lifecycle URL N [--anchor URL] [--sockets M]
 * [--gap US]: with a gap, each pair starts US microseconds after the
 * last (stacks made now and then rather than back to back).
 * Return: exit status. */
static int mode_lifecycle(int argc, char **argv)
{
	const char *url, *anchor_url;
	struct vdestack *anchor = NULL, *s;
	long n, m, gap;
	double *add, *del, *sum, *ms;

	if (argc < 2)
		die("usage: lifecycle URL N [--anchor URL] [--sockets M] [--gap US]");
	url = argv[0];
	n = atol(argv[1]);
	anchor_url = opt_value(argc, argv, "--anchor", NULL);
	m = atol(opt_value(argc, argv, "--sockets", "2000"));
	gap = atol(opt_value(argc, argv, "--gap", "0"));
	if (n < 1 || n > 100000 || m < 1 || m > 1000000 || gap < 0 ||
	    gap > 1000000)
		die("lifecycle: N, M or the gap out of range");
	add = calloc((size_t)n, sizeof(double));
	del = calloc((size_t)n, sizeof(double));
	sum = calloc((size_t)n, sizeof(double));
	ms = calloc((size_t)m, sizeof(double));
	if (!add || !del || !sum || !ms)
		die("out of memory");
	if (anchor_url) {
		anchor = vde_addstack((char *)anchor_url, NULL);
		if (!anchor)
			die("vde_addstack(%s): %s", anchor_url, strerror(errno));
	}
	/* warm-up: the first stack may start a helper */
	s = vde_addstack((char *)url, NULL);
	if (!s)
		die("vde_addstack(%s): %s", url, strerror(errno));
	vde_delstack(s);
	for (long i = 0; i < n; i++) {
		double t0, t1, t2;

		if (gap)
			usleep((useconds_t)gap);
		t0 = now_s();
		s = vde_addstack((char *)url, NULL);
		t1 = now_s();
		if (!s)
			die("vde_addstack(%s): %s", url, strerror(errno));
		vde_delstack(s);
		t2 = now_s();
		add[i] = (t1 - t0) * 1e6;
		del[i] = (t2 - t1) * 1e6;
		sum[i] = (t2 - t0) * 1e6;
	}
	s = vde_addstack((char *)url, NULL);
	if (!s)
		die("vde_addstack(%s): %s", url, strerror(errno));
	for (long i = 0; i < m; i++) {
		double t0 = now_s();
		int fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);

		ms[i] = (now_s() - t0) * 1e6;
		if (fd < 0)
			die("vde_msocket: %s", strerror(errno));
		close(fd);
	}
	vde_delstack(s);
	if (anchor)
		vde_delstack(anchor);
	qsort(add, (size_t)n, sizeof(double), cmp_double);
	qsort(del, (size_t)n, sizeof(double), cmp_double);
	qsort(sum, (size_t)n, sizeof(double), cmp_double);
	qsort(ms, (size_t)m, sizeof(double), cmp_double);
	printf("lifecycle lib=%s url=%s n=%ld gap_us=%ld add_us=%.1f del_us=%.1f adddel_us=%.1f adddel_p90_us=%.1f msocket_us=%.2f msocket_p99_us=%.2f sockets=%ld\n",
	       lib_path, *url ? url : "\"\"", n, gap,
	       quantile(add, (size_t)n, 0.5), quantile(del, (size_t)n, 0.5),
	       quantile(sum, (size_t)n, 0.5), quantile(sum, (size_t)n, 0.9),
	       quantile(ms, (size_t)m, 0.5), quantile(ms, (size_t)m, 0.99), m);
	free(add);
	free(del);
	free(sum);
	free(ms);
	return 0;
}

/* ------------------------------------------------------------------ */
/* many: N stacks alive at once                                         */
/* ------------------------------------------------------------------ */

/* What we measure of the process and its descendants (the original's
 * helpers are CLONE_VM children: their memory is counted once). */
struct snap {
	long rss_kb, pss_kb; /* over distinct address spaces */
	long tasks;          /* threads of the process and its descendants */
	long procs;          /* the process and its descendants */
	long kern_kb[5];     /* /proc/meminfo, machine-wide */
};

static const char *const kern_keys[5] = {
	"SUnreclaim:", "KernelStack:", "PageTables:", "Percpu:", "VmallocUsed:"
};

/* status_field - a "Key: N" field of a /proc file, in its unit (kB).
 * Return: the value, -1 when missing. */
static long status_field(const char *path, const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl)) {
			v = atol(line + kl);
			break;
		}
	fclose(f);
	return v;
}

/* ppid_of - the parent of pid, from /proc/PID/stat.  Return: it or -1. */
static pid_t ppid_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	return (pid_t)strtol(p + 4, NULL, 10); /* ") S PPID" */
}

/* descendants - this process and all its descendants.
 * Return: how many pids were stored in out (at most max). */
static size_t descendants(pid_t *out, size_t max)
{
	size_t nall = 0, cap = 4096, n = 1;
	pid_t *pid = malloc(cap * sizeof(*pid)), *ppid = malloc(cap * sizeof(*ppid));
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool grew = true;

	out[0] = getpid();
	if (!pid || !ppid || !d)
		die("descendants: out of memory or no /proc");
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (nall == cap) {
			cap *= 2;
			pid = realloc(pid, cap * sizeof(*pid));
			ppid = realloc(ppid, cap * sizeof(*ppid));
			if (!pid || !ppid)
				die("out of memory");
		}
		pid[nall] = (pid_t)atoi(de->d_name);
		ppid[nall] = ppid_of(pid[nall]);
		nall++;
	}
	closedir(d);
	while (grew) {
		grew = false;
		for (size_t i = 0; i < nall; i++) {
			bool in = false, parent_in = false;

			for (size_t j = 0; j < n; j++) {
				in |= out[j] == pid[i];
				parent_in |= out[j] == ppid[i];
			}
			if (!in && parent_in && n < max) {
				out[n++] = pid[i];
				grew = true;
			}
		}
	}
	free(pid);
	free(ppid);
	return n;
}

/* count_tasks - threads of the process and its descendants, now. */
static long count_tasks(void)
{
	static pid_t pids[65536];
	size_t n = descendants(pids, 65536);
	char path[64];
	long tasks = 0, th;

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		th = status_field(path, "Threads:");
		tasks += th > 0 ? th : 0;
	}
	return tasks;
}

/* take_snap - measure the process tree and the kernel's memory.  The
 * tasks are the fewest of five counts 10 ms apart: the ones that stay,
 * not a short-lived child caught at work (ours make each stack's
 * namespaces in a child that lives a few hundred µs). */
static void take_snap(struct snap *s)
{
	static pid_t pids[65536];
	pid_t mm[256];
	size_t n = descendants(pids, 65536), nmm = 0;
	char path[64];

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		long th;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		th = status_field(path, "Threads:");
		if (th < 0)
			continue; /* gone meanwhile */
		s->procs++;
		s->tasks += th;
		for (size_t j = 0; j < nmm && !seen; j++) {
			long r = syscall(SYS_kcmp, mm[j], pids[i], KCMP_VM, 0, 0);

			seen = r == 0;
		}
		if (seen)
			continue;
		if (nmm < 256)
			mm[nmm++] = pids[i];
		s->rss_kb += status_field(path, "VmRSS:");
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pids[i]);
		s->pss_kb += status_field(path, "Pss:");
	}
	for (int k = 0; k < 5; k++)
		s->kern_kb[k] = status_field("/proc/meminfo", kern_keys[k]);
	for (int k = 0; k < 4; k++) {
		long t;

		usleep(10000);
		t = count_tasks();
		s->tasks = t < s->tasks ? t : s->tasks;
	}
}

/* kern_sum - kernel memory of a snapshot: unreclaimable slab, page
 * tables, per-CPU and vmalloc (which holds the kernel stacks).
 * Return: KiB. */
static long kern_sum(const struct snap *s)
{
	return s->kern_kb[0] + s->kern_kb[2] + s->kern_kb[3] + s->kern_kb[4];
}

/* settle - wait (at most 10 s) until the kernel's memory stops moving, so
 * that namespaces freed by an earlier run (the kernel frees them later,
 * in a work queue) do not cancel out this run's.
 * Return: the seconds it waited. */
static double settle(void)
{
	struct snap s;
	long prev, cur;
	int calm = 0;
	double t0 = now_s();

	take_snap(&s);
	prev = kern_sum(&s);
	for (int i = 0; i < 40 && calm < 2; i++) {
		usleep(250000);
		for (int k = 0; k < 5; k++)
			s.kern_kb[k] = status_field("/proc/meminfo", kern_keys[k]);
		cur = kern_sum(&s);
		calm = labs(cur - prev) < 512 ? calm + 1 : 0;
		prev = cur;
	}
	return now_s() - t0;
}

/* mode_many - many URL N [--anchor URL] [--snap K].  Return: status. */
static int mode_many(int argc, char **argv)
{
	const char *url, *anchor_url;
	struct vdestack *anchor = NULL, **st;
	struct snap base, at_k, at_n, after;
	long n, k;
	double t0, t_make, t_use, t_del, t_settle;

	if (argc < 2)
		die("usage: many URL N [--anchor URL] [--snap K]");
	url = argv[0];
	n = atol(argv[1]);
	anchor_url = opt_value(argc, argv, "--anchor", NULL);
	k = atol(opt_value(argc, argv, "--snap", "10"));
	if (n < 2 || n > 100000 || k < 1 || k >= n)
		die("many: N or K out of range");
	st = calloc((size_t)n, sizeof(*st));
	if (!st)
		die("out of memory");
	if (anchor_url) {
		anchor = vde_addstack((char *)anchor_url, NULL);
		if (!anchor)
			die("vde_addstack(%s): %s", anchor_url, strerror(errno));
	}
	t_settle = settle();
	take_snap(&base);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		st[i] = vde_addstack((char *)url, NULL);
		if (!st[i])
			die("vde_addstack(%s) #%ld: %s", url, i, strerror(errno));
		if (i + 1 == k) {
			double tp = now_s();

			take_snap(&at_k);
			t0 += now_s() - tp; /* the snapshot is not creation time */
		}
	}
	t_make = now_s() - t0;
	take_snap(&at_n);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		int fd = vde_msocket(st[i], AF_INET, SOCK_DGRAM, 0);

		if (fd < 0)
			die("vde_msocket #%ld: %s", i, strerror(errno));
		close(fd);
	}
	t_use = now_s() - t0;
	t0 = now_s();
	for (long i = 0; i < n; i++)
		vde_delstack(st[i]);
	t_del = now_s() - t0;
	if (anchor)
		vde_delstack(anchor);
	take_snap(&after);
	printf("many lib=%s url=%s n=%ld snap=%ld make_s=%.3f use_s=%.3f del_s=%.3f"
	       " rss_base_kb=%ld rss_snap_kb=%ld rss_n_kb=%ld"
	       " pss_base_kb=%ld pss_snap_kb=%ld pss_n_kb=%ld"
	       " tasks_base=%ld tasks_snap=%ld tasks_n=%ld tasks_after=%ld"
	       " procs_n=%ld user_kb_per_stack=%.2f kern_kb_per_stack=%.1f"
	       " slab_kb_per_stack=%.1f kstack_kb_per_stack=%.1f pgtbl_kb_per_stack=%.1f"
	       " percpu_kb_per_stack=%.1f vmalloc_kb_per_stack=%.1f settle_s=%.1f\n",
	       lib_path, *url ? url : "\"\"", n, k, t_make, t_use, t_del,
	       base.rss_kb, at_k.rss_kb, at_n.rss_kb,
	       base.pss_kb, at_k.pss_kb, at_n.pss_kb,
	       base.tasks, at_k.tasks, at_n.tasks, after.tasks, at_n.procs,
	       (double)(at_n.pss_kb - at_k.pss_kb) / (double)(n - k),
	       (double)(kern_sum(&at_n) - kern_sum(&base)) / (double)n,
	       (double)(at_n.kern_kb[0] - base.kern_kb[0]) / (double)n,
	       (double)(at_n.kern_kb[1] - base.kern_kb[1]) / (double)n,
	       (double)(at_n.kern_kb[2] - base.kern_kb[2]) / (double)n,
	       (double)(at_n.kern_kb[3] - base.kern_kb[3]) / (double)n,
	       (double)(at_n.kern_kb[4] - base.kern_kb[4]) / (double)n,
	       t_settle);
	free(st);
	return 0;
}

/* mode_nsfloor - nsfloor N: the kernel's part of a stack's life, as a
 * reference for lifecycle (needs CAP_SYS_ADMIN: bench/run runs as root):
 * N times, back to back, unshare a network namespace on this thread, keep
 * it by descriptor, bring its lo up, go back and close it.  Not a
 * libvdestack call: the same figure from both builds. */
static int mode_nsfloor(int argc, char **argv)
{
	double *t;
	long n;
	int home;

	if (argc < 1 || (n = atol(argv[0])) < 1 || n > 100000)
		die("usage: nsfloor N");
	t = calloc((size_t)n, sizeof(*t));
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!t || home < 0)
		die("nsfloor: %s", strerror(errno));
	for (long i = 0; i < n; i++) {
		struct ifreq ifr = { 0 };
		double t0 = now_s();
		int ns, sk;

		if (unshare(CLONE_NEWNET) < 0)
			die("nsfloor: unshare: %s", strerror(errno));
		ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (ns < 0 || sk < 0)
			die("nsfloor: %s", strerror(errno));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
		if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
			die("nsfloor: SIOCGIFFLAGS: %s", strerror(errno));
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)
			die("nsfloor: SIOCSIFFLAGS: %s", strerror(errno));
		close(sk);
		if (setns(home, CLONE_NEWNET) < 0)
			die("nsfloor: setns: %s", strerror(errno));
		close(ns);
		t[i] = (now_s() - t0) * 1e6;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("nsfloor lib=%s n=%ld ns_us=%.1f ns_p90_us=%.1f\n", lib_path, n,
	       t[n / 2], t[n * 9 / 10]);
	free(t);
	close(home);
	return 0;
}

/* usage - print the modes and exit 2. */
static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: vdestack-bench MODE ARGS\n"
		"  lib                            print the libvdestack loaded\n"
		"  tcp A B SECONDS                one TCP stream A -> B\n"
		"  rr A B COUNT [SIZE]            UDP round trips A -> B -> A\n"
		"  lifecycle URL N [--anchor URL] [--sockets M] [--gap US]\n"
		"  many URL N [--anchor URL] [--snap K]\n"
		"  nsfloor N                      a network namespace made and\n"
		"                                 closed N times (kernel reference)\n"
		"A and B: a vde_addstack URL (vde0 gets 10.0.0.1/24, 10.0.0.2/24),\n"
		"netns:PATH (an existing namespace, already configured) or host.\n");
	exit(2);
}

/* main - run the mode named by argv[1].  Return: the exit status. */
int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	setvbuf(stdout, NULL, _IOLBF, 0);
	lib_path = find_lib();
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "lib")) {
		printf("lib lib=%s\n", lib_path);
		return 0;
	}
	if (!strcmp(argv[1], "tcp"))
		return mode_tcp(argc - 2, argv + 2);
	if (!strcmp(argv[1], "rr"))
		return mode_rr(argc - 2, argv + 2);
	if (!strcmp(argv[1], "lifecycle"))
		return mode_lifecycle(argc - 2, argv + 2);
	if (!strcmp(argv[1], "many"))
		return mode_many(argc - 2, argv + 2);
	if (!strcmp(argv[1], "nsfloor"))
		return mode_nsfloor(argc - 2, argv + 2);
	usage();
}
