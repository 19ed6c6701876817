/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A backend that never completes an I/O must not be waited on silently
 * (doc/scsi-commands.md "A stuck backend"): every command with an I/O in
 * a backend is on its worker's in_backend list, oldest first, and a
 * periodic check reports the ones outstanding longer than a threshold,
 * one warning per device and check, each I/O once.  The I/O itself is
 * left alone: its buffers belong to the backend (the kernel may still
 * DMA into them) until it completes.
 */
#include <time.h>

#include "log.h"
#include "scsi_int.h"
#include "util.h"

#define SCSI_STUCK_DEVS 8 /* devices named per check; more are summed */

/*
 * The coarse clock (the last tick, a few milliseconds old) is enough for
 * thresholds of seconds, and is read without touching the clocksource:
 * a guest whose clocksource has no vDSO path (an emulated HPET) otherwise
 * pays a system call for it on every check
 * (doc/performance.md "Where srptd loses time").
 */
static uint64_t scsi_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *scsi_bdev_name(const struct srptd_bdev *b)
{
	return b && b->name ? b->name : "?";
}

/*
 * No clock is read per submission (scsi_backend_track()): an I/O gets
 * its time from the first check that finds it outstanding, and most
 * I/Os complete before any check sees them.  That time is an upper
 * bound of the submission, so an I/O reported as past the threshold is;
 * it is reported at most one check period (a quarter of the threshold,
 * src/srp/srp_worker.c) later than with a clock read per submission,
 * which cost every command a call (doc/performance.md "Host loopback
 * guard").  Here the I/Os submitted since the last check get the time
 * of this one: they are at the young end of the list, the only ones
 * without a time.
 */
static void scsi_worker_stamp(struct scsi_worker *w, uint64_t now)
{
	struct scsi_list *pos;

	for (pos = w->in_backend.prev; pos != &w->in_backend; pos = pos->prev) {
		struct scsi_cmd *c = container_of(pos, struct scsi_cmd, bnode);

		if (c->io_age != SCSI_IO_UNTIMED)
			break;
		c->submit_ns = now;
		c->io_age = SCSI_IO_TIMED;
	}
}

/* An I/O counted as stuck completed (scsi_io_done(), lu.c). */
void scsi_backend_untrack_stuck(struct scsi_worker *w, struct scsi_cmd *c)
{
	c->io_age = SCSI_IO_TIMED;
	w->stuck_now--;
	if (c->lu)
		atomic_fetch_sub_explicit(&c->lu->stuck_now, 1,
					  memory_order_relaxed);
	pr_notice("device %s: a backend I/O completed after at least %.1f s "
		  "outstanding (%u still past the threshold)",
		  scsi_bdev_name(c->io.bdev),
		  (double)(scsi_now_ns() - c->submit_ns) / 1e9, w->stuck_now);
}

void scsi_worker_check_stuck(struct scsi_worker *w, uint64_t threshold_ms,
			     struct scsi_stuck_stats *st)
{
	scsi_worker_check_stuck_at(w, threshold_ms, scsi_now_ns(), st);
}

void scsi_worker_check_stuck_at(struct scsi_worker *w, uint64_t threshold_ms,
				uint64_t now, struct scsi_stuck_stats *st)
{
	struct {
		const struct srptd_bdev *bdev;
		unsigned int n;
	} dev[SCSI_STUCK_DEVS];
	uint64_t limit = threshold_ms * 1000000ull;
	unsigned int n_dev = 0, other = 0;
	struct scsi_list *pos;

	scsi_worker_stamp(w, now);

	for (pos = w->in_backend.next; pos != &w->in_backend; pos = pos->next) {
		struct scsi_cmd *c = container_of(pos, struct scsi_cmd, bnode);
		unsigned int i;

		/* Oldest first: the rest are younger. */
		if (now - c->submit_ns <= limit)
			break;
		if (c->io_age == SCSI_IO_STUCK)
			continue;
		c->io_age = SCSI_IO_STUCK;
		w->stuck_now++;
		w->stuck_total++;
		if (c->lu) {
			atomic_fetch_add_explicit(&c->lu->stuck_now, 1,
						  memory_order_relaxed);
			atomic_fetch_add_explicit(&c->lu->stuck_total, 1,
						  memory_order_relaxed);
		}
		for (i = 0; i < n_dev && dev[i].bdev != c->io.bdev; i++)
			;
		if (i == n_dev && n_dev == SCSI_STUCK_DEVS) {
			other++;
			continue;
		}
		if (i == n_dev) {
			dev[n_dev].bdev = c->io.bdev;
			dev[n_dev++].n = 0;
		}
		dev[i].n++;
	}
	for (unsigned int i = 0; i < n_dev; i++)
		pr_warn("device %s: %u backend I/O%s outstanding for more "
			"than %.3g s; their commands wait for them",
			scsi_bdev_name(dev[i].bdev), dev[i].n,
			dev[i].n == 1 ? "" : "s", (double)threshold_ms / 1e3);
	if (other)
		pr_warn("%u more backend I/Os outstanding for more than "
			"%.3g s on other devices",
			other, (double)threshold_ms / 1e3);
	st->now = w->stuck_now;
	st->total = w->stuck_total;
}

void scsi_lu_stuck(const struct scsi_lu *lu, unsigned int *now, uint64_t *total)
{
	*now = atomic_load_explicit(&lu->stuck_now, memory_order_relaxed);
	*total = atomic_load_explicit(&lu->stuck_total, memory_order_relaxed);
}
