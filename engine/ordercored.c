/* ordercored.c: the daemon. It owns the process: its configuration (read and checked by
 * daemon_config.c: an INI file, then the command-line flags, which override it), the engine
 * it creates, recovers and starts, the network server that feeds it, the admin endpoint, the
 * signal handling (SIGTERM and SIGINT stop it cleanly: stop accepting, answer what was
 * taken, take the final snapshot) and its log, one key=value line per event on stderr. */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "daemon_config.h"
#include "net/admin.h"
#include "net/server.h"
#include "ordercore/ordercore.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Logs the message (one line at error level) and exits with status. */
static _Noreturn __attribute__((format(printf, 2, 3))) void die(int status, const char *fmt,
								 ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	oc_log(OC_LOG_ERROR, "msg=\"%s\"", msg);
	exit(status);
}

int main(int argc, char **argv)
{
	/* First: a stop asked for during a long recovery waits for the server's loop, which
	 * then stops at once (and takes the final snapshot), instead of killing the process. */
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Lives as long as the process: the engine, server and endpoint read its strings. */
	static struct oc_daemon_config dc;
	oc_daemon_config_init(&dc);
	if (oc_daemon_config_read(&dc, argc, argv) != 0) {
		if (!dc.bad_option)
			die(OC_DAEMON_CONFIG_EXIT_USAGE, "%s", dc.err);
		fprintf(stderr, "ordercored: %s\n%s", dc.err, oc_daemon_config_usage);
		return OC_DAEMON_CONFIG_EXIT_USAGE;
	}
	if (dc.help) {
		fputs(oc_daemon_config_usage, stdout);
		return 0;
	}
	oc_log_set_level(dc.log_level);
	const struct oc_config cfg = dc.engine;
	const struct oc_server_config sc = dc.server;

	char err[512];
	struct oc_engine *e;
	if (oc_engine_create(&cfg, &e, err, sizeof(err)) != 0)
		die(1, "engine: %s", err);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	oc_log(OC_LOG_INFO, "msg=\"recovered\" data_dir=%s snapshot=%" PRIu64
			" commands=%" PRIu64 "", cfg.data_dir ? cfg.data_dir : "(none)",
		st.restored_seq, st.recovered);
	if (oc_engine_start(e) != 0)
		die(1, "engine start failed (log replay)");
	struct oc_server *srv;
	if (oc_server_create(&sc, e, st.recovered, &srv, err, sizeof(err)) != 0) {
		oc_engine_stop(e);
		oc_engine_free(e);
		die(1, "server: %s", err);
	}
	struct oc_admin *adm = NULL;
	if (dc.admin && oc_admin_start(dc.admin_host, dc.admin_port, sc.token, e, srv, &adm, err,
				       sizeof(err)) != 0) {
		if (dc.admin_explicit) { /* asked for: a configuration error */
			oc_server_free(srv);
			oc_engine_stop(e);
			oc_engine_free(e);
			die(OC_DAEMON_CONFIG_EXIT_USAGE, "%s", err);
		}
		oc_log(OC_LOG_WARN, "msg=\"running without the admin endpoint\" "
				"detail=\"%s\"", err);
	}
	oc_log(OC_LOG_INFO, "msg=\"listening\" host=%s port=%u token=%s durability=%s"
			" admin=%s admin_port=%u",
		dc.host, oc_server_port(srv), sc.token_bytes ? "yes" : "no", dc.durability_name,
		adm ? dc.admin_host : "off",
		adm ? oc_admin_port(adm) : 0u);
	int rc = oc_server_run(srv, &stop_requested);
	oc_admin_stop(adm); /* before the server it reads is freed */
	struct oc_server_stats ss;
	oc_server_stats(srv, &ss);
	int stopped = oc_engine_stop(e);
	oc_engine_stats(e, &st);
	oc_log(OC_LOG_INFO, "msg=\"stopped\" connections=%" PRIu64 " refused=%" PRIu64
			" commands=%" PRIu64 " answers=%" PRIu64 " dropped_answers=%" PRIu64
			" protocol_errors=%" PRIu64 " slow_disconnects=%" PRIu64 " events=%" PRIu64
			" recvs=%" PRIu64 " recv_nobufs=%" PRIu64 " sends=%" PRIu64
			" loop_turns=%" PRIu64 " snapshot=%" PRIu64 "",
		ss.accepted, ss.refused, ss.commands, ss.answers, ss.dropped_answers,
		ss.protocol_errors, ss.slow_disconnects, ss.events, ss.recvs, ss.recv_nobufs,
		ss.sends, ss.loop_turns, st.snapshot_seq);
	uint64_t rejected = 0;
	for (uint32_t i = 0; i < OC_REJECT_REASON_COUNT; i++)
		rejected += st.rejected[i];
	oc_log(OC_LOG_INFO, "msg=\"decided\" accepted=%" PRIu64 " rejected=%" PRIu64
			" cancelled=%" PRIu64 " duplicates=%" PRIu64 " shipped=%" PRIu64
			" delivered=%" PRIu64 " lease_expiries=%" PRIu64 " refunds=%" PRIu64
			" exceptions=%" PRIu64 " returns=%" PRIu64 " returns_received=%" PRIu64
			" replacements=%" PRIu64 " qc_failures=%" PRIu64 " restocks=%" PRIu64
			" write_offs=%" PRIu64 " adjustments=%" PRIu64 " screened=%" PRIu64
			" holds=%" PRIu64 " reviews_approved=%" PRIu64 " reviews_rejected=%" PRIu64
			" block_changes=%" PRIu64 " short_picks=%" PRIu64 " short_units_cut=%" PRIu64
			" short_units_backordered=%" PRIu64 " backorder_units_filled=%" PRIu64
			" payments_received=%" PRIu64 " waves=%" PRIu64 " labels=%" PRIu64
			" label_cents=%" PRIu64 "",
		st.accepted, rejected, st.cancelled, st.duplicates, st.shipped, st.delivered,
		st.lease_expiries, st.refunds, st.exceptions, st.returns, st.returns_received,
		st.replacements, st.qc_failures, st.restocks, st.write_offs, st.adjustments,
		st.screened, st.holds, st.reviews_approved, st.reviews_rejected, st.block_changes,
		st.short_picks, st.short_units_cut, st.short_units_backordered,
		st.backorder_units_filled, st.payments_received, st.waves, st.labels,
		st.label_cents);
	oc_server_free(srv);
	oc_engine_free(e);
	if (rc || stopped) {
		oc_log(OC_LOG_ERROR, "msg=\"unclean stop\" server=%d engine=%d", rc, stopped);
		return 1;
	}
	return 0;
}
