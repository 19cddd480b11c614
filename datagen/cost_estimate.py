"""What a recipe would cost, before it runs (`datagen run --dry-run`): an upper bound.

Per LLM-calling stage, from the stage's own settings: the most calls one input row can cause
(`k`, DART's `max_trials`, SvS rounds × variants × solves, eva rounds × solves and evolutions,
Evol ops × k, a judge's `sampling.n`), the most rows it can hand on, and per call the
prompt (≈ characters / 4 of the row's question and the stage's template) and `max_tokens`
of completion. Rows in to a stage are the most the stages before it can hand on, so the bound
stays a bound when filters drop rows. Priced with `models.NAME.price` (datagen/cost.py).

What it does not do: know pass rates, so a DART budget or a band that stops early costs less
than this; count tokens with the model's own tokenizer.
"""

from __future__ import annotations

CHARS_PER_TOKEN = 4


def _calls(spec) -> list[tuple[float, int, str]] | None:
    """[(calls per input row, max completion tokens per call, what the calls are)] or None
    when the stage calls no LLM."""
    kind = getattr(spec, "type", None)
    if kind == "rejection":
        per = spec.max_trials if spec.budget != "fixed" else spec.k
        return [(per, spec.sampling.max_tokens, "solve")]
    if kind == "rewrite":
        return [(spec.k, spec.sampling.max_tokens, "rewrite")]
    if kind == "evolve":
        return [(len(spec.ops) * spec.k, spec.sampling.max_tokens, "evolve")]
    if kind == "judge":
        return [(spec.sampling.n, spec.sampling.max_tokens, "judge")]
    if kind == "variational":
        fan = spec.solutions_per_prompt * spec.variants_per_solution
        problems = sum(fan**r for r in range(spec.rounds))  # problems varied per input row, over all rounds
        variants = sum(fan ** (r + 1) for r in range(spec.rounds))
        return [(spec.k * (problems + variants), spec.sampling.max_tokens, "solve"),
                (problems * fan, spec.variant_sampling.max_tokens, "write variants")]
    if kind == "self_play":
        evolved = spec.top_fraction * spec.evolutions_per_prompt
        return [(spec.rounds * spec.k, spec.sampling.max_tokens, "solve"),
                (spec.rounds * evolved, spec.creator_sampling.max_tokens, "evolve")]
    return None


def _rows_out(spec) -> float:
    """The most rows one input row can become."""
    kind = getattr(spec, "type", None)
    if kind == "rejection":
        per = spec.max_trials if spec.budget != "fixed" else spec.k
        return {"sft": per, "pairs": spec.pairs_per_prompt}.get(spec.output, 1)
    if kind == "rewrite":
        return spec.k
    if kind == "evolve":
        return len(spec.ops) * spec.k
    if kind == "variational":
        fan = spec.solutions_per_prompt * spec.variants_per_solution
        return sum(fan ** (r + 1) for r in range(spec.rounds))
    return 1.0


def _template_chars(spec) -> int:
    for attr in ("prompt_template", "template", "rewrite_template", "solve_template"):
        t = getattr(spec, attr, None)
        if isinstance(t, str):
            return len(t)
    return 0


def estimate(recipe, seed_rows: int, mean_question_chars: float) -> dict:
    """Upper-bound calls, tokens and US dollars per LLM stage and in all."""
    from datagen.cost import stage_model, token_cost

    rows = float(seed_rows)
    stages, total, unpriced = [], 0.0, set()
    for spec in recipe.stages:
        calls = _calls(spec)
        name = stage_model(spec, recipe.models)
        if calls and name:
            prompt_per_call = (mean_question_chars + _template_chars(spec)) / CHARS_PER_TOKEN
            n_calls = sum(c for c, _, _ in calls) * rows
            prompt = round(n_calls * prompt_per_call)
            completion = round(sum(c * m for c, m, _ in calls) * rows)
            price = recipe.models[name].price
            usd = token_cost(price, prompt, completion, batch=recipe.models[name].batch) if price else None
            if price is None:
                unpriced.add(name)
            else:
                total += usd
            stages.append({"label": spec.label, "model": name, "rows_in": round(rows), "calls": round(n_calls),
                           "prompt_tokens": prompt, "completion_tokens": completion, "usd": None if usd is None else round(usd, 4)})
        rows *= _rows_out(spec)
    return {"currency": "USD", "upper_bound": round(total, 4), "stages": stages, "unpriced": sorted(unpriced)}
