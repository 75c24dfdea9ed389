/* client.c: the client library of the wire protocol (include/ordercore/client.h,
 * docs/client.md). A struct oc_client owns one TCP connection: its socket, an output buffer
 * of encoded frames not yet sent and an input buffer of bytes received and not yet returned
 * as answers (rows included; and events, once subscribed). Frames are made and checked only
 * by the codec (proto.c). One thread uses a client at a time, so nothing here is atomic or
 * locked.
 *
 * Buffers: out[out_head, out_tail) is queued and unsent; in[in_head, in_tail) is received
 * and not yet returned. Each is compacted (the live bytes moved to the start) only when
 * room is needed. Failures are sticky and kept per direction: a send failure stops queue and
 * flush, but receive still reads what the server sent before it closed (its answers and an
 * error frame saying why); a receive failure stops everything. */
#include <errno.h>
#include <limits.h>
#include <mimalloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/error.h"
#include "ordercore/client.h"

/* The longest frame this client sends: a screened place of OC_ORDER_LINES_MAX lines (336
 * bytes; an RMA, a short pick or a replacement place of as many is 304, a place 296). */
#define CLIENT_FRAME_BYTES_MAX                                                                     \
	(OC_PROTO_HEADER_BYTES + OC_PROTO_SCREENED_BODY_BYTES +                                    \
	 OC_ORDER_LINES_MAX * OC_PROTO_LINE_BYTES)

_Static_assert(OC_PROTO_SCREENED_BODY_BYTES >= OC_PROTO_RMA_BODY_BYTES &&
                   OC_PROTO_RMA_BODY_BYTES == OC_PROTO_REPLACEMENT_BODY_BYTES &&
                   OC_PROTO_RMA_BODY_BYTES == OC_PROTO_PICK_SHORT_BODY_BYTES &&
                   OC_PROTO_RMA_BODY_BYTES >= OC_PROTO_PLACE_BODY_BYTES,
               "the screened place's fixed part is the longest before lines");
_Static_assert(CLIENT_FRAME_BYTES_MAX <= OC_PROTO_FRAME_BYTES_MAX,
               "a screened place of OC_ORDER_LINES_MAX lines must fit a frame");
_Static_assert(OC_CLIENT_BUFFER_BYTES_MIN >= OC_PROTO_FRAME_BYTES_MAX,
               "an empty buffer must hold any frame");
_Static_assert(OC_CLIENT_BUFFER_BYTES_DEFAULT >= OC_CLIENT_BUFFER_BYTES_MIN &&
                   OC_CLIENT_BUFFER_BYTES_DEFAULT <= OC_CLIENT_BUFFER_BYTES_MAX,
               "the default buffer size is within the limits");
_Static_assert(OC_CLIENT_ERROR_BYTES_MAX >= OC_PROTO_MESSAGE_BYTES_MAX + 64,
               "an error frame's message fits oc_client_error with its prefix");

struct oc_client {
	int fd;
	int send_failed;   /* 0, or the -errno that stopped queue and flush */
	int recv_failed;   /* 0, or the -errno (-EPROTO, -ECONNRESET...) that stopped receive */
	uint64_t last_seq; /* from the welcome */
	uint64_t inflight; /* commands queued whose own answers (not rows) receive has not
	                    * returned */
	int subscribed;    /* 1 once oc_client_subscribe succeeded: events may come */
	uint8_t *out;
	size_t out_head, out_tail, out_bytes;
	uint8_t *in;
	size_t in_head, in_tail, in_bytes;
	char error[OC_CLIENT_ERROR_BYTES_MAX];
};

static void client_check(const struct oc_client *c)
{
	OC_DEBUG_ASSERT(c->out_head <= c->out_tail && c->out_tail <= c->out_bytes);
	OC_DEBUG_ASSERT(c->in_head <= c->in_tail && c->in_tail <= c->in_bytes);
	(void)c;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits until fd reports one of events (or an error or hang-up, which the next system call
 * on it will report), until deadline_ns on CLOCK_MONOTONIC (< 0: no deadline). 0, -ETIMEDOUT
 * or -errno. */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
	for (;;) {
		int timeout_ms = -1;
		if (deadline_ns >= 0) {
			int64_t left_ns = deadline_ns - now_ns();
			if (left_ns <= 0)
				return -ETIMEDOUT;
			int64_t ms = (left_ns + 999999) / 1000000; /* round up: never spin */
			timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
		}
		struct pollfd p = {.fd = fd, .events = events};
		int rc = poll(&p, 1, timeout_ms);
		if (rc > 0)
			return p.revents & POLLNVAL ? -EBADF : 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

/* Writes the client's error line and returns rc. */
static int set_error(struct oc_client *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_error(struct oc_client *c, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return rc;
}

/* The first failure of a direction is the one it keeps reporting. */
static int send_fail(struct oc_client *c, int rc)
{
	if (!c->send_failed) {
		c->send_failed = rc;
		set_error(c, rc, "send: %s", strerror(-rc));
	}
	return c->send_failed;
}

static int recv_fail(struct oc_client *c, int rc, const char *what)
{
	if (!c->recv_failed) {
		c->recv_failed = rc;
		set_error(c, rc, "%s", what);
	}
	return c->recv_failed;
}

/* Sends the queued bytes until they are all sent (0), the socket takes no more (-EAGAIN)
 * or it fails (-errno, sticky). */
static int send_some(struct oc_client *c)
{
	while (c->out_head < c->out_tail) {
		ssize_t s =
		    send(c->fd, c->out + c->out_head, c->out_tail - c->out_head, MSG_NOSIGNAL);
		if (s >= 0) {
			OC_ASSERT((size_t)s <= c->out_tail - c->out_head);
			c->out_head += (size_t)s;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return -EAGAIN;
		} else if (errno != EINTR) {
			return send_fail(c, -errno);
		}
	}
	c->out_head = c->out_tail = 0;
	return 0;
}

/* One recv into the input buffer's free space: 1 when bytes came, 0 when none were there,
 * or -errno (-ECONNRESET for the server's close), sticky. The caller has taken every whole
 * frame first, so what is left is less than one frame, and moving it to the start leaves
 * room. */
static int recv_some(struct oc_client *c)
{
	size_t live = c->in_tail - c->in_head;
	OC_ASSERT(live < OC_PROTO_FRAME_BYTES_MAX);
	if (c->in_head) {
		memmove(c->in, c->in + c->in_head, live);
		c->in_head = 0;
		c->in_tail = live;
	}
	for (;;) {
		ssize_t r = recv(c->fd, c->in + c->in_tail, c->in_bytes - c->in_tail, 0);
		if (r > 0) {
			OC_ASSERT((size_t)r <= c->in_bytes - c->in_tail);
			c->in_tail += (size_t)r;
			return 1;
		}
		if (r == 0)
			return recv_fail(c, -ECONNRESET, "the server closed the connection");
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno != EINTR) {
			int rc = -errno;
			char what[128];
			snprintf(what, sizeof(what), "recv: %s", strerror(-rc));
			return recv_fail(c, rc, what);
		}
	}
}

/* The server's error frame at f as one printable line: "<code name>: <message>", control
 * characters of the message replaced by '?'. */
static void describe_error_frame(const uint8_t *f, char *out, size_t out_bytes)
{
	struct oc_proto_error_body e;
	if (oc_proto_decode_error(f, &e) != 0) {
		snprintf(out, out_bytes, "an error frame with a non-zero reserved field");
		return;
	}
	for (unsigned i = 0; i < e.message_bytes; i++)
		if ((unsigned char)e.message[i] < 0x20 || e.message[i] == 0x7f)
			e.message[i] = '?';
	snprintf(out, out_bytes, "%s: %s", oc_proto_error_name(e.code), e.message);
}

/* Moves up to n whole answers (rows and events included) from the input buffer to out and
 * returns how many. Stops at the first frame that is not a well-formed answer to a queued
 * command (or an event, once subscribed), leaving it in the buffer and making receive fail
 * with -EPROTO (the answers before it are still returned). */
static int take_answers(struct oc_client *c, struct oc_client_answer *out, uint32_t n)
{
	char what[OC_CLIENT_ERROR_BYTES_MAX];
	uint32_t got = 0;
	while (got < n) {
		const uint8_t *f = c->in + c->in_head;
		size_t have = c->in_tail - c->in_head;
		struct oc_proto_header h;
		int bytes = oc_proto_frame_check(f, have, &h);
		if (bytes == 0)
			break;
		bool event = h.type == OC_MSG_EVENT && c->subscribed;
		if (bytes < 0) {
			snprintf(what, sizeof(what), "a malformed frame from the server: %s",
			         oc_proto_error_name((unsigned)-bytes));
		} else if (h.type == OC_MSG_ERROR) {
			char body[OC_CLIENT_ERROR_BYTES_MAX - 16];
			describe_error_frame(f, body, sizeof(body));
			snprintf(what, sizeof(what), "server error %s", body);
		} else if (h.type != OC_MSG_ANSWER && !event) {
			snprintf(what, sizeof(what),
			         "a frame of type %u from the server, not an answer%s or an error",
			         h.type, c->subscribed ? ", an event" : "");
		} else {
			/* Answers and events have no reserved byte: they always decode. */
			struct oc_client_answer *a = &out[got];
			if (event)
				oc_proto_decode_event(f, &a->response);
			else
				oc_proto_decode_answer(f, &a->response);
			/* A row comes just before its command's answer, and an unsolicited response
			 * answers nobody: only a command's own answer ends it. */
			bool unsolicited = a->response.flags & OC_RESPONSE_UNSOLICITED;
			bool row = a->response.flags & OC_RESPONSE_ROW;
			bool ends = !event && !unsolicited && !row;
			if (event || unsolicited || c->inflight > 0) {
				OC_ASSERT((size_t)bytes <= have);
				a->correlation = h.correlation;
				a->event = event;
				c->in_head += (size_t)bytes;
				c->inflight -= ends;
				got++;
				continue;
			}
			snprintf(what, sizeof(what), "an answer (correlation %llu) to no command",
			         (unsigned long long)h.correlation);
		}
		recv_fail(c, -EPROTO, what);
		break;
	}
	client_check(c);
	return (int)got;
}

int oc_client_queue(struct oc_client *c, const struct oc_command *cmd, uint64_t correlation)
{
	OC_ASSERT(c && cmd);
	if (c->recv_failed || c->send_failed)
		return c->recv_failed ? c->recv_failed : c->send_failed;
	size_t need = oc_proto_command_bytes(cmd);
	if (need == 0)
		return -EINVAL;
	if (c->out_bytes - c->out_tail < need && c->out_head) {
		size_t live = c->out_tail - c->out_head;
		memmove(c->out, c->out + c->out_head, live);
		c->out_head = 0;
		c->out_tail = live;
	}
	if (c->out_bytes - c->out_tail < need)
		return -EAGAIN;
	size_t wrote = oc_proto_encode_command(c->out + c->out_tail, c->out_bytes - c->out_tail,
	                                       correlation, cmd);
	OC_ASSERT_EQ(wrote, need);
	c->out_tail += wrote;
	c->inflight++;
	client_check(c);
	return 0;
}

int oc_client_flush(struct oc_client *c, int blocking)
{
	OC_ASSERT(c);
	if (c->recv_failed || c->send_failed)
		return c->recv_failed ? c->recv_failed : c->send_failed;
	for (;;) {
		int rc = send_some(c);
		if (rc != -EAGAIN || !blocking)
			return rc;
		rc = wait_fd(c->fd, POLLOUT, -1);
		if (rc)
			return rc; /* poll itself failed: not the connection's fault, not sticky */
	}
}

size_t oc_client_pending(const struct oc_client *c)
{
	return c->out_tail - c->out_head;
}

uint64_t oc_client_inflight(const struct oc_client *c)
{
	return c->inflight;
}

/* Waits until the socket is readable or, while bytes are queued, writable, and sends what
 * it can first: a blocking receive must not wait for answers to commands still in the output
 * buffer. A send failure is kept for queue and flush, and the wait goes on: the close it
 * comes from makes the socket readable. 0 or -errno from poll. */
static int wait_readable(struct oc_client *c)
{
	short events = POLLIN;
	if (!c->send_failed && send_some(c) == -EAGAIN)
		events |= POLLOUT;
	return wait_fd(c->fd, events, -1);
}

int oc_client_receive(struct oc_client *c, struct oc_client_answer *out, uint32_t n, int blocking)
{
	OC_ASSERT(c && out);
	if (n == 0)
		return -EINVAL;
	if (n > INT_MAX)
		n = INT_MAX; /* the count is returned as an int */
	int got = take_answers(c, out, n);
	if (got || c->recv_failed)
		return got ? got : c->recv_failed;
	for (;;) {
		int rc = recv_some(c);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			got = take_answers(c, out, n);
			if (got || c->recv_failed)
				return got ? got : c->recv_failed;
		}
		if (!blocking)
			return 0;
		if (rc == 0 && (rc = wait_readable(c)) != 0)
			return rc;
	}
}

/* A request answered at once by one frame of type `reply` (stats, subscribe), on a client
 * with nothing in flight: sends the frame encoded in out[0, n) and waits until the reply
 * heads the input. Its length (> 0), or -errno. */
static int request(struct oc_client *c, size_t n, uint8_t reply, uint32_t timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)(timeout_ms ? timeout_ms
							   : OC_CLIENT_TIMEOUT_MS_DEFAULT) * 1000000;
	OC_ASSERT(n > 0); /* the buffer is empty and holds a frame */
	c->out_head = 0;
	c->out_tail = n;
	int rc;
	while ((rc = send_some(c)) == -EAGAIN)
		if ((rc = wait_fd(c->fd, POLLOUT, deadline)) != 0)
			return rc;
	if (rc)
		return rc;
	for (;;) {
		struct oc_proto_header h;
		int bytes = oc_proto_frame_check(c->in + c->in_head, c->in_tail - c->in_head, &h);
		if (bytes > 0 && h.type == reply)
			return bytes;
		if (bytes != 0) { /* an error frame, or anything else: receive says what */
			struct oc_client_answer a;
			(void)take_answers(c, &a, 1);
			return c->recv_failed ? c->recv_failed : -EPROTO;
		}
		if ((rc = recv_some(c)) < 0)
			return rc;
		if (rc == 0 && (rc = wait_fd(c->fd, POLLIN, deadline)) != 0)
			return rc;
	}
}

/* 0 when a request may be made now, else why not. */
static int request_ready(const struct oc_client *c)
{
	if (c->recv_failed || c->send_failed)
		return c->recv_failed ? c->recv_failed : c->send_failed;
	if (c->inflight || c->in_tail > c->in_head || c->out_tail > c->out_head)
		return -EBUSY;
	return 0;
}

int oc_client_stats(struct oc_client *c, struct oc_proto_stats *out, uint32_t timeout_ms)
{
	OC_ASSERT(c && out);
	int rc = request_ready(c);
	if (rc || c->subscribed)
		return rc ? rc : -EBUSY;
	rc = request(c, oc_proto_encode_stats(c->out, c->out_bytes, 0), OC_MSG_STATS_INFO,
		     timeout_ms);
	if (rc < 0)
		return rc;
	oc_proto_decode_stats_info(c->in + c->in_head, out);
	c->in_head += (size_t)rc;
	return 0;
}

int oc_client_subscribe(struct oc_client *c, uint32_t kinds, uint64_t correlation,
			uint64_t *from_seq, uint32_t timeout_ms)
{
	OC_ASSERT(c && from_seq);
	if (kinds == 0 || (kinds & ~(uint32_t)OC_EVENT_ALL))
		return -EINVAL;
	int rc = request_ready(c);
	if (rc || c->subscribed)
		return rc ? rc : -EALREADY;
	rc = request(c, oc_proto_encode_subscribe(c->out, c->out_bytes, correlation, kinds),
		     OC_MSG_SUBSCRIBED, timeout_ms);
	if (rc < 0)
		return rc;
	oc_proto_decode_subscribed(c->in + c->in_head, from_seq);
	c->in_head += (size_t)rc;
	c->subscribed = 1;
	return 0;
}

int oc_client_fd(const struct oc_client *c)
{
	return c->fd;
}

uint64_t oc_client_last_seq(const struct oc_client *c)
{
	return c->last_seq;
}

const char *oc_client_error(const struct oc_client *c)
{
	return c->error;
}

void oc_client_close(struct oc_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	mi_free(c->out);
	mi_free(c->in);
	mi_free(c);
}

/* Connects the non-blocking socket fd to addr by deadline_ns: 0 or -errno. */
static int connect_one(int fd, const struct sockaddr *addr, socklen_t addr_bytes,
                       int64_t deadline_ns)
{
	/* A non-blocking connect interrupted by a signal goes on in the background, as one
	 * that is in progress does. */
	if (connect(fd, addr, addr_bytes) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	int rc = wait_fd(fd, POLLOUT, deadline_ns);
	if (rc)
		return rc;
	int so_error = 0;
	socklen_t so_bytes = sizeof(so_error);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_bytes) != 0)
		return -errno;
	return -so_error;
}

/* Resolves host and connects c->fd to the first of its addresses that accepts by
 * deadline_ns, with TCP_NODELAY. 0 or -errno, the reason in c->error. */
static int connect_any(struct oc_client *c, const char *host, uint16_t port, int64_t deadline_ns)
{
	char service[8];
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *list = NULL;
	int gai = getaddrinfo(host, service, &hints, &list);
	if (gai != 0) {
		int rc = gai == EAI_SYSTEM   ? -errno
		         : gai == EAI_MEMORY ? -ENOMEM
		         : gai == EAI_AGAIN  ? -EAGAIN
		                             : -ENOENT;
		return set_error(c, rc ? rc : -ENOENT, "cannot resolve %s: %s", host,
		                 gai_strerror(gai));
	}
	int rc = -ENOENT;
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		                ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		rc = connect_one(fd, ai->ai_addr, ai->ai_addrlen, deadline_ns);
		if (rc == 0) {
			c->fd = fd;
			break;
		}
		close(fd);
		if (rc == -ETIMEDOUT)
			break; /* the one timeout covers every address */
	}
	freeaddrinfo(list);
	if (rc)
		return set_error(c, rc, "cannot connect to %s port %u: %s", host, (unsigned)port,
		                 strerror(-rc));
	int one = 1;
	if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		return set_error(c, -errno, "setsockopt TCP_NODELAY: %s", strerror(errno));
	return 0;
}

/* Judges the server's first frame, at the start of the input buffer: a welcome of this
 * version that accepts this client's frames (0), or anything else (-EPROTO). */
static int take_welcome(struct oc_client *c, const struct oc_proto_header *h)
{
	const uint8_t *f = c->in + c->in_head;
	if (h->type == OC_MSG_ERROR) {
		char body[OC_CLIENT_ERROR_BYTES_MAX - 32];
		describe_error_frame(f, body, sizeof(body));
		return set_error(c, -EPROTO, "server refused the hello: %s", body);
	}
	if (h->type != OC_MSG_WELCOME)
		return set_error(c, -EPROTO,
		                 "a frame of type %u from the server, where a welcome is expected",
		                 h->type);
	struct oc_proto_welcome w;
	if (oc_proto_decode_welcome(f, &w) != 0)
		return set_error(c, -EPROTO, "a welcome with a non-zero reserved field");
	if (w.version != OC_PROTO_VERSION)
		return set_error(c, -EPROTO, "the server speaks protocol version %u, not %u",
		                 w.version, OC_PROTO_VERSION);
	if (w.frame_bytes_max < CLIENT_FRAME_BYTES_MAX)
		return set_error(c, -EPROTO,
		                 "the server takes frames of %u bytes, this client sends %u",
		                 w.frame_bytes_max, (unsigned)CLIENT_FRAME_BYTES_MAX);
	c->last_seq = w.last_seq;
	c->in_head += h->frame_bytes;
	return 0;
}

/* Sends the hello and waits for the welcome by deadline_ns. 0 or -errno, the reason in
 * c->error. Bytes after the welcome (none from a server that follows the protocol) stay in
 * the input buffer for receive to judge. */
static int handshake(struct oc_client *c, const struct oc_client_config *cfg, int64_t deadline_ns)
{
	size_t n = oc_proto_encode_hello(c->out, c->out_bytes, 0, cfg->token, cfg->token_bytes);
	OC_ASSERT(n > 0); /* token_bytes was checked, and out_bytes holds any frame */
	c->out_tail = n;
	int rc;
	while ((rc = send_some(c)) != 0) {
		if (rc != -EAGAIN || (rc = wait_fd(c->fd, POLLOUT, deadline_ns)) != 0)
			goto failed;
	}
	for (;;) {
		struct oc_proto_header h;
		int bytes = oc_proto_frame_check(c->in + c->in_head, c->in_tail - c->in_head, &h);
		if (bytes > 0)
			return take_welcome(c, &h);
		if (bytes < 0)
			return set_error(c, -EPROTO, "a malformed frame from the server: %s",
			                 oc_proto_error_name((unsigned)-bytes));
		rc = recv_some(c);
		if (rc < 0 || (rc == 0 && (rc = wait_fd(c->fd, POLLIN, deadline_ns)) != 0))
			goto failed;
	}
failed:
	if (rc == -ETIMEDOUT)
		return set_error(c, rc, "no welcome from the server within %u ms", cfg->timeout_ms);
	if (rc == -ECONNRESET && c->recv_failed == rc)
		return set_error(c, rc, "the server closed the connection before the welcome");
	if (c->recv_failed || c->send_failed)
		return rc; /* the reason is in c->error */
	return set_error(c, rc, "handshake: %s", strerror(-rc));
}

/* The configuration with its defaults applied, or -EINVAL with the reason in err. */
static int config_resolve(const struct oc_client_config *cfg, struct oc_client_config *out,
                          char *err, size_t err_bytes)
{
	*out = *cfg;
	if (!out->host)
		out->host = OC_CLIENT_HOST_DEFAULT;
	if (!out->timeout_ms)
		out->timeout_ms = OC_CLIENT_TIMEOUT_MS_DEFAULT;
	if (!out->out_bytes)
		out->out_bytes = OC_CLIENT_BUFFER_BYTES_DEFAULT;
	if (!out->in_bytes)
		out->in_bytes = OC_CLIENT_BUFFER_BYTES_DEFAULT;
	if (out->port == 0)
		return oc_error_set(err, err_bytes, -EINVAL, "client: port 0");
	if (out->token_bytes > OC_PROTO_TOKEN_BYTES_MAX || (out->token_bytes && !out->token))
		return oc_error_set(err, err_bytes, -EINVAL,
		                    "client: token_bytes %zu (at most %u, with a token)",
		                    out->token_bytes, OC_PROTO_TOKEN_BYTES_MAX);
	if (out->out_bytes < OC_CLIENT_BUFFER_BYTES_MIN ||
	    out->out_bytes > OC_CLIENT_BUFFER_BYTES_MAX ||
	    out->in_bytes < OC_CLIENT_BUFFER_BYTES_MIN ||
	    out->in_bytes > OC_CLIENT_BUFFER_BYTES_MAX)
		return oc_error_set(err, err_bytes, -EINVAL,
		                    "client: out_bytes %zu and in_bytes %zu must be in %u..%u",
		                    out->out_bytes, out->in_bytes, OC_CLIENT_BUFFER_BYTES_MIN,
		                    OC_CLIENT_BUFFER_BYTES_MAX);
	return 0;
}

int oc_client_connect(const struct oc_client_config *cfg, struct oc_client **out, char *err,
                      size_t err_bytes)
{
	if (!out)
		return oc_error_set(err, err_bytes, -EINVAL, "client: no place for the client");
	*out = NULL;
	if (!cfg)
		return oc_error_set(err, err_bytes, -EINVAL, "client: no configuration");
	struct oc_client_config k;
	int rc = config_resolve(cfg, &k, err, err_bytes);
	if (rc)
		return rc;
	int64_t deadline_ns = now_ns() + (int64_t)k.timeout_ms * 1000000;
	struct oc_client *c = mi_zalloc(sizeof(*c));
	if (!c)
		return oc_error_set(err, err_bytes, -ENOMEM, "client: out of memory");
	c->fd = -1;
	c->out_bytes = k.out_bytes;
	c->in_bytes = k.in_bytes;
	c->out = mi_malloc(k.out_bytes);
	c->in = mi_malloc(k.in_bytes);
	if (!c->out || !c->in) {
		oc_client_close(c);
		return oc_error_set(err, err_bytes, -ENOMEM, "client: out of memory");
	}
	rc = connect_any(c, k.host, k.port, deadline_ns);
	if (rc == 0)
		rc = handshake(c, &k, deadline_ns);
	if (rc) {
		oc_error_set(err, err_bytes, rc, "%s", c->error);
		oc_client_close(c);
		return rc;
	}
	c->error[0] = '\0';
	*out = c;
	return 0;
}
