/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The tests' own librados connection (rados_fixture.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "rados_fixture.h"

int rados_fx_connect(struct rados_fx *fx, const char *pool)
{
	int ret;

	fx->cluster = NULL;
	fx->ioctx = NULL;
	if (!getenv("CEPH_CONF")) {
		fprintf(stderr, "run under tests/lib/ceph-cluster.sh run\n");
		return -ENOENT;
	}
	ret = rados_create(&fx->cluster, NULL);
	if (ret) {
		fx->cluster = NULL;
		return ret;
	}
	ret = rados_conf_read_file(fx->cluster, NULL);
	if (!ret)
		/* A test's check must not hang when the cluster is gone. */
		ret = rados_conf_set(fx->cluster, "rados_osd_op_timeout", "10");
	if (!ret)
		ret = rados_connect(fx->cluster);
	if (!ret)
		ret = rados_ioctx_create(fx->cluster, pool, &fx->ioctx);
	if (ret) {
		fx->ioctx = NULL;
		rados_fx_disconnect(fx);
	}
	return ret;
}

void rados_fx_disconnect(struct rados_fx *fx)
{
	if (fx->ioctx)
		rados_ioctx_destroy(fx->ioctx);
	if (fx->cluster)
		rados_shutdown(fx->cluster);
	fx->ioctx = NULL;
	fx->cluster = NULL;
}
