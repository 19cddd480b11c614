"""Does a coding task behave like a benchmark task? Its example calls (filters/example_calls.py)
are run against the benchmark's reference solution in the sandbox (filters/sandbox), and the
outputs compared with the ones the task states.

A rewrite keeps the behaviour whatever it renames or rewords: the reference solution returns
every output the rewrite's examples state, even for example inputs of its own. A look-alike
task with other behaviour (a boundary moved, ties broken the other way, odd for even) states
an output the reference does not return for at least one of its calls.

`Reference.of(benchmark)` finds the runnable items (an `entry_point` column and a solution:
the question followed by the answer, as HumanEval splits them, or the answer alone);
`outcomes(pairs, calls, reference)` runs each item once for all the calls asked of it and
returns, per (row, item) pair, (calls agreeing, calls with another output or that the
reference raised on, calls that gave no result: a timeout or an output that is not a
literal).

What it does not do: judge tasks without example calls, compare printed output or mutated
arguments, or run anything but the benchmark's own reference solutions (the row's text is only
parsed: its arguments and outputs are literals).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

_TIMEOUT_S = 10.0
_RAISED = object()


@dataclass
class Reference:
    """Per benchmark item (index into the concatenated reference set): its runnable solution
    and entry point, or nothing."""

    code: dict[int, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, benchmarks) -> Reference:
        ref, offset = cls(), 0
        for b in benchmarks:
            entry = b.columns.get("entry_point")
            if entry is not None:
                for k, (q, a, e) in enumerate(zip(b.questions, b.answers, entry, strict=True)):
                    code = _solution(q, a, e)
                    if code:
                        ref.code[offset + k] = (code, e)
            offset += len(b)
        return ref


def _solution(question: str | None, answer: str | None, entry: str | None) -> str | None:
    if not entry or not answer or not entry.isidentifier():
        return None
    for code in ((question or "") + answer, answer):
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        if any(isinstance(n, ast.FunctionDef) and n.name == entry for n in ast.walk(tree)):
            return code
    return None


def _program(code: str, entry: str, args: list[tuple]) -> str:
    return (
        f"{code}\n\n"
        "def __datagen_calls():\n"
        "    import copy\n"
        f"    f = {entry}\n"
        f"    for k, a in enumerate({args!r}):\n"
        "        try:\n"
        "            r = repr(f(*copy.deepcopy(a)))\n"
        "        except BaseException as e:\n"
        "            r = '!' + type(e).__name__\n"
        "        print(f'{k}\\t{r}'.replace('\\n', ' '), flush=True)\n"
        "__datagen_calls()\n"
    )


def _norm(v):
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def same(a, b) -> bool:
    """Equal as values: lists and tuples alike, floats within a relative 1e-6."""
    a, b = _norm(a), _norm(b)
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError, OverflowError):
            return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an odd value is just not equal
        return False


def call_key(call) -> str:
    """A call and its stated output as one comparable string."""
    args, value = call
    return repr((_norm(list(args)), _norm(value)))


def outcomes(
    pairs, calls: list[list], reference: Reference, workers: int | None = None, stated: dict[int, set[str]] | None = None
) -> dict[tuple[int, int], tuple[int, int, int]]:
    """For each (row, item) pair whose row has calls and whose item a reference solution:
    (agree, differ, unknown) over the row's calls. Each item runs once, in the sandbox, for the
    calls of every row paired with it. A call the item's own text states with the same output
    (`stated[item]`, keys from `call_key`) agrees without running: a benchmark's docstring
    example its reference solution contradicts (HumanEval has a few) must not make a copy
    look like another task."""
    from filters.sandbox import Job, Limits, run_many

    by_item: dict[int, list[int]] = {}
    for j, i in pairs:
        if calls[j] and i in reference.code:
            by_item.setdefault(int(i), []).append(int(j))
    if not by_item:
        return {}
    items = sorted(by_item)
    jobs, index = [], []
    for i in items:
        args, where = [], []
        for j in sorted(set(by_item[i])):
            for c, (a, _) in enumerate(calls[j]):
                args.append(a)
                where.append((j, c))
        code, entry = reference.code[i]
        jobs.append(Job(_program(code, entry, args)))
        index.append(where)
    results = run_many(jobs, Limits.from_env(timeout=_TIMEOUT_S), workers=workers)
    out: dict[tuple[int, int], list[int]] = {}
    for i, where, res in zip(items, index, results, strict=True):
        got: dict[int, object] = {}
        for line in res.stdout.splitlines():
            k, _, r = line.partition("\t")
            if not k.isdigit():
                continue
            if r.startswith("!"):  # the reference solution does not take these arguments
                got[int(k)] = _RAISED
                continue
            try:
                got[int(k)] = ast.literal_eval(r)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
        for k, (j, c) in enumerate(where):
            tally = out.setdefault((j, i), [0, 0, 0])
            if stated and call_key(calls[j][c]) in stated.get(i, ()):
                tally[0] += 1
            elif k not in got:
                tally[2] += 1
            elif got[k] is not _RAISED and same(got[k], calls[j][c][1]):
                tally[0] += 1
            else:
                tally[1] += 1
    return {p: (a, d, u) for p, (a, d, u) in out.items()}
