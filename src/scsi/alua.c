/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Asymmetric logical unit access (SPC-4 5.16): the access state of this
 * process's target port group, the commands each state allows, REPORT
 * TARGET PORT GROUPS (SPC-4 6.37) with this group and the partner groups
 * the configuration names, and state changes on reload.  Two srptd
 * processes presenting one LU are one SCSI target device to the
 * initiator, each a target port group (doc/ha.md).  Transitions are
 * implicit only (INQUIRY TPGS = 01b): SET TARGET PORT GROUPS is not
 * supported, the configuration sets the states.
 */
#include <string.h>

#include "scsi/scsi_int.h"
#include "util.h"

void scsi_alua_init(struct scsi_lu *lu, const struct scsi_lu_params *p)
{
	if (p && p->alua) {
		lu->alua = *p->alua;
	} else {
		memset(&lu->alua, 0, sizeof(lu->alua));
		lu->alua.own.id = p && p->tpg_id ? p->tpg_id : 1;
		lu->alua.own.state = SCSI_ALUA_STATE_AO;
	}
	atomic_init(&lu->alua_state, lu->alua.own.state);
}

/*
 * Commands every state allows (SPC-4 5.16.2.4.4 standby and 5.16.2.4.5
 * unavailable list them): INQUIRY, MODE SENSE/SELECT, REPORT LUNS,
 * REPORT TARGET PORT GROUPS, REQUEST SENSE.  The lists also name LOG
 * SENSE/SELECT, the diagnostics, SET TARGET PORT GROUPS and the echo
 * buffer modes of READ/WRITE BUFFER, which srptd does not implement (they
 * fail as unsupported before this check).
 */
static bool scsi_alua_always(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case SCSI_OP_INQUIRY:
	case SCSI_OP_MODE_SENSE_6:
	case SCSI_OP_MODE_SENSE_10:
	case SCSI_OP_MODE_SELECT_6:
	case SCSI_OP_MODE_SELECT_10:
	case SCSI_OP_REPORT_LUNS:
	case SCSI_OP_REQUEST_SENSE:
		return true;
	case SCSI_OP_MAINTENANCE_IN:
		return (cdb[1] & 0x1f) == SCSI_MI_REPORT_TARGET_PGS;
	default:
		return false;
	}
}

/* Standby or unavailable (scsi_alua_check() tests the active states). */
enum scsi_sr scsi_alua_check_inactive(unsigned int st, const uint8_t *cdb)
{
	if (st <= SCSI_ALUA_STATE_ANO || scsi_alua_always(cdb))
		return SCSI_SR_OK;
	if (st == SCSI_ALUA_STATE_STANDBY) {
		/* Standby also keeps reservations working (5.16.2.4.4). */
		if (cdb[0] == SCSI_OP_PERSISTENT_RESERVE_IN ||
		    cdb[0] == SCSI_OP_PERSISTENT_RESERVE_OUT)
			return SCSI_SR_OK;
		return SCSI_SR_ALUA_STANDBY;
	}
	return SCSI_SR_ALUA_UNAVAILABLE;
}

static bool scsi_alua_equal(const struct scsi_alua *a,
			    const struct scsi_alua *b)
{
	if (a->own.id != b->own.id || a->own.state != b->own.state ||
	    a->n_peers != b->n_peers)
		return false;
	for (unsigned int i = 0; i < a->n_peers; i++) {
		const struct scsi_alua_group *x = &a->peers[i],
					     *y = &b->peers[i];

		if (x->id != y->id || x->state != y->state ||
		    x->n_ports != y->n_ports ||
		    memcmp(x->ports, y->ports,
			   x->n_ports * sizeof(x->ports[0])))
			return false;
	}
	return true;
}

int scsi_lu_set_alua(struct scsi_lu *lu, const struct scsi_alua *a)
{
	bool same;

	pthread_mutex_lock(&lu->lock);
	same = scsi_alua_equal(&lu->alua, a);
	if (!same) {
		lu->alua = *a;
		atomic_store_explicit(&lu->alua_state, a->own.state,
				      memory_order_relaxed);
	}
	pthread_mutex_unlock(&lu->lock);
	if (same)
		return 0;
	/*
	 * SPC-4 5.16.2.7: after an implicit change every I_T nexus but the
	 * one that caused it (none here) gets ASYMMETRIC ACCESS STATE CHANGED.
	 */
	scsi_lu_queue_ua_all(lu, SCSI_ASC_ASYMMETRIC_ACCESS_CHANGED);
	return 1;
}

/* One target port group descriptor (SPC-4 6.37 table 283) at p. */
static uint8_t *scsi_rtpg_desc(uint8_t *p, const struct scsi_alua_group *g,
			       const uint16_t *ports, unsigned int n_ports)
{
	memset(p, 0, 8 + 4 * n_ports);
	p[0] = (uint8_t)g->state; /* PREF 0: no group is preferred */
	p[1] = SCSI_ALUA_SUP_AO | SCSI_ALUA_SUP_AN | SCSI_ALUA_SUP_S |
	       SCSI_ALUA_SUP_U;
	put_be16(p + 2, g->id);
	p[7] = (uint8_t)n_ports;
	for (unsigned int i = 0; i < n_ports; i++)
		put_be16(p + 8 + 4 * i + 2, ports[i]);
	return p + 8 + 4 * n_ports;
}

/*
 * REPORT TARGET PORT GROUPS: this process's group first, with the nexus's
 * own relative port, then every partner group of the configuration.
 */
enum scsi_sr spc_report_tpgs(struct scsi_task *t, struct scsi_cmd *c)
{
	uint8_t fmt = t->cdb[1] >> 5, *b = t->worker->scratch, *p;
	struct scsi_alua a;
	uint16_t own_port = t->itn->rtpi;
	uint32_t hdr;

	if (fmt > 1)
		return scsi_invalid_cdb(c, 1, 7);
	pthread_mutex_lock(&c->lu->lock);
	a = c->lu->alua;
	pthread_mutex_unlock(&c->lu->lock);
	hdr = fmt ? 8 : 4;
	memset(b, 0, hdr);
	if (fmt)
		b[4] = 0x10; /* extended header, implicit transition 0 s */
	p = scsi_rtpg_desc(b + hdr, &a.own, &own_port, 1);
	for (unsigned int i = 0; i < a.n_peers; i++)
		p = scsi_rtpg_desc(p, &a.peers[i], a.peers[i].ports,
				   a.peers[i].n_ports);
	put_be32(b, (uint32_t)(p - b) - 4);
	/* Emulated data-in in the scratch, as spc.c's handlers return it. */
	c->flags |= SCSI_CMD_F_EMU_DATA;
	c->data_len = (uint32_t)(p - b);
	return SCSI_SR_OK;
}
