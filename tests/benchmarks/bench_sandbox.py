"""Sandbox overhead: the same programs through `filters.sandbox` and through a bare
`subprocess.run([sys.executable, "-c", ...])`, in one run, serial and in parallel. The bare
run is timed twice: plain (`-c`, which imports site) and with the sandbox's interpreter flags
(`-I -S`); the second ratio is the sandbox's own overhead.

Workloads: a trivial program (`pass`), a trivial test (one call through the candidate/judge
pair), and HumanEval's canonical solutions with their tests (skipped when
../shared/benchmarks/humaneval is absent). Reported: ms per execution and the ratio
sandbox / bare. The bare HumanEval run executes prompt + solution + test + check() in one
unsandboxed process, as HumanEval's own harness does.

    python -m tests.benchmarks.bench_sandbox [--n 40] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _humaneval() -> list[dict]:
    path = Path(os.environ.get("DATAGEN_SHARED", REPO.parent / "shared")) / "benchmarks" / "humaneval" / "test.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def _bare(src: str, flags: tuple[str, ...] = ()) -> bool:
    return subprocess.run([sys.executable, *flags, "-c", src], capture_output=True, timeout=60).returncode == 0


def _bare_isolated(src: str) -> bool:  # the interpreter flags the sandbox uses: no site, no env
    return _bare(src, ("-I", "-S"))


def _timed(fn, items: list, workers: int) -> tuple[float, int]:
    """(ms per item, items that passed)"""
    t0 = time.perf_counter()
    if workers == 1:
        ok = sum(bool(fn(x)) for x in items)
    else:
        with ThreadPoolExecutor(workers) as ex:
            ok = sum(bool(r) for r in ex.map(fn, items))
    return (time.perf_counter() - t0) * 1000 / len(items), ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40, help="runs of each trivial workload")
    ap.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    a = ap.parse_args()

    from filters.sandbox import Job, Limits, layers, run_many, run_program, run_tests

    lim = Limits.from_env()
    run_program("pass", lim)  # warm up: the namespace probe, the compiled guest
    trivial_test = ("def f(x):\n    return x + 1\n", "def check(c):\n    assert c(1) == 2\n", "f")
    he = _humaneval()
    he_jobs = [Job(r["question"] + r["answer"], r["test"], r["entry_point"]) for r in he]
    he_bare = [j.code + "\n" + j.test + f"\ncheck({j.entry_point})\n" for j in he_jobs]

    tiny = [("trivial program", "pass", Job("pass")),
            ("trivial test", "def f(x): return x + 1\nassert f(1) == 2", Job(*trivial_test))]  # fmt: skip
    rows = []
    for mode, w in (("serial", 1), ("parallel", a.workers)):
        workloads = [(name, [src] * a.n, [job] * a.n) for name, src, job in tiny]
        if he:
            workloads.append(("humaneval canonical", he_bare, he_jobs))
        for name, srcs, jobs in workloads:
            bare_ms, bare_ok = _timed(_bare, srcs, w)
            iso_ms, _ = _timed(_bare_isolated, srcs, w)
            t0 = time.perf_counter()
            if w == 1:  # one call at a time, as a caller without run_many would
                results = [
                    run_program(j.code, lim) if j.test is None else run_tests(j.code, j.test, j.entry_point, lim) for j in jobs
                ]
            else:
                results = run_many(jobs, lim, workers=w)
            sb_ms = (time.perf_counter() - t0) * 1000 / len(jobs)
            rows.append((name, mode, len(jobs), bare_ms, iso_ms, sb_ms, bare_ok, sum(r.passed for r in results)))

    print(f"layers: { ({k: v for k, v in layers().items() if k != 'prefix'}) }; workers (parallel): {a.workers}")
    print(
        f"{'workload':<21}{'mode':<10}{'n':>5}{'bare':>8}{'bare -I -S':>12}{'sandbox':>9}{'ratio':>7}{'ratio -I -S':>13}{'passed':>9}"
    )
    for name, mode, n, b, i, s, bok, sok in rows:
        print(f"{name:<21}{mode:<10}{n:>5}{b:>8.1f}{i:>12.1f}{s:>9.1f}{s / b:>7.2f}{s / i:>13.2f}{f'{bok}/{sok}':>9}")
    print("(ms per execution; passed: bare/sandbox)")
    keys = ("workload", "mode", "n", "bare_ms", "bare_isolated_ms", "sandbox_ms", "bare_passed", "sandbox_passed")
    out = {"bench": "sandbox", "cpus": os.cpu_count(), "workers": a.workers,
           "layers": {k: v for k, v in layers().items() if k != "prefix"},
           "rows": [{**dict(zip(keys, (*r[:3], *(round(x, 2) for x in r[3:6]), *r[6:]), strict=True)),
                     "ratio": round(r[5] / r[3], 2), "ratio_isolated": round(r[5] / r[4], 2)} for r in rows]}  # fmt: skip
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
