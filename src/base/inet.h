/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inet.h - the Internet checksum (RFC 1071, with the IPv4 and IPv6
 * pseudo-headers) and big-endian fields of packets, for every file that
 * builds or reads IP packets itself (the slirp backend, DHCP, router
 * discovery).
 *
 * Theory of operation: packet bytes sit at any alignment (an IP header
 * follows a 14-byte Ethernet header), so nothing here casts a packet
 * pointer to a wider type: fields are read and written byte by byte, and
 * a header is read by copying it into its <netinet/...> struct.  Sums are
 * kept as host integers of big-endian 16-bit words, so that the 16 bits a
 * function returns are stored with vds_put16(); a partial sum is always
 * folded to 16 bits, so that any number of them can be added in a
 * uint32_t and folded again.
 */
#ifndef VDS_INET_H
#define VDS_INET_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* vds_get16 - Return: the big-endian 16-bit field at p. */
static inline uint16_t vds_get16(const void *p)
{
	const unsigned char *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

/* vds_get32 - Return: the big-endian 32-bit field at p. */
static inline uint32_t vds_get32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* vds_put16 - store v big-endian at p.  Return: nothing. */
static inline void vds_put16(void *p, uint16_t v)
{
	unsigned char *b = p;

	b[0] = (unsigned char)(v >> 8);
	b[1] = (unsigned char)v;
}

/* vds_put32 - store v big-endian at p.  Return: nothing. */
static inline void vds_put32(void *p, uint32_t v)
{
	unsigned char *b = p;

	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

/* vds_csum_fold - fold a sum of 16-bit words to 16 bits, end-around
 * carries added.  Return: the one's complement sum (not complemented). */
static inline uint16_t vds_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* vds_csum_add - add len bytes at p to the partial sum sum, as big-endian
 * 16-bit words (an odd last byte padded with a zero byte).
 * Return: the new partial sum, folded. */
static inline uint16_t vds_csum_add(uint32_t sum, const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t acc = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		acc += vds_get16(b + i);
	if (len & 1)
		acc += (uint32_t)b[len - 1] << 8;
	return vds_csum_fold(acc);
}

/* vds_csum_sub - one's complement subtraction of partial sums: what is
 * left of a once b, a part of it, is taken out.  Return: a - b, folded. */
static inline uint16_t vds_csum_sub(uint16_t a, uint16_t b)
{
	return vds_csum_fold((uint32_t)a + (uint16_t)~b);
}

/* vds_csum_at - the partial sum of a block as it counts at byte offset
 * off of the data it is part of: a block that starts at an odd offset
 * pairs its bytes the other way.  Return: the sum, bytes swapped for an
 * odd off. */
static inline uint16_t vds_csum_at(uint16_t sum, size_t off)
{
	return off & 1 ? (uint16_t)(sum << 8 | sum >> 8) : sum;
}

/* vds_csum_finish - the checksum field for a partial sum (its
 * complement; 0 and 0xffff are the same number).  Return: it. */
static inline uint16_t vds_csum_finish(uint32_t sum)
{
	return (uint16_t)~vds_csum_fold(sum);
}

/* vds_csum_pseudo4 - the partial sum of the IPv4 pseudo-header (RFC 768,
 * RFC 793) of a transport segment of len bytes for protocol proto.
 * Return: the sum, folded. */
static inline uint16_t vds_csum_pseudo4(struct in_addr src,
					struct in_addr dst, uint8_t proto,
					uint32_t len)
{
	uint32_t sum = vds_csum_add(0, &src, sizeof(src));

	sum = vds_csum_add(sum, &dst, sizeof(dst));
	return vds_csum_fold((uint64_t)sum + proto + (len >> 16) +
			     (len & 0xffff));
}

/* vds_csum_pseudo6 - the partial sum of the IPv6 pseudo-header (RFC 8200
 * 8.1) of an upper-layer packet of len bytes for next header proto.
 * Return: the sum, folded. */
static inline uint16_t vds_csum_pseudo6(const struct in6_addr *src,
					const struct in6_addr *dst,
					uint8_t proto, uint32_t len)
{
	uint32_t sum = vds_csum_add(0, src, sizeof(*src));

	sum = vds_csum_add(sum, dst, sizeof(*dst));
	return vds_csum_fold((uint64_t)sum + proto + (len >> 16) +
			     (len & 0xffff));
}

#endif /* VDS_INET_H */
