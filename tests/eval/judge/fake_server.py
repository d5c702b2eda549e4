"""A real OpenAI-compatible chat endpoint on loopback, for tests and the benchmark.

``http.server`` in a thread on 127.0.0.1 with an ephemeral port. It answers
each prompt through ``reply(prompt) -> str`` (fixed verdicts), can fail the
first N requests with a status or stall them past the client timeout, and
counts requests and the most requests it ever had in flight.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeJudgeServer:
    def __init__(
        self,
        reply: Callable[[str], str] = lambda prompt: "1",
        *,
        fail_first: int = 0,
        fail_status: int = 500,
        stall_first: int = 0,
        stall_seconds: float = 0.0,
        delay: float = 0.0,
    ) -> None:
        self.reply = reply
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.stall_first = stall_first
        self.stall_seconds = stall_seconds
        self.delay = delay
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
            disable_nagle_algorithm = True  # else headers and body wait 40 ms on delayed ACK

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with server._lock:
                    server.requests += 1
                    n = server.requests
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    server.bodies.append(body)
                    server.headers.append(dict(self.headers))
                    server.paths.append(self.path)
                try:
                    if n <= server.stall_first:
                        time.sleep(server.stall_seconds)
                    if server.delay:
                        time.sleep(server.delay)
                    if n <= server.fail_first:
                        self._send(server.fail_status, {"error": "try again"})
                        return
                    content = server.reply(body["messages"][-1]["content"])
                    self._send(
                        200, {"choices": [{"message": {"role": "assistant", "content": content}}]}
                    )
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _send(self, status: int, data: dict) -> None:
                raw = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # client timed out
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeJudgeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
