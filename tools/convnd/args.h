/* args.h -- the tool's GEOMETRY options, shared with the tests that drive golden cases.
 *
 *   --stride L  --padding L|same|valid  --dilation L  --groups N  --output-padding L
 *   --padding-mode zeros|reflect|replicate|circular  --engine ref|auto  --transposed
 *   L: one integer for every axis, or d comma-separated integers; a --padding item may be LO:HI.
 *
 * Options are collected before the rank is known (the rank comes from the weight file), then
 * applied to a geometry once the arrays' shapes are known. */
#ifndef CONVND_TOOL_ARGS_H
#define CONVND_TOOL_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "convnd.h"

typedef struct cnd_int_list {
    int count; /* 0: option not given; 1: broadcast to every axis; else one per axis */
    int64_t v[CONVND_MAX_RANK];
} cnd_int_list;

typedef enum cnd_padding_kind { CND_PADDING_EXPLICIT = 0, CND_PADDING_SAME, CND_PADDING_VALID } cnd_padding_kind;

typedef struct cnd_geometry_args {
    int transposed;
    cnd_int_list stride, dilation, output_padding;
    cnd_padding_kind padding_kind;
    cnd_int_list pad_lo, pad_hi; /* explicit padding; equal lists unless LO:HI items were given */
    int64_t groups;              /* 0: not given (1) */
    convnd_padding_mode padding_mode;
    convnd_engine engine;
} cnd_geometry_args;

/* Resets *ga to "nothing given" (conv, zeros mode, engine auto). */
void cnd_geometry_args_init(cnd_geometry_args *ga);

/* If `option` (e.g. "--stride") is a GEOMETRY option, parses `value` into *ga and returns 1
 * (or -1 with a message naming the option and the bad text); returns 0 for any other option.
 * --transposed takes no value: pass value NULL, and it returns 1. Options that take a value
 * report whether they consumed it through *consumed_value (1) so a caller can advance argv. */
int cnd_geometry_args_take(cnd_geometry_args *ga, const char *option, const char *value, int *consumed_value,
                           char *msg, size_t msg_len);

/* Builds the geometry from the options and the shapes of the input and weight arrays:
 * rank d = weight_ndim - 2; the input has d+1 axes (unbatched) or d+2 (batched);
 * conv: weight (C_out, C_in/G, K...); transposed: weight (C_in, C_out/G, K...).
 * Returns 0, or -1 with a message saying which shape does not fit or which option has the
 * wrong number of items. The geometry is then also validated (convnd_geometry_check), whose
 * message is passed through. */
int cnd_geometry_from_shapes(const cnd_geometry_args *ga, convnd_dtype dtype, int input_ndim,
                             const int64_t *input_shape, int weight_ndim, const int64_t *weight_shape,
                             convnd_geometry *g, char *msg, size_t msg_len);

/* The --padding-mode word for a mode ("zeros", "reflect", ...; "?" for an unknown value). */
const char *cnd_args_mode_name(convnd_padding_mode mode);

#endif
