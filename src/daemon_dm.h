/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's Device Management side: runs the DM agent
 * (src/fabric/dm.h) when fabric.dm_agent is on, with one controller slot
 * per configured target on every RDMA device the fabric uses, or, while
 * the verbs fabric is not up, on every device the MAD stack lists
 * (doc/discovery.md).  Main thread only.
 */
#ifndef SRPTD_DAEMON_DM_H
#define SRPTD_DAEMON_DM_H

struct config;
struct daemon_srp;
struct loop;
struct daemon_dm;

int daemon_dm_create(struct loop *loop, struct daemon_dm **out);
/*
 * Start, stop or update the agent to match cfg, the running targets of s
 * and the fabric's devices (the MAD stack's while the fabric is down).  Call after every daemon_srp_apply() and
 * whenever the RDMA devices may have changed: when none of that changed
 * it only re-checks the ports (their IsDM bit: nothing reports a module
 * setting it).
 */
void daemon_dm_apply(struct daemon_dm *dm, const struct config *cfg,
		     const struct daemon_srp *s);
/* Stop answering (shutdown). */
void daemon_dm_stop(struct daemon_dm *dm);
/*
 * A port changed state: re-check the agent's ports now (their IsDM bit
 * among them) rather than at the next apply.
 */
void daemon_dm_port_event(struct daemon_dm *dm);
void daemon_dm_destroy(struct daemon_dm *dm);

#endif
