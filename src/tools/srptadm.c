/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm: administer a running srptd through its control socket
 * (srptadm(8)).  This file: the command line and the command table; the
 * commands live in srptadm_<group>.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srptadm.h"
#include "srptd/version.h"

/* Every command group; a new group adds its table here. */
static const struct adm_cmd *const adm_tables[] = {
	adm_cmds_daemon,
	adm_cmds_srp,
	adm_cmds_devices,
	adm_cmds_sessions,
	adm_cmds_luns,
	adm_cmds_stats,
	NULL,
};

static void adm_help(FILE *f)
{
	fprintf(f,
		"Usage: srptadm [OPTIONS] COMMAND [ARGS]\n"
		"Administer a running srptd (SCSI RDMA Protocol target daemon).\n\n"
		"Options:\n"
		"  -s, --socket PATH   control socket (default %s)\n"
		"  -j, --json          print results as JSON (also after COMMAND)\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          print this help and exit\n\n"
		"Commands:\n",
		SRPTD_DEFAULT_CONTROL_SOCKET);
	for (const struct adm_cmd *const *t = adm_tables; *t; t++)
		for (const struct adm_cmd *c = *t; c->name; c++) {
			char words[160];

			snprintf(words, sizeof(words), "%s%s%s", c->name,
				 c->args ? " " : "", c->args ? c->args : "");
			/* A long usage gets a line of its own. */
			if (strlen(words) > 28)
				fprintf(f, "  %s\n  %-28s %s\n", words, "",
					c->help);
			else
				fprintf(f, "  %-28s %s\n", words, c->help);
		}
	fprintf(f,
		"\nExit status: 0 ok, 1 srptd reported an error, 2 usage error,\n"
		"3 cannot connect to srptd.  See srptadm(8).\n");
}

/* How many of the command's words argv starts with (0: not all). */
static int adm_match(const struct adm_cmd *c, int argc, char **argv)
{
	char words[64], *save = NULL;
	int n = 0;

	snprintf(words, sizeof(words), "%s", c->name);
	for (char *w = strtok_r(words, " ", &save); w;
	     w = strtok_r(NULL, " ", &save), n++)
		if (n >= argc || strcmp(argv[n], w))
			return 0;
	return n;
}

static const struct adm_cmd *adm_find(int argc, char **argv, int *words)
{
	const struct adm_cmd *best = NULL;

	*words = 0;
	for (const struct adm_cmd *const *t = adm_tables; *t; t++)
		for (const struct adm_cmd *c = *t; c->name; c++) {
			int n = adm_match(c, argc, argv);

			if (n > *words) {
				*words = n;
				best = c;
			}
		}
	return best;
}

/* Usage of every command whose first word is word; false: none. */
static bool adm_group_usage(struct adm *a, const char *word)
{
	size_t n = strlen(word);
	bool any = false;

	for (const struct adm_cmd *const *t = adm_tables; *t; t++)
		for (const struct adm_cmd *c = *t; c->name; c++)
			if (!strncmp(c->name, word, n) && c->name[n] == ' ') {
				fprintf(stderr, "usage: %s %s%s%s\n", a->prog,
					c->name, c->args ? " " : "",
					c->args ? c->args : "");
				any = true;
			}
	return any;
}

int adm_usage(struct adm *a, const char *cmd_name)
{
	for (const struct adm_cmd *const *t = adm_tables; *t; t++)
		for (const struct adm_cmd *c = *t; c->name; c++)
			if (!strcmp(c->name, cmd_name))
				fprintf(stderr, "usage: %s %s%s%s\n", a->prog,
					c->name, c->args ? " " : "",
					c->args ? c->args : "");
	return ADM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct adm a = { .socket = SRPTD_DEFAULT_CONTROL_SOCKET,
			 .prog = "srptadm" };
	const struct adm_cmd *cmd;
	int opt, words, n = 0;

	/* "+": options up to the command; the command parses its own. */
	while ((opt = getopt_long(argc, argv, "+s:jVh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 's':
			a.socket = optarg;
			break;
		case 'j':
			a.json = true;
			break;
		case 'V':
			printf("srptadm %s\n", SRPTD_VERSION);
			return ADM_EXIT_OK;
		case 'h':
			adm_help(stdout);
			return ADM_EXIT_OK;
		default:
			adm_help(stderr);
			return ADM_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	/* --json is accepted after the command too ("srptadm status --json"). */
	for (int i = 0, rest = 0; i < argc; i++) {
		rest = rest || !strcmp(argv[i], "--");
		if (!rest && !strcmp(argv[i], "--json"))
			a.json = true;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	if (!argc) {
		adm_help(stderr);
		return ADM_EXIT_USAGE;
	}
	cmd = adm_find(argc, argv, &words);
	if (!cmd) {
		/* "srptadm config": the commands that start so. */
		if (adm_group_usage(&a, argv[0]))
			return ADM_EXIT_USAGE;
		fprintf(stderr,
			"srptadm: unknown command '%s'; see srptadm --help\n",
			argv[0]);
		return ADM_EXIT_USAGE;
	}
	optind = 1;
	return cmd->run(&a, argc - words + 1, argv + words - 1);
}
