/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Ceph RBD engine (librbd; doc/ceph.md).  A device is one RBD image, named
 * by its path "pool/image" or "pool/namespace/image"; open() connects one
 * librados cluster handle per device and opens the image on it, all on
 * the main thread, so every blocking librados call happens there.
 *
 * Data path: every I/O is one rbd_aio_* call with an rbd completion whose
 * callback runs on a librbd thread.  That callback only queues (io, res)
 * on the submitting worker's context (a done queue behind a mutex, the
 * only state shared with librbd's threads) and writes the context eventfd;
 * the worker then runs the I/O's callback from ctx_poll() on its own
 * thread.  No thread per I/O, and nothing on the worker blocks: a cluster
 * that stops answering makes librados fail the operation with -ETIMEDOUT
 * after ceph_timeout seconds (rados_osd_op_timeout), which the SCSI layer
 * turns into HARDWARE ERROR / INTERNAL TARGET FAILURE (doc/ceph.md).
 *
 * FUA (and every write on a write-through device) is the write followed,
 * once it completed, by rbd_aio_flush: librbd has no per-write FUA flag.
 * The flush is issued from ctx_poll() on the worker, never from librbd's
 * callback.  A write-through device turns librbd's own cache off
 * (rbd_cache = false), so its writes are acknowledged by the OSDs only
 * once they are stable and the extra flush is skipped.  A write-back
 * device's cache acknowledges writes early from the first one on, not only
 * after the initiator's first flush (bs_rbd_configure()).
 *
 * DISCARD is rbd_aio_discard; librbd may skip the unaligned parts of a
 * discard range (rbd_discard_granularity_bytes), so discarded blocks are
 * not promised to read as zeroes (LBPRZ 0).  WRITE_ZEROES is
 * rbd_aio_write_zeroes, which does promise zeroes.
 *
 * COMPARE_WRITE is rbd_aio_compare_and_write: the OSD compares and writes
 * in one operation on the object, so it is atomic against every client of
 * the image, other srptd hosts included.  librbd 16 (Debian 12) takes only
 * a range inside one 512-byte sector (-EINVAL otherwise, measured): one
 * block of a 512-byte-block device.  submit() refuses any other range with
 * -EOPNOTSUPP and the SCSI layer falls back to its own read-compare-write
 * (doc/ceph.md).  librbd reports the mismatch offset from the start of
 * the range.
 *
 * A device whose size follows the image (size 0 in the configuration)
 * watches the image header (rbd_update_watch): librbd's callback, on one
 * of its threads, only writes the device's watch eventfd; the main thread
 * sees it (ops->watch_fd) and re-reads the size through resize(bdev, 0),
 * which exports the image's new size whether it grew or shrank, as the
 * file engines do for a file (doc/ceph.md, Resize).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <rados/librados.h>
#include <rbd/librbd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "bs_internal.h"

/* librbd 16 compares and writes within one such sector only. */
#define BS_RBD_CAW_SECTOR 512u

/* Per device: the librados handle, the pool I/O context and the image. */
struct bs_rbd_dev {
	rados_t cluster;
	rados_ioctx_t ioctx;
	rbd_image_t image;
	uint64_t image_size; /* bytes, as last read */
	bool cache_on; /* librbd's write-back cache (rbd_cache) */
	int watch_efd; /* -1: the image is not watched (fixed size) */
	uint64_t watch_handle; /* rbd_update_watch's, while watch_efd >= 0 */
};

struct srptd_backend_ctx {
	struct bs_ctx_head head; /* done: filled by librbd's threads */
	pthread_mutex_t lock; /* guards head.done against those threads */
};
BS_CTX_HEAD_FIRST(struct srptd_backend_ctx);

/* Where an accepted I/O is; kept in io->engine_priv[BS_RBD_PRIV_PHASE]. */
enum bs_rbd_phase {
	BS_RBD_MAIN, /* the operation itself */
	BS_RBD_FLUSH, /* the flush that makes a FUA write durable */
};

enum {
	BS_RBD_PRIV_CTX, /* the submitting context */
	BS_RBD_PRIV_PHASE, /* enum bs_rbd_phase */
	BS_RBD_PRIV_MISMATCH, /* COMPARE_WRITE: librbd's mismatch offset */
};

static struct bs_rbd_dev *bs_rbd_dev(const struct srptd_bdev *bdev)
{
	return bdev->priv;
}

static int bs_rbd_probe(void)
{
	return bs_engine_disabled_by_env("rbd") ? -ENODEV : 0;
}

/*
 * Split "pool/image" or "pool/namespace/image" into buf (room for the
 * whole spec); *ns is "" without a namespace.  -EINVAL when a part is
 * empty or there are more than three.
 */
static int bs_rbd_parse_spec(const char *spec, char *buf, size_t len,
			     const char **pool, const char **ns,
			     const char **image)
{
	char *a, *b;

	if (!spec || strlen(spec) >= len)
		return -EINVAL;
	strcpy(buf, spec);
	a = strchr(buf, '/');
	if (!a)
		return -EINVAL;
	*a++ = '\0';
	b = strchr(a, '/');
	if (b) {
		*b++ = '\0';
		*ns = a;
		*image = b;
		if (!*a || strchr(b, '/'))
			return -EINVAL;
	} else {
		*ns = "";
		*image = a;
	}
	*pool = buf;
	return **pool && **image ? 0 : -EINVAL;
}

/*
 * Configure the cluster handle: the configuration file (NULL: librados'
 * own search, $CEPH_CONF then /etc/ceph/ceph.conf), the keyring, and the
 * timeouts that bound every blocking call (connect at open) and every
 * operation (the data path).  The timeouts are set after the file, so the
 * device's ceph_timeout wins over the file.
 */
static int bs_rbd_configure(struct bs_rbd_dev *r,
			    const struct srptd_bdev_params *p)
{
	static const char *const timeouts[] = {
		"client_mount_timeout",
		"rados_mon_op_timeout",
		"rados_osd_op_timeout",
	};
	char val[32];
	size_t i;
	int ret;

	ret = rados_conf_read_file(r->cluster, p->ceph_conf);
	if (ret) {
		dev_log(LOG_ERR, p->name, "rbd: cannot read %s: %s",
			p->ceph_conf ? p->ceph_conf : "the Ceph configuration",
			strerror(-ret));
		return ret;
	}
	if (p->ceph_keyring) {
		ret = rados_conf_set(r->cluster, "keyring", p->ceph_keyring);
		if (ret)
			return ret;
	}
	snprintf(val, sizeof(val), "%u", p->ceph_timeout);
	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		ret = rados_conf_set(r->cluster, timeouts[i], val);
		if (ret)
			return ret;
	}
	/*
	 * A write-back device tells the initiator its cache is volatile
	 * (WCE=1 in the caching mode page, SBC-3 6.4), so the initiator flushes
	 * with SYNCHRONIZE CACHE and FUA, which srptd turns into
	 * rbd_aio_flush.  librbd's rbd_cache_writethrough_until_flush
	 * (default true) guards clients that never flush: it keeps the
	 * cache write-through until the image's first flush.  Left on, every
	 * write waited for the OSDs until the initiator's first SYNCHRONIZE
	 * CACHE -- and for good in a benchmark that never sends one -- while
	 * fio's rbd engine flushes once at open and gets write-around
	 * (doc/ceph.md, Benchmark).  A write-through device has no librbd
	 * cache at all.
	 */
	ret = rados_conf_set(r->cluster,
			     p->write_cache ?
				     "rbd_cache_writethrough_until_flush" :
				     "rbd_cache",
			     "false");
	if (ret)
		return ret;
	ret = rados_conf_get(r->cluster, "rbd_cache", val, sizeof(val));
	r->cache_on = ret || strcmp(val, "false");
	return 0;
}

static void bs_rbd_release(struct bs_rbd_dev *r)
{
	/* After unwatch returns, librbd runs no more watch callbacks. */
	if (r->watch_efd >= 0) {
		rbd_update_unwatch(r->image, r->watch_handle);
		close(r->watch_efd);
	}
	if (r->image)
		rbd_close(r->image);
	if (r->ioctx)
		rados_ioctx_destroy(r->ioctx);
	if (r->cluster)
		rados_shutdown(r->cluster);
	free(r);
}

static void bs_rbd_close(struct srptd_bdev *bdev)
{
	if (bdev->priv)
		bs_rbd_release(bdev->priv);
	bdev->priv = NULL;
	bs_common_close(bdev);
}

/* The exported size: the image, or the prefix p->size of it. */
static int bs_rbd_geometry(struct srptd_bdev *bdev, struct bs_rbd_dev *r,
			   const struct srptd_bdev_params *p)
{
	uint32_t bs = p->block_size ? p->block_size : 512;
	uint64_t size;

	if (bs != 512 && bs != 4096) {
		dev_log(LOG_ERR, p->name, "rbd: block size %u unsupported", bs);
		return -EINVAL;
	}
	size = p->size ? p->size : r->image_size - r->image_size % bs;
	if (!size || size % bs || size > r->image_size) {
		dev_log(LOG_ERR, p->name,
			"rbd: size %" PRIu64 " does not fit image of %" PRIu64
			" bytes in %u-byte blocks",
			size, r->image_size, bs);
		return -EINVAL;
	}
	bdev->size = size;
	bdev->block_size = bs;
	bdev->phys_block_size = bs;
	return 0;
}

/*
 * rbd_update_watch callback, on a librbd thread, for any change of the
 * image header (size, snapshots, features...): only wake the main thread.
 */
static void bs_rbd_watch_cb(void *arg)
{
	struct bs_rbd_dev *r = arg;

	bs_eventfd_kick(r->watch_efd);
}

/* Follow the image's size: watch its header (see the top of this file). */
static int bs_rbd_watch(struct bs_rbd_dev *r, const char *name)
{
	int efd, ret;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return -errno;
	/* Set before the watch: the callback may run before it returns. */
	r->watch_efd = efd;
	ret = rbd_update_watch(r->image, &r->watch_handle, bs_rbd_watch_cb, r);
	if (ret) {
		r->watch_efd = -1;
		close(efd);
		dev_log(LOG_ERR, name, "rbd: cannot watch the image: %s",
			strerror(-ret));
	}
	return ret;
}

static int bs_rbd_watch_fd(const struct srptd_bdev *bdev)
{
	return bs_rbd_dev(bdev)->watch_efd;
}

static int bs_rbd_open(struct srptd_bdev *bdev,
		       const struct srptd_bdev_params *p)
{
	const char *pool, *ns, *image;
	char spec[256];
	struct bs_rbd_dev *r;
	int ret;

	memset(bdev, 0, sizeof(*bdev));
	bdev->fd = -1;
	if (bs_rbd_parse_spec(p->path, spec, sizeof(spec), &pool, &ns,
			      &image)) {
		dev_log(LOG_ERR, p->name,
			"rbd: path \"%s\" is not pool/image or pool/namespace/image",
			p->path ? p->path : "");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	bdev->name = strdup(p->name ? p->name : "");
	bdev->path = strdup(p->path);
	if (!r || !bdev->name || !bdev->path) {
		free(r);
		ret = -ENOMEM;
		goto err;
	}
	bdev->priv = r;
	r->watch_efd = -1;
	ret = rados_create(&r->cluster, p->ceph_client);
	if (ret) {
		r->cluster = NULL;
		goto err;
	}
	ret = bs_rbd_configure(r, p);
	if (ret)
		goto err;
	ret = rados_connect(r->cluster);
	if (ret) {
		dev_log(LOG_ERR, p->name,
			"rbd: cannot connect to the Ceph cluster as client.%s "
			"(%s): %s",
			p->ceph_client ? p->ceph_client : "admin",
			p->ceph_conf ? p->ceph_conf : "default ceph.conf",
			strerror(-ret));
		goto err;
	}
	ret = rados_ioctx_create(r->cluster, pool, &r->ioctx);
	if (ret) {
		r->ioctx = NULL;
		dev_log(LOG_ERR, p->name, "rbd: pool %s: %s", pool,
			strerror(-ret));
		goto err;
	}
	rados_ioctx_set_namespace(r->ioctx, ns);
	if (p->read_only)
		ret = rbd_open_read_only(r->ioctx, image, &r->image, NULL);
	else
		ret = rbd_open(r->ioctx, image, &r->image, NULL);
	if (ret) {
		r->image = NULL;
		dev_log(LOG_ERR, p->name, "rbd: image %s: %s", p->path,
			strerror(-ret));
		goto err;
	}
	ret = rbd_get_size(r->image, &r->image_size);
	if (ret)
		goto err;
	ret = bs_rbd_geometry(bdev, r, p);
	if (ret)
		goto err;
	if (!p->size) {
		ret = bs_rbd_watch(r, p->name);
		if (ret)
			goto err;
	}
	bdev->read_only = p->read_only;
	bdev->write_cache = p->write_cache;
	bdev->can_discard = !p->read_only;
	bdev->discard_zeroes = false;
	bdev->discard_granularity = bdev->block_size;
	bdev->can_compare_write = !p->read_only;
	return 0;
err:
	bs_rbd_close(bdev);
	return ret;
}

/*
 * new_size 0 re-reads the image size (changed with "rbd resize", here or
 * on another client) and exports all of it, smaller or larger; a larger
 * new_size grows the image itself, a smaller one exports a prefix.
 */
static int bs_rbd_resize(struct srptd_bdev *bdev, uint64_t new_size)
{
	struct bs_rbd_dev *r = bs_rbd_dev(bdev);
	uint64_t cur;
	int ret;

	ret = rbd_get_size(r->image, &cur);
	if (ret)
		return ret;
	r->image_size = cur;
	if (!new_size)
		new_size = cur - cur % bdev->block_size;
	if (!new_size || new_size % bdev->block_size)
		return -EINVAL;
	if (new_size > cur) {
		if (bdev->read_only)
			return -EINVAL;
		ret = rbd_resize(r->image, new_size);
		if (ret)
			return ret;
		r->image_size = new_size;
	}
	/* Re-reading an unchanged size (every reload, every watch event). */
	if (new_size != bdev->size)
		dev_log(LOG_NOTICE, bdev->name,
			"resized from %" PRIu64 " to %" PRIu64 " bytes",
			bdev->size, new_size);
	bdev->size = new_size;
	return 0;
}

static void bs_rbd_ctx_destroy(struct srptd_backend_ctx *ctx)
{
	pthread_mutex_destroy(&ctx->lock);
	bs_ctx_free(ctx);
}

static int bs_rbd_ctx_create(unsigned int depth, struct srptd_backend_ctx **out)
{
	int ret = bs_ctx_alloc(sizeof(**out), depth, out);

	if (!ret)
		pthread_mutex_init(&(*out)->lock, NULL);
	return ret;
}

/*
 * librbd's completion callback, on one of its threads: only hand the
 * result to the owning worker.  The done queue never overflows: it holds
 * depth entries and each accepted I/O has at most one operation in
 * flight.
 */
static void bs_rbd_cb(rbd_completion_t c, void *arg)
{
	struct srptd_io *io = arg;
	struct srptd_backend_ctx *ctx =
		(void *)(uintptr_t)io->engine_priv[BS_RBD_PRIV_CTX];
	ssize_t rv = rbd_aio_get_return_value(c);
	bool kick;
	int res;

	rbd_aio_release(c);
	if (rv == -EILSEQ && io->op == SRPTD_IO_COMPARE_WRITE) {
		io->miscompare = io->engine_priv[BS_RBD_PRIV_MISMATCH];
		res = -EILSEQ;
	} else if (rv < 0)
		res = (int)rv;
	else if (io->op == SRPTD_IO_READ &&
		 io->engine_priv[BS_RBD_PRIV_PHASE] == BS_RBD_MAIN &&
		 (uint64_t)rv != io->length)
		res = -EIO; /* the image shrank under us: never report a hole */
	else
		res = 0;
	pthread_mutex_lock(&ctx->lock);
	bs_doneq_push(&ctx->head.done, io, res);
	kick = ctx->head.done.count == 1;
	pthread_mutex_unlock(&ctx->lock);
	/*
	 * One eventfd write per batch: entries behind the first are seen by
	 * the ctx_poll() that drains the first, which re-kicks if it leaves
	 * any (doc/ceph.md, Benchmark).
	 */
	if (kick)
		bs_eventfd_kick(ctx->head.efd);
}

/* Start the current phase of io in librbd; 0 or -errno (nothing queued). */
static int bs_rbd_issue(struct srptd_io *io)
{
	struct bs_rbd_dev *r = bs_rbd_dev(io->bdev);
	rbd_completion_t c;
	int ret;

	ret = rbd_aio_create_completion(io, bs_rbd_cb, &c);
	if (ret)
		return ret;
	if (io->engine_priv[BS_RBD_PRIV_PHASE] == BS_RBD_FLUSH) {
		ret = rbd_aio_flush(r->image, c);
		goto out;
	}
	switch (io->op) {
	case SRPTD_IO_READ:
		ret = rbd_aio_readv(r->image, io->iov, (int)io->iovcnt,
				    io->offset, c);
		break;
	case SRPTD_IO_WRITE:
		ret = rbd_aio_writev(r->image, io->iov, (int)io->iovcnt,
				     io->offset, c);
		break;
	case SRPTD_IO_FLUSH:
		ret = rbd_aio_flush(r->image, c);
		break;
	case SRPTD_IO_DISCARD:
		ret = rbd_aio_discard(r->image, io->offset, io->length, c);
		break;
	case SRPTD_IO_WRITE_ZEROES:
		ret = rbd_aio_write_zeroes(r->image, io->offset, io->length, c,
					   0, 0);
		break;
	case SRPTD_IO_COMPARE_WRITE:
		ret = (int)rbd_aio_compare_and_write(
			r->image, io->offset, io->length, io->iov[0].iov_base,
			(const char *)io->iov[0].iov_base + io->length, c,
			&io->engine_priv[BS_RBD_PRIV_MISMATCH], 0);
		break;
	default:
		ret = -EINVAL;
		break;
	}
out:
	if (ret < 0)
		rbd_aio_release(c);
	return ret < 0 ? ret : 0;
}

static int bs_rbd_submit(struct srptd_backend_ctx *ctx, struct srptd_io *io)
{
	int ret = bs_check_io(io->bdev, io);

	if (ret)
		return ret;
	if (io->op == SRPTD_IO_COMPARE_WRITE) {
		if (io->iovcnt != 1 || io->iov[0].iov_len != 2 * io->length)
			return -EINVAL;
		if (io->offset % BS_RBD_CAW_SECTOR + io->length >
		    BS_RBD_CAW_SECTOR)
			return -EOPNOTSUPP;
	}
	if (ctx->head.inflight >= ctx->head.depth)
		return -EAGAIN;
	io->engine_priv[BS_RBD_PRIV_CTX] = (uintptr_t)ctx;
	io->engine_priv[BS_RBD_PRIV_PHASE] = BS_RBD_MAIN;
	ret = bs_rbd_issue(io);
	if (ret)
		return ret == -EAGAIN ? -ENOMEM : ret;
	ctx->head.inflight++;
	return 0;
}

/*
 * After the main phase: does this write still need a flush to be durable?
 * Without librbd's cache the OSDs acknowledged it stable already.
 */
static bool bs_rbd_needs_flush(const struct srptd_io *io)
{
	if (io->op != SRPTD_IO_WRITE && io->op != SRPTD_IO_WRITE_ZEROES &&
	    io->op != SRPTD_IO_COMPARE_WRITE)
		return false;
	if (io->engine_priv[BS_RBD_PRIV_PHASE] != BS_RBD_MAIN)
		return false;
	if (!(io->flags & SRPTD_IO_F_FUA) && io->bdev->write_cache)
		return false;
	return bs_rbd_dev(io->bdev)->cache_on;
}

static int bs_rbd_ctx_poll(struct srptd_backend_ctx *ctx, unsigned int max)
{
	struct srptd_io *io;
	unsigned int n = 0;
	bool more;
	int res;

	bs_eventfd_clear(ctx->head.efd);
	while (n < max) {
		pthread_mutex_lock(&ctx->lock);
		more = bs_doneq_pop(&ctx->head.done, &io, &res);
		pthread_mutex_unlock(&ctx->lock);
		if (!more)
			break;
		if (!res && bs_rbd_needs_flush(io)) {
			io->engine_priv[BS_RBD_PRIV_PHASE] = BS_RBD_FLUSH;
			res = bs_rbd_issue(io);
			if (!res)
				continue;
		}
		ctx->head.inflight--;
		n++;
		io->complete(io, res);
	}
	pthread_mutex_lock(&ctx->lock);
	more = ctx->head.done.count;
	pthread_mutex_unlock(&ctx->lock);
	if (more)
		bs_eventfd_kick(ctx->head.efd);
	return (int)n;
}

int bs_rbd_image_ref(const struct srptd_bdev *bdev, rados_ioctx_t *io, char *id,
		     size_t len)
{
	struct bs_rbd_dev *r = bs_rbd_dev(bdev);

	if (bdev->ops != &bs_rbd_ops || !r)
		return -EINVAL;
	*io = r->ioctx;
	return rbd_get_id(r->image, id, len);
}

const struct srptd_backend_ops bs_rbd_ops = {
	.name = "rbd",
	.probe = bs_rbd_probe,
	.open = bs_rbd_open,
	.close = bs_rbd_close,
	.ctx_create = bs_rbd_ctx_create,
	.ctx_destroy = bs_rbd_ctx_destroy,
	.ctx_event_fd = bs_ctx_event_fd,
	.ctx_poll = bs_rbd_ctx_poll,
	.submit = bs_rbd_submit,
	.resize = bs_rbd_resize,
	.watch_fd = bs_rbd_watch_fd,
};
