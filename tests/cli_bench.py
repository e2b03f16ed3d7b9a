#!/usr/bin/env python3
"""cli_bench.py -- `convnd bench` and `convnd peak` (Python standard library only).

    python3 tests/cli_bench.py PATH/TO/convnd TESTS_DATA_DIR

Checks, on tiny cases (no timing assertions):
  - `convnd bench` for each pass (forward, backward-data, backward-weight), conv and transposed,
    both engines and both dtypes, succeeds and prints as its last line exactly
    "ms=<number> gflops=<number>" with positive numbers; the work line matches the documented
    flop count;
  - GEOMETRY options (stride, padding LO:HI, dilation, groups, output-padding, padding-mode) and
    --batch, --repeat and --threads are accepted;
  - usage errors (unknown or repeated option, a missing required option, a malformed or
    out-of-range value, --threads 0, a negative or zero --repeat, ...) exit 2 and an invalid
    geometry exits 1, each with one stderr line starting "convnd: " and no result line;
  - `convnd peak` prints a last line "gflops=<x> isa=<name>" with x > 0 (for float64 too), and
    refuses --threads 0;
  - both commands have --help, and `convnd --help` lists them.
Exits 1 on any failure. TESTS_DATA_DIR is accepted for symmetry with the other cli_*.py tests.
"""

import re
import subprocess
import sys

CONVND = None
FAILURES = []
CHECKS = 0
TIMEOUT = 300

BENCH_LAST = re.compile(r"^ms=[0-9.]+ gflops=[0-9.]+$")
PEAK_LAST = re.compile(r"^gflops=([0-9.]+) isa=(\S+)$")


def check(cond, what, detail=""):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILURES.append(what + (": " + detail if detail else ""))
        print("FAIL " + what + (": " + detail if detail else ""))
    return cond


def run(*args):
    return subprocess.run([CONVND] + [str(a) for a in args], capture_output=True, text=True, timeout=TIMEOUT)


def last_line(text):
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


TINY_CONV = ["--batch", "2", "--in-channels", "4", "--out-channels", "6", "--size", "7,6", "--kernel", "3",
             "--padding", "1"]
TINY_TRANSPOSED = ["--transposed", "--batch", "2", "--in-channels", "4", "--out-channels", "6", "--size", "5,4",
                   "--kernel", "3,2", "--stride", "2", "--padding", "1"]


def check_bench_ok(label, args, expect_flops=None):
    r = run("bench", *args)
    if not check(r.returncode == 0, label + ": exit 0", "exit %d, stderr %r" % (r.returncode, r.stderr)):
        return
    last = last_line(r.stdout)
    if not check(BENCH_LAST.match(last) is not None, label + ": last line ms=.. gflops=..", repr(last)):
        return
    ms = float(last.split()[0][3:])
    gf = float(last.split()[1][7:])
    check(ms > 0, label + ": ms > 0", last)
    check(gf > 0, label + ": gflops > 0", last)
    check(r.stderr == "", label + ": nothing on stderr", r.stderr)
    if expect_flops is not None:
        work = [ln for ln in r.stdout.splitlines() if ln.startswith("work: ")]
        if check(len(work) == 1, label + ": one work line", r.stdout):
            got = float(work[0].split()[1]) * 1e9
            check(abs(got - expect_flops) <= 1e-3 * expect_flops, label + ": flop count",
                  "%s, expected %d" % (work[0], expect_flops))
        # gflops agrees with the work and the median
        check(abs(gf - expect_flops / (ms * 1e-3) * 1e-9) <= 0.01 * gf + 1e-3, label + ": gflops = work / ms",
              "%s with %d flops" % (last, expect_flops))


def check_error(label, args, code):
    r = run(*args)
    check(r.returncode == code, label + ": exit %d" % code, "exit %d, stderr %r" % (r.returncode, r.stderr))
    err = r.stderr.strip().splitlines()
    check(len(err) == 1 and err[0].startswith("convnd: "), label + ": one stderr line 'convnd: ...'", repr(r.stderr))
    check(not BENCH_LAST.match(last_line(r.stdout)) and not PEAK_LAST.match(last_line(r.stdout)),
          label + ": no result line", r.stdout)


def test_bench_passes():
    # GFLOP = 2 * N * C_out * prod(O) * (C_in/G) * prod(K) for a conv (here O = I = 7x6) and
    # 2 * N * C_in * prod(I) * (C_out/G) * prod(K) for a transposed conv (I = 5x4, K = 3x2)
    conv_flops = 2 * 2 * 6 * (7 * 6) * 4 * 9
    t_flops = 2 * 2 * 4 * (5 * 4) * 6 * 6
    for engine in ("auto", "ref"):
        for dtype in ("float32", "float64"):
            for p in ("forward", "backward-data", "backward-weight"):
                common = ["--pass", p, "--engine", engine, "--dtype", dtype, "--repeat", "2", "--threads", "1"]
                check_bench_ok("bench conv %s %s %s" % (p, engine, dtype), common + TINY_CONV, conv_flops)
                check_bench_ok("bench transposed %s %s %s" % (p, engine, dtype), common + TINY_TRANSPOSED,
                               t_flops)


def test_bench_geometry():
    # 1-D strided, dilated, asymmetric padding, groups; default repeat (about 0.5 s) and threads
    check_bench_ok("bench 1-D groups dilation", ["--pass", "forward", "--in-channels", "4", "--out-channels", "6",
                                                  "--size", "20", "--kernel", "3", "--stride", "2", "--dilation",
                                                  "2", "--padding", "2:1", "--groups", "2"],
                   2 * 1 * 6 * 10 * 2 * 3)  # O = floor((20 + 3 - 4 - 1) / 2) + 1 = 10
    check_bench_ok("bench 3-D reflect", ["--pass", "backward-data", "--in-channels", "2", "--out-channels", "3",
                                         "--size", "5,4,3", "--kernel", "3", "--padding", "1",
                                         "--padding-mode", "reflect", "--repeat", "3", "--threads", "2"],
                   2 * 3 * 60 * 2 * 27)
    check_bench_ok("bench 4-D", ["--pass", "backward-weight", "--in-channels", "2", "--out-channels", "2",
                                 "--size", "4,4,4,4", "--kernel", "2", "--repeat=1", "--batch=3"],
                   2 * 3 * 2 * 81 * 2 * 16)
    check_bench_ok("bench transposed output-padding depthwise",
                   ["--pass", "forward", "--transposed", "--in-channels", "4", "--out-channels", "4", "--groups",
                    "4", "--size", "5,3", "--kernel", "3", "--stride", "2", "--output-padding", "1,0",
                    "--repeat", "2"], 2 * 1 * 4 * 15 * 1 * 9)
    check_bench_ok("bench padding same", ["--pass", "forward", "--in-channels", "1", "--out-channels", "1",
                                          "--size", "9", "--kernel", "4", "--padding", "same", "--repeat", "1"],
                   2 * 9 * 4)


def test_bench_errors():
    base = ["bench", "--pass", "forward", "--in-channels", "4", "--out-channels", "6", "--size", "7,6",
            "--kernel", "3"]
    usage = [
        ("no arguments", ["bench"]),
        ("missing --pass", ["bench", "--in-channels", "4", "--out-channels", "6", "--size", "7", "--kernel", "3"]),
        ("missing --size", ["bench", "--pass", "forward", "--in-channels", "4", "--out-channels", "6",
                            "--kernel", "3"]),
        ("missing --kernel", ["bench", "--pass", "forward", "--in-channels", "4", "--out-channels", "6",
                              "--size", "7"]),
        ("missing --in-channels", ["bench", "--pass", "forward", "--out-channels", "6", "--size", "7",
                                   "--kernel", "3"]),
        ("bad --pass", base[:1] + ["--pass", "sideways"] + base[3:]),
        ("unknown option", base + ["--bogus"]),
        ("repeated option", base + ["--stride", "1", "--stride", "2"]),
        ("stray argument", base + ["extra"]),
        ("missing value", base + ["--threads"]),
        ("empty value", base + ["--threads="]),
        ("--threads 0", base + ["--threads", "0"]),
        ("--threads -1", base + ["--threads", "-1"]),
        ("--threads too many", base + ["--threads", "100000"]),
        ("--repeat -3", base + ["--repeat", "-3"]),
        ("--repeat 0", base + ["--repeat", "0"]),
        ("--repeat x", base + ["--repeat", "x"]),
        ("--batch 0", base + ["--batch", "0"]),
        ("--in-channels 0", ["bench", "--pass", "forward", "--in-channels", "0", "--out-channels", "6",
                             "--size", "7", "--kernel", "3"]),
        ("--size with a zero", ["bench", "--pass", "forward", "--in-channels", "4", "--out-channels", "6",
                                "--size", "7,0", "--kernel", "3"]),
        ("--size malformed", ["bench", "--pass", "forward", "--in-channels", "4", "--out-channels", "6",
                              "--size", "7,,6", "--kernel", "3"]),
        ("--size and --kernel lengths", ["bench", "--pass", "forward", "--in-channels", "4", "--out-channels",
                                         "6", "--size", "7,6", "--kernel", "3,3,3"]),
        ("--dtype", base + ["--dtype", "float16"]),
        ("--engine", base + ["--engine", "turbo"]),
        ("--padding-mode", base + ["--padding-mode", "mirror"]),
        ("--stride negative", base + ["--stride", "-1"]),
        ("--transposed with a value", base + ["--transposed=1"]),
        ("peak option on bench", base + ["--output", "y.npy"]),
    ]
    for label, args in usage:
        check_error("bench " + label, args, 2)
    data = [
        ("kernel larger than the input", ["bench", "--pass", "forward", "--in-channels", "4", "--out-channels",
                                          "6", "--size", "2", "--kernel", "3"]),
        ("groups not dividing", base + ["--groups", "4"]),
        ("padding-mode with transposed", base + ["--transposed", "--padding-mode", "reflect", "--padding", "1"]),
        ("output-padding on a conv", base + ["--output-padding", "1", "--stride", "2"]),
        ("stride count", base + ["--stride", "1,1,1"]),
    ]
    for label, args in data:
        check_error("bench " + label, args, 1)


def test_peak():
    for dtype in ("float32", "float64"):
        for threads in ([], ["--threads", "1"], ["--threads", "2"]):
            label = "peak %s %s" % (dtype, " ".join(threads))
            r = run("peak", "--dtype", dtype, *threads)
            if not check(r.returncode == 0, label + ": exit 0", "exit %d, stderr %r" % (r.returncode, r.stderr)):
                continue
            m = PEAK_LAST.match(last_line(r.stdout))
            if check(m is not None, label + ": last line gflops=.. isa=..", repr(last_line(r.stdout))):
                check(float(m.group(1)) > 0, label + ": gflops > 0", m.group(0))
    for label, args in [("--threads 0", ["--threads", "0"]), ("--threads -2", ["--threads", "-2"]),
                        ("--repeat", ["--repeat", "3"]), ("unknown option", ["--fast"]),
                        ("--dtype", ["--dtype", "int8"]), ("stray argument", ["now"])]:
        check_error("peak " + label, ["peak"] + args, 2)


def test_help():
    for cmd in ("bench", "peak"):
        r = run(cmd, "--help")
        check(r.returncode == 0 and r.stdout.startswith("usage: convnd " + cmd), cmd + " --help", r.stdout[:200])
        check("--threads" in r.stdout, cmd + " --help documents --threads")
    r = run("--help")
    check(r.returncode == 0 and "convnd bench" in r.stdout and "convnd peak" in r.stdout,
          "convnd --help lists bench and peak")
    r = run("bench", "--help")
    for word in ("--pass", "--repeat", "--stride", "--groups", "--output-padding", "ms=", "gflops="):
        check(word in r.stdout, "bench --help mentions " + word)


def main():
    global CONVND
    if len(sys.argv) < 2:
        print("usage: cli_bench.py PATH/TO/convnd [TESTS_DATA_DIR]", file=sys.stderr)
        return 2
    CONVND = sys.argv[1]
    test_help()
    test_bench_passes()
    test_bench_geometry()
    test_bench_errors()
    test_peak()
    print("cli_bench: %d checks, %d failures" % (CHECKS, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
