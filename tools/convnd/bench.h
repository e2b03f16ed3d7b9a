/* bench.h -- the convnd tool's timing commands (bench.c):
 *
 *   convnd bench --pass forward|backward-data|backward-weight [--transposed] --batch N
 *                --in-channels C --out-channels K --size L --kernel L [GEOMETRY]
 *                [--dtype float32|float64] [--threads T] [--repeat R]
 *   convnd peak  [--dtype float32|float64] [--threads T]
 *
 * Each takes the arguments after its command name and returns the process exit status
 * (0, 1 data or computation error, 2 usage error). The last line each prints on stdout is
 * machine-readable: "ms=<median ms> gflops=<GFLOP/s>" and "gflops=<x> isa=<name>". */
#ifndef CONVND_TOOL_BENCH_H
#define CONVND_TOOL_BENCH_H

#include <stdio.h>

int cnd_bench_command(int argc, char **argv);
int cnd_peak_command(int argc, char **argv);

/* One line each for `convnd --help`. */
void cnd_bench_print_usage(FILE *out);

#endif
