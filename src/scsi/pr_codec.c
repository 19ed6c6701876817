/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The binary form of a reservation state kept in a shared store (the rbd
 * store of src/scsi/pr_rbd.c): explicit little-endian fields, a format
 * version, and a length that must match the registration count exactly.
 * The layout is in doc/ceph.md, "Reservations".  The decoder trusts
 * nothing: whatever another program (or a damaged object) left in the
 * store is either a valid state or -EBADMSG / -EPROTONOSUPPORT.
 */
#include <errno.h>
#include <string.h>

#include "scsi/scsi_int.h"

#define PR_CODEC_MAGIC "SRPR"
#define PR_CODEC_HDR 16
#define PR_CODEC_REG 42 /* i_id[16] t_id[16] rtpi le16 key le64 */
#define PR_CODEC_NO_HOLDER 0xff
#define PR_CODEC_F_APTPL 0x01
#define PR_CODEC_F_RESERVED 0x02

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static bool pr_codec_type_valid(uint8_t type)
{
	switch (type) {
	case SCSI_PR_TYPE_WE:
	case SCSI_PR_TYPE_EA:
	case SCSI_PR_TYPE_WERO:
	case SCSI_PR_TYPE_EARO:
	case SCSI_PR_TYPE_WEAR:
	case SCSI_PR_TYPE_EAAR:
		return true;
	default:
		return false;
	}
}

int scsi_pr_encode(const struct scsi_pr_state *st, uint8_t *buf, size_t cap,
		   size_t *len)
{
	unsigned int n = 0, holder = PR_CODEC_NO_HOLDER;
	uint8_t *p = buf + PR_CODEC_HDR;

	if (cap < SCSI_PR_ENCODED_MAX)
		return -ENOSPC;
	if (st->reserved &&
	    (st->holder < 0 || st->holder >= SCSI_PR_MAX_REGS ||
	     !st->regs[st->holder].used || !pr_codec_type_valid(st->type)))
		return -EINVAL;
	for (unsigned int i = 0; i < SCSI_PR_MAX_REGS; i++) {
		const struct scsi_pr_reg *r = &st->regs[i];

		if (!r->used)
			continue;
		if (st->reserved && (int)i == st->holder)
			holder = n;
		memcpy(p, r->i_id, 16);
		memcpy(p + 16, r->t_id, 16);
		put_le16(p + 32, r->rtpi);
		put_le64(p + 34, r->key);
		p += PR_CODEC_REG;
		n++;
	}
	memcpy(buf, PR_CODEC_MAGIC, 4);
	put_le16(buf + 4, SCSI_PR_ENCODED_VERSION);
	put_le16(buf + 6, (uint16_t)n);
	put_le32(buf + 8, st->generation);
	buf[12] = (st->aptpl ? PR_CODEC_F_APTPL : 0) |
		  (st->reserved ? PR_CODEC_F_RESERVED : 0);
	buf[13] = st->reserved ? st->type : 0;
	buf[14] = (uint8_t)holder;
	buf[15] = 0;
	*len = PR_CODEC_HDR + (size_t)n * PR_CODEC_REG;
	return 0;
}

int scsi_pr_decode(const uint8_t *buf, size_t len, struct scsi_pr_state *st,
		   unsigned int *version)
{
	unsigned int n, holder;
	const uint8_t *p;
	uint8_t flags;

	*version = 0;
	if (len < 6 || memcmp(buf, PR_CODEC_MAGIC, 4))
		return -EBADMSG;
	*version = get_le16(buf + 4);
	if (*version != SCSI_PR_ENCODED_VERSION)
		return -EPROTONOSUPPORT;
	if (len < PR_CODEC_HDR)
		return -EBADMSG;
	n = get_le16(buf + 6);
	flags = buf[12];
	holder = buf[14];
	if (n > SCSI_PR_MAX_REGS || len != PR_CODEC_HDR + n * PR_CODEC_REG ||
	    flags & ~(PR_CODEC_F_APTPL | PR_CODEC_F_RESERVED) || buf[15])
		return -EBADMSG;
	if (flags & PR_CODEC_F_RESERVED) {
		if (holder >= n || !pr_codec_type_valid(buf[13]))
			return -EBADMSG;
	} else if (holder != PR_CODEC_NO_HOLDER || buf[13]) {
		return -EBADMSG;
	}
	memset(st, 0, sizeof(*st));
	st->generation = get_le32(buf + 8);
	st->aptpl = flags & PR_CODEC_F_APTPL;
	st->reserved = flags & PR_CODEC_F_RESERVED;
	st->type = buf[13];
	st->holder = st->reserved ? (int)holder : -1;
	p = buf + PR_CODEC_HDR;
	for (unsigned int i = 0; i < n; i++, p += PR_CODEC_REG) {
		struct scsi_pr_reg *r = &st->regs[i];

		r->used = true;
		memcpy(r->i_id, p, 16);
		memcpy(r->t_id, p + 16, 16);
		r->rtpi = get_le16(p + 32);
		r->key = get_le64(p + 34);
	}
	return 0;
}
