/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The binary form of a shared reservation state (src/scsi/pr_codec.c,
 * doc/ceph.md "Reservations"): round trips, the exact byte layout, and
 * rejection of everything that is not a valid state (truncated, padded,
 * unknown format version, bad fields, random bytes) without reading past
 * the buffer (ASan).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"

static void fill(struct scsi_pr_state *st)
{
	memset(st, 0, sizeof(*st));
	st->generation = 0x01020304;
	st->aptpl = true;
	st->reserved = true;
	st->type = SCSI_PR_TYPE_WERO;
	/* Sparse registrations: the holder index is renumbered. */
	for (unsigned int i = 3; i < SCSI_PR_MAX_REGS; i += 20) {
		st->regs[i].used = true;
		memset(st->regs[i].i_id, (int)i, 16);
		memset(st->regs[i].t_id, (int)i + 1, 16);
		st->regs[i].rtpi = (uint16_t)(0x100 + i);
		st->regs[i].key = 0x1122334455667700ull + i;
	}
	st->holder = 43;
}

static void test_round_trip(void **state)
{
	struct scsi_pr_state a, b;
	uint8_t buf[SCSI_PR_ENCODED_MAX];
	unsigned int v;
	size_t len;
	int n = 0;

	(void)state;
	fill(&a);
	assert_int_equal(scsi_pr_encode(&a, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 16 + 4 * 42);
	assert_int_equal(scsi_pr_decode(buf, len, &b, &v), 0);
	assert_int_equal(v, SCSI_PR_ENCODED_VERSION);
	assert_int_equal(b.generation, a.generation);
	assert_true(b.aptpl && b.reserved);
	assert_int_equal(b.type, SCSI_PR_TYPE_WERO);
	for (unsigned int i = 0; i < SCSI_PR_MAX_REGS; i++) {
		const struct scsi_pr_reg *r = &a.regs[i];

		if (!r->used)
			continue;
		assert_true(b.regs[n].used);
		assert_memory_equal(b.regs[n].i_id, r->i_id, 16);
		assert_memory_equal(b.regs[n].t_id, r->t_id, 16);
		assert_int_equal(b.regs[n].rtpi, r->rtpi);
		assert_true(b.regs[n].key == r->key);
		if ((int)i == a.holder)
			assert_int_equal(b.holder, n);
		n++;
	}
	assert_int_equal(n, 4);
	assert_false(b.regs[n].used);
	/* An empty state: header only, no holder. */
	memset(&a, 0, sizeof(a));
	a.holder = 7; /* stale index of a state not reserved: ignored */
	assert_int_equal(scsi_pr_encode(&a, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 16);
	assert_int_equal(scsi_pr_decode(buf, len, &b, &v), 0);
	assert_false(b.reserved);
	assert_int_equal(b.holder, -1);
}

/* The layout doc/ceph.md gives, byte by byte. */
static void test_layout(void **state)
{
	static const uint8_t want[16 + 42] = {
		'S', 'R', 'P', 'R', 1, 0, 1, 0, 0x04, 0x03, 0x02, 0x01, 0x02,
		SCSI_PR_TYPE_EA, 0, 0,
		/* i_id */
		0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
		0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
		/* t_id */
		0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
		0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
		/* rtpi, key */
		0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01
	};
	struct scsi_pr_state st;
	uint8_t buf[SCSI_PR_ENCODED_MAX];
	size_t len;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.generation = 0x01020304;
	st.reserved = true;
	st.type = SCSI_PR_TYPE_EA;
	st.holder = 5;
	st.regs[5].used = true;
	memset(st.regs[5].i_id, 0xaa, 16);
	memset(st.regs[5].t_id, 0xbb, 16);
	st.regs[5].rtpi = 0x0102;
	st.regs[5].key = 0x0102030405060708ull;
	assert_int_equal(scsi_pr_encode(&st, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* A reserved state whose holder is no registration is refused. */
	st.regs[5].used = false;
	assert_int_equal(scsi_pr_encode(&st, buf, sizeof(buf), &len), -EINVAL);
	assert_int_equal(scsi_pr_encode(&st, buf, 16, &len), -ENOSPC);
}

static int decode_copy(const uint8_t *src, size_t len)
{
	/* An exact-size heap copy: ASan catches any read past len. */
	uint8_t *b = malloc(len ? len : 1);
	struct scsi_pr_state st;
	unsigned int v;
	int ret;

	assert_non_null(b);
	memcpy(b, src, len);
	ret = scsi_pr_decode(b, len, &st, &v);
	free(b);
	return ret;
}

static void test_rejects(void **state)
{
	struct scsi_pr_state a;
	uint8_t buf[SCSI_PR_ENCODED_MAX + 1], bad[SCSI_PR_ENCODED_MAX + 1];
	unsigned int v;
	size_t len;

	(void)state;
	fill(&a);
	assert_int_equal(scsi_pr_encode(&a, buf, sizeof(buf), &len), 0);
	/* Every truncation and one byte too many. */
	for (size_t l = 0; l < len; l++)
		assert_int_not_equal(decode_copy(buf, l), 0);
	buf[len] = 0;
	assert_int_equal(decode_copy(buf, len + 1), -EBADMSG);
	/* An unknown format version says so. */
	memcpy(bad, buf, len);
	bad[4] = 2;
	assert_int_equal(scsi_pr_decode(bad, len, &a, &v), -EPROTONOSUPPORT);
	assert_int_equal(v, 2);
	/* Field by field. */
	memcpy(bad, buf, len);
	bad[0] = 'X'; /* magic */
	assert_int_equal(decode_copy(bad, len), -EBADMSG);
	memcpy(bad, buf, len);
	bad[6] = 65; /* more registrations than an LU holds */
	assert_int_equal(decode_copy(bad, len), -EBADMSG);
	memcpy(bad, buf, len);
	bad[12] |= 0x80; /* unknown flag */
	assert_int_equal(decode_copy(bad, len), -EBADMSG);
	memcpy(bad, buf, len);
	bad[13] = 2; /* not a reservation type */
	assert_int_equal(decode_copy(bad, len), -EBADMSG);
	memcpy(bad, buf, len);
	bad[14] = 4; /* holder past the registrations */
	assert_int_equal(decode_copy(bad, len), -EBADMSG);
	memcpy(bad, buf, len);
	bad[12] &= (uint8_t)~0x02; /* not reserved, yet a holder */
	assert_int_equal(decode_copy(bad, len), -EBADMSG);
	/* Random bytes: never a crash; rejected unless valid by chance. */
	srand(15);
	for (unsigned int i = 0; i < 20000; i++) {
		size_t l = (size_t)rand() % sizeof(bad);

		for (size_t k = 0; k < l; k++)
			bad[k] = (uint8_t)rand();
		if (i & 1 && l >= 6)
			memcpy(bad, "SRPR\x01\x00", 6);
		(void)decode_copy(bad, l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
