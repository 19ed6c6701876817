/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm commands that change devices and LUN maps live: device add,
 * device remove, device resize, lun map, lun unmap.  srptd applies each
 * like a reload and answers with its change report, printed one line
 * each.  The configuration file is not changed (srptadm(8)).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srptadm.h"

/* Options shared by the commands; which ones a command takes: opts. */
struct luns_opts {
	const char *path, *engine, *size, *group;
	bool read_only, force;
	/* device add: the srptd.conf(5) keys of the same names */
	const char *rbd_image, *ceph_conf, *ceph_client, *ceph_keyring;
	const char *ceph_timeout, *write_cache;
	bool shared;
};

/*
 * Parse the options in opts (letters of "peSgrf", and "icCktws" for the
 * device keys, which have long names only); -1: usage error.
 */
static int luns_getopt(struct adm *a, int argc, char **argv, const char *opts,
		       struct luns_opts *o)
{
	static const struct option longopts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "engine", required_argument, NULL, 'e' },
		{ "size", required_argument, NULL, 'S' },
		{ "group", required_argument, NULL, 'g' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		/* srptd.conf(5) device keys, - or _ alike */
		{ "rbd-image", required_argument, NULL, 'i' },
		{ "rbd_image", required_argument, NULL, 'i' },
		{ "ceph-conf", required_argument, NULL, 'c' },
		{ "ceph_conf", required_argument, NULL, 'c' },
		{ "ceph-client", required_argument, NULL, 'C' },
		{ "ceph_client", required_argument, NULL, 'C' },
		{ "ceph-keyring", required_argument, NULL, 'k' },
		{ "ceph_keyring", required_argument, NULL, 'k' },
		{ "ceph-timeout", required_argument, NULL, 't' },
		{ "ceph_timeout", required_argument, NULL, 't' },
		{ "write-cache", required_argument, NULL, 'w' },
		{ "write_cache", required_argument, NULL, 'w' },
		{ "shared", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	/* 0, not 1: glibc re-initialises (options may follow operands). */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "p:e:S:g:rfj", longopts, NULL)) !=
	       -1) {
		if (ch == 'j') {
			a->json = true;
			continue;
		}
		if (ch == '?' || !strchr(opts, ch))
			return -1;
		switch (ch) {
		case 'p':
			o->path = optarg;
			break;
		case 'e':
			o->engine = optarg;
			break;
		case 'S':
			o->size = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'r':
			o->read_only = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'i':
			o->rbd_image = optarg;
			break;
		case 'c':
			o->ceph_conf = optarg;
			break;
		case 'C':
			o->ceph_client = optarg;
			break;
		case 'k':
			o->ceph_keyring = optarg;
			break;
		case 't':
			o->ceph_timeout = optarg;
			break;
		case 'w':
			o->write_cache = optarg;
			break;
		case 's':
			o->shared = true;
			break;
		}
	}
	return 0;
}

static void report_human(struct adm *a, struct json_object *r)
{
	struct json_object *lines = adm_obj(r, "report");
	size_t n = lines ? json_object_array_length(lines) : 0;

	(void)a;
	for (size_t i = 0; i < n; i++)
		printf("%s\n", json_object_get_string(
				       json_object_array_get_idx(lines, i)));
}

static int luns_run(struct adm *a, const char *method, struct json_object *p,
		    const struct luns_opts *o)
{
	if (!p)
		return ADM_EXIT_FAILED;
	if (o->force)
		json_object_object_add(p, "force", json_object_new_boolean(1));
	return adm_run(a, method, p, report_human);
}

static void put_str(struct json_object *p, const char *k, const char *v)
{
	if (p && v)
		json_object_object_add(p, k, json_object_new_string(v));
}

/* A LUN number argument: 0..16383, -1 if not. */
static long long lun_arg(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 0);

	return *s && !*end && v >= 0 && v <= 16383 ? v : -1;
}

/* "true" or "false" (srptd.conf(5) booleans): 1, 0; -1: neither. */
static int bool_arg(const char *s)
{
	return !strcmp(s, "true") ? 1 : !strcmp(s, "false") ? 0 : -1;
}

static int cmd_device_add(struct adm *a, int argc, char **argv)
{
	struct json_object *p;
	struct luns_opts o;
	long long timeout = 0;
	char *end = NULL;

	if (luns_getopt(a, argc, argv, "peSrficCktws", &o) ||
	    optind != argc - 1)
		return adm_usage(a, "device add");
	/* Syntax only: srptd checks the values as in the file. */
	if (o.ceph_timeout) {
		timeout = strtoll(o.ceph_timeout, &end, 10);
		if (!*o.ceph_timeout || *end)
			return adm_usage(a, "device add");
	}
	if (o.write_cache && bool_arg(o.write_cache) < 0)
		return adm_usage(a, "device add");
	p = json_object_new_object();
	put_str(p, "name", argv[optind]);
	put_str(p, "path", o.path);
	put_str(p, "engine", o.engine);
	put_str(p, "size", o.size);
	put_str(p, "rbd_image", o.rbd_image);
	put_str(p, "ceph_conf", o.ceph_conf);
	put_str(p, "ceph_client", o.ceph_client);
	put_str(p, "ceph_keyring", o.ceph_keyring);
	if (p && o.ceph_timeout)
		json_object_object_add(p, "ceph_timeout",
				       json_object_new_int64(timeout));
	if (p && o.write_cache)
		json_object_object_add(
			p, "write_cache",
			json_object_new_boolean(bool_arg(o.write_cache)));
	if (p && o.read_only)
		json_object_object_add(p, "read_only",
				       json_object_new_boolean(1));
	if (p && o.shared)
		json_object_object_add(p, "shared", json_object_new_boolean(1));
	return luns_run(a, "device.add", p, &o);
}

static int cmd_device_remove(struct adm *a, int argc, char **argv)
{
	struct json_object *p;
	struct luns_opts o;

	if (luns_getopt(a, argc, argv, "f", &o) || optind != argc - 1)
		return adm_usage(a, "device remove");
	p = json_object_new_object();
	put_str(p, "name", argv[optind]);
	return luns_run(a, "device.remove", p, &o);
}

static int cmd_device_resize(struct adm *a, int argc, char **argv)
{
	struct json_object *p;
	struct luns_opts o;

	if (luns_getopt(a, argc, argv, "f", &o) || optind != argc - 2)
		return adm_usage(a, "device resize");
	p = json_object_new_object();
	put_str(p, "name", argv[optind]);
	put_str(p, "size", argv[optind + 1]);
	return luns_run(a, "device.resize", p, &o);
}

static int cmd_lun_map(struct adm *a, int argc, char **argv)
{
	struct json_object *p;
	struct luns_opts o;
	long long lun;

	if (luns_getopt(a, argc, argv, "grf", &o) || optind != argc - 3 ||
	    (lun = lun_arg(argv[optind + 1])) < 0)
		return adm_usage(a, "lun map");
	p = json_object_new_object();
	put_str(p, "target", argv[optind]);
	if (p)
		json_object_object_add(p, "lun", json_object_new_int64(lun));
	put_str(p, "device", argv[optind + 2]);
	put_str(p, "group", o.group);
	if (p && o.read_only)
		json_object_object_add(p, "read_only",
				       json_object_new_boolean(1));
	return luns_run(a, "lun.map", p, &o);
}

static int cmd_lun_unmap(struct adm *a, int argc, char **argv)
{
	struct json_object *p;
	struct luns_opts o;
	long long lun;

	if (luns_getopt(a, argc, argv, "gf", &o) || optind != argc - 2 ||
	    (lun = lun_arg(argv[optind + 1])) < 0)
		return adm_usage(a, "lun unmap");
	p = json_object_new_object();
	put_str(p, "target", argv[optind]);
	if (p)
		json_object_object_add(p, "lun", json_object_new_int64(lun));
	put_str(p, "group", o.group);
	return luns_run(a, "lun.unmap", p, &o);
}

const struct adm_cmd adm_cmds_luns[] = {
	{ "device add",
	  "NAME [--path P] [--engine E] [--size S] [--read-only] "
	  "[--write-cache true|false] [--shared] [--rbd-image POOL/IMAGE] "
	  "[--ceph-conf F] [--ceph-client ID] [--ceph-keyring F] "
	  "[--ceph-timeout S]",
	  "open a new device (not mapped yet)", cmd_device_add },
	{ "device remove", "NAME", "close a device no LUN map has",
	  cmd_device_remove },
	{ "device resize", "NAME SIZE [--force]",
	  "resize live (SIZE 0: re-read the file's size)", cmd_device_resize },
	{ "lun map", "TARGET LUN DEVICE [--group G] [--read-only] [--force]",
	  "map a device live", cmd_lun_map },
	{ "lun unmap", "TARGET LUN [--group G] [--force]",
	  "unmap a LUN live (--force: abort its commands)", cmd_lun_unmap },
	{ 0 },
};
