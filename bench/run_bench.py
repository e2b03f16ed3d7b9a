#!/usr/bin/python3
"""run_bench.py -- convnd against PyTorch on the benchmark suite, with the targets of the issue.

    /usr/bin/python3 bench/run_bench.py [--convnd build/convnd] [--threads 1,2] [--cases PATTERNS]
                                        [--passes PASSES] [--quick] [--rounds K] [--no-torch]
                                        [--markdown BENCHMARKS.md] [--list]

Run it with Debian's /usr/bin/python3, which has python3-torch (1.13) and numpy; any Python 3
runs it without PyTorch (the PyTorch and speedup columns are then empty).

For every case x pass (forward, backward-data, backward-weight) x thread count it runs
`convnd bench` (one plan with that many threads, weights not packed, a workspace; warm-up plus
enough timed runs for about 0.5 s; the median) and the same shape in PyTorch in this process
(torch.set_num_threads(T), NCHW tensors, torch.no_grad(); forward through
torch.nn.functional.conv{1,2,3}d / conv_transpose{1,2,3}d, the backward passes through
torch.ops.aten.convolution_backward with only the wanted output_mask bit; warm-up plus about
0.5 s of runs; the median). `convnd peak` gives the FMA peak per dtype and thread count.

GFLOP = 2 x multiply-adds of the direct convolution, padded taps counted (for a transposed conv,
of its dual conv); the same count for the three passes. speedup = PyTorch ms / convnd ms.

Prints a markdown table, then the geometric mean and minimum of the speedups at 2 threads and
the targets of the issue (PASS / MISS). --markdown FILE also writes the table with a header
describing the machine (that file is committed as BENCHMARKS.md).
"""

import argparse
import datetime
import fnmatch
import math
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

PASSES = ("forward", "backward-data", "backward-weight")
TARGET_SECONDS = 0.5  # PyTorch: timed runs per measurement (convnd bench does the same)
MIN_REPEAT = 3
QUICK_CASES = ("c2d-256", "t2d", "f64-c3d")


def case(cid, name, cin, cout, size, kernel, stride=1, padding=None, dilation=1, groups=1, n=1,
         transposed=False, dtype="float32", torch=True):
    rank = len(size)

    def axes(v):
        return list(v) if isinstance(v, (list, tuple)) else [v] * rank

    kernel = axes(kernel)
    dil = axes(dilation)
    if padding is None:
        padding = [(k - 1) * d // 2 for k, d in zip(kernel, dil)]
    return dict(id=cid, name=name, rank=rank, n=n, cin=cin, cout=cout, size=list(size), kernel=kernel,
                stride=axes(stride), padding=axes(padding), dilation=dil, groups=groups,
                transposed=transposed, dtype=dtype, torch=torch)


CASES = [
    case("c2d", "conv2d 64->64 56x56 k3", 64, 64, (56, 56), 3),
    case("c2d-n8", "conv2d N=8 64->64 56x56 k3", 64, 64, (56, 56), 3, n=8),
    case("c2d-stem", "conv2d 3->64 224x224 k7 s2 p3", 3, 64, (224, 224), 7, stride=2, padding=3),
    case("c2d-256", "conv2d 256->256 14x14 k3", 256, 256, (14, 14), 3),
    case("c2d-1x1", "conv2d 1x1 256->64 56x56", 256, 64, (56, 56), 1),
    case("c1d", "conv1d 64->64 L=16000 k9 p4", 64, 64, (16000,), 9, padding=4),
    case("c3d", "conv3d 32->32 32^3 k3", 32, 32, (32, 32, 32), 3),
    case("t2d", "transposed 2-D 64->32 56x56 k4 s2 p1", 64, 32, (56, 56), 4, stride=2, padding=1,
         transposed=True),
    case("t3d", "transposed 3-D 32->16 16^3 k4 s2 p1", 32, 16, (16, 16, 16), 4, stride=2, padding=1,
         transposed=True),
    case("c2d-odd", "conv2d 16->32 97x61 k(5,3) s(2,3) p(2,1)", 16, 32, (97, 61), (5, 3), stride=(2, 3),
         padding=(2, 1)),
    case("c4d", "conv4d 32->32 10^4 k3 p1", 32, 32, (10, 10, 10, 10), 3, padding=1, torch=False),
    case("dw2d", "depthwise conv2d 128->128 g128 56x56 k3 p1", 128, 128, (56, 56), 3, padding=1, groups=128),
    case("dil2d", "dilated conv2d 64->64 56x56 k3 d2 p2", 64, 64, (56, 56), 3, dilation=2, padding=2),
    case("f64-c2d", "float64 conv2d 64->64 56x56 k3", 64, 64, (56, 56), 3, dtype="float64"),
    case("f64-c3d", "float64 conv3d 32->32 16^3 k3", 32, 32, (16, 16, 16), 3, dtype="float64"),
]


def out_size(c):
    """Output spatial size (PyTorch's formulas, output_padding 0)."""
    out = []
    for i, k, s, p, d in zip(c["size"], c["kernel"], c["stride"], c["padding"], c["dilation"]):
        if c["transposed"]:
            out.append((i - 1) * s - 2 * p + d * (k - 1) + 1)
        else:
            out.append((i + 2 * p - d * (k - 1) - 1) // s + 1)
    return out


def gflop(c):
    taps = math.prod(c["kernel"])
    if c["transposed"]:
        return 2.0 * c["n"] * c["cin"] * math.prod(c["size"]) * (c["cout"] // c["groups"]) * taps * 1e-9
    return 2.0 * c["n"] * c["cout"] * math.prod(out_size(c)) * (c["cin"] // c["groups"]) * taps * 1e-9


def join(v):
    return ",".join(str(x) for x in v)


# ---- convnd ---------------------------------------------------------------------------------

BENCH_LAST = re.compile(r"^ms=([0-9.]+) gflops=([0-9.]+)$")
PEAK_LAST = re.compile(r"^gflops=([0-9.]+) isa=(\S+)$")


def run_tool(args, timeout):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    lines = p.stdout.strip().splitlines()
    return p.returncode, lines, p.stderr.strip()


def convnd_bench(tool, c, pass_, threads, repeat=None, timeout=600):
    """(median ms, GFLOP/s, plan description) or raises RuntimeError."""
    args = [tool, "bench", "--pass", pass_, "--batch", str(c["n"]), "--in-channels", str(c["cin"]),
            "--out-channels", str(c["cout"]), "--size", join(c["size"]), "--kernel", join(c["kernel"]),
            "--stride", join(c["stride"]), "--padding", join(c["padding"]), "--dilation", join(c["dilation"]),
            "--groups", str(c["groups"]), "--dtype", c["dtype"], "--threads", str(threads)]
    if c["transposed"]:
        args.append("--transposed")
    if repeat:
        args += ["--repeat", str(repeat)]
    rc, lines, err = run_tool(args, timeout)
    m = BENCH_LAST.match(lines[-1]) if lines else None
    if rc != 0 or not m:
        raise RuntimeError(err or (lines[-1] if lines else "exit %d" % rc))
    plan = next((line[len("plan: "):] for line in lines if line.startswith("plan: ")), "")
    return float(m.group(1)), float(m.group(2)), plan


def convnd_peak(tool, dtype, threads):
    rc, lines, err = run_tool([tool, "peak", "--dtype", dtype, "--threads", str(threads)], 120)
    m = PEAK_LAST.match(lines[-1]) if lines else None
    if rc != 0 or not m:
        raise RuntimeError(err or "convnd peak: exit %d" % rc)
    return float(m.group(1)), m.group(2)


def convnd_version(tool):
    try:
        return subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return "?"


# ---- PyTorch --------------------------------------------------------------------------------

def import_torch():
    try:
        import torch  # noqa: F401
        import torch.nn.functional  # noqa: F401
        return torch
    except Exception:  # ImportError, or a broken installation
        return None


def time_callable(fn, repeat=None):
    """Median ms of `repeat` runs after a warm-up; by default of as many runs as fit in
    TARGET_SECONDS (at least MIN_REPEAT), as convnd bench does."""
    fn()  # warm-up
    times = []
    spent = 0.0
    while (len(times) < repeat) if repeat else (len(times) < MIN_REPEAT or spent < TARGET_SECONDS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        spent += times[-1]
    return statistics.median(times) * 1e3


def torch_bench(torch, c, pass_, threads, repeat=None):
    """Median ms of the pass in PyTorch, or None when PyTorch has no such op (rank > 3)."""
    if not c["torch"] or c["rank"] > 3:
        return None
    F = torch.nn.functional
    torch.set_num_threads(threads)
    dt = torch.float64 if c["dtype"] == "float64" else torch.float32
    g = torch.Generator().manual_seed(0)
    x = torch.randn(c["n"], c["cin"], *c["size"], dtype=dt, generator=g)
    if c["transposed"]:
        w = torch.randn(c["cin"], c["cout"] // c["groups"], *c["kernel"], dtype=dt, generator=g)
        conv = getattr(F, "conv_transpose%dd" % c["rank"])
        out_pad = [0] * c["rank"]

        def forward():
            return conv(x, w, None, c["stride"], c["padding"], out_pad, c["groups"], c["dilation"])
    else:
        w = torch.randn(c["cout"], c["cin"] // c["groups"], *c["kernel"], dtype=dt, generator=g)
        conv = getattr(F, "conv%dd" % c["rank"])
        out_pad = [0] * c["rank"]

        def forward():
            return conv(x, w, None, c["stride"], c["padding"], c["dilation"], c["groups"])
    with torch.no_grad():
        y = forward()
        if list(y.shape[2:]) != out_size(c) or y.shape[1] != c["cout"]:
            raise RuntimeError("PyTorch output shape %s differs from the expected %s" %
                               (tuple(y.shape), [c["n"], c["cout"]] + out_size(c)))
        if pass_ == "forward":
            return time_callable(forward, repeat)
        gy = torch.randn(y.shape, dtype=dt, generator=g)
        del y
        mask = [pass_ == "backward-data", pass_ == "backward-weight", False]
        backward = torch.ops.aten.convolution_backward

        def run():
            return backward(gy, x, w, None, c["stride"], c["padding"], c["dilation"], c["transposed"], out_pad,
                            c["groups"], mask)
        return time_callable(run, repeat)


# ---- the machine ------------------------------------------------------------------------------

def lscpu():
    info = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, LC_ALL="C")).stdout
        for line in out.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                info[k.strip()] = v.strip()
    except OSError:
        pass
    return info


def machine_description():
    info = lscpu()
    model = info.get("Model name", "unknown CPU")
    try:
        cores = int(info.get("Core(s) per socket", "0")) * int(info.get("Socket(s)", "1"))
    except ValueError:
        cores = 0
    cpus = info.get("CPU(s)", str(os.cpu_count()))
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = ", %.0f GiB" % (int(line.split()[1]) / 2 ** 20)
    except OSError:
        pass
    hv = info.get("Hypervisor vendor")
    return "%s, %s cores (%s CPUs)%s%s" % (model, cores or "?", cpus, mem, ", virtual machine (%s)" % hv if hv else "")


def git_revision():
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        return rev + (" + local changes" if dirty else "") if rev else ""
    except OSError:
        return ""


# ---- formatting ---------------------------------------------------------------------------------

def fmt_ms(v):
    if v is None:
        return ""
    return "%.3f" % v if v < 10 else "%.2f" % v if v < 100 else "%.1f" % v


def fmt_speedup(v):
    return "%.2fx" % v if v >= 0.1 else "%.3fx" % v


def fmt(v, spec):
    return "" if v is None else spec % v


def table(rows, have_torch):
    head = "| case | pass | threads | convnd ms | GFLOP/s | % of peak | PyTorch ms | speedup |"
    out = [head, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        if r["error"]:
            out.append("| %s | %s | %d | error: %s | | | | |" % (r["case"]["name"], r["pass"], r["threads"],
                                                                r["error"].replace("|", "/")))
            continue
        if r["torch_ms"] is not None:
            speed = fmt_speedup(r["torch_ms"] / r["ms"])
        elif not r["case"]["torch"] or r["case"]["rank"] > 3:
            speed = "n/a"
        else:
            speed = ""
        torch_ms = fmt_ms(r["torch_ms"]) if r["torch_ms"] is not None else (r["torch_error"] or "")
        out.append("| %s | %s | %d | %s | %.1f | %s | %s | %s |" % (
            r["case"]["name"], r["pass"], r["threads"], fmt_ms(r["ms"]), r["gflops"],
            fmt(r["peak_frac"] and 100 * r["peak_frac"], "%.0f%%"), torch_ms, speed))
    return out


def speedup(r):
    if r["error"] or r["torch_ms"] is None or not r["ms"]:
        return None
    return r["torch_ms"] / r["ms"]


def summary(rows, have_torch, threads_list):
    """Summary lines and target checks, at 2 threads."""
    lines = []
    T = 2
    if T not in threads_list:
        return ["Targets are checked at 2 threads, which this run did not measure."]
    at = [r for r in rows if r["threads"] == T]
    sp = [(speedup(r), r) for r in at if speedup(r) is not None]
    label = lambda r: "%s %s" % (r["case"]["name"], r["pass"])  # noqa: E731
    if not have_torch:
        lines.append("PyTorch not installed: ratio column empty")
    if sp:
        geo = math.exp(sum(math.log(s) for s, _ in sp) / len(sp))
        worst = min(sp, key=lambda t: t[0])
        lines.append("Geometric mean of speedup (2 threads): %.2fx over %d case-passes" % (geo, len(sp)))
        lines.append("Min speedup (2 threads): %.2fx (%s)" % (worst[0], label(worst[1])))
    else:
        geo = None
        lines.append("Geometric mean of speedup (2 threads): n/a (no PyTorch numbers)")
    lines.append("")
    lines.append("Targets (2 threads):")

    def check(title, selected, ok_fn, value_fn, needs_torch=False):
        if needs_torch and not have_torch:
            lines.append("- n/a  %s: PyTorch not installed" % title)
            return
        if not selected:
            lines.append("- n/a  %s: no such case in this run" % title)
            return
        bad = [r for r in selected if r["error"] or value_fn(r) is None or not ok_fn(value_fn(r))]
        vals = [(value_fn(r), r) for r in selected if not r["error"] and value_fn(r) is not None]
        worst = min(vals, key=lambda t: t[0]) if vals else None
        detail = "worst %s (%s)" % (worst_fmt(title, worst[0]), label(worst[1])) if worst else ""
        if bad:
            names = ", ".join(label(r) for r in bad[:4]) + (", ..." if len(bad) > 4 else "")
            detail += "; %d of %d below: %s" % (len(bad), len(selected), names)
        lines.append("- %s %s: %s" % ("PASS" if not bad else "MISS", title, detail))

    def worst_fmt(title, v):
        return "%.0f%%" % (100 * v) if "peak" in title else fmt_speedup(v)

    with_torch = [r for r in at if r["case"]["torch"] and r["case"]["rank"] <= 3]
    check("every case and pass >= PyTorch", with_torch, lambda v: v >= 1.0, speedup, True)
    if have_torch:
        ok = geo is not None and geo >= 1.5 and len(sp) == len(with_torch)
        lines.append("- %s geometric mean >= 1.5x: %s" % ("PASS" if ok else "MISS",
                                                          "%.2fx" % geo if geo is not None else "n/a"))
    else:
        lines.append("- n/a  geometric mean >= 1.5x: PyTorch not installed")
    check("transposed cases >= 4x PyTorch", [r for r in with_torch if r["case"]["transposed"]],
          lambda v: v >= 4.0, speedup, True)
    rich = [r for r in at if r["case"]["dtype"] == "float32" and r["case"]["rank"] <= 3
            and r["case"]["cin"] // r["case"]["groups"] >= 32 and r["case"]["cout"] // r["case"]["groups"] >= 32]
    frac = lambda r: r["peak_frac"]  # noqa: E731
    check("float32 cases with >= 32 channels (per group) on both sides >= 75% of peak", rich,
          lambda v: v >= 0.75, frac)
    check("the 4-D case >= 60% of peak", [r for r in at if r["case"]["rank"] == 4], lambda v: v >= 0.60, frac)
    check("float64 cases >= 70% of the float64 peak", [r for r in at if r["case"]["dtype"] == "float64"],
          lambda v: v >= 0.70, frac)
    return lines


# ---- main -----------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description="convnd against PyTorch on the benchmark suite.")
    ap.add_argument("--convnd", default=None, help="the convnd tool (default: build/convnd of this repository)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--cases", default=None,
                    help="comma-separated case ids or shell patterns (see --list); default all")
    ap.add_argument("--passes", default=",".join(PASSES), help="comma-separated passes (default all three)")
    ap.add_argument("--quick", action="store_true",
                    help="a small subset (%s), 3 timed runs each: a smoke test" % ", ".join(QUICK_CASES))
    ap.add_argument("--rounds", type=int, default=None,
                    help="measure every row this many times (convnd and PyTorch alternating) and keep the "
                         "median of the medians (default 3; 1 with --quick)")
    ap.add_argument("--no-torch", action="store_true", help="do not measure PyTorch")
    ap.add_argument("--markdown", metavar="FILE", help="also write the report, with a machine header, to FILE")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    a = ap.parse_args(argv)
    try:
        a.threads = [int(t) for t in a.threads.split(",") if t]
        if not a.threads or min(a.threads) < 1:
            raise ValueError
    except ValueError:
        ap.error("--threads: expected comma-separated integers >= 1")
    a.passes = [p for p in a.passes.split(",") if p]
    for p in a.passes:
        if p not in PASSES:
            ap.error("--passes: '%s' is not one of %s" % (p, ", ".join(PASSES)))
    if a.rounds is None:
        a.rounds = 1 if a.quick else 3
    if a.rounds < 1:
        ap.error("--rounds must be at least 1")
    return a


def select_cases(a):
    if a.cases:
        pats = [p for p in a.cases.split(",") if p]
        chosen = [c for c in CASES if any(fnmatch.fnmatch(c["id"], p) for p in pats)]
        if not chosen:
            sys.exit("run_bench.py: --cases %s matches no case (see --list)" % a.cases)
        return chosen
    if a.quick:
        return [c for c in CASES if c["id"] in QUICK_CASES]
    return CASES


def main(argv):
    a = parse_args(argv)
    if a.list:
        for c in CASES:
            print("%-9s %-45s %.3f GFLOP%s" % (c["id"], c["name"], gflop(c), "" if c["torch"] else "  (no PyTorch)"))
        return 0
    tool = a.convnd or os.path.join(REPO, "build", "convnd")
    if not os.access(tool, os.X_OK):
        sys.exit("run_bench.py: %s is not an executable (build it, or give --convnd)" % tool)
    cases = select_cases(a)
    repeat = MIN_REPEAT if a.quick else None
    torch = None if a.no_torch else import_torch()
    have_torch = torch is not None
    started = time.time()
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print("note: load average %.2f before the run: other processes may disturb the numbers" % load_before,
              file=sys.stderr)
    if not have_torch:
        print("PyTorch not installed: ratio column empty" if not a.no_torch else "PyTorch not measured (--no-torch)",
              file=sys.stderr)

    peaks, isa = {}, "?"
    dtypes = sorted({c["dtype"] for c in cases})

    def measure_peaks(when):
        nonlocal isa
        for dt in dtypes:
            for t in a.threads:
                try:
                    v, isa = convnd_peak(tool, dt, t)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    print("convnd peak --dtype %s --threads %d failed: %s" % (dt, t, e), file=sys.stderr)
                    v = None
                print("peak %s, %s %d thread%s: %s GFLOP/s (%s)" % (when, dt, t, "" if t == 1 else "s", v, isa),
                      file=sys.stderr)
                if v is not None and (peaks.get((dt, t)) is None or v > peaks[dt, t]):
                    peaks[dt, t] = v
                peaks.setdefault((dt, t), None)

    # The peak is measured before and after the suite and the higher kept: a busy machine can
    # only lower it.
    measure_peaks("before")

    rows = []
    total = len(cases) * len(a.passes) * len(a.threads)
    for c in cases:
        for p in a.passes:
            for t in a.threads:
                r = dict(case=c, pass_=p, threads=t, ms=None, gflops=None, plan="", error=None, torch_ms=None,
                         torch_error=None, peak_frac=None)
                r["pass"] = p
                ms_runs, torch_runs = [], []
                for _ in range(a.rounds):
                    try:
                        ms, gf, r["plan"] = convnd_bench(tool, c, p, t, repeat)
                        ms_runs.append(ms)
                    except (RuntimeError, subprocess.TimeoutExpired) as e:
                        r["error"] = str(e)
                        break
                    if have_torch and c["torch"]:
                        try:
                            v = torch_bench(torch, c, p, t, repeat)
                            if v is not None:
                                torch_runs.append(v)
                        except Exception as e:  # report and go on: one failing op must not stop the run
                            r["torch_error"] = "error: %s" % str(e).splitlines()[0][:60]
                if ms_runs:
                    r["ms"] = statistics.median(ms_runs)
                    r["gflops"] = gflop(c) / (r["ms"] * 1e-3)
                if torch_runs:
                    r["torch_ms"] = statistics.median(torch_runs)
                rows.append(r)
                print("[%d/%d %.0fs] %s %s T=%d: convnd %s ms%s%s" % (
                    len(rows), total, time.time() - started, c["id"], p, t, fmt_ms(r["ms"]) or "-",
                    ", PyTorch %s ms" % fmt_ms(r["torch_ms"]) if r["torch_ms"] else "",
                    " ERROR %s" % r["error"] if r["error"] else ""), file=sys.stderr)

    measure_peaks("after")
    for r in rows:
        pk = peaks.get((r["case"]["dtype"], r["threads"]))
        r["peak_frac"] = r["gflops"] / pk if pk and r["gflops"] else None
    elapsed = time.time() - started
    a.load = (load_before, os.getloadavg()[0])
    tab = table(rows, have_torch)
    summ = summary(rows, have_torch, a.threads)
    if max(a.load) > 1.0:
        summ += ["", "WARNING: load average %.2f before / %.2f after the run: other processes competed for the "
                 "cores, so the numbers (above all at 2 threads) are not reliable." % a.load]
    print("\n".join(tab))
    print()
    print("\n".join(summ))
    print("\n(%d rows in %.0f s)" % (len(rows), elapsed))

    if a.markdown:
        write_markdown(a, tool, rows, tab, summ, peaks, isa, torch, elapsed, cases)
    return 0


def write_markdown(a, tool, rows, tab, summ, peaks, isa, torch, elapsed, cases):
    now = datetime.datetime.now().astimezone()
    plans = sorted({re.sub(r", \d+ threads?$", "", r["plan"]) for r in rows if r["plan"]})
    dtypes = sorted({c["dtype"] for c in cases})
    peak_text = "; ".join(
        "%s %s" % (dt, ", ".join("%s GFLOP/s at %d thread%s" % (
            "%.0f" % peaks[dt, t] if peaks.get((dt, t)) else "?", t, "" if t == 1 else "s") for t in a.threads))
        for dt in dtypes)
    rev = git_revision()
    head = [
        "# convnd benchmarks",
        "",
        "Generated by `bench/run_bench.py%s` on %s in %.0f s; regenerate with "
        "`/usr/bin/python3 bench/run_bench.py --markdown BENCHMARKS.md`." % (
            " " + " ".join(sys.argv[1:]) if sys.argv[1:] else "", now.strftime("%Y-%m-%d %H:%M %Z"), elapsed),
        "",
        "- Machine: %s." % machine_description(),
        "- convnd: %s%s, micro-kernels `%s` (what `convnd peak` / the plans select), engine auto." % (
            convnd_version(tool), " (git %s)" % rev if rev else "", isa),
        "- FMA peak (`convnd peak`: all threads run the peak kernel at once; the higher of a measurement "
        "before and one after the suite): %s." % peak_text,
        "- PyTorch: %s." % (
            "%s, in-process, torch.set_num_threads(T), NCHW tensors, torch.no_grad()" % torch.__version__
            if torch is not None else "not installed (speedup column empty)"),
        "- Method: `convnd bench` (one plan per row, weights not packed, workspace allocated once); "
        "a warm-up run, then timed runs for about 0.5 s (at least 3), median%s. PyTorch the same, "
        "forward through `torch.nn.functional.conv*d` / `conv_transpose*d`, the backward passes through "
        "`torch.ops.aten.convolution_backward` with one `output_mask` bit. N=1 and stride 1 unless said." % (
            "; median of %d such rounds" % a.rounds if a.rounds > 1 else ""),
        "- GFLOP = 2 x multiply-adds of the direct convolution, padded taps counted (for a transposed conv, "
        "of its dual conv), the same for all three passes. % of peak is against the peak at the same "
        "thread count and dtype. speedup = PyTorch ms / convnd ms.",
        "- Shared virtual machines are noisy (runs differ by up to ~15%%): compare ratios within one run. "
        "Load average (1 min) %.2f before the run, %.2f after." % a.load,
    ]
    if plans:
        head.append("- Plans chosen: %s." % "; ".join("`%s`" % p for p in plans[:12]) +
                    (" ..." if len(plans) > 12 else ""))
    text = "\n".join(head + [""] + tab + [""] + [ln if ln == "" or ln.startswith("- ") or ln.endswith(":")
                                               else ln + "  " for ln in summ]) + "\n"
    with open(a.markdown, "w") as f:
        f.write(text)
    print("wrote %s" % a.markdown, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
