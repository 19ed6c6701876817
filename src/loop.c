/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Per-thread event loop: epoll + one timerfd + one eventfd message queue.
 *
 * Watchers are kept in an array indexed by fd so loop_mod_fd/loop_del_fd are
 * O(1).  A watcher deleted while its loop is dispatching is only unhooked
 * from epoll and freed after the round, so a callback may remove any
 * watcher (its own included) safely.
 *
 * Cross-thread messages use a lock-free multi-producer stack: producers
 * push with compare-and-swap and write the eventfd; the owning thread takes
 * the whole stack with one exchange and runs it in submission order.
 *
 * Busy polling (loop_set_poller(), loop_step()): between waits the loop
 * calls the poller, and reads the clock only in a round with work and
 * every LOOP_BUSY_FD_EVERY polls, so that a poll that finds nothing costs
 * no system call even where the clock has no vDSO path (doc/performance.md
 * "Busy polling").
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

struct loop_watch {
	int fd;
	uint32_t events;
	loop_fd_cb cb;
	void *arg;
	bool dead;
	struct loop_watch *next_dead;
};

struct loop_timer {
	uint64_t due_ms;
	uint64_t interval_ms;
	loop_timer_cb cb;
	void *arg;
	struct loop_timer *next;
};

struct loop_msg {
	loop_msg_fn fn;
	void *arg;
	struct loop_msg *next;
};

/* Whether the poller is in its busy window. */
enum loop_busy_state {
	LOOP_ARMED, /* window over: arm, then sleep until an fd is ready */
	LOOP_POLLING, /* poll without sleeping until the window ends */
};

struct loop {
	struct loop_clock clock; /* first: loop_round_ns() in loop.h */
	int epfd;
	int timerfd;
	int eventfd;
	struct loop_watch **watch; /* indexed by fd */
	unsigned int nwatch;
	struct loop_watch *dead; /* freed after the dispatch round */
	struct loop_timer *timers; /* sorted by due_ms */
	_Atomic(struct loop_msg *) msgs;
	bool stop;
	struct loop_defer *deferred; /* to run at the end of the round */
	struct loop_idle *idle; /* armed loop_idle entries */
	struct loop_poller poller; /* .poll NULL: none */
	uint64_t busy_ns; /* the busy window after the last work */
	uint64_t busy_last_ns; /* when work was last found */
	unsigned int busy_spins; /* polls since the fds were looked at */
	enum loop_busy_state busy;
	struct loop_counters cnt; /* relaxed stores; loop_counters() */
	/* Internal watchers for timerfd/eventfd use these as cb args. */
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t loop_round_ns_read(struct loop *l)
{
	if (!l->clock.dispatching)
		return loop_now_ns();
	if (!l->clock.round_ns)
		l->clock.round_ns = loop_now_ns();
	l->clock.now_ns = l->clock.round_ns;
	return l->clock.round_ns;
}

static void loop_arm_timerfd(struct loop *l)
{
	struct itimerspec its = { 0 };

	if (l->timers) {
		uint64_t due = l->timers->due_ms;

		/* Absolute CLOCK_MONOTONIC; 0 would disarm, so use 1 ns. */
		its.it_value.tv_sec = due / 1000;
		its.it_value.tv_nsec = (due % 1000) * 1000000;
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void loop_timer_insert(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **pp = &l->timers;

	while (*pp && (*pp)->due_ms <= t->due_ms)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

static void loop_on_timerfd(void *arg, uint32_t events)
{
	struct loop *l = arg;
	uint64_t expirations;
	uint64_t now = loop_now_ms();

	if (read(l->timerfd, &expirations, sizeof(expirations)) < 0) {
		/* EAGAIN: a re-arm raced with the read; timers still run. */
	}
	while (l->timers && l->timers->due_ms <= now) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		if (t->interval_ms) {
			t->due_ms = now + t->interval_ms;
			loop_timer_insert(l, t);
			t->cb(t->arg);
		} else {
			loop_timer_cb cb = t->cb;
			void *targ = t->arg;

			free(t);
			cb(targ);
		}
	}
	loop_arm_timerfd(l);
}

static void loop_run_msgs(struct loop *l)
{
	struct loop_msg *m = atomic_exchange(&l->msgs, NULL);
	struct loop_msg *rev = NULL;

	/* The stack is newest first; reverse for submission order. */
	while (m) {
		struct loop_msg *next = m->next;

		m->next = rev;
		rev = m;
		m = next;
	}
	while (rev) {
		struct loop_msg *next = rev->next;

		rev->fn(rev->arg);
		free(rev);
		rev = next;
	}
}

static void loop_on_eventfd(void *arg, uint32_t events)
{
	struct loop *l = arg;
	uint64_t v;

	if (read(l->eventfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: another read already consumed the count. */
	}
	loop_run_msgs(l);
}

int loop_create(struct loop **out)
{
	struct loop *l;
	int ret;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = l->timerfd = l->eventfd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto err_errno;
	l->timerfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->timerfd < 0)
		goto err_errno;
	l->eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->eventfd < 0)
		goto err_errno;
	atomic_init(&l->msgs, NULL);
	ret = loop_add_fd(l, l->timerfd, EPOLLIN, loop_on_timerfd, l);
	if (ret)
		goto err;
	ret = loop_add_fd(l, l->eventfd, EPOLLIN, loop_on_eventfd, l);
	if (ret)
		goto err;
	*out = l;
	return 0;

err_errno:
	ret = -errno;
err:
	loop_destroy(l);
	return ret;
}

static void loop_free_dead(struct loop *l)
{
	while (l->dead) {
		struct loop_watch *w = l->dead;

		l->dead = w->next_dead;
		free(w);
	}
}

void loop_destroy(struct loop *l)
{
	struct loop_msg *m;

	if (!l)
		return;
	for (unsigned int i = 0; i < l->nwatch; i++)
		free(l->watch[i]);
	free(l->watch);
	loop_free_dead(l);
	while (l->timers) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		free(t);
	}
	m = atomic_exchange(&l->msgs, NULL);
	while (m) {
		struct loop_msg *next = m->next;

		free(m);
		m = next;
	}
	if (l->eventfd >= 0)
		close(l->eventfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
		void *arg)
{
	struct epoll_event ev = { .events = events };
	struct loop_watch *w;

	if (fd < 0 || !cb)
		return -EINVAL;
	if ((unsigned int)fd >= l->nwatch) {
		unsigned int n = MAX((unsigned int)fd + 1, l->nwatch * 2);
		struct loop_watch **nw = realloc(l->watch, n * sizeof(*nw));

		if (!nw)
			return -ENOMEM;
		memset(nw + l->nwatch, 0, (n - l->nwatch) * sizeof(*nw));
		l->watch = nw;
		l->nwatch = n;
	}
	if (l->watch[fd])
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct loop_watch){
		.fd = fd, .events = events, .cb = cb, .arg = arg
	};
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int ret = -errno;

		free(w);
		return ret;
	}
	l->watch[fd] = w;
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	struct loop_watch *w;

	if (fd < 0 || (unsigned int)fd >= l->nwatch || !l->watch[fd])
		return -ENOENT;
	w = l->watch[fd];
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	w->events = events;
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	struct loop_watch *w;

	if (fd < 0 || (unsigned int)fd >= l->nwatch || !l->watch[fd])
		return -ENOENT;
	w = l->watch[fd];
	l->watch[fd] = NULL;
	/* The fd may already be closed by the caller: ignore EBADF. */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->dead = true;
	w->next_dead = l->dead;
	l->dead = w;
	if (!l->clock.dispatching)
		loop_free_dead(l);
	return 0;
}

int loop_timer_add(struct loop *l, uint64_t delay_ms, uint64_t interval_ms,
		   loop_timer_cb cb, void *arg, struct loop_timer **out)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->due_ms = loop_now_ms() + delay_ms;
	t->interval_ms = interval_ms;
	t->cb = cb;
	t->arg = arg;
	loop_timer_insert(l, t);
	loop_arm_timerfd(l);
	if (out)
		*out = t;
	return 0;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **pp = &l->timers;

	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (!*pp)
		return; /* already fired (one-shot) and freed */
	*pp = t->next;
	free(t);
	loop_arm_timerfd(l);
}

int loop_send(struct loop *l, loop_msg_fn fn, void *arg)
{
	struct loop_msg *m = malloc(sizeof(*m));
	uint64_t one = 1;

	if (!m)
		return -ENOMEM;
	m->fn = fn;
	m->arg = arg;
	m->next = atomic_load(&l->msgs);
	while (!atomic_compare_exchange_weak(&l->msgs, &m->next, m))
		;
	if (write(l->eventfd, &one, sizeof(one)) < 0) {
		/* EAGAIN: counter saturated, the loop is woken anyway. */
	}
	return 0;
}

void loop_defer(struct loop *l, struct loop_defer *d)
{
	if (!l->clock.dispatching) {
		d->fn(d->arg);
		return;
	}
	if (d->queued)
		return;
	d->queued = true;
	d->next = l->deferred;
	l->deferred = d;
}

void loop_defer_cancel(struct loop *l, struct loop_defer *d)
{
	struct loop_defer **pp;

	if (!d->queued)
		return;
	for (pp = &l->deferred; *pp && *pp != d; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = d->next;
	d->queued = false;
}

bool loop_in_round(const struct loop *l)
{
	return l->clock.dispatching;
}

/* Still in the round: what a deferred function queues runs too. */
static void loop_run_deferred(struct loop *l)
{
	while (l->deferred) {
		struct loop_defer *d = l->deferred;

		l->deferred = d->next;
		d->queued = false;
		d->fn(d->arg);
	}
}

/*
 * Every kind of round (fds, the busy poller, idle entries) is bracketed
 * alike: its callbacks see round_ns (0: read when one asks,
 * loop_round_ns()), and after its deferred work the clock is a fresh
 * read again outside it (now_ns 0).
 */
static void loop_round_begin(struct loop *l, uint64_t round_ns)
{
	l->clock.round_ns = round_ns;
	l->clock.dispatching = true;
	l->clock.now_ns = round_ns;
}

static void loop_round_end(struct loop *l)
{
	loop_run_deferred(l);
	l->clock.dispatching = false;
	l->clock.now_ns = 0;
	loop_free_dead(l);
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[64];
	int n;

	n = epoll_wait(l->epfd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	/* One clock read per wake-up however many events it brings. */
	loop_round_begin(l, n > 0 ? loop_now_ns() : l->clock.round_ns);
	for (int i = 0; i < n; i++) {
		struct loop_watch *w = evs[i].data.ptr;

		if (w->dead)
			continue;
		w->cb(w->arg, evs[i].events);
	}
	loop_round_end(l);
	return n;
}

void loop_idle_arm(struct loop *l, struct loop_idle *i)
{
	if (i->armed)
		return;
	i->armed = true;
	i->next = l->idle;
	l->idle = i;
}

void loop_idle_cancel(struct loop *l, struct loop_idle *i)
{
	struct loop_idle **pp;

	if (!i->armed)
		return;
	for (pp = &l->idle; *pp && *pp != i; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = i->next;
	i->armed = false;
}

/* The shortest wait of the armed idle entries, or -1 with none. */
static int loop_idle_ms(const struct loop *l)
{
	int ms = -1;

	for (const struct loop_idle *i = l->idle; i; i = i->next)
		if (ms < 0 || i->idle_ms < (unsigned int)ms)
			ms = (int)i->idle_ms;
	return ms;
}

/* Slept waited_ms without work: run the entries due, as one round. */
static void loop_idle_run(struct loop *l, int waited_ms)
{
	struct loop_idle **pp = &l->idle, *due = NULL;

	while (*pp) {
		struct loop_idle *i = *pp;

		if (i->idle_ms > (unsigned int)waited_ms) {
			pp = &i->next;
			continue;
		}
		*pp = i->next;
		i->armed = false;
		i->next = due;
		due = i;
	}
	if (!due)
		return;
	loop_round_begin(l, 0);
	while (due) {
		struct loop_idle *i = due;

		due = i->next;
		i->fn(i->arg);
	}
	loop_round_end(l);
}

static void loop_cnt_inc(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

void loop_counters(const struct loop *l, struct loop_counters *out)
{
	out->sleeps = __atomic_load_n(&l->cnt.sleeps, __ATOMIC_RELAXED);
	out->busy_polls = __atomic_load_n(&l->cnt.busy_polls, __ATOMIC_RELAXED);
	out->busy_idle = __atomic_load_n(&l->cnt.busy_idle, __ATOMIC_RELAXED);
}

void loop_set_poller(struct loop *l, const struct loop_poller *p,
		     unsigned int busy_us)
{
	if (p && p->poll && busy_us) {
		l->poller = *p;
		l->busy_ns = (uint64_t)busy_us * 1000;
	} else {
		l->poller = (struct loop_poller){ 0 };
		l->busy_ns = 0;
	}
	l->busy = LOOP_ARMED;
	l->busy_spins = 0;
}

/* One call of the poller as a round of its own: defers run after it. */
static int loop_poll_round(struct loop *l, bool arm)
{
	int n;

	loop_round_begin(l, 0);
	n = l->poller.poll(l->poller.arg, arm);
	loop_round_end(l);
	if (n > 0) {
		l->busy_last_ns = l->clock.round_ns ? l->clock.round_ns :
						      loop_now_ns();
		loop_cnt_inc(&l->cnt.busy_polls);
	} else {
		loop_cnt_inc(&l->cnt.busy_idle);
	}
	return n;
}

/* The one place the busy state changes. */
static void loop_busy_set(struct loop *l, enum loop_busy_state st, uint64_t now)
{
	if (st == LOOP_POLLING)
		l->busy_last_ns = now;
	l->busy_spins = 0;
	l->busy = st;
}

static int loop_sleep(struct loop *l, int sleep_ms)
{
	int idle_ms = loop_idle_ms(l), n;

	loop_cnt_inc(&l->cnt.sleeps);
	if (idle_ms < 0 || (sleep_ms >= 0 && sleep_ms <= idle_ms))
		return loop_run_once(l, sleep_ms);
	n = loop_run_once(l, idle_ms);
	if (n == 0)
		loop_idle_run(l, idle_ms);
	return n;
}

int loop_step(struct loop *l, int sleep_ms)
{
	int n;

	if (!l->poller.poll)
		return loop_sleep(l, sleep_ms);
	if (l->busy == LOOP_POLLING) {
		n = loop_poll_round(l, false);
		if (++l->busy_spins < LOOP_BUSY_FD_EVERY)
			return n;
		/* Timers, messages, backend events: look, do not wait. */
		l->busy_spins = 0;
		n = loop_run_once(l, 0);
		if (n > 0)
			l->busy_last_ns = l->clock.round_ns;
		if (n < 0 || loop_now_ns() - l->busy_last_ns < l->busy_ns)
			return n;
		loop_busy_set(l, LOOP_ARMED, 0);
	}
	/* Arm, and catch what arrived before the arm took effect. */
	n = loop_poll_round(l, true);
	if (n > 0) {
		loop_busy_set(l, LOOP_POLLING, l->busy_last_ns);
		return n;
	}
	n = loop_sleep(l, sleep_ms);
	/* Woken by an fd: more is likely to follow, poll for it. */
	if (n > 0)
		loop_busy_set(l, LOOP_POLLING, l->clock.round_ns);
	return n;
}

int loop_run(struct loop *l)
{
	int ret;

	while (!l->stop) {
		ret = loop_step(l, -1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

bool loop_stopping(const struct loop *l)
{
	return l->stop;
}
