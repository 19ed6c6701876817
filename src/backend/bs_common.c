/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Device open and blocking helpers shared by every file-backed engine.
 *
 * Files and block devices differ only here; the engines see an fd, a size,
 * a block size and capability flags in struct srptd_bdev.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "bs_internal.h"

/* Chunk used when WRITE_ZEROES has to be emulated with plain writes. */
#define BS_ZERO_CHUNK (1u << 20)
#define BS_DIO_ALIGN 4096

bool bs_engine_disabled_by_env(const char *name)
{
	const char *list = getenv("SRPTD_TEST_DISABLE_ENGINE");
	size_t n = strlen(name);

	while (list && *list) {
		const char *end = strchrnul(list, ',');

		if ((size_t)(end - list) == n && !strncmp(list, name, n))
			return true;
		list = *end ? end + 1 : end;
	}
	return false;
}

void bs_eventfd_kick(int efd)
{
	uint64_t one = 1;
	ssize_t r;

	do
		r = write(efd, &one, sizeof(one));
	while (r < 0 && errno == EINTR);
}

void bs_eventfd_clear(int efd)
{
	uint64_t v;
	ssize_t r;

	do
		r = read(efd, &v, sizeof(v));
	while (r < 0 && errno == EINTR);
}

/* mkdir -p of the directory part of path. */
static int bs_mkdir_parents(const char *path)
{
	char *dup = strdup(path);
	char *p;
	int ret = 0;

	if (!dup)
		return -ENOMEM;
	for (p = dup + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dup, 0755) && errno != EEXIST) {
			ret = -errno;
			break;
		}
		*p = '/';
	}
	free(dup);
	return ret;
}

/* Read a number from /sys/dev/block/MAJ:MIN/queue/<attr>; -errno. */
static int bs_sysfs_queue_u64(dev_t rdev, const char *attr, uint64_t *val)
{
	char path[128];
	unsigned long long v;
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/%s",
		 major(rdev), minor(rdev), attr);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%llu", &v) != 1)
		ret = -EINVAL;
	else
		*val = v;
	fclose(f);
	return ret;
}

static int bs_open_fd(const struct srptd_bdev_params *p, int flags, bool *dio)
{
	int fd;

	fd = open(p->path, flags | (*dio ? O_DIRECT : 0));
	if (fd < 0 && *dio && errno == EINVAL) {
		/* tmpfs and some FUSE filesystems refuse O_DIRECT. */
		dev_log(LOG_WARNING, p->name,
			"%s: O_DIRECT not supported by the filesystem, using buffered I/O",
			p->path);
		*dio = false;
		fd = open(p->path, flags);
	}
	return fd < 0 ? -errno : fd;
}

static int bs_create_file(const struct srptd_bdev_params *p)
{
	int fd, ret;

	if (!p->size) {
		dev_log(LOG_ERR, p->name, "%s: create needs a size", p->path);
		return -EINVAL;
	}
	ret = bs_mkdir_parents(p->path);
	if (ret) {
		dev_log(LOG_ERR, p->name, "cannot create parents of %s: %s",
			p->path, strerror(-ret));
		return ret;
	}
	fd = open(p->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		/* Lost a race with another creator: use its file. */
		return ret == -EEXIST ? 0 : ret;
	}
	/* Sparse: only the size is set, no blocks are allocated. */
	if (ftruncate(fd, (off_t)p->size)) {
		ret = -errno;
		close(fd);
		unlink(p->path);
		return ret;
	}
	close(fd);
	dev_log(LOG_NOTICE, p->name, "created sparse file %s (%llu bytes)",
		p->path, (unsigned long long)p->size);
	return 0;
}

/* Capabilities of a block device, from the kernel's queue limits. */
static void bs_blockdev_caps(struct srptd_bdev *bdev, dev_t rdev)
{
	uint64_t v = 0;

	if (!bs_sysfs_queue_u64(rdev, "discard_max_bytes", &v) && v)
		bdev->can_discard = !bdev->read_only;
	if (!bs_sysfs_queue_u64(rdev, "discard_granularity", &v))
		bdev->discard_granularity = (uint32_t)v;
	/* Removed from newer kernels (reads 0): then LBPRZ is not claimed. */
	v = 0;
	bs_sysfs_queue_u64(rdev, "discard_zeroes_data", &v);
	bdev->discard_zeroes = bdev->can_discard && v;
}

/*
 * Probe hole punching without touching data: punching a range past EOF
 * with KEEP_SIZE changes nothing but fails with EOPNOTSUPP where holes are
 * not supported.
 */
static void bs_file_caps(struct srptd_bdev *bdev, const struct stat *st)
{
	bdev->discard_granularity = st->st_blksize ? st->st_blksize : 4096;
	if (bdev->read_only)
		return;
	if (!fallocate(bdev->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       (off_t)ALIGN_UP((uint64_t)st->st_size, 4096) + 4096,
		       4096)) {
		bdev->can_discard = true;
		bdev->discard_zeroes = true; /* holes read back as zeroes */
	}
}

/*
 * Open rules:
 *  - block_size is 512 or 4096 (0: device logical block size, or 512 for
 *    files); it may not be smaller than a block device's logical block size;
 *  - size 0 means the whole file or device; a configured size larger than
 *    a writable file grows it (sparse), larger than a block device or a
 *    read-only file is -EINVAL; the size must be a multiple of block_size;
 *  - block devices always use O_DIRECT (no double caching); files use it
 *    when direct_io is set and the filesystem allows it.
 */
int bs_common_open(struct srptd_bdev *bdev, const struct srptd_bdev_params *p)
{
	int flags = (p->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	const char *name = p->name ? p->name : "?";
	bool dio = p->direct_io;
	struct statfs sfs;
	uint64_t size;
	struct stat st;
	int ret, fd;

	memset(bdev, 0, sizeof(*bdev));
	bdev->fd = -1;
	if (!p->path || !*p->path) {
		dev_log(LOG_ERR, name, "no path configured");
		return -EINVAL;
	}
	if (p->block_size && p->block_size != 512 && p->block_size != 4096) {
		dev_log(LOG_ERR, name,
			"block size %u unsupported (512 or 4096)",
			p->block_size);
		return -EINVAL;
	}
	bdev->name = strdup(name);
	bdev->path = strdup(p->path);
	if (!bdev->name || !bdev->path) {
		ret = -ENOMEM;
		goto err;
	}
	bdev->read_only = p->read_only;
	bdev->write_cache = p->write_cache;

	if (stat(p->path, &st)) {
		ret = -errno;
		if (ret == -ENOENT && p->create)
			ret = bs_create_file(p);
		if (ret)
			goto err_log;
		if (stat(p->path, &st)) {
			ret = -errno;
			goto err_log;
		}
	}
	if (S_ISBLK(st.st_mode)) {
		bdev->is_blockdev = true;
		dio = true;
	} else if (!S_ISREG(st.st_mode)) {
		dev_log(LOG_ERR, name,
			"%s is neither a file nor a block device", p->path);
		ret = -EINVAL;
		goto err;
	}
	fd = bs_open_fd(p, flags, &dio);
	if (fd < 0) {
		ret = fd;
		goto err_log;
	}
	bdev->fd = fd;
	bdev->direct_io = dio;
	if (!bdev->is_blockdev && !dio && !fstatfs(fd, &sfs) &&
	    (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC))
		bdev->mem_backed = true;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto err_log;
	}

	if (bdev->is_blockdev) {
		int lbs = 512;
		unsigned int pbs = 512;
		uint64_t bytes;

		if (ioctl(fd, BLKGETSIZE64, &bytes) ||
		    ioctl(fd, BLKSSZGET, &lbs)) {
			ret = -errno;
			goto err_log;
		}
		if (ioctl(fd, BLKPBSZGET, &pbs))
			pbs = (unsigned int)lbs;
		bdev->block_size = p->block_size ? p->block_size :
						   (uint32_t)lbs;
		if (bdev->block_size < (uint32_t)lbs ||
		    (bdev->block_size != 512 && bdev->block_size != 4096)) {
			dev_log(LOG_ERR, name,
				"block size %u unusable on %s (logical block size %d)",
				bdev->block_size, p->path, lbs);
			ret = -EINVAL;
			goto err;
		}
		bdev->phys_block_size = MAX(pbs, bdev->block_size);
		if (p->size > bytes) {
			dev_log(LOG_ERR, name,
				"size %llu exceeds %s (%llu bytes)",
				(unsigned long long)p->size, p->path,
				(unsigned long long)bytes);
			ret = -EINVAL;
			goto err;
		}
		size = p->size ? p->size : bytes;
		bs_blockdev_caps(bdev, st.st_rdev);
	} else {
		bdev->block_size = p->block_size ? p->block_size : 512;
		bdev->phys_block_size = bdev->block_size;
		size = p->size ? p->size : (uint64_t)st.st_size;
		if (size > (uint64_t)st.st_size) {
			if (p->read_only) {
				dev_log(LOG_ERR, name,
					"size %llu exceeds read-only %s (%llu bytes)",
					(unsigned long long)size, p->path,
					(unsigned long long)st.st_size);
				ret = -EINVAL;
				goto err;
			}
			if (ftruncate(fd, (off_t)size) || fstat(fd, &st)) {
				ret = -errno;
				goto err_log;
			}
		}
		bs_file_caps(bdev, &st);
	}
	if (!size || size % bdev->block_size) {
		dev_log(LOG_ERR, name,
			"size %llu of %s is not a non-zero multiple of the block size %u",
			(unsigned long long)size, p->path, bdev->block_size);
		ret = -EINVAL;
		goto err;
	}
	bdev->size = size;
	dev_log(LOG_INFO, name, "%s: %llu bytes, %u-byte blocks, %s%s%s%s",
		p->path, (unsigned long long)size, bdev->block_size,
		bdev->is_blockdev ? "block device" : "file",
		bdev->direct_io ? ", O_DIRECT" : "",
		bdev->read_only ? ", read-only" : "",
		bdev->can_discard ? ", discard" : "");
	return 0;

err_log:
	dev_log(LOG_ERR, name, "cannot open %s: %s", p->path, strerror(-ret));
err:
	bs_common_close(bdev);
	return ret;
}

void bs_common_close(struct srptd_bdev *bdev)
{
	if (bdev->fd >= 0)
		close(bdev->fd);
	bdev->fd = -1;
	free(bdev->name);
	free(bdev->path);
	bdev->name = NULL;
	bdev->path = NULL;
}

unsigned int bs_iov_tail(const struct iovec *iov, unsigned int iovcnt,
			 uint64_t skip, struct iovec *out)
{
	unsigned int i, n = 0;

	for (i = 0; i < iovcnt; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		out[n].iov_base = (char *)iov[i].iov_base + skip;
		out[n].iov_len = iov[i].iov_len - skip;
		skip = 0;
		n++;
	}
	return n;
}

int bs_iov_tail_reserve(struct iovec **tail, unsigned int *cap, unsigned int n)
{
	if (*cap >= n)
		return 0;
	free(*tail);
	*tail = malloc(n * sizeof(**tail));
	*cap = *tail ? n : 0;
	return *tail ? 0 : -ENOMEM;
}

int bs_sync_flush(struct srptd_bdev *bdev)
{
	if (bdev->fd < 0)
		return 0;
	return fdatasync(bdev->fd) ? -errno : 0;
}

bool bs_io_misaligned(const struct srptd_bdev *bdev, const struct srptd_io *io)
{
	uint64_t a = bdev->block_size;
	unsigned int i;

	if (!bdev->direct_io ||
	    (io->op != SRPTD_IO_READ && io->op != SRPTD_IO_WRITE))
		return false;
	if (io->offset % a || io->length % a)
		return true;
	for (i = 0; i < io->iovcnt; i++)
		if ((uintptr_t)io->iov[i].iov_base % a ||
		    io->iov[i].iov_len % a)
			return true;
	return false;
}

/* Copy between an iovec list and a flat buffer. */
static void bs_iov_copy(const struct iovec *iov, unsigned int n, uint8_t *buf,
			bool to_iov)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (to_iov)
			memcpy(iov[i].iov_base, buf, iov[i].iov_len);
		else
			memcpy(buf, iov[i].iov_base, iov[i].iov_len);
		buf += iov[i].iov_len;
	}
}

/*
 * O_DIRECT I/O whose memory, offset or length is not block aligned goes
 * through an aligned bounce buffer.  Reads cover the enclosing aligned
 * range.  Writes must start and end on block boundaries (the SCSI layer
 * only writes whole blocks; a read-modify-write here could race with
 * other writes): only their memory is realigned.
 */
static int bs_sync_rw_bounce(struct srptd_bdev *bdev, struct srptd_io *io)
{
	uint64_t a = bdev->block_size;
	uint64_t start = io->offset / a * a;
	uint64_t end = ALIGN_UP(io->offset + io->length, a);
	struct srptd_io bio = *io;
	struct iovec biov;
	void *buf;
	int ret;

	if (io->op == SRPTD_IO_WRITE && (io->offset % a || io->length % a))
		return -EINVAL;
	if (posix_memalign(&buf, BS_DIO_ALIGN, end - start))
		return -ENOMEM;
	biov.iov_base = buf;
	biov.iov_len = end - start;
	bio.offset = start;
	bio.length = end - start;
	bio.iov = &biov;
	bio.iovcnt = 1;
	if (io->op == SRPTD_IO_WRITE)
		bs_iov_copy(io->iov, io->iovcnt, buf, false);
	ret = bs_sync_rw(bdev, &bio);
	if (!ret && io->op == SRPTD_IO_READ)
		bs_iov_copy(io->iov, io->iovcnt,
			    (uint8_t *)buf + (io->offset - start), true);
	free(buf);
	return ret;
}

/*
 * preadv/pwritev until everything moved.  A read hitting end of file
 * (the file was truncated behind our back) is -EIO, never a short success.
 * FUA uses RWF_DSYNC, or write + fdatasync where pwritev2 refuses it.
 */
int bs_sync_rw(struct srptd_bdev *bdev, struct srptd_io *io)
{
	struct iovec small[8], *tail = small;
	uint64_t done = 0;
	int ret = 0;
	bool fua = io->op == SRPTD_IO_WRITE &&
		   ((io->flags & SRPTD_IO_F_FUA) || !bdev->write_cache);
	int rwf = fua ? RWF_DSYNC : 0;

	if (bs_io_misaligned(bdev, io))
		return bs_sync_rw_bounce(bdev, io);
	if (io->iovcnt > ARRAY_SIZE(small)) {
		tail = malloc(io->iovcnt * sizeof(*tail));
		if (!tail)
			return -ENOMEM;
	}
	while (done < io->length) {
		unsigned int n = bs_iov_tail(io->iov, io->iovcnt, done, tail);
		off_t off = (off_t)(io->offset + done);
		ssize_t r;

		if (io->op == SRPTD_IO_READ)
			r = preadv(bdev->fd, tail, (int)n, off);
		else
			r = pwritev2(bdev->fd, tail, (int)n, off, rwf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EOPNOTSUPP && rwf) {
			rwf = 0; /* no RWF_DSYNC: fdatasync below */
			continue;
		}
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0) {
			ret = -EIO;
			break;
		}
		done += (uint64_t)r;
	}
	if (!ret && fua && !rwf)
		ret = bs_sync_flush(bdev);
	if (tail != small)
		free(tail);
	return ret;
}

/* Write zero buffers over [off, off+len): last resort for WRITE_ZEROES. */
static int bs_write_zero_buffers(struct srptd_bdev *bdev, uint64_t off,
				 uint64_t len)
{
	void *zero;
	int ret = 0;

	/* Aligned so that O_DIRECT accepts it. */
	if (posix_memalign(&zero, BS_DIO_ALIGN, BS_ZERO_CHUNK))
		return -ENOMEM;
	memset(zero, 0, BS_ZERO_CHUNK);
	while (len) {
		size_t n = (size_t)MIN(len, (uint64_t)BS_ZERO_CHUNK);
		ssize_t r = pwrite(bdev->fd, zero, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			break;
		}
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	free(zero);
	return ret;
}

int bs_sync_discard(struct srptd_bdev *bdev, uint64_t off, uint64_t len)
{
	if (bdev->is_blockdev) {
		uint64_t range[2] = { off, len };

		return ioctl(bdev->fd, BLKDISCARD, range) ? -errno : 0;
	}
	if (fallocate(bdev->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len))
		return -errno;
	return 0;
}

int bs_sync_write_zeroes(struct srptd_bdev *bdev, uint64_t off, uint64_t len)
{
	int ret;

	if (bdev->is_blockdev) {
		uint64_t range[2] = { off, len };

		ret = ioctl(bdev->fd, BLKZEROOUT, range) ? -errno : 0;
	} else {
		ret = fallocate(bdev->fd,
				FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				(off_t)off, (off_t)len) ?
			      -errno :
			      0;
	}
	if (ret == -EOPNOTSUPP || ret == -ENOTTY || ret == -EINVAL)
		ret = bs_write_zero_buffers(bdev, off, len);
	return ret;
}

int bs_sync_exec(struct srptd_bdev *bdev, struct srptd_io *io)
{
	int ret;

	switch (io->op) {
	case SRPTD_IO_READ:
	case SRPTD_IO_WRITE:
		return bs_sync_rw(bdev, io);
	case SRPTD_IO_FLUSH:
		return bs_sync_flush(bdev);
	case SRPTD_IO_DISCARD:
		return bs_sync_discard(bdev, io->offset, io->length);
	case SRPTD_IO_WRITE_ZEROES:
		ret = bs_sync_write_zeroes(bdev, io->offset, io->length);
		if (!ret &&
		    (!bdev->write_cache || (io->flags & SRPTD_IO_F_FUA)))
			ret = bs_sync_flush(bdev);
		return ret;
	case SRPTD_IO_COMPARE_WRITE:
		break; /* no file engine offers it (bs_check_io()) */
	}
	return -EINVAL;
}

int bs_doneq_init(struct bs_doneq *q, unsigned int cap)
{
	unsigned int n = 1;

	q->ent = NULL;
	q->mask = 0;
	q->head = 0;
	q->count = 0;
	if (cap > 1u << 31)
		return -EINVAL;
	while (n < cap)
		n <<= 1;
	q->ent = calloc(n, sizeof(*q->ent));
	if (!q->ent)
		return -ENOMEM;
	q->mask = n - 1;
	return 0;
}

void bs_doneq_fini(struct bs_doneq *q)
{
	free(q->ent);
	q->ent = NULL;
}

int bs_ctx_head_init(struct bs_ctx_head *h, unsigned int depth)
{
	int ret;

	h->efd = -1;
	h->depth = depth;
	h->inflight = 0;
	ret = bs_doneq_init(&h->done, depth);
	if (ret)
		return ret;
	h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->efd < 0) {
		ret = -errno;
		bs_doneq_fini(&h->done);
		return ret;
	}
	return 0;
}

void bs_ctx_head_fini(struct bs_ctx_head *h)
{
	if (h->efd >= 0)
		close(h->efd);
	h->efd = -1;
	bs_doneq_fini(&h->done);
}

int bs_ctx_alloc(size_t size, unsigned int depth,
		 struct srptd_backend_ctx **out)
{
	struct srptd_backend_ctx *ctx;
	int ret;

	if (!depth)
		return -EINVAL;
	ctx = calloc(1, size);
	if (!ctx)
		return -ENOMEM;
	ret = bs_ctx_head_init(bs_ctx_head(ctx), depth);
	if (ret) {
		free(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

void bs_ctx_free(struct srptd_backend_ctx *ctx)
{
	bs_ctx_head_fini(bs_ctx_head(ctx));
	free(ctx);
}

int bs_ctx_event_fd(struct srptd_backend_ctx *ctx)
{
	return bs_ctx_head(ctx)->efd;
}

void bs_ctx_push_done(struct bs_ctx_head *h, struct srptd_io *io, int res)
{
	h->inflight++;
	bs_doneq_push(&h->done, io, res);
	/*
	 * One kick per batch: a queue that was not empty already has its
	 * kick pending (from the push that made it non-empty, or from the
	 * ctx_poll() that left it so), and a push from inside ctx_poll() is
	 * seen by its closing check.  A kick is a write(2): one per
	 * synchronous write on tmpfs otherwise (doc/performance.md).
	 */
	if (h->done.count == 1)
		bs_eventfd_kick(h->efd);
}

static bool bs_ctx_pop_done(struct bs_ctx_head *h, pthread_mutex_t *lock,
			    struct srptd_io **io, int *res)
{
	bool got;

	if (lock)
		pthread_mutex_lock(lock);
	got = bs_doneq_pop(&h->done, io, res);
	if (lock)
		pthread_mutex_unlock(lock);
	return got;
}

int bs_ctx_run_done(struct bs_ctx_head *h, unsigned int max,
		    pthread_mutex_t *lock)
{
	struct srptd_io *io;
	int res, n = 0;

	/* Without a lock (every engine but rbd), a loop that tests none. */
	if (!lock) {
		while ((unsigned int)n < max &&
		       bs_doneq_pop(&h->done, &io, &res)) {
			h->inflight--;
			n++;
			io->complete(io, res);
		}
		return n;
	}
	while ((unsigned int)n < max && bs_ctx_pop_done(h, lock, &io, &res)) {
		h->inflight--;
		n++;
		io->complete(io, res);
	}
	return n;
}

int bs_ctx_poll_done(struct bs_ctx_head *h, unsigned int max,
		     pthread_mutex_t *lock)
{
	bool left;
	int n;

	/* Clear before looking, so a push after the look re-arms the fd. */
	bs_eventfd_clear(h->efd);
	n = bs_ctx_run_done(h, max, lock);
	if (lock)
		pthread_mutex_lock(lock);
	left = h->done.count != 0;
	if (lock)
		pthread_mutex_unlock(lock);
	/* Left-overs (max reached): stay readable so the worker comes back. */
	if (left)
		bs_eventfd_kick(h->efd);
	return n;
}

int bs_common_resize(struct srptd_bdev *bdev, uint64_t new_size)
{
	uint64_t actual;
	struct stat st;

	if (fstat(bdev->fd, &st))
		return -errno;
	if (bdev->is_blockdev) {
		if (ioctl(bdev->fd, BLKGETSIZE64, &actual))
			return -errno;
	} else {
		actual = (uint64_t)st.st_size;
	}
	if (!new_size)
		new_size = actual;
	if (!new_size || new_size % bdev->block_size) {
		dev_log(LOG_ERR, bdev->name,
			"resize: %llu is not a non-zero multiple of %u",
			(unsigned long long)new_size, bdev->block_size);
		return -EINVAL;
	}
	if (new_size > actual) {
		if (bdev->is_blockdev || bdev->read_only) {
			dev_log(LOG_ERR, bdev->name,
				"resize: %llu exceeds %s (%llu bytes)",
				(unsigned long long)new_size, bdev->path,
				(unsigned long long)actual);
			return -EINVAL;
		}
		if (ftruncate(bdev->fd, (off_t)new_size))
			return -errno;
	}
	/* Re-reading an unchanged size (every reload) is not news. */
	if (new_size != bdev->size)
		dev_log(LOG_NOTICE, bdev->name,
			"resized from %llu to %llu bytes",
			(unsigned long long)bdev->size,
			(unsigned long long)new_size);
	bdev->size = new_size;
	return 0;
}
