/* filemap: mmap a 512 MiB file read-only, read one byte per 4 KiB page.
 * The file is expected to be in the page cache (run.sh pre-reads it), so these
 * are minor file faults (with default fault-around: ~1 fault per 16 pages). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/resource.h>
static long minflt(void){struct rusage r;getrusage(RUSAGE_SELF,&r);return r.ru_minflt;}
#define REPORT(...) do { const char *lg = getenv("PB_LOG"); FILE *o = lg ? fopen(lg, "a") : (getenv("PB_VERBOSE") ? stderr : NULL); if (o) { fprintf(o, __VA_ARGS__); if (o != stderr) fclose(o); } } while (0)
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc, char **argv){
    const char *path = argc > 1 ? argv[1] : "/tmp/memmon-bench/data512m.bin";
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror("open"); return 1; }
    struct stat st; fstat(fd, &st);
    size_t len = st.st_size;
    const volatile char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    unsigned long sum = 0;
    double t0 = now();
    for (size_t off = 0; off < len; off += 4096) sum += p[off];
    double t1 = now();
    munmap((void*)p, len); close(fd);
    REPORT("filemap: minflt=%ld pages=%zu read_ms=%.1f (%lu)\n", minflt(), len/4096, (t1-t0)*1e3, sum);
    return 0;
}
