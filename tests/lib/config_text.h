/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Configuration text in and out for the unit tests (cmocka asserts): load
 * a body from memory, print its errors, reload a dump.
 */
#ifndef SRPTD_TESTS_CONFIG_TEXT_H
#define SRPTD_TESTS_CONFIG_TEXT_H

#include "config/config.h"

/* Everything config_errors_print() writes; the caller frees it. */
char *cfgt_errors_text(const struct config_errors *errs);
/*
 * Load "version = 1;" followed by body from memory under the file name
 * name (config_load_string, so messages read name:line: ...), with no
 * drop-in directory.  NULL and *cfg set when it loaded; otherwise the
 * printed errors (the caller frees them) and *cfg NULL.
 */
char *cfgt_load(const char *name, const char *body, struct config **cfg);
/* What config_dump() writes for cfg; the caller frees it. */
char *cfgt_dump(const struct config *cfg);
/* config_dump(cfg) loaded again; asserts that it loads. */
struct config *cfgt_reload_dump(const struct config *cfg);

#endif
