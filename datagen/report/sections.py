"""The version report's sections as HTML, from what build.py gathered: overview, composition
(mixtures), funnel, distributions, diversity, contamination and the browsable sample. A section
that does not apply to a version says so in one line.

What it does not do: compute numbers (funnel.py, distributions.py, diversity.py,
contamination.py, sample.py, mixture.py) or draw (plots.py).
"""

from __future__ import annotations

import hashlib

from datagen.report import plots
from datagen.report.page import cards, esc, figure, fmt, note, table, text_block
from datagen.report.sample import KEPT, REJECTED


def overview(m: dict, f: dict) -> str:
    counts = f["counts"]
    items = [("kept rows (train)", counts.get("train")), ("rejected rows", counts.get("rejected"))]
    if "test" in counts:
        items.append(("test rows", counts["test"]))
    items += [("seed rows", f["source"].get("rows")), ("prompt tokens", f["tokens"]["prompt"]),
              ("completion tokens", f["tokens"]["completion"])]
    if f["wall_time_s"] is not None:
        items.append(("run wall time (s)", f["wall_time_s"]))
    if f["cost"] and f["cost"]["per_kept_row"] is not None:
        items.append((f"{f['cost']['currency']} per kept row", f["cost"]["per_kept_row"]))
    models = ", ".join(f"{k}: {(v or {}).get('backend')} {(v or {}).get('model') or 'datagen-tiny (embedded)'}"
                       for k, v in (m.get("models") or {}).items()) or "-"
    rows = [["source", f["source"].get("label")], ["parents", ", ".join(m.get("parents") or []) or "none"], ["models", models],
            ["fingerprint", m.get("fingerprint")], ["created", m.get("created_at")]]
    return cards(items) + table(None, rows, cls="kv")


def composition(c: dict | None) -> str:
    if c is None:
        return ""
    rows = [[s["name"], s["source"] + (f" @ {s['revision']}" if s["revision"] else ""), s["synthetic"], s["train_rows"], s["train_tokens"],
             None if s["share_rows"] is None else f"{s['share_rows']:.1%}", None if s["share_tokens"] is None else f"{s['share_tokens']:.1%}",
             s["eval_rows"], s["filtered_out"], s["rejected"], s["duplicates"]] for s in c["sources"]]
    share = "-" if c["synthetic_fraction"] is None else f"{c['synthetic_fraction']:.1%}"
    out = cards([("train rows", c["train_rows"]), ("train tokens", c["train_tokens"]), ("eval rows", c["eval_rows"]),
                 (f"synthetic share (by {c['synthetic_basis']})", share)])
    out += table(["source", "from", "synthetic", "train rows", "train tokens", "share (rows)", "share (tokens)", "eval rows",
                  "filtered out", "rejected", "duplicates"], rows, numeric={3, 4, 7, 8, 9, 10})
    out += figure(plots.composition(c["sources"]), "Train rows and tokens per source (orange: synthetic).")
    if c["tokenizer"]:
        out += note(f"Tokens counted with {c['tokenizer']}, chat template included.")
    return out + "".join(note(f"warning: {w}") for w in c["warnings"])


def funnel(f: dict) -> str:
    stages = f["stages"]
    if not stages:
        return note("No stages ran for this version (a mixture is built from its sources; see Composition).")
    priced = f["cost"] is not None  # a cost column only where some price is known
    rows = [[s["index"], s["label"], s["type"], s["rows_in"], s["kept"], s["rejected"],
             ", ".join(f"{k}: {v}" for k, v in s["reasons"].items()) or "-", s["seconds"], s["wall_s"],
             s["prompt_tokens"], s["completion_tokens"], *([None if s["cost"] is None else round(s["cost"], 6)] if priced else [])]
            for s in stages]
    out = figure(plots.funnel(stages, f["source"].get("rows")), "Rows per stage: kept (green), rejected stacked by reason.")
    out += table(["#", "stage", "type", "in", "kept", "rejected", "reject reasons", "seconds", "wall s", "prompt tokens",
                  "completion tokens", *([f"cost ({f['cost']['currency']})"] if priced else [])], rows, numeric={0, 3, 4, 5, 7, 8, 9, 10, 11}, cls="funnel")
    if f["reject_reasons"]:
        out += "<h3>Reject reasons, all stages</h3>" + table(["reason", "rows"], [[k, v] for k, v in f["reject_reasons"].items()], numeric={1})
    out += figure(plots.stage_costs(stages), "Seconds (shards' compute summed) and tokens per stage.")
    c = f["cost"]
    if c is None:
        out += note("Cost: unknown (no model of the recipe has a price; set `models.NAME.price` with `input_per_mtok` and "
                    "`output_per_mtok`, in US dollars per million tokens, and the manifest, card and this report show it).")
    else:
        per_row = "-" if c["per_kept_row"] is None else f"{c['per_kept_row']:.8g}"
        text = f"Cost of every stage's tokens: {fmt(c['total'])} {c['currency']}, {per_row} {c['currency']} per kept row"
        if c["this_run"] is not None:
            text += f"; this run sent requests for {fmt(c['this_run'])} {c['currency']} (cache hits are free)"
        if c["unpriced"]:
            text += f"; not counted (no price): {', '.join(c['unpriced'])}"
        out += note(text + ".")
    return out


def rows_read(r: dict | None) -> str:
    """A line saying the distributions, diversity and sample come from every k-th row (large versions)."""
    if not r or r["every"] <= 1:
        return ""
    return note(f"This version has {r['of']:,} rows: the distributions, diversity and sample below read every "
                f"{r['every']}th row of each file ({r['rows']:,} rows); counts in the funnel are the manifest's, of all rows.")


def distributions(d: dict) -> str:
    parts = []
    ln = d["lengths"]
    unit = ln["unit"]
    parts.append(figure(plots.histogram(ln["prompt"], f"prompt length ({unit})", "len-prompt"), f"Prompt lengths, {ln['label']}."))
    parts.append(figure(plots.histogram(ln["completion"], f"completion length ({unit})", "len-completion"), f"Completion lengths, {ln['label']}."))
    if "row" in ln:
        parts.append(figure(plots.histogram(ln["row"], "row length (tokens)", "len-row"), "Row lengths in the mixture tokenizer's tokens (chat template included)."))
    pr = d["pass_rates"]
    if pr["prompts"]:
        parts.append(figure(plots.histogram({"prompts": pr["values"]}, "pass rate of the prompt's samples", "pass-rates", unit_range=True, bins=20, ylabel="prompts"),
                            f"Pass rate per prompt ({pr['prompts']} prompts; {pr['never_solved']} never and {pr['always_solved']} always solved)."))
    for name, s in d["scores"].items():
        what = "meta.score (the generator's verifier score or reward)" if name == "score" else "the verifier's `reward` column"
        parts.append(figure(plots.histogram(s["values"], name, f"dist-{name}"), f"Distribution of {what}."))
    sp = d["samples_per_prompt"]
    if sp["prompts"]:
        parts.append(figure(plots.histogram({"drawn": sp["drawn"], "kept": sp["kept"]}, "samples per prompt", "samples-per-prompt",
                                            colors={"drawn": plots.A_COLOR, "kept": plots.KEPT}, ylabel="prompts"),
                            f"Samples per prompt: {sp['total_drawn']} drawn, {sp['total_kept']} kept over {sp['prompts']} prompts."))
    out = '<div class="grid">' + "".join(p for p in parts if p) + "</div>"
    out += _length_table(ln)
    out += _dart(d["dart"]) + _svs(d["svs"]) + _self_play(d["self_play"])
    return out


def _length_table(ln: dict) -> str:
    rows = []
    for part in ("prompt", "completion", "row"):
        for split, s in (ln.get(f"{part}_summary") or {}).items():
            if s["count"]:
                rows.append([part, split, s["count"], s["mean"], s["median"], s["p90"], s["max"]])
    if not rows:
        return note("No prompt or completion text to measure.")
    out = table(["length", "rows", "count", f"mean ({ln['unit']})", "median", "p90", "max"], rows, numeric={2, 3, 4, 5, 6})
    if ln.get("totals"):
        out += note(f"These rows hold {ln['totals']['prompt']:,} prompt and {ln['totals']['completion']:,} completion tokens.")
    return out


def _dart(dart: dict | None) -> str:
    if not dart:
        return ""
    b = dart["buckets"]
    out = f"<h3>DART difficulty buckets ({esc(dart['budget'])}, k = {esc(dart['k'])})</h3>"
    out += figure(plots.bars([x["bucket"] for x in b], {"drawn per prompt": [x["drawn_per_prompt"] for x in b],
                                                          "kept per prompt": [x["kept_per_prompt"] for x in b]},
                             "samples", "dart", xlabel="pass rate of the prompt"),
                  "Harder prompts (lower pass rate) get more samples under a DART budget.")
    return out + table(["pass rate", "prompts", "samples drawn", "kept by the generator", "drawn per prompt", "kept per prompt"],
                       [[x["bucket"], x["prompts"], x["drawn"], x["kept"], x["drawn_per_prompt"], x["kept_per_prompt"]] for x in b],
                       numeric={1, 2, 3, 4, 5})


def _svs(stages: list[dict]) -> str:
    out = ""
    for st in stages:
        r = st["rounds"]
        keys = ["parents", "variants", "well_formed", "answer_preserved", "survived"]
        out += f"<h3>Variant survival per round (SvS, stage {esc(st['stage'])})</h3>"
        out += note(f"{fmt(st['originals'])} original prompts, {fmt(st['varied'])} varied (in the source band with a correct solution).")
        out += figure(plots.bars([f"round {x.get('round')}" for x in r], {k.replace("_", " "): [x.get(k) for x in r] for k in keys},
                                 "prompts", f"svs-{st['stage']}"), "Per round: parents varied, variants asked, well formed, "
                      "answer preserved (some solution reached the inherited answer), survived the band.")
        out += table(["round", *keys], [[x.get("round"), *[x.get(k) for k in keys]] for x in r], numeric={0, 1, 2, 3, 4, 5})
    return out


def _self_play(stages: list[dict]) -> str:
    out = ""
    for st in stages:
        r = st["rounds"]
        out += f"<h3>Reward spread per round (self-play, stage {esc(st['stage'])})</h3>"
        out += figure(plots.lines([x.get("round") for x in r], {"mean spread": [x.get("mean_spread") for x in r]},
                                  "mean reward spread", "round", f"self-play-{st['stage']}"),
                      "Mean informativeness (reward spread) of each round's population; it should rise.")
        out += table(["round", "prompts", "informative", "mean spread"],
                     [[x.get("round"), x.get("prompts"), x.get("informative"), x.get("mean_spread")] for x in r], numeric={0, 1, 2, 3})
    return out


def diversity(dv: dict) -> str:
    emb = dv["embedding"]
    items = [(f"distinct-{n}", v) for n, v in dv["distinct"].items()]
    items.append(("embedding spread", emb["value"]))
    out = cards(items)
    if dv["rows"]:
        out += note(f"Over the kept rows' {dv['texts']} ({dv['rows']} texts): distinct-n is the share of unique word n-grams; "
                    "the embedding spread is 1 - mean pairwise cosine"
                    + (f" of {emb['texts']} static embeddings ({emb['model']})." if emb["value"] is not None else f": {emb['why']}."))
    else:
        out += note("No kept rows: nothing to measure.")
    dup = dv["duplicates"]
    if not dup["duplicates"]:
        return out + note("Duplicate clusters: none (no row was rejected as a duplicate of a kept row).")
    out += "<h3>Duplicate clusters</h3>" + note(
        f"{dup['duplicates']} rows rejected as duplicates of {dup['clusters']} kept rows ("
        + ", ".join(f"stage {k}: {v}" for k, v in dup["by_stage"].items()) + "). Largest clusters:")
    rows = "".join(f"<tr><td class=\"num\">{c['size']}</td><td>{esc(c['kept_id'])}</td><td>{text_block(c['kept'])}</td>"
                   f"<td>{''.join(text_block(e) for e in c['examples'])}</td></tr>" for c in dup["largest"])
    return out + f"<table><thead><tr><th class=\"num\">rows</th><th>kept row</th><th>kept text</th><th>duplicates (examples)</th></tr></thead><tbody>{rows}</tbody></table>"


def contamination(c: dict | None) -> str:
    if c is None:
        return note("Not checked: no decontamination stage ran on this version.")
    out = ""
    for label, r in c.items():
        verb = "removed" if r["action"] == "reject" else "flagged (kept)"
        out += f"<h3>Stage {esc(label)}</h3>" + note(f"{r['flagged_rows']} of {r['rows_checked']} rows {verb}; methods: {', '.join(r['methods'])}.")
        out += table(["benchmark", "items", "source", "flagged rows", "items matched", *r["methods"]],
                     [[b["benchmark"], b["items"], b["source"], b["flagged_rows"], b["items_matched"], *b["by_method"].values()] for b in r["benchmarks"]],
                     numeric={1, 3, 4, *range(5, 5 + len(r["methods"]))}, cls="contamination")
        out += figure(plots.contamination(r["benchmarks"], r["methods"], f"contamination-{label}"), "Flagged rows per benchmark, by method.")
        if r["unavailable"]:
            out += note("Not checked (could not be loaded): " + ", ".join(sorted(r["unavailable"])) + ".")
        if r["flagged"]:
            rows = "".join(
                f"<tr><td>{esc(x['benchmark'])}<br><span class=\"small\">{esc(x['method'])} {esc(x['score'])}</span></td>"
                f"<td><span class=\"small\">{esc(x['id'])} ({esc(x['split'] or 'not in this version')})</span>{text_block(x['text'])}</td>"
                f"<td><span class=\"small\">{esc(x['item_id'])}</span>"
                + (text_block(x["item"]) if x["item"] is not None else f"<div class=\"small\">text not available: {esc(x['item_missing'])}</div>")
                + "</td></tr>" for x in r["flagged"])
            out += ("<table class=\"flagged\"><thead><tr><th>benchmark / method</th><th>flagged row</th><th>benchmark item</th></tr></thead>"
                    f"<tbody>{rows}</tbody></table>")
            if r["more_rows"]:
                out += note(f"{r['more_rows']} more flagged rows are listed in manifest.json under contamination.{label}.rows.")
    return out


def sample(s: dict) -> str:
    rows = s["rows"]
    if not rows:
        return note("No rows in this version.")
    options = [("*", f"all sampled rows ({len(rows)})")]
    if s["shown"].get("kept"):
        options.append(("kept", f"kept ({s['shown']['kept']} of {s['of']['kept']})"))
    rejected = {k: v for k, v in s["shown"].items() if k != "kept"}
    if rejected:
        options.append(("*rejected", f"rejected, any reason ({sum(rejected.values())} of {s['of']['rejected']})"))
    options += [(k, f"rejected: {k} ({v} of {s['by_reason'].get(k, v)})") for k, v in sorted(rejected.items())]
    select = "".join(f'<option value="{esc(v)}">{esc(t)}</option>' for v, t in options)
    body, prev = [], None
    for r in rows:
        group = hashlib.sha1((r["prompt"] or r["id"]).encode()).hexdigest()[:12]
        same = group == prev
        prev = group
        detail = "" if r["reason"] == r["category"] else f": {esc(r['reason'])}"
        badge = ('<span class="badge kept">kept</span>' if r["split"] == "train" else
                 f'<span class="badge rejected">{esc(r["category"])}</span><div class="small">by {esc(r["rejected_by"])}{detail}</div>')
        response = text_block(r["response"])
        if r["response"] is None and r["solution"] is not None:
            response = f'<b class="small">solution</b>{text_block(r["solution"])}'
        if r["other"] is not None:
            response = f'<div class="pair"><div><b class="small">chosen</b>{response}</div><div><b class="small">rejected</b>{text_block(r["other"])}</div></div>'
        lineage = " · ".join(f"{esc(k)}: {esc(v)}" for k, v in r["lineage"].items()) or "-"
        cls = ' class="same"' if same else ""
        prompt = f'<span class="small same-note">(same prompt)</span><div class="full">{text_block(r["prompt"])}</div>'
        body.append(
            f'<tr data-reason="{esc(r["category"])}" data-split="{esc(r["split"])}" data-group="{group}"{cls}>'
            f'<td>{badge}</td><td class="prompt-cell">{prompt}</td>'
            f'<td>{response}</td><td class="small">answer: {esc(r["answer"])}</td>'
            f'<td class="small lineage"><b>{esc(r["id"])}</b><br>{lineage}</td><td class="small">{esc(r["verdicts"])}</td></tr>')
    return (note(f"{len(rows)} rows: up to {KEPT} kept and {REJECTED} rejected (every reason shows), grouped by prompt so that a prompt's "
                 "kept and rejected samples sit side by side. Filter by reason:")
            + f'<div class="toolbar"><select id="reason-filter" aria-label="filter by reason">{select}</select>'
              '<span id="sample-count" class="small"></span></div>'
            + '<table id="sample-table"><thead><tr><th>verdict</th><th>prompt</th><th>response</th><th>answer</th><th>id and lineage</th>'
              f"<th>verdicts</th></tr></thead><tbody>{''.join(body)}</tbody></table>")
