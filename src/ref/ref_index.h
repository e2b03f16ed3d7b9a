/* ref_index.h -- the spec's index maps, per axis, for the reference engine.
 *
 * Conv tap (the spec's mkInputIdx?):  j = q*S + k*D - P_lo, read through the padding mode.
 * Transposed tap (mkTransposeInputIdx?): q = (j + P_lo - k*D) / S when that is a non-negative
 * multiple of S. */
#ifndef CONVND_REF_INDEX_H
#define CONVND_REF_INDEX_H

#include "plan/engine.h"

/* Maps a padded position j (P_lo <= j + P_lo < I + P_lo + P_hi) into [0, size) the way the
 * padding mode reads it; -1 for a zeros-mode padding position. */
static inline int64_t ref_fold(convnd_padding_mode mode, int64_t j, int64_t size) {
    if (j >= 0 && j < size) return j;
    switch (mode) {
    case CONVND_PAD_REFLECT: return j < 0 ? -j : 2 * (size - 1) - j;  /* validated: P < size */
    case CONVND_PAD_REPLICATE: return j < 0 ? 0 : size - 1;
    case CONVND_PAD_CIRCULAR: return ((j % size) + size) % size;       /* validated: P <= size */
    case CONVND_PAD_ZEROS: break;
    }
    return -1;
}

/* Offset within one X channel plane read by result position q through tap k, or -1 when the
 * tap meets zero padding on some axis. */
static inline int64_t ref_source_offset(const cnd_problem *p, const int64_t *q, const int64_t *k) {
    int64_t off = 0;
    for (int a = 0; a < p->rank; a++) {
        int64_t j = ref_fold(p->mode, q[a] * p->stride[a] + k[a] * p->dilation[a] - p->pad_lo[a], p->x_size[a]);
        if (j < 0) return -1;
        off = off * p->x_size[a] + j;
    }
    return off;
}

typedef enum ref_tap { REF_TAP_NONE, REF_TAP_INSIDE, REF_TAP_OUTSIDE } ref_tap;

/* For padded X position j and tap k: NONE when j + P_lo - k*D is negative or not a multiple of
 * S on some axis (no result position reads j through k); otherwise the result position
 * q = (j + P_lo - k*D)/S, INSIDE with *offset its offset in a Y plane when q < y_size on every
 * axis, else OUTSIDE (the spec's getAtOrZero reads 0 there). */
static inline ref_tap ref_transpose_source(const cnd_problem *p, const int64_t *j, const int64_t *k, int64_t *offset) {
    int64_t off = 0;
    int inside = 1;
    for (int a = 0; a < p->rank; a++) {
        int64_t t = j[a] + p->pad_lo[a] - k[a] * p->dilation[a];
        if (t < 0 || t % p->stride[a] != 0) return REF_TAP_NONE;
        t /= p->stride[a];
        if (t >= p->y_size[a]) inside = 0;
        off = off * p->y_size[a] + t;
    }
    *offset = off;
    return inside ? REF_TAP_INSIDE : REF_TAP_OUTSIDE;
}

#endif
