/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conf.h - what conf.c, the module of vde_stackconf(3), gives the rest of
 * src/conf: the stack's DNS data as text. */
#ifndef VDS_CONF_H
#define VDS_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include <vdestack.h>

/* The stack's DNS data as resolv.conf(5) text in buf (as
 * vde_stackresolv, without its checks), and in *ret_host whether that
 * data is the host's resolv.conf alone (dns=host, nothing else given or
 * learned): then the host's own file serves inside the stack as well.
 * Return: the text's length (0: no DNS data), snprintf-like. */
size_t vds_conf_resolv(struct vdestack *stack, char *buf, size_t size,
		       bool *ret_host);

#endif /* VDS_CONF_H */
