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

/* Word vectors as cmdline.c packs them (host order: little-endian here). */
static const char cmds[] = "\2\0/bin/ip\0a\0\1\0/bin/true\0";
static const char argv_w[] = "\2\0/bin/sh\0-c\0";
static const char envp_w[] = "\1\0A=1\0";
static const char no_env[] = "\0\0";
#define W(s) { .buf = s, .len = sizeof(s) - 1 }

/* vde_stackspawn_resolv's binds: a path, then a content */
static const char binds_ok[] =
	"\4\0/tmp/r\0/etc/resolv.conf\0=nameserver ::1\n\0/etc/hosts\0";

/* round_trip - pack req, unpack it as the helper does (nfds descriptors
 * came with it).  Return: vds_proto_unpack's result; *out decoded. */
static int round_trip(const struct vds_req *req, unsigned nfds,
		      struct vds_req *out, char *buf, size_t size)
{
	ssize_t n = vds_proto_pack(req, buf, size);

	assert_true(n > 0 && (size_t)n <= size);
	return vds_proto_unpack(buf, (size_t)n, nfds, out);
}

/* test_proto_every_request_survives_pack_and_unpack - each op's fields,
 * keep and the id; pointers of the decoded request point into the
 * message. */
static void test_proto_every_request_survives_pack_and_unpack(void **state)
{
	char buf[512];
	struct vds_req out;
	struct vds_req ns = {
		.op = VDS_OP_NEWSTACK, .keep = true,
		.newstack = { .flags = VDS_NEWSTACK_TAP | VDS_NEWSTACK_BRIDGE |
				       VDS_NEWSTACK_LINK_VETH,
			      .mtu = 65520, .ifname = "vde0", .key = "mem:seg" },
	};
	struct vds_req sock = {
		.op = VDS_OP_SOCKET, .id = 7,
		.socket = { .domain = -1, .type = 2, .protocol = 0x7fffffff },
	};
	struct vds_req cmd = {
		.op = VDS_OP_CMD, .id = 3,
		.cmd = { .stdio = 5, .pgid = 1234, .cmds = W(cmds) },
	};
	struct vds_req sp = {
		.op = VDS_OP_SPAWN, .id = 9,
		.spawn = { .stdio = 7, .pgid = 42, .argv = W(argv_w),
			   .envp = W(envp_w) },
	};
	struct vds_req up = {
		.op = VDS_OP_UPLINK,
		.uplink = { .flags = VDS_NEWSTACK_VNET, .key = "k" },
	};
	struct vds_req del = { .op = VDS_OP_DELSTACK, .id = 5 };

	assert_int_equal(round_trip(&ns, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.op, VDS_OP_NEWSTACK);
	assert_true(out.keep);
	assert_int_equal(out.newstack.flags, ns.newstack.flags);
	assert_int_equal(out.newstack.mtu, 65520);
	assert_string_equal(out.newstack.ifname, "vde0");
	assert_string_equal(out.newstack.key, "mem:seg");
	assert_true(out.newstack.key > buf && out.newstack.key < buf + sizeof(buf));
	ns.newstack.flags = VDS_NEWSTACK_TAP; /* no key: none comes */
	ns.newstack.key = NULL;
	ns.keep = false;
	assert_int_equal(round_trip(&ns, 0, &out, buf, sizeof(buf)), 0);
	assert_null(out.newstack.key);
	assert_false(out.keep);

	assert_int_equal(round_trip(&sock, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.id, 7);
	assert_int_equal(out.socket.domain, -1);
	assert_int_equal(out.socket.type, 2);
	assert_int_equal(out.socket.protocol, 0x7fffffff);

	assert_int_equal(round_trip(&cmd, 2, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.id, 3);
	assert_int_equal(out.cmd.stdio, 5);
	assert_int_equal(out.cmd.pgid, 1234);
	assert_int_equal(out.cmd.cmds.len, sizeof(cmds) - 1);
	assert_memory_equal(out.cmd.cmds.buf, cmds, sizeof(cmds) - 1);

	assert_int_equal(round_trip(&sp, 3, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.spawn.pgid, 42);
	assert_int_equal(out.spawn.argv.len, sizeof(argv_w) - 1);
	assert_memory_equal(out.spawn.argv.buf, argv_w, sizeof(argv_w) - 1);
	assert_int_equal(out.spawn.envp.len, sizeof(envp_w) - 1);
	assert_memory_equal(out.spawn.envp.buf, envp_w, sizeof(envp_w) - 1);
	sp.spawn.binds = (struct vds_req_words)W(binds_ok);
	assert_int_equal(round_trip(&sp, 3, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.spawn.envp.len, sizeof(envp_w) - 1);
	assert_int_equal(out.spawn.binds.len, sizeof(binds_ok) - 1);
	assert_memory_equal(out.spawn.binds.buf, binds_ok,
			    sizeof(binds_ok) - 1);
	sp.spawn.binds = (struct vds_req_words){ 0 };
	sp.spawn.envp = (struct vds_req_words)W(no_env);
	sp.spawn.stdio = 0;
	assert_int_equal(round_trip(&sp, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.spawn.envp.len, 2);

	assert_int_equal(round_trip(&up, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.uplink.flags, VDS_NEWSTACK_VNET);
	assert_string_equal(out.uplink.key, "k");

	assert_int_equal(round_trip(&del, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.op, VDS_OP_DELSTACK);
	assert_int_equal(out.id, 5);
}

/* test_proto_pack_writes_nothing_unless_the_message_fits - as snprintf:
 * the length needed comes back, the buffer is untouched. */
static void test_proto_pack_writes_nothing_unless_the_message_fits(void **state)
{
	struct vds_req cmd = {
		.op = VDS_OP_CMD, .id = 3,
		.cmd = { .stdio = 0, .cmds = W(cmds) },
	};
	char big[256], small[16];
	ssize_t n = vds_proto_pack(&cmd, big, sizeof(big));

	assert_true(n > (ssize_t)sizeof(small));
	memset(small, 0x5a, sizeof(small));
	assert_int_equal(vds_proto_pack(&cmd, small, sizeof(small)), n);
	for (size_t i = 0; i < sizeof(small); i++)
		assert_int_equal((unsigned char)small[i], 0x5a);
	assert_int_equal(vds_proto_pack(&cmd, NULL, 0), n);
}

/* test_proto_pack_refuses_more_than_a_message_with_e2big - the largest
 * message packs, one byte more does not; an unknown op is EINVAL. */
static void test_proto_pack_refuses_more_than_a_message_with_e2big(void **state)
{
	char *words = calloc(1, VDS_MSG_MAX);
	struct vds_req sp = {
		.op = VDS_OP_SPAWN,
		.spawn = { .argv = W(argv_w) },
	};
	struct vds_req bad = { .op = VDS_OP_COUNT };
	ssize_t base, n;

	assert_non_null(words);
	sp.spawn.envp = (struct vds_req_words){ .buf = words, .len = 0 };
	base = vds_proto_pack(&sp, NULL, 0);
	assert_true(base > 0);
	sp.spawn.envp.len = VDS_MSG_MAX - (size_t)base;
	n = vds_proto_pack(&sp, NULL, 0);
	assert_int_equal(n, VDS_MSG_MAX);
	sp.spawn.envp.len++;
	assert_int_equal(vds_proto_pack(&sp, NULL, 0), -E2BIG);
	assert_int_equal(vds_proto_pack(&bad, NULL, 0), -EINVAL);
	bad.op = 0;
	assert_int_equal(vds_proto_pack(&bad, NULL, 0), -EINVAL);
	free(words);
}

/* test_proto_unpack_refuses_bad_lengths_with_ebadmsg - shorter than a
 * header, cut short, a byte too many. */
static void test_proto_unpack_refuses_bad_lengths_with_ebadmsg(void **state)
{
	struct vds_req cmd = {
		.op = VDS_OP_CMD, .cmd = { .cmds = W(cmds) },
	};
	struct vds_req out;
	char buf[256] = { 0 };
	ssize_t n = vds_proto_pack(&cmd, buf, sizeof(buf) - 1);

	assert_true(n > 0);
	assert_int_equal(vds_proto_unpack(buf, (size_t)n, 0, &out), 0);
	for (size_t len = 0; len < (size_t)n; len++)
		if (vds_proto_unpack(buf, len, 0, &out) != -EBADMSG)
			fail_msg("length %zu of %zd accepted", len, n);
	assert_int_equal(vds_proto_unpack(buf, (size_t)n + 1, 0, &out),
			 -EBADMSG);
	assert_int_equal(vds_proto_unpack(buf, VDS_MSG_MAX + 1, 0, &out),
			 -EBADMSG);
}

/* test_proto_unpack_checks_the_descriptors_against_the_op - CMD and SPAWN
 * carry as many as their mask says, the others none. */
static void test_proto_unpack_checks_the_descriptors_against_the_op(void **state)
{
	struct vds_req cmd = {
		.op = VDS_OP_CMD, .cmd = { .stdio = 5, .cmds = W(cmds) },
	};
	struct vds_req sock = { .op = VDS_OP_SOCKET, .id = 1 };
	struct vds_req out;
	char buf[256];

	assert_int_equal(round_trip(&cmd, 2, &out, buf, sizeof(buf)), 0);
	assert_int_equal(round_trip(&cmd, 1, &out, buf, sizeof(buf)), -EBADMSG);
	assert_int_equal(round_trip(&cmd, 3, &out, buf, sizeof(buf)), -EBADMSG);
	cmd.cmd.stdio = 8; /* only 0, 1 and 2 */
	assert_int_equal(round_trip(&cmd, 1, &out, buf, sizeof(buf)), -EBADMSG);
	assert_int_equal(round_trip(&sock, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(round_trip(&sock, 1, &out, buf, sizeof(buf)), -EBADMSG);
}

/* A request that packs but that the helper must refuse. */
struct bad_case {
	const char *name;
	struct vds_req req;
	int want;
};

static const char relative_cmd[] = "\1\0ip\0";
static const char empty_cmd[] = "\0\0";
static const char short_cmd[] = "\2\0/bin/ip\0";
static const char relative_argv[] = "\1\0sh\0";
static const char two_envs[] = "\1\0A=1\0\1\0B=2\0";
/* vde_stackspawn_resolv's binds: pairs of a source and a target */
static const char binds_odd[] = "\3\0/a\0/b\0/c\0";
static const char binds_rel_src[] = "\2\0a\0/etc/hosts\0";
static const char binds_rel_dst[] = "\2\0/a\0etc/hosts\0";
static const char binds_text_dst[] = "\2\0/a\0=/etc/hosts\0";
static const char binds_many[] = "\12\0/a\0/b\0/a\0/b\0/a\0/b\0/a\0/b\0"
				 "/a\0/b\0";

static const struct bad_case bad_cases[] = {
	{ "NEWSTACK: a name with '/'", { .op = VDS_OP_NEWSTACK,
	  .newstack = { .ifname = "a/b" } }, -EINVAL },
	{ "NEWSTACK: a name of 16 bytes", { .op = VDS_OP_NEWSTACK,
	  .newstack = { .ifname = "0123456789abcdef" } }, -EINVAL },
	{ "NEWSTACK: an empty name", { .op = VDS_OP_NEWSTACK,
	  .newstack = { .ifname = "" } }, -EINVAL },
	{ "NEWSTACK: BRIDGE without a key", { .op = VDS_OP_NEWSTACK,
	  .newstack = { .flags = VDS_NEWSTACK_BRIDGE, .ifname = "vde0" } },
	  -EBADMSG },
	{ "NEWSTACK: an empty key", { .op = VDS_OP_NEWSTACK,
	  .newstack = { .ifname = "vde0", .key = "" } }, -EBADMSG },
	{ "CMD: no command", { .op = VDS_OP_CMD,
	  .cmd = { .cmds = { .buf = "", .len = 0 } } }, -EBADMSG },
	{ "CMD: a relative program", { .op = VDS_OP_CMD,
	  .cmd = { .cmds = W(relative_cmd) } }, -EBADMSG },
	{ "CMD: an empty command", { .op = VDS_OP_CMD,
	  .cmd = { .cmds = W(empty_cmd) } }, -EBADMSG },
	{ "CMD: fewer words than counted", { .op = VDS_OP_CMD,
	  .cmd = { .cmds = W(short_cmd) } }, -EBADMSG },
	{ "SPAWN: a relative program", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(relative_argv), .envp = W(no_env) } },
	  -EBADMSG },
	{ "SPAWN: an empty argv", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(no_env), .envp = W(no_env) } }, -EBADMSG },
	{ "SPAWN: no envp", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(argv_w) } }, -EBADMSG },
	{ "SPAWN: a third vector", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(argv_w), .envp = W(two_envs) } }, -EBADMSG },
	{ "SPAWN: binds, an odd number", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(argv_w), .envp = W(no_env),
		     .binds = W(binds_odd) } }, -EBADMSG },
	{ "SPAWN: binds, a relative source", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(argv_w), .envp = W(no_env),
		     .binds = W(binds_rel_src) } }, -EBADMSG },
	{ "SPAWN: binds, a relative target", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(argv_w), .envp = W(no_env),
		     .binds = W(binds_rel_dst) } }, -EBADMSG },
	{ "SPAWN: binds, a content as target", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(argv_w), .envp = W(no_env),
		     .binds = W(binds_text_dst) } }, -EBADMSG },
	{ "SPAWN: binds, more than the limit", { .op = VDS_OP_SPAWN,
	  .spawn = { .argv = W(argv_w), .envp = W(no_env),
		     .binds = W(binds_many) } }, -EBADMSG },
	{ "UPLINK: no key", { .op = VDS_OP_UPLINK }, -EBADMSG },
	{ "UPLINK: flags other than VNET", { .op = VDS_OP_UPLINK,
	  .uplink = { .flags = VDS_NEWSTACK_TAP, .key = "k" } }, -EBADMSG },
};

/* test_proto_unpack_refuses_malformed_requests - each case packs, and is
 * refused with its errno. */
static void test_proto_unpack_refuses_malformed_requests(void **state)
{
	for (size_t i = 0; i < VDS_ARRAY_SIZE(bad_cases); i++) {
		struct vds_req out;
		char buf[256];
		ssize_t n = vds_proto_pack(&bad_cases[i].req, buf, sizeof(buf));
		int err;

		if (n <= 0)
			fail_msg("%s: does not pack (%zd)", bad_cases[i].name, n);
		err = vds_proto_unpack(buf, (size_t)n, 0, &out);
		if (err != bad_cases[i].want)
			fail_msg("%s: %d, want %d", bad_cases[i].name, err,
				 bad_cases[i].want);
	}
}

/* test_proto_delstack_takes_at_most_one_descriptor - DELSTACK may bring
 * the application's copy of the stack's interface (for the helper's
 * worker to close), and nothing more. */
static void test_proto_delstack_takes_at_most_one_descriptor(void **state)
{
	struct vds_req del = { .op = VDS_OP_DELSTACK, .id = 3 }, out;
	char buf[64];
	ssize_t n = vds_proto_pack(&del, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(vds_proto_unpack(buf, (size_t)n, 0, &out), 0);
	assert_int_equal(vds_proto_unpack(buf, (size_t)n, 1, &out), 0);
	assert_int_equal(out.op, VDS_OP_DELSTACK);
	assert_int_equal(out.id, 3);
	assert_int_equal(vds_proto_unpack(buf, (size_t)n, 2, &out), -EBADMSG);
}

/* test_proto_unpack_refuses_an_unknown_op_with_eopnotsupp - a message
 * of another op: the header of a DELSTACK with the op changed. */
static void test_proto_unpack_refuses_an_unknown_op_with_eopnotsupp(void **state)
{
	struct vds_req del = { .op = VDS_OP_DELSTACK, .id = 1 }, out;
	char buf[64];
	ssize_t n = vds_proto_pack(&del, buf, sizeof(buf));
	uint32_t op;

	assert_true(n >= (ssize_t)sizeof(op));
	for (op = 0; op < 0x100; op += op < 16 ? 1 : 37) {
		if (vds_proto_op(op))
			continue;
		memcpy(buf, &op, sizeof(op)); /* the header starts with it */
		assert_int_equal(vds_proto_unpack(buf, (size_t)n, 0, &out),
				 -EOPNOTSUPP);
	}
}

/* test_proto_table_says_who_answers_and_what_may_be_cached - the helper
 * answers NEWSTACK, DELSTACK, SOCKET (cached) and UPLINK; a runner CMD,
 * a spawner SPAWN, neither on a cached channel. */
static void test_proto_table_says_who_answers_and_what_may_be_cached(void **state)
{
	static const struct {
		unsigned op;
		enum vds_answerer by;
		bool cached;
	} want[] = {
		{ VDS_OP_NEWSTACK, VDS_BY_HELPER, true },
		{ VDS_OP_DELSTACK, VDS_BY_HELPER, true },
		{ VDS_OP_SOCKET, VDS_BY_HELPER, true },
		{ VDS_OP_UPLINK, VDS_BY_HELPER, false },
		{ VDS_OP_CMD, VDS_BY_RUNNER, false },
		{ VDS_OP_SPAWN, VDS_BY_SPAWNER, false },
		{ VDS_OP_ADDIF, VDS_BY_HELPER, true },
		{ VDS_OP_DELIF, VDS_BY_HELPER, true },
		{ VDS_OP_SYSCTL, VDS_BY_HELPER, true },
	};

	for (size_t i = 0; i < VDS_ARRAY_SIZE(want); i++) {
		const struct vds_op_info *op = vds_proto_op(want[i].op);

		assert_non_null(op);
		assert_non_null(op->name);
		assert_int_equal(op->by, want[i].by);
		assert_int_equal(op->cached, want[i].cached);
	}
	assert_null(vds_proto_op(0));
	assert_null(vds_proto_op(VDS_OP_COUNT));
	assert_null(vds_proto_op(0x7f));
}

/* test_proto_addif_delif_sysctl_survive_pack_and_unpack - ADDIF is
 * NEWSTACK's form with a stack id; DELIF an interface name; SYSCTL a path
 * and a value, pointing into the message. */
static void test_proto_addif_delif_sysctl_survive_pack_and_unpack(void **state)
{
	char buf[512];
	struct vds_req out;
	struct vds_req add = {
		.op = VDS_OP_ADDIF, .id = 12,
		.addif = { .flags = VDS_NEWSTACK_TAP | VDS_NEWSTACK_BRIDGE |
				    VDS_NEWSTACK_LINK_VETH | VDS_NEWSTACK_VNET,
			   .mtu = 9000, .ifname = "vde1", .key = "mem:B" },
	};
	struct vds_req del = { .op = VDS_OP_DELIF, .id = 12,
			       .delif = { .ifname = "eth.10" } };
	struct vds_req sc = {
		.op = VDS_OP_SYSCTL, .id = 4,
		.sysctl = { .path = "net/ipv6/conf/vde1.10/forwarding",
			    .value = "1" },
	};

	assert_int_equal(round_trip(&add, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.op, VDS_OP_ADDIF);
	assert_int_equal(out.id, 12);
	assert_int_equal(out.addif.flags, add.addif.flags);
	assert_int_equal(out.addif.mtu, 9000);
	assert_string_equal(out.addif.ifname, "vde1");
	assert_string_equal(out.addif.key, "mem:B");
	add.addif.key = NULL;
	add.addif.flags = VDS_NEWSTACK_TAP;
	assert_int_equal(round_trip(&add, 0, &out, buf, sizeof(buf)), 0);
	assert_null(out.addif.key);

	assert_int_equal(round_trip(&del, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.op, VDS_OP_DELIF);
	assert_int_equal(out.id, 12);
	assert_string_equal(out.delif.ifname, "eth.10");
	assert_true(out.delif.ifname > buf &&
		    out.delif.ifname < buf + sizeof(buf));

	assert_int_equal(round_trip(&sc, 0, &out, buf, sizeof(buf)), 0);
	assert_int_equal(out.op, VDS_OP_SYSCTL);
	assert_int_equal(out.id, 4);
	assert_string_equal(out.sysctl.path, "net/ipv6/conf/vde1.10/forwarding");
	assert_string_equal(out.sysctl.value, "1");
	assert_true(out.sysctl.value > out.sysctl.path);
}

/* test_proto_new_ops_refuse_what_the_helper_must_not_act_on - bad names
 * (-EINVAL), SYSCTL paths outside net/ or climbing out of it, bad values
 * (-EINVAL), a SYSCTL without its value, any descriptor, an ADDIF asking
 * for a bridge with no key (-EBADMSG). */
static void test_proto_new_ops_refuse_what_the_helper_must_not_act_on(void **state)
{
	static const struct {
		const char *path, *value;
	} bad_sysctl[] = {
		{ "kernel/hostname", "x" }, { "net", "1" }, { "net/", "1" },
		{ "net/ipv4/../../kernel/x", "1" }, { "net/./ipv4", "1" },
		{ "net//ipv4/ip_forward", "1" }, { "net/ipv4/ip_forward/", "1" },
		{ "net/ipv4/ip\nforward", "1" }, { "net/ipv4/ip_forward", "1\n" },
		{ "net/ipv4/ip_forward", "\x80" },
		{ "/net/ipv4/ip_forward", "1" },
	};
	struct vds_req out;
	char buf[512];
	struct vds_req del = { .op = VDS_OP_DELIF, .id = 1,
			       .delif = { .ifname = "a/b" } };
	struct vds_req add = {
		.op = VDS_OP_ADDIF, .id = 1,
		.addif = { .flags = VDS_NEWSTACK_BRIDGE, .ifname = "vde1" },
	};
	struct vds_req sc = { .op = VDS_OP_SYSCTL, .id = 1 };

	assert_int_equal(round_trip(&del, 0, &out, buf, sizeof(buf)), -EINVAL);
	del.delif.ifname = "sixteen-bytes-xx";
	assert_int_equal(round_trip(&del, 0, &out, buf, sizeof(buf)), -EINVAL);
	del.delif.ifname = "vde1";
	assert_int_equal(round_trip(&del, 1, &out, buf, sizeof(buf)), -EBADMSG);
	assert_int_equal(round_trip(&add, 0, &out, buf, sizeof(buf)), -EBADMSG);
	add.addif.ifname = "..";
	add.addif.flags = 0;
	assert_int_equal(round_trip(&add, 0, &out, buf, sizeof(buf)), -EINVAL);
	for (size_t i = 0; i < VDS_ARRAY_SIZE(bad_sysctl); i++) {
		sc.sysctl.path = bad_sysctl[i].path;
		sc.sysctl.value = bad_sysctl[i].value;
		if (round_trip(&sc, 0, &out, buf, sizeof(buf)) != -EINVAL)
			fail_msg("sysctl %s=%s accepted", sc.sysctl.path,
				 sc.sysctl.value);
		assert_int_equal(vds_sysctl_check(sc.sysctl.path,
						  sc.sysctl.value), -EINVAL);
	}
	sc.sysctl.path = "net/ipv4/ip_forward";
	sc.sysctl.value = "";
	assert_int_equal(round_trip(&sc, 0, &out, buf, sizeof(buf)), -EBADMSG);
	sc.sysctl.value = NULL; /* the path alone */
	assert_int_equal(round_trip(&sc, 0, &out, buf, sizeof(buf)), -EBADMSG);
	sc.sysctl.value = "1";
	assert_int_equal(round_trip(&sc, 1, &out, buf, sizeof(buf)), -EBADMSG);
	assert_int_equal(vds_sysctl_check("net/ipv4/ip_forward", "1"), 0);
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

/* same_file - whether two descriptors name the same open file's inode.
 * Return: true when they do. */
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

/* test_proto_spawner_channel_carries_kill_requests_and_one_status -
 * and reads the end of the channel as such. */
static void test_proto_spawner_channel_carries_kill_requests_and_one_status(void **state)
{
	int sv[2], sig = 0, ws = 0;
	char junk[3] = "abc";

	seqpacket(sv);
	assert_int_equal(vds_proto_kill_send(sv[0], 15), 0);
	assert_int_equal(vds_proto_kill_recv(sv[1], &sig), 1);
	assert_int_equal(sig, 15);
	assert_int_equal(vds_proto_send(sv[0], junk, sizeof(junk), NULL, 0), 0);
	assert_int_equal(vds_proto_kill_recv(sv[1], &sig), -EBADMSG);
	assert_int_equal(vds_proto_status_send(sv[1], 0x0900), 0);
	assert_int_equal(vds_proto_status_recv(sv[0], &ws), 0);
	assert_int_equal(ws, 0x0900);
	assert_int_equal(vds_proto_send(sv[1], junk, sizeof(junk), NULL, 0), 0);
	assert_int_equal(vds_proto_status_recv(sv[0], &ws), -EBADMSG);
	close(sv[1]);
	assert_int_equal(vds_proto_status_recv(sv[0], &ws), -ESRCH);
	assert_int_equal(vds_proto_kill_send(sv[0], 9), -EPIPE);
	close(sv[0]);
	seqpacket(sv);
	close(sv[0]);
	assert_int_equal(vds_proto_kill_recv(sv[1], &sig), 0);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_recv_flags_without_cloexec_gives_inheritable_descriptors),
		cmocka_unit_test(test_proto_every_request_survives_pack_and_unpack),
		cmocka_unit_test(test_proto_pack_writes_nothing_unless_the_message_fits),
		cmocka_unit_test(test_proto_pack_refuses_more_than_a_message_with_e2big),
		cmocka_unit_test(test_proto_unpack_refuses_bad_lengths_with_ebadmsg),
		cmocka_unit_test(test_proto_unpack_checks_the_descriptors_against_the_op),
		cmocka_unit_test(test_proto_unpack_refuses_malformed_requests),
		cmocka_unit_test(test_proto_unpack_refuses_an_unknown_op_with_eopnotsupp),
		cmocka_unit_test(test_proto_delstack_takes_at_most_one_descriptor),
		cmocka_unit_test(test_proto_table_says_who_answers_and_what_may_be_cached),
		cmocka_unit_test(test_proto_addif_delif_sysctl_survive_pack_and_unpack),
		cmocka_unit_test(test_proto_new_ops_refuse_what_the_helper_must_not_act_on),
		cmocka_unit_test(test_proto_spawner_channel_carries_kill_requests_and_one_status),
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
