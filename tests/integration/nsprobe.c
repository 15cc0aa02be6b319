/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsprobe.c - run inside a stack by test_security.c: reports what the
 * process may do (enter namespaces, bind a port) and what it was given
 * (descriptors, environment), one line per fact on standard output.
 *
 *   nsprobe setns PATH...  per PATH: "PATH entered", "PATH open ERRNO" or
 *                          "PATH setns ERRNO" (setns(2) to CLONE_NEWNET)
 *   nsprobe bind PORT      "bind ok" or "bind ERRNO" (TCP, 127.0.0.1)
 *   nsprobe fds            every open descriptor but 0, 1 and 2
 *   nsprobe env            the environment, one variable a line
 * Exit status: 0, or 2 for a usage error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

/* probe_setns - try to enter the network namespace at each path. */
static void probe_setns(int n, char **paths)
{
	for (int i = 0; i < n; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			printf("%s open %d\n", paths[i], errno);
			continue;
		}
		if (setns(fd, CLONE_NEWNET) < 0)
			printf("%s setns %d\n", paths[i], errno);
		else
			printf("%s entered\n", paths[i]);
		close(fd);
	}
}

/* probe_bind - bind a TCP socket to 127.0.0.1:port. */
static void probe_bind(int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		printf("bind %d\n", errno);
	else
		printf("bind ok\n");
	if (fd >= 0)
		close(fd);
}

/* probe_fds - list the descriptors above 2 (but the directory's own). */
static void probe_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d) {
		printf("opendir %d\n", errno);
		return;
	}
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
			continue;
		printf("fd %d\n", fd);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "setns"))
		probe_setns(argc - 2, argv + 2);
	else if (argc == 3 && !strcmp(argv[1], "bind"))
		probe_bind(atoi(argv[2]));
	else if (argc == 2 && !strcmp(argv[1], "fds"))
		probe_fds();
	else if (argc == 2 && !strcmp(argv[1], "env"))
		for (char **e = environ; *e; e++)
			printf("%s\n", *e);
	else
		return 2;
	return 0;
}
