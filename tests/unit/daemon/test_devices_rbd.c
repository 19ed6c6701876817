/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's wiring of shared devices (src/devices.c, doc/ceph.md
 * "Reservations"), on the throw-away cluster of tests/lib/ceph-cluster.sh:
 * two device sets, each with its own main loop, open the same
 * configuration as two hosts would.  A shared rbd device keeps its
 * reservations in the image's object and the other host's loop refreshes
 * its LU when it changes; a shared device of another engine still
 * refuses reservation commands.  And the growth watch as the daemon wires
 * it: another client grows the image, the engine's watch fd wakes the
 * set's loop, devices.c re-reads the size and tells set->resized, which
 * hands it to a real SRP engine as daemon.c does; every initiator then
 * gets CAPACITY DATA HAS CHANGED and the new capacity.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rbd/librbd.h>

#include "devices.h"
#include "loop.h"
#include "rados_fixture.h"
#include "scsi/scsi_fixture.h"
#include "srp/srp_env.h"
#include "util.h"

#define KEY_A 0xaaaa0001ull

static const char conf[] =
	"version = 1;\n"
	"devices = (\n"
	"  { name = \"img\"; engine = \"rbd\"; rbd_image = \"rbd/base\";\n"
	"    shared = true; ceph_timeout = 5; },\n"
	"  { name = \"scratch\"; engine = \"null\"; size = \"1M\";\n"
	"    shared = true; }\n"
	");\n";

struct host {
	struct loop *loop;
	struct device_set set;
	struct scsi_worker *w;
	struct scsi_itn *itn[2]; /* on img, on scratch */
};

static void host_open(struct host *h, const struct config *cfg, uint8_t tag)
{
	unsigned int opened, closed, failed;

	memset(h, 0, sizeof(*h));
	assert_int_equal(loop_create(&h->loop), 0);
	h->set.loop = h->loop;
	devices_sync(&h->set, cfg, NULL, &opened, &closed, &failed);
	assert_int_equal(opened, 2);
	assert_int_equal(failed, 0);
	assert_int_equal(scsi_worker_create(64, &h->w), 0);
	for (unsigned int i = 0; i < 2; i++) {
		struct device *d = devices_find(&h->set, i ? "scratch" : "img");
		struct scsi_lun_entry e = { .lun = 0, .lu = d->lu };
		uint8_t iid[16] = { tag, 0x11 }, tid[16] = { tag, 0x22 };
		struct sf_cmd c;

		assert_non_null(d);
		assert_int_equal(d->state, DEVICE_ONLINE);
		assert_int_equal(
			scsi_itn_create(iid, tid, tag, &e, 1, &h->itn[i]), 0);
		assert_int_equal(scsi_worker_attach_itn(h->w, h->itn[i]), 0);
		sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
		sf_run_w(h->w, h->itn[i], 0, &c); /* the power-on UA */
	}
}

static void host_close(struct host *h)
{
	for (unsigned int i = 0; i < 2; i++)
		scsi_itn_destroy(h->itn[i]);
	scsi_worker_destroy(h->w);
	devices_close_all(&h->set);
	loop_destroy(h->loop);
}

static uint8_t prout(struct host *h, unsigned int i, uint8_t sa, uint8_t type,
		     uint64_t key, uint64_t sa_key, struct sf_cmd *c)
{
	sf_cdb_prout(c, sa, type, key, sa_key, 0, 24);
	sf_run_w(h->w, h->itn[i], 0, c);
	return c->status;
}

static void test_shared_rbd_device(void **state)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = NULL;
	struct host a, b;
	struct sf_cmd c;
	int rounds = 0, events = 0;

	(void)state;
	assert_non_null(errs);
	assert_int_equal(config_load_string("devices.conf", conf, strlen(conf),
					    "/nonexistent", &cfg, errs),
			 0);
	host_open(&a, cfg, 0xa1);
	host_open(&b, cfg, 0xb2);
	assert_non_null(devices_find(&a.set, "img")->pr_obj);
	assert_null(devices_find(&a.set, "scratch")->pr_obj);

	/* img: a reservation through A holds through B once B's loop
	 * has handled the object's notification. */
	assert_int_equal(prout(&a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A, &c),
			 SAM_STAT_GOOD);
	assert_int_equal(prout(&a, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EA,
			       KEY_A, 0, &c),
			 SAM_STAT_GOOD);
	while (sf_write_status(b.w, b.itn[0], 0, 5) == SAM_STAT_GOOD) {
		int n = loop_run_once(b.loop, 15000);

		assert_true(n >= 0);
		events += n;
		assert_true(++rounds < 10);
	}
	assert_true(events > 0);
	assert_int_equal(sf_write_status(b.w, b.itn[0], 0, 5),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(a.w, a.itn[0], 0, 5), SAM_STAT_GOOD);

	/* scratch (engine null): still refused on either host. */
	assert_int_equal(prout(&b, 1, SCSI_PROUT_REGISTER, 0, 0, KEY_A, &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);

	/* Clean up the image's reservations for the next run. */
	assert_int_equal(prout(&a, 0, SCSI_PROUT_CLEAR, 0, KEY_A, 0, &c),
			 SAM_STAT_GOOD);
	host_close(&a);
	host_close(&b);
	config_free(cfg);
	free(errs);
}

/* The image the growth test creates, and what set->resized saw. */
#define GROW_IMAGE "grow"
#define GROW_OLD (8ULL << 20)
#define GROW_NEW (24ULL << 20)

static const char grow_conf[] =
	"version = 1;\n"
	"devices = ( { name = \"grow\"; engine = \"rbd\";\n"
	"              rbd_image = \"rbd/" GROW_IMAGE
	"\"; ceph_timeout = 5; } );\n";

struct grow {
	struct srp_env env;
	struct device_set set;
	unsigned int resized; /* set->resized calls */
	uint64_t nblocks; /* the last one's */
};

/* set->resized as the daemon sets it (daemon.c daemon_on_lu_resized). */
static void grow_resized(void *ctx, struct scsi_lu *lu, uint64_t nblocks)
{
	struct grow *g = ctx;

	g->resized++;
	g->nblocks = nblocks;
	assert_int_equal(srp_engine_resize_lu(g->env.e, lu, nblocks), 0);
}

static bool grow_seen(void *arg)
{
	return ((struct grow *)arg)->resized > 0;
}

static void test_growth_watch(void **state)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	unsigned int opened, closed, failed;
	struct grow *g = calloc(1, sizeof(*g));
	struct srp_engine_params ep;
	struct config *cfg = NULL;
	struct rados_fx fx;
	struct srp_ti_params tp;
	struct srp_ti *ti[2];
	struct srp_ti_cmd c;
	struct device *d;
	rbd_image_t img;
	int order = 0;

	(void)state;
	assert_non_null(errs);
	assert_non_null(g);
	assert_int_equal(rados_fx_connect(&fx, "rbd"), 0);
	assert_int_equal(rbd_create(fx.ioctx, GROW_IMAGE, GROW_OLD, &order), 0);
	assert_int_equal(config_load_string("grow.conf", grow_conf,
					    strlen(grow_conf), "/nonexistent",
					    &cfg, errs),
			 0);

	/* The daemon's wiring: one loop for the set and the SRP side. */
	srp_engine_params_default(&ep);
	srp_env_start(&g->env, &ep, 256);
	g->set.loop = g->env.loop;
	g->set.resized = grow_resized;
	g->set.resized_ctx = g;
	devices_sync(&g->set, cfg, NULL, &opened, &closed, &failed);
	assert_int_equal(opened, 1);
	d = devices_find(&g->set, "grow");
	assert_non_null(d);
	assert_int_equal(d->state, DEVICE_ONLINE);
	assert_true(d->watch_fd >= 0); /* on the loop: sized by the image */
	srp_env_export_lu(&g->env, d->lu, false);
	for (uint8_t i = 0; i < 2; i++) {
		srp_env_ti_params(&tp, (uint8_t)(i + 1), 1 << 20);
		ti[i] = srp_env_login(&g->env, i, &tp);
		assert_int_equal(srp_ti_state(ti[i]), SRP_TI_LOGGED_IN);
		srp_env_clear_ua(&g->env, ti[i]);
	}

	/* Another client grows the image; only the loop runs here. */
	assert_int_equal(rbd_open(fx.ioctx, GROW_IMAGE, &img, NULL), 0);
	assert_int_equal(rbd_resize(img, GROW_NEW), 0);
	rbd_close(img);
	assert_true(srp_ti_run_until(g->env.loop, grow_seen, g, 20000));
	assert_int_equal(g->resized, 1);
	assert_int_equal(g->nblocks, GROW_NEW / 512);
	assert_int_equal(d->bdev.size, GROW_NEW);

	/* Every nexus: 06/2A/09 once, then the new capacity. */
	for (unsigned int i = 0; i < 2; i++) {
		srp_env_read_capacity16(&g->env, ti[i], &c);
		assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
		assert_true(c.sense_len >= 14);
		assert_int_equal(c.sense[2] & 0x0f, 0x06);
		assert_int_equal(c.sense[12], 0x2a);
		assert_int_equal(c.sense[13], 0x09);
		srp_env_read_capacity16(&g->env, ti[i], &c);
		assert_int_equal(c.status, SAM_STAT_GOOD);
		assert_int_equal(get_be64(srp_ti_mem(ti[i])),
				 GROW_NEW / 512 - 1);
	}

	srp_env_stop(&g->env);
	devices_close_all(&g->set);
	loop_destroy(g->env.loop);
	assert_int_equal(rbd_remove(fx.ioctx, GROW_IMAGE), 0);
	rados_fx_disconnect(&fx);
	config_free(cfg);
	free(g);
	free(errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_rbd_device),
		cmocka_unit_test(test_growth_watch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
