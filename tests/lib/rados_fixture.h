/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A test's own librados connection to the throw-away cluster that
 * tests/lib/ceph-cluster.sh starts (doc/ceph.md): tests check what the
 * rbd engine did through it, independently of the engine's handle.
 */
#ifndef SRPTD_TEST_RADOS_FIXTURE_H
#define SRPTD_TEST_RADOS_FIXTURE_H

#include <rados/librados.h>

struct rados_fx {
	rados_t cluster;
	rados_ioctx_t ioctx; /* on the pool passed to rados_fx_connect() */
};

/*
 * Connect as client.admin with $CEPH_CONF (set by ceph-cluster.sh run) and
 * open pool.  0 or -errno; -ENOENT without CEPH_CONF (the test was not
 * started under ceph-cluster.sh).  Nothing is left open on failure.
 */
int rados_fx_connect(struct rados_fx *fx, const char *pool);
/* Close what rados_fx_connect() opened; safe on a zeroed fx. */
void rados_fx_disconnect(struct rados_fx *fx);

#endif
