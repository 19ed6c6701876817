/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptd-io-bench: closed-loop random I/O at a fixed queue depth against one
 * device, the way a worker thread of the daemon drives it: an epoll loop
 * on the engine's event fd, completions reaped with ctx_poll(), a new I/O
 * issued for every completion.  Prints one line of key=value figures for
 * bench/scsi-io-bench.sh and bench/rbd-bench.sh, the completion latency
 * (issue to completion callback, as fio's clat) among them.
 *
 * Modes:
 *   scsi     READ(10)/WRITE(10) CDBs through scsi_task_parse/execute and
 *            a scsi_worker (needs the SCSI layer; the default when built
 *            with it);
 *   backend  struct srptd_io straight into the engine.
 *
 * Usage: srptd-io-bench --engine E --file F [--size BYTES] [--bs 4096]
 *        [--qd 32] [--rw randread|randwrite|read|write] [--runtime SEC]
 *        [--buffered] [--mode scsi|backend] [--no-fixed]
 * read and write are sequential (each I/O starts where the previous one
 * issued ended, wrapping at the end).  For --engine rbd, --file is the
 * image, "pool/image", and the cluster is the one $CEPH_CONF names.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "srptd/backend.h"
#ifdef SRPTD_BENCH_SCSI
#include "scsi/scsi.h"
#endif

struct bench;

struct bslot {
	struct bench *b;
	struct srptd_io io;
	struct iovec iov;
#ifdef SRPTD_BENCH_SCSI
	struct scsi_task task;
#endif
	unsigned int next_ready;
	double issued; /* now_s() at issue */
};

struct bench {
	const struct srptd_backend_ops *ops;
	struct srptd_bdev bdev;
	struct srptd_backend_ctx *ctx;
	bool scsi;
	bool write;
	bool seq; /* sequential instead of random offsets */
	uint64_t next_lba; /* seq: where the next I/O starts */
	bool stopping;
	unsigned int qd, bs;
	uint64_t nblocks;
	uint64_t rng;
	uint64_t completed, errors;
	unsigned int inflight;
	struct bslot *slots;
	unsigned int *ready; /* stack of slots to (re)issue */
	unsigned int nready;
	uint32_t *lat_ns; /* completion latency of each I/O, capped */
	size_t nlat, lat_cap;
#ifdef SRPTD_BENCH_SCSI
	struct scsi_lu *lu;
	struct scsi_itn *itn;
	struct scsi_worker *w;
#endif
};

static uint64_t bench_rand(struct bench *b)
{
	/* xorshift64*: cheap and good enough to spread offsets. */
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 2685821657736338717ull;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keep the latency of one completed I/O (dropped if memory runs out). */
static void bench_lat(struct bench *b, double secs)
{
	uint32_t *n;

	if (b->nlat == b->lat_cap) {
		n = realloc(b->lat_ns,
			    (b->lat_cap ? 2 * b->lat_cap : 65536) * sizeof(*n));
		if (!n)
			return;
		b->lat_ns = n;
		b->lat_cap = b->lat_cap ? 2 * b->lat_cap : 65536;
	}
	b->lat_ns[b->nlat++] = secs >= 4.0 ? UINT32_MAX :
					     (uint32_t)(secs * 1e9);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0 < p < 100) of the sorted latencies, in us. */
static double bench_pct(const struct bench *b, double p)
{
	size_t i;

	if (!b->nlat)
		return 0;
	i = (size_t)(p / 100.0 * (double)b->nlat);
	return b->lat_ns[i < b->nlat ? i : b->nlat - 1] / 1e3;
}

static void bench_done(struct bslot *s, bool ok)
{
	struct bench *b = s->b;

	bench_lat(b, now_s() - s->issued);
	b->inflight--;
	b->completed++;
	if (!ok)
		b->errors++;
	/* Reissue from the main loop, not from inside the callback. */
	if (!b->stopping)
		b->ready[b->nready++] = (unsigned int)(s - b->slots);
}

static void bench_io_done(struct srptd_io *io, int res)
{
	bench_done(container_of(io, struct bslot, io), res == 0);
}

#ifdef SRPTD_BENCH_SCSI
static void bench_task_done(struct scsi_task *t)
{
	/* As a transport does once it answered (scsi.h): unpin the view. */
	scsi_task_release(t);
	bench_done(container_of(t, struct bslot, task),
		   t->status == SAM_STAT_GOOD);
}

/* -EAGAIN never surfaces here: the SCSI layer queues and retries itself. */
static int bench_issue_scsi(struct bench *b, struct bslot *s, uint64_t lba)
{
	struct scsi_task *t = &s->task;
	uint32_t blocks = b->bs / b->bdev.block_size;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		memset(t, 0, offsetof(struct scsi_task, scsi_priv));
		t->cdb[0] = b->write ? 0x2a : 0x28; /* WRITE(10) / READ(10) */
		put_be32(&t->cdb[2], (uint32_t)lba);
		put_be16(&t->cdb[7], (uint16_t)blocks);
		t->cdb_len = 10;
		t->lun = 0;
		t->itn = b->itn;
		t->worker = b->w;
		t->complete = bench_task_done;
		t->iov = &s->iov;
		t->iovcnt = 1;
		t->buf_len = b->bs;
		/*
		 * The first command of a new nexus reports the power-on unit
		 * attention (SAM-5 5.14) without executing: just reissue.
		 */
		if (scsi_task_parse(t) == 0) {
			b->inflight++;
			scsi_task_execute(t);
			return 0;
		}
	}
	return -EIO;
}
#endif

static int bench_issue(struct bench *b, unsigned int idx)
{
	struct bslot *s = &b->slots[idx];
	uint64_t blocks_per_io = b->bs / b->bdev.block_size;
	uint64_t lba;
	int ret;

	if (b->seq) {
		if (b->next_lba + blocks_per_io > b->nblocks)
			b->next_lba = 0;
		lba = b->next_lba;
		b->next_lba += blocks_per_io;
	} else {
		lba = (bench_rand(b) % (b->nblocks / blocks_per_io)) *
		      blocks_per_io;
	}
	s->issued = now_s();

#ifdef SRPTD_BENCH_SCSI
	if (b->scsi)
		return bench_issue_scsi(b, s, lba);
#endif
	s->io.op = b->write ? SRPTD_IO_WRITE : SRPTD_IO_READ;
	s->io.flags = 0;
	s->io.offset = lba * b->bdev.block_size;
	s->io.length = b->bs;
	s->io.iov = &s->iov;
	s->io.iovcnt = 1;
	s->io.bdev = &b->bdev;
	s->io.complete = bench_io_done;
	ret = b->ops->submit(b->ctx, &s->io);
	if (!ret)
		b->inflight++;
	return ret;
}

static int bench_poll(struct bench *b)
{
#ifdef SRPTD_BENCH_SCSI
	if (b->scsi)
		return scsi_worker_poll(b->w);
#endif
	return b->ops->ctx_poll(b->ctx, b->qd);
}

static int bench_setup_epoll(struct bench *b, int epfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fds[8], n = 1, i;

	fds[0] = -1;
#ifdef SRPTD_BENCH_SCSI
	if (b->scsi)
		n = scsi_worker_event_fds(b->w, fds, (int)ARRAY_SIZE(fds));
	else
#endif
		fds[0] = b->ops->ctx_event_fd(b->ctx);
	for (i = 0; i < n; i++)
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev))
			return -errno;
	return 0;
}

#ifdef SRPTD_BENCH_SCSI
static int bench_scsi_init(struct bench *b)
{
	static const uint8_t ini[16] = { 1 }, tgt[16] = { 2 };
	struct scsi_lu_params lp = {
		.vendor = "SRPTD",
		.product = "bench",
		.revision = "0001",
		.max_xfer_bytes = 1 << 20,
		.target_name = "bench",
	};
	struct scsi_lun_entry view = { .lun = 0 };
	int ret;

	ret = scsi_lu_create(&b->bdev, &lp, &b->lu);
	if (ret)
		return ret;
	view.lu = b->lu;
	ret = scsi_itn_create(ini, tgt, 1, &view, 1, &b->itn);
	if (ret)
		return ret;
	ret = scsi_worker_create(b->qd, &b->w);
	if (ret)
		return ret;
	return scsi_worker_attach_itn(b->w, b->itn);
}
#endif

static void usage(void)
{
	fprintf(stderr,
		"usage: srptd-io-bench --engine E --file F [--size BYTES] "
		"[--bs N] [--qd N] [--rw randread|randwrite|read|write] "
		"[--runtime SEC] "
		"[--buffered] [--mode scsi|backend] [--no-fixed]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "engine", required_argument, NULL, 'e' },
		{ "file", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "bs", required_argument, NULL, 'b' },
		{ "qd", required_argument, NULL, 'q' },
		{ "rw", required_argument, NULL, 'r' },
		{ "runtime", required_argument, NULL, 't' },
		{ "buffered", no_argument, NULL, 'B' },
		{ "mode", required_argument, NULL, 'm' },
		{ "no-fixed", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct srptd_bdev_params p = { .name = "bench",
				       .direct_io = true,
				       .write_cache = true,
				       .ceph_timeout = 30 };
	struct bench b = { .qd = 32, .bs = 4096, .rng = 0x9e3779b97f4a7c15ull };
	const char *engine = "io_uring", *mode = NULL;
	double runtime = 10, start, end, lat_sum = 0;
	bool fixed = true;
	struct iovec pool;
	int c, ret, epfd;
	unsigned int i;
	size_t k;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			engine = optarg;
			break;
		case 'f':
			p.path = optarg;
			break;
		case 's':
			p.size = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			b.bs = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'q':
			b.qd = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			b.write = !strcmp(optarg, "randwrite") ||
				  !strcmp(optarg, "write");
			b.seq = !strcmp(optarg, "read") ||
				!strcmp(optarg, "write");
			if (!b.write && !b.seq && strcmp(optarg, "randread"))
				usage();
			break;
		case 't':
			runtime = strtod(optarg, NULL);
			break;
		case 'B':
			p.direct_io = false;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'F':
			fixed = false;
			break;
		default:
			usage();
		}
	}
	if (!p.path || !b.qd || !b.bs || b.bs % 512)
		usage();
#ifdef SRPTD_BENCH_SCSI
	b.scsi = !mode || !strcmp(mode, "scsi");
#else
	if (mode && !strcmp(mode, "scsi")) {
		fprintf(stderr, "built without the SCSI layer\n");
		return 1;
	}
#endif
	if (mode && strcmp(mode, "scsi") && strcmp(mode, "backend"))
		usage();
	log_init("srptd-io-bench", LOG_SINK_STDERR);
	log_set_level(LOG_WARNING);

	ret = srptd_backend_open(&b.bdev, engine, NULL, &p, &b.ops);
	if (ret) {
		fprintf(stderr, "open %s with %s: %s\n", p.path, engine,
			strerror(-ret));
		return 1;
	}
	b.nblocks = b.bdev.size / b.bdev.block_size;
	if (b.bs % b.bdev.block_size || b.bdev.size < b.bs) {
		fprintf(stderr, "bad block size for the device\n");
		return 1;
	}
	b.slots = calloc(b.qd, sizeof(*b.slots));
	b.ready = calloc(b.qd, sizeof(*b.ready));
	if (!b.slots || !b.ready ||
	    posix_memalign(&pool.iov_base, 4096, (size_t)b.qd * b.bs))
		return 1;
	pool.iov_len = (size_t)b.qd * b.bs;
	memset(pool.iov_base, 0x5a, pool.iov_len);
	for (i = 0; i < b.qd; i++) {
		b.slots[i].b = &b;
		b.slots[i].iov.iov_base =
			(char *)pool.iov_base + (size_t)i * b.bs;
		b.slots[i].iov.iov_len = b.bs;
		b.ready[b.nready++] = b.qd - 1 - i;
	}

	if (b.scsi) {
#ifdef SRPTD_BENCH_SCSI
		ret = bench_scsi_init(&b);
		if (ret) {
			fprintf(stderr, "SCSI setup: %s\n", strerror(-ret));
			return 1;
		}
#endif
	} else {
		ret = b.ops->ctx_create(b.qd, &b.ctx);
		if (ret) {
			fprintf(stderr, "ctx_create: %s\n", strerror(-ret));
			return 1;
		}
		/* As the daemon does with its RDMA buffer pool. */
		if (!b.ops->register_buffers ||
		    (fixed && b.ops->register_buffers(b.ctx, &pool, 1)))
			fixed = false;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || bench_setup_epoll(&b, epfd)) {
		perror("epoll");
		return 1;
	}

	start = now_s();
	end = start + runtime;
	for (;;) {
		struct epoll_event evs[8];
		int n;

		while (b.nready && !b.stopping) {
			unsigned int idx = b.ready[b.nready - 1];

			ret = bench_issue(&b, idx);
			if (ret == -EAGAIN)
				break;
			b.nready--;
			if (ret) {
				b.errors++;
				fprintf(stderr, "submit: %s\n", strerror(-ret));
				b.stopping = true;
			}
		}
		if (b.stopping && !b.inflight)
			break;
		n = epoll_wait(epfd, evs, ARRAY_SIZE(evs), 1000);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		bench_poll(&b);
		if (!b.stopping && now_s() >= end)
			b.stopping = true;
	}
	end = now_s();
	for (k = 0; k < b.nlat; k++)
		lat_sum += b.lat_ns[k];
	if (b.nlat)
		qsort(b.lat_ns, b.nlat, sizeof(*b.lat_ns), cmp_u32);

	printf("engine=%s mode=%s rw=%s qd=%u bs=%u direct=%d fixed=%d "
	       "ios=%llu errors=%llu secs=%.3f iops=%.0f clat_mean_us=%.1f "
	       "clat_p50_us=%.1f clat_p99_us=%.1f\n",
	       b.ops->name, b.scsi ? "scsi" : "backend",
	       b.seq ? (b.write ? "write" : "read") :
		       (b.write ? "randwrite" : "randread"),
	       b.qd, b.bs, b.bdev.direct_io, !b.scsi && fixed,
	       (unsigned long long)b.completed, (unsigned long long)b.errors,
	       end - start, (double)b.completed / (end - start),
	       b.nlat ? lat_sum / (double)b.nlat / 1e3 : 0.0, bench_pct(&b, 50),
	       bench_pct(&b, 99));

#ifdef SRPTD_BENCH_SCSI
	if (b.scsi) {
		scsi_worker_destroy(b.w);
		scsi_itn_destroy(b.itn);
		scsi_lu_destroy(b.lu);
	}
#endif
	if (b.ctx)
		b.ops->ctx_destroy(b.ctx);
	srptd_backend_close(&b.bdev);
	close(epfd);
	free(pool.iov_base);
	free(b.slots);
	free(b.ready);
	free(b.lat_ns);
	return b.errors ? 1 : 0;
}
