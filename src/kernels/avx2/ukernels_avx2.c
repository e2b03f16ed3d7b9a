/* ukernels_avx2.c -- the micro-kernels on AVX2 + FMA: 16 ymm registers.
 * Compiled with -mavx2 -mfma; isa.c only runs it after CPUID and XGETBV say the CPU and OS
 * support it.
 *
 * Tiles (>= 8 independent accumulators for 2 FMA pipes x 4 cycles; 16 registers):
 *   f32 gemm 4x24, f64 gemm 4x12  = 4 x 3 ymm accumulators + 3 B vectors + 1 broadcast
 *   f32 wgrad 16x6, f64 wgrad 8x6 = 6 x 2 ymm accumulators + 2 A vectors + 1 broadcast
 *   dot: 2 partial-sum vectors per row (8 chains)
 *   peak: 12 chains + 2 constants */
#include <immintrin.h>

#include "kernels/ukernel.h"

/* Fixed reduction trees: halves added pairwise, low half first. */
static inline float cnd_hsum_ps256(__m256 v) {
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

static inline double cnd_hsum_pd256(__m256d v) {
    __m128d q = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    q = _mm_add_sd(q, _mm_unpackhi_pd(q, q));
    return _mm_cvtsd_f64(q);
}

/* maskload never touches the lanes whose mask is clear, so the tail reads nothing past p[n-1]. */
static inline __m256 cnd_load_tail_ps256(const float *p, int n) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_maskload_ps(p, mask);
}

static inline __m256d cnd_load_tail_pd256(const double *p, int n) {
    const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
    return _mm256_maskload_pd(p, mask);
}

#define CND_T float
#define CND_V __m256
#define CND_LANES 8
#define CND_DT f32
#define CND_ISA avx2
#define CND_MR 4
#define CND_NR 24
#define CND_WMR 16
#define CND_WNR 6
#define CND_PEAK_CHAINS 12
#define CND_DOT_ACCS 2
#define CND_LOADU(p) _mm256_loadu_ps(p)
#define CND_LOAD_TAIL(p, n) cnd_load_tail_ps256((p), (n))
#define CND_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define CND_BCAST(x) _mm256_set1_ps(x)
#define CND_ZERO() _mm256_setzero_ps()
#define CND_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define CND_ADD(a, b) _mm256_add_ps((a), (b))
#define CND_HSUM(v) cnd_hsum_ps256(v)
#include "kernels/ukernel.c.h"

#define CND_T double
#define CND_V __m256d
#define CND_LANES 4
#define CND_DT f64
#define CND_ISA avx2
#define CND_MR 4
#define CND_NR 12
#define CND_WMR 8
#define CND_WNR 6
#define CND_PEAK_CHAINS 12
#define CND_DOT_ACCS 2
#define CND_LOADU(p) _mm256_loadu_pd(p)
#define CND_LOAD_TAIL(p, n) cnd_load_tail_pd256((p), (n))
#define CND_STOREU(p, v) _mm256_storeu_pd((p), (v))
#define CND_BCAST(x) _mm256_set1_pd(x)
#define CND_ZERO() _mm256_setzero_pd()
#define CND_FMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define CND_ADD(a, b) _mm256_add_pd((a), (b))
#define CND_HSUM(v) cnd_hsum_pd256(v)
#include "kernels/ukernel.c.h"

const cnd_isa cnd_isa_avx2 = {
    "avx2",
    CND_UKERNELS(f32, avx2, 4, 24, 16, 6),
    CND_UKERNELS(f64, avx2, 4, 12, 8, 6),
};
