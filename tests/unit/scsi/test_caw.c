/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * COMPARE AND WRITE atomicity (SBC-3 5.2) across workers: the LU range
 * lock makes the read-compare-write of a CAW atomic against every other
 * write to an overlapping range, whichever worker thread issues it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "test_skip.h"
#include "util.h"

#define ITER 150

struct racer {
	struct sf *f;
	struct scsi_itn *itn;
	unsigned int done, miscompares;
};

static void caw_cmd(struct sf_cmd *c, uint64_t lba, const void *data)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_COMPARE_AND_WRITE;
	put_be64(c->cdb + 2, lba);
	c->cdb[13] = 1;
	c->out = data;
	c->out_len = 1024;
}

/* Atomic increment of the counter in block 0 with CAW, ITER times. */
static void *racer_main(void *arg)
{
	struct racer *r = arg;
	struct scsi_worker *w;
	uint8_t cur[512], data[1024];
	struct sf_cmd c;

	assert_int_equal(scsi_worker_create(16, &w), 0);
	while (r->done < ITER) {
		sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 0, 1);
		c.in = cur;
		c.in_len = 512;
		assert_int_equal(sf_run_w(w, r->itn, 0, &c), SAM_STAT_GOOD);
		memcpy(data, cur, 512);
		memcpy(data + 512, cur, 512);
		put_be64(data + 512, get_be64(cur) + 1);
		caw_cmd(&c, 0, data);
		sf_run_w(w, r->itn, 0, &c);
		if (c.status == SAM_STAT_GOOD) {
			r->done++;
		} else {
			sf_assert_sense(&c, SCSI_SK_MISCOMPARE,
					SCSI_ASC_MISCOMPARE_DURING_VERIFY);
			r->miscompares++;
		}
	}
	scsi_worker_destroy(w);
	return NULL;
}

static void test_caw_increments(void **state)
{
	const char *engines[] = { "sync", "io_uring" };
	unsigned int e;

	for (e = 0; e < ARRAY_SIZE(engines); e++) {
		struct racer r[2];
		pthread_t th[2];
		uint8_t blk[512];
		struct sf f;
		int i, ret;

		ret = srptd_backend_find(engines[e])->probe();
		if (ret) /* seccomp, SRPTD_TEST_DISABLE_ENGINE */
			SRPTD_SKIP("engine %s unavailable here: %s", engines[e],
				   strerror(-ret));
		sf_init(&f);
		sf_add_lu(&f, 0, engines[e], 512, 64, NULL);
		sf_add_itn0(&f, 0, 0xa0);
		sf_add_itn0(&f, 1, 0xb0);
		sf_clear_ua(&f, 0, 0);
		sf_clear_ua(&f, 1, 0);
		for (i = 0; i < 2; i++) {
			r[i] = (struct racer){ .f = &f, .itn = f.itn[i] };
			assert_int_equal(pthread_create(&th[i], NULL,
							racer_main, &r[i]),
					 0);
		}
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		sf_pread(&f, 0, 0, blk, 512);
		/* No increment was lost. */
		assert_int_equal(get_be64(blk), 2 * ITER);
		print_message("%s: %u + %u miscompares retried\n", engines[e],
			      r[0].miscompares, r[1].miscompares);
		sf_fini(&f);
	}
}

/*
 * Deterministic ordering with the test engine's hold switch: a write that
 * overlaps an in-progress CAW is not even submitted until the CAW ends; a
 * non-overlapping one goes ahead; and a CAW waits for an overlapping write
 * already in flight.
 */
static void test_write_waits_for_caw(void **state)
{
	uint8_t data[1024], wbuf[512], other[512], file[512];
	struct scsi_worker *w2;
	struct sf_async a1, a2, a3;
	struct sf_cmd c1, c2, c3;
	struct sf f;

	sf_init(&f);
	sf_add_lu(&f, 0, "tb", 512, 64, NULL);
	sf_add_itn0(&f, 0, 0xa0);
	sf_add_itn0(&f, 1, 0xb0);
	sf_clear_ua(&f, 0, 0);
	sf_clear_ua(&f, 1, 0);
	assert_int_equal(scsi_worker_create(16, &w2), 0);

	memset(data, 0, 512); /* the file holds zeroes */
	memset(data + 512, 0xca, 512);
	memset(wbuf, 0x77, 512);
	memset(other, 0x55, 512);

	tb_ctl.hold = true;
	caw_cmd(&c1, 10, data);
	sf_start(f.w, f.itn[0], 0, &c1, &a1);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_READ], 1);
	/* Overlapping WRITE from another worker: parked, not submitted. */
	sf_cdb_rw10(&c2, SCSI_OP_WRITE_10, 0, 10, 1);
	c2.out = wbuf;
	c2.out_len = 512;
	sf_start(w2, f.itn[1], 0, &c2, &a2);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_WRITE], 0);
	/* Non-overlapping WRITE: goes straight to the engine. */
	sf_cdb_rw10(&c3, SCSI_OP_WRITE_10, 0, 11, 1);
	c3.out = other;
	c3.out_len = 512;
	sf_start(w2, f.itn[1], 0, &c3, &a3);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_WRITE], 1);
	scsi_worker_poll(w2);
	assert_false(a2.done);
	assert_false(a3.done);

	tb_ctl.hold = false;
	sf_wait(f.w, &a1);
	assert_int_equal(c1.status, SAM_STAT_GOOD);
	sf_wait(w2, &a3);
	sf_wait(w2, &a2);
	assert_int_equal(c2.status, SAM_STAT_GOOD);
	/* The parked write ran after the CAW: its data is what remains. */
	sf_pread(&f, 0, 10 * 512, file, 512);
	assert_memory_equal(file, wbuf, 512);

	/* Reverse: a CAW waits for an overlapping write in flight. */
	tb_reset();
	tb_ctl.hold = true;
	sf_cdb_rw10(&c2, SCSI_OP_WRITE_10, 0, 20, 1);
	c2.out = other;
	c2.out_len = 512;
	sf_start(w2, f.itn[1], 0, &c2, &a2);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_WRITE], 1);
	memcpy(data, other, 512);
	caw_cmd(&c1, 20, data);
	sf_start(f.w, f.itn[0], 0, &c1, &a1);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_READ], 0);
	tb_ctl.hold = false;
	sf_wait(w2, &a2);
	sf_wait(f.w, &a1);
	/* The CAW compared against the written data, so it matched. */
	assert_int_equal(c1.status, SAM_STAT_GOOD);
	sf_pread(&f, 0, 20 * 512, file, 512);
	assert_memory_equal(file, data + 512, 512);

	scsi_worker_destroy(w2);
	sf_fini(&f);
}

/*
 * An engine with SRPTD_IO_COMPARE_WRITE (the rbd engine: doc/ceph.md)
 * gets the whole CAW as one I/O, verify then write data; its -EILSEQ is
 * MISCOMPARE with INFORMATION = its offset of the first differing byte;
 * when it refuses the range (-EOPNOTSUPP at submit or at completion) the
 * LU does its own read-compare-write.
 */
static void test_caw_engine_op(void **state)
{
	uint8_t data[2048], file[1024];
	struct sf_cmd c;
	struct sf f;

	sf_init(&f);
	tb_ctl.compare_write = true;
	sf_add_lu(&f, 0, "tb", 512, 64, NULL);
	sf_add_itn0(&f, 0, 0xa0);
	sf_clear_ua(&f, 0, 0);

	memset(data, 0, 1024); /* the file holds zeroes */
	for (int i = 0; i < 1024; i++)
		data[1024 + i] = (uint8_t)(i * 7 + 1);
	caw_cmd(&c, 5, data);
	c.cdb[13] = 2;
	c.out_len = 2048;
	assert_int_equal(sf_run(&f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_COMPARE_WRITE], 1);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_READ], 0);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_WRITE], 0);
	sf_pread(&f, 0, 5 * 512, file, 1024);
	assert_memory_equal(file, data + 1024, 1024);

	/* Verify data differing first at byte 700: nothing written. */
	memcpy(data, data + 1024, 1024);
	data[700] ^= 0xff;
	data[900] ^= 0xff;
	memset(data + 1024, 0x5a, 1024);
	sf_run(&f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_MISCOMPARE,
			SCSI_ASC_MISCOMPARE_DURING_VERIFY);
	assert_int_equal(sf_sense_info(&c), 700);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_COMPARE_WRITE], 2);
	sf_pread(&f, 0, 5 * 512, file, 1024);
	assert_int_equal(file[0], 1);

	/* Refused at submit, then at completion: the LU's own RCW. */
	data[700] ^= 0xff;
	data[900] ^= 0xff;
	for (int refuse = 1; refuse <= 2; refuse++) {
		tb_ctl.compare_write_refuse = refuse;
		tb_ctl.submitted[SRPTD_IO_READ] = 0;
		tb_ctl.submitted[SRPTD_IO_WRITE] = 0;
		assert_int_equal(sf_run(&f, 0, 0, &c), SAM_STAT_GOOD);
		assert_int_equal(tb_ctl.submitted[SRPTD_IO_READ], 1);
		assert_int_equal(tb_ctl.submitted[SRPTD_IO_WRITE], 1);
		sf_pread(&f, 0, 5 * 512, file, 1024);
		assert_memory_equal(file, data + 1024, 1024);
		memcpy(data, data + 1024, 1024);
		memset(data + 1024, 0x30 + refuse, 1024);
	}
	/* The local path reports a miscompare the same way. */
	data[10] ^= 0xff;
	sf_run(&f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_MISCOMPARE,
			SCSI_ASC_MISCOMPARE_DURING_VERIFY);
	assert_int_equal(sf_sense_info(&c), 10);
	sf_fini(&f);
	tb_reset();
}

/*
 * Before the first CAW, writes skip the range lock; the first CAW must
 * still wait for every such write in flight.
 */
static void test_caw_waits_for_lockfree_writes(void **state)
{
	uint8_t data[1024], wbuf[512], file[512];
	struct scsi_worker *w2;
	struct sf_async a1, a2;
	struct sf_cmd c1, c2;
	struct sf f;

	sf_init(&f);
	sf_add_lu(&f, 0, "tb", 512, 64, NULL);
	sf_add_itn0(&f, 0, 0xa0);
	sf_add_itn0(&f, 1, 0xb0);
	sf_clear_ua(&f, 0, 0);
	sf_clear_ua(&f, 1, 0);
	assert_int_equal(scsi_worker_create(16, &w2), 0);
	memset(wbuf, 0x31, 512);
	tb_ctl.hold = true;
	sf_cdb_rw10(&c2, SCSI_OP_WRITE_10, 0, 7, 1);
	c2.out = wbuf;
	c2.out_len = 512;
	sf_start(w2, f.itn[1], 0, &c2, &a2);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_WRITE], 1);
	/* The CAW's read is not submitted while the write is in flight. */
	memcpy(data, wbuf, 512);
	memset(data + 512, 0x32, 512);
	caw_cmd(&c1, 7, data);
	sf_start(f.w, f.itn[0], 0, &c1, &a1);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_READ], 0);
	scsi_worker_poll(f.w);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_READ], 0);
	tb_ctl.hold = false;
	sf_wait(w2, &a2);
	sf_wait(f.w, &a1);
	assert_int_equal(c1.status, SAM_STAT_GOOD);
	sf_pread(&f, 0, 7 * 512, file, 512);
	assert_memory_equal(file, data + 512, 512);
	scsi_worker_destroy(w2);
	sf_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caw_increments),
		cmocka_unit_test(test_write_waits_for_caw),
		cmocka_unit_test(test_caw_waits_for_lockfree_writes),
		cmocka_unit_test(test_caw_engine_op),
	};

	return srptd_test_status(cmocka_run_group_tests(tests, NULL, NULL));
}
