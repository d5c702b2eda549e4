"""Shape checks on lm-eval results files before the shared reader walks them.

The reader (:mod:`medfr_eval.lmeval_output`) assumes lm-eval's own layout: a
results file whose ``config``, ``versions``, ``n-samples`` or ``configs`` is a
list instead of an object (``config: [1]``) ended in a traceback. The board reads
files that strangers submit, so it checks these sections first and refuses with
one line naming file and field. (h-signif2 is adding the same check inside the
reader; once merged this module is a cheap second guard.)
"""

from __future__ import annotations

from pathlib import Path

from medfr_eval.core.errors import DataError
from medfr_eval.lmeval_output import RESULTS_RE, find_model_folders, read_json_object

#: Sections of a results file that lm-eval writes as JSON objects.
OBJECT_SECTIONS = ("results", "config", "versions", "n-samples", "configs")


def check_results_file(path: Path) -> None:
    """One results file's sections are objects (or absent); else one DataError."""
    data = read_json_object(path, "lm-eval results file")
    for key in OBJECT_SECTIONS:
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            raise DataError(f"expected an object, got {type(value).__name__}", file=path, field=key)
    for key in ("n-samples", "configs"):
        for task, value in (data.get(key) or {}).items():
            if value is not None and not isinstance(value, dict):
                raise DataError(
                    f"expected an object, got {type(value).__name__}",
                    file=path,
                    field=f"{key}.{task}",
                )


def check_results_files(roots: list[Path]) -> None:
    """Every results file under the given run folders."""
    for root in roots:
        for folder in find_model_folders(Path(root)):
            for f in sorted(folder.iterdir()):
                if f.is_file() and RESULTS_RE.match(f.name):
                    check_results_file(f)
