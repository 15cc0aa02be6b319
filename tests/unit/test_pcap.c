/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_pcap.c - unit tests of the capture writer (pcap.c): the file's
 * header and records as the classic pcap format has them, virtio-net
 * headers left out, buffering, write errors reported at the stop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "core/backend.h"
#include "core/pcap.h"
#include "unit.h"

#define FILE_HDR 24
#define REC_HDR 16

/* tmp_file - an empty file of the test's own, unlinked.
 * Return: its descriptor, and a second one on it in *ret_reader. */
static int tmp_file(int *ret_reader)
{
	char path[] = "/tmp/test_pcap.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	*ret_reader = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(*ret_reader >= 0);
	unlink(path);
	return fd;
}

/* get32 - a host-order 32-bit field at p.  Return: it. */
static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* test_pcap_writes_the_classic_format - header (magic, version 2.4,
 * LINKTYPE_ETHERNET), then a record per frame, virtio-net header
 * skipped, written when stopped. */
static void test_pcap_writes_the_classic_format(void **state)
{
	static unsigned char file[4096];
	unsigned char a[VDS_VNET_HDR_LEN + 60], b[VDS_VNET_HDR_LEN + 100];
	struct vds_frame f[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct vds_pcap p;
	int rd, fd = tmp_file(&rd);
	ssize_t n;

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	memset(a, 0, VDS_VNET_HDR_LEN);
	vds_pcap_init(&p);
	assert_false(vds_pcap_on(&p));
	assert_int_equal(vds_pcap_start(&p, fd, VDS_VNET_HDR_LEN), 0);
	assert_true(vds_pcap_on(&p));
	vds_pcap_frames(&p, f, 2);
	/* the header is written at once, the frames are buffered */
	n = pread(rd, file, sizeof(file), 0);
	assert_int_equal(n, FILE_HDR);
	assert_int_equal(vds_pcap_stop(&p), 0);
	assert_false(vds_pcap_on(&p));
	n = pread(rd, file, sizeof(file), 0);
	assert_int_equal(n, FILE_HDR + 2 * REC_HDR + 60 + 100);
	assert_int_equal(get32(file), 0xa1b2c3d4);
	assert_int_equal(file[4] | file[5] << 8, 2);
	assert_int_equal(file[6] | file[7] << 8, 4);
	assert_int_equal(get32(file + 16), VDS_PCAP_SNAPLEN);
	assert_int_equal(get32(file + 20), 1);
	assert_int_equal(get32(file + FILE_HDR + 8), 60);  /* caplen */
	assert_int_equal(get32(file + FILE_HDR + 12), 60); /* len */
	assert_true(get32(file + FILE_HDR + 4) < 1000000); /* usec */
	assert_int_equal(file[FILE_HDR + REC_HDR], 0xaa);
	assert_int_equal(get32(file + FILE_HDR + REC_HDR + 60 + 8), 100);
	assert_int_equal(file[FILE_HDR + 2 * REC_HDR + 60], 0xbb);
	/* frames after the stop go nowhere */
	vds_pcap_frames(&p, f, 2);
	vds_pcap_fini(&p);
	close(rd);
}

/* test_pcap_flushes_a_full_buffer - more than VDS_PCAP_BUF of frames
 * reaches the file before any flush is asked. */
static void test_pcap_flushes_a_full_buffer(void **state)
{
	static unsigned char big[9000];
	struct vds_frame f = { big, sizeof(big) };
	unsigned frames = 2 * VDS_PCAP_BUF / sizeof(big);
	struct vds_pcap p;
	struct stat st;
	int rd, fd = tmp_file(&rd);

	vds_pcap_init(&p);
	assert_int_equal(vds_pcap_start(&p, fd, 0), 0);
	for (unsigned i = 0; i < frames; i++)
		vds_pcap_frames(&p, &f, 1);
	assert_int_equal(fstat(rd, &st), 0);
	assert_true(st.st_size > (off_t)VDS_PCAP_BUF / 2);
	vds_pcap_flush(&p);
	assert_int_equal(fstat(rd, &st), 0);
	assert_int_equal(st.st_size, FILE_HDR + frames * (REC_HDR + sizeof(big)));
	vds_pcap_fini(&p);
	close(rd);
}

/* test_pcap_reports_a_failed_write_at_the_stop - a file that cannot take
 * the frames (here a pipe closed at its other end) fails the start when
 * the header cannot be written, else the stop, with the errno. */
static void test_pcap_reports_a_failed_write_at_the_stop(void **state)
{
	unsigned char a[60] = { 0 };
	struct vds_frame f = { a, sizeof(a) };
	struct vds_pcap p;
	int fds[2];

	vds_pcap_init(&p);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(vds_pcap_start(&p, fds[1], 0), -EPIPE);
	assert_false(vds_pcap_on(&p));
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(vds_pcap_start(&p, fds[1], 0), 0);
	close(fds[0]);
	vds_pcap_frames(&p, &f, 1);
	assert_int_equal(vds_pcap_stop(&p), -EPIPE);
	assert_int_equal(vds_pcap_stop(&p), 0);
	vds_pcap_fini(&p);
}

/* test_pcap_start_fails_cleanly_without_memory - -ENOMEM, the file
 * closed, nothing left allocated. */
static void test_pcap_start_fails_cleanly_without_memory(void **state)
{
	struct vds_pcap p;
	long live = vds_alloc_live();
	int rd, fd = tmp_file(&rd), before = unit_count_fds();

	vds_pcap_init(&p);
	vds_alloc_fail_at(1);
	assert_int_equal(vds_pcap_start(&p, fd, 0), -ENOMEM);
	vds_alloc_fail_at(0);
	assert_int_equal(unit_count_fds(), before - 1);
	assert_int_equal(vds_alloc_live(), live);
	assert_false(vds_pcap_on(&p));
	vds_pcap_fini(&p);
	close(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_writes_the_classic_format),
		cmocka_unit_test(test_pcap_flushes_a_full_buffer),
		cmocka_unit_test(test_pcap_reports_a_failed_write_at_the_stop),
		cmocka_unit_test(test_pcap_start_fails_cleanly_without_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
