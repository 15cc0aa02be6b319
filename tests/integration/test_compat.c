/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_compat.c - a program built against the ORIGINAL libvdestack 0.1.2
 * (Debian's header and library) runs on this library unchanged.
 *
 * meson compiles this file with Debian's /usr/include/vdestack.h and links
 * it with Debian's libvdestack.so (DT_NEEDED libvdestack.so.0), then runs it
 * with LD_LIBRARY_PATH naming our build directory.  argv[1] is the path of
 * our library: the test fails unless that is the libvdestack mapped here,
 * so it never passes on the original by mistake.  Self-contained: it uses
 * nothing of our tree, not even the test helpers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include VDESTACK_ORIGINAL_HEADER

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: %s [%s]\n", __FILE__,   \
				__LINE__, #cond, strerror(errno));           \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* skip - exit 77, or fail when CI=true. */
static void skip(const char *why)
{
	const char *ci = getenv("CI");
	bool in_ci = ci && !strcmp(ci, "true");

	fprintf(stderr, "%s: %s\n", in_ci ? "FAIL (CI=true)" : "SKIP", why);
	exit(in_ci ? 1 : 77);
}

/* loaded_from - the path of the libvdestack mapped into this process.
 * Return: true when found (in buf). */
static bool loaded_from(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[PATH_MAX + 128];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');

		if (path && strstr(path, "/libvdestack.so")) {
			path[strcspn(path, "\n")] = '\0';
			snprintf(buf, size, "%s", path);
			found = true;
		}
	}
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	char mapped[PATH_MAX], want[PATH_MAX], addr[] = "10.9.8.7";
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(4242) };
	struct vdestack *s;
	int fd, c;

	CHECK(argc == 2);
	alarm(120);
	CHECK(realpath(argv[1], want));
	CHECK(loaded_from(mapped, sizeof(mapped)));
	if (strcmp(mapped, want) != 0) {
		fprintf(stderr, "FAIL: runs on %s, not on %s\n", mapped, want);
		return 1;
	}
	printf("built against the original, running on %s\n", mapped);

	s = vde_addstack(NULL, NULL);
	if (!s && (errno == EPERM || errno == ENOSPC))
		skip("no user namespaces");
	CHECK(s);
	CHECK(vde_stackcmd(s, "/bin/ip addr add 10.9.8.7/32 dev lo") == 0);
	CHECK(vde_stackcmd(s, "/bin/sh -c 'exit 7'") == 7);

	/* vde_msocket: the address exists only in the stack */
	inet_pton(AF_INET, addr, &sin.sin_addr);
	fd = vde_msocket(s, AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(listen(fd, 1) == 0);

	/* vde_default_stack: socket() goes there, NULL comes back */
	vde_default_stack(s);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(c >= 0);
	CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	close(c);
	vde_default_stack(NULL);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(c >= 0);
	errno = 0;
	CHECK(bind(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	      errno == EADDRNOTAVAIL);
	close(c);
	close(fd);

	/* errors keep their contract */
	errno = 0;
	CHECK(vde_addstack("foo://x", NULL) == NULL && errno == EPROTONOSUPPORT);
	errno = 0;
	CHECK(vde_stackcmd(s, "ip link") == -1 && errno == EINVAL);

	vde_delstack(s);
	printf("ok: addstack, stackcmd, msocket, default stack, delstack\n");
	return 0;
}
