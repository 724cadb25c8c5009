/* Heap warm-up: populate the heap a large working set is about to use in
 * one system call instead of one page fault per page. */
#include "heap.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define HEAP_MMAP_THRESHOLD (256 << 20)
#define HEAP_KEEP (1 << 30)
#define TRIM_DEFAULT (128 * 1024)

static int warmed; /* a prefault changed the thresholds, release resets them */

int bs_heap_prefault(size_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start, end;
	char *p;
	int rc = 0;

	/* big blocks from the heap (not from fresh mappings), and a freed top
	 * kept: the populated pages stay for the allocations that follow */
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, HEAP_KEEP);
	warmed = 1;
	if (bytes > HEAP_MMAP_THRESHOLD)
		bytes = HEAP_MMAP_THRESHOLD;
	if (bytes == 0 || page <= 0)
		return 0;
	if (!(p = malloc(bytes)))
		return -ENOMEM;
	start = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	end = ((uintptr_t)p + bytes) & ~((uintptr_t)page - 1);
	if (end > start && madvise((void *)start, end - start, MADV_POPULATE_WRITE) < 0)
		rc = -errno;
	free(p);
	return rc;
}

void bs_heap_release(void)
{
	/* a process that never warmed its heap keeps glibc's own thresholds
	 * (setting one turns glibc's dynamic adjustment off) */
	if (!warmed)
		return;
	warmed = 0;
	mallopt(M_TRIM_THRESHOLD, TRIM_DEFAULT);
	malloc_trim(0);
}
