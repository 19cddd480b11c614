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
from collections.abc import Callable
from fractions import Fraction

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
    from filters.math_values import timeout

    return {"parsing_timeout": timeout()}


def parse_answer(text: str):
    """Final answer of a model response: last \\boxed{}, else 'the answer is', else last number."""
    from math_verify import parse

    return parse(text, **_timeouts())


def final_answer(text: str) -> str | None:
    """The final answer as text: the last \\boxed{...} (nested braces allowed), an "answer is /
    Answer:" phrase or a short last line (filters/math_grade.py), else the last thing math-verify
    extracts, else None. For grading, majority votes and reports."""
    from filters.math_extract import extract_answer

    found = extract_answer(text)
    if found is not None or not text.strip():
        return found
    parsed = parse_answer(text)
    return str(parsed[-1]) if parsed else None


def parse_gold(answer: str):
    from math_verify import parse

    answer = answer.strip()
    src = answer if ("\\boxed" in answer or "$" in answer) else f"\\boxed{{{answer}}}"
    return parse(src, **_timeouts())


_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")


def _plain_number(text: str) -> Fraction | None:
    t = text.strip().strip("$")
    t = t.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d*)?", t) else t  # `1,000`, but `1,2` and `1, 234` are lists
    t = t.replace(" ", "")
    return Fraction(t) if _NUMBER.match(t) else None


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
    return 1.0 if p == g else 0.0  # exact: 0.1 != 0.10000000000000001


def math_answer(prompts, completions, answer=None, **_) -> list[float | None]:
    """1.0 if the completion's final answer equals the reference `answer`: extracted by
    `final_answer`, compared by filters/math_grade.py (math-verify plus the conventions it
    misses, exact where a float tolerance would equate different numbers). Plain numbers in a
    single \\boxed{} are compared directly, the common case, without sympy."""
    from filters.math_grade import grade

    if answer is None:
        return [None] * len(completions)
    out: list[float | None] = []
    for comp, gold in zip(completions, answer, strict=True):
        if gold is None or str(gold).strip() == "":
            out.append(None)
            continue
        text = completion_text(comp)
        fast = _fast_compare(text, str(gold))
        if fast is not None:
            out.append(fast)
            continue
        pred = final_answer(text)
        out.append(1.0 if pred is not None and grade(str(gold), pred) else 0.0)
    return out


math_answer.name = "math_answer"  # type: ignore[attr-defined]
math_answer.version = "4"  # type: ignore[attr-defined]


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

def math_verify_only(prompts, completions, answer=None, **_) -> list[float | None]:
    """math-verify alone (its own extraction and comparison): a second opinion for
    `datagen verify --audit math_verify`, to see where it and `math_answer` part ways."""
    from math_verify import verify

    from filters.math_values import timeout

    out: list[float | None] = []
    for comp, gold in zip(completions, answer if answer is not None else [None] * len(completions), strict=True):
        if gold is None or str(gold).strip() == "":
            out.append(None)
            continue
        g, pred = parse_gold(str(gold)), parse_answer(completion_text(comp))
        out.append(1.0 if g and pred and verify(g, pred, timeout_seconds=timeout()) else 0.0)
    return out


math_verify_only.name, math_verify_only.version = "math_verify", "0.9"  # type: ignore[attr-defined]
math_verify_only.judge = lambda prompts, completions, answer=None, **_: [  # type: ignore[attr-defined]
    (s, why_rejected(s, completion_text(c))) for s, c in zip(math_verify_only(prompts, completions, answer=answer), completions, strict=True)
]

# name -> the verifier, or the module that defines `judge`, `NAME` and `VERSION` (imported on first use)
VERIFIERS: dict[str, Verifier | str] = {
    "math_answer": math_answer,
    "math_verify": math_verify_only,
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


def audit_report(name_a: str, name_b: str, ids, completions, answers, judged_a, judged_b) -> dict:
    """Where two verifiers part ways on the same rows: counts and every disagreeing row (its
    id, reference answer, extracted final answer, both scores and reasons)."""
    rows = []
    for j, ((sa, ra), (sb, rb)) in enumerate(zip(judged_a, judged_b, strict=True)):
        if sa != sb:
            text = completion_text(completions[j])
            rows.append({
                "id": str(ids[j]), "answer": None if answers is None else answers[j], "final_answer": final_answer(text) if text else None,
                name_a: sa, f"{name_a}_reason": ra, name_b: sb, f"{name_b}_reason": rb,
            })
    return {"audit": {"verifier": name_a, "against": name_b, "rows": len(judged_a), "agree": len(judged_a) - len(rows), "disagree": len(rows), "disagreements": rows}}


class VerifyFilter:
    """Filter stage: score each row's response with a verifier; keep score >= threshold (no
    threshold: keep every row). Every row gets a float `reward` column (null: not applicable).
    The verifier sees every other column of the row as a keyword argument, as under TRL."""

    scope = "shard"

    def __init__(self, spec, ctx=None):
        self.spec = spec
        self.field = getattr(ctx, "field", "stage")
        self.verifier = get_verifier(spec.verifier, f"{self.field}.verifier")
        self.audit = get_verifier(spec.audit, f"{self.field}.audit") if spec.audit else None
        self._report: dict | None = None

    def report(self) -> dict | None:
        return self._report

    def describe(self) -> dict:
        out = {"filter": "verify", "verifier": {"name": self.verifier.name, "version": self.verifier.version}}
        if self.audit is not None:
            out["audit"] = {"name": self.audit.name, "version": self.audit.version}
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
        if self.audit is not None:
            second = self.audit.judge(prompts, completions, **columns)
            ids = ds["id"] if "id" in ds.column_names else [str(i) for i in range(len(completions))]
            self._report = audit_report(self.verifier.name, self.audit.name, ids, completions, columns.get("answer"), judged, second)
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
