/* ukernels_avx512.c -- the micro-kernels on AVX-512 (F, DQ, BW, VL): 32 zmm registers.
 * Compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma; isa.c only runs it
 * after CPUID and XGETBV say the CPU and OS support it.
 *
 * Tiles (2 FMA pipes x 4 cycles latency needs >= 8 independent accumulators; 32 registers):
 *   f32 gemm 8x48  = 8 x 3 zmm accumulators + 3 B vectors + 1 broadcast
 *   f64 gemm 8x24  = the same registers at 8 lanes
 *   f32 wgrad 32x12, f64 wgrad 16x12 = 12 x 2 zmm accumulators + 2 A vectors + 1 broadcast
 *   dot: 4 partial-sum vectors per row (16 chains; it is bound by loads anyway: 5 per 4 FMAs)
 *   peak: 24 chains (enough for 2 pipes even at 12 cycles of latency) */
#include <immintrin.h>

#include "kernels/ukernel.h"

/* Fixed reduction trees: halves added pairwise, low half first. */
static inline float cnd_hsum_ps512(__m512 v) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

static inline double cnd_hsum_pd512(__m512d v) {
    __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    q = _mm_add_sd(q, _mm_unpackhi_pd(q, q));
    return _mm_cvtsd_f64(q);
}

#define CND_T float
#define CND_V __m512
#define CND_LANES 16
#define CND_DT f32
#define CND_ISA avx512
#define CND_MR 8
#define CND_NR 48
#define CND_WMR 32
#define CND_WNR 12
#define CND_PEAK_CHAINS 24
#define CND_DOT_ACCS 4
#define CND_LOADU(p) _mm512_loadu_ps(p)
#define CND_LOAD_TAIL(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), (p))
#define CND_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define CND_BCAST(x) _mm512_set1_ps(x)
#define CND_ZERO() _mm512_setzero_ps()
#define CND_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define CND_ADD(a, b) _mm512_add_ps((a), (b))
#define CND_HSUM(v) cnd_hsum_ps512(v)
#include "kernels/ukernel.c.h"

#define CND_T double
#define CND_V __m512d
#define CND_LANES 8
#define CND_DT f64
#define CND_ISA avx512
#define CND_MR 8
#define CND_NR 24
#define CND_WMR 16
#define CND_WNR 12
#define CND_PEAK_CHAINS 24
#define CND_DOT_ACCS 4
#define CND_LOADU(p) _mm512_loadu_pd(p)
#define CND_LOAD_TAIL(p, n) _mm512_maskz_loadu_pd((__mmask8)((1u << (n)) - 1u), (p))
#define CND_STOREU(p, v) _mm512_storeu_pd((p), (v))
#define CND_BCAST(x) _mm512_set1_pd(x)
#define CND_ZERO() _mm512_setzero_pd()
#define CND_FMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define CND_ADD(a, b) _mm512_add_pd((a), (b))
#define CND_HSUM(v) cnd_hsum_pd512(v)
#include "kernels/ukernel.c.h"

const cnd_isa cnd_isa_avx512 = {
    "avx512",
    CND_UKERNELS(f32, avx512, 8, 48, 32, 12),
    CND_UKERNELS(f64, avx512, 8, 24, 16, 12),
};
