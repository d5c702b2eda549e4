"""The record schema: one row of a set's file checked against its set's kind.

Kept apart from :mod:`medfr_eval.data.load` (the loader, which decides where the
rows come from) because the public-source fetcher checks every converted row
with the same rules before it writes a file, and the loader may call the
fetcher: both use this module, neither imports the other for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError
from medfr_eval.core.jsonl import iter_jsonl
from medfr_eval.core.sets import EvalSet
from medfr_eval.core.textnorm import nfc


def _need(rec: dict, key: str, typ: type | tuple[type, ...], where: dict) -> Any:
    if key not in rec or rec[key] is None:
        raise DataError("missing", field=key, **where)
    value = rec[key]
    if not isinstance(value, typ) or (isinstance(value, str) and not value.strip()):
        name = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise DataError(f"expected a non-empty {name}, got {value!r}", field=key, **where)
    return value


def validate_record(
    es: EvalSet, rec: Any, *, file: str | Path | None = None, line: int | None = None
) -> dict:
    """Check one record against its set's schema and return it normalised (texts in NFC)."""
    where = {"file": file, "line": line}
    if not isinstance(rec, dict):
        raise DataError(f"expected a JSON object, got {type(rec).__name__}", **where)
    rec = nfc(rec)
    out: dict[str, Any] = {
        "id": str(_need(rec, "id", (str, int), where)),
        "question": _need(rec, "question", str, where),
    }
    if es.kind in ("mcq", "mcq_multi"):
        options = _need(rec, "options", list, where)
        if len(options) != es.n_options:
            raise DataError(
                f"expected {es.n_options} options, got {len(options)}", field="options", **where
            )
        for i, opt in enumerate(options):
            if not isinstance(opt, str) or not opt.strip():
                raise DataError(
                    "every option must be a non-empty string", field=f"options[{i}]", **where
                )
        out["options"] = list(options)
        allowed = es.letters
        if es.kind == "mcq":
            answer = _need(rec, "answer", str, where).strip()
            if answer not in allowed:
                raise DataError(
                    f"expected one of {', '.join(allowed)}, got {answer!r}", field="answer", **where
                )
            out["answer"] = answer
        else:
            answers = _need(rec, "answers", list, where)
            bad = [a for a in answers if a not in allowed]
            if bad or not answers or len(set(answers)) != len(answers):
                raise DataError(
                    f"expected distinct letters among {', '.join(allowed)}, got {answers!r}",
                    field="answers",
                    **where,
                )
            out["answers"] = sorted(answers)
    else:
        out["answer"] = _need(rec, "answer", str, where)
        if es.kind == "openqa_case":
            out["case_id"] = str(_need(rec, "case_id", (str, int), where))
            out["case"] = _need(rec, "case", str, where)
            position = rec.get("position")
            if not isinstance(position, int) or isinstance(position, bool) or position < 1:
                raise DataError(
                    f"expected an integer >= 1, got {position!r}", field="position", **where
                )
            out["position"] = position
    if es.has_context and es.kind != "openqa_case":
        if es.context_optional:  # e.g. MediQAl: a clinical case for some questions only
            context = rec.get("context")
            if context is not None and not isinstance(context, str):
                raise DataError(f"expected a string, got {context!r}", field="context", **where)
            if context and context.strip():
                out["context"] = context
        else:
            out["context"] = _need(rec, "context", str, where)
    for key in es.extra_fields:  # e.g. MediQAl's question_type: kept for per-type scores
        value = rec.get(key)
        if value is not None and not isinstance(value, str):
            raise DataError(f"expected a string, got {value!r}", field=key, **where)
        out[key] = value or ""
    return out


def validate_records(es: EvalSet, records: Iterable[tuple], file: str | Path | None) -> list[dict]:
    """Validate (line, record) pairs; also check unique ids and, per case, unique positions.

    An item may also be (file label, line, record), for rows that each have their
    own label (``data.json[3]``: JSON items have no line of their own)."""
    out: list[dict] = []
    seen: dict[str, str] = {}
    for entry in records:
        where, line, rec = entry if len(entry) == 3 else (file, *entry)
        item = validate_record(es, rec, file=where, line=line)
        if item["id"] in seen:
            raise DataError(
                f"duplicate id {item['id']!r} (first at {seen[item['id']]})",
                file=where,
                line=line,
                field="id",
            )
        seen[item["id"]] = f"line {line}" if line is not None else str(where)
        out.append(item)
    if not out:
        raise DataError(f"no records for set {es.name!r}: the data set is empty", file=file)
    if es.kind == "openqa_case":
        positions: dict[str, set[int]] = defaultdict(set)
        for item in out:
            if item["position"] in positions[item["case_id"]]:
                raise DataError(
                    f"case {item['case_id']!r} has two questions at position {item['position']}",
                    file=file,
                    field="position",
                )
            positions[item["case_id"]].add(item["position"])
    return out


def read_jsonl(path: str | Path) -> list[tuple[int, Any]]:
    """Read a JSONL file as (line number, object) pairs; a broken line names file and line.

    Read as UTF-8 whatever the locale (a BOM is dropped); bytes that are not
    UTF-8 and absurdly nested JSON are one-line errors, not tracebacks."""
    return [(n, value) for n, value, _ in iter_jsonl(path, objects=False)]


# ---------------------------------------------------------------- sources
