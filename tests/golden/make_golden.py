#!/usr/bin/python3
"""Generates the PyTorch golden data that tests/test_golden.c and tests/cli_golden.py check.

Usage (run with the Debian interpreter that has python3-torch and python3-numpy):

    /usr/bin/python3 tests/golden/make_golden.py tests/data/golden        (what `make golden` runs)
    /usr/bin/python3 tests/golden/make_golden.py --holdout DIR [--seed N] [--count K]

The first form regenerates the fixed, deterministic test set: every *.npy file and manifest.txt
in the directory are deleted and written again (other files are left alone). The second form
writes K (default 8) random-geometry cases the test suite has never seen, in the same format,
into DIR, so a reviewer can run e.g.  python3 tests/cli_golden.py build/convnd DIR  on them.

Per case <name> the files are
    <name>.input.npy  <name>.weight.npy  [<name>.bias.npy]  <name>.grad_output.npy      (inputs)
    <name>.output.npy <name>.grad_input.npy <name>.grad_weight.npy <name>.grad_bias.npy (expected)
grad_bias is written for every case: with a bias it is PyTorch's autograd gradient; without one
it is PyTorch's sum of grad_output over the batch and spatial axes (what the gradient of a bias
would be; convnd_backward computes it whether or not the forward had a bias).

manifest.txt has one line per case, `<name> <convnd GEOMETRY options>`, lines starting with '#'
being comments. Weight layouts are PyTorch's: conv (C_out, C_in/G, K...), transposed
(C_in, C_out/G, K...). Unbatched cases are computed with a batch of 1 and the batch axis squeezed
from input, output, grad_output and grad_input. float32 cases are computed by PyTorch in float32
(the expected values are PyTorch's own float32 results), float64 cases in float64.

How each geometry is computed in PyTorch:
  conv, zeros mode, symmetric padding     F.convNd(x, w, b, stride, padding, dilation, groups)
  conv, padding='same' / 'valid'          F.convNd(..., padding='same' / 'valid', ...)
  conv, asymmetric padding (LO:HI)        F.pad(x, ..., mode='constant') then F.convNd(padding=0)
  conv, reflect/replicate/circular        F.pad(x, ..., mode=...) then F.convNd(padding=0), as
                                          nn.ConvNd does (for symmetric and 'same' padding the
                                          script checks the result equals nn.ConvNd's, bit for bit)
  transposed                              F.conv_transposeNd(x, w, b, stride, padding,
                                          output_padding, groups, dilation) (symmetric padding
                                          only: PyTorch has no asymmetric transposed padding)
  transposed, asymmetric padding (LO:HI)  the same with padding=0, the output cropped by LO and HI
Gradients: y.backward(grad_output) with autograd.
"""

import argparse
import os
import random
import sys
import time
import warnings
import zlib

import numpy as np
import torch
import torch.nn.functional as F

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
NN_CONV = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}
DTYPES = {"f32": torch.float32, "f64": torch.float64}


def case(name, d, cin, cout, insz, k, dtype, transposed=False, batch=2, groups=None, stride=None,
         padding=None, dilation=None, output_padding=None, mode=None, bias=True):
    """One golden case. Per-axis options are None (option not given: the default), an int
    (broadcast; written as one integer) or a d-tuple (written comma-separated). padding may also
    be 'same', 'valid', a (lo, hi) pair written as one broadcast LO:HI item (type `pair`), or a
    list of d (lo, hi) pairs (asymmetric, written LO:HI per axis). batch None = unbatched."""
    return dict(name=name, d=d, cin=cin, cout=cout, insz=_axes(insz, d), k=_axes(k, d),
                dtype=dtype, transposed=transposed, batch=batch, groups=groups, stride=stride,
                padding=padding, dilation=dilation, output_padding=output_padding, mode=mode,
                bias=bias)


class pair(tuple):
    """A broadcast LO:HI padding item."""


def _axes(v, d):
    if v is None:
        return None
    if isinstance(v, int):
        return (v,) * d
    assert len(v) == d, v
    return tuple(v)


def per_axis(v, d, default):
    return (default,) * d if v is None else _axes(v, d)


def pad_pairs(c):
    """The (lo, hi) padding of every axis, as the library will apply it."""
    d, p = c["d"], c["padding"]
    if p is None or p == "valid":
        return [(0, 0)] * d
    if p == "same":
        dil = per_axis(c["dilation"], d, 1)
        out = []
        for a in range(d):
            total = dil[a] * (c["k"][a] - 1)
            out.append((total // 2, total - total // 2))
        return out
    if isinstance(p, pair):
        return [tuple(p)] * d
    if isinstance(p, list):
        assert len(p) == d
        return [tuple(x) for x in p]
    return [(x, x) for x in _axes(p, d)]


def fmt_list(v):
    return str(v) if isinstance(v, int) else ",".join(str(x) for x in v)


def manifest_options(c):
    opts = []
    if c["transposed"]:
        opts.append("--transposed")
    if c["stride"] is not None:
        opts += ["--stride", fmt_list(c["stride"])]
    p = c["padding"]
    if p is not None:
        if isinstance(p, str):
            s = p
        elif isinstance(p, pair):
            s = "%d:%d" % p
        elif isinstance(p, list):
            s = ",".join(("%d:%d" % (lo, hi)) if lo != hi else str(lo) for lo, hi in p)
        else:
            s = fmt_list(p)
        opts += ["--padding", s]
    if c["dilation"] is not None:
        opts += ["--dilation", fmt_list(c["dilation"])]
    if c["groups"] is not None:
        opts += ["--groups", str(c["groups"])]
    if c["output_padding"] is not None:
        opts += ["--output-padding", fmt_list(c["output_padding"])]
    if c["mode"] is not None:
        opts += ["--padding-mode", c["mode"]]
    return " ".join(opts)


def torch_call(c):
    """A one-line description of the PyTorch computation (written to the manifest)."""
    d, g = c["d"], c["groups"] or 1
    s = per_axis(c["stride"], d, 1)
    dil = per_axis(c["dilation"], d, 1)
    b = "b" if c["bias"] else "None"
    if c["transposed"] and isinstance(c["padding"], (list, pair)):
        return ("F.conv_transpose%dd(x, w, %s, stride=%s, padding=0, output_padding=%s, groups=%d, dilation=%s)"
                " cropped by (lo, hi) = %s per axis" % (d, b, s, per_axis(c["output_padding"], d, 0), g, dil,
                                                        pad_pairs(c)))
    if c["transposed"]:
        return "F.conv_transpose%dd(x, w, %s, stride=%s, padding=%s, output_padding=%s, groups=%d, dilation=%s)" % (
            d, b, s, per_axis(c["padding"], d, 0), per_axis(c["output_padding"], d, 0), g, dil)
    mode = c["mode"] or "zeros"
    p = c["padding"]
    if mode == "zeros" and (p is None or isinstance(p, str) or
                            (not isinstance(p, (list, pair)))):
        pp = repr(p) if isinstance(p, str) else str(per_axis(p, d, 0))
        return "F.conv%dd(x, w, %s, stride=%s, padding=%s, dilation=%s, groups=%d)" % (d, b, s, pp, dil, g)
    fpad = [v for lo_hi in reversed(pad_pairs(c)) for v in lo_hi]
    return "F.conv%dd(F.pad(x, %s, mode=%r), w, %s, stride=%s, padding=0, dilation=%s, groups=%d)" % (
        d, fpad, "constant" if mode == "zeros" else mode, b, s, dil, g)


def out_sizes(c):
    """Output spatial sizes by the convnd formulas, or None if the geometry is invalid."""
    d = c["d"]
    s = per_axis(c["stride"], d, 1)
    dil = per_axis(c["dilation"], d, 1)
    op = per_axis(c["output_padding"], d, 0)
    out = []
    for a, (lo, hi) in enumerate(pad_pairs(c)):
        i, k = c["insz"][a], c["k"][a]
        if c["transposed"]:
            if op[a] >= max(s[a], dil[a]):
                return None
            o = (i - 1) * s[a] - lo - hi + dil[a] * (k - 1) + op[a] + 1
        else:
            if i + lo + hi < dil[a] * (k - 1) + 1:
                return None
            if c["mode"] == "reflect" and (lo >= i or hi >= i):
                return None
            if c["mode"] == "circular" and (lo > i or hi > i):
                return None
            o = (i + lo + hi - dil[a] * (k - 1) - 1) // s[a] + 1
        if o < 1:
            return None
        out.append(o)
    return out


def compute(c, seed):
    """Runs PyTorch on the case; returns {suffix: numpy array}."""
    d, dt = c["d"], DTYPES[c["dtype"]]
    g = c["groups"] or 1
    gen = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64).to(dt)

    n = 1 if c["batch"] is None else c["batch"]
    x = randn(n, c["cin"], *c["insz"]).requires_grad_(True)
    if c["transposed"]:
        w = randn(c["cin"], c["cout"] // g, *c["k"]).requires_grad_(True)
    else:
        w = randn(c["cout"], c["cin"] // g, *c["k"]).requires_grad_(True)
    b = randn(c["cout"]).requires_grad_(True) if c["bias"] else None

    s = per_axis(c["stride"], d, 1)
    dil = per_axis(c["dilation"], d, 1)
    if c["transposed"] and isinstance(c["padding"], (list, pair)):
        # Asymmetric transposed padding (a convnd extension): y[q] = full[q + P_lo], i.e. the
        # unpadded transposed conv cropped by P_lo at the start and P_hi at the end of each axis.
        assert c["mode"] is None
        full = CONV_T[d](x, w, b, stride=s, padding=0,
                         output_padding=per_axis(c["output_padding"], d, 0), groups=g, dilation=dil)
        crop = tuple(slice(lo, full.shape[2 + a] - hi) for a, (lo, hi) in enumerate(pad_pairs(c)))
        y = full[(slice(None), slice(None)) + crop]
    elif c["transposed"]:
        assert c["mode"] is None and not isinstance(c["padding"], str)
        y = CONV_T[d](x, w, b, stride=s, padding=per_axis(c["padding"], d, 0),
                      output_padding=per_axis(c["output_padding"], d, 0), groups=g, dilation=dil)
    else:
        mode = c["mode"] or "zeros"
        p = c["padding"]
        if mode == "zeros" and isinstance(p, str):
            y = CONV[d](x, w, b, stride=s, padding=p, dilation=dil, groups=g)
        elif mode == "zeros" and not isinstance(p, (list, pair)):
            y = CONV[d](x, w, b, stride=s, padding=per_axis(p, d, 0), dilation=dil, groups=g)
        else:
            fpad = [v for lo_hi in reversed(pad_pairs(c)) for v in lo_hi]
            xp = F.pad(x, fpad, mode="constant" if mode == "zeros" else mode)
            y = CONV[d](xp, w, b, stride=s, padding=0, dilation=dil, groups=g)
            if mode != "zeros" and (p is None or isinstance(p, str) or not isinstance(p, (list, pair))):
                # Cross-check against PyTorch's module, which pads exactly like this.
                mod = NN_CONV[d](c["cin"], c["cout"], c["k"], stride=s,
                                 padding=p if isinstance(p, str) else per_axis(p, d, 0),
                                 dilation=dil, groups=g, bias=c["bias"], padding_mode=mode).to(dt)
                with torch.no_grad():
                    mod.weight.copy_(w)
                    if b is not None:
                        mod.bias.copy_(b)
                    ym = mod(x)
                assert torch.equal(ym, y.detach()), "nn.Conv%dd disagrees with F.pad + conv on %s" % (d, c["name"])

    expect = out_sizes(c)
    assert expect is not None and list(y.shape[2:]) == expect, (c["name"], y.shape, expect)
    go = randn(*y.shape)
    y.backward(go)
    gb = b.grad if b is not None else go.sum(dim=[0] + list(range(2, 2 + d)))

    unb = c["batch"] is None

    def arr(t, squeeze=False):
        t = t.detach()
        if squeeze and unb:
            t = t.squeeze(0)
        a = np.ascontiguousarray(t.numpy())
        assert a.dtype == (np.float32 if c["dtype"] == "f32" else np.float64)
        return a

    out = {
        "input": arr(x, True), "weight": arr(w), "grad_output": arr(go, True),
        "output": arr(y, True), "grad_input": arr(x.grad, True), "grad_weight": arr(w.grad),
        "grad_bias": arr(gb),
    }
    if b is not None:
        out["bias"] = arr(b)
    return out


def golden_cases():
    L = []
    for dt in ("f32", "f64"):
        # Plain cases: defaults only (no option given), batched, with bias.
        L.append(case("conv1d_basic_" + dt, 1, 3, 4, 9, 3, dt))
        L.append(case("conv2d_basic_" + dt, 2, 3, 4, (5, 6), 3, dt, padding=1))
        L.append(case("conv3d_basic_" + dt, 3, 2, 3, (3, 3, 4), 3, dt, padding=1))
        L.append(case("convT1d_basic_" + dt, 1, 3, 2, 5, 3, dt, transposed=True))
        L.append(case("convT2d_basic_" + dt, 2, 3, 4, (3, 4), 3, dt, transposed=True, stride=2, padding=1))
        L.append(case("convT3d_basic_" + dt, 3, 2, 3, (2, 2, 2), 2, dt, transposed=True, stride=2))
    L += [
        # ---- conv 1-D
        case("conv1d_s2_p1_d2_unbatched_f64", 1, 2, 3, 11, 3, "f64", batch=None, stride=2, padding=1, dilation=2),
        case("conv1d_asym_g2_nobias_f32", 1, 4, 6, 8, 4, "f32", groups=2, padding=[(2, 1)], bias=False),
        case("conv1d_depthwise_f64", 1, 3, 6, 10, 3, "f64", batch=1, groups=3, stride=1, padding=1),
        case("conv1d_reflect_s2_f32", 1, 2, 3, 7, 3, "f32", stride=2, padding=2, mode="reflect"),
        case("conv1d_replicate_asym_unbatched_f64", 1, 2, 2, 6, 4, "f64", batch=None, padding=[(3, 1)],
             mode="replicate", bias=False),
        case("conv1d_circular_d2_f32", 1, 2, 3, 6, 3, "f32", padding=2, dilation=2, mode="circular"),
        case("conv1d_same_even_k_f64", 1, 2, 3, 7, 4, "f64", padding="same"),
        case("conv1d_same_d3_f32", 1, 3, 2, 8, 3, "f32", padding="same", dilation=3, bias=False),
        case("conv1d_valid_s3_f32", 1, 2, 2, 10, 2, "f32", stride=3, padding="valid"),
        # ---- conv 2-D
        case("conv2d_axes_f64", 2, 2, 3, (7, 8), (3, 2), "f64", stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
        case("conv2d_asym_unbatched_nobias_f32", 2, 2, 3, (5, 6), (2, 3), "f32", batch=None, stride=(1, 2),
             padding=[(0, 2), (1, 0)], bias=False),
        case("conv2d_asym_broadcast_f64", 2, 2, 2, (4, 5), 2, "f64", padding=pair((0, 1))),
        case("conv2d_groups3_f32", 2, 6, 9, (6, 5), (3, 2), "f32", groups=3, stride=2, padding=(1, 1)),
        case("conv2d_depthwise_unbatched_nobias_f64", 2, 4, 4, (5, 5), 3, "f64", batch=None, groups=4, padding=1,
             bias=False),
        case("conv2d_depthwise_mult2_d2_f32", 2, 3, 6, (7, 6), 3, "f32", groups=3, dilation=2, padding=2),
        case("conv2d_reflect_f64", 2, 2, 3, (5, 6), 3, "f64", padding=(1, 2), mode="reflect"),
        case("conv2d_reflect_asym_f32", 2, 2, 2, (5, 6), 3, "f32", padding=[(2, 0), (1, 3)], mode="reflect"),
        case("conv2d_replicate_g2_s2_f32", 2, 4, 2, (6, 5), 3, "f32", groups=2, stride=2, padding=2,
             mode="replicate"),
        case("conv2d_circular_d21_unbatched_f64", 2, 2, 3, (5, 4), 3, "f64", batch=None, padding=(2, 1),
             dilation=(2, 1), mode="circular"),
        case("conv2d_circular_asym_f32", 2, 2, 2, (4, 5), (3, 2), "f32", padding=[(0, 3), (2, 1)], mode="circular",
             bias=False),
        case("conv2d_same_k43_d12_f64", 2, 2, 3, (5, 6), (4, 3), "f64", padding="same", dilation=(1, 2)),
        case("conv2d_same_reflect_f32", 2, 2, 2, (5, 6), (3, 4), "f32", padding="same", mode="reflect"),
        case("conv2d_valid_s32_f64", 2, 2, 3, (8, 7), (2, 3), "f64", padding="valid", stride=(3, 2), bias=False),
        case("conv2d_k1_s2_nobias_f32", 2, 3, 4, (5, 6), 1, "f32", stride=2, bias=False),
        case("conv2d_pad_beyond_kernel_f64", 2, 2, 2, (3, 4), 2, "f64", padding=3, stride=(1, 2)),
        case("conv2d_kernel_is_input_f32", 2, 3, 2, (4, 3), (4, 3), "f32"),
        # ---- conv 3-D
        case("conv3d_axes_g2_unbatched_f64", 3, 4, 2, (4, 5, 4), (2, 3, 2), "f64", batch=None, groups=2,
             stride=(1, 2, 2), padding=(1, 0, 1), dilation=(2, 1, 1)),
        case("conv3d_asym_f32", 3, 2, 2, (4, 3, 4), 2, "f32", padding=[(1, 0), (0, 2), (1, 1)], stride=(2, 1, 1)),
        case("conv3d_reflect_f64", 3, 2, 2, (3, 4, 4), 3, "f64", padding=1, mode="reflect"),
        case("conv3d_replicate_asym_f32", 3, 2, 3, (3, 3, 4), 2, "f32", padding=[(2, 0), (0, 1), (1, 2)],
             mode="replicate", bias=False),
        case("conv3d_circular_f64", 3, 2, 2, (3, 4, 3), (2, 3, 2), "f64", padding=(1, 2, 0), mode="circular"),
        case("conv3d_same_f32", 3, 2, 2, (4, 4, 5), (2, 3, 3), "f32", padding="same", dilation=(1, 1, 2)),
        case("conv3d_depthwise_nobias_f32", 3, 3, 3, (4, 4, 4), 3, "f32", batch=1, groups=3, padding=1,
             stride=2, bias=False),
        # ---- transposed 1-D
        case("convT1d_s2_p1_op1_unbatched_f64", 1, 2, 3, 5, 3, "f64", transposed=True, batch=None, stride=2,
             padding=1, output_padding=1),
        case("convT1d_d2_op1_f32", 1, 2, 3, 6, 3, "f32", transposed=True, dilation=2, padding=2, output_padding=1),
        case("convT1d_g2_s3_op2_f64", 1, 4, 6, 4, 2, "f64", transposed=True, groups=2, stride=3, padding=1,
             output_padding=2, bias=False),
        case("convT1d_depthwise_s2_f32", 1, 3, 3, 5, 4, "f32", transposed=True, groups=3, stride=2),
        case("convT1d_pad_crops_f64", 1, 2, 2, 4, 5, "f64", transposed=True, padding=3),
        # ---- transposed 2-D
        case("convT2d_axes_unbatched_f64", 2, 2, 3, (4, 3), (3, 2), "f64", transposed=True, batch=None,
             stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2)),
        case("convT2d_g2_s2_d2_op1_f32", 2, 4, 6, (3, 4), 3, "f32", transposed=True, groups=2, stride=2, dilation=2,
             output_padding=1, padding=1),
        case("convT2d_depthwise_mult2_nobias_f64", 2, 4, 8, (4, 4), 3, "f64", transposed=True, groups=4, padding=1,
             bias=False),
        case("convT2d_k1_s2_op1_f32", 2, 2, 3, (3, 4), 1, "f32", transposed=True, stride=2, output_padding=1),
        # ---- transposed, asymmetric padding (convnd extension; PyTorch output cropped)
        case("convT1d_asym_s2_op1_f64", 1, 2, 3, 5, 4, "f64", transposed=True, stride=2, padding=[(2, 0)],
             output_padding=1),
        case("convT2d_asym_g2_d2_f32", 2, 4, 2, (3, 4), (3, 2), "f32", transposed=True, groups=2, stride=(2, 1),
             dilation=(1, 2), padding=[(0, 2), (1, 0)]),
        case("convT3d_asym_unbatched_f64", 3, 2, 2, (2, 3, 2), 2, "f64", transposed=True, batch=None, stride=2,
             padding=[(1, 0), (0, 1), (1, 1)], output_padding=(1, 0, 1)),
        # ---- transposed 3-D
        case("convT3d_axes_g2_unbatched_f64", 3, 4, 2, (3, 3, 2), (2, 3, 2), "f64", transposed=True, batch=None,
             groups=2, stride=(1, 2, 2), padding=(0, 1, 1), dilation=(2, 1, 1), output_padding=(1, 1, 0)),
        case("convT3d_axes_nobias_f32", 3, 2, 3, (2, 3, 3), (3, 2, 2), "f32", transposed=True, stride=(2, 1, 3),
             padding=(1, 1, 0), output_padding=(1, 0, 2), bias=False),
    ]
    return L


def random_case(rng, name):
    """One random valid geometry (for --holdout)."""
    while True:
        d = rng.choice([1, 1, 2, 2, 2, 3])
        transposed = rng.random() < 0.4
        dt = rng.choice(["f32", "f64"])
        groups = rng.choice([1, 1, 2, 3])
        cin = groups * rng.randint(1, 2)
        cout = groups * rng.randint(1, 2)
        maxi = {1: 12, 2: 7, 3: 4}[d]
        insz = tuple(rng.randint(1, maxi) for _ in range(d))
        k = tuple(rng.randint(1, 4 if d < 3 else 3) for _ in range(d))

        def axis_list(lo, hi):
            if rng.random() < 0.35:
                return None
            if rng.random() < 0.5:
                return rng.randint(lo, hi)
            return tuple(rng.randint(lo, hi) for _ in range(d))

        stride, dilation = axis_list(1, 3), axis_list(1, 2)
        mode, op = None, None
        r = rng.random()
        if transposed:
            padding = axis_list(0, 2)
            s_ = per_axis(stride, d, 1)
            d_ = per_axis(dilation, d, 1)
            if rng.random() < 0.5:
                op = tuple(rng.randint(0, max(s_[a], d_[a]) - 1) for a in range(d))
        elif r < 0.15 and stride is None:
            padding = "same"
        elif r < 0.25:
            padding = "valid"
        elif r < 0.5:
            padding = [(rng.randint(0, 3), rng.randint(0, 3)) for _ in range(d)]
        else:
            padding = axis_list(0, 3)
        if not transposed and rng.random() < 0.4:
            mode = rng.choice(["zeros", "reflect", "replicate", "circular"])
        c = case(name + "_" + dt, d, cin, cout, insz, k, dt, transposed=transposed,
                 batch=rng.choice([None, 1, 2, 3]), groups=groups if groups > 1 or rng.random() < 0.3 else None,
                 stride=stride, padding=padding, dilation=dilation, output_padding=op, mode=mode,
                 bias=rng.random() < 0.6)
        if out_sizes(c) is not None:
            return c


def clean_dir(out):
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith(".npy") or f == "manifest.txt":
            os.remove(os.path.join(out, f))


def write_cases(out, cases, header, base_seed):
    clean_dir(out)
    lines = list(header)
    names = set()
    for c in cases:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        assert out_sizes(c) is not None, "invalid geometry: " + c["name"]
        seed = (base_seed + zlib.crc32(c["name"].encode())) & 0x7FFFFFFF
        arrays = compute(c, seed)
        for suffix, a in sorted(arrays.items()):
            np.save(os.path.join(out, "%s.%s.npy" % (c["name"], suffix)), a, allow_pickle=False)
        lines.append("# " + torch_call(c) + ("" if c["batch"] is not None else "  [batch 1, squeezed]"))
        lines.append(("%s %s" % (c["name"], manifest_options(c))).rstrip())
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print("%s: %d cases, %d bytes" % (out, len(cases), total))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", nargs="?", help="output directory for the fixed test set")
    ap.add_argument("--holdout", metavar="DIR", help="write random-geometry cases to DIR instead")
    ap.add_argument("--seed", type=int, help="seed for --holdout (default: from the clock)")
    ap.add_argument("--count", type=int, default=8, help="number of --holdout cases (default 8)")
    args = ap.parse_args()
    if (args.outdir is None) == (args.holdout is None):
        ap.error("give either OUTDIR or --holdout DIR")

    torch.set_num_threads(1)
    # padding='same' with an even kernel: PyTorch warns that it copies the input; expected.
    warnings.filterwarnings("ignore", message="Using padding='same'")
    common = [
        "# convnd golden data, computed by PyTorch %s (numpy %s) on the CPU with autograd." % (
            torch.__version__, np.__version__),
        "# Each case: <name> <convnd GEOMETRY options>; the comment above a case is the PyTorch call.",
        "# Files: <name>.{input,weight,[bias],grad_output}.npy in, "
        "<name>.{output,grad_input,grad_weight,grad_bias}.npy expected.",
    ]
    if args.holdout:
        seed = args.seed if args.seed is not None else int(time.time_ns() % 1000000007)
        rng = random.Random(seed)
        cases = [random_case(rng, "holdout%02d" % i) for i in range(args.count)]
        header = common + ["# HOLDOUT set (random geometry), made by: %s tests/golden/make_golden.py "
                           "--holdout %s --seed %d --count %d" % (sys.executable, args.holdout, seed, args.count)]
        write_cases(args.holdout, cases, header, seed)
        print("seed %d" % seed)
    else:
        header = common + ["# Made by: /usr/bin/python3 tests/golden/make_golden.py tests/data/golden "
                           "(make golden); deterministic, fixed seeds."]
        write_cases(args.outdir, golden_cases(), header, 20240601)


if __name__ == "__main__":
    main()
