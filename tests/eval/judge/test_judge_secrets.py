"""Credentials in MEDFR_JUDGE_URL and MEDFR_JUDGE_API_KEY reach the request only: never a file,
a log line, the terminal or an error message."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import socket
from pathlib import Path

import pytest
from fake_server import FakeJudgeServer
from fault_server import FaultServer, send
from judge_runs import IDENT, write_labels, write_run

from medfr_eval.cli import main
from medfr_eval.core.errors import DataError
from medfr_eval.judge.client import EndpointJudge, JudgeRequestError
from medfr_eval.judge.config import JudgeConfig, judge_identity
from medfr_eval.judge.engine import Judge, JudgeItem

USER, PASSWORD, TOKEN, KEY = "alice", "PWSECRET42", "QSECRET77", "sk-KEYSECRET99"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SECRETS = (PASSWORD, TOKEN, KEY, BASIC, f"{USER}:")


def secret_url(base: str, password: str = PASSWORD, token: str = TOKEN) -> str:
    """``base`` (http://host:port/v1) with userinfo, a query token and a fragment."""
    scheme, rest = base.split("://", 1)
    return f"{scheme}://{USER}:{password}@{rest}?token={token}#frag"


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def items(n: int = 3) -> list[JudgeItem]:
    return [JudgeItem(f"Question {i} ?", f"Réponse {i}.", f"Référence {i}.") for i in range(n)]


# --------------------------------------------------------------------- the recorded form


def test_the_recorded_endpoint_has_no_userinfo_query_or_fragment():
    config = JudgeConfig(model="juge", url=secret_url("http://127.0.0.1:8000/v1"), api_key=KEY)
    assert config.endpoint == "http://127.0.0.1:8000/v1"
    assert config.identity("t")["endpoint"] == "http://127.0.0.1:8000/v1"
    assert leaks(repr(config)) == [] and leaks(repr(config.parsed_endpoint())) == []


def test_the_identity_and_its_cached_verdicts_survive_a_key_rotation(judge_env, tmp_path):
    cache = str(tmp_path / "v.sqlite3")
    with FakeJudgeServer() as server:
        old = JudgeConfig(model="juge", url=secret_url(server.url), api_key=KEY, cache_path=cache)
        Judge(old).judge(items())
        assert server.requests == 3
        new = JudgeConfig(
            model="juge",
            url=secret_url(server.url, password="NEWPASS", token="NEWTOKEN"),
            api_key="sk-NEWKEY",
            cache_path=cache,
        )
        verdicts = Judge(new).judge(items())
    assert server.requests == 3 and all(v.cached for v in verdicts)
    assert Judge(old).identity == Judge(new).identity


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        ("/v1", "/v1/chat/completions?token=QSECRET77"),
        ("/v1/", "/v1/chat/completions?token=QSECRET77"),
        ("/v1/chat/completions", "/v1/chat/completions?token=QSECRET77"),
    ],
)
def test_the_query_stays_on_the_request_after_the_joined_path(judge_env, path, sent):
    with FakeJudgeServer() as server:
        base = server.url.removesuffix("/v1") + path
        EndpointJudge(JudgeConfig(model="juge", url=f"{base}?token={TOKEN}")).ask("x")
    assert server.paths == [sent]


def test_userinfo_is_sent_as_basic_auth_and_a_key_as_bearer(judge_env):
    with FakeJudgeServer() as server:
        EndpointJudge(JudgeConfig(model="juge", url=secret_url(server.url))).ask("x")
        EndpointJudge(JudgeConfig(model="juge", url=secret_url(server.url), api_key=KEY)).ask("x")
    assert [h["Authorization"] for h in server.headers] == [f"Basic {BASIC}", f"Bearer {KEY}"]


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize("key", [f"{KEY}\r\nX-Injected: 1", f"{KEY} more", f"{KEY}\x07", "clé€"])
def test_a_key_an_http_header_cannot_carry_is_refused_without_showing_it(judge_env, key):
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", "http://127.0.0.1:8000/v1")
    judge_env.setenv("MEDFR_JUDGE_API_KEY", key)
    with pytest.raises(DataError) as err:
        JudgeConfig.from_env()
    assert err.value.field == "MEDFR_JUDGE_API_KEY"
    assert "HTTP header" in str(err.value) and leaks(str(err.value)) == []
    assert "clé" not in str(err.value)


def test_a_key_with_a_trailing_newline_is_used_without_it(judge_env):
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", "http://127.0.0.1:8000/v1")
    judge_env.setenv("MEDFR_JUDGE_API_KEY", KEY + "\n")
    assert JudgeConfig.from_env().api_key == KEY


def test_a_url_with_a_newline_is_refused_without_showing_it(judge_env):
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", secret_url("http://127.0.0.1:8000/v1") + "\r\nX: 1")
    with pytest.raises(DataError) as err:
        JudgeConfig.from_env()
    assert err.value.field == "MEDFR_JUDGE_URL" and leaks(str(err.value)) == []


def test_a_401_echoing_the_authorization_header_is_redacted(judge_env):
    def echo(h, n):
        body = json.dumps({"error": f"bad credentials: {h.headers['Authorization']} on {h.path}"})
        send(h, 401, body.encode())

    with FaultServer(echo) as server:
        for key in (KEY, None):  # the Bearer key, then the Basic token from userinfo
            judge = EndpointJudge(
                JudgeConfig(model="juge", url=secret_url(server.url), api_key=key)
            )
            with pytest.raises(JudgeRequestError) as err:
                judge.ask("x")
            message = str(err.value)
            assert "HTTP 401" in message and "<redacted>" in message
            assert leaks(message) == [] and "http://127.0.0.1" in message


def test_a_connection_failure_names_the_public_url_only(judge_env):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = secret_url(f"http://127.0.0.1:{port}/v1")
    judge = EndpointJudge(JudgeConfig(model="juge", url=url, api_key=KEY, retries=1, backoff=0.01))
    with pytest.raises(JudgeRequestError) as err:
        judge.ask("x")
    assert f"http://127.0.0.1:{port}/v1 failed after 2 tries" in str(err.value)
    assert leaks(str(err.value)) == []


def test_an_identity_read_back_from_a_log_with_credentials_is_made_public():
    leaky = secret_url("http://127.0.0.1:8000/v1")
    ident = {"model": "juge", "endpoint": leaky, "template_sha256": "t"}
    sample = {"filtered_resps": [{f"judge_{k}": v for k, v in ident.items()}]}
    config = {"metadata": {"judge": ident}}
    for entry in (sample, config, sample["filtered_resps"][0]):
        assert judge_identity(entry)["endpoint"] == "http://127.0.0.1:8000/v1"


def test_agreement_never_prints_or_writes_credentials_from_a_log(tmp_path, capsys):
    ident = IDENT | {"endpoint": secret_url("https://judge.example.org/v1")}
    run = write_run(tmp_path / "run", "m", [1, 0, 1], ident=ident)
    labels = write_labels(
        tmp_path / "l.jsonl", [{"doc_id": f"kqa-00{i}", "model": "m", "human": 1} for i in range(3)]
    )
    out = tmp_path / "agr"
    assert main(["judge", "agreement", str(labels), str(run), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "https://judge.example.org/v1" in printed.out
    assert leaks(printed.out + printed.err) == []
    for f in out.iterdir():
        assert leaks(f.read_bytes().decode("latin-1")) == [], f
    assert json.loads((out / "agreement.json").read_text())["judge"]["endpoint"] == (
        "https://judge.example.org/v1"
    )


# --------------------------------------------------------------------- a whole run


def _evaluate(model_dir: Path, out: Path, task_manager) -> None:
    from lm_eval.loggers import EvaluationTracker
    from lmeval_run import save_run, tiny_evaluate

    tracker = EvaluationTracker(output_path=str(out))
    results = tiny_evaluate(
        model_dir, ["medfr_openqa"], task_manager, max_gen_toks=8, evaluation_tracker=tracker
    )
    save_run(results, out, tracker)


def _files(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        found += [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
    return found


@pytest.mark.slow
def test_no_file_a_judged_run_writes_holds_a_credential(
    judge_env, tiny_model_dir, tiny_bertscore_env, sample_task_manager, tmp_path, capsys, caplog
):
    """lm-eval results and samples, the verdict cache, signif, the board and the agreement report
    of two judged runs, grepped for every secret; so are the log records and the terminal."""
    caplog.set_level(logging.DEBUG)
    second = shutil.copytree(tiny_model_dir, tmp_path / "tiny-b")
    out, cache = tmp_path / "runs", tmp_path / "cache" / "verdicts.sqlite3"
    with FakeJudgeServer(lambda p: "1" if "Question :" in p else "0") as server:
        judge_env.setenv("MEDFR_JUDGE_URL", secret_url(server.url))
        judge_env.setenv("MEDFR_JUDGE_API_KEY", KEY)
        judge_env.setenv("MEDFR_JUDGE_MODEL", "juge-loopback")
        judge_env.setenv("MEDFR_JUDGE_CACHE", str(cache))
        for model_dir in (tiny_model_dir, second):
            _evaluate(model_dir, out, sample_task_manager)
    assert server.requests > 0
    assert set(server.paths) == {f"/v1/chat/completions?token={TOKEN}"}  # the secrets were used
    assert {h["Authorization"] for h in server.headers} == {f"Bearer {KEY}"}

    folders = sorted(p.parent for p in out.rglob("results_*.json"))
    assert len(folders) == 2
    sig, board, site = tmp_path / "sig", tmp_path / "lb" / "entries", tmp_path / "site"
    assert main(["signif", str(out), "--out", str(sig), "--resamples", "200"]) == 0
    ref = board.parent / "reference.json"
    assert main(["board", "reference", str(folders[0]), "-o", str(ref)]) == 0
    for folder in folders:
        assert main(["board", "add", str(folder), "--board", str(board)]) == 0, capsys.readouterr()
    build = ["board", "build", "--board", str(board), "-o", str(site), "--signif"]
    assert main([*build, str(sig / "signif.json")]) == 0, capsys.readouterr()
    sample = next(folders[0].glob("samples_medfr_kqa_*.jsonl"))
    labels = write_labels(
        tmp_path / "labels.jsonl",
        [{"doc_id": json.loads(line)["doc"]["id"], "model": "m", "human": 1}
         for line in sample.read_text().splitlines()],
    )  # fmt: skip
    agr = tmp_path / "agr"
    assert main(["judge", "agreement", str(labels), f"m={folders[0]}", "--out", str(agr)]) == 0

    written = _files(out, sig, board.parent, site, agr, cache.parent)
    assert len(written) > 20 and any(p.name.endswith("-wal") or p == cache for p in written)
    for path in written:
        assert leaks(path.read_bytes().decode("latin-1")) == [], path
    printed = capsys.readouterr()
    assert leaks(printed.out + printed.err) == []
    assert leaks("\n".join(r.getMessage() for r in caplog.records)) == []
    endpoint = server.url  # the public form is what the results record
    results = json.loads(next(folders[0].glob("results_*.json")).read_text())
    assert results["configs"]["medfr_kqa"]["metadata"]["judge"]["endpoint"] == endpoint
