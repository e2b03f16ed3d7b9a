/* operation.c -- the public operations: validate, map onto the conv problem (engine.h), pick
 * an engine, run. The six operations are three engine kernels with the sides swapped:
 *
 *                     conv (X = input, Y = output)     transposed (X = output, Y = input)
 *   forward           Y = forward(X)                   X = backward_data(Y)
 *   grad_input        gX = backward_data(gY)           gY = forward(gX)
 *   grad_weight       backward_weight(X=x, Y=gy)       backward_weight(X=gy, Y=x)
 *   grad_bias         sum of gY                        sum of gX
 */
#include <stdint.h>
#include <string.h>

#include "plan/engine.h"
#include "spec/geometry.h"

/* Everything a call needs to know about its geometry, derived once. */
typedef struct operation {
    cnd_problem problem;
    int transposed;
    size_t bytes[4];      /* per convnd_tensor */
    int64_t out_plane;    /* positions of the op's output (for the bias gradient) */
    int64_t batch;        /* N, 1 when unbatched */
} operation;

static convnd_status prepare(const convnd_geometry *g, operation *op, convnd_error *err) {
    int64_t out_size[CONVND_MAX_RANK], counts[4];
    convnd_status st = cnd_geometry_analyse(g, out_size, counts, err);
    if (st != CONVND_OK) return st;
    for (int t = CONVND_TENSOR_INPUT; t <= CONVND_TENSOR_OUTPUT; t++)
        op->bytes[t] = (size_t)counts[t] * cnd_dtype_size(g->dtype); /* validated: fits in size_t */
    cnd_problem *p = &op->problem;
    memset(p, 0, sizeof *p);
    op->transposed = g->transposed;
    op->batch = g->batch == CONVND_UNBATCHED ? 1 : g->batch;
    op->out_plane = cnd_volume(g->rank, out_size);
    p->rank = g->rank;
    p->dtype = g->dtype;
    p->mode = g->padding_mode;
    p->batch = op->batch;
    p->groups = g->groups;
    p->x_channels = g->transposed ? g->out_channels : g->in_channels;
    p->y_channels = g->transposed ? g->in_channels : g->out_channels;
    for (int a = 0; a < g->rank; a++) {
        p->x_size[a] = g->transposed ? out_size[a] : g->input_size[a];
        p->y_size[a] = g->transposed ? g->input_size[a] : out_size[a];
        p->kernel[a] = g->kernel_size[a];
        p->stride[a] = g->stride[a];
        p->dilation[a] = g->dilation[a];
        p->pad_lo[a] = g->pad_lo[a];
        p->pad_hi[a] = g->pad_hi[a];
    }
    return CONVND_OK;
}

static convnd_status select_engine(convnd_engine which, const cnd_engine **engine, convnd_error *err) {
    switch (which) {
    case CONVND_ENGINE_AUTO:
    case CONVND_ENGINE_REF: *engine = &cnd_ref_engine; return CONVND_OK;
    }
    return cnd_fail(err, CONVND_EINVAL, "engine %d is not a convnd_engine", (int)which);
}

/* A buffer argument: its name for messages, address and size in bytes. */
typedef struct buffer {
    const char *name;
    const void *ptr;
    size_t bytes;
} buffer;

static int overlap(const buffer *a, const buffer *b) {
    uintptr_t a0 = (uintptr_t)a->ptr, b0 = (uintptr_t)b->ptr;
    return a->ptr && b->ptr && a0 < b0 + b->bytes && b0 < a0 + a->bytes;
}

/* Every output must be disjoint from every input and from the other outputs. */
static convnd_status check_disjoint(const buffer *in, int n_in, const buffer *out, int n_out, convnd_error *err) {
    for (int i = 0; i < n_out; i++) {
        for (int j = 0; j < n_in; j++)
            if (overlap(&out[i], &in[j]))
                return cnd_fail(err, CONVND_EINVAL, "%s overlaps %s; outputs must not overlap inputs", out[i].name,
                                in[j].name);
        for (int j = i + 1; j < n_out; j++)
            if (overlap(&out[i], &out[j]))
                return cnd_fail(err, CONVND_EINVAL, "%s overlaps %s", out[i].name, out[j].name);
    }
    return CONVND_OK;
}

static convnd_status require(const void *ptr, const char *name, convnd_error *err) {
    return ptr ? CONVND_OK : cnd_fail(err, CONVND_EINVAL, "%s pointer is NULL", name);
}

convnd_status convnd_forward(const convnd_geometry *g, convnd_engine engine, const void *input, const void *weight,
                             const void *bias, void *output, convnd_error *err) {
    operation op;
    const cnd_engine *e = NULL;
    convnd_status st = prepare(g, &op, err);
    if (st == CONVND_OK) st = select_engine(engine, &e, err);
    if (st == CONVND_OK) st = require(input, "input", err);
    if (st == CONVND_OK) st = require(weight, "weight", err);
    if (st == CONVND_OK) st = require(output, "output", err);
    if (st != CONVND_OK) return st;
    const buffer in[] = {{"input", input, op.bytes[CONVND_TENSOR_INPUT]},
                         {"weight", weight, op.bytes[CONVND_TENSOR_WEIGHT]},
                         {"bias", bias, op.bytes[CONVND_TENSOR_BIAS]}};
    const buffer out[] = {{"output", output, op.bytes[CONVND_TENSOR_OUTPUT]}};
    st = check_disjoint(in, 3, out, 1, err);
    if (st != CONVND_OK) return st;
    if (op.transposed) return e->backward_data(&op.problem, input, weight, bias, output, err);
    return e->forward(&op.problem, input, weight, bias, output, err);
}

convnd_status convnd_backward(const convnd_geometry *g, convnd_engine engine, const void *input, const void *weight,
                              const void *grad_output, void *grad_input, void *grad_weight, void *grad_bias,
                              convnd_error *err) {
    operation op;
    const cnd_engine *e = NULL;
    convnd_status st = prepare(g, &op, err);
    if (st == CONVND_OK) st = select_engine(engine, &e, err);
    if (st == CONVND_OK) st = require(grad_output, "grad_output", err);
    if (st == CONVND_OK && !grad_input && !grad_weight && !grad_bias)
        st = cnd_fail(err, CONVND_EINVAL, "grad_input, grad_weight and grad_bias are all NULL; nothing to compute");
    if (st == CONVND_OK && grad_input) st = require(weight, "weight (needed for grad_input)", err);
    if (st == CONVND_OK && grad_weight) st = require(input, "input (needed for grad_weight)", err);
    if (st != CONVND_OK) return st;
    const buffer in[] = {{"input", grad_weight ? input : NULL, op.bytes[CONVND_TENSOR_INPUT]},
                         {"weight", grad_input ? weight : NULL, op.bytes[CONVND_TENSOR_WEIGHT]},
                         {"grad_output", grad_output, op.bytes[CONVND_TENSOR_OUTPUT]}};
    const buffer out[] = {{"grad_input", grad_input, op.bytes[CONVND_TENSOR_INPUT]},
                          {"grad_weight", grad_weight, op.bytes[CONVND_TENSOR_WEIGHT]},
                          {"grad_bias", grad_bias, op.bytes[CONVND_TENSOR_BIAS]}};
    st = check_disjoint(in, 3, out, 3, err);
    if (st != CONVND_OK) return st;
    const cnd_problem *p = &op.problem;
    if (grad_input)
        st = op.transposed ? e->forward(p, grad_output, weight, NULL, grad_input, err)
                           : e->backward_data(p, grad_output, weight, NULL, grad_input, err);
    if (st == CONVND_OK && grad_weight)
        st = op.transposed ? e->backward_weight(p, grad_output, input, grad_weight, err)
                           : e->backward_weight(p, input, grad_output, grad_weight, err);
    if (st == CONVND_OK && grad_bias)
        st = e->bias_grad(p->dtype, op.batch, g->out_channels, op.out_plane, grad_output, grad_bias, err);
    return st;
}
