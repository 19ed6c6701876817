/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: what the ports in use are (main thread): state, link
 * layer and the addresses an initiator logs in to, read from the port
 * attributes and the GID table, for the logs and for the daemon's login
 * strings (doc/verbs.md "Devices and ports").
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/verbs/verbs_int.h"

/* GID table entries read at most (rxe has 1024 per port). */
#define V_GID_ENTRIES_MAX 4096

static bool v_addr_seen(const struct fabric_verbs_port_info *pi, const char *a)
{
	for (unsigned int i = 0; i < pi->n_addrs; i++)
		if (!strcmp(pi->addrs[i], a))
			return true;
	return false;
}

static void v_addr_add(struct fabric_verbs_port_info *pi, const char *a)
{
	if (pi->n_addrs < FABRIC_VERBS_MAX_ADDRS && !v_addr_seen(pi, a))
		snprintf(pi->addrs[pi->n_addrs++], sizeof(pi->addrs[0]), "%s",
			 a);
}

/*
 * Login addresses of a port from its GID table: on InfiniBand the port
 * GID (index 0), 32 hex digits as ib_srp's dgid= takes it; on RoCE the
 * IP addresses behind the RoCE v2 GIDs (an IPv4-mapped GID is an IPv4
 * address, IBA annex A17), link-local ones left out (a dest= cannot name
 * their scope).
 */
static void v_port_addrs(struct vdev *d, unsigned int port, bool ib,
			 struct fabric_verbs_port_info *pi)
{
	static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0,	 0,
					       0, 0, 0, 0, 0xff, 0xff };
	struct ibv_gid_entry *e;
	size_t max = (size_t)umin(d->attr.phys_port_cnt, 32) * 1024;
	ssize_t n;

	if (ib) {
		union ibv_gid gid;
		char hex[33];

		if (ibv_query_gid(d->ctx, port, 0, &gid))
			return;
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", gid.raw[i]);
		v_addr_add(pi, hex);
		return;
	}
	max = max < V_GID_ENTRIES_MAX ? max : V_GID_ENTRIES_MAX;
	e = calloc(max ? max : 1, sizeof(*e));
	if (!e)
		return;
	n = ibv_query_gid_table(d->ctx, e, max, 0);
	for (ssize_t i = 0; i < n; i++) {
		char buf[INET6_ADDRSTRLEN];
		const uint8_t *g = e[i].gid.raw;

		if (e[i].port_num != port ||
		    e[i].gid_type != IBV_GID_TYPE_ROCE_V2)
			continue;
		if (!memcmp(g, v4_prefix, sizeof(v4_prefix))) {
			if (inet_ntop(AF_INET, g + 12, buf, sizeof(buf)))
				v_addr_add(pi, buf);
		} else if (!(g[0] == 0xfe && (g[1] & 0xc0) == 0x80)) {
			if (inet_ntop(AF_INET6, g, buf, sizeof(buf)))
				v_addr_add(pi, buf);
		}
	}
	free(e);
}

int v_port_info(struct vdev *d, unsigned int port,
		struct fabric_verbs_port_info *pi)
{
	struct ibv_port_attr pa;

	memset(pi, 0, sizeof(*pi));
	snprintf(pi->ref.dev_name, sizeof(pi->ref.dev_name), "%s", d->name);
	pi->ref.port = port;
	pi->ref.node_guid = be64toh(d->attr.node_guid);
	pi->ib = d->ib_port_mask & (1u << port);
	if (ibv_query_port(d->ctx, port, &pa))
		return -errno;
	pi->active = pa.state == IBV_PORT_ACTIVE;
	snprintf(pi->state, sizeof(pi->state), "%s",
		 ibv_port_state_str(pa.state));
	v_port_addrs(d, port, pi->ib, pi);
	return 0;
}

char *fabric_verbs_port_str(const struct fabric_verbs_port_info *pi, char *buf,
			    size_t len)
{
	size_t off;

	off = snprintf(buf, len, "%s port %u: %s, %s, node GUID 0x%016llx",
		       pi->ref.dev_name, pi->ref.port, pi->state,
		       pi->ib ? "InfiniBand" : "Ethernet",
		       (unsigned long long)pi->ref.node_guid);
	for (unsigned int i = 0; i < pi->n_addrs && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s",
				i      ? " " :
				pi->ib ? ", GID " :
					 ", addresses ",
				pi->addrs[i]);
	if (!pi->n_addrs && off < len)
		snprintf(buf + off, len - off, ", no %s yet",
			 pi->ib ? "GID" : "IP address");
	return buf;
}

unsigned int fabric_verbs_ports(struct fabric *f,
				struct fabric_verbs_port_info *out,
				unsigned int max)
{
	struct verbs_fabric *vf = vf_of(f);
	unsigned int n = 0;

	for (unsigned int i = 0; i < vf->ndev; i++) {
		struct vdev *d = &vf->devs[i];

		if (atomic_load(&d->state) != VD_ACTIVE)
			continue;
		for (unsigned int p = 1; p < 32 && n < max; p++)
			if ((d->port_mask & (1u << p)) &&
			    v_port_info(d, p, &out[n]) == 0)
				n++;
	}
	return n;
}

void v_dev_log_up(struct vdev *d, const char *was)
{
	struct fabric_verbs_port_info pi;
	char buf[512];

	vdev_log(LOG_NOTICE, d, "up: node GUID 0x%016llx%s%s%s",
		 (unsigned long long)be64toh(d->attr.node_guid),
		 was ? " (before: " : "", was ? was : "", was ? ")" : "");
	for (unsigned int p = 1; p < 32; p++) {
		if (!(d->port_mask & (1u << p)))
			continue;
		if (v_port_info(d, p, &pi))
			vdev_log(LOG_WARNING, d, "port %u: query: %m", p);
		else
			pr_log(LOG_NOTICE, LOG_C_FABRIC, "verbs %s",
			       fabric_verbs_port_str(&pi, buf, sizeof(buf)));
	}
}
