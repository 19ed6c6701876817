/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * RAM engine (bs_ram.h): the contract of include/srptd/backend.h with
 * memcpy for the medium.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bs_ram.h"
#include "util.h"

struct srptd_backend_ctx {
	int efd; /* readable while q holds I/Os */
	unsigned int depth, n;
	struct srptd_io **q; /* accepted, FIFO */
};

static int bs_ram_probe(void)
{
	return 0;
}

static int bs_ram_open_params(struct srptd_bdev *bdev,
			      const struct srptd_bdev_params *p)
{
	uint32_t bs = p->block_size ? p->block_size : 512;

	return bs_ram_open(bdev, p->name ? p->name : "ram", p->size, bs);
}

int bs_ram_open(struct srptd_bdev *bdev, const char *name, uint64_t size,
		uint32_t block_size)
{
	if ((block_size != 512 && block_size != 4096) || !size ||
	    size % block_size)
		return -EINVAL;
	memset(bdev, 0, sizeof(*bdev));
	bdev->priv = calloc(1, size);
	bdev->name = strdup(name);
	if (!bdev->priv || !bdev->name) {
		free(bdev->priv);
		free(bdev->name);
		return -ENOMEM;
	}
	bdev->ops = &bs_ram_ops;
	bdev->fd = -1;
	bdev->size = size;
	bdev->block_size = block_size;
	bdev->phys_block_size = block_size;
	bdev->write_cache = true;
	bdev->can_discard = true;
	bdev->discard_zeroes = true;
	bdev->discard_granularity = block_size;
	return 0;
}

uint8_t *bs_ram_data(struct srptd_bdev *bdev)
{
	return bdev->priv;
}

static void bs_ram_close(struct srptd_bdev *bdev)
{
	free(bdev->priv);
	free(bdev->name);
	bdev->priv = NULL;
	bdev->name = NULL;
}

static int bs_ram_ctx_create(unsigned int depth, struct srptd_backend_ctx **out)
{
	struct srptd_backend_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->depth = depth ? depth : 1;
	c->q = calloc(c->depth, sizeof(*c->q));
	c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!c->q || c->efd < 0) {
		if (c->efd >= 0)
			close(c->efd);
		free(c->q);
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

static void bs_ram_ctx_destroy(struct srptd_backend_ctx *c)
{
	close(c->efd);
	free(c->q);
	free(c);
}

static int bs_ram_ctx_event_fd(struct srptd_backend_ctx *c)
{
	return c->efd;
}

static void bs_ram_exec(struct srptd_io *io)
{
	uint8_t *d = (uint8_t *)io->bdev->priv + io->offset;
	uint64_t left = io->length;

	switch (io->op) {
	case SRPTD_IO_READ:
	case SRPTD_IO_WRITE:
		for (unsigned int i = 0; i < io->iovcnt && left; i++) {
			size_t l = MIN(io->iov[i].iov_len, left);

			if (io->op == SRPTD_IO_READ)
				memcpy(io->iov[i].iov_base, d, l);
			else
				memcpy(d, io->iov[i].iov_base, l);
			d += l;
			left -= l;
		}
		break;
	case SRPTD_IO_DISCARD:
	case SRPTD_IO_WRITE_ZEROES:
		memset(d, 0, io->length);
		break;
	case SRPTD_IO_FLUSH:
	case SRPTD_IO_COMPARE_WRITE: /* refused by submit() */
		break;
	}
}

static int bs_ram_ctx_poll(struct srptd_backend_ctx *c, unsigned int max)
{
	unsigned int done = 0;
	uint64_t v;

	if (read(c->efd, &v, sizeof(v)) < 0)
		v = 0;
	while (c->n && done < max) {
		struct srptd_io *io = c->q[0];

		memmove(c->q, c->q + 1, (c->n - 1) * sizeof(*c->q));
		c->n--;
		bs_ram_exec(io);
		done++;
		io->complete(io, 0);
	}
	if (c->n) {
		/* More than max: stay readable for the next poll. */
		v = 1;
		if (write(c->efd, &v, sizeof(v)) < 0)
			return -errno;
	}
	return (int)done;
}

static int bs_ram_submit(struct srptd_backend_ctx *c, struct srptd_io *io)
{
	uint64_t one = 1;

	if (io->offset + io->length > io->bdev->size ||
	    io->offset + io->length < io->offset)
		return -EINVAL; /* the SCSI layer checked: a bug if seen */
	if (io->op == SRPTD_IO_COMPARE_WRITE)
		return -EOPNOTSUPP; /* no can_compare_write */
	if (c->n == c->depth)
		return -EAGAIN;
	if (write(c->efd, &one, sizeof(one)) < 0)
		return -errno;
	c->q[c->n++] = io;
	return 0;
}

const struct srptd_backend_ops bs_ram_ops = {
	.name = "ram",
	.probe = bs_ram_probe,
	.open = bs_ram_open_params,
	.close = bs_ram_close,
	.ctx_create = bs_ram_ctx_create,
	.ctx_destroy = bs_ram_ctx_destroy,
	.ctx_event_fd = bs_ram_ctx_event_fd,
	.ctx_poll = bs_ram_ctx_poll,
	.submit = bs_ram_submit,
};
