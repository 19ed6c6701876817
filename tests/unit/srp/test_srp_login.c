/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP login: both private-data layouts, the accept/reject matrix, immediate
 * data and multichannel negotiation, LOGIN_RSP/REJ bytes, identity
 * strings.  Login requests are hand-built from doc/srp-protocol.md 2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srp/srp_iu.h"
#include "srp/srp_login.h"

/* id_ext 0x0002c90300000001, ioc_guid 0x0002c90300000001 */
static const uint8_t tgt_id[16] = { 0x00, 0x02, 0xc9, 0x03, 0, 0, 0, 0x01,
				    0x00, 0x02, 0xc9, 0x03, 0, 0, 0, 0x01 };
static const uint8_t tgt_id2[16] = { 0, 0, 0, 0, 0, 0, 0, 0x02,
				     0, 0, 0, 0, 0, 0, 0, 0x02 };
/* initiator_ext 0, port GUID 0x0002c90300a1b2c3 */
static const uint8_t ini_id[16] = { 0,	  0,	0,    0,    0,	  0,
				    0,	  0,	0x00, 0x02, 0xc9, 0x03,
				    0x00, 0xa1, 0xb2, 0xc3 };

/*
 * Default Linux ib_srp IB/CM login (srp_send_req): tag 0, req_it_iu_len
 * 8260, DIRECT|INDIRECT, SINGLE + IMMED_REQUESTED, imm_data_offset 68.
 */
static void build_ib_login(uint8_t *p, uint32_t it_len, uint16_t fmt,
			   uint8_t flags, uint16_t imm_off)
{
	memset(p, 0, 64);
	p[0] = 0x00;
	p[15] = 0x11; /* tag 0x11 so echoes are visible */
	p[16] = it_len >> 24;
	p[17] = it_len >> 16;
	p[18] = it_len >> 8;
	p[19] = it_len;
	p[24] = fmt >> 8;
	p[25] = fmt;
	p[26] = flags;
	p[28] = imm_off >> 8;
	p[29] = imm_off;
	memcpy(p + 32, ini_id, 16);
	memcpy(p + 48, tgt_id, 16);
}

/* The same request in the 56-byte RDMA/CM order. */
static void build_rdma_login(uint8_t *p, uint32_t it_len, uint16_t fmt,
			     uint8_t flags, uint16_t imm_off)
{
	memset(p, 0, 56);
	p[7] = 0x11; /* tag */
	p[8] = fmt >> 8;
	p[9] = fmt;
	p[10] = flags;
	p[11] = 0x00; /* opcode */
	p[12] = it_len >> 24;
	p[13] = it_len >> 16;
	p[14] = it_len >> 8;
	p[15] = it_len;
	memcpy(p + 16, ini_id, 16);
	memcpy(p + 32, tgt_id, 16);
	p[48] = imm_off >> 8;
	p[49] = imm_off;
}

static const uint8_t (*g_ids)[16];

static void params(struct srp_login_params *p)
{
	static uint8_t ids[2][16];

	memcpy(ids[0], tgt_id2, 16);
	memcpy(ids[1], tgt_id, 16);
	g_ids = (const uint8_t(*)[16])ids;
	srp_login_params_default(p);
	p->target_port_ids = g_ids;
	p->n_target_port_ids = 2;
}

static void test_parse_layouts(void **state)
{
	uint8_t ib[92], rd[56];
	struct srp_login_req_info a, b;

	memset(ib, 0xee, sizeof(ib)); /* IB CM REQ private data is 92 bytes */
	build_ib_login(ib, 8260, 0x0006, 0x80, 68);
	build_rdma_login(rd, 8260, 0x0006, 0x80, 68);
	assert_int_equal(srp_login_parse(ib, sizeof(ib), SRP_LOGIN_IB_CM, &a),
			 0);
	assert_int_equal(srp_login_parse(rd, sizeof(rd), SRP_LOGIN_RDMA_CM, &b),
			 0);
	assert_int_equal(a.layout, SRP_LOGIN_IB_CM);
	assert_int_equal(b.layout, SRP_LOGIN_RDMA_CM);
	assert_true(a.tag == 0x11 && b.tag == 0x11);
	assert_int_equal(a.req_it_iu_len, 8260);
	assert_int_equal(b.req_it_iu_len, 8260);
	assert_int_equal(a.req_buf_fmt, 6);
	assert_int_equal(b.req_buf_fmt, 6);
	assert_int_equal(a.req_flags, 0x80);
	assert_int_equal(b.req_flags, 0x80);
	assert_int_equal(a.mc_action, SRP_MULTICHAN_SINGLE);
	assert_true(a.imm_requested && b.imm_requested);
	assert_int_equal(a.imm_data_offset, 68);
	assert_int_equal(b.imm_data_offset, 68);
	assert_memory_equal(a.initiator_port_id, ini_id, 16);
	assert_memory_equal(b.initiator_port_id, ini_id, 16);
	assert_memory_equal(a.target_port_id, tgt_id, 16);
	assert_memory_equal(b.target_port_id, tgt_id, 16);

	/* MULTI flag, no immediate data. */
	build_rdma_login(rd, 276, 0x0004, 0x01, 0);
	assert_int_equal(srp_login_parse(rd, 56, SRP_LOGIN_RDMA_CM, &b), 0);
	assert_int_equal(b.mc_action, SRP_MULTICHAN_MULTI);
	assert_false(b.imm_requested);
	assert_int_equal(b.req_it_iu_len, 276);

	/* Length and opcode errors. */
	assert_int_equal(srp_login_parse(ib, 63, SRP_LOGIN_IB_CM, &a),
			 -EMSGSIZE);
	assert_int_equal(srp_login_parse(rd, 55, SRP_LOGIN_RDMA_CM, &b),
			 -EMSGSIZE);
	assert_int_equal(srp_login_parse(rd, 0, SRP_LOGIN_RDMA_CM, &b),
			 -EMSGSIZE);
	ib[0] = 0x02;
	assert_int_equal(srp_login_parse(ib, 64, SRP_LOGIN_IB_CM, &a),
			 -EBADMSG);
	rd[11] = 0xc0;
	assert_int_equal(srp_login_parse(rd, 56, SRP_LOGIN_RDMA_CM, &b),
			 -EBADMSG);
	/* In the RDMA layout byte 0 is the tag, not the opcode. */
	rd[11] = 0;
	rd[0] = 0xff;
	assert_int_equal(srp_login_parse(rd, 56, SRP_LOGIN_RDMA_CM, &b), 0);
	assert_true(b.tag == 0xff00000000000011ULL);
	assert_int_equal(srp_login_parse(rd, 56, (enum srp_login_layout)7, &b),
			 -EINVAL);
}

static void decide_ib(uint8_t *pd, const struct srp_login_params *p,
		      const struct srp_login_state *st,
		      struct srp_login_decision *d)
{
	struct srp_login_req_info r;

	assert_int_equal(srp_login_parse(pd, 64, SRP_LOGIN_IB_CM, &r), 0);
	srp_login_decide(&r, p, st, d);
}

static void test_accept_default_linux(void **state)
{
	struct srp_login_params p;
	struct srp_login_decision d;
	struct srp_login_req_info r;
	uint8_t pd[64], rd[56], rsp[52], exp[52];

	params(&p);
	build_ib_login(pd, 8260, 0x0006, 0x80, 68);
	decide_ib(pd, &p, NULL, &d);
	assert_true(d.accept);
	assert_int_equal(d.target_index, 1);
	assert_true(d.tag == 0x11);
	assert_int_equal(d.req_lim, 128);
	assert_int_equal(d.max_it_iu_len, 8276);
	assert_int_equal(d.max_ti_iu_len, 256);
	assert_int_equal(d.it_iu_len, 8260);
	assert_int_equal(d.buf_fmt, 0x0006);
	assert_true(d.imm_data);
	assert_int_equal(d.imm_data_offset, 68);
	assert_int_equal(d.mc_result, SRP_LOGIN_MC_NO_CHAN);
	assert_false(d.terminate_existing);
	assert_int_equal(d.rsp_flags, 0x80);

	/* LOGIN_RSP bytes (doc/srp-protocol.md 3). */
	memset(exp, 0, sizeof(exp));
	exp[0] = 0xc0;
	exp[7] = 128; /* req_lim_delta */
	exp[15] = 0x11; /* tag */
	exp[18] = 0x20; /* 8276 */
	exp[19] = 0x54;
	exp[22] = 0x01; /* 256 */
	exp[25] = 0x06;
	exp[26] = 0x80;
	assert_int_equal(srp_login_build_rsp(&d, rsp, sizeof(rsp)), 52);
	assert_memory_equal(rsp, exp, 52);
	assert_int_equal(srp_login_build_rsp(&d, rsp, 51), -SRP_IU_ENOSPC);
	assert_int_equal(srp_login_build_rej(&d, 6, rsp, sizeof(rsp)), -EINVAL);

	/* Same decision for the RDMA/CM layout. */
	build_rdma_login(rd, 8260, 0x0006, 0x80, 68);
	assert_int_equal(srp_login_parse(rd, 56, SRP_LOGIN_RDMA_CM, &r), 0);
	srp_login_decide(&r, &p, NULL, &d);
	assert_true(d.accept);
	assert_int_equal(srp_login_build_rsp(&d, rsp, sizeof(rsp)), 52);
	assert_memory_equal(rsp, exp, 52);
}

static void expect_reject(uint8_t *pd, const struct srp_login_params *p,
			  const struct srp_login_state *st, uint32_t reason)
{
	struct srp_login_decision d;
	uint8_t rej[32], exp[32];

	decide_ib(pd, p, st, &d);
	assert_false(d.accept);
	assert_int_equal(d.reject_reason, reason);
	assert_non_null(d.why);
	memset(exp, 0, sizeof(exp));
	exp[0] = 0xc2;
	exp[4] = reason >> 24;
	exp[5] = reason >> 16;
	exp[6] = reason >> 8;
	exp[7] = reason;
	exp[15] = 0x11;
	exp[25] = 0x06;
	assert_int_equal(srp_login_build_rej(&d, 0x0006, rej, sizeof(rej)), 32);
	assert_memory_equal(rej, exp, 32);
	assert_int_equal(srp_login_build_rsp(&d, rej, sizeof(rej)), -EINVAL);
}

static void test_reject_matrix(void **state)
{
	struct srp_login_params p;
	struct srp_login_state st;
	struct srp_login_decision d;
	uint8_t pd[64];

	params(&p);

	/* Unknown target port id: unable to associate with the nexus. */
	build_ib_login(pd, 8260, 6, 0x80, 68);
	pd[63] ^= 1;
	expect_reject(pd, &p, NULL, SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
	/* Only the first half matching is not enough. */
	build_ib_login(pd, 8260, 6, 0x80, 68);
	pd[56] = 0x55;
	expect_reject(pd, &p, NULL, 0x00010003);

	/* ACL, port state. */
	build_ib_login(pd, 8260, 6, 0x80, 68);
	memset(&st, 0, sizeof(st));
	st.acl_denied = true;
	expect_reject(pd, &p, &st, SRP_LOGIN_REJ_UNABLE_ESTABLISH_CHANNEL);
	memset(&st, 0, sizeof(st));
	st.port_disabled = true;
	expect_reject(pd, &p, &st, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES);
	/* No responder resources at the initiator: no RDMA READ possible. */
	memset(&st, 0, sizeof(st));
	st.no_rdma_read = true;
	expect_reject(pd, &p, &st, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES);
	/* Identity is checked first: an unknown target id still says so. */
	pd[63] ^= 1;
	expect_reject(pd, &p, &st, SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
	pd[63] ^= 1;

	/* IU length boundaries: 64..max_req_size. */
	build_ib_login(pd, 8277, 6, 0, 0);
	expect_reject(pd, &p, NULL, SRP_LOGIN_REJ_REQ_IT_IU_LENGTH_TOO_LARGE);
	build_ib_login(pd, 8276, 6, 0, 0);
	decide_ib(pd, &p, NULL, &d);
	assert_true(d.accept);
	assert_int_equal(d.it_iu_len, 8276);
	build_ib_login(pd, 63, 6, 0, 0);
	expect_reject(pd, &p, NULL, 0x00010002);
	build_ib_login(pd, 64, 6, 0, 0);
	decide_ib(pd, &p, NULL, &d);
	assert_true(d.accept);
	build_ib_login(pd, 0xffffffff, 6, 0, 0);
	expect_reject(pd, &p, NULL, 0x00010002);
	/* A target configured below Linux's default 8260 refuses it. */
	p.max_req_size = 4200;
	build_ib_login(pd, 8260, 6, 0x80, 68);
	expect_reject(pd, &p, NULL, 0x00010002);
	params(&p);

	/* Buffer formats. */
	build_ib_login(pd, 8260, 0, 0, 0);
	expect_reject(pd, &p, NULL, SRP_LOGIN_REJ_UNSUPPORTED_DESCRIPTOR_FMT);
	build_ib_login(pd, 8260, SRP_BUF_FORMAT_IMM, 0, 0);
	expect_reject(pd, &p, NULL, 0x00010004);
	p.buf_fmt = SRP_BUF_FORMAT_DIRECT;
	build_ib_login(pd, 8260, SRP_BUF_FORMAT_INDIRECT, 0, 0);
	expect_reject(pd, &p, NULL, 0x00010004);
	build_ib_login(pd, 8260, 6, 0, 0);
	decide_ib(pd, &p, NULL, &d);
	assert_true(d.accept);
	assert_int_equal(d.buf_fmt, SRP_BUF_FORMAT_DIRECT);
	params(&p);

	/* Multichannel unsupported: a MULTI join of an existing nexus. */
	p.multichannel = false;
	memset(&st, 0, sizeof(st));
	st.nexus_channels = 1;
	build_ib_login(pd, 8260, 6, SRP_MULTICHAN_MULTI, 0);
	expect_reject(pd, &p, &st, SRP_LOGIN_REJ_MULTI_CHANNEL_UNSUPPORTED);
	params(&p);

	/* Channel limits. */
	p.max_channels_per_nexus = 2;
	st.nexus_channels = 2;
	expect_reject(pd, &p, &st, SRP_LOGIN_REJ_CHANNEL_LIMIT_REACHED);
	st.nexus_channels = 1;
	decide_ib(pd, &p, &st, &d);
	assert_true(d.accept);
	memset(&st, 0, sizeof(st));
	st.target_channels_full = true;
	expect_reject(pd, &p, &st, 0x00010006);
	build_ib_login(pd, 8260, 6, SRP_MULTICHAN_SINGLE, 0);
	expect_reject(pd, &p, &st, 0x00010006);
	/* ... but a SINGLE relogin replaces channels, so it fits. */
	st.nexus_channels = 3;
	decide_ib(pd, &p, &st, &d);
	assert_true(d.accept);
	assert_true(d.terminate_existing);

	/* Reserved multichannel action values. */
	build_ib_login(pd, 8260, 6, 0x02, 0);
	expect_reject(pd, &p, NULL, SRP_LOGIN_REJ_UNABLE_ESTABLISH_CHANNEL);
	build_ib_login(pd, 8260, 6, 0x83, 68);
	expect_reject(pd, &p, NULL, 0x00010000);

	/* Unparseable private data. */
	build_ib_login(pd, 8260, 6, 0, 0);
	pd[0] = 0xc1;
	srp_login_decide_parse_error(pd, 64, SRP_LOGIN_IB_CM, -EBADMSG, &d);
	assert_false(d.accept);
	assert_int_equal(d.reject_reason, 0x00010000);
	assert_true(d.tag == 0x11);
	srp_login_decide_parse_error(pd, 10, SRP_LOGIN_IB_CM, -EMSGSIZE, &d);
	assert_true(d.tag == 0);

	/* Late resource failure turns an accept into a reject. */
	build_ib_login(pd, 8260, 6, 0x80, 68);
	decide_ib(pd, &p, NULL, &d);
	assert_true(d.accept);
	srp_login_set_reject(&d, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES,
			     "QP creation failed");
	assert_false(d.accept);
	assert_false(d.imm_data);
	assert_int_equal(d.reject_reason, 0x00010001);
}

static void test_multichannel(void **state)
{
	struct srp_login_params p;
	struct srp_login_state st = { 0 };
	struct srp_login_decision d;
	uint8_t pd[64], rsp[52];

	params(&p);
	/* SINGLE, no other channel: NO_CHAN. */
	build_ib_login(pd, 8260, 6, SRP_MULTICHAN_SINGLE, 0);
	decide_ib(pd, &p, &st, &d);
	assert_true(d.accept);
	assert_false(d.terminate_existing);
	assert_int_equal(d.rsp_flags, SRP_LOGIN_RSP_MULTICHAN_NO_CHAN);
	/* SINGLE with channels: they are terminated. */
	st.nexus_channels = 4;
	decide_ib(pd, &p, &st, &d);
	assert_true(d.terminate_existing);
	assert_int_equal(d.mc_result, SRP_LOGIN_MC_TERMINATED);
	assert_int_equal(srp_login_build_rsp(&d, rsp, sizeof(rsp)), 52);
	assert_int_equal(rsp[26], 0x01);
	/* MULTI joins. */
	build_ib_login(pd, 8260, 6, SRP_MULTICHAN_MULTI | 0x80, 68);
	decide_ib(pd, &p, &st, &d);
	assert_true(d.accept);
	assert_false(d.terminate_existing);
	assert_int_equal(d.mc_result, SRP_LOGIN_MC_MAINTAINED);
	assert_int_equal(srp_login_build_rsp(&d, rsp, sizeof(rsp)), 52);
	assert_int_equal(rsp[26], 0x82);
	/* MULTI with nothing to join: new nexus. */
	st.nexus_channels = 0;
	decide_ib(pd, &p, &st, &d);
	assert_true(d.accept);
	assert_int_equal(d.mc_result, SRP_LOGIN_MC_NO_CHAN);
	/* Multichannel disabled, first channel: still accepted. */
	p.multichannel = false;
	decide_ib(pd, &p, &st, &d);
	assert_true(d.accept);
}

static void test_immediate_negotiation(void **state)
{
	static const struct {
		uint8_t flags;
		uint16_t off;
		bool target_imm;
		uint16_t max_off;
		uint32_t it_len;
		bool accepted;
	} t[] = {
		{ 0x80, 68, true, 0, 8260, true }, /* Linux default */
		{ 0x00, 68, true, 0, 8260, false }, /* not requested */
		{ 0x80, 68, false, 0, 8260, false }, /* target has it off */
		{ 0x80, 48, true, 0, 8260, false }, /* no room for imm_buf */
		{ 0x80, 51, true, 0, 8260, false },
		{ 0x80, 52, true, 0, 8260, true },
		{ 0x80, 80, true, 0, 8260, true },
		{ 0x80, 81, true, 0, 8260, false }, /* above default max */
		{ 0x80, 100, true, 128, 8260, true },
		{ 0x80, 68, true, 0, 68, false }, /* no byte of data fits */
		{ 0x80, 68, true, 0, 69, true },
	};
	struct srp_login_params p;
	struct srp_login_decision d;
	unsigned int i;
	uint8_t pd[64];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		params(&p);
		p.imm_data = t[i].target_imm;
		p.max_imm_data_offset = t[i].max_off;
		build_ib_login(pd, t[i].it_len, 6, t[i].flags, t[i].off);
		decide_ib(pd, &p, NULL, &d);
		assert_true(d.accept);
		assert_int_equal(d.imm_data, t[i].accepted);
		assert_int_equal(!!(d.rsp_flags & SRP_LOGIN_RSP_IMMED_SUPP),
				 t[i].accepted);
		assert_int_equal(d.imm_data_offset,
				 t[i].accepted ? t[i].off : 0);
	}
}

static void test_params_check(void **state)
{
	struct srp_login_params p;
	const char *why = NULL;

	params(&p);
	assert_int_equal(srp_login_params_check(&p, &why), 0);
	assert_null(why);
	p.max_req_size = 63;
	assert_int_equal(srp_login_params_check(&p, &why), -EINVAL);
	assert_non_null(why);
	params(&p);
	p.max_rsp_size = 57;
	assert_int_equal(srp_login_params_check(&p, &why), -EINVAL);
	params(&p);
	p.req_lim = 0;
	assert_int_equal(srp_login_params_check(&p, &why), -EINVAL);
	params(&p);
	p.buf_fmt = SRP_BUF_FORMAT_IMM;
	assert_int_equal(srp_login_params_check(&p, &why), -EINVAL);
	params(&p);
	p.n_target_port_ids = 0;
	assert_int_equal(srp_login_params_check(&p, NULL), -EINVAL);
}

static void test_identity_strings(void **state)
{
	static const uint8_t gid[16] = { 0xfe, 0x80, 0,	   0,	 0,    0,
					 0,    0,    0x00, 0x02, 0xc9, 0x03,
					 0x00, 0xa1, 0xb2, 0xc3 };
	struct srp_login_req_info r;
	struct srp_initiator_id id;
	char s[SRP_GID_STRLEN];
	char small[8];
	char big[SRP_INITIATOR_ID_STRLEN];
	uint8_t out[16], tp[16];
	uint8_t pd[64];

	build_ib_login(pd, 8260, 6, 0, 0);
	assert_int_equal(srp_login_parse(pd, 64, SRP_LOGIN_IB_CM, &r), 0);
	srp_initiator_id_init(&id, &r, gid);
	assert_memory_equal(id.port_id, ini_id, 16);
	assert_memory_equal(id.gid, gid, 16);
	assert_true(id.gid_valid);
	assert_int_equal(id.layout, SRP_LOGIN_IB_CM);
	assert_true(srp_initiator_match(&id, gid));
	memcpy(out, gid, 16);
	out[15] ^= 1;
	assert_false(srp_initiator_match(&id, out));
	out[15] ^= 1;
	out[0] = 0xfe;
	out[1] = 0xc0; /* other subnet prefix: not the same GID */
	assert_false(srp_initiator_match(&id, out));
	assert_string_equal(srp_initiator_id_str(&id, big, sizeof(big)),
			    "fe80:0000:0000:0000:0002:c903:00a1:b2c3 "
			    "(0x00000000000000000002c90300a1b2c3)");
	assert_true(strlen(big) < SRP_INITIATOR_ID_STRLEN);

	srp_initiator_id_init(&id, &r, NULL);
	assert_false(id.gid_valid);
	/* Without a GID the interface id is matched with the port GUID. */
	assert_true(srp_initiator_match(&id, gid));
	assert_true(srp_initiator_match(&id, out));
	out[9] ^= 1;
	assert_false(srp_initiator_match(&id, out));
	assert_string_equal(srp_initiator_id_str(&id, big, sizeof(big)),
			    "0x00000000000000000002c90300a1b2c3");

	assert_string_equal(srp_port_id_str(ini_id, s, sizeof(s)),
			    "0x00000000000000000002c90300a1b2c3");
	assert_int_equal(strlen(s) + 1, SRP_PORT_ID_STRLEN);
	assert_string_equal(srp_gid_str(gid, s, sizeof(s)),
			    "fe80:0000:0000:0000:0002:c903:00a1:b2c3");
	assert_int_equal(strlen(s) + 1, SRP_GID_STRLEN);
	assert_string_equal(srp_gid_str(gid, small, sizeof(small)), "");
	assert_string_equal(srp_port_id_str(gid, small, sizeof(small)), "");

	assert_int_equal(srp_port_id_parse("0x00000000000000000002C90300A1B2C3",
					   out),
			 0);
	assert_memory_equal(out, ini_id, 16);
	assert_int_equal(
		srp_port_id_parse("00000000000000000002c90300a1b2c3", out), 0);
	assert_int_equal(srp_port_id_parse("0x0000", out), -EINVAL);
	assert_int_equal(
		srp_port_id_parse("0x00000000000000000002c90300a1b2c3f", out),
		-EINVAL);
	assert_int_equal(srp_port_id_parse("0x0000000000000000g002c90300a1b2c3",
					   out),
			 -EINVAL);

	assert_int_equal(
		srp_gid_parse("fe80:0000:0000:0000:0002:c903:00a1:b2c3", out),
		0);
	assert_memory_equal(out, gid, 16);
	assert_int_equal(srp_gid_parse("fe80:0:0:0:2:c903:a1:b2c3", out), 0);
	assert_memory_equal(out, gid, 16);
	assert_int_equal(srp_gid_parse("fe80::2:c903:a1:b2c3", out), -EINVAL);
	assert_int_equal(srp_gid_parse("fe80:0:0:0:2:c903:a1", out), -EINVAL);
	assert_int_equal(srp_gid_parse("fe80:0:0:0:2:c903:a1:b2c3:1", out),
			 -EINVAL);
	assert_int_equal(srp_gid_parse("fe801:0:0:0:2:c903:a1:b2c3", out),
			 -EINVAL);

	srp_target_port_id(0x0002c90300000001ULL, 0x0002c90300000001ULL, tp);
	assert_memory_equal(tp, tgt_id, 16);
}

/*
 * Login fuzz seeds (gen_corpus.py): the binary ones are ib_srp logins in
 * one of the two layouts (selector bit 0) that the default target with the
 * seed's port id accepts; the text ones are an id or a GID that parse.
 */
static void test_seed_corpus(void **state)
{
	const char *src = getenv("SRPTD_SOURCE_DIR");
	char dir[4096], path[4400];
	uint8_t buf[1024];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	assert_non_null(src);
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/srp_login", src);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct srp_login_req_info r;
		struct srp_login_params p;
		struct srp_login_decision dec;
		uint8_t id[16];
		size_t len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		n++;
		if (strstr(de->d_name, "string")) {
			if (srp_gid_parse((char *)buf, id) &&
			    srp_port_id_parse((char *)buf, id))
				fail_msg("seed %s does not parse", de->d_name);
			continue;
		}
		assert_true(len > 2);
		if (srp_login_parse(buf + 2, len - 2,
				    buf[0] & 1 ? SRP_LOGIN_RDMA_CM :
						 SRP_LOGIN_IB_CM,
				    &r))
			fail_msg("seed %s: parse failed", de->d_name);
		params(&p);
		srp_login_decide(&r, &p, NULL, &dec);
		if (!dec.accept)
			fail_msg("seed %s: rejected (%s)", de->d_name, dec.why);
	}
	closedir(d);
	assert_true(n >= 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_layouts),
		cmocka_unit_test(test_accept_default_linux),
		cmocka_unit_test(test_reject_matrix),
		cmocka_unit_test(test_multichannel),
		cmocka_unit_test(test_immediate_negotiation),
		cmocka_unit_test(test_params_check),
		cmocka_unit_test(test_identity_strings),
		cmocka_unit_test(test_seed_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
