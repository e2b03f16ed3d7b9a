/* layout.c -- building a fast plan: normalised geometry, source packings, offset tables,
 * runs, tiles and workspace sizes (fast.h). Everything here runs once per plan. */
#include <stdlib.h>
#include <string.h>

#include "fast/fast.h"
#include "ref/ref_index.h"

static int64_t ceil_div(int64_t a, int64_t b) { return a <= 0 ? -((-a) / b) : (a + b - 1) / b; }
static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* Rank >= 2 for the runs: a 1x1, stride-1, unpadded conv of any rank is a 1-D one over the
 * flattened plane (a plain GEMM); a rank-1 problem gets a leading unit axis. */
static void normalise(const cnd_problem *in, cnd_problem *p) {
    *p = *in;
    int pointwise = 1;
    for (int a = 0; a < in->rank; a++)
        if (in->kernel[a] != 1 || in->stride[a] != 1 || in->pad_lo[a] || in->pad_hi[a] ||
            in->x_size[a] != in->y_size[a])
            pointwise = 0;
    if (pointwise || in->rank == 1) {
        int64_t xs = cnd_volume(in->rank, in->x_size), ys = cnd_volume(in->rank, in->y_size);
        p->rank = 2;
        p->x_size[0] = p->y_size[0] = p->kernel[0] = p->stride[0] = p->dilation[0] = 1;
        p->pad_lo[0] = p->pad_hi[0] = 0;
        p->x_size[1] = xs;
        p->y_size[1] = ys;
        p->kernel[1] = in->kernel[0];
        p->stride[1] = in->stride[0];
        p->dilation[1] = in->dilation[0];
        p->pad_lo[1] = pointwise ? 0 : in->pad_lo[0];
        p->pad_hi[1] = pointwise ? 0 : in->pad_hi[0];
        if (pointwise) p->kernel[1] = p->stride[1] = p->dilation[1] = 1;
    }
}

static void row_major(int rank, const int64_t *size, int64_t *pitch) {
    int64_t v = 1;
    for (int a = rank - 1; a >= 0; a--) {
        pitch[a] = v;
        v *= size[a];
    }
}

/* size += bytes of n elements, 64-aligned; returns 1 on overflow. */
static int grow(size_t *size, int64_t n, size_t esize) {
    if (n < 0 || (uint64_t)n > (SIZE_MAX - 64 - *size) / esize) return 1;
    *size += cnd_align64((size_t)n * esize);
    return 0;
}

static void source_free(cnd_source *s) {
    for (int a = 0; a < CND_R; a++) free(s->index[a]);
    free(s->lo);
    free(s->hi);
}

/* Fills s->index for axis a from a coordinate map: coord(r, m) in [0, size) or -1. The last
 * axis also gets its interior ranges (index affine in m with step S). */
typedef int64_t (*coord_fn)(const cnd_problem *p, int a, int64_t r, int64_t m, const int64_t *extra);

static convnd_status source_init(const cnd_problem *p, int64_t channels, const int64_t *src_size,
                                 const int64_t *S, const int64_t *M, coord_fn coord, const int64_t *extra,
                                 cnd_source *s, convnd_error *err) {
    const int rank = p->rank;
    memset(s, 0, sizeof *s);
    s->channels = channels;
    row_major(rank, src_size, s->src_pitch);
    s->src_plane = cnd_volume(rank, src_size);
    s->nph = 1;
    s->pp = 1;
    int identity = 1;
    for (int a = 0; a < rank; a++) {
        s->S[a] = S[a];
        s->M[a] = M[a];
        s->nph *= S[a];
        s->pp *= M[a];
        s->index[a] = malloc((size_t)(S[a] * M[a]) * sizeof(int64_t));
        if (!s->index[a]) return cnd_fail(err, CONVND_ENOMEM, "out of memory building a plan");
        for (int64_t r = 0; r < S[a]; r++)
            for (int64_t m = 0; m < M[a]; m++) {
                int64_t c = coord(p, a, r, m, extra);
                s->index[a][r * M[a] + m] = c;
                if (c != m || S[a] != 1 || M[a] != src_size[a]) identity = 0;
            }
    }
    row_major(rank, s->M, s->mpitch);
    const int last = rank - 1;
    s->lo = malloc((size_t)S[last] * sizeof(int64_t));
    s->hi = malloc((size_t)S[last] * sizeof(int64_t));
    if (!s->lo || !s->hi) return cnd_fail(err, CONVND_ENOMEM, "out of memory building a plan");
    for (int64_t r = 0; r < S[last]; r++) {
        const int64_t *ix = s->index[last] + r * M[last];
        int64_t lo = 0;
        while (lo < M[last] && ix[lo] < 0) lo++;
        int64_t hi = lo;
        while (hi < M[last] && ix[hi] >= 0 && ix[hi] == ix[lo] + (hi - lo) * S[last]) hi++;
        s->lo[r] = lo;
        s->hi[r] = hi;
    }
    s->cstride = s->nph * s->pp;
    s->alias = identity; /* until a run shorter than a tile reads past the tensor (source_check_alias) */
    if (cnd_mul(channels, s->cstride, &s->extent) || cnd_add(s->extent, 2 * CND_MAX_NR, &s->extent))
        return cnd_fail(err, CONVND_EOVERFLOW, "the packed copy of a tensor overflows int64");
    return CONVND_OK;
}

/* Forward source: Xps[c][rho][m] = Xpad[c][m*S + rho] read through the padding mode. */
static int64_t x_coord(const cnd_problem *p, int a, int64_t r, int64_t m, const int64_t *extra) {
    (void)extra;
    int64_t jp = m * p->stride[a] + r, jpad = p->x_size[a] + p->pad_lo[a] + p->pad_hi[a];
    if (jp >= jpad) return -1;
    return ref_fold(p->mode, jp - p->pad_lo[a], p->x_size[a]);
}

/* Backward-data source: dY with extra[a] zeros before it (extra[CND_R + a] unused). */
static int64_t y_coord(const cnd_problem *p, int a, int64_t r, int64_t m, const int64_t *extra) {
    (void)r;
    int64_t c = m - extra[a];
    return c >= 0 && c < p->y_size[a] ? c : -1;
}

static void runs_free(cnd_runs *r) {
    free(r->outer_src);
    free(r->outer_dst);
}

/* Chooses how many trailing axes a run flattens: the most valid positions per computed lane
 * (tiles of nr), preferring fewer axes unless more win by 2%. */
static int runs_first_axis(int rank, const int64_t *size, const int64_t *spitch, int64_t nr) {
    int best = rank - 2;
    double best_eff = 0;
    for (int first = rank - 2; first >= 0; first--) {
        int64_t run = 1, valid = 1;
        for (int a = first; a < rank; a++) {
            run += (size[a] - 1) * spitch[a];
            valid *= size[a];
        }
        double eff = (double)valid / (double)(((run + nr - 1) / nr) * nr);
        if (eff > best_eff * 1.02) {
            best = first;
            best_eff = eff;
        }
    }
    return best;
}

static convnd_status runs_init(int rank, const int64_t *size, const int64_t *spitch, const int64_t *dstep,
                               int64_t dbase, int64_t nr, cnd_runs *r, convnd_error *err) {
    memset(r, 0, sizeof *r);
    for (int a = 0; a < rank; a++) {
        r->size[a] = size[a];
        r->spitch[a] = spitch[a];
        r->dstep[a] = dstep[a];
    }
    r->dbase = dbase;
    r->first = runs_first_axis(rank, size, spitch, nr);
    r->outer = cnd_volume(r->first, size);
    r->run = 1;
    for (int a = r->first; a < rank; a++) r->run += (size[a] - 1) * spitch[a];
    r->outer_src = malloc((size_t)r->outer * sizeof(int64_t));
    r->outer_dst = malloc((size_t)r->outer * sizeof(int64_t));
    if (!r->outer_src || !r->outer_dst) return cnd_fail(err, CONVND_ENOMEM, "out of memory building a plan");
    int64_t u[CND_R] = {0};
    for (int64_t o = 0; o < r->outer; o++) {
        int64_t so = 0, d = dbase;
        for (int a = 0; a < r->first; a++) {
            so += u[a] * spitch[a];
            d += u[a] * dstep[a];
        }
        r->outer_src[o] = so;
        r->outer_dst[o] = d;
        cnd_next_index(r->first, size, u);
    }
    return CONVND_OK;
}

static void igemm_free(cnd_igemm *g) {
    free(g->off);
    free(g->tap_index);
    runs_free(&g->runs);
}

/* Tiles and blocks; cgemm over an explicit position list instead of gemm over the runs when
 * that spends 5% fewer lanes (small or high-rank boxes, where padding columns are many). */
static convnd_status igemm_blocks(cnd_igemm *g, int rank, const cnd_ukernels *uk, convnd_error *err) {
    const cnd_runs *r = &g->runs;
    const int64_t valid = cnd_volume(rank, r->size);
    g->nblocks = (g->rows + uk->mr - 1) / uk->mr;
    g->tiles = r->run > 0 ? (r->run + uk->nr - 1) / uk->nr : 0;
    g->panel_rows = g->rows;
    g->blocks_outer = g->rows * g->kc > g->src_gstride;
    if (!valid) return CONVND_OK;
    const int64_t cblocks = (g->rows + uk->wmr - 1) / uk->wmr, ctiles = (valid + uk->wnr - 1) / uk->wnr;
    const double eff_gemm = (double)valid / (double)(r->outer * g->tiles * uk->nr);
    const double eff_cgemm = (double)g->rows / (double)(cblocks * uk->wmr) * (double)valid / (double)(ctiles * uk->wnr);
    if (eff_cgemm <= eff_gemm * 1.05) return CONVND_OK;
    g->cvec = 1;
    g->nblocks = cblocks;
    g->tiles = ctiles;
    g->panel_rows = cblocks * uk->wmr;
    g->npos = valid;
    (void)err;
    return CONVND_OK;
}

/* A gemm tile of a run shorter than nr reads up to nr positions past the run's end: fine in a
 * packed copy (its extent has a zeroed tail), not in the user's tensor. */
static void source_check_alias(cnd_source *s, const cnd_igemm *g, int64_t count, const cnd_ukernels *uk) {
    for (int64_t i = 0; i < count; i++)
        if (!g[i].cvec && g[i].tiles && g[i].runs.run < uk->nr) s->alias = 0;
}

/* Forward: rows = Y channels, term t = c*T + k reads Xps[c][rho(k)][q + floor(k*D/S)]. */
static convnd_status forward_init(cnd_fast_plan *fp, convnd_error *err) {
    const cnd_problem *p = &fp->p;
    const int rank = p->rank;
    const cnd_source *s = &fp->xsrc;
    cnd_igemm *g = &fp->fwd;
    int64_t phase_pitch[CND_R], ypitch[CND_R];
    row_major(rank, s->S, phase_pitch);
    row_major(rank, p->y_size, ypitch);
    g->rows = fp->cyg;
    g->kc = fp->cxg * fp->taps;
    g->off = malloc((size_t)g->kc * sizeof(ptrdiff_t));
    if (!g->off) return cnd_fail(err, CONVND_ENOMEM, "out of memory building a plan");
    int64_t k[CND_R] = {0}, ki = 0;
    do {
        int64_t off = 0;
        for (int a = 0; a < rank; a++) {
            int64_t t = k[a] * p->dilation[a];
            off += (t % p->stride[a]) * phase_pitch[a] * s->pp + (t / p->stride[a]) * s->mpitch[a];
        }
        for (int64_t c = 0; c < fp->cxg; c++) g->off[c * fp->taps + ki] = (ptrdiff_t)(c * s->cstride + off);
        ki++;
    } while (cnd_next_index(rank, p->kernel, k));
    g->src_gstride = fp->cxg * s->cstride;
    g->dst_cstride = fp->y_plane;
    g->dst_gstride = fp->cyg * fp->y_plane;
    convnd_status st = runs_init(rank, p->y_size, s->mpitch, ypitch, 0, fp->uk->nr, &g->runs, err);
    if (st == CONVND_OK) st = igemm_blocks(g, rank, fp->uk, err);
    if (st != CONVND_OK) return st;
    fp->a_fwd = p->groups * g->panel_rows * g->kc;
    return CONVND_OK;
}

/* Per axis and stride residue rho, backward data: the taps k with k*D = rho (mod S), an
 * arithmetic progression first + i*step, their shifts e = (k*D - rho)/S, and the phase
 * positions m in [mlo, mlo + count) it computes. */
typedef struct axis_phase {
    int64_t ntaps, first, step, e_min, e_max;
    int64_t mlo, count;
} axis_phase;

static int64_t gcd(int64_t a, int64_t b) {
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void axis_phase_init(const cnd_problem *p, int fold, int a, int64_t rho, axis_phase *ph) {
    const int64_t S = p->stride[a], D = p->dilation[a], P = p->pad_lo[a];
    ph->ntaps = 0;
    ph->first = 0;
    ph->step = S / gcd(S, D % S ? D % S : S);
    ph->e_min = 0;
    ph->e_max = 0;
    for (int64_t k = 0; k < p->kernel[a] && k < ph->step; k++)
        if ((k * D) % S == rho) {
            ph->first = k;
            ph->ntaps = (p->kernel[a] - 1 - k) / ph->step + 1;
            ph->e_min = (k * D - rho) / S;
            ph->e_max = ((k + (ph->ntaps - 1) * ph->step) * D - rho) / S;
            break;
        }
    if (fold) {
        int64_t jpad = p->x_size[a] + P + p->pad_hi[a];
        ph->mlo = 0;
        ph->count = rho < jpad ? ceil_div(jpad - rho, S) : 0;
    } else {
        ph->mlo = ceil_div(P - rho, S);
        if (ph->mlo < 0) ph->mlo = 0;
        int64_t mhi = floor_div(p->x_size[a] - 1 + P - rho, S);
        ph->count = mhi >= ph->mlo ? mhi - ph->mlo + 1 : 0;
    }
}

static convnd_status backward_data_init(cnd_fast_plan *fp, convnd_error *err) {
    const cnd_problem *p = &fp->p;
    const int rank = p->rank;
    convnd_status st;
    /* The zero padding of dY that every phase's shifted reads stay inside: lo[a], extent E[a]. */
    int64_t pad[CND_R], E[CND_R];
    for (int a = 0; a < rank; a++) {
        pad[a] = 0;
        E[a] = p->y_size[a];
        for (int64_t r = 0; r < p->stride[a]; r++) {
            axis_phase ph;
            axis_phase_init(p, fp->fold, a, r, &ph);
            if (ph.ntaps && ph.count && ph.e_max - ph.mlo > pad[a]) pad[a] = ph.e_max - ph.mlo;
        }
        E[a] += pad[a];
        for (int64_t r = 0; r < p->stride[a]; r++) {
            axis_phase ph;
            axis_phase_init(p, fp->fold, a, r, &ph);
            if (ph.ntaps && ph.count && ph.mlo + ph.count - ph.e_min + pad[a] > E[a])
                E[a] = ph.mlo + ph.count - ph.e_min + pad[a];
        }
    }
    int64_t ones[CND_R];
    for (int a = 0; a < CND_R; a++) ones[a] = 1;
    st = source_init(p, p->y_channels, p->y_size, ones, E, y_coord, pad, &fp->ysrc, err);
    if (st != CONVND_OK) return st;
    const cnd_source *s = &fp->ysrc;

    int64_t dpitch[CND_R];
    row_major(rank, fp->fold ? fp->xpad_size : p->x_size, dpitch);
    const int64_t dplane = fp->fold ? fp->xpad_plane : fp->x_plane;
    fp->nphases = cnd_volume(rank, p->stride);
    fp->bwd = calloc((size_t)fp->nphases, sizeof(cnd_igemm));
    if (!fp->bwd) return cnd_fail(err, CONVND_ENOMEM, "out of memory building a plan");
    int64_t rho[CND_R] = {0}, a_offset = 0;
    for (int64_t ph_i = 0; ph_i < fp->nphases; ph_i++, cnd_next_index(rank, p->stride, rho)) {
        cnd_igemm *g = &fp->bwd[ph_i];
        axis_phase ph[CND_R];
        int64_t ntaps = 1, size[CND_R], dstep[CND_R], dbase = 0, tap_dims[CND_R];
        for (int a = 0; a < rank; a++) {
            axis_phase_init(p, fp->fold, a, rho[a], &ph[a]);
            ntaps *= ph[a].ntaps;
            tap_dims[a] = ph[a].ntaps;
            size[a] = ph[a].count;
            dstep[a] = p->stride[a] * dpitch[a];
            dbase += (ph[a].mlo * p->stride[a] + rho[a] - (fp->fold ? 0 : p->pad_lo[a])) * dpitch[a];
        }
        g->rows = fp->cxg;
        g->kc = fp->cyg * ntaps;
        g->src_gstride = fp->cyg * s->cstride;
        g->dst_cstride = dplane;
        g->dst_gstride = fp->cxg * dplane;
        g->a_offset = a_offset;
        if (cnd_volume(rank, size) == 0) continue; /* no X position in this phase */
        g->off = malloc((size_t)(g->kc ? g->kc : 1) * sizeof(ptrdiff_t));
        g->tap_index = malloc((size_t)(ntaps ? ntaps : 1) * sizeof(int64_t));
        if (!g->off || !g->tap_index) return cnd_fail(err, CONVND_ENOMEM, "out of memory building a plan");
        if (ntaps) {
            int64_t t[CND_R] = {0}, ti = 0;
            do {
                int64_t off = 0, full = 0;
                for (int a = 0; a < rank; a++) {
                    int64_t k = ph[a].first + t[a] * ph[a].step, e = (k * p->dilation[a] - rho[a]) / p->stride[a];
                    off += (ph[a].mlo - e + pad[a]) * s->mpitch[a];
                    full = full * p->kernel[a] + k;
                }
                g->tap_index[ti] = full;
                for (int64_t o = 0; o < fp->cyg; o++) g->off[o * ntaps + ti] = (ptrdiff_t)(o * s->cstride + off);
                ti++;
            } while (cnd_next_index(rank, tap_dims, t));
        }
        st = runs_init(rank, size, s->mpitch, dstep, dbase, fp->uk->nr, &g->runs, err);
        if (st == CONVND_OK) st = igemm_blocks(g, rank, fp->uk, err);
        if (st != CONVND_OK) return st;
        a_offset += p->groups * g->panel_rows * g->kc;
    }
    fp->a_bwd = a_offset;
    source_check_alias(&fp->ysrc, fp->bwd, fp->nphases, fp->uk);
    return CONVND_OK;
}

static convnd_status backward_weight_init(cnd_fast_plan *fp, convnd_error *err) {
    const cnd_ukernels *uk = fp->uk;
    fp->wdot = fp->cyg * 4 <= uk->wmr;
    fp->wmr = fp->wdot ? 1 : uk->wmr;
    fp->wnr = fp->wdot ? CND_DOT_ROWS : uk->wnr;
    fp->nob = (fp->cyg + fp->wmr - 1) / fp->wmr;
    fp->ncol = fp->cxg * fp->taps;
    fp->ncb = (fp->ncol + fp->wnr - 1) / fp->wnr;
    fp->coloff = malloc((size_t)(fp->ncb * fp->wnr) * sizeof(ptrdiff_t));
    if (!fp->coloff) return cnd_fail(err, CONVND_ENOMEM, "out of memory building a plan");
    for (int64_t j = 0; j < fp->ncb * fp->wnr; j++) fp->coloff[j] = fp->fwd.off[j < fp->ncol ? j : fp->ncol - 1];
    /* positions per kernel call: the A chunk (chunk x wmr) about 24 KB, so it and the B rows
     * stay in L1 while the thread's tiles sweep over them */
    int64_t chunk = 24576 / (fp->wmr * (int64_t)fp->esize);
    chunk = chunk < 64 ? 64 : chunk > 4096 ? 4096 : chunk;
    /* equal chunks, as many as the nominal size gives (rounded): no short last call */
    const int64_t run = fp->fwd.runs.run, chunks = (run + chunk / 2) / chunk;
    fp->chunk = chunks <= 1 ? run : (run + chunks - 1) / chunks;
    return CONVND_OK;
}

void cnd_fast_plan_destroy(cnd_fast_plan *fp) {
    if (!fp) return;
    source_free(&fp->xsrc);
    source_free(&fp->ysrc);
    igemm_free(&fp->fwd);
    if (fp->bwd)
        for (int64_t i = 0; i < fp->nphases; i++) igemm_free(&fp->bwd[i]);
    free(fp->bwd);
    free(fp->coloff);
    free(fp);
}

static convnd_status workspace_sizes(cnd_fast_plan *fp, convnd_error *err) {
    const size_t es = fp->esize;
    const cnd_runs *r = &fp->fwd.runs;
    size_t f = 0, b = 0, w = 0;
    int bad = 0;
    bad |= grow(&f, fp->xsrc.alias ? 0 : fp->xsrc.extent, es);
    bad |= grow(&f, fp->a_fwd, es);
    bad |= grow(&b, fp->ysrc.alias ? 0 : fp->ysrc.extent, es);
    bad |= grow(&b, fp->a_bwd, es);
    bad |= grow(&b, fp->fold ? fp->p.x_channels * fp->xpad_plane : 0, es);
    bad |= grow(&w, fp->xsrc.alias ? 0 : fp->xsrc.extent, es);
    int64_t dyt = 0, tiles = 0;
    bad |= cnd_mul(fp->p.groups * fp->nob * fp->wmr, r->outer, &dyt) || cnd_mul(dyt, r->run, &dyt);
    bad |= grow(&w, dyt, es);
    bad |= cnd_mul(fp->p.groups * fp->nob * fp->ncb, fp->wnr * fp->wmr, &tiles);
    bad |= grow(&w, tiles, es);
    if (bad) return cnd_fail(err, CONVND_EOVERFLOW, "the fast engine's workspace overflows size_t");
    fp->ws_forward = f;
    fp->ws_backward_data = b;
    fp->ws_backward_weight = w;
    return CONVND_OK;
}

convnd_status cnd_fast_plan_create(const cnd_problem *problem, const cnd_ukernels *uk, cnd_fast_plan **out,
                                   convnd_error *err) {
    *out = NULL;
    if (uk->wmr > 64 || !uk->gemm[1] || !uk->wgrad || !uk->cgemm || !uk->dot || uk->nr > CND_MAX_NR || uk->mr > CND_MAX_MR ||
        uk->wnr > CND_MAX_WNR || uk->wmr * uk->wnr > CND_MAX_MR * CND_MAX_NR)
        return cnd_fail(err, CONVND_EUNSUPPORTED, "the selected micro-kernel set is incomplete");
    cnd_fast_plan *fp = calloc(1, sizeof *fp);
    if (!fp) return cnd_fail(err, CONVND_ENOMEM, "out of memory building a plan");
    normalise(problem, &fp->p);
    const cnd_problem *p = &fp->p;
    const int rank = p->rank;
    fp->rank = rank;
    fp->uk = uk;
    fp->esize = cnd_dtype_size(p->dtype);
    fp->cxg = p->x_channels / p->groups;
    fp->cyg = p->y_channels / p->groups;
    fp->taps = cnd_volume(rank, p->kernel);
    fp->x_plane = cnd_volume(rank, p->x_size);
    fp->y_plane = cnd_volume(rank, p->y_size);
    fp->fold = p->mode != CONVND_PAD_ZEROS;
    for (int a = 0; a < rank; a++) fp->xpad_size[a] = p->x_size[a] + p->pad_lo[a] + p->pad_hi[a];
    fp->xpad_plane = cnd_volume(rank, fp->xpad_size);

    int64_t M[CND_R];
    for (int a = 0; a < rank; a++) M[a] = p->y_size[a] + (p->kernel[a] - 1) * p->dilation[a] / p->stride[a];
    convnd_status st = source_init(p, p->x_channels, p->x_size, p->stride, M, x_coord, NULL, &fp->xsrc, err);
    if (st == CONVND_OK) st = forward_init(fp, err);
    if (st == CONVND_OK) source_check_alias(&fp->xsrc, &fp->fwd, 1, uk);
    if (st == CONVND_OK) st = backward_data_init(fp, err);
    if (st == CONVND_OK) st = backward_weight_init(fp, err);
    if (st == CONVND_OK) st = workspace_sizes(fp, err);
    if (st != CONVND_OK) {
        cnd_fast_plan_destroy(fp);
        return st;
    }
    *out = fp;
    return CONVND_OK;
}
