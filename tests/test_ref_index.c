/* test_ref_index.c -- the reference engine's index maps (ref_index.h) against their
 * definitions: the spec's mkInputIdx? / mkTransposeInputIdx? / matchesInputPos written out
 * literally per axis, and PyTorch's documented padding modes. */
#include <stdio.h>

#include "ref/ref_index.h"
#include "testutil.h"

/* Spec mkInputIdx? on one axis, extended by the padding mode: the input index read by output
 * position q through tap k, or -1 for zero padding. */
static int64_t spec_input_index(convnd_padding_mode mode, int64_t q, int64_t k, int64_t s, int64_t d, int64_t p,
                                int64_t size) {
    int64_t j = q * s + k * d - p;
    if (j >= 0 && j < size) return j;
    if (mode == CONVND_PAD_ZEROS) return -1;
    if (mode == CONVND_PAD_REPLICATE) return j < 0 ? 0 : size - 1;
    if (mode == CONVND_PAD_CIRCULAR) return j < 0 ? j + size : j - size;
    return j < 0 ? -j : (size - 1) - (j - (size - 1)); /* reflect about the edge element */
}

static void check_fold_and_source(void) {
    const convnd_padding_mode modes[] = {CONVND_PAD_ZEROS, CONVND_PAD_REFLECT, CONVND_PAD_REPLICATE,
                                         CONVND_PAD_CIRCULAR};
    for (int m = 0; m < 4; m++)
        for (int64_t size = 1; size <= 5; size++)
            for (int64_t pad = 0; pad <= size; pad++) {
                if (modes[m] == CONVND_PAD_REFLECT && pad >= size) continue;
                for (int64_t j = -pad; j < size + pad; j++) {
                    int64_t want = spec_input_index(modes[m], j, 0, 1, 1, 0, size);
                    CHECK(ref_fold(modes[m], j, size) == want, "fold mode %d size %lld j %lld: got %lld want %lld", m,
                          (long long)size, (long long)j, (long long)ref_fold(modes[m], j, size), (long long)want);
                }
            }
    /* 2-D offsets: row-major combination of the per-axis maps, -1 if any axis is padding. */
    cnd_problem p = {0};
    p.rank = 2;
    p.x_size[0] = 4, p.x_size[1] = 5;
    p.y_size[0] = 3, p.y_size[1] = 3;
    p.kernel[0] = 2, p.kernel[1] = 3;
    p.stride[0] = 2, p.stride[1] = 1;
    p.dilation[0] = 1, p.dilation[1] = 2;
    p.pad_lo[0] = 1, p.pad_lo[1] = 2;
    for (int m = 0; m < 4; m++) {
        p.mode = modes[m];
        int64_t q[2], k[2];
        for (q[0] = 0; q[0] < 3; q[0]++)
            for (q[1] = 0; q[1] < 3; q[1]++)
                for (k[0] = 0; k[0] < 2; k[0]++)
                    for (k[1] = 0; k[1] < 3; k[1]++) {
                        int64_t j0 = spec_input_index(p.mode, q[0], k[0], 2, 1, 1, 4);
                        int64_t j1 = spec_input_index(p.mode, q[1], k[1], 1, 2, 2, 5);
                        int64_t want = (j0 < 0 || j1 < 0) ? -1 : j0 * 5 + j1;
                        CHECK(ref_source_offset(&p, q, k) == want, "source offset mode %d q=(%lld,%lld) k=(%lld,%lld)",
                              m, (long long)q[0], (long long)q[1], (long long)k[0], (long long)k[1]);
                    }
    }
}

/* ref_transpose_source finds exactly the q with q*S + k*D = j + P (the spec's
 * matchesInputPos), by brute force over q. */
static void check_transpose_source(void) {
    cnd_problem p = {0};
    p.rank = 1;
    for (int64_t s = 1; s <= 3; s++)
        for (int64_t d = 1; d <= 2; d++)
            for (int64_t pad = 0; pad <= 2; pad++)
                for (int64_t ysize = 1; ysize <= 4; ysize++) {
                    p.stride[0] = s, p.dilation[0] = d, p.pad_lo[0] = pad, p.y_size[0] = ysize;
                    for (int64_t j = -pad; j < 8; j++)
                        for (int64_t k = 0; k < 3; k++) {
                            int64_t found = -1, off = -7;
                            for (int64_t q = 0; q < 16; q++)
                                if (q * s + k * d == j + pad) found = q;
                            ref_tap tap = ref_transpose_source(&p, &j, &k, &off);
                            if (found < 0)
                                CHECK(tap == REF_TAP_NONE, "S%lld D%lld P%lld j%lld k%lld: expected no tap", (long long)s,
                                      (long long)d, (long long)pad, (long long)j, (long long)k);
                            else
                                CHECK(off == found && tap == (found < ysize ? REF_TAP_INSIDE : REF_TAP_OUTSIDE),
                                      "S%lld D%lld P%lld j%lld k%lld: tap %d at %lld, expected q %lld", (long long)s,
                                      (long long)d, (long long)pad, (long long)j, (long long)k, (int)tap,
                                      (long long)off, (long long)found);
                        }
                }
}

/* cnd_next_index visits every index once, in row-major order (the spec's foldlIndices). */
static void check_odometer(void) {
    const int64_t dims[3] = {2, 3, 2};
    int64_t idx[3] = {0, 0, 0}, visited = 0;
    do {
        CHECK(idx[0] * 6 + idx[1] * 2 + idx[2] == visited, "odometer step %lld at (%lld,%lld,%lld)",
              (long long)visited, (long long)idx[0], (long long)idx[1], (long long)idx[2]);
        visited++;
    } while (cnd_next_index(3, dims, idx));
    CHECK(visited == 12, "odometer visited %lld of 12", (long long)visited);
}

int main(void) {
    check_fold_and_source();
    check_transpose_source();
    check_odometer();
    return tu_finish("test_ref_index");
}
