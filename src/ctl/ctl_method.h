/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What a control socket method is (src/ctl/m_<area>.c): a name, the
 * parameters it takes and a handler that converts between JSON and the C
 * APIs of the daemon.  The dispatcher (rpc.c) checks the request and the
 * parameters against the table before a handler runs, so a handler sees
 * only members it declared, each of the declared type.
 * Wire format and error codes: doc/control.md.
 */
#ifndef SRPTD_CTL_METHOD_H
#define SRPTD_CTL_METHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

/* JSON-RPC 2.0 error codes (JSON-RPC 2.0 specification, section 5.1). */
#define CTL_E_PARSE (-32700) /* not JSON */
#define CTL_E_INVALID_REQUEST (-32600) /* not a request object */
#define CTL_E_NO_METHOD (-32601) /* unknown method */
#define CTL_E_INVALID_PARAMS (-32602) /* params do not match the method */
/* Implementation-defined server errors (-32000..-32099). */
#define CTL_E_FAILED (-32000) /* the method failed: data.errno */
#define CTL_E_DENIED (-32001) /* peer not authorised (SO_PEERCRED) */
#define CTL_E_BUSY (-32002) /* too many connections */

/* Longest request line accepted, without its newline. */
#define CTL_MAX_LINE 65536

enum ctl_param_type {
	CTL_P_STRING,
	CTL_P_INT, /* integer (json-c: int64) */
	CTL_P_BOOL,
	CTL_P_OBJECT,
	CTL_P_ARRAY,
};

struct ctl_param {
	const char *name;
	enum ctl_param_type type;
	bool required;
};

/* One call being served. */
struct ctl_call {
	void *ctx; /* the server's ctx: the struct daemon */
	uid_t uid; /* the peer (SO_PEERCRED) */
	pid_t pid;
	char msg[256]; /* error message set by ctl_fail() */
	bool bad_params; /* set by ctl_fail_params() */
	struct ctl_deferred *deferred; /* set by ctl_defer() */
};

struct ctl_method {
	const char *name; /* "status", "sessions.list" */
	/* Parameters by name, ended by { 0 }; NULL = takes none. */
	const struct ctl_param *params;
	/*
	 * Serve the call: set *result to a new JSON value (NULL = {}) and
	 * return 0, or return -errno after ctl_fail() (the reply is error
	 * CTL_E_FAILED with the message and data.errno = the return value).
	 * A parameter whose value is wrong returns ctl_fail_params()
	 * instead.  A call that cannot be answered yet returns CTL_DEFERRED
	 * after ctl_defer().  params is an object (maybe empty).
	 */
	int (*handler)(struct ctl_call *c, struct json_object *params,
		       struct json_object **result);
};

/*
 * Set c's error message; returns err (a -errno) so handlers can
 * `return ctl_fail(c, -ENOENT, "no target \"%s\"", name);`.
 */
int ctl_fail(struct ctl_call *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * A parameter's value is wrong: the reply becomes CTL_E_INVALID_PARAMS
 * with this message.  Returns -EINVAL.
 */
int ctl_fail_params(struct ctl_call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Deferred answers (doc/control.md "Changes that wait"): a handler whose
 * outcome comes later (a change waiting for commands in flight) takes a
 * handle with ctl_defer(), hands it to whoever finishes the work, and
 * returns CTL_DEFERRED.  The connection reads no further request until
 * ctl_deferred_finish() answers (responses stay in order).  If the peer
 * has gone meanwhile the answer is dropped; the work still finishes and
 * the handle must still be finished, exactly once.
 */
#define CTL_DEFERRED 1
struct ctl_deferred;
/* NULL: out of memory (answer at once instead). */
struct ctl_deferred *ctl_defer(struct ctl_call *c);
/*
 * Answer: ret 0 with result (consumed; NULL = {}), or -errno with msg
 * (as ctl_fail(): error CTL_E_FAILED, data.errno = ret).  Frees d.
 */
void ctl_deferred_finish(struct ctl_deferred *d, int ret, const char *msg,
			 struct json_object *result);
/*
 * The server's side: where the answer's line goes (sink takes the
 * malloc'ed line, or NULL for a notification); detach (sink NULL) when
 * the connection closes first.
 */
void ctl_deferred_attach(struct ctl_deferred *d,
			 void (*sink)(void *arg, char *line), void *arg);

/* Parameter accessors (after the dispatcher's type check): def if absent. */
const char *ctl_param_str(struct json_object *params, const char *name,
			  const char *def);
long long ctl_param_int(struct json_object *params, const char *name,
			long long def);
bool ctl_param_bool(struct json_object *params, const char *name, bool def);

/* Builders that tolerate a NULL object (allocation failure). */
void ctl_add_str(struct json_object *o, const char *key, const char *v);
void ctl_add_int(struct json_object *o, const char *key, long long v);
void ctl_add_u64(struct json_object *o, const char *key, unsigned long long v);
void ctl_add_bool(struct json_object *o, const char *key, bool v);
void ctl_add(struct json_object *o, const char *key, struct json_object *v);

/*
 * Serve one request line (len bytes, no newline) against tables; returns
 * the response line (malloc'ed, no newline) or NULL when nothing is to be
 * sent (a notification, or out of memory).
 */
char *ctl_rpc_handle(const struct ctl_method *const *tables, struct ctl_call *c,
		     const char *line, size_t len);
/* A response with an error and "id": null, e.g. for a refused peer. */
char *ctl_rpc_error_line(int code, const char *msg);

#endif
