/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * RAM engine for tests and fuzzers: a device is a zeroed buffer of its
 * size; every I/O is accepted into the worker's context and completes,
 * in submission order, at the next ctx_poll() (never inside submit(), as
 * include/srptd/backend.h requires).  DISCARD and WRITE_ZEROES zero the
 * range, FLUSH does nothing.  Never part of an installed program.
 */
#ifndef SRPTD_BS_RAM_H
#define SRPTD_BS_RAM_H

#include <stdint.h>

#include "srptd/backend.h"

extern const struct srptd_backend_ops bs_ram_ops;

/*
 * Open bdev as a RAM device of size bytes (a multiple of block_size, 512
 * or 4096) named name.  Close it with bdev->ops->close(bdev).
 */
int bs_ram_open(struct srptd_bdev *bdev, const char *name, uint64_t size,
		uint32_t block_size);
/* The device's bytes (tests look at what reached the medium). */
uint8_t *bs_ram_data(struct srptd_bdev *bdev);

#endif
