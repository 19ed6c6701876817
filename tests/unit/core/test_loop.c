/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Event loop: fd watchers, timers, cross-thread messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop.h"

struct fd_ctx {
	struct loop *l;
	int fd;
	int calls;
	bool remove_self;
};

static void on_fd(void *arg, uint32_t events)
{
	struct fd_ctx *c = arg;
	uint64_t v;

	assert_true(events & EPOLLIN);
	assert_int_equal(read(c->fd, &v, sizeof(v)), sizeof(v));
	c->calls++;
	if (c->remove_self)
		assert_int_equal(loop_del_fd(c->l, c->fd), 0);
}

static void test_fd_watch(void **state)
{
	struct loop *l;
	struct fd_ctx c = { 0 };
	uint64_t one = 1;

	assert_int_equal(loop_create(&l), 0);
	c.l = l;
	c.fd = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(loop_add_fd(l, c.fd, EPOLLIN, on_fd, &c), 0);
	assert_int_equal(loop_add_fd(l, c.fd, EPOLLIN, on_fd, &c), -EEXIST);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(write(c.fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(c.calls, 1);
	/* A callback may remove its own watcher. */
	c.remove_self = true;
	assert_int_equal(write(c.fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(c.calls, 2);
	assert_int_equal(write(c.fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(c.calls, 2);
	assert_int_equal(loop_del_fd(l, c.fd), -ENOENT);
	assert_int_equal(loop_mod_fd(l, c.fd, EPOLLIN), -ENOENT);
	assert_int_equal(loop_add_fd(l, -1, EPOLLIN, on_fd, &c), -EINVAL);
	close(c.fd);
	loop_destroy(l);
}

struct round_ctx {
	struct loop *l;
	int fd;
	uint64_t first, second;
};

static void on_round(void *arg, uint32_t events)
{
	struct round_ctx *c = arg;
	uint64_t v;

	assert_int_equal(read(c->fd, &v, sizeof(v)), sizeof(v));
	c->first = loop_round_ns(c->l);
	usleep(2000);
	c->second = loop_round_ns(c->l);
}

/* loop_round_ns(): one clock of the round inside it, fresh outside. */
static void test_round_clock(void **state)
{
	struct round_ctx c = { 0 };
	uint64_t one = 1, before, after;

	assert_int_equal(loop_create(&c.l), 0);
	c.fd = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(loop_add_fd(c.l, c.fd, EPOLLIN, on_round, &c), 0);
	before = loop_round_ns(c.l);
	usleep(1000);
	assert_true(loop_round_ns(c.l) >= before + 1000000);
	assert_int_equal(write(c.fd, &one, sizeof(one)), sizeof(one));
	before = loop_now_ns();
	assert_int_equal(loop_run_once(c.l, 1000), 1);
	after = loop_now_ns();
	/* The same reading however much time the callback takes. */
	assert_int_equal(c.first, c.second);
	assert_true(c.first >= before);
	assert_true(after >= c.first + 2000000);
	assert_true(loop_round_ns(c.l) >= after);
	close(c.fd);
	loop_destroy(c.l);
}

struct defer_ctx {
	struct loop *l;
	int fd[2];
	struct loop_defer d, d2;
	int cb_calls, runs, runs2;
	int runs_seen_in_cb; /* d's runs when the last callback ran */
	bool requeue; /* d queues d2 from inside its run */
	bool cancel; /* the callback cancels what it queued */
};

static void on_defer_run(void *arg)
{
	struct defer_ctx *c = arg;

	c->runs++;
	if (c->requeue)
		loop_defer(c->l, &c->d2);
}

static void on_defer_run2(void *arg)
{
	struct defer_ctx *c = arg;

	c->runs2++;
}

static void on_defer_fd(void *arg, uint32_t events)
{
	struct defer_ctx *c = arg;
	uint64_t v;

	c->cb_calls++;
	for (int i = 0; i < 2; i++)
		if (read(c->fd[i], &v, sizeof(v)) < 0)
			assert_int_equal(errno, EAGAIN);
	assert_true(loop_in_round(c->l));
	loop_defer(c->l, &c->d);
	loop_defer(c->l, &c->d);
	if (c->cancel)
		loop_defer_cancel(c->l, &c->d);
	c->runs_seen_in_cb = c->runs;
}

/* loop_defer(): once per round, after its callbacks; now outside one. */
static void test_defer(void **state)
{
	struct defer_ctx c = { 0 };
	uint64_t one = 1;

	assert_int_equal(loop_create(&c.l), 0);
	c.d = (struct loop_defer){ .fn = on_defer_run, .arg = &c };
	c.d2 = (struct loop_defer){ .fn = on_defer_run2, .arg = &c };
	assert_false(loop_in_round(c.l));
	loop_defer(c.l, &c.d); /* outside a round: runs right away */
	assert_int_equal(c.runs, 1);
	for (int i = 0; i < 2; i++) {
		c.fd[i] = eventfd(0, EFD_NONBLOCK);
		assert_int_equal(
			loop_add_fd(c.l, c.fd[i], EPOLLIN, on_defer_fd, &c), 0);
	}
	/* Two callbacks in one round, four loop_defer() calls: one run,
	 * after the second callback; what a run queues runs too. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(write(c.fd[i], &one, sizeof(one)),
				 sizeof(one));
	c.requeue = true;
	assert_int_equal(loop_run_once(c.l, 1000), 2);
	assert_int_equal(c.cb_calls, 2);
	assert_int_equal(c.runs_seen_in_cb, 1);
	assert_int_equal(c.runs, 2);
	assert_int_equal(c.runs2, 1);
	assert_false(c.d.queued || c.d2.queued);
	assert_false(loop_in_round(c.l));
	/* Cancelled before the round ends: not run. */
	c.requeue = false;
	c.cancel = true;
	assert_int_equal(write(c.fd[0], &one, sizeof(one)), sizeof(one));
	assert_int_equal(loop_run_once(c.l, 1000), 1);
	assert_int_equal(c.cb_calls, 3);
	assert_int_equal(c.runs, 2);
	loop_defer_cancel(c.l, &c.d); /* not queued: no-op */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(loop_del_fd(c.l, c.fd[i]), 0);
		close(c.fd[i]);
	}
	loop_destroy(c.l);
}

struct idle_ctx {
	struct loop *l;
	struct loop_idle idle;
	struct loop_defer d;
	int fd;
	int runs, deferred, fd_calls;
	bool in_round;
	uint64_t round_ns; /* loop_round_ns() in the idle round */
};

static void on_idle(void *arg)
{
	struct idle_ctx *c = arg;

	c->runs++;
	c->in_round = loop_in_round(c->l);
	c->round_ns = loop_round_ns(c->l);
	loop_defer(c->l, &c->d); /* runs at the end of the idle round */
	assert_int_equal(c->deferred, 0);
}

static void on_idle_defer(void *arg)
{
	((struct idle_ctx *)arg)->deferred++;
}

static void on_idle_fd(void *arg, uint32_t events)
{
	struct idle_ctx *c = arg;
	uint64_t v;

	assert_int_equal(read(c->fd, &v, sizeof(v)), sizeof(v));
	c->fd_calls++;
}

/*
 * loop_idle_arm(): runs once, as a round, when a sleep of the loop ends
 * without work after idle_ms; work that wakes the loop first keeps it
 * armed; cancel disarms.
 */
static void test_idle(void **state)
{
	struct idle_ctx c = { 0 };
	uint64_t one = 1;

	assert_int_equal(loop_create(&c.l), 0);
	c.idle = (struct loop_idle){ .fn = on_idle, .arg = &c, .idle_ms = 20 };
	c.d = (struct loop_defer){ .fn = on_idle_defer, .arg = &c };
	c.fd = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(loop_add_fd(c.l, c.fd, EPOLLIN, on_idle_fd, &c), 0);
	/* Not armed: a sleep with a timeout of its own runs nothing. */
	assert_int_equal(loop_step(c.l, 30), 0);
	assert_int_equal(c.runs, 0);
	/* Work before the idle time: the work runs, the hook stays armed. */
	loop_idle_arm(c.l, &c.idle);
	loop_idle_arm(c.l, &c.idle); /* armed twice: still once */
	assert_int_equal(write(c.fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(loop_step(c.l, -1), 1);
	assert_int_equal(c.fd_calls, 1);
	assert_int_equal(c.runs, 0);
	assert_true(c.idle.armed);
	/* Nothing else: after idle_ms it runs, in a round, once. */
	assert_int_equal(loop_step(c.l, -1), 0);
	assert_int_equal(c.runs, 1);
	assert_true(c.in_round);
	assert_int_equal(c.deferred, 1);
	assert_false(c.idle.armed);
	assert_false(loop_in_round(c.l));
	/* After it the clock is a fresh read again, not the idle round's. */
	usleep(2000);
	assert_true(loop_round_ns(c.l) > c.round_ns);
	/* A shorter sleep of the caller's own ends first: not run. */
	loop_idle_arm(c.l, &c.idle);
	assert_int_equal(loop_step(c.l, 5), 0);
	assert_int_equal(c.runs, 1);
	/* Cancelled: a sleep runs nothing. */
	loop_idle_cancel(c.l, &c.idle);
	loop_idle_cancel(c.l, &c.idle); /* not armed: no-op */
	assert_int_equal(loop_step(c.l, 30), 0);
	assert_int_equal(c.runs, 1);
	assert_int_equal(loop_del_fd(c.l, c.fd), 0);
	close(c.fd);
	loop_destroy(c.l);
}

struct timer_log {
	int order[8];
	int n;
	struct loop *l;
	struct loop_timer *periodic;
	int periodic_calls;
};

static struct timer_log *g_tlog;

static void on_timer_a(void *arg)
{
	g_tlog->order[g_tlog->n++] = 1;
}

static void on_timer_b(void *arg)
{
	g_tlog->order[g_tlog->n++] = 2;
}

static void on_periodic(void *arg)
{
	struct timer_log *t = arg;

	if (++t->periodic_calls == 3) {
		loop_timer_cancel(t->l, t->periodic);
		loop_stop(t->l);
	}
}

static void test_timers(void **state)
{
	struct timer_log tl = { 0 };
	struct loop_timer *cancelled;
	struct loop *l;
	uint64_t t0;

	g_tlog = &tl;
	assert_int_equal(loop_create(&l), 0);
	tl.l = l;
	/* Fire in due order regardless of insertion order. */
	assert_int_equal(loop_timer_add(l, 30, 0, on_timer_b, NULL, NULL), 0);
	assert_int_equal(loop_timer_add(l, 10, 0, on_timer_a, NULL, NULL), 0);
	assert_int_equal(loop_timer_add(l, 20, 0, on_timer_a, NULL, &cancelled),
			 0);
	loop_timer_cancel(l, cancelled);
	t0 = loop_now_ms();
	while (tl.n < 2 && loop_now_ms() - t0 < 5000)
		assert_true(loop_run_once(l, 100) >= 0);
	assert_int_equal(tl.n, 2);
	assert_int_equal(tl.order[0], 1);
	assert_int_equal(tl.order[1], 2);
	assert_true(loop_now_ms() - t0 >= 29);

	/* Periodic timer runs until cancelled from its own callback. */
	assert_int_equal(
		loop_timer_add(l, 5, 5, on_periodic, &tl, &tl.periodic), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(tl.periodic_calls, 3);
	assert_true(loop_stopping(l));
	/* A pending timer is freed by loop_destroy (ASan checks). */
	assert_int_equal(loop_timer_add(l, 100000, 0, on_timer_a, NULL, NULL),
			 0);
	loop_destroy(l);
}

#define MSG_THREADS 4
#define MSG_PER_THREAD 5000

struct msg_ctx {
	struct loop *l;
	int last_seen[MSG_THREADS];
	int received;
	bool order_ok;
};

struct msg {
	struct msg_ctx *ctx;
	int thread;
	int seq;
};

static void on_msg(void *arg)
{
	struct msg *m = arg;
	struct msg_ctx *c = m->ctx;

	/* Messages from one sender arrive in the order they were sent. */
	if (m->seq != c->last_seen[m->thread] + 1)
		c->order_ok = false;
	c->last_seen[m->thread] = m->seq;
	if (++c->received == MSG_THREADS * MSG_PER_THREAD)
		loop_stop(c->l);
	free(m);
}

struct sender {
	struct msg_ctx *ctx;
	int id;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	for (int i = 0; i < MSG_PER_THREAD; i++) {
		struct msg *m = malloc(sizeof(*m));

		m->ctx = s->ctx;
		m->thread = s->id;
		m->seq = i;
		if (loop_send(s->ctx->l, on_msg, m))
			abort();
	}
	return NULL;
}

static void test_cross_thread_messages(void **state)
{
	struct msg_ctx c = { .order_ok = true };
	struct sender s[MSG_THREADS];
	pthread_t th[MSG_THREADS];

	assert_int_equal(loop_create(&c.l), 0);
	for (int i = 0; i < MSG_THREADS; i++) {
		c.last_seen[i] = -1;
		s[i] = (struct sender){ .ctx = &c, .id = i };
		assert_int_equal(
			pthread_create(&th[i], NULL, sender_main, &s[i]), 0);
	}
	assert_int_equal(loop_run(c.l), 0);
	for (int i = 0; i < MSG_THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(c.received, MSG_THREADS * MSG_PER_THREAD);
	assert_true(c.order_ok);
	loop_destroy(c.l);
}

/*
 * A poller with work items to hand out, one per call: records how the
 * loop calls it.
 */
struct poll_ctx {
	struct loop *l;
	int work; /* items left to find */
	int polls, arms, outside_round;
	struct loop_defer d;
	int deferred_runs;
};

static void on_poll_defer(void *arg)
{
	((struct poll_ctx *)arg)->deferred_runs++;
}

static int fake_poll(void *arg, bool arm)
{
	struct poll_ctx *c = arg;

	c->polls++;
	c->arms += arm;
	c->outside_round += !loop_in_round(c->l);
	if (!c->work)
		return 0;
	c->work--;
	loop_defer(c->l, &c->d); /* runs after the poll, in its round */
	return 1;
}

static struct loop_counters counters(struct loop *l)
{
	struct loop_counters lc;

	loop_counters(l, &lc);
	return lc;
}

/*
 * The poll/sleep decision (src/loop.c loop_step()), proved by counters:
 * inside the busy window the loop polls unarmed and never sleeps, and
 * looks at its fds every LOOP_BUSY_FD_EVERY polls; after the window it
 * arms once and sleeps; an fd that wakes it starts a new window.
 */
static void test_busy_poll(void **state)
{
	struct poll_ctx c = { 0 };
	struct loop_poller p = { fake_poll, &c };
	struct fd_ctx fc = { 0 };
	struct loop_counters lc;
	uint64_t one = 1, end;
	int i;

	assert_int_equal(loop_create(&c.l), 0);
	c.d.fn = on_poll_defer;
	c.d.arg = &c;
	fc.l = c.l;
	fc.fd = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(loop_add_fd(c.l, fc.fd, EPOLLIN, on_fd, &fc), 0);

	/* No poller: every step is a sleep. */
	for (i = 0; i < 3; i++)
		assert_int_equal(loop_step(c.l, 0), 0);
	assert_int_equal(counters(c.l).sleeps, 3);
	assert_int_equal(c.polls, 0);

	/* A window of 60 s, which this test never reaches. */
	loop_set_poller(c.l, &p, 60 * 1000 * 1000);
	c.work = 5;
	assert_int_equal(loop_step(c.l, 0), 1); /* arms first, finds work */
	assert_int_equal(c.arms, 1);
	for (i = 0; i < 200; i++)
		loop_step(c.l, 0);
	lc = counters(c.l);
	assert_int_equal(lc.sleeps, 3); /* not one sleep in the window */
	assert_int_equal(lc.busy_polls, 5);
	assert_int_equal(lc.busy_idle, 196);
	assert_int_equal(c.arms, 1); /* unarmed while polling */
	assert_int_equal(c.deferred_runs, 5);
	assert_int_equal(c.outside_round, 0);
	/* The fds are looked at within LOOP_BUSY_FD_EVERY polls. */
	assert_int_equal(write(fc.fd, &one, sizeof(one)), sizeof(one));
	for (i = 0; i < LOOP_BUSY_FD_EVERY && !fc.calls; i++)
		loop_step(c.l, 0);
	assert_int_equal(fc.calls, 1);
	assert_int_equal(counters(c.l).sleeps, 3);

	/* A 1 ms window: after it, one armed poll and a sleep. */
	loop_set_poller(c.l, &p, 1000);
	c.work = 1;
	c.arms = 0;
	assert_int_equal(loop_step(c.l, 0), 1);
	end = loop_now_ms() + 5000;
	while (counters(c.l).sleeps == 3 && loop_now_ms() < end)
		loop_step(c.l, 0);
	lc = counters(c.l);
	assert_int_equal(lc.sleeps, 4);
	assert_int_equal(c.arms, 2); /* the first poll and the last */
	/* Asleep now: each step arms and sleeps, no unarmed poll. */
	i = c.polls;
	for (int k = 0; k < 10; k++)
		assert_int_equal(loop_step(c.l, 0), 0);
	assert_int_equal(counters(c.l).sleeps, 14);
	assert_int_equal(c.arms, 12);
	assert_int_equal(c.polls, i + 10);
	/* An fd wakes it: polling again, unarmed. */
	assert_int_equal(write(fc.fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(loop_step(c.l, 1000), 1);
	assert_int_equal(fc.calls, 2);
	i = c.arms;
	loop_step(c.l, 0);
	assert_int_equal(c.arms, i);
	assert_int_equal(counters(c.l).sleeps, 15);

	/* Cleared: back to sleeping every step. */
	loop_set_poller(c.l, NULL, 0);
	i = c.polls;
	loop_step(c.l, 0);
	assert_int_equal(c.polls, i);
	assert_int_equal(counters(c.l).sleeps, 16);
	close(fc.fd);
	loop_destroy(c.l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_watch),
		cmocka_unit_test(test_round_clock),
		cmocka_unit_test(test_defer),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_busy_poll),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_cross_thread_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
