/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP login: parse the login request from CM private data (two layouts),
 * decide accept/reject against the target parameters, build LOGIN_RSP /
 * LOGIN_REJ.  Pure functions; the engine does the lookups (nexus, ACL,
 * resources) and feeds their results in.
 *
 * Engine flow for one CM connect request:
 *   1. srp_login_parse(private_data, len, layout, &req)
 *        failure -> srp_login_decide_parse_error() -> reject
 *   2. look up the I_T nexus (req.initiator_port_id, req.target_port_id),
 *      count its channels, check the ACL (struct srp_initiator_id)
 *   3. srp_login_decide(&req, &params, &state, &d)
 *   4. accept: if d.terminate_existing disconnect the nexus's other
 *      channels; create the channel (resource failure ->
 *      srp_login_set_reject(&d, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES));
 *   5. srp_login_build_rsp(&d, ...) or srp_login_build_rej(&d, ...) as CM
 *      REP / REJ (consumer defined) private data.
 */
#ifndef SRPTD_SRP_LOGIN_H
#define SRPTD_SRP_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srptd/srp_proto.h"

/* Which CM delivered the login, which decides the private data layout. */
enum srp_login_layout {
	SRP_LOGIN_IB_CM, /* AF_IB / IB CM: 64-byte struct srp_login_req */
	SRP_LOGIN_RDMA_CM, /* IP port space: 56-byte srp_login_req_rdma */
};

/* A login request in host order, whatever the layout. */
struct srp_login_req_info {
	enum srp_login_layout layout;
	uint64_t tag;
	uint32_t req_it_iu_len;
	uint16_t req_buf_fmt;
	uint8_t req_flags; /* raw */
	uint8_t mc_action; /* req_flags & SRP_REQ_FLAG_MULTICHAN_MASK */
	bool imm_requested; /* SRP_IMMED_REQUESTED */
	uint16_t imm_data_offset;
	uint8_t initiator_port_id[16];
	uint8_t target_port_id[16];
};

/*
 * Parse len bytes of CM private data.  len may exceed the layout's size
 * (IB CM REQ private data is 92 bytes); extra bytes are ignored.
 * -EMSGSIZE if too short, -EBADMSG if the opcode is not SRP_LOGIN_REQ.
 */
int srp_login_parse(const void *pd, size_t len, enum srp_login_layout layout,
		    struct srp_login_req_info *out);

/* Target side limits, from the config (see srp_login_params_default()). */
struct srp_login_params {
	uint32_t max_req_size; /* largest I->T IU accepted; default 8276 */
	uint32_t max_rsp_size; /* T->I send buffer size; default 256 */
	uint32_t req_lim; /* credits per channel; default 128 */
	uint16_t buf_fmt; /* SRP_BUF_FORMAT_DIRECT|INDIRECT supported */
	bool imm_data; /* immediate data supported */
	uint16_t max_imm_data_offset; /* default SRP_MAX_IMM_DATA_OFFSET */
	bool multichannel; /* accept SRP_MULTICHAN_MULTI joins */
	uint32_t max_channels_per_nexus; /* 0 = unlimited */
	/* Acceptable target port ids (id_ext || ioc_guid), n entries. */
	const uint8_t (*target_port_ids)[16];
	unsigned int n_target_port_ids;
};
void srp_login_params_default(struct srp_login_params *p);
/* -EINVAL (with *why set) if the parameters cannot work. */
int srp_login_params_check(const struct srp_login_params *p, const char **why);

/* What the engine found out before deciding (step 2). */
struct srp_login_state {
	unsigned int nexus_channels; /* live channels of the same I_T nexus */
	bool acl_denied; /* initiator not allowed on this target */
	bool port_disabled; /* target/port disabled or out of resources */
	bool target_channels_full; /* global channel limit reached */
	/* The connection request grants no RDMA READ (the initiator's
	 * responder resources are 0): data-out could never be fetched. */
	bool no_rdma_read;
};

/* Multichannel outcome (SRP r16a LOGIN_RSP MULTI-CHANNEL RESULT). */
enum srp_login_mc_result {
	SRP_LOGIN_MC_NO_CHAN = SRP_LOGIN_RSP_MULTICHAN_NO_CHAN,
	SRP_LOGIN_MC_TERMINATED = SRP_LOGIN_RSP_MULTICHAN_TERMINATED,
	SRP_LOGIN_MC_MAINTAINED = SRP_LOGIN_RSP_MULTICHAN_MAINTAINED,
};

struct srp_login_decision {
	bool accept;
	uint32_t reject_reason; /* SRP_LOGIN_REJ_*, when !accept */
	const char *why; /* static text for the log, accept or reject */
	uint64_t tag; /* echoed in LOGIN_RSP/REJ */
	int target_index; /* index in params.target_port_ids, or -1 */
	/* Accept only: */
	uint32_t req_lim; /* initial credits (LOGIN_RSP req_lim_delta) */
	uint32_t max_it_iu_len; /* advertised: params.max_req_size */
	uint32_t max_ti_iu_len; /* advertised: params.max_rsp_size */
	uint32_t it_iu_len; /* what the initiator will send at most */
	uint16_t buf_fmt; /* advertised (supported) formats */
	uint8_t rsp_flags; /* LOGIN_RSP byte 26 */
	enum srp_login_mc_result mc_result;
	bool terminate_existing; /* SINGLE: close the other channels */
	bool imm_data; /* immediate data accepted */
	uint16_t imm_data_offset; /* valid when imm_data */
};

/* Decide on a parsed login; always fills d (never fails).  st may be NULL. */
void srp_login_decide(const struct srp_login_req_info *req,
		      const struct srp_login_params *p,
		      const struct srp_login_state *st,
		      struct srp_login_decision *d);
/* Reject decision for private data srp_login_parse() refused. */
void srp_login_decide_parse_error(const void *pd, size_t len,
				  enum srp_login_layout layout, int err,
				  struct srp_login_decision *d);
/* Turn an accept into a reject (e.g. QP creation failed after deciding). */
void srp_login_set_reject(struct srp_login_decision *d, uint32_t reason,
			  const char *why);

/*
 * Private data for the CM REP (52-byte LOGIN_RSP) or REJ (32-byte
 * LOGIN_REJ; buf_fmt = supported formats).  Return the length or -ENOBUFS.
 * build_rsp returns -EINVAL for a reject decision and vice versa.
 */
int srp_login_build_rsp(const struct srp_login_decision *d, void *buf,
			size_t cap);
int srp_login_build_rej(const struct srp_login_decision *d, uint16_t buf_fmt,
			void *buf, size_t cap);

/*
 * Initiator identity used for LUN masking and session naming.
 *
 * port_id is the SRP initiator port identifier from the login request
 * (initiator_ext || port GUID, SRP r16a 5.6.2; for RDMA/CM logins the GUID
 * half is the interface id of the initiator's local GID as ib_srp sees
 * it).  It is the same on both login paths and is what SCSI persistent
 * reservations use (SRP TransportID).
 *
 * gid is the GID of the initiator port the CM REQ came from, as the CM
 * reports it for the connection: on the AF_IB (IB/CM) path the remote GID
 * of the received path record (what ib_srpt calls primary_path->dgid), on
 * RDMA/CM the destination GID of the passive id's route (the peer).
 * gid_valid is false when the CM gave none.
 *
 * Config initiators are GIDs (srptd.conf groups.initiators, like SCST's
 * INITIATOR <gid>); srp_initiator_match() compares them with gid and, only
 * when the CM supplied no GID, with the subnet-agnostic interface id
 * against the port GUID half of port_id.
 */
struct srp_initiator_id {
	uint8_t port_id[16];
	uint8_t gid[16];
	bool gid_valid;
	enum srp_login_layout layout;
};
void srp_initiator_id_init(struct srp_initiator_id *id,
			   const struct srp_login_req_info *req,
			   const uint8_t *gid /* 16 bytes or NULL */);
bool srp_initiator_match(const struct srp_initiator_id *id,
			 const uint8_t cfg_gid[16]);
/* "<gid> (<port id>)" or "<port id>" without a GID; for logs, sessions. */
#define SRP_INITIATOR_ID_STRLEN 80
char *srp_initiator_id_str(const struct srp_initiator_id *id, char *buf,
			   size_t size);
/* Port id = id_ext || ioc_guid (both written big-endian). */
void srp_target_port_id(uint64_t id_ext, uint64_t ioc_guid, uint8_t out[16]);

/* "0x" + 32 lowercase hex digits + NUL */
#define SRP_PORT_ID_STRLEN 35
/* 8 groups "xxxx" separated by ':' + NUL, e.g. fe80:0000:...:1234 */
#define SRP_GID_STRLEN 40
/* Format into buf (size >= the *_STRLEN); returns buf. */
char *srp_port_id_str(const uint8_t id[16], char *buf, size_t size);
char *srp_gid_str(const uint8_t gid[16], char *buf, size_t size);
/*
 * Parse the forms above back (port id: optional 0x, 32 hex digits; GID:
 * 8 colon-separated groups of 1-4 hex digits).  -EINVAL on anything else.
 */
int srp_port_id_parse(const char *s, uint8_t out[16]);
int srp_gid_parse(const char *s, uint8_t out[16]);

#endif
