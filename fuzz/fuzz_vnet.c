/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_vnet.c - libFuzzer target: frames with a virtio-net header through
 * the real pump and the mem:// backend, as the kernel's taps would hand
 * them over: any header (flags, GSO type, header and segment sizes,
 * checksum offsets, all fuzzed), truncated frames, frames of any length up
 * to the largest a vnet-header interface reads (a 64 KiB GSO segment).
 *
 * Three ports of one mem:// segment (vds_port_open/vds_port_start, so the
 * pump's batching and the switch run on their loop thread as in a stack),
 * each pumping a SOCK_SEQPACKET socketpair instead of a tap.  Every frame
 * that comes out of a port must be, byte for byte, one that went into
 * another port, and must hold at least the header and an Ethernet header:
 * the core passes the header on untouched, for the receiving kernel to
 * check.  After the fuzzed frames each port sends a broadcast marker;
 * when every port has the markers of the two others, every frame sent
 * before them has been dealt with (a port's frames are switched in order,
 * and written to the other interfaces before the next one is read).  A
 * marker carries a random nonce of its input, so that no fuzzed frame
 * can pass for the marker of the input it is in.
 *
 * Input: records of an op byte (bits 0-1: the port, mod 3; bit 2: a large
 * frame), a 2-byte length, then the frame.  A large frame is its first
 * bytes (at most 64 of the record) repeated up to VNET_MIN + the length.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/clock.h"
#include "core/backend.h"
#include "core/pump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPORTS 3
#define MAX_FRAMES 32
#define VNET_MIN (VDS_VNET_HDR_LEN + 14)       /* header + Ethernet */
#define VNET_MAX (VNET_MIN + 65535)            /* + the largest IP packet */
#define MARKER_LEN 64
#define DEADLINE_MS 8000

struct side {
	struct vds_port *port;
	int fd;                        /* our end: the "kernel" side */
	bool seen[NPORTS];             /* this input's marker from each */
};

struct sent {
	unsigned from;
	unsigned char *data;
	size_t len;
};

static struct side sides[NPORTS];
static uint64_t nonce;               /* this input's markers */
#define OLD_NONCES 8
static uint64_t old[OLD_NONCES];     /* the last inputs' */
static unsigned char rbuf[2 * VNET_MAX];

/* fail - report what went wrong and abort. */
static void fail(const char *what)
{
	fprintf(stderr, "fuzz_vnet: %s\n", what);
	abort();
}

/* setup - the three ports, once for the process.  Return: 0 or -errno. */
static int setup(void)
{
	int size = 4 * 1024 * 1024;

	for (unsigned i = 0; i < NPORTS; i++) {
		int sv[2], err;

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0, sv) < 0)
			return -errno;
		for (int j = 0; j < 2; j++) {
			setsockopt(sv[j], SOL_SOCKET, SO_SNDBUF, &size,
				   sizeof(size));
			setsockopt(sv[j], SOL_SOCKET, SO_RCVBUF, &size,
				   sizeof(size));
		}
		err = vds_port_open("mem://fuzz_vnet", &sides[i].port);
		if (err == 0)
			err = vds_port_start(sides[i].port, sv[1]);
		else
			close(sv[1]);
		if (err < 0) {
			close(sv[0]);
			return err;
		}
		sides[i].fd = sv[0];
	}
	return 0;
}

/* marker - the marker of port from with nonce g, into m. */
static void marker(unsigned from, uint64_t g, unsigned char m[MARKER_LEN])
{
	memset(m, 0, MARKER_LEN);
	memset(m + VDS_VNET_HDR_LEN, 0xff, 6);               /* broadcast */
	m[VDS_VNET_HDR_LEN + 6] = 0x02;
	m[VDS_VNET_HDR_LEN + 11] = (unsigned char)(0xf0 + from);
	m[VDS_VNET_HDR_LEN + 12] = 0x88;                      /* local */
	m[VDS_VNET_HDR_LEN + 13] = 0xb5;
	memcpy(m + 32, "vdsmark", 7);
	m[40] = (unsigned char)from;
	memcpy(m + 48, &g, sizeof(g));
}

/* is_marker - whether a received frame is a marker of port *from with
 * nonce g.  Return: true if so. */
static bool is_marker(const unsigned char *f, size_t len, uint64_t g,
		      unsigned *from)
{
	unsigned char m[MARKER_LEN];

	if (len != MARKER_LEN || f[40] >= NPORTS)
		return false;
	*from = f[40];
	marker(*from, g, m);
	return memcmp(f, m, MARKER_LEN) == 0;
}

/* drain - read what port r's interface got; check each frame.
 * Return: nothing (aborts on a frame that nobody sent). */
static void drain(unsigned r, const struct sent *s, unsigned n)
{
	for (;;) {
		ssize_t len = recv(sides[r].fd, rbuf, sizeof(rbuf),
				   MSG_DONTWAIT | MSG_TRUNC);
		unsigned from;
		bool found = false;

		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			fail("recv");
		}
		if ((size_t)len > VNET_MAX || (size_t)len < VNET_MIN)
			fail("a frame out of bounds reached an interface");
		if (is_marker(rbuf, (size_t)len, nonce, &from)) {
			if (from == r)
				fail("a port got its own marker back");
			sides[r].seen[from] = true;
			continue;
		}
		/* a marker sent again for an earlier input, late */
		for (unsigned i = 0; i < OLD_NONCES && !found; i++)
			found = is_marker(rbuf, (size_t)len, old[i], &from);
		for (unsigned i = 0; i < n && !found; i++)
			found = s[i].from != r && s[i].len == (size_t)len &&
				!memcmp(s[i].data, rbuf, (size_t)len);
		if (!found)
			fail("a frame came out that no other port sent");
	}
}

/* drain_all - drain every port.  Return: nothing. */
static void drain_all(const struct sent *s, unsigned n)
{
	for (unsigned r = 0; r < NPORTS; r++)
		drain(r, s, n);
}

/* wait_io - sleep until a port has something to read, at most ms. */
static void wait_io(int ms)
{
	struct pollfd p[NPORTS];

	for (unsigned r = 0; r < NPORTS; r++)
		p[r] = (struct pollfd){ .fd = sides[r].fd, .events = POLLIN };
	poll(p, NPORTS, ms);
}

/* put - write one frame into port from's interface, draining the others
 * while it is full.  Return: nothing (aborts past the deadline). */
static void put(unsigned from, const void *f, size_t len,
		const struct sent *s, unsigned n, int64_t deadline)
{
	while (send(sides[from].fd, f, len, MSG_DONTWAIT) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			fail("send");
		if (vds_now_ms() > deadline)
			fail("the pump stopped reading");
		drain_all(s, n);
		wait_io(1);
	}
}

/* all_seen - whether every port has this input's markers from the
 * others.  Return: true if so. */
static bool all_seen(void)
{
	for (unsigned r = 0; r < NPORTS; r++)
		for (unsigned f = 0; f < NPORTS; f++)
			if (f != r && !sides[r].seen[f])
				return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sent s[MAX_FRAMES];
	unsigned n = 0;
	size_t off = 0;
	int64_t deadline, resend = 0;

	if (!ready) {
		int err = setup();

		if (err < 0) {
			fprintf(stderr, "fuzz_vnet: setup: %s\n", strerror(-err));
			abort();
		}
		ready = 1;
	}
	/* the frames */
	while (off + 3 <= size && n < MAX_FRAMES) {
		unsigned op = data[off], len = data[off + 1] << 8 | data[off + 2];
		size_t take;
		struct sent *f = &s[n];

		off += 3;
		f->from = (op & 3) % NPORTS;
		if (op & 4) {
			size_t pat = size - off < 64 ? size - off : 64;

			f->len = VNET_MIN + len;
			f->data = malloc(f->len);
			if (!f->data)
				break;
			for (size_t i = 0; i < f->len; i++)
				f->data[i] = pat ? data[off + i % pat]
						 : (unsigned char)i;
			off += pat;
		} else {
			take = len < size - off ? len : size - off;
			if (take == 0)
				continue; /* an interface never reads 0 bytes */
			f->len = take;
			f->data = malloc(take);
			if (!f->data)
				break;
			memcpy(f->data, data + off, take);
			off += take;
		}
		n++;
	}
	deadline = vds_now_ms() + DEADLINE_MS;
	for (unsigned i = 0; i < n; i++)
		put(s[i].from, s[i].data, s[i].len, s, n, deadline);
	/* then the markers, again until they are through (a full
	 * interface drops, as a wire would) */
	memmove(old + 1, old, sizeof(old) - sizeof(old[0]));
	old[0] = nonce;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce++;
	for (unsigned r = 0; r < NPORTS; r++)
		memset(sides[r].seen, 0, sizeof(sides[r].seen));
	while (!all_seen()) {
		int64_t now = vds_now_ms();

		if (now > deadline)
			fail("markers lost: frames stuck in the pump");
		if (now >= resend) {
			for (unsigned p = 0; p < NPORTS; p++) {
				unsigned char m[MARKER_LEN];

				marker(p, nonce, m);
				put(p, m, sizeof(m), s, n, deadline);
			}
			resend = now + 50;
		}
		drain_all(s, n);
		if (!all_seen())
			wait_io(5);
	}
	for (unsigned i = 0; i < n; i++)
		free(s[i].data);
	return 0;
}
