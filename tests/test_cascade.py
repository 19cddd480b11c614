"""The cheap-first cascade of embedding dedup: static embeddings distilled offline from the
bundled MiniLM (datagen/static_embeddings.py) propose pairs, the full encoder decides
(filters/cascade.py). The static model is built once into the cache (~30 s) and reused."""

import numpy as np
import polars as pl
import pytest

from datagen.embeddings import embed
from datagen.static_embeddings import embed_static, static_model
from filters.cascade import cascade_pairs
from filters.similarity import similar_pairs

TEXTS = [
    "How do I reverse a list in Python?",
    "What is the way to reverse a Python list?",
    "In Python, how can a list be reversed?",
    "Give me a recipe for banana bread.",
    "I need a banana bread recipe, please.",
    "Explain the causes of the French Revolution.",
    "What caused the French Revolution?",
    "Write a haiku about autumn leaves.",
    "How many moons does Jupiter have?",
    "Sort a dictionary by its values in Python.",
    "Tom has 12 apples and gives away 5. How many are left?",
    "Tom had 12 apples and gave 5 away. How many remain?",
]


def test_static_vectors_are_unit_and_the_model_is_built_once():
    first = static_model()
    assert static_model() == first  # reused, not rebuilt
    v = embed_static(TEXTS)
    assert v.shape == (len(TEXTS), 256) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v, embed_static(TEXTS))
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 3] and sims[5, 6] > sims[5, 7]  # paraphrases closer than unrelated


def test_cascade_keeps_the_full_paths_decisions_on_fewer_rows():
    full = similar_pairs(embed(TEXTS), 0.8)
    left, right, cos, stats = cascade_pairs(TEXTS, 0.8, 0.5)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == set(zip(full[0].tolist(), full[1].tolist(), strict=True))
    assert np.all(cos >= 0.8) and stats["pairs"] == len(left)
    assert stats["rows"] == len(TEXTS) and 0 < stats["rows_encoded"] < len(TEXTS)  # unrelated rows never reach the encoder
    none = cascade_pairs(TEXTS[3:5] + TEXTS[7:9], 0.99, 0.99)
    assert none[3]["rows_encoded"] == 0 and len(none[0]) == 0


def test_dedup_stage_reports_each_step():
    from filters.dedup import Dedup
    from schemas.filters import DedupStage

    df = pl.DataFrame({"id": [str(i) for i in range(len(TEXTS))], "prompt": TEXTS})
    flt = Dedup(DedupStage(type="dedup", method="embedding", column="prompt", threshold=0.8, encode="cascade"))
    verdict = flt(df)
    exact = Dedup(DedupStage(type="dedup", method="embedding", column="prompt", threshold=0.8, encode="torch"))
    assert list(verdict.keep) == list(exact(df).keep)
    assert set(flt.report()["cascade"]) == {"rows", "static_pairs", "rows_encoded", "pairs"}
    assert flt.describe()["static_model"].startswith("all-MiniLM-L6-v2-static")


@pytest.mark.parametrize("bad", [{"static_similarity": 0}, {"encode": "static"}])
def test_bad_cascade_settings_name_the_field(bad):
    from pydantic import ValidationError

    from schemas.filters import DedupStage

    with pytest.raises(ValidationError, match=next(iter(bad))):
        DedupStage(type="dedup", method="embedding", **bad)


def test_decontamination_cascade_encodes_only_rows_a_method_could_flag(tmp_path):
    import json

    from filters.decontam import Decontaminate
    from schemas.filters import DecontamStage

    items = [
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did she sell altogether?",
        "A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?",
        "Find the number of ordered pairs of positive integers (a, b) with a + b = 1000 and neither a nor b has a zero digit.",
    ]
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps({"id": f"B/{i}", "question": q, "answer": a}) + "\n" for i, (q, a) in enumerate(zip(items, ["72", "3", "738"], strict=True))))
    rows = [
        items[0],  # a copy
        "In April Natalia sold clips to 48 friends; in May she sold half as many. What is the total number of clips she sold?",  # rephrased, same numbers
        "Write a haiku about the sea.",
        "List three uses of a paperclip.",
        "What is the capital of Portugal?",
    ]
    df = pl.DataFrame({"id": [str(i) for i in range(len(rows))], "question": rows, "answer": ["72", "72", None, None, None]})
    flt = Decontaminate(DecontamStage(type="decontaminate", benchmarks=[str(bench)], encode="cascade"))
    verdict = flt(df)
    assert list(verdict.keep) == [False, False, True, True, True]
    report = flt.report()
    assert report["cascade"]["rows"] == 5 and 2 <= report["cascade"]["rows_encoded"] < 5  # the unrelated rows never reached the model
    full = Decontaminate(DecontamStage(type="decontaminate", benchmarks=[str(bench)]))
    assert list(full(df).keep) == list(verdict.keep) and "cascade" not in full.report()
