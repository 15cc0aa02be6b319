/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pcap.h - a capture file in the classic pcap format (pcap.c), written
 * from any thread, buffered. */
#ifndef VDS_PCAP_H
#define VDS_PCAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

/* Bytes buffered before a write(2); a capture is also flushed by its
 * owner's timer every VDS_PCAP_FLUSH_MS. */
#define VDS_PCAP_BUF (256u * 1024)
#define VDS_PCAP_FLUSH_MS 100
/* The snapshot length in the file's header: frames are never cut below
 * it (the pump's largest is 65600 bytes). */
#define VDS_PCAP_SNAPLEN 262144u

struct vds_pcap {
	pthread_mutex_t lock;
	atomic_bool on;       /* a capture runs (read without the lock) */
	int fd;               /* -1: no capture */
	size_t hdr_len;       /* bytes before the Ethernet header, skipped */
	unsigned char *buf;
	size_t used;
	int err;              /* the first write error (-errno), or 0 */
};

/* An idle capture (no file).  Return: nothing. */
void vds_pcap_init(struct vds_pcap *p);
/* Capture from now on into fd (a new file; the capture owns fd from now
 * on, also on failure), frames having hdr_len bytes before their
 * Ethernet header; a capture running is stopped first.
 * Return: 0, or -errno (the file header could not be written, -ENOMEM). */
int vds_pcap_start(struct vds_pcap *p, int fd, size_t hdr_len);
/* Whether a capture runs (a relaxed look: the caller's branch).
 * Return: true if so. */
bool vds_pcap_on(struct vds_pcap *p);
/* Append frames, time-stamped now (any thread).  Return: nothing. */
void vds_pcap_frames(struct vds_pcap *p, const struct vds_frame *f,
		     unsigned n);
/* Write what is buffered.  Return: nothing (an error is kept). */
void vds_pcap_flush(struct vds_pcap *p);
/* Flush, close the file, stop.  Return: 0, or the first write error
 * (-errno) since the capture started. */
int vds_pcap_stop(struct vds_pcap *p);
/* Stop (errors dropped) and free.  Return: nothing. */
void vds_pcap_fini(struct vds_pcap *p);

#endif /* VDS_PCAP_H */
