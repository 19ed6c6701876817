/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The method tables of src/ctl/m_<area>.c, each ended by { 0 }, listed
 * in ctl_daemon_tables (tables.c).
 */
#ifndef SRPTD_CTL_TABLES_H
#define SRPTD_CTL_TABLES_H

#include "ctl/ctl_method.h"

extern const struct ctl_method ctl_methods_daemon[]; /* m_daemon.c */
extern const struct ctl_method ctl_methods_luns[]; /* m_luns.c */
extern const struct ctl_method ctl_methods_config[]; /* m_config.c */
extern const struct ctl_method ctl_methods_srp[]; /* m_srp.c */
extern const struct ctl_method ctl_methods_sessions[]; /* m_sessions.c */
extern const struct ctl_method ctl_methods_devices[]; /* m_devices.c */
extern const struct ctl_method ctl_methods_stats[]; /* m_stats.c */

struct srp_io_stats;
/* One block of I/O counters as `stats` shows it (m_stats.c). */
struct json_object *ctl_stats_io_json(const struct srp_io_stats *io);

#endif
