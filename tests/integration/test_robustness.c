/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_robustness.c - the helper killed, the application killed, the
 * creating thread gone. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* comm_is - Return: true when process pid's name is name. */
static bool comm_is(pid_t pid, const char *name)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, name);
}

/* find_command - wait (bounded) for a process called name among the
 * grandchildren of helper (helper -> runner -> command).
 * Return: its pid (and the runner's in *ret_runner), or -1. */
static pid_t find_command(pid_t helper, const char *name, pid_t *ret_runner)
{
	int64_t end = it_now_ms() + 10000;

	while (it_now_ms() < end) {
		pid_t runners[16], cmds[16];
		int nr = it_children(helper, runners, 16);

		for (int i = 0; i < nr && i < 16; i++) {
			int nc = it_children(runners[i], cmds, 16);

			for (int j = 0; j < nc && j < 16; j++) {
				if (comm_is(cmds[j], name)) {
					*ret_runner = runners[i];
					return cmds[j];
				}
			}
		}
		it_sleep_ms(20);
	}
	return -1;
}

struct sleeper {
	struct vdestack *s;
	atomic_int done;
	int status, err;
};

/* sleeper_thread - vde_stackcmd("/bin/sleep 30"). */
static void *sleeper_thread(void *arg)
{
	struct sleeper *sl = arg;

	sl->status = vde_stackcmd(sl->s, "/bin/sleep 30");
	sl->err = errno;
	atomic_store(&sl->done, 1);
	return NULL;
}

/* test_killed_helper_makes_calls_fail_with_esrch_at_once - and the next
 * vde_addstack starts a new helper. */
static void test_killed_helper_makes_calls_fail_with_esrch_at_once(void)
{
	struct vdestack *s, *net = NULL, *fresh;
	pid_t helper, helper2;

	it_require_stacks();
	s = it_addstack(NULL, NULL);
	if (it_network_available())
		net = it_addstack("null://", NULL);
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	IT_CHECK(kill(helper, SIGKILL) == 0);

	IT_CHECK_ERRNO(vde_msocket(s, AF_INET, SOCK_STREAM, 0) == -1, ESRCH);
	IT_CHECK_ERRNO(vde_stackcmd(s, "/bin/true") == -1, ESRCH);
	IT_CHECK_ERRNO(vde_msocket(s, AF_INET, SOCK_DGRAM, 0) == -1, ESRCH);
	if (net) {
		IT_CHECK_ERRNO(vde_msocket(net, AF_INET, SOCK_STREAM, 0) == -1,
			       ESRCH);
		IT_CHECK_ERRNO(vde_stackcmd(net, "/bin/true") == -1, ESRCH);
	}
	/* the default stack on a dead helper: socket() fails, no hang */
	vde_default_stack(s);
	IT_CHECK_ERRNO(socket(AF_INET, SOCK_STREAM, 0) == -1, ESRCH);
	vde_default_stack(NULL);

	IT_CHECK(it_wait_gone(helper, 10000));
	fresh = it_addstack(NULL, NULL);
	helper2 = it_helper_pid(0);
	IT_CHECKF(helper2 > 0 && helper2 != helper, "new helper %d, old %d",
		  (int)helper2, (int)helper);
	IT_CHECK(vde_stackcmd(fresh, "/bin/ip link show dev lo") == 0);
	int fd = vde_msocket(fresh, AF_INET, SOCK_STREAM, 0);
	IT_CHECK(fd >= 0);
	close(fd);
	/* the old stacks still fail cleanly, and go away without a hang */
	IT_CHECK_ERRNO(vde_stackcmd(s, "/bin/true") == -1, ESRCH);
	vde_delstack(net);
	vde_delstack(s);
	IT_CHECK(vde_stackcmd(fresh, "/bin/true") == 0);
	vde_delstack(fresh);
	/* the old helper was reaped: only the new one is our child */
	pid_t kids[8];
	int64_t end = it_now_ms() + 5000;

	while (it_children(0, kids, 8) != 1 && it_now_ms() < end)
		it_sleep_ms(20);
	IT_CHECKF(it_children(0, kids, 8) == 1, "%d children",
		  it_children(0, kids, 8));
}

/* test_addstack_right_after_the_helper_died_starts_a_new_one - no call
 * has noticed the death yet: vde_addstack itself must not fail. */
static void test_addstack_right_after_the_helper_died_starts_a_new_one(void)
{
	struct vdestack *old, *s;
	pid_t helper;

	it_require_stacks();
	old = it_addstack(NULL, NULL);
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	IT_CHECK(kill(helper, SIGKILL) == 0);
	IT_CHECK(it_wait_gone(helper, 10000));
	s = vde_addstack(NULL, NULL);
	IT_CHECKF(s, "vde_addstack after the helper died");
	IT_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	vde_delstack(s);
	vde_delstack(old);
}

/* test_killed_helper_ends_running_commands - a vde_stackcmd waiting for
 * /bin/sleep 30 returns ESRCH, and the sleep is gone. */
static void test_killed_helper_ends_running_commands(void)
{
	struct sleeper sl = { 0 };
	pid_t helper, runner = -1, sleeper;
	pthread_t th;
	int64_t end;

	it_require_stacks();
	sl.s = it_addstack(NULL, NULL);
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	IT_CHECK(pthread_create(&th, NULL, sleeper_thread, &sl) == 0);
	sleeper = find_command(helper, "sleep", &runner);
	IT_CHECKF(sleeper > 0, "no sleep command under the helper");
	IT_CHECK(kill(helper, SIGKILL) == 0);
	end = it_now_ms() + 10000;
	while (!atomic_load(&sl.done) && it_now_ms() < end)
		it_sleep_ms(10);
	IT_CHECKF(atomic_load(&sl.done), "vde_stackcmd still waits for the "
		  "command of a dead helper");
	pthread_join(th, NULL);
	IT_CHECKF(sl.status == -1 && sl.err == ESRCH, "status %d errno %d",
		  sl.status, sl.err);
	IT_CHECKF(it_wait_gone(runner, 10000), "runner %d lives on",
		  (int)runner);
	IT_CHECKF(it_wait_gone(sleeper, 10000), "sleep %d lives on",
		  (int)sleeper);
	vde_delstack(sl.s);
}

/* app_child - the application to be killed: a stack (and one with a tap
 * when possible), a sleep in progress; reports on fd ('r' ready, 's' no
 * user namespaces, 'f' failure), then waits. */
static void app_child(int fd) __attribute__((noreturn));
static void app_child(int fd)
{
	static struct sleeper sl;
	pthread_t th;

	signal(SIGALRM, SIG_DFL);
	alarm(60);
	sl.s = vde_addstack(NULL, NULL);
	if (!sl.s) {
		bool no_userns = errno == EPERM || errno == ENOSPC ||
				 errno == EINVAL || errno == EACCES;

		_exit(write(fd, no_userns ? "s" : "f", 1) == 1 ? 0 : 1);
	}
	if (it_network_available() &&
	    !vde_addstack("null://", NULL))
		_exit(write(fd, "f", 1) == 1 ? 0 : 1);
	if (pthread_create(&th, NULL, sleeper_thread, &sl) != 0)
		_exit(1);
	if (write(fd, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* start_app - fork an application (fn runs in the child, reporting on
 * the pipe), wait for its report.  Return: its pid. */
static pid_t start_app(void (*fn)(int fd))
{
	struct pollfd pfd;
	char c = 0;
	int p[2];
	pid_t app;

	IT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	app = fork();
	IT_CHECK(app >= 0);
	if (app == 0) {
		close(p[0]);
		fn(p[1]);
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	IT_CHECKF(poll(&pfd, 1, 30000) == 1 && read(p[0], &c, 1) == 1,
		  "no report from the application");
	close(p[0]);
	if (c == 's') {
		waitpid(app, NULL, 0);
		it_skip("no user namespaces");
	}
	IT_CHECKF(c == 'r', "the application failed to set up");
	return app;
}

/* test_killed_application_takes_its_helper_and_commands_along - SIGKILL
 * to the application: its helper, the runner and the command end.  This
 * process makes no stack itself: the application's helper is its own. */
static void test_killed_application_takes_its_helper_and_commands_along(void)
{
	pid_t app, helper = -1, runner = -1, sleeper;
	int64_t end;
	int status;

	/* orphans come to us, so that we can reap them */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	app = start_app(app_child);
	end = it_now_ms() + 10000;
	while ((helper = it_helper_pid(app)) < 0 && it_now_ms() < end)
		it_sleep_ms(10);
	IT_CHECKF(helper > 0, "no helper under the application %d", (int)app);
	sleeper = find_command(helper, "sleep", &runner);
	IT_CHECKF(sleeper > 0, "no sleep command under the helper");

	IT_CHECK(kill(app, SIGKILL) == 0);
	IT_CHECK(waitpid(app, &status, 0) == app);
	IT_CHECKF(it_wait_gone(helper, 10000), "helper %d outlives its "
		  "application", (int)helper);
	IT_CHECKF(it_wait_gone(runner, 10000), "runner %d lives on",
		  (int)runner);
	IT_CHECKF(it_wait_gone(sleeper, 10000), "sleep %d lives on",
		  (int)sleeper);
	/* reap whatever came to us */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* test_killed_forked_child_takes_the_commands_it_started_along - a child
 * forked by an application that already has stacks makes a stack of its
 * own and runs /bin/sleep 30 in it; SIGKILL to the child ends the sleep
 * although the parent lives on. */
static void test_killed_forked_child_takes_the_commands_it_started_along(void)
{
	struct vdestack *mine;
	pid_t app, runner = -1, sleeper = -1, helpers[2];
	int64_t end;

	it_require_stacks();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	mine = it_addstack(NULL, NULL); /* this process has a helper */
	helpers[0] = it_helper_pid(0);
	app = start_app(app_child);
	/* the command is under the parent's helper or the child's own */
	helpers[1] = it_helper_pid(app);
	end = it_now_ms() + 10000;
	while (sleeper < 0 && it_now_ms() < end) {
		for (int i = 0; i < 2 && sleeper < 0; i++)
			if (helpers[i] > 0)
				sleeper = find_command(helpers[i], "sleep",
						       &runner);
		if (sleeper < 0)
			helpers[1] = it_helper_pid(app);
	}
	IT_CHECKF(sleeper > 0, "no sleep command under any helper");

	IT_CHECK(kill(app, SIGKILL) == 0);
	IT_CHECK(waitpid(app, NULL, 0) == app);
	IT_CHECKF(it_wait_gone(sleeper, 10000), "the sleep %d started by the "
		  "killed child lives on (its runner %d is under helper %d, "
		  "the parent's is %d)", (int)sleeper, (int)runner,
		  (int)it_helper_pid(0), (int)helpers[0]);
	/* the parent's stack is unharmed, served by the same helper */
	IT_CHECK(vde_stackcmd(mine, "/bin/true") == 0);
	IT_CHECKF(helpers[0] > 0 && it_helper_pid(0) == helpers[0],
		  "the parent's helper was %d, is %d", (int)helpers[0],
		  (int)it_helper_pid(0));
	vde_delstack(mine);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* orphan_child - make a stack in a child of a process that has stacks,
 * let that parent exit, then check the stack still works: reports 'r'
 * when it does, 'f' otherwise ('s': no user namespaces). */
static void orphan_child(int fd) __attribute__((noreturn));
static void orphan_child(int fd)
{
	struct vdestack *s;
	int gone[2], made[2];
	pid_t child, parent_helper;
	char c;

	signal(SIGALRM, SIG_DFL);
	alarm(60);
	s = vde_addstack(NULL, NULL); /* the parent's stack and helper */
	if (!s) {
		bool no_userns = errno == EPERM || errno == ENOSPC ||
				 errno == EINVAL || errno == EACCES;

		_exit(write(fd, no_userns ? "s" : "f", 1) == 1 ? 0 : 1);
	}
	parent_helper = it_helper_pid(0);
	if (parent_helper <= 0 || pipe(gone) < 0 || pipe(made) < 0)
		_exit(write(fd, "f", 1) == 1 ? 0 : 1);
	child = fork();
	if (child < 0)
		_exit(write(fd, "f", 1) == 1 ? 0 : 1);
	if (child == 0) {
		struct vdestack *own = vde_addstack(NULL, NULL);
		int status;

		close(gone[1]);
		close(made[0]);
		if (!own) {
			fprintf(stderr, "vde_addstack in the child: %s\n",
				strerror(errno));
			_exit(write(fd, "f", 1) == 1 ? 0 : 1);
		}
		close(made[1]); /* the parent may go now */
		/* wait until the parent is gone, and its helper with it
		 * (a stack served by that helper would fail from then on) */
		if (read(gone[0], &c, 1) != 0 ||
		    !it_wait_gone(parent_helper, 10000)) {
			fprintf(stderr, "the parent or its helper %d lives on\n",
				(int)parent_helper);
			_exit(write(fd, "f", 1) == 1 ? 0 : 1);
		}
		status = vde_stackcmd(own, "/bin/true");
		if (status != 0)
			fprintf(stderr, "the child's own stack after its "
				"parent's exit: status %d, errno %s\n", status,
				strerror(errno));
		_exit(write(fd, status == 0 ? "r" : "f", 1) == 1 ? 0 : 1);
	}
	close(made[1]);
	if (read(made[0], &c, 1) < 0)
		_exit(1);
	_exit(0); /* the parent leaves: its end of gone closes */
}

/* test_stack_made_in_a_forked_child_survives_its_parent_exiting - the
 * child's own stack belongs to the child, not to its parent's helper. */
static void test_stack_made_in_a_forked_child_survives_its_parent_exiting(void)
{
	/* no stack here: the exiting parent's helper must be its own */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	start_app(orphan_child);
	/* start_app checked the 'r': the stack worked after the parent left */
	it_sleep_ms(100);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* What create_thread made. */
struct created {
	struct vdestack *s;
	int err;
};

/* create_thread - make the first stack (and so the helper) then end. */
static void *create_thread(void *arg)
{
	struct created *c = arg;

	c->s = vde_addstack(NULL, NULL);
	c->err = errno;
	return NULL;
}

/* test_helper_outlives_the_thread_that_started_it - no stack before the
 * thread's (it_require_stacks() would start the helper on the main
 * thread). */
static void test_helper_outlives_the_thread_that_started_it(void)
{
	struct created c = { .s = NULL };
	struct vdestack *s, *t;
	pthread_t th;
	pid_t helper;
	int fd;

	IT_CHECK(it_helper_pid(0) < 0);
	IT_CHECK(pthread_create(&th, NULL, create_thread, &c) == 0);
	pthread_join(th, NULL);
	s = c.s;
	if (!s && (c.err == EPERM || c.err == ENOSPC || c.err == EINVAL ||
		   c.err == EACCES))
		it_skip("no user namespaces here: %s", strerror(c.err));
	IT_CHECKF(s, "vde_addstack on a thread: %s", strerror(c.err));
	/* the helper the thread started is the one that serves on */
	helper = it_helper_pid(0);
	IT_CHECK(helper > 0);
	IT_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	fd = vde_msocket(s, AF_INET, SOCK_STREAM, 0);
	IT_CHECK(fd >= 0);
	close(fd);
	t = it_addstack(NULL, NULL);
	IT_CHECK(vde_stackcmd(t, "/bin/true") == 0);
	IT_CHECKF(it_pid_alive(helper) && it_helper_pid(0) == helper,
		  "the helper %d is gone (now %d)", (int)helper,
		  (int)it_helper_pid(0));
	vde_delstack(t);
	vde_delstack(s);
}

struct churn {
	int rounds, failures;
};

/* churn_thread - stacks made, used and deleted in a loop. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < c->rounds; i++) {
		struct vdestack *s = vde_addstack(NULL, NULL);
		int fd;

		if (!s) {
			c->failures++;
			continue;
		}
		fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || vde_stackcmd(s, "/bin/true") != 0)
			c->failures++;
		if (fd >= 0)
			close(fd);
		vde_delstack(s);
	}
	return NULL;
}

/* test_stacks_made_and_deleted_from_many_threads_at_once */
static void test_stacks_made_and_deleted_from_many_threads_at_once(void)
{
	enum { N = 6 };
	struct churn c[N];
	pthread_t th[N];

	it_require_stacks();
	for (int i = 0; i < N; i++) {
		c[i] = (struct churn){ .rounds = 15 };
		IT_CHECK(pthread_create(&th[i], NULL, churn_thread, &c[i]) == 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		IT_CHECKF(c[i].failures == 0, "thread %d: %d failures", i,
			  c[i].failures);
	}
}

static const struct it_test tests[] = {
#define T(name) { #name, test_##name }
	T(killed_helper_makes_calls_fail_with_esrch_at_once),
	T(addstack_right_after_the_helper_died_starts_a_new_one),
	T(killed_helper_ends_running_commands),
	T(killed_application_takes_its_helper_and_commands_along),
	T(killed_forked_child_takes_the_commands_it_started_along),
	T(stack_made_in_a_forked_child_survives_its_parent_exiting),
	T(helper_outlives_the_thread_that_started_it),
	T(stacks_made_and_deleted_from_many_threads_at_once),
#undef T
};

int main(int argc, char **argv)
{
	return it_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]));
}
