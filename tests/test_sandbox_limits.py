"""The sandbox's limits seen from the host: positive controls (passing is possible, so every
assertion can fail), the layers live on a running program (uid, network namespace,
rlimits), and resource bombs: memory, infinite loops, signal tricks against the timeout,
huge output, disk use. Mode-dependent cases run `full` and `hook_only`.

Does NOT cover: network/files/secrets/processes (`test_sandbox_os.py`) or faking success
through the harness (`test_sandbox_harness.py`).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from filters import sandbox as sb
from filters.sandbox import run_program, run_tests
from filters.sandbox.host import _uid_base, _uids_mapped
from tests import sandbox_helpers as h
from tests.sandbox_helpers import CHECK, LIM, SHORT, leftovers, not_passed

mode, no_leftovers = h.mode, h.no_leftovers  # the shared fixtures, registered here


def _home(pid: int) -> str:
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return "/nonexistent"
    return next((e[5:].decode() for e in env if e.startswith(b"HOME=")), "/nonexistent")


# -- positive controls -------------------------------------------------------------------


def test_correct_solution_passes(mode):
    code = "import collections, functools, heapq, itertools, json, math, re, typing\ndef f(x):\n    return x + 1\n"
    r = run_tests(code, CHECK, "f", LIM)
    assert r.passed and r.detail is None, r
    assert run_tests("def f(x):\n    return x\n", CHECK, "f", LIM).status == "failed"


def test_program_output_and_scratch_writes_work(mode):
    r = run_program("import os, tempfile\nopen('a.txt', 'w').write('hi')\nprint(open('a.txt').read(), os.getcwd() != '/')", LIM)
    assert r.passed and r.stdout == "hi True\n", r


def test_layers_are_live():
    """While a program sleeps, look at it from the host: uid, network namespace, rlimits."""
    lay, done = sb.layers(), []
    t = threading.Thread(target=lambda: done.append(run_program("open('ready', 'w').close()\nimport time\ntime.sleep(3)", LIM)))
    t.start()
    pids: list[int] = []
    for _ in range(200):  # the program is confined once it wrote HOME/ready
        pids = [p for p in leftovers() if Path(_home(p), "ready").exists()]
        if pids:
            break
        time.sleep(0.02)
    assert pids, "the sandboxed program was not found"
    status = Path(f"/proc/{pids[0]}/status").read_text()
    limits = Path(f"/proc/{pids[0]}/limits").read_text()
    uid = int(next(ln for ln in status.splitlines() if ln.startswith("Uid:")).split()[1])
    netns = os.readlink(f"/proc/{pids[0]}/ns/net")
    t.join()
    assert done[0].passed
    row = {ln[:26].strip(): ln[26:].split()[:2] for ln in limits.splitlines()[1:]}
    assert row["Max processes"] == ["1", "1"] and row["Max address space"] == [str(512 << 20)] * 2
    assert row["Max open files"] == ["64", "64"] and row["Max cpu time"] == ["6", "6"]
    if lay["privdrop"]:
        assert uid >= 1000
    if lay["netns"]:
        assert netns != os.readlink("/proc/self/ns/net")
    assert lay["privdrop"] == (os.geteuid() == 0 and _uids_mapped(_uid_base()))


# -- resources --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "def f(x):\n    return len(bytearray(8 << 30))\n",
        "def f(x):\n    a = []\n    while True:\n        a.append(' ' * 10**6)\n",
    ],
    ids=["one_big", "growing"],
)
def test_memory_bomb(code):
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = run_tests(code, CHECK, "f", LIM)
    not_passed(r, "error", "memory")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 32 * 1024  # KiB: the host did not grow


@pytest.mark.parametrize("where", ["call", "module"])
def test_infinite_loop_times_out(where):
    code = "def f(x):\n    while True:\n        pass\n" if where == "call" else "while True:\n    pass\n"
    r = run_tests(code, CHECK, "f", SHORT)
    not_passed(r, "timeout", "timeout")
    assert SHORT.timeout <= r.wall_s < SHORT.timeout + 1.5


def test_ignoring_sigterm_and_alarm_tricks_change_nothing():
    code = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ndef f(x):\n    while True:\n        pass\n"
    not_passed(run_tests(code, CHECK, "f", SHORT), "timeout", "timeout")
    code = "import signal\ndef f(x):\n    signal.signal(signal.SIGALRM, lambda *a: exec('raise SystemExit(0)'))\n    signal.setitimer(signal.ITIMER_REAL, 0.01)\n    while True:\n        pass\n"
    not_passed(run_tests(code, CHECK, "f", SHORT), "failed", "exited_early")


def test_huge_output_is_capped():
    code = (
        "import sys\ndef f(x):\n    while True:\n        sys.stdout.write('x' * 65536)\n        sys.stderr.write('y' * 65536)\n"
    )
    r = run_tests(code, CHECK, "f", SHORT)
    not_passed(r, "failed", "output_limit")
    assert r.truncated and max(len(r.stdout), len(r.stderr)) == SHORT.output_bytes >= min(len(r.stdout), len(r.stderr))
    assert r.wall_s < SHORT.timeout / 2  # killed at the cap, not at the timeout
    r = run_program("print('z' * 50_000_000)", SHORT)
    not_passed(r, "failed", "output_limit")
    assert r.truncated and r.stdout == "z" * SHORT.output_bytes


@pytest.mark.parametrize("who", ["candidate", "candidate_stderr", "tests", "program"])
def test_output_over_the_cap_fails_fast_and_is_not_buffered(who):
    """100 MiB of output and then a correct function: fails, killed early, the host keeps <= cap."""
    import tracemalloc

    flood, good = "import sys\nsys.%s.write('x' * (100 << 20))\n", "def f(x):\n    return x + 1\n"
    tracemalloc.start()
    try:
        if who == "program":
            r = run_program(flood % "stdout", LIM)
        elif who == "tests":
            r = run_tests(good, (flood % "stdout") + CHECK, "f", LIM)
        else:
            r = run_tests((flood % ("stderr" if who.endswith("stderr") else "stdout")) + good, CHECK, "f", LIM)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.status == "failed" and r.detail == ("output_limit: tests" if who == "tests" else "output_limit"), r
    assert max(len(r.stdout), len(r.stderr), len(r.test_output)) == LIM.output_bytes
    assert r.wall_s < 2 and peak < 4 << 20, (r.wall_s, peak)  # bytes: 100 MiB was never held by the host


def test_output_up_to_the_cap_passes():
    cap = LIM.output_bytes
    code = f"import sys\nsys.stdout.write('x' * {cap})\nsys.stderr.write('y' * {cap})\ndef f(x):\n    return x + 1\n"
    r = run_tests(code, f"print('t' * {cap - 1})\n" + CHECK, "f", LIM)
    assert r.passed and not r.truncated and (r.stdout, r.stderr) == ("x" * cap, "y" * cap), r
    assert r.test_output == "t" * (cap - 1) + "\n"
    r = run_program(f"print('z' * {cap - 1})", LIM)
    assert r.passed and r.stdout == "z" * (cap - 1) + "\n", r
    not_passed(run_program(f"print('z' * {cap})", LIM), "failed", "output_limit")  # one byte over: the newline


def test_disk_use_is_bounded(mode):
    code = """
def f(x):
    n = big = 0
    for i in range(200):
        try:
            with open("f%d" % i, "wb") as fh:
                fh.write(b"x" * (1 << 16))
            n += 1
        except OSError:
            pass
    try:
        with open("big", "wb") as fh:
            for _ in range(64):
                big += fh.write(b"x" * (1 << 20))
    except OSError:
        pass
    return 2 if n > 64 or big > 16 << 20 else 0
"""
    r = run_tests(code, CHECK, "f", LIM)
    not_passed(r, "failed", "unsafe: open")
    assert "more than 64 files written" in r.detail
