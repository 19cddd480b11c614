"""Variational problem synthesis (SvS) as an offline generator.

For each prompt: the solver samples k solutions (pass rate p); prompts with p inside
`source_band` and at least one correct solution are varied: for up to `solutions_per_prompt`
correct solutions the creator writes `variants_per_solution` new problems that must keep the
original's reference answer (so no new label is needed). Each variant is solved k times
against the inherited answer; variants whose pass rate lies in `band` survive (not trivial,
not impossible) and seed the next round. Every variant becomes a row — kept survivors, or a
rejected row saying why (`variant_too_hard` — pass rate 0 usually means the answer was not
preserved —, `variant_too_easy`, `empty_output`, `repeats_parent`, ...) — with `parent_id`,
the inherited answer, `round`, its pass rate and, as `solution`, its first correct solution.

Where the creator's backend can constrain decoding and `structured` is on, a variant is asked
for as JSON `{problem, answer}` held to a built-in schema (`generators.shapes`); the row keeps
the inherited answer, and the stats count the variants whose stated answer agrees with it
(`answer_stated`: equal as numbers, or as text). Elsewhere (transformers, `structured: false`)
the reply is the problem. With `verbalized`, the VS list's own form applies (JSON or tagged).

What it does not do: train the policy between rounds (SvS proper is online RL; run
`datagen train grpo` on the output and generate again).
"""

from __future__ import annotations

import re
from fractions import Fraction

from datagen.llm.base import model_label
from datagen.llm.structured import backend_of
from generators import common, shapes
from generators.base import VerifyingGenerator
from generators.candidates import draw
from generators.solving import pass_rate, solve


class VariationalSynthesizer(VerifyingGenerator):
    kind = "variational"

    def __init__(self, spec, ctx):
        super().__init__(spec, ctx)
        backend = backend_of(ctx, spec.creator_model or spec.model) if spec.structured or spec.verbalized or spec.output_schema else ""
        self.shape = shapes.problem_shape(spec, backend, field=self.field)
        self.column = shapes.problem_column(self.shape)  # an output_schema record: the `structured` column

    def __call__(self, ds):
        spec = self.spec
        rows = ds.to_list()
        self._stats = {"originals": len(rows), "varied": 0, "rounds": []}
        self._stated: dict[int, int] = {}
        if not rows:
            return common.to_table([], shapes.with_column(common.prompt_schema(), self.column))
        solver = self.ctx.llm(spec.model)
        creator = self.ctx.llm(spec.creator_model or spec.model)
        self.creator_label = model_label(creator.identity)

        attempts = self._solve(solver, rows)
        frontier = [
            (r, att) for r, att in zip(rows, attempts, strict=True)
            if r["answer"] is not None and spec.source_band.contains(pass_rate(att)) and any(a.correct for a in att)
        ]
        self._stats = {"originals": len(rows), "varied": len(frontier), "rounds": []}
        out: list[dict] = []
        for rnd in range(1, spec.rounds + 1):
            if not frontier:
                break
            parents = len(frontier)
            variants = self._vary(creator, frontier, rnd)
            good = [v for v in variants if v["reject_reason"] is None]
            solved = self._solve(solver, good)
            frontier = []
            for v, att in zip(good, solved, strict=True):
                rate = pass_rate(att)
                v["meta"]["pass_rate"] = v["meta"]["score"] = rate
                v["solution"] = next((a.cand.text for a in att if a.correct), None)
                if rate is None:
                    v["reject_reason"] = att[0].reason if att else "no_samples"
                elif rate < spec.band.lo - 1e-9:
                    v["reject_reason"] = "variant_too_hard"
                elif rate > spec.band.hi + 1e-9:
                    v["reject_reason"] = "variant_too_easy"
                else:
                    frontier.append((v, att))
            out.extend(variants)
            self._stats["rounds"].append({
                "round": rnd, "parents": parents, "variants": len(variants), "well_formed": len(good),
                "answer_preserved": sum((v["meta"]["pass_rate"] or 0) > 0 for v in good), "survived": len(frontier),
                **({"answer_stated": self._stated.pop(rnd, 0)} if getattr(self.shape, "stated", None) else {}),
            })
        return common.to_table(out, shapes.with_column(common.prompt_schema(), self.column))

    def report(self) -> dict:
        """Per call: originals, how many were varied, and per round: variants asked, well formed,
        answer preserved (some solution reached the inherited answer) and surviving the band;
        with JSON variants also `answer_stated`: well-formed ones whose stated answer is the inherited one."""
        return self._stats

    def _solve(self, solver, rows):
        spec = self.spec
        convs = common.render_prompts(rows, spec.prompt_template, spec.system_prompt, f"{self.field}.prompt_template")
        return solve(solver, convs, [r["answer"] for r in rows], spec.sampling, self.verifier, spec.k)

    def _vary(self, creator, frontier, rnd: int) -> list[dict]:
        """Ask for variants of each frontier problem, from each of its first correct solutions."""
        spec = self.spec
        jobs = [(r, a) for r, att in frontier for a in [a for a in att if a.correct][: spec.solutions_per_prompt]]
        convs = common.render_prompts([r for r, _ in jobs], spec.variant_template, spec.system_prompt,
                                      f"{self.field}.variant_template", solution=[a.cand.text for _, a in jobs])
        cands = draw(creator, convs, spec.variant_sampling, spec.variants_per_solution, shape=self.shape)
        made = [
            (c, common.problem_row(parent, spec.label, f"r{rnd}/{sol.cand.key}/{c.key}", c, parent["answer"], spec.prompt_template,
                                   spec.system_prompt, f"{self.field}.prompt_template", self.creator_label, spec.variant_sampling,
                                   round=rnd))
            for (parent, sol), cs in zip(jobs, cands, strict=True) for c in cs
        ]
        stated = getattr(self.shape, "stated", None)
        if stated:
            self._stated[rnd] = stated_agrees([None if (x := (c.fields or {}).get(stated)) is None else str(x) for c, v in made if v["reject_reason"] is None],
                                              [v["answer"] for _, v in made if v["reject_reason"] is None])
        if self.column is not None:
            for c, v in made:
                v["structured"] = self.column.value(c.fields)
        return [v for _, v in made]


_NUMBER = re.compile(r"-?\d{1,30}(\.\d{1,30})?(/\d{1,30})?")


def stated_agrees(stated: list[str | None], answers: list[str]) -> int:
    """How many stated answers equal the inherited ones: as numbers where both are plain
    numbers (`3/4` = `0.75`), else as text, case and spacing aside. No math grader: a model's
    stated answer can be any text, and grading prose costs seconds each."""
    return sum(bool(s) and _same(s, a) for s, a in zip(stated, answers, strict=True))


def _same(stated: str, gold: str) -> bool:
    a, b = ("".join(x.strip().strip("$").split()).lower() for x in (stated, gold))
    if _NUMBER.fullmatch(a.replace(",", "")) and _NUMBER.fullmatch(b.replace(",", "")):
        return Fraction(a.replace(",", "")) == Fraction(b.replace(",", ""))
    return a == b
