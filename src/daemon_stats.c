/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's statistics snapshot (daemon_stats.h): the engine's
 * snapshot, and each configured device matched to its logical unit's
 * counters by scsi_lu_stats_id().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon_srp.h"
#include "daemon_stats.h"
#include "devices.h"
#include "scsi/scsi.h"

int daemon_stats_collect(const struct device_set *devs, struct daemon_srp *srp,
			 uint64_t generation, struct daemon_stats **out)
{
	struct daemon_stats *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->generation = generation;
	ret = daemon_srp_stats(srp, &s->srp);
	if (ret)
		goto err;
	s->devices = calloc(devs->n ? devs->n : 1, sizeof(*s->devices));
	if (!s->devices) {
		ret = -ENOMEM;
		goto err;
	}
	for (unsigned int i = 0; i < devs->n; i++) {
		const struct device *d = devs->dev[i];
		struct daemon_stats_device *sd = &s->devices[s->n_devices++];
		const struct srp_stats_device *io;

		snprintf(sd->name, sizeof(sd->name), "%s", d->cfg.name);
		sd->online = d->state == DEVICE_ONLINE;
		io = d->lu ? srp_stats_find_device(s->srp,
						   scsi_lu_stats_id(d->lu)) :
			     NULL;
		if (io)
			sd->io = io->io;
		if (d->lu)
			scsi_lu_stuck(d->lu, &sd->stuck_now, &sd->stuck_total);
	}
	*out = s;
	return 0;
err:
	daemon_stats_free(s);
	return ret;
}

void daemon_stats_free(struct daemon_stats *s)
{
	if (!s)
		return;
	srp_stats_snapshot_free(s->srp);
	free(s->devices);
	free(s);
}
