/* fast_conv.c -- the fast engine's computations, instantiated for float and double. */
#include <string.h>

#include "fast/fast.h"
#include "ref/ref_index.h"
#include "threads/threads.h"

#define CND_T float
#define CND_FN(name) name##_f32
#include "fast/fast_conv.c.h"
#undef CND_T
#undef CND_FN

#define CND_T double
#define CND_FN(name) name##_f64
#include "fast/fast_conv.c.h"
#undef CND_T
#undef CND_FN

void cnd_fast_pack_forward(const cnd_fast_plan *fp, const void *w, void *dst) {
    if (fp->p.dtype == CONVND_FLOAT64)
        pack_weights_f64(fp, &fp->fwd, 1, w, dst, 0, 0, 1);
    else
        pack_weights_f32(fp, &fp->fwd, 1, w, dst, 0, 0, 1);
}

void cnd_fast_pack_backward_data(const cnd_fast_plan *fp, const void *w, void *dst) {
    if (fp->p.dtype == CONVND_FLOAT64)
        pack_weights_f64(fp, fp->bwd, fp->nphases, w, dst, 1, 0, 1);
    else
        pack_weights_f32(fp, fp->bwd, fp->nphases, w, dst, 1, 0, 1);
}

void cnd_fast_forward(const cnd_fast_plan *fp, int threads, const void *x, const void *w, const void *packed,
                      const void *bias, void *y, void *ws) {
    if (fp->p.dtype == CONVND_FLOAT64)
        forward_f64(fp, threads, x, w, packed, bias, y, ws);
    else
        forward_f32(fp, threads, x, w, packed, bias, y, ws);
}

void cnd_fast_backward_data(const cnd_fast_plan *fp, int threads, const void *y, const void *w,
                            const void *packed, const void *bias, void *x, void *ws) {
    if (fp->p.dtype == CONVND_FLOAT64)
        backward_data_f64(fp, threads, y, w, packed, bias, x, ws);
    else
        backward_data_f32(fp, threads, y, w, packed, bias, x, ws);
}

void cnd_fast_backward_weight(const cnd_fast_plan *fp, int threads, const void *x, const void *y, void *w,
                              void *ws) {
    if (fp->p.dtype == CONVND_FLOAT64)
        backward_weight_f64(fp, threads, x, y, w, ws);
    else
        backward_weight_f32(fp, threads, x, y, w, ws);
}
