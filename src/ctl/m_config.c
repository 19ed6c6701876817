/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Control methods about configuration files: config.check validates a
 * file as `srptd --check-config` does, config.dump writes the running
 * configuration (doc/control.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "ctl/ctl_tables.h"
#include "daemon.h"

/*
 * srptd reads the file as root: a caller who is not root may only have
 * files checked that it could read itself (its own, or world-readable),
 * so error messages quoting values leak nothing.
 */
static int may_read(struct ctl_call *c, const char *file)
{
	struct stat st;

	if (c->uid == 0)
		return 0;
	if (stat(file, &st) < 0)
		return ctl_fail(c, -errno, "%s: %s", file, strerror(errno));
	if ((st.st_uid == c->uid && (st.st_mode & S_IRUSR)) ||
	    (st.st_mode & S_IROTH))
		return 0;
	return ctl_fail(
		c, -EACCES,
		"%s: only root may have a file checked that the caller cannot read",
		file);
}

static int m_config_check(struct ctl_call *c, struct json_object *params,
			  struct json_object **result)
{
	const char *file = ctl_param_str(params, "file", NULL);
	struct config_errors *errs;
	struct config *cfg = NULL;
	struct json_object *r, *a;
	int ret;

	/* srptd's working directory is not the caller's. */
	if (file && file[0] != '/')
		return ctl_fail_params(
			c, "file: \"%s\" is not an absolute path", file);
	if (!file) {
		struct daemon_info in;

		daemon_get_info(c->ctx, &in);
		file = in.config_path;
	}
	ret = may_read(c, file);
	if (ret)
		return ret;
	errs = calloc(1, sizeof(*errs));
	if (!errs)
		return ctl_fail(c, -ENOMEM, "out of memory");
	config_load(file, NULL, &cfg, errs);
	r = json_object_new_object();
	a = json_object_new_array();
	for (unsigned int i = 0; a && i < errs->n; i++) {
		char line[600];

		if (errs->e[i].line > 0)
			snprintf(line, sizeof(line), "%s:%d: %s",
				 errs->e[i].file, errs->e[i].line,
				 errs->e[i].msg);
		else
			snprintf(line, sizeof(line), "%s: %s", errs->e[i].file,
				 errs->e[i].msg);
		json_object_array_add(a, json_object_new_string(line));
	}
	ctl_add_str(r, "file", file);
	ctl_add_bool(r, "valid", cfg != NULL);
	ctl_add(r, "errors", a);
	ctl_add_int(r, "more_errors", errs->dropped);
	ctl_add_int(r, "devices", cfg ? cfg->n_devices : 0);
	ctl_add_int(r, "targets", cfg ? cfg->n_targets : 0);
	config_free(cfg);
	free(errs);
	*result = r;
	return 0;
}

static int m_config_dump(struct ctl_call *c, struct json_object *params,
			 struct json_object **result)
{
	const struct config *cfg = daemon_config(c->ctx);
	struct json_object *r;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return ctl_fail(c, -errno, "out of memory");
	config_dump(cfg, f);
	if (fclose(f)) {
		free(text);
		return ctl_fail(c, -ENOMEM, "out of memory");
	}
	r = json_object_new_object();
	ctl_add_u64(r, "generation", cfg->generation);
	ctl_add(r, "text", json_object_new_string_len(text, (int)len));
	free(text);
	*result = r;
	return 0;
}

static const struct ctl_param file_param[] = {
	{ "file", CTL_P_STRING, false },
	{ 0 },
};

const struct ctl_method ctl_methods_config[] = {
	{ "config.check", file_param, m_config_check },
	{ "config.dump", NULL, m_config_dump },
	{ 0 },
};
