/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer harness: the DM agent's MAD answers (src/fabric/dm/answer.c).
 *
 * Input: byte 0 selects the unit (bits 1:0 the port 1..4, bits 5:2 the
 * number of slots 0..15, bit 6 a 64-character ID string, bit 7 a unit cut
 * at DM_MAX_SLOTS from a longer table); the rest is the received MAD.
 * Properties: a response is a full GetResp (or other response method)
 * echoing the request header, its status is the return value and one of
 * the DM statuses, and an error response carries no data.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fabric/dm.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
	do {                              \
		if (!(x))                 \
			__builtin_trap(); \
	} while (0)

#define N_SLOTS 300

static const struct dm_dev_attr g_attr = {
	.vendor_id = 0x0002c9,
	.device_id = 0x1017,
	.device_version = 1,
};

static struct dm_ioc g_slots[N_SLOTS];

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_ioc_caps caps = {
		.send_queue_depth = 128,
		.rdma_read_depth = 4,
		.send_size = 8276,
		.rdma_size = 1 << 20,
		.id_string = "srptd SRP target",
	};
	uint8_t rsp[DM_MAD_SIZE];
	struct dm_unit u = { .change_id = 7, .attr = &g_attr, .caps = &caps };
	const uint8_t *req;
	size_t len;
	int st;

	if (size < 1)
		return 0;
	for (unsigned int i = 0; i < N_SLOTS; i++) {
		g_slots[i].guid = 0x0002c90300000000ULL + i;
		g_slots[i].id_ext = 0x1000000000000000ULL + i;
		g_slots[i].service_id = 0x13f1388;
		g_slots[i].ports = (i * 0x9e3779b97f4a7c15ULL) >> 60;
	}
	u.port = 1 + (data[0] & 3);
	u.n_slots = data[0] & 0x80 ? N_SLOTS : (data[0] >> 2) & 15;
	u.slots = g_slots;
	if (data[0] & 0x40) {
		memset(caps.id_string, 'i', DM_ID_STRING_MAX);
		caps.id_string[DM_ID_STRING_MAX] = '\0';
	}
	req = data + 1;
	len = size - 1;

	memset(rsp, 0xee, sizeof(rsp));
	st = dm_answer(&u, req, len, rsp);
	if (st < 0) {
		CHECK(st == -EPROTO);
		return 0;
	}
	CHECK(len >= sizeof(struct dm_mad_hdr));
	CHECK(req[0] == 1 && req[1] == DM_MGMT_CLASS && req[2] == 1);
	CHECK(!(req[3] & DM_METHOD_RESP));
	CHECK(st == DM_STATUS_OK || st == DM_STATUS_UNSUP_METHOD ||
	      st == DM_STATUS_UNSUP_METHOD_ATTR ||
	      st == DM_STATUS_INVALID_FIELD || st == DM_STATUS_NO_IOC);
	/* The header is the request's, method and status aside. */
	CHECK(!memcmp(rsp, req, 3));
	CHECK(rsp[3] == (req[3] == DM_METHOD_SET ? DM_METHOD_GET_RESP :
						   (req[3] | DM_METHOD_RESP)));
	CHECK(get_be16(rsp + 4) == st);
	CHECK(!memcmp(rsp + 6, req + 6, sizeof(struct dm_mad_hdr) - 6));
	CHECK(zero(rsp + 24, 40));
	if (st) {
		CHECK(zero(rsp + 64, DM_DATA_SIZE));
		return 0;
	}
	CHECK(req[3] == DM_METHOD_GET);
	switch (get_be16(req + 16)) {
	case DM_ATTR_IO_UNIT_INFO:
		CHECK(rsp[66] == MIN(u.n_slots, DM_MAX_SLOTS));
		CHECK(get_be16(rsp + 64) == 7);
		break;
	case DM_ATTR_IOC_PROFILE: {
		uint32_t slot = get_be32(req + 20);

		CHECK(slot >= 1 && slot <= MIN(u.n_slots, DM_MAX_SLOTS));
		CHECK((g_slots[slot - 1].ports >> (u.port - 1)) & 1);
		CHECK(get_be64(rsp + 64) == g_slots[slot - 1].guid);
		CHECK(rsp[64 + 54] == 1);
		break;
	}
	case DM_ATTR_SERVICE_ENTRIES:
		CHECK(!memcmp(rsp + 64, DM_SRP_SVC_NAME_PREFIX, 8));
		CHECK(zero(rsp + 64 + 48, DM_DATA_SIZE - 48));
		break;
	default:
		CHECK(get_be16(req + 16) == DM_ATTR_CLASS_PORT_INFO);
		break;
	}
	return 0;
}
