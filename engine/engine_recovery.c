/* engine_recovery.c: the engine's data directory at start. It owns the order of recovery:
 * the directory's identity (which configuration and dataset it belongs to), the check of the
 * log (torn tail cut, corruption refused or, at the operator's word, cut), the choice and
 * restore of a snapshot (newest first, falling back past damaged ones), where the journal
 * continues the log, and the replay of the commands logged after the snapshot.
 *
 *   data_dir/identity          shards, inflight_max, orders_max, line_quantity_max,
 *                              lease_ttl_ms, customer_index, dataset
 *   data_dir/wal/              the log (docs/wal.md)
 *   data_dir/snapshots/<seq>/  snapshots (snapshot.h)
 *
 * Setup time only: allocates, blocks and writes to stderr freely. */
#include <errno.h>
#include <inttypes.h>
#include <mimalloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/error.h"
#include "core/limits.h"
#include "engine_internal.h"

/* The fields of data_dir/identity, in order. */
enum { ID_SHARDS, ID_INFLIGHT_MAX, ID_ORDERS_MAX, ID_LINE_QUANTITY_MAX, ID_LEASE_TTL_MS,
       ID_REVIEW_TTL_MS, ID_CUSTOMER_INDEX, ID_SCREEN_ENTRIES_MAX, ID_DATASET, ID_SCREENING,
       ID_CARRIERS, ID_WAVE_ORDERS_MAX, ID_WAVE_CUTOFF_MS, ID_WAVE_EXPRESS_CUTOFF_MS, ID_COUNT };
static const char *const id_names[ID_COUNT] = {"shards", "inflight_max", "orders_max",
					       "line_quantity_max", "lease_ttl_ms",
					       "review_ttl_ms", "customer_index",
					       "screen_entries_max", "dataset fingerprint",
					       "screening fingerprint", "carriers fingerprint",
					       "wave_orders_max", "wave_cutoff_ms",
					       "wave_express_cutoff_ms"};

static void identity_values(const struct oc_engine *e, uint64_t v[ID_COUNT])
{
	v[ID_SHARDS] = e->shards;
	v[ID_INFLIGHT_MAX] = e->cfg.inflight_max;
	v[ID_ORDERS_MAX] = e->cfg.orders_max;
	v[ID_LINE_QUANTITY_MAX] = e->cfg.line_quantity_max;
	v[ID_LEASE_TTL_MS] = e->cfg.lease_ttl_ms;
	v[ID_REVIEW_TTL_MS] = e->cfg.review_ttl_ms;
	v[ID_CUSTOMER_INDEX] = e->cfg.customer_index != 0;
	v[ID_SCREEN_ENTRIES_MAX] = e->screening.enabled ? e->cfg.screen_entries_max : 0;
	v[ID_DATASET] = oc_dataset_fingerprint(&e->data);
	v[ID_SCREENING] = oc_screening_fingerprint(&e->screening, 0);
	v[ID_CARRIERS] = oc_carriers_fingerprint(&e->carriers, 0);
	v[ID_WAVE_ORDERS_MAX] = e->cfg.wave_orders_max;
	v[ID_WAVE_CUTOFF_MS] = e->cfg.wave_orders_max ? e->cfg.wave_cutoff_ms : 0;
	v[ID_WAVE_EXPRESS_CUTOFF_MS] = e->cfg.wave_orders_max ? e->cfg.wave_express_cutoff_ms : 0;
}

/* Replay reproduces the decisions only with the configuration and dataset the log was
 * written with: the first start writes them down, every later one compares. */
static int identity_check(struct oc_engine *e, char *err, size_t err_bytes)
{
	const char *data = e->cfg.data_dir;
	char path[OC_SNAP_PATH_BYTES_MAX], tmp[OC_SNAP_PATH_BYTES_MAX];
	snprintf(path, sizeof(path), "%s/identity", data);
	uint64_t want[ID_COUNT];
	identity_values(e, want);
	e->snap.identity = XXH3_64bits(want, sizeof(want));
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(tmp, sizeof(tmp), "%s/identity.tmp", data);
		struct oc_snap_buf b = {0};
		oc_snap_part_begin(&b, OC_SNAP_IDENTITY, 0, 0);
		oc_snap_put(&b, want, sizeof(want));
		int rc = oc_snap_part_end(&b);
		rc = rc ? rc : oc_snap_file_write(tmp, &b);
		oc_snap_buf_free(&b);
		if (!rc && rename(tmp, path) != 0)
			rc = -errno;
		rc = rc ? rc : oc_snap_fsync_dir(data);
		return rc ? oc_error_set(err, err_bytes, rc, "%s: cannot write: %s", path,
					 strerror(-rc))
			  : 0;
	}
	struct oc_snap_reader r;
	int rc = oc_snap_reader_open(&r, path, OC_SNAP_IDENTITY, 0, 0, err, err_bytes);
	if (rc)
		return rc;
	const uint64_t *have = oc_snap_get(&r, sizeof(want));
	if (!have || !oc_snap_reader_done(&r)) {
		oc_snap_reader_close(&r);
		return oc_error_set(err, err_bytes, -EINVAL, "%s: unexpected size", path);
	}
	for (int i = 0; i < ID_COUNT; i++) {
		if (have[i] == want[i])
			continue;
		rc = oc_error_set(err, err_bytes, -EINVAL,
				  "%s was written by an engine with %s %" PRIu64 ", this one has %"
				  PRIu64 ": start with the same dataset, shards, inflight_max, "
				  "orders_max, line_quantity_max, lease_ttl_ms and customer_index, or "
				  "use another data_dir",
				  data, id_names[i], have[i], want[i]);
		break;
	}
	oc_snap_reader_close(&r);
	return rc;
}

int oc_recovery_check(struct oc_engine *e, char *err, size_t err_bytes)
{
	const char *data = e->cfg.data_dir;
	if (mkdir(data, 0755) != 0 && errno != EEXIST)
		return oc_error_set(err, err_bytes, -errno, "%s: %s", data, strerror(errno));
	snprintf(e->snap.wal_dir, sizeof(e->snap.wal_dir), "%s/wal", data);
	snprintf(e->snap.root, sizeof(e->snap.root), "%s/snapshots", data);
	e->snap.kept = e->cfg.snapshots_kept;
	e->snap.shards = e->shards;
	int rc = identity_check(e, err, err_bytes);
	if (rc)
		return rc;
	/* Older segments may have been removed after a snapshot: the first frame found sets
	 * where the log starts. */
	struct oc_wal_chain any = {0, 0};
	struct oc_wal_read_result *r = &e->log;
	rc = oc_wal_read_dir(e->snap.wal_dir, &any, NULL, NULL, r, err, err_bytes);
	if (rc)
		return rc;
	if (r->end == OC_WAL_END_CORRUPT && !e->cfg.log_truncate_corrupt)
		return oc_error_set(err, err_bytes, -EIO,
				    "log corrupt: %s/%s offset %" PRIu64 " sequence %" PRIu64
				    " (%s): refusing to start (log_truncate_corrupt cuts the log "
				    "there, losing every command after it)",
				    e->snap.wal_dir, r->segment, r->offset, r->seq,
				    oc_wal_status_name(r->status));
	if (r->end != OC_WAL_END_CLEAN) {
		bool torn = r->end == OC_WAL_END_TORN;
		oc_log(torn ? OC_LOG_WARN : OC_LOG_ERROR,
		       "msg=\"%s\" file=%s/%s offset=%" PRIu64 " seq=%" PRIu64 " problem=%s",
			torn ? "torn log tail cut" : "corrupt log cut as asked: commands from here "
						     "on are lost",
			e->snap.wal_dir, r->segment, r->offset, r->seq,
			oc_wal_status_name(r->status));
		rc = oc_wal_truncate_at(e->snap.wal_dir, r->segment, r->offset);
		if (rc)
			return oc_error_set(err, err_bytes, rc, "cannot cut %s/%s: %s",
					    e->snap.wal_dir, r->segment, strerror(-rc));
	}
	return 0;
}

/* Opens and verifies every part of snapshot seq, then restores the stages from them.
 * Returns 0; 1 when the snapshot is damaged or not of this engine (*why says how: fall back
 * to an older one); -EINVAL when a verified part does not fit the stages (refuse). */
static int snapshot_load(struct oc_engine *e, uint64_t seq, uint64_t *chain, char *why,
			 size_t why_bytes)
{
	uint32_t n = e->shards + 3; /* manifest, validate, shards, route */
	struct oc_snap_reader *parts = mi_calloc(n, sizeof(*parts));
	if (!parts)
		return -ENOMEM;
	int rc = 0;
	for (uint32_t i = 0; i < n && !rc; i++) {
		char name[16], path[OC_SNAP_PATH_BYTES_MAX];
		enum oc_snap_kind kind = i == 0 ? OC_SNAP_MANIFEST
					 : i == 1 ? OC_SNAP_VALIDATE
					 : i == n - 1 ? OC_SNAP_ROUTE
						      : OC_SNAP_SHARD;
		uint32_t index = kind == OC_SNAP_SHARD ? i - 2 : 0;
		if (kind == OC_SNAP_SHARD)
			oc_snap_shard_part(name, index);
		else
			snprintf(name, sizeof(name), "%s", i == 0 ? "manifest" : i == 1 ? "validate"
											 : "route");
		oc_snap_part_path(path, e->snap.root, seq, false, name);
		rc = oc_snap_reader_open(&parts[i], path, kind, index, seq, why, why_bytes) ? 1 : 0;
	}
	if (!rc) {
		uint32_t shards = oc_snap_get_u32(&parts[0]);
		oc_snap_get_u32(&parts[0]);
		uint64_t identity = oc_snap_get_u64(&parts[0]);
		*chain = oc_snap_get_u64(&parts[0]);
		if (!oc_snap_reader_done(&parts[0]) || shards != e->shards ||
		    identity != e->snap.identity) {
			oc_error_set(why, why_bytes, 0, "manifest of another configuration");
			rc = 1;
		}
	}
	if (!rc) {
		rc = oc_validate_restore(&e->validate, &parts[1], seq);
		for (uint32_t s = 0; s < e->shards && !rc; s++)
			rc = oc_shard_restore(&e->shard[s], &parts[2 + s], &e->release[s]);
		rc = rc ? rc : oc_route_restore(&e->route, &parts[n - 1], seq);
		if (rc)
			oc_error_set(why, why_bytes, rc, "content does not fit this engine");
	}
	for (uint32_t i = 0; i < n; i++)
		oc_snap_reader_close(&parts[i]);
	mi_free(parts);
	return rc;
}

int oc_recovery_restore(struct oc_engine *e, char *err, size_t err_bytes)
{
	const struct oc_wal_read_result *log = &e->log;
	bool frames = log->frames > 0;
	uint64_t seqs[OC_LIMIT_SNAPSHOTS_KEPT_MAX];
	int found = oc_snap_list(e->snap.root, seqs, OC_LIMIT_SNAPSHOTS_KEPT_MAX);
	if (found < 0)
		return oc_error_set(err, err_bytes, found, "%s: cannot list: %s", e->snap.root,
				    strerror(-found));
	uint64_t chain = 0;
	for (int i = 0; i < found && !e->restored_seq; i++) {
		char why[512] = "";
		uint64_t seq = seqs[i];
		int rc = 1;
		if (frames && (seq + 1 < log->first_seq || seq > log->last_seq))
			snprintf(why, sizeof(why), "the log holds sequence numbers %" PRIu64
				 "..%" PRIu64 " only", log->first_seq, log->last_seq);
		else
			rc = snapshot_load(e, seq, &chain, why, sizeof(why));
		if (rc < 0)
			return oc_error_set(err, err_bytes, rc, "snapshot %s/%020" PRIu64 ": %s",
					    e->snap.root, seq, why);
		if (rc == 0)
			e->restored_seq = seq;
		else
			oc_log(OC_LOG_WARN, "msg=\"snapshot not usable, trying an older one\" "
					"seq=%" PRIu64 " reason=\"%s\"", seq, why);
	}
	if (!e->restored_seq && frames && log->first_seq != 1)
		return oc_error_set(err, err_bytes, -EIO,
				    "%s starts at sequence %" PRIu64 " and no usable snapshot "
				    "covers what came before: refusing to start",
				    e->snap.wal_dir, log->first_seq);
	e->recovered_seq = frames && log->last_seq > e->restored_seq ? log->last_seq
								    : e->restored_seq;
	if (e->restored_seq)
		oc_log(OC_LOG_INFO, "msg=\"snapshot restored\" seq=%" PRIu64 "",
			e->restored_seq);
	if (frames)
		oc_log(OC_LOG_INFO, "msg=\"log found\" dir=%s first=%" PRIu64 " last=%" PRIu64
				" frames=%" PRIu64 " to_replay=%" PRIu64 "", e->snap.wal_dir,
			log->first_seq, log->last_seq, log->frames,
			e->recovered_seq - e->restored_seq);
	/* The journal continues after the last frame, or after the snapshot when no frame
	 * is left (every segment before it removed). */
	struct oc_wal_chain start = {OC_WAL_CHAIN_SEED, 1};
	if (frames)
		start = log->chain;
	else if (e->restored_seq)
		start = (struct oc_wal_chain){chain, e->restored_seq + 1};
	return oc_journal_init(&e->journal, &e->cfg, e->snap.wal_dir, &start, err, err_bytes);
}

/* Recovery feeds logged commands back through the sequencer in bursts, keeping their
 * timestamps; the pipeline runs meanwhile and egress mutes their answers. */
#define REPLAY_BURST 256

struct replay {
	struct oc_engine *e;
	uint32_t count;
	struct oc_command cmds[REPLAY_BURST];
};

static void replay_flush(struct replay *r)
{
	uint32_t sent = 0, turns = 0;
	uint64_t first = r->e->gateway.last_seq + 1;
	while (sent < r->count) {
		int k = oc_gateway_try_submit(&r->e->gateway, r->cmds + sent, r->count - sent);
		sent += (uint32_t)k;
		if (!k)
			oc_engine_wait_turn(r->e, &turns);
	}
	/* Replay gives each command its old sequence number. */
	OC_ASSERT_EQ(r->cmds[0].seq, first);
	r->count = 0;
}

static int replay_one(void *ctx, const struct oc_command *c)
{
	struct replay *r = ctx;
	if (c->seq <= r->e->restored_seq)
		return 0; /* in the snapshot */
	OC_ASSERT_EQ(c->seq, r->e->gateway.last_seq + r->count + 1);
	r->cmds[r->count++] = *c;
	if (r->count == REPLAY_BURST)
		replay_flush(r);
	return 0;
}

int oc_recovery_replay(struct oc_engine *e)
{
	if (e->recovered_seq == e->restored_seq)
		return 0;
	struct oc_wal_chain any = {0, 0};
	struct oc_wal_read_result res;
	char err[256];
	struct replay *r = mi_malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->e = e;
	r->count = 0;
	e->gateway.replaying = true;
	int rc = oc_wal_read_dir(e->snap.wal_dir, &any, replay_one, r, &res, err, sizeof(err));
	if (r->count)
		replay_flush(r);
	e->gateway.replaying = false;
	mi_free(r);
	if (rc)
		oc_log(OC_LOG_ERROR, "msg=\"log replay failed\" error=\"%s\"", err);
	return rc ? -EIO : 0;
}
