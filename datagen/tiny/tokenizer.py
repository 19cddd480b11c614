"""The tiny model's tokenizer: byte-level BPE trained on the procedural corpus, with a chat template.

Byte-level, so any unicode input (real GSM8K questions, emoji) tokenizes and decodes back
exactly; digits are split one per token so numbers are spelled digit by digit; 1000
tokens, whose merges may span words (see `train_tokenizer`). The chat template
(system/user/assistant, `add_generation_prompt`) is stored with the tokenizer
(`chat_template.jinja`, and `tokenizer_config.json` for older loaders), so transformers,
vLLM offline and vLLM's OpenAI server all render conversations the same way:

    <|system|>{content}<|end|><|user|>{content}<|end|><|assistant|>{content}<|end|>

No newlines around the role tokens: every turn starts right after a special token, so a
prompt's tokens are always a prefix of prompt + completion (no merges across the
boundary). `<|end|>` is the end-of-turn and eos token; there is no BOS.

Not covered: tool calls, multimodal content (a message's content must be a string), and
any vocabulary beyond the training corpus (such text still works, at more tokens per word).
"""

from __future__ import annotations

from typing import Iterable

PAD, USER, ASSISTANT, SYSTEM, END = "<|pad|>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>"
SPECIAL_TOKENS = [PAD, USER, ASSISTANT, SYSTEM, END]  # ids 0..4, in this order

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] not in ['system', 'user', 'assistant'] -%}"
    "{{ raise_exception('the tiny model knows only system, user and assistant messages') }}"
    "{%- endif -%}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|assistant|>' }}{%- endif -%}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 1000):
    """A `PreTrainedTokenizerFast` trained on `texts` (heavy import inside)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        # No word-splitting regex: merges may span words, so the fixed phrases of the task
        # templates ("Solve step by step ...", " in each ", "The answer is \\boxed{") become a
        # few tokens. Sequences are half as long as with GPT-2 word splitting, which measured
        # both faster and better for this model (a training budget of minutes on a CPU).
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token=PAD,
        eos_token=END,
        unk_token=None,
        bos_token=None,
        clean_up_tokenization_spaces=False,
        model_max_length=512,
        padding_side="left",  # generation-friendly; training collators pad as they need
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def corpus_texts(conversations: list[list[dict]]) -> list[str]:
    """The message contents a tokenizer is trained on."""
    return [m["content"] for conv in conversations for m in conv]
