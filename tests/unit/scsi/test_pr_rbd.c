/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Persistent reservations shared through an RBD image (doc/ceph.md
 * "Reservations"), against the throw-away cluster of
 * tests/lib/ceph-cluster.sh.  Two "hosts" in one process: each opens the
 * image with the rbd engine on its own librados connection, keeps the
 * reservation object (src/backend/bs_rbd_pr.c) through the rbd store
 * (src/scsi/pr_rbd.c), and serves its own I_T nexuses (other initiator
 * and target port identifiers) from its own worker.  A host learns of
 * the other's changes as the daemon does: its object's event fd becomes
 * readable (the watch), then bs_rbd_pr_poll() and scsi_pr_refresh().
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <rbd/librbd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/bs_rbd_pr.h"
#include "rados_fixture.h"
#include "scsi_fixture.h"
#include "util.h"

#define KEY_A 0xaaaa0001ull
#define KEY_B 0xbbbb0002ull
#define NEXUSES 6 /* per host, for the concurrent test */
#define WAIT_MS 15000

static struct rados_fx g_rados;
static unsigned int g_seq;

struct host {
	struct srptd_bdev bdev;
	struct bs_rbd_pr *obj;
	struct scsi_pr_shared shared;
	struct scsi_lu *lu;
	struct scsi_worker *w;
	struct scsi_itn *itn[NEXUSES];
};

struct tp {
	char image[32], spec[64], oid[96];
	struct host h[2];
};

static void host_open(struct tp *t, unsigned int i)
{
	struct host *h = &t->h[i];
	const struct srptd_backend_ops *used;
	struct srptd_bdev_params bp = {
		.name = i ? "hostB" : "hostA",
		.path = t->spec,
		.write_cache = true,
		.ceph_timeout = 5,
	};
	struct scsi_lu_params lp = {
		.vendor = "SRPTD",
		.product = "rbd shared",
		.revision = "0.1",
		.naa = "6001405aaaaaaaaa0000000000000002",
		.max_xfer_bytes = 1024 * 1024,
		.pr_mode = SCSI_PR_SHARED,
		.pr_shared = &h->shared,
	};
	struct scsi_lun_entry e = { .lun = 0 };

	memset(h, 0, sizeof(*h));
	assert_int_equal(srptd_backend_open(&h->bdev, "rbd", NULL, &bp, &used),
			 0);
	assert_int_equal(bs_rbd_pr_open(&h->bdev, &h->obj), 0);
	assert_true(bs_rbd_pr_watching(h->obj));
	snprintf(t->oid, sizeof(t->oid), "%s", bs_rbd_pr_name(h->obj));
	h->shared = (struct scsi_pr_shared){ .ops = &scsi_pr_rbd_ops,
					     .ctx = h->obj };
	assert_int_equal(scsi_lu_create(&h->bdev, &lp, &h->lu), 0);
	assert_int_equal(scsi_worker_create(64, &h->w), 0);
	e.lu = h->lu;
	for (unsigned int n = 0; n < NEXUSES; n++) {
		/* Initiators differ per nexus; target ports per host. */
		uint8_t iid[16] = { 0x10 + (uint8_t)i, (uint8_t)n, 0x11 };
		uint8_t tid[16] = { 0xa0 + (uint8_t)i, 0x22, 0x33 };
		struct sf_cmd c;

		assert_int_equal(scsi_itn_create(iid, tid, (uint16_t)(i + 1),
						 &e, 1, &h->itn[n]),
				 0);
		assert_int_equal(scsi_worker_attach_itn(h->w, h->itn[n]), 0);
		/* The power-on unit attention. */
		sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
		assert_int_equal(sf_run_w(h->w, h->itn[n], 0, &c),
				 SAM_STAT_CHECK_CONDITION);
	}
}

static void host_close(struct host *h)
{
	for (unsigned int n = 0; n < NEXUSES; n++)
		scsi_itn_destroy(h->itn[n]);
	scsi_worker_destroy(h->w);
	scsi_lu_destroy(h->lu);
	bs_rbd_pr_close(h->obj);
	srptd_backend_close(&h->bdev);
	memset(h, 0, sizeof(*h));
}

static int setup(void **state)
{
	struct tp *t = calloc(1, sizeof(*t));
	int order = 22;

	assert_non_null(t);
	snprintf(t->image, sizeof(t->image), "pr%u", g_seq++);
	snprintf(t->spec, sizeof(t->spec), "rbd/%s", t->image);
	assert_int_equal(rbd_create(g_rados.ioctx, t->image, 4 << 20, &order),
			 0);
	host_open(t, 0);
	host_open(t, 1);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tp *t = *state;

	host_close(&t->h[0]);
	host_close(&t->h[1]);
	rados_remove(g_rados.ioctx, t->oid);
	assert_int_equal(rbd_remove(g_rados.ioctx, t->image), 0);
	free(t);
	return 0;
}

static uint8_t prout_cmd(struct host *h, unsigned int n, uint8_t sa,
			 uint8_t type, uint64_t key, uint64_t sa_key,
			 struct sf_cmd *c)
{
	sf_cdb_prout(c, sa, type, key, sa_key, 0, 24);
	sf_run_w(h->w, h->itn[n], 0, c);
	return c->status;
}

static void prout_ok(struct host *h, unsigned int n, uint8_t sa, uint8_t type,
		     uint64_t key, uint64_t sa_key)
{
	struct sf_cmd c;

	assert_int_equal(prout_cmd(h, n, sa, type, key, sa_key, &c),
			 SAM_STAT_GOOD);
}

/* PR IN READ KEYS: status; the keys and generation when GOOD. */
static uint8_t read_keys(struct host *h, uint64_t *keys, unsigned int *n,
			 uint32_t *gen, struct sf_cmd *c)
{
	uint8_t buf[8 + 8 * SCSI_PR_MAX_REGS];

	sf_cdb_prin(c, SCSI_PRIN_READ_KEYS, buf, sizeof(buf));
	sf_run_w(h->w, h->itn[0], 0, c);
	c->in = NULL;
	if (c->status != SAM_STAT_GOOD)
		return c->status;
	*n = get_be32(buf + 4) / 8;
	for (unsigned int i = 0; i < *n; i++)
		keys[i] = get_be64(buf + 8 + 8 * i);
	*gen = get_be32(buf);
	return c->status;
}

/* The key of the reservation holder through host h, 0 if none. */
static uint64_t holder_key(struct host *h)
{
	uint8_t buf[24];
	struct sf_cmd c;

	sf_cdb_prin(&c, SCSI_PRIN_READ_RESERVATION, buf, sizeof(buf));
	assert_int_equal(sf_run_w(h->w, h->itn[0], 0, &c), SAM_STAT_GOOD);
	return get_be32(buf + 4) ? get_be64(buf + 8) : 0;
}

/*
 * What the daemon does when the object's event fd is readable: wait for
 * it (the other host's write notified us), restore the watch if needed,
 * read the object into the LU's copy.
 */
static void wait_refresh(struct host *h)
{
	struct pollfd p = { .fd = bs_rbd_pr_event_fd(h->obj),
			    .events = POLLIN };

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	assert_int_equal(bs_rbd_pr_poll(h->obj), 1);
	assert_int_equal(scsi_pr_refresh(h->lu), 0);
}

/* REGISTER + RESERVE through A: B's unregistered nexus conflicts. */
static void test_reserve_holds_through_other_host(void **state)
{
	struct tp *t = *state;
	struct host *a = &t->h[0], *b = &t->h[1];
	uint64_t before = bs_rbd_pr_notifies(b->obj);

	prout_ok(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	prout_ok(a, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, KEY_A, 0);
	/* B's copy changes only when it refreshes. */
	assert_int_equal(sf_write_status(b->w, b->itn[0], 0, 5), SAM_STAT_GOOD);
	wait_refresh(b);
	assert_true(bs_rbd_pr_notifies(b->obj) > before);
	assert_int_equal(sf_write_status(b->w, b->itn[0], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(a->w, a->itn[0], 0, 5), SAM_STAT_GOOD);
	assert_true(holder_key(b) == KEY_A);
	/* A's own writes do not wake A. */
	assert_int_equal(bs_rbd_pr_notifies(a->obj), 0);
}

/* PREEMPT through B: A's holder loses it and A's nexus gets the UA. */
static void test_preempt_through_other_host(void **state)
{
	struct tp *t = *state;
	struct host *a = &t->h[0], *b = &t->h[1];
	struct sf_cmd c;

	prout_ok(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	prout_ok(a, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EA, KEY_A, 0);
	prout_ok(b, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_B);
	prout_ok(b, 0, SCSI_PROUT_PREEMPT, SCSI_PR_TYPE_WE, KEY_B, KEY_A);
	assert_true(holder_key(b) == KEY_B);
	wait_refresh(a);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run_w(a->w, a->itn[0], 0, &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_REGISTRATIONS_PREEMPTED);
	assert_int_equal(sf_write_status(a->w, a->itn[0], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(b->w, b->itn[0], 0, 5), SAM_STAT_GOOD);
	assert_true(holder_key(a) == KEY_B);
}

struct reg_job {
	struct host *h;
	uint64_t base;
	unsigned int bad;
};

static void *reg_thread(void *arg)
{
	struct reg_job *j = arg;
	struct sf_cmd c;

	for (unsigned int n = 0; n < NEXUSES; n++)
		if (prout_cmd(j->h, n, SCSI_PROUT_REGISTER, 0, 0, j->base + n,
			      &c) != SAM_STAT_GOOD)
			j->bad++;
	return NULL;
}

/* Both hosts register all their nexuses at once: none is lost. */
static void test_concurrent_registrations(void **state)
{
	struct tp *t = *state;
	struct reg_job j[2] = { { .h = &t->h[0], .base = KEY_A << 8 },
				{ .h = &t->h[1], .base = KEY_B << 8 } };
	uint64_t keys[SCSI_PR_MAX_REGS];
	pthread_t th[2];
	unsigned int n, seen = 0;
	struct sf_cmd c;
	uint32_t gen;

	for (int i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, reg_thread, &j[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(j[0].bad + j[1].bad, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(read_keys(&t->h[i], keys, &n, &gen, &c),
				 SAM_STAT_GOOD);
		assert_int_equal(n, 2 * NEXUSES);
		assert_int_equal(gen, 2 * NEXUSES);
	}
	for (unsigned int k = 0; k < n; k++)
		for (int i = 0; i < 2; i++)
			if (keys[k] >= j[i].base &&
			    keys[k] < j[i].base + NEXUSES)
				seen |= 1u
					<< (keys[k] - j[i].base + i * NEXUSES);
	assert_int_equal(seen, (1u << 2 * NEXUSES) - 1);
}

/* Close both hosts, open them again: the reservation is still there. */
static void test_survives_both_hosts(void **state)
{
	struct tp *t = *state;
	uint64_t keys[4];
	unsigned int n;
	struct sf_cmd c;
	uint32_t gen;

	prout_ok(&t->h[0], 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	prout_ok(&t->h[0], 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EA, KEY_A, 0);
	host_close(&t->h[0]);
	host_close(&t->h[1]);
	host_open(t, 1);
	host_open(t, 0);
	/* Read at open: no refresh needed. */
	assert_int_equal(sf_write_status(t->h[1].w, t->h[1].itn[0], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(t->h[0].w, t->h[0].itn[1], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(t->h[0].w, t->h[0].itn[0], 0, 5),
			 SAM_STAT_GOOD);
	assert_int_equal(read_keys(&t->h[1], keys, &n, &gen, &c),
			 SAM_STAT_GOOD);
	assert_int_equal(n, 1);
	assert_true(keys[0] == KEY_A);
	assert_int_equal(gen, 1); /* RESERVE leaves PRgeneration alone */
	assert_true(holder_key(&t->h[1]) == KEY_A);
}

static void assert_store_failure(struct host *h)
{
	uint64_t keys[4];
	unsigned int n;
	struct sf_cmd c;
	uint32_t gen;

	assert_int_equal(read_keys(h, keys, &n, &gen, &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);
	assert_int_equal(prout_cmd(h, 1, SCSI_PROUT_REGISTER, 0, 0, KEY_B, &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);
	assert_int_equal(scsi_pr_refresh(h->lu), -EBADMSG);
	/* The data path goes on with the copy it had. */
	assert_int_equal(sf_write_status(h->w, h->itn[0], 0, 5), SAM_STAT_GOOD);
}

/*
 * Whatever is in the object, the hosts do not crash: garbage, a format
 * version from the future, an unreadable version attribute all fail PR
 * commands with HARDWARE ERROR / INTERNAL TARGET FAILURE; removing the
 * object repairs it (empty state), and the watch is restored.
 */
static void test_corrupt_object(void **state)
{
	struct tp *t = *state;
	struct host *a = &t->h[0], *b = &t->h[1];
	char junk[100];
	uint8_t enc[SCSI_PR_ENCODED_MAX];
	struct scsi_pr_state st;
	struct pollfd p;
	uint64_t keys[4];
	unsigned int n;
	struct sf_cmd c;
	uint32_t gen;
	size_t len;

	prout_ok(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A);
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(
		rados_write_full(g_rados.ioctx, t->oid, junk, sizeof(junk)), 0);
	assert_store_failure(a);
	assert_store_failure(b);
	/* A valid state in a format version this srptd does not know. */
	memset(&st, 0, sizeof(st));
	st.holder = -1;
	assert_int_equal(scsi_pr_encode(&st, enc, sizeof(enc), &len), 0);
	enc[4] = 9;
	assert_int_equal(
		rados_write_full(g_rados.ioctx, t->oid, (char *)enc, len), 0);
	assert_store_failure(b);
	/* A valid state, but a version attribute that is no number. */
	enc[4] = SCSI_PR_ENCODED_VERSION;
	assert_int_equal(
		rados_write_full(g_rados.ioctx, t->oid, (char *)enc, len), 0);
	assert_int_equal(rados_setxattr(g_rados.ioctx, t->oid, "srptd.version",
					"x1", 2),
			 0);
	assert_store_failure(a);
	/* Removed: empty; the watches are lost and restored. */
	assert_int_equal(rados_remove(g_rados.ioctx, t->oid), 0);
	assert_int_equal(read_keys(b, keys, &n, &gen, &c), SAM_STAT_GOOD);
	assert_int_equal(n, 0);
	prout_ok(b, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_B);
	for (int i = 0; i < 2; i++) {
		p = (struct pollfd){ .fd = bs_rbd_pr_event_fd(t->h[i].obj),
				     .events = POLLIN };
		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		assert_int_equal(bs_rbd_pr_poll(t->h[i].obj), 1);
		assert_int_equal(scsi_pr_refresh(t->h[i].lu), 0);
		assert_true(bs_rbd_pr_watching(t->h[i].obj));
	}
	/* A's registration went with the object: A's nexus is told. */
	assert_int_equal(read_keys(a, keys, &n, &gen, &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_REGISTRATIONS_PREEMPTED);
	assert_int_equal(read_keys(a, keys, &n, &gen, &c), SAM_STAT_GOOD);
	assert_int_equal(n, 1);
	assert_true(keys[0] == KEY_B);
}

/* A watcher that never acknowledges: it only counts what it got. */
static void mute_notify_cb(void *arg, uint64_t notify_id, uint64_t handle,
			   uint64_t notifier, void *data, size_t len)
{
	(void)notify_id;
	(void)handle;
	(void)notifier;
	(void)data;
	(void)len;
	atomic_fetch_add((atomic_uint *)arg, 1);
}

static void mute_error_cb(void *arg, uint64_t cookie, int err)
{
	(void)arg;
	(void)cookie;
	(void)err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A third client watches the object and never acknowledges (a host that
 * died, until the OSD expires its watch): PR OUTs through A do not wait
 * for it, yet it and B get every notification.  The bound: a notify that
 * waits for that watcher returns after its whole timeout,
 * BS_RBD_PR_NOTIFY_MS (1 s), so MUTE_PROUTS commands that wait take at
 * least MUTE_PROUTS seconds; they must take less than half of that
 * (0.5 s each for a read and a compare-and-swap write on the OSD, far
 * more than they take even on a loaded host).
 */
#define MUTE_PROUTS 5
static void test_mute_watcher(void **state)
{
	struct tp *t = *state;
	struct host *a = &t->h[0], *b = &t->h[1];
	uint64_t b_before = bs_rbd_pr_notifies(b->obj), cookie;
	atomic_uint got = 0;
	double start, took;

	assert_int_equal(rados_watch2(g_rados.ioctx, t->oid, &cookie,
				      mute_notify_cb, mute_error_cb, &got),
			 0);
	start = now_s();
	for (unsigned int i = 0; i < MUTE_PROUTS; i++)
		prout_ok(a, i, SCSI_PROUT_REGISTER, 0, 0, KEY_A + i);
	took = now_s() - start;
	print_message("%u PR OUTs with a mute watcher: %.3f s\n", MUTE_PROUTS,
		      took);
	assert_true(took < MUTE_PROUTS * BS_RBD_PR_NOTIFY_MS / 1000.0 / 2);
	/* Every notification was sent: the mute watcher gets them all. */
	for (int i = 0; i < WAIT_MS / 10 && atomic_load(&got) < MUTE_PROUTS;
	     i++)
		poll(NULL, 0, 10);
	assert_int_equal(atomic_load(&got), MUTE_PROUTS);
	while (bs_rbd_pr_notifies(b->obj) - b_before < MUTE_PROUTS)
		wait_refresh(b);
	assert_int_equal(rados_unwatch2(g_rados.ioctx, cookie), 0);
	rados_watch_flush(g_rados.cluster);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_reserve_holds_through_other_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preempt_through_other_host,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_registrations,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_both_hosts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_object, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mute_watcher, setup,
						teardown),
	};
	int ret;

	if (rados_fx_connect(&g_rados, "rbd")) {
		fprintf(stderr,
			"no Ceph cluster (run under ceph-cluster.sh)\n");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rados_fx_disconnect(&g_rados);
	return ret;
}
