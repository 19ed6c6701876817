/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A live resize while I/O workers run commands on their own threads
 * (srp_engine_resize_lu(), src/srp/srp_worker.c): each worker thread has
 * its own loop, loopback fabric, SRP worker and a nexus seeing one null
 * device, and keeps issuing READ CAPACITY (16) and a READ (16) of the
 * first block past the old end.  The main thread grows the device.
 * Every nexus must see CAPACITY DATA HAS CHANGED before it is told the
 * new capacity or gets a block past the old end, and every worker must
 * eventually serve the new capacity.  The size is never shared between
 * threads, so ThreadSanitizer (scripts/check.sh) finds no race; with
 * SRPTD_TEST_WORKERS the test runs that many worker threads (at least 2).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fabric_loop.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srptd/backend.h"
#include "srptd/scsi_proto.h"
#include "util.h"

#define MAX_THREADS 4
#define BS 512u
#define OLD_SIZE (8ULL << 20)
#define NEW_SIZE (16ULL << 20)
#define OLD_BLOCKS (OLD_SIZE / BS)
#define NEW_BLOCKS (NEW_SIZE / BS)

/* One worker thread and what it saw; main reads it after the join. */
struct wt {
	struct loop *loop;
	struct fabric *f;
	struct srp_worker *w;
	struct scsi_itn *itn;
	struct loop_timer *tick;
	pthread_t thread;
	struct loop *main_loop;
	unsigned int *done_count; /* main-owned, bumped by message */
	unsigned int *started_count; /* likewise */
	/* Worker-owned. */
	unsigned int rounds;
	bool saw_old; /* READ CAPACITY gave the old size */
	bool saw_ua; /* 2A/09 reported */
	bool saw_new; /* READ CAPACITY gave the new size */
	bool served_past; /* a READ past the old end was GOOD */
	bool done;
	char violation[160];
	uint8_t buf[4096];
};

static void task_done(struct scsi_task *t)
{
	*(bool *)t->transport_priv = true;
}

/* Run one CDB to completion on wt's worker, as the transport would. */
static void run_cdb(struct wt *wt, struct scsi_task *t, const uint8_t *cdb,
		    uint32_t len)
{
	struct scsi_worker *sw = srp_worker_scsi(wt->w);
	struct iovec iov = { wt->buf, sizeof(wt->buf) };
	bool done = false;

	memset(t, 0, sizeof(*t));
	memcpy(t->cdb, cdb, 16);
	t->cdb_len = 16;
	t->lun = 0;
	t->itn = wt->itn;
	t->worker = sw;
	t->complete = task_done;
	t->transport_priv = &done;
	if (scsi_task_parse(t) == 0) {
		t->iov = &iov;
		t->iovcnt = 1;
		t->buf_len = len;
		scsi_task_execute(t);
		while (!done)
			scsi_worker_poll(sw);
	}
	scsi_task_release(t);
}

static uint16_t sense_code(const struct scsi_task *t, uint8_t *key)
{
	*key = t->sense[2] & 0x0f;
	return t->sense[12] << 8 | t->sense[13];
}

static void violation(struct wt *wt, const char *what)
{
	if (!wt->violation[0])
		snprintf(wt->violation, sizeof(wt->violation), "round %u: %s",
			 wt->rounds, what);
}

/* A unit attention: note 2A/09 (29/00 of the login is expected too). */
static bool took_ua(struct wt *wt, const struct scsi_task *t)
{
	uint8_t key;
	uint16_t asc = sense_code(t, &key);

	if (t->status != SAM_STAT_CHECK_CONDITION || key != 0x06)
		return false;
	if (asc == SCSI_ASC_CAPACITY_DATA_CHANGED)
		wt->saw_ua = true;
	return true;
}

static void tell_main(void *arg)
{
	struct wt *wt = arg;

	(*wt->done_count)++;
}

static void tell_started(void *arg)
{
	struct wt *wt = arg;

	(*wt->started_count)++;
}

/* Worker thread, every millisecond: the two commands, and the checks. */
static void tick(void *arg)
{
	struct wt *wt = arg;
	struct scsi_task t;
	uint8_t cdb[16] = { 0 }, key;

	if (wt->done)
		return;
	wt->rounds++;
	cdb[0] = 0x9e; /* READ CAPACITY (16) */
	cdb[1] = 0x10;
	put_be32(cdb + 10, 32);
	run_cdb(wt, &t, cdb, 32);
	if (!took_ua(wt, &t)) {
		uint64_t cap = get_be64(wt->buf) + 1;

		if (t.status != SAM_STAT_GOOD)
			violation(wt, "READ CAPACITY failed");
		else if (cap == NEW_BLOCKS && !wt->saw_ua)
			violation(wt, "new capacity before the unit attention");
		else if (cap == NEW_BLOCKS)
			wt->saw_new = true;
		else if (cap == OLD_BLOCKS && !wt->saw_old) {
			wt->saw_old = true;
			/* I/O under way: the main thread may resize now. */
			if (loop_send(wt->main_loop, tell_started, wt))
				violation(wt, "cannot tell the main thread");
		} else if (cap != OLD_BLOCKS)
			violation(wt, "a capacity neither old nor new");
	}
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x88; /* READ (16), one block at the old end */
	put_be64(cdb + 2, OLD_BLOCKS);
	put_be32(cdb + 10, 1);
	run_cdb(wt, &t, cdb, BS);
	if (!took_ua(wt, &t)) {
		if (t.status == SAM_STAT_GOOD && !wt->saw_ua)
			violation(
				wt,
				"served past the old end before the unit attention");
		else if (t.status == SAM_STAT_GOOD)
			wt->served_past = true;
		else if (sense_code(&t, &key) != 0x2100 || key != 0x05)
			violation(wt,
				  "READ failed other than LBA OUT OF RANGE");
		else if (wt->saw_new)
			violation(
				wt,
				"refused past the old end after reporting the new capacity");
	}
	if (wt->violation[0] || (wt->saw_new && wt->served_past)) {
		wt->done = true;
		if (loop_send(wt->main_loop, tell_main, wt))
			violation(wt, "cannot tell the main thread");
	}
}

static void *wt_main(void *arg)
{
	struct wt *wt = arg;

	loop_run(wt->loop);
	return NULL;
}

static void stop_msg(void *arg)
{
	loop_stop(arg);
}

static unsigned int n_threads(void)
{
	const char *s = getenv("SRPTD_TEST_WORKERS");
	int n = s ? atoi(s) : 2;

	return (unsigned int)MIN(MAX(n, 2), MAX_THREADS);
}

static void test_resize_under_io(void **state)
{
	const struct srptd_backend_ops *ops;
	struct srptd_bdev_params bp = { .name = "r",
					.size = OLD_SIZE,
					.block_size = BS };
	struct srp_engine_params ep;
	struct srptd_bdev bdev;
	struct srp_engine *e;
	struct scsi_lu *lu;
	struct loop *main_loop;
	struct wt wt[MAX_THREADS];
	unsigned int n = n_threads(), done = 0, started = 0;
	uint8_t tid[16] = { 0x02 };
	uint64_t until;

	(void)state;
	memset(wt, 0, sizeof(wt));
	memset(&bdev, 0, sizeof(bdev));
	bdev.fd = -1;
	assert_int_equal(srptd_backend_open(&bdev, "null", NULL, &bp, &ops), 0);
	assert_int_equal(scsi_lu_create(&bdev, NULL, &lu), 0);
	assert_int_equal(loop_create(&main_loop), 0);
	srp_engine_params_default(&ep);
	ep.main_loop = main_loop;
	ep.chunks = 16;
	assert_int_equal(srp_engine_create(&ep, &e), 0);
	for (unsigned int i = 0; i < n; i++) {
		struct scsi_lun_entry view = { .lun = 0, .lu = lu };
		uint8_t iid[16] = { 0x01, (uint8_t)i };

		wt[i].main_loop = main_loop;
		wt[i].done_count = &done;
		wt[i].started_count = &started;
		assert_int_equal(loop_create(&wt[i].loop), 0);
		assert_int_equal(fabric_loop_create(wt[i].loop,
						    &srp_engine_listener, e,
						    &wt[i].f),
				 0);
		assert_int_equal(
			srp_worker_create(e, wt[i].f, wt[i].loop, &wt[i].w), 0);
		assert_int_equal(
			scsi_itn_create(iid, tid, 1, &view, 1, &wt[i].itn), 0);
		assert_int_equal(loop_timer_add(wt[i].loop, 1, 1, tick, &wt[i],
						&wt[i].tick),
				 0);
	}
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(pthread_create(&wt[i].thread, NULL, wt_main,
						&wt[i]),
				 0);
	/* I/O under way on every worker, then the resize the daemon does. */
	until = loop_now_ms() + 10000;
	while (started < n && loop_now_ms() < until)
		loop_run_once(main_loop, 5);
	assert_int_equal(started, n);
	assert_int_equal(ops->resize(&bdev, NEW_SIZE), 0);
	assert_int_equal(srp_engine_resize_lu(e, lu, NEW_BLOCKS), 0);
	until = loop_now_ms() + 10000;
	while (done < n && loop_now_ms() < until)
		loop_run_once(main_loop, 10);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(loop_send(wt[i].loop, stop_msg, wt[i].loop),
				 0);
		pthread_join(wt[i].thread, NULL);
	}
	for (unsigned int i = 0; i < n; i++) {
		if (wt[i].violation[0])
			fail_msg("worker %u: %s", i, wt[i].violation);
		assert_true(wt[i].saw_old && wt[i].saw_ua && wt[i].saw_new &&
			    wt[i].served_past);
	}
	assert_int_equal(done, n);
	for (unsigned int i = 0; i < n; i++) {
		loop_timer_cancel(wt[i].loop, wt[i].tick);
		scsi_itn_destroy(wt[i].itn);
		srp_worker_destroy(wt[i].w);
		fabric_loop_destroy(wt[i].f);
		loop_destroy(wt[i].loop);
	}
	srp_engine_destroy(e);
	loop_destroy(main_loop);
	scsi_lu_destroy(lu);
	srptd_backend_close(&bdev);
}

/* A worker created after the resize starts with the new capacity. */
static void test_worker_after_resize(void **state)
{
	const struct srptd_backend_ops *ops;
	struct srptd_bdev_params bp = { .name = "r",
					.size = OLD_SIZE,
					.block_size = BS };
	struct scsi_lun_entry view;
	struct srp_engine_params ep;
	struct srptd_bdev bdev;
	struct srp_engine *e;
	struct scsi_lu *lu;
	struct loop *main_loop;
	struct wt wt = { 0 };
	uint8_t iid[16] = { 0x01 }, tid[16] = { 0x02 };
	struct scsi_task t;
	uint8_t cdb[16] = { 0x9e, 0x10 };

	(void)state;
	memset(&bdev, 0, sizeof(bdev));
	bdev.fd = -1;
	assert_int_equal(srptd_backend_open(&bdev, "null", NULL, &bp, &ops), 0);
	assert_int_equal(scsi_lu_create(&bdev, NULL, &lu), 0);
	assert_int_equal(loop_create(&main_loop), 0);
	srp_engine_params_default(&ep);
	ep.main_loop = main_loop;
	ep.chunks = 16;
	assert_int_equal(srp_engine_create(&ep, &e), 0);
	/* No worker yet: nothing to tell but the engine's record. */
	assert_int_equal(ops->resize(&bdev, NEW_SIZE), 0);
	assert_int_equal(srp_engine_resize_lu(e, lu, NEW_BLOCKS), 0);
	assert_int_equal(loop_create(&wt.loop), 0);
	assert_int_equal(
		fabric_loop_create(wt.loop, &srp_engine_listener, e, &wt.f), 0);
	assert_int_equal(srp_worker_create(e, wt.f, wt.loop, &wt.w), 0);
	view = (struct scsi_lun_entry){ .lun = 0, .lu = lu };
	assert_int_equal(scsi_itn_create(iid, tid, 1, &view, 1, &wt.itn), 0);
	put_be32(cdb + 10, 32);
	run_cdb(&wt, &t, cdb, 32); /* 29/00 of the new nexus */
	assert_true(took_ua(&wt, &t));
	run_cdb(&wt, &t, cdb, 32);
	assert_int_equal(t.status, SAM_STAT_GOOD);
	assert_int_equal(get_be64(wt.buf) + 1, NEW_BLOCKS);
	scsi_itn_destroy(wt.itn);
	srp_worker_destroy(wt.w);
	fabric_loop_destroy(wt.f);
	loop_destroy(wt.loop);
	srp_engine_destroy(e);
	loop_destroy(main_loop);
	scsi_lu_destroy(lu);
	srptd_backend_close(&bdev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resize_under_io),
		cmocka_unit_test(test_worker_after_resize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
