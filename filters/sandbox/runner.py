"""The public entry points: `run_program` (one program), `run_tests` (a candidate process and
a judge process wired by pipes, success only by the judge's nonce), `run_many` (jobs on a
thread pool, results in order), and how a run's reports, exit codes, timeout and output
over the cap (`output_limit`) become a `Result`.

Does NOT cover: launching, reading or killing processes (`launch`) or what the candidate and
judge processes do inside (`guest/roles.py`).
"""

from __future__ import annotations

import os
import time

from .launch import _pump, _Run, _Sink
from .limits import Job, Limits, Result

_GRACE_S = 1.0  # after the judge is done, how long the candidate may take to exit by itself
_FAILED_KINDS = {"tests_failed", "exited_early", "unsafe"}  # other judge reports are errors


def _signal_detail(rc: int | None) -> tuple[str, str]:
    import signal

    if rc is not None and rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
        return ("timeout", "timeout: cpu") if name == "SIGXCPU" else ("error", f"killed: {name}")
    return "error", f"harness: exited {rc} without a report"


def _verdict(report: str, nonce: str | None, rc: int | None, cand_rc: int | None) -> tuple[str, str | None]:
    lines = report.splitlines()
    if nonce is not None and f"OK {nonce}" in lines and rc == 0:
        return "passed", None
    fails = [ln[2:] for ln in lines if ln.startswith("F ")]
    if not fails:
        return ("passed", None) if nonce is None and rc == 0 else _signal_detail(rc)
    kind, _, text = fails[0].partition(" ")
    if kind == "exited_early" and cand_rc is not None and cand_rc < 0:
        return _signal_detail(cand_rc)
    detail = f"{kind}: {text}" if text else kind
    return ("failed" if kind in _FAILED_KINDS else "error"), detail


def _finish(run: _Run, t0: float, timed_out: bool, out: _Sink, err: _Sink, reports: list[_Sink], verdict,
            jout: _Sink | None = None) -> Result:  # fmt: skip
    run.close()
    violations = [ln[2:] for s in reports for ln in s.text().splitlines() if ln.startswith("V ")]
    over = next((s.over for s in (out, err, jout) if s is not None and s.over), None)
    if timed_out:
        status, detail = "timeout", "timeout"
    elif violations:
        status, detail = "failed", f"unsafe: {violations[0]}"
    elif over:
        status, detail = "failed", over
    else:
        status, detail = verdict()
    return Result(status, detail, run.procs[0].returncode, out.text(), err.text(), round(time.monotonic() - t0, 4),
                  bool(out.dropped or err.dropped), violations)  # fmt: skip


def run_program(code: str, limits: Limits | None = None) -> Result:
    """Run `code` as a program: passed when it exits 0 with nothing refused and its output
    within the cap."""
    limits = limits or Limits.from_env()
    t0 = time.monotonic()
    run = _Run(limits)
    try:
        p, rep = run.start({"role": "program", "code": code}, ())
        cap = limits.output_bytes
        out, err = _Sink(p.stdout.fileno(), cap, limit="output_limit"), _Sink(p.stderr.fileno(), cap, limit="output_limit")
        reps = [_Sink(rep, 1 << 16)]
        timed_out = _pump([out, err, *reps], t0 + limits.timeout)
    except BaseException:
        run.close()
        raise
    return _finish(run, t0, timed_out, out, err, reps, lambda: _verdict(reps[0].text(), None, p.returncode, None))


def run_tests(code: str, test: str, entry_point: str | None = None, limits: Limits | None = None) -> Result:
    """Run `code` in one sandbox and `test` in another against its functions (see the module
    docstring). With `entry_point`, `check(<that function>)` is called after the test code."""
    import secrets

    limits = limits or Limits.from_env()
    t0, nonce = time.monotonic(), secrets.token_hex(16)
    run = _Run(limits)
    try:
        req_r, req_w = run.pipe()
        resp_r, resp_w = run.pipe()
        cand, cand_rep = run.start({"role": "candidate", "code": code, "rfd": req_r, "wfd": resp_w}, (req_r, resp_w))
        judge, judge_rep = run.start({"role": "tests", "test": test, "entry_point": entry_point, "nonce": nonce,
                                      "rfd": resp_r, "wfd": req_w}, (resp_r, req_w), merge_stderr=True)  # fmt: skip
        out, err = (
            _Sink(cand.stdout.fileno(), limits.output_bytes, False, "output_limit"),
            _Sink(cand.stderr.fileno(), limits.output_bytes, False, "output_limit"),
        )
        jout, reps = (
            _Sink(judge.stdout.fileno(), limits.output_bytes, limit="output_limit: tests"),
            [_Sink(judge_rep, 1 << 16), _Sink(cand_rep, 1 << 16, False)],
        )
        deadline = t0 + limits.timeout
        timed_out = _pump([out, err, jout, *reps], deadline)
        if not timed_out and not any(s.over for s in (out, err, jout)):
            # the judge is done; the candidate exits once its request pipe closes
            for s in (out, err, reps[1]):
                s.required = True
            _pump([out, err, reps[1]], min(deadline, time.monotonic() + _GRACE_S))
    except BaseException:
        run.close()
        raise
    res = _finish(run, t0, timed_out, out, err, reps,
                  lambda: _verdict(reps[0].text(), nonce, judge.returncode, cand.returncode), jout)  # fmt: skip
    res.test_output = jout.text()
    return res


def run_many(jobs, limits: Limits | None = None, workers: int | None = None, progress=None) -> list[Result]:
    """Run `Job`s concurrently on `workers` threads (default DATAGEN_SANDBOX_WORKERS, else the
    CPU count), each waiting on its sandbox; results in job order. `progress(done, total, i,
    result)` is called in the calling thread as each one finishes."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    jobs, limits = list(jobs), limits or Limits.from_env()
    workers = workers or int(os.environ.get("DATAGEN_SANDBOX_WORKERS") or 0) or 2 * (os.cpu_count() or 1)

    def one(job: Job) -> Result:
        if job.test is None:
            return run_program(job.code, limits)
        return run_tests(job.code, job.test, job.entry_point, limits)

    results: list = [None] * len(jobs)
    with ThreadPoolExecutor(max(1, min(workers, len(jobs) or 1))) as ex:
        futures = {ex.submit(one, job): i for i, job in enumerate(jobs)}
        for done, fut in enumerate(as_completed(futures), 1):
            i = futures[fut]
            results[i] = fut.result()
            if progress is not None:
                progress(done, len(jobs), i, results[i])
    return results
