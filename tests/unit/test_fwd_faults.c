/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_fwd_faults.c - every allocation failing in turn while forwards of
 * every kind are added and removed on a stack without a network: tcp:,
 * udp-ns: and a tcp-ns: range.  Each failure must be a clean ENOMEM
 * that leaves no descriptor, thread or allocated block behind
 * (vds_alloc_live) and no port of the forward taken.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vdestack.h"
#include "base/alloc.h"
#include "unit.h"

/* The forwards of one cycle ("%u": a free host port). */
#define HOST_FWD "tcp:127.0.0.1:%u:127.0.0.1:80"
#define NS_RANGE "tcp-ns:6000-6003:127.0.0.1:9"
#define NS_UDP "udp-ns:[::1]:53:[::1]:5353"

/* free_port - Return: a TCP port of 127.0.0.1 free just now. */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHILD_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, len) == 0 &&
		    getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* port_free_in - Return: whether TCP port of 127.0.0.1 (UDP of ::1 when
 * udp) can be bound in s. */
static bool port_free_in(struct vdestack *s, bool udp, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = vde_msocket(s, udp ? AF_INET6 : AF_INET,
			     udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	bool ok;

	CHILD_CHECK(fd >= 0);
	ok = udp ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) == 0
		 : bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* cycle - add the three forwards, then remove them; stop at the first
 * failure, which must be ENOMEM (what was added is removed).
 * Return: 0 when all succeeded, 1 for a clean ENOMEM, -1 otherwise. */
static int cycle(struct vdestack *s, char *what, size_t size)
{
	static const char *const fixed[] = { NS_RANGE, NS_UDP };
	char host[64];
	int added = 0, err = 0;

	snprintf(host, sizeof(host), HOST_FWD, free_port());
	const char *specs[] = { host, fixed[0], fixed[1] };

	for (; added < 3; added++) {
		errno = 0;
		if (vde_stackfwd(s, (char *)specs[added]) < 0) {
			err = errno;
			snprintf(what, size, "%s: %s", specs[added],
				 strerror(err));
			break;
		}
	}
	while (added-- > 0)
		CHILD_CHECK_MSG(vde_stackunfwd(s, (char *)specs[added]) == 0,
				"vde_stackunfwd(%s): %s", specs[added],
				strerror(errno));
	if (!err)
		return 0;
	return err == ENOMEM ? 1 : -1;
}

/* fault_cycles - the cycle once to warm up, then with allocation n
 * failing, for every n until none fails. */
static void fault_cycles(void *arg)
{
	struct vdestack *s;
	char what[160] = "";
	int fds, threads;
	long live;
	unsigned long n;
	bool done = false;

	(void)arg;
	s = vde_addstack(NULL, NULL);
	CHILD_CHECK(s);
	CHILD_CHECK(cycle(s, what, sizeof(what)) == 0);
	live = vds_alloc_live();
	fds = unit_count_fds();
	threads = unit_count_threads();
	for (n = 1; n < 400 && !done; n++) {
		unsigned long made;
		int o;

		vds_alloc_fail_at(n);
		o = cycle(s, what, sizeof(what));
		made = vds_alloc_fail_at(0);
		if (made < n) {
			CHILD_CHECK_MSG(o == 0, "no fault, yet %s", what);
			done = true;
		} else {
			CHILD_CHECK_MSG(o == 1, "allocation %lu: %s", n, what);
		}
		CHILD_CHECK_MSG(unit_count_fds() == fds,
				"allocation %lu: %d fds, had %d", n,
				unit_count_fds(), fds);
		CHILD_CHECK_MSG(vds_alloc_live() == live,
				"allocation %lu: %ld blocks allocated, had %ld",
				n, vds_alloc_live(), live);
		for (unsigned p = 6000; p <= 6003; p++)
			CHILD_CHECK_MSG(port_free_in(s, false, p),
					"allocation %lu: port %u taken", n, p);
		CHILD_CHECK_MSG(port_free_in(s, true, 53),
				"allocation %lu: udp port 53 taken", n);
	}
	CHILD_CHECK(done);
	CHILD_CHECK_MSG(n > 5, "only %lu allocations", n - 2);
	vde_delstack(s);
	/* the maker's thread and the loop go with the last forward */
	CHILD_CHECK_MSG(unit_count_threads() <= threads,
			"%d threads, had %d", unit_count_threads(), threads);
}

/* test_fwd_alloc_failure_at_every_step_is_clean - allocation n fails for
 * every n while forwards both ways are added and removed. */
static void test_fwd_alloc_failure_at_every_step_is_clean(void **state)
{
	(void)state;
	assert_int_equal(unit_run_in_child(fault_cycles, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fwd_alloc_failure_at_every_step_is_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
