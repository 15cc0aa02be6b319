/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_pump.c - unit tests of the frame pump (pump.c) with a mock backend
 * and a socketpair standing in for the tap. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "base/alloc.h"
#include "base/internal.h"
#include "core/backend.h"
#include "core/loop.h"
#include "core/pump.h"
#include "unit.h"

/* ------------------------------------------------------------------ */
/* The mock backend: just another table                                 */
/* ------------------------------------------------------------------ */

#define MOCK_FRAMES 256

struct mock_state {
	pthread_mutex_t lock;
	/* behaviour */
	int open_err, start_err;
	unsigned mtu;
	bool echo; /* send() gives the frames back with vds_port_deliver */
	/* what happened */
	int opens, starts, stops, closes;
	char url_full[64], url_rest[64]; /* the URL open() was given */
	bool url_is_mock;
	int live; /* backends opened and not closed */
	unsigned nbatches, nframes;
	unsigned batch[MOCK_FRAMES];
	size_t len[MOCK_FRAMES];
	unsigned char tag[MOCK_FRAMES];
	bool corrupt;
	pthread_t start_thread, send_thread, stop_thread;
	bool send_on_other_thread;
	struct unit_counter *frames;
};

static struct mock_state mock = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The backend's state: the common header first; an eventfd it watches,
 * to check that stop and close undo start and open. */
struct mock_backend {
	struct vds_backend hdr;
	int efd;
	struct vds_watch *w;
	bool started;
};

/* mock_open - allocate the state (through the library's allocator, so
 * fault injection reaches it).  Return: 0 or the configured error. */
static int mock_open(const struct vds_url *url, struct vds_port *port,
		     struct vds_backend **ret)
{
	struct mock_backend *b;

	pthread_mutex_lock(&mock.lock);
	mock.opens++;
	snprintf(mock.url_full, sizeof(mock.url_full), "%s", url->full);
	snprintf(mock.url_rest, sizeof(mock.url_rest), "%s", url->rest);
	mock.url_is_mock = vds_url_scheme_is(url, "mock");
	pthread_mutex_unlock(&mock.lock);
	if (mock.open_err)
		return mock.open_err;
	b = vds_calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0) {
		vds_free(b);
		return -errno;
	}
	b->hdr.mtu = mock.mtu;
	pthread_mutex_lock(&mock.lock);
	mock.live++;
	pthread_mutex_unlock(&mock.lock);
	*ret = &b->hdr;
	return 0;
}

/* mock_event - the backend's own descriptor (never written). */
static void mock_event(void *arg, uint32_t events)
{
}

/* mock_start - watch the eventfd.  Return: 0 or the configured error. */
static int mock_start(struct vds_backend *be, struct vds_loop *loop)
{
	struct mock_backend *b = (struct mock_backend *)be;
	int err;

	pthread_mutex_lock(&mock.lock);
	mock.starts++;
	mock.start_thread = pthread_self();
	pthread_mutex_unlock(&mock.lock);
	if (mock.start_err)
		return mock.start_err;
	err = vds_loop_watch_add(loop, b->efd, EPOLLIN, mock_event, b, &b->w);
	if (err == 0)
		b->started = true;
	return err;
}

/* mock_send - record the batch; echo it back if asked.
 * Return: frames consumed (all). */
static unsigned mock_send(struct vds_backend *be, const struct vds_frame *f,
			  unsigned n)
{
	pthread_mutex_lock(&mock.lock);
	if (mock.nbatches < MOCK_FRAMES)
		mock.batch[mock.nbatches++] = n;
	if (mock.nbatches > 1 && !pthread_equal(mock.send_thread, pthread_self()))
		mock.send_on_other_thread = true;
	mock.send_thread = pthread_self();
	for (unsigned i = 0; i < n; i++) {
		const unsigned char *d = f[i].data;

		if (mock.nframes == MOCK_FRAMES || f[i].len == 0) {
			mock.corrupt = true;
			continue;
		}
		for (size_t k = 0; k < f[i].len; k++)
			if (d[k] != (unsigned char)(d[0] + k))
				mock.corrupt = true;
		mock.len[mock.nframes] = f[i].len;
		mock.tag[mock.nframes] = d[0];
		mock.nframes++;
	}
	pthread_mutex_unlock(&mock.lock);
	if (mock.echo)
		vds_port_deliver(be->port, f, n);
	unit_counter_add(mock.frames, (int)n);
	return n;
}

/* mock_stop - undo start (loop thread). */
static void mock_stop(struct vds_backend *be)
{
	struct mock_backend *b = (struct mock_backend *)be;

	pthread_mutex_lock(&mock.lock);
	mock.stops++;
	mock.stop_thread = pthread_self();
	pthread_mutex_unlock(&mock.lock);
	vds_loop_watch_del(b->w);
	b->w = NULL;
	b->started = false;
}

/* mock_close - release everything. */
static void mock_close(struct vds_backend *be)
{
	struct mock_backend *b = (struct mock_backend *)be;

	pthread_mutex_lock(&mock.lock);
	mock.closes++;
	mock.live--;
	if (b->started)
		mock.corrupt = true; /* closed while started */
	pthread_mutex_unlock(&mock.lock);
	close(b->efd);
	vds_free(b);
}

static const struct vds_backend_ops mock_ops = {
	.scheme = "mock",
	.open = mock_open,
	.start = mock_start,
	.send = mock_send,
	.stop = mock_stop,
	.close = mock_close,
	.max_frame = 0,
	.flags = 0,
};

/* The same backend, carrying frames of MOCK_SMALL_MAX bytes at most. */
#define MOCK_SMALL_MAX 100
static const struct vds_backend_ops mock_small_ops = {
	.scheme = "mocksmall",
	.open = mock_open,
	.start = mock_start,
	.send = mock_send,
	.stop = mock_stop,
	.close = mock_close,
	.max_frame = MOCK_SMALL_MAX,
};

/* The registry has no seam for a test backend: wrap its lookup. */
int __real_vds_registry_lookup(const char *url, struct vds_url *ret_url,
			       const struct vds_backend_ops **ret_ops);
int __wrap_vds_registry_lookup(const char *url, struct vds_url *ret_url,
			       const struct vds_backend_ops **ret_ops);

/* __wrap_vds_registry_lookup - "mock://" and "mocksmall://" are the
 * mock, split as the registry splits a URL; the rest as usual.
 * Return: 0 or -errno. */
int __wrap_vds_registry_lookup(const char *url, struct vds_url *ret_url,
			       const struct vds_backend_ops **ret_ops)
{
	const struct vds_backend_ops *const mocks[] = { &mock_ops,
							 &mock_small_ops };

	for (size_t i = 0; i < VDS_ARRAY_SIZE(mocks); i++) {
		size_t n = strlen(mocks[i]->scheme);

		if (strncmp(url, mocks[i]->scheme, n) ||
		    strncmp(url + n, "://", 3))
			continue;
		*ret_url = (struct vds_url){ .full = url, .scheme = url,
					     .scheme_len = n,
					     .rest = url + n + 3 };
		*ret_ops = mocks[i];
		return 0;
	}
	return __real_vds_registry_lookup(url, ret_url, ret_ops);
}

/* ------------------------------------------------------------------ */
/* Fixture: the mock reset, baseline counts, a fake tap                 */
/* ------------------------------------------------------------------ */

struct fix {
	int fds_before, threads_before;
	int tap[2]; /* [0] the port's (non-blocking), [1] the test's */
	struct vds_port *port;
};

/* mock_reset - forget what the mock saw and how it behaves. */
static void mock_reset(void)
{
	struct unit_counter *c = mock.frames;

	pthread_mutex_lock(&mock.lock);
	memset((char *)&mock + offsetof(struct mock_state, open_err), 0,
	       sizeof(mock) - offsetof(struct mock_state, open_err));
	pthread_mutex_unlock(&mock.lock);
	unit_counter_free(c);
	mock.frames = unit_counter_new();
}

/* setup - baseline counts and a SOCK_SEQPACKET pair as the tap (frame
 * boundaries are kept, as on a tap).  Return: 0. */
static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	mock_reset();
	f->fds_before = unit_count_fds();
	f->threads_before = unit_count_threads();
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
				    SOCK_NONBLOCK, 0, f->tap), 0);
	*state = f;
	return 0;
}

/* teardown - close what is left; nothing may remain.  Return: 0. */
static int teardown(void **state)
{
	struct fix *f = *state;

	vds_port_close(f->port);
	if (f->tap[0] >= 0)
		close(f->tap[0]);
	if (f->tap[1] >= 0)
		close(f->tap[1]);
	assert_int_equal(unit_count_fds(), f->fds_before);
	assert_int_equal(unit_wait_threads(f->threads_before), f->threads_before);
	assert_int_equal(mock.live, 0);
	free(f);
	return 0;
}

/* start_url - open a port of url and start it on the fake tap. */
static void start_url(struct fix *f, const char *url)
{
	assert_int_equal(vds_port_open(url, &f->port), 0);
	assert_int_equal(vds_port_start(f->port, f->tap[0]), 0);
	f->tap[0] = -1; /* the port's now */
}

/* start_port - open a mock port and start it on the fake tap. */
static void start_port(struct fix *f)
{
	start_url(f, "mock://");
}

/* write_frame - one test frame of len bytes into the fake tap. */
static void write_frame(int fd, size_t len, unsigned char tag)
{
	unsigned char *buf = malloc(len);

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(tag + i);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	free(buf);
}

/* read_frame - one frame from the fake tap, waiting for it (bounded).
 * Return: its length, or -1. */
static ssize_t read_frame(int fd, unsigned char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, UNIT_WAIT_MS) != 1)
		return -1;
	return read(fd, buf, size);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

/* test_port_open_takes_the_backend_of_the_url_and_close_releases_it - a
 * port never started: close calls the backend's close, not stop. */
static void test_port_open_takes_the_backend_of_the_url_and_close_releases_it(void **state)
{
	struct fix *f = *state;

	mock.mtu = 9000;
	assert_int_equal(vds_port_open("mock://x", &f->port), 0);
	assert_int_equal(mock.opens, 1);
	assert_string_equal(mock.url_full, "mock://x");
	assert_string_equal(mock.url_rest, "x");
	assert_true(mock.url_is_mock);
	assert_int_equal(vds_port_mtu(f->port), 9000);
	assert_int_equal(vds_port_flags(f->port), 0);
	vds_port_close(f->port);
	f->port = NULL;
	assert_int_equal(mock.closes, 1);
	assert_int_equal(mock.starts, 0);
	assert_int_equal(mock.stops, 0);
	vds_port_close(NULL);
}

/* test_port_open_returns_the_backend_error - and nothing to close. */
static void test_port_open_returns_the_backend_error(void **state)
{
	struct fix *f = *state;

	mock.open_err = -ECONNREFUSED;
	assert_int_equal(vds_port_open("mock://", &f->port), -ECONNREFUSED);
	f->port = NULL;
	assert_int_equal(mock.opens, 1);
	assert_int_equal(mock.closes, 0);
}

/* test_port_open_returns_the_registry_error - a URL with a control
 * character never reaches a backend. */
static void test_port_open_returns_the_registry_error(void **state)
{
	struct fix *f = *state;

	assert_int_equal(vds_port_open("null://\n", &f->port), -EINVAL);
	f->port = NULL;
}

/* test_port_open_refuses_an_mtu_over_65521_and_closes_the_backend - the
 * largest MTU that keeps a frame within 65535 bytes. */
static void test_port_open_refuses_an_mtu_over_65521_and_closes_the_backend(void **state)
{
	struct fix *f = *state;

	mock.mtu = 65535 - 14 + 1;
	assert_int_equal(vds_port_open("mock://", &f->port), -EINVAL);
	f->port = NULL;
	assert_int_equal(mock.closes, 1);
	mock.mtu = 65535 - 14;
	assert_int_equal(vds_port_open("mock://", &f->port), 0);
	assert_int_equal(vds_port_mtu(f->port), 65521);
}

/* test_port_frames_from_the_interface_reach_send_in_one_batch - frames
 * queued before the pump starts are read in one wake-up and handed over
 * in one send(), on the loop thread. */
static void test_port_frames_from_the_interface_reach_send_in_one_batch(void **state)
{
	struct fix *f = *state;

	for (unsigned i = 0; i < 10; i++)
		write_frame(f->tap[1], 60 + i * 100, (unsigned char)i);
	start_port(f);
	assert_int_equal(unit_counter_wait(mock.frames, 10), 10);
	pthread_mutex_lock(&mock.lock);
	assert_int_equal(mock.nbatches, 1);
	assert_int_equal(mock.batch[0], 10);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(mock.len[i], 60 + i * 100);
		assert_int_equal(mock.tag[i], i);
	}
	assert_false(mock.corrupt);
	assert_true(pthread_equal(mock.send_thread, mock.start_thread));
	assert_false(pthread_equal(mock.send_thread, pthread_self()));
	pthread_mutex_unlock(&mock.lock);
}

/* test_port_batches_at_most_64_frames_per_send - 100 queued frames make
 * a batch of 64 and one of 36, in order. */
static void test_port_batches_at_most_64_frames_per_send(void **state)
{
	struct fix *f = *state;
	int big = 4 << 20;

	setsockopt(f->tap[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	for (unsigned i = 0; i < 100; i++)
		write_frame(f->tap[1], 60, (unsigned char)i);
	start_port(f);
	assert_int_equal(unit_counter_wait(mock.frames, 100), 100);
	pthread_mutex_lock(&mock.lock);
	assert_int_equal(mock.nbatches, 2);
	assert_int_equal(mock.batch[0], 64);
	assert_int_equal(mock.batch[1], 36);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(mock.tag[i], i);
	assert_false(mock.corrupt);
	pthread_mutex_unlock(&mock.lock);
}

/* test_port_keeps_large_frames_whole - a 64 KiB frame (a TSO segment)
 * reaches send() as one frame. */
static void test_port_keeps_large_frames_whole(void **state)
{
	struct fix *f = *state;
	int big = 4 << 20;

	setsockopt(f->tap[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	start_port(f);
	write_frame(f->tap[1], 65536, 1);
	write_frame(f->tap[1], 14, 2);
	assert_int_equal(unit_counter_wait(mock.frames, 2), 2);
	pthread_mutex_lock(&mock.lock);
	assert_int_equal(mock.len[0], 65536);
	assert_int_equal(mock.len[1], 14);
	assert_false(mock.corrupt);
	pthread_mutex_unlock(&mock.lock);
}

/* test_port_deliver_writes_each_frame_to_the_interface - in order, whole,
 * from any thread (here the test's own). */
static void test_port_deliver_writes_each_frame_to_the_interface(void **state)
{
	struct fix *f = *state;
	unsigned char data[3][1500], buf[2000];
	struct vds_frame fr[3];
	struct vds_port_counts c;

	start_port(f);
	for (int i = 0; i < 3; i++) {
		fr[i].data = data[i];
		fr[i].len = 100 + (size_t)i * 500;
		for (size_t k = 0; k < fr[i].len; k++)
			data[i][k] = (unsigned char)(i + k);
	}
	vds_port_deliver(f->port, fr, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)),
				 (ssize_t)fr[i].len);
		assert_memory_equal(buf, data[i], fr[i].len);
	}
	assert_int_equal(mock.nframes, 0); /* nothing looped back */
	vds_port_counts(f->port, &c);
	assert_int_equal(c.tx_frames, 3);
	assert_int_equal(c.tx_drops, 0);
}

/* test_port_deliver_writes_each_frame_to_a_descriptor_that_is_no_socket -
 * a tap is no socket: one write(2) a frame (here a pipe in packet mode,
 * which keeps each write a packet too). */
static void test_port_deliver_writes_each_frame_to_a_descriptor_that_is_no_socket(void **state)
{
	struct fix *f = *state;
	unsigned char data[3][1500], buf[2000];
	struct vds_frame fr[3];
	struct vds_port_counts c;
	int p[2];

	assert_int_equal(pipe2(p, O_DIRECT | O_CLOEXEC | O_NONBLOCK), 0);
	close(f->tap[0]);
	f->tap[0] = p[1];
	close(f->tap[1]);
	f->tap[1] = p[0];
	start_port(f);
	for (int i = 0; i < 3; i++) {
		fr[i].data = data[i];
		fr[i].len = 60 + (size_t)i * 700;
		memset(data[i], 'a' + i, fr[i].len);
	}
	vds_port_deliver(f->port, fr, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)),
				 (ssize_t)fr[i].len);
		assert_memory_equal(buf, data[i], fr[i].len);
	}
	vds_port_counts(f->port, &c);
	assert_int_equal(c.tx_frames, 3);
	assert_int_equal(c.tx_drops, 0);
}

/* test_port_deliver_drops_when_the_interface_is_full_and_never_blocks -
 * a reader that does not read: frames beyond what the socket holds are
 * dropped and the call returns; what was written is intact. */
static void test_port_deliver_drops_when_the_interface_is_full_and_never_blocks(void **state)
{
	struct fix *f = *state;
	static unsigned char data[1500], buf[2000];
	struct vds_frame fr[64];
	struct vds_port_counts c;
	unsigned got = 0;
	ssize_t n;

	start_port(f);
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (unsigned char)k;
	for (int i = 0; i < 64; i++)
		fr[i] = (struct vds_frame){ .data = data, .len = sizeof(data) };
	for (int round = 0; round < 100; round++) /* 6400 frames, ~9 MB */
		vds_port_deliver(f->port, fr, 64);
	while ((n = read(f->tap[1], buf, sizeof(buf))) > 0) {
		assert_int_equal(n, sizeof(data));
		assert_memory_equal(buf, data, sizeof(data));
		got++;
	}
	assert_true(got > 0);
	assert_true(got < 6400);
	vds_port_counts(f->port, &c);
	assert_int_equal(c.tx_frames, got);
	assert_int_equal(c.tx_drops, 6400 - got);
}

/* test_port_drops_and_counts_frames_longer_than_the_backends_max_frame -
 * the backend never sees them; the others go on in order. */
static void test_port_drops_and_counts_frames_longer_than_the_backends_max_frame(void **state)
{
	struct fix *f = *state;
	struct vds_port_counts c;

	write_frame(f->tap[1], 60, 1);
	write_frame(f->tap[1], MOCK_SMALL_MAX + 1, 2);
	write_frame(f->tap[1], MOCK_SMALL_MAX, 3);
	write_frame(f->tap[1], 5000, 4);
	write_frame(f->tap[1], 14, 5);
	start_url(f, "mocksmall://");
	assert_int_equal(unit_counter_wait(mock.frames, 3), 3);
	pthread_mutex_lock(&mock.lock);
	assert_int_equal(mock.nframes, 3);
	assert_int_equal(mock.tag[0], 1);
	assert_int_equal(mock.tag[1], 3);
	assert_int_equal(mock.len[1], MOCK_SMALL_MAX);
	assert_int_equal(mock.tag[2], 5);
	assert_false(mock.corrupt);
	pthread_mutex_unlock(&mock.lock);
	vds_port_counts(f->port, &c);
	assert_int_equal(c.rx_frames, 3);
	assert_int_equal(c.rx_oversize, 2);
}

/* test_port_echo_backend_sends_frames_back_to_the_interface - a round
 * trip: tap -> pump -> send() -> vds_port_deliver on the loop thread ->
 * tap. */
static void test_port_echo_backend_sends_frames_back_to_the_interface(void **state)
{
	struct fix *f = *state;
	unsigned char buf[2000];

	mock.echo = true;
	start_port(f);
	for (unsigned i = 0; i < 20; i++)
		write_frame(f->tap[1], 60 + i, (unsigned char)(i * 7));
	for (unsigned i = 0; i < 20; i++) {
		assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)),
				 60 + i);
		assert_int_equal(buf[0], (unsigned char)(i * 7));
		assert_int_equal(buf[59], (unsigned char)(i * 7 + 59));
	}
}

/* test_port_close_stops_on_the_loop_thread_closes_the_backend_and_leaks_nothing
 * - stop on the pump's thread, then close; the fake tap's end is closed by
 * the port; the thread ends (checked by the teardown with the fds). */
static void test_port_close_stops_on_the_loop_thread_closes_the_backend_and_leaks_nothing(void **state)
{
	struct fix *f = *state;
	unsigned char buf[100];

	start_port(f);
	assert_int_equal(unit_count_threads(), f->threads_before + 1);
	write_frame(f->tap[1], 60, 1);
	assert_int_equal(unit_counter_wait(mock.frames, 1), 1);
	vds_port_close(f->port);
	f->port = NULL;
	assert_int_equal(mock.starts, 1);
	assert_int_equal(mock.stops, 1);
	assert_int_equal(mock.closes, 1);
	assert_true(pthread_equal(mock.stop_thread, mock.start_thread));
	assert_false(mock.corrupt);
	/* the port's end is closed: the other end reads end-of-file */
	assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)), 0);
	assert_int_equal(unit_wait_threads(f->threads_before), f->threads_before);
}

/* test_port_start_failure_of_the_backend_leaves_nothing_running - the
 * error comes back, the port still owns the fd, close cleans up without
 * calling stop. */
static void test_port_start_failure_of_the_backend_leaves_nothing_running(void **state)
{
	struct fix *f = *state;

	mock.start_err = -EIO;
	assert_int_equal(vds_port_open("mock://", &f->port), 0);
	assert_int_equal(vds_port_start(f->port, f->tap[0]), -EIO);
	f->tap[0] = -1;
	assert_int_equal(unit_wait_threads(f->threads_before), f->threads_before);
	vds_port_close(f->port);
	f->port = NULL;
	assert_int_equal(mock.stops, 0);
	assert_int_equal(mock.closes, 1);
}

/* test_port_open_and_start_fail_cleanly_at_every_allocation - the nth
 * allocation failing, for every n: -ENOMEM, and after close no fd, no
 * thread left. */
static void test_port_open_and_start_fail_cleanly_at_every_allocation(void **state)
{
	struct fix *f = *state;
	bool done = false;
	unsigned long n;

	close(f->tap[0]);
	close(f->tap[1]);
	f->tap[0] = f->tap[1] = -1;
	for (n = 1; n < 50 && !done; n++) {
		struct vds_port *port = NULL;
		int tap[2], err;
		unsigned long made;

		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
					    SOCK_NONBLOCK, 0, tap), 0);
		vds_alloc_fail_at(n);
		err = vds_port_open("mock://", &port);
		if (err == 0) {
			err = vds_port_start(port, tap[0]);
			tap[0] = -1;
		}
		made = vds_alloc_fail_at(0);
		if (made < n) {
			assert_int_equal(err, 0);
			done = true;
		} else if (err != -ENOMEM) {
			fail_msg("allocation %lu: %d", n, err);
		}
		vds_port_close(port);
		if (tap[0] >= 0)
			close(tap[0]);
		close(tap[1]);
		assert_int_equal(unit_count_fds(), f->fds_before);
		assert_int_equal(unit_wait_threads(f->threads_before), f->threads_before);
	}
	assert_true(done);
	assert_true(n > 3); /* port, backend, watches */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_port_open_takes_the_backend_of_the_url_and_close_releases_it),
		T(test_port_open_returns_the_backend_error),
		T(test_port_open_returns_the_registry_error),
		T(test_port_open_refuses_an_mtu_over_65521_and_closes_the_backend),
		T(test_port_frames_from_the_interface_reach_send_in_one_batch),
		T(test_port_batches_at_most_64_frames_per_send),
		T(test_port_keeps_large_frames_whole),
		T(test_port_deliver_writes_each_frame_to_the_interface),
		T(test_port_deliver_writes_each_frame_to_a_descriptor_that_is_no_socket),
		T(test_port_deliver_drops_when_the_interface_is_full_and_never_blocks),
		T(test_port_drops_and_counts_frames_longer_than_the_backends_max_frame),
		T(test_port_echo_backend_sends_frames_back_to_the_interface),
		T(test_port_close_stops_on_the_loop_thread_closes_the_backend_and_leaks_nothing),
		T(test_port_start_failure_of_the_backend_leaves_nothing_running),
		T(test_port_open_and_start_fail_cleanly_at_every_allocation),
	};
#undef T
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	unit_counter_free(mock.frames);
	return rc;
}
