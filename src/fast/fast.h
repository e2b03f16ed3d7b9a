/* fast.h -- the fast engine: convolution-aware packing and blocking around the micro-kernels
 * of kernels/ukernel.h. Built once per plan (layout.c), executed many times (fast_conv.c.h).
 *
 * The one idea: after a padded, stride-phase-split copy of the image side ("source"), every
 * tap of a conv reads the source at a constant offset from the output position, so a tile of
 * output positions along the last axis is a contiguous vector for every (channel, tap) term:
 *
 *     Xps[c][rho][m] = Xpad[c][m*S + rho]           (per axis; rho = stride phase)
 *     Y[o][q] = sum_{c,k} W[o,c,k] * Xps[c][rho(k)][q + floor(k*D/S)]     rho(k) = k*D mod S
 *
 * Output positions are walked as "runs" over the last two axes of the source's phase plane
 * (row pitch = source row length), so a 56-wide image is 58-lane rows, of which 2 are
 * discarded; no im2col matrix is ever built. The three computations:
 *   forward          igemm: rows = Y channels, terms = (c, k), source = Xps
 *   backward_data    one igemm per stride phase of X: rows = X channels, terms = (o, taps of
 *                    the phase), source = zero-padded dY; no inserted zeros are multiplied
 *   backward_weight  wgrad: dW[o,(c,k)] = sum_n sum_q dY[o,q] Xps[c][rho(k)][q + ...], the
 *                    whole reduction of one dW tile on one thread, in a fixed order.
 */
#ifndef CONVND_FAST_H
#define CONVND_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/ukernel.h"
#include "plan/engine.h"

#define CND_R CONVND_MAX_RANK
#define CND_MAX_NR 64 /* widest gemm tile any ISA may publish */
#define CND_MAX_WNR 16 /* widest cgemm tile */

/* A padded copy of a channels-first tensor, split by stride phase on every axis:
 *   packed[c][rho][m] = src[c][index[a][rho_a*M_a + m_a] per axis]  (0 where any index is -1) */
typedef struct cnd_source {
    int alias;                 /* 1: the packed copy is the tensor itself; nothing to copy */
    int64_t channels;          /* per sample */
    int64_t src_pitch[CND_R];  /* row-major pitches of the original plane */
    int64_t src_plane;
    int64_t S[CND_R], M[CND_R]; /* phases and phase-plane extent per axis */
    int64_t mpitch[CND_R];     /* row-major pitches of the phase plane */
    int64_t nph, pp;           /* phases (prod S), phase-plane elements (prod M) */
    int64_t cstride;           /* packed elements per channel (nph * pp) */
    int64_t extent;            /* packed elements in all, zeroed tail included */
    int64_t *index[CND_R];     /* per axis, S[a] * M[a] source coordinates or -1 */
    int64_t *lo, *hi;          /* last axis, per phase: the interior [lo, hi) where
                                  index = index[lo] + (m - lo) * S */
} cnd_source;

/* Runs of virtual positions over a box: u_a < size[a]; a run flattens axes first..rank-1 with
 * the source's pitches, v = sum_a u_a * spitch[a], so positions whose u_a >= size[a] on some
 * flattened axis (the padding columns and rows of the source) are computed and discarded.
 * first = rank - 2 for images; small boxes flatten more axes when that wastes fewer lanes. */
typedef struct cnd_runs {
    int first;                /* first flattened axis */
    int64_t size[CND_R];
    int64_t spitch[CND_R];    /* source pitch per axis (spitch[rank-1] = 1) */
    int64_t dstep[CND_R];     /* destination step per axis */
    int64_t dbase;            /* destination offset of u = 0 */
    int64_t outer;            /* runs: prod size[0 .. first-1] */
    int64_t run;              /* positions per run */
    int64_t *outer_src, *outer_dst; /* per run: source / destination offset of its first position */
} cnd_runs;

/* dst[g][m][u] = (bias) + sum_t A[g][m][t] * src[g*src_gstride + off[t] + v(u)] */
typedef struct cnd_igemm {
    int64_t rows, kc;          /* per group */
    ptrdiff_t *off;            /* kc source offsets */
    int64_t src_gstride;
    int64_t dst_cstride, dst_gstride;
    int64_t a_offset;          /* start of this igemm's panels in the packed weights */
    int64_t *tap_index;        /* backward_data: the full-kernel index of each of the
                                  kc / Y-channels taps of the phase; NULL for forward */
    int64_t nblocks, tiles;    /* row blocks (of mr) per group; position tiles (of nr) per run */
    int cvec;                  /* 0: gemm, row blocks of mr x tiles of nr positions of the runs;
                                  1: cgemm, row blocks of wmr (panels zero-padded) x tiles of wnr
                                  positions from an explicit list (nothing spent on padding
                                  columns: chosen when that wastes fewer lanes) */
    int64_t panel_rows;        /* rows per group in the packed panels */
    int64_t npos;              /* cvec: positions in the box, row-major */
    int blocks_outer;          /* loop order: 1 = a row block's panel is reused over all tiles
                                  (panels larger than the source), 0 = a tile's source rows
                                  are reused over all row blocks */
    cnd_runs runs;
} cnd_igemm;

typedef struct cnd_fast_plan {
    cnd_problem p;             /* normalised: rank >= 2 (see layout.c) */
    int rank;
    const cnd_ukernels *uk;
    size_t esize;
    int64_t cxg, cyg, taps;
    int64_t x_plane, y_plane;
    /* forward and backward_weight */
    cnd_source xsrc;
    cnd_igemm fwd;
    /* backward_data */
    cnd_source ysrc;
    int64_t nphases;
    cnd_igemm *bwd;            /* nphases entries */
    int fold;                  /* padding mode: gradient of the padded box, then folded */
    int64_t xpad_size[CND_R], xpad_plane;
    /* backward_weight */
    int wdot;                  /* 1: dot kernel (few Y channels per group), else wgrad */
    int64_t wmr, wnr, nob, ncol, ncb, chunk;
    ptrdiff_t *coloff;         /* ncb * wnr source offsets, the last repeated into padding */
    /* packed weight sizes (elements) and workspace (bytes, 64-aligned parts) per computation */
    int64_t a_fwd, a_bwd;
    size_t ws_forward, ws_backward_data, ws_backward_weight;
} cnd_fast_plan;

/* Builds the plan for problem p (valid) with kernels uk. Returns CONVND_OK, CONVND_EOVERFLOW
 * (a workspace too large) or CONVND_ENOMEM. */
convnd_status cnd_fast_plan_create(const cnd_problem *p, const cnd_ukernels *uk, cnd_fast_plan **out,
                                   convnd_error *err);
void cnd_fast_plan_destroy(cnd_fast_plan *fp);

/* Packs weights w (layout (Y channels, X channels / G, K...)) for the forward igemm (a_fwd
 * elements at dst) or the backward_data igemms (a_bwd elements). Single-threaded. */
void cnd_fast_pack_forward(const cnd_fast_plan *fp, const void *w, void *dst);
void cnd_fast_pack_backward_data(const cnd_fast_plan *fp, const void *w, void *dst);

/* The three computations (formulas in plan/engine.h). `packed`: weights packed by the
 * matching cnd_fast_pack_*, or NULL to pack `w` into the workspace. `ws`: the computation's
 * workspace (ws_* bytes, 64-aligned). Deterministic for any thread count. */
void cnd_fast_forward(const cnd_fast_plan *fp, int threads, const void *x, const void *w, const void *packed,
                      const void *bias, void *y, void *ws);
void cnd_fast_backward_data(const cnd_fast_plan *fp, int threads, const void *y, const void *w,
                            const void *packed, const void *bias, void *x, void *ws);
void cnd_fast_backward_weight(const cnd_fast_plan *fp, int threads, const void *x, const void *y, void *w,
                              void *ws);

/* Workspace parts: byte offsets are rounded up to 64. */
static inline size_t cnd_align64(size_t n) { return (n + 63) & ~(size_t)63; }

#endif
