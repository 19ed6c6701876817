/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's SRP side; see daemon_srp.h.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#include "config/config.h"
#include "daemon_change.h"
#include "daemon_srp.h"
#include "daemon_target_spec.h"
#include "devices.h"
#include "fabric/verbs.h"
#include "log.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srp/srp_stats.h"
#include "util.h"

#define DAEMON_AUTO_WORKERS_MAX 16
#define DAEMON_SRQ_MIN_PER_WORKER 512u

/* One running SRP target and the identity it was built with. */
struct daemon_target {
	char name[64];
	struct srp_target *t;
	struct daemon_target_id id;
};

/*
 * One I/O worker thread (doc/architecture.md "Threads and ownership"): its
 * own loop running the SRP worker (CQ, SRQ, data pool, SCSI/backend
 * contexts) and the channels the login path hands to it round robin.
 */
struct daemon_worker {
	struct loop *loop;
	struct srp_worker *w;
	pthread_t thread;
	bool running;
	unsigned int index;
};

/* Ports described at once (logs); more are served, just not listed. */
#define DAEMON_MAX_PORTS 16

struct daemon_srp {
	struct loop *loop;
	struct srp_engine *engine;
	struct fabric *fabric;
	struct daemon_worker *workers;
	unsigned int n_workers; /* started */
	unsigned int want_workers; /* from daemon.workers at start */
	uint64_t node_guid;
	struct daemon_target *targets;
	unsigned int n_targets;
	bool started; /* targets built once: later ones are "added" */
	/* Login paths as started (fabric settings need a restart). */
	struct fabric_verbs_listen *listen;
	unsigned int n_listen;
	bool ib_cm;
	uint16_t ib_cm_port;
	/* What was reported while the fabric could not start (log once). */
	struct fabric_verbs_skips skips;
	int start_err;
	/* daemon_srp_on_port_event() */
	void (*port_event_fn)(void *ctx);
	void *port_event_fn_ctx;
};

static void srp_params_from_config(const struct config *cfg,
				   unsigned int workers,
				   struct srp_engine_params *p)
{
	srp_engine_params_default(p);
	p->login.max_req_size = cfg->fabric.max_req_size;
	p->login.max_rsp_size = cfg->fabric.max_rsp_size;
	p->login.req_lim = cfg->fabric.queue_depth;
	p->max_io_size = cfg->fabric.max_rdma_size;
	if (cfg->fabric.send_queue_size)
		p->sq_depth = cfg->fabric.send_queue_size;
	p->use_srq = cfg->fabric.use_srq;
	p->stuck_io_ms = cfg->backend.stuck_io_warn * 1000;
	p->busy_poll_us = cfg->daemon.busy_poll_us;
	/*
	 * fabric.srq_size counts the receives of one HCA, as ib_srpt's
	 * srpt_srq_size does; each worker has its own SRQ per HCA (no
	 * cross-thread reposts), so it gets its share, with a floor that
	 * keeps a few channels' credits covered.
	 */
	p->srq_size = MAX(cfg->fabric.srq_size / workers,
			  MIN(cfg->fabric.srq_size, DAEMON_SRQ_MIN_PER_WORKER));
}

/*
 * daemon.workers, or one per CPU srptd may run on, up to
 * DAEMON_AUTO_WORKERS_MAX: every worker holds a data pool and an SRQ
 * share per HCA, and a few workers already outrun an HCA
 * (srp-loopback-bench: > 1M IOPS each).  The CPUs are those of srptd's
 * affinity mask, which systemd's CPUAffinity= or taskset sets to keep it
 * apart from applications (doc/performance.md "Where the vCPUs go"):
 * more workers than those CPUs would only take turns on them.  All online
 * CPUs when the mask cannot be read (more CPUs than a cpu_set_t holds).
 */
static unsigned int daemon_srp_worker_count(const struct config *cfg)
{
	cpu_set_t set;
	long cpus;

	if (cfg->daemon.workers)
		return cfg->daemon.workers;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
	else
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return MIN((unsigned int)cpus, DAEMON_AUTO_WORKERS_MAX);
}

int daemon_srp_create(struct loop *loop, const struct config *cfg,
		      struct daemon_srp **out)
{
	struct srp_engine_params p;
	struct daemon_srp *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->want_workers = daemon_srp_worker_count(cfg);
	srp_params_from_config(cfg, s->want_workers, &p);
	/* Logins, targets and CM events stay on the daemon's loop. */
	p.main_loop = loop;
	ret = srp_engine_create(&p, &s->engine);
	if (ret) {
		free(s);
		return ret;
	}
	/*
	 * The kernel target answers DM MADs and may hold the same RDMA/CM
	 * port; two targets on one HCA confuse initiators.
	 */
	if (access("/sys/module/ib_srpt", F_OK) == 0)
		pr_warn("the kernel SRP target ib_srpt is loaded; unload it (rmmod ib_srpt) so initiators reach srptd");
	*out = s;
	return 0;
}

/* Node GUID of the first RDMA device: what id_ext = "auto" stands for. */
static int first_node_guid(uint64_t *guid)
{
	struct ibv_device **list;
	int n = 0;

	list = ibv_get_device_list(&n);
	if (!list)
		return -ENODEV;
	if (n == 0) {
		ibv_free_device_list(list);
		return -ENODEV;
	}
	*guid = be64toh(ibv_get_device_guid(list[0]));
	ibv_free_device_list(list);
	return 0;
}

static void *daemon_worker_main(void *arg)
{
	struct daemon_worker *dw = arg;
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "srptd-io%u", dw->index);
	pthread_setname_np(pthread_self(), name);
	ret = loop_run(dw->loop);
	if (ret)
		pr_err("I/O worker %u: event loop failed: %s", dw->index,
		       strerror(-ret));
	return NULL;
}

static void daemon_worker_stop_msg(void *arg)
{
	loop_stop(arg);
}

/*
 * Stop the worker threads and free their workers (every channel should be
 * released by now: daemon_srp_idle()).  Also undoes a partial start.
 */
static void daemon_srp_workers_stop(struct daemon_srp *s)
{
	for (unsigned int i = 0; i < s->n_workers; i++) {
		struct daemon_worker *dw = &s->workers[i];

		if (dw->running) {
			if (loop_send(dw->loop, daemon_worker_stop_msg,
				      dw->loop))
				pr_err("I/O worker %u: cannot stop it", i);
			else
				pthread_join(dw->thread, NULL);
			dw->running = false;
		}
		/* Its loop no longer runs: tear it down from here. */
		srp_worker_destroy(dw->w);
		loop_destroy(dw->loop);
	}
	free(s->workers);
	s->workers = NULL;
	s->n_workers = 0;
}

/*
 * want_workers threads (daemon_srp_worker_count()), each with its loop
 * and SRP worker created here, before the thread runs the loop (the
 * fabric creates a CQ on a loop's thread or before that loop runs).
 */
static int daemon_srp_workers_start(struct daemon_srp *s)
{
	unsigned int n = s->want_workers;
	int ret;

	s->workers = calloc(n, sizeof(*s->workers));
	if (!s->workers)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		struct daemon_worker *dw = &s->workers[i];

		dw->index = i;
		ret = loop_create(&dw->loop);
		if (ret)
			return ret;
		s->n_workers = i + 1;
		ret = srp_worker_create(s->engine, s->fabric, dw->loop, &dw->w);
		if (ret)
			return ret;
		/* Signals stay blocked here (the main thread's signalfd). */
		ret = -pthread_create(&dw->thread, NULL, daemon_worker_main,
				      dw);
		if (ret)
			return ret;
		dw->running = true;
	}
	return 0;
}

/* IB/CM service id 0x13F0000 | port: the RDMA/CM port, 5000 by default. */
static uint16_t daemon_srp_ib_cm_port(const struct config *cfg)
{
	return cfg->fabric.n_listen ? cfg->fabric.listen[0].port : 5000;
}

uint64_t daemon_srp_ib_service_id(const struct config *cfg)
{
	return fabric_verbs_ib_service_id(daemon_srp_ib_cm_port(cfg));
}

static void daemon_srp_dev_up(void *ctx, const char *dev);
static void daemon_srp_port_event(void *ctx, const char *dev, unsigned int port,
				  bool active);

/* "rxe0:1 rxe1:1" into buf: the ports the fabric serves. */
static void daemon_srp_ports_str(struct daemon_srp *s, char *buf, size_t len)
{
	struct fabric_verbs_port_info pi[DAEMON_MAX_PORTS];
	unsigned int n = fabric_verbs_ports(s->fabric, pi, DAEMON_MAX_PORTS);
	size_t off = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s:%u%s", i ? " " : "",
				pi[i].ref.dev_name, pi[i].ref.port,
				pi[i].active ? "" : " (not active)");
}

static int daemon_srp_fabric_start(struct daemon_srp *s,
				   const struct config *cfg)
{
	struct fabric_verbs_listen *listen = NULL;
	struct fabric_verbs_params vp = { 0 };
	char ports[256];
	int ret;

	ret = first_node_guid(&s->node_guid);
	if (ret)
		return ret;
	if (cfg->fabric.rdma_cm_enabled && cfg->fabric.n_listen) {
		listen = calloc(cfg->fabric.n_listen, sizeof(*listen));
		if (!listen)
			return -ENOMEM;
		for (unsigned int i = 0; i < cfg->fabric.n_listen; i++) {
			snprintf(listen[i].addr, sizeof(listen[i].addr), "%s",
				 cfg->fabric.listen[i].addr);
			listen[i].port = cfg->fabric.listen[i].port;
		}
		vp.listen = listen;
		vp.n_listen = cfg->fabric.n_listen;
	}
	vp.ib_cm_enabled = cfg->fabric.ib_cm_enabled;
	vp.ib_cm_port = daemon_srp_ib_cm_port(cfg);
	vp.ports = (const char(*)[64])cfg->fabric.ports;
	vp.n_ports = cfg->fabric.n_ports;
	vp.dev_up = daemon_srp_dev_up;
	vp.port_event = daemon_srp_port_event;
	vp.port_event_ctx = s;
	vp.skips = &s->skips;

	ret = fabric_verbs_create(s->loop, &vp, &srp_engine_listener, s->engine,
				  &s->fabric);
	if (ret) {
		free(listen);
		return ret;
	}
	free(s->listen);
	s->listen = listen;
	s->n_listen = vp.n_listen;
	s->ib_cm = vp.ib_cm_enabled;
	s->ib_cm_port = vp.ib_cm_port;
	ret = daemon_srp_workers_start(s);
	if (ret) {
		pr_err("cannot start the I/O workers: %s", strerror(-ret));
		daemon_srp_workers_stop(s);
		fabric_verbs_destroy(s->fabric);
		s->fabric = NULL;
		return ret;
	}
	daemon_srp_ports_str(s, ports, sizeof(ports));
	pr_notice(
		"fabric up: serving %s; %u I/O worker(s), node GUID 0x%016llx; RDMA/CM %s, IB/CM %s (service id 0x%016llx)",
		ports, s->n_workers, (unsigned long long)s->node_guid,
		cfg->fabric.rdma_cm_enabled ? "on" : "off",
		cfg->fabric.ib_cm_enabled ? "on" : "off",
		(unsigned long long)fabric_verbs_ib_service_id(vp.ib_cm_port));
	return 0;
}

bool daemon_srp_fabric_up(const struct daemon_srp *s)
{
	return s->fabric != NULL;
}

int daemon_srp_rdma_devices(const struct daemon_srp *s, char *buf, size_t len)
{
	return s->fabric ? (int)fabric_verbs_devices(s->fabric, buf, len) : -1;
}

uint64_t daemon_srp_first_guid(const struct daemon_srp *s)
{
	return s->fabric ? s->node_guid : 0;
}

uint64_t daemon_srp_node_guid(const struct daemon_srp *s, const char *dev)
{
	struct fabric_verbs_port_info pi[DAEMON_MAX_PORTS];
	unsigned int n;

	if (!s->fabric)
		return 0;
	n = fabric_verbs_ports(s->fabric, pi, DAEMON_MAX_PORTS);
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(pi[i].ref.dev_name, dev) && pi[i].ref.node_guid)
			return pi[i].ref.node_guid;
	return 0;
}

/* Does the listener l take logins to the IP address addr? */
static bool daemon_srp_listens_on(const struct daemon_srp *s,
				  const struct fabric_verbs_listen *l,
				  const char *addr)
{
	struct sockaddr_storage a, b;
	socklen_t len;

	if (fabric_verbs_parse_addr(l->addr, l->port, &b, &len) ||
	    fabric_verbs_parse_addr(addr, l->port, &a, &len))
		return false;
	if (b.ss_family == AF_INET) {
		const struct sockaddr_in *bi = (const struct sockaddr_in *)&b;

		return a.ss_family == AF_INET &&
		       (bi->sin_addr.s_addr == htonl(INADDR_ANY) ||
			bi->sin_addr.s_addr == ((const struct sockaddr_in *)&a)
						       ->sin_addr.s_addr);
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&b)->sin6_addr))
		return a.ss_family == AF_INET6 &&
		       !memcmp(&((struct sockaddr_in6 *)&a)->sin6_addr,
			       &((struct sockaddr_in6 *)&b)->sin6_addr, 16);
	if (a.ss_family == AF_INET6)
		return true;
	/* "::" takes IPv4 too unless an IPv4 listener shares its port
	 * (doc/verbs.md "Login paths"). */
	for (unsigned int i = 0; i < s->n_listen; i++)
		if (s->listen[i].port == l->port &&
		    !strchr(s->listen[i].addr, ':'))
			return false;
	return true;
}

/*
 * What an initiator writes to ib_srp's add_target to reach target dt
 * through each port in use (of device dev only, if not NULL): its target
 * port ids there (srp_target_port_ids(), doc/srp-protocol.md 2) with each
 * address a listener takes, or the port GID on InfiniBand.  At most max
 * into out; returns how many there are.
 */
static unsigned int daemon_srp_target_logins(const struct daemon_srp *s,
					     const struct daemon_target *dt,
					     const char *dev,
					     struct daemon_srp_login *out,
					     unsigned int max)
{
	struct fabric_verbs_port_info pi[DAEMON_MAX_PORTS];
	unsigned int n = fabric_verbs_ports(s->fabric, pi, DAEMON_MAX_PORTS);
	unsigned int total = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t ids[SRP_TARGET_MAX_PORT_IDS][16];
		struct daemon_srp_login l = { 0 };
		unsigned int k, shown = 0;
		char id[80];

		if ((dev && strcmp(dev, pi[i].ref.dev_name)) ||
		    !srp_target_on_port(dt->t, &pi[i].ref))
			continue;
		k = srp_target_port_ids(dt->t, &pi[i].ref, ids);
		snprintf(id, sizeof(id), "id_ext=%016llx,ioc_guid=%016llx",
			 (unsigned long long)get_be64(ids[0]),
			 (unsigned long long)get_be64(ids[0] + 8));
		_Static_assert(sizeof(l.target) == sizeof(dt->name) &&
				       sizeof(l.dev) ==
					       sizeof(pi[i].ref.dev_name),
			       "names copied whole");
		memcpy(l.target, dt->name, sizeof(l.target));
		memcpy(l.dev, pi[i].ref.dev_name, sizeof(l.dev));
		l.port = pi[i].ref.port;
		l.alt_ioc_guid = k > 1 ? get_be64(ids[1] + 8) : 0;
		if (pi[i].ib && s->ib_cm && pi[i].n_addrs) {
			l.path = DAEMON_LOGIN_IB_CM;
			snprintf(l.line, sizeof(l.line),
				 "%s,dgid=%s,pkey=ffff,service_id=%016llx", id,
				 pi[i].addrs[0],
				 (unsigned long long)fabric_verbs_ib_service_id(
					 s->ib_cm_port));
			if (total < max)
				out[total] = l;
			total++;
			shown++;
		}
		for (unsigned int ls = 0; ls < s->n_listen; ls++)
			for (unsigned int a = 0; !pi[i].ib && a < pi[i].n_addrs;
			     a++) {
				bool v6 = strchr(pi[i].addrs[a], ':');

				if (!daemon_srp_listens_on(s, &s->listen[ls],
							   pi[i].addrs[a]))
					continue;
				l.path = DAEMON_LOGIN_RDMA_CM;
				snprintf(l.line, sizeof(l.line),
					 "%s,dest=%s%s%s:%u", id, v6 ? "[" : "",
					 pi[i].addrs[a], v6 ? "]" : "",
					 s->listen[ls].port);
				if (total < max)
					out[total] = l;
				total++;
				shown++;
			}
		if (!shown) {
			l.path = DAEMON_LOGIN_NONE;
			snprintf(l.line, sizeof(l.line), "%s", id);
			if (total < max)
				out[total] = l;
			total++;
		}
	}
	return total;
}

/* Log the login lines of dt (of device dev only, if not NULL). */
static void daemon_srp_log_logins(struct daemon_srp *s,
				  const struct daemon_target *dt,
				  const char *dev)
{
	struct daemon_srp_login l[DAEMON_MAX_PORTS * 4];
	unsigned int n = daemon_srp_target_logins(s, dt, dev, l, ARRAY_SIZE(l));
	char also[48];

	for (unsigned int i = 0; i < MIN(n, ARRAY_SIZE(l)); i++) {
		also[0] = 0;
		if (l[i].alt_ioc_guid)
			snprintf(also, sizeof(also), " (ioc_guid=%016llx too)",
				 (unsigned long long)l[i].alt_ioc_guid);
		tgt_log(LOG_NOTICE, dt->name, "via %s port %u: %s%s%s",
			l[i].dev, l[i].port, l[i].line,
			l[i].path == DAEMON_LOGIN_NONE ?
				"; no address a listener takes yet" :
				"",
			also);
	}
}

unsigned int daemon_srp_logins(const struct daemon_srp *s, const char *target,
			       struct daemon_srp_login *out, unsigned int max)
{
	unsigned int total = 0;

	if (!s->fabric)
		return 0;
	for (unsigned int i = 0; i < s->n_targets; i++) {
		if (!s->targets[i].t ||
		    (target && strcmp(target, s->targets[i].name)))
			continue;
		total += daemon_srp_target_logins(s, &s->targets[i], NULL,
						  out + MIN(total, max),
						  max - MIN(total, max));
	}
	return total;
}

unsigned int daemon_srp_ports(const struct daemon_srp *s,
			      struct fabric_verbs_port_info *out,
			      unsigned int max)
{
	return s->fabric ? fabric_verbs_ports(s->fabric, out, max) : 0;
}

void daemon_srp_get_paths(const struct daemon_srp *s,
			  struct daemon_srp_paths *out)
{
	out->started = s->fabric != NULL;
	out->ib_cm = s->ib_cm;
	out->ib_service_id = fabric_verbs_ib_service_id(s->ib_cm_port);
	out->listen = s->listen;
	out->n_listen = s->n_listen;
}

bool daemon_srp_target_running(const struct daemon_srp *s, const char *name,
			       uint64_t *id_ext, uint64_t *ioc_guid)
{
	for (unsigned int i = 0; i < s->n_targets; i++) {
		uint8_t ids[SRP_TARGET_MAX_PORT_IDS][16];

		if (!s->targets[i].t || strcmp(s->targets[i].name, name))
			continue;
		/* The ids of a port that is no HCA's: (id_ext, ioc_guid). */
		if (srp_target_port_ids(s->targets[i].t,
					&(struct fabric_port_ref){ 0 }, ids)) {
			*id_ext = get_be64(ids[0]);
			*ioc_guid = get_be64(ids[0] + 8);
		}
		return true;
	}
	return false;
}

void daemon_srp_on_port_event(struct daemon_srp *s, void (*fn)(void *ctx),
			      void *ctx)
{
	s->port_event_fn = fn;
	s->port_event_fn_ctx = ctx;
}

/* A port went up or down: whoever asked hears of it. */
static void daemon_srp_port_event(void *ctx, const char *dev, unsigned int port,
				  bool active)
{
	struct daemon_srp *s = ctx;

	(void)dev;
	(void)port;
	(void)active;
	if (s->port_event_fn)
		s->port_event_fn(s->port_event_fn_ctx);
}

/* A device was added while the fabric runs: its login strings. */
static void daemon_srp_dev_up(void *ctx, const char *dev)
{
	struct daemon_srp *s = ctx;

	for (unsigned int i = 0; i < s->n_targets; i++)
		if (s->targets[i].t)
			daemon_srp_log_logins(s, &s->targets[i], dev);
}

/* Create target ct with its maps into dt. */
static int create_target(struct daemon_srp *s, const struct config *cfg,
			 const struct device_set *devs,
			 const struct config_target *ct, unsigned int index,
			 struct daemon_target *dt)
{
	struct srp_target_params tp;
	struct srp_maps_effect eff;
	struct srp_maps *m;
	int ret;

	daemon_target_identity(s->node_guid, ct, index, &tp, &dt->id);
	ret = daemon_target_maps(cfg, devs, ct, DAEMON_RESOLVE_LOG, &m);
	if (ret)
		return ret;
	ret = srp_target_create(s->engine, &tp, &dt->t);
	if (ret) {
		srp_maps_free(m);
		return ret;
	}
	/* No nexus yet: this only installs the maps (and attaches LUs). */
	ret = srp_target_set_maps(dt->t, m, 0, &eff);
	if (ret) {
		srp_target_remove(dt->t);
		dt->t = NULL;
		return ret;
	}
	tgt_log(LOG_INFO, ct->name,
		"exported as id_ext 0x%016llx ioc_guid 0x%016llx, %u LUN(s), %u group(s), unknown initiators %s",
		(unsigned long long)tp.id_ext, (unsigned long long)tp.ioc_guid,
		ct->n_luns, ct->n_groups,
		tp.unknown_default_map ? "see the default map" : "denied");
	return 0;
}

/* The running target named name, if its identity is id. */
static struct daemon_target *find_target(struct daemon_srp *s, const char *name)
{
	for (unsigned int j = 0; j < s->n_targets; j++)
		if (s->targets[j].t && !strcmp(s->targets[j].name, name))
			return &s->targets[j];
	return NULL;
}

unsigned int daemon_srp_busy(struct daemon_srp *s, const struct config *cfg,
			     const struct device_set *devs,
			     struct daemon_change_report *rep)
{
	unsigned int busy = 0;

	if (!s->fabric)
		return 0;
	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *ct = &cfg->targets[i];
		struct daemon_target *dt = find_target(s, ct->name);
		struct daemon_target_id id;
		struct srp_target_params tp;
		struct srp_maps_effect eff;
		struct srp_maps *m;

		if (!dt)
			continue;
		daemon_target_identity(s->node_guid, ct, i, &tp, &id);
		/* A relogin ends every command anyway. */
		if (daemon_target_id_change(&dt->id, &id) ||
		    daemon_target_maps(cfg, devs, ct, DAEMON_RESOLVE_NEXT, &m))
			continue;
		srp_target_maps_effect(dt->t, m, &eff);
		srp_maps_free(m);
		busy += eff.busy_cmds;
		if (eff.busy_cmds)
			daemon_report_add(
				rep,
				"target %s: %u command(s) in flight on %u LUN(s) that leave an initiator's view",
				ct->name, eff.busy_cmds, eff.busy_luns);
	}
	return busy;
}

/* Apply ct's maps to the running target dt live. */
static void update_target(struct daemon_srp *s, const struct config *cfg,
			  const struct device_set *devs,
			  const struct config_target *ct,
			  struct daemon_target *dt, unsigned int flags,
			  struct daemon_change_report *rep)
{
	struct srp_maps_effect eff;
	struct srp_maps *m;
	int ret;

	(void)s;
	ret = daemon_target_maps(cfg, devs, ct, DAEMON_RESOLVE_QUIET, &m);
	if (!ret)
		ret = srp_target_set_maps(
			dt->t, m,
			flags & DAEMON_APPLY_FORCE ? SRP_MAPS_FORCE : 0, &eff);
	if (ret == -EBUSY)
		srp_maps_free(m);
	if (ret) {
		daemon_report_add(rep,
				  "target %s: LUN maps not (fully) applied: %s",
				  ct->name, strerror(-ret));
		return;
	}
	if (eff.changed)
		daemon_report_add(
			rep,
			"target %s: LUN view of %u session(s) changed live; they see REPORTED LUNS DATA HAS CHANGED",
			ct->name, eff.changed);
	if (eff.denied)
		daemon_report_add(
			rep,
			"target %s: %u session(s) lost access and were logged out",
			ct->name, eff.denied);
	if (eff.busy_cmds)
		daemon_report_add(
			rep,
			"target %s: %u command(s) in flight on LUNs that left a view were aborted (forced)",
			ct->name, eff.busy_cmds);
}

static void daemon_srp_sync_targets(struct daemon_srp *s,
				    const struct config *cfg,
				    const struct device_set *devs,
				    unsigned int flags,
				    struct daemon_change_report *rep)
{
	struct daemon_target *next;

	next = calloc(cfg->n_targets ? cfg->n_targets : 1, sizeof(*next));
	if (!next) {
		pr_err("targets: out of memory; keeping the running targets");
		daemon_report_add(
			rep,
			"targets: out of memory; the running targets are kept");
		return;
	}
	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *ct = &cfg->targets[i];
		struct daemon_target *old = find_target(s, ct->name);
		struct srp_target_params tp;
		struct daemon_target_id id;
		const char *why;

		snprintf(next[i].name, sizeof(next[i].name), "%s", ct->name);
		daemon_target_identity(s->node_guid, ct, i, &tp, &id);
		why = old ? daemon_target_id_change(&old->id, &id) : NULL;
		if (old && !why) {
			update_target(s, cfg, devs, ct, old, flags, rep);
			next[i] = *old;
			old->t = NULL;
			continue;
		}
		if (old) {
			/*
			 * What initiators log in to changed: log them out
			 * (T_LOGOUT); ib_srp reconnects to the new identity
			 * if it can (srptd.conf(5) RELOAD).
			 */
			unsigned int n = srp_target_sessions(old->t);

			tgt_log(LOG_NOTICE, ct->name,
				"%s changed; logging out its initiators", why);
			daemon_report_add(
				rep,
				"target %s: %s changed; its %u session(s) were logged out",
				ct->name, why, n);
			srp_target_remove(old->t);
			old->t = NULL;
		} else if (s->n_targets || s->started) {
			daemon_report_add(rep, "target %s: added", ct->name);
		}
		if (create_target(s, cfg, devs, ct, i, &next[i])) {
			tgt_log(LOG_ERR, ct->name, "cannot create the target");
			daemon_report_add(rep, "target %s: cannot be created",
					  ct->name);
		} else {
			daemon_srp_log_logins(s, &next[i], NULL);
		}
	}
	for (unsigned int j = 0; j < s->n_targets; j++) {
		if (s->targets[j].t) {
			unsigned int n = srp_target_sessions(s->targets[j].t);

			tgt_log(LOG_NOTICE, s->targets[j].name,
				"removed; logging out its initiators");
			daemon_report_add(
				rep,
				"target %s: removed; its %u session(s) were logged out",
				s->targets[j].name, n);
			srp_target_remove(s->targets[j].t);
		}
	}
	free(s->targets);
	s->targets = next;
	s->n_targets = cfg->n_targets;
	s->started = true;
}

int daemon_srp_apply(struct daemon_srp *s, const struct config *cfg,
		     const struct device_set *devs, unsigned int flags,
		     struct daemon_change_report *rep)
{
	int ret;

	if (!s->fabric) {
		ret = daemon_srp_fabric_start(s, cfg);
		/* Each reason once; the daemon retries every second. */
		if (ret && ret != s->start_err) {
			if (ret == -ENODEV)
				pr_notice(
					"RDMA fabric not started: no usable RDMA device yet; waiting");
			else
				pr_err("cannot start the RDMA fabric: %s; retrying",
				       strerror(-ret));
		}
		s->start_err = ret;
		if (ret)
			return ret;
	}
	daemon_srp_sync_targets(s, cfg, devs, flags, rep);
	return 0;
}

const struct srp_target *daemon_srp_target(const struct daemon_srp *s,
					   unsigned int i)
{
	return s->fabric && i < s->n_targets ? s->targets[i].t : NULL;
}

void daemon_srp_sessions(const struct daemon_srp *s, unsigned int *sessions,
			 unsigned int *channels)
{
	srp_engine_sessions(s->engine, sessions, channels);
}

void daemon_srp_get_info(const struct daemon_srp *s,
			 struct daemon_srp_info *out)
{
	struct fabric_verbs_port_info pi[DAEMON_MAX_PORTS];
	struct srp_engine_stats st;

	memset(out, 0, sizeof(*out));
	out->workers = s->n_workers;
	for (unsigned int i = 0; i < s->n_targets; i++)
		out->targets += s->targets[i].t != NULL;
	if (s->fabric) {
		out->ports =
			fabric_verbs_ports(s->fabric, pi, DAEMON_MAX_PORTS);
		for (unsigned int i = 0; i < out->ports; i++)
			out->ports_up += pi[i].active;
	}
	srp_engine_sessions(s->engine, &out->nexuses, &out->channels);
	srp_engine_get_stats(s->engine, &st);
	out->reqs_active = st.reqs_active;
	out->chunks_in_use = st.chunks_in_use;
	out->backend_stuck = st.backend_stuck;
}

struct srp_engine *daemon_srp_engine(const struct daemon_srp *s)
{
	return s->engine;
}

void daemon_srp_resize_lu(struct daemon_srp *s, struct scsi_lu *lu,
			  uint64_t nblocks)
{
	srp_engine_resize_lu(s->engine, lu, nblocks);
}

void daemon_srp_stop(struct daemon_srp *s)
{
	srp_engine_stop(s->engine);
}

int daemon_srp_stats(struct daemon_srp *s, struct srp_stats_snapshot **out)
{
	return srp_engine_stats_snapshot(s->engine, out);
}

bool daemon_srp_idle(const struct daemon_srp *s)
{
	return srp_engine_idle(s->engine);
}

void daemon_srp_destroy(struct daemon_srp *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->n_targets; i++)
		if (s->targets[i].t)
			srp_target_remove(s->targets[i].t);
	free(s->targets);
	daemon_srp_workers_stop(s);
	if (s->fabric)
		fabric_verbs_destroy(s->fabric);
	srp_engine_destroy(s->engine);
	free(s->listen);
	free(s);
}
