"""Type-check recipe values with TRL's own parser (``TrlParser`` / ``HfArgumentParser``).

TRL reads a YAML config by making its values argparse *defaults*
(``TrlParser.set_defaults_with_config``); argparse converts string defaults
but passes every other value through unchecked (``num_train_epochs: [1]`` or
``use_peft: 3`` would reach the trainer). So each value is handed to the same
parser as a command-line token instead (``--key=value``): argparse then converts
and checks it with the field's type and choices, exactly as a command-line
override. What we add is the translation of YAML values into tokens and of
argparse's message into the key it is about, so that the caller can name the
recipe file and line.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from typing import Any

from medfr_train.recipe.keys import MedfrStageArguments, RecipeArguments, RunCardArguments


class KeyValueError(Exception):
    """A value refused by the parser; ``key`` is the field it is about (None if unknown)."""

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def _raising(cls: type) -> type:
    """``cls`` with argparse's ``error`` raising instead of printing usage and exiting."""

    class Raising(cls):  # type: ignore[misc, valid-type]
        def error(self, message: str):  # noqa: D401 - argparse API
            match = re.match(r"argument (--[\w.-]+)(?:/[^:]*)?: (.*)", message, re.S)
            if match:
                action = self._option_string_actions.get(match.group(1))
                raise KeyValueError(action.dest if action else None, match.group(2))
            raise KeyValueError(None, message)

    return Raising


@functools.cache
def stage_parser():
    """One stage's parser: TRL's ``SFTConfig`` and ``ModelConfig`` plus medfr's stage keys."""
    from trl import ModelConfig, SFTConfig, TrlParser

    return _raising(TrlParser)((SFTConfig, ModelConfig, MedfrStageArguments))


@functools.cache
def recipe_parser():
    """The top-level keys (strategy, names)."""
    from transformers import HfArgumentParser

    return _raising(HfArgumentParser)((RecipeArguments,))


@functools.cache
def run_card_parser():
    """The ``run_card:`` keys."""
    from transformers import HfArgumentParser

    return _raising(HfArgumentParser)((RunCardArguments,))


def dest_of(parser, key: str) -> str | None:
    """The field a ``key`` (``learning_rate`` or ``learning-rate``) names, or None if unknown."""
    action = parser._option_string_actions.get(f"--{key}")
    return action.dest if action is not None and action.dest != "help" else None


def is_stage_key(key: str) -> bool:
    return dest_of(stage_parser(), key) == key


def _tokens(parser, key: str, value: Any) -> list[str]:
    """``--key=value`` tokens for one YAML value (lists become several tokens)."""
    action = parser._option_string_actions[f"--{key}"]
    if isinstance(value, dict):
        return [f"--{key}={json.dumps(value)}"]
    if isinstance(value, (list, tuple)):
        if action.nargs not in ("+", "*"):
            raise KeyValueError(key, f"expected one value, got a list {list(value)!r}")
        if not value:
            raise KeyValueError(key, "expected at least one value, got an empty list")
        bad = [v for v in value if isinstance(v, (list, dict))]
        if bad:
            raise KeyValueError(key, f"expected a list of plain values, got {bad[0]!r}")
        return [f"--{key}", *(_scalar(v) for v in value)]
    return [f"--{key}={_scalar(value)}"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_values(parser, values: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Build the parser's dataclasses from ``values``; also return the converted values.

    Raises ``KeyValueError`` naming the key for a refused value (type, choice,
    or a check in the dataclass's ``__post_init__``, e.g. TRL's or transformers').
    """
    argv: list[str] = []
    nulls = []
    for key, value in values.items():
        if value is None:
            nulls.append(key)
        else:
            argv += _tokens(parser, key, value)
    namespace, rest = parser.parse_known_args(argv)
    if rest:  # every key was checked by the caller; this is a bug, not bad input
        raise AssertionError(f"tokens not consumed: {rest}")
    converted = vars(namespace)
    for key in nulls:
        converted[key] = None
    try:
        built = parser.parse_dict(converted)
    except (ValueError, TypeError) as exc:
        raise KeyValueError(_guess_key(str(exc), values), str(exc)) from None
    return built, {k: converted[k] for k in values}


def _guess_key(message: str, keys: dict[str, Any]) -> str | None:
    """The longest recipe key the message names (``__post_init__`` errors name no field)."""
    hits = [k for k in keys if re.search(rf"\b{re.escape(k)}\b", message)]
    return max(hits, key=len) if hits else None


def help_text() -> str:
    """Every key a recipe accepts, with type and help, as the parsers print them."""
    parts = []
    for title, parser in (
        ("Recipe keys (top level)", recipe_parser()),
        ("run_card: keys (command line: --run_card.KEY value)", run_card_parser()),
        (
            "Stage keys (top level, or under stages.cpt / stages.sft; "
            "command line: --KEY value or --stage.NAME.KEY value)",
            stage_parser(),
        ),
    ):
        body = parser.format_help().split("\n\n", 1)[-1].replace("options:\n", "", 1)
        body = "\n".join(ln for ln in body.splitlines() if "show this help message" not in ln)
        parts.append(f"{title}\n{'=' * len(title)}\n{body}")
    return "\n".join(parts)


def field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.init}
