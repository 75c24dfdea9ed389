/* server.h: the network front of ordercored: one thread that accepts TCP connections, reads
 * frames of the wire protocol (protocol.h), hands commands to the engine (it is the engine's
 * submitter and poller), sends each answer (and a query's rows before it) back to the
 * connection that asked, once the engine releases it (with a data_dir: once durable), and
 * copies the answers that are events to the subscribed connections. All socket I/O goes
 * through one io_uring; one submission per loop turn carries every receive and send, and the
 * loop sleeps in it until a socket event or the engine's response eventfd says there is
 * work.
 *
 * Limits: connections_max connections (one more is told "overload" and closed). Receives land
 * in io_uring provided buffers, OC_SERVER_RECV_BUFFERS of OC_SERVER_RECV_BUFFER_BYTES shared
 * by every connection (8 MiB, allocated at create), and frames are parsed where they landed; a
 * connection keeps only the start of a frame cut by the end of a buffer, in a carry of
 * OC_PROTO_FRAME_BYTES_MAX (1 KiB) bytes. At the default 1024 connections that is 8 MiB + 1 MiB
 * of input memory where a private 16 KiB buffer each took 16 MiB; with few connections it is
 * more (the shared 8 MiB is touched as the buffers cycle). Answers go out of a buffer of
 * output_bytes_max bytes: a client that stops reading is disconnected when its answers no
 * longer fit, and the others go on. When the engine does not take commands (its admission
 * window or rings are full) the server stops reading sockets until it does (backpressure): a
 * connection whose frames the engine has not taken keeps its receive buffer and posts no
 * receive. Provided buffer rings need Linux 5.19; an older kernel fails oc_server_create. */
#ifndef OC_SERVER_H
#define OC_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ordercore/ordercore.h"
#include "ordercore/protocol.h"

/* Receive buffers in the provided buffer ring, shared by every connection (a power of two, at
 * most 32768, the kernel's limit). A buffer is held only from a receive's completion until its
 * frames are parsed, or longer by a connection the engine stalls (backpressure), so half the
 * default connections_max suffices: when all are held a receive fails with -ENOBUFS (counted
 * in recv_nobufs) and is posted again when a buffer comes back. */
#define OC_SERVER_RECV_BUFFERS 512u
/* Bytes of each receive buffer: many frames per receive (55 places of 16 lines, 512 cancels). */
#define OC_SERVER_RECV_BUFFER_BYTES (16u << 10)
/* Defaults of the configurable limits. */
#define OC_SERVER_DEFAULT_CONNECTIONS_MAX 1024u
#define OC_SERVER_DEFAULT_OUTPUT_BYTES_MAX (256u << 10)
#define OC_SERVER_CONNECTIONS_MAX_LIMIT 65536u
#define OC_SERVER_DEFAULT_HELLO_TIMEOUT_MS 10000u
/* Commands one connection may have taken and not yet answered: past it the server reads no
 * more from that connection until answers go out (the same push-back as a full engine, for
 * one client), so that one pipelining client cannot fill the server's queue alone. The
 * default is the engine's admission window: one connection still keeps the engine busy. */
#define OC_SERVER_DEFAULT_CONNECTION_INFLIGHT_MAX 1024u
/* Commands taken from sockets and not yet answered (submitted or waiting to be). */
#define OC_SERVER_INFLIGHT_MAX (1u << 16)
/* Connections subscribed to events at once: every event is copied to each of them, so the
 * server's send work grows with their number. */
#define OC_SERVER_SUBSCRIBERS_MAX 64u

struct oc_server_config {
	const char *host;            /* address to bind; "127.0.0.1" when NULL */
	uint16_t port;               /* 0: any free port (see oc_server_port) */
	const void *token;           /* shared secret the hello must carry; NULL: none */
	size_t token_bytes;
	uint32_t connections_max;    /* 0: the default */
	size_t output_bytes_max;     /* per connection; 0: the default */
	uint32_t hello_timeout_ms;   /* a connection that has not said hello by then is closed
	                              * (it would hold a slot forever); 0: the default */
	uint32_t connection_inflight_max; /* commands, per connection; 0: the default, at
	                                   * most OC_SERVER_INFLIGHT_MAX */
};

struct oc_server_stats {
	uint64_t accepted, refused, closed, protocol_errors, slow_disconnects;
	uint64_t commands, answers, dropped_answers; /* one answer per command, rows not counted;
	                                              * dropped: the connection had gone */
	uint64_t recvs, sends, loop_turns;
	uint64_t recv_nobufs; /* receives that found no buffer free (posted again a turn later) */
	uint64_t events;      /* event frames queued to subscribers */
	uint64_t connection_stalls; /* times a connection reached connection_inflight_max and
	                             * was read no more until its answers went out */
};

struct oc_server;

/* Binds and listens, and sets up the io_uring. The engine must be started, and this thread
 * becomes its only submitter and poller. 0 or -errno with a reason in err. */
int oc_server_create(const struct oc_server_config *cfg, struct oc_engine *e,
		     uint64_t recovered_seq, struct oc_server **out, char *err, size_t err_bytes);
/* The port bound. */
uint16_t oc_server_port(const struct oc_server *s);
/* Serves until *stop becomes non-zero; then stops accepting and reading, answers every
 * command already taken, sends what it can within a grace period, and closes every
 * connection. 0 or -errno when the ring fails. */
int oc_server_run(struct oc_server *s, volatile sig_atomic_t *stop);
void oc_server_stats(const struct oc_server *s, struct oc_server_stats *out);
/* Writes the server's counters and its open connections to out in the Prometheus text format,
 * from any thread (the admin endpoint's): they are published every loop turn. 0 or -EIO. */
int oc_server_metrics_write(const struct oc_server *s, FILE *out);
void oc_server_free(struct oc_server *s);

#endif
