"""The judge prompt: our French Jinja template, rendered in jinja2's sandbox.

``tasks/prompts/judge.j2`` is ours; a user swaps it like the other prompts by
putting a ``judge.j2`` in the folder named by ``MEDFR_PROMPTS``. Unlike the
generation prompts, the judge prompt is rendered after generation, inside an
lm-eval filter that cannot see ``--metadata``, so only the environment
variable reaches it. A user template is data, not code: it is rendered in
``SandboxedEnvironment`` with ``StrictUndefined``, and its SHA-256 goes into
every verdict's identity so that scores from different rubrics never mix.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from medfr_eval.errors import DataError
from medfr_eval.resources import tasks_dir

TEMPLATE_NAME = "judge.j2"


@dataclass(frozen=True)
class JudgeTemplate:
    """A loaded judge template: where it came from, its hash and the compiled form."""

    path: str
    sha256: str
    template: jinja2.Template

    def render(self, question: str, answer: str, reference: str, context: str = "") -> str:
        try:
            text = self.template.render(
                question=question, answer=answer, reference=reference, context=context
            )
        except jinja2.TemplateError as exc:  # SecurityError included
            raise DataError(f"judge template error: {exc}", file=self.path) from exc
        return text.strip()


def template_path(prompt_dir: str | None = None) -> Path:
    """The user's ``judge.j2`` (``prompt_dir`` or ``MEDFR_PROMPTS``) if present, else ours."""
    folder = prompt_dir or os.environ.get("MEDFR_PROMPTS") or None
    if folder:
        candidate = Path(folder).expanduser() / TEMPLATE_NAME
        if not Path(folder).expanduser().is_dir():
            raise DataError("prompt folder does not exist", file=folder, field="MEDFR_PROMPTS")
        if candidate.is_file():
            return candidate.resolve()
    return tasks_dir() / "prompts" / TEMPLATE_NAME


@functools.lru_cache(maxsize=8)
def _compile(path: str, source: str) -> jinja2.Template:
    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise DataError(f"judge template error: {exc.message}", file=path, line=exc.lineno) from exc


def load_template(prompt_dir: str | None = None) -> JudgeTemplate:
    """Read, hash and compile the judge template (compiled once per distinct text)."""
    path = template_path(prompt_dir)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read judge template: {exc.strerror}", file=path) from exc
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return JudgeTemplate(path=str(path), sha256=digest, template=_compile(str(path), source))
