/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm stats: the I/O statistics per device, target, session and
 * worker (srptadm(8) stats; doc/statistics.md) as tables, the daemon's
 * JSON (--json) or the Prometheus text (--prometheus).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "srptadm.h"

/* Latency buckets of one block, every direction added up. */
#define ADM_LAT_MAX 64

static unsigned int lat_merge(struct json_object *io, uint64_t *b)
{
	struct json_object *lat = adm_obj(io, "latency");
	static const char *const dirs[] = { "read", "write", "other" };
	unsigned int n = 0;

	memset(b, 0, ADM_LAT_MAX * sizeof(*b));
	for (unsigned int d = 0; d < 3; d++) {
		struct json_object *arr =
			adm_obj(adm_obj(lat, dirs[d]), "buckets");
		size_t len = arr && json_object_is_type(arr, json_type_array) ?
				     json_object_array_length(arr) :
				     0;

		for (size_t i = 0; i < len && i < ADM_LAT_MAX; i++)
			b[i] += (uint64_t)json_object_get_int64(
				json_object_array_get_idx(arr, i));
		if (len > n)
			n = len < ADM_LAT_MAX ? len : ADM_LAT_MAX;
	}
	return n;
}

/*
 * The q-quantile estimated from the histogram: the upper bound of the
 * bucket where the cumulative count reaches q of the total ("<4us");
 * "-" without commands.
 */
static const char *lat_quantile(struct json_object *r, struct json_object *io,
				double q)
{
	struct json_object *le = adm_obj(r, "latency_bucket_le_us");
	uint64_t b[ADM_LAT_MAX], total = 0, cum = 0, rank;
	unsigned int n = lat_merge(io, b), i;
	size_t n_le = le && json_object_is_type(le, json_type_array) ?
			      json_object_array_length(le) :
			      0;

	for (i = 0; i < n; i++)
		total += b[i];
	if (!total)
		return "-";
	rank = (uint64_t)(q * (double)total + 0.999999);
	for (i = 0; i < n; i++) {
		cum += b[i];
		if (cum >= rank)
			break;
	}
	if (i >= n_le) {
		uint64_t last = n_le ? (uint64_t)json_object_get_int64(
					       json_object_array_get_idx(
						       le, n_le - 1)) :
				       0;

		return adm_fmt(">%.1fs", (double)last / 1e6);
	}
	uint64_t us = (uint64_t)json_object_get_int64(
		json_object_array_get_idx(le, i));

	if (us >= 1000000)
		return adm_fmt("<%.1fs", (double)us / 1e6);
	if (us >= 1000)
		return adm_fmt("<%" PRIu64 "ms", us / 1000);
	return adm_fmt("<%" PRIu64 "us", us);
}

static uint64_t errors(struct json_object *io)
{
	struct json_object *cc = adm_obj(io, "check_conditions");
	uint64_t n = adm_u64(io, "status_errors");

	if (!cc || !json_object_is_type(cc, json_type_object))
		return n;
	json_object_object_foreach(cc, k, v)
	{
		(void)k;
		n += (uint64_t)json_object_get_int64(v);
	}
	return n;
}

/*
 * One table of entities; key1/key2 name them (key2 may be NULL); empty is
 * printed when there is none.
 */
static void stats_table(struct json_object *r, const char *member,
			const char *title, const char *key1, const char *key2,
			const char *empty)
{
	static const char *const head2[] = { "TARGET",	"SESSION", "READS",
					     "WRITES",	"OTHER",   "READ",
					     "WRITTEN", "ERRORS",  "ABORTED",
					     "P50",	"P99" };
	struct json_object *arr = adm_obj(r, member);
	size_t n = arr && json_object_is_type(arr, json_type_array) ?
			   json_object_array_length(arr) :
			   0;
	unsigned int off = key2 ? 0 : 1;
	const char *head[11];
	struct adm_table *t;

	memcpy(head, head2 + off, (11 - off) * sizeof(head[0]));
	head[0] = key2 ? head2[0] : title;
	t = adm_table_new(11 - off, head);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct json_object *c = adm_obj(e, "commands");
		const char *cells[11], *name;
		unsigned int k = 0;

		if (!strcmp(key1, "index"))
			name = adm_fmt("%lld", adm_int(e, key1));
		else
			name = adm_str(e, key1);
		cells[k++] = name;
		if (key2)
			cells[k++] = adm_str(e, key2);
		cells[k++] = adm_fmt("%" PRIu64, adm_u64(c, "read"));
		cells[k++] = adm_fmt("%" PRIu64, adm_u64(c, "write"));
		cells[k++] = adm_fmt("%" PRIu64, adm_u64(c, "other"));
		cells[k++] = adm_size(adm_u64(e, "read_bytes"));
		cells[k++] = adm_size(adm_u64(e, "written_bytes"));
		cells[k++] = adm_fmt("%" PRIu64, errors(e));
		cells[k++] = adm_fmt("%" PRIu64, adm_u64(e, "aborted"));
		cells[k++] = lat_quantile(r, e, 0.5);
		cells[k++] = lat_quantile(r, e, 0.99);
		adm_table_row(t, cells);
	}
	adm_table_print(t, empty);
}

static void stats_human(struct adm *a, struct json_object *r)
{
	/*
	 * Targets and I/O workers are counted once the RDMA fabric runs
	 * (man/srptd.8 DESCRIPTION): say so rather than "none".
	 */
	stats_table(r, "devices", "DEVICE", "name", NULL, "(no devices)");
	printf("\n");
	stats_table(r, "targets", "TARGET", "name", NULL,
		    "(no running targets: see srptadm status, fabric)");
	printf("\n");
	stats_table(r, "sessions", "TARGET", "target", "initiator",
		    "(no sessions)");
	printf("\n");
	stats_table(r, "workers", "WORKER", "index", NULL,
		    "(no I/O workers: see srptadm status, fabric)");
}

static int cmd_stats(struct adm *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prometheus", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *r = NULL;
	bool prom = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "p", longopts, NULL)) != -1) {
		if (opt != 'p')
			return adm_usage(a, "stats");
		prom = true;
	}
	if (optind < argc || (prom && a->json))
		return adm_usage(a, "stats");
	if (!prom)
		return adm_run(a, "stats", NULL, stats_human);
	ret = adm_call(a, "stats.prometheus", NULL, &r);
	if (ret)
		return ret;
	fputs(adm_str(r, "text"), stdout);
	json_object_put(r);
	return ADM_EXIT_OK;
}

const struct adm_cmd adm_cmds_stats[] = {
	{ "stats", "[--prometheus]",
	  "I/O statistics per device, target, session and worker", cmd_stats },
	{ 0 },
};
