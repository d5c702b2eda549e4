"""The agreement report: statistics overall and per generating model, as a table, JSON and a plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medfr_eval.core.fileio import dumps_strict, replace_folder
from medfr_eval.judge.agreement import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, Agreement, agreement
from medfr_eval.judge.labels import Label, Pair

OVERALL = "(all)"


def compute(
    pairs: list[Pair], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> dict[str, Agreement]:
    """``{OVERALL: ..., model: ...}`` in first-seen model order."""
    groups: dict[str, list[Pair]] = {OVERALL: pairs}
    for p in pairs:
        groups.setdefault(p.model, []).append(p)
    out = {}
    for name, group in groups.items():
        judge = np.array([p.judge for p in group], dtype=int)
        human = np.array([p.human for p in group], dtype=int)
        words = np.array([p.words for p in group], dtype=float)
        out[name] = agreement(judge, human, words, resamples, seed)
    return out


def _fmt(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(stats: dict[str, Agreement]) -> str:
    """A fixed-width text table, one row per group."""
    head = (
        "model",
        "n",
        "acc",
        "95% CI",
        "F1",
        "kappa",
        "r",
        "McNemar p",
        "b/c",
        "rho(len,J)",
        "rho(len,H)",
    )
    rows = [head]
    for name, a in stats.items():
        ci = f"[{_fmt(a.accuracy_ci95[0])}, {_fmt(a.accuracy_ci95[1])}]" if a.accuracy_ci95 else "-"
        rows.append(
            (
                name,
                str(a.n),
                _fmt(a.accuracy),
                ci,
                _fmt(a.f1),
                _fmt(a.kappa),
                _fmt(a.pearson),
                _fmt(a.mcnemar_p, 4),
                f"{a.confusion['judge_only']}/{a.confusion['human_only']}",
                _fmt(a.length_judge["rho"]),
                _fmt(a.length_human["rho"]),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    note = "b/c: judge 1 & human 0 / judge 0 & human 1; rho: Spearman, answer length in words vs verdict"
    return "\n".join([*lines, note])


def plot(stats: dict[str, Agreement], pairs: list[Pair], path: Path) -> None:
    """Left: agreement with its 95% interval per model; right: verdict rate by answer-length quartile."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    names = list(stats)
    acc = [stats[n].accuracy or 0.0 for n in names]
    err = [
        (
            (a.accuracy or 0) - a.accuracy_ci95[0],
            a.accuracy_ci95[1] - (a.accuracy or 0),
        )
        if a.accuracy_ci95
        else (0, 0)
        for a in (stats[n] for n in names)
    ]
    left.barh(names, acc, xerr=np.array(err).T, color="#1565c0", capsize=3)
    left.set_xlim(0, 1)
    left.invert_yaxis()
    left.set_xlabel("judge / human agreement (95% CI)")
    words = np.array([p.words for p in pairs], dtype=float)
    if len(words):
        edges = np.unique(np.quantile(words, [0, 0.25, 0.5, 0.75, 1]))
        bins = np.clip(np.searchsorted(edges, words, side="right") - 1, 0, max(len(edges) - 2, 0))
        xs = sorted(set(bins.tolist()))
        for key, colour, label in (("judge", "#c62828", "judge"), ("human", "#2e7d32", "human")):
            values = np.array([getattr(p, key) for p in pairs], dtype=float)
            right.plot(xs, [values[bins == b].mean() for b in xs], "o-", color=colour, label=label)
        right.set_xticks(xs, [f"≤{edges[min(b + 1, len(edges) - 1)]:.0f}" for b in xs])
    right.set_ylim(0, 1)
    right.set_xlabel("answer length (words, quartiles)")
    right.set_ylabel("share of verdicts 1")
    right.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


#: What ``--out`` holds; a folder holding anything else is refused, never emptied.
OUTPUT_FILES: tuple[str, ...] = ("agreement.json", "agreement.txt", "agreement.png")


def write(
    out_dir: Path,
    stats: dict[str, Agreement],
    pairs: list[Pair],
    unparsable: list[Label],
    identity: dict[str, str],
    resamples: int,
    seed: int,
) -> None:
    """agreement.json, agreement.txt and agreement.png, built in a temp folder and swapped in
    whole under the output-folder rules of :func:`medfr_eval.core.fileio.replace_folder`."""
    report = {
        "judge": identity,
        "bootstrap": {"resamples": resamples, "seed": seed, "level": 0.95},
        "n_pairs": len(pairs),
        "unparsable": [{"model": u.model, "doc_id": u.doc_id, "line": u.line} for u in unparsable],
        "groups": {name: a.to_dict() for name, a in stats.items()},
    }
    text = dumps_strict(report, indent=2, ensure_ascii=False) + "\n"

    def build(tmp: Path) -> None:
        (tmp / "agreement.json").write_text(text, encoding="utf-8")
        (tmp / "agreement.txt").write_text(table(stats) + "\n", encoding="utf-8")
        plot(stats, pairs, tmp / "agreement.png")

    replace_folder(out_dir, OUTPUT_FILES, build, field="--out")
