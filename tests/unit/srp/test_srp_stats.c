/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * I/O statistics of the SRP engine (src/srp/srp_stats.h) over the
 * loopback fabric with the test initiator: exact command and byte counts
 * per device, target, session and worker; errors by sense key; latency
 * histograms that add up; counters that survive a logout and a target
 * removal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fabric_loop.h"
#include "srp_test_initiator.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srp/srp_stats.h"
#include "srptd/backend.h"
#include "srptd/srp_proto.h"
#include "util.h"

#include "srp_env.h"

#define SK_ILLEGAL_REQUEST 0x05
#define SK_UNIT_ATTENTION 0x06

static int setup(void **state)
{
	struct srp_env *env = calloc(1, sizeof(*env));
	struct srp_engine_params ep;
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;

	assert_non_null(env);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 64;
	srp_env_start(env, &ep, 1024);
	bp.name = "stats";
	bp.size = DEV_SIZE;
	bp.block_size = 512;
	assert_int_equal(
		srptd_backend_open(&env->bdev, "null", NULL, &bp, &used), 0);
	/* Two workers: the two sessions land on different ones. */
	srp_env_export(env, "STATS DISK", true);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct srp_env *env = *state;

	srp_env_stop(env);
	srptd_backend_close(&env->bdev);
	loop_destroy(env->loop);
	free(env);
	return 0;
}

static uint8_t tur(struct srp_env *env, struct srp_ti *ti)
{
	struct srp_ti_cmd c = { 0 };

	srp_env_run_cmd(env, ti, &c); /* CDB of zeros: TEST UNIT READY */
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	return c.status;
}

static struct srp_ti *login(struct srp_env *env, int idx, uint8_t ini)
{
	struct srp_ti_params p;
	struct srp_ti *ti;

	srp_env_ti_params(&p, ini, 4 * MIB);
	ti = srp_env_login(env, idx, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	/*
	 * A new nexus starts with POWER ON OCCURRED on every LUN (SAM-5
	 * 5.14): TEST UNIT READY reports it, counted as a command with no
	 * data and one UNIT ATTENTION.
	 */
	assert_int_equal(tur(env, ti), SAM_STAT_CHECK_CONDITION);
	return ti;
}

/* One READ(10)/WRITE(10) of blocks 512-byte blocks at lba on lun. */
static uint8_t rw(struct srp_env *env, struct srp_ti *ti, bool write,
		  uint32_t lba, uint16_t blocks, uint64_t lun)
{
	struct srp_ti_cmd c = { 0 };

	srp_env_cdb_rw10(c.cdb, write, lba, blocks);
	c.lun = lun;
	c.dir = write ? 1 : 2;
	c.desc = SRP_TI_DIRECT;
	c.len = blocks * 512u;
	srp_env_run_cmd(env, ti, &c);
	return c.status;
}

static struct srp_stats_snapshot *snap(struct srp_env *env)
{
	struct srp_stats_snapshot *s = NULL;

	assert_int_equal(srp_engine_stats_snapshot(env->e, &s), 0);
	assert_non_null(s);
	return s;
}

static const struct srp_stats_session *
session(const struct srp_stats_snapshot *s, uint8_t ini)
{
	char id[40];

	/* The initiator port id as the nexus names it: 32 hex digits. */
	snprintf(id, sizeof(id), "0x000000000000000000000000000000%02x", ini);
	for (unsigned int i = 0; i < s->n_sessions; i++)
		if (!strcmp(s->sessions[i].initiator, id))
			return &s->sessions[i];
	return NULL;
}

static uint64_t hist_sum(const struct srp_io_stats *io, unsigned int dir)
{
	uint64_t n = 0;

	for (unsigned int b = 0; b < SRP_STATS_LAT_BUCKETS; b++)
		n += io->lat[dir][b];
	return n;
}

static uint64_t total_cmds(const struct srp_io_stats *io)
{
	return io->cmds[SRP_STATS_READ] + io->cmds[SRP_STATS_WRITE] +
	       io->cmds[SRP_STATS_OTHER];
}

static void assert_hist_consistent(const struct srp_io_stats *io)
{
	for (unsigned int d = 0; d < SRP_STATS_NDIR; d++)
		assert_int_equal(hist_sum(io, d), io->cmds[d]);
}

static void assert_io_equal(const struct srp_io_stats *a,
			    const struct srp_io_stats *b)
{
	assert_memory_equal(a, b, sizeof(*a));
}

/*
 * Initiator 1: 3 READs of 8 blocks and 2 WRITEs of 16; initiator 2: one
 * READ of 1 block.  Each count is exact at every level.
 */
static void run_io(struct srp_env *env)
{
	struct srp_ti *a = login(env, 0, 1), *b = login(env, 1, 2);

	for (int i = 0; i < 3; i++)
		assert_int_equal(rw(env, a, false, 8 * i, 8, 0), SAM_STAT_GOOD);
	for (int i = 0; i < 2; i++)
		assert_int_equal(rw(env, a, true, 100 + 16 * i, 16, 0),
				 SAM_STAT_GOOD);
	assert_int_equal(rw(env, b, false, 7, 1, 0), SAM_STAT_GOOD);
}

static void test_counts(void **state)
{
	struct srp_env *env = *state;
	const struct srp_stats_session *sa, *sb;
	const struct srp_stats_device *dev;
	struct srp_stats_snapshot *s;
	struct srp_io_stats wsum = { 0 };

	run_io(env);
	s = snap(env);
	dev = srp_stats_find_device(s, scsi_lu_stats_id(env->lu));
	assert_non_null(dev);
	assert_int_equal(dev->io.cmds[SRP_STATS_READ], 4);
	assert_int_equal(dev->io.cmds[SRP_STATS_WRITE], 2);
	assert_int_equal(dev->io.cmds[SRP_STATS_OTHER], 2); /* the TURs */
	assert_int_equal(dev->io.sense_key[SK_UNIT_ATTENTION], 2);
	assert_int_equal(dev->io.bytes_read, 3 * 4096 + 512);
	assert_int_equal(dev->io.bytes_written, 2 * 8192);
	assert_hist_consistent(&dev->io);

	assert_int_equal(s->n_sessions, 2);
	sa = session(s, 1);
	sb = session(s, 2);
	assert_non_null(sa);
	assert_non_null(sb);
	assert_string_equal(sa->target, "t1");
	assert_int_equal(sa->channels, 1);
	assert_int_equal(sa->io.cmds[SRP_STATS_READ], 3);
	assert_int_equal(sa->io.cmds[SRP_STATS_WRITE], 2);
	assert_int_equal(sa->io.cmds[SRP_STATS_OTHER], 1);
	assert_int_equal(sa->io.bytes_read, 3 * 4096);
	assert_int_equal(sa->io.bytes_written, 2 * 8192);
	assert_int_equal(sb->io.cmds[SRP_STATS_READ], 1);
	assert_int_equal(sb->io.cmds[SRP_STATS_WRITE], 0);
	assert_int_equal(sb->io.bytes_read, 512);
	assert_hist_consistent(&sa->io);
	assert_true(sa->io.lat_sum_ns[SRP_STATS_READ] > 0);

	assert_int_equal(s->n_targets, 1);
	assert_string_equal(s->targets[0].name, "t1");
	assert_int_equal(s->targets[0].sessions, 2);
	assert_io_equal(&s->targets[0].io, &dev->io);

	/* Round robin: one session per worker, in creation order. */
	assert_int_equal(s->n_workers, 2);
	assert_int_equal(s->workers[0].index, 0);
	assert_int_equal(s->workers[1].index, 1);
	for (unsigned int i = 0; i < 2; i++) {
		const struct srp_io_stats *w = &s->workers[i].io;

		assert_int_equal(s->workers[i].channels, 1);
		assert_true(!memcmp(w, &sa->io, sizeof(*w)) ||
			    !memcmp(w, &sb->io, sizeof(*w)));
		srp_io_stats_add(&wsum, w);
	}
	assert_io_equal(&wsum, &dev->io);
	srp_stats_snapshot_free(s);
}

static void test_errors_by_sense_key(void **state)
{
	struct srp_env *env = *state;
	const uint32_t nblocks = DEV_SIZE / 512;
	const struct srp_stats_session *sa;
	const struct srp_stats_device *dev;
	struct srp_stats_snapshot *s;
	struct srp_ti *a = login(env, 0, 1);
	struct srp_ti_cmd tm = { 0 };

	/* LBA out of range: ILLEGAL REQUEST on the device (SBC-3 4.5). */
	assert_int_equal(rw(env, a, false, nblocks - 1, 2, 0),
			 SAM_STAT_CHECK_CONDITION);
	/* An unmapped LUN: ILLEGAL REQUEST in the session, no device. */
	assert_int_equal(rw(env, a, false, 0, 1, 5), SAM_STAT_CHECK_CONDITION);
	assert_int_equal(rw(env, a, true, 0, 1, 0), SAM_STAT_GOOD);
	assert_int_equal(srp_ti_tmf(a, &tm, SRP_TSK_ABORT_TASK, 0, 0x4242), 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));

	s = snap(env);
	dev = srp_stats_find_device(s, scsi_lu_stats_id(env->lu));
	assert_non_null(dev);
	assert_int_equal(dev->io.sense_key[SK_ILLEGAL_REQUEST], 1);
	/* Rejected at parse: no direction (srp_stats.h), like the TUR. */
	assert_int_equal(dev->io.cmds[SRP_STATS_READ], 0);
	assert_int_equal(dev->io.cmds[SRP_STATS_OTHER], 2);
	assert_int_equal(dev->io.cmds[SRP_STATS_WRITE], 1);
	assert_int_equal(dev->io.bytes_read, 0);
	assert_int_equal(dev->io.bytes_written, 512);
	sa = session(s, 1);
	assert_non_null(sa);
	assert_int_equal(sa->io.sense_key[SK_ILLEGAL_REQUEST], 2);
	assert_int_equal(sa->io.sense_key[SK_UNIT_ATTENTION], 1);
	assert_int_equal(total_cmds(&sa->io), 4);
	assert_int_equal(sa->io.tmfs, 1);
	assert_int_equal(sa->io.status_errors, 0);
	for (unsigned int k = 0; k < 16; k++)
		if (k != SK_ILLEGAL_REQUEST && k != SK_UNIT_ATTENTION)
			assert_int_equal(sa->io.sense_key[k], 0);
	assert_hist_consistent(&sa->io);
	assert_hist_consistent(&dev->io);
	srp_stats_snapshot_free(s);
}

static void test_survive_logout(void **state)
{
	struct srp_env *env = *state;
	struct srp_stats_snapshot *before, *after, *gone;
	const struct srp_stats_device *d0, *d1;

	run_io(env);
	before = snap(env);
	srp_ti_disconnect(env->ti[0]);
	assert_true(srp_env_channels_le(env, 1));
	after = snap(env);
	assert_int_equal(after->n_sessions, 1);
	assert_non_null(session(after, 2));
	assert_null(session(after, 1));
	assert_int_equal(after->targets[0].sessions, 1);
	/* Nothing ran in between: every total is as it was. */
	assert_io_equal(&after->targets[0].io, &before->targets[0].io);
	d0 = srp_stats_find_device(before, scsi_lu_stats_id(env->lu));
	d1 = srp_stats_find_device(after, scsi_lu_stats_id(env->lu));
	assert_non_null(d1);
	assert_io_equal(&d1->io, &d0->io);
	for (unsigned int i = 0; i < 2; i++)
		assert_io_equal(&after->workers[i].io, &before->workers[i].io);

	/* The target goes: devices and workers keep counting it. */
	srp_target_remove(env->t);
	assert_true(srp_env_channels_le(env, 0));
	gone = snap(env);
	assert_int_equal(gone->n_targets, 0);
	assert_int_equal(gone->n_sessions, 0);
	d1 = srp_stats_find_device(gone, scsi_lu_stats_id(env->lu));
	assert_non_null(d1);
	assert_io_equal(&d1->io, &d0->io);
	for (unsigned int i = 0; i < 2; i++)
		assert_io_equal(&gone->workers[i].io, &before->workers[i].io);
	srp_stats_snapshot_free(before);
	srp_stats_snapshot_free(after);
	srp_stats_snapshot_free(gone);
}

/*
 * The fabric counters of a worker (doc/statistics.md "Fabric counters"):
 * a READ's data-in goes out as RDMA WRITEs chained in front of the SEND
 * of its response, one post of two WRs (one WRITE: a direct descriptor),
 * one receive reposted, two completions (the IU received, the SEND).
 */
static void test_fabric_counters(void **state)
{
	struct srp_env *env = *state;
	struct srp_stats_snapshot *before, *after;
	struct srp_ti *a = login(env, 0, 1);
	const struct fabric_cq_counters *b = NULL, *f = NULL;

	before = snap(env);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rw(env, a, false, 8 * i, 8, 0), SAM_STAT_GOOD);
	after = snap(env);
	for (unsigned int i = 0; i < after->n_workers; i++)
		if (after->workers[i].channels == 1) {
			f = &after->workers[i].fabric;
			b = &before->workers[i].fabric;
		}
	assert_non_null(f);
	assert_int_equal(f->send_posts - b->send_posts, 4);
	assert_int_equal(f->send_wrs - b->send_wrs, 8);
	assert_int_equal(f->recv_posts - b->recv_posts, 4);
	assert_int_equal(f->recv_wrs - b->recv_wrs, 4);
	assert_int_equal(f->completions - b->completions, 8);
	assert_true(f->polls > b->polls);
	assert_true(f->events > b->events);
	srp_stats_snapshot_free(before);
	srp_stats_snapshot_free(after);
}

/*
 * The latency bucket before it was a division again (commit 61bac07):
 * the edges 1000 * 2^k by top bit of ns and one compare.  Kept here as
 * the reference srp_stats_bucket() must equal for every ns.
 */
#define REF_CAP (SRP_STATS_LAT_BUCKETS - 1)
#define REF_K(H) ((H) < 9 ? 0 : (H)-9)
#define REF_EDGE(H)                                               \
	[H] = { (H) < 9		    ? UINT64_MAX :                \
		REF_K(H) >= REF_CAP ? 0 :                         \
				      UINT64_C(1000) << REF_K(H), \
		REF_K(H) >= REF_CAP ? REF_CAP - 1 : REF_K(H) }
#define REF_EDGE8(H)                                                    \
	REF_EDGE(H), REF_EDGE(H + 1), REF_EDGE(H + 2), REF_EDGE(H + 3), \
		REF_EDGE(H + 4), REF_EDGE(H + 5), REF_EDGE(H + 6),      \
		REF_EDGE(H + 7)

static const struct {
	uint64_t thr;
	uint64_t base;
} ref_edge[64] = {
	REF_EDGE8(0),  REF_EDGE8(8),  REF_EDGE8(16), REF_EDGE8(24),
	REF_EDGE8(32), REF_EDGE8(40), REF_EDGE8(48), REF_EDGE8(56),
};

static unsigned int ref_bucket(uint64_t ns)
{
	unsigned int h = 63 - __builtin_clzll(ns | 1);

	return ref_edge[h].base + (ns >= ref_edge[h].thr);
}

static void check_bucket(uint64_t ns)
{
	if (srp_stats_bucket(ns) != ref_bucket(ns))
		fail_msg("ns %llu: bucket %u, reference %u",
			 (unsigned long long)ns, srp_stats_bucket(ns),
			 ref_bucket(ns));
}

/*
 * srp_stats_bucket() against the reference: every ns up to 1e7, every ns
 * within 64 of each edge 1000 * 2^k and of each power of two, the top of
 * the range and a pseudo-random sweep.  Plus the buckets' meaning
 * (srp_stats.h): bucket b holds 2^(b-1) <= us < 2^b.
 */
static void test_bucket(void **state)
{
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);

	(void)state;
	for (uint64_t ns = 0; ns < 10000000; ns++)
		check_bucket(ns);
	for (unsigned int k = 0; k < 64; k++)
		for (uint64_t d = 0; d <= 128; d++) {
			uint64_t p = UINT64_C(1) << k;

			check_bucket(p + d - 64);
			if (k < 54)
				check_bucket((UINT64_C(1000) << k) + d - 64);
		}
	for (uint64_t d = 0; d < 1000; d++)
		check_bucket(UINT64_MAX - d);
	for (int i = 0; i < 10000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_bucket(x >> (i % 64));
	}
	assert_int_equal(srp_stats_bucket(999), 0);
	assert_int_equal(srp_stats_bucket(1000), 1);
	assert_int_equal(srp_stats_bucket(1999), 1);
	assert_int_equal(srp_stats_bucket(2000), 2);
	assert_int_equal(srp_stats_bucket((UINT64_C(1000) << 22) - 1),
			 SRP_STATS_LAT_BUCKETS - 2);
	assert_int_equal(srp_stats_bucket(UINT64_C(1000) << 22),
			 SRP_STATS_LAT_BUCKETS - 1);
	assert_int_equal(srp_stats_bucket(UINT64_MAX),
			 SRP_STATS_LAT_BUCKETS - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_by_sense_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_survive_logout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fabric_counters, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
