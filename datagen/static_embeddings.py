"""Static embeddings: a model2vec model (one vector per token, mean-pooled) distilled offline
from the bundled MiniLM, the cheap first step of the embedding cascades (filters/cascade.py).

`static_model(name)` is the path of the model to load: with no name, the distillation of the
default MiniLM (datagen/embeddings.py), built on first use (~30 s on 2 cores, no download)
under `$DATAGEN_CACHE/static/` and reused after; a name is any model2vec model or a local
path. `embed_static(texts, name)` returns L2-normalised float32 vectors: a tokenizer pass
and a lookup, tens of thousands of texts per second on 2 cores.

What it does not do: replace the sentence encoder (static vectors rank candidates; the full
encoder decides), or load sentence-transformers' `StaticEmbedding` checkpoints.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

STATIC_VERSION = "1"
PCA_DIMS = 256


def static_identity(name: str | None) -> str:
    """How the static model is named in stage keys."""
    return name or f"all-MiniLM-L6-v2-static-pca{PCA_DIMS}-v{STATIC_VERSION}"


def static_model(name: str | None = None) -> str:
    """A loadable model2vec model: `name`, or the default distilled from MiniLM (built once)."""
    if name:
        return name
    from datagen.paths import cache_dir

    path = cache_dir() / "static" / static_identity(None)
    if (path / "model.safetensors").is_file():
        return str(path)
    _distill(path)
    return str(path)


def _distill(path: Path) -> None:
    import shutil
    import tempfile

    from datagen.embeddings import default_model
    from datagen.llm.transformers_backend import no_load_bars
    from datagen.progress import task

    try:
        from model2vec.distill import distill
    except ImportError as e:
        from datagen.errors import UserError

        raise UserError(f"the static-embedding cascade needs model2vec and skeletoken (`bash scripts/setup.sh` installs them): {e}; "
                        "or set encode: torch") from None  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".distill-", dir=path.parent))
    try:
        from model2vec.distill import inference

        bar = inference.tqdm  # model2vec's own token bar would write over ours
        inference.tqdm = functools.partial(bar, disable=True)
        try:
            with task("distilling static embeddings from all-MiniLM-L6-v2 (once, ~30 s)"), no_load_bars(default_model()):
                model = distill(model_name=default_model(), pca_dims=PCA_DIMS)
        finally:
            inference.tqdm = bar
        model.save_pretrained(str(tmp))
        try:
            os.rename(tmp, path)  # another process may have built it meanwhile: keep theirs
        except OSError:
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@functools.lru_cache(maxsize=4)
def _load(path: str):
    from model2vec import StaticModel

    return StaticModel.from_pretrained(path)


def embed_static(texts: list[str], name: str | None = None, batch_size: int = 4096):
    """(len(texts), dim) float32 unit vectors from the static model."""
    import numpy as np

    if not len(texts):
        return np.zeros((0, 0), dtype=np.float32)
    model = _load(static_model(name))
    vecs = np.asarray(model.encode(list(texts), batch_size=batch_size, show_progress_bar=False), dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)
