"""Rejection sampling: k samples per prompt, each verified; correct samples are kept.

Every sample becomes a row (prompt/completion in TRL's conversational format) with its
lineage; wrong, unparseable, failed or surplus samples become rejected rows with their
reason, and every row records its prompt's pass rate. DART-Math budgets, pass-rate bands,
preference pairs and best-of-n arrive with the generators issue.
"""

from __future__ import annotations

from filters.verify import completion_text, get_verifier, why_rejected
from generators.common import child_row, model_label, output_schema, render_prompts


class RejectionSampler:
    scope = "shard"

    def __init__(self, spec, ctx):
        self.spec = spec
        self.ctx = ctx
        self.verifier = get_verifier(spec.verifier, f"stages.{ctx.index}.verifier")

    def describe(self) -> dict:
        return {
            "generator": "rejection",
            "model": self.ctx.model_identity(self.spec.model),
            "verifier": {"name": self.verifier.name, "version": self.verifier.version},
        }

    def __call__(self, ds):
        import pyarrow as pa

        spec = self.spec
        rows = ds.to_list() if hasattr(ds, "to_list") else ds.to_dicts()
        if not rows:
            return pa.Table.from_pylist([], schema=output_schema())
        convs = render_prompts(rows, spec.prompt_template, spec.system_prompt, f"stages.{self.ctx.index}.prompt_template")
        sampling = spec.sampling.model_copy(update={"n": spec.k})
        llm = self.ctx.llm(spec.model)
        results = llm.generate(convs, sampling)
        model = model_label(llm.identity)

        flat = [(ri, i, c) for ri, comps in enumerate(results) for i, c in enumerate(comps)]
        ok = [j for j, (_, _, c) in enumerate(flat) if c.ok]
        scores: list = [None] * len(flat)
        judged = self.verifier(
            prompts=[convs[flat[j][0]] for j in ok],
            completions=[[{"role": "assistant", "content": flat[j][2].text}] for j in ok],
            answer=[rows[flat[j][0]]["answer"] for j in ok],
        )
        for j, score in zip(ok, judged, strict=True):
            scores[j] = score

        out, j = [], 0
        for r, conv, comps in zip(rows, convs, results, strict=True):
            mine = scores[j : j + len(comps)]
            valid = [s for s, c in zip(mine, comps, strict=True) if c.ok and s is not None]
            pass_rate = sum(valid) / len(valid) if valid else None
            n_correct = 0
            for i, (c, score) in enumerate(zip(comps, mine, strict=True)):
                if not c.ok:
                    reason = f"llm_error: {c.error}"
                else:
                    reason = why_rejected(score, completion_text(c.text))
                    if reason is None:
                        n_correct += 1
                        if spec.max_correct_per_prompt and n_correct > spec.max_correct_per_prompt:
                            reason = "over_max_correct_per_prompt"
                row = child_row(r, spec.label, i, conv, c, model, sampling, pass_rate=pass_rate)
                if c.ok:
                    row["meta"]["verdicts"].append(
                        {"name": self.verifier.name, "version": self.verifier.version, "score": score, "passed": reason is None}
                    )
                row["reject_reason"] = reason
                out.append(row)
            j += len(comps)
        return pa.Table.from_pylist(out, schema=output_schema())
