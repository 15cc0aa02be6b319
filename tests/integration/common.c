/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common.c - shared helpers of the integration tests (public API only). */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *current_test = "?";
static char tmpdir_path[256];
static pid_t tmpdir_owner;

/* it_fail - report a failure with its place and exit(1). */
void it_fail(const char *file, int line, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "FAIL %s: %s:%d: ", current_test, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " [errno %d: %s]\n", saved, strerror(saved));
	exit(1);
}

/* it_in_ci - Return: true when CI=true is in the environment. */
bool it_in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

/* it_skip - skip the test (77), or fail it in CI, which never skips. */
void it_skip(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s %s: ", it_in_ci() ? "FAIL (CI=true, no skipping)"
					      : "SKIP", current_test);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(it_in_ci() ? 1 : IT_SKIP);
}

/* it_require_stacks - skip when no stack can be made at all (user
 * namespaces off); any other failure is a failure. */
void it_require_stacks(void)
{
	struct vdestack *s = vde_addstack(NULL, NULL);

	if (!s) {
		if (errno == EPERM || errno == ENOSPC || errno == EINVAL ||
		    errno == EACCES)
			it_skip("no user namespaces here: %s", strerror(errno));
		it_fail(__FILE__, __LINE__, "vde_addstack(NULL, NULL) failed");
	}
	vde_delstack(s);
}

/* it_tun_opens - Return: true when /dev/net/tun opens read-write. */
bool it_tun_opens(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* it_link_mode - Return: "tap", "veth" or "auto" from VDESTACK_LINK. */
const char *it_link_mode(void)
{
	const char *link = getenv("VDESTACK_LINK");

	return link && *link ? link : "auto";
}

/* it_network_available - Return: true unless a tap is required and
 * /dev/net/tun cannot be opened. */
bool it_network_available(void)
{
	return strcmp(it_link_mode(), "tap") != 0 || it_tun_opens();
}

/* it_require_network - skip unless stacks with a network can be made. */
void it_require_network(void)
{
	it_require_stacks();
	if (!it_network_available())
		it_skip("VDESTACK_LINK=tap and /dev/net/tun cannot be opened: %s",
			strerror(errno));
}

/* it_require_program - skip unless name is an executable in PATH. */
void it_require_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[1024];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
		if (access(buf, X_OK) == 0)
			return;
		path += n;
		if (*path == ':')
			path++;
	}
	it_skip("%s is not installed", name);
}

/* count_dir - Return: the number of entries of a directory (not . and
 * ..), minus the descriptor used to read it when self_fd. */
static int count_dir(const char *path, bool self_fd)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	IT_CHECKF(d, "opendir %s", path);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return self_fd ? n - 1 : n;
}

/* it_count_fds - Return: open descriptors of this process. */
int it_count_fds(void)
{
	return count_dir("/proc/self/fd", true);
}

/* it_count_fds_of - see common.h. */
int it_count_fds_of(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* it_scaled - see common.h. */
long it_scaled(long n)
{
	const char *e = getenv("VDESTACK_TEST_SCALE");
	long pct = 100;

	if (e && *e) {
		char *end;

		pct = strtol(e, &end, 10);
		IT_CHECKF(*end == '\0' && pct > 0 && pct <= 10000,
			  "VDESTACK_TEST_SCALE=%s: want a percentage", e);
	}
	n = n * pct / 100;
	return n > 0 ? n : 1;
}

/* it_count_threads - Return: threads of this process, the fewest seen in
 * 50 ms: a thread just joined can still be listed in /proc/self/task (its
 * joiner wakes before the kernel releases the task), and would count in a
 * "before" that no "after" matches. */
int it_count_threads(void)
{
	int n = count_dir("/proc/self/task", false);

	for (int i = 0; i < 5; i++) {
		int m;

		it_sleep_ms(10);
		m = count_dir("/proc/self/task", false);
		if (m < n)
			n = m;
	}
	return n;
}

/* it_children - the children of every thread of pid.
 * Return: their number (out gets the first max). */
int it_children(pid_t pid, pid_t *out, int max)
{
	char path[128];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (pid == 0)
		pid = getpid();
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char file[300];
		FILE *f;
		int child;

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "/proc/%d/task/%s/children",
			 (int)pid, e->d_name);
		f = fopen(file, "re");
		if (!f)
			continue;
		while (fscanf(f, "%d", &child) == 1) {
			if (n < max)
				out[n] = child;
			n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* it_pid_alive - Return: true when pid exists and is not a zombie. */
bool it_pid_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* "pid (comm) S ..." */
	if (!p || p[1] != ' ')
		return false;
	return p[2] != 'Z' && p[2] != 'X';
}

/* it_wait_gone - wait (bounded) for pid to exit.
 * Return: true when it is gone or a zombie. */
bool it_wait_gone(pid_t pid, int timeout_ms)
{
	int64_t end = it_now_ms() + timeout_ms;

	while (it_pid_alive(pid)) {
		if (it_now_ms() > end)
			return false;
		it_sleep_ms(10);
	}
	return true;
}

/* user_ns_of - the user namespace link of a process into buf.
 * Return: true when it could be read. */
static bool user_ns_of(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* it_helper_pid - the child of app that lives in another user namespace.
 * Return: its pid, or -1. */
pid_t it_helper_pid(pid_t app)
{
	pid_t kids[64];
	char mine[64], theirs[64];
	int n;

	if (app == 0)
		app = getpid();
	if (!user_ns_of(app, mine, sizeof(mine)))
		return -1;
	n = it_children(app, kids, 64);
	for (int i = 0; i < n && i < 64; i++) {
		if (user_ns_of(kids[i], theirs, sizeof(theirs)) &&
		    strcmp(mine, theirs) != 0 && it_pid_alive(kids[i]))
			return kids[i];
	}
	return -1;
}

/* rm_entry - nftw callback: remove one entry. */
static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* tmpdir_cleanup - atexit: remove the temporary directory (only in the
 * process that made it, not in forked children). */
static void tmpdir_cleanup(void)
{
	if (tmpdir_path[0] && getpid() == tmpdir_owner)
		nftw(tmpdir_path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* it_tmpdir - Return: this test's temporary directory, made at first use. */
const char *it_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir_path[0])
		return tmpdir_path;
	if (!base || !*base)
		base = "/tmp";
	snprintf(tmpdir_path, sizeof(tmpdir_path), "%s/vdestack-it-XXXXXX",
		 base);
	IT_CHECKF(mkdtemp(tmpdir_path), "mkdtemp in %s", base);
	tmpdir_owner = getpid();
	atexit(tmpdir_cleanup);
	return tmpdir_path;
}

/* it_exists - Return: true when path exists (no symlink following). */
bool it_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* it_now_ms - Return: the monotonic clock in ms. */
int64_t it_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* it_sleep_ms - sleep ms milliseconds. */
void it_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* it_addstack - vde_addstack() that must succeed.  Return: the stack. */
struct vdestack *it_addstack(const char *url, const char *ifname)
{
	struct vdestack *s = vde_addstack((char *)url, (char *)ifname);

	IT_CHECKF(s, "vde_addstack(%s, %s)", url ? url : "NULL",
		  ifname ? ifname : "NULL");
	return s;
}

/* it_stackcmd_ok - a formatted command sequence that must return 0. */
void it_stackcmd_ok(struct vdestack *s, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = vde_stackcmd(s, cmd);
	IT_CHECKF(status == 0, "vde_stackcmd(\"%s\") returned %d", cmd, status);
}

/* it_stackcmd_capture - run cmd with stdout (and stderr) to a file, and
 * read it back.  Return: vde_stackcmd()'s value, its errno kept. */
int it_stackcmd_capture(struct vdestack *s, const char *cmd, bool with_err,
			char *out, size_t size)
{
	char path[512];
	int fd, saved1, saved2 = -1, status, err;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/capture-XXXXXX", it_tmpdir());
	fd = mkostemp(path, O_CLOEXEC);
	IT_CHECK(fd >= 0);
	unlink(path);
	fflush(stdout);
	fflush(stderr);
	saved1 = fcntl(1, F_DUPFD_CLOEXEC, 3);
	IT_CHECK(saved1 >= 0 && dup2(fd, 1) == 1);
	if (with_err) {
		saved2 = fcntl(2, F_DUPFD_CLOEXEC, 3);
		IT_CHECK(saved2 >= 0 && dup2(fd, 2) == 2);
	}
	status = vde_stackcmd(s, (char *)cmd);
	err = errno;
	dup2(saved1, 1);
	close(saved1);
	if (with_err) {
		dup2(saved2, 2);
		close(saved2);
	}
	n = pread(fd, out, size - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	errno = err;
	return status;
}

/* it_config_addr - ifname up with address cidr. */
void it_config_addr(struct vdestack *s, const char *ifname, const char *cidr)
{
	it_stackcmd_ok(s, "/bin/ip link set %s up; /bin/ip addr add %s dev %s",
		       ifname, cidr, ifname);
}

/* it_ip_show - "/bin/ip ARGS" in s, checked.  Return: its output. */
const char *it_ip_show(struct vdestack *s, const char *args)
{
	static char out[16384];
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "/bin/ip %s", args);
	IT_CHECKF(it_stackcmd_capture(s, cmd, true, out, sizeof(out)) == 0,
		  "%s: %s", cmd, out);
	return out;
}

/* it_iface_mtu - SIOCGIFMTU on a socket of s.  Return: the MTU. */
int it_iface_mtu(struct vdestack *s, const char *ifname)
{
	struct ifreq ifr = { .ifr_mtu = 0 };
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	IT_CHECKF(fd >= 0, "vde_msocket: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	IT_CHECKF(ioctl(fd, SIOCGIFMTU, &ifr) == 0, "SIOCGIFMTU %s: %s",
		  ifname, strerror(errno));
	close(fd);
	return ifr.ifr_mtu;
}

/* it_stackconf_ok - vde_stackconf that must succeed.  Return: nothing. */
void it_stackconf_ok(struct vdestack *s, const char *config)
{
	IT_CHECKF(vde_stackconf(s, config) == 0, "vde_stackconf(\"%s\"): %s",
		  config, strerror(errno));
}

/* it_resolv - the stack's resolv.conf text, checked.  Return: it. */
const char *it_resolv(struct vdestack *s)
{
	static char buf[4096];
	int n;

	buf[0] = '\0';
	n = vde_stackresolv(s, buf, sizeof(buf));
	IT_CHECKF(n >= 0 && (size_t)n == strlen(buf), "vde_stackresolv: %d",
		  n);
	return buf;
}

/* make_addr - an IPv4 socket address.  Return: it. */
static struct sockaddr_in make_addr(const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };

	IT_CHECKF(inet_pton(AF_INET, ip, &sin.sin_addr) == 1, "address %s", ip);
	return sin;
}

/* it_tcp_listen - a listener on ip:port in s (NULL: host).
 * Return: its descriptor. */
int it_tcp_listen(struct vdestack *s, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = make_addr(ip, port);
	int one = 1;
	int fd = s ? vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
		   : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	IT_CHECK(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	IT_CHECKF(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
		  "bind %s:%u", ip, port);
	IT_CHECK(listen(fd, 16) == 0);
	return fd;
}

/* it_tcp_connect - connect with retries until timeout_ms.
 * Return: 0 or -errno. */
int it_tcp_connect(int fd, const char *ip, uint16_t port, int timeout_ms)
{
	struct sockaddr_in sin = make_addr(ip, port);
	int64_t end = it_now_ms() + timeout_ms;
	int fl = fcntl(fd, F_GETFL), err = ETIMEDOUT;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		int left = (int)(end - it_now_ms());
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		socklen_t len = sizeof(err);

		if (left <= 0)
			break;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			err = 0;
			break;
		}
		err = errno;
		if (err == EINPROGRESS || err == EALREADY) {
			if (poll(&p, 1, left) <= 0) {
				err = ETIMEDOUT;
				break;
			}
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err == 0)
				break;
		}
		if (err == EISCONN) {
			err = 0;
			break;
		}
		if (err != ECONNREFUSED && err != EHOSTUNREACH &&
		    err != ENETUNREACH && err != ETIMEDOUT)
			break;
		it_sleep_ms(100); /* the peer is not ready yet: try again */
	}
	fcntl(fd, F_SETFL, fl);
	return -err;
}

/* it_gen_init - a generator for seed. */
void it_gen_init(struct it_gen *g, uint64_t seed)
{
	g->state = seed ? seed : 0x9e3779b97f4a7c15ull;
	g->left = 0;
}

/* it_gen_fill - the next len bytes of the stream. */
void it_gen_fill(struct it_gen *g, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (g->left == 0) {
			g->state ^= g->state >> 12;
			g->state ^= g->state << 25;
			g->state ^= g->state >> 27;
			g->word = g->state * 0x2545f4914f6cdd1dull;
			g->left = 8;
		}
		buf[i] = (unsigned char)g->word;
		g->word >>= 8;
		g->left--;
	}
}

/* it_set_timeouts - bound every blocking send/recv on fd to ms. */
void it_set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* it_send_stream - write bytes of generator seed to fd.
 * Return: 0 or -errno. */
int it_send_stream(int fd, size_t bytes, uint64_t seed)
{
	unsigned char buf[65536];
	struct it_gen g;

	it_gen_init(&g, seed);
	while (bytes) {
		size_t n = bytes < sizeof(buf) ? bytes : sizeof(buf), off = 0;

		it_gen_fill(&g, buf, n);
		while (off < n) {
			ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EPIPE;
			off += (size_t)w;
		}
		bytes -= n;
	}
	return 0;
}

/* it_recv_stream - read exactly bytes from fd and compare with generator
 * seed, then (when want_eof) the end of the stream.  Return: 0, -EBADMSG
 * at the first differing byte (its offset in *ret_off), -ENODATA for an
 * early end, -E2BIG for data after the end, or -errno. */
int it_recv_stream(int fd, size_t bytes, uint64_t seed, bool want_eof,
		   size_t *ret_off)
{
	static __thread unsigned char buf[65536], want[65536];
	struct it_gen g;
	size_t done = 0;

	it_gen_init(&g, seed);
	*ret_off = 0;
	while (done < bytes) {
		size_t n = bytes - done < sizeof(buf) ? bytes - done : sizeof(buf);
		ssize_t r = recv(fd, buf, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ENODATA;
		it_gen_fill(&g, want, (size_t)r);
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != want[i]) {
				*ret_off = done + (size_t)i;
				return -EBADMSG;
			}
		}
		done += (size_t)r;
	}
	*ret_off = done;
	if (want_eof) {
		ssize_t r = recv(fd, buf, 1, 0);

		if (r != 0)
			return r < 0 ? -errno : -E2BIG;
	}
	return 0;
}

struct server_arg {
	int lfd;
	size_t bytes;
	uint64_t seed;
	int err;          /* 0 ok, else -errno */
	size_t off;       /* where it stopped */
	const char *step; /* what failed */
};

/* server_thread - accept one connection, check what arrives, answer
 * with bytes / 4 of seed + 1. */
static void *server_thread(void *arg)
{
	struct server_arg *a = arg;
	struct pollfd p = { .fd = a->lfd, .events = POLLIN };
	int c;

	a->step = "accept";
	if (poll(&p, 1, 60000) <= 0) {
		a->err = -ETIMEDOUT;
		return NULL;
	}
	c = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		a->err = -errno;
		return NULL;
	}
	it_set_timeouts(c, 30000);
	a->step = "receive and compare";
	a->err = it_recv_stream(c, a->bytes, a->seed, false, &a->off);
	if (a->err == 0) {
		a->step = "send back";
		a->err = it_send_stream(c, a->bytes / 4, a->seed + 1);
	}
	close(c);
	return NULL;
}

/* it_tcp_exchange - bytes one way, bytes / 4 the other, each checked. */
void it_tcp_exchange(struct vdestack *srv, struct vdestack *cli,
		     const char *srv_ip, size_t bytes, uint64_t seed)
{
	const uint16_t port = 5001;
	struct server_arg a = { .bytes = bytes, .seed = seed };
	pthread_t th;
	size_t off = 0;
	int fd, err;

	a.lfd = it_tcp_listen(srv, srv_ip, port);
	IT_CHECK(pthread_create(&th, NULL, server_thread, &a) == 0);
	fd = cli ? vde_msocket(cli, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)
		 : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	err = it_tcp_connect(fd, srv_ip, port, 30000);
	if (err == 0) {
		it_set_timeouts(fd, 30000);
		err = it_send_stream(fd, bytes, seed);
		if (err == 0)
			err = it_recv_stream(fd, bytes / 4, seed + 1, false, &off);
	}
	if (err < 0) {
		/* unblock the server before joining it */
		shutdown(a.lfd, SHUT_RDWR);
		close(fd);
		fd = -1;
	}
	pthread_join(th, NULL);
	if (fd >= 0)
		close(fd);
	close(a.lfd);
	IT_CHECKF(a.err == 0, "server side, %s: %s at byte %zu of %zu",
		  a.step, strerror(-a.err), a.off, bytes);
	IT_CHECKF(err == 0, "client side to %s:%u: %s at byte %zu", srv_ip,
		  port, strerror(-err), off);
}

/* accepts - Return: true when a stream socket at path takes a connection. */
static bool accepts(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;
	bool ok;

	if (strlen(path) >= sizeof(sun.sun_path))
		return false;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

/* it_switch_start - run vde_switch on dir/name in the foreground as our
 * child, and wait (bounded) until its control socket takes connections. */
void it_switch_start(struct it_switch *sw, const char *dir, const char *name)
{
	char ctl[600];
	int in[2];
	int64_t end;

	snprintf(sw->path, sizeof(sw->path), "%s/%s", dir, name);
	snprintf(ctl, sizeof(ctl), "%s/ctl", sw->path);
	IT_CHECK(pipe2(in, O_CLOEXEC) == 0);
	sw->pid = fork();
	IT_CHECK(sw->pid >= 0);
	if (sw->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		if (null >= 0)
			dup2(null, 1);
		/* no rc file: the switch's defaults only */
		execlp("vde_switch", "vde_switch", "-f", "/dev/null", "-s",
		       sw->path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	sw->stdin_w = in[1];
	/* the switch binds ctl before it listens: wait until it accepts a
	 * connection, or a client in between gets ECONNREFUSED */
	end = it_now_ms() + 10000;
	while (!accepts(ctl)) {
		int status;

		IT_CHECKF(waitpid(sw->pid, &status, WNOHANG) == 0,
			  "vde_switch exited (status 0x%x)", status);
		IT_CHECKF(it_now_ms() < end, "no %s after 10 s", ctl);
		it_sleep_ms(20);
	}
}

/* it_switch_stop - end the switch and reap it (bounded). */
void it_switch_stop(struct it_switch *sw)
{
	int64_t end = it_now_ms() + 5000;

	if (sw->pid <= 0)
		return;
	close(sw->stdin_w);
	kill(sw->pid, SIGTERM);
	while (waitpid(sw->pid, NULL, WNOHANG) == 0) {
		if (it_now_ms() > end) {
			kill(sw->pid, SIGKILL);
			waitpid(sw->pid, NULL, 0);
			break;
		}
		it_sleep_ms(10);
	}
	sw->pid = -1;
}

/* it_free_udp_ports - two UDP ports of 127.0.0.1 free right now. */
void it_free_udp_ports(uint16_t *a, uint16_t *b)
{
	uint16_t *out[2] = { a, b };
	int fds[2];

	for (int i = 0; i < 2; i++) {
		struct sockaddr_in sin = make_addr("127.0.0.1", 0);
		socklen_t len = sizeof(sin);

		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		IT_CHECK(fds[i] >= 0);
		IT_CHECK(bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == 0);
		IT_CHECK(getsockname(fds[i], (struct sockaddr *)&sin, &len) == 0);
		*out[i] = ntohs(sin.sin_port);
	}
	close(fds[0]);
	close(fds[1]);
}

/* watchdog - SIGALRM: the test hung. */
static void watchdog(int sig)
{
	static const char msg[] = "FAIL: watchdog: the test hung (no answer "
				  "within the time limit)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* watchdog_s - the watchdog's bound: IT_WATCHDOG_S times the pass's
 * timeout multiplier (VDESTACK_TIMEOUT_MULTIPLIER, which tests/run sets
 * beside meson's --timeout-multiplier for its slower passes).
 * Return: seconds. */
static unsigned watchdog_s(void)
{
	const char *m = getenv("VDESTACK_TIMEOUT_MULTIPLIER");
	long v = m ? strtol(m, NULL, 10) : 1;

	return IT_WATCHDOG_S * (unsigned)(v >= 1 && v <= 100 ? v : 1);
}

/* run_one - run one test in this process.  Return: never (exits). */
static void run_one(const struct it_test *t) __attribute__((noreturn));
static void run_one(const struct it_test *t)
{
	current_test = t->name;
	signal(SIGALRM, watchdog);
	alarm(watchdog_s());
	setvbuf(stdout, NULL, _IOLBF, 0);
	t->fn();
	fflush(stdout);
	exit(0);
}

/* it_main - run the named test, or all, each in a child process.
 * Return: 0 when all passed, 77 when all skipped, 1 otherwise. */
int it_main(int argc, char **argv, const struct it_test *tests, size_t n)
{
	int failed = 0, skipped = 0;

	if (argc > 1) {
		for (size_t i = 0; i < n; i++)
			if (!strcmp(tests[i].name, argv[1]))
				run_one(&tests[i]);
		fprintf(stderr, "no test named %s\n", argv[1]);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			run_one(&tests[i]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok   %s\n", tests[i].name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == IT_SKIP) {
			printf("skip %s\n", tests[i].name);
			skipped++;
		} else {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		}
	}
	if (failed)
		return 1;
	return skipped == (int)n ? IT_SKIP : 0;
}

/* it_write_file - see common.h. */
bool it_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text);
}

/* it_isolate_host_network - see common.h. */
void it_isolate_host_network(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	int fd;

	IT_CHECKF(it_count_threads() == 1, "%d threads", it_count_threads());
	IT_CHECKF(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0, "unshare");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	IT_CHECK(it_write_file("/proc/self/uid_map", map));
	IT_CHECK(it_write_file("/proc/self/setgroups", "deny"));
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	IT_CHECK(it_write_file("/proc/self/gid_map", map));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(fd >= 0);
	IT_CHECK(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	IT_CHECKF(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0, "lo up");
	close(fd);
}

/* it_take_counts - see common.h. */
struct it_counts it_take_counts(void)
{
	pid_t kids[16];

	return (struct it_counts){
		.fds = it_count_fds(),
		.children = it_children(0, kids, 16),
		.threads = it_count_threads(),
	};
}

/* it_check_counts - see common.h. */
void it_check_counts(const struct it_counts *before, const char *what)
{
	int64_t end = it_now_ms() + 10000;
	struct it_counts now = it_take_counts();

	while ((now.threads != before->threads ||
		now.children != before->children ||
		now.fds != before->fds) && it_now_ms() < end) {
		it_sleep_ms(20);
		now = it_take_counts();
	}
	IT_CHECKF(now.fds == before->fds, "%s: %d descriptors before, %d after",
		  what, before->fds, now.fds);
	IT_CHECKF(now.children == before->children,
		  "%s: %d children before, %d after", what, before->children,
		  now.children);
	IT_CHECKF(now.threads == before->threads,
		  "%s: %d threads before, %d after", what, before->threads,
		  now.threads);
}
