/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * dm_query: a Device Management client for the VM tests.  It performs the
 * query sequence of ibsrpdm / srp_daemon (doc/discovery.md "How ibsrpdm
 * and srp_daemon query") against one port of the local HCA, addressed by
 * that port's GID 0 with a GRH (what works on Soft-RoCE), and prints one
 * ibsrpdm-style line per SRP service entry:
 *
 *   id_ext=...,ioc_guid=...,dgid=...,pkey=ffff,service_id=...
 *
 * Usage: dm_query DEV PORT
 * Exit: 0 answered (lines printed, maybe none), 2 IOUnitInfo answered
 * with a non-zero status (printed as "status 0x...."), 1 on errors or no
 * answer.  Not run by ctest: tests/unit/fabric/dm_vm.sh runs it in the VM.
 */
#include <endian.h>
#include <errno.h>
#include <infiniband/umad.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srptd/dm_proto.h"
#include "util.h"

#define TIMEOUT_MS 2000
#define RETRIES 3

struct target_port {
	const char *dev;
	int port;
	int fd;
	int agent;
	uint8_t gid[16];
	uint16_t lid;
	uint16_t pkey;
	uint32_t tid;
};

static int read_sysfs(const struct target_port *tp, const char *what, char *buf,
		      size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports/%d/%s",
		 tp->dev, tp->port, what);
	f = fopen(path, "r");
	if (!f || !fgets(buf, (int)len, f)) {
		fprintf(stderr, "dm_query: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* "fe80:0000:...:0001" (sysfs gids/N) -> 16 bytes. */
static int parse_gid(const char *s, uint8_t gid[16])
{
	unsigned int n = 0;

	for (; *s && n < 32; s++) {
		int v = hex_digit_value(*s);

		if (*s == ':')
			continue;
		if (v < 0)
			return -1;
		if (n % 2 == 0)
			gid[n / 2] = (uint8_t)(v << 4);
		else
			gid[n / 2] |= (uint8_t)v;
		n++;
	}
	return n == 32 ? 0 : -1;
}

static int port_setup(struct target_port *tp)
{
	char buf[128];

	if (read_sysfs(tp, "gids/0", buf, sizeof(buf)) ||
	    parse_gid(buf, tp->gid))
		return -1;
	if (read_sysfs(tp, "lid", buf, sizeof(buf)))
		return -1;
	tp->lid = (uint16_t)strtoul(buf, NULL, 0);
	if (read_sysfs(tp, "pkeys/0", buf, sizeof(buf)))
		return -1;
	tp->pkey = (uint16_t)strtoul(buf, NULL, 0);
	tp->fd = umad_open_port(tp->dev, tp->port);
	if (tp->fd < 0) {
		fprintf(stderr, "dm_query: umad_open_port %s %d: %s\n", tp->dev,
			tp->port, strerror(-tp->fd));
		return -1;
	}
	/* No methods: this agent only receives answers to its requests. */
	tp->agent =
		umad_register(tp->fd, DM_MGMT_CLASS, DM_CLASS_VERSION, 0, NULL);
	if (tp->agent < 0) {
		fprintf(stderr, "dm_query: umad_register: %s\n",
			strerror(-tp->agent));
		return -1;
	}
	return 0;
}

/*
 * Get attr/mod from the port; the answer MAD into rsp.  Returns its DM
 * status (>= 0) or -1 when no answer came.
 */
static int dm_get(struct target_port *tp, uint16_t attr, uint32_t mod,
		  uint8_t rsp[DM_MAD_SIZE])
{
	alignas(8) uint8_t buf[512];
	ib_user_mad_t *um = (ib_user_mad_t *)buf;
	struct dm_mad *m = umad_get_mad(buf);
	uint32_t tid = ++tp->tid;
	int len, ret;

	memset(buf, 0, sizeof(buf));
	m->hdr.base_version = DM_MAD_BASE_VERSION;
	m->hdr.mgmt_class = DM_MGMT_CLASS;
	m->hdr.class_version = DM_CLASS_VERSION;
	m->hdr.method = DM_METHOD_GET;
	/* The kernel puts its agent id in the upper 32 bits. */
	put_be64(m->hdr.tid, tid);
	put_be16(m->hdr.attr_id, attr);
	put_be32(m->hdr.attr_mod, mod);
	umad_set_addr(buf, tp->lid, 1, 0, (int)DM_GSI_QKEY);
	um->addr.grh_present = 1;
	um->addr.gid_index = 0;
	um->addr.hop_limit = 64;
	memcpy(um->addr.gid, tp->gid, 16);
	umad_set_pkey(buf, 0);
	ret = umad_send(tp->fd, tp->agent, buf, DM_MAD_SIZE, TIMEOUT_MS,
			RETRIES);
	if (ret < 0) {
		fprintf(stderr, "dm_query: umad_send: %s\n", strerror(-ret));
		return -1;
	}
	for (;;) {
		len = DM_MAD_SIZE;
		ret = umad_recv(tp->fd, buf, &len, TIMEOUT_MS * (RETRIES + 2));
		if (ret < 0) {
			fprintf(stderr, "dm_query: umad_recv: %s\n",
				strerror(-ret));
			return -1;
		}
		if (umad_status(buf)) {
			fprintf(stderr,
				"dm_query: attribute 0x%04x: no answer (%s)\n",
				attr, strerror(umad_status(buf)));
			return -1;
		}
		if ((uint32_t)get_be64(m->hdr.tid) == tid)
			break;
	}
	memcpy(rsp, m, DM_MAD_SIZE);
	return get_be16(m->hdr.status);
}

static int query_slot(struct target_port *tp, unsigned int slot)
{
	uint8_t rsp[DM_MAD_SIZE];
	const struct dm_ioc_profile *p =
		(const struct dm_ioc_profile *)(rsp + 64);
	unsigned int n;
	uint64_t guid;
	int st;

	st = dm_get(tp, DM_ATTR_IOC_PROFILE, slot, rsp);
	if (st < 0)
		return -1;
	if (st) /* as srp_daemon: a slot that does not answer is skipped */
		return 0;
	guid = get_be64(p->guid);
	n = p->num_svc_entries;
	fprintf(stderr,
		"dm_query: slot %u: IOC 0x%016llx, %u entries, ID %.64s\n",
		slot, (unsigned long long)guid, n, (const char *)p->id_string);
	for (unsigned int first = 0; first < n; first += 4) {
		unsigned int last = MIN(first + 3, n - 1);

		st = dm_get(tp, DM_ATTR_SERVICE_ENTRIES,
			    slot << 16 | last << 8 | first, rsp);
		if (st < 0)
			return -1;
		if (st)
			continue;
		for (unsigned int i = 0; i <= last - first; i++) {
			const struct dm_svc_entry *e =
				(const struct dm_svc_entry *)(rsp + 64) + i;
			char name[41];

			memcpy(name, e->name, 40);
			name[40] = '\0';
			if (strncmp(name, DM_SRP_SVC_NAME_PREFIX, 8))
				continue;
			printf("id_ext=%s,ioc_guid=%016llx,dgid=", name + 8,
			       (unsigned long long)guid);
			for (int b = 0; b < 16; b++)
				printf("%02x", tp->gid[b]);
			printf(",pkey=%04x,service_id=%016llx\n",
			       tp->pkey & 0xffff,
			       (unsigned long long)get_be64(e->id));
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct target_port tp = { 0 };
	uint8_t rsp[DM_MAD_SIZE];
	const struct dm_iou_info *iou = (const struct dm_iou_info *)(rsp + 64);
	int st;

	if (argc != 3) {
		fprintf(stderr, "usage: dm_query DEV PORT\n");
		return 1;
	}
	tp.dev = argv[1];
	tp.port = atoi(argv[2]);
	if (port_setup(&tp))
		return 1;
	st = dm_get(&tp, DM_ATTR_IO_UNIT_INFO, 0, rsp);
	if (st < 0)
		return 1;
	if (st) {
		printf("status 0x%04x\n", st);
		return 2;
	}
	fprintf(stderr, "dm_query: change ID %u, %u controller(s)\n",
		get_be16(iou->change_id), iou->max_controllers);
	for (unsigned int slot = 1; slot <= iou->max_controllers; slot++) {
		uint8_t b = iou->controller_list[(slot - 1) / 2];
		uint8_t v = slot & 1 ? b >> 4 : b & 0xf;

		if (v == DM_SLOT_PRESENT && query_slot(&tp, slot))
			return 1;
	}
	umad_close_port(tp.fd);
	return 0;
}
