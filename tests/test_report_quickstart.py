"""The quickstart version's report: made at publish time by a real quickstart run (the embedded
tiny model on vLLM, 16 problems, one shard, decontaminated against GSM8K), its numbers against
the manifest, then opened in headless Chromium from the system's packages: no console errors,
every plot drawn, the sample table filtered by reason, a screenshot kept in the test's tmp dir."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from datagen.report.build import gather
from tests.chromium import Chromium, find_chromium, open_page, screenshot
from tests.integration.cli_runs import run_recipe, version_dir

REPO = Path(__file__).resolve().parent.parent
PRICE = {"input_per_mtok": 3.0, "output_per_mtok": 15.0}  # priced as a hosted model would be: the cost block end to end
SETS = ["source.n=16", "output.shards=1", "stages.2.benchmarks=[gsm8k]",
        f"models.default.price={{input_per_mtok: {PRICE['input_per_mtok']}, output_per_mtok: {PRICE['output_per_mtok']}}}"]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory, tiny_model):
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
    store = tmp_path_factory.mktemp("quickstart") / "store"
    ref = run_recipe(REPO / "recipes" / "quickstart.yaml", store, *SETS)
    vdir = version_dir(store, ref)
    return {"ref": ref, "dir": vdir, "manifest": json.loads((vdir / "manifest.json").read_text())}


def test_quickstart_report_numbers_equal_the_manifest(quickstart):
    m = quickstart["manifest"]
    assert m["report"] == "report.html"
    data = gather(quickstart["dir"], m, embed="never")
    gen = m["stages"][0]["generator"]
    d = data["distributions"]
    assert d["lengths"]["unit"] == "tokens" and d["lengths"]["totals"] == m["tokens"]
    assert d["pass_rates"]["prompts"] == gen["prompts"] == m["stages"][0]["rows_in"]
    assert d["pass_rates"]["prompts"] - d["pass_rates"]["never_solved"] == gen["prompts_with_correct"]
    assert d["samples_per_prompt"]["total_drawn"] == gen["samples"] and d["samples_per_prompt"]["total_kept"] == m["counts"]["train"]
    assert data["diversity"]["duplicates"]["duplicates"] == m["stages"][1]["reasons"].get("duplicate", 0)
    assert [(s["kept"], s["rejected"]) for s in data["funnel"]["stages"]] == [(s["kept"], s["rejected"]) for s in m["stages"]]


def test_quickstart_cost_is_its_tokens_at_the_recipe_price(quickstart):
    m, card = quickstart["manifest"], (quickstart["dir"] / "README.md").read_text()
    tokens = m["stages"][0]["tokens"]
    usd = (tokens["prompt"] * PRICE["input_per_mtok"] + tokens["completion"] * PRICE["output_per_mtok"]) / 1e6
    cost = m["cost"]
    assert cost["stages"] == [{"label": "rejection", "model": "default", "usd": pytest.approx(usd, abs=1e-6)}]  # dedup, decontam: no LLM
    assert cost["total"] == pytest.approx(usd, abs=1e-6) and cost["per_kept_row"] == pytest.approx(usd / m["counts"]["train"], rel=1e-3)
    llm = m["run"]["llm"]["default"]  # a fresh store: every request was sent, none from the request cache
    assert cost["this_run"]["total"] == pytest.approx((llm["prompt_tokens"] * 3.0 + llm["completion_tokens"] * 15.0) / 1e6, abs=1e-6)
    assert f"Cost: {cost['total']:.4f} USD" in card
    html = (quickstart["dir"] / "report.html").read_text()
    assert "per kept row" in html and "Cost: unknown" not in html


def test_dry_run_prints_the_cost_bound(quickstart):
    from tests.integration.cli_runs import run_cli

    r = run_cli("run", REPO / "recipes" / "quickstart.yaml", "--dry-run", "--store", quickstart["dir"].parents[1], *[a for s in SETS for a in ("--set", s)])
    assert "cost, at most" in r.stdout and "rejection" in r.stdout.split("cost, at most")[1], r.stdout


PLOTS = """Array.from(document.querySelectorAll("figure.plot svg")).map(function (s) {
  var box = s.getBoundingClientRect();
  return {name: s.getAttribute("data-plot"), width: box.width, height: box.height, shapes: s.querySelectorAll("path, rect").length};
})"""

FILTER = """(function () {
  var select = document.getElementById("reason-filter"), out = {};
  Array.prototype.forEach.call(select.options, function (o) {
    select.value = o.value;
    select.dispatchEvent(new Event("change"));
    var rows = Array.prototype.slice.call(document.querySelectorAll("#sample-table tbody tr"));
    var shown = rows.filter(function (r) { return r.offsetParent !== null; });
    out[o.value] = {shown: shown.length, total: rows.length, counter: document.getElementById("sample-count").textContent,
                    promptless: shown.filter(function (r, i) {  // a shown row whose prompt is hidden though the row above has another
                      return r.classList.contains("same") && (i === 0 || shown[i - 1].getAttribute("data-group") !== r.getAttribute("data-group"));
                    }).length,
                    reasons: Array.from(new Set(shown.map(function (r) { return r.getAttribute("data-reason"); })))};
  });
  return out;
})()"""


def test_quickstart_report_in_a_real_browser(quickstart, tmp_path):
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium on PATH (Debian: apt-get install chromium; CI installs it in .ci/run)")
    page_url = (quickstart["dir"] / "report.html").resolve().as_uri()
    shot = tmp_path / "report.png"

    async def scenario(page):
        await open_page(page, page_url)
        plots = await page.evaluate(PLOTS)
        filtered = await page.evaluate(FILTER)
        await page.evaluate('document.getElementById("reason-filter").value = "*"; '
                            'document.getElementById("reason-filter").dispatchEvent(new Event("change"))')
        await screenshot(page, shot)
        return plots, filtered, page.console_errors()

    with Chromium(binary, tmp_path) as browser:
        plots, filtered, errors = browser.run(scenario)
    assert errors == [], errors
    names = {p["name"] for p in plots}
    assert {"funnel", "stage-costs", "len-prompt", "len-completion", "pass-rates", "samples-per-prompt"} <= names, names
    assert all(p["width"] > 100 and p["height"] > 50 and p["shapes"] > 5 for p in plots), plots
    reasons = set(quickstart["manifest"]["reject_reasons"])
    assert set(filtered) == {"*", "kept", "*rejected", *reasons}
    total = filtered["*"]["total"]
    assert filtered["*"]["shown"] == total > 0
    for reason in [*reasons, "kept"]:
        f = filtered[reason]
        assert f["reasons"] == [reason] and 0 < f["shown"] < total, (reason, f)
        assert f["counter"] == f"{f['shown']} of {total} sampled rows shown" and f["promptless"] == 0
    assert filtered["*rejected"]["shown"] == total - filtered["kept"]["shown"]
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
