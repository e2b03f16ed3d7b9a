/* ref_conv.c.h -- the reference engine's kernels for one element type: plain loops in the
 * spec's summation order (NN.Spec.Layers.Conv), each product and sum rounded separately
 * (this file is compiled with -ffp-contract=off).
 *
 * Included by ref_conv.c with CND_T (the element type) and CND_FN(name) (name + type suffix).
 * The formulas are in plan/engine.h; X is the padded image side, Y the result side. */

/* Y[n,o,q] = sum_{c in group(o)} sum_k Xpad[n,c, q*S + k*D - P_lo] * W[o,c',k]  (+ b[o])
 * Spec convSpec: acc from 0 over channels ascending, then taps row-major; a padding tap adds
 * 0*w; the bias last. */
static void CND_FN(ref_forward)(const cnd_problem *p, const CND_T *x, const CND_T *w, const CND_T *bias, CND_T *y) {
    const int64_t x_plane = cnd_volume(p->rank, p->x_size), y_plane = cnd_volume(p->rank, p->y_size);
    const int64_t taps = cnd_volume(p->rank, p->kernel);
    const int64_t cxg = p->x_channels / p->groups, cyg = p->y_channels / p->groups;
    for (int64_t n = 0; n < p->batch; n++) {
        for (int64_t o = 0; o < p->y_channels; o++) {
            const CND_T *x_group = x + (n * p->x_channels + (o / cyg) * cxg) * x_plane;
            const CND_T *w_o = w + o * cxg * taps;
            CND_T *y_o = y + (n * p->y_channels + o) * y_plane;
            int64_t q[CONVND_MAX_RANK] = {0}, qi = 0;
            do {
                CND_T acc = 0;
                for (int64_t c = 0; c < cxg; c++) {
                    int64_t k[CONVND_MAX_RANK] = {0}, ki = 0;
                    do {
                        int64_t src = ref_source_offset(p, q, k);
                        CND_T xv = src < 0 ? (CND_T)0 : x_group[c * x_plane + src];
                        acc = acc + xv * w_o[c * taps + ki];
                        ki++;
                    } while (cnd_next_index(p->rank, p->kernel, k));
                }
                if (bias) acc = acc + bias[o];
                y_o[qi++] = acc;
            } while (cnd_next_index(p->rank, p->y_size, q));
        }
    }
}

/* sum_{o in group(c)} sum_k Y[o, (j + P_lo - k*D)/S] * W[o,c',k] at padded X position j of
 * channel c (y_n: sample n's Y). Spec convInputDerivSpec: acc from 0 over result channels
 * ascending, then taps row-major; a tap with no result position adds nothing, one past the
 * end of Y adds 0*w (getAtOrZero). */
static CND_T CND_FN(ref_gather)(const cnd_problem *p, const CND_T *y_n, const CND_T *w, int64_t c, const int64_t *j) {
    const int64_t y_plane = cnd_volume(p->rank, p->y_size), taps = cnd_volume(p->rank, p->kernel);
    const int64_t cxg = p->x_channels / p->groups, cyg = p->y_channels / p->groups;
    const int64_t o_first = (c / cxg) * cyg, c_in_group = c % cxg;
    CND_T acc = 0;
    for (int64_t o = o_first; o < o_first + cyg; o++) {
        const CND_T *w_oc = w + (o * cxg + c_in_group) * taps;
        int64_t k[CONVND_MAX_RANK] = {0}, ki = 0;
        do {
            int64_t off = 0;
            ref_tap tap = ref_transpose_source(p, j, k, &off);
            if (tap != REF_TAP_NONE) {
                CND_T yv = tap == REF_TAP_INSIDE ? y_n[o * y_plane + off] : (CND_T)0;
                acc = acc + yv * w_oc[ki];
            }
            ki++;
        } while (cnd_next_index(p->rank, p->kernel, k));
    }
    return acc;
}

/* X[n,c,i] = gather(i) (+ b[c]) in zeros mode. With a padding mode, the gradient of every
 * padded position j is added, in row-major order of j, onto the input position it was read
 * from (ref_fold), starting from 0. */
static void CND_FN(ref_backward_data)(const cnd_problem *p, const CND_T *y, const CND_T *w, const CND_T *bias,
                                      CND_T *x) {
    const int64_t x_plane = cnd_volume(p->rank, p->x_size), y_plane = cnd_volume(p->rank, p->y_size);
    int64_t padded[CONVND_MAX_RANK];
    for (int a = 0; a < p->rank; a++) padded[a] = p->x_size[a] + p->pad_lo[a] + p->pad_hi[a];
    for (int64_t n = 0; n < p->batch; n++) {
        const CND_T *y_n = y + n * p->y_channels * y_plane;
        for (int64_t c = 0; c < p->x_channels; c++) {
            CND_T *x_c = x + (n * p->x_channels + c) * x_plane;
            int64_t i[CONVND_MAX_RANK] = {0}, ii = 0;
            if (p->mode == CONVND_PAD_ZEROS) {
                do {
                    CND_T acc = CND_FN(ref_gather)(p, y_n, w, c, i);
                    if (bias) acc = acc + bias[c];
                    x_c[ii++] = acc;
                } while (cnd_next_index(p->rank, p->x_size, i));
                continue;
            }
            for (int64_t e = 0; e < x_plane; e++) x_c[e] = 0;
            do { /* i runs over the padded box; j = i - P_lo is the padded position */
                int64_t j[CONVND_MAX_RANK], target = 0;
                for (int a = 0; a < p->rank; a++) {
                    j[a] = i[a] - p->pad_lo[a];
                    target = target * p->x_size[a] + ref_fold(p->mode, j[a], p->x_size[a]);
                }
                x_c[target] = x_c[target] + CND_FN(ref_gather)(p, y_n, w, c, j);
            } while (cnd_next_index(p->rank, padded, i));
        }
    }
}

/* W[o,c',k] = sum_n sum_q Xpad[n,c, q*S + k*D - P_lo] * Y[n,o,q]
 * Spec convKernelDerivSpec: acc from 0 over positions row-major (samples ascending first);
 * a padding tap adds 0*y. */
static void CND_FN(ref_backward_weight)(const cnd_problem *p, const CND_T *x, const CND_T *y, CND_T *w) {
    const int64_t x_plane = cnd_volume(p->rank, p->x_size), y_plane = cnd_volume(p->rank, p->y_size);
    const int64_t taps = cnd_volume(p->rank, p->kernel);
    const int64_t cxg = p->x_channels / p->groups, cyg = p->y_channels / p->groups;
    for (int64_t o = 0; o < p->y_channels; o++) {
        for (int64_t c = 0; c < cxg; c++) {
            const int64_t x_channel = (o / cyg) * cxg + c;
            int64_t k[CONVND_MAX_RANK] = {0}, ki = 0;
            do {
                CND_T acc = 0;
                for (int64_t n = 0; n < p->batch; n++) {
                    const CND_T *x_c = x + (n * p->x_channels + x_channel) * x_plane;
                    const CND_T *y_o = y + (n * p->y_channels + o) * y_plane;
                    int64_t q[CONVND_MAX_RANK] = {0}, qi = 0;
                    do {
                        int64_t src = ref_source_offset(p, q, k);
                        CND_T xv = src < 0 ? (CND_T)0 : x_c[src];
                        acc = acc + xv * y_o[qi++];
                    } while (cnd_next_index(p->rank, p->y_size, q));
                }
                w[(o * cxg + c) * taps + ki++] = acc;
            } while (cnd_next_index(p->rank, p->kernel, k));
        }
    }
}

/* db[c] = sum_n sum_q g[n,c,q], from 0, samples ascending then positions (convBiasDerivSpec). */
static void CND_FN(ref_bias_grad)(int64_t batch, int64_t channels, int64_t plane, const CND_T *g, CND_T *db) {
    for (int64_t c = 0; c < channels; c++) {
        CND_T acc = 0;
        for (int64_t n = 0; n < batch; n++)
            for (int64_t q = 0; q < plane; q++) acc = acc + g[(n * channels + c) * plane + q];
        db[c] = acc;
    }
}
