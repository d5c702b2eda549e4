"""Every study recipe says where its values come from: [paper], [authors' code] or [medfr]."""

from __future__ import annotations

import re

import pytest
import yaml

from medfr_eval.core.resources import recipes_dir

TAGS = {"paper", "authors' code", "medfr"}
STUDY = sorted([*recipes_dir().rglob("config_*.yaml"), recipes_dir() / "cpt_sft.yaml"])
#: values the authors' code uses (key -> the value the recipes give)
AUTHORS = {
    "block_size": 2048,
    "document_framing": "bos+eos",
    "dtype": "bfloat16",
    "max_grad_norm": 1.0,
    "gradient_checkpointing": True,
    "packing": True,
    "chat_template": "study",
}
#: keys that name the run rather than set a value (no mark needed)
UNMARKED = {"strategy", "model_name", "base_model", "output_dir", "model_name_or_path", "stages",
            "cpt", "sft", "run_card"}  # fmt: skip


def _marks(path):
    """key -> (value, tags) for every key line of the recipe."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*(\w+):(.*?)(?:\s+#\s*(.*))?$", line)
        if not m or line.lstrip().startswith("#"):
            continue
        key, value, comment = m.group(1), m.group(2), m.group(3) or ""
        tags = set(re.findall(r"\[([^\]]+)\]", comment))
        out.setdefault(key, []).append((yaml.safe_load(value) if value.strip() else None, tags))
    return out


@pytest.mark.parametrize("path", STUDY, ids=lambda p: str(p.relative_to(recipes_dir())))
def test_every_value_is_marked(path):
    for key, entries in _marks(path).items():
        for value, tags in entries:
            assert tags <= TAGS, (path, key, tags)
            if key not in UNMARKED:
                assert tags, f"{path}: {key} has no [paper] / [authors' code] / [medfr] mark"
            if key in AUTHORS:
                assert value == AUTHORS[key] and "authors' code" in tags, (path, key)


def test_fsdp_config_marks_the_authors_values():
    text = (recipes_dir() / "accelerate_configs" / "fsdp.yaml").read_text(encoding="utf-8")
    assert "MistralDecoderLayer   # [authors' code]" in text
    assert "FULL_SHARD   # [authors' code]" in text
