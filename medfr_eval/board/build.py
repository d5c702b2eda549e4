"""Build the site and register submissions: the steps behind ``medfr-leaderboard``.

The site is written into a fresh temporary folder beside the output and swapped in
at the end (:mod:`.sitedir`), so a failed, killed or concurrent build leaves the
previous site untouched. Nothing in it
depends on the clock or on the machine: same inputs, same bytes.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

from medfr_eval.cli import command_path
from medfr_eval.core.errors import DataError, MedfrError
from medfr_eval.core.fileio import term_as_interrupt, write_text_atomic
from medfr_eval.core.resources import leaderboard_dir

from .calibration import calibration_points, render_reliability
from .checks import SubmissionRefused, check, make_reference, read_reference, write_json_atomic
from .collect import Run, read_entries, read_json, read_signif
from .collect import read_runs as _read_runs
from .inputs import check_results_files
from .origin import builder_note, run_origin, site_origin
from .paper_page import read_paper_comparison, render_paper_page
from .plots import label, render_plots
from .publish import cut_paths, inside, model_args_fields, refuse_secrets, strip_bidi
from .render import environment, render_site
from .sitedir import check_replaceable, site_folder
from .table import Model, build_rows, slugify


def default_board() -> Path:
    return leaderboard_dir() / "entries"


def default_reference(board: Path) -> Path:
    """The reference sits beside the entries folder: ``leaderboard/reference.json``."""
    return Path(board).parent / "reference.json"


def _say(msg: str) -> None:
    print(msg, file=sys.stderr)


def load_reference(path: Path | None, board: Path, runs: list[Run]) -> dict:
    """The given reference, else the board's, else one pinned from the first run given."""
    if path is not None:
        return read_reference(path)
    board_ref = default_reference(board)
    if board_ref.is_file():
        return read_reference(board_ref)
    if not runs:
        raise DataError("no run to build from", file=board)
    _say(
        f"no board reference at {board_ref}: using the first run ({runs[0].model_name}) "
        "as the reference for task versions and prompt hashes"
    )
    return make_reference(runs[0])


def read_runs(roots: list[Path]) -> list[Run]:
    """The runs under ``roots``, their results files' shapes checked first."""
    check_results_files(roots)
    return _read_runs(roots)


def confine_run_cards(runs: list[Run], root: Path) -> None:
    """Forget run cards found outside ``root``: a submission names its model folder in
    ``model_args`` (``pretrained=../../..``), and following it would publish whatever
    ``run_card.json`` sits there on the maintainer's disk."""
    for run in runs:
        if run.run_card_path is not None and not inside(run.run_card_path, root):
            _say(
                f"{run.folder}: ignoring run card {run.run_card_path.name} outside the "
                "submitted folder (a submission's run card must sit beside its results)"
            )
            run.run_card, run.run_card_path = None, None


def confine_files(runs: list[Run], root: Path) -> None:
    """Refuse a results file or sample log that is a link out of ``root``: a submission
    in the entries folder is published from its own files, never from the builder's disk."""
    for run in runs:
        for tr in run.tasks.values():
            for f in (tr.results_file, tr.samples_file):
                if f is not None and (f.is_symlink() and not inside(f, root)):
                    raise DataError("links outside the board's entries folder", file=f)


def refuse_run_secrets(run: Run, *, whole_results: bool = False) -> None:
    """Refuse a run whose run card or ``model_args`` holds a credential (one line naming
    file and field): the model page shows the card's recipe, and ``add`` copies both
    files into the board's folder, which is published. ``whole_results`` scans every
    field of the results files too, for ``add``, which copies them verbatim."""
    if run.run_card is not None and run.run_card_path is not None:
        refuse_secrets(run.run_card, file=run.run_card_path)
    results = sorted({tr.results_file for tr in run.tasks.values() if tr.results_file})
    if results:
        refuse_secrets(model_args_fields(run.model_args), file=results[0],
                       prefix="config.model_args.")  # fmt: skip
    for path in results if whole_results else []:
        refuse_secrets(read_json(path, "lm-eval results"), file=path)


def read_signif_checked(path: Path) -> dict:
    """``signif.json`` with its ``warnings`` / ``lenient`` flags in the shape the pages
    read (NaN and Infinity are refused by the reader: :func:`.collect.read_json`)."""
    data = read_signif(path)
    if not isinstance(data.get("lenient", False), bool):
        raise DataError("expected true or false", file=path, field="lenient")
    warnings = data.get("warnings", [])
    if not isinstance(warnings, list):
        raise DataError("expected a list", file=path, field="warnings")
    for i, w in enumerate(warnings):
        for key in ("kind", "message"):
            if not isinstance(w, dict) or not isinstance(w.get(key), str):
                raise DataError("expected a string", file=path, field=f"warnings[{i}].{key}")
    return data


def signif_flags(data: dict | None) -> dict | None:
    """What the pages say about the signif file's own doubts: ``medfr-signif`` writes
    a warning where its numbers are shaky (thin tails, few clusters, items dropped by
    ``--lenient``); a reader of its intervals and decisions must see them. Messages
    may name the signif run's log files: paths are cut to their last part."""
    if data is None or not (data.get("lenient") or data.get("warnings")):
        return None
    return {
        "lenient": bool(data.get("lenient")),
        "warnings": [
            {"kind": strip_bidi(w["kind"]), "message": cut_paths(w["message"])}
            for w in data.get("warnings", [])
        ],
    }


def build_site(
    roots: list[Path],
    out: Path,
    *,
    signif: Path | None = None,
    board: Path | None = None,
    reference: Path | None = None,
    allow_setting_mismatch: bool = False,
    paper: Path | None = None,
) -> list[dict]:
    """Check every run, compute the rows, write the whole site; returns the rows.

    ``paper``: a ``medfr study compare`` JSON, shown on its own page (:mod:`.paper_page`).

    ``allow_setting_mismatch`` admits runs scored under other settings than the
    reference's (generation kwargs, few-shot, scorer): :func:`.checks.check`."""
    board = Path(board) if board is not None else default_board()
    if not roots:
        if not board.is_dir():
            raise DataError("no RUNS given and no board entries folder", file=board)
        roots = [board]
    # Small inputs first: a typo in them should not wait for every sample log to be read.
    check_replaceable(Path(out).resolve())
    signif_data = read_signif_checked(Path(signif)) if signif is not None else None
    paper_data = read_paper_comparison(paper) if paper is not None else None
    entries = read_entries(board)
    runs = read_runs([Path(r) for r in roots])
    # Runs inside the entries folder are submissions: their run cards stay inside it.
    confine_run_cards([r for r in runs if inside(r.folder, board)], board)
    confine_files([r for r in runs if inside(r.folder, board)], board)
    for run in runs:
        refuse_run_secrets(run)
    ref = load_reference(reference, board, runs)
    refusals = []
    for run in runs:
        try:
            check(run, ref, allow_setting_mismatch=allow_setting_mismatch)
        except SubmissionRefused as exc:
            refusals.append(str(exc))
    if refusals:
        raise MedfrError("\n".join(refusals))
    models = [Model(run, entries.get(run.model_name)) for run in runs]
    rows = build_rows(models, signif_data)
    origin = site_origin([run_origin(run) for run in runs])
    if (note := builder_note(origin)) is not None:
        _say(note)
    slugs: dict[str, str] = {}
    for r in rows:
        if r["slug"] in slugs:
            raise DataError(f"two models named {r['name']!r}", field="name")
        slugs[r["slug"]] = r["name"]
    with site_folder(Path(out)) as tmp:
        plots = render_plots(rows, tmp / "plots")
        named = {slugify(m.name): (label(m.name), calibration_points(m.run)) for m in models}
        for slug, file in render_reliability(named, tmp / "plots").items():
            next(r for r in rows if r["slug"] == slug)["reliability_plot"] = file
        versions = sorted({r.lm_eval_version for r in runs if r.lm_eval_version})
        info = {"lm_eval_versions": versions, "origin": origin,
                "signif": signif_flags(signif_data), "paper": paper_data is not None}  # fmt: skip
        render_site(rows, ref, plots, tmp, info)
        if paper_data is not None:
            render_paper_page(environment(), paper_data, tmp, {"plots": plots, "info": info})
    return rows


def pin_reference(results_dir: Path, out: Path) -> dict:
    """Write the board reference from one trusted run."""
    runs = read_runs([Path(results_dir)])
    if len(runs) != 1:
        raise DataError(f"expected one model, found {len(runs)}", file=results_dir)
    ref = make_reference(runs[0])
    write_json_atomic(out, ref)
    return ref


def add_submission(
    results_dir: Path,
    board: Path | None = None,
    reference: Path | None = None,
    *,
    allow_setting_mismatch: bool = False,
) -> Path:
    """Check one run and copy its results, sample logs and run card into the board."""
    board = Path(board) if board is not None else default_board()
    runs = read_runs([Path(results_dir)])
    if len(runs) != 1:
        names = ", ".join(r.model_name for r in runs)
        raise DataError(
            f"expected results for one model, found {len(runs)}: {names}", file=results_dir
        )
    run = runs[0]
    confine_run_cards(runs, run.folder)
    refuse_run_secrets(run, whole_results=True)
    ref_path = Path(reference) if reference is not None else default_reference(board)
    if not ref_path.is_file():
        raise DataError(
            "the board has no reference yet; pin it from a trusted run with "
            f"`{command_path('board', 'reference')} RESULTS_DIR -o {ref_path}`",
            file=ref_path,
        )
    check(run, read_reference(ref_path), allow_setting_mismatch=allow_setting_mismatch)
    slug = slugify(run.model_name)
    dest = board / slug
    board.mkdir(parents=True, exist_ok=True)
    with term_as_interrupt():  # a scheduler's kill removes the temp folder as Ctrl-C does
        tmp = Path(tempfile.mkdtemp(prefix=f".{slug}.tmp-", dir=board))
        try:
            files = set()
            for tr in run.tasks.values():
                files |= {f for f in (tr.results_file, tr.samples_file) if f is not None}
            for f in sorted(files):
                if f.is_symlink() or not inside(f, run.folder):
                    raise DataError("a submitted file must not be a link out of the folder", file=f)
                shutil.copy2(f, tmp / f.name)
            if run.run_card_path is not None:
                shutil.copy2(run.run_card_path, tmp / "run_card.json")
            os.chmod(tmp, 0o755)
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp, dest)
        except OSError as exc:
            raise DataError(
                f"cannot copy the submission: {exc.strerror or exc}", file=dest
            ) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    entry = board / f"{slug}.yaml"
    if not entry.exists():
        card = run.run_card or {}
        skeleton = {"model": run.model_name}
        for key in ("base_model", "strategy"):
            if isinstance(card.get(key), str):
                skeleton[key] = card[key]
        write_text_atomic(
            entry,
            "# This model's entry on the board; keys: model, name, base_model, strategy "
            "(base, CPT, SFT, CPT+SFT; unknown if absent), links, notes\n"
            + yaml.safe_dump(skeleton, allow_unicode=True, sort_keys=True),
        )
    return dest
