"""What a fresh interpreter loads: the design's import boundaries, checked the same way.

Evaluation never imports the training stack, and the significance tools and
the board builder never import torch or lm-eval (heavy, and absent from a
light install). Only a new process shows what an import really pulls in.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence


def loaded_by(modules: Sequence[str], watched: Sequence[str]) -> list[str]:
    """The ``watched`` modules a fresh interpreter holds after importing ``modules``."""
    code = (
        f"import json, sys, {', '.join(modules)}\n"
        f"print(json.dumps(sorted(m for m in {list(watched)!r} if m in sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
