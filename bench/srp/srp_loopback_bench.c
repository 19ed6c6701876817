/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srp-loopback-bench: the whole target data path (SRP engine, SCSI
 * emulation, null backend) driven by the test initiator over the loopback
 * fabric, on one thread: N READ(10) commands of bs bytes at queue depth qd.
 * Prints commands, wall and thread CPU time, IOPS and IOPS per core.  The
 * initiator's own work is included (it shares the thread), so the figures
 * are a lower bound for the target alone.  Used by bench/srp-loopback-bench.sh
 * (which also runs it under callgrind); nothing is asserted.
 *
 * usage: srp-loopback-bench [-n commands] [-q qd] [-b bs] [-w (WRITE)]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fabric_loop.h"
#include "srp_test_initiator.h"
#include "log.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srptd/backend.h"
#include "util.h"

#define ID_EXT 0x0002c90300b0b0b0ULL
#define IOC_GUID 0x0002c90300b0b0b1ULL

struct bench {
	struct srp_ti *ti;
	struct srp_ti_cmd *cmds;
	uint64_t total, submitted, completed, errors;
	uint32_t bs;
	uint64_t blocks;
	bool write;
	uint64_t lba;
};

static double ts_sec(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_issue(struct bench *b, struct srp_ti_cmd *c)
{
	uint32_t nb = b->bs / 512;

	b->lba = (b->lba + nb) % (b->blocks - nb);
	put_be32(c->cdb + 2, (uint32_t)b->lba);
	if (srp_ti_submit(b->ti, c)) {
		fprintf(stderr, "submit failed\n");
		exit(1);
	}
	b->submitted++;
}

static void bench_done(struct srp_ti_cmd *c)
{
	struct bench *b = c->priv;

	b->completed++;
	if (c->status)
		b->errors++;
	if (b->submitted < b->total)
		bench_issue(b, c);
}

static bool bench_finished(void *arg)
{
	struct bench *b = arg;

	return b->completed >= b->total;
}

static bool ti_settled(void *arg)
{
	return srp_ti_state(arg) != SRP_TI_CONNECTING;
}

static bool engine_idle(void *arg)
{
	return srp_engine_idle(arg);
}

int main(int argc, char **argv)
{
	struct bench b = { .total = 1000000, .bs = 4096 };
	unsigned int qd = 128;
	struct srp_engine_params ep;
	struct srp_target_params tp = { 0 };
	struct srptd_bdev_params bp = { 0 };
	struct scsi_lu_params lp = { 0 };
	struct srp_ti_params ip;
	struct scsi_lun_entry view;
	const struct srptd_backend_ops *used;
	struct srptd_bdev bdev;
	/*
	 * NULL: with link-time optimisation (cmake/SrptdLto.cmake) gcc sees
	 * the constructors' "ret = -errno" failure paths, and that errno is
	 * never 0 there is beyond it (-Wmaybe-uninitialized).
	 */
	struct loop *loop = NULL;
	struct srp_engine *e;
	struct fabric *f;
	struct fabric_cq *icq;
	struct srp_worker *w = NULL;
	struct srp_target *t;
	struct scsi_lu *lu;
	double w0, c0, wall, cpu;
	int opt;

	while ((opt = getopt(argc, argv, "n:q:b:w")) != -1) {
		switch (opt) {
		case 'n':
			b.total = strtoull(optarg, NULL, 0);
			break;
		case 'q':
			qd = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			b.bs = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			b.write = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n cmds] [-q qd] [-b bs] [-w]\n",
				argv[0]);
			return 2;
		}
	}
	if (!qd || qd > 1000 || b.bs < 512 || b.bs % 512 || b.bs > 1 << 20)
		return 2;
	log_set_level(LOG_WARNING);

	if (loop_create(&loop))
		return 1;
	srp_engine_params_default(&ep);
	ep.login.req_lim = qd + 1; /* the initiator keeps one for TM */
	ep.chunk_size = ALIGN_UP(b.bs, 4096u);
	ep.chunks = qd + 8;
	ep.max_io_size = ep.chunk_size;
	if (srp_engine_create(&ep, &e) ||
	    fabric_loop_create(loop, &srp_engine_listener, e, &f) ||
	    f->ops->cq_create(f, loop, 4096, &icq))
		return 1;
	memset(&bdev, 0, sizeof(bdev));
	bp.name = "null0";
	bp.size = 1ULL << 30;
	bp.block_size = 512;
	if (srptd_backend_open(&bdev, "null", NULL, &bp, &used))
		return 1;
	lp.vendor = "SRPTD";
	lp.product = "BENCH";
	lp.revision = "0001";
	lp.max_xfer_bytes = ep.max_io_size;
	if (scsi_lu_create(&bdev, &lp, &lu) ||
	    srp_worker_create(e, f, loop, &w))
		return 1;
	tp.name = "bench";
	tp.id_ext = ID_EXT;
	tp.ioc_guid = IOC_GUID;
	tp.unknown_default_map = true;
	view.lun = 0;
	view.lu = lu;
	view.read_only = false;
	if (srp_target_create(e, &tp, &t) || srp_target_set_luns(t, &view, 1))
		return 1;

	srp_ti_params_default(&ip);
	srp_target_port_id(ID_EXT, IOC_GUID, ip.target_port_id);
	ip.initiator_port_id[15] = 1;
	ip.slots = qd + 4;
	ip.mem_size = (size_t)qd * b.bs;
	ip.imm = false;
	if (srp_ti_create(f, icq, &ip, &b.ti) ||
	    !srp_ti_run_until(loop, ti_settled, b.ti, 5000) ||
	    srp_ti_state(b.ti) != SRP_TI_LOGGED_IN) {
		fprintf(stderr, "login failed\n");
		return 1;
	}
	b.blocks = bdev.size / 512;
	b.cmds = calloc(qd, sizeof(*b.cmds));
	/* Clear the power-on unit attention first. */
	{
		struct srp_ti_cmd tur = { 0 };

		for (int i = 0; i < 2; i++) {
			tur.done = false;
			srp_ti_submit(b.ti, &tur);
			while (!tur.done)
				loop_run_once(loop, 10);
		}
	}
	for (unsigned int i = 0; i < qd; i++) {
		struct srp_ti_cmd *c = &b.cmds[i];

		c->cdb[0] = b.write ? 0x2a : 0x28;
		put_be16(c->cdb + 7, b.bs / 512);
		c->dir = b.write ? 1 : 2;
		c->desc = SRP_TI_DIRECT;
		c->mem_off = i * b.bs;
		c->len = b.bs;
		c->cb = bench_done;
		c->priv = &b;
	}
	w0 = ts_sec(CLOCK_MONOTONIC);
	c0 = ts_sec(CLOCK_THREAD_CPUTIME_ID);
	for (unsigned int i = 0; i < qd && b.submitted < b.total; i++)
		bench_issue(&b, &b.cmds[i]);
	while (!bench_finished(&b))
		loop_run_once(loop, 100);
	wall = ts_sec(CLOCK_MONOTONIC) - w0;
	cpu = ts_sec(CLOCK_THREAD_CPUTIME_ID) - c0;

	printf("commands %llu errors %llu bs %u qd %u %s\n",
	       (unsigned long long)b.completed, (unsigned long long)b.errors,
	       b.bs, qd, b.write ? "WRITE" : "READ");
	printf("wall_s %.3f cpu_s %.3f iops %.0f iops_per_core %.0f "
	       "ns_per_cmd %.0f\n",
	       wall, cpu, b.completed / wall, b.completed / cpu,
	       cpu * 1e9 / b.completed);

	srp_ti_disconnect(b.ti);
	srp_ti_run_until(loop, engine_idle, e, 5000);
	fabric_loop_run(f);
	srp_ti_destroy(b.ti);
	srp_worker_destroy(w);
	srp_engine_destroy(e);
	f->ops->cq_destroy(icq);
	fabric_loop_destroy(f);
	scsi_lu_destroy(lu);
	srptd_backend_close(&bdev);
	loop_destroy(loop);
	free(b.cmds);
	return b.errors ? 1 : 0;
}
