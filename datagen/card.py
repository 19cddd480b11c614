"""The dataset card (`README.md` of a version): Hugging Face YAML metadata, then how to load
it, its stats, where its HTML report is, per-stage counts and reject reasons, lineage and
models. Pure text from the manifest; nothing is read from disk here."""

from __future__ import annotations

import json

import yaml


def size_category(n: int) -> str:
    for limit, label in [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]:
        if n < limit:
            return label
    return "1M<n<10M"


def load_snippet(m: dict, path=None) -> list[str]:
    """Python that loads this version: its parquet files on disk (by path: loading the version
    directory itself makes `datasets` cache it under the name `vN`, shared by every dataset's
    vN), and the Hub form for a pushed version (`datagen push` tags the commit `vN`)."""
    name, ver = m["ref"].rsplit("@", 1)
    where = str(path) if path is not None else f"datagen-data/{name}/{ver}"
    splits = m.get("splits") or {"train": "data/*.parquet", "rejected": "rejected/*.parquet"}
    splits = {k: splits[k] for k in sorted(splits, key=lambda k: ("train", "test", "rejected").index(k) if k in ("train", "test", "rejected") else 9)}
    var = {"train": "ds", "test": "test", "rejected": "rejected"}
    lines = ["from datasets import load_dataset", f"# this version's files, in the store that made it ({name}@{ver}):"]
    for split, files in splits.items():
        lines.append(f'{var.get(split, split)} = load_dataset("parquet", data_files="{where}/{files}", split="train")')
    empty = [s for s in splits if m.get("counts", {}).get(s) == 0]
    if empty:
        lines.append(f"# {', '.join(empty)}: 0 rows (a parquet file with the columns and no rows); `datasets` refuses an empty")
        lines.append("# split (\"corresponds to no data\"): pass streaming=True, or read it with polars.read_parquet")
    lines.append(f"# pushed with `datagen push {m['ref']} --repo-id ORG/{name}`:")
    for split in splits:
        config = '"rejected", ' if split == "rejected" else ""
        lines.append(f'{var.get(split, split)} = load_dataset("ORG/{name}", {config}revision="{ver}", split="{split}")')
    return lines


def contamination_section(reports: dict | None) -> str:
    """The card's contamination report: per decontamination stage, per benchmark counts."""
    if not reports:
        return "Not checked: no decontamination stage ran on this version."
    out = []
    for label, r in reports.items():
        verb = "removed" if r["action"] == "reject" else "flagged (kept, see the `contamination` column)"
        out += [
            f"Stage `{label}`: {r['flagged_rows']} of {r['rows_checked']} rows {verb}; methods: {', '.join(r['methods'])}.",
            "",
            "| benchmark | items | source | flagged rows | items matched | by method |",
            "|---|---|---|---|---|---|",
        ]
        for name, b in r["benchmarks"].items():
            by = ", ".join(f"{k}: {v}" for k, v in sorted(b["by_method"].items())) or "-"
            out.append(f"| {name} | {b['items']} | `{b['source']}` | {b['flagged_rows']} | {b['items_matched']} | {by} |")
        if r.get("unavailable"):
            out += ["", f"Not checked (could not be loaded): {', '.join(sorted(r['unavailable']))}."]
        if r.get("non_english_rows") and not r.get("multilingual_model"):
            out += ["", f"{r['non_english_rows']} rows are not English and no multilingual embedding model was set: "
                    "they were checked by the language-independent methods (skeleton, answer) only."]
        out += ["", f"Every flagged row (id, benchmark item, method, score) is listed in `manifest.json` under `contamination.{label}.rows`.", ""]
    return "\n".join(out).rstrip()


def cost_lines(cost: dict | None) -> list[str]:
    """What the version cost at the recipe's `models.NAME.price` (none without prices)."""
    if not cost:
        return []
    per_row = f", {cost['per_kept_row']:.6f} per kept row" if cost.get("per_kept_row") is not None else ""
    line = f"Cost: {cost['total']:.4f} {cost['currency']} in the rows' tokens{per_row}; this run spent {cost['this_run']['total']:.4f} (request-cache hits are free)."
    if cost.get("unpriced"):
        line += f" Not priced (no `price`): {', '.join(cost['unpriced'])}."
    return [line, ""]


def report_lines(m: dict) -> list[str]:
    """The card's pointer to the version's `report.html` (none when it has no report)."""
    if not m.get("report"):
        return []
    return ["## Report", "",
            f"`{m['report']}` beside this card: one self-contained HTML page (no network needed) with the funnel (rows, reject "
            "reasons, seconds and tokens per stage), distributions, diversity, contamination and a browsable sample of kept and "
            f"rejected rows. Open it in a browser, or run `datagen report {m['ref']} --open`.", ""]


def render_card(m: dict, path=None) -> str:
    """The card; `path` is the version's directory (for the load snippet)."""
    header = {
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": "data/*.parquet"}]},
            {"config_name": "rejected", "data_files": [{"split": "rejected", "path": "rejected/*.parquet"}]},
        ],
        "license": m["recipe"]["output"].get("license", "other"),
        "tags": ["synthetic", "datagen"],
        "task_categories": ["text-generation"],
        "size_categories": [size_category(m["counts"]["train"])],
        "datagen": {"ref": m["ref"], "fingerprint": m["fingerprint"]},
    }
    desc = m["recipe"].get("description") or m["recipe"]["output"].get("description") or ""
    lines = [
        "---",
        yaml.safe_dump(header, sort_keys=False).rstrip(),
        "---",
        "",
        f"# {m['ref']}",
        "",
        desc,
        "",
        f"Synthetic data made by [datagen](https://pypi.org/project/datagen/) from `{m['source']['label']}` "
        f"({m['source']['rows']} seed rows). Fingerprint `{m['fingerprint']}`; created {m['created_at']}.",
        "",
        "## Load",
        "",
        "Kept rows are the `train` split; rejected rows, with `rejected_by` and `reason`, the `rejected` split.",
        "",
        "```python",
        *load_snippet(m, path),
        "```",
        "",
        "## Stats",
        "",
        "| split | rows |",
        "|---|---|",
        f"| train | {m['counts']['train']} |",
        f"| rejected | {m['counts']['rejected']} |",
        "",
        f"Tokens generated: {m['tokens']['completion']} completion, {m['tokens']['prompt']} prompt.",
        "",
        *cost_lines(m.get("cost")),
        *report_lines(m),
        "## Stages",
        "",
        "| # | stage | type | in | kept | rejected | reject reasons | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in m["stages"]:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(s["reasons"].items())) or "-"
        lines.append(f"| {s['index']} | {s['label']} | {s['type']} | {s['rows_in']} | {s['kept']} | {s['rejected']} | {reasons} | {s['seconds']} |")
    lines += ["", "## Models", ""]
    for name, spec in m["models"].items():
        lines.append(f"- `{name}`: {spec['backend']} `{spec['model'] or 'datagen-tiny (embedded)'}`" + (f" @ {spec['revision']}" if spec.get("revision") else ""))
    lines += [
        "",
        "## Lineage",
        "",
        f"Parents: {', '.join(m['parents']) or 'none'}. Every row carries `meta` (source, parent id, generator, model, "
        "sampling, verifier verdicts). The full recipe and library versions are in `manifest.json`.",
        "",
        "## Contamination",
        "",
        contamination_section(m.get("contamination")),
        "",
        "## Recipe",
        "",
        "```json",
        json.dumps(m["recipe"], indent=2),
        "```",
        "",
    ]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list], indent: str = "  ") -> list[str]:
    """Aligned plain-text columns (numbers right-aligned), for terminal output."""
    cells = [[str(c) for c in header]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def fmt(row, first=False):
        out = []
        for i, c in enumerate(row):
            numeric = not first and i > 0 and c.replace(".", "", 1).replace("%", "").isdigit()
            out.append(c.rjust(widths[i]) if numeric or (first and i > 0) else c.ljust(widths[i]))
        return (indent + "  ".join(out)).rstrip()

    return [fmt(cells[0], True), *(fmt(r) for r in cells[1:])]


def show_lines(m: dict, path) -> list[str]:
    """`datagen show`: the version, its splits and tokens as tables, stages, composition, and how to load it."""
    counts = m["counts"]
    lines = [f"{m['ref']}  ({path})",
             f"  source: {m['source']['label']} ({m['source']['rows']} rows); parents: {', '.join(m['parents']) or '-'}", ""]
    lines += text_table(["split", "rows"], [[s, counts[s]] for s in ("train", "test", "rejected") if s in counts])
    tok = m.get("tokens") or {}
    train_tokens = (m.get("mixture") or {}).get("summary", {}).get("train_tokens")
    rows = [["generated", tok.get("prompt", 0), tok.get("completion", 0), tok.get("prompt", 0) + tok.get("completion", 0)]]
    if train_tokens is not None:
        rows.append(["train split", None, None, train_tokens])
    lines += ["", *text_table(["tokens", "prompt", "completion", "total"], rows)]
    if m["stages"]:
        lines += ["", *text_table(["#", "stage", "in", "kept", "rejected", "reasons"],
                                  [[s["index"], s["label"], s["rows_in"], s["kept"], s["rejected"],
                                    ", ".join(f"{k}: {v}" for k, v in sorted(s["reasons"].items())) or "-"] for s in m["stages"]])]
    comp = (m.get("mixture") or {}).get("composition", [])
    if comp:
        lines += ["", *text_table(
            ["source", "from", "synthetic", "train rows", "train tokens", "share", "test", "rejected", "duplicates"],
            [[c["name"], c["source"], "yes" if c["synthetic"] else "no", c["train_rows"], c["train_tokens"], f"{c['share_rows']:.1%}",
              c["eval_rows"], c["rejected"], c["duplicates"]] for c in comp])]
    lines += ["", f"  fingerprint: {m['fingerprint']}  created: {m['created_at']}", "", "  load:"]
    lines += [f"    {line}" for line in load_snippet(m, path)]
    return lines
