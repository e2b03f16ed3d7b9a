/* test_properties.c -- algebraic properties of convnd on random geometry.
 *
 * Every property below holds exactly over the reals; the checks allow only rounding. Geometry is
 * random but seeded: the seed is printed first, and CONVND_TEST_SEED=<n> (decimal or 0x hex)
 * reproduces a run. Ranks 1..5, conv and transposed, batched and unbatched, groups (depthwise
 * too), per-axis stride and dilation, asymmetric padding, output_padding, the padding modes and
 * both dtypes are all drawn; every generated geometry is first validated with
 * convnd_geometry_check, which must agree with the header's rules.
 *
 *   a  adjointness of the input derivative   <fwd(x; W), g> == <x, grad_input(g)>
 *   b  linearity in W                         <fwd(x; W), g> == <W, grad_weight(x, g)>
 *   c  bias                                   grad_bias == sum of g; fwd(x;W,b) - fwd(x;W) == b
 *   d  duality conv <-> transposed            the three identities of SPEC-NOTES
 *   e  finite differences (float64)           of L = sum(g * fwd(x; W, b)) in x, W and b
 *   f  rank decomposition                     a d-D conv is a sum of (d-1)-D convs over k0
 *   g  batching                               batched == per-sample calls stacked / summed
 *   h  groups                                 grouped == G separate convs on channel slices
 *   i  no NaN left                            every output is NaN-poisoned before each call
 *   j  float32 vs float64                     norm-wise relative error < 1e-5
 *
 * A self-test of the checks: CONVND_PROPERTIES_MUTATE=<letter> perturbs one computed result of
 * that property (for e every gradient element, for i one output left NaN) before it is checked;
 * the run must then fail. Unset (the default), nothing is perturbed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convnd.h"
#include "testutil.h"

/* Geometries per property. */
#define NGEO 300

/* Exact-ish tolerances, relative to the magnitude of the terms summed (the same computation on
 * |inputs|): float64 rounding over a few thousand terms stays below 1e-13, float32 below 1e-5. */
#define TOL_EXACT_F64 1e-12
#define TOL_EXACT_F32 1e-4
/* Finite differences: relative to the largest gradient element. */
#define TOL_FD 1e-7
/* Step of the central differences (2^-20, about 1e-6, exactly representable). */
#define FD_STEP 0x1p-20

static convnd_engine g_engine = CONVND_ENGINE_AUTO;
static char g_mutate = 0;

/* ============================================================================================
 * Small helpers
 * ========================================================================================== */

static double tol_exact(convnd_dtype t) { return t == CONVND_FLOAT64 ? TOL_EXACT_F64 : TOL_EXACT_F32; }

static size_t prod(const int64_t *v, int n) {
    size_t p = 1;
    for (int a = 0; a < n; a++) p *= (size_t)v[a];
    return p;
}

static void *at(void *buf, size_t i, convnd_dtype t) { return (char *)buf + i * tu_dtype_size(t); }
static const void *cat(const void *buf, size_t i, convnd_dtype t) {
    return (const char *)buf + i * tu_dtype_size(t);
}

static void copy_elems(void *dst, size_t di, const void *src, size_t si, size_t n, convnd_dtype t) {
    memcpy(at(dst, di, t), cat(src, si, t), n * tu_dtype_size(t));
}

static void *dup_buf(const void *src, size_t n, convnd_dtype t) {
    void *d = tu_alloc(n, t);
    if (n) memcpy(d, src, n * tu_dtype_size(t));
    return d;
}

static void *abs_buf(const void *src, size_t n, convnd_dtype t) {
    void *d = tu_alloc(n, t);
    for (size_t i = 0; i < n; i++) tu_set(d, i, t, fabs(tu_get(src, i, t)));
    return d;
}

static double *zeros_f64(size_t n) {
    double *d = calloc(n ? n : 1, sizeof(double));
    if (!d) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return d;
}

static double inf_norm(const void *b, size_t n, convnd_dtype t) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(tu_get(b, i, t)));
    return m;
}

static double l2_norm(const void *b, size_t n, convnd_dtype t) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += tu_get(b, i, t) * tu_get(b, i, t);
    return sqrt(s);
}

static double l2_diff(const void *a, convnd_dtype ta, const void *b, convnd_dtype tb, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = tu_get(a, i, ta) - tu_get(b, i, tb);
        s += d * d;
    }
    return sqrt(s);
}

static size_t nlead(const convnd_geometry *g) { return g->batch > 0 ? (size_t)g->batch : 1; }

static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

/* The self-test hook: perturbs element i of buf when property `p` is being mutated. */
static void mutate_one(char p, void *buf, size_t n, convnd_dtype t) {
    if (g_mutate != p || n == 0) return;
    size_t i = (n - 1) / 2;
    double v = tu_get(buf, i, t);
    tu_set(buf, i, t, v + 1e-3 * (1 + fabs(v)));
}

static void mutate_all(char p, void *buf, size_t n, convnd_dtype t) {
    if (g_mutate != p) return;
    for (size_t i = 0; i < n; i++) {
        double v = tu_get(buf, i, t);
        tu_set(buf, i, t, v + 1e-5 * (1 + fabs(v)));
    }
}

/* ============================================================================================
 * Statistics of one property
 * ========================================================================================== */

typedef struct prop_stats {
    const char *name;
    int geos;
    int by_rank[6];
    int transposed, batched, grouped, depthwise, modes, f32, asym, outpad, strided, dilated;
    long comparisons;
    long bitwise; /* comparisons whose two sides were identical (informational) */
    double worst; /* largest error / bound seen */
    char worst_geo[512];
    double seconds;
} prop_stats;

static void stats_note_geometry(prop_stats *ps, const convnd_geometry *g) {
    ps->geos++;
    ps->by_rank[g->rank]++;
    ps->transposed += g->transposed != 0;
    ps->batched += g->batch != CONVND_UNBATCHED;
    ps->grouped += g->groups > 1;
    ps->depthwise += g->groups > 1 && g->in_channels == g->groups;
    ps->modes += g->padding_mode != CONVND_PAD_ZEROS;
    ps->f32 += g->dtype == CONVND_FLOAT32;
    int asym = 0, op = 0, s = 0, d = 0;
    for (int a = 0; a < g->rank; a++) {
        asym |= g->pad_lo[a] != g->pad_hi[a];
        op |= g->output_padding[a] != 0;
        s |= g->stride[a] > 1;
        d |= g->dilation[a] > 1;
    }
    ps->asym += asym;
    ps->outpad += op;
    ps->strided += s;
    ps->dilated += d;
}

static void stats_note_ratio(prop_stats *ps, const convnd_geometry *g, double err, double bound) {
    double r = bound > 0 ? err / bound : (err == 0 ? 0 : INFINITY);
    if (isnan(r)) r = INFINITY;
    if (r > ps->worst) {
        ps->worst = r;
        snprintf(ps->worst_geo, sizeof ps->worst_geo, "%s", tu_describe(g));
    }
    ps->comparisons++;
}

static void stats_print(const prop_stats *ps) {
    printf("  %-26s %3d geometries (rank1..5: %d/%d/%d/%d/%d; transposed %d, batched %d, grouped %d, "
           "depthwise %d, pad modes %d, f32 %d, asym pad %d, out_pad %d, stride>1 %d, dilation>1 %d); "
           "%ld comparisons (%ld bitwise equal), worst err/bound %.3g%s%s%s; %.3f s\n",
           ps->name, ps->geos, ps->by_rank[1], ps->by_rank[2], ps->by_rank[3], ps->by_rank[4], ps->by_rank[5],
           ps->transposed, ps->batched, ps->grouped, ps->depthwise, ps->modes, ps->f32, ps->asym, ps->outpad,
           ps->strided, ps->dilated, ps->comparisons, ps->bitwise, ps->worst, ps->worst > 0 ? " [" : "",
           ps->worst > 0 ? ps->worst_geo : "", ps->worst > 0 ? "]" : "", ps->seconds);
}

/* ============================================================================================
 * Checks
 * ========================================================================================== */

/* |got - want| <= tol * scale */
static int check_scalar(prop_stats *ps, const convnd_geometry *g, const char *what, double got, double want,
                        double scale, double tol) {
    double err = fabs(got - want), bound = tol * scale;
    if (isnan(err)) err = INFINITY;
    stats_note_ratio(ps, g, err, bound);
    if (err == 0) ps->bitwise++;
    return CHECK(err <= bound, "%s: got %.17g, want %.17g: |diff| %.3g > bound %.3g (tol %.0e x scale %.6g) [%s]",
                 what, got, want, err, bound, tol, scale, tu_describe(g));
}

/* max_i |got_i - want_i| <= tol * scale */
static int check_tensor(prop_stats *ps, const convnd_geometry *g, const char *what, const void *got,
                        convnd_dtype gt, const void *want, convnd_dtype wt, size_t n, double scale, double tol) {
    size_t where = 0;
    double err = tu_max_abs_err(got, gt, want, wt, n, &where), bound = tol * scale;
    stats_note_ratio(ps, g, err, bound);
    if (err == 0) ps->bitwise++;
    return CHECK(err <= bound,
                 "%s: max |diff| %.3g at element %zu of %zu (got %.17g, want %.17g) > bound %.3g "
                 "(tol %.0e x scale %.6g) [%s]",
                 what, err, where, n, n ? tu_get(got, where, gt) : 0.0, n ? tu_get(want, where, wt) : 0.0, bound,
                 tol, scale, tu_describe(g));
}

/* ============================================================================================
 * Calls: every output is poisoned with NaN first and must hold no NaN afterwards (property i)
 * ========================================================================================== */

static long g_nan_checked; /* output tensors checked for leftover NaN */

static int check_no_nan(const convnd_geometry *g, const char *what, const char *which, void *buf, size_t n) {
    if (g_mutate == 'i' && n) tu_set(buf, n / 2, g->dtype, NAN);
    size_t nan = tu_count_nan(buf, n, g->dtype);
    g_nan_checked++;
    return CHECK(nan == 0, "%s: %s left %zu of %zu elements NaN (poisoned before the call) [%s]", what, which, nan,
                 n, tu_describe(g));
}

static int fwd(const convnd_geometry *g, const void *x, const void *w, const void *b, void *y, const char *what) {
    size_t ny = tu_count(g, CONVND_TENSOR_OUTPUT);
    convnd_error err;
    memset(&err, 0, sizeof err);
    tu_poison(y, ny, g->dtype);
    convnd_status st = convnd_forward(g, g_engine, x, w, b, y, &err);
    if (!CHECK(st == CONVND_OK, "%s: convnd_forward returned %d (%s): %s [%s]", what, (int)st, convnd_strerror(st),
               err.msg, tu_describe(g)))
        return 0;
    return check_no_nan(g, what, "forward output", y, ny);
}

static int bwd(const convnd_geometry *g, const void *x, const void *w, const void *gy, void *gx, void *gw, void *gb,
               const char *what) {
    size_t nx = tu_count(g, CONVND_TENSOR_INPUT), nw = tu_count(g, CONVND_TENSOR_WEIGHT),
           nb = tu_count(g, CONVND_TENSOR_BIAS);
    convnd_error err;
    memset(&err, 0, sizeof err);
    if (gx) tu_poison(gx, nx, g->dtype);
    if (gw) tu_poison(gw, nw, g->dtype);
    if (gb) tu_poison(gb, nb, g->dtype);
    convnd_status st = convnd_backward(g, g_engine, x, w, gy, gx, gw, gb, &err);
    if (!CHECK(st == CONVND_OK, "%s: convnd_backward(%s%s%s) returned %d (%s): %s [%s]", what, gx ? "gx " : "",
               gw ? "gw " : "", gb ? "gb" : "", (int)st, convnd_strerror(st), err.msg, tu_describe(g)))
        return 0;
    int ok = 1;
    if (gx) ok &= check_no_nan(g, what, "grad_input", gx, nx);
    if (gw) ok &= check_no_nan(g, what, "grad_weight", gw, nw);
    if (gb) ok &= check_no_nan(g, what, "grad_bias", gb, nb);
    return ok;
}

/* forward(|x|; |w|, |b|): every output bounds the sum of |terms| of the same output. */
static void *abs_fwd(const convnd_geometry *g, const void *x, const void *w, const void *b) {
    convnd_dtype t = g->dtype;
    size_t nx = tu_count(g, CONVND_TENSOR_INPUT), nw = tu_count(g, CONVND_TENSOR_WEIGHT),
           nb = tu_count(g, CONVND_TENSOR_BIAS), ny = tu_count(g, CONVND_TENSOR_OUTPUT);
    void *ax = abs_buf(x, nx, t), *aw = abs_buf(w, nw, t), *ab = b ? abs_buf(b, nb, t) : NULL;
    void *y = tu_alloc(ny, t);
    if (!fwd(g, ax, aw, ab, y, "scale/forward")) tu_poison(y, ny, t);
    free(ax), free(aw), free(ab);
    return y;
}

/* The three gradients on |inputs|, for scales. Each out pointer may be NULL. */
static void abs_bwd(const convnd_geometry *g, const void *x, const void *w, const void *gy, void **gx, void **gw,
                    void **gb) {
    convnd_dtype t = g->dtype;
    size_t nx = tu_count(g, CONVND_TENSOR_INPUT), nw = tu_count(g, CONVND_TENSOR_WEIGHT),
           nb = tu_count(g, CONVND_TENSOR_BIAS), ny = tu_count(g, CONVND_TENSOR_OUTPUT);
    void *ax = abs_buf(x, nx, t), *aw = abs_buf(w, nw, t), *agy = abs_buf(gy, ny, t);
    void *ogx = tu_alloc(nx, t), *ogw = tu_alloc(nw, t), *ogb = tu_alloc(nb, t);
    if (!bwd(g, ax, aw, agy, ogx, ogw, ogb, "scale/backward")) {
        tu_poison(ogx, nx, t), tu_poison(ogw, nw, t), tu_poison(ogb, nb, t);
    }
    free(ax), free(aw), free(agy);
    if (gx) *gx = ogx; else free(ogx);
    if (gw) *gw = ogw; else free(ogw);
    if (gb) *gb = ogb; else free(ogb);
}

static double abs_fwd_inf(const convnd_geometry *g, const void *x, const void *w, const void *b) {
    void *y = abs_fwd(g, x, w, b);
    double s = inf_norm(y, tu_count(g, CONVND_TENSOR_OUTPUT), g->dtype);
    free(y);
    return s;
}

/* ============================================================================================
 * Random geometry
 * ========================================================================================== */

typedef struct gen_opts {
    int rank;
    int transposed;    /* 0 conv, 1 transposed */
    convnd_dtype dtype;
    int batched;       /* -1 random, 0 unbatched, 1 batched with N >= 2 */
    int grouped;       /* -1 random, 1 G >= 2 */
    int modes;         /* conv: 1 may draw a padding mode other than zeros */
} gen_opts;

/* Per-rank limits, index = rank; sized so the reference engine stays fast under ASan. */
static const int64_t LIM_I[6] = {0, 12, 7, 5, 4, 3};
static const int64_t MIN_I[6] = {0, 1, 1, 1, 2, 2};
static const int64_t LIM_K[6] = {0, 5, 3, 3, 2, 2};
static const int64_t LIM_S[6] = {0, 3, 3, 2, 2, 2};
static const int64_t LIM_D[6] = {0, 3, 2, 2, 2, 2};
static const int64_t LIM_P[6] = {0, 3, 2, 2, 1, 1};
/* Element budget of one problem. */
#define MAX_X 2000
#define MAX_Y 2000
#define MAX_W 400
#define MAX_MACS 20000

static long gen_candidates, gen_rejected, gen_over_budget, gen_returned;

/* The header's per-axis validity rules, restated independently of the library. */
static int axis_valid(const convnd_geometry *g, int a) {
    int64_t I = g->input_size[a], K = g->kernel_size[a], S = g->stride[a], D = g->dilation[a];
    int64_t lo = g->pad_lo[a], hi = g->pad_hi[a], OP = g->output_padding[a];
    if (I < 1 || K < 1 || S < 1 || D < 1 || lo < 0 || hi < 0 || OP < 0) return 0;
    if (g->transposed) {
        if (OP >= imax(S, D)) return 0;
        return (I - 1) * S - lo - hi + D * (K - 1) + OP + 1 >= 1;
    }
    if (OP != 0) return 0;
    if (I + lo + hi < D * (K - 1) + 1) return 0;
    if (g->padding_mode == CONVND_PAD_REFLECT && (lo >= I || hi >= I)) return 0;
    if (g->padding_mode == CONVND_PAD_CIRCULAR && (lo > I || hi > I)) return 0;
    return 1;
}

static int64_t axis_out(const convnd_geometry *g, int a) {
    int64_t I = g->input_size[a], K = g->kernel_size[a], S = g->stride[a], D = g->dilation[a];
    int64_t lo = g->pad_lo[a], hi = g->pad_hi[a], OP = g->output_padding[a];
    if (g->transposed) return (I - 1) * S - lo - hi + D * (K - 1) + OP + 1;
    return (I + lo + hi - D * (K - 1) - 1) / S + 1;
}

static void draw_axis(tu_rng *r, convnd_geometry *g, int a, int wild) {
    int rk = g->rank;
    int64_t extra = wild ? 1 : 0;
    g->kernel_size[a] = tu_range(r, 1, LIM_K[rk]);
    g->stride[a] = tu_range(r, 1, LIM_S[rk]);
    g->dilation[a] = tu_range(r, 1, LIM_D[rk]);
    g->input_size[a] = tu_range(r, wild ? 1 : MIN_I[rk], LIM_I[rk]);
    g->pad_lo[a] = tu_range(r, 0, LIM_P[rk] + extra);
    /* asymmetric padding is the common case, symmetric a third of the time */
    g->pad_hi[a] = tu_range(r, 0, 2) == 0 ? g->pad_lo[a] : tu_range(r, 0, LIM_P[rk] + extra);
    g->output_padding[a] = 0;
    if (g->transposed)
        g->output_padding[a] = tu_range(r, 0, imax(g->stride[a], g->dilation[a]) - 1 + extra);
    else if (wild && tu_range(r, 0, 9) == 0)
        g->output_padding[a] = 1; /* invalid on a conv */
}

/* Draws a valid geometry within the budget. Each candidate is validated by the library, which
 * must agree with axis_valid(); about 5% of candidates are drawn "wild" (no per-axis fixing) so
 * that refusals are exercised too. */
static int gen_geometry(tu_rng *r, const gen_opts *o, convnd_geometry *g) {
    for (int attempt = 0; attempt < 2000; attempt++) {
        convnd_error err;
        memset(&err, 0, sizeof err);
        convnd_status st = convnd_geometry_init(g, o->rank, &err);
        if (!CHECK_OK(st, &err)) return 0;
        g->transposed = o->transposed;
        g->dtype = o->dtype;
        g->padding_mode = CONVND_PAD_ZEROS;
        if (!o->transposed && o->modes && tu_range(r, 0, 1))
            g->padding_mode = (convnd_padding_mode)tu_range(r, CONVND_PAD_REFLECT, CONVND_PAD_CIRCULAR);
        int batched = o->batched < 0 ? (tu_range(r, 0, 4) >= 2) : o->batched;
        g->batch = !batched ? CONVND_UNBATCHED : tu_range(r, o->batched == 1 ? 2 : 1, 3);
        int grouped = o->grouped < 0 ? (int)tu_range(r, 0, 1) : o->grouped;
        if (grouped) {
            g->groups = tu_range(r, 2, 3);
            int depthwise = tu_range(r, 0, 2) == 0;
            g->in_channels = g->groups * (depthwise ? 1 : tu_range(r, 1, 2));
            g->out_channels = g->groups * tu_range(r, 1, 2);
        } else {
            g->groups = 1;
            g->in_channels = tu_range(r, 1, 3);
            g->out_channels = tu_range(r, 1, 3);
        }
        int wild = tu_range(r, 0, 19) == 0;
        int expect = 1;
        for (int a = 0; a < g->rank; a++) {
            for (int tries = 0; tries < 100; tries++) {
                draw_axis(r, g, a, wild);
                if (wild || axis_valid(g, a)) break;
            }
            expect &= axis_valid(g, a);
        }
        gen_candidates++;
        st = convnd_geometry_check(g, &err);
        if (!CHECK((st == CONVND_OK) == expect,
                   "convnd_geometry_check returned %d (%s: %s) but the header's rules say %s [%s]", (int)st,
                   convnd_strerror(st), err.msg, expect ? "valid" : "invalid", tu_describe(g)))
            continue;
        if (st != CONVND_OK) {
            gen_rejected++;
            CHECK(st == CONVND_EGEOMETRY, "invalid geometry refused with %d (%s), expected CONVND_EGEOMETRY: %s [%s]",
                  (int)st, convnd_strerror(st), err.msg, tu_describe(g));
            continue;
        }
        /* accepted: the output size must follow the header's formula, the shapes the layouts */
        int64_t out[CONVND_MAX_RANK];
        st = convnd_output_size(g, out, &err);
        if (!CHECK_OK(st, &err)) continue;
        int sizes_ok = 1;
        for (int a = 0; a < g->rank; a++)
            sizes_ok &= CHECK(out[a] == axis_out(g, a), "axis %d: convnd_output_size %lld, formula %lld [%s]", a,
                              (long long)out[a], (long long)axis_out(g, a), tu_describe(g));
        if (!sizes_ok) continue;
        size_t N = nlead(g), cg = (size_t)(g->in_channels / g->groups), og = (size_t)(g->out_channels / g->groups);
        size_t SI = prod(g->input_size, g->rank), SO = prod(out, g->rank), SK = prod(g->kernel_size, g->rank);
        size_t nx = N * (size_t)g->in_channels * SI, ny = N * (size_t)g->out_channels * SO;
        size_t nw = (size_t)g->in_channels * og * SK;
        CHECK(tu_count(g, CONVND_TENSOR_INPUT) == nx && tu_count(g, CONVND_TENSOR_OUTPUT) == ny &&
                  tu_count(g, CONVND_TENSOR_WEIGHT) == nw &&
                  tu_count(g, CONVND_TENSOR_BIAS) == (size_t)g->out_channels,
              "tensor_shape counts x %zu y %zu w %zu b %zu, expected %zu %zu %zu %lld [%s]",
              tu_count(g, CONVND_TENSOR_INPUT), tu_count(g, CONVND_TENSOR_OUTPUT), tu_count(g, CONVND_TENSOR_WEIGHT),
              tu_count(g, CONVND_TENSOR_BIAS), nx, ny, nw, (long long)g->out_channels, tu_describe(g));
        size_t macs = (g->transposed ? nx * og : ny * cg) * SK;
        if (nx > MAX_X || ny > MAX_Y || nw > MAX_W || macs > MAX_MACS) {
            gen_over_budget++;
            continue;
        }
        gen_returned++;
        return 1;
    }
    CHECK(0, "no valid geometry within budget after 2000 candidates (rank %d, transposed %d)", o->rank,
          o->transposed);
    return 0;
}

/* The default plan of geometry i: ranks cycle 1..5, conv/transposed and dtype alternate. */
static void default_opts(int i, gen_opts *o) {
    o->rank = 1 + i % 5;
    o->transposed = (i / 5) % 2;
    o->dtype = (i / 10) % 2 ? CONVND_FLOAT32 : CONVND_FLOAT64;
    o->batched = -1;
    o->grouped = -1;
    o->modes = 1;
}

/* ============================================================================================
 * One problem: a geometry and random x, W, b, grad_output
 * ========================================================================================== */

typedef struct problem {
    convnd_geometry g;
    size_t nx, nw, nb, ny;
    size_t si, so, sk; /* spatial element counts of input, output, kernel */
    int64_t out[CONVND_MAX_RANK];
    void *x, *w, *b, *gy;
} problem;

static void problem_init(problem *p, const convnd_geometry *g, tu_rng *r) {
    convnd_error err;
    p->g = *g;
    convnd_status st = convnd_output_size(g, p->out, &err);
    if (st != CONVND_OK) {
        fprintf(stderr, "problem_init: %s\n", err.msg);
        abort();
    }
    p->nx = tu_count(g, CONVND_TENSOR_INPUT);
    p->nw = tu_count(g, CONVND_TENSOR_WEIGHT);
    p->nb = tu_count(g, CONVND_TENSOR_BIAS);
    p->ny = tu_count(g, CONVND_TENSOR_OUTPUT);
    p->si = prod(g->input_size, g->rank);
    p->so = prod(p->out, g->rank);
    p->sk = prod(g->kernel_size, g->rank);
    p->x = tu_alloc(p->nx, g->dtype);
    p->w = tu_alloc(p->nw, g->dtype);
    p->b = tu_alloc(p->nb, g->dtype);
    p->gy = tu_alloc(p->ny, g->dtype);
    tu_fill_random(p->x, p->nx, g->dtype, r);
    tu_fill_random(p->w, p->nw, g->dtype, r);
    tu_fill_random(p->b, p->nb, g->dtype, r);
    tu_fill_random(p->gy, p->ny, g->dtype, r);
}

static void problem_free(problem *p) {
    free(p->x), free(p->w), free(p->b), free(p->gy);
    p->x = p->w = p->b = p->gy = NULL;
}

/* <forward(|x|; |W|), |g|>: the sum of |x * w * g| over every term of <forward(x; W), g>. */
static double dot_scale(const problem *p) {
    const convnd_geometry *g = &p->g;
    void *ya = abs_fwd(g, p->x, p->w, NULL), *agy = abs_buf(p->gy, p->ny, g->dtype);
    double s = tu_dot(ya, agy, p->ny, g->dtype);
    free(ya), free(agy);
    return s;
}

/* ============================================================================================
 * a. Adjointness of the input derivative
 * ========================================================================================== */

static void prop_adjoint(const problem *p, tu_rng *r, prop_stats *ps) {
    (void)r;
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    void *y = tu_alloc(p->ny, t), *gx = tu_alloc(p->nx, t);
    /* input = NULL: grad_input alone needs only the weight */
    if (fwd(g, p->x, p->w, NULL, y, "a/forward") && bwd(g, NULL, p->w, p->gy, gx, NULL, NULL, "a/grad_input")) {
        mutate_one('a', gx, p->nx, t);
        double lhs = tu_dot(y, p->gy, p->ny, t), rhs = tu_dot(p->x, gx, p->nx, t);
        double scale = fmax(dot_scale(p), fmax(tu_dot_abs(y, p->gy, p->ny, t), tu_dot_abs(p->x, gx, p->nx, t)));
        check_scalar(ps, g, "a: <forward(x;W), g> vs <x, grad_input(g)>", rhs, lhs, scale, tol_exact(t));
    }
    free(y), free(gx);
}

/* ============================================================================================
 * b. Linearity in W
 * ========================================================================================== */

static void prop_weight(const problem *p, tu_rng *r, prop_stats *ps) {
    (void)r;
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    void *y = tu_alloc(p->ny, t), *gw = tu_alloc(p->nw, t);
    /* weight = NULL: grad_weight alone needs only the input */
    if (fwd(g, p->x, p->w, NULL, y, "b/forward") && bwd(g, p->x, NULL, p->gy, NULL, gw, NULL, "b/grad_weight")) {
        mutate_one('b', gw, p->nw, t);
        double lhs = tu_dot(y, p->gy, p->ny, t), rhs = tu_dot(p->w, gw, p->nw, t);
        double scale = fmax(dot_scale(p), fmax(tu_dot_abs(y, p->gy, p->ny, t), tu_dot_abs(p->w, gw, p->nw, t)));
        check_scalar(ps, g, "b: <forward(x;W), g> vs <W, grad_weight(x, g)>", rhs, lhs, scale, tol_exact(t));
    }
    free(y), free(gw);
}

/* ============================================================================================
 * c. Bias
 * ========================================================================================== */

static void prop_bias(const problem *p, tu_rng *r, prop_stats *ps) {
    (void)r;
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    size_t C = (size_t)g->out_channels, N = nlead(g);
    void *y0 = tu_alloc(p->ny, t), *yb = tu_alloc(p->ny, t), *gb = tu_alloc(p->nb, t);
    double *diff = zeros_f64(p->ny), *bb = zeros_f64(p->ny), *sum = zeros_f64(C), *sumabs = zeros_f64(C);
    if (fwd(g, p->x, p->w, NULL, y0, "c/forward") && fwd(g, p->x, p->w, p->b, yb, "c/forward+bias")) {
        mutate_one('c', yb, p->ny, t);
        for (size_t i = 0; i < p->ny; i++) {
            diff[i] = tu_get(yb, i, t) - tu_get(y0, i, t);
            bb[i] = tu_get(p->b, (i / p->so) % C, t);
        }
        double scale = abs_fwd_inf(g, p->x, p->w, p->b);
        check_tensor(ps, g, "c: forward(x;W,b) - forward(x;W) vs b broadcast", diff, CONVND_FLOAT64, bb,
                     CONVND_FLOAT64, p->ny, scale, tol_exact(t));
    }
    /* input = weight = NULL: grad_bias alone needs neither */
    if (bwd(g, NULL, NULL, p->gy, NULL, NULL, gb, "c/grad_bias")) {
        mutate_one('c', gb, p->nb, t);
        for (size_t n = 0; n < N; n++)
            for (size_t o = 0; o < C; o++)
                for (size_t q = 0; q < p->so; q++) {
                    double v = tu_get(p->gy, (n * C + o) * p->so + q, t);
                    sum[o] += v;
                    sumabs[o] += fabs(v);
                }
        check_tensor(ps, g, "c: grad_bias vs sum of grad_output over batch and positions", gb, t, sum,
                     CONVND_FLOAT64, C, inf_norm(sumabs, C, CONVND_FLOAT64), tol_exact(t));
    }
    free(y0), free(yb), free(gb), free(diff), free(bb), free(sum), free(sumabs);
}

/* ============================================================================================
 * d. Duality between conv and transposed conv
 * ========================================================================================== */

/* Copies between a tensor of shape (lead, small...) and one of shape (lead, big...), small <= big
 * per axis, the small one at the leading corner. to_big: small -> big (the rest of big must
 * already be zero); else big -> small. */
static void corner_copy(void *big, const int64_t *bigsz, void *small, const int64_t *smallsz, int rank,
                        size_t lead, convnd_dtype t, int to_big) {
    size_t ns = prod(smallsz, rank), nbg = prod(bigsz, rank);
    int64_t idx[CONVND_MAX_RANK] = {0};
    for (size_t s = 0; s < ns; s++) {
        size_t off = 0;
        for (int a = 0; a < rank; a++) off = off * (size_t)bigsz[a] + (size_t)idx[a];
        for (size_t m = 0; m < lead; m++) {
            if (to_big)
                tu_set(big, m * nbg + off, t, tu_get(small, m * ns + s, t));
            else
                tu_set(small, m * ns + s, t, tu_get(big, m * nbg + off, t));
        }
        for (int a = rank - 1; a >= 0; a--) {
            if (++idx[a] < smallsz[a]) break;
            idx[a] = 0;
        }
    }
}

/* The dual of a zeros-mode geometry: a conv for a transposed conv and vice versa, with channels
 * swapped and the same kernel, stride, dilation, padding and groups. From a transposed conv T the
 * conv C takes input size O_T (its output O_C >= I_T, larger on an axis where OP >= S). From a
 * conv C the transposed T takes input size O_C and output_padding (I_C + P - D(K-1) - 1) mod S,
 * so O_T == I_C. */
static int make_dual(const convnd_geometry *a, convnd_geometry *b) {
    convnd_error err;
    int64_t out[CONVND_MAX_RANK];
    if (!CHECK_OK(convnd_output_size(a, out, &err), &err)) return 0;
    *b = *a;
    b->transposed = !a->transposed;
    b->in_channels = a->out_channels;
    b->out_channels = a->in_channels;
    for (int k = 0; k < a->rank; k++) {
        b->input_size[k] = out[k];
        b->output_padding[k] = 0;
        if (!a->transposed)
            b->output_padding[k] = (a->input_size[k] + a->pad_lo[k] + a->pad_hi[k] -
                                    a->dilation[k] * (a->kernel_size[k] - 1) - 1) % a->stride[k];
    }
    convnd_status st = convnd_geometry_check(b, &err);
    return CHECK(st == CONVND_OK, "d: dual geometry refused: %d %s [%s]", (int)st, err.msg, tu_describe(b));
}

static void prop_dual(const problem *p, tu_rng *r, prop_stats *ps) {
    convnd_geometry T, C;
    if (p->g.transposed) {
        T = p->g;
        if (!make_dual(&T, &C)) return;
    } else {
        C = p->g;
        if (!make_dual(&C, &T)) return;
    }
    convnd_dtype t = T.dtype;
    double tol = tol_exact(t);
    int64_t oT[CONVND_MAX_RANK], oC[CONVND_MAX_RANK];
    convnd_error err;
    if (!CHECK_OK(convnd_output_size(&T, oT, &err), &err) || !CHECK_OK(convnd_output_size(&C, oC, &err), &err))
        return;
    int sizes_ok = 1;
    for (int a = 0; a < T.rank; a++)
        sizes_ok &= CHECK(oT[a] == C.input_size[a] && oC[a] >= T.input_size[a],
                          "d: axis %d: O_T %lld vs I_C %lld, O_C %lld vs I_T %lld [%s]", a, (long long)oT[a],
                          (long long)C.input_size[a], (long long)oC[a], (long long)T.input_size[a],
                          tu_describe(&T));
    if (!sizes_ok) return;
    size_t N = nlead(&T);
    size_t nxT = tu_count(&T, CONVND_TENSOR_INPUT), nyT = tu_count(&T, CONVND_TENSOR_OUTPUT);
    size_t nw = tu_count(&T, CONVND_TENSOR_WEIGHT), nyC = tu_count(&C, CONVND_TENSOR_OUTPUT);
    CHECK(nw == tu_count(&C, CONVND_TENSOR_WEIGHT) && nyT == tu_count(&C, CONVND_TENSOR_INPUT),
          "d: dual shapes: weight %zu vs %zu, T output %zu vs C input %zu [%s]", nw,
          tu_count(&C, CONVND_TENSOR_WEIGHT), nyT, tu_count(&C, CONVND_TENSOR_INPUT), tu_describe(&T));
    void *xT = tu_alloc(nxT, t), *wt = tu_alloc(nw, t), *gT = tu_alloc(nyT, t);
    tu_fill_random(xT, nxT, t, r);
    tu_fill_random(wt, nw, t, r);
    tu_fill_random(gT, nyT, t, r);
    /* xT embedded in C's output shape (zeros where O_C > I_T) */
    void *e = tu_alloc(nyC, t);
    for (size_t i = 0; i < nyC; i++) tu_set(e, i, t, 0.0);
    corner_copy(e, oC, xT, T.input_size, T.rank, N * (size_t)T.in_channels, t, 1);

    /* 1. convTranspose(xT; Wt) == conv input derivative of e with W = Wt */
    void *yT = tu_alloc(nyT, t), *gxC = tu_alloc(nyT, t);
    if (fwd(&T, xT, wt, NULL, yT, "d/T forward") && bwd(&C, NULL, wt, e, gxC, NULL, NULL, "d/C grad_input")) {
        mutate_one('d', gxC, nyT, t);
        check_tensor(ps, &T, "d: transposed forward vs conv grad_input on the dual geometry", yT, t, gxC, t, nyT,
                     abs_fwd_inf(&T, xT, wt, NULL), tol);
    }
    /* 2. transposed input derivative of gT == conv(gT; W = Wt), leading corner */
    void *gxT = tu_alloc(nxT, t), *yC = tu_alloc(nyC, t), *yCc = tu_alloc(nxT, t);
    if (bwd(&T, NULL, wt, gT, gxT, NULL, NULL, "d/T grad_input") && fwd(&C, gT, wt, NULL, yC, "d/C forward")) {
        corner_copy(yC, oC, yCc, T.input_size, T.rank, N * (size_t)T.in_channels, t, 0);
        mutate_one('d', yCc, nxT, t);
        check_tensor(ps, &T, "d: transposed grad_input vs conv forward on the dual geometry", gxT, t, yCc, t, nxT,
                     abs_fwd_inf(&C, gT, wt, NULL), tol);
    }
    /* 3. transposed grad_weight(xT, gT) == conv grad_weight(x := gT, g := e) */
    void *gwT = tu_alloc(nw, t), *gwC = tu_alloc(nw, t);
    if (bwd(&T, xT, NULL, gT, NULL, gwT, NULL, "d/T grad_weight") &&
        bwd(&C, gT, NULL, e, NULL, gwC, NULL, "d/C grad_weight")) {
        mutate_one('d', gwC, nw, t);
        void *sw = NULL;
        abs_bwd(&T, xT, wt, gT, NULL, &sw, NULL);
        check_tensor(ps, &T, "d: transposed grad_weight vs conv grad_weight with x and g swapped", gwT, t, gwC, t,
                     nw, inf_norm(sw, nw, t), tol);
        free(sw);
    }
    free(xT), free(wt), free(gT), free(e), free(yT), free(gxC), free(gxT), free(yC), free(yCc), free(gwT),
        free(gwC);
}

/* ============================================================================================
 * e. Finite differences (float64)
 * ========================================================================================== */

/* (L(v + h e_j) - L(v - h e_j)) / (2h) for L = sum(g * forward(x; W, b)), v one of x, W, b.
 * L is linear in v, so this is exact up to rounding; it is evaluated as sum g * (y+ - y-) so
 * that the outputs v does not reach cancel exactly, and divided by the step actually taken. */
static double central_diff(const problem *p, int which, size_t j, int *ok) {
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    size_t n = which == 0 ? p->nx : which == 1 ? p->nw : p->nb;
    const void *src = which == 0 ? p->x : which == 1 ? p->w : p->b;
    void *v = dup_buf(src, n, t), *yp = tu_alloc(p->ny, t), *ym = tu_alloc(p->ny, t);
    const void *x = which == 0 ? v : p->x, *w = which == 1 ? v : p->w, *b = which == 2 ? v : p->b;
    double v0 = tu_get(src, j, t);
    tu_set(v, j, t, v0 + FD_STEP);
    double hi = tu_get(v, j, t);
    *ok = fwd(g, x, w, b, yp, "e/forward(+h)");
    tu_set(v, j, t, v0 - FD_STEP);
    double lo = tu_get(v, j, t);
    *ok &= fwd(g, x, w, b, ym, "e/forward(-h)");
    double d = 0;
    for (size_t i = 0; i < p->ny; i++) d += tu_get(p->gy, i, t) * (tu_get(yp, i, t) - tu_get(ym, i, t));
    free(v), free(yp), free(ym);
    return d / (hi - lo);
}

static void prop_fd(const problem *p, tu_rng *r, prop_stats *ps) {
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    void *gx = tu_alloc(p->nx, t), *gw = tu_alloc(p->nw, t), *gb = tu_alloc(p->nb, t);
    if (!bwd(g, p->x, p->w, p->gy, gx, gw, gb, "e/backward")) {
        free(gx), free(gw), free(gb);
        return;
    }
    mutate_all('e', gx, p->nx, t);
    mutate_all('e', gw, p->nw, t);
    mutate_all('e', gb, p->nb, t);
    static const char *const names[3] = {"e: d L / d x[j] (central difference) vs grad_input[j]",
                                         "e: d L / d W[j] (central difference) vs grad_weight[j]",
                                         "e: d L / d b[j] (central difference) vs grad_bias[j]"};
    const void *grads[3] = {gx, gw, gb};
    size_t counts[3] = {p->nx, p->nw, p->nb};
    static const int coords[3] = {3, 3, 2};
    /* the scale of each gradient: its largest element or, when that cancels, the largest element
     * of the same gradient on |inputs| (the magnitude of the terms the differences are made of) */
    void *agrads[3] = {NULL, NULL, NULL};
    abs_bwd(g, p->x, p->w, p->gy, &agrads[0], &agrads[1], &agrads[2]);
    for (int which = 0; which < 3; which++) {
        double scale = fmax(inf_norm(grads[which], counts[which], t), inf_norm(agrads[which], counts[which], t));
        for (int c = 0; c < coords[which]; c++) {
            size_t j = (size_t)tu_range(r, 0, (int64_t)counts[which] - 1);
            int ok;
            double fd = central_diff(p, which, j, &ok);
            if (!ok) continue;
            char what[160];
            snprintf(what, sizeof what, "%s, j=%zu", names[which], j);
            check_scalar(ps, g, what, tu_get(grads[which], j, t), fd, scale, TOL_FD);
        }
    }
    free(gx), free(gw), free(gb), free(agrads[0]), free(agrads[1]), free(agrads[2]);
}

/* ============================================================================================
 * f. Rank decomposition over the first kernel axis
 * ========================================================================================== */

/* Where a padding mode reads position i of an axis of size n; -1 for a zero. */
static int64_t mode_index(int64_t i, int64_t n, convnd_padding_mode m) {
    if (i >= 0 && i < n) return i;
    switch (m) {
    case CONVND_PAD_REFLECT: return i < 0 ? -i : 2 * (n - 1) - i;
    case CONVND_PAD_REPLICATE: return i < 0 ? 0 : n - 1;
    case CONVND_PAD_CIRCULAR: return ((i % n) + n) % n;
    case CONVND_PAD_ZEROS:
    default: return -1;
    }
}

static void prop_decompose(const problem *p, tu_rng *r, prop_stats *ps) {
    (void)r;
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    int d = g->rank;
    convnd_geometry s;
    convnd_error err;
    if (!CHECK_OK(convnd_geometry_init(&s, d - 1, &err), &err)) return;
    s.transposed = 0;
    s.dtype = t;
    s.padding_mode = g->padding_mode;
    s.batch = g->batch;
    s.in_channels = g->in_channels;
    s.out_channels = g->out_channels;
    s.groups = g->groups;
    for (int a = 1; a < d; a++) {
        s.input_size[a - 1] = g->input_size[a];
        s.kernel_size[a - 1] = g->kernel_size[a];
        s.stride[a - 1] = g->stride[a];
        s.dilation[a - 1] = g->dilation[a];
        s.pad_lo[a - 1] = g->pad_lo[a];
        s.pad_hi[a - 1] = g->pad_hi[a];
    }
    int64_t os[CONVND_MAX_RANK];
    if (!CHECK_OK(convnd_output_size(&s, os, &err), &err)) return;
    for (int a = 1; a < d; a++)
        if (!CHECK(os[a - 1] == p->out[a], "f: sub-conv axis %d size %lld vs %lld [%s]", a - 1, (long long)os[a - 1],
                   (long long)p->out[a], tu_describe(g)))
            return;
    int64_t I0 = g->input_size[0], K0 = g->kernel_size[0], S0 = g->stride[0], D0 = g->dilation[0];
    int64_t P0 = g->pad_lo[0], O0 = p->out[0];
    size_t Rin = p->si / (size_t)I0, Rk = p->sk / (size_t)K0, Rout = p->so / (size_t)O0;
    size_t N = nlead(g), Cin = (size_t)g->in_channels, Cout = (size_t)g->out_channels;
    size_t cg = Cin / (size_t)g->groups;
    void *xs = tu_alloc(N * Cin * Rin, t), *ws = tu_alloc(Cout * cg * Rk, t), *ys = tu_alloc(N * Cout * Rout, t);
    double *ref = zeros_f64(p->ny);
    int ok = 1;
    for (int64_t p0 = 0; p0 < O0 && ok; p0++)
        for (int64_t k0 = 0; k0 < K0 && ok; k0++) {
            int64_t i0 = mode_index(p0 * S0 + k0 * D0 - P0, I0, g->padding_mode);
            if (i0 < 0) continue; /* a zero slice contributes nothing */
            for (size_t m = 0; m < N * Cin; m++) copy_elems(xs, m * Rin, p->x, (m * (size_t)I0 + (size_t)i0) * Rin, Rin, t);
            for (size_t m = 0; m < Cout * cg; m++)
                copy_elems(ws, m * Rk, p->w, (m * (size_t)K0 + (size_t)k0) * Rk, Rk, t);
            ok = fwd(&s, xs, ws, NULL, ys, "f/sub-conv");
            for (size_t m = 0; m < N * Cout && ok; m++)
                for (size_t q = 0; q < Rout; q++) ref[(m * (size_t)O0 + (size_t)p0) * Rout + q] += tu_get(ys, m * Rout + q, t);
        }
    void *y = tu_alloc(p->ny, t);
    if (ok && fwd(g, p->x, p->w, p->b, y, "f/forward")) {
        for (size_t i = 0; i < p->ny; i++) ref[i] += tu_get(p->b, (i / p->so) % Cout, t); /* bias once */
        mutate_one('f', y, p->ny, t);
        check_tensor(ps, g, "f: forward vs sum over k0 of (d-1)-D convs of slices", y, t, ref, CONVND_FLOAT64, p->ny,
                     abs_fwd_inf(g, p->x, p->w, p->b), tol_exact(t));
    }
    free(xs), free(ws), free(ys), free(ref), free(y);
}

/* ============================================================================================
 * g. Batching
 * ========================================================================================== */

static void prop_batch(const problem *p, tu_rng *r, prop_stats *ps) {
    (void)r;
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    convnd_geometry s = *g;
    s.batch = CONVND_UNBATCHED;
    size_t N = nlead(g), sx = p->nx / N, sy = p->ny / N;
    void *y = tu_alloc(p->ny, t), *gx = tu_alloc(p->nx, t), *gw = tu_alloc(p->nw, t), *gb = tu_alloc(p->nb, t);
    void *ry = tu_alloc(p->ny, t), *rgx = tu_alloc(p->nx, t), *sgw = tu_alloc(p->nw, t), *sgb = tu_alloc(p->nb, t);
    double *rgw = zeros_f64(p->nw), *rgb = zeros_f64(p->nb);
    int ok = fwd(g, p->x, p->w, p->b, y, "g/batched forward") &&
             bwd(g, p->x, p->w, p->gy, gx, gw, gb, "g/batched backward");
    for (size_t n = 0; n < N && ok; n++) {
        ok = fwd(&s, cat(p->x, n * sx, t), p->w, p->b, at(ry, n * sy, t), "g/per-sample forward") &&
             bwd(&s, cat(p->x, n * sx, t), p->w, cat(p->gy, n * sy, t), at(rgx, n * sx, t), sgw, sgb,
                 "g/per-sample backward");
        for (size_t i = 0; i < p->nw && ok; i++) rgw[i] += tu_get(sgw, i, t);
        for (size_t i = 0; i < p->nb && ok; i++) rgb[i] += tu_get(sgb, i, t);
    }
    if (ok) {
        mutate_one('g', y, p->ny, t);
        void *sgx = NULL, *swt = NULL, *sbs = NULL;
        abs_bwd(g, p->x, p->w, p->gy, &sgx, &swt, &sbs);
        double tol = tol_exact(t);
        check_tensor(ps, g, "g: batched forward vs per-sample forwards stacked", y, t, ry, t, p->ny,
                     abs_fwd_inf(g, p->x, p->w, p->b), tol);
        check_tensor(ps, g, "g: batched grad_input vs per-sample grad_inputs stacked", gx, t, rgx, t, p->nx,
                     inf_norm(sgx, p->nx, t), tol);
        check_tensor(ps, g, "g: batched grad_weight vs sum of per-sample grad_weights", gw, t, rgw, CONVND_FLOAT64,
                     p->nw, inf_norm(swt, p->nw, t), tol);
        check_tensor(ps, g, "g: batched grad_bias vs sum of per-sample grad_biases", gb, t, rgb, CONVND_FLOAT64,
                     p->nb, inf_norm(sbs, p->nb, t), tol);
        free(sgx), free(swt), free(sbs);
    }
    free(y), free(gx), free(gw), free(gb), free(ry), free(rgx), free(sgw), free(sgb), free(rgw), free(rgb);
}

/* ============================================================================================
 * h. Groups
 * ========================================================================================== */

static void prop_groups(const problem *p, tu_rng *r, prop_stats *ps) {
    (void)r;
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    size_t G = (size_t)g->groups, N = nlead(g), Cin = (size_t)g->in_channels, Cout = (size_t)g->out_channels;
    size_t cg = Cin / G, og = Cout / G, wslice = cg * og * p->sk;
    convnd_geometry s = *g;
    s.groups = 1;
    s.in_channels = (int64_t)cg;
    s.out_channels = (int64_t)og;
    void *xs = tu_alloc(N * cg * p->si, t), *gys = tu_alloc(N * og * p->so, t);
    void *ys = tu_alloc(N * og * p->so, t), *gxs = tu_alloc(N * cg * p->si, t);
    void *ry = tu_alloc(p->ny, t), *rgx = tu_alloc(p->nx, t), *rgw = tu_alloc(p->nw, t), *rgb = tu_alloc(p->nb, t);
    int ok = 1;
    for (size_t gi = 0; gi < G && ok; gi++) {
        for (size_t n = 0; n < N; n++) {
            copy_elems(xs, n * cg * p->si, p->x, (n * Cin + gi * cg) * p->si, cg * p->si, t);
            copy_elems(gys, n * og * p->so, p->gy, (n * Cout + gi * og) * p->so, og * p->so, t);
        }
        /* both weight layouts keep a group's slice contiguous: rows gi*og.. (conv) or gi*cg.. (transposed) */
        const void *wg = cat(p->w, gi * wslice, t), *bg = cat(p->b, gi * og, t);
        ok = fwd(&s, xs, wg, bg, ys, "h/per-group forward") &&
             bwd(&s, xs, wg, gys, gxs, at(rgw, gi * wslice, t), at(rgb, gi * og, t), "h/per-group backward");
        for (size_t n = 0; n < N && ok; n++) {
            copy_elems(ry, (n * Cout + gi * og) * p->so, ys, n * og * p->so, og * p->so, t);
            copy_elems(rgx, (n * Cin + gi * cg) * p->si, gxs, n * cg * p->si, cg * p->si, t);
        }
    }
    void *y = tu_alloc(p->ny, t), *gx = tu_alloc(p->nx, t), *gw = tu_alloc(p->nw, t), *gb = tu_alloc(p->nb, t);
    if (ok && fwd(g, p->x, p->w, p->b, y, "h/grouped forward") &&
        bwd(g, p->x, p->w, p->gy, gx, gw, gb, "h/grouped backward")) {
        mutate_one('h', gw, p->nw, t);
        void *sgx = NULL, *swt = NULL, *sbs = NULL;
        abs_bwd(g, p->x, p->w, p->gy, &sgx, &swt, &sbs);
        double tol = tol_exact(t);
        check_tensor(ps, g, "h: grouped forward vs per-group convs concatenated", y, t, ry, t, p->ny,
                     abs_fwd_inf(g, p->x, p->w, p->b), tol);
        check_tensor(ps, g, "h: grouped grad_input vs per-group grad_inputs", gx, t, rgx, t, p->nx,
                     inf_norm(sgx, p->nx, t), tol);
        check_tensor(ps, g, "h: grouped grad_weight vs per-group grad_weights", gw, t, rgw, t, p->nw,
                     inf_norm(swt, p->nw, t), tol);
        check_tensor(ps, g, "h: grouped grad_bias vs per-group grad_biases", gb, t, rgb, t, p->nb,
                     inf_norm(sbs, p->nb, t), tol);
        free(sgx), free(swt), free(sbs);
    }
    free(xs), free(gys), free(ys), free(gxs), free(ry), free(rgx), free(rgw), free(rgb);
    free(y), free(gx), free(gw), free(gb);
}

/* ============================================================================================
 * i. No NaN left: checked inside fwd() and bwd() on every call of every property; this one only
 *    adds calls with every output requested, over the full spread of geometry.
 * ========================================================================================== */

static void prop_nan(const problem *p, tu_rng *r, prop_stats *ps) {
    (void)r;
    const convnd_geometry *g = &p->g;
    convnd_dtype t = g->dtype;
    void *y = tu_alloc(p->ny, t), *gx = tu_alloc(p->nx, t), *gw = tu_alloc(p->nw, t), *gb = tu_alloc(p->nb, t);
    long before = g_nan_checked;
    fwd(g, p->x, p->w, p->b, y, "i/forward");
    fwd(g, p->x, p->w, NULL, y, "i/forward without bias");
    bwd(g, p->x, p->w, p->gy, gx, gw, gb, "i/backward");
    ps->comparisons += g_nan_checked - before;
    free(y), free(gx), free(gw), free(gb);
}

/* ============================================================================================
 * j. float32 engine vs float64 engine on the same values
 * ========================================================================================== */

static void check_f32(prop_stats *ps, const convnd_geometry *g, const char *what, const void *got, const void *ref,
                      const void *absref, size_t n) {
    /* norm-wise relative error; the denominator is floored at 10% of the norm of the same
     * computation on |inputs| (float32 rounding grows with the sum of |terms|), so that a small
     * result that happens to cancel to ~0 is not held to a relative accuracy float32 cannot
     * deliver; an indexing error is still off by the size of the result itself */
    double num = l2_diff(got, CONVND_FLOAT32, ref, CONVND_FLOAT64, n);
    double den = fmax(l2_norm(ref, n, CONVND_FLOAT64), 0.1 * l2_norm(absref, n, CONVND_FLOAT64));
    double rel = num / fmax(den, 1e-300);
    if (isnan(rel)) rel = INFINITY;
    stats_note_ratio(ps, g, rel, TU_TOL_F32);
    CHECK(rel < TU_TOL_F32, "%s: norm-wise relative error %.3g >= %.0e (||diff|| %.3g, ||ref|| %.3g) [%s]", what, rel,
          TU_TOL_F32, num, l2_norm(ref, n, CONVND_FLOAT64), tu_describe(g));
}

static void prop_f32(const problem *p, tu_rng *r, prop_stats *ps) {
    (void)r;
    const convnd_geometry *g = &p->g; /* float32 */
    convnd_geometry g64 = *g;
    g64.dtype = CONVND_FLOAT64;
    const convnd_dtype F = CONVND_FLOAT32, D = CONVND_FLOAT64;
    void *x64 = tu_alloc(p->nx, D), *w64 = tu_alloc(p->nw, D), *b64 = tu_alloc(p->nb, D), *gy64 = tu_alloc(p->ny, D);
    tu_convert(x64, D, p->x, F, p->nx);
    tu_convert(w64, D, p->w, F, p->nw);
    tu_convert(b64, D, p->b, F, p->nb);
    tu_convert(gy64, D, p->gy, F, p->ny);
    void *y = tu_alloc(p->ny, F), *gx = tu_alloc(p->nx, F), *gw = tu_alloc(p->nw, F), *gb = tu_alloc(p->nb, F);
    void *y64 = tu_alloc(p->ny, D), *gx64 = tu_alloc(p->nx, D), *gw64 = tu_alloc(p->nw, D), *gb64 = tu_alloc(p->nb, D);
    if (fwd(g, p->x, p->w, p->b, y, "j/forward f32") && fwd(&g64, x64, w64, b64, y64, "j/forward f64") &&
        bwd(g, p->x, p->w, p->gy, gx, gw, gb, "j/backward f32") &&
        bwd(&g64, x64, w64, gy64, gx64, gw64, gb64, "j/backward f64")) {
        mutate_one('j', y, p->ny, F);
        void *ay = abs_fwd(&g64, x64, w64, b64), *agx = NULL, *agw = NULL, *agb = NULL;
        abs_bwd(&g64, x64, w64, gy64, &agx, &agw, &agb);
        check_f32(ps, g, "j: forward f32 vs f64", y, y64, ay, p->ny);
        check_f32(ps, g, "j: grad_input f32 vs f64", gx, gx64, agx, p->nx);
        check_f32(ps, g, "j: grad_weight f32 vs f64", gw, gw64, agw, p->nw);
        check_f32(ps, g, "j: grad_bias f32 vs f64", gb, gb64, agb, p->nb);
        free(ay), free(agx), free(agw), free(agb);
    }
    free(x64), free(w64), free(b64), free(gy64), free(y), free(gx), free(gw), free(gb), free(y64), free(gx64),
        free(gw64), free(gb64);
}

/* ============================================================================================
 * Driver
 * ========================================================================================== */

typedef void (*prop_fn)(const problem *p, tu_rng *r, prop_stats *ps);

typedef struct property {
    char letter;
    const char *name;
    prop_fn run;
} property;

/* How property `letter` adjusts the default plan of geometry i. */
static void plan(char letter, int i, gen_opts *o) {
    default_opts(i, o);
    switch (letter) {
    case 'd': o->modes = 0; break; /* duality: zeros mode (the only one a transposed conv has) */
    case 'e': o->dtype = CONVND_FLOAT64; break;
    case 'f': /* conv ranks 2..5, 4 and 5 most */
        o->rank = 2 + i % 4;
        if (i % 8 >= 4) o->rank = 4 + i % 2;
        o->transposed = 0;
        break;
    case 'g': o->batched = 1; break;
    case 'h': o->grouped = 1; break;
    case 'j': o->dtype = CONVND_FLOAT32; break;
    default: break;
    }
}

int main(void) {
    uint64_t seed = 0x5EEDC0DE2024ull;
    const char *env = getenv("CONVND_TEST_SEED");
    if (env && *env) {
        char *end = NULL;
        unsigned long long v = strtoull(env, &end, 0);
        if (end && *end == '\0')
            seed = (uint64_t)v;
        else
            fprintf(stderr, "test_properties: ignoring CONVND_TEST_SEED=\"%s\" (not a number)\n", env);
    }
    const char *mut = getenv("CONVND_PROPERTIES_MUTATE");
    if (mut && *mut) g_mutate = mut[0];
    printf("test_properties: seed %llu (reproduce with CONVND_TEST_SEED=%llu)%s%c\n", (unsigned long long)seed,
           (unsigned long long)seed, g_mutate ? "; SELF-TEST, mutating property " : "", g_mutate ? g_mutate : ' ');

    static const property props[] = {
        {'a', "a adjoint grad_input", prop_adjoint}, {'b', "b linear in W", prop_weight},
        {'c', "c bias", prop_bias},                  {'d', "d duality", prop_dual},
        {'e', "e finite differences", prop_fd},      {'f', "f rank decomposition", prop_decompose},
        {'g', "g batching", prop_batch},             {'h', "h groups", prop_groups},
        {'i', "i no NaN left", prop_nan},            {'j', "j f32 vs f64", prop_f32},
    };
    const int nprops = (int)(sizeof props / sizeof props[0]);
    prop_stats stats[sizeof props / sizeof props[0]];
    memset(stats, 0, sizeof stats);
    clock_t t_all = clock();
    for (int k = 0; k < nprops; k++) {
        prop_stats *ps = &stats[k];
        ps->name = props[k].name;
        /* one stream per property, so that a property's geometry does not depend on the others */
        tu_rng r = {seed ^ ((uint64_t)(k + 1) * 0xD1B54A32D192ED03ull)};
        clock_t t0 = clock();
        for (int i = 0; i < NGEO; i++) {
            gen_opts o;
            plan(props[k].letter, i, &o);
            g_engine = (i / 2) % 2 ? CONVND_ENGINE_REF : CONVND_ENGINE_AUTO;
            convnd_geometry g;
            if (!gen_geometry(&r, &o, &g)) continue;
            problem p;
            problem_init(&p, &g, &r);
            stats_note_geometry(ps, &g);
            int failures_before = tu_failures;
            props[k].run(&p, &r, ps);
            if (tu_failures > failures_before && tu_failures <= 50)
                fprintf(stderr, "  (property %c, geometry %d, engine %s, seed %llu)\n", props[k].letter, i,
                        g_engine == CONVND_ENGINE_REF ? "REF" : "AUTO", (unsigned long long)seed);
            problem_free(&p);
        }
        ps->seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
    }
    double total = (double)(clock() - t_all) / CLOCKS_PER_SEC;

    for (int k = 0; k < nprops; k++) stats_print(&stats[k]);
    printf("  i: %ld output tensors checked for leftover NaN over all properties\n", g_nan_checked);
    double acc = gen_candidates ? (double)(gen_candidates - gen_rejected) / (double)gen_candidates : 0;
    printf("  generator: %ld candidates, %ld refused by convnd_geometry_check (%.1f%%), %ld over the size budget, "
           "%ld used; %.2f s in all\n",
           gen_candidates, gen_rejected, 100.0 * (1 - acc), gen_over_budget, gen_returned, total);
    CHECK(acc >= 0.5, "generator: only %.1f%% of %ld candidates valid", 100 * acc, gen_candidates);
    CHECK(gen_rejected > 0, "generator: no invalid candidate was drawn, the refusal path went untested");
    CHECK(gen_returned >= (long)(nprops * NGEO * 9 / 10), "generator: only %ld of %d geometries produced", gen_returned,
          nprops * NGEO);
    CHECK(gen_candidates - gen_rejected <= 20 * gen_returned,
          "generator: %ld valid candidates for %ld used, the size budget rejects too many",
          gen_candidates - gen_rejected, gen_returned);
    for (int k = 0; k < nprops; k++)
        CHECK(stats[k].geos >= NGEO * 9 / 10 && stats[k].comparisons > 0, "property %s: %d geometries, %ld comparisons",
              stats[k].name, stats[k].geos, stats[k].comparisons);
    return tu_finish("test_properties");
}
