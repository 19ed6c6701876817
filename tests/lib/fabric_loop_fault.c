/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loopback fabric, faults a test injects (fabric_loop.h "Faults"): a
 * send queue that does not run, a QP error, a host that vanished.  Like
 * the rest of the loopback, called from the owning loop's thread only.
 */
#include "fabric_loop_int.h"

void fabric_loop_hold_peer(struct fabric_qp *qp, bool hold)
{
	struct lf_qp *peer = lq_of(qp)->peer;

	if (!peer)
		return;
	peer->held = hold;
	/* Whatever waited runs at the next engine round. */
	if (!hold && peer->sq_count)
		lf_run_list_add(peer);
}

void fabric_loop_fail_peer(struct fabric_qp *qp)
{
	struct lf_qp *peer = lq_of(qp)->peer;

	if (peer)
		lf_qp_error(peer);
	lf_kick(lq_of(qp)->lf);
}

void fabric_loop_vanish(struct fabric_qp *qp)
{
	struct lf_qp *q = lq_of(qp);

	q->gone = true;
	/* A held peer would never find out. */
	if (q->peer && q->peer->sq_count)
		lf_run_list_add(q->peer);
}
