/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unit.c - helpers shared by the unit tests (see unit.h). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

#include "unit.h"

/* count_dir - entries of a directory, "." and ".." excluded.
 * Return: the count, or -1 when it cannot be opened. */
static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* unit_count_fds - descriptors of this process.  Return: count or -1. */
int unit_count_fds(void)
{
	int n = count_dir("/proc/self/fd");

	return n < 0 ? -1 : n - 1; /* the DIR's own descriptor */
}

/* unit_count_fds_of - descriptors of another process.
 * Return: count or -1. */
int unit_count_fds_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	return count_dir(path);
}

/* unit_count_threads - threads of this process.  Return: count or -1. */
int unit_count_threads(void)
{
	return count_dir("/proc/self/task");
}

/* unit_count_children - children of this process, over all its threads.
 * Return: the count; *ret_pid gets the last one seen. */
int unit_count_children(pid_t *ret_pid)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (ret_pid)
		*ret_pid = -1;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300];
		FILE *f;
		int pid;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue; /* the thread just ended */
		while (fscanf(f, "%d", &pid) == 1) {
			n++;
			if (ret_pid)
				*ret_pid = pid;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* nap - sleep a millisecond. */
static void nap(void)
{
	struct timespec ts = { .tv_nsec = 1000000 };

	nanosleep(&ts, NULL);
}

/* unit_wait_count - poll until count() == want, bounded.
 * Return: the last value. */
int unit_wait_count(int (*count)(void), int want)
{
	int v = count();

	for (int i = 0; v != want && i < UNIT_WAIT_MS; i++) {
		nap();
		v = count();
	}
	return v;
}

/* unit_wait_threads - poll until the process has want threads, bounded
 * (a joined thread may linger in /proc for a moment).
 * Return: the last value. */
int unit_wait_threads(int want)
{
	return unit_wait_count(unit_count_threads, want);
}

/* in_poll - whether pid is blocked in poll(2), ppoll(2) or epoll_wait(2)
 * (and its variants), from /proc/PID/syscall.
 * Return: 1 yes, 0 no, -1 cannot tell. */
static int in_poll(pid_t pid)
{
	char path[64], line[256] = "";
	FILE *f;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	if (sscanf(line, "%ld", &nr) != 1)
		return 0; /* "running" */
	return nr == SYS_poll || nr == SYS_ppoll || nr == SYS_epoll_wait ||
	       nr == SYS_epoll_pwait || nr == 441 /* epoll_pwait2 */;
}

/* unit_wait_idle_in_poll - wait for pid to sleep in poll, bounded.
 * Return: true when it does. */
bool unit_wait_idle_in_poll(pid_t pid)
{
	int v = in_poll(pid);

	for (int i = 0; v == 0 && i < UNIT_WAIT_MS; i++) {
		nap();
		v = in_poll(pid);
	}
	return v == 1;
}

/* unit_run_in_child_for - fn(arg) in a forked child, bounded.
 * Return: the child's wait status, UNIT_CHILD_HUNG, or -1 when fork
 * fails. */
int unit_run_in_child_for(void (*fn)(void *arg), void *arg, int ms)
{
	int status;
	pid_t pid, r;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		fn(arg);
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	setpgid(pid, pid); /* either of us may get there first */
	for (int i = 0; i < ms; i++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		nap();
	}
	fprintf(stderr, "child %d hung: killing its process group\n", (int)pid);
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return UNIT_CHILD_HUNG;
}

/* unit_run_in_child - fn(arg) in a forked child, bounded only against a
 * hang.  Return: as unit_run_in_child_for. */
int unit_run_in_child(void (*fn)(void *arg), void *arg)
{
	return unit_run_in_child_for(fn, arg, UNIT_CHILD_MS);
}

struct unit_counter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int value;
};

/* unit_counter_new - a counter at 0.  Return: it (aborts when out of
 * memory: a test cannot go on). */
struct unit_counter *unit_counter_new(void)
{
	struct unit_counter *c = calloc(1, sizeof(*c));
	pthread_condattr_t attr;

	if (!c)
		abort();
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &attr);
	pthread_condattr_destroy(&attr);
	return c;
}

/* unit_counter_free - release a counter; accepts NULL. */
void unit_counter_free(struct unit_counter *c)
{
	if (!c)
		return;
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* unit_counter_add - add n and wake the waiters. */
void unit_counter_add(struct unit_counter *c, int n)
{
	pthread_mutex_lock(&c->lock);
	c->value += n;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* unit_counter_get - the current value.  Return: it. */
int unit_counter_get(struct unit_counter *c)
{
	int v;

	pthread_mutex_lock(&c->lock);
	v = c->value;
	pthread_mutex_unlock(&c->lock);
	return v;
}

/* unit_counter_wait - wait for value >= want, bounded.
 * Return: the value reached. */
int unit_counter_wait(struct unit_counter *c, int want)
{
	struct timespec end;
	int v;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += UNIT_WAIT_MS / 1000;
	pthread_mutex_lock(&c->lock);
	while (c->value < want) {
		if (pthread_cond_timedwait(&c->cond, &c->lock, &end) == ETIMEDOUT)
			break;
	}
	v = c->value;
	pthread_mutex_unlock(&c->lock);
	return v;
}

/* unit_in_ci - whether CI=true is set.  Return: true if so. */
bool unit_in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}
