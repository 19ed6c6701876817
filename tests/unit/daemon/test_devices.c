/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's device set (src/devices.c): the largest transfer of one
 * command the set is given (the SRP engine's, fabric.max_rdma_size) is
 * what every LU reports as MAXIMUM TRANSFER LENGTH in the Block Limits
 * VPD page (SBC-3 6.5.3) and what it enforces, so that an initiator
 * honouring the page never sends a command the data path refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "loop.h"
#include "scsi/scsi_fixture.h"
#include "util.h"

static const char conf[] =
	"version = 1;\n"
	"devices = (\n"
	"  { name = \"n0\"; engine = \"null\"; size = \"4M\";\n"
	"    block_size = 512; }\n"
	");\n";

struct host {
	struct device_set set;
	struct scsi_worker *w;
	struct scsi_itn *itn;
	struct config *cfg;
};

static void host_open(struct host *h, uint32_t max_xfer)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	unsigned int opened, closed, failed;
	uint8_t iid[16] = { 0x11 }, tid[16] = { 0x22 };
	struct scsi_lun_entry e = { .lun = 0 };
	struct device *d;
	struct sf_cmd c;

	memset(h, 0, sizeof(*h));
	assert_non_null(errs);
	assert_int_equal(config_load_string("devices.conf", conf, strlen(conf),
					    "/nonexistent", &h->cfg, errs),
			 0);
	free(errs);
	h->set.max_xfer = max_xfer;
	devices_sync(&h->set, h->cfg, NULL, &opened, &closed, &failed);
	assert_int_equal(opened, 1);
	assert_int_equal(failed, 0);
	d = devices_find(&h->set, "n0");
	assert_non_null(d);
	e.lu = d->lu;
	assert_int_equal(scsi_worker_create(64, &h->w), 0);
	assert_int_equal(scsi_itn_create(iid, tid, 1, &e, 1, &h->itn), 0);
	assert_int_equal(scsi_worker_attach_itn(h->w, h->itn), 0);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run_w(h->w, h->itn, 0, &c); /* the power-on UA */
}

static void host_close(struct host *h)
{
	scsi_itn_destroy(h->itn);
	scsi_worker_destroy(h->w);
	devices_close_all(&h->set);
	config_free(h->cfg);
}

/* MAXIMUM TRANSFER LENGTH of the Block Limits VPD page, in blocks. */
static uint32_t vpd_max_xfer(struct host *h)
{
	uint8_t b[64];
	struct sf_cmd c;

	sf_cdb6(&c, SCSI_OP_INQUIRY, 0x01, SCSI_VPD_BLOCK_LIMITS, 0, sizeof(b));
	c.in = b;
	c.in_len = sizeof(b);
	assert_int_equal(sf_run_w(h->w, h->itn, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[1], SCSI_VPD_BLOCK_LIMITS);
	return get_be32(b + 8);
}

static uint8_t read10(struct host *h, uint16_t blocks, struct sf_cmd *c)
{
	static uint8_t buf[1 << 20];

	sf_cdb_rw10(c, SCSI_OP_READ_10, 0, 0, blocks);
	c->in = buf;
	c->in_len = sizeof(buf);
	return sf_run_w(h->w, h->itn, 0, c);
}

static void test_max_xfer_reported_and_enforced(void **state)
{
	struct host h;
	struct sf_cmd c;

	(void)state;
	host_open(&h, 256 * 1024);
	assert_int_equal(vpd_max_xfer(&h), 512);
	assert_int_equal(read10(&h, 512, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 256 * 1024);
	assert_int_equal(read10(&h, 513, &c), SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	host_close(&h);
}

/* No value given (unit tests, tools): the engine's default, 1 MiB. */
static void test_max_xfer_default(void **state)
{
	struct host h;
	struct sf_cmd c;

	(void)state;
	host_open(&h, 0);
	assert_int_equal(vpd_max_xfer(&h), 2048);
	assert_int_equal(read10(&h, 2048, &c), SAM_STAT_GOOD);
	assert_int_equal(read10(&h, 2049, &c), SAM_STAT_CHECK_CONDITION);
	host_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_xfer_reported_and_enforced),
		cmocka_unit_test(test_max_xfer_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
