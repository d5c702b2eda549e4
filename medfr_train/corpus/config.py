"""Corpus options and the report: what the filters keep, and what a run read and dropped."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from medfr_train.errors import CorpusError

#: Why a sentence was dropped, in the order the checks run (the first failing
#: check is the one counted).
DROP_REASONS = (
    "too_short",
    "too_long",
    "boilerplate",
    "repeated_chars",
    "few_letters",
    "many_digits",
    "many_punct",
    "language",
    "duplicate",
)

LANG_SCOPES = ("group", "document", "sentence")
DEDUP_SCOPES = ("corpus", "document", "none")


@dataclass(frozen=True)
class CorpusConfig:
    """Filter thresholds. Defaults aim at the study's "aggressive" filtering of web text."""

    min_words: int = 5
    min_chars: int = 25
    max_chars: int = 2000
    min_letter_ratio: float = 0.6  # letters / non-space characters
    max_digit_ratio: float = 0.25  # digits / non-space characters
    max_punct_ratio: float = 0.15  # other symbols / non-space characters
    max_char_repeat: int = 5  # longest run of one character ("......", "!!!!!!"); 0 = no check
    boilerplate: bool = True  # URLs, e-mails, cookie banners, "tous droits réservés"...
    lang: str = "fr"
    lang_threshold: float = 0.7  # py3langid normalised probability
    lang_scope: str = "group"
    lang_group_chars: int = 300
    dedup_scope: str = "corpus"
    text_field: str = "text"  # JSONL field / parquet column holding the text

    def validate(self) -> None:
        """Refuse options that make no sense, naming the option."""
        for name in ("min_words", "min_chars", "max_chars", "max_char_repeat", "lang_group_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise CorpusError(f"must be a non-negative integer, got {value!r}", field=name)
        if self.max_char_repeat > 1000:
            raise CorpusError(
                "must be at most 1000 (0 turns the check off)", field="max_char_repeat"
            )
        for name in ("min_letter_ratio", "max_digit_ratio", "max_punct_ratio", "lang_threshold"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise CorpusError(f"must be between 0 and 1, got {value!r}", field=name)
        if self.min_chars > self.max_chars:
            raise CorpusError(
                f"({self.min_chars}) is above 'max_chars' ({self.max_chars})", field="min_chars"
            )
        if self.lang_scope not in LANG_SCOPES:
            raise CorpusError(
                f"must be one of {LANG_SCOPES}, got {self.lang_scope!r}", field="lang_scope"
            )
        if self.dedup_scope not in DEDUP_SCOPES:
            raise CorpusError(
                f"must be one of {DEDUP_SCOPES}, got {self.dedup_scope!r}", field="dedup_scope"
            )
        if self.lang and not re.fullmatch(r"[a-z]{2,3}", self.lang):
            raise CorpusError(
                f"must be an ISO 639-1 code such as 'fr', got {self.lang!r}", field="lang"
            )
        if not self.text_field:
            raise CorpusError("must not be empty", field="text_field")


@dataclass
class CorpusReport:
    """What was read, kept and dropped (written as JSON next to the output)."""

    inputs: list[str]
    output: str
    config: dict[str, Any]
    bytes_read: int = 0
    documents_read: int = 0
    documents_kept: int = 0
    documents_dropped: int = 0  # no sentence left after filtering
    sentences_read: int = 0
    sentences_kept: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DROP_REASONS, 0))
    words_written: int = 0
    chars_written: int = 0
    unique_hashes: int = 0
    dedup_table_bytes: int = 0
    wall_time_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
