/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon root object: owns the running config snapshot, the main event
 * loop and everything built from the config.  Lifecycle:
 *
 *   STARTING -> RUNNING <-> RELOADING -> STOPPING -> STOPPED
 *
 * Only the main thread touches it.
 */
#ifndef SRPTD_DAEMON_H
#define SRPTD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct config;
struct daemon_srp;
struct device_set;
struct loop;

enum daemon_state {
	DAEMON_STARTING, /* config loaded, resources being built */
	DAEMON_RUNNING, /* serving; READY=1 sent */
	DAEMON_RELOADING, /* SIGHUP: applying a new config */
	DAEMON_STOPPING, /* SIGTERM: draining, bounded by a timer */
	DAEMON_STOPPED, /* loop may exit */
};

struct daemon_opts {
	const char *config_path;
	bool foreground;
	bool systemd;
	int log_level_override; /* -1: from the config */
};

struct daemon;

/*
 * Build the daemon from an already validated config (ownership passes to
 * the daemon).  Does not block.
 */
int daemon_create(const struct daemon_opts *opts, struct config *cfg,
		  struct daemon **out);
/* Run the main loop until an orderly shutdown completes. */
int daemon_run(struct daemon *d);
void daemon_destroy(struct daemon *d);

const char *daemon_state_name(enum daemon_state s);

/* What `srptadm status` shows (control method "status"). */
struct daemon_info {
	enum daemon_state state;
	pid_t pid;
	int64_t started; /* wall clock, seconds since the epoch */
	uint64_t uptime_ms;
	const char *config_path;
	uint64_t generation; /* of the running config */
	int log_level; /* LOG_ERR..LOG_DEBUG in effect */
	bool fabric_up; /* the verbs fabric runs (an RDMA device was found) */
	unsigned int workers; /* I/O worker threads running */
	unsigned int rdma_devices;
	unsigned int ports, ports_up; /* HCA ports in use / active */
	unsigned int targets, targets_running; /* configured / built */
	unsigned int sessions; /* I_T nexuses */
	unsigned int channels;
	/* Held by the SRP workers now: 0 when idle (daemon_srp_info). */
	uint64_t requests_active, buffer_chunks_in_use, backend_ios_stuck;
	unsigned int devices, devices_online;
	unsigned int luns; /* LUN map entries of every target and group */
};

/*
 * Reload the configuration file as SIGHUP does (RELOADING=1 ... READY=1,
 * every report line logged), with flags as daemon_apply_config() takes
 * them (daemon_change.h).  rep, if not NULL, receives the report (free it
 * with daemon_report_free()).  0 when applied; -EAGAIN when the daemon is
 * not RUNNING; -EINPROGRESS when the change waits for commands in flight:
 * the daemon stays RELOADING until it is over, then w->done() (w may be
 * NULL) gets the outcome and the whole report; else
 * daemon_reload_config()'s error.
 */
struct daemon_change_report;
struct daemon_change_waiter;
int daemon_reload(struct daemon *d, unsigned int flags,
		  struct daemon_change_report *rep,
		  const struct daemon_change_waiter *w);

/* Main thread (the control socket's handlers). */
void daemon_get_info(struct daemon *d, struct daemon_info *out);
/*
 * The I/O statistics now (daemon_stats.h; free with daemon_stats_free()).
 * Main thread.  0 or -ENOMEM.
 */
struct daemon_stats;
int daemon_get_stats(struct daemon *d, struct daemon_stats **out);
/* The running configuration; valid until the next reload. */
const struct config *daemon_config(const struct daemon *d);
/* The SRP side (daemon_srp.h) and the storage objects (devices.h). */
struct daemon_srp *daemon_get_srp(const struct daemon *d);
const struct device_set *daemon_get_devices(const struct daemon *d);

#endif
