"""Generator stage specs: rejection sampling, variational synthesis (SvS), asymmetric self-play
(eva), rewriting and prompt evolution. Implementations live in `generators/`; the default
prompt templates in `schemas.prompts`. Filter specs and the stage union are in
`schemas.stages`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas import prompts
from schemas.sampling import Sampling
from schemas.stage_base import StageBase


def _solve_sampling() -> Sampling:
    return Sampling(temperature=0.8, max_tokens=256)


def _write_sampling() -> Sampling:
    return Sampling(temperature=1.0, max_tokens=200)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Verbalized(_Spec):
    """Verbalized Sampling: one call asks for `m` candidates with their probabilities; each
    parsed candidate becomes its own row (an unparseable reply is a rejected row). Where the
    backend can constrain decoding (vLLM, OpenAI-compatible) and `structured` is on, the list
    is JSON held to a built-in schema of exactly m {text, probability} items (`json_template`);
    elsewhere a tagged list read by a text parser (`template`)."""

    m: int = Field(5, ge=2, le=20, description="candidates asked for per call")
    template: str = Field(prompts.VERBALIZED, description="wraps the generator's prompt; names {m} and {request}")
    structured: bool = Field(True, description="ask for the list as JSON held to a schema where the backend can constrain "
                             "(false: the tagged list and its text parser everywhere)")
    json_template: str = Field(prompts.VERBALIZED_JSON, description="structured: wraps the generator's prompt; names {m} and {request}")
    max_chars: int | None = Field(None, ge=1, description="structured: most characters of one response's text (a schema "
                                  "bound: a model that never closes its string stops there, not at max_tokens)")

    @model_validator(mode="after")
    def _names_request(self):
        for name in ("template", "json_template"):
            if "{request}" not in getattr(self, name):
                raise ValueError(f"{name} must contain {{request}} (where the generator's own prompt goes)")
        return self


def _structured_field():
    return Field(True, description="new problems as JSON held to a built-in {problem, answer} schema where the backend "
                 "can constrain decoding (vLLM, OpenAI-compatible, transformers); false: the reply is the problem")


def _problem_max_chars():
    return Field(None, ge=1, description="structured: most characters of a new problem (a schema bound: a model that "
                 "never closes its string stops there, not at max_tokens)")


class OutputSchema(_Spec):
    """Structured output: the JSON the model must write, as an inline JSON Schema (`json`) or a
    pydantic model (`python: pkg.module:Model`, imported like a `python` stage's callable).
    Backends that can constrain decoding (vLLM, OpenAI-compatible) are held to it; every
    completion is validated, and one that does not validate is a rejected row
    (`schema_invalid: ...`). The fields land in a typed (struct) column: the row's `structured`
    on `evolve`, `variational` and `self_play` (new problems: `question_field` is the problem),
    on the rows of `rejection` (sft, best_of_n) and `rewrite` (responses: the verifier grades
    the `answer_field`; `question_field` is not used), `judge_fields` on a judge
    (datagen/json_columns.py)."""

    json_: dict | None = Field(None, alias="json", description="an inline JSON Schema of an object")
    python: str | None = Field(None, description="pkg.module:PydanticModel")
    question_field: str = Field("problem", description="the field that becomes the new row's question")
    answer_field: str | None = Field("answer", description="the field that becomes its answer (null: none)")
    constrain: bool = Field(True, description="ask the backend to constrain decoding (false: validate only, as a text parser would)")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_source(self):
        if (self.json_ is None) == (self.python is None):
            raise ValueError("give exactly one of `json` (an inline JSON Schema) or `python` (pkg.module:Model)")
        return self


class Band(_Spec):
    """A closed pass-rate interval [lo, hi]."""

    lo: float = Field(0.0, ge=0.0, le=1.0)
    hi: float = Field(1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.lo > self.hi:
            raise ValueError(f"lo ({self.lo}) must not exceed hi ({self.hi})")
        return self

    def contains(self, rate: float | None) -> bool:
        return rate is not None and self.lo - 1e-9 <= rate <= self.hi + 1e-9


class _Solver(_Spec):
    """How a generator solves and verifies problems (shared by every generator that does)."""

    model: str = Field("default", description="a key of recipe.models")
    verifier: str = "math_answer"
    system_prompt: str | None = None
    prompt_template: str = Field(prompts.SOLVE, description="str.format template over the row's columns")
    sampling: Sampling = Field(default_factory=_solve_sampling)


class _Records(_Spec):
    """`output_schema`: the model's replies as the user's JSON records (solvers: the verifier
    grades the record's `answer_field`; problem writers: its `question_field` is the new problem,
    its `answer_field` the answer stated); not with `verbalized`."""

    output_schema: OutputSchema | None = Field(
        None, description="structured output: each reply a validated JSON record (typed `structured` column); see OutputSchema"
    )

    @model_validator(mode="after")
    def _record_alone(self):
        if self.output_schema is not None and getattr(self, "verbalized", None) is not None:
            raise ValueError("output_schema and verbalized cannot be combined (one asks for JSON, the other for a tagged list)")
        return self


class RejectionStage(StageBase, _Solver, _Records):
    """Sample, verify, keep. `budget`: `fixed` draws k samples per prompt; `dart_uniform`
    samples in rounds until a prompt has k correct (or max_trials); `dart_prop2diff` aims
    for k x difficulty correct (difficulty = 1 - pass rate of the first round). `output`:
    `sft` (correct samples), `prompts` (one row per prompt, for RL), `pairs` (TRL
    prompt/chosen/rejected), `best_of_n` (the top-scored sample per prompt)."""

    type: Literal["rejection"]
    k: int = Field(4, ge=1, description="samples per prompt (fixed) or correct samples wanted (dart_*)")
    budget: Literal["fixed", "dart_uniform", "dart_prop2diff"] = "fixed"
    max_trials: int = Field(64, ge=1, description="dart_*: most samples drawn for one prompt")
    round_size: int = Field(4, ge=1, description="dart_*: samples per active prompt per round")
    max_correct_per_prompt: int | None = Field(None, ge=1, description="keep at most this many correct samples per prompt")
    pass_rate_band: Band | None = Field(None, description="reject prompts whose pass rate lies outside [lo, hi]")
    output: Literal["sft", "prompts", "pairs", "best_of_n"] = "sft"
    pairs_per_prompt: int = Field(1, ge=1, description="pairs: most pairs made per prompt")
    rso_beta: float | None = Field(
        None, gt=0, description="pairs: RSO statistical acceptance on scores (accept with prob exp((s - max)/beta)) before pairing"
    )
    reward_model: str | None = Field(
        None, description="HF id or path of a sequence-classification reward model; best_of_n and pairs then rank by its score"
    )
    verbalized: Verbalized | None = None

    @model_validator(mode="after")
    def _budget(self):
        if self.budget != "fixed" and self.max_trials < self.round_size:
            raise ValueError(f"max_trials ({self.max_trials}) must be at least round_size ({self.round_size})")
        return self


class VariationalStage(StageBase, _Solver, _Records):
    """SvS: for prompts whose pass rate lies in `source_band`, ask the model for variants of each
    correct solution's problem that keep the original answer, solve every variant k times,
    keep the variants whose pass rate lies in `band`; repeat for `rounds`, each seeded by the
    last round's survivors. Output: variant prompts carrying `parent_id` and the inherited answer.
    Where the creator's backend can constrain decoding and `structured` is on, a variant is JSON
    {problem, answer} (the answer the creator states is compared with the inherited one in the
    stats); elsewhere the reply is the problem."""

    type: Literal["variational"]
    k: int = Field(8, ge=1, description="solutions sampled per problem (originals and variants)")
    source_band: Band = Field(default_factory=lambda: Band(lo=0.0, hi=1.0), description="which originals to vary")
    band: Band = Field(default_factory=lambda: Band(lo=0.125, hi=0.875), description="which variants survive")
    solutions_per_prompt: int = Field(1, ge=1, description="correct solutions each problem is varied from")
    variants_per_solution: int = Field(2, ge=1, description="variants asked per solution")
    rounds: int = Field(1, ge=1, le=10)
    creator_model: str | None = Field(None, description="model writing variants (default: the solver's)")
    variant_template: str = Field(prompts.VARIANT, description="names {question}, {solution}, {answer}")
    variant_sampling: Sampling = Field(default_factory=_write_sampling)
    verbalized: Verbalized | None = Field(None, description="with `structured`, its own `structured` decides the list's form")
    structured: bool = _structured_field()
    problem_max_chars: int | None = _problem_max_chars()


class SelfPlayStage(StageBase, _Solver, _Records):
    """eva: the solver samples k responses per prompt, a reward scores them, a prompt's
    informativeness is the spread of its rewards (`max_minus_mean` or `std`); the creator
    evolves the most informative `top_fraction` into new prompts; repeat for `rounds`.
    Output: the final prompt set (or preference pairs from best/worst responses). With
    `structured` (where the creator's backend can constrain), new prompts are JSON {problem,
    answer} ({problem} when the answer does not carry over)."""

    type: Literal["self_play"]
    k: int = Field(8, ge=2, description="solver samples per prompt")
    rounds: int = Field(3, ge=1, le=20)
    reward: Literal["verifier", "majority", "reward_model"] = Field(
        "verifier",
        description="verifier: against the (inherited) answer; majority: agreement with the majority answer; "
        "reward_model: the score of `reward_model` (open-ended prompts)",
    )
    reward_model: str | None = Field(None, description="reward: reward_model — HF id or path of a sequence-classification model")
    informativeness: Literal["max_minus_mean", "std"] = "max_minus_mean"
    top_fraction: float = Field(0.25, gt=0, le=1)
    evolutions_per_prompt: int = Field(2, ge=1)
    population: int | None = Field(None, ge=1, description="prompts kept per round (default: the input size)")
    creator_model: str | None = Field(None, description="model evolving prompts (default: the solver's)")
    creator_template: str | None = Field(
        None, description="names {question}, {solution}, {answer}; default: SvS's variant prompt, or Evol's broaden with a reward model"
    )
    creator_sampling: Sampling = Field(default_factory=_write_sampling)
    output: Literal["prompts", "pairs"] = "prompts"
    verbalized: Verbalized | None = Field(None, description="with `structured`, its own `structured` decides the list's form")
    structured: bool = _structured_field()
    problem_max_chars: int | None = _problem_max_chars()

    @model_validator(mode="after")
    def _reward_model(self):
        if (self.reward == "reward_model") != (self.reward_model is not None):
            raise ValueError("reward: reward_model and a `reward_model` path go together")
        return self

    @property
    def creator_prompt(self) -> str:
        """Answers carry over with verifier/majority rewards; a reward model's prompts have none."""
        if self.creator_template is not None:
            return self.creator_template
        return prompts.EVOLVE["broaden"] if self.reward == "reward_model" else prompts.VARIANT


class RewriteStage(StageBase, _Solver, _Records):
    """RAFT-style self-conditioned rewriting: the model rewrites each row's reference solution
    (`solution_column`) in its own words, k times; a rewrite is kept only if it still verifies
    against the row's answer (`keep_if: verifies`), stays semantically close to the reference
    (`keep_if: similar`, cosine >= min_similarity), or is non-empty (`keep_if: any`)."""

    type: Literal["rewrite"]
    k: int = Field(2, ge=1, description="rewrites per row")
    solution_column: str = Field("solution", description="text column, or a messages column (last message)")
    rewrite_template: str = Field(prompts.REWRITE, description="names {question} and {solution}")
    keep_if: Literal["verifies", "similar", "any"] = "verifies"
    min_similarity: float = Field(0.8, ge=-1.0, le=1.0, description="keep_if similar: cosine to the reference solution")
    embedding_model: str | None = Field(None, description="keep_if similar: sentence-transformers model (default: offline all-MiniLM-L6-v2)")
    max_correct_per_prompt: int | None = Field(None, ge=1)
    verbalized: Verbalized | None = None


class EvolveStage(StageBase, _Records):
    """Prompt evolution (Evol-Instruct: deepen, constrain, concretize, broaden) and paraphrase:
    each row's question is evolved by each op in `ops`, `k` times. Output: new prompt rows
    (no answer: an evolved problem's answer is unknown, except for `paraphrase`)."""

    type: Literal["evolve"]
    model: str = Field("default", description="a key of recipe.models")
    ops: list[Literal["deepen", "constrain", "concretize", "broaden", "paraphrase"]] = Field(
        default_factory=lambda: ["deepen", "broaden"], min_length=1
    )
    k: int = Field(1, ge=1, description="samples per (row, op)")
    templates: dict[str, str] = Field(default_factory=dict, description="override an op's template (names {question})")
    solve_template: str = Field(prompts.SOLVE, description="the new rows' `prompt` (names {question})")
    system_prompt: str | None = None
    sampling: Sampling = Field(default_factory=_write_sampling)
    verbalized: Verbalized | None = None
