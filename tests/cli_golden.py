#!/usr/bin/env python3
"""The convnd tool against PyTorch's results (tests/data/golden, made by tests/golden/make_golden.py).

Usage: python3 cli_golden.py <convnd binary> <tests/data dir>
       python3 cli_golden.py <convnd binary> <dir with a manifest.txt>   (e.g. a --holdout set)

For every case of the manifest (`<name> <GEOMETRY options>`) it runs
    convnd forward  --input X --weight W [--bias B] --output OUT <options>
    convnd backward --input X --weight W --grad-output G --grad-input GI --grad-weight GW
                    --grad-bias GB <options>
and checks that each command succeeds, that each result file has the expected file's dtype and
shape, and that its norm-wise relative error ||got - want|| / ||want|| is at most 1e-5 (float32;
PyTorch's float32 results carry their own rounding) or 1e-12 (float64). Standard library only:
.npy files are parsed here (little-endian float32/float64, C order). Exits 1 on any failure.
"""

import ast
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

MIN_CASES = 30
TOL = {"<f4": 1e-5, "<f8": 1e-12}
TIMEOUT = 120


class NpyError(Exception):
    pass


def load_npy(path):
    """Returns (descr, shape tuple, list of floats)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] != b"\x93NUMPY":
        raise NpyError("%s: not a .npy file" % path)
    major = raw[6]
    if major == 1:
        (hlen,) = struct.unpack_from("<H", raw, 8)
        start = 10
    elif major in (2, 3):
        (hlen,) = struct.unpack_from("<I", raw, 8)
        start = 12
    else:
        raise NpyError("%s: unknown .npy version %d" % (path, major))
    header = raw[start:start + hlen].decode("latin1")
    try:
        h = ast.literal_eval(header.strip())
    except (ValueError, SyntaxError) as e:
        raise NpyError("%s: bad header %r: %s" % (path, header, e))
    if not isinstance(h, dict) or set(h) != {"descr", "fortran_order", "shape"}:
        raise NpyError("%s: bad header %r" % (path, header))
    descr, shape = h["descr"], tuple(h["shape"])
    if descr not in TOL:
        raise NpyError("%s: dtype %s (want <f4 or <f8)" % (path, descr))
    if h["fortran_order"]:
        raise NpyError("%s: Fortran order" % path)
    count = 1
    for s in shape:
        count *= s
    body = raw[start + hlen:]
    size = 4 if descr == "<f4" else 8
    if len(body) != count * size:
        raise NpyError("%s: body has %d bytes, shape %s needs %d" % (path, len(body), shape, count * size))
    data = struct.unpack("<%d%s" % (count, "f" if size == 4 else "d"), body)
    return descr, shape, data


def rel_err(got, want):
    num = 0.0
    den = 0.0
    for g, w in zip(got, want):
        if math.isnan(g) or math.isinf(g):
            return math.inf
        num += (g - w) * (g - w)
        den += w * w
    return math.sqrt(num) / max(math.sqrt(den), 1e-300)


def read_manifest(path):
    cases = []
    with open(path) as f:
        for line in f:
            tok = line.split()
            if not tok or tok[0].startswith("#"):
                continue
            cases.append((tok[0], tok[1:]))
    return cases


def main():
    if len(sys.argv) != 3:
        print("usage: cli_golden.py <convnd binary> <tests/data dir>", file=sys.stderr)
        return 2
    tool, data = sys.argv[1], sys.argv[2]
    if os.path.isfile(os.path.join(data, "manifest.txt")):
        gdir, min_cases = data, 1
    else:
        gdir, min_cases = os.path.join(data, "golden"), MIN_CASES
    manifest = os.path.join(gdir, "manifest.txt")
    if not os.path.isfile(manifest):
        print("FAIL: no manifest %s" % manifest)
        return 1
    cases = read_manifest(manifest)

    failures = []
    max_err = {}  # (descr, quantity) -> (err, case)
    tmp = tempfile.mkdtemp(prefix="cli_golden_")

    def fail(name, msg):
        failures.append(name)
        print("FAIL %s: %s" % (name, msg))

    def run(name, argv):
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            fail(name, "timed out: %s" % " ".join(argv))
            return False
        if p.returncode != 0:
            fail(name, "exit %d: %s\n    stderr: %s" % (p.returncode, " ".join(argv),
                                                        p.stderr.decode(errors="replace").strip()))
            return False
        return True

    def compare(name, quantity, got_path):
        want_descr, want_shape, want = load_npy(os.path.join(gdir, "%s.%s.npy" % (name, quantity)))
        if not os.path.isfile(got_path):
            fail(name, "%s: the tool wrote no file" % quantity)
            return
        try:
            descr, shape, got = load_npy(got_path)
        except NpyError as e:
            fail(name, "%s: %s" % (quantity, e))
            return
        if descr != want_descr or shape != want_shape:
            fail(name, "%s: got %s %s, want %s %s" % (quantity, descr, shape, want_descr, want_shape))
            return
        e = rel_err(got, want)
        key = (descr, quantity)
        if key not in max_err or not (e <= max_err[key][0]):
            max_err[key] = (e, name)
        if not (e <= TOL[descr]):
            fail(name, "%s: relative error %.3g > %.0e" % (quantity, e, TOL[descr]))

    try:
        for name, opts in cases:
            n_fail = len(failures)
            f = lambda s: os.path.join(gdir, "%s.%s.npy" % (name, s))
            o = lambda s: os.path.join(tmp, "%s.%s.npy" % (name, s))
            ins = ["--input", f("input"), "--weight", f("weight")]
            fwd = [tool, "forward"] + ins
            if os.path.isfile(f("bias")):
                fwd += ["--bias", f("bias")]
            fwd += ["--output", o("output")] + opts
            try:
                if run(name, fwd):
                    compare(name, "output", o("output"))
                bwd = [tool, "backward"] + ins + ["--grad-output", f("grad_output"),
                                                  "--grad-input", o("grad_input"),
                                                  "--grad-weight", o("grad_weight"),
                                                  "--grad-bias", o("grad_bias")] + opts
                if run(name, bwd):
                    for q in ("grad_input", "grad_weight", "grad_bias"):
                        compare(name, q, o(q))
            except (NpyError, OSError) as e:
                fail(name, "expected data: %s" % e)
            if len(failures) == n_fail:
                print("ok   %s" % name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    failed_cases = sorted(set(failures))
    print("cli_golden: %d cases from %s, %d failed%s" % (
        len(cases), manifest, len(failed_cases), (": " + " ".join(failed_cases)) if failed_cases else ""))
    for (descr, q), (e, name) in sorted(max_err.items()):
        print("  largest relative error %s %-12s %.3g  (%s)" % ("float32" if descr == "<f4" else "float64", q, e, name))
    if len(cases) < min_cases:
        print("FAIL: %d cases in %s, expected at least %d" % (len(cases), manifest, min_cases))
        return 1
    return 1 if failed_cases else 0


if __name__ == "__main__":
    sys.exit(main())
