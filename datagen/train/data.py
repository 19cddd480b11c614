"""Training data for a method, from a dataset version or a file, as a `datasets.Dataset`
with the columns TRL reads: SFT `messages` or `prompt`/`completion`; DPO `prompt`/`chosen`/
`rejected`; GRPO `prompt` plus every other column (rewards read `answer`, `tests`, ...).
Rows from datagen generators (`question` + `prompt`/`completion`) work as they are."""

from __future__ import annotations

from pathlib import Path

from datagen.errors import UserError

NEEDS = {
    "sft": [("messages",), ("prompt", "completion")],
    "dpo": [("prompt", "chosen", "rejected")],
    "grpo": [("prompt",)],
}
DROP = {"meta", "rejected_by", "reason", "dup_of", "contamination"}


def load_table(data: str, split: str, store):
    """(pyarrow table, identity dict) for NAME@vN or a file."""

    from datagen.store import is_ref

    if is_ref(data):
        ref = store.resolve(data)
        table = store.read_table(ref, split)
        if table.num_rows == 0:
            raise UserError(f"--data {data}: split {split!r} of {ref} has no rows")
        m = store.manifest(ref)
        return table, {"ref": str(ref), "fingerprint": m["fingerprint"], "split": split}
    path = Path(data)
    if path.suffix.lower() not in (".jsonl", ".json", ".parquet"):
        raise UserError(f"--data {data!r}: expected NAME@vN or a .jsonl/.parquet file")
    import polars as pl

    from datagen.file_io import read_file, read_jsonl
    from datagen.hashing import digest

    df = read_jsonl(path, "--data") if path.suffix.lower() != ".parquet" else read_file(path, pl.read_parquet, "--data")
    st = path.stat()
    return df.to_arrow(), {"ref": str(path), "fingerprint": digest([str(path.resolve()), st.st_size, st.st_mtime_ns]), "split": None}


def training_dataset(table, method: str, what: str = "--data"):
    """Select the method's columns; a clear error when the data has the wrong shape."""
    import datasets

    cols = set(table.column_names)
    for option in NEEDS[method]:
        if set(option) <= cols:
            keep = list(option) if method != "grpo" else [c for c in table.column_names if c not in DROP]
            return datasets.Dataset(table.select(keep))
    want = " or ".join("/".join(o) for o in NEEDS[method])
    hint = {"dpo": ("; build preference pairs with `datagen run recipes/preference_pairs.yaml` (a rejection stage with "
                    "`output: pairs`), or a `format: preference` mixture (`datagen mix`)"),
            "grpo": ("; build a prompt set with `datagen run recipes/rl_prompts_band.yaml` (a rejection stage with "
                     "`output: prompts`), or a `format: prompt` mixture (`datagen mix`)")}.get(method, "")
    raise UserError(f"{what}: {method} needs {want} columns; the data has {', '.join(sorted(cols))}{hint}")
