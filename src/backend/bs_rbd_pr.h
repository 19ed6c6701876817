/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The object beside an RBD image that holds what the hosts exporting the
 * image share about it: a small byte string (the encoded reservation
 * state, src/scsi/pr_codec.c) and its version, written only by
 * compare-and-swap on that version, watched so that a change made by
 * another host is learnt promptly (doc/ceph.md, "Reservations").  This
 * header does not need librados, so the SCSI layer and the daemon can
 * use it.
 *
 * Threads: every call but bs_rbd_pr_event_fd() blocks on the cluster,
 * bounded by the device's ceph_timeout (rados_osd_op_timeout of its
 * cluster handle).  The watch callbacks run on librados threads and
 * touch nothing but an atomic state and the event fd; the owner learns
 * of a change from that fd and calls bs_rbd_pr_poll() on its own thread.
 */
#ifndef SRPTD_BS_RBD_PR_H
#define SRPTD_BS_RBD_PR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srptd/backend.h"

struct bs_rbd_pr;

/*
 * The object of bdev, an open device of the rbd engine: "srptd_pr.<image
 * id>" in the image's pool and namespace (the id survives a rename of
 * the image).  Creates the object empty at version 0 if absent (a watch
 * needs an object) and watches it.  bdev must stay open until
 * bs_rbd_pr_close().  0, -EINVAL for another engine, or -errno.
 */
int bs_rbd_pr_open(struct srptd_bdev *bdev, struct bs_rbd_pr **out);
/* Unwatch, wait for running callbacks, free; NULL is a no-op. */
void bs_rbd_pr_close(struct bs_rbd_pr *p);
/* "srptd_pr.<image id>", for logs. */
const char *bs_rbd_pr_name(const struct bs_rbd_pr *p);

/*
 * The contents and version: *len bytes into buf (0 and version 0 when
 * the object is absent or was never written).  -EFBIG when the object
 * holds more than cap bytes, -EBADMSG when its version is not readable,
 * other -errno (-ETIMEDOUT) from the cluster.
 */
int bs_rbd_pr_read(struct bs_rbd_pr *p, void *buf, size_t cap, size_t *len,
		   uint64_t *ver);
/*
 * Replace the contents with buf if the version is still *ver, in one
 * atomic operation on the OSD; then *ver is the new version (one more)
 * and a notify to the other watchers is on its way: it is not waited
 * for (the OSD waits at most BS_RBD_PR_NOTIFY_MS for their
 * acknowledgements; a late one is no error).  -ECANCELED: the version
 * moved, nothing was written.  Callers serialise the calls on one p.
 */
#define BS_RBD_PR_NOTIFY_MS 1000
int bs_rbd_pr_write(struct bs_rbd_pr *p, const void *buf, size_t len,
		    uint64_t *ver);

/*
 * Readable (level-triggered, EPOLLIN) when another client changed the
 * object or the watch was lost: then call bs_rbd_pr_poll().
 */
int bs_rbd_pr_event_fd(const struct bs_rbd_pr *p);
/*
 * On the owner's thread: clear the event fd and, if the watch was lost,
 * watch again (notifications may have been missed meanwhile).  1: the
 * contents may have changed (read them again); -errno: the watch could
 * not be restored (bs_rbd_pr_watching() stays false; call again later).
 */
int bs_rbd_pr_poll(struct bs_rbd_pr *p);
/* Is the watch in place (changes by other clients are signalled)? */
bool bs_rbd_pr_watching(const struct bs_rbd_pr *p);
/* Notifications from other clients received so far (tests, stats). */
uint64_t bs_rbd_pr_notifies(const struct bs_rbd_pr *p);

#endif
