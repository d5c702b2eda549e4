"""The judge's address, split into what is sent and what may be written down.

``MEDFR_JUDGE_URL`` may carry credentials: a user and password
(``https://user:pass@host/v1``) or a token in the query (``...?token=...``),
the ways several hosted and self-hosted endpoints take keys. Those parts go
into the request only. What medfr writes into results, sample logs, the
verdict cache, reports and messages is the *public* form,
``scheme://host[:port]/path``: no userinfo, no query, no fragment. It is also
the endpoint part of the judge's identity, so rotating a key (a new password,
a new token) keeps the identity, and cached verdicts, of the same judge.

Every error text that could hold a secret (a server's answer echoing the
``Authorization`` header, an exception naming the address) passes through
:func:`redact`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from medfr_eval.core.errors import DataError

CHAT_PATH = "/chat/completions"
REDACTED = "<redacted>"
SCHEMES = ("http", "https")


def _bad_char(text: str) -> int | None:
    """Index of the first character an HTTP request line or header cannot carry (space,
    control, non-ASCII), or None."""
    for i, ch in enumerate(text):
        if not 0x21 <= ord(ch) <= 0x7E:
            return i
    return None


def public_url(url: str) -> str:
    """``scheme://host[:port]/path`` of ``url``: userinfo, query and fragment dropped.

    Never raises: it also cleans endpoints read back from logs written by
    other versions, which may hold anything."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return REDACTED
    if not parts.scheme or not parts.netloc:
        return str(url).split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


@dataclass(frozen=True)
class Endpoint:
    """A checked judge URL: where to connect, what to send, and what to show."""

    https: bool
    host: str
    port: int | None
    target: str  # request path with the query: "/v1/chat/completions?token=..."
    public: str  # scheme://host[:port]/path, safe to write anywhere
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    query: str = field(default="", repr=False)

    def __repr__(self) -> str:  # never print a secret
        return f"Endpoint({self.public!r})"

    def basic_auth(self) -> str | None:
        """The ``Authorization`` value for userinfo in the URL, or None without userinfo."""
        if not self.username and not self.password:
            return None
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def secrets(self) -> list[str]:
        """Every text of the URL that must never be written: userinfo and query values,
        raw and decoded, and the Basic token they make."""
        found = [self.username, self.password, self.query]
        found += [unquote(s) for s in (self.username, self.password)]
        found += [v for _, v in parse_qsl(self.query, keep_blank_values=False)]
        found += [pair.partition("=")[2] for pair in self.query.split("&")]
        auth = self.basic_auth()
        if auth:
            found.append(auth.split(" ", 1)[1])
        return [s for s in found if s]


def parse_endpoint(url: str, field_name: str = "MEDFR_JUDGE_URL") -> Endpoint:
    """Check ``url`` and split it; errors show at most its public form, never a secret.

    The path is the API base (``/v1``) or the full ``.../chat/completions``
    address; ``/chat/completions`` is joined to the path, and the query is
    kept for the request (``/v1?token=X`` -> ``/v1/chat/completions?token=X``)."""
    bad = _bad_char(url)
    if bad is not None:
        raise DataError(
            f"holds a space, a control or a non-ASCII character (position {bad + 1}); "
            "percent-encode it",
            field=field_name,
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise DataError(f"not a URL ({exc})", field=field_name) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"{scheme}:" if scheme else "none"
        raise DataError(f"expected an http(s) URL, got scheme {shown}", field=field_name)
    if not parts.hostname:
        raise DataError(f"no host in {public_url(url)}", field=field_name)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        shown = parts.netloc.rpartition("@")[2]
        raise DataError(f"the port in {shown!r} must be a number from 1 to 65535", field=field_name)
    path = parts.path.rstrip("/")
    if not path.endswith(CHAT_PATH):
        path += CHAT_PATH
    target = path + (f"?{parts.query}" if parts.query else "")
    return Endpoint(
        https=scheme == "https",
        host=parts.hostname,
        port=port,
        target=target,
        public=public_url(url),
        username=parts.username or "",
        password=parts.password or "",
        query=parts.query,
    )


def check_api_key(key: str, field_name: str = "MEDFR_JUDGE_API_KEY") -> str:
    """The key without surrounding whitespace; refused (without showing it) when an HTTP
    header cannot carry it: a CR or LF in a header would end it and start another."""
    key = key.strip()
    bad = _bad_char(key)
    if bad is not None:
        raise DataError(
            f"holds a space, a control or a non-ASCII character (position {bad + 1} of "
            f"{len(key)}); an HTTP header cannot carry it",
            field=field_name,
        )
    return key


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by ``<redacted>`` (longest first, so a secret
    holding another is replaced whole)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
