/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* alloc.h - the library's one allocator entry point, with fault injection
 * for tests (alloc.c). */
#ifndef VDS_ALLOC_H
#define VDS_ALLOC_H

#include <stddef.h>

void *vds_malloc(size_t size);
void *vds_calloc(size_t n, size_t size);
void *vds_realloc(void *ptr, size_t size);
char *vds_strdup(const char *s);
void vds_free(void *ptr);

/* Make the Nth allocation from now fail (1 = the next one); 0 disables.
 * Return: the number of allocations made since the last call. */
unsigned long vds_alloc_fail_at(unsigned long n);
/* Blocks allocated and not freed yet (leak tests).  Return: the count. */
long vds_alloc_live(void);

#endif /* VDS_ALLOC_H */
