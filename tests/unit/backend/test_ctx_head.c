/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The context head every engine shares (bs_internal.h): eventfd and done
 * queue creation, cleanup after a failed creation, the shared
 * ctx_event_fd op, and the completion delivery of ctx_poll() (max, the
 * re-kick that keeps the fd readable, callbacks that queue more).  The
 * engines' own behaviour through these is in test_engines.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util.h"
#include "backend/bs_internal.h"

/* A context of a made-up engine, laid out as the real ones. */
struct srptd_backend_ctx {
	struct bs_ctx_head head;
	int other;
};
BS_CTX_HEAD_FIRST(struct srptd_backend_ctx);

struct tio {
	struct srptd_io io;
	struct bs_ctx_head *h;
	int res; /* what the callback got */
	unsigned int calls;
	unsigned int seq; /* order of the callback among all of them */
	unsigned int chain; /* requeue itself this many more times */
};

static unsigned int tio_seq;

static void tio_complete(struct srptd_io *io, int res)
{
	struct tio *t = container_of(io, struct tio, io);

	t->res = res;
	t->calls++;
	t->seq = ++tio_seq;
	if (t->chain) {
		/* Like a submission from a callback that completes at once. */
		t->chain--;
		t->h->inflight++;
		bs_doneq_push(&t->h->done, io, res - 1);
	}
}

static void tio_push(struct bs_ctx_head *h, struct tio *t, int res)
{
	memset(t, 0, sizeof(*t));
	t->io.complete = tio_complete;
	t->h = h;
	h->inflight++;
	bs_doneq_push(&h->done, &t->io, res);
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* The lowest fd number a new file would get. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static void test_init_fini(void **state)
{
	struct bs_ctx_head h;
	int efd, fl;

	memset(&h, 0xa5, sizeof(h)); /* init must not rely on a zeroed head */
	assert_int_equal(bs_ctx_head_init(&h, 4), 0);
	efd = h.efd;
	assert_true(efd >= 0);
	assert_int_equal(h.depth, 4);
	assert_int_equal(h.inflight, 0);
	assert_int_equal(h.done.mask, 3); /* a ring of 4 entries */
	assert_int_equal(h.done.count, 0);
	fl = fcntl(efd, F_GETFL);
	assert_true(fl >= 0 && (fl & O_NONBLOCK));
	fl = fcntl(efd, F_GETFD);
	assert_true(fl >= 0 && (fl & FD_CLOEXEC));
	assert_false(fd_readable(efd)); /* counter starts at 0 */

	bs_ctx_head_fini(&h);
	assert_int_equal(h.efd, -1);
	assert_null(h.done.ent);
	assert_int_equal(fcntl(efd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	bs_ctx_head_fini(&h); /* twice: nothing closed or freed again */
}

/*
 * With no fd left for the eventfd, init fails with the errno and leaves
 * nothing behind: no fd, the done queue freed (LeakSanitizer checks the
 * memory in the sanitizer build), and fini a no-op.
 */
static void test_init_fails_cleanly(void **state)
{
	struct rlimit old, low;
	struct bs_ctx_head h;
	int lowest = lowest_free_fd(), ret;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	ret = bs_ctx_head_init(&h, 8);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);

	assert_int_equal(ret, -EMFILE);
	assert_int_equal(h.efd, -1);
	assert_null(h.done.ent);
	bs_ctx_head_fini(&h);
	assert_int_equal(lowest_free_fd(), lowest);
}

static void test_event_fd_op(void **state)
{
	struct srptd_backend_ctx ctx = { .other = 7 };

	assert_int_equal(bs_ctx_head_init(&ctx.head, 1), 0);
	assert_int_equal(bs_ctx_event_fd(&ctx), ctx.head.efd);
	assert_ptr_equal(bs_ctx_head(&ctx), &ctx.head);
	bs_ctx_head_fini(&ctx.head);
}

/*
 * poll_done(max) runs at most max callbacks in queue order with their
 * results, and leaves the fd readable while entries remain, quiet after.
 */
static void test_poll_done_max(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct bs_ctx_head h;
	struct tio t[3];
	unsigned int i;

	assert_int_equal(bs_ctx_head_init(&h, 4), 0);
	tio_seq = 0;
	for (i = 0; i < 3; i++)
		tio_push(&h, &t[i], -(int)i);
	bs_eventfd_kick(h.efd);

	assert_int_equal(bs_ctx_poll_done(&h, 2, NULL), 2);
	assert_int_equal(h.inflight, 1);
	assert_int_equal(t[0].calls, 1);
	assert_int_equal(t[0].seq, 1);
	assert_int_equal(t[0].res, 0);
	assert_int_equal(t[1].seq, 2);
	assert_int_equal(t[1].res, -1);
	assert_int_equal(t[2].calls, 0);
	assert_true(fd_readable(h.efd));

	/* The sync engine's way: the same with the queue's lock. */
	assert_int_equal(bs_ctx_poll_done(&h, 2, &lock), 1);
	assert_int_equal(h.inflight, 0);
	assert_int_equal(t[2].calls, 1);
	assert_int_equal(t[2].res, -2);
	assert_false(fd_readable(h.efd));

	assert_int_equal(bs_ctx_poll_done(&h, 2, NULL), 0);
	assert_false(fd_readable(h.efd));
	bs_ctx_head_fini(&h);
}

/*
 * Entries a callback queues are run in the same call while max allows,
 * so fewer than max callbacks means the queue is empty.
 */
static void test_run_done_callback_queues(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct bs_ctx_head h;
	struct tio t;

	assert_int_equal(bs_ctx_head_init(&h, 2), 0);
	tio_seq = 0;
	tio_push(&h, &t, 10);
	t.chain = 3;
	assert_int_equal(bs_ctx_run_done(&h, 3, &lock), 3);
	assert_int_equal(t.calls, 3);
	assert_int_equal(t.res, 8);
	assert_int_equal(h.done.count, 1);
	assert_int_equal(h.inflight, 1);

	assert_int_equal(bs_ctx_run_done(&h, 16, NULL), 1);
	assert_int_equal(t.calls, 4);
	assert_int_equal(t.res, 7);
	assert_int_equal(h.done.count, 0);
	assert_int_equal(h.inflight, 0);
	bs_ctx_head_fini(&h);
}

/*
 * A depth that is not a power of two: the ring rounds up to one (its
 * indices wrap with a mask), and completions come out in the order they
 * went in across many wraps.
 */
static void test_doneq_wraps(void **state)
{
	struct srptd_io io[5], *got;
	struct bs_doneq q;
	unsigned int i, round;
	int res;

	assert_int_equal(bs_doneq_init(&q, 5), 0);
	assert_int_equal(q.mask, 7);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 5; i++)
			bs_doneq_push(&q, &io[i], (int)(round * 5 + i));
		for (i = 0; i < 5; i++) {
			assert_true(bs_doneq_pop(&q, &got, &res));
			assert_ptr_equal(got, &io[i]);
			assert_int_equal(res, (int)(round * 5 + i));
		}
		assert_false(bs_doneq_pop(&q, &got, &res));
	}
	bs_doneq_fini(&q);
	assert_int_equal(bs_doneq_init(&q, 0), 0); /* one entry */
	assert_int_equal(q.mask, 0);
	bs_doneq_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_fini),
		cmocka_unit_test(test_init_fails_cleanly),
		cmocka_unit_test(test_event_fd_op),
		cmocka_unit_test(test_poll_done_max),
		cmocka_unit_test(test_run_done_callback_queues),
		cmocka_unit_test(test_doneq_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
