"""What a dataset cost: tokens times `models.NAME.price`.

Two figures, both in US dollars:

- **embodied**: per stage, the tokens its rows carry (prompt and completion tokens of every
  request that made a row, kept or rejected, whether it came from the request cache or not),
  priced at the stage's model — what making this version from scratch costs; `per_kept_row`
  divides it by the version's kept rows;
- **this run**: per model, the tokens of the requests this run actually sent (cache hits are
  free), with prompt tokens the API read from its own prompt cache at `cache_read_per_mtok`
  (`batch=True` in `token_cost` applies the batch discount).

A model with `batch: true` (the OpenAI Batch API, datagen/llm/openai_batch.py) is priced with
its `batch_discount` off in both figures, including the few lines a batch failed that were
retried as normal requests (billed at full price: `this_run` is then a slight underestimate).

A stage whose model has no price counts as unpriced (named in `unpriced`), never as free.
What it does not do: price a stage's second model (an SvS `creator_model`) separately — its
tokens are on the stage's rows and priced at the stage's `model`; `this_run` is exact per model.
"""

from __future__ import annotations

MTOK = 1_000_000


def token_cost(price, prompt: int, completion: int, cached_prompt: int = 0, batch: bool = False) -> float:
    """US dollars for these tokens at `price` (a schemas.models.Price)."""
    cached = min(cached_prompt, prompt) if price.cache_read_per_mtok is not None else 0
    usd = (prompt - cached) * price.input_per_mtok + cached * (price.cache_read_per_mtok or 0.0) + completion * price.output_per_mtok
    usd /= MTOK
    return usd * (1 - price.batch_discount) if batch else usd


def stage_model(spec, models: dict) -> str | None:
    """The `recipe.models` key an LLM-calling stage uses (None: the stage calls no LLM)."""
    for attr in ("model", "judge_model"):
        name = getattr(spec, attr, None)
        if isinstance(name, str) and name in models:
            return name
    return None


def version_cost(models: dict, stage_specs: list, stages: list[dict], kept_rows: int, run_llm: dict | None) -> dict | None:
    """The manifest's `cost` block, or None when no model of the recipe has a price.

    `models`: recipe.models (name -> ModelSpec); `stage_specs`: recipe.stages in order;
    `stages`: the manifest's stage entries (`label`, `tokens`); `run_llm`: the run's per-model
    request counters (`prompt_tokens`, `completion_tokens`, `cached_prompt_tokens`)."""
    if not any(getattr(m, "price", None) for m in models.values()):
        return None
    per_stage, unpriced, total = [], set(), 0.0
    for spec, st in zip(stage_specs, stages, strict=True):
        name = stage_model(spec, models)
        tokens = st.get("tokens") or {}
        if name is None or not (tokens.get("prompt") or tokens.get("completion")):
            continue
        price = models[name].price
        if price is None:
            unpriced.add(name)
            per_stage.append({"label": st["label"], "model": name, "usd": None})
            continue
        usd = token_cost(price, tokens.get("prompt", 0), tokens.get("completion", 0), batch=getattr(models[name], "batch", False))
        total += usd
        per_stage.append({"label": st["label"], "model": name, "usd": round(usd, 6)})
    this_run = {}
    for name, counters in (run_llm or {}).items():
        spec = models.get(name)
        if spec is None or spec.price is None:
            continue
        this_run[name] = round(token_cost(spec.price, counters.get("prompt_tokens", 0), counters.get("completion_tokens", 0),
                                          counters.get("cached_prompt_tokens", 0), batch=getattr(spec, "batch", False)), 6)
    return {
        "currency": "USD",
        "total": round(total, 6),
        "per_kept_row": round(total / kept_rows, 8) if kept_rows else None,
        "stages": per_stage,
        "this_run": {"total": round(sum(this_run.values()), 6), "models": this_run},
        "unpriced": sorted(unpriced),
    }
