/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_portlink.c - unit tests of a port's link conditions and capture
 * (portlink.c through pump.c) with an echo backend that is just another
 * table and a socketpair standing in for the tap: delays released by the
 * loop's timer, frames delivered from another thread, the fast path back
 * after clear, a cut, copies and losses counted, captures (the stack's
 * side of the conditions, virtio-net headers left out), a stopped and
 * restarted port, and every allocation failing in turn. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/internal.h"
#include "core/backend.h"
#include "core/linkspec.h"
#include "core/pump.h"
#include "unit.h"

#define FRAME 100

/* The echo backend: what the port sends comes straight back; sent
 * counts the frames it was given. */
static unsigned sent;

/* echo_open - a bare backend.  Return: 0 or -ENOMEM. */
static int echo_open(const struct vds_url *url, struct vds_port *port,
		     struct vds_backend **ret)
{
	*ret = vds_calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

/* echo_start - nothing to watch.  Return: 0. */
static int echo_start(struct vds_backend *be, struct vds_loop *loop)
{
	return 0;
}

/* echo_send - give the frames back (on the loop thread).
 * Return: n. */
static unsigned echo_send(struct vds_backend *be, const struct vds_frame *f,
			  unsigned n)
{
	__atomic_add_fetch(&sent, n, __ATOMIC_RELAXED);
	vds_port_deliver(be->port, f, n);
	return n;
}

/* echo_stop - nothing to undo. */
static void echo_stop(struct vds_backend *be)
{
}

/* echo_close - free. */
static void echo_close(struct vds_backend *be)
{
	vds_free(be);
}

static const struct vds_backend_ops echo_ops = {
	.scheme = "echo",
	.open = echo_open,
	.start = echo_start,
	.send = echo_send,
	.stop = echo_stop,
	.close = echo_close,
};

/* The same with a virtio-net header before each frame (as slirp://):
 * the link measures and captures the Ethernet frame behind it. */
static const struct vds_backend_ops echo_vnet_ops = {
	.scheme = "echovnet",
	.open = echo_open,
	.start = echo_start,
	.send = echo_send,
	.stop = echo_stop,
	.close = echo_close,
	.flags = VDS_BACKEND_VNET_HDR,
};

int __real_vds_registry_lookup(const char *url, struct vds_url *ret_url,
			       const struct vds_backend_ops **ret_ops);
int __wrap_vds_registry_lookup(const char *url, struct vds_url *ret_url,
			       const struct vds_backend_ops **ret_ops);

/* __wrap_vds_registry_lookup - "echo://" and "echovnet://" are the echo
 * backends.  Return: 0 or -errno. */
int __wrap_vds_registry_lookup(const char *url, struct vds_url *ret_url,
			       const struct vds_backend_ops **ret_ops)
{
	const struct vds_backend_ops *const echoes[] = { &echo_ops,
							 &echo_vnet_ops };

	for (size_t i = 0; i < VDS_ARRAY_SIZE(echoes); i++) {
		size_t n = strlen(echoes[i]->scheme);

		if (strncmp(url, echoes[i]->scheme, n) ||
		    strcmp(url + n, "://"))
			continue;
		*ret_url = (struct vds_url){ .full = url, .scheme = url,
					     .scheme_len = n,
					     .rest = url + n + 3 };
		*ret_ops = echoes[i];
		return 0;
	}
	return __real_vds_registry_lookup(url, ret_url, ret_ops);
}

/* A port on a fake tap: tap[1] is the test's end. */
struct fix {
	const char *url;
	size_t hdr;     /* the backend's bytes before the Ethernet header */
	int tap[2];
	struct vds_port *port;
	int fds_before;
	long live_before;
};

/* now_ms - the monotonic clock.  Return: ms. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* start - a running echo port on a new fake tap. */
static void start(struct fix *f)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
				    SOCK_NONBLOCK, 0, f->tap), 0);
	if (!f->port)
		assert_int_equal(vds_port_open(f->url, &f->port), 0);
	assert_int_equal(vds_port_start(f->port, f->tap[0]), 0);
}

/* setup_url - counts before, and a running port on url.  Return: 0. */
static int setup_url(void **state, const char *url)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->url = url;
	f->hdr = strcmp(url, "echovnet://") ? 0 : VDS_VNET_HDR_LEN;
	f->fds_before = unit_count_fds();
	f->live_before = vds_alloc_live();
	start(f);
	*state = f;
	return 0;
}

/* setup - a running port on the echo backend.  Return: 0. */
static int setup(void **state)
{
	return setup_url(state, "echo://");
}

/* setup_vnet - a running port on the vnet-header echo.  Return: 0. */
static int setup_vnet(void **state)
{
	return setup_url(state, "echovnet://");
}

/* teardown - everything closed, nothing left.  Return: 0. */
static int teardown(void **state)
{
	struct fix *f = *state;

	vds_port_close(f->port);
	close(f->tap[1]);
	assert_int_equal(unit_count_fds(), f->fds_before);
	assert_int_equal(vds_alloc_live(), f->live_before);
	free(f);
	return 0;
}

/* set_link - vds_port_link of spec.  Return: its result. */
static int set_link(struct fix *f, const char *spec)
{
	struct vds_linkspec ls;

	assert_int_equal(vds_linkspec_parse(spec, &ls), 0);
	return vds_port_link(f->port, &ls);
}

/* put - one frame of FRAME bytes, tagged (after a virtio-net header of
 * zeros, one that asks for no offload, where the backend has one), into
 * the tap. */
static void put(struct fix *f, unsigned char tag)
{
	unsigned char buf[FRAME];

	memset(buf, tag, sizeof(buf));
	memset(buf, 0, f->hdr);
	assert_int_equal(write(f->tap[1], buf, sizeof(buf)), FRAME);
}

/* get - the next frame back, waiting up to ms.
 * Return: its tag, or -1 when none came. */
static int get(struct fix *f, int ms)
{
	struct pollfd p = { .fd = f->tap[1], .events = POLLIN };
	unsigned char buf[FRAME];

	if (poll(&p, 1, ms) != 1 || read(f->tap[1], buf, sizeof(buf)) != FRAME)
		return -1;
	return buf[f->hdr];
}

/* wait_counts - the port's counters once the one at off (in struct
 * vds_port_counts) reaches want, or after UNIT_WAIT_MS: the pump counts
 * a frame written after the write, so the reader may see it first.
 * Return: the counters last read. */
static struct vds_port_counts wait_counts(struct fix *f, size_t off,
					  unsigned long want)
{
	struct vds_port_counts c;
	int64_t end = now_ms() + UNIT_WAIT_MS;
	unsigned long v;

	do {
		vds_port_counts(f->port, &c);
		memcpy(&v, (char *)&c + off, sizeof(v));
		if (v >= want)
			break;
		usleep(1000);
	} while (now_ms() < end);
	return c;
}
#define WAIT_COUNT(f, field, want)                                        \
	wait_counts((f), offsetof(struct vds_port_counts, field), (want))

#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define LINKTYPE_ETHERNET 1u

/* read_capture - the records of the pcap file rd (read from its start):
 * their lengths into lens and first bytes into tags, up to max.
 * Return: the number of records, or -1 for a file that is not a whole
 * classic pcap of Ethernet frames. */
static int read_capture(int rd, size_t *lens, int *tags, int max)
{
	static unsigned char buf[64 * 1024];
	ssize_t len = pread(rd, buf, sizeof(buf), 0);
	uint32_t w[6];
	size_t at = PCAP_FILE_HDR;
	int n = 0;

	if (len < PCAP_FILE_HDR)
		return -1;
	memcpy(w, buf, sizeof(w));
	if (w[0] != PCAP_MAGIC_US || w[5] != LINKTYPE_ETHERNET)
		return -1;
	while (at < (size_t)len) {
		uint32_t r[4];

		if ((size_t)len - at < PCAP_REC_HDR || n == max)
			return -1;
		memcpy(r, buf + at, sizeof(r));
		at += PCAP_REC_HDR;
		if (r[2] != r[3] || r[2] == 0 || (size_t)len - at < r[2])
			return -1;
		lens[n] = r[2];
		tags[n++] = buf[at];
		at += r[2];
	}
	return n;
}

/* capture_to - a capture of the port into a file already unlinked.
 * Return: a descriptor to read the file by. */
static int capture_to(struct fix *f)
{
	char path[] = "/tmp/test_portlink.XXXXXX";
	int fd = mkstemp(path), rd;

	assert_true(fd >= 0);
	rd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	assert_true(rd >= 0);
	assert_int_equal(vds_port_pcap(f->port, fd), 0);
	return rd;
}

/* test_portlink_delay_holds_frames_both_ways - delay=50ms: the echo
 * comes back after twice the delay (out, then in), by the loop's timer;
 * clear takes the fast path again. */
static void test_portlink_delay_holds_frames_both_ways(void **state)
{
	struct fix *f = *state;
	int64_t t0;

	assert_false(vds_port_link_busy(f->port));
	assert_int_equal(set_link(f, "delay=50ms"), 0);
	assert_true(vds_port_link_busy(f->port));
	t0 = now_ms();
	put(f, 7);
	assert_int_equal(get(f, UNIT_WAIT_MS), 7);
	assert_true(now_ms() - t0 >= 100 - 1);
	assert_int_equal(set_link(f, "clear"), 0);
	assert_false(vds_port_link_busy(f->port));
	put(f, 8);
	assert_int_equal(get(f, UNIT_WAIT_MS), 8);
}

/* test_portlink_frames_from_another_thread_are_released - dir=in,
 * delay=30ms, frames delivered by this thread (as a mem:// segment's
 * sender's loop does): the loop is woken to release them. */
static void test_portlink_frames_from_another_thread_are_released(
	void **state)
{
	struct fix *f = *state;
	unsigned char buf[FRAME];
	struct vds_frame fr = { buf, sizeof(buf) };
	int64_t t0;

	assert_int_equal(set_link(f, "dir=in,delay=30ms"), 0);
	for (int round = 0; round < 3; round++) {
		memset(buf, 40 + round, sizeof(buf));
		t0 = now_ms();
		vds_port_deliver(f->port, &fr, 1);
		assert_int_equal(get(f, UNIT_WAIT_MS), 40 + round);
		assert_true(now_ms() - t0 >= 30 - 1);
	}
}

/* test_portlink_down_drops_and_counts_and_up_passes - a cut both ways:
 * nothing reaches the backend, counted; up: frames pass again. */
static void test_portlink_down_drops_and_counts_and_up_passes(void **state)
{
	struct fix *f = *state;
	struct vds_port_counts c;
	unsigned before = __atomic_load_n(&sent, __ATOMIC_RELAXED);

	assert_int_equal(set_link(f, "down"), 0);
	for (int i = 0; i < 5; i++)
		put(f, (unsigned char)i);
	c = WAIT_COUNT(f, link_out_drops, 5);
	assert_int_equal(c.link_out_drops, 5);
	assert_int_equal(c.rx_frames, 5);
	assert_int_equal(c.rx_bytes, 5 * FRAME);
	assert_int_equal(__atomic_load_n(&sent, __ATOMIC_RELAXED), before);
	assert_int_equal(set_link(f, "up"), 0);
	assert_false(vds_port_link_busy(f->port));
	put(f, 9);
	assert_int_equal(get(f, UNIT_WAIT_MS), 9);
	c = WAIT_COUNT(f, tx_frames, 1);
	assert_int_equal(c.tx_frames, 1);
	assert_int_equal(c.tx_bytes, FRAME);
}

/* test_portlink_captures_both_ways - a capture of an echo holds the frame
 * twice (out, then in); stopping writes it out; a port keeps its fast
 * path once the capture is gone, and captures nothing more. */
static void test_portlink_captures_both_ways(void **state)
{
	struct fix *f = *state;
	size_t lens[4];
	int tags[4], rd = capture_to(f);

	assert_true(vds_port_link_busy(f->port));
	put(f, 3);
	assert_int_equal(get(f, UNIT_WAIT_MS), 3);
	assert_int_equal(vds_port_pcap(f->port, -1), 0);
	assert_false(vds_port_link_busy(f->port));
	put(f, 4);
	assert_int_equal(get(f, UNIT_WAIT_MS), 4);
	assert_int_equal(read_capture(rd, lens, tags, 4), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(lens[i], FRAME);
		assert_int_equal(tags[i], 3);
	}
	assert_int_equal(vds_port_pcap(f->port, -1), 0); /* none: nothing */
	close(rd);
}

/* test_portlink_capture_is_the_stacks_side_of_the_conditions - a frame
 * lost on its way in is not in the capture (taken after the in
 * conditions); one lost on its way out is (taken before the out ones),
 * and never reaches the backend. */
static void test_portlink_capture_is_the_stacks_side_of_the_conditions(
	void **state)
{
	struct fix *f = *state;
	struct vds_port_counts c;
	size_t lens[4];
	int tags[4], rd = capture_to(f);
	unsigned before = __atomic_load_n(&sent, __ATOMIC_RELAXED);

	assert_int_equal(set_link(f, "dir=in,loss=100"), 0);
	put(f, 1);
	c = WAIT_COUNT(f, link_in_drops, 1);
	assert_int_equal(c.link_in_drops, 1);
	assert_int_equal(get(f, 0), -1);
	assert_int_equal(__atomic_load_n(&sent, __ATOMIC_RELAXED), before + 1);
	assert_int_equal(set_link(f, "clear"), 0);
	assert_int_equal(set_link(f, "dir=out,loss=100"), 0);
	put(f, 2);
	c = WAIT_COUNT(f, link_out_drops, 1);
	assert_int_equal(c.link_out_drops, 1);
	assert_int_equal(c.link_in_drops, 1);
	assert_int_equal(__atomic_load_n(&sent, __ATOMIC_RELAXED), before + 1);
	assert_int_equal(vds_port_pcap(f->port, -1), 0);
	assert_int_equal(read_capture(rd, lens, tags, 4), 2);
	assert_int_equal(tags[0], 1); /* out, then its echo lost */
	assert_int_equal(tags[1], 2); /* out, lost after the capture */
	close(rd);
}

/* test_portlink_dup_copies_and_loss_drops_are_counted - dup=100 out: the
 * backend gets each frame twice, both come back, one copy counted; then
 * loss=100 in: the backend gets it, the interface does not. */
static void test_portlink_dup_copies_and_loss_drops_are_counted(
	void **state)
{
	struct fix *f = *state;
	struct vds_port_counts c;
	unsigned before = __atomic_load_n(&sent, __ATOMIC_RELAXED);

	assert_int_equal(set_link(f, "dir=out,dup=100"), 0);
	put(f, 11);
	assert_int_equal(get(f, UNIT_WAIT_MS), 11);
	assert_int_equal(get(f, UNIT_WAIT_MS), 11);
	c = WAIT_COUNT(f, tx_frames, 2);
	assert_int_equal(c.tx_frames, 2);
	assert_int_equal(c.rx_frames, 1);
	assert_int_equal(c.link_out_dups, 1);
	assert_int_equal(c.link_in_dups, 0);
	assert_int_equal(__atomic_load_n(&sent, __ATOMIC_RELAXED), before + 2);
	assert_int_equal(set_link(f, "dir=out,clear"), 0);
	assert_int_equal(set_link(f, "dir=in,loss=100"), 0);
	put(f, 12);
	c = WAIT_COUNT(f, link_in_drops, 1);
	assert_int_equal(c.link_in_drops, 1);
	assert_int_equal(c.link_out_drops, 0);
	assert_int_equal(get(f, 0), -1);
	assert_int_equal(c.tx_frames, 2);
	assert_int_equal(__atomic_load_n(&sent, __ATOMIC_RELAXED), before + 3);
}

/* test_portlink_vnet_header_is_left_out_of_captures_and_counts - on a
 * backend whose frames carry a virtio-net header, the capture holds the
 * Ethernet frames alone, and the bytes counted are theirs. */
static void test_portlink_vnet_header_is_left_out_of_captures_and_counts(
	void **state)
{
	struct fix *f = *state;
	struct vds_port_counts c;
	size_t lens[4];
	int tags[4], rd = capture_to(f);

	put(f, 6);
	assert_int_equal(get(f, UNIT_WAIT_MS), 6);
	assert_int_equal(vds_port_pcap(f->port, -1), 0);
	assert_int_equal(read_capture(rd, lens, tags, 4), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(lens[i], FRAME - VDS_VNET_HDR_LEN);
		assert_int_equal(tags[i], 6);
	}
	c = WAIT_COUNT(f, tx_frames, 1);
	assert_int_equal(c.rx_bytes, FRAME - VDS_VNET_HDR_LEN);
	assert_int_equal(c.tx_bytes, FRAME - VDS_VNET_HDR_LEN);
	close(rd);
}

/* test_portlink_conditions_survive_a_stop_and_a_start - a port stopped
 * (its descriptor closed, its backend kept) and started on another one
 * keeps its conditions, its timer on the new loop. */
static void test_portlink_conditions_survive_a_stop_and_a_start(void **state)
{
	struct fix *f = *state;
	int64_t t0;

	assert_int_equal(set_link(f, "dir=out,delay=40ms"), 0);
	vds_port_stop(f->port);
	close(f->tap[1]);
	vds_port_stop(f->port); /* stopped already: nothing */
	start(f);
	t0 = now_ms();
	put(f, 5);
	assert_int_equal(get(f, UNIT_WAIT_MS), 5);
	assert_true(now_ms() - t0 >= 40 - 1);
}

/* test_portlink_refuses_a_port_not_running - -ENOTCONN, and a capture's
 * descriptor is closed. */
static void test_portlink_refuses_a_port_not_running(void **state)
{
	struct fix *f = *state;
	struct vds_linkspec ls;
	int fds, fd;

	vds_port_stop(f->port);
	fds = unit_count_fds(); /* the tap's end and the loop gone */
	assert_int_equal(vds_linkspec_parse("loss=1", &ls), 0);
	assert_int_equal(vds_port_link(f->port, &ls), -ENOTCONN);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(vds_port_pcap(f->port, fd), -ENOTCONN);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(unit_count_fds(), fds);
	assert_false(vds_port_link_busy(f->port));
	close(f->tap[1]);
	start(f);
	put(f, 2); /* running again, on the fast path */
	assert_int_equal(get(f, UNIT_WAIT_MS), 2);
}

/* test_portlink_fails_cleanly_at_every_allocation - vds_port_link with
 * each of its allocations failing in turn: -ENOMEM and the link as it
 * was (frames pass at once), or success; never a leak. */
static void test_portlink_fails_cleanly_at_every_allocation(void **state)
{
	struct fix *f = *state;
	struct vds_linkspec ls;
	bool done = false;
	unsigned long failed = 0;

	assert_int_equal(vds_linkspec_parse("delay=10ms,corrupt=1", &ls), 0);
	for (unsigned long n = 1; !done && n < 20; n++) {
		int err;

		vds_alloc_fail_at(n);
		err = vds_port_link(f->port, &ls);
		vds_alloc_fail_at(0);
		if (err == 0) {
			done = true;
			break;
		}
		assert_int_equal(err, -ENOMEM);
		failed++;
		assert_false(vds_port_link_busy(f->port));
		put(f, (unsigned char)n);
		assert_int_equal(get(f, UNIT_WAIT_MS), (int)n);
	}
	assert_true(done);
	assert_true(failed > 0); /* the link, its queues: allocations */
	assert_true(vds_port_link_busy(f->port));
	assert_int_equal(set_link(f, "clear"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_portlink_delay_holds_frames_both_ways,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_frames_from_another_thread_are_released,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_down_drops_and_counts_and_up_passes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_captures_both_ways,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_capture_is_the_stacks_side_of_the_conditions,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_dup_copies_and_loss_drops_are_counted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_vnet_header_is_left_out_of_captures_and_counts,
						setup_vnet, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_conditions_survive_a_stop_and_a_start,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_refuses_a_port_not_running,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_portlink_fails_cleanly_at_every_allocation,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
