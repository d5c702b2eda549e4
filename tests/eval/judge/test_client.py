"""The endpoint judge against a real OpenAI-compatible server on loopback."""

from __future__ import annotations

import time

import pytest
from fake_server import FakeJudgeServer

from medfr_eval.core.errors import DataError
from medfr_eval.judge.client import EndpointJudge, JudgeRequestError, chat_url
from medfr_eval.judge.config import JudgeConfig
from medfr_eval.judge.engine import Judge, JudgeItem


def config(server: FakeJudgeServer, cache=None, **kw) -> JudgeConfig:
    kw.setdefault("backoff", 0.01)
    return JudgeConfig(model="juge-test", url=server.url, cache_path=cache, **kw)


ITEMS = [JudgeItem(f"Question {i} ?", f"Réponse {i}.", f"Référence {i}.") for i in range(6)]


def test_chat_url():
    assert chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"


def test_request_is_greedy_one_token_with_key(judge_env):
    with FakeJudgeServer() as server:
        judge = EndpointJudge(config(server, api_key="s3cret"))
        assert judge.ask("Bonjour") == "1"
    body = server.bodies[0]
    assert body["model"] == "juge-test" and body["temperature"] == 0 and body["max_tokens"] == 1
    assert body["messages"] == [{"role": "user", "content": "Bonjour"}]
    assert server.headers[0]["Authorization"] == "Bearer s3cret"
    assert "s3cret" not in repr(judge.config)


def test_a_500_is_retried_then_succeeds(judge_env):
    with FakeJudgeServer(fail_first=2, fail_status=500) as server:
        assert EndpointJudge(config(server, retries=3)).ask("x") == "1"
    assert server.requests == 3


def test_retries_run_out(judge_env):
    with FakeJudgeServer(fail_first=10, fail_status=503) as server:
        with pytest.raises(JudgeRequestError, match="after 3 tries: HTTP 503"):
            EndpointJudge(config(server, retries=2)).ask("x")
    assert server.requests == 3


def test_a_401_is_not_retried(judge_env):
    with FakeJudgeServer(fail_first=10, fail_status=401) as server:
        with pytest.raises(JudgeRequestError, match="HTTP 401"):
            EndpointJudge(config(server, retries=3)).ask("x")
    assert server.requests == 1


def test_a_stalled_request_times_out_and_is_retried(judge_env):
    with FakeJudgeServer(stall_first=1, stall_seconds=1.0) as server:
        judge = EndpointJudge(config(server, timeout=0.2, retries=1))
        start = time.perf_counter()
        assert judge.ask("x") == "1"
        assert time.perf_counter() - start < 0.9  # did not wait for the stalled answer
    assert server.requests == 2


def test_concurrency_is_bounded(judge_env):
    with FakeJudgeServer(delay=0.05) as server:
        judge = Judge(config(server, concurrency=3))
        verdicts = judge.judge([JudgeItem(f"q{i}", "a", "r") for i in range(12)])
    assert [v.score for v in verdicts] == [1] * 12
    assert server.requests == 12
    assert 1 < server.max_in_flight <= 3


def test_unparsable_verdicts_are_kept_and_not_scored(judge_env):
    replies = iter(["1", "Peut-être", "0", "", "1", "2"])
    with FakeJudgeServer(lambda prompt: next(replies), delay=0) as server:
        verdicts = Judge(config(server, concurrency=1)).judge(ITEMS)
    assert [v.score for v in verdicts] == [1, None, 0, None, 1, None]
    assert [v.raw for v in verdicts][:2] == ["1", "Peut-être"]
    assert sum(v.status == "unparsable" for v in verdicts) == 3


def test_the_cache_avoids_a_second_request(judge_env, tmp_path):
    cache = str(tmp_path / "v.sqlite3")
    reply = lambda prompt: "1" if "Réponse 1." in prompt else "0"  # noqa: E731
    with FakeJudgeServer(reply) as server:
        first = Judge(config(server, cache)).judge(ITEMS + ITEMS[:2])  # duplicates asked once
        assert server.requests == 6
        second = Judge(config(server, cache)).judge(ITEMS)
        assert server.requests == 6  # nothing re-asked
        assert all(v.cached for v in second) and not any(v.cached for v in first)
        assert [v.score for v in second] == [v.score for v in first[:6]]
        # a new answer for a known question is asked; another judge re-asks everything
        Judge(config(server, cache)).judge([JudgeItem("Question 0 ?", "Autre.", "Référence 0.")])
        assert server.requests == 7
        other = JudgeConfig(model="autre-juge", url=server.url, cache_path=cache)
        Judge(other).judge(ITEMS[:2])
        assert server.requests == 9


def test_env_configuration(judge_env):
    assert JudgeConfig.from_env() is None
    judge_env.setenv("MEDFR_JUDGE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(DataError, match="MEDFR_JUDGE_MODEL"):
        JudgeConfig.from_env()
    judge_env.setenv("MEDFR_JUDGE_MODEL", "m")
    judge_env.setenv("MEDFR_JUDGE_CONCURRENCY", "0")
    with pytest.raises(DataError, match="MEDFR_JUDGE_CONCURRENCY"):
        JudgeConfig.from_env()
    judge_env.setenv("MEDFR_JUDGE_CONCURRENCY", "2")
    judge_env.setenv("MEDFR_JUDGE_CACHE", "off")
    cfg = JudgeConfig.from_env()
    assert (cfg.concurrency, cfg.cache_path, cfg.endpoint) == (2, None, "http://127.0.0.1:9/v1")
    judge_env.delenv("MEDFR_JUDGE_URL")
    assert JudgeConfig.from_env().endpoint == "local"


def _writer(path: str, start: int) -> None:
    from medfr_eval.judge.cache import VerdictCache

    ident = {"model": "m", "endpoint": "local", "template_sha256": "t"}
    with VerdictCache(path) as cache:
        for i in range(start, start + 150):
            cache.put(f"k{i}", ident, "1")


def test_two_processes_share_the_cache(tmp_path):
    import multiprocessing

    from medfr_eval.judge.cache import VerdictCache

    path = str(tmp_path / "shared.sqlite3")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, start)) for start in (0, 100)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    with VerdictCache(path) as cache:
        assert len(cache) == 250  # overlapping keys stored once
        assert cache.get_many(["k0", "k249", "k999"]) == {"k0": "1", "k249": "1"}
