"""The commands the docs show, and a folder to run them in as a reader would.

A command shown in a Markdown ``bash`` block either runs offline on this machine
(the tests run it, in :class:`Sandbox`) or says what it needs beyond it with a
marker in its comment: ``# [needs: GPU, Hub]``. The same marker ends the demo's
printed next steps that cannot run offline. :data:`NEEDS` is the vocabulary.

The sandbox holds stand-ins for what a reader brings (their data files, the
runs their GPUs made): tiny, written by the tests, in the documented formats.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What a marked command needs that a test machine has not.
NEEDS = {
    "GPU": "a GPU (7B models)",
    "Hub": "the Hugging Face Hub (models, public sets, the BERTScore model)",
    "internet": "PyPI or GitHub",
    "SLURM": "a SLURM cluster",
    "study data": "the study's own test sets, from its authors",
}
MARKER = re.compile(r"\[needs: ([^\]]*)\]")


@dataclass(frozen=True)
class Documented:
    """One command line of a doc (continuations joined), what it needs, where it is."""

    source: str
    block: int
    command: str  # the shell text, comment removed
    needs: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.source}[{self.block}] {self.command[:70]}"


def needs_of(comment: str) -> tuple[str, ...]:
    """The needs a marker names (empty without one); an unknown word fails loudly."""
    found = MARKER.search(comment)
    if not found:
        return ()
    needs = tuple(n.strip() for n in found.group(1).split(","))
    unknown = [n for n in needs if n not in NEEDS]
    assert not unknown, f"unknown need {unknown} in {comment!r}; known: {sorted(NEEDS)}"
    return needs


def _split_comment(line: str) -> tuple[str, str]:
    """A shell line as (command, comment), a ``#`` inside quotes kept in the command."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def _shown(path: Path) -> str:
    """A doc's name as a reader finds it: relative to the checkout (``docs/study.md``)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def documented_commands(path: Path) -> list[Documented]:
    """Every command line of a Markdown file's ``bash`` blocks, in order."""
    text = path.read_text(encoding="utf-8")
    found = []
    for number, block in enumerate(text.split("```bash")[1:], start=1):
        body = block.split("```", 1)[0].replace("\\\n", " ")
        for line in body.splitlines():
            command, comment = _split_comment(line)
            if command.strip():
                found.append(
                    Documented(_shown(path), number, " ".join(command.split()), needs_of(comment))
                )
    return found


@dataclass
class Outcome:
    command: str
    returncode: int
    output: str


@dataclass
class Sandbox:
    """A working folder where documented commands run one after the other, as typed.

    ``replace`` maps a word of the docs to what stands in for it here (a path the
    reader has, a placeholder); ``extra`` adds options to a command that starts
    with a given prefix (the demo's test setting). Each command runs once; a
    later command sees what the earlier ones wrote, as in a reader's session."""

    folder: Path
    env: dict[str, str]
    replace: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    done: dict[int, Outcome] = field(default_factory=dict)

    def shell_text(self, command: str) -> str:
        text = command
        for word, stand_in in self.replace.items():
            text = text.replace(word, stand_in)
        parts = []
        for part in text.split(" && "):
            for prefix, options in self.extra.items():
                if part == prefix or part.startswith(prefix + " "):
                    part = f"{part} {options}"
            parts.append(part)
        return " && ".join(parts)

    def run(self, index: int, command: str, timeout: int = 1800) -> Outcome:
        if index not in self.done:
            text = self.shell_text(command)
            proc = subprocess.run(
                ["bash", "-c", text],
                cwd=self.folder,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            self.done[index] = Outcome(text, proc.returncode, proc.stdout + proc.stderr)
        return self.done[index]


def offline_env(**extra: str) -> dict[str, str]:
    """This interpreter's scripts first on PATH, no network, nothing cached outside tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDFR_", "PYTEST_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
        MEDFR_JUDGE_CACHE="off",
    )
    env.update(extra)
    return env


def copy_run(src: Path, dest_root: Path, model: str) -> Path:
    """One lm-eval model folder copied under another model's name, as lm-eval names it.

    The results files' ``model_name`` and ``model_args`` say which model ran; the
    naming rule (``medfr_eval.lmeval_output.display_name``) reads them."""
    import json

    dest = dest_root / model.replace("/", "__")
    dest.mkdir(parents=True)
    for path in sorted(src.iterdir()):
        if path.name.startswith("results_"):
            data = json.loads(path.read_text(encoding="utf-8"))
            data["model_name"] = model
            data["model_name_sanitized"] = dest.name
            data["config"]["model_args"] = f"pretrained={model},dtype=float32"
            (dest / path.name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        elif path.is_file():
            shutil.copy2(path, dest / path.name)
    return dest


def write_files(folder: Path, files: dict[str, str | Callable[[Path], object]]) -> None:
    """Write text files, or call a builder with the path, under ``folder``."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_text(content, encoding="utf-8")
