/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_diag.c - why a stack cannot be made (core/diag.c): every cause
 * found from what a machine says through the system-call seam, which the
 * tests replace (-Wl,--wrap) with a fake machine: its /proc/sys settings
 * (the AppArmor sysctl included, which no machine of ours has), the
 * thread's status (Seccomp, CapEff), its uid map, /dev/net/tun, and the
 * errnos of unshare(2) and of the uid_map writes.  Then the public calls:
 * vde_stackerror()'s buffer contract and thread-local note, a real
 * vde_addstack() whose helper meets the fake limit, and vde_stackcheck()
 * whose child meets each fake restriction.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vdestack.h"
#include "base/internal.h"
#include "core/diag.h"
#include "unit.h"

/* A file of the fake machine: its text, or the errno reading it fails
 * with.  Files not listed do not exist (ENOENT). */
struct fake_file {
	const char *path;
	const char *text; /* NULL: fails with err */
	int err;
};

#define FAKE_FILES_MAX 8

/* The fake machine the seam answers for. */
struct machine {
	struct fake_file files[FAKE_FILES_MAX];
	int tun_err;        /* opening /dev/net/tun: 0 works */
	int userns_err;     /* opening /proc/self/ns/user: 0 works */
	bool fake_ns;       /* unshare and the id maps pretend to work */
	int unshare_flags;  /* unshare with these flags fails ... */
	int unshare_err;    /* ... with this (0: never) */
	const char *write_path; /* writing this file fails ... */
	int write_err;          /* ... with this */
};

static const struct machine *machine; /* NULL: the real one */

/* The settings and status lines the cases combine. */
#define MAX_USERNS "/proc/sys/user/max_user_namespaces"
#define MAX_NETNS "/proc/sys/user/max_net_namespaces"
#define USERNS_CLONE "/proc/sys/kernel/unprivileged_userns_clone"
#define APPARMOR "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
#define FILE_MAX "/proc/sys/fs/file-max"
#define STATUS "/proc/thread-self/status"
#define UID_MAP "/proc/self/uid_map"
#define USER_STATUS "Name:\tapp\nSeccomp:\t0\nCapEff:\t0000000000000000\n"
#define FILTERED_STATUS "Name:\tapp\nSeccomp:\t2\nCapEff:\t0000000000000000\n"
#define ROOT_STATUS "Name:\tapp\nSeccomp:\t0\nCapEff:\t000001ffffffffff\n"
#define INITIAL_MAP "         0          0 4294967295\n"
#define CHILD_MAP "         0       1000          1\n"

int __real_vds_sys_open(const char *path, int flags);
int __real_vds_sys_unshare(int flags);
int __real_vds_sys_write_file(const char *path, const char *text);
int __real_vds_sys_read_file(const char *path, char *buf, size_t size);
int __wrap_vds_sys_open(const char *path, int flags);
int __wrap_vds_sys_unshare(int flags);
int __wrap_vds_sys_write_file(const char *path, const char *text);
int __wrap_vds_sys_read_file(const char *path, char *buf, size_t size);

/* fail_with - a mock's failure, with errno set as the real call's.
 * Return: -err. */
static int fail_with(int err)
{
	errno = err;
	return -err;
}

/* __wrap_vds_sys_read_file - the fake machine's file path.
 * Return: its length or -errno, as vds_sys_read_file. */
int __wrap_vds_sys_read_file(const char *path, char *buf, size_t size)
{
	if (!machine)
		return __real_vds_sys_read_file(path, buf, size);
	for (size_t i = 0; i < FAKE_FILES_MAX && machine->files[i].path; i++) {
		const struct fake_file *f = &machine->files[i];

		if (strcmp(f->path, path))
			continue;
		if (!f->text)
			return fail_with(f->err);
		if (strlen(f->text) >= size)
			return fail_with(EFBIG);
		strcpy(buf, f->text);
		return (int)strlen(f->text);
	}
	return fail_with(ENOENT);
}

/* __wrap_vds_sys_open - /dev/net/tun and /proc/self/ns/user as the fake
 * machine has them (/dev/null standing in when they open).
 * Return: fd or -errno. */
int __wrap_vds_sys_open(const char *path, int flags)
{
	int err = -1;

	if (machine && !strcmp(path, "/dev/net/tun"))
		err = machine->tun_err;
	else if (machine && !strcmp(path, "/proc/self/ns/user"))
		err = machine->userns_err;
	if (err > 0)
		return fail_with(err);
	if (err == 0)
		return __real_vds_sys_open("/dev/null", O_RDONLY);
	return __real_vds_sys_open(path, flags);
}

/* __wrap_vds_sys_unshare - the fake machine's unshare: the planned
 * failure, or a pretended success.  Return: 0 or -errno. */
int __wrap_vds_sys_unshare(int flags)
{
	if (!machine)
		return __real_vds_sys_unshare(flags);
	if (machine->unshare_err && (flags & machine->unshare_flags))
		return fail_with(machine->unshare_err);
	if (machine->fake_ns)
		return 0;
	return __real_vds_sys_unshare(flags);
}

/* __wrap_vds_sys_write_file - the id maps of a pretended namespace: the
 * planned failure, or a pretended success.  Return: 0 or -errno. */
int __wrap_vds_sys_write_file(const char *path, const char *text)
{
	if (machine && machine->write_path &&
	    !strcmp(path, machine->write_path))
		return fail_with(machine->write_err);
	if (machine && machine->fake_ns && !strncmp(path, "/proc/self/", 11))
		return 0;
	return __real_vds_sys_write_file(path, text);
}

/* One case of the table: a machine, a failure, what it must be found to
 * be and what its line must name. */
struct diag_case {
	const char *name;
	struct machine m;
	struct vds_diag_in in;
	enum vds_cause want;
	const char *says;
};

#define STACK_ERR(e) { .err = (e), .step = VDS_DIAG_STACK }
#define NET_ERR(e) { .err = (e), .step = VDS_DIAG_STACK, .net = true }

static const struct diag_case diag_cases[] = {
	{ "max_user_namespaces_zero",
	  { .files = { { MAX_USERNS, "0\n" }, { MAX_NETNS, "15000\n" } } },
	  STACK_ERR(ENOSPC), VDS_CAUSE_MAX_USERNS,
	  "user.max_user_namespaces is 0" },
	{ "max_net_namespaces_zero",
	  { .files = { { MAX_USERNS, "15000\n" }, { MAX_NETNS, "0\n" } } },
	  NET_ERR(ENOSPC), VDS_CAUSE_MAX_NETNS, "user.max_net_namespaces is 0" },
	{ "namespace_limit_reached",
	  { .files = { { MAX_USERNS, "15000\n" }, { MAX_NETNS, "7\n" } } },
	  STACK_ERR(ENOSPC), VDS_CAUSE_NS_LIMIT,
	  "user.max_user_namespaces is 15000 and user.max_net_namespaces 7" },
	{ "namespace_limit_unreadable",
	  { .files = { { MAX_USERNS, NULL, EACCES } } },
	  STACK_ERR(ENOSPC), VDS_CAUSE_NS_LIMIT, "user.max_user_namespaces or" },
	{ "namespace_limit_garbled_is_not_zero",
	  { .files = { { MAX_USERNS, "\n" }, { MAX_NETNS, "x\n" } } },
	  STACK_ERR(ENOSPC), VDS_CAUSE_NS_LIMIT, "user.max_user_namespaces or" },
	{ "apparmor_restricts_eperm",
	  { .files = { { APPARMOR, "1\n" }, { STATUS, USER_STATUS },
		       { UID_MAP, CHILD_MAP } } },
	  NET_ERR(EPERM), VDS_CAUSE_APPARMOR,
	  "kernel.apparmor_restrict_unprivileged_userns is 1" },
	{ "apparmor_restricts_eacces",
	  { .files = { { APPARMOR, "1\n" }, { STATUS, USER_STATUS },
		       { UID_MAP, INITIAL_MAP } } },
	  STACK_ERR(EACCES), VDS_CAUSE_APPARMOR,
	  "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" },
	{ "apparmor_off_is_no_cause",
	  { .files = { { APPARMOR, "0\n" }, { STATUS, USER_STATUS } } },
	  STACK_ERR(EPERM), VDS_CAUSE_OTHER,
	  "Operation not permitted (EPERM)" },
	{ "apparmor_binds_no_real_root",
	  { .files = { { APPARMOR, "1\n" }, { STATUS, ROOT_STATUS },
		       { UID_MAP, INITIAL_MAP } } },
	  STACK_ERR(EPERM), VDS_CAUSE_OTHER, "EPERM" },
	{ "apparmor_binds_root_of_a_user_namespace",
	  { .files = { { APPARMOR, "1\n" }, { STATUS, ROOT_STATUS },
		       { UID_MAP, CHILD_MAP } } },
	  STACK_ERR(EPERM), VDS_CAUSE_APPARMOR, "AppArmor" },
	{ "debian_userns_clone_off",
	  { .files = { { USERNS_CLONE, "0\n" }, { STATUS, USER_STATUS } } },
	  STACK_ERR(EPERM), VDS_CAUSE_USERNS_CLONE,
	  "kernel.unprivileged_userns_clone is 0" },
	{ "debian_userns_clone_on_apparmor_restricts",
	  { .files = { { USERNS_CLONE, "1\n" }, { APPARMOR, "1\n" },
		       { STATUS, USER_STATUS } } },
	  STACK_ERR(EPERM), VDS_CAUSE_APPARMOR, "AppArmor" },
	{ "seccomp_filter_refuses",
	  { .files = { { STATUS, FILTERED_STATUS } } },
	  NET_ERR(EPERM), VDS_CAUSE_SECCOMP, "seccomp filter" },
	{ "seccomp_filter_with_eacces_is_no_cause",
	  { .files = { { STATUS, FILTERED_STATUS } } },
	  STACK_ERR(EACCES), VDS_CAUSE_OTHER, "EACCES" },
	{ "sysctls_before_seccomp",
	  { .files = { { APPARMOR, "1\n" }, { STATUS, FILTERED_STATUS } } },
	  STACK_ERR(EPERM), VDS_CAUSE_APPARMOR, "AppArmor" },
	{ "kernel_without_user_namespaces",
	  { .userns_err = ENOENT }, STACK_ERR(EINVAL), VDS_CAUSE_NO_USERNS,
	  "CONFIG_USER_NS" },
	{ "einval_otherwise_unexplained",
	  { .files = { { STATUS, USER_STATUS } } }, NET_ERR(EINVAL),
	  VDS_CAUSE_OTHER, "EINVAL" },
	{ "tap_asked_tun_closed",
	  { .files = { { STATUS, USER_STATUS } }, .tun_err = EACCES },
	  { .err = EACCES, .net = true, .tap_only = true }, VDS_CAUSE_NO_TUN,
	  "/dev/net/tun cannot be opened by this user (EACCES)" },
	{ "tap_checked_tun_missing",
	  { .tun_err = ENOENT }, { .err = ENOENT, .step = VDS_DIAG_TAP },
	  VDS_CAUSE_NO_TUN, "/dev/net/tun does not exist" },
	{ "tap_checked_eperm_not_seccomp",
	  { .files = { { STATUS, FILTERED_STATUS } } },
	  { .err = EPERM, .step = VDS_DIAG_TAP }, VDS_CAUSE_NO_TUN, "no tap" },
	{ "neither_tap_nor_veth",
	  { .tun_err = ENOENT }, NET_ERR(EOPNOTSUPP), VDS_CAUSE_NO_LINK,
	  "/dev/net/tun does not exist (ENOENT) and a veth pair cannot be "
	  "made (EOPNOTSUPP)" },
	{ "veth_checked",
	  { .tun_err = 0 }, { .err = EOPNOTSUPP, .step = VDS_DIAG_VETH },
	  VDS_CAUSE_NO_VETH, "modprobe veth" },
	{ "veth_fails_tun_works",
	  { .tun_err = 0 }, NET_ERR(EOPNOTSUPP), VDS_CAUSE_OTHER, "EOPNOTSUPP" },
	{ "no_network_no_link_cause",
	  { .tun_err = ENOENT }, STACK_ERR(EOPNOTSUPP), VDS_CAUSE_OTHER,
	  "EOPNOTSUPP" },
	{ "too_many_files_in_process",
	  { .files = { { MAX_USERNS, NULL, EMFILE }, { STATUS, NULL, EMFILE } },
	    .tun_err = EMFILE, .userns_err = EMFILE },
	  NET_ERR(EMFILE), VDS_CAUSE_NOFILE, "RLIMIT_NOFILE" },
	{ "too_many_files_in_system",
	  { .files = { { FILE_MAX, "9223372036854775807\n" } } },
	  STACK_ERR(ENFILE), VDS_CAUSE_NFILE,
	  "fs.file-max (9223372036854775807)" },
	{ "too_many_files_in_system_unread",
	  { .files = { { FILE_MAX, NULL, ENFILE } } },
	  STACK_ERR(ENFILE), VDS_CAUSE_NFILE, "fs.file-max is reached" },
	{ "nested_too_deep",
	  { .tun_err = 0 }, STACK_ERR(EUSERS), VDS_CAUSE_DEPTH, "32 levels" },
	{ "bad_url_is_no_missing_tun",
	  { .tun_err = EACCES },
	  { .err = ENOENT, .net = true, .before_helper = true },
	  VDS_CAUSE_OTHER, "No such file or directory (ENOENT)" },
	{ "backend_enospc_is_no_namespace_limit",
	  { .files = { { MAX_USERNS, "0\n" } } },
	  { .err = ENOSPC, .net = true, .before_helper = true },
	  VDS_CAUSE_OTHER, "(ENOSPC)" },
	{ "backend_emfile_still_explained",
	  { .tun_err = 0 }, { .err = EMFILE, .before_helper = true },
	  VDS_CAUSE_NOFILE, "RLIMIT_NOFILE" },
	{ "nothing_failed",
	  { .tun_err = 0 }, STACK_ERR(0), VDS_CAUSE_NONE, "" },
};

/* has_fix - whether a line of cause c must end with a fix. */
static bool has_fix(enum vds_cause c)
{
	return c != VDS_CAUSE_NONE && c != VDS_CAUSE_OTHER;
}

/* test_diag_finds_every_cause - each machine's failure is found to be its
 * cause, and its one line names the setting (and a fix). */
static void test_diag_finds_every_cause(void **state)
{
	for (size_t i = 0; i < VDS_ARRAY_SIZE(diag_cases); i++) {
		const struct diag_case *c = &diag_cases[i];
		char line[VDS_DIAG_LINE_MAX];
		struct vds_diag d;
		int n;

		machine = &c->m;
		vds_diag_find(&c->in, &d);
		machine = NULL;
		n = vds_diag_format(&d, line, sizeof(line));
		if (d.cause != c->want)
			fail_msg("%s: cause %d, want %d (%s)", c->name, d.cause,
				 c->want, line);
		if (n < 0 || (size_t)n >= sizeof(line) || strchr(line, '\n'))
			fail_msg("%s: not one line: %d", c->name, n);
		if (!strstr(line, c->says))
			fail_msg("%s: \"%s\" lacks \"%s\"", c->name, line,
				 c->says);
		if (has_fix(c->want) != (strstr(line, "; fix: ") != NULL))
			fail_msg("%s: fix wrong: \"%s\"", c->name, line);
	}
}

/* The fake machine of the public calls' tests: the limit at 0. */
static const struct machine zero_limit = {
	.files = { { MAX_USERNS, "0\n" } },
	.unshare_flags = CLONE_NEWUSER, .unshare_err = ENOSPC,
};

/* test_stackerror_buffer_contract - the whole line or nothing: the
 * length asked with NULL, ERANGE one byte short (buf untouched), EINVAL
 * for a size without a buffer, errno kept on success. */
static void test_stackerror_buffer_contract(void **state)
{
	char buf[VDS_DIAG_LINE_MAX], keep[VDS_DIAG_LINE_MAX];
	int len;

	machine = &zero_limit;
	vds_diag_note(ENOSPC, false, true);
	len = vde_stackerror(NULL, 0);
	assert_true(len > 0);
	memset(buf, 'x', sizeof(buf));
	memcpy(keep, buf, sizeof(buf));
	errno = 0;
	assert_int_equal(vde_stackerror(buf, (size_t)len), -1);
	assert_int_equal(errno, ERANGE);
	assert_memory_equal(buf, keep, sizeof(buf));
	errno = 0;
	assert_int_equal(vde_stackerror(NULL, 5), -1);
	assert_int_equal(errno, EINVAL);
	errno = EBADF;
	assert_int_equal(vde_stackerror(buf, (size_t)len + 1), len);
	assert_int_equal(errno, EBADF);
	assert_int_equal(strlen(buf), (size_t)len);
	assert_non_null(strstr(buf, "user.max_user_namespaces is 0"));
	vds_diag_note(0, false, false); /* a call that works clears it */
	buf[0] = 'x';
	assert_int_equal(vde_stackerror(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	machine = NULL;
}

/* note_failure - a thread whose vde_addstack() failed. */
static void *note_failure(void *arg)
{
	vds_diag_note(ENOSPC, false, true);
	return arg;
}

/* test_stackerror_is_per_thread - another thread's failure is not ours. */
static void test_stackerror_is_per_thread(void **state)
{
	pthread_t t;

	vds_diag_note(0, false, false);
	assert_int_equal(pthread_create(&t, NULL, note_failure, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(vde_stackerror(NULL, 0), 0);
}

/* test_addstack_failure_explained - a real vde_addstack() whose helper
 * finds user namespaces limited to 0 fails with the kernel's ENOSPC, and
 * vde_stackerror() names the setting. */
static void test_addstack_failure_explained(void **state)
{
	char buf[VDS_DIAG_LINE_MAX];
	struct vdestack *s;

	machine = &zero_limit;
	errno = 0;
	s = vde_addstack("", NULL);
	machine = NULL;
	assert_null(s);
	assert_int_equal(errno, ENOSPC);
	machine = &zero_limit;
	assert_true(vde_stackerror(buf, sizeof(buf)) > 0);
	machine = NULL;
	assert_non_null(strstr(buf, "user.max_user_namespaces is 0"));
}

/* One restriction that vde_stackcheck()'s child meets. */
struct check_case {
	const char *name;
	struct machine m;
	int item;
	int want_errno; /* 0: the item works */
	const char *says;
};

#define USER_FILES { STATUS, USER_STATUS }, { UID_MAP, CHILD_MAP }

static const struct check_case check_cases[] = {
	{ "limit_zero", { .files = { { MAX_USERNS, "0\n" }, USER_FILES },
			  .unshare_flags = CLONE_NEWUSER, .unshare_err = ENOSPC },
	  VDE_CHECK_USERNS, ENOSPC, "user.max_user_namespaces is 0" },
	{ "limit_zero_tap", { .files = { { MAX_USERNS, "0\n" }, USER_FILES },
			      .unshare_flags = CLONE_NEWUSER,
			      .unshare_err = ENOSPC },
	  VDE_CHECK_TAP, ENOSPC, "user.max_user_namespaces is 0" },
	{ "apparmor_uid_map", { .files = { { APPARMOR, "1\n" }, USER_FILES },
				.fake_ns = true,
				.write_path = "/proc/self/uid_map",
				.write_err = EPERM },
	  VDE_CHECK_USERNS, EPERM,
	  "kernel.apparmor_restrict_unprivileged_userns is 1" },
	{ "apparmor_netns", { .files = { { APPARMOR, "1\n" }, USER_FILES },
			      .fake_ns = true, .unshare_flags = CLONE_NEWNET,
			      .unshare_err = EPERM },
	  VDE_CHECK_NETNS, EPERM, "AppArmor" },
	{ "debian_clone", { .files = { { USERNS_CLONE, "0\n" }, USER_FILES },
			    .unshare_flags = CLONE_NEWUSER,
			    .unshare_err = EPERM },
	  VDE_CHECK_VETH, EPERM, "kernel.unprivileged_userns_clone is 0" },
	{ "seccomp", { .files = { { STATUS, FILTERED_STATUS } },
		       .unshare_flags = CLONE_NEWUSER, .unshare_err = EPERM },
	  VDE_CHECK_USERNS, EPERM, "seccomp" },
	{ "userns_works", { .files = { USER_FILES }, .fake_ns = true },
	  VDE_CHECK_USERNS, 0, "" },
};

/* test_stackcheck_finds_each_restriction - the checking child meets each
 * restriction at its step, and the line names it; errno is the kernel's
 * error; a check that works returns 0 and an empty line. */
static void test_stackcheck_finds_each_restriction(void **state)
{
	for (size_t i = 0; i < VDS_ARRAY_SIZE(check_cases); i++) {
		const struct check_case *c = &check_cases[i];
		char buf[VDS_DIAG_LINE_MAX] = "x";
		int n;

		machine = &c->m;
		errno = EBADF; /* kept when the item works */
		n = vde_stackcheck(c->item, buf, sizeof(buf));
		machine = NULL;
		if (c->want_errno == 0 && (n != 0 || buf[0] || errno != EBADF))
			fail_msg("%s: %d \"%s\" errno %d, want 0", c->name, n,
				 buf, errno);
		if (c->want_errno && (n <= 0 || errno != c->want_errno))
			fail_msg("%s: %d errno %d, want > 0 and %d", c->name, n,
				 errno, c->want_errno);
		if (!strstr(buf, c->says))
			fail_msg("%s: \"%s\" lacks \"%s\"", c->name, buf,
				 c->says);
	}
}

/* test_stackcheck_bad_arguments - unknown items and a size without a
 * buffer are EINVAL; nothing is tried. */
static void test_stackcheck_bad_arguments(void **state)
{
	char buf[8];

	errno = 0;
	assert_int_equal(vde_stackcheck(0, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(vde_stackcheck(VDE_CHECK_VETH + 1, buf, sizeof(buf)),
			 -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(vde_stackcheck(VDE_CHECK_USERNS, NULL, 8), -1);
	assert_int_equal(errno, EINVAL);
}

/* test_stackcheck_short_buffer - a failure whose line does not fit is
 * ERANGE, with buf untouched. */
static void test_stackcheck_short_buffer(void **state)
{
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	machine = &check_cases[0].m;
	errno = 0;
	assert_int_equal(vde_stackcheck(VDE_CHECK_USERNS, buf, sizeof(buf)),
			 -1);
	machine = NULL;
	assert_int_equal(errno, ERANGE);
	assert_int_equal(buf[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diag_finds_every_cause),
		cmocka_unit_test(test_stackerror_buffer_contract),
		cmocka_unit_test(test_stackerror_is_per_thread),
		cmocka_unit_test(test_addstack_failure_explained),
		cmocka_unit_test(test_stackcheck_finds_each_restriction),
		cmocka_unit_test(test_stackcheck_bad_arguments),
		cmocka_unit_test(test_stackcheck_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
