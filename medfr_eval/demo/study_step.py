"""The demo's ``study`` step: its four tiny models through ``medfr study run``, then ``compare``.

The miniature study file ships in ``studies/demo/`` (the study's 15 sets on the shipped
samples, the demo's pairs, a made-up "paper" table labelled as such). Its settings are
the ``eval`` step's own (model args, data, answer length, BERTScore model), so before
the command runs, the ``eval`` step's output folders are copied into the study's run
folder: ``medfr study run`` reads them, finds each model done under the study's settings
and skips it (evaluating it anew if they were not), then pairs, compares and builds the
study's board with its "Paper" page; a rerun does nothing. ``medfr study compare ...
--paper`` prints the comparison with the made-up table.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from medfr_eval.core.errors import DemoError
from medfr_eval.demo.checks import check_site
from medfr_eval.demo.results import read_json
from medfr_eval.demo.steps import Step, Unit

if TYPE_CHECKING:
    from medfr_eval.demo.plan import Layout, _Inputs

TITLE = (
    "Study: the four models through medfr study run (a miniature study file; the eval "
    "step's results are reused, same settings), then compared with a made-up paper table"
)


def study_file() -> Path:
    from medfr_eval.core.resources import studies_dir

    path = studies_dir() / "demo" / "study.yaml"
    if not path.is_file():
        raise DemoError(f"demo study file missing: {path} (incomplete installation?)")
    return path


def seed_from_eval(lay: Layout, names: list[str], run_dir: Path) -> None:
    """Copy each model's ``eval`` output into the study's run folder (``models/<name>``).

    Each copy is made beside its destination and moved in whole, as ``medfr study run``
    itself moves a finished model in."""
    models = run_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    for name in names:
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=models))
        try:
            shutil.copytree(lay.eval_dir(name), tmp / name)
            dest = models / name
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp / name, dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _check_compare(path: Path) -> None:
    data = read_json(path, "study comparison")
    if data.get("medfr_study_compare") != 1 or not data.get("rows"):
        raise DemoError("not a medfr study comparison with rows", file=path)


def study_step(
    ins: _Inputs, tool, names: list[str], max_gen_toks: int, resamples: int | None
) -> Step:
    """``medfr study run`` of the miniature study, then ``medfr study compare --paper``."""
    lay = ins.lay
    run_dir = lay.root / "study"
    spec = study_file()
    argv = [tool("medfr"), "study", "run", str(spec), "-o", str(run_dir)]
    for name in names:
        argv += ["--model-path", f"{name}={lay.model_dir(name)}"]
    argv += ["--set", f"evaluation.bertscore.model={lay.bert}",
             "--set", f"evaluation.gen_kwargs.max_gen_toks={max_gen_toks}"]  # fmt: skip
    if resamples is not None:
        argv += ["--set", f"significance.resamples={resamples}"]
    inputs = sorted(p for p in spec.parent.iterdir() if p.is_file())
    run = Unit("medfr-study-run", argv, lambda: check_site(run_dir / "site"), inputs=inputs,
               prepare=lambda: seed_from_eval(lay, names, run_dir))  # fmt: skip
    compare = Unit(
        "medfr-study-compare",
        [tool("medfr"), "study", "compare", str(run_dir), "--paper"],
        lambda: _check_compare(run_dir / "compare" / "compare.json"),
        inputs=inputs,
    )
    return Step("study", TITLE, ("eval",), [run, compare])
