/* ukernel.h -- the micro-kernel contract (BLIS / XNNPACK style): a few tiny register-blocked
 * kernels per instruction set and element type. Everything around them (convolution-aware
 * packing, blocking, threads) is portable C in src/fast/ and never depends on the ISA beyond
 * the tile sizes published here.
 *
 * One template (ukernel.c.h) is instantiated per ISA in its own file:
 *     kernels/generic/ukernels_generic.c   portable C, any architecture
 *     kernels/avx2/ukernels_avx2.c         x86-64 AVX2 + FMA   (compiled with -mavx2 -mfma)
 *     kernels/avx512/ukernels_avx512.c     x86-64 AVX-512F     (compiled with -mavx512f ...)
 * and isa.c picks one at run time from CPUID (or CONVND_ISA).
 *
 * All pointers are element pointers of the table's dtype (float for f32, double for f64) passed
 * as void. Offsets are in elements. No alignment is required. gemm, wgrad and cgemm add their
 * products in ascending t, one FMA each (so splitting kc into consecutive calls with
 * accumulate=1 gives bit-identical results); dot uses lane-wise partial sums and a fixed
 * reduction tree. Results depend only on the inputs and the ISA: never on how the caller
 * splits work between threads.
 */
#ifndef CONVND_KERNELS_UKERNEL_H
#define CONVND_KERNELS_UKERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define CND_MAX_MR 8   /* largest gemm row count of any ISA */
#define CND_DOT_ROWS 4 /* rows of the dot kernel */

/* gemm ("indirect-row GEMM"), a rows x nr tile, rows = the variant's row count (1..mr):
 *     c[m*nr + j] = (accumulate ? c[m*nr + j] : 0) + sum_{t<kc} a[t*rows + m] * b[off[t] + j]
 * a is a packed panel (kc x rows, t-major); each B row b + off[t] must have nr readable
 * elements. Conv forward: rows = output channels, t = (input channel, tap), j = positions. */
typedef void (*cnd_gemm_ukernel)(size_t kc, const void *a, const void *b, const ptrdiff_t *off, void *c,
                                 int accumulate);

/* wgrad, a wnr x wmr tile vectorised along m:
 *     c[j*wmr + m] += sum_{t<kc} a[t*wmr + m] * b[off[j] + t]        (always accumulates)
 * a is a packed panel (kc x wmr, t-major); b + off[j] is a row read at kc consecutive
 * elements. Weight gradient: m = output channels, j = (input channel, tap), t = positions. */
typedef void (*cnd_wgrad_ukernel)(size_t kc, const void *a, const void *b, const ptrdiff_t *off, void *c);

/* cgemm ("channel-vector indirect GEMM"), a wnr x wmr tile vectorised along m, on the wgrad
 * tile sizes:
 *     c[j*wmr + m] = sum_{t<kc} a[t*wmr + m] * pos[j][off[t]]           (overwrites c)
 * a is a packed panel (kc x wmr, t-major); pos[j] points at output position j's source.
 * Conv forward on small or high-rank images: m = output channels, j = any wnr positions (no
 * lanes are spent on padding columns), t = (input channel, tap). */
typedef void (*cnd_cgemm_ukernel)(size_t kc, const void *a, const void *const *pos, const ptrdiff_t *off, void *c);

/* dot, CND_DOT_ROWS rows:
 *     c[j] += sum_{t<kc} a[t] * b[off[j] + t]                         (always accumulates)
 * vectorised along t: lane-wise partial sums, then a fixed reduction tree, then added to c[j].
 * Weight gradient when there are too few output channels per group for wgrad (depthwise). */
typedef void (*cnd_dot_ukernel)(size_t kc, const void *a, const void *b, const ptrdiff_t *off, void *c);

/* Runs `iters` iterations of a loop of independent FMAs (for measuring the machine's peak);
 * returns the floating-point operations done (2 per FMA lane). `sink` receives a value
 * depending on the result so the loop cannot be removed. */
typedef double (*cnd_peak_kernel)(int64_t iters, void *sink);

/* The kernels of one element type on one ISA. */
typedef struct cnd_ukernels {
    int mr, nr;                            /* gemm tile: up to mr rows, nr lanes */
    cnd_gemm_ukernel gemm[CND_MAX_MR + 1]; /* gemm[m] computes m rows, 1 <= m <= mr; gemm[0] NULL */
    int wmr, wnr;                          /* wgrad and cgemm tile */
    cnd_wgrad_ukernel wgrad;
    cnd_cgemm_ukernel cgemm;
    cnd_dot_ukernel dot;
    cnd_peak_kernel peak;
} cnd_ukernels;

typedef struct cnd_isa {
    const char *name; /* "avx512", "avx2", "generic" */
    cnd_ukernels f32, f64;
} cnd_isa;

extern const cnd_isa cnd_isa_generic;
#if defined(CONVND_HAVE_X86_KERNELS)
extern const cnd_isa cnd_isa_avx2;
extern const cnd_isa cnd_isa_avx512;
#endif

/* The kernels for dtype t. */
static inline const cnd_ukernels *cnd_isa_kernels(const cnd_isa *isa, convnd_dtype t) {
    return t == CONVND_FLOAT64 ? &isa->f64 : &isa->f32;
}

/* The ISA to run: CONVND_ISA (avx512 | avx2 | generic) when set and non-empty, else the best
 * this CPU and build support. Returns NULL and fills *err: CONVND_EINVAL for an unknown name,
 * CONVND_EUNSUPPORTED for a path this CPU or build lacks. Thread-safe (reads the environment
 * on every call). */
const cnd_isa *cnd_isa_select(convnd_error *err);

/* The best ISA this CPU and build support, ignoring CONVND_ISA. Never NULL. */
const cnd_isa *cnd_isa_best(void);

/* 1 if this CPU can run `isa` (CPUID and OS register-state support), else 0. */
int cnd_isa_supported(const cnd_isa *isa);

#endif
