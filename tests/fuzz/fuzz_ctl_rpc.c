/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer harness: the control socket's JSON-RPC 2.0 dispatch
 * (src/ctl/rpc.c) on arbitrary request lines, against a table of test
 * methods that declare one parameter of every type (doc/control.md), use
 * the parameter accessors and fail in each way a handler can.
 *
 * Input: one request line (no newline).  Besides the sanitizers, the
 * harness traps when a response is not one line of JSON-RPC 2.0: an
 * object with "jsonrpc": "2.0", an "id" and exactly one of "result" and
 * "error" (an error with an integer code and a string message).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_method.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
	do {                              \
		if (!(x))                 \
			__builtin_trap(); \
	} while (0)

static const struct ctl_param fz_params[] = {
	{ "s", CTL_P_STRING, true }, { "i", CTL_P_INT, false },
	{ "b", CTL_P_BOOL, false },  { "o", CTL_P_OBJECT, false },
	{ "a", CTL_P_ARRAY, false }, { NULL, CTL_P_STRING, false },
};

/* Echo the parameters back through the accessors and builders. */
static int fz_echo(struct ctl_call *c, struct json_object *params,
		   struct json_object **result)
{
	struct json_object *r = json_object_new_object();
	struct json_object *v;

	(void)c;
	ctl_add_str(r, "s", ctl_param_str(params, "s", NULL));
	ctl_add_int(r, "i", ctl_param_int(params, "i", -1));
	ctl_add_u64(r, "u", (unsigned long long)ctl_param_int(params, "i", 0));
	ctl_add_bool(r, "b", ctl_param_bool(params, "b", false));
	if (json_object_object_get_ex(params, "o", &v))
		ctl_add(r, "o", json_object_get(v));
	if (json_object_object_get_ex(params, "a", &v))
		ctl_add(r, "a", json_object_get(v));
	*result = r;
	return 0;
}

/* Fail with the string as message, or as a bad parameter. */
static int fz_fail(struct ctl_call *c, struct json_object *params,
		   struct json_object **result)
{
	const char *s = ctl_param_str(params, "s", "");

	*result = json_object_new_object(); /* dropped on failure */
	if (ctl_param_bool(params, "b", false))
		return ctl_fail_params(c, "bad: %s", s);
	if (ctl_param_int(params, "i", 0) == 1)
		return -EIO; /* no message: the dispatcher writes one */
	return ctl_fail(c, -ENOENT, "no %s", s);
}

static int fz_none(struct ctl_call *c, struct json_object *params,
		   struct json_object **result)
{
	(void)c;
	(void)params;
	(void)result; /* NULL result: {} */
	return 0;
}

static const struct ctl_method fz_methods[] = {
	{ "echo", fz_params, fz_echo },
	{ "fail", fz_params, fz_fail },
	{ "none", NULL, fz_none },
	{ NULL, NULL, NULL },
};
static const struct ctl_method *const fz_tables[] = { fz_methods, NULL };

static void fz_check_response(const char *line)
{
	struct json_object *rsp = json_tokener_parse(line), *v, *e;
	bool has_result, has_error;

	CHECK(!strchr(line, '\n'));
	CHECK(rsp && json_object_is_type(rsp, json_type_object));
	CHECK(json_object_object_get_ex(rsp, "jsonrpc", &v) &&
	      !strcmp(json_object_get_string(v), "2.0"));
	CHECK(json_object_object_get_ex(rsp, "id", NULL));
	has_result = json_object_object_get_ex(rsp, "result", NULL);
	has_error = json_object_object_get_ex(rsp, "error", &e);
	CHECK(has_result != has_error);
	if (has_error) {
		CHECK(json_object_object_get_ex(e, "code", &v) &&
		      json_object_is_type(v, json_type_int));
		CHECK(json_object_object_get_ex(e, "message", &v) &&
		      json_object_is_type(v, json_type_string));
	}
	json_object_put(rsp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_call c = { 0 };
	char *line, *rsp;

	if (size > CTL_MAX_LINE)
		return 0;
	/*
	 * The server hands over the bytes before the newline, not
	 * terminated: an exact copy lets ASan catch a read past them.
	 */
	line = malloc(size ? size : 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	rsp = ctl_rpc_handle(fz_tables, &c, line, size);
	if (rsp)
		fz_check_response(rsp);
	free(rsp);
	free(line);
	return 0;
}
