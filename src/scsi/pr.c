/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Reservations: SPC-2 RESERVE/RELEASE(6)/(10) and SPC-4 persistent
 * reservations (PERSISTENT RESERVE IN/OUT, 6.15/6.16, model 5.9).  State
 * lives in the LU under lu->lock (see struct scsi_lu for why a mutex).
 * Registrations are keyed by the I_T nexus identity (initiator + target
 * port ids) so they survive a relogin.  With a store (scsi_lu_params.
 * pr_store) a REGISTER with APTPL = 1 makes the whole state persist
 * across a daemon restart (SPC-4 5.14.5): it is saved before the command
 * that changed it completes.  Without one, PTPL_C = 0 and APTPL = 1 is
 * rejected.  An LU that other hosts export too either refuses every
 * reservation command (SCSI_PR_REFUSED) or keeps the state in a store
 * those hosts share (SCSI_PR_SHARED): see doc/scsi-commands.md,
 * "Reservations on a device shared with another host".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scsi/scsi_int.h"
#include "util.h"

static bool pr_type_valid(uint8_t type)
{
	return type == SCSI_PR_TYPE_WE || type == SCSI_PR_TYPE_EA ||
	       type == SCSI_PR_TYPE_WERO || type == SCSI_PR_TYPE_EARO ||
	       type == SCSI_PR_TYPE_WEAR || type == SCSI_PR_TYPE_EAAR;
}

static bool pr_type_all_reg(uint8_t type)
{
	return type == SCSI_PR_TYPE_WEAR || type == SCSI_PR_TYPE_EAAR;
}

static bool pr_type_reg_only(uint8_t type)
{
	return type == SCSI_PR_TYPE_WERO || type == SCSI_PR_TYPE_EARO;
}

/*
 * SPC-4 5.9.1 table 64 / SBC-3 4.17 table 13, for an I_T nexus that does
 * not hold the reservation: bit 0 = conflict when not registered, bit 1 =
 * conflict when registered.  Indexed by [enum scsi_prc][type].
 */
#define NR 1 /* conflicts for a non-registered nexus */
#define RG 2 /* conflicts for a registered nexus */
static const uint8_t pr_conflict_tbl[SCSI_PRC_COUNT][9] = {
	[SCSI_PRC_ALLOWED] = { 0 },
	[SCSI_PRC_READ] = {
		[SCSI_PR_TYPE_WE] = 0,
		[SCSI_PR_TYPE_EA] = NR | RG,
		[SCSI_PR_TYPE_WERO] = 0,
		[SCSI_PR_TYPE_EARO] = NR,
		[SCSI_PR_TYPE_WEAR] = 0,
		[SCSI_PR_TYPE_EAAR] = NR,
	},
	[SCSI_PRC_WRITE] = {
		[SCSI_PR_TYPE_WE] = NR | RG,
		[SCSI_PR_TYPE_EA] = NR | RG,
		[SCSI_PR_TYPE_WERO] = NR,
		[SCSI_PR_TYPE_EARO] = NR,
		[SCSI_PR_TYPE_WEAR] = NR,
		[SCSI_PR_TYPE_EAAR] = NR,
	},
	/* SPC-4 table 64: MODE SENSE, REPORT SUPPORTED OPERATION CODES. */
	[SCSI_PRC_INFO] = {
		[SCSI_PR_TYPE_EA] = NR,
		[SCSI_PR_TYPE_EARO] = NR,
		[SCSI_PR_TYPE_EAAR] = NR,
	},
};

static int pr_find(struct scsi_lu *lu, const struct scsi_itn *itn)
{
	unsigned int i;

	for (i = 0; i < SCSI_PR_MAX_REGS; i++)
		if (lu->pr.regs[i].used &&
		    scsi_itn_same_nexus(lu->pr.regs[i].i_id,
					lu->pr.regs[i].t_id, itn))
			return i;
	return -1;
}

/* SPC-4 5.9.10: all registrants hold an all-registrants reservation. */
static bool pr_is_holder(struct scsi_lu *lu, int idx)
{
	if (!lu->pr.reserved || idx < 0)
		return false;
	return pr_type_all_reg(lu->pr.type) || idx == lu->pr.holder;
}

static void pr_update_active(struct scsi_lu *lu)
{
	atomic_store_explicit(&lu->res_active, lu->res2_held || lu->pr.reserved,
			      memory_order_release);
}

/* Queue a UA on every nexus of registration r (lu->lock held). */
static void pr_ua_nexus(struct scsi_lu *lu, const struct scsi_pr_reg *r,
			uint16_t asc_ascq)
{
	struct scsi_list *n;

	if (lu->pr_trial)
		return;
	for (n = lu->nexuses.next; n != &lu->nexuses; n = n->next) {
		struct scsi_view_ent *ve =
			container_of(n, struct scsi_view_ent, lu_node);

		if (scsi_itn_same_nexus(r->i_id, r->t_id, ve->itn))
			scsi_ua_push_locked(ve, asc_ascq);
	}
}

static void pr_ua_reg(struct scsi_lu *lu, int idx, uint16_t asc_ascq)
{
	pr_ua_nexus(lu, &lu->pr.regs[idx], asc_ascq);
}

/*
 * Registrant idx was preempted: REGISTRATIONS PREEMPTED on its nexuses
 * and, for PREEMPT AND ABORT, their tasks aborted by the transport
 * (SPC-4 5.9.11.5).  Then the registration goes (lu->lock held).
 */
static void pr_preempt_reg(struct scsi_lu *lu, int idx, bool abort)
{
	struct scsi_pr_reg *r = &lu->pr.regs[idx];
	struct scsi_list *n;

	for (n = lu->nexuses.next; n != &lu->nexuses && !lu->pr_trial;
	     n = n->next) {
		struct scsi_view_ent *ve =
			container_of(n, struct scsi_view_ent, lu_node);

		if (!scsi_itn_same_nexus(r->i_id, r->t_id, ve->itn))
			continue;
		scsi_ua_push_locked(ve, SCSI_ASC_REGISTRATIONS_PREEMPTED);
		if (abort) {
			struct scsi_abort_hook *h =
				atomic_load(&ve->itn->abort_hook);

			if (h)
				h->cb(h->arg, ve->lun);
		}
	}
	r->used = false;
}

/* UA on every registrant except self. */
static void pr_ua_others(struct scsi_lu *lu, int self, uint16_t asc_ascq)
{
	int i;

	for (i = 0; i < SCSI_PR_MAX_REGS; i++)
		if (lu->pr.regs[i].used && i != self)
			pr_ua_reg(lu, i, asc_ascq);
}

bool scsi_pr_conflict_lu(struct scsi_lu *lu, const struct scsi_itn *itn,
			 uint8_t prc, bool res2_allowed)
{
	bool conflict = false;
	int idx;

	pthread_mutex_lock(&lu->lock);
	/* SPC-2 reservation held through another nexus. */
	if (lu->res2_held &&
	    !scsi_itn_same_nexus(lu->res2_i_id, lu->res2_t_id, itn) &&
	    !res2_allowed)
		conflict = true;
	if (!conflict && lu->pr.reserved) {
		idx = pr_find(lu, itn);
		if (!pr_is_holder(lu, idx)) {
			uint8_t bits = pr_conflict_tbl[prc][lu->pr.type];

			conflict = bits & (idx < 0 ? NR : RG);
		}
	}
	pthread_mutex_unlock(&lu->lock);
	return conflict;
}

/*
 * A shared LU without a shared store (SCSI_PR_REFUSED): this process
 * would keep reservations that the other host's initiators never see, so
 * a RESERVE through one host would not stop writes through the other and
 * a PREEMPT would not remove the other host's holder.  Rather than such
 * wrong answers, the commands are unsupported on this LU: ILLEGAL
 * REQUEST, INVALID COMMAND OPERATION CODE (05/20/00, SPC-4's answer to
 * an operation code a logical unit does not implement), checked at
 * parse before any data-out moves, and REPORT
 * SUPPORTED OPERATION CODES says "not supported" for them (SPC-4 6.35),
 * so both ways an initiator can probe give the same answer.  Cluster
 * software (sg_persist, fence_scsi, Windows cluster validation) reports
 * 05/20/00 as "persistent reservations not supported" and stops, where
 * INVALID FIELD IN CDB or a RESERVATION CONFLICT would read as a broken
 * initiator or a fencing event.
 */
bool scsi_pr_op_hidden(const struct scsi_lu *lu, const struct scsi_opdesc *op)
{
	if (!(op->flags & SCSI_OPF_RESV))
		return false;
	if (lu->pr_mode == SCSI_PR_REFUSED)
		return true;
	/*
	 * With a shared store (SCSI_PR_SHARED) only persistent
	 * reservations are shared: an SPC-2 RESERVE(6)/(10) would still
	 * be held by this process alone, so those two and their RELEASE
	 * are refused the same way.
	 */
	return lu->pr_mode == SCSI_PR_SHARED &&
	       (op->exec == spc_reserve || op->exec == spc_release);
}

bool scsi_pr_refused(struct scsi_lu *lu, const struct scsi_opdesc *op)
{
	if (!scsi_pr_op_hidden(lu, op))
		return false;
	if (!atomic_exchange(&lu->pr_refusal_logged, true))
		pr_log(LOG_WARNING, LOG_C_SCSI,
		       "device %s: %s refused (INVALID COMMAND OPERATION "
		       "CODE): the device is shared with another host and "
		       "%s; logged only this once",
		       lu->bdev->name ? lu->bdev->name : "?", op->name,
		       lu->pr_mode == SCSI_PR_SHARED ?
			       "only persistent reservations are shared "
			       "with it, RESERVE/RELEASE(6)/(10) are refused" :
			       "its engine keeps no reservation state both "
			       "hosts see; every reservation command of this "
			       "device is refused");
	return true;
}

bool scsi_pr_conflict(struct scsi_task *t, struct scsi_cmd *c)
{
	return scsi_pr_conflict_lu(c->lu, t->itn, c->op->prc,
				   c->op->flags & SCSI_OPF_RES2_ALLOWED);
}

void scsi_res2_release_locked(struct scsi_lu *lu)
{
	lu->res2_held = false;
	pr_update_active(lu);
}

/* ---- RESERVE / RELEASE (6)/(10), SPC-2 7.21/7.17 ---- */

static bool pr_any_registration(struct scsi_lu *lu)
{
	unsigned int i;

	for (i = 0; i < SCSI_PR_MAX_REGS; i++)
		if (lu->pr.regs[i].used)
			return true;
	return false;
}

enum scsi_sr spc_reserve(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_lu *lu = c->lu;
	enum scsi_sr sr = SCSI_SR_OK;

	pthread_mutex_lock(&lu->lock);
	/* SPC-3 5.6.3 (CRH = 0): any registration makes RESERVE conflict. */
	if (lu->pr.reserved || pr_any_registration(lu) ||
	    (lu->res2_held &&
	     !scsi_itn_same_nexus(lu->res2_i_id, lu->res2_t_id, t->itn))) {
		sr = SCSI_SR_RESERVATION_CONFLICT;
	} else {
		lu->res2_held = true;
		memcpy(lu->res2_i_id, t->itn->i_id, 16);
		memcpy(lu->res2_t_id, t->itn->t_id, 16);
		pr_update_active(lu);
	}
	pthread_mutex_unlock(&lu->lock);
	return sr;
}

enum scsi_sr spc_release(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_lu *lu = c->lu;
	enum scsi_sr sr = SCSI_SR_OK;

	pthread_mutex_lock(&lu->lock);
	/*
	 * SPC-3 5.6.3 without CRH (REPORT CAPABILITIES says CRH = 0): any
	 * registration makes every RELEASE conflict.  Otherwise releasing
	 * someone else's (or no) reservation is a no-op.
	 */
	if (pr_any_registration(lu))
		sr = SCSI_SR_RESERVATION_CONFLICT;
	else if (lu->res2_held &&
		 scsi_itn_same_nexus(lu->res2_i_id, lu->res2_t_id, t->itn))
		scsi_res2_release_locked(lu);
	pthread_mutex_unlock(&lu->lock);
	return sr;
}

/* ---- State shared with another host (SCSI_PR_SHARED) ---- */

static bool pr_has_nexus(const struct scsi_pr_state *st,
			 const struct scsi_pr_reg *r)
{
	for (unsigned int i = 0; i < SCSI_PR_MAX_REGS; i++)
		if (st->regs[i].used &&
		    !memcmp(st->regs[i].i_id, r->i_id, 16) &&
		    !memcmp(st->regs[i].t_id, r->t_id, 16))
			return true;
	return false;
}

/*
 * Make st (read from the shared store) the LU's copy (lu->lock held).
 * What another host did shows here as a difference from the copy, and
 * this process's nexuses learn it as the unit attentions SPC-4 5.9.11
 * gives for it: a registration that went was preempted (or cleared),
 * REGISTRATIONS PREEMPTED; a registrants-only or all-registrants
 * reservation that ended or changed type while the nexus stays
 * registered, RESERVATIONS RELEASED.  Nexuses of other hosts match no
 * entry of lu->nexuses, so only ours get them.  Changes this process
 * made are already in the copy and raise nothing.
 */
static void pr_adopt_locked(struct scsi_lu *lu, const struct scsi_pr_state *st)
{
	bool released = lu->pr.reserved &&
			(pr_type_reg_only(lu->pr.type) ||
			 pr_type_all_reg(lu->pr.type)) &&
			(!st->reserved || st->type != lu->pr.type);

	for (unsigned int i = 0; i < SCSI_PR_MAX_REGS; i++) {
		const struct scsi_pr_reg *r = &lu->pr.regs[i];

		if (!r->used)
			continue;
		if (!pr_has_nexus(st, r))
			pr_ua_nexus(lu, r, SCSI_ASC_REGISTRATIONS_PREEMPTED);
		else if (released)
			pr_ua_nexus(lu, r, SCSI_ASC_RESERVATIONS_RELEASED);
	}
	lu->pr = *st;
	pr_update_active(lu);
}

/* Read the shared state into the LU's copy (lu->lock held). */
static int pr_sync_locked(struct scsi_lu *lu, uint64_t *ver)
{
	struct scsi_pr_state *st = malloc(sizeof(*st));
	int ret;

	if (!st)
		return -ENOMEM;
	ret = lu->pr_shared->ops->read(lu->pr_shared->ctx, st, ver);
	if (!ret && (st->reserved &&
		     (st->holder < 0 || st->holder >= SCSI_PR_MAX_REGS ||
		      !st->regs[st->holder].used)))
		ret = -EBADMSG;
	if (!ret)
		pr_adopt_locked(lu, st);
	else
		pr_log(LOG_ERR, LOG_C_SCSI,
		       "device %s: cannot read the shared persistent "
		       "reservations: %s",
		       lu->bdev->name ? lu->bdev->name : "?",
		       ret == -EBADMSG ? "invalid state" : strerror(-ret));
	free(st);
	return ret;
}

int scsi_pr_refresh(struct scsi_lu *lu)
{
	uint64_t ver;
	int ret;

	if (!lu->pr_shared)
		return 0;
	pthread_mutex_lock(&lu->lock);
	ret = pr_sync_locked(lu, &ver);
	pthread_mutex_unlock(&lu->lock);
	return ret;
}

/* ---- PERSISTENT RESERVE IN (SPC-4 6.15) ---- */

enum scsi_sr spc_pr_in(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_lu *lu = c->lu;
	uint8_t *b = t->worker->scratch, *p = b + 8;
	unsigned int i;
	uint64_t ver;

	pthread_mutex_lock(&lu->lock);
	/* A shared LU answers from the store's state, not the copy. */
	if (lu->pr_shared && pr_sync_locked(lu, &ver)) {
		pthread_mutex_unlock(&lu->lock);
		return SCSI_SR_INTERNAL_FAILURE;
	}
	memset(b, 0, 8);
	put_be32(b, lu->pr.generation);
	switch (c->op->sa_code) {
	case SCSI_PRIN_READ_KEYS:
		for (i = 0; i < SCSI_PR_MAX_REGS; i++) {
			if (!lu->pr.regs[i].used)
				continue;
			put_be64(p, lu->pr.regs[i].key);
			p += 8;
		}
		break;
	case SCSI_PRIN_READ_RESERVATION:
		if (!lu->pr.reserved)
			break;
		memset(p, 0, 16);
		/* All-registrants reservations report key 0 (6.15.3.3). */
		if (!pr_type_all_reg(lu->pr.type))
			put_be64(p, lu->pr.regs[lu->pr.holder].key);
		p[13] = lu->pr.type; /* scope 0 (LU) */
		p += 16;
		break;
	case SCSI_PRIN_REPORT_CAPABILITIES:
		memset(b, 0, 8);
		put_be16(b, 8);
		/*
		 * No CRH/SIP_C/ATP_C; PTPL_C with a store (SPC-4 6.15.4):
		 * a shared store keeps the state whatever APTPL says.
		 */
		b[2] = lu->pr_store || lu->pr_shared ? 0x01 : 0;
		b[3] = 0x80 | (lu->pr.aptpl ? 0x01 : 0); /* TMV, PTPL_A */
		b[4] = 0x80 | 0x40 | 0x20 | 0x08 |
		       0x02; /* WEAR EARO WERO EA WE */
		b[5] = 0x01; /* EAAR */
		p = b + 8;
		pthread_mutex_unlock(&lu->lock);
		c->flags |= SCSI_CMD_F_EMU_DATA;
		c->data_len = p - b;
		return SCSI_SR_OK;
	case SCSI_PRIN_READ_FULL_STATUS:
		for (i = 0; i < SCSI_PR_MAX_REGS; i++) {
			struct scsi_pr_reg *r = &lu->pr.regs[i];

			if (!r->used)
				continue;
			memset(p, 0, 48);
			put_be64(p, r->key);
			if (pr_is_holder(lu, i)) {
				p[12] = 0x01; /* R_HOLDER */
				p[13] = lu->pr.type;
			}
			put_be16(p + 18, r->rtpi);
			put_be32(p + 20, SCSI_SRP_TRANSPORT_ID_LEN);
			/* SRP TransportID (SPC-4 7.6.4.8). */
			p[24] = SCSI_PROTOCOL_ID_SRP;
			memcpy(p + 24 + 8, r->i_id, 16);
			p += 48;
		}
		break;
	}
	put_be32(b + 4, p - b - 8);
	pthread_mutex_unlock(&lu->lock);
	c->flags |= SCSI_CMD_F_EMU_DATA;
	c->data_len = p - b;
	return SCSI_SR_OK;
}

/* ---- PERSISTENT RESERVE OUT (SPC-4 6.16, 5.9.7-5.9.11) ---- */

/* Drop registration idx and what it held (lu->lock held). */
static void pr_unregister(struct scsi_lu *lu, int idx)
{
	int i;

	lu->pr.regs[idx].used = false;
	if (!lu->pr.reserved)
		return;
	if (pr_type_all_reg(lu->pr.type)) {
		/* 5.9.11.2: ends with the last registrant. */
		for (i = 0; i < SCSI_PR_MAX_REGS; i++)
			if (lu->pr.regs[i].used)
				break;
		if (i == SCSI_PR_MAX_REGS)
			lu->pr.reserved = false;
		else if (lu->pr.holder == idx)
			lu->pr.holder = i;
	} else if (lu->pr.holder == idx) {
		lu->pr.reserved = false;
		/* 5.9.11.2: registrants-only types tell the others. */
		if (pr_type_reg_only(lu->pr.type))
			pr_ua_others(lu, idx, SCSI_ASC_RESERVATIONS_RELEASED);
	}
}

/* Remove registrations with key (not self); how many. */
static int pr_remove_key(struct scsi_lu *lu, int self, uint64_t key, bool abort)
{
	int i, n = 0;

	for (i = 0; i < SCSI_PR_MAX_REGS; i++) {
		if (!lu->pr.regs[i].used || i == self ||
		    lu->pr.regs[i].key != key)
			continue;
		pr_preempt_reg(lu, i, abort);
		n++;
	}
	return n;
}

static enum scsi_sr pr_register(struct scsi_task *t, struct scsi_lu *lu,
				int idx, bool ignore, uint64_t key,
				uint64_t sa_key)
{
	unsigned int i;

	if (idx < 0) {
		if (!ignore && key)
			return SCSI_SR_RESERVATION_CONFLICT;
		if (!sa_key)
			return SCSI_SR_OK;
		for (i = 0; i < SCSI_PR_MAX_REGS; i++)
			if (!lu->pr.regs[i].used)
				break;
		if (i == SCSI_PR_MAX_REGS)
			return SCSI_SR_INSUFFICIENT_REG_RESOURCES;
		lu->pr.regs[i].used = true;
		memcpy(lu->pr.regs[i].i_id, t->itn->i_id, 16);
		memcpy(lu->pr.regs[i].t_id, t->itn->t_id, 16);
		lu->pr.regs[i].rtpi = t->itn->rtpi;
		lu->pr.regs[i].key = sa_key;
	} else {
		if (!ignore && key != lu->pr.regs[idx].key)
			return SCSI_SR_RESERVATION_CONFLICT;
		if (sa_key)
			lu->pr.regs[idx].key = sa_key;
		else
			pr_unregister(lu, idx);
	}
	lu->pr.generation++;
	return SCSI_SR_OK;
}

static enum scsi_sr pr_preempt(struct scsi_task *t, struct scsi_cmd *c,
			       struct scsi_lu *lu, int idx, uint8_t type,
			       uint64_t sa_key, bool abort)
{
	int i;

	if (!lu->pr.reserved) {
		/* 5.9.11.4.2: only registrations are removed. */
		if (!sa_key)
			return scsi_invalid_param(c, 8, -1);
		if (!pr_remove_key(lu, idx, sa_key, abort))
			return SCSI_SR_RESERVATION_CONFLICT;
	} else if (pr_type_all_reg(lu->pr.type)) {
		/* 5.9.11.4.4: key 0 removes every other registrant. */
		if (!sa_key) {
			for (i = 0; i < SCSI_PR_MAX_REGS; i++) {
				if (!lu->pr.regs[i].used || i == idx)
					continue;
				pr_preempt_reg(lu, i, abort);
			}
			lu->pr.type = type;
			lu->pr.holder = idx;
		} else if (!pr_remove_key(lu, idx, sa_key, abort)) {
			return SCSI_SR_RESERVATION_CONFLICT;
		}
	} else if (sa_key == lu->pr.regs[lu->pr.holder].key) {
		/* 5.9.11.4.3: take over the reservation. */
		uint8_t old = lu->pr.type;

		pr_remove_key(lu, idx, sa_key, abort);
		lu->pr.holder = idx;
		lu->pr.type = type;
		if (old != type)
			pr_ua_others(lu, idx, SCSI_ASC_RESERVATIONS_RELEASED);
	} else {
		if (!sa_key)
			return scsi_invalid_param(c, 8, -1);
		if (!pr_remove_key(lu, idx, sa_key, abort))
			return SCSI_SR_RESERVATION_CONFLICT;
	}
	lu->pr.generation++;
	return SCSI_SR_OK;
}

/*
 * Save the state a PR OUT just made (APTPL on) or erase the saved one
 * (APTPL turned off), before the command completes: GOOD promises the
 * state survives a restart.  If that fails the change is undone and the
 * command fails with 04/44/00; unit attentions it already queued stay.
 *
 * The store runs here, on the I/O worker executing the command, with
 * lu->lock held: that keeps the saved order equal to the order the
 * commands took effect and lets a failure roll back before any other
 * nexus saw the state.  Moving it off the worker (a message to the main
 * thread and a deferred completion) would need a way to suspend a PR
 * command that the SCSI layer has only for backend I/O.  The cost is
 * bounded: one file of at most 16 KiB, written, fsynced and renamed
 * (pr_store.c), only for PR OUT commands while APTPL is on, which are
 * rare (cluster membership changes); meanwhile only commands of this LU
 * that take lu->lock wait (doc/scsi-commands.md).
 */
static const char *pr_lu_name(const struct scsi_lu *lu)
{
	return lu->bdev->name ? lu->bdev->name : "?";
}

static enum scsi_sr pr_save_locked(struct scsi_lu *lu,
				   const struct scsi_pr_state *old)
{
	int ret;

	ret = lu->pr_store->ops->save(lu->pr_store->ctx, lu->pr_key,
				      lu->pr.aptpl ? &lu->pr : NULL);
	if (!ret)
		return SCSI_SR_OK;
	pr_log(LOG_ERR, LOG_C_SCSI,
	       "device %s (NAA %s): cannot save persistent reservations "
	       "(APTPL): %s; PR OUT failed, state unchanged",
	       pr_lu_name(lu), lu->pr_key, strerror(-ret));
	lu->pr = *old;
	return SCSI_SR_INTERNAL_FAILURE;
}

void scsi_pr_load(struct scsi_lu *lu)
{
	struct scsi_pr_state *st;
	uint64_t ver;
	int ret;

	/* Nobody else knows the LU yet; a failure is logged, and every
	 * PR command reads the store again. */
	if (lu->pr_shared) {
		pr_sync_locked(lu, &ver);
		return;
	}
	if (!lu->pr_store)
		return;
	st = calloc(1, sizeof(*st));
	if (!st) {
		pr_log(LOG_ERR, LOG_C_SCSI,
		       "device %s: no memory to load persistent "
		       "reservations; starting with none",
		       pr_lu_name(lu));
		return;
	}
	ret = lu->pr_store->ops->load(lu->pr_store->ctx, lu->pr_key, st);
	if (!ret) {
		lu->pr = *st;
		pr_update_active(lu);
		pr_log(LOG_INFO, LOG_C_SCSI,
		       "device %s (NAA %s): persistent reservations restored "
		       "(APTPL, generation %u%s)",
		       pr_lu_name(lu), lu->pr_key, st->generation,
		       st->reserved ? ", reserved" : "");
	} else if (ret != -ENOENT) {
		pr_log(LOG_ERR, LOG_C_SCSI,
		       "device %s (NAA %s): saved persistent reservations "
		       "unusable (%s); starting with none",
		       pr_lu_name(lu), lu->pr_key,
		       ret == -EBADMSG ? "corrupt file" : strerror(-ret));
	}
	free(st);
}

/*
 * The service action of a validated PR OUT on the LU's state (lu->lock
 * held); prm is its 24-byte parameter list.
 */
static enum scsi_sr pr_out_apply(struct scsi_task *t, struct scsi_cmd *c,
				 struct scsi_lu *lu, const uint8_t *prm)
{
	uint8_t sa = c->op->sa_code, type = t->cdb[2] & 0x0f;
	uint64_t key = get_be64(prm), sa_key = get_be64(prm + 8);
	enum scsi_sr sr;
	int idx;

	idx = pr_find(lu, t->itn);
	if (sa == SCSI_PROUT_REGISTER || sa == SCSI_PROUT_REGISTER_AND_IGNORE) {
		sr = pr_register(t, lu, idx,
				 sa == SCSI_PROUT_REGISTER_AND_IGNORE, key,
				 sa_key);
		/* 6.16.3: the last valid APTPL bit decides (PTPL_A). */
		if (sr == SCSI_SR_OK)
			lu->pr.aptpl = prm[20] & 0x01;
		return sr;
	}
	/* Every other service action needs this nexus's registered key. */
	if (idx < 0 || lu->pr.regs[idx].key != key)
		return SCSI_SR_RESERVATION_CONFLICT;
	sr = SCSI_SR_OK;
	switch (sa) {
	case SCSI_PROUT_RESERVE:
		if (lu->pr.reserved) {
			if (!pr_is_holder(lu, idx) || lu->pr.type != type)
				sr = SCSI_SR_RESERVATION_CONFLICT;
			break;
		}
		lu->pr.reserved = true;
		lu->pr.type = type;
		lu->pr.holder = idx;
		break;
	case SCSI_PROUT_RELEASE:
		if (!pr_is_holder(lu, idx))
			break; /* 5.9.11.2: not the holder: GOOD, no change */
		if (lu->pr.type != type) {
			sr = SCSI_SR_INVALID_RELEASE;
			break;
		}
		lu->pr.reserved = false;
		if (pr_type_reg_only(type) || pr_type_all_reg(type))
			pr_ua_others(lu, idx, SCSI_ASC_RESERVATIONS_RELEASED);
		break;
	case SCSI_PROUT_CLEAR:
		/* 5.9.11.5: everything goes; others learn it by UA. */
		pr_ua_others(lu, idx, SCSI_ASC_RESERVATIONS_PREEMPTED);
		memset(lu->pr.regs, 0, sizeof(lu->pr.regs));
		lu->pr.reserved = false;
		lu->pr.generation++;
		break;
	case SCSI_PROUT_PREEMPT:
	case SCSI_PROUT_PREEMPT_AND_ABORT:
		/* PREEMPT AND ABORT: see pr_preempt_reg() and abort_cb. */
		sr = pr_preempt(t, c, lu, idx, type, sa_key,
				sa == SCSI_PROUT_PREEMPT_AND_ABORT);
		break;
	default:
		sr = SCSI_SR_INVALID_OPCODE;
		break;
	}
	return sr;
}

/*
 * A PR OUT on a shared LU (lu->lock held): read the store's state, run
 * the command on it as a trial (no unit attention, no abort), and write
 * the result if nobody wrote since the read; if another host did
 * (-ECANCELED), start again from its state, so neither host's update is
 * lost.  Once the store took the state, the command runs again on the
 * state it was computed from, now with its unit attentions and aborts:
 * pr_out_apply() depends only on that state and the command, so it ends
 * in the state written.  A command that fails changes nothing and
 * writes nothing.  The store's failure (or too many collisions) fails
 * the command with 04/44/00 and leaves the copy as read.
 */
#define PR_SHARED_TRIES 16
static enum scsi_sr pr_out_shared(struct scsi_task *t, struct scsi_cmd *c,
				  struct scsi_lu *lu, const uint8_t *prm)
{
	const struct scsi_pr_shared *s = lu->pr_shared;
	struct scsi_pr_state *st = malloc(2 * sizeof(*st)), *next = st + 1;
	enum scsi_sr sr = SCSI_SR_INTERNAL_FAILURE;
	int ret = -ENOMEM, tries;
	uint64_t ver;

	for (tries = 0; st && tries < PR_SHARED_TRIES; tries++) {
		ret = pr_sync_locked(lu, &ver);
		if (ret)
			break;
		*st = lu->pr;
		lu->pr_trial = true;
		sr = pr_out_apply(t, c, lu, prm);
		lu->pr_trial = false;
		*next = lu->pr;
		lu->pr = *st;
		if (sr != SCSI_SR_OK)
			break;
		ret = s->ops->write(s->ctx, next, &ver);
		if (ret == -ECANCELED)
			continue;
		if (!ret)
			sr = pr_out_apply(t, c, lu, prm);
		break;
	}
	if (ret) {
		pr_log(LOG_ERR, LOG_C_SCSI,
		       "device %s: cannot update the shared persistent "
		       "reservations: %s; PR OUT failed",
		       pr_lu_name(lu),
		       ret == -ECANCELED ? "changed by another host on every "
					   "try" :
					   strerror(-ret));
		sr = SCSI_SR_INTERNAL_FAILURE;
	}
	free(st);
	return sr;
}

enum scsi_sr spc_pr_out(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_pr_state old;
	uint8_t sa = c->op->sa_code, scope = t->cdb[2] >> 4;
	uint8_t type = t->cdb[2] & 0x0f, prm[SCSI_PR_OUT_PARAM_LEN];
	struct scsi_lu *lu = c->lu;
	bool reg = sa == SCSI_PROUT_REGISTER ||
		   sa == SCSI_PROUT_REGISTER_AND_IGNORE;
	enum scsi_sr sr;

	/* SPC-4 6.16.3: the basic parameter list is exactly 24 bytes. */
	if (t->xfer_len != SCSI_PR_OUT_PARAM_LEN)
		return SCSI_SR_PARAM_LIST_LENGTH;
	if (scsi_iov_copy_from(t, 0, prm, sizeof(prm)) < sizeof(prm))
		return SCSI_SR_PARAM_LIST_LENGTH;
	if (reg) {
		if (prm[20] & 0x08) /* SPEC_I_PT not supported (SIP_C 0) */
			return scsi_invalid_param(c, 20, 3);
		if (prm[20] & 0x04) /* ALL_TG_PT not supported (ATP_C 0) */
			return scsi_invalid_param(c, 20, 2);
		/* PTPL_C 0 */
		if ((prm[20] & 0x01) && !lu->pr_store && !lu->pr_shared)
			return scsi_invalid_param(c, 20, 0);
	} else if (sa != SCSI_PROUT_CLEAR) {
		if (scope)
			return scsi_invalid_cdb(c, 2, 7);
		if (!pr_type_valid(type))
			return scsi_invalid_cdb(c, 2, 3);
	}

	pthread_mutex_lock(&lu->lock);
	if (lu->pr_shared) {
		sr = pr_out_shared(t, c, lu, prm);
	} else {
		if (lu->pr_store)
			old = lu->pr;
		sr = pr_out_apply(t, c, lu, prm);
		if (sr == SCSI_SR_OK && lu->pr_store &&
		    (old.aptpl || lu->pr.aptpl))
			sr = pr_save_locked(lu, &old);
	}
	pr_update_active(lu);
	pthread_mutex_unlock(&lu->lock);
	return sr;
}
