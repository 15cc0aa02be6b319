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
 *        vdestack-bench-scale --kernel=PARTS N  (root: no library at all,
 * the kernel's own path, for the same figures: each "stack" is a network
 * namespace that a child unshares and the process keeps by one
 * descriptor, as the helper does; PARTS, comma-separated, adds to it:
 * userns (the namespace in a user namespace of its own, as every stack's
 * is), lo (lo up), tap or veth (an interface vde0, down, as a stack's
 * first one: a tap whose descriptor the process keeps, or one end of a
 * veth pair whose peer is in this process's namespace), persist (the tap
 * persistent, as the helper makes it: its close then does not wait for
 * the kernel to unregister it, about 20 ms), up (vde0 up: its
 * IPv6 link-local address and multicast state), noipv6 (IPv6 disabled
 * in the namespace before vde0 is made).  "Use" is a socket made in it
 * (setns there and back), "delete" the close of its descriptors.)
 * Prints one "scale" line and, when /proc/slabinfo is readable, one
 * "slab" line (the caches that grew most, KiB a stack).  Each call's
 * time is kept too: the scale line gives the mean, the median and the
 * 99th percentile of the deletes (a mean alone mixes the call's own cost
 * with work the kernel does beside it, in its workqueues), and the CPU
 * time the whole machine spends from the first delete until it is idle
 * again, per stack ("reclaim": the deletes and the kernel's freeing of
 * what they let go; read on an otherwise idle machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
/* After the deletes: the machine is idle again once its busy time stays
 * below IDLE_BUSY_PCT of one CPU over IDLE_WINDOW_MS (at most
 * IDLE_MAX_MS): the kernel has done the work the deletes gave it (it
 * frees a network namespace in a workqueue, after the last close) */
#define IDLE_BUSY_PCT 3
#define IDLE_WINDOW_MS 1000
#define IDLE_STEP_MS 100
#define IDLE_MAX_MS 60000
#define KERNEL_OPT "--kernel="
#define KCHILD_STACK (64 * 1024)
#define IP_PATH "/bin/ip"

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
		       int nb, long n, const char *lib)
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
	printf("slab lib=%s n=%ld total_kb_per_stack=%.1f top=", lib, n,
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

/* busy_ms - the time every CPU of the machine spent not idle
 * (/proc/stat).  Return: milliseconds, or -1. */
static double busy_ms(void)
{
	unsigned long long v[10] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || hz <= 0)
		return -1;
	/* all but idle (3) and iowait (4) */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * 1e3 /
	       (double)hz;
}

/* reclaim - wait until the machine is idle again (see IDLE_BUSY_PCT).
 * Return: the CPU milliseconds the machine was busy from busy0 (taken
 * when the deletes began) until then, with *ret_s the seconds waited
 * (negative if it never came to rest). */
static double reclaim(double busy0, double *ret_s)
{
	enum { WIN = IDLE_WINDOW_MS / IDLE_STEP_MS + 1 };
	double win[WIN], t0 = now_s(), b = busy_ms();

	for (int i = 0; i * IDLE_STEP_MS < IDLE_MAX_MS; i++) {
		b = busy_ms();
		win[i % WIN] = b;
		if (i + 1 >= WIN && b - win[(i + 1) % WIN] <=
		    IDLE_WINDOW_MS * IDLE_BUSY_PCT / 100.0) {
			/* the last window's quiet time is not the deletes' */
			*ret_s = now_s() - t0;
			return win[(i + 1) % WIN] - busy0;
		}
		usleep(IDLE_STEP_MS * 1000);
	}
	*ret_s = -(now_s() - t0);
	return b - busy0;
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

/* The parts of the kernel's own path (--kernel=PARTS; see the top). */
struct kparts {
	bool userns, lo, tap, persist, veth, up, noipv6;
};

/* One "stack" of the kernel's path, or of the library. */
struct one {
	struct vdestack *st; /* the library's */
	int net, tap;        /* the kernel path's (-1: none) */
};

/* parse_parts - PARTS of --kernel=PARTS into p.  Return: 0, or -1 for a
 * part not known (or tap and veth both). */
static int parse_parts(const char *arg, struct kparts *p)
{
	char buf[256], *save = NULL;

	*p = (struct kparts){ 0 };
	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		bool *f = !strcmp(t, "userns") ? &p->userns :
			  !strcmp(t, "lo")     ? &p->lo :
			  !strcmp(t, "tap")    ? &p->tap :
			  !strcmp(t, "persist") ? &p->persist :
			  !strcmp(t, "veth")   ? &p->veth :
			  !strcmp(t, "up")     ? &p->up :
			  !strcmp(t, "noipv6") ? &p->noipv6 : NULL;

		if (!f)
			return -1;
		*f = true;
	}
	return p->tap && p->veth ? -1 : 0;
}

/* write_file - text into path.  Return: 0 or -1 with errno. */
static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* if_up - interface name of the current namespace up.
 * Return: 0 or -1 with errno. */
static int if_up(const char *name)
{
	struct ifreq ifr = { .ifr_flags = 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (err == 0)
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return err;
}

/* veth_into - "ip link add kpI type veth peer name vde0 netns PID": a
 * pair whose vde0 end is in the namespace of pid, its peer here.
 * Return: 0 or -1. */
static int veth_into(pid_t pid, long i)
{
	char peer[IFNAMSIZ], ns[32];
	int status;
	pid_t c;

	snprintf(peer, sizeof(peer), "kp%ld", i);
	snprintf(ns, sizeof(ns), "%d", (int)pid);
	c = fork();
	if (c == 0) {
		execl(IP_PATH, "ip", "link", "add", peer, "type", "veth", "peer",
		      "name", "vde0", "netns", ns, (char *)NULL);
		_exit(127);
	}
	if (c < 0 || waitpid(c, &status, 0) != c)
		return -1;
	errno = EIO;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* kernel_fill - what p adds inside the namespace, entered already: IPv6
 * off, lo up, the tap, vde0 up.  Return: 0 or -1 with errno. */
static int kernel_fill(const struct kparts *p, struct one *o)
{
	if (p->noipv6 &&
	    (write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1") ||
	     write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1")))
		return -1;
	if (p->lo && if_up("lo") < 0)
		return -1;
	if (p->tap) {
		struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

		o->tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vde0");
		if (o->tap < 0 || ioctl(o->tap, TUNSETIFF, &ifr) < 0 ||
		    (p->persist && ioctl(o->tap, TUNSETPERSIST, 1UL) < 0))
			return -1;
	}
	if (p->up && (p->tap || p->veth) && if_up("vde0") < 0)
		return -1;
	return 0;
}

/* What the child of kernel_make runs: unshare, tell, wait to be killed. */
struct kchild {
	int flags;    /* unshare()'s */
	int ready_fd; /* written once the namespaces are there */
};

/* kchild_main - the child of kernel_make.  Return: never (exits). */
static int kchild_main(void *arg)
{
	const struct kchild *c = arg;

	if (unshare(c->flags) < 0 || write(c->ready_fd, "x", 1) != 1)
		_exit(1);
	pause(); /* until killed */
	_exit(0);
}

/* kernel_make - one "stack" of the kernel's path: a child unshares the
 * namespaces (and waits), this process maps root into its user
 * namespace, keeps its network namespace by a descriptor, lets the child
 * go, then fills the namespace (setns there and back to home).  The
 * child shares the descriptor table (CLONE_FILES), as the helper's
 * children in effect do (they are made by a worker that holds none of
 * the stacks' descriptors): a fork would copy a table that grows with
 * the stacks, and make the reference grow where the kernel does not.
 * Return: 0 with *o, or -1 with errno (nothing kept). */
static int kernel_make(const struct kparts *p, int home, long i,
		       struct one *o)
{
	static char stack[KCHILD_STACK] __attribute__((aligned(16)));
	struct kchild kc = { (p->userns ? CLONE_NEWUSER : 0) | CLONE_NEWNET,
			     -1 };
	char path[64], c;
	int ready[2], err = 0;
	pid_t pid;

	*o = (struct one){ .net = -1, .tap = -1 };
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	kc.ready_fd = ready[1];
	pid = clone(kchild_main, stack + sizeof(stack), CLONE_FILES | SIGCHLD,
		    &kc);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		err = -1;
	close(ready[0]);
	close(ready[1]);
	snprintf(path, sizeof(path), "/proc/%d/", (int)pid);
	if (!err && p->userns) {
		char f[96];

		snprintf(f, sizeof(f), "%ssetgroups", path);
		err = write_file(f, "deny");
		snprintf(f, sizeof(f), "%suid_map", path);
		err = err ? err : write_file(f, "0 0 1");
		snprintf(f, sizeof(f), "%sgid_map", path);
		err = err ? err : write_file(f, "0 0 1");
	}
	if (!err && p->veth)
		err = veth_into(pid, i);
	if (!err) {
		strcat(path, "ns/net");
		o->net = open(path, O_RDONLY | O_CLOEXEC);
		err = o->net < 0 ? -1 : 0;
	}
	if (pid > 0) {
		int saved = errno;

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		errno = saved;
	}
	if (!err && setns(o->net, CLONE_NEWNET) == 0) {
		err = kernel_fill(p, o);
		if (setns(home, CLONE_NEWNET) < 0)
			die("setns back home");
	} else {
		err = -1;
	}
	if (err) {
		int saved = errno;

		if (o->tap >= 0)
			close(o->tap);
		if (o->net >= 0)
			close(o->net);
		*o = (struct one){ .net = -1, .tap = -1 };
		errno = saved;
	}
	return err;
}

/* kernel_socket - a socket made in o's namespace (and closed), as
 * vde_msocket does it in a stack.  Return: 0 or -1. */
static int kernel_socket(const struct one *o, int home)
{
	int fd;

	if (setns(o->net, CLONE_NEWNET) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (setns(home, CLONE_NEWNET) < 0)
		die("setns back home");
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* use_all - a socket made and closed in each of the n stacks (home >= 0:
 * the kernel's path), and with cmd a command in the last.  Return: the
 * command's status (0 without one), or -1 when a socket could not be
 * made. */
static int use_all(struct one *o, long n, bool cmd, int home)
{
	for (long i = 0; i < n; i++) {
		int fd;

		if (home >= 0) {
			if (kernel_socket(&o[i], home) < 0)
				return -1;
			continue;
		}
		fd = vde_msocket(o[i].st, AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return n && cmd ? vde_stackcmd(o[n - 1].st, (char *)"/bin/true") : 0;
}

/* cmp_double - for qsort. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* quantile - the q quantile (0..1) of the n values of v, sorted in
 * place.  Return: it (0 for none). */
static double quantile(double *v, long n, double q)
{
	if (n < 1)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(long)(q * (double)(n - 1) + 0.5)];
}

int main(int argc, char **argv)
{
	static struct slab s0[SLAB_MAX], s1[SLAB_MAX];
	struct kparts parts;
	struct one *o;
	const char *url, *err = "none", *lib;
	double t_settle, t0, t_make, t_use, t_del, *dt, del_med, del_p99;
	double busy0, rec_cpu, rec_s;
	long n, made, avail0, avail1;
	int ns0, ns1, cmd, home = -1;
	bool kernel;

	if (argc < 3 || argc > 4 || (n = atol(argv[2])) < 1 ||
	    n > STACKS_MAX || (argc == 4 && strcmp(argv[3], "--cmd"))) {
		fprintf(stderr, "usage: vdestack-bench-scale URL N [--cmd]\n"
			"       vdestack-bench-scale --kernel=PARTS N\n");
		return 2;
	}
	url = argv[1];
	kernel = !strncmp(url, KERNEL_OPT, strlen(KERNEL_OPT));
	if (kernel) {
		url += strlen(KERNEL_OPT);
		if (parse_parts(url, &parts) < 0 || argc == 4) {
			fprintf(stderr, "bench_scale: --kernel=%s: parts are "
				"userns,lo,tap|veth,persist,up,noipv6 (no --cmd)\n", url);
			return 2;
		}
		home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home < 0)
			die("/proc/self/ns/net");
	}
	o = calloc((size_t)n, sizeof(*o));
	dt = calloc((size_t)n, sizeof(*dt));
	if (!o || !dt)
		die("calloc");
	raise_nofile();
	t_settle = settle();
	avail0 = mem_available();
	ns0 = slab_read(s0);
	t0 = now_s();
	for (made = 0; made < n; made++) {
		if (kernel) {
			if (kernel_make(&parts, home, made, &o[made]) < 0)
				break;
		} else if (!(o[made].st = vde_addstack((char *)url, NULL))) {
			break;
		}
	}
	if (made < n) {
		err = strerrorname_np(errno);
		if (!err)
			err = "unknown";
	}
	t_make = now_s() - t0;
	avail1 = mem_available();
	ns1 = slab_read(s1);
	t0 = now_s();
	cmd = use_all(o, made, argc == 4, home);
	t_use = now_s() - t0;
	busy0 = busy_ms();
	t0 = now_s();
	for (long i = 0; i < made; i++) {
		double t = now_s();

		if (kernel) {
			if (o[i].tap >= 0)
				close(o[i].tap);
			close(o[i].net);
		} else {
			vde_delstack(o[i].st);
		}
		dt[i] = now_s() - t;
	}
	t_del = now_s() - t0;
	rec_cpu = reclaim(busy0, &rec_s);
	del_med = quantile(dt, made, 0.5);
	del_p99 = quantile(dt, made, 0.99);
	lib = kernel ? "kernel" : find_lib();
	printf("scale lib=%s url=%s%s n=%ld made=%ld err=%s make_s=%.3f "
	       "make_ms_per_stack=%.4f use_s=%.3f use_ms_per_stack=%.4f "
	       "del_s=%.3f del_ms_per_stack=%.4f del_med_ms=%.4f "
	       "del_p99_ms=%.4f reclaim_s=%.1f reclaim_cpu_ms_per_stack=%.4f "
	       "cmd=%d avail_kb_per_stack=%.1f settle_s=%.1f\n", lib, kernel ? "kernel:" : "",
	       *url ? url : "\"\"", n, made, err, t_make,
	       made ? t_make * 1e3 / (double)made : 0, t_use,
	       made ? t_use * 1e3 / (double)made : 0, t_del,
	       made ? t_del * 1e3 / (double)made : 0, del_med * 1e3,
	       del_p99 * 1e3, rec_s, made ? rec_cpu / (double)made : 0, cmd,
	       made ? (double)(avail0 - avail1) / (double)made : 0, t_settle);
	if (ns0 && ns1 && made)
		slab_print(s0, ns0, s1, ns1, made, lib);
	free(dt);
	free(o);
	if (home >= 0)
		close(home);
	return made == n && cmd == 0 ? 0 : 1;
}
