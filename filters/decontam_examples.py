"""The `examples` method of decontamination and its veto: what a coding task's examples say
about which benchmark task it is.

Two kinds of evidence, per (row, benchmark item) pair:

- text: the doctest calls both write, compared as text (filters/doctest_pairs.py) - a
  renamed copy keeps its examples;
- behaviour (`examples_run`, on by default): the row's example calls in any style
  (filters/example_calls.py) run against the item's reference solution in the sandbox
  (filters/behaviour.py) - a rewrite with new wording, new names and example inputs of its
  own still states the outputs the benchmark's solution returns.

A pair matches when neither kind disagrees and one agrees enough: `examples_min` doctest
calls; or, run, every call answered alike and one of them specific (not a bool, None, a
number up to 10 or a value of one element) - or, with only such plain outputs (True/False
coincide by chance), `examples_min` of them against the nearest item. A pair disagrees (the veto of every method) when
either kind gives another output for the same call: a look-alike task with other behaviour.
"""

from __future__ import annotations

import numpy as np


def _specific(value) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return abs(value) > 10
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        return len(value) > 1
    return True


class ExampleEvidence:
    def __init__(self, texts: list[str], questions: list[str], benchmarks, spec):
        from filters.doctest_pairs import examples

        self.spec = spec
        self.text = (examples(texts), examples(questions))
        self.questions = questions
        self._item_calls: dict[int, set[str]] = {}
        self.calls = self.reference = None
        self._runs: dict[tuple[int, int], tuple[int, int, int]] = {}
        if spec.examples_run:
            from filters.behaviour import Reference
            from filters.example_calls import calls

            self.reference = Reference.of(benchmarks)
            self.calls = [calls(t) for t in texts] if self.reference.code else None

    def runs(self, pairs) -> dict[tuple[int, int], tuple[int, int, int]]:
        """(agree, differ, unknown) of the row's calls against the item's reference solution,
        run once per pair (cached)."""
        if self.calls is None:
            return {}
        pairs = [(int(j), int(i)) for j, i in pairs]
        todo = [p for p in pairs if p not in self._runs and self.calls[p[0]] and p[1] in self.reference.code]
        if todo:
            from filters.behaviour import outcomes

            got = outcomes(todo, self.calls, self.reference, stated=self._stated({i for _, i in todo}))
            for p in todo:
                self._runs[p] = got.get(p, (0, 0, len(self.calls[p[0]])))
        return self._runs

    def _stated(self, items: set[int]) -> dict[int, set[str]]:
        """The example calls each item's own text states (parsed once per item)."""
        from filters.behaviour import call_key
        from filters.example_calls import calls

        for i in items - self._item_calls.keys():
            self._item_calls[i] = {call_key(c) for c in calls(self.questions[i])}
        return self._item_calls

    def differ(self, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Per pair: either kind of evidence gives another output for the same call."""
        from filters.doctest_pairs import compare

        pairs = list(zip(rows.tolist(), items.tolist(), strict=True))
        runs = self.runs(pairs)
        return np.array(
            [compare(self.text[0][j], self.text[1][i])[1] > 0 or runs.get((j, i), (0, 0, 0))[1] > 0 for j, i in pairs], dtype=bool
        )

    def match(self, sims: np.ndarray, idx: np.ndarray, item, score, fired) -> None:
        """Fire `examples` for rows whose examples agree with one of their top_k nearest items
        (cosine >= `examples_similarity`); the score is the number of agreeing calls."""
        from filters.doctest_pairs import compare

        s = self.spec
        has = [bool(e) or bool(self.calls and self.calls[j]) for j, e in enumerate(self.text[0])]
        pairs = [
            (j, int(i))
            for j in np.flatnonzero(has)
            for i, c in zip(idx[j], sims[j], strict=True)
            if i >= 0 and c >= s.examples_similarity
        ]
        runs = self.runs(pairs)
        for j, i in pairs:
            same, other = compare(self.text[0][j], self.text[1][i])
            agree, differ, unknown = runs.get((j, i), (0, 0, 0))
            if other or differ:
                continue
            specific = agree and any(_specific(v) for _, v in self.calls[j])
            by_run = not unknown and ((specific and agree >= 1) or (agree >= s.examples_min and i == idx[j, 0]))
            if same < s.examples_min and not by_run:
                continue
            n = max(same, agree if by_run else 0)
            if not fired["examples"][j] or n > score["examples"][j]:
                fired["examples"][j], item["examples"][j], score["examples"][j] = True, i, n
