/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control socket server (src/ctl/server.c) on a loop in this thread:
 * line framing (pipelined, split, CRLF, empty and oversized lines, a last
 * line without newline), a response larger than the socket buffer to a
 * peer that reads late, the connection limit, the socket file's mode and
 * group, stale/live/foreign files at the socket's path, and deferred
 * answers (ctl_defer(): other connections are served meanwhile, the
 * answer keeps the order of responses, a peer gone first is no harm).
 * Who may connect (SO_PEERCRED) needs another user: tests/daemon/test_ctl.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_method.h"
#include "loop.h"

#define BIG_LEN (4u << 20) /* larger than any socket buffer */

static int m_ping(struct ctl_call *c, struct json_object *params,
		  struct json_object **result)
{
	struct json_object *r = json_object_new_object();

	ctl_add_str(r, "pong", ctl_param_str(params, "tag", ""));
	*result = r;
	return 0;
}

static int m_big(struct ctl_call *c, struct json_object *params,
		 struct json_object **result)
{
	char *s = malloc(BIG_LEN + 1);
	struct json_object *r = json_object_new_object();

	memset(s, 'x', BIG_LEN);
	s[BIG_LEN] = 0;
	ctl_add_str(r, "big", s);
	free(s);
	*result = r;
	return 0;
}

/* "later": answered when the test says so (ctl_deferred_finish()). */
static struct ctl_deferred *g_later;

static int m_later(struct ctl_call *c, struct json_object *params,
		   struct json_object **result)
{
	assert_null(g_later);
	g_later = ctl_defer(c);
	assert_non_null(g_later);
	return CTL_DEFERRED;
}

static const struct ctl_param ping_params[] = {
	{ "tag", CTL_P_STRING, false },
	{ 0 },
};
static const struct ctl_method methods[] = {
	{ "ping", ping_params, m_ping },
	{ "big", NULL, m_big },
	{ "later", NULL, m_later },
	{ 0 },
};
static const struct ctl_method *const tables[] = { methods, NULL };

struct fixture {
	struct loop *l;
	struct ctl_server *s;
	char dir[128];
	char path[160];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/ctl.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	/* A directory that does not exist yet: the server makes it. */
	snprintf(f->path, sizeof(f->path), "%s/run/ctl.sock", f->dir);
	assert_int_equal(loop_create(&f->l), 0);
	assert_int_equal(ctl_server_create(f->l, f->path, tables, NULL, &f->s),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char run[200];

	ctl_server_destroy(f->s);
	/* The socket is gone with the server. */
	assert_int_equal(access(f->path, F_OK), -1);
	loop_destroy(f->l);
	snprintf(run, sizeof(run), "%s/run", f->dir);
	rmdir(run);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int client(struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(strlen(f->path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, f->path, strlen(f->path));
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void put(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

/*
 * Run the loop until a whole line arrived on fd; returns it (static
 * buffer, newline stripped) or NULL at EOF.
 */
static char *get_line(struct fixture *f, int fd)
{
	static char *buf;
	static size_t len;
	size_t cap = BIG_LEN + 4096;

	if (!buf)
		buf = malloc(cap);
	for (int round = 0; round < 20000; round++) {
		char *nl = memchr(buf, '\n', len);
		ssize_t n;

		if (nl) {
			static char line[BIG_LEN + 4096];
			size_t l = nl - buf;

			memcpy(line, buf, l);
			line[l] = 0;
			memmove(buf, nl + 1, len - l - 1);
			len -= l + 1;
			return line;
		}
		loop_run_once(f->l, 1);
		n = recv(fd, buf + len, cap - len, 0);
		if (n == 0)
			return NULL;
		if (n > 0)
			len += n;
	}
	fail_msg("no line from the server");
	return NULL;
}

static void expect_pong(struct fixture *f, int fd, const char *tag)
{
	char want[128];
	char *line = get_line(f, fd);

	assert_non_null(line);
	snprintf(want, sizeof(want), "\"result\":{\"pong\":\"%s\"}", tag);
	if (!strstr(line, want))
		fail_msg("got %s, want %s", line, want);
}

static void expect_code(struct fixture *f, int fd, int code)
{
	char want[64];
	char *line = get_line(f, fd);

	assert_non_null(line);
	snprintf(want, sizeof(want), "\"code\":%d", code);
	if (!strstr(line, want))
		fail_msg("got %.200s, want %s", line, want);
}

#define PING(tag)                                                                      \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"tag\":\"" tag \
	"\"}}"

static void test_framing(void **state)
{
	struct fixture *f = *state;
	int fd = client(f);

	put(fd, PING("a") "\n");
	expect_pong(f, fd, "a");
	/* Three requests in one write, answered in order. */
	put(fd, PING("b") "\n" PING("c") "\r\n\n  \n" PING("d") "\n");
	expect_pong(f, fd, "b");
	expect_pong(f, fd, "c");
	expect_pong(f, fd, "d");
	/* One request in pieces. */
	put(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,");
	loop_run_once(f->l, 10);
	put(fd, "\"method\":\"ping\",\"params\":{\"tag\":\"e\"}}");
	loop_run_once(f->l, 10);
	put(fd, "\n");
	expect_pong(f, fd, "e");
	/* Garbage gets an error; the connection goes on. */
	put(fd, "garbage\n" PING("f") "\n");
	expect_code(f, fd, CTL_E_PARSE);
	expect_pong(f, fd, "f");
	/* EOF after a last line without newline: answered, then closed. */
	put(fd, PING("g"));
	shutdown(fd, SHUT_WR);
	expect_pong(f, fd, "g");
	assert_null(get_line(f, fd));
	close(fd);
}

static void test_oversized_line(void **state)
{
	struct fixture *f = *state;
	size_t n = 3 * CTL_MAX_LINE;
	char *junk = malloc(n);
	int fd = client(f);
	size_t off = 0;

	memset(junk, 'j', n);
	/* Written as the socket takes it: the server reads meanwhile. */
	while (off < n) {
		ssize_t w = send(fd, junk + off, n - off, 0);

		if (w > 0)
			off += w;
		loop_run_once(f->l, 1);
	}
	free(junk);
	put(fd, "\n" PING("after") "\n");
	/* One error for the whole line, then normal service. */
	expect_code(f, fd, CTL_E_INVALID_REQUEST);
	expect_pong(f, fd, "after");
	/* Exactly at the limit is still a request (a parse error here). */
	junk = malloc(CTL_MAX_LINE + 2);
	memset(junk, ' ', CTL_MAX_LINE);
	memcpy(junk, "nonsense", 8);
	junk[CTL_MAX_LINE] = '\n';
	junk[CTL_MAX_LINE + 1] = 0;
	off = 0;
	while (off < CTL_MAX_LINE + 1) {
		ssize_t w = send(fd, junk + off, CTL_MAX_LINE + 1 - off, 0);

		if (w > 0)
			off += w;
		loop_run_once(f->l, 1);
	}
	free(junk);
	expect_code(f, fd, CTL_E_PARSE);
	put(fd, PING("last") "\n");
	expect_pong(f, fd, "last");
	close(fd);
}

static void test_big_response(void **state)
{
	struct fixture *f = *state;
	int fd = client(f), other;
	char *line;

	/* Two requests; the first answer cannot go out at once. */
	put(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"big\"}\n" PING(
			"z") "\n");
	for (int i = 0; i < 20; i++)
		loop_run_once(f->l, 1);
	/* Meanwhile another connection is served. */
	other = client(f);
	put(other, PING("other") "\n");
	expect_pong(f, other, "other");
	close(other);
	line = get_line(f, fd);
	assert_non_null(line);
	assert_true(strlen(line) > BIG_LEN);
	assert_non_null(strstr(line, "\"big\":\"xxxx"));
	expect_pong(f, fd, "z");
	close(fd);
}

static void test_connection_limit(void **state)
{
	struct fixture *f = *state;
	int fds[40], n = 0;
	char *line;

	/* Connections are served up to the limit... */
	for (n = 0; n < 32; n++) {
		fds[n] = client(f);
		loop_run_once(f->l, 1);
	}
	put(fds[31], PING("31") "\n");
	expect_pong(f, fds[31], "31");
	/* ...the next one is told so and closed... */
	fds[n] = client(f);
	expect_code(f, fds[n], CTL_E_BUSY);
	assert_null(get_line(f, fds[n]));
	close(fds[n]);
	/* ...and a freed slot is taken again. */
	close(fds[0]);
	for (int i = 0; i < 5; i++)
		loop_run_once(f->l, 1);
	fds[0] = client(f);
	put(fds[0], PING("again") "\n");
	line = get_line(f, fds[0]);
	assert_non_null(line);
	assert_non_null(strstr(line, "again"));
	for (int i = 0; i < n; i++)
		close(fds[i]);
	for (int i = 0; i < 5; i++)
		loop_run_once(f->l, 1);
}

static void test_mode_and_group(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ctl_server_set_group(f->s, true, 4321), 0);
	assert_int_equal(stat(f->path, &st), 0);
	/*
	 * Only root (CAP_CHOWN) may give a file to another group; without,
	 * the socket is open to all and the credentials check decides.
	 */
	if (geteuid() == 0) {
		assert_int_equal(st.st_mode & 0777, 0660);
		assert_int_equal(st.st_gid, 4321);
	} else {
		assert_int_equal(st.st_mode & 0777, 0666);
	}
	assert_int_equal(ctl_server_set_group(f->s, false, 0), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_path_in_use(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s2 = NULL;
	char other[200];
	int fd;

	/* A live server keeps its socket. */
	assert_int_equal(ctl_server_create(f->l, f->path, tables, NULL, &s2),
			 -EADDRINUSE);
	/* A socket nobody listens on is a dead daemon's: replaced. */
	snprintf(other, sizeof(other), "%s/run/stale.sock", f->dir);
	assert_true(strlen(other) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, other, strlen(other));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(ctl_server_create(f->l, other, tables, NULL, &s2), 0);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ctl_server_destroy(s2);
	/* Anything else at the path is left alone. */
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(ctl_server_create(f->l, other, tables, NULL, &s2),
			 -EEXIST);
	assert_int_equal(access(other, F_OK), 0);
	unlink(other);
	/* sun_path holds 107 characters. */
	memset(other, 'a', sizeof(other) - 1);
	other[0] = '/';
	other[108] = 0;
	assert_int_equal(ctl_server_create(f->l, other, tables, NULL, &s2),
			 -ENAMETOOLONG);
}

#define LATER "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"later\"}"

/* Nothing arrives on fd within a few loop rounds. */
static void expect_silence(struct fixture *f, int fd)
{
	char b;

	for (int i = 0; i < 20; i++)
		loop_run_once(f->l, 1);
	assert_int_equal(recv(fd, &b, 1, MSG_PEEK), -1);
	assert_int_equal(errno, EAGAIN);
}

static void test_deferred(void **state)
{
	struct fixture *f = *state;
	struct json_object *r = json_object_new_object();
	int a = client(f), b = client(f);
	char *line;

	/* A pipelined request waits behind the deferred one. */
	put(a, LATER "\n" PING("after") "\n");
	expect_silence(f, a);
	assert_non_null(g_later);
	/* The loop serves everybody else meanwhile. */
	put(b, PING("other") "\n");
	expect_pong(f, b, "other");
	expect_silence(f, a);
	ctl_add_str(r, "done", "yes");
	ctl_deferred_finish(g_later, 0, NULL, r);
	g_later = NULL;
	line = get_line(f, a);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"id\":7"));
	assert_non_null(strstr(line, "\"result\":{\"done\":\"yes\"}"));
	expect_pong(f, a, "after");
	/* A failure is an error response with data.errno. */
	put(a, LATER "\n");
	expect_silence(f, a);
	ctl_deferred_finish(g_later, -EBUSY, "still busy", NULL);
	g_later = NULL;
	line = get_line(f, a);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"code\":-32000"));
	assert_non_null(strstr(line, "\"message\":\"still busy\""));
	assert_non_null(strstr(line, "\"errno\":-16"));
	/* A peer that sent EOF still gets the answer, then the close. */
	put(a, LATER "\n");
	shutdown(a, SHUT_WR);
	expect_silence(f, a);
	ctl_deferred_finish(g_later, 0, NULL, NULL);
	g_later = NULL;
	line = get_line(f, a);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"result\":{}"));
	assert_null(get_line(f, a));
	close(a);
	close(b);
}

/* The peer leaves before the answer: dropped, the server goes on. */
static void test_deferred_peer_gone(void **state)
{
	struct fixture *f = *state;
	int a = client(f), b;

	put(a, LATER "\n");
	expect_silence(f, a);
	close(a);
	for (int i = 0; i < 20; i++)
		loop_run_once(f->l, 1);
	ctl_deferred_finish(g_later, 0, NULL, json_object_new_object());
	g_later = NULL;
	b = client(f);
	put(b, PING("next") "\n");
	expect_pong(f, b, "next");
	/* The server goes first: the answer has nowhere to go either. */
	put(b, LATER "\n");
	expect_silence(f, b);
	ctl_server_destroy(f->s);
	f->s = NULL;
	ctl_deferred_finish(g_later, -ECANCELED, "stopping", NULL);
	g_later = NULL;
	close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_peer_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_oversized_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_big_response, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connection_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mode_and_group, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_path_in_use, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
