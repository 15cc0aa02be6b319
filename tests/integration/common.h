/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common.h - shared helpers of the integration tests (public API only). */
#ifndef IT_COMMON_H
#define IT_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <vdestack.h>

/* Exit status meson reads as "skipped". */
#define IT_SKIP 77

/* Seconds a single test may run before its watchdog fails it (meson's own
 * timeout is longer, so a hang is reported with the test's name). */
#define IT_WATCHDOG_S 240

/* Fail the test (exit 1) with the place and errno when cond is false. */
#define IT_CHECK(cond)                                                      \
	do {                                                                \
		if (!(cond))                                                \
			it_fail(__FILE__, __LINE__, "%s", #cond);           \
	} while (0)

/* Same, with a message of its own. */
#define IT_CHECKF(cond, ...)                                                \
	do {                                                                \
		if (!(cond))                                                \
			it_fail(__FILE__, __LINE__, __VA_ARGS__);           \
	} while (0)

/* expr must be a failure (NULL or -1) that sets errno to err. */
#define IT_CHECK_ERRNO(failed, err)                                         \
	do {                                                                \
		errno = 0;                                                  \
		bool it_failed_ = (failed);                                 \
		int it_errno_ = errno;                                      \
		if (!it_failed_ || it_errno_ != (err))                      \
			it_fail(__FILE__, __LINE__,                         \
				"%s: expected failure with %s, got %s "     \
				"(errno %d: %s)", #failed, #err,            \
				it_failed_ ? "failure" : "success",         \
				it_errno_, strerror(it_errno_));            \
	} while (0)

/* One test case: its name is what meson shows. */
struct it_test {
	const char *name;
	void (*fn)(void);
};

/* Run the test named by argv[1], or every test, each in its own process,
 * when there is no argument.  Return: the exit status for main(). */
int it_main(int argc, char **argv, const struct it_test *tests, size_t n);

/* Report a failure and exit(1). */
void it_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* Exit 77 (skip), or fail when CI=true: CI never skips. */
void it_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* Return: true when the environment says CI=true. */
bool it_in_ci(void);

/* Skip unless stacks can be made at all (unprivileged user namespaces). */
void it_require_stacks(void);

/* Return: true when this user can open /dev/net/tun. */
bool it_tun_opens(void);

/* Return: the link kind VDESTACK_LINK asks for: "tap", "veth" or "auto"
 * (unset or empty). */
const char *it_link_mode(void);

/* Return: true when stacks with a network can be made here: always (a
 * veth link replaces the tap when /dev/net/tun cannot be opened), except
 * with VDESTACK_LINK=tap and no usable /dev/net/tun. */
bool it_network_available(void);

/* Skip unless stacks with a network can be made (it_network_available). */
void it_require_network(void);

/* Skip unless the program is found in PATH. */
void it_require_program(const char *name);

/* Move this process (it must still be single-threaded) into a user and
 * network namespace of its own with only lo, up: what a backend on the
 * host side sends anywhere but the loopback then goes nowhere.  For tests
 * that check that traffic does NOT get out; fails the test on error. */
void it_isolate_host_network(void);

/* What a leak check counts in this process. */
struct it_counts {
	int fds, children, threads;
};

/* Return: this process's descriptors, children and threads. */
struct it_counts it_take_counts(void);

/* Fail unless the counts are back to before (descriptors, threads and
 * children may take a moment to go: waits up to 10 s); what names the
 * step in the message. */
void it_check_counts(const struct it_counts *before, const char *what);

/* Return: the number of open descriptors of this process. */
int it_count_fds(void);

/* Return: n scaled by VDESTACK_TEST_SCALE (a percentage, default 100,
 * lowered under the sanitizers and valgrind), at least 1. */
long it_scaled(long n);

/* Return: the number of threads of this process (the fewest seen in
 * 50 ms: one just joined can still be listed). */
int it_count_threads(void);

/* Return: the open descriptors of process pid, or -1 when /proc does not
 * say (the process is gone, or not ours to look at). */
int it_count_fds_of(pid_t pid);

/* Write text to the file path (a /proc or /sys file, a configuration).
 * Return: true when all of it was written. */
bool it_write_file(const char *path, const char *text);

/* Children of process pid (every thread's), at most max in out.
 * Return: how many there are (may exceed max). */
int it_children(pid_t pid, pid_t *out, int max);

/* Return: true when pid exists and is not a zombie. */
bool it_pid_alive(pid_t pid);

/* Wait up to timeout_ms for pid to be gone (or a zombie).
 * Return: true when it is gone. */
bool it_wait_gone(pid_t pid, int timeout_ms);

/* The namespace helper of process app (0: this process): its child in
 * another user namespace.  Return: its pid, or -1 if there is none. */
pid_t it_helper_pid(pid_t app);

/* Return: a fresh temporary directory (removed with its contents when
 * the test process exits). */
const char *it_tmpdir(void);

/* Return: true when path exists. */
bool it_exists(const char *path);

/* Monotonic clock in ms. */
int64_t it_now_ms(void);

/* Sleep ms milliseconds. */
void it_sleep_ms(int ms);

/* vde_addstack() that must succeed.  Return: the stack. */
struct vdestack *it_addstack(const char *url, const char *ifname);

/* vde_stackcmd() on a printf-formatted command that must return 0. */
void it_stackcmd_ok(struct vdestack *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Run cmd with its standard output (and error, when with_err) going to a
 * temporary file, read back into out (NUL-terminated, truncated to size).
 * Return: vde_stackcmd()'s value (errno kept). */
int it_stackcmd_capture(struct vdestack *s, const char *cmd, bool with_err,
			char *out, size_t size);

/* Bring ifname up and give it address cidr (e.g. "10.0.0.1/24"). */
void it_config_addr(struct vdestack *s, const char *ifname, const char *cidr);

/* What a stack's kernel says, from inside it: the output of "/bin/ip ARGS"
 * run in s (stdout and stderr; checked to succeed), in a buffer of
 * it_ip_show's own that the next call overwrites.  Return: the text. */
const char *it_ip_show(struct vdestack *s, const char *args);

/* "/bin/ip ARGS" in s must (IT_CHECK_SHOWS) or must not (IT_CHECK_LACKS)
 * print text. */
#define IT_CHECK_SHOWS(s, args, text)                                       \
	do {                                                                \
		const char *it_out_ = it_ip_show(s, args);                  \
		IT_CHECKF(strstr(it_out_, text), "ip %s lacks \"%s\":\n%s", \
			  args, text, it_out_);                             \
	} while (0)
#define IT_CHECK_LACKS(s, args, text)                                       \
	do {                                                                \
		const char *it_out_ = it_ip_show(s, args);                  \
		IT_CHECKF(!strstr(it_out_, text), "ip %s shows \"%s\":\n%s",\
			  args, text, it_out_);                             \
	} while (0)

/* Return: the MTU of ifname in s, asked of the kernel through a socket of
 * the stack (checked). */
int it_iface_mtu(struct vdestack *s, const char *ifname);

/* vde_stackconf(s, config) that must succeed. */
void it_stackconf_ok(struct vdestack *s, const char *config);

/* Return: vde_stackresolv()'s text for s (checked), in a buffer of its own
 * that the next call overwrites. */
const char *it_resolv(struct vdestack *s);

/* A TCP listener on ip:port in stack s (NULL: the host).
 * Return: the descriptor (checked). */
int it_tcp_listen(struct vdestack *s, const char *ip, uint16_t port);

/* Connect fd to ip:port, retrying (ARP, link) until timeout_ms.
 * Return: 0 or -errno of the last attempt. */
int it_tcp_connect(int fd, const char *ip, uint16_t port, int timeout_ms);

/* Send bytes pseudo-random bytes (seed) from stack cli to a listener in
 * stack srv on srv_ip, check every byte there, then the same back the
 * other way (bytes / 4, another seed).  Fails the test on any mismatch
 * or after bounded waits. */
void it_tcp_exchange(struct vdestack *srv, struct vdestack *cli,
		     const char *srv_ip, size_t bytes, uint64_t seed);

/* A pseudo-random byte stream (xorshift64*), the same on both sides. */
struct it_gen {
	uint64_t state;
	uint64_t word;
	unsigned left; /* bytes left in word */
};
void it_gen_init(struct it_gen *g, uint64_t seed);
void it_gen_fill(struct it_gen *g, unsigned char *buf, size_t len);

/* A vde_switch started in the foreground as a child (dies with the test:
 * its stdin is a pipe of ours, and PR_SET_PDEATHSIG). */
struct it_switch {
	pid_t pid;
	int stdin_w;
	char path[512]; /* the switch's directory */
};

/* Start vde_switch -s dir/name and wait (bounded) for its socket. */
void it_switch_start(struct it_switch *sw, const char *dir, const char *name);

/* Stop it: SIGTERM, bounded wait, SIGKILL, reap. */
void it_switch_stop(struct it_switch *sw);

/* Two free UDP ports on 127.0.0.1 (free when asked). */
void it_free_udp_ports(uint16_t *a, uint16_t *b);

/* Byte streams of generator seed over a connected socket (common.c). */
void it_set_timeouts(int fd, int ms);
int it_send_stream(int fd, size_t bytes, uint64_t seed);
int it_recv_stream(int fd, size_t bytes, uint64_t seed, bool want_eof,
		   size_t *ret_off);

#endif /* IT_COMMON_H */
