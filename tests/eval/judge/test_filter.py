"""The judge filter and ``process_results`` without lm-eval around them, and reading identities back."""

from __future__ import annotations

from fake_server import FakeJudgeServer

from medfr_eval.judge.config import identity_from_env, judge_identity
from medfr_eval.judge.filter import JudgeFilter, openqa_results, total

DOCS = [
    {"question": "Quel organe sécrète l'insuline ?", "answer": "Le pancréas."},
    {"question": "Diagnostic ?", "answer": "Un infarctus.", "case": "Homme, 62 ans."},
]
SCORED = [
    {
        "answer": "Le pancréas.",
        "bertscore_f1": 0.9,
        "bertscore_precision": 0.9,
        "bertscore_recall": 0.9,
    },
    {
        "answer": "Je ne sais pas.",
        "bertscore_f1": 0.1,
        "bertscore_precision": 0.1,
        "bertscore_recall": 0.1,
    },
]


def test_without_a_judge_the_filter_changes_nothing(judge_env):
    assert JudgeFilter().apply(SCORED, DOCS) is SCORED
    assert identity_from_env() is None
    assert set(openqa_results(DOCS[0], [SCORED[0]])) == {
        "bertscore_f1",
        "bertscore_precision",
        "bertscore_recall",
    }


def test_with_an_endpoint_each_response_gains_verdict_and_identity(judge_env):
    def reply(prompt):
        return "1" if "<reponse_candidat>\nLe pancréas.\n</reponse_candidat>" in prompt else "Hmm"

    with FakeJudgeServer(reply) as server:
        judge_env.setenv("MEDFR_JUDGE_URL", server.url)
        judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
        out = JudgeFilter().apply(SCORED, DOCS)
    prompts = [b["messages"][0]["content"] for b in server.bodies]
    assert sum("Cas clinique : Homme, 62 ans." in p for p in prompts) == 1
    assert [o["judge"] for o in out] == [1, None]
    assert [o["judge_status"] for o in out] == ["ok", "unparsable"]
    assert out[1]["judge_raw"] == "Hmm" and out[0]["bertscore_f1"] == 0.9
    identity = identity_from_env()
    assert judge_identity(out[0]) == identity
    assert identity["model"] == "juge" and identity["endpoint"] == server.url

    first, second = (openqa_results(d, [o]) for d, o in zip(DOCS, out, strict=True))
    assert (first["judge"], first["judge_unparsable"]) == (1, 0)
    assert "judge" not in second and second["judge_unparsable"] == 1  # neither 0 nor 1
    assert total([first["judge_unparsable"], second["judge_unparsable"]]) == 1


def test_raw_generations_work_without_bertscore(judge_env):
    with FakeJudgeServer(lambda p: "0") as server:
        judge_env.setenv("MEDFR_JUDGE_URL", server.url)
        judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
        out = JudgeFilter().apply([["  Le pancréas. "], ["x"]], DOCS)
    assert [(o["answer"], o["judge"]) for o in out] == [("Le pancréas.", 0), ("x", 0)]


def test_judge_identity_reads_configs_and_sample_lines():
    ident = {"model": "m", "endpoint": "local", "template_sha256": "ab"}
    assert judge_identity({"metadata": {"version": 1.0, "judge": ident}}) == ident
    assert judge_identity({"metadata": {"version": 1.0, "judge": None}}) is None
    resp = {f"judge_{k}": v for k, v in ident.items()} | {"judge": 1}
    assert judge_identity({"doc_id": 0, "filtered_resps": [resp]}) == ident
    assert judge_identity({"doc_id": 0, "filtered_resps": [{"answer": "x"}]}) is None
    assert judge_identity({"filtered_resps": ["texte"]}) is None


def test_judge_identity_reads_a_saved_sample_log_line_without_running_code():
    ident = {"model": "m", "endpoint": "local", "template_sha256": "ab"}
    resp = {f"judge_{k}": v for k, v in ident.items()} | {"judge": None, "answer": "x"}
    assert judge_identity({"filtered_resps": [str(resp)]}) == ident  # as EvaluationTracker saves it
    hostile = "{'judge_model': __import__('os').getcwd()}"
    assert judge_identity({"filtered_resps": [hostile]}) is None
