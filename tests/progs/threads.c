/*
 * threads - per-thread fault attribution.
 *   threads [K]      K pages per thread, default 32
 * Four threads; each mmaps its own K pages (MADV_NOHUGEPAGE) and writes
 * each page once.  The threads run one after another (a mutex) so that
 * their lines come out whole.
 * Prints: pid=PID, then per thread
 *   thread=I tid=TID region=HEX pages=K
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static long k = 32;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *run(void *arg)
{
	long id = (long)arg;
	size_t len = (size_t)k * 4096;

	pthread_mutex_lock(&mu);
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (long i = 0; i < k; i++)
		p[i * 4096] = (char)id;
	printf("thread=%ld tid=%d region=%lx pages=%ld\n", id, (int)gettid(),
	       (unsigned long)p, k);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[4];

	if (argc > 1)
		k = strtol(argv[1], NULL, 0);
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("pid=%d\n", (int)getpid());
	for (long i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, run, (void *)i))
			return 1;
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
