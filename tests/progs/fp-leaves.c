/*
 * fp-leaves: a program that keeps frame pointers (built with
 * -fno-omit-frame-pointer) whose functions are mostly leaves, which gcc
 * builds without a frame all the same (t-stacks: they say nothing of the
 * program's frame pointers, and must not outvote main).  Maps and unmaps
 * one page, so that the trace has memory calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define LEAF(name, k)                                                        \
	__attribute__((noinline)) unsigned long name(const unsigned long *v, \
						     unsigned long n)        \
	{                                                                    \
		unsigned long s = k;                                         \
		for (unsigned long i = 0; i < n; i++)                        \
			s = s * 31 + (v[i] ^ k);                             \
		return s;                                                    \
	}
LEAF(leaf1, 1) LEAF(leaf2, 2) LEAF(leaf3, 3) LEAF(leaf4, 4) LEAF(leaf5, 5)
LEAF(leaf6, 6) LEAF(leaf7, 7) LEAF(leaf8, 8)

int main(int argc, char **argv)
{
	unsigned long v[4] = { (unsigned long)argc, 2, 3, 4 };
	unsigned long s = leaf1(v, 4) + leaf2(v, 4) + leaf3(v, 4) + leaf4(v, 4) +
			  leaf5(v, 4) + leaf6(v, 4) + leaf7(v, 4) + leaf8(v, 4);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)argv;
	if (p == MAP_FAILED)
		return 1;
	*(volatile char *)p = (char)s;
	munmap(p, 4096);
	printf("sum=%lu\n", s);
	return 0;
}
