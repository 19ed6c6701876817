/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The change that waits for commands in flight (src/daemon_pending.c) on
 * a real loop, with the daemon's side played by the test (a count of
 * commands in flight it sets, a commit that records what it got): applied
 * at once when nothing is in flight or when forced; parked while commands
 * are in flight with the loop serving other events, then applied when
 * they are done or refused at the deadline; a second change refused while
 * one waits; the stop cancelling a waiting change; every outcome reaching
 * the waiter exactly once with the whole report.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "daemon_change.h"
#include "daemon_pending.h"
#include "loop.h"

#define WAIT_MS 1000
#define POLL_MS 5

struct fake {
	struct loop *loop;
	struct daemon_pending *p;
	unsigned int busy; /* commands in flight the daemon would see */
	unsigned int commits, idles;
	unsigned int last_flags;
	/* What the waiter got. */
	unsigned int done_calls;
	int done_ret;
	bool done_refused;
	char done_text[1024]; /* the report's lines, joined by "|" */
	unsigned int ticks; /* another timer of the loop */
};

static unsigned int fake_busy(void *ctx, const struct config *next,
			      struct daemon_change_report *rep)
{
	struct fake *f = ctx;

	assert_non_null(next);
	if (f->busy)
		daemon_report_add(rep, "target t: %u command(s) in flight",
				  f->busy);
	return f->busy;
}

static void fake_commit(void *ctx, struct config *next, unsigned int flags,
			struct daemon_change_report *rep)
{
	struct fake *f = ctx;

	f->commits++;
	f->last_flags = flags;
	daemon_report_add(rep, "generation applied");
	config_free(next);
}

static void fake_idle(void *ctx)
{
	((struct fake *)ctx)->idles++;
}

static const struct daemon_pending_ops fake_ops = {
	.busy = fake_busy,
	.commit = fake_commit,
	.idle = fake_idle,
};

static void fake_done(void *arg, int ret, struct daemon_change_report *rep)
{
	struct fake *f = arg;
	size_t off = 0;

	f->done_calls++;
	f->done_ret = ret;
	f->done_refused = rep->refused;
	f->done_text[0] = 0;
	for (unsigned int i = 0; i < rep->n && off < sizeof(f->done_text); i++)
		off += snprintf(f->done_text + off, sizeof(f->done_text) - off,
				"%s|", rep->lines[i]);
}

static const struct daemon_change_waiter *waiter(struct fake *f)
{
	static struct daemon_change_waiter w;

	w = (struct daemon_change_waiter){ fake_done, f };
	return &w;
}

static struct config *cfg(void)
{
	struct config *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	return c;
}

static void on_tick(void *arg)
{
	((struct fake *)arg)->ticks++;
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(loop_create(&f->loop), 0);
	assert_int_equal(daemon_pending_create(f->loop, &fake_ops, f, WAIT_MS,
					       POLL_MS, &f->p),
			 0);
	/* Stands for the control socket, CM events, the watchdog. */
	assert_int_equal(loop_timer_add(f->loop, 1, 1, on_tick, f, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	daemon_pending_destroy(f->p);
	loop_destroy(f->loop);
	free(f);
	return 0;
}

/* Run the loop for ms milliseconds (or until the waiter was called). */
static void run(struct fake *f, uint64_t ms, bool until_done)
{
	uint64_t end = loop_now_ms() + ms;

	while (loop_now_ms() < end && !(until_done && f->done_calls))
		loop_run_once(f->loop, 1);
}

/* Nothing in flight: applied at once, no waiter call. */
static void test_now(void **state)
{
	struct fake *f = *state;
	struct daemon_change_report rep = { 0 };

	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep, waiter(f)),
			 0);
	assert_int_equal(f->commits, 1);
	assert_int_equal(rep.n, 1);
	assert_false(rep.refused);
	daemon_report_free(&rep);
	run(f, 20, false);
	assert_int_equal(f->done_calls, 0);
	assert_int_equal(daemon_pending_state(f->p), DAEMON_PENDING_IDLE);
}

/* Commands in flight finish within the wait: applied then. */
static void test_drained(void **state)
{
	struct fake *f = *state;
	struct daemon_change_report rep = { 0 };
	unsigned int ticks;

	f->busy = 3;
	daemon_report_add(&rep, "found before");
	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep, waiter(f)),
			 -EINPROGRESS);
	/* The lines moved into the waiting change. */
	assert_int_equal(rep.n, 0);
	assert_int_equal(daemon_pending_state(f->p), DAEMON_PENDING_WAITING);
	/* The loop goes on serving other events meanwhile. */
	ticks = f->ticks;
	for (int i = 0; i < 500 && f->ticks < ticks + 3; i++)
		loop_run_once(f->loop, 1);
	assert_true(f->ticks >= ticks + 3);
	/* Nothing applied yet. */
	assert_int_equal(daemon_pending_state(f->p), DAEMON_PENDING_WAITING);
	assert_int_equal(f->commits, 0);
	assert_int_equal(f->done_calls, 0);
	f->busy = 0;
	run(f, 1000, true);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_ret, 0);
	assert_false(f->done_refused);
	assert_string_equal(f->done_text, "found before|generation applied|");
	assert_int_equal(f->commits, 1);
	assert_int_equal(f->idles, 1);
	assert_int_equal(daemon_pending_state(f->p), DAEMON_PENDING_IDLE);
	run(f, 20, false);
	assert_int_equal(f->done_calls, 1);
}

/* They do not finish: refused at the deadline, nothing applied. */
static void test_timeout(void **state)
{
	struct fake *f = *state;
	struct daemon_change_report rep = { 0 };
	uint64_t t0 = loop_now_ms();

	f->busy = 2;
	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep, waiter(f)),
			 -EINPROGRESS);
	run(f, 5000, true);
	assert_true(loop_now_ms() - t0 >= WAIT_MS);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_ret, -EBUSY);
	assert_true(f->done_refused);
	assert_non_null(
		strstr(f->done_text, "target t: 2 command(s) in flight|"));
	assert_non_null(strstr(f->done_text, "did not finish within 1000 ms"));
	assert_int_equal(f->commits, 0);
	assert_int_equal(daemon_pending_state(f->p), DAEMON_PENDING_IDLE);
}

/* Forced: applied at once whatever is in flight (the commit aborts). */
static void test_force(void **state)
{
	struct fake *f = *state;
	struct daemon_change_report rep = { 0 };

	f->busy = 5;
	assert_int_equal(daemon_pending_submit(f->p, cfg(), DAEMON_APPLY_FORCE,
					       &rep, waiter(f)),
			 0);
	assert_int_equal(f->commits, 1);
	assert_int_equal(f->last_flags, DAEMON_APPLY_FORCE);
	daemon_report_free(&rep);
	assert_int_equal(f->done_calls, 0);
}

/* A second change while one waits is refused; the first goes on. */
static void test_second(void **state)
{
	struct fake *f = *state;
	struct daemon_change_report rep = { 0 }, rep2 = { 0 };

	f->busy = 1;
	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep, waiter(f)),
			 -EINPROGRESS);
	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep2,
					       waiter(f)),
			 -EAGAIN);
	assert_true(rep2.refused);
	assert_int_equal(rep2.n, 1);
	assert_non_null(strstr(rep2.lines[0], "another change is waiting"));
	daemon_report_free(&rep2);
	/* Even forced: one change at a time. */
	assert_int_equal(daemon_pending_submit(f->p, cfg(), DAEMON_APPLY_FORCE,
					       &rep2, waiter(f)),
			 -EAGAIN);
	daemon_report_free(&rep2);
	f->busy = 0;
	run(f, 1000, true);
	assert_int_equal(f->done_ret, 0);
	assert_int_equal(f->commits, 1);
	/* And the next one is welcome. */
	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep2, NULL), 0);
	daemon_report_free(&rep2);
	assert_int_equal(f->commits, 2);
}

/* No waiter to tell later: refused at once. */
static void test_no_waiter(void **state)
{
	struct fake *f = *state;
	struct daemon_change_report rep = { 0 };

	f->busy = 1;
	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep, NULL),
			 -EBUSY);
	assert_true(rep.refused);
	daemon_report_free(&rep);
	assert_int_equal(daemon_pending_state(f->p), DAEMON_PENDING_IDLE);
}

/* The daemon stops: the waiting change is refused now, told once. */
static void test_stop(void **state)
{
	struct fake *f = *state;
	struct daemon_change_report rep = { 0 };

	f->busy = 1;
	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep, waiter(f)),
			 -EINPROGRESS);
	run(f, 20, false);
	daemon_pending_cancel(f->p, "the daemon is stopping");
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_ret, -ECANCELED);
	assert_non_null(strstr(f->done_text, "the daemon is stopping"));
	assert_int_equal(f->commits, 0);
	/* Its timer is gone: nothing more happens. */
	f->busy = 0;
	run(f, 50, false);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->commits, 0);
	/* Destroying with a change waiting cancels it too (teardown). */
	f->busy = 1;
	assert_int_equal(daemon_pending_submit(f->p, cfg(), 0, &rep, waiter(f)),
			 -EINPROGRESS);
	daemon_pending_destroy(f->p);
	f->p = NULL;
	assert_int_equal(f->done_calls, 2);
	assert_int_equal(f->done_ret, -ECANCELED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_waiter, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
