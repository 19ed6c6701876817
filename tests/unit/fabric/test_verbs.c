/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric unit tests that need no RDMA hardware: status mapping,
 * service ids, port filters, listen addresses, and creation without any
 * device (rdma_get_devices() is wrapped, see CMakeLists.txt).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <netinet/in.h>
#include <rdma/rdma_cma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fabric/verbs.h"
#include "log.h"
#include "loop.h"

struct ibv_context **__wrap_rdma_get_devices(int *num_devices);
void __wrap_rdma_free_devices(struct ibv_context **list);

static int fake_calls, fake_frees;
static struct ibv_context *fake_list[1] = { 0 };

struct ibv_context **__wrap_rdma_get_devices(int *num_devices)
{
	fake_calls++;
	*num_devices = 0;
	/* librdmacm returns a NULL-terminated (here: empty) array. */
	return fake_list;
}

void __wrap_rdma_free_devices(struct ibv_context **list)
{
	assert_ptr_equal(list, fake_list);
	fake_frees++;
}

static void test_wc_status(void **state)
{
	static const struct {
		int ibv;
		enum fabric_wc_status fab;
	} map[] = {
		{ IBV_WC_SUCCESS, FABRIC_WC_SUCCESS },
		{ IBV_WC_LOC_LEN_ERR, FABRIC_WC_LOC_LEN_ERR },
		{ IBV_WC_LOC_PROT_ERR, FABRIC_WC_LOC_PROT_ERR },
		{ IBV_WC_LOC_ACCESS_ERR, FABRIC_WC_LOC_PROT_ERR },
		{ IBV_WC_REM_ACCESS_ERR, FABRIC_WC_REM_ACCESS_ERR },
		{ IBV_WC_REM_INV_REQ_ERR, FABRIC_WC_REM_INV_REQ_ERR },
		{ IBV_WC_REM_OP_ERR, FABRIC_WC_REM_INV_REQ_ERR },
		{ IBV_WC_RETRY_EXC_ERR, FABRIC_WC_RETRY_EXC_ERR },
		{ IBV_WC_RNR_RETRY_EXC_ERR, FABRIC_WC_RETRY_EXC_ERR },
		{ IBV_WC_FATAL_ERR, FABRIC_WC_RETRY_EXC_ERR },
		{ IBV_WC_RESP_TIMEOUT_ERR, FABRIC_WC_RETRY_EXC_ERR },
		{ IBV_WC_GENERAL_ERR, FABRIC_WC_RETRY_EXC_ERR },
		{ IBV_WC_WR_FLUSH_ERR, FABRIC_WC_WR_FLUSH_ERR },
		{ 9999, FABRIC_WC_RETRY_EXC_ERR },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		assert_int_equal(fabric_verbs_wc_status(map[i].ibv),
				 map[i].fab);
}

static void test_service_id(void **state)
{
	/* doc/srp-protocol.md 12: RDMA_IB_IP_PS_IB | port. */
	assert_true(fabric_verbs_ib_service_id(0) == 0x00000000013F0000ULL);
	assert_true(fabric_verbs_ib_service_id(0x0d2e) ==
		    0x00000000013F0D2EULL);
	assert_true(fabric_verbs_ib_service_id(0xffff) ==
		    0x00000000013FFFFFULL);
}

static void test_port_match(void **state)
{
	assert_true(fabric_verbs_port_match("*", "mlx5_0", 1));
	assert_true(fabric_verbs_port_match("mlx5_0", "mlx5_0", 2));
	assert_true(fabric_verbs_port_match("mlx5_0:1", "mlx5_0", 1));
	assert_true(fabric_verbs_port_match("mlx5_0:*", "mlx5_0", 2));
	assert_false(fabric_verbs_port_match("mlx5_0:1", "mlx5_0", 2));
	assert_false(fabric_verbs_port_match("mlx5_0:1", "mlx5_1", 1));
	assert_false(fabric_verbs_port_match("mlx5", "mlx5_0", 1));
	assert_false(fabric_verbs_port_match("mlx5_0:", "mlx5_0", 1));
	assert_false(fabric_verbs_port_match("mlx5_0:1x", "mlx5_0", 1));
	assert_false(fabric_verbs_port_match("", "rxe0", 1));
	assert_true(fabric_verbs_port_match("rxe0:1", "rxe0", 1));
}

static void test_parse_addr(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0;
	char buf[64];

	assert_int_equal(fabric_verbs_parse_addr("192.0.2.7", 5000, &ss, &len),
			 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(sin->sin_port), 5000);
	assert_string_equal(inet_ntop(AF_INET, &sin->sin_addr, buf,
				      sizeof(buf)),
			    "192.0.2.7");

	assert_int_equal(fabric_verbs_parse_addr("::", 5555, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(sin6->sin6_port), 5555);

	assert_int_equal(fabric_verbs_parse_addr("fe80::1%7", 1, &ss, &len), 0);
	assert_int_equal(sin6->sin6_scope_id, 7);
	assert_int_equal(fabric_verbs_parse_addr("fe80::1%lo", 1, &ss, &len),
			 0);
	assert_true(sin6->sin6_scope_id > 0);

	assert_int_equal(fabric_verbs_parse_addr("fe80::1%nosuchif0", 1, &ss,
						 &len),
			 -EINVAL);
	assert_int_equal(fabric_verbs_parse_addr("host.example", 1, &ss, &len),
			 -EINVAL);
	assert_int_equal(fabric_verbs_parse_addr("1.2.3", 1, &ss, &len),
			 -EINVAL);
	assert_int_equal(fabric_verbs_parse_addr("", 1, &ss, &len), -EINVAL);
	assert_int_equal(fabric_verbs_parse_addr(NULL, 1, &ss, &len), -EINVAL);
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(fabric_verbs_parse_addr(buf, 1, &ss, &len), -EINVAL);
}

static void conn_request_unused(void *ctx, struct fabric_conn_req *req,
				const struct fabric_conn_info *info)
{
	fail_msg("no connection request expected");
}

static void test_no_device(void **state)
{
	static const struct fabric_listener_handlers lh = {
		.conn_request = conn_request_unused,
	};
	struct fabric_verbs_listen l = { .addr = "0.0.0.0", .port = 5555 };
	struct fabric_verbs_params p = { .listen = &l, .n_listen = 1 };
	struct fabric *f = (struct fabric *)0x1;
	struct loop *loop;

	assert_int_equal(loop_create(&loop), 0);
	fake_calls = fake_frees = 0;
	assert_int_equal(fabric_verbs_create(loop, &p, &lh, NULL, &f), -ENODEV);
	assert_ptr_equal(f, (struct fabric *)0x1); /* untouched */
	assert_int_equal(fake_calls, 1);
	assert_int_equal(fake_frees, 1); /* nothing left behind */
	/* The daemon retries later: a second attempt behaves the same. */
	assert_int_equal(fabric_verbs_create(loop, &p, &lh, NULL, &f), -ENODEV);
	assert_int_equal(fake_calls, 2);
	assert_int_equal(fake_frees, 2);
	/* The loop has nothing registered: a poll dispatches nothing. */
	assert_int_equal(loop_run_once(loop, 0), 0);
	loop_destroy(loop);
}

/* Lines of f containing needle. */
static int count_lines(FILE *f, const char *needle)
{
	char line[512];
	int n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	return n;
}

/*
 * The daemon retries a fabric that found no device every second, keeping
 * the skip memory: the reason is logged once, not at every attempt.
 */
static void test_no_device_logged_once(void **state)
{
	static const struct fabric_listener_handlers lh = {
		.conn_request = conn_request_unused,
	};
	struct fabric_verbs_skips sk = { 0 };
	struct fabric_verbs_params p = { .skips = &sk };
	struct fabric *f = NULL;
	struct loop *loop;
	FILE *cap = tmpfile();
	int saved = dup(STDERR_FILENO);
	int n_mem, n_all;

	assert_non_null(cap);
	assert_true(saved >= 0);
	assert_int_equal(loop_create(&loop), 0);
	fflush(stderr);
	assert_true(dup2(fileno(cap), STDERR_FILENO) >= 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fabric_verbs_create(loop, &p, &lh, NULL, &f),
				 -ENODEV);
	fflush(stderr);
	n_mem = count_lines(cap, "no RDMA device present");
	/* Without the caller's memory every attempt reports it. */
	p.skips = NULL;
	assert_int_equal(fabric_verbs_create(loop, &p, &lh, NULL, &f), -ENODEV);
	fflush(stderr);
	n_all = count_lines(cap, "no RDMA device present");
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	fclose(cap);
	assert_int_equal(n_mem, 1);
	assert_int_equal(n_all, 2);
	assert_int_equal(sk.n, 1);
	assert_string_equal(sk.e[0].dev, "");
	assert_string_equal(sk.e[0].why, "no RDMA device present");
	loop_destroy(loop);
}

static void test_bad_params(void **state)
{
	static const struct fabric_listener_handlers lh = {
		.conn_request = conn_request_unused,
	};
	static const struct fabric_listener_handlers no_cb = { 0 };
	struct fabric_verbs_params p = { 0 };
	struct fabric *f = NULL;
	struct loop *loop;

	assert_int_equal(loop_create(&loop), 0);
	fake_calls = 0;
	assert_int_equal(fabric_verbs_create(NULL, &p, &lh, NULL, &f), -EINVAL);
	assert_int_equal(fabric_verbs_create(loop, NULL, &lh, NULL, &f),
			 -EINVAL);
	assert_int_equal(fabric_verbs_create(loop, &p, &no_cb, NULL, &f),
			 -EINVAL);
	assert_int_equal(fake_calls, 0); /* refused before touching devices */
	assert_null(f);
	fabric_verbs_destroy(NULL);
	loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wc_status),
		cmocka_unit_test(test_service_id),
		cmocka_unit_test(test_port_match),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_no_device),
		cmocka_unit_test(test_no_device_logged_once),
		cmocka_unit_test(test_bad_params),
	};

	log_init("test_verbs", LOG_SINK_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
