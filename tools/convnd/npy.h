/* npy.h -- reading and writing NumPy .npy files (format 1.0/2.0/3.0), float32/float64 only.
 *
 * Accepted: little-endian '<f4' / '<f8' (and '|f4'-style byte-order marks are refused),
 * C order (fortran_order False), any shape of 0 .. CONVND_MAX_RANK + 2 axes. Everything else
 * (other dtypes, Fortran order, big-endian, a truncated or malformed header or body, trailing
 * bytes) is refused with a one-line message that names the file and the problem. */
#ifndef CONVND_TOOL_NPY_H
#define CONVND_TOOL_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "convnd.h"

#define CND_NPY_MAX_NDIM (CONVND_MAX_RANK + 2)

typedef struct cnd_npy {
    convnd_dtype dtype;
    int ndim;
    int64_t shape[CND_NPY_MAX_NDIM];
    size_t count; /* product of shape (1 for ndim 0) */
    void *data;   /* malloc'd, owned by this struct; free with cnd_npy_free */
} cnd_npy;

/* Loads `path` into *out. Returns 0, or -1 with a message in msg (which names `path`); on
 * failure *out holds nothing to free. */
int cnd_npy_load(const char *path, cnd_npy *out, char *msg, size_t msg_len);

/* Frees out->data and resets *out; safe on a zeroed or already freed struct. */
void cnd_npy_free(cnd_npy *npy);

/* Writes an array as a version 1.0 .npy file to `path` (created or truncated). Returns 0, or
 * -1 with a message (the file may then be partly written: callers that promise atomic
 * output write to a temporary name and rename, see main.c). */
int cnd_npy_save(const char *path, convnd_dtype dtype, int ndim, const int64_t *shape, const void *data,
                 char *msg, size_t msg_len);

/* Writes the same bytes as cnd_npy_save to an open stream (binary mode), without flushing or
 * closing it; `name` is used in messages only. Lets a caller write to a file it created itself
 * (e.g. with mkstemp) and check fflush/fsync/fclose on its own. Returns 0, or -1 with a message. */
int cnd_npy_write(FILE *f, const char *name, convnd_dtype dtype, int ndim, const int64_t *shape, const void *data,
                  char *msg, size_t msg_len);

/* Size in bytes of one element of `dtype` (4 or 8; 0 for an unknown value). */
size_t cnd_npy_dtype_size(convnd_dtype dtype);

/* "float32" / "float64" ("?" for an unknown value). */
const char *cnd_npy_dtype_name(convnd_dtype dtype);

/* Formats a shape as Python does, "(2, 3)", "(3,)" or "()", into buf (truncated to fit). */
void cnd_npy_format_shape(char *buf, size_t buf_len, int ndim, const int64_t *shape);

#endif
