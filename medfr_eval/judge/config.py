"""Which judge, read from the environment, and how to recognise it in results.

- ``MEDFR_JUDGE_URL`` + ``MEDFR_JUDGE_MODEL``: an OpenAI-compatible chat
  endpoint (vLLM, TGI, a hosted API); the URL is the API base
  (``http://host:8000/v1``) or the full ``.../chat/completions`` address. The
  key, if any, comes from ``MEDFR_JUDGE_API_KEY`` (sent as a Bearer token), or
  from the URL's userinfo (sent as Basic auth) or query (sent as given); none
  of them is ever written or logged (:mod:`.endpoint`).
- ``MEDFR_JUDGE_MODEL`` alone: a local transformers model (hub id or path),
  loaded once per process.
- Neither: no judge; open-QA tasks report no ``judge`` metric.

Tuning (all optional): ``MEDFR_JUDGE_CONCURRENCY`` (8 requests in flight),
``MEDFR_JUDGE_TIMEOUT`` (60 s for one request in all: connect, send, wait,
read), ``MEDFR_JUDGE_RETRIES`` (4 more
tries after the first, exponential backoff), ``MEDFR_JUDGE_BATCH_SIZE`` (8,
local judge), ``MEDFR_JUDGE_DEVICE`` (local judge), ``MEDFR_JUDGE_CACHE`` (the
verdict store; ``off`` disables it).

The *identity* of a judge is what makes two judge scores comparable: the
model, the endpoint (its public form ``scheme://host[:port]/path``, ``local``
for in-process) and the SHA-256 of the prompt template. It is written into each task's config metadata (``metadata.judge``)
and into every judged sample, and :func:`judge_identity` reads it back from
either so that significance tests can refuse to pair different judges.
"""

from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError
from medfr_eval.judge.endpoint import Endpoint, check_api_key, parse_endpoint, public_url

LOCAL = "local"
IDENTITY_KEYS = ("model", "endpoint", "template_sha256")


def _number(name: str, default: float, cast=float, minimum: float = 1e-9) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except (ValueError, OverflowError):
        raise DataError(f"expected a number, got {raw!r}", field=name) from None
    if not math.isfinite(value):
        raise DataError(f"expected a finite number, got {raw!r}", field=name)
    if value < minimum:
        raise DataError(f"expected a number >= {minimum:g}, got {raw!r}", field=name)
    return value


def default_cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "medfr" / "judge_verdicts.sqlite3"


@dataclass(frozen=True)
class JudgeConfig:
    """Everything a judge run needs; ``api_key`` stays out of identity, logs and repr."""

    model: str
    url: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    concurrency: int = 8
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.5
    batch_size: int = 8
    device: str | None = None
    cache_path: str | None = None
    prompt_dir: str | None = None

    def __repr__(self) -> str:  # never print the key nor the URL's credentials
        return f"JudgeConfig(model={self.model!r}, endpoint={self.endpoint!r})"

    @property
    def endpoint(self) -> str:
        """The public form of the URL (no userinfo, query or fragment), or ``local``."""
        return public_url(self.url) if self.url else LOCAL

    def parsed_endpoint(self) -> Endpoint:
        """The checked URL, split for the request (:func:`.endpoint.parse_endpoint`)."""
        return parse_endpoint(self.url or "")

    def secrets(self) -> list[str]:
        """Every text that must never be written: the key and the URL's credentials."""
        found = [self.api_key or ""]
        if self.url:
            try:
                found += self.parsed_endpoint().secrets()
            except DataError:
                pass
        return [s for s in found if s]

    @classmethod
    def from_env(cls) -> JudgeConfig | None:
        """The configured judge, or None when ``MEDFR_JUDGE_MODEL`` is unset."""
        env = os.environ
        model = env.get("MEDFR_JUDGE_MODEL", "").strip()
        url = env.get("MEDFR_JUDGE_URL", "").strip() or None
        if not model:
            if url:
                raise DataError(
                    "MEDFR_JUDGE_URL needs MEDFR_JUDGE_MODEL", field="MEDFR_JUDGE_MODEL"
                )
            return None
        if url:
            parse_endpoint(url)
        key = check_api_key(env.get("MEDFR_JUDGE_API_KEY") or "") or None
        cache = env.get("MEDFR_JUDGE_CACHE", "").strip()
        return cls(
            model=model,
            url=url,
            api_key=key,
            concurrency=_number("MEDFR_JUDGE_CONCURRENCY", 8, int, minimum=1),
            timeout=_number("MEDFR_JUDGE_TIMEOUT", 60.0),
            retries=_number("MEDFR_JUDGE_RETRIES", 4, int, minimum=0),
            batch_size=_number("MEDFR_JUDGE_BATCH_SIZE", 8, int, minimum=1),
            device=env.get("MEDFR_JUDGE_DEVICE") or None,
            cache_path=None if cache.lower() == "off" else (cache or str(default_cache_path())),
            prompt_dir=env.get("MEDFR_PROMPTS") or None,
        )

    def identity(self, template_sha256: str) -> dict[str, str]:
        return {"model": self.model, "endpoint": self.endpoint, "template_sha256": template_sha256}


def identity_from_env() -> dict[str, str] | None:
    """The configured judge's identity (for the task YAML's ``metadata.judge``), or None."""
    from medfr_eval.judge.prompt import load_template

    config = JudgeConfig.from_env()
    if config is None:
        return None
    return config.identity(load_template(config.prompt_dir).sha256)


class EnvJudgeIdentity:
    """``metadata.judge`` in the task YAML: becomes the configured judge's identity when copied.

    Why not a plain value computed when ``tasks/utils.py`` is imported: lm-eval
    0.4.13 caches that module for the life of the process, so a notebook or a
    test that changes ``MEDFR_JUDGE_*`` between two runs would record the old
    judge. lm-eval writes a task's config into the results with
    ``dataclasses.asdict``, which deep-copies each metadata value, so
    resolving here records the judge in force when the results are made
    (the one the filter used, since it reads the same environment).
    """

    def __deepcopy__(self, memo: dict) -> dict[str, str] | None:
        return identity_from_env()

    def __copy__(self) -> dict[str, str] | None:
        return identity_from_env()

    def __repr__(self) -> str:
        return repr(identity_from_env())


def response_dict(value: Any) -> dict | None:
    """The filter's dict from a response as held in memory or as saved in a sample log.

    lm-eval's ``EvaluationTracker`` writes each filtered response with
    ``str()`` (``utils.sanitize_list``), so a saved dict is its Python repr.
    ``ast.literal_eval`` reads literals only (never runs code), which is
    exactly what that repr holds."""
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    if isinstance(value, str) and value.startswith("{") and len(value) < 1_000_000:
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    return value if isinstance(value, dict) else None


def judge_identity(entry: dict[str, Any]) -> dict[str, str] | None:
    """The judge identity in a task config, a sample-log entry or a judged response; None if unjudged.

    Accepts ``results["configs"][task]`` (``metadata.judge``), one line of an
    lm-eval ``samples_*.jsonl`` (its ``filtered_resps``, in memory or saved), or the filter's
    dict itself (``judge_model``, ``judge_endpoint``, ``judge_template_sha256``).
    """
    if not isinstance(entry, dict):
        return None
    meta = entry.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("judge"), dict):
        found = meta["judge"]
        return _public({k: str(found[k]) for k in IDENTITY_KEYS if k in found}) or None
    if all(f"judge_{k}" in entry for k in IDENTITY_KEYS):
        return _public({k: str(entry[f"judge_{k}"]) for k in IDENTITY_KEYS})
    resp = response_dict(entry.get("filtered_resps"))
    return judge_identity(resp) if resp is not None else None


def _public(identity: dict[str, str]) -> dict[str, str]:
    """An identity read back with its endpoint in public form: a log written by another
    version may hold a URL with credentials, which must go no further."""
    endpoint = identity.get("endpoint")
    if endpoint is not None and endpoint != LOCAL:
        identity["endpoint"] = public_url(endpoint)
    return identity
