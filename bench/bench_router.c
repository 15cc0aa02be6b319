/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_router.c - TCP throughput through a router stack (two interfaces,
 * vde_stackaddif, forward) against the same two stacks on one segment,
 * measured in the same run: what routing through a third stack costs.
 *
 * Usage: vdestack-bench-router [SECONDS [REPS]] (default 3 s, 3 reps).
 * Each row is the median of REPS streams of SECONDS each, client to
 * server; the ratio is to the "direct" row.  "kernel": the mem://
 * segments' stacks joined on the helper's bridges (the default); "pumped":
 * VDESTACK_BRIDGE=off, every interface pumped by the library (taps as
 * root).  All traffic stays in the stacks this program makes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <vdestack.h>

#define PORT 5201
#define CHUNK (128 * 1024)
#define MAX_REPS 15

/* now_s - the monotonic clock.  Return: seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* die - a message and exit 1. */
static void die(const char *what)
{
	fprintf(stderr, "bench-router: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* conf - vde_stackconf that must work. */
static void conf(struct vdestack *s, const char *c)
{
	if (vde_stackconf(s, (char *)c) < 0)
		die(c);
}

/* sink - the server: accept one connection, read it to its end.
 * Return: NULL. */
static void *sink(void *arg)
{
	static char buf[CHUNK];
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return NULL;
}

/* stream - secs of data from cli to srv's 10.0.2.2 (or ip).
 * Return: Gbit/s. */
static double stream(struct vdestack *cli, struct vdestack *srv,
		     const char *ip, double secs)
{
	static char buf[CHUNK];
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(PORT) };
	int one = 1, lfd, fd;
	double t0, t;
	uint64_t bytes = 0;
	pthread_t th;

	inet_pton(AF_INET, ip, &sin.sin_addr);
	lfd = vde_msocket(srv, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 1) < 0)
		die("listen");
	pthread_create(&th, NULL, sink, &lfd);
	fd = vde_msocket(cli, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("connect");
	t0 = now_s();
	do {
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n <= 0)
			die("write");
		bytes += (uint64_t)n;
		t = now_s();
	} while (t - t0 < secs);
	close(fd);
	pthread_join(th, NULL);
	close(lfd);
	return (double)bytes * 8 / (t - t0) / 1e9;
}

/* cmp - qsort of doubles. */
static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* run - the median of reps streams in one topology: routed (a router
 * between segments A and B) or not (both stacks on A).
 * Return: Gbit/s. */
static double run(int routed, double secs, int reps)
{
	char a[64], b[64];
	struct vdestack *cli, *srv, *rt = NULL;
	double g[MAX_REPS];

	snprintf(a, sizeof(a), "mem://bench-a-%d", (int)getpid());
	snprintf(b, sizeof(b), "mem://bench-b-%d", (int)getpid());
	cli = vde_addstack(a, NULL);
	srv = vde_addstack(routed ? b : a, NULL);
	if (!cli || !srv)
		die("vde_addstack");
	if (routed) {
		rt = vde_addstack(a, NULL);
		if (!rt || vde_stackaddif(rt, b, "vde1") < 0)
			die("router");
		conf(rt, "eth=vde0,ip=10.0.1.1/24,forward");
		conf(rt, "eth=vde1,ip=10.0.2.1/24");
		conf(cli, "eth,ip=10.0.1.2/24,gw=10.0.1.1");
		conf(srv, "eth,ip=10.0.2.2/24,gw=10.0.2.1");
	} else {
		conf(cli, "eth,ip=10.0.2.3/24");
		conf(srv, "eth,ip=10.0.2.2/24");
	}
	stream(cli, srv, "10.0.2.2", 0.5); /* warm up: ARP, windows */
	for (int i = 0; i < reps; i++)
		g[i] = stream(cli, srv, "10.0.2.2", secs);
	vde_delstack(cli);
	vde_delstack(srv);
	vde_delstack(rt);
	qsort(g, (size_t)reps, sizeof(g[0]), cmp);
	return g[reps / 2];
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	static const char *const mode[] = { "kernel", "pumped" };

	if (secs <= 0 || secs > 60 || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: %s [SECONDS [REPS]]\n", argv[0]);
		return 2;
	}
	printf("%-30s %10s %8s\n", "TCP client -> server", "Gbit/s", "ratio");
	for (int m = 0; m < 2; m++) {
		double direct, routed;

		if (m == 1)
			setenv("VDESTACK_BRIDGE", "off", 1);
		direct = run(0, secs, reps);
		routed = run(1, secs, reps);
		printf("%-30s %10.2f %8s\n", m ? "one segment, pumped"
					       : "one segment, kernel",
		       direct, "1.00");
		printf("%-22s %-7s %10.2f %8.2f\n", "through a router,",
		       mode[m], routed, routed / direct);
	}
	return 0;
}
