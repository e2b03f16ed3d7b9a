/* args.c -- the GEOMETRY options of the convnd tool (see args.h). */
#include "args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
#define CND_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CND_PRINTF(f, a)
#endif

static void set_msg(char *msg, size_t msg_len, const char *fmt, ...) CND_PRINTF(3, 4);

static void set_msg(char *msg, size_t msg_len, const char *fmt, ...)
{
    if (msg == NULL || msg_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_len, fmt, ap);
    va_end(ap);
}

void cnd_geometry_args_init(cnd_geometry_args *ga)
{
    memset(ga, 0, sizeof *ga);
    ga->transposed = 0;
    ga->padding_kind = CND_PADDING_EXPLICIT;
    ga->groups = 0;
    ga->padding_mode = CONVND_PAD_ZEROS;
    ga->engine = CONVND_ENGINE_AUTO;
}

/* ---- parsing ------------------------------------------------------------------------------ */

/* What an option's value may be, for messages. */
static const char *expected_value(const char *option)
{
    if (strcmp(option, "--padding") == 0)
        return "same, valid, or integers >= 0 (or LO:HI pairs), one or comma-separated";
    if (strcmp(option, "--groups") == 0)
        return "an integer >= 1";
    return "an integer >= 0, or comma-separated integers";
}

/* Parses text[0 .. len-1] as a non-negative decimal integer: digits only (no sign, no space).
 * The whole option value is quoted in messages, so a bad item is shown in its context. */
static int parse_nonneg(const char *option, const char *value, const char *text, size_t len, int64_t *out,
                        char *msg, size_t msg_len)
{
    if (len == 0) {
        set_msg(msg, msg_len, "%s: empty item in '%s'", option, value);
        return -1;
    }
    if (text[0] == '-' && len > 1 && text[1] >= '0' && text[1] <= '9') {
        set_msg(msg, msg_len, "%s: '%s' is negative; expected %s", option, value, expected_value(option));
        return -1;
    }
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            set_msg(msg, msg_len, "%s: '%s' is not valid; expected %s", option, value, expected_value(option));
            return -1;
        }
        int digit = text[i] - '0';
        if (v > (INT64_MAX - digit) / 10) {
            set_msg(msg, msg_len, "%s: '%s' does not fit in a 64-bit integer", option, value);
            return -1;
        }
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

/* "L": one integer, or up to CONVND_MAX_RANK comma-separated ones. With `hi` non-NULL (for
 * --padding) an item may be LO:HI; a plain item sets both. */
static int parse_list(const char *option, const char *value, cnd_int_list *lo, cnd_int_list *hi, char *msg,
                      size_t msg_len)
{
    if (value[0] == '\0') {
        set_msg(msg, msg_len, "%s: empty value", option);
        return -1;
    }
    int count = 0;
    const char *item = value;
    for (;;) {
        const char *end = strchr(item, ',');
        size_t len = end ? (size_t)(end - item) : strlen(item);
        if (count == CONVND_MAX_RANK) {
            set_msg(msg, msg_len, "%s: '%s' has more than %d items (one per spatial axis at most)", option, value,
                    CONVND_MAX_RANK);
            return -1;
        }
        const char *colon = memchr(item, ':', len);
        if (colon != NULL && hi == NULL) {
            set_msg(msg, msg_len, "%s: '%s': LO:HI items are only allowed for --padding", option, value);
            return -1;
        }
        if (colon != NULL) {
            size_t lo_len = (size_t)(colon - item);
            if (parse_nonneg(option, value, item, lo_len, &lo->v[count], msg, msg_len) != 0 ||
                parse_nonneg(option, value, colon + 1, len - lo_len - 1, &hi->v[count], msg, msg_len) != 0)
                return -1;
        } else {
            if (parse_nonneg(option, value, item, len, &lo->v[count], msg, msg_len) != 0)
                return -1;
            if (hi != NULL)
                hi->v[count] = lo->v[count];
        }
        count++;
        if (end == NULL)
            break;
        item = end + 1;
    }
    lo->count = count;
    if (hi != NULL)
        hi->count = count;
    return 0;
}

static int parse_word(const char *option, const char *value, const char *const *words, int nwords, int *index,
                      char *msg, size_t msg_len)
{
    for (int i = 0; i < nwords; i++)
        if (strcmp(value, words[i]) == 0) {
            *index = i;
            return 0;
        }
    char choices[128] = "";
    for (int i = 0; i < nwords; i++) {
        if (i > 0)
            strncat(choices, "|", sizeof choices - strlen(choices) - 1);
        strncat(choices, words[i], sizeof choices - strlen(choices) - 1);
    }
    set_msg(msg, msg_len, "%s: '%s' is not one of %s", option, value, choices);
    return -1;
}

int cnd_geometry_args_take(cnd_geometry_args *ga, const char *option, const char *value, int *consumed_value,
                           char *msg, size_t msg_len)
{
    if (consumed_value != NULL)
        *consumed_value = 0;
    if (option == NULL)
        return 0;
    if (strcmp(option, "--transposed") == 0) {
        ga->transposed = 1;
        return 1;
    }
    static const char *const value_options[] = {"--stride",  "--padding",      "--dilation",
                                                "--groups",  "--output-padding", "--padding-mode",
                                                "--engine"};
    int known = 0;
    for (size_t i = 0; i < sizeof value_options / sizeof value_options[0]; i++)
        known |= strcmp(option, value_options[i]) == 0;
    if (!known)
        return 0;
    if (value == NULL) {
        set_msg(msg, msg_len, "%s needs a value", option);
        return -1;
    }
    if (consumed_value != NULL)
        *consumed_value = 1;

    if (strcmp(option, "--stride") == 0)
        return parse_list(option, value, &ga->stride, NULL, msg, msg_len) == 0 ? 1 : -1;
    if (strcmp(option, "--dilation") == 0)
        return parse_list(option, value, &ga->dilation, NULL, msg, msg_len) == 0 ? 1 : -1;
    if (strcmp(option, "--output-padding") == 0)
        return parse_list(option, value, &ga->output_padding, NULL, msg, msg_len) == 0 ? 1 : -1;
    if (strcmp(option, "--padding") == 0) {
        ga->pad_lo.count = ga->pad_hi.count = 0;
        if (strcmp(value, "same") == 0)
            ga->padding_kind = CND_PADDING_SAME;
        else if (strcmp(value, "valid") == 0)
            ga->padding_kind = CND_PADDING_VALID;
        else if (parse_list(option, value, &ga->pad_lo, &ga->pad_hi, msg, msg_len) == 0)
            ga->padding_kind = CND_PADDING_EXPLICIT;
        else
            return -1;
        return 1;
    }
    if (strcmp(option, "--groups") == 0) {
        int64_t g;
        if (parse_nonneg(option, value, value, strlen(value), &g, msg, msg_len) != 0)
            return -1;
        if (g < 1) {
            set_msg(msg, msg_len, "%s: must be at least 1, got '%s'", option, value);
            return -1;
        }
        ga->groups = g;
        return 1;
    }
    if (strcmp(option, "--padding-mode") == 0) {
        static const char *const modes[] = {"zeros", "reflect", "replicate", "circular"};
        static const convnd_padding_mode mode_values[] = {CONVND_PAD_ZEROS, CONVND_PAD_REFLECT,
                                                          CONVND_PAD_REPLICATE, CONVND_PAD_CIRCULAR};
        int i;
        if (parse_word(option, value, modes, 4, &i, msg, msg_len) != 0)
            return -1;
        ga->padding_mode = mode_values[i];
        return 1;
    }
    /* --engine */
    static const char *const engines[] = {"auto", "ref"};
    static const convnd_engine engine_values[] = {CONVND_ENGINE_AUTO, CONVND_ENGINE_REF};
    int i;
    if (parse_word(option, value, engines, 2, &i, msg, msg_len) != 0)
        return -1;
    ga->engine = engine_values[i];
    return 1;
}

const char *cnd_args_mode_name(convnd_padding_mode mode)
{
    switch (mode) {
    case CONVND_PAD_ZEROS: return "zeros";
    case CONVND_PAD_REFLECT: return "reflect";
    case CONVND_PAD_REPLICATE: return "replicate";
    case CONVND_PAD_CIRCULAR: return "circular";
    }
    return "?";
}

/* ---- building the geometry ---------------------------------------------------------------- */

/* Spreads an option's list over the d axes: nothing given keeps `fallback`, one item is
 * broadcast, d items are taken as they are; any other count is an error. */
static int spread(const char *option, const cnd_int_list *list, int d, int64_t fallback, int64_t *dst, char *msg,
                  size_t msg_len)
{
    if (list->count != 0 && list->count != 1 && list->count != d) {
        set_msg(msg, msg_len, "%s has %d items but the weight has %d spatial %s", option, list->count, d,
                d == 1 ? "axis" : "axes");
        return -1;
    }
    for (int a = 0; a < d; a++)
        dst[a] = list->count == 0 ? fallback : list->v[list->count == 1 ? 0 : a];
    return 0;
}

static int check_sizes(const char *what, int ndim, const int64_t *shape, char *msg, size_t msg_len)
{
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 1) {
            set_msg(msg, msg_len, "the %s has size %lld on axis %d; every axis must be at least 1", what,
                    (long long)shape[i], i);
            return -1;
        }
    return 0;
}

/* Channels and groups from the input's channel count and the weight's first two axes. G is
 * checked to divide before anything is multiplied by it, and the one product is
 * overflow-checked. */
static int set_channels(const cnd_geometry_args *ga, int64_t x_channels, const int64_t *w, convnd_geometry *g,
                        char *msg, size_t msg_len)
{
    int64_t G = ga->groups > 0 ? ga->groups : 1;
    g->groups = G;
    if (x_channels % G != 0) {
        set_msg(msg, msg_len, "--groups %lld does not divide the input's %lld channels", (long long)G,
                (long long)x_channels);
        return -1;
    }
    if (!ga->transposed) {
        /* conv weight (C_out, C_in/G, K...) */
        if (w[1] != x_channels / G) {
            set_msg(msg, msg_len,
                    "channel mismatch: the input has %lld channels, so with --groups %lld the weight's axis 1 "
                    "(C_in/groups) must be %lld, but it is %lld",
                    (long long)x_channels, (long long)G, (long long)(x_channels / G), (long long)w[1]);
            return -1;
        }
        if (w[0] % G != 0) {
            set_msg(msg, msg_len, "--groups %lld does not divide the weight's %lld output channels (axis 0)",
                    (long long)G, (long long)w[0]);
            return -1;
        }
        g->in_channels = x_channels;
        g->out_channels = w[0];
        return 0;
    }
    /* transposed weight (C_in, C_out/G, K...) */
    if (w[0] != x_channels) {
        set_msg(msg, msg_len,
                "channel mismatch: the input has %lld channels but the transposed weight's axis 0 (C_in) is %lld",
                (long long)x_channels, (long long)w[0]);
        return -1;
    }
    if (w[1] > INT64_MAX / G) {
        set_msg(msg, msg_len, "the output channel count %lld x --groups %lld overflows", (long long)w[1],
                (long long)G);
        return -1;
    }
    g->in_channels = x_channels;
    g->out_channels = w[1] * G;
    return 0;
}

int cnd_geometry_from_shapes(const cnd_geometry_args *ga, convnd_dtype dtype, int input_ndim,
                             const int64_t *input_shape, int weight_ndim, const int64_t *weight_shape,
                             convnd_geometry *g, char *msg, size_t msg_len)
{
    const char *layout = ga->transposed ? "(C_in, C_out/groups, K_1 .. K_d)" : "(C_out, C_in/groups, K_1 .. K_d)";
    int d = weight_ndim - 2;
    if (d < 1 || d > CONVND_MAX_RANK) {
        set_msg(msg, msg_len, "the weight has %d axes; it must have 3 to %d: %s", weight_ndim, CONVND_MAX_RANK + 2,
                layout);
        return -1;
    }
    if (input_ndim != d + 1 && input_ndim != d + 2) {
        set_msg(msg, msg_len,
                "the input has %d axes; a weight with %d spatial axes needs %d (C_in, I_1 .. I_d) or %d "
                "(N, C_in, I_1 .. I_d)",
                input_ndim, d, d + 1, d + 2);
        return -1;
    }
    if (check_sizes("weight", weight_ndim, weight_shape, msg, msg_len) != 0 ||
        check_sizes("input", input_ndim, input_shape, msg, msg_len) != 0)
        return -1;

    convnd_error err;
    if (convnd_geometry_init(g, d, &err) != CONVND_OK) {
        set_msg(msg, msg_len, "%s", err.msg);
        return -1;
    }
    int batched = input_ndim == d + 2;
    const int64_t *spatial = input_shape + (batched ? 2 : 1);
    g->transposed = ga->transposed;
    g->dtype = dtype;
    g->padding_mode = ga->padding_mode;
    g->batch = batched ? input_shape[0] : CONVND_UNBATCHED;
    if (set_channels(ga, input_shape[batched ? 1 : 0], weight_shape, g, msg, msg_len) != 0)
        return -1;
    for (int a = 0; a < d; a++) {
        g->input_size[a] = spatial[a];
        g->kernel_size[a] = weight_shape[2 + a];
    }
    if (spread("--stride", &ga->stride, d, 1, g->stride, msg, msg_len) != 0 ||
        spread("--dilation", &ga->dilation, d, 1, g->dilation, msg, msg_len) != 0 ||
        spread("--output-padding", &ga->output_padding, d, 0, g->output_padding, msg, msg_len) != 0 ||
        spread("--padding", &ga->pad_lo, d, 0, g->pad_lo, msg, msg_len) != 0 ||
        spread("--padding", &ga->pad_hi, d, 0, g->pad_hi, msg, msg_len) != 0)
        return -1;

    /* The library refuses these too; saying it in terms of the options is clearer. */
    if (!ga->transposed)
        for (int a = 0; a < d; a++)
            if (g->output_padding[a] != 0) {
                set_msg(msg, msg_len, "--output-padding applies only to --transposed convolutions");
                return -1;
            }
    if (ga->transposed && ga->padding_mode != CONVND_PAD_ZEROS) {
        set_msg(msg, msg_len, "--padding-mode %s is not supported with --transposed (only zeros)",
                cnd_args_mode_name(ga->padding_mode));
        return -1;
    }

    if (ga->padding_kind == CND_PADDING_SAME) {
        if (convnd_geometry_pad_same(g, &err) != CONVND_OK) {
            set_msg(msg, msg_len, "--padding same: %s", err.msg);
            return -1;
        }
    } else if (ga->padding_kind == CND_PADDING_VALID) {
        if (convnd_geometry_pad_valid(g, &err) != CONVND_OK) {
            set_msg(msg, msg_len, "--padding valid: %s", err.msg);
            return -1;
        }
    }
    if (convnd_geometry_check(g, &err) != CONVND_OK) {
        set_msg(msg, msg_len, "%s", err.msg);
        return -1;
    }
    return 0;
}
