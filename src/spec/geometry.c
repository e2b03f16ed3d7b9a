/* geometry.c -- validation, output sizes and tensor shapes of a convnd_geometry. */
#include "spec/geometry.h"

#include <stdio.h>
#include <string.h>

/* "axis 2: " or "" when no axis applies (the scalar spec helpers). */

/* "axis 2: ", or "" for the scalar spec helpers (axis < 0). */
static const char *axis_prefix(char buf[32], int axis) {
    buf[0] = '\0';
    if (axis >= 0) snprintf(buf, 32, "axis %d: ", axis);
    return buf;
}

static convnd_status check_axis_basics(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                                       int64_t pad_lo, int64_t pad_hi, convnd_error *err) {
    char buf[32];
    const char *where = axis_prefix(buf, axis);
    if (in < 1) return cnd_fail(err, CONVND_EGEOMETRY, "%sinput size %lld must be >= 1", where, (long long)in);
    if (kernel < 1) return cnd_fail(err, CONVND_EGEOMETRY, "%skernel size %lld must be >= 1", where, (long long)kernel);
    if (stride < 1) return cnd_fail(err, CONVND_EGEOMETRY, "%sstride %lld must be >= 1", where, (long long)stride);
    if (dilation < 1) return cnd_fail(err, CONVND_EGEOMETRY, "%sdilation %lld must be >= 1", where, (long long)dilation);
    if (pad_lo < 0 || pad_hi < 0)
        return cnd_fail(err, CONVND_EGEOMETRY, "%spadding %lld:%lld must be >= 0", where, (long long)pad_lo,
                        (long long)pad_hi);
    return CONVND_OK;
}

convnd_status cnd_conv_axis(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_lo,
                            int64_t pad_hi, int64_t output_padding, int64_t *out, convnd_error *err) {
    char buf[32];
    const char *where = axis_prefix(buf, axis);
    int64_t span, padded;
    convnd_status st = check_axis_basics(axis, in, kernel, stride, dilation, pad_lo, pad_hi, err);
    if (st != CONVND_OK) return st;
    if (output_padding != 0)
        return cnd_fail(err, CONVND_EGEOMETRY, "%soutput_padding %lld on a conv; it applies to transposed convs only",
                        where, (long long)output_padding);
    /* span = D*(K-1) + 1, the extent the dilated kernel covers */
    if (cnd_mul(dilation, kernel - 1, &span) || cnd_add(span, 1, &span))
        return cnd_fail(err, CONVND_EOVERFLOW, "%sdilation %lld * (kernel %lld - 1) overflows int64", where,
                        (long long)dilation, (long long)kernel);
    if (cnd_add(in, pad_lo, &padded) || cnd_add(padded, pad_hi, &padded))
        return cnd_fail(err, CONVND_EOVERFLOW, "%sinput %lld + padding %lld+%lld overflows int64", where,
                        (long long)in, (long long)pad_lo, (long long)pad_hi);
    if (padded < span)
        return cnd_fail(err, CONVND_EGEOMETRY,
                        "%sinput %lld + padding %lld+%lld = %lld is smaller than the dilated kernel %lld "
                        "(kernel %lld, dilation %lld)",
                        where, (long long)in, (long long)pad_lo, (long long)pad_hi, (long long)padded, (long long)span,
                        (long long)kernel, (long long)dilation);
    *out = (padded - span) / stride + 1;
    return CONVND_OK;
}

convnd_status cnd_conv_transpose_axis(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                                      int64_t pad_lo, int64_t pad_hi, int64_t output_padding, int64_t *out,
                                      convnd_error *err) {
    char buf[32];
    const char *where = axis_prefix(buf, axis);
    int64_t spread, span, o;
    convnd_status st = check_axis_basics(axis, in, kernel, stride, dilation, pad_lo, pad_hi, err);
    if (st != CONVND_OK) return st;
    if (output_padding < 0 || (output_padding >= stride && output_padding >= dilation))
        return cnd_fail(err, CONVND_EGEOMETRY, "%soutput_padding %lld must be >= 0 and < max(stride %lld, dilation %lld)",
                        where, (long long)output_padding, (long long)stride, (long long)dilation);
    /* O = (I-1)*S + D*(K-1) + OP + 1 - P_lo - P_hi */
    if (cnd_mul(in - 1, stride, &spread) || cnd_mul(dilation, kernel - 1, &span) || cnd_add(spread, span, &o) ||
        cnd_add(o, output_padding + 1, &o))
        return cnd_fail(err, CONVND_EOVERFLOW, "%stransposed output size (input %lld - 1) * stride %lld + "
                        "dilation %lld * (kernel %lld - 1) overflows int64", where, (long long)in, (long long)stride,
                        (long long)dilation, (long long)kernel);
    o = o - pad_lo - pad_hi; /* both >= 0 and o >= 1 before: no overflow possible */
    if (o < 1)
        return cnd_fail(err, CONVND_EGEOMETRY,
                        "%stransposed output size (I-1)*S - P_lo - P_hi + D*(K-1) + OP + 1 = "
                        "(%lld-1)*%lld - %lld - %lld + %lld*(%lld-1) + %lld + 1 = %lld is < 1",
                        where, (long long)in, (long long)stride, (long long)pad_lo, (long long)pad_hi,
                        (long long)dilation, (long long)kernel, (long long)output_padding, (long long)o);
    *out = o;
    return CONVND_OK;
}

convnd_status convnd_geometry_init(convnd_geometry *g, int rank, convnd_error *err) {
    if (!g) return cnd_fail(err, CONVND_EINVAL, "geometry pointer is NULL");
    if (rank < 1 || rank > CONVND_MAX_RANK)
        return cnd_fail(err, CONVND_EINVAL, "rank %d is outside 1..%d", rank, CONVND_MAX_RANK);
    memset(g, 0, sizeof *g);
    g->rank = rank;
    g->dtype = CONVND_FLOAT32;
    g->padding_mode = CONVND_PAD_ZEROS;
    g->batch = CONVND_UNBATCHED;
    g->in_channels = g->out_channels = g->groups = 1;
    for (int a = 0; a < rank; a++) g->stride[a] = g->dilation[a] = 1;
    return cnd_ok(err);
}

static convnd_status check_rank(const convnd_geometry *g, convnd_error *err) {
    if (!g) return cnd_fail(err, CONVND_EINVAL, "geometry pointer is NULL");
    if (g->rank < 1 || g->rank > CONVND_MAX_RANK)
        return cnd_fail(err, CONVND_EINVAL, "rank %d is outside 1..%d", g->rank, CONVND_MAX_RANK);
    return CONVND_OK;
}

convnd_status convnd_geometry_pad_same(convnd_geometry *g, convnd_error *err) {
    int64_t total[CONVND_MAX_RANK];
    convnd_status st = check_rank(g, err);
    if (st != CONVND_OK) return st;
    if (g->transposed)
        return cnd_fail(err, CONVND_EGEOMETRY, "padding 'same' applies to conv only, not to a transposed conv");
    for (int a = 0; a < g->rank; a++) {
        if (g->stride[a] != 1)
            return cnd_fail(err, CONVND_EGEOMETRY, "axis %d: padding 'same' needs stride 1, got stride %lld", a,
                            (long long)g->stride[a]);
        if (g->kernel_size[a] < 1 || g->dilation[a] < 1)
            return cnd_fail(err, CONVND_EGEOMETRY, "axis %d: padding 'same' needs kernel size %lld and dilation %lld >= 1",
                            a, (long long)g->kernel_size[a], (long long)g->dilation[a]);
        if (cnd_mul(g->dilation[a], g->kernel_size[a] - 1, &total[a]))
            return cnd_fail(err, CONVND_EOVERFLOW, "axis %d: dilation %lld * (kernel %lld - 1) overflows int64", a,
                            (long long)g->dilation[a], (long long)g->kernel_size[a]);
    }
    for (int a = 0; a < g->rank; a++) {
        g->pad_lo[a] = total[a] / 2;
        g->pad_hi[a] = total[a] - g->pad_lo[a];
    }
    return cnd_ok(err);
}

convnd_status convnd_geometry_pad_valid(convnd_geometry *g, convnd_error *err) {
    convnd_status st = check_rank(g, err);
    if (st != CONVND_OK) return st;
    for (int a = 0; a < g->rank; a++) g->pad_lo[a] = g->pad_hi[a] = 0;
    return cnd_ok(err);
}

static convnd_status check_padding_mode(const convnd_geometry *g, int a, convnd_error *err) {
    int64_t in = g->input_size[a], lo = g->pad_lo[a], hi = g->pad_hi[a];
    const char *name = cnd_mode_text(g->padding_mode);
    if (g->padding_mode == CONVND_PAD_REFLECT && (lo >= in || hi >= in))
        return cnd_fail(err, CONVND_EGEOMETRY, "axis %d: reflect padding %lld (%s) must be < input size %lld", a,
                        (long long)(lo >= in ? lo : hi), lo >= in ? "low" : "high", (long long)in);
    if (g->padding_mode == CONVND_PAD_CIRCULAR && (lo > in || hi > in))
        return cnd_fail(err, CONVND_EGEOMETRY, "axis %d: %s padding %lld (%s) must be <= input size %lld", a, name,
                        (long long)(lo > in ? lo : hi), lo > in ? "low" : "high", (long long)in);
    return CONVND_OK;
}

/* Output size of every axis; validates each axis in turn. */
static convnd_status compute_output_size(const convnd_geometry *g, int64_t *out, convnd_error *err) {
    for (int a = 0; a < g->rank; a++) {
        convnd_status st;
        if (g->transposed) {
            st = cnd_conv_transpose_axis(a, g->input_size[a], g->kernel_size[a], g->stride[a], g->dilation[a],
                                         g->pad_lo[a], g->pad_hi[a], g->output_padding[a], &out[a], err);
        } else {
            st = cnd_conv_axis(a, g->input_size[a], g->kernel_size[a], g->stride[a], g->dilation[a], g->pad_lo[a],
                               g->pad_hi[a], g->output_padding[a], &out[a], err);
            if (st == CONVND_OK) st = check_padding_mode(g, a, err);
        }
        if (st != CONVND_OK) return st;
    }
    return CONVND_OK;
}

/* Elements of (lead0, lead1, dims[0..rank-1]); fails on int64 or size_t (bytes) overflow. */
static convnd_status count_elements(const char *what, int64_t lead0, int64_t lead1, const int64_t *dims, int rank,
                                    convnd_dtype dtype, int64_t *count, convnd_error *err) {
    int64_t n;
    int bad = cnd_mul(lead0, lead1, &n);
    for (int a = 0; a < rank && !bad; a++) bad = cnd_mul(n, dims[a], &n);
    if (!bad && (uint64_t)n > (uint64_t)(PTRDIFF_MAX / (ptrdiff_t)cnd_dtype_size(dtype))) bad = 1;
    if (!bad && (uint64_t)n > (uint64_t)(SIZE_MAX / cnd_dtype_size(dtype))) bad = 1;
    if (bad) return cnd_fail(err, CONVND_EOVERFLOW, "the %s tensor's size in bytes overflows", what);
    *count = n;
    return CONVND_OK;
}

/* The element counts of input, weight, bias, output (indexed by convnd_tensor). */
static convnd_status tensor_counts(const convnd_geometry *g, const int64_t *out_size, int64_t counts[4],
                                   convnd_error *err) {
    int64_t n = g->batch == CONVND_UNBATCHED ? 1 : g->batch;
    int64_t wide = g->transposed ? g->in_channels : g->out_channels;
    int64_t narrow = (g->transposed ? g->out_channels : g->in_channels) / g->groups;
    convnd_status st = count_elements("input", n, g->in_channels, g->input_size, g->rank, g->dtype,
                                      &counts[CONVND_TENSOR_INPUT], err);
    if (st == CONVND_OK)
        st = count_elements("weight", wide, narrow, g->kernel_size, g->rank, g->dtype, &counts[CONVND_TENSOR_WEIGHT],
                            err);
    if (st == CONVND_OK)
        st = count_elements("bias", 1, g->out_channels, NULL, 0, g->dtype, &counts[CONVND_TENSOR_BIAS], err);
    if (st == CONVND_OK)
        st = count_elements("output", n, g->out_channels, out_size, g->rank, g->dtype, &counts[CONVND_TENSOR_OUTPUT],
                            err);
    return st;
}

static convnd_status check_scalars(const convnd_geometry *g, convnd_error *err) {
    convnd_status st = check_rank(g, err);
    if (st != CONVND_OK) return st;
    if (g->transposed != 0 && g->transposed != 1)
        return cnd_fail(err, CONVND_EINVAL, "transposed is %d; it must be 0 (conv) or 1 (transposed conv)", g->transposed);
    if (g->dtype != CONVND_FLOAT32 && g->dtype != CONVND_FLOAT64)
        return cnd_fail(err, CONVND_EINVAL, "dtype %d is neither CONVND_FLOAT32 nor CONVND_FLOAT64", (int)g->dtype);
    if ((unsigned)g->padding_mode > (unsigned)CONVND_PAD_CIRCULAR)
        return cnd_fail(err, CONVND_EINVAL, "padding mode %d is not a convnd_padding_mode", (int)g->padding_mode);
    if (g->batch < 0)
        return cnd_fail(err, CONVND_EGEOMETRY, "batch %lld must be >= 1 (or CONVND_UNBATCHED)", (long long)g->batch);
    if (g->in_channels < 1)
        return cnd_fail(err, CONVND_EGEOMETRY, "in_channels %lld must be >= 1", (long long)g->in_channels);
    if (g->out_channels < 1)
        return cnd_fail(err, CONVND_EGEOMETRY, "out_channels %lld must be >= 1", (long long)g->out_channels);
    if (g->groups < 1) return cnd_fail(err, CONVND_EGEOMETRY, "groups %lld must be >= 1", (long long)g->groups);
    if (g->in_channels % g->groups != 0)
        return cnd_fail(err, CONVND_EGEOMETRY, "in_channels %lld is not divisible by groups %lld",
                        (long long)g->in_channels, (long long)g->groups);
    if (g->out_channels % g->groups != 0)
        return cnd_fail(err, CONVND_EGEOMETRY, "out_channels %lld is not divisible by groups %lld",
                        (long long)g->out_channels, (long long)g->groups);
    if (g->transposed && g->padding_mode != CONVND_PAD_ZEROS)
        return cnd_fail(err, CONVND_EUNSUPPORTED, "padding mode %s on a transposed conv: padding modes apply to conv only",
                        cnd_mode_text(g->padding_mode));
    return CONVND_OK;
}

convnd_status cnd_geometry_analyse(const convnd_geometry *g, int64_t out_size[CONVND_MAX_RANK], int64_t counts[4],
                             convnd_error *err) {
    convnd_status st = check_scalars(g, err);
    if (st == CONVND_OK) st = compute_output_size(g, out_size, err);
    if (st == CONVND_OK) st = tensor_counts(g, out_size, counts, err);
    return st;
}

convnd_status convnd_geometry_check(const convnd_geometry *g, convnd_error *err) {
    int64_t out[CONVND_MAX_RANK], counts[4];
    convnd_status st = cnd_geometry_analyse(g, out, counts, err);
    return st == CONVND_OK ? cnd_ok(err) : st;
}

convnd_status convnd_output_size(const convnd_geometry *g, int64_t out_size[CONVND_MAX_RANK], convnd_error *err) {
    int64_t out[CONVND_MAX_RANK], counts[4];
    convnd_status st = cnd_geometry_analyse(g, out, counts, err);
    if (st != CONVND_OK) return st;
    if (!out_size) return cnd_fail(err, CONVND_EINVAL, "out_size pointer is NULL");
    memcpy(out_size, out, (size_t)g->rank * sizeof *out);
    return cnd_ok(err);
}

convnd_status convnd_tensor_shape(const convnd_geometry *g, convnd_tensor which, int64_t dims[CONVND_MAX_RANK + 2],
                                  int *ndim, size_t *count, convnd_error *err) {
    int64_t out[CONVND_MAX_RANK], counts[4], shape[CONVND_MAX_RANK + 2];
    int n = 0;
    convnd_status st = cnd_geometry_analyse(g, out, counts, err);
    if (st != CONVND_OK) return st;
    if ((unsigned)which > (unsigned)CONVND_TENSOR_OUTPUT)
        return cnd_fail(err, CONVND_EINVAL, "tensor %d is not a convnd_tensor", (int)which);
    if (which == CONVND_TENSOR_BIAS) {
        shape[n++] = g->out_channels;
    } else if (which == CONVND_TENSOR_WEIGHT) {
        shape[n++] = g->transposed ? g->in_channels : g->out_channels;
        shape[n++] = (g->transposed ? g->out_channels : g->in_channels) / g->groups;
        for (int a = 0; a < g->rank; a++) shape[n++] = g->kernel_size[a];
    } else {
        int is_input = which == CONVND_TENSOR_INPUT;
        if (g->batch != CONVND_UNBATCHED) shape[n++] = g->batch;
        shape[n++] = is_input ? g->in_channels : g->out_channels;
        for (int a = 0; a < g->rank; a++) shape[n++] = is_input ? g->input_size[a] : out[a];
    }
    if (dims) memcpy(dims, shape, (size_t)n * sizeof *shape);
    if (ndim) *ndim = n;
    if (count) *count = (size_t)counts[which];
    return cnd_ok(err);
}
