/* ukernels_generic.c -- the micro-kernels in portable scalar C (lanes = 1), for any CPU.
 * The library is compiled with -ffp-contract=off, so CND_FMA is a rounded product then a
 * rounded sum: results differ from the FMA ISAs in the last bits, as the contract allows.
 * Tiles: gemm 4x8 and wgrad 8x4 (32 scalar accumulators, which compilers may vectorise). */
#include "kernels/ukernel.h"

#define CND_T float
#define CND_V float
#define CND_LANES 1
#define CND_DT f32
#define CND_ISA generic
#define CND_MR 4
#define CND_NR 8
#define CND_WMR 8
#define CND_WNR 4
#define CND_PEAK_CHAINS 12
#define CND_DOT_ACCS 2
#define CND_LOADU(p) (*(p))
#define CND_LOAD_TAIL(p, n) (*(p))
#define CND_STOREU(p, v) (*(p) = (v))
#define CND_BCAST(x) (x)
#define CND_ZERO() 0.0f
#define CND_FMA(a, b, c) ((a) * (b) + (c))
#define CND_ADD(a, b) ((a) + (b))
#define CND_HSUM(v) (v)
#include "kernels/ukernel.c.h"

#define CND_T double
#define CND_V double
#define CND_LANES 1
#define CND_DT f64
#define CND_ISA generic
#define CND_MR 4
#define CND_NR 8
#define CND_WMR 8
#define CND_WNR 4
#define CND_PEAK_CHAINS 12
#define CND_DOT_ACCS 2
#define CND_LOADU(p) (*(p))
#define CND_LOAD_TAIL(p, n) (*(p))
#define CND_STOREU(p, v) (*(p) = (v))
#define CND_BCAST(x) (x)
#define CND_ZERO() 0.0
#define CND_FMA(a, b, c) ((a) * (b) + (c))
#define CND_ADD(a, b) ((a) + (b))
#define CND_HSUM(v) (v)
#include "kernels/ukernel.c.h"

const cnd_isa cnd_isa_generic = {
    "generic",
    CND_UKERNELS(f32, generic, 4, 8, 8, 4),
    CND_UKERNELS(f64, generic, 4, 8, 8, 4),
};
