"""A loopback HTTP server that answers each POST however a test says: slowly, hugely, wrongly.

``FaultServer(behaviour)`` calls ``behaviour(handler, n)`` for the n-th request
(from 1); the behaviour writes the whole answer itself through ``handler``
(``send_response``, ``wfile``), so it can stall, trickle bytes, redirect or
stream without end. The server counts requests and keeps their paths and
headers, and counts the body bytes a behaviour managed to send.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FaultServer:
    def __init__(self, behaviour: Callable[[BaseHTTPRequestHandler, int], None]) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.paths: list[str] = []
        self.headers: list[dict] = []
        self.bytes_sent = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with server.lock:
                    server.requests += 1
                    n = server.requests
                    server.paths.append(self.path)
                    server.headers.append(dict(self.headers))
                try:
                    server.behaviour(self, n)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass  # the client gave up, as it should

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def count(self, n: int) -> None:
        with self.lock:
            self.bytes_sent += n

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.base + "/v1"

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def chat_body(content) -> bytes:
    return json.dumps(
        {"choices": [{"message": {"role": "assistant", "content": content}}]}
    ).encode()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    """A whole answer at once."""
    handler.send_response(status)
    headers.setdefault("Content-Type", "application/json")
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def trickle(handler: BaseHTTPRequestHandler, data: bytes, every: float) -> None:
    """``data`` one byte at a time, ``every`` seconds apart (each byte well within a socket timeout)."""
    for i in range(len(data)):
        handler.wfile.write(data[i : i + 1])
        handler.wfile.flush()
        time.sleep(every)
