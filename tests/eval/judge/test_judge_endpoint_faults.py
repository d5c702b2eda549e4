"""The endpoint judge against servers that hang, trickle, flood, redirect or answer nonsense."""

from __future__ import annotations

import time
import tracemalloc
from email.utils import formatdate

import pytest
from fault_server import FaultServer, chat_body, send, trickle

from medfr_eval.core.errors import DataError
from medfr_eval.judge import client as client_mod
from medfr_eval.judge.client import EndpointJudge, JudgeRequestError
from medfr_eval.judge.config import JudgeConfig
from medfr_eval.judge.engine import Judge, JudgeItem

OK = chat_body("1")


def judge_for(url: str, **kw) -> EndpointJudge:
    kw.setdefault("backoff", 0.01)
    kw.setdefault("retries", 0)
    return EndpointJudge(JudgeConfig(model="juge", url=url, cache_path=None, **kw))


def timed(fn):
    start = time.perf_counter()
    try:
        return fn(), time.perf_counter() - start
    except Exception as exc:  # the time to fail is what is measured
        return exc, time.perf_counter() - start


# ------------------------------------------------------------------- time bounds


def test_a_hanging_endpoint_fails_within_timeout_times_tries(judge_env):
    with FaultServer(lambda h, n: time.sleep(20)) as server:
        err, took = timed(lambda: judge_for(server.url, timeout=0.4, retries=1).ask("x"))
    assert isinstance(err, JudgeRequestError), err
    assert "after 2 tries" in str(err) and "MEDFR_JUDGE_TIMEOUT" in str(err)
    assert took < 2.0 and server.requests == 2


def test_headers_trickled_byte_by_byte_are_cut_at_the_request_timeout(judge_env):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * 100
    with FaultServer(lambda h, n: trickle(h, head, every=0.1)) as server:
        err, took = timed(lambda: judge_for(server.url, timeout=1.0).ask("x"))
    # each byte comes well within a socket timeout of 1 s; the whole answer never does
    assert isinstance(err, JudgeRequestError) and "within 1 s" in str(err), err
    assert took < 2.5


def test_a_body_trickled_byte_by_byte_is_cut_at_the_request_timeout(judge_env):
    def behaviour(h, n):
        h.send_response(200)
        h.send_header("Content-Length", str(len(OK) + 200))
        h.end_headers()
        trickle(h, b" " * 200 + OK, every=0.1)

    with FaultServer(behaviour) as server:
        err, took = timed(lambda: judge_for(server.url, timeout=1.0).ask("x"))
    assert isinstance(err, JudgeRequestError) and "within 1 s" in str(err), err
    assert took < 2.5


def test_a_connection_is_reused_after_a_timely_answer(judge_env):
    with FaultServer(lambda h, n: send(h, 200, OK)) as server:
        judge = judge_for(server.url, timeout=5)
        assert [judge.ask(str(i)) for i in range(5)] == ["1"] * 5
    assert server.requests == 5


# ------------------------------------------------------------------- retries


def test_429_with_retry_after_seconds_is_waited_for(judge_env):
    stamps = []

    def behaviour(h, n):
        stamps.append(time.monotonic())
        if n == 1:
            send(h, 429, b'{"error": "slow down"}', Retry_After="1")
        else:
            send(h, 200, OK)

    with FaultServer(behaviour) as server:
        assert judge_for(server.url, retries=2, backoff=0.01).ask("x") == "1"
    assert server.requests == 2 and stamps[1] - stamps[0] >= 0.95


def test_503_with_retry_after_as_an_http_date_is_waited_for(judge_env):
    stamps = []

    def behaviour(h, n):
        stamps.append(time.monotonic())
        if n == 1:
            send(h, 503, b"busy", Retry_After=formatdate(time.time() + 2, usegmt=True))
        else:
            send(h, 200, OK)

    with FaultServer(behaviour) as server:
        assert judge_for(server.url, retries=1).ask("x") == "1"
    assert stamps[1] - stamps[0] >= 0.9  # an HTTP date has one-second resolution


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        ("100000", client_mod.MAX_RETRY_AFTER),
        ("-5", 0.0),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_is_read_and_capped(header, seconds):
    assert client_mod._retry_after(header) == seconds


def test_500_every_time_fails_after_the_retries_naming_the_status(judge_env):
    with FaultServer(lambda h, n: send(h, 500, b"<html>oops</html>")) as server:
        with pytest.raises(JudgeRequestError, match=r"after 3 tries: HTTP 500"):
            judge_for(server.url, retries=2).ask("x")
    assert server.requests == 3


# ------------------------------------------------------------------- answers


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Bad gateway</body></html>", b"", b'{"choices": []}', b'{"id": 1}', b"[" * 5000],
)
def test_an_answer_that_is_not_chat_completions_json_is_refused(judge_env, body):
    with FaultServer(lambda h, n: send(h, 200, body, Content_Type="text/html")) as server:
        with pytest.raises(JudgeRequestError, match="not a chat-completions answer"):
            judge_for(server.url, retries=1).ask("x")
    assert server.requests == 2


@pytest.mark.parametrize(
    ("content", "score"),
    [("2", None), ("10", None), ("vrai", None), ("", None), (None, None), (1, None),
     ([1], None), ({"verdict": 1}, None), (" 0 ", 0), ("1.", 1)],
)  # fmt: skip
def test_a_verdict_other_than_0_or_1_is_counted_unparsable(judge_env, content, score):
    with FaultServer(lambda h, n: send(h, 200, chat_body(content))) as server:
        config = JudgeConfig(model="juge", url=server.url, cache_path=None, retries=0)
        (verdict,) = Judge(config).judge([JudgeItem("q", "a", "r")])
    assert verdict.score == score
    assert verdict.status == ("unparsable" if score is None else "ok")


def test_a_huge_announced_body_is_refused_unread(judge_env):
    def behaviour(h, n):
        h.send_response(200)
        h.send_header("Content-Length", str(150 * 1024 * 1024))
        h.end_headers()
        block = b" " * 65536
        for _ in range(150 * 16):
            h.wfile.write(block)
            server.count(len(block))

    with FaultServer(behaviour) as server:
        err, took = timed(lambda: judge_for(server.url).ask("x"))
    assert isinstance(err, JudgeRequestError) and "announced an answer of 157286400" in str(err)
    assert took < 5
    assert server.requests == 1  # not retried: a server this wrong does not heal


def test_an_endless_chunked_body_is_cut_at_the_bound(judge_env):
    def behaviour(h, n):
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        block = b" " * 65536
        for _ in range(150 * 16):  # 150 MB if nobody stops it
            h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            server.count(len(block))

    with FaultServer(behaviour) as server:
        tracemalloc.start()
        err, _ = timed(lambda: judge_for(server.url, timeout=30).ask("x"))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert isinstance(err, JudgeRequestError) and "longer than 1048576 bytes" in str(err), err
    assert peak < 8 * 1024 * 1024  # the body was never held whole
    assert server.bytes_sent < 40 * 1024 * 1024


def test_a_redirect_to_another_host_is_not_followed(judge_env):
    with FaultServer(lambda h, n: send(h, 200, OK)) as other:
        target = other.url.replace("127.0.0.1", "localhost") + "/chat/completions?k=1"

        def behaviour(h, n):
            send(h, 307, b"", Location=target)

        with FaultServer(behaviour) as server:
            judge = judge_for(server.url, retries=3, api_key="sk-live-KEY123")
            with pytest.raises(JudgeRequestError) as err:
                judge.ask("x")
    assert other.requests == 0 and server.requests == 1  # neither followed nor retried
    message = str(err.value)
    assert "redirects are not followed" in message and "HTTP 307" in message
    assert "?k=1" not in message and "sk-live-KEY123" not in message


# ------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/v1", "gopher://127.0.0.1:70/", "localhost:8000/v1",
     "unix:///var/run/vllm.sock", "http:///v1"],
)  # fmt: skip
def test_other_schemes_and_hostless_urls_are_refused(judge_env, url):
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", url)
    with pytest.raises(DataError) as err:
        JudgeConfig.from_env()
    assert err.value.field == "MEDFR_JUDGE_URL" and "\n" not in str(err.value)


@pytest.mark.parametrize("port", ["99999", "abc", "0", "-1"])
def test_a_port_out_of_range_or_not_a_number_is_refused(judge_env, port):
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", f"http://127.0.0.1:{port}/v1")
    with pytest.raises(DataError, match="from 1 to 65535") as err:
        JudgeConfig.from_env()
    assert err.value.field == "MEDFR_JUDGE_URL"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "-1", "0", "abc"])
def test_a_timeout_that_is_not_a_positive_finite_number_is_refused(judge_env, value):
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", "http://127.0.0.1:8000/v1")
    judge_env.setenv("MEDFR_JUDGE_TIMEOUT", value)
    with pytest.raises(DataError) as err:
        JudgeConfig.from_env()
    assert err.value.field == "MEDFR_JUDGE_TIMEOUT"
