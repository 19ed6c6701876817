/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: RDMA devices (main thread): probing through the port
 * filter, protection domains, async events, and hot plug (a periodic
 * rescan of librdmacm's device list; removal and release in the order
 * verbs_int.h describes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "fabric/verbs/verbs_int.h"

bool fabric_verbs_port_match(const char *filter, const char *dev,
			     unsigned int port)
{
	return fabric_port_match(filter, dev, port);
}

/* The device slot of a librdmacm context (not a released one). */
struct vdev *v_find_dev(struct verbs_fabric *vf, struct ibv_context *ctx)
{
	if (!ctx)
		return NULL;
	for (unsigned int i = 0; i < vf->ndev; i++) {
		int st = atomic_load(&vf->devs[i].state);

		if ((st == VD_ACTIVE || st == VD_REMOVING) &&
		    vf->devs[i].ctx == ctx)
			return &vf->devs[i];
	}
	return NULL;
}

static bool v_port_selected(const struct fabric_verbs_params *p,
			    const char *dev, unsigned int port)
{
	if (!p->n_ports)
		return true;
	for (unsigned int i = 0; i < p->n_ports; i++)
		if (fabric_verbs_port_match(p->ports[i], dev, port))
			return true;
	return false;
}

/*
 * Why dev ("" = the fabric as a whole) is not in use: logged at lvl the
 * first time, and again only when the reason changes; the rescan retries
 * the device every V_SCAN_MS meanwhile (struct fabric_verbs_skips).
 */
static void v_skip(struct verbs_fabric *vf, int lvl, const char *dev,
		   const char *why)
{
	struct fabric_verbs_skips *sk = vf->skips;
	unsigned int i;

	for (i = 0; i < sk->n; i++)
		if (!strcmp(sk->e[i].dev, dev))
			break;
	if (i < sk->n && !strcmp(sk->e[i].why, why)) {
		pr_debug(LOG_C_FABRIC, "verbs%s%s: still not used: %s",
			 *dev ? " " : "", dev, why);
		return;
	}
	if (*dev)
		pr_log(lvl, LOG_C_FABRIC,
		       "verbs %s: not used: %s (retried every %u s)", dev, why,
		       V_SCAN_MS / 1000);
	else
		pr_log(lvl, LOG_C_FABRIC, "verbs: %s", why);
	if (i == sk->n) {
		if (sk->n == FABRIC_VERBS_MAX_SKIPS)
			return; /* logged; not remembered */
		sk->n++;
	}
	snprintf(sk->e[i].dev, sizeof(sk->e[i].dev), "%s", dev);
	snprintf(sk->e[i].why, sizeof(sk->e[i].why), "%s", why);
}

/* dev is in use or gone: forget its reason, copied to was ("" if none). */
static void v_unskip(struct verbs_fabric *vf, const char *dev, char *was,
		     size_t len)
{
	struct fabric_verbs_skips *sk = vf->skips;

	if (len)
		was[0] = 0;
	for (unsigned int i = 0; i < sk->n; i++) {
		if (strcmp(sk->e[i].dev, dev))
			continue;
		if (len)
			snprintf(was, len, "%s", sk->e[i].why);
		sk->e[i] = sk->e[--sk->n];
		return;
	}
}

static void v_async_cb(void *arg, uint32_t events);

/*
 * Open slot d for ctx: ports through the filter, PD, async events.
 * With why set and the slot left FREE: -ENOENT when fabric.ports selects
 * none of its ports (the admin's choice), -ENODEV when it is unusable.
 * Logs nothing above info: the caller reports (v_skip, v_dev_log_up).
 */
static int v_dev_probe(struct verbs_fabric *vf, struct vdev *d,
		       struct ibv_context *ctx, char *why, size_t why_len)
{
	const char *name = ibv_get_device_name(ctx->device);
	unsigned int idx = d->idx;
	unsigned int n_sel = 0;
	int err;

	memset(d, 0, sizeof(*d));
	d->idx = idx;
	d->vf = vf;
	atomic_init(&d->state, VD_FREE);
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "?");
	d->ctx = ctx;
	err = ibv_query_device(ctx, &d->attr); /* returns an errno */
	if (err) {
		snprintf(why, why_len, "ibv_query_device: %s", strerror(err));
		return -ENODEV;
	}
	d->nports = d->attr.phys_port_cnt;
	for (unsigned int p = 1; p <= d->nports && p < 32; p++) {
		struct ibv_port_attr pa;

		if (!v_port_selected(&vf->p, d->name, p))
			continue;
		n_sel++;
		err = ibv_query_port(ctx, p, &pa);
		if (err) {
			snprintf(why, why_len, "port %u: ibv_query_port: %s", p,
				 strerror(err));
			continue;
		}
		d->port_mask |= 1u << p;
		if (pa.link_layer == IBV_LINK_LAYER_INFINIBAND ||
		    pa.link_layer == IBV_LINK_LAYER_UNSPECIFIED)
			d->ib_port_mask |= 1u << p;
	}
	if (!n_sel) {
		snprintf(why, why_len,
			 "none of its %u port(s) is selected by fabric.ports",
			 d->nports);
		return -ENOENT;
	}
	if (!d->port_mask)
		return -ENODEV; /* why: the failed port query */
	d->pd = ibv_alloc_pd(ctx);
	if (!d->pd) {
		snprintf(why, why_len, "ibv_alloc_pd: %s", strerror(errno));
		return -ENODEV;
	}
	if (set_nonblock(ctx->async_fd) == 0 &&
	    loop_add_fd(vf->main_loop, ctx->async_fd, EPOLLIN, v_async_cb, d) ==
		    0)
		d->async_watched = true;
	else
		vdev_log(LOG_WARNING, d, "async events not watched");
	vdev_log(LOG_INFO, d,
		 "limits: max_qp_wr %d max_sge %d max_qp_init_rd_atom %d",
		 d->attr.max_qp_wr, d->attr.max_sge,
		 d->attr.max_qp_init_rd_atom);
	return 0;
}

/* Undo v_dev_probe (MRs and CQ parts already released). */
static void v_dev_unprobe(struct verbs_fabric *vf, struct vdev *d)
{
	if (d->async_watched)
		loop_del_fd(vf->main_loop, d->ctx->async_fd);
	d->async_watched = false;
	if (d->pd && ibv_dealloc_pd(d->pd))
		vdev_log(LOG_ERR, d, "ibv_dealloc_pd: %m");
	d->pd = NULL;
}

/* Every CQ part, MR and the PD of d are released: the kernel may finish
 * unregistering the device once librdmacm closes its context. */
void v_dev_release_finish(void *arg)
{
	struct vdev *d = arg;
	struct verbs_fabric *vf = d->vf;

	pthread_mutex_lock(&vf->lock);
	vmr_dev_release(vf, d);
	pthread_mutex_unlock(&vf->lock);
	v_dev_unprobe(vf, d);
	atomic_store(&d->state, VD_RELEASED);
	vdev_log(LOG_NOTICE, d, "released");
	/* Drop our librdmacm reference: it closes the context. */
	v_refresh_devices(vf);
}

/* The device's last connection is gone: release its CQ parts. */
void v_dev_release_cqs(void *arg)
{
	struct vdev *d = arg;
	struct verbs_fabric *vf = d->vf;

	pthread_mutex_lock(&vf->lock);
	atomic_store(&d->cq_pending, 1); /* ours, dropped below */
	for (struct fabric_cq *cq = vf->cqs; cq; cq = cq->next) {
		if (!cq->devs[d->idx].icq)
			continue;
		atomic_fetch_add(&d->cq_pending, 1);
		if (vcq_msg_send(cq, d, false)) {
			vdev_log(LOG_ERR, d, "cannot release a CQ part");
			atomic_fetch_sub(&d->cq_pending, 1);
		}
	}
	pthread_mutex_unlock(&vf->lock);
	if (atomic_fetch_sub(&d->cq_pending, 1) == 1)
		v_dev_release_finish(d);
}

/* d is going away (removed, fatal): stop using it and release it once its
 * connections are gone. */
void v_dev_remove(struct vdev *d, const char *why)
{
	struct verbs_fabric *vf = d->vf;
	struct fabric_conn_req **cs = NULL;
	unsigned int n = 0;
	bool idle;

	pthread_mutex_lock(&vf->lock);
	if (atomic_load(&d->state) != VD_ACTIVE) {
		pthread_mutex_unlock(&vf->lock);
		return;
	}
	atomic_store(&d->state, VD_REMOVING);
	vdev_log(LOG_WARNING, d, "%s: closing its %u connection(s)", why,
		 d->nconns);
	/* Collect references; messages are sent (and references dropped,
	 * which may free) without the lock. */
	if (d->nconns)
		cs = calloc(d->nconns, sizeof(*cs));
	for (struct fabric_conn_req *c = vf->conns; c && cs; c = c->next) {
		if (c->dev != d || n == d->nconns)
			continue;
		atomic_store(&c->peer_gone, true);
		if (vc_tryget(c))
			cs[n++] = c;
	}
	if (d->nconns && !cs)
		vdev_log(LOG_ERR, d, "out of memory closing connections");
	idle = !d->nconns && !d->release_started;
	if (idle)
		d->release_started = true;
	pthread_mutex_unlock(&vf->lock);
	for (unsigned int i = 0; i < n; i++) {
		vc_send(cs[i], VM_DISCONNECTED);
		vc_put(cs[i]);
	}
	free(cs);
	for (unsigned int i = 0; i < vf->nlst; i++) {
		struct vlistener *l = &vf->lst[i];

		if (l->id && l->id->verbs == d->ctx)
			v_listener_lost(vf, l);
	}
	if (idle)
		v_dev_release_cqs(d);
}

/* A device appeared: probe it, register every MR, add it to every CQ. */
static void v_dev_add(struct verbs_fabric *vf, struct ibv_context *ctx)
{
	const char *name = ibv_get_device_name(ctx->device);
	struct vdev *d = NULL;
	char why[96];
	unsigned int i;
	int ret;

	if (!name)
		name = "?";

	for (i = 0; i < V_MAX_DEVS; i++) {
		int st = atomic_load(&vf->devs[i].state);

		if (st == VD_FREE || st == VD_RELEASED) {
			d = &vf->devs[i];
			break;
		}
	}
	if (!d) {
		snprintf(why, sizeof(why), "%u devices in use already",
			 V_MAX_DEVS);
		v_skip(vf, LOG_WARNING, name, why);
		return;
	}
	d->idx = i;
	ret = v_dev_probe(vf, d, ctx, why, sizeof(why));
	if (ret) {
		v_dev_unprobe(vf, d);
		atomic_store(&d->state, VD_FREE);
		v_skip(vf, ret == -ENOENT ? LOG_NOTICE : LOG_WARNING, name,
		       why);
		return;
	}
	pthread_mutex_lock(&vf->lock);
	if (vmr_dev_register(vf, d)) {
		pthread_mutex_unlock(&vf->lock);
		v_dev_unprobe(vf, d);
		atomic_store(&d->state, VD_FREE);
		v_skip(vf, LOG_WARNING, name,
		       "cannot register the memory regions on it");
		return;
	}
	d->nconns = 0;
	d->release_started = false;
	atomic_store(&d->state, VD_ACTIVE);
	if (i >= vf->ndev)
		vf->ndev = i + 1;
	for (struct fabric_cq *cq = vf->cqs; cq; cq = cq->next)
		if (vcq_msg_send(cq, d, true))
			vdev_log(LOG_ERR, d, "cannot add it to a CQ");
	pthread_mutex_unlock(&vf->lock);
	v_unskip(vf, name, why, sizeof(why));
	v_dev_log_up(d, why[0] ? why : NULL);
	if (vf->p.dev_up)
		vf->p.dev_up(vf->p.port_event_ctx, d->name);
}

/*
 * Compare librdmacm's device list with ours: devices that vanished are
 * removed (a driver without disassociate support, such as rxe, sends no
 * event: the kernel just waits for every user to close the device), new
 * ones added.  Our reference list is only swapped when no device is being
 * released, so librdmacm cannot close a context we still use.
 */
void v_refresh_devices(struct verbs_fabric *vf)
{
	struct ibv_context **list;
	bool removing = false;
	int n = 0;

	list = rdma_get_devices(&n);
	if (!list)
		n = 0;
	pr_debug(LOG_C_FABRIC, "verbs: device scan: %d device(s)", n);
	for (unsigned int i = 0; i < vf->ndev; i++) {
		struct vdev *d = &vf->devs[i];
		bool found = false;

		if (atomic_load(&d->state) != VD_ACTIVE)
			continue;
		for (int k = 0; k < n; k++)
			found |= list[k] == d->ctx;
		if (!found)
			v_dev_remove(d, "device gone");
	}
	/* A device that left and comes back is reported afresh. */
	for (unsigned int j = 0; j < vf->skips->n;) {
		const char *dev = vf->skips->e[j].dev;
		bool found = !*dev;

		for (int k = 0; k < n && !found; k++)
			found = !strcmp(dev,
					ibv_get_device_name(list[k]->device));
		if (found)
			j++;
		else
			v_unskip(vf, dev, NULL, 0);
	}
	for (int k = 0; k < n; k++)
		if (!v_find_dev(vf, list[k]))
			v_dev_add(vf, list[k]);
	for (unsigned int i = 0; i < vf->ndev; i++)
		removing |= atomic_load(&vf->devs[i].state) == VD_REMOVING;
	if (removing) {
		if (list)
			rdma_free_devices(list);
		return;
	}
	if (vf->rdma_devs)
		rdma_free_devices(vf->rdma_devs);
	vf->rdma_devs = list;
}

void v_scan_cb(void *arg)
{
	struct verbs_fabric *vf = arg;

	vf->scan = NULL;
	v_refresh_devices(vf);
	if (loop_timer_add(vf->main_loop, V_SCAN_MS, 0, v_scan_cb, vf,
			   &vf->scan))
		v_log(LOG_ERR, "cannot arm the device scan timer");
}

static void v_async_cb(void *arg, uint32_t events)
{
	struct vdev *d = arg;
	struct verbs_fabric *vf = d->vf;
	struct ibv_async_event ev;

	while (ibv_get_async_event(d->ctx, &ev) == 0) {
		switch (ev.event_type) {
		case IBV_EVENT_PORT_ACTIVE:
		case IBV_EVENT_PORT_ERR:
			vdev_log(ev.event_type == IBV_EVENT_PORT_ACTIVE ?
					 LOG_NOTICE :
					 LOG_WARNING,
				 d, "port %d %s", ev.element.port_num,
				 ibv_event_type_str(ev.event_type));
			if (vf->p.port_event)
				vf->p.port_event(vf->p.port_event_ctx, d->name,
						 ev.element.port_num,
						 ev.event_type ==
							 IBV_EVENT_PORT_ACTIVE);
			break;
		case IBV_EVENT_LID_CHANGE:
		case IBV_EVENT_GID_CHANGE:
		case IBV_EVENT_PKEY_CHANGE:
		case IBV_EVENT_SM_CHANGE:
		case IBV_EVENT_CLIENT_REREGISTER:
			vdev_log(LOG_INFO, d, "port %d %s", ev.element.port_num,
				 ibv_event_type_str(ev.event_type));
			break;
		case IBV_EVENT_DEVICE_FATAL:
			vdev_log(LOG_ERR, d, "fatal device error");
			/* Released later from the loop; the fd stays valid
			 * for the rest of this callback. */
			v_dev_remove(d, "fatal error");
			break;
		case IBV_EVENT_COMM_EST: {
			/* A receive completed before the RTU: tell the CM
			 * (rdma_notify(3), doc/verbs.md "Accept and
			 * reject").  The QP cannot be destroyed before this
			 * event is acked. */
			struct fabric_conn_req *c = ev.element.qp->qp_context;

			if (c && c->id)
				rdma_notify(c->id, IBV_EVENT_COMM_EST);
			break;
		}
		case IBV_EVENT_QP_LAST_WQE_REACHED:
		case IBV_EVENT_SQ_DRAINED:
			break;
		case IBV_EVENT_QP_FATAL:
		case IBV_EVENT_QP_REQ_ERR:
		case IBV_EVENT_QP_ACCESS_ERR: {
			struct fabric_conn_req *c = ev.element.qp->qp_context;

			if (c)
				cm_log(LOG_WARNING, c, "qp 0x%x: %s",
				       ev.element.qp->qp_num,
				       ibv_event_type_str(ev.event_type));
			break;
		}
		default:
			vdev_log(LOG_INFO, d, "async event %s",
				 ibv_event_type_str(ev.event_type));
			break;
		}
		ibv_ack_async_event(&ev);
	}
}

void v_devices_close(struct verbs_fabric *vf)
{
	for (unsigned int i = 0; i < vf->ndev; i++)
		v_dev_unprobe(vf, &vf->devs[i]);
	vf->ndev = 0;
	if (vf->rdma_devs)
		rdma_free_devices(vf->rdma_devs);
	vf->rdma_devs = NULL;
}

int v_devices_open(struct verbs_fabric *vf)
{
	struct fabric_caps *caps = &vf->base.caps;
	int n = 0, ret;

	vf->rdma_devs = rdma_get_devices(&n);
	if (!vf->rdma_devs || n <= 0) {
		v_skip(vf, LOG_NOTICE, "", "no RDMA device present");
		v_devices_close(vf);
		return -ENODEV;
	}
	caps->max_qp_wr = vf->p.max_qp_wr ? vf->p.max_qp_wr : ~0u;
	caps->max_sge = vf->p.max_sge ? vf->p.max_sge : FABRIC_MAX_SGE;
	caps->max_sge = umin(caps->max_sge, FABRIC_MAX_SGE);
	caps->max_rd_atomic = ~0u;
	caps->max_mr_size = SIZE_MAX;
	for (int i = 0; i < n && vf->ndev < V_MAX_DEVS; i++) {
		struct vdev *d = &vf->devs[vf->ndev];
		char why[96];

		d->idx = vf->ndev;
		ret = v_dev_probe(vf, d, vf->rdma_devs[i], why, sizeof(why));
		if (ret) {
			v_dev_unprobe(vf, d);
			v_skip(vf, ret == -ENOENT ? LOG_NOTICE : LOG_WARNING,
			       d->name, why);
			continue;
		}
		atomic_store(&d->state, VD_ACTIVE);
		vf->ndev++;
		v_unskip(vf, d->name, why, sizeof(why));
		v_dev_log_up(d, why[0] ? why : NULL);
		caps->max_qp_wr = umin(caps->max_qp_wr, d->attr.max_qp_wr);
		caps->max_sge = umin(caps->max_sge, d->attr.max_sge);
		caps->max_rd_atomic =
			umin(caps->max_rd_atomic, d->attr.max_qp_init_rd_atom);
		if (d->attr.max_mr_size < caps->max_mr_size)
			caps->max_mr_size = d->attr.max_mr_size;
		/* iWARP: READ sinks need remote write access (fabric.h). */
		if (d->ctx->device->transport_type == IBV_TRANSPORT_IWARP)
			caps->read_sink_remote_write = true;
	}
	if (!vf->ndev) {
		v_skip(vf, LOG_WARNING, "",
		       "no RDMA device can be used (reasons above)");
		v_devices_close(vf);
		return -ENODEV;
	}
	v_unskip(vf, "", NULL, 0);
	return 0;
}

unsigned int fabric_verbs_devices(struct fabric *f, char *buf, size_t len)
{
	struct verbs_fabric *vf = vf_of(f);
	unsigned int n = 0;
	size_t off = 0;

	if (len)
		buf[0] = 0;
	pthread_mutex_lock(&vf->lock);
	for (unsigned int i = 0; i < vf->ndev; i++) {
		if (atomic_load(&vf->devs[i].state) != VD_ACTIVE)
			continue;
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s",
					n ? " " : "", vf->devs[i].name);
		n++;
	}
	pthread_mutex_unlock(&vf->lock);
	return n;
}
