"""The 64-bit hash table of corpus.dedup."""

from __future__ import annotations

import numpy as np

from medfr_train.corpus import (
    HashSet64,
)


def test_hashset64_matches_python_set_across_growth():
    rng = np.random.default_rng(0)
    pool = rng.integers(0, 2**63, size=5000, dtype=np.uint64)
    pool[:3] = [0, 1, 2**63 + 5]  # 0 is stored as 1: it collides with 1 by design
    table = HashSet64(capacity=16)
    seen: set[int] = set()
    for _ in range(20):
        batch = rng.choice(pool, size=700)
        mask = table.add(batch)
        expected = []
        for k in batch.tolist():
            k = k or 1
            expected.append(k not in seen)
            seen.add(k)
        assert mask.tolist() == expected
    assert len(table) == len(seen)
    assert table.nbytes <= 4 * 8 * len(seen)  # at least a quarter full: <= 32 bytes per key
