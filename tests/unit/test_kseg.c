/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_kseg.c - unit tests of kseg.c, the accounting of kernel-joined
 * segments: the helper and the ports are mocks (--wrap), so the tests see
 * every request and every uplink port. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/proto.h"
#include "core/backend.h"
#include "core/kseg.h"
#include "unit.h"

/* What the mocks were asked and how they answer. */
static struct {
	bool join;         /* NEWSTACK with BRIDGE is joined in the kernel */
	int uplink_err;    /* UPLINK's answer when negative */
	unsigned next_id;
	/* seen */
	unsigned newstacks, uplinks, delstacks;
	uint32_t last_del;
	char key[512];     /* NEWSTACK's key */
	char ifname[16];   /* ... and name */
	uint32_t flags;
	int ports_open;    /* uplink ports opened and not closed */
	int ports_started;
	int live_stacks;   /* made and not deleted */
} m;

int __wrap_vds_helper_call(struct vds_helper *h, const struct vds_call *c);
int __wrap_vds_port_open(const char *url, struct vds_port **ret);
int __wrap_vds_port_start(struct vds_port *port, int ifd);
unsigned __wrap_vds_port_flags(const struct vds_port *port);
void __wrap_vds_port_close(struct vds_port *port);

static int fake_helper_a, fake_helper_b; /* their addresses name helpers */
#define HA ((struct vds_helper *)&fake_helper_a)
#define HB ((struct vds_helper *)&fake_helper_b)

/* __wrap_vds_helper_call - the helper: NEWSTACK, UPLINK, DELSTACK.
 * Return: as the real one. */
int __wrap_vds_helper_call(struct vds_helper *h, const struct vds_call *c)
{
	const struct vds_req *req = c->req;

	(void)h;
	if (c->ret_fd)
		*c->ret_fd = -1;
	switch (req->op) {
	case VDS_OP_NEWSTACK:
		m.newstacks++;
		m.live_stacks++;
		m.flags = req->newstack.flags;
		snprintf(m.key, sizeof(m.key), "%s",
			 req->newstack.key ? req->newstack.key : "(none)");
		snprintf(m.ifname, sizeof(m.ifname), "%s", req->newstack.ifname);
		c->rep->id = ++m.next_id;
		c->rep->status = 0;
		if (!(m.join && (req->newstack.flags & VDS_NEWSTACK_BRIDGE)))
			*c->ret_fd = eventfd(0, EFD_CLOEXEC);
		return 0;
	case VDS_OP_UPLINK:
		m.uplinks++;
		assert_string_equal(req->uplink.key, "seg");
		assert_int_equal(req->uplink.flags, VDS_NEWSTACK_VNET);
		if (m.uplink_err)
			return m.uplink_err;
		*c->ret_fd = eventfd(0, EFD_CLOEXEC);
		return 0;
	case VDS_OP_DELSTACK:
		m.delstacks++;
		m.live_stacks--;
		m.last_del = req->id;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* __wrap_vds_port_open - an uplink port (a token).  Return: 0/-ENOMEM. */
int __wrap_vds_port_open(const char *url, struct vds_port **ret)
{
	void *p = vds_malloc(1);

	assert_string_equal(url, "mem://seg");
	if (!p)
		return -ENOMEM;
	m.ports_open++;
	*ret = p;
	return 0;
}

/* __wrap_vds_port_start - takes the descriptor.  Return: 0. */
int __wrap_vds_port_start(struct vds_port *port, int ifd)
{
	(void)port;
	assert_true(ifd >= 0);
	close(ifd);
	m.ports_started++;
	return 0;
}

/* __wrap_vds_port_flags - a vnet-header backend.  Return: its flags. */
unsigned __wrap_vds_port_flags(const struct vds_port *port)
{
	(void)port;
	return VDS_BACKEND_VNET_HDR;
}

/* __wrap_vds_port_close - release a token. */
void __wrap_vds_port_close(struct vds_port *port)
{
	if (!port)
		return;
	m.ports_open--;
	vds_free(port);
}

/* A stack as stack.c keeps it. */
struct st {
	struct vds_helper *h;
	struct vds_kseg *seg;
	uint32_t id;
	bool kernel;
};

/* add - vds_kseg_newstack on helper h and key, bridged when join.
 * Return: its result; *s filled on success. */
static int add(struct st *s, struct vds_helper *h, const char *key,
	       bool join)
{
	struct vds_req req = {
		.op = VDS_OP_NEWSTACK,
		.newstack = { .flags = VDS_NEWSTACK_TAP | VDS_NEWSTACK_LINK_VETH,
			      .ifname = "vde0" },
	};
	struct vds_rep rep = { 0 };
	struct vds_call call = { .req = &req, .rep = &rep };
	int fd = -1, err;

	if (join)
		req.newstack.flags |= VDS_NEWSTACK_BRIDGE;
	call.ret_fd = &fd;
	err = vds_kseg_newstack(h, &call, "mem://seg", key, &s->seg);
	if (err < 0)
		return err;
	s->h = h;
	s->id = rep.id;
	s->kernel = fd < 0;
	if (fd >= 0)
		close(fd);
	return 0;
}

/* del - vds_kseg_delstack of s. */
static void del(struct st *s)
{
	vds_kseg_delstack(s->seg, s->kernel, s->h, s->id);
}

/* setup - fresh mocks that join in the kernel.  Return: 0. */
static int setup(void **state)
{
	(void)state;
	memset(&m, 0, sizeof(m));
	m.join = true;
	return 0;
}

/* test_the_key_goes_to_the_helper_as_the_backend_gives_it - with the
 * name and flags of the caller's request, whatever the URL says. */
static void test_the_key_goes_to_the_helper_as_the_backend_gives_it(void **state)
{
	struct st a;

	(void)state;
	assert_int_equal(add(&a, HA, "seg", true), 0);
	assert_string_equal(m.key, "seg");
	assert_string_equal(m.ifname, "vde0");
	assert_true(m.flags & VDS_NEWSTACK_BRIDGE);
	assert_true(a.kernel);
	del(&a);
	assert_int_equal(m.last_del, a.id);
}

/* test_kernel_members_alone_need_no_uplink */
static void test_kernel_members_alone_need_no_uplink(void **state)
{
	struct st s[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(add(&s[i], HA, "seg", true), 0);
	assert_int_equal(m.uplinks, 0);
	assert_int_equal(m.ports_open, 0);
	for (int i = 0; i < 3; i++)
		del(&s[i]);
	assert_int_equal(m.delstacks, 3);
}

/* test_uplink_lives_exactly_while_both_kinds_are_there - whichever kind
 * comes first, and however they leave. */
static void test_uplink_lives_exactly_while_both_kinds_are_there(void **state)
{
	struct st k1, k2, u1, u2;

	(void)state;
	assert_int_equal(add(&k1, HA, "seg", true), 0);
	assert_int_equal(add(&u1, HA, "seg", false), 0); /* a tap */
	assert_false(u1.kernel);
	assert_int_equal(m.uplinks, 1);
	assert_int_equal(m.ports_open, 1);
	assert_int_equal(m.ports_started, 1);
	assert_int_equal(add(&k2, HA, "seg", true), 0);
	assert_int_equal(add(&u2, HA, "seg", false), 0);
	assert_int_equal(m.uplinks, 1); /* still the one */
	del(&k1);
	del(&k2);
	assert_int_equal(m.ports_open, 0); /* no kernel member: closed */
	assert_int_equal(add(&k1, HA, "seg", true), 0);
	assert_int_equal(m.uplinks, 2); /* the switch came first this time */
	assert_int_equal(m.ports_open, 1);
	del(&u1);
	assert_int_equal(m.ports_open, 1);
	del(&u2);
	assert_int_equal(m.ports_open, 0);
	del(&k1);
	assert_int_equal(m.delstacks, 5);
}

/* test_a_member_the_helper_could_not_join_counts_as_a_switch_member -
 * a bridged request answered with a descriptor (full bridge). */
static void test_a_member_the_helper_could_not_join_counts_as_a_switch_member(
	void **state)
{
	struct st k, f;

	(void)state;
	assert_int_equal(add(&k, HA, "seg", true), 0);
	m.join = false;
	assert_int_equal(add(&f, HA, "seg", true), 0);
	assert_false(f.kernel);
	assert_int_equal(m.ports_open, 1);
	del(&f);
	del(&k);
	assert_int_equal(m.ports_open, 0);
}

/* test_segments_of_other_keys_and_helpers_are_apart */
static void test_segments_of_other_keys_and_helpers_are_apart(void **state)
{
	struct st a, b, c;

	(void)state;
	assert_int_equal(add(&a, HA, "seg", true), 0);
	assert_int_equal(add(&b, HA, "other", false), 0);
	assert_int_equal(add(&c, HB, "seg", false), 0);
	assert_int_equal(m.uplinks, 0);
	assert_ptr_not_equal(a.seg, b.seg);
	assert_ptr_not_equal(a.seg, c.seg);
	del(&a);
	del(&b);
	del(&c);
}

/* test_a_failed_uplink_fails_the_stack_and_deletes_it */
static void test_a_failed_uplink_fails_the_stack_and_deletes_it(void **state)
{
	struct st k, u;

	(void)state;
	assert_int_equal(add(&k, HA, "seg", true), 0);
	m.uplink_err = -EMFILE;
	assert_int_equal(add(&u, HA, "seg", false), -EMFILE);
	assert_int_equal(m.delstacks, 1);
	assert_int_equal(m.last_del, m.next_id);
	assert_int_equal(m.ports_open, 0);
	m.uplink_err = 0;
	assert_int_equal(add(&u, HA, "seg", false), 0); /* tried again */
	assert_int_equal(m.ports_open, 1);
	del(&u);
	del(&k);
	assert_int_equal(m.ports_open, 0);
}

/* test_allocation_failures_fail_cleanly - every allocation of a join
 * that needs an entry and an uplink, failed in turn. */
static void test_allocation_failures_fail_cleanly(void **state)
{
	struct st k, u;
	int err = -ENOMEM;

	(void)state;
	for (unsigned long n = 1; err == -ENOMEM; n++) {
		assert_int_equal(add(&k, HA, "seg", true), 0);
		vds_alloc_fail_at(n);
		err = add(&u, HA, "seg", false);
		vds_alloc_fail_at(0);
		if (err == 0)
			del(&u);
		del(&k);
		assert_true(err == 0 || err == -ENOMEM);
		assert_int_equal(m.ports_open, 0);
		assert_int_equal(m.live_stacks, 0); /* every stack made went */
	}
}

/* test_vdestack_bridge_takes_on_off_auto */
static void test_vdestack_bridge_takes_on_off_auto(void **state)
{
	(void)state;
	assert_int_equal(vds_kseg_allowed(NULL), 1);
	assert_int_equal(vds_kseg_allowed(""), 1);
	assert_int_equal(vds_kseg_allowed("auto"), 1);
	assert_int_equal(vds_kseg_allowed("on"), 1);
	assert_int_equal(vds_kseg_allowed("off"), 0);
	assert_int_equal(vds_kseg_allowed("no"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_the_key_goes_to_the_helper_as_the_backend_gives_it, setup),
		cmocka_unit_test_setup(test_kernel_members_alone_need_no_uplink, setup),
		cmocka_unit_test_setup(test_uplink_lives_exactly_while_both_kinds_are_there, setup),
		cmocka_unit_test_setup(test_a_member_the_helper_could_not_join_counts_as_a_switch_member, setup),
		cmocka_unit_test_setup(test_segments_of_other_keys_and_helpers_are_apart, setup),
		cmocka_unit_test_setup(test_a_failed_uplink_fails_the_stack_and_deletes_it, setup),
		cmocka_unit_test_setup(test_allocation_failures_fail_cleanly, setup),
		cmocka_unit_test(test_vdestack_bridge_takes_on_off_auto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
