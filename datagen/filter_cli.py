"""Run one filter stage on a table outside a recipe: what `datagen verify`, `datagen dedup`
and `datagen decontaminate` do. INPUT and OUT may be a jsonl or parquet file or a dataset version.

Input rows keep every column they have; rows without `id` get `row-N` (N: the 1-based row
or line number) and rows without `meta` an empty lineage struct, so verdicts and dedup
clusters are recorded as in a recipe run. Output to a file is written atomically (a temp
file renamed into place); output to a NAME makes a new version `NAME@vN` whose manifest
names the input as its parent. Kept and rejected rows are never mixed: rejected rows go to
`--rejected` (a file) or the version's rejected split.

What it does not do: sharding, caching or resume (use a recipe for long LLM-judged runs).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from datagen.errors import UserError
from datagen.store import Store, is_ref

FILE_SUFFIXES = (".jsonl", ".json", ".parquet")
EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,9}$")  # what reads as a file extension (.csv, .txt, .gz), not a name's `.5`


def read_input(text: str, store: Store):
    """(polars frame, label, parents, fingerprint) for a file or NAME@vN."""
    import polars as pl

    from datagen.hashing import digest
    from schemas.rows import META, empty_meta

    if is_ref(text):
        ref = store.resolve(text)
        df = pl.from_arrow(store.read_table(ref))
        label, parents, fp = str(ref), [str(ref)], store.manifest(ref)["fingerprint"]
    else:
        path = Path(text)
        if path.suffix.lower() not in FILE_SUFFIXES:
            raise UserError(f"INPUT: {text!r} is neither NAME@vN nor a .jsonl/.parquet file")
        from datagen.file_io import read_file, read_jsonl

        df = read_jsonl(path, "INPUT") if path.suffix.lower() != ".parquet" else read_file(path, pl.read_parquet, "INPUT")
        label, parents = str(path), []
        st = path.stat()
        fp = digest([str(path.resolve()), st.st_size, st.st_mtime_ns])
    if "id" not in df.columns:
        df = df.with_columns(id=pl.format("row-{}", pl.int_range(1, pl.len() + 1)))
    df = df.with_columns(pl.col("id").cast(pl.String))
    if "meta" not in df.columns:
        import pyarrow as pa

        df = df.with_columns(meta=pl.from_arrow(pa.array([empty_meta(label)] * len(df), type=META)))
    return df, label, parents, fp


def write_file(df, path: Path) -> None:
    """jsonl or parquet by suffix, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if path.suffix.lower() == ".parquet":
            df.write_parquet(tmp)
        else:
            df.write_ndjson(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def check_output(out: str, what: str = "--out") -> str:
    """'file' or 'version': what OUT names. A dotted suffix that is not a known file
    extension (x.csv) is an error, never a dataset called `x.csv`."""
    from schemas.recipe import NAME

    if Path(out).suffix.lower() in FILE_SUFFIXES:
        return "file"
    if "@" in out:
        raise UserError(f"{what}: {out!r}: name the dataset only (NAME); its version number is assigned")
    if EXTENSION.search(Path(out).name):
        raise UserError(f"{what}: {out!r}: unknown file extension {Path(out).suffix!r}; a file output ends in "
                        f"{', '.join(FILE_SUFFIXES)}; a dataset NAME (a new version NAME@vN) has no extension")
    if not NAME.match(out):
        raise UserError(f"{what}: {out!r} is neither a .jsonl/.json/.parquet path nor a dataset NAME "
                        "(letters, digits, '.', '_' or '-', no '/')")
    return "version"


def check_outputs(out: str, rejected_out: str | None, report_out: str | None, store_root, uses_store: bool = False) -> str:
    """Every output of a filter command, before any work: names, extensions, and that each
    file (or the store, for a version) can be written. Returns check_output's kind."""
    from datagen.output_checks import check_distinct, check_file, check_store

    kind = check_output(out)
    if rejected_out is not None and Path(rejected_out).suffix.lower() not in FILE_SUFFIXES:
        raise UserError(f"--rejected: {rejected_out!r} must be a {', '.join(FILE_SUFFIXES)} path")
    if report_out is not None and Path(report_out).suffix.lower() != ".json":
        raise UserError(f"--report: {report_out!r} must be a .json path")
    check_distinct({"--out": out if kind == "file" else None, "--rejected": rejected_out, "--report": report_out})
    if kind == "file":
        check_file(out, "--out")
    for option, path in (("--rejected", rejected_out), ("--report", report_out)):
        if path is not None:
            check_file(path, option)
    if kind == "version" or uses_store:
        check_store(store_root)
    return kind


def run_filter(
    spec,
    input_: str,
    out: str,
    rejected_out: str | None,
    store: Store,
    command: str,
    models: dict | None = None,
    report_out: str | None = None,
) -> dict:
    """Apply `spec` (a filter stage spec) to INPUT; write kept rows to OUT. Returns a summary.
    `models` (name -> ModelSpec) serves filters that call an LLM; a filter's report
    (decontamination) is written to `report_out` and into the version's manifest."""
    from datagen import stage_io
    from datagen.engine import StageContext, make_stage

    kind = check_outputs(out, rejected_out, report_out, store.root, uses_store=bool(models))
    df, label, parents, fp = read_input(input_, store)
    pool = None
    if models:
        from datagen.llm_pool import LLMPool

        pool = LLMPool(models, store.root / ".cache" / "requests.sqlite")
    try:
        impl = make_stage(spec, StageContext(index=0, pool=pool, field="option"))
        describe = impl.describe()
        t0 = time.perf_counter()
        kept, rejected, _ = stage_io.execute(impl, df.to_arrow(), spec.label)
    finally:
        if pool is not None:
            pool.close()
    seconds = round(time.perf_counter() - t0, 3)
    report = impl.report()
    stats = stage_io.shard_stats(len(df), kept, rejected, seconds, generated=False)
    summary = {"input": label, **{k: stats[k] for k in ("rows_in", "kept", "rejected", "reasons", "seconds")}}
    if report and "flagged_rows" in report:  # decontamination: with action flag, flagged rows are kept
        summary.update(flagged=report["flagged_rows"], action=report.get("action"))
    if report_out is not None:
        Path(report_out).parent.mkdir(parents=True, exist_ok=True)
        stage_io.write_json(Path(report_out), report or {})
        summary["report"] = report_out
    if kind == "file":
        write_file(kept, Path(out))
        if rejected_out is not None:
            write_file(rejected, Path(rejected_out))
        summary["out"] = out
        return summary
    from datagen.derived_version import publish_filtered

    ref, created = publish_filtered(
        store,
        out,
        kept.to_arrow(),
        rejected.to_arrow(),
        spec=spec,
        describe=describe,
        report=report,
        source=label,
        parents=parents,
        input_fingerprint=fp,
        summary=summary,
        command=command,
    )
    if rejected_out is not None:
        write_file(rejected, Path(rejected_out))
    summary.update(out=str(ref), created=created)
    return summary


def summary_line(s: dict) -> str:
    """One line for people: rows in, kept, rejected with reasons, flagged (decontaminate --action flag)."""
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(s["reasons"].items()))
    line = f"{s['rows_in']} rows in, {s['kept']} kept, {s['rejected']} rejected" + (f" ({reasons})" if reasons else "")
    if "flagged" in s:
        verb = "flagged (kept, see the `contamination` column)" if s.get("action") == "flag" else "flagged and rejected"
        line += f"; {s['flagged']} {verb}"
    return line
