/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* busypoll.h - the busy-poll setting (busypoll.c): whether the waits of
 * both processes spin a little before they sleep. */
#ifndef VDS_BUSYPOLL_H
#define VDS_BUSYPOLL_H

#include <stdbool.h>

/* Whether to busy-poll: true unless VDESTACK_BUSY_POLL=0.  The
 * environment is read once per process (a helper forked later inherits
 * the answer).  Return: the setting. */
bool vds_busy_poll(void);

#endif /* VDS_BUSYPOLL_H */
