"""A stage's output folder before training: is it ours, and where to resume from.

transformers' ``get_last_checkpoint`` takes the highest ``checkpoint-N``
folder whatever it holds; a run killed while saving leaves one without its
``trainer_state.json`` (or a user's junk ``checkpoint-999``), and resuming
from it fails with a traceback. Here a checkpoint counts only when its
``trainer_state.json`` reads and it holds weights; the others are named and
skipped. The same look at the folder refuses to write into one holding someone
else's files (a base model's ``config.json``, notes) unless ``--force``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from medfr_train.runcard import RUN_CARD

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
#: What a saved checkpoint holds besides its state: full weights or a peft adapter.
_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
    "adapter_model.safetensors",
    "adapter_model.bin",
)


@dataclass
class Checkpoints:
    """The checkpoints of an output folder: complete ones by step, and the broken ones."""

    complete: list[tuple[int, Path]] = field(default_factory=list)
    broken: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def last(self) -> Path | None:
        return self.complete[-1][1] if self.complete else None


def _why_broken(folder: Path, step: int) -> str | None:
    """Why a ``checkpoint-N`` cannot be resumed from, or None when it is complete."""
    if not folder.is_dir():
        return "not a folder"
    state_file = folder / "trainer_state.json"
    if not state_file.is_file():
        return "no trainer_state.json (the run was stopped while saving?)"
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "trainer_state.json does not read as JSON"
    if not isinstance(state, dict) or state.get("global_step") != step:
        return f"trainer_state.json is not the state of step {step}"
    if not any((folder / name).is_file() for name in _WEIGHTS):
        return "no model weights"
    return None


def scan_checkpoints(output_dir: Path) -> Checkpoints:
    """Every ``checkpoint-N`` entry of ``output_dir``, sorted by step, complete or not."""
    found = Checkpoints()
    if not output_dir.is_dir():
        return found
    for entry in sorted(output_dir.iterdir()):
        match = _CHECKPOINT.match(entry.name)
        if match is None:
            continue
        step = int(match.group(1))
        why = _why_broken(entry, step)
        if why is None:
            found.complete.append((step, entry))
        else:
            found.broken.append((entry, why))
    found.complete.sort(key=lambda item: item[0])
    return found


def check_output_dir(output_dir: Path, key_error, force: bool) -> None:
    """Refuse an output folder we did not make, unless ``force``.

    Ours: it holds our ``run_card.json`` or ``checkpoint-N`` folders. Anything
    else non-empty (a downloaded model, notes, another tool's output) would be
    overwritten by the trainer's files. ``key_error(message)`` builds the error
    naming the recipe's ``output_dir`` key."""
    if output_dir.exists() and not output_dir.is_dir():
        raise key_error(f"{output_dir} is a file, not a folder")
    if force or not output_dir.is_dir():
        return
    entries = list(output_dir.iterdir())
    if not entries:
        return
    if (output_dir / RUN_CARD).is_file() or any(_CHECKPOINT.match(e.name) for e in entries):
        return
    names = ", ".join(sorted(e.name for e in entries)[:3]) + (", ..." if len(entries) > 3 else "")
    raise key_error(
        f"{output_dir} is not empty ({names}) and holds no medfr run card nor checkpoint: "
        "training would overwrite these files; choose another output_dir or pass --force"
    )


def resume_point(output_dir: Path, resume: bool, say) -> str | None:
    """The checkpoint to resume from (``resume``), telling the user what was chosen and skipped.

    ``say(line)`` prints a line. Without ``resume`` over existing checkpoints
    the run restarts from step 0: it says so rather than silently."""
    found = scan_checkpoints(output_dir)
    if not resume:
        if found.complete or found.broken:
            names = ", ".join(p.name for _, p in found.complete) or "incomplete ones only"
            say(
                f"note: {output_dir} holds checkpoints ({names}); training starts again from "
                "step 0 (pass --resume to continue from the last complete one)"
            )
        return None
    for path, why in found.broken:
        say(f"note: skipping {path}: {why}")
    if found.last is None:
        say(f"note: --resume: no complete checkpoint in {output_dir}; starting from step 0")
        return None
    say(f"resuming from {found.last}")
    return str(found.last)


def remote_code_warning(stage_name: str, model: str) -> str:
    """The loud line said when a recipe lets a model repository run its own Python code."""
    return (
        f"WARNING: stage {stage_name}: trust_remote_code is true: loading {model} will RUN "
        "PYTHON CODE from that model repository on this machine; keep it only for a "
        "repository you trust, at a pinned model_revision"
    )


__all__ = [
    "Checkpoints",
    "check_output_dir",
    "remote_code_warning",
    "resume_point",
    "scan_checkpoints",
]
