"""The study file: which models, which sets, how they are run, paired and held against the paper.

A study file is YAML (schema in docs/study.md). It is read and
checked whole before any model loads: an unknown key, a model listed twice, a pair
naming a model the study lacks, a task medfr does not ship, a paper table with a set or
a model the study lacks, each stops with one line ``FILE:LINE: key: message``. Values
given on the command line (``--set KEY=VALUE``, ``--model-path NAME=PATH``) are
checked by the same rules and named ``command line: --set KEY``.

Paths in the file are relative to the file's folder (a shipped study finds its paper
table beside it); paths on the command line are relative to the current folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from medfr_eval.core.sets import FAMILIES
from medfr_eval.signif.pairs import Pair

SCHEMA_VERSION = 1
COMMAND_LINE = "command line"
BACKENDS: tuple[str, ...] = ("hf", "vllm", "medfr-hf", "medfr-vllm")
VLLM_BACKENDS: tuple[str, ...] = ("vllm", "medfr-vllm")
WTL_FAMILIES: tuple[str, ...] = ("all", *FAMILIES)
CORRECTIONS: tuple[str, ...] = ("bonferroni", "holm", "bh", "none")
TESTS: tuple[str, ...] = ("bootstrap", "mcnemar", "permutation")

_TOP = {"medfr_study", "name", "title", "source", "description", "tasks", "evaluation",
        "significance", "pairs", "paper", "models"}  # fmt: skip
_EVALUATION = {"backend", "model_args", "batch_size", "device", "num_fewshot", "gen_kwargs",
               "data", "metadata", "bertscore", "tensor_parallel", "data_parallel"}  # fmt: skip
_BERTSCORE = {"model", "layer", "batch_size"}
_SIGNIFICANCE = {"resamples", "alpha", "correction", "test", "cluster", "seed"}
_PAPER = {"tables", "source", "win_tie_loss"}
_WTL = {"label", "table", "model_a", "model_b", "family", "win", "tie", "loss", "note"}
_MODEL = {"name", "hub_id", "path", "revision", "hub_id_confirmed", "confirmed_at", "note",
          "base_model", "strategy", "group", "chat_template", "model_args"}  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


@dataclass(frozen=True)
class StudyModel:
    """One model of the study, named as the paper names it."""

    name: str
    strategy: str
    hub_id: str | None = None
    path: Path | None = None
    revision: str | None = None
    hub_id_confirmed: bool | None = None
    confirmed_at: str | None = None
    note: str | None = None
    base_model: str | None = None
    group: str | None = None
    chat_template: bool = False
    model_args: dict = field(default_factory=dict)

    @property
    def pretrained(self) -> str:
        """What lm-eval loads: the local folder, else the Hub id."""
        return str(self.path) if self.path is not None else str(self.hub_id)

    @property
    def slug(self) -> str:
        """The model's folder name in a run folder (its name, made safe for a path)."""
        return re.sub(r"[^A-Za-z0-9._+-]+", "_", self.name)


@dataclass(frozen=True)
class Evaluation:
    """How lm-eval runs each model (the same for every model of the study)."""

    backend: str = "hf"
    model_args: dict = field(default_factory=dict)
    batch_size: str = "1"
    device: str | None = None
    num_fewshot: int = 0
    gen_kwargs: dict = field(default_factory=dict)
    data: str | None = None
    metadata: dict = field(default_factory=dict)
    bertscore: dict = field(default_factory=dict)
    tensor_parallel: int = 1
    data_parallel: int = 1

    @property
    def gpus(self) -> int:
        """GPUs one model's evaluation uses."""
        return self.tensor_parallel * self.data_parallel

    def lm_eval_metadata(self) -> dict:
        """What goes to lm-eval's ``--metadata`` (the data choice first)."""
        meta = {"medfr_data": self.data} if self.data is not None else {}
        return {**meta, **self.metadata}


@dataclass(frozen=True)
class Significance:
    """The options of ``medfr signif`` for the study's pairs (the study's own by default)."""

    resamples: int = 10_000
    alpha: float = 0.05
    correction: str = "bonferroni"
    test: str = "bootstrap"
    cluster: bool = True
    seed: int = 0


@dataclass(frozen=True)
class WinTieLoss:
    """One published win / tie / loss row (the study's Tables 4-5) to set beside ours."""

    label: str
    model_a: str
    model_b: str
    family: str
    win: float
    tie: float
    loss: float
    table: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class PaperRef:
    """Where the paper's figures are: the CSV of Tables 1-3 and the W/T/L rows."""

    tables: Path
    source: str
    win_tie_loss: tuple[WinTieLoss, ...] = ()


@dataclass(frozen=True)
class Study:
    """A study file read and checked whole (see the module docstring)."""

    path: Path
    sha256: str
    name: str
    tasks: tuple[str, ...]
    leaves: tuple[str, ...]
    evaluation: Evaluation
    significance: Significance
    models: tuple[StudyModel, ...]
    pairs: tuple[Pair, ...] = ()
    pairs_source: str | None = None
    paper: PaperRef | None = None
    title: str | None = None
    source: str | None = None
    overrides: tuple[str, ...] = ()
    model_paths: tuple[tuple[str, str], ...] = ()

    def model(self, name: str) -> StudyModel:
        return next(m for m in self.models if m.name == name)

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def all_pairs(self) -> list[Pair]:
        """The study's pairs, then the W/T/L rows' pairs they lack (what signif compares)."""
        out = list(self.pairs)
        have = {(p.model_a, p.model_b) for p in out}
        for row in self.paper.win_tie_loss if self.paper else ():
            if (row.model_a, row.model_b) not in have:
                out.append(Pair(row.model_a, row.model_b, None, row.label))
                have.add((row.model_a, row.model_b))
        return out


# --------------------------------------------------------------------------- reading
