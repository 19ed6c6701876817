/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * umadsim_sm DIR [--no-mask-match]: the simulated subnet of umadsim.h.
 * Listens on DIR/sm.sock; each connection is one port (its hello gives
 * LID, GUIDs and CapabilityMask).  As the subnet administrator (LID 1,
 * IBA 15.2) it answers Get ClassPortInfo (CapabilityMask bit 13, "SA
 * supports capability mask matching", unless --no-mask-match),
 * PortInfoRecord and NodeRecord Get/GetTable, and PathRecord Get
 * between two known LIDs on P_Key 0xffff.  Every other MAD is carried to
 * the port with the destination LID, its address rewritten to the
 * sender's as the receiving kernel would report it.  A port stays on the
 * subnet after its process closes it (as an HCA does when its umad user
 * goes); a Get or Set to it is then answered for it with status 0x000C,
 * as its MAD layer would.  Runs until SIGTERM/SIGINT.
 */
#include <endian.h>
#include <errno.h>
#include <infiniband/umad.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "umadsim.h"

#define MAX_PORTS 16
#define HDR sizeof(struct ib_user_mad)
/* SA MAD (IBA 15.2.1.1): records start after the 56-byte SA header. */
#define SA_HDR 56
#define SA_ATTR_OFFSET 44
#define SA_COMP_MASK 48
#define SA_CLASS 0x03
#define ATTR_CLASS_PORT_INFO 0x0001
#define ATTR_NODE_REC 0x0011
#define ATTR_PORT_INFO_REC 0x0012
#define ATTR_PATH_REC 0x0035
#define METHOD_GET 0x01
#define METHOD_SET 0x02
#define METHOD_GET_TABLE 0x12
#define SA_STATUS_NO_RECORDS 0x0300 /* ERR_NO_RECORDS, IBA 15.2.1.1 */
#define MAD_STATUS_UNSUP 0x000c
#define PORT_INFO_REC_SIZE 72 /* 68 bytes, in units of 8 */
#define NODE_REC_SIZE 112 /* 108 bytes, in units of 8 */

/*
 * A port of the subnet: fd > 0 while a process has it open (umad), -1
 * once that process closed it (the port stays on the subnet, as an HCA
 * does when its umad user goes), 0 for an unused slot.
 */
struct port {
	int fd;
	struct umadsim_hello h;
};

static struct port ports[MAX_PORTS];
static volatile sig_atomic_t stop;
static int mask_match = 1;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return be16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

/* The port with LID lid: one a process has open first. */
static struct port *port_by_lid(uint16_t lid)
{
	struct port *closed = NULL;

	for (int i = 0; i < MAX_PORTS; i++) {
		if (ports[i].fd > 0 && ports[i].h.lid == lid)
			return &ports[i];
		if (ports[i].fd < 0 && ports[i].h.lid == lid)
			closed = &ports[i];
	}
	return closed;
}

/* PortInfoRecord (IBA 15.2.5.3): LID, port, then PortInfo (14.2.5.6). */
static void port_info_rec(const struct port *p, uint8_t *r)
{
	memset(r, 0, PORT_INFO_REC_SIZE);
	put16(r, p->h.lid);
	r[2] = 1;
	put64(r + 12, UMADSIM_SUBNET_PREFIX);
	put16(r + 20, p->h.lid);
	put16(r + 22, UMADSIM_SM_LID);
	put32(r + 24, p->h.capmask);
}

/* NodeRecord (IBA 15.2.5.2): LID, then NodeInfo (14.2.5.3). */
static void node_rec(const struct port *p, uint8_t *r)
{
	memset(r, 0, NODE_REC_SIZE);
	put16(r, p->h.lid);
	r[4] = 1; /* base version */
	r[5] = 1; /* class version */
	r[6] = 1; /* channel adapter */
	r[7] = 1; /* ports */
	put64(r + 8, p->h.node_guid);
	put64(r + 16, p->h.node_guid);
	put64(r + 24, p->h.port_guid);
	put16(r + 32, 1); /* partition cap */
	r[43] = 1; /* local port number */
}

/* Does port p match the request record req under comp_mask? */
static bool sa_match(uint16_t attr, const struct port *p, const uint8_t *req,
		     uint64_t comp, uint32_t attr_mod)
{
	/* Component 0 of both records is the LID. */
	if ((comp & 1) && get16(req) != p->h.lid)
		return false;
	if (attr == ATTR_PORT_INFO_REC && (comp & (1ull << 7))) {
		uint32_t want = get32(req + 24);

		/* Attribute modifier bit 31: match the bits set (IBA
		 * 15.2.5.3 capability mask matching), else equality. */
		if (attr_mod & 0x80000000u)
			return mask_match && (p->h.capmask & want) == want;
		return p->h.capmask == want;
	}
	return true;
}

/* Answer an SA request in msg (len bytes) into out; returns its length. */
static size_t sa_answer(const uint8_t *msg, size_t len, uint8_t *out)
{
	const uint8_t *req = msg + HDR;
	uint8_t *rsp = out + HDR;
	uint16_t attr = get16(req + 16), status = 0;
	uint64_t comp = get64(req + SA_COMP_MASK);
	uint32_t attr_mod = get32(req + 20);
	uint8_t method = req[3];
	size_t rec = 0, n = 0, room;

	memcpy(out, msg, HDR);
	memset(rsp, 0, SA_HDR);
	memcpy(rsp, req, 24);
	rsp[3] = method | 0x80;
	if (len < HDR + SA_HDR)
		return 0;
	room = UMADSIM_MSG_MAX - HDR - SA_HDR;
	if (attr == ATTR_CLASS_PORT_INFO && method == METHOD_GET) {
		rsp[SA_HDR] = 1; /* base version */
		rsp[SA_HDR + 1] = 2; /* SA class version */
		/* CapabilityMask bit 13: IsCapabilityMaskMatchSupported. */
		put16(rsp + SA_HDR + 2, mask_match ? 1u << 13 : 0);
		n = 1;
		rec = 72;
	} else if ((attr == ATTR_PORT_INFO_REC || attr == ATTR_NODE_REC) &&
		   (method == METHOD_GET || method == METHOD_GET_TABLE)) {
		rec = attr == ATTR_NODE_REC ? NODE_REC_SIZE :
					      PORT_INFO_REC_SIZE;
		for (int i = 0; i < MAX_PORTS && (n + 1) * rec <= room; i++) {
			uint8_t *r = rsp + SA_HDR + n * rec;

			if (!ports[i].fd ||
			    !sa_match(attr, &ports[i], req + SA_HDR, comp,
				      attr_mod))
				continue;
			if (attr == ATTR_NODE_REC)
				node_rec(&ports[i], r);
			else
				port_info_rec(&ports[i], r);
			n++;
			if (method == METHOD_GET)
				break;
		}
		if (!n && method == METHOD_GET)
			status = SA_STATUS_NO_RECORDS;
	} else if (attr == ATTR_PATH_REC && method == METHOD_GET) {
		const uint8_t *pr = req + SA_HDR;

		/* SLID and DLID at 42/40, P_Key at 50 (IBA 15.2.5.16). */
		rec = 64;
		if (port_by_lid(get16(pr + 40)) &&
		    port_by_lid(get16(pr + 42)) &&
		    (get16(pr + 50) & 0x7fff) == 0x7fff) {
			memcpy(rsp + SA_HDR, pr, rec);
			put16(rsp + SA_HDR + 50, 0xffff);
			n = 1;
		} else {
			status = SA_STATUS_NO_RECORDS;
		}
	} else {
		status = MAD_STATUS_UNSUP;
	}
	put16(rsp + 4, status);
	put16(rsp + SA_ATTR_OFFSET, (uint16_t)(rec / 8));
	((struct ib_user_mad *)out)->addr.lid = htobe16(UMADSIM_SM_LID);
	((struct ib_user_mad *)out)->addr.qpn = htobe32(1);
	/* A Get answers one 256-byte MAD; a GetTable response is as long as
	 * its records, as the kernel hands over a reassembled RMPP
	 * transfer (IBA 13.6). */
	n = SA_HDR + n * rec;
	return HDR + (method == METHOD_GET_TABLE || n > 256 ? n : 256);
}

static void route(struct port *from, uint8_t *msg, size_t len)
{
	static uint8_t out[UMADSIM_MSG_MAX];
	struct ib_user_mad *um = (struct ib_user_mad *)msg;
	uint16_t dlid = be16toh(um->addr.lid);
	struct port *to;
	size_t n;

	if (len < HDR + 24)
		return;
	if (dlid == UMADSIM_SM_LID && msg[HDR + 1] == SA_CLASS) {
		n = sa_answer(msg, len, out);
		if (n)
			(void)send(from->fd, out, n, 0);
		return;
	}
	to = port_by_lid(dlid);
	if (!to)
		return; /* lost, as on a fabric: the sender times out */
	if (to->fd < 0) {
		/* Nobody has the port open: its MAD layer rejects a Get or
		 * Set (IBA 13.4.7 status 0x000C); anything else is dropped. */
		if (msg[HDR + 3] != METHOD_GET && msg[HDR + 3] != METHOD_SET)
			return;
		msg[HDR + 3] |= 0x80;
		put16(msg + HDR + 4, MAD_STATUS_UNSUP);
		um->addr.lid = htobe16(to->h.lid);
		um->addr.qpn = htobe32(1);
		(void)send(from->fd, msg, len, 0);
		return;
	}
	um->addr.lid = htobe16(from->h.lid);
	um->addr.qpn = htobe32(1);
	if (um->addr.grh_present) {
		put64(um->addr.gid, UMADSIM_SUBNET_PREFIX);
		put64(um->addr.gid + 8, from->h.port_guid);
	}
	(void)send(to->fd, msg, len, 0);
}

/*
 * A process opened a port (fd): its hello names it.  It takes the slot
 * of the same LID if the port is on the subnet already, else a free one.
 */
static void port_connect(int fd)
{
	struct umadsim_hello h;
	struct port *p;

	if (fd < 0)
		return;
	if (recv(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    h.magic != UMADSIM_HELLO_MAGIC) {
		close(fd);
		return;
	}
	p = port_by_lid(h.lid);
	if (p && p->fd > 0)
		p = NULL; /* a second process on the port: a slot of its own */
	for (int i = 0; i < MAX_PORTS && !p; i++)
		if (!ports[i].fd)
			p = &ports[i];
	if (!p) {
		close(fd);
		return;
	}
	p->fd = fd;
	p->h = h;
}

/*
 * The process that had port p open closed it: the port stays on the
 * subnet, unless another process still has the same LID open.
 */
static void port_disconnect(struct port *p)
{
	close(p->fd);
	p->fd = 0;
	if (!port_by_lid(p->h.lid))
		p->fd = -1;
}

int main(int argc, char **argv)
{
	static uint8_t msg[UMADSIM_MSG_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd pfd[MAX_PORTS + 1];
	struct sigaction act = { .sa_handler = on_signal };
	int lfd;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [--no-mask-match]\n", argv[0]);
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "--no-mask-match"))
		mask_match = 0;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", argv[1],
		 UMADSIM_SOCK);
	unlink(sa.sun_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 8)) {
		perror("umadsim_sm: listen");
		return 1;
	}
	while (!stop) {
		int np = 0, r;

		pfd[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < MAX_PORTS; i++)
			pfd[np++] = (struct pollfd){ .fd = ports[i].fd > 0 ?
								   ports[i].fd :
								   -1,
						     .events = POLLIN };
		r = poll(pfd, (nfds_t)np, 500);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			port_connect(accept(lfd, NULL, NULL));
		for (int i = 0; i < MAX_PORTS; i++) {
			ssize_t n;

			if (!(pfd[i + 1].revents & (POLLIN | POLLHUP)))
				continue;
			n = recv(ports[i].fd, msg, sizeof(msg), 0);
			if (n <= 0) {
				port_disconnect(&ports[i]);
				continue;
			}
			route(&ports[i], msg, (size_t)n);
		}
	}
	close(lfd);
	unlink(sa.sun_path);
	return 0;
}
