/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_stress.c - bounded stress: thousands of create/delete cycles, 64
 * threads on a few shared stacks, many stacks on one mem:// segment
 * streaming TCP at once with every byte checked.
 *
 * Counts are scaled by VDESTACK_TEST_SCALE, a percentage (default 100; CI
 * sets 10 under valgrind and the sanitizers).  Every loop is bounded by
 * its count, every wait by a deadline; no test measures speed.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

/* cycles - n create/delete cycles on url, every 100th with a socket.
 * Return: the time taken, ms. */
static int64_t cycles(const char *url, long n)
{
	int64_t t0 = it_now_ms();

	for (long i = 0; i < n; i++) {
		struct vdestack *s = vde_addstack((char *)url, NULL);

		IT_CHECKF(s, "cycle %ld of %ld on \"%s\": %s", i, n, url,
			  strerror(errno));
		if (i % 100 == 0) {
			int fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);

			IT_CHECK(fd >= 0);
			close(fd);
		}
		vde_delstack(s);
	}
	return it_now_ms() - t0;
}

/* test_ten_thousand_create_delete_cycles_leave_nothing_behind - 9,000
 * without a network and 1,000 on mem:// (an interface and an event-loop
 * thread each time: a veth pair costs about 25 ms to make and delete, a
 * tap 2); the descriptor, child and thread counts are the same at the end
 * as after the warm-up. */
static void test_ten_thousand_create_delete_cycles_leave_nothing_behind(void)
{
	long n_empty = it_scaled(9000), n_mem = it_scaled(1000);
	struct it_counts before;
	int64_t t_empty, t_mem;

	it_require_network();
	vde_delstack(it_addstack("", NULL));
	vde_delstack(it_addstack("mem://cycles", NULL));
	before = it_take_counts();
	t_empty = cycles("", n_empty);
	it_check_counts(&before, "empty URL");
	t_mem = cycles("mem://cycles", n_mem);
	it_check_counts(&before, "mem://");
	printf("%ld cycles without network in %lld ms, %ld on mem:// in %lld "
	       "ms; %d descriptors, %d children, %d threads before and "
	       "after\n", n_empty, (long long)t_empty, n_mem,
	       (long long)t_mem, before.fds, before.children, before.threads);
}

struct worker {
	struct vdestack *s;
	long rounds;
	int index;
	int sockets, commands;
	char failure[160];
};

/* worker_thread - rounds of: a socket (TCP, UDP or UDP6 in turn) made in
 * the stack and bound there; a command with an exit status of its own,
 * which must come back. */
static void *worker_thread(void *arg)
{
	static const int fam[3][2] = { { AF_INET, SOCK_STREAM },
				       { AF_INET, SOCK_DGRAM },
				       { AF_INET6, SOCK_DGRAM } };
	struct worker *w = arg;

	for (long i = 0; i < w->rounds && !w->failure[0]; i++) {
		const int *f = fam[(w->index + i) % 3];
		int fd = vde_msocket(w->s, f[0], f[1] | SOCK_CLOEXEC, 0);
		struct sockaddr_storage ss = { .ss_family = (sa_family_t)f[0] };
		char cmd[64];
		int want = (int)((w->index + i) % 4), r;

		if (fd < 0) {
			snprintf(w->failure, sizeof(w->failure),
				 "vde_msocket: %s", strerror(errno));
			break;
		}
		/* port 0 of the wildcard address: lo is up in every stack */
		if (bind(fd, (struct sockaddr *)&ss, f[0] == AF_INET ?
			 sizeof(struct sockaddr_in) :
			 sizeof(struct sockaddr_in6)) != 0)
			snprintf(w->failure, sizeof(w->failure), "bind: %s",
				 strerror(errno));
		close(fd);
		w->sockets++;
		snprintf(cmd, sizeof(cmd), "/bin/sh -c 'exit %d'", want);
		r = vde_stackcmd(w->s, cmd);
		if (r != want && !w->failure[0])
			snprintf(w->failure, sizeof(w->failure),
				 "vde_stackcmd \"%s\": %d (%s)", cmd, r,
				 r < 0 ? strerror(errno) : "status");
		w->commands++;
	}
	return NULL;
}

/* test_sixty_four_threads_make_sockets_and_run_commands_on_shared_stacks -
 * four stacks (two without network, two on mem://), 64 threads at once
 * making sockets and running commands on them; every call right, and
 * nothing left behind. */
static void test_sixty_four_threads_make_sockets_and_run_commands_on_shared_stacks(void)
{
	enum { THREADS = 64, STACKS = 4 };
	struct vdestack *s[STACKS];
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct it_counts before;
	long rounds = it_scaled(50);
	int sockets = 0, commands = 0;
	int64_t t0;

	it_require_network();
	vde_delstack(it_addstack("mem://threads", NULL));
	before = it_take_counts();
	for (int i = 0; i < STACKS; i++)
		s[i] = it_addstack(i < 2 ? "" : "mem://threads", NULL);
	t0 = it_now_ms();
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .s = s[i % STACKS], .rounds = rounds,
					.index = i };
		IT_CHECK(pthread_create(&th[i], NULL, worker_thread, &w[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		IT_CHECKF(!w[i].failure[0], "thread %d: %s", i, w[i].failure);
		sockets += w[i].sockets;
		commands += w[i].commands;
	}
	for (int i = 0; i < STACKS; i++)
		vde_delstack(s[i]);
	it_check_counts(&before, "64 threads");
	printf("%d threads on %d stacks: %d sockets, %d commands in %lld ms\n",
	       THREADS, STACKS, sockets, commands,
	       (long long)(it_now_ms() - t0));
}

struct pair {
	struct vdestack *srv, *cli;
	char srv_ip[16];
	size_t bytes;
	uint64_t seed;
};

/* pair_thread - one checked TCP exchange (it_tcp_exchange fails the test
 * on any wrong byte). */
static void *pair_thread(void *arg)
{
	struct pair *p = arg;

	it_tcp_exchange(p->srv, p->cli, p->srv_ip, p->bytes, p->seed);
	return NULL;
}

/* test_many_stacks_on_one_segment_stream_tcp_with_every_byte_checked -
 * 32 stacks on one mem:// segment; each serves the next in a ring, all
 * 32 streams at once, every byte of both directions compared with its
 * generator. */
static void test_many_stacks_on_one_segment_stream_tcp_with_every_byte_checked(void)
{
	enum { STACKS = 32 };
	struct vdestack *s[STACKS];
	struct pair p[STACKS];
	pthread_t th[STACKS];
	struct it_counts before;
	size_t bytes = (size_t)it_scaled(16 << 20);
	int64_t t0;

	it_require_network();
	vde_delstack(it_addstack("mem://many", NULL));
	before = it_take_counts();
	for (int i = 0; i < STACKS; i++) {
		char cidr[32];

		s[i] = it_addstack("mem://many", NULL);
		snprintf(cidr, sizeof(cidr), "10.6.0.%d/24", i + 1);
		it_config_addr(s[i], "vde0", cidr);
	}
	t0 = it_now_ms();
	for (int i = 0; i < STACKS; i++) {
		p[i] = (struct pair){ .srv = s[i], .cli = s[(i + 1) % STACKS],
				      .bytes = bytes, .seed = 1000 + i };
		snprintf(p[i].srv_ip, sizeof(p[i].srv_ip), "10.6.0.%d", i + 1);
		IT_CHECK(pthread_create(&th[i], NULL, pair_thread, &p[i]) == 0);
	}
	for (int i = 0; i < STACKS; i++)
		pthread_join(th[i], NULL);
	printf("%d stacks on one segment, %d streams at once: %zu bytes "
	       "checked (%zu + %zu each) in %lld ms\n", STACKS, STACKS,
	       (bytes + bytes / 4) * STACKS, bytes, bytes / 4,
	       (long long)(it_now_ms() - t0));
	for (int i = 0; i < STACKS; i++)
		vde_delstack(s[i]);
	it_check_counts(&before, "32 stacks");
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(ten_thousand_create_delete_cycles_leave_nothing_behind),
	T(sixty_four_threads_make_sockets_and_run_commands_on_shared_stacks),
	T(many_stacks_on_one_segment_stream_tcp_with_every_byte_checked),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
