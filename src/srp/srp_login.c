/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP login request parsing and the accept/reject decision (SRP r16a
 * LOGIN_REQ/LOGIN_RSP/LOGIN_REJ; doc/srp-protocol.md 2-5).
 * Pure logic: the engine supplies what it looked up (struct
 * srp_login_state) and sends what srp_login_build_rsp/rej produce.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "srp/srp_iu.h"
#include "srp/srp_login.h"
#include "util.h"

int srp_login_parse(const void *pd, size_t len, enum srp_login_layout layout,
		    struct srp_login_req_info *out)
{
	memset(out, 0, sizeof(*out));
	out->layout = layout;

	/*
	 * Both layouts carry the same fields in a different order
	 * (doc/srp-protocol.md 2); r is either struct, and the fields are
	 * read by name.
	 */
#define SRP_LOGIN_REQ_COPY(r)                                               \
	do {                                                                \
		if (len < sizeof(*(r)))                                     \
			return -EMSGSIZE;                                   \
		if ((r)->opcode != SRP_LOGIN_REQ)                           \
			return -EBADMSG;                                    \
		out->tag = get_be64((r)->tag);                              \
		out->req_it_iu_len = get_be32((r)->req_it_iu_len);          \
		out->req_buf_fmt = get_be16((r)->req_buf_fmt);              \
		out->req_flags = (r)->req_flags;                            \
		out->imm_data_offset = get_be16((r)->imm_data_offset);      \
		memcpy(out->initiator_port_id, (r)->initiator_port_id, 16); \
		memcpy(out->target_port_id, (r)->target_port_id, 16);       \
	} while (0)
	if (layout == SRP_LOGIN_IB_CM) {
		const struct srp_login_req *r = pd;

		SRP_LOGIN_REQ_COPY(r);
	} else if (layout == SRP_LOGIN_RDMA_CM) {
		const struct srp_login_req_rdma *r = pd;

		SRP_LOGIN_REQ_COPY(r);
	} else {
		return -EINVAL;
	}
#undef SRP_LOGIN_REQ_COPY
	out->mc_action = out->req_flags & SRP_REQ_FLAG_MULTICHAN_MASK;
	out->imm_requested = out->req_flags & SRP_IMMED_REQUESTED;
	return 0;
}

void srp_login_params_default(struct srp_login_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_req_size = SRP_DEFAULT_MAX_REQ_SIZE;
	p->max_rsp_size = SRP_DEFAULT_MAX_RSP_SIZE;
	p->req_lim = SRP_DEFAULT_REQ_LIM;
	p->buf_fmt = SRP_BUF_FORMAT_DIRECT | SRP_BUF_FORMAT_INDIRECT;
	p->imm_data = true;
	p->max_imm_data_offset = SRP_MAX_IMM_DATA_OFFSET;
	p->multichannel = true;
}

int srp_login_params_check(const struct srp_login_params *p, const char **why)
{
	const char *w = NULL;

	if (p->max_req_size < SRP_MIN_IT_IU_LEN)
		w = "max_req_size below 64 (SRP_CMD + one descriptor)";
	/* An SRP_RSP with a TM response and 18 bytes of fixed sense. */
	else if (p->max_rsp_size < sizeof(struct srp_rsp) + 4 + 18)
		w = "max_rsp_size below 58";
	else if (!p->req_lim)
		w = "req_lim (queue depth) is zero";
	else if (!(p->buf_fmt &
		   (SRP_BUF_FORMAT_DIRECT | SRP_BUF_FORMAT_INDIRECT)))
		w = "no direct or indirect descriptor format enabled";
	else if (!p->n_target_port_ids || !p->target_port_ids)
		w = "no target port id";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

static void srp_login_reject(struct srp_login_decision *d, uint32_t reason,
			     const char *why)
{
	d->accept = false;
	d->reject_reason = reason;
	d->why = why;
}

void srp_login_set_reject(struct srp_login_decision *d, uint32_t reason,
			  const char *why)
{
	srp_login_reject(d, reason, why);
	d->terminate_existing = false;
	d->imm_data = false;
	d->rsp_flags = 0;
}

static int srp_login_find_target(const struct srp_login_params *p,
				 const uint8_t id[16])
{
	unsigned int i;

	for (i = 0; i < p->n_target_port_ids; i++)
		if (!memcmp(p->target_port_ids[i], id, 16))
			return i;
	return -1;
}

void srp_login_decide(const struct srp_login_req_info *req,
		      const struct srp_login_params *p,
		      const struct srp_login_state *st,
		      struct srp_login_decision *d)
{
	uint16_t fmts = p->buf_fmt &
			(SRP_BUF_FORMAT_DIRECT | SRP_BUF_FORMAT_INDIRECT);
	const struct srp_login_state none = { 0 };
	uint16_t max_off;

	if (!st)
		st = &none;
	memset(d, 0, sizeof(*d));
	d->tag = req->tag;
	d->target_index = -1;

	/*
	 * Order of checks: things that concern the identity first (a login
	 * for another target is refused whatever it asks for), then
	 * availability, then the negotiated parameters.
	 */
	d->target_index = srp_login_find_target(p, req->target_port_id);
	if (d->target_index < 0) {
		srp_login_reject(d, SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL,
				 "unknown target port id");
		return;
	}
	if (st->acl_denied) {
		/*
		 * ib_srpt answers CHANNEL_LIMIT_REACHED here; the generic
		 * reason is more honest and Linux only logs the value.
		 */
		srp_login_reject(d, SRP_LOGIN_REJ_UNABLE_ESTABLISH_CHANNEL,
				 "initiator not allowed by the ACL");
		return;
	}
	if (st->port_disabled) {
		srp_login_reject(d, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES,
				 "target port disabled or out of resources");
		return;
	}
	/*
	 * SRP r16a has no "too small" reason; ib_srpt also uses
	 * REQ_IT_IU_LENGTH_TOO_LARGE for lengths below one SRP_CMD with
	 * one descriptor.
	 */
	if (req->req_it_iu_len < SRP_MIN_IT_IU_LEN) {
		srp_login_reject(d, SRP_LOGIN_REJ_REQ_IT_IU_LENGTH_TOO_LARGE,
				 "requested IU length below 64");
		return;
	}
	if (req->req_it_iu_len > p->max_req_size) {
		srp_login_reject(d, SRP_LOGIN_REJ_REQ_IT_IU_LENGTH_TOO_LARGE,
				 "requested IU length above max_req_size");
		return;
	}
	if (!(req->req_buf_fmt & fmts)) {
		srp_login_reject(d, SRP_LOGIN_REJ_UNSUPPORTED_DESCRIPTOR_FMT,
				 "no common data buffer format");
		return;
	}
	/*
	 * Without responder resources at the initiator the target cannot
	 * issue a single RDMA READ, so every data-out command beyond
	 * immediate data would wait forever.  Refuse the channel instead:
	 * an RDMA channel resource the login needs is missing
	 * (doc/srp-protocol.md 3, "Responder resources 0").
	 */
	if (st->no_rdma_read) {
		srp_login_reject(
			d, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES,
			"initiator allows no RDMA READ (responder resources 0)");
		return;
	}

	switch (req->mc_action) {
	case SRP_MULTICHAN_SINGLE:
		/* Relogin: the other channels of the nexus go away. */
		if (st->target_channels_full && !st->nexus_channels) {
			srp_login_reject(d, SRP_LOGIN_REJ_CHANNEL_LIMIT_REACHED,
					 "target channel limit reached");
			return;
		}
		if (st->nexus_channels) {
			d->terminate_existing = true;
			d->mc_result = SRP_LOGIN_MC_TERMINATED;
		} else {
			d->mc_result = SRP_LOGIN_MC_NO_CHAN;
		}
		break;
	case SRP_MULTICHAN_MULTI:
		if (!p->multichannel && st->nexus_channels) {
			srp_login_reject(
				d, SRP_LOGIN_REJ_MULTI_CHANNEL_UNSUPPORTED,
				"multichannel disabled");
			return;
		}
		if (st->target_channels_full ||
		    (p->max_channels_per_nexus &&
		     st->nexus_channels >= p->max_channels_per_nexus)) {
			srp_login_reject(d, SRP_LOGIN_REJ_CHANNEL_LIMIT_REACHED,
					 "channel limit reached");
			return;
		}
		d->mc_result = st->nexus_channels ? SRP_LOGIN_MC_MAINTAINED :
						    SRP_LOGIN_MC_NO_CHAN;
		break;
	default:
		srp_login_reject(d, SRP_LOGIN_REJ_UNABLE_ESTABLISH_CHANNEL,
				 "reserved multichannel action");
		return;
	}

	d->accept = true;
	d->why = "accepted";
	d->req_lim = p->req_lim;
	d->max_it_iu_len = p->max_req_size;
	d->max_ti_iu_len = p->max_rsp_size;
	d->it_iu_len = req->req_it_iu_len;
	d->buf_fmt = fmts;
	d->rsp_flags = d->mc_result;

	/*
	 * Immediate data (doc/srp-protocol.md 5): the data must start after
	 * the fixed SRP_CMD and a 4-byte immediate descriptor, within the
	 * configured maximum offset and inside the IU the initiator asked
	 * for.  Otherwise accept the login without it; ib_srp then falls
	 * back to RDMA READ.
	 */
	max_off = p->max_imm_data_offset ? p->max_imm_data_offset :
					   SRP_MAX_IMM_DATA_OFFSET;
	if (req->imm_requested && p->imm_data &&
	    req->imm_data_offset >=
		    sizeof(struct srp_cmd) + sizeof(struct srp_imm_buf) &&
	    req->imm_data_offset <= max_off &&
	    req->imm_data_offset < req->req_it_iu_len) {
		d->imm_data = true;
		d->imm_data_offset = req->imm_data_offset;
		d->rsp_flags |= SRP_LOGIN_RSP_IMMED_SUPP;
	}
}

void srp_login_decide_parse_error(const void *pd, size_t len,
				  enum srp_login_layout layout, int err,
				  struct srp_login_decision *d)
{
	size_t tag_off = layout == SRP_LOGIN_RDMA_CM ? 0 : 8;

	memset(d, 0, sizeof(*d));
	d->target_index = -1;
	/* Echo the tag if the bytes are there, so the initiator can match. */
	if (len >= tag_off + 8)
		d->tag = get_be64((const uint8_t *)pd + tag_off);
	srp_login_reject(d, SRP_LOGIN_REJ_UNABLE_ESTABLISH_CHANNEL,
			 err == -EBADMSG ? "login opcode is not LOGIN_REQ" :
					   "login private data too short");
}

int srp_login_build_rsp(const struct srp_login_decision *d, void *buf,
			size_t cap)
{
	struct srp_login_rsp_info r = {
		.tag = d->tag,
		.req_lim_delta = d->req_lim,
		.max_it_iu_len = d->max_it_iu_len,
		.max_ti_iu_len = d->max_ti_iu_len,
		.buf_fmt = d->buf_fmt,
		.rsp_flags = d->rsp_flags,
	};

	if (!d->accept)
		return -EINVAL;
	return srp_login_rsp_encode(buf, cap, &r);
}

int srp_login_build_rej(const struct srp_login_decision *d, uint16_t buf_fmt,
			void *buf, size_t cap)
{
	if (d->accept)
		return -EINVAL;
	return srp_login_rej_encode(buf, cap, d->tag, d->reject_reason,
				    buf_fmt);
}

void srp_initiator_id_init(struct srp_initiator_id *id,
			   const struct srp_login_req_info *req,
			   const uint8_t *gid)
{
	memset(id, 0, sizeof(*id));
	memcpy(id->port_id, req->initiator_port_id, 16);
	id->layout = req->layout;
	if (gid) {
		memcpy(id->gid, gid, 16);
		id->gid_valid = true;
	}
}

bool srp_initiator_match(const struct srp_initiator_id *id,
			 const uint8_t cfg_gid[16])
{
	if (id->gid_valid)
		return !memcmp(id->gid, cfg_gid, 16);
	/* No GID from the CM: the port GUID is the GID's interface id. */
	return !memcmp(id->port_id + 8, cfg_gid + 8, 8);
}

char *srp_initiator_id_str(const struct srp_initiator_id *id, char *buf,
			   size_t size)
{
	char g[SRP_GID_STRLEN], p[SRP_PORT_ID_STRLEN];

	srp_port_id_str(id->port_id, p, sizeof(p));
	if (id->gid_valid)
		snprintf(buf, size, "%s (%s)",
			 srp_gid_str(id->gid, g, sizeof(g)), p);
	else
		snprintf(buf, size, "%s", p);
	return buf;
}

void srp_target_port_id(uint64_t id_ext, uint64_t ioc_guid, uint8_t out[16])
{
	put_be64(out, id_ext);
	put_be64(out + 8, ioc_guid);
}

static const char srp_hex[] = "0123456789abcdef";

char *srp_port_id_str(const uint8_t id[16], char *buf, size_t size)
{
	unsigned int i;

	if (size < SRP_PORT_ID_STRLEN) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < 16; i++) {
		buf[2 + 2 * i] = srp_hex[id[i] >> 4];
		buf[3 + 2 * i] = srp_hex[id[i] & 0xf];
	}
	buf[34] = '\0';
	return buf;
}

char *srp_gid_str(const uint8_t gid[16], char *buf, size_t size)
{
	unsigned int i;
	char *p = buf;

	if (size < SRP_GID_STRLEN) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	for (i = 0; i < 16; i++) {
		*p++ = srp_hex[gid[i] >> 4];
		*p++ = srp_hex[gid[i] & 0xf];
		if (i & 1 && i != 15)
			*p++ = ':';
	}
	*p = '\0';
	return buf;
}

int srp_port_id_parse(const char *s, uint8_t out[16])
{
	uint8_t tmp[16];
	unsigned int i;
	int hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (i = 0; i < 16; i++) {
		hi = hex_digit_value(s[2 * i]);
		if (hi < 0)
			return -EINVAL;
		lo = hex_digit_value(s[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		tmp[i] = hi << 4 | lo;
	}
	if (s[32] != '\0')
		return -EINVAL;
	memcpy(out, tmp, 16);
	return 0;
}

int srp_gid_parse(const char *s, uint8_t out[16])
{
	uint8_t tmp[16];
	unsigned int g, n;
	uint32_t v;
	int h;

	for (g = 0; g < 8; g++) {
		v = 0;
		for (n = 0; n < 4; n++) {
			h = hex_digit_value(*s);
			if (h < 0)
				break;
			v = v << 4 | h;
			s++;
		}
		if (!n)
			return -EINVAL;
		put_be16(tmp + 2 * g, v);
		if (g < 7) {
			if (*s != ':')
				return -EINVAL;
			s++;
		}
	}
	if (*s != '\0')
		return -EINVAL;
	memcpy(out, tmp, 16);
	return 0;
}
