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


def make_backend(spec: ModelSpec, field: str = "model", announce: bool = False) -> Backend:
    """The backend `spec.backend` names. Its identity (the cache's notion of "which model") is
    the backend's own fields plus `resolve_model`'s and `output_settings`'.
    A model that cannot be found (no such path, not a valid Hub id, not cached while the Hub is
    offline, not on the Hub) fails here with a one-line DatagenError naming `field`, the model
    and the backend, before any engine starts where that can be known beforehand.
    `announce`: show "starting vLLM (model M)" on the progress display while the engine starts."""
    if spec.model is not None and spec.backend in ("vllm", "transformers"):
        from datagen.llm.model_ref import check_model_ref

        check_model_ref(spec.model, spec.backend, field, spec.revision, cache_dir=spec.engine_args.get("download_dir"),
                        need=("config.json", "params.json"))
    path, identity = resolve_model(spec)
    module, name = BACKENDS[spec.backend]
    cls = getattr(importlib.import_module(module), name)
    try:
        if not announce or spec.backend == "openai":
            return cls(spec, path, {**identity, **output_settings(spec)})
        from datagen.progress import starting

        with starting(spec.backend, spec.model or TINY_NAME):
            return cls(spec, path, {**identity, **output_settings(spec)})
    except Exception as e:
        if spec.backend == "openai":
            raise
        from datagen.llm.model_ref import load_error

        err = load_error(e, spec.model or path, spec.backend, field)
        if err is None:
            raise
        raise err from None


def make_llm(spec: ModelSpec, cache: RequestCache, progress=None, field: str = "model", announce: bool = False) -> CachedLLM:
    """A CachedLLM over the backend `spec` describes (`field`, `announce`: see `make_backend`)."""
    return CachedLLM(make_backend(spec, field, announce), cache, progress)
