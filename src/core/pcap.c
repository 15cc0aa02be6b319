/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcap.c - capture files: every frame crossing a stack's interface, in the
 * classic pcap format that tcpdump -r and Wireshark read.
 *
 * Theory of operation: the file is the libpcap "savefile" format (a
 * 24-byte file header, magic 0xa1b2c3d4 in host order, version 2.4,
 * LINKTYPE_ETHERNET, then per frame a 16-byte record header with
 * seconds, microseconds, captured and original length), which readers
 * tell the byte order of by the magic.  Frames are appended to a buffer
 * under the capture's lock (frames of both directions come from several
 * threads: the stack's loop, and the loops of the stacks that deliver to
 * it), one clock reading per batch; the buffer is written when it fills
 * and every VDS_PCAP_FLUSH_MS by the owner's timer, so most frames cost a
 * copy, not a system call.  A write that fails (disk full) is kept and
 * reported when the capture stops; the frames of a failed write are lost
 * from the file, never the link.  A frame's virtio-net header is not
 * part of the Ethernet frame and is left out.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pcap.h"
#include "base/alloc.h"
#include "backend.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u  /* microsecond timestamps */
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define LINKTYPE_ETHERNET 1

/* The file header. */
struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

/* A frame's record header. */
struct pcap_rec_hdr {
	uint32_t sec, usec;
	uint32_t caplen, len;
};

/* write_all - write len bytes of buf to fd.  Return: 0 or -errno. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* flush_locked - write the buffer (lock held); keep the first error. */
static void flush_locked(struct vds_pcap *p)
{
	int err;

	if (p->fd < 0 || !p->used)
		return;
	err = write_all(p->fd, p->buf, p->used);
	if (err < 0 && !p->err)
		p->err = err;
	p->used = 0;
}

/* vds_pcap_init - see pcap.h. */
void vds_pcap_init(struct vds_pcap *p)
{
	*p = (struct vds_pcap){ .fd = -1 };
	atomic_init(&p->on, false);
	pthread_mutex_init(&p->lock, NULL);
}

/* stop_locked - flush and close the file (lock held).
 * Return: 0 or the first write error. */
static int stop_locked(struct vds_pcap *p)
{
	int err;

	if (p->fd < 0)
		return 0;
	flush_locked(p);
	err = p->err;
	close(p->fd);
	p->fd = -1;
	p->err = 0;
	atomic_store_explicit(&p->on, false, memory_order_relaxed);
	vds_free(p->buf);
	p->buf = NULL;
	return err;
}

/* vds_pcap_start - see pcap.h: the file header goes first, at once, so
 * that a file that cannot be written fails the call.
 * Return: 0 or -errno. */
int vds_pcap_start(struct vds_pcap *p, int fd, size_t hdr_len)
{
	const struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC_US,
		.major = PCAP_VERSION_MAJOR, .minor = PCAP_VERSION_MINOR,
		.snaplen = VDS_PCAP_SNAPLEN, .linktype = LINKTYPE_ETHERNET,
	};
	unsigned char *buf = vds_malloc(VDS_PCAP_BUF);
	int err = buf ? write_all(fd, (const void *)&h, sizeof(h)) : -ENOMEM;

	if (err < 0) {
		vds_free(buf);
		close(fd);
		return err;
	}
	pthread_mutex_lock(&p->lock);
	stop_locked(p);
	p->fd = fd;
	p->buf = buf;
	p->used = 0;
	p->hdr_len = hdr_len;
	atomic_store_explicit(&p->on, true, memory_order_relaxed);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* vds_pcap_on - see pcap.h.  Return: true while a capture runs. */
bool vds_pcap_on(struct vds_pcap *p)
{
	return atomic_load_explicit(&p->on, memory_order_relaxed);
}

/* vds_pcap_frames - see pcap.h: records appended to the buffer, written
 * when the next one would not fit. */
void vds_pcap_frames(struct vds_pcap *p, const struct vds_frame *f,
		     unsigned n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; p->fd >= 0 && i < n; i++) {
		size_t len = f[i].len > p->hdr_len ? f[i].len - p->hdr_len : 0;
		size_t cap = len < VDS_PCAP_SNAPLEN ? len : VDS_PCAP_SNAPLEN;
		struct pcap_rec_hdr r = {
			.sec = (uint32_t)ts.tv_sec,
			.usec = (uint32_t)(ts.tv_nsec / 1000),
			.caplen = (uint32_t)cap, .len = (uint32_t)len,
		};

		if (cap + sizeof(r) > VDS_PCAP_BUF - p->used)
			flush_locked(p);
		if (cap + sizeof(r) > VDS_PCAP_BUF)
			continue; /* larger than the buffer: cannot happen */
		memcpy(p->buf + p->used, &r, sizeof(r));
		memcpy(p->buf + p->used + sizeof(r),
		       (const unsigned char *)f[i].data + p->hdr_len, cap);
		p->used += sizeof(r) + cap;
	}
	pthread_mutex_unlock(&p->lock);
}

/* vds_pcap_flush - see pcap.h. */
void vds_pcap_flush(struct vds_pcap *p)
{
	pthread_mutex_lock(&p->lock);
	flush_locked(p);
	pthread_mutex_unlock(&p->lock);
}

/* vds_pcap_stop - see pcap.h.  Return: 0 or -errno. */
int vds_pcap_stop(struct vds_pcap *p)
{
	int err;

	pthread_mutex_lock(&p->lock);
	err = stop_locked(p);
	pthread_mutex_unlock(&p->lock);
	return err;
}

/* vds_pcap_fini - see pcap.h. */
void vds_pcap_fini(struct vds_pcap *p)
{
	vds_pcap_stop(p);
	pthread_mutex_destroy(&p->lock);
}
