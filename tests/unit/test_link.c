/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_link.c - the helper's noqueue request for a tap (link.c
 * vds_link_noqueue): the message it builds, read where it is handed to
 * the rtnetlink engine (vds_rtnl_call replaced with -Wl,--wrap), the
 * errors it passes back, and what the kernel makes of it, in a user and
 * network namespace of a forked child: an interface whose root qdisc was
 * pfifo shows noqueue after it, and still after it comes up.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "base/rtnl.h"
#include "helper/link.h"
#include "unit.h"

/* The child's exit status when no network namespace can be made here. */
#define NO_NAMESPACE 77
/* The interface of the kernel case (a veth, the one link a user
 * namespace may make; its peer beside it). */
#define TEST_IF "nq0"
#define TEST_PEER "nq1"

/* What the mock saw and answers. */
static union vds_rtnl_req seen; /* a copy of the last request */
static unsigned calls;          /* requests handed to the engine */
static int answer;              /* the mock's answer; 1: the real engine */
#define PASS_THROUGH 1

int __real_vds_rtnl_call(struct nlmsghdr *nlh);
int __wrap_vds_rtnl_call(struct nlmsghdr *nlh);

/* __wrap_vds_rtnl_call - keep a copy of nlh, then answer as planned (or
 * the real engine's answer).  Return: 0 or -errno. */
int __wrap_vds_rtnl_call(struct nlmsghdr *nlh)
{
	calls++;
	if (nlh->nlmsg_len <= sizeof(seen))
		memcpy(seen.buf, nlh, nlh->nlmsg_len);
	return answer == PASS_THROUGH ? __real_vds_rtnl_call(nlh) : answer;
}

/* kind_of - the TCA_KIND attribute of the qdisc message nlh.
 * Return: the string, or NULL when it has none. */
static const char *kind_of(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg))
		if (mnl_attr_get_type(a) == TCA_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	return NULL;
}

/* test_noqueue_request_names_the_root_qdisc_of_the_interface - one
 * RTM_NEWQDISC, create or replace, for the interface's index, the root,
 * handle 0 (the kernel's choice), kind "noqueue". */
static void test_noqueue_request_names_the_root_qdisc_of_the_interface(void **state)
{
	const struct tcmsg *tcm;

	(void)state;
	calls = 0;
	answer = 0;
	assert_int_equal(vds_link_noqueue("lo"), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(seen.nlh.nlmsg_type, RTM_NEWQDISC);
	assert_int_equal(seen.nlh.nlmsg_flags, NLM_F_CREATE | NLM_F_REPLACE);
	assert_true(seen.nlh.nlmsg_len >= mnl_nlmsg_size(sizeof(*tcm)));
	tcm = mnl_nlmsg_get_payload(&seen.nlh);
	assert_int_equal(tcm->tcm_family, AF_UNSPEC);
	assert_int_equal(tcm->tcm_ifindex, (int)if_nametoindex("lo"));
	assert_int_equal(tcm->tcm_parent, TC_H_ROOT);
	assert_int_equal(tcm->tcm_handle, 0);
	assert_non_null(kind_of(&seen.nlh));
	assert_string_equal(kind_of(&seen.nlh), "noqueue");
}

/* test_noqueue_of_a_missing_interface_is_enodev_and_sends_nothing */
static void test_noqueue_of_a_missing_interface_is_enodev_and_sends_nothing(void **state)
{
	(void)state;
	calls = 0;
	answer = 0;
	assert_int_equal(vds_link_noqueue("nosuchif0"), -ENODEV);
	assert_int_equal(calls, 0);
}

/* test_noqueue_passes_back_the_kernels_refusal - an old kernel's
 * -EOPNOTSUPP / -EINVAL / -ENOENT come back as they are (the caller
 * keeps the default qdisc then). */
static void test_noqueue_passes_back_the_kernels_refusal(void **state)
{
	static const int refusals[] = { -EOPNOTSUPP, -EINVAL, -ENOENT };

	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		answer = refusals[i];
		assert_int_equal(vds_link_noqueue("lo"), refusals[i]);
	}
}

/* make_veth - the veth pair TEST_IF / TEST_PEER in the current namespace.
 * Return: as vds_rtnl_call. */
static int make_veth(void)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_link_msg(&req, RTM_NEWLINK,
						 NLM_F_CREATE | NLM_F_EXCL,
						 AF_UNSPEC, 0, NULL);
	struct nlattr *linkinfo, *data, *peer;
	struct ifinfomsg *ifm;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, TEST_IF);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, TEST_PEER);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return __real_vds_rtnl_call(nlh);
}

/* set_root - the root qdisc of ifindex replaced with one of kind (no
 * options: pfifo takes its defaults).  Return: as vds_rtnl_call. */
static int set_root(unsigned ifindex, const char *kind)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_msg(&req, RTM_NEWQDISC,
					    NLM_F_CREATE | NLM_F_REPLACE);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	tcm->tcm_ifindex = (int)ifindex;
	tcm->tcm_parent = TC_H_ROOT;
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	return __real_vds_rtnl_call(nlh);
}

/* The root qdisc a dump found for one interface. */
struct root {
	int ifindex;
	char kind[IFNAMSIZ];
};

/* root_cb - keep the kind of the root qdisc of r->ifindex.
 * Return: MNL_CB_OK. */
static int root_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct root *r = data;
	const char *kind = kind_of(nlh);

	if (tcm->tcm_ifindex == r->ifindex && tcm->tcm_parent == TC_H_ROOT &&
	    kind)
		snprintf(r->kind, sizeof(r->kind), "%s", kind);
	return MNL_CB_OK;
}

/* root_kind - the kind of the root qdisc of ifindex, from a dump, in
 * r->kind ("" when none was listed).  Return: as vds_rtnl_dump. */
static int root_kind(unsigned ifindex, struct root *r)
{
	union vds_rtnl_req req;
	struct nlmsghdr *nlh = vds_rtnl_msg(&req, RTM_GETQDISC, 0);
	struct vds_rtnl nl;
	int err;

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct tcmsg));
	*r = (struct root){ .ifindex = (int)ifindex };
	err = vds_rtnl_open(&nl);
	if (err < 0)
		return err;
	err = vds_rtnl_dump(&nl, nlh, root_cb, r);
	vds_rtnl_close(&nl);
	return err;
}

/* kernel_case - in the child: a veth given pfifo, then noqueue by
 * vds_link_noqueue down, still noqueue once up. */
static void kernel_case(void *arg)
{
	struct root r;
	unsigned ifindex;

	(void)arg;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 &&
	    unshare(CLONE_NEWNET) < 0)
		_exit(NO_NAMESPACE);
	answer = PASS_THROUGH;
	CHILD_CHECK(make_veth() == 0);
	ifindex = if_nametoindex(TEST_IF);
	CHILD_CHECK(ifindex != 0);
	CHILD_CHECK(set_root(ifindex, "pfifo") == 0);
	CHILD_CHECK(root_kind(ifindex, &r) == 0);
	CHILD_CHECK_MSG(!strcmp(r.kind, "pfifo"), "root: %s", r.kind);
	CHILD_CHECK(vds_link_noqueue(TEST_IF) == 0);
	CHILD_CHECK(root_kind(ifindex, &r) == 0);
	CHILD_CHECK_MSG(!strcmp(r.kind, "noqueue"), "root: %s", r.kind);
	CHILD_CHECK(vds_link_set(TEST_IF, 0, true) == 0);
	CHILD_CHECK(root_kind(ifindex, &r) == 0);
	CHILD_CHECK_MSG(!strcmp(r.kind, "noqueue"), "root once up: %s",
			r.kind);
}

/* test_the_kernel_keeps_noqueue_when_the_interface_comes_up */
static void test_the_kernel_keeps_noqueue_when_the_interface_comes_up(void **state)
{
	int status = unit_run_in_child(kernel_case, NULL);

	(void)state;
	if (WIFEXITED(status) && WEXITSTATUS(status) == NO_NAMESPACE) {
		if (getenv("CI") && !strcmp(getenv("CI"), "true"))
			fail_msg("no network namespace for the test");
		skip();
	}
	assert_int_equal(status, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noqueue_request_names_the_root_qdisc_of_the_interface),
		cmocka_unit_test(test_noqueue_of_a_missing_interface_is_enodev_and_sends_nothing),
		cmocka_unit_test(test_noqueue_passes_back_the_kernels_refusal),
		cmocka_unit_test(test_the_kernel_keeps_noqueue_when_the_interface_comes_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
