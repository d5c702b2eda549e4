"""An in-process transformers judge: loaded once, batched, greedy, one new token.

Batched the way lm-eval's own ``hf`` generation is: prompts sorted by length
(longest first, so padding is small and memory peaks early), left padding,
``generate(do_sample=False, max_new_tokens=1)``. A tokenizer with a chat
template gets it (instruct judges such as MedGemma-27B-it expect it); a base
model gets the raw prompt. No ``trust_remote_code``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from medfr_eval.judge.config import JudgeConfig


@functools.lru_cache(maxsize=2)
def load_judge_model(model: str, device: str | None) -> tuple[Any, Any]:
    """``(model, tokenizer)``, once per process and setting."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = "auto" if device != "cpu" else torch.float32
    lm = AutoModelForCausalLM.from_pretrained(model, dtype=dtype).to(device).eval()
    return lm, tokenizer


def as_chat(tokenizer: Any, prompt: str) -> str:
    """The prompt in the judge's chat format when it has one."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
    return prompt


class LocalJudge:
    """Judges with a local model; ``ask_many`` yields ``(index, raw_text)`` batch by batch."""

    def __init__(self, config: JudgeConfig) -> None:
        self.config = config
        self.model, self.tokenizer = load_judge_model(config.model, config.device)

    def ask_many(self, prompts: list[str]) -> Iterator[tuple[int, str]]:
        import torch

        texts = [as_chat(self.tokenizer, p) for p in prompts]
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = self.config.batch_size
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            enc = self.tokenizer(
                [texts[i] for i in idx],
                return_tensors="pt",
                padding=True,
                add_special_tokens=not getattr(self.tokenizer, "chat_template", None),
            ).to(self.model.device)
            with torch.inference_mode():
                out = self.model.generate(
                    **enc,
                    do_sample=False,
                    max_new_tokens=1,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            new = out[:, enc["input_ids"].shape[1] :]
            for i, row in zip(idx, new.tolist(), strict=True):
                yield i, self.tokenizer.decode(row, skip_special_tokens=True)
