/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The file store of APTPL persistent reservation state (struct
 * scsi_pr_store_ops; doc/scsi-commands.md, "Persistent reservations").
 * One small text file per LU, "pr-<NAA hex>.state" in the state
 * directory.  A save writes a temporary file, fsyncs it, renames it over
 * the old one and fsyncs the directory, so after a crash the file holds
 * either the old or the new state, never a mix; the "end" line with the
 * registration count catches a file truncated by anything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scsi/scsi_int.h"

#define PR_FILE_MAGIC "srptd-pr-state 1"
/* 64 registrations of ~90 bytes each and a few header lines fit. */
#define PR_FILE_MAX 16384

static int pr_file_name(char *buf, size_t size, const char *key,
			const char *suffix)
{
	int n = snprintf(buf, size, "pr-%s.%s", key, suffix);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void pr_hex(char *out, const uint8_t *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int pr_unhex(const char *s, uint8_t *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EBADMSG;
		b[i] = v;
	}
	return s[2 * n] ? -EBADMSG : 0;
}

/* Serialize st; the holder becomes an index among the written regs. */
static int pr_format(const struct scsi_pr_state *st, char *buf, size_t size)
{
	int holder = -1, n = 0, len, i;
	char i_id[33], t_id[33];

	for (i = 0; i < SCSI_PR_MAX_REGS; i++) {
		if (!st->regs[i].used)
			continue;
		if (i == st->holder)
			holder = n;
		n++;
	}
	len = snprintf(buf, size,
		       PR_FILE_MAGIC "\ngeneration %" PRIu32 "\naptpl %d\n",
		       st->generation, st->aptpl ? 1 : 0);
	if (st->reserved && holder >= 0)
		len += snprintf(buf + len, size - len, "reservation %d %u\n",
				holder, st->type);
	else
		len += snprintf(buf + len, size - len, "reservation none\n");
	for (i = 0; i < SCSI_PR_MAX_REGS; i++) {
		const struct scsi_pr_reg *r = &st->regs[i];

		if (!r->used)
			continue;
		pr_hex(i_id, r->i_id, 16);
		pr_hex(t_id, r->t_id, 16);
		len += snprintf(buf + len, size - len,
				"reg %s %s %u %016" PRIx64 "\n", i_id, t_id,
				r->rtpi, r->key);
	}
	len += snprintf(buf + len, size - len, "end %d\n", n);
	return (size_t)len < size ? len : -EOVERFLOW;
}

static bool pr_type_ok(unsigned int type)
{
	return type == SCSI_PR_TYPE_WE || type == SCSI_PR_TYPE_EA ||
	       type == SCSI_PR_TYPE_WERO || type == SCSI_PR_TYPE_EARO ||
	       type == SCSI_PR_TYPE_WEAR || type == SCSI_PR_TYPE_EAAR;
}

static int pr_parse(char *buf, struct scsi_pr_state *st)
{
	char *save = NULL, *line;
	int n = 0, holder = -1, end = -1, aptpl = -1;
	unsigned int type = 0, rtpi;
	char i_id[40], t_id[40], word[16];
	uint64_t key;
	bool gen = false;

	memset(st, 0, sizeof(*st));
	st->holder = -1;
	line = strtok_r(buf, "\n", &save);
	if (!line || strcmp(line, PR_FILE_MAGIC))
		return -EBADMSG;
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (end >= 0)
			return -EBADMSG; /* nothing after "end" */
		if (sscanf(line, "generation %" SCNu32, &st->generation) == 1) {
			gen = true;
		} else if (sscanf(line, "aptpl %d", &aptpl) == 1) {
			if (aptpl != 0 && aptpl != 1)
				return -EBADMSG;
		} else if (!strcmp(line, "reservation none")) {
			holder = -1;
		} else if (sscanf(line, "reservation %d %u", &holder, &type) ==
			   2) {
			if (holder < 0 || !pr_type_ok(type))
				return -EBADMSG;
		} else if (sscanf(line, "reg %39s %39s %u %" SCNx64, i_id, t_id,
				  &rtpi, &key) == 4) {
			struct scsi_pr_reg *r = &st->regs[n];

			if (n == SCSI_PR_MAX_REGS || rtpi > UINT16_MAX ||
			    pr_unhex(i_id, r->i_id, 16) ||
			    pr_unhex(t_id, r->t_id, 16))
				return -EBADMSG;
			r->used = true;
			r->rtpi = rtpi;
			r->key = key;
			n++;
		} else if (sscanf(line, "end %d%15s", &end, word) == 1) {
			if (end != n)
				return -EBADMSG;
		} else {
			return -EBADMSG;
		}
	}
	if (end < 0 || !gen || aptpl < 0 || holder >= n)
		return -EBADMSG;
	st->aptpl = aptpl;
	if (holder >= 0) {
		st->reserved = true;
		st->holder = holder;
		st->type = type;
	}
	return 0;
}

static int pr_file_load(void *ctx, const char *key, struct scsi_pr_state *st)
{
	char name[96], *buf;
	ssize_t len;
	int fd, dfd, ret;

	ret = pr_file_name(name, sizeof(name), key, "state");
	if (ret)
		return ret;
	dfd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : 0;
	close(dfd);
	if (ret)
		return ret;
	buf = malloc(PR_FILE_MAX + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_fd;
	}
	len = pread(fd, buf, PR_FILE_MAX + 1, 0);
	if (len < 0) {
		ret = -errno;
		goto out_buf;
	}
	if (len > PR_FILE_MAX || memchr(buf, 0, len)) {
		ret = -EBADMSG;
		goto out_buf;
	}
	buf[len] = 0;
	ret = pr_parse(buf, st);
out_buf:
	free(buf);
out_fd:
	close(fd);
	return ret;
}

static int pr_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int pr_file_save(void *ctx, const char *key,
			const struct scsi_pr_state *st)
{
	char name[96], tmp[96], *buf = NULL;
	int dfd, fd, len, ret;

	ret = pr_file_name(name, sizeof(name), key, "state");
	if (!ret)
		ret = pr_file_name(tmp, sizeof(tmp), key, "tmp");
	if (ret)
		return ret;
	dfd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (!st) {
		ret = unlinkat(dfd, name, 0) && errno != ENOENT ? -errno : 0;
		goto out_sync;
	}
	buf = malloc(PR_FILE_MAX);
	if (!buf) {
		ret = -ENOMEM;
		goto out_dir;
	}
	len = pr_format(st, buf, PR_FILE_MAX);
	if (len < 0) {
		ret = len;
		goto out_dir;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out_dir;
	}
	ret = pr_write_all(fd, buf, len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(dfd, tmp, dfd, name))
		ret = -errno;
	if (ret) {
		unlinkat(dfd, tmp, 0);
		goto out_dir;
	}
out_sync:
	/* The rename (or unlink) is durable once the directory is. */
	if (!ret && fsync(dfd))
		ret = -errno;
out_dir:
	free(buf);
	close(dfd);
	return ret;
}

static const struct scsi_pr_store_ops pr_file_ops = {
	.load = pr_file_load,
	.save = pr_file_save,
};

void scsi_pr_file_store_init(struct scsi_pr_store *s, const char *dir)
{
	s->ops = &pr_file_ops;
	s->ctx = (void *)dir;
}
