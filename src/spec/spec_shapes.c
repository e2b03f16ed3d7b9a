/* spec_shapes.c -- the spec's output-shape functions (convOutDim ... convTranspose2dMultiOutShape).
 *
 * They compute the integer formulas (dilation 1, symmetric padding, output_padding 0). Where
 * the spec's Nat arithmetic would report a phantom size for an invalid geometry, they refuse
 * with CONVND_EGEOMETRY (see README, "Semantics"). */
#include "spec/geometry.h"

typedef convnd_status (*axis_fn)(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t *out,
                                 convnd_error *err);

static convnd_status conv_axis(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t *out,
                               convnd_error *err) {
    return cnd_conv_axis(axis, in, kernel, stride, 1, padding, padding, 0, out, err);
}

static convnd_status transpose_axis(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                                    int64_t *out, convnd_error *err) {
    return cnd_conv_transpose_axis(axis, in, kernel, stride, 1, padding, padding, 0, out, err);
}

static convnd_status scalar(axis_fn fn, int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t *out,
                            convnd_error *err) {
    int64_t o;
    convnd_status st;
    if (!out) return cnd_fail(err, CONVND_EINVAL, "out pointer is NULL");
    st = fn(-1, in, kernel, stride, padding, &o, err);
    if (st != CONVND_OK) return st;
    *out = o;
    return cnd_ok(err);
}

/* out[lead .. lead+rank-1] = the spatial sizes; out[0] = out_channels when lead == 1. */
static convnd_status spatial(axis_fn fn, int rank, int lead, int64_t in_channels, int64_t out_channels,
                             const int64_t *in, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                             int64_t *out, convnd_error *err) {
    int64_t o[CONVND_MAX_RANK];
    if (rank < 1 || rank > CONVND_MAX_RANK)
        return cnd_fail(err, CONVND_EINVAL, "rank %d is outside 1..%d", rank, CONVND_MAX_RANK);
    if (!in || !kernel || !stride || !padding || !out)
        return cnd_fail(err, CONVND_EINVAL, "a size array or the out pointer is NULL");
    if (lead && in_channels < 1)
        return cnd_fail(err, CONVND_EGEOMETRY, "in_channels %lld must be >= 1", (long long)in_channels);
    if (lead && out_channels < 1)
        return cnd_fail(err, CONVND_EGEOMETRY, "out_channels %lld must be >= 1", (long long)out_channels);
    for (int a = 0; a < rank; a++) {
        convnd_status st = fn(a, in[a], kernel[a], stride[a], padding[a], &o[a], err);
        if (st != CONVND_OK) return st;
    }
    if (lead) out[0] = out_channels;
    for (int a = 0; a < rank; a++) out[lead + a] = o[a];
    return cnd_ok(err);
}

convnd_status convnd_conv_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t *out,
                                  convnd_error *err) {
    return scalar(conv_axis, in, kernel, stride, padding, out, err);
}

convnd_status convnd_conv_out_spatial(int rank, const int64_t *in_spatial, const int64_t *kernel,
                                      const int64_t *stride, const int64_t *padding, int64_t *out, convnd_error *err) {
    return spatial(conv_axis, rank, 0, 1, 1, in_spatial, kernel, stride, padding, out, err);
}

convnd_status convnd_conv_out_shape(int rank, const int64_t *in_spatial, const int64_t *kernel, const int64_t *stride,
                                    const int64_t *padding, int64_t *out, convnd_error *err) {
    return convnd_conv_out_spatial(rank, in_spatial, kernel, stride, padding, out, err);
}

convnd_status convnd_conv_multi_out_shape(int rank, int64_t in_channels, int64_t out_channels,
                                          const int64_t *in_spatial, const int64_t *kernel, const int64_t *stride,
                                          const int64_t *padding, int64_t *out, convnd_error *err) {
    return spatial(conv_axis, rank, 1, in_channels, out_channels, in_spatial, kernel, stride, padding, out, err);
}

convnd_status convnd_conv_transpose_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                                            int64_t *out, convnd_error *err) {
    return scalar(transpose_axis, in, kernel, stride, padding, out, err);
}

convnd_status convnd_conv_transpose_out_spatial(int rank, const int64_t *in_spatial, const int64_t *kernel,
                                                const int64_t *stride, const int64_t *padding, int64_t *out,
                                                convnd_error *err) {
    return spatial(transpose_axis, rank, 0, 1, 1, in_spatial, kernel, stride, padding, out, err);
}

convnd_status convnd_conv_transpose_out_shape(int rank, const int64_t *in_spatial, const int64_t *kernel,
                                              const int64_t *stride, const int64_t *padding, int64_t *out,
                                              convnd_error *err) {
    return convnd_conv_transpose_out_spatial(rank, in_spatial, kernel, stride, padding, out, err);
}

convnd_status convnd_conv_transpose_multi_out_shape(int rank, int64_t in_channels, int64_t out_channels,
                                                    const int64_t *in_spatial, const int64_t *kernel,
                                                    const int64_t *stride, const int64_t *padding, int64_t *out,
                                                    convnd_error *err) {
    return spatial(transpose_axis, rank, 1, in_channels, out_channels, in_spatial, kernel, stride, padding, out, err);
}

/* 2-D: kernel (kH, kW), stride (S, S), padding (P, P). */
static convnd_status shape_2d(axis_fn fn, int lead, int64_t in_channels, int64_t out_channels, int64_t in_h,
                              int64_t in_w, int64_t kernel_h, int64_t kernel_w, int64_t stride, int64_t padding,
                              int64_t *out, convnd_error *err) {
    const int64_t in[2] = {in_h, in_w}, k[2] = {kernel_h, kernel_w}, s[2] = {stride, stride}, p[2] = {padding, padding};
    return spatial(fn, 2, lead, in_channels, out_channels, in, k, s, p, out, err);
}

convnd_status convnd_conv2d_out_shape(int64_t in_h, int64_t in_w, int64_t kernel_h, int64_t kernel_w, int64_t stride,
                                      int64_t padding, int64_t out[2], convnd_error *err) {
    return shape_2d(conv_axis, 0, 1, 1, in_h, in_w, kernel_h, kernel_w, stride, padding, out, err);
}

convnd_status convnd_conv2d_multi_out_shape(int64_t in_channels, int64_t out_channels, int64_t in_h, int64_t in_w,
                                            int64_t kernel_h, int64_t kernel_w, int64_t stride, int64_t padding,
                                            int64_t out[3], convnd_error *err) {
    return shape_2d(conv_axis, 1, in_channels, out_channels, in_h, in_w, kernel_h, kernel_w, stride, padding, out,
                    err);
}

convnd_status convnd_conv_transpose2d_out_shape(int64_t in_h, int64_t in_w, int64_t kernel_h, int64_t kernel_w,
                                                int64_t stride, int64_t padding, int64_t out[2], convnd_error *err) {
    return shape_2d(transpose_axis, 0, 1, 1, in_h, in_w, kernel_h, kernel_w, stride, padding, out, err);
}

convnd_status convnd_conv_transpose2d_multi_out_shape(int64_t in_channels, int64_t out_channels, int64_t in_h,
                                                      int64_t in_w, int64_t kernel_h, int64_t kernel_w,
                                                      int64_t stride, int64_t padding, int64_t out[3],
                                                      convnd_error *err) {
    return shape_2d(transpose_axis, 1, in_channels, out_channels, in_h, in_w, kernel_h, kernel_w, stride, padding,
                    out, err);
}
