/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* internal.h - what every file of the library needs: the export macro and
 * the array size. */
#ifndef VDS_INTERNAL_H
#define VDS_INTERNAL_H

/* A public symbol of libvdestack.so.0 (src/libvdestack.map lists them). */
#define VDS_EXPORT __attribute__((visibility("default")))

#define VDS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* VDS_INTERNAL_H */
