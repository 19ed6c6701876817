/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The DM agent's transport on the Linux MAD stack (src/fabric/dm.h
 * struct dm_transport_ops): libibumad for the ports' /dev/infiniband/umadN
 * and the port attributes in sysfs, ibv_query_device for the IDs an
 * IOControllerProfile carries (doc/discovery.md "The Linux MAD layer").
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/umad.h>
#include <infiniband/verbs.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "fabric/dm.h"
#include "log.h"
#include "util.h"

/* PortInfo CapabilityMask IsDeviceManagementSupported (IBA 14.2.5.6). */
#define UMAD_CAP_IS_DM 0x00080000u
/* Room for struct ib_user_mad (the address) before the MAD. */
#define UMAD_HDR_MAX 128

/* Vendor OUI, part ID and hardware version; zero if the device will not
 * open (the profile is still answered). */
static void umad_dev_attr(const char *dev, struct dm_dev_attr *out)
{
	struct ibv_device **list;
	struct ibv_device_attr da;
	struct ibv_context *ctx;
	int n = 0;

	memset(out, 0, sizeof(*out));
	list = ibv_get_device_list(&n);
	if (!list)
		return;
	for (int i = 0; i < n; i++) {
		if (strcmp(ibv_get_device_name(list[i]), dev))
			continue;
		ctx = ibv_open_device(list[i]);
		if (!ctx)
			break;
		if (!ibv_query_device(ctx, &da)) {
			out->vendor_id = da.vendor_id & 0xffffff;
			out->device_id = da.vendor_part_id;
			out->device_version = (uint16_t)da.hw_ver;
		}
		ibv_close_device(ctx);
		break;
	}
	ibv_free_device_list(list);
}

static int umad_dev_list(char (*names)[64], unsigned int max)
{
	char cas[UMAD_MAX_DEVICES][UMAD_CA_NAME_LEN];
	int n = umad_get_cas_names(cas, UMAD_MAX_DEVICES);

	if (n < 0)
		return n;
	n = MIN(n, (int)max);
	for (int i = 0; i < n; i++)
		snprintf(names[i], 64, "%.*s", UMAD_CA_NAME_LEN, cas[i]);
	return n;
}

static int umad_dev_query(const char *dev, struct dm_dev_info *out)
{
	umad_ca_t ca;
	int ret;

	ret = umad_get_ca(dev, &ca);
	if (ret < 0)
		return -ENODEV;
	memset(out, 0, sizeof(*out));
	out->node_guid = be64toh(ca.node_guid);
	out->n_ports = ca.numports > 0 ? (unsigned int)ca.numports : 0;
	/* iWARP devices have no MADs (and no umad device). */
	if (ca.node_type == IBV_NODE_RNIC) {
		umad_release_ca(&ca);
		umad_dev_attr(dev, &out->attr);
		return 0;
	}
	/* ports[] is indexed by port number (0 is a switch's). */
	for (int p = 1; p < UMAD_CA_MAX_PORTS && p <= ca.numports; p++) {
		const umad_port_t *port = ca.ports[p];

		if (!port)
			continue;
		out->mad_ports |= 1ull << (p - 1);
		if (!strcmp(port->link_layer, "InfiniBand"))
			out->ib_ports |= 1ull << (p - 1);
		if (be32toh(port->capmask) & UMAD_CAP_IS_DM)
			out->isdm_ports |= 1ull << (p - 1);
	}
	umad_release_ca(&ca);
	umad_dev_attr(dev, &out->attr);
	return 0;
}

static int umad_open(const char *dev, unsigned int port)
{
	int fd = umad_open_port(dev, (int)port);
	int fl;

	if (fd < 0)
		return fd;
	/* The loop reads it when readable; a read must never block. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int ret = -errno;

		umad_close_port(fd);
		return ret;
	}
	return fd;
}

static int umad_reg(int fd, uint8_t mgmt_class, uint8_t class_version,
		    uint64_t methods)
{
	/* umad_register(3): a 128-bit method mask in unsigned longs. */
	long mask[16 / sizeof(long)] = { 0 };
	const unsigned int bits = 8 * sizeof(long);

	for (unsigned int m = 0; m < 64; m++)
		if ((methods >> m) & 1)
			mask[m / bits] |= 1l << (m % bits);
	return umad_register(fd, mgmt_class, class_version, 0, mask);
}

static int umad_do_recv(int fd, void *mad, size_t len, int *agent,
			struct dm_mad_addr *from)
{
	alignas(8) uint8_t buf[UMAD_HDR_MAX + DM_MAD_SIZE];
	const ib_mad_addr_t *a;
	int n = DM_MAD_SIZE, ret;

	if (umad_size() > UMAD_HDR_MAX)
		return -EOVERFLOW;
	ret = umad_recv(fd, buf, &n, 0);
	if (ret < 0)
		return ret == -ETIMEDOUT ? -EAGAIN : ret;
	*agent = ret;
	/* A status is a send report (e.g. a timeout), no request. */
	if (umad_status(buf))
		return 0;
	a = umad_get_mad_addr(buf);
	from->qpn = be32toh(a->qpn);
	from->qkey = be32toh(a->qkey);
	from->lid = be16toh(a->lid);
	from->sl = a->sl;
	from->path_bits = a->path_bits;
	from->grh = a->grh_present;
	from->gid_index = a->gid_index;
	from->hop_limit = a->hop_limit;
	from->traffic_class = a->traffic_class;
	from->flow_label = be32toh(a->flow_label);
	memcpy(from->gid, a->gid, 16);
	from->pkey_index = a->pkey_index;
	n = n < 0 ? 0 : n > DM_MAD_SIZE ? DM_MAD_SIZE : n;
	if ((size_t)n > len)
		n = (int)len;
	memcpy(mad, umad_get_mad(buf), (size_t)n);
	return n;
}

static int umad_do_send(int fd, int agent, const void *mad, size_t len,
			const struct dm_mad_addr *to)
{
	alignas(8) uint8_t buf[UMAD_HDR_MAX + DM_MAD_SIZE];
	ib_user_mad_t *um = (ib_user_mad_t *)buf;

	if (umad_size() > UMAD_HDR_MAX || len > DM_MAD_SIZE)
		return -EOVERFLOW;
	memset(buf, 0, sizeof(buf));
	memcpy(umad_get_mad(buf), mad, len);
	/* The whole address, network order as ib_mad_addr wants; the
	 * umad_set_* helpers would leave gid_index out. */
	um->addr.qpn = htobe32(to->qpn);
	um->addr.qkey = htobe32(to->qkey);
	um->addr.lid = htobe16(to->lid);
	um->addr.sl = to->sl;
	um->addr.path_bits = to->path_bits;
	um->addr.grh_present = to->grh;
	if (to->grh) {
		um->addr.gid_index = to->gid_index;
		um->addr.hop_limit = to->hop_limit;
		um->addr.traffic_class = to->traffic_class;
		um->addr.flow_label = htobe32(to->flow_label);
		memcpy(um->addr.gid, to->gid, 16);
	}
	um->addr.pkey_index = to->pkey_index;
	/* A response: no retries, no response to wait for. */
	return umad_send(fd, agent, buf, (int)len, 0, 0);
}

static void umad_do_close(int fd)
{
	umad_close_port(fd);
}

const struct dm_transport_ops dm_umad_ops = {
	.name = "umad",
	.dev_list = umad_dev_list,
	.dev_query = umad_dev_query,
	.open = umad_open,
	.reg = umad_reg,
	.recv = umad_do_recv,
	.send = umad_do_send,
	.close = umad_do_close,
};
