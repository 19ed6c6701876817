/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The STATUS= line for the service manager (src/status.h). */
#include <stdio.h>

#include "status.h"

static const char *plural(unsigned int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

const char *status_format(const struct status_info *si, char *buf, size_t len)
{
	char what[96];

	snprintf(what, sizeof(what), "%u %s, %u %s", si->targets,
		 plural(si->targets, "target", "targets"), si->luns,
		 plural(si->luns, "LUN", "LUNs"));
	if (!si->rdma_devices || !si->rdma_devices[0]) {
		snprintf(buf, len,
			 "waiting for RDMA devices; %s; config generation %llu",
			 what, (unsigned long long)si->generation);
		return buf;
	}
	snprintf(buf, len,
		 "serving %s, %u %s (%u %s) on %s; config generation %llu",
		 what, si->sessions,
		 plural(si->sessions, "session", "sessions"), si->channels,
		 plural(si->channels, "channel", "channels"), si->rdma_devices,
		 (unsigned long long)si->generation);
	return buf;
}
