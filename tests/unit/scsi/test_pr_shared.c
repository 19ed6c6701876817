/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Reservations on an LU shared with another host without a shared store
 * (SCSI_PR_REFUSED, doc/scsi-commands.md "Reservations on a device
 * shared with another host"): every reservation command fails at parse
 * with 05/20/00 before unit attentions and data-out, REPORT SUPPORTED
 * OPERATION CODES agrees, the first refusal alone is logged, the APTPL
 * store is neither read nor written, and an ordinary LU beside it keeps
 * full reservations.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "scsi_fixture.h"
#include "util.h"

#define NAA "600140512345678900000000000000bb"
#define KEY 0xabcd0001ull

struct ps {
	char state_file[256];
	struct scsi_pr_store store;
	struct sf f;
};

/*
 * A saved APTPL state in which another nexus holds WRITE EXCLUSIVE: if
 * the refused LU loaded it, nexus 0's writes would conflict.
 */
static const char saved_state[] =
	"srptd-pr-state 1\n"
	"generation 3\n"
	"aptpl 1\n"
	"reservation 0 1\n"
	"reg 77000000000000000000000000000000 "
	"22330000000000000000000000000000 1 00000000000000aa\n"
	"end 1\n";

static int setup(void **state)
{
	struct ps *p = calloc(1, sizeof(*p));
	struct scsi_lu_params shared = { .vendor = "SRPTD",
					 .product = "shared disk",
					 .revision = "0.1",
					 .naa = NAA,
					 .max_xfer_bytes = 1024 * 1024,
					 .pr_store = &p->store,
					 .pr_mode = SCSI_PR_REFUSED };
	struct scsi_lun_entry view[2];
	FILE *fp;

	assert_non_null(p);
	sf_init(&p->f);
	scsi_pr_file_store_init(&p->store, p->f.dir);
	snprintf(p->state_file, sizeof(p->state_file), "%s/pr-%s.state",
		 p->f.dir, NAA);
	fp = fopen(p->state_file, "w");
	assert_non_null(fp);
	fputs(saved_state, fp);
	assert_int_equal(fclose(fp), 0);

	sf_add_lu(&p->f, 0, "sync", 512, 1024, &shared);
	sf_add_lu(&p->f, 1, "sync", 512, 1024, NULL);
	view[0] = (struct scsi_lun_entry){ .lun = 0, .lu = p->f.lu[0] };
	view[1] = (struct scsi_lun_entry){ .lun = 1, .lu = p->f.lu[1] };
	sf_add_itn(&p->f, 0, 0xa0, view, 2);
	sf_add_itn(&p->f, 1, 0xb0, view, 2);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct ps *p = *state;

	unlink(p->state_file);
	sf_fini(&p->f);
	free(p);
	return 0;
}

/* cmd on (itn, lun) is refused at parse with 05/20/00, no data moved. */
static void assert_refused(struct ps *p, unsigned int itn, uint64_t lun,
			   struct sf_cmd *c)
{
	assert_int_equal(sf_run(&p->f, itn, lun, c), SAM_STAT_CHECK_CONDITION);
	assert_true(c->parse_ret > 0);
	assert_int_equal(c->xfer_len, 0);
	assert_int_equal(c->data_in_len, 0);
	sf_assert_sense(c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
}

static void test_every_reservation_command_refused(void **state)
{
	static const uint8_t in_sa[] = { SCSI_PRIN_READ_KEYS,
					 SCSI_PRIN_READ_RESERVATION,
					 SCSI_PRIN_REPORT_CAPABILITIES,
					 SCSI_PRIN_READ_FULL_STATUS };
	static const uint8_t out_sa[] = {
		SCSI_PROUT_REGISTER,
		SCSI_PROUT_RESERVE,
		SCSI_PROUT_RELEASE,
		SCSI_PROUT_CLEAR,
		SCSI_PROUT_PREEMPT,
		SCSI_PROUT_PREEMPT_AND_ABORT,
		SCSI_PROUT_REGISTER_AND_IGNORE,
	};
	static const uint8_t res2_ops[] = { SCSI_OP_RESERVE_6,
					    SCSI_OP_RELEASE_6 };
	struct ps *p = *state;
	uint8_t buf[256];
	struct sf_cmd c;
	size_t i;

	/*
	 * The power-on unit attention is still pending: a refused command
	 * neither reports nor clears it (it is refused first).
	 */
	sf_cdb_prin(&c, SCSI_PRIN_READ_KEYS, buf, sizeof(buf));
	assert_refused(p, 0, 0, &c);
	for (i = 0; i < ARRAY_SIZE(in_sa); i++) {
		sf_cdb_prin(&c, in_sa[i], buf, sizeof(buf));
		assert_refused(p, 0, 0, &c);
	}
	for (i = 0; i < ARRAY_SIZE(out_sa); i++) {
		sf_cdb_prout(&c, out_sa[i], SCSI_PR_TYPE_WE, 0, KEY, 0, 24);
		assert_refused(p, 0, 0, &c);
	}
	for (i = 0; i < ARRAY_SIZE(res2_ops); i++) {
		sf_cdb6(&c, res2_ops[i], 0, 0, 0, 0);
		assert_refused(p, 1, 0, &c);
	}
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_RESERVE_10;
	assert_refused(p, 1, 0, &c);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_RELEASE_10;
	assert_refused(p, 1, 0, &c);
	/* The unit attention is still there for the next command. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run(&p->f, 0, 0, &c), SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION, SCSI_ASC_POWER_ON_RESET);
}

static void test_data_path_and_store_untouched(void **state)
{
	struct ps *p = *state;
	uint8_t data[512], back[512], buf[256];
	char file[512];
	struct sf_cmd c;
	ssize_t n;
	int fd;

	sf_clear_ua(&p->f, 0, 0);
	sf_clear_ua(&p->f, 1, 0);
	sf_clear_ua(&p->f, 0, 1);
	sf_clear_ua(&p->f, 1, 1);
	/* Not loaded: no WRITE EXCLUSIVE holder makes this conflict. */
	sf_fill(data, sizeof(data), 7);
	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, 3, 1);
	c.out = data;
	c.out_len = sizeof(data);
	assert_int_equal(sf_run(&p->f, 0, 0, &c), SAM_STAT_GOOD);
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 3, 1);
	c.in = back;
	c.in_len = sizeof(back);
	assert_int_equal(sf_run(&p->f, 1, 0, &c), SAM_STAT_GOOD);
	assert_memory_equal(data, back, sizeof(data));
	/* A refused REGISTER with APTPL writes nothing either. */
	sf_cdb_prout(&c, SCSI_PROUT_REGISTER, 0, 0, KEY, 0x01, 24);
	assert_refused(p, 0, 0, &c);
	fd = open(p->state_file, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, file, sizeof(file));
	close(fd);
	assert_int_equal(n, sizeof(saved_state) - 1);
	assert_memory_equal(file, saved_state, n);

	/* The LU beside it keeps full persistent reservations. */
	assert_int_equal(sf_prout(&p->f, 0, 1, SCSI_PROUT_REGISTER, 0, 0, KEY,
				  0, NULL),
			 SAM_STAT_GOOD);
	assert_int_equal(sf_prout(&p->f, 0, 1, SCSI_PROUT_RESERVE,
				  SCSI_PR_TYPE_WE, KEY, 0, 0, NULL),
			 SAM_STAT_GOOD);
	sf_cdb_prin(&c, SCSI_PRIN_READ_RESERVATION, buf, sizeof(buf));
	assert_int_equal(sf_run(&p->f, 1, 1, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 24);
	assert_int_equal(get_be64(buf + 8), KEY);
	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, 3, 1);
	c.out = data;
	c.out_len = sizeof(data);
	assert_int_equal(sf_run(&p->f, 1, 1, &c),
			 SAM_STAT_RESERVATION_CONFLICT);
	/* ... while the shared one, next to it, still takes the write. */
	assert_int_equal(sf_run(&p->f, 1, 0, &c), SAM_STAT_GOOD);
}

static void rsoc(struct sf_cmd *c, uint8_t opts, uint8_t op, uint16_t sa,
		 uint8_t *buf, uint32_t len)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_MAINTENANCE_IN;
	c->cdb[1] = SCSI_MI_REPORT_SUPPORTED_OPCODES;
	c->cdb[2] = opts;
	c->cdb[3] = op;
	put_be16(c->cdb + 4, sa);
	put_be32(c->cdb + 6, len);
	c->in = buf;
	c->in_len = len;
}

static bool is_resv_op(uint8_t op)
{
	return op == SCSI_OP_RESERVE_6 || op == SCSI_OP_RELEASE_6 ||
	       op == SCSI_OP_RESERVE_10 || op == SCSI_OP_RELEASE_10 ||
	       op == SCSI_OP_PERSISTENT_RESERVE_IN ||
	       op == SCSI_OP_PERSISTENT_RESERVE_OUT;
}

/* Rows of the all-commands list on lun; *resv: how many of them are
 * reservation commands. */
static unsigned int rsoc_all(struct ps *p, uint64_t lun, unsigned int *resv)
{
	static uint8_t b[8192];
	unsigned int n = 0;
	struct sf_cmd c;
	uint32_t len;

	rsoc(&c, 0, 0, 0, b, sizeof(b));
	assert_int_equal(sf_run(&p->f, 0, lun, &c), SAM_STAT_GOOD);
	len = get_be32(b);
	assert_int_equal(c.data_in_len, len + 4);
	*resv = 0;
	for (uint32_t off = 4; off < len + 4; off += 8, n++)
		if (is_resv_op(b[off]))
			(*resv)++;
	return n;
}

static uint8_t rsoc_support(struct ps *p, uint64_t lun, uint8_t opts,
			    uint8_t op, uint16_t sa)
{
	uint8_t b[64];
	struct sf_cmd c;

	rsoc(&c, opts, op, sa, b, sizeof(b));
	assert_int_equal(sf_run(&p->f, 0, lun, &c), SAM_STAT_GOOD);
	return b[1] & 0x07;
}

static void test_report_supported_opcodes(void **state)
{
	struct ps *p = *state;
	unsigned int n_local, n_shared, resv_local, resv_shared;

	sf_clear_ua(&p->f, 0, 0);
	sf_clear_ua(&p->f, 0, 1);
	n_local = rsoc_all(p, 1, &resv_local);
	n_shared = rsoc_all(p, 0, &resv_shared);
	/* RESERVE/RELEASE (6)/(10), 4 PR IN and 7 PR OUT service actions. */
	assert_int_equal(resv_local, 4 + 4 + 7);
	assert_int_equal(resv_shared, 0);
	assert_int_equal(n_shared, n_local - resv_local);
	/* One command: 011b (supported, standard) vs 001b (not). */
	assert_int_equal(rsoc_support(p, 1, 2, 0x5e, SCSI_PRIN_READ_KEYS), 3);
	assert_int_equal(rsoc_support(p, 0, 2, 0x5e, SCSI_PRIN_READ_KEYS), 1);
	assert_int_equal(rsoc_support(p, 0, 2, 0x5f, SCSI_PROUT_PREEMPT), 1);
	assert_int_equal(rsoc_support(p, 1, 1, SCSI_OP_RESERVE_6, 0), 3);
	assert_int_equal(rsoc_support(p, 0, 1, SCSI_OP_RESERVE_6, 0), 1);
	assert_int_equal(rsoc_support(p, 0, 1, SCSI_OP_RELEASE_10, 0), 1);
	/* Everything else is reported as on any LU. */
	assert_int_equal(rsoc_support(p, 0, 1, SCSI_OP_WRITE_10, 0), 3);
}

/* Count lines of fd's file (from offset 0) that contain needle. */
static unsigned int count_lines(int fd, const char *needle)
{
	static char buf[16384];
	unsigned int n = 0;
	ssize_t len;
	char *s;

	len = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(len >= 0);
	buf[len] = 0;
	for (s = buf; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

static void test_logged_once(void **state)
{
	struct ps *p = *state;
	char path[256];
	uint8_t buf[256];
	struct sf_cmd c;
	int fd, saved;

	snprintf(path, sizeof(path), "%s/log", p->f.dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(2);
	assert_true(saved >= 0);
	log_init("test", LOG_SINK_STDERR);
	assert_int_equal(dup2(fd, 2), 2);
	for (int i = 0; i < 3; i++) {
		sf_cdb_prin(&c, SCSI_PRIN_READ_KEYS, buf, sizeof(buf));
		sf_run(&p->f, 0, 0, &c);
		sf_cdb6(&c, SCSI_OP_RESERVE_6, 0, 0, 0, 0);
		sf_run(&p->f, 1, 0, &c);
	}
	dup2(saved, 2);
	close(saved);
	assert_int_equal(count_lines(fd, "logged only this once"), 1);
	assert_int_equal(count_lines(fd, "device test:"), 1);
	assert_int_equal(count_lines(fd, "PERSISTENT RESERVE IN"), 1);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_every_reservation_command_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_data_path_and_store_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_supported_opcodes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_logged_once, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
