/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libumadsim.so: LD_PRELOAD replacement of the libibumad and libibverbs
 * entry points ibsrpdm, srp_daemon and srptd's DM transport
 * (src/fabric/dm/umad.c) use, so that they run over the simulated subnet
 * of umadsim.h instead of /dev/infiniband.  The process is one HCA with
 * one InfiniBand port, described by
 *   SRPTD_UMADSIM_NODE=<dev>,<node guid>,<port guid>,<lid>,<cap mask>
 * What the kernel's MAD layer does for a umad user is done here: agent
 * ids per registration, responses matched to the sending agent by TID,
 * and a GetResp with status "unsupported method/attribute" (IBA 13.4.7)
 * for a Get or Set of a class nobody registered, so that a client is
 * told at once rather than timing out.  The verbs calls only give
 * srp_daemon the device, P_Key table and port attributes it asks for
 * (its trap listener QP never receives anything here).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <endian.h>
#include <errno.h>
#include <infiniband/umad.h>
#include <infiniband/verbs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "umadsim.h"

/* verbs.h wraps these two in macros; the library exports the functions. */
#undef ibv_query_port
#undef ibv_reg_mr

/* The MAD follows struct ib_user_mad (its data member). */
#define UMAD_HDR sizeof(struct ib_user_mad)
#define MAX_AGENTS 32
#define MAX_PENDING 64
#define MAD_METHOD_RESP 0x80
#define MAD_STATUS_UNSUP_METHOD_ATTR 0x000c

struct node {
	char dev[UMAD_CA_NAME_LEN];
	uint64_t node_guid, port_guid;
	uint16_t lid;
	uint32_t capmask;
};

static struct {
	int fd;
	uint8_t mgmt_class;
	uint8_t used;
} agents[MAX_AGENTS];

/* Requests sent and not yet answered: TID -> sending agent. */
static struct {
	uint64_t tid;
	int agent;
	uint8_t used;
} pending[MAX_PENDING];

static int node_get(struct node *n)
{
	const char *e = getenv("SRPTD_UMADSIM_NODE");
	char *s, *end;

	if (!e)
		return -ENODEV;
	memset(n, 0, sizeof(*n));
	s = strchr(e, ',');
	if (!s || (size_t)(s - e) >= sizeof(n->dev))
		return -EINVAL;
	memcpy(n->dev, e, (size_t)(s - e));
	n->node_guid = strtoull(s + 1, &end, 0);
	if (*end != ',')
		return -EINVAL;
	n->port_guid = strtoull(end + 1, &end, 0);
	if (*end != ',')
		return -EINVAL;
	n->lid = (uint16_t)strtoul(end + 1, &end, 0);
	if (*end != ',')
		return -EINVAL;
	n->capmask = (uint32_t)strtoul(end + 1, &end, 0);
	return *end ? -EINVAL : 0;
}

static int node_named(const char *name, struct node *n)
{
	int ret = node_get(n);

	if (ret)
		return ret;
	return name && strcmp(name, n->dev) ? -ENODEV : 0;
}

int umad_init(void)
{
	return 0;
}

int umad_done(void)
{
	return 0;
}

/*
 * libibumad places the MAD after the address, or 8 bytes earlier when
 * the kernel has not enabled P_Key indexes (the old 56-byte header); it
 * learns which in umad_open_port(), which is replaced here.  The kernel
 * this simulates has them, as every kernel srptd supports: the 64-byte
 * struct ib_user_mad, as srp_daemon also assumes.
 */
size_t umad_size(void)
{
	return UMAD_HDR;
}

void *umad_get_mad(void *umad)
{
	return ((struct ib_user_mad *)umad)->data;
}

int umad_get_pkey(void *umad)
{
	return ((struct ib_user_mad *)umad)->addr.pkey_index;
}

int umad_set_pkey(void *umad, int pkey_index)
{
	((struct ib_user_mad *)umad)->addr.pkey_index = (uint16_t)pkey_index;
	return 0;
}

int umad_get_cas_names(char cas[][UMAD_CA_NAME_LEN], int max)
{
	struct node n;

	if (node_get(&n) || max < 1)
		return 0;
	snprintf(cas[0], UMAD_CA_NAME_LEN, "%s", n.dev);
	return 1;
}

static void port_fill(const struct node *n, umad_port_t *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->ca_name, sizeof(p->ca_name), "%s", n->dev);
	p->portnum = 1;
	p->base_lid = n->lid;
	p->sm_lid = UMADSIM_SM_LID;
	p->state = 4; /* ACTIVE */
	p->phys_state = 5; /* LinkUp */
	p->rate = 10;
	p->capmask = htobe32(n->capmask);
	p->gid_prefix = htobe64(UMADSIM_SUBNET_PREFIX);
	p->port_guid = htobe64(n->port_guid);
	snprintf(p->link_layer, sizeof(p->link_layer), "InfiniBand");
}

int umad_get_port(const char *ca_name, int portnum, umad_port_t *port)
{
	struct node n;

	if (node_named(ca_name, &n) || portnum > 1)
		return -ENODEV;
	port_fill(&n, port);
	return 0;
}

int umad_release_port(umad_port_t *port)
{
	(void)port;
	return 0;
}

int umad_get_ca(const char *ca_name, umad_ca_t *ca)
{
	struct node n;
	umad_port_t *p;

	if (node_named(ca_name, &n))
		return -ENODEV;
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	port_fill(&n, p);
	memset(ca, 0, sizeof(*ca));
	snprintf(ca->ca_name, sizeof(ca->ca_name), "%s", n.dev);
	ca->node_type = 1; /* CA */
	ca->numports = 1;
	ca->node_guid = htobe64(n.node_guid);
	ca->system_guid = htobe64(n.node_guid);
	ca->ports[1] = p;
	return 0;
}

int umad_release_ca(umad_ca_t *ca)
{
	free(ca->ports[1]);
	ca->ports[1] = NULL;
	return 0;
}

int umad_get_ca_portguids(const char *ca_name, __be64 *portguids, int max)
{
	struct node n;

	if (node_named(ca_name, &n) || max < 2)
		return -ENODEV;
	portguids[0] = 0;
	portguids[1] = htobe64(n.port_guid);
	return 2;
}

int umad_open_port(const char *ca_name, int portnum)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *dir = getenv("SRPTD_UMADSIM_DIR");
	struct umadsim_hello h = { .magic = UMADSIM_HELLO_MAGIC };
	struct node n;
	int fd, ret;

	if (!dir || node_named(ca_name, &n) || portnum > 1)
		return -ENODEV;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, UMADSIM_SOCK);
	h.capmask = n.capmask;
	h.node_guid = n.node_guid;
	h.port_guid = n.port_guid;
	h.lid = n.lid;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int umad_close_port(int portid)
{
	for (int i = 0; i < MAX_AGENTS; i++)
		if (agents[i].used && agents[i].fd == portid)
			agents[i].used = 0;
	return close(portid) ? -errno : 0;
}

int umad_get_fd(int portid)
{
	return portid;
}

static int agent_new(int portid, int mgmt_class)
{
	for (int i = 0; i < MAX_AGENTS; i++) {
		if (agents[i].used && agents[i].fd == portid &&
		    agents[i].mgmt_class == mgmt_class)
			return -EBUSY; /* one agent per class, as here used */
	}
	for (int i = 0; i < MAX_AGENTS; i++) {
		if (!agents[i].used) {
			agents[i].used = 1;
			agents[i].fd = portid;
			agents[i].mgmt_class = (uint8_t)mgmt_class;
			return i;
		}
	}
	return -ENOSPC;
}

int umad_register(int portid, int mgmt_class, int mgmt_version,
		  uint8_t rmpp_version, long method_mask[16 / sizeof(long)])
{
	(void)mgmt_version;
	(void)rmpp_version;
	(void)method_mask;
	return agent_new(portid, mgmt_class);
}

int umad_register_oui(int portid, int mgmt_class, uint8_t rmpp_version,
		      uint8_t oui[3], long method_mask[16 / sizeof(long)])
{
	(void)rmpp_version;
	(void)oui;
	(void)method_mask;
	return agent_new(portid, mgmt_class);
}

int umad_unregister(int portid, int agentid)
{
	if (agentid < 0 || agentid >= MAX_AGENTS || !agents[agentid].used ||
	    agents[agentid].fd != portid)
		return -EINVAL;
	agents[agentid].used = 0;
	return 0;
}

int umad_send(int portid, int agentid, void *umad, int length, int timeout_ms,
	      int retries)
{
	struct ib_user_mad *um = umad;
	const uint8_t *mad = (const uint8_t *)um->data;
	uint64_t tid;

	(void)timeout_ms;
	(void)retries;
	if (agentid < 0 || agentid >= MAX_AGENTS || !agents[agentid].used ||
	    length < 24)
		return -EINVAL;
	memcpy(&tid, mad + 8, 8);
	if (!(mad[3] & MAD_METHOD_RESP)) {
		int i;

		for (i = 0; i < MAX_PENDING && pending[i].used; i++)
			;
		if (i == MAX_PENDING)
			i = (int)(be64toh(tid) % MAX_PENDING);
		pending[i].used = 1;
		pending[i].tid = tid;
		pending[i].agent = agentid;
	}
	um->agent_id = (uint32_t)agentid;
	um->length = (uint32_t)(UMAD_HDR + (size_t)length);
	if (send(portid, um, UMAD_HDR + (size_t)length, 0) < 0)
		return -errno;
	return 0;
}

/* The kernel's answer to a request nobody here registered for. */
static void answer_unmatched(int portid, uint8_t *msg, size_t len)
{
	struct ib_user_mad *um = (struct ib_user_mad *)msg;
	uint8_t *mad = (uint8_t *)um->data;

	if (mad[3] != 0x01 && mad[3] != 0x02) /* only Get and Set */
		return;
	mad[3] = 0x81;
	mad[4] = MAD_STATUS_UNSUP_METHOD_ATTR >> 8;
	mad[5] = MAD_STATUS_UNSUP_METHOD_ATTR & 0xff;
	(void)send(portid, msg, len, 0);
}

/* The agent a received MAD goes to; -1 if none. */
static int agent_for(int portid, uint8_t *msg, size_t len)
{
	const uint8_t *mad = msg + UMAD_HDR;
	uint64_t tid;

	if (len < UMAD_HDR + 24)
		return -1;
	memcpy(&tid, mad + 8, 8);
	if (mad[3] & MAD_METHOD_RESP) {
		for (int i = 0; i < MAX_PENDING; i++) {
			if (pending[i].used && pending[i].tid == tid &&
			    agents[pending[i].agent].fd == portid) {
				pending[i].used = 0;
				return pending[i].agent;
			}
		}
		return -1;
	}
	for (int i = 0; i < MAX_AGENTS; i++)
		if (agents[i].used && agents[i].fd == portid &&
		    agents[i].mgmt_class == mad[1])
			return i;
	answer_unmatched(portid, msg, len);
	return -1;
}

int umad_recv(int portid, void *umad, int *length, int timeout_ms)
{
	static uint8_t msg[UMADSIM_MSG_MAX];
	struct pollfd pfd = { .fd = portid, .events = POLLIN };
	struct ib_user_mad *um;
	ssize_t n;
	int agent;

	for (;;) {
		int r = poll(&pfd, 1, timeout_ms);

		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(portid, msg, sizeof(msg), MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -EIO; /* the simulator went away */
		agent = agent_for(portid, msg, (size_t)n);
		if (agent >= 0)
			break;
	}
	um = (struct ib_user_mad *)msg;
	um->agent_id = (uint32_t)agent;
	um->status = 0;
	if ((size_t)n - UMAD_HDR > (size_t)*length) {
		*length = (int)((size_t)n - UMAD_HDR);
		return -ENOSPC;
	}
	*length = (int)((size_t)n - UMAD_HDR);
	memcpy(umad, msg, (size_t)n);
	return agent;
}

int umad_poll(int portid, int timeout_ms)
{
	struct pollfd pfd = { .fd = portid, .events = POLLIN };
	int r = poll(&pfd, 1, timeout_ms);

	return r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
}

/*
 * Verbs: one device named as the node, one port, P_Key table { 0xffff }.
 * Objects are zeroed allocations; the ops srp_daemon reaches through
 * inline wrappers (ibv_req_notify_cq, ibv_post_recv) succeed.
 */
static struct ibv_device sim_dev;
static struct ibv_device *sim_list[2];

struct ibv_device **ibv_get_device_list(int *num)
{
	struct node n;

	if (num)
		*num = 0;
	/* A host whose MAD stack works but no verbs device opens. */
	if (getenv("SRPTD_UMADSIM_NO_VERBS") || node_get(&n))
		return calloc(1, sizeof(struct ibv_device *));
	snprintf(sim_dev.name, sizeof(sim_dev.name), "%s", n.dev);
	snprintf(sim_dev.dev_name, sizeof(sim_dev.dev_name), "uverbs0");
	sim_dev.node_type = IBV_NODE_CA;
	sim_dev.transport_type = IBV_TRANSPORT_IB;
	sim_list[0] = &sim_dev;
	if (num)
		*num = 1;
	return sim_list;
}

void ibv_free_device_list(struct ibv_device **list)
{
	if (list != sim_list)
		free(list);
}

const char *ibv_get_device_name(struct ibv_device *device)
{
	return device->name;
}

__be64 ibv_get_device_guid(struct ibv_device *device)
{
	struct node n;

	(void)device;
	return node_get(&n) ? 0 : htobe64(n.node_guid);
}

static int ok_req_notify(struct ibv_cq *cq, int solicited)
{
	(void)cq;
	(void)solicited;
	return 0;
}

static int ok_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad)
{
	(void)qp;
	(void)wr;
	(void)bad;
	return 0;
}

struct ibv_context *ibv_open_device(struct ibv_device *device)
{
	struct ibv_context *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->device = device;
	c->num_comp_vectors = 1;
	c->async_fd = -1;
	c->cmd_fd = -1;
	c->ops.req_notify_cq = ok_req_notify;
	c->ops.post_recv = ok_post_recv;
	return c;
}

int ibv_close_device(struct ibv_context *context)
{
	free(context);
	return 0;
}

int ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
	struct node n;

	(void)context;
	memset(attr, 0, sizeof(*attr));
	if (!node_get(&n))
		attr->node_guid = htobe64(n.node_guid);
	attr->phys_port_cnt = 1;
	return 0;
}

/* The compat layout (the fields every version of the struct has). */
int ibv_query_port(struct ibv_context *context, uint8_t port_num,
		   struct _compat_ibv_port_attr *cattr)
{
	struct ibv_port_attr *attr = (struct ibv_port_attr *)cattr;
	struct node n;

	(void)context;
	if (port_num != 1 || node_get(&n))
		return EINVAL;
	attr->state = IBV_PORT_ACTIVE;
	attr->lid = n.lid;
	attr->sm_lid = UMADSIM_SM_LID;
	attr->lmc = 0;
	attr->port_cap_flags = n.capmask;
	attr->pkey_tbl_len = 1;
	attr->gid_tbl_len = 1;
	return 0;
}

int ibv_query_pkey(struct ibv_context *context, uint8_t port_num, int index,
		   __be16 *pkey)
{
	(void)context;
	if (port_num != 1 || index != 0)
		return -EINVAL;
	*pkey = htobe16(0xffff);
	return 0;
}

int ibv_get_pkey_index(struct ibv_context *context, uint8_t port_num,
		       __be16 pkey)
{
	(void)context;
	return port_num == 1 && (be16toh(pkey) & 0x7fff) == 0x7fff ? 0 :
								     -EINVAL;
}

struct ibv_comp_channel *ibv_create_comp_channel(struct ibv_context *context)
{
	struct ibv_comp_channel *ch = calloc(1, sizeof(*ch));
	int p[2];

	if (!ch)
		return NULL;
	/* A pollable fd that never becomes readable. */
	if (pipe(p)) {
		free(ch);
		return NULL;
	}
	close(p[1]);
	ch->context = context;
	ch->fd = p[0];
	return ch;
}

int ibv_destroy_comp_channel(struct ibv_comp_channel *channel)
{
	close(channel->fd);
	free(channel);
	return 0;
}

struct ibv_pd *ibv_alloc_pd(struct ibv_context *context)
{
	struct ibv_pd *pd = calloc(1, sizeof(*pd));

	if (pd)
		pd->context = context;
	return pd;
}

int ibv_dealloc_pd(struct ibv_pd *pd)
{
	free(pd);
	return 0;
}

struct ibv_cq *ibv_create_cq(struct ibv_context *context, int cqe,
			     void *cq_context, struct ibv_comp_channel *channel,
			     int comp_vector)
{
	struct ibv_cq *cq = calloc(1, sizeof(*cq));

	(void)comp_vector;
	if (!cq)
		return NULL;
	cq->context = context;
	cq->channel = channel;
	cq->cq_context = cq_context;
	cq->cqe = cqe;
	return cq;
}

int ibv_destroy_cq(struct ibv_cq *cq)
{
	free(cq);
	return 0;
}

struct ibv_mr *ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			  int access)
{
	struct ibv_mr *mr = calloc(1, sizeof(*mr));

	(void)access;
	if (!mr)
		return NULL;
	mr->context = pd->context;
	mr->pd = pd;
	mr->addr = addr;
	mr->length = length;
	return mr;
}

int ibv_dereg_mr(struct ibv_mr *mr)
{
	free(mr);
	return 0;
}

struct ibv_qp *ibv_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	static uint32_t qpn = 0x100;
	struct ibv_qp *qp = calloc(1, sizeof(*qp));

	if (!qp)
		return NULL;
	qp->context = pd->context;
	qp->pd = pd;
	qp->send_cq = attr->send_cq;
	qp->recv_cq = attr->recv_cq;
	qp->qp_type = attr->qp_type;
	qp->qp_num = qpn++;
	return qp;
}

int ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask)
{
	if (mask & IBV_QP_STATE)
		qp->state = attr->qp_state;
	return 0;
}

int ibv_destroy_qp(struct ibv_qp *qp)
{
	free(qp);
	return 0;
}

struct ibv_ah *ibv_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	struct ibv_ah *ah = calloc(1, sizeof(*ah));

	(void)attr;
	if (ah) {
		ah->context = pd->context;
		ah->pd = pd;
	}
	return ah;
}

int ibv_destroy_ah(struct ibv_ah *ah)
{
	free(ah);
	return 0;
}

/* srp_daemon lists /sys/class/scsi_host by absolute path; a host without
 * SCSI hosts (or a container) has none: take it from SYSFS_PATH. */
DIR *opendir(const char *name)
{
	static DIR *(*real)(const char *);
	const char *sys = getenv("SYSFS_PATH");
	char path[512];

	if (!real)
		real = (DIR * (*)(const char *)) dlsym(RTLD_NEXT, "opendir");
	if (sys && getenv("SRPTD_UMADSIM_DIR") &&
	    !strncmp(name, "/sys/class/scsi_host", 20)) {
		snprintf(path, sizeof(path), "%s%s", sys, name + 4);
		return real(path);
	}
	return real(name);
}
