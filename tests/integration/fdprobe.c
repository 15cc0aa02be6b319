/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fdprobe.c - the program test_cloexec.c execs: reports the descriptors
 * it was given and, given a socket's number, uses that socket.
 *
 *   it-fdprobe [FD IP PORT]
 *
 * Prints "fd N TARGET" for every open descriptor (TARGET as
 * /proc/self/fd/N reads, e.g. "socket:[123]"), then, with FD: "name
 * ADDR:PORT" (getsockname(2) of FD, IPv4) and "sent N" or "send ERRNO"
 * after sending the datagram "fdprobe" from FD to IP:PORT.
 * Exit status: 0, 1 when the descriptors cannot be listed, 2 for a usage
 * error. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* list_fds - one line per open descriptor but the directory's own.
 * Return: 0, or 1 when /proc/self/fd cannot be read. */
static int list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d) {
		printf("opendir %d\n", errno);
		return 1;
	}
	while ((e = readdir(d))) {
		char path[64], target[256];
		int fd = atoi(e->d_name);
		ssize_t n;

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		printf("fd %d %s\n", fd, target);
	}
	closedir(d);
	return 0;
}

/* use_socket - name socket fd and send a datagram from it to ip:port.
 * Return: 0, or 2 for a bad address. */
static int use_socket(int fd, const char *ip, int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	char name[INET_ADDRSTRLEN];
	ssize_t n;

	if (inet_pton(AF_INET, ip, &to.sin_addr) != 1)
		return 2;
	if (getsockname(fd, (struct sockaddr *)&me, &len) < 0)
		printf("getsockname %d\n", errno);
	else if (me.sin_family != AF_INET)
		printf("name family %d\n", me.sin_family);
	else
		printf("name %s:%u\n", inet_ntop(AF_INET, &me.sin_addr, name,
						 sizeof(name)),
		       ntohs(me.sin_port));
	n = sendto(fd, "fdprobe", 7, 0, (struct sockaddr *)&to, sizeof(to));
	if (n < 0)
		printf("send %d\n", errno);
	else
		printf("sent %zd\n", n);
	return 0;
}

/* main - Return: the exit status (see the top of the file). */
int main(int argc, char **argv)
{
	int err;

	if (argc != 1 && argc != 4)
		return 2;
	err = list_fds();
	if (argc == 4 && use_socket(atoi(argv[1]), argv[2], atoi(argv[3])))
		return 2;
	return err;
}
