"""The dataset card of a mixture version: Hugging Face YAML metadata (train, test and
rejected splits), how to load and train on it, where its HTML report is, the composition
table (rows, tokens and shares per source, with source versions and revisions), the
synthetic fraction, the token count check, reject reasons, and the mixture spec."""

from __future__ import annotations

import json

import yaml


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.1%}"
    return str(v)


def composition_table(m: dict) -> list[str]:
    mix = m["mixture"]
    lines = [
        "| source | from | synthetic | asked | filtered out | rejected | duplicates | eval rows | train rows | train tokens | share (rows) | share (tokens) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in mix["composition"]:
        asked = ", ".join(f"{k}: {v}" for k, v in c["asked"].items())
        where = f"`{c['source']}`" + (f" @ `{c['revision']}`" if c.get("revision") else "")
        lines.append(
            f"| {c['name']} | {where} | {'yes' if c['synthetic'] else 'no'} | {asked} | {c['filtered_out']} | {c['rejected']} | "
            f"{c['duplicates']} | {c['eval_rows']} | {c['train_rows']} | {_fmt(c['train_tokens'])} | {_fmt(c['share_rows'])} | {_fmt(c['share_tokens'])} |"
        )
    s = mix["summary"]
    lines.append(f"| **total** | | | | | | | {m['counts']['test']} | {m['counts']['train']} | {_fmt(s.get('train_tokens'))} | 100% | |")
    return lines


def render_mixture_card(m: dict, path=None) -> str:
    """The card; `path` is the version's directory (for the load snippet)."""
    from datagen.card import load_snippet, report_lines, size_category

    mix = m["mixture"]
    header = {
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": "data/*.parquet"}, {"split": "test", "path": "test/*.parquet"}]},
            {"config_name": "rejected", "data_files": [{"split": "rejected", "path": "rejected/*.parquet"}]},
        ],
        "license": m["recipe"]["output"].get("license", "other"),
        "tags": ["datagen", "mixture"] + (["synthetic"] if mix["synthetic_rows"] else []),
        "task_categories": ["text-generation"],
        "size_categories": [size_category(m["counts"]["train"])],
        "datagen": {"ref": m["ref"], "fingerprint": m["fingerprint"]},
    }
    tok = mix.get("tokenizer")
    check = mix.get("token_count_check") or {}
    columns = {"sft": "`messages`", "preference": "`prompt`, `chosen`, `rejected`", "prompt": "`prompt`"}[mix["format"]]
    lines = [
        "---", yaml.safe_dump(header, sort_keys=False).rstrip(), "---", "",
        f"# {m['ref']}", "", m["recipe"].get("description") or "", "",
        f"A training mixture made by [datagen](https://pypi.org/project/datagen/) from {len(mix['composition'])} sources, "
        f"in TRL's {mix['format']} format ({columns}, plus `answer`, `source`, `domain`, `difficulty`, `synthetic`, `num_tokens`, `meta`). "
        f"Fingerprint `{m['fingerprint']}`; created {m['created_at']}.", "",
        "## Load", "", "`train`; `test`, held out by prompt; `rejected`, with `rejected_by` and `reason`.", "",
        "```python", *load_snippet(m, path), "```", "",
        *report_lines(m),
        "## Composition", "", *composition_table(m), "",
        f"Synthetic fraction: {mix['summary']['synthetic_fraction']:.1%} by {m['recipe']['mixture']['synthetic']['basis']}.",
    ]
    lines += [f"> warning: {w}" for w in mix.get("warnings", [])]
    if tok:
        lines += ["", f"Tokens counted with `{tok['name']}` (vocabulary {tok['vocab_size']}, fingerprint `{tok['fingerprint']}`), chat template included"
                  + (f"; checked against the rendered template on {check['rows']} rows: {check['exact']} exact, mean abs error {check['mean_abs_error']}." if check.get("rows") else ".")]
    else:
        lines += ["", "Tokens: not counted (no `tokenizer:` in the mixture)."]
    lines += ["", "## Rejected", ""]
    reasons = m.get("reject_reasons") or {}
    lines += [f"- {k}: {v}" for k, v in reasons.items()] or ["None."]
    lines += ["", "## Lineage", "", f"Parents: {', '.join(m['parents']) or 'none'}. Per-source fingerprints and revisions are in "
              "`manifest.json` under `mixture.composition`; each row keeps its `meta` lineage and the `source` it came from.",
              "", "## Mixture", "", "```json", json.dumps(m["recipe"]["mixture"], indent=2), "```", ""]
    return "\n".join(lines)
