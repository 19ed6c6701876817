/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Control methods that change devices and LUN maps live: device.add,
 * device.remove, device.resize, lun.map, lun.unmap.  Each calls the
 * daemon's runtime change API (src/daemon_change.h), which applies the
 * change like a reload; the result is the change report.  A change that
 * waits for commands in flight is answered when it is over (a deferred
 * answer, ctl_defer()).  Results are documented in doc/control.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "ctl/ctl_tables.h"
#include "daemon_change.h"

/*
 * A change's outcome: the report's lines as {"report": [...]} into
 * *result, or, on failure, joined by "; " into msg.  Frees rep.
 */
static int ctl_report_answer(int ret, struct daemon_change_report *rep,
			     char *msg, size_t len, struct json_object **result)
{
	struct json_object *r, *lines;
	size_t off = 0;

	msg[0] = 0;
	if (ret) {
		for (unsigned int i = 0; i < rep->n && off < len; i++)
			off += snprintf(msg + off, len - off, "%s%s",
					i ? "; " : "", rep->lines[i]);
		if (!rep->n)
			snprintf(msg, len, "%s", strerror(-ret));
		daemon_report_free(rep);
		return ret;
	}
	r = json_object_new_object();
	lines = json_object_new_array();
	for (unsigned int i = 0; lines && i < rep->n; i++)
		json_object_array_add(lines,
				      json_object_new_string(rep->lines[i]));
	ctl_add(r, "report", lines);
	daemon_report_free(rep);
	if (!r) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	*result = r;
	return 0;
}

/* daemon_change_waiter.done: a change that waited is over; answer. */
static void ctl_change_done(void *arg, int ret,
			    struct daemon_change_report *rep)
{
	struct json_object *result = NULL;
	char msg[256];

	ret = ctl_report_answer(ret, rep, msg, sizeof(msg), &result);
	ctl_deferred_finish(arg, ret, msg, result);
}

/*
 * The waiter for a change started by call c: its answer is deferred if
 * the change has to wait for commands in flight.  NULL when out of
 * memory: the change is then refused rather than waited for.
 */
static const struct daemon_change_waiter *
ctl_waiter(struct ctl_call *c, struct daemon_change_waiter *w)
{
	w->done = ctl_change_done;
	w->arg = ctl_defer(c);
	return w->arg ? w : NULL;
}

/* The answer now, or CTL_DEFERRED when the change waits. */
static int ctl_report(struct ctl_call *c, int ret,
		      struct daemon_change_report *rep,
		      struct json_object **result)
{
	if (ret == -EINPROGRESS)
		return CTL_DEFERRED;
	return ctl_report_answer(ret, rep, c->msg, sizeof(c->msg), result);
}

static unsigned int ctl_flags(struct json_object *params)
{
	return ctl_param_bool(params, "force", false) ? DAEMON_APPLY_FORCE : 0;
}

/* "size": "512M", "1G", "0" (bytes with binary suffixes). */
static int ctl_size(struct ctl_call *c, struct json_object *params,
		    uint64_t *size)
{
	const char *s = ctl_param_str(params, "size", "0");

	if (config_parse_size(s, size))
		return ctl_fail_params(
			c,
			"size \"%s\": a number of bytes with an optional K, M, G or T suffix",
			s);
	return 0;
}

static bool ctl_has(struct json_object *params, const char *name)
{
	return json_object_object_get_ex(params, name, NULL);
}

/*
 * The keys of a devices entry of srptd.conf(5), by the same names; the
 * daemon checks them as it checks the file (daemon_device_add()).
 */
static int m_device_add(struct ctl_call *c, struct json_object *params,
			struct json_object **result)
{
	struct daemon_change_report rep = { 0 };
	struct daemon_change_waiter w;
	long long timeout = ctl_param_int(params, "ceph_timeout", 0);
	bool write_cache = ctl_param_bool(params, "write_cache", true);
	bool shared = ctl_param_bool(params, "shared", false);
	struct daemon_device_spec s = {
		.name = ctl_param_str(params, "name", ""),
		.path = ctl_param_str(params, "path", ""),
		.engine = ctl_param_str(params, "engine", NULL),
		.read_only = ctl_param_bool(params, "read_only", false),
		.rbd_image = ctl_param_str(params, "rbd_image", NULL),
		.ceph_conf = ctl_param_str(params, "ceph_conf", NULL),
		.ceph_client = ctl_param_str(params, "ceph_client", NULL),
		.ceph_keyring = ctl_param_str(params, "ceph_keyring", NULL),
		.ceph_timeout = ctl_has(params, "ceph_timeout") ? &timeout :
								  NULL,
		.write_cache = ctl_has(params, "write_cache") ? &write_cache :
								NULL,
		.shared = ctl_has(params, "shared") ? &shared : NULL,
	};
	int ret = ctl_size(c, params, &s.size);

	if (ret)
		return ret;
	ret = daemon_device_add(c->ctx, &s, ctl_flags(params), &rep,
				ctl_waiter(c, &w));
	return ctl_report(c, ret, &rep, result);
}

static int m_device_remove(struct ctl_call *c, struct json_object *params,
			   struct json_object **result)
{
	struct daemon_change_report rep = { 0 };
	struct daemon_change_waiter w;
	int ret = daemon_device_remove(c->ctx,
				       ctl_param_str(params, "name", ""),
				       ctl_flags(params), &rep,
				       ctl_waiter(c, &w));

	return ctl_report(c, ret, &rep, result);
}

static int m_device_resize(struct ctl_call *c, struct json_object *params,
			   struct json_object **result)
{
	struct daemon_change_report rep = { 0 };
	struct daemon_change_waiter w;
	uint64_t size;
	int ret = ctl_size(c, params, &size);

	if (ret)
		return ret;
	ret = daemon_device_resize(c->ctx, ctl_param_str(params, "name", ""),
				   size, ctl_flags(params), &rep,
				   ctl_waiter(c, &w));
	return ctl_report(c, ret, &rep, result);
}

static int ctl_lun_spec(struct ctl_call *c, struct json_object *params,
			struct daemon_lun_spec *s)
{
	long long lun = ctl_param_int(params, "lun", -1);

	if (lun < 0 || lun > 16383)
		return ctl_fail_params(c, "lun %lld: 0..16383", lun);
	*s = (struct daemon_lun_spec){
		.target = ctl_param_str(params, "target", ""),
		.group = ctl_param_str(params, "group", NULL),
		.lun = (uint64_t)lun,
		.device = ctl_param_str(params, "device", ""),
		.read_only = ctl_param_bool(params, "read_only", false),
	};
	return 0;
}

static int m_lun_map(struct ctl_call *c, struct json_object *params,
		     struct json_object **result)
{
	struct daemon_change_report rep = { 0 };
	struct daemon_change_waiter w;
	struct daemon_lun_spec s;
	int ret = ctl_lun_spec(c, params, &s);

	if (ret)
		return ret;
	ret = daemon_lun_map(c->ctx, &s, ctl_flags(params), &rep,
			     ctl_waiter(c, &w));
	return ctl_report(c, ret, &rep, result);
}

static int m_lun_unmap(struct ctl_call *c, struct json_object *params,
		       struct json_object **result)
{
	struct daemon_change_report rep = { 0 };
	struct daemon_change_waiter w;
	struct daemon_lun_spec s;
	int ret = ctl_lun_spec(c, params, &s);

	if (ret)
		return ret;
	ret = daemon_lun_unmap(c->ctx, &s, ctl_flags(params), &rep,
			       ctl_waiter(c, &w));
	return ctl_report(c, ret, &rep, result);
}

static const struct ctl_param p_device_add[] = {
	{ "name", CTL_P_STRING, true },
	{ "path", CTL_P_STRING, false },
	{ "engine", CTL_P_STRING, false },
	{ "size", CTL_P_STRING, false },
	{ "read_only", CTL_P_BOOL, false },
	{ "write_cache", CTL_P_BOOL, false },
	{ "shared", CTL_P_BOOL, false },
	{ "rbd_image", CTL_P_STRING, false },
	{ "ceph_conf", CTL_P_STRING, false },
	{ "ceph_client", CTL_P_STRING, false },
	{ "ceph_keyring", CTL_P_STRING, false },
	{ "ceph_timeout", CTL_P_INT, false },
	{ "force", CTL_P_BOOL, false },
	{ 0 },
};
static const struct ctl_param p_device_remove[] = {
	{ "name", CTL_P_STRING, true },
	{ "force", CTL_P_BOOL, false },
	{ 0 },
};
static const struct ctl_param p_device_resize[] = {
	{ "name", CTL_P_STRING, true },
	{ "size", CTL_P_STRING, true },
	{ "force", CTL_P_BOOL, false },
	{ 0 },
};
static const struct ctl_param p_lun_map[] = {
	{ "target", CTL_P_STRING, true },
	{ "lun", CTL_P_INT, true },
	{ "device", CTL_P_STRING, true },
	{ "group", CTL_P_STRING, false },
	{ "read_only", CTL_P_BOOL, false },
	{ "force", CTL_P_BOOL, false },
	{ 0 },
};
static const struct ctl_param p_lun_unmap[] = {
	{ "target", CTL_P_STRING, true },
	{ "lun", CTL_P_INT, true },
	{ "group", CTL_P_STRING, false },
	{ "force", CTL_P_BOOL, false },
	{ 0 },
};

const struct ctl_method ctl_methods_luns[] = {
	{ "device.add", p_device_add, m_device_add },
	{ "device.remove", p_device_remove, m_device_remove },
	{ "device.resize", p_device_resize, m_device_resize },
	{ "lun.map", p_lun_map, m_lun_map },
	{ "lun.unmap", p_lun_unmap, m_lun_unmap },
	{ 0 },
};
