/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The DM agent's answers (src/fabric/dm/answer.c), byte for byte: every
 * attribute, every status (doc/discovery.md), built here from the byte
 * offsets of IBA vol. 1 16.3.3 and compared with memcmp, not read back
 * through the structs under test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fabric/dm.h"

#define TID 0x1122334455667788ULL

static const struct dm_dev_attr g_attr = {
	.vendor_id = 0x0002c9, /* an OUI */
	.device_id = 0x1017,
	.device_version = 0x00a0,
};

static const struct dm_ioc_caps g_caps = {
	.send_queue_depth = 128,
	.rdma_read_depth = 4,
	.send_size = 8276,
	.rdma_size = 1 << 20,
	.id_string = "srptd SRP target",
};

/* Slot 1 on both ports, slot 2 on port 2 only, slot 3 on port 1 only. */
static const struct dm_ioc g_slots[] = {
	{ .guid = 0x0002c90300a0b1c2ULL,
	  .id_ext = 0x0002c90300a0b1c2ULL,
	  .service_id = 0x00000000013f1388ULL,
	  .ports = 0x3 },
	{ .guid = 0x0002c90300a0b1c2ULL,
	  .id_ext = 0x1000000000000002ULL,
	  .service_id = 0x00000000013f1388ULL,
	  .ports = 0x2 },
	{ .guid = 0xfedcba9876543210ULL,
	  .id_ext = 0xabcdef0123456789ULL,
	  .service_id = 0x00000000013f1389ULL,
	  .ports = 0x1 },
};

static struct dm_unit unit(unsigned int port)
{
	return (struct dm_unit){
		.change_id = 0x1234,
		.port = port,
		.attr = &g_attr,
		.caps = &g_caps,
		.n_slots = 3,
		.slots = g_slots,
	};
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v & 0xffffffffu);
}

/* A request as srp_daemon sends it: class 6 version 1, data zero. */
static void make_req(uint8_t *m, uint8_t method, uint16_t attr, uint32_t mod)
{
	memset(m, 0, DM_MAD_SIZE);
	m[0] = 1;
	m[1] = 0x06;
	m[2] = 1;
	m[3] = method;
	put64(m + 8, TID);
	put16(m + 16, attr);
	put32(m + 20, mod);
}

/* The header every response has: the request's, method and status set. */
static void make_rsp(uint8_t *m, uint8_t method, uint16_t attr, uint32_t mod,
		     uint16_t status)
{
	make_req(m, method, attr, mod);
	put16(m + 4, status);
}

static int answer(unsigned int port, const uint8_t *req, uint8_t *rsp)
{
	struct dm_unit u = unit(port);

	memset(rsp, 0xee, DM_MAD_SIZE);
	return dm_answer(&u, req, DM_MAD_SIZE, rsp);
}

static void expect(unsigned int port, uint8_t method, uint16_t attr,
		   uint32_t mod, uint16_t status)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE], want[DM_MAD_SIZE];

	make_req(req, method, attr, mod);
	make_rsp(want, method == 2 ? 0x81 : method | 0x80, attr, mod, status);
	assert_int_equal(answer(port, req, rsp), status);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
}

static void test_class_port_info(void **state)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE], want[DM_MAD_SIZE];

	(void)state;
	make_req(req, 0x01, 0x0001, 0);
	make_rsp(want, 0x81, 0x0001, 0, 0);
	want[64] = 1; /* BaseVersion */
	want[65] = 1; /* ClassVersion */
	want[71] = 20; /* RespTimeValue, low 5 bits of bytes 4-7 */
	assert_int_equal(answer(1, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
}

static void test_iou_info(void **state)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE], want[DM_MAD_SIZE];

	(void)state;
	make_req(req, 0x01, 0x0010, 0);
	/* Port 1: slots 1 and 3 present, 2 empty. */
	make_rsp(want, 0x81, 0x0010, 0, 0);
	want[64] = 0x12; /* change ID */
	want[65] = 0x34;
	want[66] = 3; /* max controllers */
	want[68] = 0x10; /* slot 1 present (high nibble), 2 empty */
	want[69] = 0x10; /* slot 3 present */
	assert_int_equal(answer(1, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
	/* Port 2: slots 1 and 2 present, 3 empty. */
	want[68] = 0x11;
	want[69] = 0x00;
	assert_int_equal(answer(2, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
	/* A port no target is exported on: every slot empty. */
	want[68] = 0x00;
	assert_int_equal(answer(3, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
}

static void test_iou_info_no_targets(void **state)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE], want[DM_MAD_SIZE];
	struct dm_unit u = unit(1);

	(void)state;
	u.n_slots = 0;
	u.change_id = 1;
	make_req(req, 0x01, 0x0010, 0);
	make_rsp(want, 0x81, 0x0010, 0, 0);
	want[65] = 1;
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
	/* And no slot to ask for. */
	make_req(req, 0x01, 0x0011, 1);
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), 0x001c);
}

static void test_iou_info_many_slots(void **state)
{
	static struct dm_ioc many[300];
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE], want[DM_MAD_SIZE];
	struct dm_unit u = unit(1);

	(void)state;
	for (unsigned int i = 0; i < 300; i++)
		many[i].ports = i % 2 ? 0 : 1; /* odd slots present */
	u.slots = many;
	u.n_slots = 255;
	make_req(req, 0x01, 0x0010, 0);
	make_rsp(want, 0x81, 0x0010, 0, 0);
	want[64] = 0x12;
	want[65] = 0x34;
	want[66] = 255;
	memset(want + 68, 0x10, 128);
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
	/* A table longer than one byte can count is cut at 255 slots. */
	u.n_slots = 300;
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
	make_req(req, 0x01, 0x0011, 255);
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), 0x0000);
	make_req(req, 0x01, 0x0011, 256);
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), 0x001c);
}

static void test_ioc_profile(void **state)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE], want[DM_MAD_SIZE];
	uint8_t *d = want + 64;

	(void)state;
	make_req(req, 0x01, 0x0011, 3);
	make_rsp(want, 0x81, 0x0011, 3, 0);
	put64(d + 0, 0xfedcba9876543210ULL); /* IOC GUID */
	put32(d + 8, 0x0002c900); /* vendor ID: OUI in bits 31:8 */
	put32(d + 12, 0x1017); /* device ID */
	put16(d + 16, 0x00a0); /* device version */
	put32(d + 20, 0x0002c900); /* subsystem vendor ID */
	put16(d + 28, 0x0100); /* I/O class: SRP r16a */
	put16(d + 30, 0x609e); /* subclass */
	put16(d + 32, 0x0108); /* protocol */
	put16(d + 34, 0x0001); /* protocol version */
	put16(d + 40, 128); /* send queue depth */
	d[43] = 4; /* RDMA read depth */
	put32(d + 44, 8276); /* send message size */
	put32(d + 48, 1 << 20); /* RDMA transfer size */
	d[52] = 0x2b; /* op caps: send to/from IOC, RDMA read/write from */
	d[54] = 1; /* service entries */
	memcpy(d + 64, "srptd SRP target", 16);
	assert_int_equal(answer(1, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
}

static void test_ioc_profile_long_id_string(void **state)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE];
	struct dm_ioc_caps caps = g_caps;
	struct dm_unit u = unit(1);

	(void)state;
	memset(caps.id_string, 'x', DM_ID_STRING_MAX);
	caps.id_string[DM_ID_STRING_MAX] = '\0';
	u.caps = &caps;
	make_req(req, 0x01, 0x0011, 1);
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), 0);
	/* 64 characters fill the field; no terminator past it. */
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(rsp[128 + i], 'x');
}

static void test_ioc_profile_bad_slots(void **state)
{
	(void)state;
	expect(1, 0x01, 0x0011, 0, 0x001c); /* slot 0 */
	expect(1, 0x01, 0x0011, 4, 0x001c); /* past max_controllers */
	expect(1, 0x01, 0x0011, 0x10001, 0x001c); /* the whole modifier */
	expect(1, 0x01, 0x0011, 2, 0x0100); /* empty on port 1 */
	expect(2, 0x01, 0x0011, 3, 0x0100); /* empty on port 2 */
	expect(0, 0x01, 0x0011, 1, 0x0100); /* no port 0 */
	expect(65, 0x01, 0x0011, 1, 0x0100); /* no port past the mask */
}

static void svc_entry(uint8_t *e, const char *name, uint64_t id)
{
	memcpy(e, name, strlen(name));
	put64(e + 40, id);
}

static void test_svc_entries(void **state)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE], want[DM_MAD_SIZE];

	(void)state;
	/* ibsrpdm's first group: slot 1, entries 0..0 (one entry). */
	make_req(req, 0x01, 0x0012, 0x00010000);
	make_rsp(want, 0x81, 0x0012, 0x00010000, 0);
	svc_entry(want + 64, "SRP.T10:0002c90300a0b1c2", 0x13f1388);
	assert_int_equal(answer(1, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);

	make_req(req, 0x01, 0x0012, 0x00030000);
	make_rsp(want, 0x81, 0x0012, 0x00030000, 0);
	svc_entry(want + 64, "SRP.T10:abcdef0123456789", 0x13f1389);
	assert_int_equal(answer(1, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);

	make_req(req, 0x01, 0x0012, 0x00020000);
	make_rsp(want, 0x81, 0x0012, 0x00020000, 0);
	svc_entry(want + 64, "SRP.T10:1000000000000002", 0x13f1388);
	assert_int_equal(answer(2, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
}

static void test_svc_entries_bad(void **state)
{
	(void)state;
	expect(1, 0x01, 0x0012, 0x00000000, 0x001c); /* slot 0 */
	expect(1, 0x01, 0x0012, 0x00040000, 0x001c); /* past the slots */
	expect(1, 0x01, 0x0012, 0xffff0000, 0x001c);
	expect(1, 0x01, 0x0012, 0x00020000, 0x0100); /* empty slot */
	/* Ranges the one entry does not cover: "no IOC" as ib_srpt. */
	expect(1, 0x01, 0x0012, 0x00010300, 0x0100); /* 0..3 */
	expect(1, 0x01, 0x0012, 0x00010101, 0x0100); /* 1..1 */
	expect(1, 0x01, 0x0012, 0x00010001, 0x0100); /* 1..0 reversed */
	expect(1, 0x01, 0x0012, 0x0001ffff, 0x0100);
}

static void test_set_and_unknown(void **state)
{
	static const uint16_t attrs[] = { 0x0001, 0x0010, 0x0011, 0x0012,
					  0x0002, 0x0020, 0xffff };

	(void)state;
	for (unsigned int i = 0; i < 7; i++)
		expect(1, 0x02, attrs[i], 1, 0x000c); /* Set: GetResp */
	/* Get of attributes the agent does not implement. */
	expect(1, 0x01, 0x0002, 0, 0x000c); /* Notice */
	expect(1, 0x01, 0x0020, 0, 0x000c); /* DiagnosticTimeout */
	expect(1, 0x01, 0x0000, 0, 0x000c);
	expect(1, 0x01, 0xffff, 0, 0x000c);
}

static void test_other_methods(void **state)
{
	(void)state;
	expect(1, 0x03, 0x0010, 0, 0x0008); /* Send -> 0x83 */
	expect(1, 0x05, 0x0010, 0, 0x0008); /* Trap */
	expect(1, 0x06, 0x0010, 0, 0x0008); /* Report */
	expect(1, 0x12, 0x0010, 0, 0x0008); /* GetTable */
	expect(1, 0x7f, 0x0010, 0, 0x0008);
}

/* Responses, trap represses and other classes are never answered. */
static void test_not_answered(void **state)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE];
	struct dm_unit u = unit(1);

	(void)state;
	for (unsigned int m = 0x80; m <= 0xff; m++) {
		make_req(req, (uint8_t)m, 0x0010, 0);
		assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), -EPROTO);
	}
	make_req(req, 0x07, 0x0010, 0); /* TrapRepress */
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), -EPROTO);
	make_req(req, 0x01, 0x0010, 0);
	req[0] = 2; /* base version */
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), -EPROTO);
	make_req(req, 0x01, 0x0010, 0);
	req[1] = 0x03; /* SA class */
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), -EPROTO);
	make_req(req, 0x01, 0x0010, 0);
	req[2] = 2; /* class version */
	assert_int_equal(dm_answer(&u, req, sizeof(req), rsp), -EPROTO);
	make_req(req, 0x01, 0x0010, 0);
	assert_int_equal(dm_answer(&u, req, 23, rsp), -EPROTO);
	/* A bare header is enough: the rest of a request is not read. */
	assert_int_equal(dm_answer(&u, req, 24, rsp), 0);
}

/*
 * The header is echoed whole (TID with the requester's agent bits,
 * class-specific, status ignored), the request's data and reserved
 * bytes are not.
 */
static void test_echo(void **state)
{
	uint8_t req[DM_MAD_SIZE], rsp[DM_MAD_SIZE], want[DM_MAD_SIZE];

	(void)state;
	make_req(req, 0x01, 0x0001, 0);
	put64(req + 8, 0xffffffff00000042ULL);
	put16(req + 4, 0xbeef); /* status in a request: ignored */
	put16(req + 6, 0x5a5a); /* class specific */
	req[18] = 0x77; /* reserved */
	memset(req + 24, 0xaa, DM_MAD_SIZE - 24);
	make_rsp(want, 0x81, 0x0001, 0, 0);
	put64(want + 8, 0xffffffff00000042ULL);
	put16(want + 6, 0x5a5a);
	want[18] = 0x77;
	want[64] = 1;
	want[65] = 1;
	want[71] = 20;
	assert_int_equal(answer(1, req, rsp), 0);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
	/* An error answer carries no data either. */
	make_req(req, 0x02, 0x0010, 0);
	memset(req + 24, 0xaa, DM_MAD_SIZE - 24);
	make_rsp(want, 0x81, 0x0010, 0, 0x000c);
	assert_int_equal(answer(1, req, rsp), 0x000c);
	assert_memory_equal(rsp, want, DM_MAD_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_port_info),
		cmocka_unit_test(test_iou_info),
		cmocka_unit_test(test_iou_info_no_targets),
		cmocka_unit_test(test_iou_info_many_slots),
		cmocka_unit_test(test_ioc_profile),
		cmocka_unit_test(test_ioc_profile_long_id_string),
		cmocka_unit_test(test_ioc_profile_bad_slots),
		cmocka_unit_test(test_svc_entries),
		cmocka_unit_test(test_svc_entries_bad),
		cmocka_unit_test(test_set_and_unknown),
		cmocka_unit_test(test_other_methods),
		cmocka_unit_test(test_not_answered),
		cmocka_unit_test(test_echo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
