/* admin.c: the admin HTTP endpoint (see admin.h). Owns the libmicrohttpd daemon and its
 * thread, and a copy of the token its requests must carry; every response is rendered into
 * memory of its own (open_memstream) and handed to the library to free. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/error.h"
#include "net/admin.h"

struct oc_admin {
	struct MHD_Daemon *daemon;
	const struct oc_engine *engine;
	const struct oc_server *server;
	uint16_t port;
	size_t token_bytes; /* 0: requests need no token */
	char token[OC_PROTO_TOKEN_BYTES_MAX];
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     char *body, size_t bytes)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(bytes, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"ordercored\"");
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	char *body = strdup(text);
	return body ? reply(c, status, "text/plain; charset=utf-8", body, strlen(text)) : MHD_NO;
}

static enum MHD_Result metrics(struct oc_admin *a, struct MHD_Connection *c)
{
	char *body = NULL;
	size_t bytes = 0;
	FILE *out = open_memstream(&body, &bytes);
	if (!out)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	int rc = oc_engine_metrics_write(a->engine, out);
	if (rc == 0 && a->server)
		rc = oc_server_metrics_write(a->server, out);
	if (fclose(out) != 0 || rc != 0) {
		free(body);
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "could not render metrics\n");
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, bytes);
}

/* Whether the request carries `Authorization: Bearer <the token>` (the scheme's name in any
 * case, RFC 7235). The comparison takes the same time wherever the bytes differ, so that its
 * time does not tell how much of a guess was right. */
static bool authorized(const struct oc_admin *a, struct MHD_Connection *c)
{
	if (!a->token_bytes)
		return true;
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	size_t n = strlen(h);
	unsigned char diff = n != a->token_bytes;
	for (size_t i = 0; i < a->token_bytes; i++)
		diff |= (unsigned char)(a->token[i] ^ (i < n ? h[i] : 0));
	return diff == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_bytes, void **state)
{
	(void)version;
	(void)upload;
	(void)upload_bytes;
	(void)state;
	struct oc_admin *a = cls;
	if (!authorized(a, c)) { /* first: without the token, nothing is told */
		oc_log(OC_LOG_DEBUG, "msg=\"admin request refused: no valid token\"");
		return reply_text(c, MHD_HTTP_UNAUTHORIZED, "the daemon's token is required: "
							    "Authorization: Bearer TOKEN\n");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (strcmp(url, "/metrics") == 0)
		return metrics(a, c);
	if (strcmp(url, "/healthz") == 0)
		return oc_engine_health(a->engine) == 0
			   ? reply_text(c, MHD_HTTP_OK, "ok\n")
			   : reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "log failed\n");
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /healthz\n");
}

static void log_error(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p; p++) /* one line, no quotes inside */
		if (*p == '\n' || *p == '"')
			*p = ' ';
	oc_log(OC_LOG_WARN, "msg=\"admin endpoint\" detail=\"%s\"", msg);
}

int oc_admin_start(const char *host, uint16_t port, const char *token, const struct oc_engine *e,
		   const struct oc_server *s, struct oc_admin **out, char *err, size_t err_bytes)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	bool v6 = strchr(host, ':') != NULL; /* as the server tells the families apart */
	if ((v6 ? inet_pton(AF_INET6, host, &a6.sin6_addr) : inet_pton(AF_INET, host, &a4.sin_addr)) !=
	    1)
		return oc_error_set(err, err_bytes, -EINVAL,
				    "admin: '%s' is not a numeric IPv4 or IPv6 address", host);
	size_t token_bytes = token ? strlen(token) : 0;
	if (token_bytes > OC_PROTO_TOKEN_BYTES_MAX)
		return oc_error_set(err, err_bytes, -EINVAL, "admin: a token of at most %u bytes",
				    OC_PROTO_TOKEN_BYTES_MAX);
	struct oc_admin *a = calloc(1, sizeof(*a));
	if (!a)
		return oc_error_set(err, err_bytes, -ENOMEM, "admin: out of memory");
	a->engine = e;
	a->server = s;
	a->token_bytes = token_bytes;
	memcpy(a->token, token ? token : "", token_bytes);
	errno = 0; /* what a failure leaves here is its cause */
	a->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
		(v6 ? MHD_USE_IPv6 : 0),
	    port, NULL, NULL, handle, a, MHD_OPTION_EXTERNAL_LOGGER, log_error,
	    NULL, /* first: all messages */
	    MHD_OPTION_SOCK_ADDR, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)OC_ADMIN_CONNECTIONS_MAX,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)OC_ADMIN_REQUEST_BYTES_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)OC_ADMIN_TIMEOUT_S, MHD_OPTION_END);
	if (!a->daemon) {
		int rc = errno ? -errno : -EADDRINUSE;
		free(a);
		return oc_error_set(err, err_bytes, rc, "admin: cannot serve on %s:%u: %s", host,
				    (unsigned)port, strerror(-rc));
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info ? info->port : port;
	*out = a;
	return 0;
}

uint16_t oc_admin_port(const struct oc_admin *a)
{
	return a->port;
}

void oc_admin_stop(struct oc_admin *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->daemon);
	free(a);
}
