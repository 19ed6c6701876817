/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control socket: a UNIX stream listener on the main loop, its
 * connections, who may use it and the line framing (doc/control.md).
 *
 * Nothing here blocks: sockets are non-blocking, a connection reads at most
 * CTL_MAX_LINE bytes of a request and holds at most one unsent response
 * (it reads no further request until that response is out), so a slow
 * or hostile peer costs bounded memory and never stalls the loop.  The
 * I/O workers never see the socket.  A call answered later (a change
 * waiting for commands in flight, ctl_defer()) holds its connection the
 * same way until the answer is queued.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_method.h"
#include "log.h"
#include "loop.h"
#include "util.h"

/* Connections at once; more are told CTL_E_BUSY and closed. */
#define CTL_MAX_CONNS 32
/* Supplementary groups of a peer looked at (SO_PEERGROUPS). */
#define CTL_MAX_PEER_GROUPS 256

/* SERVING -> DRAINING -> closed; a refused peer starts in CLOSING. */
enum ctl_conn_state {
	CTL_CONN_SERVING, /* reading requests, answering them */
	CTL_CONN_DRAINING, /* peer sent EOF: answer what is buffered, close */
	CTL_CONN_CLOSING, /* refused: send the error, close */
};

struct ctl_conn {
	struct ctl_server *s;
	struct ctl_conn *next;
	enum ctl_conn_state state;
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	/* Request bytes not yet served: a longest line and its newline. */
	char in[CTL_MAX_LINE + 1];
	size_t in_len;
	bool discard; /* skipping the rest of an oversized line */
	/* The response being sent. */
	char *out;
	size_t out_len, out_off;
	/* A call being answered later: the next response (ctl_defer()). */
	struct ctl_deferred *waiting;
	uint32_t events; /* what the loop watches */
};

struct ctl_server {
	struct loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct ctl_method *const *tables;
	void *ctx;
	bool group_any; /* admit members of group */
	gid_t group;
	struct ctl_conn *conns;
	unsigned int n_conns;
};

static void ctl_conn_close(struct ctl_conn *c)
{
	struct ctl_server *s = c->s;

	for (struct ctl_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->n_conns--;
	/* Its answer, when it comes, goes nowhere. */
	if (c->waiting)
		ctl_deferred_attach(c->waiting, NULL, NULL);
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

static void ctl_conn_watch(struct ctl_conn *c, uint32_t events)
{
	if (events != c->events && !loop_mod_fd(c->s->loop, c->fd, events))
		c->events = events;
}

/* Queue line + "\n" as the response (consumes line; NULL: nothing). */
static void ctl_conn_queue(struct ctl_conn *c, char *line)
{
	char *out;
	size_t n;

	if (!line)
		return;
	n = strlen(line);
	out = realloc(line, n + 2);
	if (!out) {
		free(line);
		return;
	}
	c->out = out;
	c->out[n] = '\n';
	c->out[n + 1] = 0;
	c->out_len = n + 1;
	c->out_off = 0;
}

/* Send what is pending; -errno when the connection is dead. */
static int ctl_conn_flush(struct ctl_conn *c)
{
	while (c->out && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		c->out_off += n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return 0;
}

static void ctl_conn_on_io(void *arg, uint32_t events);

/* A deferred call's answer (line: NULL for a notification): go on. */
static void ctl_conn_answer(void *arg, char *line)
{
	struct ctl_conn *c = arg;

	c->waiting = NULL;
	ctl_conn_queue(c, line);
	/* Send it, then serve the requests that arrived meanwhile. */
	ctl_conn_on_io(c, 0);
}

static void ctl_conn_serve_line(struct ctl_conn *c, const char *line,
				size_t len)
{
	struct ctl_call call = { .ctx = c->s->ctx,
				 .uid = c->uid,
				 .pid = c->pid };

	/* An empty line is no request: socat users press enter. */
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return;
	ctl_conn_queue(c, ctl_rpc_handle(c->s->tables, &call, line, len));
	if (call.deferred) {
		c->waiting = call.deferred;
		ctl_deferred_attach(call.deferred, ctl_conn_answer, c);
	}
}

/*
 * Serve the complete lines in the input buffer, one response at a time;
 * at end of input (eof) the last line needs no newline.
 */
static void ctl_conn_serve(struct ctl_conn *c, bool eof)
{
	size_t off = 0;

	while (!c->out && !c->waiting && off < c->in_len) {
		char *nl = memchr(c->in + off, '\n', c->in_len - off);
		size_t len = nl ? (size_t)(nl - (c->in + off)) :
				  c->in_len - off;

		if (!nl && !eof)
			break;
		if (c->discard)
			c->discard = false;
		else
			ctl_conn_serve_line(c, c->in + off, len);
		off += len + (nl ? 1 : 0);
		if (ctl_conn_flush(c))
			break;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (c->in_len == sizeof(c->in) && !c->out && !c->waiting) {
		/* No newline within the limit: answer once, skip the rest. */
		if (!c->discard)
			ctl_conn_queue(
				c,
				ctl_rpc_error_line(
					CTL_E_INVALID_REQUEST,
					"request line longer than 65536 bytes"));
		c->discard = true;
		c->in_len = 0;
	}
}

static void ctl_conn_on_io(void *arg, uint32_t events)
{
	struct ctl_conn *c = arg;

	if ((events & EPOLLERR) || ctl_conn_flush(c))
		goto close;
	/*
	 * Waiting for a deferred answer the loop watches nothing but a
	 * hang-up (always reported): the peer is gone, the answer will be
	 * dropped and the work goes on.
	 */
	if (c->waiting) {
		if (events & EPOLLHUP)
			goto close;
		ctl_conn_watch(c, 0);
		return;
	}
	if (c->state == CTL_CONN_SERVING && !c->out &&
	    (events & (EPOLLIN | EPOLLHUP))) {
		ssize_t n = recv(c->fd, c->in + c->in_len,
				 sizeof(c->in) - c->in_len, 0);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto close;
		if (n == 0)
			c->state = CTL_CONN_DRAINING;
		if (n > 0)
			c->in_len += n;
	}
	if (c->state != CTL_CONN_CLOSING && !c->out)
		ctl_conn_serve(c, c->state == CTL_CONN_DRAINING);
	if (ctl_conn_flush(c))
		goto close;
	if (c->state != CTL_CONN_SERVING && !c->out && !c->waiting &&
	    (c->state == CTL_CONN_CLOSING || !c->in_len))
		goto close;
	/* Wait for the peer to read, for an answer, or the next request. */
	ctl_conn_watch(c, c->out ? EPOLLOUT : c->waiting ? 0 : EPOLLIN);
	return;
close:
	pr_debug(LOG_C_CTL, "connection of pid %d closed", (int)c->pid);
	ctl_conn_close(c);
}

/* Root, or a member of the control group (primary or supplementary). */
static bool ctl_peer_allowed(const struct ctl_server *s, int fd,
			     const struct ucred *cr)
{
	gid_t groups[CTL_MAX_PEER_GROUPS];
	socklen_t len = sizeof(groups);

	if (cr->uid == 0)
		return true;
	if (!s->group_any)
		return false;
	if (cr->gid == s->group)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == s->group)
			return true;
	return false;
}

static void ctl_server_on_accept(void *arg, uint32_t events)
{
	struct ctl_server *s = arg;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct ctl_conn *c;
	int fd;

	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			pr_warn("control socket: accept: %s", strerror(errno));
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->s = s;
	c->fd = fd;
	c->uid = cr.uid;
	c->gid = cr.gid;
	c->pid = cr.pid;
	c->events = EPOLLIN;
	if (loop_add_fd(s->loop, fd, EPOLLIN, ctl_conn_on_io, c)) {
		free(c);
		close(fd);
		return;
	}
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
	if (!ctl_peer_allowed(s, fd, &cr)) {
		char msg[128];

		pr_notice("control socket: refused uid %u (pid %d): not root%s",
			  (unsigned int)cr.uid, (int)cr.pid,
			  s->group_any ? " nor in daemon.control_group" : "");
		snprintf(msg, sizeof(msg),
			 "permission denied: uid %u is not root%s",
			 (unsigned int)cr.uid,
			 s->group_any ? " nor in daemon.control_group" : "");
		ctl_conn_queue(c, ctl_rpc_error_line(CTL_E_DENIED, msg));
		c->state = CTL_CONN_CLOSING;
	} else if (s->n_conns > CTL_MAX_CONNS) {
		pr_warn("control socket: more than %d connections; refusing pid %d",
			CTL_MAX_CONNS, (int)cr.pid);
		ctl_conn_queue(c, ctl_rpc_error_line(CTL_E_BUSY,
						     "too many connections"));
		c->state = CTL_CONN_CLOSING;
	} else {
		pr_debug(LOG_C_CTL, "connection from uid %u pid %d",
			 (unsigned int)cr.uid, (int)cr.pid);
		return;
	}
	ctl_conn_on_io(c, EPOLLOUT);
}

/*
 * An existing file at the socket's path: a socket nobody listens on is a
 * dead srptd's and goes; a live one or anything else stays.
 */
static int ctl_remove_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("control socket %s: exists and is not a socket",
		       sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (ret == 0 || errno == EAGAIN) {
		pr_err("control socket %s: in use (is another srptd running?)",
		       sa->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The socket's directory (e.g. /run/srptd) if it does not exist. */
static int ctl_make_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ctl_server_create(struct loop *loop, const char *path,
		      const struct ctl_method *const *tables, void *ctx,
		      struct ctl_server **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	mode_t old_umask;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->tables = tables;
	s->ctx = ctx;
	s->fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);

	ret = ctl_make_dir(path);
	if (ret)
		goto err;
	ret = ctl_remove_stale(&sa);
	if (ret)
		goto err;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		ret = -errno;
		goto err;
	}
	/* Created 0600: nobody else may connect before the mode is set. */
	old_umask = umask(0177);
	ret = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (ret < 0) {
		ret = -errno;
		goto err_close;
	}
	if (listen(s->fd, 16) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	ret = loop_add_fd(loop, s->fd, EPOLLIN, ctl_server_on_accept, s);
	if (ret)
		goto err_unlink;
	pr_info("control socket %s", path);
	*out = s;
	return 0;
err_unlink:
	unlink(path);
err_close:
	close(s->fd);
err:
	free(s);
	return ret;
}

int ctl_server_set_group(struct ctl_server *s, bool any, gid_t gid)
{
	mode_t mode = any ? 0660 : 0600;

	/*
	 * The mode keeps non-members from connecting at all; the per
	 * connection check (SO_PEERCRED) holds even if it is loosened.
	 */
	if (chown(s->path, 0, any ? gid : 0) < 0) {
		if (errno != EPERM)
			return -errno;
		/*
		 * No CAP_CHOWN (srptd.service drops every capability): the
		 * file cannot be the group's, so it is open to all and only
		 * the credentials check admits the group (doc/control.md).
		 */
		if (any) {
			mode = 0666;
			pr_notice(
				"control socket %s: cannot give it to group %u (%s); mode 0666, every connection's credentials are checked",
				s->path, (unsigned int)gid, strerror(EPERM));
		}
	}
	if (chmod(s->path, mode) < 0)
		return -errno;
	s->group_any = any;
	s->group = gid;
	return 0;
}

void ctl_server_destroy(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->conns)
		ctl_conn_close(s->conns);
	loop_del_fd(s->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	free(s);
}
