/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The metrics HTTP endpoint (metrics_http.h).  libmicrohttpd rather than
 * a hand-written HTTP parser on a network port: it is maintained,
 * fuzzed and handles the protocol's corner cases (pipelining, partial
 * reads, slow clients) for us.  It runs in external epoll mode: its epoll
 * fd is one more fd of the main loop, MHD_run() is called when it is
 * readable, and a one-second timer lets it time out idle connections.
 * Sockets are non-blocking, so a slow client never stalls the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "config/config.h"
#include "ctl/metrics_http.h"
#include "log.h"
#include "loop.h"
#include "util.h"

/* Scrapers are few: more connections than this are refused. */
#define METRICS_MAX_CONNECTIONS 16
/* Seconds an idle connection is kept. */
#define METRICS_CONN_TIMEOUT_S 10

struct metrics_http {
	struct loop *loop;
	metrics_render_fn render;
	void *ctx;
	struct MHD_Daemon *mhd; /* NULL: off */
	int epfd; /* MHD's epoll fd, watched by loop */
	struct loop_timer *timer;
	char addr[64];
};

const char *metrics_http_address(const struct metrics_http *m)
{
	return m->addr;
}

/* MHD's external logger: fmt comes from libmicrohttpd, not the wire. */
static SRPTD_PRINTF(2, 0) void metrics_http_log(void *cls, const char *fmt,
						va_list ap)
{
	char buf[256];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	pr_log(LOG_WARNING, LOG_C_CTL, "metrics: %s", buf);
}

static enum MHD_Result metrics_http_reply(struct MHD_Connection *conn,
					  unsigned int code, char *body,
					  size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result metrics_http_text(struct MHD_Connection *conn,
					 unsigned int code, const char *msg)
{
	char *body = strdup(msg);

	if (!body)
		return MHD_NO;
	return metrics_http_reply(conn, code, body, strlen(body),
				  "text/plain; charset=utf-8");
}

/* One request: GET /metrics, everything else 404. */
static enum MHD_Result
metrics_http_access(void *cls, struct MHD_Connection *conn, const char *url,
		    const char *method, const char *version,
		    const char *upload_data, size_t *upload_data_size,
		    void **con_cls)
{
	struct metrics_http *m = cls;
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (strcmp(method, MHD_HTTP_METHOD_GET) || strcmp(url, "/metrics"))
		return metrics_http_text(conn, MHD_HTTP_NOT_FOUND,
					 "not found: only GET /metrics\n");
	ret = m->render(m->ctx, &text, &len);
	if (ret) {
		pr_log(LOG_ERR, LOG_C_CTL, "metrics: cannot render: %s",
		       strerror(-ret));
		return metrics_http_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					 "cannot render the metrics\n");
	}
	/* The Prometheus text format's media type (exposition format). */
	return metrics_http_reply(conn, MHD_HTTP_OK, text, len,
				  "text/plain; version=0.0.4; charset=utf-8");
}

static void metrics_http_run(struct metrics_http *m)
{
	if (m->mhd && MHD_run(m->mhd) != MHD_YES)
		pr_log(LOG_WARNING, LOG_C_CTL, "metrics: MHD_run failed");
}

static void metrics_http_on_fd(void *arg, uint32_t events)
{
	metrics_http_run(arg);
}

static void metrics_http_on_timer(void *arg)
{
	metrics_http_run(arg);
}

int metrics_http_create(struct loop *loop, metrics_render_fn render, void *ctx,
			struct metrics_http **out)
{
	struct metrics_http *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->render = render;
	m->ctx = ctx;
	m->epfd = -1;
	*out = m;
	return 0;
}

static void metrics_http_stop(struct metrics_http *m)
{
	if (!m->mhd)
		return;
	if (m->timer)
		loop_timer_cancel(m->loop, m->timer);
	m->timer = NULL;
	if (m->epfd >= 0)
		loop_del_fd(m->loop, m->epfd);
	m->epfd = -1;
	MHD_stop_daemon(m->mhd);
	m->mhd = NULL;
	pr_notice("metrics: no longer serving http://%s/metrics", m->addr);
	m->addr[0] = '\0';
}

static int metrics_http_start(struct metrics_http *m, const char *addr)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct config_listen l;
	int ret;

	if (config_parse_listen(addr, &l))
		return -EINVAL;
	if (inet_pton(AF_INET, l.addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(l.port);
	} else if (inet_pton(AF_INET6, l.addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l.port);
		flags |= MHD_USE_IPv6;
	} else {
		return -EINVAL;
	}
	errno = 0;
	m->mhd = MHD_start_daemon(
		flags, l.port, NULL, NULL, metrics_http_access, m,
		/* First, so that MHD logs nothing to stderr itself. */
		MHD_OPTION_EXTERNAL_LOGGER, metrics_http_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)METRICS_MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)METRICS_CONN_TIMEOUT_S,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
		MHD_OPTION_END);
	if (!m->mhd)
		return errno ? -errno : -EADDRNOTAVAIL;
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		ret = -EINVAL;
		goto err;
	}
	ret = loop_add_fd(m->loop, info->epoll_fd, EPOLLIN, metrics_http_on_fd,
			  m);
	if (ret)
		goto err;
	m->epfd = info->epoll_fd;
	ret = loop_timer_add(m->loop, 1000, 1000, metrics_http_on_timer, m,
			     &m->timer);
	if (ret)
		goto err;
	snprintf(m->addr, sizeof(m->addr), "%s", addr);
	pr_notice("metrics: serving http://%s/metrics", addr);
	return 0;
err:
	if (m->epfd >= 0)
		loop_del_fd(m->loop, m->epfd);
	m->epfd = -1;
	MHD_stop_daemon(m->mhd);
	m->mhd = NULL;
	return ret;
}

int metrics_http_apply(struct metrics_http *m, const char *addr)
{
	int ret;

	if (!strcmp(addr, m->addr))
		return 0;
	metrics_http_stop(m);
	if (!addr[0])
		return 0;
	ret = metrics_http_start(m, addr);
	if (ret)
		pr_err("metrics: cannot serve on %s: %s; the endpoint stays off",
		       addr, strerror(-ret));
	return ret;
}

void metrics_http_destroy(struct metrics_http *m)
{
	if (!m)
		return;
	metrics_http_stop(m);
	free(m);
}
