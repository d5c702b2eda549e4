"""What data each run was evaluated on, from what the run itself records.

A page may only say "evaluated on the study's test sets" when every run shows it:
lm-eval records per task the number of items it read (``n-samples.original``) and
the task config (whose ``metadata`` carries ``medfr_data`` when the run was given
``--metadata '{"medfr_data": ...}'``). A run is

* ``sample``: it asked for the samples shipped with medfr, or each set has exactly
  the shipped sample's size and not the study's (the demo);
* ``study``: every set has the study's test size (the paper's Table 6) and no sample
  data was asked for;
* ``other``: anything else (own data, subsets): not comparable with the study.

Sizes are evidence, not proof (someone's own file could have the study's size),
so the site states the counts it saw, not more.

Where each set's items came from is recorded by medfr's loader in the task config
(``metadata.medfr_loaded.source``): a public copy as ``<repo>@<revision>``
(:mod:`medfr_eval.data.public_sources`, e.g. BioMistral's French translation of the 10
translated sets), ``shipped samples``, ``hub:<id or folder>`` or a local file. Only
the public copies are named on the site; the rest is said in words (a local file
path never leaves the builder's disk). Older runs record nothing: nothing is said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from medfr_eval.core.resources import samples_dir
from medfr_eval.core.sets import BY_TASK
from medfr_eval.data.public_sources import SOURCES

from .collect import Run


@cache
def shipped_sizes() -> dict[str, int]:
    """Items per set in the samples shipped with medfr (tasks/samples/<set>.jsonl)."""
    out = {}
    for spec in BY_TASK.values():
        path = samples_dir() / f"{spec.name}.jsonl"
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            out[spec.task] = sum(1 for ln in lines if ln.strip())
    return out


@dataclass(frozen=True)
class Origin:
    """The data one run was evaluated on, as far as its files show."""

    kind: str  # "study", "sample" or "other"
    sizes: dict[str, int]  # task -> items evaluated
    asked: str | None  # the medfr_data the run asked for, if logged
    #: task -> where its items came from: a public source's key, "samples", "hub" or
    #: "files" (see the module docstring); tasks that record nothing are absent.
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """Item counts in a few words, e.g. "12 items per set" or "12 to 1273 items per set"."""
        return _span(set(self.sizes.values()))


def _span(counts: set[int]) -> str:
    counts = sorted(counts)
    if not counts:
        return "no item counts recorded"
    if len(counts) == 1:
        return f"{counts[0]} items per set"
    return f"{counts[0]} to {counts[-1]} items per set"


def _items(run: Run, task: str) -> int | None:
    tr = run.tasks[task]
    if tr.n_original is not None:
        return tr.n_original
    return len(tr.values) if tr.values is not None else tr.n_effective


def _asked(run: Run) -> str | None:
    for tr in run.tasks.values():
        meta = tr.config.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("medfr_data"), str):
            return meta["medfr_data"]
    return None


def _source(run: Run, task: str) -> str | None:
    """Where one task's items came from, as a public key or a word (module docstring)."""
    meta = run.tasks[task].config.get("metadata")
    loaded = meta.get("medfr_loaded") if isinstance(meta, dict) else None
    source = loaded.get("source") if isinstance(loaded, dict) else None
    if not isinstance(source, str) or not source:
        return None
    for key, src in SOURCES.items():
        if source == f"{src.repo}@{src.revision}":
            return key
    if source == "shipped samples":
        return "samples"
    return "hub" if source.startswith("hub:") else "files"


def run_origin(run: Run) -> Origin:
    """Classify one run (rules in the module docstring)."""
    sizes = {t: n for t in run.tasks if (n := _items(run, t)) is not None}
    asked = _asked(run)
    study = bool(sizes) and all(n == BY_TASK[t].study_size for t, n in sizes.items())
    shipped = shipped_sizes()
    sample = bool(sizes) and all(
        n == shipped.get(t) and n != BY_TASK[t].study_size for t, n in sizes.items()
    )
    if asked == "sample" or sample:
        kind = "sample"
    elif study and asked in (None, "hub"):
        kind = "study"
    else:
        kind = "other"
    sources = {t: k for t in sorted(run.tasks) if (k := _source(run, t)) is not None}
    return Origin(kind, dict(sorted(sizes.items())), asked, sources)


def public_sources(origins: list[Origin]) -> list[dict]:
    """The public copies some run read, each with its sets and how many runs read it."""
    out = []
    for key, src in SOURCES.items():
        sets = sorted({BY_TASK[t].name for o in origins for t, k in o.sources.items() if k == key},
                      key=[s.name for s in BY_TASK.values()].index)  # fmt: skip
        if sets:
            runs = sum(key in o.sources.values() for o in origins)
            out.append({"key": key, "repo": src.repo, "revision": src.revision,
                        "license": src.license, "title": src.title, "sets": sets,
                        "runs": runs})  # fmt: skip
    return out


def site_origin(origins: list[Origin]) -> dict:
    """What the site may say about its data: ``kind`` of the whole board and the counts."""
    kinds = {o.kind for o in origins}
    if kinds == {"study"}:
        kind = "study"
    elif "sample" in kinds:
        kind = "sample"
    else:
        kind = "other"
    return {
        "kind": kind,
        "runs": {k: sum(o.kind == k for o in origins) for k in ("study", "sample", "other")},
        "summary": _span({n for o in origins for n in o.sizes.values()}),
        "public": public_sources(origins),
    }


def builder_note(site: dict) -> str | None:
    """One line for whoever builds the site when it is not the study's data."""
    runs = site["runs"]
    if site["kind"] == "study":
        return None
    parts = [f"{n} on {k} data" for k, n in runs.items() if n]
    return (
        f"note: not every run used the study's test sets ({', '.join(parts)}; "
        f"{site['summary']}); the site says so in a banner on every page"
    )
