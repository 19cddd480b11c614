"""Dedup filters on real text: exact, MinHash LSH and embedding (the offline MiniLM), keep
policies, clusters across the whole table."""

import json

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from datagen.verdict import apply_verdict
from filters.dedup import Dedup
from schemas.filters import DedupStage
from schemas.rows import SEED_SCHEMA, empty_meta


def frame(texts, scores=None):
    rows = [{"id": f"r{i}", "question": t, "answer": None, "solution": None, "meta": empty_meta("s")} for i, t in enumerate(texts)]
    df = pl.from_arrow(pa.Table.from_pylist(rows, schema=SEED_SCHEMA))
    if scores is not None:
        df = df.with_columns(pl.col("meta").struct.with_fields(score=pl.Series(scores, dtype=pl.Float64)))
    return df


def run(df, **spec):
    v = Dedup(DedupStage(type="dedup", column="question", **spec))(df)
    return apply_verdict(df, v)


@pytest.fixture(scope="module")
def gsm8k_questions(shared_dir):
    path = shared_dir / "seeds" / "gsm8k_train" / "train.jsonl"
    if not path.is_file():
        pytest.skip(f"GSM8K seeds not found at {path} (set DATAGEN_SHARED)")
    with path.open() as f:
        return [json.loads(line)["question"] for _, line in zip(range(400), f, strict=False)]


def near_copy(text: str, k: int) -> str:
    """A noisy copy: one word dropped, case and spacing changed."""
    words = text.split()
    del words[(7 * k) % len(words)]
    return "  ".join(words).upper() if k % 2 else " ".join(words) + " "


def test_minhash_finds_noisy_copies_and_leaves_distinct_problems(gsm8k_questions):
    originals = gsm8k_questions[:200]
    copies = [near_copy(t, i) for i, t in enumerate(originals[:50])]
    kept, rejected = run(frame(originals + copies), method="minhash", threshold=0.7)
    dup_of = dict(zip(rejected["id"], rejected["dup_of"], strict=True))
    found = sum(dup_of.get(f"r{200 + i}") == f"r{i}" for i in range(50))
    assert found >= 45, f"only {found}/50 noisy copies matched their original"
    false = [r for r in rejected["id"] if int(r[1:]) < 200]
    assert len(false) <= 2, f"distinct GSM8K problems flagged as duplicates: {false}"
    assert kept.height + rejected.height == 250


def test_embedding_dedup_catches_paraphrases_offline(gsm8k_questions):
    pytest.importorskip("sentence_transformers")
    base = gsm8k_questions[:60]
    para = [t.replace("How many", "What is the number of").replace("?", " in total?") for t in base[:20]]
    kept, rejected = run(frame(base + para), method="embedding", threshold=0.9)
    dup_of = dict(zip(rejected["id"], rejected["dup_of"], strict=True))
    assert sum(dup_of.get(f"r{60 + i}") == f"r{i}" for i in range(20)) >= 17
    assert not [r for r in rejected["id"] if int(r[1:]) < 60]
    scores = [v[-1]["score"] for v in rejected["meta"].struct.field("verdicts").to_list()]
    assert all(s >= 0.9 for s in scores)


def test_keep_policies_pick_the_cluster_representative():
    texts = ["the train leaves at noon today", "The train leaves at noon today!!", "THE TRAIN LEAVES AT NOON TODAY, indeed"]
    kept, _ = run(frame(texts), method="minhash", threshold=0.5)
    assert kept["id"].to_list() == ["r0"]
    kept, rej = run(frame(texts), method="minhash", threshold=0.5, keep="longest")
    assert kept["id"].to_list() == ["r2"] and set(rej["dup_of"]) == {"r2"}
    kept, _ = run(frame(texts, scores=[0.1, 0.9, 0.5]), method="minhash", threshold=0.5, keep="highest_score")
    assert kept["id"].to_list() == ["r1"]
    kept, rej = run(frame(["a b c", "A  b c", "x"]), method="exact", keep="longest")
    assert kept["id"].to_list() == ["r1", "r2"] and rej["dup_of"].to_list() == ["r1"]


def clusters_of(kept, rej) -> dict:
    out = dict(zip(kept["id"], kept["meta"].struct.field("dedup_cluster"), strict=True))
    out.update(zip(rej["id"], rej["meta"].struct.field("dedup_cluster"), strict=True))
    return out


def test_clusters_do_not_chain_unless_asked_and_are_recorded_on_every_row():
    words = [f"w{i}" for i in range(40)]
    a, b, c = " ".join(words[0:30]), " ".join(words[3:33]), " ".join(words[6:36])  # J(a,b)=J(b,c)=0.81, J(a,c)=0.65
    rows = frame([a, b, c, "unrelated words entirely here"])
    # default: c is not similar to a, so it is not pulled into a's cluster through b
    clusters = clusters_of(*run(rows, method="minhash", threshold=0.7))
    assert clusters["r0"] == clusters["r1"] == "r0" and clusters["r2"] == "r2" and clusters["r3"] == "r3"
    # connected components: a~b and b~c share one cluster even if a and c alone would not match
    clusters = clusters_of(*run(rows, method="minhash", threshold=0.7, cluster="components"))
    assert clusters["r0"] == clusters["r1"] == clusters["r2"] == "r0" and clusters["r3"] == "r3"


def test_similar_pairs_that_differ_where_it_matters_are_vetoed():
    texts = [
        "Solve for x: 2x + 3 = 7. Show each step.",
        "Solve for x: 2x - 3 = 7. Show each step.",  # a sign flipped
        "Write a SQL query to find employees who earn more than the average salary of their department.",
        "Write a SQL query to find employees who earn less than the average salary of their department.",  # another ask
        "What are the advantages of remote work for small teams?",
        "What are the disadvantages of remote work for small teams?",  # opposites
        "What is the capital city of Austria?",
        "What is the capital city of Australia?",  # another name
        "Please write a SQL query that finds employees who earn more than the average salary of their department",  # a true duplicate of row 2
    ]
    kept, rej = run(frame(texts), method="embedding", threshold=0.8)
    assert rej["id"].to_list() == ["r8"] and rej["dup_of"].to_list() == ["r2"]
    kept, rej = run(frame(texts), method="embedding", threshold=0.8, veto=False)
    assert len(rej) >= 4  # without the veto the look-alikes collapse


def test_empty_and_tiny_inputs():
    kept, rej = run(frame([]), method="minhash")
    assert kept.height == 0 and rej.height == 0
    kept, rej = run(frame(["only one"]), method="embedding")
    assert kept.height == 1
    with pytest.raises(ValueError, match="exact dedup has no threshold"):
        DedupStage(type="dedup", method="exact", threshold=0.5)


def test_onnx_int8_encoder_agrees_with_torch(gsm8k_questions):
    pytest.importorskip("onnxruntime")
    from datagen.embeddings import embed

    texts = gsm8k_questions[:64]
    a, b = embed(texts), embed(texts, runtime="onnx-int8")
    cos = (a * b).sum(1)
    assert a.shape == b.shape and float(cos.min()) > 0.97, float(cos.min())
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
