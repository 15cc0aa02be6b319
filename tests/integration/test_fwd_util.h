/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_fwd_util.h - helpers of the slirp:// and port forwarding integration
 * tests: IPv4/IPv6 sockets on the host or in a stack, checked TCP streams
 * and UDP echoes (public API only). */
#ifndef IT_FWD_UTIL_H
#define IT_FWD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common.h"

/* Fill ss with ip ("10.0.2.2" or "::1") and port.  Return: its length. */
socklen_t fu_addr(const char *ip, uint16_t port, struct sockaddr_storage *ss);

/* Return: the address family of ip. */
int fu_family(const char *ip);

/* A socket of type (SOCK_STREAM/SOCK_DGRAM) bound to ip:port in stack s
 * (NULL: the host), listening when it is a stream socket.
 * Return: its descriptor (checked). */
int fu_bound(struct vdestack *s, int type, const char *ip, uint16_t port);

/* fu_bound on the host with a port the kernel picks.
 * Return: the descriptor; *ret_port its port. */
int fu_bound_any(int type, const char *ip, uint16_t *ret_port);

/* A port of ip on the host that bind(2) just found free, for type.
 * Return: the port. */
uint16_t fu_free_port(int type, const char *ip);

/* Return: true when ip:port can be bound on the host now (type). */
bool fu_port_is_free(int type, const char *ip, uint16_t port);

/* A new socket of type for ip's family, in s (NULL: the host), connected
 * to ip:port, retrying refusals until timeout_ms (a stack's link, or a
 * forwarded server, may still be coming up).
 * Return: the descriptor, or -errno of the last attempt. */
int fu_connect(struct vdestack *s, int type, const char *ip, uint16_t port,
	       int timeout_ms);

/* A TCP server thread on listener lfd: accepts one connection, reads
 * bytes of pseudo-random stream seed (checked byte by byte), then sends
 * bytes / 4 of stream seed + 1 and closes. */
struct fu_server;
struct fu_server *fu_server_start(int lfd, size_t bytes, uint64_t seed);
/* Wait for it (bounded) and fail the test if it failed; frees it. */
void fu_server_join(struct fu_server *srv);

/* The client side of fu_server on a connected fd: send bytes of seed,
 * half-close, read and check bytes / 4 of seed + 1 and the end of the
 * stream; closes fd.  Fails the test on any difference. */
void fu_client_exchange(int fd, size_t bytes, uint64_t seed);

/* A UDP echo thread on bound socket fd (closed by fu_echo_stop). */
struct fu_echo;
struct fu_echo *fu_echo_start(int fd);
/* Return: how many datagrams it received so far. */
unsigned fu_echo_count(struct fu_echo *e);
void fu_echo_stop(struct fu_echo *e);

/* Send n datagrams of sizes up to max on connected fd, each answered by
 * an echo, checked (lost ones are sent again, a bounded number of
 * times).  Fails the test when one never comes back. */
void fu_udp_roundtrips(int fd, unsigned n, size_t max);

/* Return: true when a datagram arrives on fd within ms. */
bool fu_udp_any_reply(int fd, int ms);

/* Configure a slirp stack: 10.0.2.15/24 on vde0, up, default route via
 * 10.0.2.2; fd00::15/64 (no DAD) with a default route via fd00::2. */
void fu_slirp_config(struct vdestack *s);

/* n scaled by VDESTACK_TEST_SCALE (a percentage, default 100; the
 * valgrind and sanitizer passes set 10), at least 1.  Return: it. */
unsigned fu_scaled(unsigned n);

/* Raise the soft RLIMIT_NOFILE, when needed, so that n descriptors more
 * than are open now fit (fails the test when the hard limit is lower). */
void fu_fd_room(unsigned n);

/* A TCP echo thread on listener lfd: accepts n connections and sends back
 * what each one sends, until its end, then closes it; it ends when the n
 * connections have ended. */
struct fu_tcp_echo;
struct fu_tcp_echo *fu_tcp_echo_start(int lfd, unsigned n);
/* Wait for it (bounded) and fail the test if it failed; frees it. */
void fu_tcp_echo_join(struct fu_tcp_echo *e);

/* n TCP connections from the host to ip:port, all started at once
 * (non-blocking), in fds; returns once every one is established
 * (bounded).  They stay non-blocking. */
void fu_burst_open(const char *ip, uint16_t port, unsigned n, int *fds);

/* On n connections of fu_burst_open at once: connection i sends bytes of
 * generator seed + i, half-closes, and must read exactly its own bytes
 * back, then the end (an fu_tcp_echo at the other end).  Every byte is
 * checked; closes the fds.  Fails the test on any difference, or when
 * nothing moves for a long time. */
void fu_burst_echo(int *fds, unsigned n, size_t bytes, uint64_t seed);

/* Wait (bounded) until each of the n fds (of fu_burst_open) sees its
 * connection end (end-of-file or a reset), then close them.  Fails the
 * test when one stays open. */
void fu_burst_wait_closed(int *fds, unsigned n);

/* A connected pair of TCP sockets between two stacks: *ret_cli in cli
 * connected to a listener of srv on srv_ip:port, *ret_srv accepted. */
void fu_stream_pair(struct vdestack *srv, struct vdestack *cli,
		    const char *srv_ip, uint16_t port, int *ret_srv,
		    int *ret_cli);

/* bytes of seed from cli to srv on a pair of fu_stream_pair (a thread
 * sends, this one receives and checks every byte).  Fails the test on a
 * difference or after a bounded wait. */
void fu_stream_check(int srv, int cli, size_t bytes, uint64_t seed);

/* Stop the namespace helper of this process (SIGSTOP), and wait
 * (bounded) until it is stopped: every request to it waits from now on.
 * Return: its pid, for fu_helper_cont. */
pid_t fu_helper_stop(void);
/* Let it go on (SIGCONT). */
void fu_helper_cont(pid_t helper);
/* A thread that lets it go on after ms, while this one waits for it. */
struct fu_cont;
struct fu_cont *fu_helper_cont_later(pid_t helper, int ms);
void fu_helper_cont_join(struct fu_cont *c);

/* Return: the connections waiting in the accept queue of the host's
 * listening TCP socket on 127.0.0.1:port (/proc/net/tcp), or -1 when
 * there is no such socket. */
int fu_accept_queue(uint16_t port);

/* Wait (bounded) until the host's listener on 127.0.0.1:port has fewer
 * than n connections in its accept queue: its owner accepted some.
 * Fails the test otherwise. */
void fu_wait_accepted(uint16_t port, int n);

#endif /* IT_FWD_UTIL_H */
