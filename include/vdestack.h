/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vdestack.h - private network stacks for a process, in user and network
 * namespaces, without root.
 *
 * The first five declarations are the API of VirtualSquare's libvdestack
 * 0.1.2, unchanged (prototypes included), so that programs built against the
 * original run on this library.  See vdestack(3).
 */
#ifndef VDESTACK_H
#define VDESTACK_H

#ifdef __cplusplus
extern "C" {
#endif

struct vdestack;

struct vdestack *vde_addstack(char *vdenet, char *ifname);

void vde_delstack(struct vdestack *stack);

void vde_default_stack(struct vdestack *stack);

int vde_stackcmd(struct vdestack *stack, char *stackcmd);

int vde_msocket(struct vdestack *stack, int domain, int type, int protocol);

/*
 * Extensions of this library (not in the original).
 */

/* Start argv (argv[0] an absolute path) in the stack, with the caller's
 * standard descriptors and envp (NULL: a minimal environment), without
 * waiting.  Returns a process descriptor: readable when the process has
 * ended; closing it kills a process still running.  See vde_stackspawn(3). */
int vde_stackspawn(struct vdestack *stack, char *const argv[],
		   char *const envp[]);

/* Wait for the end of the process of pd; *wstatus as waitpid(2) sets it. */
int vde_stackwait(int pd, int *wstatus);

/* Send signal sig to the process of pd. */
int vde_stackkill(int pd, int sig);

/* Port forwarding from the host into a stack (any backend).  spec is
 * "tcp:[HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT" or "udp:...", IPv6
 * addresses in brackets ("tcp:[::1]:8080:[fd00::15]:80"): connections to
 * HOSTADDR:HOSTPORT on the host are connected to GUESTADDR:GUESTPORT from
 * inside the stack.  vde_stackunfwd removes one (spec as given, or just
 * "tcp:[HOSTADDR:]HOSTPORT").  Both return 0, or -1 with errno.  See
 * vde_stackfwd(3). */
int vde_stackfwd(struct vdestack *stack, const char *spec);
int vde_stackunfwd(struct vdestack *stack, const char *spec);

#include <stddef.h> /* size_t, for vde_stackresolv */

/* Configure the stack in-process from a configuration string such as
 * "eth,ip=10.0.0.1/24,gw=10.0.0.254", "dhcp", "rd" or "auto": addresses,
 * routes, MTU, MAC, DHCPv4, IPv6 router discovery, DNS servers and search
 * domains.  Returns 0, or -1 with errno.  See vde_stackconf(3). */
int vde_stackconf(struct vdestack *stack, const char *config);

/* The stack's DNS servers and search domains (given to or learned by
 * vde_stackconf) as resolv.conf(5) text in buf.  Returns its length (0:
 * none known; with buf NULL and size 0, the length it would have), or -1
 * with errno (ERANGE: buf too small).  See vde_stackresolv(3). */
int vde_stackresolv(struct vdestack *stack, char *buf, size_t size);

/* Make the calling thread's socket(2) calls use stack, over the
 * process's default of vde_default_stack(); NULL returns the thread to
 * that default.  The thread holds a reference on stack until it ends or
 * changes its setting.  See vde_thread_stack(3). */
void vde_thread_stack(struct vdestack *stack);

/* Where user namespaces are restricted: why a stack cannot be made, and
 * how to fix it (issue 15). */

/* One line naming why the calling thread's last vde_addstack() failed
 * (the setting, limit or filter: "user.max_user_namespaces is 0, ...")
 * and its fix, in buf.  Returns its length (0: that call did not fail;
 * with buf NULL and size 0, the length it would have), or -1 with errno
 * (ERANGE: buf too small, nothing written).  See vde_stackerror(3). */
int vde_stackerror(char *buf, size_t size);

/* The items of vde_stackcheck(). */
#define VDE_CHECK_USERNS 1 /* a user namespace, the caller mapped to root */
#define VDE_CHECK_NETNS 2  /* network namespaces: the helper's, a stack's */
#define VDE_CHECK_TAP 3    /* a tap interface (/dev/net/tun) in a stack */
#define VDE_CHECK_VETH 4   /* a veth pair between a stack and the helper */

/* Try one thing a stack needs, as the helper does it, in a child process.
 * Returns 0 when it works; when it does not, the length (> 0) of the
 * explanation in buf (as vde_stackerror's) with errno the kernel's error;
 * -1 with errno (EINVAL, ERANGE) when the call itself fails.  See
 * vde_stackcheck(3). */
int vde_stackcheck(int item, char *buf, size_t size);
/* Test networks (issue 16): conditions of the link under the stack's
 * interface, a capture of what crosses it, and its counters. */

/* Set the conditions of the stack's link: spec is a comma-separated list
 * of delay=DUR, jitter=DUR, loss=PCT[/BURST], dup=PCT, reorder=PCT,
 * corrupt=PCT, rate=RATE, queue=SIZE, mtu=N, dir=out|in|both, if=NAME,
 * and the words down, up and clear ("delay=100ms,loss=1%,dir=out").
 * Returns 0, or -1 with errno (EINVAL: malformed, nothing changed).  See
 * vde_stacklink(3). */
int vde_stacklink(struct vdestack *stack, const char *spec);

/* Write every frame crossing the stack's interface, both ways, to the
 * file path in the classic pcap format; path NULL stops and flushes.
 * Returns 0, or -1 with errno.  See vde_stackpcap(3). */
int vde_stackpcap(struct vdestack *stack, const char *path);

#include <stdint.h> /* uint64_t, for struct vde_stackstats */

/* What crossed the stack's interface since it was made.  Out is from the
 * stack to its network, in the other way.  New fields are only ever
 * added at the end: pass sizeof(struct vde_stackstats). */
struct vde_stackstats {
	uint64_t out_frames;     /* frames the stack sent */
	uint64_t out_bytes;      /* ... their bytes (Ethernet frames) */
	uint64_t in_frames;      /* frames the stack received */
	uint64_t in_bytes;
	uint64_t out_link_drops; /* sent, dropped by the link's conditions */
	uint64_t in_link_drops;  /* arriving, dropped by the conditions */
	uint64_t out_drops;      /* sent, dropped otherwise (too large for
				  * the network, backend unreachable) */
	uint64_t in_drops;       /* arriving, dropped otherwise (the
				  * interface could not take them) */
	uint64_t out_dups;       /* extra copies made by dup=, out */
	uint64_t in_dups;        /* ... in */
	uint64_t reconnects;     /* times the backend connected again */
};

/* Fill *st with the stack's counters; size is sizeof(*st) (a smaller one
 * fills that much).  Returns the bytes filled, or -1 with errno.  See
 * vde_stackstats(3). */
int vde_stackstats(struct vdestack *stack, struct vde_stackstats *st,
		   size_t size);

/* Several interfaces per stack (issue 17). */

/* Add interface ifname (NULL: the first free vdeN) to stack, on vdenet,
 * any URL vde_addstack takes; its own backend and pump.  Returns 0, or -1
 * with errno (EEXIST: name taken).  See vde_stackaddif(3). */
int vde_stackaddif(struct vdestack *stack, char *vdenet, char *ifname);

/* Remove interface ifname (the first one too) from stack.  Returns 0, or
 * -1 with errno (ENODEV: no such interface).  See vde_stackaddif(3). */
int vde_stackdelif(struct vdestack *stack, char *ifname);

/* DNS inside stacks (issue 15). */

/* vde_stackspawn(), and the program sees the stack's DNS: resolv NULL,
 * the stack's servers (vde_stackresolv) bound over /etc/resolv.conf in a
 * mount namespace of its own where they differ from the host's file; ""
 * the host's file as it is; else that file.  hosts: a file bound over
 * /etc/hosts, NULL for none.  See vde_stackspawn_resolv(3). */
int vde_stackspawn_resolv(struct vdestack *stack, char *const argv[],
			  char *const envp[], const char *resolv,
			  const char *hosts);

#ifdef __cplusplus
}
#endif

#endif /* VDESTACK_H */
