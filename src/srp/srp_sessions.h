/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Who is logged in: a snapshot of the engine's sessions (I_T nexuses) and
 * their channels for srptadm, and ending a session (doc/control.md
 * "sessions.list", "sessions.kick").  Main thread only.
 *
 * Ownership (srp_engine.h "Threading"): targets, nexuses, their channel
 * lists and what a channel recorded at login (path, peer, time) are the
 * main thread's and read exactly.  A channel's state and credits are its
 * worker's: they are read with relaxed atomic loads, a racy but harmless
 * snapshot (a value that was true a moment ago; no pointer is followed).
 */
#ifndef SRPTD_SRP_SESSIONS_H
#define SRPTD_SRP_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "fabric/fabric.h"
#include "srp/srp_login.h"

struct srp_engine;

/* One channel (RDMA connection) of a session. */
struct srp_session_channel {
	unsigned int id; /* engine-wide channel number (logs) */
	unsigned int worker; /* index of the I/O worker that owns it */
	const char *state; /* "CONNECTING", "LIVE", ... (racy) */
	uint32_t queue_depth; /* credits granted at login (req_lim) */
	uint32_t outstanding; /* credited requests not answered (racy) */
	bool rdma_cm; /* logged in through RDMA/CM (else IB/CM) */
	struct fabric_port_ref via; /* HCA port the login came through */
	char peer[64]; /* the initiator's GID or IP address */
	int64_t since; /* login time, seconds since the epoch */
};

/* One session: an I_T nexus (initiator port id + target port id). */
struct srp_session_info {
	char target[64];
	char initiator[SRP_PORT_ID_STRLEN]; /* initiator port id, hex */
	char target_port[SRP_PORT_ID_STRLEN]; /* target port id logged in to */
	bool gid_valid;
	uint8_t gid[16]; /* the source GID of the login */
	/* LUN view: the group whose map it sees, "" = the default map. */
	char group[64];
	bool denied; /* in no group of a deny target now (being logged out) */
	unsigned int n_luns; /* LUNs in its view */
	int64_t since; /* first login, seconds since the epoch */
	unsigned int n_channels;
	struct srp_session_channel *channels;
};

/*
 * Snapshot every session into *out (an array of *n, free with
 * srp_sessions_free()).  0 or -ENOMEM.
 */
int srp_engine_sessions_snapshot(const struct srp_engine *e,
				 struct srp_session_info **out,
				 unsigned int *n);
void srp_sessions_free(struct srp_session_info *s, unsigned int n);

/*
 * Log the session of initiator port id i_port (32 hex digits, "0x"
 * optional, as in the snapshot) on target out: SRP_T_LOGOUT and a disconnect on each of its
 * channels, as when its target is removed (SRP r16a 6.6); the initiator
 * may log in again.  target NULL: on every target.  Returns how many
 * sessions were told, or -ENOENT.
 */
int srp_engine_session_kick(struct srp_engine *e, const char *target,
			    const char *i_port);

#endif
