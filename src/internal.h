/* internal.h -- what every part of the library shares: error reporting and checked size
 * arithmetic. Sizes are int64_t and never negative where these helpers are used. */
#ifndef CONVND_INTERNAL_H
#define CONVND_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "convnd.h"

#if defined(__GNUC__)
#define CND_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CND_PRINTF(f, a)
#endif

/* Fills *err (if not NULL) with code and a formatted message; returns code. */
convnd_status cnd_fail(convnd_error *err, convnd_status code, const char *fmt, ...) CND_PRINTF(3, 4);

/* Marks *err (if not NULL) as success; returns CONVND_OK. */
convnd_status cnd_ok(convnd_error *err);

/* r = a * b for a, b >= 0; returns 0, or 1 on int64 overflow (r then undefined). */
static inline int cnd_mul(int64_t a, int64_t b, int64_t *r) {
    if (a != 0 && b > INT64_MAX / a) return 1;
    *r = a * b;
    return 0;
}

/* r = a + b; returns 0, or 1 on int64 overflow. */
static inline int cnd_add(int64_t a, int64_t b, int64_t *r) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return 1;
    *r = a + b;
    return 0;
}

static inline size_t cnd_dtype_size(convnd_dtype t) { return t == CONVND_FLOAT64 ? sizeof(double) : sizeof(float); }

static inline const char *cnd_dtype_name(convnd_dtype t) { return t == CONVND_FLOAT64 ? "float64" : "float32"; }

const char *cnd_mode_text(convnd_padding_mode m);

#endif
