/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Logging.  Levels are syslog priorities.  Sinks:
 *  - journal: stderr lines with "<N>" priority prefixes (sd-daemon(3)),
 *    chosen when JOURNAL_STREAM matches stderr or with --systemd;
 *  - stderr: plain lines with a timestamp and level name (--foreground);
 *  - syslog: when daemonized outside systemd.
 * Debug output is further gated per component (log_components in the
 * config), as SPDK's log flags.  Per-object macros prefix the identity
 * ("device db01: ", "target tgt0: ", "initiator fe80:...: ") so admins can
 * grep for one object.  Thread-safe: each message is one write().
 */
#ifndef SRPTD_LOG_H
#define SRPTD_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include "util.h"

enum log_sink {
	LOG_SINK_STDERR,
	LOG_SINK_JOURNAL,
	LOG_SINK_SYSLOG,
};

/* Components for debug gating; bit positions. */
enum log_component {
	LOG_C_CORE,
	LOG_C_CONFIG,
	LOG_C_CM,
	LOG_C_DM,
	LOG_C_SRP,
	LOG_C_SCSI,
	LOG_C_BACKEND,
	LOG_C_CTL,
	LOG_C_FABRIC,
	LOG_C_COUNT
};

void log_init(const char *ident, enum log_sink sink);
enum log_sink log_default_sink(bool foreground);
void log_set_level(int level);
int log_get_level(void);
/* Debug output of components in mask (bit = 1 << LOG_C_x); 0 = all. */
void log_set_components(unsigned int mask);
/* "error" | "warning" | "notice" | "info" | "debug" -> LOG_ERR...; -EINVAL. */
int log_level_parse(const char *name);
const char *log_level_name(int level);
/* Component name -> enum log_component, or -EINVAL. */
int log_component_parse(const char *name);
bool log_enabled(int level, enum log_component c);

void srptd_log(int level, enum log_component c, const char *fmt, ...)
	SRPTD_PRINTF(3, 4);
/* Print at most burst messages per interval for this call site. */
struct log_ratelimit {
	long long window_start_ms;
	unsigned int printed;
	unsigned int suppressed;
};
bool log_ratelimit_ok(struct log_ratelimit *rl);

#define pr_log(lvl, c, fmt, ...)                               \
	do {                                                   \
		if (log_enabled(lvl, c))                       \
			srptd_log(lvl, c, fmt, ##__VA_ARGS__); \
	} while (0)
#define pr_err(fmt, ...) pr_log(LOG_ERR, LOG_C_CORE, fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) pr_log(LOG_WARNING, LOG_C_CORE, fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) pr_log(LOG_NOTICE, LOG_C_CORE, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) pr_log(LOG_INFO, LOG_C_CORE, fmt, ##__VA_ARGS__)
#define pr_debug(c, fmt, ...) pr_log(LOG_DEBUG, c, fmt, ##__VA_ARGS__)

/* Per-object prefixes. */
#define dev_log(lvl, name, fmt, ...) \
	pr_log(lvl, LOG_C_BACKEND, "device %s: " fmt, name, ##__VA_ARGS__)
#define tgt_log(lvl, name, fmt, ...) \
	pr_log(lvl, LOG_C_SRP, "target %s: " fmt, name, ##__VA_ARGS__)
#define ini_log(lvl, id, fmt, ...) \
	pr_log(lvl, LOG_C_SRP, "initiator %s: " fmt, id, ##__VA_ARGS__)

/* Rate-limited error for the data path (per call site). */
#define pr_err_ratelimited(fmt, ...)                \
	do {                                        \
		static struct log_ratelimit _rl;    \
		if (log_ratelimit_ok(&_rl))         \
			pr_err(fmt, ##__VA_ARGS__); \
	} while (0)

#endif
