/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_proto.c - unit tests of the helper's control protocol (proto.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/internal.h"
#include "base/proto.h"
#include "unit.h"

/* ------------------------------------------------------------------ */
/* pack / unpack                                                        */
/* ------------------------------------------------------------------ */

/* test_proto_pack_unpack_round_trip - header fields and payload survive. */
static void test_proto_pack_unpack_round_trip(void **state)
{
	struct vds_req req = {
		.op = VDS_OP_NEWSTACK, .id = 7,
		.arg = { -1, 2, 0x7fffffff }, .len = 5,
	};
	struct vds_req out;
	const void *payload = NULL;
	char buf[64];
	ssize_t n = vds_proto_pack(buf, sizeof(buf), &req, "vde0");

	assert_int_equal(n, sizeof(req) + 5);
	assert_int_equal(vds_proto_unpack(buf, (size_t)n, &out, &payload), 0);
	assert_int_equal(out.op, VDS_OP_NEWSTACK);
	assert_int_equal(out.id, 7);
	assert_int_equal(out.arg[0], -1);
	assert_int_equal(out.arg[1], 2);
	assert_int_equal(out.arg[2], 0x7fffffff);
	assert_int_equal(out.len, 5);
	assert_ptr_equal(payload, buf + sizeof(req));
	assert_string_equal(payload, "vde0");
}

/* test_proto_pack_without_payload - len 0 needs no payload pointer. */
static void test_proto_pack_without_payload(void **state)
{
	struct vds_req req = { .op = VDS_OP_DELSTACK, .id = 3 }, out;
	const void *payload;
	char buf[sizeof(req)];
	ssize_t n = vds_proto_pack(buf, sizeof(buf), &req, NULL);

	assert_int_equal(n, sizeof(req));
	assert_int_equal(vds_proto_unpack(buf, sizeof(req), &out, &payload), 0);
	assert_int_equal(out.op, VDS_OP_DELSTACK);
	assert_int_equal(out.len, 0);
}

/* test_proto_pack_refuses_what_does_not_fit_with_e2big - buffer too small,
 * payload beyond VDS_MSG_MAX; the largest message fits. */
static void test_proto_pack_refuses_what_does_not_fit_with_e2big(void **state)
{
	struct vds_req req = { .op = VDS_OP_CMD, .len = 10 };
	size_t max = VDS_MSG_MAX - sizeof(req);
	char *big = calloc(1, VDS_MSG_MAX + 16);
	char *payload = calloc(1, VDS_MSG_MAX + 16);
	char small[sizeof(req) + 9];

	assert_non_null(big);
	assert_non_null(payload);
	assert_int_equal(vds_proto_pack(small, sizeof(small), &req, payload),
			 -E2BIG);
	req.len = (uint32_t)max;
	assert_int_equal(vds_proto_pack(big, VDS_MSG_MAX, &req, payload),
			 VDS_MSG_MAX);
	req.len = (uint32_t)max + 1;
	assert_int_equal(vds_proto_pack(big, VDS_MSG_MAX + 16, &req, payload),
			 -E2BIG);
	req.len = UINT32_MAX;
	assert_int_equal(vds_proto_pack(big, VDS_MSG_MAX + 16, &req, payload),
			 -E2BIG);
	free(payload);
	free(big);
}

/* test_proto_unpack_refuses_bad_lengths_with_ebadmsg - shorter than a
 * header, payload length not matching the message. */
static void test_proto_unpack_refuses_bad_lengths_with_ebadmsg(void **state)
{
	struct vds_req req = { .op = VDS_OP_CMD, .len = 4 }, out;
	const void *payload;
	char buf[64];
	ssize_t n = vds_proto_pack(buf, sizeof(buf), &req, "abcd");
	static const size_t lens[] = { 0, 1, sizeof(req) - 1, sizeof(req),
				       sizeof(req) + 3, sizeof(req) + 5 };

	assert_int_equal(n, sizeof(req) + 4);
	for (size_t i = 0; i < VDS_ARRAY_SIZE(lens); i++)
		if (vds_proto_unpack(buf, lens[i], &out, &payload) != -EBADMSG)
			fail_msg("length %zu accepted", lens[i]);
	req.len = UINT32_MAX; /* a length that wraps around */
	memcpy(buf, &req, sizeof(req));
	assert_int_equal(vds_proto_unpack(buf, sizeof(req) + 4, &out, &payload),
			 -EBADMSG);
}

/* ------------------------------------------------------------------ */
/* send / recv                                                          */
/* ------------------------------------------------------------------ */

/* seqpacket - a SOCK_SEQPACKET pair. */
static void seqpacket(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
}

/* same_file - whether two descriptors name the same open file's inode. */
static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* test_proto_send_recv_passes_message_and_descriptors - data and up to
 * four descriptors arrive, close-on-exec. */
static void test_proto_send_recv_passes_message_and_descriptors(void **state)
{
	int sv[2], p[2], q[2], got[4] = { -1, -1, -1, -1 };
	int fds[4];
	char buf[32];
	unsigned n = 99;

	seqpacket(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	fds[0] = p[0];
	fds[1] = p[1];
	fds[2] = q[0];
	fds[3] = q[1];
	assert_int_equal(vds_proto_send(sv[0], "hello", 5, fds, 4), 0);
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), got, 4, &n), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++) {
		assert_true(same_file(got[i], fds[i]));
		assert_true(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		close(got[i]);
	}
	/* without descriptors */
	assert_int_equal(vds_proto_send(sv[1], "x", 1, NULL, 0), 0);
	assert_int_equal(vds_proto_recv(sv[0], buf, sizeof(buf), got, 4, &n), 1);
	assert_int_equal(n, 0);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}

/* test_proto_send_refuses_more_than_four_descriptors - EINVAL, nothing
 * sent. */
static void test_proto_send_refuses_more_than_four_descriptors(void **state)
{
	int sv[2], fds[5] = { 0, 0, 0, 0, 0 };
	char buf[8];
	unsigned n;

	seqpacket(sv);
	assert_int_equal(vds_proto_send(sv[0], "x", 1, fds, 5), -EINVAL);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), NULL, 0, &n),
			 -EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

/* test_proto_recv_closes_descriptors_beyond_max - with room for fewer
 * descriptors than sent, the extra ones are closed, not leaked. */
static void test_proto_recv_closes_descriptors_beyond_max(void **state)
{
	int sv[2], p[2], fds[4], got[1] = { -1 };
	char buf[8];
	unsigned n = 99;
	int before;

	seqpacket(sv);
	assert_int_equal(pipe(p), 0);
	fds[0] = p[0];
	fds[1] = p[1];
	fds[2] = p[0];
	fds[3] = p[1];
	assert_int_equal(vds_proto_send(sv[0], "abc", 3, fds, 4), 0);
	assert_int_equal(vds_proto_send(sv[0], "def", 3, fds, 4), 0);
	before = unit_count_fds();
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), got, 1, &n), 3);
	assert_int_equal(n, 1);
	assert_true(same_file(got[0], p[0]));
	assert_int_equal(unit_count_fds(), before + 1);
	close(got[0]);
	/* no room at all */
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), NULL, 0, &n), 3);
	assert_int_equal(n, 0);
	assert_int_equal(unit_count_fds(), before);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* test_proto_recv_truncated_message_is_emsgsize_and_leaks_no_fd - a
 * message longer than the buffer: -EMSGSIZE, no descriptor kept. */
static void test_proto_recv_truncated_message_is_emsgsize_and_leaks_no_fd(void **state)
{
	int sv[2], p[2], got[4] = { -1, -1, -1, -1 };
	char msg[100] = { 0 }, buf[10];
	unsigned n = 99;
	int before;

	seqpacket(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(vds_proto_send(sv[0], msg, sizeof(msg), p, 2), 0);
	before = unit_count_fds();
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), got, 4, &n),
			 -EMSGSIZE);
	assert_int_equal(n, 0);
	assert_int_equal(unit_count_fds(), before);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* test_proto_recv_control_truncated_message_is_emsgsize_and_leaks_no_fd -
 * more descriptors than the control buffer holds (sent by hand, as a
 * misbehaving peer would): -EMSGSIZE, none kept. */
static void test_proto_recv_control_truncated_message_is_emsgsize_and_leaks_no_fd(void **state)
{
	enum { NFDS = 8 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * NFDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = "abc", .iov_len = 3 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cm;
	int sv[2], p[2], fds[NFDS], got[4];
	char buf[8];
	unsigned n = 99;
	int before;

	seqpacket(sv);
	assert_int_equal(pipe(p), 0);
	for (int i = 0; i < NFDS; i++)
		fds[i] = p[i & 1];
	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 3);
	before = unit_count_fds();
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), got, 4, &n),
			 -EMSGSIZE);
	assert_int_equal(n, 0);
	assert_int_equal(unit_count_fds(), before);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* test_proto_recv_returns_zero_when_the_peer_is_gone - end of file. */
static void test_proto_recv_returns_zero_when_the_peer_is_gone(void **state)
{
	int sv[2], got[1];
	char buf[8];
	unsigned n = 99;

	seqpacket(sv);
	close(sv[0]);
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), got, 1, &n), 0);
	assert_int_equal(n, 0);
	close(sv[1]);
}

/* test_proto_recv_gets_queued_messages_before_the_end - messages sent
 * before the peer closed are still read, one at a time, then 0. */
static void test_proto_recv_gets_queued_messages_before_the_end(void **state)
{
	int sv[2];
	char buf[8];
	unsigned n;

	seqpacket(sv);
	assert_int_equal(vds_proto_send(sv[0], "one", 3, NULL, 0), 0);
	assert_int_equal(vds_proto_send(sv[0], "two!", 4, NULL, 0), 0);
	close(sv[0]);
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), NULL, 0, &n), 3);
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), NULL, 0, &n), 4);
	assert_memory_equal(buf, "two!", 4);
	assert_int_equal(vds_proto_recv(sv[1], buf, sizeof(buf), NULL, 0, &n), 0);
	close(sv[1]);
}

/* test_proto_send_to_a_closed_peer_is_epipe_without_sigpipe - the
 * application must not be killed by SIGPIPE. */
static void test_proto_send_to_a_closed_peer_is_epipe_without_sigpipe(void **state)
{
	int sv[2];

	seqpacket(sv);
	close(sv[1]);
	assert_int_equal(vds_proto_send(sv[0], "x", 1, NULL, 0), -EPIPE);
	close(sv[0]);
}

/* test_proto_recv_on_a_bad_descriptor_is_ebadf - errors come back as
 * -errno. */
static void test_proto_recv_on_a_bad_descriptor_is_ebadf(void **state)
{
	char buf[8];
	unsigned n = 99;

	assert_int_equal(vds_proto_recv(-1, buf, sizeof(buf), NULL, 0, &n),
			 -EBADF);
	assert_int_equal(n, 0);
	assert_int_equal(vds_proto_send(-1, "x", 1, NULL, 0), -EBADF);
}

/* test_proto_recv_flags_without_cloexec_gives_inheritable_descriptors -
 * and MSG_DONTWAIT on an empty socket is EAGAIN. */
static void test_proto_recv_flags_without_cloexec_gives_inheritable_descriptors(void **state)
{
	int sv[2], p[2], got[1] = { -1 };
	char buf[8];
	unsigned n = 99;

	seqpacket(sv);
	assert_int_equal(vds_proto_recv_flags(sv[1], buf, sizeof(buf), got, 1,
					      MSG_DONTWAIT, &n), -EAGAIN);
	assert_int_equal(n, 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(vds_proto_send(sv[0], "y", 1, p, 1), 0);
	assert_int_equal(vds_proto_recv_flags(sv[1], buf, sizeof(buf), got, 1,
					      MSG_DONTWAIT, &n), 1);
	assert_int_equal(n, 1);
	assert_true(same_file(got[0], p[0]));
	assert_false(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
	close(got[0]);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* test_proto_only_requests_the_helper_answers_go_on_cached_channels -
 * NEWSTACK, DELSTACK, SOCKET (with or without VDS_OP_KEEP), never CMD or
 * SPAWN, whose runners answer. */
static void test_proto_only_requests_the_helper_answers_go_on_cached_channels(void **state)
{
	assert_true(vds_proto_op_cached(VDS_OP_NEWSTACK));
	assert_true(vds_proto_op_cached(VDS_OP_DELSTACK));
	assert_true(vds_proto_op_cached(VDS_OP_SOCKET | VDS_OP_KEEP));
	assert_false(vds_proto_op_cached(VDS_OP_CMD));
	assert_false(vds_proto_op_cached(VDS_OP_SPAWN | VDS_OP_KEEP));
	assert_false(vds_proto_op_cached(VDS_OP_HELLO));
	assert_false(vds_proto_op_cached(0x7f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_recv_flags_without_cloexec_gives_inheritable_descriptors),
		cmocka_unit_test(test_proto_only_requests_the_helper_answers_go_on_cached_channels),
		cmocka_unit_test(test_proto_pack_unpack_round_trip),
		cmocka_unit_test(test_proto_pack_without_payload),
		cmocka_unit_test(test_proto_pack_refuses_what_does_not_fit_with_e2big),
		cmocka_unit_test(test_proto_unpack_refuses_bad_lengths_with_ebadmsg),
		cmocka_unit_test(test_proto_send_recv_passes_message_and_descriptors),
		cmocka_unit_test(test_proto_send_refuses_more_than_four_descriptors),
		cmocka_unit_test(test_proto_recv_closes_descriptors_beyond_max),
		cmocka_unit_test(test_proto_recv_truncated_message_is_emsgsize_and_leaks_no_fd),
		cmocka_unit_test(test_proto_recv_control_truncated_message_is_emsgsize_and_leaks_no_fd),
		cmocka_unit_test(test_proto_recv_returns_zero_when_the_peer_is_gone),
		cmocka_unit_test(test_proto_recv_gets_queued_messages_before_the_end),
		cmocka_unit_test(test_proto_send_to_a_closed_peer_is_epipe_without_sigpipe),
		cmocka_unit_test(test_proto_recv_on_a_bad_descriptor_is_ebadf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
