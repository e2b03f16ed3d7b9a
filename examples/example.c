/* example.c -- the README's C API example: a batched 2-D conv with stride 2 and padding 1,
 * then its backward pass. Built and run by the test suite so the README stays true. */
#include <stdio.h>
#include <stdlib.h>

#include "convnd.h"

int main(void) {
    convnd_geometry g;
    convnd_error err;
    size_t nx, nw, ny;
    int64_t y_dims[CONVND_MAX_RANK + 2];
    int y_ndim;

    convnd_geometry_init(&g, 2, NULL);         /* rank 2, float32, stride 1, ... */
    g.batch = 2;                               /* x: (2, 3, 8, 8) */
    g.in_channels = 3;
    g.out_channels = 4;                        /* W: (4, 3, 3, 3) */
    g.input_size[0] = g.input_size[1] = 8;
    g.kernel_size[0] = g.kernel_size[1] = 3;
    g.stride[0] = g.stride[1] = 2;
    g.pad_lo[0] = g.pad_lo[1] = g.pad_hi[0] = g.pad_hi[1] = 1;
    if (convnd_tensor_shape(&g, CONVND_TENSOR_INPUT, NULL, NULL, &nx, &err) != CONVND_OK ||
        convnd_tensor_shape(&g, CONVND_TENSOR_WEIGHT, NULL, NULL, &nw, &err) != CONVND_OK ||
        convnd_tensor_shape(&g, CONVND_TENSOR_OUTPUT, y_dims, &y_ndim, &ny, &err) != CONVND_OK) {
        fprintf(stderr, "geometry: %s\n", err.msg);
        return 1;
    }
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = calloc(4, sizeof *b);
    float *y = malloc(ny * sizeof *y), *gx = malloc(nx * sizeof *gx), *gw = malloc(nw * sizeof *gw);
    float gb[4];
    if (!x || !w || !b || !y || !gx || !gw) return 1;
    for (size_t i = 0; i < nx; i++) x[i] = (float)(i % 7) - 3.0f;
    for (size_t i = 0; i < nw; i++) w[i] = (float)(i % 5) * 0.25f - 0.5f;

    if (convnd_forward(&g, CONVND_ENGINE_AUTO, x, w, b, y, &err) != CONVND_OK) {
        fprintf(stderr, "forward: %s\n", err.msg);
        return 1;
    }
    printf("y: (%lld, %lld, %lld, %lld), y[0] = %g\n", (long long)y_dims[0], (long long)y_dims[1],
           (long long)y_dims[2], (long long)y_dims[3], y[0]);

    /* Backward with grad_output = y (the gradient of 0.5 * |y|^2). */
    if (convnd_backward(&g, CONVND_ENGINE_AUTO, x, w, y, gx, gw, gb, &err) != CONVND_OK) {
        fprintf(stderr, "backward: %s\n", err.msg);
        return 1;
    }
    printf("grad_weight[0] = %g, grad_bias[1] = %g, grad_input[0] = %g\n", gw[0], gb[1], gx[0]);

    g.stride[1] = 0; /* a mistake: the error names it */
    if (convnd_forward(&g, CONVND_ENGINE_AUTO, x, w, b, y, &err) != CONVND_OK) printf("error: %s\n", err.msg);

    free(x), free(w), free(b), free(y), free(gx), free(gw);
    return 0;
}
