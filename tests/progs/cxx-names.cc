// tests/progs/cxx-names.cc - C++ functions whose names the compiler
// mangles, each doing one memory job (t-names' demangling checks):
//   pool::Arena::grow(unsigned long)  maps PAGES anonymous pages (mmap)
//   pool::Arena::fill(unsigned long)  writes each of them once (PAGES faults)
//   double* make_table<double>(int)   maps and writes 3 more pages
//   _ZN3bad                           maps and writes 5 pages: a name
//                                     that looks mangled but is not
// Built with frame pointers, so the mmap calls' stacks name their callers.
#include <sys/mman.h>
#include <cstdio>
#include <cstdlib>

namespace pool {
struct Arena {
	char *base = nullptr;
	__attribute__((noinline)) void grow(unsigned long pages);
	__attribute__((noinline)) void fill(unsigned long pages);
};

void Arena::grow(unsigned long pages)
{
	void *p = mmap(nullptr, pages * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		std::exit(1);
	base = static_cast<char *>(p);
}

void Arena::fill(unsigned long pages)
{
	for (unsigned long i = 0; i < pages; i++)
		static_cast<volatile char *>(base)[i * 4096] = 1;
}
}  // namespace pool

template <typename T> __attribute__((noinline)) T *make_table(int pages)
{
	void *p = mmap(nullptr, pages * 4096ul, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		std::exit(1);
	T *t = static_cast<T *>(p);
	for (int i = 0; i < pages; i++)
		static_cast<volatile T *>(t)[i * 4096 / sizeof(T)] = i;
	return t;
}

extern "C" __attribute__((noinline)) void bad_name(int pages) __asm__("_ZN3bad");
void bad_name(int pages)
{
	char *p = static_cast<char *>(mmap(nullptr, pages * 4096ul, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (p == MAP_FAILED)
		std::exit(1);
	for (int i = 0; i < pages; i++)
		static_cast<volatile char *>(p)[i * 4096] = 1;
}

int main(int argc, char **argv)
{
	unsigned long pages = argc > 1 ? std::strtoul(argv[1], nullptr, 0) : 17;
	pool::Arena a;

	a.grow(pages);
	a.fill(pages);
	double *t = make_table<double>(3);
	bad_name(5);
	std::printf("%p %p\n", static_cast<void *>(a.base), static_cast<void *>(t));
	return 0;
}
