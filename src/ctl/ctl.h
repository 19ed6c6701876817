/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control socket srptadm talks to (srptadm(8)): a UNIX stream socket
 * served on the main loop, one JSON-RPC 2.0 request per line and one
 * response per line (doc/control.md).  This header is all the daemon sees
 * of it; JSON stays inside src/ctl/.
 */
#ifndef SRPTD_CTL_H
#define SRPTD_CTL_H

#include <stdbool.h>
#include <sys/types.h>

struct ctl_method;
struct ctl_server;
struct loop;

/*
 * The method tables of the daemon (src/ctl/tables.c), NULL-terminated; a
 * handler's ctx is the struct daemon.
 */
extern const struct ctl_method *const ctl_daemon_tables[];

/*
 * Bind the socket at path (creating its directory, 0755, if missing; a
 * stale socket of a dead srptd is replaced, a live one is -EADDRINUSE)
 * and serve it on loop.  Handlers of tables run with ctx.  The socket is
 * root's and mode 0600 until ctl_server_set_group().
 */
int ctl_server_create(struct loop *loop, const char *path,
		      const struct ctl_method *const *tables, void *ctx,
		      struct ctl_server **out);
/*
 * Also admit the members of group gid (primary or supplementary group of
 * the peer, SO_PEERCRED/SO_PEERGROUPS) and make the socket root:gid 0660;
 * any == false: root only (0600).
 */
int ctl_server_set_group(struct ctl_server *s, bool any, gid_t gid);
/* Close every connection and the socket, and unlink it. */
void ctl_server_destroy(struct ctl_server *s);

#endif
