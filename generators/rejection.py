"""Rejection sampling: sample, verify, keep, with DART-Math budgets and four output shapes.

Budgets (`spec.budget`): `fixed` draws k samples per prompt; `dart_uniform` samples in
rounds until a prompt has k correct samples or `max_trials`; `dart_prop2diff` first draws
one round for every prompt, then aims for ceil(k x (1 - pass rate)) correct samples (at
least one). Every prompt's pass rate over all its samples is recorded on its rows, and
`pass_rate_band` rejects prompts outside [lo, hi].

Outputs (`spec.output`): `sft` — every sample a row, correct ones kept (wrong, unparseable,
failed or over-budget ones rejected with the reason); `prompts` — one row per prompt (the
learnable-band prompt set for RL); `pairs` — TRL `prompt`/`chosen`/`rejected` from correct vs
incorrect samples (optionally after RSO acceptance); `best_of_n` — the top-scored sample.

With `output_schema`, every response is a JSON record (decoding held to it where the backend
can; generators.shapes.Record): the verifier grades its `answer_field`, the record lands in a
typed `structured` column on sft/best_of_n rows, and a reply that does not validate is a
rejected row `schema_invalid: ...`.

With `reward_model` (a sequence-classification model), every answered sample also gets a
reward score (`meta.score`), and `best_of_n` and `pairs` rank by it instead of the verifier
(pairs: highest against lowest reward, after RSO acceptance if `rso_beta` is set).
"""

from __future__ import annotations

from datagen.llm.base import model_label
from generators import common, shapes
from generators.base import VerifyingGenerator
from generators.selection import best_of, no_pair_reason, pick_pairs, value
from generators.solving import n_correct, pass_rate, prop2diff_targets, solve, solve_in_rounds


class RejectionSampler(VerifyingGenerator):
    kind = "rejection"

    def __init__(self, spec, ctx):
        super().__init__(spec, ctx)
        self.by = "reward" if spec.reward_model else "verifier"
        self.shape, self.column = shapes.record_shape(spec, ctx, self.field)  # a record's fields: the `structured` column

    def describe(self) -> dict:
        return {**super().describe(), "reward_model": self.spec.reward_model}

    def __call__(self, ds):
        spec = self.spec
        rows = ds.to_list()
        schema = {"sft": common.output_schema, "best_of_n": common.output_schema,
                  "prompts": common.prompt_schema, "pairs": common.pair_schema}[spec.output]()
        if spec.output in ("sft", "best_of_n"):
            schema = shapes.with_column(schema, self.column)
        self._stats = {"prompts": 0, "samples": 0, "prompts_with_correct": 0, "prompts_at_target": 0}
        if not rows:
            return common.to_table([], schema)
        convs = common.render_prompts(rows, spec.prompt_template, spec.system_prompt, f"{self.field}.prompt_template")
        llm = self.ctx.llm(spec.model)
        attempts, targets = self.sample(llm, convs, [r["answer"] for r in rows])
        if spec.reward_model:
            self._reward(convs, attempts)
        self.model = model_label(llm.identity)
        build = {"sft": self._sft, "best_of_n": self._best, "prompts": self._prompt, "pairs": self._pairs}[spec.output]
        self._stats = {
            "prompts": len(rows), "samples": sum(len({a.cand.index for a in att}) for att in attempts),
            "prompts_with_correct": sum(n_correct(att) > 0 for att in attempts),
            "prompts_at_target": sum(n_correct(att) >= (t or 1) for att, t in zip(attempts, targets, strict=True)),
        }
        out = []
        for r, conv, att, target in zip(rows, convs, attempts, targets, strict=True):
            rate = pass_rate(att)
            band = None if spec.pass_rate_band is None or spec.pass_rate_band.contains(rate) else "pass_rate_outside_band"
            out.extend(build(r, conv, att, target, rate, band))
        return common.to_table(out, schema)

    def report(self) -> dict:
        """Per call: prompts, samples drawn, prompts with a correct sample, prompts that met their target."""
        return self._stats

    def sample(self, llm, convs, answers):
        """Attempts per prompt under the budget, and each prompt's target of correct samples."""
        spec, s, v = self.spec, self.spec.sampling, self.verifier
        if spec.budget == "fixed":
            return solve(llm, convs, answers, s, v, spec.k, shape=self.shape), [spec.max_correct_per_prompt] * len(convs)
        if spec.budget == "dart_uniform":
            targets = [spec.k] * len(convs)
            start = None
        else:  # dart_prop2diff: a probe round estimates difficulty
            start = solve(llm, convs, answers, s, v, spec.round_size, shape=self.shape)
            targets = prop2diff_targets([pass_rate(a) for a in start], spec.k)
        att = solve_in_rounds(llm, convs, answers, s, v, targets, spec.max_trials, spec.round_size, self.shape, start)
        return att, targets

    def _reward(self, convs, attempts) -> None:
        from filters.reward_model import load_reward_model, score_groups

        scores = score_groups(self.spec.reward_model, convs, [[a.cand for a in att] for att in attempts])
        for att, ss in zip(attempts, scores, strict=True):
            for a, s in zip(att, ss, strict=True):
                a.reward = s
        self.rm = load_reward_model(self.spec.reward_model)

    def _row(self, r, conv, a, rate, reason):
        row = common.child_row(r, self.spec.label, a.cand, conv, self.model, self.spec.sampling, pass_rate=rate, score=value(a, self.by))
        if a.score is not None:
            row["meta"]["verdicts"].append(common.verdict(self.verifier, a.score, a.correct))
        if a.reward is not None:
            row["meta"]["verdicts"].append(common.verdict(self.rm, a.reward, None))
        if self.column is not None:
            row["structured"] = self.column.value(a.cand.fields)
        row["reject_reason"] = reason
        return row

    def _sft(self, r, conv, att, target, rate, band):
        out, kept = [], 0
        for a in att:
            reason = a.reason or band
            if reason is None:
                kept += 1
                if target is not None and kept > target:
                    reason = "over_budget"
            out.append(self._row(r, conv, a, rate, reason))
        return out

    def _best(self, r, conv, att, target, rate, band):
        best = best_of(att, self.by)
        out = []
        for a in att:  # with a reward model it alone decides; the verifier only records its verdict
            failed = a.cand.error if self.by == "reward" else a.reason
            out.append(self._row(r, conv, a, rate, failed or band or (None if a is best else "not_best")))
        return out

    def _prompt(self, r, conv, att, target, rate, band):
        counted = [a for a in att if a.counted]
        reason = band if counted else (att[0].reason if att else "no_samples")
        row = common.prompt_row(r, self.spec.label, "prompt", r["question"], r["answer"], conv, self.model,
                                self.spec.sampling, solution=r.get("solution"), pass_rate=rate, score=float(n_correct(att)))
        row["reject_reason"] = reason
        return [row]

    def _pairs(self, r, conv, att, target, rate, band):
        spec = self.spec
        pairs = [] if band else pick_pairs(att, spec.pairs_per_prompt, spec.rso_beta, key=f"{r['id']}/{spec.label}", by=self.by)
        if not pairs:
            row = self._pair_row(r, conv, None, None, rate, j=0)
            row["reject_reason"] = band or no_pair_reason(att)
            return [row]
        return [self._pair_row(r, conv, c, w, rate, j) for j, (c, w) in enumerate(pairs)]

    def _pair_row(self, r, conv, chosen, rejected, rate, j):
        row = common.prompt_row(r, self.spec.label, f"pair{j}", r["question"], r["answer"], conv, self.model,
                                self.spec.sampling, cand=chosen.cand if chosen else None, solution=r.get("solution"),
                                pass_rate=rate, score=None if chosen is None else value(chosen, self.by) - value(rejected, self.by))
        row["chosen"] = [{"role": "assistant", "content": chosen.cand.text}] if chosen else None
        row["rejected"] = [{"role": "assistant", "content": rejected.cand.text}] if rejected else None
        row["reject_reason"] = None
        return row
