/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* alloc.c - the library's one allocator entry point, with fault injection. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Allocations counted since the last vds_alloc_fail_at(), and the one
 * (1-based) that must fail; 0 means none. */
static atomic_ulong alloc_count;
static atomic_ulong alloc_fail_at;
/* Blocks handed out and not yet given back to vds_free(). */
static atomic_long alloc_live;

/* should_fail - count one allocation and tell whether it must fail.
 * Return: true when fault injection selected this allocation. */
static bool should_fail(void)
{
	unsigned long n = atomic_fetch_add(&alloc_count, 1) + 1;
	unsigned long at = atomic_load(&alloc_fail_at);

	return at != 0 && n == at;
}

/* vds_alloc_fail_at - arm fault injection for the nth allocation from now.
 * Return: the number of allocations counted since the previous call. */
unsigned long vds_alloc_fail_at(unsigned long n)
{
	unsigned long made = atomic_exchange(&alloc_count, 0);

	atomic_store(&alloc_fail_at, n);
	return made;
}

/* vds_alloc_live - for leak tests: blocks allocated through this file
 * and not freed yet (every allocation of the library goes through it).
 * Return: the count. */
long vds_alloc_live(void)
{
	return atomic_load(&alloc_live);
}

/* counted - count a block handed out.  Return: p. */
static void *counted(void *p)
{
	if (p)
		atomic_fetch_add(&alloc_live, 1);
	return p;
}

/* vds_malloc - malloc(3) through the fault-injection point.
 * Return: memory, or NULL with errno ENOMEM. */
void *vds_malloc(size_t size)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return counted(malloc(size ? size : 1));
}

/* vds_calloc - calloc(3) through the fault-injection point.
 * Return: zeroed memory, or NULL with errno ENOMEM. */
void *vds_calloc(size_t n, size_t size)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return counted(calloc(n ? n : 1, size ? size : 1));
}

/* vds_realloc - realloc(3) through the fault-injection point.
 * Return: memory, or NULL (ptr untouched) with errno ENOMEM. */
void *vds_realloc(void *ptr, size_t size)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	if (!ptr)
		return counted(realloc(NULL, size ? size : 1));
	return realloc(ptr, size ? size : 1);
}

/* vds_strdup - strdup(3) through the fault-injection point.
 * Return: a copy, or NULL with errno ENOMEM. */
char *vds_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy = vds_malloc(len);

	if (copy)
		memcpy(copy, s, len);
	return copy;
}

/* vds_free - free(3); accepts NULL. */
void vds_free(void *ptr)
{
	if (ptr)
		atomic_fetch_sub(&alloc_live, 1);
	free(ptr);
}
