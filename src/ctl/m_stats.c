/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Control methods of the I/O statistics (doc/statistics.md): `stats`,
 * the snapshot per device, target, session and worker as JSON, and
 * `stats.prometheus`, the same in the Prometheus text format (the one
 * renderer of the HTTP endpoint, src/ctl/prometheus.c).  Results are
 * documented in doc/control.md.
 */
#include <errno.h>
#include <stdlib.h>

#include "ctl/ctl_tables.h"
#include "ctl/prometheus.h"
#include "daemon.h"
#include "daemon_stats.h"

/* One block of counters: see struct srp_io_stats. */
struct json_object *ctl_stats_io_json(const struct srp_io_stats *io)
{
	struct json_object *o = json_object_new_object();
	struct json_object *cmds = json_object_new_object();
	struct json_object *cc = json_object_new_object();
	struct json_object *lat = json_object_new_object();

	for (unsigned int d = 0; d < SRP_STATS_NDIR; d++) {
		struct json_object *h = json_object_new_object();
		struct json_object *b = json_object_new_array();

		ctl_add_u64(cmds, srp_stats_dir_name(d), io->cmds[d]);
		ctl_add_u64(h, "count", io->cmds[d]);
		ctl_add_u64(h, "sum_ns", io->lat_sum_ns[d]);
		for (unsigned int i = 0; b && i < SRP_STATS_LAT_BUCKETS; i++)
			json_object_array_add(
				b, json_object_new_uint64(io->lat[d][i]));
		ctl_add(h, "buckets", b);
		ctl_add(lat, srp_stats_dir_name(d), h);
	}
	for (unsigned int k = 0; k < 16; k++)
		if (io->sense_key[k])
			ctl_add_u64(cc, srp_stats_sense_key_name(k),
				    io->sense_key[k]);
	ctl_add(o, "commands", cmds);
	ctl_add_u64(o, "read_bytes", io->bytes_read);
	ctl_add_u64(o, "written_bytes", io->bytes_written);
	ctl_add(o, "check_conditions", cc);
	ctl_add_u64(o, "status_errors", io->status_errors);
	ctl_add_u64(o, "aborted", io->aborted);
	ctl_add_u64(o, "task_management", io->tmfs);
	ctl_add(o, "latency", lat);
	return o;
}

/* A worker's CQ counters: see struct fabric_cq_counters. */
static struct json_object *
ctl_stats_fabric_json(const struct fabric_cq_counters *fc)
{
	struct json_object *o = json_object_new_object();

	ctl_add_u64(o, "send_posts", fc->send_posts);
	ctl_add_u64(o, "send_wrs", fc->send_wrs);
	ctl_add_u64(o, "recv_posts", fc->recv_posts);
	ctl_add_u64(o, "recv_wrs", fc->recv_wrs);
	ctl_add_u64(o, "events", fc->events);
	ctl_add_u64(o, "polls", fc->polls);
	ctl_add_u64(o, "completions", fc->completions);
	ctl_add_u64(o, "arms", fc->arms);
	return o;
}

/* A worker's loop counters: see struct loop_counters. */
static struct json_object *ctl_stats_loop_json(const struct loop_counters *lc)
{
	struct json_object *o = json_object_new_object();

	ctl_add_u64(o, "sleeps", lc->sleeps);
	ctl_add_u64(o, "busy_polls", lc->busy_polls);
	ctl_add_u64(o, "busy_idle", lc->busy_idle);
	return o;
}

static int m_stats(struct ctl_call *c, struct json_object *params,
		   struct json_object **result)
{
	struct json_object *r, *a, *e;
	struct daemon_stats *s;
	int ret;

	ret = daemon_get_stats(c->ctx, &s);
	if (ret)
		return ctl_fail(c, ret, "cannot take the statistics");
	r = json_object_new_object();
	if (!r) {
		daemon_stats_free(s);
		return ctl_fail(c, -ENOMEM, "out of memory");
	}
	ctl_add_u64(r, "generation", s->generation);
	/* Bucket i counts latencies below le_us[i]; the last is unbounded. */
	a = json_object_new_array();
	for (unsigned int i = 0; a && i + 1 < SRP_STATS_LAT_BUCKETS; i++)
		json_object_array_add(
			a, json_object_new_uint64(srp_stats_bucket_le_us(i)));
	ctl_add(r, "latency_bucket_le_us", a);
	a = json_object_new_array();
	for (unsigned int i = 0; a && i < s->n_devices; i++) {
		e = ctl_stats_io_json(&s->devices[i].io);
		ctl_add_str(e, "name", s->devices[i].name);
		ctl_add_bool(e, "online", s->devices[i].online);
		ctl_add_int(e, "stuck_commands", s->devices[i].stuck_now);
		ctl_add_u64(e, "stuck_commands_total",
			    s->devices[i].stuck_total);
		json_object_array_add(a, e);
	}
	ctl_add(r, "devices", a);
	a = json_object_new_array();
	for (unsigned int i = 0; a && i < s->srp->n_targets; i++) {
		e = ctl_stats_io_json(&s->srp->targets[i].io);
		ctl_add_str(e, "name", s->srp->targets[i].name);
		ctl_add_int(e, "sessions", s->srp->targets[i].sessions);
		json_object_array_add(a, e);
	}
	ctl_add(r, "targets", a);
	a = json_object_new_array();
	for (unsigned int i = 0; a && i < s->srp->n_sessions; i++) {
		e = ctl_stats_io_json(&s->srp->sessions[i].io);
		ctl_add_str(e, "target", s->srp->sessions[i].target);
		ctl_add_str(e, "initiator", s->srp->sessions[i].initiator);
		ctl_add_int(e, "channels", s->srp->sessions[i].channels);
		json_object_array_add(a, e);
	}
	ctl_add(r, "sessions", a);
	a = json_object_new_array();
	for (unsigned int i = 0; a && i < s->srp->n_workers; i++) {
		e = ctl_stats_io_json(&s->srp->workers[i].io);
		ctl_add_int(e, "index", s->srp->workers[i].index);
		ctl_add_int(e, "channels", s->srp->workers[i].channels);
		ctl_add(e, "fabric",
			ctl_stats_fabric_json(&s->srp->workers[i].fabric));
		ctl_add(e, "loop",
			ctl_stats_loop_json(&s->srp->workers[i].loop));
		json_object_array_add(a, e);
	}
	ctl_add(r, "workers", a);
	daemon_stats_free(s);
	*result = r;
	return 0;
}

static int m_stats_prometheus(struct ctl_call *c, struct json_object *params,
			      struct json_object **result)
{
	struct json_object *r;
	struct daemon_stats *s;
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = daemon_get_stats(c->ctx, &s);
	if (ret)
		return ctl_fail(c, ret, "cannot take the statistics");
	ret = prometheus_render(s, &text, &len);
	daemon_stats_free(s);
	if (ret)
		return ctl_fail(c, ret, "cannot render the statistics");
	r = json_object_new_object();
	ctl_add(r, "text", json_object_new_string_len(text, (int)len));
	free(text);
	if (!r)
		return ctl_fail(c, -ENOMEM, "out of memory");
	*result = r;
	return 0;
}

const struct ctl_method ctl_methods_stats[] = {
	{ "stats", NULL, m_stats },
	{ "stats.prometheus", NULL, m_stats_prometheus },
	{ 0 },
};
