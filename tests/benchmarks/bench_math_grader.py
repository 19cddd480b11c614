"""Math grader accuracy on the hand-written sets in tests/data/math_grader/ (gold/prediction
pairs labelled by a careful competition grader's conventions, four splits each written without
sight of the grader; the grader was mended on each split's errors after its first measurement,
which the README reports).

For each split and each grader (`math_answer`, math-verify alone) it reports accuracy with the
prediction as the end of a solution in `\\boxed{}`, as the bare answer, and on the unboxed
model responses (`completion` rows).

    python -m tests.benchmarks.bench_math_grader [--split tune|heldout|test|test2|test3|test4|test5|test6|test7|all] [--errors]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "math_grader"
SPLITS = ["tune", "heldout", "test", "test2", "test3", "test4", "test5", "test6", "test7"]


def load(split: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text().splitlines() if line.strip()]


def forms(row: dict) -> dict[str, str]:
    """The completions one row is judged in."""
    out = {"boxed": f"Working it through, the result follows.\n\nThe final answer is $\\boxed{{{row['pred']}}}$.", "bare": row["pred"]}
    if row.get("completion"):
        out["completion"] = row["completion"]
    return out


def evaluate(split: str, verifier_name: str = "math_answer") -> dict:
    """Accuracy per form, and the rows each form got wrong."""
    from filters.verify import get_verifier

    verifier = get_verifier(verifier_name)
    rows = load(split)
    result: dict = {}
    for form in ("boxed", "bare", "completion"):
        subset = [r for r in rows if form in forms(r)]
        scores = verifier(None, [forms(r)[form] for r in subset], answer=[r["gold"] for r in subset])
        wrong = [r for r, s in zip(subset, scores, strict=True) if (s == 1.0) != r["equivalent"]]
        result[form] = {"n": len(subset), "accuracy": round(1 - len(wrong) / len(subset), 3), "errors": wrong}
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="all", choices=[*SPLITS, "all"])
    ap.add_argument("--errors", action="store_true", help="list the misjudged rows")
    args = ap.parse_args()
    for split in (SPLITS if args.split == "all" else [args.split]):
        for name in ("math_answer", "math_verify"):
            res = evaluate(split, name)
            print(json.dumps({"split": split, "verifier": name, **{f: {k: v for k, v in r.items() if k != "errors"} for f, r in res.items()}}))
            if args.errors and name == "math_answer":
                for form, r in res.items():
                    for e in r["errors"]:
                        print(f"  [{form}] {e['id']} {e['category']}: gold={e['gold']!r} pred={e['pred']!r} label={e['equivalent']}  ({e.get('note', '')})")


if __name__ == "__main__":
    main()
