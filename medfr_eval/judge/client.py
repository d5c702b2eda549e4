"""Asking an OpenAI-compatible chat endpoint, many prompts at once.

Standard library only: ``http.client`` with one kept-alive connection per
worker thread (``urllib`` opens a new TCP connection per request, which alone
costs more than the 2 ms per item medfr allows itself) and a bounded
``ThreadPoolExecutor``. Each request asks for one token at temperature 0.
Connection errors, timeouts, 429 and 5xx are retried with exponential
backoff; other 4xx (bad key, unknown model) fail at once with the server's
message, since retrying cannot fix them.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from urllib.parse import urlsplit

from medfr_eval.errors import MedfrError
from medfr_eval.judge.config import JudgeConfig

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class JudgeRequestError(MedfrError):
    """The endpoint could not give a verdict (after retries, or a non-retryable answer)."""


class _Retryable(Exception):
    pass


def chat_url(url: str) -> str:
    """The chat-completions address for an API base (``.../v1``) or a full address."""
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


class EndpointJudge:
    """Sends judge prompts to ``config.url``; ``ask_many`` yields ``(index, raw_text)`` as answers arrive."""

    def __init__(self, config: JudgeConfig) -> None:
        self.config = config
        parts = urlsplit(chat_url(config.url or ""))
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = parts.path + (f"?{parts.query}" if parts.query else "")
        self._local = threading.local()
        self.requests_sent = 0  # attempts, retries included (for tests and the benchmark)
        self._count_lock = threading.Lock()

    # ---------------------------------------------------------------- one request
    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.config.timeout)
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def _attempt(self, body: bytes) -> str:
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        with self._count_lock:
            self.requests_sent += 1
        try:
            conn = self._connection()
            conn.request("POST", self._path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:  # timeouts are OSError
            self._drop_connection()
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        if response.status in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {response.status}")
        if response.status != 200:
            text = payload[:300].decode("utf-8", "replace")
            raise JudgeRequestError(
                f"judge endpoint answered HTTP {response.status}: {text}", field="MEDFR_JUDGE_URL"
            )
        try:
            data = json.loads(payload)
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _Retryable(f"malformed chat-completions answer ({exc})") from exc
        return "" if content is None else str(content)

    def ask(self, prompt: str) -> str:
        """One verdict text, retrying transient failures with backoff."""
        body = json.dumps(
            {
                "model": self.config.model,
                "messages": [{"role": "user", "content": prompt}],
                "temperature": 0,
                "max_tokens": 1,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        last = ""
        for attempt in range(self.config.retries + 1):
            try:
                return self._attempt(body)
            except _Retryable as exc:
                last = str(exc)
                if attempt < self.config.retries:
                    time.sleep(min(self.config.backoff * 2**attempt, 30.0))
        raise JudgeRequestError(
            f"judge endpoint failed after {self.config.retries + 1} tries: {last}",
            field="MEDFR_JUDGE_URL",
        )

    # ---------------------------------------------------------------- many
    def ask_many(self, prompts: list[str]) -> Iterator[tuple[int, str]]:
        """``(index, raw)`` for every prompt, at most ``config.concurrency`` in flight.

        A failure cancels what has not started and is raised; the verdicts
        already yielded have been cached by the caller, so a rerun resumes."""
        if not prompts:
            return
        workers = min(self.config.concurrency, len(prompts))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="medfr-judge") as pool:
            futures = {pool.submit(self.ask, p): i for i, p in enumerate(prompts)}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            finally:
                for future in futures:
                    future.cancel()
