/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * I/O statistics of the SRP engine: commands, bytes, errors by sense key,
 * task management functions and latency histograms per device (logical
 * unit), target, session (I_T nexus) and worker (doc/statistics.md).
 *
 * Ownership (doc/architecture.md "Threads and ownership"): a worker
 * writes the counters of its channels, one block per (channel, logical
 * unit), with plain relaxed stores -- no lock, no atomic read-modify-
 * write on the data path, no cache line shared with another worker.
 * The main thread reads them with relaxed loads (a snapshot may be a few
 * commands behind, never torn per counter) and folds the blocks of a
 * released channel into its session, of a freed session into its target
 * and of a freed target into the engine, so that totals never go
 * backwards (they are Prometheus counters).
 */
#ifndef SRPTD_SRP_STATS_H
#define SRPTD_SRP_STATS_H

#include <stdint.h>

#include "fabric/fabric.h"
#include "loop.h"

struct srp_engine;

/*
 * Latency buckets: bucket 0 counts commands answered in less than 1 us,
 * bucket b (1 <= b < SRP_STATS_LAT_BUCKETS - 1) those under 2^b us and
 * at least 2^(b-1) us, the last bucket everything slower (2^22 us is
 * about 4.2 s), in whole microseconds (ns / 1000 rounded down): see
 * srp_stats_bucket().
 */
#define SRP_STATS_LAT_BUCKETS 24

/*
 * The latency bucket of ns nanoseconds, once per response.  Bucket b is
 * the bit length of us = ns / 1000 (the compiler makes the division by a
 * constant a multiply and a shift): 2^(b-1) <= us < 2^b.  (us << 1) | 1
 * has its top bit at that length, bit 0 for us = 0, so the clz needs no
 * zero test; us < 2^54, the shift cannot overflow.  The one compare caps
 * the last bucket.
 */
static inline unsigned int srp_stats_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int b = 63 - __builtin_clzll(us << 1 | 1);

	return b < SRP_STATS_LAT_BUCKETS - 1 ? b : SRP_STATS_LAT_BUCKETS - 1;
}

/* Command directions, as the CDB says (scsi_task_parse()). */
enum srp_stats_dir {
	SRP_STATS_READ, /* data-in (READ, and every emulated data-in) */
	SRP_STATS_WRITE, /* data-out */
	/*
	 * No data, or rejected before the direction was known (a malformed
	 * IU, an unsupported opcode, an LBA out of range: the CDB's checks
	 * come before its transfer is set up).
	 */
	SRP_STATS_OTHER,
	SRP_STATS_NDIR
};

/* One block of counters; every field only grows. */
struct srp_io_stats {
	/* Commands answered with an SRP_RSP, per direction. */
	uint64_t cmds[SRP_STATS_NDIR];
	/* Bytes moved: data-in sent by RDMA WRITE, data-out fetched. */
	uint64_t bytes_read;
	uint64_t bytes_written;
	/* Answered with CHECK CONDITION, by sense key (SPC-4 4.5.6). */
	uint64_t sense_key[16];
	/*
	 * Answered with another non-GOOD status (BUSY, RESERVATION
	 * CONFLICT, TASK SET FULL, ...; SAM-5 5.3), which carries no sense.
	 */
	uint64_t status_errors;
	/* Commands ended without a response (task management, logout). */
	uint64_t aborted;
	/* SRP_TSK_MGMT requests answered (SRP r16a 6.7). */
	uint64_t tmfs;
	/* Sum of the latencies (IU received to SRP_RSP posted), in ns. */
	uint64_t lat_sum_ns[SRP_STATS_NDIR];
	/* Latency histogram per direction (buckets above). */
	uint64_t lat[SRP_STATS_NDIR][SRP_STATS_LAT_BUCKETS];
};

/* Add every counter of src to dst (plain: main thread's own copies). */
void srp_io_stats_add(struct srp_io_stats *dst, const struct srp_io_stats *src);

/* "read", "write", "other": the direction label of the exports. */
const char *srp_stats_dir_name(unsigned int dir);
/* Sense key k (0..15) in lower case: "illegal_request" (SPC-4 4.5.6). */
const char *srp_stats_sense_key_name(unsigned int k);

/* Upper bound of latency bucket b in microseconds (UINT64_MAX: last). */
uint64_t srp_stats_bucket_le_us(unsigned int b);

/* A device's counters, keyed by scsi_lu_stats_id(). */
struct srp_stats_device {
	uint64_t lu_id; /* scsi_lu_stats_id() of the logical unit */
	struct srp_io_stats io;
};

/*
 * A session (I_T nexus) with live channels; one that logged out lives on
 * in its target's (and devices' and workers') totals.
 */
struct srp_stats_session {
	char target[64]; /* its target's name */
	char initiator[40]; /* initiator port id, 32 hex digits */
	unsigned int channels; /* not yet released */
	/* Commands with no logical unit (unmapped LUN, W-LUN) included. */
	struct srp_io_stats io;
};

struct srp_stats_target {
	char name[64];
	unsigned int sessions; /* I_T nexuses now */
	struct srp_io_stats io;
};

struct srp_stats_worker {
	unsigned int index; /* creation order, from 0 */
	unsigned int channels; /* channels of this worker now */
	struct srp_io_stats io;
	/*
	 * Its CQ's work counters (posts, polls, completion events), since
	 * the worker started; all zero if the fabric does not count them
	 * (doc/statistics.md "Fabric counters").
	 */
	struct fabric_cq_counters fabric;
	/*
	 * Its thread's sleeps and busy polls (doc/statistics.md "Worker
	 * loop"); zero where the worker's loop is not its own (tests).
	 */
	struct loop_counters loop;
};

/*
 * A point-in-time copy for the main thread.  Devices: only logical units
 * that saw a command (the daemon lists its devices and matches lu_id).
 * Targets in creation order, including removed ones still draining.
 */
struct srp_stats_snapshot {
	unsigned int n_devices, n_targets, n_sessions, n_workers;
	struct srp_stats_device *devices;
	struct srp_stats_target *targets;
	struct srp_stats_session *sessions;
	struct srp_stats_worker *workers;
};

/*
 * Fill *out (freed with srp_stats_snapshot_free()).  Main thread: it owns
 * the target, nexus and channel lists and the folded totals.  0 or
 * -ENOMEM.
 */
int srp_engine_stats_snapshot(struct srp_engine *e,
			      struct srp_stats_snapshot **out);
void srp_stats_snapshot_free(struct srp_stats_snapshot *s);

/* Find the device with lu_id in s; NULL if it saw no command. */
const struct srp_stats_device *
srp_stats_find_device(const struct srp_stats_snapshot *s, uint64_t lu_id);

#endif
