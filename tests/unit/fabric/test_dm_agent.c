/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The DM agent (src/fabric/dm/agent.c) over a fake transport: which ports
 * it registers on, where answers go, the change ID, the port filter,
 * failures and retries, devices that come and go, the IsDM warning.
 *
 * The fake's ports are SOCK_SEQPACKET socket pairs: the agent gets one
 * end as the port's fd, the test writes "received MADs" (struct fake_rx)
 * into the other; what the agent sends is recorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fabric/dm.h"
#include "log.h"
#include "loop.h"

struct fake_port {
	const char *dev;
	unsigned int port;
	bool ib; /* InfiniBand link layer */
	bool mad; /* a MAD interface: InfiniBand or RoCE, not iWARP */
	bool isdm;
	int reg_err; /* reg() fails with this while non-zero */
	int fd; /* the agent's end; -1 when closed */
	int peer; /* the test's end */
	int agent_id;
	uint64_t methods;
	uint8_t mgmt_class, class_version;
	int recv_err; /* recv() fails with this once */
};

struct fake_rx {
	int agent;
	int len;
	struct dm_mad_addr from;
	uint8_t mad[DM_MAD_SIZE];
};

struct fake_tx {
	int fd;
	int agent;
	size_t len;
	struct dm_mad_addr to;
	uint8_t mad[DM_MAD_SIZE];
};

#define FAKE(d, p, ib_, mad_, dm)                                       \
	{                                                               \
		.dev = d, .port = p, .ib = ib_, .mad = mad_, .isdm = dm \
	}
/* Two IB ports; Soft-RoCE; one IB and one RoCE port; iWARP. */
static struct fake_port g_ports[] = {
	FAKE("mlx5_0", 1, true, true, true),
	FAKE("mlx5_0", 2, true, true, false),
	FAKE("rxe0", 1, false, true, false),
	FAKE("mlx5_1", 1, true, true, true),
	FAKE("mlx5_1", 2, false, true, false),
	FAKE("iw0", 1, false, false, false),
};
#define N_FAKE (sizeof(g_ports) / sizeof(g_ports[0]))

static bool g_gone[4]; /* mlx5_0, rxe0, mlx5_1, iw0 vanished */
static struct fake_tx g_tx[16];
static unsigned int g_n_tx;
static unsigned int g_opens, g_closes;

static int dev_index(const char *dev)
{
	static const char *const names[] = { "mlx5_0", "rxe0", "mlx5_1",
					     "iw0" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(dev, names[i]))
			return i;
	fail_msg("no device %s", dev);
	return -1;
}

static struct fake_port *fake_find(const char *dev, unsigned int port)
{
	for (unsigned int i = 0; i < N_FAKE; i++)
		if (!strcmp(g_ports[i].dev, dev) && g_ports[i].port == port)
			return &g_ports[i];
	return NULL;
}

static struct fake_port *fake_by_fd(int fd)
{
	for (unsigned int i = 0; i < N_FAKE; i++)
		if (g_ports[i].fd == fd)
			return &g_ports[i];
	fail_msg("fd %d is no open port", fd);
	return NULL;
}

static int fake_dev_query(const char *dev, struct dm_dev_info *out)
{
	memset(out, 0, sizeof(*out));
	if (g_gone[dev_index(dev)])
		return -ENODEV;
	out->attr.vendor_id = 0x0002c9;
	out->attr.device_id = 0x1017;
	out->node_guid = 0x0002c90300a0b1c0ULL + (unsigned int)dev_index(dev);
	for (unsigned int i = 0; i < N_FAKE; i++) {
		if (strcmp(g_ports[i].dev, dev))
			continue;
		out->n_ports++;
		if (g_ports[i].ib)
			out->ib_ports |= 1ull << (g_ports[i].port - 1);
		if (g_ports[i].mad)
			out->mad_ports |= 1ull << (g_ports[i].port - 1);
		if (g_ports[i].isdm)
			out->isdm_ports |= 1ull << (g_ports[i].port - 1);
	}
	return 0;
}

static int fake_open(const char *dev, unsigned int port)
{
	struct fake_port *fp = fake_find(dev, port);
	int sv[2];

	assert_non_null(fp);
	assert_int_equal(fp->fd, -1);
	if (g_gone[dev_index(dev)])
		return -ENODEV;
	assert_int_equal(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	fp->fd = sv[0];
	fp->peer = sv[1];
	g_opens++;
	return fp->fd;
}

static int fake_reg(int fd, uint8_t mgmt_class, uint8_t class_version,
		    uint64_t methods)
{
	struct fake_port *fp = fake_by_fd(fd);

	if (fp->reg_err)
		return fp->reg_err;
	fp->mgmt_class = mgmt_class;
	fp->class_version = class_version;
	fp->methods = methods;
	fp->agent_id = 40 + (int)(fp - g_ports);
	return fp->agent_id;
}

static int fake_recv(int fd, void *mad, size_t len, int *agent,
		     struct dm_mad_addr *from)
{
	struct fake_port *fp = fake_by_fd(fd);
	struct fake_rx rx;
	ssize_t n;

	if (fp->recv_err) {
		int e = fp->recv_err;

		fp->recv_err = 0;
		return e;
	}
	n = read(fd, &rx, sizeof(rx));
	if (n < 0)
		return -errno;
	if (n == 0) /* the test hung up: nothing to read, EPOLLHUP */
		return -EAGAIN;
	assert_int_equal(n, sizeof(rx));
	assert_true(len >= (size_t)rx.len);
	memcpy(mad, rx.mad, (size_t)rx.len);
	*agent = rx.agent;
	*from = rx.from;
	return rx.len;
}

static int fake_send(int fd, int agent, const void *mad, size_t len,
		     const struct dm_mad_addr *to)
{
	struct fake_tx *t = &g_tx[g_n_tx++];

	assert_true(g_n_tx <= 16);
	assert_true(len <= DM_MAD_SIZE);
	t->fd = fd;
	t->agent = agent;
	t->len = len;
	t->to = *to;
	memcpy(t->mad, mad, len);
	return 0;
}

static void fake_close(int fd)
{
	struct fake_port *fp = fake_by_fd(fd);

	close(fp->fd);
	if (fp->peer >= 0)
		close(fp->peer);
	fp->fd = fp->peer = -1;
	g_closes++;
}

static const struct dm_transport_ops fake_ops = {
	.name = "fake",
	.dev_query = fake_dev_query,
	.open = fake_open,
	.reg = fake_reg,
	.recv = fake_recv,
	.send = fake_send,
	.close = fake_close,
};

/* Two targets; the second is exported on port 2 only. */
static struct dm_ioc g_slots[2] = {
	{ .guid = 0x0002c90300a0b1c0ULL,
	  .id_ext = 0x0002c90300a0b1c0ULL,
	  .service_id = 0x13f1388,
	  .ports = 3 },
	{ .guid = 0x0002c90300a0b1c0ULL,
	  .id_ext = 0x1111222233334444ULL,
	  .service_id = 0x13f1388,
	  .ports = 2 },
};
static struct dm_device g_devs[4] = {
	{ "mlx5_0", 2, g_slots },
	{ "rxe0", 2, g_slots },
	{ "mlx5_1", 2, g_slots },
	{ "iw0", 2, g_slots },
};

struct env {
	struct loop *loop;
	struct dm_agent *a;
	struct dm_table t;
};

static struct dm_table table(unsigned int n_devs)
{
	struct dm_table t = {
		.caps = { .send_queue_depth = 128,
			  .rdma_read_depth = 4,
			  .send_size = 8276,
			  .rdma_size = 1 << 20,
			  .id_string = "srptd SRP target" },
		.n_devs = n_devs,
		.devs = g_devs,
	};

	return t;
}

static int setup_filter(void **state, const char (*ports)[64], unsigned int n)
{
	static struct env e;
	struct dm_agent_params p = { 0 };

	for (unsigned int i = 0; i < N_FAKE; i++) {
		g_ports[i].fd = g_ports[i].peer = -1;
		g_ports[i].reg_err = g_ports[i].recv_err = 0;
		g_ports[i].methods = 0;
	}
	memset(g_gone, 0, sizeof(g_gone));
	g_n_tx = g_opens = g_closes = 0;
	g_slots[1].id_ext = 0x1111222233334444ULL;
	memset(&e, 0, sizeof(e));
	assert_int_equal(loop_create(&e.loop), 0);
	p.loop = e.loop;
	p.ops = &fake_ops;
	p.ports = ports;
	p.n_ports = n;
	p.retry_ms = 10;
	assert_int_equal(dm_agent_create(&p, &e.a), 0);
	e.t = table(4);
	*state = &e;
	return 0;
}

static int setup(void **state)
{
	return setup_filter(state, NULL, 0);
}

static int teardown(void **state)
{
	struct env *e = *state;

	dm_agent_destroy(e->a);
	/* Every port the agent opened is closed again. */
	assert_int_equal(g_opens, g_closes);
	for (unsigned int i = 0; i < N_FAKE; i++)
		assert_int_equal(g_ports[i].fd, -1);
	loop_destroy(e->loop);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Queue a request on a port as the kernel would deliver it. */
static void inject(struct fake_port *fp, int agent, uint8_t method,
		   uint16_t attr, uint32_t mod, const struct dm_mad_addr *from)
{
	struct fake_rx rx = { .agent = agent, .len = DM_MAD_SIZE };

	rx.from = *from;
	rx.mad[0] = 1;
	rx.mad[1] = 0x06;
	rx.mad[2] = 1;
	rx.mad[3] = method;
	for (unsigned int i = 0; i < 8; i++)
		rx.mad[8 + i] = (uint8_t)(0xa0 + i); /* TID */
	put16(rx.mad + 16, attr);
	put32(rx.mad + 20, mod);
	assert_int_equal(write(fp->peer, &rx, sizeof(rx)), sizeof(rx));
}

static void run(struct env *e)
{
	while (loop_run_once(e->loop, 0) > 0)
		;
}

static void test_registers_on_mad_ports(void **state)
{
	struct env *e = *state;

	assert_int_equal(dm_agent_ports_serving(e->a), 0);
	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	/* InfiniBand and RoCE ports, as the kernel target. */
	assert_int_equal(dm_agent_ports_serving(e->a), 5);
	for (unsigned int i = 0; i < N_FAKE; i++) {
		struct fake_port *fp = &g_ports[i];

		if (!fp->mad) {
			assert_int_equal(fp->fd, -1); /* iWARP: none */
			continue;
		}
		assert_true(fp->fd >= 0);
		assert_int_equal(fp->mgmt_class, 0x06);
		assert_int_equal(fp->class_version, 1);
		/* Get and Set, as the kernel target registers. */
		assert_int_equal(fp->methods, (1u << 1) | (1u << 2));
	}
	assert_int_equal(dm_agent_change_id(e->a), 1);
}

/* Field by field: the structs have padding. */
static void assert_addr_equal(const struct dm_mad_addr *x,
			      const struct dm_mad_addr *y)
{
	assert_int_equal(x->qpn, y->qpn);
	assert_int_equal(x->qkey, y->qkey);
	assert_int_equal(x->lid, y->lid);
	assert_int_equal(x->sl, y->sl);
	assert_int_equal(x->path_bits, y->path_bits);
	assert_int_equal(x->grh, y->grh);
	assert_int_equal(x->gid_index, y->gid_index);
	assert_int_equal(x->hop_limit, y->hop_limit);
	assert_int_equal(x->traffic_class, y->traffic_class);
	assert_int_equal(x->flow_label, y->flow_label);
	assert_memory_equal(x->gid, y->gid, 16);
	assert_int_equal(x->pkey_index, y->pkey_index);
}

static void test_answers_to_sender(void **state)
{
	struct env *e = *state;
	struct fake_port *fp = fake_find("mlx5_0", 2);
	struct dm_mad_addr from = {
		.qpn = 0x1234,
		.qkey = 0, /* the kernel leaves it 0 in what it delivers */
		.lid = 0x0017,
		.sl = 3,
		.path_bits = 1,
		.grh = true,
		.gid_index = 2,
		.hop_limit = 64,
		.traffic_class = 0x20,
		.flow_label = 0x12345,
		.gid = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 2, 0xc9, 3, 0, 0xa1,
			 0xb2, 0xc3 },
		.pkey_index = 5,
	};
	struct dm_mad_addr want = from;
	const struct fake_tx *t;

	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	inject(fp, fp->agent_id, 0x01, 0x0010, 0, &from);
	run(e);
	assert_int_equal(g_n_tx, 1);
	t = &g_tx[0];
	assert_int_equal(t->fd, fp->fd);
	assert_int_equal(t->agent, fp->agent_id);
	assert_int_equal(t->len, DM_MAD_SIZE);
	/* QP1's well-known Q_Key; everything else is the requester's. */
	want.qkey = 0x80010000;
	assert_addr_equal(&t->to, &want);
	assert_int_equal(t->mad[3], 0x81);
	assert_int_equal(t->mad[8], 0xa0); /* TID copied */
	assert_int_equal(t->mad[15], 0xa7);
	assert_int_equal(t->mad[64 + 1], 1); /* change ID 1 */
	assert_int_equal(t->mad[64 + 2], 2); /* two slots */
	assert_int_equal(t->mad[64 + 4], 0x11); /* both present on port 2 */

	/* Port 1 of the same HCA: slot 2 is empty there. */
	fp = fake_find("mlx5_0", 1);
	from.grh = false;
	memset(from.gid, 0, sizeof(from.gid));
	from.gid_index = from.hop_limit = from.traffic_class = 0;
	from.flow_label = 0;
	inject(fp, fp->agent_id, 0x01, 0x0010, 0, &from);
	run(e);
	assert_int_equal(g_n_tx, 2);
	assert_int_equal(g_tx[1].fd, fp->fd);
	assert_false(g_tx[1].to.grh);
	assert_int_equal(g_tx[1].mad[64 + 4], 0x10);
	/* And an error status goes back the same way. */
	inject(fp, fp->agent_id, 0x01, 0x0011, 2, &from);
	run(e);
	assert_int_equal(g_n_tx, 3);
	assert_int_equal(g_tx[2].mad[4], 0x01); /* 0x0100: no IOC */
	assert_int_equal(g_tx[2].mad[5], 0x00);
}

static void test_ignores_non_requests(void **state)
{
	struct env *e = *state;
	struct fake_port *fp = fake_find("mlx5_1", 1);
	struct dm_mad_addr from = { .qpn = 1, .lid = 2 };
	struct fake_rx rx = { .agent = 0, .len = 0 };

	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	inject(fp, fp->agent_id + 1, 0x01, 0x0010, 0, &from); /* not ours */
	inject(fp, fp->agent_id, 0x81, 0x0010, 0, &from); /* a response */
	rx.agent = fp->agent_id; /* a send report: no MAD */
	assert_int_equal(write(fp->peer, &rx, sizeof(rx)), sizeof(rx));
	run(e);
	assert_int_equal(g_n_tx, 0);
	assert_int_equal(dm_agent_ports_serving(e->a), 5);
}

static void test_change_id(void **state)
{
	struct env *e = *state;
	struct dm_table t;

	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	assert_int_equal(dm_agent_change_id(e->a), 1);
	/* Same table again (a reload that changed nothing). */
	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	assert_int_equal(dm_agent_change_id(e->a), 1);
	/* A target's identity changed. */
	g_slots[1].id_ext++;
	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	assert_int_equal(dm_agent_change_id(e->a), 2);
	/* A target went away. */
	g_devs[0].n_slots = 1;
	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	g_devs[0].n_slots = 2;
	assert_int_equal(dm_agent_change_id(e->a), 3);
	/* A different profile (the ID string). */
	t = e->t;
	snprintf(t.caps.id_string, sizeof(t.caps.id_string), "other");
	assert_int_equal(dm_agent_set_table(e->a, &t), 0);
	assert_int_equal(dm_agent_change_id(e->a), 4);
	/* The caps back, two devices gone: a bump for the caps. */
	t = table(1);
	assert_int_equal(dm_agent_set_table(e->a, &t), 0);
	assert_int_equal(dm_agent_ports_serving(e->a), 2);
	assert_int_equal(dm_agent_change_id(e->a), 5);
	/* Devices that appear are read for the first time: no bump. */
	t = table(4);
	assert_int_equal(dm_agent_set_table(e->a, &t), 0);
	assert_int_equal(dm_agent_ports_serving(e->a), 5);
	assert_int_equal(dm_agent_change_id(e->a), 5);
}

static void test_device_removed_from_table(void **state)
{
	struct env *e = *state;
	struct dm_table t = table(1);

	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	assert_int_equal(g_opens, 5);
	assert_int_equal(dm_agent_set_table(e->a, &t), 0);
	assert_int_equal(dm_agent_ports_serving(e->a), 2);
	assert_int_equal(fake_find("mlx5_1", 1)->fd, -1);
	assert_int_equal(fake_find("rxe0", 1)->fd, -1);
	assert_int_equal(g_closes, 3);
	/* An empty table closes everything. */
	t.n_devs = 0;
	assert_int_equal(dm_agent_set_table(e->a, &t), 0);
	assert_int_equal(dm_agent_ports_serving(e->a), 0);
	assert_int_equal(g_closes, 5);
}

static int setup_one_port(void **state)
{
	static const char filter[2][64] = { "mlx5_0:2", "iw0" };

	return setup_filter(state, filter, 2);
}

static void test_port_filter(void **state)
{
	struct env *e = *state;

	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	/* mlx5_0:2 only: iw0 is selected but has no MAD interface. */
	assert_int_equal(dm_agent_ports_serving(e->a), 1);
	assert_true(fake_find("mlx5_0", 2)->fd >= 0);
	assert_int_equal(fake_find("mlx5_0", 1)->fd, -1);
}

/* Wait (bounded) for the retry timer to bring the ports back. */
static void wait_serving(struct env *e, unsigned int n)
{
	for (int i = 0; i < 200 && dm_agent_ports_serving(e->a) != n; i++)
		loop_run_once(e->loop, 10);
	assert_int_equal(dm_agent_ports_serving(e->a), n);
}

static void test_register_fails_then_retried(void **state)
{
	struct env *e = *state;
	struct fake_port *fp = fake_find("mlx5_0", 1);

	/* Someone else (the kernel target) holds the class. */
	fp->reg_err = -EBUSY;
	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	assert_int_equal(dm_agent_ports_serving(e->a), 4);
	assert_int_equal(fp->fd, -1); /* closed after the failed register */
	loop_run_once(e->loop, 50);
	assert_int_equal(dm_agent_ports_serving(e->a), 4);
	fp->reg_err = 0;
	wait_serving(e, 5);
	assert_true(fp->fd >= 0);
}

static void test_port_error_then_retried(void **state)
{
	struct env *e = *state;
	struct fake_port *fp = fake_find("mlx5_1", 1);
	struct dm_mad_addr from = { .qpn = 1, .lid = 2 };

	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	/* The port's fd breaks (e.g. the device is being removed). */
	fp->recv_err = -ENODEV;
	inject(fp, fp->agent_id, 0x01, 0x0010, 0, &from);
	run(e);
	assert_int_equal(g_n_tx, 0);
	assert_int_equal(dm_agent_ports_serving(e->a), 4);
	assert_int_equal(fp->fd, -1);
	/* While the device is gone, retries fail quietly... */
	g_gone[2] = true;
	loop_run_once(e->loop, 50);
	loop_run_once(e->loop, 50);
	assert_int_equal(dm_agent_ports_serving(e->a), 3);
	/* ...and it is served again when it is back. */
	g_gone[2] = false;
	wait_serving(e, 5);
	assert_true(fp->fd >= 0);
	inject(fp, fp->agent_id, 0x01, 0x0010, 0, &from);
	run(e);
	assert_int_equal(g_n_tx, 1);
	assert_int_equal(g_tx[0].fd, fp->fd);
}

/* The fd reports a hang-up with nothing to read (device gone). */
static void test_port_hangup_then_retried(void **state)
{
	struct env *e = *state;
	struct fake_port *fp = fake_find("mlx5_0", 2);

	assert_int_equal(dm_agent_set_table(e->a, &e->t), 0);
	close(fp->peer);
	fp->peer = -1;
	loop_run_once(e->loop, 0);
	assert_int_equal(dm_agent_ports_serving(e->a), 4);
	assert_int_equal(fp->fd, -1);
	/* The retry opens it again; no busy loop in between. */
	wait_serving(e, 5);
	assert_true(fp->fd >= 0);
}

/* What the agent logs during fn(a), through a temporary file as stderr. */
static void logged(struct dm_agent *a, void (*fn)(struct dm_agent *a),
		   char *buf, size_t len)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fn(a);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static struct dm_table g_isdm_table;

static void isdm_set_table(struct dm_agent *a)
{
	assert_int_equal(dm_agent_set_table(a, &g_isdm_table), 0);
}

#define ISDM_WARN(port) \
	"dm " port ": IsDM (PortInfo CapabilityMask bit 19) is clear"
#define ISDM_BACK(port) "dm " port ": the port now advertises Device Management"

/*
 * One warning per MAD port without IsDM, naming the module and the login
 * strings; none again while it stays clear; an info line when the bit
 * appears (module loaded), a new warning when it goes.
 */
static void test_isdm_warning(void **state)
{
	struct env *e = *state;
	char buf[8192];

	log_init("test_dm_agent", LOG_SINK_STDERR);
	log_set_level(LOG_INFO);
	g_isdm_table = e->t;
	logged(e->a, isdm_set_table, buf, sizeof(buf));
	assert_int_equal(count(buf, ISDM_WARN("mlx5_0:2")), 1);
	assert_int_equal(count(buf, ISDM_WARN("mlx5_1:2")), 1);
	assert_int_equal(count(buf, ISDM_WARN("rxe0:1")), 1);
	/* Not mlx5_0:1 nor mlx5_1:1 (IsDM set), not iw0 (no MADs). */
	assert_int_equal(count(buf, ": IsDM (PortInfo"), 3);
	assert_non_null(strstr(buf, "modprobe srptd_isdm"));
	assert_non_null(strstr(buf, "via mlx5_0 port 2: ..."));
	/* InfiniBand: no RoCE remark; RoCE: the remark. */
	assert_int_equal(count(buf, "no subnet administrator"), 2);

	logged(e->a, dm_agent_refresh, buf, sizeof(buf));
	assert_int_equal(count(buf, "IsDM"), 0);

	g_ports[1].isdm = true; /* mlx5_0:2: the module set it */
	logged(e->a, dm_agent_refresh, buf, sizeof(buf));
	assert_int_equal(count(buf, ISDM_BACK("mlx5_0:2")), 1);
	assert_int_equal(count(buf, "IsDM"), 1);
	logged(e->a, dm_agent_refresh, buf, sizeof(buf));
	assert_int_equal(count(buf, "IsDM"), 0);

	g_ports[1].isdm = false; /* unloaded */
	logged(e->a, dm_agent_refresh, buf, sizeof(buf));
	assert_int_equal(count(buf, ISDM_WARN("mlx5_0:2")), 1);
	assert_int_equal(count(buf, "IsDM"), 1);
	assert_int_equal(dm_agent_ports_serving(e->a), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers_on_mad_ports,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_to_sender, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ignores_non_requests,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_device_removed_from_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_filter,
						setup_one_port, teardown),
		cmocka_unit_test_setup_teardown(
			test_register_fails_then_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_error_then_retried,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_hangup_then_retried,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_isdm_warning, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
