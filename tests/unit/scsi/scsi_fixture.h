/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Shared fixture of the SCSI unit tests: devices on real temp files opened
 * through a real engine ("sync", "io_uring", "aio") or the test engine
 * "tb" (pread/pwrite completed in ctx_poll, with fault injection and a
 * hold switch), nexuses, workers, and a runner that pushes one CDB through
 * scsi_task_parse/execute/scsi_worker_poll the way a transport does.
 */
#ifndef SCSI_FIXTURE_H
#define SCSI_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include "scsi/scsi.h"
#include "srptd/backend.h"
#include "srptd/scsi_proto.h"

/* Test engine controls (all workers). */
struct tb_control {
	int fault_op; /* enum srptd_io_op to fail, or -1 */
	int fault_err; /* -errno reported for it at completion */
	int submit_err; /* non-zero: submit() returns this */
	bool hold; /* ctx_poll completes nothing while set */
	unsigned int depth; /* max in flight per context (0 = 64) */
	bool no_write_zeroes; /* WRITE_ZEROES -> -EOPNOTSUPP at submit */
	/* Devices opened from now on do COMPARE_WRITE (can_compare_write). */
	bool compare_write;
	/* COMPARE_WRITE -> -EOPNOTSUPP: at submit (1) or completion (2). */
	int compare_write_refuse;
	unsigned long submitted[6]; /* per op, since reset */
	uint32_t last_write_flags; /* flags of the last WRITE submitted */
};
extern struct tb_control tb_ctl;
extern const struct srptd_backend_ops tb_ops;
void tb_reset(void);

#define SF_MAX_LU 4
#define SF_MAX_ITN 4
struct sf {
	char dir[128];
	char path[SF_MAX_LU][192];
	struct srptd_bdev bdev[SF_MAX_LU];
	struct scsi_lu *lu[SF_MAX_LU];
	struct scsi_itn *itn[SF_MAX_ITN];
	struct scsi_worker *w;
};

/* Create the temp dir and the worker. */
void sf_init(struct sf *f);
/* Device idx: engine "tb"/"sync"/"io_uring"/"aio", nblocks of bs bytes. */
void sf_add_lu(struct sf *f, unsigned int idx, const char *engine, uint32_t bs,
	       uint64_t nblocks, const struct scsi_lu_params *p);
/* Nexus idx (initiator id = {tag, 0...}) seeing LU i at lun luns[i]. */
void sf_add_itn(struct sf *f, unsigned int idx, uint8_t tag,
		const struct scsi_lun_entry *view, unsigned int n);
/* Convenience: nexus idx sees LU 0 as LUN 0 (read-write). */
void sf_add_itn0(struct sf *f, unsigned int idx, uint8_t tag);
void sf_fini(struct sf *f);

struct sf_cmd {
	uint8_t cdb[16];
	uint32_t cdb_len;
	const void *out; /* data-out */
	uint32_t out_len;
	void *in; /* data-in buffer */
	uint32_t in_len;
	/* results */
	int parse_ret;
	enum scsi_data_dir dir;
	uint32_t xfer_len;
	uint8_t status;
	uint8_t sense[SCSI_SENSE_BUFFERSIZE];
	uint8_t sense_len;
	uint32_t data_in_len;
	bool completed_inline; /* complete() ran inside execute() */
	/* A parameter list built by sf_cdb_prout() (out points here). */
	uint8_t param[64];
};

/* Run one command on worker w (NULL: f->w); returns the status. */
int sf_run_w(struct scsi_worker *w, struct scsi_itn *itn, uint64_t lun,
	     struct sf_cmd *c);
int sf_run(struct sf *f, unsigned int itn, uint64_t lun, struct sf_cmd *c);

/* Asynchronous form: start, then poll until done. */
struct sf_async {
	struct scsi_task *t;
	struct sf_cmd *c;
	struct iovec iov;
	volatile bool done;
};
int sf_start(struct scsi_worker *w, struct scsi_itn *itn, uint64_t lun,
	     struct sf_cmd *c, struct sf_async *a);
void sf_wait(struct scsi_worker *w, struct sf_async *a);

/* Sense helpers (fixed or descriptor format). */
uint8_t sf_sense_key(const struct sf_cmd *c);
uint16_t sf_sense_asc(const struct sf_cmd *c);
void sf_assert_sense(const struct sf_cmd *c, uint8_t key, uint16_t asc_ascq);
/* Returns the field pointer (or -1) and its C/D flag and bit. */
int sf_sense_field(const struct sf_cmd *c, bool *cd, int *bit);
/* INFORMATION field, or UINT64_MAX when not valid. */
uint64_t sf_sense_info(const struct sf_cmd *c);

/* CDB builders. */
void sf_cdb6(struct sf_cmd *c, uint8_t op, uint8_t b1, uint8_t b2, uint8_t b3,
	     uint8_t b4);
void sf_cdb_rw10(struct sf_cmd *c, uint8_t op, uint8_t flags, uint32_t lba,
		 uint16_t n);
void sf_cdb_rw12(struct sf_cmd *c, uint8_t op, uint8_t flags, uint32_t lba,
		 uint32_t n);
void sf_cdb_rw16(struct sf_cmd *c, uint8_t op, uint8_t flags, uint64_t lba,
		 uint32_t n);
/*
 * PERSISTENT RESERVE OUT (SPC-4 6.16) with the basic parameter list in
 * c->param: reservation key, service action key, byte 20 flags (APTPL
 * is bit 0); len bytes of it are sent (24 for the basic list, at most
 * sizeof(c->param)).
 */
void sf_cdb_prout(struct sf_cmd *c, uint8_t sa, uint8_t scope_type,
		  uint64_t key, uint64_t sa_key, uint8_t flags, uint32_t len);
/* PERSISTENT RESERVE IN (SPC-4 6.15) service action sa into buf. */
void sf_cdb_prin(struct sf_cmd *c, uint8_t sa, void *buf, uint16_t len);
/*
 * Run PERSISTENT RESERVE OUT with the basic 24-byte list on (itn, lun);
 * the status.  c: where the command and its sense go (NULL: not kept).
 */
int sf_prout(struct sf *f, unsigned int itn, uint64_t lun, uint8_t sa,
	     uint8_t scope_type, uint64_t key, uint64_t sa_key, uint8_t flags,
	     struct sf_cmd *c);
/* Run PERSISTENT RESERVE IN, assert GOOD; the bytes returned. */
uint32_t sf_prin(struct sf *f, unsigned int itn, uint64_t lun, uint8_t sa,
		 void *buf, uint16_t len);
/*
 * One WRITE (10) of a 512-byte block of zeroes at lba on (itn, lun) of
 * worker w; its status (reservation tests: GOOD or RESERVATION CONFLICT).
 */
int sf_write_status(struct scsi_worker *w, struct scsi_itn *itn, uint64_t lun,
		    uint32_t lba);

/* File helpers. */
void sf_pwrite(struct sf *f, unsigned int idx, uint64_t off, const void *buf,
	       size_t len);
void sf_pread(struct sf *f, unsigned int idx, uint64_t off, void *buf,
	      size_t len);
void sf_fill(void *buf, size_t len, uint32_t seed);

/* Clear the power-on unit attention of (itn, lun) with TEST UNIT READY. */
void sf_clear_ua(struct sf *f, unsigned int itn, uint64_t lun);

#endif
