/* fast_conv.c.h -- the fast engine's execution for one element type (CND_T, CND_FN): packing,
 * the igemm and wgrad drivers, storing. Included by fast_conv.c; see fast.h for the layout.
 *
 * Every parallel loop gives each thread a contiguous range of items (cnd_partition) and each
 * output element belongs to exactly one item, so results never depend on the thread count. */

/* One sample of a channels-first tensor into its phase-split padded copy (cnd_source). */
static void CND_FN(pack_source)(const cnd_fast_plan *fp, const cnd_source *s, const CND_T *src, CND_T *dst,
                                int id, int nt) {
    const int rank = fp->rank, last = rank - 1;
    const int64_t rows = s->pp / s->M[last], width = s->M[last], S = s->S[last];
    int64_t lo_item, hi_item;
    cnd_partition(s->channels * s->nph, nt, id, &lo_item, &hi_item);
    for (int64_t it = lo_item; it < hi_item; it++) {
        const int64_t c = it / s->nph, ph = it % s->nph;
        int64_t rho[CND_R], rest = ph;
        for (int a = last; a >= 0; a--) {
            rho[a] = rest % s->S[a];
            rest /= s->S[a];
        }
        const CND_T *sc = src + c * s->src_plane;
        CND_T *d = dst + c * s->cstride + ph * s->pp;
        const int64_t *tl = s->index[last] + rho[last] * width;
        const int64_t lo = s->lo[rho[last]], hi = s->hi[rho[last]];
        int64_t m[CND_R] = {0};
        for (int64_t row = 0; row < rows; row++, cnd_next_index(last, s->M, m)) {
            CND_T *drow = d + row * width;
            int64_t base = 0;
            int valid = 1;
            for (int a = 0; a < last; a++) {
                int64_t ix = s->index[a][rho[a] * s->M[a] + m[a]];
                if (ix < 0) valid = 0;
                base += ix * s->src_pitch[a];
            }
            if (!valid) {
                memset(drow, 0, (size_t)width * sizeof(CND_T));
                continue;
            }
            const CND_T *srow = sc + base;
            for (int64_t j = 0; j < lo; j++) drow[j] = tl[j] < 0 ? (CND_T)0 : srow[tl[j]];
            if (hi > lo) {
                if (S == 1) { /* rows are short: an inline loop beats a memcpy call */
                    const CND_T *sp = srow + tl[lo];
                    for (int64_t j = 0; j < hi - lo; j++) drow[lo + j] = sp[j];
                } else {
                    const CND_T *sp = srow + tl[lo];
                    for (int64_t j = 0; j < hi - lo; j++) drow[lo + j] = sp[j * S];
                }
            }
            for (int64_t j = hi; j < width; j++) drow[j] = tl[j] < 0 ? (CND_T)0 : srow[tl[j]];
        }
    }
    if (id == 0) /* the tail short runs read into */
        memset(dst + s->channels * s->cstride, 0, (size_t)(s->extent - s->channels * s->cstride) * sizeof(CND_T));
}

/* A virtual position v of a run: the destination offset of its row segment, and whether the
 * segment lies in the box; *col is its last-axis coordinate. */
static inline int CND_FN(locate)(const cnd_runs *r, int rank, int64_t v, int64_t *col, int64_t *doff) {
    int valid = 1;
    int64_t off = 0;
    for (int a = r->first; a < rank - 1; a++) {
        const int64_t u = v / r->spitch[a];
        v -= u * r->spitch[a];
        if (u >= r->size[a]) valid = 0;
        off += u * r->dstep[a];
    }
    *col = v;
    *doff = off;
    return valid;
}

/* Rows [m0, m0 + rows) of virtual positions [v0, min(v0 + len, run)), row m at ctile + m*ld,
 * into the destination: only the positions inside the box (see cnd_runs). */
static void CND_FN(store_tile)(const cnd_fast_plan *fp, const cnd_igemm *g, const CND_T *ctile, int64_t rows,
                               int64_t ld, int64_t v0, int64_t len, CND_T *dst_run, const CND_T *bias) {
    const cnd_runs *r = &g->runs;
    const int rank = fp->rank;
    const int64_t sp = r->spitch[rank - 2], width = r->size[rank - 1], dcol = r->dstep[rank - 1];
    const int64_t vend = v0 + len < r->run ? v0 + len : r->run;
    for (int64_t v = v0; v < vend;) {
        int64_t col, doff;
        const int valid = CND_FN(locate)(r, rank, v, &col, &doff);
        const int64_t seg_end = v + (sp - col) < vend ? v + (sp - col) : vend;
        const int64_t cend = col + (seg_end - v) < width ? col + (seg_end - v) : width;
        for (int64_t m = 0; valid && m < rows; m++) {
            const CND_T *crow = ctile + m * ld + (v - v0) - col; /* crow[j]: column j of this row */
            CND_T *drow = dst_run + m * g->dst_cstride + doff;
            const CND_T b = bias ? bias[m] : (CND_T)0;
            if (bias) {
                if (dcol == 1)
                    for (int64_t j = col; j < cend; j++) drow[j] = crow[j] + b;
                else
                    for (int64_t j = col; j < cend; j++) drow[j * dcol] = crow[j] + b;
            } else {
                if (dcol == 1)
                    for (int64_t j = col; j < cend; j++) drow[j] = crow[j];
                else
                    for (int64_t j = col; j < cend; j++) drow[j * dcol] = crow[j];
            }
        }
        v = seg_end;
    }
}

/* dst[g][m][u] = bias + sum_t A[g][m][t] * src[...]: items = (group, run, tile, row block), or
 * (group, row block, run, tile) when the panels outweigh the source (see cnd_igemm). */
/* The cgemm form: tiles of wnr positions of the list x row blocks of wmr. */
static void CND_FN(cgemm_run)(const cnd_fast_plan *fp, const cnd_igemm *g, const CND_T *src, const CND_T *a,
                              const CND_T *bias, CND_T *dst, int id, int nt) {
    const cnd_ukernels *uk = fp->uk;
    const int64_t wmr = uk->wmr, wnr = uk->wnr, per_group = g->tiles * g->nblocks;
    int64_t lo, hi;
    cnd_partition(fp->p.groups * per_group, nt, id, &lo, &hi);
    CND_T ctile[CND_MAX_MR * CND_MAX_NR];
    const void *pos[CND_MAX_WNR];
    for (int64_t it = lo; it < hi; it++) {
        const int64_t mb = g->blocks_outer ? (it / g->tiles) % g->nblocks : it % g->nblocks;
        const int64_t tile = g->blocks_outer ? it % g->tiles : (it / g->nblocks) % g->tiles;
        const int64_t grp = it / per_group, p0 = tile * wnr;
        const int64_t np = g->npos - p0 < wnr ? g->npos - p0 : wnr;
        const int64_t m0 = mb * wmr, rows = g->rows - m0 < wmr ? g->rows - m0 : wmr;
        const CND_T *sg = src + grp * g->src_gstride;
        int64_t pd[CND_MAX_WNR], u[CND_R], rest = p0;
        for (int ax = fp->rank - 1; ax >= 0; ax--) { /* the box coordinates of position p0 */
            u[ax] = rest % g->runs.size[ax];
            rest /= g->runs.size[ax];
        }
        for (int64_t j = 0; j < np; j++, cnd_next_index(fp->rank, g->runs.size, u)) {
            int64_t so = 0, d = g->runs.dbase;
            for (int ax = 0; ax < fp->rank; ax++) {
                so += u[ax] * g->runs.spitch[ax];
                d += u[ax] * g->runs.dstep[ax];
            }
            pos[j] = sg + so;
            pd[j] = d;
        }
        for (int64_t j = np; j < wnr; j++) pos[j] = pos[np - 1];
        if (g->kc)
            uk->cgemm((size_t)g->kc, a + g->a_offset + (grp * g->panel_rows + m0) * g->kc, pos, g->off, ctile);
        else
            memset(ctile, 0, (size_t)(wmr * wnr) * sizeof(CND_T));
        for (int64_t m = 0; m < rows; m++) {
            CND_T *d = dst + grp * g->dst_gstride + (m0 + m) * g->dst_cstride;
            const CND_T *c = ctile + m;
            if (bias) {
                const CND_T b = bias[grp * g->rows + m0 + m];
                for (int64_t j = 0; j < np; j++) d[pd[j]] = c[j * wmr] + b;
            } else {
                for (int64_t j = 0; j < np; j++) d[pd[j]] = c[j * wmr];
            }
        }
    }
}

/* One row per group (depthwise): items are long stretches of a run, computed tile by tile
 * into a buffer and stored once, so the per-tile cost is only the kernel call. */
#define CND_STRETCH 1024
static void CND_FN(single_row_run)(const cnd_fast_plan *fp, const cnd_igemm *g, const CND_T *src, const CND_T *a,
                                   const CND_T *bias, CND_T *dst, int id, int nt) {
    const cnd_ukernels *uk = fp->uk;
    const cnd_runs *r = &g->runs;
    const int64_t nr = uk->nr, span = (CND_STRETCH / nr) * nr, stretches = (r->run + span - 1) / span;
    const int64_t per_group = r->outer * stretches;
    int64_t lo, hi;
    cnd_partition(fp->p.groups * per_group, nt, id, &lo, &hi);
    CND_T margin_buf[CND_MAX_NR + CND_STRETCH + CND_MAX_NR];
    CND_T *buf = margin_buf + CND_MAX_NR; /* a run's last tile may start up to nr before a stretch */
    for (int64_t it = lo; it < hi; it++) {
        const int64_t s0 = (it % stretches) * span, o = (it / stretches) % r->outer, grp = it / per_group;
        const int64_t len = r->run - s0 < span ? r->run - s0 : span;
        const CND_T *A = a + g->a_offset + grp * g->panel_rows * g->kc;
        const CND_T *B = src + grp * g->src_gstride + r->outer_src[o];
        for (int64_t v = s0; v < s0 + len; v += nr) {
            int64_t v0 = v;
            if (v0 + nr > r->run && r->run >= nr) v0 = r->run - nr; /* ends at the run's end */
            if (g->kc)
                uk->gemm[1]((size_t)g->kc, A, B + v0, g->off, buf + (v0 - s0), 0);
            else
                memset(buf + (v0 - s0), 0, (size_t)nr * sizeof(CND_T));
        }
        CND_FN(store_tile)(fp, g, buf, 1, 0, s0, len, dst + grp * g->dst_gstride + r->outer_dst[o],
                           bias ? bias + grp : NULL);
    }
}

static void CND_FN(igemm_run)(const cnd_fast_plan *fp, const cnd_igemm *g, const CND_T *src, const CND_T *a,
                              const CND_T *bias, CND_T *dst, int id, int nt) {
    if (g->cvec) {
        CND_FN(cgemm_run)(fp, g, src, a, bias, dst, id, nt);
        return;
    }
    if (g->rows == 1) {
        CND_FN(single_row_run)(fp, g, src, a, bias, dst, id, nt);
        return;
    }
    const cnd_ukernels *uk = fp->uk;
    const cnd_runs *r = &g->runs;
    const int64_t mr = uk->mr, nr = uk->nr;
    const int64_t per_group = r->outer * g->tiles * g->nblocks;
    int64_t lo, hi;
    cnd_partition(fp->p.groups * per_group, nt, id, &lo, &hi);
    CND_T ctile[CND_MAX_MR * CND_MAX_NR];
    for (int64_t it = lo; it < hi; it++) {
        int64_t mb, tile, o;
        if (g->blocks_outer) {
            tile = it % g->tiles;
            o = (it / g->tiles) % r->outer;
            mb = (it / (g->tiles * r->outer)) % g->nblocks;
        } else {
            mb = it % g->nblocks;
            tile = (it / g->nblocks) % g->tiles;
            o = (it / (g->nblocks * g->tiles)) % r->outer;
        }
        const int64_t grp = it / per_group;
        int64_t v0 = tile * nr;
        if (v0 + nr > r->run && r->run >= nr) v0 = r->run - nr; /* last tile ends at the run's end */
        const int64_t m0 = mb * mr, rows = g->rows - m0 < mr ? g->rows - m0 : mr;
        if (g->kc) {
            const CND_T *A = a + g->a_offset + (grp * g->panel_rows + m0) * g->kc;
            const CND_T *B = src + grp * g->src_gstride + r->outer_src[o] + v0;
            uk->gemm[rows]((size_t)g->kc, A, B, g->off, ctile, 0);
        } else {
            memset(ctile, 0, (size_t)(rows * nr) * sizeof(CND_T));
        }
        CND_FN(store_tile)(fp, g, ctile, rows, nr, v0, nr,
                           dst + grp * g->dst_gstride + m0 * g->dst_cstride + r->outer_dst[o],
                           bias ? bias + grp * g->rows + m0 : NULL);
    }
}

/* Panels of one row block: dst[t*rows + m] = value of row m0 + m, term t. */
/* gemm panels hold a block's rows exactly; cgemm panels are wmr wide, zero past the last row. */
static void CND_FN(pack_block)(const cnd_fast_plan *fp, const cnd_igemm *g, const CND_T *w, CND_T *packed,
                               int64_t grp, int64_t mb, int backward) {
    const int64_t mr = g->cvec ? fp->uk->wmr : fp->uk->mr, m0 = mb * mr;
    const int64_t rows = g->rows - m0 < mr ? g->rows - m0 : mr, width = g->cvec ? mr : rows;
    CND_T *d = packed + g->a_offset + (grp * g->panel_rows + m0) * g->kc;
    if (width > rows)
        for (int64_t t = 0; t < g->kc; t++)
            for (int64_t m = rows; m < width; m++) d[t * width + m] = 0;
    if (!backward) { /* W[o][c][k] with t = c*T + k: rows of W are contiguous in t */
        const CND_T *wg = w + (grp * fp->cyg + m0) * g->kc;
        for (int64_t t = 0; t < g->kc; t++) /* sequential writes, `rows` sequential read streams */
            for (int64_t m = 0; m < rows; m++) d[t * width + m] = wg[m * g->kc + t];
        return;
    }
    /* rows = X channels c, t = o*ntaps + i: W[o][c][tap_index[i]] */
    const int64_t ntaps = g->kc / fp->cyg;
    for (int64_t o = 0; o < fp->cyg; o++) {
        const CND_T *wo = w + ((grp * fp->cyg + o) * fp->cxg + m0) * fp->taps; /* rows x taps */
        for (int64_t i = 0; i < ntaps; i++) {                                  /* sequential writes */
            const CND_T *wi = wo + g->tap_index[i];
            CND_T *di = d + (o * ntaps + i) * width;
            for (int64_t m = 0; m < rows; m++) di[m] = wi[m * fp->taps];
        }
    }
}

static void CND_FN(pack_weights)(const cnd_fast_plan *fp, const cnd_igemm *g, int64_t count, const CND_T *w,
                                 CND_T *packed, int backward, int id, int nt) {
    int64_t blocks = 0;
    for (int64_t i = 0; i < count; i++) blocks += g[i].kc && g[i].tiles ? fp->p.groups * g[i].nblocks : 0;
    int64_t lo, hi, item = 0;
    cnd_partition(blocks, nt, id, &lo, &hi);
    for (int64_t i = 0; i < count; i++) {
        if (!g[i].kc || !g[i].tiles) continue;
        for (int64_t grp = 0; grp < fp->p.groups; grp++)
            for (int64_t mb = 0; mb < g[i].nblocks; mb++, item++)
                if (item >= lo && item < hi) CND_FN(pack_block)(fp, &g[i], w, packed, grp, mb, backward);
    }
}

/* x_n[c][fold(j)] += xpad[c][j'] over the padded box, j' row-major (the reference's order). */
static void CND_FN(fold)(const cnd_fast_plan *fp, const CND_T *xpad, CND_T *x_n, int id, int nt) {
    const cnd_problem *p = &fp->p;
    int64_t xpitch[CND_R], lo, hi, v = 1;
    for (int a = p->rank - 1; a >= 0; a--) {
        xpitch[a] = v;
        v *= p->x_size[a];
    }
    cnd_partition(p->x_channels, nt, id, &lo, &hi);
    for (int64_t c = lo; c < hi; c++) {
        CND_T *xc = x_n + c * fp->x_plane;
        const CND_T *pc = xpad + c * fp->xpad_plane;
        memset(xc, 0, (size_t)fp->x_plane * sizeof(CND_T));
        int64_t i[CND_R] = {0}, flat = 0;
        do {
            int64_t target = 0;
            for (int a = 0; a < p->rank; a++)
                target += ref_fold(p->mode, i[a] - p->pad_lo[a], p->x_size[a]) * xpitch[a];
            xc[target] = xc[target] + pc[flat++];
        } while (cnd_next_index(p->rank, fp->xpad_size, i));
    }
}

/* forward and backward_data: per sample, pack the source (unless the tensor itself serves),
 * then run the igemms (one, or one per stride phase) into the destination, or into the padded
 * box which is then folded back. Workspace: source copy, packed weights, padded box. */
static void CND_FN(igemm_pass)(const cnd_fast_plan *fp, int threads, const cnd_source *s, const cnd_igemm *g,
                               int64_t count, int64_t a_size, int fold, const CND_T *in, int64_t in_sample,
                               const CND_T *w, const CND_T *packed, const CND_T *bias, CND_T *out,
                               int64_t out_sample, char *ws) {
    const size_t at = s->alias ? 0 : cnd_align64((size_t)s->extent * sizeof(CND_T));
    CND_T *copy = (CND_T *)ws, *apack = (CND_T *)(ws + at);
    CND_T *xpad = (CND_T *)(ws + at + cnd_align64((size_t)a_size * sizeof(CND_T)));
    const CND_T *A = packed ? packed : apack;
    CND_OMP(parallel num_threads(threads)) {
        const int id = cnd_thread_id(), nt = cnd_thread_count();
        if (!packed) {
            CND_FN(pack_weights)(fp, g, count, w, apack, g != &fp->fwd, id, nt);
            CND_OMP(barrier)
        }
        for (int64_t n = 0; n < fp->p.batch; n++) {
            const CND_T *src = in + n * in_sample;
            if (!s->alias) {
                CND_FN(pack_source)(fp, s, src, copy, id, nt);
                src = copy;
                CND_OMP(barrier)
            }
            CND_T *dst = fold ? xpad : out + n * out_sample;
            for (int64_t i = 0; i < count; i++)
                if (g[i].tiles) CND_FN(igemm_run)(fp, &g[i], src, A, fold ? NULL : bias, dst, id, nt);
            if (fold) {
                CND_OMP(barrier)
                CND_FN(fold)(fp, xpad, out + n * out_sample, id, nt);
            }
            if (!s->alias || fold) {
                CND_OMP(barrier)
            }
        }
    }
}

static void CND_FN(forward)(const cnd_fast_plan *fp, int threads, const CND_T *x, const CND_T *w,
                            const CND_T *packed, const CND_T *bias, CND_T *y, char *ws) {
    CND_FN(igemm_pass)(fp, threads, &fp->xsrc, &fp->fwd, 1, fp->a_fwd, 0, x, fp->p.x_channels * fp->x_plane, w,
                       packed, bias, y, fp->p.y_channels * fp->y_plane, ws);
}

static void CND_FN(backward_data)(const cnd_fast_plan *fp, int threads, const CND_T *y, const CND_T *w,
                                  const CND_T *packed, const CND_T *bias, CND_T *x, char *ws) {
    CND_FN(igemm_pass)(fp, threads, &fp->ysrc, fp->bwd, fp->nphases, fp->a_bwd, fp->fold, y,
                       fp->p.y_channels * fp->y_plane, w, packed, bias, x, fp->p.x_channels * fp->x_plane, ws);
}

/* dY of one sample into panels over the forward runs: dyt[g][ob][run][v][m] = dY[g*cyg + ob*wmr + m]
 * at virtual position v, 0 at positions outside the box and rows past the channels. Written
 * position by position (sequential stores, wmr sequential read streams). */
static void CND_FN(pack_dy)(const cnd_fast_plan *fp, const CND_T *y_n, CND_T *dyt, int id, int nt) {
    const cnd_runs *r = &fp->fwd.runs;
    const int rank = fp->rank;
    const int64_t wmr = fp->wmr, sp = r->spitch[rank - 2], width = r->size[rank - 1];
    /* items: (group, row block, run, piece of the run), so every thread has a share */
    const int64_t piece = 1024, pieces = (r->run + piece - 1) / piece;
    int64_t lo, hi;
    cnd_partition(fp->p.groups * fp->nob * r->outer * pieces, nt, id, &lo, &hi);
    for (int64_t it = lo; it < hi; it++) {
        const int64_t item = it / (r->outer * pieces), o = (it / pieces) % r->outer;
        const int64_t vlo = (it % pieces) * piece, vhi = vlo + piece < r->run ? vlo + piece : r->run;
        const int64_t grp = item / fp->nob, ob = item % fp->nob;
        const int64_t valid_rows = fp->cyg - ob * wmr < wmr ? fp->cyg - ob * wmr : wmr;
        const CND_T *y0 = y_n + (grp * fp->cyg + ob * wmr) * fp->y_plane;
        {
            CND_T *d = dyt + (item * r->outer + o) * r->run * wmr;
            const CND_T *yo = y0 + r->outer_dst[o];
            for (int64_t v = vlo; v < vhi;) {
                int64_t col, doff;
                const int valid = CND_FN(locate)(r, rank, v, &col, &doff);
                const int64_t seg = v + (sp - col) < vhi ? sp - col : vhi - v;
                const int64_t cend = !valid ? col : col + seg < width ? col + seg : width;
                CND_T *dv = d + (v - col) * wmr;
                const CND_T *ys = yo + doff;
                if (wmr == 1 && valid_rows == 1) { /* dot panels: a copy */
                    for (int64_t j = col; j < cend; j++) dv[j] = ys[j];
                    for (int64_t j = cend > col ? cend : col; j < col + seg; j++) dv[j] = 0;
                    v += seg;
                    continue;
                }
                /* blocks of 16 positions through a buffer: each channel row is read a cache
                 * line at a time (rows a power-of-two apart would thrash one L1 set) */
                for (int64_t j0 = col; j0 < cend; j0 += 16) {
                    const int64_t nj = cend - j0 < 16 ? cend - j0 : 16;
                    CND_T blk[16 * 64];
                    for (int64_t m = 0; m < valid_rows; m++)
                        for (int64_t j = 0; j < nj; j++) blk[j * wmr + m] = ys[m * fp->y_plane + j0 + j];
                    for (int64_t j = 0; j < nj; j++) {
                        CND_T *dj = dv + (j0 + j) * wmr;
                        for (int64_t m = 0; m < valid_rows; m++) dj[m] = blk[j * wmr + m];
                        for (int64_t m = valid_rows; m < wmr; m++) dj[m] = 0;
                    }
                }
                for (int64_t j = cend > col ? cend : col; j < col + seg; j++)
                    for (int64_t m = 0; m < wmr; m++) dv[j * wmr + m] = 0;
                v += seg;
            }
        }
    }
}

static void CND_FN(backward_weight)(const cnd_fast_plan *fp, int threads, const CND_T *x, const CND_T *y, CND_T *w,
                                    char *ws) {
    const cnd_source *s = &fp->xsrc;
    const cnd_runs *r = &fp->fwd.runs;
    const cnd_ukernels *uk = fp->uk;
    const int64_t wmr = fp->wmr, wnr = fp->wnr, tile_size = wmr * wnr;
    size_t at = s->alias ? 0 : cnd_align64((size_t)s->extent * sizeof(CND_T));
    CND_T *xps = (CND_T *)ws, *dyt = (CND_T *)(ws + at);
    const int64_t dyt_size = fp->p.groups * fp->nob * wmr * r->outer * r->run;
    CND_T *tiles = (CND_T *)(ws + at + cnd_align64((size_t)dyt_size * sizeof(CND_T)));
    const int64_t x_sample = fp->p.x_channels * fp->x_plane, y_sample = fp->p.y_channels * fp->y_plane;
    const int64_t per_group = fp->nob * fp->ncb, items = fp->p.groups * per_group;
    CND_OMP(parallel num_threads(threads)) {
        const int id = cnd_thread_id(), nt = cnd_thread_count();
        int64_t lo, hi;
        cnd_partition(items, nt, id, &lo, &hi);
        memset(tiles + lo * tile_size, 0, (size_t)((hi - lo) * tile_size) * sizeof(CND_T));
        for (int64_t n = 0; n < fp->p.batch; n++) {
            const CND_T *src = x + n * x_sample;
            if (!s->alias) {
                CND_FN(pack_source)(fp, s, src, xps, id, nt);
                src = xps;
            }
            CND_FN(pack_dy)(fp, y + n * y_sample, dyt, id, nt);
            CND_OMP(barrier)
            /* each tile sums samples, runs and positions in ascending order on one thread */
            for (int64_t o = 0; o < r->outer; o++)
                for (int64_t v0 = 0; v0 < r->run; v0 += fp->chunk) {
                    const size_t kc = (size_t)(r->run - v0 < fp->chunk ? r->run - v0 : fp->chunk);
                    for (int64_t it = lo; it < hi; it++) {
                        const int64_t grp = it / per_group, ob = (it % per_group) / fp->ncb, cb = it % fp->ncb;
                        const CND_T *A = dyt + (((grp * fp->nob + ob) * r->outer + o) * r->run + v0) * wmr;
                        const CND_T *B = src + grp * fp->fwd.src_gstride + r->outer_src[o] + v0;
                        if (fp->wdot)
                            uk->dot(kc, A, B, fp->coloff + cb * wnr, tiles + it * tile_size);
                        else
                            uk->wgrad(kc, A, B, fp->coloff + cb * wnr, tiles + it * tile_size);
                    }
                }
            CND_OMP(barrier)
        }
        for (int64_t it = lo; it < hi; it++) {
            const int64_t grp = it / per_group, ob = (it % per_group) / fp->ncb, cb = it % fp->ncb;
            const CND_T *tile = tiles + it * tile_size;
            const int64_t ncols = fp->ncol - cb * wnr < wnr ? fp->ncol - cb * wnr : wnr;
            for (int64_t m = 0; m < wmr && ob * wmr + m < fp->cyg; m++) { /* row by row of dW */
                CND_T *wrow = w + (grp * fp->cyg + ob * wmr + m) * fp->ncol + cb * wnr;
                for (int64_t j = 0; j < ncols; j++) wrow[j] = tile[j * wmr + m];
            }
        }
    }
}
