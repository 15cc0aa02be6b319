/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stream.h - the VDE stream encoding of the =command backend (stream.c),
 * exposed for the unit and fuzz tests. */
#ifndef VDS_STREAM_H
#define VDS_STREAM_H

#include <stddef.h>

#include "core/backend.h"

/* Decode the VDE stream encoding (2-byte big-endian length, then the
 * frame) of buf[0..len) into f[0..max) (pointing into buf), until max
 * frames are found or no complete frame is left; frames under 14 bytes
 * are skipped.  Return: bytes consumed, *ret_n the frames in f. */
size_t vds_stream_decode(const unsigned char *buf, size_t len,
			 struct vds_frame *f, unsigned max, unsigned *ret_n);

#endif /* VDS_STREAM_H */
