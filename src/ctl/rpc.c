/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * JSON-RPC 2.0 dispatch: one request line in, one response line out.
 * Checks the request object (JSON-RPC 2.0 specification, section 4), finds
 * the method in the tables, checks its parameters against the method's
 * declaration and runs the handler.  Errors follow section 5.1; our own
 * codes are in ctl_method.h and doc/control.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_method.h"
#include "log.h"

int ctl_fail(struct ctl_call *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return err;
}

int ctl_fail_params(struct ctl_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->bad_params = true;
	return -EINVAL;
}

const char *ctl_param_str(struct json_object *params, const char *name,
			  const char *def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(params, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return def;
	return json_object_get_string(v);
}

long long ctl_param_int(struct json_object *params, const char *name,
			long long def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(params, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

bool ctl_param_bool(struct json_object *params, const char *name, bool def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(params, name, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return def;
	return json_object_get_boolean(v);
}

void ctl_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!o || json_object_object_add(o, key, v))
		json_object_put(v);
}

void ctl_add_str(struct json_object *o, const char *key, const char *v)
{
	ctl_add(o, key, json_object_new_string(v ? v : ""));
}

void ctl_add_int(struct json_object *o, const char *key, long long v)
{
	ctl_add(o, key, json_object_new_int64(v));
}

void ctl_add_u64(struct json_object *o, const char *key, unsigned long long v)
{
	ctl_add(o, key, json_object_new_uint64(v));
}

void ctl_add_bool(struct json_object *o, const char *key, bool v)
{
	ctl_add(o, key, json_object_new_boolean(v));
}

/* The line of a response object; consumes it. */
static char *ctl_rpc_line(struct json_object *rsp)
{
	const char *s;
	char *line;

	if (!rsp)
		return NULL;
	/* Plain: one line, "/" unescaped (paths are common in results). */
	s = json_object_to_json_string_ext(
		rsp, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	line = s ? strdup(s) : NULL;
	json_object_put(rsp);
	return line;
}

/* {"jsonrpc":"2.0","id":id} with id copied (NULL: null). */
static struct json_object *ctl_rpc_base(struct json_object *id)
{
	struct json_object *rsp = json_object_new_object();

	ctl_add_str(rsp, "jsonrpc", "2.0");
	ctl_add(rsp, "id", id ? json_object_get(id) : NULL);
	return rsp;
}

static struct json_object *ctl_rpc_error(struct json_object *id, int code,
					 const char *msg, int err)
{
	struct json_object *rsp = ctl_rpc_base(id);
	struct json_object *e = json_object_new_object();

	ctl_add_int(e, "code", code);
	ctl_add_str(e, "message", msg);
	if (err) {
		struct json_object *data = json_object_new_object();

		ctl_add_int(data, "errno", err);
		ctl_add(e, "data", data);
	}
	ctl_add(rsp, "error", e);
	return rsp;
}

char *ctl_rpc_error_line(int code, const char *msg)
{
	return ctl_rpc_line(ctl_rpc_error(NULL, code, msg, 0));
}

/* A call answered later (ctl_method.h). */
struct ctl_deferred {
	struct json_object *id; /* the request's (NULL: null) */
	bool notification; /* no answer is sent */
	void (*sink)(void *arg, char *line); /* NULL: the peer is gone */
	void *sink_arg;
};

struct ctl_deferred *ctl_defer(struct ctl_call *c)
{
	if (!c->deferred)
		c->deferred = calloc(1, sizeof(*c->deferred));
	return c->deferred;
}

void ctl_deferred_attach(struct ctl_deferred *d,
			 void (*sink)(void *arg, char *line), void *arg)
{
	d->sink = sink;
	d->sink_arg = arg;
}

void ctl_deferred_finish(struct ctl_deferred *d, int ret, const char *msg,
			 struct json_object *result)
{
	struct json_object *rsp;
	char *line = NULL;

	if (ret) {
		json_object_put(result);
		rsp = ctl_rpc_error(d->id, CTL_E_FAILED,
				    msg && *msg ? msg : strerror(-ret), ret);
	} else {
		rsp = ctl_rpc_base(d->id);
		ctl_add(rsp, "result",
			result ? result : json_object_new_object());
	}
	if (d->notification)
		json_object_put(rsp);
	else
		line = ctl_rpc_line(rsp);
	if (d->sink)
		d->sink(d->sink_arg, line);
	else
		free(line); /* the peer left before the answer */
	json_object_put(d->id);
	free(d);
}

static const struct ctl_method *
ctl_rpc_find(const struct ctl_method *const *tables, const char *name)
{
	for (; tables && *tables; tables++)
		for (const struct ctl_method *m = *tables; m->name; m++)
			if (!strcmp(m->name, name))
				return m;
	return NULL;
}

static const char *const ctl_param_type_names[] = {
	[CTL_P_STRING] = "a string",	[CTL_P_INT] = "an integer",
	[CTL_P_BOOL] = "true or false", [CTL_P_OBJECT] = "an object",
	[CTL_P_ARRAY] = "an array",
};

static bool ctl_param_type_ok(enum ctl_param_type t, struct json_object *v)
{
	switch (t) {
	case CTL_P_STRING:
		return json_object_is_type(v, json_type_string);
	case CTL_P_INT:
		return json_object_is_type(v, json_type_int);
	case CTL_P_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case CTL_P_OBJECT:
		return json_object_is_type(v, json_type_object);
	case CTL_P_ARRAY:
		return json_object_is_type(v, json_type_array);
	}
	return false;
}

/* Params against m's declaration; 0 or a message in c->msg. */
static int ctl_rpc_check_params(const struct ctl_method *m,
				struct json_object *params, struct ctl_call *c)
{
	json_object_object_foreach(params, key, val)
	{
		const struct ctl_param *p = m->params;

		while (p && p->name && strcmp(p->name, key))
			p++;
		if (!p || !p->name)
			return ctl_fail(c, -EINVAL,
					"%s: unknown parameter \"%s\"", m->name,
					key);
		if (!ctl_param_type_ok(p->type, val))
			return ctl_fail(c, -EINVAL, "%s: \"%s\" must be %s",
					m->name, key,
					ctl_param_type_names[p->type]);
	}
	for (const struct ctl_param *p = m->params; p && p->name; p++)
		if (p->required &&
		    !json_object_object_get_ex(params, p->name, NULL))
			return ctl_fail(c, -EINVAL,
					"%s: missing parameter \"%s\"", m->name,
					p->name);
	return 0;
}

/* A valid request: run it.  Returns the response object. */
static struct json_object *ctl_rpc_call(const struct ctl_method *const *tables,
					struct ctl_call *c,
					struct json_object *id,
					const char *name,
					struct json_object *params)
{
	const struct ctl_method *m = ctl_rpc_find(tables, name);
	struct json_object *own = NULL, *result = NULL, *rsp;
	int ret;

	if (!m) {
		snprintf(c->msg, sizeof(c->msg), "unknown method \"%s\"", name);
		return ctl_rpc_error(id, CTL_E_NO_METHOD, c->msg, 0);
	}
	/* By-name parameters only (section 4.2 allows either). */
	if (params && !json_object_is_type(params, json_type_object))
		return ctl_rpc_error(id, CTL_E_INVALID_PARAMS,
				     "params must be an object", 0);
	if (!params)
		params = own = json_object_new_object();
	if (!params)
		return NULL;
	if (ctl_rpc_check_params(m, params, c)) {
		rsp = ctl_rpc_error(id, CTL_E_INVALID_PARAMS, c->msg, 0);
		goto out;
	}
	c->msg[0] = 0;
	c->bad_params = false;
	pr_debug(LOG_C_CTL, "uid %u pid %d: %s", (unsigned int)c->uid,
		 (int)c->pid, name);
	ret = m->handler(c, params, &result);
	if (ret == CTL_DEFERRED && c->deferred) {
		/* Answered by ctl_deferred_finish(); nothing now. */
		c->deferred->id = id ? json_object_get(id) : NULL;
		rsp = NULL;
		goto out;
	}
	if (c->deferred) {
		/* Not deferred after all: the handle is not used. */
		free(c->deferred);
		c->deferred = NULL;
	}
	if (ret == CTL_DEFERRED)
		ret = ctl_fail(c, -EIO, "%s: internal error (no answer)", name);
	if (ret) {
		json_object_put(result);
		if (!c->msg[0])
			snprintf(c->msg, sizeof(c->msg), "%s: %s", name,
				 strerror(-ret));
		rsp = ctl_rpc_error(
			id, c->bad_params ? CTL_E_INVALID_PARAMS : CTL_E_FAILED,
			c->msg, c->bad_params ? 0 : ret);
		goto out;
	}
	rsp = ctl_rpc_base(id);
	ctl_add(rsp, "result", result ? result : json_object_new_object());
out:
	json_object_put(own);
	return rsp;
}

char *ctl_rpc_handle(const struct ctl_method *const *tables, struct ctl_call *c,
		     const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *v, *id = NULL, *params = NULL, *rsp;
	enum json_tokener_error jerr;
	const char *method;
	bool notification;

	if (!tok)
		return NULL;
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	/* A bare number may go on: the end of the line ends it. */
	if (!req && jerr == json_tokener_continue) {
		req = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		len = 0; /* nothing after the value to check */
	}
	/* Exactly one JSON value and nothing but white space after it. */
	if (req && jerr == json_tokener_success) {
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			/* strchr() would match a NUL: not white space. */
			if (!line[i] || !strchr(" \t\r", line[i]))
				jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (!req || jerr != json_tokener_success) {
		json_object_put(req);
		return ctl_rpc_error_line(CTL_E_PARSE, "parse error");
	}

	if (!json_object_is_type(req, json_type_object)) {
		rsp = ctl_rpc_error(NULL, CTL_E_INVALID_REQUEST,
				    json_object_is_type(req, json_type_array) ?
					    "batch requests are not supported" :
					    "a request must be an object",
				    0);
		goto out;
	}
	notification = !json_object_object_get_ex(req, "id", &id);
	if (id && !json_object_is_type(id, json_type_string) &&
	    !json_object_is_type(id, json_type_int) &&
	    !json_object_is_type(id, json_type_double)) {
		rsp = ctl_rpc_error(NULL, CTL_E_INVALID_REQUEST,
				    "id must be a string, a number or null", 0);
		goto out;
	}
	if (!json_object_object_get_ex(req, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0")) {
		rsp = ctl_rpc_error(id, CTL_E_INVALID_REQUEST,
				    "\"jsonrpc\" must be \"2.0\"", 0);
		goto out;
	}
	if (!json_object_object_get_ex(req, "method", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		rsp = ctl_rpc_error(id, CTL_E_INVALID_REQUEST,
				    "\"method\" must be a string", 0);
		goto out;
	}
	method = json_object_get_string(v);
	json_object_object_get_ex(req, "params", &params);
	json_object_object_foreach(req, key, val)
	{
		(void)val;
		if (strcmp(key, "jsonrpc") && strcmp(key, "method") &&
		    strcmp(key, "params") && strcmp(key, "id")) {
			snprintf(c->msg, sizeof(c->msg),
				 "unknown request member \"%s\"", key);
			rsp = ctl_rpc_error(id, CTL_E_INVALID_REQUEST, c->msg,
					    0);
			goto out;
		}
	}
	rsp = ctl_rpc_call(tables, c, id, method, params);
	if (c->deferred)
		c->deferred->notification = notification;
	/* A notification gets no response (section 4.1), even an error. */
	if (notification) {
		json_object_put(rsp);
		rsp = NULL;
	}
out:
	json_object_put(req);
	return ctl_rpc_line(rsp);
}
