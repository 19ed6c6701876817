/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Storage objects of the daemon; see devices.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "daemon_change.h"
#include "devices.h"
#include "log.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srptd/version.h"
#include "util.h"
#if SRPTD_HAVE_RBD
#include "backend/bs_rbd_pr.h"
#endif

/* device_set.max_xfer 0: srp_engine_params_default()'s max_io_size. */
#define DEVICES_DEFAULT_MAX_XFER (1u << 20)

static void device_fill_params(const struct config_device *c,
			       struct srptd_bdev_params *p)
{
	*p = (struct srptd_bdev_params){
		.name = c->name,
		.path = c->path[0] ? c->path : NULL,
		.size = c->size,
		.block_size = c->block_size,
		.read_only = c->read_only,
		.direct_io = c->direct_io,
		.create = c->create,
		.write_cache = c->write_cache,
	};
	if (c->engine == CONFIG_ENGINE_RBD) {
		p->path = c->rbd_image;
		p->ceph_conf = c->ceph_conf[0] ? c->ceph_conf : NULL;
		p->ceph_client = c->ceph_client[0] ? c->ceph_client : NULL;
		p->ceph_keyring = c->ceph_keyring[0] ? c->ceph_keyring : NULL;
		p->ceph_timeout = c->ceph_timeout ? c->ceph_timeout : 30;
	}
}

/* What the device exports, for the log: a file, an RBD image or nothing. */
static const char *device_store(const struct config_device *c)
{
	if (c->engine == CONFIG_ENGINE_RBD)
		return c->rbd_image;
	return c->path[0] ? c->path : NULL;
}

/*
 * The ALUA groups every LU reports (doc/ha.md): this srptd's group and
 * state, and the partner groups, from the alua section.
 */
static void devices_alua(const struct config *cfg, struct scsi_alua *a)
{
	memset(a, 0, sizeof(*a));
	a->own.id = (uint16_t)cfg->alua.group_id;
	a->own.state = (enum scsi_alua_state)cfg->alua.state;
	a->n_peers = MIN(cfg->alua.n_peers, (unsigned int)SCSI_ALUA_MAX_PEERS);
	for (unsigned int i = 0; i < a->n_peers; i++) {
		const struct config_alua_group *c = &cfg->alua.peers[i];
		struct scsi_alua_group *g = &a->peers[i];

		g->id = (uint16_t)c->id;
		g->state = (enum scsi_alua_state)c->state;
		g->n_ports = MIN(c->n_ports, (unsigned int)SCSI_ALUA_MAX_PORTS);
		memcpy(g->ports, c->ports, g->n_ports * sizeof(g->ports[0]));
	}
}

static void device_resize(struct device_set *set, struct device *d,
			  const struct config_device *c,
			  struct daemon_change_report *rep);

/*
 * The engine saw the store change (srptd/backend.h watch_fd): re-read its
 * size as `srptadm device resize NAME 0` would, unless the configuration
 * fixes the size.  A spurious event re-reads an unchanged size: no-op.
 */
static void device_on_watch(void *arg, uint32_t events)
{
	struct device *d = arg;
	uint64_t n;

	(void)events;
	if (read(d->watch_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		dev_log(LOG_ERR, d->cfg.name, "watch: %s", strerror(errno));
	if (d->state == DEVICE_ONLINE && !d->cfg.size)
		device_resize(d->set, d, &d->cfg, NULL);
}

static void device_watch(struct device_set *set, struct device *d)
{
	int fd;

	if (!set->loop || !d->engine->watch_fd)
		return;
	fd = d->engine->watch_fd(&d->bdev);
	if (fd < 0)
		return;
	if (loop_add_fd(set->loop, fd, EPOLLIN, device_on_watch, d)) {
		dev_log(LOG_ERR, d->cfg.name,
			"cannot watch the store; a change of its size needs srptadm device resize");
		return;
	}
	d->watch_fd = fd;
}

#if SRPTD_HAVE_RBD
/*
 * The reservation object's event fd is readable: another host changed
 * the reservations, or the watch was lost (and is restored here).
 */
static void device_on_pr_event(void *arg, uint32_t events)
{
	struct device *d = arg;

	(void)events;
	if (bs_rbd_pr_poll(d->pr_obj) > 0)
		scsi_pr_refresh(d->lu);
}

/*
 * A shared device of the rbd engine keeps its reservations in the object
 * beside the image (doc/ceph.md "Reservations"); lp gets that store.
 */
static int device_share_pr(struct device *d, struct scsi_lu_params *lp)
{
	int ret;

	if (strcmp(d->engine->name, "rbd"))
		return 0;
	ret = bs_rbd_pr_open(&d->bdev, &d->pr_obj);
	if (ret)
		return ret;
	d->pr_shared = (struct scsi_pr_shared){ .ops = &scsi_pr_rbd_ops,
						.ctx = d->pr_obj };
	lp->pr_mode = SCSI_PR_SHARED;
	lp->pr_shared = &d->pr_shared;
	return 0;
}

/* Watch the object's event fd on loop (after the LU exists). */
static int device_watch_pr(struct device *d, struct loop *loop)
{
	int ret;

	if (!d->pr_obj || !loop)
		return 0;
	ret = loop_add_fd(loop, bs_rbd_pr_event_fd(d->pr_obj), EPOLLIN,
			  device_on_pr_event, d);
	if (!ret)
		d->pr_loop = loop;
	return ret;
}

static void device_unshare_pr(struct device *d)
{
	if (d->pr_loop)
		loop_del_fd(d->pr_loop, bs_rbd_pr_event_fd(d->pr_obj));
	d->pr_loop = NULL;
	bs_rbd_pr_close(d->pr_obj);
	d->pr_obj = NULL;
}

void devices_check_watches(struct device_set *set)
{
	for (unsigned int i = 0; i < set->n; i++) {
		struct device *d = set->dev[i];

		if (d && d->state == DEVICE_ONLINE && d->pr_obj &&
		    !bs_rbd_pr_watching(d->pr_obj))
			device_on_pr_event(d, 0);
	}
}
#else
static int device_share_pr(struct device *d, struct scsi_lu_params *lp)
{
	(void)d;
	(void)lp;
	return 0;
}

static int device_watch_pr(struct device *d, struct loop *loop)
{
	(void)d;
	(void)loop;
	return 0;
}

static void device_unshare_pr(struct device *d)
{
	(void)d;
}

void devices_check_watches(struct device_set *set)
{
	(void)set;
}
#endif

static int device_open(struct device *d, struct loop *loop, uint32_t max_xfer,
		       const char *state_dir, const struct scsi_alua *alua)
{
	const char *fallback[CONFIG_ENGINE_COUNT + 1];
	struct srptd_bdev_params p;
	struct scsi_lu_params lp;
	int ret;

	for (unsigned int i = 0; i < d->cfg.n_fallback; i++)
		fallback[i] = config_engine_name(d->cfg.fallback[i]);
	fallback[d->cfg.n_fallback] = NULL;
	device_fill_params(&d->cfg, &p);

	ret = srptd_backend_open(&d->bdev, config_engine_name(d->cfg.engine),
				 fallback, &p, &d->engine);
	if (ret)
		goto err;
	lp = (struct scsi_lu_params){
		.vendor = d->cfg.vendor,
		.product = d->cfg.product,
		.revision = d->cfg.revision,
		.serial = d->cfg.serial[0] ? d->cfg.serial : NULL,
		.naa = d->cfg.naa[0] ? d->cfg.naa : NULL,
		.max_xfer_bytes = max_xfer,
		.alua = alua,
	};
	/*
	 * A device another host exports too: the rbd engine shares the
	 * reservations through the image's cluster; on any other engine
	 * the LU refuses reservation commands (doc/scsi-commands.md,
	 * "Persistent reservations").
	 */
	if (d->cfg.shared) {
		lp.pr_mode = SCSI_PR_REFUSED;
		ret = device_share_pr(d, &lp);
		if (ret)
			goto err_bdev;
	} else if (state_dir && *state_dir) {
		snprintf(d->state_dir, sizeof(d->state_dir), "%s", state_dir);
		scsi_pr_file_store_init(&d->pr_store, d->state_dir);
		lp.pr_store = &d->pr_store;
	}
	ret = scsi_lu_create(&d->bdev, &lp, &d->lu);
	if (ret)
		goto err_bdev;
	ret = device_watch_pr(d, loop);
	if (ret) {
		scsi_lu_destroy(d->lu);
		d->lu = NULL;
		goto err_bdev;
	}
	d->state = DEVICE_ONLINE;
	d->open_error = 0;
	dev_log(LOG_INFO, d->cfg.name,
		"online: %s engine %s, %llu bytes, %u-byte blocks%s%s%s",
		device_store(&d->cfg) ? device_store(&d->cfg) :
					"(no backing store)",
		d->engine->name, (unsigned long long)d->bdev.size,
		d->bdev.block_size, d->bdev.read_only ? ", read-only" : "",
		d->bdev.write_cache ? ", write-back" : ", write-through",
		!d->cfg.shared ? "" :
		d->pr_obj      ? ", shared (reservations kept with the image)" :
				 ", shared (reservation commands refused)");
	return 0;
err_bdev:
	device_unshare_pr(d);
	srptd_backend_close(&d->bdev);
err:
	d->state = DEVICE_OFFLINE;
	d->open_error = ret;
	dev_log(LOG_ERR, d->cfg.name,
		"cannot open %s (engine %s): %s; device stays offline",
		device_store(&d->cfg) ? device_store(&d->cfg) : "null device",
		config_engine_name(d->cfg.engine), strerror(-ret));
	return ret;
}

/* Returns whether the device was online. */
static bool device_close(struct device *d)
{
	bool was_online = d->state == DEVICE_ONLINE;

	if (d->watch_fd >= 0)
		loop_del_fd(d->set->loop, d->watch_fd);
	d->watch_fd = -1;
	if (was_online) {
		scsi_lu_destroy(d->lu);
		d->lu = NULL;
		device_unshare_pr(d);
		srptd_backend_close(&d->bdev);
		dev_log(LOG_INFO, d->cfg.name, "closed");
	}
	d->state = DEVICE_OFFLINE;
	free(d);
	return was_online;
}

/*
 * Take d out of service: close it now if no nexus sees it, else park it
 * until devices_reap() finds it unused.  Returns whether it was online.
 */
static bool device_retire(struct device_set *set, struct device *d)
{
	struct device **r;

	if (d->state != DEVICE_ONLINE || !scsi_lu_in_use(d->lu))
		return device_close(d);
	r = realloc(set->retired, (set->n_retired + 1) * sizeof(*r));
	if (!r) {
		/* Cannot track it: keep it open for good rather than risk
		 * closing storage under in-flight I/O. */
		dev_log(LOG_ERR, d->cfg.name,
			"out of memory retiring the device; it stays open");
		return true;
	}
	set->retired = r;
	set->retired[set->n_retired++] = d;
	dev_log(LOG_NOTICE, d->cfg.name,
		"removed from the configuration; closes when its initiators have logged out");
	return true;
}

unsigned int devices_reap(struct device_set *set)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < set->n_retired; i++) {
		struct device *d = set->retired[i];

		if (scsi_lu_in_use(d->lu))
			set->retired[k++] = d;
		else
			device_close(d);
	}
	set->n_retired = k;
	if (!k) {
		free(set->retired);
		set->retired = NULL;
	}
	return k;
}

struct device *devices_find(const struct device_set *set, const char *name)
{
	for (unsigned int i = 0; i < set->n; i++)
		if (set->dev[i] && !strcmp(set->dev[i]->cfg.name, name))
			return set->dev[i];
	return NULL;
}

/* Does d keep running for c: the same but for its size (resize live)? */
static bool device_kept(const struct device *d, const struct config_device *c)
{
	return d->state == DEVICE_ONLINE &&
	       config_device_equal_but_size(&d->cfg, c);
}

struct scsi_lu *devices_kept_lu(const struct device_set *set,
				const struct config_device *c)
{
	struct device *d = devices_find(set, c->name);

	return d && device_kept(d, c) ? d->lu : NULL;
}

/*
 * Kept device d gets size key c->size: resize live, or re-read the size
 * of the file or block device when the size key is 0 (the administrator
 * grew it).  Initiators that see it get CAPACITY DATA HAS CHANGED (SBC-3
 * 5.16 READ CAPACITY reports the new size; SAM-5 5.14 unit attention).
 */
static void device_resize(struct device_set *set, struct device *d,
			  const struct config_device *c,
			  struct daemon_change_report *rep)
{
	uint64_t was = d->bdev.size;
	int ret;

	if (!d->engine->resize || (!c->size && !device_store(c)) ||
	    (c->size == d->cfg.size && c->size))
		return;
	ret = d->engine->resize(&d->bdev, c->size);
	if (ret) {
		if (!rep)
			dev_log(LOG_ERR, c->name,
				"re-reading the size failed: %s; it keeps %llu bytes",
				strerror(-ret), (unsigned long long)was);
		daemon_report_add(
			rep,
			"device %s: resize to %llu bytes failed: %s; it keeps %llu bytes",
			c->name, (unsigned long long)c->size, strerror(-ret),
			(unsigned long long)was);
		return;
	}
	if (d->bdev.size == was)
		return;
	if (set->resized)
		set->resized(set->resized_ctx, d->lu,
			     d->bdev.size / d->bdev.block_size);
	daemon_report_add(
		rep,
		"device %s: resized live from %llu to %llu bytes; its initiators see CAPACITY DATA HAS CHANGED",
		c->name, (unsigned long long)was,
		(unsigned long long)d->bdev.size);
}

void devices_sync(struct device_set *set, const struct config *cfg,
		  struct daemon_change_report *rep, unsigned int *opened,
		  unsigned int *closed, unsigned int *failed)
{
	unsigned int n = 0, alua_changed = 0;
	struct device **next;
	struct scsi_alua alua;

	*opened = *closed = *failed = 0;
	devices_alua(cfg, &alua);
	next = calloc(cfg->n_devices ? cfg->n_devices : 1, sizeof(*next));
	if (!next) {
		pr_err("devices: out of memory; keeping the running devices");
		return;
	}
	for (unsigned int i = 0; i < cfg->n_devices; i++) {
		const struct config_device *c = &cfg->devices[i];
		struct device *d = devices_find(set, c->name);

		if (d && device_kept(d, c)) {
			/* Unchanged but maybe its size: sessions go on. */
			for (unsigned int j = 0; j < set->n; j++)
				if (set->dev[j] == d)
					set->dev[j] = NULL;
			device_resize(set, d, c, rep);
			if (scsi_lu_set_alua(d->lu, &alua) > 0)
				alua_changed++;
			d->cfg = *c;
			next[n++] = d;
			continue;
		}
		d = calloc(1, sizeof(*d));
		if (!d) {
			pr_err("device %s: out of memory", c->name);
			(*failed)++;
			continue;
		}
		d->cfg = *c;
		d->bdev.fd = -1;
		d->watch_fd = -1;
		d->set = set;
		/*
		 * A changed device with the same name is closed before the
		 * new one opens (same file, possibly a new size or engine).
		 */
		for (unsigned int j = 0; j < set->n; j++) {
			if (set->dev[j] &&
			    !strcmp(set->dev[j]->cfg.name, c->name)) {
				if (device_retire(set, set->dev[j]))
					(*closed)++;
				set->dev[j] = NULL;
			}
		}
		if (device_open(d, set->loop,
				set->max_xfer ? set->max_xfer :
						DEVICES_DEFAULT_MAX_XFER,
				cfg->daemon.state_dir, &alua)) {
			(*failed)++;
			daemon_report_add(rep, "device %s: cannot open: %s",
					  c->name, strerror(-d->open_error));
		} else {
			device_watch(set, d);
			(*opened)++;
			daemon_report_add(rep, "device %s: opened (%llu bytes)",
					  c->name,
					  (unsigned long long)d->bdev.size);
		}
		next[n++] = d;
	}
	for (unsigned int j = 0; j < set->n; j++) {
		if (!set->dev[j])
			continue;
		daemon_report_add(rep,
				  "device %s: removed from the configuration",
				  set->dev[j]->cfg.name);
		if (device_retire(set, set->dev[j]))
			(*closed)++;
	}
	free(set->dev);
	set->dev = next;
	set->n = n;
	if (alua_changed)
		daemon_report_add(
			rep,
			"alua: group %u now %s on %u device(s); their initiators see ASYMMETRIC ACCESS STATE CHANGED",
			cfg->alua.group_id,
			config_alua_state_name(cfg->alua.state), alua_changed);
}

/* At shutdown, after every nexus is gone. */
void devices_close_all(struct device_set *set)
{
	for (unsigned int i = 0; i < set->n; i++)
		device_close(set->dev[i]);
	free(set->dev);
	set->dev = NULL;
	set->n = 0;
	for (unsigned int i = 0; i < set->n_retired; i++)
		device_close(set->retired[i]);
	free(set->retired);
	set->retired = NULL;
	set->n_retired = 0;
}
