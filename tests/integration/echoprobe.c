/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* echoprobe.c - the program test_vdestack_cmd.c runs in a stack through
 * the vdestack command, to reach its forwards from the inside:
 *
 *   it-echoprobe serve PROTO ADDR PORT [PROTO ADDR PORT]...
 *   it-echoprobe ask PROTO ADDR PORT TEXT [PROTO ADDR PORT TEXT]...
 *
 * PROTO is tcp or udp, ADDR numeric IPv4 or IPv6.  serve binds them all,
 * prints "ready", and echoes every TCP connection and datagram until its
 * standard input ends.  ask sends TEXT to each in turn (a TCP connection,
 * half-closed after it; or one datagram) and prints "PROTO PORT REPLY"
 * for the reply.  Every wait is bounded (PROBE_WAIT_MS).
 * Exit status: 0, 1 on a failure (printed on stderr), 2 for a usage
 * error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROBE_WAIT_MS 30000
#define PROBE_MAX 8       /* sockets served at once */
#define PROBE_BUF 512

/* addr - ip:port into ss.  Return: its length, or 0 for a bad address. */
static socklen_t addr(const char *ip, const char *port,
		      struct sockaddr_storage *ss)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &a->sin_addr) == 1) {
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)p);
		return sizeof(*a);
	}
	if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		return sizeof(*a6);
	}
	return 0;
}

/* sock_type - Return: SOCK_STREAM for "tcp", SOCK_DGRAM for "udp", or -1. */
static int sock_type(const char *proto)
{
	if (!strcmp(proto, "tcp"))
		return SOCK_STREAM;
	return strcmp(proto, "udp") ? -1 : SOCK_DGRAM;
}

/* echo_conn - accept one connection on lfd and echo it to its end.
 * Return: 0 or -1. */
static int echo_conn(int lfd)
{
	char buf[PROBE_BUF];
	int c = accept(lfd, NULL, NULL);
	ssize_t n;

	if (c < 0)
		return -1;
	while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
		if (send(c, buf, (size_t)n, MSG_NOSIGNAL) != n)
			break;
	close(c);
	return 0;
}

/* echo_datagram - answer one datagram of fd to its sender.
 * Return: 0 or -1. */
static int echo_datagram(int fd)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[PROBE_BUF];
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &flen);

	if (n < 0)
		return -1;
	return sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
		      flen) == n ? 0 : -1;
}

/* serve - bind every PROTO ADDR PORT triple of av, then echo until
 * stdin ends.  Return: the exit status. */
static int serve(int ac, char **av)
{
	struct pollfd p[PROBE_MAX + 1];
	int type[PROBE_MAX + 1], n = 0;

	if (ac % 3 || ac / 3 > PROBE_MAX || ac == 0)
		return 2;
	for (int i = 0; i < ac; i += 3, n++) {
		struct sockaddr_storage ss;
		socklen_t len = addr(av[i + 1], av[i + 2], &ss);
		int one = 1;

		type[n] = sock_type(av[i]);
		if (!len || type[n] < 0)
			return 2;
		p[n] = (struct pollfd){ .events = POLLIN,
			.fd = socket(ss.ss_family, type[n] | SOCK_CLOEXEC, 0) };
		setsockopt(p[n].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (p[n].fd < 0 || bind(p[n].fd, (struct sockaddr *)&ss, len) ||
		    (type[n] == SOCK_STREAM && listen(p[n].fd, 8))) {
			fprintf(stderr, "bind %s %s: %s\n", av[i + 1],
				av[i + 2], strerror(errno));
			return 1;
		}
	}
	p[n] = (struct pollfd){ .fd = 0, .events = POLLIN };
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(p, (nfds_t)n + 1, -1) < 0 && errno != EINTR)
			return 1;
		if (p[n].revents)
			return 0; /* stdin: data or its end, either says stop */
		for (int i = 0; i < n; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			if ((type[i] == SOCK_STREAM ? echo_conn(p[i].fd)
						    : echo_datagram(p[i].fd)) < 0)
				return 1;
		}
	}
}

/* ask_one - send text to ip:port over proto, read the reply into buf.
 * Return: its length, or -1 (errno). */
static ssize_t ask_one(const char *proto, const char *ip, const char *port,
		       const char *text, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(ip, port, &ss);
	int type = sock_type(proto), fd;
	struct pollfd p;
	size_t got = 0;
	ssize_t n;

	if (!len || type < 0 || (fd = socket(ss.ss_family, type | SOCK_CLOEXEC,
					      0)) < 0)
		return -1;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 ||
	    (type == SOCK_STREAM && shutdown(fd, SHUT_WR) < 0))
		goto fail;
	do {
		if (poll(&p, 1, PROBE_WAIT_MS) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		n = recv(fd, buf + got, size - 1 - got, 0);
		if (n < 0)
			goto fail;
		got += (size_t)n;
	} while (type == SOCK_STREAM && n > 0 && got < size - 1);
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
fail:
	close(fd);
	return -1;
}

/* ask - every PROTO ADDR PORT TEXT quadruple of av in turn.
 * Return: the exit status. */
static int ask(int ac, char **av)
{
	char buf[PROBE_BUF];

	if (ac % 4 || ac == 0)
		return 2;
	for (int i = 0; i < ac; i += 4) {
		if (ask_one(av[i], av[i + 1], av[i + 2], av[i + 3], buf,
			    sizeof(buf)) < 0) {
			fprintf(stderr, "%s %s %s: %s\n", av[i], av[i + 1],
				av[i + 2], strerror(errno));
			return 1;
		}
		printf("%s %s %s\n", av[i], av[i + 2], buf);
	}
	return 0;
}

/* main - serve or ask.  Return: the exit status. */
int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return serve(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "ask"))
		return ask(argc - 2, argv + 2);
	fprintf(stderr, "usage: it-echoprobe serve|ask ...\n");
	return 2;
}
