/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * umadsim_dm_host DEV [--no-agent] ID_EXT:IOC_GUID:SERVICE_ID...:
 * srptd's Device Management agent (src/fabric/dm/agent.c over the umad
 * transport, src/fabric/dm/umad.c, unchanged) serving one controller slot
 * per argument on every port of DEV, until SIGTERM/SIGINT.  Run under
 * libumadsim.so it is a DM-capable port of the simulated subnet that
 * stock ibsrpdm and srp_daemon query (tests/lib/umadsim/README.md).
 * With --no-agent the port is up but nothing is registered for the DM
 * class, as when srptd runs with fabric.dm_agent = false.
 */
#include <errno.h>
#include <infiniband/umad.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/dm.h"
#include "loop.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_slot(const char *s, struct dm_ioc *ioc)
{
	char *end;

	ioc->id_ext = strtoull(s, &end, 16);
	if (*end != ':')
		return -EINVAL;
	ioc->guid = strtoull(end + 1, &end, 16);
	if (*end != ':')
		return -EINVAL;
	ioc->service_id = strtoull(end + 1, &end, 16);
	ioc->ports = ~0ull;
	return *end ? -EINVAL : 0;
}

static int run_agent(const char *dev, struct dm_ioc *slots, unsigned int n)
{
	struct dm_device d = { .n_slots = n, .slots = slots };
	struct dm_table t = { .n_devs = 1, .devs = &d };
	struct dm_agent_params p = { 0 };
	struct dm_agent *a;
	struct loop *l;
	int ret;

	snprintf(d.name, sizeof(d.name), "%s", dev);
	t.caps.send_queue_depth = 128;
	t.caps.rdma_read_depth = 16;
	t.caps.send_size = 8276;
	t.caps.rdma_size = 1 << 20;
	snprintf(t.caps.id_string, sizeof(t.caps.id_string), "srptd umadsim");
	ret = loop_create(&l);
	if (ret)
		return ret;
	p.loop = l;
	ret = dm_agent_create(&p, &a);
	if (ret)
		goto out_loop;
	ret = dm_agent_set_table(a, &t);
	if (ret)
		goto out_agent;
	printf("ready: %u port(s) answering\n", dm_agent_ports_serving(a));
	fflush(stdout);
	while (!stop && loop_run_once(l, 200) >= 0)
		;
out_agent:
	dm_agent_destroy(a);
out_loop:
	loop_destroy(l);
	return ret;
}

/*
 * The port without a DM agent: open, nothing registered.  The simulated
 * MAD layer runs inside the process's umad calls, so keep calling
 * umad_recv(): it answers what no agent takes, as the kernel would.
 */
static int run_bare(const char *dev)
{
	uint8_t buf[sizeof(struct ib_user_mad) + DM_MAD_SIZE];
	int fd = umad_open_port(dev, 1);

	if (fd < 0)
		return fd;
	printf("ready: port open, no agent\n");
	fflush(stdout);
	while (!stop) {
		int len = DM_MAD_SIZE;

		(void)umad_recv(fd, buf, &len, 100);
	}
	umad_close_port(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction act = { .sa_handler = on_signal };
	struct dm_ioc slots[DM_MAX_SLOTS] = { 0 };
	unsigned int n = 0;
	int i = 2, ret;
	bool bare = false;

	if (argc < 2) {
		fprintf(stderr,
			"usage: %s DEV [--no-agent] ID_EXT:IOC_GUID:SERVICE_ID...\n",
			argv[0]);
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "--no-agent")) {
		bare = true;
		i++;
	}
	for (; i < argc && n < DM_MAX_SLOTS; i++, n++) {
		if (parse_slot(argv[i], &slots[n])) {
			fprintf(stderr, "bad slot %s\n", argv[i]);
			return 2;
		}
	}
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	ret = bare ? run_bare(argv[1]) : run_agent(argv[1], slots, n);
	if (ret)
		fprintf(stderr, "umadsim_dm_host: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
