/* admin.h: the daemon's admin HTTP endpoint (docs/operations.md): GET /metrics, the engine's
 * and the server's live figures in the Prometheus text exposition format, and GET /healthz,
 * 200 "ok" while the engine decides commands, 503 once its log failed. Served by GNU
 * libmicrohttpd on a thread of its own, which reads only published metrics
 * (core/metrics.h), so a scrape never stops the pipeline or the server's loop. Bounded: at
 * most OC_ADMIN_CONNECTIONS_MAX connections, OC_ADMIN_REQUEST_BYTES_MAX of request each (a
 * larger request is refused by the library with an error status), idle ones closed after
 * OC_ADMIN_TIMEOUT_S. With a token (the daemon's --token), every request must carry it as
 * `Authorization: Bearer TOKEN`, else it is answered 401 and nothing else. */
#ifndef OC_ADMIN_H
#define OC_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "net/server.h"
#include "ordercore/ordercore.h"

#define OC_ADMIN_CONNECTIONS_MAX 16u
#define OC_ADMIN_REQUEST_BYTES_MAX (16u << 10)
#define OC_ADMIN_TIMEOUT_S 5u
#define OC_ADMIN_DEFAULT_PORT 7412u

struct oc_admin;

/* Binds host:port (a numeric IPv4 or IPv6 address; port 0: any free one) and starts serving
 * the engine's and the server's figures; both must outlive the endpoint. token: NULL (or "")
 * for none, else at most OC_PROTO_TOKEN_BYTES_MAX bytes, copied. 0 or -errno with a reason
 * in err. */
int oc_admin_start(const char *host, uint16_t port, const char *token, const struct oc_engine *e,
		   const struct oc_server *s, struct oc_admin **out, char *err, size_t err_bytes);
/* The port bound. */
uint16_t oc_admin_port(const struct oc_admin *a);
/* Stops serving (closing every connection) and frees a. NULL is fine. */
void oc_admin_stop(struct oc_admin *a);

#endif
