/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_scale.c - many stacks alive in one process (issue 18): the time to
 * make, use and delete N stacks, and the memory each takes, measured
 * settled.  Only the five calls of libvdestack 0.1.2, so that bench/run_scale
 * builds the same source against Debian's original too.
 *
 * Memory is the drop of MemAvailable from before the first stack to N
 * stacks alive, per stack, measured once the kernel has finished freeing
 * what earlier runs left (it frees network namespaces in a work queue,
 * long after they are closed): before the baseline, caches are dropped
 * and MemAvailable must stay within SETTLE_BAND_KB over SETTLE_WINDOW_MS.
 * /proc/slabinfo (root) says where the kernel's part goes: the growth of
 * each slab cache, per stack.
 *
 * Usage: vdestack-bench-scale URL N [--cmd]  ("" for stacks without a
 * network; --cmd: vde_stackcmd("/bin/true") in the last stack too, which
 * Debian's original never returns from here)
 * Prints one "scale" line and, when /proc/slabinfo is readable, one
 * "slab" line (the caches that grew most, KiB a stack).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <vdestack.h>

/* MemAvailable is settled when it stays within this band ... */
#define SETTLE_BAND_KB 2048
/* ... over this long (the "steady within 2 MiB over 3 s") */
#define SETTLE_WINDOW_MS 3000
#define SETTLE_STEP_MS 250
/* and the wait for it is bounded: on a machine shared with builds it may
 * never come (the line then says settle_s negative) */
#define SETTLE_MAX_MS 30000
#define SLAB_MAX 1024
#define SLAB_TOP 8
#define STACKS_MAX 100000

struct slab {
	char name[64];
	long long bytes; /* active objects x object size */
};

/* die - print a message and exit with status 1. */
static void __attribute__((noreturn)) die(const char *msg)
{
	fprintf(stderr, "bench_scale: %s: %s\n", msg, strerror(errno));
	exit(1);
}

/* now_s - the monotonic clock.  Return: seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* find_lib - the libvdestack this process mapped.  Return: its path. */
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

/* mem_available - MemAvailable of /proc/meminfo.  Return: KiB, or -1. */
static long mem_available(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "MemAvailable:", 13)) {
			v = atol(line + 13);
			break;
		}
	fclose(f);
	return v;
}

/* settle - drop the caches (when allowed), then wait until MemAvailable
 * stays within SETTLE_BAND_KB over SETTLE_WINDOW_MS, at most
 * SETTLE_MAX_MS.  Return: the seconds waited, negative if it never
 * settled. */
static double settle(void)
{
	enum { WIN = SETTLE_WINDOW_MS / SETTLE_STEP_MS + 1 };
	long win[WIN];
	double t0 = now_s();
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (f) {
		sync();
		fputs("3\n", f);
		fclose(f);
	}
	for (int i = 0; i * SETTLE_STEP_MS < SETTLE_MAX_MS; i++) {
		long lo = LONG_MAX, hi = LONG_MIN;

		win[i % WIN] = mem_available();
		if (i + 1 >= WIN) {
			for (int k = 0; k < WIN; k++) {
				lo = win[k] < lo ? win[k] : lo;
				hi = win[k] > hi ? win[k] : hi;
			}
			if (hi - lo <= SETTLE_BAND_KB)
				return now_s() - t0;
		}
		usleep(SETTLE_STEP_MS * 1000);
	}
	return -(now_s() - t0);
}

/* slab_read - the slab caches of /proc/slabinfo into s.
 * Return: how many (0 when it cannot be read: not root). */
static int slab_read(struct slab *s)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < SLAB_MAX) {
		long long active, total, size;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %lld %lld %lld", s[n].name, &active,
			   &total, &size) == 4) {
			s[n].bytes = active * size;
			n++;
		}
	}
	fclose(f);
	return n;
}

/* slab_print - the SLAB_TOP caches that grew most from a (na) to b (nb),
 * KiB per stack of n, and their sum over every cache. */
static void slab_print(const struct slab *a, int na, const struct slab *b,
		       int nb, long n)
{
	static struct slab d[SLAB_MAX];
	long long sum = 0;

	for (int i = 0; i < nb; i++) {
		long long before = 0;

		for (int k = 0; k < na; k++)
			if (!strcmp(a[k].name, b[i].name))
				before = a[k].bytes;
		d[i] = b[i];
		d[i].bytes = b[i].bytes - before;
		sum += d[i].bytes;
	}
	printf("slab lib=%s n=%ld total_kb_per_stack=%.1f top=", find_lib(), n,
	       (double)sum / 1024.0 / (double)n);
	for (int t = 0; t < SLAB_TOP; t++) {
		int best = -1;

		for (int i = 0; i < nb; i++)
			if (d[i].bytes > 0 && (best < 0 || d[i].bytes > d[best].bytes))
				best = i;
		if (best < 0)
			break;
		printf("%s%s:%.2f", t ? "," : "", d[best].name,
		       (double)d[best].bytes / 1024.0 / (double)n);
		d[best].bytes = 0;
	}
	printf("\n");
}

/* raise_nofile - the soft descriptor limit up to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* use_all - a socket made and closed in each of the n stacks, and with
 * cmd a command in the last.  Return: the command's status (0 without
 * one), or -1 when a socket could not be made. */
static int use_all(struct vdestack **st, long n, bool cmd)
{
	for (long i = 0; i < n; i++) {
		int fd = vde_msocket(st[i], AF_INET, SOCK_DGRAM, 0);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return n && cmd ? vde_stackcmd(st[n - 1], (char *)"/bin/true") : 0;
}

int main(int argc, char **argv)
{
	static struct slab s0[SLAB_MAX], s1[SLAB_MAX];
	struct vdestack **st;
	const char *url, *err = "none";
	double t_settle, t0, t_make, t_use, t_del;
	long n, made, avail0, avail1;
	int ns0, ns1, cmd;

	if (argc < 3 || argc > 4 || (n = atol(argv[2])) < 1 ||
	    n > STACKS_MAX || (argc == 4 && strcmp(argv[3], "--cmd"))) {
		fprintf(stderr, "usage: vdestack-bench-scale URL N [--cmd]\n");
		return 2;
	}
	url = argv[1];
	st = calloc((size_t)n, sizeof(*st));
	if (!st)
		die("calloc");
	raise_nofile();
	t_settle = settle();
	avail0 = mem_available();
	ns0 = slab_read(s0);
	t0 = now_s();
	for (made = 0; made < n; made++) {
		st[made] = vde_addstack((char *)url, NULL);
		if (!st[made]) {
			err = strerrorname_np(errno);
			if (!err)
				err = "unknown";
			break;
		}
	}
	t_make = now_s() - t0;
	avail1 = mem_available();
	ns1 = slab_read(s1);
	t0 = now_s();
	cmd = use_all(st, made, argc == 4);
	t_use = now_s() - t0;
	t0 = now_s();
	for (long i = 0; i < made; i++)
		vde_delstack(st[i]);
	t_del = now_s() - t0;
	printf("scale lib=%s url=%s n=%ld made=%ld err=%s make_s=%.3f "
	       "make_ms_per_stack=%.4f use_s=%.3f use_ms_per_stack=%.4f "
	       "del_s=%.3f del_ms_per_stack=%.4f cmd=%d avail_kb_per_stack=%.1f "
	       "settle_s=%.1f\n", find_lib(), *url ? url : "\"\"", n, made,
	       err, t_make, made ? t_make * 1e3 / (double)made : 0, t_use,
	       made ? t_use * 1e3 / (double)made : 0, t_del,
	       made ? t_del * 1e3 / (double)made : 0, cmd,
	       made ? (double)(avail0 - avail1) / (double)made : 0, t_settle);
	if (ns0 && ns1 && made)
		slab_print(s0, ns0, s1, ns1, made);
	free(st);
	return made == n && cmd == 0 ? 0 : 1;
}
