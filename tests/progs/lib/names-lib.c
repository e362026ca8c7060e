/*
 * libnames.so - the library names-prog opens with dlopen and closes with
 * dlclose between two snapshots (issue 13): its code and its mapping must
 * be named although no maps snapshot ever sees it.
 *   unsigned long lib_touch(int pages)  maps PAGES anonymous pages and
 *   writes each (one anon W fault each, in lib_touch), unmaps them, and
 *   returns where they were.
 */
#include <stdlib.h>
#include <sys/mman.h>

#define PG 4096

__attribute__((noinline)) unsigned long lib_touch(int pages)
{
	char *p = mmap(NULL, (size_t)pages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(1);
	madvise(p, (size_t)pages * PG, MADV_NOHUGEPAGE);
	for (int i = 0; i < pages; i++)
		p[(size_t)i * PG] = (char)i;
	munmap(p, (size_t)pages * PG);
	return (unsigned long)p;
}
