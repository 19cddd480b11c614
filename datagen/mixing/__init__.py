"""Mixtures: compose training mixtures from versions, Hub datasets and files.

`build.build_mixture(spec, store)` reads each source (`read.py`), keeps the rows its
predicates select (`columns.py`), normalises them to TRL's chat format with a reason for
every row that cannot be (`normalise.py`), counts tokens with the target tokenizer in
batches (`tokens.py`), drops cross-source duplicates (`dedup.py`), sets quotas from
weights/rows/token budgets and the synthetic-fraction guardrail (`quotas.py`), samples
seeded, stratified and with a held-out eval split (`sampling.py`), and publishes the
result as a version whose manifest and card record the composition (`publish.py`).
All of it is polars: no per-row Python loops.
"""
