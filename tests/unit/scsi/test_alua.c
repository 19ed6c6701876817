/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Asymmetric logical unit access (src/scsi/alua.c, SPC-4 5.16): REPORT
 * TARGET PORT GROUPS with this group and the partner groups, the commands
 * each access state serves and the sense of those it refuses, the target
 * port group designator of VPD page 0x83, and a state change (a reload)
 * with its ASYMMETRIC ACCESS STATE CHANGED unit attention.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "scsi/scsi_int.h"
#include "util.h"

/* Group 5 (this process) and partner groups 6 (ports 7, 8) and 9 (10). */
static struct scsi_alua alua_of(enum scsi_alua_state own)
{
	struct scsi_alua a = { 0 };

	a.own.id = 5;
	a.own.state = own;
	a.n_peers = 2;
	a.peers[0] = (struct scsi_alua_group){ .id = 6,
					       .state = SCSI_ALUA_STATE_AO,
					       .n_ports = 2,
					       .ports = { 7, 8 } };
	a.peers[1] = (struct scsi_alua_group){ .id = 9,
					       .state = SCSI_ALUA_STATE_STANDBY,
					       .n_ports = 1,
					       .ports = { 10 } };
	return a;
}

static struct sf *make(enum scsi_alua_state own)
{
	struct sf *f = calloc(1, sizeof(*f));
	struct scsi_alua a = alua_of(own);
	struct scsi_lu_params p = { .alua = &a };

	assert_non_null(f);
	sf_init(f);
	sf_add_lu(f, 0, "sync", 512, 64, &p);
	sf_add_itn0(f, 0, 0xa0);
	return f;
}

static void destroy(struct sf *f)
{
	sf_fini(f);
	free(f);
}

/* MODE SENSE(6), served in every state, until no unit attention is left. */
static void clear_ua(struct sf *f)
{
	uint8_t b[255];
	struct sf_cmd c;
	int n = 0;

	do {
		sf_cdb6(&c, SCSI_OP_MODE_SENSE_6, 0, 0x3f, 0, sizeof(b));
		c.in = b;
		c.in_len = sizeof(b);
		sf_run(f, 0, 0, &c);
	} while (c.status != SAM_STAT_GOOD && ++n < 8);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}

static int rtpg(struct sf *f, uint8_t *b, uint32_t len, bool ext)
{
	struct sf_cmd c;

	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_MAINTENANCE_IN;
	c.cdb[1] = SCSI_MI_REPORT_TARGET_PGS | (ext ? 0x20 : 0);
	put_be32(c.cdb + 6, len);
	c.in = b;
	c.in_len = len;
	return sf_run(f, 0, 0, &c);
}

static void test_rtpg_both_groups(void **state)
{
	struct sf *f = make(SCSI_ALUA_STATE_ANO);
	uint8_t b[128];

	(void)state;
	memset(b, 0xee, sizeof(b));
	clear_ua(f);
	assert_int_equal(rtpg(f, b, sizeof(b), false), SAM_STAT_GOOD);
	/* 3 descriptors: 8 + 4 (own port), 8 + 2 * 4, 8 + 4. */
	assert_int_equal(get_be32(b), 12 + 16 + 12);
	/* Own group: state, no PREF, all four states supported. */
	assert_int_equal(b[4], SCSI_ALUA_STATE_ANO);
	assert_int_equal(b[5], 0x0f);
	assert_int_equal(get_be16(b + 6), 5);
	assert_int_equal(b[11], 1);
	assert_int_equal(get_be16(b + 14), 1); /* the nexus's port */
	/* Partner group 6, active/optimized, ports 7 and 8. */
	assert_int_equal(b[16], SCSI_ALUA_STATE_AO);
	assert_int_equal(get_be16(b + 18), 6);
	assert_int_equal(b[23], 2);
	assert_int_equal(get_be16(b + 26), 7);
	assert_int_equal(get_be16(b + 30), 8);
	/* Partner group 9, standby, port 10. */
	assert_int_equal(b[32], SCSI_ALUA_STATE_STANDBY);
	assert_int_equal(get_be16(b + 34), 9);
	assert_int_equal(b[39], 1);
	assert_int_equal(get_be16(b + 42), 10);
	/* Extended header: 4 more bytes, same descriptors. */
	assert_int_equal(rtpg(f, b, sizeof(b), true), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 4 + 12 + 16 + 12);
	assert_int_equal(b[4], 0x10);
	assert_int_equal(get_be16(b + 8 + 2), 5);
	assert_int_equal(get_be16(b + 8 + 12 + 2), 6);
	destroy(f);
}

/* The target port group designator (SPC-4 7.8.6.8) of VPD page 0x83. */
static void test_vpd_group(void **state)
{
	struct sf *f = make(SCSI_ALUA_STATE_AO);
	uint8_t b[255];
	struct sf_cmd c;
	bool found = false;
	unsigned int i;

	(void)state;
	sf_cdb6(&c, SCSI_OP_INQUIRY, 1, 0x83, 0, sizeof(b));
	c.in = b;
	c.in_len = sizeof(b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	for (i = 4; i + 4 <= 4u + get_be16(b + 2); i += 4 + b[i + 3]) {
		if ((b[i + 1] & 0x0f) != SCSI_DESIG_TYPE_TPG)
			continue;
		assert_int_equal(get_be16(b + i + 6), 5);
		found = true;
	}
	assert_true(found);
	destroy(f);
}

/* Command cdb in the LU's state: GOOD, or NOT READY with asc. */
static void expect(struct sf *f, const uint8_t *cdb, uint16_t asc)
{
	uint8_t b[512];
	struct sf_cmd c;

	memset(&c, 0, sizeof(c));
	memcpy(c.cdb, cdb, 16);
	c.in = b;
	c.in_len = sizeof(b);
	sf_run(f, 0, 0, &c);
	if (!asc) {
		assert_int_equal(c.status, SAM_STAT_GOOD);
		return;
	}
	sf_assert_sense(&c, SCSI_SK_NOT_READY, asc);
}

static const uint8_t cdb_tur[16] = { SCSI_OP_TEST_UNIT_READY };
static const uint8_t cdb_read10[16] = {
	SCSI_OP_READ_10, 0, 0, 0, 0, 0, 0, 0, 1
};
static const uint8_t cdb_rc10[16] = { SCSI_OP_READ_CAPACITY_10 };
static const uint8_t cdb_inq[16] = { SCSI_OP_INQUIRY, 0, 0, 0, 96 };
static const uint8_t cdb_rl[16] = {
	SCSI_OP_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0
};
static const uint8_t cdb_rs[16] = { SCSI_OP_REQUEST_SENSE, 0, 0, 0, 18 };
static const uint8_t cdb_ms[16] = { SCSI_OP_MODE_SENSE_6, 0, 0x3f, 0, 255 };
static const uint8_t cdb_rtpg[16] = { SCSI_OP_MAINTENANCE_IN,
				      SCSI_MI_REPORT_TARGET_PGS,
				      0,
				      0,
				      0,
				      0,
				      0,
				      0,
				      1,
				      0 };
static const uint8_t cdb_prin[16] = {
	SCSI_OP_PERSISTENT_RESERVE_IN, SCSI_PRIN_READ_KEYS, 0, 0, 0, 0, 0, 0, 64
};

#define SB SCSI_ASC_LU_NOT_ACCESSIBLE_STANDBY
#define UN SCSI_ASC_LU_NOT_ACCESSIBLE_UNAVAIL
/*
 * What each access state answers: GOOD (0), or NOT READY with the ASC.
 * Standby and unavailable refuse media access and TEST UNIT READY
 * (SPC-4 5.16.2.4.4, 5.16.2.4.5) and serve what an initiator needs to
 * find the LU and its groups; standby also serves reservations,
 * unavailable does not.
 */
static const struct {
	const uint8_t *cdb;
	uint16_t asc[4]; /* by state: AO, ANO, standby, unavailable */
} access_table[] = {
	{ cdb_tur, { 0, 0, SB, UN } },	{ cdb_read10, { 0, 0, SB, UN } },
	{ cdb_rc10, { 0, 0, SB, UN } }, { cdb_inq, { 0, 0, 0, 0 } },
	{ cdb_rl, { 0, 0, 0, 0 } },	{ cdb_rs, { 0, 0, 0, 0 } },
	{ cdb_ms, { 0, 0, 0, 0 } },	{ cdb_rtpg, { 0, 0, 0, 0 } },
	{ cdb_prin, { 0, 0, 0, UN } },
};

static void test_access_states(void **state)
{
	static const enum scsi_alua_state st[] = {
		SCSI_ALUA_STATE_AO, SCSI_ALUA_STATE_ANO,
		SCSI_ALUA_STATE_STANDBY, SCSI_ALUA_STATE_UNAVAILABLE
	};

	(void)state;
	for (unsigned int s = 0; s < ARRAY_SIZE(st); s++) {
		struct sf *f = make(st[s]);

		clear_ua(f);
		for (unsigned int i = 0; i < ARRAY_SIZE(access_table); i++) {
			print_message("state %u, opcode 0x%02x\n", s,
				      access_table[i].cdb[0]);
			expect(f, access_table[i].cdb,
			       access_table[i].asc[st[s]]);
		}
		destroy(f);
	}
}

/* A reload: new state, 2A/06 once, then the new state's behaviour. */
static void test_state_change(void **state)
{
	struct sf *f = make(SCSI_ALUA_STATE_AO);
	struct scsi_alua a = alua_of(SCSI_ALUA_STATE_STANDBY);
	uint8_t b[64];
	struct sf_cmd c;

	(void)state;
	clear_ua(f);
	expect(f, cdb_read10, 0);
	assert_int_equal(scsi_lu_set_alua(f->lu[0], &a), 1);
	/* The unit attention comes before the state's refusal. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_ASYMMETRIC_ACCESS_CHANGED);
	expect(f, cdb_read10, SCSI_ASC_LU_NOT_ACCESSIBLE_STANDBY);
	assert_int_equal(rtpg(f, b, sizeof(b), false), SAM_STAT_GOOD);
	assert_int_equal(b[4], SCSI_ALUA_STATE_STANDBY);
	/* The same groups again: nothing changes, no unit attention. */
	assert_int_equal(scsi_lu_set_alua(f->lu[0], &a), 0);
	expect(f, cdb_tur, SCSI_ASC_LU_NOT_ACCESSIBLE_STANDBY);
	/* A partner's state alone is a change too (its port moved). */
	a.peers[0].state = SCSI_ALUA_STATE_UNAVAILABLE;
	assert_int_equal(scsi_lu_set_alua(f->lu[0], &a), 1);
	a.own.state = SCSI_ALUA_STATE_AO;
	assert_int_equal(scsi_lu_set_alua(f->lu[0], &a), 1);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_ASYMMETRIC_ACCESS_CHANGED);
	expect(f, cdb_read10, 0);
	assert_int_equal(rtpg(f, b, sizeof(b), false), SAM_STAT_GOOD);
	assert_int_equal(b[16], SCSI_ALUA_STATE_UNAVAILABLE);
	destroy(f);
}

/* Without ALUA parameters: group tpg_id (or 1), active/optimized. */
static void test_default(void **state)
{
	struct sf *f = calloc(1, sizeof(*f));
	struct scsi_lu_params p = { .tpg_id = 3 };
	uint8_t b[64];

	(void)state;
	assert_non_null(f);
	sf_init(f);
	sf_add_lu(f, 0, "sync", 512, 64, &p);
	sf_add_itn0(f, 0, 0xa0);
	clear_ua(f);
	assert_int_equal(rtpg(f, b, sizeof(b), false), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 12);
	assert_int_equal(b[4], SCSI_ALUA_STATE_AO);
	assert_int_equal(get_be16(b + 6), 3);
	destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtpg_both_groups),
		cmocka_unit_test(test_vpd_group),
		cmocka_unit_test(test_access_states),
		cmocka_unit_test(test_state_change),
		cmocka_unit_test(test_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
