"""The training side's errors, on the shared :class:`~medfr_eval.core.errors.MedfrError` base.

They live here, not in ``medfr_eval``, because only training raises them; the base
class is shared so that every ``medfr`` command reports them the same way (one line
``error: FILE:LINE: field: message``, exit 2). This module imports nothing heavy:
a caller can catch these without loading TRL or torch.
"""

from __future__ import annotations

from medfr_eval.core.errors import MedfrError


class RecipeError(MedfrError):
    """A bad training recipe or command-line override."""


class SFTDataError(MedfrError):
    """A bad SFT training row."""


class CorpusError(MedfrError):
    """Bad CPT corpus input or options."""
