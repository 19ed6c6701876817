/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Every method the daemon's control socket serves: one table per area,
 * each in its own src/ctl/m_<area>.c.  A new area adds its table here.
 */
#include <stddef.h>

#include "ctl/ctl.h"
#include "ctl/ctl_tables.h"

const struct ctl_method *const ctl_daemon_tables[] = {
	ctl_methods_daemon, /* status, log.level, reload */
	ctl_methods_config, /* config.check, config.dump */
	ctl_methods_srp, /* targets.list, ports.list, login_info */
	ctl_methods_devices, /* devices.list */
	ctl_methods_luns, /* device.add/remove/resize, lun.map/unmap */
	ctl_methods_sessions, /* sessions.list, sessions.kick */
	ctl_methods_stats, /* stats, stats.prometheus */
	NULL,
};
