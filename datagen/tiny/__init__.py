"""datagen's embedded tiny model: the model used when a recipe names none.

`tasks` (procedural arithmetic problems and the prompts the tiny model knows), `tokenizer`
(its byte-level BPE and chat template), `build` (`ensure_tiny_model()`: train with TRL on
first use, cached by build hash) and `evaluate` (its held-out pass@1 self-check).
Nothing is imported here, so `import datagen.tiny.tasks` stays free of torch.
"""
