"""Prompt templates: our French wording of the study's prompt structure.

Templates are Jinja files in ``tasks/prompts/`` (``mcq.j2``, ``mcq_multi.j2``,
``openqa.j2``, ``openqa_case.j2``). A user swaps one in without editing code by
pointing ``--metadata '{"medfr_prompts": DIR}'`` (or ``MEDFR_PROMPTS=DIR``) at a
folder holding files of the same names; missing ones fall back to ours. The
prompt is rendered into each doc at load time (lm-eval's ``doc_to_text`` cannot
see ``--metadata``), so the exact text is in every sample log and in its
``prompt_hash``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import jinja2
import jinja2.sandbox

from medfr_eval.errors import DataError
from medfr_eval.resources import tasks_dir

TEMPLATE_FOR_KIND = {
    "mcq": "mcq.j2",
    "mcq_multi": "mcq_multi.j2",
    "openqa": "openqa.j2",
    "openqa_case": "openqa_case.j2",
    "mcq_en": "mcq_en.j2",  # English twins of the translated sets
}


def default_prompt_dir() -> Path:
    return tasks_dir() / "prompts"


@functools.lru_cache(maxsize=16)
def _environment(override: str | None) -> jinja2.Environment:
    search = [str(default_prompt_dir())]
    if override:
        if not Path(override).is_dir():
            raise DataError("prompt folder does not exist", file=override, field="medfr_prompts")
        search.insert(0, override)
    # Sandboxed: templates may come from the user's folder, and no code runs from data.
    return jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,  # a typo in a user template fails loudly
        autoescape=False,
        keep_trailing_newline=False,
    )


def prompt_dir_from(medfr_prompts: str | None = None) -> str | None:
    """The user's template folder: explicit argument, else ``MEDFR_PROMPTS``, else none."""
    value = medfr_prompts or os.environ.get("MEDFR_PROMPTS") or None
    return str(Path(value).expanduser().resolve()) if value else None


def render(kind: str, variables: dict, prompt_dir: str | None = None) -> str:
    """Render the template for an item kind; errors name the template file."""
    name = TEMPLATE_FOR_KIND[kind]
    env = _environment(prompt_dir)
    try:
        template = env.get_template(name)
        return template.render(**variables).rstrip()
    except jinja2.TemplateError as exc:
        origin = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        raise DataError(f"prompt template error: {exc}", file=origin, line=line) from exc
