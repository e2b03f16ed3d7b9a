/* test_ukernels.c -- every micro-kernel of every ISA this CPU runs (kernels/ukernel.h), f32 and
 * f64, against plain float64 loops: each gemm row variant, wgrad, dot and peak; odd kc and
 * offsets; accumulate=0 over a NaN-poisoned C; bitwise determinism; splitting kc into
 * consecutive calls. Every buffer is allocated to exactly what the contract lets a kernel
 * touch, and one B row ends at the end of its malloc'd block, so ASan catches overreads.
 * Also: cnd_isa_select and CONVND_ISA. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ukernel.h"
#include "testutil.h"

static const size_t kc_list[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 31, 32, 33, 47, 63, 64, 65, 100, 257};
#define N_KC (sizeof kc_list / sizeof kc_list[0])

static double tol_of(convnd_dtype t) { return t == CONVND_FLOAT64 ? 1e-13 : 1e-5; }

/* B of n_rows rows of row_len elements at random offsets in a block of exactly `len`
 * elements; the last row ends at the block's end. */
typedef struct rows {
    void *b;
    ptrdiff_t *off;
    size_t len;
} rows;

static rows make_rows(size_t n_rows, size_t row_len, convnd_dtype t, tu_rng *r) {
    rows x;
    x.len = row_len + (size_t)tu_range(r, 0, 40);
    x.b = tu_alloc(x.len, t);
    tu_fill_random(x.b, x.len, t, r);
    x.off = malloc((n_rows ? n_rows : 1) * sizeof *x.off);
    if (!x.off) abort();
    for (size_t i = 0; i < n_rows; i++) x.off[i] = (ptrdiff_t)tu_range(r, 0, (int64_t)(x.len - row_len));
    if (n_rows) x.off[n_rows - 1] = (ptrdiff_t)(x.len - row_len);
    return x;
}

static void free_rows(rows *x) {
    free(x->b);
    free(x->off);
}

static void *dup_buf(const void *p, size_t count, convnd_dtype t) {
    void *q = tu_alloc(count, t);
    memcpy(q, p, (count ? count : 1) * tu_dtype_size(t));
    return q;
}

static const char *dt_name(convnd_dtype t) { return t == CONVND_FLOAT64 ? "f64" : "f32"; }

/* c = (acc ? c : 0) + sum_t a[t*rows + m] * b[off[t] + j] */
static void test_gemm(const char *isa, const cnd_ukernels *uk, convnd_dtype t, int m_rows, size_t kc, tu_rng *r) {
    const size_t nr = (size_t)uk->nr, cn = (size_t)m_rows * nr;
    cnd_gemm_ukernel k = uk->gemm[m_rows];
    void *a = tu_alloc(kc * (size_t)m_rows, t);
    tu_fill_random(a, kc * (size_t)m_rows, t, r);
    rows b = make_rows(kc, nr, t, r);
    void *c = tu_alloc(cn, t), *c2 = tu_alloc(cn, t), *c0 = tu_alloc(cn, t);
    double *ref = malloc(cn * sizeof *ref);
    if (!ref) abort();
    tu_fill_random(c0, cn, t, r);
    for (int accumulate = 0; accumulate <= 1; accumulate++) {
        for (int m = 0; m < m_rows; m++) {
            for (size_t j = 0; j < nr; j++) {
                double s = 0;
                for (size_t q = 0; q < kc; q++)
                    s += tu_get(a, q * (size_t)m_rows + (size_t)m, t) * tu_get(b.b, (size_t)b.off[q] + j, t);
                ref[(size_t)m * nr + j] = (accumulate ? tu_get(c0, (size_t)m * nr + j, t) : 0.0) + s;
            }
        }
        if (accumulate) {
            memcpy(c, c0, cn * tu_dtype_size(t));
            memcpy(c2, c0, cn * tu_dtype_size(t));
        } else {
            tu_poison(c, cn, t);
            tu_poison(c2, cn, t);
        }
        k(kc, a, b.b, b.off, c, accumulate);
        double e = tu_rel_err(c, t, ref, CONVND_FLOAT64, cn);
        CHECK(e <= tol_of(t), "%s %s gemm %dx%zu kc=%zu accumulate=%d: rel err %g", isa, dt_name(t), m_rows, nr, kc,
              accumulate, e);
        k(kc, a, b.b, b.off, c2, accumulate);
        CHECK(memcmp(c, c2, cn * tu_dtype_size(t)) == 0, "%s %s gemm %dx%zu kc=%zu accumulate=%d: not deterministic",
              isa, dt_name(t), m_rows, nr, kc, accumulate);
        /* kc split into two consecutive calls: the same bits */
        if (kc >= 2) {
            size_t k1 = (size_t)tu_range(r, 1, (int64_t)kc - 1);
            if (accumulate)
                memcpy(c2, c0, cn * tu_dtype_size(t));
            else
                tu_poison(c2, cn, t);
            k(k1, a, b.b, b.off, c2, accumulate);
            k(kc - k1, (const char *)a + k1 * (size_t)m_rows * tu_dtype_size(t), b.b, b.off + k1, c2, 1);
            CHECK(memcmp(c, c2, cn * tu_dtype_size(t)) == 0, "%s %s gemm %dx%zu kc=%zu split at %zu: bits differ", isa,
                  dt_name(t), m_rows, nr, kc, k1);
        }
    }
    free(a);
    free_rows(&b);
    free(c);
    free(c2);
    free(c0);
    free(ref);
}

/* c[j*wmr + m] += sum_t a[t*wmr + m] * b[off[j] + t] */
static void test_wgrad(const char *isa, const cnd_ukernels *uk, convnd_dtype t, size_t kc, tu_rng *r) {
    const size_t wmr = (size_t)uk->wmr, wnr = (size_t)uk->wnr, cn = wmr * wnr;
    void *a = tu_alloc(kc * wmr, t);
    tu_fill_random(a, kc * wmr, t, r);
    rows b = make_rows(wnr, kc, t, r);
    void *c0 = tu_alloc(cn, t);
    tu_fill_random(c0, cn, t, r);
    void *c = dup_buf(c0, cn, t), *c2 = dup_buf(c0, cn, t);
    double *ref = malloc(cn * sizeof *ref);
    if (!ref) abort();
    for (size_t j = 0; j < wnr; j++) {
        for (size_t m = 0; m < wmr; m++) {
            double s = 0;
            for (size_t q = 0; q < kc; q++) s += tu_get(a, q * wmr + m, t) * tu_get(b.b, (size_t)b.off[j] + q, t);
            ref[j * wmr + m] = tu_get(c0, j * wmr + m, t) + s;
        }
    }
    uk->wgrad(kc, a, b.b, b.off, c);
    double e = tu_rel_err(c, t, ref, CONVND_FLOAT64, cn);
    CHECK(e <= tol_of(t), "%s %s wgrad %zux%zu kc=%zu: rel err %g", isa, dt_name(t), wmr, wnr, kc, e);
    uk->wgrad(kc, a, b.b, b.off, c2);
    CHECK(memcmp(c, c2, cn * tu_dtype_size(t)) == 0, "%s %s wgrad kc=%zu: not deterministic", isa, dt_name(t), kc);
    if (kc >= 2) {
        size_t k1 = (size_t)tu_range(r, 1, (int64_t)kc - 1);
        memcpy(c2, c0, cn * tu_dtype_size(t));
        uk->wgrad(k1, a, b.b, b.off, c2);
        uk->wgrad(kc - k1, (const char *)a + k1 * wmr * tu_dtype_size(t), (const char *)b.b + k1 * tu_dtype_size(t),
                  b.off, c2);
        CHECK(memcmp(c, c2, cn * tu_dtype_size(t)) == 0, "%s %s wgrad kc=%zu split at %zu: bits differ", isa,
              dt_name(t), kc, k1);
    }
    free(a);
    free_rows(&b);
    free(c0);
    free(c);
    free(c2);
    free(ref);
}

/* c[j] += sum_t a[t] * b[off[j] + t] */
static void test_dot(const char *isa, const cnd_ukernels *uk, convnd_dtype t, size_t kc, tu_rng *r) {
    const size_t n = CND_DOT_ROWS;
    void *a = tu_alloc(kc, t);
    tu_fill_random(a, kc, t, r);
    rows b = make_rows(n, kc, t, r);
    void *c0 = tu_alloc(n, t);
    tu_fill_random(c0, n, t, r);
    void *c = dup_buf(c0, n, t), *c2 = dup_buf(c0, n, t);
    double ref[CND_DOT_ROWS];
    for (size_t j = 0; j < n; j++) {
        double s = 0;
        for (size_t q = 0; q < kc; q++) s += tu_get(a, q, t) * tu_get(b.b, (size_t)b.off[j] + q, t);
        ref[j] = tu_get(c0, j, t) + s;
    }
    uk->dot(kc, a, b.b, b.off, c);
    double e = tu_rel_err(c, t, ref, CONVND_FLOAT64, n);
    CHECK(e <= tol_of(t), "%s %s dot kc=%zu: rel err %g", isa, dt_name(t), kc, e);
    uk->dot(kc, a, b.b, b.off, c2);
    CHECK(memcmp(c, c2, n * tu_dtype_size(t)) == 0, "%s %s dot kc=%zu: not deterministic", isa, dt_name(t), kc);
    free(a);
    free_rows(&b);
    free(c0);
    free(c);
    free(c2);
}

static void test_peak(const char *isa, const cnd_ukernels *uk, convnd_dtype t) {
    double sink[1] = {0};
    double f1 = uk->peak(1000, sink);
    double v = tu_get(sink, 0, t);
    CHECK(f1 > 0 && isfinite(f1), "%s %s peak(1000) returned %g flops", isa, dt_name(t), f1);
    CHECK(isfinite(v), "%s %s peak sink %g", isa, dt_name(t), v);
    double f2 = uk->peak(2000, sink);
    CHECK(f2 == 2 * f1, "%s %s peak: %g flops for 2000 iterations, %g for 1000", isa, dt_name(t), f2, f1);
}

static void test_kernels(const char *isa, const cnd_ukernels *uk, convnd_dtype t, tu_rng *r) {
    if (!CHECK(uk->mr >= 1 && uk->mr <= CND_MAX_MR && uk->nr >= 1 && uk->wmr >= 1 && uk->wnr >= 1,
               "%s %s: tile mr=%d nr=%d wmr=%d wnr=%d", isa, dt_name(t), uk->mr, uk->nr, uk->wmr, uk->wnr))
        return;
    CHECK(uk->gemm[0] == NULL, "%s %s: gemm[0] is not NULL", isa, dt_name(t));
    int complete = uk->wgrad && uk->dot && uk->peak;
    for (int m = 1; m <= uk->mr; m++) complete = complete && uk->gemm[m];
    if (!CHECK(complete, "%s %s: a kernel is missing", isa, dt_name(t))) return;
    printf("  %s %s: gemm %dx%d, wgrad %dx%d\n", isa, dt_name(t), uk->mr, uk->nr, uk->wmr, uk->wnr);

    for (int m = 1; m <= uk->mr; m++) {
        for (size_t i = 0; i < N_KC; i++) test_gemm(isa, uk, t, m, kc_list[i], r);
        for (int i = 0; i < 3; i++) test_gemm(isa, uk, t, m, (size_t)tu_range(r, 1, 600), r);
    }
    for (size_t i = 0; i < N_KC; i++) {
        test_wgrad(isa, uk, t, kc_list[i], r);
        test_dot(isa, uk, t, kc_list[i], r);
    }
    for (int i = 0; i < 10; i++) {
        test_wgrad(isa, uk, t, (size_t)tu_range(r, 1, 700), r);
        test_dot(isa, uk, t, (size_t)tu_range(r, 1, 700), r);
    }
    test_peak(isa, uk, t);
}

/* CONVND_ISA=name: the ISA of that name when supported, else CONVND_EUNSUPPORTED naming it. */
static const cnd_isa *select_named(const char *name) {
    convnd_error err = {CONVND_OK, ""};
    setenv("CONVND_ISA", name, 1);
    const cnd_isa *isa = cnd_isa_select(&err);
    if (isa) {
        CHECK(strcmp(isa->name, name) == 0, "CONVND_ISA=%s selected %s", name, isa->name);
        CHECK(cnd_isa_supported(isa), "CONVND_ISA=%s selected an unsupported ISA", name);
    } else {
        CHECK(err.code == CONVND_EUNSUPPORTED, "CONVND_ISA=%s: code %d", name, (int)err.code);
        CHECK(strstr(err.msg, name) != NULL, "CONVND_ISA=%s: message \"%s\" does not name it", name, err.msg);
        printf("skip %s: %s\n", name, err.msg);
    }
    return isa;
}

static void test_select(void) {
    convnd_error err = {CONVND_OK, ""};
    const cnd_isa *best = cnd_isa_best();
    CHECK(best != NULL && cnd_isa_supported(best), "cnd_isa_best");
    CHECK(cnd_isa_supported(&cnd_isa_generic), "generic unsupported");
    CHECK(!cnd_isa_supported(NULL), "NULL ISA supported");

    unsetenv("CONVND_ISA");
    CHECK(cnd_isa_select(&err) == best, "unset CONVND_ISA: not the best ISA");
    setenv("CONVND_ISA", "", 1);
    CHECK(cnd_isa_select(&err) == best, "empty CONVND_ISA: not the best ISA");
    setenv("CONVND_ISA", "generic", 1);
    CHECK(cnd_isa_select(&err) == &cnd_isa_generic, "CONVND_ISA=generic: not generic");
    setenv("CONVND_ISA", "bogus", 1);
    err.code = CONVND_OK;
    CHECK(cnd_isa_select(&err) == NULL, "CONVND_ISA=bogus: not NULL");
    CHECK(err.code == CONVND_EINVAL, "CONVND_ISA=bogus: code %d", (int)err.code);
    CHECK(strstr(err.msg, "bogus") != NULL, "CONVND_ISA=bogus: message \"%s\"", err.msg);
    setenv("CONVND_ISA", "AVX2", 1);
    CHECK(cnd_isa_select(NULL) == NULL, "CONVND_ISA=AVX2 (case matters): not NULL");
    unsetenv("CONVND_ISA");
    printf("best ISA: %s\n", best->name);
}

int main(void) {
    tu_rng r = {20240611};
    const char *names[] = {"avx512", "avx2", "generic"};
    const char *saved = getenv("CONVND_ISA");
    char *saved_copy = saved ? strdup(saved) : NULL;

    test_select();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cnd_isa *isa = select_named(names[i]);
        if (!isa) continue;
        test_kernels(isa->name, &isa->f32, CONVND_FLOAT32, &r);
        test_kernels(isa->name, &isa->f64, CONVND_FLOAT64, &r);
    }
    if (saved_copy) {
        setenv("CONVND_ISA", saved_copy, 1);
        free(saved_copy);
    } else {
        unsetenv("CONVND_ISA");
    }
    return tu_finish("test_ukernels");
}
