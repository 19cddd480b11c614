"""Publish a built mixture as a version: `data/` (train), `test/` (the held-out eval split),
`rejected/` (rows that could not be normalised, were too long, or were cross-source
duplicates, each with `rejected_by` and `reason`), `manifest.json` with the exact
composition, the dataset card and `report.html`. Atomic through `Store.publish`."""

from __future__ import annotations

ROWS_PER_FILE = 500_000
MIX_SPLITS = {"train": "data/*.parquet", "test": "test/*.parquet", "rejected": "rejected/*.parquet"}


def _write_split(df, folder, split: str) -> None:
    """A split's files; an empty split is one file with the columns and no rows."""
    from datagen.publish import write_split_file

    folder.mkdir()
    n = max(1, -(-df.height // ROWS_PER_FILE))
    for j in range(n):
        part = df.slice(j * ROWS_PER_FILE, ROWS_PER_FILE)
        write_split_file(part.to_arrow(), folder / f"{split}-{j:05d}-of-{n:05d}.parquet")


def manifest_for(mixed, spec, ref, command: str) -> dict:
    from datagen.publish import library_versions, manifest_header

    return {
        **manifest_header(ref, mixed.fingerprint),
        "kind": "mixture",
        "recipe": {"mixture": spec.model_dump(mode="json"), "command": command, "output": {"name": spec.name, "license": spec.license},
                   "description": spec.description},
        "source": {"label": f"mixture of {len(mixed.composition)} sources", "rows": sum(c["rows_read"] for c in mixed.composition)},
        "parents": mixed.parents,
        "seed": spec.seed,
        "models": {},
        "sampling": {},
        "stages": [],
        "counts": {"train": mixed.train.height, "test": mixed.eval.height, "rejected": mixed.rejected.height},
        "reject_reasons": _reasons(mixed.rejected),
        "contamination": None,
        "tokens": {"prompt": 0, "completion": 0},
        "mixture": {
            "format": spec.format,
            "composition": mixed.composition,
            "summary": mixed.summary,
            "tokenizer": mixed.tokenizer,
            "token_count_check": mixed.token_check,
            "warnings": mixed.warnings,
            "synthetic_rows": sum(c["train_rows"] for c in mixed.composition if c["synthetic"]),
        },
        "wall_time_s": mixed.summary["seconds"],
        "run": {"command": command},
        "libraries": library_versions(),
        "splits": MIX_SPLITS,
    }


def _reasons(rejected) -> dict:
    if not rejected.height:
        return {}
    return dict(rejected.group_by("reason").len().sort("len", descending=True).iter_rows())


def publish_mixture(store, mixed, spec, command: str, name: str | None = None):
    from datagen import stage_io
    from datagen.mixing.card import render_mixture_card
    from datagen.publish import add_report, final_dir

    def write(tmp, ref):
        _write_split(mixed.train, tmp / "data", "train")
        _write_split(mixed.eval, tmp / "test", "test")
        _write_split(mixed.rejected, tmp / "rejected", "rejected")
        manifest = manifest_for(mixed, spec, ref, command)
        add_report(tmp, manifest)
        stage_io.write_json(tmp / "manifest.json", manifest)
        (tmp / "README.md").write_text(render_mixture_card(manifest, final_dir(tmp, ref)))

    return store.publish(name or spec.name, mixed.fingerprint, write)
