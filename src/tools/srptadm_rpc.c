/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm's side of the control socket: one connection per command, one
 * JSON-RPC 2.0 request line and its response line (doc/control.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "srptadm.h"

/* A response larger than this is not srptd's. */
#define ADM_MAX_RESPONSE (256u << 20)
/* srptd answers on its main loop; a reload may take a while. */
#define ADM_TIMEOUT_S 60

static int adm_connect(struct adm *a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ADM_TIMEOUT_S };
	int fd;

	if (strlen(a->socket) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "srptadm: socket path too long: %s\n",
			a->socket);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, a->socket, strlen(a->socket));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		fprintf(stderr,
			"srptadm: cannot connect to srptd at %s: %s%s\n",
			a->socket, strerror(err),
			err == ENOENT || err == ECONNREFUSED ?
				" (is srptd running? -s selects another socket)" :
			err == EACCES ? " (root or daemon.control_group only)" :
					"");
		close(fd);
		return -err;
	}
	return fd;
}

static int adm_send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

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

/* The response line (malloc'ed, without the newline) or NULL. */
static char *adm_recv_line(int fd, int *err)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl = NULL;

	while (buf && !nl) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *b = cap < ADM_MAX_RESPONSE ?
					  realloc(buf, cap * 2) :
					  NULL;

			if (!b) {
				*err = -EMSGSIZE;
				goto fail;
			}
			buf = b;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? -errno : -ECONNRESET;
			goto fail;
		}
		nl = memchr(buf + len, '\n', n);
		len += n;
	}
	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	*nl = 0;
	return buf;
fail:
	free(buf);
	return NULL;
}

int adm_call(struct adm *a, const char *method, struct json_object *params,
	     struct json_object **result)
{
	struct json_object *req = json_object_new_object(), *rsp = NULL, *v;
	const char *line;
	char *reply = NULL;
	int fd, err = 0, err2 = 0, ret = ADM_EXIT_CONNECT;

	*result = NULL;
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int(1));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", params);
	fd = adm_connect(a);
	if (fd < 0)
		goto out;
	line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	err = adm_send_all(fd, line, strlen(line));
	if (!err)
		err = adm_send_all(fd, "\n", 1);
	/*
	 * Read even if sending failed: a refused peer's request is not read,
	 * but srptd's error line is waiting.
	 */
	reply = adm_recv_line(fd, err ? &err2 : &err);
	close(fd);
	if (!reply) {
		fprintf(stderr, "srptadm: no answer from srptd at %s: %s\n",
			a->socket, strerror(-err));
		goto out;
	}
	rsp = json_tokener_parse(reply);
	ret = ADM_EXIT_FAILED;
	if (!rsp || !json_object_is_type(rsp, json_type_object)) {
		fprintf(stderr,
			"srptadm: srptd sent something that is not JSON-RPC\n");
		goto out;
	}
	if (json_object_object_get_ex(rsp, "error", &v)) {
		const char *msg = adm_str(v, "message");

		fprintf(stderr, "srptadm: %s\n", msg[0] ? msg : "error");
		goto out;
	}
	if (!json_object_object_get_ex(rsp, "result", &v)) {
		fprintf(stderr, "srptadm: srptd sent no result\n");
		goto out;
	}
	*result = json_object_get(v);
	ret = ADM_EXIT_OK;
out:
	free(reply);
	json_object_put(rsp);
	json_object_put(req);
	return ret;
}

void adm_print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE));
}

int adm_run(struct adm *a, const char *method, struct json_object *params,
	    void (*human)(struct adm *a, struct json_object *result))
{
	struct json_object *r;
	int ret = adm_call(a, method, params, &r);

	if (ret)
		return ret;
	if (a->json || !human)
		adm_print_json(r);
	else
		human(a, r);
	json_object_put(r);
	return ADM_EXIT_OK;
}
