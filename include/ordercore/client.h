/* client.h: the C client of the ordercore wire protocol (docs/client.md has a blocking and a
 * poll(2) example; docs/protocol.md the frames). A gateway connects once, then queues commands
 * (encoded into an output buffer, no system call), flushes them (send) and receives answers
 * (recv), as many in flight as it likes. The connection's socket is exposed so that the
 * client fits into the caller's own poll/epoll loop.
 *
 * Threading: none inside. One client is used by one thread at a time; it takes no locks.
 * Different clients are independent.
 *
 * Memory: oc_client_connect allocates the client and its two buffers (mimalloc); nothing else
 * allocates. oc_client_close frees them. Strings returned by oc_client_error stay valid until
 * the next call on the same client or its close.
 *
 * Errors are negative errno values. Two of them leave the client unusable, and are then
 * returned by every later queue, flush and receive (close it and connect again):
 *  - -EPROTO: the server sent an error frame (oc_client_error has its code and message), or a
 *    frame that fails oc_proto_frame_check, has a type other than answer or error (or event,
 *    once subscribed), or is an answer or a row while no command is in flight. The server
 *    closes after an error frame; after a malformed frame the byte stream can no longer be
 *    trusted.
 *  - -ECONNRESET / -EPIPE (or any other socket error): the connection is gone.
 * Answers that arrived before the failure are still returned first, in order. Commands
 * whose answers never came may or may not have been decided by the server: resend them on a
 * new connection with the same key (keys make place idempotent: a duplicate is answered
 * with the original answer and OC_RESPONSE_DUPLICATE). */
#ifndef ORDERCORE_CLIENT_H
#define ORDERCORE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ordercore/ordercore.h"
#include "ordercore/protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults and limits of struct oc_client_config, with their units. */
#define OC_CLIENT_HOST_DEFAULT         "127.0.0.1" /* the daemon binds to loopback by default */
#define OC_CLIENT_TIMEOUT_MS_DEFAULT   5000u
#define OC_CLIENT_BUFFER_BYTES_DEFAULT (64u * 1024u)
/* A buffer must hold the longest frame either side may send, so that a frame always fits an
 * empty buffer (else queue would answer -EAGAIN forever, and receive could never complete a
 * frame). */
#define OC_CLIENT_BUFFER_BYTES_MIN OC_PROTO_FRAME_BYTES_MAX
/* Past a few MiB a bigger buffer only adds latency (bytes wait in it): 64 MiB is a bound on
 * a configuration mistake, not a tuning point. */
#define OC_CLIENT_BUFFER_BYTES_MAX (64u * 1024u * 1024u)
/* The longest text oc_client_error returns, bytes with the NUL: a prefix and an error
 * frame's message of up to OC_PROTO_MESSAGE_BYTES_MAX bytes. */
#define OC_CLIENT_ERROR_BYTES_MAX 320u

struct oc_client;

/* How to connect. Zeroed fields take their defaults; the struct is only read during
 * oc_client_connect: the client keeps no pointer into it or into what it points to. */
struct oc_client_config {
	const char *host;    /* numeric IPv4/IPv6 address or a name; NULL: "127.0.0.1". A name
	                      * is resolved with getaddrinfo, which timeout_ms does not bound:
	                      * give an address where connect time must be bounded */
	uint16_t port;       /* TCP port, not 0 */
	const void *token;   /* shared secret sent in the hello; may be NULL when token_bytes
	                      * is 0 */
	size_t token_bytes;  /* 0..OC_PROTO_TOKEN_BYTES_MAX */
	uint32_t timeout_ms; /* connect + handshake, over every address host resolves to;
	                      * 0: OC_CLIENT_TIMEOUT_MS_DEFAULT */
	size_t out_bytes;    /* output buffer, bytes: how much oc_client_queue can hold before a
	                      * flush; 0: OC_CLIENT_BUFFER_BYTES_DEFAULT; else
	                      * OC_CLIENT_BUFFER_BYTES_MIN..OC_CLIENT_BUFFER_BYTES_MAX */
	size_t in_bytes;     /* input buffer, bytes: the most one recv reads; 0: the default;
	                      * else OC_CLIENT_BUFFER_BYTES_MIN..OC_CLIENT_BUFFER_BYTES_MAX */
};

/* One answer: the correlation the command was queued with, and the server's response; or a
 * row of a query's answer (response.flags has OC_RESPONSE_ROW), with the query's correlation,
 * up to OC_QUERY_ROWS_MAX of them just before the query's own answer; or a document of a pack
 * confirmed or a shipped (OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT: slip lines and labels,
 * invoice lines; up to 64 for a pack), likewise with the step's correlation just before its
 * answer; or, on a subscribed client, one event: a command of any client decided by the
 * engine (durable with a data_dir), of a kind subscribed to, or a document (OC_EVENT_DOCUMENTS:
 * a pack's or a shipment's, whoever sent it, or a released wave's pick list). */
struct oc_client_answer {
	uint64_t correlation;        /* the command's; an event: the subscribe's */
	struct oc_response response; /* an event: the answer the command got (its customer: the
	                              * order's, or the stock change's operator) */
	int event;                   /* 1: an event, 0: an answer (or a row) to one of this
	                              * client's commands */
};

/* Connects to cfg->host:port (each address the host resolves to in turn, TCP_NODELAY,
 * close-on-exec), sends the hello and waits for the welcome. Blocks for at most
 * cfg->timeout_ms (plus name resolution). On success stores the client in *out and returns 0;
 * the socket is then non-blocking. On failure *out is NULL, a one-line reason is written
 * into err (which may be NULL) and the result is:
 *   -EINVAL      a configuration field out of range (NULL cfg or out too);
 *   -ENOMEM      no memory for the client;
 *   -ENOENT      the host name does not resolve (-EAGAIN: temporary resolver failure);
 *   -ETIMEDOUT   no welcome within timeout_ms;
 *   -EPROTO      the server answered the hello with an error frame (its code name and
 *                message are in err: a wrong token reads "token: ..."), or with a frame
 *                that is malformed or not a welcome, or a welcome of another version or
 *                whose frame_bytes_max is below the longest frame this client sends;
 *   -ECONNRESET  the server closed the connection before the welcome;
 *   another -errno from socket or connect (-ECONNREFUSED, -ENETUNREACH, ...). */
int oc_client_connect(const struct oc_client_config *cfg, struct oc_client **out, char *err,
                      size_t err_bytes);

/* The connection's socket, for poll/epoll: wait for POLLIN to receive, and for POLLOUT while
 * oc_client_pending is not 0. The client owns it: do not read, write or close it. */
int oc_client_fd(const struct oc_client *c);

/* The last sequence number the server had decided when it welcomed this client. */
uint64_t oc_client_last_seq(const struct oc_client *c);

/* Encodes a command into the output buffer, with `correlation` for its answer (and its rows)
 * to carry back; no system call. The command's seq and ts_ns are not sent. Returns 0; -EAGAIN
 * when the buffer has no room for the frame (flush, then queue it again); -EINVAL when the
 * command cannot be encoded (oc_proto_command_bytes is 0: an unknown type, a line count out of
 * range, a field its frame does not carry — a screen without OC_PLACE_SCREEN, a screened
 * replacement, a postal code with bytes after its NUL, a short pick's flags, a step's flags
 * but a pack's); or the error that made the client unusable. Flags a frame carries are sent
 * whatever their combination, for the engine to judge (OC_PLACE_ACCOUNT with OC_PLACE_CARD
 * or OC_PLACE_REPLACEMENT: malformed, as a card replacement is). */
int oc_client_queue(struct oc_client *c, const struct oc_command *cmd, uint64_t correlation);

/* Sends the queued bytes with send(MSG_NOSIGNAL). blocking = 1: until all are sent (waiting
 * in poll); 0: as many as the socket takes now. Returns 0 when all are sent; -EAGAIN when
 * some remain (non-blocking only: wait for POLLOUT and call again); or -errno (-EPIPE,
 * -ECONNRESET...: the client is then unusable). A blocking flush never reads, so it can
 * wait forever if the server, its own output full of answers nobody reads, stops reading
 * commands: with many commands in flight, let a blocking oc_client_receive do the sending
 * (it reads while it sends), or use the non-blocking calls and poll for both directions
 * (docs/client.md). */
int oc_client_flush(struct oc_client *c, int blocking);

/* Bytes queued and not yet sent. */
size_t oc_client_pending(const struct oc_client *c);

/* Commands queued whose own answers oc_client_receive has not returned yet (sent or not): a
 * query's rows leave it as it is, its answer after them takes it down. */
uint64_t oc_client_inflight(const struct oc_client *c);

/* Returns up to n (>= 1) answers in out, in the order the server sent them: the answers to this
 * client's commands in the order they were queued, each query with rows (OC_CMD_QUERY_HISTORY,
 * OC_CMD_QUERY_CUSTOMER, OC_CMD_QUERY_RECONCILE, OC_CMD_QUERY_COUNTERS) as its rows
 * (OC_RESPONSE_ROW, up to OC_QUERY_ROWS_MAX) and then its own answer, all with its
 * correlation, a pack confirmed or shipped done with carriers likewise as its documents (rows
 * flagged OC_RESPONSE_DOCUMENT too) and then its answer, and, once subscribed, events among
 * them. A call may end between a command's rows: the rest come with the next. Answers already
 * buffered are returned first, without a system call; when there are none, it reads what the
 * socket has with one recv (many frames per recv) and returns what completed. blocking = 0: a
 * count > 0, or 0 when no whole answer is there yet; it never sends. blocking = 1: waits (in
 * poll) until at least one answer, an error or the server's close, and meanwhile sends queued
 * bytes as the socket takes them, so that it never waits for answers to commands still in the
 * output buffer (with nothing in flight it waits for an error or the close). Answers not
 * returned stay buffered for the next call.
 * Errors (after any answers that came before them have been returned):
 *   -EPROTO      an error frame or a malformed frame from the server (oc_client_error says
 *                which), an event on a client that did not subscribe, or an answer or a row
 *                with nothing in flight; the client is unusable;
 *   -ECONNRESET  the server closed the connection (a 0-byte read), or reset it; -EPIPE
 *                likewise; the client is unusable;
 *   -EINVAL      n is 0;
 *   another -errno from recv or poll. */
int oc_client_receive(struct oc_client *c, struct oc_client_answer *out, uint32_t n, int blocking);

/* Asks the server for its counters and waits for them (timeout_ms; 0: the connect default).
 * Only with nothing in flight and not subscribed: -EBUSY while commands wait for answers
 * (receive them first) or once subscribed (events may come at any time: use another
 * connection). 0, -ETIMEDOUT, or the errors of receive. */
int oc_client_stats(struct oc_client *c, struct oc_proto_stats *out, uint32_t timeout_ms);

/* Subscribes to events of `kinds` (a mask of enum oc_proto_event_kind, not 0) and waits for
 * the server's reply (timeout_ms; 0: the connect default). From then on oc_client_receive
 * returns, besides the answers to this client's commands, an event (event = 1, correlation
 * = this one) for every command decided after *from_seq of those kinds, whichever client sent
 * it, in sequence order. Events are not kept for a subscriber that is away: one that
 * reconnects subscribes again and reads what it missed with queries (by sequence number,
 * from the last seq it saw). A subscriber that does not read its events is disconnected when
 * they fill the server's output cap, as any slow reader. Once per client; only with nothing
 * in flight: -EBUSY otherwise, -EALREADY when subscribed, -EINVAL for a bad mask. 0,
 * -ETIMEDOUT, or the errors of receive. */
int oc_client_subscribe(struct oc_client *c, uint32_t kinds, uint64_t correlation,
			uint64_t *from_seq, uint32_t timeout_ms);

/* The last protocol or connection error, one line ("" if none). Valid until the next call on
 * c. */
const char *oc_client_error(const struct oc_client *c);

/* Closes the socket and frees the client; queued bytes not yet sent are dropped, answers not
 * yet returned are lost. c may be NULL. */
void oc_client_close(struct oc_client *c);

#ifdef __cplusplus
}
#endif

#endif
