"""What each demo step must leave behind, checked by reading it back.

A unit counts as done only when its outputs still load (see
:mod:`medfr_eval.demo.state`), so a deleted or half-written folder is redone
rather than trusted.
"""

from __future__ import annotations

from pathlib import Path

from medfr_eval.core.errors import DemoError
from medfr_eval.demo.results import check_run, read_json


def check_model(folder: Path, card: bool = True) -> None:
    """A model folder transformers can load: config, weights, tokenizer; and its run card."""
    read_json(folder / "config.json", "model config")
    if not any(folder.glob("*.safetensors")) and not any(folder.glob("*.bin")):
        raise DemoError(f"no model weights (*.safetensors) in {folder}")
    read_json(folder / "tokenizer_config.json", "tokenizer")
    if card:
        data = read_json(folder / "run_card.json", "run card")
        for key in ("model_name", "strategy", "versions"):
            if key not in data:
                raise DemoError(f"run card without {key!r}", file=folder / "run_card.json")


def check_eval(eval_dir: Path) -> None:
    """Results for all 15 sets, each with its headline metric and a sample log."""
    check_run(eval_dir)


def check_signif(path: Path) -> None:
    """A ``medfr signif`` result with at least one comparison."""
    data = read_json(path, "signif.json")
    if data.get("medfr_signif_version") != 1 or not data.get("comparisons"):
        raise DemoError("not a medfr signif result with comparisons", file=path)


def check_site(site: Path) -> None:
    """The leaderboard's ``index.html`` exists and is HTML."""
    index = site / "index.html"
    if not index.is_file() or "<html" not in index.read_text(encoding="utf-8").lower():
        raise DemoError("leaderboard site not built", file=index)
