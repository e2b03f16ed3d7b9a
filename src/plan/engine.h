/* engine.h -- the conv-side view of all six operations, and the engine contract.
 *
 * Duality (SPEC-NOTES): a transposed conv is the adjoint of the conv that maps its output back
 * to its input. So every operation is one of three computations on a *conv problem* from an
 * image side X (padded, read through the padding mode) to a result side Y:
 *
 *     forward          Y[n,o,q] = sum_{c in group(o)} sum_k Xpad[n,c, q*S + k*D - P_lo] * W[o,c',k] (+ b[o])
 *     backward_data    X[n,c,i] = fold( sum_{o in group(c)} sum_k Y[n,o,(j + P_lo - k*D)/S] * W[o,c',k] ) (+ b[c])
 *     backward_weight  W[o,c',k] = sum_n sum_q Xpad[n,c, q*S + k*D - P_lo] * Y[n,o,q]
 *
 * with W laid out (Y channels, X channels / G, K...). A conv has X = its input, Y = its output;
 * a transposed conv has X = its output, Y = its input (its weight (C_in, C_out/G, K...) is
 * exactly that layout). plan.c does the mapping; the reference engine (this contract) and the
 * fast engine (fast/fast.h) implement the three.
 */
#ifndef CONVND_PLAN_ENGINE_H
#define CONVND_PLAN_ENGINE_H

#include "internal.h"

typedef struct cnd_problem {
    int rank;
    convnd_dtype dtype;
    convnd_padding_mode mode;         /* how X is read outside [0, x_size) */
    int64_t batch;                    /* N >= 1 */
    int64_t groups;
    int64_t x_channels, y_channels;
    int64_t x_size[CONVND_MAX_RANK];  /* image side, unpadded */
    int64_t y_size[CONVND_MAX_RANK];  /* result side; explicit, not derived from x_size */
    int64_t kernel[CONVND_MAX_RANK];
    int64_t stride[CONVND_MAX_RANK];
    int64_t dilation[CONVND_MAX_RANK];
    int64_t pad_lo[CONVND_MAX_RANK];
    int64_t pad_hi[CONVND_MAX_RANK];  /* extent of the padded box: fold targets of backward_data */
} cnd_problem;

/* Product of the first `rank` sizes (validated geometry: cannot overflow). */
static inline int64_t cnd_volume(int rank, const int64_t *size) {
    int64_t v = 1;
    for (int a = 0; a < rank; a++) v *= size[a];
    return v;
}

/* Row-major odometer: advances idx within dims; returns 0 when it wraps back to all zeros
 * (the spec's foldlIndices order: last axis fastest). */
static inline int cnd_next_index(int rank, const int64_t *dims, int64_t *idx) {
    for (int a = rank - 1; a >= 0; a--) {
        if (++idx[a] < dims[a]) return 1;
        idx[a] = 0;
    }
    return 0;
}

/* An engine: buffers hold p->dtype elements. `bias` may be NULL. Outputs are fully
 * overwritten. Returns CONVND_OK or CONVND_ENOMEM. */
typedef struct cnd_engine {
    const char *name;
    convnd_status (*forward)(const cnd_problem *p, const void *x, const void *w, const void *bias, void *y,
                             convnd_error *err);
    convnd_status (*backward_data)(const cnd_problem *p, const void *y, const void *w, const void *bias, void *x,
                                   convnd_error *err);
    convnd_status (*backward_weight)(const cnd_problem *p, const void *x, const void *y, void *w, convnd_error *err);
    /* db[c] = sum_n sum_q g[n,c,q] over a (batch, channels, plane) tensor */
    convnd_status (*bias_grad)(convnd_dtype dtype, int64_t batch, int64_t channels, int64_t plane, const void *g,
                               void *db, convnd_error *err);
} cnd_engine;

extern const cnd_engine cnd_ref_engine;

#endif
