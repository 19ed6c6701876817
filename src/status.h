/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one-line summary srptd hands the service manager as STATUS=
 * (sd_notify(3)); `systemctl status srptd` shows it.  A pure formatter so
 * that every wording is unit tested without RDMA hardware.
 */
#ifndef SRPTD_STATUS_H
#define SRPTD_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct status_info {
	/* RDMA devices the fabric uses, space separated; "" = none yet. */
	const char *rdma_devices;
	unsigned int targets; /* SRP targets configured */
	unsigned int luns; /* LUN map entries over every target and group */
	unsigned int sessions; /* I_T nexuses logged in */
	unsigned int channels; /* RDMA channels of those nexuses */
	uint64_t generation; /* configuration generation running */
};

/*
 * "serving 2 targets, 3 LUNs, 1 session (2 channels) on rxe0; config
 * generation 4" or "waiting for RDMA devices; 2 targets, 3 LUNs; config
 * generation 1".  Truncated to fit buf (len > 0); returns buf.
 */
const char *status_format(const struct status_info *si, char *buf, size_t len);

#endif
