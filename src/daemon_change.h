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
 * Who hears of a change that had to wait for commands in flight
 * (src/daemon_pending.h).  done() runs once, on the main loop, with the
 * outcome (0 applied; -EBUSY refused, they did not finish in time;
 * -ECANCELED the daemon stops) and the change's whole report, which is
 * freed after the call (move the lines out to keep them).
 */
struct daemon_change_waiter {
	void (*done)(void *arg, int ret, struct daemon_change_report *rep);
	void *arg;
};

/*
 * Make the daemon run next (validated; ownership passes to the daemon
 * whatever the result).  Returns 0 when applied; -EINPROGRESS when LUNs
 * it takes from a view have commands in flight: the change waits for them
 * (at most 2 s) without blocking the main loop, and w->done() gets the
 * outcome (rep's lines move to it); -EAGAIN while the daemon is not
 * RUNNING or another change waits; -EBUSY with w NULL and commands in
 * flight.  rep receives the report (free it with daemon_report_free()).
 */
int daemon_apply_config(struct daemon *d, struct config *next,
			unsigned int flags, struct daemon_change_report *rep,
			const struct daemon_change_waiter *w);
/*
 * Re-read the configuration file and apply it: SIGHUP and the control
 * socket's reload.  Syntax or validation errors go to rep as
 * "file:line: message" and leave the running configuration (-EINVAL).
 * Otherwise as daemon_apply_config().
 */
int daemon_reload_config(struct daemon *d, unsigned int flags,
			 struct daemon_change_report *rep,
			 const struct daemon_change_waiter *w);
/* The running configuration (changes only through the functions here). */
const struct config *daemon_running_config(const struct daemon *d);

/*
 * Runtime changes (src/daemon_runtime.c, srptadm device / lun): the next
 * config is the running one plus the change, applied as above; the
 * configuration file is not written.  0 or -errno (-ENOENT no such
 * target, group, device or LUN; -EEXIST already there; -EBUSY a device
 * still mapped; -EINVAL bad value), with the reason in rep, or
 * -EINPROGRESS: the change waits for commands in flight and w->done()
 * gets the outcome, as for daemon_apply_config().
 */
struct daemon_device_spec {
	const char *name;
	const char *path; /* NULL or "": none (null engine) */
	/* NULL: rbd with rbd_image, else null without path, else
	 * backend_defaults */
	const char *engine;
	uint64_t size; /* bytes; 0: the file's or block device's */
	bool read_only;
	/*
	 * The keys below are those of srptd.conf(5) of the same names; NULL:
	 * not given (the key's default).
	 */
	const char *rbd_image; /* engine rbd: "pool/image" */
	const char *ceph_conf;
	const char *ceph_client;
	const char *ceph_keyring;
	const long long *ceph_timeout;
	const bool *write_cache;
	const bool *shared;
};
int daemon_device_add(struct daemon *d, const struct daemon_device_spec *s,
		      unsigned int flags, struct daemon_change_report *rep,
		      const struct daemon_change_waiter *w);
/* Refused (-EBUSY) while a LUN map still has the device. */
int daemon_device_remove(struct daemon *d, const char *name, unsigned int flags,
			 struct daemon_change_report *rep,
			 const struct daemon_change_waiter *w);
/* size 0: re-read the size of the file or block device. */
int daemon_device_resize(struct daemon *d, const char *name, uint64_t size,
			 unsigned int flags, struct daemon_change_report *rep,
			 const struct daemon_change_waiter *w);
struct daemon_lun_spec {
	const char *target;
	const char *group; /* NULL or "": the target's default map */
	uint64_t lun;
	const char *device; /* lun map only */
	bool read_only; /* lun map only */
};
int daemon_lun_map(struct daemon *d, const struct daemon_lun_spec *s,
		   unsigned int flags, struct daemon_change_report *rep,
		   const struct daemon_change_waiter *w);
int daemon_lun_unmap(struct daemon *d, const struct daemon_lun_spec *s,
		     unsigned int flags, struct daemon_change_report *rep,
		     const struct daemon_change_waiter *w);

#endif
