/*
 * convnd.h -- N-dimensional convolution and transposed convolution, forward and backward.
 *
 * The whole public API of libconvnd. It implements TorchLean's NN.Spec.Layers.Conv (the spec),
 * generalised to batch, groups, dilation, asymmetric and mode padding and output_padding, in
 * float32 and float64 (see README.md and docs/spec-map.md).
 *
 * Conventions (they hold for every function below unless its comment says otherwise)
 * ---------------------------------------------------------------------------------------------
 * Layout.  Tensors are dense, row-major (last axis fastest), channels first:
 *     input x        (N, C_in,  I_1 .. I_d)        N is absent in the unbatched (spec) form
 *     output y       (N, C_out, O_1 .. O_d)
 *     conv weight    (C_out, C_in/G,  K_1 .. K_d)
 *     transposed wt  (C_in,  C_out/G, K_1 .. K_d)   (PyTorch's layouts)
 *     bias           (C_out)
 *   A gradient has the shape of the tensor it is the gradient of.
 * Element type.  `const void *` / `void *` buffers hold float (CONVND_FLOAT32) or double
 *   (CONVND_FLOAT64) as the geometry's dtype says; they need only the type's natural alignment.
 * Errors.  Every function that can fail returns a convnd_status: CONVND_OK (0) or a negative
 *   code. When `err` is not NULL it receives the code and a one-line message naming the
 *   offending argument, axis and numbers, e.g. "axis 1: input 2 + padding 0+0 is smaller than
 *   the dilated kernel 3". On failure no output buffer has been written.
 * Memory.  The library never keeps a pointer the caller passed in after a call returns, and
 *   never frees caller memory. Scratch memory it needs is allocated and freed within the call
 *   (a plan owns its memory until convnd_plan_destroy; its executes may use a caller workspace).
 *   Output buffers must not overlap input buffers (checked: CONVND_EINVAL).
 * Threads.  No function has global mutable state: all are safe to call concurrently from
 *   several threads, on distinct output buffers.
 * Overflow.  Every size product is checked; a geometry whose tensors do not fit in int64_t
 *   elements or size_t bytes is refused with CONVND_EOVERFLOW.
 */
#ifndef CONVND_H
#define CONVND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(CONVND_SHARED_BUILD)
#define CONVND_API __declspec(dllexport)
#elif defined(__GNUC__)
#define CONVND_API __attribute__((visibility("default")))
#else
#define CONVND_API
#endif

#define CONVND_VERSION_MAJOR 0
#define CONVND_VERSION_MINOR 1
#define CONVND_VERSION_PATCH 0
#define CONVND_VERSION_STRING "0.1.0"

/** Largest spatial rank d a geometry may have. */
#define CONVND_MAX_RANK 8

/** The version of the library that is linked (compare with CONVND_VERSION_STRING). */
CONVND_API const char *convnd_version(void);

/* ============================================================================================
 * Status codes and errors
 * ========================================================================================== */

typedef enum convnd_status {
    CONVND_OK = 0,
    CONVND_EINVAL = -1,       /* a NULL pointer, an unknown enum value, overlapping buffers   */
    CONVND_EGEOMETRY = -2,    /* the numbers describe no valid convolution (stride 0, ...)    */
    CONVND_EOVERFLOW = -3,    /* a size or element count does not fit in int64_t / size_t     */
    CONVND_EUNSUPPORTED = -4, /* well-formed but not offered (a padding mode on a transposed
                                 conv, an engine this build or CPU lacks)                      */
    CONVND_ENOMEM = -5        /* scratch memory could not be allocated                         */
} convnd_status;

/** Detail of one failure, filled by any function that takes it (it may always be NULL). */
typedef struct convnd_error {
    convnd_status code;
    char msg[256]; /* NUL-terminated, one line, no trailing newline */
} convnd_error;

/** Static text for a status code ("invalid argument", ...); never NULL, never freed. */
CONVND_API const char *convnd_strerror(convnd_status code);

/* ============================================================================================
 * Geometry: everything that describes one convolution except the data
 * ========================================================================================== */

typedef enum convnd_dtype { CONVND_FLOAT32 = 0, CONVND_FLOAT64 = 1 } convnd_dtype;

/** How conv reads outside the input (extension; conv only, as in PyTorch). With P the padding
 *  on that side and I the input size:
 *    ZEROS      x[i] = 0                      (the spec)
 *    REFLECT    x[-i] = x[i], x[I-1+i] = x[I-1-i]  (edge not repeated; needs P < I)
 *    REPLICATE  x[i] = x[clamp(i, 0, I-1)]
 *    CIRCULAR   x[i] = x[i mod I]             (needs P <= I) */
typedef enum convnd_padding_mode {
    CONVND_PAD_ZEROS = 0,
    CONVND_PAD_REFLECT = 1,
    CONVND_PAD_REPLICATE = 2,
    CONVND_PAD_CIRCULAR = 3
} convnd_padding_mode;

/** `batch` value for the spec's single-sample form: tensors have no batch axis (computes as
 *  N = 1; only the shapes reported by convnd_tensor_shape differ). */
#define CONVND_UNBATCHED 0

/**
 * One convolution (transposed == 0) or transposed convolution (transposed == 1).
 *
 * Per spatial axis a (0 <= a < rank), with I = input_size, K = kernel_size, S = stride,
 * D = dilation, P_lo/P_hi = pad_lo/pad_hi, OP = output_padding:
 *   conv        O = floor((I + P_lo + P_hi - D*(K-1) - 1) / S) + 1
 *               y[n,o,p] = sum_{c in group(o)} sum_{k in box(K)} xpad[n,c, p*S + k*D - P_lo] * W[o,c',k] + b[o]
 *   transposed  O = (I-1)*S - P_lo - P_hi + D*(K-1) + OP + 1
 *               y[n,o, i*S + k*D - P_lo] += x[n,c,i] * Wt[c,o',k]   for every i, k, c in group(o);  + b[o]
 * Channels: in_channels is the channel count of the input x, out_channels that of the output y,
 * for both kinds; groups G divides both. c' and o' are channel indices within the group.
 *
 * Fill it with convnd_geometry_init() and then set the fields; every field is plain data.
 */
typedef struct convnd_geometry {
    int rank;                                /* d, 1 .. CONVND_MAX_RANK                        */
    int transposed;                          /* 0: conv, 1: transposed conv                    */
    convnd_dtype dtype;                      /* element type of every tensor                   */
    convnd_padding_mode padding_mode;        /* conv only; transposed requires ZEROS           */
    int64_t batch;                           /* N >= 1, or CONVND_UNBATCHED                     */
    int64_t in_channels;                     /* C_in >= 1                                      */
    int64_t out_channels;                    /* C_out >= 1                                     */
    int64_t groups;                          /* G >= 1, divides C_in and C_out                 */
    int64_t input_size[CONVND_MAX_RANK];     /* I >= 1                                         */
    int64_t kernel_size[CONVND_MAX_RANK];    /* K >= 1                                         */
    int64_t stride[CONVND_MAX_RANK];         /* S >= 1                                         */
    int64_t dilation[CONVND_MAX_RANK];       /* D >= 1                                         */
    int64_t pad_lo[CONVND_MAX_RANK];         /* >= 0, before the first element                 */
    int64_t pad_hi[CONVND_MAX_RANK];         /* >= 0, after the last element                   */
    int64_t output_padding[CONVND_MAX_RANK]; /* transposed: 0 <= OP < max(S, D); conv: 0       */
} convnd_geometry;

/**
 * Resets *g to the defaults for spatial rank `rank`: a float32 unbatched conv, one channel in
 * and out, groups 1, stride 1, dilation 1, no padding, zeros mode, and input and kernel sizes 0
 * (which the caller must set: a geometry left with them fails validation).
 * Returns CONVND_OK, or CONVND_EINVAL if g is NULL or rank is outside 1..CONVND_MAX_RANK
 * (then *g is unchanged).
 */
CONVND_API convnd_status convnd_geometry_init(convnd_geometry *g, int rank, convnd_error *err);

/**
 * padding='same' (PyTorch): per axis, total = D*(K-1), pad_lo = total/2, pad_hi = total - pad_lo,
 * so O = I. Needs rank, kernel_size and dilation set, and stride 1 on every axis (as PyTorch).
 * Returns CONVND_OK; CONVND_EINVAL if g is NULL or its rank is out of range; CONVND_EGEOMETRY if
 * the geometry is transposed, a stride is not 1, or a kernel size or dilation is < 1;
 * CONVND_EOVERFLOW if D*(K-1) overflows. On failure *g is unchanged.
 */
CONVND_API convnd_status convnd_geometry_pad_same(convnd_geometry *g, convnd_error *err);

/** padding='valid': pad_lo = pad_hi = 0 on every axis. Returns CONVND_OK, or CONVND_EINVAL if
 *  g is NULL or its rank is out of range. */
CONVND_API convnd_status convnd_geometry_pad_valid(convnd_geometry *g, convnd_error *err);

/**
 * Validates a geometry and reports the first problem, checking in this order: pointer, rank,
 * enums, batch, channels and groups, then each axis in turn (sizes >= 1, padding >= 0,
 * output_padding, the window fits, padding-mode limits), then the element counts.
 * Returns CONVND_OK when every operation of this library accepts g;
 *   CONVND_EINVAL       g NULL, rank out of range, transposed not 0/1, unknown dtype or mode;
 *   CONVND_EGEOMETRY    batch < 0; a channel count or groups < 1; G not dividing C_in or C_out;
 *                       an axis with size, kernel, stride or dilation < 1, negative padding,
 *                       conv I + P_lo + P_hi < D*(K-1) + 1, transposed O < 1, OP >= max(S, D),
 *                       OP != 0 on a conv, reflect padding >= I, circular padding > I;
 *   CONVND_EUNSUPPORTED a padding mode other than ZEROS on a transposed conv;
 *   CONVND_EOVERFLOW    a size or a tensor's element or byte count overflows.
 * The spec's "phantom" outputs (Nat arithmetic on invalid geometry) are refused, not computed.
 */
CONVND_API convnd_status convnd_geometry_check(const convnd_geometry *g, convnd_error *err);

/** Validates g (as convnd_geometry_check) and writes O_1 .. O_d to out_size[0 .. rank-1].
 *  Returns what convnd_geometry_check returns, or CONVND_EINVAL if out_size is NULL. */
CONVND_API convnd_status convnd_output_size(const convnd_geometry *g, int64_t out_size[CONVND_MAX_RANK],
                                            convnd_error *err);

typedef enum convnd_tensor {
    CONVND_TENSOR_INPUT = 0,  /* x and grad_input                              */
    CONVND_TENSOR_WEIGHT = 1, /* W or Wt and grad_weight                       */
    CONVND_TENSOR_BIAS = 2,   /* b and grad_bias                               */
    CONVND_TENSOR_OUTPUT = 3  /* y and grad_output                             */
} convnd_tensor;

/**
 * The shape of one tensor of g (see the layout table at the top): dims[0 .. *ndim-1] receive
 * the sizes, *ndim the number of axes (the input and output have rank+1 axes when unbatched,
 * rank+2 when batched), *count the number of elements. Any of dims, ndim, count may be NULL.
 * dims must have room for CONVND_MAX_RANK + 2 entries.
 * Returns what convnd_geometry_check returns, or CONVND_EINVAL for an unknown `which`.
 */
CONVND_API convnd_status convnd_tensor_shape(const convnd_geometry *g, convnd_tensor which,
                                             int64_t dims[CONVND_MAX_RANK + 2], int *ndim, size_t *count,
                                             convnd_error *err);

/* ============================================================================================
 * Operations
 * ========================================================================================== */

/** Which implementation computes. REF is the reference engine: plain loops in the spec's
 *  summation order, no fused multiply-add; it is the oracle the fast engines are tested
 *  against. AUTO is the fast engine: packed, register-blocked SIMD micro-kernels for the best
 *  instruction set the CPU has (AVX-512, AVX2+FMA, or portable C; CONVND_ISA=avx512|avx2|generic
 *  forces one), multi-threaded. It agrees with REF to float rounding (not bitwise: it uses FMA
 *  and another summation order), and is itself deterministic: see "Plans". */
typedef enum convnd_engine { CONVND_ENGINE_AUTO = 0, CONVND_ENGINE_REF = 1 } convnd_engine;

/**
 * Forward pass: y = conv(x; W, b) or, when g->transposed, y = convTranspose(x; Wt, b), with the
 * formulas of convnd_geometry. `bias` may be NULL (no bias). The reference engine accumulates
 * from 0 over the group's input channels ascending, then kernel taps in row-major order, a
 * padding tap contributing 0*w (so an infinite weight that meets only padding gives NaN, as in
 * the spec), and adds the bias last.
 * Requires: g valid; input, weight, output not NULL, of the sizes convnd_tensor_shape reports;
 * output overlapping no input. Writes every element of output.
 * Returns CONVND_OK, what convnd_geometry_check returns, CONVND_EINVAL for a NULL or
 * overlapping buffer or unknown engine, CONVND_ENOMEM if scratch memory fails; with AUTO also
 * what convnd_plan_create returns for a bad CONVND_ISA or CONVND_NUM_THREADS (see "Plans").
 */
CONVND_API convnd_status convnd_forward(const convnd_geometry *g, convnd_engine engine, const void *input,
                                        const void *weight, const void *bias, void *output, convnd_error *err);

/**
 * Backward pass, given grad_output (the gradient of a scalar loss with respect to y):
 *   grad_weight[o,c',k] = sum_n sum_p xpad[n,c, p*S + k*D - P_lo] * grad_output[n,o,p]   (conv)
 *   grad_weight[c,o',k] = sum_n sum_i x[n,c,i] * grad_output[n,o, i*S + k*D - P_lo]       (transposed)
 *   grad_bias[o]        = sum_n sum_p grad_output[n,o,p]
 *   grad_input          = the adjoint of the forward map in x applied to grad_output: for a conv
 *                         convTranspose(grad_output; W) with the same geometry, folded back onto
 *                         the input positions a padding mode copied from; for a transposed conv
 *                         conv(grad_output; Wt) with the same stride, padding and dilation.
 * Each of grad_input, grad_weight, grad_bias may be NULL, and is then not computed; at least one
 * must be given. `input` is needed (non-NULL) only for grad_weight, `weight` only for
 * grad_input. Sums over n ascending, then positions in row-major order.
 * Requires and returns as convnd_forward; the three outputs must not overlap each other.
 */
CONVND_API convnd_status convnd_backward(const convnd_geometry *g, convnd_engine engine, const void *input,
                                         const void *weight, const void *grad_output, void *grad_input,
                                         void *grad_weight, void *grad_bias, convnd_error *err);

/* ============================================================================================
 * Plans: create once, execute many (FFTW / XNNPACK style)
 *
 * A plan holds a validated geometry with everything derived from it: the algorithm, the
 * micro-kernel set, the blocking, the thread count, the workspace size and, optionally, the
 * weights packed for the micro-kernels. Creating one costs microseconds (no code generation);
 * convnd_forward / convnd_backward above are create + execute + destroy.
 *
 * Determinism.  With the AUTO engine every output element is computed by exactly one thread
 *   in an order fixed by the plan's geometry and ISA, never by the thread count or scheduling:
 *   the same plan inputs give bitwise-identical outputs for any `threads`, run after run. This
 *   includes grad_weight, whose sums over batch and positions are never split across threads.
 *   (Different ISAs round differently; force one with CONVND_ISA to compare machines.)
 * Threads.  A plan is immutable once created: one plan may be executed from several threads
 *   at once, on distinct output (and workspace) buffers. Each execute call itself runs on
 *   `threads` OpenMP threads.
 * Environment.  CONVND_ISA=avx512|avx2|generic forces a micro-kernel set (plan creation fails
 *   with CONVND_EUNSUPPORTED if the CPU or build lacks it, CONVND_EINVAL if the name is
 *   unknown); CONVND_NUM_THREADS=T (1..CONVND_MAX_THREADS) sets the default thread count
 *   (anything else: CONVND_EINVAL at plan creation). Both are read at plan creation. Without
 *   OpenMP (a compiler lacking it) plans run on one thread whatever they ask for.
 * ========================================================================================== */

typedef struct convnd_plan convnd_plan;

/** Options for convnd_plan_create; initialise with convnd_plan_options_init. */
typedef struct convnd_plan_options {
    convnd_engine engine; /* AUTO (default) or REF */
    int threads;          /* 0 (default): CONVND_NUM_THREADS if set, else the OpenMP default
                             (the number of cores); else 1 .. CONVND_MAX_THREADS */
    const void *weight;   /* NULL (default), or the weight tensor (geometry's layout) to pack
                             into the plan now; executes may then pass weight = NULL. The
                             pointer is not kept. */
} convnd_plan_options;

#define CONVND_MAX_THREADS 1024

/** Sets *opt to the defaults: AUTO engine, default threads, no packed weights. */
CONVND_API void convnd_plan_options_init(convnd_plan_options *opt);

/**
 * Creates a plan for geometry g (copied; g may be freed afterwards). opt may be NULL (defaults).
 * Returns CONVND_OK and *plan (owned by the caller: release with convnd_plan_destroy), or what
 * convnd_geometry_check returns, CONVND_EINVAL (NULL plan, bad option, unknown CONVND_ISA),
 * CONVND_EUNSUPPORTED (CONVND_ISA names a path this CPU or build lacks), CONVND_ENOMEM; *plan
 * is then NULL. Thread-safe.
 */
CONVND_API convnd_status convnd_plan_create(const convnd_geometry *g, const convnd_plan_options *opt,
                                            convnd_plan **plan, convnd_error *err);

/** Frees a plan and its packed weights. NULL is a no-op. Not concurrent with executes of it. */
CONVND_API void convnd_plan_destroy(convnd_plan *plan);

/**
 * Bytes of scratch memory an execute of this plan needs (the maximum over the passes it can
 * run). It is bounded by about one padded copy of the input and of the output of one sample
 * (the output's channels rounded up to the weight-gradient tile) plus the packed weights:
 * never an im2col matrix. Pass a buffer of at least this many bytes,
 * 64-byte aligned, as `workspace` to execute without allocating; or pass NULL and the call
 * allocates and frees it itself. 0 for a NULL plan.
 */
CONVND_API size_t convnd_plan_workspace_size(const convnd_plan *plan);

/** One line describing the plan's choice, e.g. "auto: avx512 float32; forward gemm 8x48,
 *  backward-data gemm x 1 stride phase, weight wgrad 32x12; 2 threads".
 *  Owned by the plan; valid until it is destroyed. "" for a NULL plan. */
CONVND_API const char *convnd_plan_describe(const convnd_plan *plan);

/** The plan's geometry (a copy made at creation); NULL for a NULL plan. */
CONVND_API const convnd_geometry *convnd_plan_geometry(const convnd_plan *plan);

/**
 * convnd_forward with the plan's geometry and engine. weight may be NULL when the plan was
 * created with packed weights (a non-NULL weight is used instead of them). workspace: NULL, or
 * convnd_plan_workspace_size(plan) bytes, 64-byte aligned, not shared with a concurrent call.
 * Returns as convnd_forward; CONVND_EINVAL also for a NULL plan, a NULL weight without packed
 * weights, or a misaligned workspace. Thread-safe on distinct outputs and workspaces.
 */
CONVND_API convnd_status convnd_plan_forward(const convnd_plan *plan, const void *input, const void *weight,
                                             const void *bias, void *output, void *workspace, convnd_error *err);

/** convnd_backward with the plan's geometry and engine; weight and workspace as in
 *  convnd_plan_forward (weight is needed only for grad_input). Thread-safe likewise. */
CONVND_API convnd_status convnd_plan_backward(const convnd_plan *plan, const void *input, const void *weight,
                                              const void *grad_output, void *grad_input, void *grad_weight,
                                              void *grad_bias, void *workspace, convnd_error *err);

/* ============================================================================================
 * The spec's names (TorchLean NN.Spec.Layers.Conv), in C naming
 *
 * These are the spec's own definitions: one sample (no batch axis), groups 1, dilation 1, one
 * symmetric padding per axis, output_padding 0. Each is exactly the generic operation above
 * with that geometry and the reference engine. Shape helpers return the integer formula's
 * value, which equals the spec's Nat value wherever the geometry is valid; where the spec's
 * Nat arithmetic would invent a "phantom" size they return CONVND_EGEOMETRY instead (see
 * README, "Semantics"). Arrays of per-axis numbers have `rank` entries.
 * ========================================================================================== */

/** Spec.ConvSpec: a conv layer's parameters. weight (out_channels, in_channels, K...), bias
 *  (out_channels). The pointers are borrowed for the duration of each call only. */
typedef struct convnd_conv_layer {
    int rank;
    convnd_dtype dtype;
    int64_t in_channels, out_channels;
    int64_t kernel[CONVND_MAX_RANK];
    int64_t stride[CONVND_MAX_RANK];
    int64_t padding[CONVND_MAX_RANK];
    const void *weight;
    const void *bias;
} convnd_conv_layer;

/** Spec.ConvTransposeSpec: weight (in_channels, out_channels, K...), bias (out_channels). */
typedef struct convnd_conv_transpose_layer {
    int rank;
    convnd_dtype dtype;
    int64_t in_channels, out_channels;
    int64_t kernel[CONVND_MAX_RANK];
    int64_t stride[CONVND_MAX_RANK];
    int64_t padding[CONVND_MAX_RANK];
    const void *weight;
    const void *bias;
} convnd_conv_transpose_layer;

/* --- shape helpers ---------------------------------------------------------------------- */

/** Spec.convOutDim: *out = (in + 2*padding - kernel) / stride + 1 (floor). EGEOMETRY when
 *  in, kernel or stride < 1, padding < 0, or in + 2*padding < kernel; EINVAL if out is NULL. */
CONVND_API convnd_status convnd_conv_out_dim(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                                             int64_t *out, convnd_error *err);
/** Spec.convOutSpatial: convnd_conv_out_dim on each axis; out[0 .. rank-1]. */
CONVND_API convnd_status convnd_conv_out_spatial(int rank, const int64_t *in_spatial, const int64_t *kernel,
                                                 const int64_t *stride, const int64_t *padding, int64_t *out,
                                                 convnd_error *err);
/** Spec.convOutShape: the same numbers as convnd_conv_out_spatial (the spec differs only in
 *  the Lean type, Shape versus Vector). */
CONVND_API convnd_status convnd_conv_out_shape(int rank, const int64_t *in_spatial, const int64_t *kernel,
                                               const int64_t *stride, const int64_t *padding, int64_t *out,
                                               convnd_error *err);
/** Spec.convMultiOutShape: out[0] = out_channels, out[1 .. rank] = the spatial sizes. The spec
 *  ignores in_channels; so does this, beyond requiring it >= 1. */
CONVND_API convnd_status convnd_conv_multi_out_shape(int rank, int64_t in_channels, int64_t out_channels,
                                                     const int64_t *in_spatial, const int64_t *kernel,
                                                     const int64_t *stride, const int64_t *padding,
                                                     int64_t *out, convnd_error *err);

/** Spec.convTransposeOutDim: *out = (in - 1)*stride - 2*padding + kernel, in integers.
 *  EGEOMETRY when in, kernel or stride < 1, padding < 0, or the result is < 1. */
CONVND_API convnd_status convnd_conv_transpose_out_dim(int64_t in, int64_t kernel, int64_t stride,
                                                       int64_t padding, int64_t *out, convnd_error *err);
/** Spec.convTransposeOutSpatial. */
CONVND_API convnd_status convnd_conv_transpose_out_spatial(int rank, const int64_t *in_spatial,
                                                           const int64_t *kernel, const int64_t *stride,
                                                           const int64_t *padding, int64_t *out,
                                                           convnd_error *err);
/** Spec.convTransposeOutShape (same numbers as ..._out_spatial). */
CONVND_API convnd_status convnd_conv_transpose_out_shape(int rank, const int64_t *in_spatial,
                                                         const int64_t *kernel, const int64_t *stride,
                                                         const int64_t *padding, int64_t *out,
                                                         convnd_error *err);
/** Spec.convTransposeMultiOutShape: out[0] = out_channels, then the spatial sizes. */
CONVND_API convnd_status convnd_conv_transpose_multi_out_shape(int rank, int64_t in_channels,
                                                               int64_t out_channels, const int64_t *in_spatial,
                                                               const int64_t *kernel, const int64_t *stride,
                                                               const int64_t *padding, int64_t *out,
                                                               convnd_error *err);

/* --- generic N-D conv ---------------------------------------------------------------------
 * input (in_channels, in_spatial...), output and grad_output (out_channels, O...),
 * grad_kernel like layer->weight, grad_bias (out_channels), grad_input like input.
 * Returns CONVND_OK or the codes of convnd_forward / convnd_backward; EINVAL if layer or
 * in_spatial is NULL, or a pointer the definition reads (layer->weight, layer->bias where
 * used) is NULL. */

/** Spec.convSpec: y[o,p] = sum_c sum_k xpad[c, p*S + k - P] * W[o,c,k] + b[o]. */
CONVND_API convnd_status convnd_conv_spec(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                          const void *input, void *output, convnd_error *err);
/** Spec.convKernelDerivSpec: dW[o,c,k] = sum_p xpad[c, p*S + k - P] * g[o,p]. */
CONVND_API convnd_status convnd_conv_kernel_deriv_spec(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                                       const void *input, const void *grad_output,
                                                       void *grad_kernel, convnd_error *err);
/** Spec.convBiasDerivSpec: db[o] = sum_p g[o,p]. (The spec's unused input argument is dropped.) */
CONVND_API convnd_status convnd_conv_bias_deriv_spec(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                                     const void *grad_output, void *grad_bias, convnd_error *err);
/** Spec.convInputDerivSpec: dx[c,i] = sum_o sum_k g[o, (i + P - k)/S] * W[o,c,k] over the taps
 *  where (i + P - k) is a non-negative multiple of S and the index is in range. */
CONVND_API convnd_status convnd_conv_input_deriv_spec(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                                      const void *grad_output, void *grad_input,
                                                      convnd_error *err);
/** Spec.convBackwardSpec: the triple (dKernel, dBias, dInput); none of the three may be NULL. */
CONVND_API convnd_status convnd_conv_backward_spec(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                                   const void *input, const void *grad_output,
                                                   void *grad_kernel, void *grad_bias, void *grad_input,
                                                   convnd_error *err);

/* --- generic N-D transposed conv --------------------------------------------------------- */

/** Spec.convTransposeSpec: y[o,q] = sum_c sum_k x[c, (q + P - k)/S] * Wt[c,o,k] + b[o]. */
CONVND_API convnd_status convnd_conv_transpose_spec(const convnd_conv_transpose_layer *layer,
                                                    const int64_t *in_spatial, const void *input, void *output,
                                                    convnd_error *err);
/** Spec.convTransposeKernelDerivSpec: dWt[c,o,k] = sum_i x[c,i] * g[o, i*S + k - P]. The spec
 *  takes only the geometry from the layer; so does this (layer->weight and bias are unused). */
CONVND_API convnd_status convnd_conv_transpose_kernel_deriv_spec(const convnd_conv_transpose_layer *layer,
                                                                 const int64_t *in_spatial, const void *input,
                                                                 const void *grad_output, void *grad_kernel,
                                                                 convnd_error *err);
/** Spec.convTransposeBiasDerivSpec: db[o] = sum_q g[o,q]. */
CONVND_API convnd_status convnd_conv_transpose_bias_deriv_spec(const convnd_conv_transpose_layer *layer,
                                                               const int64_t *in_spatial, const void *grad_output,
                                                               void *grad_bias, convnd_error *err);
/** Spec.convTransposeInputDerivSpec: dx[c,i] = sum_o sum_k Wt[c,o,k] * g[o, i*S + k - P]. */
CONVND_API convnd_status convnd_conv_transpose_input_deriv_spec(const convnd_conv_transpose_layer *layer,
                                                                const int64_t *in_spatial,
                                                                const void *grad_output, void *grad_input,
                                                                convnd_error *err);
/** Spec.convTransposeBackwardSpec: (dKernel, dBias, dInput); none may be NULL. */
CONVND_API convnd_status convnd_conv_transpose_backward_spec(const convnd_conv_transpose_layer *layer,
                                                             const int64_t *in_spatial, const void *input,
                                                             const void *grad_output, void *grad_kernel,
                                                             void *grad_bias, void *grad_input, convnd_error *err);

/* --- 2-D compatibility names: one stride and one padding for both axes, kernel kH x kW ---- */

/** Spec.Conv2DSpec: weight (out_channels, in_channels, kernel_h, kernel_w), bias (out_channels). */
typedef struct convnd_conv2d_layer {
    convnd_dtype dtype;
    int64_t in_channels, out_channels, kernel_h, kernel_w, stride, padding;
    const void *weight;
    const void *bias;
} convnd_conv2d_layer;

/** Spec.ConvTranspose2DSpec: weight (in_channels, out_channels, kernel_h, kernel_w). */
typedef struct convnd_conv_transpose2d_layer {
    convnd_dtype dtype;
    int64_t in_channels, out_channels, kernel_h, kernel_w, stride, padding;
    const void *weight;
    const void *bias;
} convnd_conv_transpose2d_layer;

/** Spec.conv2dOutShape: out[0] = (in_h + 2P - kH)/S + 1, out[1] = (in_w + 2P - kW)/S + 1. */
CONVND_API convnd_status convnd_conv2d_out_shape(int64_t in_h, int64_t in_w, int64_t kernel_h, int64_t kernel_w,
                                                 int64_t stride, int64_t padding, int64_t out[2],
                                                 convnd_error *err);
/** Spec.conv2dMultiOutShape: out = (out_channels, outH, outW). */
CONVND_API convnd_status convnd_conv2d_multi_out_shape(int64_t in_channels, int64_t out_channels, int64_t in_h,
                                                       int64_t in_w, int64_t kernel_h, int64_t kernel_w,
                                                       int64_t stride, int64_t padding, int64_t out[3],
                                                       convnd_error *err);
/** Spec.conv2dSpec: input (C_in, in_h, in_w) -> output (C_out, outH, outW). */
CONVND_API convnd_status convnd_conv2d_spec(const convnd_conv2d_layer *layer, int64_t in_h, int64_t in_w,
                                            const void *input, void *output, convnd_error *err);
/** Spec.conv2dKernelDerivSpec. */
CONVND_API convnd_status convnd_conv2d_kernel_deriv_spec(const convnd_conv2d_layer *layer, int64_t in_h,
                                                         int64_t in_w, const void *input, const void *grad_output,
                                                         void *grad_kernel, convnd_error *err);
/** Spec.conv2dBiasDerivSpec. */
CONVND_API convnd_status convnd_conv2d_bias_deriv_spec(const convnd_conv2d_layer *layer, int64_t in_h,
                                                       int64_t in_w, const void *grad_output, void *grad_bias,
                                                       convnd_error *err);
/** Spec.conv2dInputDerivSpec. */
CONVND_API convnd_status convnd_conv2d_input_deriv_spec(const convnd_conv2d_layer *layer, int64_t in_h,
                                                        int64_t in_w, const void *grad_output, void *grad_input,
                                                        convnd_error *err);
/** Spec.conv2dBackwardSpec: (dKernel, dBias, dInput). */
CONVND_API convnd_status convnd_conv2d_backward_spec(const convnd_conv2d_layer *layer, int64_t in_h, int64_t in_w,
                                                     const void *input, const void *grad_output, void *grad_kernel,
                                                     void *grad_bias, void *grad_input, convnd_error *err);

/** Spec.convTranspose2dOutShape: out = ((in_h-1)*S - 2P + kH, (in_w-1)*S - 2P + kW). */
CONVND_API convnd_status convnd_conv_transpose2d_out_shape(int64_t in_h, int64_t in_w, int64_t kernel_h,
                                                           int64_t kernel_w, int64_t stride, int64_t padding,
                                                           int64_t out[2], convnd_error *err);
/** Spec.convTranspose2dMultiOutShape: out = (out_channels, outH, outW). */
CONVND_API convnd_status convnd_conv_transpose2d_multi_out_shape(int64_t in_channels, int64_t out_channels,
                                                                 int64_t in_h, int64_t in_w, int64_t kernel_h,
                                                                 int64_t kernel_w, int64_t stride,
                                                                 int64_t padding, int64_t out[3],
                                                                 convnd_error *err);
/** Spec.convTranspose2dSpec. */
CONVND_API convnd_status convnd_conv_transpose2d_spec(const convnd_conv_transpose2d_layer *layer, int64_t in_h,
                                                      int64_t in_w, const void *input, void *output,
                                                      convnd_error *err);
/** Spec.convTranspose2dWeightsDerivSpec. */
CONVND_API convnd_status convnd_conv_transpose2d_weights_deriv_spec(const convnd_conv_transpose2d_layer *layer,
                                                                    int64_t in_h, int64_t in_w, const void *input,
                                                                    const void *grad_output, void *grad_kernel,
                                                                    convnd_error *err);
/** Spec.convTranspose2dBiasDerivSpec. */
CONVND_API convnd_status convnd_conv_transpose2d_bias_deriv_spec(const convnd_conv_transpose2d_layer *layer,
                                                                 int64_t in_h, int64_t in_w,
                                                                 const void *grad_output, void *grad_bias,
                                                                 convnd_error *err);
/** Spec.convTranspose2dInputDerivSpec. */
CONVND_API convnd_status convnd_conv_transpose2d_input_deriv_spec(const convnd_conv_transpose2d_layer *layer,
                                                                  int64_t in_h, int64_t in_w,
                                                                  const void *grad_output, void *grad_input,
                                                                  convnd_error *err);
/** Spec.convTranspose2dBackwardSpec: (dKernel, dBias, dInput). */
CONVND_API convnd_status convnd_conv_transpose2d_backward_spec(const convnd_conv_transpose2d_layer *layer,
                                                               int64_t in_h, int64_t in_w, const void *input,
                                                               const void *grad_output, void *grad_kernel,
                                                               void *grad_bias, void *grad_input,
                                                               convnd_error *err);

/* --- friendly aliases (Spec.conv, Spec.convBackward, ...): the same functions, shorter names */

/** Spec.conv = convnd_conv_spec. */
CONVND_API convnd_status convnd_conv(const convnd_conv_layer *layer, const int64_t *in_spatial, const void *input,
                                     void *output, convnd_error *err);
/** Spec.convBackward = convnd_conv_backward_spec. */
CONVND_API convnd_status convnd_conv_backward(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                              const void *input, const void *grad_output, void *grad_kernel,
                                              void *grad_bias, void *grad_input, convnd_error *err);
/** Spec.convKernelDeriv = convnd_conv_kernel_deriv_spec. */
CONVND_API convnd_status convnd_conv_kernel_deriv(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                                  const void *input, const void *grad_output, void *grad_kernel,
                                                  convnd_error *err);
/** Spec.convBiasDeriv = convnd_conv_bias_deriv_spec. */
CONVND_API convnd_status convnd_conv_bias_deriv(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                                const void *grad_output, void *grad_bias, convnd_error *err);
/** Spec.convInputDeriv = convnd_conv_input_deriv_spec. */
CONVND_API convnd_status convnd_conv_input_deriv(const convnd_conv_layer *layer, const int64_t *in_spatial,
                                                 const void *grad_output, void *grad_input, convnd_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CONVND_H */
