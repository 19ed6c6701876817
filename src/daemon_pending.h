/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A configuration change that waits for commands in flight (doc/control.md
 * "Changes that wait", doc/architecture.md "Live changes"): a change that
 * takes LUNs with commands in flight from a view is validated, then
 * parked here while the main loop goes on serving everything else; a loop
 * timer re-counts the commands, and the change is applied once they are
 * done, or refused at the deadline, unless forced.  At most one change
 * waits at a time.  Main thread only.
 *
 * States: IDLE -> WAITING -> IDLE (applied, refused at the deadline, or
 * cancelled by the daemon's stop); daemon_pending_set_state() is the only
 * place the state changes.
 */
#ifndef SRPTD_DAEMON_PENDING_H
#define SRPTD_DAEMON_PENDING_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct daemon_change_report;
struct daemon_change_waiter;
struct loop;

enum daemon_pending_state {
	DAEMON_PENDING_IDLE, /* no change waits */
	DAEMON_PENDING_WAITING, /* a validated change waits for commands */
};

/* What the daemon does for a change (ctx: the struct daemon). */
struct daemon_pending_ops {
	/*
	 * Commands in flight on LUNs that applying next would take from a
	 * running session's view; with rep non-NULL, one line per target
	 * that has some.
	 */
	unsigned int (*busy)(void *ctx, const struct config *next,
			     struct daemon_change_report *rep);
	/*
	 * Make next the running configuration (ownership passes), with
	 * DAEMON_APPLY_* flags, reporting what was done to rep.
	 */
	void (*commit)(void *ctx, struct config *next, unsigned int flags,
		       struct daemon_change_report *rep);
	/*
	 * Optional: a waiting change has just finished (after its waiter
	 * ran); the daemon may start what it deferred meanwhile.
	 */
	void (*idle)(void *ctx);
};

struct daemon_pending;

/* wait_ms: how long a change may wait; poll_ms: how often it re-counts. */
int daemon_pending_create(struct loop *loop,
			  const struct daemon_pending_ops *ops, void *ctx,
			  uint64_t wait_ms, uint64_t poll_ms,
			  struct daemon_pending **out);
/* A change still waiting is cancelled first (daemon_pending_cancel()). */
void daemon_pending_destroy(struct daemon_pending *p);

/*
 * Apply next (validated; ownership passes whatever the result) with
 * flags (DAEMON_APPLY_FORCE: commands in flight are aborted, never
 * waited for).  Returns
 *   0            applied now; rep holds the report;
 *   -EINPROGRESS commands are in flight: the change waits; rep's lines
 *                move into the change, and w->done() runs later, once,
 *                with the outcome (0, or -EBUSY at the deadline, or
 *                -ECANCELED) and the whole report;
 *   -EAGAIN      another change is waiting: refused, rep says so;
 *   -EBUSY       commands in flight and w is NULL: refused at once.
 */
int daemon_pending_submit(struct daemon_pending *p, struct config *next,
			  unsigned int flags, struct daemon_change_report *rep,
			  const struct daemon_change_waiter *w);
/*
 * The daemon stops: a waiting change is refused now (-ECANCELED, with
 * why in its report) and its waiter told.  Nothing waits afterwards.
 */
void daemon_pending_cancel(struct daemon_pending *p, const char *why);
enum daemon_pending_state daemon_pending_state(const struct daemon_pending *p);

#endif
