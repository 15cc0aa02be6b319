/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_rtnl.c - the rtnetlink engine (src/base/rtnl.c) on a real
 * NETLINK_ROUTE socket, in a network namespace of the test's own.
 *
 * Each case runs in a forked child that unshares a user and a network
 * namespace (a network namespace alone as root where user namespaces are
 * refused), so the links it makes and deletes are nobody else's and go
 * with the child.  The system-call seam's vds_sys_socket is replaced
 * (-Wl,--wrap) so that a case can make the engine's socket fail.  Outside
 * sanitizer builds, malloc, calloc and realloc are counted on the calling
 * thread (passed on to glibc's own), for the case that checks that the
 * helper's path allocates nothing; a libmnl call that allocates shows
 * that the count sees allocations made in shared libraries too.  Under a
 * sanitizer or valgrind, whose malloc is theirs, that case is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/internal.h"
#include "base/rtnl.h"
#include "base/sys.h"
#include "unit.h"

/* The child's exit status when no network namespace can be made here. */
#define NO_NAMESPACE 77
/* An interface index no namespace of the test has. */
#define MISSING_IFINDEX 9999
/* The MTU the tests set (any a veth takes other than its default). */
#define TEST_MTU 1400
/* Veth pairs made so that a dump of links spans several datagrams. */
#define MANY_PAIRS 4

/* ------------------------------------------------------------------ */
/* The seam and the allocation count                                   */
/* ------------------------------------------------------------------ */

static int socket_fails; /* errno for vds_sys_socket to fail with; 0: none */

int __real_vds_sys_socket(int domain, int type, int protocol);
int __wrap_vds_sys_socket(int domain, int type, int protocol);

/* __wrap_vds_sys_socket - socket, or the planned fault, with errno set
 * as the real call does.  Return: fd or -errno. */
int __wrap_vds_sys_socket(int domain, int type, int protocol)
{
	if (socket_fails) {
		errno = socket_fails;
		return -socket_fails;
	}
	return __real_vds_sys_socket(domain, type, protocol);
}

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0 /* the sanitizer owns malloc */
#else
#define COUNT_ALLOCS 1
#endif

#if COUNT_ALLOCS
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

static __thread bool counting; /* count this thread's allocations */
static __thread unsigned allocs;

/* malloc - glibc's, counted while counting is set.  Return: as malloc. */
__attribute__((visibility("default"))) void *malloc(size_t size)
{
	if (counting)
		allocs++;
	return __libc_malloc(size);
}

/* calloc - glibc's, counted while counting is set.  Return: as calloc. */
__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
	if (counting)
		allocs++;
	return __libc_calloc(n, size);
}

/* realloc - glibc's, counted while counting is set.
 * Return: as realloc. */
__attribute__((visibility("default"))) void *realloc(void *p, size_t size)
{
	if (counting)
		allocs++;
	return __libc_realloc(p, size);
}
#endif

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* enter_netns - a user and network namespace of the child's own, or a
 * network namespace alone (root, user namespaces refused); ends the
 * child with NO_NAMESPACE when neither can be made. */
static void enter_netns(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)
		return;
	if (unshare(CLONE_NEWNET) == 0)
		return;
	fprintf(stderr, "no network namespace: %s\n", strerror(errno));
	_exit(NO_NAMESPACE);
}

/* run - fn in a forked child; skips (fails under CI=true) when the child
 * could make no namespace.  Asserts that every check passed. */
static void run(void (*fn)(void *arg))
{
	int status = unit_run_in_child(fn, NULL);

	if (WIFEXITED(status) && WEXITSTATUS(status) == NO_NAMESPACE) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("no network namespace for the test");
		skip();
	}
	assert_int_equal(status, 0);
}

/* make_veth - the veth pair name / peer over nl.  Return: as
 * vds_rtnl_request. */
static int make_veth(struct vds_rtnl *nl, const char *name, const char *peer)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_NEWLINK,
						 NLM_F_CREATE | NLM_F_EXCL,
						 AF_UNSPEC, 0, NULL);
	struct nlattr *linkinfo, *data, *peerinfo;
	struct ifinfomsg *ifm;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peerinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_nest_end(nlh, peerinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return vds_rtnl_request(nl, nlh);
}

/* link_up_msg - in req: bring link ifindex up, with mtu (0: unchanged).
 * Return: the message. */
static struct nlmsghdr *link_up_msg(union vds_rtnl_req *req,
				    unsigned ifindex, unsigned mtu)
{
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(req, RTM_NEWLINK, 0,
						 AF_UNSPEC, ifindex, &ifm);

	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nlh;
}

/* del_msg - in req: delete link ifindex.  Return: the message. */
static struct nlmsghdr *del_msg(union vds_rtnl_req *req, unsigned ifindex)
{
	return vds_rtnl_link_msg(req, RTM_DELLINK, 0, AF_UNSPEC, ifindex,
				 NULL);
}

/* The links a dump listed. */
struct links {
	unsigned n;
	struct {
		char name[IFNAMSIZ];
		unsigned index, flags, mtu;
	} l[32];
};

/* link_attr - keep a link's name and MTU.  Return: MNL_CB_OK. */
static int link_attr(const struct nlattr *attr, void *data)
{
	struct links *ls = data;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(ls->l[ls->n].name, IFNAMSIZ, "%s",
			 mnl_attr_get_str(attr));
	else if (mnl_attr_get_type(attr) == IFLA_MTU &&
		 mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		ls->l[ls->n].mtu = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

/* link_cb - one link of a dump, added to the struct links in data.
 * Return: MNL_CB_OK, or MNL_CB_ERROR (ENOBUFS) past the table's room. */
static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct links *ls = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (ls->n == VDS_ARRAY_SIZE(ls->l)) {
		errno = ENOBUFS;
		return MNL_CB_ERROR;
	}
	ls->l[ls->n].index = (unsigned)ifm->ifi_index;
	ls->l[ls->n].flags = ifm->ifi_flags;
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr, ls);
	ls->n++;
	return MNL_CB_OK;
}

/* dump_links - every link of nl's namespace into *ret.
 * Return: as vds_rtnl_dump. */
static int dump_links(struct vds_rtnl *nl, struct links *ret)
{
	union vds_rtnl_req req;

	ret->n = 0;
	return vds_rtnl_dump(nl, vds_rtnl_link_msg(&req, RTM_GETLINK, 0,
						   AF_UNSPEC, 0, NULL),
			     link_cb, ret);
}

/* find - the entry of name in ls.  Return: its position, or -1. */
static int find(const struct links *ls, const char *name)
{
	for (unsigned i = 0; i < ls->n; i++)
		if (!strcmp(ls->l[i].name, name))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* The cases                                                            */
/* ------------------------------------------------------------------ */

/* veth_lifecycle - see the test below. */
static void veth_lifecycle(void *arg)
{
	struct vds_rtnl nl = VDS_RTNL_NONE;
	union vds_rtnl_req req;
	struct links ls;
	unsigned rt0;
	int i;

	enter_netns();
	CHILD_CHECK(vds_rtnl_open(&nl) == 0);
	CHILD_CHECK(nl.fd >= 0 && nl.portid != 0);
	CHILD_CHECK(make_veth(&nl, "rt0", "rt1") == 0);
	CHILD_CHECK(make_veth(&nl, "rt0", "rt1") == -EEXIST);
	rt0 = if_nametoindex("rt0");
	CHILD_CHECK(rt0 != 0);
	CHILD_CHECK(vds_rtnl_request(&nl, link_up_msg(&req, rt0, TEST_MTU)) == 0);

	CHILD_CHECK(dump_links(&nl, &ls) == 0);
	CHILD_CHECK_MSG(ls.n == 3, "%u links", ls.n); /* lo, rt0, rt1 */
	CHILD_CHECK(find(&ls, "lo") >= 0);
	i = find(&ls, "rt0");
	CHILD_CHECK(i >= 0 && ls.l[i].index == rt0);
	CHILD_CHECK(ls.l[i].flags & IFF_UP);
	CHILD_CHECK_MSG(ls.l[i].mtu == TEST_MTU, "mtu %u", ls.l[i].mtu);
	i = find(&ls, "rt1");
	CHILD_CHECK(i >= 0 && !(ls.l[i].flags & IFF_UP));
	CHILD_CHECK(ls.l[i].mtu != TEST_MTU);

	CHILD_CHECK(vds_rtnl_request(&nl, del_msg(&req, rt0)) == 0);
	CHILD_CHECK(dump_links(&nl, &ls) == 0);
	CHILD_CHECK(ls.n == 1 && find(&ls, "lo") >= 0); /* both ends gone */
	vds_rtnl_close(&nl);
	CHILD_CHECK(nl.fd == -1);
	vds_rtnl_close(&nl); /* a closed one again: nothing */
}

/* test_rtnl_makes_sets_up_dumps_and_deletes_a_veth_link - a pair made
 * (and refused once it exists), one end up with an MTU, both read back
 * by a dump as set, and gone with one end deleted. */
static void test_rtnl_makes_sets_up_dumps_and_deletes_a_veth_link(void **state)
{
	run(veth_lifecycle);
}

/* missing_link - see the test below. */
static void missing_link(void *arg)
{
	struct vds_rtnl nl;
	union vds_rtnl_req req;
	struct links ls;

	enter_netns();
	CHILD_CHECK(vds_rtnl_open(&nl) == 0);
	CHILD_CHECK(vds_rtnl_request(&nl, link_up_msg(&req, MISSING_IFINDEX,
						      0)) == -ENODEV);
	CHILD_CHECK(vds_rtnl_request(&nl, del_msg(&req, MISSING_IFINDEX)) ==
		    -ENODEV);
	/* the socket serves on after an error */
	CHILD_CHECK(dump_links(&nl, &ls) == 0 && ls.n == 1);
	vds_rtnl_close(&nl);
	/* and the helper's one-shot call reports the same */
	CHILD_CHECK(vds_rtnl_call(link_up_msg(&req, MISSING_IFINDEX, 0)) ==
		    -ENODEV);
	CHILD_CHECK(vds_rtnl_call(link_up_msg(&req, 1, 0)) == 0); /* lo */
}

/* test_rtnl_request_on_a_missing_ifindex_fails_with_enodev - the kernel's
 * error comes back as -errno, on an open engine and through
 * vds_rtnl_call. */
static void test_rtnl_request_on_a_missing_ifindex_fails_with_enodev(void **state)
{
	run(missing_link);
}

/* socket_seam_fails - see the test below. */
static void socket_seam_fails(void *arg)
{
	struct vds_rtnl nl = VDS_RTNL_NONE;
	union vds_rtnl_req req;
	int fds = unit_count_fds();

	socket_fails = EMFILE;
	CHILD_CHECK(vds_rtnl_open(&nl) == -EMFILE);
	CHILD_CHECK(nl.fd == -1);
	CHILD_CHECK(vds_rtnl_call(link_up_msg(&req, 1, 0)) == -EMFILE);
	socket_fails = 0;
	CHILD_CHECK_MSG(unit_count_fds() == fds, "%d fds, had %d",
			unit_count_fds(), fds);
}

/* test_rtnl_fails_cleanly_when_the_socket_seam_fails - vds_rtnl_open
 * and vds_rtnl_call return the seam's error and leave no descriptor. */
static void test_rtnl_fails_cleanly_when_the_socket_seam_fails(void **state)
{
	run(socket_seam_fails);
}

/* adopted - see the test below. */
static void adopted(void *arg)
{
	struct vds_rtnl nl;
	struct links ls;
	int fd, udp;

	enter_netns();
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(vds_rtnl_adopt(fd, &nl) == 0 && nl.fd == fd);
	CHILD_CHECK(dump_links(&nl, &ls) == 0);
	CHILD_CHECK(ls.n == 1 && find(&ls, "lo") >= 0);
	vds_rtnl_close(&nl);
	CHILD_CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);

	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHILD_CHECK(udp >= 0);
	CHILD_CHECK(vds_rtnl_adopt(udp, &nl) < 0);
	CHILD_CHECK(fcntl(udp, F_GETFD) == -1 && errno == EBADF);
	CHILD_CHECK(vds_rtnl_adopt(-1, &nl) == -EBADF);
}

/* test_rtnl_adopts_a_socket_handed_over_and_closes_a_wrong_one - a
 * NETLINK_ROUTE socket made elsewhere (as vde_msocket's) serves dumps;
 * one of another kind is refused and closed. */
static void test_rtnl_adopts_a_socket_handed_over_and_closes_a_wrong_one(void **state)
{
	run(adopted);
}

/* stale_answer - see the test below. */
static void stale_answer(void *arg)
{
	struct vds_rtnl nl;
	union vds_rtnl_req req;
	struct nlmsghdr *nlh;

	enter_netns();
	CHILD_CHECK(vds_rtnl_open(&nl) == 0);
	/* a request sent past the engine, its acknowledgement left unread */
	nlh = link_up_msg(&req, 1, 0);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = nl.seq + 100;
	CHILD_CHECK(send(nl.fd, nlh, nlh->nlmsg_len, 0) ==
		    (ssize_t)nlh->nlmsg_len);
	CHILD_CHECK(vds_rtnl_request(&nl, link_up_msg(&req, MISSING_IFINDEX,
						      0)) == -ENODEV);
	CHILD_CHECK(vds_rtnl_request(&nl, link_up_msg(&req, 1, 0)) == 0);
	vds_rtnl_close(&nl);
}

/* test_rtnl_an_answer_to_another_request_is_not_taken_for_ours - an
 * acknowledgement (success) of another sequence number waits first in
 * the queue: the request that fails still fails. */
static void test_rtnl_an_answer_to_another_request_is_not_taken_for_ours(void **state)
{
	run(stale_answer);
}

/* spoofed_answer - see the test below. */
static void spoofed_answer(void *arg)
{
	struct vds_rtnl nl;
	union vds_rtnl_req req;
	struct {
		struct nlmsghdr nlh;
		struct nlmsgerr err;
	} fake;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	int other;

	enter_netns();
	CHILD_CHECK(vds_rtnl_open(&nl) == 0);
	other = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	CHILD_CHECK(other >= 0);
	/* a success for the engine's next request, from another socket */
	fake = (typeof(fake)){
		.nlh = { .nlmsg_len = sizeof(fake), .nlmsg_type = NLMSG_ERROR,
			 .nlmsg_seq = nl.seq + 1, .nlmsg_pid = nl.portid },
		.err = { .error = 0 },
	};
	to.nl_pid = nl.portid;
	CHILD_CHECK(sendto(other, &fake, sizeof(fake), 0,
			   (struct sockaddr *)&to, sizeof(to)) ==
		    (ssize_t)sizeof(fake));
	CHILD_CHECK(vds_rtnl_request(&nl, link_up_msg(&req, MISSING_IFINDEX,
						      0)) == -ENODEV);
	close(other);
	vds_rtnl_close(&nl);
}

/* test_rtnl_a_datagram_from_another_socket_is_not_taken_for_the_kernels -
 * a process that may send to the engine's port (root of a stack, there)
 * cannot answer its requests. */
static void test_rtnl_a_datagram_from_another_socket_is_not_taken_for_the_kernels(void **state)
{
	run(spoofed_answer);
}

/* fail_at_once - a dump callback that refuses the first message.
 * Return: MNL_CB_ERROR (ECANCELED). */
static int fail_at_once(const struct nlmsghdr *nlh, void *data)
{
	(*(unsigned *)data)++;
	errno = ECANCELED;
	return MNL_CB_ERROR;
}

/* dump_cut_short - see the test below. */
static void dump_cut_short(void *arg)
{
	struct vds_rtnl nl;
	union vds_rtnl_req req;
	struct links ls;
	unsigned calls = 0;

	enter_netns();
	CHILD_CHECK(vds_rtnl_open(&nl) == 0);
	for (unsigned i = 0; i < MANY_PAIRS; i++) {
		char a[IFNAMSIZ], b[IFNAMSIZ];

		snprintf(a, sizeof(a), "ma%u", i);
		snprintf(b, sizeof(b), "mb%u", i);
		CHILD_CHECK(make_veth(&nl, a, b) == 0);
	}
	CHILD_CHECK(vds_rtnl_dump(&nl, vds_rtnl_link_msg(&req, RTM_GETLINK, 0,
							 AF_UNSPEC, 0, NULL),
				  fail_at_once, &calls) == -ECANCELED);
	CHILD_CHECK_MSG(calls == 1, "callback called %u times", calls);
	/* the rest of that dump does not stand in the way of the next */
	CHILD_CHECK(dump_links(&nl, &ls) == 0);
	CHILD_CHECK_MSG(ls.n == 1 + 2 * MANY_PAIRS, "%u links", ls.n);
	CHILD_CHECK(vds_rtnl_request(&nl, link_up_msg(&req, 1, 0)) == 0);
	vds_rtnl_close(&nl);
}

/* test_rtnl_a_callbacks_error_ends_the_dump_and_the_socket_serves_on -
 * the callback's errno comes back, it is not called again, and the next
 * dump (of several datagrams) and request on the socket get their own
 * answers. */
static void test_rtnl_a_callbacks_error_ends_the_dump_and_the_socket_serves_on(void **state)
{
	run(dump_cut_short);
}

#if COUNT_ALLOCS
/* no_allocation - see the test below. */
static void no_allocation(void *arg)
{
	union vds_rtnl_req req;
	struct mnl_socket *ms;
	int ok, missing;

	enter_netns();
	/* the count sees what a shared library allocates */
	counting = true;
	allocs = 0;
	ms = mnl_socket_open(NETLINK_ROUTE);
	counting = false;
	CHILD_CHECK(ms);
	mnl_socket_close(ms);
	CHILD_CHECK_MSG(allocs >= 1, "mnl_socket_open: %u allocations", allocs);

	allocs = 0;
	counting = true;
	ok = vds_rtnl_call(link_up_msg(&req, 1, 0));
	missing = vds_rtnl_call(link_up_msg(&req, MISSING_IFINDEX, 0));
	counting = false;
	CHILD_CHECK(ok == 0 && missing == -ENODEV);
	CHILD_CHECK_MSG(allocs == 0, "vds_rtnl_call: %u allocations", allocs);
}
#endif

/* under_valgrind - whether the test runs under valgrind, whose own
 * malloc the program's does not replace (it preloads its core).
 * Return: true if so. */
static bool under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
}

/* test_rtnl_the_helpers_call_allocates_nothing - vds_rtnl_call, the
 * helper's way (which may be ended at any point), calls no allocator,
 * whether the kernel accepts the request or refuses it. */
static void test_rtnl_the_helpers_call_allocates_nothing(void **state)
{
	if (!COUNT_ALLOCS || under_valgrind())
		skip(); /* a sanitizer's or valgrind's malloc: not counted */
#if COUNT_ALLOCS
	run(no_allocation);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtnl_makes_sets_up_dumps_and_deletes_a_veth_link),
		cmocka_unit_test(test_rtnl_request_on_a_missing_ifindex_fails_with_enodev),
		cmocka_unit_test(test_rtnl_fails_cleanly_when_the_socket_seam_fails),
		cmocka_unit_test(test_rtnl_adopts_a_socket_handed_over_and_closes_a_wrong_one),
		cmocka_unit_test(test_rtnl_an_answer_to_another_request_is_not_taken_for_ours),
		cmocka_unit_test(test_rtnl_a_datagram_from_another_socket_is_not_taken_for_the_kernels),
		cmocka_unit_test(test_rtnl_a_callbacks_error_ends_the_dump_and_the_socket_serves_on),
		cmocka_unit_test(test_rtnl_the_helpers_call_allocates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
