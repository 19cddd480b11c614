"""Quick quality checks for the tiny model, with transformers generation on CPU.

`solve_pass_at_1` measures held-out pass@1: one sample per `split="test"` problem from
`datagen.tiny.tasks`, sent as `solve_prompt(question)`, judged by the integer in the last
`\\boxed{}`. `task_samples` draws one completion for each of the other task types and says
whether each looks sane (new_problem/propose: a question; rewrite: ends in the right
`\\boxed{}`). This is the build's self-check, not datagen's evaluation (`datagen eval`,
with its verifiers, covers real benchmarks and pass@k).
"""

from __future__ import annotations

import contextlib
import os
import random
from pathlib import Path

from datagen.tiny import tasks


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


def task_samples(model, tok, *, seed: int = 0, k: int = 8, temperature: float = 0.8) -> dict:
    """`k` samples of new_problem, rewrite and propose, with the share that look sane."""
    rng = random.Random(seed)
    problems = tasks.make_problems(k, seed=seed + 1, split="test")
    targets = [rng.randint(2, 40) for _ in range(k)]
    prompts = {
        "new_problem": [tasks.new_problem_prompt(t) for t in targets],
        "rewrite": [tasks.rewrite_prompt(p["question"], p["solution"]) for p in problems],
        "propose": [tasks.propose_prompt(p["question"]) for p in problems],
    }
    report = {}
    for kind, users in prompts.items():
        outs = generate(model, tok, [[{"role": "user", "content": u}] for u in users],
                        temperature=temperature, seed=seed)
        if kind == "rewrite":
            sane = [is_correct(o, p["answer"]) for o, p in zip(outs, problems, strict=True)]
        else:
            sane = [o.strip().endswith("?") and "\\boxed" not in o for o in outs]
        report[kind] = {"sane": sum(sane) / k, "examples": outs[:2]}
    return report
