/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * IB/CM login strings from sysfs; see ib_login.h.  sysfs shows a port's
 * link layer as "InfiniBand" or "Ethernet", each GID as eight
 * colon-separated groups of four hex digits and each P_Key as "0xffff".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/ib_login.h"
#include "util.h"

#define IB_MAX_PORTS 64

static int read_line(const char *root, const char *dev, unsigned int port,
		     const char *attr, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s/ports/%u/%s", root, dev, port,
		 attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

/* "fe80:0000:0000:0000:0002:c903:00a0:b1c3" -> 16 bytes. */
static int parse_gid(const char *s, uint8_t gid[16])
{
	unsigned int n = 0;

	for (; *s; s++) {
		int v = hex_digit_value(*s);

		if (*s == ':')
			continue;
		if (v < 0 || n == 32)
			return -EINVAL;
		gid[n / 2] = n % 2 ? (uint8_t)(gid[n / 2] | v) :
				     (uint8_t)(v << 4);
		n++;
	}
	return n == 32 ? 0 : -EINVAL;
}

static int read_port(const char *root, const char *dev, unsigned int port,
		     struct fabric_ib_port *p)
{
	char buf[128], *end;
	unsigned long pkey;

	if (read_line(root, dev, port, "link_layer", buf, sizeof(buf)) ||
	    strcmp(buf, "InfiniBand"))
		return -ENOENT;
	if (read_line(root, dev, port, "gids/0", buf, sizeof(buf)) ||
	    parse_gid(buf, p->gid))
		return -EINVAL;
	if (read_line(root, dev, port, "pkeys/0", buf, sizeof(buf)))
		return -EINVAL;
	pkey = strtoul(buf, &end, 0);
	if (end == buf || *end || pkey > 0xffff)
		return -EINVAL;
	p->pkey = (uint16_t)pkey;
	p->port = port;
	return 0;
}

int fabric_ib_ports(const char *root, const char *dev,
		    struct fabric_ib_port *out, unsigned int max)
{
	char path[512];
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s/ports", root, dev);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	closedir(d);
	/* Port numbers are 1.. (sysfs "ports/<n>"); stop at a gap. */
	for (unsigned int port = 1; port <= IB_MAX_PORTS && n < max; port++) {
		snprintf(path, sizeof(path), "%s/%s/ports/%u", root, dev, port);
		d = opendir(path);
		if (!d)
			break;
		closedir(d);
		if (!read_port(root, dev, port, &out[n]))
			n++;
	}
	return (int)n;
}

void fabric_ib_login_string(char *buf, size_t len, uint64_t id_ext,
			    uint64_t ioc_guid, const struct fabric_ib_port *p,
			    uint64_t service_id)
{
	char gid[33];

	for (unsigned int i = 0; i < 16; i++)
		snprintf(gid + 2 * i, 3, "%02x", p->gid[i]);
	snprintf(
		buf, len,
		"id_ext=%016llx,ioc_guid=%016llx,dgid=%s,pkey=%04x,service_id=%016llx",
		(unsigned long long)id_ext, (unsigned long long)ioc_guid, gid,
		p->pkey, (unsigned long long)service_id);
}
