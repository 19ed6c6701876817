/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The rbd store of shared reservation state (struct scsi_pr_shared_ops;
 * doc/ceph.md "Reservations"): the state encoded by pr_codec.c in the
 * object that src/backend/bs_rbd_pr.c keeps beside the image.  Both
 * callbacks block on the cluster for at most the device's ceph_timeout,
 * with the LU's lock held, like the APTPL file store (pr_store.c).
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "backend/bs_rbd_pr.h"
#include "scsi/scsi_int.h"

static int pr_rbd_read(void *ctx, struct scsi_pr_state *st, uint64_t *ver)
{
	struct bs_rbd_pr *obj = ctx;
	uint8_t buf[SCSI_PR_ENCODED_MAX];
	unsigned int version;
	size_t len;
	int ret;

	ret = bs_rbd_pr_read(obj, buf, sizeof(buf), &len, ver);
	if (ret == -EFBIG || ret == -EBADMSG) {
		pr_log(LOG_ERR, LOG_C_SCSI,
		       "%s: %s; reservation commands fail until it is "
		       "repaired or removed (doc/ceph.md)",
		       bs_rbd_pr_name(obj),
		       ret == -EFBIG ? "larger than any reservation state" :
				       "its version attribute is not a number");
		return -EBADMSG;
	}
	if (ret)
		return ret;
	if (!len && !*ver) {
		memset(st, 0, sizeof(*st));
		st->holder = -1;
		return 0;
	}
	ret = scsi_pr_decode(buf, len, st, &version);
	if (ret == -EPROTONOSUPPORT)
		pr_log(LOG_ERR, LOG_C_SCSI,
		       "%s: reservation state in format version %u; this "
		       "srptd reads version %u only (a newer srptd wrote it?)",
		       bs_rbd_pr_name(obj), version, SCSI_PR_ENCODED_VERSION);
	else if (ret)
		pr_log(LOG_ERR, LOG_C_SCSI,
		       "%s: not a valid reservation state (%zu bytes at "
		       "version %llu); reservation commands fail until it is "
		       "repaired or removed (doc/ceph.md)",
		       bs_rbd_pr_name(obj), len, (unsigned long long)*ver);
	return ret ? -EBADMSG : 0;
}

static int pr_rbd_write(void *ctx, const struct scsi_pr_state *st,
			uint64_t *ver)
{
	uint8_t buf[SCSI_PR_ENCODED_MAX];
	size_t len;
	int ret;

	ret = scsi_pr_encode(st, buf, sizeof(buf), &len);
	if (ret)
		return ret;
	return bs_rbd_pr_write(ctx, buf, len, ver);
}

const struct scsi_pr_shared_ops scsi_pr_rbd_ops = {
	/* The object's state; an absent or unwritten one is empty. */
	.read = pr_rbd_read,
	/* One compare-and-swap write operation, then a notify. */
	.write = pr_rbd_write,
};
