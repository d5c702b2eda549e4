"""The study's test over a grid of (pair of models, set), corrected for the number of tests.

Two models' items are paired by ``doc_id`` (checking that both saw the same
documents, prompts and targets), the paired bootstrap of :mod:`.bootstrap` runs
for every (pair, set), the intervals are corrected over the ``m`` comparisons
actually run, and the win / tie / loss shares per family of sets are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from medfr_eval import lmeval_output as lo
from medfr_eval.core.errors import SignifError
from medfr_eval.core.sets import ALL_FAMILIES, ALL_SETS, BY_TASK

from . import bootstrap as bs
from . import paired_tests, shaky
from .corrections import CORRECTIONS, TESTS, decide
from .families import family_comparisons
from .gap import translation_gaps
from .notes import method_notes
from .pairing import pair_logs
from .pairs import Pair
from .runs import Run, Track, find_run, no_track

SCHEMA_VERSION = 1
#: "all" is the study's sets (its "all sets" row); the public extras count in their
#: own families only (``mcq_english``, ``public_native``), never in a study family.
FAMILY_ORDER: tuple[str, ...] = ("all", *ALL_FAMILIES)
_ORDER = [s.task for s in ALL_SETS]

Warn = Callable[[str], None]


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
    test: str = "bootstrap"  # the test whose p-value decides (bootstrap, mcnemar, permutation)
    p_adjusted: float = float("nan")  # p_value under the run's correction

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
            "p_adjusted": self.p_adjusted,
            "test": self.test,
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
    warnings: list[dict]  # {"kind", "message"}: see :mod:`.shaky`
    lenient: bool = False
    family_comparisons: list[dict] = field(default_factory=list)
    translation_gap: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "medfr_signif_version": SCHEMA_VERSION,
            "method": self.method,
            "lenient": self.lenient,
            "warnings": self.warnings,
            "models": self.models,
            "comparisons": [c.to_json() for c in self.comparisons],
            "family_comparisons": self.family_comparisons,
            "win_rates": self.win_rates,
            "scores": self.scores,
            "translation_gap": self.translation_gap,
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
            sub = [
                c for c in rows
                if (fam == "all" and BY_TASK[c.task].in_study) or c.family == fam
            ]  # fmt: skip
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


def _check_options(resamples: int, alpha: float, correction: str, test: str) -> None:
    if correction not in CORRECTIONS:
        raise SignifError(
            f"unknown correction; use one of {', '.join(CORRECTIONS)}", field="--correction"
        )
    if test not in TESTS:
        raise SignifError(f"unknown test; use one of {', '.join(TESTS)}", field="--test")
    if resamples < 1:
        raise SignifError("must be at least 1", field="--resamples")
    if not 0.0 < alpha < 1.0:
        raise SignifError("must be in (0, 1)", field="--alpha")


def resolve_pairs(
    runs: Sequence[Run], pairs: Sequence[Pair], lenient: bool, warn: Warn, allow_none: bool = False
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
    if not resolved and not allow_none:
        raise SignifError("no pair of models to compare", field="pairs")
    return resolved


def check_settings(ra: Run, rb: Run, task: str, allow_mismatch: bool, warn: Warn) -> None:
    """Refuse (or, allowed, warn about) two runs of ``task`` scored under other settings."""
    oa, ob = ra.outputs.get(task), rb.outputs.get(task)
    if oa is None or ob is None:
        return
    diffs = lo.settings_mismatch(lo.score_settings(oa), lo.score_settings(ob))
    if not diffs:
        return
    message = (
        f"{task}: {ra.name} ({oa.results_file}) and {rb.name} ({ob.results_file}) were scored "
        f"under different settings: {'; '.join(diffs)}"
    )
    if not allow_mismatch:
        raise SignifError(
            f"{message}; their scores are not comparable (--allow-setting-mismatch to compare "
            "anyway)",
            field=diffs[0].split(":", 1)[0],
        )
    warn(f"{message} (--allow-setting-mismatch: compared anyway)", "settings")


def _jobs(
    resolved: list[tuple[Pair, Run, Run]], lenient: bool, allow_mismatch: bool, warn: Warn
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
            check_settings(ra, rb, task, allow_mismatch, warn)
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


def _test_for(test: str, va: np.ndarray, vb: np.ndarray) -> str:
    """Which test decides this comparison: McNemar needs 0/1 values (else permutation)."""
    if test == "mcnemar" and not (paired_tests.is_binary(va) and paired_tests.is_binary(vb)):
        return "permutation"
    return test


def _p_value(test: str, va, vb, clusters, rng, resamples: int) -> float:
    if test == "mcnemar":
        return paired_tests.mcnemar_p(va, vb)
    return paired_tests.permutation_p(va, vb, resamples=resamples, rng=rng, clusters=clusters)


def _shaky(method: dict, comparisons: Sequence[Comparison], runs: Sequence[Run]) -> list[dict]:
    """Warnings on the run's numbers: thin tails, few clusters, items dropped."""
    out = []
    tail = shaky.tail_warning(method["resamples"], method["alpha"], max(method["m"], 1),
                              method["correction"])  # fmt: skip
    if tail and method["m"]:
        out.append(tail)
    rows = {(c.task, c.n_clusters) for c in comparisons if c.result.kind == "cluster"}
    out += shaky.cluster_warnings([("paired bootstrap", t, g) for t, g in sorted(rows)])
    for r in runs:
        for task, kept, total in r.dropped():
            out.append(shaky.warning("lenient", f"{r.name}, {task}: --lenient kept {kept} of "
                                     f"{total} items; its scores are over fewer items than the set"))  # fmt: skip
    return out


def _run_jobs(
    jobs: list[tuple[Pair, Run, Run, str]],
    indexes: _Indexes,
    test: str,
    lenient: bool,
    check_prompts: bool,
    track: Track,
    warn: Warn,
) -> tuple[list[bs.BootstrapDistribution], list[tuple], list[float]]:
    """Pair every (pair, set), draw its bootstrap and, for McNemar/permutation, its p-value."""
    resamples, seed = indexes.resamples, indexes.seed
    dists: list[bs.BootstrapDistribution] = []
    rows: list[tuple[Pair, str, np.ndarray, np.ndarray, str]] = []
    pvals: list[float] = []
    for pair, ra, rb, task in track(jobs, "Paired comparisons", len(jobs)):
        va, vb, clusters, ids = pair_logs(
            ra.tasks[task], rb.tasks[task], lenient=lenient, check_prompts=check_prompts, warn=warn
        )
        key = (ra.name, rb.name, task)
        dists.append(
            bs.bootstrap_distribution(
                va, vb, resamples=resamples, seed=bs.make_rng(seed, "pair", *key),
                clusters=clusters, index=indexes.get(task, ids, clusters, va - vb),
            )
        )  # fmt: skip
        used = _test_for(test, va, vb)
        if used != "bootstrap":
            rng = bs.make_rng(seed, "perm", *key)
            pvals.append(_p_value(used, va, vb, clusters, rng, resamples))
        rows.append((pair, task, va, vb, used))
    if test == "mcnemar" and any(u == "permutation" for *_, u in rows):
        bad = sorted({t for _, t, *_, u in rows if u == "permutation"}, key=_ORDER.index)
        warn(f"McNemar's test needs 0/1 values; {', '.join(bad)} used the sign-flip "
             "permutation test instead", "test")  # fmt: skip
    return dists, rows, pvals


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
    test: str = "bootstrap",
    allow_mismatch: bool = False,
    translation_gap: bool = False,
    reading_warnings: Sequence[str] = (),
) -> Report:
    """Run the chosen test for every (pair, set) and correct over all of them.

    ``m`` is the number of (pair, set) comparisons actually run. A set logged for
    one model of a pair only is an error (``lenient``: a warning, the set is
    skipped for that pair); so are runs scored under other settings
    (``allow_mismatch``: a warning). Each comparison draws from its own generator
    keyed by (seed, models, task), so adding a pair never changes another's
    interval. ``reading_warnings`` (met while reading the logs) go into the report.
    """
    warnings = [shaky.warning("reading", w) for w in reading_warnings]

    def _warn(message: str, kind: str = "pairing") -> None:
        warnings.append(shaky.warning(kind, message))
        if warn is not None:
            warn(message)

    _check_options(resamples, alpha, correction, test)
    resolved = resolve_pairs(runs, pairs, lenient, _warn, allow_none=translation_gap)
    jobs = _jobs(resolved, lenient, allow_mismatch, _warn)
    indexes = _Indexes(resamples, seed)
    dists, rows, pvals = _run_jobs(jobs, indexes, test, lenient, check_prompts, track, _warn)
    results, adjusted = decide(dists, pvals if test != "bootstrap" else None, alpha, correction)
    comparisons = [
        Comparison(pair, task, BY_TASK[task].metric, int(va.size), d.n_clusters,
                   float(va.mean()), float(vb.mean()), r, used, float(pa))
        for (pair, task, va, vb, used), d, r, pa in zip(rows, dists, results, adjusted, strict=True)
    ]  # fmt: skip
    models: list[str] = []
    for _, ra, rb in resolved:
        models += [r.name for r in (ra, rb) if r.name not in models]
    if not resolved:
        models = [r.name for r in runs]
    pairs_out = [p for p, _, _ in resolved]
    families = family_comparisons([(c.pair, c.task, c.family) for c in comparisons], dists,
                                  alpha, correction)  # fmt: skip
    method = {"test": test, "resamples": resamples, "alpha": alpha, "correction": correction,
              "m": len(comparisons), "m_families": len(families), "seed": seed}  # fmt: skip
    gaps: list[dict] = []
    if translation_gap:
        gaps = translation_gaps(runs, resamples=resamples, alpha=alpha, correction=correction,
                                seed=seed, lenient=lenient, warn=_warn)  # fmt: skip
        method["m_translation_gap"] = len(gaps)
    for w in _shaky(method, comparisons, runs):
        _warn(w["message"], w["kind"])
    return Report(
        method=method,
        models=models,
        pairs=pairs_out,
        comparisons=comparisons,
        win_rates=win_rates(comparisons, pairs_out),
        scores=_model_scores(models, runs, indexes),
        notes=method_notes(method, comparisons, runs),
        warnings=warnings,
        lenient=lenient,
        family_comparisons=families,
        translation_gap=gaps,
    )
