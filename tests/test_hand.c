/* test_hand.c -- tiny convolutions whose every expected value was computed by hand.
 *
 * Each case gives x, W, b, the expected forward output y, a grad_output g, and the expected
 * grad_input dx, grad_weight dW and grad_bias db; the arithmetic is written out next to it.
 * Notation (1-D): xpad[j] is x extended by the padding mode; j may be negative.
 *   conv        y[p]  = sum_k xpad[p*S + k*D - P_lo] * W[k] + b
 *   transposed  full[i*S + k*D] += x[i] * Wt[k];  y[q] = full[q + P_lo] + b
 * Every value is a small integer (or a power of two), exact in float32 and float64 and in any
 * summation order, so each case is checked for exact equality in both dtypes and with both
 * engines (REF and AUTO), after poisoning every output with NaN. Backward is checked four ways:
 * dx alone (input passed as NULL), dW alone (weight passed as NULL), db alone (both NULL),
 * and all three in one call.
 * The evaluation-order cases (0*inf on padding taps, bias added last, channels before taps,
 * accumulation from +0) hold for the reference engine only and are run with REF only: the fast
 * engine (AUTO) uses FMA and another summation order, and does not promise the spec's 0*inf =
 * NaN on padding taps.
 * Why exact equality is still right for AUTO on the other cases: every product and partial sum
 * is a small integer, exact in any order and with or without FMA, so every correct order gives
 * exactly the expected value (AUTO's 1e-5 / 1e-12 tolerance is for rounding, and there is none). In the NaN / inf cases run with
 * AUTO every NaN or inf factor meets data, never padding (a padding tap there has only finite
 * factors): that term is part of every correct evaluation of the sum, whatever its order, so
 * IEEE arithmetic fixes the result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct vec {
    const double *p;
    size_t n;
} vec;

/* V(1, 2, 3): an inline array of doubles with its length. */
#define V(...) ((vec){(const double[]){__VA_ARGS__}, sizeof((const double[]){__VA_ARGS__}) / sizeof(double)})
/* L(1, 2): an inline int64_t array (per-axis numbers). */
#define L(...) ((const int64_t[]){__VA_ARGS__})

typedef struct hcase {
    const char *name;
    convnd_geometry g; /* dtype is overwritten per run */
    vec x, w, b;       /* b.p NULL: no bias */
    vec y;             /* expected forward output; NULL: forward not checked */
    vec gy;            /* grad_output; NULL: backward not checked */
    vec dx, dw, db;    /* expected gradients; NULL: that gradient not checked */
    int ref_only;      /* evaluation-order cases: REF engine only */
} hcase;

/* A geometry; NULL arrays keep the defaults (stride 1, dilation 1, padding 0, OP 0). */
static convnd_geometry geo(int rank, int transposed, int64_t batch, int64_t cin, int64_t cout, int64_t groups,
                           const int64_t *in, const int64_t *k, const int64_t *s, const int64_t *d,
                           const int64_t *plo, const int64_t *phi, const int64_t *op, convnd_padding_mode mode) {
    convnd_geometry g;
    convnd_error err;
    convnd_status st = convnd_geometry_init(&g, rank, &err);
    if (st != CONVND_OK) {
        fprintf(stderr, "geometry_init(%d) failed: %s\n", rank, err.msg);
        abort();
    }
    g.transposed = transposed;
    g.batch = batch;
    g.in_channels = cin;
    g.out_channels = cout;
    g.groups = groups;
    g.padding_mode = mode;
    for (int a = 0; a < rank; a++) {
        g.input_size[a] = in[a];
        g.kernel_size[a] = k[a];
        if (s) g.stride[a] = s[a];
        if (d) g.dilation[a] = d[a];
        if (plo) g.pad_lo[a] = plo[a];
        if (phi) g.pad_hi[a] = phi[a];
        if (op) g.output_padding[a] = op[a];
    }
    return g;
}

/* 1-D shorthand: symmetric padding p unless plo/phi differ. */
static convnd_geometry geo1(int transposed, int64_t batch, int64_t cin, int64_t cout, int64_t groups, int64_t in,
                            int64_t k, int64_t s, int64_t d, int64_t plo, int64_t phi, int64_t op,
                            convnd_padding_mode mode) {
    return geo(1, transposed, batch, cin, cout, groups, &in, &k, &s, &d, &plo, &phi, &op, mode);
}

static void *make_buf(vec v, convnd_dtype t) {
    void *p = tu_alloc(v.n, t);
    for (size_t i = 0; i < v.n; i++) tu_set(p, i, t, v.p[i]);
    return p;
}

static const char *dtype_name(convnd_dtype t) { return t == CONVND_FLOAT64 ? "f64" : "f32"; }
static const char *engine_name(convnd_engine e) { return e == CONVND_ENGINE_REF ? "REF" : "AUTO"; }

/* Exact comparison; NaN expected means NaN required. One check per buffer. */
static void expect_exact(const hcase *c, const char *what, convnd_dtype t, convnd_engine e, const void *got, vec want) {
    size_t bad = want.n;
    for (size_t i = 0; i < want.n && bad == want.n; i++) {
        double v = tu_get(got, i, t), w = want.p[i];
        int ok = isnan(w) ? isnan(v) : v == w;
        if (!ok) bad = i;
    }
    CHECK(bad == want.n, "%s [%s %s] %s[%zu] = %.17g, expected %.17g", c->name, dtype_name(t), engine_name(e), what,
          bad, bad < want.n ? tu_get(got, bad, t) : 0.0, bad < want.n ? want.p[bad] : 0.0);
}

static int check_count(const hcase *c, const convnd_geometry *g, convnd_tensor which, const char *what, vec v) {
    size_t n = tu_count(g, which);
    return CHECK(n == v.n, "%s: %s has %zu elements by the geometry, the case gives %zu", c->name, what, n, v.n);
}

static void run_one(const hcase *c, convnd_dtype t, convnd_engine e) {
    convnd_geometry g = c->g;
    convnd_error err;
    g.dtype = t;
    if (!CHECK(convnd_geometry_check(&g, &err) == CONVND_OK, "%s: geometry refused: %s", c->name, err.msg)) return;
    if (!check_count(c, &g, CONVND_TENSOR_INPUT, "x", c->x) || !check_count(c, &g, CONVND_TENSOR_WEIGHT, "W", c->w))
        return;
    if (c->b.p && !check_count(c, &g, CONVND_TENSOR_BIAS, "b", c->b)) return;
    if (c->y.p && !check_count(c, &g, CONVND_TENSOR_OUTPUT, "y", c->y)) return;
    if (c->gy.p && !check_count(c, &g, CONVND_TENSOR_OUTPUT, "g", c->gy)) return;

    void *x = make_buf(c->x, t), *w = make_buf(c->w, t);
    void *b = c->b.p ? make_buf(c->b, t) : NULL;
    if (c->y.p) {
        void *y = tu_alloc(c->y.n, t);
        tu_poison(y, c->y.n, t);
        convnd_status st = convnd_forward(&g, e, x, w, b, y, &err);
        if (CHECK_OK(st, &err)) expect_exact(c, "forward y", t, e, y, c->y);
        free(y);
    }
    if (c->gy.p) {
        void *gy = make_buf(c->gy, t);
        size_t nx = c->x.n, nw = c->w.n, nb = (size_t)g.out_channels;
        void *dx = tu_alloc(nx, t), *dw = tu_alloc(nw, t), *db = tu_alloc(nb, t);
        convnd_status st;
        if (c->dx.p) { /* grad_input alone: the input is not needed */
            tu_poison(dx, nx, t);
            st = convnd_backward(&g, e, NULL, w, gy, dx, NULL, NULL, &err);
            if (CHECK_OK(st, &err)) expect_exact(c, "grad_input (alone)", t, e, dx, c->dx);
        }
        if (c->dw.p) { /* grad_weight alone: the weight is not needed */
            tu_poison(dw, nw, t);
            st = convnd_backward(&g, e, x, NULL, gy, NULL, dw, NULL, &err);
            if (CHECK_OK(st, &err)) expect_exact(c, "grad_weight (alone)", t, e, dw, c->dw);
        }
        if (c->db.p) { /* grad_bias alone: neither input nor weight needed */
            tu_poison(db, nb, t);
            st = convnd_backward(&g, e, NULL, NULL, gy, NULL, NULL, db, &err);
            if (CHECK_OK(st, &err)) expect_exact(c, "grad_bias (alone)", t, e, db, c->db);
        }
        if (c->dx.p && c->dw.p && c->db.p) {
            tu_poison(dx, nx, t);
            tu_poison(dw, nw, t);
            tu_poison(db, nb, t);
            st = convnd_backward(&g, e, x, w, gy, dx, dw, db, &err);
            if (CHECK_OK(st, &err)) {
                expect_exact(c, "grad_input (all)", t, e, dx, c->dx);
                expect_exact(c, "grad_weight (all)", t, e, dw, c->dw);
                expect_exact(c, "grad_bias (all)", t, e, db, c->db);
            }
        }
        free(gy);
        free(dx);
        free(dw);
        free(db);
    }
    free(x);
    free(w);
    free(b);
}

static void run(const hcase *c) {
    for (int ti = 0; ti < 2; ti++) {
        convnd_dtype t = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
        run_one(c, t, CONVND_ENGINE_REF);
        if (!c->ref_only) run_one(c, t, CONVND_ENGINE_AUTO);
    }
}

/* ============================================================================================
 * 1-D conv
 * ========================================================================================== */

static void conv1d_cases(void) {
    {
        /* x = [1 2 3 4], W = [1 2 3], b = 10, stride 2, padding 1.
         * O = floor((4 + 1 + 1 - 2 - 1) / 2) + 1 = 2.  xpad (j = -1..4) = [0 1 2 3 4 0].
         *   y[0] = xpad[-1]*1 + xpad[0]*2 + xpad[1]*3 + 10 = 0 + 2 + 6 + 10 = 18
         *   y[1] = xpad[1]*1  + xpad[2]*2 + xpad[3]*3 + 10 = 2 + 6 + 12 + 10 = 30
         * g = [1 10]:
         *   dW[k] = xpad[k-1]*g[0] + xpad[k+1]*g[1]
         *     dW[0] = 0*1 + 2*10 = 20;  dW[1] = 1*1 + 3*10 = 31;  dW[2] = 2*1 + 4*10 = 42
         *   db = 1 + 10 = 11
         *   dx[i] = sum over (p,k) with 2p + k - 1 = i of g[p]*W[k]
         *     dx[0] = (p0,k1) 1*2 = 2
         *     dx[1] = (p0,k2) 1*3 + (p1,k0) 10*1 = 13
         *     dx[2] = (p1,k1) 10*2 = 20
         *     dx[3] = (p1,k2) 10*3 = 30      ((p0,k0) lands on j = -1, the padding: dropped) */
        hcase c = {.name = "conv1d stride2 pad1",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 4, 3, 2, 1, 1, 1, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4), .w = V(1, 2, 3), .b = V(10), .y = V(18, 30),
                   .gy = V(1, 10), .dx = V(2, 13, 20, 30), .dw = V(20, 31, 42), .db = V(11)};
        run(&c);
        /* The same with an explicit batch of one: identical numbers. */
        c.name = "conv1d stride2 pad1 batch=1";
        c.g.batch = 1;
        run(&c);
        /* Without bias: y = [8 20]. */
        c.name = "conv1d stride2 pad1 no bias";
        c.g.batch = CONVND_UNBATCHED;
        c.b = (vec){NULL, 0};
        c.y = V(8, 20);
        run(&c);
    }
    {
        /* The brief's example: x = [1 2 3 4], W = [1 0 -1], stride 2, padding 1:
         *   y[0] = 0*1 + 1*0 + 2*(-1) = -2;  y[1] = 2*1 + 3*0 + 4*(-1) = -2 */
        hcase c = {.name = "conv1d [1 0 -1] stride2 pad1",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 4, 3, 2, 1, 1, 1, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4), .w = V(1, 0, -1), .y = V(-2, -2)};
        run(&c);
    }
    {
        /* Dilation 3: x = [1 2 3 4 5], W = [1 10], no padding, stride 1.
         * O = (5 - 3*1 - 1)/1 + 1 = 2.  y[p] = x[p]*1 + x[p+3]*10
         *   y[0] = 1 + 40 = 41;  y[1] = 2 + 50 = 52
         * g = [1 2]:
         *   dW[0] = x0*1 + x1*2 = 5;  dW[1] = x3*1 + x4*2 = 4 + 10 = 14;  db = 3
         *   dx = [g0*W0, g1*W0, 0, g0*W1, g1*W1] = [1 2 0 10 20] */
        hcase c = {.name = "conv1d dilation3",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 5, 2, 1, 3, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5), .w = V(1, 10), .y = V(41, 52),
                   .gy = V(1, 2), .dx = V(1, 2, 0, 10, 20), .dw = V(5, 14), .db = V(3)};
        run(&c);
    }
    {
        /* Dilation 2 with stride 2 and padding 2: x = [1 2 3 4 5], W = [1 10 100].
         * O = floor((5 + 4 - 2*2 - 1)/2) + 1 = 3.  xpad (j = -2..6) = [0 0 1 2 3 4 5 0 0].
         * y[p] = xpad[2p-2] + 10*xpad[2p] + 100*xpad[2p+2]
         *   y[0] = 0 + 10*1 + 100*3 = 310;  y[1] = 1 + 30 + 500 = 531;  y[2] = 3 + 50 + 0 = 53
         * g = [1 2 3]:
         *   dW[k] = sum_p xpad[2p + 2k - 2]*g[p]
         *     dW[0] = 0*1 + 1*2 + 3*3 = 11; dW[1] = 1*1 + 3*2 + 5*3 = 22; dW[2] = 3*1 + 5*2 + 0 = 13
         *   dx[i], i = 2p + 2k - 2: only even i receive
         *     dx[0] = (p0,k1) 1*10 + (p1,k0) 2*1 = 12
         *     dx[2] = (p0,k2) 1*100 + (p1,k1) 2*10 + (p2,k0) 3*1 = 123
         *     dx[4] = (p1,k2) 2*100 + (p2,k1) 3*10 = 230
         *     dx[1] = dx[3] = 0;  db = 6 */
        hcase c = {.name = "conv1d dilation2 stride2 pad2",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 5, 3, 2, 2, 2, 2, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5), .w = V(1, 10, 100), .y = V(310, 531, 53),
                   .gy = V(1, 2, 3), .dx = V(12, 0, 123, 0, 230), .dw = V(11, 22, 13), .db = V(6)};
        run(&c);
    }
    {
        /* Asymmetric padding P_lo = 2, P_hi = 0: x = [1 2 3], W = [1 2].
         * O = 3 + 2 - 1 = 4.  xpad (j = -2..2) = [0 0 1 2 3].  y[p] = xpad[p-2] + 2*xpad[p-1]
         *   y = [0 + 0, 0 + 2, 1 + 4, 2 + 6] = [0 2 5 8]
         * g = [1 2 3 4]:
         *   dW[0] = sum_p xpad[p-2]*g[p] = 1*3 + 2*4 = 11
         *   dW[1] = sum_p xpad[p-1]*g[p] = 1*2 + 2*3 + 3*4 = 20
         *   dx[i] = g[i+2]*W0 + g[i+1]*W1:  dx[0] = 3 + 4 = 7; dx[1] = 4 + 6 = 10; dx[2] = 0 + 8 = 8
         *   db = 10 */
        hcase c = {.name = "conv1d asym pad 2:0",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 3, 2, 1, 1, 2, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3), .w = V(1, 2), .y = V(0, 2, 5, 8),
                   .gy = V(1, 2, 3, 4), .dx = V(7, 10, 8), .dw = V(11, 20), .db = V(10)};
        run(&c);
    }
    {
        /* Asymmetric padding P_lo = 0, P_hi = 1: x = [1 2 3], W = [1 2], xpad = [1 2 3 0], O = 3.
         *   y = [1 + 4, 2 + 6, 3 + 0] = [5 8 3]
         * g = [1 1 1]: dW[0] = 1+2+3 = 6; dW[1] = 2+3+0 = 5; dx = [1, 2+1, 2+1] = [1 3 3]
         *   (dx[i] = g[i]*W0 + g[i-1]*W1); db = 3 */
        hcase c = {.name = "conv1d asym pad 0:1",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 3, 2, 1, 1, 0, 1, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3), .w = V(1, 2), .y = V(5, 8, 3),
                   .gy = V(1, 1, 1), .dx = V(1, 3, 3), .dw = V(6, 5), .db = V(3)};
        run(&c);
    }
    {
        /* groups = 2, C_in = 4, C_out = 2, K = 2, I = 2 (O = 1). W shape (2, 2, 2).
         * x: ch0 = [1 2], ch1 = [3 4], ch2 = [5 6], ch3 = [7 8]
         * W[0] (reads ch0, ch1) = [[1 0], [0 1]];  W[1] (reads ch2, ch3) = [[1 1], [1 -1]]
         * b = [100 200]
         *   y0 = 1*1 + 2*0 + 3*0 + 4*1 + 100 = 105
         *   y1 = 5*1 + 6*1 + 7*1 + 8*(-1) + 200 = 210
         *   (a kernel ignoring groups would read ch0..1 for y1: 1 + 2 + 3 - 4 = 2)
         * g = [1 2]:
         *   dW[0] = g0 * (ch0, ch1) = [[1 2], [3 4]];  dW[1] = g1 * (ch2, ch3) = [[10 12], [14 16]]
         *   dx[c] = g[o(c)] * W[o(c), c']:  ch0 = [1 0], ch1 = [0 1], ch2 = 2*[1 1] = [2 2],
         *                                   ch3 = 2*[1 -1] = [2 -2]
         *   db = [1 2] */
        hcase c = {.name = "conv1d groups2",
                   .g = geo1(0, CONVND_UNBATCHED, 4, 2, 2, 2, 2, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5, 6, 7, 8), .w = V(1, 0, 0, 1, 1, 1, 1, -1), .b = V(100, 200),
                   .y = V(105, 210), .gy = V(1, 2), .dx = V(1, 0, 0, 1, 2, 2, 2, -2),
                   .dw = V(1, 2, 3, 4, 10, 12, 14, 16), .db = V(1, 2)};
        run(&c);
    }
    {
        /* groups = 2 with two outputs per group: C_in = 2, C_out = 4, K = 1, I = 2. W (4, 1, 1):
         * W = [1 2 3 4] (outs 0,1 read ch0; outs 2,3 read ch1).  x: ch0 = [1 2], ch1 = [5 7]
         *   y0 = [1 2], y1 = [2 4], y2 = [15 21], y3 = [20 28]
         * g: g0 = [1 0], g1 = [0 1], g2 = [1 1], g3 = [2 0]
         *   dW[o] = sum_p x[c(o), p] g[o, p]: dW0 = 1, dW1 = 2, dW2 = 5 + 7 = 12, dW3 = 10
         *   dx ch0 = g0*1 + g1*2 = [1 2];  ch1 = g2*3 + g3*4 = [3 + 8, 3 + 0] = [11 3]
         *   db = [1 1 2 2] */
        hcase c = {.name = "conv1d groups2 two outs per group",
                   .g = geo1(0, CONVND_UNBATCHED, 2, 4, 2, 2, 1, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 5, 7), .w = V(1, 2, 3, 4), .y = V(1, 2, 2, 4, 15, 21, 20, 28),
                   .gy = V(1, 0, 0, 1, 1, 1, 2, 0), .dx = V(1, 2, 11, 3), .dw = V(1, 2, 12, 10),
                   .db = V(1, 1, 2, 2)};
        run(&c);
    }
    {
        /* Batched: N = 2, C_in = 1, C_out = 2, I = 3, K = 2. W[0] = [1 2], W[1] = [3 1], b = [1 -1].
         * x[n=0] = [1 2 3], x[n=1] = [4 5 6].  y[n,o,p] = x[p]*W[o,0] + x[p+1]*W[o,1] + b[o]
         *   y[0,0] = [1+4, 2+6] + 1 = [6 9];      y[0,1] = [3+2, 6+3] - 1 = [4 8]
         *   y[1,0] = [4+10, 5+12] + 1 = [15 18];  y[1,1] = [12+5, 15+6] - 1 = [16 20]
         * g[0,0] = [1 0], g[0,1] = [0 1], g[1,0] = [1 1], g[1,1] = [3 0]
         *   dW[o,k] = sum_n sum_p x[n, p+k] g[n,o,p]
         *     dW[0,0] = (1*1 + 2*0) + (4*1 + 5*1) = 10;  dW[0,1] = (2*1 + 3*0) + (5 + 6) = 13
         *     dW[1,0] = (1*0 + 2*1) + (4*3 + 5*0) = 14;  dW[1,1] = (2*0 + 3*1) + (5*3 + 6*0) = 18
         *   db = [1+0+1+1, 0+1+3+0] = [3 4]
         *   dx[n,i] = sum_o (g[n,o,i]*W[o,0] + g[n,o,i-1]*W[o,1])
         *     n0: i0 = 1*1 + 0*3 = 1;  i1 = (0*1 + 1*3) + (1*2 + 0*1) = 5;  i2 = 0*2 + 1*1 = 1
         *     n1: i0 = 1*1 + 3*3 = 10; i1 = (1*1 + 0*3) + (1*2 + 3*1) = 6;  i2 = 1*2 + 0*1 = 2 */
        hcase c = {.name = "conv1d batched N=2",
                   .g = geo1(0, 2, 1, 2, 1, 3, 2, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5, 6), .w = V(1, 2, 3, 1), .b = V(1, -1),
                   .y = V(6, 9, 4, 8, 15, 18, 16, 20), .gy = V(1, 0, 0, 1, 1, 1, 3, 0),
                   .dx = V(1, 5, 1, 10, 6, 2), .dw = V(10, 13, 14, 18), .db = V(3, 4)};
        run(&c);
    }
}

/* ============================================================================================
 * 1-D conv with padding modes: forward, and grad_input folded back onto the source positions
 * ========================================================================================== */

static void padding_mode_cases(void) {
    /* x = [1 2 3 4], W = [1 10 100], P = 2 both sides, stride 1: O = 4 + 4 - 2 = 6.
     * y[p] = xpad[p-2] + 10*xpad[p-1] + 100*xpad[p]: the digits of y read xpad right to left.
     * g = [1 2 3 4 5 6]. The gradient on the padded line, dpad[j] = sum_{p + k - 2 = j} g[p]*W[k]:
     *   j=-2: g0 = 1                      j=-1: g1 + 10 g0 = 12
     *   j= 0: g2 + 10 g1 + 100 g0 = 123   j= 1: 4 + 30 + 200 = 234
     *   j= 2: 5 + 40 + 300 = 345          j= 3: 6 + 50 + 400 = 456
     *   j= 4: 10 g5 + 100 g4 = 560        j= 5: 100 g5 = 600
     * dx[i] = dpad[i] plus dpad[j] of every padded j that the mode copied from x[i].
     * dW[k] = sum_p xpad[p + k - 2] * g[p]  (xpad as the mode builds it); db = 21. */
    const convnd_padding_mode modes[4] = {CONVND_PAD_ZEROS, CONVND_PAD_REFLECT, CONVND_PAD_REPLICATE,
                                          CONVND_PAD_CIRCULAR};
    const char *names[4] = {"zeros P=2", "reflect P=2", "replicate P=2", "circular P=2"};
    /* zeros:     xpad = [0 0 | 1 2 3 4 | 0 0]
     *            y = [100, 210, 321, 432, 43, 4]
     *            dx = [123 234 345 456]  (dpad on the padding is dropped)
     *            dW = [0 0 1 2 3 4].g = 3+8+15+24 = 50; [0 1 2 3 4 0].g = 2+6+12+20 = 40;
     *                 [1 2 3 4 0 0].g = 1+4+9+16 = 30
     * reflect:   x[-2] = x[2] = 3, x[-1] = x[1] = 2, x[4] = x[2] = 3, x[5] = x[1] = 2
     *            xpad = [3 2 | 1 2 3 4 | 3 2];  y = [123, 212, 321, 432, 343, 234]
     *            dx[0] = 123; dx[1] = 234 + dpad[-1] 12 + dpad[5] 600 = 846;
     *            dx[2] = 345 + dpad[-2] 1 + dpad[4] 560 = 906; dx[3] = 456
     *            dW = [3 2 1 2 3 4].g = 3+4+3+8+15+24 = 57; [2 1 2 3 4 3].g = 2+2+6+12+20+18 = 60;
     *                 [1 2 3 4 3 2].g = 1+4+9+16+15+12 = 57
     * replicate: xpad = [1 1 | 1 2 3 4 | 4 4];  y = [111, 211, 321, 432, 443, 444]
     *            dx[0] = 123 + 1 + 12 = 136; dx[1] = 234; dx[2] = 345; dx[3] = 456 + 560 + 600 = 1616
     *            dW = [1 1 1 2 3 4].g = 1+2+3+8+15+24 = 53; [1 1 2 3 4 4].g = 1+2+6+12+20+24 = 65;
     *                 [1 2 3 4 4 4].g = 1+4+9+16+20+24 = 74
     * circular:  x[-2] = x[2] = 3, x[-1] = x[3] = 4, x[4] = x[0] = 1, x[5] = x[1] = 2
     *            xpad = [3 4 | 1 2 3 4 | 1 2];  y = [143, 214, 321, 432, 143, 214]
     *            dx[0] = 123 + dpad[4] 560 = 683; dx[1] = 234 + dpad[5] 600 = 834;
     *            dx[2] = 345 + dpad[-2] 1 = 346; dx[3] = 456 + dpad[-1] 12 = 468
     *            dW = [3 4 1 2 3 4].g = 3+8+3+8+15+24 = 61; [4 1 2 3 4 1].g = 4+2+6+12+20+6 = 50;
     *                 [1 2 3 4 1 2].g = 1+4+9+16+5+12 = 47 */
    const vec ys[4] = {V(100, 210, 321, 432, 43, 4), V(123, 212, 321, 432, 343, 234),
                       V(111, 211, 321, 432, 443, 444), V(143, 214, 321, 432, 143, 214)};
    const vec dxs[4] = {V(123, 234, 345, 456), V(123, 846, 906, 456), V(136, 234, 345, 1616),
                        V(683, 834, 346, 468)};
    const vec dws[4] = {V(50, 40, 30), V(57, 60, 57), V(53, 65, 74), V(61, 50, 47)};
    for (int m = 0; m < 4; m++) {
        hcase c = {.name = names[m], .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 4, 3, 1, 1, 2, 2, 0, modes[m]),
                   .x = V(1, 2, 3, 4), .w = V(1, 10, 100), .y = ys[m],
                   .gy = V(1, 2, 3, 4, 5, 6), .dx = dxs[m], .dw = dws[m], .db = V(21)};
        run(&c);
        /* Batched N = 2: sample 1 is sample 0 times 2 with the same g: y doubles, dx repeats,
         * dW triples (1x + 2x), db doubles. */
        double y2[12], dx2[8], dw3[3];
        for (int i = 0; i < 6; i++) y2[i] = ys[m].p[i], y2[6 + i] = 2 * ys[m].p[i];
        for (int i = 0; i < 4; i++) dx2[i] = dx2[4 + i] = dxs[m].p[i];
        for (int i = 0; i < 3; i++) dw3[i] = 3 * dws[m].p[i];
        char name[64];
        snprintf(name, sizeof name, "%s batched", names[m]);
        hcase cb = {.name = name, .g = geo1(0, 2, 1, 1, 1, 4, 3, 1, 1, 2, 2, 0, modes[m]),
                    .x = V(1, 2, 3, 4, 2, 4, 6, 8), .w = V(1, 10, 100), .y = {y2, 12},
                    .gy = V(1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6), .dx = {dx2, 8}, .dw = {dw3, 3}, .db = V(42)};
        run(&cb);
    }
    {
        /* reflect, asymmetric P_lo = 2, P_hi = 1: x = [1 2 3], W = [1 10].
         * xpad (j = -2..3) = [x2 x1 | x0 x1 x2 | x1] = [3 2 1 2 3 2]; O = 3 + 3 - 1 = 5
         * y[p] = xpad[p-2] + 10 xpad[p-1] = [3+20, 2+10, 1+20, 2+30, 3+20] = [23 12 21 32 23]
         * g = [1 2 3 4 5]: dpad[m] (m = j + 2) = g[m] + 10 g[m-1] = [1 12 23 34 45 50]
         *   m0 (j=-2) -> x2, m1 (j=-1) -> x1, m2..m4 -> x0..x2, m5 (j=3) -> x1
         *   dx = [23, 12 + 34 + 50, 1 + 45] = [23 96 46]
         * dW[0] = [3 2 1 2 3].g = 3+4+3+8+15 = 33; dW[1] = [2 1 2 3 2].g = 2+2+6+12+10 = 32; db = 15 */
        hcase c = {.name = "reflect asym 2:1",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 3, 2, 1, 1, 2, 1, 0, CONVND_PAD_REFLECT),
                   .x = V(1, 2, 3), .w = V(1, 10), .y = V(23, 12, 21, 32, 23),
                   .gy = V(1, 2, 3, 4, 5), .dx = V(23, 96, 46), .dw = V(33, 32), .db = V(15)};
        run(&c);
    }
    {
        /* replicate with padding larger than the input: x = [1 2], W = [1 10], P_lo = 3, P_hi = 0.
         * xpad (j = -3..1) = [1 1 1 | 1 2]; O = 2 + 3 - 1 = 4
         * y[p] = xpad[p-3] + 10 xpad[p-2] = [11 11 11 21]
         * g = [1 2 3 4]: dpad[m] (m = j + 3) = g[m] + 10 g[m-1] = [1 12 23 34 40]
         *   m0..m3 -> x0, m4 -> x1: dx = [1 + 12 + 23 + 34, 40] = [70 40]
         * dW[0] = [1 1 1 1].g = 10; dW[1] = [1 1 1 2].g = 1+2+3+8 = 14; db = 10 */
        hcase c = {.name = "replicate P_lo=3 > I=2",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 2, 2, 1, 1, 3, 0, 0, CONVND_PAD_REPLICATE),
                   .x = V(1, 2), .w = V(1, 10), .y = V(11, 11, 11, 21),
                   .gy = V(1, 2, 3, 4), .dx = V(70, 40), .dw = V(10, 14), .db = V(10)};
        run(&c);
    }
    {
        /* circular with P = I: x = [1 2], W = [1 10 100], P = 2. xpad (j=-2..3) = [1 2 | 1 2 | 1 2]
         * O = 2 + 4 - 2 = 4: y[p] = xpad[p-2] + 10 xpad[p-1] + 100 xpad[p] = [121 212 121 212]
         * g = [1 2 3 4]: dpad[m] = g[m] + 10 g[m-1] + 100 g[m-2] = [1 12 123 234 340 400]
         *   even m -> x0: 1 + 123 + 340 = 464;  odd m -> x1: 12 + 234 + 400 = 646
         * dW[0] = [1 2 1 2].g = 1+4+3+8 = 16; dW[1] = [2 1 2 1].g = 2+2+6+4 = 14; dW[2] = 16; db = 10 */
        hcase c = {.name = "circular P=I=2",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 2, 3, 1, 1, 2, 2, 0, CONVND_PAD_CIRCULAR),
                   .x = V(1, 2), .w = V(1, 10, 100), .y = V(121, 212, 121, 212),
                   .gy = V(1, 2, 3, 4), .dx = V(464, 646), .dw = V(16, 14, 16), .db = V(10)};
        run(&c);
    }
    {
        /* reflect with stride 2 and P = I - 1: x = [1 2 3], W = [1 10 100], P = 2.
         * xpad (j=-2..4) = [3 2 | 1 2 3 | 2 1]; O = floor((3 + 4 - 3)/2) + 1 = 3
         * y[p] = xpad[2p-2] + 10 xpad[2p-1] + 100 xpad[2p]
         *   y0 = 3 + 20 + 100 = 123; y1 = 1 + 20 + 300 = 321; y2 = 3 + 20 + 100 = 123
         * g = [1 2 3]: dpad[m] (m = j + 2) = sum_{2p + k = m} g[p] W[k]
         *   m0 = g0 = 1; m1 = 10 g0 = 10; m2 = 100 g0 + g1 = 102; m3 = 10 g1 = 20;
         *   m4 = 100 g1 + g2 = 203; m5 = 10 g2 = 30; m6 = 100 g2 = 300
         *   m -> x: m0 (j=-2) -> x2, m1 (j=-1) -> x1, m2..m4 -> x0..x2, m5 (j=3) -> x1, m6 (j=4) -> x0
         *   dx = [102 + 300, 10 + 20 + 30, 1 + 203] = [402 60 204]
         * dW[k] = sum_p xpad[2p + k - 2] g[p]: dW0 = 3*1 + 1*2 + 3*3 = 14; dW1 = 2 + 4 + 6 = 12;
         *   dW2 = 1 + 6 + 3 = 10; db = 6 */
        hcase c = {.name = "reflect P=I-1 stride2",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 3, 3, 2, 1, 2, 2, 0, CONVND_PAD_REFLECT),
                   .x = V(1, 2, 3), .w = V(1, 10, 100), .y = V(123, 321, 123),
                   .gy = V(1, 2, 3), .dx = V(402, 60, 204), .dw = V(14, 12, 10), .db = V(6)};
        run(&c);
    }
}

/* ============================================================================================
 * 1-D transposed conv
 * ========================================================================================== */

static void transposed1d_cases(void) {
    {
        /* x = [1 2], Wt = [1 2 3], stride 2, no padding, b = 1.
         * O = (2-1)*2 + (3-1) + 1 = 5.  full[2i + k] += x[i] W[k]:
         *   i=0: full[0..2] += [1 2 3];  i=1: full[2..4] += [2 4 6]  -> full = [1 2 5 4 6]
         *   y = full + 1 = [2 3 6 5 7]
         * g = [1 0 0 0 1]:
         *   dx[i] = sum_k W[k] g[2i + k]: dx0 = 1*1 + 2*0 + 3*0 = 1; dx1 = 1*0 + 2*0 + 3*1 = 3
         *   dW[k] = sum_i x[i] g[2i + k]: dW0 = 1*1 + 2*0 = 1; dW1 = 1*0 + 2*0 = 0; dW2 = 1*0 + 2*1 = 2
         *   db = 2 */
        hcase c = {.name = "transposed1d stride2",
                   .g = geo1(1, CONVND_UNBATCHED, 1, 1, 1, 2, 3, 2, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2), .w = V(1, 2, 3), .b = V(1), .y = V(2, 3, 6, 5, 7),
                   .gy = V(1, 0, 0, 0, 1), .dx = V(1, 3), .dw = V(1, 0, 2), .db = V(2)};
        run(&c);
    }
    {
        /* Same with padding 1 and output_padding 1 (< max(S, D) = 2), no bias.
         * O = (2-1)*2 - 1 - 1 + 2 + 1 + 1 = 4; y[q] = full[q + 1] = [2 5 4 6]  (full = [1 2 5 4 6])
         * g = [1 10 100 1000] (g[q] sits at full index q + 1):
         *   dx[i] = sum_k W[k] g[2i + k - 1]:
         *     dx0 = (k0: g[-1] skipped) + 2*g0 + 3*g1 = 2 + 30 = 32
         *     dx1 = 1*g1 + 2*g2 + 3*g3 = 10 + 200 + 3000 = 3210
         *   dW[k] = sum_i x[i] g[2i + k - 1]:
         *     dW0 = 1*g[-1](skipped) + 2*g1 = 20;  dW1 = 1*g0 + 2*g2 = 201;  dW2 = 1*g1 + 2*g3 = 2010
         *   db = 1111 */
        hcase c = {.name = "transposed1d stride2 pad1 outpad1",
                   .g = geo1(1, CONVND_UNBATCHED, 1, 1, 1, 2, 3, 2, 1, 1, 1, 1, CONVND_PAD_ZEROS),
                   .x = V(1, 2), .w = V(1, 2, 3), .y = V(2, 5, 4, 6),
                   .gy = V(1, 10, 100, 1000), .dx = V(32, 3210), .dw = V(20, 201, 2010), .db = V(1111)};
        run(&c);
    }
    {
        /* Asymmetric padding on a transposed conv: P_lo = 2, P_hi = 0 with the same x, Wt:
         * O = 2 - 2 + 2 + 1 = 3; y[q] = full[q + 2] = [5 4 6] */
        hcase c = {.name = "transposed1d asym pad 2:0",
                   .g = geo1(1, CONVND_UNBATCHED, 1, 1, 1, 2, 3, 2, 1, 2, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2), .w = V(1, 2, 3), .y = V(5, 4, 6),
                   /* g = [1 2 3] at full[2..4]: dx[i] = sum_k W[k] g[2i + k - 2]:
                    *   dx0 = 3*g0 = 3;  dx1 = 1*g0 + 2*g1 + 3*g2 = 1 + 4 + 9 = 14
                    * dW[k] = sum_i x[i] g[2i + k - 2]: dW0 = 2*g0 = 2; dW1 = 2*g1 = 4; dW2 = 1*g0 + 2*g2 = 7 */
                   .gy = V(1, 2, 3), .dx = V(3, 14), .dw = V(2, 4, 7), .db = V(6)};
        run(&c);
    }
    {
        /* Dilation 2: x = [1 2], Wt = [1 10], stride 1, output_padding 1 (< max(1, 2)), b = 5.
         * O = (2-1)*1 + 2*(2-1) + 1 + 1 = 5. full[i + 2k] += x[i] W[k]:
         *   i=0: full0 += 1, full2 += 10;  i=1: full1 += 2, full3 += 20  -> [1 2 10 20 0]
         *   (position 4 exists only through output_padding: it receives the bias alone)
         *   y = [6 7 15 25 5]
         * g = [1 2 3 4 5]:
         *   dx[i] = g[i] + 10 g[i+2]: dx0 = 1 + 30 = 31; dx1 = 2 + 40 = 42
         *   dW[k] = sum_i x[i] g[i + 2k]: dW0 = 1*1 + 2*2 = 5; dW1 = 1*3 + 2*4 = 11
         *   db = 15 */
        hcase c = {.name = "transposed1d dilation2 outpad1",
                   .g = geo1(1, CONVND_UNBATCHED, 1, 1, 1, 2, 2, 1, 2, 0, 0, 1, CONVND_PAD_ZEROS),
                   .x = V(1, 2), .w = V(1, 10), .b = V(5), .y = V(6, 7, 15, 25, 5),
                   .gy = V(1, 2, 3, 4, 5), .dx = V(31, 42), .dw = V(5, 11), .db = V(15)};
        run(&c);
    }
    {
        /* groups = 2: C_in = 4, C_out = 2, K = 2, I = 2, stride 1 -> O = 3. Wt shape (4, 1, 2).
         * x: ch0 = [1 2], ch1 = [3 4], ch2 = [5 6], ch3 = [7 8]
         * Wt[0] = [1 0], Wt[1] = [0 1] (-> out 0); Wt[2] = [1 1], Wt[3] = [1 -1] (-> out 1)
         *   y0 = ch0 * [1 0] + ch1 * [0 1] = [1 2 0] + [0 3 4] = [1 5 4]
         *   y1 = ch2 * [1 1] + ch3 * [1 -1] = [5 11 6] + [7 1 -8] = [12 12 -2]
         * g0 = [1 2 3], g1 = [1 0 -1]:
         *   dx[c,i] = sum_k Wt[c,k] g[o(c), i + k]:
         *     ch0 = [g0[0], g0[1]] = [1 2];  ch1 = [g0[1], g0[2]] = [2 3]
         *     ch2 = [1 + 0, 0 - 1] = [1 -1]; ch3 = [1 - 0, 0 + 1] = [1 1]
         *   dW[c,k] = sum_i x[c,i] g[o(c), i + k]:
         *     ch0: [1*1 + 2*2, 1*2 + 2*3] = [5 8];   ch1: [3 + 8, 6 + 12] = [11 18]
         *     ch2: [5*1 + 6*0, 5*0 + 6*(-1)] = [5 -6]; ch3: [7, -8]
         *   db = [6 0] */
        hcase c = {.name = "transposed1d groups2",
                   .g = geo1(1, CONVND_UNBATCHED, 4, 2, 2, 2, 2, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5, 6, 7, 8), .w = V(1, 0, 0, 1, 1, 1, 1, -1), .y = V(1, 5, 4, 12, 12, -2),
                   .gy = V(1, 2, 3, 1, 0, -1), .dx = V(1, 2, 2, 3, 1, -1, 1, 1),
                   .dw = V(5, 8, 11, 18, 5, -6, 7, -8), .db = V(6, 0)};
        run(&c);
    }
    {
        /* Batched N = 2, the stride-2 case: x[0] = [1 2], x[1] = [0 1], Wt = [1 2 3], b = 1.
         *   y[0] = [2 3 6 5 7] (above);  full[1] = x1[1] * W at 2..4 = [0 0 1 2 3] -> y[1] = [1 1 2 3 4]
         * g[0] = [1 0 0 0 1], g[1] = [0 1 0 1 0]:
         *   dx[0] = [1 3] (above);  dx[1]: i0 = W.g[0..2] = 2*1 = 2, i1 = W.g[2..4] = 2*1 = 2
         *   dW = dW(n0) + dW(n1) = [1 0 2] + (x=[0 1]: k -> g1[2 + k] = [0 1 0]) = [1 1 2]
         *   db = 2 + 2 = 4 */
        hcase c = {.name = "transposed1d batched N=2",
                   .g = geo1(1, 2, 1, 1, 1, 2, 3, 2, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 0, 1), .w = V(1, 2, 3), .b = V(1), .y = V(2, 3, 6, 5, 7, 1, 1, 2, 3, 4),
                   .gy = V(1, 0, 0, 0, 1, 0, 1, 0, 1, 0), .dx = V(1, 3, 2, 2), .dw = V(1, 1, 2), .db = V(4)};
        run(&c);
    }
    {
        /* Two input channels, two outputs (groups 1): Wt shape (2, 2, 1), K = 1, I = 2.
         * Wt[c=0] = [1 2] (to outs 0, 1), Wt[c=1] = [3 4]; x ch0 = [1 2], ch1 = [10 20]
         *   y0 = 1*ch0 + 3*ch1 = [31 62];  y1 = 2*ch0 + 4*ch1 = [42 84]
         * g0 = [1 0], g1 = [0 1]:
         *   dx[c,i] = sum_o Wt[c,o] g[o,i]: ch0 = [1 2], ch1 = [3 4]
         *   dW[c,o] = sum_i x[c,i] g[o,i]: [1 2; 10 20]; db = [1 1] */
        hcase c = {.name = "transposed1d 2->2 channels",
                   .g = geo1(1, CONVND_UNBATCHED, 2, 2, 1, 2, 1, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 10, 20), .w = V(1, 2, 3, 4), .y = V(31, 62, 42, 84),
                   .gy = V(1, 0, 0, 1), .dx = V(1, 2, 3, 4), .dw = V(1, 2, 10, 20), .db = V(1, 1)};
        run(&c);
    }
}

/* ============================================================================================
 * 2-D
 * ========================================================================================== */

static void conv2d_cases(void) {
    {
        /* x (2x3) = [[1 2 3], [4 5 6]], W (2x2) = [[1 2], [3 4]], no padding, stride 1.
         * O = (1, 2). y[0,pw] = x[0,pw] + 2 x[0,pw+1] + 3 x[1,pw] + 4 x[1,pw+1]
         *   y[0,0] = 1 + 4 + 12 + 20 = 37;  y[0,1] = 2 + 6 + 15 + 24 = 47
         * g = [[1 2]]:
         *   dW[kh,kw] = x[kh,kw]*1 + x[kh,kw+1]*2: dW = [[1+4, 2+6], [4+10, 5+12]] = [[5 8], [14 17]]
         *   dx[i,j] = g0 W[i,j] + g1 W[i,j-1]:
         *     row0 = [1*1, 1*2 + 2*1, 2*2] = [1 4 4];  row1 = [1*3, 1*4 + 2*3, 2*4] = [3 10 8]
         *   db = 3 */
        hcase c = {.name = "conv2d 2x3 k2x2",
                   .g = geo(2, 0, CONVND_UNBATCHED, 1, 1, 1, L(2, 3), L(2, 2), NULL, NULL, NULL, NULL, NULL,
                            CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5, 6), .w = V(1, 2, 3, 4), .y = V(37, 47),
                   .gy = V(1, 2), .dx = V(1, 4, 4, 3, 10, 8), .dw = V(5, 8, 14, 17), .db = V(3)};
        run(&c);
        /* Batched N = 2: sample 1 = 2 * sample 0, the same g for both; b = 7.
         * y[1] = 2 * [37 47]; dx repeats; dW = 3 * dW; db = 6 */
        hcase cb = {.name = "conv2d 2x3 k2x2 batched",
                    .g = geo(2, 0, 2, 1, 1, 1, L(2, 3), L(2, 2), NULL, NULL, NULL, NULL, NULL, CONVND_PAD_ZEROS),
                    .x = V(1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12), .w = V(1, 2, 3, 4), .b = V(7),
                    .y = V(44, 54, 81, 101), .gy = V(1, 2, 1, 2), .dx = V(1, 4, 4, 3, 10, 8, 1, 4, 4, 3, 10, 8),
                    .dw = V(15, 24, 42, 51), .db = V(6)};
        run(&cb);
    }
    {
        /* Stride (2, 1), padding (1, 0), kernel (3, 1): x (3x2) = [[1 2], [3 4], [5 6]], W = [1 2 3]^T.
         * O_h = floor((3 + 2 - 3)/2) + 1 = 2, O_w = 2. Rows of xpad: -1 -> 0, 0..2 -> x, 3 -> 0.
         * y[ph,pw] = sum_kh xpad[2ph + kh - 1, pw] W[kh]
         *   ph0: rows -1, 0, 1: [0 + 2*1 + 3*3, 0 + 2*2 + 3*4] = [11 16]
         *   ph1: rows  1, 2, 3: [3 + 2*5 + 0, 4 + 2*6 + 0] = [13 16]
         * g = [[1 2], [3 4]]:
         *   dW[kh] = sum xpad[2ph + kh - 1, pw] g[ph,pw]
         *     kh0: ph1 row 1: 3*3 + 4*4 = 25 (ph0 row -1 is padding)
         *     kh1: row 0 . g row 0 + row 2 . g row 1 = (1 + 4) + (15 + 24) = 44
         *     kh2: row 1 . g row 0 = 3 + 8 = 11 (ph1 row 3 is padding)
         *   dx[i,j] = sum over 2ph + kh - 1 = i of g[ph,j] W[kh]
         *     i0: (ph0,kh1) 2 g[0,j] = [2 4]
         *     i1: (ph0,kh2) 3 g[0,j] + (ph1,kh0) g[1,j] = [3 + 3, 6 + 4] = [6 10]
         *     i2: (ph1,kh1) 2 g[1,j] = [6 8]
         *   db = 10 */
        hcase c = {.name = "conv2d stride(2,1) pad(1,0) k(3,1)",
                   .g = geo(2, 0, CONVND_UNBATCHED, 1, 1, 1, L(3, 2), L(3, 1), L(2, 1), NULL, L(1, 0), L(1, 0),
                            NULL, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5, 6), .w = V(1, 2, 3), .y = V(11, 16, 13, 16),
                   .gy = V(1, 2, 3, 4), .dx = V(2, 4, 6, 10, 6, 8), .dw = V(25, 44, 11), .db = V(10)};
        run(&c);
    }
    {
        /* groups 2, dilation (1, 2), asymmetric padding P_lo = (0, 1), P_hi = (0, 0), kernel (1, 2).
         * C_in = C_out = 2. x ch0 = [[1 2 3], [4 5 6]], ch1 = [[1 2 1], [2 1 2]]; W[0] = [1 10],
         * W[1] = [2 3]; b = [1 2]. O_h = 2, O_w = floor((3 + 1 - 2 - 1)/1) + 1 = 2.
         * y[o,r,pw] = xpad[o, r, pw - 1] W[o,0] + xpad[o, r, pw + 1] W[o,1]  (col -1 is padding)
         *   o0: pw0 = 10 x[r,1], pw1 = x[r,0] + 10 x[r,2]:  row0 = [20, 1 + 30], row1 = [50, 4 + 60]
         *       + 1 -> [[21 32], [51 65]]
         *   o1: pw0 = 3 x[r,1], pw1 = 2 x[r,0] + 3 x[r,2]:  row0 = [6, 2 + 3], row1 = [3, 4 + 6]
         *       + 2 -> [[8 7], [5 12]]
         * g0 = [[1 2], [3 4]], g1 = [[2 0], [1 1]]:
         *   dW[o,0] = sum_{r} x[o,r,0] g[o,r,1];  dW[o,1] = sum_r (x[o,r,1] g[o,r,0] + x[o,r,2] g[o,r,1])
         *     o0: [1*2 + 4*4, (2*1 + 5*3) + (3*2 + 6*4)] = [18, 47]
         *     o1: [1*0 + 2*1, (2*2 + 1*1) + (1*0 + 2*1)] = [2, 7]
         *   dx[c,r,j]: j0 = g[r,1] W0, j1 = g[r,0] W1, j2 = g[r,1] W1
         *     c0: row0 = [2, 10, 20], row1 = [4, 30, 40]
         *     c1: row0 = [0, 6, 0],   row1 = [2, 3, 3]
         *   db = [10 4] */
        hcase c = {.name = "conv2d groups2 dilation(1,2) asym pad",
                   .g = geo(2, 0, CONVND_UNBATCHED, 2, 2, 2, L(2, 3), L(1, 2), NULL, L(1, 2), L(0, 1), L(0, 0),
                            NULL, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5, 6, 1, 2, 1, 2, 1, 2), .w = V(1, 10, 2, 3), .b = V(1, 2),
                   .y = V(21, 32, 51, 65, 8, 7, 5, 12), .gy = V(1, 2, 3, 4, 2, 0, 1, 1),
                   .dx = V(2, 10, 20, 4, 30, 40, 0, 6, 0, 2, 3, 3), .dw = V(18, 47, 2, 7), .db = V(10, 4)};
        run(&c);
    }
}

static void transposed2d_cases(void) {
    {
        /* x (2x2) = [[1 2], [3 4]], Wt (2x2) = [[1 2], [3 4]], stride (2, 1), no padding.
         * O = ((2-1)*2 + 2, (2-1)*1 + 2) = (4, 3). full[2i + kh, j + kw] += x[i,j] W[kh,kw]:
         *   row 0 (i0, kh0): j0 -> cols 0,1 += [1 2]; j1 -> cols 1,2 += [2 4]  -> [1 4 4]
         *   row 1 (i0, kh1): [3 4] and [6 8]                                   -> [3 10 8]
         *   row 2 (i1, kh0): [3 6] and [4 8]                                   -> [3 10 8]
         *   row 3 (i1, kh1): [9 12] and [12 16]                                -> [9 24 16]
         * Unpadded: y = full. */
        hcase c = {.name = "transposed2d stride(2,1)",
                   .g = geo(2, 1, CONVND_UNBATCHED, 1, 1, 1, L(2, 2), L(2, 2), L(2, 1), NULL, NULL, NULL, NULL,
                            CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4), .w = V(1, 2, 3, 4), .y = V(1, 4, 4, 3, 10, 8, 3, 10, 8, 9, 24, 16)};
        run(&c);
    }
    {
        /* The same with padding (1, 0), output_padding (1, 0) and b = 1:
         * O_h = 2 - 2 + 2 + 1 = 3, O_w = 3; y[qh, qw] = full[qh + 1, qw] + 1 = full rows 1..3 + 1
         *   y = [[4 11 9], [4 11 9], [10 25 17]]
         * g = [[1 2 3], [4 5 6], [7 8 9]] (g row r sits at full row r + 1):
         *   dx[i,j] = sum_{kh,kw} W[kh,kw] g[2i + kh - 1, j + kw]
         *     i0: kh0 -> row -1 skipped; kh1 -> g row 0: j0 = 3*1 + 4*2 = 11, j1 = 3*2 + 4*3 = 18
         *     i1: kh0 -> g row 1, kh1 -> g row 2:
         *         j0 = 1*4 + 2*5 + 3*7 + 4*8 = 67;  j1 = 1*5 + 2*6 + 3*8 + 4*9 = 77
         *   dW[kh,kw] = sum_{i,j} x[i,j] g[2i + kh - 1, j + kw]
         *     kh0 (i1 -> g row 1 = [4 5 6]): kw0 = 3*4 + 4*5 = 32;  kw1 = 3*5 + 4*6 = 39
         *     kh1 (i0 -> row 0, i1 -> row 2): kw0 = 1*1 + 2*2 + 3*7 + 4*8 = 58;
         *                                     kw1 = 1*2 + 2*3 + 3*8 + 4*9 = 68
         *   db = 45
         * Check by adjointness: <y - b, g> = 47 + 110 + 399 = 556 = <x, dx> = 11 + 36 + 201 + 308
         *   = <W, dW> = 32 + 78 + 174 + 272. */
        hcase c = {.name = "transposed2d stride(2,1) pad(1,0) outpad(1,0)",
                   .g = geo(2, 1, CONVND_UNBATCHED, 1, 1, 1, L(2, 2), L(2, 2), L(2, 1), NULL, L(1, 0), L(1, 0),
                            L(1, 0), CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4), .w = V(1, 2, 3, 4), .b = V(1), .y = V(4, 11, 9, 4, 11, 9, 10, 25, 17),
                   .gy = V(1, 2, 3, 4, 5, 6, 7, 8, 9), .dx = V(11, 18, 67, 77), .dw = V(32, 39, 58, 68),
                   .db = V(45)};
        run(&c);
    }
    {
        /* groups 2, dilation (2, 1), batched N = 2: C_in = 2, C_out = 2, Wt shape (2, 1, 2, 1).
         * x[n,c] is 1x2; kernel (2, 1) with dilation 2 along h: O_h = 0 + 2*1 + 1 = 3, O_w = 2.
         * full[o, i + 2kh, j] += x[c, i, j] Wt[c, kh]   (i = 0 only; o = c)
         * Wt[0] = [1 10], Wt[1] = [2 3].
         *   n0: x ch0 = [1 2], ch1 = [3 4]
         *       y0 = [[1 2], [0 0], [10 20]];  y1 = [[6 8], [0 0], [9 12]]
         *   n1: x ch0 = [5 6], ch1 = [7 8]
         *       y0 = [[5 6], [0 0], [50 60]];  y1 = [[14 16], [0 0], [21 24]]
         * g[n,o] (3x2): n0: g0 = [[1 0],[9 9],[0 1]], g1 = [[1 1],[9 9],[1 0]]
         *               n1: g0 = [[0 1],[9 9],[1 0]], g1 = [[2 0],[9 9],[0 2]]
         *   (row 1 of g is never read: no input maps there)
         *   dx[n,c,0,j] = Wt[c,0] g[n,c,0,j] + Wt[c,1] g[n,c,2,j]
         *     n0: ch0 = [1 + 0, 0 + 10] = [1 10];  ch1 = [2 + 3, 2 + 0] = [5 2]
         *     n1: ch0 = [0 + 10, 1 + 0] = [10 1];  ch1 = [4 + 0, 0 + 6] = [4 6]
         *   dW[c,kh] = sum_n sum_j x[n,c,0,j] g[n,c,2kh,j]
         *     c0: kh0 = (1*1 + 2*0) + (5*0 + 6*1) = 7;   kh1 = (1*0 + 2*1) + (5*1 + 6*0) = 7
         *     c1: kh0 = (3*1 + 4*1) + (7*2 + 8*0) = 21;  kh1 = (3*1 + 4*0) + (7*0 + 8*2) = 19
         *   db[o] = sum over n, positions: o0 = (1 + 18 + 1) + (1 + 18 + 1) = 40;
         *                                  o1 = (2 + 18 + 1) + (2 + 18 + 2) = 43 */
        hcase c = {.name = "transposed2d groups2 dilation(2,1) batched",
                   .g = geo(2, 1, 2, 2, 2, 2, L(1, 2), L(2, 1), NULL, L(2, 1), NULL, NULL, NULL, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4, 5, 6, 7, 8), .w = V(1, 10, 2, 3),
                   .y = V(1, 2, 0, 0, 10, 20, 6, 8, 0, 0, 9, 12, 5, 6, 0, 0, 50, 60, 14, 16, 0, 0, 21, 24),
                   .gy = V(1, 0, 9, 9, 0, 1, 1, 1, 9, 9, 1, 0, 0, 1, 9, 9, 1, 0, 2, 0, 9, 9, 0, 2),
                   .dx = V(1, 10, 5, 2, 10, 1, 4, 6), .dw = V(7, 7, 21, 19), .db = V(40, 43)};
        run(&c);
    }
}

/* ============================================================================================
 * The spec's evaluation order and NaN propagation
 * ========================================================================================== */

static void order_cases(void) {
    const double inf = INFINITY, nan = NAN, tiny = 0x1p-60;
    {
        /* x = [1], K = 3, P = 1: the taps k = 0 and k = 2 meet only padding.
         * W = [inf 1 1]: y = 0*inf + 1*1 + 0*1 = NaN (the spec adds 0*w for a padding tap). */
        hcase c = {.name = "inf weight on the low padding tap", .ref_only = 1,
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 1, 3, 1, 1, 1, 1, 0, CONVND_PAD_ZEROS),
                   .x = V(1), .w = V(inf, 1, 1), .y = V(nan)};
        run(&c);
        c.name = "inf weight on the high padding tap";
        c.w = V(1, 1, inf);
        run(&c);
        /* W = [1 inf 1]: the inf meets x[0] = 1: y = 0 + inf + 0 = inf. */
        c.name = "inf weight on a data tap";
        c.w = V(1, inf, 1);
        c.y = V(inf);
        run(&c);
    }
    {
        /* 2-D: x (1x1) = [5], K = (2, 2), P_lo = (1, 1), P_hi = (0, 0): O = (1, 1). The taps
         * (0,0), (0,1), (1,0) are padding, (1,1) reads x. W = [[1 1], [-inf 1]]:
         * y = 0*1 + 0*1 + 0*(-inf) + 5*1 = NaN. */
        hcase c = {.name = "2-D -inf weight on a padding tap", .ref_only = 1,
                   .g = geo(2, 0, CONVND_UNBATCHED, 1, 1, 1, L(1, 1), L(2, 2), NULL, NULL, L(1, 1), L(0, 0),
                            NULL, CONVND_PAD_ZEROS),
                   .x = V(5), .w = V(1, 1, -inf, 1), .y = V(nan)};
        run(&c);
    }
    {
        /* Bias added last: x = [1 1], W = [1 -1], b = 2^-60.
         *   spec order: ((0 + 1) + (-1)) + 2^-60 = 2^-60
         *   bias first: ((2^-60 + 1) + (-1)) = 0, since 1 + 2^-60 rounds to 1 in both dtypes */
        hcase c = {.name = "bias added last", .ref_only = 1,
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 1), .w = V(1, -1), .b = V(tiny), .y = V(tiny)};
        run(&c);
    }
    {
        /* Channels outer, taps inner: C_in = 2, K = 2, W = 1 everywhere; ch0 = [1, 2^-60],
         * ch1 = [-1, 2^-60]. Terms in spec order: c0k0 = 1, c0k1 = 2^-60, c1k0 = -1, c1k1 = 2^-60
         *   ((1 + 2^-60) - 1) + 2^-60 = 0 + 2^-60 = 2^-60
         *   (taps outer would give (1 - 1) + 2^-60 + 2^-60 = 2^-59) */
        hcase c = {.name = "channels before taps", .ref_only = 1,
                   .g = geo1(0, CONVND_UNBATCHED, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, tiny, -1, tiny), .w = V(1, 1, 1, 1), .y = V(tiny)};
        run(&c);
    }
    {
        /* NaN in the input is not dropped, even where it meets a zero weight (0*NaN = NaN):
         * x = [1 NaN 3], W = [1 0]: y0 = 1*1 + NaN*0 = NaN; y1 = NaN*1 + 3*0 = NaN.
         * x = [1 2 NaN 4], W = [1 1]: y = [3, NaN, NaN]. */
        hcase c = {.name = "NaN input times zero weight",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 3, 2, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(1, nan, 3), .w = V(1, 0), .y = V(nan, nan)};
        run(&c);
        hcase c2 = {.name = "NaN input reaches its window only",
                    .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 4, 2, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                    .x = V(1, 2, nan, 4), .w = V(1, 1), .y = V(3, nan, nan)};
        run(&c2);
        /* inf - inf: x = [inf inf], W = [1 -1] -> NaN. */
        hcase c3 = {.name = "inf - inf", .g = c2.g, .x = V(inf, inf, 1, 1), .w = V(1, -1), .y = V(nan, inf, 0)};
        run(&c3);
        /* NaN in the bias: every output NaN. */
        hcase c4 = {.name = "NaN bias", .g = c2.g, .x = V(1, 2, 3, 4), .w = V(1, 1), .b = V(nan),
                    .y = V(nan, nan, nan)};
        run(&c4);
    }
    {
        /* Transposed: x = [NaN 1], Wt = [1], stride 2: O = 3, y = [NaN, 0, 1]; the gap position 1
         * receives nothing and stays 0, the NaN does not spread. */
        hcase c = {.name = "transposed NaN input",
                   .g = geo1(1, CONVND_UNBATCHED, 1, 1, 1, 2, 1, 2, 1, 0, 0, 0, CONVND_PAD_ZEROS),
                   .x = V(nan, 1), .w = V(1), .y = V(nan, 0, 1),
                   /* g = [1 NaN 2]: dx[i] = g[2i] = [1 2] (the NaN at 1 is not read);
                    * dW = x0*g0 + x1*g2 = NaN*1 + 2 = NaN; db = NaN */
                   .gy = V(1, nan, 2), .dx = V(1, 2), .dw = V(nan), .db = V(nan)};
        run(&c);
    }
    {
        /* Backward with a NaN in grad_output: the case "conv1d stride2 pad1" (x = [1 2 3 4],
         * W = [1 2 3], S = 2, P = 1) with g = [1 NaN]:
         *   dx[0] = (p0,k1) 1*2 = 2;  dx[1] = 1*3 + NaN*1 = NaN;  dx[2] = NaN*2;  dx[3] = NaN*3
         *   dW[k] = xpad[k-1]*1 + xpad[k+1]*NaN: every tap reads a data element times NaN -> NaN
         *   db = NaN */
        hcase c = {.name = "NaN in grad_output",
                   .g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 4, 3, 2, 1, 1, 1, 0, CONVND_PAD_ZEROS),
                   .x = V(1, 2, 3, 4), .w = V(1, 2, 3), .gy = V(1, nan), .dx = V(2, nan, nan, nan),
                   .dw = V(nan, nan, nan), .db = V(nan)};
        run(&c);
    }
}

/* The spec sums from 0: a sum of -0 products is +0 (0 + -0 = +0). */
static void signed_zero_case(void) {
    for (int ti = 0; ti < 2; ti++) {
        convnd_dtype t = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
        convnd_geometry g = geo1(0, CONVND_UNBATCHED, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, CONVND_PAD_ZEROS);
        convnd_error err;
        g.dtype = t;
        void *x = tu_alloc(2, t), *w = tu_alloc(2, t), *y = tu_alloc(1, t);
        /* x = [-0 -0], W = [1 1]: y = (0 + -0) + -0 = +0 */
        tu_set(x, 0, t, -0.0);
        tu_set(x, 1, t, -0.0);
        tu_set(w, 0, t, 1);
        tu_set(w, 1, t, 1);
        tu_poison(y, 1, t);
        convnd_status st = convnd_forward(&g, CONVND_ENGINE_REF, x, w, NULL, y, &err);
        if (CHECK_OK(st, &err))
            CHECK(tu_get(y, 0, t) == 0 && !signbit(tu_get(y, 0, t)), "%s: sum of -0 products is %g (sign %d), want +0",
                  dtype_name(t), tu_get(y, 0, t), signbit(tu_get(y, 0, t)) != 0);
        free(x);
        free(w);
        free(y);
    }
}

int main(void) {
    conv1d_cases();
    padding_mode_cases();
    transposed1d_cases();
    conv2d_cases();
    transposed2d_cases();
    order_cases();
    signed_zero_case();
    return tu_finish("test_hand");
}
