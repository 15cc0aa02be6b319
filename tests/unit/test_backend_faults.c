/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_backend_faults.c - every allocation failing in turn while a stack
 * is made on each backend (mem://, a = command, libvdeplug's hub:// and
 * vde:// on a vde_switch, slirp:// with options), configured with
 * vde_stackcmd, given a socket and deleted.  Each run must end in a clean
 * ENOMEM, or succeed (a failure the library absorbed), and leave no
 * descriptor, process, thread or allocated block behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "vdestack.h"
#include "config.h"
#if VDS_HAVE_VDEPLUG
#include <libvdeplug.h>
#endif
#include "base/alloc.h"
#include "unit.h"

/* Runs of one URL before giving up: far more allocations than a stack
 * life makes. */
#define MAX_FAULTS 400

enum outcome {
	RAN_OK,      /* everything succeeded */
	RAN_ENOMEM,  /* something failed, cleanly, with ENOMEM */
	RAN_BAD,     /* another error */
};

/* life - make a stack on url, bring its interface up and run a command
 * there, make a socket, delete it; stop at the first failure.
 * Return: the outcome (what failed in what). */
static enum outcome life(const char *url, char *what, size_t size)
{
	struct vdestack *s;
	int r, fd, e;

	errno = 0;
	s = vde_addstack((char *)url, NULL);
	if (!s) {
		e = errno;
		snprintf(what, size, "vde_addstack: %s", strerror(e));
		return e == ENOMEM ? RAN_ENOMEM : RAN_BAD;
	}
	r = vde_stackcmd(s, "/bin/ip link set vde0 up; /bin/true");
	if (r != 0) {
		e = errno;
		vde_delstack(s);
		snprintf(what, size, "vde_stackcmd: %d %s", r, strerror(e));
		return r == -1 && e == ENOMEM ? RAN_ENOMEM : RAN_BAD;
	}
	fd = vde_msocket(s, AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		e = errno;
		vde_delstack(s);
		snprintf(what, size, "vde_msocket: %s", strerror(e));
		return e == ENOMEM ? RAN_ENOMEM : RAN_BAD;
	}
	close(fd);
	vde_delstack(s);
	return RAN_OK;
}

/* wait_live - the allocated blocks back to want (a loop thread may still
 * be finishing its last free: bounded wait).  Return: the last count. */
static long wait_live(long want)
{
	for (int i = 0; i < UNIT_WAIT_MS / 10 && vds_alloc_live() != want; i++)
		usleep(10000);
	return vds_alloc_live();
}

/* fault_every_allocation - after a warm-up, allocation n fails for every
 * n until a run makes fewer than n: each run clean, counts unchanged. */
static void fault_every_allocation(const char *url)
{
	char what[160] = "";
	int fds, kids, threads;
	long live;
	unsigned long n, enomem = 0;
	bool done = false;

	CHILD_CHECK_MSG(life(url, what, sizeof(what)) == RAN_OK, "%s: %s",
			url, what);
	fds = unit_count_fds();
	kids = unit_count_children(NULL);
	threads = unit_wait_threads(1);
	live = vds_alloc_live();
	for (n = 1; n < MAX_FAULTS && !done; n++) {
		enum outcome o;
		unsigned long made;

		vds_alloc_fail_at(n);
		o = life(url, what, sizeof(what));
		made = vds_alloc_fail_at(0);
		if (made < n) {
			CHILD_CHECK_MSG(o == RAN_OK, "%s: no fault, yet %s",
					url, what);
			done = true;
		} else {
			CHILD_CHECK_MSG(o != RAN_BAD, "%s, allocation %lu: %s",
					url, n, what);
			enomem += o == RAN_ENOMEM;
		}
		CHILD_CHECK_MSG(unit_count_fds() == fds,
				"%s, allocation %lu: %d fds, had %d", url, n,
				unit_count_fds(), fds);
		CHILD_CHECK_MSG(unit_count_children(NULL) == kids,
				"%s, allocation %lu: %d children, had %d", url,
				n, unit_count_children(NULL), kids);
		CHILD_CHECK_MSG(unit_wait_threads(threads) == threads,
				"%s, allocation %lu: %d threads, had %d", url,
				n, unit_count_threads(), threads);
		CHILD_CHECK_MSG(wait_live(live) == live,
				"%s, allocation %lu (%s): %ld blocks allocated, "
				"had %ld", url, n, o == RAN_OK ? "absorbed" :
				what, vds_alloc_live(), live);
	}
	CHILD_CHECK_MSG(done, "%s: still faulting after %d", url, MAX_FAULTS);
	CHILD_CHECK_MSG(enomem > 2, "%s: only %lu ENOMEM", url, enomem);
	printf("%s: %lu allocations, each failing in turn: %lu ENOMEM, "
	       "%lu absorbed\n", url, n - 2, enomem, n - 2 - enomem);
}

/* run_url - fault_every_allocation(arg) in a forked child. */
static void run_url(void *arg)
{
	fault_every_allocation(arg);
}

static char dir[] = "/tmp/vds-unit-XXXXXX";

/* rm_dir - remove the directory of tmpdir() and its sockets. */
static void rm_dir(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* tmpdir - a fresh directory for sockets (rm_dir removes it).
 * Return: its path. */
static const char *tmpdir(void)
{
	CHILD_CHECK(mkdtemp(dir));
	return dir;
}

/* test_alloc_failure_on_mem_is_clean - mem://NAME */
static void test_alloc_failure_on_mem_is_clean(void **state)
{
	assert_int_equal(unit_run_in_child(run_url, "mem://faults"), 0);
}

/* test_alloc_failure_on_a_stream_command_is_clean - "=/bin/cat" */
static void test_alloc_failure_on_a_stream_command_is_clean(void **state)
{
	assert_int_equal(unit_run_in_child(run_url, "=/bin/cat"), 0);
}

#if VDS_HAVE_VDEPLUG
/* hub_case - hub:// that the library opens itself. */
static void hub_case(void *arg)
{
	char url[128];

	snprintf(url, sizeof(url), "hub://%s/hub", tmpdir());
	fault_every_allocation(url);
	rm_dir();
}

/* test_alloc_failure_on_a_vdeplug_hub_is_clean */
static void test_alloc_failure_on_a_vdeplug_hub_is_clean(void **state)
{
	assert_int_equal(unit_run_in_child(hub_case, NULL), 0);
}

/* plugs - Return: true when libvdeplug connects to url (the switch
 * listens: it makes its ctl before it takes connections). */
static bool plugs(const char *url)
{
	VDECONN *c = vde_open((char *)url, "vdestack-unit-probe", NULL);

	if (!c)
		return false;
	vde_close(c);
	return true;
}

/* switch_case - vde:// on a vde_switch started here, in the foreground
 * (its -d would fork a daemon that outlives the test): its console is a
 * pipe held by this process, so it also ends when this process does. */
static void switch_case(void *arg)
{
	char path[128], url[160];
	int in[2];
	pid_t sw;

	snprintf(path, sizeof(path), "%s/sw", tmpdir());
	snprintf(url, sizeof(url), "vde://%s", path);
	CHILD_CHECK(pipe2(in, O_CLOEXEC) == 0);
	sw = fork();
	CHILD_CHECK(sw >= 0);
	if (sw == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("vde_switch", "vde_switch", "-f", "/dev/null", "-s",
		       path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	for (int i = 0; i < UNIT_WAIT_MS / 10 && !plugs(url); i++)
		usleep(10000);
	CHILD_CHECK_MSG(plugs(url), "no plug on %s", url);
	fault_every_allocation(url);
	close(in[1]);
	kill(sw, SIGKILL);
	waitpid(sw, NULL, 0);
	rm_dir();
}

/* test_alloc_failure_on_a_vde_switch_is_clean - needs vde_switch (vde2),
 * which CI installs. */
static void test_alloc_failure_on_a_vde_switch_is_clean(void **state)
{
	if (system("command -v vde_switch >/dev/null") != 0)
		UNIT_SKIP("vde_switch is not installed");
	assert_int_equal(unit_run_in_child(switch_case, NULL), 0);
}

#endif /* VDS_HAVE_VDEPLUG */

#if VDS_HAVE_SLIRP
/* slirp_case - slirp:// with options, a port forward among them. */
static void slirp_case(void *arg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[200];

	/* a free port for the forward */
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHILD_CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	close(fd);
	snprintf(url, sizeof(url), "slirp:///hostname=faults/mtu=1400/"
		 "tcpfwd=127.0.0.1:%u:10.0.2.15:80", ntohs(sin.sin_port));
	fault_every_allocation(url);
}

/* test_alloc_failure_on_slirp_with_options_is_clean */
static void test_alloc_failure_on_slirp_with_options_is_clean(void **state)
{
	assert_int_equal(unit_run_in_child(slirp_case, NULL), 0);
}

#endif /* VDS_HAVE_SLIRP */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_failure_on_mem_is_clean),
		cmocka_unit_test(test_alloc_failure_on_a_stream_command_is_clean),
#if VDS_HAVE_VDEPLUG
		cmocka_unit_test(test_alloc_failure_on_a_vdeplug_hub_is_clean),
		cmocka_unit_test(test_alloc_failure_on_a_vde_switch_is_clean),
#endif
#if VDS_HAVE_SLIRP
		cmocka_unit_test(test_alloc_failure_on_slirp_with_options_is_clean),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
