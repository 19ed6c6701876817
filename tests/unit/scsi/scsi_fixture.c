/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* SCSI test fixture: see scsi_fixture.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "scsi_fixture.h"
#include "util.h"

/* ---- test engine "tb" ---- */

struct tb_control tb_ctl = { .fault_op = -1 };

void tb_reset(void)
{
	memset(&tb_ctl, 0, sizeof(tb_ctl));
	tb_ctl.fault_op = -1;
}

struct srptd_backend_ctx {
	int efd;
	unsigned int n, cap;
	struct srptd_io **q;
};

static int tb_probe(void)
{
	return 0;
}

static int tb_open(struct srptd_bdev *b, const struct srptd_bdev_params *p)
{
	memset(b, 0, sizeof(*b));
	b->fd = open(p->path,
		     (p->read_only ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC,
		     0600);
	if (b->fd < 0)
		return -errno;
	if (!p->read_only && ftruncate(b->fd, p->size))
		return -errno;
	b->name = strdup(p->name ? p->name : "tb");
	b->path = strdup(p->path);
	b->size = p->size;
	b->block_size = p->block_size ? p->block_size : 512;
	b->phys_block_size = b->block_size;
	b->read_only = p->read_only;
	b->write_cache = p->write_cache;
	b->can_discard = true;
	b->discard_zeroes = true;
	b->discard_granularity = 4096;
	b->can_compare_write = tb_ctl.compare_write;
	return 0;
}

/* SRPTD_IO_COMPARE_WRITE as include/srptd/backend.h has it. */
static int tb_compare_write(struct srptd_io *io)
{
	const uint8_t *want = io->iov[0].iov_base;
	uint8_t *cur = malloc(io->length);
	ssize_t r;
	int ret = 0;

	if (!cur)
		return -ENOMEM;
	r = pread(io->bdev->fd, cur, io->length, io->offset);
	if (r != (ssize_t)io->length) {
		ret = r < 0 ? -errno : -EIO;
	} else if (memcmp(cur, want, io->length)) {
		for (io->miscompare = 0;
		     cur[io->miscompare] == want[io->miscompare];
		     io->miscompare++)
			;
		ret = -EILSEQ;
	} else {
		r = pwrite(io->bdev->fd, want + io->length, io->length,
			   io->offset);
		if (r != (ssize_t)io->length)
			ret = r < 0 ? -errno : -EIO;
	}
	free(cur);
	return ret;
}

static void tb_close(struct srptd_bdev *b)
{
	if (b->fd >= 0)
		close(b->fd);
	free(b->name);
	free(b->path);
	b->name = b->path = NULL;
	b->fd = -1;
}

static int tb_ctx_create(unsigned int depth, struct srptd_backend_ctx **out)
{
	struct srptd_backend_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cap = tb_ctl.depth ? tb_ctl.depth : 64;
	c->q = calloc(c->cap, sizeof(*c->q));
	c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	*out = c;
	return 0;
}

static void tb_ctx_destroy(struct srptd_backend_ctx *c)
{
	close(c->efd);
	free(c->q);
	free(c);
}

static int tb_ctx_event_fd(struct srptd_backend_ctx *c)
{
	return c->efd;
}

static int tb_exec(struct srptd_io *io)
{
	int fd = io->bdev->fd;
	uint64_t off = io->offset;
	unsigned int i;
	ssize_t r;

	switch (io->op) {
	case SRPTD_IO_READ:
	case SRPTD_IO_WRITE:
		for (i = 0; i < io->iovcnt; i++) {
			size_t l = io->iov[i].iov_len;

			r = io->op == SRPTD_IO_READ ?
				    pread(fd, io->iov[i].iov_base, l, off) :
				    pwrite(fd, io->iov[i].iov_base, l, off);
			if (r != (ssize_t)l)
				return r < 0 ? -errno : -EIO;
			off += l;
		}
		return off - io->offset == io->length ? 0 : -EINVAL;
	case SRPTD_IO_FLUSH:
		return fdatasync(fd) ? -errno : 0;
	case SRPTD_IO_DISCARD:
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 io->offset, io->length) ?
			       -errno :
			       0;
	case SRPTD_IO_WRITE_ZEROES:
		return fallocate(fd, FALLOC_FL_ZERO_RANGE, io->offset,
				 io->length) ?
			       -errno :
			       0;
	case SRPTD_IO_COMPARE_WRITE:
		if (tb_ctl.compare_write_refuse == 2)
			return -EOPNOTSUPP;
		return tb_compare_write(io);
	}
	return -EINVAL;
}

static int tb_submit(struct srptd_backend_ctx *c, struct srptd_io *io)
{
	uint64_t one = 1;

	if (tb_ctl.submit_err)
		return tb_ctl.submit_err;
	if (io->op == SRPTD_IO_WRITE_ZEROES && tb_ctl.no_write_zeroes)
		return -EOPNOTSUPP;
	if (io->op == SRPTD_IO_COMPARE_WRITE &&
	    (!io->bdev->can_compare_write || tb_ctl.compare_write_refuse == 1))
		return -EOPNOTSUPP;
	if (c->n == c->cap)
		return -EAGAIN;
	c->q[c->n++] = io;
	if (io->op == SRPTD_IO_WRITE)
		tb_ctl.last_write_flags = io->flags;
	__atomic_fetch_add(&tb_ctl.submitted[io->op], 1, __ATOMIC_RELAXED);
	if (write(c->efd, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

static int tb_ctx_poll(struct srptd_backend_ctx *c, unsigned int max)
{
	unsigned int done = 0;
	uint64_t v;

	if (__atomic_load_n(&tb_ctl.hold, __ATOMIC_ACQUIRE))
		return 0;
	if (read(c->efd, &v, sizeof(v)) < 0)
		v = 0;
	while (c->n && done < max) {
		struct srptd_io *io = c->q[0];
		int res;

		memmove(c->q, c->q + 1, (c->n - 1) * sizeof(*c->q));
		c->n--;
		res = tb_exec(io);
		if ((int)io->op == tb_ctl.fault_op)
			res = tb_ctl.fault_err;
		io->complete(io, res);
		done++;
	}
	return done;
}

const struct srptd_backend_ops tb_ops = {
	.name = "tb",
	.probe = tb_probe,
	.open = tb_open,
	.close = tb_close,
	.ctx_create = tb_ctx_create,
	.ctx_destroy = tb_ctx_destroy,
	.ctx_event_fd = tb_ctx_event_fd,
	.ctx_poll = tb_ctx_poll,
	.submit = tb_submit,
};

/* ---- fixture ---- */

void sf_init(struct sf *f)
{
	const char *tmp = getenv("TMPDIR");

	memset(f, 0, sizeof(*f));
	tb_reset();
	snprintf(f->dir, sizeof(f->dir), "%s/scsi-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(scsi_worker_create(64, &f->w), 0);
}

void sf_add_lu(struct sf *f, unsigned int idx, const char *engine, uint32_t bs,
	       uint64_t nblocks, const struct scsi_lu_params *p)
{
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;
	struct scsi_lu_params dflt = { .vendor = "SRPTD",
				       .product = "test disk",
				       .revision = "0.1",
				       .max_xfer_bytes = 1024 * 1024,
				       .target_name = "srptd.test" };
	char dir[sizeof(f->dir)];
	int ret;

	assert_true(idx < SF_MAX_LU);
	/* A copy: gcc -O2 -Wrestrict cannot tell path[idx] from dir. */
	memcpy(dir, f->dir, sizeof(dir));
	snprintf(f->path[idx], sizeof(f->path[idx]), "%s/lu%u", dir, idx);
	bp.name = "test";
	bp.path = f->path[idx];
	bp.size = nblocks * bs;
	bp.block_size = bs;
	bp.create = true;
	bp.write_cache = true;
	if (!strcmp(engine, "tb")) {
		ret = tb_ops.open(&f->bdev[idx], &bp);
		f->bdev[idx].ops = &tb_ops;
	} else {
		ret = srptd_backend_open(&f->bdev[idx], engine, NULL, &bp,
					 &used);
	}
	assert_int_equal(ret, 0);
	assert_int_equal(
		scsi_lu_create(&f->bdev[idx], p ? p : &dflt, &f->lu[idx]), 0);
}

void sf_add_itn(struct sf *f, unsigned int idx, uint8_t tag,
		const struct scsi_lun_entry *view, unsigned int n)
{
	uint8_t iid[16] = { tag, 0x11 }, tid[16] = { 0x22, 0x33 };

	assert_int_equal(
		scsi_itn_create(iid, tid, idx + 1, view, n, &f->itn[idx]), 0);
	assert_int_equal(scsi_worker_attach_itn(f->w, f->itn[idx]), 0);
}

void sf_add_itn0(struct sf *f, unsigned int idx, uint8_t tag)
{
	struct scsi_lun_entry e = { .lun = 0, .lu = f->lu[0] };

	sf_add_itn(f, idx, tag, &e, 1);
}

void sf_fini(struct sf *f)
{
	unsigned int i;
	char cmd[300];

	for (i = 0; i < SF_MAX_ITN; i++)
		scsi_itn_destroy(f->itn[i]);
	scsi_worker_destroy(f->w);
	for (i = 0; i < SF_MAX_LU; i++) {
		if (!f->lu[i])
			continue;
		scsi_lu_destroy(f->lu[i]);
		if (f->bdev[i].ops == &tb_ops)
			tb_close(&f->bdev[i]);
		else
			srptd_backend_close(&f->bdev[i]);
		unlink(f->path[i]);
	}
	snprintf(cmd, sizeof(cmd), "%s", f->dir);
	rmdir(cmd);
}

/* ---- runner ---- */

static void sf_complete(struct scsi_task *t)
{
	struct sf_async *a = t->transport_priv;
	struct sf_cmd *c = a->c;

	c->status = t->status;
	c->sense_len = t->sense_len;
	memcpy(c->sense, t->sense, sizeof(c->sense));
	c->data_in_len = t->data_in_len;
	a->done = true;
}

int sf_start(struct scsi_worker *w, struct scsi_itn *itn, uint64_t lun,
	     struct sf_cmd *c, struct sf_async *a)
{
	struct scsi_task *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	memset(a, 0, sizeof(*a));
	a->t = t;
	a->c = c;
	memcpy(t->cdb, c->cdb, sizeof(c->cdb));
	t->cdb_len = c->cdb_len ? c->cdb_len : 16;
	t->lun = lun;
	t->itn = itn;
	t->worker = w;
	t->complete = sf_complete;
	t->transport_priv = a;
	c->parse_ret = scsi_task_parse(t);
	c->dir = t->dir;
	c->xfer_len = t->xfer_len;
	c->data_in_len = 0;
	if (c->parse_ret) {
		c->status = t->status;
		c->sense_len = t->sense_len;
		memcpy(c->sense, t->sense, sizeof(c->sense));
		a->done = true;
		return c->parse_ret;
	}
	if (t->dir == SCSI_DIR_WRITE) {
		a->iov.iov_base = (void *)c->out;
		a->iov.iov_len = c->out_len;
		t->buf_len = MIN(c->out_len, t->xfer_len);
	} else if (t->dir == SCSI_DIR_READ) {
		a->iov.iov_base = c->in;
		a->iov.iov_len = c->in_len;
		t->buf_len = MIN(c->in_len, t->xfer_len);
	}
	t->iov = &a->iov;
	t->iovcnt = t->buf_len ? 1 : 0;
	scsi_task_execute(t);
	c->completed_inline = a->done;
	return 0;
}

void sf_wait(struct scsi_worker *w, struct sf_async *a)
{
	time_t end = time(NULL) + 20;

	while (!a->done) {
		struct pollfd p[8];
		int fds[8], n, i;

		n = scsi_worker_event_fds(w, fds, 8);
		for (i = 0; i < n; i++) {
			p[i].fd = fds[i];
			p[i].events = POLLIN;
		}
		poll(p, n, 2);
		scsi_worker_poll(w);
		assert_true(time(NULL) < end);
	}
	scsi_task_release(a->t);
	free(a->t);
	a->t = NULL;
}

int sf_run_w(struct scsi_worker *w, struct scsi_itn *itn, uint64_t lun,
	     struct sf_cmd *c)
{
	struct sf_async a;

	sf_start(w, itn, lun, c, &a);
	sf_wait(w, &a);
	return c->status;
}

int sf_run(struct sf *f, unsigned int itn, uint64_t lun, struct sf_cmd *c)
{
	return sf_run_w(f->w, f->itn[itn], lun, c);
}

/* ---- sense ---- */

uint8_t sf_sense_key(const struct sf_cmd *c)
{
	if (!c->sense_len)
		return 0xff;
	if ((c->sense[0] & 0x7f) == 0x72)
		return c->sense[1] & 0x0f;
	return c->sense[2] & 0x0f;
}

uint16_t sf_sense_asc(const struct sf_cmd *c)
{
	if ((c->sense[0] & 0x7f) == 0x72)
		return c->sense[2] << 8 | c->sense[3];
	return c->sense[12] << 8 | c->sense[13];
}

void sf_assert_sense(const struct sf_cmd *c, uint8_t key, uint16_t asc_ascq)
{
	if (c->status != SAM_STAT_CHECK_CONDITION || sf_sense_key(c) != key ||
	    sf_sense_asc(c) != asc_ascq)
		print_error("status 0x%02x sense %x/%04x, want 02 %x/%04x\n",
			    c->status, sf_sense_key(c), sf_sense_asc(c), key,
			    asc_ascq);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(sf_sense_key(c), key);
	assert_int_equal(sf_sense_asc(c), asc_ascq);
}

static const uint8_t *sf_desc(const struct sf_cmd *c, uint8_t type)
{
	const uint8_t *p = c->sense + 8, *end = c->sense + 8 + c->sense[7];

	while (p + 2 <= end) {
		if (p[0] == type)
			return p;
		p += 2 + p[1];
	}
	return NULL;
}

int sf_sense_field(const struct sf_cmd *c, bool *cd, int *bit)
{
	const uint8_t *s;

	if ((c->sense[0] & 0x7f) == 0x72) {
		const uint8_t *d = sf_desc(c, 0x02);

		if (!d)
			return -1;
		s = d + 4;
	} else {
		s = c->sense + 15;
	}
	if (!(s[0] & 0x80))
		return -1;
	*cd = s[0] & 0x40;
	*bit = (s[0] & 0x08) ? (s[0] & 7) : -1;
	return s[1] << 8 | s[2];
}

uint64_t sf_sense_info(const struct sf_cmd *c)
{
	if ((c->sense[0] & 0x7f) == 0x72) {
		const uint8_t *d = sf_desc(c, 0x00);
		uint64_t v = 0;
		int i;

		if (!d || !(d[2] & 0x80))
			return UINT64_MAX;
		for (i = 0; i < 8; i++)
			v = v << 8 | d[4 + i];
		return v;
	}
	if (!(c->sense[0] & 0x80))
		return UINT64_MAX;
	return (uint64_t)c->sense[3] << 24 | c->sense[4] << 16 |
	       c->sense[5] << 8 | c->sense[6];
}

/* ---- CDBs ---- */

void sf_cdb6(struct sf_cmd *c, uint8_t op, uint8_t b1, uint8_t b2, uint8_t b3,
	     uint8_t b4)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = op;
	c->cdb[1] = b1;
	c->cdb[2] = b2;
	c->cdb[3] = b3;
	c->cdb[4] = b4;
}

void sf_cdb_rw10(struct sf_cmd *c, uint8_t op, uint8_t flags, uint32_t lba,
		 uint16_t n)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = op;
	c->cdb[1] = flags;
	put_be32(c->cdb + 2, lba);
	put_be16(c->cdb + 7, n);
}

void sf_cdb_rw12(struct sf_cmd *c, uint8_t op, uint8_t flags, uint32_t lba,
		 uint32_t n)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = op;
	c->cdb[1] = flags;
	put_be32(c->cdb + 2, lba);
	put_be32(c->cdb + 6, n);
}

void sf_cdb_rw16(struct sf_cmd *c, uint8_t op, uint8_t flags, uint64_t lba,
		 uint32_t n)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = op;
	c->cdb[1] = flags;
	put_be64(c->cdb + 2, lba);
	put_be32(c->cdb + 10, n);
}

void sf_cdb_prout(struct sf_cmd *c, uint8_t sa, uint8_t scope_type,
		  uint64_t key, uint64_t sa_key, uint8_t flags, uint32_t len)
{
	assert_true(len <= sizeof(c->param));
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_PERSISTENT_RESERVE_OUT;
	c->cdb[1] = sa;
	c->cdb[2] = scope_type;
	put_be32(c->cdb + 5, len);
	put_be64(c->param, key);
	put_be64(c->param + 8, sa_key);
	c->param[20] = flags;
	c->out = c->param;
	c->out_len = len;
}

void sf_cdb_prin(struct sf_cmd *c, uint8_t sa, void *buf, uint16_t len)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_PERSISTENT_RESERVE_IN;
	c->cdb[1] = sa;
	put_be16(c->cdb + 7, len);
	c->in = buf;
	c->in_len = len;
}

int sf_prout(struct sf *f, unsigned int itn, uint64_t lun, uint8_t sa,
	     uint8_t scope_type, uint64_t key, uint64_t sa_key, uint8_t flags,
	     struct sf_cmd *c)
{
	struct sf_cmd local;

	if (!c)
		c = &local;
	sf_cdb_prout(c, sa, scope_type, key, sa_key, flags, 24);
	return sf_run(f, itn, lun, c);
}

uint32_t sf_prin(struct sf *f, unsigned int itn, uint64_t lun, uint8_t sa,
		 void *buf, uint16_t len)
{
	struct sf_cmd c;

	sf_cdb_prin(&c, sa, buf, len);
	assert_int_equal(sf_run(f, itn, lun, &c), SAM_STAT_GOOD);
	return c.data_in_len;
}

int sf_write_status(struct scsi_worker *w, struct scsi_itn *itn, uint64_t lun,
		    uint32_t lba)
{
	static const uint8_t zeroes[512];
	struct sf_cmd c;

	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, lba, 1);
	c.out = zeroes;
	c.out_len = sizeof(zeroes);
	return sf_run_w(w, itn, lun, &c);
}

/* ---- files ---- */

void sf_pwrite(struct sf *f, unsigned int idx, uint64_t off, const void *buf,
	       size_t len)
{
	int fd = open(f->path[idx], O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

void sf_pread(struct sf *f, unsigned int idx, uint64_t off, void *buf,
	      size_t len)
{
	int fd = open(f->path[idx], O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

void sf_fill(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = seed >> 16;
	}
}

void sf_clear_ua(struct sf *f, unsigned int itn, uint64_t lun)
{
	struct sf_cmd c;

	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, itn, lun, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION, SCSI_ASC_POWER_ON_RESET);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, itn, lun, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}
