"""Rewriting: RAFT-style self-conditioned solution rewriting, and prompt evolution.

`SolutionRewriter` (`type: rewrite`): the model rewrites each row's reference solution
(`solution_column`: the seed's `solution`, or a `completion` from an earlier stage) in its own
words, k times. Each rewrite becomes an SFT row answering the row's solve prompt, kept only if
it still verifies against the row's answer (`keep_if: verifies`), if its embedding stays within
`min_similarity` (cosine) of the reference's (`keep_if: similar`, for rows without checkable
answers), or whenever it is non-empty (`keep_if: any`). Rows without a solution are rejected
(`no_solution`). With `output_schema` each rewrite is a JSON record (`generators.shapes.Record`):
the verifier grades its `answer_field` and the record lands in the `structured` column.

`PromptEvolver` (`type: evolve`): Evol-Instruct operations (deepen, constrain, concretize,
broaden) and paraphrase over each row's question, k samples per op; each usable result is a
new prompt row (`meta.generator` names the op). Only a paraphrase keeps the parent's answer;
an evolved problem's answer is unknown (solve it with a `rejection` stage and a majority or
judge reward, or vary with `variational` instead, which keeps answers). With `output_schema`
the model writes a JSON record (datagen/llm/structured.py) whose fields land in the struct
column `structured`, typed from the schema (datagen/json_columns.py).

Both take `verbalized` (Verbalized Sampling: a JSON list held to a built-in schema where the
backend constrains, `generators.shapes`, else the tagged list). What neither does: judge
rewrites with an LLM (quality filters do that downstream).
"""

from __future__ import annotations

from datagen.errors import UserError
from datagen.llm.base import model_label
from datagen.llm.structured import backend_of
from filters.verify import completion_text
from generators import common, shapes
from generators.base import VerifyingGenerator
from generators.candidates import draw
from generators.solving import verify
from schemas import prompts


class SolutionRewriter(VerifyingGenerator):
    kind = "rewrite"

    def __init__(self, spec, ctx):
        super().__init__(spec, ctx)
        self.shape, self.column = shapes.record_shape(spec, ctx, self.field)  # a record's fields: the `structured` column

    def __call__(self, ds):
        spec = self.spec
        rows = ds.to_list()
        if rows and spec.solution_column not in rows[0]:
            raise UserError(f"{self.field}.solution_column: rows have no column {spec.solution_column!r} "
                            f"(columns: {', '.join(rows[0])})")
        solutions = [completion_text(r.get(spec.solution_column)) for r in rows]
        todo = [j for j, s in enumerate(solutions) if s.strip()]
        jobs, refs = [rows[j] for j in todo], [solutions[j] for j in todo]
        llm = self.ctx.llm(spec.model) if todo else None  # no engine start when there is nothing to rewrite
        model = model_label(llm.identity) if llm else None
        asks = common.render_prompts(jobs, spec.rewrite_template, spec.system_prompt, f"{self.field}.rewrite_template", solution=refs)
        solve_convs = common.render_prompts(jobs, spec.prompt_template, spec.system_prompt, f"{self.field}.prompt_template")
        cands = draw(llm, asks, spec.sampling, spec.k, shape=self.shape)
        attempts = verify(self.verifier, solve_convs, [r["answer"] for r in jobs], cands)
        similar = self._similarities(refs, cands) if spec.keep_if == "similar" and todo else None
        out = []
        for j, (r, conv, att) in enumerate(zip(jobs, solve_convs, attempts, strict=True)):
            kept = 0
            for i, a in enumerate(att):
                reason = a.cand.error if not a.cand.ok else (a.reason if spec.keep_if == "verifies" else None)
                if similar is not None and reason is None and similar[j][i] < spec.min_similarity:
                    reason = "too_dissimilar"
                if reason is None:
                    kept += 1
                    if spec.max_correct_per_prompt and kept > spec.max_correct_per_prompt:
                        reason = "over_budget"
                sim = similar[j][i] if similar is not None else None
                row = common.child_row(r, spec.label, a.cand, conv, model, spec.sampling, score=a.score if sim is None else sim)
                if self.column is not None:
                    row["structured"] = self.column.value(a.cand.fields)
                if a.score is not None:
                    row["meta"]["verdicts"].append(common.verdict(self.verifier, a.score, a.correct))
                row["reject_reason"] = reason
                out.append(row)
        for j, s in enumerate(solutions):
            if not s.strip():
                row = {**{k: rows[j].get(k) for k in ("id", "question", "answer", "solution", "meta")},
                       "prompt": None, "completion": None, "reject_reason": "no_solution"}
                out.append(row)
        return common.to_table(out, shapes.with_column(common.output_schema(), self.column))

    def _similarities(self, references: list[str], cands) -> list[list[float]]:
        """Cosine of each rewrite to its reference solution."""
        from datagen.embeddings import embed

        texts = [c.text for cs in cands for c in cs]
        ref_vecs, vecs = embed(references, self.spec.embedding_model), embed(texts, self.spec.embedding_model)
        out, n = [], 0
        for ref, cs in zip(ref_vecs, cands, strict=True):
            out.append((vecs[n:n + len(cs)] @ ref).tolist())
            n += len(cs)
        return out


class PromptEvolver:
    scope = "shard"

    def __init__(self, spec, ctx):
        self.spec = spec
        self.ctx = ctx
        self.field = f"stages.{ctx.index}"
        self.templates = {op: spec.templates.get(op, prompts.EVOLVE[op]) for op in spec.ops}
        unknown = set(spec.templates) - set(prompts.EVOLVE)
        if unknown:
            raise UserError(f"{self.field}.templates: unknown op(s) {', '.join(sorted(unknown))} (known: {', '.join(prompts.EVOLVE)})")
        self.structured = self.shape = self.column = None
        if spec.output_schema is not None:
            from datagen.json_columns import JsonColumn
            from datagen.llm.structured import StructuredOutput

            self.structured = StructuredOutput(spec.output_schema, f"{self.field}.output_schema", backend_of(ctx, spec.model))
            self.column = JsonColumn(self.structured.schema)  # the fields' typed column, `structured`
        elif spec.verbalized is not None:
            self.shape = shapes.verbalized_shape(spec.verbalized, backend_of(ctx, spec.model))

    def report(self) -> None:
        return None

    def describe(self) -> dict:
        out = {"generator": "evolve", "model": self.ctx.model_identity(self.spec.model), "templates": self.templates}
        shape = self.shape.describe() if self.shape is not None else None
        out = {**out, "shape": shape} if shape else out
        return {**out, "output_schema": self.structured.describe() | {"column": str(self.column.type)}} if self.structured else out

    def __call__(self, ds):
        spec = self.spec
        rows = ds.to_list()
        if not rows:
            return common.to_table([], common.prompt_schema())
        llm = self.ctx.llm(spec.model)
        model = model_label(llm.identity)
        sampling = self.structured.sampling(spec.sampling) if self.structured else spec.sampling
        out = []
        for op, template in self.templates.items():
            convs = common.render_prompts(rows, template, spec.system_prompt, f"{self.field}.templates.{op}")
            for r, cs in zip(rows, draw(llm, convs, sampling, spec.k, shape=self.shape), strict=True):
                answer = r["answer"] if op == "paraphrase" else None  # only a paraphrase keeps the answer
                for c in cs:
                    fields, cand_answer = self.structured.take(c, answer) if self.structured else (None, answer)
                    row = common.problem_row(r, f"{spec.label}:{op}", c.key, c, cand_answer, spec.solve_template, spec.system_prompt,
                                             f"{self.field}.solve_template", model, sampling)
                    if self.structured:
                        row["structured"] = self.column.value(fields)
                    out.append(row)
        return common.to_table(out, shapes.with_column(common.prompt_schema(), self.column))
