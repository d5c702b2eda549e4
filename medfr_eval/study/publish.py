"""``medfr study publish`` (and the end of ``medfr study run``): pair, compare, build the board.

Every model must be done (:func:`.plan.status`): a model folder evaluated under other
settings than the study's (few-shot, prompts' task version, BERTScore model, data,
``--limit``) is refused here by name, as ``medfr signif`` refuses runs scored under
different settings from each other. Then, with the shared commands themselves:
``medfr signif`` over the study's pairs (and the pairs of the paper's win / tie / loss
rows), ``medfr study compare`` when the study names the paper's tables, and
``medfr board build`` with the comparison page (when the study runs the board's 15 sets:
the board refuses a model lacking a set of a family). ``published.json`` records what these
were built from; the same inputs again rebuild nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import yaml

from medfr_eval.core.errors import StudyError
from medfr_eval.core.fileio import write_json_atomic, write_text_atomic
from medfr_eval.core.sets import SETS

from .plan import Layout, Status, status
from .spec import Study

Say = Callable[[str], None]


def require_done(study: Study, layout: Layout) -> list[Status]:
    """Every model's status; one error naming each model that is not done, and why."""
    statuses = [status(study, layout, m) for m in study.models]
    bad = [s for s in statuses if not s.done]
    if bad:
        why = "; ".join(
            f"{s.model.name}: " + ("not evaluated" if s.state == "pending" else s.problems[0])
            for s in bad
        )
        raise StudyError(
            f"{len(bad)} of {len(statuses)} models are not done under the study's settings, so "
            f"they cannot be paired ({why}); `medfr study run` evaluates them",
            file=layout.models,
        )
    return statuses


def _fingerprint(study: Study, statuses: list[Status]) -> str:
    """What the published outputs depend on: the study, its options, every results file."""
    h = hashlib.sha256()
    h.update(json.dumps([study.sha256, list(study.overrides), list(study.model_paths),
                         [vars(p) for p in study.all_pairs()], vars(study.significance)],
                        default=str).encode())  # fmt: skip
    if study.paper is not None:
        h.update(study.paper.tables.read_bytes())
    for st in statuses:
        for f in sorted(st.folder.iterdir()):
            if f.is_file():
                s = f.stat()
                h.update(f"{st.model.name}\t{f.name}\t{s.st_size}\t{s.st_mtime_ns}\n".encode())
    return h.hexdigest()


def write_pairs(study: Study, layout: Layout) -> Path:
    """The pairs given to ``medfr signif``: the study's, then the W/T/L rows' it lacks."""
    pairs = []
    for p in study.all_pairs():
        item = {"model_a": p.model_a, "model_b": p.model_b}
        item.update({k: v for k, v in (("id", p.id), ("label", p.label)) if v is not None})
        pairs.append(item)
    text = "# written by medfr study from " + str(study.path) + "\n"
    text += yaml.safe_dump({"description": f"pairs of the study {study.name}", "pairs": pairs},
                           allow_unicode=True, sort_keys=False)  # fmt: skip
    return write_text_atomic(layout.pairs, text, error=StudyError)


def write_entries(study: Study, layout: Layout, statuses: list[Status]) -> None:
    """One board entry per model: the paper's name, strategy and starting model."""
    layout.entries.mkdir(parents=True, exist_ok=True)
    for st in statuses:
        m = st.model
        entry = {"model": st.output.model_name, "name": m.name, "strategy": m.strategy}
        if m.base_model:
            base = next((b for b in study.models if b.name == m.base_model), None)
            entry["base_model"] = base.hub_id or base.name if base else m.base_model
        if m.hub_id and m.hub_id_confirmed is False:
            entry["notes"] = f"Hub id {m.hub_id} not confirmed: {m.note}"
        text = yaml.safe_dump(entry, allow_unicode=True, sort_keys=True)
        write_text_atomic(layout.entries / f"{m.slug}.yaml", text, error=StudyError)


def signif_args(study: Study, layout: Layout, statuses: list[Status]) -> list[str]:
    """``medfr signif`` over the model folders, each named as the study names it."""
    sig = study.significance
    args = [str(s.folder) for s in statuses]
    args += ["--pairs", str(layout.pairs)] if study.all_pairs() else ["--all-pairs"]
    for s in statuses:
        args += ["--name", f"{s.folder}={s.model.name}"]
    args += ["--resamples", str(sig.resamples), "--alpha", str(sig.alpha), "--correction",
             sig.correction, "--test", sig.test, "--seed", str(sig.seed), "--out", str(layout.signif)]  # fmt: skip
    return args + ([] if sig.cluster else ["--no-cluster"])


def board_args(layout: Layout, statuses: list[Status], comparison: Path | None) -> list[str]:
    args = ["build", *[str(s.folder) for s in statuses], "--signif", str(layout.signif / "signif.json"),
            "--board", str(layout.entries), "-o", str(layout.site)]  # fmt: skip
    return args + (["--paper", str(comparison)] if comparison is not None else [])


def covers_board(study: Study) -> bool:
    """Whether the study runs every set of the board, which refuses a model lacking one."""
    return {s.task for s in SETS} <= set(study.leaves)


def _up_to_date(layout: Layout, fingerprint: str, outputs: list[Path]) -> bool:
    try:
        done = json.loads(layout.published.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return done.get("fingerprint") == fingerprint and all(p.exists() for p in outputs)


def publish(study: Study, layout: Layout, say: Say, *, force: bool = False) -> bool:
    """Pair, compare and build the board (module docstring); False when already up to date."""
    from medfr_eval.cli import load_command

    from .compare import compare_run
    from .report import write_report

    statuses = require_done(study, layout)
    fingerprint = _fingerprint(study, statuses)
    comparison = layout.compare / "compare.json" if study.paper is not None else None
    board = covers_board(study)
    outputs = [layout.signif / "signif.json", *([layout.site / "index.html"] if board else []),
               *([comparison] if comparison else [])]  # fmt: skip
    if not force and _up_to_date(layout, fingerprint, outputs):
        say("signif, comparison and board: up to date, nothing to do")
        return False
    write_pairs(study, layout)
    write_entries(study, layout, statuses)
    say(f"medfr signif over {len(study.all_pairs())} pairs -> {layout.signif}")
    load_command("signif").main(args=signif_args(study, layout, statuses), prog_name="medfr signif",
                                standalone_mode=False)  # fmt: skip
    if comparison is not None:
        result = compare_run(layout.root, study=study)
        write_report(result, layout.compare)
        say(f"comparison with the paper -> {layout.compare}")
    if board:
        say(f"medfr board build -> {layout.site}")
        load_command("board").main(args=board_args(layout, statuses, comparison),
                                   prog_name="medfr board", standalone_mode=False)  # fmt: skip
    else:
        say(f"board: not built (it shows the {len(SETS)} sets of medfr_all; this study runs "
            f"{len(study.leaves)})")  # fmt: skip
    write_json_atomic(layout.published, {"fingerprint": fingerprint,
                                         "outputs": [str(p) for p in outputs]})  # fmt: skip
    return True


def publish_paths(layout: Layout) -> dict[str, Path]:
    """Where publishing writes, for the closing lines of the commands."""
    return {"signif": layout.signif / "signif.md", "comparison": layout.compare / "compare.md",
            "site": layout.site / "index.html"}  # fmt: skip
