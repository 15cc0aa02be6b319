/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clock.h - the monotonic clock, in nanoseconds, microseconds and
 * milliseconds. */
#ifndef VDS_CLOCK_H
#define VDS_CLOCK_H

#include <stdint.h>
#include <time.h>

/* vds_now_ns - the monotonic clock.  Return: nanoseconds. */
static inline int64_t vds_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* vds_now_us - the monotonic clock.  Return: microseconds. */
static inline int64_t vds_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* vds_now_ms - the monotonic clock.  Return: milliseconds. */
static inline int64_t vds_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif /* VDS_CLOCK_H */
