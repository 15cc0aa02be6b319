/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_vdeplug_close.c - unit tests of how the vdeplug backend closes a
 * connection (backends/vdeplug.c, "Closing"): libvdeplug's vde_open_real,
 * vde_datafd, vde_ctlfd and vde_close are replaced with -Wl,--wrap by a
 * fake plugin whose data descriptor is an epoll set of the test's, and
 * whose vde_close either leaves it open (libvdeplug 4.0.1's vxvde://),
 * or closes it, after which another open takes the same number (as
 * another thread could).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libvdeplug.h>

#include "base/internal.h"
#include "core/backend.h"
#include "core/registry.h"
#include "unit.h"

/* What the fake plugin's vde_close() does. */
enum fake_close {
	FAKE_KEEPS_DATAFD,  /* leaves its data descriptor open */
	FAKE_CLOSES_DATAFD, /* closes it, then another open takes the number */
};

static struct {
	int datafd;            /* the fake connection's data descriptor */
	enum fake_close close; /* what vde_close() does */
	int reopened;          /* the descriptor opened in its place, or -1 */
	int closes;            /* vde_close() calls */
} fake;

/* A VDECONN the fake plugin hands out (never dereferenced). */
static char fake_conn;

VDECONN *__wrap_vde_open_real(char *url, char *descr, int version,
			      struct vde_open_args *args);
int __wrap_vde_datafd(VDECONN *conn);
int __wrap_vde_ctlfd(VDECONN *conn);
int __wrap_vde_close(VDECONN *conn);

/* __wrap_vde_open_real - a connection whose data descriptor is
 * fake.datafd.  Return: the fake connection. */
VDECONN *__wrap_vde_open_real(char *url, char *descr, int version,
			      struct vde_open_args *args)
{
	(void)url;
	(void)descr;
	(void)version;
	(void)args;
	return (VDECONN *)&fake_conn;
}

/* __wrap_vde_datafd - Return: the fake connection's data descriptor. */
int __wrap_vde_datafd(VDECONN *conn)
{
	assert_ptr_equal(conn, &fake_conn);
	return fake.datafd;
}

/* __wrap_vde_ctlfd - Return: -1 (no control descriptor, as vxvde://). */
int __wrap_vde_ctlfd(VDECONN *conn)
{
	assert_ptr_equal(conn, &fake_conn);
	return -1;
}

/* __wrap_vde_close - as fake.close says.  Return: 0. */
int __wrap_vde_close(VDECONN *conn)
{
	assert_ptr_equal(conn, &fake_conn);
	fake.closes++;
	if (fake.close == FAKE_CLOSES_DATAFD) {
		assert_int_equal(close(fake.datafd), 0);
		/* the lowest free number: the one just closed */
		fake.reopened = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_int_equal(fake.reopened, fake.datafd);
	}
	return 0;
}

/* open_close - open the vdeplug backend on url over the fake plugin (a
 * fresh epoll set as its data descriptor) and close it again. */
static void open_close(const char *url, enum fake_close how)
{
	const struct vds_backend_ops *ops = NULL;
	struct vds_backend *be = NULL;
	struct vds_url u;

	fake.datafd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(fake.datafd >= 0);
	fake.close = how;
	fake.reopened = -1;
	fake.closes = 0;
	assert_int_equal(vds_registry_lookup(url, &u, &ops), 0);
	assert_ptr_equal(ops, &vds_backend_vdeplug);
	assert_int_equal(ops->open(&u, NULL, &be), 0);
	ops->close(be);
	assert_int_equal(fake.closes, 1);
}

/* is_dev_null - Return: true when fd is open on /dev/null. */
static bool is_dev_null(int fd)
{
	struct stat st, null;

	return fstat(fd, &st) == 0 && stat("/dev/null", &null) == 0 &&
	       S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev;
}

/* A vxvde:// connection whose plugin leaves its epoll set open: the
 * backend closes it, and nothing else stays open. */
static void test_vxvde_close_releases_the_data_descriptor(void **state)
{
	int before = unit_count_fds();

	(void)state;
	open_close("vxvde://239.1.2.3", FAKE_KEEPS_DATAFD);
	assert_int_equal(fcntl(fake.datafd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(unit_count_fds(), before);
}

/* A plugin that closes its data descriptor itself, the number then taken
 * by another open: that descriptor is not the backend's to close. */
static void test_vxvde_close_spares_a_descriptor_reopened_on_the_number(
	void **state)
{
	int before = unit_count_fds();

	(void)state;
	open_close("vxvde://239.1.2.3", FAKE_CLOSES_DATAFD);
	assert_true(is_dev_null(fake.reopened));
	assert_int_equal(close(fake.reopened), 0);
	assert_int_equal(unit_count_fds(), before);
}

/* Other plugins' data descriptors are left to vde_close() alone. */
static void test_other_plugins_data_descriptor_left_to_their_close(
	void **state)
{
	(void)state;
	open_close("vde:///tmp/no-such-switch", FAKE_KEEPS_DATAFD);
	assert_true(fcntl(fake.datafd, F_GETFD) >= 0);
	assert_int_equal(close(fake.datafd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vxvde_close_releases_the_data_descriptor),
		cmocka_unit_test(
			test_vxvde_close_spares_a_descriptor_reopened_on_the_number),
		cmocka_unit_test(
			test_other_plugins_data_descriptor_left_to_their_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
