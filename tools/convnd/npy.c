/* npy.c -- .npy reader and writer for the convnd tool (see npy.h for what is accepted).
 *
 * The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and a minor version byte,
 * the header length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), then the header --
 * a Python dict literal with exactly the keys 'descr', 'fortran_order' and 'shape' -- and then
 * the raw elements. Every multi-byte number in the file is little-endian whatever the host. */
#include "npy.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* Headers are a few hundred bytes; numpy itself refuses more than 10000 by default. A cap keeps
 * a corrupt length field from turning into a huge allocation. */
#define NPY_MAX_HEADER_LEN 65536u
/* numpy aligns the data to 64 bytes so that it can be memory-mapped; we write the same. */
#define NPY_ALIGN 64

#if defined(__GNUC__)
#define CND_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CND_PRINTF(f, a)
#endif

static void set_msg(char *msg, size_t msg_len, const char *name, const char *fmt, ...) CND_PRINTF(4, 5);

static void set_msg(char *msg, size_t msg_len, const char *name, const char *fmt, ...)
{
    if (msg == NULL || msg_len == 0)
        return;
    int n = snprintf(msg, msg_len, "%s: ", name);
    if (n < 0 || (size_t)n >= msg_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, msg_len - (size_t)n, fmt, ap);
    va_end(ap);
}

size_t cnd_npy_dtype_size(convnd_dtype dtype)
{
    switch (dtype) {
    case CONVND_FLOAT32: return 4;
    case CONVND_FLOAT64: return 8;
    }
    return 0;
}

const char *cnd_npy_dtype_name(convnd_dtype dtype)
{
    switch (dtype) {
    case CONVND_FLOAT32: return "float32";
    case CONVND_FLOAT64: return "float64";
    }
    return "?";
}

static void append(char *buf, size_t buf_len, size_t *pos, const char *fmt, ...) CND_PRINTF(4, 5);

/* snprintf at *pos that stops quietly once buf is full. */
static void append(char *buf, size_t buf_len, size_t *pos, const char *fmt, ...)
{
    if (*pos >= buf_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, buf_len - *pos, fmt, ap);
    va_end(ap);
    *pos = n < 0 ? buf_len : *pos + (size_t)n;
}

void cnd_npy_format_shape(char *buf, size_t buf_len, int ndim, const int64_t *shape)
{
    if (buf == NULL || buf_len == 0)
        return;
    size_t pos = 0;
    buf[0] = '\0';
    append(buf, buf_len, &pos, "(");
    for (int i = 0; i < ndim; i++)
        append(buf, buf_len, &pos, i == 0 ? "%lld" : ", %lld", (long long)shape[i]);
    append(buf, buf_len, &pos, ndim == 1 ? ",)" : ")");
}

/* ---- byte order ------------------------------------------------------------------------- */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static void swap_bytes(unsigned char *p, size_t count, size_t elem)
{
    for (size_t i = 0; i < count; i++, p += elem)
        for (size_t a = 0, b = elem - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* ---- header parsing ----------------------------------------------------------------------- */

typedef struct header_parser {
    const char *s; /* NUL-terminated header text */
    size_t pos;
    const char *name; /* file name, for messages */
    char *msg;
    size_t msg_len;
} header_parser;

static void skip_space(header_parser *p)
{
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r')
        p->pos++;
}

/* Describes what stands at the parser's position, for "expected X, found Y" messages. */
static const char *found_text(const header_parser *p, char *buf, size_t buf_len)
{
    char c = p->s[p->pos];
    if (c == '\0')
        return "the end of the header";
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, buf_len, "'%c'", c);
    else
        snprintf(buf, buf_len, "byte 0x%02x", (unsigned)(unsigned char)c);
    return buf;
}

static int expect_char(header_parser *p, char c, const char *context)
{
    skip_space(p);
    if (p->s[p->pos] == c) {
        p->pos++;
        return 0;
    }
    char buf[16];
    set_msg(p->msg, p->msg_len, p->name, "malformed header: expected '%c' %s, found %s", c, context,
            found_text(p, buf, sizeof buf));
    return -1;
}

/* A Python string literal without escapes (dtype strings and keys never need them). */
static int parse_string(header_parser *p, char *out, size_t out_len, const char *what)
{
    skip_space(p);
    char q = p->s[p->pos];
    if (q != '\'' && q != '"') {
        char buf[16];
        set_msg(p->msg, p->msg_len, p->name, "malformed header: expected a quoted string for %s, found %s", what,
                found_text(p, buf, sizeof buf));
        return -1;
    }
    size_t start = ++p->pos;
    while (p->s[p->pos] != q && p->s[p->pos] != '\0' && p->s[p->pos] != '\\')
        p->pos++;
    if (p->s[p->pos] != q) {
        set_msg(p->msg, p->msg_len, p->name, "malformed header: unterminated or escaped string for %s", what);
        return -1;
    }
    size_t len = p->pos - start;
    p->pos++;
    if (len >= out_len) {
        set_msg(p->msg, p->msg_len, p->name, "malformed header: string for %s is too long (%zu characters)", what,
                len);
        return -1;
    }
    memcpy(out, p->s + start, len);
    out[len] = '\0';
    return 0;
}

static int starts_word(const header_parser *p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(p->s + p->pos, word, n) != 0)
        return 0;
    char next = p->s[p->pos + n];
    return !((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9') ||
             next == '_');
}

static int parse_bool(header_parser *p, int *out)
{
    skip_space(p);
    if (starts_word(p, "True")) {
        p->pos += 4;
        *out = 1;
        return 0;
    }
    if (starts_word(p, "False")) {
        p->pos += 5;
        *out = 0;
        return 0;
    }
    set_msg(p->msg, p->msg_len, p->name, "malformed header: 'fortran_order' must be True or False");
    return -1;
}

/* A non-negative integer that fits in int64_t; Python 2 files may carry an 'L' suffix. */
static int parse_dim(header_parser *p, int64_t *out)
{
    skip_space(p);
    if (p->s[p->pos] == '-') {
        set_msg(p->msg, p->msg_len, p->name, "negative size in 'shape'");
        return -1;
    }
    if (p->s[p->pos] < '0' || p->s[p->pos] > '9') {
        char buf[16];
        set_msg(p->msg, p->msg_len, p->name, "malformed header: expected an integer in 'shape', found %s",
                found_text(p, buf, sizeof buf));
        return -1;
    }
    int64_t v = 0;
    while (p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        int digit = p->s[p->pos] - '0';
        if (v > (INT64_MAX - digit) / 10) {
            set_msg(p->msg, p->msg_len, p->name, "a size in 'shape' does not fit in a 64-bit integer");
            return -1;
        }
        v = v * 10 + digit;
        p->pos++;
    }
    if (p->s[p->pos] == 'L' || p->s[p->pos] == 'l')
        p->pos++;
    *out = v;
    return 0;
}

/* A Python tuple of integers: "()", "(3,)", "(2, 3)", "(2, 3,)". "(3)" is the integer 3 in
 * Python, not a tuple, and numpy refuses it; so do we. */
static int parse_shape(header_parser *p, int *ndim, int64_t *shape)
{
    if (expect_char(p, '(', "to open 'shape'") != 0)
        return -1;
    int n = 0;
    int trailing_comma = 0;
    for (;;) {
        skip_space(p);
        if (p->s[p->pos] == ')') {
            p->pos++;
            break;
        }
        if (n == CND_NPY_MAX_NDIM) {
            set_msg(p->msg, p->msg_len, p->name, "'shape' has more than %d axes (at most %d are supported)",
                    CND_NPY_MAX_NDIM, CND_NPY_MAX_NDIM);
            return -1;
        }
        if (parse_dim(p, &shape[n]) != 0)
            return -1;
        n++;
        skip_space(p);
        trailing_comma = 0;
        if (p->s[p->pos] == ',') {
            p->pos++;
            trailing_comma = 1;
        } else if (p->s[p->pos] != ')') {
            char buf[16];
            set_msg(p->msg, p->msg_len, p->name, "malformed header: expected ',' or ')' in 'shape', found %s",
                    found_text(p, buf, sizeof buf));
            return -1;
        }
    }
    if (n == 1 && !trailing_comma) {
        set_msg(p->msg, p->msg_len, p->name, "malformed header: 'shape' (%lld) is not a tuple (write (%lld,))",
                (long long)shape[0], (long long)shape[0]);
        return -1;
    }
    *ndim = n;
    return 0;
}

/* Maps a descr to a dtype, or explains in the message why it is refused. */
static int parse_descr(const char *descr, convnd_dtype *dtype, const char *name, char *msg, size_t msg_len)
{
    if (strcmp(descr, "<f4") == 0) {
        *dtype = CONVND_FLOAT32;
        return 0;
    }
    if (strcmp(descr, "<f8") == 0) {
        *dtype = CONVND_FLOAT64;
        return 0;
    }
    static const char supported[] = "only little-endian float32 ('<f4') and float64 ('<f8') are supported";
    if (descr[0] == '>' && (strcmp(descr + 1, "f4") == 0 || strcmp(descr + 1, "f8") == 0)) {
        set_msg(msg, msg_len, name, "dtype '%s' is big-endian; %s", descr, supported);
        return -1;
    }
    /* Name the type when it is a simple one, so that "<i4" reads as "int32". */
    const char *kind = NULL;
    const char *body = (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=') ? descr + 1 : descr;
    switch (body[0]) {
    case 'b': kind = "bool"; break;
    case 'i': kind = "int"; break;
    case 'u': kind = "uint"; break;
    case 'f': kind = "float"; break;
    case 'c': kind = "complex"; break;
    default: break;
    }
    char *end = NULL;
    long bytes = (kind != NULL && body[1] >= '1' && body[1] <= '9') ? strtol(body + 1, &end, 10) : 0;
    if (kind != NULL && end != NULL && *end == '\0' && bytes > 0 && bytes <= 64) {
        if (strcmp(kind, "bool") == 0)
            set_msg(msg, msg_len, name, "dtype '%s' (bool) is not supported; %s", descr, supported);
        else
            set_msg(msg, msg_len, name, "dtype '%s' (%s%ld) is not supported; %s", descr, kind, bytes * 8, supported);
    } else {
        set_msg(msg, msg_len, name, "dtype '%s' is not supported; %s", descr, supported);
    }
    return -1;
}

typedef struct npy_header {
    convnd_dtype dtype;
    int ndim;
    int64_t shape[CND_NPY_MAX_NDIM];
} npy_header;

static int parse_header(const char *text, npy_header *h, const char *name, char *msg, size_t msg_len)
{
    header_parser p = {text, 0, name, msg, msg_len};
    int have_descr = 0, have_order = 0, have_shape = 0;
    char descr[64] = "";
    int fortran = 0;
    if (expect_char(&p, '{', "at the start of the header") != 0)
        return -1;
    for (;;) {
        skip_space(&p);
        if (p.s[p.pos] == '}') {
            p.pos++;
            break;
        }
        char key[32];
        if (parse_string(&p, key, sizeof key, "a key") != 0 || expect_char(&p, ':', "after a key") != 0)
            return -1;
        int *have;
        int rc;
        if (strcmp(key, "descr") == 0) {
            have = &have_descr;
            skip_space(&p);
            if (p.s[p.pos] == '[' || p.s[p.pos] == '(') {
                set_msg(msg, msg_len, name, "dtype is a structured type; only little-endian float32 ('<f4') "
                                            "and float64 ('<f8') are supported");
                return -1;
            }
            rc = parse_string(&p, descr, sizeof descr, "'descr'");
        } else if (strcmp(key, "fortran_order") == 0) {
            have = &have_order;
            rc = parse_bool(&p, &fortran);
        } else if (strcmp(key, "shape") == 0) {
            have = &have_shape;
            rc = parse_shape(&p, &h->ndim, h->shape);
        } else {
            set_msg(msg, msg_len, name, "malformed header: unexpected key '%s'", key);
            return -1;
        }
        if (rc != 0)
            return -1;
        if (*have) {
            set_msg(msg, msg_len, name, "malformed header: key '%s' appears twice", key);
            return -1;
        }
        *have = 1;
        skip_space(&p);
        if (p.s[p.pos] == ',')
            p.pos++;
        else if (p.s[p.pos] != '}') {
            char buf[16];
            set_msg(msg, msg_len, name, "malformed header: expected ',' or '}' after '%s', found %s", key,
                    found_text(&p, buf, sizeof buf));
            return -1;
        }
    }
    skip_space(&p);
    if (p.s[p.pos] != '\0') {
        set_msg(msg, msg_len, name, "malformed header: unexpected text after the closing '}'");
        return -1;
    }
    if (!have_descr || !have_order || !have_shape) {
        set_msg(msg, msg_len, name, "malformed header: no '%s' key",
                !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
        return -1;
    }
    if (parse_descr(descr, &h->dtype, name, msg, msg_len) != 0)
        return -1;
    if (fortran) {
        set_msg(msg, msg_len, name, "fortran_order is True; only C-order (row-major) arrays are supported "
                                    "(save np.ascontiguousarray(a))");
        return -1;
    }
    return 0;
}

/* ---- loading ---------------------------------------------------------------------------------- */

/* Element count and byte size of a shape, refusing overflow of size_t (and so of memory). */
static int shape_bytes(int ndim, const int64_t *shape, size_t elem, size_t *count, size_t *bytes, const char *name,
                       char *msg, size_t msg_len)
{
    size_t c = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            set_msg(msg, msg_len, name, "negative size %lld on axis %d", (long long)shape[i], i);
            return -1;
        }
        if ((uint64_t)shape[i] > (uint64_t)SIZE_MAX || (shape[i] != 0 && c > SIZE_MAX / (size_t)shape[i])) {
            set_msg(msg, msg_len, name, "the element count of the shape overflows");
            return -1;
        }
        c *= (size_t)shape[i];
    }
    if (c > SIZE_MAX / elem) {
        set_msg(msg, msg_len, name, "the byte size of the shape overflows");
        return -1;
    }
    *count = c;
    *bytes = c * elem;
    return 0;
}

static void read_error(FILE *f, const char *what, const char *name, char *msg, size_t msg_len, int saved_errno)
{
    if (ferror(f))
        set_msg(msg, msg_len, name, "cannot read the %s: %s", what, strerror(saved_errno ? saved_errno : EIO));
    else
        set_msg(msg, msg_len, name, "truncated file: it ends inside the %s", what);
}

/* Reads the magic, version and header; leaves f positioned at the first data byte. */
static int read_header(FILE *f, npy_header *h, const char *name, char *msg, size_t msg_len)
{
    unsigned char pre[NPY_MAGIC_LEN + 2 + 4];
    errno = 0;
    size_t got = fread(pre, 1, NPY_MAGIC_LEN, f);
    if (got < NPY_MAGIC_LEN && ferror(f)) {
        read_error(f, "header", name, msg, msg_len, errno);
        return -1;
    }
    if (got == 0) {
        set_msg(msg, msg_len, name, "empty file, not a .npy file (bad magic)");
        return -1;
    }
    if (memcmp(pre, NPY_MAGIC, got) != 0) {
        set_msg(msg, msg_len, name, "not a .npy file (bad magic: it does not start with \\x93NUMPY)");
        return -1;
    }
    if (got < NPY_MAGIC_LEN || fread(pre + NPY_MAGIC_LEN, 1, 2, f) != 2) {
        read_error(f, "header", name, msg, msg_len, errno);
        return -1;
    }
    unsigned major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0) {
        set_msg(msg, msg_len, name, "unsupported .npy format version %u.%u (1.0, 2.0 and 3.0 are supported)", major,
                minor);
        return -1;
    }
    size_t len_bytes = major == 1 ? 2 : 4;
    if (fread(pre + 8, 1, len_bytes, f) != len_bytes) {
        read_error(f, "header", name, msg, msg_len, errno);
        return -1;
    }
    uint32_t hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
    if (len_bytes == 4)
        hlen |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
    if (hlen > NPY_MAX_HEADER_LEN) {
        set_msg(msg, msg_len, name, "header length %lu is implausibly large (corrupt file?)", (unsigned long)hlen);
        return -1;
    }
    char *text = malloc((size_t)hlen + 1);
    if (text == NULL) {
        set_msg(msg, msg_len, name, "out of memory reading the header");
        return -1;
    }
    errno = 0;
    if (fread(text, 1, hlen, f) != hlen) {
        read_error(f, "header", name, msg, msg_len, errno);
        free(text);
        return -1;
    }
    text[hlen] = '\0';
    int rc;
    if (strlen(text) != hlen) {
        set_msg(msg, msg_len, name, "malformed header: it contains a NUL byte");
        rc = -1;
    } else {
        rc = parse_header(text, h, name, msg, msg_len);
    }
    free(text);
    return rc;
}

/* Bytes left in f after the current position, or -1 when f cannot seek (a pipe). Lets a short
 * file be refused before the possibly large allocation its header asks for. */
static long remaining_bytes(FILE *f)
{
    long here = ftell(f);
    if (here < 0 || fseek(f, 0, SEEK_END) != 0)
        return -1;
    long end = ftell(f);
    if (fseek(f, here, SEEK_SET) != 0 || end < here)
        return -1;
    return end - here;
}

static int read_data(FILE *f, const npy_header *h, cnd_npy *out, const char *name, char *msg, size_t msg_len)
{
    size_t elem = cnd_npy_dtype_size(h->dtype), count, bytes;
    if (shape_bytes(h->ndim, h->shape, elem, &count, &bytes, name, msg, msg_len) != 0)
        return -1;
    long left = remaining_bytes(f);
    if (left >= 0 && (unsigned long)left < bytes) {
        set_msg(msg, msg_len, name, "truncated data: the shape needs %zu bytes, the file has %ld", bytes, left);
        return -1;
    }
    if (left >= 0 && (unsigned long)left > bytes) {
        set_msg(msg, msg_len, name, "%lu trailing bytes after the data (the shape needs %zu bytes)",
                (unsigned long)left - (unsigned long)bytes, bytes);
        return -1;
    }
    void *data = malloc(bytes > 0 ? bytes : 1);
    if (data == NULL) {
        set_msg(msg, msg_len, name, "out of memory (%zu bytes of data)", bytes);
        return -1;
    }
    errno = 0;
    size_t got = fread(data, 1, bytes, f);
    if (got != bytes) {
        if (ferror(f))
            set_msg(msg, msg_len, name, "cannot read the data: %s", strerror(errno ? errno : EIO));
        else
            set_msg(msg, msg_len, name, "truncated data: the shape needs %zu bytes, the file has %zu", bytes, got);
        free(data);
        return -1;
    }
    if (fgetc(f) != EOF) {
        set_msg(msg, msg_len, name, "trailing bytes after the data (the shape needs %zu bytes)", bytes);
        free(data);
        return -1;
    }
    if (!host_is_little_endian())
        swap_bytes(data, count, elem);
    out->dtype = h->dtype;
    out->ndim = h->ndim;
    memcpy(out->shape, h->shape, sizeof h->shape);
    out->count = count;
    out->data = data;
    return 0;
}

int cnd_npy_load(const char *path, cnd_npy *out, char *msg, size_t msg_len)
{
    if (out == NULL || path == NULL) {
        set_msg(msg, msg_len, path ? path : "(null)", "invalid argument");
        return -1;
    }
    memset(out, 0, sizeof *out);
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        set_msg(msg, msg_len, path, "cannot open: %s", strerror(errno ? errno : ENOENT));
        return -1;
    }
    npy_header h;
    memset(&h, 0, sizeof h);
    int rc = read_header(f, &h, path, msg, msg_len);
    if (rc == 0)
        rc = read_data(f, &h, out, path, msg, msg_len);
    fclose(f); /* read-only: a close error cannot lose data */
    return rc;
}

void cnd_npy_free(cnd_npy *npy)
{
    if (npy == NULL)
        return;
    free(npy->data);
    memset(npy, 0, sizeof *npy);
}

/* ---- writing ---------------------------------------------------------------------------------- */

/* The header numpy writes: the dict with keys in sorted order and a trailing ", ", padded with
 * spaces and a final newline so that the data starts at a multiple of NPY_ALIGN. */
static size_t build_header(char *buf, size_t buf_len, convnd_dtype dtype, int ndim, const int64_t *shape)
{
    char shape_text[CND_NPY_MAX_NDIM * 22 + 4];
    cnd_npy_format_shape(shape_text, sizeof shape_text, ndim, shape);
    int n = snprintf(buf + 10, buf_len - 10, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     dtype == CONVND_FLOAT32 ? "<f4" : "<f8", shape_text);
    if (n < 0)
        return 0;
    size_t total = 10 + (size_t)n + 1; /* magic, version, length, dict, '\n' */
    total = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    if (total > buf_len)
        return 0;
    memset(buf + 10 + n, ' ', total - 10 - (size_t)n - 1);
    buf[total - 1] = '\n';
    size_t hlen = total - 10;
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    return total;
}

int cnd_npy_write(FILE *f, const char *name, convnd_dtype dtype, int ndim, const int64_t *shape, const void *data,
                  char *msg, size_t msg_len)
{
    size_t elem = cnd_npy_dtype_size(dtype), count, bytes;
    if (f == NULL || elem == 0 || ndim < 0 || ndim > CND_NPY_MAX_NDIM || (ndim > 0 && shape == NULL)) {
        set_msg(msg, msg_len, name, "cannot write: invalid dtype, rank or shape");
        return -1;
    }
    if (shape_bytes(ndim, shape, elem, &count, &bytes, name, msg, msg_len) != 0)
        return -1;
    if (bytes > 0 && data == NULL) {
        set_msg(msg, msg_len, name, "cannot write: no data");
        return -1;
    }
    char header[512];
    size_t hbytes = build_header(header, sizeof header, dtype, ndim, shape);
    if (hbytes == 0) {
        set_msg(msg, msg_len, name, "cannot write: header too long");
        return -1;
    }
    errno = 0;
    if (fwrite(header, 1, hbytes, f) != hbytes)
        goto write_failed;
    if (host_is_little_endian()) {
        if (bytes > 0 && fwrite(data, 1, bytes, f) != bytes)
            goto write_failed;
    } else {
        /* Swap through a small buffer: the caller's data stays const. */
        unsigned char chunk[4096];
        const unsigned char *src = data;
        for (size_t done = 0; done < bytes;) {
            size_t n = bytes - done < sizeof chunk ? bytes - done : sizeof chunk;
            memcpy(chunk, src + done, n);
            swap_bytes(chunk, n / elem, elem);
            if (fwrite(chunk, 1, n, f) != n)
                goto write_failed;
            done += n;
        }
    }
    return 0;
write_failed:
    set_msg(msg, msg_len, name, "cannot write: %s", strerror(errno ? errno : EIO));
    return -1;
}

int cnd_npy_save(const char *path, convnd_dtype dtype, int ndim, const int64_t *shape, const void *data, char *msg,
                 size_t msg_len)
{
    errno = 0;
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        set_msg(msg, msg_len, path, "cannot create: %s", strerror(errno ? errno : EIO));
        return -1;
    }
    int rc = cnd_npy_write(f, path, dtype, ndim, shape, data, msg, msg_len);
    errno = 0;
    if (fclose(f) != 0 && rc == 0) {
        set_msg(msg, msg_len, path, "cannot write: %s", strerror(errno ? errno : EIO));
        rc = -1;
    }
    return rc;
}
