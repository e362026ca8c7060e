/*
 * record/interposer/stackbounds.c - the stack a thread of a recorded
 * program runs on, for the walk of an allocation's callers (interposer.c):
 * the walk follows saved %rbp values, which in code without frame
 * pointers may hold anything, so it reads only inside this mapping.
 *
 * Found once per thread, at its first call, in /proc/self/maps (raw
 * system calls: no stdio, no allocation, no cancellation point, inside
 * malloc).  A call made on another stack (sigaltstack, a coroutine's) is
 * outside the bounds and gets no callers.  The main thread's stack grows:
 * below where it began, the kernel keeps a gap of at least 1 MiB
 * (stack_guard_gap) free of other mappings, so a stack pointer that far
 * below is still on it.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "interposer.h"

/* A gap the kernel keeps free below a growing stack (stack_guard_gap's
 * default, 256 pages): a stack pointer within it is on the stack. */
#define STACK_GAP (1ul << 20)

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The mapping the thread's stack pointer is in, into T's stack bounds
 * (0, 1 when not found: no walk, and no second look). */
void mmi_find_stack(struct mmi_thread *t)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0), lo = 0, hi = 0;
	char buf[1024], last[8] = "";
	int field = 0, v;
	long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	t->stack_lo = 0;
	t->stack_hi = 1;         /* looked for: not again */
	if (fd < 0)
		return;
	while ((n = syscall(SYS_read, (int)fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			if (c == '\n') {
				if (field == 2 && lo <= sp && sp < hi) {
					int grows = !memcmp(last + 1, "[stack]", 7);
					t->stack_lo = grows && lo > STACK_GAP ? lo - STACK_GAP : lo;
					t->stack_hi = hi;
					syscall(SYS_close, (int)fd);
					return;
				}
				lo = hi = 0;
				field = 0;
				memset(last, 0, sizeof(last));
				continue;
			}
			if (field == 0 && (v = hexval(c)) >= 0)
				lo = lo << 4 | (unsigned)v;
			else if (field == 0)
				field = c == '-' ? 1 : 3;
			else if (field == 1 && (v = hexval(c)) >= 0)
				hi = hi << 4 | (unsigned)v;
			else if (field == 1)
				field = 2;
			if (field == 2) {
				memmove(last, last + 1, sizeof(last) - 1);
				last[sizeof(last) - 1] = c;
			}
		}
	}
	syscall(SYS_close, (int)fd);
}
