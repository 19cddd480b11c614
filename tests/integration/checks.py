"""Checks every backend must pass, shared by the backend tests."""

from __future__ import annotations

from schemas.sampling import Sampling


def assert_length_and_stop_strings(llm, convs) -> None:
    """`max_tokens` ends a sample with "length"; a stop string taken from the middle of a
    seeded sample cuts that same sample right before it, with "stop"."""
    short = llm.generate(convs, Sampling(max_tokens=2, seed=4))
    assert all(o[0].finish_reason == "length" and o[0].completion_tokens == 2 for o in short)
    sampling = Sampling(n=2, temperature=1.0, max_tokens=40, seed=3)
    samples = llm.generate(convs, sampling)
    text, c, i = max(((s.text, c, i) for c, o in enumerate(samples) for i, s in enumerate(o)), key=lambda t: len(t[0]))
    assert len(text) >= 4, text
    stop = text[len(text) // 2 : len(text) // 2 + 2]
    cut = llm.generate([convs[c]], sampling.model_copy(update={"n": 1, "stop": [stop]}), first_index=i)[0][0]
    assert cut.finish_reason == "stop" and cut.text == text[: text.index(stop)]
