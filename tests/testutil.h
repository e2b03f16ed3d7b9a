/* testutil.h -- what every C test shares: checks that count failures, a seeded RNG, buffers
 * in either dtype, NaN poisoning, and norm-wise comparison against a float64 reference. */
#ifndef CONVND_TESTUTIL_H
#define CONVND_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "convnd.h"

extern int tu_failures;
extern int tu_checks;

/* Records a failure with its location; returns cond so callers may bail out. */
int tu_check(int cond, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
#define CHECK(cond, ...) tu_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* CHECK_OK(status, err): the call returned CONVND_OK; prints err.msg otherwise. */
#define CHECK_OK(st, errp) tu_check((st) == CONVND_OK, __FILE__, __LINE__, "status %d (%s): %s", (int)(st), \
                                    convnd_strerror(st), (errp)->msg)

/* Prints "name: N checks, F failures" and returns the process exit code (0 iff no failure
 * and at least one check ran). */
int tu_finish(const char *name);

/* splitmix64: deterministic, seeded per test. */
typedef struct tu_rng { uint64_t s; } tu_rng;
uint64_t tu_next(tu_rng *r);
double tu_uniform(tu_rng *r);              /* [-1, 1) */
int64_t tu_range(tu_rng *r, int64_t lo, int64_t hi); /* inclusive */

size_t tu_dtype_size(convnd_dtype t);
void *tu_alloc(size_t count, convnd_dtype t);                 /* aborts on OOM; free() it */
void tu_fill_random(void *buf, size_t count, convnd_dtype t, tu_rng *r);
void tu_poison(void *buf, size_t count, convnd_dtype t);      /* every element NaN */
double tu_get(const void *buf, size_t i, convnd_dtype t);
void tu_set(void *buf, size_t i, convnd_dtype t, double v);
/* Copies a buffer of `count` elements converting from dtype `from` to `to`. */
void tu_convert(void *dst, convnd_dtype to, const void *src, convnd_dtype from, size_t count);
/* Number of NaN elements. */
size_t tu_count_nan(const void *buf, size_t count, convnd_dtype t);
/* ||got - ref||_2 / max(||ref||_2, tiny); NaN anywhere in got gives +inf. */
double tu_rel_err(const void *got, convnd_dtype got_type, const void *ref, convnd_dtype ref_type, size_t count);
/* Largest |got - ref| and the index where it occurs. */
double tu_max_abs_err(const void *got, convnd_dtype got_type, const void *ref, convnd_dtype ref_type,
                      size_t count, size_t *where);
/* Dot product in double (Kahan-free; used for adjointness with tolerance). */
double tu_dot(const void *a, const void *b, size_t count, convnd_dtype t);
/* Sum of |a_i * b_i|, the scale an adjointness error is measured against. */
double tu_dot_abs(const void *a, const void *b, size_t count, convnd_dtype t);

/* Element count of one tensor of g (aborts on error: tests pass valid geometry here). */
size_t tu_count(const convnd_geometry *g, convnd_tensor which);

/* A one-line description of g for failure messages (static buffer, not thread-safe). */
const char *tu_describe(const convnd_geometry *g);

/* The relative tolerance a dtype's result is held to against the float64 reference. */
#define TU_TOL_F32 1e-5
#define TU_TOL_F64 1e-12

#endif
