"""Type-check recipe values with TRL's own parser (``TrlParser`` / ``HfArgumentParser``).

TRL reads a YAML config by making its values argparse *defaults*
(``TrlParser.set_defaults_with_config``); argparse converts string defaults
but passes every other value through unchecked (``num_train_epochs: [1]`` or
``use_peft: 3`` would reach the trainer). So each value is converted as a
command-line token of its own (``--key=value``) by the parser's public
``parse_known_args``: the field's type and choices check it exactly as they
check a command-line override, and since the tokens hold one key, a refusal
(argparse's ``ArgumentError``, the parser built with ``exit_on_error=False``) is
about that key. The dataclasses are then built by ``parse_dict``, which runs
their own checks (``__post_init__``, TRL's and transformers'). Which keys a
parser knows is read from its dataclasses' fields.

No default lives here: a key a recipe leaves out takes its dataclass's default
(TRL's, transformers'); the study's settings are stated in the recipe files.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import typing
from typing import Any

from medfr_train.recipe.keys import MedfrStageArguments, RecipeArguments, RunCardArguments


class KeyValueError(Exception):
    """A value refused by the parser; ``key`` is the field it is about (None if unknown)."""

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


@functools.cache
def stage_parser():
    """One stage's parser: TRL's ``SFTConfig`` and ``ModelConfig`` plus medfr's stage keys."""
    from trl import ModelConfig, SFTConfig, TrlParser

    return TrlParser((SFTConfig, ModelConfig, MedfrStageArguments), exit_on_error=False)


@functools.cache
def recipe_parser():
    """The top-level keys (strategy, names)."""
    from transformers import HfArgumentParser

    return HfArgumentParser((RecipeArguments,), exit_on_error=False)


@functools.cache
def run_card_parser():
    """The ``run_card:`` keys."""
    from transformers import HfArgumentParser

    return HfArgumentParser((RunCardArguments,), exit_on_error=False)


@functools.cache
def known_keys(parser) -> frozenset[str]:
    """The keys a parser takes: the fields of its dataclasses (YAML keys are field names)."""
    return frozenset(name for cls in parser.dataclass_types for name in field_names(cls))


def is_stage_key(key: str) -> bool:
    return key in known_keys(stage_parser())


def _tokens(key: str, value: Any) -> list[str]:
    """``--key=value`` tokens for one YAML value (a list becomes ``--key v1 v2``)."""
    if isinstance(value, dict):
        return [f"--{key}={json.dumps(value)}"]
    if isinstance(value, (list, tuple)):
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


@functools.cache
def list_keys(parser) -> frozenset[str]:
    """The keys whose field holds a list (``list[str]``, ``Optional[list[str]]``), from the
    dataclasses' type hints, as ``HfArgumentParser`` decides to take several values."""
    out = set()
    for cls in parser.dataclass_types:
        hints = typing.get_type_hints(cls)
        for name in field_names(cls):
            kinds = typing.get_args(hints[name]) or (hints[name],)
            if any(k is list or typing.get_origin(k) is list for k in (hints[name], *kinds)):
                out.add(name)
    return frozenset(out)


def convert(parser, key: str, value: Any) -> Any:
    """One value converted and checked by the field's type and choices, as on a command line."""
    if isinstance(value, (list, tuple)) and key not in list_keys(parser):
        raise KeyValueError(key, f"expected one value, got a list {list(value)!r}")
    try:
        namespace, rest = parser.parse_known_args(_tokens(key, value))
    except Exception as exc:
        # argparse.ArgumentError, raised by the parser TRL builds; argparse is not imported
        # here (medfr's commands are click), so the error is known by its argparse fields
        if not hasattr(exc, "argument_name") or not hasattr(exc, "message"):
            raise
        raise KeyValueError(key, exc.message) from None
    if rest:  # the field takes one value: the other items of the list were left over
        raise KeyValueError(key, f"expected one value, got a list {list(value)!r}")
    return getattr(namespace, key)


def parse_values(parser, values: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Build the parser's dataclasses from ``values``; also return the converted values.

    Every key must be one the parser knows (the caller checks, naming the line).
    Raises ``KeyValueError`` naming the key for a refused value (type, choice,
    or a check in the dataclass's ``__post_init__``, e.g. TRL's or transformers').
    """
    converted = {k: None if v is None else convert(parser, k, v) for k, v in values.items()}
    try:
        built = parser.parse_dict(converted)
    except (ValueError, TypeError) as exc:
        raise KeyValueError(_guess_key(str(exc), values), str(exc)) from None
    return built, converted


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
