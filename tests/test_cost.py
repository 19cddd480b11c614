"""Cost: `models.NAME.price` times tokens (datagen/cost.py), the dry run's upper bound
(datagen/cost_estimate.py), and the prompt-cache tokens an OpenAI-compatible API reports."""

import pytest

from datagen.cost import token_cost, version_cost
from datagen.cost_estimate import estimate
from datagen.errors import UserError
from datagen.llm.openai_backend import parse_completion
from datagen.recipe_io import load_recipe
from schemas.models import Price
from tests.helpers import write_recipe

PRICE = {"input_per_mtok": 2.0, "output_per_mtok": 8.0, "cache_read_per_mtok": 0.5}


def recipe(tmp_path, stages, models=None):
    spec = {"source": {"type": "procedural", "n": 10}, "stages": stages, "output": {"name": "c"},
            "models": models or {"default": {"price": PRICE}}}
    return load_recipe(write_recipe(tmp_path / "r.yaml", spec))


def test_token_cost_prices_prompt_completion_cache_reads_and_batch():
    p = Price(**PRICE)
    assert token_cost(p, 1_000_000, 500_000) == pytest.approx(2.0 + 4.0)
    # 400k of the prompt tokens read from the API's prompt cache: billed at the cache-read price
    assert token_cost(p, 1_000_000, 0, cached_prompt=400_000) == pytest.approx(0.6 * 2.0 + 0.4 * 0.5)
    assert token_cost(p, 1_000_000, 500_000, batch=True) == pytest.approx(3.0)  # batch_discount 0.5 by default
    no_cache_price = Price(input_per_mtok=2.0, output_per_mtok=8.0)
    assert token_cost(no_cache_price, 1_000_000, 0, cached_prompt=400_000) == pytest.approx(2.0)  # no cache price: full price


@pytest.mark.parametrize("override,needle", [
    ("models.default.price.input_per_mtok=-1", "models.default.price.input_per_mtok"),
    ("models.default.price.bogus=1", "models.default.price.bogus"),
    ("models.default.price.batch_discount=1.5", "models.default.price.batch_discount"),
])
def test_bad_prices_name_the_field(tmp_path, override, needle):
    path = write_recipe(tmp_path / "r.yaml", {"source": {"type": "procedural", "n": 2}, "stages": [{"type": "rejection"}],
                                              "output": {"name": "c"}, "models": {"default": {"price": PRICE}}})
    with pytest.raises(UserError, match=needle.replace(".", r"\.")):
        load_recipe(path, [override])


def test_version_cost_per_stage_per_kept_row_and_this_run(tmp_path):
    r = recipe(tmp_path, [{"type": "rejection", "k": 2}, {"type": "dedup"}, {"type": "judge", "model": "other", "rubric": "x"}],
               models={"default": {"price": PRICE}, "other": {}})
    stages = [{"label": "rejection", "tokens": {"prompt": 300_000, "completion": 100_000}},
              {"label": "dedup", "tokens": {"prompt": 0, "completion": 0}},
              {"label": "judge", "tokens": {"prompt": 50_000, "completion": 1_000}}]
    run_llm = {"default": {"prompt_tokens": 100_000, "completion_tokens": 50_000, "cached_prompt_tokens": 100_000}, "other": {"prompt_tokens": 9}}
    cost = version_cost(r.models, r.stages, stages, kept_rows=40, run_llm=run_llm)
    expected = 0.3 * 2.0 + 0.1 * 8.0
    assert cost["total"] == pytest.approx(expected) and cost["per_kept_row"] == pytest.approx(expected / 40)
    assert [s["label"] for s in cost["stages"]] == ["rejection", "judge"]  # dedup called no LLM
    assert cost["stages"][1]["usd"] is None and cost["unpriced"] == ["other"]  # unpriced, never free
    assert cost["this_run"]["models"] == {"default": pytest.approx(0.1 * 0.5 + 0.05 * 8.0)}  # cached prompt at the cache price
    assert version_cost({"default": r.models["other"]}, r.stages[:1], stages[:1], 40, None) is None  # no price anywhere: no block


def test_dry_run_estimate_is_the_bound_each_stage_allows(tmp_path):
    r = recipe(tmp_path, [
        {"type": "rejection", "k": 4, "sampling": {"max_tokens": 100}},
        {"type": "rewrite", "k": 2, "sampling": {"max_tokens": 50}},
    ])
    est = estimate(r, seed_rows=10, mean_question_chars=40)
    rej, rew = est["stages"]
    assert (rej["rows_in"], rej["calls"], rej["completion_tokens"]) == (10, 40, 4000)
    assert (rew["rows_in"], rew["calls"], rew["completion_tokens"]) == (40, 80, 4000)  # every sample kept: the bound
    assert rej["prompt_tokens"] == round(40 * (40 + len(r.stages[0].prompt_template)) / 4)
    assert est["upper_bound"] == pytest.approx(sum(s["usd"] for s in est["stages"]), abs=1e-3)
    assert est["upper_bound"] == pytest.approx(((rej["prompt_tokens"] + rew["prompt_tokens"]) * 2 + 8000 * 8) / 1e6, abs=1e-3)
    dart = recipe(tmp_path, [{"type": "rejection", "k": 2, "budget": "dart_uniform", "max_trials": 16}])
    assert estimate(dart, 10, 40)["stages"][0]["calls"] == 160
    batch = r.model_copy(update={"models": {k: m.model_copy(update={"batch": True}) for k, m in r.models.items()}})
    assert estimate(batch, 10, 40)["upper_bound"] == pytest.approx(est["upper_bound"] * 0.5, rel=1e-3)  # the batch discount


def test_openai_usage_with_prompt_cache_details():
    body = {"choices": [{"message": {"content": "4"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 64}}}
    c = parse_completion(body)
    assert (c.prompt_tokens, c.completion_tokens, c.cached_prompt_tokens) == (120, 3, 64)
    assert parse_completion({"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": 5}}).cached_prompt_tokens == 0


def test_a_price_changes_no_stage_key(tmp_path):
    """Prices change what a version is said to cost, never what it holds: the same stage keys
    (so a re-run with prices added reuses every stage and every cached request)."""
    from datagen.engine import plan_recipe
    from datagen.store import Store

    store = Store(tmp_path / "store")
    priced = recipe(tmp_path, [{"type": "rejection", "k": 2}])
    free = recipe(tmp_path, [{"type": "rejection", "k": 2}], models={"default": {}})
    a, b = plan_recipe(priced, store), plan_recipe(free, store)
    assert [s["key"] for s in a["stages"]] == [s["key"] for s in b["stages"]]
    assert a["cost"]["stages"][0]["calls"] == 20 and "cost" not in b
