/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The shared object beside an RBD image (bs_rbd_pr.h, doc/ceph.md
 * "Reservations"): its data holds the encoded state, the xattr
 * "srptd.version" its version in decimal.  Every change is one rados
 * write operation that compares the version xattr, replaces the data and
 * sets the next version; the OSD applies the operations of one object in
 * order and a write operation whole or not at all, so of two hosts that
 * read the same version only the first write lands and the other sees
 * -ECANCELED (the comparison failed).  A read is one read operation
 * (data, size and xattrs together), so data and version always match.
 *
 * Version 0 is "never written": the object absent, or created empty with
 * version "0" (open creates it so that it can be watched; an
 * administrator may still remove it, and then the first write creates it
 * again with an exclusive create).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "bs_internal.h"
#include "bs_rbd_pr.h"

#define BS_RBD_PR_PREFIX "srptd_pr."
#define BS_RBD_PR_XATTR "srptd.version"

/*
 * The watch: the owner's thread moves it between UNWATCHED and WATCHING;
 * librados' error callback moves WATCHING to LOST (bs_rbd_pr_set()).
 */
enum bs_rbd_pr_watch {
	BS_RBD_PR_UNWATCHED, /* no watch registered (a re-watch failed) */
	BS_RBD_PR_WATCHING,
	BS_RBD_PR_LOST, /* the cluster dropped it; cookie still to release */
};

/* Notifies in flight at most; one more waits for the oldest. */
#define BS_RBD_PR_NOTIFIES 8

struct bs_rbd_pr {
	rados_ioctx_t io; /* the image's (bs_rbd.c), not owned */
	char oid[96];
	char dev[64]; /* device name, for logs */
	uint64_t self; /* our client id: our own notifies are skipped */
	uint64_t cookie; /* the watch, when not UNWATCHED */
	_Atomic int watch; /* enum bs_rbd_pr_watch */
	atomic_uint_fast64_t notifies;
	int efd;
	/*
	 * Our notifies not yet answered (bs_rbd_pr_write(); doc/ceph.md
	 * "Change notification"): reaped by the writers, which the LU's
	 * lock serialises, and waited for by bs_rbd_pr_close().
	 */
	rados_completion_t notifying[BS_RBD_PR_NOTIFIES];
	unsigned int n_notifying;
};

static void bs_rbd_pr_set(struct bs_rbd_pr *p, enum bs_rbd_pr_watch to)
{
	atomic_store(&p->watch, (int)to);
}

const char *bs_rbd_pr_name(const struct bs_rbd_pr *p)
{
	return p->oid;
}

int bs_rbd_pr_event_fd(const struct bs_rbd_pr *p)
{
	return p->efd;
}

bool bs_rbd_pr_watching(const struct bs_rbd_pr *p)
{
	return atomic_load(&p->watch) == BS_RBD_PR_WATCHING;
}

uint64_t bs_rbd_pr_notifies(const struct bs_rbd_pr *p)
{
	return atomic_load(&p->notifies);
}

/*
 * librados thread: tell the owner and acknowledge (the notifier waits
 * for it).  Our own writes notify us too; our copy has them already.
 */
static void bs_rbd_pr_notify_cb(void *arg, uint64_t notify_id, uint64_t handle,
				uint64_t notifier, void *data, size_t len)
{
	struct bs_rbd_pr *p = arg;

	(void)data;
	(void)len;
	/* Kick before the ack: when the writer's notify returns, our owner
	 * can already see the change. */
	if (notifier != p->self) {
		atomic_fetch_add(&p->notifies, 1);
		bs_eventfd_kick(p->efd);
	}
	rados_notify_ack(p->io, p->oid, notify_id, handle, NULL, 0);
}

/* librados thread: the watch is gone; notifies may have been missed. */
static void bs_rbd_pr_error_cb(void *arg, uint64_t cookie, int err)
{
	struct bs_rbd_pr *p = arg;

	(void)cookie;
	(void)err;
	bs_rbd_pr_set(p, BS_RBD_PR_LOST);
	bs_eventfd_kick(p->efd);
}

/* Create the object at version 0 unless it exists. */
static int bs_rbd_pr_create(struct bs_rbd_pr *p, const void *buf, size_t len,
			    const char *ver)
{
	rados_write_op_t op = rados_create_write_op();
	int ret;

	if (!op)
		return -ENOMEM;
	rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	if (len)
		rados_write_op_write_full(op, buf, len);
	rados_write_op_setxattr(op, BS_RBD_PR_XATTR, ver, strlen(ver));
	ret = rados_write_op_operate(op, p->io, p->oid, NULL, 0);
	rados_release_write_op(op);
	return ret;
}

/* Register the watch (owner's thread), creating the object if needed. */
static int bs_rbd_pr_watch(struct bs_rbd_pr *p)
{
	enum bs_rbd_pr_watch was = atomic_load(&p->watch);
	int ret;

	if (was != BS_RBD_PR_UNWATCHED) {
		/* The old registration is dead but still ours to release. */
		rados_unwatch2(p->io, p->cookie);
		bs_rbd_pr_set(p, BS_RBD_PR_UNWATCHED);
	}
	ret = bs_rbd_pr_create(p, NULL, 0, "0");
	if (ret && ret != -EEXIST)
		return ret;
	ret = rados_watch2(p->io, p->oid, &p->cookie, bs_rbd_pr_notify_cb,
			   bs_rbd_pr_error_cb, p);
	if (ret)
		return ret;
	bs_rbd_pr_set(p, BS_RBD_PR_WATCHING);
	return 0;
}

int bs_rbd_pr_open(struct srptd_bdev *bdev, struct bs_rbd_pr **out)
{
	struct bs_rbd_pr *p = calloc(1, sizeof(*p));
	char id[64];
	int ret;

	if (!p)
		return -ENOMEM;
	p->efd = -1;
	atomic_init(&p->watch, BS_RBD_PR_UNWATCHED);
	atomic_init(&p->notifies, 0);
	ret = bs_rbd_image_ref(bdev, &p->io, id, sizeof(id));
	if (ret)
		goto err;
	snprintf(p->oid, sizeof(p->oid), BS_RBD_PR_PREFIX "%s", id);
	snprintf(p->dev, sizeof(p->dev), "%s", bdev->name ? bdev->name : "");
	p->self = rados_get_instance_id(rados_ioctx_get_cluster(p->io));
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		ret = -errno;
		goto err;
	}
	ret = bs_rbd_pr_watch(p);
	if (ret) {
		dev_log(LOG_ERR, p->dev, "rbd: cannot watch %s: %s", p->oid,
			strerror(-ret));
		goto err;
	}
	*out = p;
	return 0;
err:
	bs_rbd_pr_close(p);
	return ret;
}

/*
 * Release the notifies that are over (wait: all of them, each bounded by
 * BS_RBD_PR_NOTIFY_MS).  A notify that timed out only means a watcher
 * did not acknowledge in time: a dead client the OSD has not expired yet,
 * or a slow one, which still got the notification.
 */
static void bs_rbd_pr_reap(struct bs_rbd_pr *p, bool wait)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < p->n_notifying; i++) {
		rados_completion_t c = p->notifying[i];
		int ret;

		if (wait)
			rados_aio_wait_for_complete(c);
		if (!rados_aio_is_complete(c)) {
			p->notifying[k++] = c;
			continue;
		}
		ret = rados_aio_get_return_value(c);
		if (ret)
			dev_log(LOG_DEBUG, p->dev,
				"rbd: notify on %s: %s (a watcher did not "
				"acknowledge in time)",
				p->oid, strerror(-ret));
		rados_aio_release(c);
	}
	p->n_notifying = k;
}

void bs_rbd_pr_close(struct bs_rbd_pr *p)
{
	if (!p)
		return;
	bs_rbd_pr_reap(p, true);
	if (atomic_load(&p->watch) != BS_RBD_PR_UNWATCHED) {
		rados_unwatch2(p->io, p->cookie);
		/* No callback may run on p once it is freed. */
		rados_watch_flush(rados_ioctx_get_cluster(p->io));
	}
	if (p->efd >= 0)
		close(p->efd);
	free(p);
}

int bs_rbd_pr_poll(struct bs_rbd_pr *p)
{
	int ret;

	bs_eventfd_clear(p->efd);
	if (atomic_load(&p->watch) == BS_RBD_PR_WATCHING)
		return 1;
	ret = bs_rbd_pr_watch(p);
	if (ret) {
		dev_log(LOG_WARNING, p->dev,
			"rbd: watch on %s lost and not restored: %s; "
			"changes by the other host are seen at its next "
			"reservation command",
			p->oid, strerror(-ret));
		return ret;
	}
	dev_log(LOG_NOTICE, p->dev, "rbd: watch on %s restored", p->oid);
	return 1;
}

/* The decimal version xattr value (not NUL-terminated) or -EBADMSG. */
static int bs_rbd_pr_parse_ver(const char *v, size_t len, uint64_t *ver)
{
	uint64_t n = 0;

	if (!len || len > 20)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*ver = n;
	return 0;
}

/* Find the version among the xattrs of a read operation. */
static int bs_rbd_pr_find_ver(rados_xattrs_iter_t it, uint64_t *ver)
{
	const char *name, *val;
	size_t len;
	int ret = -EBADMSG;

	for (;;) {
		if (rados_getxattrs_next(it, &name, &val, &len) || !name)
			break;
		if (!strcmp(name, BS_RBD_PR_XATTR))
			ret = bs_rbd_pr_parse_ver(val, len, ver);
	}
	return ret;
}

int bs_rbd_pr_read(struct bs_rbd_pr *p, void *buf, size_t cap, size_t *len,
		   uint64_t *ver)
{
	rados_read_op_t op = rados_create_read_op();
	rados_xattrs_iter_t it = NULL;
	int r_stat = 0, r_read = 0, r_xattr = 0, ret;
	uint64_t size = 0;
	size_t got = 0;

	if (!op)
		return -ENOMEM;
	rados_read_op_stat(op, &size, NULL, &r_stat);
	rados_read_op_read(op, 0, cap, buf, &got, &r_read);
	rados_read_op_getxattrs(op, &it, &r_xattr);
	ret = rados_read_op_operate(op, p->io, p->oid, 0);
	if (ret == -ENOENT) {
		*len = 0;
		*ver = 0;
		ret = 0;
		goto out;
	}
	if (!ret)
		ret = r_stat ? r_stat : r_read ? r_read : r_xattr;
	if (!ret && size > cap)
		ret = -EFBIG;
	if (!ret)
		ret = bs_rbd_pr_find_ver(it, ver);
	if (!ret)
		*len = got;
out:
	if (it)
		rados_getxattrs_end(it);
	rados_release_read_op(op);
	return ret;
}

/*
 * Tell the other watchers that the object changed, without waiting for
 * their acknowledgements (doc/ceph.md "Change notification"): the OSD
 * delivers a notify to every live watcher whether or not the notifier
 * waits, so waiting bought no delivery, only the knowledge that it
 * happened, and a watcher that never acknowledges (a host that died,
 * until the OSD expires its watch) made every PR OUT wait the whole
 * timeout with the LU's lock held.  What the other hosts answer from
 * their copy is bounded by the delivery, as before; PR commands never
 * use the copy (they read the object and write it by compare-and-swap).
 * Out of slots or memory: wait for the oldest notify, as before.
 */
static void bs_rbd_pr_notify(struct bs_rbd_pr *p)
{
	rados_completion_t c;
	int ret;

	bs_rbd_pr_reap(p, false);
	if (p->n_notifying == BS_RBD_PR_NOTIFIES) {
		rados_aio_wait_for_complete(p->notifying[0]);
		bs_rbd_pr_reap(p, false);
	}
	ret = rados_aio_create_completion2(NULL, NULL, &c);
	if (!ret) {
		ret = rados_aio_notify(p->io, p->oid, c, NULL, 0,
				       BS_RBD_PR_NOTIFY_MS, NULL, NULL);
		if (ret)
			rados_aio_release(c);
	}
	if (ret) {
		dev_log(LOG_WARNING, p->dev,
			"rbd: cannot notify %s: %s; the other host sees the "
			"change at its next reservation command",
			p->oid, strerror(-ret));
		return;
	}
	p->notifying[p->n_notifying++] = c;
}

/* One compare-and-swap write on an object that exists. */
static int bs_rbd_pr_cas(struct bs_rbd_pr *p, const void *buf, size_t len,
			 const char *old, const char *next)
{
	rados_write_op_t op = rados_create_write_op();
	int ret;

	if (!op)
		return -ENOMEM;
	rados_write_op_cmpxattr(op, BS_RBD_PR_XATTR, LIBRADOS_CMPXATTR_OP_EQ,
				old, strlen(old));
	rados_write_op_write_full(op, buf, len);
	rados_write_op_setxattr(op, BS_RBD_PR_XATTR, next, strlen(next));
	ret = rados_write_op_operate(op, p->io, p->oid, NULL, 0);
	rados_release_write_op(op);
	return ret;
}

int bs_rbd_pr_write(struct bs_rbd_pr *p, const void *buf, size_t len,
		    uint64_t *ver)
{
	char old[24], next[24];
	int ret;

	snprintf(old, sizeof(old), "%" PRIu64, *ver);
	snprintf(next, sizeof(next), "%" PRIu64, *ver + 1);
	ret = bs_rbd_pr_cas(p, buf, len, old, next);
	/*
	 * Version 0 may also be an absent object (removed by hand): create
	 * it, exclusively, so that two hosts doing so cannot both succeed.
	 */
	if (ret == -ENOENT && !*ver) {
		ret = bs_rbd_pr_create(p, buf, len, next);
		if (ret == -EEXIST)
			ret = -ECANCELED;
	} else if (ret == -ENOENT) {
		ret = -ECANCELED; /* removed since our read: read again */
	}
	if (ret)
		return ret;
	(*ver)++;
	bs_rbd_pr_notify(p);
	return 0;
}
