/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * busypoll.c - the one reading of VDESTACK_BUSY_POLL.
 *
 * Theory of operation: three waits poll for a short while before they
 * sleep, with sched_yield() in between: a thread waiting for the helper's
 * reply on its cached channel (core/helper.c), the helper waiting for the
 * next request (helper/serve.c), and a loop thread waiting for frames
 * (core/loop.c).  On a virtual machine, waking a process that sleeps on an
 * idle CPU costs more than a request; docs/ARCHITECTURE.md has the
 * figures.  VDESTACK_BUSY_POLL=0 turns all three off at once; how long
 * each one spins is its own business.  The value is read at first use and
 * kept: getenv() is not free, and a setting that changed in the middle of
 * a process's life would make the two ends of a channel disagree.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "busypoll.h"

/* 0: not read yet; 1: off; 2: on.  Threads that race to read it store the
 * same value. */
static atomic_int busy_poll_state;

/* vds_busy_poll - see busypoll.h.  Return: false only with
 * VDESTACK_BUSY_POLL=0. */
bool vds_busy_poll(void)
{
	int state = atomic_load_explicit(&busy_poll_state, memory_order_relaxed);

	if (state == 0) {
		const char *v = getenv("VDESTACK_BUSY_POLL");

		state = v && !strcmp(v, "0") ? 1 : 2;
		atomic_store_explicit(&busy_poll_state, state,
				      memory_order_relaxed);
	}
	return state == 2;
}
