/* ref_conv.c -- the reference engine: the template ref_conv.c.h instantiated for float and
 * double, behind the engine contract of plan/engine.h. It allocates nothing and never fails. */
#include "ref/ref_index.h"

#define CND_T float
#define CND_FN(name) name##_f32
#include "ref/ref_conv.c.h"
#undef CND_T
#undef CND_FN

#define CND_T double
#define CND_FN(name) name##_f64
#include "ref/ref_conv.c.h"
#undef CND_T
#undef CND_FN

static convnd_status ref_forward(const cnd_problem *p, const void *x, const void *w, const void *bias, void *y,
                                 convnd_error *err) {
    if (p->dtype == CONVND_FLOAT64)
        ref_forward_f64(p, x, w, bias, y);
    else
        ref_forward_f32(p, x, w, bias, y);
    return cnd_ok(err);
}

static convnd_status ref_backward_data(const cnd_problem *p, const void *y, const void *w, const void *bias, void *x,
                                       convnd_error *err) {
    if (p->dtype == CONVND_FLOAT64)
        ref_backward_data_f64(p, y, w, bias, x);
    else
        ref_backward_data_f32(p, y, w, bias, x);
    return cnd_ok(err);
}

static convnd_status ref_backward_weight(const cnd_problem *p, const void *x, const void *y, void *w,
                                         convnd_error *err) {
    if (p->dtype == CONVND_FLOAT64)
        ref_backward_weight_f64(p, x, y, w);
    else
        ref_backward_weight_f32(p, x, y, w);
    return cnd_ok(err);
}

static convnd_status ref_bias_grad(convnd_dtype dtype, int64_t batch, int64_t channels, int64_t plane, const void *g,
                                   void *db, convnd_error *err) {
    if (dtype == CONVND_FLOAT64)
        ref_bias_grad_f64(batch, channels, plane, g, db);
    else
        ref_bias_grad_f32(batch, channels, plane, g, db);
    return cnd_ok(err);
}

const cnd_engine cnd_ref_engine = {"ref", ref_forward, ref_backward_data, ref_backward_weight, ref_bias_grad};
