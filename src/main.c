/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptd entry point: command line, --check-config, daemonizing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon.h"
#include "log.h"
#include "srptd/version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: srptd [OPTIONS]\n"
		"SCSI RDMA Protocol (SRP) target daemon.\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -f, --foreground      do not daemonize; log to stderr\n"
		"      --systemd         run under systemd (Type=notify): foreground,\n"
		"                        journal logging\n"
		"      --check-config    validate the configuration, print every\n"
		"                        error as file:line: message, exit 0 or 1\n"
		"  -l, --log-level LVL   error|warning|notice|info|debug (overrides\n"
		"                        daemon.log_level)\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            print this help and exit\n\n"
		"See srptd(8) and srptd.conf(5).\n",
		SRPTD_DEFAULT_CONFIG);
}

/*
 * Classic double-fork daemonization.  The parent does not exit until the
 * daemon reports over a pipe that it started (or failed), so `srptd` in an
 * init script returns the real start-up result.  Returns the write end of
 * the pipe in the daemon (-1 on error in the parent's exit path).
 * Line coverage (scripts/coverage.sh) never counts the parent's and the
 * first child's lines: both leave with _exit, which writes no counters,
 * and a --coverage build's fork() starts the child's counters at zero.
 */
static int daemonize(void)
{
	int pfd[2];
	pid_t pid;
	char status;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		fprintf(stderr, "srptd: pipe: %s\n", strerror(errno));
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "srptd: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(pfd[1]);
		/* 0 byte = started; 1 = failed; EOF = died. */
		if (read(pfd[0], &status, 1) != 1)
			status = 1;
		waitpid(pid, NULL, 0);
		/*
		 * _exit: the parent's copy of the config is the daemon's
		 * now; no atexit/leak-checker work belongs to this process.
		 */
		_exit(status ? 1 : 0);
	}
	close(pfd[0]);
	if (setsid() < 0)
		exit(1);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid > 0)
		_exit(0); /* first child: the daemon is re-parented to init */
	umask(022);
	if (chdir("/") < 0)
		exit(1);
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return pfd[1];
}

static void report_start(int fd, bool ok)
{
	char status = ok ? 0 : 1;

	if (fd < 0)
		return;
	if (write(fd, &status, 1) < 0) {
		/* the parent is gone; nothing to tell */
	}
	close(fd);
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_SYSTEMD };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "systemd", no_argument, NULL, OPT_SYSTEMD },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts opts = { .config_path = SRPTD_DEFAULT_CONFIG,
				    .log_level_override = -1 };
	struct config_errors *errs;
	struct config *cfg = NULL;
	struct daemon *d = NULL;
	bool check_only = false;
	int ready_fd = -1;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "c:fl:Vh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'f':
			opts.foreground = true;
			break;
		case OPT_SYSTEMD:
			opts.systemd = true;
			opts.foreground = true;
			break;
		case OPT_CHECK:
			check_only = true;
			break;
		case 'l':
			opts.log_level_override = log_level_parse(optarg);
			if (opts.log_level_override < 0) {
				fprintf(stderr,
					"srptd: invalid log level '%s' (error, warning, notice, info, debug)\n",
					optarg);
				return 2;
			}
			break;
		case 'V':
			printf("srptd %s\n", SRPTD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		/* srptd --check-config FILE is accepted like scstadmin's. */
		if (check_only && optind + 1 == argc) {
			opts.config_path = argv[optind];
		} else {
			fprintf(stderr, "srptd: unexpected argument '%s'\n",
				argv[optind]);
			usage(stderr);
			return 2;
		}
	}

	errs = calloc(1, sizeof(*errs));
	if (!errs) {
		fprintf(stderr, "srptd: out of memory\n");
		return 1;
	}
	ret = config_load(opts.config_path, NULL, &cfg, errs);
	if (ret) {
		config_errors_print(errs, stderr);
		free(errs);
		return 1;
	}
	free(errs);
	if (check_only) {
		printf("%s: configuration OK (%u device%s, %u target%s)\n",
		       opts.config_path, cfg->n_devices,
		       cfg->n_devices == 1 ? "" : "s", cfg->n_targets,
		       cfg->n_targets == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}

	if (!opts.foreground)
		ready_fd = daemonize();
	log_init("srptd", opts.systemd ? LOG_SINK_JOURNAL :
					 log_default_sink(opts.foreground));

	ret = daemon_create(&opts, cfg, &d);
	if (ret) {
		pr_err("start-up failed: %s", strerror(-ret));
		report_start(ready_fd, false);
		return 1;
	}
	report_start(ready_fd, true);
	ret = daemon_run(d);
	daemon_destroy(d);
	return ret ? 1 : 0;
}
