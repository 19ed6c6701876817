/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's statistics snapshot: the SRP engine's counters
 * (src/srp/srp_stats.h) with the configured devices named.  Built on the
 * main thread for the Prometheus endpoint and the control socket;
 * doc/statistics.md says what is counted.
 */
#ifndef SRPTD_DAEMON_STATS_H
#define SRPTD_DAEMON_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "srp/srp_stats.h"

struct daemon_srp;
struct device_set;

/* A device of the running config, in config order. */
struct daemon_stats_device {
	char name[64];
	bool online; /* opened and exported (DEVICE_ONLINE) */
	/*
	 * Its logical unit's counters: since it was (re)opened -- a device
	 * closed and opened again by a reload starts from zero, which a
	 * Prometheus counter reset expresses.
	 */
	struct srp_io_stats io;
	/*
	 * Its backend I/Os outstanding longer than stuck_io_warn now, and
	 * how many ever were (scsi_lu_stuck(); doc/statistics.md "Stuck
	 * backend I/O"); since it was (re)opened, as io.
	 */
	unsigned int stuck_now;
	uint64_t stuck_total;
};

struct daemon_stats {
	uint64_t generation; /* configuration generation */
	unsigned int n_devices;
	struct daemon_stats_device *devices;
	/* Targets, sessions and workers (its devices are keyed by LU). */
	struct srp_stats_snapshot *srp;
};

/* Fill *out (daemon_stats_free()); main thread.  0 or -ENOMEM. */
int daemon_stats_collect(const struct device_set *devs, struct daemon_srp *srp,
			 uint64_t generation, struct daemon_stats **out);
void daemon_stats_free(struct daemon_stats *s);

#endif
