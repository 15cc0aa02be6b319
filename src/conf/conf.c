/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conf.c - vde_stackconf(3) and vde_stackresolv(3): configure a stack
 * in-process from a configuration string, and give its DNS data as
 * resolv.conf text.
 *
 * Theory of operation: the string is parsed whole first (conf_parse.c),
 * so that a malformed one changes nothing; the interface it names is
 * looked up next, still changing nothing.  Then the steps are applied in
 * a fixed order, each one through sockets of the stack made by the
 * helper (vde_msocket): rtnetlink (netconf.c) for links, addresses and
 * routes, an AF_PACKET socket for DHCPv4 (dhcp.c), a raw ICMPv6 socket
 * for router discovery (ndisc.c).  The order, which vde_stackconf(3)
 * documents because a failure leaves the steps before it applied:
 *
 *   1. lo up; forward (IPv4 and IPv6 forwarding, through the helper);
 *   2. the interface: MAC address, MTU, up (one request);
 *   3. ip= addresses, in the order given;
 *   4. dhcp: lease, then its address, MTU and default route;
 *   5. rd: router solicitation, advertisement, SLAAC addresses ready;
 *   6. gw= default routes (they replace a default of the same family,
 *      so a gw= wins over the router that DHCP or an RA gave);
 *   7. DNS data: recorded only when everything else succeeded; for
 *      dns=host first the forwards of the host's loopback servers.
 *
 * "auto" depends on the stack's backend, known by its URL: on slirp://
 * it is eth + dhcp (libslirp's DHCP server; IPv6 comes from the kernel's
 * own autoconfiguration with libslirp's advertisements, in the
 * background), on a stack without a network only lo, anywhere else the
 * interface up.
 *
 * The DNS data of a stack hangs off the stack (stack.c keeps the pointer
 * and frees it); one process-wide lock serialises its readers and
 * writers.
 *
 * dns=host (hostdns.c reads the file): a program in the stack that reads
 * the host's resolv.conf must find its servers there.  A loopback server
 * (127.0.0.0/8, ::1) would be the stack's own lo, so for each one this
 * file adds a udp-ns: and a tcp-ns: forward (vde_stackfwd, src/fwd) from
 * that address, port 53, inside the stack, where lo has all of
 * 127.0.0.0/8 and ::1, to the same address on the host: a stack without
 * a network has lo too.  All the file's servers and its search list are
 * then recorded as the stack's, so vde_stackresolv() gives a file that
 * works inside the stack; "host" says that this is the host's file
 * alone, so that vde_stackspawn_resolv() may leave the host's own file
 * (with its options) in place.  The file is read once per call: a later
 * change on the host is seen by the next dns=host call, which adds the
 * forwards of new loopback servers and removes those of servers gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "conf_parse.h"
#include "dhcp.h"
#include "hostdns.h"
#include "ndisc.h"
#include "netconf.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/internal.h"
#include "core/stack.h"

#define LOOPBACK_INDEX 1        /* lo, in every network namespace */
#define SLAAC_POLL_MS 50

#define DNS_PORT 53
#define FWD_SPEC_MAX 128        /* "tcp-ns:[ADDR]:53:[ADDR]:53" */

static pthread_mutex_t dns_lock = PTHREAD_MUTEX_INITIALIZER;
/* Held across a dns=host call's forwards and its record, so that two
 * calls on one stack do not cross. */
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;

/* The DNS data a stack keeps, in its slot VDS_SLOT_CONF. */
struct stack_dns {
	struct vds_dns dns;
	bool host;       /* dns holds the host's file alone (dns=host) */
	unsigned nfwds;  /* loopback servers forwarded by dns=host */
	struct vds_ipaddr fwds[VDS_CONF_MAX_DNS];
};

/* A vde_stackconf call in progress. */
struct apply {
	struct vdestack *stack;
	struct vds_conf *conf;
	struct vds_rtnl *nl;      /* the stack's rtnetlink socket */
	struct vds_link link;     /* the interface (index 0: none) */
	char scope[16];           /* its name, for link-local DNS servers */
	struct vds_dns learned;   /* from DHCP and RAs */
	struct vds_dns host;      /* dns=host: the host's resolv.conf */
	unsigned nadded;          /* its loopback servers forwarded now */
	struct vds_ipaddr added[VDS_CONF_MAX_DNS];
	int64_t deadline;         /* of dhcp and rd together */
};

/* stack_dns - the slot of the stack's DNS data (NULL until set; dns_lock
 * held).  Return: its address. */
static struct stack_dns **stack_dns(struct vdestack *s)
{
	return (struct stack_dns **)vds_stack_slot(s, VDS_SLOT_CONF);
}

/* stack_gone - the gone hook: free the stack's DNS data (its dns=host
 * forwards go with the stack's other forwards, src/fwd).  No lock: the
 * stack's last reference is gone, so no call can use it any more (and a
 * forked child may have inherited dns_lock held). */
static void stack_gone(struct vdestack *s)
{
	struct stack_dns **slot = stack_dns(s);

	vds_free(*slot);
	*slot = NULL;
}

/* How stack.c reaches this file: added before the first DNS data. */
static const struct vds_stack_hooks conf_hooks = { .gone = stack_gone };

/* resolve_auto - turn auto, auto4, auto6 into the steps they imply for
 * stack: "auto" is "eth" on a network, "eth,dhcp" on one with a DHCP
 * server. */
static void resolve_auto(struct vds_conf *c, const struct vdestack *stack)
{
	if (c->autos & VDS_CONF_AUTO4)
		c->eth = c->dhcp = true;
	if (c->autos & VDS_CONF_AUTO6)
		c->eth = c->rd = true;
	if (!(c->autos & VDS_CONF_AUTO) || !vds_stack_has_net(stack))
		return;
	c->eth = true;
	if (vds_stack_has_dhcp(stack))
		c->dhcp = true;
}

/* needs_link - whether the configuration touches the interface.
 * Return: true if so. */
static bool needs_link(const struct vds_conf *c)
{
	return c->eth || c->ifname[0] || c->have_mac || c->mtu ||
	       c->naddrs || c->ngws || c->dhcp || c->rd;
}

/* stack_socket - vde_msocket with the -errno convention.
 * Return: the descriptor or -errno. */
static int stack_socket(struct vdestack *stack, int domain, int type,
			int protocol)
{
	int fd = vde_msocket(stack, domain, type | SOCK_CLOEXEC, protocol);

	return fd < 0 ? -errno : fd;
}

/* in_subnet - whether gw is inside addr/prefix (IPv4, network order).
 * Return: true if so. */
static bool in_subnet(struct in_addr gw, struct in_addr addr, int prefix)
{
	uint32_t mask = prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;

	return (gw.s_addr & mask) == (addr.s_addr & mask);
}

/* merge_dns - add what src has to dst (best effort: beyond the limits,
 * the rest is dropped). */
static void merge_dns(struct vds_dns *dst, const struct vds_dns *src)
{
	for (unsigned i = 0; i < src->nservers; i++)
		vds_dns_add_server(dst, &src->servers[i]);
	for (unsigned i = 0; i < src->ndomains; i++)
		vds_dns_add_domain(dst, src->domains[i]);
}

/* do_dhcp - step 4: a lease, applied.  Return: 0 or -errno. */
static int do_dhcp(struct apply *a)
{
	struct vds_dhcp_msg ack;
	struct vds_ipaddr addr = { .family = AF_INET };
	const unsigned char *mac = a->conf->have_mac ? a->conf->mac
						      : a->link.mac;
	int prefix, err, fd;

	fd = stack_socket(a->stack, AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (fd < 0)
		return fd;
	err = vds_dhcp_run(fd, a->link.index, mac, a->deadline, &ack);
	close(fd);
	if (err < 0)
		return err;
	prefix = vds_dhcp_prefix(ack.yiaddr, ack.mask);
	if (prefix < 0)
		prefix = vds_dhcp_prefix(ack.yiaddr, (struct in_addr){ 0 });
	memcpy(addr.addr, &ack.yiaddr, 4);
	addr.prefix = (unsigned)prefix;
	err = vds_nl_addr_add(a->nl, a->link.index, &addr);
	if (err == 0 && ack.mtu && !a->conf->mtu)
		err = vds_nl_link_set(a->nl, a->link.index, NULL, ack.mtu);
	if (err == 0 && ack.nrouters) {
		struct vds_ipaddr gw = { .family = AF_INET, .prefix = 32 };

		memcpy(gw.addr, &ack.routers[0], 4);
		err = vds_nl_route_default(a->nl, a->link.index, &gw,
			!in_subnet(ack.routers[0], ack.yiaddr, prefix));
	}
	if (err == 0)
		merge_dns(&a->learned, &ack.dns);
	return err;
}

/* do_rd - step 5: router discovery, then the kernel's SLAAC address of
 * every autonomous prefix out of duplicate address detection.
 * Return: 0, -ETIMEDOUT, or -errno. */
static int do_rd(struct apply *a)
{
	struct vds_ra ra;
	int err, fd, pfd;

	fd = stack_socket(a->stack, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (fd < 0)
		return fd;
	pfd = stack_socket(a->stack, AF_PACKET, SOCK_DGRAM, htons(ETH_P_IPV6));
	if (pfd < 0) {
		close(fd);
		return pfd;
	}
	err = vds_ndisc_run(fd, pfd, a->link.index, a->deadline, &ra);
	close(pfd);
	close(fd);
	if (err < 0)
		return err;
	for (unsigned i = 0; i < ra.nprefixes; i++) {
		while ((err = vds_nl_addr6_in(a->nl, a->link.index,
					      &ra.prefixes[i])) != 1) {
			if (err < 0)
				return err;
			if (vds_now_ms() >= a->deadline)
				return -ETIMEDOUT;
			poll(NULL, 0, SLAAC_POLL_MS);
		}
	}
	merge_dns(&a->learned, &ra.dns);
	return 0;
}

/* fwd_spec - the vde_stackfwd() spec of proto ("udp-ns", "tcp-ns") for
 * the loopback server srv: from srv port 53 in the stack to the same
 * address and port on the host.  Return: nothing; buf is filled. */
static void fwd_spec(const char *proto, const struct vds_ipaddr *srv,
		     char *buf, size_t size)
{
	char t[INET6_ADDRSTRLEN] = "";
	bool v6 = srv->family == AF_INET6;

	inet_ntop(srv->family, srv->addr, t, sizeof(t));
	snprintf(buf, size, "%s:%s%s%s:%d:%s%s%s:%d", proto, v6 ? "[" : "", t,
		 v6 ? "]" : "", DNS_PORT, v6 ? "[" : "", t, v6 ? "]" : "",
		 DNS_PORT);
}

/* unforward - remove the UDP and TCP forwards of loopback server srv
 * (those that exist). */
static void unforward(struct vdestack *stack, const struct vds_ipaddr *srv)
{
	char spec[FWD_SPEC_MAX];
	int saved = errno;

	fwd_spec("udp-ns", srv, spec, sizeof(spec));
	vde_stackunfwd(stack, spec);
	fwd_spec("tcp-ns", srv, spec, sizeof(spec));
	vde_stackunfwd(stack, spec);
	errno = saved;
}

/* forward - DNS over UDP and TCP to loopback server srv inside the stack
 * reaches srv on the host.  Return: 0 or -errno (nothing added). */
static int forward(struct vdestack *stack, const struct vds_ipaddr *srv)
{
	char spec[FWD_SPEC_MAX];
	int err;

	fwd_spec("udp-ns", srv, spec, sizeof(spec));
	if (vde_stackfwd(stack, spec) < 0)
		return -errno;
	fwd_spec("tcp-ns", srv, spec, sizeof(spec));
	if (vde_stackfwd(stack, spec) == 0)
		return 0;
	err = -errno;
	fwd_spec("udp-ns", srv, spec, sizeof(spec));
	vde_stackunfwd(stack, spec);
	return err;
}

/* ip_in - whether srv is one of the n addresses of list.
 * Return: true if so. */
static bool ip_in(const struct vds_ipaddr *srv,
		  const struct vds_ipaddr *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i].family == srv->family &&
		    !memcmp(list[i].addr, srv->addr, sizeof(srv->addr)))
			return true;
	return false;
}

/* host_forwards - step 7, dns=host: forward each loopback server of the
 * host's file that the stack does not forward yet (the ones it does are
 * in old, n of them).  Return: 0, or -errno with none of this call's
 * forwards left. */
static int host_forwards(struct apply *a, const struct vds_ipaddr *old,
			 unsigned n)
{
	for (unsigned i = 0; i < a->host.nservers; i++) {
		const struct vds_ipaddr *srv = &a->host.servers[i];
		int err;

		if (!vds_ip_is_loopback(srv) || ip_in(srv, old, n))
			continue;
		err = forward(a->stack, srv);
		if (err < 0) {
			while (a->nadded)
				unforward(a->stack, &a->added[--a->nadded]);
			return err;
		}
		a->added[a->nadded++] = *srv;
	}
	return 0;
}

/* new_dns - the stack's DNS data after this call: the servers of this
 * call (given first, then the host's for dns=host, then learned)
 * replace the stack's, each list only when this call has one; the
 * loopback servers forwarded are the host file's (dns=host) or stay.
 * dns_lock held. */
static void new_dns(struct apply *a, const struct stack_dns *old,
		    struct stack_dns *ret)
{
	struct vds_dns now = a->conf->dns;

	if (old)
		*ret = *old;
	merge_dns(&now, &a->host);
	merge_dns(&now, &a->learned);
	if (now.nservers) {
		ret->dns.nservers = now.nservers;
		memcpy(ret->dns.servers, now.servers, sizeof(now.servers));
	}
	if (now.ndomains) {
		ret->dns.ndomains = now.ndomains;
		memcpy(ret->dns.domains, now.domains, sizeof(now.domains));
	}
	if (a->scope[0])
		memcpy(ret->dns.ifname, a->scope, sizeof(ret->dns.ifname));
	if (now.nservers || now.ndomains)
		ret->host = a->conf->dns_host && !a->conf->dns.nservers &&
			    !a->conf->dns.ndomains && !a->learned.nservers &&
			    !a->learned.ndomains;
	if (!a->conf->dns_host)
		return;
	ret->nfwds = 0;
	for (unsigned i = 0; i < a->host.nservers; i++)
		if (vds_ip_is_loopback(&a->host.servers[i]))
			ret->fwds[ret->nfwds++] = a->host.servers[i];
}

/* record_dns - step 7: the forwards of dns=host, then the DNS data of
 * this call recorded (new_dns); the forwards of an earlier dns=host that
 * the host's file no longer names are removed.
 * Return: 0 or -errno (then nothing of this step is left). */
static int record_dns(struct apply *a)
{
	struct stack_dns *dns, **slot, old = { 0 }, now;
	int err;

	if (!a->conf->dns.nservers && !a->conf->dns.ndomains &&
	    !a->learned.nservers && !a->learned.ndomains &&
	    !a->conf->dns_host)
		return 0;
	dns = vds_calloc(1, sizeof(*dns));
	if (!dns)
		return -ENOMEM;
	vds_stack_hooks_add(&conf_hooks);
	pthread_mutex_lock(&dns_lock);
	slot = stack_dns(a->stack);
	if (*slot)
		old = **slot;
	pthread_mutex_unlock(&dns_lock);
	err = a->conf->dns_host ? host_forwards(a, old.fwds, old.nfwds) : 0;
	if (err < 0) {
		vds_free(dns);
		return err;
	}
	pthread_mutex_lock(&dns_lock);
	new_dns(a, *slot, dns);
	vds_free(*slot);
	*slot = dns;
	now = *dns; /* dns may be replaced once the lock is released */
	pthread_mutex_unlock(&dns_lock);
	for (unsigned i = 0; a->conf->dns_host && i < old.nfwds; i++)
		if (!ip_in(&old.fwds[i], now.fwds, now.nfwds))
			unforward(a->stack, &old.fwds[i]);
	return 0;
}

/* set_forward - IPv4 and IPv6 forwarding in the stack on or off, through
 * the helper (an application without privileges cannot write the
 * stack's /proc/sys): net.ipv4.ip_forward, and net.ipv6.conf.all.forwarding
 * unless the stack has no IPv6 at all.  Return: 0 or -errno. */
static int set_forward(struct vdestack *stack, bool on)
{
	const char *v = on ? "1" : "0";
	int err = vds_stack_sysctl(stack, "net/ipv4/ip_forward", v);

	if (err == 0)
		err = vds_stack_sysctl(stack, "net/ipv6/conf/all/forwarding", v);
	return err == -ENOENT ? 0 : err;
}

/* apply - steps 1 to 7 (see Theory of operation).
 * Return: 0 or -errno of the first step that failed. */
static int apply(struct apply *a)
{
	struct vds_conf *c = a->conf;
	int err;

	err = vds_nl_link_set(a->nl, LOOPBACK_INDEX, NULL, 0);
	if (err == 0 && c->forward)
		err = set_forward(a->stack, c->forward == VDS_CONF_FORWARD_ON);
	if (err < 0 || !a->link.index)
		return err < 0 ? err : record_dns(a);
	err = vds_nl_link_set(a->nl, a->link.index,
			      c->have_mac ? c->mac : NULL, c->mtu);
	for (unsigned i = 0; err == 0 && i < c->naddrs; i++)
		err = vds_nl_addr_add(a->nl, a->link.index, &c->addrs[i]);
	if (err == 0 && c->dhcp)
		err = do_dhcp(a);
	if (err == 0 && c->rd)
		err = do_rd(a);
	for (unsigned i = 0; err == 0 && i < c->ngws; i++)
		err = vds_nl_route_default(a->nl, a->link.index, &c->gws[i],
					   false);
	if (err == 0)
		err = record_dns(a);
	return err;
}

/* stackconf - the work of vde_stackconf.  Return: 0 or -errno. */
static int stackconf(struct vdestack *stack, const char *config)
{
	struct apply a = { .stack = stack };
	struct vds_rtnl nl = VDS_RTNL_NONE;
	int err, fd;

	a.conf = vds_calloc(1, sizeof(*a.conf));
	if (!a.conf)
		return -ENOMEM;
	err = vds_conf_parse(config, a.conf);
	if (err < 0)
		goto out;
	resolve_auto(a.conf, stack);
	if (a.conf->dns_host) {
		/* read now: a file that cannot be read changes nothing */
		err = vds_hostdns_read(&a.host);
		if (err < 0)
			goto out;
	}
	a.deadline = vds_now_ms() + a.conf->timeout_ms;
	fd = stack_socket(stack, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	err = vds_rtnl_adopt(fd, &nl);
	if (err < 0)
		goto out;
	a.nl = &nl;
	if (needs_link(a.conf)) {
		err = vds_nl_link_get(a.nl, a.conf->ifname, &a.link);
		if (err < 0)
			goto out;
		memcpy(a.scope, a.link.name, sizeof(a.scope));
	} else if (a.conf->dns.nservers) {
		struct vds_link l;

		/* link-local servers are scoped to the stack's interface,
		 * if it has one */
		if (vds_nl_link_get(a.nl, NULL, &l) == 0)
			memcpy(a.scope, l.name, sizeof(a.scope));
	}
	if (a.conf->dns_host)
		pthread_mutex_lock(&host_lock);
	err = apply(&a);
	if (a.conf->dns_host)
		pthread_mutex_unlock(&host_lock);
out:
	vds_rtnl_close(&nl);
	vds_free(a.conf);
	return err;
}

/* vde_stackconf - configure a stack from a configuration string.
 * Return: 0, or -1 with errno (see vde_stackconf(3)). */
VDS_EXPORT int vde_stackconf(struct vdestack *stack, const char *config)
{
	int err;

	if (!stack || !config) {
		errno = EINVAL;
		return -1;
	}
	err = stackconf(stack, config);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

/* vds_conf_resolv - the stack's DNS text, and whether it is the host's
 * file alone.  Return: its length (snprintf-like). */
size_t vds_conf_resolv(struct vdestack *stack, char *buf, size_t size,
		       bool *ret_host)
{
	struct stack_dns *dns;
	size_t len;

	pthread_mutex_lock(&dns_lock);
	dns = *stack_dns(stack);
	len = vds_dns_format(dns ? &dns->dns : NULL, buf, size);
	*ret_host = dns && dns->host;
	pthread_mutex_unlock(&dns_lock);
	return len;
}

/* vde_stackresolv - the stack's DNS data as resolv.conf(5) text.
 * Return: its length (0: none known), or -1 with errno: EINVAL, ERANGE
 * when buf (size bytes) cannot hold it and its NUL. */
VDS_EXPORT int vde_stackresolv(struct vdestack *stack, char *buf,
			       size_t size)
{
	bool host;
	size_t len;

	if (!stack || (!buf && size)) {
		errno = EINVAL;
		return -1;
	}
	len = vds_conf_resolv(stack, buf, size, &host);
	if (buf && len >= size) {
		errno = ERANGE;
		return -1;
	}
	return (int)len;
}
