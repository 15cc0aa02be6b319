/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_leaks.c - create/delete cycles leave no descriptor, process or
 * thread behind (after one warm-up: the helper is process-wide). */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define CYCLES 100

/* cycle - create a stack on url, use it a little, delete it. */
static void cycle(const char *url, int i)
{
	struct vdestack *s = it_addstack(url, NULL);
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);

	IT_CHECK(fd >= 0);
	close(fd);
	if (i % 10 == 0)
		IT_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	vde_delstack(s);
}

/* warm_up - one stack made and deleted: starts the helper.
 * Return: the counts after it. */
static struct it_counts warm_up(const char *url)
{
	struct it_counts c;
	pid_t kids[16];

	cycle(url, 0);
	c = it_take_counts();
	IT_CHECKF(c.children == 1, "after the warm-up: %d children, want the "
		  "helper only", it_children(0, kids, 16));
	return c;
}

/* test_create_delete_cycles_without_url_leak_nothing */
static void test_create_delete_cycles_without_url_leak_nothing(void)
{
	struct it_counts before;

	it_require_stacks();
	before = warm_up(NULL);
	for (int i = 0; i < CYCLES; i++)
		cycle(NULL, i);
	it_check_counts(&before, "NULL url");
}

/* test_create_delete_cycles_with_a_null_network_leak_nothing - null://:
 * an interface (tap or veth) and a libvdeplug backend each time */
static void test_create_delete_cycles_with_a_null_network_leak_nothing(void)
{
	struct it_counts before;

	it_require_network();
	before = warm_up("null://");
	for (int i = 0; i < CYCLES; i++)
		cycle("null://", i);
	it_check_counts(&before, "null://");
}

/* test_create_delete_cycles_with_a_hub_leak_nothing - hub:// opened and
 * closed by the library each time */
static void test_create_delete_cycles_with_a_hub_leak_nothing(void)
{
	struct it_counts before;
	char url[600];

	it_require_network();
	snprintf(url, sizeof(url), "hub://%s/hub", it_tmpdir());
	before = warm_up(url);
	for (int i = 0; i < CYCLES / 4; i++)
		cycle(url, i);
	it_check_counts(&before, "hub://");
}

/* test_create_delete_cycles_with_a_stream_leak_nothing - the command is
 * reaped each time */
static void test_create_delete_cycles_with_a_stream_leak_nothing(void)
{
	struct it_counts before;

	it_require_network();
	before = warm_up("=/bin/cat");
	for (int i = 0; i < CYCLES / 5; i++)
		cycle("=/bin/cat", i);
	it_check_counts(&before, "=/bin/cat");
}

/* test_stacks_alive_at_once_share_one_helper_task - the helper is one
 * process with one thread, whatever the number of stacks. */
static void test_stacks_alive_at_once_share_one_helper_task(void)
{
	enum { N = 40 };
	struct vdestack *s[N];
	struct it_counts before, during;
	char path[64];
	pid_t helper;
	FILE *f;
	int threads = -1;

	it_require_stacks();
	before = warm_up(NULL);
	for (int i = 0; i < N; i++)
		s[i] = it_addstack(NULL, NULL);
	during = it_take_counts();
	IT_CHECKF(during.children == 1, "%d children with %d stacks",
		  during.children, N);
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)helper);
	f = fopen(path, "re");
	IT_CHECK(f);
	while (fscanf(f, "%63s", path) == 1)
		if (!strcmp(path, "Threads:") && fscanf(f, "%d", &threads) == 1)
			break;
	fclose(f);
	IT_CHECKF(threads == 1, "the helper has %d threads", threads);
	/* stacks without a network need no thread of ours either */
	IT_CHECKF(during.threads == before.threads, "%d threads before, %d "
		  "with %d stacks without network", before.threads,
		  during.threads, N);
	for (int i = 0; i < N; i++)
		vde_delstack(s[i]);
	it_check_counts(&before, "40 stacks");
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(create_delete_cycles_without_url_leak_nothing),
	T(create_delete_cycles_with_a_null_network_leak_nothing),
	T(create_delete_cycles_with_a_hub_leak_nothing),
	T(create_delete_cycles_with_a_stream_leak_nothing),
	T(stacks_alive_at_once_share_one_helper_task),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
