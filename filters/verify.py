"""Verifiers: plain functions with TRL's reward signature, used to filter, reward and evaluate.

`verifier(prompts, completions, **columns) -> list[float | None]`: 1.0 correct, 0.0 wrong,
None when the row has nothing to check against. `completions` may be strings or TRL
conversational completions (lists of messages; the last message's content is judged).
Each verifier carries `name` and `version`, recorded in every row it judges.

This module holds the math final-answer verifier (built on `math-verify`); the code and
instruction-constraint verifiers arrive with the filters issue.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from datagen.errors import UserError

Verifier = Callable[..., list]


def completion_text(c) -> str:
    """The text of one completion: a string, a message dict, or a list of messages."""
    if isinstance(c, str):
        return c
    if isinstance(c, dict):
        return c.get("content") or ""
    if isinstance(c, (list, tuple)) and c:
        return completion_text(c[-1])
    return ""


def _timeouts() -> dict:
    # math-verify guards parsing with signal.alarm, which only works in the main thread
    main = threading.current_thread() is threading.main_thread()
    return {"parsing_timeout": 5 if main else None}


def parse_answer(text: str):
    """Final answer of a model response: last \\boxed{}, else 'the answer is', else last number."""
    from math_verify import parse

    return parse(text, **_timeouts())


def final_answer(text: str) -> str | None:
    """The final answer as text: the content of the last \\boxed{...} (nested braces allowed),
    else the last thing math-verify extracts, else None. For majority votes and reports."""
    start = text.rfind("\\boxed{")
    if start >= 0:
        depth, i = 1, start + len("\\boxed{")
        for j in range(i, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                return text[i:j].strip() or None
    found = parse_answer(text) if text.strip() else []
    return str(found[-1]) if found else None


def parse_gold(answer: str):
    from math_verify import parse

    answer = answer.strip()
    src = answer if ("\\boxed" in answer or "$" in answer) else f"\\boxed{{{answer}}}"
    return parse(src, **_timeouts())


_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")


def _plain_number(text: str) -> float | None:
    t = text.strip().strip("$").replace(",", "").replace(" ", "")
    return float(t) if _NUMBER.match(t) else None


def _fast_compare(text: str, gold: str) -> float | None:
    """The common case without sympy: exactly one \\boxed{} holding a plain number, and a
    plain-number reference. None when math-verify must decide."""
    g = _plain_number(gold)
    if g is None or text.count("\\boxed") != 1:
        return None
    m = _BOXED.search(text)
    p = _plain_number(m.group(1)) if m else None
    if p is None:
        return None
    return 1.0 if abs(p - g) <= 1e-6 * max(1.0, abs(g)) else 0.0


def math_answer(prompts, completions, answer=None, **_) -> list[float | None]:
    """1.0 if the completion's final answer equals the reference `answer` (math-verify; plain
    numbers in a single \\boxed{} are compared directly, which is what math-verify concludes
    for them, only faster)."""
    from math_verify import verify

    if answer is None:
        return [None] * len(completions)
    main = threading.current_thread() is threading.main_thread()
    out: list[float | None] = []
    gold_cache: dict[str, object] = {}
    for comp, gold in zip(completions, answer, strict=True):
        if gold is None or str(gold).strip() == "":
            out.append(None)
            continue
        text = completion_text(comp)
        fast = _fast_compare(text, str(gold))
        if fast is not None:
            out.append(fast)
            continue
        g = gold_cache.get(gold)
        if g is None:
            g = gold_cache[gold] = parse_gold(str(gold))
        pred = parse_answer(text)
        ok = bool(pred) and bool(g) and verify(g, pred, timeout_seconds=5 if main else None)
        out.append(1.0 if ok else 0.0)
    return out


math_answer.name = "math_answer"  # type: ignore[attr-defined]
math_answer.version = "1"  # type: ignore[attr-defined]


def as_verifier(judge, name: str, version: str) -> Verifier:
    """A TRL reward function from a `judge(prompts, completions, **columns) -> [(score, reason)]`.
    The function returns the scores; `.judge` keeps the reasons for filters and reports."""

    def verifier(prompts, completions, **columns) -> list[float | None]:
        return [score for score, _ in judge(prompts, completions, **columns)]

    verifier.__name__ = verifier.__qualname__ = name
    verifier.name, verifier.version, verifier.judge = name, version, judge  # type: ignore[attr-defined]
    return verifier


def _math_judge(prompts, completions, answer=None, **_):
    scores = math_answer(prompts, completions, answer=answer)
    return [(s, why_rejected(s, completion_text(c))) for s, c in zip(scores, completions, strict=True)]


math_answer.judge = _math_judge  # type: ignore[attr-defined]

# name -> the verifier, or the module that defines `judge`, `NAME` and `VERSION` (imported on first use)
VERIFIERS: dict[str, Verifier | str] = {
    "math_answer": math_answer,
    "code_tests": "filters.code_tests",
    "ifeval": "filters.ifeval",
}


def get_verifier(name: str, field: str = "verifier") -> Verifier:
    found = VERIFIERS.get(name)
    if found is None:
        raise UserError(f"{field}: unknown verifier {name!r} (known: {', '.join(sorted(VERIFIERS))})")
    if isinstance(found, str):
        import importlib

        mod = importlib.import_module(found)
        found = VERIFIERS[name] = as_verifier(mod.judge, mod.NAME, mod.VERSION)
    return found


def why_rejected(score: float | None, text: str) -> str | None:
    """Reject reason for a verifier score: None (kept), 'no_answer', 'wrong_answer' or 'unverifiable'."""
    if score is None:
        return "unverifiable"
    if score >= 1.0:
        return None
    if _BOXED.search(text):  # an answer was given (and judged wrong); no need to parse it again
        return "wrong_answer"
    return "wrong_answer" if parse_answer(text) else "no_answer"


class VerifyFilter:
    """Filter stage: score each row's response with a verifier; keep score >= threshold (no
    threshold: keep every row). Every row gets a float `reward` column (null: not applicable).
    The verifier sees every other column of the row as a keyword argument, as under TRL."""

    scope = "shard"

    def __init__(self, spec, ctx=None):
        self.spec = spec
        self.field = getattr(ctx, "field", "stage")
        self.verifier = get_verifier(spec.verifier, f"{self.field}.verifier")

    def describe(self) -> dict:
        out = {"filter": "verify", "verifier": {"name": self.verifier.name, "version": self.verifier.version}}
        if self.spec.column != "completion":
            out["column"] = self.spec.column
        return out

    def __call__(self, ds):
        from datagen.verdict import Verdict

        col = self.spec.column
        if col not in ds.column_names:
            hint = "; put a generator stage before it" if col == "completion" else ""
            raise UserError(f"{self.field}.column: rows have no {col!r} column{hint} (columns: {', '.join(ds.column_names)})")
        completions = ds[col]
        prompts = ds["prompt"] if "prompt" in ds.column_names else [None] * len(completions)
        columns = {k: ds[k] for k in ds.column_names if k not in ("prompt", col, "meta")}
        judged = self.verifier.judge(prompts, completions, **columns)
        threshold = self.spec.threshold
        scores = [s for s, _ in judged]
        reasons = [
            None if threshold is None or (s is not None and s >= threshold) else (r or "below_threshold") for s, r in judged
        ]
        return Verdict(
            keep=[r is None for r in reasons],
            reason=reasons,
            score=scores,
            name=self.verifier.name,
            version=self.verifier.version,
            added={"reward": scores},
        )
