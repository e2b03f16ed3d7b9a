#!/usr/bin/env python3
"""cli_tool.py -- drives the convnd command-line tool (Python standard library only).

    python3 tests/cli_tool.py PATH/TO/convnd TESTS_DATA_DIR

Covers: --help of every command; every malformed-file, shape, geometry and usage error (non-zero
exit, exactly one stderr line "convnd: ..." naming the problem, and atomic outputs: an existing
output file is left byte-identical, a new one is not created, no temporary file is left); a
backward whose last output cannot be created creates none of the others; forward and backward
results against an independent pure-Python reference; unbatched in -> unbatched out; and
`convnd demo`. Prints a summary and exits 1 on any failure.
"""

import ast
import itertools
import math
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

CONVND = None
FAILURES = []
CHECKS = 0


def check(cond, what, detail=""):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILURES.append(what + (": " + detail if detail else ""))
        print("FAIL " + what + (": " + detail if detail else ""))
    return cond


def run(*args):
    return subprocess.run([CONVND] + [str(a) for a in args], capture_output=True, text=True, timeout=120)


# ---- .npy files, written and read by hand --------------------------------------------------

def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def npy_bytes(shape, values, descr="<f4", fortran=False, version=(1, 0), header=None):
    """A .npy file; `header` replaces the dict text (for malformed headers)."""
    if header is None:
        shape_text = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape_text)
    h = header.encode("latin-1")
    len_size = 2 if version[0] == 1 else 4
    pad = (-(6 + 2 + len_size + len(h) + 1)) % 64
    h = h + b" " * pad + b"\n"
    pre = b"\x93NUMPY" + bytes(version) + (struct.pack("<H", len(h)) if len_size == 2 else struct.pack("<I", len(h)))
    code = {"<f4": "<%df", "<f8": "<%dd"}.get(descr)
    data = struct.pack(code % len(values), *values) if code else b"\0" * (4 * len(values))
    return pre + h + data


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def write_npy(path, shape, values, descr="<f4", **kw):
    assert len(values) == prod(shape)
    return write_file(path, npy_bytes(shape, values, descr, **kw))


def read_npy(path):
    """(descr, shape, values) of a file the tool wrote; checks the layout it promises."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:8] == b"\x93NUMPY\x01\x00", "magic/version 1.0"
    hlen = struct.unpack("<H", raw[8:10])[0]
    assert (10 + hlen) % 64 == 0, "data not 64-byte aligned"
    text = raw[10:10 + hlen].decode("latin-1")
    assert text.endswith("\n"), "header not newline-terminated"
    d = ast.literal_eval(text)
    assert set(d) == {"descr", "fortran_order", "shape"} and d["fortran_order"] is False
    n = prod(d["shape"])
    size = {"<f4": 4, "<f8": 8}[d["descr"]]
    body = raw[10 + hlen:]
    assert len(body) == n * size, "data size"
    values = list(struct.unpack("<%d%s" % (n, "f" if size == 4 else "d"), body))
    return d["descr"], tuple(d["shape"]), values


def values(n, seed):
    """Deterministic values in [-1, 1), exactly representable in float32 (multiples of 2^-10)."""
    out, s = [], seed
    for _ in range(n):
        s = (s * 1103515245 + 12345) % (1 << 31)
        out.append(((s >> 8) % 2048 - 1024) / 1024.0)
    return out


# ---- a pure-Python reference ----------------------------------------------------------------

def flat_index(shape, idx):
    i = 0
    for s, j in zip(shape, idx):
        i = i * s + j
    return i


def source_index(i, size, mode):
    """Where a conv reads input position i (possibly outside 0..size-1); None: a zero."""
    if 0 <= i < size:
        return i
    if mode == "zeros":
        return None
    if mode == "reflect":
        return -i if i < 0 else 2 * (size - 1) - i
    if mode == "replicate":
        return min(max(i, 0), size - 1)
    return i % size  # circular


def conv_ref(x, xs, w, ws, b, stride, pad_lo, pad_hi, dil, groups, mode="zeros"):
    """Conv forward, batched shapes: x (N, C_in, I...), w (C_out, C_in/G, K...)."""
    n_, cin = xs[0], xs[1]
    sp, kk = xs[2:], ws[2:]
    cout, cg = ws[0], ws[1]
    d = len(sp)
    out_sp = [(sp[a] + pad_lo[a] + pad_hi[a] - dil[a] * (kk[a] - 1) - 1) // stride[a] + 1 for a in range(d)]
    ys = (n_, cout) + tuple(out_sp)
    y = [0.0] * prod(ys)
    per_group = cout // groups
    for n in range(n_):
        for o in range(cout):
            grp = o // per_group
            for p in itertools.product(*[range(s) for s in out_sp]):
                acc = 0.0
                for cc in range(cg):
                    c = grp * cg + cc
                    for k in itertools.product(*[range(s) for s in kk]):
                        src = [source_index(p[a] * stride[a] + k[a] * dil[a] - pad_lo[a], sp[a], mode)
                               for a in range(d)]
                        if None in src:
                            continue
                        acc += x[flat_index(xs, (n, c) + tuple(src))] * w[flat_index(ws, (o, cc) + k)]
                y[flat_index(ys, (n, o) + p)] = acc + (b[o] if b else 0.0)
    return ys, y


def scatter_ref(x, xs, w, ws, out_sp, stride, pad_lo, dil, groups):
    """Transposed conv forward (and so conv's input derivative): x (N, C, I...), w (C, C_out/G,
    K...); y[n, g*C_out/G + o', i*S + k*D - P_lo] += x[n, c, i] * w[c, o', k] where in range."""
    n_, cin = xs[0], xs[1]
    sp, kk = xs[2:], ws[2:]
    og = ws[1]
    d = len(sp)
    ys = (n_, og * groups) + tuple(out_sp)
    y = [0.0] * prod(ys)
    per_group = cin // groups
    for n in range(n_):
        for c in range(cin):
            grp = c // per_group
            for i in itertools.product(*[range(s) for s in sp]):
                xv = x[flat_index(xs, (n, c) + i)]
                for oo in range(og):
                    for k in itertools.product(*[range(s) for s in kk]):
                        q = tuple(i[a] * stride[a] + k[a] * dil[a] - pad_lo[a] for a in range(d))
                        if all(0 <= q[a] < out_sp[a] for a in range(d)):
                            y[flat_index(ys, (n, grp * og + oo) + q)] += xv * w[flat_index(ws, (c, oo) + k)]
    return ys, y


def conv_weight_grad_ref(x, xs, g, gs, ws, stride, pad_lo, dil, groups):
    """dW[o, c', k] = sum_n sum_p x[n, c, p*S + k*D - P_lo] * g[n, o, p]."""
    sp, kk, out_sp = xs[2:], ws[2:], gs[2:]
    cout, cg = ws[0], ws[1]
    d = len(sp)
    dw = [0.0] * prod(ws)
    for o in range(cout):
        grp = o // (cout // groups)
        for cc in range(cg):
            for k in itertools.product(*[range(s) for s in kk]):
                acc = 0.0
                for n in range(xs[0]):
                    for p in itertools.product(*[range(s) for s in out_sp]):
                        src = tuple(p[a] * stride[a] + k[a] * dil[a] - pad_lo[a] for a in range(d))
                        if all(0 <= src[a] < sp[a] for a in range(d)):
                            acc += x[flat_index(xs, (n, grp * cg + cc) + src)] * g[flat_index(gs, (n, o) + p)]
                dw[flat_index(ws, (o, cc) + k)] = acc
    return dw


def rel_err(got, ref):
    num = math.sqrt(sum((a - b) ** 2 for a, b in zip(got, ref)))
    den = math.sqrt(sum(b * b for b in ref))
    return num / max(den, 1e-300)


def to_f32(vs):
    return list(struct.unpack("<%df" % len(vs), struct.pack("<%df" % len(vs), *vs)))


# ---- error cases ----------------------------------------------------------------------------

class Workspace:
    def __init__(self, root):
        self.root = root
        self.out = os.path.join(root, "out")
        os.mkdir(self.out)
        self.sentinel = b"pre-existing output, must survive\n"

    def path(self, name):
        return os.path.join(self.root, name)

    def prepare_outputs(self, names):
        """Output paths for one run: the first pre-exists (with sentinel bytes), the rest do not."""
        for f in os.listdir(self.out):
            os.remove(os.path.join(self.out, f))
        paths = [os.path.join(self.out, n) for n in names]
        write_file(paths[0], self.sentinel)
        return paths

    def check_untouched(self, name, paths, extra_dirs=()):
        with open(paths[0], "rb") as f:
            check(f.read() == self.sentinel, name + ": existing output unchanged")
        for p in paths[1:]:
            check(not os.path.exists(p), name + ": no new output created", p)
        for d in (self.out, self.root) + tuple(extra_dirs):
            temps = [f for f in os.listdir(d) if f.startswith(".")]
            check(not temps, name + ": no temporary file left in " + d, str(temps))


def check_one_error_line(name, r, keywords, code=None):
    lines = r.stderr.splitlines()
    ok = check(r.returncode != 0, name + ": non-zero exit", "exit 0, stderr %r" % r.stderr)
    if code is not None and ok:
        check(r.returncode == code, name + ": exit code %d" % code, "got %d: %r" % (r.returncode, r.stderr))
    if not check(len(lines) == 1, name + ": exactly one stderr line", repr(r.stderr)):
        return
    check(lines[0].startswith("convnd: "), name + ": stderr starts with 'convnd: '", lines[0])
    if isinstance(keywords, str):
        keywords = (keywords,)
    check(any(k.lower() in lines[0].lower() for k in keywords),
          name + ": message names the problem (%s)" % " / ".join(keywords), lines[0])
    check(r.stdout == "", name + ": nothing on stdout", repr(r.stdout))


def expect_error(ws, name, cmd, files, geometry, keywords, code=None):
    """Runs `cmd` with the input files of `files` (option -> path) and fresh output paths,
    twice for forward (output pre-existing, then new) and once for backward (first output
    pre-existing, the other two new), and checks the error and the atomicity."""
    # prepare_outputs makes the first name pre-exist: forward runs with its output existing,
    # then with a new one ("keep.npy" only occupies the first place).
    runs = [["y.npy"], ["keep.npy", "y.npy"]] if cmd == "forward" else [["gx.npy", "gw.npy", "gb.npy"]]
    for names in runs:
        paths = ws.prepare_outputs(names)
        if cmd == "forward":
            outs = ["--output", paths[-1]]
        else:
            outs = [a for pair in zip(["--grad-input", "--grad-weight", "--grad-bias"], paths) for a in pair]
        args = [cmd]
        for opt, p in files.items():
            args += [opt, p]
        r = run(*(args + outs + list(geometry)))
        check_one_error_line(name, r, keywords, code)
        ws.check_untouched(name, paths)


def standard_inputs(ws):
    """Valid float32 files: x (2,3,5,5), w (4,3,3,3), b (4,), g (2,4,3,3) (stride 1, no padding)."""
    f = {}
    f["x"] = write_npy(ws.path("x.npy"), (2, 3, 5, 5), values(150, 1))
    f["w"] = write_npy(ws.path("w.npy"), (4, 3, 3, 3), values(108, 2))
    f["b"] = write_npy(ws.path("b.npy"), (4,), values(4, 3))
    f["g"] = write_npy(ws.path("g.npy"), (2, 4, 3, 3), values(72, 4))
    f["x64"] = write_npy(ws.path("x64.npy"), (2, 3, 5, 5), values(150, 1), "<f8")
    return f


def malformed_files(ws):
    """(name, bytes, keywords) of files the reader must refuse."""
    good = npy_bytes((2, 3, 5, 5), values(150, 1))
    return [
        ("bad magic", b"\x93NUMPX" + good[6:], "magic"),
        ("not npy at all", b"hello, world\n", "magic"),
        ("empty file", b"", ("empty", "magic")),
        ("truncated header", good[:40], "truncated"),
        ("truncated before header length", good[:7], "truncated"),
        ("truncated data", good[:-4], "truncated"),
        ("trailing bytes", good + b"\0\0\0\0", "4 trailing bytes"),
        ("big-endian >f4", npy_bytes((2, 3, 5, 5), values(150, 1), descr=">f4"), "big-endian"),
        ("big-endian >f8", npy_bytes((2, 3, 5, 5), values(150, 1), descr=">f8"), "big-endian"),
        ("int32 <i4", npy_bytes((2, 3, 5, 5), values(150, 1), descr="<i4"), "<i4"),
        ("bool |b1", npy_bytes((2, 3, 5, 5), values(150, 1), descr="|b1"), "|b1"),
        ("float16 <f2", npy_bytes((2, 3, 5, 5), values(150, 1), descr="<f2"), "<f2"),
        ("uint8 |u1", npy_bytes((2, 3, 5, 5), values(150, 1), descr="|u1"), "|u1"),
        ("fortran_order True", npy_bytes((2, 3, 5, 5), values(150, 1), fortran=True), "fortran"),
        ("version 4.0", npy_bytes((2, 3, 5, 5), values(150, 1), version=(4, 0)), "version"),
        ("header not a dict", npy_bytes((), [], header="['descr', '<f4']"), "header"),
        ("header unknown key",
         npy_bytes((), [], header="{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"), "key"),
        ("header missing shape", npy_bytes((), [], header="{'descr': '<f4', 'fortran_order': False}"), "shape"),
        ("header duplicate key",
         npy_bytes((), [], header="{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"),
         "twice"),
        ("shape (3) is not a tuple",
         npy_bytes((3,), [0.0] * 3, header="{'descr': '<f4', 'fortran_order': False, 'shape': (3)}"), "tuple"),
        ("negative shape",
         npy_bytes((), [], header="{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3)}"), "negative"),
        ("shape overflows",
         npy_bytes((), [], header="{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 8)}"),
         "overflow"),
        ("shape beyond int64",
         npy_bytes((), [], header="{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
         "64-bit"),
        ("huge shape, small file",
         npy_bytes((), [], header="{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,)}"),
         "truncated"),
        ("11 axes", npy_bytes((1,) * 11, [0.0]), "axes"),
    ]


def test_malformed_files(ws, f):
    for i, (name, data, kw) in enumerate(malformed_files(ws)):
        bad = write_file(ws.path("bad%d.npy" % i), data)
        # Alternate the role of the bad file so every input option goes through the reader.
        role = ["--input", "--weight", "--bias", "--grad-output"][i % 4]
        cmd = "backward" if role == "--grad-output" else "forward"
        files = {"--input": f["x"], "--weight": f["w"]}
        if cmd == "forward":
            files["--bias"] = f["b"]
        else:
            files["--grad-output"] = f["g"]
        files[role] = bad
        expect_error(ws, "file: " + name + " as " + role, cmd, files, [], kw, code=1)
        r = run("forward", "--input", bad, "--weight", f["w"], "--output", ws.path("unused.npy"))
        check(bad in r.stderr, "file: %s: the message names the file" % name, r.stderr)

    # Through a pipe the reader cannot measure the file first and must find a short or long
    # body while reading.
    good = npy_bytes((2, 3, 5, 5), values(150, 1))
    y = ws.path("piped_y.npy")
    for name, data, kw in [("truncated data", good[:-4], "truncated"), ("trailing bytes", good + b"\0", "trailing")]:
        r = subprocess.run([CONVND, "forward", "--input", "/dev/stdin", "--weight", f["w"], "--output", y],
                           input=data, capture_output=True, timeout=120)
        r.stderr, r.stdout = r.stderr.decode(), r.stdout.decode()
        check_one_error_line("file through a pipe: " + name, r, kw, code=1)
        check(not os.path.exists(y), "file through a pipe: %s: no output" % name)
    r = subprocess.run([CONVND, "forward", "--input", "/dev/stdin", "--weight", f["w"], "--output", y],
                       input=good, capture_output=True, timeout=120)
    check(r.returncode == 0 and os.path.exists(y), "file through a pipe: a good file is read", r.stderr)


def test_shape_errors(ws, f):
    P = ws.path
    fw = {"--input": f["x"], "--weight": f["w"]}
    expect_error(ws, "mixed dtypes (input f64, weight f32)", "forward", {"--input": f["x64"], "--weight": f["w"]}, [],
                 ("dtype", "float"), code=1)
    b5 = write_npy(P("b5.npy"), (5,), values(5, 9))
    expect_error(ws, "wrong bias shape", "forward", dict(fw, **{"--bias": b5}), [], ("bias", "shape"), code=1)
    b2d = write_npy(P("b2d.npy"), (4, 1), values(4, 9))
    expect_error(ws, "bias with 2 axes", "forward", dict(fw, **{"--bias": b2d}), [], "shape", code=1)
    g_bad = write_npy(P("g_bad.npy"), (2, 4, 3, 4), values(96, 9))
    expect_error(ws, "wrong grad-output shape", "backward", dict(fw, **{"--grad-output": g_bad}), [], "shape", code=1)
    g_unb = write_npy(P("g_unb.npy"), (4, 3, 3), values(36, 9))
    expect_error(ws, "unbatched grad-output for a batched input", "backward", dict(fw, **{"--grad-output": g_unb}),
                 [], "shape", code=1)
    w2 = write_npy(P("w_rank2.npy"), (4, 3), values(12, 9))
    expect_error(ws, "weight rank 2 (d = 0)", "forward", {"--input": f["x"], "--weight": w2}, [], "axes", code=1)
    w11 = write_npy(P("w_rank11.npy"), (1,) * 11, [0.5])
    expect_error(ws, "weight rank 11", "forward", {"--input": f["x"], "--weight": w11}, [], "axes", code=1)
    x5 = write_npy(P("x_rank5.npy"), (1, 2, 3, 5, 5), values(150, 9))
    expect_error(ws, "input rank d+3", "forward", {"--input": x5, "--weight": f["w"]}, [], "axes", code=1)
    x2 = write_npy(P("x_rank2.npy"), (3, 5), values(15, 9))
    expect_error(ws, "input rank d", "forward", {"--input": x2, "--weight": f["w"]}, [], "axes", code=1)
    x4c = write_npy(P("x_4ch.npy"), (2, 4, 5, 5), values(200, 9))
    expect_error(ws, "channel mismatch (conv)", "forward", {"--input": x4c, "--weight": f["w"]}, [], "channel",
                 code=1)
    expect_error(ws, "channel mismatch (transposed)", "forward", {"--input": f["x"], "--weight": f["w"]},
                 ["--transposed"], "channel", code=1)
    x0 = write_npy(P("x_batch0.npy"), (0, 3, 5, 5), [])
    expect_error(ws, "batch of 0 samples", "forward", {"--input": x0, "--weight": f["w"]}, [], "size 0", code=1)
    expect_error(ws, "missing input file", "forward", {"--input": P("nope.npy"), "--weight": f["w"]}, [],
                 ("no such file", "cannot open"), code=1)
    expect_error(ws, "directory as input file", "forward", {"--input": ws.out, "--weight": f["w"]}, [],
                 ("directory", "cannot read"), code=1)


def test_geometry_errors(ws, f):
    P = ws.path
    fw = {"--input": f["x"], "--weight": f["w"]}
    x2 = write_npy(P("x_2x2.npy"), (1, 3, 2, 2), values(12, 5))
    x3 = write_npy(P("x_3x3.npy"), (1, 3, 3, 3), values(27, 5))
    w2g = write_npy(P("w_g.npy"), (4, 1, 3, 3), values(36, 6))
    wt = write_npy(P("wt.npy"), (3, 2, 3, 3), values(54, 7))
    cases = [
        ("stride 0", fw, ["--stride", "0"], "stride"),
        ("stride 0 on one axis", fw, ["--stride", "1,0"], "stride"),
        ("dilation 0", fw, ["--dilation", "0"], "dilation"),
        ("kernel larger than padded input", {"--input": x2, "--weight": f["w"]}, [], "kernel"),
        ("dilated kernel larger than input", fw, ["--dilation", "3"], "kernel"),
        ("groups not dividing C_in", fw, ["--groups", "2"], "divide"),
        ("groups not dividing C_out", {"--input": x3, "--weight": w2g}, ["--groups", "3"], "divide"),
        ("output_padding too large", {"--input": f["x"], "--weight": wt},
         ["--transposed", "--stride", "2", "--output-padding", "2"], ("output_padding", "output padding", "OP")),
        ("output_padding on a conv", fw, ["--output-padding", "1"], "output-padding"),
        ("reflect padding >= input", {"--input": x3, "--weight": f["w"]},
         ["--padding", "3", "--padding-mode", "reflect"], "reflect"),
        ("circular padding > input", {"--input": x3, "--weight": f["w"]},
         ["--padding", "4", "--padding-mode", "circular"], "circular"),
        ("padding-mode on --transposed", {"--input": f["x"], "--weight": wt},
         ["--transposed", "--padding-mode", "replicate"], ("padding-mode", "padding mode")),
        ("padding same with stride 2", fw, ["--padding", "same", "--stride", "2"], ("same", "stride")),
        ("padding same on --transposed", {"--input": f["x"], "--weight": wt}, ["--transposed", "--padding", "same"],
         ("same", "transposed")),
        ("stride list of 3 for d=2", fw, ["--stride", "1,1,1"], ("--stride", "3 items")),
        ("padding list of 3 for d=2", fw, ["--padding", "1,1,1"], ("--padding", "3 items")),
        ("dilation list of 3 for d=2", fw, ["--dilation", "1,2,1"], ("--dilation", "3 items")),
        ("transposed output < 1", {"--input": write_npy(P("x_1.npy"), (1, 3, 1, 1), values(3, 5)), "--weight": wt},
         ["--transposed", "--padding", "2"], ("output", "size")),
    ]
    for name, files, geometry, kw in cases:
        expect_error(ws, "geometry: " + name, "forward", files, geometry, kw, code=1)
    # The same refusal on the backward path, which shares the code.
    expect_error(ws, "geometry: stride 0 (backward)", "backward", dict(fw, **{"--grad-output": f["g"]}),
                 ["--stride", "0"], "stride", code=1)


def test_usage_errors(ws, f):
    P = ws.path
    fw = {"--input": f["x"], "--weight": f["w"]}
    bad_values = [
        ("--stride", "2x"), ("--stride", ""), ("--stride", "1,,2"), ("--stride", "-1"), ("--stride", ","),
        ("--stride", "99999999999999999999"), ("--padding", "1:2:3"), ("--padding", "1:"), ("--padding", "-1"),
        ("--padding", "sames"), ("--dilation", "1.5"), ("--dilation", "1,2,3,4,5,6,7,8,9"),
        ("--output-padding", "x"), ("--groups", "0"), ("--groups", "1,2"), ("--groups", "-2"),
        ("--padding-mode", "mirror"), ("--engine", "fast"), ("--stride", " 1"), ("--stride", "1:1"),
    ]
    for opt, text in bad_values:
        name = "usage: %s %r" % (opt, text)
        expect_error(ws, name, "forward", fw, [opt + "=" + text], opt, code=2)
    cases = [
        ("unknown option", ["--strides", "2"], "unknown option"),
        ("missing value at the end", ["--stride"], "needs a value"),
        ("missing value before an option", ["--stride", "--dilation", "1"], "needs a value"),
        ("duplicate option", ["--stride", "1", "--stride", "1"], "twice"),
        ("duplicate option, = form", ["--padding=1", "--padding", "1"], "twice"),
        ("duplicate flag", ["--transposed", "--transposed"], "twice"),
        ("value for a flag", ["--transposed=1"], "takes no value"),
        ("stray argument", ["stray"], "unexpected argument"),
        ("empty file name", ["--bias="], "empty"),
        ("backward-only option on forward", ["--grad-output", f["g"]], "not an option"),
    ]
    for name, extra, kw in cases:
        expect_error(ws, "usage: " + name, "forward", fw, extra, kw, code=2)
    expect_error(ws, "usage: duplicate --output", "forward", fw, ["--output=" + P("o.npy")], "twice", code=2)
    expect_error(ws, "usage: output = input", "forward", fw, ["--bias", os.path.join(ws.out, "y.npy")],
                 "same file", code=2)

    # Cases that need their own output options.
    def plain(name, args, kw, paths=()):
        r = run(*args)
        check_one_error_line("usage: " + name, r, kw, code=2)
        for p in paths:
            check(not os.path.exists(p), "usage: %s: %s not created" % (name, p))

    y = os.path.join(ws.out, "fresh.npy")
    plain("no command", [], "no command")
    plain("unknown command", ["fwd"], "unknown command")
    plain("forward without --output", ["forward", "--input", f["x"], "--weight", f["w"]], "--output")
    plain("forward without --weight", ["forward", "--input", f["x"], "--output", y], "--weight", [y])
    plain("backward without --grad-output",
          ["backward", "--input", f["x"], "--weight", f["w"], "--grad-input", y], "--grad-output", [y])
    plain("backward without any gradient output",
          ["backward", "--input", f["x"], "--weight", f["w"], "--grad-output", f["g"]], "at least one")
    plain("forward-only option on backward",
          ["backward", "--input", f["x"], "--weight", f["w"], "--grad-output", f["g"], "--output", y],
          "not an option", [y])
    plain("two outputs on one path",
          ["backward", "--input", f["x"], "--weight", f["w"], "--grad-output", f["g"], "--grad-input", y,
           "--grad-weight", y], "same file", [y])
    plain("two outputs on one path, spelled differently",
          ["backward", "--input", f["x"], "--weight", f["w"], "--grad-output", f["g"], "--grad-input", y,
           "--grad-bias", os.path.join(ws.out, ".", "..", "out", "fresh.npy")], "same file", [y])
    plain("output = input path", ["forward", "--input", f["x"], "--weight", f["w"], "--output", f["x"]],
          "same file")
    plain("demo with an argument", ["demo", "--fast"], "demo")
    # output = input must not have changed the input
    check(read_npy(f["x"])[2] == values(150, 1), "usage: output = input: the input file is unchanged")


def test_output_path_errors(ws, f):
    P = ws.path
    fw = {"--input": f["x"], "--weight": f["w"]}
    # An existing directory as the output path.
    d = os.path.join(ws.root, "outdir")
    os.mkdir(d)
    r = run("forward", "--input", f["x"], "--weight", f["w"], "--output", d)
    check_one_error_line("output: a directory", r, "directory", code=1)
    check(os.path.isdir(d) and not os.listdir(d), "output: the directory is unchanged and empty")
    r = run("forward", "--input", f["x"], "--weight", f["w"], "--output", d + "/")
    check_one_error_line("output: a path ending in '/'", r, "directory", code=1)
    # An output in a directory that does not exist: found only when writing.
    missing = os.path.join(ws.root, "no-such-dir", "y.npy")
    r = run("forward", "--input", f["x"], "--weight", f["w"], "--output", missing)
    check_one_error_line("output: in a missing directory", r, ("directory", "cannot create"), code=1)
    check(not os.path.exists(os.path.dirname(missing)), "output: the missing directory is not created")
    # An output under a regular file (ENOTDIR).
    r = run("forward", "--input", f["x"], "--weight", f["w"], "--output", os.path.join(f["b"], "y.npy"))
    check_one_error_line("output: under a regular file", r, ("directory", "cannot create"), code=1)

    # Backward with three outputs, one of them impossible: none of the others may appear, and an
    # existing one keeps its bytes. The bad path goes last (the others' temporaries exist by
    # then and must be removed) and first.
    gfiles = ["--input", f["x"], "--weight", f["w"], "--grad-output", f["g"]]
    for bad_slot in (2, 0, 1):
        paths = ws.prepare_outputs(["gx.npy", "gw.npy", "gb.npy"])
        paths[bad_slot] = missing
        opts = ["--grad-input", "--grad-weight", "--grad-bias"]
        args = ["backward"] + gfiles + [a for pair in zip(opts, paths) for a in pair]
        r = run(*args)
        name = "backward: %s in a missing directory" % opts[bad_slot]
        check_one_error_line(name, r, ("directory", "cannot create"), code=1)
        good = [p for i, p in enumerate(paths) if i != bad_slot]
        if bad_slot == 0:
            check(not os.path.exists(good[0]) and not os.path.exists(good[1]), name + ": no output created")
            check(not [x for x in os.listdir(ws.out) if x.startswith(".")], name + ": no temporary file left")
        else:
            ws.check_untouched(name, good)


# ---- successful runs ---------------------------------------------------------------------------

def spread(v, d):
    return list(v) if isinstance(v, (list, tuple)) else [v] * d


def run_forward_case(ws, name, xs, ws_, dtype, stride=1, pad=0, dil=1, groups=1, mode="zeros", bias=True,
                     transposed=False, out_pad=0, extra=(), equals_form=False):
    """Runs convnd forward on generated data and compares with the Python reference."""
    P = ws.path
    d = len(ws_) - 2
    batched = len(xs) == d + 2
    descr = "<f4" if dtype == "f32" else "<f8"
    x = values(prod(xs), 11)
    w = values(prod(ws_), 12)
    cout = ws_[1] * groups if transposed else ws_[0]
    b = values(cout, 13) if bias else None
    stride, dil, out_pad = spread(stride, d), spread(dil, d), spread(out_pad, d)
    pad = spread(pad, d)
    pad_lo = [p[0] if isinstance(p, tuple) else p for p in pad]
    pad_hi = [p[1] if isinstance(p, tuple) else p for p in pad]
    xp, wp, bp, yp = P(name + "_x.npy"), P(name + "_w.npy"), P(name + "_b.npy"), P(name + "_y.npy")
    write_npy(xp, xs, x, descr)
    write_npy(wp, ws_, w, descr)
    if bias:
        write_npy(bp, (cout,), b, descr)
    options = [("--stride", ",".join(map(str, stride))), ("--dilation", ",".join(map(str, dil))),
               ("--padding", ",".join("%d:%d" % (lo, hi) for lo, hi in zip(pad_lo, pad_hi))),
               ("--groups", str(groups))]
    if mode != "zeros":
        options.append(("--padding-mode", mode))
    if transposed:
        options += [("--transposed", None), ("--output-padding", ",".join(map(str, out_pad)))]
    geometry = []
    for opt, val in options:
        if val is None:
            geometry.append(opt)
        elif equals_form:
            geometry.append(opt + "=" + val)
        else:
            geometry += [opt, val]
    args = ["forward", "--input", xp, "--weight", wp, "--output", yp] + (["--bias", bp] if bias else [])
    r = run(*(args + geometry + list(extra)))
    if not check(r.returncode == 0 and r.stderr == "", "forward %s: exit 0, quiet" % name,
                 "exit %d: %s" % (r.returncode, r.stderr.strip())):
        return None
    got_descr, got_shape, got = read_npy(yp)
    check(got_descr == descr, "forward %s: output dtype %s" % (name, descr), got_descr)
    # The reference, on batched shapes and on the values as stored (float32-rounded for f32).
    xv, wv = (to_f32(x), to_f32(w)) if dtype == "f32" else (x, w)
    bv = (to_f32(b) if dtype == "f32" else b) if bias else None
    xsb = xs if batched else (1,) + tuple(xs)
    if transposed:
        out_sp = [(xsb[2 + a] - 1) * stride[a] - pad_lo[a] - pad_hi[a] + dil[a] * (ws_[2 + a] - 1) + out_pad[a] + 1
                  for a in range(d)]
        # P_hi only trims the output's end: scatter over the full extent, then keep out_sp.
        ys, ref = scatter_ref(xv, xsb, wv, ws_, out_sp, stride, pad_lo, dil, groups)
        if bias:
            per = prod(out_sp)
            ref = [v + bv[(i // per) % cout] for i, v in enumerate(ref)]
    else:
        ys, ref = conv_ref(xv, xsb, wv, ws_, bv, stride, pad_lo, pad_hi, dil, groups, mode)
    want_shape = ys if batched else ys[1:]
    check(got_shape == tuple(want_shape), "forward %s: output shape %s" % (name, want_shape), str(got_shape))
    tol = 1e-5 if dtype == "f32" else 1e-12
    err = rel_err(got, ref) if len(got) == len(ref) else float("inf")
    check(err <= tol, "forward %s: matches the Python reference to %g" % (name, tol), "rel err %g" % err)
    return got


def test_forward_results(ws):
    run_forward_case(ws, "c1d_f64", (2, 4, 11), (6, 2, 3), "f64", stride=2, pad=[(1, 2)], dil=2, groups=2)
    run_forward_case(ws, "c1d_f32_unbatched", (3, 9), (2, 3, 4), "f32", stride=1, pad=1, bias=False)
    run_forward_case(ws, "c2d_f32", (2, 3, 7, 6), (4, 3, 3, 3), "f32", stride=2, pad=1)
    run_forward_case(ws, "c2d_f64_mixed", (1, 4, 8, 7), (2, 2, 3, 2), "f64", stride=[2, 1], pad=[(1, 0), (0, 2)],
                     dil=[1, 2], groups=2, equals_form=True)
    run_forward_case(ws, "c2d_f64_unbatched_groups3", (3, 5, 6), (6, 1, 3, 3), "f64", pad=1, groups=3,
                     extra=["--engine", "ref"])
    for mode in ("reflect", "replicate", "circular"):
        run_forward_case(ws, "c2d_f64_" + mode, (1, 2, 4, 5), (3, 2, 3, 2), "f64", pad=[(2, 1), (1, 1)], mode=mode)
    run_forward_case(ws, "t1d_f64", (2, 4, 5), (4, 3, 3), "f64", stride=2, pad=[(1, 0)], transposed=True, out_pad=1)
    run_forward_case(ws, "t2d_f32_groups2", (1, 4, 3, 4), (4, 1, 2, 3), "f32", stride=[2, 3], pad=1, dil=[2, 1],
                     groups=2, transposed=True, out_pad=[1, 0])
    # --padding same: O = I at stride 1, including an even kernel (lo = total/2, hi = the rest)
    got = run_forward_case(ws, "c1d_same", (2, 2, 7), (1, 2, 4), "f64", pad=[(1, 2)])
    P = ws.path
    r = run("forward", "--input", P("c1d_same_x.npy"), "--weight", P("c1d_same_w.npy"), "--bias",
            P("c1d_same_b.npy"), "--output", P("same_y.npy"), "--padding", "same")
    if check(r.returncode == 0, "forward --padding same: exit 0", r.stderr) and got is not None:
        # Bitwise even with the AUTO engine: both commands build the very same geometry, and a plan
        # is deterministic (the header's "Plans: Determinism"), whatever the thread count.
        check(read_npy(P("same_y.npy"))[2] == got, "forward --padding same = --padding 1:2 for kernel 4")


def test_npy_variants(ws):
    """Headers numpy may write (or tolerate) that the reader must accept, all giving one result."""
    P = ws.path
    xs, w_shape = (1, 2, 5), (3, 2, 2)
    x, w = values(10, 21), values(12, 22)
    write_npy(P("v_w.npy"), w_shape, w, "<f8")
    variants = [
        ("version 1.0", {}),
        ("version 2.0", {"version": (2, 0)}),
        ("version 3.0", {"version": (3, 0)}),
        ("keys reordered, double quotes, no trailing comma",
         {"header": '{"shape": (1, 2, 5), "fortran_order": False, "descr": "<f8"}'}),
        ("extra whitespace, trailing comma in shape", {"header": "{ 'descr' : '<f8' ,'fortran_order':False,"
                                                                 "\t'shape':( 1 ,2, 5 , ) , }"}),
    ]
    results = []
    for name, kw in variants:
        write_file(P("v_x.npy"), npy_bytes(xs, x, "<f8", **kw))
        r = run("forward", "--input", P("v_x.npy"), "--weight", P("v_w.npy"), "--output", P("v_y.npy"))
        if check(r.returncode == 0, "npy reader accepts: " + name, r.stderr.strip()):
            results.append(read_npy(P("v_y.npy"))[2])
    check(len(results) == len(variants) and all(res == results[0] for res in results),
          "npy reader: every header variant gives the same result")


def test_backward_results(ws):
    P = ws.path
    xs, wsh, stride, pad, dil, groups = (2, 4, 6, 5), (6, 2, 3, 2), [2, 1], [1, 0], [1, 2], 2
    x, w = values(prod(xs), 31), values(prod(wsh), 32)
    out_sp = [(xs[2 + a] + 2 * pad[a] - dil[a] * (wsh[2 + a] - 1) - 1) // stride[a] + 1 for a in range(2)]
    gs = (2, 6) + tuple(out_sp)
    g = values(prod(gs), 33)
    write_npy(P("bx.npy"), xs, x, "<f8")
    write_npy(P("bw.npy"), wsh, w, "<f8")
    write_npy(P("bg.npy"), gs, g, "<f8")
    geometry = ["--stride", "2,1", "--padding", "1,0", "--dilation", "1,2", "--groups", "2"]
    outs = [P("bgx.npy"), P("bgw.npy"), P("bgb.npy")]
    r = run("backward", "--input", P("bx.npy"), "--weight", P("bw.npy"), "--grad-output", P("bg.npy"),
            "--grad-input", outs[0], "--grad-weight", outs[1], "--grad-bias", outs[2], *geometry)
    if not check(r.returncode == 0 and r.stderr == "", "backward: exit 0, quiet", r.stderr.strip()):
        return
    _, sx, gx = read_npy(outs[0])
    _, sw, gw = read_npy(outs[1])
    _, sb, gb = read_npy(outs[2])
    check((sx, sw, sb) == (xs, wsh, (6,)), "backward: gradient shapes", str((sx, sw, sb)))
    # grad_input = convT(g; W), same geometry (the duality), scattered onto x's positions
    _, ref_gx = scatter_ref(g, gs, w, wsh, list(xs[2:]), stride, pad, dil, groups)
    check(rel_err(gx, ref_gx) <= 1e-12, "backward: grad_input matches the reference", "%g" % rel_err(gx, ref_gx))
    ref_gw = conv_weight_grad_ref(x, xs, g, gs, wsh, stride, pad, dil, groups)
    check(rel_err(gw, ref_gw) <= 1e-12, "backward: grad_weight matches the reference", "%g" % rel_err(gw, ref_gw))
    per = prod(out_sp)
    ref_gb = [sum(g[(n * 6 + o) * per + i] for n in range(2) for i in range(per)) for o in range(6)]
    check(rel_err(gb, ref_gb) <= 1e-12, "backward: grad_bias matches the reference", "%g" % rel_err(gb, ref_gb))
    # Only grad-bias asked for: only that file appears.
    only = P("only_gb.npy")
    r = run("backward", "--input", P("bx.npy"), "--weight", P("bw.npy"), "--grad-output", P("bg.npy"),
            "--grad-bias", only, *geometry)
    # The default engine is AUTO: its determinism guarantee covers the same plan run on the same
    # inputs, not a backward asked for fewer gradients (it may sum grad_bias in another order),
    # so "alone" is held to the float64 tolerance rather than to the same bits.
    if check(r.returncode == 0, "backward: --grad-bias alone: exit 0", r.stderr.strip()):
        gb_only = read_npy(only)[2]
        check(len(gb_only) == len(gb) and rel_err(gb_only, gb) <= 1e-12, "backward: --grad-bias alone",
              "%g" % (rel_err(gb_only, gb) if len(gb_only) == len(gb) else float("inf")))
    # Unbatched: one sample in, unbatched gradients out.
    write_npy(P("ux.npy"), xs[1:], x[:prod(xs[1:])], "<f8")
    write_npy(P("ug.npy"), gs[1:], g[:prod(gs[1:])], "<f8")
    r = run("backward", "--input", P("ux.npy"), "--weight", P("bw.npy"), "--grad-output", P("ug.npy"),
            "--grad-input", P("ugx.npy"), "--grad-bias", P("ugb.npy"), *geometry)
    if check(r.returncode == 0, "backward unbatched: exit 0", r.stderr.strip()):
        check(read_npy(P("ugx.npy"))[1] == xs[1:], "backward unbatched: grad_input has no batch axis")
        check(read_npy(P("ugb.npy"))[1] == (6,), "backward unbatched: grad_bias (C_out,)")


def test_overwrite_and_modes(ws):
    P = ws.path
    write_npy(P("m_x.npy"), (1, 1, 4), [1.0, 2.0, 3.0, 4.0], "<f8")
    write_npy(P("m_w.npy"), (1, 1, 2), [1.0, -1.0], "<f8")
    y = P("m_y.npy")
    write_file(y, b"old contents")
    os.chmod(y, 0o640)
    r = run("forward", "--input", P("m_x.npy"), "--weight", P("m_w.npy"), "--output", y)
    check(r.returncode == 0, "overwrite: exit 0", r.stderr.strip())
    check(read_npy(y)[2] == [-1.0, -1.0, -1.0], "overwrite: the new values (conv [1,2,3,4] * [1,-1])")
    check(stat.S_IMODE(os.stat(y).st_mode) == 0o640, "overwrite: the file keeps its mode",
          oct(stat.S_IMODE(os.stat(y).st_mode)))
    old = os.umask(0o027)
    try:
        r = run("forward", "--input", P("m_x.npy"), "--weight", P("m_w.npy"), "--output", P("m_new.npy"))
    finally:
        os.umask(old)
    check(r.returncode == 0 and stat.S_IMODE(os.stat(P("m_new.npy")).st_mode) == 0o640,
          "new output: mode 0666 minus the umask (0027)")
    check(not [x for x in os.listdir(ws.root) if x.startswith(".")], "success: no temporary file left")


def test_help():
    r = run("--help")
    check(r.returncode == 0, "--help: exit 0")
    for word in ("forward", "backward", "demo", "--stride", "--padding", "--dilation", "--groups",
                 "--output-padding", "--padding-mode", "--engine", "--transposed", "Exit status", "float32",
                 "float64", "atomic"):
        check(word in r.stdout, "--help mentions " + word)
    common = ["--transposed", "--input", "--weight", "--stride", "--padding", "--dilation", "--groups",
              "--output-padding", "--padding-mode", "--engine", "--help", "same", "valid", "LO:HI", "reflect",
              "replicate", "circular", "zeros", "Exit status", "atomic", "float32", "float64", "'<f4'", "'<f8'",
              "temporary", "--option=value"]
    per_command = {"forward": ["--bias", "--output"],
                   "backward": ["--grad-output", "--grad-input", "--grad-weight", "--grad-bias"]}
    for cmd, own in per_command.items():
        for flag in ("--help", "-h"):
            r = run(cmd, flag)
            check(r.returncode == 0 and r.stderr == "", "%s %s: exit 0" % (cmd, flag))
            for word in common + own:
                check(word in r.stdout, "%s %s mentions %s" % (cmd, flag, word))
        # --help wins over anything else on the line
        r = run(cmd, "--bogus", "--help")
        check(r.returncode == 0 and "usage" in r.stdout, "%s --bogus --help: the help" % cmd)
    r = run("demo", "--help")
    check(r.returncode == 0 and "demo: OK" in r.stdout, "demo --help: exit 0 and describes the demo")
    r = run("--version")
    check(r.returncode == 0 and r.stdout.startswith("convnd "), "--version")


def test_demo():
    r = run("demo")
    check(r.returncode == 0, "demo: exit 0", r.stderr)
    lines = r.stdout.splitlines()
    check(lines and lines[-1] == "demo: OK", "demo: ends with 'demo: OK'", lines[-1] if lines else "")
    check(len(lines) <= 40, "demo: at most 40 lines", str(len(lines)))
    check(r.stderr == "", "demo: nothing on stderr")
    for word in ("(2, 3, 7, 6)", "(4, 3, 3, 3)", "(2, 4, 4, 3)", "grad_input", "grad_weight", "grad_bias",
                 "duality", "sum of squares"):
        check(word in r.stdout, "demo mentions " + word)
    check(r.stdout.count(" ok\n") >= 6 and "FAILED" not in r.stdout, "demo: every check ok")
    r2 = run("demo")
    check(r2.stdout == r.stdout, "demo: deterministic output")


def main():
    global CONVND
    if len(sys.argv) != 3:
        print("usage: cli_tool.py PATH/TO/convnd TESTS_DATA_DIR", file=sys.stderr)
        return 2
    CONVND = os.path.abspath(sys.argv[1])
    # sys.argv[2] (tests/data) is not needed: every fixture is generated here.
    root = tempfile.mkdtemp(prefix="convnd-cli-")
    try:
        ws = Workspace(root)
        f = standard_inputs(ws)
        tests = [
            ("help", test_help),
            ("demo", test_demo),
            ("malformed files", lambda: test_malformed_files(ws, f)),
            ("shape errors", lambda: test_shape_errors(ws, f)),
            ("geometry errors", lambda: test_geometry_errors(ws, f)),
            ("usage errors", lambda: test_usage_errors(ws, f)),
            ("output path errors", lambda: test_output_path_errors(ws, f)),
            ("npy variants", lambda: test_npy_variants(ws)),
            ("forward results", lambda: test_forward_results(ws)),
            ("backward results", lambda: test_backward_results(ws)),
            ("overwrite and modes", lambda: test_overwrite_and_modes(ws)),
        ]
        for name, fn in tests:
            before = len(FAILURES)
            try:
                fn()
            except Exception as e:  # a crash in one group must not hide the others
                import traceback
                traceback.print_exc()
                check(False, name + ": raised " + type(e).__name__, str(e))
            print("%-22s %s" % (name, "ok" if len(FAILURES) == before else "%d FAILED" % (len(FAILURES) - before)))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("cli_tool: %d checks, %d failures" % (CHECKS, len(FAILURES)))
    return 1 if FAILURES or CHECKS == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
