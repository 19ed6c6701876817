/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Event loop: one per thread (the main thread and each worker).  epoll for
 * fds, timerfd-backed timers, and an eventfd-backed message queue that is the
 * only way other threads hand work to this loop (messages, not locks:
 * doc/architecture.md "Threads and ownership").  Everything except
 * loop_send() must be called from the thread running the loop.
 */
#ifndef SRPTD_LOOP_H
#define SRPTD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

/* events: EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP as reported by epoll. */
typedef void (*loop_fd_cb)(void *arg, uint32_t events);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_msg_fn)(void *arg);

int loop_create(struct loop **out);
/* Frees the loop; runs no pending messages; watched fds are not closed. */
void loop_destroy(struct loop *l);

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
		void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
int loop_del_fd(struct loop *l, int fd);

/*
 * One-shot (interval_ms == 0) or periodic timer, first firing after
 * delay_ms.  A one-shot timer is freed after its callback; cancel frees a
 * timer that has not fired (or a periodic one).
 */
int loop_timer_add(struct loop *l, uint64_t delay_ms, uint64_t interval_ms,
		   loop_timer_cb cb, void *arg, struct loop_timer **out);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/*
 * Work deferred to the end of the current round: a user that produces
 * many small requests during one wake-up (posts to a device, submissions
 * to a kernel ring) queues its flush once and hands them over together
 * after the last callback of the round.  Embedded in its user; fn runs
 * once per loop_defer() call of a round however many were made.
 */
struct loop_defer {
	void (*fn)(void *arg);
	void *arg;
	struct loop_defer *next;
	bool queued;
};

/*
 * Run d->fn(d->arg) on l's thread after the callbacks of the current
 * round; outside a round (called from no callback of l), right now.
 */
void loop_defer(struct loop *l, struct loop_defer *d);
/* Take d off the round's list if queued (its owner goes away). */
void loop_defer_cancel(struct loop *l, struct loop_defer *d);
/* True while a callback of l runs (a round is being dispatched). */
bool loop_in_round(const struct loop *l);

/*
 * Work for when the loop has nothing else to do: armed with
 * loop_idle_arm(), fn(arg) runs once, as a round of its own, when the
 * loop has then slept idle_ms without an fd, timer or message waking it
 * (a sleep cut short by other work starts the wait again).  No system
 * call and no wake-up while the loop stays busy: the wait is the timeout
 * of the loop's epoll_wait.  For work that may be put off as long as
 * something else wakes the loop anyway (src/fabric/verbs/cq.c: lazy send
 * completions).  Embedded in its user.
 */
struct loop_idle {
	void (*fn)(void *arg);
	void *arg;
	unsigned int idle_ms;
	struct loop_idle *next;
	bool armed;
};

void loop_idle_arm(struct loop *l, struct loop_idle *i);
/* Disarm i if armed (its owner goes away). */
void loop_idle_cancel(struct loop *l, struct loop_idle *i);

/*
 * Busy polling (srptd.conf(5) busy_poll_us, doc/performance.md "Busy
 * polling").  With a poller set, loop_run() keeps calling poll(arg,
 * false) -- a look at the completion queues without a system call --
 * for busy_us after the last work it found, looking at the watched fds
 * (timers, messages, backend events) without waiting only every
 * LOOP_BUSY_FD_EVERY polls.  When the window ends it calls poll(arg,
 * true): arm every source so that new work wakes the loop, and poll once
 * more to catch what came in before the arm; if that finds nothing the
 * loop sleeps in epoll_wait until an fd is ready, and polls again after.
 * So a busy worker makes no wait or completion-event system call per
 * I/O and an idle one costs no CPU.
 */
struct loop_poller {
	/*
	 * Handle the work that is there now, as a callback of a round
	 * (loop_defer() and loop_round_ns() work as in fd callbacks).
	 * arm: leave every source armed to wake the loop.  Returns the
	 * work items handled, 0 when there were none.
	 */
	int (*poll)(void *arg, bool arm);
	void *arg;
};

#define LOOP_BUSY_FD_EVERY 16

/*
 * Set (p non-NULL, busy_us > 0) or clear the loop's poller; on its
 * thread or before the loop runs.  p is copied.
 */
void loop_set_poller(struct loop *l, const struct loop_poller *p,
		     unsigned int busy_us);

/*
 * What loop_run() did, for statistics (doc/statistics.md "Worker loop"):
 * any thread; each counter whole, the set possibly a round behind.
 */
struct loop_counters {
	uint64_t sleeps; /* waits that could block (epoll_wait, timeout -1) */
	uint64_t busy_polls; /* poller calls that found work */
	uint64_t busy_idle; /* poller calls that found none */
};
void loop_counters(const struct loop *l, struct loop_counters *out);

/* Thread-safe: run fn(arg) on the loop's thread.  -ENOMEM only. */
int loop_send(struct loop *l, loop_msg_fn fn, void *arg);

/*
 * Run one round: wait up to timeout_ms (-1 forever, 0 poll) and dispatch.
 * Returns the number of events dispatched or -errno.
 */
int loop_run_once(struct loop *l, int timeout_ms);
/*
 * One step of loop_run(): without a poller, or when its busy window is
 * over and it found nothing armed, loop_run_once(l, sleep_ms) (a sleep,
 * counted); inside the window one poll round, and every
 * LOOP_BUSY_FD_EVERY of them also loop_run_once(l, 0).  Returns what
 * loop_run_once() or the poller returned, or -errno.
 */
int loop_step(struct loop *l, int sleep_ms);
/* Run until loop_stop(); returns 0. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
bool loop_stopping(const struct loop *l);

/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);
/* Monotonic nanoseconds: one clock for every thread (CLOCK_MONOTONIC). */
uint64_t loop_now_ns(void);

/*
 * The round's clock: the first member of struct loop (loop.c), so that
 * loop_round_ns() below is inline.  Read only through loop_round_ns().
 */
struct loop_clock {
	/*
	 * round_ns while a callback of the loop runs, 0 otherwise: the one
	 * field the inline loop_round_ns() tests, so that it makes one
	 * compare, not two (doc/performance.md "Host loopback guard").
	 */
	uint64_t now_ns;
	uint64_t round_ns; /* loop_now_ns() when this round woke up; 0 = not
			    * read yet (a poll round reads it on demand) */
	bool dispatching; /* a callback of the loop runs */
};

/* loop_round_ns() when the round has not read the clock or is over. */
uint64_t loop_round_ns_read(struct loop *l);

/*
 * loop_now_ns() read once when the current round woke up, for callbacks
 * that time many events of one round (doc/performance.md "Clock reads");
 * outside a round (no callback of l is running) a fresh loop_now_ns().
 * Inline: every IU and every response asks (the arrival stamp and the
 * latency), and a call each cost more than the two loads
 * (doc/performance.md "Host loopback guard").
 */
static inline uint64_t loop_round_ns(struct loop *l)
{
	/* C11 6.7.2.1: a struct's address is its first member's. */
	const struct loop_clock *c = (const struct loop_clock *)(void *)l;

	if (c->now_ns)
		return c->now_ns;
	return loop_round_ns_read(l);
}

#endif
