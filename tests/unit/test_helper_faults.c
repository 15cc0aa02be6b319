/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_helper_faults.c - the namespace helper failing at each step, through
 * the system-call seam (sys.c) replaced with -Wl,--wrap.
 *
 * The helper is a forked process and keeps running, so every case runs in
 * a fresh forked test process (a fresh helper each time, counts that
 * compare).  The fault plan lives in a MAP_SHARED page: the helper and its
 * runners, forked from the test process, see it and report into it, and
 * the test can arm a fault after the helper has started.  A mock that
 * fails sets errno too, as the real call would.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "vdestack.h"
#include "base/internal.h"
#include "core/helper.h"
#include "helper/nspool.h"
#include "unit.h"

enum seam {
	SEAM_NONE,
	SEAM_SOCKETPAIR,
	SEAM_FORK,
	SEAM_UNSHARE,
	SEAM_SETNS,
	SEAM_OPEN,
	SEAM_IOCTL,
	SEAM_WRITE_FILE,
	SEAM_SOCKET,
	SEAM_USERNS,
};

/* Shared between the test process, its helper and the helper's runners. */
struct plan {
	enum seam seam;  /* the seam that fails, SEAM_NONE for none */
	long match;      /* unshare/setns nstype, ioctl request, socket
			  * domain; 0: any */
	char path[64];   /* open/write_file path; "": any */
	int skip;        /* matching calls let through before the fault */
	int err;         /* errno of the fault */
	bool kill;       /* the fault: the calling process dies (SIGKILL) */
	bool fake_tun;   /* /dev/net/tun is /dev/null, its ioctls succeed */
	int calls;       /* matching calls since armed (atomic) */
	int hits;        /* faults injected (atomic) */
	int helper_checked; /* cases that could count the helper's fds */
	pid_t app;       /* the test process */
	bool worker_only; /* the fault hits the worker of the namespace pool
			   * (and its children) only, by its name */
};

static struct plan *plan;

/* inject - whether this call of seam must fail (counts it).
 * Return: the errno to fail with, or 0 to let it through. */
static int inject(enum seam seam, long value, const char *path)
{
	int k;

	if (!plan || plan->seam != seam)
		return 0;
	if (plan->worker_only) {
		char name[16] = "";

		/* the worker names itself; its children (the ones that make
		 * its namespaces) have the name too, the helper's do not */
		prctl(PR_GET_NAME, name);
		if (strcmp(name, VDS_NSPOOL_NAME) != 0)
			return 0;
	}
	if (plan->match && plan->match != value)
		return 0;
	if (plan->path[0] && (!path || strcmp(path, plan->path)))
		return 0;
	k = __atomic_fetch_add(&plan->calls, 1, __ATOMIC_SEQ_CST);
	if (k != plan->skip)
		return 0;
	__atomic_fetch_add(&plan->hits, 1, __ATOMIC_SEQ_CST);
	if (plan->kill)
		kill(getpid(), SIGKILL);
	return plan->err;
}

/* FAIL - return a fault as the seam does, errno set as the real call. */
#define FAIL(e) do { errno = (e); return -(e); } while (0)

pid_t __real_vds_sys_fork(void);
int __real_vds_sys_unshare(int flags);
int __real_vds_sys_setns(int fd, int nstype);
int __real_vds_sys_open(const char *path, int flags);
int __real_vds_sys_ioctl(int fd, unsigned long req, void *arg);
int __real_vds_sys_socketpair(int domain, int type, int protocol, int sv[2]);
int __real_vds_sys_socket(int domain, int type, int protocol);
int __real_vds_sys_write_file(const char *path, const char *text);
int __real_vds_sys_userns_of(int ns);
int __wrap_vds_sys_userns_of(int ns);
pid_t __wrap_vds_sys_fork(void);
int __wrap_vds_sys_unshare(int flags);
int __wrap_vds_sys_setns(int fd, int nstype);
int __wrap_vds_sys_open(const char *path, int flags);
int __wrap_vds_sys_ioctl(int fd, unsigned long req, void *arg);
int __wrap_vds_sys_socketpair(int domain, int type, int protocol, int sv[2]);
int __wrap_vds_sys_socket(int domain, int type, int protocol);
int __wrap_vds_sys_write_file(const char *path, const char *text);

/* __wrap_vds_sys_fork - fork, or the planned fault.  Return: as fork. */
pid_t __wrap_vds_sys_fork(void)
{
	int e = inject(SEAM_FORK, 0, NULL);

	if (e)
		FAIL(e);
	return __real_vds_sys_fork();
}

/* __wrap_vds_sys_unshare - unshare, or the planned fault.
 * Return: 0 or -errno. */
int __wrap_vds_sys_unshare(int flags)
{
	int e = inject(SEAM_UNSHARE, flags, NULL);

	if (e)
		FAIL(e);
	return __real_vds_sys_unshare(flags);
}

/* __wrap_vds_sys_setns - setns, or the planned fault.
 * Return: 0 or -errno. */
int __wrap_vds_sys_setns(int fd, int nstype)
{
	int e = inject(SEAM_SETNS, nstype, NULL);

	if (e)
		FAIL(e);
	return __real_vds_sys_setns(fd, nstype);
}

/* __wrap_vds_sys_open - open, the planned fault, or /dev/null as a fake
 * tun.  Return: fd or -errno. */
int __wrap_vds_sys_open(const char *path, int flags)
{
	int e = inject(SEAM_OPEN, 0, path);

	if (e)
		FAIL(e);
	if (plan && plan->fake_tun && !strcmp(path, "/dev/net/tun"))
		return __real_vds_sys_open("/dev/null", flags);
	return __real_vds_sys_open(path, flags);
}

/* __wrap_vds_sys_ioctl - ioctl, the planned fault, or a pretended
 * success for the fake tun's requests.  Return: 0 or -errno. */
int __wrap_vds_sys_ioctl(int fd, unsigned long req, void *arg)
{
	int e = inject(SEAM_IOCTL, (long)req, NULL);

	if (e)
		FAIL(e);
	if (plan && plan->fake_tun &&
	    (req == TUNSETIFF || req == TUNSETPERSIST || req == TUNSETOFFLOAD ||
	     req == SIOCSIFMTU))
		return 0;
	return __real_vds_sys_ioctl(fd, req, arg);
}

/* __wrap_vds_sys_socketpair - socketpair, or the planned fault.
 * Return: 0 or -errno. */
int __wrap_vds_sys_socketpair(int domain, int type, int protocol, int sv[2])
{
	int e = inject(SEAM_SOCKETPAIR, 0, NULL);

	if (e)
		FAIL(e);
	return __real_vds_sys_socketpair(domain, type, protocol, sv);
}

/* __wrap_vds_sys_socket - socket, or the planned fault.
 * Return: fd or -errno. */
int __wrap_vds_sys_socket(int domain, int type, int protocol)
{
	int e = inject(SEAM_SOCKET, domain, NULL);

	if (e)
		FAIL(e);
	return __real_vds_sys_socket(domain, type, protocol);
}

/* __wrap_vds_sys_write_file - write_file, or the planned fault.
 * Return: 0 or -errno. */
int __wrap_vds_sys_write_file(const char *path, const char *text)
{
	int e = inject(SEAM_WRITE_FILE, 0, path);

	if (e)
		FAIL(e);
	return __real_vds_sys_write_file(path, text);
}

/* __wrap_vds_sys_userns_of - NS_GET_USERNS, or the planned fault.
 * Return: fd or -errno. */
int __wrap_vds_sys_userns_of(int ns)
{
	int e = inject(SEAM_USERNS, 0, NULL);

	if (e)
		FAIL(e);
	return __real_vds_sys_userns_of(ns);
}

/* ------------------------------------------------------------------ */
/* The cases                                                            */
/* ------------------------------------------------------------------ */

enum op {
	OP_ADDSTACK, /* vde_addstack(url, NULL) */
	OP_STACKCMD, /* vde_stackcmd on a NULL-URL stack */
	OP_MSOCKET,  /* vde_msocket on a NULL-URL stack */
	OP_SPAWN,    /* vde_stackspawn + vde_stackwait on a NULL-URL stack */
	OP_ADDIF,    /* vde_stackaddif(url) + vde_stackdelif on a NULL-URL
		      * stack */
};

struct hcase {
	const char *name;
	enum op op;
	const char *url;  /* OP_ADDSTACK's URL (NULL: no network) */
	const char *link; /* VDESTACK_LINK, NULL: unset */
	bool bridge;      /* mem:// on the veth link joins a bridge (else
			   * VDESTACK_BRIDGE=off: the tap/veth choice alone) */
	bool warm;        /* a helper runs before the fault is armed */
	enum seam seam;
	long match;
	const char *path;
	int skip;
	int err;
	bool kill;        /* the process making the call dies instead */
	bool fake_tun;
	bool thread;      /* the operation runs in a new thread (which has no
			   * cached reply channel yet) */
	bool worker_only; /* only the pool's worker meets the fault (it comes
			   * in its own time: the test waits for it) */
	const char *pool; /* VDESTACK_NSPOOL; NULL: "0", no worker, so that
			   * every namespace is made by the helper itself */
	int want;         /* errno of the operation; 0: it succeeds; -1: it
			   * fails (returns, and the helper stays usable) */
};

#define NS_PATH "/proc/thread-self/ns/net"
/* a stack's namespaces: unshared together, opened by the child that made
 * them (nsops.c make_pair) */
#define STACK_NS (CLONE_NEWUSER | CLONE_NEWNET)
#define STACK_NET_PATH "/proc/self/ns/net"
#define TUN_PATH "/dev/net/tun"

static const struct hcase cases[] = {
	/* starting the helper (application side) */
	{ .name = "socketpair for the helper fails", .seam = SEAM_SOCKETPAIR,
	  .err = EMFILE, .want = EMFILE },
	{ .name = "fork of the helper fails with EAGAIN", .seam = SEAM_FORK,
	  .err = EAGAIN, .want = EAGAIN },
	{ .name = "fork of the helper fails with ENOMEM", .seam = SEAM_FORK,
	  .err = ENOMEM, .want = ENOMEM },
	/* starting the helper (in the helper) */
	{ .name = "unshare of the user namespace fails with EPERM",
	  .seam = SEAM_UNSHARE, .match = CLONE_NEWUSER, .err = EPERM,
	  .want = EPERM },
	{ .name = "unshare of the user namespace fails with ENOSPC",
	  .seam = SEAM_UNSHARE, .match = CLONE_NEWUSER, .err = ENOSPC,
	  .want = ENOSPC },
	{ .name = "unshare of the user namespace fails with EINVAL",
	  .seam = SEAM_UNSHARE, .match = CLONE_NEWUSER, .err = EINVAL,
	  .want = EINVAL },
	{ .name = "setgroups write fails", .seam = SEAM_WRITE_FILE,
	  .path = "/proc/self/setgroups", .err = EPERM, .want = EPERM },
	{ .name = "gid_map write fails", .seam = SEAM_WRITE_FILE,
	  .path = "/proc/self/gid_map", .err = EPERM, .want = EPERM },
	{ .name = "uid_map write fails", .seam = SEAM_WRITE_FILE,
	  .path = "/proc/self/uid_map", .err = EPERM, .want = EPERM },
	{ .name = "unshare of the base network namespace fails",
	  .seam = SEAM_UNSHARE, .match = CLONE_NEWNET, .err = ENOSPC,
	  .want = ENOSPC },
	{ .name = "open of the base network namespace fails",
	  .seam = SEAM_OPEN, .path = NS_PATH, .err = EMFILE, .want = EMFILE },
	/* a new stack, asked of a running helper */
	{ .name = "socketpair for a reply channel fails", .warm = true,
	  .thread = true, .seam = SEAM_SOCKETPAIR, .err = ENFILE,
	  .want = ENFILE },
	{ .name = "socketpair for a new thread's socket channel fails",
	  .op = OP_MSOCKET, .thread = true, .seam = SEAM_SOCKETPAIR,
	  .err = EMFILE, .want = EMFILE },
	{ .name = "unshare of the stack's namespaces fails with ENOSPC",
	  .warm = true, .seam = SEAM_UNSHARE, .match = STACK_NS,
	  .err = ENOSPC, .want = ENOSPC },
	{ .name = "unshare of the stack's namespaces fails with EPERM",
	  .warm = true, .seam = SEAM_UNSHARE, .match = STACK_NS,
	  .err = EPERM, .want = EPERM },
	{ .name = "the stack's uid_map write fails", .warm = true,
	  .seam = SEAM_WRITE_FILE, .path = "/proc/self/uid_map", .err = EPERM,
	  .want = EPERM },
	{ .name = "open of the stack's network namespace fails", .warm = true,
	  .seam = SEAM_OPEN, .path = STACK_NET_PATH, .err = EMFILE,
	  .want = EMFILE },
	{ .name = "the child making the stack's namespaces is killed",
	  .warm = true, .seam = SEAM_UNSHARE, .match = STACK_NS, .kill = true,
	  .want = ECHILD },
	{ .name = "socketpair to the child making the namespaces fails",
	  .warm = true, .seam = SEAM_SOCKETPAIR, .err = EMFILE, .want = EMFILE },
	{ .name = "socket to bring lo up fails", .warm = true,
	  .seam = SEAM_SOCKET, .match = AF_INET, .err = EMFILE,
	  .want = EMFILE },
	{ .name = "reading the flags of lo fails", .warm = true,
	  .seam = SEAM_IOCTL, .match = SIOCGIFFLAGS, .err = ENODEV,
	  .want = ENODEV },
	{ .name = "bringing lo up fails", .warm = true, .seam = SEAM_IOCTL,
	  .match = SIOCSIFFLAGS, .err = EPERM, .want = EPERM },
	{ .name = "returning to the base namespace fails", .url = "mem://t",
	  .link = "tap", .warm = true, .fake_tun = true, .seam = SEAM_SETNS,
	  .match = CLONE_NEWNET, .skip = 1, .err = EINVAL, .want = EINVAL },
	/* one more interface in a running stack (ADDIF) */
	{ .name = "ADDIF: entering the stack's namespace fails",
	  .op = OP_ADDIF, .url = "mem://a", .link = "tap", .fake_tun = true,
	  .seam = SEAM_SETNS, .match = CLONE_NEWNET, .err = EINVAL,
	  .want = EINVAL },
	{ .name = "ADDIF: /dev/net/tun missing, tap only", .op = OP_ADDIF,
	  .url = "mem://a", .link = "tap", .seam = SEAM_OPEN,
	  .path = TUN_PATH, .err = ENOENT, .want = ENOENT },
	{ .name = "ADDIF: TUNSETIFF says the name is taken", .op = OP_ADDIF,
	  .url = "mem://a", .link = "tap", .fake_tun = true,
	  .seam = SEAM_IOCTL, .match = (long)TUNSETIFF, .err = EBUSY,
	  .want = EBUSY },
	{ .name = "ADDIF: /dev/net/tun missing falls back to a veth",
	  .op = OP_ADDIF, .url = "mem://a", .seam = SEAM_OPEN,
	  .path = TUN_PATH, .err = ENOENT, .want = 0 },
	{ .name = "ADDIF: the veth's socket fails", .op = OP_ADDIF,
	  .url = "mem://a", .link = "veth", .seam = SEAM_SOCKET,
	  .match = AF_PACKET, .err = EMFILE, .want = EMFILE },
	/* the worker of the namespace pool (nspool.c) */
	{ .name = "the worker cannot make a namespace: the stack is made all the same",
	  .pool = "1", .worker_only = true, .seam = SEAM_UNSHARE,
	  .match = STACK_NS, .err = ENOSPC, .want = 0 },
	{ .name = "no worker (fork fails): the helper makes every namespace",
	  .pool = "2", .seam = SEAM_FORK, .skip = 1, .err = EAGAIN,
	  .want = 0 },
	{ .name = "the worker's socketpair fails: the helper makes them",
	  .pool = "2", .seam = SEAM_SOCKETPAIR, .skip = 1, .err = EMFILE,
	  .want = 0 },
	{ .name = "the worker is killed: the helper makes the namespaces",
	  .pool = "1", .worker_only = true, .seam = SEAM_SOCKETPAIR,
	  .kill = true, .want = 0 },
	/* the tap (VDESTACK_LINK=tap: no veth fallback) */
	{ .name = "/dev/net/tun missing", .url = "mem://faults", .link = "tap",
	  .warm = true, .seam = SEAM_OPEN, .path = TUN_PATH, .err = ENOENT,
	  .want = ENOENT },
	{ .name = "/dev/net/tun not accessible", .url = "mem://faults",
	  .link = "tap", .warm = true, .seam = SEAM_OPEN, .path = TUN_PATH,
	  .err = EACCES, .want = EACCES },
	{ .name = "/dev/net/tun not permitted", .url = "mem://faults",
	  .link = "tap", .warm = true, .seam = SEAM_OPEN, .path = TUN_PATH,
	  .err = EPERM, .want = EPERM },
	{ .name = "TUNSETIFF says the name is taken", .url = "mem://faults",
	  .link = "tap", .warm = true, .seam = SEAM_IOCTL,
	  .match = (long)TUNSETIFF, .err = EBUSY, .fake_tun = true,
	  .want = EBUSY },
	{ .name = "TUNSETIFF says the name is taken, with veth allowed",
	  .url = "mem://faults", .warm = true, .seam = SEAM_IOCTL,
	  .match = (long)TUNSETIFF, .err = EBUSY, .fake_tun = true,
	  .want = EBUSY },
	{ .name = "TUNSETOFFLOAD refused for a vnet tap", .url = "mem://t",
	  .link = "tap", .warm = true, .seam = SEAM_IOCTL,
	  .match = (long)TUNSETOFFLOAD, .err = EINVAL, .fake_tun = true,
	  .want = EINVAL },
	{ .name = "TUNSETPERSIST refused", .url = "mem://t",
	  .link = "tap", .warm = true, .seam = SEAM_IOCTL,
	  .match = (long)TUNSETPERSIST, .err = EINVAL, .fake_tun = true,
	  .want = EINVAL },
	{ .name = "/dev/net/tun missing falls back to a veth",
	  .url = "mem://faults", .warm = true, .seam = SEAM_OPEN,
	  .path = TUN_PATH, .err = ENOENT, .want = 0 },
	{ .name = "/dev/net/tun not accessible falls back to a veth",
	  .url = "mem://faults", .link = "auto", .warm = true, .seam = SEAM_OPEN,
	  .path = TUN_PATH, .err = EACCES, .want = 0 },
	{ .name = "veth: AF_PACKET socket fails", .url = "mem://faults",
	  .link = "veth", .warm = true, .seam = SEAM_SOCKET, .match = AF_PACKET,
	  .err = EMFILE, .want = EMFILE },
	/* a mem:// stack joined to its segment's bridge */
	{ .name = "bridged veth: no namespace for it, a plain veth instead",
	  .url = "mem://faults", .link = "veth", .bridge = true, .warm = true,
	  .seam = SEAM_UNSHARE, .match = STACK_NS, .err = ENOSPC,
	  .want = 0 },
	{ .name = "bridged veth: lo cannot come up, a plain veth instead",
	  .url = "mem://faults", .bridge = true, .warm = true,
	  .seam = SEAM_IOCTL, .match = SIOCSIFFLAGS, .err = EPERM, .want = 0 },
	/* commands, processes and sockets in a stack */
	{ .name = "socketpair for a command's reply fails", .op = OP_STACKCMD,
	  .seam = SEAM_SOCKETPAIR, .err = EMFILE, .want = EMFILE },
	{ .name = "runner cannot enter the stack", .op = OP_STACKCMD,
	  .seam = SEAM_SETNS, .match = CLONE_NEWNET, .err = EINVAL,
	  .want = EINVAL },
	{ .name = "runner cannot get the stack's user namespace back",
	  .op = OP_STACKCMD, .seam = SEAM_USERNS, .err = EMFILE,
	  .want = EMFILE },
	{ .name = "spawner cannot get the stack's user namespace back",
	  .op = OP_SPAWN, .seam = SEAM_USERNS, .err = EMFILE, .want = EMFILE },
	{ .name = "runner cannot enter the stack's user namespace",
	  .op = OP_STACKCMD, .seam = SEAM_SETNS, .match = CLONE_NEWUSER,
	  .err = EINVAL, .want = EINVAL },
	{ .name = "runner killed before it replies", .op = OP_STACKCMD,
	  .seam = SEAM_SETNS, .match = CLONE_NEWNET, .kill = true,
	  .want = -1 },
	{ .name = "spawner cannot enter the stack", .op = OP_SPAWN,
	  .seam = SEAM_SETNS, .match = CLONE_NEWNET, .err = EINVAL,
	  .want = EINVAL },
	{ .name = "helper cannot enter the stack for a socket",
	  .op = OP_MSOCKET, .seam = SEAM_SETNS, .match = CLONE_NEWNET,
	  .err = EPERM, .want = EPERM },
	{ .name = "socket in the stack fails", .op = OP_MSOCKET,
	  .seam = SEAM_SOCKET, .err = EMFILE, .want = EMFILE },
};

/* arm - set the plan for case c (shared page: every process sees it). */
static void arm(const struct hcase *c)
{
	__atomic_store_n(&plan->calls, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&plan->hits, 0, __ATOMIC_SEQ_CST);
	plan->match = c->match;
	snprintf(plan->path, sizeof(plan->path), "%s", c->path ? c->path : "");
	plan->skip = c->skip;
	plan->err = c->err;
	plan->kill = c->kill;
	plan->fake_tun = c->fake_tun;
	plan->app = getpid();
	plan->worker_only = c->worker_only;
	__atomic_store_n(&plan->seam, c->seam, __ATOMIC_SEQ_CST);
}

/* disarm - no fault from now on. */
static void disarm(void)
{
	__atomic_store_n(&plan->seam, SEAM_NONE, __ATOMIC_SEQ_CST);
	plan->fake_tun = false;
}

/* argv of vde_stackspawn: a process that ends at once, with status 0. */
static char *const true_argv[] = { "/bin/true", NULL };

static struct vdestack *op_base; /* run_op's stack (NULL-URL) */
static int op_result;            /* run_op's outcome: 0 or an errno */

/* run_op - the operation of case arg on op_base, its outcome in
 * op_result (a thread's start routine, or called directly).
 * Return: NULL. */
static void *run_op(void *arg)
{
	const struct hcase *c = arg;
	struct vdestack *s;
	int result = -1, fd;

	errno = 0;
	switch (c->op) {
	case OP_ADDSTACK:
		s = vde_addstack((char *)c->url, NULL);
		result = s ? 0 : errno;
		vde_delstack(s);
		break;
	case OP_STACKCMD:
		result = vde_stackcmd(op_base, "/bin/true");
		result = result == -1 ? errno : (result ? 1000 + result : 0);
		break;
	case OP_MSOCKET:
		fd = vde_msocket(op_base, AF_INET, SOCK_DGRAM, 0);
		result = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		break;
	case OP_ADDIF:
		result = vde_stackaddif(op_base, (char *)c->url, "vde1") < 0 ?
			 errno : 0;
		if (result == 0 && vde_stackdelif(op_base, "vde1") < 0)
			result = 2000 + errno;
		break;
	case OP_SPAWN:
		fd = vde_stackspawn(op_base, true_argv, NULL);
		result = fd < 0 ? errno : 0;
		if (fd >= 0) {
			int ws = -1;

			if (vde_stackwait(fd, &ws) < 0 || ws != 0)
				result = 1000;
			close(fd);
		}
		break;
	}
	op_result = result;
	return NULL;
}

/* may_watch - whether /proc/PID/syscall of pid can be read here (it may
 * be closed to an unprivileged user).  Return: true if so. */
static bool may_watch(pid_t pid)
{
	char path[64], line[256];
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	return ok;
}

/* run_case - in a fresh test process: (warm up), count, fail, count
 * again, recover.  Ends the process on a failed check. */
static void run_case(void *arg)
{
	const struct hcase *c = arg;
	struct vdestack *base = NULL, *s;
	int fds, kids, hfds = -1, result;
	pid_t helper = -1;

	disarm();
	if (c->link)
		setenv("VDESTACK_LINK", c->link, 1);
	else
		unsetenv("VDESTACK_LINK");
	if (c->bridge)
		unsetenv("VDESTACK_BRIDGE");
	else
		setenv("VDESTACK_BRIDGE", "off", 1);
	setenv("VDESTACK_NSPOOL", c->pool ? c->pool : "0", 1);
	if (c->warm || c->op != OP_ADDSTACK) {
		base = vde_addstack(NULL, NULL);
		CHILD_CHECK_MSG(base, "warm-up: %s", strerror(errno));
		if (c->op == OP_ADDSTACK) {
			vde_delstack(base);
			base = NULL;
		}
	}
	fds = unit_count_fds();
	kids = unit_count_children(&helper);
	if (kids == 1 && may_watch(helper)) {
		/* a helper that never comes to wait is a failure, not a
		 * count skipped */
		CHILD_CHECK_MSG(unit_wait_idle_in_poll(helper), "the helper %d "
				"never waits for a request", (int)helper);
		hfds = unit_count_fds_of(helper);
		CHILD_CHECK_MSG(hfds >= 0, "cannot count the helper's fds");
	}

	arm(c);
	op_base = base;
	if (c->thread) {
		pthread_t t;

		CHILD_CHECK(pthread_create(&t, NULL, run_op, (void *)c) == 0);
		CHILD_CHECK(pthread_join(t, NULL) == 0);
	} else {
		run_op((void *)c);
	}
	result = op_result;
	for (int i = 0; c->worker_only && i < 5000 &&
	     __atomic_load_n(&plan->hits, __ATOMIC_SEQ_CST) == 0; i++)
		usleep(1000); /* the worker meets it in its own time */
	disarm();

	CHILD_CHECK_MSG(plan->hits == 1, "fault injected %d times", plan->hits);
	if (c->want == -1)
		CHILD_CHECK_MSG(result != 0, "succeeded");
	else
		CHILD_CHECK_MSG(result == c->want, "got %s, want %s",
				strerror(result), strerror(c->want));
	if (kids == 0 && c->want == 0) {
		/* a helper started and stays: its control socket and itself,
		 * and the thread's reply channel */
		CHILD_CHECK(vds_helper_thread_chan() >= 0);
		CHILD_CHECK(unit_count_fds() == fds + 2);
		CHILD_CHECK(unit_count_children(NULL) == 1);
	} else {
		CHILD_CHECK_MSG(unit_count_fds() == fds, "%d fds, had %d",
				unit_count_fds(), fds);
		CHILD_CHECK_MSG(unit_count_children(NULL) == kids,
				"%d children, had %d",
				unit_count_children(NULL), kids);
	}
	if (hfds >= 0) {
		__atomic_fetch_add(&plan->helper_checked, 1, __ATOMIC_SEQ_CST);
		CHILD_CHECK(unit_wait_idle_in_poll(helper));
		CHILD_CHECK_MSG(unit_count_fds_of(helper) == hfds,
				"helper has %d fds, had %d",
				unit_count_fds_of(helper), hfds);
	}

	/* what failed once works now, and the helper was not given up */
	if (base)
		CHILD_CHECK_MSG(vde_stackcmd(base, "/bin/true") == 0,
				"the stack made before: %s", strerror(errno));
	s = vde_addstack(NULL, NULL);
	CHILD_CHECK_MSG(s, "after the fault: %s", strerror(errno));
	CHILD_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	vde_delstack(s);
	vde_delstack(base);
}

/* test_helper_fails_cleanly_at_each_step - every case of the table in its
 * own process: the operation fails with the injected errno (or succeeds
 * where the error is tolerated), no descriptor or process is left behind
 * in the application or in the helper, and the next stack works. */
static void test_helper_fails_cleanly_at_each_step(void **state)
{
	int failed = 0;

	plan->helper_checked = 0;
	for (size_t i = 0; i < VDS_ARRAY_SIZE(cases); i++) {
		/* a case takes well under a second (a few under valgrind):
		 * 15 s mean a hang */
		int status = unit_run_in_child_for(run_case, (void *)&cases[i],
						   15000);

		if (status != 0) {
			print_error("case \"%s\" %s (status %#x)\n",
				    cases[i].name, status == UNIT_CHILD_HUNG ?
				    "hung" : "failed", status);
			failed++;
		}
	}
	/* /proc/PID/syscall of the helper may be closed to an unprivileged
	 * user: then only the application's side is counted */
	print_message("helper's descriptors counted in %d of %zu cases\n",
		      plan->helper_checked, VDS_ARRAY_SIZE(cases));
	assert_int_equal(failed, 0);
}

/* no_fault - the whole path with every wrapper passing through. */
static void no_fault(void *arg)
{
	struct vdestack *s;
	int fd;

	disarm();
	s = vde_addstack(NULL, NULL);
	CHILD_CHECK_MSG(s, "%s", strerror(errno));
	CHILD_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	CHILD_CHECK(vde_stackcmd(s, "/bin/false") == 1);
	fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
	CHILD_CHECK(fd >= 0);
	close(fd);
	vde_delstack(s);
}

/* test_helper_works_with_every_seam_passing_through - the wrappers change
 * nothing when no fault is planned. */
static void test_helper_works_with_every_seam_passing_through(void **state)
{
	assert_int_equal(unit_run_in_child(no_fault, NULL), 0);
}

/* helper_dies - a stack, its helper killed, then what the application
 * sees. */
static void helper_dies(void *arg)
{
	struct vdestack *old, *s;
	siginfo_t info;
	int fds;
	pid_t helper, again;

	disarm();
	unsetenv("VDESTACK_LINK");
	old = vde_addstack(NULL, NULL);
	CHILD_CHECK(old);
	fds = unit_count_fds();
	CHILD_CHECK(unit_count_children(&helper) == 1);
	CHILD_CHECK(kill(helper, SIGKILL) == 0);
	/* its control socket hangs up once it is dead */
	CHILD_CHECK(waitid(P_PID, (id_t)helper, &info, WEXITED | WNOWAIT) == 0);
	errno = 0;
	CHILD_CHECK(vde_stackcmd(old, "/bin/true") == -1 && errno == ESRCH);
	errno = 0;
	CHILD_CHECK(vde_msocket(old, AF_INET, SOCK_DGRAM, 0) == -1 &&
		    errno == ESRCH);
	/* the dead helper is reaped, a new one serves new stacks */
	s = vde_addstack(NULL, NULL);
	CHILD_CHECK_MSG(s, "%s", strerror(errno));
	CHILD_CHECK(unit_count_children(&again) == 1 && again != helper);
	CHILD_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	vde_delstack(s);
	vde_delstack(old);
	CHILD_CHECK_MSG(unit_count_fds() == fds, "%d fds, had %d",
			unit_count_fds(), fds);
}

/* test_helper_death_gives_esrch_and_the_next_stack_gets_a_new_helper -
 * calls on the old stacks fail at once with ESRCH, nothing of the dead
 * helper stays, and vde_addstack starts a new one. */
static void test_helper_death_gives_esrch_and_the_next_stack_gets_a_new_helper(void **state)
{
	assert_int_equal(unit_run_in_child_for(helper_dies, NULL, 15000), 0);
}

/* channel_lost - a thread's cached channel stops working while the
 * helper lives (shut down here; the helper never drops one itself): the
 * next calls go on a new channel, and nothing is left behind. */
static void channel_lost(void *arg)
{
	struct vdestack *s;
	int fd, fds, old;

	disarm();
	s = vde_addstack(NULL, NULL);
	CHILD_CHECK(s);
	fd = vde_msocket(s, AF_INET, SOCK_DGRAM, 0);
	CHILD_CHECK(fd >= 0);
	close(fd);
	fds = unit_count_fds();
	old = vds_helper_thread_chan();
	CHILD_CHECK(old >= 0);
	CHILD_CHECK(shutdown(old, SHUT_RDWR) == 0);
	fd = vde_msocket(s, AF_INET6, SOCK_STREAM, 0);
	CHILD_CHECK_MSG(fd >= 0, "%s", strerror(errno));
	close(fd);
	CHILD_CHECK(vds_helper_thread_chan() >= 0);
	CHILD_CHECK(vde_stackcmd(s, "/bin/true") == 0);
	CHILD_CHECK_MSG(unit_count_fds() == fds, "%d fds, had %d",
			unit_count_fds(), fds);
	vde_delstack(s);
}

/* test_a_lost_reply_channel_is_replaced_while_the_helper_lives - not
 * ESRCH, not EIO: the request goes on a new channel. */
static void test_a_lost_reply_channel_is_replaced_while_the_helper_lives(void **state)
{
	assert_int_equal(unit_run_in_child_for(channel_lost, NULL, 15000), 0);
}

/* group_setup - the shared plan page.  Return: 0, or -1. */
static int group_setup(void **state)
{
	plan = mmap(NULL, sizeof(*plan), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return plan == MAP_FAILED ? -1 : 0;
}

/* group_teardown - unmap the plan.  Return: 0. */
static int group_teardown(void **state)
{
	munmap(plan, sizeof(*plan));
	plan = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helper_works_with_every_seam_passing_through),
		cmocka_unit_test(test_helper_fails_cleanly_at_each_step),
		cmocka_unit_test(test_helper_death_gives_esrch_and_the_next_stack_gets_a_new_helper),
		cmocka_unit_test(test_a_lost_reply_channel_is_replaced_while_the_helper_lives),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
