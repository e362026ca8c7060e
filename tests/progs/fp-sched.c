/*
 * fp-sched: a program that keeps frame pointers whose functions set
 * theirs up as gcc's scheduler sometimes does, with an instruction
 * between push %rbp and mov %rsp,%rbp (lz4's LZ4IO_createCResources).
 * Six such functions, sched1..sched6 (written in assembly so that the
 * order is certain), each call grow(N), which leaks malloc(N * 100):
 * t-malloc-stacks checks that record judges the program as keeping frame
 * pointers and that each leak's stack is grow <- schedN <- main, with no
 * caller marked lost.  Prints sched1..sched6 and grow's addresses.
 */
#include <stdio.h>
#include <stdlib.h>

#define SCHED(n)                                                               \
	__asm__(".text\n\t.p2align 4\n\t.globl sched" #n "\n\t.type sched" #n \
		", @function\nsched" #n ":\n\t"                                 \
		"push %rbp\n\txor %eax, %eax\n\tmov %rsp, %rbp\n\t"             \
		"mov $" #n ", %edi\n\tcall grow@PLT\n\tnop\n\tpop %rbp\n\tret\n\t" \
		".size sched" #n ", .-sched" #n "\n");                          \
	void sched##n(void);
SCHED(1) SCHED(2) SCHED(3) SCHED(4) SCHED(5) SCHED(6)

static void *kept[8];

__attribute__((noinline)) void grow(int n)
{
	kept[n] = malloc((size_t)n * 100);
	__asm__ __volatile__("" : : "r"(kept[n]) : "memory");
}

int main(void)
{
	sched1();
	sched2();
	sched3();
	sched4();
	sched5();
	sched6();
	printf("sched1=%p sched2=%p sched3=%p sched4=%p sched5=%p sched6=%p grow=%p\n",
	       (void *)sched1, (void *)sched2, (void *)sched3, (void *)sched4, (void *)sched5,
	       (void *)sched6, (void *)grow);
	return 0;
}
