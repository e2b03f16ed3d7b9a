/* spec_names.c -- TorchLean's NN.Spec.Layers.Conv names over the generic operations.
 *
 * Each spec definition is the generic operation on the spec's geometry: one sample, groups 1,
 * dilation 1, padding P on both sides of every axis, output_padding 0, reference engine. */
#include <string.h>

#include "spec/geometry.h"

/* The fields convnd_conv_layer and convnd_conv_transpose_layer share, and which kind it is. */
typedef struct spec_layer {
    int transposed;
    int rank;
    convnd_dtype dtype;
    int64_t in_channels, out_channels;
    const int64_t *kernel, *stride, *padding;
    const void *weight, *bias;
} spec_layer;

#define SPEC_LAYER(l, is_transposed)                                                                      \
    ((spec_layer){(is_transposed), (l)->rank, (l)->dtype, (l)->in_channels, (l)->out_channels, (l)->kernel, \
                  (l)->stride, (l)->padding, (l)->weight, (l)->bias})

/* Which results a call computes. */
enum { WANT_OUTPUT = 1, WANT_KERNEL = 2, WANT_BIAS = 4, WANT_INPUT = 8 };

static convnd_status spec_geometry(const spec_layer *l, const int64_t *in_spatial, convnd_geometry *g,
                                   convnd_error *err) {
    convnd_status st = convnd_geometry_init(g, l->rank, err);
    if (st != CONVND_OK) return st;
    if (!in_spatial) return cnd_fail(err, CONVND_EINVAL, "in_spatial pointer is NULL");
    g->transposed = l->transposed;
    g->dtype = l->dtype;
    g->in_channels = l->in_channels;
    g->out_channels = l->out_channels;
    for (int a = 0; a < l->rank; a++) {
        g->input_size[a] = in_spatial[a];
        g->kernel_size[a] = l->kernel[a];
        g->stride[a] = l->stride[a];
        g->pad_lo[a] = g->pad_hi[a] = l->padding[a];
    }
    return convnd_geometry_check(g, err);
}

/* Runs what `want` asks for; every result it asks for must be given. */
static convnd_status spec_run(const spec_layer *l, int want, const int64_t *in_spatial, const void *input,
                              const void *grad_output, void *output, void *grad_kernel, void *grad_bias,
                              void *grad_input, convnd_error *err) {
    convnd_geometry g;
    convnd_status st = spec_geometry(l, in_spatial, &g, err);
    if (st != CONVND_OK) return st;
    if (want & WANT_OUTPUT) {
        if (!l->bias) return cnd_fail(err, CONVND_EINVAL, "layer bias pointer is NULL (the spec's layer has a bias)");
        if (!l->weight) return cnd_fail(err, CONVND_EINVAL, "layer weight pointer is NULL");
        return convnd_forward(&g, CONVND_ENGINE_REF, input, l->weight, l->bias, output, err);
    }
    if ((want & WANT_KERNEL) && !grad_kernel) return cnd_fail(err, CONVND_EINVAL, "grad_kernel pointer is NULL");
    if ((want & WANT_BIAS) && !grad_bias) return cnd_fail(err, CONVND_EINVAL, "grad_bias pointer is NULL");
    if ((want & WANT_INPUT) && !grad_input) return cnd_fail(err, CONVND_EINVAL, "grad_input pointer is NULL");
    if ((want & WANT_INPUT) && !l->weight) return cnd_fail(err, CONVND_EINVAL, "layer weight pointer is NULL");
    return convnd_backward(&g, CONVND_ENGINE_REF, input, l->weight, grad_output, grad_input, grad_kernel, grad_bias,
                           err);
}


/* ---- generic conv --------------------------------------------------------------------- */

static convnd_status conv_run(const convnd_conv_layer *layer, int want, const int64_t *in_spatial, const void *input,
                              const void *grad_output, void *output, void *gk, void *gb, void *gx,
                              convnd_error *err) {
    if (!layer) return cnd_fail(err, CONVND_EINVAL, "layer pointer is NULL");
    spec_layer l = SPEC_LAYER(layer, 0);
    return spec_run(&l, want, in_spatial, input, grad_output, output, gk, gb, gx, err);
}

convnd_status convnd_conv_spec(const convnd_conv_layer *layer, const int64_t *in_spatial, const void *input,
                               void *output, convnd_error *err) {
    return conv_run(layer, WANT_OUTPUT, in_spatial, input, NULL, output, NULL, NULL, NULL, err);
}

convnd_status convnd_conv_kernel_deriv_spec(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                            const void *input, const void *grad_output, void *grad_kernel,
                                            convnd_error *err) {
    return conv_run(layer, WANT_KERNEL, in_spatial, input, grad_output, NULL, grad_kernel, NULL, NULL, err);
}

convnd_status convnd_conv_bias_deriv_spec(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                          const void *grad_output, void *grad_bias, convnd_error *err) {
    return conv_run(layer, WANT_BIAS, in_spatial, NULL, grad_output, NULL, NULL, grad_bias, NULL, err);
}

convnd_status convnd_conv_input_deriv_spec(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                           const void *grad_output, void *grad_input, convnd_error *err) {
    return conv_run(layer, WANT_INPUT, in_spatial, NULL, grad_output, NULL, NULL, NULL, grad_input, err);
}

convnd_status convnd_conv_backward_spec(const convnd_conv_layer *layer, const int64_t *in_spatial, const void *input,
                                        const void *grad_output, void *grad_kernel, void *grad_bias, void *grad_input,
                                        convnd_error *err) {
    return conv_run(layer, WANT_KERNEL | WANT_BIAS | WANT_INPUT, in_spatial, input, grad_output, NULL, grad_kernel,
                    grad_bias, grad_input, err);
}

/* ---- generic transposed conv ------------------------------------------------------------ */

static convnd_status transpose_run(const convnd_conv_transpose_layer *layer, int want, const int64_t *in_spatial,
                                   const void *input, const void *grad_output, void *output, void *gk, void *gb,
                                   void *gx, convnd_error *err) {
    if (!layer) return cnd_fail(err, CONVND_EINVAL, "layer pointer is NULL");
    spec_layer l = SPEC_LAYER(layer, 1);
    return spec_run(&l, want, in_spatial, input, grad_output, output, gk, gb, gx, err);
}

convnd_status convnd_conv_transpose_spec(const convnd_conv_transpose_layer *layer, const int64_t *in_spatial,
                                         const void *input, void *output, convnd_error *err) {
    return transpose_run(layer, WANT_OUTPUT, in_spatial, input, NULL, output, NULL, NULL, NULL, err);
}

convnd_status convnd_conv_transpose_kernel_deriv_spec(const convnd_conv_transpose_layer *layer,
                                                      const int64_t *in_spatial, const void *input,
                                                      const void *grad_output, void *grad_kernel, convnd_error *err) {
    return transpose_run(layer, WANT_KERNEL, in_spatial, input, grad_output, NULL, grad_kernel, NULL, NULL, err);
}

convnd_status convnd_conv_transpose_bias_deriv_spec(const convnd_conv_transpose_layer *layer,
                                                    const int64_t *in_spatial, const void *grad_output,
                                                    void *grad_bias, convnd_error *err) {
    return transpose_run(layer, WANT_BIAS, in_spatial, NULL, grad_output, NULL, NULL, grad_bias, NULL, err);
}

convnd_status convnd_conv_transpose_input_deriv_spec(const convnd_conv_transpose_layer *layer,
                                                     const int64_t *in_spatial, const void *grad_output,
                                                     void *grad_input, convnd_error *err) {
    return transpose_run(layer, WANT_INPUT, in_spatial, NULL, grad_output, NULL, NULL, NULL, grad_input, err);
}

convnd_status convnd_conv_transpose_backward_spec(const convnd_conv_transpose_layer *layer, const int64_t *in_spatial,
                                                  const void *input, const void *grad_output, void *grad_kernel,
                                                  void *grad_bias, void *grad_input, convnd_error *err) {
    return transpose_run(layer, WANT_KERNEL | WANT_BIAS | WANT_INPUT, in_spatial, input, grad_output, NULL,
                         grad_kernel, grad_bias, grad_input, err);
}

/* ---- 2-D compatibility names: the generic ones at d = 2 --------------------------------- */

/* The generic layer of a 2-D one: kernel (kH, kW), stride (S, S), padding (P, P). Both 2-D
 * layer types have the same fields. */
#define LAYER_2D_TO_ND(nd, l2)                                                                         \
    do {                                                                                               \
        memset(&(nd), 0, sizeof(nd));                                                                  \
        (nd).rank = 2;                                                                                 \
        (nd).dtype = (l2)->dtype;                                                                      \
        (nd).in_channels = (l2)->in_channels;                                                          \
        (nd).out_channels = (l2)->out_channels;                                                        \
        (nd).kernel[0] = (l2)->kernel_h, (nd).kernel[1] = (l2)->kernel_w;                              \
        (nd).stride[0] = (nd).stride[1] = (l2)->stride;                                                \
        (nd).padding[0] = (nd).padding[1] = (l2)->padding;                                             \
        (nd).weight = (l2)->weight;                                                                    \
        (nd).bias = (l2)->bias;                                                                        \
    } while (0)

static convnd_status conv2d_run(const convnd_conv2d_layer *layer, int want, int64_t in_h, int64_t in_w,
                                const void *input, const void *grad_output, void *output, void *gk, void *gb,
                                void *gx, convnd_error *err) {
    convnd_conv_layer nd;
    const int64_t in_spatial[2] = {in_h, in_w};
    if (!layer) return cnd_fail(err, CONVND_EINVAL, "layer pointer is NULL");
    LAYER_2D_TO_ND(nd, layer);
    return conv_run(&nd, want, in_spatial, input, grad_output, output, gk, gb, gx, err);
}

static convnd_status transpose2d_run(const convnd_conv_transpose2d_layer *layer, int want, int64_t in_h,
                                     int64_t in_w, const void *input, const void *grad_output, void *output,
                                     void *gk, void *gb, void *gx, convnd_error *err) {
    convnd_conv_transpose_layer nd;
    const int64_t in_spatial[2] = {in_h, in_w};
    if (!layer) return cnd_fail(err, CONVND_EINVAL, "layer pointer is NULL");
    LAYER_2D_TO_ND(nd, layer);
    return transpose_run(&nd, want, in_spatial, input, grad_output, output, gk, gb, gx, err);
}

convnd_status convnd_conv2d_spec(const convnd_conv2d_layer *layer, int64_t in_h, int64_t in_w, const void *input,
                                 void *output, convnd_error *err) {
    return conv2d_run(layer, WANT_OUTPUT, in_h, in_w, input, NULL, output, NULL, NULL, NULL, err);
}

convnd_status convnd_conv2d_kernel_deriv_spec(const convnd_conv2d_layer *layer, int64_t in_h, int64_t in_w,
                                              const void *input, const void *grad_output, void *grad_kernel,
                                              convnd_error *err) {
    return conv2d_run(layer, WANT_KERNEL, in_h, in_w, input, grad_output, NULL, grad_kernel, NULL, NULL, err);
}

convnd_status convnd_conv2d_bias_deriv_spec(const convnd_conv2d_layer *layer, int64_t in_h, int64_t in_w,
                                            const void *grad_output, void *grad_bias, convnd_error *err) {
    return conv2d_run(layer, WANT_BIAS, in_h, in_w, NULL, grad_output, NULL, NULL, grad_bias, NULL, err);
}

convnd_status convnd_conv2d_input_deriv_spec(const convnd_conv2d_layer *layer, int64_t in_h, int64_t in_w,
                                             const void *grad_output, void *grad_input, convnd_error *err) {
    return conv2d_run(layer, WANT_INPUT, in_h, in_w, NULL, grad_output, NULL, NULL, NULL, grad_input, err);
}

convnd_status convnd_conv2d_backward_spec(const convnd_conv2d_layer *layer, int64_t in_h, int64_t in_w,
                                          const void *input, const void *grad_output, void *grad_kernel,
                                          void *grad_bias, void *grad_input, convnd_error *err) {
    return conv2d_run(layer, WANT_KERNEL | WANT_BIAS | WANT_INPUT, in_h, in_w, input, grad_output, NULL,
                      grad_kernel, grad_bias, grad_input, err);
}

convnd_status convnd_conv_transpose2d_spec(const convnd_conv_transpose2d_layer *layer, int64_t in_h, int64_t in_w,
                                           const void *input, void *output, convnd_error *err) {
    return transpose2d_run(layer, WANT_OUTPUT, in_h, in_w, input, NULL, output, NULL, NULL, NULL, err);
}

convnd_status convnd_conv_transpose2d_weights_deriv_spec(const convnd_conv_transpose2d_layer *layer, int64_t in_h,
                                                         int64_t in_w, const void *input, const void *grad_output,
                                                         void *grad_kernel, convnd_error *err) {
    return transpose2d_run(layer, WANT_KERNEL, in_h, in_w, input, grad_output, NULL, grad_kernel, NULL, NULL, err);
}

convnd_status convnd_conv_transpose2d_bias_deriv_spec(const convnd_conv_transpose2d_layer *layer, int64_t in_h,
                                                      int64_t in_w, const void *grad_output, void *grad_bias,
                                                      convnd_error *err) {
    return transpose2d_run(layer, WANT_BIAS, in_h, in_w, NULL, grad_output, NULL, NULL, grad_bias, NULL, err);
}

convnd_status convnd_conv_transpose2d_input_deriv_spec(const convnd_conv_transpose2d_layer *layer, int64_t in_h,
                                                       int64_t in_w, const void *grad_output, void *grad_input,
                                                       convnd_error *err) {
    return transpose2d_run(layer, WANT_INPUT, in_h, in_w, NULL, grad_output, NULL, NULL, NULL, grad_input, err);
}

convnd_status convnd_conv_transpose2d_backward_spec(const convnd_conv_transpose2d_layer *layer, int64_t in_h,
                                                    int64_t in_w, const void *input, const void *grad_output,
                                                    void *grad_kernel, void *grad_bias, void *grad_input,
                                                    convnd_error *err) {
    return transpose2d_run(layer, WANT_KERNEL | WANT_BIAS | WANT_INPUT, in_h, in_w, input, grad_output, NULL,
                           grad_kernel, grad_bias, grad_input, err);
}

/* ---- friendly aliases ----------------------------------------------------------------- */

convnd_status convnd_conv(const convnd_conv_layer *layer, const int64_t *in_spatial, const void *input, void *output,
                          convnd_error *err) {
    return convnd_conv_spec(layer, in_spatial, input, output, err);
}

convnd_status convnd_conv_backward(const convnd_conv_layer *layer, const int64_t *in_spatial, const void *input,
                                   const void *grad_output, void *grad_kernel, void *grad_bias, void *grad_input,
                                   convnd_error *err) {
    return convnd_conv_backward_spec(layer, in_spatial, input, grad_output, grad_kernel, grad_bias, grad_input, err);
}

convnd_status convnd_conv_kernel_deriv(const convnd_conv_layer *layer, const int64_t *in_spatial, const void *input,
                                       const void *grad_output, void *grad_kernel, convnd_error *err) {
    return convnd_conv_kernel_deriv_spec(layer, in_spatial, input, grad_output, grad_kernel, err);
}

convnd_status convnd_conv_bias_deriv(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                     const void *grad_output, void *grad_bias, convnd_error *err) {
    return convnd_conv_bias_deriv_spec(layer, in_spatial, grad_output, grad_bias, err);
}

convnd_status convnd_conv_input_deriv(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                      const void *grad_output, void *grad_input, convnd_error *err) {
    return convnd_conv_input_deriv_spec(layer, in_spatial, grad_output, grad_input, err);
}
