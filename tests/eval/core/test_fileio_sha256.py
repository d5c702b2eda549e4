"""The one file hash used by data cards, fetch manifests and the demo's markers."""

from __future__ import annotations

import hashlib

from medfr_eval.core.fileio import sha256_file


def test_sha256_file_matches_hashlib_across_block_boundaries(tmp_path):
    data = bytes(range(256)) * 41  # 10,496 bytes: several 1 KiB blocks and a partial one
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert sha256_file(path, chunk=1024) == hashlib.sha256(data).hexdigest()
    assert sha256_file(str(path)) == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()
