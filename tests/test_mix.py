"""`datagen mix` end to end: composition by weight/rows/tokens, seeded and stratified sampling,
with and without replacement, the eval split held out by prompt, cross-source dedup, the
synthetic guardrail, versions in and out (manifest, card, `load_dataset`), Hub sources
through a real `load_dataset` on a local repo, and errors that name the field."""

import json
import warnings

import polars as pl
import pytest
import yaml

from datagen.errors import UserError
from datagen.mixing.build import SyntheticFractionWarning, prepare
from datagen.mixing.publish import publish_mixture
from datagen.store import Store
from schemas.mixture import Mixture
from tests.helpers import write_jsonl
from tests.test_cli import datagen


def conv(q, a):
    return [{"role": "user", "content": q}, {"role": "assistant", "content": a}]


@pytest.fixture()
def files(tmp_path):
    """Three sources in three shapes; `b` repeats 50 of `a`'s prompts; `k` has 4 responses per prompt."""
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": f"a{i}", "messages": conv(f"What is {i} plus {i}?", str(2 * i)), "level": (i % 10) / 10}
                                            for i in range(400)] + [{"id": "bad", "messages": [conv("x", "y")[0]], "level": 0.5}])
    pl.DataFrame({"prompt": [f"What is {i} plus {i}?" for i in range(350, 650)],
                  "completion": [f"It is {2 * i}." for i in range(350, 650)]}).write_parquet(tmp_path / "b.parquet")
    k = write_jsonl(tmp_path / "k.jsonl", [{"messages": conv(f"Name colour {i}", f"Colour {i} take {j}"), "answer": str(i)}
                                            for i in range(100) for j in range(4)])
    return {"a": str(a), "b": str(tmp_path / "b.parquet"), "k": str(k)}


def mix(spec: dict, store_root, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticFractionWarning)
        return prepare(Mixture.model_validate(spec), Store(store_root), **kw)


def test_weights_rows_and_exact_composition(files, tmp_path):
    spec = {"name": "m", "total_rows": 500, "sources": [
        {"name": "a", "source": files["a"], "weight": 3}, {"name": "b", "source": files["b"], "weight": 1},
        {"name": "k", "source": files["k"], "rows": 100}]}
    m = mix(spec, tmp_path / "s")
    by = dict(m.train.group_by("source").len().iter_rows())
    assert by == {"a": 300, "b": 100, "k": 100}
    comp = {c["name"]: c for c in m.composition}
    assert comp["a"]["rejected"] == 1 and comp["a"]["reject_reasons"] == {"does not end with an assistant message": 1}
    assert comp["b"]["duplicates"] == 50  # the prompts `a` (listed first) already has
    assert comp["b"]["pool_rows"] == 250 and comp["a"]["share_rows"] == 0.6
    assert m.train.get_column("id").n_unique() == 500
    assert set(m.rejected.get_column("rejected_by")) == {"normalise", "dedup"}
    dup = m.rejected.filter(pl.col("rejected_by") == "dedup").row(0, named=True)
    assert dup["reason"] == "duplicate of a row in source a" and dup["dup_of"].startswith("a:a3")
    # k: 100 of 400 rows, one response per prompt before any second one (round-robin over prompts)
    k = m.train.filter(pl.col("source") == "k")
    assert k.get_column("answer").n_unique() == 100


def test_seeded_same_spec_same_rows_other_seed_other_rows(files, tmp_path):
    spec = {"name": "m", "seed": 3, "sources": [{"source": files["a"], "rows": 100}, {"source": files["k"], "rows": 50}]}
    one, two = mix(spec, tmp_path / "s"), mix(spec, tmp_path / "s")
    assert one.train.get_column("id").to_list() == two.train.get_column("id").to_list() and one.fingerprint == two.fingerprint
    other = mix({**spec, "seed": 4}, tmp_path / "s")
    assert set(other.train.get_column("id")) != set(one.train.get_column("id")) and other.fingerprint != one.fingerprint


def test_without_replacement_cannot_oversample_with_replacement_can(files, tmp_path):
    spec = {"name": "m", "sources": [{"source": files["b"], "rows": 1000}]}
    with pytest.raises(UserError, match=r"sources.0 \(b\): needs 1000 rows but 300 remain.*set `replace: true`"):
        mix(spec, tmp_path / "s")
    m = mix({**spec, "replace": True}, tmp_path / "s")
    ids = m.train.get_column("id")
    assert m.train.height == 1000 and ids.n_unique() == 1000  # copies get '#k' ids
    assert ids.str.replace(r"#\d+$", "").n_unique() <= 300 and m.composition[0]["distinct_rows"] <= 300
    assert ids.str.contains("#").sum() >= 700


def test_eval_split_is_held_out_by_prompt(files, tmp_path):
    m = mix({"name": "m", "eval": {"fraction": 0.2}, "sources": [{"name": "k", "source": files["k"], "rows": 200}]}, tmp_path / "s")
    assert 36 <= m.eval.height <= 44  # about 20% of 200, whole prompts of 4 responses
    prompts = lambda df: set(df.get_column("messages").list.first().struct.field("content"))  # noqa: E731
    assert not prompts(m.eval) & prompts(m.train)
    assert m.eval.height % 4 == 0


def test_stratified_sampling_hits_target_shares(files, tmp_path):
    spec = {"name": "m", "stratify": "difficulty", "strata": {"hard": 0.8, "easy": 0.2}, "sources": [
        {"source": files["a"], "rows": 200, "difficulty": {"column": "level", "bins": [0.5], "labels": ["easy", "hard"]}}]}
    m = mix(spec, tmp_path / "s")
    assert dict(m.train.group_by("difficulty").len().iter_rows()) == {"hard": 160, "easy": 40}
    plain = mix({**spec, "strata": None}, tmp_path / "s")  # proportional: the pool is half and half
    assert dict(plain.train.group_by("difficulty").len().iter_rows()) == {"hard": 100, "easy": 100}


def test_token_budget(files, tmp_path, tiny_model):
    spec = {"name": "m", "tokenizer": str(tiny_model), "sources": [{"source": files["a"], "tokens": 3000}, {"source": files["k"], "weight": 1}],
            "total_tokens": 6000}
    m = mix(spec, tmp_path / "s")
    per = {c["name"]: c["train_tokens"] for c in m.composition}
    longest = int(m.train.get_column("num_tokens").max())
    assert 3000 - longest < per["a"] <= 3000 and 3000 - longest < per["k"] <= 3000
    assert m.token_check["exact"] == m.token_check["rows"] > 0
    late = mix({"name": "m", "tokenizer": str(tiny_model), "eval": {"rows": 10}, "sources": [{"source": files["a"], "rows": 50}]}, tmp_path / "s")
    assert late.train.get_column("num_tokens").null_count() == 0 and late.eval.get_column("num_tokens").null_count() == 0  # counted after sampling
    assert late.composition[0]["train_tokens"] == int(late.train.get_column("num_tokens").sum()) and late.token_check["exact"] == late.token_check["rows"] > 0
    too_long = mix({**spec, "max_tokens": 20, "sources": [{"source": files["a"], "tokens": 1000}, {"source": files["k"], "weight": 1}],
                    "total_tokens": 1500}, tmp_path / "s")
    assert (too_long.train.get_column("num_tokens") <= 20).all()
    assert too_long.rejected.filter(pl.col("rejected_by") == "max_tokens").height > 0


def test_synthetic_guardrail(files, tmp_path):
    spec = {"name": "m", "sources": [{"source": files["a"], "rows": 300}, {"source": files["k"], "rows": 200, "synthetic": True}]}
    with pytest.warns(SyntheticFractionWarning, match=r"synthetic data is 40.0% of the mixture by rows \(cap 20%\)"):
        warned = prepare(Mixture.model_validate(spec), Store(tmp_path / "s"))
    assert warned.summary["synthetic_fraction"] == 0.4 and warned.warnings
    with pytest.raises(UserError, match="synthetic.max_fraction"):
        mix({**spec, "synthetic": {"action": "error"}}, tmp_path / "s")
    capped = mix({**spec, "synthetic": {"action": "cap", "max_fraction": 0.25}}, tmp_path / "s")
    assert capped.summary["synthetic_fraction"] == pytest.approx(0.25, abs=0.005)
    assert capped.train.filter(pl.col("synthetic")).height == 100
    fine = mix({**spec, "synthetic": {"max_fraction": 0.5}}, tmp_path / "s")
    assert not fine.warnings


def test_embedding_dedup_across_sources(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"messages": conv("How many legs does a spider have?", "8")},
                                           {"messages": conv("What is the capital of France?", "Paris")}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"messages": conv("How many legs does a spider have", "Eight")},
                                           {"messages": conv("Write a haiku about rain.", "...")}])
    spec = {"name": "m", "sources": [{"source": str(a)}, {"source": str(b)}]}
    assert mix(spec, tmp_path / "s").train.height == 4  # exact: the missing '?' makes them differ
    m = mix({**spec, "dedup": {"method": "embedding", "threshold": 0.9}}, tmp_path / "s")
    assert m.train.height == 3 and m.rejected.get_column("dup_of").to_list()[0].startswith("a:")


def test_predicates_select_rows(files, tmp_path):
    m = mix({"name": "m", "sources": [{"source": files["a"], "where": ["level >= 0.5", "id != a5"]}]}, tmp_path / "s")
    assert m.composition[0]["filtered_out"] == 201 and m.train.height == 199  # 'bad' passes the predicates, then is rejected
    with pytest.raises(UserError, match=r"sources.0.where.0: no column 'lvl'"):
        mix({"name": "m", "sources": [{"source": files["a"], "where": ["lvl > 1"]}]}, tmp_path / "s")


def test_version_in_and_out(files, tmp_path):
    """A version source (made by `datagen verify`) and a published mixture: manifest
    composition, the card's table, the test split, `load_dataset` through the card."""
    store = tmp_path / "store"
    r = datagen("verify", files["k"], "--verifier", "math_answer", "--column", "messages", "--out", "colours", "--store", store)
    assert r.returncode == 0, r.stderr
    spec = {"name": "mixed", "eval": {"rows": 20}, "sources": [{"source": "colours@v1", "rows": 100, "domain": "chat"},
                                                             {"source": files["b"], "weight": 1, "domain": "math"}], "total_rows": 200}
    st = Store(store)
    m = mix(spec, store)
    assert m.parents == ["colours@v1"] and m.composition[0]["fingerprint"] == st.manifest("colours@v1")["fingerprint"]
    assert m.composition[0]["synthetic"] is False and m.composition[0]["synthetic_from"] == "manifest"  # verify generates nothing
    ref, created = publish_mixture(st, m, Mixture.model_validate(spec), "test")
    again, created2 = publish_mixture(st, mix(spec, store), Mixture.model_validate(spec), "test")
    assert created and not created2 and again == ref
    man = st.manifest(ref)
    assert man["counts"] == {"train": 200, "test": m.eval.height, "rejected": 0}
    assert [c["train_rows"] for c in man["mixture"]["composition"]] == [100, 100]
    card = (st.path(ref) / "README.md").read_text()
    assert "| colours-v1 | `colours@v1` | no | rows: 100 |" in card and "## Composition" in card
    from datasets import load_dataset

    ds = load_dataset(str(st.path(ref)), cache_dir=str(tmp_path / "hf"))  # through the card's configs; own cache (datasets keys it by the dir name)
    assert ds["train"].num_rows == 200 and ds["test"].num_rows == m.eval.height
    assert ds["train"][0]["messages"][0]["role"] == "user"
    assert st.read_table(ref, "test").num_rows == m.eval.height


def test_hub_source_through_load_dataset(tmp_path):
    repo = tmp_path / "org-chat"
    (repo / "data").mkdir(parents=True)
    pl.DataFrame({"messages": [conv(f"hello {i}", f"hi {i}") for i in range(30)]}).write_parquet(repo / "data" / "train-00000-of-00001.parquet")
    m = mix({"name": "m", "sources": [{"source": {"type": "hub", "id": str(repo), "split": "train", "revision": None}, "rows": 10}]}, tmp_path / "s")
    assert m.train.height == 10 and m.composition[0]["source"].startswith("hf:")
    with pytest.raises(UserError, match="sources.0.source.id: cannot load Hub dataset"):
        mix({"name": "m", "sources": [{"source": {"type": "hub", "id": str(tmp_path / "nope"), "split": "train"}}]}, tmp_path / "s")


def test_cli_mix_dry_run_and_errors(files, tmp_path):
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump({"name": "cli", "sources": [{"source": files["a"], "rows": 50}, {"source": files["k"], "rows": 50, "synthetic": True}]}))
    store = tmp_path / "store"
    dry = datagen("mix", path, "--store", store, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "| a | " in dry.stdout and not (store / "cli").exists()
    assert "warning: synthetic data is 50.0%" in dry.stderr
    r = datagen("mix", path, "--store", store, "--set", "sources.0.rows=60")
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == "cli@v1", r.stderr
    man = json.loads((store / "cli" / "v1" / "manifest.json").read_text())
    assert man["mixture"]["composition"][0]["train_rows"] == 60
    shown = datagen("show", "cli@v1", "--store", store)
    rows = [line.split() for line in shown.stdout.splitlines()]
    assert ["test", "0"] in rows and any(r[:1] == ["a"] and "60" in r for r in rows), shown.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"name": "cli", "sources": [{"source": files["a"], "rows": 5000}]}))
    r = datagen("mix", bad, "--store", store)
    assert r.returncode == 2 and "sources.0 (a): needs 5000 rows" in r.stderr
    assert sorted(p.name for p in (store / "cli").iterdir() if not p.name.startswith(".")) == ["v1"]  # nothing half written
    missing = datagen("mix", tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "mixture not found" in missing.stderr


def test_dedup_by_whole_conversation_keeps_other_answers(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"messages": conv("2+2?", "4")}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"messages": conv("2+2?", "Four.")}, {"messages": conv(" 2+2? ", "4")}])
    spec = {"name": "m", "sources": [{"source": str(a)}, {"source": str(b)}]}
    assert mix(spec, tmp_path / "s").train.height == 1  # by prompt: both of b's rows repeat a's question
    by_conv = mix({**spec, "dedup": {"key": "conversation"}}, tmp_path / "s")
    assert by_conv.train.height == 2 and by_conv.rejected.get_column("reason").to_list() == ["duplicate of a row in source a"]
