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

static inline uint16_t get_be16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t get_be24(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

static inline uint32_t get_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t get_be64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)get_be32(b) << 32 | get_be32(b + 4);
}

static inline void put_be16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = v >> 8;
	b[1] = v;
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
	uint8_t *b = p;

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

static inline void put_be64(void *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32((uint8_t *)p + 4, (uint32_t)v);
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
