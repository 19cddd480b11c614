"""LLM backends behind one interface, with the request cache in front.

`make_llm(spec, cache)` builds the backend a `ModelSpec` names (vllm, openai,
transformers) and wraps it in a `CachedLLM`. `model: null` means datagen's embedded tiny
model: its local path serves vllm/transformers (and is the served name for openai). A model
directory holding `datagen_tiny.json` (the tiny model) adds its build hash to the identity,
so a rebuilt model never reuses stale cache entries.
Backends are imported only when built: importing this package pulls in no torch or vllm.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

from datagen.llm.base import Backend, Completion, GenerateStats, Request
from datagen.llm.cache import RequestCache
from datagen.llm.cached import CachedLLM, sample_seed
from schemas.models import ModelSpec

__all__ = [
    "Backend", "CachedLLM", "Completion", "GenerateStats", "Request", "RequestCache",
    "make_backend", "make_llm", "output_settings", "resolve_model", "sample_seed", "tiny_build_hash",
]

TINY_NAME = "datagen-tiny"


def tiny_build_hash(model_dir: str | Path) -> str:
    """The tiny model's build hash: from `datagen_tiny.json` when present, else a hash of
    that file or, lacking it, of the weights and config."""
    model_dir = Path(model_dir)
    info = model_dir / "datagen_tiny.json"
    if info.exists():
        meta = json.loads(info.read_text())
        for field in ("build_hash", "hash", "fingerprint"):
            if isinstance(meta.get(field), str):
                return meta[field]
        return hashlib.sha256(info.read_bytes()).hexdigest()[:16]
    digest = hashlib.sha256()
    for f in sorted(model_dir.glob("*.safetensors")) + [model_dir / "config.json"]:
        if f.exists():
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


BACKENDS = {  # recipe name -> (module, class), imported on use
    "vllm": ("datagen.llm.vllm_backend", "VLLMBackend"),
    "openai": ("datagen.llm.openai_backend", "OpenAIBackend"),
    "transformers": ("datagen.llm.transformers_backend", "TransformersBackend"),
}


def output_settings(spec: ModelSpec) -> dict:
    """Settings besides the model that change what it generates (engine arguments such as a
    quantization, chat-template switches); only the ones set, so plain specs keep their keys."""
    return {k: v for k, v in (("engine_args", spec.engine_args), ("chat_template_kwargs", spec.chat_template_kwargs)) if v}


def resolve_model(spec: ModelSpec) -> tuple[str, dict]:
    """(path or name to load, identity fields) for `spec.model` or, when it is None, the embedded
    tiny model (built on first use): its name and build hash stand in for the path."""
    path, identity = spec.model, {}
    if spec.model is None:
        from datagen.tiny.build import ensure_tiny_model

        path = str(ensure_tiny_model())
        identity["model"] = TINY_NAME
    if (Path(path) / "datagen_tiny.json").exists() or spec.model is None:
        identity["build"] = tiny_build_hash(path)
    elif Path(path).is_dir():
        identity["weights"] = weights_stamp(path)
    return path, identity


def weights_stamp(model_dir: str | Path) -> str:
    """Names, sizes and mtimes of a local model's weight and config files: a model retrained
    into the same directory is a different model to the request cache."""
    files = sorted(f for f in Path(model_dir).iterdir() if f.suffix in (".safetensors", ".bin", ".json") and f.is_file())
    return hashlib.sha256(json.dumps([[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]).encode()).hexdigest()[:16]


def make_backend(spec: ModelSpec) -> Backend:
    """The backend `spec.backend` names. Its identity (the cache's notion of "which model") is
    the backend's own fields plus `resolve_model`'s and `output_settings`'."""
    path, identity = resolve_model(spec)
    module, name = BACKENDS[spec.backend]
    return getattr(importlib.import_module(module), name)(spec, path, {**identity, **output_settings(spec)})


def make_llm(spec: ModelSpec, cache: RequestCache, progress=None) -> CachedLLM:
    """A CachedLLM over the backend `spec` describes."""
    return CachedLLM(make_backend(spec), cache, progress)
