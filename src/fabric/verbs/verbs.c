/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: struct fabric_ops on libibverbs + librdmacm (model in
 * src/fabric/verbs.h, internals and threading rules in verbs_int.h): the
 * ops table, creation and destruction.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "fabric/verbs/verbs_int.h"

/* Where each callback lives; the threads they run on: verbs_int.h. */
static const struct fabric_ops verbs_ops = {
	.name = "verbs",
	.mr_reg = v_mr_reg, /* mr.c: on every device, handle as lkey */
	.mr_dereg = v_mr_dereg, /* mr.c */
	.cq_create = v_cq_create, /* cq.c: one part per device */
	.cq_counters = v_cq_counters, /* cq.c: posts, polls, events */
	.cq_destroy = v_cq_destroy, /* cq.c */
	.cq_poll = v_cq_poll, /* cq.c: busy polling, arm on request */
	.cq_hurry = v_cq_hurry, /* cq.c: lazy completions now */
	.qp_create = v_qp_create, /* qp.c: RC QP on the request's device */
	.qp_destroy = v_qp_destroy, /* qp.c: also destroys the cm_id */
	.accept = v_accept, /* cm.c: REP (rdma_accept) */
	.reject = v_reject, /* cm.c: REJ (rdma_reject) */
	.post_recv = v_post_recv, /* qp.c */
	.post_send = v_post_send, /* qp.c: SEND and RDMA chains */
	.disconnect = v_disconnect, /* cm.c: DREQ (rdma_disconnect) */
	.drain = v_drain, /* qp.c: error state + marker send */
	.srq_create = v_srq_create, /* srq.c: one ibv_srq per CQ part */
	.srq_destroy = v_srq_destroy, /* srq.c */
	.srq_repost = v_srq_repost, /* srq.c: a lent buffer comes back */
};

int fabric_verbs_create(struct loop *main_loop,
			const struct fabric_verbs_params *p,
			const struct fabric_listener_handlers *lh, void *lctx,
			struct fabric **out)
{
	struct verbs_fabric *vf;
	int ret;

	if (!main_loop || !p || !lh || !lh->conn_request || !out)
		return -EINVAL;
	vf = calloc(1, sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	pthread_mutex_init(&vf->lock, NULL);
	vf->mrs = calloc(V_MAX_MRS, sizeof(*vf->mrs));
	if (!vf->mrs) {
		ret = -ENOMEM;
		goto fail;
	}
	vf->main_loop = main_loop;
	vf->p = *p;
	/* Keep private copies of the caller's arrays. */
	if (p->n_listen) {
		vf->listen_cfg = calloc(p->n_listen, sizeof(*vf->listen_cfg));
		if (!vf->listen_cfg) {
			ret = -ENOMEM;
			goto fail;
		}
		memcpy(vf->listen_cfg, p->listen,
		       p->n_listen * sizeof(*vf->listen_cfg));
		vf->p.listen = vf->listen_cfg;
	}
	if (p->n_ports) {
		vf->ports_cfg = calloc(p->n_ports, sizeof(*vf->ports_cfg));
		if (!vf->ports_cfg) {
			ret = -ENOMEM;
			goto fail;
		}
		memcpy(vf->ports_cfg, p->ports,
		       p->n_ports * sizeof(*vf->ports_cfg));
		vf->p.ports = (const char(*)[64])vf->ports_cfg;
	}
	vf->skips = p->skips ? p->skips : &vf->own_skips;
	vf->base.ops = &verbs_ops;
	vf->base.lh = lh;
	vf->base.lctx = lctx;

	ret = v_devices_open(vf);
	if (ret)
		goto fail;
	vf->ech = rdma_create_event_channel();
	if (!vf->ech) {
		ret = -errno;
		v_log(LOG_ERR, "rdma_create_event_channel: %m");
		goto fail;
	}
	ret = set_nonblock(vf->ech->fd);
	if (ret)
		goto fail;
	ret = loop_add_fd(main_loop, vf->ech->fd, EPOLLIN, v_cm_fd_cb, vf);
	if (ret)
		goto fail;
	ret = v_listeners_setup(vf);
	if (ret)
		goto fail_fd;
	/* Hot add and removal: see v_refresh_devices(). */
	if (loop_timer_add(main_loop, V_SCAN_MS, 0, v_scan_cb, vf, &vf->scan))
		v_log(LOG_WARNING, "device hot plug not watched");
	*out = &vf->base;
	return 0;
fail_fd:
	loop_del_fd(main_loop, vf->ech->fd);
fail:
	if (vf->retry)
		loop_timer_cancel(main_loop, vf->retry);
	for (unsigned int i = 0; i < vf->nlst; i++)
		v_listener_close(&vf->lst[i]);
	free(vf->lst);
	if (vf->ech)
		rdma_destroy_event_channel(vf->ech);
	v_devices_close(vf);
	free(vf->listen_cfg);
	free(vf->ports_cfg);
	free(vf->mrs);
	pthread_mutex_destroy(&vf->lock);
	free(vf);
	return ret;
}

void fabric_verbs_destroy(struct fabric *f)
{
	struct verbs_fabric *vf;
	struct fabric_conn_req *c;

	if (!f)
		return;
	vf = vf_of(f);
	if (vf->scan)
		loop_timer_cancel(vf->main_loop, vf->scan);
	if (vf->retry)
		loop_timer_cancel(vf->main_loop, vf->retry);
	for (unsigned int i = 0; i < vf->nlst; i++)
		v_listener_close(&vf->lst[i]);
	free(vf->lst);
	/* Connections the engine left behind (pending requests, QPs): tear
	 * the ids down; messages still queued to stopped loops are lost. */
	while ((c = vf->conns)) {
		if (!c->drain_forced)
			cm_log(LOG_WARNING, c,
			       "still open at fabric destruction (%s)",
			       vc_state_names[c->state]);
		vc_release_id(c);
		vf->conns = c->next;
		if (c->next)
			c->next->prev = NULL;
		c->next = c->prev = NULL;
		free(c->sq_slots);
		free(c->rq_slots);
		free(c->swr);
		free(c->ssge);
		free(c->rwr);
		free(c->rsge);
		free(c);
	}
	for (unsigned int i = 0; vf->mrs && i < V_MAX_MRS; i++)
		if (atomic_load(&vf->mrs[i])) {
			v_log(LOG_WARNING, "MR %u still registered", i);
			v_mr_dereg(&atomic_load(&vf->mrs[i])->base);
		}
	if (vf->ech) {
		loop_del_fd(vf->main_loop, vf->ech->fd);
		rdma_destroy_event_channel(vf->ech);
	}
	v_devices_close(vf);
	free(vf->listen_cfg);
	free(vf->ports_cfg);
	free(vf->mrs);
	pthread_mutex_destroy(&vf->lock);
	free(vf);
}
