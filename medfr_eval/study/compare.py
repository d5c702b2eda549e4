"""``medfr study compare RUN/ --paper``: this run's scores beside the paper's own tables.

For every model x set the paper reports (and each table's mean column): the published
figure, ours, our 95 % percentile bootstrap interval and a flag: ``reproduced`` when the
published figure lies in our interval, ``above`` / ``below`` when our whole interval is
above / below it. A figure printed with two decimals stands for anything that rounds to
it, so the test uses that rounding interval (:class:`.paper.PaperFigure`), not the
printed digits alone. The difference is in points (percentage points for accuracy,
hundredths for BERTScore F1). Shares of figures reproduced per model and family, the
paper's win / tie / loss rows beside ``medfr signif``'s, and which data each set was read
from (``metadata.medfr_loaded`` in the results) complete the report.

The intervals are ``medfr signif``'s: the same bootstrap (:mod:`medfr_eval.signif.bootstrap`),
the same generators keyed by (seed, model, set) and the same shared resample index per
set, so a model's interval here equals the one in ``signif.json`` (``scores``). A family
mean's interval resamples every set of the family at once (the mean of the sets'
resampled scores: the sets are independent samples).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from medfr_eval.core.errors import StudyError
from medfr_eval.core.sets import BY_NAME, BY_TASK, FAMILIES
from medfr_eval.signif import bootstrap as bs

from .load import load_study
from .paper import MEANS, PaperFigure, load_paper_table
from .plan import Layout, Status, status
from .spec import Study

LEVEL = 0.95
SHARE_FAMILIES: tuple[str, ...] = ("all", *FAMILIES)


@dataclass
class Row:
    """One published figure beside ours."""

    model: str
    strategy: str
    group: str | None
    family: str
    set: str
    table: str
    metric: str
    paper_text: str
    paper: float
    paper_low: float
    paper_high: float
    ours: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    diff_points: float | None = None
    flag: str = "missing"  # reproduced, above, below, missing (no result of ours)
    why_missing: str | None = None

    @property
    def is_mean(self) -> bool:
        return self.set in MEANS


@dataclass
class Comparison:
    """Everything the report shows (:meth:`to_json` is ``compare.json``)."""

    study: dict
    paper: dict
    method: dict
    rows: list[Row]
    shares: list[dict]
    win_tie_loss: list[dict]
    sources: list[dict]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "medfr_study_compare": 1,
            "study": self.study,
            "paper": self.paper,
            "method": self.method,
            "rows": [asdict(r) for r in self.rows],
            "shares": self.shares,
            "win_tie_loss": self.win_tie_loss,
            "sources": self.sources,
            "notes": self.notes,
        }


def flag(low: float, high: float, paper_low: float, paper_high: float) -> str:
    """``reproduced`` when the published figure (its rounding interval) meets ours."""
    if low > paper_high:
        return "above"
    if high < paper_low:
        return "below"
    return "reproduced"


class _Draws:
    """Per model and set, the bootstrap distribution of the score, as ``medfr signif`` draws it."""

    def __init__(self, resamples: int, seed: int) -> None:
        self.resamples, self.seed = resamples, seed
        self.indexes: dict[tuple, bs.ResampleIndex | None] = {}

    def _index(self, task: str, ids: np.ndarray, clusters, values: np.ndarray):
        # signif's rule (signif/compare.py, _Indexes): a shared index only for values the
        # multinomial shortcut does not take, drawn once per (set, items).
        distinct = np.unique(values).size if clusters is None else bs.MULTINOMIAL_MAX_ATOMS + 1
        if distinct <= bs.MULTINOMIAL_MAX_ATOMS:
            return None
        key = (task, ids.tobytes(), clusters is not None)
        if key not in self.indexes:
            fits = bs.ResampleIndex.fits(ids.size, self.resamples)
            rng = bs.make_rng(self.seed, "index", task)
            self.indexes[key] = (bs.ResampleIndex(ids.size, resamples=self.resamples, rng=rng,
                                                  clusters=clusters) if fits else None)  # fmt: skip
        return self.indexes[key]

    def score(self, name: str, task: str, scores: tuple) -> bs.BootstrapDistribution:
        ids, values, labels = scores
        perm = np.argsort(ids, kind="stable")
        values = values[perm]
        clusters = [labels[i] for i in perm] if labels is not None else None
        return bs.bootstrap_distribution(
            values, resamples=self.resamples, seed=bs.make_rng(self.seed, "score", name, task),
            clusters=clusters, index=self._index(task, ids[perm], clusters, values),
        )  # fmt: skip


def _fill(row: Row, estimate: float, samples: np.ndarray, n: int) -> None:
    low, high = (float(x) for x in np.quantile(samples, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]))
    row.ours, row.ci_low, row.ci_high, row.n = float(estimate), low, high, n
    row.diff_points = (row.ours - row.paper) * 100.0
    row.flag = flag(low, high, row.paper_low, row.paper_high)


def _row(fig: PaperFigure, study: Study) -> Row:
    model = study.model(fig.model)
    return Row(model=fig.model, strategy=fig.strategy, group=model.group, family=fig.family,
               set=fig.set, table=fig.table, metric=fig.metric, paper_text=fig.text,
               paper=fig.value, paper_low=fig.low, paper_high=fig.high)  # fmt: skip


def compare_rows(study: Study, figures: list[PaperFigure], statuses: dict[str, Status],
                 resamples: int, seed: int) -> list[Row]:  # fmt: skip
    """Every figure beside our score and interval (models not done: ``missing``, with why)."""
    draws = _Draws(resamples, seed)
    dists: dict[tuple[str, str], bs.BootstrapDistribution] = {}
    rows = []
    for fig in figures:
        row = _row(fig, study)
        st = statuses[fig.model]
        if not st.done:
            row.why_missing = "not evaluated" if st.state == "pending" else st.problems[0]
            rows.append(row)
            continue
        tasks = ([s.task for s in BY_TASK.values() if s.family == MEANS[fig.set] and s.in_study]
                 if fig.is_mean else [BY_NAME[fig.set].task])  # fmt: skip
        for task in tasks:
            if (fig.model, task) not in dists:
                dists[(fig.model, task)] = draws.score(fig.model, task, st.scores[task])
        got = [dists[(fig.model, t)] for t in tasks]
        samples = np.mean([d.samples for d in got], axis=0)
        _fill(row, float(np.mean([d.estimate for d in got])), samples, sum(d.n for d in got))
        rows.append(row)
    return rows


def shares(rows: list[Row]) -> list[dict]:
    """Share of the per-set figures reproduced, per model and family, then over all models."""
    out = []
    models = list(dict.fromkeys(r.model for r in rows))
    for who in [*models, None]:
        for fam in SHARE_FAMILIES:
            sub = [r for r in rows if not r.is_mean and r.flag != "missing"
                   and (who is None or r.model == who) and (fam == "all" or r.family == fam)]  # fmt: skip
            if sub:
                k = sum(r.flag == "reproduced" for r in sub)
                out.append({"model": who, "family": fam, "reproduced": k, "compared": len(sub),
                            "share": k / len(sub),
                            "above": sum(r.flag == "above" for r in sub),
                            "below": sum(r.flag == "below" for r in sub)})  # fmt: skip
    return out


def win_tie_loss(study: Study, layout: Layout) -> tuple[list[dict], list[str]]:
    """The paper's W/T/L rows beside ``medfr signif``'s win rates, where signif ran."""
    rows = study.paper.win_tie_loss if study.paper else ()
    if not rows:
        return [], []
    path = layout.signif / "signif.json"
    rates: dict = {}
    notes = []
    if path.is_file():
        from medfr_eval.lmeval_output import read_json_object

        for w in read_json_object(path, "signif file").get("win_rates", []):
            rates[(w.get("model_a"), w.get("model_b"), w.get("family"))] = w
    else:
        notes.append(f"no {path}: the win / tie / loss rates of this run are not computed yet "
                     "(medfr study publish)")  # fmt: skip
    out = []
    for r in rows:
        ours = rates.get((r.model_a, r.model_b, r.family))
        out.append({"label": r.label, "table": r.table, "model_a": r.model_a, "model_b": r.model_b,
                    "family": r.family, "note": r.note,
                    "paper": {"win": r.win, "tie": r.tie, "loss": r.loss},
                    "ours": None if ours is None else {k: ours[k] for k in ("win", "tie", "loss", "n_sets")}})  # fmt: skip
    return out, notes


def data_sources(study: Study, statuses: dict[str, Status]) -> list[dict]:
    """Per set, where each model's items came from (``metadata.medfr_loaded``) and how many."""
    out = []
    for task in study.leaves:
        seen: dict[tuple, list[str]] = {}
        for name, st in statuses.items():
            t = st.output.tasks.get(task) if st.done else None
            if t is None:
                continue
            meta = t.config.get("metadata") if isinstance(t.config.get("metadata"), dict) else {}
            loaded = meta.get("medfr_loaded") if isinstance(meta.get("medfr_loaded"), dict) else {}
            items = t.n_original if t.n_original is not None else t.n_effective
            seen.setdefault((str(loaded.get("source") or "not recorded"), items), []).append(name)
        spec = BY_TASK[task]
        for (source, items), models in seen.items():
            out.append({"set": spec.name, "task": task, "source": source, "items": items,
                        "study_size": spec.study_size, "same_size": items == spec.study_size,
                        "models": models})  # fmt: skip
    return out


def read_record(layout: Layout) -> dict:
    """``RUN/study.json``: which study file and command-line values made the folder."""
    from medfr_eval.lmeval_output import read_json_object

    if not layout.record.is_file():
        raise StudyError(
            "not a study run folder (no study.json; made by medfr study run)", file=layout.root
        )
    return read_json_object(layout.record, "study run record")


def study_of(layout: Layout, notes: list[str]) -> Study:
    """The study a run folder was made from, read again from its file and values."""
    rec = read_record(layout)
    study = load_study(rec.get("study_file", ""), overrides=rec.get("overrides") or (),
                       model_paths=rec.get("model_paths") or {})  # fmt: skip
    if study.sha256 != rec.get("sha256"):
        notes.append(f"{study.path} changed since this run folder was made")
    return study


def compare_run(root: str | Path, *, study: Study | None = None, paper: Path | None = None,
                resamples: int | None = None, seed: int | None = None) -> Comparison:  # fmt: skip
    """The whole comparison of a run folder with the paper's tables (module docstring)."""
    layout = Layout(Path(root))
    notes: list[str] = []
    study = study or study_of(layout, notes)
    if paper is None and study.paper is None:
        raise StudyError("the study names no paper tables; give one with --paper FILE",
                         file=study.path, field="paper")  # fmt: skip
    table = Path(paper) if paper is not None else study.paper.tables
    figures = load_paper_table(table, study)
    statuses = {m.name: status(study, layout, m) for m in study.models}
    resamples = resamples or study.significance.resamples
    seed = study.significance.seed if seed is None else seed
    rows = compare_rows(study, figures, statuses, resamples, seed)
    wtl, wtl_notes = win_tie_loss(study, layout)
    notes += wtl_notes
    for st in statuses.values():
        if not st.done:
            notes.append(f"{st.model.name}: not compared ("
                         f"{'not evaluated' if st.state == 'pending' else st.problems[0]})")  # fmt: skip
    source = study.paper.source if study.paper and paper is None else str(table)
    return Comparison(
        study={"name": study.name, "title": study.title, "source": study.source, "file": str(study.path)},
        paper={"tables": str(table), "source": source, "figures": len(figures)},
        method={"level": LEVEL, "resamples": resamples, "seed": seed, "cluster": study.significance.cluster,
                "flag": "reproduced when the published figure, taken as the interval of values that "
                        "round to it, meets our 95% percentile bootstrap interval"},
        rows=rows, shares=shares(rows), win_tie_loss=wtl,
        sources=data_sources(study, statuses), notes=notes,
    )  # fmt: skip


def load_comparison(path: str | Path) -> dict:
    """A ``compare.json`` written by :func:`.report.write_report` (strict JSON)."""
    from medfr_eval.lmeval_output import read_json_object

    data = read_json_object(path, "study comparison")
    if data.get("medfr_study_compare") != 1:
        raise StudyError("not a medfr study comparison (medfr_study_compare: 1)", file=path)
    return data
