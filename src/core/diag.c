/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * diag.c - why a stack cannot be made here, and how to fix it:
 * vde_stackerror(3) and vde_stackcheck(3).
 *
 * Theory of operation
 *
 * vde_addstack() fails with the kernel's errno, which says little on its
 * own: EPERM is the same whether Debian's kernel.unprivileged_userns_clone
 * is 0, AppArmor gives the new user namespace no capabilities (Ubuntu
 * 23.10 and later: kernel.apparmor_restrict_unprivileged_userns=1, where
 * unshare(2) works and the uid_map write or the next unshare fails), or a
 * container's seccomp profile refuses the unshare; ENOSPC is
 * user.max_user_namespaces at 0 or a limit reached.  So the explanation
 * is found after the fact, from the errno and what the machine says now:
 * the sysctls under /proc/sys, the calling thread's Seccomp and CapEff
 * fields, whether it is in the initial user namespace (those two sysctls
 * bind only a process without CAP_SYS_ADMIN there), and whether
 * /dev/net/tun opens.  Every read goes through the seam (base/sys.c), so
 * the unit tests make the machine say anything, the AppArmor sysctl
 * included, which no machine of ours has.  EMFILE, ENFILE and EUSERS
 * need no read (and with EMFILE a read could not open its file anyway).
 *
 * The causes are tried in the order in which they stop a stack: the
 * namespace limits and sysctls act before any interface exists, so they
 * come before the tap and veth links.
 *
 * vde_stackerror() explains the calling thread's last vde_addstack(): its
 * errno is kept in a thread-local note (stack.c calls vds_diag_note()),
 * with whether the helper was asked at all (a bad URL fails before, and
 * its ENOENT is no missing /dev/net/tun); the settings are read when the
 * explanation is asked for.
 *
 * vde_stackcheck() tries one thing a stack needs, the way the helper does
 * it and with the helper's own code (helper/nsops.c): the user namespace
 * mapped to root, the base network namespace and a stack's pair of
 * namespaces, a tap, a veth pair.  It runs them in a forked child,
 * because a process that unshares a user namespace stays in it; the
 * child reports the step that failed and its errno on a socketpair and
 * exits, so nothing it made outlives it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vdestack.h>

#include "diag.h"
#include "base/internal.h"
#include "base/proto.h"
#include "base/sys.h"
#include "helper/nsops.h"

/* The settings read (the sysctl's name is the path below /proc/sys with
 * dots for slashes, as the explanations name them). */
#define SYSCTL_MAX_USERNS "/proc/sys/user/max_user_namespaces"
#define SYSCTL_MAX_NETNS "/proc/sys/user/max_net_namespaces"
#define SYSCTL_USERNS_CLONE "/proc/sys/kernel/unprivileged_userns_clone"
#define SYSCTL_APPARMOR "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
#define SYSCTL_FILE_MAX "/proc/sys/fs/file-max"
#define THREAD_STATUS "/proc/thread-self/status"
#define SELF_UID_MAP "/proc/self/uid_map"
#define SELF_USERNS "/proc/self/ns/user"
#define TUN_DEVICE "/dev/net/tun"

/* /proc/self/status is about 1.5 KB; a sysctl a number. */
#define STATUS_MAX 8192
#define SMALL_MAX 128

/* Seccomp: in /proc/PID/status: 2 is a filter (mode SECCOMP_MODE_FILTER). */
#define SECCOMP_FILTER 2

/* The interface the checks make, in namespaces that die with them. */
#define CHECK_IFNAME "vdecheck0"

/* The thread's last vde_addstack(): 0 when it worked. */
static __thread struct vds_diag_in last_failure;

/* read_long - the number in sysctl file path.
 * Return: 0 with *ret, or -errno (-ENOENT: no such setting here). */
static int read_long(const char *path, long *ret)
{
	char buf[SMALL_MAX], *end;
	int n = vds_sys_read_file(path, buf, sizeof(buf));
	long v;

	if (n < 0)
		return n;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno)
		return -EINVAL; /* *ret untouched: not a 0 read */
	*ret = v;
	return 0;
}

/* setting_is - whether sysctl path exists and holds want. */
static bool setting_is(const char *path, long want)
{
	long v;

	return read_long(path, &v) == 0 && v == want;
}

/* status_field - the value of field name ("Seccomp") in the calling
 * thread's status, as text in buf (size SMALL_MAX).
 * Return: 0, or -errno (-ENOENT: no such field). */
static int status_field(const char *name, char *buf)
{
	char status[STATUS_MAX];
	size_t len = strlen(name);
	int n = vds_sys_read_file(THREAD_STATUS, status, sizeof(status));

	if (n < 0)
		return n;
	for (char *line = status; line && *line; ) {
		char *next = strchr(line, '\n');

		if (next)
			*next++ = '\0';
		if (!strncmp(line, name, len) && line[len] == ':') {
			snprintf(buf, SMALL_MAX, "%s",
				 line + len + 1 + strspn(line + len + 1, " \t"));
			return 0;
		}
		line = next;
	}
	return -ENOENT;
}

/* seccomp_filtered - whether the calling thread runs under a seccomp
 * filter (inherited by the helper it forks). */
static bool seccomp_filtered(void)
{
	char v[SMALL_MAX];

	return status_field("Seccomp", v) == 0 && atoi(v) == SECCOMP_FILTER;
}

/* privileged - whether the process has CAP_SYS_ADMIN in the initial user
 * namespace (real root): then unprivileged_userns_clone and AppArmor's
 * restriction do not bind it.  Unknown is unprivileged. */
static bool privileged(void)
{
	char v[SMALL_MAX], map[SMALL_MAX];
	unsigned long long eff;
	unsigned long first, lower, count;

	if (status_field("CapEff", v) < 0)
		return false;
	eff = strtoull(v, NULL, 16);
	if (!(eff & (1ULL << CAP_SYS_ADMIN)))
		return false;
	/* the initial namespace maps every id to itself */
	if (vds_sys_read_file(SELF_UID_MAP, map, sizeof(map)) < 0 ||
	    sscanf(map, "%lu %lu %lu", &first, &lower, &count) != 3)
		return false;
	return first == 0 && lower == 0 && count == 4294967295UL;
}

/* tun_error - whether /dev/net/tun opens for reading and writing.
 * Return: 0, or the errno (positive) that says why not. */
static int tun_error(void)
{
	int fd = vds_sys_open(TUN_DEVICE, O_RDWR);

	if (fd < 0)
		return -fd;
	close(fd);
	return 0;
}

/* find_limits - ENOSPC: which namespace limit is reached. */
static void find_limits(struct vds_diag *d)
{
	long users = -1, nets = -1;

	read_long(SYSCTL_MAX_USERNS, &users);
	read_long(SYSCTL_MAX_NETNS, &nets);
	if (users == 0) {
		d->cause = VDS_CAUSE_MAX_USERNS;
	} else if (nets == 0) {
		d->cause = VDS_CAUSE_MAX_NETNS;
	} else {
		d->cause = VDS_CAUSE_NS_LIMIT;
		d->value = users;
		d->value2 = nets;
	}
}

/* find_link - the link's failure: a tap asked for (a check of the tap, or
 * VDESTACK_LINK=tap), a veth checked, or both failing in vde_addstack()
 * (the veth is tried where the tap fails, so err is the veth's).
 * Return: true when the link explains in. */
static bool find_link(const struct vds_diag_in *in, struct vds_diag *d)
{
	int tun;

	switch (in->step) {
	case VDS_DIAG_TAP:
		d->cause = VDS_CAUSE_NO_TUN;
		d->tun_err = in->err;
		return true;
	case VDS_DIAG_VETH:
		d->cause = VDS_CAUSE_NO_VETH;
		return true;
	case VDS_DIAG_STACK:
		break;
	default:
		return false;
	}
	if (!in->net)
		return false;
	tun = tun_error();
	if (!tun)
		return false; /* the tap was there: something else failed */
	d->tun_err = tun;
	d->cause = in->tap_only ? VDS_CAUSE_NO_TUN : VDS_CAUSE_NO_LINK;
	return true;
}

/* find_denied - EPERM/EACCES/EINVAL: the user namespace switched off or
 * restricted, a tap the user may not open, a seccomp filter. */
static void find_denied(const struct vds_diag_in *in, struct vds_diag *d)
{
	bool ns_step = in->step != VDS_DIAG_TAP && in->step != VDS_DIAG_VETH;
	int fd;

	if (ns_step) {
		fd = vds_sys_open(SELF_USERNS, O_RDONLY);
		if (fd == -ENOENT) {
			d->cause = VDS_CAUSE_NO_USERNS;
			return;
		}
		if (fd >= 0)
			close(fd);
		if (!privileged() && setting_is(SYSCTL_USERNS_CLONE, 0)) {
			d->cause = VDS_CAUSE_USERNS_CLONE;
			return;
		}
		if (!privileged() && setting_is(SYSCTL_APPARMOR, 1)) {
			d->cause = VDS_CAUSE_APPARMOR;
			return;
		}
	}
	if ((in->step == VDS_DIAG_TAP || in->tap_only) && find_link(in, d))
		return;
	if (ns_step && in->err == EPERM && seccomp_filtered()) {
		d->cause = VDS_CAUSE_SECCOMP;
		return;
	}
	if (in->err != EINVAL && find_link(in, d))
		return;
	d->cause = VDS_CAUSE_OTHER;
}

/* vds_diag_find - the cause of the failure in (see diag.h). */
void vds_diag_find(const struct vds_diag_in *in, struct vds_diag *ret)
{
	long v = -1;

	*ret = (struct vds_diag){ .cause = VDS_CAUSE_OTHER, .err = in->err,
				  .value = -1, .value2 = -1 };
	switch (in->err) {
	case 0:
		ret->cause = VDS_CAUSE_NONE;
		break;
	case EMFILE:
		ret->cause = VDS_CAUSE_NOFILE;
		break;
	case ENFILE:
		ret->cause = VDS_CAUSE_NFILE;
		if (read_long(SYSCTL_FILE_MAX, &v) == 0)
			ret->value = v;
		break;
	case EUSERS:
		ret->cause = VDS_CAUSE_DEPTH;
		break;
	}
	if (ret->cause != VDS_CAUSE_OTHER || in->before_helper)
		return; /* a bad URL or argument: no namespace was tried */
	switch (in->err) {
	case ENOSPC:
		if (in->step == VDS_DIAG_TAP || in->step == VDS_DIAG_VETH)
			find_link(in, ret);
		else
			find_limits(ret);
		break;
	case EPERM:
	case EACCES:
	case EINVAL:
		find_denied(in, ret);
		break;
	default:
		find_link(in, ret);
		break;
	}
}

/* err_name - "ENOSPC" for ENOSPC.  Return: a static string. */
static const char *err_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "an unknown error";
}

/* The fix of each cause, after "; fix: " in its line. */
static const char *const fixes[] = {
	[VDS_CAUSE_MAX_USERNS] =
		"sudo sysctl -w user.max_user_namespaces=15000 (in a "
		"container, where the limit was set: its host, or the user "
		"namespace that set it)",
	[VDS_CAUSE_MAX_NETNS] =
		"sudo sysctl -w user.max_net_namespaces=15000 (in a "
		"container, where the limit was set)",
	[VDS_CAUSE_NS_LIMIT] =
		"end processes that hold namespaces, or raise the limit: "
		"sudo sysctl -w user.max_user_namespaces=15000",
	[VDS_CAUSE_USERNS_CLONE] =
		"sudo sysctl -w kernel.unprivileged_userns_clone=1",
	[VDS_CAUSE_APPARMOR] =
		"load an AppArmor profile with \"userns,\" for this program "
		"(see vdestack_apparmor(7)), or sudo sysctl -w "
		"kernel.apparmor_restrict_unprivileged_userns=0",
	[VDS_CAUSE_SECCOMP] =
		"run with a seccomp profile that allows unshare(2) and "
		"clone(2) with CLONE_NEWUSER (for a container, e.g. "
		"--security-opt seccomp=unconfined)",
	[VDS_CAUSE_NO_USERNS] =
		"a kernel built with CONFIG_USER_NS=y",
	[VDS_CAUSE_NO_TUN] =
		"leave VDESTACK_LINK unset (the veth link needs no device), "
		"or make the device usable (sudo modprobe tun; sudo chmod "
		"0666 /dev/net/tun; in a container, --device /dev/net/tun)",
	[VDS_CAUSE_NO_VETH] =
		"sudo modprobe veth (a kernel with CONFIG_VETH), or use the "
		"tap link",
	[VDS_CAUSE_NO_LINK] =
		"give it /dev/net/tun (in a container, --device "
		"/dev/net/tun) or a kernel with veth (sudo modprobe veth)",
	[VDS_CAUSE_NOFILE] =
		"close descriptors, or raise the limit (ulimit -n)",
	[VDS_CAUSE_NFILE] =
		"close files, or raise the limit: sudo sysctl -w "
		"fs.file-max=N",
	[VDS_CAUSE_DEPTH] =
		"run from a less deeply nested user namespace",
};

/* tun_text - why /dev/net/tun fails with err, for the link causes.
 * Return: a static string. */
static const char *tun_text(int err)
{
	if (err == EACCES || err == EPERM)
		return "/dev/net/tun cannot be opened by this user";
	if (err == ENOENT)
		return "/dev/net/tun does not exist";
	return "/dev/net/tun does not work here";
}

/* cause_ns - what a cause of the namespaces' own is, in buf.
 * Return: as snprintf, or -1 when d is not such a cause. */
static int cause_ns(const struct vds_diag *d, char *buf, size_t size)
{
	const char *e = err_name(d->err);

	switch (d->cause) {
	case VDS_CAUSE_MAX_USERNS:
		return snprintf(buf, size, "user.max_user_namespaces is 0, "
				"so no user namespace can be made here (%s)", e);
	case VDS_CAUSE_MAX_NETNS:
		return snprintf(buf, size, "user.max_net_namespaces is 0, "
				"so no network namespace can be made here (%s)",
				e);
	case VDS_CAUSE_NS_LIMIT:
		if (d->value < 0 || d->value2 < 0)
			return snprintf(buf, size, "a namespace limit is reached "
					"(%s): user.max_user_namespaces or "
					"user.max_net_namespaces, here or in an "
					"enclosing user namespace", e);
		return snprintf(buf, size, "a namespace limit is reached (%s): "
				"user.max_user_namespaces is %ld and "
				"user.max_net_namespaces %ld here, and an "
				"enclosing user namespace may have lower ones",
				e, d->value, d->value2);
	case VDS_CAUSE_USERNS_CLONE:
		return snprintf(buf, size, "kernel.unprivileged_userns_clone "
				"is 0, so unprivileged users may not make user "
				"namespaces (%s)", e);
	case VDS_CAUSE_APPARMOR:
		return snprintf(buf, size, "kernel.apparmor_restrict_"
				"unprivileged_userns is 1, so AppArmor gives a "
				"program whose profile lacks \"userns\" no "
				"capabilities in the user namespace it makes "
				"(%s)", e);
	case VDS_CAUSE_SECCOMP:
		return snprintf(buf, size, "a seccomp filter refuses new user "
				"namespaces (%s, with Seccomp: 2 in "
				"/proc/self/status), as a container's default "
				"profile does", e);
	case VDS_CAUSE_NO_USERNS:
		return snprintf(buf, size, "this kernel has no user namespaces "
				"(%s, and no /proc/self/ns/user)", e);
	case VDS_CAUSE_DEPTH:
		return snprintf(buf, size, "user namespaces nest too deep (%s): "
				"the kernel allows 32 levels and a stack needs 2 "
				"below the caller's", e);
	default:
		return -1;
	}
}

/* cause_other - what a link or resource cause is, in buf.
 * Return: as snprintf. */
static int cause_other(const struct vds_diag *d, char *buf, size_t size)
{
	const char *e = err_name(d->err), *t = err_name(d->tun_err);

	switch (d->cause) {
	case VDS_CAUSE_NO_TUN:
		return snprintf(buf, size, "%s (%s), so no tap can be made",
				tun_text(d->tun_err), t);
	case VDS_CAUSE_NO_VETH:
		return snprintf(buf, size, "a veth pair cannot be made (%s): "
				"the kernel lacks veth", e);
	case VDS_CAUSE_NO_LINK:
		return snprintf(buf, size, "no interface can be made for the "
				"stack: %s (%s) and a veth pair cannot be made "
				"(%s), as in a very restricted container",
				tun_text(d->tun_err), t, e);
	case VDS_CAUSE_NOFILE:
		return snprintf(buf, size, "too many open files in this "
				"process (%s): RLIMIT_NOFILE is reached", e);
	case VDS_CAUSE_NFILE:
		if (d->value < 0)
			return snprintf(buf, size, "too many open files on this "
					"system (%s): fs.file-max is reached", e);
		return snprintf(buf, size, "too many open files on this system "
				"(%s): fs.file-max (%ld) is reached", e,
				d->value);
	default:
		/* no known cause: the error as it is */
		return snprintf(buf, size, "%s (%s)", strerror(d->err), e);
	}
}

/* vds_diag_format - one line for d (see diag.h): what the cause is, then
 * its fix.  Return: the length of the whole line. */
int vds_diag_format(const struct vds_diag *d, char *buf, size_t size)
{
	char what[VDS_DIAG_LINE_MAX];
	const char *fix = NULL;

	if (d->cause == VDS_CAUSE_NONE)
		return snprintf(buf, size, "%s", "");
	if (cause_ns(d, what, sizeof(what)) < 0)
		cause_other(d, what, sizeof(what));
	if ((size_t)d->cause < VDS_ARRAY_SIZE(fixes))
		fix = fixes[d->cause];
	if (!fix)
		return snprintf(buf, size, "%s", what);
	return snprintf(buf, size, "%s; fix: %s", what, fix);
}

/* What the checking child reports. */
struct probe_report {
	int32_t step; /* enum vds_diag_step: the step that failed */
	int32_t err;  /* 0 or -errno */
};

/* probe_netns - the helper's base network namespace (left open in
 * *ret_base), then a stack's pair of namespaces beside it (*ret).
 * Return: 0 or -errno. */
static int probe_netns(int *ret_base, struct vds_stackns *ret)
{
	int err = vds_sys_unshare(CLONE_NEWNET);

	if (err < 0)
		return err;
	*ret_base = vds_sys_open("/proc/thread-self/ns/net", O_RDONLY);
	if (*ret_base < 0)
		return *ret_base;
	return vds_ns_make(ret);
}

/* probe_steps - in the checking child: what the helper does, up to want:
 * its user namespace (root mapped to uid/gid), its base network
 * namespace and a stack's namespaces, then the stack's tap or veth.
 * Whatever is made dies with the child.  *ret_step: the step reached.
 * Return: 0 or -errno. */
static int probe_steps(enum vds_diag_step want, uid_t uid, gid_t gid,
		       enum vds_diag_step *ret_step)
{
	struct vds_stackns ns = VDS_STACKNS_NONE, made;
	unsigned flags = VDS_NEWSTACK_TAP;
	int base = -1, tap = -1, err;

	*ret_step = VDS_DIAG_USERNS;
	err = vds_ns_setup_user(uid, gid);
	if (err < 0 || want == VDS_DIAG_USERNS)
		return err;
	*ret_step = VDS_DIAG_NETNS;
	err = probe_netns(&base, &ns);
	if (err < 0 || want == VDS_DIAG_NETNS)
		return err;
	*ret_step = want;
	flags |= want == VDS_DIAG_TAP ? VDS_NEWSTACK_LINK_TAP :
					VDS_NEWSTACK_LINK_VETH;
	return vds_ns_new_stack(base, &ns, CHECK_IFNAME, flags, 0, &made, &tap);
}

/* vds_diag_try - try step in a child process (see diag.h).
 * Return: 0 when it works, or -errno (the child's, or the fork's). */
int vds_diag_try(enum vds_diag_step step, enum vds_diag_step *ret_step)
{
	struct probe_report r = { .step = step, .err = -ECHILD };
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int sv[2], err;
	ssize_t n;
	pid_t pid;

	*ret_step = step;
	err = vds_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	if (err < 0)
		return err;
	pid = vds_sys_fork();
	if (pid == 0) {
		enum vds_diag_step at;

		close(sv[0]);
		r.err = probe_steps(step, uid, gid, &at);
		r.step = at;
		_exit(write(sv[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return pid;
	}
	do
		n = read(sv[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(r))
		return -ECHILD; /* it died before it could say */
	*ret_step = (enum vds_diag_step)r.step;
	return r.err;
}

/* vds_diag_note - the calling thread's last vde_addstack() (see diag.h). */
void vds_diag_note(int err, bool net, bool in_helper)
{
	const char *link = getenv("VDESTACK_LINK");

	last_failure = (struct vds_diag_in){
		.err = err, .step = VDS_DIAG_STACK, .net = net,
		.tap_only = link && !strcmp(link, "tap"),
		.before_helper = !in_helper,
	};
}

/* put_line - a public call's output: line (len bytes) and its NUL in buf,
 * whole or not at all.  Return: len, or -1 with errno (EINVAL: no buf but
 * a size; ERANGE: it does not fit). */
static int put_line(const char *line, int len, char *buf, size_t size)
{
	if (!buf && size) {
		errno = EINVAL;
		return -1;
	}
	if (!buf)
		return len;
	if ((size_t)len >= size) {
		errno = ERANGE;
		return -1;
	}
	memcpy(buf, line, (size_t)len + 1);
	return len;
}

/* explain - the line of failure in, into buf as the public calls give it.
 * Return: its length, or -1 with errno (as put_line). */
static int explain(const struct vds_diag_in *in, char *buf, size_t size)
{
	char line[VDS_DIAG_LINE_MAX];
	struct vds_diag d;
	int len;

	vds_diag_find(in, &d);
	len = vds_diag_format(&d, line, sizeof(line));
	if (len >= (int)sizeof(line))
		len = (int)sizeof(line) - 1; /* never: lines are shorter */
	return put_line(line, len, buf, size);
}

/* vde_stackerror - why the calling thread's last vde_addstack() failed,
 * and the fix, in buf.  errno is left as it was unless -1 is returned.
 * Return: the length (0: that call did not fail), or -1 with errno. */
VDS_EXPORT int vde_stackerror(char *buf, size_t size)
{
	int saved = errno, n;

	if (!buf && size) {
		errno = EINVAL;
		return -1;
	}
	n = explain(&last_failure, buf, size);
	if (n >= 0)
		errno = saved;
	return n;
}

/* vde_stackcheck - try item (VDE_CHECK_*) as the helper does; on failure
 * its explanation in buf and errno the kernel's error (errno is kept
 * when it works).
 * Return: 0 when it works, the explanation's length (> 0) when it does
 * not, -1 with errno (EINVAL, ERANGE) when the call itself fails. */
VDS_EXPORT int vde_stackcheck(int item, char *buf, size_t size)
{
	struct vds_diag_in in = { .step = VDS_DIAG_STACK };
	enum vds_diag_step at;
	int saved = errno, err, n;

	if ((!buf && size) || item < VDE_CHECK_USERNS ||
	    item > VDE_CHECK_VETH) {
		errno = EINVAL;
		return -1;
	}
	err = vds_diag_try((enum vds_diag_step)item, &at);
	if (err == 0) {
		errno = saved; /* nothing failed */
		return put_line("", 0, buf, size);
	}
	in.err = -err;
	in.step = at;
	n = explain(&in, buf, size);
	if (n >= 0)
		errno = -err;
	return n;
}
