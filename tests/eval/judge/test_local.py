"""The in-process judge with a tiny local model: batched, greedy, one token, loaded once."""

from __future__ import annotations

import torch

from medfr_eval.judge import local
from medfr_eval.judge.config import JudgeConfig
from medfr_eval.judge.engine import Judge, JudgeItem
from medfr_eval.judge.verdict import parse_verdict

ITEMS = [
    JudgeItem("Quel organe sécrète l'insuline ?", "Le pancréas.", "Le pancréas."),
    JudgeItem(
        "Quelle vitamine manque dans le scorbut ?", "La vitamine C, l'acide ascorbique.", "C"
    ),
    JudgeItem("Un signe de déshydratation ?", "La soif.", "Pli cutané persistant."),
    JudgeItem("Dose ?", "Un gramme.", "Un gramme toutes les six heures au maximum."),
    JudgeItem("Cause ?", "Virus.", "Une infection virale.", context="Enfant de 3 ans, fièvre."),
]


def bare_greedy(model_dir, prompts):
    """One prompt at a time, no padding: the first greedy token, decoded."""
    lm, tok = local.load_judge_model(str(model_dir), "cpu")
    out = []
    for p in prompts:
        ids = tok(local.as_chat(tok, p), return_tensors="pt")
        with torch.inference_mode():
            logits = lm(**ids).logits[0, -1]
        out.append(tok.decode([int(logits.argmax())], skip_special_tokens=True))
    return out


def test_local_judge_matches_a_bare_greedy_loop(judge_env, tiny_model_dir, tmp_path):
    cfg = JudgeConfig(model=str(tiny_model_dir), batch_size=2, device="cpu", cache_path=None)
    judge = Judge(cfg)
    verdicts = judge.judge(ITEMS)
    prompts = [judge.template.render(i.question, i.answer, i.reference, i.context) for i in ITEMS]
    expected = bare_greedy(tiny_model_dir, prompts)
    assert [v.raw for v in verdicts] == expected
    # random weights rarely say 1 or 0: whatever they say is parsed, never forced
    assert [v.score for v in verdicts] == [parse_verdict(r) for r in expected]
    assert judge.identity == {
        "model": str(tiny_model_dir),
        "endpoint": "local",
        "template_sha256": judge.template.sha256,
    }


def test_model_is_loaded_once(judge_env, tiny_model_dir, monkeypatch):
    local.load_judge_model.cache_clear()
    import transformers

    loads = []
    real = transformers.AutoModelForCausalLM.from_pretrained

    def counting(*a, **kw):
        loads.append(a[0])
        return real(*a, **kw)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", counting)
    cfg = JudgeConfig(model=str(tiny_model_dir), batch_size=4, device="cpu", cache_path=None)
    for _ in range(3):
        Judge(cfg).judge(ITEMS[:2])
    assert loads == [str(tiny_model_dir)]


def test_a_chat_template_is_applied_when_the_judge_has_one(tiny_tokenizer):
    import copy

    tok = copy.deepcopy(tiny_tokenizer)
    tok.chat_template = None
    assert local.as_chat(tok, "Bonjour") == "Bonjour"  # base model: raw prompt
    tok.chat_template = (
        "{% for m in messages %}<<{{ m['content'] }}>>{% endfor %}"
        "{% if add_generation_prompt %}R:{% endif %}"
    )
    assert local.as_chat(tok, "Bonjour") == "<<Bonjour>>R:"


def test_model_alone_in_the_environment_selects_the_local_judge(judge_env, tiny_model_dir):
    from medfr_eval.judge.filter import JudgeFilter, openqa_results

    judge_env.setenv("MEDFR_JUDGE_MODEL", str(tiny_model_dir))
    judge_env.setenv("MEDFR_JUDGE_DEVICE", "cpu")
    docs = [{"question": i.question, "answer": i.reference} for i in ITEMS[:2]]
    out = JudgeFilter().apply([["Le pancréas."], ["Autre chose."]], docs)
    assert [o["judge_endpoint"] for o in out] == ["local", "local"]
    assert all(o["judge"] == parse_verdict(o["judge_raw"]) for o in out)
    again = JudgeFilter().apply([["Le pancréas."], ["Autre chose."]], docs)
    assert all(o["judge_cached"] for o in again)
    assert [o["judge_raw"] for o in again] == [o["judge_raw"] for o in out]
    scored = openqa_results(
        docs[0], [{**out[0], "bertscore_f1": 0, "bertscore_precision": 0, "bertscore_recall": 0}]
    )
    assert scored["judge_unparsable"] == int(out[0]["judge"] is None)
