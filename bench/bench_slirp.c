/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_slirp.c - throughput and latency of user-mode NAT (slirp://) and of
 * host -> namespace port forwards, run by bench/run_slirp.
 *
 * The same source is built against this library and against Debian's
 * original libvdestack (with libvdeplug's slirp plugin): it uses only the
 * original five calls.  The "stack" modes make the stack themselves; the
 * plain modes (sink, source, echo, udprr) are the endpoints run inside a
 * namespace made by another tool (slirp4netns, pasta).
 *
 *   bench_slirp nat-tcp URL SECS        stack -> host TCP (to 10.0.2.2)
 *   bench_slirp fwd-tcp URL HPORT SECS  host 127.0.0.1:HPORT -> stack
 *                                        10.0.2.15:5201 (URL forwards it)
 *   bench_slirp nat-udprr URL COUNT     UDP round trips stack -> host
 *   bench_slirp sink ADDR PORT [READYFILE]   accept one stream, count it
 *   bench_slirp source ADDR PORT SECS        send for SECS seconds
 *   bench_slirp echo ADDR PORT SECS          UDP echo server, SECS at most
 *   bench_slirp udprr ADDR PORT COUNT        UDP round trips
 *
 * Built with -DBENCH_PLAIN, only the plain modes, with no library.
 *
 * Output: one line, "gbps N" (receiver's count over the time from the
 * first byte to the end) or "rr_us MEDIAN" (median round trip, µs).
 * Every wait is bounded; servers listen on loopback or in the namespace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_PLAIN
#include <vdestack.h>
#else
/* the endpoints alone (no library): run in namespaces of other tools */
struct vdestack;
#define vde_msocket(s, d, t, p) (errno = ENOSYS, -1)
#endif

#define CHUNK (256 * 1024)
#define WAIT_MS 20000
#define GUEST_IP "10.0.2.15"
#define GUEST_PORT 5201
#define RR_SIZE 64
#define RR_WARMUP 500

/* die - report what failed with errno and exit. */
static void die(const char *what)
{
	fprintf(stderr, "bench_slirp: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* now_ns - Return: CLOCK_MONOTONIC in ns. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* addr_of - an IPv4 address and port.  Return: it. */
static struct sockaddr_in addr_of(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		errno = EINVAL;
		die(ip);
	}
	return a;
}

/* listener - a socket of type bound to ip:port (TCP: listening), in
 * stack s (NULL: where the program runs).  Return: it. */
static int listener(struct vdestack *s, int type, const char *ip, int port)
{
	struct sockaddr_in a = addr_of(ip, port);
	int one = 1;
	int fd = s ? vde_msocket(s, AF_INET, type, 0)
		   : socket(AF_INET, type, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (type == SOCK_STREAM && listen(fd, 8) < 0)
		die("listen");
	return fd;
}

/* port_of - Return: the port fd is bound to. */
static __attribute__((unused)) int port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		die("getsockname");
	return ntohs(a.sin_port);
}

/* connect_retry - a socket (from s, or the host's) connected to ip:port,
 * retrying for WAIT_MS while the peer is not there yet.  Return: it. */
static int connect_retry(struct vdestack *s, int type, const char *ip,
			 int port)
{
	struct sockaddr_in a = addr_of(ip, port);
	int64_t end = now_ns() + (int64_t)WAIT_MS * 1000000;

	for (;;) {
		int fd = s ? vde_msocket(s, AF_INET, type, 0)
			   : socket(AF_INET, type, 0);

		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		close(fd);
		if (now_ns() > end)
			die("connect");
		usleep(20000);
	}
}

/* sink_fd - accept one connection on lfd and read it to the end.
 * Return: Gbit/s from the first byte to the end. */
static double sink_fd(int lfd)
{
	static char buf[CHUNK];
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int64_t t0 = 0, t1;
	uint64_t total = 0;
	int c;

	if (poll(&p, 1, WAIT_MS) <= 0)
		die("accept timeout");
	c = accept(lfd, NULL, NULL);
	if (c < 0)
		die("accept");
	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!t0)
			t0 = now_ns();
		total += (uint64_t)n;
	}
	t1 = now_ns();
	close(c);
	return t1 > t0 && t0 ? (double)total * 8 / (double)(t1 - t0) : 0;
}

/* source_fd - send on fd for secs seconds, then close it. */
static void source_fd(int fd, double secs)
{
	static char buf[CHUNK];
	int64_t end = now_ns() + (int64_t)(secs * 1e9);

	memset(buf, 'x', sizeof(buf));
	while (now_ns() < end) {
		ssize_t n = write(fd, buf, sizeof(buf));

		if (n < 0 && errno != EINTR)
			break;
	}
	close(fd);
}

struct sink_arg {
	int lfd;
	double gbps;
};

/* sink_thread - sink_fd in a thread. */
static __attribute__((unused)) void *sink_thread(void *arg)
{
	struct sink_arg *a = arg;

	a->gbps = sink_fd(a->lfd);
	return NULL;
}

/* echo_fd - echo datagrams on fd until quiet for quiet_ms or until
 * *stop. */
static void echo_fd(int fd, int quiet_ms, volatile int *stop)
{
	char buf[2048];

	while (!stop || !*stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n;

		if (poll(&p, 1, stop ? 100 : quiet_ms) <= 0) {
			if (stop)
				continue;
			return;
		}
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
			     &plen);
		if (n > 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer,
			       plen);
	}
}

struct echo_arg {
	int fd;
	volatile int stop;
};

/* echo_thread - echo_fd in a thread until stop. */
static __attribute__((unused)) void *echo_thread(void *arg)
{
	struct echo_arg *a = arg;

	echo_fd(a->fd, 0, &a->stop);
	return NULL;
}

/* cmp_i64 - qsort comparison. */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* rr_fd - count round trips on the connected UDP socket fd (after a
 * warm-up; a lost datagram is sent again after 200 ms).
 * Return: the median in µs. */
static double rr_fd(int fd, int count)
{
	int64_t *t = malloc(sizeof(*t) * (size_t)count);
	char buf[RR_SIZE], in[2048];

	if (!t)
		die("malloc");
	memset(buf, 'r', sizeof(buf));
	for (int i = -RR_WARMUP; i < count; i++) {
		int64_t t0 = now_ns();
		int tries = 0;

		memcpy(buf, &i, sizeof(i));
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t n;

			if (send(fd, buf, sizeof(buf), 0) < 0 &&
			    errno != ECONNREFUSED)
				die("send");
			if (poll(&p, 1, 200) > 0 &&
			    (n = recv(fd, in, sizeof(in), 0)) == sizeof(buf) &&
			    !memcmp(in, buf, sizeof(buf)))
				break;
			if (++tries > 100)
				die("udp round trip lost");
		}
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	qsort(t, (size_t)count, sizeof(*t), cmp_i64);
	{
		double med = (double)t[count / 2] / 1000;

		free(t);
		return med;
	}
}

#ifndef BENCH_PLAIN
/* stack_new - a stack on url with 10.0.2.15/24 and a default route via
 * 10.0.2.2.  Return: it. */
static struct vdestack *stack_new(char *url)
{
	struct vdestack *s = vde_addstack(url, NULL);

	if (!s)
		die(url);
	if (vde_stackcmd(s, "/bin/ip addr add 10.0.2.15/24 dev vde0; "
			    "/bin/ip link set vde0 up; "
			    "/bin/ip route add default via 10.0.2.2") != 0) {
		errno = EIO;
		die("stack configuration");
	}
	return s;
}
#endif

/* main - run the mode of argv[1] (see the top of the file).
 * Return: 0, 1 on a failure, 2 for a usage error. */
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN);
	if (0) {
#ifndef BENCH_PLAIN
	} else if (!strcmp(mode, "nat-tcp") && argc == 4) {
		struct vdestack *s = stack_new(argv[2]);
		struct sink_arg a = { .lfd = listener(NULL, SOCK_STREAM,
						      "127.0.0.1", 0) };
		pthread_t th;

		pthread_create(&th, NULL, sink_thread, &a);
		source_fd(connect_retry(s, SOCK_STREAM, "10.0.2.2",
					port_of(a.lfd)), atof(argv[3]));
		pthread_join(th, NULL);
		printf("gbps %.3f\n", a.gbps);
		vde_delstack(s);
	} else if (!strcmp(mode, "fwd-tcp") && argc == 5) {
		struct vdestack *s = stack_new(argv[2]);
		struct sink_arg a = { .lfd = listener(s, SOCK_STREAM, GUEST_IP,
						      GUEST_PORT) };
		pthread_t th;

		pthread_create(&th, NULL, sink_thread, &a);
		source_fd(connect_retry(NULL, SOCK_STREAM, "127.0.0.1",
					atoi(argv[3])), atof(argv[4]));
		pthread_join(th, NULL);
		printf("gbps %.3f\n", a.gbps);
		vde_delstack(s);
	} else if (!strcmp(mode, "nat-udprr") && argc == 4) {
		struct vdestack *s = stack_new(argv[2]);
		struct echo_arg e = { .fd = listener(NULL, SOCK_DGRAM,
						     "127.0.0.1", 0) };
		pthread_t th;
		int fd;

		pthread_create(&th, NULL, echo_thread, &e);
		fd = connect_retry(s, SOCK_DGRAM, "10.0.2.2", port_of(e.fd));
		printf("rr_us %.1f\n", rr_fd(fd, atoi(argv[3])));
		e.stop = 1;
		pthread_join(th, NULL);
		close(fd);
		vde_delstack(s);
#endif
	} else if (!strcmp(mode, "sink") && (argc == 4 || argc == 5)) {
		int lfd = listener(NULL, SOCK_STREAM, argv[2], atoi(argv[3]));

		if (argc == 5) {
			int fd = open(argv[4], O_WRONLY | O_CREAT | O_CLOEXEC,
				      0644);

			if (fd >= 0)
				close(fd);
		}
		printf("gbps %.3f\n", sink_fd(lfd));
	} else if (!strcmp(mode, "source") && argc == 5) {
		source_fd(connect_retry(NULL, SOCK_STREAM, argv[2],
					atoi(argv[3])), atof(argv[4]));
	} else if (!strcmp(mode, "echo") && argc == 5) {
		echo_fd(listener(NULL, SOCK_DGRAM, argv[2], atoi(argv[3])),
			atoi(argv[4]) * 1000, NULL);
	} else if (!strcmp(mode, "udprr") && argc == 5) {
		int fd = connect_retry(NULL, SOCK_DGRAM, argv[2],
				       atoi(argv[3]));

		printf("rr_us %.1f\n", rr_fd(fd, atoi(argv[4])));
	} else {
		fprintf(stderr, "usage: see the comment at the top of "
				"bench/bench_slirp.c\n");
		return 2;
	}
	return 0;
}
