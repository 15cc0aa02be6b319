/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * echo_server.c - a multi-client TCP echo server on a private stack.
 *
 *   echo_server URL ADDRESS/PREFIX [PORT [SECONDS]]
 *
 * Makes a stack on URL (for instance hub:///tmp/demo-hub, or vde:///run/vde.ctl
 * for a running vde_switch), gives its interface vde0 the address, and
 * echoes back whatever its clients send, serving any number of them at once
 * with poll(2).  It stops after SECONDS (default 60) or at SIGINT/SIGTERM.
 * Another stack on the same network reaches it at ADDRESS, port PORT
 * (default 7).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <vdestack.h>

#define MAX_CLIENTS 64

static volatile sig_atomic_t stop;

/* on_signal - ask the main loop to end. */
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* configure - bring vde0 up with the address, through /bin/ip in the
 * stack.  Return: 0 or the failing command's exit status. */
static int configure(struct vdestack *stack, const char *cidr)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "/bin/ip link set vde0 up;"
		 "/bin/ip addr add %s dev vde0", cidr);
	return vde_stackcmd(stack, cmd);
}

/* listen_on - a TCP socket of the stack listening on port.
 * Return: the descriptor or -1. */
static int listen_on(struct vdestack *stack, int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1;
	int fd = vde_msocket(stack, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* serve - the poll loop: accept clients, echo their bytes, until stop or
 * the deadline. */
static void serve(int lfd, time_t deadline)
{
	struct pollfd pfd[MAX_CLIENTS + 1] = { { .fd = lfd, .events = POLLIN } };
	nfds_t n = 1;
	char buf[16384];

	while (!stop && time(NULL) < deadline) {
		if (poll(pfd, n, 200) < 0 && errno != EINTR)
			break;
		for (nfds_t i = n; i-- > 1;) {
			ssize_t len;

			if (!pfd[i].revents)
				continue;
			len = read(pfd[i].fd, buf, sizeof(buf));
			if (len > 0 && write(pfd[i].fd, buf, (size_t)len) == len)
				continue;
			printf("client %d left\n", pfd[i].fd);
			close(pfd[i].fd);
			pfd[i] = pfd[--n];
		}
		if (pfd[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && n <= MAX_CLIENTS) {
				printf("client %d joined\n", c);
				pfd[n++] = (struct pollfd){ .fd = c, .events = POLLIN };
			} else if (c >= 0) {
				close(c);
			}
		}
		fflush(stdout);
	}
	for (nfds_t i = 1; i < n; i++)
		close(pfd[i].fd);
}

int main(int argc, char **argv)
{
	struct vdestack *stack;
	int port = argc > 3 ? atoi(argv[3]) : 7;
	int seconds = argc > 4 ? atoi(argv[4]) : 60;
	int lfd, status;

	if (argc < 3) {
		fprintf(stderr, "usage: %s URL ADDRESS/PREFIX [PORT [SECONDS]]\n",
			argv[0]);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	stack = vde_addstack(argv[1], NULL);
	if (!stack) {
		fprintf(stderr, "vde_addstack(%s): %s\n", argv[1], strerror(errno));
		return 1;
	}
	status = configure(stack, argv[2]);
	if (status != 0) {
		fprintf(stderr, "configuring %s failed (%d)\n", argv[2], status);
		vde_delstack(stack);
		return 1;
	}
	lfd = listen_on(stack, port);
	if (lfd < 0) {
		fprintf(stderr, "listen: %s\n", strerror(errno));
		vde_delstack(stack);
		return 1;
	}
	printf("echo server on %s port %d\n", argv[2], port);
	fflush(stdout);
	serve(lfd, time(NULL) + seconds);
	close(lfd);
	vde_delstack(stack);
	return 0;
}
