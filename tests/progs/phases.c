/*
 * phases [OUTSIDE_FILE] - a program that marks its phases, the seed's way
 * (fsync(N)) and with trace_marker writes (record's MEMMON_TRACE_MARKER),
 * and faults a known number of fresh pages in each phase:
 *
 *   fsync(101)      marker "phase one"    3 pages of A written (main)
 *   fdatasync(102)  marker "phase two"    a thread: marker "thread phase",
 *                                         5 pages of A written; a fork
 *                                         child: marker "child phase", 7
 *                                         pages of its own region B
 *   [OUTSIDE_FILE: the marker's path written there; it waits until the
 *    file is gone (the test writes a marker from outside meanwhile)]
 *   fsync(103)      marker "phase three"  11 pages of A written
 *   marker "quote \" back\ slash" + "\n" + tab, then fsync(104)
 *
 * fd 101-104 are not open: each call fails with EBADF, as the seed's did.
 * Prints: pid= tid= child= a= (A's address) alen= b= (B's) blen= marker=
 * (the path, or "none") copy= (the instance's copy_trace_marker, "-" when
 * it has none).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PAGE 4096
#define A_PAGES 64
#define B_PAGES 16

static int marker_fd = -1;
static char *a;
static pid_t thread_tid;

static void mark(const char *text)
{
	if (marker_fd >= 0 && write(marker_fd, text, strlen(text)) < 0)
		perror("trace_marker");
}

static void touch(char *base, int from, int n)
{
	for (int i = from; i < from + n; i++)
		base[(size_t)i * PAGE] = 1;
}

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = (pid_t)syscall(SYS_gettid);
	mark("thread phase");
	touch(a, 3, 5);
	return NULL;
}

/* The instance's options/copy_trace_marker beside its trace_marker. */
static void print_copy(const char *path)
{
	char opt[4096], v[8] = "-";
	const char *slash = strrchr(path, '/');
	int fd;

	snprintf(opt, sizeof(opt), "%.*s/options/copy_trace_marker", (int)(slash - path), path);
	fd = open(opt, O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, v, sizeof(v) - 1);
		v[n > 0 ? n : 0] = '\0';
		v[strcspn(v, "\n")] = '\0';
		close(fd);
	}
	printf(" copy=%s", v);
}

static void wait_outside(const char *file, const char *path)
{
	FILE *f = fopen(file, "w");
	if (!f || fprintf(f, "%s\n", path) < 0 || fclose(f)) {
		perror(file);
		exit(1);
	}
	for (int i = 0; i < 5000 && access(file, F_OK) == 0; i++)
		usleep(1000);
}

int main(int argc, char **argv)
{
	const char *path = getenv("MEMMON_TRACE_MARKER");
	pthread_t th;
	pid_t child;
	char *b;

	if (path && (marker_fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		perror(path);
		return 1;
	}
	a = mmap(NULL, A_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, B_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise(a, A_PAGES * PAGE, MADV_NOHUGEPAGE);
	madvise(b, B_PAGES * PAGE, MADV_NOHUGEPAGE);

	fsync(101);
	mark("phase one");
	touch(a, 0, 3);

	fdatasync(102);
	mark("phase two");
	if (pthread_create(&th, NULL, thread_main, NULL) || pthread_join(th, NULL)) {
		fprintf(stderr, "pthread failed\n");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		mark("child phase");
		touch(b, 0, 7);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	if (argc > 1 && path)
		wait_outside(argv[1], path);

	fsync(103);
	mark("phase three");
	touch(a, 8, 11);
	mark("quote \" back\\ slash\n\t");
	fsync(104);

	printf("pid=%d tid=%d child=%d a=%lx alen=%d b=%lx blen=%d marker=%s",
	       (int)getpid(), (int)thread_tid, (int)child, (unsigned long)a, A_PAGES * PAGE,
	       (unsigned long)b, B_PAGES * PAGE, path ? path : "none");
	if (path)
		print_copy(path);
	printf("\n");
	return 0;
}
