/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer harness for the configuration loader: arbitrary bytes as the
 * main configuration file, loaded from memory (config_load_string: the same
 * parse and every validation pass as a file, without the file system).
 * Besides the sanitizers it checks one property: a config that loads dumps
 * (config_dump) to text that loads again, with the same number of devices
 * and targets (srptadm config dump relies on it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_errors errs, errs2;
	struct config *cfg = NULL, *again = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	/* No drop-ins: the input alone is the whole configuration. */
	if (config_load_string("fuzz.conf", (const char *)data, size, "", &cfg,
			       &errs))
		return 0;

	m = open_memstream(&buf, &len);
	if (!m)
		abort();
	config_dump(cfg, m);
	fclose(m);
	if (config_load_string("fuzz-dump.conf", buf, len, "", &again,
			       &errs2)) {
		config_errors_print(&errs2, stderr);
		abort(); /* a dump that does not load back */
	}
	free(buf);
	if (again->n_devices != cfg->n_devices ||
	    again->n_targets != cfg->n_targets)
		abort();
	config_free(again);
	config_free(cfg);
	return 0;
}
