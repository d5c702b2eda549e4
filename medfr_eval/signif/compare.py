"""The study's test over a grid of (pair of models, set), corrected for the number of tests.

Two models' items are paired by ``doc_id`` (checking that both saw the same
documents, prompts and targets), the paired bootstrap of :mod:`.bootstrap` runs
for every (pair, set), the intervals are corrected over the ``m`` comparisons
actually run, and the win / tie / loss shares per family of sets are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from medfr_eval.errors import SignifError
from medfr_eval.lmeval_output import SampleLog
from medfr_eval.sets import BY_TASK, FAMILIES, SETS

from . import bootstrap as bs
from .notes import method_notes
from .pairs import Pair
from .runs import Run, Track, find_run, no_track

SCHEMA_VERSION = 1
FAMILY_ORDER: tuple[str, ...] = ("all", "mcq_translated", "mcq_native", "openqa")
FAMILY_LABELS: dict[str, str] = {"all": "Tous les jeux", **FAMILIES}
_ORDER = [s.task for s in SETS]

Warn = Callable[[str], None]


def _ignore(message: str) -> None:
    pass


# --------------------------------------------------------------------------- pairing


def _hash_mismatches(
    la: SampleLog, lb: SampleLog, sa: np.ndarray, sb: np.ndarray, check_prompts: bool
) -> list[tuple[str, list[int]]]:
    """Per hash key, the positions (in the common items) where both logs differ."""
    checks = [
        ("doc_hash", la.doc_hashes, lb.doc_hashes),
        ("target_hash", la.target_hashes, lb.target_hashes),
    ]
    if check_prompts:
        checks.append(("prompt_hash", la.prompt_hashes, lb.prompt_hashes))
    out = []
    for key, ha, hb in checks:
        xa = [ha[i] for i in sa]
        xb = [hb[i] for i in sb]
        if xa == xb:  # the usual case, checked at C speed
            continue
        diff = [
            k for k, (x, y) in enumerate(zip(xa, xb, strict=True))
            if x is not None and y is not None and x != y
        ]  # fmt: skip
        if diff:
            out.append((key, diff))
    return out


def pair_logs(
    la: SampleLog,
    lb: SampleLog,
    *,
    lenient: bool = False,
    check_prompts: bool = True,
    warn: Warn | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str] | None, np.ndarray]:
    """Align two models' logs of one set by ``doc_id``; refuse what cannot be paired.

    Returns both value vectors in increasing doc id order, the cluster labels
    (or None) and the doc ids kept. Both logs must cover the same doc ids with
    the same document, target and (unless ``check_prompts`` is off) prompt
    hashes; with ``lenient`` mismatches are warned about and the comparison runs
    on the intersection.
    """
    warn = warn or _ignore
    where = f"{la.path} vs {lb.path}"
    common, sa, sb = np.intersect1d(la.doc_ids, lb.doc_ids, assume_unique=True, return_indices=True)
    if common.size != la.n or common.size != lb.n:
        only_a = np.setdiff1d(la.doc_ids, common).tolist()
        only_b = np.setdiff1d(lb.doc_ids, common).tolist()
        message = (
            f"{la.task}: the logs cover different doc ids ({len(only_a)} only in the first, "
            f"e.g. {only_a[:3]}; {len(only_b)} only in the second, e.g. {only_b[:3]})"
        )
        if not lenient:
            raise SignifError(message, file=where, field="doc_id")
        warn(f"{where}: {message} (--lenient: using the common items)")
    bad = np.zeros(common.size, dtype=bool)
    for key, diff in _hash_mismatches(la, lb, sa, sb, check_prompts):
        hint = (
            " (--ignore-prompt-hash if only the chat template differs)"
            if key == "prompt_hash"
            else ""
        )
        message = (
            f"{la.task}: {len(diff)} of {common.size} items differ in {key}, first doc_id "
            f"{int(common[diff[0]])}{hint}"
        )
        if not lenient:
            raise SignifError(message, file=where, field=key)
        warn(f"{where}: {message} (--lenient: those items dropped)")
        bad[diff] = True
    if bad.all():
        raise SignifError(f"{la.task}: no item in common to compare", file=where, field="doc_id")
    keep, sa, sb = common[~bad], sa[~bad], sb[~bad]
    clusters = None
    if la.clusters is not None and lb.clusters is not None:
        clusters = [la.clusters[i] for i in sa]
    return la.values[sa], lb.values[sb], clusters, keep


# --------------------------------------------------------------------------- report


@dataclass
class Comparison:
    """One (pair, set) row of the report."""

    pair: Pair
    task: str
    metric: str
    n: int
    n_clusters: int
    score_a: float
    score_b: float
    result: bs.BootstrapResult

    @property
    def set(self) -> str:
        return BY_TASK[self.task].name

    @property
    def family(self) -> str:
        return BY_TASK[self.task].family

    def to_json(self) -> dict:
        r = self.result
        return {
            "model_a": self.pair.model_a,
            "model_b": self.pair.model_b,
            "task": self.task,
            "set": self.set,
            "family": self.family,
            "metric": self.metric,
            "n": self.n,
            "score_a": self.score_a,
            "score_b": self.score_b,
            "diff": r.estimate,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "level": r.level,
            "p_value": r.p_value,
            "decision": r.decision,
            "bootstrap": "cluster" if r.kind == "cluster" else "paired",
        }


@dataclass
class Report:
    """Everything ``medfr-signif`` outputs; :meth:`to_json` is the ``signif.json`` schema."""

    method: dict
    models: list[str]
    pairs: list[Pair]
    comparisons: list[Comparison]
    win_rates: list[dict]
    scores: list[dict]
    notes: list[str]
    warnings: list[str]

    def to_json(self) -> dict:
        return {
            "medfr_signif_version": SCHEMA_VERSION,
            "method": self.method,
            "models": self.models,
            "comparisons": [c.to_json() for c in self.comparisons],
            "win_rates": self.win_rates,
            "scores": self.scores,
        }

    def win_rate(self, pair: Pair, family: str) -> dict | None:
        """The win / tie / loss shares of ``pair`` over ``family`` (``all`` for every set)."""
        return next(
            (w for w in self.win_rates
             if (w["model_a"], w["model_b"], w["family"]) == (pair.model_a, pair.model_b, family)),
            None,
        )  # fmt: skip

    def families(self) -> list[str]:
        """The families present in the win rates, in the report's order."""
        return [f for f in FAMILY_ORDER if any(w["family"] == f for w in self.win_rates)]


def win_rates(comparisons: Sequence[Comparison], pairs: Sequence[Pair]) -> list[dict]:
    """Per pair, the share of sets won / tied / lost, over all sets and per family."""
    out = []
    for pair in pairs:
        rows = [c for c in comparisons if c.pair == pair]
        for fam in FAMILY_ORDER:
            sub = [c for c in rows if fam == "all" or c.family == fam]
            if not sub:
                continue
            k = len(sub)
            count = {d: sum(c.result.decision == d for c in sub) for d in ("win", "tie", "loss")}
            out.append(
                {
                    "model_a": pair.model_a,
                    "model_b": pair.model_b,
                    "family": fam,
                    "win": count["win"] / k,
                    "tie": count["tie"] / k,
                    "loss": count["loss"] / k,
                    "n_sets": k,
                }
            )
    return out


# --------------------------------------------------------------------------- the grid


def _check_options(resamples: int, alpha: float, correction: str) -> None:
    if correction not in bs.CORRECTIONS:
        raise SignifError(
            f"unknown correction; use one of {', '.join(bs.CORRECTIONS)}", field="--correction"
        )
    if resamples < 1:
        raise SignifError("must be at least 1", field="--resamples")
    if not 0.0 < alpha < 1.0:
        raise SignifError("must be in (0, 1)", field="--alpha")


def resolve_pairs(
    runs: Sequence[Run], pairs: Sequence[Pair], lenient: bool, warn: Warn
) -> list[tuple[Pair, Run, Run]]:
    """Each pair with its two runs, named as the runs are; duplicates compared once."""
    resolved: list[tuple[Pair, Run, Run]] = []
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        try:
            ra = find_run(pair.model_a, runs, field="model_a")
            rb = find_run(pair.model_b, runs, field="model_b")
        except SignifError as e:
            if not lenient:
                raise
            warn(f"{e} (--lenient: pair {pair.title()} skipped)")
            continue
        if ra is rb:
            raise SignifError(f"{pair.title()}: a model compared with itself", field="pairs")
        if (ra.name, rb.name) in seen:
            warn(f"pair {ra.name} vs {rb.name} listed twice; compared once")
            continue
        seen.add((ra.name, rb.name))
        resolved.append((Pair(ra.name, rb.name, pair.id, pair.label), ra, rb))
    if not resolved:
        raise SignifError("no pair of models to compare", field="pairs")
    return resolved


def _jobs(
    resolved: list[tuple[Pair, Run, Run]], lenient: bool, warn: Warn
) -> list[tuple[Pair, Run, Run, str]]:
    """Every (pair, set) to test: the sets logged for both models of the pair."""
    jobs = []
    for pair, ra, rb in resolved:
        for task in sorted(set(ra.tasks) | set(rb.tasks), key=_ORDER.index):
            if task not in ra.tasks or task not in rb.tasks:
                has, lacks = (ra, rb) if task in ra.tasks else (rb, ra)
                message = f"{task} is logged for {has.name} but not for {lacks.name} (folder {lacks.folder})"
                if not lenient:
                    raise SignifError(message, file=has.tasks[task].path, field="task")
                warn(f"{message} (--lenient: set skipped for this pair)")
                continue
            jobs.append((pair, ra, rb, task))
    return jobs


class _Indexes:
    """One shared draw of resamples per (set, items): see :class:`bs.ResampleIndex`.

    Only drawn where it is used: continuous values (0/1 metrics take the
    multinomial shortcut and need no index matrix)."""

    def __init__(self, resamples: int, seed: int) -> None:
        self.resamples, self.seed = resamples, seed
        self.cache: dict[tuple, bs.ResampleIndex | None] = {}

    def get(
        self, task: str, ids: np.ndarray, clusters: list[str] | None, x: np.ndarray
    ) -> bs.ResampleIndex | None:
        distinct = np.unique(x).size if clusters is None else bs.MULTINOMIAL_MAX_ATOMS + 1
        if distinct <= bs.MULTINOMIAL_MAX_ATOMS:
            return None
        key = (task, ids.tobytes(), clusters is not None)
        if key not in self.cache:
            fits = bs.ResampleIndex.fits(ids.size, self.resamples)
            rng = bs.make_rng(self.seed, "index", task)
            self.cache[key] = (
                bs.ResampleIndex(ids.size, resamples=self.resamples, rng=rng, clusters=clusters)
                if fits
                else None
            )
        return self.cache[key]


def _model_scores(models: list[str], runs: Sequence[Run], indexes: _Indexes) -> list[dict]:
    """Each model's score per set with its 95 % percentile bootstrap interval."""
    by_name = {r.name: r for r in runs}
    scores = []
    for name in models:
        for task in sorted(by_name[name].tasks, key=_ORDER.index):
            log = by_name[name].tasks[task]
            perm = np.argsort(log.doc_ids, kind="stable")
            values = log.values[perm]
            clusters = [log.clusters[i] for i in perm] if log.clusters is not None else None
            dist = bs.bootstrap_distribution(
                values,
                resamples=indexes.resamples,
                seed=bs.make_rng(indexes.seed, "score", name, task),
                clusters=clusters,
                index=indexes.get(task, log.doc_ids[perm], clusters, values),
            )
            lo, hi = dist.interval(0.95)
            scores.append(
                {"model": name, "task": task, "score": dist.estimate, "ci_low": lo, "ci_high": hi}
            )
    return scores


def compare(
    runs: Sequence[Run],
    pairs: Sequence[Pair],
    *,
    resamples: int = 10_000,
    alpha: float = 0.05,
    correction: str = "bonferroni",
    seed: int = 0,
    lenient: bool = False,
    check_prompts: bool = True,
    track: Track = no_track,
    warn: Warn | None = None,
) -> Report:
    """Run the study's test for every (pair, set) and correct over all of them.

    ``m`` is the number of (pair, set) comparisons actually run. A set logged for
    one model of a pair only is an error (``lenient``: a warning, the set is
    skipped for that pair). Each comparison draws from its own generator keyed by
    (seed, models, task), so adding a pair never changes another's interval.
    """
    warnings: list[str] = []

    def _warn(message: str) -> None:
        warnings.append(message)
        if warn is not None:
            warn(message)

    _check_options(resamples, alpha, correction)
    resolved = resolve_pairs(runs, pairs, lenient, _warn)
    jobs = _jobs(resolved, lenient, _warn)
    indexes = _Indexes(resamples, seed)
    dists: list[bs.BootstrapDistribution] = []
    rows: list[tuple[Pair, str, np.ndarray, np.ndarray]] = []
    for pair, ra, rb, task in track(jobs, "Bootstrap apparié", len(jobs)):
        va, vb, clusters, ids = pair_logs(
            ra.tasks[task], rb.tasks[task], lenient=lenient, check_prompts=check_prompts, warn=_warn
        )
        dists.append(
            bs.bootstrap_distribution(
                va,
                vb,
                resamples=resamples,
                seed=bs.make_rng(seed, "pair", ra.name, rb.name, task),
                clusters=clusters,
                index=indexes.get(task, ids, clusters, va - vb),
            )
        )
        rows.append((pair, task, va, vb))
    results = bs.correct(dists, alpha, correction)
    comparisons = [
        Comparison(pair, task, BY_TASK[task].metric, int(va.size), d.n_clusters,
                   float(va.mean()), float(vb.mean()), r)
        for (pair, task, va, vb), d, r in zip(rows, dists, results, strict=True)
    ]  # fmt: skip
    models: list[str] = []
    for _, ra, rb in resolved:
        models += [r.name for r in (ra, rb) if r.name not in models]
    pairs_out = [p for p, _, _ in resolved]
    method = {"resamples": resamples, "alpha": alpha, "correction": correction,
              "m": len(comparisons), "seed": seed}  # fmt: skip
    return Report(
        method=method,
        models=models,
        pairs=pairs_out,
        comparisons=comparisons,
        win_rates=win_rates(comparisons, pairs_out),
        scores=_model_scores(models, runs, indexes),
        notes=method_notes(method, comparisons, runs),
        warnings=warnings,
    )
