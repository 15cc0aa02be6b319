/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bridge.h - the helper's bridges, one per kernel-joined segment key
 * (bridge.c). */
#ifndef VDS_BRIDGE_H
#define VDS_BRIDGE_H

#include <stdbool.h>

/* The helper's bridges, one per segment key (handles >= 0). */
#define VDS_BRIDGE_MAX_MEMBERS 1022 /* the kernel's 1023 ports, less one */
int vds_bridge_find(const char *key);
int vds_bridge_get(const char *key);
unsigned vds_bridge_ifindex(int br);
bool vds_bridge_full(int br);
void vds_bridge_hold(int br);
void vds_bridge_put(int br);
void vds_bridge_reap(void);

#endif /* VDS_BRIDGE_H */
