/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer harness for the configuration loader: arbitrary bytes as
 * /etc/srptd.conf.  Besides the sanitizers it checks one property: a config
 * that loads dumps (config_dump) to text that loads again, with the same
 * number of devices and targets (srptadm config dump relies on it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[128], dump[128];
	static struct config_errors errs, errs2;
	struct config *cfg = NULL, *again = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!in[0]) {
		const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

		snprintf(in, sizeof(in), "%s/fuzz-config-%d.conf", tmp,
			 (int)getpid());
		snprintf(dump, sizeof(dump), "%s/fuzz-config-%d.dump", tmp,
			 (int)getpid());
	}
	write_file(in, data, size);
	/* No drop-ins: the input alone is the whole configuration. */
	if (config_load(in, "", &cfg, &errs))
		return 0;

	m = open_memstream(&buf, &len);
	if (!m)
		abort();
	config_dump(cfg, m);
	fclose(m);
	write_file(dump, buf, len);
	free(buf);
	if (config_load(dump, "", &again, &errs2)) {
		config_errors_print(&errs2, stderr);
		abort(); /* a dump that does not load back */
	}
	if (again->n_devices != cfg->n_devices ||
	    again->n_targets != cfg->n_targets)
		abort();
	config_free(again);
	config_free(cfg);
	return 0;
}
