"""The check itself: index the evaluation items, stream the training text, report.

:class:`EvalIndex` knows, for every unique evaluation n-gram, which items hold
it; :meth:`EvalIndex.scan_batch` marks the n-grams seen in a batch of training
documents and says which documents hit. :func:`report` turns the marks into
the per-set figures (items with any overlap, share of overlapping n-grams) and
the contaminated ids that ``contaminated.json`` carries and that lm-eval runs
can exclude (``--metadata '{"medfr_exclude": "contaminated.json"}'``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medfr_eval.contamination.evalitems import EvalItem
from medfr_eval.contamination.ngrams import DEFAULT_N, MIN_N, NgramIndex
from medfr_eval.contamination.readers import expand, read_batches
from medfr_eval.core.errors import DataError

FORMAT_VERSION = 1
NORMALISATION = "NFC, lower case, punctuation to spaces, split on white space (accents kept)"


def check_n(n: int) -> int:
    """The n-gram size, refused below :data:`MIN_N` (short n-grams match ordinary phrases)."""
    if not isinstance(n, int) or n < MIN_N:
        raise DataError(f"n-gram size must be an integer >= {MIN_N}, got {n!r}", field="-n")
    return n


@dataclass
class EvalIndex:
    """Evaluation items, their n-grams, and which of them the training text showed."""

    items: list[EvalItem]
    index: NgramIndex
    item_ptr: np.ndarray  # CSR: item i holds unique n-grams item_grams[item_ptr[i]:item_ptr[i+1]]
    item_grams: np.ndarray
    seen: np.ndarray  # bool per unique n-gram
    evidence: dict[int, str] = field(default_factory=dict)  # n-gram -> first training document
    #: n-gram -> rank of that first document in the scan (files in the given order,
    #: then line or row): an item's evidence is its n-grams' earliest document.
    evidence_rank: dict[int, int] = field(default_factory=dict)
    documents_scanned: int = 0

    @classmethod
    def build(cls, items: Sequence[EvalItem], n: int = DEFAULT_N) -> EvalIndex:
        check_n(n)
        index = NgramIndex(n)
        item_ptr, item_grams = index.build([item.segments for item in items])
        return cls(list(items), index, item_ptr, item_grams, np.zeros(len(index.hashes), bool))

    @property
    def n(self) -> int:
        return self.index.n

    def scan_batch(
        self, texts: Sequence[str], label: Callable[[int], str]
    ) -> tuple[np.ndarray, int]:
        """Mark the n-grams found in ``texts``; return the hit documents' indices and words read.

        An n-gram first seen in this batch gets its earliest document of the batch as
        evidence (batches come in file order, so that is its first document overall)."""
        m = self.index.scan(texts)
        if len(m.ngram):
            fresh = ~self.seen[m.ngram]
            grams, docs = m.ngram[fresh], m.doc[fresh]
            order = np.lexsort((docs, grams))  # by n-gram, then by document
            grams, docs = grams[order], docs[order]
            first = np.concatenate(([True], grams[1:] != grams[:-1])) if len(grams) else grams
            for g, d in zip(grams[first].tolist(), docs[first].tolist(), strict=True):
                self.evidence[g] = label(d)
                self.evidence_rank[g] = self.documents_scanned + d
            self.seen[m.ngram] = True
        self.documents_scanned += len(texts)
        return np.unique(m.doc), m.words

    def first_evidence(self, grams: np.ndarray) -> str:
        """The earliest training document (file order, then line or row) holding one of
        ``grams``, which must all have been seen."""
        return self.evidence[min(grams.tolist(), key=self.evidence_rank.__getitem__)]


@dataclass
class TrainingStats:
    file: str
    bytes: int = 0
    documents: int = 0
    words: int = 0
    contaminated_documents: int = 0


def scan_files(
    idx: EvalIndex,
    paths: Iterable[str | Path],
    fields: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    encoding: str = "utf-8",
) -> list[TrainingStats]:
    """Stream every training file through the index; statistics per file.

    The pieces of a long document (:mod:`.textfile`) count as one document, and
    the words their overlaps repeat are counted once."""
    stats = []
    for path in expand(list(paths)):
        st = TrainingStats(str(path), bytes=path.stat().st_size)  # size on disk
        last_hit: int | None = None  # location of the last contaminated document counted
        for batch in read_batches(path, fields, encoding=encoding, overlap=idx.n - 1):
            hit_docs, n_words = idx.scan_batch(batch.texts, batch.label)
            st.documents += batch.documents
            st.words += n_words - batch.repeated_words
            # a document's pieces share its location and come one after the other
            for where in sorted({batch.where[d] for d in hit_docs.tolist()}):
                if where != last_hit:
                    st.contaminated_documents += 1
                    last_hit = where
            if progress is not None:
                progress(batch.nbytes)
        stats.append(st)
    return stats


def report(
    idx: EvalIndex,
    training: list[TrainingStats],
    *,
    data: str | None,
    skipped: dict[str, str] | None = None,
    skipped_files: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON report: settings, training files, and per set the overlap and its ids.

    Per set: ``items``, ``contaminated_items`` (any n-gram found) and their
    ``item_share``; ``ngrams`` (each item's distinct n-grams, summed over the
    set's items) and ``overlapping_ngrams`` (those found), whose ratio is
    ``ngram_share``; ``items_too_short`` (fewer words than n in every segment:
    they cannot be checked); ``ids`` and, per id, the first training document
    (``evidence``: files in the order given, then line or row) that holds any
    of its n-grams. ``skipped_sets``: sets left
    out (``--skip-missing``) with the reason; ``skipped_files``: training paths not
    read (empty files, links that lead nowhere or loop) with the reason."""
    sets: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(idx.items):
        grams = idx.item_grams[idx.item_ptr[i] : idx.item_ptr[i + 1]]
        s = sets.setdefault(
            item.set_name,
            {"task": f"medfr_{item.set_name}", "items": 0, "items_too_short": 0,
             "contaminated_items": 0, "item_share": 0.0, "ngrams": 0,
             "overlapping_ngrams": 0, "ngram_share": 0.0, "ids": [], "evidence": {}},
        )  # fmt: skip
        s["items"] += 1
        s["ngrams"] += len(grams)
        if len(grams) == 0:
            s["items_too_short"] += 1
            continue
        hit = grams[idx.seen[grams]]
        s["overlapping_ngrams"] += len(hit)
        if len(hit):
            s["contaminated_items"] += 1
            s["ids"].append(item.id)
            s["evidence"][item.id] = idx.first_evidence(hit)
    for s in sets.values():
        s["item_share"] = s["contaminated_items"] / s["items"] if s["items"] else 0.0
        s["ngram_share"] = s["overlapping_ngrams"] / s["ngrams"] if s["ngrams"] else 0.0
    return {
        "medfr_contamination_version": FORMAT_VERSION,
        "n": idx.n,
        "normalisation": NORMALISATION,
        "eval_data": data or os.environ.get("MEDFR_DATA") or "hub",
        "training": [vars(t) for t in training],
        "totals": {
            "items": sum(s["items"] for s in sets.values()),
            "contaminated_items": sum(s["contaminated_items"] for s in sets.values()),
            "training_bytes": sum(t.bytes for t in training),
            "training_documents": sum(t.documents for t in training),
            "contaminated_documents": sum(t.contaminated_documents for t in training),
        },
        "sets": sets,
        "skipped_sets": dict(skipped or {}),
        "skipped_files": dict(skipped_files or {}),
    }
