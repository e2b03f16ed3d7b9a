/* geometry.h -- per-axis output sizes, shared by geometry validation and the spec's shape
 * helpers. `axis` is only used in messages (-1: no axis named). */
#ifndef CONVND_SPEC_GEOMETRY_H
#define CONVND_SPEC_GEOMETRY_H

#include "internal.h"

/* One conv axis: the parameters as in convnd_geometry. Checks, in this order, I, K, S, D >= 1,
 * P >= 0, OP == 0, the window fits (I + P_lo + P_hi >= D*(K-1) + 1) and overflow; writes
 * O = (I + P_lo + P_hi - D*(K-1) - 1) / S + 1. */
convnd_status cnd_conv_axis(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_lo,
                            int64_t pad_hi, int64_t output_padding, int64_t *out, convnd_error *err);

/* One transposed-conv axis: checks as above plus 0 <= OP < max(S, D) and O >= 1; writes
 * O = (I-1)*S - P_lo - P_hi + D*(K-1) + OP + 1. */
convnd_status cnd_conv_transpose_axis(int axis, int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                                      int64_t pad_lo, int64_t pad_hi, int64_t output_padding, int64_t *out,
                                      convnd_error *err);

/* Validates g (convnd_geometry_check); on success writes the output size and the element
 * counts of the four tensors, indexed by convnd_tensor. */
convnd_status cnd_geometry_analyse(const convnd_geometry *g, int64_t out_size[CONVND_MAX_RANK], int64_t counts[4],
                                   convnd_error *err);

#endif
