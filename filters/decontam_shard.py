"""Decontamination of one shard, as any worker runs it: how the engine runs `type:
decontaminate` (without the judge method) under every executor, shard by shard. Picklable:
it carries the benchmarks the driver loaded (a few MB; workers never reach the Hub or the
benchmark files), and each process builds the benchmark index from them once and checks
every shard it is given with it. The shards' reports are merged by filters/decontam_report.py (merge).
"""

from __future__ import annotations

_BUILT: dict[str, object] = {}  # per process: a worker checks many shards with one benchmark index


class DecontamShard:
    """Decontamination of one shard, as any worker runs it (small and picklable)."""

    scope = "shard"

    def __init__(self, spec: dict, field: str, benchmarks: tuple | None = None):
        self.spec, self.field = spec, field
        self.benchmarks = benchmarks  # (loaded Benchmark list, unavailable {name: why}) from the driver
        self._last = None

    def describe(self) -> dict:
        return {"filter": "decontaminate", "in_parts": True}

    def report(self) -> dict | None:
        return self._last.report() if self._last is not None else None

    def __call__(self, ds):
        import json

        from datagen.stage import StageContext
        from filters.decontam import Decontaminate
        from schemas.filters import DecontamStage

        key = json.dumps(self.spec, sort_keys=True)
        if key not in _BUILT:
            built = Decontaminate(DecontamStage.model_validate(self.spec), StageContext(index=0, pool=None, field=self.field))
            if self.benchmarks is not None:
                built._bench, built.unavailable = list(self.benchmarks[0]), dict(self.benchmarks[1])
            _BUILT[key] = built
        self._last = _BUILT[key]
        return self._last(ds)

    def __getstate__(self):
        return {"spec": self.spec, "field": self.field, "benchmarks": self.benchmarks, "_last": None}
