/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer harness: SCSI command dispatch (src/scsi) as a transport
 * drives it -- scsi_task_parse(), a data buffer, scsi_task_execute(),
 * scsi_worker_poll() until complete() -- on RAM devices (tests/lib/bs_ram.c)
 * so that reads, writes, UNMAP, WRITE SAME, COMPARE AND WRITE, persistent
 * reservations, MODE SELECT ... all run to the end.
 *
 * Input: up to MAX_CMDS records, each
 *   byte 0   bits 1:0 LUN: 0 = LU 0 (512-byte blocks, read-write),
 *            1 = LU 1 (4096-byte blocks, masked read-only), 2 = LUN 7
 *            (not mapped), 3 = the REPORT LUNS well-known LUN;
 *            bit 2 nexus 0 or 1 (reservations see two initiators);
 *            bit 3 data-out only as long as given (else padded with
 *            zeroes to the CDB's length)
 *   byte 1   CDB length (6..32)
 *   byte 2-3 data-out length, big-endian (cut at the input's end)
 *   CDB, then data-out.
 * LU 0 and LU 1 have the NAA designators 6001405000000000000000000000000n
 * (n = 0, 1) so that seeds can name them in EXTENDED COPY CSCDs.
 * Every input starts from zeroed media and new logical units and
 * nexuses, so a crash reproduces from its input alone.  Besides the sanitizers, the harness
 * traps when a task never completes or reports more than it may.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bs_ram.h"
#include "scsi/scsi.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
	do {                              \
		if (!(x))                 \
			__builtin_trap(); \
	} while (0)

#define MAX_CMDS 8
#define MAX_XFER (64 * 1024) /* max_xfer_bytes: longer transfers fail */
#define DEV_SIZE (256 * 1024) /* 512 or 64 blocks: small, to stay fast */
#define MAX_POLLS 100000

struct fz_cmd {
	struct scsi_task t;
	struct iovec iov[2];
	bool done;
};

static uint8_t buf[MAX_XFER + 4096];

static void fz_complete(struct scsi_task *t)
{
	struct fz_cmd *c = t->transport_priv;

	c->done = true;
}

static void fz_run(struct scsi_worker *w, struct scsi_itn *itn, uint64_t lun,
		   const uint8_t *cdb, uint32_t cdb_len, const uint8_t *out,
		   uint32_t out_len, bool exact)
{
	static struct fz_cmd c;
	struct scsi_task *t = &c.t;
	uint32_t len, half;

	memset(&c, 0, sizeof(c));
	memcpy(t->cdb, cdb, cdb_len);
	t->cdb_len = cdb_len;
	t->lun = lun;
	t->itn = itn;
	t->worker = w;
	t->complete = fz_complete;
	t->transport_priv = &c;
	if (scsi_task_parse(t)) {
		CHECK(t->status != SAM_STAT_GOOD);
		CHECK(t->sense_len <= SCSI_SENSE_BUFFERSIZE);
		return;
	}
	CHECK(t->dir != SCSI_DIR_NONE || t->xfer_len == 0);
	len = MIN(t->xfer_len, (uint32_t)MAX_XFER);
	if (t->dir == SCSI_DIR_WRITE) {
		if (exact)
			len = MIN(len, out_len);
		memset(buf, 0, len);
		memcpy(buf, out, MIN(len, out_len));
	} else {
		memset(buf, 0xa5, len);
	}
	if (t->dir == SCSI_DIR_NONE)
		len = 0;
	/* Two entries, as a transport's buffer chunks are. */
	half = len / 2;
	c.iov[0].iov_base = buf;
	c.iov[0].iov_len = half;
	c.iov[1].iov_base = buf + half;
	c.iov[1].iov_len = len - half;
	t->iov = c.iov;
	t->iovcnt = len ? 2 : 0;
	t->buf_len = len;
	scsi_task_execute(t);
	for (int i = 0; !c.done && i < MAX_POLLS; i++)
		scsi_worker_poll(w);
	CHECK(c.done); /* a task that never completes hangs its channel */
	/* As a transport does once the response is sent (srp_req.c): the
	 * command's pin on its view entry goes, or the view leaks. */
	scsi_task_release(t);
	CHECK(t->sense_len <= SCSI_SENSE_BUFFERSIZE);
	CHECK(t->data_in_len <= len);
	CHECK(t->status != SAM_STAT_CHECK_CONDITION || t->sense_len >= 8);
	CHECK(c.iov[0].iov_len == half && c.iov[1].iov_len == len - half);
}

/*
 * The RAM devices and the worker (large allocations) live for the whole
 * run; each input gets zeroed media and new logical units and nexuses,
 * which hold all SCSI state (reservations, mode pages, unit attentions).
 */
static struct srptd_bdev bdev[2];
static struct scsi_worker *w;

static int fz_init(void)
{
	if (bs_ram_open(&bdev[0], "ram0", DEV_SIZE, 512) ||
	    bs_ram_open(&bdev[1], "ram1", DEV_SIZE, 4096) ||
	    scsi_worker_create(64, &w))
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t iid[2][16] = { { 0x11, 1 }, { 0x11, 2 } };
	static const uint8_t tid[16] = { 0x22, 0x33 };
	static int inited;
	struct scsi_lu_params lp = { .vendor = "SRPTD",
				     .product = "fuzz disk",
				     .revision = "0001",
				     .max_xfer_bytes = MAX_XFER,
				     .target_name = "srptd.fuzz" };
	struct scsi_lu *lu[2] = { NULL, NULL };
	struct scsi_itn *itn[2] = { NULL, NULL };
	struct scsi_lun_entry view[2];
	size_t pos = 0;

	if (!inited)
		inited = !fz_init();
	for (int i = 0; i < 2; i++)
		memset(bs_ram_data(&bdev[i]), 0, DEV_SIZE);
	lp.naa = "60014050000000000000000000000000";
	if (scsi_lu_create(&bdev[0], &lp, &lu[0]))
		goto out;
	lp.naa = "60014050000000000000000000000001";
	if (scsi_lu_create(&bdev[1], &lp, &lu[1]))
		goto out;
	view[0] = (struct scsi_lun_entry){ .lun = 0, .lu = lu[0] };
	view[1] = (struct scsi_lun_entry){ .lun = 1,
					   .lu = lu[1],
					   .read_only = true };
	for (int i = 0; i < 2; i++)
		if (scsi_itn_create(iid[i], tid, 1, view, 2, &itn[i]) ||
		    scsi_worker_attach_itn(w, itn[i]))
			goto out;

	for (int n = 0; n < MAX_CMDS && pos + 4 <= size; n++) {
		static const uint64_t luns[4] = { 0, 1, 7,
						  SCSI_LUN_WLUN_REPORT_LUNS };
		uint8_t sel = data[pos];
		uint32_t cdb_len = data[pos + 1] % 33;
		uint32_t out_len = (uint32_t)data[pos + 2] << 8 | data[pos + 3];

		pos += 4;
		if (cdb_len < 6)
			cdb_len = 6;
		if (pos + cdb_len > size)
			break;
		out_len = MIN(out_len, (uint32_t)(size - pos - cdb_len));
		fz_run(w, itn[(sel >> 2) & 1], luns[sel & 3], data + pos,
		       cdb_len, data + pos + cdb_len, out_len, sel & 8);
		pos += cdb_len + out_len;
	}
out:
	for (int i = 0; i < 2; i++)
		scsi_itn_destroy(itn[i]);
	for (int i = 0; i < 2; i++)
		if (lu[i])
			scsi_lu_destroy(lu[i]);
	return 0;
}
