"""Quick quality checks for the tiny model, with transformers generation on CPU.

`solve_pass_at_1` measures held-out pass@1: one sample per `split="test"` problem from
`datagen.tiny.tasks`, sent as `solve_prompt(question)`, judged by the integer in the last
`\\boxed{}`. `task_samples` samples the generator tasks (variant, rewrite, deepen, broaden,
verbalized) on held-out problems and says how often each output is sane, by two pure
checks also used in tests: `well_formed` (a question made of template words only: the
garble check) and `parse_verbalized` (a minimal Verbalized Sampling reader). This is the
build's self-check, not datagen's evaluation (`datagen eval`, with its verifiers, covers
real benchmarks and pass@k).
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import re
from pathlib import Path

from datagen.tiny import tasks, templates

# --- checking generated text (pure Python) -------------------------------------------------

_WORD = re.compile(r"[A-Za-z]+")


@functools.cache
def problem_words() -> frozenset[str]:
    """Every word the problem templates can write (numbers aside)."""
    rng = random.Random(0)
    made = [templates.TEMPLATES[name](rng, None) for name in templates.TEMPLATES for _ in range(400)]
    made += [templates.t_temperature(rng, None) for _ in range(50)]
    return frozenset(w for q, _ in made for w in _WORD.findall(q))


def well_formed(text: str) -> bool:
    """A problem-looking text: a question ending in "?", no `\\boxed`, only template words."""
    text = text.strip()
    return (text.endswith("?") and "\\boxed" not in text and "<" not in text
            and all(w in problem_words() for w in _WORD.findall(text)))


def problem_steps(question: str) -> int:
    """Arithmetic steps of a template problem: one fewer than the numbers it states."""
    return len(re.findall(r"\d+", question)) - 1


_RESPONSE = re.compile(r"\s*<response><text>(.*?)</text><probability>([^<]*)</probability></response>", re.S)


def parse_verbalized(text: str) -> list[tuple[str, float]] | None:
    """The (text, probability) pairs of a Verbalized Sampling reply, or None when anything
    but whitespace lies outside the `<response>` tags or a probability is not in [0, 1]."""
    pairs, pos = [], 0
    while m := _RESPONSE.match(text, pos):
        try:
            prob = float(m.group(2))
        except ValueError:
            return None
        if not 0 <= prob <= 1:
            return None
        pairs.append((m.group(1).strip(), prob))
        pos = m.end()
    return pairs if pairs and not text[pos:].strip() else None


def tiny_threads() -> int:
    """Torch threads for a model this small: its matmuls barely scale, and on a busy machine
    every extra OpenMP thread stalls the others (measured on 2 shared cores: 1 thread generates
    10x faster than 2, and trains 2-3x faster)."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


@contextlib.contextmanager
def torch_threads(n: int | None = None):
    """Run the block with `n` torch threads (default `tiny_threads()`), then restore."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n or tiny_threads())
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load(model_dir: str | Path):
    """(model, tokenizer) from a tiny model directory, float32, eval mode."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    return model.eval(), tok


def generate(model, tok, conversations: list[list[dict]], *, temperature: float = 0.8, top_p: float = 1.0,
             max_tokens: int = 256, seed: int = 0, batch_size: int = 64) -> list[str]:
    """One sampled completion per conversation (greedy when temperature is 0)."""
    import torch

    texts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
    tok.padding_side = "left"
    out: list[str] = []
    torch.manual_seed(seed)
    sample = temperature > 0
    kwargs = dict(do_sample=True, temperature=temperature, top_p=top_p) if sample else dict(do_sample=False)
    with torch.inference_mode(), torch_threads():
        for i in range(0, len(texts), batch_size):
            enc = tok(texts[i:i + batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
            gen = model.generate(**enc, max_new_tokens=max_tokens, eos_token_id=tok.eos_token_id,
                                 pad_token_id=tok.pad_token_id, **kwargs)
            new = gen[:, enc["input_ids"].shape[1]:]
            out.extend(tok.batch_decode(new, skip_special_tokens=True))
    return out


def is_correct(completion: str, answer: str) -> bool:
    """Integer in the last `\\boxed{}` equals `answer`."""
    got = tasks.boxed_answer(completion)
    try:
        return got is not None and int(got.replace(",", "").strip()) == int(answer)
    except ValueError:
        return False


def solve_pass_at_1(model, tok, *, n: int = 128, seed: int = 0, split: str = "test", temperature: float = 0.8,
                    top_p: float = 1.0, max_tokens: int = 256) -> dict:
    """Held-out pass@1 over `n` problems: {"pass@1", "n", "by_difficulty", "examples"}."""
    problems = tasks.make_problems(n, seed=seed, split=split)
    convs = [[{"role": "user", "content": tasks.solve_prompt(p["question"])}] for p in problems]
    outs = generate(model, tok, convs, temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
    ok = [is_correct(o, p["answer"]) for o, p in zip(outs, problems, strict=True)]
    by_d: dict[int, list[bool]] = {}
    for p, k in zip(problems, ok, strict=True):
        by_d.setdefault(p["difficulty"], []).append(k)
    return {
        "pass@1": sum(ok) / len(ok),
        "n": len(ok),
        "by_difficulty": {d: round(sum(v) / len(v), 3) for d, v in sorted(by_d.items())},
        "sampling": {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "seed": seed},
        "examples": [{"question": p["question"], "answer": p["answer"], "completion": o}
                     for p, o in list(zip(problems, outs, strict=True))[:3]],
    }


def task_samples(model, tok, *, seed: int = 0, k: int = 16, temperature: float = 0.8) -> dict:
    """Each generator task on `k` held-out problems, one sample each: {task: {"sane", ..., "examples"}}.

    variant: "answer_kept" (the model's own solve of the new problem, one sample, lands on
    the original answer; also its "sane") and "well_formed"; rewrite: ends in the right
    `\\boxed{}` with every step's arithmetic right ("formatted": has steps and a box at
    all); deepen, broaden: well formed ("right_steps": also states one more step, at most
    3 / as many steps as the problem);
    verbalized (m = 2, 3, 4 around variant and broaden requests): exactly m well-formed texts
    ("parsed": well-formed texts in well-formed tags, however many).
    """
    problems = tasks.make_problems(k, seed=seed + 1, split="test")
    ms = [2 + i % 3 for i in range(k)]
    prompts = {
        "variant": [tasks.variant_prompt(p) for p in problems],
        "rewrite": [tasks.rewrite_prompt(p) for p in problems],
        "deepen": [tasks.evolve_prompt("deepen", p) for p in problems],
        "broaden": [tasks.evolve_prompt("broaden", p) for p in problems],
        "verbalized": [tasks.verbalized_prompt(m, tasks.variant_prompt(p) if i % 2 else tasks.evolve_prompt("broaden", p))
                       for i, (m, p) in enumerate(zip(ms, problems, strict=True))],
    }
    outs = {kind: generate(model, tok, [[{"role": "user", "content": u}] for u in users], temperature=temperature,
                           seed=seed, max_tokens=320 if kind == "verbalized" else 256)
            for kind, users in prompts.items()}
    solved = generate(model, tok, [[{"role": "user", "content": tasks.solve_prompt(o.strip())}] for o in outs["variant"]],
                      temperature=temperature, seed=seed)
    kept = [is_correct(s, p["answer"]) for s, p in zip(solved, problems, strict=True)]
    rewrite_ok = [is_correct(o, p["answer"]) and bool(tasks.parse_steps(o)) and all(map(tasks.step_is_correct, tasks.parse_steps(o)))
                  for o, p in zip(outs["rewrite"], problems, strict=True)]
    parsed = [parse_verbalized(o) for o in outs["verbalized"]]
    verbalized_ok = [bool(r) and len(r) == m and all(well_formed(t) for t, _ in r) for r, m in zip(parsed, ms, strict=True)]

    def share(flags) -> float:
        flags = list(flags)
        return round(sum(flags) / len(flags), 3)

    report = {kind: {"sane": share(map(well_formed, o)), "examples": o[:2]} for kind, o in outs.items()}
    report["variant"].update(well_formed=report["variant"]["sane"], sane=share(kept), answer_kept=share(kept))
    report["rewrite"].update(sane=share(rewrite_ok), formatted=share(tasks.boxed_answer(o) is not None and bool(tasks.parse_steps(o))
                                                                    for o in outs["rewrite"]))
    for kind, more in (("deepen", 1), ("broaden", 0)):
        report[kind]["right_steps"] = share(well_formed(o) and problem_steps(o) == min(p["difficulty"] + more, 3)
                                            for o, p in zip(outs[kind], problems, strict=True))
    report["verbalized"].update(sane=share(verbalized_ok), parsed=share(bool(r) and all(well_formed(t) for t, _ in r)
                                                                      for r in parsed))
    return report
