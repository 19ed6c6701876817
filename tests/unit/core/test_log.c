/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Logging: level names, gating, journal prefixes, rate limiting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Capture what one call writes to stderr. */
static int g_saved_stderr = -1;
static int g_pipe[2];

static void capture_begin(void)
{
	assert_int_equal(pipe2(g_pipe, O_NONBLOCK), 0);
	g_saved_stderr = dup(STDERR_FILENO);
	dup2(g_pipe[1], STDERR_FILENO);
}

static size_t capture_end(char *buf, size_t len)
{
	ssize_t n;

	dup2(g_saved_stderr, STDERR_FILENO);
	close(g_saved_stderr);
	close(g_pipe[1]);
	n = read(g_pipe[0], buf, len - 1);
	close(g_pipe[0]);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	return n;
}

static void test_level_names(void **state)
{
	assert_int_equal(log_level_parse("error"), LOG_ERR);
	assert_int_equal(log_level_parse("err"), LOG_ERR);
	assert_int_equal(log_level_parse("warning"), LOG_WARNING);
	assert_int_equal(log_level_parse("warn"), LOG_WARNING);
	assert_int_equal(log_level_parse("notice"), LOG_NOTICE);
	assert_int_equal(log_level_parse("info"), LOG_INFO);
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("verbose"), -EINVAL);
	assert_int_equal(log_level_parse(""), -EINVAL);
	assert_string_equal(log_level_name(LOG_WARNING), "warning");
	assert_string_equal(log_level_name(42), "?");
	assert_int_equal(log_component_parse("scsi"), LOG_C_SCSI);
	assert_int_equal(log_component_parse("dm"), LOG_C_DM);
	assert_int_equal(log_component_parse("nope"), -EINVAL);
}

static void test_gating(void **state)
{
	log_set_level(LOG_NOTICE);
	log_set_components(0);
	assert_true(log_enabled(LOG_ERR, LOG_C_CORE));
	assert_true(log_enabled(LOG_NOTICE, LOG_C_CORE));
	assert_false(log_enabled(LOG_INFO, LOG_C_CORE));
	log_set_level(LOG_DEBUG);
	assert_true(log_enabled(LOG_DEBUG, LOG_C_SCSI));
	/* Debug output only from the selected components... */
	log_set_components(1u << LOG_C_CM);
	assert_true(log_enabled(LOG_DEBUG, LOG_C_CM));
	assert_false(log_enabled(LOG_DEBUG, LOG_C_SCSI));
	/* ...but other levels are never filtered by component. */
	assert_true(log_enabled(LOG_INFO, LOG_C_SCSI));
	log_set_components(0);
	log_set_level(LOG_INFO);
}

static void test_journal_sink(void **state)
{
	char buf[512];

	log_init("srptd", LOG_SINK_JOURNAL);
	log_set_level(LOG_INFO);
	capture_begin();
	dev_log(LOG_WARNING, "db01", "opened %d", 7);
	pr_debug(LOG_C_CORE, "not shown at info");
	pr_err("boom");
	capture_end(buf, sizeof(buf));
	assert_string_equal(buf, "<4>device db01: opened 7\n<3>boom\n");
}

static void test_stderr_sink(void **state)
{
	char buf[512];

	log_init("srptd", LOG_SINK_STDERR);
	capture_begin();
	tgt_log(LOG_NOTICE, "tgt0", "ready");
	capture_end(buf, sizeof(buf));
	/* "HH:MM:SS.mmm srptd notice: target tgt0: ready\n" */
	assert_int_equal(strlen(buf),
			 13 + strlen("srptd notice: target tgt0: ready\n"));
	assert_string_equal(buf + 13, "srptd notice: target tgt0: ready\n");
	assert_int_equal(buf[2], ':');
	assert_int_equal(buf[8], '.');
}

static void test_ratelimit(void **state)
{
	struct log_ratelimit rl = { 0 };
	int ok = 0;
	char buf[512];

	log_init("srptd", LOG_SINK_JOURNAL);
	for (int i = 0; i < 100; i++)
		ok += log_ratelimit_ok(&rl);
	assert_int_equal(ok, 10);
	assert_int_equal(rl.suppressed, 90);
	/* A new window reports how many were dropped. */
	rl.window_start_ms -= 6000;
	capture_begin();
	assert_true(log_ratelimit_ok(&rl));
	capture_end(buf, sizeof(buf));
	assert_string_equal(buf, "<4>90 similar messages suppressed\n");
}

static void test_long_message_truncated(void **state)
{
	char big[3000];
	char buf[4096];
	size_t n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	log_init("srptd", LOG_SINK_JOURNAL);
	capture_begin();
	pr_err("%s", big);
	n = capture_end(buf, sizeof(buf));
	assert_true(n < 1200);
	assert_int_equal(buf[n - 1], '\n');
	assert_memory_equal(buf, "<3>xxx", 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_gating),
		cmocka_unit_test(test_journal_sink),
		cmocka_unit_test(test_stderr_sink),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_long_message_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
