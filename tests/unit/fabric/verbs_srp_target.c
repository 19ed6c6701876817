/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A minimal SRP target on the verbs fabric, for the VM: the SRP engine,
 * SCSI emulation and a file backend (sync engine) on one thread, listening
 * with RDMA/CM on ADDR:PORT.  It exists to prove the verbs fabric against
 * the Linux ib_srp initiator before the daemon wires the fabric in (the
 * guest script verbs_srp_vm.sh logs in and moves data).  Not a ctest test.
 *
 *   verbs_srp_target [-v] ADDR PORT ID_EXT IOC_GUID FILE SIZE_MIB
 *
 * SIGTERM/SIGINT: target logout on every channel, wait (at most 20 s) for
 * the engine to go idle, free everything, exit 0 (1 if it did not go
 * idle), so a sanitizer build reports leaks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/verbs.h"
#include "log.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srptd/backend.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
}

int main(int argc, char **argv)
{
	struct fabric_verbs_listen l = { 0 };
	struct fabric_verbs_params vp = { 0 };
	struct srp_engine_params ep;
	struct srp_target_params tp = { 0 };
	struct srptd_bdev_params bp = { 0 };
	struct scsi_lu_params lp = { 0 };
	struct scsi_lun_entry view;
	const struct srptd_backend_ops *used;
	struct srptd_bdev bdev;
	struct sigaction sa;
	struct loop *loop;
	struct srp_engine *e;
	struct fabric *f;
	struct srp_worker *w;
	struct srp_target *t;
	struct scsi_lu *lu;
	uint64_t deadline;
	bool verbose = false;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = true;
		argv++;
		argc--;
	}
	if (argc != 7) {
		fprintf(stderr, "usage: verbs_srp_target [-v] ADDR PORT ID_EXT "
				"IOC_GUID FILE SIZE_MIB\n");
		return 2;
	}
	log_init("verbs_srp_target", LOG_SINK_STDERR);
	log_set_level(verbose ? LOG_DEBUG : LOG_INFO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (loop_create(&loop))
		return 1;
	srp_engine_params_default(&ep);
	/* VERBS_SRP_SRQ=N: receive through a shared receive queue of N. */
	if (getenv("VERBS_SRP_SRQ")) {
		ep.use_srq = true;
		ep.srq_size = strtoul(getenv("VERBS_SRP_SRQ"), NULL, 0);
	}
	if (srp_engine_create(&ep, &e)) {
		fprintf(stderr, "srp_engine_create failed\n");
		return 1;
	}
	snprintf(l.addr, sizeof(l.addr), "%s", argv[1]);
	l.port = (uint16_t)strtoul(argv[2], NULL, 0);
	vp.listen = &l;
	vp.n_listen = 1;
	ret = fabric_verbs_create(loop, &vp, &srp_engine_listener, e, &f);
	if (ret) {
		fprintf(stderr, "fabric_verbs_create: %s\n", strerror(-ret));
		return 1;
	}
	memset(&bdev, 0, sizeof(bdev));
	bp.name = "disk0";
	bp.path = argv[5];
	bp.size = strtoull(argv[6], NULL, 0) << 20;
	bp.block_size = 512;
	bp.create = true;
	bp.write_cache = true;
	if (srptd_backend_open(&bdev, "sync", NULL, &bp, &used)) {
		fprintf(stderr, "backend open %s failed\n", argv[5]);
		return 1;
	}
	lp.vendor = "SRPTD";
	lp.product = "VERBS-TEST";
	lp.revision = "0001";
	lp.max_xfer_bytes = ep.max_io_size;
	if (scsi_lu_create(&bdev, &lp, &lu) ||
	    srp_worker_create(e, f, loop, &w)) {
		fprintf(stderr, "LU/worker creation failed\n");
		return 1;
	}
	tp.name = "vm";
	tp.id_ext = strtoull(argv[3], NULL, 16);
	tp.ioc_guid = strtoull(argv[4], NULL, 16);
	tp.unknown_default_map = true;
	view.lun = 0;
	view.lu = lu;
	view.read_only = false;
	if (srp_target_create(e, &tp, &t) || srp_target_set_luns(t, &view, 1)) {
		fprintf(stderr, "target creation failed\n");
		return 1;
	}
	printf("READY\n");
	fflush(stdout);

	while (!stop_flag)
		loop_run_once(loop, 100);

	srp_engine_stop(e);
	deadline = loop_now_ms() + 20000;
	while (!srp_engine_idle(e) && loop_now_ms() < deadline)
		loop_run_once(loop, 100);
	ret = srp_engine_idle(e) ? 0 : 1;
	if (ret) {
		fprintf(stderr, "engine not idle 20 s after stop\n");
		return ret; /* do not free what channels still use */
	}
	srp_worker_destroy(w);
	srp_engine_destroy(e);
	fabric_verbs_destroy(f);
	scsi_lu_destroy(lu);
	srptd_backend_close(&bdev);
	loop_destroy(loop);
	printf("STOPPED\n");
	return 0;
}
