/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: memory registration.  An MR is registered on every ACTIVE
 * device; the lkey users see is a handle into vf->mrs that posting
 * translates to the device's lkey (v_lkey in verbs_int.h).  Devices added
 * or released later get or lose their part here.
 */
#include <stdlib.h>
#include <string.h>

#include "fabric/verbs/verbs_int.h"

int v_mr_reg(struct fabric *f, void *addr, size_t len, unsigned int access,
	     struct fabric_mr **out)
{
	struct verbs_fabric *vf = vf_of(f);
	int iacc = 0, ret = 0;
	unsigned int h;
	struct vmr *m;

	if (!addr || !len || len > f->caps.max_mr_size)
		return -EINVAL;
	if (access & FABRIC_ACCESS_LOCAL_WRITE)
		iacc |= IBV_ACCESS_LOCAL_WRITE;
	if (access & FABRIC_ACCESS_REMOTE_WRITE)
		iacc |= IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_LOCAL_WRITE;
	if (access & FABRIC_ACCESS_REMOTE_READ)
		iacc |= IBV_ACCESS_REMOTE_READ;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->iacc = iacc;
	/* Under the lock: a device being added registers every MR. */
	pthread_mutex_lock(&vf->lock);
	for (unsigned int i = 0; i < vf->ndev; i++) {
		struct vdev *d = &vf->devs[i];

		if (atomic_load(&d->state) != VD_ACTIVE)
			continue;
		m->mrs[i] = ibv_reg_mr(d->pd, addr, len, iacc);
		if (!m->mrs[i]) {
			ret = errno ? -errno : -ENOMEM;
			vdev_log(LOG_ERR, d, "ibv_reg_mr(%zu bytes): %s", len,
				 strerror(-ret));
			goto fail;
		}
		if (!m->base.rkey)
			m->base.rkey = m->mrs[i]->rkey;
	}
	for (h = vf->mr_hint; h < V_MAX_MRS && atomic_load(&vf->mrs[h]); h++)
		;
	if (h == V_MAX_MRS)
		for (h = 0; h < V_MAX_MRS && atomic_load(&vf->mrs[h]); h++)
			;
	if (h == V_MAX_MRS) {
		ret = -ENOMEM;
		goto fail;
	}
	m->handle = h;
	m->base.fabric = f;
	m->base.addr = addr;
	m->base.length = len;
	m->base.access = access;
	/* lkey is our handle, translated per device when posting; the
	 * rkey is the first device's (the target never exposes memory). */
	m->base.lkey = h;
	atomic_store(&vf->mrs[h], m);
	vf->mr_hint = h + 1;
	pthread_mutex_unlock(&vf->lock);
	*out = &m->base;
	return 0;
fail:
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		if (m->mrs[i])
			ibv_dereg_mr(m->mrs[i]);
	pthread_mutex_unlock(&vf->lock);
	free(m);
	return ret;
}

void v_mr_dereg(struct fabric_mr *mr)
{
	struct verbs_fabric *vf;
	struct vmr *m;

	if (!mr)
		return;
	m = container_of(mr, struct vmr, base);
	vf = vf_of(mr->fabric);
	pthread_mutex_lock(&vf->lock);
	atomic_store(&vf->mrs[m->handle], NULL);
	if (m->handle < vf->mr_hint)
		vf->mr_hint = m->handle;
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		if (m->mrs[i] && ibv_dereg_mr(m->mrs[i]))
			vdev_log(LOG_ERR, &vf->devs[i], "ibv_dereg_mr: %m");
	pthread_mutex_unlock(&vf->lock);
	free(m);
}

/* A device was added (vf->lock held, main thread): register every MR
 * on it.  On failure nothing is left registered on it. */
int vmr_dev_register(struct verbs_fabric *vf, struct vdev *d)
{
	unsigned int i = d->idx;

	for (unsigned int h = 0; h < V_MAX_MRS; h++) {
		struct vmr *m = atomic_load(&vf->mrs[h]);

		if (!m)
			continue;
		m->mrs[i] = ibv_reg_mr(d->pd, m->base.addr, m->base.length,
				       m->iacc);
		if (!m->mrs[i]) {
			vdev_log(LOG_ERR, d, "ibv_reg_mr(%zu bytes): %m",
				 m->base.length);
			for (unsigned int k = 0; k <= h; k++) {
				struct vmr *u = atomic_load(&vf->mrs[k]);

				if (u && u->mrs[i]) {
					ibv_dereg_mr(u->mrs[i]);
					u->mrs[i] = NULL;
				}
			}
			return -ENOMEM;
		}
	}
	return 0;
}

/* A device is being released (vf->lock held, main thread): deregister
 * every MR's part on it. */
void vmr_dev_release(struct verbs_fabric *vf, struct vdev *d)
{
	for (unsigned int h = 0; h < V_MAX_MRS; h++) {
		struct vmr *m = atomic_load(&vf->mrs[h]);

		if (m && m->mrs[d->idx]) {
			if (ibv_dereg_mr(m->mrs[d->idx]))
				vdev_log(LOG_ERR, d, "ibv_dereg_mr: %m");
			m->mrs[d->idx] = NULL;
		}
	}
}
