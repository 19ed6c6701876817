/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm internals: the command table, the JSON-RPC call to srptd's
 * control socket and the output helpers shared by the command files
 * (srptadm_<group>.c).  Exit codes: srptadm(8) EXIT STATUS.
 */
#ifndef SRPTD_SRPTADM_H
#define SRPTD_SRPTADM_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#define ADM_EXIT_OK 0
#define ADM_EXIT_FAILED 1 /* srptd answered with an error */
#define ADM_EXIT_USAGE 2 /* bad command line */
#define ADM_EXIT_CONNECT 3 /* cannot reach srptd */

struct adm {
	const char *socket; /* control socket path */
	bool json; /* print the result object as JSON */
	const char *prog; /* "srptadm" */
};

struct adm_cmd {
	/* Command words: "status", "config check". */
	const char *name;
	/* Arguments after the words, for usage lines: "[FILE]". */
	const char *args;
	const char *help; /* one line */
	/*
	 * Run with argv[0] = the last command word and the arguments after
	 * it (getopt-ready: optind is reset to 1).  Returns an exit code.
	 */
	int (*run)(struct adm *a, int argc, char **argv);
};

/* The tables of the command files, each ended by { 0 }. */
extern const struct adm_cmd adm_cmds_daemon[]; /* srptadm_daemon.c */
extern const struct adm_cmd adm_cmds_luns[]; /* srptadm_luns.c */
extern const struct adm_cmd adm_cmds_srp[]; /* srptadm_srp.c */
extern const struct adm_cmd adm_cmds_devices[]; /* srptadm_devices.c */
extern const struct adm_cmd adm_cmds_sessions[]; /* srptadm_sessions.c */
extern const struct adm_cmd adm_cmds_stats[]; /* srptadm_stats.c */

/*
 * Call method with params (consumed; NULL = none).  On success *result
 * is the result (put it) and 0 is returned; otherwise the error is
 * printed and ADM_EXIT_FAILED or ADM_EXIT_CONNECT returned.
 */
int adm_call(struct adm *a, const char *method, struct json_object *params,
	     struct json_object **result);
/*
 * The whole of a simple command: call, then print the result as JSON
 * (--json) or with human(result).  Returns the exit code.
 */
int adm_run(struct adm *a, const char *method, struct json_object *params,
	    void (*human)(struct adm *a, struct json_object *result));
/* Print "srptadm CMD: usage: ..." for cmd; returns ADM_EXIT_USAGE. */
int adm_usage(struct adm *a, const char *cmd_name);
/* Print a JSON value as srptadm --json does. */
void adm_print_json(struct json_object *o);

/* Members of a result; "" / 0 / false when absent. */
const char *adm_str(struct json_object *o, const char *key);
long long adm_int(struct json_object *o, const char *key);
uint64_t adm_u64(struct json_object *o, const char *key);
bool adm_bool(struct json_object *o, const char *key);
struct json_object *adm_obj(struct json_object *o, const char *key);

/* A human table: columns sized to their widest cell. */
struct adm_table;
struct adm_table *adm_table_new(unsigned int n_cols, const char *const *head);
/* One row of n_cols cells (copied); printf-style cells via adm_fmt(). */
void adm_table_row(struct adm_table *t, const char *const *cells);
/* Print (to stdout) and free; "(none)" line when there is no row. */
void adm_table_print(struct adm_table *t, const char *none);
/* snprintf into a static rotating buffer: for table cells. */
const char *adm_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "1.0 GiB" style size, "3d 4h", "5m 6s" durations. */
const char *adm_size(uint64_t bytes);
const char *adm_duration(uint64_t ms);

#endif
