/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * JSON-RPC 2.0 dispatch (src/ctl/rpc.c) against a table of test methods:
 * every error class of the JSON-RPC 2.0 specification (section 5.1), the
 * parameter checks a method declares, handler errors, notifications.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_method.h"

static int calls;

static int m_echo(struct ctl_call *c, struct json_object *params,
		  struct json_object **result)
{
	struct json_object *r = json_object_new_object();

	calls++;
	ctl_add_str(r, "name", ctl_param_str(params, "name", "none"));
	ctl_add_int(r, "n", ctl_param_int(params, "n", -1));
	ctl_add_bool(r, "flag", ctl_param_bool(params, "flag", false));
	*result = r;
	return 0;
}

static int m_empty(struct ctl_call *c, struct json_object *params,
		   struct json_object **result)
{
	calls++;
	return 0;
}

static int m_fail(struct ctl_call *c, struct json_object *params,
		  struct json_object **result)
{
	calls++;
	/* A result set before failing must not leak or be sent. */
	*result = json_object_new_object();
	return ctl_fail(c, -ENOENT, "no such thing \"%s\"",
			ctl_param_str(params, "what", "?"));
}

static int m_bad_value(struct ctl_call *c, struct json_object *params,
		       struct json_object **result)
{
	calls++;
	return ctl_fail_params(c, "n: %lld is out of range (0..9)",
			       ctl_param_int(params, "n", 0));
}

static int m_silent_fail(struct ctl_call *c, struct json_object *params,
			 struct json_object **result)
{
	return -EBUSY;
}

static const struct ctl_param echo_params[] = {
	{ "name", CTL_P_STRING, true }, { "n", CTL_P_INT, false },
	{ "flag", CTL_P_BOOL, false },	{ "obj", CTL_P_OBJECT, false },
	{ "arr", CTL_P_ARRAY, false },	{ 0 },
};
static const struct ctl_param what_params[] = {
	{ "what", CTL_P_STRING, false },
	{ 0 },
};
static const struct ctl_param n_params[] = {
	{ "n", CTL_P_INT, true },
	{ 0 },
};

static const struct ctl_method table_a[] = {
	{ "test.echo", echo_params, m_echo },
	{ "test.empty", NULL, m_empty },
	{ 0 },
};
static const struct ctl_method table_b[] = {
	{ "test.fail", what_params, m_fail },
	{ "test.bad_value", n_params, m_bad_value },
	{ "test.silent", NULL, m_silent_fail },
	{ 0 },
};
static const struct ctl_method *const tables[] = { table_a, table_b, NULL };

/* Serve line; returns the parsed response (NULL: none sent). */
static struct json_object *call(const char *line)
{
	struct ctl_call c = { .uid = 0, .pid = 1 };
	char *rsp = ctl_rpc_handle(tables, &c, line, strlen(line));
	struct json_object *o;

	if (!rsp)
		return NULL;
	/* One line: the socket's framing depends on it. */
	assert_null(strchr(rsp, '\n'));
	o = json_tokener_parse(rsp);
	assert_non_null(o);
	free(rsp);
	return o;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static bool has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/* Check an error response: code, id (NULL: null) and message part. */
static void expect_error(const char *line, int code, const char *id,
			 const char *msg_part)
{
	struct json_object *o = call(line), *e;

	assert_non_null(o);
	assert_string_equal(json_object_get_string(get(o, "jsonrpc")), "2.0");
	assert_false(has(o, "result"));
	e = get(o, "error");
	assert_int_equal(json_object_get_int(get(e, "code")), code);
	if (!strstr(json_object_get_string(get(e, "message")), msg_part))
		fail_msg("message \"%s\" lacks \"%s\"",
			 json_object_get_string(get(e, "message")), msg_part);
	if (id)
		assert_string_equal(json_object_to_json_string(get(o, "id")),
				    id);
	else
		assert_null(get(o, "id"));
	json_object_put(o);
}

static void test_result(void **state)
{
	struct json_object *o, *r;

	calls = 0;
	o = call("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"test.echo\","
		 "\"params\":{\"name\":\"a/b\",\"n\":5,\"flag\":true,"
		 "\"obj\":{},\"arr\":[1]}}");
	assert_int_equal(calls, 1);
	assert_int_equal(json_object_get_int(get(o, "id")), 7);
	assert_false(has(o, "error"));
	r = get(o, "result");
	assert_string_equal(json_object_get_string(get(r, "name")), "a/b");
	assert_int_equal(json_object_get_int(get(r, "n")), 5);
	assert_true(json_object_get_boolean(get(r, "flag")));
	json_object_put(o);

	/* A string id comes back as it was; so does white space around. */
	o = call(
		"  {\"id\":\"x-1\",\"method\":\"test.echo\",\"jsonrpc\":\"2.0\","
		"\"params\":{\"name\":\"\"}}  \t");
	assert_string_equal(json_object_get_string(get(o, "id")), "x-1");
	r = get(o, "result");
	assert_int_equal(json_object_get_int(get(r, "n")), -1);
	json_object_put(o);

	/* No result object from the handler: {}; null id stays null. */
	o = call("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"test.empty\"}");
	assert_null(get(o, "id"));
	assert_true(json_object_is_type(get(o, "result"), json_type_object));
	assert_int_equal(json_object_object_length(get(o, "result")), 0);
	json_object_put(o);
	assert_int_equal(calls, 3);
}

static void test_parse_errors(void **state)
{
	calls = 0;
	expect_error("xx", CTL_E_PARSE, NULL, "parse error");
	expect_error("{\"jsonrpc\":\"2.0\",", CTL_E_PARSE, NULL, "parse error");
	/* Two values on one line are not one request. */
	expect_error(
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.empty\"}{}",
		CTL_E_PARSE, NULL, "parse error");
	expect_error(
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.empty\"} x",
		CTL_E_PARSE, NULL, "parse error");
	assert_int_equal(calls, 0);
}

/*
 * A NUL byte after the value is not white space (found while writing
 * tests/fuzz/fuzz_ctl_rpc.c: strchr() matched the string terminator).
 */
static void test_nul_after_value(void **state)
{
	static const char line[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.empty\"} \0";
	struct ctl_call c = { .uid = 0, .pid = 1 };
	struct json_object *o, *e;
	char *rsp;

	(void)state;
	calls = 0;
	/* The line as the server hands it over: every byte before '\n'. */
	rsp = ctl_rpc_handle(tables, &c, line, sizeof(line) - 1);
	assert_non_null(rsp);
	o = json_tokener_parse(rsp);
	free(rsp);
	assert_non_null(o);
	e = get(o, "error");
	assert_int_equal(json_object_get_int(get(e, "code")), CTL_E_PARSE);
	json_object_put(o);
	assert_int_equal(calls, 0);
}

static void test_invalid_requests(void **state)
{
	calls = 0;
	expect_error("42", CTL_E_INVALID_REQUEST, NULL, "must be an object");
	expect_error(
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.empty\"}]",
		CTL_E_INVALID_REQUEST, NULL, "batch");
	expect_error("{\"id\":3,\"method\":\"test.empty\"}",
		     CTL_E_INVALID_REQUEST, "3", "jsonrpc");
	expect_error("{\"jsonrpc\":\"1.0\",\"id\":3,\"method\":\"test.empty\"}",
		     CTL_E_INVALID_REQUEST, "3", "jsonrpc");
	expect_error("{\"jsonrpc\":2.0,\"id\":3,\"method\":\"test.empty\"}",
		     CTL_E_INVALID_REQUEST, "3", "jsonrpc");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":3}", CTL_E_INVALID_REQUEST,
		     "3", "method");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":5}",
		     CTL_E_INVALID_REQUEST, "3", "method");
	expect_error(
		"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"test.empty\"}",
		CTL_E_INVALID_REQUEST, NULL, "id must be");
	expect_error(
		"{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"test.empty\"}",
		CTL_E_INVALID_REQUEST, NULL, "id must be");
	expect_error(
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test.empty\",\"x\":1}",
		CTL_E_INVALID_REQUEST, "3", "unknown request member \"x\"");
	assert_int_equal(calls, 0);
}

static void test_unknown_method(void **state)
{
	calls = 0;
	expect_error(
		"{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"test.nope\"}",
		CTL_E_NO_METHOD, "\"q\"", "unknown method \"test.nope\"");
	/* Names match whole, not as prefixes. */
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test\"}",
		     CTL_E_NO_METHOD, "1", "unknown method");
	assert_int_equal(calls, 0);
}

static void test_invalid_params(void **state)
{
	calls = 0;
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":[\"a\"]}",
		     CTL_E_INVALID_PARAMS, "1", "params must be an object");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":\"a\"}",
		     CTL_E_INVALID_PARAMS, "1", "params must be an object");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\"}",
		     CTL_E_INVALID_PARAMS, "1",
		     "test.echo: missing parameter \"name\"");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":{\"name\":\"a\",\"bogus\":1}}",
		     CTL_E_INVALID_PARAMS, "1", "unknown parameter \"bogus\"");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":{\"name\":1}}",
		     CTL_E_INVALID_PARAMS, "1", "\"name\" must be a string");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":{\"name\":\"a\",\"n\":\"5\"}}",
		     CTL_E_INVALID_PARAMS, "1", "\"n\" must be an integer");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":{\"name\":\"a\",\"n\":1.5}}",
		     CTL_E_INVALID_PARAMS, "1", "\"n\" must be an integer");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":{\"name\":\"a\",\"flag\":1}}",
		     CTL_E_INVALID_PARAMS, "1",
		     "\"flag\" must be true or false");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":{\"name\":\"a\",\"obj\":[]}}",
		     CTL_E_INVALID_PARAMS, "1", "\"obj\" must be an object");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\","
		     "\"params\":{\"name\":\"a\",\"arr\":{}}}",
		     CTL_E_INVALID_PARAMS, "1", "\"arr\" must be an array");
	/* A method without parameters takes none. */
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.empty\","
		     "\"params\":{\"x\":1}}",
		     CTL_E_INVALID_PARAMS, "1", "unknown parameter \"x\"");
	assert_int_equal(calls, 0);
	/* The handler's own value check. */
	expect_error(
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.bad_value\","
		"\"params\":{\"n\":12}}",
		CTL_E_INVALID_PARAMS, "1", "n: 12 is out of range");
	assert_int_equal(calls, 1);
}

static void test_handler_errors(void **state)
{
	struct json_object *o, *e;

	o = call("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"test.fail\","
		 "\"params\":{\"what\":\"disk\"}}");
	e = get(o, "error");
	assert_int_equal(json_object_get_int(get(e, "code")), CTL_E_FAILED);
	assert_string_equal(json_object_get_string(get(e, "message")),
			    "no such thing \"disk\"");
	assert_int_equal(json_object_get_int(get(get(e, "data"), "errno")),
			 -ENOENT);
	assert_false(has(o, "result"));
	json_object_put(o);

	/* Without a message: the method's name and strerror. */
	o = call("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"test.silent\"}");
	e = get(o, "error");
	assert_int_equal(json_object_get_int(get(e, "code")), CTL_E_FAILED);
	assert_string_equal(json_object_get_string(get(e, "message")),
			    "test.silent: Device or resource busy");
	assert_int_equal(json_object_get_int(get(get(e, "data"), "errno")),
			 -EBUSY);
	json_object_put(o);
}

static void test_notifications(void **state)
{
	calls = 0;
	/* No id: executed, never answered -- errors included (4.1). */
	assert_null(call("{\"jsonrpc\":\"2.0\",\"method\":\"test.empty\"}"));
	assert_int_equal(calls, 1);
	assert_null(call("{\"jsonrpc\":\"2.0\",\"method\":\"test.nope\"}"));
	assert_null(call("{\"jsonrpc\":\"2.0\",\"method\":\"test.fail\"}"));
	assert_int_equal(calls, 2);
	/* A request that is not valid has no id to leave out: answered. */
	expect_error("{\"method\":\"test.empty\"}", CTL_E_INVALID_REQUEST, NULL,
		     "jsonrpc");
}

static void test_error_line(void **state)
{
	char *line = ctl_rpc_error_line(CTL_E_DENIED, "permission denied");
	struct json_object *o = json_tokener_parse(line), *e;

	assert_non_null(o);
	assert_null(get(o, "id"));
	e = get(o, "error");
	assert_int_equal(json_object_get_int(get(e, "code")), CTL_E_DENIED);
	assert_string_equal(json_object_get_string(get(e, "message")),
			    "permission denied");
	assert_false(has(e, "data"));
	json_object_put(o);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_nul_after_value),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_unknown_method),
		cmocka_unit_test(test_invalid_params),
		cmocka_unit_test(test_handler_errors),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_error_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
