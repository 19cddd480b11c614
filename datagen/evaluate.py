"""`datagen eval`: pass@1 and unbiased pass@k of a model on a dataset version, a file, a
benchmark or held-out procedural problems, scored by the same verifiers that filter data
and reward GRPO.

Problems: `procedural` (the tiny model's held-out arithmetic test split), a benchmark name
from the registry (`gsm8k`, `math500`, ...) or a path, or rows of `NAME@vN` / a
.jsonl/.parquet file (a `prompt` column — messages or text — or a `question` column put
into the template; every other column goes to the verifier, e.g. `answer`). Generation goes
through any datagen backend and the request cache (sample i of a problem has its own
seed, so a re-run is free and an interrupted eval resumes). pass@k is Chen et al.'s
unbiased estimator over n >= k samples per problem; problems the verifier cannot judge
(None) are left out and counted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from datagen.errors import UserError


def pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n-c, k) / C(n, k), computed as a stable product."""
    import numpy as np

    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


@dataclass
class Problems:
    label: str
    conversations: list  # one chat per problem
    columns: dict  # column -> list, passed to the verifier
    ids: list


def load_problems(data: str, store, *, limit: int | None, seed: int, template: str) -> Problems:
    """Problems from `procedural[:N]`, a benchmark, NAME@vN or a file."""
    from datagen.store import is_ref

    def chat(questions):
        return [[{"role": "user", "content": template.format(question=q)}] for q in questions]

    if data == "procedural" or data.startswith("procedural:"):
        from datagen.tiny.tasks import make_problems

        rows = make_problems(limit or 200, seed=seed, split="test")
        return Problems(f"procedural:arithmetic:test:seed={seed}", chat([r["question"] for r in rows]),
                        {"answer": [r["answer"] for r in rows]}, [r["id"] for r in rows])
    if is_ref(data) or data.lower().endswith((".jsonl", ".json", ".parquet")):
        from datagen.train.data import load_table

        table, ident = load_table(data, "train" if is_ref(data) else None, store)
        if limit:
            table = table.slice(0, limit)
        cols = table.to_pydict()
        if "prompt" in cols:
            convs = [[{"role": "user", "content": p}] if isinstance(p, str) else p for p in cols["prompt"]]
        elif "question" in cols:
            convs = chat(cols["question"])
        else:
            raise UserError(f"--data {data}: needs a `prompt` or `question` column (has {', '.join(cols)})")
        extra = {k: v for k, v in cols.items() if k not in ("prompt", "completion", "messages", "chosen", "rejected", "meta")}
        ids = cols.get("id") or [f"row-{i + 1}" for i in range(table.num_rows)]
        return Problems(ident["ref"], convs, extra, ids)
    from filters.benchmarks import load_benchmark

    b = load_benchmark(data, "--data")
    n = min(limit or len(b.questions), len(b.questions))
    return Problems(b.source, chat(b.questions[:n]), {"answer": b.answers[:n], **{c: v[:n] for c, v in b.columns.items()}}, b.ids[:n])


def evaluate(llm, problems: Problems, verifier, *, n: int, ks: list[int], sampling) -> dict:
    """Generate n samples per problem, score them, and compute pass@k for each k <= n."""
    t0 = time.perf_counter()
    outs = llm.generate(problems.conversations, sampling.model_copy(update={"n": n}))
    per_problem = []
    prompts, completions, cols = [], [], {k: [] for k in problems.columns}
    for i, samples in enumerate(outs):
        for c in samples:
            prompts.append(problems.conversations[i])
            completions.append(c.text)
            for k, v in problems.columns.items():
                cols[k].append(v[i])
    scores = verifier(prompts, completions, **cols)
    judged = 0
    for i in range(len(outs)):
        s = scores[i * n:(i + 1) * n]
        if any(x is None for x in s):
            per_problem.append({"id": problems.ids[i], "n": n, "correct": None})
            continue
        judged += 1
        per_problem.append({"id": problems.ids[i], "n": n, "correct": int(sum(x >= 1.0 for x in s))})
    done = [p for p in per_problem if p["correct"] is not None]
    if not done:
        raise UserError("eval: the verifier could judge none of the problems (do they have reference answers?)")
    result = {f"pass@{k}": round(sum(pass_at_k(n, p["correct"], k) for p in done) / len(done), 4) for k in ks if k <= n}
    return {
        **result,
        "problems": len(per_problem),
        "judged": judged,
        "n": n,
        "seconds": round(time.perf_counter() - t0, 1),
        "per_problem": per_problem,
        "completion_tokens": sum(c.completion_tokens for s in outs for c in s),
    }


def ks_for(k: int, n: int) -> list[int]:
    """pass@1, pass@k and the powers of two between."""
    out = [1]
    x = 2
    while x < k:
        out.append(x)
        x *= 2
    return sorted(set(out + [k])) if k <= n else out


def eval_model(model_spec, ev, store, progress: bool = False, field: str = "model") -> dict:
    """Score `model_spec` (a ModelSpec) as `ev` (an EvalSpec) says, through the request cache.
    `field` names the model in errors (`--model` on the command line)."""
    from datagen.llm import make_llm
    from datagen.llm.cache import RequestCache
    from datagen.progress import quiet
    from filters.verify import get_verifier
    from schemas.prompts import SOLVE
    from schemas.sampling import Sampling

    n = ev.n or ev.k
    if n < ev.k:
        raise UserError(f"n {n}: pass@{ev.k} needs at least k samples per problem")
    fn = get_verifier(ev.verifier, "verifier")
    template = {"solve": SOLVE, "plain": "{question}"}.get(ev.template, ev.template)
    if "{question}" not in template:
        raise UserError(f"template {ev.template!r}: a template must contain {{question}}")
    problems = load_problems(ev.data, store, limit=ev.limit, seed=ev.seed, template=template)
    sampling = Sampling(temperature=ev.temperature, top_p=ev.top_p, max_tokens=ev.max_tokens, seed=ev.seed)
    cache_path = store.root / ".cache" / "requests.sqlite"
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache = RequestCache(cache_path)
    try:
        llm = make_llm(model_spec, cache, progress=progress and not quiet(), field=field, announce=True)
    except BaseException:
        cache.close()
        raise
    try:
        result = evaluate(llm, problems, fn, n=n, ks=ks_for(ev.k, n), sampling=sampling)
    finally:
        llm.close()
        cache.close()
    return {"model": model_spec.model or "datagen-tiny", "data": problems.label, "verifier": ev.verifier,
            "backend": model_spec.backend, "sampling": sampling.model_dump(), **result}
