/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Applying a configuration change to the running daemon, from SIGHUP and
 * from the control socket alike (doc/architecture.md "Live changes"):
 * the new config is compared with the running one and each difference is
 * applied live where possible.  The change report says, one line each,
 * what changed, what was applied, what needs a restart or a relogin and
 * why, and what was refused.  Main thread only.
 */
#ifndef SRPTD_DAEMON_CHANGE_H
#define SRPTD_DAEMON_CHANGE_H

#include <stdbool.h>

struct config;
struct daemon;

struct daemon_change_report {
	char **lines; /* human sentences, in the order things happened */
	unsigned int n;
	/* The change was not applied at all (errors or refused). */
	bool refused;
	unsigned int errors; /* configuration errors found (file:line lines) */
};

void daemon_report_add(struct daemon_change_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void daemon_report_free(struct daemon_change_report *rep);

/*
 * Abort commands in flight on LUNs that leave a view instead of refusing
 * the change when they do not finish in time.
 */
#define DAEMON_APPLY_FORCE (1u << 0)
/*
 * Make the daemon run next (validated; ownership passes to the daemon
 * whatever the result).  Returns 0 when applied, -EBUSY when refused
 * because LUNs leaving a view still had commands in flight after a bounded
 * wait (nothing changed), -EAGAIN while the daemon is not RUNNING.  rep
 * receives the report (free it with daemon_report_free()).
 */
int daemon_apply_config(struct daemon *d, struct config *next,
			unsigned int flags, struct daemon_change_report *rep);
/*
 * Re-read the configuration file and apply it: SIGHUP and the control
 * socket's reload.  Syntax or validation errors go to rep as
 * "file:line: message" and leave the running configuration (-EINVAL).
 */
int daemon_reload_config(struct daemon *d, unsigned int flags,
			 struct daemon_change_report *rep);
/* The running configuration (changes only through the two above). */
const struct config *daemon_running_config(const struct daemon *d);

#endif
