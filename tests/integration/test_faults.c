/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_faults.c - faults from outside: a libvdeplug switch killed and
 * started again, the helper killed under calls from many threads, the
 * descriptor limit reached at each step, a stack deleted while other
 * threads block on its sockets. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* kill_switch - SIGKILL to a vde_switch of it_switch_start(), reaped:
 * it leaves its socket files behind, as a crash would. */
static void kill_switch(struct it_switch *sw)
{
	IT_CHECK(kill(sw->pid, SIGKILL) == 0);
	IT_CHECK(waitpid(sw->pid, NULL, 0) == sw->pid);
	close(sw->stdin_w);
	sw->pid = -1;
}

/* test_restarted_vde_switch_on_the_same_path_gets_its_stacks_back - two
 * stacks on vde://PATH exchange TCP data; the switch is killed (the
 * stacks keep working otherwise), started again on the same path, and
 * the stacks exchange data again through it, on new connections and on
 * one that was open all along (with data written during the outage),
 * twice over. */
static void test_restarted_vde_switch_on_the_same_path_gets_its_stacks_back(void)
{
	struct it_switch sw;
	struct vdestack *a, *b;
	char url[600];
	int lfd, cfd, sfd;

	it_require_network();
	it_require_program("vde_switch");
	it_switch_start(&sw, it_tmpdir(), "sw");
	snprintf(url, sizeof(url), "vde://%s", sw.path);
	a = it_addstack(url, NULL);
	b = it_addstack(url, NULL);
	it_config_addr(a, "vde0", "10.7.0.1/24");
	it_config_addr(b, "vde0", "10.7.0.2/24");
	it_tcp_exchange(a, b, "10.7.0.1", 256 * 1024, 1);
	/* a connection that lives through the outages */
	lfd = it_tcp_listen(a, "10.7.0.1", 5002);
	cfd = vde_msocket(b, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(cfd >= 0);
	IT_CHECK(it_tcp_connect(cfd, "10.7.0.1", 5002, 30000) == 0);
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(sfd >= 0);
	it_set_timeouts(cfd, 30000);
	it_set_timeouts(sfd, 30000);

	for (int round = 0; round < 2; round++) {
		size_t off;
		int fd, err;

		kill_switch(&sw);
		/* written during the outage (less than the initial send
		 * buffer, so that it does not block): TCP keeps it and
		 * retries */
		IT_CHECK(it_send_stream(cfd, 8 * 1024, 30 + round) == 0);
		/* cut off, the stacks still answer */
		IT_CHECK(vde_stackcmd(a, "/bin/true") == 0);
		fd = vde_msocket(b, AF_INET, SOCK_DGRAM, 0);
		IT_CHECK(fd >= 0);
		close(fd);
		it_sleep_ms(300); /* let a reconnection attempt or two fail */
		it_switch_start(&sw, it_tmpdir(), "sw");
		/* both ways, every byte checked; the connect retries while
		 * the stacks reconnect (bounded by it_tcp_exchange) */
		it_tcp_exchange(a, b, "10.7.0.1", 256 * 1024, 10 + round);
		it_tcp_exchange(b, a, "10.7.0.2", 64 * 1024, 20 + round);
		err = it_recv_stream(sfd, 8 * 1024, 30 + round, false, &off);
		IT_CHECKF(err == 0, "the connection across the outage: %s at "
			  "byte %zu", strerror(-err), off);
	}
	close(sfd);
	close(cfd);
	close(lfd);
	vde_delstack(a);
	vde_delstack(b);
	it_switch_stop(&sw);
}

/* test_stacks_of_a_switch_gone_for_good_delete_cleanly - the switch never
 * comes back: the stacks keep trying, and delete without a leak. */
static void test_stacks_of_a_switch_gone_for_good_delete_cleanly(void)
{
	struct it_switch sw;
	struct vdestack *a;
	struct it_counts before;
	char url[600];

	it_require_network();
	it_require_program("vde_switch");
	it_switch_start(&sw, it_tmpdir(), "sw");
	snprintf(url, sizeof(url), "vde://%s", sw.path);
	vde_delstack(it_addstack(url, NULL)); /* warm-up: the helper */
	before = it_take_counts();

	a = it_addstack(url, NULL);
	it_config_addr(a, "vde0", "10.7.0.1/24");
	kill_switch(&sw);
	/* the switch and its stdin pipe are gone */
	before.children--;
	before.fds--;
	it_sleep_ms(2500); /* several attempts, up to the longest delay */
	IT_CHECK(vde_stackcmd(a, "/bin/true") == 0);
	vde_delstack(a);
	it_check_counts(&before, "stack of a dead switch");
}

/* last_pid - Return: the last pid written in file, or -1. */
static pid_t last_pid(const char *file)
{
	FILE *f = fopen(file, "re");
	int pid = -1, n;

	if (!f)
		return -1;
	while (fscanf(f, "%d", &n) == 1)
		pid = n;
	fclose(f);
	return pid;
}

/* blocked_signals - Return: the SigBlk mask of process pid (~0 when it
 * cannot be read). */
static unsigned long long blocked_signals(pid_t pid)
{
	char path[64], line[128];
	unsigned long long mask = ~0ULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return mask;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			break;
	fclose(f);
	return mask;
}

/* test_command_of_a_cmd_url_is_started_again_when_it_exits - a stack on
 * cmd:// running vde_plug to a vde_switch, another stack on the switch
 * itself: they exchange data; the vde_plug is killed (the data
 * descriptor hangs up), the library starts the command again (with no
 * signal blocked, although from an event-loop thread), and the stacks
 * exchange data again. */
static void test_command_of_a_cmd_url_is_started_again_when_it_exits(void)
{
	struct it_switch sw;
	struct vdestack *a, *b;
	char url[1200], script[600], pids[600];
	pid_t first, second = -1;
	int64_t end;
	FILE *f;

	it_require_network();
	it_require_program("vde_switch");
	it_require_program("vde_plug");
	it_switch_start(&sw, it_tmpdir(), "sw");
	snprintf(script, sizeof(script), "%s/plug.sh", it_tmpdir());
	snprintf(pids, sizeof(pids), "%s/pids", it_tmpdir());
	f = fopen(script, "we");
	IT_CHECK(f);
	fprintf(f, "#!/bin/sh\necho $$ >> '%s'\nexec vde_plug vde://%s\n",
		pids, sw.path);
	IT_CHECK(fclose(f) == 0);
	IT_CHECK(chmod(script, 0755) == 0);
	snprintf(url, sizeof(url), "cmd://%s", script);
	snprintf(script, sizeof(script), "vde://%s", sw.path);
	a = it_addstack(script, NULL);
	b = it_addstack(url, NULL);
	it_config_addr(a, "vde0", "10.7.1.1/24");
	it_config_addr(b, "vde0", "10.7.1.2/24");
	it_tcp_exchange(a, b, "10.7.1.1", 128 * 1024, 1);
	first = last_pid(pids);
	IT_CHECK(first > 0);
	IT_CHECK(kill(first, SIGKILL) == 0);
	end = it_now_ms() + 20000;
	while ((second = last_pid(pids)) == first && it_now_ms() < end)
		it_sleep_ms(20);
	IT_CHECKF(second != first, "the command was not started again");
	IT_CHECKF(blocked_signals(second) == 0, "the command "
		  "started again blocks signals %#llx",
		  blocked_signals(second));
	it_tcp_exchange(a, b, "10.7.1.1", 128 * 1024, 2);
	vde_delstack(b);
	vde_delstack(a);
	IT_CHECKF(it_wait_gone(second, 10000), "the command %d outlives its "
		  "stack", (int)second);
	it_switch_stop(&sw);
}

struct caller {
	struct vdestack *s;
	atomic_bool stop;   /* the main thread gave up waiting */
	atomic_bool done;   /* the loop ended */
	int calls, err, what;
};

/* caller_thread - vde_msocket and vde_stackcmd in a loop until one fails;
 * its errno in err, 0 for the socket, 1 for the command in what. */
static void *caller_thread(void *arg)
{
	struct caller *c = arg;

	while (!atomic_load(&c->stop)) {
		int fd = vde_msocket(c->s, AF_INET, SOCK_STREAM, 0);

		if (fd < 0) {
			c->err = errno;
			c->what = 0;
			break;
		}
		close(fd);
		c->calls++;
		if (vde_stackcmd(c->s, "/bin/true") != 0) {
			c->err = errno;
			c->what = 1;
			break;
		}
		c->calls++;
	}
	atomic_store(&c->done, true);
	return NULL;
}

/* test_helper_killed_under_calls_from_many_threads_fails_each_promptly -
 * eight threads call in a loop on two stacks (one with a network) while
 * the helper is SIGKILLed: every thread's next call fails with ESRCH, none
 * hangs, and the next vde_addstack works. */
static void test_helper_killed_under_calls_from_many_threads_fails_each_promptly(void)
{
	enum { N = 8 };
	struct caller c[N];
	pthread_t th[N];
	struct vdestack *s[2], *fresh;
	pid_t helper;
	int64_t end;
	int total = 0;

	it_require_network();
	s[0] = it_addstack(NULL, NULL);
	s[1] = it_addstack("mem://faults", NULL);
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	for (int i = 0; i < N; i++) {
		c[i] = (struct caller){ .s = s[i % 2] };
		IT_CHECK(pthread_create(&th[i], NULL, caller_thread, &c[i]) == 0);
	}
	/* let every thread get going, then kill the helper mid-call: a
	 * thread that is not calling yet (or no longer) would make this a
	 * test of calls after the death only */
	end = it_now_ms() + 20000;
	for (int i = 0; i < N; i++) {
		while (c[i].calls < 4 && !atomic_load(&c[i].done) &&
		       it_now_ms() < end)
			it_sleep_ms(5);
		IT_CHECKF(c[i].calls >= 4 && !atomic_load(&c[i].done),
			  "thread %d before the kill: %d calls, %s (%s)", i,
			  c[i].calls, atomic_load(&c[i].done) ? "ended" :
			  "still starting", strerror(c[i].err));
	}
	IT_CHECK(kill(helper, SIGKILL) == 0);
	end = it_now_ms() + 30000;
	for (int i = 0; i < N; i++) {
		while (!atomic_load(&c[i].done) && it_now_ms() < end)
			it_sleep_ms(10);
		if (!atomic_load(&c[i].done))
			atomic_store(&c[i].stop, true);
		IT_CHECKF(atomic_load(&c[i].done), "thread %d still in a call "
			  "30 s after the helper died", i);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		IT_CHECKF(c[i].err == ESRCH, "thread %d: %s failed with %s "
			  "after %d calls", i,
			  c[i].what ? "vde_stackcmd" : "vde_msocket",
			  strerror(c[i].err), c[i].calls);
		total += c[i].calls;
	}
	printf("%d threads, %d calls before the helper's death, each "
	       "thread's next one ESRCH\n", N, total);
	IT_CHECK(it_wait_gone(helper, 10000));
	fresh = it_addstack("mem://faults2", NULL);
	IT_CHECK(vde_stackcmd(fresh, "/bin/true") == 0);
	int fd = vde_msocket(fresh, AF_INET, SOCK_DGRAM, 0);
	IT_CHECK(fd >= 0);
	close(fd);
	vde_delstack(fresh);
	vde_delstack(s[0]);
	vde_delstack(s[1]);
}

/* set_fd_limit - the soft RLIMIT_NOFILE (the hard one stays). */
static void set_fd_limit(rlim_t soft)
{
	struct rlimit rl;

	IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	rl.rlim_cur = soft;
	IT_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

/* highest_fd - Return: the highest open descriptor below the soft
 * RLIMIT_NOFILE (a tool such as valgrind keeps its own above it). */
static int highest_fd(void)
{
	struct rlimit rl;
	struct dirent *e;
	DIR *d;
	int max = -1;

	IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	d = opendir("/proc/self/fd");
	IT_CHECK(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(d) &&
		    (rlim_t)fd < rl.rlim_cur && fd > max)
			max = fd;
	}
	closedir(d);
	return max;
}

/* fill_fd_holes - open /dev/null on every free descriptor number below
 * the highest open one, so that the open descriptors are exactly 0 to
 * N - 1 (RLIMIT_NOFILE caps the numbers, not the count).  The fillers
 * stay open until the test ends.  Return: N. */
static int fill_fd_holes(void)
{
	int max = highest_fd(), fd;

	do {
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		IT_CHECK(fd >= 0);
	} while (fd < max);
	if (fd > max)
		close(fd);
	return max + 1;
}

/* Calls tried under a descriptor limit. */
enum call { CALL_ADDSTACK, CALL_MSOCKET, CALL_STACKCMD, CALL_N };
static const char *const call_names[] = { "vde_addstack", "vde_msocket",
					  "vde_stackcmd" };

/* limited_call - call (on stack s, made beforehand, for the last two)
 * with the soft descriptor limit at limit, then the limit raised again.
 * A failure must be EMFILE.  Return: true when the call succeeded. */
static bool limited_call(enum call call, const char *url, struct vdestack *s,
			 rlim_t limit)
{
	struct vdestack *made = NULL;
	int r = 0, err = 0;

	set_fd_limit(limit);
	errno = 0;
	switch (call) {
	case CALL_ADDSTACK:
		made = vde_addstack((char *)url, NULL);
		r = made ? 0 : -1;
		break;
	case CALL_MSOCKET:
		r = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
		break;
	default:
		r = vde_stackcmd(s, "/bin/true; /bin/true");
		break;
	}
	err = errno;
	set_fd_limit(4096);
	if (call == CALL_MSOCKET && r >= 0) {
		close(r);
		r = 0;
	}
	vde_delstack(made);
	IT_CHECKF(r == 0 || (r == -1 && err == EMFILE), "%s, url \"%s\", "
		  "descriptor limit %d: returned %d, %s, not EMFILE",
		  call_names[call], url, (int)limit, r, strerror(err));
	return r == 0;
}

/* exhaust - for each call, the limit raised one by one from the
 * descriptors in use until the call succeeds; each failure EMFILE,
 * nothing left behind, and everything works once the limit is raised. */
static void exhaust(const char *url)
{
	struct it_counts before;
	int base, limit = 0;

	/* warm up: the helper, and (with a network) a loop thread */
	IT_CHECK(limited_call(CALL_ADDSTACK, url, NULL, 4096));
	for (enum call c = 0; c < CALL_N; c++) {
		struct vdestack *s = c == CALL_ADDSTACK ? NULL :
				     it_addstack(url, NULL);
		int fails = 0;

		base = fill_fd_holes();
		before = it_take_counts();
		for (limit = base; limit < base + 64; limit++) {
			bool ok = limited_call(c, url, s, (rlim_t)limit);

			it_check_counts(&before, call_names[c]);
			if (ok)
				break;
			fails++;
		}
		/* a stack without a network, or on a mem:// bridge, costs
		 * the application no descriptor at all (the request goes on
		 * the thread's cached channel, and a bridged member has no
		 * port): that call may succeed at once; every other one needs
		 * at least one */
		IT_CHECKF((fails > 0 || (c == CALL_ADDSTACK &&
					 (!*url || !strncmp(url, "mem://", 6)))) &&
			  limit < base + 64, "url \"%s\", %s: %d "
			  "failures, then %s at a limit of %d over %d in use",
			  url, call_names[c], fails,
			  limit < base + 64 ? "success" : "still failing",
			  limit, base);
		for (int i = 0; i < 3; i++)
			IT_CHECK(limited_call(c, url, s, 4096));
		vde_delstack(s);
		if (fails == 0)
			printf("url \"%s\", %s: needs no descriptor\n", url,
			       call_names[c]);
		else
			printf("url \"%s\", %s: EMFILE with 0 to %d descriptors "
			       "to spare, works with %d\n", url, call_names[c],
			       fails - 1, fails);
	}
}

/* test_descriptor_limit_gives_emfile_at_each_step_and_leaks_nothing -
 * RLIMIT_NOFILE lowered to just what is open, then raised one by one:
 * vde_addstack, vde_msocket and vde_stackcmd each fail with EMFILE at
 * every limit too low for them (for vde_addstack, at several points:
 * the reply channel, the tap, the command of a = URL), leave nothing
 * behind, and work again once it is raised.  Without network, on mem://
 * and on a = command. */
static void test_descriptor_limit_gives_emfile_at_each_step_and_leaks_nothing(void)
{
	it_require_network();
	exhaust("");
	exhaust("mem://emfile");
	exhaust("=/bin/cat");
}

struct blocked {
	int fd;
	const char *what;
	ssize_t ret;
	int err;
	atomic_bool done;
	size_t sent;        /* blocked_send: bytes written */
};

/* blocked_recv - recv() that blocks until data or a shutdown. */
static void *blocked_recv(void *arg)
{
	struct blocked *b = arg;
	char buf[64];

	b->ret = recv(b->fd, buf, sizeof(buf), 0);
	b->err = errno;
	atomic_store(&b->done, true);
	return NULL;
}

/* blocked_accept - accept() that blocks until a client comes. */
static void *blocked_accept(void *arg)
{
	struct blocked *b = arg;

	b->ret = accept4(b->fd, NULL, NULL, SOCK_CLOEXEC);
	b->err = errno;
	atomic_store(&b->done, true);
	return NULL;
}

/* blocked_send - send() 4 MiB on a connection nobody reads yet: it blocks
 * once the buffers are full. */
static void *blocked_send(void *arg)
{
	struct blocked *b = arg;
	static char buf[65536];

	b->ret = 0;
	while (b->sent < 4u << 20) {
		ssize_t n = send(b->fd, buf, sizeof(buf), MSG_NOSIGNAL);

		if (n <= 0) {
			b->ret = -1;
			b->err = errno;
			break;
		}
		b->sent += (size_t)n;
	}
	atomic_store(&b->done, true);
	return NULL;
}

/* wait_done - wait (bounded) for a blocked call to return.
 * Return: true when it did. */
static bool wait_done(struct blocked *b, int ms)
{
	int64_t end = it_now_ms() + ms;

	while (!atomic_load(&b->done) && it_now_ms() < end)
		it_sleep_ms(5);
	return atomic_load(&b->done);
}

/* loopback - 127.0.0.1:port. */
static struct sockaddr_in loopback(uint16_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

/* test_deleted_stack_keeps_its_sockets_as_documented - threads block in
 * recv, accept and send on sockets of a stack when vde_delstack runs:
 * the delete returns, the calls go on blocking (nothing in the stack
 * wakes them), the sockets still talk over the namespace's lo (a
 * datagram, a connection, a reader each complete a blocked call), what
 * a socket sends to the stack's old network no longer reaches it (a
 * stack on the same segment got it before the delete) nor comes from
 * it, a receive timeout ends a call, and shutdown(2) ends a blocked
 * recv; nothing is left once closed. */
static void test_deleted_stack_keeps_its_sockets_as_documented(void)
{
	struct vdestack *s, *t;
	struct it_counts before;
	struct sockaddr_in peer;
	struct pollfd pfd;
	int peer_rx, udp_in;
	struct sockaddr_in in_addr;
	struct blocked ur = { 0 }, ac = { 0 }, sn = { 0 }, sh = { 0 };
	pthread_t t_ur, t_ac, t_sn, t_sh;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int udp_rx, udp_tx, lst, cli, tcp_a, tcp_b, udp_sh, udp_out, one = 1;
	static char buf[65536];
	size_t got = 0;

	it_require_network();
	vde_delstack(it_addstack("mem://delete", NULL)); /* warm-up */
	before = it_take_counts();
	s = it_addstack("mem://delete", NULL);
	it_config_addr(s, "vde0", "10.8.0.1/24");
	t = it_addstack("mem://delete", NULL);
	it_config_addr(t, "vde0", "10.8.0.2/24");
	peer_rx = vde_msocket(t, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(peer_rx >= 0);
	peer = (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons(7000) };
	inet_pton(AF_INET, "10.8.0.2", &peer.sin_addr);
	IT_CHECK(bind(peer_rx, (struct sockaddr *)&peer, sizeof(peer)) == 0);

	/* a UDP receiver on lo and a sender */
	udp_rx = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	udp_tx = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	udp_sh = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	udp_out = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	udp_in = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECK(udp_rx >= 0 && udp_tx >= 0 && udp_sh >= 0 && udp_out >= 0 &&
		 udp_in >= 0);
	a = loopback(0);
	IT_CHECK(bind(udp_rx, (struct sockaddr *)&a, sizeof(a)) == 0);
	IT_CHECK(getsockname(udp_rx, (struct sockaddr *)&a, &len) == 0);
	struct sockaddr_in u = a;
	a = loopback(0);
	IT_CHECK(bind(udp_sh, (struct sockaddr *)&a, sizeof(a)) == 0);
	a = loopback(9); /* connected: shutdown(2) of it succeeds */
	IT_CHECK(connect(udp_sh, (struct sockaddr *)&a, sizeof(a)) == 0);
	/* a listener with a client not yet connected */
	lst = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cli = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(lst >= 0 && cli >= 0);
	setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a = loopback(6001);
	IT_CHECK(bind(lst, (struct sockaddr *)&a, sizeof(a)) == 0);
	IT_CHECK(listen(lst, 4) == 0);
	/* a connection whose reader does not read yet */
	tcp_b = vde_msocket(s, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	IT_CHECK(tcp_b >= 0);
	IT_CHECK(connect(tcp_b, (struct sockaddr *)&a, sizeof(a)) == 0);
	tcp_a = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
	IT_CHECK(tcp_a >= 0);
	/* before the delete, the other stack gets what udp_out sends */
	IT_CHECK(sendto(udp_out, "before", 6, 0, (struct sockaddr *)&peer,
			sizeof(peer)) == 6);
	it_set_timeouts(peer_rx, 10000);
	IT_CHECKF(recv(peer_rx, buf, sizeof(buf), 0) == 6, "the other stack "
		  "got nothing before the delete: %s", strerror(errno));
	/* and the other way */
	a = (struct sockaddr_in){ .sin_family = AF_INET,
				  .sin_port = htons(7001) };
	IT_CHECK(bind(udp_in, (struct sockaddr *)&a, sizeof(a)) == 0);
	inet_pton(AF_INET, "10.8.0.1", &a.sin_addr);
	IT_CHECK(sendto(peer_rx, "before", 6, 0, (struct sockaddr *)&a,
			sizeof(a)) == 6);
	it_set_timeouts(udp_in, 10000);
	IT_CHECKF(recv(udp_in, buf, sizeof(buf), 0) == 6, "the stack got "
		  "nothing from the other one before the delete: %s",
		  strerror(errno));
	in_addr = a;
	a = loopback(6001);

	ur.fd = udp_rx;
	ac.fd = lst;
	sn.fd = tcp_a;
	sh.fd = udp_sh;
	IT_CHECK(pthread_create(&t_ur, NULL, blocked_recv, &ur) == 0);
	IT_CHECK(pthread_create(&t_ac, NULL, blocked_accept, &ac) == 0);
	IT_CHECK(pthread_create(&t_sn, NULL, blocked_send, &sn) == 0);
	IT_CHECK(pthread_create(&t_sh, NULL, blocked_recv, &sh) == 0);
	/* the sender fills the buffers, then blocks */
	it_sleep_ms(300);
	IT_CHECKF(!atomic_load(&sn.done), "send did not block (%zu bytes)",
		  sn.sent);

	vde_delstack(s);

	/* nothing woke them */
	it_sleep_ms(200);
	IT_CHECK(!atomic_load(&ur.done) && !atomic_load(&ac.done) &&
		 !atomic_load(&sn.done) && !atomic_load(&sh.done));
	/* lo still works: each blocked call completes */
	IT_CHECK(sendto(udp_tx, "ping", 4, 0, (struct sockaddr *)&u,
			sizeof(u)) == 4);
	IT_CHECKF(wait_done(&ur, 10000), "recv not woken by a datagram");
	IT_CHECKF(ur.ret == 4, "recv: %zd (%s)", ur.ret, strerror(ur.err));
	IT_CHECK(connect(cli, (struct sockaddr *)&a, sizeof(a)) == 0);
	IT_CHECKF(wait_done(&ac, 10000), "accept not woken by a client");
	IT_CHECKF(ac.ret >= 0, "accept: %s", strerror(ac.err));
	close((int)ac.ret);
	it_set_timeouts(tcp_b, 10000);
	while (got < 4u << 20) {
		ssize_t n = recv(tcp_b, buf, sizeof(buf), 0);

		IT_CHECKF(n > 0, "reading what was sent: %zd (%s) at %zu", n,
			  strerror(errno), got);
		got += (size_t)n;
	}
	IT_CHECKF(wait_done(&sn, 10000), "send not done once read");
	IT_CHECKF(sn.ret == 0 && sn.sent == got, "send: %zd (%s), %zu sent, "
		  "%zu read", sn.ret, strerror(sn.err), sn.sent, got);
	/* the interface is cut off: what goes to the old network is lost */
	for (int i = 0; i < 5; i++)
		IT_CHECK(sendto(udp_out, "after", 5, 0, (struct sockaddr *)&peer,
				sizeof(peer)) == 5);
	pfd = (struct pollfd){ .fd = peer_rx, .events = POLLIN };
	IT_CHECKF(poll(&pfd, 1, 1000) == 0, "a datagram from the deleted "
		  "stack reached its old network");
	for (int i = 0; i < 5; i++)
		IT_CHECK(sendto(peer_rx, "after", 5, 0,
				(struct sockaddr *)&in_addr,
				sizeof(in_addr)) == 5);
	/* a receive timeout still ends a call, with nothing from outside */
	it_set_timeouts(udp_in, 1000);
	IT_CHECK_ERRNO(recv(udp_in, buf, sizeof(buf), 0) == -1, EAGAIN);
	/* shutdown(2) ends a blocked call */
	IT_CHECK(shutdown(udp_sh, SHUT_RDWR) == 0);
	IT_CHECKF(wait_done(&sh, 10000), "recv not ended by shutdown");
	IT_CHECKF(sh.ret == 0, "recv after shutdown: %zd (%s)", sh.ret,
		  strerror(sh.err));

	pthread_join(t_ur, NULL);
	pthread_join(t_ac, NULL);
	pthread_join(t_sn, NULL);
	pthread_join(t_sh, NULL);
	close(udp_rx);
	close(udp_tx);
	close(udp_sh);
	close(udp_out);
	close(lst);
	close(cli);
	close(tcp_a);
	close(tcp_b);
	close(peer_rx);
	close(udp_in);
	vde_delstack(t);
	it_check_counts(&before, "deleted stack's sockets closed");
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(restarted_vde_switch_on_the_same_path_gets_its_stacks_back),
	T(stacks_of_a_switch_gone_for_good_delete_cleanly),
	T(command_of_a_cmd_url_is_started_again_when_it_exits),
	T(helper_killed_under_calls_from_many_threads_fails_each_promptly),
	T(descriptor_limit_gives_emfile_at_each_step_and_leaks_nothing),
	T(deleted_stack_keeps_its_sockets_as_documented),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
