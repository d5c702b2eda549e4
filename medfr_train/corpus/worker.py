"""One batch of documents: segment, filter, language ID (py3langid), hash; run in a process pool."""

from __future__ import annotations

import collections
import unicodedata
from dataclasses import dataclass

from medfr_train.corpus.config import CorpusConfig
from medfr_train.corpus.dedup import sentence_hash
from medfr_train.corpus.filters import _compile_repeat, check_sentence
from medfr_train.corpus.segment import paragraphs, split_sentences

_IDENTIFIER = None


def _identifier():
    """py3langid's identifier with probabilities, loaded once per process."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


def _lang_groups(sentences: list[str], scope: str, group_chars: int) -> list[list[int]]:
    """Indices of the sentences to classify together."""
    if not sentences:
        return []
    if scope == "document":
        return [list(range(len(sentences)))]
    if scope == "sentence":
        return [[i] for i in range(len(sentences))]
    groups: list[list[int]] = []
    cur: list[int] = []
    size = 0
    for i, s in enumerate(sentences):
        cur.append(i)
        size += len(s) + 1
        if size >= group_chars:
            groups.append(cur)
            cur, size = [], 0
    if cur:
        if groups:  # a short tail is too little text for a reliable guess
            groups[-1].extend(cur)
        else:
            groups.append(cur)
    return groups


@dataclass
class _DocResult:
    """One document's surviving sentences (before corpus dedup), sent back to the writer."""

    sentences: list[str]
    paragraph_ids: list[int]
    hashes: bytes  # 8 bytes per sentence


def process_documents(
    docs: list[str], cfg: CorpusConfig
) -> tuple[list[_DocResult], dict[str, int], int]:
    """Segment, filter and language-check a batch of documents.

    Returns the per-document survivors, the drop counts and the number of
    sentences read. Runs in worker processes: no shared state but the
    language identifier.
    """
    repeat_re = _compile_repeat(cfg.max_char_repeat)
    dropped: dict[str, int] = collections.Counter()
    n_read = 0
    results: list[_DocResult] = []
    ident = _identifier() if cfg.lang else None
    for doc in docs:
        doc = unicodedata.normalize("NFC", doc)
        kept: list[str] = []
        para_ids: list[int] = []
        for p_id, para in enumerate(paragraphs(doc)):
            for s in split_sentences(para):
                n_read += 1
                reason = check_sentence(s, cfg, repeat_re)
                if reason is None:
                    kept.append(s)
                    para_ids.append(p_id)
                else:
                    dropped[reason] += 1
        if ident is not None and kept:
            keep_mask = [True] * len(kept)
            for group in _lang_groups(kept, cfg.lang_scope, cfg.lang_group_chars):
                lang, prob = ident.classify(" ".join(kept[i] for i in group))
                if lang != cfg.lang or prob < cfg.lang_threshold:
                    for i in group:
                        keep_mask[i] = False
                    dropped["language"] += len(group)
            kept = [s for s, k in zip(kept, keep_mask, strict=True) if k]
            para_ids = [p for p, k in zip(para_ids, keep_mask, strict=True) if k]
        if cfg.dedup_scope == "document" and kept:
            seen: set[str] = set()
            keep_idx = []
            for i, s in enumerate(kept):
                if s in seen:
                    dropped["duplicate"] += 1
                else:
                    seen.add(s)
                    keep_idx.append(i)
            kept = [kept[i] for i in keep_idx]
            para_ids = [para_ids[i] for i in keep_idx]
        hashes = b"".join(map(sentence_hash, kept)) if cfg.dedup_scope == "corpus" else b""
        results.append(_DocResult(kept, para_ids, hashes))
    return results, dict(dropped), n_read


_WORKER_CFG: CorpusConfig | None = None


def _init_worker(cfg: CorpusConfig) -> None:
    global _WORKER_CFG
    _WORKER_CFG = cfg
    if cfg.lang:
        _identifier()


def _worker_batch(docs: list[str]):
    assert _WORKER_CFG is not None
    return process_documents(docs, _WORKER_CFG)
