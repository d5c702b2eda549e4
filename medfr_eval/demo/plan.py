"""The demo's plan: which commands run, in which order, and where they write.

A plan is a dict of :class:`Step` (in :data:`STEP_NAMES` order), each a list
of :class:`Unit` commands with the check that their outputs are there. The
commands are the public ones a user types (``medfr train recipe``, ``lm_eval``,
``medfr signif``, ``medfr board build``), so every demo run proves they
work end to end; this module only builds their command lines.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from medfr_eval.core.errors import DemoError
from medfr_eval.core.fileio import write_text_atomic
from medfr_eval.core.strategies import STRATEGIES, Strategy
from medfr_eval.demo import study_step
from medfr_eval.demo.checks import check_eval, check_model, check_signif, check_site
from medfr_eval.demo.steps import Step, Unit

STEP_NAMES: tuple[str, ...] = ("base", "cpt", "sft", "cpt_sft", "eval", "signif", "board", "study")


def model_name(strategy: Strategy) -> str:
    """The demo's model folder for a strategy: ``tiny-base``, ``tiny-cpt``, ``tiny-cpt-sft``."""
    return "tiny-" + strategy.key.lower().replace("+", "-")


def step_name(strategy: Strategy) -> str:
    """The step that trains a strategy's model: its stages joined (``cpt_sft``), or ``base``."""
    return "_".join(strategy.stages) or "base"


# Model folder names under OUT/models, in the study's order of strategies.
STRATEGY: dict[str, str] = {model_name(s): s.key for s in STRATEGIES}  # folder -> strategy key
BASE = next(name for name, key in STRATEGY.items() if key == "base")
ADAPTED: dict[str, str] = {step_name(s): model_name(s) for s in STRATEGIES if s.stages}
# Which (step, unit) trains each model.
TRAIN_UNITS = {BASE: ("base", "pretrain"), **{name: (step, name) for step, name in ADAPTED.items()}}

# Settings of the test run (``--fast``): a few optimizer steps per recipe (TRL's
# own ``max_steps`` overrides the recipe's epochs) and shorter open-QA answers.
# The sample sets stay whole: the leaderboard refuses runs made with lm-eval's
# ``--limit`` (it needs full test sets), and they are only 10-12 items each.
# The full demo runs the recipes as written.
FAST_TRAIN_STEPS = 4
FAST_PRETRAIN_STEPS = 8
FAST_RESAMPLES = 1000
# Open QA generation is capped for the tiny models (the sets' own cap is 256
# tokens): a 2-layer model rambles to the cap, and on two CPU cores that alone
# would take minutes per model. A lm-eval option (``--gen_kwargs``), not a change
# to the tasks.
MAX_GEN_TOKS = 64
FAST_MAX_GEN_TOKS = 16

STEP_TITLES = {
    "base": "Base model: BPE tokenizer, tiny random Mistral, short pre-training",
    "cpt": "CPT adaptation (continual pre-training on the medical corpus)",
    "sft": "SFT adaptation (DoRA on medical question answering)",
    "cpt_sft": "CPT+SFT adaptation (the two stages chained)",
    "eval": "lm-eval on the sample sets (medfr_all): the base and the three adapted models",
    "signif": "Significance: paired bootstrap, each adapted model against the base",
    "board": "Leaderboard site (static)",
    "study": study_step.TITLE,
}


@dataclass
class Layout:
    """Where everything of one demo lives, under ``--out``."""

    root: Path

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def eval(self) -> Path:
        return self.root / "eval"

    @property
    def signif(self) -> Path:
        return self.root / "signif"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def bert(self) -> Path:
        return self.models / "bertscore-tiny-bert"

    def marker(self, step: str, unit: str) -> Path:
        """The "done" marker of one unit (see :mod:`medfr_eval.demo.state`)."""
        return self.state / f"{step}__{unit}.json"

    def model_dir(self, name: str) -> Path:
        """The folder lm-eval loads.

        ``medfr train`` prints where the final model went (``model: DIR``); the
        demo records it in the training unit's marker and trusts that over its
        own expectation, because a chained recipe puts each stage in
        ``output_dir/<stage>`` and where ``output_dir`` itself lands is the
        recipe runner's business.
        """
        marker = self.marker(*TRAIN_UNITS[name])
        if marker.is_file():
            try:
                recorded = json.loads(marker.read_text(encoding="utf-8")).get("model_dir")
            except (json.JSONDecodeError, UnicodeDecodeError):
                recorded = None
            if recorded:
                return Path(recorded)
        if name == ADAPTED["cpt_sft"]:
            return self.models / name / "sft"
        return self.models / name

    def eval_dir(self, name: str) -> Path:
        return self.eval / name


def partial(path: Path) -> Path:
    """Where a unit writes its ``output`` folder until the command has succeeded."""
    return path.with_name(f".{path.name}.partial")


def _tool(name: str) -> str:
    """The console script from this interpreter's environment first, then PATH."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise DemoError(
            f"command {name!r} not found next to {sys.executable} nor on PATH; "
            "is medfr installed (pip install -e '.[train]')?"
        )
    return found


def display(argv: Sequence[str]) -> str:
    """The command as a user would type it: a console script by its bare name when
    PATH finds that same file, otherwise its full path."""
    shown = list(argv)
    if shown:
        name = Path(shown[0]).name
        found = shutil.which(name)
        if found and Path(found).resolve() == Path(shown[0]).resolve():
            shown[0] = name
    return shlex.join(shown)


def _python(executable: str | None = None) -> str:
    """This environment's ``python3``, whichever of its names started the demo.

    Why: the command is part of a unit's fingerprint; ``medfr demo`` (a script whose
    interpreter is ``python3``) and ``python -m medfr_eval.cli demo`` must not redo
    each other's finished steps. Not resolved further: a venv's interpreter is a
    symlink whose target would run outside the venv."""
    exe = Path(executable or sys.executable)
    same = exe.with_name("python3")
    return str(same) if same.is_file() and same.resolve() == exe.resolve() else str(exe)


def _python_call(code: str) -> list[str]:
    return [_python(), "-c", code]


def write_base_entry(folder: Path, base_dir: Path) -> None:
    """A board entry saying the demo's base is a starting point, not an adaptation.

    The base is itself made by a short CPT run from random weights, so its run
    card says CPT; the board would list it as a CPT model without this entry.
    """
    text = (
        f"model: {json.dumps(str(base_dir))}\n"
        f"name: {BASE}\n"
        "strategy: base\n"
        "notes: The demo's starting model (2 layers, briefly pre-trained on the sample corpus).\n"
    )
    write_text_atomic(folder / f"{BASE}.yaml", text)


@dataclass
class _Inputs:
    """What every step builder needs: the layout, the shipped files, the mode."""

    lay: Layout
    demo_recipes: Path
    data: list[Path]
    task_files: list[Path]
    fast: bool

    def recipe(self, name: str) -> Path:
        path = self.demo_recipes / f"{name}.yaml"
        if not path.is_file():
            raise DemoError(f"demo recipe missing: {path} (incomplete installation?)")
        return path


def _base_step(ins: _Inputs) -> Step:
    """A random tiny Mistral (tokenizer trained on the shipped text), then a short pre-training."""
    lay = ins.lay
    random_dir = lay.models / "tiny-random"
    build = f"from medfr_eval.demo.tiny import build_tiny_model; build_tiny_model({str(partial(random_dir))!r})"
    pretrain = [
        _tool("medfr"),
        "train",
        "recipe",
        str(ins.recipe("pretrain")),
        "--model_name_or_path",
        str(random_dir),
        "--output_dir",
        str(lay.model_dir(BASE)),
        *(["--max_steps", str(FAST_PRETRAIN_STEPS)] if ins.fast else []),
    ]
    return Step(
        "base",
        STEP_TITLES["base"],
        (),
        [
            Unit(
                "tiny-random",
                _python_call(build),
                lambda: check_model(random_dir, card=False),
                inputs=ins.data,
                output=random_dir,
            ),
            Unit(
                "pretrain",
                pretrain,
                lambda: check_model(lay.model_dir(BASE)),
                inputs=[ins.recipe("pretrain"), *ins.data],
                force_flag="--force",
                reports_model=True,
            ),
        ],
    )


def _adapt_step(ins: _Inputs, step: str, name: str) -> Step:
    """One of CPT, SFT, CPT+SFT from the base, with the demo recipe of that name."""
    lay = ins.lay
    base_dir, target = str(lay.model_dir(BASE)), str(lay.models / name)
    if step == "cpt_sft":
        where = ["--stage.cpt.model_name_or_path", base_dir, "--output_dir", target]
    else:
        where = ["--model_name_or_path", base_dir, "--output_dir", target]
    # With max_steps below the recipes' save_steps no checkpoint is written either.
    fast = ["--max_steps", str(FAST_TRAIN_STEPS)] if ins.fast else []
    argv = [_tool("medfr"), "train", "recipe", str(ins.recipe(step)), *where, *fast]
    unit = Unit(
        name,
        argv,
        lambda: check_model(lay.model_dir(name)),
        inputs=[ins.recipe(step), *ins.data],
        force_flag="--force",
        reports_model=True,
    )
    return Step(step, STEP_TITLES[step], ("base",), [unit])


def bertscore_env(lay: Layout) -> dict[str, str]:
    """BERTScore on the demo's tiny BERT (built offline by the eval step), its last layer."""
    return {"MEDFR_BERTSCORE_MODEL": str(lay.bert), "MEDFR_BERTSCORE_LAYER": "2"}


def scoring_args(fast: bool) -> list[str]:
    """The lm-eval options of the demo's runs that its next steps repeat.

    ``--gen_kwargs`` is a score setting (``medfr signif`` and the board refuse to
    compare runs that differ in it); the batch size is not, but without one
    lm-eval scores one item at a time."""
    gen = FAST_MAX_GEN_TOKS if fast else MAX_GEN_TOKS
    return ["--batch_size", "16", "--gen_kwargs", f"max_gen_toks={gen}"]


def _lm_eval_argv(lay: Layout, name: str, fast: bool) -> list[str]:
    return [
        _tool("lm_eval"),
        "--tasks",
        "medfr_all",
        "--model",
        "hf",
        "--model_args",
        f"pretrained={lay.model_dir(name)},dtype=float32",
        "--device",
        "cpu",
        *scoring_args(fast),
        "--metadata",
        '{"medfr_data": "sample"}',
        "--log_samples",
        "--output_path",
        str(partial(lay.eval_dir(name))),
    ]


def _eval_step(ins: _Inputs) -> Step:
    """A tiny BERT for BERTScore (offline), then ``lm_eval`` on the four models."""
    lay = ins.lay
    build = f"from medfr_eval.demo.tiny import build_tiny_bert; build_tiny_bert({str(partial(lay.bert))!r})"
    units = [
        Unit(
            "tiny-bert",
            _python_call(build),
            lambda: check_model(lay.bert, card=False),
            inputs=ins.data,
            output=lay.bert,
        )
    ]
    env = bertscore_env(lay)
    for name in STRATEGY:
        edir = lay.eval_dir(name)
        units.append(
            Unit(
                name,
                _lm_eval_argv(lay, name, ins.fast),
                lambda edir=edir: check_eval(edir),
                inputs=ins.task_files,
                env=env,
                output=edir,
                shows_tables=True,
            )
        )
    return Step("eval", STEP_TITLES["eval"], ("base", *ADAPTED), units)


def _signif_step(ins: _Inputs) -> Step:
    """``medfr signif``: every adapted model against the base."""
    lay = ins.lay
    runs = [str(lay.eval_dir(n)) for n in STRATEGY]
    argv = [
        _tool("medfr"),
        "signif",
        *runs,
        "--baseline",
        str(lay.model_dir(BASE)),
        "--out",
        str(lay.signif),
        *(["--resamples", str(FAST_RESAMPLES)] if ins.fast else []),
    ]
    signif_json = lay.signif / "signif.json"
    unit = Unit("against-base", argv, lambda: check_signif(signif_json))  # --out: replaced whole
    return Step("signif", STEP_TITLES["signif"], ("eval",), [unit])


def _board_step(ins: _Inputs) -> Step:
    """``medfr board build`` of the four runs into a static site."""
    lay = ins.lay
    entries = lay.root / "board_entries"
    argv = [
        _tool("medfr"),
        "board",
        "build",
        *[str(lay.eval_dir(n)) for n in STRATEGY],
        "--signif",
        str(lay.signif / "signif.json"),
        "--board",
        str(entries),
        "-o",
        str(lay.site),
    ]
    unit = Unit(
        "site",
        argv,
        lambda: check_site(lay.site),
        prepare=lambda: write_base_entry(entries, lay.model_dir(BASE)),
    )
    return Step("board", STEP_TITLES["board"], ("eval", "signif"), [unit])


def build_plan(out: Path, fast: bool = False) -> dict[str, Step]:
    """All steps of the demo, in order, with their exact commands."""
    from medfr_eval.core.resources import recipes_dir, tasks_dir

    ins = _Inputs(
        lay=Layout(Path(out).resolve()),
        demo_recipes=recipes_dir() / "demo",
        data=sorted((recipes_dir() / "data").glob("*")),
        task_files=sorted(
            p for p in tasks_dir().rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ),
        fast=fast,
    )
    steps = [
        _base_step(ins),
        *(_adapt_step(ins, step, name) for step, name in ADAPTED.items()),
        _eval_step(ins),
        _signif_step(ins),
        _board_step(ins),
        study_step.study_step(
            ins,
            _tool,
            list(STRATEGY),
            FAST_MAX_GEN_TOKS if fast else MAX_GEN_TOKS,
            FAST_RESAMPLES if fast else None,
        ),
    ]
    plan = {step.name: step for step in steps}
    assert tuple(plan) == STEP_NAMES, tuple(plan)  # the order --steps and the markers rely on
    return plan
