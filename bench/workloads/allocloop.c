/* allocloop [SECONDS [PAIRS]]: malloc/free pairs for SECONDS (4), in bursts
 * of PAIRS (10) a millisecond: a process that keeps allocating while the
 * bench times another one beside it (bench.py's bystander stage), at a rate
 * that takes a few percent of a CPU even under uprobes (~10 us a pair). */
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc, char **argv){
    double secs = argc > 1 ? atof(argv[1]) : 4, end = now() + secs;
    int pairs = argc > 2 ? atoi(argv[2]) : 10;
    struct timespec ms = { 0, 1000000 };
    unsigned long sum = 0;
    while (now() < end) {
        for (int i = 0; i < pairs; i++) {
            char *volatile p = malloc(16 + (size_t)(i & 1023));
            p[0] = 1;
            sum += (unsigned long)(size_t)p & 1;
            free(p);
        }
        nanosleep(&ms, NULL);
    }
    return (int)(sum & 0);
}
