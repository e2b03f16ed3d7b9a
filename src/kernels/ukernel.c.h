/* ukernel.c.h -- the micro-kernels of one element type on one ISA (contract: ukernel.h).
 *
 *   gemm[rows]  c[m*NR + j]  = (acc ? c[m*NR + j] : 0) + sum_{t<kc} a[t*rows + m] * b[off[t] + j]
 *   wgrad       c[j*WMR + m] += sum_{t<kc} a[t*WMR + m] * b[off[j] + t]
 *   cgemm       c[j*WMR + m]  = sum_{t<kc} a[t*WMR + m] * pos[j][off[t]]
 *   dot         c[j]         += sum_{t<kc} a[t] * b[off[j] + t]              (j < CND_DOT_ROWS)
 *   peak        iters x PEAK_CHAINS independent FMAs on full vectors
 *
 * gemm and wgrad start each accumulator from c (or 0) and add the products in ascending t with
 * one FMA each, so splitting kc into consecutive calls with accumulate=1 gives bit-identical
 * results to one call: the caller's cache blocking never changes the answer.
 *
 * Included by an ISA file once per element type, after it defines:
 *   CND_T                  element type (float, double)
 *   CND_V                  vector type of CND_LANES elements (CND_T itself when CND_LANES is 1)
 *   CND_DT, CND_ISA        name tokens (f32, avx512): kernels are cnd_<DT>_<what>__<ISA>
 *   CND_MR CND_NR          gemm tile (CND_NR a multiple of CND_LANES, CND_MR <= CND_MAX_MR)
 *   CND_WMR CND_WNR        wgrad tile (CND_WMR a multiple of CND_LANES)
 *   CND_PEAK_CHAINS        independent FMA chains of peak (>= 12)
 *   CND_DOT_ACCS           partial-sum vectors per dot row (1, 2, 4 or 8)
 *   CND_LOADU(p)           unaligned load of CND_LANES elements
 *   CND_LOAD_TAIL(p, n)    load of n < CND_LANES elements, zero above; touches nothing past p[n-1]
 *   CND_STOREU(p, v)       unaligned store
 *   CND_BCAST(x)           all lanes = x
 *   CND_ZERO()             all lanes = 0
 *   CND_FMA(a, b, c)       a*b + c (fused where the ISA has it)
 *   CND_ADD(a, b)          a + b
 *   CND_HSUM(v)            sum of the lanes by a fixed tree (so dot is deterministic)
 * Every macro it defines or consumes is #undef'd at the end, ready for the next inclusion.
 *
 * Loops over register tiles have constant bounds and are fully unrolled; the row count of
 * gemm is a constant after inlining the always-inline body into each gemm[rows] wrapper, so
 * every accumulator is a named register and nothing spills in the hot loops of the AVX2 and
 * AVX-512 kernels (checked with objdump, gcc 12 and clang 14). The scalar generic tiles
 * outnumber x86-64's 16 registers; they are sized for 32-register machines. */

#ifndef CND_UKERNEL_TEMPLATE_ONCE
#define CND_UKERNEL_TEMPLATE_ONCE

#define CND_CAT2_(a, b) a##b
#define CND_CAT2(a, b) CND_CAT2_(a, b)
#define CND_CAT7_(a, b, c, d, e, f, g) a##b##c##d##e##f##g
#define CND_CAT7(a, b, c, d, e, f, g) CND_CAT7_(a, b, c, d, e, f, g)

#if defined(__GNUC__)
#define CND_INLINE static inline __attribute__((always_inline))
#else
#define CND_INLINE static inline
#endif

/* Pragmas inside macros need _Pragma; clang reads "GCC unroll" too. */
#if defined(__clang__)
#define CND_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define CND_UNROLL _Pragma("GCC unroll 64")
#else
#define CND_UNROLL
#endif

/* The kernel names, e.g. cnd_f32_gemm_8x48__avx512: built from literal tokens so an ISA file
 * can list them in its table, and a tile that disagrees with the template fails to link. */
#define CND_KGEMM_(dt, isa, r, nr) cnd_##dt##_gemm_##r##x##nr##__##isa
#define CND_KWGRAD_(dt, isa, wmr, wnr) cnd_##dt##_wgrad_##wmr##x##wnr##__##isa
#define CND_KCGEMM_(dt, isa, wmr, wnr) cnd_##dt##_cgemm_##wmr##x##wnr##__##isa
#define CND_KDOT_(dt, isa) cnd_##dt##_dot_4__##isa
#define CND_KPEAK_(dt, isa) cnd_##dt##_peak__##isa
#define CND_GEMMS_1(dt, isa, nr) {NULL, CND_KGEMM_(dt, isa, 1, nr)}
#define CND_GEMMS_2(dt, isa, nr) {NULL, CND_KGEMM_(dt, isa, 1, nr), CND_KGEMM_(dt, isa, 2, nr)}
#define CND_GEMMS_4(dt, isa, nr)                                                                  \
    {NULL, CND_KGEMM_(dt, isa, 1, nr), CND_KGEMM_(dt, isa, 2, nr), CND_KGEMM_(dt, isa, 3, nr), \
     CND_KGEMM_(dt, isa, 4, nr)}
#define CND_GEMMS_6(dt, isa, nr)                                                                  \
    {NULL, CND_KGEMM_(dt, isa, 1, nr), CND_KGEMM_(dt, isa, 2, nr), CND_KGEMM_(dt, isa, 3, nr), \
     CND_KGEMM_(dt, isa, 4, nr), CND_KGEMM_(dt, isa, 5, nr), CND_KGEMM_(dt, isa, 6, nr)}
#define CND_GEMMS_8(dt, isa, nr)                                                                  \
    {NULL, CND_KGEMM_(dt, isa, 1, nr), CND_KGEMM_(dt, isa, 2, nr), CND_KGEMM_(dt, isa, 3, nr), \
     CND_KGEMM_(dt, isa, 4, nr), CND_KGEMM_(dt, isa, 5, nr), CND_KGEMM_(dt, isa, 6, nr),       \
     CND_KGEMM_(dt, isa, 7, nr), CND_KGEMM_(dt, isa, 8, nr)}
#define CND_UKERNELS_(dt, isa, mr, nr, wmr, wnr)                                                      \
    {mr, nr, CND_GEMMS_##mr(dt, isa, nr), wmr, wnr, CND_KWGRAD_(dt, isa, wmr, wnr),                   \
     CND_KCGEMM_(dt, isa, wmr, wnr), CND_KDOT_(dt, isa), CND_KPEAK_(dt, isa)}
/* A cnd_ukernels initializer for the kernels instantiated with these tokens. */
#define CND_UKERNELS(dt, isa, mr, nr, wmr, wnr) CND_UKERNELS_(dt, isa, mr, nr, wmr, wnr)

#endif /* CND_UKERNEL_TEMPLATE_ONCE */

#if CND_NR % CND_LANES != 0 || CND_WMR % CND_LANES != 0 || CND_MR > CND_MAX_MR || CND_PEAK_CHAINS < 12 || \
    CND_DOT_ACCS > 8 || (CND_DOT_ACCS & (CND_DOT_ACCS - 1)) != 0
#error "ukernel.c.h: tile does not fit the vector width or the contract"
#endif

#define CND_NRV (CND_NR / CND_LANES)   /* gemm accumulators per row */
#define CND_WMRV (CND_WMR / CND_LANES) /* wgrad accumulators per column */
#define CND_FN(what) CND_CAT7(cnd_, CND_DT, _, what, __, CND_ISA, )

/* ---- gemm ------------------------------------------------------------------------------- */

/* rows is a constant in every caller: after inlining, acc[rows][NRV] is rows*NRV registers.
 * The broadcast of a[m] is reused NRV times; b costs NRV loads per t. */
CND_INLINE void CND_FN(gemm_body)(size_t kc, const CND_T *a, const CND_T *b, const ptrdiff_t *off, CND_T *c,
                                  int accumulate, const int rows) {
    CND_V acc[CND_MR][CND_NRV];
    if (accumulate) {
        CND_UNROLL for (int m = 0; m < rows; m++) {
            CND_UNROLL for (int v = 0; v < CND_NRV; v++) acc[m][v] = CND_LOADU(c + m * CND_NR + v * CND_LANES);
        }
    } else {
        CND_UNROLL for (int m = 0; m < rows; m++) {
            CND_UNROLL for (int v = 0; v < CND_NRV; v++) acc[m][v] = CND_ZERO();
        }
    }
    for (size_t t = 0; t < kc; t++) {
        const CND_T *bt = b + off[t];
        CND_V bv[CND_NRV];
        CND_UNROLL for (int v = 0; v < CND_NRV; v++) bv[v] = CND_LOADU(bt + v * CND_LANES);
        CND_UNROLL for (int m = 0; m < rows; m++) {
            const CND_V am = CND_BCAST(a[m]);
            CND_UNROLL for (int v = 0; v < CND_NRV; v++) acc[m][v] = CND_FMA(am, bv[v], acc[m][v]);
        }
        a += rows;
    }
    CND_UNROLL for (int m = 0; m < rows; m++) {
        CND_UNROLL for (int v = 0; v < CND_NRV; v++) CND_STOREU(c + m * CND_NR + v * CND_LANES, acc[m][v]);
    }
}

#define CND_GEMM_VARIANT(r)                                                                              \
    static void CND_CAT7(cnd_, CND_DT, _gemm_, r, CND_CAT2(x, CND_NR), __, CND_ISA)(                     \
        size_t kc, const void *a, const void *b, const ptrdiff_t *off, void *c, int accumulate) {      \
        CND_FN(gemm_body)(kc, (const CND_T *)a, (const CND_T *)b, off, (CND_T *)c, accumulate, r);      \
    }

CND_GEMM_VARIANT(1)
#if CND_MR >= 2
CND_GEMM_VARIANT(2)
#endif
#if CND_MR >= 3
CND_GEMM_VARIANT(3)
#endif
#if CND_MR >= 4
CND_GEMM_VARIANT(4)
#endif
#if CND_MR >= 5
CND_GEMM_VARIANT(5)
#endif
#if CND_MR >= 6
CND_GEMM_VARIANT(6)
#endif
#if CND_MR >= 7
CND_GEMM_VARIANT(7)
#endif
#if CND_MR >= 8
CND_GEMM_VARIANT(8)
#endif

/* ---- wgrad ------------------------------------------------------------------------------ */

/* The a panel is the vector operand (WMRV loads per t); each of the WNR b rows gives one
 * broadcast per t, reused WMRV times. */
static void CND_CAT7(cnd_, CND_DT, _wgrad_, CND_WMR, CND_CAT2(x, CND_WNR), __, CND_ISA)(size_t kc, const void *a_,
                                                                                   const void *b_,
                                                                                   const ptrdiff_t *off,
                                                                                   void *c_) {
    const CND_T *a = (const CND_T *)a_;
    const CND_T *b = (const CND_T *)b_;
    CND_T *c = (CND_T *)c_;
    const CND_T *row[CND_WNR];
    CND_V acc[CND_WNR][CND_WMRV];
    CND_UNROLL for (int j = 0; j < CND_WNR; j++) {
        row[j] = b + off[j];
        CND_UNROLL for (int v = 0; v < CND_WMRV; v++) acc[j][v] = CND_LOADU(c + j * CND_WMR + v * CND_LANES);
    }
    for (size_t t = 0; t < kc; t++) {
        CND_V av[CND_WMRV];
        CND_UNROLL for (int v = 0; v < CND_WMRV; v++) av[v] = CND_LOADU(a + v * CND_LANES);
        CND_UNROLL for (int j = 0; j < CND_WNR; j++) {
            const CND_V bj = CND_BCAST(row[j][t]);
            CND_UNROLL for (int v = 0; v < CND_WMRV; v++) acc[j][v] = CND_FMA(av[v], bj, acc[j][v]);
        }
        a += CND_WMR;
    }
    CND_UNROLL for (int j = 0; j < CND_WNR; j++) {
        CND_UNROLL for (int v = 0; v < CND_WMRV; v++) CND_STOREU(c + j * CND_WMR + v * CND_LANES, acc[j][v]);
    }
}

/* ---- cgemm ------------------------------------------------------------------------------ */
/* wgrad's register tile with the roles of t and j swapped: position j's broadcast comes from
 * pos[j][off[t]], one shared offset per t. */
static void CND_CAT7(cnd_, CND_DT, _cgemm_, CND_WMR, CND_CAT2(x, CND_WNR), __, CND_ISA)(size_t kc, const void *a_,
                                                                                   const void *const *pos_,
                                                                                   const ptrdiff_t *off,
                                                                                   void *c_) {
    const CND_T *a = (const CND_T *)a_;
    CND_T *c = (CND_T *)c_;
    const CND_T *pos[CND_WNR];
    CND_V acc[CND_WNR][CND_WMRV];
    CND_UNROLL for (int j = 0; j < CND_WNR; j++) {
        pos[j] = (const CND_T *)pos_[j];
        CND_UNROLL for (int v = 0; v < CND_WMRV; v++) acc[j][v] = CND_ZERO();
    }
    for (size_t t = 0; t < kc; t++) {
        const ptrdiff_t ot = off[t];
        CND_V av[CND_WMRV];
        CND_UNROLL for (int v = 0; v < CND_WMRV; v++) av[v] = CND_LOADU(a + v * CND_LANES);
        CND_UNROLL for (int j = 0; j < CND_WNR; j++) {
            const CND_V bj = CND_BCAST(pos[j][ot]);
            CND_UNROLL for (int v = 0; v < CND_WMRV; v++) acc[j][v] = CND_FMA(av[v], bj, acc[j][v]);
        }
        a += CND_WMR;
    }
    CND_UNROLL for (int j = 0; j < CND_WNR; j++) {
        CND_UNROLL for (int v = 0; v < CND_WMRV; v++) CND_STOREU(c + j * CND_WMR + v * CND_LANES, acc[j][v]);
    }
}

/* ---- dot -------------------------------------------------------------------------------- */

/* DOT_ACCS partial-sum vectors per row hide the FMA latency (4 rows x DOT_ACCS chains). Fixed
 * order: groups of DOT_ACCS vectors, vector i into acc[j][i]; then the remaining whole
 * vectors into acc[j][0], acc[j][1], ...; then the masked tail into acc[j][DOT_ACCS - 1];
 * then halving (acc[j][i] += acc[j][i + DOT_ACCS/2], ...); then CND_HSUM; then into c[j]. */
static void CND_FN(dot_4)(size_t kc, const void *a_, const void *b_, const ptrdiff_t *off, void *c_) {
    const CND_T *a = (const CND_T *)a_;
    const CND_T *b = (const CND_T *)b_;
    CND_T *c = (CND_T *)c_;
    const CND_T *row[CND_DOT_ROWS];
    CND_V acc[CND_DOT_ROWS][CND_DOT_ACCS];
    CND_UNROLL for (int j = 0; j < CND_DOT_ROWS; j++) {
        row[j] = b + off[j];
        CND_UNROLL for (int i = 0; i < CND_DOT_ACCS; i++) acc[j][i] = CND_ZERO();
    }
    size_t t = 0;
    for (; t + CND_DOT_ACCS * CND_LANES <= kc; t += CND_DOT_ACCS * CND_LANES) {
        CND_UNROLL for (int i = 0; i < CND_DOT_ACCS; i++) {
            const CND_V ai = CND_LOADU(a + t + i * CND_LANES);
            CND_UNROLL for (int j = 0; j < CND_DOT_ROWS; j++)
                acc[j][i] = CND_FMA(ai, CND_LOADU(row[j] + t + i * CND_LANES), acc[j][i]);
        }
    }
    CND_UNROLL for (int i = 0; i < CND_DOT_ACCS - 1; i++) {
        if (t + CND_LANES <= kc) { /* no break: it would stop the unrolling, and acc would spill */
            const CND_V ai = CND_LOADU(a + t);
            CND_UNROLL for (int j = 0; j < CND_DOT_ROWS; j++)
                acc[j][i] = CND_FMA(ai, CND_LOADU(row[j] + t), acc[j][i]);
            t += CND_LANES;
        }
    }
#if CND_LANES > 1
    if (t < kc) {
        const int n = (int)(kc - t);
        const CND_V at = CND_LOAD_TAIL(a + t, n);
        CND_UNROLL for (int j = 0; j < CND_DOT_ROWS; j++)
            acc[j][CND_DOT_ACCS - 1] = CND_FMA(at, CND_LOAD_TAIL(row[j] + t, n), acc[j][CND_DOT_ACCS - 1]);
    }
#endif
    CND_UNROLL for (int j = 0; j < CND_DOT_ROWS; j++) {
        /* halving stages (a loop over the stride would keep gcc from scalarising acc) */
#if CND_DOT_ACCS >= 8
        CND_UNROLL for (int i = 0; i < 4; i++) acc[j][i] = CND_ADD(acc[j][i], acc[j][i + 4]);
#endif
#if CND_DOT_ACCS >= 4
        CND_UNROLL for (int i = 0; i < 2; i++) acc[j][i] = CND_ADD(acc[j][i], acc[j][i + 2]);
#endif
#if CND_DOT_ACCS >= 2
        acc[j][0] = CND_ADD(acc[j][0], acc[j][1]);
#endif
        c[j] = c[j] + CND_HSUM(acc[j][0]);
    }
}

/* ---- peak ------------------------------------------------------------------------------- */

/* x <- x*m + d converges to d/(1-m) = 1, so values stay normal however long it runs. */
static double CND_FN(peak)(int64_t iters, void *sink) {
    const CND_V m = CND_BCAST((CND_T)0.9990234375), d = CND_BCAST((CND_T)0.0009765625);
    CND_V x[CND_PEAK_CHAINS];
    CND_UNROLL for (int i = 0; i < CND_PEAK_CHAINS; i++) x[i] = CND_BCAST((CND_T)(i + 1) * (CND_T)0.0625);
    for (int64_t it = 0; it < iters; it++) {
        CND_UNROLL for (int i = 0; i < CND_PEAK_CHAINS; i++) x[i] = CND_FMA(x[i], m, d);
    }
    CND_V s = x[0];
    CND_UNROLL for (int i = 1; i < CND_PEAK_CHAINS; i++) s = CND_ADD(s, x[i]);
    *(CND_T *)sink = CND_HSUM(s);
    return iters > 0 ? (double)iters * CND_PEAK_CHAINS * CND_LANES * 2.0 : 0.0;
}

#undef CND_GEMM_VARIANT
#undef CND_FN
#undef CND_NRV
#undef CND_WMRV
#undef CND_T
#undef CND_V
#undef CND_LANES
#undef CND_DT
#undef CND_ISA
#undef CND_MR
#undef CND_NR
#undef CND_WMR
#undef CND_WNR
#undef CND_PEAK_CHAINS
#undef CND_DOT_ACCS
#undef CND_LOADU
#undef CND_LOAD_TAIL
#undef CND_STOREU
#undef CND_BCAST
#undef CND_ZERO
#undef CND_FMA
#undef CND_ADD
#undef CND_HSUM
