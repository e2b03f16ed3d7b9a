#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tu_failures = 0;
int tu_checks = 0;

int tu_check(int cond, const char *file, int line, const char *fmt, ...) {
    tu_checks++;
    if (cond) return 1;
    tu_failures++;
    if (tu_failures <= 50) {
        va_list ap;
        fprintf(stderr, "%s:%d: FAIL: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    return 0;
}

int tu_finish(const char *name) {
    printf("%s: %d checks, %d failures\n", name, tu_checks, tu_failures);
    if (tu_checks == 0) {
        fprintf(stderr, "%s: no check ran\n", name);
        return 1;
    }
    return tu_failures == 0 ? 0 : 1;
}

uint64_t tu_next(tu_rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double tu_uniform(tu_rng *r) { return (double)(tu_next(r) >> 11) * 0x1.0p-52 - 1.0; }

int64_t tu_range(tu_rng *r, int64_t lo, int64_t hi) {
    return lo + (int64_t)(tu_next(r) % (uint64_t)(hi - lo + 1));
}

size_t tu_dtype_size(convnd_dtype t) { return t == CONVND_FLOAT64 ? sizeof(double) : sizeof(float); }

void *tu_alloc(size_t count, convnd_dtype t) {
    void *p = malloc((count ? count : 1) * tu_dtype_size(t));
    if (!p) {
        fprintf(stderr, "out of memory allocating %zu elements\n", count);
        abort();
    }
    return p;
}

double tu_get(const void *buf, size_t i, convnd_dtype t) {
    return t == CONVND_FLOAT64 ? ((const double *)buf)[i] : (double)((const float *)buf)[i];
}

void tu_set(void *buf, size_t i, convnd_dtype t, double v) {
    if (t == CONVND_FLOAT64)
        ((double *)buf)[i] = v;
    else
        ((float *)buf)[i] = (float)v;
}

void tu_fill_random(void *buf, size_t count, convnd_dtype t, tu_rng *r) {
    for (size_t i = 0; i < count; i++) tu_set(buf, i, t, tu_uniform(r));
}

void tu_poison(void *buf, size_t count, convnd_dtype t) {
    for (size_t i = 0; i < count; i++) tu_set(buf, i, t, NAN);
}

void tu_convert(void *dst, convnd_dtype to, const void *src, convnd_dtype from, size_t count) {
    for (size_t i = 0; i < count; i++) tu_set(dst, i, to, tu_get(src, i, from));
}

size_t tu_count_nan(const void *buf, size_t count, convnd_dtype t) {
    size_t n = 0;
    for (size_t i = 0; i < count; i++) n += isnan(tu_get(buf, i, t)) ? 1 : 0;
    return n;
}

double tu_rel_err(const void *got, convnd_dtype got_type, const void *ref, convnd_dtype ref_type, size_t count) {
    double num = 0, den = 0;
    for (size_t i = 0; i < count; i++) {
        double g = tu_get(got, i, got_type), r = tu_get(ref, i, ref_type);
        if (isnan(g) || isnan(r)) return INFINITY;
        num += (g - r) * (g - r);
        den += r * r;
    }
    return sqrt(num) / fmax(sqrt(den), 1e-300);
}

double tu_max_abs_err(const void *got, convnd_dtype got_type, const void *ref, convnd_dtype ref_type,
                      size_t count, size_t *where) {
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        double e = fabs(tu_get(got, i, got_type) - tu_get(ref, i, ref_type));
        if (isnan(e)) e = INFINITY;
        if (e > worst) worst = e, at = i;
    }
    if (where) *where = at;
    return worst;
}

double tu_dot(const void *a, const void *b, size_t count, convnd_dtype t) {
    double s = 0;
    for (size_t i = 0; i < count; i++) s += tu_get(a, i, t) * tu_get(b, i, t);
    return s;
}

double tu_dot_abs(const void *a, const void *b, size_t count, convnd_dtype t) {
    double s = 0;
    for (size_t i = 0; i < count; i++) s += fabs(tu_get(a, i, t) * tu_get(b, i, t));
    return s;
}

size_t tu_count(const convnd_geometry *g, convnd_tensor which) {
    size_t count = 0;
    convnd_error err;
    convnd_status st = convnd_tensor_shape(g, which, NULL, NULL, &count, &err);
    if (st != CONVND_OK) {
        fprintf(stderr, "tu_count: %s (%s)\n", err.msg, tu_describe(g));
        abort();
    }
    return count;
}

static void append_list(char **p, char *end, const char *name, const int64_t *v, int n) {
    *p += snprintf(*p, (size_t)(end - *p), " %s=", name);
    for (int a = 0; a < n && *p < end; a++) *p += snprintf(*p, (size_t)(end - *p), a ? ",%lld" : "%lld", (long long)v[a]);
}

const char *tu_describe(const convnd_geometry *g) {
    static char buf[512];
    char *p = buf, *end = buf + sizeof buf;
    p += snprintf(p, (size_t)(end - p), "%s d=%d %s N=%lld Cin=%lld Cout=%lld G=%lld mode=%d",
                  g->transposed ? "transposed" : "conv", g->rank, g->dtype == CONVND_FLOAT64 ? "f64" : "f32",
                  (long long)g->batch, (long long)g->in_channels, (long long)g->out_channels, (long long)g->groups,
                  (int)g->padding_mode);
    append_list(&p, end, "I", g->input_size, g->rank);
    append_list(&p, end, "K", g->kernel_size, g->rank);
    append_list(&p, end, "S", g->stride, g->rank);
    append_list(&p, end, "D", g->dilation, g->rank);
    append_list(&p, end, "Plo", g->pad_lo, g->rank);
    append_list(&p, end, "Phi", g->pad_hi, g->rank);
    append_list(&p, end, "OP", g->output_padding, g->rank);
    return buf;
}
