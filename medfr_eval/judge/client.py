"""Asking an OpenAI-compatible chat endpoint, many prompts at once.

Standard library only: ``http.client`` with one kept-alive connection per
worker thread (``urllib`` opens a new TCP connection per request, which alone
costs more than the 2 ms per item medfr allows itself) and a bounded
``ThreadPoolExecutor``. Each request asks for one token at temperature 0.
Connection errors, timeouts, 429 and 5xx are retried with exponential
backoff, or after the server's ``Retry-After`` when it gives one (capped);
other 4xx (bad key, unknown model) fail at once, since retrying cannot fix them.

Bounds, because the endpoint is a remote program medfr does not control:

- ``MEDFR_JUDGE_TIMEOUT`` is the whole request (connect, send, wait, read), not
  one socket read: a server sending a byte every half second is cut at the
  deadline by :class:`_Watchdog`, which shuts the socket down.
- An answer body is read up to :data:`MAX_BODY_BYTES` (a one-token answer is
  a few hundred bytes); a larger one is refused unread.
- Redirects are never followed: the key would go to the other host.
- Error texts are redacted (:func:`.endpoint.redact`): a 401 body echoing the
  ``Authorization`` header, an exception naming the address.

Why not the ``openai`` package (measured, see docs/judge.md): its
httpx timeouts are per socket operation with no bound on the whole request, it
reads every answer body whole, and its per-request overhead was above medfr's
2 ms per item budget on the benchmark; each bound above would need a wrapper
around it as long as this client.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from email.utils import parsedate_to_datetime

from medfr_eval.core.errors import MedfrError
from medfr_eval.judge.config import JudgeConfig
from medfr_eval.judge.endpoint import CHAT_PATH, public_url, redact

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
#: The largest answer body read; a chat-completions answer of one token is far smaller.
MAX_BODY_BYTES = 1 << 20
#: The longest ``Retry-After`` honoured, in seconds; a larger one is cut to this.
MAX_RETRY_AFTER = 60.0
#: How much of an error answer is shown.
ERROR_TEXT_CHARS = 300


class JudgeRequestError(MedfrError):
    """The endpoint could not give a verdict (after retries, or a non-retryable answer)."""


class _Retryable(Exception):
    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def chat_url(url: str) -> str:
    """The chat-completions address for an API base (``.../v1``) or a full address."""
    url = url.rstrip("/")
    return url if url.endswith(CHAT_PATH) else url + CHAT_PATH


class _Watchdog:
    """One thread that shuts a request's socket down when its deadline passes.

    Why: a socket timeout bounds each read, not the request; a blocked read
    returns at once when its socket is shut down, from any thread. One thread
    for the process, started on first use, holds the armed deadlines in a heap."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, socket.socket] = {}
        self._fired: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, deadline: float) -> int:
        with self._cond:
            token = next(self._ids)
            self._armed[token] = sock
            heapq.heappush(self._heap, (deadline, token))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="medfr-judge-watchdog", daemon=True
                )
                self._thread.start()
            if self._heap[0][1] == token:
                self._cond.notify()
            return token

    def disarm(self, token: int) -> bool:
        """Forget ``token``; True when its deadline passed and the socket was shut."""
        with self._cond:
            self._armed.pop(token, None)
            if token in self._fired:
                self._fired.discard(token)
                return True
            return False

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # disarmed in time
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                sock = self._armed.pop(token)
                self._fired.add(token)
                try:
                    # socket.socket's own shutdown, also for an SSL socket: the
                    # blocked reader gets an error, the TLS state is left alone
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass


_WATCHDOG = _Watchdog()


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number or an HTTP date), capped; None if absent."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class EndpointJudge:
    """Sends judge prompts to ``config.url``; ``ask_many`` yields ``(index, raw_text)`` as answers arrive."""

    def __init__(self, config: JudgeConfig) -> None:
        self.config = config
        self.endpoint = config.parsed_endpoint()
        self._secrets = config.secrets()
        self._headers = {"Content-Type": "application/json"}
        auth = f"Bearer {config.api_key}" if config.api_key else self.endpoint.basic_auth()
        if auth:
            self._headers["Authorization"] = auth
        self._local = threading.local()
        self.requests_sent = 0  # attempts, retries included (for tests and the benchmark)
        self._count_lock = threading.Lock()

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)

    # ---------------------------------------------------------------- one request
    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            ep = self.endpoint
            cls = http.client.HTTPSConnection if ep.https else http.client.HTTPConnection
            conn = cls(ep.host, ep.port, timeout=timeout)
            self._local.conn = conn
        if conn.sock is None:
            conn.timeout = timeout
            conn.connect()
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def _exchange(self, body: bytes) -> tuple[http.client.HTTPResponse, bytes]:
        """Send one request and read its answer, all within ``config.timeout``."""
        timeout = self.config.timeout
        deadline = time.monotonic() + timeout
        conn = self._connection(timeout)
        token = _WATCHDOG.arm(conn.sock, deadline)
        try:
            result = self._send_and_read(conn, body)
        except BaseException:
            if not _WATCHDOG.disarm(token):
                self._drop_connection()
                raise
        else:
            if not _WATCHDOG.disarm(token):
                return result
        # the deadline passed: what was read may be cut short (a shut socket reads as the end)
        self._drop_connection()
        raise _Retryable(f"no complete answer within {timeout:g} s (MEDFR_JUDGE_TIMEOUT)")

    def _send_and_read(
        self, conn: http.client.HTTPConnection, body: bytes
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """One POST and its answer body, read up to :data:`MAX_BODY_BYTES`."""
        conn.request("POST", self.endpoint.target, body=body, headers=self._headers)
        response = conn.getresponse()
        if response.length is not None and response.length > MAX_BODY_BYTES:
            raise JudgeRequestError(
                f"judge endpoint {self.endpoint.public} announced an answer of "
                f"{response.length} bytes, above the {MAX_BODY_BYTES} medfr reads",
                field="MEDFR_JUDGE_URL",
            )
        limit = MAX_BODY_BYTES if response.status == 200 else 4096
        payload = response.read(limit + 1)
        if response.status == 200 and len(payload) > limit:
            raise JudgeRequestError(
                f"judge endpoint {self.endpoint.public} sent an answer longer than "
                f"{MAX_BODY_BYTES} bytes; not read further",
                field="MEDFR_JUDGE_URL",
            )
        if not response.isclosed():  # an error body left unread: this connection is spent
            self._drop_connection()
        return response, payload

    def _attempt(self, body: bytes) -> str:
        with self._count_lock:
            self.requests_sent += 1
        try:
            response, payload = self._exchange(body)
        except (OSError, http.client.HTTPException) as exc:  # timeouts are OSError
            self._drop_connection()
            raise _Retryable(self._clean(f"{type(exc).__name__}: {exc}")) from None
        status = response.status
        if status in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {status}", _retry_after(response.getheader("Retry-After")))
        if 300 <= status < 400:
            where = public_url(response.getheader("Location") or "?")
            raise JudgeRequestError(
                f"judge endpoint {self.endpoint.public} answered HTTP {status}, a redirect "
                f"to {where}; redirects are not followed (the key would go with it): "
                "set MEDFR_JUDGE_URL to the final address",
                field="MEDFR_JUDGE_URL",
            )
        if status != 200:
            text = payload.decode("utf-8", "replace")
            text = " ".join(self._clean(text).split())[:ERROR_TEXT_CHARS]
            raise JudgeRequestError(
                f"judge endpoint {self.endpoint.public} answered HTTP {status}: {text}",
                field="MEDFR_JUDGE_URL",
            )
        try:
            data = json.loads(payload)
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError, RecursionError) as exc:
            name = type(exc).__name__
            raise _Retryable(f"not a chat-completions answer (JSON expected; {name})") from None
        if content is None:
            return ""
        if not isinstance(content, str):  # the API answers text; anything else is no verdict
            return f"(not text: {type(content).__name__})"
        return content

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
                    backoff = min(self.config.backoff * 2**attempt, 30.0)
                    time.sleep(backoff if exc.wait is None else max(exc.wait, backoff))
        raise JudgeRequestError(
            f"judge endpoint {self.endpoint.public} failed after "
            f"{self.config.retries + 1} tries: {last}",
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
