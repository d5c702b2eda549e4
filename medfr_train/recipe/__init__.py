"""Training recipes: flat YAML of TRL's dataclass fields, parsed by TRL's own parser.

``load_recipe`` is the entry point (:mod:`.load`); the vocabulary beyond TRL is in
:mod:`.keys`, the TrlParser plumbing in :mod:`.parse`,
file/line bookkeeping and ``--key value`` overrides in :mod:`.source`, a stage's
checks in :mod:`.stage` and its data in :mod:`.data`.
"""

from medfr_train.errors import RecipeError
from medfr_train.recipe.data import DataSpec
from medfr_train.recipe.keys import DORA_TARGETS, STAGE_KINDS, STAGES_OF
from medfr_train.recipe.load import Recipe, load_recipe
from medfr_train.recipe.source import parse_overrides
from medfr_train.recipe.stage import Stage

__all__ = [
    "DORA_TARGETS",
    "STAGES_OF",
    "STAGE_KINDS",
    "DataSpec",
    "Recipe",
    "RecipeError",
    "Stage",
    "load_recipe",
    "parse_overrides",
]
