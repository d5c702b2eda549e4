"""Which fields may hold a secret (tokens, keys, passwords), and the same record without them.

One rule, shared by every writer of records that travel (the run card beside a
model, the board's pages and JSON), so that what one refuses to write the other
refuses to publish. Pure Python: the board imports it without torch.

The rule is on the field's *name*, split into words (``hub_token`` -> hub,
token; ``apiKey`` -> api, key): a name holding the word ``token``, ``key``,
``password``, ``passwd``, ``secret`` or ``credential(s)``, or one of the glued
forms ``apikey``, ``authtoken``, ``accesstoken``, ``secretkey``, is
secret-bearing. Why words and not substrings: ``tokens_seen`` (a count the run
card reports) and ``include_num_input_tokens_seen`` hold the word ``tokens``,
not ``token``, and carry no secret. The special tokens of a tokenizer
(``pad_token``, ``eos_token``, ..., and their ``*_token_id``) are settings the
run needs to be reproduced, never credentials: they are kept.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"

_SECRET_WORDS = frozenset(
    {"token", "key", "password", "passwd", "secret", "credential", "credentials"}
)
_GLUED = ("apikey", "authtoken", "accesstoken", "secretkey", "privatekey")
#: tokenizer special tokens: ``pad_token``, ``eos_token_id``, ``mask_token``, ...
_SPECIAL_TOKEN = re.compile(r"(pad|eos|bos|unk|sep|cls|mask)_token(_id)?", re.IGNORECASE)


def key_words(name: str) -> list[str]:
    """``hub_token`` -> [hub, token]; ``apiKey`` -> [api, key]; ``X-Api-Key`` -> [x, api, key]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def is_secret_key(name: object) -> bool:
    """Is a field of this name secret-bearing (its value never written to a shared record)?"""
    if not isinstance(name, str) or _SPECIAL_TOKEN.fullmatch(name):
        return False
    words = key_words(name)
    if _SECRET_WORDS.intersection(words):
        return True
    glued = "".join(words)
    return any(g in glued for g in _GLUED)


def redact_secrets(value: Any) -> Any:
    """``value`` with every secret-bearing field's value replaced by ``"<redacted>"``.

    Mappings are walked at any depth, lists too. A secret-bearing field that is
    ``None`` stays ``None``: "not given" is worth keeping and reveals nothing."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if is_secret_key(k) and v is not None else redact_secrets(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact_secrets(v) for v in value]
    return value


def secret_paths(value: Any, path: str = "") -> list[str]:
    """JSON paths of secret-bearing fields that hold a value (not None, not already redacted)."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else str(k)
            if is_secret_key(k) and v is not None and v != REDACTED:
                found.append(here)
            else:
                found += secret_paths(v, here)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found += secret_paths(v, f"{path}[{i}]")
    return found
