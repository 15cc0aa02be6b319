/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kseg.c - the application's side of segments joined in the kernel: which
 * stacks of a segment are on its bridge and which on the backend's own
 * switch, and the uplink between the two.
 *
 * Theory of operation
 *
 * When a backend gives a kernel_segment key (mem:// gives its segment's
 * name), vde_addstack asks the helper for a veth whose peer joins the
 * bridge of that key (bridge.c).  The key goes to the helper as the
 * backend gives it: the backend makes it unique across backends (its
 * scheme in it), and keys only need to be equal for the same segment.  Such a member has no descriptor in the
 * application: the port of its stack is opened (the backend keeps the
 * segment) but never started.  Any other member of the same segment (a
 * tap, forced by VDESTACK_LINK=tap or where veth is not allowed, a stack
 * beyond the bridge's port limit, or one made with VDESTACK_BRIDGE=off)
 * is pumped through the backend as before.  While a segment has members
 * of both kinds, one more port of the backend, opened on the same URL as
 * any member, carries frames between the backend's switch and the bridge:
 * the uplink, whose interface is an AF_PACKET socket on a veth pair from
 * the bridge (VDS_OP_UPLINK).  Closing that socket removes the pair.
 *
 * One entry per (helper, backend, key) counts the two kinds.  A global
 * mutex is held across each NEWSTACK and DELSTACK request of such a stack
 * and its accounting, so that what the application counts is what the
 * helper has (a bridge that the helper deletes with its last member is
 * never taken for the one a later member joins).  The helper serves one
 * request at a time anyway.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kseg.h"
#include "base/alloc.h"
#include "base/proto.h"
#include "base/spawn.h"
#include "backend.h"
#include "helper.h"
#include "pump.h"

struct vds_kseg {
	struct vds_helper *helper; /* the stacks' (each holds a reference) */
	char *key;                 /* the backend's, as sent to the helper */
	char *url;                 /* to open the uplink's backend */
	unsigned kernel;           /* members joined to the bridge */
	unsigned user;             /* members pumped by the backend */
	struct vds_port *uplink;   /* while both counts are non-zero */
	struct vds_kseg *next;
};

static pthread_mutex_t kseg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vds_kseg *ksegs;

/* vds_kseg_allowed - read VDESTACK_BRIDGE.
 * Return: 1 (unset, empty, "auto" or "on"), 0 ("off"), or -EINVAL. */
int vds_kseg_allowed(const char *env)
{
	if (!env || !*env || !strcmp(env, "auto") || !strcmp(env, "on"))
		return 1;
	if (!strcmp(env, "off"))
		return 0;
	return -EINVAL;
}

/* kseg_get - the entry of key on helper h, made when missing (lock held).
 * Return: 0 with *ret, or -ENOMEM. */
static int kseg_get(struct vds_helper *h, const char *key, const char *url,
		    struct vds_kseg **ret)
{
	struct vds_kseg *k;

	for (k = ksegs; k; k = k->next) {
		if (k->helper == h && !strcmp(k->key, key)) {
			*ret = k;
			return 0;
		}
	}
	k = vds_calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->helper = h;
	k->key = vds_strdup(key);
	k->url = vds_strdup(url);
	if (!k->key || !k->url) {
		vds_free(k->key);
		vds_free(k->url);
		vds_free(k);
		return -ENOMEM;
	}
	k->next = ksegs;
	ksegs = k;
	*ret = k;
	return 0;
}

/* kseg_drop_if_unused - free an entry with no member (lock held). */
static void kseg_drop_if_unused(struct vds_kseg *k)
{
	struct vds_kseg **p;

	if (k->kernel || k->user)
		return;
	for (p = &ksegs; *p != k; p = &(*p)->next)
		;
	*p = k->next;
	vds_free(k->key);
	vds_free(k->url);
	vds_free(k);
}

/* uplink_open - the uplink of k: a port of the backend on k's URL, pumped
 * on the AF_PACKET socket the helper makes on the bridge (lock held).
 * Return: 0 or -errno. */
static int uplink_open(struct vds_kseg *k)
{
	struct vds_req req = { .op = VDS_OP_UPLINK, .uplink = { .key = k->key } };
	struct vds_port *port = NULL;
	int err, fd = -1;

	err = vds_port_open(k->url, &port);
	if (err < 0)
		return err;
	if (vds_port_flags(port) & VDS_BACKEND_VNET_HDR)
		req.uplink.flags = VDS_NEWSTACK_VNET;
	err = vds_helper_call(k->helper, &(struct vds_call){ .req = &req,
							       .ret_fd = &fd });
	if (err >= 0 && fd < 0)
		err = -EBADMSG;
	if (err >= 0) {
		fd = vds_fd_above_stdio(fd); /* the library's: not stdio */
		err = fd < 0 ? fd : 0;
	}
	if (err < 0) {
		vds_port_close(port);
		return err;
	}
	err = vds_port_start(port, fd); /* the port owns fd now */
	if (err < 0) {
		vds_port_close(port);
		return err;
	}
	k->uplink = port;
	return 0;
}

/* uplink_check - open or close k's uplink as its counts now say (lock
 * held).  Return: 0 or -errno (opening failed). */
static int uplink_check(struct vds_kseg *k)
{
	if (k->kernel && k->user && !k->uplink)
		return uplink_open(k);
	if ((!k->kernel || !k->user) && k->uplink) {
		vds_port_close(k->uplink);
		k->uplink = NULL;
	}
	return 0;
}

/* newstack_undo - the stack (or interface) just made by made (rep's id)
 * goes again, and with it its count in k (kernel: it was joined), the
 * uplink if that was its reason, and the entry if it was the first
 * member (lock held). */
static void newstack_undo(struct vds_kseg *k, struct vds_helper *h,
			  const struct vds_req *made, uint32_t id, bool kernel)
{
	vds_helper_unmake(h, made, id);
	if (kernel)
		k->kernel--;
	else
		k->user--;
	uplink_check(k);
	kseg_drop_if_unused(k);
}

/* vds_kseg_newstack - NEWSTACK (or ADDIF) call c, whose request's flags say whether
 * the helper may join the stack in the kernel (VDS_NEWSTACK_BRIDGE, the
 * caller's choice), for a stack whose backend gave key; the request goes
 * with key, and url opens the uplink when one is needed.
 * Return: 0 with *c->ret_fd (-1: joined in the kernel) and *ret_seg, or
 * -errno; then no stack of this call stays in the helper. */
int vds_kseg_newstack(struct vds_helper *h, const struct vds_call *c,
		      const char *url, const char *key,
		      struct vds_kseg **ret_seg)
{
	struct vds_req req = *c->req;
	struct vds_rep rep = { .status = 0 };
	struct vds_call call = *c;
	struct vds_kseg *k = NULL;
	int err, fd = -1;
	bool kernel;

	*c->ret_fd = -1;
	call.req = &req;
	call.rep = &rep;
	call.ret_fd = &fd;
	pthread_mutex_lock(&kseg_lock);
	err = kseg_get(h, key, url, &k);
	if (err < 0)
		goto out;
	req.newstack.key = k->key;
	err = vds_helper_call(h, &call);
	if (err < 0) {
		/* EMFILE with a reply: the helper made it, but its interface
		 * found no free descriptor here; it goes again */
		if (err == -EMFILE && rep.status >= 0 &&
		    (req.op == VDS_OP_ADDIF || rep.id))
			vds_helper_unmake(h, &req, rep.id);
		kseg_drop_if_unused(k);
		goto out;
	}
	if (c->rep)
		*c->rep = rep;
	kernel = fd < 0;
	if (kernel && !(req.newstack.flags & VDS_NEWSTACK_BRIDGE)) {
		err = -EBADMSG;
		vds_helper_unmake(h, &req, rep.id);
		kseg_drop_if_unused(k);
		goto out;
	}
	if (kernel)
		k->kernel++;
	else
		k->user++;
	err = uplink_check(k);
	if (err < 0) {
		/* without the uplink the segment would be split in two */
		if (fd >= 0)
			close(fd);
		newstack_undo(k, h, &req, rep.id, kernel);
		goto out;
	}
	*c->ret_fd = fd;
	*ret_seg = k;
out:
	pthread_mutex_unlock(&kseg_lock);
	return err;
}

/* pump_call - the helper's PUMP request for interface ifname of stack
 * id (lock held).  Return: 0 with *ret_fd (on), or -errno. */
static int pump_call(struct vds_helper *h, uint32_t id, const char *ifname,
		     unsigned flags, int *ret_fd)
{
	struct vds_req req = { .op = VDS_OP_PUMP, .id = id,
			       .pump = { .flags = flags, .ifname = ifname } };
	int fd = -1, err;

	err = vds_helper_call(h, &(struct vds_call){ .req = &req,
						     .ret_fd = &fd });
	if (err >= 0 && (flags & VDS_PUMP_ON)) {
		err = fd < 0 ? -EBADMSG : 0;
		if (err == 0) {
			fd = vds_fd_above_stdio(fd); /* the library's */
			err = fd < 0 ? fd : 0;
		}
	} else if (fd >= 0) {
		close(fd);
	}
	*ret_fd = err < 0 ? -1 : fd;
	return err < 0 ? err : 0;
}

/* vds_kseg_pump - see kseg.h: off the bridge, the stack is one more
 * pumped member, so the uplink appears with the first one; if it cannot
 * be made the stack goes back on the bridge.  Return: 0 or -errno. */
int vds_kseg_pump(struct vds_kseg *seg, struct vds_helper *h, uint32_t id,
		  const char *ifname, bool on, unsigned flags, int *ret_fd)
{
	int err, fd = -1, unused;

	pthread_mutex_lock(&kseg_lock);
	err = pump_call(h, id, ifname, flags | (on ? VDS_PUMP_ON : 0), &fd);
	if (err == 0 && on) {
		seg->kernel--;
		seg->user++;
		err = uplink_check(seg);
	} else if (err == 0) {
		seg->kernel++;
		seg->user--;
		uplink_check(seg); /* closing it cannot fail */
	}
	if (err < 0 && fd >= 0) {
		/* without the uplink the stack would be cut off: back */
		close(fd);
		fd = -1;
		pump_call(h, id, ifname, flags, &unused);
		seg->kernel++;
		seg->user--;
		uplink_check(seg);
	}
	pthread_mutex_unlock(&kseg_lock);
	*ret_fd = fd;
	return err;
}

/* vds_kseg_delstack - DELSTACK for a stack made by vds_kseg_newstack
 * (kernel: it was joined to the bridge), then the uplink as the counts
 * now say and the entry when it was the segment's last member. */
void vds_kseg_delstack(struct vds_kseg *seg, bool kernel,
		       struct vds_helper *h, uint32_t id)
{
	struct vds_req req = { .op = VDS_OP_NEWSTACK };

	vds_kseg_leave(seg, kernel, h, &req, id);
}

/* vds_kseg_leave - see kseg.h: the request that undoes made (a NEWSTACK:
 * DELSTACK of id; an ADDIF: DELIF of its interface), then the accounting
 * as vds_kseg_delstack's. */
void vds_kseg_leave(struct vds_kseg *seg, bool kernel, struct vds_helper *h,
		    const struct vds_req *made, uint32_t id)
{
	pthread_mutex_lock(&kseg_lock);
	vds_helper_unmake(h, made, id);
	if (kernel)
		seg->kernel--;
	else
		seg->user--;
	uplink_check(seg);
	kseg_drop_if_unused(seg);
	pthread_mutex_unlock(&kseg_lock);
}
