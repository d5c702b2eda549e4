"""One real lm-eval run of an open-QA task on the tiny model, judged by a loopback endpoint."""

from __future__ import annotations

import hashlib
import json

import pytest
from fake_server import FakeJudgeServer
from lmeval_run import save_run, tiny_evaluate

from medfr_eval.cli import main
from medfr_eval.judge.config import judge_identity

pytestmark = pytest.mark.slow


def reply(prompt: str) -> str:
    """Fixed, prompt-dependent verdicts: 1, 0 or an unparsable word."""
    return ("1", "0", "Bof")[hashlib.sha256(prompt.encode()).digest()[0] % 3]


def evaluate(model_dir, task_manager):
    return tiny_evaluate(model_dir, ["medfr_kqa"], task_manager, max_gen_toks=8)


def test_judge_metric_in_results_and_sample_log(
    judge_env, tiny_model_dir, tiny_bertscore_env, sample_task_manager, tmp_path, capsys
):
    plain = evaluate(tiny_model_dir, sample_task_manager)
    metrics = plain["results"]["medfr_kqa"]
    assert "bertscore_f1,bertscore" in metrics
    assert not any(k.startswith("judge") for k in metrics)  # no judge: no metric
    assert plain["configs"]["medfr_kqa"]["metadata"]["judge"] is None

    with FakeJudgeServer(reply) as server:
        judge_env.setenv("MEDFR_JUDGE_URL", server.url)
        judge_env.setenv("MEDFR_JUDGE_MODEL", "juge-loopback")
        judged = evaluate(tiny_model_dir, sample_task_manager)
        asked = server.requests
        again = evaluate(tiny_model_dir, sample_task_manager)  # rerun: all from the cache
        assert server.requests == asked

    samples = judged["samples"]["medfr_kqa"]
    assert asked == len(samples) == 10
    resps = [s["filtered_resps"][0] for s in samples]
    verdicts = [r["judge"] for r in resps]
    assert [r["judge_raw"] for r in resps] == [reply_for(server, s) for s in samples]
    parsed = [v for v in verdicts if v is not None]
    metrics = judged["results"]["medfr_kqa"]
    assert metrics["judge,bertscore"] == pytest.approx(sum(parsed) / len(parsed))
    assert metrics["judge_unparsable,bertscore"] == verdicts.count(None)
    assert [s.get("judge") for s in samples] == [
        v if v is not None else None for v in verdicts
    ]  # per-sample metric in the log (absent when unparsable)
    assert metrics["bertscore_f1,bertscore"] == pytest.approx(
        plain["results"]["medfr_kqa"]["bertscore_f1,bertscore"]
    )

    config_identity = judge_identity(judged["configs"]["medfr_kqa"])
    assert config_identity == judge_identity(samples[0])
    assert config_identity["model"] == "juge-loopback"
    assert config_identity["endpoint"] == server.url
    json.dumps(judged["configs"]["medfr_kqa"], allow_nan=False, default=str)
    assert all(s["filtered_resps"][0]["judge_cached"] for s in again["samples"]["medfr_kqa"])
    assert again["results"]["medfr_kqa"]["judge,bertscore"] == metrics["judge,bertscore"]

    # the saved run feeds `medfr judge agreement`: human labels equal to the
    # parsed verdicts except the first, which is flipped
    save_run(judged, tmp_path / "run")
    rows, flipped = [], False
    for s in samples:
        verdict = s["filtered_resps"][0]["judge"]
        human = 0 if verdict is None else verdict
        if verdict is not None and not flipped:
            human, flipped = 1 - verdict, True
        rows.append(json.dumps({"doc_id": s["doc"]["id"], "model": "tiny", "human": human}))
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(rows) + "\n")
    code = main(
        [
            "judge",
            "agreement",
            str(labels),
            f"tiny={tmp_path / 'run'}",
            "--out",
            str(tmp_path / "agr"),
        ]
    )
    assert code == 0, capsys.readouterr()
    report = json.loads((tmp_path / "agr" / "agreement.json").read_text())
    n = len(parsed)
    assert report["n_pairs"] == n and len(report["unparsable"]) == 10 - n
    assert report["groups"]["tiny"]["accuracy"] == pytest.approx((n - 1) / n)
    assert report["judge"] == config_identity


def reply_for(server: FakeJudgeServer, sample: dict) -> str:
    """What the server answered to the prompt that carried this sample's question and answer."""
    question, answer = sample["doc"]["question"], sample["filtered_resps"][0]["answer"]
    for body in server.bodies:
        prompt = body["messages"][0]["content"]
        if (
            f"Question : {question}\n" in prompt
            and f"<reponse_candidat>\n{answer}\n</reponse_candidat>" in prompt
        ):
            return reply(prompt)
    raise AssertionError(f"no request for {answer!r}")
