/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Configuration: /etc/srptd.conf (libconfig) plus include_dir/ *.conf drop-ins
 * merged in name order, parsed into one immutable, fully validated struct.
 * Reload builds a new struct and swaps it in; nothing ever mutates a loaded
 * config.  Schema: man/srptd.conf.5.
 */
#ifndef SRPTD_CONFIG_H
#define SRPTD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_ERRORS 64

/* One error, printed as "file:line: message" (line 0: no line known). */
struct config_error {
	char file[256];
	int line;
	char msg[256];
};

struct config_errors {
	unsigned int n;
	unsigned int dropped; /* errors beyond CONFIG_MAX_ERRORS */
	struct config_error e[CONFIG_MAX_ERRORS];
};

enum config_engine {
	CONFIG_ENGINE_IO_URING,
	CONFIG_ENGINE_AIO,
	CONFIG_ENGINE_SYNC,
	CONFIG_ENGINE_NULL,
	CONFIG_ENGINE_RBD, /* accepted only when built in (SRPTD_HAVE_RBD) */
	CONFIG_ENGINE_COUNT
};

struct config_listen {
	char addr[64]; /* numeric IPv4/IPv6 address, "0.0.0.0", "::" */
	uint16_t port;
};

struct config_daemon {
	int log_level; /* LOG_ERR..LOG_DEBUG */
	unsigned int log_components; /* bitmask of 1 << LOG_C_x; 0 = all */
	unsigned int workers; /* 0 = auto */
	unsigned int busy_poll_us; /* a worker's busy-poll window; 0 = off */
	char include_dir[256];
	char control_socket[108]; /* sun_path; "" = no control socket */
	char control_group[64]; /* "" = root only */
	/* Prometheus endpoint: "" = off, else a loopback "addr:port". */
	char metrics[64];
	/* APTPL reservation files (doc/scsi-commands.md); "" = no APTPL. */
	char state_dir[256];
};

struct config_fabric {
	unsigned int n_ports;
	char (*ports)[64]; /* "*" or "mlx5_0:1" */
	bool ib_cm_enabled;
	bool rdma_cm_enabled;
	unsigned int n_listen;
	struct config_listen *listen;
	bool dm_agent; /* answer Device Management queries */
	char dm_id_string[65]; /* IOControllerProfile ID string */
	uint32_t max_req_size; /* bytes, 68..65536, default 8276 */
	uint32_t max_rsp_size;
	uint32_t max_rdma_size;
	uint32_t queue_depth; /* credits per channel */
	bool use_srq;
	uint32_t srq_size;
	uint32_t send_queue_size; /* 0 = chosen by the fabric */
};

struct config_backend_defaults {
	enum config_engine engine;
	unsigned int n_fallback;
	enum config_engine fallback[CONFIG_ENGINE_COUNT];
	bool direct_io;
	uint32_t stuck_io_warn; /* seconds; 0 = never */
};

/*
 * Asymmetric logical unit access (doc/ha.md, SPC-4 5.16): this srptd's
 * target port group and its state, and the groups of partner srptd hosts
 * that present the same devices.
 */
enum config_alua_state { /* the SPC-4 6.37 codes */
			 CONFIG_ALUA_ACTIVE_OPTIMIZED = 0,
			 CONFIG_ALUA_ACTIVE_NON_OPTIMIZED = 1,
			 CONFIG_ALUA_STANDBY = 2,
			 CONFIG_ALUA_UNAVAILABLE = 3,
};
#define CONFIG_ALUA_MAX_PEERS 8
#define CONFIG_ALUA_MAX_PORTS 16
struct config_alua_group {
	uint32_t id; /* 1..65535 */
	enum config_alua_state state;
	unsigned int n_ports;
	uint16_t ports[CONFIG_ALUA_MAX_PORTS]; /* relative target port ids */
	int line; /* where defined, for diagnostics */
	char file[256];
};
struct config_alua {
	uint32_t group_id;
	enum config_alua_state state;
	unsigned int n_peers;
	struct config_alua_group peers[CONFIG_ALUA_MAX_PEERS];
};

struct config_device {
	char name[64];
	char path[256]; /* "" for null */
	enum config_engine engine;
	unsigned int n_fallback;
	enum config_engine fallback[CONFIG_ENGINE_COUNT];
	uint64_t size; /* bytes; 0 = from the file/device */
	uint32_t block_size; /* 512 or 4096; 0 = from device (null: 512) */
	bool create; /* create a sparse file of size */
	bool write_cache;
	bool read_only;
	bool direct_io;
	char serial[64]; /* "" = derived */
	char naa[33]; /* 32 lower-case hex digits (NAA 6) or "" = derived */
	char vendor[9]; /* default "SRPTD" */
	char product[17]; /* default "VIRTUAL-DISK" */
	char revision[5]; /* default "0001" */
	/* Also exported by another host (doc/scsi-commands.md). */
	bool shared;
	/* rbd engine (doc/ceph.md): "pool/image" or "pool/namespace/image" */
	char rbd_image[256];
	char ceph_conf[256]; /* "" = librados' default search */
	char ceph_client[64]; /* client id without "client."; "" = admin */
	char ceph_keyring[256]; /* "" = what the ceph.conf says */
	uint32_t ceph_timeout; /* seconds, connect and each operation; 0 = 30 */
	int line; /* where defined, for diagnostics */
	char file[256];
};

struct config_lun {
	uint64_t lun;
	unsigned int device; /* index into config.devices */
	bool read_only; /* effective: the entry's or the device's */
};

struct config_group {
	char name[64];
	unsigned int n_initiators;
	uint8_t (*initiators)[16]; /* GIDs, network byte order */
	unsigned int n_luns;
	struct config_lun *luns;
};

enum config_unknown_policy {
	CONFIG_UNKNOWN_DENY,
	CONFIG_UNKNOWN_DEFAULT_MAP,
};

struct config_target {
	char name[64];
	bool id_ext_auto; /* node GUID of the first HCA */
	uint64_t id_ext;
	bool ioc_guid_auto;
	uint64_t ioc_guid;
	unsigned int n_ports;
	char (*ports)[64]; /* "*", "hca" or "hca:N" */
	enum config_unknown_policy unknown_initiators;
	uint32_t relative_port_id; /* SPC-4 relative target port id; 0 = auto */
	unsigned int n_luns; /* default lun_map */
	struct config_lun *luns;
	unsigned int n_groups;
	struct config_group *groups;
	int line; /* where defined, for diagnostics */
	char file[256];
};

struct config {
	char path[256]; /* main file */
	unsigned int version;
	struct config_daemon daemon;
	struct config_fabric fabric;
	struct config_backend_defaults backend;
	struct config_alua alua;
	unsigned int n_devices;
	struct config_device *devices;
	unsigned int n_targets;
	struct config_target *targets;
	uint64_t generation; /* set by the daemon on apply */
};

/*
 * Parse and validate path and its drop-ins.  include_dir_override != NULL
 * replaces daemon.include_dir (tests).  On success *out is a new config
 * (free with config_free) and errs->n == 0; on failure returns -EINVAL
 * (or -ENOENT/-EACCES for the main file) with every error in errs.
 */
int config_load(const char *path, const char *include_dir_override,
		struct config **out, struct config_errors *errs);
/*
 * config_load() with the main file's contents in memory: the len bytes at
 * text (a NUL among them is an error, as in a file), which name stands for
 * in every "file:line: message" and as cfg->path.  Drop-ins, @include
 * (relative to name's directory) and every validation pass are the same.
 */
int config_load_string(const char *name, const char *text, size_t len,
		       const char *include_dir_override, struct config **out,
		       struct config_errors *errs);
void config_free(struct config *cfg);
/* A deep copy (runtime changes build the next config from it); -ENOMEM. */
int config_clone(const struct config *src, struct config **out);
/* d = every device key at its default under cfg's backend_defaults. */
int config_device_defaults(const struct config *cfg, struct config_device *d);

/* One key of a device entry given outside a file (config_device_parse). */
enum config_kv_type { CONFIG_KV_STRING, CONFIG_KV_INT, CONFIG_KV_BOOL };
struct config_kv {
	const char *key; /* a devices key of srptd.conf(5) */
	enum config_kv_type type;
	const char *s;
	long long i;
	bool b;
};
/*
 * The device entry of the n keys in kv (srptadm device add), parsed and
 * checked by the code that reads a devices entry of the file: the same
 * key table, defaults (cfg's backend_defaults) and checks across keys.
 * origin names the entry's source in *out and in errs.  0, or -EINVAL
 * with every error in errs (-ENOMEM: out of memory).
 */
int config_device_parse(const struct config *cfg, const char *origin,
			const struct config_kv *kv, unsigned int n,
			struct config_device *out, struct config_errors *errs);

/* Print every error as "file:line: message\n". */
void config_errors_print(const struct config_errors *errs, FILE *f);

const char *config_engine_name(enum config_engine e);
/* "active/optimized", "active/non-optimized", "standby", "unavailable". */
const char *config_alua_state_name(enum config_alua_state s);
/* The relative target port id of target index i (srptd.conf(5)). */
uint16_t config_target_rtpi(const struct config *cfg, unsigned int i);

/* Lookup helpers. */
const struct config_device *config_find_device(const struct config *cfg,
					       const char *name);
const struct config_target *config_find_target(const struct config *cfg,
					       const char *name);

/*
 * LUN masking (srptd.conf(5) LUN MASKING): what the initiator whose port
 * GID (the source GID of the login) is gid sees on target t.  Sets *luns,
 * *n_luns and *group (NULL for the target's default map) and returns 0, or
 * returns -EACCES when the initiator is in no group and the target denies
 * unknown initiators.
 */
int config_lun_view(const struct config_target *t, const uint8_t gid[16],
		    const struct config_lun **luns, unsigned int *n_luns,
		    const struct config_group **group);

/*
 * The target a login addresses: the 16-byte target port ID is id_ext
 * followed by ioc_guid (SRP r16a, SRP_LOGIN_REQ).  "auto" stands for node_guid,
 * the node GUID of the first HCA (srptd.conf(5)).  NULL if none matches;
 * with several matches (two "auto" targets) the first in file order.
 */
const struct config_target *config_find_target_by_id(const struct config *cfg,
						     uint64_t id_ext,
						     uint64_t ioc_guid,
						     uint64_t node_guid);

/*
 * Reload support (srptd.conf(5) RELOAD).  Calls cb once for every setting
 * that differs between old and new and only takes effect after a restart
 * (the keys whose reload policy in src/config/keys.c is "restart": the
 * fabric group and daemon.workers), with its name ("fabric.queue_depth");
 * cb may be NULL.  Returns how many there are.
 */
unsigned int config_restart_changes(const struct config *old,
				    const struct config *new,
				    void (*cb)(void *arg, const char *key),
				    void *arg);
/* Same storage object and identity (everything but where it was defined)? */
bool config_device_equal(const struct config_device *a,
			 const struct config_device *b);
/* The same but for the size: such a device is resized live (reload). */
bool config_device_equal_but_size(const struct config_device *a,
				  const struct config_device *b);

/*
 * Write cfg as libconfig text that config_load() reads back into an equal
 * config (every value explicit).  It is the merged result of the main file
 * and its drop-ins: when it replaces the main file, remove the drop-ins or
 * point include_dir elsewhere, or their devices become duplicates.
 */
void config_dump(const struct config *cfg, FILE *f);

/*
 * The i-th key of the configuration schema (0, 1, ... in table order) as a
 * dotted path: "fabric.queue_depth", "devices.size", "targets.groups.name";
 * the entries of every lun_map are "lun_map.lun" etc.  0, -ENOENT past the
 * last key, or -ENAMETOOLONG.
 */
int config_key_path(unsigned int i, char *buf, size_t size);

/*
 * Value parsers shared with srptadm and the control socket; 0 or -EINVAL
 * (-ERANGE for a size that overflows 64 bits).
 */
/* "4096", "512K", "1G" (binary suffixes K M G T, 1K = 1024). */
int config_parse_size(const char *s, uint64_t *out);
/* "fe80:0000:0000:0000:0002:c903:000f:1367" -> 16 bytes, network order. */
int config_parse_gid(const char *s, uint8_t gid[16]);
/* buf receives the 39-character form above. */
void config_format_gid(const uint8_t gid[16], char buf[40]);
/* "0x0002c903000f1367", "0002c903000f1367" or "0002:c903:000f:1367". */
int config_parse_guid(const char *s, uint64_t *out);
/* "192.0.2.1:5000" or "[::]:5000" (numeric only). */
int config_parse_listen(const char *s, struct config_listen *out);

#endif
