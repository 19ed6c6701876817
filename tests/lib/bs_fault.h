/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Backend fault injection for tests: a wrapper engine around any engine's
 * ops table (include/srptd/backend.h) that fails, shortens, delays or
 * holds the I/Os matching a rule, per operation type and byte range, and
 * passes every other I/O to the wrapped engine unchanged.
 *
 * Faults and what an engine would have done to report them:
 *   EIO, ENOSPC  completes with -EIO / -ENOSPC, nothing transferred
 *   SHORT        the first half (whole blocks) is transferred by the
 *                wrapped engine, then the I/O fails with -EIO: an engine
 *                retries a short transfer itself and reports an error only
 *                when it cannot finish it (backend.h, complete)
 *   SLOW         goes to the wrapped engine after delay_ms
 *   STUCK        stays in the wrapper until bs_fault_release()
 *
 * One wrapped engine per process at a time and one thread (the rules are
 * plain globals): tests only, never part of an installed program.
 */
#ifndef SRPTD_BS_FAULT_H
#define SRPTD_BS_FAULT_H

#include <stdint.h>

#include "srptd/backend.h"

enum bs_fault_kind {
	BS_FAULT_EIO,
	BS_FAULT_ENOSPC,
	BS_FAULT_SHORT,
	BS_FAULT_SLOW,
	BS_FAULT_STUCK,
};

#define BS_FAULT_OP(op) (1u << (op)) /* rule.ops bit of an srptd_io_op */

struct bs_fault_rule {
	uint32_t ops; /* BS_FAULT_OP() mask */
	/* Byte range [first, last]: an I/O touching it matches. */
	uint64_t first, last;
	enum bs_fault_kind kind;
	unsigned int delay_ms; /* SLOW */
	unsigned int count; /* faults to inject; 0 = every matching I/O */
};

/* Route bdev (opened by any engine) through the wrapper; 0 or -EBUSY
 * when another engine is wrapped already. */
int bs_fault_wrap(struct srptd_bdev *bdev);
/* Add a rule (the first matching rule applies); -ENOSPC beyond 8. */
int bs_fault_add(const struct bs_fault_rule *r);
/* Forget the rules, the counters and the wrapped engine. */
void bs_fault_reset(void);
/* Send every STUCK I/O on to the wrapped engine; how many there were. */
unsigned int bs_fault_release(void);

struct bs_fault_stats {
	unsigned int injected[BS_FAULT_STUCK + 1]; /* per kind */
	unsigned int stuck_now; /* STUCK I/Os not yet released */
	unsigned int in_flight; /* accepted, not completed, all contexts */
};
void bs_fault_get_stats(struct bs_fault_stats *s);

#endif
