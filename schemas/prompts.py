"""Default prompt templates of datagen's generators (`str.format` over a row's columns).

Every generator stage takes its template from here unless the recipe gives its own, and the
embedded tiny model is trained on exactly these strings (`datagen.tiny.tasks`), so the
quickstart recipes exercise the same prompts a real model gets. Literal braces are doubled
(`\\boxed{{}}` renders as `\\boxed{}`).

Columns the templates may name: `question`, `answer`, `solution` (a reference or the
model's own correct solution), and, for Verbalized Sampling, `m` and `request` (the
wrapped prompt). The JSON forms (`VERBALIZED_JSON`, `PROBLEM_JSON`, `PROBLEM_ONLY_JSON`: what
a generator asks for where the backend constrains decoding to a built-in schema,
`generators.shapes`) are not in the tiny model's training mix. What this module does not hold:
judge rubrics (filters) or chat system prompts (recipes set those).
"""

from __future__ import annotations

SOLVE = "Solve step by step and put the final answer in \\boxed{{}}.\n\n{question}"

# SvS: a new problem that keeps the original's answer, conditioned on a correct solution.
VARIANT = (
    "Here is a math problem with a correct solution. Write a new problem that is different "
    "from it but has exactly the same final answer, {answer}. Reply with the new problem only."
    "\n\nProblem: {question}\n\nSolution:\n{solution}"
)

# RAFT-style self-conditioned rewriting of a reference solution.
REWRITE = (
    "Rewrite the solution in your own words. Keep every step and put the final answer in "
    "\\boxed{{}}.\n\nProblem: {question}\n\nSolution:\n{solution}"
)

# Evol-Instruct operations (in-depth: deepen, constrain, concretize; in-breadth: broaden)
# and a meaning-preserving paraphrase.
EVOLVE = {
    "deepen": (
        "Rewrite the problem below so that solving it takes one more step. Keep it a clear "
        "problem with one final answer. Reply with the new problem only.\n\nProblem: {question}"
    ),
    "constrain": (
        "Rewrite the problem below, adding one more condition that the answer must take into "
        "account. Reply with the new problem only.\n\nProblem: {question}"
    ),
    "concretize": (
        "Rewrite the problem below, replacing general ideas with more specific ones. Reply "
        "with the new problem only.\n\nProblem: {question}"
    ),
    "broaden": (
        "Write a brand-new problem about a different situation, of the same kind and "
        "difficulty as the problem below. Reply with the new problem only.\n\nProblem: {question}"
    ),
    "paraphrase": (
        "Paraphrase the problem below: the same meaning, numbers and answer in different "
        "words. Reply with the new problem only.\n\nProblem: {question}"
    ),
}

# Verbalized Sampling: ask for m candidates with their probabilities in one call.
VERBALIZED = (
    "Give {m} different responses to the request below, each in its own <response> tag "
    "holding a <text> and a numeric <probability> (how likely you would be to give that "
    "response). Sample them from the whole range of possible responses.\n\n{request}"
)

# The same, as JSON held to the schema `generators.shapes` builds from m (constrained decoding).
VERBALIZED_JSON = (
    "Give {m} different responses to the request below, as a JSON object "
    '{{"responses": [{{"text": "...", "probability": 0.25}}, ...]}} with exactly {m} responses, each a '
    '"text" and a numeric "probability" from 0 to 1 (how likely you would be to give that response). '
    "Sample them from the whole range of possible responses.\n\n{request}"
)

# Appended to a generator's prompt for a new problem where decoding is held to the built-in
# {problem, answer} schema (SvS variants, self-play's creator); not `str.format` templates.
PROBLEM_JSON = '\n\nWrite your reply as a JSON object: {"problem": "<the new problem>", "answer": "<its final answer>"}'
PROBLEM_ONLY_JSON = '\n\nWrite your reply as a JSON object: {"problem": "<the new problem>"}'
