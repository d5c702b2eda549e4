"""``prepare_corpus``: stream files through the workers, dedup, write JSONL and the report atomically."""

from __future__ import annotations

import collections
import dataclasses
import gzip
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medfr_eval.core.fileio import temp_beside, term_as_interrupt, write_json_atomic
from medfr_train.corpus.config import CorpusConfig, CorpusReport
from medfr_train.corpus.dedup import HashSet64
from medfr_train.corpus.readers import expand_inputs, read_documents
from medfr_train.corpus.report import format_dropped
from medfr_train.corpus.worker import _init_worker, _worker_batch, process_documents
from medfr_train.errors import CorpusError


def _batches(
    files: list[Path], text_field: str, bar, batch_chars: int, batch_docs: int
) -> Iterator[list[str]]:
    batch: list[str] = []
    chars = 0
    for path in files:
        for text, nbytes in read_documents(path, text_field):
            if bar is not None and nbytes:
                bar.update(nbytes)
            if text is None:  # progress only
                continue
            batch.append(text)
            chars += len(text)
            if chars >= batch_chars or len(batch) >= batch_docs:
                yield batch
                batch, chars = [], 0
    if batch:
        yield batch


def _results(batches: Iterator[list[str]], cfg: CorpusConfig, workers: int):
    """Processed batches, in input order, with at most ``2 x workers`` in flight."""
    if workers <= 1:
        for batch in batches:
            yield process_documents(batch, cfg)
        return
    import multiprocessing as mp

    # spawn, not fork: the caller may hold threads (tqdm monitor, torch) that fork would copy.
    # Except when __main__ is not a file spawn can re-import (``python - <<EOF``): spawned
    # workers would die at start-up and the pool would respawn them forever.
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    method = "spawn"
    if main_file and not os.path.exists(main_file) and "fork" in mp.get_all_start_methods():
        method = "fork"
    ctx = mp.get_context(method)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(cfg,)) as pool:
        pending: collections.deque = collections.deque()
        for batch in batches:
            pending.append(pool.apply_async(_worker_batch, (batch,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def default_report_path(output: Path) -> Path:
    name = output.name
    for suffix in (".jsonl.gz", ".jsonl", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return output.with_name(name + ".report.json")


def prepare_corpus(
    inputs: Sequence[str | Path] | str | Path,
    output: str | Path,
    *,
    config: CorpusConfig | None = None,
    workers: int = 1,
    report_path: str | Path | None = None,
    progress: bool = True,
    batch_chars: int = 1 << 20,
    batch_docs: int = 512,
    **options: Any,
) -> CorpusReport:
    """Prepare a CPT corpus: read, segment, filter, language-check, dedup, write JSONL.

    ``options`` override fields of ``config`` (e.g. ``min_words=3``). The output
    is a ``{"text": ...}`` JSONL file (gzip if it ends in ``.gz``); the report is
    also written as JSON (default ``<output stem>.report.json``). Raises
    CorpusError, with nothing written, on bad input or an empty result.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    cfg = _config(config, options, workers)
    files = expand_inputs([inputs] if isinstance(inputs, (str, Path)) else inputs)
    out = Path(output)
    report_file = Path(report_path) if report_path else default_report_path(out)
    for f in files:
        if f.resolve() in (out.resolve(), report_file.resolve()):
            raise CorpusError("the output would overwrite an input file", file=f)
    # The output's folder is made as every medfr writer makes it (the documented
    # `-o data/nachos/nachos.jsonl` names one that a new checkout lacks); a file in
    # its way is refused before any input is read.
    blocker = next((p for p in (out.parent, *out.parent.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise CorpusError("is a file, not a folder: cannot hold the output", file=blocker)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorpusError(
            f"cannot make the output folder: {exc.strerror}", file=out.parent
        ) from None
    for target, flag in ((out, "--output"), (report_file, "--report")):
        if target.is_dir():
            raise CorpusError("is a folder; give a file name", file=target, field=flag)

    report = CorpusReport(
        inputs=[str(f) for f in files], output=str(out), config=dataclasses.asdict(cfg)
    )
    seen = HashSet64() if cfg.dedup_scope == "corpus" else None
    total_bytes = sum(f.stat().st_size for f in files)
    bar = tqdm(
        total=total_bytes,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc="corpus",
        disable=not progress,
        dynamic_ncols=True,
    )
    opener = gzip.open if out.name.endswith(".gz") else open
    tmp = temp_beside(out)
    try:
        with term_as_interrupt(), opener(tmp, "wt", encoding="utf-8") as sink:
            batches = _batches(files, cfg.text_field, bar, batch_chars, batch_docs)
            for results, dropped, n_read in _results(batches, cfg, workers):
                _write_batch(sink, results, dropped, n_read, seen, report)
                bar.set_postfix(docs=report.documents_kept, refresh=False)
        report.bytes_read = total_bytes
        if seen is not None:
            report.unique_hashes = len(seen)
            report.dedup_table_bytes = seen.nbytes
        if report.documents_kept == 0:
            raise CorpusError(
                f"empty corpus after filtering: {report.documents_read} document(s) and "
                f"{report.sentences_read} sentence(s) read from {', '.join(map(str, files))}, "
                f"none kept (dropped: {format_dropped(report.dropped)}); nothing written to {out}"
            )
        report.wall_time_s = round(time.perf_counter() - start, 3)
        os.replace(tmp, out)
        write_json_atomic(report_file, report.to_dict())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    return report


def _config(config: CorpusConfig | None, options: dict[str, Any], workers: Any) -> CorpusConfig:
    """``config`` with ``options`` applied, checked (errors name the option)."""
    cfg = config or CorpusConfig()
    if options:
        unknown = sorted(set(options) - {f.name for f in dataclasses.fields(CorpusConfig)})
        if unknown:
            raise CorpusError("unknown corpus option", field=unknown[0])
        cfg = dataclasses.replace(cfg, **options)
    cfg.validate()
    if not isinstance(workers, int) or workers < 1:
        raise CorpusError(f"must be a positive integer, got {workers!r}", field="workers")
    return cfg


def _write_batch(sink, results, dropped: dict[str, int], n_read: int, seen, report) -> None:
    """Dedup one processed batch against the corpus so far, write its documents, count."""
    report.sentences_read += n_read
    for reason, n in dropped.items():
        report.dropped[reason] += n
    if seen is not None:
        all_hashes = np.frombuffer(b"".join(r.hashes for r in results), dtype=np.uint64)
        new_mask = seen.add(all_hashes)
    offset = 0
    for r in results:
        report.documents_read += 1
        n = len(r.sentences)
        if seen is not None:
            keep = new_mask[offset : offset + n]
            offset += n
            report.dropped["duplicate"] += int(n - keep.sum())
            pairs = [
                (s, p) for s, p, k in zip(r.sentences, r.paragraph_ids, keep, strict=True) if k
            ]
        else:
            pairs = list(zip(r.sentences, r.paragraph_ids, strict=True))
        if not pairs:
            report.documents_dropped += 1
            continue
        text = _join(pairs)
        sink.write(json.dumps({"text": text}, ensure_ascii=False))
        sink.write("\n")
        report.documents_kept += 1
        report.sentences_kept += len(pairs)
        report.words_written += sum(s.count(" ") + 1 for s, _ in pairs)
        report.chars_written += len(text)


def _join(pairs: list[tuple[str, int]]) -> str:
    """Kept sentences back into text: a space within a paragraph, a newline between them."""
    parts = [pairs[0][0]]
    for (s, p), (_, prev_p) in zip(pairs[1:], pairs, strict=False):
        parts.append("\n" if p != prev_p else " ")
        parts.append(s)
    return "".join(parts)
