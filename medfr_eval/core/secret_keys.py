"""Which fields may hold a secret (tokens, keys, passwords), and the same record without them.

One rule, shared by every writer of records that travel (the run card beside a
model, the board's pages and JSON), so that what one refuses to write the other
refuses to publish. Pure Python: the board imports it without torch.

The rule is on the field's *name*, split into words (``hub_token`` -> hub,
token; ``apiKey`` -> api, key): a name is secret-bearing when it holds
``password``, ``passwd``, ``secret``, ``credential`` or ``authorization``
anywhere, or a glued form such as ``apikey`` or ``accesstoken``, or when its
*last* word is ``token`` or ``key`` (``hub_token``, ``MEDFR_JUDGE_API_KEY``).
Why words, and why the last one: ``tokens_seen`` (a count the run card
reports), ``max_new_tokens``, ``sort_keys``, ``monkey`` and a model config's
``num_key_value_heads`` carry no secret, and a substring test would refuse
them. The special tokens of a tokenizer (``pad_token``, ``eos_token``, ...,
and their ``*_token_id``) are settings the run needs to be reproduced, never
credentials: they are kept.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"

#: words that name a secret wherever they sit in a name (``db_password``, ``client_secret``)
_SECRET_ANYWHERE = ("password", "passwd", "secret", "credential", "authorization")
#: glued forms, found in the name's words joined (``openai_apikey``, ``accesstoken``)
_GLUED = ("apikey", "authtoken", "accesstoken", "secretkey", "privatekey", "hubtoken")
#: the last word that makes a name secret-bearing (``hub_token``, ``api_key``)
_SECRET_LAST = ("token", "key")
#: tokenizer special tokens: ``pad_token``, ``eos_token_id``, ``mask_token``, ...
_SPECIAL = ("pad", "eos", "bos", "unk", "sep", "cls", "mask", "special")


def key_words(name: str) -> list[str]:
    """``hub_token`` -> [hub, token]; ``apiKey`` -> [api, key]; ``X-Api-Key`` -> [x, api, key]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def is_secret_key(name: object) -> bool:
    """Is a field of this name secret-bearing (its value never written to a shared record)?"""
    if not isinstance(name, str):
        return False
    words = key_words(name)
    if not words:
        return False
    glued = "".join(words)
    if any(w in glued for w in _SECRET_ANYWHERE + _GLUED):
        return True
    if words[-1] not in _SECRET_LAST:
        return False
    return not (words[-1] == "token" and len(words) > 1 and words[-2] in _SPECIAL)


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
