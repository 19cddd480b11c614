"""The version report and `datagen diff`: every section's numbers against the manifest and the
version's rows, on versions the engine really publishes (model-free stages: a python
generator, verify, dedup, decontamination against a local benchmark file), a mixture, and
hand-written versions for the generator-round sections; escaping of untrusted row text;
report.html written at publish time (and a failing report costing no version); the CLI.
The quickstart version in a real browser is tests/test_report_quickstart.py."""

from __future__ import annotations

import json
import logging

import polars as pl
import pytest

from datagen.engine import run_recipe
from datagen.progress import StageProgress
from datagen.recipe_io import load_recipe
from datagen.report.build import build_report, gather
from datagen.store import Store
from tests.helpers import write_jsonl, write_recipe
from tests.report_helpers import number, parse, write_version
from tests.test_cli import datagen

EVIL = '</script><script>alert("pwned")</script><img src=x onerror=alert(1)>'
BENCH_QUESTION = "A farmer has 17 sheep and buys 25 more sheep at the market on Tuesday. How many sheep now?"


def _stages(wrong_every: int = 2, bench: str = "") -> list[dict]:
    return [
        {"type": "decontaminate", "benchmarks": [bench], "methods": ["ngram"], "column": "question"},
        {"type": "python", "callable": "tests.stage_fns:answer_half", "kind": "generator", "args": {"wrong_every": wrong_every}},
        {"type": "verify", "verifier": "math_answer"},
        {"type": "dedup", "column": "completion"},
    ]


def _publish(root, seeds, bench, wrong_every: int = 2, store: str = "store"):
    path = write_recipe(root / f"r{wrong_every}.yaml", {"description": "report test", "source": {"type": "jsonl", "path": str(seeds)},
                                                       "stages": _stages(wrong_every, str(bench)), "output": {"name": "rep", "shards": 2}})
    return run_recipe(load_recipe(path, []), Store(root / store), progress=StageProgress(False))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A published version: 30 arithmetic questions (answers repeat, so completions duplicate),
    one copied from a local benchmark, one holding HTML."""
    root = tmp_path_factory.mktemp("report")
    rows = [{"question": f"What is {i % 9} plus {i % 4}? Question number {i}.", "answer": str(i % 9 + i % 4)} for i in range(30)]
    rows += [{"question": BENCH_QUESTION, "answer": "42"}, {"question": f"{EVIL} What is 1 plus 1?", "answer": "2"}]
    seeds = write_jsonl(root / "seeds.jsonl", rows)
    bench = write_jsonl(root / "bench.jsonl", [{"id": "farm-1", "question": BENCH_QUESTION, "answer": "42"},
                                               {"id": "other-2", "question": "How many legs do 3 spiders have?", "answer": "24"}])
    res = _publish(root, seeds, bench)
    vdir = Store(root / "store").path(res.ref)
    m = json.loads((vdir / "manifest.json").read_text())
    return {"root": root, "seeds": seeds, "bench": bench, "ref": str(res.ref), "dir": vdir, "manifest": m,
            "data": gather(vdir, m, embed="never"), "html": (vdir / "report.html").read_text()}


def test_publish_writes_report_html_listed_in_manifest_and_card(made):
    assert made["manifest"]["report"] == "report.html"
    assert (made["dir"] / "report.html").is_file()
    card = (made["dir"] / "README.md").read_text()
    assert "## Report" in card and f"datagen report {made['ref']} --open" in card


def test_funnel_numbers_equal_the_manifest(made):
    m, f = made["manifest"], made["data"]["funnel"]
    assert f["counts"] == m["counts"] and f["reject_reasons"] == m["reject_reasons"] and f["tokens"] == m["tokens"]
    assert [(s["label"], s["rows_in"], s["kept"], s["rejected"], s["reasons"], s["seconds"]) for s in f["stages"]] == \
        [(s["label"], s["rows_in"], s["kept"], s["rejected"], s["reasons"], s["seconds"]) for s in m["stages"]]
    table = parse(made["html"]).tables["funnel"]
    assert table[0][:6] == ["#", "stage", "type", "in", "kept", "rejected"]
    shown = [[number(r[0]), r[1], r[2], number(r[3]), number(r[4]), number(r[5]), number(r[7])] for r in table[1:]]
    assert shown == [[s["index"], s["label"], s["type"], s["rows_in"], s["kept"], s["rejected"], s["seconds"]] for s in m["stages"]]
    assert f["cost"] is None and "Cost: unknown" in made["html"]  # no model, no price


def test_lengths_say_words_when_rows_carry_no_token_counts(made):
    ln = made["data"]["distributions"]["lengths"]
    assert ln["unit"] == "words" and "no token counts" in ln["label"]
    counts = made["manifest"]["counts"]
    assert ln["prompt_summary"]["kept"]["count"] == counts["train"]
    assert ln["prompt_summary"]["rejected"]["count"] == counts["rejected"]
    assert made["data"]["distributions"]["dart"] is None and made["data"]["distributions"]["svs"] == []


def test_duplicate_clusters_equal_the_dedup_stage_and_the_rows(made):
    dup = made["data"]["diversity"]["duplicates"]
    dedup = next(s for s in made["manifest"]["stages"] if s["type"] == "dedup")
    assert dup["duplicates"] == dedup["reasons"]["duplicate"] and dup["by_stage"] == {"dedup": dedup["rejected"]}
    rejected = pl.read_parquet(made["dir"] / "rejected" / "*.parquet")
    for c in dup["largest"]:
        assert c["size"] == 1 + rejected.filter(pl.col("dup_of") == c["kept_id"]).height
    assert [c["size"] for c in dup["largest"]] == sorted((c["size"] for c in dup["largest"]), reverse=True)
    from datagen.diversity import distinct_n

    kept = pl.read_parquet(made["dir"] / "data" / "*.parquet").sort("id")
    texts = [c[0]["content"] for c in kept.get_column("completion").to_list()]
    assert made["data"]["diversity"]["distinct"] == {n: round(distinct_n(texts, n), 4) for n in (1, 2, 3)}
    assert made["data"]["diversity"]["embedding"]["value"] is None  # embed="never"


def test_contamination_shows_each_flagged_row_next_to_its_benchmark_item(made):
    report = made["manifest"]["contamination"]["decontaminate"]
    c = made["data"]["contamination"]["decontaminate"]
    assert c["flagged_rows"] == report["flagged_rows"] == 1 and c["rows_checked"] == report["rows_checked"]
    (row,) = c["flagged"]
    assert row["item_id"] == "farm-1" and row["item"] == BENCH_QUESTION and row["text"] == BENCH_QUESTION
    assert row["split"] == "rejected" and row["reason"].startswith("contaminated")
    (bench,) = c["benchmarks"]
    assert bench["flagged_rows"] == 1 and bench["by_method"]["ngram"] == 1
    flagged = parse(made["html"]).tables["flagged"]
    assert BENCH_QUESTION in flagged[1][1] and BENCH_QUESTION in flagged[1][2] and "farm-1" in flagged[1][2]


def test_sample_shows_every_reason_and_the_filter_offers_it(made):
    s = made["data"]["sample"]
    assert set(s["shown"]) == {"kept", *made["manifest"]["reject_reasons"]}
    assert s["of"] == {"kept": made["manifest"]["counts"]["train"], "rejected": made["manifest"]["counts"]["rejected"]}
    page = parse(made["html"])
    assert {"*", "kept", "*rejected", *made["manifest"]["reject_reasons"]} == set(page.options)
    rows = [a for t, a in page.tags if t == "tr" and "data-reason" in a]
    assert len(rows) == len(s["rows"]) and {a["data-reason"] for a in rows} == set(s["shown"])


def test_row_text_is_escaped_and_the_page_fetches_nothing(made):
    html = made["html"]
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;pwned&quot;)" in html  # the row is shown, as text
    page = parse(html)
    assert [t for t, _ in page.tags].count("script") == 1, "only the report's own script"
    assert not [a for t, a in page.tags if t == "img"] and not any(k.startswith("on") for _, a in page.tags for k in a)
    assert not [a for t, a in page.tags if t in ("link", "iframe", "object", "embed")]
    urls = [v for _, a in page.tags for k, v in a.items() if k in ("src", "href") and v and not v.startswith("#")]
    assert urls == [], urls
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_a_report_that_fails_costs_no_version_and_no_fingerprint(made, monkeypatch, caplog):
    def boom(*a, **k):
        raise RuntimeError("plotting broke")

    monkeypatch.setattr("datagen.report.build.build_report", boom)
    with caplog.at_level(logging.WARNING, logger="datagen"):
        res = _publish(made["root"], made["seeds"], made["bench"], store="store-noreport")
    vdir = Store(made["root"] / "store-noreport").path(res.ref)
    m = json.loads((vdir / "manifest.json").read_text())
    assert m["fingerprint"] == made["manifest"]["fingerprint"], "the report never changes the fingerprint"
    assert not (vdir / "report.html").exists() and "report" not in m and "## Report" not in (vdir / "README.md").read_text()
    assert "report.html could not be made" in caplog.text and "plotting broke" in caplog.text


def test_cli_report_and_diff(made, tmp_path):
    store = made["root"] / "store"
    v2 = _publish(made["root"], made["seeds"], made["bench"], wrong_every=3)
    assert str(v2.ref) == "rep@v2"
    out = tmp_path / "r.html"
    r = datagen("report", "rep@v2", "--store", store, "--out", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out) and out.read_text().startswith("<!DOCTYPE html>")
    bad = datagen("report", "rep@v9", "--store", store)
    assert bad.returncode == 2 and "rep@v9: no such version; rep has v1, v2" in bad.stderr
    page = tmp_path / "d.html"
    d = datagen("diff", "rep@v1", "rep@v2", "--store", store, "--html", page)
    assert d.returncode == 0, d.stderr
    ma, mb = made["manifest"], json.loads((store / "rep" / "v2" / "manifest.json").read_text())
    lines = d.stdout.splitlines()
    assert any(line.split() == ["stages.1.args.wrong_every", "2", "3"] for line in lines), d.stdout
    for a, b in zip(ma["stages"], mb["stages"], strict=True):
        assert [a["label"], "kept", str(a["kept"]), str(b["kept"])] == next(
            line.split()[:4] for line in lines if line.split()[:2] == [a["label"], "kept"])
    ids = {v: set(pl.read_parquet(store / "rep" / v / "data" / "*.parquet").get_column("id")) for v in ("v1", "v2")}
    added = next(line for line in lines if line.strip().startswith("added (kept in rep@v2 only)"))
    removed = next(line for line in lines if line.strip().startswith("removed (kept in rep@v1 only)"))
    assert int(added.split()[-1]) == len(ids["v2"] - ids["v1"]) and int(removed.split()[-1]) == len(ids["v1"] - ids["v2"])
    html = page.read_text()
    assert 'data-plot="diff-len-prompt"' in html and "stages.1.args.wrong_every" in html
    miss = datagen("diff", "rep@v1", "nope@v1", "--store", store)
    assert miss.returncode == 2 and "nope@v1: no versions of 'nope'" in miss.stderr


def test_mixture_report_shows_the_composition(made, tmp_path):
    import warnings

    from datagen.mixing.build import SyntheticFractionWarning, prepare
    from datagen.mixing.publish import publish_mixture
    from schemas.mixture import Mixture

    conv = [{"messages": [{"role": "user", "content": f"Say {i}"}, {"role": "assistant", "content": f"{i} {EVIL}"}]} for i in range(12)]
    other = write_jsonl(tmp_path / "chat.jsonl", conv)
    spec = Mixture.model_validate({"name": "mixed", "sources": [{"name": "synth", "source": made["ref"], "rows": 5},
                                                                {"name": "chat", "source": str(other), "rows": 10}]})
    st = Store(made["root"] / "store")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticFractionWarning)
        mixed = prepare(spec, st)
    ref, _ = publish_mixture(st, mixed, spec, "test")
    m = st.manifest(ref)
    assert m["report"] == "report.html"
    c = gather(st.path(ref), m, embed="never")["composition"]
    assert [(s["name"], s["train_rows"], s["synthetic"]) for s in c["sources"]] == \
        [(x["name"], x["train_rows"], x["synthetic"]) for x in m["mixture"]["composition"]]
    assert c["synthetic_fraction"] == m["mixture"]["summary"]["synthetic_fraction"]
    html = (st.path(ref) / "report.html").read_text()
    assert 'data-plot="composition"' in html and "No stages ran for this version" in html
    assert [t for t, _ in parse(html).tags].count("script") == 1


def _generator_version(path, kind: str):
    """A hand-written version: a DART rejection stage (3 prompts, pass rates 0.25 / 0.5 / 1),
    or an SvS / self-play stage whose stats carry rounds (shapes as the generators write them)."""
    rows, rej = [], []
    for p, (rate, drawn) in enumerate([(0.25, 8), (0.5, 4), (1.0, 4)]):
        for j in range(drawn):
            good = j < rate * drawn
            row = {"id": f"p{p}s{j}", "question": f"q{p}", "completion": [{"role": "assistant", "content": f"answer {j}"}],
                   "meta": {"parent_id": f"seed{p}", "generator": "rejection", "sample_index": j, "pass_rate": rate,
                            "score": 1.0 if good else 0.0, "prompt_tokens": 10 + p, "completion_tokens": 5 + j}}
            (rows if good else rej).append(row if good else {**row, "reason": "wrong_answer", "rejected_by": "rejection"})
    gen = {"prompts": 3, "samples": 16, "prompts_with_correct": 3, "prompts_at_target": 1}
    every = rows + rej
    tokens = {k: sum(r["meta"][f"{k}_tokens"] for r in every) for k in ("prompt", "completion")}
    stage = {"index": 0, "label": "rejection", "type": "rejection", "rows_in": 3, "kept": len(rows), "rejected": len(rej),
             "reasons": {"wrong_answer": len(rej)}, "seconds": 1.5, "tokens": tokens, "generator": gen}
    spec = {"type": "rejection", "budget": "dart_uniform", "k": 4, "model": "default"}
    if kind == "svs":
        stage = {**stage, "label": "variational", "type": "variational", "generator": {"originals": 3, "varied": 2, "rounds": [
            {"round": 1, "parents": 2, "variants": 4, "well_formed": 4, "answer_preserved": 3, "survived": 2},
            {"round": 2, "parents": 2, "variants": 4, "well_formed": 3, "answer_preserved": 2, "survived": 1}]}}
        spec = {"type": "variational", "model": "default"}
    elif kind == "self_play":
        stage = {**stage, "label": "self_play", "type": "self_play", "generator": {"rounds": [
            {"round": 0, "prompts": 3, "mean_spread": 0.125, "informative": 1}, {"round": 1, "prompts": 3, "mean_spread": 0.375, "informative": 2}]}}
        spec = {"type": "self_play", "model": "default"}
    m = {"ref": f"{kind}@v1", "counts": {"train": len(rows), "rejected": len(rej)}, "stages": [stage], "recipe": {"stages": [spec]},
         "reject_reasons": {"wrong_answer": len(rej)}, "tokens": stage["tokens"]}  # an older manifest: no run, source, contamination
    if kind == "dart":  # a priced model: the manifest's cost block (datagen/cost.py)
        m["cost"] = {"currency": "USD", "total": 0.0123, "per_kept_row": round(0.0123 / len(rows), 8), "unpriced": [],
                     "stages": [{"label": "rejection", "model": "default", "usd": 0.0123}], "this_run": {"total": 0.004, "models": {}}}
    return write_version(path, m, rows, rej), m


def test_dart_buckets_add_up_to_the_generator_stats(tmp_path):
    vdir, m = _generator_version(tmp_path / "dart", "dart")
    d = gather(vdir, embed="never")["distributions"]
    gen = m["stages"][0]["generator"]
    buckets = d["dart"]["buckets"]
    assert sum(b["prompts"] for b in buckets) == gen["prompts"] == d["pass_rates"]["prompts"]
    assert sum(b["drawn"] for b in buckets) == gen["samples"] == d["samples_per_prompt"]["total_drawn"]
    assert sum(b["kept"] for b in buckets) == m["stages"][0]["kept"]
    by = {b["bucket"]: b for b in buckets}
    assert by["(0, 0.25]"]["drawn_per_prompt"] == 8 and by["1 (always solved)"]["kept_per_prompt"] == 4
    ln = d["lengths"]
    assert ln["unit"] == "tokens" and ln["totals"] == m["tokens"]
    html = build_report(vdir, embed="never")
    assert 'data-plot="dart"' in html and "DART difficulty buckets (dart_uniform, k = 4)" in html
    funnel = parse(html).tables["funnel"]
    assert funnel[0][-1] == "cost (USD)" and number(funnel[1][-1]) == m["cost"]["stages"][0]["usd"]
    assert f"{m['cost']['per_kept_row']:.8g} USD per kept row" in html
    assert "Not checked: no decontamination stage ran" in html


@pytest.mark.parametrize("kind", ["svs", "self_play"])
def test_round_sections_show_the_generator_rounds(tmp_path, kind):
    vdir, m = _generator_version(tmp_path / kind, kind)
    d = gather(vdir, embed="never")["distributions"]
    section = d["svs" if kind == "svs" else "self_play"]
    assert [s["rounds"] for s in section] == [m["stages"][0]["generator"]["rounds"]]
    page = parse(build_report(vdir, embed="never"))
    table = next(t for t in page.tables.values() if t and t[0][0] == "round")
    keys = ["parents", "variants", "well_formed", "answer_preserved", "survived"] if kind == "svs" else ["prompts", "informative", "mean_spread"]
    assert [[number(c) for c in r[1:]] for r in table[1:]] == [[x[k] for k in keys] for x in m["stages"][0]["generator"]["rounds"]]
    assert any(t == "svg" and a.get("data-plot", "").startswith("svs-" if kind == "svs" else "self-play-") for t, a in page.tags)


def test_a_bare_version_still_gets_a_report(tmp_path):
    """A manifest with none of the optional keys and no split files (an old or hand-made
    version): every section says what it lacks instead of failing."""
    (tmp_path / "manifest.json").write_text("{}")
    page = parse(build_report(tmp_path, embed="never"))
    assert [a["id"] for t, a in page.tags if t == "section"] == ["overview", "funnel", "distributions", "diversity", "contamination", "sample"]
    html = build_report(tmp_path, embed="never")
    assert "No stages ran" in html and "Not checked" in html and "No rows in this version" in html


def test_a_large_version_is_read_every_kth_row_and_says_so(made, monkeypatch):
    """Above `MAX_ROWS` the report reads every k-th row of each file (bounded memory and time at
    publish) and the page says so; the funnel's counts stay the manifest's, of all rows."""
    from datagen.report import rows as report_rows

    path = made["dir"]
    total = report_rows.count_rows(path)
    monkeypatch.setattr(report_rows, "MAX_ROWS", total // 3)
    every = report_rows.sampled_every(total, total // 3)
    assert every == -(-total // (total // 3)) >= 3
    data = gather(path, embed="never")
    assert data["rows_read"] == {"rows": report_rows.load_rows(path, every).height, "of": total, "every": every}
    assert data["rows_read"]["rows"] < total
    assert [(s["kept"], s["rejected"]) for s in data["funnel"]["stages"]] == [(s["kept"], s["rejected"]) for s in made["manifest"]["stages"]]
    html = build_report(path, embed="never")
    assert f"read every {every}th row" in html
    monkeypatch.setattr(report_rows, "MAX_ROWS", total)
    assert "th row of each file" not in build_report(path, embed="never")


@pytest.mark.parametrize("every", [1, 3, 7])
def test_every_kth_row_across_record_batches(tmp_path, every):
    """Rows 0, k, 2k, ... of a file larger than one record batch: the rows `gather_every` picks."""
    import polars as pl

    from datagen.report import rows as report_rows

    df = pl.DataFrame({"i": range(150_001), "t": [f"row {i}" for i in range(150_001)]})
    df.write_parquet(tmp_path / "f.parquet", row_group_size=40_000)
    assert report_rows._read_every(tmp_path / "f.parquet", every).equals(df.gather_every(every))
