/* threads.h -- the threading layer: OpenMP when the compiler has it, one thread otherwise.
 * The fast engine splits work into items and gives each thread one contiguous, balanced range
 * (cnd_partition), so which thread computes an element never changes what it computes. */
#ifndef CONVND_THREADS_H
#define CONVND_THREADS_H

#include <stdint.h>

#include "internal.h"

#if defined(_OPENMP)
#include <omp.h>
#define CND_PRAGMA(x) _Pragma(#x)
#define CND_OMP(directive) CND_PRAGMA(omp directive)
static inline int cnd_thread_id(void) { return omp_get_thread_num(); }
static inline int cnd_thread_count(void) { return omp_get_num_threads(); }
#else
#define CND_OMP(directive)
static inline int cnd_thread_id(void) { return 0; }
static inline int cnd_thread_count(void) { return 1; }
#endif

/* Items [*lo, *hi) of n for thread `id` of `parts`: contiguous ranges, sizes differing by at
 * most one, in thread order. */
static inline void cnd_partition(int64_t n, int parts, int id, int64_t *lo, int64_t *hi) {
    int64_t base = n / parts, extra = n % parts;
    *lo = id * base + (id < extra ? id : extra);
    *hi = *lo + base + (id < extra ? 1 : 0);
}

/* The default thread count: CONVND_NUM_THREADS when set and non-empty, else the OpenMP
 * default (1 without OpenMP). Fails with CONVND_EINVAL naming the variable when it is not an
 * integer in 1..CONVND_MAX_THREADS. */
convnd_status cnd_threads_default(int *threads, convnd_error *err);

/* 1 when this build runs plans on several threads (OpenMP), else 0. */
int cnd_threads_available(void);

#endif
