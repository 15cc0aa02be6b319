/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check.h - vdestack --check (check.c): everything a stack needs, tried
 * one item at a time. */
#ifndef VDESTACK_CHECK_H
#define VDESTACK_CHECK_H

#include <stdio.h>

/* Try each item, one line on out per item (ok, not available, FAIL with
 * the cause and its fix).  Return: 0 when a stack can be made and used
 * here, 1 when not. */
int vdestack_check(FILE *out);

#endif /* VDESTACK_CHECK_H */
