/* plan.c -- the public plan API: validate once, map the operation onto the conv problem
 * (plan/engine.h), choose the engine and micro-kernels, pack weights; then execute. The six
 * operations are three computations with the sides swapped:
 *
 *                     conv (X = input, Y = output)     transposed (X = output, Y = input)
 *   forward           Y = forward(X)                   X = backward_data(Y)
 *   grad_input        gX = backward_data(gY)           gY = forward(gX)
 *   grad_weight       backward_weight(X=x, Y=gy)       backward_weight(X=gy, Y=x)
 *   grad_bias         sum of gY                        sum of gX
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/fast.h"
#include "plan/engine.h"
#include "spec/geometry.h"
#include "threads/threads.h"

struct convnd_plan {
    convnd_geometry geometry;
    cnd_problem problem;
    size_t bytes[4];      /* per convnd_tensor */
    int64_t out_plane;    /* positions of the op's output (for the bias gradient) */
    convnd_engine engine;
    int threads;
    cnd_fast_plan *fast;  /* AUTO only */
    void *packed_fwd;     /* packed weights (AUTO: panels of the conv problem's forward and */
    void *packed_bwd;     /* backward_data; REF: packed_fwd is a plain copy), or NULL */
    size_t workspace;
    char describe[192];
};

static convnd_status prepare(const convnd_geometry *g, convnd_plan *plan, convnd_error *err) {
    int64_t out_size[CONVND_MAX_RANK], counts[4];
    convnd_status st = cnd_geometry_analyse(g, out_size, counts, err);
    if (st != CONVND_OK) return st;
    plan->geometry = *g;
    for (int t = CONVND_TENSOR_INPUT; t <= CONVND_TENSOR_OUTPUT; t++)
        plan->bytes[t] = (size_t)counts[t] * cnd_dtype_size(g->dtype); /* validated: fits in size_t */
    cnd_problem *p = &plan->problem;
    memset(p, 0, sizeof *p);
    plan->out_plane = cnd_volume(g->rank, out_size);
    p->rank = g->rank;
    p->dtype = g->dtype;
    p->mode = g->padding_mode;
    p->batch = g->batch == CONVND_UNBATCHED ? 1 : g->batch;
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

void convnd_plan_options_init(convnd_plan_options *opt) {
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->engine = CONVND_ENGINE_AUTO;
}

void convnd_plan_destroy(convnd_plan *plan) {
    if (!plan) return;
    cnd_fast_plan_destroy(plan->fast);
    free(plan->packed_fwd);
    free(plan->packed_bwd);
    free(plan);
}

static void *alloc64(size_t bytes) {
    return aligned_alloc(64, cnd_align64(bytes ? bytes : 1));
}

static convnd_status pack_weights(convnd_plan *plan, const void *weight, convnd_error *err) {
    const size_t es = cnd_dtype_size(plan->geometry.dtype);
    if (!plan->fast) {
        plan->packed_fwd = alloc64(plan->bytes[CONVND_TENSOR_WEIGHT]);
        if (!plan->packed_fwd) return cnd_fail(err, CONVND_ENOMEM, "out of memory packing the weights");
        memcpy(plan->packed_fwd, weight, plan->bytes[CONVND_TENSOR_WEIGHT]);
        return CONVND_OK;
    }
    plan->packed_fwd = alloc64((size_t)plan->fast->a_fwd * es);
    plan->packed_bwd = alloc64((size_t)plan->fast->a_bwd * es);
    if (!plan->packed_fwd || !plan->packed_bwd) return cnd_fail(err, CONVND_ENOMEM, "out of memory packing the weights");
    cnd_fast_pack_forward(plan->fast, weight, plan->packed_fwd);
    cnd_fast_pack_backward_data(plan->fast, weight, plan->packed_bwd);
    return CONVND_OK;
}

static void describe(convnd_plan *plan, const cnd_isa *isa) {
    const char *dt = cnd_dtype_name(plan->geometry.dtype);
    if (!plan->fast) {
        snprintf(plan->describe, sizeof plan->describe, "ref: reference loops, %s, 1 thread", dt);
        return;
    }
    const cnd_fast_plan *fp = plan->fast;
    int cvec_bwd = 0;
    for (int64_t i = 0; i < fp->nphases; i++) cvec_bwd |= fp->bwd[i].cvec;
    snprintf(plan->describe, sizeof plan->describe,
             "auto: %s %s; forward %s %dx%d, backward-data %s x %lld stride phase%s, weight %s %lldx%lld; %d thread%s%s",
             isa->name, dt, fp->fwd.cvec ? "cgemm" : "gemm", fp->fwd.cvec ? fp->uk->wmr : fp->uk->mr,
             fp->fwd.cvec ? fp->uk->wnr : fp->uk->nr, cvec_bwd ? "cgemm" : "gemm", (long long)fp->nphases,
             fp->nphases == 1 ? "" : "s", fp->wdot ? "dot" : "wgrad", (long long)fp->wmr, (long long)fp->wnr,
             plan->threads, plan->threads == 1 ? "" : "s", plan->packed_fwd ? ", weights packed" : "");
}

convnd_status convnd_plan_create(const convnd_geometry *g, const convnd_plan_options *opt, convnd_plan **out,
                                 convnd_error *err) {
    if (!out) return cnd_fail(err, CONVND_EINVAL, "plan pointer is NULL");
    *out = NULL;
    convnd_plan_options defaults;
    convnd_plan_options_init(&defaults);
    if (!opt) opt = &defaults;
    convnd_plan *plan = calloc(1, sizeof *plan);
    if (!plan) return cnd_fail(err, CONVND_ENOMEM, "out of memory creating a plan");
    convnd_status st = g ? prepare(g, plan, err) : cnd_fail(err, CONVND_EINVAL, "geometry pointer is NULL");
    if (st == CONVND_OK && opt->engine != CONVND_ENGINE_AUTO && opt->engine != CONVND_ENGINE_REF)
        st = cnd_fail(err, CONVND_EINVAL, "engine %d is not a convnd_engine", (int)opt->engine);
    if (st == CONVND_OK && (opt->threads < 0 || opt->threads > CONVND_MAX_THREADS))
        st = cnd_fail(err, CONVND_EINVAL, "threads %d is not 0 (default) or 1..%d", opt->threads, CONVND_MAX_THREADS);
    if (st == CONVND_OK) {
        plan->engine = opt->engine;
        plan->threads = opt->threads;
        if (plan->threads == 0) st = cnd_threads_default(&plan->threads, err);
        if (!cnd_threads_available()) plan->threads = 1;
    }
    const cnd_isa *isa = NULL;
    if (st == CONVND_OK && plan->engine == CONVND_ENGINE_AUTO) {
        isa = cnd_isa_select(err);
        st = isa ? cnd_fast_plan_create(&plan->problem, cnd_isa_kernels(isa, g->dtype), &plan->fast, err)
                 : (err ? err->code : CONVND_EUNSUPPORTED);
    }
    if (st == CONVND_OK && opt->weight) st = pack_weights(plan, opt->weight, err);
    if (st != CONVND_OK) {
        convnd_plan_destroy(plan);
        return st;
    }
    if (plan->fast) {
        const cnd_fast_plan *fp = plan->fast;
        size_t ws = fp->ws_forward;
        if (fp->ws_backward_data > ws) ws = fp->ws_backward_data;
        if (fp->ws_backward_weight > ws) ws = fp->ws_backward_weight;
        plan->workspace = ws;
    } else {
        plan->threads = 1;
    }
    describe(plan, isa);
    *out = plan;
    return cnd_ok(err);
}

size_t convnd_plan_workspace_size(const convnd_plan *plan) { return plan ? plan->workspace : 0; }

const char *convnd_plan_describe(const convnd_plan *plan) { return plan ? plan->describe : ""; }

const convnd_geometry *convnd_plan_geometry(const convnd_plan *plan) { return plan ? &plan->geometry : NULL; }

/* ---- argument checks ------------------------------------------------------------------ */

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

/* weight, or the plan's packed weights when weight is NULL. */
static convnd_status require_weight(const convnd_plan *plan, const void *weight, const char *name,
                                    convnd_error *err) {
    if (weight || plan->packed_fwd) return CONVND_OK;
    return cnd_fail(err, CONVND_EINVAL, "%s pointer is NULL and the plan has no packed weights", name);
}

/* Scratch for one call: the caller's (checked) or our own (*owned, freed by the caller). */
static convnd_status get_workspace(const convnd_plan *plan, void *workspace, char **ws, void **owned,
                                   convnd_error *err) {
    *owned = NULL;
    *ws = workspace;
    if (workspace && (uintptr_t)workspace % 64)
        return cnd_fail(err, CONVND_EINVAL, "workspace %p is not 64-byte aligned", workspace);
    if (workspace || !plan->fast) return CONVND_OK;
    *owned = alloc64(plan->workspace);
    if (!*owned) return cnd_fail(err, CONVND_ENOMEM, "out of memory allocating a %zu-byte workspace", plan->workspace);
    *ws = *owned;
    return CONVND_OK;
}

/* ---- the three computations, on either engine ------------------------------------------- */

static convnd_status run_forward(const convnd_plan *plan, const void *x, const void *w, const void *bias, void *y,
                                 char *ws, convnd_error *err) {
    if (!plan->fast) return cnd_ref_engine.forward(&plan->problem, x, w ? w : plan->packed_fwd, bias, y, err);
    cnd_fast_forward(plan->fast, plan->threads, x, w, w ? NULL : plan->packed_fwd, bias, y, ws);
    return CONVND_OK;
}

static convnd_status run_backward_data(const convnd_plan *plan, const void *y, const void *w, const void *bias,
                                       void *x, char *ws, convnd_error *err) {
    if (!plan->fast) return cnd_ref_engine.backward_data(&plan->problem, y, w ? w : plan->packed_fwd, bias, x, err);
    cnd_fast_backward_data(plan->fast, plan->threads, y, w, w ? NULL : plan->packed_bwd, bias, x, ws);
    return CONVND_OK;
}

static convnd_status run_backward_weight(const convnd_plan *plan, const void *x, const void *y, void *w, char *ws,
                                         convnd_error *err) {
    if (!plan->fast) return cnd_ref_engine.backward_weight(&plan->problem, x, y, w, err);
    cnd_fast_backward_weight(plan->fast, plan->threads, x, y, w, ws);
    return CONVND_OK;
}

convnd_status convnd_plan_forward(const convnd_plan *plan, const void *input, const void *weight, const void *bias,
                                  void *output, void *workspace, convnd_error *err) {
    if (!plan) return cnd_fail(err, CONVND_EINVAL, "plan pointer is NULL");
    convnd_status st = require(input, "input", err);
    if (st == CONVND_OK) st = require_weight(plan, weight, "weight", err);
    if (st == CONVND_OK) st = require(output, "output", err);
    if (st != CONVND_OK) return st;
    const buffer in[] = {{"input", input, plan->bytes[CONVND_TENSOR_INPUT]},
                         {"weight", weight, plan->bytes[CONVND_TENSOR_WEIGHT]},
                         {"bias", bias, plan->bytes[CONVND_TENSOR_BIAS]},
                         {"workspace", workspace, plan->workspace}};
    const buffer out[] = {{"output", output, plan->bytes[CONVND_TENSOR_OUTPUT]}};
    st = check_disjoint(in, 4, out, 1, err);
    char *ws;
    void *owned;
    if (st == CONVND_OK) st = get_workspace(plan, workspace, &ws, &owned, err);
    if (st != CONVND_OK) return st;
    st = plan->geometry.transposed ? run_backward_data(plan, input, weight, bias, output, ws, err)
                                   : run_forward(plan, input, weight, bias, output, ws, err);
    free(owned);
    return st == CONVND_OK ? cnd_ok(err) : st;
}

convnd_status convnd_plan_backward(const convnd_plan *plan, const void *input, const void *weight,
                                   const void *grad_output, void *grad_input, void *grad_weight, void *grad_bias,
                                   void *workspace, convnd_error *err) {
    if (!plan) return cnd_fail(err, CONVND_EINVAL, "plan pointer is NULL");
    convnd_status st = require(grad_output, "grad_output", err);
    if (st == CONVND_OK && !grad_input && !grad_weight && !grad_bias)
        st = cnd_fail(err, CONVND_EINVAL, "grad_input, grad_weight and grad_bias are all NULL; nothing to compute");
    if (st == CONVND_OK && grad_input) st = require_weight(plan, weight, "weight (needed for grad_input)", err);
    if (st == CONVND_OK && grad_weight) st = require(input, "input (needed for grad_weight)", err);
    if (st != CONVND_OK) return st;
    const buffer in[] = {{"input", grad_weight ? input : NULL, plan->bytes[CONVND_TENSOR_INPUT]},
                         {"weight", grad_input ? weight : NULL, plan->bytes[CONVND_TENSOR_WEIGHT]},
                         {"grad_output", grad_output, plan->bytes[CONVND_TENSOR_OUTPUT]},
                         {"workspace", workspace, plan->workspace}};
    const buffer out[] = {{"grad_input", grad_input, plan->bytes[CONVND_TENSOR_INPUT]},
                          {"grad_weight", grad_weight, plan->bytes[CONVND_TENSOR_WEIGHT]},
                          {"grad_bias", grad_bias, plan->bytes[CONVND_TENSOR_BIAS]}};
    st = check_disjoint(in, 4, out, 3, err);
    char *ws;
    void *owned;
    if (st == CONVND_OK) st = get_workspace(plan, workspace, &ws, &owned, err);
    if (st != CONVND_OK) return st;
    const int transposed = plan->geometry.transposed;
    if (grad_input)
        st = transposed ? run_forward(plan, grad_output, weight, NULL, grad_input, ws, err)
                        : run_backward_data(plan, grad_output, weight, NULL, grad_input, ws, err);
    if (st == CONVND_OK && grad_weight)
        st = transposed ? run_backward_weight(plan, grad_output, input, grad_weight, ws, err)
                        : run_backward_weight(plan, input, grad_output, grad_weight, ws, err);
    if (st == CONVND_OK && grad_bias)
        st = cnd_ref_engine.bias_grad(plan->problem.dtype, plan->problem.batch, plan->geometry.out_channels,
                                      plan->out_plane, grad_output, grad_bias, err);
    free(owned);
    return st == CONVND_OK ? cnd_ok(err) : st;
}
