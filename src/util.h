/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Small helpers shared by every layer: array size, container_of, overflow
 * checked arithmetic, and big-endian load/store for wire formats (SRP, SCSI
 * and IB MADs are all big-endian).
 */
#ifndef SRPTD_UTIL_H
#define SRPTD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define SRPTD_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Big-endian loads and stores as one unaligned access (a memcpy of a
 * fixed size is a single mov) and one byte swap: GCC merged the
 * byte-wise form only in part (put_be64() was a dozen instructions for
 * the tag of every SRP response, doc/performance.md "Host loopback
 * guard").
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SRPTD_BE16(v) __builtin_bswap16(v)
#define SRPTD_BE32(v) __builtin_bswap32(v)
#define SRPTD_BE64(v) __builtin_bswap64(v)
#else
#define SRPTD_BE16(v) (v)
#define SRPTD_BE32(v) (v)
#define SRPTD_BE64(v) (v)
#endif

static inline uint16_t get_be16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return SRPTD_BE16(v);
}

static inline uint32_t get_be24(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

static inline uint32_t get_be32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return SRPTD_BE32(v);
}

static inline uint64_t get_be64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return SRPTD_BE64(v);
}

static inline void put_be16(void *p, uint16_t v)
{
	v = SRPTD_BE16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_be24(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = v >> 16;
	b[1] = v >> 8;
	b[2] = v;
}

static inline void put_be32(void *p, uint32_t v)
{
	v = SRPTD_BE32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_be64(void *p, uint64_t v)
{
	v = SRPTD_BE64(v);
	memcpy(p, &v, sizeof(v));
}

/* Value of one hex digit, or -1 (GUIDs, GIDs, NAA identifiers). */
static inline int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copy a string into a fixed, space-padded SCSI/DM field (no NUL). */
static inline void put_padded(void *dst, size_t field_len, const char *s)
{
	size_t n = strnlen(s, field_len);

	memcpy(dst, s, n);
	memset((uint8_t *)dst + n, ' ', field_len - n);
}

#endif
