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

struct config;
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

#endif
