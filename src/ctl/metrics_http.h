/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The optional HTTP endpoint of the Prometheus metrics (config key
 * daemon.metrics): GET /metrics, served by libmicrohttpd in its external
 * epoll mode on the daemon's main loop -- no thread, so the text is
 * rendered from a snapshot taken on the thread that owns the counters'
 * folds (doc/statistics.md).  Loopback addresses only (the config
 * refuses others): there is no authentication.
 */
#ifndef SRPTD_CTL_METRICS_HTTP_H
#define SRPTD_CTL_METRICS_HTTP_H

#include <stddef.h>

struct loop;
struct metrics_http;

/*
 * Produce the body of one GET /metrics: a malloc'd text the endpoint
 * frees (*len bytes).  0 or -errno (the client gets 500).
 */
typedef int (*metrics_render_fn)(void *ctx, char **text, size_t *len);

/* An endpoint on loop, off until metrics_http_apply(). */
int metrics_http_create(struct loop *loop, metrics_render_fn render, void *ctx,
			struct metrics_http **out);
/*
 * Serve on addr ("127.0.0.1:9108", "[::1]:9108"; "" = off).  The same
 * address as now changes nothing; another one closes the old socket
 * first.  0, or -errno with the endpoint off (and the reason logged).
 */
int metrics_http_apply(struct metrics_http *m, const char *addr);
/* The address served now, "" when off. */
const char *metrics_http_address(const struct metrics_http *m);
void metrics_http_destroy(struct metrics_http *m);

#endif
