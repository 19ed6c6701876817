/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The Prometheus renderer (src/ctl/prometheus.c) on a hand-made snapshot
 * with known counters: the samples carry the values at every level,
 * histograms are cumulative in seconds with _sum and _count, sense keys
 * become labels, label values are escaped, and every sample follows its
 * family's TYPE line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/prometheus.h"
#include "daemon_stats.h"

struct fx {
	struct daemon_stats s;
	struct srp_stats_snapshot srp;
	struct daemon_stats_device dev[2];
	struct srp_stats_target tgt;
	struct srp_stats_session ses;
	struct srp_stats_worker wk[2];
	char *text;
	size_t len;
};

/* 3 reads (1 us, 3 us, 3 us), 1 write of 4096 bytes, an ILLEGAL REQUEST. */
static void fill_io(struct srp_io_stats *io)
{
	memset(io, 0, sizeof(*io));
	io->cmds[SRP_STATS_READ] = 3;
	io->cmds[SRP_STATS_WRITE] = 1;
	io->bytes_read = 3 * 512;
	io->bytes_written = 4096;
	io->sense_key[5] = 1;
	io->lat[SRP_STATS_READ][1] = 1; /* [1 us, 2 us) */
	io->lat[SRP_STATS_READ][2] = 2; /* [2 us, 4 us) */
	io->lat[SRP_STATS_WRITE][SRP_STATS_LAT_BUCKETS - 1] = 1; /* slow */
	io->lat_sum_ns[SRP_STATS_READ] = 7000;
	io->lat_sum_ns[SRP_STATS_WRITE] = 5000000000ull;
	io->tmfs = 2;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->s.generation = 4;
	x->s.n_devices = 2;
	x->s.devices = x->dev;
	snprintf(x->dev[0].name, sizeof(x->dev[0].name), "d0");
	x->dev[0].online = true;
	x->dev[0].stuck_now = 2;
	x->dev[0].stuck_total = 5;
	fill_io(&x->dev[0].io);
	snprintf(x->dev[1].name, sizeof(x->dev[1].name), "d1");
	x->s.srp = &x->srp;
	x->srp.n_targets = 1;
	x->srp.targets = &x->tgt;
	snprintf(x->tgt.name, sizeof(x->tgt.name), "t\"1\\");
	x->tgt.sessions = 1;
	fill_io(&x->tgt.io);
	x->srp.n_sessions = 1;
	x->srp.sessions = &x->ses;
	snprintf(x->ses.target, sizeof(x->ses.target), "t\"1\\");
	snprintf(x->ses.initiator, sizeof(x->ses.initiator), "0x%032x", 7);
	x->ses.channels = 2;
	fill_io(&x->ses.io);
	x->srp.n_workers = 2;
	x->srp.workers = x->wk;
	x->wk[0].index = 0;
	x->wk[1].index = 1;
	x->wk[1].channels = 2;
	fill_io(&x->wk[1].io);
	assert_int_equal(prometheus_render(&x->s, &x->text, &x->len), 0);
	assert_int_equal(strlen(x->text), x->len);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	free(x->text);
	free(x);
	return 0;
}

/* The text has this exact line. */
static void has_line(const struct fx *x, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = x->text; (p = strstr(p, line)); p += n)
		if ((p == x->text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("missing line: %s", line);
}

static void test_values(void **state)
{
	struct fx *x = *state;

	has_line(x, "srptd_config_generation 4");
	has_line(x, "srptd_device_online{device=\"d0\"} 1");
	has_line(x, "srptd_device_online{device=\"d1\"} 0");
	has_line(x, "srptd_device_stuck_commands{device=\"d0\"} 2");
	has_line(x, "srptd_device_stuck_commands{device=\"d1\"} 0");
	has_line(x, "srptd_device_stuck_commands_total{device=\"d0\"} 5");
	has_line(x, "srptd_device_stuck_commands_total{device=\"d1\"} 0");
	has_line(x, "# TYPE srptd_device_stuck_commands gauge");
	has_line(x, "# TYPE srptd_device_stuck_commands_total counter");
	has_line(
		x,
		"srptd_device_commands_total{device=\"d0\",direction=\"read\"} 3");
	has_line(
		x,
		"srptd_device_commands_total{device=\"d1\",direction=\"read\"} 0");
	has_line(x, "srptd_device_read_bytes_total{device=\"d0\"} 1536");
	has_line(x, "srptd_device_written_bytes_total{device=\"d0\"} 4096");
	has_line(x, "srptd_device_check_conditions_total{device=\"d0\","
		    "sense_key=\"illegal_request\"} 1");
	/* Sense keys never seen have no sample. */
	assert_null(strstr(x->text, "sense_key=\"medium_error\""));
	/* Escaped label values. */
	has_line(x, "srptd_target_sessions{target=\"t\\\"1\\\\\"} 1");
	has_line(x, "srptd_session_channels{target=\"t\\\"1\\\\\","
		    "session=\"0x00000000000000000000000000000007\"} 2");
	has_line(x, "srptd_worker_channels{worker=\"1\"} 2");
	has_line(x, "srptd_worker_task_management_total{worker=\"1\"} 2");
	/* TMFs have no logical unit: no device family for them. */
	assert_null(strstr(x->text, "srptd_device_task_management_total"));
}

static void test_histogram(void **state)
{
	struct fx *x = *state;

	has_line(x, "# TYPE srptd_device_command_duration_seconds histogram");
	has_line(x,
		 "srptd_device_command_duration_seconds_bucket{device=\"d0\","
		 "direction=\"read\",le=\"0.000001\"} 0");
	has_line(x,
		 "srptd_device_command_duration_seconds_bucket{device=\"d0\","
		 "direction=\"read\",le=\"0.000002\"} 1");
	has_line(x,
		 "srptd_device_command_duration_seconds_bucket{device=\"d0\","
		 "direction=\"read\",le=\"0.000004\"} 3");
	has_line(x,
		 "srptd_device_command_duration_seconds_bucket{device=\"d0\","
		 "direction=\"read\",le=\"4.194304\"} 3");
	has_line(x,
		 "srptd_device_command_duration_seconds_bucket{device=\"d0\","
		 "direction=\"read\",le=\"+Inf\"} 3");
	has_line(x, "srptd_device_command_duration_seconds_sum{device=\"d0\","
		    "direction=\"read\"} 0.000007000");
	has_line(x, "srptd_device_command_duration_seconds_count{device=\"d0\","
		    "direction=\"read\"} 3");
	has_line(x,
		 "srptd_device_command_duration_seconds_bucket{device=\"d0\","
		 "direction=\"write\",le=\"4.194304\"} 0");
	has_line(x,
		 "srptd_device_command_duration_seconds_bucket{device=\"d0\","
		 "direction=\"write\",le=\"+Inf\"} 1");
	has_line(x, "srptd_device_command_duration_seconds_sum{device=\"d0\","
		    "direction=\"write\"} 5.000000000");
}

/* Every sample's family has a TYPE line before it. */
static void test_type_before_samples(void **state)
{
	struct fx *x = *state;
	char *copy = strdup(x->text), *save = NULL;
	char typed[64][96];
	unsigned int n_typed = 0, samples = 0;

	assert_non_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char name[96];
		size_t len = strcspn(l, "{ ");
		bool found = false;

		if (!strncmp(l, "# TYPE ", 7)) {
			assert_true(n_typed < 64);
			sscanf(l + 7, "%95s", typed[n_typed++]);
			continue;
		}
		if (l[0] == '#')
			continue;
		assert_true(len < sizeof(name));
		memcpy(name, l, len);
		name[len] = '\0';
		for (unsigned int i = 0; i < n_typed && !found; i++) {
			size_t tl = strlen(typed[i]);

			found = !strcmp(name, typed[i]) ||
				(!strncmp(name, typed[i], tl) &&
				 (!strcmp(name + tl, "_bucket") ||
				  !strcmp(name + tl, "_sum") ||
				  !strcmp(name + tl, "_count")));
		}
		if (!found)
			fail_msg("sample without TYPE: %s", l);
		samples++;
	}
	assert_true(samples > 100);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_histogram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_type_before_samples, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
