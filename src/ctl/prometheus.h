/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The statistics in the Prometheus text exposition format (version
 * 0.0.4): the one renderer behind the HTTP endpoint (daemon.metrics) and
 * the control socket.  Metric names are listed in srptd(8) METRICS.
 */
#ifndef SRPTD_CTL_PROMETHEUS_H
#define SRPTD_CTL_PROMETHEUS_H

#include <stddef.h>

struct daemon_stats;

/* Content-Type of the text format. */
#define PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Render s into a NUL-terminated malloc'd buffer (*text, *len without the
 * NUL); the caller frees it.  0 or -ENOMEM.
 */
int prometheus_render(const struct daemon_stats *s, char **text, size_t *len);

#endif
