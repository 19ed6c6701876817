/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Storage backend plug-in API.  This is the only header an engine needs.
 *
 * Model: a *device* (struct srptd_bdev) is one opened storage object (a file,
 * a block device, or nothing for the null engine).  A *context* (struct
 * srptd_backend_ctx) is per engine per worker thread: one io_uring ring, one
 * aio context, one sync thread pool, owned by exactly one thread.  I/O on any
 * device of an engine is submitted through the submitting worker's context
 * of that engine, and its completion runs on that same worker, from inside
 * ops->ctx_poll().
 *
 * Offsets and lengths are in bytes; the SCSI layer has already checked them
 * against the device size and block size, so engines do not re-validate.
 */
#ifndef SRPTD_BACKEND_H
#define SRPTD_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct srptd_backend_ops;
struct srptd_backend_ctx;

enum srptd_io_op {
	SRPTD_IO_READ, /* read length bytes at offset into iov */
	SRPTD_IO_WRITE, /* write length bytes from iov at offset */
	SRPTD_IO_FLUSH, /* make all completed writes durable (fdatasync) */
	SRPTD_IO_DISCARD, /* deallocate [offset, offset+length) (UNMAP) */
	SRPTD_IO_WRITE_ZEROES, /* make [offset, offset+length) read as zeroes */
	/*
	 * Optional (bdev->can_compare_write): atomically against every
	 * client of the store, other hosts included, compare the length
	 * bytes at offset with the first length bytes of iov and only if
	 * they are equal write the next length bytes there.  iov is ONE
	 * entry of 2 * length bytes.  -EILSEQ: they differ, nothing was
	 * written, io->miscompare holds the offset of the first differing
	 * byte from io->offset.  -EOPNOTSUPP (from submit or at completion):
	 * not for this range; the caller does without (SCSI COMPARE AND
	 * WRITE: its own read-compare-write, src/scsi/sbc.c).
	 */
	SRPTD_IO_COMPARE_WRITE,
};

/*
 * WRITE and COMPARE_WRITE: durable before completion (SCSI FUA, or
 * write-through device).
 */
#define SRPTD_IO_F_FUA (1u << 0)

struct srptd_io {
	enum srptd_io_op op;
	uint32_t flags; /* SRPTD_IO_F_* */
	uint64_t offset; /* bytes from the start of the device */
	uint64_t length; /* bytes; READ/WRITE: sum of iov lengths */
	struct iovec *iov; /* READ/WRITE data; engine does not free */
	unsigned int iovcnt;
	struct srptd_bdev *bdev; /* device the I/O is for */
	/*
	 * Called exactly once per accepted submission, on the thread that
	 * owns the context, from inside ops->ctx_poll() (never from inside
	 * ops->submit(), so callers may resubmit from the callback).
	 * res is 0 when all length bytes were transferred, else -errno;
	 * engines retry short transfers themselves and never report one.
	 */
	void (*complete)(struct srptd_io *io, int res);
	void *cb_arg; /* caller's; engines do not touch */
	uint64_t engine_priv[4]; /* scratch for the engine */
	uint64_t miscompare; /* COMPARE_WRITE -EILSEQ: see the op */
};

/* What the configuration asks for when opening a device. */
struct srptd_bdev_params {
	const char *name; /* config name, used in log prefixes */
	const char *path; /* file or block device; NULL for null engine */
	uint64_t size; /* bytes; 0 = size of the file or device */
	uint32_t block_size; /* 0 = logical block size of the device, 512 for files */
	bool read_only;
	bool direct_io; /* O_DIRECT (always used for block devices) */
	bool create; /* create a sparse file of size bytes if missing */
	bool write_cache; /* write-back (flush on SYNCHRONIZE CACHE) */
	/* rbd engine only; path is "pool/image" or "pool/namespace/image". */
	const char *ceph_conf; /* NULL: librados' default search */
	const char *ceph_client; /* client id without "client."; NULL: admin */
	const char *ceph_keyring; /* NULL: what ceph_conf says */
	unsigned int ceph_timeout; /* seconds for connect and each operation */
};

struct srptd_bdev {
	const struct srptd_backend_ops *ops;
	char *name;
	char *path;
	int fd; /* -1 when the engine has no file */
	uint64_t size; /* bytes, a multiple of block_size */
	uint32_t block_size; /* logical block size: 512 or 4096 */
	uint32_t phys_block_size;
	bool read_only;
	bool is_blockdev;
	bool direct_io;
	/*
	 * A regular file on tmpfs or ramfs, opened without O_DIRECT: page
	 * cache only, so a write is a memory copy that never waits for I/O.
	 */
	bool mem_backed;
	bool write_cache; /* false: every write is issued with FUA */
	bool can_discard; /* DISCARD supported (punch hole / BLKDISCARD) */
	bool discard_zeroes; /* discarded blocks read back as zeroes (LBPRZ) */
	uint32_t discard_granularity; /* bytes */
	bool can_compare_write; /* SRPTD_IO_COMPARE_WRITE supported */
	void *priv; /* engine's */
};

/*
 * Engine operations.  All callbacks are mandatory unless marked optional.
 * Returns are 0 or -errno.
 */
struct srptd_backend_ops {
	const char *name; /* "io_uring", "aio", "sync", "null", "rbd" */

	/*
	 * Can this engine run on this kernel/process (io_uring disabled by
	 * sysctl, aio-max-nr exhausted...)?  Called once at start before any
	 * open; cheap and side-effect free.  0 if usable.
	 */
	int (*probe)(void);

	/*
	 * Open the storage object described by p and fill in bdev (size,
	 * block sizes, capabilities, fd).  Runs on the main thread.  Errors:
	 * -ENOENT missing path, -EACCES, -EINVAL bad geometry (size not a
	 * multiple of the block size, block size unsupported).
	 */
	int (*open)(struct srptd_bdev *bdev, const struct srptd_bdev_params *p);

	/* Release what open() acquired; no I/O is outstanding. */
	void (*close)(struct srptd_bdev *bdev);

	/*
	 * Create the calling worker's context able to hold depth I/Os in
	 * flight.  The context is used only by the thread that created it.
	 */
	int (*ctx_create)(unsigned int depth, struct srptd_backend_ctx **ctx);

	/* Destroy a context; every submitted I/O has completed. */
	void (*ctx_destroy)(struct srptd_backend_ctx *ctx);

	/*
	 * An fd that becomes readable (EPOLLIN) when ctx_poll() has work:
	 * the worker adds it to its epoll set.  The engine clears it in
	 * ctx_poll().  Never -1.
	 */
	int (*ctx_event_fd)(struct srptd_backend_ctx *ctx);

	/*
	 * Reap up to max completions without blocking and run their
	 * callbacks; also push any I/O the engine had queued internally.
	 * Returns the number of callbacks run.
	 */
	int (*ctx_poll)(struct srptd_backend_ctx *ctx, unsigned int max);

	/*
	 * Queue io.  0: accepted, io->complete will run later from
	 * ctx_poll().  -EAGAIN: the context is full; nothing was queued and
	 * the caller retries after a completion.  Other -errno: rejected
	 * (e.g. -EOPNOTSUPP for DISCARD without support); complete is NOT
	 * called.
	 */
	int (*submit)(struct srptd_backend_ctx *ctx, struct srptd_io *io);

	/*
	 * Optional.  plugged true: submit() may keep what it accepts in the
	 * context, unsent, until ctx_plug(ctx, false) hands all of it to
	 * the kernel at once (io_uring: one io_uring_enter for a worker's
	 * whole wake-up, doc/performance.md "One submission per wake-up").
	 * The worker unplugs before it sleeps.  Engines without it submit
	 * each I/O in submit().
	 */
	void (*ctx_plug)(struct srptd_backend_ctx *ctx, bool plugged);

	/*
	 * Optional.  Register buffers that later iovs will point into (the
	 * worker's RDMA buffer pool) so the engine can use fixed buffers.
	 * I/O on other memory must still work.
	 */
	int (*register_buffers)(struct srptd_backend_ctx *ctx,
				const struct iovec *iov, unsigned int n);

	/*
	 * Optional.  Change the exported size (online resize; the caller
	 * then reports CAPACITY DATA HAS CHANGED).  new_size 0 re-reads the
	 * size of the file or block device (grown by the administrator);
	 * otherwise a writable file grows sparsely to new_size and a smaller
	 * new_size exports a prefix without truncating.  Runs on the main
	 * thread; on success bdev->size is updated.  -EINVAL: not a non-zero
	 * multiple of the block size, or beyond a block device / read-only
	 * file.
	 */
	int (*resize)(struct srptd_bdev *bdev, uint64_t new_size);

	/*
	 * Optional.  An eventfd that becomes readable (EPOLLIN) when the
	 * backing store may have changed size outside srptd (another client
	 * resized the RBD image), or -1 when the device does not follow its
	 * store (open() got a fixed p->size).  Valid from open() to close().
	 * The main thread watches it, reads it (8 bytes) to clear it, then
	 * calls resize(bdev, 0); the event may be spurious (any change of
	 * the store's metadata), so the size may be the same.
	 */
	int (*watch_fd)(const struct srptd_bdev *bdev);
};

/* Registry (src/backend/registry.c). */
const struct srptd_backend_ops *srptd_backend_find(const char *name);

/*
 * Open a device with engine, falling back along the NULL-terminated list
 * when an engine's probe() fails (logged).  On success *used names the
 * engine in use.
 */
int srptd_backend_open(struct srptd_bdev *bdev, const char *engine,
		       const char *const *fallback,
		       const struct srptd_bdev_params *p,
		       const struct srptd_backend_ops **used);
void srptd_backend_close(struct srptd_bdev *bdev);

#endif
