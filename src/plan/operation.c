/* operation.c -- the one-shot operations: create a plan, execute it, destroy it. Plan
 * creation costs microseconds, so a caller who does not keep plans loses little. */
#include "convnd.h"
#include "internal.h"

convnd_status convnd_forward(const convnd_geometry *g, convnd_engine engine, const void *input, const void *weight,
                             const void *bias, void *output, convnd_error *err) {
    convnd_plan_options opt;
    convnd_plan_options_init(&opt);
    opt.engine = engine;
    convnd_plan *plan = NULL;
    convnd_status st = convnd_plan_create(g, &opt, &plan, err);
    if (st == CONVND_OK) st = convnd_plan_forward(plan, input, weight, bias, output, NULL, err);
    convnd_plan_destroy(plan);
    return st;
}

convnd_status convnd_backward(const convnd_geometry *g, convnd_engine engine, const void *input, const void *weight,
                              const void *grad_output, void *grad_input, void *grad_weight, void *grad_bias,
                              convnd_error *err) {
    convnd_plan_options opt;
    convnd_plan_options_init(&opt);
    opt.engine = engine;
    convnd_plan *plan = NULL;
    convnd_status st = convnd_plan_create(g, &opt, &plan, err);
    if (st == CONVND_OK)
        st = convnd_plan_backward(plan, input, weight, grad_output, grad_input, grad_weight, grad_bias, NULL, err);
    convnd_plan_destroy(plan);
    return st;
}
