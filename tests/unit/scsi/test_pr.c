/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Reservations with several nexuses on one LU: SPC-2 RESERVE/RELEASE and
 * persistent reservations (service actions, PR IN formats, the SPC-4
 * conflict table for every type, unit attentions of PR actions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "util.h"

static int setup(void **state)
{
	struct sf *f = calloc(1, sizeof(*f));

	sf_init(f);
	sf_add_lu(f, 0, "sync", 512, 1024, NULL);
	sf_add_itn0(f, 0, 0xa0);
	sf_add_itn0(f, 1, 0xb0);
	sf_add_itn0(f, 2, 0xc0);
	sf_clear_ua(f, 0, 0);
	sf_clear_ua(f, 1, 0);
	sf_clear_ua(f, 2, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	sf_fini(*state);
	free(*state);
	return 0;
}

static int prout_full(struct sf *f, unsigned int itn, uint8_t sa,
		      uint8_t scope_type, uint64_t key, uint64_t sa_key,
		      uint8_t flags, uint32_t len, struct sf_cmd *c)
{
	sf_cdb_prout(c, sa, scope_type, key, sa_key, flags, len);
	return sf_run(f, itn, 0, c);
}

static int prout(struct sf *f, unsigned int itn, uint8_t sa, uint8_t type,
		 uint64_t key, uint64_t sa_key)
{
	return sf_prout(f, itn, 0, sa, type, key, sa_key, 0, NULL);
}

static int prin(struct sf *f, unsigned int itn, uint8_t sa, uint8_t *buf,
		uint16_t len)
{
	return sf_prin(f, itn, 0, sa, buf, len);
}

static int cmd_status(struct sf *f, unsigned int itn, uint8_t op)
{
	static uint8_t buf[4096];
	struct sf_cmd c;

	switch (op) {
	case SCSI_OP_READ_10:
	case SCSI_OP_WRITE_10:
		sf_cdb_rw10(&c, op, 0, 7, 1);
		break;
	case SCSI_OP_SYNCHRONIZE_CACHE_10:
		sf_cdb_rw10(&c, op, 0, 0, 0);
		break;
	case SCSI_OP_READ_CAPACITY_10:
		memset(&c, 0, sizeof(c));
		c.cdb[0] = op;
		break;
	default:
		sf_cdb6(&c, op, 0, op == SCSI_OP_MODE_SENSE_6 ? 0x3f : 0, 0,
			op == SCSI_OP_TEST_UNIT_READY ? 0 : 64);
		break;
	}
	c.in = buf;
	c.in_len = sizeof(buf);
	c.out = buf;
	c.out_len = sizeof(buf);
	sf_run(f, itn, 0, &c);
	if (c.status == SAM_STAT_RESERVATION_CONFLICT)
		assert_int_equal(c.sense_len, 0);
	return c.status;
}

static void test_register(void **state)
{
	struct sf *f = *state;
	uint8_t b[256];

	assert_int_equal(prin(f, 0, SCSI_PRIN_READ_KEYS, b, 256), 8);
	assert_int_equal(get_be32(b), 0);
	assert_int_equal(get_be32(b + 4), 0);
	/* Unregistered with a non-zero reservation key: conflict. */
	assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER, 0, 5, 0xa),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER, 0, 0, 0xa),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, 1, SCSI_PROUT_REGISTER, 0, 0, 0xb),
			 SAM_STAT_GOOD);
	assert_int_equal(prin(f, 2, SCSI_PRIN_READ_KEYS, b, 256), 24);
	assert_int_equal(get_be32(b), 2);
	assert_int_equal(get_be32(b + 4), 16);
	assert_int_equal(get_be64(b + 8), 0xa);
	assert_int_equal(get_be64(b + 16), 0xb);
	/* Truncated by the allocation length, ADDITIONAL LENGTH is full. */
	assert_int_equal(prin(f, 2, SCSI_PRIN_READ_KEYS, b, 12), 12);
	assert_int_equal(get_be32(b + 4), 16);
	/* Registered, wrong key: conflict; right key: change it. */
	assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER, 0, 0xb, 0xaa),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER, 0, 0xa, 0xaa),
			 SAM_STAT_GOOD);
	/* REGISTER AND IGNORE EXISTING KEY ignores the key. */
	assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER_AND_IGNORE, 0, 0x77,
			       0xa1),
			 SAM_STAT_GOOD);
	prin(f, 2, SCSI_PRIN_READ_KEYS, b, 256);
	assert_int_equal(get_be32(b), 4);
	assert_int_equal(get_be64(b + 8), 0xa1);
	/* Unregister. */
	assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER, 0, 0xa1, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prin(f, 2, SCSI_PRIN_READ_KEYS, b, 256), 16);
	assert_int_equal(get_be64(b + 8), 0xb);
	/* A relogin of the same I_T nexus keeps its registration. */
	scsi_itn_destroy(f->itn[1]);
	f->itn[1] = NULL;
	sf_add_itn0(f, 1, 0xb0);
	sf_clear_ua(f, 1, 0);
	assert_int_equal(prout(f, 1, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, 0xb,
			       0),
			 SAM_STAT_GOOD);
}

static void test_param_errors(void **state)
{
	struct sf *f = *state;
	struct sf_cmd c;
	bool cd;
	int bit;

	prout_full(f, 0, SCSI_PROUT_REGISTER, 0, 0, 1, 0, 20, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	prout_full(f, 0, SCSI_PROUT_REGISTER, 0, 0, 1, 0x01, 24, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 20);
	assert_false(cd);
	assert_int_equal(bit, 0);
	prout_full(f, 0, SCSI_PROUT_REGISTER, 0, 0, 1, 0x08, 24, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER, 0, 0, 1),
			 SAM_STAT_GOOD);
	/* Invalid type, scope other than LU. */
	prout_full(f, 0, SCSI_PROUT_RESERVE, 0x02, 1, 0, 0, 24, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	prout_full(f, 0, SCSI_PROUT_RESERVE, 0x11, 1, 0, 0, 24, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 2);
	assert_true(cd);
	/* Unknown service action. */
	prout_full(f, 0, 0x09, SCSI_PR_TYPE_WE, 1, 0, 0, 24, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* PREEMPT with service action key 0 and no reservation. */
	prout_full(f, 0, SCSI_PROUT_PREEMPT, SCSI_PR_TYPE_WE, 1, 0, 0, 24, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
}

/* SPC-4 table 64 / SBC-3 table 13, written out independently. */
struct expect {
	uint8_t op;
	/* per type index (WE EA WERO EARO WEAR EAAR): 'A' allowed, 'C'
	 * conflict, for a non-registered and a registered non-holder. */
	const char *unreg, *reg;
};

static const uint8_t types[6] = { SCSI_PR_TYPE_WE,   SCSI_PR_TYPE_EA,
				  SCSI_PR_TYPE_WERO, SCSI_PR_TYPE_EARO,
				  SCSI_PR_TYPE_WEAR, SCSI_PR_TYPE_EAAR };

static const struct expect table[] = {
	{ SCSI_OP_READ_10, "ACACAC", "ACAAAA" },
	{ SCSI_OP_WRITE_10, "CCCCCC", "CCAAAA" },
	{ SCSI_OP_SYNCHRONIZE_CACHE_10, "CCCCCC", "CCAAAA" },
	{ SCSI_OP_MODE_SENSE_6, "ACACAC", "AAAAAA" },
	{ SCSI_OP_INQUIRY, "AAAAAA", "AAAAAA" },
	{ SCSI_OP_TEST_UNIT_READY, "AAAAAA", "AAAAAA" },
	{ SCSI_OP_READ_CAPACITY_10, "AAAAAA", "AAAAAA" },
	{ SCSI_OP_REQUEST_SENSE, "AAAAAA", "AAAAAA" },
};

/* Nexus itn, registered or not, against reservation type types[ti]. */
static void check_table(struct sf *f, unsigned int itn, unsigned int ti,
			bool registered)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(table); i++) {
		char want = (registered ? table[i].reg : table[i].unreg)[ti];
		int st = cmd_status(f, itn, table[i].op);

		if ((want == 'C') != (st == SAM_STAT_RESERVATION_CONFLICT))
			print_error(
				"type %u op 0x%02x nexus %u %s: status 0x%02x\n",
				types[ti], table[i].op, itn,
				registered ? "registered" : "unregistered", st);
		assert_int_equal(st, want == 'C' ?
					     SAM_STAT_RESERVATION_CONFLICT :
					     SAM_STAT_GOOD);
		/* The holder is never in conflict. */
		assert_int_equal(cmd_status(f, 0, table[i].op), SAM_STAT_GOOD);
	}
}

static void test_conflict_table(void **state)
{
	struct sf *f = *state;
	unsigned int ti;

	for (ti = 0; ti < ARRAY_SIZE(types); ti++) {
		assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER, 0, 0, 0xa),
				 SAM_STAT_GOOD);
		assert_int_equal(prout(f, 0, SCSI_PROUT_RESERVE, types[ti], 0xa,
				       0),
				 SAM_STAT_GOOD);
		check_table(f, 1, ti, false);
		assert_int_equal(prout(f, 1, SCSI_PROUT_REGISTER, 0, 0, 0xb),
				 SAM_STAT_GOOD);
		check_table(f, 1, ti, true);
		/* Nexus 2 (unregistered) sees the same as 1 did. */
		check_table(f, 2, ti, false);
		assert_int_equal(prout(f, 0, SCSI_PROUT_CLEAR, 0, 0xa, 0),
				 SAM_STAT_GOOD);
		/* CLEAR told nexus 1 (a registrant) by UA. */
		{
			struct sf_cmd c;

			sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
			sf_run(f, 1, 0, &c);
			sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
					SCSI_ASC_RESERVATIONS_PREEMPTED);
		}
		assert_int_equal(cmd_status(f, 1, SCSI_OP_WRITE_10),
				 SAM_STAT_GOOD);
	}
}

static void test_reserve_release(void **state)
{
	struct sf *f = *state;
	uint8_t b[64];
	struct sf_cmd c;

	/* RESERVE needs a registration with the right key. */
	assert_int_equal(prout(f, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, 0xa,
			       0),
			 SAM_STAT_RESERVATION_CONFLICT);
	prout(f, 0, SCSI_PROUT_REGISTER, 0, 0, 0xa);
	prout(f, 1, SCSI_PROUT_REGISTER, 0, 0, 0xb);
	assert_int_equal(prout(f, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WERO, 0xb,
			       0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WERO, 0xa,
			       0),
			 SAM_STAT_GOOD);
	/* Same type again: GOOD; another type: conflict. */
	assert_int_equal(prout(f, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WERO, 0xa,
			       0),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(f, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EA, 0xa,
			       0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prout(f, 1, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WERO, 0xb,
			       0),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(prin(f, 2, SCSI_PRIN_READ_RESERVATION, b, 64), 24);
	assert_int_equal(get_be32(b + 4), 16);
	assert_int_equal(get_be64(b + 8), 0xa);
	assert_int_equal(b[8 + 13], SCSI_PR_TYPE_WERO);
	/* RELEASE by a non-holder: GOOD, nothing changes. */
	assert_int_equal(prout(f, 1, SCSI_PROUT_RELEASE, SCSI_PR_TYPE_WERO, 0xb,
			       0),
			 SAM_STAT_GOOD);
	assert_int_equal(prin(f, 2, SCSI_PRIN_READ_RESERVATION, b, 64), 24);
	/* Wrong type: INVALID RELEASE OF PERSISTENT RESERVATION. */
	prout_full(f, 0, SCSI_PROUT_RELEASE, SCSI_PR_TYPE_WE, 0xa, 0, 0, 24,
		   &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_RELEASE_OF_PR);
	assert_int_equal(prout(f, 0, SCSI_PROUT_RELEASE, SCSI_PR_TYPE_WERO, 0xa,
			       0),
			 SAM_STAT_GOOD);
	assert_int_equal(prin(f, 2, SCSI_PRIN_READ_RESERVATION, b, 64), 8);
	/* Registrants-only release: other registrants get 2A/04. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, 1, 0, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_RESERVATIONS_RELEASED);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run(f, 2, 0, &c), SAM_STAT_GOOD);
	/* Unregistering the holder of a WERO reservation also releases. */
	prout(f, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WERO, 0xa, 0);
	assert_int_equal(prout(f, 0, SCSI_PROUT_REGISTER, 0, 0xa, 0),
			 SAM_STAT_GOOD);
	assert_int_equal(prin(f, 2, SCSI_PRIN_READ_RESERVATION, b, 64), 8);
	assert_int_equal(cmd_status(f, 2, SCSI_OP_WRITE_10), SAM_STAT_GOOD);
}

static void test_all_registrants(void **state)
{
	struct sf *f = *state;
	uint8_t b[256];

	prout(f, 0, SCSI_PROUT_REGISTER, 0, 0, 0xa);
	prout(f, 1, SCSI_PROUT_REGISTER, 0, 0, 0xb);
	assert_int_equal(prout(f, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EAAR, 0xa,
			       0),
			 SAM_STAT_GOOD);
	/* Key 0 in READ RESERVATION; both registrants hold it. */
	prin(f, 2, SCSI_PRIN_READ_RESERVATION, b, 64);
	assert_int_equal(get_be64(b + 8), 0);
	assert_int_equal(b[8 + 13], SCSI_PR_TYPE_EAAR);
	prin(f, 2, SCSI_PRIN_READ_FULL_STATUS, b, 256);
	assert_int_equal(get_be32(b + 4), 2 * 48);
	assert_int_equal(b[8 + 12] & 1, 1);
	assert_int_equal(b[8 + 48 + 12] & 1, 1);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_WRITE_10), SAM_STAT_GOOD);
	assert_int_equal(cmd_status(f, 2, SCSI_OP_READ_10),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* The reservation outlives the reserving registrant. */
	prout(f, 0, SCSI_PROUT_REGISTER, 0, 0xa, 0);
	prin(f, 2, SCSI_PRIN_READ_RESERVATION, b, 64);
	assert_int_equal(get_be32(b + 4), 16);
	/* ... until the last registrant goes. */
	prout(f, 1, SCSI_PROUT_REGISTER, 0, 0xb, 0);
	prin(f, 2, SCSI_PRIN_READ_RESERVATION, b, 64);
	assert_int_equal(get_be32(b + 4), 0);
	assert_int_equal(cmd_status(f, 2, SCSI_OP_READ_10), SAM_STAT_GOOD);
}

static uint64_t g_aborted_lun = UINT64_MAX;
static unsigned int g_aborts;

static void abort_cb(void *arg, uint64_t lun)
{
	assert_ptr_equal(arg, &g_aborts);
	g_aborted_lun = lun;
	g_aborts++;
}

static void test_preempt(void **state)
{
	struct sf *f = *state;
	uint8_t b[256];
	struct sf_cmd c;

	g_aborts = 0;
	assert_int_equal(scsi_itn_set_abort_cb(f->itn[0], abort_cb, &g_aborts),
			 0);
	assert_int_equal(scsi_itn_set_abort_cb(f->itn[0], abort_cb, &g_aborts),
			 -EBUSY);
	assert_int_equal(scsi_itn_set_abort_cb(f->itn[2], abort_cb, &g_aborts),
			 0);

	prout(f, 0, SCSI_PROUT_REGISTER, 0, 0, 0xa);
	prout(f, 1, SCSI_PROUT_REGISTER, 0, 0, 0xb);
	prout(f, 2, SCSI_PROUT_REGISTER, 0, 0, 0xc);
	prout(f, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EA, 0xa, 0);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_READ_10),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* Unregistered nexus cannot preempt. */
	prout(f, 2, SCSI_PROUT_REGISTER, 0, 0xc, 0);
	assert_int_equal(prout(f, 2, SCSI_PROUT_PREEMPT, SCSI_PR_TYPE_WE, 0xc,
			       0xa),
			 SAM_STAT_RESERVATION_CONFLICT);
	prout(f, 2, SCSI_PROUT_REGISTER, 0, 0, 0xc);
	/* Nexus 1 preempts the holder's key: takes over with a new type. */
	assert_int_equal(prout(f, 1, SCSI_PROUT_PREEMPT_AND_ABORT,
			       SCSI_PR_TYPE_WE, 0xb, 0xa),
			 SAM_STAT_GOOD);
	/* PREEMPT AND ABORT: the preempted nexus's tasks get aborted. */
	assert_int_equal(g_aborts, 1);
	assert_int_equal(g_aborted_lun, 0);
	/* Nexus 0 learns it lost its registration. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_REGISTRATIONS_PREEMPTED);
	/* Nexus 2 (still registered) learns the type changed. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, 2, 0, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_RESERVATIONS_RELEASED);
	prin(f, 2, SCSI_PRIN_READ_RESERVATION, b, 64);
	assert_int_equal(get_be64(b + 8), 0xb);
	assert_int_equal(b[8 + 13], SCSI_PR_TYPE_WE);
	prin(f, 2, SCSI_PRIN_READ_KEYS, b, 64);
	assert_int_equal(get_be32(b + 4), 16);
	assert_int_equal(cmd_status(f, 0, SCSI_OP_READ_10), SAM_STAT_GOOD);
	assert_int_equal(cmd_status(f, 0, SCSI_OP_WRITE_10),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* Preempting a key that is not the holder's only removes it. */
	assert_int_equal(prout(f, 1, SCSI_PROUT_PREEMPT, SCSI_PR_TYPE_WE, 0xb,
			       0xc),
			 SAM_STAT_GOOD);
	assert_int_equal(g_aborts, 1); /* plain PREEMPT aborts nothing */
	prin(f, 0, SCSI_PRIN_READ_KEYS, b, 64);
	assert_int_equal(get_be32(b + 4), 8);
	/* A key nobody has: conflict. */
	assert_int_equal(prout(f, 1, SCSI_PROUT_PREEMPT, SCSI_PR_TYPE_WE, 0xb,
			       0x99),
			 SAM_STAT_RESERVATION_CONFLICT);
}

static void test_pr_in_formats(void **state)
{
	struct sf *f = *state;
	uint8_t b[256];

	assert_int_equal(prin(f, 0, SCSI_PRIN_REPORT_CAPABILITIES, b, 256), 8);
	assert_int_equal(get_be16(b), 8);
	assert_int_equal(b[2], 0); /* no SIP_C, ATP_C, PTPL_C */
	assert_int_equal(b[3] & 0x80, 0x80); /* TMV */
	assert_int_equal(b[4], 0xea);
	assert_int_equal(b[5], 0x01);
	prout(f, 1, SCSI_PROUT_REGISTER, 0, 0, 0x1234);
	prout(f, 1, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, 0x1234, 0);
	assert_int_equal(prin(f, 0, SCSI_PRIN_READ_FULL_STATUS, b, 256),
			 8 + 48);
	assert_int_equal(get_be64(b + 8), 0x1234);
	assert_int_equal(b[8 + 12], 0x01);
	assert_int_equal(b[8 + 13], SCSI_PR_TYPE_WE);
	assert_int_equal(get_be16(b + 8 + 18), 2); /* rtpi of nexus 1 */
	assert_int_equal(get_be32(b + 8 + 20), 24);
	/* SRP TransportID: protocol 4, port id at byte 8. */
	assert_int_equal(b[8 + 24], 0x04);
	assert_int_equal(b[8 + 24 + 8], 0xb0);
	assert_int_equal(b[8 + 24 + 9], 0x11);
	/* PR IN and OUT are not blocked by the reservation. */
	assert_int_equal(prout(f, 2, SCSI_PROUT_REGISTER, 0, 0, 0x5),
			 SAM_STAT_GOOD);
}

/* SPC-2 RESERVE(6)/(10) and RELEASE. */
static void test_reserve6(void **state)
{
	struct sf *f = *state;
	struct sf_cmd c;

	sf_cdb6(&c, SCSI_OP_RESERVE_6, 0, 0, 0, 0);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_READ_10),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_TEST_UNIT_READY),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_INQUIRY), SAM_STAT_GOOD);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_REQUEST_SENSE),
			 SAM_STAT_GOOD);
	assert_int_equal(cmd_status(f, 0, SCSI_OP_WRITE_10), SAM_STAT_GOOD);
	/* Another nexus cannot reserve; its RELEASE is a no-op. */
	sf_cdb6(&c, SCSI_OP_RESERVE_6, 0, 0, 0, 0);
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_RESERVATION_CONFLICT);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_RELEASE_10;
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_READ_10),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* PR commands conflict with an SPC-2 reservation of another. */
	assert_int_equal(prout(f, 1, SCSI_PROUT_REGISTER, 0, 0, 1),
			 SAM_STAT_RESERVATION_CONFLICT);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_RELEASE_10;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_READ_10), SAM_STAT_GOOD);
	/* With a PR registration, RESERVE(10) conflicts. */
	prout(f, 1, SCSI_PROUT_REGISTER, 0, 0, 1);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_RESERVE_10;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_RESERVATION_CONFLICT);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_RELEASE_6; /* and so does RELEASE (CRH = 0) */
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_RESERVATION_CONFLICT);
	/* Destroying the reserving nexus releases RESERVE(6). */
	prout(f, 1, SCSI_PROUT_REGISTER, 0, 1, 0);
	sf_cdb6(&c, SCSI_OP_RESERVE_6, 0, 0, 0, 0);
	assert_int_equal(sf_run(f, 2, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(cmd_status(f, 1, SCSI_OP_READ_10),
			 SAM_STAT_RESERVATION_CONFLICT);
	scsi_itn_destroy(f->itn[2]);
	f->itn[2] = NULL;
	assert_int_equal(cmd_status(f, 1, SCSI_OP_READ_10), SAM_STAT_GOOD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_param_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_conflict_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reserve_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_registrants, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_preempt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pr_in_formats, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reserve6, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
