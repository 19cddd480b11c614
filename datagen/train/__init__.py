"""The bundled trainer: `datagen train sft|dpo|grpo` on PyTorch through TRL.

`data.py` reads `NAME@vN` (or a file) into the columns the method needs, `config.py` maps
the pydantic `TrainSpec` onto TRL's config classes, `run.py` builds the model (LoRA via PEFT
optional), the trainer (datagen verifiers as GRPO rewards), resumes from the last checkpoint
and saves the model with a card naming the dataset version and fingerprint (`card.py`).
"""
