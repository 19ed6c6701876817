/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The DM agent (src/fabric/dm.h): one registration for the Device
 * Management class per InfiniBand or RoCE port of the devices in its
 * table, each
 * port's fd on the main loop, every request answered by dm_answer() and
 * sent back to the requester's address (doc/discovery.md "The Linux MAD
 * layer").
 *
 * Objects, all owned by the agent, main loop only:
 *  - the table copy (struct dm_agent_dev per device: its slots and what
 *    the transport said about it), replaced whole by dm_agent_set_table;
 *  - struct dm_port, one per selected MAD-capable port of a device in the
 *    table: SERVING (fd open, registered, watched) or FAILED (closed,
 *    retried by a timer).  port_transition() is the only place a port
 *    changes state and opens or closes its fd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "fabric/dm.h"
#include "fabric/verbs.h" /* fabric_verbs_port_match */
#include "log.h"
#include "loop.h"
#include "util.h"

#define dm_log(lvl, fmt, ...) pr_log(lvl, LOG_C_DM, "dm: " fmt, ##__VA_ARGS__)
#define port_log(lvl, pt, fmt, ...)                                    \
	pr_log(lvl, LOG_C_DM, "dm %s:%u: " fmt, (pt)->dev, (pt)->port, \
	       ##__VA_ARGS__)

#define DM_RETRY_MS 5000
#define DM_MAX_PORTS 64 /* dm_ioc.ports is a 64-bit mask */
/* Requests answered per wakeup of one port before the loop moves on. */
#define DM_RECV_BUDGET 32
/* What srptd registers for: the kernel target registers the same two. */
#define DM_METHODS ((1ull << DM_METHOD_GET) | (1ull << DM_METHOD_SET))

enum dm_port_state {
	DM_PORT_FAILED, /* not open: never opened, or it failed; retried */
	DM_PORT_SERVING, /* open, registered, fd watched by the loop */
	DM_PORT_CLOSED, /* closed for good: about to be freed */
};

struct dm_port {
	struct dm_agent *a;
	char dev[64];
	unsigned int port;
	enum dm_port_state state;
	int fd; /* SERVING only */
	int agent_id; /* SERVING only */
	unsigned int dev_idx; /* its device in a->devs */
	int last_err; /* the failure last logged, so a retry logs once */
	bool wanted; /* scratch of reconcile() */
	bool isdm_warned;
};

struct dm_agent_dev {
	struct dm_device d; /* d.slots points to slots */
	struct dm_ioc *slots;
	struct dm_dev_info info;
	bool info_ok;
};

struct dm_agent {
	struct loop *loop;
	const struct dm_transport_ops *ops;
	char (*filter)[64];
	unsigned int n_filter;
	unsigned int retry_ms;
	struct loop_timer *retry;
	uint16_t change_id;
	struct dm_ioc_caps caps;
	struct dm_agent_dev *devs;
	unsigned int n_devs;
	struct dm_port **ports;
	unsigned int n_ports;
};

static void port_readable(void *arg, uint32_t events);

/*
 * The one state transition of a port.  Entering SERVING opens and
 * registers it (falling back to FAILED); leaving SERVING closes it.
 * err: why it fails (logged once per distinct error).
 */
static void port_transition(struct dm_port *pt, enum dm_port_state to, int err)
{
	struct dm_agent *a = pt->a;
	const char *what = "open";
	int fd, id, ret;

	if (pt->state == DM_PORT_SERVING && to != DM_PORT_SERVING) {
		loop_del_fd(a->loop, pt->fd);
		a->ops->close(pt->fd);
		pt->fd = -1;
		if (to == DM_PORT_FAILED)
			port_log(LOG_WARNING, pt,
				 "the port failed (%s); retrying",
				 strerror(-err));
		else
			port_log(LOG_INFO, pt, "no longer answering");
	}
	if (to == DM_PORT_SERVING && pt->state != DM_PORT_SERVING) {
		fd = a->ops->open(pt->dev, pt->port);
		if (fd < 0) {
			ret = fd;
			goto failed;
		}
		what = "register the DM class on";
		id = a->ops->reg(fd, DM_MGMT_CLASS, DM_CLASS_VERSION,
				 DM_METHODS);
		if (id < 0) {
			ret = id;
			a->ops->close(fd);
			goto failed;
		}
		what = "watch";
		ret = loop_add_fd(a->loop, fd, EPOLLIN, port_readable, pt);
		if (ret) {
			a->ops->close(fd);
			goto failed;
		}
		pt->fd = fd;
		pt->agent_id = id;
		pt->last_err = 0;
		port_log(LOG_INFO, pt,
			 "answering Device Management queries (agent %d)", id);
		pt->state = DM_PORT_SERVING;
		return;
	failed:
		/* -EBUSY/-EINVAL on register: another agent owns the
		 * class, e.g. the kernel target (doc/discovery.md). */
		if (ret != pt->last_err)
			port_log(LOG_WARNING, pt,
				 "cannot %s the port: %s; retrying", what,
				 strerror(-ret));
		pt->last_err = ret;
		pt->state = DM_PORT_FAILED;
		return;
	}
	if (to == DM_PORT_FAILED)
		pt->last_err = err;
	pt->state = to;
}

static void retry_fire(void *arg);

static void arm_retry(struct dm_agent *a)
{
	if (!a->retry &&
	    loop_timer_add(a->loop, a->retry_ms, 0, retry_fire, a, &a->retry))
		dm_log(LOG_ERR, "cannot arm the retry timer");
}

static void answer_one(struct dm_port *pt, const uint8_t *req, int len,
		       const struct dm_mad_addr *from)
{
	struct dm_agent *a = pt->a;
	const struct dm_agent_dev *dd = &a->devs[pt->dev_idx];
	struct dm_unit u = {
		.change_id = a->change_id,
		.port = pt->port,
		.attr = &dd->info.attr,
		.caps = &a->caps,
		.n_slots = dd->d.n_slots,
		.slots = dd->d.slots,
	};
	const struct dm_mad_hdr *h = (const struct dm_mad_hdr *)req;
	uint8_t rsp[DM_MAD_SIZE];
	struct dm_mad_addr to = *from;
	int st, ret;

	st = dm_answer(&u, req, (size_t)len, rsp);
	if (st < 0)
		return;
	/* Back to the requester's QP (QP1), LID, P_Key index and, if the
	 * request had one, GID (doc/discovery.md "The Linux MAD layer"). */
	to.qkey = DM_GSI_QKEY;
	ret = a->ops->send(pt->fd, pt->agent_id, rsp, sizeof(rsp), &to);
	port_log(
		ret ? LOG_WARNING : LOG_DEBUG, pt,
		"method 0x%02x attribute 0x%04x modifier 0x%08x from LID %u QP %u: status 0x%04x%s%s",
		h->method, get_be16(h->attr_id), get_be32(h->attr_mod),
		from->lid, from->qpn, (unsigned int)st,
		ret ? "; cannot send the answer: " : "",
		ret ? strerror(-ret) : "");
}

static void port_readable(void *arg, uint32_t events)
{
	struct dm_port *pt = arg;
	struct dm_agent *a = pt->a;
	uint8_t mad[DM_MAD_SIZE];
	struct dm_mad_addr from;
	int len, agent;

	for (unsigned int i = 0; i < DM_RECV_BUDGET; i++) {
		memset(&from, 0, sizeof(from));
		len = a->ops->recv(pt->fd, mad, sizeof(mad), &agent, &from);
		if ((len == -EAGAIN || len == -EINTR) &&
		    (events & (EPOLLERR | EPOLLHUP)))
			len = -EIO; /* nothing queued, and it will not do */
		if (len == -EAGAIN || len == -EINTR)
			return;
		if (len == -ENOSPC)
			continue; /* an RMPP MAD: not for a GET agent */
		if (len < 0) {
			port_transition(pt, DM_PORT_FAILED, len);
			arm_retry(a);
			return;
		}
		if (len == 0 || agent != pt->agent_id)
			continue;
		answer_one(pt, mad, len, &from);
	}
}

static bool port_selected(const struct dm_agent *a, const char *dev,
			  unsigned int port)
{
	if (!a->n_filter)
		return true;
	for (unsigned int i = 0; i < a->n_filter; i++)
		if (fabric_verbs_port_match(a->filter[i], dev, port))
			return true;
	return false;
}

static struct dm_port *port_find(const struct dm_agent *a, const char *dev,
				 unsigned int port)
{
	for (unsigned int i = 0; i < a->n_ports; i++)
		if (a->ports[i]->port == port && !strcmp(a->ports[i]->dev, dev))
			return a->ports[i];
	return NULL;
}

static struct dm_port *port_add(struct dm_agent *a, const char *dev,
				unsigned int port)
{
	struct dm_port **v, *pt;

	v = realloc(a->ports, (a->n_ports + 1) * sizeof(*v));
	if (!v)
		return NULL;
	a->ports = v;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return NULL;
	pt->a = a;
	snprintf(pt->dev, sizeof(pt->dev), "%s", dev);
	pt->port = port;
	pt->fd = -1;
	pt->state = DM_PORT_FAILED;
	a->ports[a->n_ports++] = pt;
	return pt;
}

/*
 * Nothing in the kernel set IsDM on the port: the stock tools, which ask
 * the subnet administrator for ports with it, skip it.  Only the kernel
 * can set it (doc/discovery.md "The IsDM bit"), so the warning names the
 * helper module and the login strings srptd logs.  Once per port while
 * the bit stays clear; checked again by every reconcile().
 */
static void port_check_isdm(struct dm_port *pt, const struct dm_dev_info *in)
{
	bool ib = (in->ib_ports >> (pt->port - 1)) & 1;

	if ((in->isdm_ports >> (pt->port - 1)) & 1) {
		if (pt->isdm_warned)
			port_log(
				LOG_INFO, pt,
				"the port now advertises Device Management (IsDM)");
		pt->isdm_warned = false;
		return;
	}
	if (pt->isdm_warned)
		return;
	pt->isdm_warned = true;
	port_log(
		LOG_WARNING, pt,
		"IsDM (PortInfo CapabilityMask bit 19) is clear: ibsrpdm and srp_daemon will not see this port; load the srptd-isdm module (modprobe srptd_isdm) or log in with the login string logged for each target (\"via %s port %u: ...\"; srptd(8) DISCOVERY)%s",
		pt->dev, pt->port,
		ib ? "" :
		     "; on RoCE they find nothing anyway: no subnet administrator");
}

/*
 * Make the ports match the table: query each device, open the selected
 * ports with a MAD interface that are not serving, close those no longer
 * wanted.
 * Anything that failed is retried by the timer.
 */
static void reconcile(struct dm_agent *a)
{
	bool retry = false;
	unsigned int k = 0;

	for (unsigned int i = 0; i < a->n_ports; i++)
		a->ports[i]->wanted = false;
	for (unsigned int d = 0; d < a->n_devs; d++) {
		struct dm_agent_dev *dd = &a->devs[d];
		int ret = a->ops->dev_query(dd->d.name, &dd->info);

		dd->info_ok = ret == 0;
		if (ret) {
			dm_log(LOG_DEBUG, "%s: %s", dd->d.name, strerror(-ret));
			retry = true;
			continue;
		}
		for (unsigned int p = 1;
		     p <= MIN(dd->info.n_ports, DM_MAX_PORTS); p++) {
			struct dm_port *pt;

			if (!((dd->info.mad_ports >> (p - 1)) & 1) ||
			    !port_selected(a, dd->d.name, p))
				continue;
			pt = port_find(a, dd->d.name, p);
			if (!pt)
				pt = port_add(a, dd->d.name, p);
			if (!pt) {
				dm_log(LOG_ERR, "%s:%u: out of memory",
				       dd->d.name, p);
				retry = true;
				continue;
			}
			pt->wanted = true;
			pt->dev_idx = d;
			if (pt->state != DM_PORT_SERVING)
				port_transition(pt, DM_PORT_SERVING, 0);
			if (pt->state != DM_PORT_SERVING)
				retry = true;
			else
				port_check_isdm(pt, &dd->info);
		}
	}
	for (unsigned int i = 0; i < a->n_ports; i++) {
		struct dm_port *pt = a->ports[i];

		if (pt->wanted) {
			a->ports[k++] = pt;
			continue;
		}
		port_transition(pt, DM_PORT_CLOSED, 0);
		free(pt);
	}
	a->n_ports = k;
	if (retry)
		arm_retry(a);
}

static void retry_fire(void *arg)
{
	struct dm_agent *a = arg;

	a->retry = NULL; /* a one-shot timer is freed after its callback */
	reconcile(a);
}

static void devs_free(struct dm_agent_dev *devs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		free(devs[i].slots);
	free(devs);
}

static bool caps_equal(const struct dm_ioc_caps *x, const struct dm_ioc_caps *y)
{
	return x->send_queue_depth == y->send_queue_depth &&
	       x->rdma_read_depth == y->rdma_read_depth &&
	       x->send_size == y->send_size && x->rdma_size == y->rdma_size &&
	       !strcmp(x->id_string, y->id_string);
}

/*
 * Did what a client read from a device still served change: its slots,
 * or the caps every profile carries?  Devices that appear are read for
 * the first time; those that went are not read any more.
 */
static bool table_changed(const struct dm_agent *a, const struct dm_table *t)
{
	bool caps = !caps_equal(&a->caps, &t->caps);

	for (unsigned int i = 0; i < t->n_devs; i++) {
		const struct dm_device *n = &t->devs[i];
		unsigned int ns = MIN(n->n_slots, DM_MAX_SLOTS);

		for (unsigned int j = 0; j < a->n_devs; j++) {
			const struct dm_device *o = &a->devs[j].d;

			if (strcmp(o->name, n->name))
				continue;
			if (caps || o->n_slots != ns ||
			    (ns && memcmp(o->slots, n->slots,
					  ns * sizeof(*n->slots))))
				return true;
		}
	}
	return false;
}

int dm_agent_set_table(struct dm_agent *a, const struct dm_table *t)
{
	struct dm_agent_dev *devs;
	bool changed;

	devs = calloc(t->n_devs ? t->n_devs : 1, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	for (unsigned int i = 0; i < t->n_devs; i++) {
		unsigned int n = MIN(t->devs[i].n_slots, DM_MAX_SLOTS);

		devs[i].d = t->devs[i];
		devs[i].d.n_slots = n;
		devs[i].slots = calloc(n ? n : 1, sizeof(*devs[i].slots));
		if (!devs[i].slots) {
			devs_free(devs, i);
			return -ENOMEM;
		}
		if (n)
			memcpy(devs[i].slots, t->devs[i].slots,
			       n * sizeof(*devs[i].slots));
		devs[i].d.slots = devs[i].slots;
	}
	changed = table_changed(a, t);
	devs_free(a->devs, a->n_devs);
	a->devs = devs;
	a->n_devs = t->n_devs;
	a->caps = t->caps;
	if (changed) {
		/* IBA 16.3.3.3: clients re-read the IOU when it changes. */
		if (++a->change_id == 0)
			a->change_id = 1;
		dm_log(LOG_INFO, "controllers changed; change ID %u",
		       a->change_id);
	}
	reconcile(a);
	return 0;
}

void dm_agent_refresh(struct dm_agent *a)
{
	reconcile(a);
}

uint16_t dm_agent_change_id(const struct dm_agent *a)
{
	return a->change_id;
}

unsigned int dm_agent_ports_serving(const struct dm_agent *a)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < a->n_ports; i++)
		n += a->ports[i]->state == DM_PORT_SERVING;
	return n;
}

void dm_agent_ports_str(const struct dm_agent *a, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = 0;
	for (unsigned int i = 0; i < a->n_ports && off < len; i++)
		if (a->ports[i]->state == DM_PORT_SERVING)
			off += (size_t)snprintf(buf + off, len - off, "%s%s:%u",
						off ? " " : "",
						a->ports[i]->dev,
						a->ports[i]->port);
}

int dm_agent_create(const struct dm_agent_params *p, struct dm_agent **out)
{
	struct dm_agent *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	if (p->n_ports) {
		a->filter = calloc(p->n_ports, sizeof(*a->filter));
		if (!a->filter) {
			free(a);
			return -ENOMEM;
		}
		memcpy(a->filter, p->ports, p->n_ports * sizeof(*a->filter));
		a->n_filter = p->n_ports;
	}
	a->loop = p->loop;
	a->ops = p->ops ? p->ops : &dm_umad_ops;
	a->retry_ms = p->retry_ms ? p->retry_ms : DM_RETRY_MS;
	a->change_id = 1; /* the first IOU a client sees */
	*out = a;
	return 0;
}

void dm_agent_destroy(struct dm_agent *a)
{
	if (!a)
		return;
	if (a->retry)
		loop_timer_cancel(a->loop, a->retry);
	for (unsigned int i = 0; i < a->n_ports; i++) {
		port_transition(a->ports[i], DM_PORT_CLOSED, 0);
		free(a->ports[i]);
	}
	free(a->ports);
	devs_free(a->devs, a->n_devs);
	free(a->filter);
	free(a);
}
