/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Channel internals without a fabric: the forward-only state machine,
 * credit arithmetic (SRP r16a 5.4: a response returns the request's
 * credit plus those withheld) and wait lists.  The sense of
 * transport-level errors is built by the SCSI layer
 * (tests/unit/scsi/test_sense.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srp/srp_int.h"

static void test_state_forward_only(void **state)
{
	struct srp_channel ch;

	memset(&ch, 0, sizeof(ch));
	ch.state = SRP_CH_CONNECTING;
	assert_false(srp_ch_set_state(&ch, SRP_CH_CONNECTING));
	assert_true(srp_ch_set_state(&ch, SRP_CH_LIVE));
	assert_int_equal(ch.state, SRP_CH_LIVE);
	assert_false(srp_ch_set_state(&ch, SRP_CH_CONNECTING));
	assert_int_equal(ch.state, SRP_CH_LIVE);
	/* Skipping ahead is allowed (a channel may die before LIVE). */
	assert_true(srp_ch_set_state(&ch, SRP_CH_DRAINING));
	assert_false(srp_ch_set_state(&ch, SRP_CH_DISCONNECTING));
	assert_false(srp_ch_set_state(&ch, SRP_CH_LIVE));
	assert_true(srp_ch_set_state(&ch, SRP_CH_RELEASED));
	assert_false(srp_ch_set_state(&ch, SRP_CH_RELEASED));
	assert_int_equal(ch.state, SRP_CH_RELEASED);
}

static void test_credit_deltas(void **state)
{
	struct srp_channel ch;
	struct srp_req r;

	memset(&ch, 0, sizeof(ch));
	memset(&r, 0, sizeof(r));
	ch.req_lim = 4;
	ch.outstanding = 3;
	/* A normal response returns its own credit. */
	assert_int_equal(srp_channel_take_credits(&ch, &r), 1);
	assert_int_equal(ch.outstanding, 2);
	/* Two aborted tasks ended silently: their credits ride along. */
	ch.withheld = 2;
	ch.outstanding = 2;
	assert_int_equal(srp_channel_take_credits(&ch, &r), 3);
	assert_int_equal(ch.withheld, 0);
	assert_int_equal(ch.outstanding, 1);
	/* A request sent without a credit returns none of its own. */
	r.no_credit = true;
	assert_int_equal(srp_channel_take_credits(&ch, &r), 0);
	assert_int_equal(ch.outstanding, 1);
	ch.withheld = 1;
	assert_int_equal(srp_channel_take_credits(&ch, &r), 1);
}

static void test_wait_lists(void **state)
{
	struct srp_req r[3];
	struct srp_req *head = NULL, *tail = NULL;

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++)
		srp_channel_wait(&head, &tail, &r[i]);
	assert_ptr_equal(head, &r[0]);
	assert_ptr_equal(tail, &r[2]);
	assert_true(r[1].on_wait);
	/* Remove from the middle, then the tail. */
	srp_channel_unwait(&head, &tail, &r[1]);
	assert_false(r[1].on_wait);
	assert_ptr_equal(head->next_wait, &r[2]);
	srp_channel_unwait(&head, &tail, &r[2]);
	assert_ptr_equal(tail, &r[0]);
	assert_null(r[0].next_wait);
	srp_channel_unwait(&head, &tail, &r[0]);
	assert_null(head);
	assert_null(tail);
	/* FIFO order is kept when re-queued. */
	srp_channel_wait(&head, &tail, &r[2]);
	srp_channel_wait(&head, &tail, &r[0]);
	assert_ptr_equal(head, &r[2]);
	assert_ptr_equal(head->next_wait, &r[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_forward_only),
		cmocka_unit_test(test_credit_deltas),
		cmocka_unit_test(test_wait_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
