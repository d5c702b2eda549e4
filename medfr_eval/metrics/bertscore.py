"""BERTScore for open QA, batched over a whole task and loaded once per process.

lm-eval calls ``process_results`` one document at a time, which would run the
scorer with batches of one. Filters, on the other hand, see every response of
a task at once (``Filter.apply(resps, docs)``), so :class:`BERTScoreFilter`
scores all generations against their references in batches and hands each
document a small dict (the answer text and its precision / recall / F1).
``process_results`` then only reads those numbers, and the per-sample F1
lands in lm-eval's sample log, ready for ``medfr-signif``.

The scorer is bert-score's ``BERTScorer``; its default for French is the one
bert-score itself picks for ``lang="fr"`` (``bert-base-multilingual-cased``,
layer 9). Users choose another with environment variables, no YAML edit:
``MEDFR_BERTSCORE_MODEL`` (hub id or local path), ``MEDFR_BERTSCORE_LAYER``,
``MEDFR_BERTSCORE_BATCH_SIZE``, ``MEDFR_BERTSCORE_DEVICE``,
``MEDFR_BERTSCORE_IDF`` (0/1), ``MEDFR_BERTSCORE_RESCALE`` (0/1).

No surprises: lm-eval loads each task's data when it builds the task, before
any generation, so the open-QA loader (``medfr_eval.data.load.load_set``) loads the
scorer there (:func:`check_scorer`; lm-eval builds filters only at scoring
time, too late for this); a scorer that
cannot load stops the run at once with one line saying which model and how to
point ``MEDFR_BERTSCORE_MODEL`` at a local copy, instead of after hours of
generation. The scorer's identity (model, layer, options, bert-score version)
is written to the task's config metadata (``medfr_bertscore``, in the results)
and to every sample's filtered response (``bertscore_scorer``), so that scores
from different scorers are never compared unknowingly
(:func:`scorer_from_config` reads it back).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

from lm_eval.api.filter import Filter

from medfr_eval.core.errors import DataError, MedfrError

LANG = "fr"


class ScorerError(MedfrError):
    """The BERTScore model cannot be loaded (offline machine, wrong path, bad layer)."""


@dataclass(frozen=True)
class ScorerSpec:
    model_type: str | None = None
    num_layers: int | None = None
    batch_size: int = 64
    device: str | None = None
    idf: bool = False
    rescale_with_baseline: bool = False

    @classmethod
    def from_env(cls, **yaml_kwargs: Any) -> ScorerSpec:
        """YAML filter arguments, overridden by ``MEDFR_BERTSCORE_*`` variables."""
        env = os.environ

        def pick(name: str, key: str, cast):
            raw = env.get(f"MEDFR_BERTSCORE_{name}")
            where = f"MEDFR_BERTSCORE_{name}" if raw not in (None, "") else key
            value = raw if raw not in (None, "") else yaml_kwargs.get(key)
            if value is None:
                return None
            try:
                return cast(value)
            except ValueError:
                raise DataError(f"expected {cast.__name__}, got {value!r}", field=where) from None

        def boolean(v: Any) -> bool:
            return str(v).strip().lower() in ("1", "true", "yes", "on")

        return cls(
            model_type=pick("MODEL", "model_type", str),
            num_layers=pick("LAYER", "num_layers", int),
            batch_size=pick("BATCH_SIZE", "batch_size", int) or 64,
            device=pick("DEVICE", "device", str),
            idf=bool(pick("IDF", "idf", boolean)),
            rescale_with_baseline=bool(pick("RESCALE", "rescale_with_baseline", boolean)),
        )


@functools.lru_cache(maxsize=4)
def get_scorer(spec: ScorerSpec):
    """One ``BERTScorer`` per distinct setting for the life of the process."""
    from bert_score import BERTScorer

    if spec.idf:
        raise DataError(
            "idf weighting needs the reference corpus; use MEDFR_BERTSCORE_IDF=0",
            field="MEDFR_BERTSCORE_IDF",
        )
    scorer = BERTScorer(
        model_type=spec.model_type,
        num_layers=spec.num_layers,
        batch_size=spec.batch_size,
        device=spec.device,
        lang=LANG,
        rescale_with_baseline=spec.rescale_with_baseline,
    )
    # bert-score 0.3.13 passes tokenizer.model_max_length to the tokenizer; a
    # tokenizer saved without one reports ~1e30 and the fast tokenizer overflows.
    tok = scorer._tokenizer
    if tok.model_max_length > 100_000:
        tok.model_max_length = int(getattr(scorer._model.config, "max_position_embeddings", 512))
    return scorer


def default_model() -> str:
    """The model bert-score picks for French when none is given."""
    from bert_score.utils import lang2model

    return lang2model[LANG]


def check_scorer(spec: ScorerSpec) -> dict[str, Any]:
    """Load the scorer now (cached for the run) and return its identity; one line if it fails."""
    model = spec.model_type or default_model()
    try:
        scorer = get_scorer(spec)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScorerError(
            f"the BERTScore model {model!r} cannot be loaded ({type(exc).__name__}: {first}); "
            "the open-QA sets need it, so nothing was generated. Download it once on a connected "
            "machine (huggingface_hub's CLI: `hf download bert-base-multilingual-cased "
            "--local-dir DIR`) and set MEDFR_BERTSCORE_MODEL=DIR (and MEDFR_BERTSCORE_LAYER, 9 "
            "for that model)",
            field="MEDFR_BERTSCORE_MODEL",
        ) from exc
    return scorer_identity(spec, scorer)


def _model_name(model: str | None) -> str:
    """A scorer model as recorded: a local folder by its resolved path, a hub id as given.

    Why: the same folder named relative in one run and absolute in another is one
    scorer; recording where it resolves makes the two runs' identities equal."""
    model = model or default_model()
    return os.path.realpath(model) if os.path.isdir(model) else model


def scorer_identity(spec: ScorerSpec, scorer: Any = None) -> dict[str, Any]:
    """What makes two BERTScore values comparable: model, layer and options."""
    import bert_score

    return {
        "model": _model_name(getattr(scorer, "model_type", None) or spec.model_type),
        "num_layers": getattr(scorer, "num_layers", None) or spec.num_layers,
        "lang": LANG,
        "idf": spec.idf,
        "rescale_with_baseline": spec.rescale_with_baseline,
        "bert_score_version": getattr(bert_score, "__version__", "unknown"),
    }


def scorer_key(identity: dict[str, Any]) -> str:
    """A one-line form of a scorer identity, stored beside every per-sample score."""
    return (
        f"{identity['model']}|layer={identity['num_layers']}|idf={int(bool(identity['idf']))}"
        f"|rescale={int(bool(identity['rescale_with_baseline']))}|bert_score={identity['bert_score_version']}"
    )


def scorer_from_config(task_config: dict[str, Any]) -> dict[str, Any] | None:
    """The scorer identity recorded in an lm-eval task config (``results["configs"][task]``).

    None for tasks without BERTScore, or runs made before medfr recorded it.
    ``medfr-signif`` uses it to refuse pairing values from different scorers.
    """
    metadata = task_config.get("metadata") if isinstance(task_config, dict) else None
    found = metadata.get("medfr_bertscore") if isinstance(metadata, dict) else None
    return dict(found) if isinstance(found, dict) else None


def score(
    candidates: list[str], references: list[str], spec: ScorerSpec | None = None
) -> list[dict[str, float]]:
    """Per-pair BERTScore precision, recall and F1.

    Empty candidates get 0 without calling the model: bert-score sets raw
    scores of empty candidates to 0 as well, but its empty-string path calls a
    tokenizer method that transformers 5 removed.
    """
    spec = spec or ScorerSpec.from_env()
    out = [{"precision": 0.0, "recall": 0.0, "f1": 0.0} for _ in candidates]
    idx = [i for i, c in enumerate(candidates) if c.strip()]
    if idx:
        scorer = get_scorer(spec)
        p, r, f = scorer.score(
            [candidates[i].strip() for i in idx],
            [references[i] for i in idx],
            batch_size=spec.batch_size,
        )
        for j, i in enumerate(idx):
            out[i] = {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j])}
    return out


def clean_generation(text: str) -> str:
    """The answer as scored: generation stripped of surrounding white space."""
    return text.strip()


class BERTScoreFilter(Filter):
    """lm-eval filter: responses -> ``{"answer", "bertscore_precision", "bertscore_recall", "bertscore_f1"}``."""

    def __init__(self, reference_field: str = "answer", **scorer_kwargs: Any) -> None:
        super().__init__()
        self.reference_field = reference_field
        self.spec = ScorerSpec.from_env(**scorer_kwargs)
        # lm-eval builds filters lazily (at scoring time), so the early check is in
        # the dataset loader (medfr_eval.data.load.load_set); here the scorer is cached
        self.identity = check_scorer(self.spec)
        self.key = scorer_key(self.identity)

    def apply(self, resps, docs):
        firsts = [clean_generation(r[0] if isinstance(r, (list, tuple)) else r) for r in resps]
        refs = [str(doc[self.reference_field]) for doc in docs]
        scores = score(firsts, refs, self.spec)
        return [
            {
                "answer": a,
                "bertscore_precision": s["precision"],
                "bertscore_recall": s["recall"],
                "bertscore_f1": s["f1"],
                "bertscore_scorer": self.key,
            }
            for a, s in zip(firsts, scores)
        ]


def openqa_results(doc: dict, results: list[dict]) -> dict[str, float]:
    """``process_results`` for open QA: read the numbers the filter computed."""
    scored = results[0]
    return {k: scored[k] for k in ("bertscore_f1", "bertscore_precision", "bertscore_recall")}
