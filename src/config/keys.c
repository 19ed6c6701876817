/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The configuration's key table: every setting srptd accepts, with its
 * type, range, default and what a reload does with a change.  The order of
 * each table is the order of config_dump()'s output.  srptd.conf(5)
 * documents every key; tests/unit/config/test_config_keys.c checks that it
 * and conf/srptd.conf name exactly these keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "srptd/version.h" /* SRPTD_DEFAULT_INCLUDE_DIR */

#define TOP(m) offsetof(struct config, m)
#define DEV(m) offsetof(struct config_device, m)
#define TGT(m) offsetof(struct config_target, m)
#define GRP(m) offsetof(struct config_group, m)
#define LUN(m) offsetof(struct config_lun, m)
#define PEER(m) offsetof(struct config_alua_group, m)
#define BUF(type, m) sizeof(((type *)0)->m)
#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct cfg_key cfg_top_keys[] = {
	{ "version", CFG_T_VERSION, TOP(version), .def = 1 },
	{ "daemon.log_level", CFG_T_LOG_LEVEL, TOP(daemon.log_level),
	  .def_s = "info" },
	{ "daemon.log_components", CFG_T_LOG_COMPONENTS,
	  TOP(daemon.log_components), .def_list = LIST(NULL) },
	{ "daemon.workers", CFG_T_U32, TOP(daemon.workers), .min = 0,
	  .max = CFG_MAX_WORKERS, .def = 0, .reload = CFG_RELOAD_RESTART },
	/* Workers read it when they start (doc/performance.md). */
	{ "daemon.busy_poll_us", CFG_T_U32, TOP(daemon.busy_poll_us), .min = 0,
	  .max = CFG_MAX_BUSY_POLL_US, .def = 0, .reload = CFG_RELOAD_RESTART },
	{ "daemon.include_dir", CFG_T_PATH, TOP(daemon.include_dir),
	  .size = BUF(struct config, daemon.include_dir),
	  .def_s = SRPTD_DEFAULT_INCLUDE_DIR,
	  .flags = CFG_K_EMPTY_OK | CFG_K_MAIN_ONLY },
	/*
	 * srptadm's socket (srptadm(8)); "" = none.  It is bound once at
	 * start; the group is looked up again on every reload.
	 */
	{ "daemon.control_socket", CFG_T_PATH, TOP(daemon.control_socket),
	  .size = BUF(struct config, daemon.control_socket),
	  .def_s = SRPTD_DEFAULT_CONTROL_SOCKET, .reload = CFG_RELOAD_RESTART,
	  .flags = CFG_K_EMPTY_OK | CFG_K_MAIN_ONLY },
	{ "daemon.control_group", CFG_T_NAME, TOP(daemon.control_group),
	  .size = BUF(struct config, daemon.control_group), .def_s = "",
	  .reload = CFG_RELOAD_LIVE,
	  .flags = CFG_K_EMPTY_OK | CFG_K_MAIN_ONLY },
	/*
	 * The metrics endpoint has no authentication: loopback only (a
	 * local agent or an SSH tunnel brings it further).
	 */
	{ "daemon.metrics", CFG_T_ADDRESS, TOP(daemon.metrics),
	  .size = BUF(struct config, daemon.metrics), .def_s = "",
	  .reload = CFG_RELOAD_LIVE, .flags = CFG_K_LOOPBACK },
	/*
	 * Devices keep the directory they were opened with: a new one
	 * applies to all of them after a restart.
	 */
	{ "daemon.state_dir", CFG_T_PATH, TOP(daemon.state_dir),
	  .size = BUF(struct config, daemon.state_dir), .def_s = SRPTD_STATEDIR,
	  .reload = CFG_RELOAD_RESTART,
	  .flags = CFG_K_EMPTY_OK | CFG_K_MAIN_ONLY },
	/* The fabric is set up once at start: a change needs a restart (the
	 * DM agent's keys aside). */
	{ "fabric.ports", CFG_T_PORTS, TOP(fabric.ports), TOP(fabric.n_ports),
	  .def_list = LIST("*"), .reload = CFG_RELOAD_RESTART },
	{ "fabric.ib_cm.enabled", CFG_T_BOOL, TOP(fabric.ib_cm_enabled),
	  .def = true, .reload = CFG_RELOAD_RESTART,
	  .flags = CFG_K_DUMP_INLINE },
	{ "fabric.rdma_cm.enabled", CFG_T_BOOL, TOP(fabric.rdma_cm_enabled),
	  .def = true, .reload = CFG_RELOAD_RESTART },
	/* Port 5000 is the convention of the kernel's ib_srpt target. */
	{ "fabric.rdma_cm.listen", CFG_T_LISTEN, TOP(fabric.listen),
	  TOP(fabric.n_listen), .def_list = LIST("0.0.0.0:5000", "[::]:5000"),
	  .reload = CFG_RELOAD_RESTART },
	/*
	 * The DM agent follows a reload (doc/discovery.md); 64 bytes is the
	 * IOControllerProfile ID string field (IBA 16.3.3.4).
	 */
	{ "fabric.dm_agent", CFG_T_BOOL, TOP(fabric.dm_agent), .def = true,
	  .reload = CFG_RELOAD_LIVE },
	{ "fabric.dm_id_string", CFG_T_ASCII, TOP(fabric.dm_id_string),
	  .size = BUF(struct config, fabric.dm_id_string),
	  .def_s = "srptd SRP target", .reload = CFG_RELOAD_LIVE,
	  .flags = CFG_K_SPACES },
	/*
	 * SRP_CMD is 48 bytes + 20 of additional CDB/descriptor header; Linux
	 * asks for 8260-byte IUs with immediate data (srptd.conf(5)), the
	 * kernel target's default is 8276.
	 */
	{ "fabric.max_req_size", CFG_T_U32, TOP(fabric.max_req_size), .min = 68,
	  .max = 65536, .def = 8276, .reload = CFG_RELOAD_RESTART },
	/* SRP_RSP header is 36 bytes; + 4 of response data (ib_srpt min). */
	{ "fabric.max_rsp_size", CFG_T_U32, TOP(fabric.max_rsp_size), .min = 40,
	  .max = 4096, .def = 256, .reload = CFG_RELOAD_RESTART },
	{ "fabric.max_rdma_size", CFG_T_U32, TOP(fabric.max_rdma_size),
	  .min = 4096, .max = 16 << 20, .def = 1 << 20,
	  .reload = CFG_RELOAD_RESTART },
	{ "fabric.queue_depth", CFG_T_U32, TOP(fabric.queue_depth), .min = 2,
	  .max = 4096, .def = 128, .reload = CFG_RELOAD_RESTART },
	/* Channels' QPs attach to a shared receive queue (srptd.conf(5)
	 * use_srq; ib_srpt defaults to per-channel queues instead). */
	{ "fabric.use_srq", CFG_T_BOOL, TOP(fabric.use_srq), .def = true,
	  .reload = CFG_RELOAD_RESTART },
	{ "fabric.srq_size", CFG_T_U32, TOP(fabric.srq_size), .min = 4,
	  .max = 65535, .def = 4095, .reload = CFG_RELOAD_RESTART },
	/* 0 = chosen by the fabric from queue_depth and the HCA limits. */
	{ "fabric.send_queue_size", CFG_T_U32, TOP(fabric.send_queue_size),
	  .min = 0, .max = 65535, .def = 0, .reload = CFG_RELOAD_RESTART },
	/* Backend defaults reach the devices; a changed device reopens. */
	{ "backend_defaults.engine", CFG_T_ENGINE, TOP(backend.engine),
	  .def_s = "io_uring", .reload = CFG_RELOAD_REOPEN },
	{ "backend_defaults.fallback", CFG_T_FALLBACK, TOP(backend.fallback),
	  TOP(backend.n_fallback), .def_list = LIST("aio", "sync"),
	  .reload = CFG_RELOAD_REOPEN },
	{ "backend_defaults.direct_io", CFG_T_BOOL, TOP(backend.direct_io),
	  .def = true, .reload = CFG_RELOAD_REOPEN },
	/* Seconds; 0 = never (doc/scsi-commands.md "A stuck backend"). */
	{ "backend_defaults.stuck_io_warn", CFG_T_U32,
	  TOP(backend.stuck_io_warn), .min = 0, .max = 86400, .def = 30,
	  .reload = CFG_RELOAD_RESTART },
	/*
	 * ALUA (doc/ha.md): a state change reaches the initiators at once
	 * as ASYMMETRIC ACCESS STATE CHANGED (SPC-4 5.16.2.7).
	 */
	{ "alua.group_id", CFG_T_U32, TOP(alua.group_id), .min = 1,
	  .max = 65535, .def = 1, .reload = CFG_RELOAD_LIVE },
	{ "alua.state", CFG_T_ALUA_STATE, TOP(alua.state),
	  .def_s = "active/optimized", .reload = CFG_RELOAD_LIVE },
	{ "alua.peer_groups", CFG_T_ALUA_PEERS, TOP(alua),
	  .reload = CFG_RELOAD_LIVE, .sub = &cfg_alua_peers,
	  .elem_size = sizeof(struct config_alua_group) },
	{ "devices", CFG_T_LIST, TOP(devices), TOP(n_devices),
	  .reload = CFG_RELOAD_REOPEN, .sub = &cfg_devices,
	  .elem_size = sizeof(struct config_device) },
	{ "targets", CFG_T_LIST, TOP(targets), TOP(n_targets),
	  .reload = CFG_RELOAD_RELOGIN, .sub = &cfg_targets,
	  .elem_size = sizeof(struct config_target) },
};

/* A device whose settings changed is a new storage object on reload. */
static const struct cfg_key cfg_device_keys[] = {
	{ "name", CFG_T_NAME, DEV(name),
	  .size = BUF(struct config_device, name), .reload = CFG_RELOAD_REOPEN,
	  .flags = CFG_K_ID },
	{ "path", CFG_T_PATH, DEV(path),
	  .size = BUF(struct config_device, path), .def_s = "",
	  .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_DUMP_IF_SET },
	{ "engine", CFG_T_ENGINE, DEV(engine), .reload = CFG_RELOAD_REOPEN,
	  .flags = CFG_K_FROM_BACKEND },
	{ "fallback", CFG_T_FALLBACK, DEV(fallback), DEV(n_fallback),
	  .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_FROM_BACKEND },
	{ "size", CFG_T_SIZE, DEV(size), .def = 0, .reload = CFG_RELOAD_REOPEN,
	  .flags = CFG_K_DUMP_IF_SET },
	{ "block_size", CFG_T_BLOCK_SIZE, DEV(block_size), .def = 0,
	  .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_DUMP_IF_SET },
	{ "create", CFG_T_BOOL, DEV(create), .def = false,
	  .reload = CFG_RELOAD_REOPEN },
	{ "write_cache", CFG_T_BOOL, DEV(write_cache), .def = true,
	  .reload = CFG_RELOAD_REOPEN },
	{ "read_only", CFG_T_BOOL, DEV(read_only), .def = false,
	  .reload = CFG_RELOAD_REOPEN },
	{ "direct_io", CFG_T_BOOL, DEV(direct_io), .reload = CFG_RELOAD_REOPEN,
	  .flags = CFG_K_FROM_BACKEND },
	{ "serial", CFG_T_ASCII, DEV(serial),
	  .size = BUF(struct config_device, serial), .def_s = "",
	  .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_DUMP_IF_SET },
	{ "naa", CFG_T_NAA, DEV(naa), .size = BUF(struct config_device, naa),
	  .def_s = "", .reload = CFG_RELOAD_REOPEN,
	  .flags = CFG_K_DUMP_IF_SET },
	/* SPC-4 6.6.2 (INQUIRY): vendor 8, product 16, revision 4 bytes. */
	{ "vendor", CFG_T_ASCII, DEV(vendor),
	  .size = BUF(struct config_device, vendor), .def_s = "SRPTD",
	  .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_SPACES },
	{ "product", CFG_T_ASCII, DEV(product),
	  .size = BUF(struct config_device, product), .def_s = "VIRTUAL-DISK",
	  .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_SPACES },
	{ "revision", CFG_T_ASCII, DEV(revision),
	  .size = BUF(struct config_device, revision), .def_s = "0001",
	  .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_SPACES },
	/* Another host exports the same storage: see doc/scsi-commands.md
	 * "Persistent reservations" for what that changes. */
	{ "shared", CFG_T_BOOL, DEV(shared), .def = false,
	  .reload = CFG_RELOAD_REOPEN },
	/* The rbd engine's keys (doc/ceph.md); cfg_check_device() ties them
	 * to engine = "rbd". */
	{ "rbd_image", CFG_T_ASCII, DEV(rbd_image),
	  .size = BUF(struct config_device, rbd_image), .def_s = "",
	  .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_DUMP_IF_SET },
	{ "ceph_conf", CFG_T_PATH, DEV(ceph_conf),
	  .size = BUF(struct config_device, ceph_conf), .def_s = "",
	  .reload = CFG_RELOAD_REOPEN,
	  .flags = CFG_K_DUMP_IF_SET | CFG_K_EMPTY_OK },
	{ "ceph_client", CFG_T_NAME, DEV(ceph_client),
	  .size = BUF(struct config_device, ceph_client), .def_s = "",
	  .reload = CFG_RELOAD_REOPEN,
	  .flags = CFG_K_DUMP_IF_SET | CFG_K_EMPTY_OK },
	{ "ceph_keyring", CFG_T_PATH, DEV(ceph_keyring),
	  .size = BUF(struct config_device, ceph_keyring), .def_s = "",
	  .reload = CFG_RELOAD_REOPEN,
	  .flags = CFG_K_DUMP_IF_SET | CFG_K_EMPTY_OK },
	{ "ceph_timeout", CFG_T_U32, DEV(ceph_timeout), .min = 0, .max = 3600,
	  .def = 0, .reload = CFG_RELOAD_REOPEN, .flags = CFG_K_DUMP_IF_SET },
};

/* A target whose definition changed logs its initiators out on reload. */
static const struct cfg_key cfg_target_keys[] = {
	{ "name", CFG_T_NAME, TGT(name),
	  .size = BUF(struct config_target, name), .reload = CFG_RELOAD_RELOGIN,
	  .flags = CFG_K_ID },
	/* The login's target port ID is id_ext then ioc_guid (SRP r16a). */
	{ "id_ext", CFG_T_GUID, TGT(id_ext), TGT(id_ext_auto), .def_s = "auto",
	  .reload = CFG_RELOAD_RELOGIN },
	{ "ioc_guid", CFG_T_GUID, TGT(ioc_guid), TGT(ioc_guid_auto),
	  .def_s = "auto", .reload = CFG_RELOAD_RELOGIN },
	{ "ports", CFG_T_PORTS, TGT(ports), TGT(n_ports), .def_list = LIST("*"),
	  .reload = CFG_RELOAD_RELOGIN },
	{ "unknown_initiators", CFG_T_POLICY, TGT(unknown_initiators),
	  .def = CONFIG_UNKNOWN_DENY, .reload = CFG_RELOAD_RELOGIN },
	/* SPC-4 7.8.6.6 relative target port; 0 = position in the file. */
	{ "relative_port_id", CFG_T_U32, TGT(relative_port_id), .min = 0,
	  .max = 65535, .def = 0, .reload = CFG_RELOAD_RELOGIN,
	  .flags = CFG_K_DUMP_IF_SET },
	{ "lun_map", CFG_T_LUN_MAP, TGT(luns), TGT(n_luns),
	  .reload = CFG_RELOAD_RELOGIN, .sub = &cfg_lun_entries,
	  .elem_size = sizeof(struct config_lun) },
	{ "groups", CFG_T_LIST, TGT(groups), TGT(n_groups),
	  .reload = CFG_RELOAD_RELOGIN, .sub = &cfg_groups,
	  .elem_size = sizeof(struct config_group) },
};

static const struct cfg_key cfg_group_keys[] = {
	{ "name", CFG_T_NAME, GRP(name), .size = BUF(struct config_group, name),
	  .reload = CFG_RELOAD_RELOGIN, .flags = CFG_K_ID },
	{ "initiators", CFG_T_GIDS, GRP(initiators), GRP(n_initiators),
	  .reload = CFG_RELOAD_RELOGIN },
	{ "lun_map", CFG_T_LUN_MAP, GRP(luns), GRP(n_luns),
	  .reload = CFG_RELOAD_RELOGIN, .sub = &cfg_lun_entries,
	  .elem_size = sizeof(struct config_lun) },
};

/* The entries of every lun_map, the target's and the groups'. */
static const struct cfg_key cfg_lun_keys[] = {
	{ "lun", CFG_T_LUN, LUN(lun), .min = 0, .max = CFG_MAX_LUN,
	  .reload = CFG_RELOAD_RELOGIN },
	{ "device", CFG_T_DEVICE_REF, LUN(device),
	  .reload = CFG_RELOAD_RELOGIN },
	{ "read_only", CFG_T_BOOL, LUN(read_only), .def = false,
	  .reload = CFG_RELOAD_RELOGIN },
};

/* A partner srptd's target port group (alua.c, doc/ha.md). */
static const struct cfg_key cfg_alua_peer_keys[] = {
	{ "id", CFG_T_U32, PEER(id), .min = 1, .max = 65535,
	  .reload = CFG_RELOAD_LIVE },
	{ "state", CFG_T_ALUA_STATE, PEER(state),
	  .def_s = "active/non-optimized", .reload = CFG_RELOAD_LIVE },
	{ "relative_port_ids", CFG_T_RTPIS, PEER(ports), PEER(n_ports),
	  .reload = CFG_RELOAD_LIVE },
};

#define SECTION(p, k)               \
	{                           \
		p, k, ARRAY_SIZE(k) \
	}
_Static_assert(ARRAY_SIZE(cfg_device_keys) <= CFG_MAX_SECTION_KEYS &&
		       ARRAY_SIZE(cfg_target_keys) <= CFG_MAX_SECTION_KEYS &&
		       ARRAY_SIZE(cfg_group_keys) <= CFG_MAX_SECTION_KEYS &&
		       ARRAY_SIZE(cfg_lun_keys) <= CFG_MAX_SECTION_KEYS,
	       "cfg_parse_entry()'s arrays hold every key of an entry");
const struct cfg_section cfg_top = SECTION("", cfg_top_keys);
const struct cfg_section cfg_devices = SECTION("devices", cfg_device_keys);
const struct cfg_section cfg_targets = SECTION("targets", cfg_target_keys);
const struct cfg_section cfg_groups = SECTION("targets.groups", cfg_group_keys);
const struct cfg_section cfg_lun_entries = SECTION("lun_map", cfg_lun_keys);
const struct cfg_section cfg_alua_peers =
	SECTION("alua.peer_groups", cfg_alua_peer_keys);

static const struct cfg_section *const cfg_sections[] = {
	&cfg_top,    &cfg_devices,     &cfg_targets,
	&cfg_groups, &cfg_lun_entries, &cfg_alua_peers,
};

const struct cfg_key *cfg_key_find(const struct cfg_section *sec,
				   const char *path)
{
	for (unsigned int i = 0; i < sec->n_keys; i++)
		if (!strcmp(sec->keys[i].path, path))
			return &sec->keys[i];
	return NULL;
}

bool cfg_key_is_group(const struct cfg_section *sec, const char *path)
{
	size_t len = strlen(path);

	for (unsigned int i = 0; i < sec->n_keys; i++)
		if (!strncmp(sec->keys[i].path, path, len) &&
		    sec->keys[i].path[len] == '.')
			return true;
	return false;
}

int config_key_path(unsigned int i, char *buf, size_t size)
{
	for (size_t s = 0; s < ARRAY_SIZE(cfg_sections); s++) {
		const struct cfg_section *sec = cfg_sections[s];

		if (i >= sec->n_keys) {
			i -= sec->n_keys;
			continue;
		}
		if ((size_t)snprintf(buf, size, "%s%s%s", sec->path,
				     sec->path[0] ? "." : "",
				     sec->keys[i].path) >= size)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}

static int cfg_engine_parse(const char *name)
{
	for (int i = 0; i < CONFIG_ENGINE_COUNT; i++)
		if (!strcmp(name, cfg_engine_names[i]))
			return i;
	return -1;
}

static unsigned int cfg_list_len(const char *const *l)
{
	unsigned int n = 0;

	while (l && l[n])
		n++;
	return n;
}

/* Default of one key; the table's defaults are valid by construction. */
static int cfg_key_default(const struct cfg_key *k, void *base,
			   const struct config *cfg)
{
	void *p = cfg_key_ptr(k, base);
	unsigned int *n = (unsigned int *)((char *)base + k->off_n);
	unsigned int len = cfg_list_len(k->def_list);

	if (k->flags & CFG_K_FROM_BACKEND) {
		const void *bp;
		char path[64];

		cfg_fmt(path, sizeof(path), "backend_defaults.%s", k->path);
		bp = cfg_key_cptr(cfg_key_find(&cfg_top, path), cfg);
		switch (k->type) {
		case CFG_T_ENGINE:
			*(enum config_engine *)p =
				*(const enum config_engine *)bp;
			break;
		case CFG_T_FALLBACK:
			memcpy(p, bp, sizeof(cfg->backend.fallback));
			*n = cfg->backend.n_fallback;
			break;
		default:
			*(bool *)p = *(const bool *)bp;
			break;
		}
		return 0;
	}
	switch (k->type) {
	case CFG_T_VERSION:
	case CFG_T_U32:
	case CFG_T_BLOCK_SIZE:
		*(uint32_t *)p = (uint32_t)k->def;
		break;
	case CFG_T_BOOL:
		*(bool *)p = k->def != 0;
		break;
	case CFG_T_SIZE:
		*(uint64_t *)p = (uint64_t)k->def;
		break;
	case CFG_T_POLICY:
		*(enum config_unknown_policy *)p =
			(enum config_unknown_policy)k->def;
		break;
	case CFG_T_ALUA_STATE:
		*(enum config_alua_state *)p =
			config_alua_state_parse(k->def_s);
		break;
	case CFG_T_ALUA_PEERS:
		((struct config_alua *)p)->n_peers = 0;
		break;
	case CFG_T_RTPIS:
		*n = 0;
		break;
	case CFG_T_NAME:
	case CFG_T_PATH:
	case CFG_T_ADDRESS:
	case CFG_T_ASCII:
	case CFG_T_NAA:
		if (k->def_s)
			cfg_copy(p, k->size, k->def_s);
		break;
	case CFG_T_LOG_LEVEL:
		*(int *)p = log_level_parse(k->def_s);
		break;
	case CFG_T_LOG_COMPONENTS:
		*(unsigned int *)p = 0;
		for (unsigned int i = 0; i < len; i++)
			*(unsigned int *)p |=
				1u << log_component_parse(k->def_list[i]);
		break;
	case CFG_T_ENGINE:
		*(enum config_engine *)p = cfg_engine_parse(k->def_s);
		break;
	case CFG_T_FALLBACK:
		for (unsigned int i = 0; i < len; i++)
			((enum config_engine *)p)[i] =
				cfg_engine_parse(k->def_list[i]);
		*n = len;
		break;
	case CFG_T_PORTS: {
		char(*ports)[64] = calloc(len ? len : 1, sizeof(*ports));

		if (!ports)
			return -ENOMEM;
		for (unsigned int i = 0; i < len; i++)
			cfg_copy(ports[i], sizeof(ports[i]), k->def_list[i]);
		*(char(**)[64])p = ports;
		*n = len;
		break;
	}
	case CFG_T_LISTEN: {
		struct config_listen *l = calloc(len ? len : 1, sizeof(*l));

		if (!l)
			return -ENOMEM;
		for (unsigned int i = 0; i < len; i++)
			config_parse_listen(k->def_list[i], &l[i]);
		*(struct config_listen **)p = l;
		*n = len;
		break;
	}
	case CFG_T_GUID: /* "auto" */
		*(uint64_t *)p = 0;
		*(bool *)n = true;
		break;
	default: /* lists and LUN entries: filled by dedicated code */
		break;
	}
	return 0;
}

int cfg_keys_default(const struct cfg_section *sec, void *base,
		     const struct config *cfg)
{
	for (unsigned int i = 0; i < sec->n_keys; i++)
		if (cfg_key_default(&sec->keys[i], base, cfg))
			return -ENOMEM;
	return 0;
}
