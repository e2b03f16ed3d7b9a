/* test_golden.c -- the library against PyTorch's own results (tests/data/golden).
 *
 * For every case of golden/manifest.txt (`<name> <convnd GEOMETRY options>`, made by
 * tests/golden/make_golden.py): load the arrays, build the geometry from the options and the
 * input and weight shapes exactly as the tool does (cnd_geometry_args_take, then
 * cnd_geometry_from_shapes), check the shapes convnd_tensor_shape reports against the files,
 * then run convnd_forward and convnd_backward with the REF and AUTO engines and compare every
 * result, norm-wise, with PyTorch's: relative error <= 1e-5 in float32 (PyTorch's float32 values
 * carry their own rounding) and <= 1e-12 in float64. Each output buffer is poisoned with NaN
 * first, so an element the library does not write fails the comparison.
 * Extra checks: each gradient computed alone (the other outputs NULL, and the array it does not
 * need NULL too), and, for float32 cases, the library in float64 on the same inputs widened to
 * double, against PyTorch's float32 results at 1e-5.
 *
 * Data: $CONVND_TEST_DATA/golden (CTest sets CONVND_TEST_DATA). $CONVND_GOLDEN_DIR, when set,
 * names another directory in the same format instead (e.g. one made by make_golden.py
 * --holdout); the minimum case count then does not apply. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "convnd.h"
#include "npy.h"
#include "testutil.h"

#define MIN_CASES 30
#define MAX_TOKENS 64
#define LINE_MAX_LEN 2048
#define PATH_MAX_LEN 4096

enum { Q_OUTPUT, Q_GRAD_INPUT, Q_GRAD_WEIGHT, Q_GRAD_BIAS, Q_COUNT };
static const char *const q_names[Q_COUNT] = {"output", "grad_input", "grad_weight", "grad_bias"};

/* Largest relative error seen: [dtype of the run][quantity]; index 2 = float64 run on float32
 * data compared to PyTorch's float32 results. */
static double max_err[3][Q_COUNT];
static char max_err_case[3][Q_COUNT][128];

typedef struct golden_case {
    const char *name;
    const char *dir;
    cnd_npy input, weight, bias, grad_output; /* inputs (bias optional) */
    cnd_npy expect[Q_COUNT];                  /* output, grad_input, grad_weight, grad_bias */
    int has_bias;
    convnd_geometry g;
} golden_case;

static int make_path(char *buf, size_t len, const char *dir, const char *name, const char *suffix) {
    int n = snprintf(buf, len, "%s/%s.%s.npy", dir, name, suffix);
    return n > 0 && (size_t)n < len;
}

static int file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fclose(f);
    return 1;
}

static int load(const golden_case *c, const char *suffix, cnd_npy *out) {
    char path[PATH_MAX_LEN], msg[512];
    if (!CHECK(make_path(path, sizeof path, c->dir, c->name, suffix), "%s: path too long", c->name)) return 0;
    if (cnd_npy_load(path, out, msg, sizeof msg) != 0) {
        CHECK(0, "%s: cannot load %s: %s", c->name, suffix, msg);
        return 0;
    }
    return 1;
}

static void free_case(golden_case *c) {
    cnd_npy_free(&c->input);
    cnd_npy_free(&c->weight);
    cnd_npy_free(&c->bias);
    cnd_npy_free(&c->grad_output);
    for (int q = 0; q < Q_COUNT; q++) cnd_npy_free(&c->expect[q]);
}

/* The file's shape equals what convnd_tensor_shape reports for `which`. */
static int check_shape(const golden_case *c, const char *what, const cnd_npy *a, convnd_tensor which) {
    int64_t dims[CONVND_MAX_RANK + 2];
    int ndim = -1;
    size_t count = 0;
    convnd_error err;
    convnd_status st = convnd_tensor_shape(&c->g, which, dims, &ndim, &count, &err);
    if (!CHECK_OK(st, &err)) return 0;
    int same = ndim == a->ndim && count == a->count;
    for (int i = 0; same && i < ndim; i++) same = dims[i] == a->shape[i];
    if (!same) {
        char got[160] = "", want[160] = "";
        for (int i = 0; i < ndim && i < CONVND_MAX_RANK + 2; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "," : "", (long long)dims[i]);
        for (int i = 0; i < a->ndim; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? "," : "", (long long)a->shape[i]);
        CHECK(0, "%s: %s: library shape (%s) != file shape (%s)", c->name, what, got, want);
        return 0;
    }
    return CHECK(a->dtype == c->g.dtype, "%s: %s: dtype %d != case dtype %d", c->name, what, (int)a->dtype,
                 (int)c->g.dtype);
}

/* Compares `got` (count elements of type t) with expected quantity q; slot selects the statistic
 * (0/1: the run's dtype, 2: float64 run against float32 data). */
static void compare(const golden_case *c, int q, const char *how, const void *got, convnd_dtype t, double tol,
                    int slot) {
    const cnd_npy *want = &c->expect[q];
    double e = tu_rel_err(got, t, want->data, want->dtype, want->count);
    if (!(e <= max_err[slot][q])) { /* also records +inf / NaN */
        max_err[slot][q] = e;
        snprintf(max_err_case[slot][q], sizeof max_err_case[slot][q], "%s", c->name);
    }
    if (!(e <= tol)) {
        size_t where = 0;
        double abs_err = tu_max_abs_err(got, t, want->data, want->dtype, want->count, &where);
        CHECK(0, "%s: %s %s: relative error %.3g > %.0e (max abs error %.3g at element %zu: got %.17g, want %.17g, %zu NaN)",
              c->name, how, q_names[q], e, tol, abs_err, where, tu_get(got, where, t),
              tu_get(want->data, where, want->dtype), tu_count_nan(got, want->count, t));
    } else {
        CHECK(1, "ok");
    }
}

/* Runs forward and backward on geometry g (whose dtype may differ from the files': then the
 * inputs x, w, b, go are the converted copies given) and compares everything. */
static void run_all(const golden_case *c, const convnd_geometry *g, convnd_engine engine, const char *how,
                    const void *x, const void *w, const void *b, const void *go, double tol, int slot,
                    int singles) {
    convnd_dtype t = g->dtype;
    size_t n[Q_COUNT];
    void *buf[Q_COUNT];
    for (int q = 0; q < Q_COUNT; q++) {
        n[q] = c->expect[q].count;
        buf[q] = tu_alloc(n[q], t);
        tu_poison(buf[q], n[q], t);
    }
    convnd_error err;
    char label[96];
    convnd_status st = convnd_forward(g, engine, x, w, b, buf[Q_OUTPUT], &err);
    if (CHECK_OK(st, &err)) compare(c, Q_OUTPUT, how, buf[Q_OUTPUT], t, tol, slot);
    else fprintf(stderr, "%s: %s forward failed\n", c->name, how);

    st = convnd_backward(g, engine, x, w, go, buf[Q_GRAD_INPUT], buf[Q_GRAD_WEIGHT], buf[Q_GRAD_BIAS], &err);
    if (CHECK_OK(st, &err)) {
        for (int q = Q_GRAD_INPUT; q < Q_COUNT; q++) compare(c, q, how, buf[q], t, tol, slot);
    } else {
        fprintf(stderr, "%s: %s backward failed\n", c->name, how);
    }

    if (singles) {
        /* Each gradient alone; pass only what it needs (input for grad_weight, weight for
         * grad_input, neither for grad_bias). */
        for (int q = Q_GRAD_INPUT; q < Q_COUNT; q++) {
            tu_poison(buf[q], n[q], t);
            st = convnd_backward(g, engine, q == Q_GRAD_WEIGHT ? x : NULL, q == Q_GRAD_INPUT ? w : NULL, go,
                                 q == Q_GRAD_INPUT ? buf[q] : NULL, q == Q_GRAD_WEIGHT ? buf[q] : NULL,
                                 q == Q_GRAD_BIAS ? buf[q] : NULL, &err);
            snprintf(label, sizeof label, "%s alone", how);
            if (CHECK_OK(st, &err)) compare(c, q, label, buf[q], t, tol, slot);
            else fprintf(stderr, "%s: %s backward of %s alone failed\n", c->name, how, q_names[q]);
        }
    }
    for (int q = 0; q < Q_COUNT; q++) free(buf[q]);
}

static void *widen(const cnd_npy *a) {
    if (!a->data) return NULL;
    void *d = tu_alloc(a->count, CONVND_FLOAT64);
    tu_convert(d, CONVND_FLOAT64, a->data, a->dtype, a->count);
    return d;
}

/* Splits line in place into whitespace-separated tokens; returns the count or -1 if too many. */
static int tokenize(char *line, char **tok, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') *p++ = '\0';
        if (!*p) return n;
        if (n == max) return -1;
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') p++;
    }
}

/* Runs one manifest case; returns 1 if it could be run to the end (whatever the comparisons). */
static int run_case(const char *dir, char **tok, int ntok) {
    golden_case c;
    memset(&c, 0, sizeof c);
    c.name = tok[0];
    c.dir = dir;
    int ran = 0;
    char msg[512];

    /* The geometry options, fed to the tool's parser exactly as argv would be. */
    cnd_geometry_args ga;
    cnd_geometry_args_init(&ga);
    for (int i = 1; i < ntok;) {
        const char *opt = tok[i];
        const char *val = (strcmp(opt, "--transposed") != 0 && i + 1 < ntok) ? tok[i + 1] : NULL;
        int consumed = 0;
        msg[0] = '\0';
        int r = cnd_geometry_args_take(&ga, opt, val, &consumed, msg, sizeof msg);
        if (!CHECK(r == 1, "%s: option %s %s not taken (%d): %s", c.name, opt, val ? val : "", r, msg)) goto done;
        i += consumed ? 2 : 1;
    }

    char path[PATH_MAX_LEN];
    if (!CHECK(make_path(path, sizeof path, dir, c.name, "bias"), "%s: path too long", c.name)) goto done;
    c.has_bias = file_exists(path);
    if (!load(&c, "input", &c.input) || !load(&c, "weight", &c.weight) ||
        (c.has_bias && !load(&c, "bias", &c.bias)) || !load(&c, "grad_output", &c.grad_output))
        goto done;
    for (int q = 0; q < Q_COUNT; q++)
        if (!load(&c, q_names[q], &c.expect[q])) goto done;

    msg[0] = '\0';
    if (!CHECK(cnd_geometry_from_shapes(&ga, c.input.dtype, c.input.ndim, c.input.shape, c.weight.ndim,
                                        c.weight.shape, &c.g, msg, sizeof msg) == 0,
               "%s: cnd_geometry_from_shapes: %s", c.name, msg))
        goto done;

    int shapes_ok = check_shape(&c, "input", &c.input, CONVND_TENSOR_INPUT);
    shapes_ok &= check_shape(&c, "weight", &c.weight, CONVND_TENSOR_WEIGHT);
    if (c.has_bias) shapes_ok &= check_shape(&c, "bias", &c.bias, CONVND_TENSOR_BIAS);
    shapes_ok &= check_shape(&c, "grad_output", &c.grad_output, CONVND_TENSOR_OUTPUT);
    shapes_ok &= check_shape(&c, "output", &c.expect[Q_OUTPUT], CONVND_TENSOR_OUTPUT);
    shapes_ok &= check_shape(&c, "grad_input", &c.expect[Q_GRAD_INPUT], CONVND_TENSOR_INPUT);
    shapes_ok &= check_shape(&c, "grad_weight", &c.expect[Q_GRAD_WEIGHT], CONVND_TENSOR_WEIGHT);
    shapes_ok &= check_shape(&c, "grad_bias", &c.expect[Q_GRAD_BIAS], CONVND_TENSOR_BIAS);
    if (!shapes_ok) goto done;

    const int is64 = c.g.dtype == CONVND_FLOAT64;
    const double tol = is64 ? TU_TOL_F64 : TU_TOL_F32;
    const void *b = c.has_bias ? c.bias.data : NULL;
    run_all(&c, &c.g, CONVND_ENGINE_REF, "ref", c.input.data, c.weight.data, b, c.grad_output.data, tol, is64, 1);
    run_all(&c, &c.g, CONVND_ENGINE_AUTO, "auto", c.input.data, c.weight.data, b, c.grad_output.data, tol, is64, 0);

    if (!is64) {
        /* The library in float64 on the float32 data, against PyTorch's float32 results. */
        convnd_geometry g64 = c.g;
        g64.dtype = CONVND_FLOAT64;
        void *x = widen(&c.input), *w = widen(&c.weight), *bb = widen(&c.bias), *go = widen(&c.grad_output);
        run_all(&c, &g64, CONVND_ENGINE_REF, "ref-float64", x, w, bb, go, TU_TOL_F32, 2, 0);
        free(x);
        free(w);
        free(bb);
        free(go);
    }
    ran = 1;
done:
    free_case(&c);
    return ran;
}

int main(void) {
    const char *override = getenv("CONVND_GOLDEN_DIR");
    const char *data = getenv("CONVND_TEST_DATA");
    char dir[PATH_MAX_LEN];
    if (override && *override) {
        snprintf(dir, sizeof dir, "%s", override);
    } else {
        if (!CHECK(data && *data, "CONVND_TEST_DATA is not set")) return tu_finish("test_golden");
        if (!CHECK(snprintf(dir, sizeof dir, "%s/golden", data) < (int)sizeof dir, "path too long"))
            return tu_finish("test_golden");
    }
    char manifest[PATH_MAX_LEN + 16];
    snprintf(manifest, sizeof manifest, "%s/manifest.txt", dir);
    FILE *f = fopen(manifest, "r");
    if (!CHECK(f != NULL, "cannot open %s", manifest)) return tu_finish("test_golden");

    char line[LINE_MAX_LEN];
    int cases = 0, ran = 0, lineno = 0;
    char failed[2048] = "";
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (!CHECK(len + 1 < sizeof line || line[len - 1] == '\n' || feof(f), "%s:%d: line too long", manifest,
                   lineno))
            break;
        char *tok[MAX_TOKENS];
        int ntok = tokenize(line, tok, MAX_TOKENS);
        if (!CHECK(ntok >= 0, "%s:%d: too many tokens", manifest, lineno)) continue;
        if (ntok == 0 || tok[0][0] == '#') continue;
        cases++;
        int before = tu_failures;
        ran += run_case(dir, tok, ntok);
        if (tu_failures != before) {
            fprintf(stderr, "FAILED case %s (%d failed checks)\n", tok[0], tu_failures - before);
            if (strlen(failed) + strlen(tok[0]) + 2 < sizeof failed) {
                strcat(failed, " ");
                strcat(failed, tok[0]);
            }
        }
    }
    fclose(f);

    const int min_cases = (override && *override) ? 1 : MIN_CASES;
    CHECK(cases >= min_cases, "%s: %d cases, expected at least %d", manifest, cases, min_cases);
    CHECK(ran == cases, "%d of %d cases could not be run", cases - ran, cases);

    static const char *const slot_names[3] = {"float32", "float64", "float64 run on float32 data"};
    printf("golden: %d cases in %s, %d run\n", cases, dir, ran);
    for (int s = 0; s < 3; s++) {
        printf("  largest relative error, %s:\n", slot_names[s]);
        for (int q = 0; q < Q_COUNT; q++)
            printf("    %-12s %.3g  (%s)\n", q_names[q], max_err[s][q], max_err_case[s][q][0] ? max_err_case[s][q] : "-");
    }
    if (failed[0]) printf("failed cases:%s\n", failed);
    return tu_finish("test_golden");
}
