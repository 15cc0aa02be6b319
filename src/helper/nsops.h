/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsops.h - namespaces in the helper (nsops.c): its user namespace, and
 * each stack's user and network namespaces with their interface. */
#ifndef VDS_NSOPS_H
#define VDS_NSOPS_H

#include <stdbool.h>
#include <sys/types.h>

int vds_ns_setup_user(uid_t uid, gid_t gid);
/* In a new user namespace: setgroups denied, root mapped to uid/gid. */
int vds_ns_map_root(uid_t uid, gid_t gid);
/* A stack's namespaces: a user namespace of its own (a child of the
 * helper's), and the network namespace it owns, held by the descriptor of
 * the network namespace alone (which keeps its owner alive; the user
 * namespace comes back with vds_sys_userns_of()).  -1: none. */
struct vds_stackns {
	int net;
};
#define VDS_STACKNS_NONE ((struct vds_stackns){ .net = -1 })
void vds_stackns_close(struct vds_stackns *ns);
/* Make a stack's namespaces (or take *ns, made by vds_ns_make; NONE:
 * none), and a tap named ifname in it, as flags VDS_NEWSTACK_* say, with
 * lo up; back in base_ns.  Return: 0/-errno (*ns closed on failure). */
int vds_ns_new_stack(int base_ns, struct vds_stackns *ns, const char *ifname,
		     unsigned flags, unsigned mtu, struct vds_stackns *ret,
		     int *ret_tap);
/* One more interface ifname in the existing stack namespace net, a tap or
 * a veth as flags VDS_NEWSTACK_* allow (VDS_NEWSTACK_TAP implied); back
 * in base_ns.  Return: its descriptor, or -errno (-EEXIST: name in use). */
int vds_ns_add_link(int base_ns, int net, const char *ifname, unsigned flags,
		    unsigned mtu);
/* A stack's namespaces with lo up, made ahead of it; the caller stays
 * where it is.  Return: 0/-errno. */
int vds_ns_make(struct vds_stackns *ret);

/* As vds_ns_new_stack (*ns: made ahead, or NONE; spare: its
 * interface's peer when made by vds_ns_make_spare, else 0), the interface
 * a veth whose peer is a port of bridge master in base_ns (no descriptor
 * for it).  *ret_peer: the peer's ifindex.  Return: 0/-errno. */
int vds_ns_new_joined(int base_ns, struct vds_stackns *ns, unsigned spare,
		      const char *ifname, unsigned master, unsigned mtu,
		      struct vds_stackns *ret, unsigned *ret_peer);
/* As vds_ns_make, with ifname a veth whose peer (*ret_peer, its
 * ifindex) waits down in the caller's (base) namespace.  Return: 0/-errno. */
int vds_ns_make_spare(const char *ifname, struct vds_stackns *ret,
		      unsigned *ret_peer);

#endif /* VDS_NSOPS_H */
