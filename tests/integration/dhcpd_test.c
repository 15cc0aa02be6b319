/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dhcpd_test.c - a minimal DHCPv4 server (RFC 2131) for the integration
 * tests: one lease, DISCOVER -> OFFER, REQUEST -> ACK (or NAK).
 *
 * Theory of operation: the server lives in a stack of the test's own on
 * the same segment as the client under test, so nothing it sends can
 * leave the test's namespaces.  It speaks through an ordinary UDP socket
 * of that stack (vde_msocket) bound to 0.0.0.0:67 and to the interface
 * (SO_BINDTODEVICE): a client without an address broadcasts from
 * 0.0.0.0:68, which such a socket receives, and every answer goes to
 * 255.255.255.255:68 on that interface, since the client has no address
 * to be sent to yet (the broadcast flag it sets asks for that too).  The
 * server keeps no state but two counters: it offers its one address to
 * any client, acknowledges a REQUEST for that address and refuses one for
 * any other.  Options are the ones a client needs to use the lease: 53
 * (type), 54 (server), 51 (lease time), 1 (mask), 3 (router), 6 (DNS) and
 * 26 (interface MTU), each when the lease says so.  The thread polls with
 * a short timeout, so td_stop() ends it within that bound.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcpd_test.h"

#define BOOTP_FIXED 236      /* op .. file */
#define BOOTP_MIN 300        /* smallest BOOTP message (RFC 951) */
#define PORT_SERVER 67
#define PORT_CLIENT 68
#define POLL_MS 100

/* Message types of option 53. */
enum { DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5, NAK = 6 };

/* The server: its socket, what it leases (in network order), its thread. */
struct td_server {
	int fd;
	struct in_addr server, addr, mask, router, dns;
	unsigned mtu;
	uint32_t lease_s;
	pthread_t thread;
	atomic_bool stop;
	atomic_uint offers, acks;
};

const unsigned char td_cookie[4] = { 99, 130, 83, 99 };

/* td_option - option code in o[0..len).  Return: its value, or NULL. */
const unsigned char *td_option(const unsigned char *o, size_t len,
			       unsigned code, size_t *ret_len)
{
	size_t at = 0;

	while (at < len && o[at] != 255) {
		if (o[at] == 0) {
			at++;
			continue;
		}
		if (at + 2 > len || at + 2 + o[at + 1] > len)
			return NULL;
		if (o[at] == code) {
			*ret_len = o[at + 1];
			return o + at + 2;
		}
		at += 2 + o[at + 1];
	}
	return NULL;
}

/* put_option - append option code with len bytes of val at *o, if it fits
 * before end (one byte stays for the end option).
 * Return: true when it was appended. */
static bool put_option(unsigned char **o, const unsigned char *end,
		       unsigned code, const void *val, size_t len)
{
	if (len > 255 || *o + 2 + len >= end)
		return false;
	*(*o)++ = (unsigned char)code;
	*(*o)++ = (unsigned char)len;
	memcpy(*o, val, len);
	*o += len;
	return true;
}

/* answer_type - what to answer to a request of type type, which asked for
 * the address of option 50 (or ciaddr) in req[0..len).
 * Return: OFFER, ACK, NAK, or 0 for no answer. */
static int answer_type(const struct td_server *d, const unsigned char *req,
		       size_t len, unsigned type)
{
	const unsigned char *v;
	size_t vlen;

	if (type == DISCOVER)
		return OFFER;
	if (type != REQUEST)
		return 0;
	v = td_option(req + BOOTP_FIXED + 4, len - BOOTP_FIXED - 4, 54,
			&vlen);
	if (v && (vlen != 4 || memcmp(v, &d->server, 4)))
		return 0; /* the client chose another server */
	v = td_option(req + BOOTP_FIXED + 4, len - BOOTP_FIXED - 4, 50,
			&vlen);
	if (!v || vlen != 4)
		v = req + 12; /* ciaddr: a client renewing */
	return memcmp(v, &d->addr, 4) ? NAK : ACK;
}

/* lease_options - the options of an OFFER or ACK after the type and the
 * server at o, up to end.  Return: the position after them. */
static unsigned char *lease_options(const struct td_server *d,
				    unsigned char *o, const unsigned char *end)
{
	uint32_t lease = htonl(d->lease_s);
	uint16_t mtu = htons((uint16_t)d->mtu);

	put_option(&o, end, 51, &lease, 4);
	put_option(&o, end, 1, &d->mask, 4);
	if (d->router.s_addr)
		put_option(&o, end, 3, &d->router, 4);
	if (d->dns.s_addr)
		put_option(&o, end, 6, &d->dns, 4);
	if (d->mtu)
		put_option(&o, end, 26, &mtu, 2);
	return o;
}

/* reply - answer the BOOTREQUEST req[0..len), when it is one for us.
 * Return: nothing (a failed send is the client's timeout to notice). */
static void reply(struct td_server *d, const unsigned char *req, size_t len)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(PORT_CLIENT),
		.sin_addr = { .s_addr = htonl(INADDR_BROADCAST) },
	};
	unsigned char rep[576] = { 0 }, *o = rep + BOOTP_FIXED + 4, type;
	const unsigned char *v;
	size_t vlen, rlen;
	int answer;

	if (len < BOOTP_FIXED + 4 || req[0] != 1 || req[1] != 1 ||
	    req[2] != 6 || memcmp(req + BOOTP_FIXED, td_cookie, 4))
		return;
	v = td_option(req + BOOTP_FIXED + 4, len - BOOTP_FIXED - 4, 53,
			&vlen);
	if (!v || vlen != 1)
		return;
	answer = answer_type(d, req, len, v[0]);
	if (!answer)
		return;
	type = (unsigned char)answer;
	rep[0] = 2;                    /* BOOTREPLY */
	rep[1] = 1;                    /* Ethernet */
	rep[2] = 6;
	memcpy(rep + 4, req + 4, 4);   /* xid */
	memcpy(rep + 10, req + 10, 2); /* flags */
	if (type != NAK)
		memcpy(rep + 16, &d->addr, 4);   /* yiaddr */
	memcpy(rep + 20, &d->server, 4);         /* siaddr */
	memcpy(rep + 24, req + 24, 4);           /* giaddr */
	memcpy(rep + 28, req + 28, 16);          /* chaddr */
	memcpy(rep + BOOTP_FIXED, td_cookie, 4);
	put_option(&o, rep + sizeof(rep), 53, &type, 1);
	put_option(&o, rep + sizeof(rep), 54, &d->server, 4);
	if (type != NAK)
		o = lease_options(d, o, rep + sizeof(rep));
	*o++ = 255;
	rlen = (size_t)(o - rep) < BOOTP_MIN ? BOOTP_MIN : (size_t)(o - rep);
	if (sendto(d->fd, rep, rlen, 0, (struct sockaddr *)&to,
		   sizeof(to)) != (ssize_t)rlen)
		return;
	if (type == OFFER)
		atomic_fetch_add(&d->offers, 1);
	else if (type == ACK)
		atomic_fetch_add(&d->acks, 1);
}

/* serve - the server's thread: answer every request until stopped.
 * Return: NULL. */
static void *serve(void *arg)
{
	struct td_server *d = arg;

	while (!atomic_load(&d->stop)) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		unsigned char buf[1500];
		ssize_t n;

		if (poll(&p, 1, POLL_MS) <= 0)
			continue;
		n = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			reply(d, buf, (size_t)n);
	}
	return NULL;
}

/* addr_of - text as an IPv4 address (NULL: 0.0.0.0), checked.
 * Return: it, network order. */
static struct in_addr addr_of(const char *text)
{
	struct in_addr a = { .s_addr = 0 };

	if (text)
		IT_CHECKF(inet_pton(AF_INET, text, &a) == 1, "address %s",
			  text);
	return a;
}

/* td_start - a server of lease on ifname of s.  Return: it (checked). */
struct td_server *td_start(struct vdestack *s, const char *ifname,
			   const struct td_lease *lease)
{
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(PORT_SERVER) };
	struct td_server *d = calloc(1, sizeof(*d));
	int one = 1;

	IT_CHECK(d != NULL);
	IT_CHECK(lease->prefix >= 1 && lease->prefix <= 32);
	d->server = addr_of(lease->server);
	d->addr = addr_of(lease->addr);
	d->mask.s_addr = htonl(~0u << (32 - lease->prefix));
	d->router = addr_of(lease->router);
	d->dns = addr_of(lease->dns);
	d->mtu = lease->mtu;
	d->lease_s = lease->lease_s;
	d->fd = vde_msocket(s, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	IT_CHECKF(d->fd >= 0, "vde_msocket: %s", strerror(errno));
	IT_CHECK(setsockopt(d->fd, SOL_SOCKET, SO_BROADCAST, &one,
			    sizeof(one)) == 0);
	IT_CHECKF(setsockopt(d->fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
			     (socklen_t)strlen(ifname) + 1) == 0,
		  "SO_BINDTODEVICE %s: %s", ifname, strerror(errno));
	IT_CHECK(bind(d->fd, (struct sockaddr *)&any, sizeof(any)) == 0);
	IT_CHECK(pthread_create(&d->thread, NULL, serve, d) == 0);
	return d;
}

/* td_offers - Return: the OFFERs sent so far. */
unsigned td_offers(struct td_server *d)
{
	return atomic_load(&d->offers);
}

/* td_acks - Return: the ACKs sent so far. */
unsigned td_acks(struct td_server *d)
{
	return atomic_load(&d->acks);
}

/* td_stop - end the server (bounded by its poll timeout).
 * Return: nothing. */
void td_stop(struct td_server *d)
{
	if (!d)
		return;
	atomic_store(&d->stop, true);
	pthread_join(d->thread, NULL);
	close(d->fd);
	free(d);
}
