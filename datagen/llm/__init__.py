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
    "make_backend", "make_llm", "sample_seed", "tiny_build_hash",
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


def make_backend(spec: ModelSpec) -> Backend:
    """The backend `spec.backend` names, for `spec.model` or the embedded tiny model."""
    path, identity = spec.model, {}  # identity: fields that override the backend's own
    if spec.model is None:
        from datagen.tiny.build import ensure_tiny_model

        path = str(ensure_tiny_model())
        identity["model"] = TINY_NAME
    if (Path(path) / "datagen_tiny.json").exists() or spec.model is None:
        identity["build"] = tiny_build_hash(path)
    module, name = BACKENDS[spec.backend]
    return getattr(importlib.import_module(module), name)(spec, path, identity)


def make_llm(spec: ModelSpec, cache: RequestCache, progress=None) -> CachedLLM:
    """A CachedLLM over the backend `spec` describes."""
    return CachedLLM(make_backend(spec), cache, progress)
