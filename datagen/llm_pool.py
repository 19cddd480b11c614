"""The models a run uses, built lazily by name from `recipe.models`, sharing one request
cache. A stage asks for `pool.get("policy")`; engines start only when first needed, so a
fully cached re-run never loads a model. While an engine starts, the progress display shows
"starting vLLM (model M)"; a model that cannot be found fails with an error naming
`models.NAME.model`."""

from __future__ import annotations

from pathlib import Path


class LLMPool:
    def __init__(self, specs: dict, cache_path: Path, progress=None, replica: str | None = None):
        """`replica`: this pool is one replica of a distributed run; it writes its own cache
        file beside `cache_path` (datagen/llm/cache.py, ReplicaCache)."""
        self.specs = specs
        self.replica = replica
        self.progress = progress  # a StageProgress, for per-model request bars
        self.cache_path = cache_path
        self._llms: dict = {}
        self._cache = None

    def identity(self, name: str) -> dict:
        """What names this model in stage keys and lineage (no secrets, no engine start): the
        same model resolution as the backends' cache identity, with every output-changing
        setting as written and, for openai, the endpoint."""
        from datagen.llm import resolve_model

        spec = self.specs[name]
        _, resolved = resolve_model(spec)
        ident = {"backend": spec.backend, "model": spec.model, "revision": spec.revision, "dtype": spec.dtype,
                 "engine_args": spec.engine_args, "chat_template_kwargs": spec.chat_template_kwargs}
        ident.update(resolved)
        if spec.backend == "openai":
            ident["base_url"] = spec.base_url
        return ident

    def get(self, name: str):
        if name not in self._llms:
            from datagen.llm import make_llm
            from datagen.llm.cache import ReplicaCache, RequestCache

            if self._cache is None:
                self.cache_path.parent.mkdir(parents=True, exist_ok=True)
                self._cache = RequestCache(self.cache_path) if self.replica is None else ReplicaCache(self.cache_path, self.replica)
            bar = self.progress.llm_callback(name) if self.progress is not None else None
            self._llms[name] = make_llm(self.specs[name], self._cache, bar, field=f"models.{name}.model", announce=True)
        return self._llms[name]

    def stats(self) -> dict:
        out = {}
        for name, llm in self._llms.items():
            st = getattr(llm, "stats", None)
            if st is not None:
                out[name] = {k: v for k, v in vars(st).items() if k != "extra"}
        return out

    def close(self) -> None:
        for llm in self._llms.values():
            close = getattr(llm, "close", None)
            if close:
                close()
        self._llms.clear()
        if self._cache is not None:
            self._cache.close()
            self._cache = None

