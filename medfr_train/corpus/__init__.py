"""CPT corpus preparation: ``medfr-train prepare-corpus``.

The study prepared NACHOS (7.4 GB of French medical web text) by sentence
segmentation, aggressive filtering of short or low-quality sentences and
language identification. This package does the same in one streaming pass:

    read documents -> split into sentences -> quality filters -> French language ID
    -> exact sentence dedup -> write ``{"text": ...}`` JSONL (the CPT schema)

Why it is built this way:

* **Streaming.** Readers yield one document at a time (``.txt`` blocks separated
  by blank lines, ``.jsonl`` lines, ``.parquet`` record batches, ``.gz`` for the
  text formats); at most ``2 x workers`` batches of a few hundred documents are
  in flight, so a 7 GB corpus never sits in RAM. A ``.txt`` block with no blank
  line for ``MAX_BLOCK_CHARS`` characters is cut at a line boundary for the
  same reason.
* **Own sentence splitter.** No PyPI splitter fits: NLTK's punkt and spaCy need
  a model download, pysbd is slow (a Python loop of ~100 regexes per text) and
  has no French medical abbreviations. French needs few rules: split after
  ``. ! ? …`` (and closing quotes) when the next word starts with a capital, a
  digit or an opening quote, except after titles and reference abbreviations
  (``M.``, ``Dr.``, ``p. ex.``, ``cf.``, ``et al.``), initials (``J. Dupont``)
  and dotted forms (``J.-C.``, ``i.e.``). Decimals (``2.5 mg``, ``0,5``) never
  have a space after the separator, so they never split. ``etc.`` ends a
  sentence when a capital follows. Known trade-off: a capital letter before a
  period (``vitamine C. Le ...``) reads as an initial and does not split.
* **Language ID with py3langid**, which ships its model (no download). It is
  applied per *group* of consecutive sentences by default (at least
  ``lang_group_chars`` characters): a single short sentence is too little text
  for a reliable guess, while a whole document would keep an English abstract
  inside a French thesis. ``document`` and ``sentence`` scopes are available.
* **Dedup by 8-byte hashes** (BLAKE2b) in ``HashSet64``, an open-addressing
  numpy table kept between one quarter and one half full: 16 to 32 bytes per
  unique sentence (about 1-2 GB for NACHOS's ~60 M sentences), where a Python
  ``set`` of ints costs ~70 bytes. The chance that two different sentences share
  a 64-bit hash is about n^2 / 2^65 (~1e-4 for 60 M sentences).
* **Nothing half-written.** Output goes to ``<output>.tmp`` and is renamed at the
  end; an error, or a corpus left empty by the filters, removes it.

Modules: ``readers`` (streaming input), ``segment`` (sentences), ``filters``
(quality checks), ``worker`` (language ID and one batch, in a process pool),
``dedup`` (hash table), ``driver`` (``prepare_corpus``), ``report`` and ``cli``.
"""

from medfr_train.corpus.config import (
    DEDUP_SCOPES,
    DROP_REASONS,
    LANG_SCOPES,
    CorpusConfig,
    CorpusReport,
)
from medfr_train.corpus.dedup import HashSet64, sentence_hash
from medfr_train.corpus.driver import default_report_path, prepare_corpus
from medfr_train.corpus.filters import _compile_repeat, check_sentence
from medfr_train.corpus.readers import (
    MAX_BLOCK_CHARS,
    SUFFIXES,
    expand_inputs,
    file_kind,
    read_documents,
    read_jsonl,
    read_parquet,
    read_txt,
)
from medfr_train.corpus.report import print_report
from medfr_train.corpus.segment import paragraphs, split_sentences
from medfr_train.corpus.worker import process_documents
from medfr_train.errors import CorpusError

__all__ = [
    "DEDUP_SCOPES",
    "DROP_REASONS",
    "LANG_SCOPES",
    "MAX_BLOCK_CHARS",
    "SUFFIXES",
    "CorpusConfig",
    "CorpusError",
    "CorpusReport",
    "HashSet64",
    "_compile_repeat",
    "check_sentence",
    "default_report_path",
    "expand_inputs",
    "file_kind",
    "paragraphs",
    "prepare_corpus",
    "print_report",
    "process_documents",
    "read_documents",
    "read_jsonl",
    "read_parquet",
    "read_txt",
    "sentence_hash",
    "split_sentences",
]
