"""Asymmetric self-play (eva): a creator evolves the prompts a solver learns most from.

Round t: the solver samples k responses to every prompt of the population; each response
gets a reward — the verifier against the prompt's answer (`reward: verifier`), agreement
with the majority final answer (`reward: majority`, for prompts without a label), or a
reward model's score (`reward: reward_model`, for open-ended prompts) — and a
prompt's informativeness is the spread of its rewards (max - mean, a regret proxy, or std).
The creator evolves the `top_fraction` most informative prompts (from a correct or the
best-rewarded response; the default creator prompt is SvS's, so the answer carries over, or
Evol's broaden with a reward model), and the next population is
the new prompts plus the most informative old ones, up to `population`. The mean spread of
each round's population is recorded in the stage's stats (`rounds`) — it should rise.

Output: every prompt ever in play, one row each; the final population is kept (with its
spread as `meta.score`), the rest are rejected (`low_informativeness`, or why the creator's
output was unusable). `output: pairs` instead emits the final population's best/worst
responses as TRL preference pairs. A global stage: the population is the whole dataset.

Where the creator's backend can constrain decoding and `structured` is on, new prompts are
asked for as JSON held to a built-in schema (`generators.shapes`): `{problem, answer}` when the
answer carries over, else `{problem}`; elsewhere the reply is the problem.

What it does not do: update the solver between rounds (eva proper is online RL; train on
the output and run again), or reward with an LLM judge (judges arrive with the filters).
"""

from __future__ import annotations

from collections import Counter

from datagen.llm.base import model_label
from datagen.llm.structured import backend_of
from filters.verify import final_answer
from generators import common, shapes
from generators.base import VerifyingGenerator
from generators.candidates import draw
from generators.selection import best_of, pick_pairs, spread
from generators.solving import Attempt, pass_rate, solve, verify


class SelfPlay(VerifyingGenerator):
    kind = "self_play"
    scope = "global"

    def __init__(self, spec, ctx):
        super().__init__(spec, ctx)
        self.by = "reward" if spec.reward == "reward_model" else "verifier"
        self.round_stats: list[dict] = []
        self.keeps_answer = "{answer}" in spec.creator_prompt  # the answer carries over only if the prompt asked to
        backend = backend_of(ctx, spec.creator_model or spec.model) if spec.structured or spec.verbalized or spec.output_schema else ""
        self.shape = shapes.problem_shape(spec, backend, with_answer=self.keeps_answer, field=self.field)
        self.column = shapes.problem_column(self.shape)  # an output_schema record: the `structured` column

    def __call__(self, ds):
        spec = self.spec
        schema = shapes.with_column(common.pair_schema() if spec.output == "pairs" else common.prompt_schema(), self.column)
        self.round_stats = []
        rows = [self._as_prompt(r) for r in ds.to_list()]
        for r in rows:
            r["meta"]["round"] = r["meta"]["round"] or 0  # the seed population is round 0
        if not rows:
            return common.to_table([], schema)
        solver = self.ctx.llm(spec.model)
        creator = self.ctx.llm(spec.creator_model or spec.model)
        self.creator_label = model_label(creator.identity)
        size = spec.population or len(rows)
        population, retired, attempts = rows, [], {}
        for rnd in range(spec.rounds):
            for r, att in zip(population, self._solve(solver, population), strict=True):
                attempts[r["id"]] = att
                r["meta"]["pass_rate"] = pass_rate(att) if self.by == "verifier" else None
                r["meta"]["score"] = spread([a.score for a in att if a.counted and a.score is not None], spec.informativeness)
            ranked = sorted(population, key=lambda r: (-(r["meta"]["score"] or 0.0), r["id"]))
            self.round_stats.append(_round_stat(rnd, ranked))
            if rnd == spec.rounds - 1:
                break
            top = [r for r in ranked[: max(1, round(spec.top_fraction * len(ranked)))] if (r["meta"]["score"] or 0) > 0]
            children = self._evolve(creator, top, attempts, rnd + 1)
            retired.extend(children["bad"])
            fresh = children["ok"][:size]
            keep = ranked[: max(0, size - len(fresh))]
            for r in ranked[len(keep):]:
                r["reject_reason"] = f"low_informativeness: dropped after round {rnd}"
                retired.append(r)
            population = fresh + keep
        if spec.output == "pairs":
            return common.to_table(self._pairs(population, attempts) + [_as_pair(r) for r in retired], schema)
        return common.to_table(population + retired, schema)

    def report(self) -> dict:
        return {"rounds": self.round_stats}

    def _as_prompt(self, r: dict) -> dict:
        conv = common.render_prompt(r, self.spec.prompt_template, self.spec.system_prompt, f"{self.field}.prompt_template")
        return {"id": r["id"], "question": r["question"], "answer": r["answer"], "solution": r.get("solution"),
                "prompt": conv, "meta": dict(r["meta"], verdicts=list(r["meta"].get("verdicts") or [])), "reject_reason": None,
                **({"structured": r.get("structured")} if self.column is not None else {})}

    def _solve(self, solver, population):
        spec = self.spec
        convs = [r["prompt"] for r in population]
        if spec.reward == "verifier":
            return solve(solver, convs, [r["answer"] for r in population], spec.sampling, self.verifier, spec.k)
        cands = draw(solver, convs, spec.sampling, spec.k)
        if spec.reward == "reward_model":
            return self._reward_model_attempts(convs, cands)
        labels = [_majority([final_answer(c.text) for c in cs if c.ok]) for cs in cands]
        for r, label in zip(population, labels, strict=True):
            r["answer"] = label  # a pseudo-label: the majority answer
        return verify(self.verifier, convs, labels, cands)

    def _reward_model_attempts(self, convs, cands):
        """Attempts scored by the reward model: score = reward = its score (no right or wrong)."""
        from filters.reward_model import score_groups

        scores = score_groups(self.spec.reward_model, convs, cands)
        return [[Attempt(c, s, c.error, reward=s) for c, s in zip(cs, ss, strict=True)] for cs, ss in zip(cands, scores, strict=True)]

    def _best(self, attempts):
        if self.by == "reward":
            return best_of(attempts, "reward")
        return next((a for a in attempts if a.correct), None)

    def _evolve(self, creator, top, attempts, rnd: int) -> dict:
        spec = self.spec
        jobs = [(r, a) for r in top for a in [self._best(attempts[r["id"]])] if a is not None]
        convs = common.render_prompts([r for r, _ in jobs], spec.creator_prompt, spec.system_prompt,
                                      f"{self.field}.creator_template", solution=[a.cand.text for _, a in jobs])
        cands = draw(creator, convs, spec.creator_sampling, spec.evolutions_per_prompt, shape=self.shape)
        ok, bad = [], []
        for (parent, _), cs in zip(jobs, cands, strict=True):
            for c in cs:
                child = common.problem_row(parent, spec.label, f"r{rnd}/{c.key}", c, parent["answer"] if self.keeps_answer else None,
                                           spec.prompt_template, spec.system_prompt, f"{self.field}.prompt_template",
                                           self.creator_label, spec.creator_sampling, round=rnd)
                if self.column is not None:
                    child["structured"] = self.column.value(c.fields)
                (bad if child["reject_reason"] else ok).append(child)
        return {"ok": ok, "bad": bad}

    def _pairs(self, population, attempts) -> list[dict]:
        out = []
        for r in population:
            pairs = pick_pairs(attempts[r["id"]], 1, by=self.by)
            row = _as_pair(r)
            if pairs:
                chosen, rejected = pairs[0]
                row["chosen"] = [{"role": "assistant", "content": chosen.cand.text}]
                row["rejected"] = [{"role": "assistant", "content": rejected.cand.text}]
            else:
                row["reject_reason"] = "no_pair: rewards do not differ"
            out.append(row)
        return out


def _as_pair(r: dict) -> dict:
    return {**r, "chosen": None, "rejected": None}


def _majority(answers: list[str | None]) -> str | None:
    votes = Counter(" ".join(a.split()) for a in answers if a)
    return votes.most_common(1)[0][0] if votes else None


def _round_stat(rnd: int, ranked: list[dict]) -> dict:
    scores = [r["meta"]["score"] for r in ranked if r["meta"]["score"] is not None]
    return {"round": rnd, "prompts": len(ranked), "mean_spread": sum(scores) / len(scores) if scores else None,
            "informative": sum(s > 0 for s in scores)}
