/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Test SRP initiator over the loopback fabric: builds real IUs (login
 * request in both layouts, SRP_CMD with direct / indirect / external
 * table / immediate data descriptors, SRP_TSK_MGMT, raw IUs), keeps credits
 * like ib_srp, and decodes the SRP_RSPs.  Its data memory is registered
 * with remote read/write so the target's RDMA goes through the loopback's
 * rkey checks.  Used by the end-to-end tests and the loopback benchmark;
 * never by the daemon.
 */
#ifndef SRPTD_SRP_TEST_INITIATOR_H
#define SRPTD_SRP_TEST_INITIATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fabric/fabric.h"

struct loop;
struct srp_ti;

enum srp_ti_state {
	SRP_TI_CONNECTING,
	SRP_TI_LOGGED_IN,
	SRP_TI_REJECTED,
	SRP_TI_DISCONNECTED, /* after a login: connection gone */
};

struct srp_ti_params {
	uint8_t initiator_port_id[16];
	uint8_t target_port_id[16];
	uint32_t it_iu_len; /* req_it_iu_len; default 8260 */
	bool multi; /* SRP_MULTICHAN_MULTI, else SINGLE */
	bool imm; /* request immediate data at offset 68 */
	bool rdma_cm_format; /* 56-byte login layout */
	/* Loopback device to connect through (fabric_loop_add_device()). */
	unsigned int device;
	unsigned int responder_resources; /* default 4 */
	unsigned int slots; /* commands in flight at most; default 256 */
	size_t mem_size; /* registered data memory; default 4 MiB */
	/* false: submit beyond the granted credits (tests) */
	bool enforce_credits;
};

void srp_ti_params_default(struct srp_ti_params *p);

enum srp_ti_desc {
	SRP_TI_DIRECT, /* one direct descriptor */
	SRP_TI_INDIRECT, /* ndesc descriptors, all in the IU */
	SRP_TI_EXTERNAL, /* ndesc descriptors, ndesc_in_iu of them in the IU */
	SRP_TI_IMM, /* immediate data (data-out only) */
};

struct srp_ti_cmd {
	/* In. */
	uint8_t cdb[16];
	uint64_t lun;
	int dir; /* 0 none, 1 write (data-out), 2 read (data-in) */
	enum srp_ti_desc desc;
	unsigned int ndesc, ndesc_in_iu;
	uint32_t mem_off; /* data at srp_ti_mem() + mem_off */
	uint32_t len; /* bytes the descriptors describe */
	void (*cb)(struct srp_ti_cmd *c); /* optional, on the response */
	void *priv;
	/* Out. */
	uint64_t tag;
	bool done;
	uint8_t status;
	uint8_t flags; /* SRP_RSP byte 18 */
	uint32_t data_in_res, data_out_res;
	uint32_t sense_len;
	uint8_t sense[96];
	uint8_t tm_code; /* TSK_MGMT responses */
	uint32_t req_lim_delta;
};

int srp_ti_create(struct fabric *f, struct fabric_cq *cq,
		  const struct srp_ti_params *p, struct srp_ti **out);
/* Free; disconnected (or never connected) first. */
void srp_ti_destroy(struct srp_ti *ti);

enum srp_ti_state srp_ti_state(const struct srp_ti *ti);
uint32_t srp_ti_reject_reason(const struct srp_ti *ti);
/* LOGIN_RSP fields after login. */
uint32_t srp_ti_login_credits(const struct srp_ti *ti);
uint8_t srp_ti_login_flags(const struct srp_ti *ti);
/* Credits available now. */
int32_t srp_ti_credits(const struct srp_ti *ti);
unsigned int srp_ti_inflight(const struct srp_ti *ti);
bool srp_ti_got_t_logout(const struct srp_ti *ti);
uint8_t *srp_ti_mem(struct srp_ti *ti);
/* rkey of srp_ti_mem() (for hand-made descriptors). */
uint32_t srp_ti_mem_rkey(const struct srp_ti *ti);

/* -EAGAIN: no credit or slot; -EINVAL: bad request; 0 sent. */
int srp_ti_submit(struct srp_ti *ti, struct srp_ti_cmd *c);
int srp_ti_tmf(struct srp_ti *ti, struct srp_ti_cmd *c, uint8_t func,
	       uint64_t lun, uint64_t task_tag);
/* Send len raw bytes as an IU (no credit accounting). */
int srp_ti_send_raw(struct srp_ti *ti, const void *iu, uint32_t len);
/*
 * The response with tag that no command of ours was waiting for (a raw
 * IU's; the last four are kept): true and *out filled if it arrived.
 */
bool srp_ti_stray_rsp(const struct srp_ti *ti, uint64_t tag,
		      struct srp_ti_cmd *out);
/* SRP_CRED_REQs received (each answered with an SRP_CRED_RSP). */
unsigned int srp_ti_cred_reqs(const struct srp_ti *ti);
/* Responses that matched no command waiting for one (stale or raw). */
unsigned int srp_ti_strays(const struct srp_ti *ti);
/* The initiator's QP (for the loopback's faults, fabric_loop.h). */
struct fabric_qp *srp_ti_qp(struct srp_ti *ti);
void srp_ti_disconnect(struct srp_ti *ti);

/*
 * Run loop until pred(arg) is true or timeout_ms passes; true if pred
 * became true.
 */
bool srp_ti_run_until(struct loop *loop, bool (*pred)(void *arg), void *arg,
		      int timeout_ms);

#endif
