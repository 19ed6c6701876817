/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A configuration change waiting for commands in flight; see
 * daemon_pending.h.  The workers finish those commands on their own
 * threads; the main loop only re-counts them from a timer, so the control
 * socket, CM events, the DM agent, the watchdog and the metrics endpoint
 * are served meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon_change.h"
#include "daemon_pending.h"
#include "log.h"
#include "loop.h"
#include "util.h"

struct daemon_pending {
	enum daemon_pending_state state;
	struct loop *loop;
	const struct daemon_pending_ops *ops;
	void *ctx;
	uint64_t wait_ms, poll_ms;
	/* The waiting change (WAITING only). */
	struct config *next;
	unsigned int flags;
	struct daemon_change_report rep;
	struct daemon_change_waiter waiter;
	uint64_t deadline_ms;
	struct loop_timer *timer;
};

static const char *const pending_state_names[] = {
	[DAEMON_PENDING_IDLE] = "idle",
	[DAEMON_PENDING_WAITING] = "waiting",
};

/*
 * The one place the state changes.  To WAITING the change's fields are
 * set; back to IDLE they are released and the waiter gets the outcome
 * ret (the waiter may submit the next change from its callback).
 */
static void daemon_pending_set_state(struct daemon_pending *p,
				     enum daemon_pending_state next, int ret)
{
	struct daemon_change_waiter w = p->waiter;
	struct daemon_change_report rep = p->rep;

	if (next == p->state) {
		pr_err("internal: change state %s -> %s refused",
		       pending_state_names[p->state],
		       pending_state_names[next]);
		return;
	}
	pr_debug(LOG_C_CORE, "change state %s -> %s",
		 pending_state_names[p->state], pending_state_names[next]);
	p->state = next;
	if (next == DAEMON_PENDING_WAITING)
		return;
	if (p->timer) {
		loop_timer_cancel(p->loop, p->timer);
		p->timer = NULL;
	}
	config_free(p->next);
	p->next = NULL;
	p->rep = (struct daemon_change_report){ 0 };
	p->waiter = (struct daemon_change_waiter){ 0 };
	if (ret)
		rep.refused = true;
	w.done(w.arg, ret, &rep);
	daemon_report_free(&rep);
	if (p->ops->idle)
		p->ops->idle(p->ctx);
}

/* The commands in flight are done: apply the change. */
static void daemon_pending_apply(struct daemon_pending *p)
{
	struct config *next = p->next;

	p->next = NULL;
	p->ops->commit(p->ctx, next, p->flags, &p->rep);
	daemon_pending_set_state(p, DAEMON_PENDING_IDLE, 0);
}

static void daemon_pending_on_timer(void *arg)
{
	struct daemon_pending *p = arg;
	unsigned int busy = p->ops->busy(p->ctx, p->next, NULL);

	if (!busy) {
		daemon_pending_apply(p);
		return;
	}
	if (loop_now_ms() < p->deadline_ms)
		return;
	/* Why, target by target, then the verdict. */
	p->ops->busy(p->ctx, p->next, &p->rep);
	daemon_report_add(
		&p->rep,
		"change refused: %u command(s) did not finish within %llu ms; stop the initiators' I/O to those LUNs first, or force the change (their commands are aborted)",
		busy, (unsigned long long)p->wait_ms);
	daemon_pending_set_state(p, DAEMON_PENDING_IDLE, -EBUSY);
}

int daemon_pending_submit(struct daemon_pending *p, struct config *next,
			  unsigned int flags, struct daemon_change_report *rep,
			  const struct daemon_change_waiter *w)
{
	unsigned int busy;
	int ret;

	if (p->state == DAEMON_PENDING_WAITING) {
		config_free(next);
		daemon_report_add(
			rep,
			"another change is waiting for commands in flight (at most %llu ms); nothing applied, try again when it is done",
			(unsigned long long)p->wait_ms);
		rep->refused = true;
		return -EAGAIN;
	}
	busy = flags & DAEMON_APPLY_FORCE ? 0 :
					    p->ops->busy(p->ctx, next, NULL);
	if (!busy) {
		p->ops->commit(p->ctx, next, flags, rep);
		return 0;
	}
	if (!w || !w->done) {
		p->ops->busy(p->ctx, next, rep);
		config_free(next);
		daemon_report_add(
			rep,
			"change refused: %u command(s) in flight on LUNs it takes from a view",
			busy);
		rep->refused = true;
		return -EBUSY;
	}
	ret = loop_timer_add(p->loop, p->poll_ms, p->poll_ms,
			     daemon_pending_on_timer, p, &p->timer);
	if (ret) {
		config_free(next);
		daemon_report_add(rep, "cannot wait for commands in flight: %s",
				  strerror(-ret));
		rep->refused = true;
		return ret;
	}
	p->next = next;
	p->flags = flags;
	p->rep = *rep; /* the lines move into the change */
	*rep = (struct daemon_change_report){ 0 };
	p->waiter = *w;
	p->deadline_ms = loop_now_ms() + p->wait_ms;
	pr_info("change waits for %u command(s) in flight (at most %llu ms)",
		busy, (unsigned long long)p->wait_ms);
	daemon_pending_set_state(p, DAEMON_PENDING_WAITING, 0);
	return -EINPROGRESS;
}

void daemon_pending_cancel(struct daemon_pending *p, const char *why)
{
	if (p->state != DAEMON_PENDING_WAITING)
		return;
	daemon_report_add(&p->rep, "change not applied: %s", why);
	daemon_pending_set_state(p, DAEMON_PENDING_IDLE, -ECANCELED);
}

enum daemon_pending_state daemon_pending_state(const struct daemon_pending *p)
{
	return p->state;
}

int daemon_pending_create(struct loop *loop,
			  const struct daemon_pending_ops *ops, void *ctx,
			  uint64_t wait_ms, uint64_t poll_ms,
			  struct daemon_pending **out)
{
	struct daemon_pending *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->state = DAEMON_PENDING_IDLE;
	p->loop = loop;
	p->ops = ops;
	p->ctx = ctx;
	p->wait_ms = wait_ms;
	p->poll_ms = poll_ms ? poll_ms : 1;
	*out = p;
	return 0;
}

void daemon_pending_destroy(struct daemon_pending *p)
{
	if (!p)
		return;
	daemon_pending_cancel(p, "the daemon is stopping");
	free(p);
}
