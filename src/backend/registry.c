/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Engine registry: the const table of built-in engines and the open path
 * that walks the configured fallback list when an engine cannot run on
 * this kernel (e.g. io_uring disabled by kernel.io_uring_disabled).
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "bs_internal.h"

static const struct srptd_backend_ops *const bs_engines[] = {
	&bs_uring_ops, &bs_aio_ops, &bs_sync_ops, &bs_null_ops,
#if SRPTD_HAVE_RBD
	&bs_rbd_ops,
#endif
};

const struct srptd_backend_ops *srptd_backend_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(bs_engines); i++)
		if (!strcmp(bs_engines[i]->name, name))
			return bs_engines[i];
	return NULL;
}

/*
 * Only probe() failures move on to the next engine: an open() error (a
 * missing file, bad geometry) is a property of the device and would fail
 * identically with any engine, so it is returned as is.
 */
int srptd_backend_open(struct srptd_bdev *bdev, const char *engine,
		       const char *const *fallback,
		       const struct srptd_bdev_params *p,
		       const struct srptd_backend_ops **used)
{
	const char *dname = p->name ? p->name : "?";
	const char *want = engine;
	const char *failed = NULL;
	int failed_ret = 0;
	unsigned int next = 0;
	int ret = -ENODEV;

	while (want) {
		const struct srptd_backend_ops *ops = srptd_backend_find(want);

		if (!ops) {
			dev_log(LOG_WARNING, dname, "unknown engine %s", want);
			ret = -ENOENT;
		} else {
			ret = ops->probe();
			if (!ret) {
				if (failed)
					dev_log(LOG_WARNING, dname,
						"engine %s unavailable (%s), using %s",
						failed, strerror(-failed_ret),
						ops->name);
				ret = ops->open(bdev, p);
				if (ret)
					return ret;
				bdev->ops = ops;
				if (used)
					*used = ops;
				return 0;
			}
		}
		/* Report the first failure only: that is what was asked for. */
		if (!failed) {
			failed = want;
			failed_ret = ret;
		}
		want = fallback ? fallback[next++] : NULL;
	}
	dev_log(LOG_ERR, dname, "no usable engine (%s: %s)",
		failed ? failed : "none", strerror(-failed_ret));
	return failed_ret ? failed_ret : -ENODEV;
}

void srptd_backend_close(struct srptd_bdev *bdev)
{
	if (bdev->ops)
		bdev->ops->close(bdev);
	bdev->ops = NULL;
}
