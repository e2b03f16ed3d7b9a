/* main.c -- the convnd tool: convolution and transposed convolution, forward and backward, on
 * .npy files; and `convnd demo`, a tour on built-in data. Run `convnd --help` for the interface.
 *
 * Both file commands follow one path: parse the options (one table), load the inputs, build
 * the geometry from their shapes (args.c), check the remaining shapes, compute every output in
 * memory, and only then write the outputs to temporary files and rename them into place. */
#define _XOPEN_SOURCE 700 /* POSIX 2008 + XSI: mkstemp, fdopen, fsync, fchmod, realpath, strdup */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "cli.h"
#include "convnd.h"
#include "npy.h"

enum { CMD_FORWARD = 1, CMD_BACKWARD = 2, CMD_BOTH = 3 };

/* The files a command reads or writes. Inputs come first, outputs from FIRST_OUTPUT on. */
typedef enum slot {
    SLOT_INPUT,
    SLOT_WEIGHT,
    SLOT_BIAS,
    SLOT_GRAD_OUTPUT,
    SLOT_OUTPUT,
    SLOT_GRAD_INPUT,
    SLOT_GRAD_WEIGHT,
    SLOT_GRAD_BIAS,
    SLOT_COUNT
} slot;
#define FIRST_OUTPUT SLOT_OUTPUT
#define NOT_A_FILE (-1)

/* The tensor of the geometry whose shape each slot has (a gradient has its tensor's shape). */
static const convnd_tensor slot_tensor[SLOT_COUNT] = {
    CONVND_TENSOR_INPUT, CONVND_TENSOR_WEIGHT, CONVND_TENSOR_BIAS,   CONVND_TENSOR_OUTPUT,
    CONVND_TENSOR_OUTPUT, CONVND_TENSOR_INPUT, CONVND_TENSOR_WEIGHT, CONVND_TENSOR_BIAS,
};

/* The tag of an option is its slot, or NOT_A_FILE for the GEOMETRY options of args.c. */
static const cnd_cli_option option_table[] = {
    {"--input", "X.npy", CMD_BOTH, SLOT_INPUT, "input x: (N, C_in, I_1..I_d), or (C_in, I_1..I_d) for one sample"},
    {"--weight", "W.npy", CMD_BOTH, SLOT_WEIGHT,
     "conv weight (C_out, C_in/G, K_1..K_d);\nwith --transposed (C_in, C_out/G, K_1..K_d)"},
    {"--bias", "B.npy", CMD_FORWARD, SLOT_BIAS, "bias b: (C_out,); without it no bias is added"},
    {"--output", "Y.npy", CMD_FORWARD, SLOT_OUTPUT, "where to write y: (N, C_out, O_1..O_d), or (C_out, O_1..O_d)"},
    {"--grad-output", "G.npy", CMD_BACKWARD, SLOT_GRAD_OUTPUT,
     "gradient of the loss with respect to y; exactly y's shape"},
    {"--grad-input", "GX.npy", CMD_BACKWARD, SLOT_GRAD_INPUT, "where to write the gradient for x (x's shape)"},
    {"--grad-weight", "GW.npy", CMD_BACKWARD, SLOT_GRAD_WEIGHT,
     "where to write the gradient for the weight (its shape)"},
    {"--grad-bias", "GB.npy", CMD_BACKWARD, SLOT_GRAD_BIAS, "where to write the gradient for the bias: (C_out,)"},
    {"--transposed", NULL, CMD_BOTH, NOT_A_FILE,
     "transposed convolution (the adjoint of conv in x), per axis\n"
     "O = (I-1)*S - P_lo - P_hi + D*(K-1) + OP + 1; without it a conv,\n"
     "O = floor((I + P_lo + P_hi - D*(K-1) - 1) / S) + 1"},
    {"--stride", "L", CMD_BOTH, NOT_A_FILE, "stride S >= 1 per axis (default 1)"},
    {"--padding", "L|same|valid", CMD_BOTH, NOT_A_FILE,
     "padding P >= 0 per axis (default 0); an item LO:HI pads the\n"
     "low and high sides differently. same: total D*(K-1), lo = total/2,\n"
     "hi = total - lo, so O = I (conv with stride 1 only). valid: 0"},
    {"--dilation", "L", CMD_BOTH, NOT_A_FILE, "dilation D >= 1 per axis (default 1)"},
    {"--groups", "N", CMD_BOTH, NOT_A_FILE, "groups G >= 1, dividing C_in and C_out (default 1)"},
    {"--output-padding", "L", CMD_BOTH, NOT_A_FILE,
     "--transposed only: extra output size on the high side,\n0 <= OP < max(S, D) (default 0)"},
    {"--padding-mode", "MODE", CMD_BOTH, NOT_A_FILE,
     "zeros|reflect|replicate|circular: what conv reads outside x\n"
     "(default zeros; reflect needs P < I, circular P <= I;\nnot with --transposed)"},
    {"--engine", "ref|auto", CMD_BOTH, NOT_A_FILE,
     "ref: the reference loops, in the spec's summation order;\nauto: the fastest engine available (default)"},
};
#define OPTION_COUNT (sizeof option_table / sizeof option_table[0])

typedef struct cli {
    unsigned command; /* CMD_FORWARD or CMD_BACKWARD */
    const char *name; /* "forward" / "backward" */
    const char *paths[SLOT_COUNT];
    cnd_geometry_args ga;
} cli;

/* ---- help ------------------------------------------------------------------------------------ */

static const char usage_forward[] =
    "convnd forward  [--transposed] --input X.npy --weight W.npy [--bias B.npy] --output Y.npy [GEOMETRY]";
static const char usage_backward[] =
    "convnd backward [--transposed] --input X.npy --weight W.npy --grad-output G.npy\n"
    "                [--grad-input GX.npy] [--grad-weight GW.npy] [--grad-bias GB.npy] [GEOMETRY]";

static const char notes_text[] =
    "L is one integer for every spatial axis or d comma-separated integers, one per axis.\n"
    "Options may also be written --option=value. Each option may be given once.\n"
    "\n"
    "Arrays: .npy files (format 1.0, 2.0 or 3.0) in C order, dtype little-endian float32 ('<f4')\n"
    "  or float64 ('<f8'). All input files must have the same dtype; the outputs have it too.\n"
    "  The spatial rank d is the weight's number of axes minus 2 (1 <= d <= 8). An input with\n"
    "  d+1 axes is one sample (the spec's form) and gives outputs without a batch axis; with\n"
    "  d+2 axes the first is the batch N. Channels first, row-major, as in PyTorch.\n"
    "Output is atomic: everything is computed first, then each output is written to a temporary\n"
    "  file (.NAME.XXXXXX) in its own directory, and only when all are written are they renamed\n"
    "  into place. On any error no output file is created or changed. Output paths must differ\n"
    "  from each other and from the input paths. A new file gets mode 0666 minus the umask; a\n"
    "  replaced file keeps its mode.\n"
    "Exit status: 0 success; 1 an error in a file, a shape, the geometry, the computation or\n"
    "  the output; 2 a usage error (unknown, repeated or misplaced option, missing or malformed\n"
    "  value, missing file option). Every error is one line on stderr starting \"convnd: \".\n";

static void print_command_help(FILE *out, unsigned command)
{
    int fwd = command == CMD_FORWARD;
    fprintf(out, "usage: %s\n\n", fwd ? usage_forward : usage_backward);
    if (fwd)
        fputs("Computes y = conv(x; W) + b, or with --transposed y = convTranspose(x; Wt) + b.\n", out);
    else
        fputs("Computes the gradients of a scalar loss for x, the weight and the bias, given its gradient\n"
              "for y = conv(x; W) + b (or convTranspose with --transposed). Writes each gradient that is\n"
              "asked for; at least one of --grad-input, --grad-weight, --grad-bias is needed.\n",
              out);
    fputs("\nFiles:\n", out);
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if ((option_table[i].commands & command) && option_table[i].tag != NOT_A_FILE)
            cnd_cli_print_option(out, &option_table[i]);
    fputs("\nGEOMETRY (per spatial axis: I input size, K kernel, S, P, D, OP as below):\n", out);
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if ((option_table[i].commands & command) && option_table[i].tag == NOT_A_FILE)
            cnd_cli_print_option(out, &option_table[i]);
    cnd_cli_print_help_option(out);
    fputs(notes_text, out);
}

static void print_main_help(FILE *out)
{
    fprintf(out,
            "convnd %s -- N-dimensional convolution and transposed convolution, forward and backward\n\n"
            "usage:\n  %s\n  %s\n  convnd demo\n",
            convnd_version(), usage_forward, usage_backward);
    cnd_bench_print_usage(out);
    fprintf(out,
            "  convnd --help | --version\n  convnd COMMAND --help\n\n"
            "Commands:\n"
            "  forward    y = conv(x; W) + b, or the transposed convolution (--transposed)\n"
            "  backward   the gradients for x, W and b given the gradient for y\n"
            "  demo       a short tour on built-in data: shapes, checksums and the adjointness checks\n"
            "  bench      times one pass of one convolution on random data (last line: ms=.. gflops=..)\n"
            "  peak       the FMA peak of the micro-kernels the library uses (last line: gflops=.. isa=..)\n\n"
            "GEOMETRY options (see convnd forward --help):\n");
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (option_table[i].tag == NOT_A_FILE)
            cnd_cli_print_option(out, &option_table[i]);
    fputc('\n', out);
    fputs(notes_text, out);
}

static void print_demo_help(FILE *out)
{
    fputs("usage: convnd demo\n\n"
          "Runs a 2-D convolution (N=2, 3->4 channels, 7x6 input, 3x3 kernel, stride 2, padding 1) on\n"
          "built-in deterministic float64 data, prints its shapes and checksums (sum and sum of squares),\n"
          "its backward pass, and the transposed convolution with the same weight; then checks the\n"
          "adjointness and duality identities to a relative difference below 1e-10. Takes no options\n"
          "and reads or writes no file. Prints \"demo: OK\" and exits 0 when every check passes, else\n"
          "exits 1.\n",
          out);
}

/* ---- command line -------------------------------------------------------------------------- */

/* Stores a file option's path, or hands a GEOMETRY option to args.c (cnd_cli_take_fn). */
static int take_option(void *ctx, const cnd_cli_option *o, const char *value)
{
    cli *c = ctx;
    if (o->tag == NOT_A_FILE)
        return cnd_cli_take_geometry(&c->ga, o->name, value);
    c->paths[o->tag] = value;
    return 0;
}

static int parse_command_line(cli *c, int argc, char **argv)
{
    const cnd_cli_command cmd = {c->name, c->command, option_table, OPTION_COUNT};
    cnd_geometry_args_init(&c->ga);
    return cnd_cli_scan(&cmd, argc, argv, take_option, c);
}

static const char *slot_option(int s)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (option_table[i].tag == s)
            return option_table[i].name;
    return "?";
}

static int check_required(const cli *c)
{
    enum { NEEDED = 3 };
    static const int forward_needs[NEEDED] = {SLOT_INPUT, SLOT_WEIGHT, SLOT_OUTPUT};
    static const int backward_needs[NEEDED] = {SLOT_INPUT, SLOT_WEIGHT, SLOT_GRAD_OUTPUT};
    const int *needs = c->command == CMD_FORWARD ? forward_needs : backward_needs;
    for (int i = 0; i < NEEDED; i++)
        if (c->paths[needs[i]] == NULL)
            return cnd_cli_fail(CND_EXIT_USAGE, "%s needs %s (see convnd %s --help)", c->name, slot_option(needs[i]),
                                c->name);
    if (c->command == CMD_BACKWARD && !c->paths[SLOT_GRAD_INPUT] && !c->paths[SLOT_GRAD_WEIGHT] &&
        !c->paths[SLOT_GRAD_BIAS])
        return cnd_cli_fail(CND_EXIT_USAGE, "backward needs at least one of --grad-input, --grad-weight, --grad-bias");
    return 0;
}

/* ---- paths --------------------------------------------------------------------------------- */

/* Length of the directory part of path, its trailing '/' included (0 when there is none). */
static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

/* A name for the file `path` designates, for comparing two paths: its directory resolved by
 * realpath (so "./y.npy", "y.npy" and "d/../y.npy" agree) plus its last component. Falls back
 * to the path itself when the directory does not resolve. NULL when out of memory. */
static char *path_key(const char *path)
{
    size_t dl = dir_len(path);
    char *dir = malloc(dl + 2);
    if (dir == NULL)
        return NULL;
    if (dl == 0)
        strcpy(dir, ".");
    else {
        memcpy(dir, path, dl);
        dir[dl] = '\0';
    }
    char *real = realpath(dir, NULL);
    free(dir);
    if (real == NULL)
        return strdup(path);
    const char *base = path + dl;
    char *key = malloc(strlen(real) + strlen(base) + 2);
    if (key != NULL)
        sprintf(key, "%s/%s", real, base);
    free(real);
    return key;
}

/* Refuses, before any work, an output path that is also another output or an input, and one
 * that names a directory. (An output in a missing or unwritable directory is found when its
 * temporary file is created; commit_outputs then leaves every destination as it was.) */
static int check_paths(const cli *c)
{
    char *keys[SLOT_COUNT] = {0};
    int rc = 0;
    for (int s = 0; s < SLOT_COUNT && rc == 0; s++) {
        if (c->paths[s] == NULL)
            continue;
        keys[s] = path_key(c->paths[s]);
        if (keys[s] == NULL)
            rc = cnd_cli_fail(CND_EXIT_DATA, "out of memory");
    }
    for (int s = FIRST_OUTPUT; s < SLOT_COUNT && rc == 0; s++) {
        if (c->paths[s] == NULL)
            continue;
        for (int t = 0; t < s && rc == 0; t++)
            if (c->paths[t] != NULL && strcmp(keys[s], keys[t]) == 0)
                rc = cnd_cli_fail(CND_EXIT_USAGE, "%s and %s name the same file '%s'", slot_option(t), slot_option(s),
                                  c->paths[s]);
        if (rc != 0)
            break;
        const char *path = c->paths[s];
        size_t dl = dir_len(path);
        struct stat st;
        if (path[dl] == '\0' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
            rc = cnd_cli_fail(CND_EXIT_DATA, "%s '%s' is a directory, not a file name", slot_option(s), path);
    }
    for (int s = 0; s < SLOT_COUNT; s++)
        free(keys[s]);
    return rc;
}

/* ---- output files ------------------------------------------------------------------------- */

typedef struct output_file {
    const char *path; /* NULL: not requested */
    int ndim;
    int64_t shape[CND_NPY_MAX_NDIM];
    size_t count;
    void *data;
    char *temp; /* the temporary file, while it exists */
} output_file;

static mode_t new_file_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return st.st_mode & 07777;
    mode_t mask = umask(0); /* reading the umask means setting it; restore at once */
    umask(mask);
    return 0666 & ~mask;
}

/* Writes o to a new temporary file beside o->path; o->temp names it from creation on, so that
 * the caller can remove it whatever happens. */
static int write_temp(output_file *o, convnd_dtype dtype)
{
    size_t dl = dir_len(o->path);
    const char *base = o->path + dl;
    o->temp = malloc(dl + strlen(base) + 10);
    if (o->temp == NULL)
        return cnd_cli_fail(CND_EXIT_DATA, "out of memory");
    sprintf(o->temp, "%.*s.%s.XXXXXX", (int)dl, o->path, base);
    errno = 0;
    int fd = mkstemp(o->temp);
    if (fd < 0) {
        int e = errno;
        free(o->temp);
        o->temp = NULL;
        return cnd_cli_fail(CND_EXIT_DATA, "cannot create a temporary file for '%s': %s", o->path, strerror(e));
    }
    /* mkstemp makes the file 0600; give it the mode the final file should have. */
    if (fchmod(fd, new_file_mode(o->path)) != 0) {
        int e = errno;
        close(fd);
        return cnd_cli_fail(CND_EXIT_DATA, "cannot set the mode of '%s': %s", o->temp, strerror(e));
    }
    FILE *f = fdopen(fd, "wb");
    if (f == NULL) {
        int e = errno;
        close(fd);
        return cnd_cli_fail(CND_EXIT_DATA, "cannot write '%s': %s", o->temp, strerror(e));
    }
    char msg[512];
    if (cnd_npy_write(f, o->path, dtype, o->ndim, o->shape, o->data, msg, sizeof msg) != 0) {
        fclose(f);
        return cnd_cli_fail(CND_EXIT_DATA, "%s", msg);
    }
    errno = 0;
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad)
        return cnd_cli_fail(CND_EXIT_DATA, "cannot write '%s': %s", o->path, strerror(e ? e : EIO));
    return 0;
}

static void remove_temps(output_file *outs)
{
    for (int s = FIRST_OUTPUT; s < SLOT_COUNT; s++)
        if (outs[s].temp != NULL) {
            remove(outs[s].temp);
            free(outs[s].temp);
            outs[s].temp = NULL;
        }
}

/* All temporaries first, then all renames: an error before the first rename leaves every
 * destination untouched, and no temporary survives a return from here. A rename in the same directory fails only in unusual cases (the
 * destination became a directory meanwhile); the message then says what was replaced. */
static int commit_outputs(output_file *outs, convnd_dtype dtype)
{
    for (int s = FIRST_OUTPUT; s < SLOT_COUNT; s++)
        if (outs[s].path != NULL && write_temp(&outs[s], dtype) != 0) {
            remove_temps(outs);
            return CND_EXIT_DATA;
        }
    int renamed = 0;
    for (int s = FIRST_OUTPUT; s < SLOT_COUNT; s++) {
        if (outs[s].path == NULL)
            continue;
        if (rename(outs[s].temp, outs[s].path) != 0) {
            int e = errno;
            remove_temps(outs);
            return cnd_cli_fail(CND_EXIT_DATA, "cannot rename the temporary file onto '%s': %s%s", outs[s].path,
                                strerror(e), renamed ? " (the outputs before it were written)" : "");
        }
        free(outs[s].temp);
        outs[s].temp = NULL;
        renamed++;
    }
    return 0;
}

/* ---- the forward and backward commands -------------------------------------------------- */

static void free_all(cnd_npy *arrays, output_file *outs)
{
    for (int s = 0; s < SLOT_COUNT; s++) {
        cnd_npy_free(&arrays[s]);
        free(outs[s].data);
        outs[s].data = NULL;
    }
}

static int load_inputs(const cli *c, cnd_npy *arrays)
{
    char msg[512];
    for (int s = 0; s < FIRST_OUTPUT; s++) {
        if (c->paths[s] == NULL)
            continue;
        if (cnd_npy_load(c->paths[s], &arrays[s], msg, sizeof msg) != 0)
            return cnd_cli_fail(CND_EXIT_DATA, "%s", msg);
        if (arrays[s].dtype != arrays[SLOT_INPUT].dtype)
            return cnd_cli_fail(CND_EXIT_DATA,
                                "dtype mismatch: %s '%s' is %s but --input '%s' is %s; all inputs must have one dtype",
                                slot_option(s), c->paths[s], cnd_npy_dtype_name(arrays[s].dtype), c->paths[SLOT_INPUT],
                                cnd_npy_dtype_name(arrays[SLOT_INPUT].dtype));
    }
    return 0;
}

/* The given inputs beyond x and W (which define the geometry) must have their tensor's shape. */
static int check_input_shapes(const cli *c, const convnd_geometry *g, const cnd_npy *arrays)
{
    for (int s = SLOT_BIAS; s < FIRST_OUTPUT; s++) {
        if (c->paths[s] == NULL)
            continue;
        int64_t dims[CND_NPY_MAX_NDIM];
        int ndim;
        convnd_error err;
        if (convnd_tensor_shape(g, slot_tensor[s], dims, &ndim, NULL, &err) != CONVND_OK)
            return cnd_cli_fail(CND_EXIT_DATA, "%s", err.msg);
        int same = ndim == arrays[s].ndim;
        for (int i = 0; same && i < ndim; i++)
            same = dims[i] == arrays[s].shape[i];
        if (!same) {
            char got[256], want[256];
            cnd_npy_format_shape(got, sizeof got, arrays[s].ndim, arrays[s].shape);
            cnd_npy_format_shape(want, sizeof want, ndim, dims);
            if (s == SLOT_BIAS)
                return cnd_cli_fail(CND_EXIT_DATA, "--bias '%s' has shape %s but must be (C_out,) = %s", c->paths[s],
                                    got, want);
            return cnd_cli_fail(CND_EXIT_DATA,
                                "%s '%s' has shape %s but the output of this input and geometry has shape %s",
                                slot_option(s), c->paths[s], got, want);
        }
    }
    return 0;
}

static int allocate_outputs(const cli *c, const convnd_geometry *g, output_file *outs)
{
    size_t elem = cnd_npy_dtype_size(g->dtype);
    for (int s = FIRST_OUTPUT; s < SLOT_COUNT; s++) {
        output_file *o = &outs[s];
        o->path = c->paths[s];
        if (o->path == NULL)
            continue;
        convnd_error err;
        if (convnd_tensor_shape(g, slot_tensor[s], o->shape, &o->ndim, &o->count, &err) != CONVND_OK)
            return cnd_cli_fail(CND_EXIT_DATA, "%s", err.msg);
        if (o->count > SIZE_MAX / elem)
            return cnd_cli_fail(CND_EXIT_DATA, "%s: the output is too large", o->path);
        o->data = malloc(o->count > 0 ? o->count * elem : 1);
        if (o->data == NULL)
            return cnd_cli_fail(CND_EXIT_DATA, "out of memory for %s (%zu elements)", slot_option(s), o->count);
    }
    return 0;
}

static int compute(const cli *c, const convnd_geometry *g, const cnd_npy *arrays, output_file *outs)
{
    convnd_error err;
    convnd_status st;
    const void *x = arrays[SLOT_INPUT].data, *w = arrays[SLOT_WEIGHT].data;
    if (c->command == CMD_FORWARD)
        st = convnd_forward(g, c->ga.engine, x, w, c->paths[SLOT_BIAS] ? arrays[SLOT_BIAS].data : NULL,
                            outs[SLOT_OUTPUT].data, &err);
    else
        st = convnd_backward(g, c->ga.engine, x, w, arrays[SLOT_GRAD_OUTPUT].data, outs[SLOT_GRAD_INPUT].data,
                             outs[SLOT_GRAD_WEIGHT].data, outs[SLOT_GRAD_BIAS].data, &err);
    if (st != CONVND_OK)
        return cnd_cli_fail(CND_EXIT_DATA, "%s failed: %s", c->name, err.msg);
    return 0;
}

static int run_file_command(cli *c, int argc, char **argv)
{
    if (cnd_cli_wants_help(argc, argv)) {
        print_command_help(stdout, c->command);
        return 0;
    }
    int rc = parse_command_line(c, argc, argv);
    if (rc == 0)
        rc = check_required(c);
    if (rc == 0)
        rc = check_paths(c);
    if (rc != 0)
        return rc;

    cnd_npy arrays[SLOT_COUNT];
    output_file outs[SLOT_COUNT];
    memset(arrays, 0, sizeof arrays);
    memset(outs, 0, sizeof outs);
    convnd_geometry g;
    char msg[512];
    rc = load_inputs(c, arrays);
    if (rc == 0 && cnd_geometry_from_shapes(&c->ga, arrays[SLOT_INPUT].dtype, arrays[SLOT_INPUT].ndim,
                                            arrays[SLOT_INPUT].shape, arrays[SLOT_WEIGHT].ndim,
                                            arrays[SLOT_WEIGHT].shape, &g, msg, sizeof msg) != 0)
        rc = cnd_cli_fail(CND_EXIT_DATA, "%s", msg);
    if (rc == 0)
        rc = check_input_shapes(c, &g, arrays);
    if (rc == 0)
        rc = allocate_outputs(c, &g, outs);
    if (rc == 0)
        rc = compute(c, &g, arrays, outs);
    if (rc == 0)
        rc = commit_outputs(outs, g.dtype);
    free_all(arrays, outs);
    return rc;
}

/* ---- demo ------------------------------------------------------------------------------------ */

/* Deterministic values in [-1, 1) (a linear congruential generator: no libc rand state). */
static void demo_fill(double *a, size_t n, uint32_t seed)
{
    uint32_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = (double)(s >> 8) / 8388608.0 - 1.0;
    }
}

static double demo_dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double rel_diff(double a, double b)
{
    double scale = fmax(fabs(a), fabs(b));
    return scale > 0 ? fabs(a - b) / scale : 0.0;
}

/* max_i |a_i - b_i| / max_i |b_i|: a norm-wise difference, not thrown off by tiny elements. */
static double rel_diff_arrays(const double *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num = fmax(num, fabs(a[i] - b[i]));
        den = fmax(den, fabs(b[i]));
    }
    return den > 0 ? num / den : num;
}

#define DEMO_TOLERANCE 1e-10

enum { D_X, D_W, D_B, D_G, D_Y, D_Y0, D_GX, D_GW, D_GB, D_T, D_TX, D_COUNT };

/* Every array of the demo: which geometry (conv 0, transposed 1) and tensor gives its shape,
 * and the seed of its data (0: an output, left zero). */
static const struct demo_spec {
    const char *label;
    int transposed;
    convnd_tensor tensor;
    uint32_t seed;
} demo_specs[D_COUNT] = {
    [D_X] = {"x", 0, CONVND_TENSOR_INPUT, 1},
    [D_W] = {"W", 0, CONVND_TENSOR_WEIGHT, 2},
    [D_B] = {"b", 0, CONVND_TENSOR_BIAS, 3},
    [D_G] = {"g", 0, CONVND_TENSOR_OUTPUT, 4},
    [D_Y] = {"y = conv(x; W) + b", 0, CONVND_TENSOR_OUTPUT, 0},
    [D_Y0] = {"conv(x; W)", 0, CONVND_TENSOR_OUTPUT, 0},
    [D_GX] = {"grad_input", 0, CONVND_TENSOR_INPUT, 0},
    [D_GW] = {"grad_weight", 0, CONVND_TENSOR_WEIGHT, 0},
    [D_GB] = {"grad_bias", 0, CONVND_TENSOR_BIAS, 0},
    [D_T] = {"convT(g; W)", 1, CONVND_TENSOR_OUTPUT, 0},
    [D_TX] = {"convT_input_deriv(x)", 1, CONVND_TENSOR_INPUT, 0},
};

typedef struct demo_array {
    int ndim;
    int64_t shape[CND_NPY_MAX_NDIM];
    size_t count;
    double *data;
} demo_array;

/* The conv of the tour, and the transposed conv with the same weight that maps y's shape back
 * onto x's (output_padding makes up what the stride dropped). */
static int demo_geometries(convnd_geometry *g, convnd_geometry *gt)
{
    static const int64_t in_size[2] = {7, 6};
    convnd_error err;
    int64_t out_size[CONVND_MAX_RANK];
    if (convnd_geometry_init(g, 2, &err) != CONVND_OK)
        return cnd_cli_fail(CND_EXIT_DATA, "demo: %s", err.msg);
    g->dtype = CONVND_FLOAT64;
    g->batch = 2;
    g->in_channels = 3;
    g->out_channels = 4;
    for (int a = 0; a < 2; a++) {
        g->input_size[a] = in_size[a];
        g->kernel_size[a] = 3;
        g->stride[a] = 2;
        g->pad_lo[a] = g->pad_hi[a] = 1;
    }
    if (convnd_output_size(g, out_size, &err) != CONVND_OK)
        return cnd_cli_fail(CND_EXIT_DATA, "demo: %s", err.msg);
    *gt = *g;
    gt->transposed = 1;
    gt->in_channels = g->out_channels;
    gt->out_channels = g->in_channels;
    for (int a = 0; a < 2; a++) {
        gt->input_size[a] = out_size[a];
        int64_t natural = (out_size[a] - 1) * g->stride[a] - g->pad_lo[a] - g->pad_hi[a] +
                          g->dilation[a] * (g->kernel_size[a] - 1) + 1;
        gt->output_padding[a] = in_size[a] - natural;
    }
    if (convnd_geometry_check(gt, &err) != CONVND_OK)
        return cnd_cli_fail(CND_EXIT_DATA, "demo: transposed geometry: %s", err.msg);
    return 0;
}

static int demo_compute(const convnd_geometry *g, const convnd_geometry *gt, demo_array *t)
{
    const convnd_engine e = CONVND_ENGINE_AUTO;
    convnd_error err;
    convnd_status st = convnd_forward(g, e, t[D_X].data, t[D_W].data, t[D_B].data, t[D_Y].data, &err);
    if (st == CONVND_OK)
        st = convnd_forward(g, e, t[D_X].data, t[D_W].data, NULL, t[D_Y0].data, &err);
    if (st == CONVND_OK)
        st = convnd_backward(g, e, t[D_X].data, t[D_W].data, t[D_G].data, t[D_GX].data, t[D_GW].data,
                             t[D_GB].data, &err);
    if (st == CONVND_OK) /* convT(g; W): g has the transposed conv's input shape */
        st = convnd_forward(gt, e, t[D_G].data, t[D_W].data, NULL, t[D_T].data, &err);
    if (st == CONVND_OK) /* and x that of its output, so it can serve as its grad_output */
        st = convnd_backward(gt, e, t[D_G].data, t[D_W].data, t[D_X].data, t[D_TX].data, NULL, NULL, &err);
    return st == CONVND_OK ? 0 : cnd_cli_fail(CND_EXIT_DATA, "demo: %s", err.msg);
}

static void demo_print_array(const demo_array *t, const char *label)
{
    char shape[64];
    cnd_npy_format_shape(shape, sizeof shape, t->ndim, t->shape);
    double sum = 0;
    for (size_t i = 0; i < t->count; i++)
        sum += t->data[i];
    printf("  %-22s %-14s sum %+.12f   sum of squares %.12f\n", label, shape, sum,
           demo_dot(t->data, t->data, t->count));
}

static int demo_check_dots(const char *lhs_label, double lhs, const char *rhs_label, double rhs)
{
    double r = rel_diff(lhs, rhs);
    int ok = r < DEMO_TOLERANCE;
    printf("  %-25s %+.12e  %-25s %+.12e  rel %.1e %s\n", lhs_label, lhs, rhs_label, rhs, r, ok ? "ok" : "FAILED");
    return ok;
}

static int demo_check_arrays(const char *what, const demo_array *a, const demo_array *b)
{
    double r = rel_diff_arrays(a->data, b->data, a->count);
    int ok = a->count == b->count && r < DEMO_TOLERANCE;
    printf("  %-93s rel %.1e %s\n", what, r, ok ? "ok" : "FAILED");
    return ok;
}

static int demo_report(const convnd_geometry *gt, const demo_array *t)
{
    char x[64], w[64], b[64], y[64];
    cnd_npy_format_shape(x, sizeof x, t[D_X].ndim, t[D_X].shape);
    cnd_npy_format_shape(w, sizeof w, t[D_W].ndim, t[D_W].shape);
    cnd_npy_format_shape(b, sizeof b, t[D_B].ndim, t[D_B].shape);
    cnd_npy_format_shape(y, sizeof y, t[D_Y].ndim, t[D_Y].shape);
    printf("convnd demo (library %s): float64, built-in data, engine auto\n\n", convnd_version());
    printf("conv 2-D: x %s, W %s, b %s; stride 2, padding 1 -> y %s\n", x, w, b, y);
    demo_print_array(&t[D_Y], demo_specs[D_Y].label);
    printf("backward, given g = dloss/dy %s:\n", y);
    for (int i = D_GX; i <= D_GB; i++)
        demo_print_array(&t[i], demo_specs[i].label);
    printf("transposed conv with the same W, read as Wt (C_in %lld, C_out %lld, 3, 3); stride 2, padding 1,\n"
           "output_padding (%lld, %lld), so that it maps y's shape back onto x's:\n",
           (long long)gt->in_channels, (long long)gt->out_channels, (long long)gt->output_padding[0],
           (long long)gt->output_padding[1]);
    demo_print_array(&t[D_T], demo_specs[D_T].label);
    demo_print_array(&t[D_TX], "convT_input_deriv(x)");

    printf("\nchecks (each relative difference must be < %.0e):\n", DEMO_TOLERANCE);
    size_t ny = t[D_Y].count;
    int ok = 1;
    ok &= demo_check_dots("<conv(x; W), g>", demo_dot(t[D_Y0].data, t[D_G].data, ny), "<x, grad_input>",
                          demo_dot(t[D_X].data, t[D_GX].data, t[D_X].count));
    ok &= demo_check_dots("<conv(x; W), g>", demo_dot(t[D_Y0].data, t[D_G].data, ny), "<W, grad_weight>",
                          demo_dot(t[D_W].data, t[D_GW].data, t[D_W].count));
    ok &= demo_check_dots("<y - conv(x; W), g>",
                          demo_dot(t[D_Y].data, t[D_G].data, ny) - demo_dot(t[D_Y0].data, t[D_G].data, ny),
                          "<b, grad_bias>", demo_dot(t[D_B].data, t[D_GB].data, t[D_B].count));
    ok &= demo_check_dots("<convT(g; W), x>", demo_dot(t[D_T].data, t[D_X].data, t[D_X].count),
                          "<g, convT_input_deriv(x)>", demo_dot(t[D_G].data, t[D_TX].data, ny));
    ok &= demo_check_arrays("duality: convT(g; W) = grad_input of the conv", &t[D_T], &t[D_GX]);
    ok &= demo_check_arrays("duality: convT_input_deriv(x) = conv(x; W)", &t[D_TX], &t[D_Y0]);
    printf("\ndemo: %s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : CND_EXIT_DATA;
}

static int run_demo(int argc, char **argv)
{
    if (cnd_cli_wants_help(argc, argv)) {
        print_demo_help(stdout);
        return 0;
    }
    if (argc > 0)
        return cnd_cli_fail(CND_EXIT_USAGE, "demo takes no arguments, got '%s' (see convnd demo --help)", argv[0]);
    convnd_geometry g, gt;
    demo_array t[D_COUNT];
    memset(t, 0, sizeof t);
    int rc = demo_geometries(&g, &gt);
    for (int i = 0; i < D_COUNT && rc == 0; i++) {
        convnd_error err;
        const struct demo_spec *s = &demo_specs[i];
        if (convnd_tensor_shape(s->transposed ? &gt : &g, s->tensor, t[i].shape, &t[i].ndim, &t[i].count, &err) !=
            CONVND_OK)
            rc = cnd_cli_fail(CND_EXIT_DATA, "demo: %s", err.msg);
        else if ((t[i].data = calloc(t[i].count, sizeof(double))) == NULL)
            rc = cnd_cli_fail(CND_EXIT_DATA, "demo: out of memory");
        else if (s->seed != 0)
            demo_fill(t[i].data, t[i].count, s->seed);
    }
    if (rc == 0)
        rc = demo_compute(&g, &gt, t);
    if (rc == 0)
        rc = demo_report(&gt, t);
    for (int i = 0; i < D_COUNT; i++)
        free(t[i].data);
    return rc;
}

/* ---- main -------------------------------------------------------------------------------------- */

static int dispatch(int argc, char **argv)
{
    if (argc < 2)
        return cnd_cli_fail(CND_EXIT_USAGE,
                            "no command given (forward, backward, demo, bench or peak; see convnd --help)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        print_main_help(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("convnd %s\n", convnd_version());
        return 0;
    }
    if (strcmp(cmd, "demo") == 0)
        return run_demo(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0)
        return cnd_bench_command(argc - 2, argv + 2);
    if (strcmp(cmd, "peak") == 0)
        return cnd_peak_command(argc - 2, argv + 2);
    cli c;
    memset(&c, 0, sizeof c);
    if (strcmp(cmd, "forward") == 0) {
        c.command = CMD_FORWARD;
        c.name = "forward";
    } else if (strcmp(cmd, "backward") == 0) {
        c.command = CMD_BACKWARD;
        c.name = "backward";
    } else {
        return cnd_cli_fail(CND_EXIT_USAGE,
                            "unknown command '%s' (expected forward, backward, demo, bench or peak; see convnd --help)",
                            cmd);
    }
    return run_file_command(&c, argc - 2, argv + 2);
}

int main(int argc, char **argv)
{
    int rc = dispatch(argc, argv);
    /* Help and the demo go to stdout; a failed write there (a full disk, a closed pipe) is an
     * error too, not a silent success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cnd_cli_fail(CND_EXIT_DATA, "cannot write to standard output: %s", strerror(errno));
        return rc != 0 ? rc : CND_EXIT_DATA;
    }
    return rc;
}
