/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unit.h - helpers shared by the unit tests: resource counts, bounded waits,
 * checks in forked children. */
#ifndef VDS_UNIT_H
#define VDS_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

/* Upper bound of every wait in the unit tests: only reached on a failure
 * (a hang), never a performance threshold; generous for valgrind. */
#define UNIT_WAIT_MS 30000

/* Open descriptors of this process (the directory's own one excluded).
 * Return: the count, or -1 when /proc/self/fd cannot be read. */
int unit_count_fds(void);
/* Open descriptors of process pid.  Return: the count, or -1 (e.g. not
 * allowed to look). */
int unit_count_fds_of(pid_t pid);
/* Threads of this process.  Return: the count, or -1. */
int unit_count_threads(void);
/* Child processes of this process (zombies included), summed over its
 * threads.  ret_pid (may be NULL) gets one of them.  Return: the count. */
int unit_count_children(pid_t *ret_pid);

/* Poll count() until it equals want, for at most UNIT_WAIT_MS.
 * Return: the last value seen. */
int unit_wait_count(int (*count)(void), int want);
/* unit_wait_count(unit_count_threads, want).  Return: last value. */
int unit_wait_threads(int want);

/* Wait until process pid sleeps in poll(2)/ppoll(2) (a server between
 * requests), for at most UNIT_WAIT_MS.  Return: true when it does, false
 * on timeout or when not allowed to look. */
bool unit_wait_idle_in_poll(pid_t pid);

/* Run fn(arg) in a forked child (in a process group of its own), which
 * reports with CHILD_CHECK() and ends with _exit(0) when fn returns.  A
 * child still running after ms milliseconds is taken for hung: its group
 * is killed.  Return: the child's wait status (0 when every check
 * passed; UNIT_CHILD_HUNG when killed for hanging). */
int unit_run_in_child_for(void (*fn)(void *arg), void *arg, int ms);
#define UNIT_CHILD_HUNG 0x7f00ff
/* The same with a bound only a hang reaches (UNIT_CHILD_MS). */
int unit_run_in_child(void (*fn)(void *arg), void *arg);
#define UNIT_CHILD_MS 100000

/* In a child of unit_run_in_child(): cmocka's assertions would jump back
 * into the parent's copy of the test runner, so failures are printed and
 * end the child instead. */
#define CHILD_CHECK(cond)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: child check failed: %s\n", \
				__FILE__, __LINE__, #cond);                \
			_exit(1);                                          \
		}                                                          \
	} while (0)

/* Like CHILD_CHECK with a printf-style explanation. */
#define CHILD_CHECK_MSG(cond, ...)                                         \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: child check failed: %s: ",  \
				__FILE__, __LINE__, #cond);                \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			_exit(1);                                          \
		}                                                          \
	} while (0)

/* Whether the tests run under CI's rules (CI=true).  Return: true if so. */
bool unit_in_ci(void);

/* Skip the running test, with the reason why, or fail it when CI=true:
 * cmocka's skip() reports success, and CI never skips (as the integration
 * suite's it_skip()). */
#define UNIT_SKIP(why)                                                     \
	do {                                                               \
		if (unit_in_ci())                                          \
			fail_msg("skipped while CI=true: %s", (why));      \
		print_message("skipped: %s\n", (why));                    \
		skip();                                                    \
	} while (0)

/* A counter another thread bumps and the test waits on. */
struct unit_counter;
struct unit_counter *unit_counter_new(void);
void unit_counter_free(struct unit_counter *c);
/* Add n and wake waiters (any thread). */
void unit_counter_add(struct unit_counter *c, int n);
/* The current value. */
int unit_counter_get(struct unit_counter *c);
/* Wait until the value is at least want, for at most UNIT_WAIT_MS.
 * Return: the value reached. */
int unit_counter_wait(struct unit_counter *c, int want);

#endif /* VDS_UNIT_H */
