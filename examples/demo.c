/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * demo.c - the main job: two private stacks on one network, talking TCP.
 *
 * Both stacks join the in-process segment mem://demo: no daemon, no file,
 * no socket.  A gets 10.0.0.1/24, B 10.0.0.2/24, both
 * through vde_stackcmd() and /bin/ip.  A runs an echo server, B runs three
 * clients at once; each sends a message and checks the echo.  Nothing
 * leaves the two namespaces.  Exit status 0 when every echo came back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vdestack.h>

#define PORT 7
#define CLIENTS 3

struct client {
	struct vdestack *stack;
	int index;
	int ok;
};

/* echo_thread - accept CLIENTS connections on lfd and echo each. */
static void *echo_thread(void *arg)
{
	int lfd = *(int *)arg;

	for (int served = 0; served < CLIENTS; served++) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		char buf[512];
		ssize_t n;
		int c;

		if (poll(&p, 1, 10000) <= 0)
			break;
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			break;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	}
	return NULL;
}

/* client_thread - connect from stack B to A's echo server and check. */
static void *client_thread(void *arg)
{
	struct client *cl = arg;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct timeval tv = { .tv_sec = 10 };
	char msg[128], back[128];
	size_t got = 0;
	int fd;

	inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr);
	snprintf(msg, sizeof(msg), "hello from client %d of stack B", cl->index);
	fd = vde_msocket(cl->stack, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg)) {
		while (got < strlen(msg)) {
			ssize_t n = read(fd, back + got, sizeof(back) - got);

			if (n <= 0)
				break;
			got += (size_t)n;
		}
		cl->ok = got == strlen(msg) && !memcmp(msg, back, got);
		if (cl->ok)
			printf("  10.0.0.2 -> 10.0.0.1:%d  \"%s\" echoed back\n",
			       PORT, msg);
	}
	close(fd);
	return NULL;
}

/* make_stack - a stack on url with address cidr on vde0.
 * Return: the stack or NULL (message printed). */
static struct vdestack *make_stack(const char *url, const char *cidr)
{
	struct vdestack *s = vde_addstack((char *)url, NULL);
	char cmd[256];
	int status;

	if (!s) {
		fprintf(stderr, "vde_addstack(%s): %s\n", url, strerror(errno));
		return NULL;
	}
	snprintf(cmd, sizeof(cmd),
		 "/bin/ip link set vde0 up; /bin/ip addr add %s dev vde0", cidr);
	status = vde_stackcmd(s, cmd);
	if (status != 0) {
		fprintf(stderr, "configuring %s: status %d\n", cidr, status);
		vde_delstack(s);
		return NULL;
	}
	printf("stack on %-28s vde0 %s\n", url, cidr);
	return s;
}

int main(void)
{
	const char *url = "mem://demo";
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct client cl[CLIENTS];
	pthread_t server, th[CLIENTS];
	struct vdestack *a = NULL, *b = NULL;
	int lfd = -1, ok = 0;

	a = make_stack(url, "10.0.0.1/24");
	if (a)
		b = make_stack(url, "10.0.0.2/24");
	if (!a || !b)
		goto out;
	lfd = vde_msocket(a, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    listen(lfd, CLIENTS) < 0) {
		perror("echo server");
		goto out;
	}
	printf("echo server listening in stack A; %d clients in stack B:\n",
	       CLIENTS);
	pthread_create(&server, NULL, echo_thread, &lfd);
	for (int i = 0; i < CLIENTS; i++) {
		cl[i] = (struct client){ .stack = b, .index = i + 1 };
		pthread_create(&th[i], NULL, client_thread, &cl[i]);
	}
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		ok += cl[i].ok;
	}
	pthread_join(server, NULL);
	printf("%d of %d echoes came back intact\n", ok, CLIENTS);
out:
	if (lfd >= 0)
		close(lfd);
	vde_delstack(b);
	vde_delstack(a);
	return ok == CLIENTS ? 0 : 1;
}
