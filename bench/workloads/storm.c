/* storm: a multi-threaded first-touch fault storm (bench/ of memmon).
 *
 *   storm [THREADS [MIB_PER_THREAD [ROUNDS]]]     default 2 512 1
 *
 * THREADS threads start together (barrier) and each, ROUNDS times, mmaps its
 * own MIB_PER_THREAD anonymous region (MADV_NOHUGEPAGE), writes one byte per
 * 4 KiB page as fast as it can, and munmaps it.  With the defaults both CPUs
 * of a 2-CPU machine take 2 x 131072 = 262144 anonymous faults at full speed
 * (the same fault count as `faults`, in about half the wall time).  Many
 * rounds make long traces: 2 x 512 MiB x 100 rounds = 26.2M faults, ~52M
 * events (page_fault_user + rss_stat per fault).
 *
 * Like the peerbench workloads it appends its in-process time to $PB_LOG
 * (or stderr with PB_VERBOSE): touch_ms = barrier release to the last
 * thread's end (munmaps included when ROUNDS > 1, the only way to recycle the
 * memory), plus each thread's own time. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#define REPORT(...) do { const char *lg = getenv("PB_LOG"); FILE *o = lg ? fopen(lg, "a") : (getenv("PB_VERBOSE") ? stderr : NULL); if (o) { fprintf(o, __VA_ARGS__); if (o != stderr) fclose(o); } } while (0)
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static long minflt(void){struct rusage r;getrusage(RUSAGE_SELF,&r);return r.ru_minflt;}

static size_t len;
static long rounds;
static pthread_barrier_t bar;
struct th { pthread_t t; double t0, t1; int err; };

static void *run(void *arg)
{
	struct th *me = arg;
	pthread_barrier_wait(&bar);
	me->t0 = now();
	for (long r = 0; r < rounds; r++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) { perror("mmap"); me->err = 1; break; }
		if (madvise(p, len, MADV_NOHUGEPAGE)) { perror("madvise"); me->err = 1; }
		for (size_t off = 0; off < len; off += 4096)
			p[off] = 1;
		if (munmap(p, len)) { perror("munmap"); me->err = 1; }
	}
	me->t1 = now();
	return NULL;
}

int main(int argc, char **argv)
{
	int nth = argc > 1 ? atoi(argv[1]) : 2;
	long mib = argc > 2 ? atol(argv[2]) : 512;
	rounds = argc > 3 ? atol(argv[3]) : 1;
	if (nth < 1 || nth > 256 || mib < 1 || rounds < 1) {
		fprintf(stderr, "usage: storm [THREADS [MIB_PER_THREAD [ROUNDS]]]\n");
		return 2;
	}
	len = (size_t)mib << 20;
	struct th *th = calloc(nth, sizeof *th);
	pthread_barrier_init(&bar, NULL, nth + 1);
	for (int i = 0; i < nth; i++)
		if (pthread_create(&th[i].t, NULL, run, &th[i])) { perror("pthread_create"); return 1; }
	double t0 = now();
	pthread_barrier_wait(&bar);
	int err = 0;
	double t1 = t0;
	char per[1024] = "";
	size_t n = 0;
	for (int i = 0; i < nth; i++) {
		pthread_join(th[i].t, NULL);
		err |= th[i].err;
		if (th[i].t1 > t1) t1 = th[i].t1;
		if (n < sizeof per - 32)
			n += snprintf(per + n, sizeof per - n, "%s%.1f", i ? "," : "", (th[i].t1 - th[i].t0) * 1e3);
	}
	REPORT("storm: minflt=%ld threads=%d pages=%zu rounds=%ld touch_ms=%.1f thread_ms=%s\n",
	       minflt(), nth, (size_t)nth * (len / 4096), rounds, (t1 - t0) * 1e3, per);
	return err;
}
