"""Named chat templates a recipe can choose with ``chat_template: NAME``.

Why named templates: the study fine-tuned every model (base, instruct and
BioMistral) on one chat layout, that of the authors' SFT script
(``ikram28/medllm-strategies``): ``<|user|>QUESTION</s><|assistant|>ANSWER</s>``.
Using each tokenizer's own template instead would train Mistral-7B-Instruct on
``[INST]`` and the base models on whatever fallback we pick, so the three groups
would not see the same text. ``study`` is that layout, written by us as a Jinja
template (EOS is the tokenizer's, ``</s>`` for every Mistral tokenizer);
``tokenizer`` keeps the tokenizer's own template (medfr's ``[INST]`` fallback,
or ``default_chat_template``, when it has none).
"""

from __future__ import annotations

#: ``<|user|>...</s><|assistant|>...</s>``: no space nor newline between turns, no BOS
#: (the layout as the authors' script writes it); a system message, which the study's
#: data does not have, gets its own ``<|system|>`` turn rather than being dropped.
STUDY_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}<|system|>{{ message['content'] }}{{ eos_token }}"
    "{% elif message['role'] == 'user' %}<|user|>{{ message['content'] }}{{ eos_token }}"
    "{% elif message['role'] == 'assistant' %}<|assistant|>{{ message['content'] }}{{ eos_token }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

#: name -> template; ``tokenizer`` (None) means: leave the tokenizer's own.
TEMPLATES: dict[str, str | None] = {"study": STUDY_CHAT_TEMPLATE, "tokenizer": None}
NAMES = tuple(TEMPLATES)


def resolve(name: str | None, tokenizer_template: str | None, fallback: str) -> str:
    """The template a tokenizer gets: the named one, else its own, else ``fallback``."""
    named = TEMPLATES.get(name) if name is not None else None
    if named is not None:
        return named
    return tokenizer_template if tokenizer_template is not None else fallback
