/* bench.c -- `convnd bench` (time one convolution pass through the plan API) and `convnd peak`
 * (the FMA peak of the micro-kernel set the library would use). See bench.h and --help.
 *
 * bench: the geometry is built from sizes given on the command line (no files), the tensors are
 * filled with deterministic pseudo-random values in [-1, 1), one plan is created with the
 * requested engine and thread count (weights not packed, so every run does the same work) and
 * one workspace is allocated for it; then a warm-up run and R timed runs, each timed on its own
 * with CLOCK_MONOTONIC. The work is counted as 2 x the multiply-adds of the direct convolution,
 * padded taps included (for a transposed conv: of its dual conv), the same for all three passes.
 *
 * peak: runs the ISA's peak kernel (independent FMAs) on T OpenMP threads at once, each for
 * about 0.2 s, and reports the sum of the threads' flops over the wall time (best of 3). */
#define _XOPEN_SOURCE 700 /* clock_gettime, posix_memalign */

#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "args.h"
#include "cli.h"
#include "convnd.h"
#include "kernels/ukernel.h" /* cnd_isa_select, cnd_isa_kernels, the peak kernel */

enum { CMD_BENCH = 1, CMD_PEAK = 2 };

#define BENCH_TARGET_SECONDS 0.5 /* default --repeat: about this long in timed runs */
#define BENCH_MIN_REPEAT 3
#define BENCH_MAX_REPEAT 100000
#define PEAK_SECONDS 0.2 /* per thread and round */
#define PEAK_ROUNDS 3
#define ALIGNMENT 64

/* ---- options --------------------------------------------------------------------------------- */

typedef enum opt_id {
    OPT_PASS,
    OPT_BATCH,
    OPT_IN_CHANNELS,
    OPT_OUT_CHANNELS,
    OPT_SIZE,
    OPT_KERNEL,
    OPT_DTYPE,
    OPT_THREADS,
    OPT_REPEAT,
    OPT_GEOMETRY /* handled by args.c */
} opt_id;

/* The tag of an option is its opt_id. */
static const cnd_cli_option bench_options[] = {
    {"--pass", "P", CMD_BENCH, OPT_PASS,
     "forward | backward-data (grad_input only) | backward-weight\n(grad_weight only, no grad_bias)"},
    {"--transposed", NULL, CMD_BENCH, OPT_GEOMETRY, "a transposed convolution (default: a convolution)"},
    {"--batch", "N", CMD_BENCH, OPT_BATCH, "batch size N >= 1 (default 1)"},
    {"--in-channels", "C", CMD_BENCH, OPT_IN_CHANNELS, "channels of the input x, C_in >= 1"},
    {"--out-channels", "K", CMD_BENCH, OPT_OUT_CHANNELS, "channels of the output y, C_out >= 1"},
    {"--size", "L", CMD_BENCH, OPT_SIZE,
     "input spatial size I_1,..,I_d (one item: the same on every axis);\n"
     "the rank d is the longer of --size and --kernel"},
    {"--kernel", "L", CMD_BENCH, OPT_KERNEL, "kernel size K_1,..,K_d (one item: the same on every axis)"},
    {"--stride", "L", CMD_BENCH, OPT_GEOMETRY, "stride S >= 1 per axis (default 1)"},
    {"--padding", "L|same|valid", CMD_BENCH, OPT_GEOMETRY,
     "padding P >= 0 per axis (default 0); an item LO:HI pads the\nlow and high sides differently"},
    {"--dilation", "L", CMD_BENCH, OPT_GEOMETRY, "dilation D >= 1 per axis (default 1)"},
    {"--groups", "N", CMD_BENCH, OPT_GEOMETRY, "groups G >= 1, dividing C_in and C_out (default 1)"},
    {"--output-padding", "L", CMD_BENCH, OPT_GEOMETRY, "--transposed only: 0 <= OP < max(S, D) (default 0)"},
    {"--padding-mode", "MODE", CMD_BENCH, OPT_GEOMETRY,
     "zeros|reflect|replicate|circular (default zeros; conv only)"},
    {"--engine", "ref|auto", CMD_BENCH, OPT_GEOMETRY, "ref: the reference loops; auto: the fast engine (default)"},
    {"--dtype", "TYPE", CMD_BENCH | CMD_PEAK, OPT_DTYPE, "float32 (default) or float64"},
    {"--threads", "T", CMD_BENCH | CMD_PEAK, OPT_THREADS,
     "threads, 1 .. 1024 (default: CONVND_NUM_THREADS if set, else\nthe OpenMP default, normally the number of cores)"},
    {"--repeat", "R", CMD_BENCH, OPT_REPEAT,
     "timed runs R >= 1 after one warm-up run (default: as many as\nfit in about 0.5 s, at least 3)"},
};
#define BENCH_OPTION_COUNT (sizeof bench_options / sizeof bench_options[0])

typedef enum bench_pass { PASS_NONE = 0, PASS_FORWARD, PASS_BACKWARD_DATA, PASS_BACKWARD_WEIGHT } bench_pass;

static const char *pass_name(bench_pass p)
{
    switch (p) {
    case PASS_FORWARD: return "forward";
    case PASS_BACKWARD_DATA: return "backward-data";
    case PASS_BACKWARD_WEIGHT: return "backward-weight";
    case PASS_NONE: break;
    }
    return "?";
}

typedef struct positive_list {
    int count; /* 0: not given */
    int64_t v[CONVND_MAX_RANK];
} positive_list;

typedef struct bench_cli {
    unsigned command;
    const char *name;
    bench_pass pass;
    int64_t batch, in_channels, out_channels; /* 0: not given */
    positive_list size, kernel;
    convnd_dtype dtype;
    int threads; /* 0: default */
    int64_t repeat; /* 0: automatic */
    cnd_geometry_args ga;
} bench_cli;

/* ---- help ------------------------------------------------------------------------------------ */

static const char usage_bench[] =
    "convnd bench --pass forward|backward-data|backward-weight [--transposed] [--batch N]\n"
    "             --in-channels C --out-channels K --size L --kernel L [GEOMETRY]\n"
    "             [--dtype float32|float64] [--threads T] [--repeat R]";
static const char usage_peak[] = "convnd peak [--dtype float32|float64] [--threads T]";

void cnd_bench_print_usage(FILE *out)
{
    fputs("  ", out);
    for (const char *p = usage_bench; *p; p++)
        if (*p == '\n')
            fputs("\n  ", out);
        else
            fputc(*p, out);
    fprintf(out, "\n  %s\n", usage_peak);
}

static void print_help(FILE *out, unsigned command)
{
    if (command == CMD_BENCH) {
        fprintf(out, "usage: %s\n\n", usage_bench);
        fputs("Times one pass of one convolution (or transposed convolution, --transposed) on pseudo-random\n"
              "data through the plan API: one plan with the given engine and threads (weights not packed,\n"
              "so every run does the whole pass), one workspace, a warm-up run, then R timed runs. Prints the\n"
              "geometry, the plan, the work and the run times; the last line is exactly\n"
              "    ms=<median milliseconds per run> gflops=<GFLOP/s at the median>\n"
              "GFLOP = 2 x the multiply-adds of the direct convolution, padded taps counted:\n"
              "    conv        2 * N * C_out * prod(O) * (C_in/G) * prod(K)\n"
              "    transposed  2 * N * C_in * prod(I) * (C_out/G) * prod(K)   (its dual conv)\n"
              "the same count for all three passes.\n\nOptions:\n",
              out);
    } else {
        fprintf(out, "usage: %s\n\n", usage_peak);
        fputs("Measures the FMA peak of the micro-kernel set the library would use (the best this CPU has,\n"
              "or CONVND_ISA=avx512|avx2|generic): T threads run its peak kernel (independent FMAs) at once,\n"
              "each for about 0.2 s; the sum of their flops over the wall time, best of 3 rounds. The last\n"
              "line is exactly\n"
              "    gflops=<GFLOP/s> isa=<name>\n\nOptions:\n",
              out);
    }
    for (size_t i = 0; i < BENCH_OPTION_COUNT; i++)
        if (bench_options[i].commands & command)
            cnd_cli_print_option(out, &bench_options[i]);
    cnd_cli_print_help_option(out);
    fputs("L is one integer for every spatial axis or d comma-separated integers, one per axis.\n"
          "Options may also be written --option=value. Each option may be given once.\n"
          "Exit status: 0 success; 1 an invalid geometry or a failed computation; 2 a usage error.\n",
          out);
}

/* ---- parsing --------------------------------------------------------------------------------- */

/* A decimal integer in [min, max]: digits only. */
static int parse_int(const char *option, const char *value, int64_t min, int64_t max, int64_t *out)
{
    const char *digits = value;
    int negative = value[0] == '-';
    if (negative)
        digits++;
    if (digits[0] == '\0')
        return cnd_cli_fail(CND_EXIT_USAGE, "%s: '%s' is not an integer", option, value);
    int64_t v = 0;
    for (const char *p = digits; *p; p++) {
        if (*p < '0' || *p > '9')
            return cnd_cli_fail(CND_EXIT_USAGE, "%s: '%s' is not an integer", option, value);
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return cnd_cli_fail(CND_EXIT_USAGE, "%s: '%s' is too large", option, value);
        v = v * 10 + (*p - '0');
    }
    if (negative)
        v = -v;
    if (v < min || v > max)
        return cnd_cli_fail(CND_EXIT_USAGE, "%s: %s is out of range; expected an integer from %lld to %lld", option,
                            value, (long long)min, (long long)max);
    *out = v;
    return 0;
}

/* "L": one to CONVND_MAX_RANK comma-separated integers >= 1. */
static int parse_positive_list(const char *option, const char *value, positive_list *list)
{
    char item[32];
    int count = 0;
    const char *p = value;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (count == CONVND_MAX_RANK)
            return cnd_cli_fail(CND_EXIT_USAGE, "%s: '%s' has more than %d items", option, value, CONVND_MAX_RANK);
        if (len == 0 || len >= sizeof item)
            return cnd_cli_fail(CND_EXIT_USAGE, "%s: '%s' is not a list of integers >= 1", option, value);
        memcpy(item, p, len);
        item[len] = '\0';
        int64_t v;
        char label[64];
        snprintf(label, sizeof label, "%s item %d", option, count + 1);
        if (parse_int(label, item, 1, INT64_MAX, &v) != 0)
            return CND_EXIT_USAGE;
        list->v[count++] = v;
        if (end == NULL)
            break;
        p = end + 1;
    }
    list->count = count;
    return 0;
}

/* Stores one option's value in the bench_cli `ctx` (cnd_cli_take_fn). */
static int take_option(void *ctx, const cnd_cli_option *o, const char *value)
{
    bench_cli *c = ctx;
    int64_t v;
    switch ((opt_id)o->tag) {
    case OPT_PASS:
        if (strcmp(value, "forward") == 0)
            c->pass = PASS_FORWARD;
        else if (strcmp(value, "backward-data") == 0)
            c->pass = PASS_BACKWARD_DATA;
        else if (strcmp(value, "backward-weight") == 0)
            c->pass = PASS_BACKWARD_WEIGHT;
        else
            return cnd_cli_fail(CND_EXIT_USAGE, "--pass: '%s' is not one of forward|backward-data|backward-weight",
                                value);
        return 0;
    case OPT_BATCH:
        return parse_int(o->name, value, 1, INT64_MAX, &c->batch);
    case OPT_IN_CHANNELS:
        return parse_int(o->name, value, 1, INT64_MAX, &c->in_channels);
    case OPT_OUT_CHANNELS:
        return parse_int(o->name, value, 1, INT64_MAX, &c->out_channels);
    case OPT_SIZE:
        return parse_positive_list(o->name, value, &c->size);
    case OPT_KERNEL:
        return parse_positive_list(o->name, value, &c->kernel);
    case OPT_DTYPE:
        if (strcmp(value, "float32") == 0)
            c->dtype = CONVND_FLOAT32;
        else if (strcmp(value, "float64") == 0)
            c->dtype = CONVND_FLOAT64;
        else
            return cnd_cli_fail(CND_EXIT_USAGE, "--dtype: '%s' is not one of float32|float64", value);
        return 0;
    case OPT_THREADS:
        if (parse_int(o->name, value, 1, CONVND_MAX_THREADS, &v) != 0)
            return CND_EXIT_USAGE;
        c->threads = (int)v;
        return 0;
    case OPT_REPEAT:
        return parse_int(o->name, value, 1, BENCH_MAX_REPEAT, &c->repeat);
    case OPT_GEOMETRY: return cnd_cli_take_geometry(&c->ga, o->name, value);
    }
    return cnd_cli_fail(CND_EXIT_USAGE, "%s: unhandled option", o->name);
}

static int parse_command_line(bench_cli *c, int argc, char **argv)
{
    const cnd_cli_command cmd = {c->name, c->command, bench_options, BENCH_OPTION_COUNT};
    return cnd_cli_scan(&cmd, argc, argv, take_option, c);
}

/* ---- helpers ----------------------------------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* x >= 0 in fixed notation (never an exponent) with at least `digits` significant digits. */
static void format_fixed(char *buf, size_t len, double x, int digits)
{
    int decimals = 0;
    if (x > 0 && isfinite(x)) {
        int magnitude = (int)floor(log10(x)); /* x = d.ddd * 10^magnitude */
        decimals = digits - 1 - magnitude;
        if (decimals < 0)
            decimals = 0;
        if (decimals > 15)
            decimals = 15;
    }
    snprintf(buf, len, "%.*f", decimals, x);
}

/* "56x56" */
static void format_axes(char *buf, size_t len, int rank, const int64_t *v)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < rank && used < len; a++) {
        int n = snprintf(buf + used, len - used, "%s%lld", a ? "x" : "", (long long)v[a]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void *alloc_aligned(size_t bytes)
{
    void *p = NULL;
    size_t rounded = (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    if (posix_memalign(&p, ALIGNMENT, rounded > 0 ? rounded : ALIGNMENT) != 0)
        return NULL;
    return p;
}

/* Deterministic values in [-1, 1). */
static void fill_random(void *data, size_t count, convnd_dtype dtype, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < count; i++) {
        s = s * 1664525u + 1013904223u;
        double v = (double)(s >> 8) / 8388608.0 - 1.0;
        if (dtype == CONVND_FLOAT64)
            ((double *)data)[i] = v;
        else
            ((float *)data)[i] = (float)v;
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- bench --------------------------------------------------------------------------------------- */

/* The geometry the options describe, through args.c as the file commands do (the shapes of
 * the input and weight are made up from the sizes). */
static int build_geometry(const bench_cli *c, convnd_geometry *g)
{
    int d = c->size.count > c->kernel.count ? c->size.count : c->kernel.count;
    if ((c->size.count != 1 && c->size.count != d) || (c->kernel.count != 1 && c->kernel.count != d))
        return cnd_cli_fail(CND_EXIT_USAGE, "--size has %d items and --kernel %d; give one item or the same number",
                            c->size.count, c->kernel.count);
    int64_t G = c->ga.groups > 0 ? c->ga.groups : 1;
    if (c->in_channels % G != 0 || c->out_channels % G != 0)
        return cnd_cli_fail(CND_EXIT_DATA, "--groups %lld must divide --in-channels %lld and --out-channels %lld",
                            (long long)G, (long long)c->in_channels, (long long)c->out_channels);
    int64_t x_shape[CONVND_MAX_RANK + 2], w_shape[CONVND_MAX_RANK + 2];
    x_shape[0] = c->batch;
    x_shape[1] = c->in_channels;
    if (c->ga.transposed) {
        w_shape[0] = c->in_channels;
        w_shape[1] = c->out_channels / G;
    } else {
        w_shape[0] = c->out_channels;
        w_shape[1] = c->in_channels / G;
    }
    for (int a = 0; a < d; a++) {
        x_shape[2 + a] = c->size.v[c->size.count == 1 ? 0 : a];
        w_shape[2 + a] = c->kernel.v[c->kernel.count == 1 ? 0 : a];
    }
    char msg[512];
    if (cnd_geometry_from_shapes(&c->ga, c->dtype, d + 2, x_shape, d + 2, w_shape, g, msg, sizeof msg) != 0)
        return cnd_cli_fail(CND_EXIT_DATA, "bench: %s", msg);
    return 0;
}

/* 2 x multiply-adds of the direct convolution (of the dual conv for a transposed one). */
static double pass_flops(const convnd_geometry *g, const int64_t *out_size)
{
    double n = g->batch == CONVND_UNBATCHED ? 1.0 : (double)g->batch;
    double taps = 1, plane = 1;
    const int64_t *positions = g->transposed ? g->input_size : out_size;
    for (int a = 0; a < g->rank; a++) {
        taps *= (double)g->kernel_size[a];
        plane *= (double)positions[a];
    }
    if (g->transposed)
        return 2.0 * n * (double)g->in_channels * plane * (double)(g->out_channels / g->groups) * taps;
    return 2.0 * n * (double)g->out_channels * plane * (double)(g->in_channels / g->groups) * taps;
}

static void print_case(const convnd_geometry *g, const int64_t *out_size)
{
    char in[128], k[128], s[128], lo[128], hi[128], dl[128], out[128], op[128];
    format_axes(in, sizeof in, g->rank, g->input_size);
    format_axes(k, sizeof k, g->rank, g->kernel_size);
    format_axes(s, sizeof s, g->rank, g->stride);
    format_axes(lo, sizeof lo, g->rank, g->pad_lo);
    format_axes(hi, sizeof hi, g->rank, g->pad_hi);
    format_axes(dl, sizeof dl, g->rank, g->dilation);
    format_axes(out, sizeof out, g->rank, out_size);
    format_axes(op, sizeof op, g->rank, g->output_padding);
    printf("case: %s %d-D %s, N %lld, C_in %lld -> C_out %lld, groups %lld\n", g->transposed ? "transposed conv" : "conv",
           g->rank, g->dtype == CONVND_FLOAT64 ? "float64" : "float32",
           (long long)(g->batch == CONVND_UNBATCHED ? 1 : g->batch), (long long)g->in_channels,
           (long long)g->out_channels, (long long)g->groups);
    printf("geometry: input %s, kernel %s, stride %s, padding %s%s%s, dilation %s", in, k, s, lo,
           strcmp(lo, hi) != 0 ? " / " : "", strcmp(lo, hi) != 0 ? hi : "", dl);
    if (g->transposed)
        printf(", output_padding %s", op);
    if (g->padding_mode != CONVND_PAD_ZEROS)
        printf(", padding mode %s", cnd_args_mode_name(g->padding_mode));
    printf(" -> output %s\n", out);
}

typedef struct bench_buffers {
    void *x, *w, *gy, *y, *gx, *gw, *workspace;
} bench_buffers;

static convnd_status run_pass(const convnd_plan *plan, bench_pass pass, const bench_buffers *b, convnd_error *err)
{
    switch (pass) {
    case PASS_FORWARD: return convnd_plan_forward(plan, b->x, b->w, NULL, b->y, b->workspace, err);
    case PASS_BACKWARD_DATA:
        return convnd_plan_backward(plan, b->x, b->w, b->gy, b->gx, NULL, NULL, b->workspace, err);
    case PASS_BACKWARD_WEIGHT:
        return convnd_plan_backward(plan, b->x, b->w, b->gy, NULL, b->gw, NULL, b->workspace, err);
    case PASS_NONE: break;
    }
    return CONVND_EINVAL;
}

/* Allocates and fills what the pass reads, and what it writes. */
static int allocate_buffers(const convnd_geometry *g, bench_pass pass, bench_buffers *b)
{
    size_t count[4];
    convnd_error err;
    for (int t = CONVND_TENSOR_INPUT; t <= CONVND_TENSOR_OUTPUT; t++)
        if (convnd_tensor_shape(g, (convnd_tensor)t, NULL, NULL, &count[t], &err) != CONVND_OK)
            return cnd_cli_fail(CND_EXIT_DATA, "bench: %s", err.msg);
    size_t elem = g->dtype == CONVND_FLOAT64 ? sizeof(double) : sizeof(float);
    size_t nx = count[CONVND_TENSOR_INPUT], nw = count[CONVND_TENSOR_WEIGHT], ny = count[CONVND_TENSOR_OUTPUT];
    b->x = alloc_aligned(nx * elem);
    b->w = alloc_aligned(nw * elem);
    b->gy = alloc_aligned(ny * elem);
    if (pass == PASS_FORWARD)
        b->y = alloc_aligned(ny * elem);
    if (pass == PASS_BACKWARD_DATA)
        b->gx = alloc_aligned(nx * elem);
    if (pass == PASS_BACKWARD_WEIGHT)
        b->gw = alloc_aligned(nw * elem);
    if (!b->x || !b->w || !b->gy || (pass == PASS_FORWARD && !b->y) || (pass == PASS_BACKWARD_DATA && !b->gx) ||
        (pass == PASS_BACKWARD_WEIGHT && !b->gw))
        return cnd_cli_fail(CND_EXIT_DATA, "bench: out of memory for the tensors");
    fill_random(b->x, nx, g->dtype, 1);
    fill_random(b->w, nw, g->dtype, 2);
    fill_random(b->gy, ny, g->dtype, 3);
    /* first touch of the outputs outside the timed runs */
    if (b->y)
        memset(b->y, 0, ny * elem);
    if (b->gx)
        memset(b->gx, 0, nx * elem);
    if (b->gw)
        memset(b->gw, 0, nw * elem);
    return 0;
}

static void free_buffers(bench_buffers *b)
{
    free(b->x);
    free(b->w);
    free(b->gy);
    free(b->y);
    free(b->gx);
    free(b->gw);
    free(b->workspace);
}

static int time_runs(const bench_cli *c, const convnd_plan *plan, const bench_buffers *b, double flops)
{
    convnd_error err;
    double t0 = now_seconds();
    convnd_status st = run_pass(plan, c->pass, b, &err);
    double warm = now_seconds() - t0;
    if (st != CONVND_OK)
        return cnd_cli_fail(CND_EXIT_DATA, "bench: %s failed: %s", pass_name(c->pass), err.msg);

    /* R runs, or by default runs until they add up to BENCH_TARGET_SECONDS (at least
     * BENCH_MIN_REPEAT): a budget of time rather than a count fixed from one run, so that a
     * busy machine does not stretch the whole measurement. */
    int64_t cap = c->repeat ? c->repeat : BENCH_MAX_REPEAT;
    double *times = malloc((size_t)cap * sizeof *times);
    if (times == NULL)
        return cnd_cli_fail(CND_EXIT_DATA, "bench: out of memory");
    int64_t repeat = 0;
    double spent = 0;
    while (repeat < cap && (c->repeat || repeat < BENCH_MIN_REPEAT || spent < BENCH_TARGET_SECONDS)) {
        t0 = now_seconds();
        st = run_pass(plan, c->pass, b, &err);
        times[repeat] = now_seconds() - t0;
        spent += times[repeat++];
        if (st != CONVND_OK) {
            free(times);
            return cnd_cli_fail(CND_EXIT_DATA, "bench: %s failed: %s", pass_name(c->pass), err.msg);
        }
    }
    qsort(times, (size_t)repeat, sizeof *times, compare_doubles);
    double median = repeat % 2 ? times[repeat / 2] : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);
    double sum = 0;
    for (int64_t r = 0; r < repeat; r++)
        sum += times[r];
    char ms[64], gf[64], mn[64], mx[64], wu[64], mean[64];
    format_fixed(wu, sizeof wu, warm * 1e3, 4);
    format_fixed(mn, sizeof mn, times[0] * 1e3, 4);
    format_fixed(mx, sizeof mx, times[repeat - 1] * 1e3, 4);
    format_fixed(mean, sizeof mean, sum / (double)repeat * 1e3, 4);
    format_fixed(ms, sizeof ms, median * 1e3, 4);
    format_fixed(gf, sizeof gf, median > 0 ? flops / median * 1e-9 : 0.0, 4);
    printf("runs: 1 warm-up (%s ms) + %lld timed: min %s ms, mean %s ms, max %s ms\n", wu, (long long)repeat, mn, mean,
           mx);
    printf("ms=%s gflops=%s\n", ms, gf);
    free(times);
    return 0;
}

int cnd_bench_command(int argc, char **argv)
{
    bench_cli c;
    memset(&c, 0, sizeof c);
    c.command = CMD_BENCH;
    c.name = "bench";
    c.dtype = CONVND_FLOAT32;
    c.batch = 1;
    cnd_geometry_args_init(&c.ga);
    if (cnd_cli_wants_help(argc, argv)) {
        print_help(stdout, CMD_BENCH);
        return 0;
    }
    int rc = parse_command_line(&c, argc, argv);
    if (rc != 0)
        return rc;
    if (c.pass == PASS_NONE)
        return cnd_cli_fail(CND_EXIT_USAGE, "bench needs --pass (forward, backward-data or backward-weight)");
    if (c.in_channels == 0)
        return cnd_cli_fail(CND_EXIT_USAGE, "bench needs --in-channels (see convnd bench --help)");
    if (c.out_channels == 0)
        return cnd_cli_fail(CND_EXIT_USAGE, "bench needs --out-channels (see convnd bench --help)");
    if (c.size.count == 0)
        return cnd_cli_fail(CND_EXIT_USAGE, "bench needs --size (see convnd bench --help)");
    if (c.kernel.count == 0)
        return cnd_cli_fail(CND_EXIT_USAGE, "bench needs --kernel (see convnd bench --help)");

    convnd_geometry g;
    if ((rc = build_geometry(&c, &g)) != 0)
        return rc;
    int64_t out_size[CONVND_MAX_RANK];
    convnd_error err;
    if (convnd_output_size(&g, out_size, &err) != CONVND_OK)
        return cnd_cli_fail(CND_EXIT_DATA, "bench: %s", err.msg);
    double flops = pass_flops(&g, out_size);
    print_case(&g, out_size);

    convnd_plan_options opt;
    convnd_plan_options_init(&opt);
    opt.engine = c.ga.engine;
    opt.threads = c.threads;
    opt.weight = NULL;
    convnd_plan *plan = NULL;
    if (convnd_plan_create(&g, &opt, &plan, &err) != CONVND_OK)
        return cnd_cli_fail(CND_EXIT_DATA, "bench: cannot create the plan: %s", err.msg);

    bench_buffers b;
    memset(&b, 0, sizeof b);
    rc = allocate_buffers(&g, c.pass, &b);
    size_t ws = convnd_plan_workspace_size(plan);
    if (rc == 0 && ws > 0 && (b.workspace = alloc_aligned(ws)) == NULL)
        rc = cnd_cli_fail(CND_EXIT_DATA, "bench: out of memory for the workspace (%zu bytes)", ws);
    if (rc == 0) {
        char gflop[64];
        format_fixed(gflop, sizeof gflop, flops * 1e-9, 6);
        char threads[32] = "default";
        if (c.threads > 0)
            snprintf(threads, sizeof threads, "%d", c.threads);
        printf("pass: %s, engine %s, threads %s\n", pass_name(c.pass),
               c.ga.engine == CONVND_ENGINE_REF ? "ref" : "auto", threads);
        printf("plan: %s\n", convnd_plan_describe(plan));
        printf("workspace: %zu bytes\n", ws);
        printf("work: %s GFLOP per run (2 x multiply-adds of the direct convolution, padded taps counted)\n", gflop);
        fflush(stdout);
        rc = time_runs(&c, plan, &b, flops);
    }
    free_buffers(&b);
    convnd_plan_destroy(plan);
    return rc;
}

/* ---- peak ---------------------------------------------------------------------------------------- */

/* CONVND_NUM_THREADS if it is a valid count, else the OpenMP default. */
static int default_threads(void)
{
    const char *env = getenv("CONVND_NUM_THREADS");
    if (env != NULL && env[0] != '\0') {
        char *end;
        errno = 0;
        long v = strtol(env, &end, 10);
        if (errno == 0 && *end == '\0' && v >= 1 && v <= CONVND_MAX_THREADS)
            return (int)v;
    }
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* One round: every thread runs `iters` iterations after a barrier; flops / wall seconds.
 * *ran receives the number of threads that actually ran. */
static double peak_round(cnd_peak_kernel peak, int64_t iters, int threads, char *sinks, int *ran)
{
    double total = 0, start = 0;
    int team = 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
        int id = omp_get_thread_num();
        peak(iters / 20 + 1, sinks + (size_t)id * ALIGNMENT); /* wake up, ramp clocks */
#pragma omp barrier
#pragma omp single
        {
            team = omp_get_num_threads();
            start = now_seconds();
        } /* implicit barrier: every thread starts together */
        total += peak(iters, sinks + (size_t)id * ALIGNMENT);
    }
#else
    (void)threads;
    peak(iters / 20 + 1, sinks);
    start = now_seconds();
    total = peak(iters, sinks);
#endif
    double wall = now_seconds() - start;
    *ran = team;
    return wall > 0 ? total / wall : 0.0;
}

int cnd_peak_command(int argc, char **argv)
{
    bench_cli c;
    memset(&c, 0, sizeof c);
    c.command = CMD_PEAK;
    c.name = "peak";
    c.dtype = CONVND_FLOAT32;
    cnd_geometry_args_init(&c.ga);
    if (cnd_cli_wants_help(argc, argv)) {
        print_help(stdout, CMD_PEAK);
        return 0;
    }
    int rc = parse_command_line(&c, argc, argv);
    if (rc != 0)
        return rc;
    int threads = c.threads ? c.threads : default_threads();
#ifndef _OPENMP
    if (threads > 1)
        return cnd_cli_fail(CND_EXIT_DATA,
                            "peak: this build has no OpenMP, so it runs on one thread only (got --threads %d)",
                            threads);
#endif
    convnd_error err;
    memset(&err, 0, sizeof err);
    const cnd_isa *isa = cnd_isa_select(&err);
    if (isa == NULL)
        return cnd_cli_fail(CND_EXIT_DATA, "peak: no micro-kernel set: %s", err.msg);
    const cnd_ukernels *k = cnd_isa_kernels(isa, c.dtype);
    const char *dtype = c.dtype == CONVND_FLOAT64 ? "float64" : "float32";
    if (k->peak == NULL)
        return cnd_cli_fail(CND_EXIT_DATA, "peak: the %s kernels have no peak kernel for %s", isa->name, dtype);

    /* Calibrate on this thread: iterations for about PEAK_SECONDS. */
    char *sinks = alloc_aligned((size_t)threads * ALIGNMENT);
    if (sinks == NULL)
        return cnd_cli_fail(CND_EXIT_DATA, "peak: out of memory");
    int64_t iters = 1024;
    double t = 0;
    for (;;) {
        double t0 = now_seconds();
        k->peak(iters, sinks);
        t = now_seconds() - t0;
        if (t >= 0.02 || iters > INT64_MAX / 8)
            break;
        iters *= 4;
    }
    double scaled = t > 0 ? (double)iters * PEAK_SECONDS / t : (double)iters;
    int64_t run_iters = scaled < 1 ? 1 : scaled > 9e18 ? INT64_MAX / 2 : (int64_t)scaled;

    printf("peak: isa %s%s, %s, %d thread%s, %lld iterations per thread and round\n", isa->name,
           getenv("CONVND_ISA") && getenv("CONVND_ISA")[0] ? " (CONVND_ISA)" : "", dtype, threads,
           threads == 1 ? "" : "s", (long long)run_iters);
    double best = 0;
    for (int r = 0; r < PEAK_ROUNDS; r++) {
        int ran = threads;
        double f = peak_round(k->peak, run_iters, threads, sinks, &ran);
        char buf[64];
        format_fixed(buf, sizeof buf, f * 1e-9, 4);
        printf("round %d: %s GFLOP/s on %d thread%s\n", r + 1, buf, ran, ran == 1 ? "" : "s");
        if (ran != threads) {
            free(sinks);
            return cnd_cli_fail(CND_EXIT_DATA, "peak: OpenMP gave %d threads instead of %d", ran, threads);
        }
        if (f > best)
            best = f;
    }
    free(sinks);
    char gf[64];
    format_fixed(gf, sizeof gf, best * 1e-9, 4);
    printf("gflops=%s isa=%s\n", gf, isa->name);
    return 0;
}
