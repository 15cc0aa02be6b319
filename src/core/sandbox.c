/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sandbox.c - the seccomp filter of the loop threads that pump frames.
 *
 * Theory of operation
 *
 * A loop thread runs backend code on traffic from the network: libslirp,
 * libvdeplug and its plugins, the stream decoder, the mem:// switch, the
 * forwarder.  None of it ever needs to start a program, trace or read
 * another process, change mounts or namespaces, load BPF or kernel code,
 * or make namespaces with clone(), so the filter refuses those calls with
 * EPERM (clone3, whose flags a filter cannot read, with ENOSYS, so that
 * the C library falls back to clone, where they can be checked).  All
 * other calls are allowed: the filter only takes away what a hijacked
 * pump would want first, and denies nothing the pump does.  System calls
 * of another ABI than the library's own (i386 or x32 entry points on
 * x86-64) are refused as a whole, or they would go around the list.
 *
 * The filter is per thread (no SECCOMP_FILTER_FLAG_TSYNC): the
 * application's threads, and the helper, keep every call.  Installing it
 * needs no_new_privs on the thread, which its children would inherit:
 * loop threads never fork (the stream backend's command and libvdeplug's
 * cmd:// start on the application's thread, in open()), except libslirp
 * for cmdfwd=, and such stacks get loops of their own without the filter
 * (loop.c).  A filter is a bound on one thread of a shared address space,
 * not a wall: docs/SECURITY.md says what it is worth.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"
#include "base/internal.h"

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define SANDBOX_ARCH AUDIT_ARCH_I386
#elif defined(__riscv) && __riscv_xlen == 64
#define SANDBOX_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SANDBOX_ARCH AUDIT_ARCH_PPC64LE
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG0_LOW offsetof(struct seccomp_data, args[0])
#else
#define ARG0_LOW (offsetof(struct seccomp_data, args[0]) + 4)
#endif

/* The namespace flags clone() may not carry. */
#define SANDBOX_CLONE_NS (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET |  \
			  CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |   \
			  CLONE_NEWCGROUP)

#ifdef SANDBOX_ARCH
/* The calls refused with EPERM (those this architecture has). */
static const int denied[] = {
	__NR_execve,
#ifdef __NR_execveat
	__NR_execveat,
#endif
	__NR_ptrace,
	__NR_process_vm_readv,
	__NR_process_vm_writev,
#ifdef __NR_pidfd_getfd
	__NR_pidfd_getfd,
#endif
	__NR_mount,
	__NR_umount2,
	__NR_pivot_root,
	__NR_chroot,
#ifdef __NR_open_tree
	__NR_open_tree,
	__NR_move_mount,
	__NR_fsopen,
	__NR_fsconfig,
	__NR_fsmount,
	__NR_fspick,
#endif
#ifdef __NR_mount_setattr
	__NR_mount_setattr,
#endif
	__NR_unshare,
	__NR_setns,
	__NR_bpf,
	__NR_kexec_load,
#ifdef __NR_kexec_file_load
	__NR_kexec_file_load,
#endif
	__NR_init_module,
	__NR_finit_module,
	__NR_delete_module,
	__NR_reboot,
	__NR_swapon,
	__NR_swapoff,
	__NR_add_key,
	__NR_request_key,
	__NR_keyctl,
	__NR_userfaultfd,
	__NR_open_by_handle_at,
	__NR_perf_event_open,
};

/* 3 instructions of prologue per ABI check, 2 per denied call, 4 for
 * clone, 2 for clone3, and the final allow. */
#define SANDBOX_LEN (8 + 2 * VDS_ARRAY_SIZE(denied) + 4 + 2 + 1)

/* build - the filter program into prog.  Return: its length. */
static unsigned build(struct sock_filter *prog)
{
	unsigned n = 0;

	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch));
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		SANDBOX_ARCH, 1, 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ERRNO | EPERM);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));
#ifdef __X32_SYSCALL_BIT
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
		__X32_SYSCALL_BIT, 0, 1);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ERRNO | EPERM);
#endif
	for (size_t i = 0; i < VDS_ARRAY_SIZE(denied); i++) {
		prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
			BPF_K, (unsigned)denied[i], 0, 1);
		prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ERRNO | EPERM);
	}
#ifdef __NR_clone3
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		__NR_clone3, 0, 1);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ERRNO | ENOSYS);
#endif
	/* clone: the flags are the first argument on these architectures */
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		__NR_clone, 0, 3);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		ARG0_LOW);
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
		SANDBOX_CLONE_NS, 0, 1);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ERRNO | EPERM);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	return n;
}
#endif

/* vds_sandbox_thread - install the pump's seccomp filter on the calling
 * thread only (and set its no_new_privs, which the filter needs).
 * Return: 0, -ENOSYS on an architecture the filter does not know, or
 * -errno of prctl(2)/seccomp(2) (EINVAL: a kernel without seccomp). */
int vds_sandbox_thread(void)
{
#ifdef SANDBOX_ARCH
	struct sock_filter prog[SANDBOX_LEN];
	struct sock_fprog fprog = { .filter = prog };

	fprog.len = (unsigned short)build(prog);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}
