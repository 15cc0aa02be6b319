/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_conf.c - how long an address and a default route take to set in a
 * stack: vde_stackconf (rtnetlink, in-process) against vde_stackcmd
 * running /bin/ip twice (what programs of the original library do).
 *
 * Usage: vdestack-bench-conf [-n N] [-u URL]
 *   -n N    measured calls of each kind (default 300), after one warm-up
 *   -u URL  network of the two stacks (default mem://bench-conf-PID)
 *
 * Each call adds a new /32 address and replaces the default route, so
 * neither side gets away with "already there".  The two kinds alternate,
 * call by call, in two stacks of their own, so that drift of the machine
 * hits both alike.  Output: one line per kind (median, mean, p10, p90 in
 * ms) and the ratio of the medians, which the issue wants >= 10.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vdestack.h>

/* now_ms - the monotonic clock.  Return: milliseconds. */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* cmp_double - qsort order.  Return: <0, 0, >0. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* quantile - the q-quantile of n sorted values.  Return: it. */
static double quantile(const double *v, size_t n, double q)
{
	return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

/* report - print one kind's figures.  Return: its median. */
static double report(const char *what, double *v, size_t n)
{
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	printf("%-34s n=%zu  median %8.3f ms  mean %8.3f ms  "
	       "p10 %8.3f ms  p90 %8.3f ms\n", what, n, quantile(v, n, 0.5),
	       sum / (double)n, quantile(v, n, 0.1), quantile(v, n, 0.9));
	return quantile(v, n, 0.5);
}

/* die - print an error and exit(1). */
static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "vdestack-bench-conf: %s: %s\n", what,
		strerror(errno));
	exit(1);
}

/* main - set up two stacks, measure, print.  Return: 0. */
int main(int argc, char **argv)
{
	char url[64], conf[96], cmd[256];
	struct vdestack *a, *b;
	double *tc, *ti, ratio;
	size_t n = 300;
	int opt;

	snprintf(url, sizeof(url), "mem://bench-conf-%d", (int)getpid());
	while ((opt = getopt(argc, argv, "n:u:")) != -1) {
		if (opt == 'n' && atoi(optarg) > 0 && atoi(optarg) <= 60000) {
			n = (size_t)atoi(optarg);
		} else if (opt == 'u') {
			snprintf(url, sizeof(url), "%s", optarg);
		} else {
			fprintf(stderr, "usage: %s [-n N] [-u URL]\n", argv[0]);
			return 2;
		}
	}
	tc = calloc(n, sizeof(*tc));
	ti = calloc(n, sizeof(*ti));
	if (!tc || !ti)
		die("calloc");
	a = vde_addstack(url, NULL);
	b = vde_addstack(url, NULL);
	if (!a || !b)
		die(url);
	/* the subnet of the gateway, and warm-up (helper, page cache) */
	if (vde_stackconf(a, "ip=10.77.0.2/16,gw=10.77.0.1") < 0)
		die("vde_stackconf");
	if (vde_stackcmd(b, "/bin/ip link set vde0 up; "
			 "/bin/ip addr add 10.77.0.3/16 dev vde0; "
			 "/bin/ip route replace default via 10.77.0.1 dev vde0") != 0)
		die("vde_stackcmd /bin/ip");
	for (size_t i = 0; i < n; i++) {
		unsigned x = (unsigned)(i / 250), y = (unsigned)(i % 250) + 1;
		unsigned g = (unsigned)(i % 2) + 1;
		double t0;

		snprintf(conf, sizeof(conf), "ip=10.78.%u.%u/32,gw=10.77.0.%u",
			 x, y, g);
		t0 = now_ms();
		if (vde_stackconf(a, conf) < 0)
			die(conf);
		tc[i] = now_ms() - t0;

		snprintf(cmd, sizeof(cmd), "/bin/ip addr add 10.78.%u.%u/32 dev "
			 "vde0; /bin/ip route replace default via 10.77.0.%u "
			 "dev vde0", x, y, g);
		t0 = now_ms();
		if (vde_stackcmd(b, cmd) != 0)
			die(cmd);
		ti[i] = now_ms() - t0;
	}
	printf("address + default route, %s, %zu calls each\n", url, n);
	ratio = report("vde_stackcmd + /bin/ip (x2)", ti, n) /
		report("vde_stackconf (rtnetlink)", tc, n);
	printf("ratio of medians: %.1fx (target >= 10x): %s\n", ratio,
	       ratio >= 10 ? "met" : "NOT met");
	vde_delstack(b);
	vde_delstack(a);
	free(tc);
	free(ti);
	return 0;
}
