/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's storage objects: one per config device, opened through the
 * backend registry (engine + fallback chain) and exported as a SCSI logical
 * unit.  Owned by the main thread.  A device that cannot be opened stays
 * OFFLINE with the reason logged; the daemon keeps serving the others and
 * retries it on the next reload.
 */
#ifndef SRPTD_DEVICES_H
#define SRPTD_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "scsi/scsi.h"
#include "srptd/backend.h"

struct bs_rbd_pr;
struct daemon_change_report;
struct device_set;
struct loop;
struct scsi_lu;

enum device_state {
	DEVICE_OFFLINE, /* not opened (error logged) */
	DEVICE_ONLINE, /* opened; LU exported */
};

struct device {
	struct config_device cfg; /* copy: outlives config reloads */
	enum device_state state;
	int open_error; /* -errno of the last failed open */
	struct srptd_bdev bdev;
	const struct srptd_backend_ops *engine; /* the one in use */
	struct scsi_lu *lu;
	/* APTPL store of the LU (copy of daemon.state_dir at open). */
	char state_dir[256];
	struct scsi_pr_store pr_store;
	/*
	 * The engine's watch_fd while it is on set->loop (-1: not watched):
	 * the store changed size on its own (an RBD image resized by another
	 * client) and the device follows it as after device resize NAME 0.
	 */
	int watch_fd;
	struct device_set *set; /* the set d is in, for the watch */
	/*
	 * A shared rbd device (doc/ceph.md "Reservations"): the object
	 * beside the image that holds the reservations, the LU's store over
	 * it, and the loop its event fd is on (NULL: on none).
	 */
	struct bs_rbd_pr *pr_obj;
	struct scsi_pr_shared pr_shared;
	struct loop *pr_loop;
};

struct device_set {
	unsigned int n;
	struct device **dev;
	/*
	 * Removed from the config (or replaced) while initiators still had
	 * them in their LUN view: closed by devices_reap() once no I_T
	 * nexus uses them any more.
	 */
	unsigned int n_retired;
	struct device **retired;
	/*
	 * Told of every live resize after the backend's resize op: raises
	 * CAPACITY DATA HAS CHANGED and hands the new capacity to the I/O
	 * workers (srp_engine_resize_lu()), which never read the backend's
	 * size themselves.  NULL: nobody serves the devices yet.
	 */
	void (*resized)(void *ctx, struct scsi_lu *lu, uint64_t nblocks);
	void *resized_ctx;
	/*
	 * The main loop, where devices whose engine has a watch_fd are
	 * watched (srptd/backend.h) and shared rbd devices handle their
	 * reservation object's notifications (scsi_pr_refresh()).  NULL: no
	 * device is watched; reservations made through another host are
	 * seen at the next PR command only.
	 */
	struct loop *loop;
	/*
	 * The largest data transfer of one command the SRP engine takes
	 * (fabric.max_rdma_size, which needs a restart: the value the
	 * daemon started with), reported as MAXIMUM TRANSFER LENGTH in
	 * every LU's Block Limits VPD page (SBC-3 6.5.3) and enforced by
	 * the SCSI layer, so that an initiator never sends a command the
	 * data path refuses.  0: the engine's default, 1 MiB.
	 */
	uint32_t max_xfer;
};

/*
 * Make set match cfg: devices equal in both (config_device_equal) are kept
 * as they are, and so are devices whose size alone changed: they are
 * resized live (and a device sized by its file or block device re-reads
 * that size); every initiator that sees a resized device gets CAPACITY
 * DATA HAS CHANGED.  New or otherwise changed ones are opened, the rest
 * closed.  Reports counts and a line per change to rep (may be NULL).
 * Never fails as a whole: a device that cannot be opened is kept OFFLINE.
 * Devices leaving the set are retired, not closed (see devices_reap()).
 */
void devices_sync(struct device_set *set, const struct config *cfg,
		  struct daemon_change_report *rep, unsigned int *opened,
		  unsigned int *closed, unsigned int *failed);
/*
 * The LU that config device c will be exported as once devices_sync()
 * has run: that of the running device if it is kept (online, unchanged
 * or resized), NULL if it will be opened anew (or stays offline).
 */
struct scsi_lu *devices_kept_lu(const struct device_set *set,
				const struct config_device *c);
/* Close retired devices no nexus uses any more; returns how many remain. */
unsigned int devices_reap(struct device_set *set);
/*
 * Periodically, on the main thread: restore the watch of any shared rbd
 * device that lost it and could not have it back at once (each try
 * blocks for at most the device's ceph_timeout).
 */
void devices_check_watches(struct device_set *set);
void devices_close_all(struct device_set *set);
struct device *devices_find(const struct device_set *set, const char *name);

#endif
