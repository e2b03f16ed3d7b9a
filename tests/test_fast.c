/* test_fast.c -- the fast engine (CONVND_ENGINE_AUTO) and the plan API against the reference.
 *
 * 1. Accuracy. Random geometry (ranks 1..5, conv and transposed, batched and unbatched, groups
 *    incl. depthwise and channel multipliers, stride incl. stride > kernel, dilation, asymmetric
 *    padding, the four padding modes, output_padding, bias or not, float32 and float64), sized
 *    to cross the fast engine's blocking (gemm tiles of up to 8 output channels x 48 positions,
 *    weight-gradient tiles of 32 output channels x 12 (channel, tap) columns): channel counts
 *    1..40 off those multiples, last-axis extents up to 70, 1x1 kernels, long 1-D signals.
 *    Every case computes the float64 REF result on the same values (widened) and the AUTO
 *    result through a plan in the case's dtype (forward; backward with grad_input, grad_weight
 *    and grad_bias, together and alone), outputs NaN-poisoned before each call, and requires a
 *    norm-wise relative error <= TU_TOL_F32 (1e-5) / TU_TOL_F64 (1e-12) and no NaN.
 *    When the plain norm-wise error misses the bound, the case is given one more chance against
 *    a denominator floored at 10% of the norm of the same computation on |inputs| (as
 *    test_properties j does): a result whose random terms happen to cancel is not held to a
 *    relative accuracy float32 cannot deliver. Such rescues are counted and printed.
 * 2. Determinism. The same geometry planned with threads = 1, 2, 3 (separate plans; sometimes
 *    the default too) gives bitwise-identical forward, grad_input, grad_weight and grad_bias,
 *    and a second execute of a plan gives the same bits again.
 * 3. The plan API: option defaults, packed weights, caller workspaces (exact size, 64-aligned,
 *    poisoned first) versus NULL, misaligned workspaces, NULL plans and arguments, thread
 *    limits, invalid geometry, CONVND_ISA / CONVND_NUM_THREADS, the plan's geometry copy, the
 *    REF engine through plans versus convnd_forward, convnd_forward(AUTO) versus a plan, one
 *    plan executed from 4 pthreads at once, and the workspace bound (no im2col).
 *
 * Random geometry has ranks 1..5; fixed cases add the blocking edges and ranks 6 and 8.
 * Seeded: CONVND_TEST_SEED=<n> reproduces a run; CONVND_TEST_SCALE=<x> (default 1; 0.75 under
 * sanitizers) scales the number of random cases. Failing cases print their geometry.
 * Self-test: CONVND_FAST_MUTATE=a perturbs one element of each AUTO forward result by 1e-4
 * relative before the accuracy check, CONVND_FAST_MUTATE=d flips the last bit of one
 * grad_weight element of the threads-2 run before the determinism check; either must fail.
 * CONVND_TEST_VERBOSE=1 names every case on stderr before running it (to locate a crash).
 * tests/CMakeLists.txt runs it with OMP_WAIT_POLICY=passive: thousands of tiny multi-threaded
 * executes on a loaded 2-core machine would otherwise spin at every barrier (5-10x slower). */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <unistd.h>
#endif

#include "convnd.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define TF_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define TF_SANITIZED 1
#endif
#endif
#ifndef TF_SANITIZED
#define TF_SANITIZED 0
#endif

/* Random cases at scale 1. */
#define NCASES 400
/* Work budget of one case (multiply-adds of one pass, batch included) and element caps. */
#define MAX_MACS 300000
#define MAX_ELEMS 40000

static double g_scale = 1.0;
static char g_mutate = 0;
static int g_verbose = 0; /* CONVND_TEST_VERBOSE: name each case before running it (crashes) */

/* ============================================================================================
 * Small helpers
 * ========================================================================================== */

static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

static double now_sec(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double tol_of(convnd_dtype t) { return t == CONVND_FLOAT64 ? TU_TOL_F64 : TU_TOL_F32; }

static const char *dname(convnd_dtype t) { return t == CONVND_FLOAT64 ? "f64" : "f32"; }

static void *xalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return p;
}

/* 64-byte aligned buffer of at least `bytes` bytes, filled with 0xFF (NaN in both dtypes). */
static void *ws_alloc(size_t bytes) {
    size_t n = (bytes + 64 + 63) / 64 * 64;
    void *p = aligned_alloc(64, n);
    if (!p) {
        fprintf(stderr, "out of memory (workspace %zu)\n", bytes);
        abort();
    }
    memset(p, 0xFF, n);
    return p;
}

static double *abs_f64(const double *src, size_t n) {
    double *d = xalloc((n ? n : 1) * sizeof(double));
    for (size_t i = 0; i < n; i++) d[i] = fabs(src[i]);
    return d;
}

static double l2(const double *v, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i] * v[i];
    return sqrt(s);
}

/* Saves and restores an environment variable around the tests that change it. */
typedef struct saved_env {
    const char *name;
    char *value; /* NULL: was unset */
} saved_env;

static saved_env env_save(const char *name) {
    saved_env s = {name, NULL};
    const char *v = getenv(name);
    if (v) {
        s.value = xalloc(strlen(v) + 1);
        strcpy(s.value, v);
    }
    return s;
}

static void env_restore(saved_env *s) {
    if (s->value)
        setenv(s->name, s->value, 1);
    else
        unsetenv(s->name);
    free(s->value);
    s->value = NULL;
}

/* ============================================================================================
 * Statistics and failure log
 * ========================================================================================== */

static struct {
    long cases, by_rank[CONVND_MAX_RANK + 1], transposed, batched, grouped, depthwise, multiplier, modes, f32, bias, asym, outpad,
        stride_gt_kernel, dilated, pointwise, long1d, big_channels;
    long accuracy_checks, bitwise_checks, rescued, rescued_q[4];
    double worst_rescued; /* largest plain error among them */
    double worst[2][4]; /* [dtype][quantity] plain norm-wise error */
    char worst_geo[2][4][700];
    long failing_cases;
} st;

static const char *const qname[4] = {"output", "grad_input", "grad_weight", "grad_bias"};

static void note_case(const convnd_geometry *g, int bias) {
    st.cases++;
    st.by_rank[g->rank]++;
    st.transposed += g->transposed != 0;
    st.batched += g->batch != CONVND_UNBATCHED;
    st.grouped += g->groups > 1;
    st.depthwise += g->groups > 1 && g->groups == (g->transposed ? g->out_channels : g->in_channels);
    st.multiplier += g->groups > 1 && g->in_channels == g->groups && g->out_channels > g->groups;
    st.modes += g->padding_mode != CONVND_PAD_ZEROS;
    st.f32 += g->dtype == CONVND_FLOAT32;
    st.bias += bias != 0;
    int asym = 0, op = 0, sk = 0, dil = 0, pw = 1;
    for (int a = 0; a < g->rank; a++) {
        asym |= g->pad_lo[a] != g->pad_hi[a];
        op |= g->output_padding[a] != 0;
        sk |= g->stride[a] > g->kernel_size[a];
        dil |= g->dilation[a] > 1;
        pw &= g->kernel_size[a] == 1;
    }
    st.asym += asym;
    st.outpad += op;
    st.stride_gt_kernel += sk;
    st.dilated += dil;
    st.pointwise += pw;
    st.long1d += g->rank == 1 && g->input_size[0] >= 1000;
    st.big_channels += g->in_channels >= 17 || g->out_channels >= 17;
}

/* ============================================================================================
 * One problem: a geometry, random inputs, and the float64 reference results
 * ========================================================================================== */

typedef struct tcase {
    convnd_geometry g; /* dtype = the case's dtype */
    int bias;
    const char *kind;
} tcase;

typedef struct problem {
    tcase c;
    convnd_geometry g64;
    size_t n[4]; /* elements per convnd_tensor */
    void *x, *w, *b, *gy;           /* the case's dtype */
    double *x64, *w64, *b64, *gy64; /* the same values widened */
    double *ref[4];                 /* REF float64: y, gx, gw, gb */
    double *absref[4];              /* REF float64 on |inputs|; computed on demand */
    int ref_ok;
} problem;

static const char *case_label(const problem *p) {
    static char buf[700];
    snprintf(buf, sizeof buf, "[%s, %s] %s", p->c.kind, p->c.bias ? "bias" : "no bias", tu_describe(&p->c.g));
    return buf;
}

static int problem_init(problem *p, const tcase *c, tu_rng *r) {
    memset(p, 0, sizeof *p);
    p->c = *c;
    convnd_dtype t = c->g.dtype;
    p->g64 = c->g;
    p->g64.dtype = CONVND_FLOAT64;
    for (int q = 0; q < 4; q++) p->n[q] = tu_count(&c->g, (convnd_tensor)q);
    size_t nx = p->n[CONVND_TENSOR_INPUT], nw = p->n[CONVND_TENSOR_WEIGHT], nb = p->n[CONVND_TENSOR_BIAS],
           ny = p->n[CONVND_TENSOR_OUTPUT];
    p->x = tu_alloc(nx, t), p->w = tu_alloc(nw, t), p->b = tu_alloc(nb, t), p->gy = tu_alloc(ny, t);
    tu_fill_random(p->x, nx, t, r);
    tu_fill_random(p->w, nw, t, r);
    tu_fill_random(p->b, nb, t, r);
    tu_fill_random(p->gy, ny, t, r);
    const convnd_dtype D = CONVND_FLOAT64;
    p->x64 = tu_alloc(nx, D), p->w64 = tu_alloc(nw, D), p->b64 = tu_alloc(nb, D), p->gy64 = tu_alloc(ny, D);
    tu_convert(p->x64, D, p->x, t, nx);
    tu_convert(p->w64, D, p->w, t, nw);
    tu_convert(p->b64, D, p->b, t, nb);
    tu_convert(p->gy64, D, p->gy, t, ny);
    p->ref[0] = tu_alloc(ny, D), p->ref[1] = tu_alloc(nx, D), p->ref[2] = tu_alloc(nw, D), p->ref[3] = tu_alloc(nb, D);
    convnd_error err;
    memset(&err, 0, sizeof err);
    convnd_status s = convnd_forward(&p->g64, CONVND_ENGINE_REF, p->x64, p->w64, c->bias ? p->b64 : NULL, p->ref[0], &err);
    p->ref_ok = CHECK(s == CONVND_OK, "REF forward f64 failed: %d %s %s", (int)s, err.msg, case_label(p));
    s = convnd_backward(&p->g64, CONVND_ENGINE_REF, p->x64, p->w64, p->gy64, p->ref[1], p->ref[2], p->ref[3], &err);
    p->ref_ok &= CHECK(s == CONVND_OK, "REF backward f64 failed: %d %s %s", (int)s, err.msg, case_label(p));
    return p->ref_ok;
}

/* The reference on |x|, |W|, |b|, |g|: the magnitude of the terms each result sums. */
static void problem_absref(problem *p) {
    if (p->absref[0]) return;
    const convnd_dtype D = CONVND_FLOAT64;
    double *ax = abs_f64(p->x64, p->n[0]), *aw = abs_f64(p->w64, p->n[1]), *ab = abs_f64(p->b64, p->n[2]),
           *ag = abs_f64(p->gy64, p->n[3]);
    p->absref[0] = tu_alloc(p->n[3], D), p->absref[1] = tu_alloc(p->n[0], D);
    p->absref[2] = tu_alloc(p->n[1], D), p->absref[3] = tu_alloc(p->n[2], D);
    convnd_error err;
    if (convnd_forward(&p->g64, CONVND_ENGINE_REF, ax, aw, p->c.bias ? ab : NULL, p->absref[0], &err) != CONVND_OK ||
        convnd_backward(&p->g64, CONVND_ENGINE_REF, ax, aw, ag, p->absref[1], p->absref[2], p->absref[3], &err) !=
            CONVND_OK) {
        for (int q = 0; q < 4; q++) memset(p->absref[q], 0, (q == 0 ? p->n[3] : p->n[q - 1]) * sizeof(double));
    }
    free(ax), free(aw), free(ab), free(ag);
}

static void problem_free(problem *p) {
    free(p->x), free(p->w), free(p->b), free(p->gy);
    free(p->x64), free(p->w64), free(p->b64), free(p->gy64);
    for (int q = 0; q < 4; q++) free(p->ref[q]), free(p->absref[q]);
    memset(p, 0, sizeof *p);
}

/* Element count of quantity q (0 y, 1 gx, 2 gw, 3 gb). */
static size_t qcount(const problem *p, int q) {
    static const convnd_tensor map[4] = {CONVND_TENSOR_OUTPUT, CONVND_TENSOR_INPUT, CONVND_TENSOR_WEIGHT,
                                         CONVND_TENSOR_BIAS};
    return p->n[map[q]];
}

/* got (case dtype) vs the float64 reference of quantity q: no NaN, norm-wise error within the
 * dtype's tolerance (with the |inputs| floor as second chance, see the file comment). */
static int check_accuracy(problem *p, int q, const void *got, const char *pass, const char *plan_desc) {
    convnd_dtype t = p->c.g.dtype;
    size_t n = qcount(p, q);
    double tol = tol_of(t);
    size_t nan = tu_count_nan(got, n, t);
    double e = tu_rel_err(got, t, p->ref[q], CONVND_FLOAT64, n);
    int ti = t == CONVND_FLOAT64;
    st.accuracy_checks++;
    if (!(e <= st.worst[ti][q])) {
        st.worst[ti][q] = e;
        snprintf(st.worst_geo[ti][q], sizeof st.worst_geo[ti][q], "%s", case_label(p));
    }
    if (nan == 0 && e <= tol) return CHECK(1, "ok");
    double floored = INFINITY;
    if (nan == 0) {
        problem_absref(p);
        double num = 0;
        for (size_t i = 0; i < n; i++) {
            double d = tu_get(got, i, t) - p->ref[q][i];
            num += d * d;
        }
        double den = fmax(l2(p->ref[q], n), 0.1 * l2(p->absref[q], n));
        floored = sqrt(num) / fmax(den, 1e-300);
        if (floored <= tol) {
            st.rescued++;
            st.rescued_q[q]++;
            if (e > st.worst_rescued) st.worst_rescued = e;
            return CHECK(1, "ok");
        }
    }
    size_t where = 0;
    double abs_err = tu_max_abs_err(got, t, p->ref[q], CONVND_FLOAT64, n, &where);
    return CHECK(0,
                 "%s %s: norm-wise relative error %.3g (floored %.3g) > %.0e, %zu of %zu NaN, max |diff| %.3g at "
                 "element %zu (got %.17g, want %.17g); plan \"%s\" %s",
                 pass, qname[q], e, floored, tol, nan, n, abs_err, where, n ? tu_get(got, where, t) : 0.0,
                 n ? p->ref[q][where] : 0.0, plan_desc, case_label(p));
}

static int check_same_bits(const problem *p, const char *what, const void *a, const void *b, size_t n) {
    st.bitwise_checks++;
    size_t es = tu_dtype_size(p->c.g.dtype);
    if (memcmp(a, b, n * es) == 0) return CHECK(1, "ok");
    size_t i = 0;
    while (i < n && memcmp((const char *)a + i * es, (const char *)b + i * es, es) == 0) i++;
    return CHECK(0, "%s: not bitwise identical: first difference at element %zu of %zu (%.17g vs %.17g) %s", what, i, n,
                 tu_get(a, i, p->c.g.dtype), tu_get(b, i, p->c.g.dtype), case_label(p));
}

/* ============================================================================================
 * Plans
 * ========================================================================================== */

static convnd_plan *make_plan(const problem *p, convnd_engine e, int threads, const void *packed) {
    convnd_plan_options opt;
    convnd_plan_options_init(&opt);
    opt.engine = e;
    opt.threads = threads;
    opt.weight = packed;
    convnd_plan *plan = NULL;
    convnd_error err;
    memset(&err, 0, sizeof err);
    convnd_status s = convnd_plan_create(&p->c.g, &opt, &plan, &err);
    if (!CHECK(s == CONVND_OK && plan != NULL, "convnd_plan_create(engine %d, threads %d, packed %s) returned %d (%s): %s %s",
               (int)e, threads, packed ? "yes" : "no", (int)s, convnd_strerror(s), err.msg, case_label(p))) {
        if (s == CONVND_OK) convnd_plan_destroy(plan);
        return NULL;
    }
    return plan;
}

/* Poisoned forward through a plan; returns 1 on CONVND_OK. */
static int plan_fwd(const problem *p, const convnd_plan *plan, const void *w, void *y, void *ws, const char *what) {
    tu_poison(y, p->n[CONVND_TENSOR_OUTPUT], p->c.g.dtype);
    convnd_error err;
    memset(&err, 0, sizeof err);
    convnd_status s = convnd_plan_forward(plan, p->x, w, p->c.bias ? p->b : NULL, y, ws, &err);
    return CHECK(s == CONVND_OK, "%s: convnd_plan_forward returned %d (%s): %s; plan \"%s\" %s", what, (int)s,
                 convnd_strerror(s), err.msg, convnd_plan_describe(plan), case_label(p));
}

/* Poisoned backward through a plan; NULL outputs are not requested. */
static int plan_bwd(const problem *p, const convnd_plan *plan, const void *x, const void *w, void *gx, void *gw,
                    void *gb, void *ws, const char *what) {
    convnd_dtype t = p->c.g.dtype;
    if (gx) tu_poison(gx, p->n[CONVND_TENSOR_INPUT], t);
    if (gw) tu_poison(gw, p->n[CONVND_TENSOR_WEIGHT], t);
    if (gb) tu_poison(gb, p->n[CONVND_TENSOR_BIAS], t);
    convnd_error err;
    memset(&err, 0, sizeof err);
    convnd_status s = convnd_plan_backward(plan, x, w, p->gy, gx, gw, gb, ws, &err);
    return CHECK(s == CONVND_OK, "%s: convnd_plan_backward(%s%s%s) returned %d (%s): %s; plan \"%s\" %s", what,
                 gx ? "gx " : "", gw ? "gw " : "", gb ? "gb" : "", (int)s, convnd_strerror(s), err.msg,
                 convnd_plan_describe(plan), case_label(p));
}

/* Outputs of one forward + backward. */
typedef struct outs {
    void *q[4]; /* y, gx, gw, gb */
} outs;

static void outs_alloc(const problem *p, outs *o) {
    for (int q = 0; q < 4; q++) o->q[q] = tu_alloc(qcount(p, q), p->c.g.dtype);
}

static void outs_free(outs *o) {
    for (int q = 0; q < 4; q++) free(o->q[q]), o->q[q] = NULL;
}

/* forward and full backward through `plan`, with a caller workspace when use_ws. */
static int run_plan(const problem *p, const convnd_plan *plan, outs *o, int use_ws, const char *what) {
    void *ws = NULL;
    if (use_ws) ws = ws_alloc(convnd_plan_workspace_size(plan));
    int ok = plan_fwd(p, plan, p->w, o->q[0], ws, what);
    if (use_ws) memset(ws, 0xFF, convnd_plan_workspace_size(plan)); /* poison again between calls */
    ok &= plan_bwd(p, plan, p->x, p->w, o->q[1], o->q[2], o->q[3], ws, what);
    free(ws);
    return ok;
}

/* ============================================================================================
 * Random geometry
 * ========================================================================================== */

enum { K_GENERAL, K_POINTWISE, K_LONG1D, K_DEPTHWISE, K_BIGSTRIDE, K_WGRAD, K_TALL, K_COUNT };
static const char *const kind_names[K_COUNT] = {"general", "1x1", "long 1-D", "depthwise/multiplier",
                                                "stride > kernel", "wgrad blocking", "tall (runs over rows)"};

/* Channel counts around the blocking sizes (8-row gemm tiles, 32-channel wgrad tiles). */
static const int64_t CHAN[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 37, 40};
/* Last-axis extents around the 48-lane position tiles. */
static const int64_t LAST[] = {1, 2, 5, 7, 8, 9, 11, 12, 13, 23, 24, 25, 47, 48, 49, 50, 63, 64, 65, 70};

static int64_t pick(tu_rng *r, const int64_t *v, size_t n) { return v[tu_range(r, 0, (int64_t)n - 1)]; }
#define PICK(r, arr) pick(r, arr, sizeof arr / sizeof arr[0])

/* The header's per-axis rules (test_properties restates them the same way). */
static int axis_ok(const convnd_geometry *g, int a) {
    int64_t I = g->input_size[a], K = g->kernel_size[a], S = g->stride[a], D = g->dilation[a];
    int64_t lo = g->pad_lo[a], hi = g->pad_hi[a], OP = g->output_padding[a];
    if (g->transposed) return OP < imax(S, D) && (I - 1) * S - lo - hi + D * (K - 1) + OP + 1 >= 1;
    if (I + lo + hi < D * (K - 1) + 1) return 0;
    if (g->padding_mode == CONVND_PAD_REFLECT && (lo >= I || hi >= I)) return 0;
    if (g->padding_mode == CONVND_PAD_CIRCULAR && (lo > I || hi > I)) return 0;
    return 1;
}

/* Per-rank limits of the general kind: first axes, last axis, kernel, stride, dilation, pad. */
static const int64_t L_I[6] = {0, 70, 12, 6, 4, 3};
static const int64_t L_LAST[6] = {0, 70, 70, 40, 20, 12};
static const int64_t L_K[6] = {0, 7, 5, 3, 3, 2};
static const int64_t L_S[6] = {0, 4, 3, 3, 2, 2};
static const int64_t L_D[6] = {0, 3, 2, 2, 2, 2};
static const int64_t L_P[6] = {0, 4, 3, 2, 1, 1};

static void draw_axis(tu_rng *r, convnd_geometry *g, int a, int kind) {
    int rk = g->rank, last = a == rk - 1;
    int64_t K, S, D, P, I;
    switch (kind) {
    case K_POINTWISE:
        K = 1, S = tu_range(r, 0, 3) == 0 ? 2 : 1, D = 1, P = tu_range(r, 0, 3) == 0 ? 1 : 0;
        I = last ? (tu_range(r, 0, 1) ? PICK(r, LAST) : tu_range(r, 1, 70)) : tu_range(r, 1, rk == 1 ? 70 : 8);
        break;
    case K_LONG1D:
        K = tu_range(r, 1, 9), S = tu_range(r, 1, 3), D = tu_range(r, 1, 4), P = tu_range(r, 0, 6);
        I = tu_range(r, 1000, 3000);
        break;
    case K_TALL: /* last axis short, the one before long: position runs span many rows */
        K = tu_range(r, 1, 3), S = tu_range(r, 1, 2), D = tu_range(r, 1, 2), P = tu_range(r, 0, 2);
        I = last ? tu_range(r, 1, 6) : a == rk - 2 ? tu_range(r, 20, 70) : tu_range(r, 1, 3);
        break;
    case K_BIGSTRIDE:
        K = tu_range(r, 1, 3), S = K + tu_range(r, 1, 3), D = tu_range(r, 1, 2), P = tu_range(r, 0, 2);
        I = last ? tu_range(r, 1, rk == 1 ? 70 : 30) : tu_range(r, 1, 8);
        break;
    default:
        K = tu_range(r, 1, L_K[rk]), S = tu_range(r, 1, L_S[rk]), D = tu_range(r, 1, L_D[rk]);
        P = L_P[rk];
        I = last ? (tu_range(r, 0, 2) == 0 ? imax(1, PICK(r, LAST) % (L_LAST[rk] + 1)) : tu_range(r, 1, L_LAST[rk]))
                 : tu_range(r, 1, L_I[rk]);
        break;
    }
    g->kernel_size[a] = K;
    g->stride[a] = S;
    g->dilation[a] = D;
    g->input_size[a] = I;
    g->pad_lo[a] = tu_range(r, 0, P);
    g->pad_hi[a] = tu_range(r, 0, 2) == 0 ? g->pad_lo[a] : tu_range(r, 0, P); /* mostly asymmetric */
    g->output_padding[a] = g->transposed ? tu_range(r, 0, imax(S, D) - 1) : 0;
}

static void draw_channels(tu_rng *r, convnd_geometry *g, int kind) {
    g->groups = 1;
    switch (kind) {
    case K_LONG1D:
        g->in_channels = tu_range(r, 1, 4), g->out_channels = tu_range(r, 1, 4);
        if (tu_range(r, 0, 3) == 0) g->groups = g->in_channels, g->out_channels = g->in_channels * tu_range(r, 1, 2);
        return;
    case K_DEPTHWISE: {
        int64_t C = tu_range(r, 0, 1) ? PICK(r, CHAN) : tu_range(r, 1, 40), m = tu_range(r, 0, 1) ? 1 : tu_range(r, 2, 3);
        /* the group count is the channel count of the conv-side image (the input of a conv, the
         * output of a transposed conv); a multiplier widens the other side */
        g->groups = C;
        if (g->transposed)
            g->out_channels = C, g->in_channels = C * m;
        else
            g->in_channels = C, g->out_channels = C * m;
        return;
    }
    case K_WGRAD:
        g->in_channels = PICK(r, CHAN), g->out_channels = PICK(r, CHAN);
        return;
    default:
        break;
    }
    int cls = (int)tu_range(r, 0, 2); /* 0 small, 1 large, 2 grouped */
    if (cls == 0) {
        g->in_channels = tu_range(r, 1, 5), g->out_channels = tu_range(r, 1, 5);
    } else if (cls == 1) {
        g->in_channels = tu_range(r, 0, 1) ? PICK(r, CHAN) : tu_range(r, 1, 40);
        g->out_channels = tu_range(r, 0, 1) ? PICK(r, CHAN) : tu_range(r, 1, 40);
    } else {
        g->groups = tu_range(r, 2, 5);
        g->in_channels = g->groups * tu_range(r, 1, 9);
        g->out_channels = g->groups * tu_range(r, 1, 9);
    }
}

static int64_t prod64(const int64_t *v, int n) {
    int64_t p = 1;
    for (int a = 0; a < n; a++) p *= v[a];
    return p;
}

/* Multiply-adds of the forward pass (the backward passes cost the same each). */
static int64_t case_macs(const convnd_geometry *g) {
    size_t nx = tu_count(g, CONVND_TENSOR_INPUT), ny = tu_count(g, CONVND_TENSOR_OUTPUT);
    int64_t sk = prod64(g->kernel_size, g->rank);
    return g->transposed ? (int64_t)nx * (g->out_channels / g->groups) * sk
                         : (int64_t)ny * (g->in_channels / g->groups) * sk;
}

static int gen_case(tu_rng *r, int kind, convnd_dtype t, tcase *c) {
    for (int attempt = 0; attempt < 5000; attempt++) {
        convnd_geometry *g = &c->g;
        int rank;
        switch (kind) {
        case K_LONG1D: rank = 1; break;
        case K_POINTWISE: rank = (int)tu_range(r, 1, 3); break;
        case K_WGRAD: rank = (int)tu_range(r, 1, 3); break;
        case K_DEPTHWISE: rank = (int)tu_range(r, 1, 3); break;
        case K_TALL: rank = (int)tu_range(r, 2, 4); break;
        default: rank = (int)tu_range(r, 1, 5); break;
        }
        if (convnd_geometry_init(g, rank, NULL) != CONVND_OK) return 0;
        g->dtype = t;
        g->transposed = tu_range(r, 0, 4) < 2;
        g->padding_mode = CONVND_PAD_ZEROS;
        if (!g->transposed && tu_range(r, 0, 1)) g->padding_mode = (convnd_padding_mode)tu_range(r, 1, 3);
        int64_t bsel = tu_range(r, 0, 5);
        g->batch = bsel < 2 ? CONVND_UNBATCHED : bsel < 4 ? 1 : tu_range(r, 2, 3);
        draw_channels(r, g, kind);
        int ok = 1;
        for (int a = 0; a < rank && ok; a++) {
            int tries = 0;
            do draw_axis(r, g, a, kind);
            while (!axis_ok(g, a) && ++tries < 200);
            ok = axis_ok(g, a);
        }
        if (!ok) continue;
        convnd_error err;
        convnd_status s = convnd_geometry_check(g, &err);
        if (!CHECK(s == CONVND_OK, "generator: geometry the header's rules accept refused: %d %s [%s]", (int)s, err.msg,
                   tu_describe(g)))
            continue;
        size_t nx = tu_count(g, CONVND_TENSOR_INPUT), ny = tu_count(g, CONVND_TENSOR_OUTPUT),
               nw = tu_count(g, CONVND_TENSOR_WEIGHT);
        if (nx > MAX_ELEMS || ny > MAX_ELEMS || nw > MAX_ELEMS || case_macs(g) > MAX_MACS) continue;
        c->bias = tu_range(r, 0, 2) != 0;
        c->kind = kind_names[kind];
        return 1;
    }
    CHECK(0, "generator: no geometry of kind %s within budget", kind_names[kind]);
    return 0;
}

/* ============================================================================================
 * Per-case checks
 * ========================================================================================== */

/* Accuracy of every quantity of o against the reference. */
static void check_outs(problem *p, const outs *o, const char *pass, const char *desc) {
    for (int q = 0; q < 4; q++) check_accuracy(p, q, o->q[q], pass, desc);
}

static void same_outs(const problem *p, const outs *a, const outs *b, const char *what) {
    char buf[160];
    for (int q = 0; q < 4; q++) {
        snprintf(buf, sizeof buf, "%s: %s", what, qname[q]);
        check_same_bits(p, buf, a->q[q], b->q[q], qcount(p, q));
    }
}

/* Accuracy with threads 1 (workspace NULL), determinism over threads 2 (caller workspace),
 * 3 and, when `dflt`, the default; a second run of the first plan; each gradient alone. */
static void case_accuracy_determinism(problem *p, int dflt) {
    static const int threads[4] = {1, 2, 3, 0};
    int nplans = dflt ? 4 : 3;
    convnd_plan *plans[4] = {NULL, NULL, NULL, NULL};
    outs o[4], again;
    for (int k = 0; k < nplans; k++) plans[k] = make_plan(p, CONVND_ENGINE_AUTO, threads[k], NULL);
    if (!plans[0]) goto done_plans;
    const char *desc = convnd_plan_describe(plans[0]);
    CHECK(desc && desc[0], "convnd_plan_describe is empty %s", case_label(p));
    for (int k = 0; k < nplans; k++) outs_alloc(p, &o[k]);
    outs_alloc(p, &again);
    char what[96];
    int ran[4] = {0, 0, 0, 0};
    for (int k = 0; k < nplans; k++) {
        if (!plans[k]) continue;
        snprintf(what, sizeof what, "threads %d%s", threads[k], k == 1 ? " (caller workspace)" : "");
        ran[k] = run_plan(p, plans[k], &o[k], k == 1, what);
        if (ran[k] && k == 0 && g_mutate == 'a' && p->n[CONVND_TENSOR_OUTPUT]) {
            size_t i = p->n[CONVND_TENSOR_OUTPUT] / 2;
            double v = tu_get(o[0].q[0], i, p->c.g.dtype);
            tu_set(o[0].q[0], i, p->c.g.dtype, v + 1e-4 * (fabs(v) + 1));
        }
        if (ran[k] && k == 1 && g_mutate == 'd') {
            unsigned char *b = o[1].q[2];
            b[0] ^= 1; /* the lowest mantissa bit of element 0 (little-endian) */
        }
        if (ran[k] && k == 0) check_outs(p, &o[0], "AUTO threads 1", desc);
        if (ran[k] && k > 0 && ran[0]) {
            snprintf(what, sizeof what, "determinism: threads %d vs threads 1", threads[k]);
            same_outs(p, &o[k], &o[0], what);
        }
    }
    if (ran[0] && run_plan(p, plans[0], &again, 0, "threads 1, second run"))
        same_outs(p, &again, &o[0], "determinism: second run of the same plan");

    /* each gradient alone; the tensors it does not need are NULL */
    if (ran[0]) {
        convnd_plan *pl = plans[nplans - 1] ? plans[nplans - 1] : plans[0];
        const char *d2 = convnd_plan_describe(pl);
        if (plan_bwd(p, pl, NULL, p->w, again.q[1], NULL, NULL, NULL, "grad_input alone"))
            check_accuracy(p, 1, again.q[1], "AUTO grad_input alone", d2);
        if (plan_bwd(p, pl, p->x, NULL, NULL, again.q[2], NULL, NULL, "grad_weight alone"))
            check_accuracy(p, 2, again.q[2], "AUTO grad_weight alone", d2);
        if (plan_bwd(p, pl, NULL, NULL, NULL, NULL, again.q[3], NULL, "grad_bias alone"))
            check_accuracy(p, 3, again.q[3], "AUTO grad_bias alone", d2);
    }
    for (int k = 0; k < nplans; k++) outs_free(&o[k]);
    outs_free(&again);
done_plans:
    for (int k = 0; k < nplans; k++) convnd_plan_destroy(plans[k]);
}

/* Packed weights: a plan packing a copy of W (the copy destroyed right after creation) gives,
 * with weight = NULL, the same bits as an unpacked plan given W; given another weight W2 it
 * uses W2. Also: forward / grad_input with weight NULL and nothing packed is refused. */
static void case_packed(problem *p, tu_rng *r) {
    convnd_dtype t = p->c.g.dtype;
    size_t nw = p->n[CONVND_TENSOR_WEIGHT], ny = p->n[CONVND_TENSOR_OUTPUT], nx = p->n[CONVND_TENSOR_INPUT];
    void *wcopy = tu_alloc(nw, t);
    memcpy(wcopy, p->w, nw * tu_dtype_size(t));
    convnd_plan *packed = make_plan(p, CONVND_ENGINE_AUTO, 2, wcopy);
    tu_poison(wcopy, nw, t); /* "the pointer is not kept" */
    free(wcopy);
    convnd_plan *plain = make_plan(p, CONVND_ENGINE_AUTO, 2, NULL);
    if (!packed || !plain) goto done;
    outs a, b;
    outs_alloc(p, &a);
    outs_alloc(p, &b);
    if (run_plan(p, plain, &a, 0, "unpacked plan") && plan_fwd(p, packed, NULL, b.q[0], NULL, "packed, weight NULL") &&
        plan_bwd(p, packed, p->x, NULL, b.q[1], b.q[2], b.q[3], NULL, "packed, weight NULL")) {
        same_outs(p, &b, &a, "packed weights (weight NULL) vs weight passed to an unpacked plan");
        check_outs(p, &b, "AUTO packed weights", convnd_plan_describe(packed));
    }
    /* a weight passed to a packed plan is used instead of the packed one */
    void *w2 = tu_alloc(nw, t);
    tu_fill_random(w2, nw, t, r);
    if (plan_fwd(p, plain, w2, a.q[0], NULL, "unpacked plan, W2") && plan_fwd(p, packed, w2, b.q[0], NULL, "packed plan, W2"))
        check_same_bits(p, "forward: packed plan given W2 vs unpacked plan given W2", b.q[0], a.q[0], ny);
    if (plan_bwd(p, plain, NULL, w2, a.q[1], NULL, NULL, NULL, "unpacked plan, W2") &&
        plan_bwd(p, packed, NULL, w2, b.q[1], NULL, NULL, NULL, "packed plan, W2"))
        check_same_bits(p, "grad_input: packed plan given W2 vs unpacked plan given W2", b.q[1], a.q[1], nx);
    free(w2);

    /* weight NULL and nothing packed: EINVAL, the output not written */
    convnd_error err;
    memset(b.q[0], 0x5A, ny * tu_dtype_size(t));
    memcpy(a.q[0], b.q[0], ny * tu_dtype_size(t));
    convnd_status s = convnd_plan_forward(plain, p->x, NULL, NULL, b.q[0], NULL, &err);
    CHECK(s == CONVND_EINVAL, "forward with weight NULL and no packed weights returned %d, want EINVAL %s", (int)s,
          case_label(p));
    CHECK(memcmp(a.q[0], b.q[0], ny * tu_dtype_size(t)) == 0, "refused forward wrote its output %s", case_label(p));
    memset(b.q[1], 0x5A, nx * tu_dtype_size(t));
    s = convnd_plan_backward(plain, p->x, NULL, p->gy, b.q[1], NULL, NULL, NULL, &err);
    CHECK(s == CONVND_EINVAL, "grad_input with weight NULL and no packed weights returned %d, want EINVAL %s", (int)s,
          case_label(p));
    s = convnd_plan_backward(plain, NULL, p->w, p->gy, NULL, b.q[2], NULL, NULL, &err);
    CHECK(s == CONVND_EINVAL, "grad_weight with input NULL returned %d, want EINVAL %s", (int)s, case_label(p));
    s = convnd_plan_backward(plain, p->x, p->w, p->gy, NULL, NULL, NULL, NULL, &err);
    CHECK(s == CONVND_EINVAL, "backward with no output requested returned %d, want EINVAL %s", (int)s, case_label(p));
    outs_free(&a);
    outs_free(&b);
done:
    convnd_plan_destroy(packed);
    convnd_plan_destroy(plain);
}

/* Workspace: an exactly-sized 64-aligned poisoned buffer gives the bits of workspace NULL; a
 * misaligned one is refused without writing the output. (REF plans: test_ref_plan_workspace.) */
static void case_workspace(problem *p) {
    convnd_dtype t = p->c.g.dtype;
    for (int e = 0; e < 1; e++) {
        const char *en = e ? "REF" : "AUTO";
        convnd_plan *plan = make_plan(p, e ? CONVND_ENGINE_REF : CONVND_ENGINE_AUTO, 2, NULL);
        if (!plan) continue;
        size_t wsz = convnd_plan_workspace_size(plan);
        outs a, b;
        outs_alloc(p, &a);
        outs_alloc(p, &b);
        char what[96];
        snprintf(what, sizeof what, "%s plan: caller workspace vs NULL", en);
        if (run_plan(p, plan, &a, 0, "workspace NULL") && run_plan(p, plan, &b, 1, "caller workspace"))
            same_outs(p, &b, &a, what);
        /* misaligned: 64-aligned base + 8 (enough room behind it) */
        unsigned char *base = ws_alloc(wsz + 64);
        void *mis = base + 8;
        size_t ny = p->n[CONVND_TENSOR_OUTPUT], nx = p->n[CONVND_TENSOR_INPUT];
        memset(a.q[0], 0x5A, ny * tu_dtype_size(t));
        memcpy(b.q[0], a.q[0], ny * tu_dtype_size(t));
        convnd_error err;
        convnd_status s = convnd_plan_forward(plan, p->x, p->w, NULL, a.q[0], mis, &err);
        CHECK(s == CONVND_EINVAL,
              "%s plan: forward with a misaligned workspace (64k+8, size %zu) returned %d, want EINVAL %s", en, wsz,
              (int)s, case_label(p));
        CHECK(memcmp(a.q[0], b.q[0], ny * tu_dtype_size(t)) == 0,
              "%s plan: forward refused for its workspace wrote the output %s", en, case_label(p));
        memset(a.q[1], 0x5A, nx * tu_dtype_size(t));
        memcpy(b.q[1], a.q[1], nx * tu_dtype_size(t));
        s = convnd_plan_backward(plan, p->x, p->w, p->gy, a.q[1], NULL, NULL, mis, &err);
        CHECK(s == CONVND_EINVAL, "%s plan: backward with a misaligned workspace returned %d, want EINVAL %s", en,
              (int)s, case_label(p));
        CHECK(memcmp(a.q[1], b.q[1], nx * tu_dtype_size(t)) == 0,
              "%s plan: backward refused for its workspace wrote grad_input %s", en, case_label(p));
        free(base);
        outs_free(&a);
        outs_free(&b);
        convnd_plan_destroy(plan);
    }
}

/* The REF engine through a plan == convnd_forward / convnd_backward with REF, bitwise; and
 * convnd_forward / convnd_backward with AUTO == an AUTO plan with default threads, bitwise. */
static void case_engines_vs_plans(problem *p) {
    outs a, b;
    outs_alloc(p, &a);
    outs_alloc(p, &b);
    const void *bias = p->c.bias ? p->b : NULL;
    for (int e = 0; e < 2; e++) {
        convnd_engine eng = e ? CONVND_ENGINE_AUTO : CONVND_ENGINE_REF;
        const char *en = e ? "AUTO" : "REF";
        convnd_plan *plan = make_plan(p, eng, 0, NULL);
        if (!plan) continue;
        convnd_error err;
        for (int q = 0; q < 4; q++) tu_poison(a.q[q], qcount(p, q), p->c.g.dtype);
        convnd_status s1 = convnd_forward(&p->c.g, eng, p->x, p->w, bias, a.q[0], &err);
        CHECK(s1 == CONVND_OK, "convnd_forward(%s) returned %d: %s %s", en, (int)s1, err.msg, case_label(p));
        convnd_status s2 = convnd_backward(&p->c.g, eng, p->x, p->w, p->gy, a.q[1], a.q[2], a.q[3], &err);
        CHECK(s2 == CONVND_OK, "convnd_backward(%s) returned %d: %s %s", en, (int)s2, err.msg, case_label(p));
        if (s1 == CONVND_OK && s2 == CONVND_OK && run_plan(p, plan, &b, 0, e ? "AUTO plan" : "REF plan")) {
            char what[96];
            snprintf(what, sizeof what, "convnd_forward/backward(%s) vs a %s plan", en, en);
            same_outs(p, &b, &a, what);
            if (!e) check_outs(p, &b, "REF plan", convnd_plan_describe(plan));
        }
        convnd_plan_destroy(plan);
    }
    outs_free(&a);
    outs_free(&b);
}

static void run_case(const tcase *c, tu_rng *r, int idx) {
    problem p;
    int before = tu_failures;
    note_case(&c->g, c->bias);
    if (g_verbose) {
        fprintf(stderr, "case %d: [%s, %s] %s\n", idx, c->kind, c->bias ? "bias" : "no bias", tu_describe(&c->g));
        fflush(stderr);
    }
    if (problem_init(&p, c, r)) {
        case_accuracy_determinism(&p, idx % 4 == 0);
        if (idx % 3 == 0) case_packed(&p, r);
        if (idx % 5 == 1) case_workspace(&p);
        if (idx % 8 == 2) case_engines_vs_plans(&p);
    }
    if (tu_failures > before) {
        st.failing_cases++;
        if (st.failing_cases <= 30) fprintf(stderr, "  ^ case %d FAILED: %s\n", idx, case_label(&p));
    }
    problem_free(&p);
}

/* ============================================================================================
 * Fixed cases: the blocking edges, each in both dtypes
 * ========================================================================================== */

typedef struct fixed {
    const char *name;
    int rank, transposed, mode;
    int64_t batch, cin, cout, groups;
    int64_t I[CONVND_MAX_RANK], K[CONVND_MAX_RANK], S[CONVND_MAX_RANK], D[CONVND_MAX_RANK], Plo[CONVND_MAX_RANK],
        Phi[CONVND_MAX_RANK], OP[CONVND_MAX_RANK];
} fixed;

static const fixed FIXED[] = {
    /* name                               r  T  mode N  Cin Cout G    I             K          S          D          Plo        Phi        OP */
    {"1-D single channel, long",          1, 0, 0, 0, 1, 1, 1, {3000}, {5}, {1}, {1}, {2}, {2}, {0}},
    {"1-D long, stride 3 dilation 4",     1, 0, 0, 2, 3, 2, 1, {2047}, {9}, {3}, {4}, {0}, {5}, {0}},
    {"1-D long transposed",               1, 1, 0, 1, 2, 3, 1, {1001}, {4}, {2}, {1}, {1}, {2}, {1}},
    {"1-D long reflect",                  1, 0, 1, 0, 2, 2, 1, {1500}, {7}, {1}, {2}, {5}, {6}, {0}},
    {"1x1 gemm 37x41 over 7x70",          2, 0, 0, 1, 37, 41, 1, {7, 70}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 0}},
    {"1x1 gemm 33x9, 49 positions",       1, 0, 0, 2, 33, 9, 1, {49}, {1}, {1}, {1}, {0}, {0}, {0}},
    {"1x1 transposed 17x40",              2, 1, 0, 0, 17, 40, 1, {5, 47}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {0, 0}},
    {"1x1 stride 2 padded",               2, 0, 0, 0, 9, 8, 1, {6, 65}, {1, 1}, {2, 2}, {1, 1}, {1, 0}, {0, 1}, {0, 0}},
    {"wgrad 33 out x (13 ch x 3 taps)",   1, 0, 0, 2, 13, 33, 1, {50}, {3}, {1}, {1}, {1}, {1}, {0}},
    {"wgrad 40 out x (5 ch x 9 taps)",    2, 0, 0, 1, 5, 40, 1, {9, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}},
    {"wgrad 31 out, 25 taps, transposed", 2, 1, 0, 0, 31, 7, 1, {6, 9}, {5, 5}, {1, 2}, {1, 1}, {2, 0}, {1, 3}, {0, 1}},
    {"depthwise 17, 3x3 stride 2",        2, 0, 0, 1, 17, 17, 17, {9, 50}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {0, 1}, {0, 0}},
    {"depthwise x3 multiplier, replicate",2, 0, 2, 0, 5, 15, 5, {8, 49}, {3, 2}, {1, 1}, {2, 1}, {2, 1}, {1, 0}, {0, 0}},
    {"depthwise transposed 24",           2, 1, 0, 2, 24, 24, 24, {4, 23}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {1, 0}},
    {"stride > kernel, conv",             2, 0, 0, 1, 3, 9, 1, {11, 70}, {2, 1}, {5, 3}, {1, 1}, {0, 1}, {1, 0}, {0, 0}},
    {"stride > kernel, transposed",       2, 1, 0, 1, 9, 3, 1, {5, 20}, {2, 1}, {5, 3}, {1, 1}, {1, 0}, {0, 2}, {2, 1}},
    {"transposed S3 D2 OP",               1, 1, 0, 0, 8, 8, 2, {33}, {3}, {3}, {2}, {2}, {1}, {1}},
    {"circular, 3-D",                     3, 0, 3, 1, 4, 9, 1, {4, 5, 48}, {3, 3, 3}, {1, 1, 2}, {1, 1, 1}, {1, 2, 1}, {2, 1, 0}, {0, 0, 0}},
    {"all padding outputs",               1, 0, 0, 0, 2, 3, 1, {3}, {3}, {1}, {1}, {6}, {7}, {0}},
    {"3-D 3x3x3",                         3, 0, 0, 1, 8, 8, 1, {6, 6, 20}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}},
    /* one gemm row per group over runs longer than 1008/1024 positions, ending in a short tail */
    {"1 row, run 1030",                   1, 0, 0, 1, 2, 1, 1, {1032}, {3}, {1}, {1}, {0}, {0}, {0}},
    {"depthwise 3, run 2030",             1, 0, 0, 0, 3, 3, 3, {2030}, {3}, {1}, {1}, {1}, {1}, {0}},
    {"1 row transposed, run 1030",        1, 1, 0, 0, 2, 1, 1, {1028}, {3}, {1}, {1}, {0}, {0}, {0}},
    {"1 row transposed S2, run 2035",     1, 1, 0, 1, 2, 1, 1, {1017}, {4}, {2}, {1}, {0}, {1}, {0}},
    {"rank 6",                            6, 0, 2, 2, 3, 4, 1, {2, 3, 1, 2, 3, 9}, {2, 1, 1, 2, 2, 3}, {1, 2, 1, 1, 2, 2}, {1, 1, 1, 1, 1, 2}, {1, 0, 0, 1, 0, 2}, {0, 1, 0, 0, 1, 1}, {0}},
    {"rank 8 transposed",                 8, 1, 0, 0, 2, 3, 1, {2, 1, 2, 1, 2, 1, 2, 5}, {2, 1, 1, 2, 1, 1, 2, 3}, {1, 2, 1, 1, 1, 2, 1, 2}, {1, 1, 1, 1, 2, 1, 1, 1}, {0, 0, 0, 1, 0, 0, 1, 1}, {1, 0, 0, 0, 0, 0, 0, 2}, {0, 1, 0, 0, 0, 0, 0, 1}},
};

static int fixed_case(const fixed *f, convnd_dtype t, tcase *c) {
    convnd_geometry *g = &c->g;
    if (convnd_geometry_init(g, f->rank, NULL) != CONVND_OK) return 0;
    g->dtype = t;
    g->transposed = f->transposed;
    g->padding_mode = (convnd_padding_mode)f->mode;
    g->batch = f->batch;
    g->in_channels = f->cin, g->out_channels = f->cout, g->groups = f->groups;
    for (int a = 0; a < f->rank; a++) {
        g->input_size[a] = f->I[a], g->kernel_size[a] = f->K[a], g->stride[a] = f->S[a], g->dilation[a] = f->D[a];
        g->pad_lo[a] = f->Plo[a], g->pad_hi[a] = f->Phi[a], g->output_padding[a] = f->OP[a];
    }
    c->bias = 1;
    c->kind = f->name;
    convnd_error err;
    convnd_status s = convnd_geometry_check(g, &err);
    return CHECK(s == CONVND_OK, "fixed case %s refused: %s", f->name, err.msg);
}

/* ============================================================================================
 * API behaviour
 * ========================================================================================== */

static convnd_geometry small_geometry(convnd_dtype t) {
    convnd_geometry g;
    convnd_geometry_init(&g, 2, NULL);
    g.dtype = t;
    g.batch = 2;
    g.in_channels = 3, g.out_channels = 5;
    g.input_size[0] = 6, g.input_size[1] = 9;
    g.kernel_size[0] = 3, g.kernel_size[1] = 2;
    g.pad_lo[0] = 1, g.pad_hi[0] = 0, g.pad_lo[1] = 0, g.pad_hi[1] = 1;
    g.stride[1] = 2;
    return g;
}

static void test_options_and_null(void) {
    convnd_plan_options opt;
    memset(&opt, 0xA5, sizeof opt);
    convnd_plan_options_init(&opt);
    CHECK(opt.engine == CONVND_ENGINE_AUTO && opt.threads == 0 && opt.weight == NULL,
          "convnd_plan_options_init: engine %d threads %d weight %p, want AUTO, 0, NULL", (int)opt.engine, opt.threads,
          opt.weight);

    /* NULL plan */
    CHECK(convnd_plan_workspace_size(NULL) == 0, "workspace_size(NULL) = %zu", convnd_plan_workspace_size(NULL));
    const char *d = convnd_plan_describe(NULL);
    CHECK(d != NULL && d[0] == '\0', "describe(NULL) is %s", d ? "non-empty" : "NULL");
    CHECK(convnd_plan_geometry(NULL) == NULL, "geometry(NULL) is not NULL");
    convnd_plan_destroy(NULL);
    double x[8] = {0}, w[8] = {0}, y[8] = {0};
    convnd_error err;
    memset(&err, 0, sizeof err);
    CHECK(convnd_plan_forward(NULL, x, w, NULL, y, NULL, &err) == CONVND_EINVAL && err.code == CONVND_EINVAL &&
              err.msg[0],
          "plan_forward(NULL plan): want EINVAL with a message");
    CHECK(convnd_plan_backward(NULL, x, w, y, x + 4, NULL, NULL, NULL, NULL) == CONVND_EINVAL,
          "plan_backward(NULL plan): want EINVAL");

    convnd_geometry g = small_geometry(CONVND_FLOAT64);
    /* NULL plan pointer */
    CHECK(convnd_plan_create(&g, NULL, NULL, &err) == CONVND_EINVAL, "plan_create(plan = NULL): want EINVAL");
    /* opt NULL: defaults */
    convnd_plan *plan = (convnd_plan *)&g;
    convnd_status s = convnd_plan_create(&g, NULL, &plan, &err);
    if (CHECK(s == CONVND_OK && plan, "plan_create(opt NULL) returned %d: %s", (int)s, err.msg)) {
        const char *desc = convnd_plan_describe(plan);
        CHECK(desc && desc[0], "describe of a default plan is empty");
        printf("  default plan: \"%s\", workspace %zu bytes\n", desc ? desc : "", convnd_plan_workspace_size(plan));
        /* the geometry is a copy: changing ours afterwards changes nothing */
        const convnd_geometry *pg = convnd_plan_geometry(plan);
        int same = pg != NULL && pg->rank == g.rank && pg->transposed == g.transposed && pg->dtype == g.dtype &&
                   pg->padding_mode == g.padding_mode && pg->batch == g.batch && pg->in_channels == g.in_channels &&
                   pg->out_channels == g.out_channels && pg->groups == g.groups;
        for (int a = 0; same && a < g.rank; a++)
            same = pg->input_size[a] == g.input_size[a] && pg->kernel_size[a] == g.kernel_size[a] &&
                   pg->stride[a] == g.stride[a] && pg->dilation[a] == g.dilation[a] && pg->pad_lo[a] == g.pad_lo[a] &&
                   pg->pad_hi[a] == g.pad_hi[a] && pg->output_padding[a] == g.output_padding[a];
        CHECK(same, "convnd_plan_geometry differs from the geometry given: %s", pg ? tu_describe(pg) : "NULL");
        CHECK(pg != &g, "convnd_plan_geometry returns the caller's struct, not a copy");
        convnd_geometry keep = g;
        g.input_size[0] = 1000;
        g.in_channels = 7;
        pg = convnd_plan_geometry(plan);
        CHECK(pg && pg->input_size[0] == keep.input_size[0] && pg->in_channels == keep.in_channels,
              "the plan's geometry followed a change to the caller's struct");
        /* and it still computes the original geometry correctly */
        size_t nx = tu_count(&keep, CONVND_TENSOR_INPUT), nw = tu_count(&keep, CONVND_TENSOR_WEIGHT),
               ny = tu_count(&keep, CONVND_TENSOR_OUTPUT);
        double *xx = tu_alloc(nx, CONVND_FLOAT64), *ww = tu_alloc(nw, CONVND_FLOAT64), *yy = tu_alloc(ny, CONVND_FLOAT64),
               *yr = tu_alloc(ny, CONVND_FLOAT64);
        tu_rng r = {99};
        tu_fill_random(xx, nx, CONVND_FLOAT64, &r);
        tu_fill_random(ww, nw, CONVND_FLOAT64, &r);
        tu_poison(yy, ny, CONVND_FLOAT64);
        s = convnd_plan_forward(plan, xx, ww, NULL, yy, NULL, &err);
        if (CHECK(s == CONVND_OK, "default plan forward: %d %s", (int)s, err.msg) &&
            CHECK(convnd_forward(&keep, CONVND_ENGINE_REF, xx, ww, NULL, yr, &err) == CONVND_OK, "REF: %s", err.msg)) {
            double e = tu_rel_err(yy, CONVND_FLOAT64, yr, CONVND_FLOAT64, ny);
            CHECK(e <= TU_TOL_F64, "default plan forward after the caller's geometry changed: rel err %.3g", e);
        }
        /* output overlapping the input: EINVAL */
        s = convnd_plan_forward(plan, xx, ww, NULL, xx, NULL, &err);
        CHECK(s == CONVND_EINVAL, "plan_forward with output == input returned %d, want EINVAL", (int)s);
        /* NULL input / output */
        CHECK(convnd_plan_forward(plan, NULL, ww, NULL, yy, NULL, &err) == CONVND_EINVAL, "plan_forward input NULL");
        CHECK(convnd_plan_forward(plan, xx, ww, NULL, NULL, NULL, &err) == CONVND_EINVAL, "plan_forward output NULL");
        double *gx = tu_alloc(nx, CONVND_FLOAT64);
        CHECK(convnd_plan_backward(plan, xx, ww, NULL, gx, NULL, NULL, NULL, &err) == CONVND_EINVAL,
              "plan_backward grad_output NULL");
        free(gx);
        free(xx), free(ww), free(yy), free(yr);
        convnd_plan_destroy(plan);
    }
}

/* A REF plan: a caller workspace (of its size, maybe 0) changes nothing, and the header's rule
 * "CONVND_EINVAL also for ... a misaligned workspace" holds for it too. */
static void test_ref_plan_workspace(void) {
    convnd_geometry g = small_geometry(CONVND_FLOAT64);
    size_t nx = tu_count(&g, CONVND_TENSOR_INPUT), nw = tu_count(&g, CONVND_TENSOR_WEIGHT),
           ny = tu_count(&g, CONVND_TENSOR_OUTPUT);
    convnd_plan_options opt;
    convnd_plan_options_init(&opt);
    opt.engine = CONVND_ENGINE_REF;
    convnd_plan *plan = NULL;
    convnd_error err;
    convnd_status cs = convnd_plan_create(&g, &opt, &plan, &err);
    if (!CHECK_OK(cs, &err)) return;
    size_t wsz = convnd_plan_workspace_size(plan);
    double *x = tu_alloc(nx, CONVND_FLOAT64), *w = tu_alloc(nw, CONVND_FLOAT64), *y = tu_alloc(ny, CONVND_FLOAT64),
           *y2 = tu_alloc(ny, CONVND_FLOAT64);
    tu_rng r = {77};
    tu_fill_random(x, nx, CONVND_FLOAT64, &r);
    tu_fill_random(w, nw, CONVND_FLOAT64, &r);
    unsigned char *ws = ws_alloc(wsz + 64);
    convnd_status s1 = convnd_plan_forward(plan, x, w, NULL, y, NULL, &err);
    convnd_status s2 = convnd_plan_forward(plan, x, w, NULL, y2, ws, &err);
    CHECK(s1 == CONVND_OK && s2 == CONVND_OK && memcmp(y, y2, ny * sizeof(double)) == 0,
          "REF plan: caller workspace vs NULL: %d %d, results %s", (int)s1, (int)s2,
          memcmp(y, y2, ny * sizeof(double)) ? "differ" : "equal");
    memset(y2, 0x5A, ny * sizeof(double));
    memcpy(y, y2, ny * sizeof(double));
    s1 = convnd_plan_forward(plan, x, w, NULL, y2, ws + 8, &err);
    CHECK(s1 == CONVND_EINVAL && memcmp(y, y2, ny * sizeof(double)) == 0,
          "REF plan (workspace size %zu): forward with a misaligned workspace returned %d (want EINVAL), output %s",
          wsz, (int)s1, memcmp(y, y2, ny * sizeof(double)) ? "written" : "untouched");
    s1 = convnd_plan_backward(plan, x, w, y, NULL, NULL, y2, ws + 8, &err);
    CHECK(s1 == CONVND_EINVAL, "REF plan: backward with a misaligned workspace returned %d (want EINVAL)", (int)s1);
    free(ws), free(x), free(w), free(y), free(y2);
    convnd_plan_destroy(plan);
}

static void test_create_refusals(void) {
    convnd_geometry g = small_geometry(CONVND_FLOAT32);
    convnd_plan_options opt;
    convnd_error err;
    convnd_plan *plan;
    static const int bad_threads[] = {-1, -1000, CONVND_MAX_THREADS + 1, 1 << 30};
    for (size_t i = 0; i < sizeof bad_threads / sizeof bad_threads[0]; i++) {
        convnd_plan_options_init(&opt);
        opt.threads = bad_threads[i];
        plan = (convnd_plan *)&g;
        convnd_status s = convnd_plan_create(&g, &opt, &plan, &err);
        CHECK(s == CONVND_EINVAL && plan == NULL, "plan_create(threads %d) returned %d, plan %p; want EINVAL and NULL",
              bad_threads[i], (int)s, (void *)plan);
        if (s == CONVND_OK) convnd_plan_destroy(plan);
    }
    /* the limits themselves are accepted (created, not run) */
    static const int good_threads[] = {1, CONVND_MAX_THREADS};
    for (size_t i = 0; i < 2; i++) {
        convnd_plan_options_init(&opt);
        opt.threads = good_threads[i];
        plan = NULL;
        convnd_status s = convnd_plan_create(&g, &opt, &plan, &err);
        CHECK(s == CONVND_OK && plan, "plan_create(threads %d) returned %d: %s", good_threads[i], (int)s, err.msg);
        convnd_plan_destroy(plan);
    }
    /* unknown engine */
    convnd_plan_options_init(&opt);
    opt.engine = (convnd_engine)7;
    plan = (convnd_plan *)&g;
    convnd_status s = convnd_plan_create(&g, &opt, &plan, &err);
    CHECK(s == CONVND_EINVAL && plan == NULL, "plan_create(engine 7) returned %d; want EINVAL and plan NULL", (int)s);
    if (s == CONVND_OK) convnd_plan_destroy(plan);
    /* NULL geometry */
    plan = (convnd_plan *)&g;
    s = convnd_plan_create(NULL, NULL, &plan, &err);
    CHECK(s == CONVND_EINVAL && plan == NULL, "plan_create(g NULL) returned %d; want EINVAL and plan NULL", (int)s);

    /* invalid geometry: the status of convnd_geometry_check, plan NULL, for both engines */
    convnd_geometry bad[8];
    int nbad = 0;
    bad[nbad] = small_geometry(CONVND_FLOAT32), bad[nbad++].stride[0] = 0;           /* EGEOMETRY */
    bad[nbad] = small_geometry(CONVND_FLOAT32), bad[nbad++].groups = 2;              /* 2 !| 3 */
    bad[nbad] = small_geometry(CONVND_FLOAT32), bad[nbad++].rank = 0;                /* EINVAL */
    bad[nbad] = small_geometry(CONVND_FLOAT32), bad[nbad++].dtype = (convnd_dtype)5; /* EINVAL */
    bad[nbad] = small_geometry(CONVND_FLOAT32), bad[nbad].transposed = 1,
    bad[nbad++].padding_mode = CONVND_PAD_REFLECT; /* EUNSUPPORTED */
    bad[nbad] = small_geometry(CONVND_FLOAT32), bad[nbad].batch = INT64_MAX / 2,
    bad[nbad++].input_size[0] = INT64_MAX / 4; /* EOVERFLOW */
    bad[nbad] = small_geometry(CONVND_FLOAT32), bad[nbad++].input_size[1] = 0;
    bad[nbad] = small_geometry(CONVND_FLOAT32), bad[nbad++].output_padding[0] = 1; /* OP on a conv */
    for (int i = 0; i < nbad; i++)
        for (int e = 0; e < 2; e++) {
            convnd_status want = convnd_geometry_check(&bad[i], NULL);
            CHECK(want != CONVND_OK, "bad geometry %d accepted by convnd_geometry_check", i);
            convnd_plan_options_init(&opt);
            opt.engine = e ? CONVND_ENGINE_REF : CONVND_ENGINE_AUTO;
            plan = (convnd_plan *)&g;
            memset(&err, 0, sizeof err);
            s = convnd_plan_create(&bad[i], &opt, &plan, &err);
            CHECK(s == want && plan == NULL && err.code == want && err.msg[0],
                  "plan_create(bad geometry %d, %s) returned %d (err.code %d, \"%s\"), plan %p; convnd_geometry_check "
                  "says %d",
                  i, e ? "REF" : "AUTO", (int)s, (int)err.code, err.msg, (void *)plan, (int)want);
            if (s == CONVND_OK) convnd_plan_destroy(plan);
        }
}

/* Runs one small problem through an AUTO plan created under the current environment and
 * checks it against REF; returns the create status. */
static convnd_status env_plan_check(const char *label, int threads, const char *want_in_desc, void *y_out) {
    convnd_geometry g = small_geometry(CONVND_FLOAT64);
    g.in_channels = 9, g.out_channels = 10, g.input_size[1] = 50;
    size_t nx = tu_count(&g, CONVND_TENSOR_INPUT), nw = tu_count(&g, CONVND_TENSOR_WEIGHT),
           ny = tu_count(&g, CONVND_TENSOR_OUTPUT);
    convnd_plan_options opt;
    convnd_plan_options_init(&opt);
    opt.threads = threads;
    convnd_plan *plan = NULL;
    convnd_error err;
    memset(&err, 0, sizeof err);
    convnd_status s = convnd_plan_create(&g, &opt, &plan, &err);
    if (s != CONVND_OK) {
        CHECK(plan == NULL, "%s: failed create left *plan non-NULL", label);
        return s;
    }
    const char *desc = convnd_plan_describe(plan);
    if (want_in_desc)
        CHECK(strstr(desc, want_in_desc) != NULL, "%s: describe \"%s\" does not mention \"%s\"", label, desc, want_in_desc);
    tu_rng r = {4242};
    double *x = tu_alloc(nx, CONVND_FLOAT64), *w = tu_alloc(nw, CONVND_FLOAT64), *yr = tu_alloc(ny, CONVND_FLOAT64);
    double *y = y_out ? y_out : tu_alloc(ny, CONVND_FLOAT64);
    tu_fill_random(x, nx, CONVND_FLOAT64, &r);
    tu_fill_random(w, nw, CONVND_FLOAT64, &r);
    tu_poison(y, ny, CONVND_FLOAT64);
    s = convnd_plan_forward(plan, x, w, NULL, y, NULL, &err);
    if (CHECK(s == CONVND_OK, "%s: forward returned %d: %s", label, (int)s, err.msg) &&
        CHECK(convnd_forward(&g, CONVND_ENGINE_REF, x, w, NULL, yr, &err) == CONVND_OK, "REF: %s", err.msg)) {
        double e = tu_rel_err(y, CONVND_FLOAT64, yr, CONVND_FLOAT64, ny);
        CHECK(e <= TU_TOL_F64, "%s: forward rel err %.3g (plan \"%s\")", label, e, desc);
    }
    free(x), free(w), free(yr);
    if (!y_out) free(y);
    convnd_plan_destroy(plan);
    return CONVND_OK;
}

static void test_environment(void) {
    saved_env isa = env_save("CONVND_ISA"), nt = env_save("CONVND_NUM_THREADS");
    convnd_geometry g = small_geometry(CONVND_FLOAT32);
    convnd_plan *plan = (convnd_plan *)&g;
    convnd_error err;
    memset(&err, 0, sizeof err);
    setenv("CONVND_ISA", "bogus", 1);
    convnd_status s = convnd_plan_create(&g, NULL, &plan, &err);
    CHECK(s == CONVND_EINVAL && plan == NULL, "CONVND_ISA=bogus: plan_create returned %d (%s), want EINVAL, plan NULL",
          (int)s, err.msg);
    if (s == CONVND_OK) convnd_plan_destroy(plan);
    /* the REF engine does not depend on the ISA... the header only promises the error at plan
     * creation, so nothing is required of REF here */
    static const char *const isas[] = {"generic", "avx2", "avx512"};
    int ran = 0;
    for (int i = 0; i < 3; i++) {
        setenv("CONVND_ISA", isas[i], 1);
        char label[64];
        snprintf(label, sizeof label, "CONVND_ISA=%s", isas[i]);
        s = env_plan_check(label, 1, isas[i], NULL);
        CHECK(s == CONVND_OK || (s == CONVND_EUNSUPPORTED && i > 0), "%s: plan_create returned %d", label, (int)s);
        ran += s == CONVND_OK;
        if (s == CONVND_EUNSUPPORTED) printf("  %s: not supported here\n", label);
    }
    CHECK(ran >= 1, "no ISA could be forced");
    env_restore(&isa);

    /* CONVND_NUM_THREADS: the default thread count; same bits as threads = 1 */
    convnd_geometry gg = small_geometry(CONVND_FLOAT64);
    gg.in_channels = 9, gg.out_channels = 10, gg.input_size[1] = 50;
    size_t ny = tu_count(&gg, CONVND_TENSOR_OUTPUT);
    double *y1 = tu_alloc(ny, CONVND_FLOAT64), *y2 = tu_alloc(ny, CONVND_FLOAT64);
    unsetenv("CONVND_NUM_THREADS");
    s = env_plan_check("threads 1", 1, NULL, y1);
    CHECK(s == CONVND_OK, "threads 1 plan: %d", (int)s);
    setenv("CONVND_NUM_THREADS", "2", 1);
    s = env_plan_check("CONVND_NUM_THREADS=2", 0, NULL, y2);
    CHECK(s == CONVND_OK, "CONVND_NUM_THREADS=2 plan: %d", (int)s);
    CHECK(memcmp(y1, y2, ny * sizeof(double)) == 0, "CONVND_NUM_THREADS=2 changed the bits of the result");
    free(y1), free(y2);
    env_restore(&nt);
}

/* One plan executed from 4 pthreads at once, each on its own buffers, against a serial run. */
typedef struct worker {
    const convnd_plan *plan;
    const problem *p;
    const outs *serial;
    int use_ws, iters;
    int mismatches, errors;
} worker;

static void *worker_main(void *arg) {
    worker *wk = arg;
    const problem *p = wk->p;
    outs o;
    for (int q = 0; q < 4; q++) o.q[q] = tu_alloc(qcount(p, q), p->c.g.dtype);
    void *ws = wk->use_ws ? ws_alloc(convnd_plan_workspace_size(wk->plan)) : NULL;
    for (int it = 0; it < wk->iters; it++) {
        for (int q = 0; q < 4; q++) tu_poison(o.q[q], qcount(p, q), p->c.g.dtype);
        convnd_status s1 = convnd_plan_forward(wk->plan, p->x, p->w, p->c.bias ? p->b : NULL, o.q[0], ws, NULL);
        convnd_status s2 = convnd_plan_backward(wk->plan, p->x, p->w, p->gy, o.q[1], o.q[2], o.q[3], ws, NULL);
        if (s1 != CONVND_OK || s2 != CONVND_OK) {
            wk->errors++;
            continue;
        }
        for (int q = 0; q < 4; q++)
            wk->mismatches += memcmp(o.q[q], wk->serial->q[q], qcount(p, q) * tu_dtype_size(p->c.g.dtype)) != 0;
    }
    free(ws);
    for (int q = 0; q < 4; q++) free(o.q[q]);
    return NULL;
}

static void test_concurrent(tu_rng *r) {
    for (int ti = 0; ti < 2; ti++) {
        tcase c;
        memset(&c, 0, sizeof c);
        convnd_geometry_init(&c.g, 2, NULL);
        c.g.dtype = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
        c.g.transposed = ti;
        c.g.batch = 2;
        c.g.in_channels = 10, c.g.out_channels = 12, c.g.groups = 2;
        c.g.input_size[0] = 9, c.g.input_size[1] = 30;
        c.g.kernel_size[0] = 3, c.g.kernel_size[1] = 3;
        c.g.pad_lo[0] = c.g.pad_hi[0] = 1, c.g.pad_lo[1] = 2;
        c.g.stride[1] = 2;
        c.bias = 1;
        c.kind = "concurrency";
        problem p;
        if (!problem_init(&p, &c, r)) {
            problem_free(&p);
            continue;
        }
        convnd_plan *plan = make_plan(&p, CONVND_ENGINE_AUTO, 2, NULL);
        outs serial;
        outs_alloc(&p, &serial);
        if (plan && run_plan(&p, plan, &serial, 0, "serial")) {
            check_outs(&p, &serial, "concurrency serial", convnd_plan_describe(plan));
            enum { NT = 4 };
            pthread_t th[NT];
            worker wk[NT];
            int started[NT] = {0};
            for (int i = 0; i < NT; i++) {
                wk[i] = (worker){plan, &p, &serial, i % 2, TF_SANITIZED ? 2 : 4, 0, 0};
                started[i] = pthread_create(&th[i], NULL, worker_main, &wk[i]) == 0;
                CHECK(started[i], "pthread_create failed");
            }
            for (int i = 0; i < NT; i++) {
                if (!started[i]) continue;
                pthread_join(th[i], NULL);
                CHECK(wk[i].errors == 0 && wk[i].mismatches == 0,
                      "thread %d of %d executing one plan at once: %d errors, %d results differing from the serial run "
                      "%s",
                      i, NT, wk[i].errors, wk[i].mismatches, case_label(&p));
            }
        }
        outs_free(&serial);
        convnd_plan_destroy(plan);
        problem_free(&p);
    }
}

/* The workspace is bounded by about one sample's input and output plus the weights: for a
 * 3-D 3x3x3 conv it must stay below 4x (input + output + weight) bytes; an im2col would need
 * 27x the input. Batch 1, so "one sample" is the whole tensor. */
static void test_workspace_bound(void) {
    static const int64_t chans[][2] = {{16, 16}, {4, 4}, {3, 32}, {32, 3}};
    for (int ti = 0; ti < 2; ti++)
        for (int tr = 0; tr < 2; tr++)
            for (size_t ci = 0; ci < sizeof chans / sizeof chans[0]; ci++) {
                convnd_geometry g;
                convnd_geometry_init(&g, 3, NULL);
                g.dtype = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
                g.transposed = tr;
                g.batch = 1;
                g.in_channels = chans[ci][0], g.out_channels = chans[ci][1];
                for (int a = 0; a < 3; a++) {
                    g.input_size[a] = 16;
                    g.kernel_size[a] = 3;
                    g.pad_lo[a] = g.pad_hi[a] = 1;
                }
                size_t es = tu_dtype_size(g.dtype);
                size_t bytes = (tu_count(&g, CONVND_TENSOR_INPUT) + tu_count(&g, CONVND_TENSOR_OUTPUT) +
                                tu_count(&g, CONVND_TENSOR_WEIGHT)) *
                               es;
                for (int packed = 0; packed < 2; packed++) {
                    convnd_plan_options opt;
                    convnd_plan_options_init(&opt);
                    void *w = NULL;
                    if (packed) {
                        w = tu_alloc(tu_count(&g, CONVND_TENSOR_WEIGHT), g.dtype);
                        memset(w, 0, tu_count(&g, CONVND_TENSOR_WEIGHT) * es);
                        opt.weight = w;
                    }
                    convnd_plan *plan = NULL;
                    convnd_error err;
                    convnd_status s = convnd_plan_create(&g, &opt, &plan, &err);
                    if (CHECK(s == CONVND_OK, "workspace bound: plan_create %d %s", (int)s, err.msg)) {
                        size_t ws = convnd_plan_workspace_size(plan);
                        CHECK(ws < 4 * bytes,
                              "workspace %zu bytes >= 4 x (input + output + weight) = %zu for %s%s (plan \"%s\")", ws,
                              4 * bytes, tu_describe(&g), packed ? " [packed]" : "", convnd_plan_describe(plan));
                        if (ci == 0 && !packed)
                            printf("  workspace %s %s 16^3 C16: %zu bytes (%.2f x tensors)\n", dname(g.dtype),
                                   tr ? "transposed" : "conv", ws, (double)ws / (double)bytes);
                    }
                    convnd_plan_destroy(plan);
                    free(w);
                }
            }
}

/* ============================================================================================
 * Driver
 * ========================================================================================== */

int main(void) {
    uint64_t seed = 0xFA57C0DE2025ull;
    const char *env = getenv("CONVND_TEST_SEED");
    if (env && *env) {
        char *end = NULL;
        unsigned long long v = strtoull(env, &end, 0);
        if (end && *end == '\0') seed = (uint64_t)v;
    }
    g_scale = TF_SANITIZED ? 0.75 : 1.0;
    const char *sc = getenv("CONVND_TEST_SCALE");
    if (sc && *sc) {
        char *end = NULL;
        double v = strtod(sc, &end);
        if (end && *end == '\0' && v > 0) g_scale = v;
    }
    const char *verbose = getenv("CONVND_TEST_VERBOSE");
    g_verbose = verbose && *verbose && strcmp(verbose, "0") != 0;
    const char *mut = getenv("CONVND_FAST_MUTATE");
    if (mut && *mut) g_mutate = mut[0];
    const char *isa_env = getenv("CONVND_ISA");
    const char *wait = getenv("OMP_WAIT_POLICY");
    printf("test_fast: seed %llu (CONVND_TEST_SEED), scale %g (CONVND_TEST_SCALE)%s, CONVND_ISA=%s, "
           "OMP_WAIT_POLICY=%s\n",
           (unsigned long long)seed, g_scale, TF_SANITIZED ? ", sanitizer build" : "", isa_env ? isa_env : "(unset)",
           wait ? wait : "(unset)");
    tu_rng r = {seed};
    double t0 = now_sec();

    test_options_and_null();
    test_create_refusals();
    test_ref_plan_workspace();
    test_environment();
    test_workspace_bound();
    double t_api = now_sec();
    test_concurrent(&r);
    double t_conc = now_sec();

    /* fixed cases, both dtypes */
    int idx = 0;
    for (size_t i = 0; i < sizeof FIXED / sizeof FIXED[0]; i++)
        for (int ti = 0; ti < 2; ti++) {
            tcase c;
            if (fixed_case(&FIXED[i], ti ? CONVND_FLOAT64 : CONVND_FLOAT32, &c)) run_case(&c, &r, idx++);
        }
    double t_fixed = now_sec();

    /* random cases: kinds weighted toward the general one, dtypes alternating */
    static const int kinds[] = {K_GENERAL, K_GENERAL, K_GENERAL, K_POINTWISE, K_DEPTHWISE, K_BIGSTRIDE, K_WGRAD,
                                K_GENERAL, K_LONG1D,  K_GENERAL, K_POINTWISE, K_WGRAD,   K_TALL};
    int ncases = (int)(NCASES * g_scale + 0.5);
    if (ncases < 12) ncases = 12;
    for (int i = 0; i < ncases; i++) {
        tcase c;
        int kind = kinds[i % (int)(sizeof kinds / sizeof kinds[0])];
        convnd_dtype t = (i / 12) % 2 ? CONVND_FLOAT64 : CONVND_FLOAT32;
        if (i % 2) t = t == CONVND_FLOAT64 ? CONVND_FLOAT32 : CONVND_FLOAT64;
        if (gen_case(&r, kind, t, &c)) run_case(&c, &r, idx++);
    }
    double t_end = now_sec();

    printf("  %ld cases (%d random): rank 1..8 %ld/%ld/%ld/%ld/%ld/%ld/%ld/%ld; transposed %ld, batched %ld, grouped %ld, "
           "depthwise %ld, multiplier %ld, pad modes %ld, f32 %ld, bias %ld, asym pad %ld, out_pad %ld, "
           "stride>kernel %ld, dilated %ld, 1x1 %ld, long 1-D %ld, >16 channels %ld\n",
           st.cases, ncases, st.by_rank[1], st.by_rank[2], st.by_rank[3], st.by_rank[4], st.by_rank[5], st.by_rank[6],
           st.by_rank[7], st.by_rank[8], st.transposed,
           st.batched, st.grouped, st.depthwise, st.multiplier, st.modes, st.f32, st.bias, st.asym, st.outpad,
           st.stride_gt_kernel, st.dilated, st.pointwise, st.long1d, st.big_channels);
    printf("  %ld accuracy comparisons (%ld passed only with the |inputs| floor: y %ld, gx %ld, gw %ld, gb %ld; "
           "their plain error up to %.3g), %ld bitwise comparisons\n",
           st.accuracy_checks, st.rescued, st.rescued_q[0], st.rescued_q[1], st.rescued_q[2], st.rescued_q[3],
           st.worst_rescued, st.bitwise_checks);
    for (int ti = 0; ti < 2; ti++)
        for (int q = 0; q < 4; q++)
            printf("  worst %s %-11s %.3g  %s\n", ti ? "f64" : "f32", qname[q], st.worst[ti][q], st.worst_geo[ti][q]);
    printf("  time: API %.2f s, concurrency %.2f s, fixed %.2f s, random %.2f s\n", t_api - t0, t_conc - t_api,
           t_fixed - t_conc, t_end - t_fixed);
    if (st.failing_cases) printf("  %ld failing cases\n", st.failing_cases);
    return tu_finish("test_fast");
}
