/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's wiring of shared devices (src/devices.c, doc/ceph.md
 * "Reservations"), on the throw-away cluster of tests/lib/ceph-cluster.sh:
 * two device sets, each with its own main loop, open the same
 * configuration as two hosts would.  A shared rbd device keeps its
 * reservations in the image's object and the other host's loop refreshes
 * its LU when it changes; a shared device of another engine still
 * refuses reservation commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "loop.h"
#include "scsi/scsi_fixture.h"
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

static uint8_t write_status(struct host *h)
{
	static uint8_t data[512];
	struct sf_cmd c;

	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, 5, 1);
	c.out = data;
	c.out_len = sizeof(data);
	sf_run_w(h->w, h->itn[0], 0, &c);
	return c.status;
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
	while (write_status(&b) == SAM_STAT_GOOD) {
		int n = loop_run_once(b.loop, 15000);

		assert_true(n >= 0);
		events += n;
		assert_true(++rounds < 10);
	}
	assert_true(events > 0);
	assert_int_equal(write_status(&b), SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(write_status(&a), SAM_STAT_GOOD);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_rbd_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
