/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Persistent reservations of an LU that two hosts export, through a
 * shared store (SCSI_PR_SHARED, doc/scsi-commands.md "Reservations on a
 * device shared with another host").  Host A is LU 0 seen by nexus 0,
 * host B is LU 1 seen by nexus 1; both LUs use one in-memory store with
 * the read/compare-and-write contract of struct scsi_pr_shared_ops, the
 * one the rbd store gives between two srptd processes.  The store can
 * fail, and can let "a third host" write between a read and the write
 * that follows it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "util.h"

#define KEY_A 0xaaaa0001ull
#define KEY_B 0xbbbb0002ull
#define KEY_C 0xcccc0003ull

struct mem_store {
	struct scsi_pr_state st;
	uint64_t ver;
	unsigned int reads, writes, collisions;
	int fail_read; /* -errno for the next read */
	/* Before the next N writes, another host registers KEY_C. */
	unsigned int intrude;
};

static int mem_read(void *ctx, struct scsi_pr_state *st, uint64_t *ver)
{
	struct mem_store *m = ctx;
	int ret = m->fail_read;

	m->reads++;
	if (ret) {
		m->fail_read = 0;
		return ret;
	}
	*st = m->st;
	*ver = m->ver;
	return 0;
}

static int mem_write(void *ctx, const struct scsi_pr_state *st, uint64_t *ver)
{
	struct mem_store *m = ctx;

	if (m->intrude) {
		struct scsi_pr_reg *r = &m->st.regs[SCSI_PR_MAX_REGS - 1];

		m->intrude--;
		memset(r, 0, sizeof(*r));
		r->used = true;
		r->i_id[0] = 0xcc;
		r->t_id[0] = 0x99; /* a nexus of the third host */
		r->key = KEY_C;
		m->st.generation++;
		m->ver++;
	}
	if (*ver != m->ver) {
		m->collisions++;
		return -ECANCELED;
	}
	m->writes++;
	m->st = *st;
	*ver = ++m->ver;
	return 0;
}

static const struct scsi_pr_shared_ops mem_ops = {
	.read = mem_read,
	.write = mem_write,
};

struct th {
	struct mem_store m;
	struct scsi_pr_shared shared;
	struct scsi_lu_params params;
	struct sf f;
};

static void th_start(struct th *h)
{
	sf_init(&h->f);
	sf_add_lu(&h->f, 0, "sync", 512, 1024, &h->params);
	sf_add_lu(&h->f, 1, "sync", 512, 1024, &h->params);
	sf_add_itn(&h->f, 0, 0xa0,
		   &(struct scsi_lun_entry){ .lun = 0, .lu = h->f.lu[0] }, 1);
	sf_add_itn(&h->f, 1, 0xb0,
		   &(struct scsi_lun_entry){ .lun = 0, .lu = h->f.lu[1] }, 1);
	sf_clear_ua(&h->f, 0, 0);
	sf_clear_ua(&h->f, 1, 0);
}

static int setup(void **state)
{
	struct th *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->m.st.holder = -1;
	h->shared = (struct scsi_pr_shared){ .ops = &mem_ops, .ctx = &h->m };
	h->params = (struct scsi_lu_params){
		.vendor = "SRPTD",
		.product = "shared disk",
		.revision = "0.1",
		.naa = "6001405aaaaaaaaa0000000000000001",
		.max_xfer_bytes = 1024 * 1024,
		.pr_mode = SCSI_PR_SHARED,
		.pr_shared = &h->shared
	};
	th_start(h);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct th *h = *state;

	sf_fini(&h->f);
	free(h);
	return 0;
}

static int prout(struct th *h, unsigned int itn, uint8_t sa, uint8_t type,
		 uint64_t key, uint64_t sa_key, uint8_t flags, struct sf_cmd *c)
{
	return sf_prout(&h->f, itn, 0, sa, type, key, sa_key, flags, c);
}

static void prout_ok(struct th *h, unsigned int itn, uint8_t sa, uint8_t type,
		     uint64_t key, uint64_t sa_key)
{
	assert_int_equal(prout(h, itn, sa, type, key, sa_key, 0, NULL),
			 SAM_STAT_GOOD);
}

/* PR IN READ KEYS through itn: the keys, in order; returns how many. */
static unsigned int read_keys(struct th *h, unsigned int itn, uint64_t *keys,
			      uint32_t *gen)
{
	uint8_t buf[8 + 8 * SCSI_PR_MAX_REGS];
	unsigned int n;

	sf_prin(&h->f, itn, 0, SCSI_PRIN_READ_KEYS, buf, sizeof(buf));
	n = get_be32(buf + 4) / 8;
	for (unsigned int i = 0; i < n; i++)
		keys[i] = get_be64(buf + 8 + 8 * i);
	if (gen)
		*gen = get_be32(buf);
	return n;
}

/* The key of the reservation holder seen through itn, 0 if none. */
static uint64_t holder_key(struct th *h, unsigned int itn)
{
	uint8_t buf[24];

	sf_prin(&h->f, itn, 0, SCSI_PRIN_READ_RESERVATION, buf, sizeof(buf));
	return get_be32(buf + 4) ? get_be64(buf + 8) : 0;
}

/* RESERVE through A holds through B: B's unregistered nexus conflicts. */
static void test_reservation_holds_through_other_host(void **state)
{
	struct th *h = *state;
	uint64_t keys[4];

	prout_ok(h, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	prout_ok(h, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, KEY_A, 0);
	assert_int_equal(h->m.writes, 2);
	/* B's copy is refreshed when the store tells it of a change. */
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[1], 0, 5),
			 SAM_STAT_GOOD);
	assert_int_equal(scsi_pr_refresh(h->f.lu[1]), 0);
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[1], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[0], 0, 5),
			 SAM_STAT_GOOD);
	/* PR IN through B reads the store. */
	assert_int_equal(read_keys(h, 1, keys, NULL), 1);
	assert_true(keys[0] == KEY_A);
	assert_true(holder_key(h, 1) == KEY_A);
	/* B cannot RESERVE over it, nor release it. */
	prout_ok(h, 1, SCSI_PROUT_REGISTER, 0, 0, KEY_B);
	{
		struct sf_cmd c;

		assert_int_equal(prout(h, 1, SCSI_PROUT_RESERVE,
				       SCSI_PR_TYPE_WE, KEY_B, 0, 0, &c),
				 SAM_STAT_RESERVATION_CONFLICT);
	}
	prout_ok(h, 1, SCSI_PROUT_RELEASE, SCSI_PR_TYPE_WE, KEY_B, 0);
	assert_true(holder_key(h, 0) == KEY_A);
	/* Registered but not the holder: still a conflict under WE. */
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[1], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
}

/* PREEMPT through B: A's holder loses it and A's nexus learns it. */
static void test_preempt_through_other_host(void **state)
{
	struct th *h = *state;
	struct sf_cmd c;
	uint64_t keys[4];

	prout_ok(h, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	prout_ok(h, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EA, KEY_A, 0);
	prout_ok(h, 1, SCSI_PROUT_REGISTER, 0, 0, KEY_B);
	prout_ok(h, 1, SCSI_PROUT_PREEMPT, SCSI_PR_TYPE_WE, KEY_B, KEY_A);
	assert_true(holder_key(h, 1) == KEY_B);
	assert_int_equal(read_keys(h, 1, keys, NULL), 1);
	assert_true(keys[0] == KEY_B);
	/* Host A's copy still has A holding until its refresh. */
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[0], 0, 5),
			 SAM_STAT_GOOD);
	assert_int_equal(scsi_pr_refresh(h->f.lu[0]), 0);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run(&h->f, 0, 0, &c), SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_REGISTRATIONS_PREEMPTED);
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[0], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* A's old key is gone: its RESERVE conflicts. */
	assert_int_equal(prout(h, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, KEY_A,
			       0, 0, &c),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* A second refresh with nothing new raises nothing more. */
	assert_int_equal(scsi_pr_refresh(h->f.lu[0]), 0);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run(&h->f, 0, 0, &c), SAM_STAT_GOOD);
}

/*
 * Another host writes between this host's read and write: the write is
 * refused, the command starts again from the new state, and both
 * updates are kept; the unit attentions of the command are queued once.
 */
static void test_concurrent_updates_not_lost(void **state)
{
	struct th *h = *state;
	uint64_t keys[4];
	uint32_t gen;
	struct sf_cmd c;
	unsigned int n;

	prout_ok(h, 1, SCSI_PROUT_REGISTER, 0, 0, KEY_B);
	prout_ok(h, 1, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WERO, KEY_B, 0);
	prout_ok(h, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	h->m.intrude = 2;
	h->m.collisions = 0;
	/* A releases nothing (not the holder) but re-registers: a change. */
	prout_ok(h, 0, SCSI_PROUT_REGISTER, 0, KEY_A, KEY_A + 1);
	assert_int_equal(h->m.collisions, 2);
	n = read_keys(h, 0, keys, &gen);
	assert_int_equal(n, 3);
	assert_true(keys[0] == KEY_B || keys[1] == KEY_B || keys[2] == KEY_B);
	assert_true(keys[0] == KEY_A + 1 || keys[1] == KEY_A + 1 ||
		    keys[2] == KEY_A + 1);
	assert_true(keys[2] == KEY_C || keys[1] == KEY_C || keys[0] == KEY_C);
	/* B's holder releases a registrants-only reservation through a
	 * collision: A's nexus gets RESERVATIONS RELEASED exactly once. */
	h->m.intrude = 1;
	prout_ok(h, 1, SCSI_PROUT_RELEASE, SCSI_PR_TYPE_WERO, KEY_B, 0);
	assert_int_equal(scsi_pr_refresh(h->f.lu[0]), 0);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run(&h->f, 0, 0, &c), SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_RESERVATIONS_RELEASED);
	assert_int_equal(sf_run(&h->f, 0, 0, &c), SAM_STAT_GOOD);
	/* Collisions on every try: the command fails, nothing changes. */
	h->m.intrude = 100;
	h->m.writes = 0;
	assert_int_equal(prout(h, 1, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, KEY_B,
			       0, 0, &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);
	assert_int_equal(h->m.writes, 0);
	h->m.intrude = 0;
	assert_true(holder_key(h, 1) == 0);
}

/* The store cannot be read: PR IN and OUT fail, the data path goes on. */
static void test_store_failure(void **state)
{
	struct th *h = *state;
	uint8_t buf[64];
	struct sf_cmd c;

	prout_ok(h, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	h->m.fail_read = -ETIMEDOUT;
	assert_int_equal(prout(h, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, KEY_A,
			       0, 0, &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);
	h->m.fail_read = -ETIMEDOUT;
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_PERSISTENT_RESERVE_IN;
	c.cdb[1] = SCSI_PRIN_READ_KEYS;
	put_be16(c.cdb + 7, sizeof(buf));
	c.in = buf;
	c.in_len = sizeof(buf);
	assert_int_equal(sf_run(&h->f, 0, 0, &c), SAM_STAT_CHECK_CONDITION);
	h->m.fail_read = -ETIMEDOUT;
	assert_int_equal(scsi_pr_refresh(h->f.lu[1]), -ETIMEDOUT);
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[1], 0, 5),
			 SAM_STAT_GOOD);
	assert_true(holder_key(h, 0) == 0);
}

/*
 * The state is the store's: it outlives both LUs, whatever APTPL says,
 * and a new LU starts from it (REPORT CAPABILITIES: PTPL_C = 1).
 */
static void test_state_survives_both_hosts(void **state)
{
	struct th *h = *state;
	uint8_t buf[8];
	struct sf_cmd c;

	prout_ok(h, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	prout_ok(h, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, KEY_A, 0);
	sf_fini(&h->f);
	memset(&h->f, 0, sizeof(h->f));
	th_start(h);
	/* Before any PR command: the new LU read the store at creation. */
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[1], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[0], 0, 5),
			 SAM_STAT_GOOD);
	assert_true(holder_key(h, 1) == KEY_A);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_PERSISTENT_RESERVE_IN;
	c.cdb[1] = SCSI_PRIN_REPORT_CAPABILITIES;
	put_be16(c.cdb + 7, sizeof(buf));
	c.in = buf;
	c.in_len = sizeof(buf);
	assert_int_equal(sf_run(&h->f, 1, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(buf[2] & 0x01, 1); /* PTPL_C */
	/* APTPL may be set on a shared LU. */
	assert_int_equal(prout(h, 1, SCSI_PROUT_REGISTER, 0, 0, KEY_B, 0x01,
			       &c),
			 SAM_STAT_GOOD);
	assert_true(h->m.st.aptpl);
}

/*
 * Only persistent reservations are in the store: SPC-2 RESERVE and
 * RELEASE, which would be held by one host alone, are refused as
 * unsupported on a shared LU (doc/scsi-commands.md).
 */
static void test_spc2_reserve_refused(void **state)
{
	struct th *h = *state;
	struct sf_cmd c;

	sf_cdb6(&c, SCSI_OP_RESERVE_6, 0, 0, 0, 0);
	assert_int_equal(sf_run(&h->f, 0, 0, &c), SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
	sf_cdb6(&c, SCSI_OP_RELEASE_6, 0, 0, 0, 0);
	assert_int_equal(sf_run(&h->f, 1, 0, &c), SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
	assert_int_equal(sf_write_status(h->f.w, h->f.itn[1], 0, 5),
			 SAM_STAT_GOOD);
	/* Persistent reservations are served. */
	prout_ok(h, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	assert_int_equal(h->m.writes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_reservation_holds_through_other_host, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_preempt_through_other_host,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_concurrent_updates_not_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_state_survives_both_hosts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_spc2_reserve_refused,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
