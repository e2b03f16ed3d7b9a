/* test_spec_names.c -- the spec's names (TorchLean NN.Spec.Layers.Conv) in C.
 *
 *  1. The shape helpers on a table of cases computed by hand from the formulas
 *       conv        O = (I + 2P - K) / S + 1
 *       transposed  O = (I - 1)*S - 2P + K
 *     and their error cases; the 2-D helpers equal the generic ones at d = 2 over a grid (the
 *     spec's theorems conv2d_multi_out_shape_eq and conv_transpose2d_multi_out_shape_eq).
 *  2. The phantom-output table of SPEC-NOTES: every row refused with CONVND_EGEOMETRY except
 *     transposed (1,3,1,1), which is a valid geometry of output size 1.
 *  3. The generic spec functions equal convnd_forward / convnd_backward on the spec's geometry
 *     (unbatched, groups 1, dilation 1, symmetric padding, REF engine) BITWISE, ranks 1-4, both
 *     dtypes; the 2-D names equal the generic ones at d = 2 bitwise; the aliases equal their
 *     _spec functions bitwise.
 *  4. conv2dInputDerivSpec's brute-force quadratic definition, implemented here, against the
 *     library's conv2d input derivative.
 *  5. Error paths: NULL layer / weight / bias / in_spatial / buffers -> EINVAL, invalid geometry
 *     -> EGEOMETRY naming the axis, nothing written on failure.
 * Every output is poisoned with NaN before each call. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *dt_name(convnd_dtype t) { return t == CONVND_FLOAT64 ? "f64" : "f32"; }

/* ============================================================================================
 * 1. Shape helpers
 * ========================================================================================== */

typedef struct shape_row {
    int64_t in, k, s, p;
    int64_t want; /* -1: EGEOMETRY expected */
} shape_row;

static void test_out_dim_tables(void) {
    convnd_error err;
    /* conv: (I + 2P - K) / S + 1 */
    const shape_row conv_rows[] = {
        {5, 3, 1, 0, 3},  /* (5 - 3)/1 + 1 = 3 */
        {5, 3, 2, 1, 3},  /* (5 + 2 - 3)/2 + 1 = 2 + 1 = 3 */
        {7, 3, 2, 0, 3},  /* 4/2 + 1 = 3 */
        {6, 3, 2, 0, 2},  /* 3/2 + 1 = 1 + 1 = 2 (floor) */
        {4, 4, 1, 0, 1},  /* 0/1 + 1 = 1 */
        {3, 5, 1, 1, 1},  /* I + 2P == K: 0 + 1 = 1 */
        {1, 3, 1, 1, 1},  /* 0 + 1 = 1 */
        {10, 1, 3, 0, 4}, /* 9/3 + 1 = 4 */
        {2, 3, 1, 1, 2},  /* (2 + 2 - 3)/1 + 1 = 2 */
        {8, 2, 4, 3, 4},  /* (8 + 6 - 2)/4 + 1 = 3 + 1 = 4 */
        {9, 9, 7, 4, 2},  /* (9 + 8 - 9)/7 + 1 = 1 + 1 = 2 */
        {1, 1, 1, 0, 1},  /* 0 + 1 */
        {2, 3, 1, 0, -1}, /* I + 2P < K (spec: phantom 1) */
        {5, 3, 0, 0, -1}, /* stride 0 (spec: phantom 1) */
        {5, 0, 1, 0, -1}, /* kernel 0 (spec: phantom 6) */
        {0, 1, 1, 0, -1}, /* input 0 */
        {5, 3, 1, -1, -1}, /* negative padding */
        {5, 3, -1, 0, -1}, /* negative stride */
    };
    for (size_t i = 0; i < sizeof conv_rows / sizeof conv_rows[0]; i++) {
        const shape_row *r = &conv_rows[i];
        int64_t o = -77, o1 = -77, multi[2] = {-77, -77};
        convnd_status st = convnd_conv_out_dim(r->in, r->k, r->s, r->p, &o, &err);
        convnd_status st1 = convnd_conv_out_spatial(1, &r->in, &r->k, &r->s, &r->p, &o1, NULL);
        convnd_status st2 = convnd_conv_multi_out_shape(1, 2, 5, &r->in, &r->k, &r->s, &r->p, multi, NULL);
        if (r->want >= 0) {
            CHECK(st == CONVND_OK && o == r->want, "conv_out_dim(%lld,%lld,%lld,%lld) = %d/%lld, expected %lld",
                  (long long)r->in, (long long)r->k, (long long)r->s, (long long)r->p, (int)st, (long long)o,
                  (long long)r->want);
            CHECK(st1 == CONVND_OK && o1 == r->want, "conv_out_spatial row %zu: %d/%lld", i, (int)st1, (long long)o1);
            CHECK(st2 == CONVND_OK && multi[0] == 5 && multi[1] == r->want, "conv_multi_out_shape row %zu", i);
        } else {
            CHECK(st == CONVND_EGEOMETRY && o == -77, "conv_out_dim(%lld,%lld,%lld,%lld) = %d/%lld, expected EGEOMETRY",
                  (long long)r->in, (long long)r->k, (long long)r->s, (long long)r->p, (int)st, (long long)o);
            CHECK(st == CONVND_EGEOMETRY && err.code == CONVND_EGEOMETRY && err.msg[0] != '\0',
                  "conv_out_dim row %zu: error detail", i);
            CHECK(st1 == CONVND_EGEOMETRY && o1 == -77, "conv_out_spatial row %zu: %d", i, (int)st1);
            CHECK(st2 == CONVND_EGEOMETRY && multi[0] == -77 && multi[1] == -77, "conv_multi_out_shape row %zu: %d",
                  i, (int)st2);
        }
    }
    /* transposed: (I - 1)*S - 2P + K */
    const shape_row tr_rows[] = {
        {2, 3, 2, 0, 5},   /* 2 - 0 + 3 = 5 */
        {2, 3, 2, 1, 3},   /* 2 - 2 + 3 = 3 */
        {3, 4, 2, 1, 6},   /* 4 - 2 + 4 = 6 */
        {4, 1, 1, 0, 4},   /* 3 + 1 = 4 */
        {5, 2, 3, 2, 10},  /* 12 - 4 + 2 = 10 */
        {1, 3, 1, 1, 1},   /* 0 - 2 + 3 = 1 (PyTorch 1; the spec's Nat arithmetic: 0 - 2 = 0, + 3 = 3) */
        {1, 1, 7, 0, 1},   /* 0 + 1 = 1 */
        {3, 2, 2, 2, 2},   /* 4 - 4 + 2 = 2 */
        {1, 1, 1, 1, -1},  /* 0 - 2 + 1 = -1 (spec: phantom 1) */
        {1, 2, 1, 1, -1},  /* 0 - 2 + 2 = 0 */
        {2, 3, 0, 0, -1},  /* stride 0 */
        {2, 0, 1, 0, -1},  /* kernel 0 */
        {0, 3, 1, 0, -1},  /* input 0 */
        {2, 3, 1, -1, -1}, /* negative padding */
    };
    for (size_t i = 0; i < sizeof tr_rows / sizeof tr_rows[0]; i++) {
        const shape_row *r = &tr_rows[i];
        int64_t o = -77, o1 = -77, multi[2] = {-77, -77};
        convnd_status st = convnd_conv_transpose_out_dim(r->in, r->k, r->s, r->p, &o, &err);
        convnd_status st1 = convnd_conv_transpose_out_shape(1, &r->in, &r->k, &r->s, &r->p, &o1, NULL);
        convnd_status st2 = convnd_conv_transpose_multi_out_shape(1, 3, 4, &r->in, &r->k, &r->s, &r->p, multi, NULL);
        if (r->want >= 0) {
            CHECK(st == CONVND_OK && o == r->want,
                  "conv_transpose_out_dim(%lld,%lld,%lld,%lld) = %d/%lld, expected %lld", (long long)r->in,
                  (long long)r->k, (long long)r->s, (long long)r->p, (int)st, (long long)o, (long long)r->want);
            CHECK(st1 == CONVND_OK && o1 == r->want, "conv_transpose_out_shape row %zu", i);
            CHECK(st2 == CONVND_OK && multi[0] == 4 && multi[1] == r->want, "conv_transpose_multi_out_shape row %zu",
                  i);
        } else {
            CHECK(st == CONVND_EGEOMETRY && o == -77,
                  "conv_transpose_out_dim(%lld,%lld,%lld,%lld) = %d/%lld, expected EGEOMETRY", (long long)r->in,
                  (long long)r->k, (long long)r->s, (long long)r->p, (int)st, (long long)o);
            CHECK(st1 == CONVND_EGEOMETRY && o1 == -77, "conv_transpose_out_shape row %zu: %d", i, (int)st1);
            CHECK(st2 == CONVND_EGEOMETRY && multi[0] == -77, "conv_transpose_multi_out_shape row %zu: %d", i,
                  (int)st2);
        }
    }
    /* NULL out -> EINVAL */
    CHECK(convnd_conv_out_dim(5, 3, 1, 0, NULL, &err) == CONVND_EINVAL, "conv_out_dim out NULL");
    CHECK(convnd_conv_transpose_out_dim(5, 3, 1, 0, NULL, NULL) == CONVND_EINVAL, "conv_transpose_out_dim out NULL");
}

static void test_spatial_helpers(void) {
    convnd_error err;
    /* rank 3 conv: in (5, 7, 10), k (3, 3, 1), s (1, 2, 3), p (0, 1, 0)
     *   O = ((5-3)/1 + 1, (7+2-3)/2 + 1, (10-1)/3 + 1) = (3, 4, 4) */
    const int64_t in[3] = {5, 7, 10}, k[3] = {3, 3, 1}, s[3] = {1, 2, 3}, p[3] = {0, 1, 0};
    int64_t o[4] = {-1, -1, -1, -1};
    CHECK_OK(convnd_conv_out_spatial(3, in, k, s, p, o, &err), &err);
    CHECK(o[0] == 3 && o[1] == 4 && o[2] == 4 && o[3] == -1, "conv_out_spatial: %lld %lld %lld (%lld)",
          (long long)o[0], (long long)o[1], (long long)o[2], (long long)o[3]);
    o[0] = o[1] = o[2] = -1;
    CHECK_OK(convnd_conv_out_shape(3, in, k, s, p, o, &err), &err);
    CHECK(o[0] == 3 && o[1] == 4 && o[2] == 4, "conv_out_shape");
    CHECK_OK(convnd_conv_multi_out_shape(3, 2, 6, in, k, s, p, o, &err), &err);
    CHECK(o[0] == 6 && o[1] == 3 && o[2] == 4 && o[3] == 4, "conv_multi_out_shape: %lld %lld %lld %lld",
          (long long)o[0], (long long)o[1], (long long)o[2], (long long)o[3]);
    /* rank 3 transposed: in (2, 3, 5), k (3, 4, 2), s (2, 2, 3), p (0, 1, 2)
     *   O = (1*2 - 0 + 3, 2*2 - 2 + 4, 4*3 - 4 + 2) = (5, 6, 10) */
    const int64_t tin[3] = {2, 3, 5}, tk[3] = {3, 4, 2}, ts[3] = {2, 2, 3}, tp[3] = {0, 1, 2};
    o[0] = o[1] = o[2] = o[3] = -1;
    CHECK_OK(convnd_conv_transpose_out_spatial(3, tin, tk, ts, tp, o, &err), &err);
    CHECK(o[0] == 5 && o[1] == 6 && o[2] == 10 && o[3] == -1, "conv_transpose_out_spatial: %lld %lld %lld",
          (long long)o[0], (long long)o[1], (long long)o[2]);
    o[0] = o[1] = o[2] = -1;
    CHECK_OK(convnd_conv_transpose_out_shape(3, tin, tk, ts, tp, o, &err), &err);
    CHECK(o[0] == 5 && o[1] == 6 && o[2] == 10, "conv_transpose_out_shape");
    CHECK_OK(convnd_conv_transpose_multi_out_shape(3, 1, 7, tin, tk, ts, tp, o, &err), &err);
    CHECK(o[0] == 7 && o[1] == 5 && o[2] == 6 && o[3] == 10, "conv_transpose_multi_out_shape");
    /* 2-D by hand: conv2d (H, W) = (7, 5), k (3, 2), S 2, P 1:
     *   ((7 + 2 - 3)/2 + 1, (5 + 2 - 2)/2 + 1) = (4, 3)
     * transposed2d (3, 2), k (3, 2), S 2, P 1: (2*2 - 2 + 3, 1*2 - 2 + 2) = (5, 2) */
    int64_t o2[2] = {-1, -1}, o3[3] = {-1, -1, -1};
    CHECK_OK(convnd_conv2d_out_shape(7, 5, 3, 2, 2, 1, o2, &err), &err);
    CHECK(o2[0] == 4 && o2[1] == 3, "conv2d_out_shape: %lld %lld", (long long)o2[0], (long long)o2[1]);
    CHECK_OK(convnd_conv2d_multi_out_shape(1, 9, 7, 5, 3, 2, 2, 1, o3, &err), &err);
    CHECK(o3[0] == 9 && o3[1] == 4 && o3[2] == 3, "conv2d_multi_out_shape");
    CHECK_OK(convnd_conv_transpose2d_out_shape(3, 2, 3, 2, 2, 1, o2, &err), &err);
    CHECK(o2[0] == 5 && o2[1] == 2, "conv_transpose2d_out_shape: %lld %lld", (long long)o2[0], (long long)o2[1]);
    CHECK_OK(convnd_conv_transpose2d_multi_out_shape(2, 8, 3, 2, 3, 2, 2, 1, o3, &err), &err);
    CHECK(o3[0] == 8 && o3[1] == 5 && o3[2] == 2, "conv_transpose2d_multi_out_shape");

    /* errors: the failing axis is named; nothing written */
    int64_t bad_k[3] = {3, 3, 11}; /* axis 2: 10 + 0 < 11 */
    o[0] = o[1] = o[2] = o[3] = -5;
    convnd_status st = convnd_conv_out_spatial(3, in, bad_k, s, p, o, &err);
    CHECK(st == CONVND_EGEOMETRY && strstr(err.msg, "axis 2") && strstr(err.msg, "11"),
          "conv_out_spatial bad axis 2: %d \"%s\"", (int)st, err.msg);
    CHECK(o[0] == -5 && o[1] == -5 && o[2] == -5, "conv_out_spatial wrote on failure");
    int64_t bad_s[3] = {1, 0, 3};
    st = convnd_conv_multi_out_shape(3, 2, 6, in, k, bad_s, p, o, &err);
    CHECK(st == CONVND_EGEOMETRY && strstr(err.msg, "axis 1") && strstr(err.msg, "stride"),
          "conv_multi_out_shape stride 0 on axis 1: %d \"%s\"", (int)st, err.msg);
    CHECK(o[0] == -5 && o[1] == -5, "conv_multi_out_shape wrote on failure");
    int64_t bad_tp[3] = {0, 3, 2}; /* axis 1: 2*2 - 6 + 4 = 2 ok; make it fail: k 1 -> -1 */
    int64_t bad_tk[3] = {3, 1, 2};
    st = convnd_conv_transpose_out_spatial(3, tin, bad_tk, ts, bad_tp, o, &err);
    CHECK(st == CONVND_EGEOMETRY && strstr(err.msg, "axis 1"), "conv_transpose_out_spatial bad axis 1: %d \"%s\"",
          (int)st, err.msg);
    CHECK(o[0] == -5, "conv_transpose_out_spatial wrote on failure");
    /* 2-D: the w axis (axis 1) too small: (5 + 0 - 6) */
    st = convnd_conv2d_out_shape(9, 5, 3, 6, 1, 0, o2, &err);
    CHECK(st == CONVND_EGEOMETRY && strstr(err.msg, "axis 1"), "conv2d_out_shape kernel_w 6 > 5: %d \"%s\"",
          (int)st, err.msg);
    st = convnd_conv_transpose2d_out_shape(1, 1, 1, 1, 1, 1, o2, &err);
    CHECK(st == CONVND_EGEOMETRY && strstr(err.msg, "axis 0"), "conv_transpose2d_out_shape (1,1,1,1): %d \"%s\"",
          (int)st, err.msg);
    /* multi: channels */
    st = convnd_conv_multi_out_shape(3, 0, 6, in, k, s, p, o, &err);
    CHECK(st == CONVND_EGEOMETRY, "conv_multi_out_shape in_channels 0: %d", (int)st);
    st = convnd_conv_multi_out_shape(3, 2, 0, in, k, s, p, o, &err);
    CHECK(st == CONVND_EGEOMETRY, "conv_multi_out_shape out_channels 0: %d", (int)st);
    st = convnd_conv2d_multi_out_shape(1, -1, 7, 5, 3, 2, 2, 1, o3, &err);
    CHECK(st == CONVND_EGEOMETRY, "conv2d_multi_out_shape out_channels -1: %d", (int)st);
    st = convnd_conv_transpose2d_multi_out_shape(0, 1, 3, 2, 3, 2, 2, 1, o3, &err);
    CHECK(st == CONVND_EGEOMETRY, "conv_transpose2d_multi_out_shape in_channels 0: %d", (int)st);
    /* NULL arrays and bad ranks: EINVAL */
    CHECK(convnd_conv_out_spatial(3, NULL, k, s, p, o, &err) == CONVND_EINVAL, "conv_out_spatial in NULL");
    CHECK(convnd_conv_out_spatial(3, in, NULL, s, p, o, &err) == CONVND_EINVAL, "conv_out_spatial kernel NULL");
    CHECK(convnd_conv_out_spatial(3, in, k, NULL, p, o, &err) == CONVND_EINVAL, "conv_out_spatial stride NULL");
    CHECK(convnd_conv_out_spatial(3, in, k, s, NULL, o, &err) == CONVND_EINVAL, "conv_out_spatial padding NULL");
    CHECK(convnd_conv_out_spatial(3, in, k, s, p, NULL, &err) == CONVND_EINVAL, "conv_out_spatial out NULL");
    CHECK(convnd_conv_out_shape(3, in, k, s, p, NULL, NULL) == CONVND_EINVAL, "conv_out_shape out NULL");
    CHECK(convnd_conv_multi_out_shape(3, 1, 1, in, k, s, p, NULL, NULL) == CONVND_EINVAL, "multi out NULL");
    CHECK(convnd_conv_transpose_out_spatial(3, NULL, tk, ts, tp, o, NULL) == CONVND_EINVAL, "transposed in NULL");
    CHECK(convnd_conv_transpose_multi_out_shape(3, 1, 1, tin, tk, ts, tp, NULL, NULL) == CONVND_EINVAL,
          "transposed multi out NULL");
    CHECK(convnd_conv2d_out_shape(7, 5, 3, 2, 2, 1, NULL, NULL) == CONVND_EINVAL, "conv2d_out_shape out NULL");
    CHECK(convnd_conv_transpose2d_multi_out_shape(1, 1, 3, 2, 3, 2, 2, 1, NULL, NULL) == CONVND_EINVAL,
          "transpose2d multi out NULL");
    const int bad_ranks[3] = {0, 9, -1};
    for (int i = 0; i < 3; i++) {
        st = convnd_conv_out_spatial(bad_ranks[i], in, k, s, p, o, &err);
        CHECK(st == CONVND_EINVAL && strstr(err.msg, "rank"), "conv_out_spatial rank %d: %d", bad_ranks[i], (int)st);
        st = convnd_conv_transpose_multi_out_shape(bad_ranks[i], 1, 1, tin, tk, ts, tp, o, NULL);
        CHECK(st == CONVND_EINVAL, "conv_transpose_multi_out_shape rank %d: %d", bad_ranks[i], (int)st);
    }
}

/* The 2-D helpers equal the generic ones at d = 2 and the integer formula, over a grid. */
static void test_2d_equals_generic(void) {
    long mismatches = 0, valid_conv = 0, valid_tr = 0;
    for (int64_t h = 0; h <= 6; h++)
        for (int64_t w = 1; w <= 6; w++)
            for (int64_t kh = 0; kh <= 5; kh++)
                for (int64_t kw = 1; kw <= 5; kw++)
                    for (int64_t s = 0; s <= 3; s++)
                        for (int64_t p = -1; p <= 2; p++) {
                            const int64_t in[2] = {h, w}, k[2] = {kh, kw}, ss[2] = {s, s}, pp[2] = {p, p};
                            int64_t a[3] = {-9, -9, -9}, b[3] = {-9, -9, -9}, c[3] = {-9, -9, -9},
                                    d[3] = {-9, -9, -9};
                            /* conv */
                            convnd_status s1 = convnd_conv2d_out_shape(h, w, kh, kw, s, p, a, NULL);
                            convnd_status s2 = convnd_conv_out_spatial(2, in, k, ss, pp, b, NULL);
                            convnd_status s3 = convnd_conv2d_multi_out_shape(3, 4, h, w, kh, kw, s, p, c, NULL);
                            convnd_status s4 = convnd_conv_multi_out_shape(2, 3, 4, in, k, ss, pp, d, NULL);
                            int valid = h >= 1 && kh >= 1 && s >= 1 && p >= 0 && h + 2 * p >= kh && w + 2 * p >= kw;
                            convnd_status want = valid ? CONVND_OK : CONVND_EGEOMETRY;
                            int ok = s1 == want && s2 == want && s3 == want && s4 == want;
                            if (ok && valid) {
                                valid_conv++;
                                int64_t oh = (h + 2 * p - kh) / s + 1, ow = (w + 2 * p - kw) / s + 1;
                                ok = a[0] == oh && a[1] == ow && b[0] == oh && b[1] == ow && c[0] == 4 &&
                                     c[1] == oh && c[2] == ow && d[0] == 4 && d[1] == oh && d[2] == ow;
                            }
                            if (!ok && mismatches++ < 5)
                                CHECK(0, "conv 2-D shape (%lld,%lld,%lld,%lld,%lld,%lld): %d %d %d %d", (long long)h,
                                      (long long)w, (long long)kh, (long long)kw, (long long)s, (long long)p, (int)s1,
                                      (int)s2, (int)s3, (int)s4);
                            /* transposed */
                            s1 = convnd_conv_transpose2d_out_shape(h, w, kh, kw, s, p, a, NULL);
                            s2 = convnd_conv_transpose_out_spatial(2, in, k, ss, pp, b, NULL);
                            s3 = convnd_conv_transpose2d_multi_out_shape(3, 4, h, w, kh, kw, s, p, c, NULL);
                            s4 = convnd_conv_transpose_multi_out_shape(2, 3, 4, in, k, ss, pp, d, NULL);
                            int64_t th = (h - 1) * s - 2 * p + kh, tw = (w - 1) * s - 2 * p + kw;
                            valid = h >= 1 && kh >= 1 && s >= 1 && p >= 0 && th >= 1 && tw >= 1;
                            want = valid ? CONVND_OK : CONVND_EGEOMETRY;
                            ok = s1 == want && s2 == want && s3 == want && s4 == want;
                            if (ok && valid) {
                                valid_tr++;
                                ok = a[0] == th && a[1] == tw && b[0] == th && b[1] == tw && c[0] == 4 &&
                                     c[1] == th && c[2] == tw && d[0] == 4 && d[1] == th && d[2] == tw;
                            }
                            if (!ok && mismatches++ < 5)
                                CHECK(0, "transposed 2-D shape (%lld,%lld,%lld,%lld,%lld,%lld): %d %d %d %d",
                                      (long long)h, (long long)w, (long long)kh, (long long)kw, (long long)s,
                                      (long long)p, (int)s1, (int)s2, (int)s3, (int)s4);
                        }
    CHECK(mismatches == 0, "2-D shape helpers: %ld mismatches", mismatches);
    CHECK(valid_conv > 1000 && valid_tr > 1000, "grid covered %ld valid conv, %ld valid transposed", valid_conv,
          valid_tr);
}

/* ============================================================================================
 * 2. The phantom-output table (SPEC-NOTES): refused, except transposed (1,3,1,1)
 * ========================================================================================== */

static void test_phantoms(void) {
    convnd_error err;
    /* conv rows: (I, K, S, P) = (2,3,1,0), (5,3,0,0), (5,0,1,0); the spec's Nat arithmetic
     * gives sizes 1, 1 and 6, PyTorch raises: we refuse with EGEOMETRY everywhere. */
    const int64_t conv_rows[3][4] = {{2, 3, 1, 0}, {5, 3, 0, 0}, {5, 0, 1, 0}};
    for (int i = 0; i < 3; i++) {
        const int64_t *r = conv_rows[i];
        int64_t o = -3, o2[2] = {-3, -3};
        CHECK(convnd_conv_out_dim(r[0], r[1], r[2], r[3], &o, &err) == CONVND_EGEOMETRY && o == -3,
              "phantom conv row %d: out_dim", i);
        CHECK(convnd_conv2d_out_shape(r[0], 4, r[1], 1, r[2], r[3], o2, &err) == CONVND_EGEOMETRY &&
                  strstr(err.msg, "axis 0") && o2[0] == -3,
              "phantom conv row %d: conv2d_out_shape (\"%s\")", i, err.msg);
        /* the geometry */
        convnd_geometry g;
        convnd_geometry_init(&g, 1, NULL);
        g.input_size[0] = r[0], g.kernel_size[0] = r[1], g.stride[0] = r[2], g.pad_lo[0] = g.pad_hi[0] = r[3];
        CHECK(convnd_geometry_check(&g, &err) == CONVND_EGEOMETRY && strstr(err.msg, "axis 0"),
              "phantom conv row %d: geometry_check (\"%s\")", i, err.msg);
        /* the spec function: refused, output untouched */
        double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, wt[8] = {1, 1, 1, 1, 1, 1, 1, 1}, b[1] = {0.5}, y[8];
        convnd_conv_layer l = {.rank = 1, .dtype = CONVND_FLOAT64, .in_channels = 1, .out_channels = 1,
                               .kernel = {r[1]}, .stride = {r[2]}, .padding = {r[3]}, .weight = wt, .bias = b};
        tu_poison(y, 8, CONVND_FLOAT64);
        CHECK(convnd_conv_spec(&l, &r[0], x, y, &err) == CONVND_EGEOMETRY && strstr(err.msg, "axis 0"),
              "phantom conv row %d: conv_spec (\"%s\")", i, err.msg);
        CHECK(tu_count_nan(y, 8, CONVND_FLOAT64) == 8, "phantom conv row %d: conv_spec wrote", i);
    }
    /* transposed (1,1,1,1): integer formula 0 - 2 + 1 = -1 (spec Nat: 1, PyTorch: -1, error) */
    {
        int64_t o = -3;
        CHECK(convnd_conv_transpose_out_dim(1, 1, 1, 1, &o, &err) == CONVND_EGEOMETRY && o == -3,
              "phantom transposed (1,1,1,1)");
        double x[1] = {2}, wt[1] = {3}, b[1] = {1}, y[4];
        const int64_t in = 1;
        convnd_conv_transpose_layer l = {.rank = 1, .dtype = CONVND_FLOAT64, .in_channels = 1, .out_channels = 1,
                                         .kernel = {1}, .stride = {1}, .padding = {1}, .weight = wt, .bias = b};
        tu_poison(y, 4, CONVND_FLOAT64);
        CHECK(convnd_conv_transpose_spec(&l, &in, x, y, &err) == CONVND_EGEOMETRY && strstr(err.msg, "axis 0"),
              "phantom transposed (1,1,1,1): conv_transpose_spec (\"%s\")", err.msg);
        CHECK(tu_count_nan(y, 4, CONVND_FLOAT64) == 4, "phantom transposed (1,1,1,1): wrote");
    }
    /* transposed (1,3,1,1) is NOT a phantom: the integer formula (1-1)*1 - 2*1 + 3 = 1 is what
     * PyTorch computes too (ConvTranspose1d(k=3, p=1) on length 1 gives length 1). Only the
     * spec's Nat arithmetic differs: (1-1)*1 - 2*1 truncates to 0, + 3 = 3 (a phantom 3). We
     * return 1 and compute it: full = x0 * [w0 w1 w2] at positions 0..2, y[0] = full[0 + P] =
     * x0*w1, plus the bias. With x0 = 2, W = [3 5 7], b = 11: y = [2*5 + 11] = [21]. */
    {
        int64_t o = -3, o2[2] = {-3, -3};
        CHECK(convnd_conv_transpose_out_dim(1, 3, 1, 1, &o, &err) == CONVND_OK && o == 1,
              "transposed (1,3,1,1): out_dim %lld, expected 1 (PyTorch), not the spec's Nat 3", (long long)o);
        CHECK(convnd_conv_transpose2d_out_shape(1, 1, 3, 3, 1, 1, o2, &err) == CONVND_OK && o2[0] == 1 && o2[1] == 1,
              "transposed2d (1,3,1,1): %lld %lld", (long long)o2[0], (long long)o2[1]);
        for (int ti = 0; ti < 2; ti++) {
            convnd_dtype t = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
            void *x = tu_alloc(1, t), *wt = tu_alloc(3, t), *b = tu_alloc(1, t), *y = tu_alloc(3, t);
            tu_set(x, 0, t, 2);
            tu_set(wt, 0, t, 3), tu_set(wt, 1, t, 5), tu_set(wt, 2, t, 7);
            tu_set(b, 0, t, 11);
            tu_poison(y, 3, t);
            const int64_t in = 1;
            convnd_conv_transpose_layer l = {.rank = 1, .dtype = t, .in_channels = 1, .out_channels = 1,
                                             .kernel = {3}, .stride = {1}, .padding = {1}, .weight = wt, .bias = b};
            convnd_status st = convnd_conv_transpose_spec(&l, &in, x, y, &err);
            if (CHECK_OK(st, &err))
                CHECK(tu_get(y, 0, t) == 21 && isnan(tu_get(y, 1, t)),
                      "%s transposed (1,3,1,1): y = %g (expected 21, one element)", dt_name(t), tu_get(y, 0, t));
            free(x);
            free(wt);
            free(b);
            free(y);
        }
    }
}

/* ============================================================================================
 * 3. The spec functions equal the generic operations, bitwise
 * ========================================================================================== */

typedef struct spec_problem {
    int rank;
    int transposed;
    convnd_dtype dtype;
    int64_t cin, cout;
    int64_t in[CONVND_MAX_RANK], k[CONVND_MAX_RANK], s[CONVND_MAX_RANK], p[CONVND_MAX_RANK];
} spec_problem;

/* A random valid spec geometry (sizes kept small enough that rank 4 stays cheap). */
static spec_problem random_problem(tu_rng *r, int rank, int transposed, convnd_dtype t) {
    spec_problem sp;
    memset(&sp, 0, sizeof sp);
    sp.rank = rank;
    sp.transposed = transposed;
    sp.dtype = t;
    sp.cin = tu_range(r, 1, 3);
    sp.cout = tu_range(r, 1, 3);
    int64_t max_in = rank >= 4 ? 3 : rank == 3 ? 4 : 7;
    for (int a = 0; a < rank; a++) {
        sp.k[a] = tu_range(r, 1, 3);
        sp.s[a] = tu_range(r, 1, 3);
        sp.p[a] = tu_range(r, 0, 2);
        sp.in[a] = tu_range(r, 1, max_in);
        if (!transposed) {
            while (sp.in[a] + 2 * sp.p[a] < sp.k[a]) sp.in[a]++;
        } else {
            while ((sp.in[a] - 1) * sp.s[a] - 2 * sp.p[a] + sp.k[a] < 1) sp.p[a]--;
        }
    }
    return sp;
}

static convnd_geometry problem_geometry(const spec_problem *sp) {
    convnd_geometry g;
    convnd_geometry_init(&g, sp->rank, NULL);
    g.transposed = sp->transposed;
    g.dtype = sp->dtype;
    g.in_channels = sp->cin;
    g.out_channels = sp->cout;
    for (int a = 0; a < sp->rank; a++) {
        g.input_size[a] = sp->in[a];
        g.kernel_size[a] = sp->k[a];
        g.stride[a] = sp->s[a];
        g.pad_lo[a] = g.pad_hi[a] = sp->p[a];
    }
    return g;
}

typedef struct bufs {
    size_t nx, nw, nb, ny;
    void *x, *w, *b, *gy;                     /* data */
    void *y_ref, *dx_ref, *dw_ref, *db_ref;   /* convnd_forward / convnd_backward */
    void *y, *dx, *dw, *db;                   /* the function under test */
} bufs;

static void bufs_alloc(bufs *B, const convnd_geometry *g, tu_rng *r) {
    convnd_dtype t = g->dtype;
    B->nx = tu_count(g, CONVND_TENSOR_INPUT);
    B->nw = tu_count(g, CONVND_TENSOR_WEIGHT);
    B->nb = tu_count(g, CONVND_TENSOR_BIAS);
    B->ny = tu_count(g, CONVND_TENSOR_OUTPUT);
    B->x = tu_alloc(B->nx, t), B->w = tu_alloc(B->nw, t), B->b = tu_alloc(B->nb, t), B->gy = tu_alloc(B->ny, t);
    tu_fill_random(B->x, B->nx, t, r);
    tu_fill_random(B->w, B->nw, t, r);
    tu_fill_random(B->b, B->nb, t, r);
    tu_fill_random(B->gy, B->ny, t, r);
    B->y_ref = tu_alloc(B->ny, t), B->dx_ref = tu_alloc(B->nx, t), B->dw_ref = tu_alloc(B->nw, t);
    B->db_ref = tu_alloc(B->nb, t);
    B->y = tu_alloc(B->ny, t), B->dx = tu_alloc(B->nx, t), B->dw = tu_alloc(B->nw, t), B->db = tu_alloc(B->nb, t);
}

static void bufs_free(bufs *B) {
    void *ps[12] = {B->x, B->w, B->b, B->gy, B->y_ref, B->dx_ref, B->dw_ref, B->db_ref, B->y, B->dx, B->dw, B->db};
    for (int i = 0; i < 12; i++) free(ps[i]);
}

/* Bitwise equality; the poison (NaN) must have been overwritten. */
static void same_bits(const char *what, const char *ctx, const void *got, const void *ref, size_t n, convnd_dtype t) {
    int eq = memcmp(got, ref, n * tu_dtype_size(t)) == 0;
    size_t where = 0;
    if (!eq)
        for (where = 0; where < n; where++)
            if (memcmp((const char *)got + where * tu_dtype_size(t), (const char *)ref + where * tu_dtype_size(t),
                       tu_dtype_size(t)) != 0)
                break;
    CHECK(eq && tu_count_nan(got, n, t) == 0, "%s not bitwise equal (%s): first difference at %zu: %.17g vs %.17g",
          what, ctx, where, where < n ? tu_get(got, where, t) : 0.0, where < n ? tu_get(ref, where, t) : 0.0);
}

/* The reference results, from the generic API with the REF engine. */
static void compute_refs(const convnd_geometry *g, bufs *B) {
    convnd_error err;
    convnd_dtype t = g->dtype;
    tu_poison(B->y_ref, B->ny, t);
    tu_poison(B->dx_ref, B->nx, t);
    tu_poison(B->dw_ref, B->nw, t);
    tu_poison(B->db_ref, B->nb, t);
    CHECK_OK(convnd_forward(g, CONVND_ENGINE_REF, B->x, B->w, B->b, B->y_ref, &err), &err);
    CHECK_OK(convnd_backward(g, CONVND_ENGINE_REF, B->x, B->w, B->gy, B->dx_ref, B->dw_ref, B->db_ref, &err), &err);
}

static void poison_outs(bufs *B, convnd_dtype t) {
    tu_poison(B->y, B->ny, t);
    tu_poison(B->dx, B->nx, t);
    tu_poison(B->dw, B->nw, t);
    tu_poison(B->db, B->nb, t);
}

typedef convnd_status (*conv_fwd_fn)(const convnd_conv_layer *, const int64_t *, const void *, void *,
                                     convnd_error *);
typedef convnd_status (*conv_kd_fn)(const convnd_conv_layer *, const int64_t *, const void *, const void *, void *,
                                    convnd_error *);
typedef convnd_status (*conv_bd_fn)(const convnd_conv_layer *, const int64_t *, const void *, void *,
                                    convnd_error *);
typedef convnd_status (*conv_id_fn)(const convnd_conv_layer *, const int64_t *, const void *, void *,
                                    convnd_error *);
typedef convnd_status (*conv_bw_fn)(const convnd_conv_layer *, const int64_t *, const void *, const void *, void *,
                                    void *, void *, convnd_error *);

/* Runs the five conv spec functions (or their aliases) and compares them with the refs. */
static void check_conv_family(const char *family, const char *ctx, const spec_problem *sp, bufs *B, conv_fwd_fn fwd,
                              conv_kd_fn kd, conv_bd_fn bd, conv_id_fn id, conv_bw_fn bw) {
    convnd_error err;
    convnd_dtype t = sp->dtype;
    convnd_conv_layer l;
    memset(&l, 0, sizeof l);
    l.rank = sp->rank;
    l.dtype = t;
    l.in_channels = sp->cin;
    l.out_channels = sp->cout;
    for (int a = 0; a < sp->rank; a++) l.kernel[a] = sp->k[a], l.stride[a] = sp->s[a], l.padding[a] = sp->p[a];
    l.weight = B->w;
    l.bias = B->b;
    char what[96];

    poison_outs(B, t);
    if (CHECK_OK(fwd(&l, sp->in, B->x, B->y, &err), &err)) {
        snprintf(what, sizeof what, "%s forward", family);
        same_bits(what, ctx, B->y, B->y_ref, B->ny, t);
    }
    /* the kernel and bias derivatives read neither layer->weight nor layer->bias */
    convnd_conv_layer bare = l;
    bare.weight = NULL;
    bare.bias = NULL;
    if (CHECK_OK(kd(&bare, sp->in, B->x, B->gy, B->dw, &err), &err)) {
        snprintf(what, sizeof what, "%s kernel_deriv", family);
        same_bits(what, ctx, B->dw, B->dw_ref, B->nw, t);
    }
    if (CHECK_OK(bd(&bare, sp->in, B->gy, B->db, &err), &err)) {
        snprintf(what, sizeof what, "%s bias_deriv", family);
        same_bits(what, ctx, B->db, B->db_ref, B->nb, t);
    }
    /* the input derivative reads the weight, not the bias */
    convnd_conv_layer nobias = l;
    nobias.bias = NULL;
    if (CHECK_OK(id(&nobias, sp->in, B->gy, B->dx, &err), &err)) {
        snprintf(what, sizeof what, "%s input_deriv", family);
        same_bits(what, ctx, B->dx, B->dx_ref, B->nx, t);
    }
    poison_outs(B, t);
    if (CHECK_OK(bw(&nobias, sp->in, B->x, B->gy, B->dw, B->db, B->dx, &err), &err)) {
        snprintf(what, sizeof what, "%s backward (dKernel)", family);
        same_bits(what, ctx, B->dw, B->dw_ref, B->nw, t);
        snprintf(what, sizeof what, "%s backward (dBias)", family);
        same_bits(what, ctx, B->db, B->db_ref, B->nb, t);
        snprintf(what, sizeof what, "%s backward (dInput)", family);
        same_bits(what, ctx, B->dx, B->dx_ref, B->nx, t);
    }
}

static void check_transpose_family(const char *ctx, const spec_problem *sp, bufs *B) {
    convnd_error err;
    convnd_dtype t = sp->dtype;
    convnd_conv_transpose_layer l;
    memset(&l, 0, sizeof l);
    l.rank = sp->rank;
    l.dtype = t;
    l.in_channels = sp->cin;
    l.out_channels = sp->cout;
    for (int a = 0; a < sp->rank; a++) l.kernel[a] = sp->k[a], l.stride[a] = sp->s[a], l.padding[a] = sp->p[a];
    l.weight = B->w;
    l.bias = B->b;

    poison_outs(B, t);
    if (CHECK_OK(convnd_conv_transpose_spec(&l, sp->in, B->x, B->y, &err), &err))
        same_bits("conv_transpose_spec", ctx, B->y, B->y_ref, B->ny, t);
    convnd_conv_transpose_layer bare = l; /* documented: weight and bias unused */
    bare.weight = NULL;
    bare.bias = NULL;
    if (CHECK_OK(convnd_conv_transpose_kernel_deriv_spec(&bare, sp->in, B->x, B->gy, B->dw, &err), &err))
        same_bits("conv_transpose_kernel_deriv_spec", ctx, B->dw, B->dw_ref, B->nw, t);
    if (CHECK_OK(convnd_conv_transpose_bias_deriv_spec(&bare, sp->in, B->gy, B->db, &err), &err))
        same_bits("conv_transpose_bias_deriv_spec", ctx, B->db, B->db_ref, B->nb, t);
    convnd_conv_transpose_layer nobias = l;
    nobias.bias = NULL;
    if (CHECK_OK(convnd_conv_transpose_input_deriv_spec(&nobias, sp->in, B->gy, B->dx, &err), &err))
        same_bits("conv_transpose_input_deriv_spec", ctx, B->dx, B->dx_ref, B->nx, t);
    poison_outs(B, t);
    if (CHECK_OK(convnd_conv_transpose_backward_spec(&nobias, sp->in, B->x, B->gy, B->dw, B->db, B->dx, &err),
                 &err)) {
        same_bits("conv_transpose_backward_spec (dKernel)", ctx, B->dw, B->dw_ref, B->nw, t);
        same_bits("conv_transpose_backward_spec (dBias)", ctx, B->db, B->db_ref, B->nb, t);
        same_bits("conv_transpose_backward_spec (dInput)", ctx, B->dx, B->dx_ref, B->nx, t);
    }
}

static void describe_problem(char *buf, size_t n, const spec_problem *sp) {
    int len = snprintf(buf, n, "%s d=%d %s Cin=%lld Cout=%lld", sp->transposed ? "transposed" : "conv", sp->rank,
                       dt_name(sp->dtype), (long long)sp->cin, (long long)sp->cout);
    for (int a = 0; a < sp->rank && len > 0 && (size_t)len < n; a++)
        len += snprintf(buf + len, n - (size_t)len, " [I%lld K%lld S%lld P%lld]", (long long)sp->in[a],
                        (long long)sp->k[a], (long long)sp->s[a], (long long)sp->p[a]);
}

static void test_generic_bitwise(void) {
    tu_rng rng = {20240601};
    for (int rank = 1; rank <= 4; rank++)
        for (int ti = 0; ti < 2; ti++)
            for (int tr = 0; tr < 2; tr++)
                for (int trial = 0; trial < 12; trial++) {
                    convnd_dtype t = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
                    spec_problem sp = random_problem(&rng, rank, tr, t);
                    convnd_geometry g = problem_geometry(&sp);
                    char ctx[256];
                    describe_problem(ctx, sizeof ctx, &sp);
                    convnd_error err;
                    if (!CHECK(convnd_geometry_check(&g, &err) == CONVND_OK, "generated invalid %s: %s", ctx,
                               err.msg))
                        continue;
                    bufs B;
                    bufs_alloc(&B, &g, &rng);
                    compute_refs(&g, &B);
                    if (!tr) {
                        check_conv_family("conv_*_spec", ctx, &sp, &B, convnd_conv_spec, convnd_conv_kernel_deriv_spec,
                                          convnd_conv_bias_deriv_spec, convnd_conv_input_deriv_spec,
                                          convnd_conv_backward_spec);
                        /* the aliases (Spec.conv, convBackward, ...) */
                        check_conv_family("alias conv*", ctx, &sp, &B, convnd_conv, convnd_conv_kernel_deriv,
                                          convnd_conv_bias_deriv, convnd_conv_input_deriv, convnd_conv_backward);
                    } else {
                        check_transpose_family(ctx, &sp, &B);
                    }
                    bufs_free(&B);
                }
}

/* The aliases against their _spec functions directly (beyond both matching the generic API). */
static void test_aliases_direct(void) {
    tu_rng rng = {99};
    for (int ti = 0; ti < 2; ti++) {
        convnd_dtype t = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
        spec_problem sp = random_problem(&rng, 2, 0, t);
        convnd_geometry g = problem_geometry(&sp);
        bufs B;
        bufs_alloc(&B, &g, &rng);
        convnd_conv_layer l;
        memset(&l, 0, sizeof l);
        l.rank = 2, l.dtype = t, l.in_channels = sp.cin, l.out_channels = sp.cout;
        for (int a = 0; a < 2; a++) l.kernel[a] = sp.k[a], l.stride[a] = sp.s[a], l.padding[a] = sp.p[a];
        l.weight = B.w, l.bias = B.b;
        convnd_error err;
        /* _ref buffers hold the _spec results here */
        tu_poison(B.y_ref, B.ny, t), tu_poison(B.y, B.ny, t);
        CHECK_OK(convnd_conv_spec(&l, sp.in, B.x, B.y_ref, &err), &err);
        CHECK_OK(convnd_conv(&l, sp.in, B.x, B.y, &err), &err);
        same_bits("convnd_conv vs convnd_conv_spec", dt_name(t), B.y, B.y_ref, B.ny, t);
        tu_poison(B.dw_ref, B.nw, t), tu_poison(B.dw, B.nw, t);
        CHECK_OK(convnd_conv_kernel_deriv_spec(&l, sp.in, B.x, B.gy, B.dw_ref, &err), &err);
        CHECK_OK(convnd_conv_kernel_deriv(&l, sp.in, B.x, B.gy, B.dw, &err), &err);
        same_bits("convnd_conv_kernel_deriv", dt_name(t), B.dw, B.dw_ref, B.nw, t);
        tu_poison(B.db_ref, B.nb, t), tu_poison(B.db, B.nb, t);
        CHECK_OK(convnd_conv_bias_deriv_spec(&l, sp.in, B.gy, B.db_ref, &err), &err);
        CHECK_OK(convnd_conv_bias_deriv(&l, sp.in, B.gy, B.db, &err), &err);
        same_bits("convnd_conv_bias_deriv", dt_name(t), B.db, B.db_ref, B.nb, t);
        tu_poison(B.dx_ref, B.nx, t), tu_poison(B.dx, B.nx, t);
        CHECK_OK(convnd_conv_input_deriv_spec(&l, sp.in, B.gy, B.dx_ref, &err), &err);
        CHECK_OK(convnd_conv_input_deriv(&l, sp.in, B.gy, B.dx, &err), &err);
        same_bits("convnd_conv_input_deriv", dt_name(t), B.dx, B.dx_ref, B.nx, t);
        poison_outs(&B, t);
        tu_poison(B.dx_ref, B.nx, t), tu_poison(B.dw_ref, B.nw, t), tu_poison(B.db_ref, B.nb, t);
        CHECK_OK(convnd_conv_backward_spec(&l, sp.in, B.x, B.gy, B.dw_ref, B.db_ref, B.dx_ref, &err), &err);
        CHECK_OK(convnd_conv_backward(&l, sp.in, B.x, B.gy, B.dw, B.db, B.dx, &err), &err);
        same_bits("convnd_conv_backward dK", dt_name(t), B.dw, B.dw_ref, B.nw, t);
        same_bits("convnd_conv_backward dB", dt_name(t), B.db, B.db_ref, B.nb, t);
        same_bits("convnd_conv_backward dX", dt_name(t), B.dx, B.dx_ref, B.nx, t);
        bufs_free(&B);
    }
}

/* The 2-D names equal the generic N-D functions at d = 2: rectangular kernel, one stride and
 * one padding for both axes. The _ref buffers hold the generic N-D spec results. */
static void test_2d_names(void) {
    tu_rng rng = {777};
    for (int ti = 0; ti < 2; ti++)
        for (int tr = 0; tr < 2; tr++)
            for (int trial = 0; trial < 15; trial++) {
                convnd_dtype t = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
                spec_problem sp = random_problem(&rng, 2, tr, t);
                /* one stride and one padding; a rectangular kernel */
                sp.s[1] = sp.s[0];
                sp.p[1] = sp.p[0];
                sp.k[0] = tu_range(&rng, 1, 4);
                do sp.k[1] = tu_range(&rng, 1, 4);
                while (sp.k[1] == sp.k[0]);
                for (int a = 0; a < 2; a++) {
                    if (!tr) {
                        while (sp.in[a] + 2 * sp.p[a] < sp.k[a]) sp.in[a]++;
                    } else {
                        while ((sp.in[a] - 1) * sp.s[a] - 2 * sp.p[a] + sp.k[a] < 1) sp.in[a]++;
                    }
                }
                convnd_geometry g = problem_geometry(&sp);
                char ctx[256];
                describe_problem(ctx, sizeof ctx, &sp);
                convnd_error err;
                if (!CHECK(convnd_geometry_check(&g, &err) == CONVND_OK, "generated invalid %s: %s", ctx, err.msg))
                    continue;
                bufs B;
                bufs_alloc(&B, &g, &rng);
                const int64_t H = sp.in[0], W = sp.in[1];
                if (!tr) {
                    convnd_conv_layer l;
                    memset(&l, 0, sizeof l);
                    l.rank = 2, l.dtype = t, l.in_channels = sp.cin, l.out_channels = sp.cout;
                    for (int a = 0; a < 2; a++) l.kernel[a] = sp.k[a], l.stride[a] = sp.s[0], l.padding[a] = sp.p[0];
                    l.weight = B.w, l.bias = B.b;
                    convnd_conv2d_layer l2 = {.dtype = t, .in_channels = sp.cin, .out_channels = sp.cout,
                                              .kernel_h = sp.k[0], .kernel_w = sp.k[1], .stride = sp.s[0],
                                              .padding = sp.p[0], .weight = B.w, .bias = B.b};
                    tu_poison(B.y_ref, B.ny, t), tu_poison(B.dx_ref, B.nx, t);
                    tu_poison(B.dw_ref, B.nw, t), tu_poison(B.db_ref, B.nb, t);
                    CHECK_OK(convnd_conv_spec(&l, sp.in, B.x, B.y_ref, &err), &err);
                    CHECK_OK(convnd_conv_backward_spec(&l, sp.in, B.x, B.gy, B.dw_ref, B.db_ref, B.dx_ref, &err),
                             &err);
                    poison_outs(&B, t);
                    if (CHECK_OK(convnd_conv2d_spec(&l2, H, W, B.x, B.y, &err), &err))
                        same_bits("conv2d_spec", ctx, B.y, B.y_ref, B.ny, t);
                    if (CHECK_OK(convnd_conv2d_kernel_deriv_spec(&l2, H, W, B.x, B.gy, B.dw, &err), &err))
                        same_bits("conv2d_kernel_deriv_spec", ctx, B.dw, B.dw_ref, B.nw, t);
                    if (CHECK_OK(convnd_conv2d_bias_deriv_spec(&l2, H, W, B.gy, B.db, &err), &err))
                        same_bits("conv2d_bias_deriv_spec", ctx, B.db, B.db_ref, B.nb, t);
                    if (CHECK_OK(convnd_conv2d_input_deriv_spec(&l2, H, W, B.gy, B.dx, &err), &err))
                        same_bits("conv2d_input_deriv_spec", ctx, B.dx, B.dx_ref, B.nx, t);
                    poison_outs(&B, t);
                    if (CHECK_OK(convnd_conv2d_backward_spec(&l2, H, W, B.x, B.gy, B.dw, B.db, B.dx, &err), &err)) {
                        same_bits("conv2d_backward_spec dK", ctx, B.dw, B.dw_ref, B.nw, t);
                        same_bits("conv2d_backward_spec dB", ctx, B.db, B.db_ref, B.nb, t);
                        same_bits("conv2d_backward_spec dX", ctx, B.dx, B.dx_ref, B.nx, t);
                    }
                } else {
                    convnd_conv_transpose_layer l;
                    memset(&l, 0, sizeof l);
                    l.rank = 2, l.dtype = t, l.in_channels = sp.cin, l.out_channels = sp.cout;
                    for (int a = 0; a < 2; a++) l.kernel[a] = sp.k[a], l.stride[a] = sp.s[0], l.padding[a] = sp.p[0];
                    l.weight = B.w, l.bias = B.b;
                    convnd_conv_transpose2d_layer l2 = {.dtype = t, .in_channels = sp.cin, .out_channels = sp.cout,
                                                        .kernel_h = sp.k[0], .kernel_w = sp.k[1], .stride = sp.s[0],
                                                        .padding = sp.p[0], .weight = B.w, .bias = B.b};
                    tu_poison(B.y_ref, B.ny, t), tu_poison(B.dx_ref, B.nx, t);
                    tu_poison(B.dw_ref, B.nw, t), tu_poison(B.db_ref, B.nb, t);
                    CHECK_OK(convnd_conv_transpose_spec(&l, sp.in, B.x, B.y_ref, &err), &err);
                    CHECK_OK(convnd_conv_transpose_backward_spec(&l, sp.in, B.x, B.gy, B.dw_ref, B.db_ref, B.dx_ref,
                                                                 &err),
                             &err);
                    poison_outs(&B, t);
                    if (CHECK_OK(convnd_conv_transpose2d_spec(&l2, H, W, B.x, B.y, &err), &err))
                        same_bits("conv_transpose2d_spec", ctx, B.y, B.y_ref, B.ny, t);
                    if (CHECK_OK(convnd_conv_transpose2d_weights_deriv_spec(&l2, H, W, B.x, B.gy, B.dw, &err), &err))
                        same_bits("conv_transpose2d_weights_deriv_spec", ctx, B.dw, B.dw_ref, B.nw, t);
                    if (CHECK_OK(convnd_conv_transpose2d_bias_deriv_spec(&l2, H, W, B.gy, B.db, &err), &err))
                        same_bits("conv_transpose2d_bias_deriv_spec", ctx, B.db, B.db_ref, B.nb, t);
                    if (CHECK_OK(convnd_conv_transpose2d_input_deriv_spec(&l2, H, W, B.gy, B.dx, &err), &err))
                        same_bits("conv_transpose2d_input_deriv_spec", ctx, B.dx, B.dx_ref, B.nx, t);
                    poison_outs(&B, t);
                    if (CHECK_OK(convnd_conv_transpose2d_backward_spec(&l2, H, W, B.x, B.gy, B.dw, B.db, B.dx, &err),
                                 &err)) {
                        same_bits("conv_transpose2d_backward_spec dK", ctx, B.dw, B.dw_ref, B.nw, t);
                        same_bits("conv_transpose2d_backward_spec dB", ctx, B.db, B.db_ref, B.nb, t);
                        same_bits("conv_transpose2d_backward_spec dX", ctx, B.dx, B.dx_ref, B.nx, t);
                    }
                }
                bufs_free(&B);
            }
}

/* ============================================================================================
 * 4. conv2dInputDerivSpec by its brute-force definition
 * ========================================================================================== */

/* dx[c,i,j] = sum_{o} sum_{oi} sum_{oj} sum_{di} sum_{dj}
 *               (oi*S + di == i + P && oj*S + dj == j + P) ? g[o,oi,oj] * W[o,c,di,dj] : 0
 * accumulated in double in that order (out_ch, then out_i, out_j, di, dj). */
static void brute_conv2d_input_deriv(int64_t cin, int64_t cout, int64_t H, int64_t W, int64_t kh, int64_t kw,
                                     int64_t S, int64_t P, int64_t OH, int64_t OW, const void *gy, const void *w,
                                     convnd_dtype t, double *dx) {
    for (int64_t c = 0; c < cin; c++)
        for (int64_t i = 0; i < H; i++)
            for (int64_t j = 0; j < W; j++) {
                double acc = 0;
                for (int64_t o = 0; o < cout; o++)
                    for (int64_t oi = 0; oi < OH; oi++)
                        for (int64_t oj = 0; oj < OW; oj++)
                            for (int64_t di = 0; di < kh; di++)
                                for (int64_t dj = 0; dj < kw; dj++) {
                                    if (oi * S + di == i + P && oj * S + dj == j + P) {
                                        double gv = tu_get(gy, (size_t)((o * OH + oi) * OW + oj), t);
                                        double wv = tu_get(w, (size_t)(((o * cin + c) * kh + di) * kw + dj), t);
                                        acc += gv * wv;
                                    } else {
                                        acc += 0.0;
                                    }
                                }
                dx[(c * H + i) * W + j] = acc;
            }
}

static void test_brute_input_deriv(void) {
    tu_rng rng = {31337};
    for (int ti = 0; ti < 2; ti++)
        for (int trial = 0; trial < 20; trial++) {
            convnd_dtype t = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
            int64_t cin = tu_range(&rng, 1, 3), cout = tu_range(&rng, 1, 3);
            int64_t kh = tu_range(&rng, 1, 4), kw = tu_range(&rng, 1, 4), S = tu_range(&rng, 1, 3),
                    P = tu_range(&rng, 0, 2);
            int64_t H = tu_range(&rng, 1, 7), W = tu_range(&rng, 1, 7);
            while (H + 2 * P < kh) H++;
            while (W + 2 * P < kw) W++;
            int64_t oo[2];
            convnd_error err;
            if (!CHECK_OK(convnd_conv2d_out_shape(H, W, kh, kw, S, P, oo, &err), &err)) continue;
            size_t nx = (size_t)(cin * H * W), nw = (size_t)(cout * cin * kh * kw), ny = (size_t)(cout * oo[0] * oo[1]);
            void *w = tu_alloc(nw, t), *gy = tu_alloc(ny, t), *dx = tu_alloc(nx, t);
            double *ref = malloc(nx * sizeof(double));
            if (!ref) abort();
            tu_fill_random(w, nw, t, &rng);
            tu_fill_random(gy, ny, t, &rng);
            tu_poison(dx, nx, t);
            convnd_conv2d_layer l = {.dtype = t, .in_channels = cin, .out_channels = cout, .kernel_h = kh,
                                     .kernel_w = kw, .stride = S, .padding = P, .weight = w, .bias = NULL};
            brute_conv2d_input_deriv(cin, cout, H, W, kh, kw, S, P, oo[0], oo[1], gy, w, t, ref);
            if (CHECK_OK(convnd_conv2d_input_deriv_spec(&l, H, W, gy, dx, &err), &err)) {
                double e = tu_rel_err(dx, t, ref, CONVND_FLOAT64, nx);
                double tol = t == CONVND_FLOAT64 ? TU_TOL_F64 : TU_TOL_F32;
                CHECK(e <= tol, "conv2dInputDerivSpec brute force vs library (%s Cin=%lld Cout=%lld %lldx%lld k%lldx%lld "
                      "S%lld P%lld): rel err %g > %g",
                      dt_name(t), (long long)cin, (long long)cout, (long long)H, (long long)W, (long long)kh,
                      (long long)kw, (long long)S, (long long)P, e, tol);
            }
            free(w);
            free(gy);
            free(dx);
            free(ref);
        }
}

/* ============================================================================================
 * 5. Error paths
 * ========================================================================================== */

static void test_errors(void) {
    convnd_error err;
    const convnd_dtype t = CONVND_FLOAT64;
    /* a valid rank-3 layer: C 2 -> 3, in (4, 5, 6), k (2, 3, 1), s 1, p (0, 1, 0) */
    const int64_t in[3] = {4, 5, 6};
    double x[2 * 4 * 5 * 6], w[3 * 2 * 2 * 3 * 1], b[3], gy[3 * 3 * 5 * 6], y[3 * 3 * 5 * 6], gx[2 * 4 * 5 * 6],
        gw[3 * 2 * 2 * 3], gb[3];
    tu_rng rng = {5};
    tu_fill_random(x, sizeof x / sizeof x[0], t, &rng);
    tu_fill_random(w, sizeof w / sizeof w[0], t, &rng);
    tu_fill_random(b, 3, t, &rng);
    tu_fill_random(gy, sizeof gy / sizeof gy[0], t, &rng);
    convnd_conv_layer l = {.rank = 3, .dtype = t, .in_channels = 2, .out_channels = 3, .kernel = {2, 3, 1},
                           .stride = {1, 1, 1}, .padding = {0, 1, 0}, .weight = w, .bias = b};
    const size_t ny = sizeof y / sizeof y[0], nx = sizeof gx / sizeof gx[0], nw = sizeof gw / sizeof gw[0];
    /* sanity: valid as given */
    tu_poison(y, ny, t);
    CHECK_OK(convnd_conv_spec(&l, in, x, y, &err), &err);
    CHECK(tu_count_nan(y, ny, t) == 0, "valid conv_spec left NaN");

#define UNTOUCHED() \
    (tu_count_nan(y, ny, t) == ny && tu_count_nan(gx, nx, t) == nx && tu_count_nan(gw, nw, t) == nw && \
     tu_count_nan(gb, 3, t) == 3)
#define POISON() (tu_poison(y, ny, t), tu_poison(gx, nx, t), tu_poison(gw, nw, t), tu_poison(gb, 3, t))
#define EXPECT(call, want, needle, label)                                                                     \
    do {                                                                                                      \
        POISON();                                                                                             \
        memset(&err, 0, sizeof err);                                                                          \
        convnd_status st_ = (call);                                                                           \
        CHECK(st_ == (want) && err.code == (want) && strstr(err.msg, needle) != NULL,                         \
              "%s: status %d, expected %d; message \"%s\" should contain \"%s\"", label, (int)st_, (int)(want), \
              err.msg, needle);                                                                               \
        CHECK(UNTOUCHED(), "%s: an output was written on failure", label);                                    \
    } while (0)

    /* NULL layer / in_spatial / weight / bias / buffers */
    EXPECT(convnd_conv_spec(NULL, in, x, y, &err), CONVND_EINVAL, "layer", "conv_spec layer NULL");
    EXPECT(convnd_conv_spec(&l, NULL, x, y, &err), CONVND_EINVAL, "in_spatial", "conv_spec in_spatial NULL");
    EXPECT(convnd_conv_spec(&l, in, NULL, y, &err), CONVND_EINVAL, "input", "conv_spec input NULL");
    EXPECT(convnd_conv_spec(&l, in, x, NULL, &err), CONVND_EINVAL, "output", "conv_spec output NULL");
    {
        convnd_conv_layer l2 = l;
        l2.weight = NULL;
        EXPECT(convnd_conv_spec(&l2, in, x, y, &err), CONVND_EINVAL, "weight", "conv_spec weight NULL");
        EXPECT(convnd_conv_input_deriv_spec(&l2, in, gy, gx, &err), CONVND_EINVAL, "weight",
               "conv_input_deriv_spec weight NULL");
        EXPECT(convnd_conv_backward_spec(&l2, in, x, gy, gw, gb, gx, &err), CONVND_EINVAL, "weight",
               "conv_backward_spec weight NULL");
        EXPECT(convnd_conv_input_deriv(&l2, in, gy, gx, &err), CONVND_EINVAL, "weight", "alias input_deriv weight");
        l2 = l;
        l2.bias = NULL;
        EXPECT(convnd_conv_spec(&l2, in, x, y, &err), CONVND_EINVAL, "bias", "conv_spec bias NULL");
        EXPECT(convnd_conv(&l2, in, x, y, &err), CONVND_EINVAL, "bias", "alias conv bias NULL");
    }
    EXPECT(convnd_conv_kernel_deriv_spec(NULL, in, x, gy, gw, &err), CONVND_EINVAL, "layer", "kernel_deriv layer");
    EXPECT(convnd_conv_kernel_deriv_spec(&l, in, NULL, gy, gw, &err), CONVND_EINVAL, "input", "kernel_deriv input");
    EXPECT(convnd_conv_kernel_deriv_spec(&l, in, x, NULL, gw, &err), CONVND_EINVAL, "grad_output",
           "kernel_deriv grad_output");
    EXPECT(convnd_conv_kernel_deriv_spec(&l, in, x, gy, NULL, &err), CONVND_EINVAL, "NULL", "kernel_deriv out");
    EXPECT(convnd_conv_bias_deriv_spec(&l, NULL, gy, gb, &err), CONVND_EINVAL, "in_spatial", "bias_deriv in_spatial");
    EXPECT(convnd_conv_bias_deriv_spec(&l, in, NULL, gb, &err), CONVND_EINVAL, "grad_output",
           "bias_deriv grad_output");
    EXPECT(convnd_conv_bias_deriv_spec(&l, in, gy, NULL, &err), CONVND_EINVAL, "NULL", "bias_deriv out");
    EXPECT(convnd_conv_input_deriv_spec(&l, in, gy, NULL, &err), CONVND_EINVAL, "NULL", "input_deriv out");
    EXPECT(convnd_conv_backward_spec(&l, in, x, gy, NULL, gb, gx, &err), CONVND_EINVAL, "NULL",
           "backward_spec dKernel NULL");
    EXPECT(convnd_conv_backward_spec(&l, in, x, gy, gw, NULL, gx, &err), CONVND_EINVAL, "NULL",
           "backward_spec dBias NULL");
    EXPECT(convnd_conv_backward_spec(&l, in, x, gy, gw, gb, NULL, &err), CONVND_EINVAL, "NULL",
           "backward_spec dInput NULL");
    EXPECT(convnd_conv_backward(NULL, in, x, gy, gw, gb, gx, &err), CONVND_EINVAL, "layer", "alias backward layer");

    /* invalid geometry: EGEOMETRY naming the axis */
    {
        convnd_conv_layer l2 = l;
        l2.kernel[2] = 9; /* axis 2: 6 + 0 < 9 */
        EXPECT(convnd_conv_spec(&l2, in, x, y, &err), CONVND_EGEOMETRY, "axis 2", "conv_spec kernel 9 on axis 2");
        EXPECT(convnd_conv_backward_spec(&l2, in, x, gy, gw, gb, gx, &err), CONVND_EGEOMETRY, "axis 2",
               "backward_spec kernel 9 on axis 2");
        EXPECT(convnd_conv_bias_deriv(&l2, in, gy, gb, &err), CONVND_EGEOMETRY, "axis 2", "alias bias_deriv axis 2");
        l2 = l;
        l2.stride[1] = 0;
        EXPECT(convnd_conv_kernel_deriv_spec(&l2, in, x, gy, gw, &err), CONVND_EGEOMETRY, "axis 1",
               "kernel_deriv stride 0 on axis 1");
        l2 = l;
        l2.padding[0] = -1;
        EXPECT(convnd_conv_input_deriv_spec(&l2, in, gy, gx, &err), CONVND_EGEOMETRY, "axis 0",
               "input_deriv padding -1 on axis 0");
        const int64_t bad_in[3] = {4, 0, 6};
        EXPECT(convnd_conv_spec(&l, bad_in, x, y, &err), CONVND_EGEOMETRY, "axis 1", "conv_spec input 0 on axis 1");
        l2 = l;
        l2.in_channels = 0;
        EXPECT(convnd_conv_spec(&l2, in, x, y, &err), CONVND_EGEOMETRY, "channels", "conv_spec in_channels 0");
        l2 = l;
        l2.rank = 0;
        EXPECT(convnd_conv_spec(&l2, in, x, y, &err), CONVND_EINVAL, "rank", "conv_spec rank 0");
        l2.rank = 9;
        EXPECT(convnd_conv_spec(&l2, in, x, y, &err), CONVND_EINVAL, "rank", "conv_spec rank 9");
        l2 = l;
        l2.dtype = (convnd_dtype)5;
        EXPECT(convnd_conv_spec(&l2, in, x, y, &err), CONVND_EINVAL, "dtype", "conv_spec dtype 5");
    }
    /* transposed */
    {
        /* C 2 -> 3, in (4, 5, 6), k (2, 3, 1), s 1, p (0, 1, 0); only error paths run with it */
        convnd_conv_transpose_layer lt = {.rank = 3, .dtype = t, .in_channels = 2, .out_channels = 3,
                                          .kernel = {2, 3, 1}, .stride = {1, 1, 1}, .padding = {0, 1, 0},
                                          .weight = w, .bias = b};
        EXPECT(convnd_conv_transpose_spec(NULL, in, x, y, &err), CONVND_EINVAL, "layer", "transpose_spec layer");
        EXPECT(convnd_conv_transpose_spec(&lt, NULL, x, y, &err), CONVND_EINVAL, "in_spatial",
               "transpose_spec in_spatial");
        convnd_conv_transpose_layer lt2 = lt;
        lt2.weight = NULL;
        EXPECT(convnd_conv_transpose_spec(&lt2, in, x, y, &err), CONVND_EINVAL, "weight", "transpose_spec weight");
        EXPECT(convnd_conv_transpose_input_deriv_spec(&lt2, in, gy, gx, &err), CONVND_EINVAL, "weight",
               "transpose_input_deriv weight");
        lt2 = lt;
        lt2.bias = NULL;
        EXPECT(convnd_conv_transpose_spec(&lt2, in, x, y, &err), CONVND_EINVAL, "bias", "transpose_spec bias");
        EXPECT(convnd_conv_transpose_backward_spec(&lt, in, x, gy, gw, gb, NULL, &err), CONVND_EINVAL, "NULL",
               "transpose_backward dInput NULL");
        lt2 = lt;
        lt2.kernel[1] = 1;
        lt2.padding[1] = 3; /* axis 1: (5-1)*1 - 6 + 1 = -1 */
        EXPECT(convnd_conv_transpose_spec(&lt2, in, x, y, &err), CONVND_EGEOMETRY, "axis 1",
               "transpose_spec O < 1 on axis 1");
        EXPECT(convnd_conv_transpose_kernel_deriv_spec(&lt2, in, x, gy, gw, &err), CONVND_EGEOMETRY, "axis 1",
               "transpose_kernel_deriv O < 1 on axis 1");
        EXPECT(convnd_conv_transpose_bias_deriv_spec(&lt2, in, gy, gb, &err), CONVND_EGEOMETRY, "axis 1",
               "transpose_bias_deriv O < 1 on axis 1");
    }
    /* 2-D names */
    {
        convnd_conv2d_layer l2 = {.dtype = t, .in_channels = 2, .out_channels = 3, .kernel_h = 2, .kernel_w = 3,
                                  .stride = 1, .padding = 0, .weight = w, .bias = b};
        EXPECT(convnd_conv2d_spec(NULL, 4, 5, x, y, &err), CONVND_EINVAL, "layer", "conv2d_spec layer NULL");
        EXPECT(convnd_conv2d_spec(&l2, 4, 2, x, y, &err), CONVND_EGEOMETRY, "axis 1", "conv2d_spec kernel_w 3 > 2");
        EXPECT(convnd_conv2d_backward_spec(&l2, 1, 5, x, gy, gw, gb, gx, &err), CONVND_EGEOMETRY, "axis 0",
               "conv2d_backward_spec kernel_h 2 > 1");
        l2.stride = 0;
        EXPECT(convnd_conv2d_kernel_deriv_spec(&l2, 4, 5, x, gy, gw, &err), CONVND_EGEOMETRY, "stride",
               "conv2d_kernel_deriv stride 0");
        l2.stride = 1;
        l2.padding = -2;
        EXPECT(convnd_conv2d_input_deriv_spec(&l2, 4, 5, gy, gx, &err), CONVND_EGEOMETRY, "-2",
               "conv2d_input_deriv padding -2");
        EXPECT(convnd_conv2d_bias_deriv_spec(NULL, 4, 5, gy, gb, &err), CONVND_EINVAL, "layer",
               "conv2d_bias_deriv layer NULL");
        convnd_conv_transpose2d_layer lt2 = {.dtype = t, .in_channels = 2, .out_channels = 3, .kernel_h = 1,
                                             .kernel_w = 1, .stride = 1, .padding = 1, .weight = w, .bias = b};
        /* (1,1,1,1) on both axes: O = -1 */
        EXPECT(convnd_conv_transpose2d_spec(&lt2, 1, 1, x, y, &err), CONVND_EGEOMETRY, "axis 0",
               "conv_transpose2d_spec (1,1,1,1)");
        EXPECT(convnd_conv_transpose2d_weights_deriv_spec(&lt2, 1, 1, x, gy, gw, &err), CONVND_EGEOMETRY, "axis 0",
               "conv_transpose2d_weights_deriv (1,1,1,1)");
        EXPECT(convnd_conv_transpose2d_input_deriv_spec(NULL, 1, 1, gy, gx, &err), CONVND_EINVAL, "layer",
               "conv_transpose2d_input_deriv layer NULL");
        EXPECT(convnd_conv_transpose2d_bias_deriv_spec(NULL, 1, 1, gy, gb, &err), CONVND_EINVAL, "layer",
               "conv_transpose2d_bias_deriv layer NULL");
        EXPECT(convnd_conv_transpose2d_backward_spec(NULL, 1, 1, x, gy, gw, gb, gx, &err), CONVND_EINVAL, "layer",
               "conv_transpose2d_backward layer NULL");
    }
    /* err may be NULL */
    POISON();
    CHECK(convnd_conv_spec(NULL, in, x, y, NULL) == CONVND_EINVAL, "conv_spec err NULL");
    CHECK(convnd_conv2d_spec(NULL, 4, 5, x, y, NULL) == CONVND_EINVAL, "conv2d_spec err NULL");
    CHECK(UNTOUCHED(), "err NULL: written");
    CHECK(convnd_conv_spec(&l, in, x, y, NULL) == CONVND_OK && tu_count_nan(y, ny, t) == 0, "conv_spec ok err NULL");
#undef EXPECT
#undef POISON
#undef UNTOUCHED
}

int main(void) {
    test_out_dim_tables();
    test_spatial_helpers();
    test_2d_equals_generic();
    test_phantoms();
    test_generic_bitwise();
    test_aliases_direct();
    test_2d_names();
    test_brute_input_deriv();
    test_errors();
    return tu_finish("test_spec_names");
}
