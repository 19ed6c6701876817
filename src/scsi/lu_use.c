/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Whether an LU is still attached to any I_T nexus, so the daemon knows
 * when a device removed from the configuration can be closed.
 */
#include <pthread.h>

#include "scsi/scsi.h"
#include "scsi/scsi_int.h"

bool scsi_lu_in_use(struct scsi_lu *lu)
{
	bool used;

	pthread_mutex_lock(&lu->lock);
	used = !scsi_list_empty(&lu->nexuses);
	pthread_mutex_unlock(&lu->lock);
	return used;
}
