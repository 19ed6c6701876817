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
#include <stdint.h>

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
/* The running configuration (changes only through the functions here). */
const struct config *daemon_running_config(const struct daemon *d);

/*
 * Runtime changes (src/daemon_runtime.c, srptadm device / lun): the next
 * config is the running one plus the change, applied as above; the
 * configuration file is not written.  0 or -errno (-ENOENT no such
 * target, group, device or LUN; -EEXIST already there; -EBUSY a device
 * still mapped, or commands in flight; -EINVAL bad value), with the
 * reason in rep.
 */
struct daemon_device_spec {
	const char *name;
	const char *path; /* NULL or "": none (null engine) */
	const char *engine; /* NULL: backend_defaults (null without path) */
	uint64_t size; /* bytes; 0: the file's or block device's */
	bool read_only;
};
int daemon_device_add(struct daemon *d, const struct daemon_device_spec *s,
		      unsigned int flags, struct daemon_change_report *rep);
/* Refused (-EBUSY) while a LUN map still has the device. */
int daemon_device_remove(struct daemon *d, const char *name, unsigned int flags,
			 struct daemon_change_report *rep);
/* size 0: re-read the size of the file or block device. */
int daemon_device_resize(struct daemon *d, const char *name, uint64_t size,
			 unsigned int flags, struct daemon_change_report *rep);
struct daemon_lun_spec {
	const char *target;
	const char *group; /* NULL or "": the target's default map */
	uint64_t lun;
	const char *device; /* lun map only */
	bool read_only; /* lun map only */
};
int daemon_lun_map(struct daemon *d, const struct daemon_lun_spec *s,
		   unsigned int flags, struct daemon_change_report *rep);
int daemon_lun_unmap(struct daemon *d, const struct daemon_lun_spec *s,
		     unsigned int flags, struct daemon_change_report *rep);

#endif
