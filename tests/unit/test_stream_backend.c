/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_stream_backend.c - the "=command" backend (stream.c) through a
 * port whose interface is a SOCK_SEQPACKET pair standing in for the tap:
 * frames cross a real command (cat, printf, sh) in the VDE stream
 * encoding; the command ends with the port and nothing is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "base/internal.h"
#include "core/pump.h"
#include "unit.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

struct fix {
	int fds_before, kids_before, threads_before;
	int tap[2]; /* [0] the port's, [1] the test's */
	struct vds_port *port;
};

/* setup - baseline counts and a fake tap.  Return: 0. */
static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->fds_before = unit_count_fds();
	f->kids_before = unit_count_children(NULL);
	f->threads_before = unit_count_threads();
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
				    SOCK_NONBLOCK, 0, f->tap), 0);
	*state = f;
	return 0;
}

/* teardown - close the port: the command is gone, nothing left.
 * Return: 0. */
static int teardown(void **state)
{
	struct fix *f = *state;

	vds_port_close(f->port);
	if (f->tap[0] >= 0)
		close(f->tap[0]);
	close(f->tap[1]);
	assert_int_equal(unit_count_children(NULL), f->kids_before);
	assert_int_equal(unit_count_fds(), f->fds_before);
	assert_int_equal(unit_wait_threads(f->threads_before), f->threads_before);
	free(f);
	return 0;
}

/* start - open url and pump it to the fake tap.  Return: open's result. */
static int start(struct fix *f, const char *url)
{
	int err = vds_port_open(url, &f->port);

	if (err < 0) {
		f->port = NULL;
		return err;
	}
	assert_int_equal(vds_port_start(f->port, f->tap[0]), 0);
	f->tap[0] = -1;
	return 0;
}

/* read_frame - the next frame on the test's end, bounded wait.
 * Return: its length, 0 at end of file, -1 when none came. */
static ssize_t read_frame(int fd, unsigned char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, UNIT_WAIT_MS) != 1)
		return -1;
	return read(fd, buf, size);
}

/* write_frame - a frame of len bytes, byte i = tag + i. */
static void write_frame(int fd, size_t len, unsigned char tag)
{
	unsigned char *buf = malloc(len);

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(tag + i);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	free(buf);
}

/* test_stream_frames_cross_the_command_and_come_back - through cat, each
 * frame whole and in order. */
static void test_stream_frames_cross_the_command_and_come_back(void **state)
{
	struct fix *f = *state;
	static unsigned char buf[70000];

	assert_int_equal(start(f, "=/bin/cat"), 0);
	for (unsigned i = 0; i < 30; i++)
		write_frame(f->tap[1], 14 + i * 300, (unsigned char)i);
	write_frame(f->tap[1], 65535, 99);
	for (unsigned i = 0; i < 30; i++) {
		assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)),
				 14 + i * 300);
		for (size_t k = 0; k < 14 + i * 300; k++)
			if (buf[k] != (unsigned char)(i + k))
				fail_msg("frame %u byte %zu", i, k);
	}
	assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)), 65535);
	assert_int_equal(buf[65534], (unsigned char)(99 + 65534));
}

/* test_stream_frame_too_long_for_the_encoding_is_dropped_not_cut - the
 * stream keeps its framing: the next frame still arrives whole. */
static void test_stream_frame_too_long_for_the_encoding_is_dropped_not_cut(void **state)
{
	struct fix *f = *state;
	static unsigned char buf[70000];
	struct vds_port_counts c;
	int big = 1 << 20;

	setsockopt(f->tap[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	assert_int_equal(start(f, "=/bin/cat"), 0);
	write_frame(f->tap[1], 65536, 1);
	write_frame(f->tap[1], 100, 2);
	assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)), 100);
	assert_int_equal(buf[0], 2);
	vds_port_counts(f->port, &c);
	assert_int_equal(c.rx_oversize, 1); /* over the backend's max_frame */
}

/* test_stream_many_small_frames_cross_in_order - more frames than one
 * delivery takes (the command's output is read in large pieces): all of
 * them come back, in order.  Both ends of the fake tap hold them all. */
static void test_stream_many_small_frames_cross_in_order(void **state)
{
	struct fix *f = *state;
	unsigned char buf[100];
	int big = 4 << 20;

	for (int i = 0; i < 2; i++)
		setsockopt(f->tap[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	for (unsigned i = 0; i < 300; i++)
		write_frame(f->tap[1], 14 + i % 40, (unsigned char)i);
	assert_int_equal(start(f, "=/bin/cat"), 0);
	for (unsigned i = 0; i < 300; i++) {
		assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)),
				 14 + i % 40);
		if (buf[0] != (unsigned char)i)
			fail_msg("frame %u came as frame %u", buf[0], i);
	}
}

/* test_stream_runts_from_the_command_are_skipped - a 1-byte frame then a
 * 14-byte one: only the second reaches the interface. */
static void test_stream_runts_from_the_command_are_skipped(void **state)
{
	struct fix *f = *state;
	unsigned char buf[100];

	assert_int_equal(start(f, "=/usr/bin/printf "
				  "\\\\000\\\\001X\\\\000\\\\016ABCDEFGHIJKLMN"),
			 0);
	assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)), 14);
	assert_memory_equal(buf, "ABCDEFGHIJKLMN", 14);
}

/* test_stream_command_searched_in_path - "=cat": a relative name is
 * looked up in PATH, as for "=ssh host ...". */
static void test_stream_command_searched_in_path(void **state)
{
	struct fix *f = *state;
	unsigned char buf[100];

	assert_int_equal(start(f, "=cat"), 0);
	write_frame(f->tap[1], 20, 5);
	assert_int_equal(read_frame(f->tap[1], buf, sizeof(buf)), 20);
}

/* test_stream_open_errors - a missing command is ENOENT, an empty or
 * malformed command line EINVAL; nothing is left (teardown). */
static void test_stream_open_errors(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *url;
		int err;
	} cases[] = {
		{ "=/nonexistent/command", -ENOENT },
		{ "=no-such-command-in-path-vds", -ENOENT },
		{ "=/etc/passwd", -EACCES },
		{ "=", -EINVAL },
		{ "=   ", -EINVAL },
		{ "=/bin/cat 'unterminated", -EINVAL },
		{ "=/bin/cat \\", -EINVAL },
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(cases); i++) {
		int err = start(f, cases[i].url);

		if (err != cases[i].err)
			fail_msg("%s: %d, want %d", cases[i].url, err,
				 cases[i].err);
		assert_int_equal(unit_count_children(NULL), f->kids_before);
		assert_int_equal(unit_count_fds(), f->fds_before + 2);
	}
}

/* A command that ignores SIGTERM, and says so with a 14-byte frame once
 * it does (closing before would race with its trap). */
#define IGNORES_TERM "=/bin/sh -c \"trap '' TERM; " \
	"printf '\\\\000\\\\016ABCDEFGHIJKLMN'; exec /bin/sleep 600\""

/* deny_pidfd_open - make pidfd_open(2) fail with ENOSYS in this process,
 * as on kernels before 5.3 or under a seccomp profile that lacks it.
 * Return: 0 or -1. */
static int deny_pidfd_open(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = VDS_ARRAY_SIZE(code), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* close_ignoring_term - in a child: a stream whose command ignores
 * SIGTERM is closed (where pidfd_open is not available if arg is not
 * NULL): the command is killed and reaped. */
static void close_ignoring_term(void *arg)
{
	struct vds_port *port = NULL;
	int kids = unit_count_children(NULL), fds = unit_count_fds(), tap[2];
	unsigned char buf[100];

	if (arg) {
		CHILD_CHECK(deny_pidfd_open() == 0);
		CHILD_CHECK(syscall(SYS_pidfd_open, getpid(), 0) < 0 &&
			    errno == ENOSYS);
	}
	CHILD_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
			       SOCK_NONBLOCK, 0, tap) == 0);
	CHILD_CHECK(vds_port_open(IGNORES_TERM, &port) == 0);
	CHILD_CHECK(vds_port_start(port, tap[0]) == 0);
	CHILD_CHECK(read_frame(tap[1], buf, sizeof(buf)) == 14);
	CHILD_CHECK(unit_count_children(NULL) == kids + 1);
	vds_port_close(port); /* must not wait for the command's end */
	CHILD_CHECK(unit_count_children(NULL) == kids);
	close(tap[1]);
	CHILD_CHECK(unit_count_fds() == fds);
}

/* test_stream_close_ends_a_command_that_ignores_sigterm - after the grace
 * period it is killed and reaped.  (Closing takes the one-second grace
 * period; ten seconds mean a hang.) */
static void test_stream_close_ends_a_command_that_ignores_sigterm(void **state)
{
	int status = unit_run_in_child_for(close_ignoring_term, NULL, 10000);

	if (status == UNIT_CHILD_HUNG)
		fail_msg("vds_port_close hung on a command that ignores SIGTERM");
	assert_int_equal(status, 0);
}

/* test_stream_close_ends_a_command_that_ignores_sigterm_without_pidfd -
 * the grace period must not depend on pidfd_open(2): without it, closing
 * must still kill the command rather than wait for it forever.  (Closing
 * takes the one-second grace period; ten seconds mean a hang.) */
static void test_stream_close_ends_a_command_that_ignores_sigterm_without_pidfd(void **state)
{
	int status = unit_run_in_child_for(close_ignoring_term, "no pidfd",
					   10000);

	if (status == UNIT_CHILD_HUNG)
		fail_msg("vds_port_close hung on a command that ignores SIGTERM");
	assert_int_equal(status, 0);
}

/* group_setup - a PATH of readable directories only: execvp(3) says
 * EACCES rather than ENOENT when the search crosses one it cannot read
 * (root's own, for another user).  Return: 0. */
static int group_setup(void **state)
{
	return setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_stream_frames_cross_the_command_and_come_back),
		T(test_stream_frame_too_long_for_the_encoding_is_dropped_not_cut),
		T(test_stream_many_small_frames_cross_in_order),
		T(test_stream_runts_from_the_command_are_skipped),
		T(test_stream_command_searched_in_path),
		T(test_stream_open_errors),
		cmocka_unit_test(test_stream_close_ends_a_command_that_ignores_sigterm),
		cmocka_unit_test(test_stream_close_ends_a_command_that_ignores_sigterm_without_pidfd),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
