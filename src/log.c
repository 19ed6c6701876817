/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Logging sinks and level/component gating.  See log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * Set by the main thread at start and on reload, read by every thread on
 * every log call: atomics, relaxed (a worker may log one more line at the
 * old level; nothing else depends on the value).  A plain or volatile
 * int here is a data race (C11 5.1.2.4), which ThreadSanitizer reports.
 */
static _Atomic int g_log_level = LOG_INFO;
static _Atomic unsigned int g_log_components; /* 0 = all */
static enum log_sink g_log_sink = LOG_SINK_STDERR;
static char g_log_ident[32] = "srptd";

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg",	   [LOG_ALERT] = "alert",
	[LOG_CRIT] = "crit",	   [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",	   [LOG_DEBUG] = "debug",
};

static const char *const component_names[LOG_C_COUNT] = {
	[LOG_C_CORE] = "core",	     [LOG_C_CONFIG] = "config",
	[LOG_C_CM] = "cm",	     [LOG_C_DM] = "dm",
	[LOG_C_SRP] = "srp",	     [LOG_C_SCSI] = "scsi",
	[LOG_C_BACKEND] = "backend", [LOG_C_CTL] = "ctl",
	[LOG_C_FABRIC] = "fabric",
};

void log_init(const char *ident, enum log_sink sink)
{
	snprintf(g_log_ident, sizeof(g_log_ident), "%s", ident);
	g_log_sink = sink;
	if (sink == LOG_SINK_SYSLOG)
		openlog(g_log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/*
 * systemd sets JOURNAL_STREAM=<dev>:<ino> of the stream it connected to
 * stderr; only when they match is stderr really the journal (a child of
 * ours may inherit the variable with stderr redirected elsewhere).
 */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

enum log_sink log_default_sink(bool foreground)
{
	if (stderr_is_journal())
		return LOG_SINK_JOURNAL;
	return foreground ? LOG_SINK_STDERR : LOG_SINK_SYSLOG;
}

void log_set_level(int level)
{
	if (level < LOG_EMERG)
		level = LOG_EMERG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	atomic_store_explicit(&g_log_level, level, memory_order_relaxed);
}

int log_get_level(void)
{
	return atomic_load_explicit(&g_log_level, memory_order_relaxed);
}

void log_set_components(unsigned int mask)
{
	atomic_store_explicit(&g_log_components, mask, memory_order_relaxed);
}

int log_level_parse(const char *name)
{
	/* Accept the syslog spellings admins know as aliases. */
	static const struct {
		const char *name;
		int level;
	} aliases[] = { { "err", LOG_ERR }, { "warn", LOG_WARNING } };

	for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (!strcmp(name, level_names[i]))
			return i;
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcmp(name, aliases[i].name))
			return aliases[i].level;
	return -EINVAL;
}

const char *log_level_name(int level)
{
	if (level < LOG_EMERG || level > LOG_DEBUG)
		return "?";
	return level_names[level];
}

int log_component_parse(const char *name)
{
	for (int i = 0; i < LOG_C_COUNT; i++)
		if (!strcmp(name, component_names[i]))
			return i;
	return -EINVAL;
}

bool log_enabled(int level, enum log_component c)
{
	unsigned int comps;

	if (level > atomic_load_explicit(&g_log_level, memory_order_relaxed))
		return false;
	comps = atomic_load_explicit(&g_log_components, memory_order_relaxed);
	if (level == LOG_DEBUG && comps && !(comps & (1u << c)))
		return false;
	return true;
}

void srptd_log(int level, enum log_component c, const char *fmt, ...)
{
	char msg[1024];
	char line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	switch (g_log_sink) {
	case LOG_SINK_SYSLOG:
		syslog(level, "%s", msg);
		return;
	case LOG_SINK_JOURNAL:
		/* sd-daemon(3) priority prefix; journald adds the time. */
		n = snprintf(line, sizeof(line), "<%d>%s\n", level, msg);
		break;
	case LOG_SINK_STDERR:
	default: {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line),
			     "%02d:%02d:%02d.%03ld %s %s: %s\n", tm.tm_hour,
			     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			     g_log_ident, log_level_name(level), msg);
		break;
	}
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write() per message so lines from workers never interleave. */
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report it. */
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * At most 10 messages per 5 s per call site; the first message after a
 * suppressed burst says how many were dropped.  Not exact under races
 * between workers, which only costs a message more or less.
 */
bool log_ratelimit_ok(struct log_ratelimit *rl)
{
	const long long interval = 5000;
	const unsigned int burst = 10;
	long long now = now_ms();

	if (now - rl->window_start_ms >= interval) {
		if (rl->suppressed)
			srptd_log(LOG_WARNING, LOG_C_CORE,
				  "%u similar messages suppressed",
				  rl->suppressed);
		rl->window_start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < burst) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
