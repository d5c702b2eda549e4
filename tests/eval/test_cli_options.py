"""The evaluation-set options read and behave the same in every command that has them."""

from __future__ import annotations

from medfr_eval.contamination.cli import contamination
from medfr_eval.contamination.ngrams import DEFAULT_N
from medfr_train.build_sft_cli import build_sft_command

SHARED = ("against", "data", "n", "skip_missing", "output")


def _options(command):
    return {p.name: p for p in command.params}


def test_contamination_and_build_sft_share_the_eval_set_options():
    ours, theirs = _options(contamination), _options(build_sft_command)
    for name in SHARED:
        a, b = ours[name], theirs[name]
        assert (a.opts, a.multiple, a.required, a.default) == (
            b.opts,
            b.multiple,
            b.required,
            b.default,
        )
    assert ours["n"].default == DEFAULT_N
    assert ours["output"].required and ours["output"].opts == ["-o", "--output"]
    assert "report" in ours["skip_missing"].help and "card" in theirs["skip_missing"].help
