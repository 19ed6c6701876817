/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer harness: SRP login parsing, the accept/reject decision and the
 * LOGIN_RSP/REJ builders, plus the port id / GID string parsers.
 *
 * Input: byte 0 selects the layout and the engine state (bit 0 RDMA/CM
 * layout, bit 1 immediate data supported, bit 2 multichannel, bits 4:3
 * existing channels, bit 5 ACL denied, bit 6 port disabled, bit 7
 * target full); byte 1 the target limits; the rest is CM private data.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "srp/srp_iu.h"
#include "srp/srp_login.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
	do {                              \
		if (!(x))                 \
			__builtin_trap(); \
	} while (0)

/* id_ext = ioc_guid = 0x0002c90300000001 (what the seed corpus uses). */
static const uint8_t g_tgt[2][16] = {
	{ 0x00, 0x02, 0xc9, 0x03, 0, 0, 0, 0x01, 0x00, 0x02, 0xc9, 0x03, 0, 0,
	  0, 0x01 },
	{ 0 },
};

static void fuzz_strings(const uint8_t *data, size_t size)
{
	char s[64], buf[SRP_GID_STRLEN];
	uint8_t id[16], back[16];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data, n);
	s[n] = '\0';
	if (srp_port_id_parse(s, id) == 0) {
		srp_port_id_str(id, buf, sizeof(buf));
		CHECK(strlen(buf) == SRP_PORT_ID_STRLEN - 1);
		CHECK(srp_port_id_parse(buf, back) == 0);
		CHECK(!memcmp(id, back, 16));
	}
	if (srp_gid_parse(s, id) == 0) {
		srp_gid_str(id, buf, sizeof(buf));
		CHECK(strlen(buf) == SRP_GID_STRLEN - 1);
		CHECK(srp_gid_parse(buf, back) == 0);
		CHECK(!memcmp(id, back, 16));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srp_login_params p;
	struct srp_login_state st = { 0 };
	struct srp_login_req_info req;
	struct srp_login_decision d;
	struct srp_initiator_id ini;
	enum srp_login_layout layout;
	uint8_t out[64];
	const uint8_t *pd;
	size_t len;
	int ret;

	if (size < 2)
		return 0;
	fuzz_strings(data, size);

	layout = data[0] & 1 ? SRP_LOGIN_RDMA_CM : SRP_LOGIN_IB_CM;
	srp_login_params_default(&p);
	p.imm_data = data[0] & 2;
	p.multichannel = data[0] & 4;
	st.nexus_channels = (data[0] >> 3) & 3;
	st.acl_denied = data[0] & 0x20;
	st.port_disabled = data[0] & 0x40;
	st.target_channels_full = data[0] & 0x80;
	p.max_req_size = 64 + (uint32_t)data[1] * 64;
	p.max_channels_per_nexus = data[1] & 3;
	p.max_imm_data_offset = data[1] & 0x80 ? 48 + (data[1] & 0x3f) : 0;
	p.target_port_ids = g_tgt;
	p.n_target_port_ids = 2;
	pd = data + 2;
	len = size - 2;

	ret = srp_login_parse(pd, len, layout, &req);
	if (ret) {
		CHECK(ret == -EMSGSIZE || ret == -EBADMSG);
		srp_login_decide_parse_error(pd, len, layout, ret, &d);
		CHECK(!d.accept);
	} else {
		CHECK(len >= (layout == SRP_LOGIN_IB_CM ? 64u : 56u));
		char name[SRP_INITIATOR_ID_STRLEN];

		srp_initiator_id_init(&ini, &req, len & 1 ? pd : NULL);
		CHECK(strlen(srp_initiator_id_str(&ini, name, sizeof(name))) <
		      SRP_INITIATOR_ID_STRLEN);
		srp_initiator_match(&ini, pd + len - 16);
		srp_login_decide(&req, &p, &st, &d);
	}

	if (d.accept) {
		CHECK(!ret);
		CHECK(!st.acl_denied && !st.port_disabled);
		CHECK(d.target_index >= 0 && d.target_index < 2);
		CHECK(!memcmp(req.target_port_id, g_tgt[d.target_index], 16));
		CHECK(req.req_it_iu_len >= SRP_MIN_IT_IU_LEN &&
		      req.req_it_iu_len <= p.max_req_size);
		CHECK(d.it_iu_len == req.req_it_iu_len);
		CHECK(d.buf_fmt & req.req_buf_fmt);
		CHECK(req.mc_action <= SRP_MULTICHAN_MULTI);
		CHECK(d.terminate_existing ==
		      (req.mc_action == SRP_MULTICHAN_SINGLE &&
		       st.nexus_channels > 0));
		if (d.imm_data) {
			CHECK(req.imm_requested && p.imm_data);
			CHECK(d.imm_data_offset >= 52 &&
			      d.imm_data_offset < d.it_iu_len);
			CHECK(d.rsp_flags & SRP_LOGIN_RSP_IMMED_SUPP);
		} else {
			CHECK(!(d.rsp_flags & SRP_LOGIN_RSP_IMMED_SUPP));
		}
		CHECK(srp_login_build_rsp(&d, out, sizeof(out)) == 52);
		CHECK(out[0] == SRP_LOGIN_RSP);
		CHECK(srp_login_build_rej(&d, 6, out, sizeof(out)) == -EINVAL);
	} else {
		CHECK(d.reject_reason >=
			      SRP_LOGIN_REJ_UNABLE_ESTABLISH_CHANNEL &&
		      d.reject_reason <= SRP_LOGIN_REJ_CHANNEL_LIMIT_REACHED);
		CHECK(d.why != NULL);
		CHECK(srp_login_build_rej(&d, 6, out, sizeof(out)) == 32);
		CHECK(out[0] == SRP_LOGIN_REJ);
		CHECK(get_be32(out + 4) == d.reject_reason);
		CHECK(srp_login_build_rsp(&d, out, sizeof(out)) == -EINVAL);
	}
	return 0;
}
