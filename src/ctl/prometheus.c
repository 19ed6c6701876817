/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Prometheus text exposition format (version 0.0.4) of the statistics
 * snapshot (prometheus.h).  Following the Prometheus naming conventions:
 * one srptd_ prefix, base units (seconds, bytes), _total on counters, the
 * level in the name (srptd_device_..., srptd_target_..., srptd_session_...,
 * srptd_worker_...) and what is counted in labels (direction, sense key),
 * so that sum() over a family never adds a thing twice.  Every family
 * gets its HELP and TYPE lines once, followed by all its samples.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/prometheus.h"
#include "daemon_stats.h"
#include "srptd/version.h"

/* The four levels a family exists at: each entity has labels and io. */
enum prom_level { PROM_DEVICE, PROM_TARGET, PROM_SESSION, PROM_WORKER };

static const char *const prom_level_names[] = {
	[PROM_DEVICE] = "device",
	[PROM_TARGET] = "target",
	[PROM_SESSION] = "session",
	[PROM_WORKER] = "worker",
};

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(FILE *f, const char *name, const char *v)
{
	fprintf(f, "%s=\"", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static unsigned int prom_count(const struct daemon_stats *s, enum prom_level l)
{
	switch (l) {
	case PROM_DEVICE:
		return s->n_devices;
	case PROM_TARGET:
		return s->srp->n_targets;
	case PROM_SESSION:
		return s->srp->n_sessions;
	case PROM_WORKER:
		return s->srp->n_workers;
	}
	return 0;
}

/* The labels identifying entity i of level l (no braces). */
static void prom_entity(FILE *f, const struct daemon_stats *s,
			enum prom_level l, unsigned int i)
{
	char idx[16];

	switch (l) {
	case PROM_DEVICE:
		prom_label(f, "device", s->devices[i].name);
		break;
	case PROM_TARGET:
		prom_label(f, "target", s->srp->targets[i].name);
		break;
	case PROM_SESSION:
		prom_label(f, "target", s->srp->sessions[i].target);
		fputc(',', f);
		prom_label(f, "session", s->srp->sessions[i].initiator);
		break;
	case PROM_WORKER:
		snprintf(idx, sizeof(idx), "%u", s->srp->workers[i].index);
		prom_label(f, "worker", idx);
		break;
	}
}

static const struct srp_io_stats *prom_io(const struct daemon_stats *s,
					  enum prom_level l, unsigned int i)
{
	switch (l) {
	case PROM_DEVICE:
		return &s->devices[i].io;
	case PROM_TARGET:
		return &s->srp->targets[i].io;
	case PROM_SESSION:
		return &s->srp->sessions[i].io;
	case PROM_WORKER:
		return &s->srp->workers[i].io;
	}
	return NULL;
}

static void prom_head(FILE *f, enum prom_level l, const char *name,
		      const char *type, const char *help)
{
	fprintf(f, "# HELP srptd_%s_%s %s\n# TYPE srptd_%s_%s %s\n",
		prom_level_names[l], name, help, prom_level_names[l], name,
		type);
}

/* One sample: srptd_<level>_<name>{<entity>[,extra]} value. */
static void prom_sample(FILE *f, const struct daemon_stats *s,
			enum prom_level l, unsigned int i, const char *name,
			const char *extra, uint64_t v)
{
	fprintf(f, "srptd_%s_%s{", prom_level_names[l], name);
	prom_entity(f, s, l, i);
	if (extra)
		fprintf(f, ",%s", extra);
	fprintf(f, "} %" PRIu64 "\n", v);
}

/* The counter families of one level. */
static void prom_io_families(FILE *f, const struct daemon_stats *s,
			     enum prom_level l)
{
	unsigned int n = prom_count(s, l), i, d, k;
	char extra[64];

	prom_head(f, l, "commands_total", "counter",
		  "SCSI commands answered, by data direction.");
	for (i = 0; i < n; i++)
		for (d = 0; d < SRP_STATS_NDIR; d++) {
			snprintf(extra, sizeof(extra), "direction=\"%s\"",
				 srp_stats_dir_name(d));
			prom_sample(f, s, l, i, "commands_total", extra,
				    prom_io(s, l, i)->cmds[d]);
		}
	prom_head(f, l, "read_bytes_total", "counter",
		  "Bytes of data-in sent to initiators.");
	for (i = 0; i < n; i++)
		prom_sample(f, s, l, i, "read_bytes_total", NULL,
			    prom_io(s, l, i)->bytes_read);
	prom_head(f, l, "written_bytes_total", "counter",
		  "Bytes of data-out fetched from initiators.");
	for (i = 0; i < n; i++)
		prom_sample(f, s, l, i, "written_bytes_total", NULL,
			    prom_io(s, l, i)->bytes_written);
	prom_head(
		f, l, "check_conditions_total", "counter",
		"Commands answered with CHECK CONDITION, by sense key (keys seen so far).");
	for (i = 0; i < n; i++)
		for (k = 0; k < 16; k++) {
			uint64_t v = prom_io(s, l, i)->sense_key[k];

			if (!v)
				continue;
			snprintf(extra, sizeof(extra), "sense_key=\"%s\"",
				 srp_stats_sense_key_name(k));
			prom_sample(f, s, l, i, "check_conditions_total", extra,
				    v);
		}
	prom_head(
		f, l, "status_errors_total", "counter",
		"Commands answered with BUSY, RESERVATION CONFLICT, TASK SET FULL or another non-GOOD status without sense.");
	for (i = 0; i < n; i++)
		prom_sample(f, s, l, i, "status_errors_total", NULL,
			    prom_io(s, l, i)->status_errors);
	prom_head(
		f, l, "aborted_commands_total", "counter",
		"Commands ended without a response (task management, logout, connection loss).");
	for (i = 0; i < n; i++)
		prom_sample(f, s, l, i, "aborted_commands_total", NULL,
			    prom_io(s, l, i)->aborted);
	if (l != PROM_DEVICE) {
		prom_head(f, l, "task_management_total", "counter",
			  "SRP task management requests answered.");
		for (i = 0; i < n; i++)
			prom_sample(f, s, l, i, "task_management_total", NULL,
				    prom_io(s, l, i)->tmfs);
	}
}

/* Latency histograms: cumulative buckets in seconds, _sum and _count. */
static void prom_histograms(FILE *f, const struct daemon_stats *s,
			    enum prom_level l)
{
	static const char name[] = "command_duration_seconds";
	unsigned int n = prom_count(s, l);
	char extra[96];

	prom_head(
		f, l, name, "histogram",
		"Time from receiving a command to sending its response, by data direction.");
	for (unsigned int i = 0; i < n; i++) {
		const struct srp_io_stats *io = prom_io(s, l, i);

		for (unsigned int d = 0; d < SRP_STATS_NDIR; d++) {
			uint64_t cum = 0;

			for (unsigned int b = 0; b < SRP_STATS_LAT_BUCKETS;
			     b++) {
				uint64_t le = srp_stats_bucket_le_us(b);

				cum += io->lat[d][b];
				if (le == UINT64_MAX)
					snprintf(extra, sizeof(extra),
						 "direction=\"%s\",le=\"+Inf\"",
						 srp_stats_dir_name(d));
				else
					snprintf(extra, sizeof(extra),
						 "direction=\"%s\",le=\"%.6f\"",
						 srp_stats_dir_name(d),
						 (double)le / 1e6);
				prom_sample(f, s, l, i,
					    "command_duration_seconds_bucket",
					    extra, cum);
			}
			fprintf(f, "srptd_%s_%s_sum{", prom_level_names[l],
				name);
			prom_entity(f, s, l, i);
			fprintf(f, ",direction=\"%s\"} %.9f\n",
				srp_stats_dir_name(d),
				(double)io->lat_sum_ns[d] / 1e9);
			snprintf(extra, sizeof(extra), "direction=\"%s\"",
				 srp_stats_dir_name(d));
			prom_sample(f, s, l, i,
				    "command_duration_seconds_count", extra,
				    io->cmds[d]);
		}
	}
}

static uint64_t pg_dev_online(const struct daemon_stats *s, unsigned int i)
{
	return s->devices[i].online;
}

static uint64_t pg_dev_stuck_now(const struct daemon_stats *s, unsigned int i)
{
	return s->devices[i].stuck_now;
}

static uint64_t pg_dev_stuck_total(const struct daemon_stats *s, unsigned int i)
{
	return s->devices[i].stuck_total;
}

static uint64_t pg_tgt_sessions(const struct daemon_stats *s, unsigned int i)
{
	return s->srp->targets[i].sessions;
}

static uint64_t pg_ses_channels(const struct daemon_stats *s, unsigned int i)
{
	return s->srp->sessions[i].channels;
}

static uint64_t pg_wrk_channels(const struct daemon_stats *s, unsigned int i)
{
	return s->srp->workers[i].channels;
}

/* Families with one sample per entity of their level and no other label. */
static const struct prom_entity_gauge {
	enum prom_level level;
	const char *name, *type, *help;
	uint64_t (*value)(const struct daemon_stats *s, unsigned int i);
} prom_entity_gauges[] = {
	{ PROM_DEVICE, "online", "gauge",
	  "1 if the configured device is open and exported, 0 if offline.",
	  pg_dev_online },
	{ PROM_DEVICE, "stuck_commands", "gauge",
	  "Commands of the device whose backend I/O is outstanding longer than backend_defaults.stuck_io_warn now.",
	  pg_dev_stuck_now },
	{ PROM_DEVICE, "stuck_commands_total", "counter",
	  "Backend I/Os of the device that were outstanding longer than backend_defaults.stuck_io_warn (each counted once).",
	  pg_dev_stuck_total },
	{ PROM_TARGET, "sessions", "gauge",
	  "I_T nexuses (logged-in initiator ports) of the target.",
	  pg_tgt_sessions },
	{ PROM_SESSION, "channels", "gauge",
	  "RDMA channels (SRP logins) of the session.", pg_ses_channels },
	{ PROM_WORKER, "channels", "gauge",
	  "RDMA channels served by the I/O worker thread.", pg_wrk_channels },
};

static void prom_gauges(FILE *f, const struct daemon_stats *s)
{
	fprintf(f,
		"# HELP srptd_build_info srptd version (always 1).\n"
		"# TYPE srptd_build_info gauge\n"
		"srptd_build_info{version=\"%s\"} 1\n",
		SRPTD_VERSION);
	fprintf(f,
		"# HELP srptd_config_generation Configuration generation running (1 at start, +1 per applied reload).\n"
		"# TYPE srptd_config_generation gauge\n"
		"srptd_config_generation %" PRIu64 "\n",
		s->generation);
	for (size_t k = 0;
	     k < sizeof(prom_entity_gauges) / sizeof(prom_entity_gauges[0]);
	     k++) {
		const struct prom_entity_gauge *g = &prom_entity_gauges[k];

		prom_head(f, g->level, g->name, g->type, g->help);
		for (unsigned int i = 0; i < prom_count(s, g->level); i++)
			prom_sample(f, s, g->level, i, g->name, NULL,
				    g->value(s, i));
	}
}

/* The worker's CQ counters (struct fabric_cq_counters). */
static void prom_fabric(FILE *f, const struct daemon_stats *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} fam[] = {
#define PF(n, h) { #n "_total", h, offsetof(struct fabric_cq_counters, n) }
		PF(send_posts, "Send-queue posts handed to the device."),
		PF(send_wrs, "Send-queue work requests posted."),
		PF(recv_posts, "Receive posts handed to the device."),
		PF(recv_wrs, "Receive work requests posted."),
		PF(events, "Completion events taken (wake-ups)."),
		PF(polls, "Completion queue polls, empty ones included."),
		PF(completions, "Work completions polled."),
		PF(arms, "Completion notifications requested."),
#undef PF
	};

	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		char name[64];

		snprintf(name, sizeof(name), "fabric_%s", fam[k].name);
		prom_head(f, PROM_WORKER, name, "counter", fam[k].help);
		for (unsigned int i = 0; i < s->srp->n_workers; i++) {
			const uint8_t *fc =
				(const uint8_t *)&s->srp->workers[i].fabric;
			uint64_t v;

			memcpy(&v, fc + fam[k].off, sizeof(v));
			prom_sample(f, s, PROM_WORKER, i, name, NULL, v);
		}
	}
}

/* The worker loop's counters (struct loop_counters). */
static void prom_loop(FILE *f, const struct daemon_stats *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} fam[] = {
#define PL(n, h) { "loop_" #n "_total", h, offsetof(struct loop_counters, n) }
		PL(sleeps, "Waits of the worker that could block."),
		PL(busy_polls, "Busy polls that found work."),
		PL(busy_idle, "Busy polls that found none."),
#undef PL
	};

	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		prom_head(f, PROM_WORKER, fam[k].name, "counter", fam[k].help);
		for (unsigned int i = 0; i < s->srp->n_workers; i++) {
			const uint8_t *lc =
				(const uint8_t *)&s->srp->workers[i].loop;
			uint64_t v;

			memcpy(&v, lc + fam[k].off, sizeof(v));
			prom_sample(f, s, PROM_WORKER, i, fam[k].name, NULL, v);
		}
	}
}

int prometheus_render(const struct daemon_stats *s, char **text, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	f = open_memstream(&buf, &n);
	if (!f)
		return -ENOMEM;
	prom_gauges(f, s);
	prom_fabric(f, s);
	prom_loop(f, s);
	for (enum prom_level l = PROM_DEVICE; l <= PROM_WORKER; l++) {
		prom_io_families(f, s, l);
		prom_histograms(f, s, l);
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*text = buf;
	*len = n;
	return 0;
}
