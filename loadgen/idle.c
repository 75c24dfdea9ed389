/* idle.c: `ordercore-loadgen --measure-recovery`: how long an engine takes to check and
 * replay the log in --data-dir (create, start, stop, timed); and `--measure-idle SECONDS`: the
 * CPU an engine uses with no traffic. It starts an engine on the dataset, sleeps, and reports the process's user and
 * system time over the wall time (getrusage), so a spinning worker shows as ~100% per thread. */
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "loadgen.h"
#include "ordercore/ordercore.h"

static double cpu_seconds(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 +
	       (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec * 1e-6;
}

static double wall_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int lg_recovery_run(const struct lg_options *o)
{
	if (!o->dataset_dir || !o->data_dir) {
		fprintf(stderr, "loadgen: --measure-recovery needs --dataset and --data-dir\n");
		return 2;
	}
	struct oc_config cfg;
	lg_engine_config(o, o->dataset_dir, &cfg);
	cfg.snapshot_on_stop = 0; /* measure the restart alone, and leave the directory as found */
	struct oc_engine *e;
	char err[512];
	double t0 = wall_seconds();
	if (oc_engine_create(&cfg, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "loadgen: %s\n", err);
		return 2;
	}
	double t1 = wall_seconds();
	int rc = oc_engine_start(e);
	if (rc == 0)
		rc = oc_engine_stop(e);
	double t2 = wall_seconds();
	struct oc_stats s;
	oc_engine_stats(e, &s);
	oc_engine_free(e);
	if (rc != 0) {
		fprintf(stderr, "loadgen: recovery failed (%d)\n", rc);
		return 2;
	}
	uint64_t replayed = s.recovered - s.restored_seq;
	printf("recovery: log checked and snapshot %" PRIu64 " restored in %.2f s; %" PRIu64
	       " commands replayed in %.2f s = %.2f M commands/s; restart %.2f s\n",
	       s.restored_seq, t1 - t0, replayed, t2 - t1,
	       (double)replayed / (t2 - t1) / 1e6, t2 - t0);
	return 0;
}

int lg_idle_run(const struct lg_options *o, double seconds)
{
	char tmp[LG_TMP_DIR_BYTES];
	const char *dir = lg_dataset_dir(o, tmp);
	if (!dir)
		return 2;
	struct oc_config cfg;
	lg_engine_config(o, dir, &cfg);
	struct oc_engine *e;
	char err[512];
	int status = 2;
	if (oc_engine_create(&cfg, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "loadgen: %s\n", err);
		goto out;
	}
	if (oc_engine_start(e) == 0) {
		double cpu0 = cpu_seconds(), wall0 = wall_seconds();
		struct timespec nap = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
		nanosleep(&nap, NULL);
		double cpu = cpu_seconds() - cpu0, wall = wall_seconds() - wall0;
		struct oc_stats s;
		oc_engine_stop(e);
		oc_engine_stats(e, &s);
		printf("idle engine: %u worker threads, %.3f s CPU in %.3f s = %.2f%% of one core\n",
		       s.threads, cpu, wall, 100.0 * cpu / wall);
		status = 0;
	}
	oc_engine_free(e);
out:
	lg_dataset_done(tmp);
	return status;
}
