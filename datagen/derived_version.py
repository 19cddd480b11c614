"""Publish a version made by one filter applied outside a recipe (`datagen verify`,
`datagen dedup`): data, rejected split, manifest with the input as parent, dataset card, report.
The fingerprint hashes the input's fingerprint and the filter's stage key, so running the
same command twice does not make a second version."""

from __future__ import annotations


def publish_filtered(
    store,
    name: str,
    kept,
    rejected,
    *,
    spec,
    describe: dict,
    source: str,
    parents: list[str],
    input_fingerprint: str,
    summary: dict,
    command: str,
    report: dict | None = None,
):
    from datagen import stage_io
    from datagen.card import render_card
    from datagen.hashing import digest
    from datagen.publish import SPLITS, add_report, final_dir, library_versions, manifest_header, write_rejected, write_split_file

    stage = {"spec": spec.model_dump(mode="json"), "impl": describe}
    fingerprint = digest({"input": input_fingerprint, "stage": stage})

    def write(tmp, ref):
        (tmp / "data").mkdir()
        (tmp / "rejected").mkdir()
        write_split_file(kept, tmp / "data" / "train-00000-of-00001.parquet")
        write_rejected(rejected, tmp / "rejected", kept.schema)  # an empty split (schema, no rows) when none was rejected
        manifest = {
            **manifest_header(ref, fingerprint),
            "recipe": {"command": command, "output": {"name": name}, "stages": [stage["spec"]]},
            "source": {"label": source, "rows": summary["rows_in"]},
            "parents": parents,
            "seed": None,
            "models": {},
            "sampling": {},
            "stages": [
                {
                    "index": 0,
                    "label": spec.label,
                    "type": spec.type,
                    "scope": "global",
                    "key": digest(stage),
                    **describe,
                    "rows_in": summary["rows_in"],
                    "kept": summary["kept"],
                    "rejected": summary["rejected"],
                    "seconds": summary["seconds"],
                    "reasons": summary["reasons"],
                    "tokens": {"prompt": 0, "completion": 0},
                    **({"report": report} if report and spec.type != "decontaminate" else {}),
                }
            ],
            "counts": {"train": kept.num_rows, "rejected": rejected.num_rows},
            "reject_reasons": summary["reasons"],
            "contamination": {spec.label: report} if report and spec.type == "decontaminate" else None,
            "tokens": {"prompt": 0, "completion": 0},
            "wall_time_s": summary["seconds"],
            "run": {"command": command},
            "libraries": library_versions(),
            "splits": SPLITS,
        }
        add_report(tmp, manifest)
        stage_io.write_json(tmp / "manifest.json", manifest)
        (tmp / "README.md").write_text(render_card(manifest, final_dir(tmp, ref)))

    return store.publish(name, fingerprint, write)
