/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Daemon lifecycle on the main event loop: signals through signalfd,
 * reload (SIGHUP), orderly bounded shutdown (SIGTERM/SIGINT), sd_notify and
 * the systemd watchdog, and waiting for RDMA devices.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>
#include <systemd/sd-daemon.h>

#include "config/config.h"
#include "ctl/ctl.h"
#include "ctl/metrics_http.h"
#include "ctl/prometheus.h"
#include "daemon.h"
#include "daemon_change.h"
#include "daemon_dm.h"
#include "daemon_pending.h"
#include "daemon_srp.h"
#include "daemon_stats.h"
#include "devices.h"
#include "log.h"
#include "loop.h"
#include "srptd/version.h"
#include "status.h"

/* How long an orderly shutdown may take before we exit regardless. */
#define DAEMON_STOP_TIMEOUT_MS 10000
/* How often to look for RDMA devices while there are none. */
#define DAEMON_DEVICE_POLL_MS 5000
/*
 * How often STATUS= is recomputed: logins and logouts show up in
 * `systemctl status` within this, and a login storm costs the service
 * manager at most one message per interval.
 */
#define DAEMON_STATUS_MS 1000
/*
 * How long a change waits for the commands in flight on LUNs it takes
 * from a view, and how often it counts them (doc/control.md "Changes that
 * wait"); the workers finish them on their own threads meanwhile and the
 * main loop serves everything else (src/daemon_pending.h).
 */
#define DAEMON_APPLY_WAIT_MS 2000
#define DAEMON_APPLY_POLL_MS 10

struct daemon {
	enum daemon_state state;
	struct daemon_opts opts;
	struct config *cfg;
	uint64_t generation;
	struct loop *loop;
	int sigfd;
	sigset_t sigmask_old;
	struct loop_timer *stop_timer;
	struct loop_timer *device_timer;
	struct loop_timer *status_timer;
	char status[256]; /* the last summary sent as STATUS= */
	unsigned int n_rdma_devices;
	struct device_set devices;
	struct daemon_srp *srp;
	struct daemon_dm *dm;
	struct metrics_http *metrics; /* daemon.metrics endpoint */
	struct loop_timer *drain_timer;
	unsigned int pending_drains; /* components still draining on stop */
	int exit_code;
	struct ctl_server *ctl; /* NULL: daemon.control_socket = "" */
	/* A change waiting for commands in flight (daemon_pending.h). */
	struct daemon_pending *pending;
	/* Who else hears of a reload that waits (the control socket). */
	struct daemon_change_waiter reload_waiter;
	/* SIGHUP came while a change waited: reload when it is over. */
	bool reload_deferred;
	int64_t started; /* wall clock, for status */
	uint64_t started_ms; /* loop_now_ms() at start */
};

static const char *const state_names[] = {
	[DAEMON_STARTING] = "starting",	  [DAEMON_RUNNING] = "running",
	[DAEMON_RELOADING] = "reloading", [DAEMON_STOPPING] = "stopping",
	[DAEMON_STOPPED] = "stopped",
};

const char *daemon_state_name(enum daemon_state s)
{
	return s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

/*
 * The one place the daemon changes state.  RELOADING returns to RUNNING;
 * every other move is forward only.
 */
static void daemon_set_state(struct daemon *d, enum daemon_state next)
{
	bool ok = next > d->state ||
		  (d->state == DAEMON_RELOADING && next == DAEMON_RUNNING);

	if (!ok) {
		pr_err("internal: daemon state %s -> %s refused",
		       daemon_state_name(d->state), daemon_state_name(next));
		return;
	}
	pr_debug(LOG_C_CORE, "daemon state %s -> %s",
		 daemon_state_name(d->state), daemon_state_name(next));
	d->state = next;
}

static void daemon_apply_logging(struct daemon *d)
{
	if (d->opts.log_level_override >= 0)
		log_set_level(d->opts.log_level_override);
	else
		log_set_level(d->cfg->daemon.log_level);
	log_set_components(d->cfg->daemon.log_components);
}

/* LUN map entries of every target and initiator group. */
static unsigned int daemon_count_luns(const struct config *cfg)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *t = &cfg->targets[i];

		n += t->n_luns;
		for (unsigned int g = 0; g < t->n_groups; g++)
			n += t->groups[g].n_luns;
	}
	return n;
}

/*
 * Send the summary as STATUS= (sd_notify(3)) if it changed since the last
 * one, so that the periodic refresh costs nothing while nothing happens.
 */
static void daemon_status(struct daemon *d)
{
	struct status_info si = { .rdma_devices = "" };
	char devs[128] = "", line[sizeof(d->status)];

	if (d->n_rdma_devices && d->n_rdma_devices != ~0u &&
	    daemon_srp_rdma_devices(d->srp, devs, sizeof(devs)) > 0)
		si.rdma_devices = devs;
	si.targets = d->cfg->n_targets;
	si.luns = daemon_count_luns(d->cfg);
	daemon_srp_sessions(d->srp, &si.sessions, &si.channels);
	si.generation = d->generation;
	status_format(&si, line, sizeof(line));
	if (!strcmp(line, d->status))
		return;
	memcpy(d->status, line, sizeof(d->status));
	sd_notifyf(0, "STATUS=%s", line);
}

static void daemon_on_status_timer(void *arg)
{
	daemon_status(arg);
}

/*
 * Until the verbs fabric is up, look for devices with
 * ibv_get_device_list(); afterwards the fabric tracks them (hot plug) and
 * is asked instead.  No device is not an error: srptd stays up and
 * healthy and says what it is waiting for (RDMA devices appear late at
 * boot; rdma-core#781).
 */
static void daemon_scan_rdma_devices(struct daemon *d)
{
	struct ibv_device **list = NULL;
	char names[256] = "";
	int n = daemon_srp_rdma_devices(d->srp, names, sizeof(names));

	if (n < 0) {
		size_t off = 0;

		list = ibv_get_device_list(&n);
		if (!list)
			n = 0;
		for (int i = 0; i < n && off < sizeof(names); i++)
			off += snprintf(names + off, sizeof(names) - off,
					"%s%s", i ? " " : "",
					ibv_get_device_name(list[i]));
		if (list)
			ibv_free_device_list(list);
	}
	if ((unsigned int)n == d->n_rdma_devices)
		return;
	if (n == 0)
		pr_notice("no RDMA devices found; waiting for RDMA devices");
	else
		pr_info("RDMA devices present: %s", names);
	d->n_rdma_devices = n;
	daemon_status(d);
}

/* Bring the fabric up when devices appear; (re)build targets. */
static void daemon_apply_srp(struct daemon *d, unsigned int flags,
			     struct daemon_change_report *rep)
{
	int ret = daemon_srp_apply(d->srp, d->cfg, &d->devices, flags, rep);

	if (ret && ret != -ENODEV)
		sd_notifyf(0, "STATUS=RDMA fabric failed: %s; retrying",
			   strerror(-ret));
	daemon_dm_apply(d->dm, d->cfg, d->srp);
}

/* A port went up or down: the DM agent re-checks its ports (IsDM). */
static void daemon_on_port_event(void *arg)
{
	struct daemon *d = arg;

	daemon_dm_port_event(d->dm);
}

static void daemon_on_device_timer(void *arg)
{
	struct daemon *d = arg;

	daemon_scan_rdma_devices(d);
	if (!daemon_srp_fabric_up(d->srp) && d->n_rdma_devices)
		daemon_apply_srp(d, 0, NULL);
	else /* devices may have come or gone (hot plug) */
		daemon_dm_apply(d->dm, d->cfg, d->srp);
	devices_reap(&d->devices);
	devices_check_watches(&d->devices);
}

/* devices.h resized: the SRP side tells the nexuses and the workers. */
static void daemon_on_lu_resized(void *ctx, struct scsi_lu *lu,
				 uint64_t nblocks)
{
	struct daemon *d = ctx;

	daemon_srp_resize_lu(d->srp, lu, nblocks);
}

static void daemon_sync_devices(struct daemon *d,
				struct daemon_change_report *rep)
{
	unsigned int opened, closed, failed;

	devices_sync(&d->devices, d->cfg, rep, &opened, &closed, &failed);
	if (opened || closed || failed)
		pr_info("devices: %u opened, %u closed, %u offline after errors",
			opened, closed, failed);
}

int daemon_get_stats(struct daemon *d, struct daemon_stats **out)
{
	return daemon_stats_collect(&d->devices, d->srp, d->generation, out);
}

/* GET /metrics: a snapshot of the statistics, rendered. */
static int daemon_render_metrics(void *ctx, char **text, size_t *len)
{
	struct daemon *d = ctx;
	struct daemon_stats *s;
	int ret;

	ret = daemon_get_stats(d, &s);
	if (ret)
		return ret;
	ret = prometheus_render(s, text, len);
	daemon_stats_free(s);
	return ret;
}

/* daemon.metrics changed: start, stop or move the endpoint now. */
static void daemon_apply_metrics(struct daemon *d,
				 struct daemon_change_report *rep)
{
	const char *want = d->cfg->daemon.metrics;

	if (!strcmp(want, metrics_http_address(d->metrics)))
		return;
	if (metrics_http_apply(d->metrics, want))
		daemon_report_add(
			rep,
			"daemon.metrics: cannot serve on %s; the endpoint is off (the log says why)",
			want);
	else if (want[0])
		daemon_report_add(
			rep, "daemon.metrics: serving http://%s/metrics", want);
	else
		daemon_report_add(rep, "daemon.metrics: endpoint off");
}

static void daemon_report_restart(void *arg, const char *key)
{
	daemon_report_add(
		arg,
		"%s changed; the new value takes effect after a restart (systemctl restart srptd)",
		key);
}

static void daemon_log_diff(const struct config *old, const struct config *new)
{
	unsigned int added = 0, removed = 0;

	for (unsigned int i = 0; i < new->n_devices; i++)
		if (!config_find_device(old, new->devices[i].name))
			added++;
	for (unsigned int i = 0; i < old->n_devices; i++)
		if (!config_find_device(new, old->devices[i].name))
			removed++;
	pr_info("reload: devices +%u -%u, targets %u -> %u, log level %s",
		added, removed, old->n_targets, new->n_targets,
		log_level_name(new->daemon.log_level));
}

static int daemon_ctl_group(struct daemon *d);

/* daemon_pending_ops.busy: commands in flight next would strand. */
static unsigned int daemon_change_busy(void *ctx, const struct config *next,
				       struct daemon_change_report *rep)
{
	struct daemon *d = ctx;

	return daemon_srp_busy(d->srp, next, &d->devices, rep);
}

/* daemon_pending_ops.commit: next becomes the running configuration. */
static void daemon_commit(void *ctx, struct config *next, unsigned int flags,
			  struct daemon_change_report *rep)
{
	struct daemon *d = ctx;

	daemon_log_diff(d->cfg, next);
	config_restart_changes(d->cfg, next, daemon_report_restart, rep);
	config_free(d->cfg);
	d->cfg = next;
	d->cfg->generation = ++d->generation;
	daemon_apply_logging(d);
	daemon_ctl_group(d);
	daemon_sync_devices(d, rep);
	daemon_apply_srp(d, flags, rep);
	devices_reap(&d->devices);
	daemon_apply_metrics(d, rep);
	daemon_report_add(rep, "configuration generation %llu applied",
			  (unsigned long long)d->generation);
	daemon_status(d);
}

static void daemon_change_idle(void *ctx);

static const struct daemon_pending_ops daemon_pending_ops = {
	.busy = daemon_change_busy,
	.commit = daemon_commit,
	.idle = daemon_change_idle,
};

int daemon_apply_config(struct daemon *d, struct config *next,
			unsigned int flags, struct daemon_change_report *rep,
			const struct daemon_change_waiter *w)
{
	if (d->state != DAEMON_RUNNING && d->state != DAEMON_RELOADING) {
		daemon_report_add(rep, "the daemon is %s; nothing applied",
				  daemon_state_name(d->state));
		rep->refused = true;
		config_free(next);
		return -EAGAIN;
	}
	return daemon_pending_submit(d->pending, next, flags, rep, w);
}

const struct config *daemon_running_config(const struct daemon *d)
{
	return d->cfg;
}

int daemon_reload_config(struct daemon *d, unsigned int flags,
			 struct daemon_change_report *rep,
			 const struct daemon_change_waiter *w)
{
	struct config_errors *errs;
	struct config *cfg = NULL;
	int ret;

	errs = calloc(1, sizeof(*errs));
	if (!errs) {
		daemon_report_add(rep, "out of memory");
		rep->refused = true;
		return -ENOMEM;
	}
	ret = config_load(d->opts.config_path, NULL, &cfg, errs);
	if (ret) {
		for (unsigned int i = 0; i < errs->n; i++) {
			if (errs->e[i].line > 0)
				daemon_report_add(rep, "%s:%d: %s",
						  errs->e[i].file,
						  errs->e[i].line,
						  errs->e[i].msg);
			else
				daemon_report_add(rep, "%s: %s",
						  errs->e[i].file,
						  errs->e[i].msg);
		}
		if (errs->dropped)
			daemon_report_add(rep, "... and %u more errors",
					  errs->dropped);
		daemon_report_add(
			rep,
			"reload failed (%u errors); keeping configuration generation %llu",
			errs->n + errs->dropped,
			(unsigned long long)d->generation);
		rep->refused = true;
		rep->errors = errs->n + errs->dropped;
		free(errs);
		return -EINVAL;
	}
	free(errs);
	return daemon_apply_config(d, cfg, flags, rep, w);
}

/* A reload is over (applied or not): log it, READY=1, RUNNING again. */
static void daemon_reload_end(struct daemon *d, int ret,
			      const struct daemon_change_report *rep)
{
	for (unsigned int i = 0; i < rep->n; i++) {
		if (ret)
			pr_err("reload: %s", rep->lines[i]);
		else
			pr_notice("reload: %s", rep->lines[i]);
	}
	if (ret == -EINVAL)
		sd_notifyf(
			0,
			"STATUS=reload failed (%u errors); running generation %llu",
			rep->errors, (unsigned long long)d->generation);
	else if (ret)
		sd_notifyf(0,
			   "STATUS=reload failed (%s); running generation %llu",
			   strerror(-ret), (unsigned long long)d->generation);
	sd_notify(0, "READY=1");
	daemon_set_state(d, DAEMON_RUNNING);
}

/* The reload that waited for commands in flight is over. */
static void daemon_reload_waited(void *arg, int ret,
				 struct daemon_change_report *rep)
{
	struct daemon *d = arg;
	struct daemon_change_waiter w = d->reload_waiter;

	d->reload_waiter = (struct daemon_change_waiter){ 0 };
	daemon_reload_end(d, ret, rep);
	if (w.done)
		w.done(w.arg, ret, rep);
}

/* SIGHUP: reload and log the change report, one line each. */
int daemon_reload(struct daemon *d, unsigned int flags,
		  struct daemon_change_report *out,
		  const struct daemon_change_waiter *w)
{
	const struct daemon_change_waiter mine = { daemon_reload_waited, d };
	struct daemon_change_report own = { 0 };
	struct daemon_change_report *rep = out ? out : &own;
	struct timespec now;
	int ret;

	if (d->state != DAEMON_RUNNING) {
		daemon_report_add(rep, "the daemon is %s; not reloading",
				  daemon_state_name(d->state));
		rep->refused = true;
		return -EAGAIN;
	}
	daemon_set_state(d, DAEMON_RELOADING);
	/*
	 * sd_notify(3): RELOADING=1 must be followed by READY=1 once the
	 * reload is over, whatever its outcome.  MONOTONIC_USEC (the
	 * CLOCK_MONOTONIC time of the request) is what Type=notify-reload
	 * (systemd 253+) requires; older managers ignore it.
	 */
	clock_gettime(CLOCK_MONOTONIC, &now);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now.tv_sec * 1000000ull +
			   (unsigned long long)now.tv_nsec / 1000ull);
	pr_notice("reloading configuration from %s", d->opts.config_path);
	ret = daemon_reload_config(d, flags, rep, &mine);
	if (ret == -EINPROGRESS) {
		/* RELOADING until it is over; daemon_reload_waited() ends it. */
		pr_notice(
			"reload: waiting for commands in flight on LUNs the change takes from a view");
		d->reload_waiter = w ? *w : (struct daemon_change_waiter){ 0 };
		daemon_report_free(&own);
		return ret;
	}
	daemon_reload_end(d, ret, rep);
	daemon_report_free(&own);
	return ret;
}

/* A change that waited is over: a SIGHUP that came meanwhile runs now. */
static void daemon_change_idle(void *ctx)
{
	struct daemon *d = ctx;

	if (!d->reload_deferred || d->state != DAEMON_RUNNING)
		return;
	d->reload_deferred = false;
	daemon_reload(d, 0, NULL, NULL);
}

static void daemon_finish_stop(struct daemon *d)
{
	if (d->drain_timer) {
		loop_timer_cancel(d->loop, d->drain_timer);
		d->drain_timer = NULL;
	}
	daemon_set_state(d, DAEMON_STOPPED);
	loop_stop(d->loop);
}

static void daemon_maybe_finish_stop(struct daemon *d);

static void daemon_on_stop_timeout(void *arg)
{
	struct daemon *d = arg;

	d->stop_timer = NULL;
	pr_warn("shutdown did not finish within %d ms; exiting anyway",
		DAEMON_STOP_TIMEOUT_MS);
	d->pending_drains = 0;
	daemon_finish_stop(d);
}

static void daemon_on_drain_timer(void *arg)
{
	struct daemon *d = arg;

	if (!daemon_srp_idle(d->srp))
		return;
	loop_timer_cancel(d->loop, d->drain_timer);
	d->drain_timer = NULL;
	d->pending_drains--;
	pr_info("all initiators logged out");
	daemon_maybe_finish_stop(d);
}

static void daemon_stop(struct daemon *d, const char *why)
{
	unsigned int sessions, channels;

	if (d->state >= DAEMON_STOPPING)
		return;
	/*
	 * A change still waiting for commands in flight is refused now
	 * (its caller hears -ECANCELED); a deferred reload is dropped.
	 */
	d->reload_deferred = false;
	daemon_pending_cancel(d->pending, "the daemon is stopping");
	daemon_set_state(d, DAEMON_STOPPING);
	daemon_srp_sessions(d->srp, &sessions, &channels);
	sd_notifyf(
		0,
		"STOPPING=1\nSTATUS=stopping (%s): logging out %u session(s)",
		why, sessions);
	pr_notice("shutting down (%s)", why);
	if (d->device_timer) {
		loop_timer_cancel(d->loop, d->device_timer);
		d->device_timer = NULL;
	}
	if (d->status_timer) {
		loop_timer_cancel(d->loop, d->status_timer);
		d->status_timer = NULL;
	}
	/*
	 * Channels send SRP_T_LOGOUT, disconnect and drain their in-flight
	 * I/O asynchronously; the SRP side counts as one pending drain until
	 * it is idle.  The whole stop is bounded by the stop timer.
	 */
	loop_timer_add(d->loop, DAEMON_STOP_TIMEOUT_MS, 0,
		       daemon_on_stop_timeout, d, &d->stop_timer);
	daemon_dm_stop(d->dm);
	daemon_srp_stop(d->srp);
	if (!daemon_srp_idle(d->srp)) {
		d->pending_drains++;
		loop_timer_add(d->loop, 20, 20, daemon_on_drain_timer, d,
			       &d->drain_timer);
	}
	daemon_maybe_finish_stop(d);
}

static void daemon_maybe_finish_stop(struct daemon *d)
{
	if (d->state != DAEMON_STOPPING || d->pending_drains)
		return;
	if (d->stop_timer) {
		loop_timer_cancel(d->loop, d->stop_timer);
		d->stop_timer = NULL;
	}
	daemon_finish_stop(d);
}

static void daemon_on_signal(void *arg, uint32_t events)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			if (daemon_pending_state(d->pending) ==
			    DAEMON_PENDING_WAITING) {
				pr_notice(
					"SIGHUP: a change waits for commands in flight; reloading when it is over");
				d->reload_deferred = true;
				break;
			}
			daemon_reload(d, 0, NULL, NULL);
			break;
		case SIGTERM:
			daemon_stop(d, "SIGTERM");
			break;
		case SIGINT:
			daemon_stop(d, "SIGINT");
			break;
		default:
			break;
		}
	}
}

static void daemon_on_watchdog(void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

static int daemon_setup_signals(struct daemon *d)
{
	sigset_t mask;

	/* A vanished control-socket peer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, &d->sigmask_old) < 0)
		return -errno;
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return loop_add_fd(d->loop, d->sigfd, EPOLLIN, daemon_on_signal, d);
}

int daemon_create(const struct daemon_opts *opts, struct config *cfg,
		  struct daemon **out)
{
	struct daemon *d;
	uint64_t wd_usec = 0;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d) {
		config_free(cfg);
		return -ENOMEM;
	}
	d->opts = *opts;
	d->cfg = cfg;
	d->sigfd = -1;
	d->generation = 1;
	d->cfg->generation = 1;
	d->state = DAEMON_STARTING;
	d->started = time(NULL);
	d->started_ms = loop_now_ms();
	daemon_apply_logging(d);
	pr_notice("srptd %s starting, configuration %s", SRPTD_VERSION,
		  opts->config_path);

	ret = loop_create(&d->loop);
	if (ret)
		goto err;
	ret = daemon_setup_signals(d);
	if (ret)
		goto err;
	ret = daemon_pending_create(d->loop, &daemon_pending_ops, d,
				    DAEMON_APPLY_WAIT_MS, DAEMON_APPLY_POLL_MS,
				    &d->pending);
	if (ret)
		goto err;
	if (d->cfg->daemon.control_socket[0]) {
		ret = ctl_server_create(d->loop, d->cfg->daemon.control_socket,
					ctl_daemon_tables, d, &d->ctl);
		if (ret) {
			pr_err("cannot create the control socket %s: %s",
			       d->cfg->daemon.control_socket, strerror(-ret));
			goto err;
		}
		ret = daemon_ctl_group(d);
		if (ret)
			goto err;
	}
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec) {
		/* Ping at half the interval, as sd_watchdog_enabled(3) advises. */
		ret = loop_timer_add(d->loop, wd_usec / 2000, wd_usec / 2000,
				     daemon_on_watchdog, d, NULL);
		if (ret)
			goto err;
	}

	/*
	 * Devices whose store can change size on its own are watched here,
	 * and shared rbd devices their reservation object: set before the
	 * devices open.
	 */
	d->devices.loop = d->loop;
	/* What the engine created below takes (daemon_srp.c). */
	d->devices.max_xfer = d->cfg->fabric.max_rdma_size;
	daemon_sync_devices(d, NULL);
	ret = daemon_srp_create(d->loop, d->cfg, &d->srp);
	if (ret) {
		pr_err("cannot create the SRP engine: %s", strerror(-ret));
		goto err;
	}
	d->devices.resized = daemon_on_lu_resized;
	d->devices.resized_ctx = d;
	ret = daemon_dm_create(d->loop, &d->dm);
	if (ret)
		goto err;
	daemon_srp_on_port_event(d->srp, daemon_on_port_event, d);
	ret = metrics_http_create(d->loop, daemon_render_metrics, d,
				  &d->metrics);
	if (ret)
		goto err;
	/* A failure is logged and leaves the endpoint off, as on reload. */
	metrics_http_apply(d->metrics, d->cfg->daemon.metrics);

	/* Force a first report even when there are no devices. */
	d->n_rdma_devices = ~0u;
	daemon_scan_rdma_devices(d);
	daemon_apply_srp(d, 0, NULL);
	ret = loop_timer_add(d->loop, DAEMON_DEVICE_POLL_MS,
			     DAEMON_DEVICE_POLL_MS, daemon_on_device_timer, d,
			     &d->device_timer);
	if (ret)
		goto err;
	ret = loop_timer_add(d->loop, DAEMON_STATUS_MS, DAEMON_STATUS_MS,
			     daemon_on_status_timer, d, &d->status_timer);
	if (ret)
		goto err;

	*out = d;
	return 0;
err:
	daemon_destroy(d);
	return ret;
}

int daemon_run(struct daemon *d)
{
	int ret;

	daemon_set_state(d, DAEMON_RUNNING);
	daemon_status(d);
	sd_notify(0, "READY=1");
	pr_notice("ready (configuration generation %llu)",
		  (unsigned long long)d->generation);
	ret = loop_run(d->loop);
	if (ret)
		pr_err("event loop failed: %s", strerror(-ret));
	pr_notice("stopped");
	return ret ? ret : d->exit_code;
}

void daemon_destroy(struct daemon *d)
{
	if (!d)
		return;
	/*
	 * The SRP side and the storage are released only when every channel
	 * is gone; after a stop timeout the process exits with them.
	 */
	/* A waiting change is cancelled and answered before the socket goes. */
	daemon_pending_destroy(d->pending);
	ctl_server_destroy(d->ctl);
	metrics_http_destroy(d->metrics);
	daemon_dm_destroy(d->dm);
	if (d->srp && daemon_srp_idle(d->srp)) {
		daemon_srp_destroy(d->srp);
		d->srp = NULL;
	}
	if (!d->srp)
		devices_close_all(&d->devices);
	if (d->loop) {
		if (d->sigfd >= 0)
			loop_del_fd(d->loop, d->sigfd);
		loop_destroy(d->loop);
	}
	if (d->sigfd >= 0) {
		close(d->sigfd);
		sigprocmask(SIG_SETMASK, &d->sigmask_old, NULL);
	}
	config_free(d->cfg);
	free(d);
}

/*
 * Who besides root may use the control socket: daemon.control_group,
 * looked up at start and on every reload.  An unknown group leaves the
 * socket to root alone.
 */
static int daemon_ctl_group(struct daemon *d)
{
	const char *name = d->cfg->daemon.control_group;
	struct group *gr;
	int ret;

	if (!d->ctl)
		return 0;
	if (!name[0])
		return ctl_server_set_group(d->ctl, false, 0);
	errno = 0;
	gr = getgrnam(name);
	if (!gr) {
		ret = errno ? -errno : -ENOENT;
		pr_err("daemon.control_group: no group \"%s\"%s%s; the control socket is root's only",
		       name, errno ? ": " : "", errno ? strerror(errno) : "");
		ctl_server_set_group(d->ctl, false, 0);
		return ret;
	}
	ret = ctl_server_set_group(d->ctl, true, gr->gr_gid);
	if (ret)
		pr_err("control socket: cannot give it to group %s: %s", name,
		       strerror(-ret));
	return ret;
}

void daemon_get_info(struct daemon *d, struct daemon_info *out)
{
	struct daemon_srp_info si;

	memset(out, 0, sizeof(*out));
	out->state = d->state;
	out->pid = getpid();
	out->started = d->started;
	out->uptime_ms = loop_now_ms() - d->started_ms;
	out->config_path = d->opts.config_path;
	out->generation = d->generation;
	out->log_level = log_get_level();
	out->fabric_up = daemon_srp_fabric_up(d->srp);
	out->rdma_devices = d->n_rdma_devices == ~0u ? 0 : d->n_rdma_devices;
	daemon_srp_get_info(d->srp, &si);
	out->workers = si.workers;
	out->ports = si.ports;
	out->ports_up = si.ports_up;
	out->targets = d->cfg->n_targets;
	out->targets_running = si.targets;
	out->sessions = si.nexuses;
	out->channels = si.channels;
	out->requests_active = si.reqs_active;
	out->buffer_chunks_in_use = si.chunks_in_use;
	out->backend_ios_stuck = si.backend_stuck;
	out->devices = d->cfg->n_devices;
	for (unsigned int i = 0; i < d->devices.n; i++)
		out->devices_online += d->devices.dev[i]->state ==
				       DEVICE_ONLINE;
	for (unsigned int i = 0; i < d->cfg->n_targets; i++) {
		const struct config_target *t = &d->cfg->targets[i];

		out->luns += t->n_luns;
		for (unsigned int g = 0; g < t->n_groups; g++)
			out->luns += t->groups[g].n_luns;
	}
}

const struct config *daemon_config(const struct daemon *d)
{
	return d->cfg;
}

struct daemon_srp *daemon_get_srp(const struct daemon *d)
{
	return d->srp;
}

const struct device_set *daemon_get_devices(const struct daemon *d)
{
	return &d->devices;
}
