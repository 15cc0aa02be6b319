/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slirp_gro.h - the slirp backend's reading of TCP frames (slirp_gro.c:
 * segment merging on the way in, pure ACKs on the way out; slirp.c says
 * why), apart from libslirp so that a fuzz target can drive them. */
#ifndef VDS_SLIRP_GRO_H
#define VDS_SLIRP_GRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"

/* A merged segment, headers first: Ethernet, IPv6, TCP, 64 KiB. */
#define VDS_SLIRP_GRO_BUF (14 + 40 + 20 + 65535)
/* The longest frame that can be a pure ACK. */
#define VDS_SLIRP_ACK_FRAME_MAX 128
/* A connection's key: addresses (IPv6: 32 bytes) and ports. */
#define VDS_SLIRP_ACK_KEY 36

/* Pass frames f[0..n) read from a stack's interface to input(arg, ...)
 * in order, each as it is, except that consecutive plain data segments of
 * one TCP connection (the rules are in slirp_gro.c) go as one merged
 * frame, built in gro (VDS_SLIRP_GRO_BUF bytes): lengths and checksums
 * recomputed (a bad checksum of a part stays bad); IPv4 merges up to
 * 64 KiB, IPv6 ones up to an IPv6 packet of mtu bytes (mtu >= 68).
 * Return: nothing. */
void vds_slirp_merge(unsigned char *gro, unsigned mtu,
		     const struct vds_frame *f, unsigned n,
		     void (*input)(void *arg, const void *buf, size_t len),
		     void *arg);

/* Whether frame f (len bytes, from libslirp) is a pure TCP ACK (a TCP
 * segment by the rules of slirp_gro.c, ACK flag only, no data, the frame
 * within VDS_SLIRP_ACK_FRAME_MAX); if so its connection's key in
 * key[0..*keylen) (source and destination addresses, then ports, as on
 * the wire) and its ack number.  Return: true for a pure ACK. */
bool vds_slirp_pure_ack(const unsigned char *f, size_t len,
			unsigned char key[VDS_SLIRP_ACK_KEY], unsigned *keylen,
			uint32_t *ack);

#endif /* VDS_SLIRP_GRO_H */
