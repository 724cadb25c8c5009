/* Heap warm-up for large, short-lived working sets (a solver pool). */
#ifndef BS_HEAP_H
#define BS_HEAP_H

#include <stddef.h>

/* Makes at least bytes of free heap memory backed by pages populated in one
 * madvise(MADV_POPULATE_WRITE), and keeps allocations up to 256 MiB and freed
 * memory on the heap, so that the allocations that follow do not fault page
 * by page (each fault costs tens of microseconds on a virtual machine).
 * Best effort: without the kernel's support, or under a sanitizer's
 * allocator, it only sets the thresholds. Returns 0 or -errno. */
int bs_heap_prefault(size_t bytes);

/* After a bs_heap_prefault: gives free heap memory back to the kernel (a
 * pool was freed) and lets the heap shrink by itself again; else nothing. */
void bs_heap_release(void);

#endif
