/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The stuck backend I/O check (src/scsi/stuck.c, doc/scsi-commands.md
 * "A stuck backend") with the clock in the test's hands
 * (scsi_worker_check_stuck_at()): an I/O's age counts from the first
 * check that finds it outstanding, whatever that check's time, 0 too;
 * each I/O is counted once, and counted down when it completes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scsi/scsi.h"
#include "scsi/scsi_int.h"

#define MS 1000000ull /* ns */
#define LIMIT_MS 100 /* the threshold of these tests */

static struct scsi_task task[2];

static void check(struct scsi_worker *w, uint64_t now, unsigned int stuck,
		  uint64_t total)
{
	struct scsi_stuck_stats st;

	scsi_worker_check_stuck_at(w, LIMIT_MS, now, &st);
	assert_int_equal(st.now, stuck);
	assert_int_equal(st.total, total);
}

/* What scsi_io_done() (lu.c) does with the list when c's I/O completes. */
static void complete(struct scsi_worker *w, struct scsi_cmd *c)
{
	scsi_list_unlink(&c->bnode);
	if (c->io_age == SCSI_IO_STUCK)
		scsi_backend_untrack_stuck(w, c);
}

/*
 * An I/O first seen by a check at clock 0 has the time 0: it is past the
 * threshold at LIMIT_MS and 1 ns, not at LIMIT_MS (when submit_ns 0 meant
 * "no time yet", the check's time was made at least 1 and the report came
 * 1 ns late).
 */
static void test_seen_at_clock_zero(void **state)
{
	struct scsi_cmd *c = scsi_cmd(&task[0]);
	struct scsi_worker *w;

	(void)state;
	memset(task, 0, sizeof(task));
	assert_int_equal(scsi_worker_create(4, &w), 0);
	scsi_backend_track(w, c);
	assert_int_equal(c->io_age, SCSI_IO_UNTIMED);
	check(w, 0, 0, 0);
	assert_int_equal(c->io_age, SCSI_IO_TIMED);
	assert_int_equal(c->submit_ns, 0);
	check(w, LIMIT_MS * MS, 0, 0);
	check(w, LIMIT_MS * MS + 1, 1, 1);
	assert_int_equal(c->io_age, SCSI_IO_STUCK);
	/* Counted once, however many checks see it. */
	check(w, 2 * LIMIT_MS * MS, 1, 1);
	complete(w, c);
	check(w, 3 * LIMIT_MS * MS, 0, 1);
	scsi_worker_destroy(w);
}

/*
 * Only the I/Os submitted since the last check get this one's time; the
 * older ones keep theirs, and each is reported when its own age passes
 * the threshold.
 */
static void test_young_get_the_later_check(void **state)
{
	struct scsi_cmd *a = scsi_cmd(&task[0]), *b = scsi_cmd(&task[1]);
	struct scsi_worker *w;

	(void)state;
	memset(task, 0, sizeof(task));
	assert_int_equal(scsi_worker_create(4, &w), 0);
	scsi_backend_track(w, a);
	check(w, 0, 0, 0);
	scsi_backend_track(w, b);
	check(w, 50 * MS, 0, 0);
	assert_int_equal(a->submit_ns, 0);
	assert_int_equal(b->submit_ns, 50 * MS);
	check(w, LIMIT_MS * MS + 1, 1, 1);
	assert_int_equal(b->io_age, SCSI_IO_TIMED);
	check(w, (LIMIT_MS + 50) * MS + 1, 2, 2);
	complete(w, a);
	check(w, (LIMIT_MS + 60) * MS, 1, 2);
	complete(w, b);
	check(w, (LIMIT_MS + 70) * MS, 0, 2);
	scsi_worker_destroy(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seen_at_clock_zero),
		cmocka_unit_test(test_young_get_the_later_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
