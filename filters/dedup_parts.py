"""Exact and MinHash dedup in parts, so that no process holds the whole dataset: how the
engine runs `type: dedup` (methods exact and minhash) under every executor.

1. keys, per input shard (any worker): each row's global position `g`, id, keep rank, text,
   and its exact hash or its MinHash signature and band keys, written to `keys-J.parquet`;
2. pairs, per partition P of `parts` (any worker): the rows whose hash (exact) or band key
   (minhash, band by band) falls in P, read from every keys file with a filter, grouped:
   duplicate groups (exact) or candidate pairs checked against the estimated Jaccard
   (minhash) with the pair veto's verdict (it reads the texts of the partition's pairs),
   written to `part-P.parquet`;
3. decide, on one worker: the pairs (as many as there are near duplicates, not rows; no
   texts) are clustered exactly as `Dedup` does on a whole table (filters/dedup.py), and one
   decision per row that has a duplicate is written to `decisions.parquet`;
4. apply, per shard (any worker): `DedupApply` turns the decisions for the shard's rows into
   the same Verdict `Dedup` gives; rows with no decision are kept, as their own cluster.

Rows, clusters and scores equal `Dedup` on the concatenated shards (tests/test_dedup_parts.py),
whatever the number of parts. Rows are matched to decisions by id (sources make ids unique).

What it does not do: embedding dedup (its vectors meet in one process: `Dedup` runs it whole),
or resume a half-done phase (a re-run recomputes keys and pairs, cheap next to generation,
and skips applied shards by their markers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

DECISION_COLUMNS = ["g", "id", "cluster", "sim"]


def _spec(spec: dict):
    from schemas.filters import DedupStage

    return DedupStage.model_validate(spec)


def shard_keys(spec: dict, field: str, in_path: str, out_path: str, offset: int) -> int:
    """Phase 1 for one shard; returns its row count. `field` names the stage in errors."""
    import polars as pl

    from datagen.stage_io import read_parquet, write_parquet
    from filters.dedup import keep_rank, normalised
    from filters.text import text_expr

    s = _spec(spec)
    df = pl.from_arrow(read_parquet(Path(in_path)))
    df = df.with_columns(_text=text_expr(df, s.column, f"{field}.column"))
    rank = keep_rank(df, s.keep) if s.keep != "first" else pl.int_range(pl.len())
    out = df.select(
        g=pl.int_range(pl.len(), dtype=pl.Int64) + offset, id=pl.col("id").cast(pl.String), rank=rank.cast(pl.Float64) + (offset if s.keep == "first" else 0),
        text=pl.col("_text"),
    )
    if s.method == "exact":
        out = out.with_columns(h=df.select(normalised(pl.col("_text")).fill_null("").hash(seed=0)).to_series())
    else:
        from filters.minhash import band_keys, band_params, signatures

        sigs = signatures(df.get_column("_text"), s.num_perm, s.ngram)
        keys = band_keys(sigs, *band_params(s.similarity, s.num_perm))
        sig = pl.Series("sig", sigs, dtype=pl.Array(pl.UInt32, s.num_perm)) if len(sigs) else pl.Series("sig", [], dtype=pl.Array(pl.UInt32, s.num_perm))
        out = out.with_columns(sig=sig,
                               **{f"b{k}": pl.Series(keys[:, k], dtype=pl.UInt64) for k in range(keys.shape[1])})
    write_parquet(out, Path(out_path))
    return df.height


def partition_pairs(spec: dict, key_paths: list[str], p: int, parts: int, out_path: str) -> int:
    """Phase 2 for partition `p`: exact, one row per member of a duplicate group (g, id,
    cluster, sim 1.0); minhash, the checked pairs (left, right, sim). Returns the row count."""
    import polars as pl

    from datagen.stage_io import write_parquet

    s = _spec(spec)
    keys = pl.scan_parquet(key_paths)
    if s.method == "exact":
        df = keys.select("g", "id", "rank", "h").filter(pl.col("h") % parts == p).filter(pl.col("h").is_duplicated()).collect()
        out = df.with_columns(cluster=pl.col("id").sort_by("rank", "g").first().over("h"), sim=pl.lit(1.0)).select(DECISION_COLUMNS)
    else:
        from filters.minhash import band_params, candidate_pairs, estimated_jaccard

        bands, _ = band_params(s.similarity, s.num_perm)
        found = []
        for k in range(bands):
            band = keys.select("g", f"b{k}").filter(pl.col(f"b{k}") % parts == p).collect()
            left, right = candidate_pairs(band.get_column("g").to_numpy(), band.get_column(f"b{k}").to_numpy()[:, None])
            found.append(pl.DataFrame({"left": left, "right": right}))
        pairs = pl.concat(found).unique()
        rows = pl.concat([pairs.get_column("left"), pairs.get_column("right")]).unique()
        sigs = keys.select("g", "sig").filter(pl.col("g").is_in(rows.implode())).collect()
        both = pairs.join(sigs.rename({"g": "left", "sig": "a"}), on="left").join(sigs.rename({"g": "right", "sig": "b"}), on="right")
        sim = estimated_jaccard(both.get_column("a").to_numpy(), both.get_column("b").to_numpy()) if both.height else np.zeros(0)
        out = both.select("left", "right", sim=pl.Series(sim, dtype=pl.Float64)).filter(pl.col("sim") >= s.similarity)
        out = out.with_columns(vetoed=_vetoed(keys, out) if s.veto else pl.lit(False))
    write_parquet(out, Path(out_path))
    return out.height


def _vetoed(keys, pairs):
    """The pair veto (filters/pair_veto.py) of a partition's pairs, with the texts of their
    rows read here, so that texts never meet in one process."""
    import polars as pl

    from filters.pair_veto import veto

    if not pairs.height:
        return pl.Series("vetoed", [], dtype=pl.Boolean)
    rows = pl.concat([pairs.get_column("left"), pairs.get_column("right")]).unique()
    info = keys.select("g", "text").filter(pl.col("g").is_in(rows.implode())).collect().sort("g")
    position = info.get_column("g").to_numpy()
    left = np.searchsorted(position, pairs.get_column("left").to_numpy()).astype(np.int64)
    right = np.searchsorted(position, pairs.get_column("right").to_numpy()).astype(np.int64)
    return pl.Series("vetoed", veto(info.get_column("text").fill_null("").to_list(), left, right))


def decide(spec: dict, key_paths: list[str], part_paths: list[str], out_path: str) -> dict | None:
    """Phase 3 (one call, on any worker: its memory grows with the near-duplicate pairs, so it
    is not the driver's): decisions for every row that has a duplicate; returns the report
    `Dedup` would give."""
    import polars as pl

    from datagen.stage_io import write_parquet
    from filters.dedup import best_similarity, components, representatives

    s, out_path = _spec(spec), Path(out_path)
    parts = pl.concat([pl.read_parquet(p) for p in part_paths], how="vertical_relaxed") if part_paths else pl.DataFrame()
    if s.method == "exact":
        write_parquet(parts.sort("g") if parts.height else _empty(), out_path)
        return None
    pairs = parts.unique(["left", "right"]).sort("left", "right") if parts.height else pl.DataFrame({"left": [], "right": [], "sim": [], "vetoed": []})
    report = {"similar_pairs": pairs.height}
    if not pairs.height:
        write_parquet(_empty(), out_path)
        return report
    if s.veto:  # vetoed in the pairs phase, where the texts are
        report["vetoed_pairs"] = int(pairs.get_column("vetoed").sum())
        pairs = pairs.filter(~pl.col("vetoed"))
    rows = pl.concat([pairs.get_column("left"), pairs.get_column("right")]).unique().sort().cast(pl.Int64)
    info = (pl.scan_parquet(key_paths).select("g", "id", "rank").filter(pl.col("g").is_in(rows.implode())).collect().sort("g")
            if rows.len() else pl.DataFrame(schema={"g": pl.Int64, "id": pl.String, "rank": pl.Float64}))
    position = info.get_column("g").to_numpy()  # sorted: a row's place in `info` by binary search
    left = np.searchsorted(position, pairs.get_column("left").to_numpy()).astype(np.int64)
    right = np.searchsorted(position, pairs.get_column("right").to_numpy()).astype(np.int64)
    sim = pairs.get_column("sim").to_numpy().astype(np.float64)
    n = info.height
    order = info.with_row_index("k").sort("rank", "g").get_column("k").to_numpy()
    label = components(n, left, right) if s.cluster == "components" else representatives(n, left, right, order)
    best = best_similarity(n, left, right, sim)
    out = info.select("g", "id", _c=pl.Series(label), rank=pl.col("rank"), sim=pl.Series(best))
    out = out.with_columns(cluster=pl.col("id").sort_by("rank", "g").first().over("_c")).filter(pl.col("sim").is_not_nan())
    write_parquet(out.select(DECISION_COLUMNS), out_path)
    return report


def _empty():
    import polars as pl

    return pl.DataFrame(schema={"g": pl.Int64, "id": pl.String, "cluster": pl.String, "sim": pl.Float64})


@dataclass
class DedupApply:
    """Phase 4: a shard-scope stage (small, picklable: any worker can run it) that gives one
    shard's rows the decisions in `decisions`."""

    decisions: str
    method: str
    scope: str = "shard"

    def describe(self) -> dict:
        return {"filter": f"{self.method}_dedup", "decisions": self.decisions}

    def report(self) -> None:
        return None

    def __call__(self, ds):
        import polars as pl

        from datagen.verdict import Verdict

        ids = pl.from_arrow(ds.data.table if hasattr(ds, "data") else ds).select(pl.col("id").cast(pl.String))
        found = (pl.scan_parquet(self.decisions).select(pl.col("id").cast(pl.String), pl.col("cluster").cast(pl.String), pl.col("sim").cast(pl.Float64))
                 .filter(pl.col("id").is_in(ids.get_column("id").implode())).collect())
        df = ids.join(found.select("id", "cluster", "sim"), on="id", how="left", maintain_order="left")
        is_dup = pl.col("cluster").is_not_null() & (pl.col("id") != pl.col("cluster"))
        out = df.select(
            keep=~is_dup, reason=pl.when(is_dup).then(pl.lit("duplicate")), dup_of=pl.when(is_dup).then(pl.col("cluster")),
            cluster=pl.col("cluster").fill_null(pl.col("id")), sim=pl.col("sim"),
        )
        return Verdict(
            keep=out.get_column("keep"),
            reason=out.get_column("reason"),
            score=out.get_column("sim"),
            name=f"{self.method}_dedup",
            meta={"dedup_cluster": out.get_column("cluster")},
            columns={"dup_of": out.get_column("dup_of")},
        )


def run_in_parts(dedup, inputs: list[Path], work: Path, mapper, parts: int):
    """Phases 1-3 through `mapper` (an executor's `map`); returns the phase-4 stage."""
    import pyarrow.parquet as pq

    work.mkdir(parents=True, exist_ok=True)
    spec = dedup.spec.model_dump(mode="json")
    offsets = np.concatenate([[0], np.cumsum([pq.ParquetFile(p).metadata.num_rows for p in inputs])]).tolist()
    key_paths = [str(work / f"keys-{j:05d}.parquet") for j in range(len(inputs))]
    mapper.map(shard_keys, [(spec, dedup.field, str(p), k, int(o)) for p, k, o in zip(inputs, key_paths, offsets, strict=False)], "keys")
    part_paths = [str(work / f"part-{p:05d}.parquet") for p in range(parts)]
    mapper.map(partition_pairs, [(spec, key_paths, p, parts, out) for p, out in enumerate(part_paths)], "pairs")
    dedup._report = mapper.map(decide, [(spec, key_paths, part_paths, str(work / "decisions.parquet"))], "decide")[0]
    return DedupApply(str(work / "decisions.parquet"), dedup.spec.method)
