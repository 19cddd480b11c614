"""Math verification throughput: `math_answer` (datagen's verifier) vs calling math-verify
directly (parse the response, parse the gold, verify) on the same rows in one run, plus
the verdicts' agreement. Rows: MATH-500 and GSM8K references from ../shared/benchmarks,
each answered right in \\boxed{}, wrong in \\boxed{} (the next problem's answer), and in prose ("The answer is ...").

    python -m tests.benchmarks.bench_verify [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"


def rows() -> tuple[list[str], list[str], list[str]]:
    comps, golds, kinds = [], [], []
    for name in ("math500", "gsm8k"):
        path = BENCH / name / "test.jsonl"
        if not path.is_file():
            raise SystemExit(f"needs {path}")
        answers = [str(json.loads(line)["answer"]).strip() for line in path.open()]
        for gold, other in zip(answers, answers[1:] + answers[:1], strict=True):  # wrong: the next problem's answer
            for kind, text in (
                ("boxed_right", f"Working it through step by step.\nSo the result is $\\boxed{{{gold}}}$."),
                ("boxed_wrong", f"Working it through step by step.\nSo the result is $\\boxed{{{other}}}$."),
                ("prose", f"Working it through, the answer is {gold}."),
            ):
                comps.append(text)
                golds.append(gold)
                kinds.append(f"{name}:{kind}")
    return comps, golds, kinds


def raw_math_verify(comps, golds):
    from math_verify import parse, verify

    out = []
    for c, g in zip(comps, golds, strict=True):
        gp = parse(g if ("\\boxed" in g or "$" in g) else f"\\boxed{{{g}}}")
        out.append(1.0 if verify(gp, parse(c)) else 0.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from filters.verify import math_answer

    comps, golds, kinds = rows()
    n = len(comps)
    math_answer([None] * 50, comps[:50], answer=golds[:50]), raw_math_verify(comps[:50], golds[:50])  # imports, grammars
    ours, raw = [], []
    for _ in range(args.repeat):  # interleaved, best of each
        t = time.perf_counter()
        a = math_answer([None] * n, comps, answer=golds)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = raw_math_verify(comps, golds)
        raw.append(time.perf_counter() - t)
    agree = sum(x == y for x, y in zip(a, b, strict=True)) / n
    by_kind: dict[str, list[float]] = {}
    for k, s in zip(kinds, a, strict=True):
        by_kind.setdefault(k, []).append(s or 0.0)
    result = {
        "bench": "verify",
        "rows": n,
        "math_answer_rows_per_s": round(n / min(ours)),
        "math_verify_rows_per_s": round(n / min(raw)),
        "speedup": round(min(raw) / min(ours), 2),
        "agreement": round(agree, 4),
        "accept_rate_by_kind": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_kind.items())},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
