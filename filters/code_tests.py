"""`code_tests` verifier: run a completion's code against the row's tests in the sandbox.

`judge(prompts, completions, test=None, entry_point=None)` returns one `(score, reason)` per
row: `(1.0, None)` when every test passed; `(0.0, reason)` with reason `tests_failed`,
`timeout`, `no_code`, `output_limit` (the code wrote more than DATAGEN_SANDBOX_OUTPUT_BYTES
to stdout or stderr; `output_limit: tests`: the tests did), `unsafe: <what was refused>` or
`error: <short>`; `(None, "unverifiable")` when the row has no `test`.
`filters.verify.get_verifier("code_tests")` wraps it into a TRL reward function.

Code is the last ```python fenced block of the completion (the last message's content for
conversational completions), else the last fenced block of any language, else the whole text
if it parses as Python. Tests come in two forms: HumanEval style (`test` defines
`check(candidate)` and `entry_point` names the function: `check(<that function>)` is called)
and plain asserts (`test` is run after the code, no `entry_point`). When the code does not
define `entry_point` but the prompt (a string) does, prompt + completion is run, as in
HumanEval's completion format. Rows run in parallel (`filters.sandbox.run_many`).

Limits: `filters.sandbox.Limits.from_env()` — DATAGEN_SANDBOX_TIMEOUT (s per row, default
10), _MEMORY_MB, _OUTPUT_BYTES, _FILE_MB, _NPROC, _NOFILE, _WORKERS. Not covered: tests that
need the candidate's classes or in-place mutation of arguments, third-party packages (the
sandbox has the stdlib only), languages other than Python; helpers that a HumanEval test
calls besides the entry point (`poly`, `encode_cyclic`) come from the candidate's code, as in
HumanEval's own harness. See filters/sandbox/__init__.py for what the sandbox does and does not hold.
"""

from __future__ import annotations

import ast
import re

from filters.sandbox import Job, Result, run_many
from filters.verify import completion_text

NAME = "code_tests"
VERSION = "2"  # 2: output over the sandbox cap fails (`output_limit`)

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_PYTHON = {"python", "py", "python3", "py3"}


def _parses(src: str) -> bool:
    try:
        ast.parse(src)
    except (SyntaxError, ValueError):
        return False
    return True


def extract_code(text: str) -> str | None:
    """The code in a completion: the last ```python block, else the last fenced block, else the
    text itself when it parses as Python; None when there is none."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text or "")]
    python = [body for lang, body in blocks if lang in _PYTHON]
    for body in python[-1:] or [b for _, b in blocks][-1:]:
        if body.strip():
            return body
    if text and text.strip() and "```" not in text and _parses(text):
        return text
    return None


def _program(prompt, completion, entry_point: str | None) -> str | None:
    """The source to run for one row (see the module docstring)."""
    text = completion_text(completion)
    code = extract_code(text)
    defines = re.compile(rf"^\s*(async\s+)?def\s+{re.escape(entry_point)}\s*\(", re.M) if entry_point else None
    if defines and not (code and defines.search(code)) and isinstance(prompt, str) and defines.search(prompt):
        whole = prompt + (code if code is not None and "```" in text else text)
        if _parses(whole):
            return whole
    return code


def _reason(r: Result) -> str | None:
    if r.passed:
        return None
    if r.status == "timeout":
        return "timeout"
    kind, _, text = (r.detail or "error").partition(": ")
    if kind in ("tests_failed", "unsafe"):
        return kind if kind == "tests_failed" else f"unsafe: {text}"
    if kind == "output_limit":
        return r.detail
    short = {"exited_early": "exited early", "memory": "memory", "no_function": text, "syntax": f"syntax: {text}"}
    return f"error: {short.get(kind, text or kind)}"[:200]


def judge(prompts, completions, test=None, entry_point=None, **_) -> list[tuple[float | None, str | None]]:
    """(score, reason) per row; see the module docstring."""
    n = len(completions)
    tests = list(test) if test is not None else [None] * n
    entries = list(entry_point) if entry_point is not None else [None] * n
    prompts = list(prompts) if prompts is not None else [None] * n
    out: list[tuple[float | None, str | None]] = [(None, "unverifiable")] * n
    jobs, where = [], []
    for i, (prompt, comp, t, ep) in enumerate(zip(prompts, completions, tests, entries, strict=True)):
        if t is None or not str(t).strip():
            continue
        code = _program(prompt, comp, ep or None)
        if code is None:
            out[i] = (0.0, "no_code")
            continue
        jobs.append(Job(code, str(t), ep or None))
        where.append(i)
    for i, r in zip(where, run_many(jobs), strict=True):
        out[i] = (1.0, None) if r.passed else (0.0, _reason(r))
    return out
