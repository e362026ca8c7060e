/* reads: read a cached file with read() into fresh anonymous memory, in
 * 64 KiB calls: every page of the buffer is first touched by the kernel
 * (copy_to_user), so the faults are kernel-mode ones (page_fault_kernel),
 * one per 4 KiB page, plus one syscall per 64 KiB.  With the bench's
 * 512 MiB file: 131072 kernel-mode faults, 8192 read() calls.
 *   reads [FILE [ROUNDS]]     FILE default $BENCH_DIR data, ROUNDS 1
 * Prints the read loop's time (read_ms) like the other workloads. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
static long minflt(void){struct rusage r;getrusage(RUSAGE_SELF,&r);return r.ru_minflt;}
#define REPORT(...) do { const char *lg = getenv("PB_LOG"); FILE *o = lg ? fopen(lg, "a") : (getenv("PB_VERBOSE") ? stderr : NULL); if (o) { fprintf(o, __VA_ARGS__); if (o != stderr) fclose(o); } } while (0)
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc, char **argv){
    const char *path = argc > 1 ? argv[1] : "/tmp/memmon-bench/data512m.bin";
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    const size_t chunk = 64 << 10;
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st)) { perror(path); return 1; }
    size_t len = (size_t)st.st_size & ~(chunk - 1);
    double t = 0;
    long calls = 0;
    for (int r = 0; r < rounds; r++) {
        char *p = mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        if (madvise(p, len, MADV_NOHUGEPAGE)) { perror("madvise"); return 1; }
        double t0 = now();
        for (size_t off = 0; off < len; off += chunk, calls++)
            if (pread(fd, p + off, chunk, (off_t)off) != (ssize_t)chunk) { perror("pread"); return 1; }
        t += now() - t0;
        munmap(p, len);
    }
    REPORT("reads: minflt=%ld pages=%zu calls=%ld read_ms=%.1f\n", minflt(), len / 4096 * rounds, calls, t * 1e3);
    return 0;
}
