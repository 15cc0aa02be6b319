/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * check.c - vdestack --check: everything a stack needs, tried one item at
 * a time, one line each.
 *
 * Theory of operation: the namespaces and the links are tried by
 * vde_stackcheck(3), which runs the helper's own steps in a child and
 * explains a failure (the setting that stops it, and its fix).  Then the
 * real thing through the public API: a stack without a network (the
 * helper starts and makes a stack's namespaces), and two stacks on an
 * in-process segment (mem://) with a datagram from one to the other, so
 * that the link vde_addstack() chose, the frame pump and the segment are
 * all used.  The tap and the veth are alternatives: where one fails and
 * the other works (an unprivileged user and /dev/net/tun at 0600), the
 * failing one is "not available" and the check still passes, unless
 * VDESTACK_LINK asks for that one alone.  The addresses are the stacks'
 * own, on a segment that exists only in this process.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <vdestack.h>

#include "check.h"

/* The bound of the datagram's trip (reached only when it is lost), and
 * how often it is sent again meanwhile (the first may wait for ARP). */
#define CHECK_WAIT_MS 10000
#define CHECK_RESEND_MS 500

/* The two stacks' addresses on their private segment, and the port. */
#define CHECK_IP_A "10.199.0.1"
#define CHECK_IP_B "10.199.0.2"
#define CHECK_PREFIX "/24"
#define CHECK_PORT 9

#define LINE_MAX_LEN 1024

/* What the checks so far found: the first failure's item and line, so
 * that an item failing for the same reason says "as for ..." instead of
 * repeating it. */
struct report {
	FILE *out;
	bool failed;
	const char *first_item;
	char first_line[LINE_MAX_LEN];
};

/* report_fail - the line of item that failed with explanation why. */
static void report_fail(struct report *r, const char *item, const char *why)
{
	if (r->first_item && !strcmp(r->first_line, why)) {
		fprintf(r->out, "%s: FAIL: as for the %s\n", item,
			r->first_item);
	} else {
		fprintf(r->out, "%s: FAIL: %s\n", item, why);
		if (!r->first_item) {
			r->first_item = item;
			snprintf(r->first_line, sizeof(r->first_line), "%s",
				 why);
		}
	}
	r->failed = true;
}

/* try_item - vde_stackcheck(item), reported as item's line unless quiet.
 * Return: true when it works (why: "" then, else the explanation). */
static bool try_item(int item, char *why, size_t size)
{
	int n = vde_stackcheck(item, why, size);

	if (n < 0)
		snprintf(why, size, "cannot be checked: %s", strerror(errno));
	return n == 0;
}

/* check_namespaces - the user namespace, then the network namespaces. */
static void check_namespaces(struct report *r)
{
	static const struct { int item; const char *name; } items[] = {
		{ VDE_CHECK_USERNS, "user namespace" },
		{ VDE_CHECK_NETNS, "network namespace" },
	};
	char why[LINE_MAX_LEN];

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (try_item(items[i].item, why, sizeof(why)))
			fprintf(r->out, "%s: ok\n", items[i].name);
		else
			report_fail(r, items[i].name, why);
	}
}

/* check_links - the tap and the veth: either may stand in for the other,
 * as far as VDESTACK_LINK allows. */
static void check_links(struct report *r)
{
	const char *link = getenv("VDESTACK_LINK");
	bool tap_only = link && !strcmp(link, "tap");
	bool veth_only = link && !strcmp(link, "veth");
	char tap_why[LINE_MAX_LEN], veth_why[LINE_MAX_LEN];
	bool tap = try_item(VDE_CHECK_TAP, tap_why, sizeof(tap_why));
	bool veth = try_item(VDE_CHECK_VETH, veth_why, sizeof(veth_why));

	if (tap)
		fprintf(r->out, "tap: ok%s\n",
			veth_only ? " (not used: VDESTACK_LINK=veth)" : "");
	else if (veth && !tap_only)
		fprintf(r->out, "tap: not available (%s); veth used\n",
			tap_why);
	else
		report_fail(r, "tap", tap_why);
	if (veth)
		fprintf(r->out, "veth: ok%s\n",
			tap_only ? " (not used: VDESTACK_LINK=tap)" : "");
	else if (tap && !veth_only)
		fprintf(r->out, "veth: not available (%s); tap used\n",
			veth_why);
	else
		report_fail(r, "veth", veth_why);
}

/* check_helper - a stack without a network: the helper starts and makes
 * a stack's namespaces. */
static void check_helper(struct report *r)
{
	struct vdestack *s = vde_addstack("", NULL);
	char why[LINE_MAX_LEN];

	if (s) {
		vde_delstack(s);
		fprintf(r->out, "helper: ok\n");
		return;
	}
	if (vde_stackerror(why, sizeof(why)) <= 0)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	report_fail(r, "helper", why);
}

/* now_ms - the monotonic clock.  Return: milliseconds. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* udp_socket - a UDP socket in stack s bound to ip (port: 0 any).
 * Return: the descriptor, or -1 with errno. */
static int udp_socket(struct vdestack *s, const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* datagram - send from stack b to stack a until it arrives (bounded).
 * Return: 0, or an errno (ETIMEDOUT: it never came). */
static int datagram(struct vdestack *a, struct vdestack *b)
{
	static const char msg[] = "vdestack --check";
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(CHECK_PORT) };
	int rx = udp_socket(a, CHECK_IP_A, CHECK_PORT), tx = -1, err = 0;
	long long end = now_ms() + CHECK_WAIT_MS;
	char got[sizeof(msg)];

	inet_pton(AF_INET, CHECK_IP_A, &to.sin_addr);
	if (rx >= 0)
		tx = udp_socket(b, CHECK_IP_B, 0);
	if (rx < 0 || tx < 0)
		err = errno;
	while (!err) {
		struct pollfd p = { .fd = rx, .events = POLLIN };

		if (now_ms() >= end) {
			err = ETIMEDOUT;
			break;
		}
		sendto(tx, msg, sizeof(msg), 0, (struct sockaddr *)&to,
		       sizeof(to));
		if (poll(&p, 1, CHECK_RESEND_MS) > 0 &&
		    recv(rx, got, sizeof(got), 0) == (ssize_t)sizeof(msg) &&
		    !memcmp(got, msg, sizeof(msg)))
			break;
	}
	if (rx >= 0)
		close(rx);
	if (tx >= 0)
		close(tx);
	return err;
}

/* make_stack - a stack on url with address ip; why on failure.
 * Return: the stack, or NULL. */
static struct vdestack *make_stack(const char *url, const char *ip,
				   char *why, size_t size)
{
	struct vdestack *s = vde_addstack((char *)url, NULL);
	char conf[64];

	if (!s) {
		if (vde_stackerror(why, size) <= 0)
			snprintf(why, size, "%s", strerror(errno));
		return NULL;
	}
	snprintf(conf, sizeof(conf), "ip=%s%s", ip, CHECK_PREFIX);
	if (vde_stackconf(s, conf) < 0) {
		snprintf(why, size, "configuring %s: %s", conf,
			 strerror(errno));
		vde_delstack(s);
		return NULL;
	}
	return s;
}

/* check_stack - two stacks on a segment of this process, and a datagram
 * between them. */
static void check_stack(struct report *r)
{
	char url[64], why[LINE_MAX_LEN];
	struct vdestack *a, *b = NULL;
	int err;

	snprintf(url, sizeof(url), "mem://vdestack-check-%ld", (long)getpid());
	a = make_stack(url, CHECK_IP_A, why, sizeof(why));
	if (a)
		b = make_stack(url, CHECK_IP_B, why, sizeof(why));
	if (!b) {
		vde_delstack(a);
		report_fail(r, "stack", why);
		return;
	}
	err = datagram(a, b);
	vde_delstack(b);
	vde_delstack(a);
	if (err) {
		snprintf(why, sizeof(why), "a datagram between two stacks on "
			 "%s: %s", url, strerror(err));
		report_fail(r, "stack", why);
		return;
	}
	fprintf(r->out, "stack: ok (two stacks on mem://, a datagram "
		"between them)\n");
}

/* vdestack_check - every item (see check.h).  Return: 0 or 1. */
int vdestack_check(FILE *out)
{
	struct report r = { .out = out };

	check_namespaces(&r);
	check_links(&r);
	check_helper(&r);
	check_stack(&r);
	fflush(out);
	return r.failed ? 1 : 0;
}
