/* test_validation.c -- every validation error through the public API.
 *
 * For each invalid geometry: the status code of convnd_geometry_check, convnd_output_size,
 * convnd_tensor_shape, convnd_forward and convnd_backward; err.code; that err.msg is one
 * non-empty line naming the offending value (axis number, field, the numbers); the same status
 * with err = NULL; and that no output buffer was touched (sentinel bytes). Then the NULL and
 * overlapping buffers, unknown enum values, the order in which problems are reported
 * (convnd_geometry_check's documented order), the padding helpers, convnd_strerror, and the
 * valid boundary cases (which must be accepted and computed). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define SENTINEL_BYTE 0xA5
#define SCRATCH_BYTES 4096 /* the error paths must not touch these at all */

/* Needle lists: N("axis 1", "stride") is a NULL-terminated array of substrings err.msg must hold. */
#define N(...) ((const char *const[]){__VA_ARGS__, NULL})

static int is_sentinel(const void *p, size_t bytes) {
    const unsigned char *c = p;
    for (size_t i = 0; i < bytes; i++)
        if (c[i] != SENTINEL_BYTE) return 0;
    return 1;
}

/* err.msg holds every needle; it is non-empty and one line. */
static void check_msg(const char *label, const convnd_error *err, convnd_status code, const char *const *needles) {
    CHECK(err->code == code, "%s: err.code %d, status %d", label, (int)err->code, (int)code);
    CHECK(err->msg[0] != '\0', "%s: empty message", label);
    CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL, "%s: message not NUL-terminated", label);
    CHECK(strchr(err->msg, '\n') == NULL, "%s: message has a newline: \"%s\"", label, err->msg);
    for (int i = 0; needles && needles[i]; i++)
        CHECK(strstr(err->msg, needles[i]) != NULL, "%s: message \"%s\" does not contain \"%s\"", label, err->msg,
              needles[i]);
}

/* A valid rank-3 conv: N=2, C_in=4, C_out=6, G=2, I=(7,8,9), K=(3,2,3) -> O=(5,7,7). */
static convnd_geometry base(void) {
    convnd_geometry g;
    convnd_error err;
    if (convnd_geometry_init(&g, 3, &err) != CONVND_OK) abort();
    g.dtype = CONVND_FLOAT64;
    g.batch = 2;
    g.in_channels = 4;
    g.out_channels = 6;
    g.groups = 2;
    const int64_t in[3] = {7, 8, 9}, k[3] = {3, 2, 3};
    for (int a = 0; a < 3; a++) g.input_size[a] = in[a], g.kernel_size[a] = k[a];
    return g;
}

/* A valid rank-3 transposed conv: C_in=4 -> C_out=6, G=2, I=(3,4,5), K=(2,3,2), S=(1,2,1). */
static convnd_geometry base_t(void) {
    convnd_geometry g = base();
    g.transposed = 1;
    const int64_t in[3] = {3, 4, 5}, k[3] = {2, 3, 2}, s[3] = {1, 2, 1};
    for (int a = 0; a < 3; a++) g.input_size[a] = in[a], g.kernel_size[a] = k[a], g.stride[a] = s[a];
    return g;
}

/* One rank-1 conv: rank 1, I, K, everything else default (f64, unbatched). */
static convnd_geometry small1(int64_t in, int64_t k) {
    convnd_geometry g;
    if (convnd_geometry_init(&g, 1, NULL) != CONVND_OK) abort();
    g.dtype = CONVND_FLOAT64;
    g.input_size[0] = in;
    g.kernel_size[0] = k;
    return g;
}

/* Every entry point that validates a geometry must refuse g with `code`, name the needles, and
 * write nothing. g may be NULL. */
static void expect_geo(const char *label, const convnd_geometry *g, convnd_status code, const char *const *needles) {
    convnd_error err;
    char lab[256];
    memset(&err, 0, sizeof err);
    convnd_status st = convnd_geometry_check(g, &err);
    if (!CHECK(st == code, "%s: geometry_check returned %d (%s: %s), expected %d", label, (int)st,
               convnd_strerror(st), err.msg, (int)code))
        return;
    snprintf(lab, sizeof lab, "%s [geometry_check]", label);
    check_msg(lab, &err, code, needles);
    CHECK(convnd_geometry_check(g, NULL) == code, "%s: geometry_check with err NULL differs", label);

    /* output_size: the same status, out_size untouched */
    int64_t out[CONVND_MAX_RANK];
    memset(out, SENTINEL_BYTE, sizeof out);
    st = convnd_output_size(g, out, &err);
    CHECK(st == code, "%s: output_size returned %d, expected %d", label, (int)st, (int)code);
    snprintf(lab, sizeof lab, "%s [output_size]", label);
    if (st == code) check_msg(lab, &err, code, needles);
    CHECK(is_sentinel(out, sizeof out), "%s: output_size wrote out_size on failure", label);
    CHECK(convnd_output_size(g, out, NULL) == code, "%s: output_size with err NULL differs", label);

    /* tensor_shape: every tensor, dims / ndim / count untouched */
    for (int w = CONVND_TENSOR_INPUT; w <= CONVND_TENSOR_OUTPUT; w++) {
        int64_t dims[CONVND_MAX_RANK + 2];
        int ndim;
        size_t count;
        memset(dims, SENTINEL_BYTE, sizeof dims);
        memset(&ndim, SENTINEL_BYTE, sizeof ndim);
        memset(&count, SENTINEL_BYTE, sizeof count);
        st = convnd_tensor_shape(g, (convnd_tensor)w, dims, &ndim, &count, &err);
        CHECK(st == code, "%s: tensor_shape(%d) returned %d, expected %d", label, w, (int)st, (int)code);
        CHECK(is_sentinel(dims, sizeof dims) && is_sentinel(&ndim, sizeof ndim) && is_sentinel(&count, sizeof count),
              "%s: tensor_shape(%d) wrote on failure", label, w);
        st = convnd_tensor_shape(g, (convnd_tensor)w, dims, &ndim, &count, NULL);
        CHECK(st == code, "%s: tensor_shape(%d) with err NULL returned %d", label, w, (int)st);
        CHECK(is_sentinel(dims, sizeof dims) && is_sentinel(&ndim, sizeof ndim) && is_sentinel(&count, sizeof count),
              "%s: tensor_shape(%d) wrote on failure (err NULL)", label, w);
    }

    /* forward and backward, both engines: the same status, no output byte written */
    unsigned char *x = malloc(SCRATCH_BYTES), *wt = malloc(SCRATCH_BYTES), *b = malloc(SCRATCH_BYTES);
    unsigned char *y = malloc(SCRATCH_BYTES), *gy = malloc(SCRATCH_BYTES);
    unsigned char *gx = malloc(SCRATCH_BYTES), *gw = malloc(SCRATCH_BYTES), *gb = malloc(SCRATCH_BYTES);
    if (!x || !wt || !b || !y || !gy || !gx || !gw || !gb) abort();
    memset(x, 0, SCRATCH_BYTES);
    memset(wt, 0, SCRATCH_BYTES);
    memset(b, 0, SCRATCH_BYTES);
    memset(gy, 0, SCRATCH_BYTES);
    for (int e = 0; e < 2; e++) {
        convnd_engine eng = e ? CONVND_ENGINE_AUTO : CONVND_ENGINE_REF;
        memset(y, SENTINEL_BYTE, SCRATCH_BYTES);
        st = convnd_forward(g, eng, x, wt, b, y, &err);
        CHECK(st == code, "%s: forward returned %d (%s), expected %d", label, (int)st, err.msg, (int)code);
        snprintf(lab, sizeof lab, "%s [forward]", label);
        if (st == code) check_msg(lab, &err, code, needles);
        CHECK(is_sentinel(y, SCRATCH_BYTES), "%s: forward wrote its output on failure", label);
        st = convnd_forward(g, eng, x, wt, b, y, NULL);
        CHECK(st == code && is_sentinel(y, SCRATCH_BYTES), "%s: forward with err NULL: %d", label, (int)st);

        memset(gx, SENTINEL_BYTE, SCRATCH_BYTES);
        memset(gw, SENTINEL_BYTE, SCRATCH_BYTES);
        memset(gb, SENTINEL_BYTE, SCRATCH_BYTES);
        st = convnd_backward(g, eng, x, wt, gy, gx, gw, gb, &err);
        CHECK(st == code, "%s: backward returned %d (%s), expected %d", label, (int)st, err.msg, (int)code);
        snprintf(lab, sizeof lab, "%s [backward]", label);
        if (st == code) check_msg(lab, &err, code, needles);
        st = convnd_backward(g, eng, x, wt, gy, gx, gw, gb, NULL);
        CHECK(st == code, "%s: backward with err NULL: %d", label, (int)st);
        CHECK(is_sentinel(gx, SCRATCH_BYTES) && is_sentinel(gw, SCRATCH_BYTES) && is_sentinel(gb, SCRATCH_BYTES),
              "%s: backward wrote a gradient on failure", label);
    }
    free(x);
    free(wt);
    free(b);
    free(y);
    free(gy);
    free(gx);
    free(gw);
    free(gb);
}

/* The message must not contain `absent` (to check which of two problems was reported). */
static void expect_not_named(const char *label, const convnd_geometry *g, const char *absent) {
    convnd_error err;
    memset(&err, 0, sizeof err);
    convnd_geometry_check(g, &err);
    CHECK(strstr(err.msg, absent) == NULL, "%s: message \"%s\" names \"%s\" (a later problem)", label, err.msg, absent);
}

static void expect_valid(const char *label, const convnd_geometry *g) {
    convnd_error err;
    convnd_status st = convnd_geometry_check(g, &err);
    CHECK(st == CONVND_OK, "%s: refused (%d): %s", label, (int)st, err.msg);
    CHECK(convnd_geometry_check(g, NULL) == CONVND_OK, "%s: refused with err NULL", label);
}

/* ============================================================================================ */

static void test_null_and_rank(void) {
    expect_geo("NULL geometry", NULL, CONVND_EINVAL, N("geometry"));
    const int ranks[3] = {0, 9, -1};
    const char *const rank_txt[3] = {"0", "9", "-1"};
    for (int i = 0; i < 3; i++) {
        convnd_geometry g = base();
        char label[64];
        g.rank = ranks[i];
        snprintf(label, sizeof label, "rank %d", ranks[i]);
        expect_geo(label, &g, CONVND_EINVAL, N("rank", rank_txt[i]));
    }
    /* rank 8 and 1 are valid */
    {
        convnd_geometry g;
        CHECK(convnd_geometry_init(&g, CONVND_MAX_RANK, NULL) == CONVND_OK, "init rank 8");
        for (int a = 0; a < CONVND_MAX_RANK; a++) g.input_size[a] = 2, g.kernel_size[a] = 1;
        expect_valid("rank 8", &g);
    }

    /* geometry_init: NULL, bad ranks (then *g unchanged), and the documented defaults */
    convnd_error err;
    CHECK(convnd_geometry_init(NULL, 2, &err) == CONVND_EINVAL, "geometry_init(NULL)");
    CHECK(convnd_geometry_init(NULL, 2, NULL) == CONVND_EINVAL, "geometry_init(NULL) err NULL");
    for (int i = 0; i < 3; i++) {
        convnd_geometry g;
        memset(&g, SENTINEL_BYTE, sizeof g);
        convnd_status st = convnd_geometry_init(&g, ranks[i], &err);
        CHECK(st == CONVND_EINVAL, "geometry_init rank %d returned %d", ranks[i], (int)st);
        if (st == CONVND_EINVAL) check_msg("geometry_init bad rank", &err, CONVND_EINVAL, N("rank", rank_txt[i]));
        CHECK(is_sentinel(&g, sizeof g), "geometry_init rank %d changed *g", ranks[i]);
        CHECK(convnd_geometry_init(&g, ranks[i], NULL) == CONVND_EINVAL, "geometry_init rank %d err NULL", ranks[i]);
    }
    for (int r = 1; r <= CONVND_MAX_RANK; r++) {
        convnd_geometry g;
        memset(&g, SENTINEL_BYTE, sizeof g);
        CHECK_OK(convnd_geometry_init(&g, r, &err), &err);
        int ok = g.rank == r && g.transposed == 0 && g.dtype == CONVND_FLOAT32 && g.padding_mode == CONVND_PAD_ZEROS &&
                 g.batch == CONVND_UNBATCHED && g.in_channels == 1 && g.out_channels == 1 && g.groups == 1;
        for (int a = 0; a < r; a++)
            ok = ok && g.input_size[a] == 0 && g.kernel_size[a] == 0 && g.stride[a] == 1 && g.dilation[a] == 1 &&
                 g.pad_lo[a] == 0 && g.pad_hi[a] == 0 && g.output_padding[a] == 0;
        CHECK(ok, "geometry_init(%d): defaults not as documented", r);
        /* left with sizes 0 it fails validation, naming axis 0 */
        expect_geo("init defaults (sizes 0)", &g, CONVND_EGEOMETRY, N("axis 0", "0"));
    }
}

static void test_enums(void) {
    {
        convnd_geometry g = base();
        g.transposed = 2;
        expect_geo("transposed 2", &g, CONVND_EINVAL, N("transposed", "2"));
        g.transposed = -1;
        expect_geo("transposed -1", &g, CONVND_EINVAL, N("transposed", "-1"));
    }
    {
        convnd_geometry g = base();
        g.dtype = (convnd_dtype)2;
        expect_geo("dtype 2", &g, CONVND_EINVAL, N("dtype", "2"));
        g.dtype = (convnd_dtype)-1;
        expect_geo("dtype -1", &g, CONVND_EINVAL, N("dtype", "-1"));
    }
    {
        convnd_geometry g = base();
        g.padding_mode = (convnd_padding_mode)4;
        expect_geo("padding mode 4", &g, CONVND_EINVAL, N("mode", "4"));
        g.padding_mode = (convnd_padding_mode)-1;
        expect_geo("padding mode -1", &g, CONVND_EINVAL, N("mode", "-1"));
    }
    /* unknown engine: valid geometry with correctly sized buffers, nothing written */
    {
        convnd_geometry g = small1(8, 3);
        double x[8] = {0}, w[3] = {0}, b[1] = {0}, y[6], gy[6] = {0}, gx[8], gw[3], gb[1];
        const int engines[3] = {2, -1, 99};
        for (int i = 0; i < 3; i++) {
            convnd_error err;
            char num[16];
            snprintf(num, sizeof num, "%d", engines[i]);
            memset(y, SENTINEL_BYTE, sizeof y);
            convnd_status st = convnd_forward(&g, (convnd_engine)engines[i], x, w, b, y, &err);
            CHECK(st == CONVND_EINVAL, "forward engine %d returned %d", engines[i], (int)st);
            if (st == CONVND_EINVAL) check_msg("forward unknown engine", &err, st, N("engine", num));
            CHECK(is_sentinel(y, sizeof y), "forward engine %d wrote the output", engines[i]);
            CHECK(convnd_forward(&g, (convnd_engine)engines[i], x, w, b, y, NULL) == CONVND_EINVAL, "err NULL");
            memset(gx, SENTINEL_BYTE, sizeof gx);
            memset(gw, SENTINEL_BYTE, sizeof gw);
            memset(gb, SENTINEL_BYTE, sizeof gb);
            st = convnd_backward(&g, (convnd_engine)engines[i], x, w, gy, gx, gw, gb, &err);
            CHECK(st == CONVND_EINVAL, "backward engine %d returned %d", engines[i], (int)st);
            if (st == CONVND_EINVAL) check_msg("backward unknown engine", &err, st, N("engine", num));
            CHECK(is_sentinel(gx, sizeof gx) && is_sentinel(gw, sizeof gw) && is_sentinel(gb, sizeof gb),
                  "backward engine %d wrote a gradient", engines[i]);
        }
    }
    /* unknown tensor for tensor_shape */
    {
        convnd_geometry g = base();
        convnd_error err;
        int64_t dims[CONVND_MAX_RANK + 2];
        size_t count = 77;
        CHECK(convnd_tensor_shape(&g, (convnd_tensor)4, dims, NULL, &count, &err) == CONVND_EINVAL,
              "tensor_shape(4)");
        CHECK(convnd_tensor_shape(&g, (convnd_tensor)-1, dims, NULL, &count, NULL) == CONVND_EINVAL,
              "tensor_shape(-1)");
        CHECK(count == 77, "tensor_shape wrote count on failure");
    }
}

static void test_scalars(void) {
    convnd_geometry g = base();
    g.batch = -1;
    expect_geo("batch -1", &g, CONVND_EGEOMETRY, N("batch", "-1"));
    g.batch = -7;
    expect_geo("batch -7", &g, CONVND_EGEOMETRY, N("batch", "-7"));

    g = base();
    g.in_channels = 0;
    expect_geo("in_channels 0", &g, CONVND_EGEOMETRY, N("in", "channels", "0"));
    g.in_channels = -3;
    expect_geo("in_channels -3", &g, CONVND_EGEOMETRY, N("in", "channels", "-3"));
    g = base();
    g.out_channels = 0;
    expect_geo("out_channels 0", &g, CONVND_EGEOMETRY, N("out", "channels", "0"));

    g = base();
    g.groups = 0;
    expect_geo("groups 0", &g, CONVND_EGEOMETRY, N("groups", "0"));
    g.groups = -2;
    expect_geo("groups -2", &g, CONVND_EGEOMETRY, N("groups", "-2"));
    g = base(); /* C_in 4, C_out 6 */
    g.groups = 3;
    expect_geo("groups 3 not dividing C_in 4", &g, CONVND_EGEOMETRY, N("groups", "3", "4"));
    g.groups = 4;
    expect_geo("groups 4 not dividing C_out 6", &g, CONVND_EGEOMETRY, N("groups", "4", "6"));
    g = base_t(); /* transposed: C_in 4, C_out 6 as well */
    g.groups = 4;
    expect_geo("transposed groups 4 not dividing C_out 6", &g, CONVND_EGEOMETRY, N("groups", "4", "6"));

    /* padding modes on a transposed conv are not offered */
    for (int m = CONVND_PAD_REFLECT; m <= CONVND_PAD_CIRCULAR; m++) {
        g = base_t();
        g.padding_mode = (convnd_padding_mode)m;
        expect_geo("padding mode on transposed", &g, CONVND_EUNSUPPORTED, N("transposed"));
    }
}

static void test_axis(void) {
    convnd_geometry g;
    /* sizes < 1 on axis 1 */
    g = base();
    g.input_size[1] = 0;
    expect_geo("input 0 on axis 1", &g, CONVND_EGEOMETRY, N("axis 1", "input", "0"));
    g.input_size[1] = -6;
    expect_geo("input -6 on axis 1", &g, CONVND_EGEOMETRY, N("axis 1", "input", "-6"));
    g = base();
    g.kernel_size[1] = 0;
    expect_geo("kernel 0 on axis 1", &g, CONVND_EGEOMETRY, N("axis 1", "kernel", "0"));
    g = base();
    g.stride[1] = 0;
    expect_geo("stride 0 on axis 1", &g, CONVND_EGEOMETRY, N("axis 1", "stride", "0"));
    g.stride[1] = -2;
    expect_geo("stride -2 on axis 1", &g, CONVND_EGEOMETRY, N("axis 1", "stride", "-2"));
    g = base();
    g.dilation[2] = 0;
    expect_geo("dilation 0 on axis 2", &g, CONVND_EGEOMETRY, N("axis 2", "dilation", "0"));
    /* negative padding */
    g = base();
    g.pad_lo[1] = -3;
    expect_geo("pad_lo -3 on axis 1", &g, CONVND_EGEOMETRY, N("axis 1", "padding", "-3"));
    g = base();
    g.pad_hi[2] = -4;
    expect_geo("pad_hi -4 on axis 2", &g, CONVND_EGEOMETRY, N("axis 2", "padding", "-4"));
    g = base_t();
    g.pad_lo[0] = -5;
    expect_geo("transposed pad_lo -5 on axis 0", &g, CONVND_EGEOMETRY, N("axis 0", "padding", "-5"));

    /* kernel larger than the padded input: axis 2, I = 9, P = 0+1, K = 3, D = 5: span 11 > 10 */
    g = base();
    g.dilation[2] = 5;
    g.pad_hi[2] = 1;
    expect_geo("dilated kernel 11 > padded 10 on axis 2", &g, CONVND_EGEOMETRY, N("axis 2", "9", "11"));
    /* undilated: axis 0, I = 7, P = 1+1, K = 10 */
    g = base();
    g.kernel_size[0] = 10;
    g.pad_lo[0] = g.pad_hi[0] = 1;
    expect_geo("kernel 10 > padded 9 on axis 0", &g, CONVND_EGEOMETRY, N("axis 0", "7", "10"));

    /* output_padding on a conv */
    g = base();
    g.output_padding[1] = 1;
    expect_geo("output_padding on a conv", &g, CONVND_EGEOMETRY, N("axis 1", "output", "1"));
    g.output_padding[1] = -1;
    expect_geo("output_padding -1 on a conv", &g, CONVND_EGEOMETRY, N("axis 1", "output", "-1"));

    /* transposed output_padding >= max(S, D): axis 1 has S = 2; with D = 3, max = 3 */
    g = base_t();
    g.dilation[1] = 3;
    g.output_padding[1] = 3;
    expect_geo("transposed OP 3 >= max(2, 3)", &g, CONVND_EGEOMETRY, N("axis 1", "output", "3"));
    g.output_padding[1] = 2; /* max - 1: valid */
    expect_valid("transposed OP 2 < max(2, 3)", &g);
    g.output_padding[1] = -1;
    expect_geo("transposed OP -1", &g, CONVND_EGEOMETRY, N("axis 1", "output", "-1"));
    g = base_t();
    g.output_padding[0] = 1; /* axis 0: S = 1, D = 1 -> only OP 0 */
    expect_geo("transposed OP 1 with S = D = 1", &g, CONVND_EGEOMETRY, N("axis 0", "output", "1"));

    /* transposed output < 1: axis 2, I = 1, K = 1, S = 1, P = 1+1: O = 0 - 2 + 0 + 0 + 1 = -1 */
    g = base_t();
    g.input_size[2] = 1;
    g.kernel_size[2] = 1;
    g.pad_lo[2] = g.pad_hi[2] = 1;
    expect_geo("transposed O = -1", &g, CONVND_EGEOMETRY, N("axis 2", "-1"));
    /* I = 1, K = 2, P = 1+1: O = 0 - 2 + 1 + 1 = 0 */
    g.kernel_size[2] = 2;
    expect_geo("transposed O = 0", &g, CONVND_EGEOMETRY, N("axis 2", "0"));

    /* reflect: P < I on both sides. axis 1 has I = 8, K = 2. */
    g = base();
    g.padding_mode = CONVND_PAD_REFLECT;
    g.pad_lo[1] = 8;
    expect_geo("reflect pad_lo 8 >= I 8", &g, CONVND_EGEOMETRY, N("axis 1", "reflect", "8"));
    g.pad_lo[1] = 0;
    g.pad_hi[1] = 11;
    expect_geo("reflect pad_hi 11 >= I 8", &g, CONVND_EGEOMETRY, N("axis 1", "reflect", "11", "8"));
    g.pad_hi[1] = 7;
    expect_valid("reflect P = I - 1", &g);
    /* circular: P <= I */
    g = base();
    g.padding_mode = CONVND_PAD_CIRCULAR;
    g.pad_hi[1] = 9;
    expect_geo("circular pad_hi 9 > I 8", &g, CONVND_EGEOMETRY, N("axis 1", "circular", "9", "8"));
    g.pad_hi[1] = 0;
    g.pad_lo[2] = 10;
    expect_geo("circular pad_lo 10 > I 9", &g, CONVND_EGEOMETRY, N("axis 2", "circular", "10", "9"));
    g.pad_lo[2] = 9;
    expect_valid("circular P = I", &g);
    /* replicate: no limit */
    g = base();
    g.padding_mode = CONVND_PAD_REPLICATE;
    g.pad_lo[0] = g.pad_hi[0] = 100;
    expect_valid("replicate P = 100 > I = 7", &g);
}

static void test_overflow(void) {
    const int64_t half = INT64_MAX / 2;
    for (int ti = 0; ti < 2; ti++) {
        convnd_dtype t = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
        convnd_geometry g;
        /* D*(K-1) overflows: D = INT64_MAX/2, K = 4 -> 3 * (2^62 - 1) */
        g = small1(5, 4);
        g.dtype = t;
        g.dilation[0] = half;
        expect_geo("dilation*kernel overflows", &g, CONVND_EOVERFLOW, N("axis 0"));
        /* I + P overflows */
        g = small1(INT64_MAX, 1);
        g.dtype = t;
        g.pad_lo[0] = INT64_MAX;
        expect_geo("input + padding overflows", &g, CONVND_EOVERFLOW, N("axis 0"));
        g = small1(half, 1);
        g.dtype = t;
        g.pad_lo[0] = half;
        g.pad_hi[0] = half;
        expect_geo("input + pad_lo + pad_hi overflows", &g, CONVND_EOVERFLOW, N("axis 0"));
        /* INT64_MAX/2 kernel on an input just as large: the window fits (O = 2), but the tensors
         * hold 2^62 elements: more bytes than size_t holds */
        g = small1(half + 1, half);
        g.dtype = t;
        expect_geo("INT64_MAX/2 kernel and input", &g, CONVND_EOVERFLOW, NULL);
        /* (2^22)^3 = 2^66 elements: the element count overflows int64 */
        CHECK(convnd_geometry_init(&g, 3, NULL) == CONVND_OK, "init");
        g.dtype = t;
        for (int a = 0; a < 3; a++) g.input_size[a] = INT64_C(1) << 22, g.kernel_size[a] = 1;
        expect_geo("2^66 input elements", &g, CONVND_EOVERFLOW, NULL);
        /* (2^31)^2 = 2^62 elements: fits int64, but not in size_t bytes (2^64 or 2^65) */
        CHECK(convnd_geometry_init(&g, 2, NULL) == CONVND_OK, "init");
        g.dtype = t;
        for (int a = 0; a < 2; a++) g.input_size[a] = INT64_C(1) << 31, g.kernel_size[a] = 1;
        expect_geo("2^62 input elements (bytes overflow size_t)", &g, CONVND_EOVERFLOW, NULL);
        /* batch * channels overflows */
        g = small1(1, 1);
        g.dtype = t;
        g.batch = 2;
        g.in_channels = INT64_MAX;
        expect_geo("batch 2 * C_in INT64_MAX", &g, CONVND_EOVERFLOW, NULL);
        g = small1(1, 1);
        g.dtype = t;
        g.batch = INT64_MAX;
        g.out_channels = 3;
        expect_geo("batch INT64_MAX * C_out 3", &g, CONVND_EOVERFLOW, NULL);
        /* weight count: C_out * C_in * K = 2^40 * 2^40 */
        g = small1(1, 1);
        g.dtype = t;
        g.in_channels = g.out_channels = INT64_C(1) << 40;
        expect_geo("weight 2^80 elements", &g, CONVND_EOVERFLOW, NULL);
        /* transposed output size: (I-1)*S = (2^40 - 1) * 2^40 */
        g = small1(INT64_C(1) << 40, 1);
        g.dtype = t;
        g.transposed = 1;
        g.stride[0] = INT64_C(1) << 40;
        expect_geo("transposed (I-1)*S overflows", &g, CONVND_EOVERFLOW, N("axis 0"));
        /* transposed D*(K-1) */
        g = small1(2, 3);
        g.dtype = t;
        g.transposed = 1;
        g.dilation[0] = INT64_MAX;
        expect_geo("transposed D*(K-1) overflows", &g, CONVND_EOVERFLOW, N("axis 0"));
        /* transposed output fits int64 per axis, but the output tensor's elements do not:
         * 2 axes of O = 2^32 */
        CHECK(convnd_geometry_init(&g, 2, NULL) == CONVND_OK, "init");
        g.dtype = t;
        g.transposed = 1;
        for (int a = 0; a < 2; a++) g.input_size[a] = 2, g.kernel_size[a] = 1, g.stride[a] = INT64_C(1) << 32;
        /* O = (2-1)*2^32 + 0 + 0 + 1 = 2^32 + 1 per axis -> ~2^64 output elements */
        expect_geo("transposed output 2^64 elements", &g, CONVND_EOVERFLOW, NULL);
    }
}

/* convnd_geometry_check reports the first problem in its documented order. */
static void test_order(void) {
    convnd_geometry g;
    /* rank before enums */
    g = base();
    g.rank = 9;
    g.dtype = (convnd_dtype)7;
    expect_geo("rank 9 + dtype 7", &g, CONVND_EINVAL, N("rank", "9"));
    /* enums before batch */
    g = base();
    g.dtype = (convnd_dtype)7;
    g.batch = -1;
    expect_geo("dtype 7 + batch -1", &g, CONVND_EINVAL, N("dtype", "7"));
    g = base();
    g.padding_mode = (convnd_padding_mode)9;
    g.batch = -1;
    expect_geo("mode 9 + batch -1", &g, CONVND_EINVAL, N("9"));
    /* batch before channels */
    g = base();
    g.batch = -1;
    g.in_channels = 0;
    expect_geo("batch -1 + C_in 0", &g, CONVND_EGEOMETRY, N("batch", "-1"));
    /* channels before the axes */
    g = base();
    g.in_channels = 0;
    g.input_size[0] = 0;
    expect_geo("C_in 0 + input 0 on axis 0", &g, CONVND_EGEOMETRY, N("channels"));
    expect_not_named("C_in 0 + input 0 on axis 0", &g, "axis");
    /* groups before the axes */
    g = base();
    g.groups = 3;
    g.kernel_size[0] = 0;
    expect_geo("groups 3 + kernel 0 on axis 0", &g, CONVND_EGEOMETRY, N("groups", "3"));
    expect_not_named("groups 3 + kernel 0 on axis 0", &g, "axis");
    /* axes in turn: stride 0 on axis 1 and kernel 0 on axis 2 -> axis 1 */
    g = base();
    g.stride[1] = 0;
    g.kernel_size[2] = 0;
    expect_geo("stride 0 axis 1 + kernel 0 axis 2", &g, CONVND_EGEOMETRY, N("axis 1", "stride"));
    /* each axis fully before the next: a window problem on axis 0 before stride 0 on axis 1 */
    g = base();
    g.kernel_size[0] = 8; /* I = 7 */
    g.stride[1] = 0;
    expect_geo("window axis 0 + stride 0 axis 1", &g, CONVND_EGEOMETRY, N("axis 0", "7", "8"));
    /* within an axis: sizes before padding */
    g = base();
    g.stride[1] = 0;
    g.pad_lo[1] = -1;
    expect_geo("stride 0 + pad -1 on axis 1", &g, CONVND_EGEOMETRY, N("axis 1", "stride"));
    /* within an axis: sizes before output_padding (conv) */
    g = base();
    g.stride[1] = 0;
    g.output_padding[1] = 1;
    expect_geo("stride 0 + OP 1 on axis 1 (conv)", &g, CONVND_EGEOMETRY, N("axis 1", "stride"));
    expect_not_named("stride 0 + OP 1 on axis 1 (conv)", &g, "output");
    /* within an axis: padding >= 0 before output_padding (conv) */
    g = base();
    g.pad_lo[1] = -1;
    g.output_padding[1] = 1;
    expect_geo("pad -1 + OP 1 on axis 1 (conv)", &g, CONVND_EGEOMETRY, N("axis 1", "padding", "-1"));
    expect_not_named("pad -1 + OP 1 on axis 1 (conv)", &g, "output");
    /* ... and (transposed) sizes and padding before output_padding */
    g = base_t();
    g.kernel_size[1] = 0;
    g.output_padding[1] = 5;
    expect_geo("kernel 0 + OP 5 on axis 1 (transposed)", &g, CONVND_EGEOMETRY, N("axis 1", "kernel"));
    expect_not_named("kernel 0 + OP 5 on axis 1 (transposed)", &g, "output");
    /* output_padding before the window (conv): OP 1 and a kernel too large on axis 1 */
    g = base();
    g.output_padding[1] = 1;
    g.kernel_size[1] = 20;
    expect_geo("OP 1 + kernel 20 on axis 1 (conv)", &g, CONVND_EGEOMETRY, N("axis 1", "output"));
    /* output_padding before the transposed size: OP 4 >= max(S, D) and O < 1 on axis 2 */
    g = base_t();
    g.input_size[2] = 1;
    g.kernel_size[2] = 1;
    g.pad_lo[2] = g.pad_hi[2] = 3;
    g.output_padding[2] = 4;
    expect_geo("OP 4 + O < 1 on axis 2 (transposed)", &g, CONVND_EGEOMETRY, N("axis 2", "output", "4"));
    /* the window before the padding-mode limit: reflect, I = 1, K = 4, P = 1+1 (3 < 4, and P >= I) */
    g = small1(1, 4);
    g.padding_mode = CONVND_PAD_REFLECT;
    g.pad_lo[0] = g.pad_hi[0] = 1;
    expect_geo("window + reflect limit", &g, CONVND_EGEOMETRY, N("axis 0", "4"));
    expect_not_named("window + reflect limit", &g, "reflect");
    /* the axes before the element counts: 2^66 elements and stride 0 on axis 2 */
    CHECK(convnd_geometry_init(&g, 3, NULL) == CONVND_OK, "init");
    for (int a = 0; a < 3; a++) g.input_size[a] = INT64_C(1) << 22, g.kernel_size[a] = 1;
    g.stride[2] = 0;
    expect_geo("element overflow + stride 0 on axis 2", &g, CONVND_EGEOMETRY, N("axis 2", "stride"));
}

static void test_pad_helpers(void) {
    convnd_error err;
    convnd_geometry g, saved;
    /* 'same': K = (3, 4, 4), D = (1, 2, 1): total (2, 6, 3) -> lo (1, 3, 1), hi (1, 3, 2) */
    g = base();
    g.kernel_size[0] = 3, g.kernel_size[1] = 4, g.kernel_size[2] = 4;
    g.dilation[1] = 2;
    CHECK_OK(convnd_geometry_pad_same(&g, &err), &err);
    const int64_t lo[3] = {1, 3, 1}, hi[3] = {1, 3, 2};
    for (int a = 0; a < 3; a++)
        CHECK(g.pad_lo[a] == lo[a] && g.pad_hi[a] == hi[a], "pad_same axis %d: %lld:%lld, expected %lld:%lld", a,
              (long long)g.pad_lo[a], (long long)g.pad_hi[a], (long long)lo[a], (long long)hi[a]);
    int64_t out[CONVND_MAX_RANK];
    CHECK_OK(convnd_output_size(&g, out, &err), &err);
    for (int a = 0; a < 3; a++) CHECK(out[a] == g.input_size[a], "pad_same: O[%d] = %lld != I", a, (long long)out[a]);
    /* pad_valid resets it */
    CHECK_OK(convnd_geometry_pad_valid(&g, &err), &err);
    for (int a = 0; a < 3; a++) CHECK(g.pad_lo[a] == 0 && g.pad_hi[a] == 0, "pad_valid axis %d", a);
    CHECK(convnd_geometry_pad_valid(&g, NULL) == CONVND_OK, "pad_valid err NULL");

    /* failures leave *g unchanged */
    struct {
        const char *label;
        int axis;
        int what; /* 0 stride, 1 transposed, 2 kernel 0, 3 dilation 0, 4 overflow, 5 rank 9 */
        convnd_status code;
        const char *needle;
    } cases[] = {
        {"pad_same stride 2", 1, 0, CONVND_EGEOMETRY, "stride"},
        {"pad_same transposed", 0, 1, CONVND_EGEOMETRY, "transposed"},
        {"pad_same kernel 0", 2, 2, CONVND_EGEOMETRY, "axis 2"},
        {"pad_same dilation 0", 1, 3, CONVND_EGEOMETRY, "axis 1"},
        {"pad_same D*(K-1) overflow", 0, 4, CONVND_EOVERFLOW, "axis 0"},
        {"pad_same rank 9", 0, 5, CONVND_EINVAL, "rank"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        g = base();
        int a = cases[i].axis;
        switch (cases[i].what) {
        case 0: g.stride[a] = 2; break;
        case 1: g = base_t(); g.stride[1] = 1; break;
        case 2: g.kernel_size[a] = 0; break;
        case 3: g.dilation[a] = 0; break;
        case 4: g.dilation[a] = INT64_MAX / 2, g.kernel_size[a] = 4; break;
        default: g.rank = 9; break;
        }
        g.pad_lo[0] = 5; /* something pad_same would overwrite */
        saved = g;
        memset(&err, 0, sizeof err);
        convnd_status st = convnd_geometry_pad_same(&g, &err);
        CHECK(st == cases[i].code, "%s: returned %d, expected %d (%s)", cases[i].label, (int)st, (int)cases[i].code,
              err.msg);
        if (st == cases[i].code) check_msg(cases[i].label, &err, st, N(cases[i].needle));
        CHECK(memcmp(&g, &saved, sizeof g) == 0, "%s: *g changed on failure", cases[i].label);
        CHECK(convnd_geometry_pad_same(&g, NULL) == cases[i].code, "%s: err NULL", cases[i].label);
    }
    /* pad_same with stride 2 on axis 1 names the axis and the stride */
    g = base();
    g.stride[1] = 2;
    convnd_geometry_pad_same(&g, &err);
    CHECK(strstr(err.msg, "axis 1") && strstr(err.msg, "2"), "pad_same stride message: \"%s\"", err.msg);

    CHECK(convnd_geometry_pad_same(NULL, &err) == CONVND_EINVAL, "pad_same(NULL)");
    CHECK(convnd_geometry_pad_same(NULL, NULL) == CONVND_EINVAL, "pad_same(NULL) err NULL");
    CHECK(convnd_geometry_pad_valid(NULL, &err) == CONVND_EINVAL, "pad_valid(NULL)");
    CHECK(convnd_geometry_pad_valid(NULL, NULL) == CONVND_EINVAL, "pad_valid(NULL) err NULL");
    g = base();
    g.rank = 0;
    g.pad_lo[0] = 3;
    saved = g;
    CHECK(convnd_geometry_pad_valid(&g, &err) == CONVND_EINVAL, "pad_valid rank 0");
    CHECK(memcmp(&g, &saved, sizeof g) == 0, "pad_valid rank 0 changed *g");
}

/* NULL and overlapping buffers, on a valid rank-1 geometry: I = 8, K = 3, f64 -> O = 6. */
static void test_buffers(void) {
    convnd_geometry g = small1(8, 3);
    convnd_error err;
    enum { NX = 8, NW = 3, NB = 1, NY = 6, ARENA = 64 };
    double *arena = malloc(ARENA * sizeof(double)), *snap = malloc(ARENA * sizeof(double));
    if (!arena || !snap) abort();
    tu_rng rng = {42};
    tu_fill_random(arena, ARENA, CONVND_FLOAT64, &rng);
    memcpy(snap, arena, ARENA * sizeof(double));
    double *x = arena, *w = arena + 8, *b = arena + 11, *y = arena + 12; /* adjacent, disjoint */
    double *gy = arena + 18, *gx = arena + 24, *gw = arena + 32, *gb = arena + 35;
#define UNCHANGED(label) CHECK(memcmp(arena, snap, ARENA * sizeof(double)) == 0, "%s: a buffer was written", label)
#define EXPECT_EINVAL(call, label, needle)                                                                    \
    do {                                                                                                      \
        memset(&err, 0, sizeof err);                                                                          \
        convnd_status st_ = (call);                                                                           \
        if (CHECK(st_ == CONVND_EINVAL, "%s: returned %d (%s)", label, (int)st_, err.msg))                    \
            check_msg(label, &err, CONVND_EINVAL, N(needle));                                                 \
        UNCHANGED(label);                                                                                     \
    } while (0)

    /* NULL buffers */
    EXPECT_EINVAL(convnd_forward(&g, CONVND_ENGINE_REF, NULL, w, b, y, &err), "forward input NULL", "input");
    EXPECT_EINVAL(convnd_forward(&g, CONVND_ENGINE_REF, x, NULL, b, y, &err), "forward weight NULL", "weight");
    EXPECT_EINVAL(convnd_forward(&g, CONVND_ENGINE_REF, x, w, b, NULL, &err), "forward output NULL", "output");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, w, NULL, gx, gw, gb, &err), "backward grad_output NULL",
                  "grad_output");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, w, gy, NULL, NULL, NULL, &err),
                  "backward all outputs NULL", "NULL");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, NULL, w, gy, gx, gw, gb, &err),
                  "backward input NULL with grad_weight", "input");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, NULL, w, gy, NULL, gw, NULL, &err),
                  "backward input NULL, grad_weight alone", "input");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, NULL, gy, gx, NULL, NULL, &err),
                  "backward weight NULL with grad_input", "weight");
    EXPECT_EINVAL(convnd_output_size(&g, NULL, &err), "output_size out NULL", "NULL");

    /* overlapping buffers */
    EXPECT_EINVAL(convnd_forward(&g, CONVND_ENGINE_REF, x, w, b, x, &err), "forward output == input", "overlap");
    EXPECT_EINVAL(convnd_forward(&g, CONVND_ENGINE_REF, x, w, b, x + 7, &err), "forward output overlaps input end",
                  "overlap");
    EXPECT_EINVAL(convnd_forward(&g, CONVND_ENGINE_REF, x + 2, w, b, x, &err), "forward input starts inside output",
                  "overlap");
    EXPECT_EINVAL(convnd_forward(&g, CONVND_ENGINE_REF, x, w, b, w + 2, &err), "forward output overlaps weight",
                  "overlap");
    EXPECT_EINVAL(convnd_forward(&g, CONVND_ENGINE_REF, x, w, b, b, &err), "forward output overlaps bias", "overlap");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, w, gy, gy + 3, NULL, NULL, &err),
                  "grad_input overlaps grad_output", "overlap");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, w, gy, gx, x + 7, NULL, &err),
                  "grad_weight overlaps input", "overlap");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, w, gy, gx, NULL, gy + 5, &err),
                  "grad_bias overlaps grad_output", "overlap");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, w, gy, w + 1, NULL, NULL, &err),
                  "grad_input overlaps weight", "overlap");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, w, gy, gx, gw, gw + 2, &err),
                  "grad_weight overlaps grad_bias", "overlap");
    EXPECT_EINVAL(convnd_backward(&g, CONVND_ENGINE_REF, x, w, gy, gx, gx + 7, NULL, &err),
                  "grad_input overlaps grad_weight", "overlap");
    /* float32: the same byte ranges are half as long; x[4..] as float overlaps nothing of
     * the first 8 floats ... an output starting at the input's last float does overlap */
    {
        convnd_geometry g32 = g;
        g32.dtype = CONVND_FLOAT32;
        float *xf = (float *)arena;
        EXPECT_EINVAL(convnd_forward(&g32, CONVND_ENGINE_REF, xf, w, b, xf + 7, &err), "f32 output overlaps input",
                      "overlap");
    }

    /* adjacent but disjoint buffers are accepted; so is an unused NULL input / weight */
    {
        tu_poison(y, NY, CONVND_FLOAT64);
        convnd_status st = convnd_forward(&g, CONVND_ENGINE_REF, x, w, b, y, &err);
        CHECK_OK(st, &err);
        tu_poison(gx, NX + NW + NB, CONVND_FLOAT64); /* gx, gw, gb are contiguous */
        st = convnd_backward(&g, CONVND_ENGINE_REF, x, w, gy, gx, gw, gb, &err);
        CHECK_OK(st, &err);
        tu_poison(gx, NX, CONVND_FLOAT64);
        st = convnd_backward(&g, CONVND_ENGINE_REF, NULL, w, gy, gx, NULL, NULL, &err);
        CHECK_OK(st, &err);
        tu_poison(gw, NW, CONVND_FLOAT64);
        st = convnd_backward(&g, CONVND_ENGINE_REF, x, NULL, gy, NULL, gw, NULL, &err);
        CHECK_OK(st, &err);
        tu_poison(gb, NB, CONVND_FLOAT64);
        st = convnd_backward(&g, CONVND_ENGINE_REF, NULL, NULL, gy, NULL, NULL, gb, &err);
        CHECK_OK(st, &err);
        tu_poison(y, NY, CONVND_FLOAT64);
        st = convnd_forward(&g, CONVND_ENGINE_REF, x, w, NULL, y, &err); /* no bias */
        CHECK_OK(st, &err);
        CHECK(tu_count_nan(arena, ARENA, CONVND_FLOAT64) == 0, "adjacent buffers: NaN left in results");
    }
#undef EXPECT_EINVAL
#undef UNCHANGED
    free(arena);
    free(snap);
}

static void test_strerror(void) {
    const convnd_status codes[6] = {CONVND_OK,       CONVND_EINVAL,       CONVND_EGEOMETRY,
                                    CONVND_EOVERFLOW, CONVND_EUNSUPPORTED, CONVND_ENOMEM};
    for (int i = 0; i < 6; i++) {
        const char *s = convnd_strerror(codes[i]);
        if (!CHECK(s != NULL && s[0] != '\0', "strerror(%d) is NULL or empty", (int)codes[i])) continue;
        for (int j = 0; j < i; j++) {
            const char *t = convnd_strerror(codes[j]);
            CHECK(t == NULL || strcmp(s, t) != 0, "strerror(%d) == strerror(%d): \"%s\"", (int)codes[i],
                  (int)codes[j], s);
        }
    }
    const int unknown[4] = {-6, 1, 100, INT_MIN};
    for (int i = 0; i < 4; i++) {
        const char *s = convnd_strerror((convnd_status)unknown[i]);
        CHECK(s != NULL && s[0] != '\0', "strerror(%d) for an unknown code", unknown[i]);
    }
    CHECK(convnd_version() != NULL && strcmp(convnd_version(), CONVND_VERSION_STRING) == 0, "version %s",
          convnd_version() ? convnd_version() : "(null)");
}

/* err = NULL on the success paths of every function (the error paths are covered above). */
static void test_err_null_success(void) {
    convnd_geometry g;
    CHECK(convnd_geometry_init(&g, 2, NULL) == CONVND_OK, "init err NULL");
    g.dtype = CONVND_FLOAT64;
    g.input_size[0] = 4, g.input_size[1] = 5, g.kernel_size[0] = 3, g.kernel_size[1] = 1;
    CHECK(convnd_geometry_pad_same(&g, NULL) == CONVND_OK, "pad_same err NULL");
    CHECK(convnd_geometry_pad_valid(&g, NULL) == CONVND_OK, "pad_valid err NULL");
    CHECK(convnd_geometry_check(&g, NULL) == CONVND_OK, "check err NULL");
    int64_t out[CONVND_MAX_RANK], dims[CONVND_MAX_RANK + 2];
    int ndim = 0;
    size_t count = 0;
    CHECK(convnd_output_size(&g, out, NULL) == CONVND_OK && out[0] == 2 && out[1] == 5, "output_size err NULL");
    CHECK(convnd_tensor_shape(&g, CONVND_TENSOR_OUTPUT, dims, &ndim, &count, NULL) == CONVND_OK && ndim == 3 &&
              count == 10 && dims[0] == 1 && dims[1] == 2 && dims[2] == 5,
          "tensor_shape err NULL");
    CHECK(convnd_tensor_shape(&g, CONVND_TENSOR_WEIGHT, NULL, NULL, NULL, NULL) == CONVND_OK,
          "tensor_shape all NULL outputs");
    double x[20], w[3], b[1] = {0.5}, y[10], gx[20], gw[3], gb[1];
    tu_rng rng = {7};
    tu_fill_random(x, 20, CONVND_FLOAT64, &rng);
    tu_fill_random(w, 3, CONVND_FLOAT64, &rng);
    tu_poison(y, 10, CONVND_FLOAT64);
    CHECK(convnd_forward(&g, CONVND_ENGINE_AUTO, x, w, b, y, NULL) == CONVND_OK &&
              tu_count_nan(y, 10, CONVND_FLOAT64) == 0,
          "forward err NULL");
    tu_poison(gx, 20, CONVND_FLOAT64);
    tu_poison(gw, 3, CONVND_FLOAT64);
    tu_poison(gb, 1, CONVND_FLOAT64);
    CHECK(convnd_backward(&g, CONVND_ENGINE_REF, x, w, y, gx, gw, gb, NULL) == CONVND_OK &&
              tu_count_nan(gx, 20, CONVND_FLOAT64) + tu_count_nan(gw, 3, CONVND_FLOAT64) +
                      tu_count_nan(gb, 1, CONVND_FLOAT64) ==
                  0,
          "backward err NULL");
}

/* The boundary cases that are valid: accepted, the expected output size, and computed
 * (forward and backward on random data, outputs poisoned first: no NaN may remain). */
static void expect_boundary(const char *label, const convnd_geometry *g0, const int64_t *want_out) {
    for (int ti = 0; ti < 2; ti++) {
        convnd_geometry g = *g0;
        convnd_error err;
        g.dtype = ti ? CONVND_FLOAT64 : CONVND_FLOAT32;
        convnd_status st = convnd_geometry_check(&g, &err);
        if (!CHECK(st == CONVND_OK, "%s: refused (%d): %s", label, (int)st, err.msg)) return;
        int64_t out[CONVND_MAX_RANK];
        CHECK_OK(convnd_output_size(&g, out, &err), &err);
        for (int a = 0; a < g.rank; a++)
            CHECK(out[a] == want_out[a], "%s: O[%d] = %lld, expected %lld", label, a, (long long)out[a],
                  (long long)want_out[a]);
        size_t nx = tu_count(&g, CONVND_TENSOR_INPUT), nw = tu_count(&g, CONVND_TENSOR_WEIGHT);
        size_t nb = tu_count(&g, CONVND_TENSOR_BIAS), ny = tu_count(&g, CONVND_TENSOR_OUTPUT);
        tu_rng rng = {1234};
        void *x = tu_alloc(nx, g.dtype), *w = tu_alloc(nw, g.dtype), *b = tu_alloc(nb, g.dtype);
        void *y = tu_alloc(ny, g.dtype), *gx = tu_alloc(nx, g.dtype), *gw = tu_alloc(nw, g.dtype);
        void *gb = tu_alloc(nb, g.dtype);
        tu_fill_random(x, nx, g.dtype, &rng);
        tu_fill_random(w, nw, g.dtype, &rng);
        tu_fill_random(b, nb, g.dtype, &rng);
        tu_poison(y, ny, g.dtype);
        st = convnd_forward(&g, CONVND_ENGINE_AUTO, x, w, b, y, &err);
        if (CHECK_OK(st, &err)) CHECK(tu_count_nan(y, ny, g.dtype) == 0, "%s: forward left NaN", label);
        tu_poison(gx, nx, g.dtype);
        tu_poison(gw, nw, g.dtype);
        tu_poison(gb, nb, g.dtype);
        st = convnd_backward(&g, CONVND_ENGINE_AUTO, x, w, y, gx, gw, gb, &err);
        if (CHECK_OK(st, &err))
            CHECK(tu_count_nan(gx, nx, g.dtype) + tu_count_nan(gw, nw, g.dtype) + tu_count_nan(gb, nb, g.dtype) == 0,
                  "%s: backward left NaN", label);
        free(x);
        free(w);
        free(b);
        free(y);
        free(gx);
        free(gw);
        free(gb);
    }
}

static void test_boundaries(void) {
    convnd_geometry g;
    int64_t o[CONVND_MAX_RANK];
    /* I + 2P == K -> O = 1 */
    g = small1(3, 5);
    g.pad_lo[0] = g.pad_hi[0] = 1;
    o[0] = 1;
    expect_boundary("I + 2P == K", &g, o);
    /* dilated kernel spans the input exactly */
    g = small1(5, 3);
    g.dilation[0] = 2;
    expect_boundary("D*(K-1)+1 == I", &g, o);
    /* asymmetric: I + P_hi == K */
    g = small1(2, 3);
    g.pad_hi[0] = 1;
    expect_boundary("I + P_hi == K", &g, o);
    /* stride larger than everything */
    g = small1(3, 1);
    g.stride[0] = 10;
    expect_boundary("stride 10 > I", &g, o);
    /* reflect P = I - 1: O = 4 + 6 - 2 = 8 */
    g = small1(4, 3);
    g.padding_mode = CONVND_PAD_REFLECT;
    g.pad_lo[0] = g.pad_hi[0] = 3;
    o[0] = 8;
    expect_boundary("reflect P = I - 1", &g, o);
    /* circular P = I: O = 4 + 8 - 2 = 10 */
    g = small1(4, 3);
    g.padding_mode = CONVND_PAD_CIRCULAR;
    g.pad_lo[0] = g.pad_hi[0] = 4;
    o[0] = 10;
    expect_boundary("circular P = I", &g, o);
    /* replicate P > I: O = 2 + 10 = 12 */
    g = small1(2, 1);
    g.padding_mode = CONVND_PAD_REPLICATE;
    g.pad_lo[0] = g.pad_hi[0] = 5;
    o[0] = 12;
    expect_boundary("replicate P = 5 > I = 2", &g, o);
    /* transposed OP = max(S, D) - 1: S = 2, D = 3, OP = 2, I = 2, K = 2: O = 2 + 3 + 2 + 1 = 8 */
    g = small1(2, 2);
    g.transposed = 1;
    g.stride[0] = 2;
    g.dilation[0] = 3;
    g.output_padding[0] = 2;
    o[0] = 8;
    expect_boundary("transposed OP = max(S,D) - 1 (D larger)", &g, o);
    /* S = 3, D = 1, OP = 2: O = 3 + 1 + 2 + 1 = 7 */
    g.stride[0] = 3;
    g.dilation[0] = 1;
    o[0] = 7;
    expect_boundary("transposed OP = max(S,D) - 1 (S larger)", &g, o);
    /* transposed O = 1 exactly: (I, K, S, P) = (1, 3, 1, 1) */
    g = small1(1, 3);
    g.transposed = 1;
    g.pad_lo[0] = g.pad_hi[0] = 1;
    o[0] = 1;
    expect_boundary("transposed (1,3,1,1) -> O = 1", &g, o);
    /* transposed O = 1: I = 2, S = 2, K = 1, P = 1+1: 2 - 2 + 0 + 1 */
    g = small1(2, 1);
    g.transposed = 1;
    g.stride[0] = 2;
    g.pad_lo[0] = g.pad_hi[0] = 1;
    expect_boundary("transposed I=2 S=2 K=1 P=1 -> O = 1", &g, o);
    /* depthwise: groups = C_in = C_out; batch 1 */
    g = small1(5, 2);
    g.in_channels = g.out_channels = g.groups = 3;
    g.batch = 1;
    o[0] = 4;
    expect_boundary("depthwise groups 3, batch 1", &g, o);
    /* rank 8, every size 2, kernel 2, padding 0 on odd axes, 1 on even ones */
    CHECK(convnd_geometry_init(&g, CONVND_MAX_RANK, NULL) == CONVND_OK, "init 8");
    for (int a = 0; a < CONVND_MAX_RANK; a++) {
        g.input_size[a] = 2;
        g.kernel_size[a] = 2;
        g.pad_lo[a] = g.pad_hi[a] = a % 2 == 0;
        o[a] = a % 2 == 0 ? 3 : 1;
    }
    expect_boundary("rank 8", &g, o);
}

int main(void) {
    test_null_and_rank();
    test_enums();
    test_scalars();
    test_axis();
    test_overflow();
    test_order();
    test_pad_helpers();
    test_buffers();
    test_strerror();
    test_err_null_success();
    test_boundaries();
    return tu_finish("test_validation");
}
