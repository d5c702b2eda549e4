"""``medfr demo``: the whole study in miniature, offline, on two CPU cores.

The demo drives the very commands a user types (``medfr-train recipe``,
``lm_eval``, ``medfr-signif``, ``medfr-leaderboard build``) in subprocesses,
printing each one first. That keeps this module free of torch / TRL / peft /
accelerate imports and proves, on every run, that the public commands work
end to end. What is ours is only the orchestration lm-eval, TRL and the other
tools do not provide: the order of steps, the "done" markers that let a step
be skipped or rerun alone, the streamed progress and the final score table.

Steps (``STEP_NAMES``), each reusable alone with ``--steps``:

1. ``base``: train a BPE tokenizer and build a tiny random Mistral from the
   shipped French text, then pre-train it quickly (``recipes/demo/pretrain.yaml``);
2. ``cpt``, ``sft``, ``cpt_sft``: the three adaptations with the demo recipes;
3. ``eval``: ``lm_eval --tasks medfr_all --model hf`` on the shipped sample sets,
   with sample logs, for the base and the three adapted models;
4. ``signif``: ``medfr-signif`` (every adapted model against the base);
5. ``board``: ``medfr-leaderboard build`` into a static site.

Every number printed at the end is read from lm-eval's results files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_eval.errors import MedfrError
from medfr_eval.fileio import write_json_atomic, write_text_atomic
from medfr_eval.sets import FAMILIES, SETS

STEP_NAMES: tuple[str, ...] = ("base", "cpt", "sft", "cpt_sft", "eval", "signif", "board")

# Model folder names under OUT/models; the three adapted models in the study's order.
BASE = "tiny-base"
ADAPTED = {"cpt": "tiny-cpt", "sft": "tiny-sft", "cpt_sft": "tiny-cpt-sft"}
STRATEGY = {BASE: "base", "tiny-cpt": "CPT", "tiny-sft": "SFT", "tiny-cpt-sft": "CPT+SFT"}
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

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "PYTHONUNBUFFERED": "1",
}

MARKER_VERSION = 1


class DemoError(MedfrError):
    """A demo step failed or cannot run; the message names the step and the log file."""


# --------------------------------------------------------------------------- plan


@dataclass
class Unit:
    """One command of a step, with what it must leave behind.

    ``inputs`` are files whose content decides whether a finished unit is still
    valid (recipes, data); ``check`` reads the outputs and raises ``DemoError``
    when they are missing or do not parse.
    """

    name: str
    argv: list[str]
    check: Callable[[], None]
    inputs: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    clean: list[Path] = field(default_factory=list)  # removed before a (re)run
    force_flag: str | None = None  # passed on with --force (not part of the fingerprint)
    reports_model: bool = False  # prints "model: DIR" (medfr-train), recorded in the marker
    prepare: Callable[[], None] | None = None  # writes small inputs just before the command


@dataclass
class Step:
    name: str
    title: str
    needs: tuple[str, ...]
    units: list[Unit]


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

    def model_dir(self, name: str) -> Path:
        """The folder lm-eval loads.

        ``medfr-train`` prints where the final model went (``model: DIR``); the
        demo records it in the training unit's marker and trusts that over its
        own expectation, because a chained recipe puts each stage in
        ``output_dir/<stage>`` and where ``output_dir`` itself lands is the
        recipe runner's business.
        """
        step, unit = TRAIN_UNITS[name]
        marker = self.state / f"{step}__{unit}.json"
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


def _python_call(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def build_plan(out: Path, fast: bool = False) -> dict[str, Step]:
    """All steps of the demo, in order, with their exact commands."""
    from medfr_eval.resources import recipes_dir, tasks_dir

    lay = Layout(out.resolve())
    demo = recipes_dir() / "demo"
    data = sorted((recipes_dir() / "data").glob("*"))
    task_files = sorted(
        p for p in tasks_dir().rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    train = [_tool("medfr-train"), "recipe"]
    # With max_steps below the recipes' save_steps no checkpoint is written either.
    fast_train = ["--max_steps", str(FAST_TRAIN_STEPS)] if fast else []

    def recipe(name: str) -> Path:
        path = demo / f"{name}.yaml"
        if not path.is_file():
            raise DemoError(f"demo recipe missing: {path} (incomplete installation?)")
        return path

    steps: dict[str, Step] = {}
    random_dir = lay.models / "tiny-random"
    base_dir = lay.model_dir(BASE)
    steps["base"] = Step(
        "base",
        "Modèle de base : tokenizer BPE, petit Mistral aléatoire, pré-entraînement rapide",
        (),
        [
            Unit(
                "tiny-random",
                _python_call(
                    "from medfr_eval.tiny import build_tiny_model; "
                    f"build_tiny_model({str(random_dir)!r})"
                ),
                lambda: check_model(random_dir, card=False),
                inputs=data,
                clean=[random_dir],
            ),
            Unit(
                "pretrain",
                [
                    *train,
                    str(recipe("pretrain")),
                    "--model_name_or_path",
                    str(random_dir),
                    "--output_dir",
                    str(base_dir),
                    *(["--max_steps", str(FAST_PRETRAIN_STEPS)] if fast else []),
                ],
                lambda: check_model(lay.model_dir(BASE)),
                inputs=[recipe("pretrain"), *data],
                force_flag="--force",
                reports_model=True,
            ),
        ],
    )
    titles = {
        "cpt": "Adaptation CPT (pré-entraînement continu sur le corpus médical)",
        "sft": "Adaptation SFT (DoRA sur les questions-réponses médicales)",
        "cpt_sft": "Adaptation CPT+SFT (les deux étapes enchaînées)",
    }
    for step, name in ADAPTED.items():
        target = lay.models / name
        if step == "cpt_sft":
            where = ["--stage.cpt.model_name_or_path", str(base_dir), "--output_dir", str(target)]
        else:
            where = ["--model_name_or_path", str(base_dir), "--output_dir", str(target)]
        steps[step] = Step(
            step,
            titles[step],
            ("base",),
            [
                Unit(
                    name,
                    [*train, str(recipe(step)), *where, *fast_train],
                    lambda name=name: check_model(lay.model_dir(name)),
                    inputs=[recipe(step), *data],
                    force_flag="--force",
                    reports_model=True,
                )
            ],
        )

    gen = FAST_MAX_GEN_TOKS if fast else MAX_GEN_TOKS
    eval_env = {"MEDFR_BERTSCORE_MODEL": str(lay.bert), "MEDFR_BERTSCORE_LAYER": "2"}
    eval_units = [
        Unit(
            "tiny-bert",
            _python_call(
                f"from medfr_eval.tiny import build_tiny_bert; build_tiny_bert({str(lay.bert)!r})"
            ),
            lambda: check_model(lay.bert, card=False),
            inputs=data,
            clean=[lay.bert],
        )
    ]
    for name in (BASE, *ADAPTED.values()):
        edir = lay.eval_dir(name)
        eval_units.append(
            Unit(
                name,
                [
                    _tool("lm_eval"),
                    "--tasks",
                    "medfr_all",
                    "--model",
                    "hf",
                    "--model_args",
                    f"pretrained={lay.model_dir(name)},dtype=float32",
                    "--device",
                    "cpu",
                    "--batch_size",
                    "16",
                    "--metadata",
                    '{"medfr_data": "sample"}',
                    "--gen_kwargs",
                    f"max_gen_toks={gen}",
                    "--log_samples",
                    "--output_path",
                    str(edir),
                ],
                lambda edir=edir: check_eval(edir),
                inputs=task_files,
                env=eval_env,
                clean=[edir],
            )
        )
    steps["eval"] = Step(
        "eval",
        "Évaluation lm-eval (medfr_all, jeux d'exemple) de la base et des trois modèles adaptés",
        ("base", *ADAPTED),
        eval_units,
    )

    runs = [str(lay.eval_dir(n)) for n in (BASE, *ADAPTED.values())]
    signif_json = lay.signif / "signif.json"
    steps["signif"] = Step(
        "signif",
        "Significativité : bootstrap apparié, chaque modèle adapté contre la base",
        ("eval",),
        [
            Unit(
                "medfr-signif",
                [
                    _tool("medfr-signif"),
                    *runs,
                    "--baseline",
                    str(lay.model_dir(BASE)),
                    "--out",
                    str(lay.signif),
                    *(["--resamples", str(FAST_RESAMPLES)] if fast else []),
                ],
                lambda: check_signif(signif_json),
                clean=[lay.signif],
            )
        ],
    )
    entries = lay.root / "board_entries"
    steps["board"] = Step(
        "board",
        "Site du classement (statique)",
        ("eval", "signif"),
        [
            Unit(
                "medfr-leaderboard",
                [
                    _tool("medfr-leaderboard"),
                    "build",
                    *runs,
                    "--signif",
                    str(signif_json),
                    "--board",
                    str(entries),
                    "-o",
                    str(lay.site),
                ],
                lambda: check_site(lay.site),
                prepare=lambda: write_base_entry(entries, lay.model_dir(BASE)),
            )
        ],
    )
    return steps


# --------------------------------------------------------------------------- checks


def _read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise DemoError(f"{what} missing: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DemoError(f"{what} does not parse: {path}: {e}") from None


def check_model(folder: Path, card: bool = True) -> None:
    """A model folder transformers can load: config, weights, tokenizer; and its run card."""
    _read_json(folder / "config.json", "model config")
    if not any(folder.glob("*.safetensors")) and not any(folder.glob("*.bin")):
        raise DemoError(f"no model weights (*.safetensors) in {folder}")
    _read_json(folder / "tokenizer_config.json", "tokenizer")
    if card:
        data = _read_json(folder / "run_card.json", "run card")
        for key in ("model_name", "strategy", "versions"):
            if key not in data:
                raise DemoError(f"run card without {key!r}: {folder / 'run_card.json'}")


def results_file(eval_dir: Path) -> Path:
    """The newest lm-eval ``results_*.json`` under one model's ``--output_path``."""
    found = sorted(eval_dir.rglob("results_*.json"), key=lambda p: p.name)
    if not found:
        raise DemoError(f"no lm-eval results_*.json under {eval_dir}")
    return found[-1]


def check_eval(eval_dir: Path) -> None:
    """Results for all 15 sets, each with its headline metric and a sample log."""
    path = results_file(eval_dir)
    data = _read_json(path, "lm-eval results")
    results = data.get("results") or {}
    for s in SETS:
        value = (results.get(s.task) or {}).get(s.result_key)
        if not isinstance(value, (int, float)):
            raise DemoError(f"{path}: no {s.result_key!r} for {s.task}")
        logs = list(path.parent.glob(f"samples_{s.task}_*.jsonl"))
        if not logs:
            raise DemoError(f"no sample log for {s.task} in {path.parent}")
        for line_no, line in enumerate(logs[0].read_text(encoding="utf-8").splitlines(), 1):
            try:
                json.loads(line)
            except json.JSONDecodeError as e:
                raise DemoError(f"{logs[0]}:{line_no}: sample log does not parse: {e}") from None


def check_signif(path: Path) -> None:
    data = _read_json(path, "signif.json")
    if data.get("medfr_signif_version") != 1 or not data.get("comparisons"):
        raise DemoError(f"{path}: not a medfr-signif result with comparisons")


def check_site(site: Path) -> None:
    index = site / "index.html"
    if not index.is_file() or "<html" not in index.read_text(encoding="utf-8").lower():
        raise DemoError(f"leaderboard site not built: {index}")


# --------------------------------------------------------------------------- markers


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _marker_path(lay: Layout, step: str, unit: str) -> Path:
    return lay.state / f"{step}__{unit}.json"


def _upstream_digest(lay: Layout, plan: dict[str, Step], step: Step) -> str:
    """Digest of the markers of every step this one needs (directly or not).

    A marker records when its unit finished, so a step redone upstream (``--force``)
    makes every step below it stale without comparing model weights.
    """
    seen: list[str] = []
    todo = list(step.needs)
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.append(name)
        todo.extend(plan[name].needs)
    h = hashlib.sha256()
    for name in sorted(seen):
        for unit in plan[name].units:
            m = _marker_path(lay, name, unit.name)
            h.update(m.read_bytes() if m.is_file() else b"missing")
    return h.hexdigest()


def fingerprint(lay: Layout, plan: dict[str, Step], step: Step, unit: Unit) -> str:
    """What a finished unit was made from: its command, env, input files, upstream steps."""
    from medfr_eval import __version__

    payload = {
        "version": MARKER_VERSION,
        "medfr": __version__,
        "argv": unit.argv,
        "env": unit.env,
        "inputs": {str(p): _sha256_file(p) for p in unit.inputs if p.is_file()},
        "upstream": _upstream_digest(lay, plan, step),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _write_json(path: Path, data: Any) -> None:
    write_json_atomic(path, data)


def unit_done(lay: Layout, plan: dict[str, Step], step: Step, unit: Unit) -> bool:
    """Finished with the same fingerprint, and its outputs still there and parsing."""
    marker = _marker_path(lay, step.name, unit.name)
    if not marker.is_file():
        return False
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    if data.get("fingerprint") != fingerprint(lay, plan, step, unit):
        return False
    try:
        unit.check()
    except DemoError:
        return False
    return True


def step_done(lay: Layout, plan: dict[str, Step], name: str) -> bool:
    step = plan[name]
    return all(unit_done(lay, plan, step, u) for u in step.units)


# --------------------------------------------------------------------------- running


def _last_line(log: Path) -> str:
    """The last visible line of a log that progress bars rewrite with carriage returns."""
    try:
        with log.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 4096))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    for part in reversed(tail.replace("\r", "\n").split("\n")):
        if part.strip():
            return part.strip()
    return ""


def _tail(log: Path, n: int = 15) -> list[str]:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = [ln.split("\r")[-1] for ln in text.splitlines()]
    return [ln for ln in lines if ln.strip()][-n:]


def write_base_entry(folder: Path, base_dir: Path) -> None:
    """A board entry saying the demo's base is a starting point, not an adaptation.

    The base is itself made by a short CPT run from random weights, so its run
    card says CPT; the board would list it as a CPT model without this entry.
    """
    text = (
        f"model: {json.dumps(str(base_dir))}\n"
        f"name: {BASE}\n"
        "strategy: base\n"
        "notes: Modèle de départ de la démo (2 couches, bref pré-entraînement sur le corpus d'exemple).\n"
    )
    write_text_atomic(folder / f"{BASE}.yaml", text)


def run_unit(console, step: Step, unit: Unit, lay: Layout, force: bool) -> tuple[float, Path]:
    """Run one command, its output going to ``logs/<step>__<unit>.log`` and tailed live."""
    from rich.markup import escape

    argv = list(unit.argv)
    if force and unit.force_flag:
        argv.append(unit.force_flag)
    env = {**os.environ, **OFFLINE_ENV, **unit.env}
    env_shown = " ".join(f"{k}={shlex.quote(v)}" for k, v in unit.env.items())
    console.print(
        f"[bold cyan]$[/] {escape((env_shown + ' ') if env_shown else '')}{escape(display(argv))}"
    )
    for path in unit.clean:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    if unit.prepare is not None:
        unit.prepare()
    lay.logs.mkdir(parents=True, exist_ok=True)
    log = lay.logs / f"{step.name}__{unit.name}.log"
    t0 = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=lay.root)
        try:
            with console.status(f"{step.name} / {unit.name}") as status:
                while proc.poll() is None:
                    width = max(20, console.width - 30)
                    line = _last_line(log)[:width]
                    elapsed = time.monotonic() - t0
                    status.update(
                        f"{step.name} / {unit.name} [dim]{elapsed:5.0f} s[/] {escape(line)}"
                    )
                    time.sleep(0.25)
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
    wall = time.monotonic() - t0
    if not console.is_terminal and proc.returncode == 0:
        for line in _tail(log, 3):
            console.print(f"  [dim]{escape(line[: console.width - 4])}[/]")
    if proc.returncode != 0:
        for line in _tail(log):
            console.print(f"  [red]{escape(line)}[/]")
        raise DemoError(
            f"step {step.name} ({unit.name}) failed with exit code {proc.returncode}; "
            f"full log: {log}"
        )
    return wall, log


def reported_model(log: Path, cwd: Path) -> str | None:
    """The ``model: DIR`` line that ``medfr-train recipe`` prints last (relative to its cwd)."""
    found = None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("\r")[-1]
        if line.startswith("model: "):
            found = line[len("model: ") :].strip()
    return str((cwd / found).resolve()) if found else None


def select_steps(steps: str | Sequence[str] | None) -> list[str]:
    """Parse ``--steps a,b``; keep the demo's order whatever the user's."""
    if steps is None:
        return list(STEP_NAMES)
    names = steps.split(",") if isinstance(steps, str) else list(steps)
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in STEP_NAMES]
    if unknown or not names:
        raise DemoError(
            f"--steps: unknown step {unknown[0] if unknown else '(none given)'!r}; "
            f"steps: {', '.join(STEP_NAMES)}"
        )
    return [n for n in STEP_NAMES if n in names]


def run_demo(
    out: str | Path = "medfr-demo",
    steps: str | Sequence[str] | None = None,
    fast: bool = False,
    force: bool = False,
    console=None,
) -> dict[str, Any]:
    """Run (or reuse) the selected steps, then print the score table and the site path.

    Returns the score summary (also written to ``OUT/scores.json``).
    """
    from rich.console import Console
    from rich.rule import Rule

    console = console or Console()
    lay = Layout(Path(out).resolve())
    wanted = select_steps(steps)
    lay.root.mkdir(parents=True, exist_ok=True)
    plan = build_plan(lay.root, fast=fast)
    mode = "rapide (test)" if fast else "complète"
    console.print(
        Rule(f"medfr demo — l'étude en miniature, hors ligne — version {mode}"),
    )
    console.print(f"Dossier : [bold]{lay.root}[/]  (journaux : {lay.logs})", soft_wrap=True)
    t_start = time.monotonic()
    for i, name in enumerate(wanted, 1):
        # Rebuilt per step: commands below a training step name the model folder
        # that step recorded.
        plan = build_plan(lay.root, fast=fast)
        step = plan[name]
        console.print(Rule(f"[{i}/{len(wanted)}] {name} — {step.title}", align="left"))
        for need in step.needs:
            if need not in wanted and not step_done(lay, plan, need):
                raise DemoError(
                    f"step {name} needs step {need}, which is not done (or is out of date) "
                    f"in {lay.root}; run: medfr demo --out {shlex.quote(str(out))} --steps {need},{name}"
                )
        for unit in step.units:
            if not force and unit_done(lay, plan, step, unit):
                console.print(
                    f"[green]✓[/] {unit.name} : déjà fait, réutilisé (--force pour refaire)"
                )
                continue
            marker = _marker_path(lay, step.name, unit.name)
            marker.unlink(missing_ok=True)
            wall, log = run_unit(console, step, unit, lay, force)
            record = {
                "step": step.name,
                "unit": unit.name,
                "argv": unit.argv,
                "fingerprint": fingerprint(lay, plan, step, unit),
                "wall_time_s": round(wall, 2),
                "finished_at": time.time(),
                "fast": fast,
                "log": str(log),
            }
            if unit.reports_model:
                record["model_dir"] = reported_model(log, lay.root)
            _write_json(marker, record)
            try:
                unit.check()
            except DemoError as e:
                marker.unlink(missing_ok=True)
                raise DemoError(f"step {step.name} ({unit.name}): {e}; log: {log}") from None
            console.print(f"[green]✓[/] {unit.name} : terminé en {wall:.0f} s")
    summary = summarize(lay)
    if summary["models"]:
        _write_json(lay.root / "scores.json", summary)
        print_scores(console, summary)
    if (lay.site / "index.html").is_file():
        # soft_wrap: a path cut by the console width could not be copied.
        console.print(f"Site du classement : [bold]{lay.site / 'index.html'}[/]", soft_wrap=True)
    console.print(f"Durée : {time.monotonic() - t_start:.0f} s")
    return summary


# --------------------------------------------------------------------------- scores


def family_scores(results_path: Path) -> dict[str, Any]:
    """Per-set headline metric and unweighted family means, from one results file.

    lm-eval's own group rows use the same unweighted mean (``weight_by_size:
    false``); we recompute them from the per-set rows so the table does not
    depend on how a group's metric key is spelled.
    """
    data = _read_json(results_path, "lm-eval results")
    results = data.get("results") or {}
    per_set: dict[str, float] = {}
    for s in SETS:
        value = (results.get(s.task) or {}).get(s.result_key)
        if isinstance(value, (int, float)):
            per_set[s.name] = float(value)
    fams: dict[str, float] = {}
    for fam in FAMILIES:
        vals = [per_set[s.name] for s in SETS if s.family == fam and s.name in per_set]
        if vals:
            fams[fam] = sum(vals) / len(vals)
    return {"sets": per_set, "families": fams}


def summarize(lay: Layout) -> dict[str, Any]:
    """Scores of every evaluated demo model, and its win rate against the base if known."""
    models: list[dict[str, Any]] = []
    wins: dict[str, dict] = {}
    signif_path = lay.signif / "signif.json"
    if signif_path.is_file():
        try:
            data = json.loads(signif_path.read_text(encoding="utf-8"))
            for w in data.get("win_rates", []):
                if w.get("family") == "all":
                    wins[Path(str(w.get("model_a", ""))).name] = w
        except json.JSONDecodeError:
            pass
    for name in (BASE, *ADAPTED.values()):
        edir = lay.eval_dir(name)
        if not edir.is_dir():
            continue
        try:
            path = results_file(edir)
        except DemoError:
            continue
        row = {"model": name, "strategy": STRATEGY[name], "results": str(path)}
        row.update(family_scores(path))
        short = lay.model_dir(name).name
        if short in wins and name != BASE:
            w = wins[short]
            row["vs_base"] = {k: w.get(k) for k in ("win", "tie", "loss", "n_sets")}
        models.append(row)
    return {"out": str(lay.root), "models": models}


def print_scores(console, summary: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="Scores de la démo (moyennes par famille, calculées des résultats lm-eval)")
    table.add_column("modèle", no_wrap=True)
    table.add_column("stratégie")
    table.add_column(f"{FAMILIES['mcq_translated']} %", justify="right")
    table.add_column(f"{FAMILIES['mcq_native']} %", justify="right")
    table.add_column(f"{FAMILIES['openqa']} F1*", justify="right", min_width=10)
    table.add_column("vs base V/E/D %", justify="center")
    for row in summary["models"]:
        f = row["families"]
        vs = row.get("vs_base")
        table.add_row(
            row["model"],
            row["strategy"],
            f"{100 * f['mcq_translated']:.1f}" if "mcq_translated" in f else "–",
            f"{100 * f['mcq_native']:.1f}" if "mcq_native" in f else "–",
            f"{f['openqa']:.3f}" if "openqa" in f else "–",
            "/".join(f"{100 * vs[k]:.0f}" for k in ("win", "tie", "loss")) if vs else "–",
        )
    console.print(table)
    console.print(
        "QCM : exactitude (%, FrMedMCQA : réponse exacte) ; V/E/D : % des 15 jeux gagnés, "
        "à égalité, perdus contre la base (medfr-signif, bootstrap apparié, Bonferroni).",
        style="dim",
    )
    console.print(
        "* Questions ouvertes : BERTScore F1 calculé hors ligne avec un minuscule BERT aléatoire "
        "(medfr_eval.tiny.build_tiny_bert) : ces scores ne veulent rien dire médicalement, ils "
        "exercent seulement le vrai chemin de calcul. Les modèles de la démo ont 2 couches et "
        "quelques minutes d'entraînement sur des échantillons : leurs scores ne comparent pas les "
        "stratégies de l'étude, ils montrent la chaîne complète.",
        style="dim",
    )
