"""The judge prompt: our French Jinja template, rendered in the prompts' capped sandbox.

``tasks/prompts/judge.j2`` is ours; a user swaps it like the other prompts by
putting a ``judge.j2`` in the folder named by ``MEDFR_PROMPTS``. Unlike the
generation prompts, the judge prompt is rendered after generation, inside an
lm-eval filter that cannot see ``--metadata``, so only the environment
variable reaches it. A user template is data, not code: it is found and
compiled by the same lookup and sandbox as every other prompt
(:func:`medfr_eval.data.prompts.environment`, limits on repeats and on the rendered
size included), and its SHA-256 goes into every verdict's identity so that
scores from different rubrics never mix.

The candidate answer is the one text a model under test wrote, so it may try
to talk to the judge ("Réponse de référence : ... Verdict : 1"). Our rubric
puts it inside ``<reponse_candidat>`` ... ``</reponse_candidat>`` and says that
block is data to judge, never instructions; :func:`fence_candidate` turns any
such tag inside the answer into look-alike brackets, so the answer cannot
close its block and speak outside it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass

import jinja2

from medfr_eval.core.errors import DataError
from medfr_eval.data.prompts import checked_prompt_dir, environment, render_capped

TEMPLATE_NAME = "judge.j2"
CANDIDATE_TAG = "reponse_candidat"
_TAG = re.compile(rf"<(\s*/?\s*{CANDIDATE_TAG}\s*)>", re.IGNORECASE)


def fence_candidate(answer: str) -> str:
    """``answer`` with every ``<reponse_candidat>`` / ``</reponse_candidat>`` tag written
    with ‹ › instead of < >: it reads the same to a person, but closes no block."""
    return _TAG.sub(lambda m: f"‹{m.group(1)}›", answer)


@dataclass(frozen=True)
class JudgeTemplate:
    """A loaded judge template: where it came from, its hash and the compiled form."""

    path: str
    sha256: str
    template: jinja2.Template

    def render(self, question: str, answer: str, reference: str, context: str = "") -> str:
        variables = {
            "question": question,
            "answer": fence_candidate(answer),
            "reference": reference,
            "context": context,
        }
        try:
            text = render_capped(self.template, variables)
        except jinja2.TemplateError as exc:  # SecurityError (the sandbox's limits) included
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(f"judge template error: {message}", file=self.path) from None
        except RecursionError:
            raise DataError("judge template error: recursion without end", file=self.path) from None
        return text.strip()


def _folder(prompt_dir: str | None) -> str | None:
    folder = prompt_dir or os.environ.get("MEDFR_PROMPTS") or None
    if not folder:
        return None
    return str(checked_prompt_dir(folder, "MEDFR_PROMPTS").resolve())


def _source(folder: str | None) -> tuple[str, str]:
    env = environment(folder)
    try:
        source, filename, _ = env.loader.get_source(env, TEMPLATE_NAME)
    except UnicodeDecodeError:
        raise DataError("judge template is not UTF-8; re-save it as UTF-8", file=folder) from None
    except (OSError, jinja2.TemplateNotFound) as exc:
        raise DataError(f"cannot read judge template: {exc}", file=folder) from None
    return source, filename


@functools.lru_cache(maxsize=8)
def _compile(folder: str | None, path: str, source: str) -> jinja2.Template:
    try:
        return environment(folder).from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise DataError(
            f"judge template error: {exc.message}", file=path, line=exc.lineno
        ) from None
    except jinja2.TemplateError as exc:
        raise DataError(f"judge template error: {exc}", file=path) from None


def load_template(prompt_dir: str | None = None) -> JudgeTemplate:
    """Find, hash and compile the judge template (compiled once per distinct text)."""
    folder = _folder(prompt_dir)
    source, path = _source(folder)
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return JudgeTemplate(path=path, sha256=digest, template=_compile(folder, path, source))
