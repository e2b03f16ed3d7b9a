/* isa.c -- picks the micro-kernels to run: CONVND_ISA when set, else the best the CPU has.
 * No state of its own: __builtin_cpu_supports reads the CPUID/XGETBV results libgcc (or
 * compiler-rt) records in a constructor; __builtin_cpu_init is idempotent and is called
 * again only in case we run before that constructor. The features it reports already
 * include the OS check (XCR0 enables the ymm / zmm state), not just the CPUID bits. */
#include <stdlib.h>
#include <string.h>

#include "kernels/ukernel.h"

#if defined(CONVND_HAVE_X86_KERNELS)
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}
#endif

int cnd_isa_supported(const cnd_isa *isa) {
    if (isa == &cnd_isa_generic) return 1;
#if defined(CONVND_HAVE_X86_KERNELS)
    if (isa == &cnd_isa_avx512) return cpu_has_avx512();
    if (isa == &cnd_isa_avx2) return cpu_has_avx2();
#endif
    return 0;
}

const cnd_isa *cnd_isa_best(void) {
#if defined(CONVND_HAVE_X86_KERNELS)
    if (cpu_has_avx512()) return &cnd_isa_avx512;
    if (cpu_has_avx2()) return &cnd_isa_avx2;
#endif
    return &cnd_isa_generic;
}

const cnd_isa *cnd_isa_select(convnd_error *err) {
    const char *want = getenv("CONVND_ISA");
    if (!want || !*want) return cnd_isa_best();
    if (strcmp(want, "generic") == 0) return &cnd_isa_generic;
    if (strcmp(want, "avx512") == 0 || strcmp(want, "avx2") == 0) {
#if defined(CONVND_HAVE_X86_KERNELS)
        const int wide = want[3] == '5';
        const cnd_isa *isa = wide ? &cnd_isa_avx512 : &cnd_isa_avx2;
        if (cnd_isa_supported(isa)) return isa;
        cnd_fail(err, CONVND_EUNSUPPORTED, "CONVND_ISA=%s: this CPU lacks %s", want,
                 wide ? "AVX-512 (F, DQ, BW, VL) with AVX2 and FMA" : "AVX2 and FMA");
#else
        cnd_fail(err, CONVND_EUNSUPPORTED, "CONVND_ISA=%s: this build has no x86 kernels", want);
#endif
        return NULL;
    }
    cnd_fail(err, CONVND_EINVAL, "CONVND_ISA=%.100s is not one of avx512, avx2, generic", want);
    return NULL;
}
