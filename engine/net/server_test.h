/* server_test.h: hooks for tests only, never called by production code (ordercored calls
 * oc_server_run). They let a test drive the server one loop turn at a time on a connection it
 * made itself (one end of a socketpair), without TCP or a thread: the fuzz target of the
 * gateway's accept path (tests/fuzz/fuzz_server.c) feeds it bytes that way. */
#ifndef OC_SERVER_TEST_H
#define OC_SERVER_TEST_H

#include <stdint.h>

#include "net/server.h"

/* Takes fd, a connected stream socket, as if the listener had accepted it: the server owns it
 * from here on (it closes it when the connection ends). 0; -EBUSY when the server refused it
 * as it refuses a connection past connections_max (an overload error frame, then the close).
 * Called on the thread that turns the server. */
int oc_server_test_adopt(struct oc_server *s, int fd);

/* Runs one turn of the server's loop (reap completions, submit, poll the engine's answers,
 * post receives and sends) and sleeps at most wait_ns_max nanoseconds (< 1 s) in io_uring
 * when nothing moved. 0, or -errno when the ring fails. The server must not be stopping:
 * a test that turns it frees it with oc_server_free once its connections are closed. */
int oc_server_test_turn(struct oc_server *s, uint32_t wait_ns_max);

#endif
